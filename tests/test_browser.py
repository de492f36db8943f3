"""The built book, read in a real browser: headless Chromium, pages opened from disk, network off.

Every page of the book is opened once (light mode, then switched to the theme's dark mode) and
checked for: console and page errors; requests that tried to leave the machine; plotly figures
that did not draw; plotly.js loaded more than once (or not at all where there are figures), or
inlined; MathJax that did not typeset or reported a TeX error; cross-references, citations and
links that do not resolve; figure text that is unreadable in either mode (contrast with what is
behind it); figures without alt text or a visible caption, sliders and controls without labels,
images without alt; and what a reader sees at 1280 px: code blocks, text outputs, tables and
equations wider than the text column, raw TeX in the visible text, figure parts that overlap
(a title over a legend, a colour bar over the next panel's labels, two subplot titles) or stick
out of the figure (a clipped title), figure text under 9 px, and heatmaps whose values use only
a sliver of their fixed colour scale. Screenshots of every page in both modes and a page-weight table go to
``_build/screenshots/``. The launch and download buttons of chapter pages are checked in the
HTML. The last tests run every check on a deliberately broken page, to show each can fail.

The book under test is ``$PROBRNN_BOOK_HTML`` if set, else ``_build/html`` if it is newer than
every source, else a fresh ``jupyter-book build . --all -W -n --keep-going`` (see
``tests/browser_support.py``). The browser tests are skipped only where ``/usr/bin/chromium`` is
missing (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

import pytest
from browser_support import (
    BRANCH,
    CHROMIUM,
    REPOSITORY,
    ROOT,
    BookBrowser,
    PageReport,
    contrast,
    locate_book,
    luminance,
    page_files,
    parse_html,
    parse_rgb,
    screenshot_dir,
    toc_documents,
)

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no Chromium at {CHROMIUM} (apt-get install chromium); .ci/run installs it",
)
MIN_CONTRAST = 4.5  # WCAG AA for normal-size text: axis, legend, title and slider text
# Labels inside a diagram (annotations, trace text), often coloured like the arrow or marker they
# name: at least WCAG's 3:1 for graphical objects and large text.
MIN_LABEL_CONTRAST = 3.0
PAGE_BUDGET = 25_000_000  # bytes; a page over this has almost surely inlined something big


# --------------------------------------------------------------------------- checks
# Each takes a PageReport and returns a list of problems (empty = fine).

def load_problems(r: PageReport) -> list[str]:
    return ([f"console error: {e}" for e in r.console_errors]
            + [f"page error: {e}" for e in r.page_errors]
            + [f"failed to load: {e}" for e in r.failed])


def network_problems(r: PageReport) -> list[str]:
    return [f"tried the network: {u}" for u in r.blocked]


def figure_problems(r: PageReport) -> list[str]:
    return [f"figure {f['id']} not drawn (data-probrnn-drawn={f['drawn']}, main-svg={f['svg']})"
            for f in r.dom["figures"] if not (f["drawn"] and f["svg"])]


def plotly_problems(r: PageReport) -> list[str]:
    """plotly.js once on a page with figures (at most once elsewhere), and never inlined."""
    problems = []
    want = "exactly one" if r.dom["figures"] else "at most one"
    loads, tags = r.plotly_loads, len(r.dom["plotly_scripts"])
    if (loads, tags) != (1, 1) and (r.dom["figures"] or max(loads, tags) > 1):
        problems.append(f"plotly.js requested {loads} times, script tags "
                        f"{r.dom['plotly_scripts']} (want {want})")
    if r.inline_plotly:
        problems.append(f"{r.inline_plotly} copies of plotly.js inlined in the HTML")
    return problems


def math_problems(r: PageReport) -> list[str]:
    d = r.dom
    if d["math_count"] and not d["mathjax_version"]:
        return [f"MathJax did not load ({d['math_count']} math elements)"]
    return ([f"not typeset: {m}" for m in d["math_unrendered"]]
            + [f"MathJax: {m}" for m in d["math_errors"]])


def reference_problems(r: PageReport) -> list[str]:
    d = r.dom
    return ([f"unresolved reference {x}" for x in d["xrefs"]]
            + [f"unresolved citation {c}" for c in d["bad_citations"]]
            + [f"literal markup or missing number: {t}" for t in d["literal"]]
            + [f"broken link {b}" for b in r.broken_links])


def _text_contrasts(figures: list[dict], where: str | None = None):
    """(figure id, text, contrast with what is behind it, luminance of the text, the minimum
    contrast it needs), for text whose background is known (``where``: "page" or "local")."""
    out = []
    for fig in figures:
        for t in fig["texts"]:
            if t["background"] == "unknown" or (where and t["where"] != where):
                continue
            fill, bg = parse_rgb(t["fill"]), parse_rgb(t["background"])
            need = MIN_CONTRAST if t["where"] == "page" else MIN_LABEL_CONTRAST
            out.append((fig["id"], f"{t['cls']} '{t['text']}'", contrast(fill, bg),
                        luminance(fill), need))
    return out


def dark_mode_problems(r: PageReport) -> list[str]:
    problems = []
    for mode, figures in (("light", r.figure_text), ("dark", r.dark_figure_text)):
        for fig in figures:
            bg = luminance(parse_rgb(fig["background"]))
            if (mode == "dark") != (bg < 0.2):
                problems.append(f"{mode} mode: page behind figure {fig['id']} has luminance "
                                f"{bg:.2f}")
        for fid, text, ratio, _, need in _text_contrasts(figures):
            if ratio < need:
                problems.append(f"{mode} mode: figure {fid} text {text} has contrast "
                                f"{ratio:.1f} < {need}")
    light = {(f, t): lum for f, t, _, lum, _ in _text_contrasts(r.figure_text, "page")}
    for fid, text, _, lum, _ in _text_contrasts(r.dark_figure_text, "page"):
        if (fid, text) in light and lum <= light[(fid, text)]:
            problems.append(f"figure {fid} text {text} did not turn lighter in dark mode")
    return problems


def accessibility_problems(r: PageReport) -> list[str]:
    d = r.dom
    problems = []
    for f in d["figures"]:
        alt = f["aria"].strip()
        if len(alt) < 20 or alt.lower() == "interactive figure":
            problems.append(f"figure {f['id']} has no real alt text (aria-label={alt!r})")
        if not (f["title"].strip() or any(a.strip() for a in f["annotations"])):
            problems.append(f"figure {f['id']} has no visible caption (title or annotation)")
        if f["role"] != "img":
            problems.append(f"figure {f['id']} has role={f['role']!r}, want 'img'")
        for i, s in enumerate(f["sliders"]):
            if not ((s["shown"] and s["prefix"].strip()) or s["name"].strip()):
                problems.append(f"figure {f['id']} slider {i} has no label (currentvalue prefix)")
        for i, m in enumerate(f["menus"]):
            if not all(label.strip() for label in m["labels"]):
                problems.append(f"figure {f['id']} menu {i} has unlabelled buttons")
    problems += [f"image without alt text: {src}" for src in d["img_no_alt"]]
    problems += [f"control without a label: {c}" for c in d["unnamed_controls"]]
    if d["dead_widgets"]:
        problems.append(f"{d['dead_widgets']} live widget(s) left on the static page")
    return problems


# --------------------------------------------------------------------------- the reader's view
# What a reader sees at 1280 px: nothing scrolls sideways, no markup shows raw, figure parts do
# not overlap or leave the figure, no figure text is too small to read.

MIN_FONT_PX = 9  # smallest figure text: a subscript in 13 px text (9.1 px) reads; 8 px does not
MIN_COLOUR_RANGE = 0.35  # a heatmap on a fixed scale uses at least this share of it
OVERLAP_PX = 0.5  # boxes may touch; overlapping in both directions by more is a fault

# Figure parts that must not overlap: (a, b) pairs of kinds, checked both ways. A legend or an
# annotation may sit inside a plot area (placed there on purpose); nothing else may.
_MUST_NOT_OVERLAP = {
    ("title", k) for k in ("legend", "menu", "slider", "colorbar", "axis title", "annotation",
                           "plot area", "tick label")
} | {
    ("legend", k) for k in ("menu", "slider", "colorbar", "axis title", "annotation",
                            "tick label")
} | {
    ("menu", k) for k in ("slider", "colorbar", "axis title", "annotation", "plot area",
                          "tick label")
} | {
    ("slider", k) for k in ("colorbar", "axis title", "annotation", "plot area", "tick label")
} | {
    ("colorbar", k) for k in ("axis title", "annotation", "plot area", "tick label", "colorbar")
} | {
    ("annotation", "annotation"),  # two labels, e.g. neighbouring subplot titles
}
# Parts that must lie inside the figure's drawing (else they are cut off).
_MUST_FIT = {"title", "legend", "menu", "slider", "colorbar", "axis title", "annotation"}


def _overlap(a: dict, b: dict) -> float:
    """How far two boxes overlap: the smaller of the overlaps in x and y (<= 0: apart)."""
    return min(min(a["right"], b["right"]) - max(a["left"], b["left"]),
               min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]))


def width_problems(r: PageReport) -> list[str]:
    """Code blocks, output tables and display math wider than the text column."""
    d = r.reader
    return ([f"{c['kind']} block wider than its column ({c['scroll']} > {c['width']} px): "
             f"{c['text']!r}" for c in d["code"]]
            + [f"table wider than the column ({t['width']} > {d['column']:.0f} px, "
               f"{t['columns']} columns: {t['head']} ...)" for t in d["tables"]]
            + [f"equation {m['label'] or '(unnumbered)'} wider than its column "
               f"({m['width']} > {m['column']} px)" for m in d["math"]])


def raw_markup_problems(r: PageReport) -> list[str]:
    """TeX or dollars in the visible text: math the page did not recognise as math."""
    return [f"raw TeX in the text: {t}" for t in r.reader["raw_tex"]]


def figure_layout_problems(r: PageReport) -> list[str]:
    """Figure parts that overlap each other (title over legend, a colour bar over the next
    panel, ...) or that stick out of the figure (a clipped title)."""
    problems = []
    for fig in r.reader["figures"]:
        parts = fig["parts"] + fig["plots"] + fig["ticks"]
        seen = set()
        for i, a in enumerate(parts):
            for b in parts[i + 1:]:
                pair = (a["kind"], b["kind"])
                if pair not in _MUST_NOT_OVERLAP and pair[::-1] not in _MUST_NOT_OVERLAP:
                    continue
                if _overlap(a, b) > OVERLAP_PX:
                    key = (a["kind"], a["text"], b["kind"], b["text"])
                    if key not in seen:
                        seen.add(key)
                        problems.append(f"figure {fig['id']} ({fig['title'][:40]!r}): "
                                        f"{a['kind']} {a['text']!r} overlaps {b['kind']} "
                                        f"{b['text']!r} by {_overlap(a, b):.0f} px")
        svg = fig["svg"]
        for p in fig["parts"]:
            if p["kind"] not in _MUST_FIT:
                continue
            out = max(svg["left"] - p["left"], p["right"] - svg["right"],
                      svg["top"] - p["top"], p["bottom"] - svg["bottom"])
            if out > OVERLAP_PX:
                problems.append(f"figure {fig['id']} ({fig['title'][:40]!r}): {p['kind']} "
                                f"{p['text']!r} is cut off ({out:.0f} px outside the figure)")
    return problems


def figure_legibility_problems(r: PageReport) -> list[str]:
    """Figure text too small to read, and heatmaps whose values use only a sliver of their
    fixed colour scale (one flat colour)."""
    problems = []
    for fig in r.reader["figures"]:
        small = sorted({(f["size"], f["text"]) for f in fig["fonts"] if f["size"] < MIN_FONT_PX})
        if small:
            problems.append(f"figure {fig['id']} ({fig['title'][:40]!r}): {len(small)} text(s) "
                            f"under {MIN_FONT_PX} px, e.g. {small[:3]}")
        for h in fig["heatmaps"]:
            if h["used"] < MIN_COLOUR_RANGE:
                problems.append(
                    f"figure {fig['id']} ({fig['title'][:40]!r}): heatmap {h['name']!r} uses "
                    f"{h['used']:.0%} of its colour scale {h['zmin']}..{h['zmax']} "
                    f"(largest value {h['max']:.2f}): it reads as one flat colour")
    return problems


def _fail_on(reports: dict[str, PageReport], check) -> None:
    found = {name: check(r) for name, r in reports.items()}
    found = {name: p for name, p in found.items() if p}
    if found:
        pytest.fail("\n".join(f"{name}:\n  " + "\n  ".join(p) for name, p in found.items()),
                    pytrace=False)


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def book():
    try:
        return locate_book()
    except RuntimeError as err:
        pytest.fail(str(err), pytrace=False)


@pytest.fixture(scope="session")
def browser(playwright):
    with BookBrowser(playwright=playwright) as b:
        yield b


@pytest.fixture(scope="session")
def reports(book, browser) -> dict[str, PageReport]:
    shots = screenshot_dir(book.html)
    pages = page_files(book.html)
    assert pages, f"no pages in {book.html}"
    return {str(p.relative_to(book.html)): browser.visit(p, book.html, shots) for p in pages}


# --------------------------------------------------------------------------- the book

def test_every_toc_document_is_built(book):
    missing = [d for d in toc_documents() if not (book.html / f"{d}.html").exists()]
    assert not missing, f"in _toc.yml but not in {book.html}: {missing}"


def _chapter_pages(html: Path) -> list[tuple[str, Path]]:
    """(document name, page) for every page built from a notebook."""
    return [(str(p.relative_to(html).with_suffix("")), p) for p in page_files(html)
            if (html / "_sources" / p.relative_to(html).with_suffix(".ipynb")).exists()]


def test_launch_and_download_buttons(book):
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"] == REPOSITORY and config["repository"]["branch"] == BRANCH
    chapters = _chapter_pages(book.html)
    assert chapters, "no page of the book is built from a notebook"
    org_repo = REPOSITORY.removeprefix("https://github.com/")
    for doc, page in chapters:
        links = parse_html(page).links
        by_title = {a.get("title", ""): a for a in links}
        binder = f"https://mybinder.org/v2/gh/{org_repo}/{BRANCH}?urlpath=lab/tree/{doc}.ipynb"
        colab = f"https://colab.research.google.com/github/{org_repo}/blob/{BRANCH}/{doc}.ipynb"
        assert by_title.get("Launch on Binder", {}).get("href") == binder, (
            f"{doc}: Binder button {by_title.get('Launch on Binder')} should link to {binder}")
        assert by_title.get("Launch on Colab", {}).get("href") == colab, (
            f"{doc}: Colab button {by_title.get('Launch on Colab')} should link to {colab}")
        assert any("btn-launch-thebe" in a.get("class", "") for a in links), f"{doc}: no Thebe button"
        download = [a for a in links if "btn-download-source-button" in a.get("class", "")]
        assert len(download) == 1, f"{doc}: want one download-source button, got {download}"
        target = Path(urljoin(page.as_uri(), download[0]["href"]).removeprefix("file://"))
        assert target.suffix == ".ipynb" and target.exists(), f"{doc}: download {target} missing"
        nb = json.loads(target.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c.get("outputs") for c in code), f"{doc}: downloaded notebook has outputs"
        first = "".join(code[0]["source"]) if code else ""
        # it clones the repository (the package and the committed results) and installs it
        assert ('find_spec("probrnn")' in first and f'"{REPOSITORY}"' in first
                and '"git", "clone"' in first and '"pip", "install"' in first), (
            f"{doc}: the first code cell must fetch and install probrnn when missing (Colab); "
            f"got:\n{first}")


# --------------------------------------------------------------------------- in the browser

@needs_chromium
def test_pages_load_without_errors(reports):
    _fail_on(reports, load_problems)


@needs_chromium
def test_pages_make_no_network_request(reports):
    _fail_on(reports, network_problems)


@needs_chromium
def test_every_figure_draws(reports):
    _fail_on(reports, figure_problems)


@needs_chromium
def test_plotly_js_loaded_once_and_never_inlined(reports):
    _fail_on(reports, plotly_problems)


@needs_chromium
def test_math_typesets(reports):
    _fail_on(reports, math_problems)


@needs_chromium
def test_references_citations_and_links_resolve(reports):
    _fail_on(reports, reference_problems)


@needs_chromium
def test_figure_text_readable_in_light_and_dark_mode(reports):
    _fail_on(reports, dark_mode_problems)


@needs_chromium
def test_figures_controls_and_images_are_accessible(reports):
    _fail_on(reports, accessibility_problems)


@needs_chromium
def test_nothing_is_wider_than_the_column(reports):
    """No code block, text output, table or equation makes the reader scroll sideways."""
    _fail_on(reports, width_problems)


@needs_chromium
def test_no_raw_tex_in_the_text(reports):
    _fail_on(reports, raw_markup_problems)


@needs_chromium
def test_figure_parts_do_not_overlap_or_clip(reports):
    _fail_on(reports, figure_layout_problems)


@needs_chromium
def test_figure_text_and_colours_are_legible(reports):
    _fail_on(reports, figure_legibility_problems)


@needs_chromium
def test_figures_open_in_dark_mode(book, browser, reports):
    """A reader whose system is dark gets dark figures from the first draw, not after a toggle."""
    with_figures = [name for name, r in reports.items() if r.dom["figures"]]
    assert with_figures, "no page of the book has a plotly figure"
    r = browser.visit(book.html / with_figures[0], book.html, dark_toggle=False,
                      color_scheme="dark")
    assert r.dom["theme"] == "dark", f"the theme did not follow the system: {r.dom['theme']}"
    assert not figure_problems(r) and not load_problems(r)
    bad = [(f, t, c) for f, t, c, _, need in _text_contrasts(r.figure_text) if c < need]
    assert not bad, f"{with_figures[0]} opened in dark mode: low-contrast figure text {bad}"


@needs_chromium
def test_page_weight(book, reports, request):
    """Report the bytes each page loads (HTML and everything it pulls in, each file once)."""
    rows = sorted(((name, r.weight, len(r.loaded), r.seconds) for name, r in reports.items()),
                  key=lambda row: -row[1])
    out = screenshot_dir(book.html) / "page-weight.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([{"page": n, "bytes": w, "files": k, "load_seconds": round(s, 2)}
                               for n, w, k, s in rows], indent=1) + "\n")
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if tr is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            _write_weights(tr, book, rows, out)
    heavy = [(n, w) for n, w, _, _ in rows if w > PAGE_BUDGET]
    assert not heavy, f"pages over {PAGE_BUDGET / 1e6:.0f} MB: {heavy}"
    assert all(w > 0 for _, w, _, _ in rows)


def _write_weights(tr, book, rows, out) -> None:
    tr.write_line("")
    tr.write_line(f"page weight (HTML + everything it loads), from {book.html} ({book.how}):")
    for name, weight, files, seconds in rows:
        tr.write_line(f"  {weight / 1e6:7.2f} MB  {files:3d} files  {seconds:5.1f} s  {name}")
    tr.write_line(f"  screenshots and {out.name}: {out.parent}")


# --------------------------------------------------------------------------- the checks can fail

_BAD_PAGE = """<!DOCTYPE html><html data-theme="light"><head><meta charset="utf-8">
<script src="{plotly}"></script><script src="{plotly}"></script>
<script src="https://cdn.example.invalid/lib.js"></script>
<script>window.MathJax = {{tex: {{inlineMath: [["\\\\(", "\\\\)"]]}}}};</script>
<script defer src="{mathjax}"></script></head>
<body><main>
<p>See <span class="xref std std-ref">sec-nope</span> and Figure ?? and {{prf:ref}}`prop-x`.</p>
<p><span class="bibtex-citation" id="id9">[]</span> <a href="missing.html">gone</a>
<a href="#nowhere">nowhere</a></p>
<p><span class="math notranslate nohighlight">\\(\\nomacro{{x}}\\)</span>
<span class="math notranslate nohighlight">\\(x^1^2\\)</span></p>
<img src="x.png"><button></button><input type="range">
<div id="never" class="plotly-graph-div" role="img" aria-label="interactive figure"></div>
<script>console.error("boom"); undefinedFunction();</script>
{figure}
<article class="bd-article" style="width: 640px">
<div class="highlight"><pre>x = "{long_line}"</pre></div>
<table><tr>{cells}</tr></table>
<p>Raw TeX: \\alpha_t and a stray $ sign.</p>
<div class="math notranslate nohighlight">\\[\\text{{{long_line}}}\\]</div>
{clash}
</article>
</main></body></html>"""


def _clashing_figure():
    """A figure whose parts collide unless laid out by the book's rule: a title too long for
    the figure, a horizontal legend above the plot, a heatmap using a tenth of its fixed scale
    and 6 px text."""
    import plotly.graph_objects as go

    from probrnn.figures.style import TEMPLATE

    fig = go.Figure(go.Heatmap(z=[[0.05, 0.1], [0.0, 0.08]], zmin=0, zmax=1, name="flat"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], name="a line with a long legend label"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[1, 0], name="another line"))
    fig.add_annotation(x=0.5, y=0.5, text="tiny", font=dict(size=6), showarrow=False)
    return fig.update_layout(
        template=TEMPLATE, height=420, margin=dict(t=40),
        title=dict(text="A title that runs on " * 12, y=1, yref="container", yanchor="top"),
        legend=dict(orientation="h", y=1, yref="container", yanchor="top"))


@needs_chromium
def test_checks_catch_a_broken_page(tmp_path, book, browser):
    """Every check above reports the faults of a deliberately broken page."""
    import plotly.graph_objects as go

    from probrnn.figures.render import figure_html
    from probrnn.figures.style import TEMPLATE

    mathjax = next((p for p in (book.html / "_static").rglob("tex-*chtml*.js")), None)
    assert mathjax is not None, "the build serves no MathJax from _static (is it loaded from a CDN?)"
    # Tick labels with a colour of their own, which the renderer does not restyle: white on white.
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 1]),
                    layout=dict(template=TEMPLATE, title="t",
                                xaxis=dict(tickfont=dict(color="#ffffff"))))
    fig.update_layout(sliders=[dict(steps=[dict(label="a", method="skip")],
                                    currentvalue=dict(visible=False))])
    # A near-black label on a black box: unreadable in either mode.
    fig.add_shape(type="rect", x0=1.2, x1=1.8, y0=1.5, y1=2.5, fillcolor="#000000", line_width=0)
    fig.add_annotation(x=1.5, y=2, text="boxed", showarrow=False, font=dict(color="#222222"))
    page = tmp_path / "bad.html"
    page.write_text(_BAD_PAGE.format(
        plotly=(book.html / "_static" / "plotly.min.js").as_uri(), mathjax=mathjax.as_uri(),
        figure=figure_html(fig, "white"), long_line="wide " * 40, cells="<td>column</td>" * 40,
        clash=figure_html(_clashing_figure(), "clash", layout_rule=False)))
    (tmp_path / "inlined.html").write_text(
        "<html><body>" + fig.to_html(include_plotlyjs=True, full_html=False) + "</body></html>")
    r = browser.visit(page, tmp_path, wait_seconds=3)
    text = lambda problems: "\n".join(problems)  # noqa: E731
    assert "boom" in text(load_problems(r)) and "undefinedFunction" in text(load_problems(r))
    assert "cdn.example.invalid" in text(network_problems(r))
    assert "figure never not drawn" in text(figure_problems(r))
    assert "want exactly one" in text(plotly_problems(r))  # two script tags (one fetch: cached)
    maths = text(math_problems(r))
    assert "undefined macro" in maths and "TeX error" in maths, maths
    refs = text(reference_problems(r))
    for fault in ("sec-nope", "id9", "??", "{prf:ref}`", "missing.html", "nowhere"):
        assert fault in refs, f"{fault!r} not reported in:\n{refs}"
    dark = text(dark_mode_problems(r))
    assert "figure white text xtick" in dark, dark  # white tick labels on a light page
    assert "light mode: figure white text annotation-text 'boxed'" in dark, dark
    a11y = text(accessibility_problems(r))
    for fault in ("figure never has no real alt text", "figure white slider 0 has no label",
                  "figure never has no visible caption",
                  "image without alt text: x.png", "<button>", 'type="range"'):
        assert fault in a11y, f"{fault!r} not reported in:\n{a11y}"
    inlined = browser.visit(tmp_path / "inlined.html", tmp_path, dark_toggle=False, wait_seconds=2)
    assert "inlined" in text(plotly_problems(inlined))
    wide = text(width_problems(r))
    for fault in ("code block wider", "table wider", "equation (unnumbered) wider"):
        assert fault in wide, f"{fault!r} not reported in:\n{wide}"
    raw = text(raw_markup_problems(r))
    assert "\\alpha" in raw and "$" in raw, raw
    layout = text(figure_layout_problems(r))
    assert "title 'A title that runs on" in layout and "overlaps legend" in layout, layout
    assert "is cut off" in layout, layout
    legible = text(figure_legibility_problems(r))
    assert "uses 10% of its colour scale" in legible and "under 9 px" in legible, legible


@needs_chromium
def test_layout_rule_keeps_figure_parts_apart(tmp_path, browser):
    """The clashing figure above, drawn through the book's layout rule: nothing overlaps and
    nothing is cut off (the rule cannot fix its flat heatmap or its 6 px text)."""
    import plotly

    from probrnn.figures.render import figure_html

    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    page = tmp_path / "rule.html"
    page.write_text(f'<!DOCTYPE html><html><head><script src="{plotly_js.as_uri()}"></script>'
                    '</head><body><main><article class="bd-article" style="width: 640px">'
                    f'{figure_html(_clashing_figure(), "ruled")}</article></main></body></html>')
    r = browser.visit(page, tmp_path, dark_toggle=False)
    assert not figure_problems(r) and not load_problems(r)
    assert r.reader["figures"] and not figure_layout_problems(r), figure_layout_problems(r)


@needs_chromium
def test_renderer_follows_the_page_mode(tmp_path, browser):
    """A figure drawn by the book's renderer has light text on a dark page and dark on a light one,
    on a page of our own (so this holds even before any chapter has a figure)."""
    import plotly
    import plotly.graph_objects as go

    from probrnn.figures.render import figure_html, use_book_renderer
    from probrnn.figures.style import with_alt

    use_book_renderer()
    fig = with_alt(go.Figure(go.Scatter(x=[1, 2, 3], y=[2, 1, 3], name="a line")),
                   "A line through three points, rising at the end.")
    fig.update_layout(title="Three points", xaxis_title="x", yaxis_title="y", showlegend=True)
    # A white label on a black box reads in both modes (its own background, not the page's).
    fig.add_shape(type="rect", x0=1.2, x1=1.8, y0=2.2, y1=2.8, fillcolor="#000000", line_width=0)
    fig.add_annotation(x=1.5, y=2.5, text="boxed", showarrow=False, font=dict(color="#ffffff"))
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    page = tmp_path / "fig.html"
    page.write_text(
        '<!DOCTYPE html><html data-theme="light"><head><style>html[data-theme=dark] body '
        '{background:#121212;color:#eee} body{background:#fff}</style>'
        f'<script src="{plotly_js.as_uri()}"></script></head><body><main>'
        f"{figure_html(fig, 'probe')}</main></body></html>")
    r = browser.visit(page, tmp_path)
    assert not figure_problems(r) and not load_problems(r) and not accessibility_problems(r)
    assert r.figure_text[0]["texts"] and r.dark_figure_text[0]["texts"]
    boxed = [t for t in r.dark_figure_text[0]["texts"] if t["text"] == "boxed"]
    assert boxed and boxed[0]["background"] == "rgb(0, 0, 0)", boxed
    assert not dark_mode_problems(r), dark_mode_problems(r)
