"""Sphinx extension used only by the PDF build (:mod:`probrnn.course.pdf`): make the
``singlehtml`` builder work for this book.

* Some extensions register their HTML visitors for the ``html`` builder alone (sphinx-proof's
  theorem, proposition, ... nodes), and Sphinx does not fall back from ``singlehtml`` to
  ``html``, so the single-page build stops at the first proposition. Before writing, this copies
  the ``html`` visitors that ``singlehtml`` lacks.
* With a root document in a subfolder (``book/intro``) the single page is written to
  ``book/intro.html`` but its links to ``_static`` and to its own labels
  (``book/intro.html#label``) are written relative to the output folder. After the build the
  page's links to itself become ``#label`` and the page is saved as ``index.html`` at the top of
  the output folder (replacing Jupyter Book's redirect), where every relative link works.
"""

from __future__ import annotations

from pathlib import Path


def _share_html_visitors(app) -> None:
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node, visitors in handlers.get("html", {}).items():
        single.setdefault(node, visitors)


def _fix_self_links(app, exception) -> None:
    if exception is not None or app.builder.name != "singlehtml":
        return
    page = Path(app.outdir) / f"{app.config.root_doc}{app.builder.out_suffix}"
    if page.is_file():
        text = page.read_text(encoding="utf-8")
        text = text.replace(f'href="{app.config.root_doc}{app.builder.out_suffix}#', 'href="#')
        (Path(app.outdir) / f"index{app.builder.out_suffix}").write_text(text, encoding="utf-8")


def setup(app):
    app.connect("builder-inited", _share_html_visitors)
    app.connect("build-finished", _fix_self_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
