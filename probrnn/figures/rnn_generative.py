"""Figures of the chapter *RNNs as generative models and as graphical models*.

Pure functions from data to a plotly ``Figure``: the computational graph of an RNN (the paper's
Figure 1) and the graph G of M(G; alpha, beta) (Figure 3), sampled sequences side by side, the
Theorem 5 check, the Proposition 4 check, and the predictive comparison with a slider over m.
Also the tables the chapter displays: the first-symbol distributions and the bigram frequencies.
"""

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
    check_prob_vector,
    check_real,
    check_table,
)
from .style import NEUTRAL, OKABE_ITO, with_alt

PREDICTOR_STYLE = {
    "rnn": ("RNN (observations only)", OKABE_ITO[0], "circle"),
    "baum_welch": ("Baum-Welch HMM (true m)", OKABE_ITO[1], "diamond"),
    "memoryless": ("true marginals, ignoring the past", NEUTRAL, "x"),
}


# ---------------------------------------------------------------------------------- graphs
def _node(fig, x, y, text, observed, shape="circle", r=0.28):
    kind = "circle" if shape == "circle" else "rect"
    fig.add_shape(type=kind, x0=x - r, x1=x + r, y0=y - r, y1=y + r, layer="below",
                  line=dict(color=OKABE_ITO[0] if observed else NEUTRAL, width=2),
                  fillcolor="rgba(0,114,178,0.18)" if observed else "rgba(0,0,0,0)")
    fig.add_annotation(x=x, y=y, text=text, showarrow=False, font=dict(size=15))


def _edge(fig, x0, y0, x1, y1, color, dash=False, r=0.3, label=None):
    d = np.hypot(x1 - x0, y1 - y0)
    ux, uy = (x1 - x0) / d, (y1 - y0) / d
    fig.add_annotation(x=x1 - r * ux, y=y1 - r * uy, ax=x0 + r * ux, ay=y0 + r * uy,
                       xref="x", yref="y", axref="x", ayref="y", text="", showarrow=True,
                       arrowhead=2, arrowsize=1.2, arrowwidth=2.2 if not dash else 1.6,
                       arrowcolor=color)
    if label:  # beside the edge's midpoint; the text colour follows the page's light/dark mode
        fig.add_annotation(x=(x0 + x1) / 2, y=(y0 + y1) / 2, text=label, showarrow=False,
                           font=dict(size=14), xshift=-18 * uy, yshift=18 * ux)


def graph_figure(T: int = 4, kind: str = "graphical") -> go.Figure:
    """The RNN drawn two ways, for T time steps.

    ``kind="computational"``: the paper's Figure 1, a computation: boxes h_0 -> h_1 -> ... fed
    by the inputs x_t, each h_t emitting g_beta(h_t) = P(X_{t+1} | x_1..t). Edges are
    deterministic function applications, not probabilistic dependencies.
    ``kind="graphical"``: the paper's Figure 3, the graph G of M(G; alpha, beta): random
    variables X_1..T (shaded: observed) and H_1..T, with edges X_t -> H_t and H_{t-1} -> H_t
    (point-mass conditionals delta(H_t = f_alpha(H_{t-1}, X_t)), in blue) and H_t -> X_{t+1}
    (the categorical g_beta(H_t), in vermillion).
    """
    T = check_int(T, "T (2..50 for a readable drawing)", 2, 50)
    if kind not in ("graphical", "computational"):
        raise ValueError(f"kind must be 'graphical' or 'computational' (got {kind!r})")
    fig = go.Figure()
    f_col, g_col = OKABE_ITO[0], OKABE_ITO[5]  # blue, vermillion (readable on white and dark)
    if kind == "graphical":
        for t in range(1, T + 1):
            _node(fig, t, 0, f"X<sub>{t}</sub>", observed=True)
            _node(fig, t, 1.2, f"H<sub>{t}</sub>", observed=False)
            _edge(fig, t, 0, t, 1.2, f_col, label="δ" if t == 1 else None)
            if t > 1:
                _edge(fig, t - 1, 1.2, t, 1.2, f_col, label="δ(f<sub>α</sub>)")
            if t < T:
                _edge(fig, t, 1.2, t + 1, 0, g_col, label="g<sub>β</sub>" if t == 1 else None)
        title = "Graph G of M(G; α, β): point masses in blue, g<sub>β</sub> in vermillion"
        alt = (f"The graph G for T = {T}: a row of hidden variables H_1 to H_{T} above a row of "
               f"observed symbols X_1 to X_{T}. Each X_t points up to H_t, each H_(t-1) points "
               "right to H_t (both point-mass conditionals), and each H_t points diagonally "
               "down to X_(t+1) (the categorical g_beta).")
    else:
        _node(fig, 0, 1.2, "h<sub>0</sub>=0", observed=False, shape="rect")
        for t in range(1, T + 1):
            _node(fig, t, 0, f"x<sub>{t}</sub>", observed=True, shape="rect")
            _node(fig, t, 1.2, f"h<sub>{t}</sub>", observed=False, shape="rect")
            fig.add_annotation(x=t, y=2.35, text=f"P(X<sub>{t + 1}</sub>)", showarrow=False,
                               font=dict(size=13))
            _edge(fig, t, 0, t, 1.2, f_col)
            _edge(fig, t - 1, 1.2, t, 1.2, f_col, label="f<sub>α</sub>" if t == 1 else None)
            _edge(fig, t, 1.2, t, 2.35, g_col, label="g<sub>β</sub>" if t == 1 else None)
        title = "The RNN as a computation: every arrow is a deterministic function"
        alt = (f"The computational graph of an RNN for T = {T}: boxes h_0 to h_{T} in a row, "
               "each h_t computed from h_(t-1) and the input x_t below it, and each h_t "
               "producing the prediction g_beta(h_t) = P(X_(t+1)) above it.")
    top = 1.65 if kind == "graphical" else 2.65
    fig.update_layout(title=title, height=360, showlegend=False,
                      xaxis=dict(visible=False, range=[-0.6, T + 0.6]),
                      yaxis=dict(visible=False, range=[-0.45, top], scaleanchor="x"),
                      margin=dict(l=10, r=10, t=50, b=10))
    return with_alt(fig, alt)


# ---------------------------------------------------------------------------------- samples
def _symbol_colorscale(K: int):
    cols = [OKABE_ITO[i % len(OKABE_ITO)] for i in range(K)]
    scale = []
    for i, c in enumerate(cols):
        scale += [[i / K, c], [(i + 1) / K, c]]
    return scale


def sequences_figure(samples: Mapping[str, np.ndarray], n_symbols: int,
                     title: str = "Sampled sequences, one per row") -> go.Figure:
    """Heatmaps of sampled symbol sequences, one panel per source (e.g. the HMM, the RNN).

    samples: name -> (n, T) int symbols; all panels share the colour of each symbol.
    """
    if not isinstance(samples, Mapping) or not samples:
        raise ValueError("samples must be a non-empty dict: name -> (n, T) symbols (got "
                         f"{type(samples).__name__})")
    n_symbols = check_int(n_symbols, "n_symbols", minimum=1)
    names = list(samples)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[str(k) for k in names],
                        horizontal_spacing=0.06)
    for j, name in enumerate(names):
        obs = check_integers(samples[name], f"samples[{name!r}]", "symbols", 0, n_symbols)
        if obs.ndim != 2 or obs.size == 0:
            raise ValueError(f"samples[{name!r}] must be (n, T) (got shape {obs.shape})")
        fig.add_trace(go.Heatmap(
            z=obs, x=np.arange(1, obs.shape[1] + 1), y=np.arange(obs.shape[0]), zmin=-0.5,
            zmax=n_symbols - 0.5, colorscale=_symbol_colorscale(n_symbols), showscale=(j == 0),
            colorbar=dict(title="symbol", tickvals=list(range(n_symbols))),
            hovertemplate="sequence %{y}<br>t=%{x}<br>x_t=%{z}<extra>" + name + "</extra>",
        ), row=1, col=j + 1)
        fig.update_xaxes(title_text="time step t", row=1, col=j + 1)
        fig.update_yaxes(autorange="reversed", showticklabels=(j == 0), row=1, col=j + 1)
    fig.update_yaxes(title_text="sequence", row=1, col=1)
    fig.update_layout(title=title, height=420)
    return with_alt(fig, "Side-by-side heatmaps of sampled symbol sequences (rows) over time "
                         f"(columns) from: {', '.join(names)}; colours are the symbols.")


def first_symbol_table(truth, empirical, g_h0) -> pd.DataFrame:
    """The three distributions of the first symbol X_1 the chapter compares, side by side.

    truth: (K,) the true P(X_1) (pi^T B for an HMM); empirical: (K,) the first-symbol
    frequencies of the training set (``first_model.probs``); g_h0: (K,) the network's output at
    the zero initial state. Each must be a probability vector, all of the same length K.
    Returns a (K, 3) DataFrame indexed by symbol, with one column per distribution.
    """
    truth = check_prob_vector(truth, "truth")
    empirical = check_prob_vector(empirical, "empirical")
    g_h0 = check_prob_vector(g_h0, "g_h0")
    sizes = {"truth": len(truth), "empirical": len(empirical), "g_h0": len(g_h0)}
    if len(set(sizes.values())) != 1:
        raise ValueError(f"truth, empirical and g_h0 must have the same length K (got {sizes})")
    table = {
        "true P(X_1)": truth,
        "empirical (first_model)": empirical,
        "g(h_0), never trained for it": g_h0,
    }
    return pd.DataFrame(table)


def bigram_table(samples: Mapping[str, np.ndarray], n_symbols: int) -> pd.DataFrame:
    """Frequencies of successive pairs (x_t, x_{t+1}) in each source's sequences, with their
    standard errors: the input of :func:`ngram_figure`.

    samples: name -> (n, T) int symbols in [0, n_symbols), with n >= 2 sequences (for the
    standard error) and T >= 2 steps. A pair's frequency is its share among the n (T - 1)
    pairs; its standard error is the standard deviation over sequences of the per-sequence
    share, divided by sqrt(n) (the sequences are independent).
    Returns a long DataFrame with columns ``ngram`` (e.g. "01"), ``source``, ``freq`` and
    ``se``: n_symbols**2 rows per source, sources in the order given, pairs in lexicographic
    order.
    """
    if not isinstance(samples, Mapping) or not samples:
        raise ValueError("samples must be a non-empty dict: name -> (n, T) symbols (got "
                         f"{type(samples).__name__})")
    K = check_int(n_symbols, "n_symbols", minimum=1)
    ngrams = [f"{a}{b}" for a in range(K) for b in range(K)]
    parts = []
    for name, obs in samples.items():
        obs = check_integers(obs, f"samples[{name!r}]", "symbols", 0, K)
        if obs.ndim != 2 or obs.shape[0] < 2 or obs.shape[1] < 2:
            raise ValueError(f"samples[{name!r}] must be (n, T) with n >= 2 sequences and "
                             f"T >= 2 steps (got shape {obs.shape})")
        pairs = K * obs[:, :-1] + obs[:, 1:]  # code (x_t, x_{t+1})
        freq = np.bincount(pairs.ravel(), minlength=K * K) / pairs.size
        per_seq = np.stack([np.bincount(r, minlength=K * K) / r.size for r in pairs])
        se = per_seq.std(axis=0, ddof=1) / np.sqrt(len(obs))
        parts.append(pd.DataFrame({"ngram": ngrams, "source": name, "freq": freq, "se": se}))
    return pd.concat(parts)


def ngram_figure(freqs: pd.DataFrame, title: str = "Bigram frequencies P(x_t, x_{t+1})"
                 ) -> go.Figure:
    """Grouped bars of n-gram frequencies: columns ``ngram``, ``source``, ``freq`` and
    optionally ``se`` (drawn as error bars)."""
    check_table(freqs, ["ngram", "source", "freq"], "freqs", numeric=["freq"])
    fig = go.Figure()
    for i, (src, sub) in enumerate(freqs.groupby("source", sort=False)):
        err = dict(type="data", array=sub["se"]) if "se" in sub else None
        fig.add_trace(go.Bar(x=sub["ngram"].astype(str), y=sub["freq"], name=str(src),
                             marker_color=OKABE_ITO[i % len(OKABE_ITO)], error_y=err))
    fig.update_layout(title=title, barmode="group", xaxis_title="(x_t, x_{t+1})",
                      yaxis_title="frequency", height=360,
)
    return with_alt(fig, "Grouped bar chart comparing the frequency of each pair of successive "
                         "symbols between the sources.")


# ---------------------------------------------------------------------------------- checks
def theorem5_figure(table: pd.DataFrame) -> go.Figure:
    """The Theorem 5 check from :func:`probrnn.graphical.theorem5_table`.

    Left: the z-score of each Monte Carlo estimate against g_beta(h_t*), by prefix, with the
    |z| = 4 band. Right: the absolute error of the enumeration (log scale).
    """
    check_table(table, ["prefix", "t", "x"], "table", numeric=["t", "x"])
    found = [c for c in ("monte_carlo_z", "rejection_z", "enumerate_abs_error") if c in table]
    if not found:
        raise ValueError("table has none of the columns monte_carlo_z, rejection_z, "
                         "enumerate_abs_error: pass probrnn.graphical.theorem5_table's output")
    check_table(table, found, "table", numeric=found)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38],
                        subplot_titles=("Monte Carlo: z = (estimate − g<sub>β</sub>(h*)) / SE",
                                        "enumeration: |P<sub>M(G)</sub> − g<sub>β</sub>(h*)|"))
    sub = table[table["x"] == table["x"].max()].reset_index(drop=True)
    idx = np.arange(len(sub))
    for i, method in enumerate(("monte_carlo", "rejection")):
        if f"{method}_z" not in sub:
            continue
        fig.add_trace(go.Scatter(
            x=idx, y=sub[f"{method}_z"], mode="markers", name=method.replace("_", " "),
            marker=dict(color=OKABE_ITO[i], symbol=["circle", "diamond"][i], size=7),
            customdata=np.stack([sub["prefix"], sub["t"]], axis=1),
            hovertemplate="prefix %{customdata[0]}<br>z=%{y:.2f}<extra>" + method + "</extra>",
        ), row=1, col=1)
    for y in (-4, 4):
        fig.add_hline(y=y, line=dict(color=NEUTRAL, dash="dash"), row=1, col=1)
    if "enumerate_abs_error" in table:
        err = table.groupby("prefix", sort=False)["enumerate_abs_error"].max()
        fig.add_trace(go.Scatter(
            x=np.arange(len(err)), y=np.maximum(err.to_numpy(), 1e-18), mode="markers",
            name="enumeration", marker=dict(color=OKABE_ITO[2], size=7),
            customdata=err.index, hovertemplate="prefix %{customdata}<br>|error|=%{y:.1e}"
                                                "<extra></extra>"), row=1, col=2)
        fig.add_hline(y=1e-6, line=dict(color=NEUTRAL, dash="dash"), row=1, col=2)
        fig.update_yaxes(type="log", exponentformat="power", row=1, col=2)
    fig.update_xaxes(title_text="prefix number (by length, then lexicographic)", row=1, col=1)
    fig.update_xaxes(title_text="prefix number", row=1, col=2)
    fig.update_yaxes(title_text=f"z-score for x = {int(table['x'].max())}", row=1, col=1)
    fig.update_layout(title="Theorem 5: the graphical model's conditionals are the RNN's",
                      height=400, legend=dict(orientation="h", y=-0.25))
    return with_alt(fig, "Left: z-scores of the Monte Carlo estimates of P(X_t+1 | prefix) from "
                         "the graphical model against the RNN's own prediction, one per prefix, "
                         "all inside the band from -4 to 4. Right: the absolute error of exact "
                         "enumeration per prefix on a log scale, far below 1e-6.")


def dependence_figure(h_det: np.ndarray, x_det: np.ndarray, h_noisy: np.ndarray,
                      x_noisy: np.ndarray, unit: int, symbol: int = 1) -> go.Figure:
    """Proposition 4: the distribution of one unit of H_1 given X_1, split by X_3 = symbol.

    Both panels share their bins and x-axis. Under M(G) both groups sit on the same single
    value (one spike holding every draw); under the noisy model they spread out and differ.
    """
    arrays = []
    for label, h, x in (("det", h_det, x_det), ("noisy", h_noisy, x_noisy)):
        h = check_float_array(h, f"h_{label}", 2)
        x = check_integers(x, f"x_{label}", "symbols")
        if x.shape != (h.shape[0],):
            raise ValueError(f"x_{label} must be (n,) = ({h.shape[0]},) to match h_{label} (got "
                             f"{x.shape})")
        arrays.append((h, x))
    S = min(h.shape[1] for h, _ in arrays)
    unit = check_int(unit, "unit", 0, S - 1)
    symbol = check_int(symbol, "symbol", minimum=0)
    panels = [(h[:, unit], x) for h, x in arrays]
    values = np.concatenate([v for v, _ in panels])
    lo, hi = float(values.min()), float(values.max())
    size = max(hi - lo, 1e-3) / 60
    fig = make_subplots(rows=1, cols=2, shared_xaxes="all",
                        subplot_titles=("M(G): point-mass transitions",
                                        "noisy variant: Gaussian transitions"))
    for col, (v, x) in enumerate(panels, start=1):
        for j, (mask, label) in enumerate(((x == symbol, f"X<sub>3</sub> = {symbol}"),
                                           (x != symbol, f"X<sub>3</sub> ≠ {symbol}"))):
            fig.add_trace(go.Histogram(
                x=v[mask], name=label, histnorm="probability", opacity=0.6,
                xbins=dict(start=lo - size, end=hi + size, size=size),
                marker_color=OKABE_ITO[j], showlegend=(col == 1), legendgroup=label,
                hovertemplate="H_1 unit in [%{x}]<br>share %{y:.3f}<extra>" + label
                              + "</extra>"), row=1, col=col)
        fig.update_xaxes(title_text=f"hidden unit {unit} of H<sub>1</sub>", row=1, col=col)
    fig.update_yaxes(title_text="share of draws in the group", row=1, col=1)
    fig.update_layout(barmode="overlay", height=380,
                      title="Proposition 4: does H<sub>1</sub> carry information about "
                            "X<sub>3</sub> beyond X<sub>1</sub>?")
    return with_alt(fig, "Two histogram panels of one hidden unit of H_1 given X_1, split by "
                         "the value of X_3, on a shared axis. Left, deterministic model: a "
                         "single spike holding every draw of both groups. Right, noisy model: "
                         "two spread-out histograms shifted against each other.")


# ---------------------------------------------------------------------------------- predictive
def excess_ce_figure(df: pd.DataFrame, floor: float = 1e-4) -> go.Figure:
    """Excess cross-entropy (nats/symbol) against n for each predictor, slider over m.

    ``df`` is :func:`probrnn.experiments.predictive.predictive`'s table. Lines join the means
    over replicates; markers show each replicate; the grey line is what ignoring the past
    costs (``ce_memoryless - ce_optimal``). Log axes: values below ``floor`` (the excess can be
    slightly negative on a finite test set) are drawn at ``floor``; hover shows the true value.
    """
    need = ["m", "n", "predictor", "excess_ce", "ce_memoryless", "ce_optimal", "replicate"]
    check_table(df, need, "df", numeric=[c for c in need if c != "predictor"])
    floor = check_real(floor, "floor", 0.0, low_open=True)
    ms = sorted(df["m"].unique())
    fig = go.Figure()
    groups = []
    for i, m in enumerate(ms):
        sub = df[df["m"] == m]
        start = len(fig.data)
        for name in [p for p in ("rnn", "baum_welch") if p in set(sub["predictor"])]:
            label, color, symbol = PREDICTOR_STYLE[name]
            rows = sub[sub["predictor"] == name]
            mean = rows.groupby("n")["excess_ce"].agg(["mean", "min", "max"]).reset_index()
            fig.add_trace(go.Scatter(
                x=mean["n"], y=np.maximum(mean["mean"], floor), mode="lines+markers",
                name=label, line=dict(color=color, width=2.5),
                marker=dict(symbol=symbol, size=9, color=color),
                customdata=mean[["mean", "min", "max"]].to_numpy(),
                hovertemplate="n=%{x}<br>mean excess=%{customdata[0]:.4f}<br>"
                              "range [%{customdata[1]:.4f}, %{customdata[2]:.4f}]"
                              "<extra>" + label + "</extra>",
                visible=(i == 0), legendgroup=name))
            fig.add_trace(go.Scatter(
                x=rows["n"] * (1 + 0.04 * (rows["replicate"] - rows["replicate"].mean())),
                y=np.maximum(rows["excess_ce"], floor), mode="markers",
                marker=dict(symbol=symbol, size=6, color=color, opacity=0.45),
                name=label + " (each replicate)", showlegend=False, legendgroup=name,
                customdata=np.stack([rows["replicate"], rows["excess_ce"]], axis=1),
                hovertemplate="n=%{x:.0f}<br>replicate %{customdata[0]}<br>excess="
                              "%{customdata[1]:.4f}<extra>" + label + "</extra>",
                visible=(i == 0)))
        if "converged" in sub.columns:  # fits stopped by their budget, not by convergence
            capped = sub[(sub["predictor"] == "baum_welch")
                         & (sub["converged"].astype(str).str.lower() == "false")]
            fig.add_trace(go.Scatter(
                x=capped["n"] * (1 + 0.04 * (capped["replicate"] - 1)),
                y=np.maximum(capped["excess_ce"], floor), mode="markers",
                marker=dict(symbol="x-thin-open", size=11, line=dict(width=2), color=NEUTRAL),
                name="EM stopped at its iteration budget", legendgroup="capped",
                showlegend=bool(len(capped)), visible=(i == 0),
                hovertemplate="Baum-Welch did not converge in its iterations<extra></extra>"))
        gap = (sub["ce_memoryless"] - sub["ce_optimal"]).groupby(sub["n"]).mean()
        label, color, _ = PREDICTOR_STYLE["memoryless"]
        fig.add_trace(go.Scatter(x=gap.index, y=np.maximum(gap.to_numpy(), floor), mode="lines",
                                 line=dict(color=color, dash="dot"), name=label,
                                 hovertemplate="ignoring the past costs %{y:.4f}<extra></extra>",
                                 visible=(i == 0)))
        groups.append(range(start, len(fig.data)))
    steps = []
    for i, m in enumerate(ms):
        vis = [False] * len(fig.data)
        for j in groups[i]:
            vis[j] = True
        steps.append(dict(method="update", label=str(m), args=[{"visible": vis}]))
    fig.update_layout(
        title="Excess cross-entropy over the exact forward algorithm",
        xaxis=dict(type="log", title="training sequences n"),
        yaxis=dict(type="log", title="excess cross-entropy (nats/symbol)",
                   exponentformat="power"),
        height=520,
        sliders=[dict(active=0, steps=steps, currentvalue=dict(prefix="HMM states m = "),
                      pad=dict(t=50))],
    )
    return with_alt(fig, "Log-log plot of excess cross-entropy against the number of training "
                         "sequences for the RNN and the Baum-Welch HMM, with one marker per "
                         "replicate and a dotted line for a predictor that ignores the past; a "
                         "slider selects the number of HMM states m.")


def comparison_bars(rows: pd.DataFrame, title: str = "Excess cross-entropy on the test set"
                    ) -> go.Figure:
    """Bars of ``excess_ce`` per ``predictor`` for one run (the live widget's output)."""
    check_table(rows, ["predictor", "excess_ce"], "rows", numeric=["excess_ce"])
    fig = go.Figure()
    for _, row in rows.iterrows():
        label, color, _ = PREDICTOR_STYLE.get(row["predictor"], (row["predictor"], NEUTRAL, ""))
        fig.add_trace(go.Bar(x=[label], y=[row["excess_ce"]], marker_color=color, name=label,
                             hovertemplate="%{y:.4f} nats/symbol<extra></extra>"))
    fig.update_layout(title=title, yaxis_title="nats per symbol", showlegend=False, height=340)
    return with_alt(fig, "Bar chart of the excess cross-entropy of each predictor for one run.")
