"""Headless Chromium for the course tools (Debian's ``/usr/bin/chromium``, driven by Playwright;
no browser is ever downloaded), opening pages from disk with the network cut off.

:func:`open_browser` starts it; :data:`WAIT_JS` waits until MathJax has typeset and every plotly
figure has drawn; :data:`MATH_ERRORS_JS` lists MathJax errors and undefined macros.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("PROBRNN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-quic"]

# Resolves to the milliseconds waited. Figures drawn by the book's renderer set
# data-probrnn-drawn; other plotly divs count as drawn once they hold an SVG.
WAIT_JS = """
async (timeoutMs) => {
  const t0 = performance.now();
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const left = () => timeoutMs - (performance.now() - t0);
  if (document.querySelector('.math, mjx-container, .tex2jax_process')) {
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && left() > 0) {
      await sleep(50);
    }
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      await Promise.race([MathJax.startup.promise, sleep(Math.max(left(), 0))]);
    }
  }
  const drawn = f => f.querySelector('.main-svg')
    && (!f.classList.contains('probrnn-figure') || f.getAttribute('data-probrnn-drawn') === 'true');
  while (left() > 0 && !Array.from(document.querySelectorAll('.plotly-graph-div')).every(drawn)) {
    await sleep(50);
  }
  await document.fonts.ready;
  return performance.now() - t0;
}
"""

MATH_ERRORS_JS = r"""
() => {
  const out = [];
  if (!(window.MathJax && MathJax.startup && MathJax.startup.document)) return out;
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
    if (bad) out.push(bad + ' in ' + String(item.math).slice(0, 80));
  }
  return out;
}
"""

UNDRAWN_FIGURES_JS = """
() => Array.from(document.querySelectorAll('.plotly-graph-div'))
  .filter(f => !f.querySelector('.main-svg')).map(f => f.id || '?')
"""


def check_chromium() -> Path:
    if not CHROMIUM.exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: install Debian's chromium "
                           f"(apt-get install chromium) or set PROBRNN_CHROMIUM")
    return CHROMIUM


_SHARED_PLAYWRIGHT = None


def share_playwright(playwright) -> None:
    """Make :func:`open_browser` launch from ``playwright`` (or stop, with None).

    Playwright's sync API allows one instance per thread: a caller that already holds one (the
    test session does) hands it over here instead of having a second one refused."""
    global _SHARED_PLAYWRIGHT
    _SHARED_PLAYWRIGHT = playwright


@contextlib.contextmanager
def open_browser():
    """A headless Chromium (Playwright ``Browser``), closed on exit."""
    check_chromium()
    if _SHARED_PLAYWRIGHT is not None:
        browser = _SHARED_PLAYWRIGHT.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def offline_context(browser, **kwargs):
    """A browser context in which every request that is not for a local file is aborted; the
    aborted URLs are collected in ``context.blocked``."""
    context = browser.new_context(**kwargs)
    context.blocked = []

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            context.blocked.append(url)
            r.abort()

    context.route("**/*", route)
    return context


def watch_errors(page) -> list[str]:
    """A list that collects the page's console errors and uncaught exceptions."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    return errors
