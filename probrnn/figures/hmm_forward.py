"""Belief trajectories p(H_t | x_1..t) of the forward algorithm (HMM chapter)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from ..validate import check_int, check_integers, check_prob_rows
from .style import with_alt


def belief_trajectories(runs: Mapping[int, tuple[np.ndarray, np.ndarray, np.ndarray]],
                        title: str = "Forward-algorithm beliefs p(H_t | x_1..t)") -> go.Figure:
    """Heatmap of the filtered beliefs of one sequence for each m, with a slider over m.

    Args:
        runs: m -> (states (T,), obs (T,), filtered (T, m)) for one sampled sequence.

    The true hidden state is drawn as vermillion rings on the heatmap, and each column's
    hover shows the observed symbol. Each m has its own colour scale, from 0 to its largest
    belief: with many states every belief is small, and on a fixed 0-1 scale the whole map
    would be one dark colour. Works in static HTML: the slider only toggles visibility.
    """
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError("runs must be a non-empty dict: m -> (states, obs, filtered) (got "
                         f"{type(runs).__name__})")
    for m in runs:
        check_int(m, "each key of runs (the number of states m)", minimum=1)
    ms = sorted(runs)
    fig = go.Figure()
    for i, m in enumerate(ms):
        run = runs[m]
        if not isinstance(run, (tuple, list)) or len(run) != 3:
            raise ValueError(f"runs[{m}] must be (states (T,), obs (T,), filtered (T, {m}))")
        states = check_integers(run[0], f"runs[{m}] states", "states", 0, m)
        obs = check_integers(run[1], f"runs[{m}] obs", "symbols")
        filtered = check_prob_rows(run[2], f"runs[{m}] filtered", 2)
        T = filtered.shape[0]
        if filtered.shape != (T, m) or states.shape != (T,) or obs.shape != (T,):
            raise ValueError(
                f"runs[{m}] must be (states (T,), obs (T,), filtered (T, {m})); got shapes "
                f"{states.shape}, {obs.shape}, {filtered.shape}"
            )
        t = np.arange(1, T + 1)
        top = float(np.ceil(filtered.max() * 20) / 20)  # the largest belief, up to 0.05
        fig.add_trace(go.Heatmap(
            z=filtered.T, x=t, y=np.arange(m), zmin=0, zmax=top, colorscale="Cividis",
            colorbar=dict(title="p(H_t = i | x_1..t)", title_side="right"),
            customdata=np.broadcast_to(obs, (m, T)),
            hovertemplate="t=%{x}<br>state i=%{y}<br>x_t=%{customdata}<br>belief=%{z:.3f}"
                          "<extra></extra>",
            visible=(i == 0), name=f"m = {m}",
        ))
        fig.add_trace(go.Scatter(
            x=t, y=states, mode="markers", name="true hidden state",
            marker=dict(symbol="circle-open", color="#D55E00", size=12, line=dict(width=2.5)),
            hovertemplate="t=%{x}<br>true H_t=%{y}<extra></extra>", visible=(i == 0),
            showlegend=True,
        ))
    steps = []
    for i, m in enumerate(ms):
        vis = [False] * (2 * len(ms))
        vis[2 * i] = vis[2 * i + 1] = True
        steps.append(dict(method="update", label=str(m),
                          args=[{"visible": vis}, {"yaxis.title.text": f"hidden state i (m = {m})",
                                                  "yaxis.dtick": max(1, m // 8)}]))
    fig.update_layout(
        title=title, height=470,
        xaxis_title="time step t", yaxis_title=f"hidden state i (m = {ms[0]})",
        yaxis=dict(tick0=0, dtick=max(1, ms[0] // 8)),
        sliders=[dict(active=0, steps=steps, currentvalue=dict(prefix="m = "),
                      name="number of hidden states m")],
    )
    return with_alt(fig, "Heatmap of the forward algorithm's belief over hidden states (rows) "
                         "against time (columns) for one sampled sequence, with the true state "
                         "marked by rings; a slider switches the number of hidden states m.")
