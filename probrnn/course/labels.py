"""Put each exercise's one-line label (kind, difficulty, time, checker) at the top of its body.

    python -m probrnn.course.labels            # update the chapters in place
    python -m probrnn.course.labels --check    # only report; exit 1 if a label is missing/stale

The labels come from :data:`probrnn.exercises.CATALOG` (for instance
``*Code · ★★☆ · about 45 min · check it: `check("ex-hmm-2", log_forward)`*``). Running it again
changes nothing (a label line already there is replaced by the current one, never duplicated),
and it touches nothing but the first line of each exercise's body. Notebooks are written back
in Jupyter's format (nbformat's JSON layout), and nothing else in a file changes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from . import myst
from .sources import chapters, find_root

# A label line this script wrote: "*<Kind> · ★★☆ · about N min ...*".
LABEL_RE = re.compile(r"^\*(Pen and paper|Code) \u00b7 [\u2605\u2606]{3} \u00b7 about \d+ min.*\*\s*$")


def _labelled(text: str, catalog: dict, missing: list) -> str:
    """``text`` with the label line of every exercise block set (inserted or replaced)."""
    edits = []
    for b in myst.directives(text, "exercise"):
        entry = catalog.get(b.label)
        if entry is None:
            missing.append(b.label)
            continue
        body_start = b.body_start
        lead = len(b.body) - len(b.body.lstrip("\n"))  # blank lines before the content
        first_line = b.body[lead:].split("\n", 1)[0]
        if LABEL_RE.match(first_line):
            start = body_start + lead
            edits.append((start, start + len(first_line), entry.label_line))
        else:
            # a blank line between the options and the content, as tools/colon_fences.py writes
            blank = "" if lead or text[:body_start].endswith("\n\n") else "\n"
            edits.append((body_start + lead, body_start + lead, blank + entry.label_line + "\n"))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def label_chapter(path: Path, catalog: dict, write: bool = True) -> tuple[bool, list[str]]:
    """Label the exercises of one chapter; returns (changed, labels missing from the catalog)."""
    missing: list[str] = []
    path = Path(path)
    if path.suffix == ".md":
        old = path.read_text(encoding="utf-8")
        new = _labelled(old, catalog, missing)
        if write and new != old:
            path.write_text(new, encoding="utf-8")
        return new != old, missing
    nb = json.loads(path.read_text(encoding="utf-8"))
    changed = False
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            old = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            new = _labelled(old, catalog, missing)
            if new != old:
                cell["source"], changed = new.splitlines(keepends=True), True
    if write and changed:
        # As Jupyter (nbformat) writes notebooks; nothing else in the file changes.
        path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    return changed, missing


def main(argv=None) -> int:
    from ..exercises import BY_LABEL

    parser = argparse.ArgumentParser(prog="python -m probrnn.course.labels",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--book", default=None, help="the book's root (default: found from here)")
    parser.add_argument("--check", action="store_true", help="report only; exit 1 if stale")
    args = parser.parse_args(argv)
    root = find_root(args.book)
    stale, missing = [], []
    for path in chapters(root):
        changed, lost = label_chapter(path, BY_LABEL, write=not args.check)
        missing += lost
        if changed:
            stale.append(path.relative_to(root).as_posix())
    if missing:
        print(f"exercises missing from probrnn/exercises/catalog.py: {missing}", file=sys.stderr)
    verb = "need new labels" if args.check else "labelled"
    print(f"{verb}: {', '.join(stale) if stale else 'nothing (all labels current)'}")
    return 1 if (missing or (args.check and stale)) else 0


if __name__ == "__main__":
    raise SystemExit(main())
