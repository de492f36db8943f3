"""Replace the book's notation macros by plain LaTeX in notebooks and Markdown pages.

The chapters used to typeset their symbols with MathJax macros (``\\nstates``, ``\\Hs{t}``,
``\\belief{t}``, ...) defined only in ``_config.yml``, which JupyterLab, Binder and Colab never
read: there every formula with a macro showed in red. This script rewrites each macro as the
plain LaTeX it stood for (``\\Hs{t}`` -> ``H_{t}``, ``\\nstates`` -> ``m``), so a formula reads the
same in the book and in any notebook front end.

    python tools/expand_macros.py                 # rewrite book/**/*.ipynb and book/**/*.md
    python tools/expand_macros.py PATH ...        # only these files or folders
    python tools/expand_macros.py --check         # change nothing; exit 1 if a file would change

It is idempotent (a second run changes nothing) and safe on any notebook:

* Markdown cells and ``.md`` pages: macros are expanded in text and math, and inside MyST
  directives (```` ```{exercise} ````, ``:::{note}``), but not in code (fenced code blocks such
  as ```` ```python ```` and inline code spans), where a backslash word is code, not notation.
* Code cells: only inside ``$...$`` on one line (a LaTeX label in a string); ``"\\nstates"`` in
  plain Python is a newline followed by "states" and is left alone.
* Outputs, metadata and every other byte of a notebook are kept; a notebook is only rewritten if
  one of its cells changes, in nbformat's own layout (one-space indent, UTF-8).
* A macro right after ``_`` or ``^`` is expanded in braces (``x_\\Hs{t}`` -> ``x_{H_{t}}``), and so
  is one whose expansion ends in a subscript when another subscript follows (``\\Hs{t}_j`` ->
  ``{H_{t}}_j``), so the result is never a double subscript.

It also repairs a macro mangled by a Python string escape before it reached the notebook:
``"$\\nhid$"`` written through a non-raw string becomes a newline followed by ``hid``. Inside
inline math such a newline plus ``hid``/``states``/``symb``/``part`` is read as ``\\nhid`` etc.,
and a backspace or form feed before ``elief``/``hat``/``a``/``til`` (from ``\\b`` and ``\\f``)
likewise. Each repair is listed in the output.

The definitions are :data:`MACROS` below (a copy of what ``_config.yml`` defined until the macros
were removed); if ``_config.yml`` still defines macros under ``sphinx.config.mathjax3_config``,
those are used, and a macro defined there but missing here is an error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# name -> (expansion with #1 for the argument, number of arguments)
MACROS: dict[str, tuple[str, int]] = {
    "nstates": ("m", 0),
    "nsymb": ("K", 0),
    "nhid": ("k", 0),
    "npart": ("M", 0),
    "Hs": ("H_{#1}", 1),
    "Xs": ("X_{#1}", 1),
    "xpre": ("x_{1:#1}", 1),
    "pistart": ("\\pi", 0),
    "Amat": ("A", 0),
    "Bmat": ("B", 0),
    "Vop": ("V", 0),
    "Dop": ("D_{#1}", 1),
    "belief": ("\\alpha_{#1}", 1),
    "bhat": ("\\hat\\alpha_{#1}", 1),
    "fa": ("f_{\\alpha}", 0),
    "gb": ("g_{\\beta}", 0),
    "ftil": ("\\tilde f_{#1}", 1),
    "gtil": ("\\tilde g", 0),
    "Prob": ("P", 0),
    "one": ("\\mathbf{1}", 0),
    "TV": ("\\mathrm{TV}", 0),
}

# Python string escapes that eat a macro's backslash: (control character, letter it replaced).
_ESCAPES = {"\b": "b", "\f": "f", "\n": "n", "\t": "t", "\v": "v", "\r": "r", "\a": "a"}


def config_macros(config: Path) -> dict[str, tuple[str, int]]:
    """The macros ``_config.yml`` still defines (empty if none or no such file)."""
    if not config.exists():
        return {}
    import yaml

    cfg = yaml.safe_load(config.read_text()) or {}
    tex = (((cfg.get("sphinx") or {}).get("config") or {}).get("mathjax3_config") or {}).get("tex")
    found = {}
    for name, value in ((tex or {}).get("macros") or {}).items():
        found[name] = (value[0], int(value[1])) if isinstance(value, list) else (str(value), 0)
    return found


def load_macros(config: Path = ROOT / "_config.yml") -> dict[str, tuple[str, int]]:
    """:data:`MACROS`, overridden by the definitions still in ``config``."""
    extra = config_macros(config)
    unknown = sorted(set(extra) - set(MACROS))
    if unknown:
        raise SystemExit(f"{config} defines macros this script does not know: {unknown}; "
                         "add them to MACROS in tools/expand_macros.py")
    return {**MACROS, **extra}


# --------------------------------------------------------------------------- expanding TeX

def _argument(text: str, i: int) -> tuple[str, int] | None:
    """The TeX argument starting at text[i] (spaces skipped): a braced group, a control word or
    one character. Returns (argument without braces, index after it), or None."""
    while i < len(text) and text[i] in " \t":
        i += 1
    if i >= len(text):
        return None
    if text[i] == "{":
        depth = 0
        for j in range(i, len(text)):
            if text[j] == "{" and (j == 0 or text[j - 1] != "\\"):
                depth += 1
            elif text[j] == "}" and text[j - 1] != "\\":
                depth -= 1
                if depth == 0:
                    return text[i + 1:j], j + 1
        return None
    if text[i] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", text[i:])
        return (m.group(0), i + len(m.group(0))) if m else None
    return text[i], i + 1


def expand_tex(text: str, macros: dict[str, tuple[str, int]]) -> str:
    """Expand every macro of ``macros`` in ``text`` (repeatedly, so nested uses expand too)."""
    if not macros:
        return text
    names = "|".join(sorted(map(re.escape, macros), key=len, reverse=True))
    pattern = re.compile(r"\\(" + names + r")(?![A-Za-z])")
    for _ in range(10):
        out, pos, changed = [], 0, False
        for m in pattern.finditer(text):
            if m.start() < pos:
                continue
            body, nargs = macros[m.group(1)]
            end = m.end()
            if nargs:
                arg = _argument(text, end)
                if arg is None:  # a macro with its argument missing: leave it for a human
                    continue
                body, end = body.replace("#1", arg[0]), arg[1]
            script_before = re.search(r"[_^]\s*$", text[:m.start()]) is not None
            subscript_after = re.match(r"\s*_", text[end:]) is not None and "_" in body
            if len(body) > 1 and (script_before or subscript_after):
                body = "{" + body + "}"
            out += [text[pos:m.start()], body]
            pos, changed = end, True
        text = "".join(out) + text[pos:]
        if not changed:
            break
    return text


def _inline_math_open(line: str) -> bool:
    """Whether ``line`` ends inside inline math: an odd number of unescaped single ``$``."""
    line = re.sub(r"\\\$", "", line).replace("$$", "")
    return line.count("$") % 2 == 1


def repair_escapes(text: str, macros: dict[str, tuple[str, int]]) -> tuple[str, list[str]]:
    """Put back the backslash of macros that a Python string escape turned into a control
    character (see the module docstring). Returns the text and a note per repair."""
    notes = []
    for char, letter in _ESCAPES.items():
        rests = sorted((n[1:] for n in macros if n.startswith(letter)), key=len, reverse=True)
        if not rests:
            continue
        pattern = re.compile(re.escape(char) + "(" + "|".join(map(re.escape, rests))
                             + r")(?![A-Za-z])")
        out, pos = [], 0
        for m in pattern.finditer(text):
            if char == "\n":
                start = text.rfind("\n", 0, m.start()) + 1
                if not _inline_math_open(text[start:m.start()]):
                    continue
            notes.append(f"repaired {char!r}+{m.group(1)!r} as \\{letter}{m.group(1)}")
            out += [text[pos:m.start()], "\\" + letter + m.group(1)]
            pos = m.end()
        text = "".join(out) + text[pos:]
    return text, notes


# --------------------------------------------------------------------------- Markdown

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
_CODE_DIRECTIVES = {"code", "code-block", "code-cell", "sourcecode", "literalinclude"}
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)")


def _is_code_fence(fence: str, info: str) -> bool:
    """Whether a fence opens literal code (```python) rather than a MyST directive (```{note})."""
    if fence.startswith(":"):
        return False
    m = re.match(r"\s*\{([^}]*)\}", info)
    return m is None or m.group(1).strip() in _CODE_DIRECTIVES


def _split_markdown(text: str) -> list[tuple[bool, str]]:
    """``text`` as (is_code, chunk) pieces: fenced code blocks and inline code spans are code."""
    pieces, prose, stack = [], [], []  # stack of (fence char, length, is_code)
    code_block: list[str] = []

    def flush_prose():
        if prose:
            chunk, pos = "".join(prose), 0
            for m in _CODE_SPAN.finditer(chunk):
                pieces.append((False, chunk[pos:m.start()]))
                pieces.append((True, m.group(0)))
                pos = m.end()
            pieces.append((False, chunk[pos:]))
            prose.clear()

    for line in text.splitlines(keepends=True):
        m = _FENCE.match(line.rstrip("\n"))
        in_code = any(code for _, _, code in stack)
        if m:
            fence, info = m.group("fence"), m.group("info")
            closes = (stack and fence[0] == stack[-1][0] and len(fence) >= stack[-1][1]
                      and not info.strip())
            if closes:
                _, _, was_code = stack.pop()
                if was_code:
                    code_block.append(line)
                    if not any(code for _, _, code in stack):
                        pieces.append((True, "".join(code_block)))
                        code_block.clear()
                    continue
                flush_prose()  # a directive's fence: text, but no inline code span across it
                pieces.append((False, line))
                continue
            elif not in_code:
                is_code = _is_code_fence(fence, info)
                stack.append((fence[0], len(fence), is_code))
                flush_prose()
                if is_code:
                    code_block.append(line)
                else:  # its title may hold math: "```{prf:remark} The RNN leaves $X_1$ out"
                    pieces.append((False, line))
                continue
            elif fence[0] == stack[-1][0] or info.strip():
                stack.append((fence[0], len(fence), True))  # a fence nested in code
        if any(code for _, _, code in stack):
            code_block.append(line)
        else:
            prose.append(line)
    flush_prose()
    if code_block:  # an unclosed code fence runs to the end
        pieces.append((True, "".join(code_block)))
    return pieces


def expand_markdown(text: str, macros) -> tuple[str, list[str]]:
    text, notes = repair_escapes(text, macros)
    return "".join(chunk if code else expand_tex(chunk, macros)
                   for code, chunk in _split_markdown(text)), notes


def expand_code(text: str, macros) -> tuple[str, list[str]]:
    """In a code cell, expand macros only inside ``$...$`` on one line."""
    return re.sub(r"\$[^$\n]+\$", lambda m: expand_tex(m.group(0), macros), text), []


# --------------------------------------------------------------------------- files

def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _set_source(cell, text: str) -> None:
    if isinstance(cell.get("source"), list):
        cell["source"] = text.splitlines(keepends=True)
    else:
        cell["source"] = text


def rewrite_notebook(path: Path, macros, write: bool = True) -> list[str]:
    """Expand the macros of one notebook; returns a note per changed cell and repair."""
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    notes = []
    for i, cell in enumerate(nb.get("cells", [])):
        kind = cell.get("cell_type")
        if kind not in ("markdown", "code"):
            continue
        old = _source(cell)
        new, repairs = (expand_markdown if kind == "markdown" else expand_code)(old, macros)
        notes += [f"cell {i}: {r}" for r in repairs]
        if new != old:
            _set_source(cell, new)
            notes.append(f"cell {i} ({kind}): {_count(old, macros)} macro(s) expanded")
    if notes and write:
        out = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        path.write_text(out, encoding="utf-8")
    return notes


def rewrite_markdown(path: Path, macros, write: bool = True) -> list[str]:
    old = path.read_text(encoding="utf-8")
    new, notes = expand_markdown(old, macros)
    if new != old:
        notes.append(f"{_count(old, macros)} macro(s) expanded")
        if write:
            path.write_text(new, encoding="utf-8")
    return notes


def _count(text: str, macros) -> int:
    names = "|".join(sorted(map(re.escape, macros), key=len, reverse=True))
    return len(re.findall(r"\\(" + names + r")(?![A-Za-z])", text))


def targets(paths: list[Path]) -> list[Path]:
    files = []
    for p in paths:
        if p.is_dir():
            files += [f for f in sorted(p.rglob("*")) if f.suffix in (".ipynb", ".md")
                      and not any(part.startswith((".", "_build")) for part in f.parts)]
        elif p.suffix in (".ipynb", ".md"):
            files.append(p)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[ROOT / "book"])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if some file still uses a macro")
    parser.add_argument("--config", type=Path, default=ROOT / "_config.yml")
    args = parser.parse_args(argv)
    macros = load_macros(args.config)
    changed = 0
    for f in targets(args.paths):
        rewrite = rewrite_notebook if f.suffix == ".ipynb" else rewrite_markdown
        notes = rewrite(f, macros, write=not args.check)
        if notes:
            changed += 1
            print(f"{f}:" + "".join(f"\n  {n}" for n in notes))
    verb = "would change" if args.check else "changed"
    print(f"{verb} {changed} file(s)")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
