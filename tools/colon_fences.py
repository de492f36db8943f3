"""Write the book's MyST directives with colon fences, so they read well outside the book.

A directive written with backticks,

    ```{exercise} Two states, one number
    :label: ex-hmm-1
    For $m = 2$ write ...
    ```

is a code block to any Markdown renderer that does not know MyST (Colab, GitHub, JupyterLab
without jupyterlab-myst): the title is hidden, and every formula inside shows as LaTeX source.
The same directive with colons,

    :::{exercise} Two states, one number
    :label: ex-hmm-1

    For $m = 2$ write ...

    :::

is the same directive to Sphinx (myst-parser's ``colon_fence`` extension, enabled in
``_config.yml``) and to jupyterlab-myst, while plain Markdown shows the first lines as a line
of text and renders the content, formulas included. Blank lines are put before the content
(after the options, if any) and before the closing fence, so that in plain Markdown the content is a
paragraph of its own and the fence is not glued to its last line.

    python tools/colon_fences.py              # rewrite book/**/*.ipynb and book/**/*.md
    python tools/colon_fences.py PATH ...     # only these files or folders
    python tools/colon_fences.py --check      # change nothing; exit 1 if a file would change

Only directives change: code blocks (```` ```python ````, ```` ```{code-cell} ````) keep their
backticks. Idempotent; in notebooks only the sources of Markdown cells change.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE_DIRECTIVES = {"code", "code-block", "code-cell", "sourcecode", "literalinclude", "math"}
_OPEN = re.compile(r"^(?P<indent>[ ]{0,3}|\s*)(?P<fence>`{3,})\{(?P<name>[^}\s]+)\}(?P<rest>.*)$")
_ANY_FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_OPTION = re.compile(r"^\s*:[\w-]+:")


def _closing(lines: list[str], start: int, fence: str) -> int | None:
    """Index of the line closing the backtick fence opened at ``start`` (nested fences of
    other lengths skipped), or None."""
    depth = 0
    for i in range(start + 1, len(lines)):
        m = _ANY_FENCE.match(lines[i])
        if not m or m.group("fence")[0] != "`":
            continue
        length = len(m.group("fence"))
        info = m.group("info").strip()
        if info:  # an opening fence
            if length < len(fence):
                depth += 1
            continue
        if depth and length < len(fence):
            depth -= 1
        elif length >= len(fence):
            return i
    return None


def convert(text: str) -> str:
    """``text`` (Markdown) with every backtick-fenced directive written with colons."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m or m.group("name") in CODE_DIRECTIVES:
            plain = _ANY_FENCE.match(lines[i])
            if plain and plain.group("info").strip():  # skip over a code block untouched
                end = _closing(lines, i, plain.group("fence"))
                i = (end if end is not None else i) + 1
            else:
                i += 1
            continue
        end = _closing(lines, i, m.group("fence"))
        if end is None:
            i += 1
            continue
        colons = ":" * len(m.group("fence"))
        indent = m.group("indent")
        lines[i] = f"{indent}{colons}{{{m.group('name')}}}{m.group('rest')}"
        lines[end] = re.sub(r"`{3,}", colons, lines[end], count=1)
        i += 1  # the content may hold nested directives
    return _space_colon_fences(lines)


_COLON_OPEN = re.compile(r"^\s*(?P<fence>:{3,})\{[^}\s]+\}")


def _space_colon_fences(lines: list[str]) -> str:
    """A blank line before the content of each colon-fenced directive (after its options) and
    before its closing fence, where there is none."""
    i, out = 0, list(lines)
    while i < len(out):
        m = _COLON_OPEN.match(out[i])
        if not m:
            i += 1
            continue
        fence = m.group("fence")
        end = next((k for k in range(i + 1, len(out))
                    if re.fullmatch(r"\s*" + fence + r"\s*", out[k])), None)
        if end is None:
            i += 1
            continue
        if out[end - 1].strip() and end - 1 > i:  # the closing fence: a paragraph of its own
            out.insert(end, "")
            end += 1
        j = i + 1
        while j < end and _OPTION.match(out[j]):
            j += 1
        if j < end and out[j].strip():  # the content starts a paragraph of its own
            out.insert(j, "")
        i += 1
    return "\n".join(out)


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def rewrite_notebook(path: Path, write: bool = True) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    notes = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "markdown":
            continue
        old = _source(cell)
        new = convert(old)
        if new != old:
            cell["source"] = new.splitlines(keepends=True) if isinstance(cell["source"], list) \
                else new
            notes.append(f"cell {i}")
    if notes and write:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return notes


def rewrite_markdown(path: Path, write: bool = True) -> list[str]:
    old = path.read_text(encoding="utf-8")
    new = convert(old)
    if new != old and write:
        path.write_text(new, encoding="utf-8")
    return ["changed"] if new != old else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[ROOT / "book"])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if some directive uses backticks")
    args = parser.parse_args(argv)
    files = []
    for p in args.paths:
        files += sorted(f for f in p.rglob("*") if f.suffix in (".ipynb", ".md")
                        and not any(part.startswith((".", "_build")) for part in f.parts)) \
            if p.is_dir() else [p]
    changed = 0
    for f in files:
        rewrite = rewrite_notebook if f.suffix == ".ipynb" else rewrite_markdown
        notes = rewrite(f, write=not args.check)
        if notes:
            changed += 1
            print(f"{f}: {', '.join(notes)}")
    print(f"{'would change' if args.check else 'changed'} {changed} file(s)")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
