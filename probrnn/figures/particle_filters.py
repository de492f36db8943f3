"""Figures of the particle-filter chapter: Figure 7 and its per-size slider, the convergence
plot, the paper's Figure 4 (the particle filter as a graphical model / RNN) and a time slider
over one sequence's particles. Pure functions of their data; none computes or draws random
numbers (the particles' vertical jitter is a fixed function of their index)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..validate import (
    check_float_array,
    check_int,
    check_integers,
    check_positive_column,
    check_prob_rows,
    check_real,
    check_table,
)
from .style import NEUTRAL, OKABE_ITO, with_alt

KIND_STYLE = {"rnn": dict(name="RNN (d hidden units)", color=OKABE_ITO[0], symbol="circle"),
              "pf": dict(name="particle filter (d particles)", color=OKABE_ITO[1],
                         symbol="diamond")}
SCHEME_COLOR = {"multinomial": OKABE_ITO[0], "systematic": OKABE_ITO[2]}


def _summary(df: pd.DataFrame, col: str) -> pd.DataFrame:
    g = df.groupby(["kind", "d"])[col]
    return pd.DataFrame({"mean": g.mean(), "lo": g.min(), "hi": g.max(), "n": g.size()}
                        ).reset_index()


def fig7_panels(df: pd.DataFrame) -> go.Figure:
    """The paper's Figure 7 from a :func:`probrnn.experiments.particles.fig7` table.

    Top: accuracy against the true hidden states; bottom: agreement with the forward
    algorithm; x: size d (hidden units or particles), log scale. Lines join the means over
    replicates, error bars span min to max, and faint markers show each replicate. The
    forward algorithm's accuracy is the dashed line of the top panel.
    """
    check_table(df, ["kind", "d", "rep", "accuracy", "agreement", "accuracy_ref"], "df",
                numeric=["d", "rep", "accuracy", "agreement", "accuracy_ref"])
    extra = df[df["part"] != "grid"] if "part" in df.columns else df.iloc[:0]
    df = df[df["part"] == "grid"] if "part" in df.columns else df
    if not df["kind"].isin(list(KIND_STYLE)).any():
        raise ValueError(f"df has no grid rows of kind 'rnn' or 'pf' (kinds: "
                         f"{sorted(map(str, df['kind'].unique()))})")
    if len(extra):
        check_table(pd.concat([df, extra]), ["n_train"], "df", numeric=["n_train"])
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("accuracy: prediction = true hidden state",
                                        "agreement with the forward algorithm's prediction"))
    for row, col in ((1, "accuracy"), (2, "agreement")):
        summ = _summary(df, col)
        for kind, style in KIND_STYLE.items():
            s = summ[summ["kind"] == kind]
            if s.empty:
                continue
            raw = df[df["kind"] == kind]
            fig.add_trace(go.Scatter(
                x=raw["d"], y=raw[col], mode="markers", showlegend=False, legendgroup=kind,
                marker=dict(color=style["color"], symbol=style["symbol"], size=5, opacity=0.35),
                hovertemplate=f"{style['name']}<br>d=%{{x}}<br>{col}=%{{y:.3f}} (one replicate)"
                              "<extra></extra>"), row=row, col=1)
            fig.add_trace(go.Scatter(
                x=s["d"], y=s["mean"], mode="lines+markers", name=style["name"],
                legendgroup=kind, showlegend=row == 1,
                line=dict(color=style["color"]), marker=dict(symbol=style["symbol"], size=8),
                error_y=dict(type="data", symmetric=False, array=s["hi"] - s["mean"],
                             arrayminus=s["mean"] - s["lo"], thickness=1.2),
                customdata=s["n"],
                hovertemplate=f"{style['name']}<br>d=%{{x}}<br>mean {col}=%{{y:.3f}} over "
                              "%{customdata} replicates<extra></extra>"), row=row, col=1)
        for n_train, sub in extra.groupby("n_train"):
            fig.add_trace(go.Scatter(
                x=sub["d"], y=sub[col], mode="markers", legendgroup=f"n{n_train}",
                name=f"RNN trained on {n_train:,} sequences", showlegend=row == 1,
                marker=dict(symbol="star-open" if n_train > df["n_train"].max() else
                            "triangle-down-open", size=11, color=OKABE_ITO[4],
                            line=dict(width=2)),
                hovertemplate=f"RNN, n = {n_train:,}<br>d=%{{x}}<br>{col}=%{{y:.3f}}"
                              "<extra></extra>"), row=row, col=1)
        capped = pd.concat([df, extra])
        capped = capped[capped["hit_cap"].fillna(False).astype(bool)] if "hit_cap" in capped \
            else capped.iloc[:0]
        if len(capped):
            fig.add_trace(go.Scatter(
                x=capped["d"], y=capped[col], mode="markers", name="stopped at the cap",
                legendgroup="cap", showlegend=row == 1,
                marker=dict(symbol="x-thin-open", size=14, line=dict(width=2.5), color=NEUTRAL),
                hovertemplate="training reached the cap (not converged)<extra></extra>"),
                row=row, col=1)
    accuracy_ref = float(df["accuracy_ref"].iloc[0])
    fig.add_hline(y=accuracy_ref, line=dict(color=OKABE_ITO[2], dash="dash"), row=1, col=1,
                  annotation_text=f"forward algorithm {accuracy_ref:.3f}",
                  annotation_position="bottom right")
    fig.add_hline(y=1.0, line=dict(color=OKABE_ITO[2], dash="dash"), row=2, col=1,
                  annotation_text="forward algorithm (agrees with itself)",
                  annotation_position="bottom left")
    fig.update_xaxes(type="log", title_text="d: hidden units of the RNN / particles of the filter",
                     row=2, col=1)
    fig.update_xaxes(type="log", row=1, col=1)
    fig.update_yaxes(title_text="accuracy", row=1, col=1)
    fig.update_yaxes(title_text="agreement", row=2, col=1)
    fig.update_layout(height=680,
                      title="RNNs against particle filters of the same size (Figure 7)")
    return with_alt(fig, "Two panels against the size d on a log axis. Top: accuracy of the "
                         "RNN and of the particle filter at predicting the true hidden state, "
                         "with the forward algorithm's accuracy as a dashed line. Bottom: their "
                         "agreement with the forward algorithm's prediction. Error bars span "
                         "the replicates.")


def size_sliders(df: pd.DataFrame) -> go.Figure:
    """Per-step accuracy and agreement of one particle filter (slider over M) and one RNN
    (slider over k), from a fig7 table with ``accuracy_t*`` / ``agreement_t*`` columns.

    The two sliders move independently: each toggles only its own traces (works in static
    HTML). Lines are means over replicates; the band spans min to max.
    """
    check_table(df, ["kind", "d"], "df", numeric=["d"])
    df = df[df["part"] == "grid"] if "part" in df.columns else df
    tcols = [c for c in df.columns if isinstance(c, str) and c.startswith("agreement_t")
             and c[len("agreement_t"):].isdigit()]
    if not tcols:
        raise ValueError("df has no agreement_t* columns (per-step metrics of fig7)")
    T = len(tcols)
    need = [f"{metric}_t{s}" for s in range(1, T + 1) for metric in ("accuracy", "agreement")]
    check_table(df, need, "df", numeric=need)
    for kind in ("pf", "rnn"):
        if not (df["kind"] == kind).any():
            raise ValueError(f"df has no grid rows of kind {kind!r}: the figure has a slider "
                             "for each of 'pf' and 'rnn'")
    t = np.arange(1, T + 1)
    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        "accuracy at step t", "agreement with the<br>forward algorithm"))
    groups = {}
    for kind in ("pf", "rnn"):
        sizes = sorted(df.loc[df["kind"] == kind, "d"].unique())
        groups[kind] = []
        style = KIND_STYLE[kind]
        for i, d in enumerate(sizes):
            sub = df[(df["kind"] == kind) & (df["d"] == d)]
            idx = []
            for col_i, metric in enumerate(("accuracy", "agreement")):
                vals = sub[[f"{metric}_t{s}" for s in t]].to_numpy()
                label = f"{'M' if kind == 'pf' else 'k'} = {d}"
                idx.append(len(fig.data))
                fig.add_trace(go.Scatter(
                    x=np.concatenate([t, t[::-1]]),
                    y=np.concatenate([vals.max(0), vals.min(0)[::-1]]), fill="toself",
                    fillcolor=style["color"], opacity=0.2, line=dict(width=0), hoverinfo="skip",
                    showlegend=False, visible=i == 0), row=1, col=col_i + 1)
                idx.append(len(fig.data))
                fig.add_trace(go.Scatter(
                    x=t, y=vals.mean(0), mode="lines+markers", visible=i == 0,
                    name=f"{style['name'].split(' (')[0]}, {label}", legendgroup=kind,
                    showlegend=col_i == 0, line=dict(color=style["color"]),
                    marker=dict(symbol=style["symbol"]),
                    hovertemplate=f"{label}<br>t=%{{x}}<br>{metric}=%{{y:.3f}}<extra></extra>"),
                    row=1, col=col_i + 1)
            groups[kind].append((d, idx))
    acc_cols = [f"accuracy_t{s}" for s in t]
    if "accuracy_ref" in df.columns:
        fig.add_hline(y=float(df["accuracy_ref"].iloc[0]), line=dict(color=OKABE_ITO[2], dash="dash"),
                      row=1, col=1, annotation_text="forward (all steps)",
                      annotation_position="bottom right")
    del acc_cols
    sliders = []
    for s_i, (kind, prefix) in enumerate((("pf", "particles M = "), ("rnn", "hidden units k = "))):
        own = [j for _, idx in groups[kind] for j in idx]
        steps = []
        for d, idx in groups[kind]:
            steps.append(dict(method="restyle", label=str(d),
                              args=[{"visible": [j in idx for j in own]}, own]))
        sliders.append(dict(active=0, steps=steps, currentvalue=dict(prefix=prefix),
                            pad=dict(t=40 + 75 * s_i), len=0.9, x=0.05))
    fig.update_xaxes(title_text="time step t", dtick=1)
    fig.update_yaxes(range=[0, 1.02])
    fig.update_layout(height=600, sliders=sliders,
                      title="Per-step accuracy and agreement: pick M and k")
    return with_alt(fig, "Two panels over time steps 1 to 8: accuracy and agreement with the "
                         "forward algorithm, for one particle filter and one RNN; one slider "
                         "sets the number of particles M and the other the hidden units k.")


def convergence_loglog(df: pd.DataFrame, slope_range=(-0.65, -0.35)) -> go.Figure:
    """Mean total variation to the forward algorithm against M, log-log, per resampling
    scheme: replicate markers, the mean line, and the least-squares line with its slope.
    A grey dotted line of slope -1/2 through the first mean is the theory's rate."""
    check_table(df, ["resampling", "M", "mean_tv"], "df", numeric=["M", "mean_tv"])
    if not df["resampling"].isin(list(SCHEME_COLOR)).any():
        raise ValueError(f"df has no rows of a known resampling scheme {list(SCHEME_COLOR)}")
    for scheme in SCHEME_COLOR:
        sub = df[df["resampling"] == scheme]
        if len(sub):
            for col in ("M", "mean_tv"):
                check_positive_column(sub, col, "df", f" for {scheme!r}")
            if sub["M"].nunique() < 2:
                raise ValueError(f"df needs at least two values of M for {scheme!r} to fit a "
                                 "slope")
    lo, hi = (check_real(v, "slope_range") for v in _pair(slope_range, "slope_range"))
    fig = go.Figure()
    first = None
    for scheme, color in SCHEME_COLOR.items():
        sub = df[df["resampling"] == scheme]
        if sub.empty:
            continue
        means = sub.groupby("M")["mean_tv"].mean()
        Ms = means.index.to_numpy(float)
        b, a = np.polyfit(np.log(Ms), np.log(means.to_numpy()), 1)
        fig.add_trace(go.Scatter(x=sub["M"], y=sub["mean_tv"], mode="markers", showlegend=False,
                                 marker=dict(color=color, size=5, opacity=0.4),
                                 hovertemplate=f"{scheme}, one run<br>M=%{{x}}<br>mean TV="
                                               "%{y:.4f}<extra></extra>"))
        fig.add_trace(go.Scatter(x=Ms, y=means, mode="markers", name=f"{scheme}: mean",
                                 marker=dict(color=color, size=9),
                                 hovertemplate="M=%{x}<br>mean TV=%{y:.4f}<extra></extra>"))
        fig.add_trace(go.Scatter(x=Ms, y=np.exp(a) * Ms**b, mode="lines",
                                 name=f"{scheme}: fit, slope {b:.3f}", line=dict(color=color)))
        if first is None:
            first = (Ms, means.to_numpy())
    if first is not None:
        Ms, means = first
        fig.add_trace(go.Scatter(x=Ms, y=means[0] * (Ms / Ms[0]) ** -0.5, mode="lines",
                                 name="slope -1/2 (theory)",
                                 line=dict(color=NEUTRAL, dash="dot")))
    fig.update_xaxes(type="log", title_text="number of particles M")
    fig.update_yaxes(type="log", title_text="mean total variation to the forward algorithm")
    fig.update_layout(height=460, title="The particle filter converges to the forward algorithm"
                                        f"<br><sup>fitted log-log slopes; accepted range {(lo, hi)}</sup>",
                      legend=dict(x=0.98, xanchor="right", y=0.98))
    return with_alt(fig, "Log-log plot of the mean total-variation distance between the "
                         "particle filter and the forward algorithm against the number of "
                         "particles, for multinomial and systematic resampling, with fitted "
                         "lines whose slopes are near -1/2.")


# ---------------------------------------------------------------------- Figure 4
PROPAGATE_COLOR, RESAMPLE_COLOR, SIMULATE_COLOR = OKABE_ITO[0], OKABE_ITO[5], "#444444"


def _arrow(fig, x0, y0, x1, y1, color, width=1.6, dash=None, shrink=0.42):
    """An arrow from (x0, y0) to (x1, y1), both ends pulled in by ``shrink`` (node radius)."""
    d = np.hypot(x1 - x0, y1 - y0)
    ux, uy = (x1 - x0) / d, (y1 - y0) / d
    xa, ya, xb, yb = x0 + shrink * ux, y0 + shrink * uy, x1 - shrink * ux, y1 - shrink * uy
    fig.add_annotation(x=xb, y=yb, ax=xa, ay=ya, xref="x", yref="y", axref="x", ayref="y",
                       showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=width,
                       arrowcolor=color, text="")
    if dash:  # annotations cannot be dashed: overlay a dashed line (the head stays solid)
        fig.add_shape(type="line", x0=xa, y0=ya, x1=xb, y1=yb, line=dict(color=color, dash=dash,
                                                                             width=width))


def _node(fig, x, y, label, observed=False, r=0.42):
    fill = "#d9d9d9" if observed else "#ffffff"  # opaque: dark labels stay readable in dark mode
    kind = "rect" if observed else "circle"
    fig.add_shape(type=kind, x0=x - r, y0=y - r, x1=x + r, y1=y + r, fillcolor=fill,
                  line=dict(color="#333333", width=1.4))
    fig.add_annotation(x=x, y=y, text=label, showarrow=False, font=dict(size=13, color="#111111"))


def pf_graphical_model(n_particles: int = 3) -> go.Figure:
    """The paper's Figure 4 redrawn: a particle filter's particles as the hidden units of an RNN.

    Left: three time steps t-1, t, t+1 with M particles H_t^(i) each and the observations.
    Blue arrows: propagation H_{t-1}^(i) -> H_t^(i) (through the proposal G_t^(i)); red:
    resampling, which makes every H_t^(i) depend on all the proposals and on x_t; black:
    forward simulation of x_{t+1} from the particles. The dashed boxes group each step's
    particles into one hidden vector h_t (with the seed, fixed at h_0). Right: the same graph
    with each box collapsed to a node - the RNN's graph of Figure 3.
    """
    M = check_int(n_particles, "n_particles (1..6 for a readable drawing)", 1, 6)
    fig = go.Figure()
    xs = [1.0, 3.3, 5.6]
    names = ["t-1", "t", "t+1"]
    ys = 1.9 + 0.95 * np.arange(M)[::-1] if M > 1 else np.array([2.4])
    x_obs_y = 0.6
    for c, (x, nm) in enumerate(zip(xs, names, strict=True)):
        fig.add_shape(type="rect", x0=x - 0.52, x1=x + 0.52, y0=ys.min() - 0.5,
                      y1=ys.max() + 0.5, line=dict(color=NEUTRAL, dash="dash", width=1))
        fig.add_annotation(x=x, y=ys.max() + 0.72, text=f"h<sub>{nm}</sub>", showarrow=False,
                           font=dict(size=14))
        for i, y in enumerate(ys):
            _node(fig, x, y, f"H<sub>{nm}</sub><sup>({i + 1})</sup>")
        _node(fig, x, x_obs_y, f"x<sub>{nm}</sub>", observed=True)
        if c == 0:
            continue
        xp = xs[c - 1]
        for i, y in enumerate(ys):
            _arrow(fig, xp, y, x, y, PROPAGATE_COLOR, width=2.2)
            for j, yj in enumerate(ys):
                if j != i:
                    _arrow(fig, xp, yj, x, y, RESAMPLE_COLOR, width=0.9)
        # x_t enters the resampling of every particle of step t (arrow to the box)
        _arrow(fig, x - 0.12, x_obs_y + 0.4, x - 0.12, ys.min() - 0.5, RESAMPLE_COLOR,
               width=1.6, shrink=0.02)
        for y in ys:
            _arrow(fig, xp, y, x, x_obs_y, SIMULATE_COLOR, width=1.0)
    # the seed, injected at h_0 and carried along
    y_mid = float(ys.mean())
    _node(fig, -0.4, y_mid, "h<sub>0</sub>")
    fig.add_annotation(x=-0.4, y=y_mid - 0.6, text="seed", showarrow=False, font=dict(size=13))
    _arrow(fig, -0.4, y_mid, xs[0] - 0.52, y_mid, NEUTRAL, width=1.2, dash="dot", shrink=0.42)
    # collapsed: the RNN graph
    rx = [7.4, 8.9, 10.4]
    for c, (x, nm) in enumerate(zip(rx, names, strict=True)):
        _node(fig, x, y_mid, f"h<sub>{nm}</sub>")
        _node(fig, x, x_obs_y, f"x<sub>{nm}</sub>", observed=True)
        if c:
            _arrow(fig, rx[c - 1], y_mid, x, y_mid, PROPAGATE_COLOR, width=2.2)
            _arrow(fig, x, x_obs_y, x, y_mid, RESAMPLE_COLOR, width=1.4)
            _arrow(fig, rx[c - 1], y_mid, x, x_obs_y, SIMULATE_COLOR, width=1.0)
    fig.add_annotation(x=8.9, y=ys.max() + 0.72, text="collapsed: an RNN (Figure 3)",
                       showarrow=False)
    fig.add_annotation(x=3.3, y=ys.max() + 1.15, text=f"particle filter, M = {M}",
                       showarrow=False)
    for name, color in (("propagation", PROPAGATE_COLOR), ("resampling", RESAMPLE_COLOR),
                        ("forward simulation", SIMULATE_COLOR)):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=name,
                                 line=dict(color=color, width=3)))
    fig.update_xaxes(visible=False, range=[-0.9, 11.0])
    fig.update_yaxes(visible=False, range=[0.0, ys.max() + 1.45], scaleanchor="x")
    fig.update_layout(height=480, showlegend=True, title="A particle filter drawn as an RNN "
                      "(after the paper's Figure 4)",
                      legend=dict(orientation="h", y=-0.02, x=0.5, xanchor="center"),
                      margin=dict(l=10, r=10, t=50, b=30))
    return with_alt(fig, "Graph of a particle filter over three time steps: each step's "
                         "particles, grouped in a dashed box as one hidden vector h_t, depend "
                         "on the previous particles (propagation, blue) and on the observation "
                         "(resampling, red), and predict the next observation (black). On the "
                         "right the boxes collapse to single nodes, giving the RNN's graph.")


# ---------------------------------------------------------------------- particles over time
def _pair(value, name: str) -> tuple:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name} must be a pair (low, high) (got {value!r})")
    return tuple(value)


def _jitter(M: int) -> np.ndarray:
    return (np.arange(M) + 0.5) / M * 0.64 - 0.32 if M > 1 else np.zeros(1)


def particle_time_slider(proposed, weights, resampled, obs, states=None, filtered=None,
                         n_states=None) -> go.Figure:
    """One sequence's particles step by step: propagated, reweighted, resampled.

    Args (T steps, M particles): ``proposed`` (T, M) G_t^(j); ``weights`` (T, M) their
    normalised weights; ``resampled`` (T, M) H_t^(j); ``obs`` (T,); optionally the true
    ``states`` (T,) (drawn as rings) and the forward algorithm's ``filtered`` (T, m) (the
    green shading behind the particles).

    Each time step has three columns: proposals at t - 0.3 (joined to their parents by blue
    lines), the same particles sized by weight at t, the resampled ones at t + 0.3. A slider
    over the 3 T phases reveals them in order (works in static HTML).
    """
    G, H = (check_integers(a, name, "states") for a, name in ((proposed, "proposed"),
                                                               (resampled, "resampled")))
    W = check_float_array(weights, "weights")
    obs = check_integers(obs, "obs", "symbols")
    if G.ndim != 2 or G.size == 0:
        raise ValueError(f"proposed must be (T, M) with T, M >= 1 (got shape {G.shape})")
    T, M = G.shape
    if W.shape != (T, M) or H.shape != (T, M) or obs.shape != (T,):
        raise ValueError(f"proposed, weights, resampled must be (T, M) and obs (T,); got "
                         f"{G.shape}, {W.shape}, {H.shape}, {obs.shape}")
    if (W < 0).any():
        raise ValueError("weights must be non-negative")
    if filtered is not None:
        filtered = check_prob_rows(filtered, "filtered", 2)
        if filtered.shape[0] != T:
            raise ValueError(f"filtered must be (T, m) with T = {T} (got {filtered.shape})")
    if states is not None:
        states = check_integers(states, "states", "states")
        if states.shape != (T,):
            raise ValueError(f"states must be (T,) = ({T},) (got {states.shape})")
    if n_states is not None:
        n_states = check_int(n_states, "n_states", minimum=1)
    m = int(n_states or (filtered.shape[1] if filtered is not None else max(G.max(), H.max()) + 1))
    if max(G.max(), H.max()) >= m:
        raise ValueError(f"proposed and resampled must hold states in [0, {m})")
    jit = _jitter(M)
    fig = go.Figure()
    t_axis = np.arange(1, T + 1)
    if filtered is not None:
        fig.add_trace(go.Heatmap(
            x=t_axis, y=np.arange(m), z=np.asarray(filtered).T, zmin=0, zmax=1,
            colorscale=[[0, "rgba(0,158,115,0)"], [1, "rgba(0,158,115,0.55)"]],
            showscale=False, hovertemplate="t=%{x}<br>state %{y}<br>forward p(H_t=i | x_1..t)="
                                           "%{z:.3f}<extra></extra>", name="forward"))
    if states is not None:
        fig.add_trace(go.Scatter(x=t_axis, y=np.asarray(states), mode="markers",
                                 name="true hidden state",
                                 marker=dict(size=30, color="rgba(0,0,0,0)",
                                             line=dict(color=NEUTRAL, width=2)),
                                 hovertemplate="t=%{x}<br>true H_t=%{y}<extra></extra>"))
    static = len(fig.data)
    phase_traces = []
    for t in range(T):
        x0 = t + 1
        # propagation: lines from each parent (resampled at t-1) to its proposal
        if t > 0:
            xl, yl = [], []
            for j in range(M):
                xl += [x0 - 1 + 0.3, x0 - 0.3, None]
                yl += [H[t - 1, j] + jit[j], G[t, j] + jit[j], None]
            fig.add_trace(go.Scatter(x=xl, y=yl, mode="lines", hoverinfo="skip",
                                     line=dict(color=PROPAGATE_COLOR, width=0.8),
                                     opacity=0.6, showlegend=False, visible=False))
            line_idx = [len(fig.data) - 1]
        else:
            line_idx = []
        fig.add_trace(go.Scatter(
            x=np.full(M, x0 - 0.3), y=G[t] + jit, mode="markers", visible=False,
            name="propagated G_t", legendgroup="prop", showlegend=t == 0,
            marker=dict(color=PROPAGATE_COLOR, size=6),
            hovertemplate=f"t={x0}: proposal in state %{{customdata}}<extra></extra>",
            customdata=G[t]))
        phase_traces.append(line_idx + [len(fig.data) - 1])
        size = 4 + 22 * np.sqrt(W[t] / max(W[t].max(), 1e-300))
        fig.add_trace(go.Scatter(
            x=np.full(M, x0), y=G[t] + jit, mode="markers", visible=False,
            name="weighted by p(x_t | G_t)", legendgroup="w", showlegend=t == 0,
            marker=dict(color=RESAMPLE_COLOR, size=size, opacity=0.75),
            customdata=np.stack([G[t], W[t] * M], axis=1),
            hovertemplate=f"t={x0}, x_t={obs[t]}<br>state %{{customdata[0]}}<br>weight x M = "
                          "%{customdata[1]:.3f}<extra></extra>"))
        phase_traces.append([len(fig.data) - 1])
        fig.add_trace(go.Scatter(
            x=np.full(M, x0 + 0.3), y=H[t] + jit, mode="markers", visible=False,
            name="resampled H_t", legendgroup="res", showlegend=t == 0,
            marker=dict(color="#333333", size=6, symbol="diamond"),
            customdata=H[t], hovertemplate=f"t={x0}: resampled particle in state "
                                           "%{customdata}<extra></extra>"))
        phase_traces.append([len(fig.data) - 1])
    n_traces = len(fig.data)
    labels = ("propagate", "weight", "resample")
    steps = []
    for k in range(3 * T):
        vis = [True] * static + [False] * (n_traces - static)
        for p in range(k + 1):
            for j in phase_traces[p]:
                vis[j] = True
        steps.append(dict(method="update", label=f"t={k // 3 + 1}: {labels[k % 3]}",
                          args=[{"visible": vis}]))
    # start with the first step fully shown
    for p in range(3):
        for j in phase_traces[p]:
            fig.data[j].visible = True
    fig.update_xaxes(title_text="time step t (observed symbol below)", range=[0.4, T + 0.6],
                     tickvals=list(t_axis), ticktext=[f"{t}<br>x={x}" for t, x in
                                                       zip(t_axis, obs, strict=True)])
    fig.update_yaxes(title_text="hidden state", tickvals=list(range(m)), range=[-0.6, m - 0.4])
    fig.update_layout(height=520, title=f"{M} particles of one sequence, step by step",
                      # below the two-line tick labels and the axis title
                      sliders=[dict(active=2, steps=steps, currentvalue=dict(prefix="showing "),
                                    pad=dict(t=84))])
    return with_alt(fig, "Particles of one sequence over time: at each step they are "
                         "propagated (blue), weighted by the observation (red, larger when "
                         "heavier) and resampled (black diamonds); green shading is the "
                         "forward algorithm's belief and rings mark the true state. A slider "
                         "reveals the phases in order.")


# ---------------------------------------------------------------------- beliefs side by side
def belief_comparison(posteriors: dict, states=None, obs=None,
                      title: str = "p(H_t | x_1..t) for one sequence") -> go.Figure:
    """Heatmaps of several posteriors of one sequence, one row per method.

    Args:
        posteriors: name -> (T, m) posterior (e.g. forward, particle filter, RNN).
        states: optional (T,) true hidden states, drawn as rings on every row.
        obs: optional (T,) observations, shown in the hover text and the x tick labels.
    """
    if not isinstance(posteriors, Mapping) or not posteriors:
        raise ValueError("posteriors must be a non-empty dict: name -> (T, m) array (got "
                         f"{type(posteriors).__name__})")
    names = list(posteriors)
    arrays = [check_float_array(posteriors[k], f"posteriors[{k!r}]", 2) for k in names]
    T, m = arrays[0].shape
    if any(a.shape != (T, m) for a in arrays):
        raise ValueError(f"every posterior must have shape (T, m) = {(T, m)}; got "
                         f"{[a.shape for a in arrays]}")
    for k, a in zip(names, arrays, strict=True):
        if (a < 0).any() or (a > 1).any():
            raise ValueError(f"posteriors[{k!r}] must hold probabilities in [0, 1]")
    for arg, value in (("states", states), ("obs", obs)):
        if value is not None and check_integers(value, arg).shape != (T,):
            raise ValueError(f"{arg} must be (T,) = ({T},) (got shape {np.shape(value)})")
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[str(k) for k in names])
    t = np.arange(1, T + 1)
    for r, a in enumerate(arrays, start=1):
        fig.add_trace(go.Heatmap(z=a.T, x=t, y=np.arange(m), zmin=0, zmax=1,
                                 colorscale="Cividis", showscale=r == 1,
                                 colorbar=dict(title="probability", len=0.8),
                                 hovertemplate="t=%{x}<br>state %{y}<br>p=%{z:.3f}<extra></extra>"),
                      row=r, col=1)
        if states is not None:
            fig.add_trace(go.Scatter(x=t, y=np.asarray(states), mode="markers",
                                     name="true hidden state", showlegend=r == 1,
                                     marker=dict(color="rgba(0,0,0,0)", size=11,
                                                 line=dict(color="white", width=2))),
                          row=r, col=1)
        fig.update_yaxes(title_text="state", tickvals=list(range(m)), row=r, col=1)
    if obs is not None:
        fig.update_xaxes(tickvals=list(t), ticktext=[f"{i}<br>x={x}" for i, x in
                                                     zip(t, np.asarray(obs), strict=True)],
                         row=len(names), col=1)
    fig.update_xaxes(title_text="time step t", row=len(names), col=1)
    fig.update_layout(height=160 + 170 * len(names), title=title,
                      legend=dict(orientation="h", y=1.06, x=1, xanchor="right"))
    return with_alt(fig, "Heatmaps, one per method, of the probability of each hidden state "
                         "at each time step for one sequence; rings mark the true states.")


# ---------------------------------------------------------------------- tables for display
FIG7_ROWS = {"RNN ahead of the PF at every size": "yes, at every d",
             "many particles match forward": "stated, not shown",
             "no method beats forward": "implied"}


def fig7_claims_table(grid: pd.DataFrame, n_sequences: int = 1000, T: int = 8) -> pd.DataFrame:
    """Figure 7: the paper's claims next to what the committed grid rows show.

    Args:
        grid: the grid rows of the Figure 7 table, one row per (kind, d, replicate), with
            ``kind`` ("rnn" and "pf"), ``d``, ``agreement``, ``accuracy`` and ``accuracy_ref``
            (the forward algorithm's accuracy, the same on every row).
        n_sequences, T: the size of the test set, for the standard error of an accuracy
            (sqrt(p (1 - p) / (n_sequences T)) at the forward algorithm's p).

    Returns:
        a DataFrame of 3 rows (``FIG7_ROWS``' keys, as its index) and two text columns,
        "paper" and "ours": on how many sizes the mean RNN accuracy is at least the particle
        filter's, and the largest d up to which its mean agreement is at least the particle
        filter's at every size (None if it is behind at the smallest); the particle filter's
        agreement at the largest d; the forward algorithm's accuracy against the best mean
        accuracy.
    """
    check_table(grid, ["kind", "d", "agreement", "accuracy", "accuracy_ref"],
                "fig7_claims_table's table", numeric=["d", "agreement", "accuracy",
                                                      "accuracy_ref"])
    if set(grid.kind) != {"rnn", "pf"}:
        raise ValueError("fig7_claims_table needs rows of both kinds 'rnn' and 'pf' (got "
                         f"{sorted(map(str, set(grid.kind)))})")
    agree = grid.groupby(["kind", "d"]).agreement.mean().unstack("kind")
    acc = grid.groupby(["kind", "d"]).accuracy.mean().unstack("kind")
    ahead = agree.rnn >= agree.pf
    rnn_ahead_to = max((d for d in agree.index if ahead.loc[:d].all()), default=None)
    acc_ref = float(grid.accuracy_ref.iloc[0])
    acc_se = float(np.sqrt(acc_ref * (1 - acc_ref) / (n_sequences * T)))
    n_acc = int((acc.rnn >= acc.pf).sum())
    ours = [f"accuracy: {n_acc} of {len(acc)} sizes; agreement: up to d = {rnn_ahead_to}",
            f"PF agreement {agree.pf.iloc[-1]:.3f} at d = {agree.index[-1]}",
            f"forward {acc_ref:.3f}, best mean {acc.max().max():.3f} (s.e. {acc_se:.3f})"]
    return pd.DataFrame({"paper": list(FIG7_ROWS.values()), "ours": ours},
                        index=list(FIG7_ROWS))


def copies_table(weights, counts: Mapping) -> pd.DataFrame:
    """How often resampling copies each particle: expected count, then mean and variance of
    the count under each scheme.

    Args:
        weights: (M,) nonnegative particle weights (not necessarily normalised).
        counts: scheme name -> (R, M) integer array, the number of copies of each particle in
            R independent resamplings.

    Returns:
        a DataFrame with one row per particle and the columns "expected" (M times the
        normalised weight), "mean (<scheme>)" for each scheme, then "var (<scheme>)" for each
        scheme (population variance over the R draws).
    """
    w = check_float_array(weights, "weights", 1)
    if (w < 0).any() or not w.sum() > 0:
        raise ValueError("weights must be nonnegative with a positive sum")
    if not isinstance(counts, Mapping) or not counts:
        raise ValueError("counts must be a non-empty dict: scheme -> (R, M) copy counts")
    arrays = {name: np.asarray(c) for name, c in counts.items()}
    for name, c in arrays.items():
        if c.ndim != 2 or c.shape[1] != len(w):
            raise ValueError(f"counts[{name!r}] must have shape (R, M) with M = {len(w)} "
                             f"(got {c.shape})")
    table = {"expected": len(w) * w / w.sum()}
    table.update({f"mean ({name})": c.mean(0) for name, c in arrays.items()})
    table.update({f"var ({name})": c.var(0) for name, c in arrays.items()})
    return pd.DataFrame(table)
