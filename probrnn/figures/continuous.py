"""Figures of the continuous-state chapter (chapter 6): the learned linear RNN against the
Kalman filter, Figure 7 in continuous state and its slider over M and k, and one sequence's
filtering distributions. Pure functions of their data; none computes anything random."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..validate import check_float_array, check_table
from .style import NEUTRAL, OKABE_ITO, with_alt

METHOD_STYLE = {"rnn": dict(name="tanh RNN (k units)", color=OKABE_ITO[0], symbol="circle"),
                "pf": dict(name="particle filter (M particles)", color=OKABE_ITO[1],
                           symbol="diamond")}


def kalman_rnn_panels(df: pd.DataFrame) -> go.Figure:
    """Two panels over the state dimension, one marker per seed: the learned linear RNN's test
    MSE relative to the exact Kalman filter's (with the steady-state filter's), and the
    relative errors of its gain, impulse response and eigenvalues against the Riccati
    solution."""
    cols = ["state_dim", "mse_rnn", "mse_kalman", "mse_steady", "gain_error", "impulse_error",
            "eig_error"]
    check_table(df, cols, "df", numeric=cols)
    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        "MSE / Kalman MSE", "relative errors"))
    for i, (col, name) in enumerate((("mse_rnn", "linear RNN (learned)"),
                                     ("mse_steady", "steady-state filter"))):
        fig.add_trace(go.Scatter(
            x=df["state_dim"] + (i - 0.5) * 0.1, y=df[col] / df["mse_kalman"], mode="markers",
            name=name, marker=dict(color=OKABE_ITO[i], size=9, symbol=["circle", "square"][i]),
            hovertemplate="state dim %{x:.0f}<br>ratio %{y:.4f}<extra></extra>"), row=1, col=1)
    fig.add_hline(y=1.0, line=dict(color=NEUTRAL, dash="dot"), row=1, col=1)
    for i, (col, name) in enumerate((("gain_error", "gain ||OW - K|| / ||K||"),
                                     ("impulse_error", "impulse response (10 lags)"),
                                     ("eig_error", "eigenvalues (largest gap)"))):
        fig.add_trace(go.Scatter(
            x=df["state_dim"] + (i - 1) * 0.1, y=df[col], mode="markers", name=name,
            marker=dict(color=OKABE_ITO[i + 2], size=9, symbol=["diamond", "cross",
                                                                  "triangle-up"][i]),
            hovertemplate="state dim %{x:.0f}<br>%{y:.4f}<extra></extra>"), row=1, col=2)
    fig.update_xaxes(title_text="state dimension (k = state dim)", dtick=1)
    fig.update_yaxes(title_text="ratio", row=1, col=1)
    fig.update_yaxes(title_text="error", rangemode="tozero", row=1, col=2)
    fig.update_layout(height=460, title="A trained linear RNN against the steady-state Kalman filter")
    return with_alt(fig, "Left: test MSE of the trained linear RNN and of the steady-state filter "
                         "divided by the Kalman filter's, near 1 for every state dimension. "
                         "Right: relative errors of the learned gain, impulse response and "
                         "eigenvalues, all small.")


def _means(df: pd.DataFrame, col: str) -> pd.DataFrame:
    return df.groupby(["method", "size"])[col].agg(["mean", "min", "max"]).reset_index()


def size_panels(df: pd.DataFrame) -> go.Figure:
    """Figure 7 in continuous state: MSE of the posterior mean to the grid filter's against the
    size d (k = M = d), log-log, per method (replicate means, bars spanning the replicates),
    and the particle filter's Wasserstein-1 distance to the grid posterior."""
    check_table(df, ["size", "method", "mse_to_grid_mean", "w1"], "df",
                numeric=["size", "mse_to_grid_mean", "w1"])
    if not df["method"].isin(list(METHOD_STYLE)).any():
        raise ValueError(f"df has no rows of a known method {list(METHOD_STYLE)}")
    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        "MSE of the mean to the grid filter's", "W1 to the grid posterior"))
    for col_i, col in enumerate(("mse_to_grid_mean", "w1")):
        stats = _means(df.dropna(subset=[col]), col)
        for method, style in METHOD_STYLE.items():
            sub = stats[stats["method"] == method]
            if sub.empty:
                continue
            fig.add_trace(go.Scatter(
                x=sub["size"], y=sub["mean"], mode="lines+markers", name=style["name"],
                legendgroup=method, showlegend=col_i == 0,
                line=dict(color=style["color"]), marker=dict(symbol=style["symbol"], size=9),
                error_y=dict(type="data", symmetric=False, array=sub["max"] - sub["mean"],
                             arrayminus=sub["mean"] - sub["min"]),
                hovertemplate="s = %{x}<br>%{y:.4g}<extra></extra>"), row=1, col=col_i + 1)
    fig.update_xaxes(type="log", title_text="size d (k = M = d)")
    fig.update_yaxes(type="log", dtick=1)  # labels at powers of ten only
    fig.update_layout(height=460, title="Growth model: RNNs and particle filters at equal size")
    return with_alt(fig, "Log-log plots against the size d: the mean squared error of the "
                         "posterior mean to the grid filter's for the RNN and the particle "
                         "filter, and the particle filter's Wasserstein-1 distance.")


def size_sliders(df: pd.DataFrame, start: int = 20) -> go.Figure:
    """MSE to the grid filter's mean at each step t for one particle filter (slider over M) and
    one RNN (slider over k), from a :func:`~probrnn.experiments.continuous.continuous` table
    with ``mse_t*`` columns. Lines are replicate means; bands span the replicates. Each slider
    toggles only its own traces, so the figure works in static HTML; both start at size
    ``start`` where it exists (else at the smallest)."""
    check_table(df, ["size", "method"], "df", numeric=["size"])
    tcols = [c for c in df.columns if isinstance(c, str) and c.startswith("mse_t")
             and c[len("mse_t"):].isdigit()]
    if not tcols:
        raise ValueError("df has no mse_t* columns (per-step errors of the continuous sweep)")
    T = len(tcols)
    need = [f"mse_t{s}" for s in range(1, T + 1)]
    check_table(df, need, "df", numeric=need)
    for method in METHOD_STYLE:
        if not (df["method"] == method).any():
            raise ValueError(f"df has no rows of method {method!r}: the figure has a slider for "
                             "each of 'pf' and 'rnn'")
    t = np.arange(1, T + 1)
    fig = go.Figure()
    groups, active = {}, {}
    for method, style in METHOD_STYLE.items():
        sizes = sorted(df.loc[df["method"] == method, "size"].unique())
        groups[method] = []
        active[method] = sizes.index(start) if start in sizes else 0
        letter = "M" if method == "pf" else "k"
        for i, s in enumerate(sizes):
            vals = df[(df["method"] == method) & (df["size"] == s)][need].to_numpy()
            first = len(fig.data)
            fig.add_trace(go.Scatter(
                x=np.concatenate([t, t[::-1]]), y=np.concatenate([vals.max(0), vals.min(0)[::-1]]),
                fill="toself", fillcolor=style["color"], opacity=0.2, line=dict(width=0),
                hoverinfo="skip", showlegend=False, visible=i == active[method]))
            fig.add_trace(go.Scatter(
                x=t, y=vals.mean(0), mode="lines", visible=i == active[method],
                name=f"{style['name'].split(' (')[0]}, {letter} = {s}", legendgroup=method,
                line=dict(color=style["color"]),
                hovertemplate=f"{letter} = {s}<br>t=%{{x}}<br>MSE=%{{y:.4g}}<extra></extra>"))
            groups[method].append((s, [first, first + 1]))
    sliders = []
    for s_i, (method, prefix) in enumerate((("pf", "particles M = "), ("rnn", "hidden units k = "))):
        own = [j for _, idx in groups[method] for j in idx]
        steps = [dict(method="restyle", label=str(s),
                      args=[{"visible": [j in idx for j in own]}, own])
                 for s, idx in groups[method]]
        sliders.append(dict(active=active[method], steps=steps, currentvalue=dict(prefix=prefix),
                            pad=dict(t=40 + 75 * s_i), len=0.9, x=0.05))
    fig.update_xaxes(title_text="time step t")
    fig.update_yaxes(title_text="MSE to the grid filter's mean", type="log")
    fig.update_layout(height=560, sliders=sliders,
                      title="Error at each step: pick M and k")
    return with_alt(fig, "The squared error of the posterior mean to the grid filter's at each "
                         "time step, for one particle filter and one RNN; one slider sets the "
                         "particles M and the other the hidden units k.")


def posterior_trajectory(grid, weights, states=None, means: Mapping | None = None,
                         title: str = "One sequence: the grid filter's posterior") -> go.Figure:
    """The grid filter's filtering densities of one sequence as a heat map over (t, z), with
    the true states and any posterior means (name -> (T,) array) drawn over it.

    Args:
        grid: (G,) grid points; weights: (T, G) masses on them.
        states: (T,) true states or None; means: name -> (T,) estimates.
    """
    z = check_float_array(grid, "grid", 1)
    w = check_float_array(weights, "weights", 2)
    if w.shape[1] != z.shape[0]:
        raise ValueError(f"weights must be (T, G) with G = {z.shape[0]} grid points; got "
                         f"{w.shape}")
    T = w.shape[0]
    t = np.arange(1, T + 1)
    dens = w / np.gradient(z)[None, :]
    rel = dens / np.maximum(dens.max(axis=1, keepdims=True), 1e-300)  # 1 at each step's mode
    fig = go.Figure(go.Heatmap(x=t, y=z, z=rel.T, zmin=0, zmax=1, colorscale="Greys",
                               showscale=False, customdata=dens.T, name="grid posterior",
                               hovertemplate="t=%{x}<br>z=%{y:.1f}<br>density="
                                             "%{customdata:.3f}<extra></extra>"))
    if states is not None:
        s = check_float_array(states, "states", 1)
        if s.shape[0] != T:
            raise ValueError(f"states must have T = {T} entries; got {s.shape[0]}")
        fig.add_trace(go.Scatter(x=t, y=s, mode="markers", name="true state z_t",
                                 marker=dict(color=OKABE_ITO[5], size=7, symbol="x")))
    for i, (name, m) in enumerate((means or {}).items()):
        m = check_float_array(m, f"means[{name!r}]", 1)
        if m.shape[0] != T:
            raise ValueError(f"means[{name!r}] must have T = {T} entries; got {m.shape[0]}")
        fig.add_trace(go.Scatter(x=t, y=m, mode="lines", name=name,
                                 line=dict(color=OKABE_ITO[[2, 1, 0, 3, 4][i % 5]],
                                           width=2, dash=["solid", "dash", "dot"][i % 3])))
    live = np.flatnonzero(w.max(0) > 1e-4)
    lo, hi = (z[live[0]], z[live[-1]]) if live.size else (z[0], z[-1])
    fig.update_yaxes(title_text="state z", range=[lo - 1, hi + 1])
    fig.update_xaxes(title_text="time step t", range=[0.5, T + 0.5])
    fig.update_layout(height=460, title=title)
    return with_alt(fig, "Heat map of the filtering density of the state over time (each step "
                         "scaled to its mode), darker where it is larger, often with two bands "
                         "symmetric about zero; the "
                         "true states and the estimated posterior means are drawn over it.")


__all__ = ["kalman_rnn_panels", "size_panels", "size_sliders", "posterior_trajectory"]
