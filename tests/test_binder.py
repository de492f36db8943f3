"""The Binder environment in ``binder/`` installs what the chapters need.

Binder installs ``binder/requirements.txt`` (a CPU torch, ipywidgets and the package itself,
which brings the runtime dependencies of ``pyproject.toml``) and nothing for building or testing
the book. These tests check that this set, with everything it pulls in, covers every module that
a chapter or the package imports, so a chapter cannot start failing on Binder with an
ImportError when someone adds a dependency only to ``requirements.txt``.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import json
import re
import sys
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pip vendors the same parser
    from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# Binder's own image provides the Jupyter server and the kernel.
PROVIDED_BY_BINDER = {"ipykernel", "jupyterlab", "notebook"}
# Only used when the book is built (or turned into course material), never when a chapter runs.
BUILD_ONLY = ("probrnn/sphinxext.py", "probrnn/course/")


def requirement_lines(path: Path) -> list[str]:
    return [s for line in path.read_text().splitlines() if (s := line.split("#", 1)[0].strip())]


def test_binder_pins_the_cpu_build_of_the_project_torch():
    lines = requirement_lines(BINDER / "requirements.txt")
    pinned = [ln for ln in requirement_lines(ROOT / "requirements.txt") if ln.startswith("torch==")]
    assert len(pinned) == 1, f"requirements.txt should pin torch exactly once, got {pinned}"
    version = pinned[0].removeprefix("torch==")
    assert f"--extra-index-url {CPU_INDEX}" in lines
    assert f"torch=={version}+cpu" in lines, f"binder must pin torch=={version}+cpu: {lines}"
    assert "-e ." in lines, "binder must install probrnn from the repository (-e .)"


def _pins(path: Path) -> dict[str, str]:
    """Canonical name -> version specifier of each requirement line of ``path``."""
    pins = {}
    for line in requirement_lines(path):
        if not line.startswith("-"):
            req = Requirement(line)
            pins[canonicalize_name(req.name)] = str(req.specifier)
    return pins


def test_binder_runs_the_chapters_as_ci_tests_them():
    """Binder pins ipykernel as the main environment does, and installs JupyterLab with
    jupyterlab-myst; the main environment has both too, so CI tests the chapters in the
    JupyterLab a Binder reader gets (tests/test_jupyterlab.py). Only Binder uses the CPU-torch
    index: CI installs requirements.txt from PyPI alone."""
    binder, main = _pins(BINDER / "requirements.txt"), _pins(ROOT / "requirements.txt")
    assert binder.get("ipykernel") == main.get("ipykernel") and main.get("ipykernel"), (
        f"ipykernel: binder {binder.get('ipykernel')!r}, requirements.txt {main.get('ipykernel')!r}")
    for name in ("jupyterlab", "jupyterlab-myst"):
        assert name in binder, f"binder/requirements.txt does not install {name}"
        assert binder[name] == main.get(name), (
            f"{name}: binder {binder[name]!r}, requirements.txt {main.get(name)!r}")
    assert not any(CPU_INDEX in line for line in requirement_lines(ROOT / "requirements.txt"))


def test_binder_python_satisfies_the_package():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    m = re.fullmatch(r"python-3\.(\d+)", runtime)
    assert m, f"binder/runtime.txt should read python-3.N, got {runtime!r}"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.10" and int(m.group(1)) >= 10, (runtime, requires)


def _installed_closure(roots: set[str]) -> set[str]:
    """Canonical names of ``roots`` and, recursively, of what they require (in this env)."""
    env = default_environment()
    seen: set[str] = set()
    todo = [canonicalize_name(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        for spec in requires:
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
                continue
            todo.append(canonicalize_name(req.name))
    return seen


def _binder_packages() -> set[str]:
    roots = set(PROVIDED_BY_BINDER)
    for line in requirement_lines(BINDER / "requirements.txt"):
        if not line.startswith("-"):
            roots.add(Requirement(line).name)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    roots |= {Requirement(dep).name for dep in project["dependencies"]}
    return _installed_closure(roots)


def _imports(source: str) -> set[str]:
    source = "\n".join(ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!")))
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _imported_modules() -> dict[str, set[str]]:
    """Top-level module -> files importing it, over the chapters and the package."""
    where: dict[str, set[str]] = {}
    sources = []
    for nb in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        sources += [(nb, "".join(c["source"])) for c in cells if c["cell_type"] == "code"]
    for py in sorted((ROOT / "probrnn").rglob("*.py")):
        if not str(py.relative_to(ROOT)).startswith(BUILD_ONLY):
            sources.append((py, py.read_text()))
    for path, source in sources:
        for module in _imports(source):
            where.setdefault(module, set()).add(str(path.relative_to(ROOT)))
    return where


def test_binder_installs_everything_the_chapters_import():
    provided = _binder_packages()
    dists = md.packages_distributions()
    missing = []
    for module, files in sorted(_imported_modules().items()):
        if module in sys.stdlib_module_names or module == "probrnn" or module == "__future__":
            continue
        names = {canonicalize_name(d) for d in dists.get(module, [])}
        if not names & provided:
            missing.append(f"{module} (distribution {sorted(names) or 'not installed here'}), "
                           f"imported by {sorted(files)}")
    assert not missing, "Binder would not install:\n  " + "\n  ".join(missing)


def test_the_import_check_can_fail():
    """A module outside Binder's set (here: sphinx, only for building the book) is caught."""
    assert "sphinx" not in _binder_packages()
    assert _imports("import numpy as np\nfrom sphinx.util import x\n%time y\n") == {"numpy", "sphinx"}
