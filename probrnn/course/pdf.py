"""A PDF of the whole book, built offline from the same sources as the website.

``python -m probrnn pdf --out book.pdf`` builds the book with Sphinx's ``singlehtml`` builder
(one page holding every chapter, with the same numbering and cross-references as the website)
and prints that page with headless Chromium: after MathJax has typeset every formula and every
plotly figure has drawn (interactive figures appear at their default setting), with every
solution and hidden code cell opened, in light mode, on A4 with page numbers and a PDF outline
(bookmarks) of the headings. Internal links stay links.

The chapters must be executed for their figures. By default the executed notebooks of a fresh
build of the checkout (``_build``, newer than every source) are reused, so no chapter runs
twice; otherwise, or with ``execute=True``, every chapter is executed. ``student=True`` prints
the student edition (no solutions, see :mod:`probrnn.course.student`).

Printing refuses a page with a MathJax error, an undefined macro, a figure that did not draw or
an unresolved reference, and reports any request it had to block.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from .browser import MATH_ERRORS_JS, UNDRAWN_FIGURES_JS, WAIT_JS, offline_context, open_browser
from .build import copy_sources, edit_config, reusable_build, run_jupyter_book, set_execution, use_executed
from .sources import chapters, documents, find_root

# A4 at 96 CSS pixels per inch is 794 px wide; 14 mm margins leave 688 px of text, the width
# the page is laid out (and every figure drawn) at.
PAGE = {"format": "A4", "margin": {"top": "16mm", "bottom": "16mm", "left": "14mm",
                                   "right": "14mm"}}
VIEWPORT = {"width": 688, "height": 1000}

PRINT_CSS = """
@media print {
  .headerlink, .toggle-button, details.hide > summary, .prev-next-area, #rtd-footer-container,
  .bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .header-article, .bd-footer,
  .bd-footer-article, .bd-footer-content, .skip-link, .bd-search { display: none !important; }
  .bd-main .bd-content .bd-article-container { max-width: 100% !important; }
  .bd-page-width { max-width: 100% !important; }
  .bd-container, .bd-container__inner, .bd-main, .bd-content, .bd-article { display: block !important; }
  pre { white-space: pre-wrap !important; word-break: break-word; overflow: visible !important; }
  .cell_output, .plotly-graph-div, .math, mjx-container[display="true"], table,
  .proof, .exercise, .solution, .admonition { break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; }
  mjx-container[display="true"] { overflow: visible !important; }
  a { color: inherit; }
}
"""

# Open every collapsed thing: solution dropdowns (sphinx-togglebutton), hidden cells (details).
EXPAND_JS = """
() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('.toggle-button-hidden')
    .forEach(e => e.classList.remove('toggle-button-hidden'));
  document.documentElement.setAttribute('data-theme', 'light');
  document.documentElement.setAttribute('data-mode', 'light');
}
"""

# Each document (chapter or page) starts a new page. In the single page the root document's
# title is the only h1; the other documents' titles are h2.
CHAPTER_BREAKS_JS = """
(titles) => {
  const heads = Array.from(document.querySelectorAll('h1, h2'));
  let n = 0;
  for (const h of heads) {
    const text = h.textContent.replace(/#$/, '').trim();
    if (titles.some(t => text.endsWith(t))) { h.style.breakBefore = 'page'; n += 1; }
  }
  return n;
}
"""

RESIZE_JS = """
async () => {
  const figs = Array.from(document.querySelectorAll('.js-plotly-plot'));
  await Promise.all(figs.map(f => window.Plotly.Plots.resize(f)));
  return figs.length;
}
"""

UNRESOLVED_JS = r"""
() => {
  const out = Array.from(document.querySelectorAll('.xref')).filter(e => !e.closest('a'))
    .map(e => 'unresolved reference: ' + e.textContent.trim());
  for (const a of document.querySelectorAll('a[href]')) {
    const href = a.getAttribute('href');
    if (/^(https?:|mailto:|javascript:|data:|#$)/.test(href)) continue;
    const url = new URL(href, location.href);
    if (url.pathname !== location.pathname) {
      if (url.protocol === 'file:' && !/_static|_sources|_images|_downloads/.test(url.pathname)) {
        out.push('link away from the page: ' + href);
      }
      continue;
    }
    const id = decodeURIComponent(url.hash.slice(1));
    if (id && !document.getElementById(id)) out.push('link to a missing anchor: ' + href);
  }
  const walker = document.createTreeWalker(document.querySelector('main') || document.body,
                                           NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest('pre, code, script, style, .cell_output')) continue;
    if (/\?\?|\{(eq|ref|prf:ref|numref|doc|term|cite)\}`/.test(n.textContent)) {
      out.push('unresolved reference in "' + n.textContent.trim().slice(0, 60) + '"');
    }
  }
  return out;
}
"""


def _add_singlehtml_extension(config: dict) -> None:
    extensions = config.setdefault("sphinx", {}).setdefault("extra_extensions", [])
    extensions.append("probrnn.course.singlehtml")


class PrintError(RuntimeError):
    """The page was not fit to print (math errors, undrawn figures, broken references)."""


def print_pdf(html: Path, out: Path, chapter_titles=(), wait_seconds: float = 60.0,
              log=print) -> dict:
    """Print the page ``html`` to the PDF ``out`` with headless Chromium, offline.

    Returns a report: seconds, figures, blocked requests, console errors, chapter breaks.
    Raises :class:`PrintError` on MathJax errors, undrawn figures or unresolved references.
    """
    start = time.perf_counter()
    with open_browser() as browser:
        context = offline_context(browser, viewport=VIEWPORT, color_scheme="light",
                                  reduced_motion="reduce")
        context.add_init_script("try { localStorage.setItem('mode', 'light');"
                                " localStorage.setItem('theme', 'light'); } catch (e) {}")
        page = context.new_page()
        console = []
        page.on("console", lambda m: console.append(m.text)
                if m.type == "error" and "ERR_FILE_NOT_FOUND" not in m.text else None)
        page.on("pageerror", lambda e: console.append(f"page error: {e}"))
        # The single page asks for a search index that the singlehtml builder does not write.
        page.on("requestfailed", lambda r: console.append(f"failed to load {r.url}")
                if r.url.startswith("file:") and not r.url.endswith("searchindex.js") else None)
        # Laid out for print from the start, so every figure is drawn at the printed width.
        page.emulate_media(media="print", color_scheme="light")
        page.goto(Path(html).resolve().as_uri(), wait_until="load", timeout=wait_seconds * 1000)
        page.add_style_tag(content=PRINT_CSS)
        page.evaluate(WAIT_JS, wait_seconds * 1000)
        page.evaluate(EXPAND_JS)
        breaks = page.evaluate(CHAPTER_BREAKS_JS, list(chapter_titles))
        n_figures = page.evaluate(RESIZE_JS) if page.evaluate("!!window.Plotly") else 0
        page.evaluate(WAIT_JS, wait_seconds * 1000)
        problems = (page.evaluate(MATH_ERRORS_JS) + [f"figure did not draw: {f}" for f in
                                                     page.evaluate(UNDRAWN_FIGURES_JS)]
                    + page.evaluate(UNRESOLVED_JS))
        if problems:
            raise PrintError(f"{html} is not fit to print ({len(problems)} problems):\n"
                             + "\n".join(problems[:30]))
        footer = ('<div style="font-size:8px;width:100%;text-align:center;color:#555;">'
                  '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
        page.pdf(path=str(out), print_background=True, display_header_footer=True,
                 header_template="<div></div>", footer_template=footer, outline=True,
                 tagged=True, **PAGE)
        blocked = list(context.blocked)
        context.close()
    report = {"pdf": str(out), "seconds": round(time.perf_counter() - start, 1),
              "figures": n_figures, "chapter_breaks": breaks, "blocked": blocked,
              "console_errors": console}
    if blocked:
        log(f"[probrnn] blocked {len(blocked)} network requests (the PDF is offline): {blocked[:3]}")
    return report


def build_pdf(out, root=None, reuse=None, execute: bool = False, student: bool = False,
              log=print) -> dict:
    """Build the book as one page and print it to the PDF ``out`` (see the module docstring).

    ``reuse``: a jupyter-book ``_build`` folder whose executed notebooks to use (default: the
    checkout's ``_build`` if it is fresh). ``execute``: run every chapter regardless.
    """
    from ..validate import check_out_file
    from .sources import title

    out = check_out_file(out, "--out", suffix=".pdf")
    root = find_root(root)
    build = None
    if not execute:
        build = Path(reuse) if reuse else reusable_build(root)
    with tempfile.TemporaryDirectory(prefix="probrnn-pdf-") as scratch:
        tree = copy_sources(root, Path(scratch) / "book")
        if build is not None:
            log(f"[probrnn] reusing the executed chapters of {build}")
            use_executed(tree, root, build)
        else:
            set_execution(tree, "force")
        edit_config(tree, _add_singlehtml_extension)
        if student:
            from .student import no_launch_buttons, strip_book

            strip_book(tree, keep_outputs=True)
            edit_config(tree, no_launch_buttons)
        single = run_jupyter_book(tree, Path(scratch) / "out", "singlehtml", log=log)
        titles = [title(p) for p in chapters(tree)]
        pages = [title(p) for p in documents(tree)[1:]]
        tmp_pdf = Path(scratch) / "book.pdf"
        report = print_pdf(single / "index.html", tmp_pdf, pages, log=log)
        shutil.move(tmp_pdf, out)
    report.update(pdf=str(out), chapters=titles, reused=str(build) if build else None,
                  pages=_page_count(out))
    log(f"[probrnn] wrote {out}: {report['pages'] or '?'} pages, {report['figures']} figures, "
        f"{len(titles)} chapters, in {report['seconds']:.0f} s of printing")
    return report


def _page_count(path: Path) -> int | None:
    try:
        from pypdf import PdfReader
    except ImportError:  # pypdf is a test requirement; the PDF does not need it
        return None
    return len(PdfReader(str(path)).pages)
