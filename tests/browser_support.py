"""Open the built book in headless Chromium, offline, and collect what a reader would see go wrong.

Used by ``tests/test_browser.py`` and ``benchmarks/page_weight.py``.

* :func:`locate_book` finds the HTML to test: ``$PROBRNN_BOOK_HTML`` if set, else ``_build/html``
  if it is fresh (newer than every file under ``book/``, ``probrnn/``, ``_config.yml`` and
  ``_toc.yml``), else it builds the book with :data:`BUILD_COMMAND`.
* :class:`BookBrowser` opens pages from disk (``file://``) with every other request aborted, waits
  for MathJax and the plotly figures, and returns a :class:`PageReport`: console and page errors,
  blocked requests, bytes loaded, figures, MathJax errors, unresolved references, broken links,
  accessibility faults, the colours of figure text, and what a reader sees at the page's width
  (``PageReport.reader``: code, tables and equations wider than the column, raw TeX in the text,
  and the boxes, font sizes and colour ranges of every figure's parts).

The checks themselves are plain functions of a report (see ``tests/test_browser.py``), so a
report can be made from a deliberately broken page to show that each check can fail.
"""

from __future__ import annotations

import html.parser
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[1]
ENV_HTML = "PROBRNN_BOOK_HTML"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SOURCES = ("book", "probrnn", "_config.yml", "_toc.yml")
# --all: a change under probrnn/ changes what the notebooks output, but Sphinx alone would only
# re-read the sources that changed.
BUILD_COMMAND = ["build", ".", "--all", "-W", "-n", "--keep-going"]
REPOSITORY = "https://github.com/probrnn/probrnn"
BRANCH = "main"
VIEWPORT = {"width": 1280, "height": 900}
# Pages that are not reading pages: index.html only redirects to the root document.
SKIP_PAGES = {"index.html"}
_IGNORED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".ruff_cache"}


# --------------------------------------------------------------------------- the build

def newest_source_mtime(root: Path = ROOT) -> float:
    """Latest modification time of any source file of the book (caches and dotfiles ignored)."""
    newest = 0.0
    for name in SOURCES:
        path = root / name
        files = [path] if path.is_file() else path.rglob("*") if path.is_dir() else []
        for f in files:
            rel = f.relative_to(root).parts
            if not f.is_file() or any(p in _IGNORED_PARTS or p.startswith(".") for p in rel):
                continue
            if f.suffix in {".pyc", ".pyo"}:
                continue
            newest = max(newest, f.stat().st_mtime)
    return newest


def page_files(html_dir: Path) -> list[Path]:
    """Every reading page of a built book (HTML files outside ``_static``/``_sources``/...)."""
    pages = []
    for f in sorted(html_dir.rglob("*.html")):
        rel = f.relative_to(html_dir)
        if rel.parts[0].startswith("_") or str(rel) in SKIP_PAGES:
            continue
        pages.append(f)
    return pages


def oldest_page_mtime(html_dir: Path) -> float | None:
    """Modification time of the oldest page of a build (None if there is no build)."""
    pages = page_files(html_dir) if (html_dir / "index.html").exists() else []
    return min(p.stat().st_mtime for p in pages) if pages else None


def is_fresh(html_dir: Path, root: Path = ROOT) -> bool:
    """Whether every page of ``html_dir`` is newer than every source file of the book."""
    built = oldest_page_mtime(html_dir)
    return built is not None and built > newest_source_mtime(root)


def jupyter_book_executable() -> str:
    """``jupyter-book`` beside this Python (a venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("jupyter-book")
    return str(beside) if beside.exists() else "jupyter-book"


def build_book(root: Path = ROOT, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run ``jupyter-book build . --all -W -n --keep-going`` in ``root`` (output captured)."""
    return subprocess.run([jupyter_book_executable(), *BUILD_COMMAND], cwd=root, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                          check=False)


@dataclass
class BookLocation:
    html: Path
    how: str  # "env", "fresh" or "built"
    seconds: float = 0.0


def locate_book(root: Path = ROOT) -> BookLocation:
    """The built book to test, building it if needed (see the module docstring).

    Raises RuntimeError when ``$PROBRNN_BOOK_HTML`` names no build or the build fails.
    """
    env = os.environ.get(ENV_HTML)
    if env:
        html = Path(env).resolve()
        if not (html / "index.html").exists():
            raise RuntimeError(f"{ENV_HTML}={env} has no index.html: build the book there first")
        return BookLocation(html, "env")
    html = root / "_build" / "html"
    if is_fresh(html, root):
        return BookLocation(html, "fresh")
    start = time.perf_counter()
    proc = build_book(root)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        lines = proc.stdout.splitlines()
        flagged = [ln for ln in lines if re.search(r"WARNING|ERROR|Error|Traceback", ln)][:40]
        raise RuntimeError(f"`jupyter-book {' '.join(BUILD_COMMAND)}` failed "
                           f"(exit {proc.returncode}) after {seconds:.0f} s:\n"
                           + "\n".join(flagged + ["..."] + lines[-15:]))
    return BookLocation(html, "built", seconds)


def screenshot_dir(html_dir: Path) -> Path:
    """``_build/screenshots`` beside the ``_build/html`` under test."""
    return html_dir.parent / "screenshots"


def toc_documents(root: Path = ROOT) -> list[str]:
    """Document names of ``_toc.yml`` (``root``, then every ``file:`` entry), e.g. ``book/intro``."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    docs = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                docs.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return [str(Path(d).with_suffix("")) for d in docs]


# --------------------------------------------------------------------------- static HTML

class _Anchors(html.parser.HTMLParser):
    """Collects element ids and a/button tags (href, class, title) of an HTML file."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag in ("a", "button"):
            self.links.append({"tag": tag, **{k: v or "" for k, v in a.items()}})


def parse_html(path: Path) -> _Anchors:
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def inline_plotly_bundles(path: Path) -> int:
    """How many copies of the plotly.js library are inlined in the page's HTML."""
    text = path.read_text(encoding="utf-8")
    return len(re.findall(r"\*\s*plotly\.js v\d", text))


# --------------------------------------------------------------------------- the browser

_WAIT_JS = """
async (timeoutMs) => {
  const t0 = performance.now();
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const left = () => timeoutMs - (performance.now() - t0);
  if (document.querySelector('.math')) {
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && left() > 0) {
      await sleep(50);
    }
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      await Promise.race([MathJax.startup.promise, sleep(Math.max(left(), 0))]);
    }
  }
  const drawn = f => f.getAttribute('data-probrnn-drawn') === 'true' && f.querySelector('.main-svg');
  while (left() > 0 && !Array.from(document.querySelectorAll('.plotly-graph-div')).every(drawn)) {
    await sleep(50);
  }
  await document.fonts.ready;
  return performance.now() - t0;
}
"""

# Everything the checks need, read from the page in one go.
_COLLECT_JS = r"""
() => {
  const skip = 'pre, code, .highlight, script, style, mjx-container, .plotly-graph-div, '
             + '.cell_input, .cell_output, .output';
  const out = {};
  // MathJax: every .math element typeset, no TeX errors, no undefined macros.
  const maths = Array.from(document.querySelectorAll('.math'));
  out.math_count = maths.length;
  out.math_unrendered = maths.filter(e => !e.querySelector('mjx-container'))
                             .map(e => e.textContent.trim().slice(0, 80));
  out.math_errors = [];
  out.mathjax_version = (window.MathJax && MathJax.version) || null;
  if (window.MathJax && MathJax.startup && MathJax.startup.document) {
    for (const item of MathJax.startup.document.math) {
      let bad = null;
      item.root.walkTree(node => {
        if (node.isKind('merror')) {
          bad = bad || ('TeX error: ' + (node.attributes.get('data-mjx-error') || 'merror'));
        }
        if (node.isKind('mtext') && node.attributes.get('mathcolor') === 'red') {
          bad = bad || 'undefined macro';
        }
      });
      if (bad) out.math_errors.push(bad + ' in ' + String(item.math).slice(0, 80));
    }
  }
  // Unresolved references: Sphinx leaves a missing target as an .xref outside any link, and
  // sphinxcontrib-bibtex leaves an unknown key as a citation without a link.
  out.xrefs = Array.from(document.querySelectorAll('.xref')).filter(e => !e.closest('a'))
    .map(e => e.className.replace(/\s*docutils|\s*literal|\s*notranslate/g, '') + ': '
              + e.textContent.trim());
  out.citations = document.querySelectorAll('.bibtex-citation').length;
  out.bad_citations = Array.from(document.querySelectorAll('.bibtex-citation'))
    .filter(e => !e.querySelector('a')).map(e => (e.id || '?') + ' renders "' + e.textContent + '"');
  // Text a reader would see that betrays an unprocessed role/directive or a missing number.
  const main = document.querySelector('main') || document.body;
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  const roles = 'prf:[a-z]+|ref|eq|cite(:[a-z]+)?|numref|doc|term|download|exercise|solution';
  const literal = new RegExp('\\?\\?|\\{(' + roles + ')\\}`|^\\s*:label:|```\\{');
  out.literal = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip)) continue;
    const m = n.textContent.match(literal);
    if (m) out.literal.push(m[0] + ' in "' + n.textContent.trim().slice(0, 80) + '"');
  }
  // Links inside the book, to be checked against the files on disk.
  out.links = Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))
    .filter(h => h && !/^(https?:|mailto:|javascript:|data:)/i.test(h))
    .map(h => new URL(h, location.href).href);
  // Figures.
  out.figures = Array.from(document.querySelectorAll('.plotly-graph-div')).map(el => {
    const lay = el.layout || {};
    const rect = el.getBoundingClientRect();
    return {
      id: el.id, drawn: el.getAttribute('data-probrnn-drawn') === 'true',
      svg: !!el.querySelector('.main-svg'), aria: el.getAttribute('aria-label') || '',
      role: el.getAttribute('role') || '', width: rect.width, height: rect.height,
      sliders: (lay.sliders || []).map(s => ({
        prefix: (s.currentvalue && s.currentvalue.prefix) || '',
        shown: !(s.currentvalue && s.currentvalue.visible === false), name: s.name || ''})),
      menus: (lay.updatemenus || []).map(u => ({
        name: u.name || '', labels: (u.buttons || []).map(b => b.label || '')})),
      annotations: (lay.annotations || []).map(a => a.text || ''),
      title: (lay.title && (typeof lay.title === 'string' ? lay.title : lay.title.text)) || '',
    };
  });
  out.plotly_scripts = Array.from(document.querySelectorAll('script[src]'))
    .map(s => s.getAttribute('src')).filter(s => /plotly/i.test(s));
  out.dead_widgets = document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"], .jupyter-widgets').length;
  // Accessibility: images with alt text, controls with a name.
  const hidden = e => e.closest('[aria-hidden="true"]') || e.getAttribute('role') === 'presentation';
  out.img_no_alt = Array.from(document.querySelectorAll('img'))
    .filter(i => !hidden(i) && !(i.getAttribute('alt') || '').trim())
    .map(i => i.getAttribute('src'));
  const named = e => (e.getAttribute('aria-label') || e.getAttribute('title') || '').trim()
    || (e.getAttribute('aria-labelledby') && document.getElementById(e.getAttribute('aria-labelledby')))
    || (e.id && document.querySelector('label[for="' + CSS.escape(e.id) + '"]'))
    || e.closest('label') || (e.tagName === 'BUTTON' && e.textContent.trim())
    || (e.tagName === 'INPUT' && /^(submit|button|reset)$/i.test(e.type) && e.value)
    || (e.tagName === 'INPUT' && e.getAttribute('placeholder'));
  const controls = 'input:not([type=hidden]), select, textarea, button';
  out.unnamed_controls = Array.from(document.querySelectorAll(controls))
    .filter(e => !hidden(e) && !named(e)).map(e => e.outerHTML.slice(0, 120));
  // Resources the page loaded (with the requests seen by the driver, this gives the weight).
  out.resources = performance.getEntriesByType('resource').map(r => r.name);
  out.theme = document.documentElement.getAttribute('data-theme');
  return out;
}
"""

# The colour of every piece of figure text and of what is behind it. Axis, legend, title, slider
# and colour-bar text sits on the page (figures have a transparent paper); annotation and trace
# text may sit on a filled shape or marker, which is then its background ("unknown" over a
# heatmap image, whose pixels are not read).
_FIGURE_TEXT_JS = r"""
() => {
  const onPage = '.gtitle, .xtitle, .ytitle, .xtick text, .ytick text, .legendtext, .cbtitle text, '
               + '.cbaxis text, .slider-label, .slider-current-value';
  const local = '.annotation-text, .textpoint text, .bartext';
  const rgba = c => {
    const m = /rgba?\(([^)]+)\)/.exec(c || '');
    if (!m) return null;
    const p = m[1].split(',').map(parseFloat);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const css = c => 'rgb(' + c.slice(0, 3).map(Math.round).join(', ') + ')';
  const pageBackground = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) return c;
    }
    return [255, 255, 255, 1];
  };
  const localBackground = (t, fig, page) => {
    const r = t.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    let bg = page, unknown = false;
    for (const c of fig.querySelectorAll('.shapelayer path, .point, .annotation .bg, image')) {
      const b = c.getBoundingClientRect();
      if (x < b.left || x > b.right || y < b.top || y > b.bottom) continue;
      if (c.tagName.toLowerCase() === 'image') { unknown = true; continue; }
      const s = getComputedStyle(c), f = rgba(s.fill);
      const a = f ? f[3] * parseFloat(s.fillOpacity || '1') * parseFloat(s.opacity || '1') : 0;
      if (a <= 0.05) continue;
      bg = [0, 1, 2].map(i => f[i] * a + bg[i] * (1 - a)).concat([1]);
      unknown = false;
    }
    return unknown ? 'unknown' : css(bg);
  };
  return Array.from(document.querySelectorAll('.plotly-graph-div')).map(fig => {
    const page = pageBackground(fig);
    const item = (t, where) => ({
      where, cls: t.getAttribute('class') || t.parentElement.getAttribute('class') || '',
      text: t.textContent.trim().slice(0, 30), fill: getComputedStyle(t).fill,
      background: where === 'page' ? css(page) : localBackground(t, fig, page)});
    const keep = t => t.textContent.trim() && !t.closest('.updatemenu-container, .hoverlayer')
                      && getComputedStyle(t).visibility !== 'hidden'
                      && t.getBoundingClientRect().width > 0;
    return {
      id: fig.id, background: css(page),
      texts: Array.from(fig.querySelectorAll(onPage)).filter(keep).map(t => item(t, 'page'))
        .concat(Array.from(fig.querySelectorAll(local)).filter(keep).map(t => item(t, 'local'))),
    };
  });
}
"""


# What a reader sees that is too wide, unreadable or overlapping, read at the page's width.
# * code: a code block (``div.highlight pre``: cell inputs and code in the text) or a cell's text
#   output (``.cell_output pre``) whose text is wider than the block, so the reader scrolls;
# * tables: an output table wider than the text column;
# * display math wider than its column (cut or scrolled);
# * raw TeX or dollars in the visible text (math that was not recognised as math);
# * figures: for each plotly figure the boxes of its title, legend, dropdowns and buttons
#   (updatemenus), sliders, colour bars, axis titles, tick labels, annotations and plot areas; the
#   checks in tests/test_browser.py look for overlaps and clipping. Heatmaps report how much of
#   their fixed colour range their values use, and every text its font size.
_READER_JS = r"""
() => {
  const main = document.querySelector('main') || document.body;
  const column = document.querySelector('.bd-article') || main;
  const columnWidth = column.getBoundingClientRect().width;
  const out = {column: columnWidth, code: [], tables: [], math: [], raw_tex: [], figures: []};
  const firstLine = t => t.trim().split('\n')[0].slice(0, 70);
  for (const pre of main.querySelectorAll('div.highlight pre, .cell_output pre')) {
    if (!pre.offsetParent) continue;  // hidden (a collapsed cell or solution)
    if (pre.scrollWidth > pre.clientWidth + 1) {
      const kind = pre.closest('.cell_output') ? 'output' :
                   pre.closest('.cell_input') ? 'cell' : 'code';
      out.code.push({kind, text: firstLine(pre.textContent), scroll: pre.scrollWidth,
                     width: pre.clientWidth});
    }
  }
  for (const table of main.querySelectorAll('table')) {
    if (!table.offsetParent) continue;
    const w = Math.max(table.getBoundingClientRect().width, table.scrollWidth);
    if (w > columnWidth + 1) {
      const head = Array.from(table.querySelectorAll('th')).slice(0, 4).map(t => t.textContent.trim());
      out.tables.push({width: Math.round(w), columns: table.querySelectorAll('thead th').length
                       || table.rows[0]?.cells.length || 0, head: head.join(' | ')});
    }
  }
  for (const m of main.querySelectorAll('mjx-container[display="true"], mjx-container[jax][display]')) {
    if (!m.offsetParent) continue;
    const box = m.closest('div.math') || m.parentElement;
    const inner = m.querySelector('mjx-math') || m;
    const w = inner.getBoundingClientRect().width;
    if (w > box.clientWidth + 1 || box.scrollWidth > box.clientWidth + 1) {
      const label = (box.querySelector('.eqno') || {}).textContent || '';
      out.math.push({label: label.trim(), width: Math.round(w), column: box.clientWidth});
    }
  }
  const skip = 'pre, code, .highlight, script, style, mjx-container, .plotly-graph-div, '
             + '.cell_input, .cell_output, .output, .math';
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip) || !el.offsetParent) continue;
    const m = n.textContent.match(/\\[A-Za-z]+|\$/);
    if (m) out.raw_tex.push(m[0] + ' in "' + n.textContent.trim().slice(0, 80) + '"');
  }
  const box = e => {
    const r = e.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
  };
  const shown = e => {
    const r = e.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    for (let x = e; x && x.tagName !== 'svg'; x = x.parentElement) {
      const s = getComputedStyle(x);
      if (s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0) return false;
    }
    return true;
  };
  for (const el of document.querySelectorAll('.plotly-graph-div')) {
    const svg = el.querySelector('.main-svg');
    if (!svg) continue;
    const parts = [];
    const add = (kind, e, text) => { if (shown(e)) parts.push({kind, text: (text ?? e.textContent)
                                                              .trim().slice(0, 50), ...box(e)}); };
    el.querySelectorAll('.g-gtitle .gtitle').forEach(e => add('title', e));
    el.querySelectorAll('.legend').forEach(e => add('legend', e.querySelector('.bg') || e,
                                                    e.textContent));
    el.querySelectorAll('.updatemenu-header-group, .updatemenu-button').forEach(
      e => add('menu', e));
    el.querySelectorAll('.slider-group').forEach(e => add('slider', e));
    el.querySelectorAll('.colorbar').forEach(e => add('colorbar', e, 'colour bar '
      + ((e.querySelector('.cbtitle') || {}).textContent || '')));
    // axis titles and tick labels of every subplot: .xtitle, .y2title, .xtick, .y3tick, ...
    const ofClass = re => Array.from(el.querySelectorAll('.main-svg text, .main-svg g'))
      .filter(e => re.test(e.getAttribute('class') || ''));
    ofClass(/^[xy]\d*title$/).forEach(e => add('axis title', e));
    // annotations with text (an arrow alone is drawing, not a label): the text's own box
    el.querySelectorAll('.annotation').forEach(e => {
      if (e.textContent.trim()) add('annotation', e.querySelector('.annotation-text') || e,
                                    e.textContent);
    });
    const plots = Array.from(el.querySelectorAll('.draglayer .nsewdrag')).filter(shown)
      .map((e, i) => ({kind: 'plot area', text: e.parentElement.getAttribute('class') || String(i),
                       ...box(e)}));
    const ticks = ofClass(/^[xy]\d*tick$/).map(g => g.querySelector('text')).filter(t => t && shown(t))
      .map(t => ({kind: 'tick label', text: t.textContent.trim().slice(0, 40), ...box(t)}));
    const lay = el.layout || {}, fullData = el._fullData || el.data || [];
    const heatmaps = [];
    // every number in an array, a nested array, a typed array or plotly.py's base64 form
    const typed = {f8: Float64Array, f4: Float32Array, i1: Int8Array, u1: Uint8Array,
                   i2: Int16Array, u2: Uint16Array, i4: Int32Array, u4: Uint32Array};
    const numbers = (v, acc) => {
      if (typeof v === 'number') { if (isFinite(v)) acc.push(v); }
      else if (v && typeof v.bdata === 'string' && typed[v.dtype]) {
        const bin = atob(v.bdata), bytes = new Uint8Array(bin.length);
        for (let j = 0; j < bin.length; j++) bytes[j] = bin.charCodeAt(j);
        numbers(Array.from(new typed[v.dtype](bytes.buffer)), acc);
      } else if (v && typeof v.length === 'number' && typeof v !== 'string') {
        for (const x of v) numbers(x, acc);
      }
    };
    // (el.data, not _fullData: plotly fills in no defaults for the traces a slider hides)
    (el.data || []).forEach((tr, i) => {
      if (tr.type !== 'heatmap' || tr.zmin === undefined || tr.zmax === undefined) return;
      const z = [];
      numbers((fullData[i] && fullData[i].z) || tr.z, z);
      if (!z.length || !(tr.zmax > tr.zmin)) return;
      const used = (Math.max(...z) - Math.min(...z)) / (tr.zmax - tr.zmin);
      heatmaps.push({trace: i, name: tr.name || '', used, zmin: tr.zmin, zmax: tr.zmax,
                     max: Math.max(...z)});
    });
    // every piece of text with its own size (a subscript <tspan> is smaller than its label)
    const fonts = Array.from(el.querySelectorAll('.main-svg text, .main-svg tspan')).filter(shown)
      .filter(t => Array.from(t.childNodes).some(c => c.nodeType === 3 && c.textContent.trim()))
      .map(t => ({text: (t.closest('text') || t).textContent.trim().slice(0, 30),
                  size: parseFloat(getComputedStyle(t).fontSize)}));
    out.figures.push({id: el.id, svg: box(svg), parts, plots, ticks, heatmaps, fonts,
                      title: (lay.title && (lay.title.text ?? lay.title)) || ''});
  }
  return out;
}
"""

# What _COLLECT_JS returns for a page it could not read.
EMPTY_DOM = {"math_count": 0, "math_unrendered": [], "math_errors": [], "mathjax_version": None,
             "xrefs": [], "citations": 0, "bad_citations": [], "literal": [], "links": [],
             "figures": [], "plotly_scripts": [], "dead_widgets": 0, "img_no_alt": [],
             "unnamed_controls": [], "resources": [], "theme": None}
EMPTY_READER = {"column": 0, "code": [], "tables": [], "math": [], "raw_tex": [], "figures": []}


@dataclass
class PageReport:
    """What one page showed in one colour mode (see the module docstring)."""

    page: str
    mode: str
    seconds: float = 0.0
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    loaded: dict[str, int] = field(default_factory=dict)  # file path -> bytes
    plotly_loads: int = 0
    inline_plotly: int = 0
    dom: dict = field(default_factory=lambda: dict(EMPTY_DOM))
    broken_links: list[str] = field(default_factory=list)
    figure_text: list[dict] = field(default_factory=list)
    dark_figure_text: list[dict] = field(default_factory=list)
    reader: dict = field(default_factory=lambda: dict(EMPTY_READER))

    @property
    def weight(self) -> int:
        """Bytes of the page and everything it loaded (each file counted once)."""
        return sum(self.loaded.values())


def file_path(url: str) -> Path | None:
    """The file on disk behind a ``file://`` URL (query and fragment dropped)."""
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


def is_plotly_js(url: str) -> bool:
    return re.search(r"/plotly(-[\w.]+)?(\.min)?\.js$", urlparse(url).path) is not None


class BookBrowser:
    """One headless Chromium for many pages; use as a context manager."""

    def __init__(self, wait_seconds: float = 30.0, playwright=None):
        """``playwright``: a started Playwright to use (its sync API allows one per thread);
        by default the browser starts and stops its own."""
        self.wait_ms = wait_seconds * 1000
        self._ids: dict[Path, set[str]] = {}
        self._given = playwright

    def __enter__(self) -> BookBrowser:
        if self._given is not None:
            self._pw = self._given
        else:
            from playwright.sync_api import sync_playwright

            self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                args=CHROMIUM_ARGS)
        return self

    def __exit__(self, *exc):
        self.browser.close()
        if self._given is None:
            self._pw.stop()

    def _anchor_ids(self, path: Path) -> set[str]:
        if path not in self._ids:
            self._ids[path] = parse_html(path).ids
        return self._ids[path]

    def broken_links(self, links: list[str]) -> list[str]:
        """Links to files that do not exist, or to anchors their target does not have."""
        broken = []
        for url in dict.fromkeys(links):
            path = file_path(url)
            if path is None:
                continue
            if not path.exists():
                broken.append(f"{url} (no such file)")
                continue
            fragment = unquote(urlparse(url).fragment)
            if fragment and path.suffix == ".html" and fragment not in self._anchor_ids(path):
                broken.append(f"{url} (no element with id {fragment!r})")
        return broken

    def visit(self, page: Path, html_root: Path | None = None, shots: Path | None = None,
              dark_toggle: bool = True, color_scheme: str = "light",
              wait_seconds: float | None = None) -> PageReport:
        """Open ``page`` from disk and collect a :class:`PageReport`.

        With ``dark_toggle``, after the checks in the initial mode the page is switched to the
        theme's dark mode (``data-theme="dark"`` on ``<html>``, as the theme's switch does) and the
        figure text is read again. Full-page screenshots of both modes go to ``shots``. Waits at
        most ``wait_seconds`` (default: the browser's) for MathJax and the figures.
        """
        wait_ms = self.wait_ms if wait_seconds is None else wait_seconds * 1000
        name = str(page.relative_to(html_root)) if html_root else page.name
        report = PageReport(page=name, mode=color_scheme)
        context = self.browser.new_context(viewport=VIEWPORT, color_scheme=color_scheme,
                                           service_workers="block")
        requested: list[str] = []

        def route(r):
            url = r.request.url
            if url.startswith(("file:", "data:", "blob:")):
                r.continue_()
            else:
                report.blocked.append(url)
                r.abort()

        context.route("**/*", route)
        tab = context.new_page()
        tab.on("console", lambda m: report.console_errors.append(
            f"{m.text} ({m.location.get('url', '')}:{m.location.get('lineNumber', '')})")
            if m.type == "error" else None)
        tab.on("pageerror", lambda e: report.page_errors.append(str(e)))
        tab.on("request", lambda r: requested.append(r.url))
        tab.on("requestfailed", lambda r: None if r.url in report.blocked else
               report.failed.append(f"{r.url}: {r.failure}"))
        start = time.perf_counter()
        from playwright.sync_api import Error as PlaywrightError

        try:
            tab.goto(page.as_uri(), wait_until="load", timeout=self.wait_ms)
            tab.evaluate(_WAIT_JS, wait_ms)
            report.dom = tab.evaluate(_COLLECT_JS)
            report.figure_text = tab.evaluate(_FIGURE_TEXT_JS)
            report.reader = tab.evaluate(_READER_JS)
            report.seconds = time.perf_counter() - start
            if shots is not None:
                shots.mkdir(parents=True, exist_ok=True)
                stem = name.replace("/", "__").removesuffix(".html")
                tab.screenshot(path=str(shots / f"{stem}-{color_scheme}.png"), full_page=True)
            if dark_toggle:
                report.dark_figure_text = self._to_dark(tab)
                if shots is not None:
                    tab.screenshot(path=str(shots / f"{stem}-dark.png"), full_page=True)
        except PlaywrightError as err:  # a page that hangs or crashes is a finding, not a crash
            report.page_errors.append(f"the browser could not finish reading the page: {err}")
        finally:
            context.close()
        urls = dict.fromkeys([page.as_uri(), *requested, *report.dom.get("resources", [])])
        for url in urls:
            path = file_path(url)
            if path is not None and path.is_file():
                report.loaded[str(path)] = path.stat().st_size
        report.plotly_loads = sum(is_plotly_js(u) for u in requested)
        report.inline_plotly = inline_plotly_bundles(page)
        report.broken_links = self.broken_links(report.dom.get("links", []))
        return report

    def _to_dark(self, tab) -> list[dict]:
        """Switch the page to dark mode and return the figure text once it has been restyled."""
        before = json.dumps(tab.evaluate(_FIGURE_TEXT_JS))
        tab.evaluate("() => { const d = document.documentElement;"
                     " d.setAttribute('data-mode', 'dark'); d.setAttribute('data-theme', 'dark'); }")
        deadline = time.perf_counter() + 5
        texts = tab.evaluate(_FIGURE_TEXT_JS)
        while json.dumps(texts) == before and any(f["texts"] for f in texts) \
                and time.perf_counter() < deadline:
            tab.wait_for_timeout(100)
            texts = tab.evaluate(_FIGURE_TEXT_JS)
        tab.wait_for_timeout(200)  # let every figure's relayout finish
        return tab.evaluate(_FIGURE_TEXT_JS)


# --------------------------------------------------------------------------- colours

def parse_rgb(css: str) -> tuple[float, float, float]:
    """``rgb(r, g, b)`` / ``rgba(r, g, b, a)`` -> (r, g, b) in 0..255."""
    m = re.match(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)", css)
    if not m:
        raise ValueError(f"not an rgb colour: {css!r}")
    return tuple(float(v) for v in m.groups())


def luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG relative luminance of an sRGB colour in 0..255."""
    def lin(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
