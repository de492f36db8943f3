"""A tiny fake book for the course tools' fast tests (``tests/test_course.py``).

Two short chapters with everything the tools must handle: exercises with and without a code
solution, a solution in a backtick fence and one in a colon fence, a solution followed by the
next exercise in the same cell, a solution in a cell of its own, a proposition with its proof, a
labelled equation, a custom MathJax macro, cross-references and a plotly figure drawn by the
book's renderer. Every solution carries a marker word (``SOLUTIONMARK`` + a number) so a test can
tell whether any of it survived. It builds (executed) in well under a minute.
"""

from __future__ import annotations

import json
from pathlib import Path

CONFIG = """\
title: "A fake book"
author: "probrnn tests"
only_build_toc_files: true
exclude_patterns: [_build]
execute:
  execute_notebooks: force
  timeout: 120
  allow_errors: false
parse:
  myst_enable_extensions: [amsmath, colon_fence, dollarmath]
launch_buttons:
  binderhub_url: https://mybinder.org
  colab_url: https://colab.research.google.com
repository:
  url: https://github.com/probrnn/probrnn
  branch: main
html:
  use_repository_button: true
sphinx:
  extra_extensions:
    - probrnn.sphinxext
    - sphinx-mathjax-offline
    - sphinx_proof
    - sphinx_exercise
  config:
    nb_ipywidgets_js: {}
    suppress_warnings: ["mystnb.unknown_mime_type"]
    mathjax_path: mathjax/tex-chtml.js
    numfig: true
    math_eqref_format: "({number})"
    mathjax3_config:
      tex:
        macros:
          "nstates": "m"
"""

TOC = """\
format: jb-book
root: book/intro
parts:
  - caption: Chapters
    numbered: true
    chapters:
      - file: book/01_alpha
      - file: book/02_beta
  - caption: Using the book
    chapters:
      - file: book/notes
"""

INTRO = "# A fake book\n\nTwo chapters, {doc}`01_alpha` and {doc}`02_beta`.\n"
NOTES = "# Notes\n\nSee {ref}`ex-alpha-1` and {prf:ref}`prop-alpha`.\n"


def _md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text: str, tags=()) -> dict:
    meta = {"tags": list(tags)} if tags else {}
    return {"cell_type": "code", "metadata": meta, "source": text, "outputs": [],
            "execution_count": None}


def _notebook(cells) -> dict:
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3",
                                                        "language": "python", "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


ALPHA = [
    _md("# Alpha chapter\n\nAn introduction.\n\n```{admonition} Learning objectives\n:class: tip\n"
        "After this chapter you can\n* add two numbers;\n* draw a line.\n```\n"),
    _code("from probrnn.figures.render import use_book_renderer\nuse_book_renderer()\n"
          "import plotly.graph_objects as go"),
    _md("## The sum\n\nThe sum is\n\n$$\ns = a + b \\quad (\\nstates \\text{ terms})\n$$ (eq-alpha-sum)\n\n"
        "```{prf:proposition} Sums commute\n:label: prop-alpha\nFor numbers $a, b$, {eq}`eq-alpha-sum` "
        "gives $a + b = b + a$, the COMMUTESTATEMENT.\n```\n\n"
        "```{prf:proof}\nPROOFTEXT: by the axioms.\n```\n"),
    _code("fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[0, 1, 4], name='squares'))\n"
          "fig.update_layout(title='FIGTITLE squares')\nfig"),
    _md("## Exercises\n\n```{exercise} Add\n:label: ex-alpha-1\nAdd 2 and 3 (EXERCISETEXT1).\n```\n\n"
        "```{solution} ex-alpha-1\n:class: dropdown\nSOLUTIONMARK1: the answer is five.\n```\n"),
    _code("answer_SOLUTIONMARK2 = 2 + 3\nprint(answer_SOLUTIONMARK2)", tags=["hide-input"]),
    _md("```{exercise} Commute\n:label: ex-alpha-2\nShow {prf:ref}`prop-alpha` (EXERCISETEXT2).\n```\n\n"
        ":::{solution} ex-alpha-2\n:class: dropdown\nSOLUTIONMARK3, with $a + b$.\n:::\n\n"
        "```{exercise} Subtract\n:label: ex-alpha-3\nSubtract (EXERCISETEXT3).\n```\n"),
    _md("```{solution} ex-alpha-3\n:class: dropdown\nSOLUTIONMARK4 in a cell of its own.\n```"),
    _code("print('SOLUTIONMARK5')", tags=["hide-cell"]),
    _md("## Summary\n\n* Sums commute (SUMMARYTEXT).\n* See {ref}`ex-alpha-1`.\n"),
]

BETA = [
    _md("# Beta chapter\n\n```{admonition} Learning objectives\n:class: tip\n* multiply.\n```\n\n"
        "```{prf:definition} Product\n:label: def-beta\nThe product of $a$ and $b$ is $ab$ "
        "(DEFINITIONTEXT).\n```\n"),
    _code("x = 6 * 7\nx"),
    _md("## Exercises\n\n```{exercise} Multiply\n:label: ex-beta-1\nMultiply (EXERCISETEXT4).\n```\n\n"
        "```{solution} ex-beta-1\n:class: dropdown\nSOLUTIONMARK6.\n```\n"),
    _code("y_SOLUTIONMARK7 = x * 2", tags=["hide-input"]),
    _md("## Summary\n\n* Products (SUMMARYBETA).\n"),
]

SOLUTION_MARKS = [f"SOLUTIONMARK{i}" for i in range(1, 8)]
KEPT_MARKS = ["EXERCISETEXT1", "EXERCISETEXT2", "EXERCISETEXT3", "EXERCISETEXT4", "SUMMARYTEXT",
              "COMMUTESTATEMENT", "DEFINITIONTEXT", "SUMMARYBETA"]


def make_fake_book(dest: Path) -> Path:
    """Write the fake book into ``dest`` (created) and return it."""
    dest = Path(dest)
    (dest / "book").mkdir(parents=True, exist_ok=True)
    (dest / "_config.yml").write_text(CONFIG)
    (dest / "_toc.yml").write_text(TOC)
    (dest / "book" / "intro.md").write_text(INTRO)
    (dest / "book" / "notes.md").write_text(NOTES)
    for name, cells in (("01_alpha", ALPHA), ("02_beta", BETA)):
        (dest / "book" / f"{name}.ipynb").write_text(json.dumps(_notebook(cells), indent=1))
    return dest
