"""Building the book from a copy of its sources: the common machinery of the student edition,
the PDF and the slides.

:func:`copy_sources` copies the book into a scratch folder (everything but version control,
builds and caches), so a tool can change the copy (strip solutions, switch execution off, swap
in executed notebooks) and never the checkout. :func:`run_jupyter_book` builds a copy with the
``jupyter-book`` beside this Python, warnings as errors as in CI, and raises :class:`BuildError`
with the warnings when the build fails. :func:`reusable_build` finds a build of the checkout that
is newer than every source, whose executed notebooks can be reused instead of running every
chapter again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .sources import chapters, docname

IGNORED = {".git", "_build", ".venv", "venv", "__pycache__", ".ipynb_checkpoints", ".pytest_cache",
           ".ruff_cache", ".jupyter_cache", "node_modules"}
# What a build of the book depends on: a change to any of them makes a build stale.
SOURCES = ("book", "probrnn", "results", "_config.yml", "_toc.yml")


class BuildError(RuntimeError):
    """A jupyter-book build failed; the message lists its warnings and errors."""


def _ignore(folder, names):
    return [n for n in names if n in IGNORED or n.endswith(".egg-info")]


def copy_sources(root: Path, dest: Path) -> Path:
    """Copy the book at ``root`` to ``dest`` (created), leaving out VCS, builds and caches."""
    shutil.copytree(root, dest, ignore=_ignore, symlinks=True)
    return Path(dest)


def edit_config(tree: Path, edit) -> None:
    """Apply ``edit(config_dict)`` to the ``_config.yml`` of a copied book."""
    import yaml

    path = Path(tree) / "_config.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    edit(config)
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


def set_execution(tree: Path, mode: str) -> None:
    """``execute_notebooks`` of a copied book: ``"force"``, ``"cache"`` or ``"off"``."""
    edit_config(tree, lambda c: c.setdefault("execute", {}).update(execute_notebooks=mode))


def jupyter_book_executable() -> str:
    """``jupyter-book`` beside this Python (a venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("jupyter-book")
    return str(beside) if beside.exists() else "jupyter-book"


def run_jupyter_book(tree: Path, out: Path, builder: str = "html", strict: bool = True,
                     log=print) -> Path:
    """Build the book at ``tree`` into ``out/_build/<builder>`` and return that folder.

    ``strict`` adds ``-W -n --keep-going`` (every warning, and every broken reference, fails the
    build, as in CI). Progress lines (documents read, notebooks executed) go to ``log``.
    """
    cmd = [jupyter_book_executable(), "build", str(tree), "--builder", builder,
           "--path-output", str(out), "--all"]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    start = time.perf_counter()
    log(f"[probrnn] jupyter-book build --builder {builder} (this executes the chapters unless "
        f"told not to) ...")
    proc = subprocess.Popen(cmd, cwd=tree, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    lines = []
    for line in proc.stdout:
        line = re.sub(r"\x1b\[[0-9;]*m", "", line.rstrip("\n"))
        lines.append(line)
        if re.search(r"Executed notebook|Executing notebook failed|WARNING|ERROR", line):
            log(f"[probrnn]   {line.strip()[-150:]}")
    proc.wait()
    seconds = time.perf_counter() - start
    target = Path(out) / "_build" / builder
    if proc.returncode != 0 or not target.is_dir():
        flagged = [ln for ln in lines if re.search(r"WARNING|ERROR|Error|Traceback", ln)][:40]
        reports = sorted((Path(out) / "_build").rglob("*.err.log"))
        detail = ""
        if reports:
            tail = reports[0].read_text(errors="replace").splitlines()[-12:]
            detail = f"\n{reports[0]}:\n" + "\n".join(re.sub(r"\x1b\[[0-9;]*m", "", t) for t in tail)
        raise BuildError(f"jupyter-book build --builder {builder} failed (exit {proc.returncode}) "
                         f"after {seconds:.0f} s:\n" + "\n".join(flagged + ["..."] + lines[-10:])
                         + detail)
    log(f"[probrnn] built {target} in {seconds:.0f} s")
    return target


# --------------------------------------------------------------------------- reuse
def newest_source_mtime(root: Path) -> float:
    """Latest modification time of any file the book's build depends on."""
    newest = 0.0
    for name in SOURCES:
        path = Path(root) / name
        files = [path] if path.is_file() else path.rglob("*") if path.is_dir() else []
        for f in files:
            rel = f.relative_to(root).parts
            if f.is_file() and not any(p in IGNORED or p.startswith(".") for p in rel) \
                    and f.suffix not in {".pyc", ".pyo"}:
                newest = max(newest, f.stat().st_mtime)
    return newest


def executed_notebooks(root: Path, build: Path) -> dict[str, Path]:
    """``{docname: executed notebook}`` for every notebook chapter of the book at ``root``
    found under ``build/jupyter_execute`` (a jupyter-book ``_build`` folder)."""
    found = {}
    for path in chapters(root):
        if path.suffix == ".ipynb":
            name = docname(root, path)
            executed = Path(build) / "jupyter_execute" / f"{name}.ipynb"
            if not executed.is_file():
                raise ValueError(f"{build} holds no executed copy of {name} "
                                 f"(looked for {executed}); build the book first")
            found[name] = executed
    return found


def failed_chapters(build: Path, executed: dict[str, Path]) -> list[str]:
    """The chapters whose execution failed in a build: an error report, or an error output."""
    failed = {p.name.removesuffix(".err.log") for p in (Path(build) / "html" / "reports").rglob("*.err.log")}
    for name, path in executed.items():
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        if any(o.get("output_type") == "error" for c in cells for o in c.get("outputs", [])):
            failed.add(Path(name).name)
    return sorted(failed)


def reusable_build(root: Path) -> Path | None:
    """``ROOT/_build`` when its HTML and executed notebooks are newer than every source and no
    chapter failed to execute."""
    build = Path(root) / "_build"
    try:
        executed = executed_notebooks(root, build)
    except ValueError:
        return None
    pages = list((build / "html").rglob("*.html"))
    if not pages or failed_chapters(build, executed):
        return None
    oldest = min([p.stat().st_mtime for p in executed.values()] + [p.stat().st_mtime for p in pages])
    return build if oldest > newest_source_mtime(root) else None


def check_build(root: Path, build: Path) -> dict[str, Path]:
    """The executed chapters of ``build``; a ValueError if one is missing or failed to run."""
    executed = executed_notebooks(root, build)
    failed = failed_chapters(build, executed)
    if failed:
        raise ValueError(f"{build} is the build of a book whose chapters failed to execute "
                         f"({', '.join(failed)}): fix them and build again, or pass --execute")
    return executed


def use_executed(tree: Path, root: Path, build: Path) -> None:
    """Put the executed chapters of ``build`` in place of the copied ones in ``tree`` and switch
    execution off, so the copy builds without running anything. Refuses a build in which a
    chapter failed to execute."""
    for name, notebook in check_build(root, build).items():
        shutil.copyfile(notebook, Path(tree) / f"{name}.ipynb")
    set_execution(tree, "off")
