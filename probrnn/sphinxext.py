"""Sphinx extension for the book: serve plotly.js from the book's own ``_static``, on the pages
that have figures, keep those figures readable in the theme's dark mode, and size code so that
80 characters fit the text column.

Listed in ``_config.yml`` under ``sphinx.extra_extensions``. Each figure's HTML (see
:mod:`probrnn.figures.render`) contains no plotly.js of its own, so the built book draws every figure
opened from disk with no network.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.nodes import make_refnode

from .widgets.live import STATIC_ENV

# The book's own CSS (_static/probrnn.css). In dark mode pydata-sphinx-theme paints HTML cell
# outputs light grey (for widgets and HTML made for white pages); book figures follow the page's
# mode themselves, so keep the page behind them.
BOOK_CSS = """\
html[data-theme=dark] .bd-content div.cell_output div.output.text_html:has(> .probrnn-figure) {
  background-color: transparent;
  padding: 0;
}
/* 80 characters of code fit the text column at 1280 px, so nobody scrolls sideways: the
   chapters' code is linted at 80 (book/ruff.toml) and tests/test_browser.py measures it. */
.bd-article div.highlight pre, .bd-article div.cell_output pre {
  font-size: 13px;
}
"""


def plotly_js_path() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _copy_assets(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(plotly_js_path(), static / "plotly.min.js")
    (static / "probrnn.css").write_text(BOOK_CSS)


def _page_scripts(app, pagename, templatename, context, doctree):
    """plotly.js (4.8 MB) only where a figure is; each identical script once.

    Under Jupyter Book, sphinx-thebe's inline ``const THEBE_JS_URL = ...`` is registered twice
    (once with filename None, once with ""), a SyntaxError on every page.
    """
    has_figure = doctree is not None and any(
        "probrnn-figure" in n.astext() for n in doctree.findall(nodes.raw))
    seen, keep = set(), []
    for js in context.get("script_files", []):
        name = str(getattr(js, "filename", js) or "")
        if name.endswith("plotly.min.js") and not has_figure:
            continue
        key = (name, tuple(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            keep.append(js)
    context["script_files"] = keep


GLOSSARY_DOC = "book/glossary"
_logger = logging.getLogger(__name__)


class GlossaryLinks(SphinxPostTransform):
    """Resolve ``[words](glossary.md#term-...)`` to the glossary's entry for that term.

    The chapters link a term's first use with a plain Markdown link, not ``{term}``, because a
    plain link also works where the notebooks are read outside the book (JupyterLab opens the
    glossary; Colab shows the words). MyST resolves a link into another document only to a
    heading; this runs before it and points the link at the term's own anchor. A link to a term
    the glossary does not define is a build warning (an error under ``-W``).
    """

    default_priority = 8  # before MyST's reference resolver (9)

    def run(self, **kwargs) -> None:
        terms = {node_id: (docname, name) for (kind, name), (docname, node_id)
                 in self.env.get_domain("std").objects.items() if kind == "term"}
        for node in list(self.document.findall(pending_xref)):
            if (node.get("refdomain") != "doc" or node.get("reftarget") != GLOSSARY_DOC
                    or not str(node.get("reftargetid") or "").startswith("term-")):
                continue
            target = node["reftargetid"]
            if target not in terms:
                _logger.warning("glossary link to %r: the glossary defines no such term "
                                "(its ids are 'term-' and the term, spaces as hyphens)",
                                target, location=node)
                node.replace_self(node[0].deepcopy())
                continue
            docname, name = terms[target]
            inner = nodes.inline("", "", classes=["xref", "std", "std-term"])
            inner.extend(child.deepcopy() for child in node[0].children)
            ref = make_refnode(self.app.builder, node.get("refdoc", self.env.docname),
                               docname, target, inner, name)
            node.replace_self(ref)


def setup(app):
    # Notebook kernels started by the build inherit this: no live widgets in a static build.
    os.environ[STATIC_ENV] = "1"
    # Loaded in <head> before any figure's script, and before require.js could hide it.
    app.add_js_file("plotly.min.js", priority=100)
    app.add_css_file("probrnn.css")
    app.connect("build-finished", _copy_assets)
    app.connect("html-page-context", _page_scripts)
    app.add_post_transform(GlossaryLinks)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.2"}
