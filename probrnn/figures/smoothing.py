"""Figures of the chapter *Smoothing, and bidirectional RNNs*.

Pure functions: tidy tables or arrays in, plotly Figures out. Static interactivity only toggles
trace visibility (sliders), so every figure works in the static book.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..validate import check_float_array, check_index_array, check_table
from .style import NEUTRAL, OKABE_ITO, with_alt

M_COLORS = [OKABE_ITO[0], OKABE_ITO[1], OKABE_ITO[5], OKABE_ITO[2], OKABE_ITO[3]]
MEASURES = {"agreement_off_ties": "agreement (non-ties)", "mean_tv": "mean total variation",
            "excess_log_loss": "excess log-loss (nats)"}
METHOD_COLORS = {"smoother": OKABE_ITO[2], "filter": NEUTRAL, "bidirectional RNN": OKABE_ITO[0],
                 "one-directional RNN": OKABE_ITO[1]}


def _need(df, cols, what: str) -> pd.DataFrame:
    return check_table(df, cols, what)


def smoothing_sliders(df: pd.DataFrame) -> go.Figure:
    """Bidirectional RNNs against the smoother: agreement off near-ties, mean TV and excess
    log-loss against k (log axis), one line per m (median over HMM draws if several), with a slider over
    the number of training sequences n. A network that hit the cap is drawn as a large cross, as
    in the other chapters' figures."""
    df = _need(df, ["direction", "m", "k", "n_train", "hit_cap", *MEASURES], "smoothing_sliders")
    bi = df[df.direction == "bi"]
    if bi.empty:
        raise ValueError("smoothing_sliders needs rows with direction == 'bi'")
    ms, ns = sorted(bi.m.unique()), sorted(bi.n_train.unique())
    fig = make_subplots(rows=1, cols=3, subplot_titles=list(MEASURES.values()),
                        horizontal_spacing=0.08)
    per_n = 0
    for i, n in enumerate(ns):
        sub = bi[bi.n_train == n]
        count = 0
        for j, m in enumerate(ms):
            med = sub[sub.m == m].groupby("k")[list(MEASURES)].median()
            capped = sub[(sub.m == m)].groupby("k").hit_cap.any()
            cap = capped.reindex(med.index).fillna(False).to_numpy(bool)
            for c, col in enumerate(MEASURES, start=1):
                fig.add_trace(go.Scatter(
                    x=med.index, y=med[col], mode="lines+markers", visible=i == 0,
                    name=f"m = {m}", legendgroup=f"m{m}", showlegend=c == 1,
                    line=dict(color=M_COLORS[j % len(M_COLORS)]),
                    marker=dict(symbol=np.where(cap, "x-thin-open", "circle"),
                                size=np.where(cap, 14, 8),
                                line=dict(width=np.where(cap, 2.5, 0))),
                    hovertemplate=f"m = {m}, n = {n}<br>k = %{{x}}<br>{col} %{{y:.4f}}"
                                  "<extra></extra>"), row=1, col=c)
                count += 1
        per_n = max(per_n, count)
        if count != per_n:
            raise ValueError("every n must have rows for every m")
    steps = []
    for i, n in enumerate(ns):
        vis = [False] * (per_n * len(ns))
        vis[i * per_n:(i + 1) * per_n] = [True] * per_n
        steps.append(dict(method="update", label=f"{n:,}", args=[{"visible": vis}]))
    fig.update_layout(title="Bidirectional RNNs against forward-backward",
                      height=460, sliders=[dict(active=0, steps=steps, pad=dict(t=50),
                                                currentvalue=dict(prefix="training sequences n = "))])
    fig.update_xaxes(type="log", title_text="hidden units k")
    fig.update_yaxes(rangemode="tozero", col=2)
    fig.update_yaxes(rangemode="tozero", col=3)
    return with_alt(fig, "Three panels against the number of hidden units k: agreement with the "
                         "smoother's argmax off near-ties, mean total variation to the smoother "
                         "and excess log-loss, one line per number of HMM states m, with a "
                         "slider over the number of training sequences n.")


def accuracy_ceiling(gap: pd.DataFrame, trained: pd.DataFrame | None = None) -> go.Figure:
    """The filter's and the smoother's accuracy per HMM (``smoothing_gap`` rows) against m, and,
    if ``trained`` (a :func:`~probrnn.experiments.smoothing.smoothing` table) is given, the
    accuracy of its bidirectional and one-directional RNNs at their largest k and n, with the
    filter's and the smoother's accuracy on the networks' own HMM and test set (open diamonds,
    from the bidirectional rows' ``accuracy_filter`` and ``accuracy_ref``)."""
    gap = _need(gap, ["m", "accuracy_filter", "accuracy_smoother"], "accuracy_ceiling")
    fig = go.Figure()
    offsets = {"filter": -0.12, "smoother": -0.04, "one-directional RNN": 0.04,
               "bidirectional RNN": 0.12}
    ms = sorted(gap.m.unique())
    pos = {m: i for i, m in enumerate(ms)}
    for name, col in (("filter", "accuracy_filter"), ("smoother", "accuracy_smoother")):
        fig.add_trace(go.Scatter(
            x=[pos[m] + offsets[name] for m in gap.m], y=gap[col], mode="markers", name=name,
            marker=dict(size=9, color=METHOD_COLORS[name], symbol="circle"),
            customdata=gap.m, hovertemplate=name + ", m = %{customdata}: %{y:.3f}<extra></extra>"))
    if trained is not None:
        trained = _need(trained, ["direction", "m", "k", "n_train", "accuracy"], "accuracy_ceiling")
        for direction, name in (("uni", "one-directional RNN"), ("bi", "bidirectional RNN")):
            sub = trained[trained.direction == direction]
            sub = sub[(sub.k == sub.k.max()) & (sub.n_train == sub.n_train.max())]
            sub = sub[sub.m.isin(ms)]
            fig.add_trace(go.Scatter(
                x=[pos[m] + offsets[name] for m in sub.m], y=sub.accuracy, mode="markers",
                name=name, marker=dict(size=10, color=METHOD_COLORS[name], symbol="diamond"),
                customdata=sub.m,
                hovertemplate=name + ", m = %{customdata}: %{y:.3f}<extra></extra>"))
            if direction == "bi" and {"accuracy_filter", "accuracy_ref"} <= set(sub.columns):
                # the filter and the smoother on the networks' own HMM and test set
                for ref, col in (("filter", "accuracy_filter"), ("smoother", "accuracy_ref")):
                    label = f"{ref}, RNNs' HMM and test set"
                    fig.add_trace(go.Scatter(
                        x=[pos[m] + offsets[ref] for m in sub.m], y=sub[col], mode="markers",
                        name=label, marker=dict(size=12, color=METHOD_COLORS[ref],
                                                symbol="diamond-open", line=dict(width=2)),
                        customdata=sub.m,
                        hovertemplate=label + ", m = %{customdata}: %{y:.3f}<extra></extra>"))
    fig.update_layout(title="Accuracy against the true states: filter, smoother and RNNs",
                      height=420, xaxis=dict(tickvals=list(range(len(ms))),
                                             ticktext=[f"m = {m}" for m in ms],
                                             title_text="hidden states"),
                      yaxis_title="accuracy")
    return with_alt(fig, "Accuracy of the filter's and of the smoother's argmax against the "
                         "true hidden states, one point per HMM, grouped by the number of states "
                         "m; filled diamonds mark trained one- and bidirectional RNNs, open "
                         "diamonds the filter and the smoother on the RNNs' own HMM and test "
                         "set.")


def true_state_probability(posteriors: Mapping, states, obs=None) -> go.Figure:
    """The probability each method gives the true state H_t, step by step, for one sequence:
    ``posteriors`` maps a method name to its (T, m) posteriors; ``states`` (T,)."""
    if not isinstance(posteriors, Mapping) or not posteriors:
        raise ValueError("posteriors must be a non-empty dict: name -> (T, m) array")
    arrays = {k: check_float_array(v, f"posteriors[{k!r}]", 2) for k, v in posteriors.items()}
    T, m = next(iter(arrays.values())).shape
    for k, v in arrays.items():
        if v.shape != (T, m):
            raise ValueError(f"posteriors[{k!r}] has shape {v.shape}, expected {(T, m)}")
    states, _ = check_index_array(states, "states", m, "states", ndims=(1,))
    states = states.reshape(-1)
    if states.shape != (T,):
        raise ValueError(f"states must have shape ({T},) (got {states.shape})")
    t = np.arange(1, T + 1)
    # the symbol and the true state of each step go in the hover (on the axis they would crowd)
    step = ([f"H = {h}" for h in states] if obs is None else
            [f"x = {x}, H = {h}" for x, h in zip(obs, states, strict=True)])
    fig = go.Figure()
    for j, (name, p) in enumerate(arrays.items()):
        dash = "dot" if "RNN" in name else "solid"
        fig.add_trace(go.Scatter(
            x=t, y=p[np.arange(T), states], mode="lines+markers", name=name, customdata=step,
            line=dict(color=METHOD_COLORS.get(name, OKABE_ITO[j % 8]), dash=dash),
            hovertemplate=name + "<br>t = %{x} (%{customdata}): %{y:.3f}<extra></extra>"))
    fig.update_layout(title="Probability of the true state, one sequence", height=420,
                      xaxis=dict(tickvals=t, title_text="step t"),
                      yaxis=dict(range=[0, 1.02], title_text="probability of the true state"))
    return with_alt(fig, "For each step of one test sequence, the probability that each method "
                         "gives the true hidden state.")


def lag_share_figure(share, m: int | None = None) -> go.Figure:
    """The share of the smoother's accuracy gain over the filter that a fixed-lag smoother
    recovers, against the lag L, with a dotted line at 90%.

    ``share`` is 1-D, one value per lag (a Series indexed by L, or an array whose position is
    L): (accuracy at lag L - the filter's) / (the smoother's - the filter's), 0 at L = 0 and 1
    once the lag reaches the end of the sequence. ``m``, if given, is the HMM's number of
    states, named in the title. Returns a Figure with one line-and-marker trace."""
    x = share.index.to_numpy() if isinstance(share, pd.Series) else None
    y = check_float_array(share, "share", 1)
    x = np.arange(len(y)) if x is None else x
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines+markers", name="share"))
    fig.add_hline(y=0.9, line_dash="dot")
    title = "Share of the smoother's gain recovered by a fixed lag L"
    fig.update_layout(title=title + ("" if m is None else f" (m = {m})"),
                      xaxis_title="lag L", yaxis_title="share of the gain", height=360)
    return with_alt(fig, "The share of the smoother's accuracy gain over the filter that a "
                         "fixed-lag smoother recovers, against the lag L; a dotted line marks "
                         "90%.")
