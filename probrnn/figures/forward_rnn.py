"""Figures of the chapter *RNNs as approximations of the forward algorithm* (Figures 5, 6).

Pure functions: tidy tables or arrays in, plotly Figures out. Static interactivity only toggles
trace visibility (dropdowns, sliders), so every figure works in the static book.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..plotting import OKABE_ITO, with_alt

RNN_C, FWD_C, AGREE_C, CHANCE_C = OKABE_ITO[0], OKABE_ITO[2], OKABE_ITO[1], OKABE_ITO[3]
K_COLORS = [OKABE_ITO[0], OKABE_ITO[1], OKABE_ITO[5], OKABE_ITO[4], OKABE_ITO[3]]
TEST_SETS = {"": "10,000 test sequences", "_100": "the paper's 100 test sequences"}


def _need(df: pd.DataFrame, cols, what: str):
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{what} needs columns {missing} (got {list(df.columns)})")
    if df.empty:
        raise ValueError(f"{what}: the table is empty")


def _menu_layout(title: str, height: int, buttons: list, bottom: int = 60) -> dict:
    """Layout with a dropdown above the plots (:func:`probrnn.plotting.book_layout` gives it
    its own band between the title and the plots)."""
    return dict(
        title=title, height=height, margin=dict(b=bottom),
        updatemenus=[dict(buttons=buttons, x=0, xanchor="left", y=1.02, yanchor="bottom",
                          showactive=True)],
    )


def _grid_part(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of the main grid (a Figure 5 table may also hold census rows)."""
    return df[df["part"] == "grid"] if "part" in df.columns else df


def _spread(df: pd.DataFrame, by: str, col: str) -> pd.DataFrame:
    """Median, min and max of ``col`` over rows with the same ``by``."""
    g = df.groupby(by)[col]
    return pd.DataFrame({"med": g.median(), "lo": g.min(), "hi": g.max()}).reset_index()


def _err(s: pd.DataFrame) -> dict:
    return dict(type="data", symmetric=False, array=(s.hi - s.med).to_numpy(),
                arrayminus=(s.med - s.lo).to_numpy(), thickness=1.2, width=3)


def fig5_accuracy(df: pd.DataFrame) -> go.Figure:
    """Figure 5: accuracy (top) and agreement with the forward algorithm (bottom) against n.

    One line per k; the forward algorithm's accuracy in green. A dropdown picks the HMM draw
    and the test set (10,000 sequences, or the first 100 as in the paper).
    """
    _need(df, ["hmm_index", "k", "n_train", "acc_rnn", "acc_fwd", "agree", "acc_rnn_100",
               "acc_fwd_100", "agree_100"], "fig5_accuracy")
    df = _grid_part(df)
    draws = sorted(df.hmm_index.unique())
    ks = sorted(df.k.unique())
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("accuracy against the true hidden states",
                                        "agreement with the forward algorithm's argmax"))
    views = []
    for suffix, label in TEST_SETS.items():
        for h in draws:
            views.append((suffix, h, f"HMM draw {h + 1}, {label}"))
    n_per_view = 2 * len(ks) + 1
    for v, (suffix, h, _) in enumerate(views):
        sub = df[df.hmm_index == h].sort_values("n_train")
        vis = v == 0
        for i, k in enumerate(ks):
            s = sub[sub.k == k]
            color = K_COLORS[i % len(K_COLORS)]
            fig.add_trace(go.Scatter(
                x=s.n_train, y=s[f"acc_rnn{suffix}"], mode="lines+markers", name=f"RNN, k = {k}",
                line=dict(color=color), legendgroup=f"k{k}", visible=vis,
                hovertemplate=f"k = {k}<br>n = %{{x}}<br>accuracy %{{y:.4f}}<extra></extra>",
            ), row=1, col=1)
            fig.add_trace(go.Scatter(
                x=s.n_train, y=s[f"agree{suffix}"], mode="lines+markers",
                name=f"agreement, k = {k}", line=dict(color=color, dash="dot"),
                legendgroup=f"k{k}", showlegend=False, visible=vis,
                hovertemplate=f"k = {k}<br>n = %{{x}}<br>agreement %{{y:.4f}}<extra></extra>",
            ), row=2, col=1)
        fwd = sub.groupby("n_train")[f"acc_fwd{suffix}"].first()
        fig.add_trace(go.Scatter(
            x=fwd.index, y=fwd.values, mode="lines", name="forward algorithm",
            line=dict(color=FWD_C, width=3, dash="dash"), visible=vis,
            hovertemplate="forward algorithm<br>accuracy %{y:.4f}<extra></extra>",
        ), row=1, col=1)
    buttons = []
    for v, (_, _, label) in enumerate(views):
        vis = [False] * (n_per_view * len(views))
        vis[v * n_per_view:(v + 1) * n_per_view] = [True] * n_per_view
        buttons.append(dict(method="update", label=label, args=[{"visible": vis}]))
    fig.update_layout(
        **_menu_layout("Figure 5: k-unit RNNs against the forward algorithm "
                       "(m = 2, K = 3, T = 8)", 660, buttons),
    )
    fig.update_xaxes(type="log", title_text="training sequences n", row=2, col=1)
    fig.update_xaxes(type="log", row=1, col=1)
    fig.update_yaxes(title_text="accuracy", row=1, col=1)
    fig.update_yaxes(title_text="agreement", row=2, col=1)
    return with_alt(fig, "Two panels against the number of training sequences n on a log axis. "
                         "Top: hidden-state accuracy of RNNs with k = " +
                    ", ".join(map(str, ks)) + " hidden units and of the forward algorithm. "
                    "Bottom: how often each RNN's prediction equals the forward algorithm's. A "
                    "dropdown picks the HMM draw and the test set.")


def fig5_spread(df: pd.DataFrame, tie_margin: float = 0.1) -> go.Figure:
    """Spread over HMM draws: agreement on non-near-tie steps and accuracy gap, against n.

    Markers are medians over the HMM draws, bars their range; one colour per k.
    """
    _need(df, ["hmm_index", "k", "n_train", "agree_nontie", "acc_rnn", "acc_fwd"],
          "fig5_spread")
    df = _grid_part(df)
    d = df.assign(gap=100 * (df.acc_rnn - df.acc_fwd))
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.14, subplot_titles=(
        f"agreement off near-ties (margin > {tie_margin})", "accuracy gap, RNN - forward"))
    for i, k in enumerate(sorted(d.k.unique())):
        color = K_COLORS[i % len(K_COLORS)]
        for col, (y, fmt) in enumerate((("agree_nontie", ".4f"), ("gap", ".2f")), start=1):
            s = _spread(d[d.k == k], "n_train", y)
            fig.add_trace(go.Scatter(
                x=s.n_train, y=s.med, error_y=_err(s), mode="lines+markers", name=f"k = {k}",
                line=dict(color=color), legendgroup=f"k{k}", showlegend=col == 1,
                hovertemplate=f"k = {k}<br>n = %{{x}}<br>median %{{y:{fmt}}}<extra></extra>",
            ), row=1, col=col)
    fig.add_hline(y=0, line=dict(color="#7f7f7f", dash="dot"), row=1, col=2)
    n_draws = d.hmm_index.nunique()
    fig.update_layout(title=f"Spread over {n_draws} HMM draws (median, bars: min to max)",
                      height=420)
    fig.update_xaxes(type="log", title_text="training sequences n")
    fig.update_yaxes(title_text="agreement", row=1, col=1)
    fig.update_yaxes(title_text="percentage points", row=1, col=2)
    return with_alt(fig, "Left: agreement of each RNN with the forward algorithm on steps that "
                         "are not near-ties, against n, median and range over HMM draws. Right: "
                         "RNN accuracy minus forward accuracy in percentage points.")


def fig6_accuracy(df: pd.DataFrame) -> go.Figure:
    """Figure 6: a fixed-size RNN against the forward algorithm as m grows.

    Top: accuracy of the RNN and of the forward algorithm, their agreement, and chance (1/m).
    Bottom: parameter counts of the RNN and of the HMM (log scale). With several seeds per m,
    markers are medians and bars ranges.
    """
    _need(df, ["m", "k", "acc_rnn", "acc_fwd", "agree", "chance", "rnn_params", "hmm_params"],
          "fig6_accuracy")
    ks = sorted(df.k.unique())
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.62, 0.38],
                        subplot_titles=("prediction of the hidden state", "parameters"))
    # The RNN's accuracy lies almost on the forward algorithm's: draw it after, dashed, on top.
    series = [("acc_fwd", "forward-algorithm accuracy", FWD_C, "solid"),
              ("acc_rnn", "RNN accuracy", RNN_C, "dash"),
              ("agree", "agreement RNN / forward", AGREE_C, "solid"),
              ("chance", "chance (1/m)", CHANCE_C, "dot")]
    for col, name, color, dash in series:
        s = _spread(df, "m", col)
        fig.add_trace(go.Scatter(
            x=s.m, y=s.med, error_y=_err(s), mode="lines+markers", name=name,
            line=dict(color=color, dash=dash),
            hovertemplate=f"{name}<br>m = %{{x}}<br>%{{y:.4f}}<extra></extra>",
        ), row=1, col=1)
    for col, name, color in (("rnn_params", f"RNN (k = {', '.join(map(str, ks))})", RNN_C),
                             ("hmm_params", "HMM", FWD_C)):
        s = df.groupby("m")[col].first()
        fig.add_trace(go.Scatter(
            x=s.index, y=s.values, mode="lines+markers", name=f"parameters: {name}",
            line=dict(color=color, dash="dash"),
            hovertemplate=f"{name}<br>m = %{{x}}<br>%{{y:,}} parameters<extra></extra>",
        ), row=2, col=1)
    fig.update_xaxes(type="log", dtick=np.log10(2), tickformat="d", row=1, col=1)
    fig.update_xaxes(type="log", dtick=np.log10(2), tickformat="d",
                     title_text="hidden states m", row=2, col=1)
    fig.update_yaxes(title_text="share of test steps", range=[0, 1.02], row=1, col=1)
    fig.update_yaxes(title_text="count", type="log", row=2, col=1)
    fig.update_layout(
        title=f"Figure 6: a k = {', '.join(map(str, ks))} tanh RNN as the HMM grows (K = 3, T = 8)",
        height=640, legend=dict(x=1.02, y=1),
    )
    return with_alt(fig, "Top: against the number of hidden states m on a log axis, the "
                         "accuracy of the RNN and of the forward algorithm, their agreement and "
                         "the chance level 1/m. Bottom: parameter counts of the RNN and of the "
                         "HMM on a log scale.")


def posterior_scatter(panels: Mapping, slider_label: str = "n",
                      title: str = "RNN posterior against the forward algorithm's") -> go.Figure:
    """Scatter of p_RNN(H_t = i) against p_forward(H_t = i), one column per panel key.

    Args:
        panels: column title -> {slider value -> (forward (N,), rnn (N,))}; every column must
            share the slider values. A slider over them toggles visibility (static HTML).
    """
    if not panels:
        raise ValueError("panels is empty: pass column -> {slider value -> (forward, rnn)}")
    cols = list(panels)
    values = list(panels[cols[0]])
    for c in cols:
        if list(panels[c]) != values:
            raise ValueError(f"panel {c!r} has slider values {list(panels[c])}, expected {values}")
    fig = make_subplots(rows=1, cols=len(cols), subplot_titles=[str(c) for c in cols],
                        shared_yaxes=True, horizontal_spacing=0.04)
    for j, c in enumerate(cols, start=1):
        for i, v in enumerate(values):
            fwd, rnn = (np.asarray(a, dtype=float).ravel() for a in panels[c][v])
            if fwd.shape != rnn.shape:
                raise ValueError(f"panel {c!r}, {slider_label} = {v}: forward and rnn differ in "
                                 f"shape ({fwd.shape} vs {rnn.shape})")
            fig.add_trace(go.Scattergl(
                x=fwd, y=rnn, mode="markers", visible=i == 0, showlegend=False,
                marker=dict(size=4, color=K_COLORS[(j - 1) % len(K_COLORS)], opacity=0.35),
                hovertemplate="forward %{x:.3f}<br>RNN %{y:.3f}<extra></extra>",
            ), row=1, col=j)
        fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", showlegend=False,
                                 line=dict(color="#7f7f7f", dash="dot"), hoverinfo="skip"),
                      row=1, col=j)
    steps = []
    for i, v in enumerate(values):
        vis = []
        for _ in cols:
            vis += [k == i for k in range(len(values))] + [True]
        steps.append(dict(method="update", label=str(v), args=[{"visible": vis}]))
    fig.update_layout(
        title=title, height=430,
        sliders=[dict(active=0, steps=steps, currentvalue=dict(prefix=f"{slider_label} = "),
                      pad=dict(t=50))],
    )
    fig.update_xaxes(range=[-0.02, 1.02], title_text="forward algorithm p(H_t = i | x_1..t)")
    fig.update_yaxes(range=[-0.02, 1.02], title_text="RNN", row=1, col=1)
    return with_alt(fig, "Scatter plots of the RNN's posterior probability against the forward "
                         "algorithm's for test steps, one panel per " + ", ".join(map(str, cols))
                    + f", with a slider over {slider_label}; points on the diagonal mean the "
                      "two agree exactly.")


def grid_heatmaps(df: pd.DataFrame, left: str = "agree", right: str = "mean_tv") -> go.Figure:
    """Two heatmaps over (n, k), e.g. agreement and total variation, with a dropdown over m."""
    _need(df, ["m", "k", "n_train", left, right], "grid_heatmaps")
    ms = sorted(df.m.unique())
    labels = {"agree": "agreement", "mean_tv": "mean total variation",
              "agree_nontie": "agreement (non-ties)", "excess_logloss": "excess log-loss"}
    # Wide enough a gap for the left panel's colour bar and its labels, so they stay clear of
    # the right panel's tick labels.
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.28,
                        subplot_titles=(labels.get(left, left), labels.get(right, right)))
    for i, m in enumerate(ms):
        sub = df[df.m == m]
        for j, (col, scale) in enumerate(((left, "Viridis"), (right, "Cividis")), start=1):
            piv = sub.pivot_table(index="k", columns="n_train", values=col, aggfunc="median")
            right_edge = fig.get_subplot(1, j).xaxis.domain[1]
            fig.add_trace(go.Heatmap(
                z=piv.values, x=[str(c) for c in piv.columns], y=[str(r) for r in piv.index],
                colorscale=scale, visible=i == 0,
                colorbar=dict(x=right_edge + 0.015, xanchor="left", len=0.9, thickness=14),
                texttemplate="%{z:.3f}", name=f"m = {m}",
                hovertemplate=f"m = {m}<br>n = %{{x}}<br>k = %{{y}}<br>{col} %{{z:.4f}}"
                              "<extra></extra>",
            ), row=1, col=j)
    buttons = []
    for i, m in enumerate(ms):
        vis = [False] * (2 * len(ms))
        vis[2 * i] = vis[2 * i + 1] = True
        buttons.append(dict(method="update", label=f"m = {m}", args=[{"visible": vis}]))
    fig.update_layout(**_menu_layout(
        "Small RNNs against the forward algorithm over (k, n), one HMM per m", 440, buttons))
    fig.update_xaxes(title_text="training sequences n", type="category")
    fig.update_yaxes(title_text="hidden units k", type="category", row=1, col=1)
    fig.update_yaxes(type="category", row=1, col=2)
    return with_alt(fig, f"Heatmaps of {labels.get(left, left)} (left) and "
                         f"{labels.get(right, right)} (right) over the number of hidden units k "
                         "and training sequences n; a dropdown picks the number of HMM states m.")


def training_curves(history_frame: pd.DataFrame, best_loss: float | None = None) -> go.Figure:
    """Held-out loss per restart against training step (from ``FitHistory.to_frame()``).

    ``best_loss``: the forward algorithm's cross-entropy on the same sequences, the floor.
    """
    _need(history_frame, ["step", "restart", "val_loss", "chosen"], "training_curves")
    fig = go.Figure()
    for r, s in history_frame.groupby("restart"):
        chosen = bool(s.chosen.iloc[0])
        fig.add_trace(go.Scatter(
            x=s.step, y=s.val_loss, mode="lines",
            name=f"restart {r}" + (" (kept)" if chosen else ""),
            line=dict(width=3 if chosen else 1.5, color=K_COLORS[int(r) % len(K_COLORS)]),
        ))
    if best_loss is not None:
        fig.add_hline(y=best_loss, line=dict(color=FWD_C, dash="dash"),
                      annotation_text="forward algorithm", annotation_position="top right")
    fig.update_layout(title="Held-out cross-entropy during training", height=360,
                      xaxis_title="step", yaxis_title="nats per step")
    return with_alt(fig, "Held-out cross-entropy of each random restart against the training "
                         "step, with the forward algorithm's cross-entropy as a dashed floor.")


def rnn_vs_forward(filtered, proba, metrics: Mapping | None = None, title: str | None = None,
                   max_points: int = 4000) -> go.Figure:
    """One trained RNN against the forward algorithm: p_RNN(H_t = i) against p_fwd(H_t = i).

    Args:
        filtered, proba: (n, T, m) posteriors of the forward algorithm and of the RNN.
        metrics: optional :func:`probrnn.experiments.forward_rnn.forward_metrics` dict, shown
            in the title.
        max_points: at most this many (step, state) pairs are drawn (the first ones).
    """
    f = np.asarray(filtered, dtype=float)
    p = np.asarray(proba, dtype=float)
    if f.shape != p.shape or f.ndim != 3:
        raise ValueError(f"filtered and proba must both be (n, T, m) (got {f.shape}, {p.shape})")
    m = f.shape[-1]
    x, y = f.reshape(-1)[:max_points], p.reshape(-1)[:max_points]
    state = np.tile(np.arange(m), f.size // m)[:max_points]
    fig = go.Figure()
    for i in range(m):
        sel = state == i
        fig.add_trace(go.Scattergl(
            x=x[sel], y=y[sel], mode="markers", name=f"state {i}",
            marker=dict(size=5, opacity=0.4, color=OKABE_ITO[i % len(OKABE_ITO)]),
            hovertemplate=f"state {i}<br>forward %{{x:.3f}}<br>RNN %{{y:.3f}}<extra></extra>",
            showlegend=m <= 8,
        ))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", showlegend=False,
                             line=dict(color="#7f7f7f", dash="dot"), hoverinfo="skip"))
    if title is None:
        title = "RNN posterior against the forward algorithm's"
    if metrics:
        title += (f"<br><sup>agreement {metrics['agree']:.3f} (non-ties "
                  f"{metrics['agree_nontie']:.3f}), accuracy RNN {metrics['acc_rnn']:.3f} vs "
                  f"forward {metrics['acc_fwd']:.3f}, mean TV {metrics['mean_tv']:.3f}</sup>")
    fig.update_layout(title=title, height=460, xaxis_title="forward algorithm p(H_t = i | x_1..t)",
                      yaxis_title="RNN p(H_t = i | x_1..t)")
    fig.update_xaxes(range=[-0.02, 1.02])
    fig.update_yaxes(range=[-0.02, 1.02])
    return with_alt(fig, "Scatter of the RNN's posterior probability of each hidden state "
                         "against the forward algorithm's, over test steps; points on the dotted "
                         "diagonal mean the two agree exactly.")
