"""The book's sources as the course tools see them: where the book is, which documents are its
chapters (from ``_toc.yml``), and the exercises, solutions and statements inside each chapter.

A chapter is a Jupyter notebook (``.ipynb``) or a MyST markdown file (``.md``). Exercises are
sphinx-exercise blocks, ```` ```{exercise} Title ```` with a ``:label:``, each followed by a
```` ```{solution} label ```` block. The code of a coding exercise's solution is the code cell
right after the markdown cell that the solution block ends (in a MyST ``.md`` file: a
```` ```{code-cell} ```` block right after the solution block).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import myst

BOOK_FILES = ("_config.yml", "_toc.yml")
PROOF_KINDS = ("definition", "theorem", "proposition", "lemma", "corollary", "conjecture",
               "axiom", "criterion", "remark", "property", "observation", "example",
               "algorithm", "assumption", "notation")


# --------------------------------------------------------------------------- the book
def find_root(start=None) -> Path:
    """The book's root folder (the one holding ``_config.yml`` and ``_toc.yml``): ``start`` or
    one of its parents, else the folder above the installed ``probrnn`` package."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if all((folder / name).is_file() for name in BOOK_FILES):
            return folder
    beside = Path(__file__).resolve().parents[2]
    if all((beside / name).is_file() for name in BOOK_FILES):
        return beside
    raise ValueError(f"no Jupyter Book here: neither {here} nor its parents hold "
                     f"{' and '.join(BOOK_FILES)}; run from the repository (or pass --book)")


def _toc(root: Path) -> dict:
    import yaml

    return yaml.safe_load((Path(root) / "_toc.yml").read_text(encoding="utf-8"))


def _resolve(root: Path, docname: str) -> Path:
    for suffix in ("", ".ipynb", ".md"):
        path = Path(root) / f"{docname}{suffix}"
        if path.is_file():
            return path
    raise ValueError(f"_toc.yml lists {docname!r}, which is not a file under {root}")


def root_doc(root: Path) -> str:
    """The root document of ``_toc.yml`` without suffix, e.g. ``book/intro``."""
    return str(Path(_toc(root)["root"]).with_suffix(""))


def documents(root: Path) -> list[Path]:
    """Every document of ``_toc.yml`` (the root first), as paths."""
    toc = _toc(root)
    names = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                names.append(node["file"])
            for key, value in node.items():
                if key != "file":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return [_resolve(root, n) for n in names]


def chapters(root: Path) -> list[Path]:
    """The documents of the numbered parts of ``_toc.yml`` (the chapters), in order."""
    found = []
    for part in _toc(root).get("parts", []):
        if not part.get("numbered"):
            continue
        for entry in part.get("chapters", []):
            found.append(_resolve(root, entry["file"]))
    return found


def docname(root: Path, path: Path) -> str:
    """``book/01_hmm_forward`` for ``ROOT/book/01_hmm_forward.ipynb``."""
    return Path(path).resolve().relative_to(Path(root).resolve()).with_suffix("").as_posix()


# --------------------------------------------------------------------------- cells
@dataclass(frozen=True)
class Cell:
    kind: str     # "markdown" or "code"
    source: str
    tags: tuple = ()


def read_cells(path: Path) -> list[Cell]:
    """The cells of a notebook, or of a MyST ``.md`` file read as one markdown cell."""
    path = Path(path)
    if path.suffix == ".md":
        return [Cell("markdown", path.read_text(encoding="utf-8"))]
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for c in nb["cells"]:
        src = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        cells.append(Cell(c["cell_type"], src, tuple(c.get("metadata", {}).get("tags", []))))
    return cells


def title(path: Path) -> str:
    """The first ``# heading`` of a document."""
    for cell in read_cells(path):
        if cell.kind != "markdown":
            continue
        in_fence = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith(("```", ":::")):
                in_fence = not in_fence
            if not in_fence and line.startswith("# "):
                return line[2:].strip()
    raise ValueError(f"{path} has no '# title' line")


# --------------------------------------------------------------------------- exercises
@dataclass(frozen=True)
class Exercise:
    label: str
    title: str
    body: str
    cell: int


@dataclass(frozen=True)
class Solution:
    """A solution block: the exercise it solves, its text, and its code (``""`` if none)."""

    target: str
    body: str
    cell: int
    code_cell: int | None = None
    code: str = ""


def exercises(path: Path) -> list[Exercise]:
    """Every ``{exercise}`` block of a chapter, in order."""
    found = []
    for i, cell in enumerate(read_cells(path)):
        if cell.kind == "markdown":
            for b in myst.directives(cell.source, "exercise"):
                if not b.label:
                    raise ValueError(f"{path}: exercise {b.argument!r} has no :label:")
                found.append(Exercise(b.label, b.argument, b.body, i))
    return found


def _code_cell_block(text: str, after: int) -> myst.Block | None:
    """The ``{code-cell}`` block that starts right after offset ``after`` (blank lines apart)."""
    for b in myst.blocks(text):
        if b.start >= after:
            return b if b.name == "code-cell" and not text[after:b.start].strip() else None
    return None


def solutions(path: Path) -> list[Solution]:
    """Every ``{solution}`` block of a chapter with the code cell that belongs to it."""
    cells = read_cells(path)
    found = []
    for i, cell in enumerate(cells):
        if cell.kind != "markdown":
            continue
        sols = myst.directives(cell.source, "solution")
        for n, b in enumerate(sols):
            code_cell, code = None, ""
            if Path(path).suffix == ".md":
                block = _code_cell_block(cell.source, b.end)
                if block is not None:
                    code = block.body
            elif (n == len(sols) - 1 and not cell.source[b.end:].strip()
                  and i + 1 < len(cells) and cells[i + 1].kind == "code"):
                code_cell, code = i + 1, cells[i + 1].source
            found.append(Solution(b.argument.split()[0] if b.argument else "", b.body, i,
                                  code_cell, code))
    return found


def statements(path: Path) -> list[tuple[str, myst.Block]]:
    """The sphinx-proof blocks of a chapter other than proofs: ``(kind, block)`` pairs."""
    found = []
    for cell in read_cells(path):
        if cell.kind == "markdown":
            for b in myst.blocks(cell.source):
                kind = b.name.removeprefix("prf:")
                if b.name.startswith("prf:") and kind in PROOF_KINDS:
                    found.append((kind, b))
    return found
