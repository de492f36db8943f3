"""The student edition: the book without its solutions, in one command.

``python -m probrnn student-edition --out DIR`` copies the book's sources to a scratch folder,
removes every ``{solution}`` block and the code cell of each coding solution (and nothing else),
builds the copy (HTML, every chapter executed, warnings as errors) into ``DIR/html`` and writes
the stripped chapters, without outputs, into ``DIR/notebooks``. The exercises keep their numbers:
sphinx-exercise numbers exercises, not solutions, so removing the solutions changes no number.

The edition's pages have no Binder, Colab or live-code buttons (those would open the
repository's notebooks, which hold the solutions); the download button gives the stripped
notebook. ``DIR/removed.json`` lists what was removed from each chapter.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import myst
from .build import copy_sources, edit_config, run_jupyter_book
from .sources import chapters, docname, find_root, solutions


@dataclass
class Stripped:
    """What :func:`strip_chapter` removed from one chapter."""

    doc: str
    solutions: list[str] = field(default_factory=list)   # exercise labels
    code_cells: int = 0


def strip_markdown(text: str) -> tuple[str, list[str], int]:
    """``text`` without its solution blocks and the ``{code-cell}`` right after each; returns
    (new text, the labels solved, how many code cells went)."""
    spans, labels, code = [], [], 0
    for b in myst.directives(text, "solution"):
        spans.append((b.start, b.end))
        labels.append(b.argument.split()[0] if b.argument else "")
        following = [c for c in myst.blocks(text) if c.start >= b.end]
        if following and following[0].name == "code-cell" and not text[b.end:following[0].start].strip():
            spans.append((following[0].start, following[0].end))
            code += 1
    return (myst.remove(text, spans) if spans else text), labels, code


def strip_notebook(nb: dict, keep_outputs: bool = False) -> tuple[dict, list[str], int]:
    """A copy of the notebook ``nb`` (as JSON) without solution blocks and solution code cells,
    and without outputs unless ``keep_outputs``; markdown cells left empty are dropped."""
    cells, labels, dropped, code = [dict(c) for c in nb["cells"]], [], set(), 0
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        sols = myst.directives(src, "solution")
        if not sols:
            continue
        labels += [b.argument.split()[0] if b.argument else "" for b in sols]
        last = sols[-1]
        if (not src[last.end:].strip() and i + 1 < len(cells)
                and cells[i + 1]["cell_type"] == "code"):
            dropped.add(i + 1)
            code += 1
        new = myst.remove(src, [(b.start, b.end) for b in sols])
        cell["source"] = new
        if not new.strip():
            dropped.add(i)
    out = dict(nb)
    out["cells"] = []
    for i, cell in enumerate(cells):
        if i in dropped:
            continue
        cell = dict(cell)
        if cell["cell_type"] == "code" and not keep_outputs:
            cell["outputs"], cell["execution_count"] = [], None
        out["cells"].append(cell)
    return out, labels, code


def strip_chapter(path: Path, root: Path, keep_outputs: bool = False) -> Stripped:
    """Strip one chapter file in place (a copy of the book, never the checkout)."""
    path = Path(path)
    report = Stripped(docname(root, path))
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        nb, report.solutions, report.code_cells = strip_notebook(nb, keep_outputs)
        for cell in nb["cells"]:
            if isinstance(cell["source"], str):
                cell["source"] = cell["source"].splitlines(keepends=True)
        path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    else:
        text, report.solutions, report.code_cells = strip_markdown(path.read_text(encoding="utf-8"))
        path.write_text(text, encoding="utf-8")
    return report


def strip_book(tree: Path, keep_outputs: bool = False) -> list[Stripped]:
    """Strip every chapter of the copied book at ``tree``; checks that nothing is left."""
    reports = [strip_chapter(p, tree, keep_outputs) for p in chapters(tree)]
    for p in chapters(tree):
        left = solutions(p)
        if left:
            raise RuntimeError(f"{p}: {len(left)} solution blocks survived stripping")
    return reports


def no_launch_buttons(config: dict) -> None:
    config.setdefault("launch_buttons", {}).update(binderhub_url="", jupyterhub_url="",
                                                   colab_url="", thebe=False)


def student_edition(out, root=None, log=print) -> dict:
    """Build the student edition into ``out`` (see the module docstring); returns a summary."""
    from ..validate import check_out_dir

    out = check_out_dir(out)
    root = find_root(root)
    for sub in ("html", "notebooks"):
        if (out / sub).exists() and any((out / sub).iterdir()):
            raise ValueError(f"--out {str(out)!r} already has a non-empty {sub}/: give a new or "
                             f"empty folder")
    with tempfile.TemporaryDirectory(prefix="probrnn-student-") as scratch:
        tree = copy_sources(root, Path(scratch) / "book")
        reports = strip_book(tree)
        for r in reports:
            log(f"[probrnn] {r.doc}: removed {len(r.solutions)} solutions, "
                f"{r.code_cells} solution code cells")
        edit_config(tree, no_launch_buttons)
        html = run_jupyter_book(tree, Path(scratch) / "out", "html", log=log)
        shutil.copytree(html, out / "html", dirs_exist_ok=True)
        (out / "notebooks").mkdir(exist_ok=True)
        for path in chapters(tree):
            shutil.copyfile(path, out / "notebooks" / path.name)
    summary = {"root": str(root), "html": str(out / "html"), "notebooks": str(out / "notebooks"),
               "removed": {r.doc: {"solutions": r.solutions, "code_cells": r.code_cells}
                           for r in reports}}
    (out / "removed.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    log(f"[probrnn] student edition: open {out / 'html' / 'index.html'}; notebooks in "
        f"{out / 'notebooks'}")
    return summary
