"""The chapters as a reader runs them on Binder: in a live JupyterLab, in headless Chromium.

JupyterLab (with jupyterlab-myst, as in ``binder/requirements.txt``) serves a copy of ``book/``
and ``results/``; each chapter ``book/*.ipynb`` is opened in turn, run with Run All, and checked
for what a reader would see go wrong:

* an error output in any cell;
* math that does not typeset (jupyterlab-myst's KaTeX error, MathJax's ``mjx-merror``), such as a
  macro defined only in the book's ``_config.yml``;
* MyST left as literal text in a Markdown cell (``{eq}`...```, ``:label:``, a fenced directive);
* each live control (ipywidgets): it draws its figure (pressing its button if it draws on
  demand), and after one control is changed and its button pressed, it draws a new one; no
  label or button of a control is cut off;

and finally a notebook saved with a live control, reopened after the server restarts (its
widget models gone with the old kernel), shows the note that says to run the cell, not
JupyterLab's "Error displaying widget: model not found".

The time each chapter takes (open, Run All, live controls) is printed at the end. Chapters run
one at a time, each kernel shut down before the next starts. Citations are not checked:
jupyterlab-myst cannot read the book's ``references.bib`` and shows each ``{cite}`` as its key,
flagged "Citation Not Found" (the count is printed). Skipped where ``/usr/bin/chromium``,
JupyterLab or Playwright is missing.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest
from lab_support import (
    CHROMIUM,
    ROOT,
    LabPage,
    LabServer,
    copy_book,
    cut_off_labels,
    exercise_live_control,
    launch_browser,
    run_notebook,
)

CHAPTERS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "book").glob("*.ipynb"))
RUN_TIMEOUT = 600  # seconds for one chapter's Run All
CONTROL_TIMEOUT = 180  # seconds for a live control to draw

_missing = [what for what, ok in (
    (f"Chromium at {CHROMIUM} (apt-get install chromium)", CHROMIUM.exists()),
    ("JupyterLab (pip install jupyterlab jupyterlab-myst)",
     importlib.util.find_spec("jupyterlab") is not None),
    ("Playwright (pip install playwright)", importlib.util.find_spec("playwright") is not None),
) if not ok]
pytestmark = pytest.mark.skipif(bool(_missing), reason="the live-notebook test needs "
                                + ", ".join(_missing))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return copy_book(tmp_path_factory.mktemp("lab-root"))


@pytest.fixture(scope="module")
def server(workdir, tmp_path_factory):
    if importlib.util.find_spec("jupyterlab_myst") is None:
        pytest.fail("jupyterlab-myst is not installed (requirements.txt and the Binder "
                    "environment install it); without it MyST shows as raw text", pytrace=False)
    with LabServer(workdir, tmp_path_factory.mktemp("lab-state")) as s:
        yield s


@pytest.fixture(scope="module")
def browser(playwright):  # the session's Playwright (tests/conftest.py)
    b = launch_browser(playwright)
    yield b
    b.close()


@pytest.fixture(scope="module")
def chapters(server, browser) -> dict:
    """Every chapter run once: {path: (NotebookReport, [ControlReport], cut-off labels, s)}."""
    results = {}
    for path in CHAPTERS:
        lab = LabPage(browser, server)
        try:
            report = run_notebook(lab, path, RUN_TIMEOUT)
            start = time.perf_counter()
            controls, cut = [], []
            for index in report.controls:
                cut += [f"cell {index}: {c}" for c in cut_off_labels(lab, index)]
                controls.append(exercise_live_control(lab, index, CONTROL_TIMEOUT))
            results[path] = (report, controls, cut, time.perf_counter() - start)
            if path == CHAPTERS[0]:
                lab.command("docmanager:save")  # for test_reopened_live_control_says_run_it
        finally:
            lab.close()
            server.shutdown_kernels()
    return results


def _fail_on(found: dict[str, list[str]]) -> None:
    found = {k: v for k, v in found.items() if v}
    if found:
        pytest.fail("\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in found.items()),
                    pytrace=False)


def test_chapters_run_without_errors(chapters):
    _fail_on({p: r.errors + ([f"only {r.ran} of {r.code_cells} code cells ran"]
                             if r.ran != r.code_cells else [])
              for p, (r, *_) in chapters.items()})


def test_math_typesets(chapters):
    _fail_on({p: r.math_errors + ([] if r.katex + r.mathjax else ["no typeset math at all"])
              for p, (r, *_) in chapters.items()})


def test_no_raw_myst_in_markdown(chapters):
    _fail_on({p: r.literal + ([f"{r.unrendered_markdown} Markdown cells not rendered"]
                              if r.unrendered_markdown else [])
              for p, (r, *_) in chapters.items()})


def test_live_controls_draw_and_respond(chapters):
    assert any(controls for _, controls, _, _ in chapters.values()), "no live control found"
    _fail_on({p: [f"cell {c.cell}: {x}" for c in controls for x in c.problems]
              for p, (_, controls, _, _) in chapters.items()})


def test_live_control_labels_are_not_cut_off(chapters):
    _fail_on({p: cut for p, (_, _, cut, _) in chapters.items()})


def test_reopened_live_control_says_to_run_its_cell(chapters, server, browser):
    """The first chapter was saved with its live control; after a server restart its widget
    model is gone. The reader sees the note, and no widget error."""
    path = CHAPTERS[0]
    report, *_ = chapters[path]
    assert report.controls, f"{path} has no live control to reopen"
    server.restart()
    lab = LabPage(browser, server)
    try:
        lab.open(path)
        cell = lab.cell(report.controls[0])
        note = cell.locator(".probrnn-live-note")
        note.wait_for(state="visible", timeout=30_000)
        lab.page.wait_for_timeout(3000)  # the widget manager gives up on the model after ~2 s
        error = cell.get_by_text("Error displaying widget")
        assert note.is_visible(), "the note that says to run the cell is not shown"
        assert error.count() == 0 or not error.first.is_visible(), (
            "a reopened live control shows JupyterLab's widget error")
        shown = " ".join(cell.locator(".jp-OutputArea").all_inner_texts())
        assert "run this cell" in shown, shown
    finally:
        lab.close()
        server.shutdown_kernels()


def test_report_times(chapters, request):
    """Print the time per chapter (and what each live control did)."""
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    lines = ["", "JupyterLab, per chapter: open + Run All + live controls (seconds):"]
    for path, (r, controls, _, seconds) in chapters.items():
        lines.append(f"  {path}: open {r.seconds_open:.1f}, Run All {r.seconds_run:.1f}, "
                     f"controls {seconds:.1f}; {r.katex} KaTeX + {r.mathjax} MathJax formulas, "
                     f"{len(r.citations)} citations shown as keys")
        for c in controls:
            redraw = "-" if c.seconds_to_redraw is None else f"{c.seconds_to_redraw:.1f} s"
            lines.append(f"    cell {c.cell}: drew at start {c.drew_at_start}; {c.changed}"
                         + (f", pressed {c.pressed!r}" if c.pressed else "")
                         + f"; redrawn in {redraw}")
    if tr is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            for line in lines:
                tr.write_line(line)
    assert chapters
