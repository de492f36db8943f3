"""How the book's figures reach the page: in JupyterLab as live plotly figures, in the static
book as HTML that draws offline.

:func:`use_book_renderer` makes ``fig.show()`` (and a figure at the end of a cell) emit two
representations: plotly's own mimetype, which JupyterLab draws live, and a small HTML snippet
for the static book that draws with the ``plotly.js`` the book serves once from its own
``_static`` folder (see :mod:`probrnn.sphinxext`), so figures render offline. Outside the book
(e.g. Colab, where no plotly.js is on the page) the snippet loads plotly.js itself. Both pass
every figure through the layout rule of :func:`probrnn.figures.style.book_layout`.
"""

from __future__ import annotations

import html
import json
import uuid

import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer

from .style import TEMPLATE, book_layout

PLOTLY_CDN = "https://cdn.plot.ly/plotly-{version}.min.js"

# Runs once per figure: draws it, then keeps text and grid colours readable in the page's mode.
_DRAW_JS = """
(function () {
  var id = %(id)s, fig = %(fig)s, config = %(config)s;
  function mode() {
    var d = document.documentElement;
    var t = d.getAttribute('data-theme') || d.getAttribute('data-mode') || 'light';
    if (t === 'auto') {
      t = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
    }
    return t;
  }
  function themed() {
    var dark = mode() === 'dark';
    var fg = dark ? '#e6e6e6' : '#333333';
    var upd = {'font.color': fg, 'title.font.color': fg, 'legend.font.color': fg};
    return upd;
  }
  function draw() {
    var el = document.getElementById(id);
    if (!el) { return; }
    Plotly.newPlot(el, fig.data, fig.layout, config).then(function () {
      if (fig.frames && fig.frames.length) { Plotly.addFrames(el, fig.frames); }
      Plotly.relayout(el, themed());
      el.setAttribute('data-probrnn-drawn', 'true');
    });
    new MutationObserver(function () { Plotly.relayout(el, themed()); })
      .observe(document.documentElement, {attributes: true, attributeFilter: ['data-theme', 'data-mode']});
  }
  if (window.Plotly) { draw(); }
  else {
    var s = document.createElement('script');
    s.src = %(cdn)s; s.onload = draw; document.head.appendChild(s);
  }
})();
"""


def _with_rule(fig) -> dict:
    """``fig`` (a Figure or its dict) as a dict, with :func:`book_layout` applied."""
    figure = go.Figure(fig) if isinstance(fig, dict) else go.Figure(fig)  # a copy
    return book_layout(figure).to_plotly_json()


def figure_html(fig, div_id: str | None = None, layout_rule: bool = True) -> str:
    """The HTML snippet (a div and a script, no plotly.js) that draws ``fig`` in the book,
    laid out by :func:`book_layout` (``layout_rule=False``: as it is)."""
    fig_dict = _with_rule(fig) if layout_rule else (
        fig if isinstance(fig, dict) else fig.to_plotly_json())
    layout = fig_dict.get("layout", {})
    meta = layout.get("meta") or {}
    alt = meta.get("alt") if isinstance(meta, dict) else None
    if not alt:
        title = layout.get("title", {})
        alt = title.get("text") if isinstance(title, dict) else title
    height = layout.get("height") or 450
    div_id = div_id or f"probrnn-fig-{uuid.uuid4().hex[:12]}"
    fig_json = pio.to_json(fig_dict, validate=False)
    script = _DRAW_JS % {
        "id": json.dumps(div_id),
        "fig": fig_json.replace("</", "<\\/"),
        "config": json.dumps({"responsive": True, "displaylogo": False}),
        "cdn": json.dumps(PLOTLY_CDN.format(version=_plotlyjs_version())),
    }
    label = html.escape(alt or "interactive figure", quote=True)
    return (
        f'<div id="{div_id}" class="plotly-graph-div probrnn-figure" role="img" '
        f'aria-label="{label}" style="height:{int(height)}px; width:100%;"></div>\n'
        f'<script type="text/javascript">{script}</script>'
    )


def _plotlyjs_version() -> str:
    from plotly.offline import get_plotlyjs_version

    return get_plotlyjs_version()


class BookRenderer(MimetypeRenderer):
    """Plotly's mimetype (live JupyterLab) plus an offline-ready HTML snippet (static book)."""

    def to_mimebundle(self, fig_dict):
        fig_dict = _with_rule(fig_dict)
        return {
            "application/vnd.plotly.v1+json": {"data": fig_dict.get("data", []),
                                               "layout": fig_dict.get("layout", {}),
                                               "frames": fig_dict.get("frames", [])},
            "text/html": figure_html(fig_dict, layout_rule=False),
        }


def use_book_renderer() -> None:
    """Register the book's renderer and template as plotly's defaults (call once per notebook)."""
    pio.renderers["probrnn"] = BookRenderer()
    pio.renderers.default = "probrnn"
    pio.templates["probrnn"] = TEMPLATE
    pio.templates.default = "plotly_white+probrnn"
