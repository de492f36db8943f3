"""The look shared by every figure of the book.

* :data:`OKABE_ITO`, a colour-blind-safe qualitative palette, and :data:`TEMPLATE`, a plotly
  template with transparent backgrounds whose text and grid colours follow the page's light or
  dark mode in the built book;
* :func:`with_alt`, alt text for screen readers.
"""

from __future__ import annotations

import plotly.graph_objects as go

OKABE_ITO = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black (swapped for white in dark mode)
]

NEUTRAL = "#7f7f7f"

TEMPLATE = go.layout.Template(
    layout=dict(
        colorway=OKABE_ITO,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font=dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=13,
                  color="#333333"),
        xaxis=dict(gridcolor="rgba(127,127,127,0.25)", zerolinecolor="rgba(127,127,127,0.5)",
                   linecolor=NEUTRAL, showline=True),
        yaxis=dict(gridcolor="rgba(127,127,127,0.25)", zerolinecolor="rgba(127,127,127,0.5)",
                   linecolor=NEUTRAL, showline=True),
        legend=dict(bgcolor="rgba(0,0,0,0)"),
        hoverlabel=dict(namelength=-1),
        margin=dict(l=60, r=20, t=60, b=50),
    )
)

def with_alt(fig: go.Figure, alt: str) -> go.Figure:
    """Attach alt text (read by screen readers in the built book) to ``fig`` and return it."""
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    fig.update_layout(meta={**meta, "alt": alt})
    return fig
