"""Every glossary term is linked at its first use on each page (``tools/glossary_links.py``).

The links are plain Markdown (``[words](glossary.md#term-...)``), which the book resolves to the
term's entry (``probrnn.sphinxext.GlossaryLinks``, a warning and so a failed build if the term
is not in the glossary), JupyterLab follows to the glossary, and Colab shows as words.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("glossary_links", ROOT / "tools" / "glossary_links.py")
gl = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gl)

ENTRIES = gl.glossary_entries()


def test_the_glossary_is_read():
    names = {name for entry in ENTRIES for name in entry}
    assert len(ENTRIES) >= 40
    assert {"forward algorithm", "HMM", "hidden Markov model", "particle filter"} <= names
    assert ["hidden Markov model", "HMM"] in ENTRIES


def test_term_ids_are_sphinx_anchors():
    assert gl.term_id("hidden Markov model") == "term-hidden-Markov-model"
    assert gl.term_id("Wasserstein-1 distance") == "term-Wasserstein-1-distance"


def test_every_page_links_each_term_at_first_use(capsys):
    assert gl.main(["--check"]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("page", gl.PAGES, ids=lambda p: p.name)
def test_each_page_links_the_glossary(page):
    text = page.read_text()
    assert len(gl.LINK.findall(text if page.suffix == ".md" else
                               "".join("".join(c["source"]) for c in json.loads(text)["cells"]))) >= 10


def _plan(tmp_path, text):
    page = tmp_path / "page.md"
    page.write_text(text)
    return page, gl.plan(page, ENTRIES)


def test_the_first_use_in_prose_is_linked(tmp_path):
    page, (links, unknown) = _plan(tmp_path, (
        "# The forward algorithm\n"  # a heading: not linked
        "Run `forward algorithm` and $forward algorithm$ and [forward algorithm](x.md).\n"
        "A particle filter is a filter; the forward algorithm filters, as HMMs do.\n"
        "The forward algorithm again.\n"))
    assert unknown == []
    ids = [link[-1] for link in links]
    assert ids == ["term-particle-filter", "term-filter", "term-forward-algorithm", "term-HMM"]
    gl.apply(page, links)
    line = page.read_text().splitlines()[2]
    assert line == ("A [particle filter](glossary.md#term-particle-filter) is a "
                    "[filter](glossary.md#term-filter); the "
                    "[forward algorithm](glossary.md#term-forward-algorithm) filters, as "
                    "[HMMs](glossary.md#term-HMM) do.")
    assert gl.plan(page, ENTRIES)[0] == []  # idempotent


def test_a_later_link_does_not_excuse_an_unlinked_first_use(tmp_path):
    _, (links, _) = _plan(tmp_path, (
        "The Kalman filter.\n\nThe [Kalman filter](glossary.md#term-Kalman-filter).\n"))
    assert [(link[1], link[-1]) for link in links] == [(0, "term-Kalman-filter")]


def test_a_link_to_an_unknown_term_is_reported(tmp_path):
    _, (_, unknown) = _plan(tmp_path, "An [oracle](glossary.md#term-oracle).\n")
    assert unknown == [(0, 0, "term-oracle")]


def test_math_blocks_and_directive_lines_are_skipped(tmp_path):
    _, (links, _) = _plan(tmp_path, (
        ":::{admonition} The Kalman filter\n:class: tip\n\n$$\n\\text{particle filter}\n$$\n\n"
        "Then a grid filter.\n:::\n"))
    assert [link[-1] for link in links] == ["term-grid-filter"]


def test_a_labelled_display_ends_the_math(tmp_path):
    _, (links, _) = _plan(tmp_path, (
        "$$\nx = 1\n$$ (eq-one)\n\nThe grid filter after it.\n(eq-target)=\n"
        "(A Kalman filter in brackets.)\n"))
    assert [(link[1], link[-1]) for link in links] == [(4, "term-grid-filter"),
                                                      (6, "term-Kalman-filter")]


def test_a_plural_name_also_matches_its_singular(tmp_path):
    _, (links, _) = _plan(tmp_path, "One hidden unit is enough.\n")
    assert [link[-1] for link in links] == ["term-hidden-units"]


def test_the_tool_moves_a_link_to_the_first_use(tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    page.write_text("The grid filter.\nA [grid filter](glossary.md#term-grid-filter) again.\n")
    monkeypatch.setattr(gl, "PAGES", [page])
    monkeypatch.setattr(gl, "ROOT", tmp_path)
    assert gl.main(["--check"]) == 1
    assert gl.main([]) == 0
    assert page.read_text() == ("The [grid filter](glossary.md#term-grid-filter).\n"
                                "A grid filter again.\n")
    assert gl.main(["--check"]) == 0
