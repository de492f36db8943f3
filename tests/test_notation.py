"""The chapters read well outside the book.

* Formulas are plain LaTeX, with no macro of the book's own, so they typeset the same in the
  built book, in JupyterLab and on Colab (``tools/expand_macros.py`` removed the macros that only
  ``_config.yml`` defined; these tests keep them from coming back).
* MyST directives use colon fences (``tools/colon_fences.py``), which plain Markdown (Colab)
  shows as text with its formulas rendered, not as a code block.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("expand_macros", ROOT / "tools" / "expand_macros.py")
expand_macros = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(expand_macros)
MACROS = expand_macros.MACROS
_spec = importlib.util.spec_from_file_location("colon_fences", ROOT / "tools" / "colon_fences.py")
colon_fences = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(colon_fences)


def test_the_book_defines_no_macros():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    mathjax = config.get("sphinx", {}).get("config", {}).get("mathjax3_config", {})
    assert not (mathjax.get("tex") or {}).get("macros"), (
        "_config.yml defines MathJax macros again; JupyterLab and Colab never see them")


def test_no_chapter_or_page_uses_a_macro(capsys):
    code = expand_macros.main(["--check", str(ROOT / "book")])
    assert code == 0, capsys.readouterr().out


def test_expansion():
    cases = {
        r"$\Hs{t} \mid \xpre{t}$": r"$H_{t} \mid x_{1:t}$",
        r"$\belief{t+1} = \Dop{x_{t+1}} \Vop \belief{t}$": r"$\alpha_{t+1} = D_{x_{t+1}} V \alpha_{t}$",
        r"$\pistart_i \one^\top \nstates^2$": r"$\pi_i \mathbf{1}^\top m^2$",
        r"$x_\Hs{t}$": r"$x_{H_{t}}$",  # after a subscript: braced
        r"$\Hs t$": r"$H_{t}$",  # an argument without braces
        r"$\fa_1$": r"${f_{\alpha}}_1$",  # no double subscript
        r"$\nstatesx \Hsx$": r"$\nstatesx \Hsx$",  # other macros are left alone
    }
    for source, want in cases.items():
        got, _ = expand_macros.expand_markdown(source, MACROS)
        assert got == want, (source, got)
        assert expand_macros.expand_markdown(got, MACROS)[0] == got  # idempotent


def test_code_is_left_alone_and_directives_are_not():
    source = ("Text $\\nhid$ and `\\nhid` in code.\n\n"
              "```{exercise} The $\\nstates$ states\n:label: ex\nFor $\\nstates = 2$.\n```\n\n"
              "```python\nprint('\\nstates')\n```\n")
    got, _ = expand_macros.expand_markdown(source, MACROS)
    assert got == ("Text $k$ and `\\nhid` in code.\n\n"
                   "```{exercise} The $m$ states\n:label: ex\nFor $m = 2$.\n```\n\n"
                   "```python\nprint('\\nstates')\n```\n")
    code, _ = expand_macros.expand_code('print("\\nstates")\ntitle = "$\\nhid$ units"', MACROS)
    assert code == 'print("\\nstates")\ntitle = "$k$ units"'


def test_python_escapes_that_ate_a_backslash_are_repaired():
    broken = "For $\nhid = 20$ and $\x08elief{t}$; a new\nhidden line stays."
    got, notes = expand_macros.expand_markdown(broken, MACROS)
    assert got == "For $k = 20$ and $\\alpha_{t}$; a new\nhidden line stays.", got
    assert len(notes) == 2


def test_notebook_rewrite_keeps_everything_else(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "metadata": {"x": 1},
                     "source": ["$\\Hs{1}$ and\n", "$\\nstates$"]},
                    {"cell_type": "code", "metadata": {}, "execution_count": None,
                     "outputs": [], "source": ["x = 1"]}],
          "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(nb, indent=1) + "\n")
    assert expand_macros.rewrite_notebook(path, MACROS)
    out = json.loads(path.read_text())
    assert out["cells"][0]["source"] == ["$H_{1}$ and\n", "$m$"]
    assert out["cells"][0]["metadata"] == {"x": 1} and out["cells"][1] == nb["cells"][1]
    assert out["metadata"] == nb["metadata"]
    before = path.read_text()
    assert not expand_macros.rewrite_notebook(path, MACROS)  # a second run changes nothing
    assert path.read_text() == before


def test_every_directive_uses_colon_fences(capsys):
    code = colon_fences.main(["--check", str(ROOT / "book")])
    assert code == 0, capsys.readouterr().out


def test_colon_fences():
    source = ("````{solution} ex-1\n:class: dropdown\nText $x$.\n```python\ncode\n```\n"
              "```{note}\ninner\n```\n````\n\n```{code-cell} python\nx = 1\n```\n")
    want = ("::::{solution} ex-1\n:class: dropdown\n\nText $x$.\n```python\ncode\n```\n"
            ":::{note}\n\ninner\n\n:::\n\n::::\n\n```{code-cell} python\nx = 1\n```\n")
    got = colon_fences.convert(source)
    assert got == want, got
    assert colon_fences.convert(got) == got  # idempotent


def test_references_stay_within_their_chapter():
    """A {prf:ref}, {eq}, {ref} or {numref} to a label of another chapter resolves in the built
    book but not in JupyterLab (jupyterlab-myst sees one notebook at a time: "Cross Reference Not
    Found"); between chapters the text names the chapter with {doc} instead."""
    import re

    labels, refs = {}, []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] != "markdown":
                continue
            text = "".join(cell["source"])
            for label in re.findall(r":label: ([\w-]+)", text):
                labels[label] = path.name
            for label in re.findall(r"\$\$ *\(([\w-]+)\)", text):
                labels[label] = path.name
            for role, target in re.findall(r"\{(prf:ref|eq|ref|numref)\}`([^`]+)`", text):
                refs.append((path.name, i, role, target.split("<")[-1].rstrip(">")))
    assert labels, "no labels found in the chapters"
    crossing = [f"{name}: cell {i}: {{{role}}}`{target}` is defined in {labels[target]}"
                for name, i, role, target in refs if target in labels and labels[target] != name]
    assert not crossing, "\n".join(crossing)
