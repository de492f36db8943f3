"""Chapters are committed as notebooks without outputs (Binder users get a clean copy), with
short code cells (the page shows them whole: no cell over 20 lines), and each coding solution in
one cell, the one the student edition removes."""

import json
import subprocess
from pathlib import Path

import pytest

from probrnn.course.sources import solutions
from probrnn.course.student import strip_notebook

ROOT = Path(__file__).resolve().parents[1]


def _committed_notebooks():
    try:
        out = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        out = []
    return sorted(set(out) | {str(p.relative_to(ROOT)) for p in (ROOT / "book").glob("*.ipynb")})


@pytest.mark.parametrize("path", _committed_notebooks())
def test_notebook_has_no_outputs(path):
    nb = json.loads((ROOT / path).read_text())
    dirty = [i for i, c in enumerate(nb["cells"])
             if c.get("outputs") or c.get("execution_count") is not None]
    assert not dirty, f"{path}: cells {dirty} carry outputs or execution counts; clear them"


def test_every_chapter_is_in_the_toc():
    toc = (ROOT / "_toc.yml").read_text()
    for nb in sorted((ROOT / "book").glob("*.ipynb")):
        assert f"book/{nb.stem}" in toc, f"{nb.name} is not listed in _toc.yml"


MAX_LINES = 20
CHAPTERS = sorted((ROOT / "book").glob("0*.ipynb"))


def _source(cell) -> str:
    return "".join(cell["source"])


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_code_cell_is_longer_than_20_lines(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    long = [(i, len(_source(c).splitlines())) for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "code" and len(_source(c).splitlines()) > MAX_LINES]
    assert not long, (f"{path.name}: code cells over {MAX_LINES} lines (index, lines): {long}; "
                      "move display code into probrnn/figures or split the cell")
    ids = [c.get("id") for c in nb["cells"]]
    assert len(ids) == len(set(ids)), f"{path.name}: repeated cell ids"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_each_coding_solution_is_one_cell_the_student_edition_removes(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    stripped, _, removed = strip_notebook(nb)
    code = [s for s in solutions(path) if s.code_cell is not None]
    assert removed == len(code)
    left = "\n".join(_source(c) for c in stripped["cells"])
    for s in code:
        cell = nb["cells"][s.code_cell]
        tags = cell["metadata"].get("tags", [])
        assert {"hide-input", "hide-cell"} & set(tags), f"{s.target}: solution code not folded"
        names = [ln.split("(")[0][4:] for ln in s.code.splitlines() if ln.startswith("def ")]
        for name in names:  # defined only in the solution, used by no later cell
            assert f"def {name}(" not in left, f"{s.target}: {name} survives the stripping"
            later = [c for c in nb["cells"][s.code_cell + 1:] if c["cell_type"] == "code"]
            assert not any(f"{name}(" in _source(c) for c in later), s.target
