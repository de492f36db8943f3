"""The look shared by every figure of the book.

* :data:`OKABE_ITO`, a colour-blind-safe qualitative palette, and :data:`TEMPLATE`, a plotly
  template with transparent backgrounds whose text and grid colours follow the page's light or
  dark mode in the built book;
* :func:`book_layout`, the book's layout rule: where a figure's title, legend, dropdowns and
  sliders go so that none of them can overlap another or be cut off. Every figure the book
  shows passes through it (:mod:`probrnn.figures.render` applies it);
* :func:`with_alt`, alt text for screen readers.
"""

from __future__ import annotations

import re

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
        title=dict(font=dict(size=16)),
    )
)

# --------------------------------------------------------------------------- the layout rule
# Sizes in pixels, for the template's fonts (13 px text, 16 px titles).
TITLE_CHARS = 68  # characters per title line: fits a 640 px wide figure (phone-landscape up)
LEGEND_CHARS = 28  # characters per legend line
TITLE_LINE_PX = 22  # height of one title line
TITLE_PAD_PX = 10  # above the title, and between the title and what follows
BAND_PX = {"subplot titles": 24, "menus": 40}  # the bands between the title and the plot
SLIDER_PAD_PX = 64  # from the bottom of the plot to a slider: tick labels and axis title
SLIDER_STACK_PX = 75  # from one slider to the next below it (rail, labels, current value)
LEGEND_ROW_PX = 20  # one legend entry


def _visible_length(text: str) -> int:
    return len(re.sub(r"<[^>]*>", "", text))


def _words(text: str) -> list[str]:
    """The words of ``text`` (tags kept inside words), with "x = 1" kept together."""
    words = re.findall(r"(?:<[^>]*>|[^\s<])+", text)
    out: list[str] = []
    for word in words:
        if out and (word in ("=", "<", ">", "+", "-") or out[-1].endswith((" =", " <", " >"))):
            out[-1] = f"{out[-1]} {word}"
        else:
            out.append(word)
    return out


def wrap_label(text: str, width: int) -> str:
    """``text`` with ``<br>`` between words so that no line shows more than ``width``
    characters (tags such as ``<sub>`` do not count; existing ``<br>`` are kept; a
    ``<sup>...</sup>`` line is wrapped inside the tags). "x = 1" is never split, and a line
    that would break inside a parenthesis breaks before it instead, if that leaves the line
    at least half full. Idempotent."""
    if not text:
        return text
    lines = []
    for line in re.split(r"<br\s*/?>", text):
        sup = re.fullmatch(r"\s*<sup>(.*)</sup>\s*", line)
        inner = sup.group(1) if sup else line
        limit = width * 1.3 if sup else width
        out, current = [], []
        for word in _words(inner):
            if current and _visible_length(" ".join([*current, word])) > limit:
                opening = [i for i, w in enumerate(current) if w.startswith("(")]
                cut = opening[-1] if opening and not any(")" in w for w in current[opening[-1]:]) \
                    else len(current)
                if cut < len(current) and _visible_length(" ".join(current[:cut])) < limit / 2:
                    cut = len(current)
                out.append(" ".join(current[:cut]))
                current = current[cut:]
            current.append(word)
        out.append(" ".join(current))
        lines += [f"<sup>{x}</sup>" for x in out] if sup else out
    return "<br>".join(lines)


def _title_text(layout) -> str:
    title = layout.title
    return (title.text or "") if title is not None else ""


def _outside_top(legend) -> bool:
    """A legend that plotly would draw above the plot area, where the title is. (Without a
    ``y``, plotly puts a vertical legend right of the plot and a horizontal one below it.)"""
    y = legend.y
    if y is None:
        return False
    if legend.yref == "container":
        return y > 0.5
    return y > 1 or (y >= 1 and legend.yanchor == "bottom")


def book_layout(fig: go.Figure) -> go.Figure:
    """Apply the book's layout rule to ``fig`` (in place) and return it. Idempotent.

    The title owns the top of the figure and nothing else can get there:

    * the title sits at the top left of the figure, wrapped at :data:`TITLE_CHARS` characters
      per line so it is never cut off at the right; the top margin is set to exactly the
      title's height plus the bands below it, so the plot starts under them;
    * below the title, in their own bands: the subplot titles (if any), then the dropdowns and
      buttons (``updatemenus`` placed above the plot);
    * a legend that would sit above the plot goes to the right of the plot instead (vertical,
      aligned with the plot's top, entries wrapped at :data:`LEGEND_CHARS`); a legend the
      figure places inside the plot area, at its right or below it is left there;
    * colour bars beside a right-hand legend start below the legend;
    * sliders sit at least :data:`SLIDER_PAD_PX` below the plot, clear of the tick labels and
      the x-axis title, one under the other (:data:`SLIDER_STACK_PX` apart).

    Checked in a browser from the rendered boxes by ``tests/test_browser.py``.
    """
    layout = fig.layout
    height = layout.height or 450
    title = wrap_label(_title_text(layout), TITLE_CHARS)
    lines = title.count("<br>") + 1 if title else 0
    subplot_titles = [a for a in layout.annotations if a.yref == "paper" and (a.y or 0) >= 1
                      and a.yanchor == "bottom" and not a.showarrow]
    title_rows = max((a.text or "").count("<br>") + 1 for a in subplot_titles) \
        if subplot_titles else 0
    menus_above = [m for m in layout.updatemenus if (m.y if m.y is not None else 1) > 1]
    top = TITLE_PAD_PX + lines * TITLE_LINE_PX + TITLE_PAD_PX
    bands = []
    if subplot_titles:
        bands.append(BAND_PX["subplot titles"] * title_rows)
    if menus_above:
        bands.append(BAND_PX["menus"])
    margin_b = layout.margin.b if layout.margin.b is not None else 50
    n_sliders = sum(1 for sl in layout.sliders if (sl.y if sl.y is not None else 0) <= 0)
    if n_sliders:  # plotly widens the bottom margin to hold the sliders
        margin_b = max(margin_b, SLIDER_PAD_PX + n_sliders * SLIDER_STACK_PX)
    plot_height = max(height - top - sum(bands) - margin_b, 100)
    if menus_above:  # above the subplot titles (if any), below the title
        offset = BAND_PX["subplot titles"] * title_rows
        for menu in menus_above:
            menu.update(y=1 + (offset + 6) / plot_height, yanchor="bottom")
    layout.update(
        # (plotly draws a title of several lines 11 px higher than one of one line: measured)
        title=dict(text=title, x=0, xref="container", xanchor="left", y=1, yref="container",
                   yanchor="top", automargin=False,
                   pad=dict(t=TITLE_PAD_PX + (11 if lines > 1 else 0), l=12, r=0, b=0)),
        margin=dict(t=top + sum(bands)))
    legend_right = False
    shown = {t.name for t in fig.data if t.showlegend is not False and t.name
             and (t.showlegend or t.type not in ("heatmap", "contour", "histogram2d"))}
    if (layout.showlegend is not False) and shown:
        if _outside_top(layout.legend):
            layout.legend.update(orientation="v", x=1.02, xanchor="left", xref="paper", y=1,
                                 yanchor="top", yref="paper")
        legend = layout.legend
        legend_right = legend.orientation != "h" and (legend.x is None or legend.x > 1)
        if legend_right:
            for trace in fig.data:
                if trace.name and trace.showlegend is not False:
                    trace.name = wrap_label(trace.name, LEGEND_CHARS)
    if legend_right:  # colour bars start below the legend
        rows = sum(name.count("<br>") + 1 for name in
                   {wrap_label(n, LEGEND_CHARS) for n in shown})
        below = min(0.8, (rows * LEGEND_ROW_PX + 16) / plot_height)
        for trace in fig.data:
            if "colorbar" in trace and trace.showscale is not False:
                trace.colorbar.update(len=1 - below, lenmode="fraction", y=0, yanchor="bottom")
    below = [s for s in layout.sliders if (s.y if s.y is not None else 0) <= 0]
    for i, slider in enumerate(sorted(below, key=lambda s: s.pad.t or 0)):
        pad = slider.pad.t if slider.pad.t is not None else 0
        slider.update(y=0, yanchor="top",
                      pad=dict(t=max(pad, SLIDER_PAD_PX + i * SLIDER_STACK_PX)))
    return fig


def with_alt(fig: go.Figure, alt: str) -> go.Figure:
    """Attach alt text (read by screen readers in the built book) to ``fig`` and return it."""
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    fig.update_layout(meta={**meta, "alt": alt})
    return fig
