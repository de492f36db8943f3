"""Chapters are committed as notebooks without outputs (Binder users get a clean copy)."""

import json
import subprocess
from pathlib import Path

import pytest

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
