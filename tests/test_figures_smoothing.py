"""The figure that left chapter 5's fixed-lag solution for ``probrnn.figures.smoothing``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from probrnn.course.sources import find_root
from probrnn.figures.smoothing import lag_share_figure

ROOT = find_root(__file__)
CHAPTERS = [ROOT / "book" / "05_smoothing.ipynb", ROOT / "book" / "06_continuous.ipynb"]
MAX_LINES = 20


def _source(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


# --------------------------------------------------------------------------- lag_share_figure
def test_lag_share_figure_from_a_series_indexed_by_the_lag():
    share = pd.Series([0.0, 0.55, 0.8, 0.93, 1.0])
    fig = lag_share_figure(share, m=8)
    assert isinstance(fig, go.Figure)
    assert len(fig.data) == 1
    trace = fig.data[0]
    assert trace.type == "scatter" and trace.mode == "lines+markers"
    assert list(trace.x) == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(trace.y, share.to_numpy())
    # the 90% line, dotted, across the plot
    (line,) = fig.layout.shapes
    assert line.y0 == line.y1 == 0.9 and line.line.dash == "dot"
    assert fig.layout.title.text.endswith("fixed lag L (m = 8)")
    assert fig.layout.xaxis.title.text == "lag L"
    assert fig.layout.meta["alt"]


def test_lag_share_figure_keeps_a_series_index_and_accepts_an_array():
    fig = lag_share_figure(pd.Series([0.0, 0.6, 1.0], index=[2, 4, 6]))
    assert list(fig.data[0].x) == [2, 4, 6]
    assert "(m =" not in fig.layout.title.text
    fig = lag_share_figure(np.array([0.0, 0.5, 0.95, 1.0]))
    assert list(fig.data[0].x) == [0, 1, 2, 3]
    np.testing.assert_array_equal(fig.data[0].y, [0.0, 0.5, 0.95, 1.0])


@pytest.mark.parametrize("bad", [np.zeros((2, 3)), [], [0.0, np.nan]])
def test_lag_share_figure_refuses_what_is_not_one_finite_share_per_lag(bad):
    with pytest.raises(ValueError, match="share"):
        lag_share_figure(bad)


def test_smoothing_sliders_mark_a_capped_network_with_a_cross():
    from probrnn.experiments.common import load_results
    from probrnn.figures.smoothing import smoothing_sliders

    res = load_results("smoothing")
    res = res.assign(hit_cap=(res.m == 4) & (res.k == 8))  # pretend one size hit the cap
    fig = smoothing_sliders(res)
    crosses = [t for t in fig.data if "x-thin-open" in list(t.marker.symbol)]
    assert crosses and all(t.name == "m = 4" for t in crosses)
    assert "x-thin-open" not in {s for t in smoothing_sliders(load_results("smoothing")).data
                                 for s in t.marker.symbol}
