"""Link each glossary term at its first use on every page: ``[words](glossary.md#term-...)``.

A plain Markdown link, not MyST's ``{term}`` role: the book resolves it to the term's entry
(``probrnn.sphinxext.GlossaryLinks``); JupyterLab opens the glossary; Colab, which knows no
MyST, shows the words as a link instead of a role's source. The terms are read from
``book/glossary.md``; on each page (the introduction and every chapter) the first use of each
term in running text is linked, counting a term's other names (``HMM`` and ``hidden Markov
model``) and plurals as uses. Never inside math, code, links, roles, headings or a directive's
first line and options; never a word that is part of a longer term (``filter`` in ``particle
filter``).

    python tools/glossary_links.py          # link each unlinked first use (and unlink the
                                            # later links to that term)
    python tools/glossary_links.py --check  # exit 1 and list them if any is missing
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
GLOSSARY = BOOK / "glossary.md"
PAGES = [BOOK / "intro.md"] + sorted(BOOK.glob("0*.ipynb"))
# Names of entries that are never written as words in running text.
SKIP_NAMES = {"Proposition 6's map phi", "map phi"}
LINK = re.compile(r"\[([^\]]*)\]\(glossary\.md#(term-[^)\s]*)\)")
_PROTECT = re.compile(
    r"\$\$.*?\$\$|\$[^$]*\$"  # math
    r"|\{[\w:-]+\}`[^`]*`|`[^`]*`"  # roles and code
    r"|!?\[[^\]]*\]\([^)]*\)|\[[^\]]*\]\[[^\]]*\]"  # links and images
    r"|!?\[[^\]]*$|^[^\[\]]*\]\([^)]*\)"  # a link's text broken over two lines
    r"|<[^>]*>|https?://\S+")  # HTML and bare addresses


def term_id(name: str) -> str:
    """The anchor Sphinx gives a glossary term: ``term-`` and the name, spaces as hyphens."""
    from sphinx.util.nodes import _make_id

    return _make_id("term-" + name)


def glossary_entries(path: Path = GLOSSARY) -> list[list[str]]:
    """The glossary's entries, each the list of its names (first name first)."""
    entries, inside, current = [], False, None
    for line in path.read_text().splitlines():
        if line.startswith(":::{glossary}"):
            inside = True
            continue
        if not inside:
            continue
        if line.startswith(":::"):
            break
        if line and not line[0].isspace() and not line.startswith(":"):
            if current is None:
                current = []
                entries.append(current)
            current.append(line.strip())
        else:
            current = None
    return entries


def _name_pattern(name: str) -> re.Pattern:
    """The name, its plural and (for a plural name such as ``hidden units``) its singular, with
    the first letter in either case, as a whole word."""
    first = name[0]
    head = f"[{first.lower()}{first.upper()}]" if first.isalpha() else re.escape(first)
    rest = name[1:-1] if name.endswith("s") and not name.endswith("ss") else name[1:]
    return re.compile(rf"(?<![\w-]){head}{re.escape(rest)}(?:s|es)?(?![\w-])")


_MATH_END = re.compile(r"\$\$\s*(\([^)]*\))?$")


def _prose_lines(text: str):
    """(line number, line, protected spans) of the running text of a Markdown source."""
    in_math = in_code = False
    for i, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if stripped.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        if in_math:  # a display ends with $$, or with $$ and its label: $$ (eq-...)
            in_math = not _MATH_END.search(stripped)
            continue
        if stripped.startswith("$$"):
            in_math = not _MATH_END.search(stripped[2:])
            continue
        if (stripped.startswith(("#", ":::", "|-", "|:"))
                or re.match(r"^:[\w-]+:", stripped) or re.match(r"^\(.+\)=$", stripped)):
            continue
        yield i, line, [m.span() for m in _PROTECT.finditer(line)]


def _sources(path: Path) -> list[str]:
    if path.suffix == ".md":
        return [path.read_text()]
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) if c["cell_type"] == "markdown"
            and not any(t.startswith("remove") for t in c.get("metadata", {}).get("tags", []))
            else None for c in nb["cells"]]


def _names(entries: list[list[str]]) -> list[tuple[str, int]]:
    """(name, entry index) of every name written as words in running text."""
    return [(name, k) for k, entry in enumerate(entries) for name in entry
            if name not in SKIP_NAMES]


def _entry_of(entries: list[list[str]]) -> dict[str, int]:
    """Term id -> index of its entry."""
    return {term_id(name): k for name, k in _names(entries)}


def plan(path: Path, entries: list[list[str]]):
    """The links to add on one page: [(source index, line, start, end, term id)], and the
    page's glossary links that name no term."""
    names = _names(entries)
    entry_of = _entry_of(entries)
    longer = {name: [_name_pattern(other) for other, _ in names
                     if other != name and _name_pattern(name).search(other)]
              for name, _ in names}
    first: dict[int, tuple | None] = {}
    unknown = []
    for s, text in enumerate(_sources(path)):
        if text is None:
            continue
        for i, line, protected in _prose_lines(text):
            for m in LINK.finditer(line):
                if m.group(2) not in entry_of:
                    unknown.append((s, i, m.group(2)))
                else:  # already linked at or before its first use
                    first.setdefault(entry_of[m.group(2)], None)
            found = []
            for name, k in names:
                if k in first:
                    continue
                blocked = protected + [o.span() for p in longer[name] for o in p.finditer(line)]
                for m in _name_pattern(name).finditer(line):
                    if not any(a < m.end() and m.start() < b for a, b in blocked):
                        found.append((m.start(), m.end(), k, name))
                        break
            taken: list[tuple[int, int]] = []
            for start, end, k, name in sorted(found, key=lambda f: (f[0], -f[1])):
                if k in first or any(a < end and start < b for a, b in taken):
                    continue
                first[k] = (s, i, start, end, term_id(name))
                taken.append((start, end))
    return [v for v in first.values() if v is not None], unknown


def _rewrite(path: Path, edit) -> None:
    """Replace each Markdown source of a page (the .md file, or each markdown cell, by index)
    by ``edit(index, text)``."""
    if path.suffix == ".md":
        path.write_text(edit(0, path.read_text()))
        return
    nb = json.loads(path.read_text())
    for s, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            cell["source"] = edit(s, "".join(cell["source"])).splitlines(keepends=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def unwrap(path: Path, ids: set[str]) -> None:
    """Turn the page's glossary links to ``ids`` back into plain words."""
    _rewrite(path, lambda _, text: LINK.sub(
        lambda m: m.group(1) if m.group(2) in ids else m.group(0), text))


def apply(path: Path, links) -> None:
    """Wrap the words of each planned link (see :func:`plan`) in a link to its term."""
    by_source: dict[int, list] = {}
    for s, i, start, end, tid in links:
        by_source.setdefault(s, []).append((i, start, end, tid))

    def edit(s: int, text: str) -> str:
        lines = text.split("\n")
        for i, start, end, tid in sorted(by_source.get(s, []), key=lambda e: (e[0], -e[1])):
            line = lines[i]
            lines[i] = f"{line[:start]}[{line[start:end]}](glossary.md#{tid}){line[end:]}"
        return "\n".join(lines)

    _rewrite(path, edit)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report missing links, change nothing")
    args = parser.parse_args(argv)
    entries = glossary_entries()
    bad = 0
    for path in PAGES:
        links, unknown = plan(path, entries)
        for s, i, tid in unknown:
            print(f"{path.relative_to(ROOT)}: cell {s}, line {i + 1}: {tid} is not a glossary term")
            bad += 1
        if links and args.check:
            for s, i, _, _, tid in links:
                print(f"{path.relative_to(ROOT)}: cell {s}, line {i + 1}: first use of "
                      f"{tid[5:]!r} is not linked to the glossary")
            bad += len(links)
        elif links:
            # a term whose first use is unlinked loses its later links, then gets one there
            entry_of = _entry_of(entries)
            redo = {entry_of[link[-1]] for link in links}
            unwrap(path, {term_id(n) for k in redo for n in entries[k]})
            links, _ = plan(path, entries)
            apply(path, links)
            print(f"{path.relative_to(ROOT)}: {len(links)} glossary links added")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
