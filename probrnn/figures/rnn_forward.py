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

from ..validate import check_float_array, check_int, check_prob_rows, check_real, check_table
from .style import NEUTRAL, OKABE_ITO, with_alt

RNN_C, FWD_C, AGREE_C, CHANCE_C = OKABE_ITO[0], OKABE_ITO[2], OKABE_ITO[1], OKABE_ITO[3]
AGREE_PALETTE = [OKABE_ITO[1], OKABE_ITO[5]]
K_COLORS = [OKABE_ITO[0], OKABE_ITO[1], OKABE_ITO[5], OKABE_ITO[4], OKABE_ITO[3]]
TEST_SETS = {"": "10,000 test sequences", "_small": "the paper's 100 test sequences"}


CATEGORICAL = ("part", "cell", "experiment", "scale", "chosen")


def _need(df: pd.DataFrame, cols, what: str):
    """``df`` must be a non-empty DataFrame with ``cols`` (numbers, except the categorical
    ones); the error names the figure and the missing columns."""
    check_table(df, cols, f"{what}'s table", numeric=[c for c in cols if c not in CATEGORICAL])


def _menu_layout(title: str, height: int, buttons: list, bottom: int = 60) -> dict:
    """Layout with a dropdown above the plots (:func:`probrnn.figures.style.book_layout` gives it
    its own band between the title and the plots)."""
    return dict(
        title=title, height=height, margin=dict(b=bottom),
        updatemenus=[dict(buttons=buttons, x=0, xanchor="left", y=1.02, yanchor="bottom",
                          showactive=True)],
    )


def _grid_part(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of the main grid (a Figure 5 table may also hold census rows)."""
    if "part" not in df.columns:
        return df
    grid = df[df["part"] == "grid"]
    if grid.empty:
        raise ValueError("the table has no rows with part == 'grid' (only "
                         f"{sorted(map(str, df['part'].unique()))})")
    return grid


def _spread(df: pd.DataFrame, by: str, col: str) -> pd.DataFrame:
    """Median, min and max of ``col`` over rows with the same ``by``."""
    g = df.groupby(by)[col]
    return pd.DataFrame({"med": g.median(), "lo": g.min(), "hi": g.max()}).reset_index()


def _capped_markers(df: pd.DataFrame, x: str, y: str, visible: bool = True) -> go.Scatter:
    """Large crosses on the rows whose training stopped at the cap rather than converging
    (the training rule flags them; an empty trace when there are none)."""
    capped = df[df["hit_cap"].astype(bool)] if "hit_cap" in df.columns else df.iloc[:0]
    return go.Scatter(
        x=capped[x], y=capped[y], mode="markers", name="stopped at the cap",
        marker=dict(symbol="x-thin-open", size=14, line=dict(width=2.5), color=NEUTRAL),
        visible=visible, showlegend=len(capped) > 0,
        hovertemplate="training reached the cap (not converged)<extra></extra>")


def _err(s: pd.DataFrame) -> dict:
    return dict(type="data", symmetric=False, array=(s.hi - s.med).to_numpy(),
                arrayminus=(s.med - s.lo).to_numpy(), thickness=1.2, width=3)


def fig5_accuracy(df: pd.DataFrame) -> go.Figure:
    """Figure 5: accuracy (top) and agreement with the forward algorithm (bottom) against n.

    One line per k; the forward algorithm's accuracy in green. A dropdown picks the HMM draw
    and the test set (10,000 sequences, or the first 100 as in the paper).
    """
    _need(df, ["hmm_index", "k", "n_train", "accuracy", "accuracy_ref", "agreement", "accuracy_small",
               "accuracy_ref_small", "agreement_small"], "fig5_accuracy")
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
    n_per_view = 2 * len(ks) + 2
    for v, (suffix, h, _) in enumerate(views):
        sub = df[df.hmm_index == h].sort_values("n_train")
        vis = v == 0
        for i, k in enumerate(ks):
            s = sub[sub.k == k]
            color = K_COLORS[i % len(K_COLORS)]
            fig.add_trace(go.Scatter(
                x=s.n_train, y=s[f"accuracy{suffix}"], mode="lines+markers", name=f"RNN, k = {k}",
                line=dict(color=color), legendgroup=f"k{k}", visible=vis,
                hovertemplate=f"k = {k}<br>n = %{{x}}<br>accuracy %{{y:.4f}}<extra></extra>",
            ), row=1, col=1)
            fig.add_trace(go.Scatter(
                x=s.n_train, y=s[f"agreement{suffix}"], mode="lines+markers",
                name=f"agreement, k = {k}", line=dict(color=color, dash="dot"),
                legendgroup=f"k{k}", showlegend=False, visible=vis,
                hovertemplate=f"k = {k}<br>n = %{{x}}<br>agreement %{{y:.4f}}<extra></extra>",
            ), row=2, col=1)
        fwd = sub.groupby("n_train")[f"accuracy_ref{suffix}"].first()
        fig.add_trace(go.Scatter(
            x=fwd.index, y=fwd.values, mode="lines", name="forward algorithm",
            line=dict(color=FWD_C, width=3, dash="dash"), visible=vis,
            hovertemplate="forward algorithm<br>accuracy %{y:.4f}<extra></extra>",
        ), row=1, col=1)
        fig.add_trace(_capped_markers(sub, "n_train", f"accuracy{suffix}", vis), row=1, col=1)
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


def fig5_spread(df: pd.DataFrame) -> go.Figure:
    """Spread over HMM draws: agreement on non-near-tie steps and accuracy gap, against n.

    Markers are medians over the HMM draws, bars their range; one colour per k.
    """
    _need(df, ["hmm_index", "k", "n_train", "agreement_off_ties", "accuracy", "accuracy_ref"],
          "fig5_spread")
    df = _grid_part(df)
    d = df.assign(gap=100 * (df.accuracy - df.accuracy_ref))
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.14, subplot_titles=(
        "agreement off near-ties", "accuracy gap, RNN - forward"))
    for i, k in enumerate(sorted(d.k.unique())):
        color = K_COLORS[i % len(K_COLORS)]
        for col, (y, fmt) in enumerate((("agreement_off_ties", ".4f"), ("gap", ".2f")), start=1):
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
    _need(df, ["m", "k", "accuracy", "accuracy_ref", "agreement", "chance", "rnn_params", "hmm_params"],
          "fig6_accuracy")
    ks = sorted(df.k.unique())
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.62, 0.38],
                        subplot_titles=("prediction of the hidden state", "parameters"))
    first = df[df.k == ks[0]]
    for col, name, color, dash in (("accuracy_ref", "forward-algorithm accuracy", FWD_C, "solid"),
                                   ("chance", "chance (1/m)", CHANCE_C, "dot")):
        s = _spread(first, "m", col)
        fig.add_trace(go.Scatter(
            x=s.m, y=s.med, error_y=_err(s), mode="lines+markers", name=name,
            line=dict(color=color, dash=dash),
            hovertemplate=f"{name}<br>m = %{{x}}<br>%{{y:.4f}}<extra></extra>",
        ), row=1, col=1)
    # The RNN's accuracy lies almost on the forward algorithm's: drawn after, dashed, on top.
    for i, k in enumerate(ks):
        sub = df[df.k == k]
        for col, name, dash in (("accuracy", f"RNN accuracy, k = {k}", "dash"),
                                ("agreement", f"agreement RNN / forward, k = {k}", "solid")):
            color = K_COLORS[i % len(K_COLORS)] if col == "accuracy" else AGREE_PALETTE[i % 2]
            s = _spread(sub, "m", col)
            fig.add_trace(go.Scatter(
                x=s.m, y=s.med, error_y=_err(s), mode="lines+markers", name=name,
                line=dict(color=color, dash=dash),
                hovertemplate=f"{name}<br>m = %{{x}}<br>%{{y:.4f}}<extra></extra>",
            ), row=1, col=1)
        fig.add_trace(_capped_markers(sub, "m", "accuracy"), row=1, col=1)
    counts = [(df[df.k == k], "rnn_params", f"RNN, k = {k}", K_COLORS[i % len(K_COLORS)])
              for i, k in enumerate(ks)] + [(first, "hmm_params", "HMM", FWD_C)]
    for sub, col, name, color in counts:
        s = sub.groupby("m")[col].first()
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
        title=f"Figure 6: tanh RNNs with k = {' and '.join(map(str, ks))} as the HMM grows "
              "(K = 3, T = 8)",
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
    if not isinstance(panels, Mapping) or not panels:
        raise ValueError("panels must be a non-empty dict: column -> {slider value -> (forward, "
                         f"rnn)}} (got {type(panels).__name__})")
    cols = list(panels)
    for c in cols:
        if not isinstance(panels[c], Mapping) or not panels[c]:
            raise ValueError(f"panels[{c!r}] must be a non-empty dict: slider value -> (forward, "
                             f"rnn) (got {type(panels[c]).__name__})")
    values = list(panels[cols[0]])
    for c in cols:
        if list(panels[c]) != values:
            raise ValueError(f"panel {c!r} has slider values {list(panels[c])}, expected {values}")
    fig = make_subplots(rows=1, cols=len(cols), subplot_titles=[str(c) for c in cols],
                        shared_yaxes=True, horizontal_spacing=0.04)
    for j, c in enumerate(cols, start=1):
        for i, v in enumerate(values):
            pair = panels[c][v]
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f"panels[{c!r}][{v!r}] must be a pair (forward, rnn)")
            fwd, rnn = (check_float_array(a, f"panels[{c!r}][{v!r}]").ravel() for a in pair)
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


def grid_heatmaps(df: pd.DataFrame, left: str = "agreement", right: str = "mean_tv") -> go.Figure:
    """Two heatmaps over (n, k), e.g. agreement and total variation, with a dropdown over m."""
    for arg, col in (("left", left), ("right", right)):
        if not isinstance(col, str):
            raise ValueError(f"{arg} must be a column name (got {col!r})")
    _need(df, ["m", "k", "n_train", left, right], "grid_heatmaps")
    ms = sorted(df.m.unique())
    labels = {"agreement": "agreement", "mean_tv": "mean total variation",
              "agreement_off_ties": "agreement (non-ties)", "excess_log_loss": "excess log-loss"}
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
    if best_loss is not None:
        best_loss = check_real(best_loss, "best_loss")
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
    f = check_prob_rows(filtered, "filtered", 3)
    p = check_prob_rows(proba, "proba", 3)
    if f.shape != p.shape:
        raise ValueError(f"filtered and proba must both be (n, T, m) (got {f.shape}, {p.shape})")
    max_points = check_int(max_points, "max_points", minimum=1)
    if title is not None and not isinstance(title, str):
        raise ValueError(f"title must be a string or None (got {title!r})")
    if metrics:
        if not isinstance(metrics, Mapping):
            raise ValueError(f"metrics must be a dict of compare_posteriors (got "
                             f"{type(metrics).__name__})")
        want = ("agreement", "agreement_off_ties", "accuracy", "accuracy_ref", "mean_tv")
        missing = [key for key in want if key not in metrics]
        if missing:
            raise ValueError(f"metrics lacks {missing}: pass probrnn.metrics.compare_posteriors'"
                             " dict")
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
        title += (f"<br><sup>agreement {metrics['agreement']:.3f} (non-ties "
                  f"{metrics['agreement_off_ties']:.3f}), accuracy RNN {metrics['accuracy']:.3f} vs "
                  f"forward {metrics['accuracy_ref']:.3f}, mean TV {metrics['mean_tv']:.3f}</sup>")
    fig.update_layout(title=title, height=460, xaxis_title="forward algorithm p(H_t = i | x_1..t)",
                      yaxis_title="RNN p(H_t = i | x_1..t)")
    fig.update_xaxes(range=[-0.02, 1.02])
    fig.update_yaxes(range=[-0.02, 1.02])
    return with_alt(fig, "Scatter of the RNN's posterior probability of each hidden state "
                         "against the forward algorithm's, over test steps; points on the dotted "
                         "diagonal mean the two agree exactly.")


def fig6_measures(df: pd.DataFrame) -> go.Figure:
    """What lies behind Figure 6's agreement: near-ties and the continuous measures against m.

    Left: agreement on all steps and off near-ties, and the share of near-ties (the forward
    algorithm's runner-up within 80% of its leader). Right: mean total variation and excess
    log-loss (log scale). One colour per k; a wider network that lowers the continuous
    measures points to capacity, a near-tie share that rises with m to ill-defined argmaxes.
    """
    _need(df, ["m", "k", "agreement", "agreement_off_ties", "near_tie_share", "mean_tv",
               "excess_log_loss"], "fig6_measures")
    ks = sorted(df.k.unique())
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        "argmax agreement with the forward algorithm", "distance from the forward posterior"))
    for i, k in enumerate(ks):
        sub = df[df.k == k].sort_values("m")
        color = K_COLORS[i % len(K_COLORS)]
        for col, name, dash, c in (("agreement", "agreement", "solid", 1),
                                   ("agreement_off_ties", "agreement off near-ties", "dash", 1),
                                   ("mean_tv", "mean total variation", "solid", 2),
                                   ("excess_log_loss", "excess log-loss (nats)", "dot", 2)):
            fig.add_trace(go.Scatter(
                x=sub.m, y=sub[col], mode="lines+markers", name=f"{name}, k = {k}",
                line=dict(color=color, dash=dash), legendgroup=f"k{k}",
                hovertemplate=f"k = {k}<br>m = %{{x}}<br>{name} %{{y:.4f}}<extra></extra>",
            ), row=1, col=c)
    ties = df[df.k == ks[0]].sort_values("m")
    fig.add_trace(go.Scatter(
        x=ties.m, y=ties.near_tie_share, mode="lines+markers", name="share of near-ties",
        line=dict(color=NEUTRAL, dash="dot"),
        hovertemplate="m = %{x}<br>near-ties %{y:.3f}<extra></extra>"), row=1, col=1)
    fig.update_xaxes(type="log", dtick=np.log10(2), tickformat="d", title_text="hidden states m")
    fig.update_yaxes(title_text="share of test steps", range=[0, 1.02], row=1, col=1)
    fig.update_yaxes(title_text="per step", type="log", row=1, col=2)
    fig.update_layout(title="Figure 6, behind the agreement: near-ties and continuous measures",
                      height=480, legend=dict(orientation="h", y=-0.22, x=0, yanchor="top"),
                      margin=dict(b=150))
    return with_alt(fig, "Two panels against the number of hidden states m on a log axis. Left: "
                         "agreement of each RNN with the forward algorithm on all steps and on "
                         "steps that are not near-ties, and the share of near-ties. Right: mean "
                         "total variation and excess log-loss of each RNN, on a log scale.")


def lr_check_figure(df: pd.DataFrame) -> go.Figure:
    """The learning-rate rule against a grid: held-out loss above the best of the grid against
    the multiple of the rule's rate, one line per k (the rule is at 1)."""
    _need(df, ["k", "lr_factor", "val_loss_above_best"], "lr_check_figure")
    fig = go.Figure()
    for i, k in enumerate(sorted(df.k.unique())):
        sub = df[df.k == k].sort_values("lr_factor")
        fig.add_trace(go.Scatter(
            x=sub.lr_factor, y=sub.val_loss_above_best, mode="lines+markers", name=f"k = {k}",
            line=dict(color=K_COLORS[i % len(K_COLORS)]),
            hovertemplate=f"k = {k}<br>rate x %{{x}}<br>%{{y:.5f}} nats above the best"
                          "<extra></extra>"))
    fig.add_trace(_capped_markers(df, "lr_factor", "val_loss_above_best"))
    fig.add_vline(x=1, line=dict(color=NEUTRAL, dash="dot"))
    rule = "the rule"
    if "lr" in df:  # the rule's c in c / sqrt(k), read back from the table's rates
        c = float(np.median(df.lr / df.lr_factor * np.sqrt(df.k)))
        rule = f"the rule {c:.3g} / sqrt(k)"
    fig.update_xaxes(type="log", title_text=f"learning rate, as a multiple of {rule}")
    fig.update_yaxes(title_text="held-out loss above the grid's best (nats)")
    fig.update_layout(title="The learning-rate rule against a grid of rates", height=420)
    return with_alt(fig, "For each network size k, the held-out cross-entropy reached at "
                         "learning rates from a quarter to four times the rule's, minus the best "
                         "of them; the rule is the dotted vertical line.")


def one_unit_update_figure(curves: Mapping) -> go.Figure:
    """One step of the two-state belief update, exact (wide, pale) and learned by a one-unit
    tanh RNN (dashed), one colour per symbol, from
    :func:`probrnn.experiments.rnn_forward.one_unit_update`."""
    if not curves:
        raise ValueError("curves is empty: pass {symbol: (p_prev, exact, learned)}")
    fig = go.Figure()
    for x, (p_prev, exact, learned) in curves.items():
        color = OKABE_ITO[int(x) % len(OKABE_ITO)]
        fig.add_scatter(x=p_prev, y=exact, mode="lines", opacity=0.4,
                        line=dict(color=color, width=8), name=f"exact, x = {x}",
                        legendgroup=str(x))
        fig.add_scatter(x=p_prev, y=learned, mode="lines", line=dict(color=color, dash="dash"),
                        name=f"RNN, x = {x}", legendgroup=str(x))
    fig.update_layout(title="One step of the belief update: exact (wide) and one tanh unit",
                      xaxis_title="p(t-1) = P(H = 1 | past)", yaxis_title="p(t)", height=430)
    return with_alt(fig, "For each symbol, the exact one-step belief update of a two-state HMM "
                         "and the update induced by a trained one-unit tanh RNN, plotted as "
                         "the new belief against the previous one.")


# ---------------------------------------------------------------------- tables for display
PER_DRAW_ROWS = ["accuracy", "accuracy_ref", "agreement", "agreement_off_ties", "mean_tv",
                 "steps", "stop"]


def per_draw_table(df: pd.DataFrame, decimals: int = 4) -> pd.DataFrame:
    """The measures of trained networks, one column per HMM draw, for display.

    Args:
        df: one row per network (a table of :func:`probrnn.experiments.rnn_forward.run_group`
            rows), with ``hmm_index`` (distinct) and the columns of ``PER_DRAW_ROWS``.
        decimals: rounding of the numbers.

    Returns:
        a DataFrame with one row per measure of ``PER_DRAW_ROWS`` (in that order) and one
        column per ``hmm_index`` (in the order of ``df``).
    """
    check_table(df, ["hmm_index", *PER_DRAW_ROWS], "per_draw_table's table")
    if df.hmm_index.duplicated().any():
        raise ValueError("per_draw_table needs one row per HMM draw; hmm_index repeats "
                         f"{sorted(df.hmm_index[df.hmm_index.duplicated()].unique())}")
    return df.set_index("hmm_index")[PER_DRAW_ROWS].round(decimals).T


def _span(values: pd.Series) -> str:
    return f"{values.min():.3f} to {values.max():.3f}"


FIG5_PAPER = ['1 ("exactly the same")', "1", "not reported", "not reported",
              "k = 1 needs more data", "better than k = 1 with less data",
              "better than k = 1 with less data"]


def fig5_claims_table(df: pd.DataFrame) -> pd.DataFrame:
    """Figure 5: what the paper reports next to what the grid's rows show.

    Args:
        df: the grid rows of the Figure 5 table (one row per network), with ``n_train``, ``k``
            (1, 20 and 100), ``agreement_small`` (on the paper's 100 test sequences),
            ``agreement_off_ties`` and ``excess_log_loss``; it needs rows with
            ``n_train == 20000`` and rows with ``n_train <= 500``.

    Returns:
        a DataFrame of 7 rows (the comparisons, as its index) and two text columns: the
        paper's statement and ours (a range over the HMM draws at n = 20,000, or a median over
        draws and n <= 500 for each k).
    """
    cols = ["n_train", "k", "agreement_small", "agreement_off_ties", "excess_log_loss"]
    check_table(df, cols, "fig5_claims_table's table", numeric=cols)
    at_20k, small = df[df.n_train == 20000], df[df.n_train <= 500]
    k1, wide = at_20k[at_20k.k == 1], at_20k[at_20k.k > 1]
    med = small.groupby("k")[["agreement_off_ties", "excess_log_loss"]].median()
    if k1.empty or wide.empty or not {1, 20, 100} <= set(med.index):
        raise ValueError("fig5_claims_table needs rows with k = 1 and k > 1 at n_train = 20000 "
                         "and rows with k = 1, 20 and 100 at n_train <= 500 (it has k "
                         f"{sorted(df.k.unique())}, n_train {sorted(df.n_train.unique())})")
    ours = {
        "n = 20,000, paper's 100 test sequences: agreement, k = 1": _span(k1.agreement_small),
        "n = 20,000, paper's 100 test sequences: agreement, k = 20 and 100":
            _span(wide.agreement_small),
        "n = 20,000, 10,000 sequences: agreement off near-ties, k = 1":
            _span(k1.agreement_off_ties),
        "n = 20,000, 10,000 sequences: agreement off near-ties, k = 20, 100":
            _span(wide.agreement_off_ties),
    }
    for k in (1, 20, 100):
        ours[f"n <= 500, k = {k}: agreement off near-ties | excess log-loss"] = (
            f"{med.agreement_off_ties[k]:.3f} | {med.excess_log_loss[k]:.4f}")
    return pd.DataFrame({"paper (one HMM, 100 test sequences)": FIG5_PAPER,
                         f"ours (range over {len(k1)} draws, or median)": list(ours.values())},
                        index=list(ours))


FIG6_ROWS = {"forward accuracy": "falls steeply with m",
             "RNN accuracy": "tracks the forward algorithm",
             "agreement": "decreases with m",
             "parameters": "drops once HMM parameters exceed the RNN's",
             "near-ties": "not reported",
             "accuracy lost to disagreements": "not reported"}


def fig6_claims_table(df: pd.DataFrame) -> pd.DataFrame:
    """Figure 6: the paper's description next to what the committed rows show.

    Args:
        df: the Figure 6 table, one row per (m, k), with ``m`` (including 2 and 512), ``k``
            (including 20 and 100), ``hmm_params``, ``rnn_params``, ``accuracy``,
            ``accuracy_ref``, ``accuracy_gap_se``, ``agreement``, ``near_tie_share`` and
            ``accuracy_regret``.

    Returns:
        a DataFrame of 6 rows (``FIG6_ROWS``' keys, as its index) and two text columns, the
        paper's description ("paper (Figure 6)") and ours ("ours").
    """
    cols = ["m", "k", "hmm_params", "rnn_params", "accuracy", "accuracy_ref",
            "accuracy_gap_se", "agreement", "near_tie_share", "accuracy_regret"]
    check_table(df, cols, "fig6_claims_table's table", numeric=cols)
    by_k = {k: g.set_index("m") for k, g in df.groupby("k")}
    if not {20, 100} <= set(by_k) or not {2, 512} <= set(by_k[20].index) & set(by_k[100].index):
        raise ValueError("fig6_claims_table needs rows for k = 20 and 100 at m = 2 and 512 "
                         f"(got k {sorted(by_k)})")
    f20, f100 = by_k[20], by_k[100]
    cross = f20.index[f20.hmm_params > f20.rnn_params].min()
    z6 = ((df.accuracy - df.accuracy_ref) / df.accuracy_gap_se).max()
    rel = (df.accuracy / df.accuracy_ref).min()
    tie_from = f20.index[f20.near_tie_share > 0.5].min()
    ours = [
        f"{f20.accuracy_ref[2]:.3f} at m = 2 to {f20.accuracy_ref[512]:.4f} at 512",
        f"at least {rel:.2f} of it; never ahead by 3 s.e. (max {z6:.1f})",
        f"k = 20: {f20.agreement[2]:.3f} to {f20.agreement[512]:.3f}; "
        f"k = 100: {f100.agreement[2]:.3f} to {f100.agreement[512]:.3f}",
        f"RNN (k = 20) smaller than the HMM from m = {cross}",
        f"over half the steps are near-ties from m = {tie_from}",
        f"at most {df.accuracy_regret.max():.4f} at any m and k",
    ]
    return pd.DataFrame({"paper (Figure 6)": list(FIG6_ROWS.values()), "ours": ours},
                        index=list(FIG6_ROWS))
