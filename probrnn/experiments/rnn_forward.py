"""Figures 5 and 6 of the paper: trained RNNs against the forward algorithm (chapter 3, *RNNs as
nonlinear approximations of the forward algorithm*, the paper's 4.1 and 4.1.1).

* :func:`fig5`: 2-state, 3-symbol HMMs with Dirichlet(1) parameters, T = 8; RNNs with
  k in {1, 20, 100} hidden units trained on n sequences of (observation, hidden state) pairs.
* :func:`fig6`: tanh RNNs of two fixed sizes (k = 20 and 100) on HMMs with m = 2, 4, ..., 512.
* :func:`lr_check`: the learning-rate rule of :mod:`probrnn.training.rule` against a grid of
  learning rates, at several sizes.

Every row of a table is one trained network with all its seeds and what its training did
(steps, why it stopped, learning rate, restarts, held-out loss, seconds), so any row can be
recomputed alone (:func:`recompute_row`). Seeds come from :func:`~probrnn.experiments.common.
derive_seed` keyed by the base seed and the grid point. Networks of the same size are trained
together as one batched model (:func:`probrnn.fit_state_rnns`), and at paper scale the groups
are spread over one worker thread per core. Every network is trained by the same rule, to
convergence (:mod:`probrnn.training.rule`).
"""

from __future__ import annotations

import time

import pandas as pd

from ..hmm import HMM
from ..metrics import compare_posteriors
from ..rnn.cells import check_cell
from ..rnn.state import state_rnn_n_params
from ..threads import map_threads
from ..training import DEFAULT_RULE, FitTask, fit_state_rnns
from ..validate import (
    check_choice,
    check_int,
    check_int_grid,
    check_real,
    check_real_grid,
    check_row,
    check_seed,
    recorded_int,
)
from .common import announce, base_seed, derive_seed, scale_config, workers_for

N_SMALL_TEST = 100  # the paper's test set size
N_SYMBOLS, T_LEN = 3, 8

FIG5 = {
    "quick": dict(ks=(1, 20), ns=(200, 2000), n_hmms=1, n_pool=2000, n_test=2000, census=(0, ()),
                  max_steps=1000),
    "paper": dict(ks=(1, 20, 100), ns=(100, 200, 500, 1000, 2000, 5000, 10000, 20000),
                  n_hmms=3, n_pool=20000, n_test=10000, census=(20, (1, 2)), max_steps=None),
}
FIG6 = {
    "quick": dict(ms=(2, 4, 8), ks=(20,), n=2000, n_test=2000, max_steps=1000),
    "paper": dict(ms=(2, 4, 8, 16, 32, 64, 128, 256, 512), ks=(20, 100), n=20000, n_test=10000,
                  max_steps=None),
}
LR_CHECK = {
    "quick": dict(ks=(1, 20), factors=(0.5, 1.0, 2.0), n=2000, m=5, n_symbols=10, max_steps=600),
    "paper": dict(ks=(1, 5, 20, 100, 500), factors=(0.25, 0.5, 1.0, 2.0, 4.0), n=20000, m=5,
                  n_symbols=10, max_steps=None),
}


# ---------------------------------------------------------------------- running groups
def point_data(point: dict):
    """Rebuild a point's HMM, its training pool (nested: first n rows) and its test set."""
    hmm = HMM.random(point["m"], point["n_symbols"], rng=point["hmm_seed"])
    pool_states, pool_obs = hmm.sample(point["n_pool"], point["T"], rng=point["data_seed"])
    test_states, test_obs = hmm.sample(point["n_test"], point["T"], rng=point["test_seed"])
    return hmm, pool_obs, pool_states, test_obs, test_states


def run_group(points: list[dict], k: int, max_steps: int | None = None, cell: str = "rnn",
              return_models: bool = False, lr: float | None = None):
    """Train the networks of ``points`` (same k) as one batched model; one row per point.

    ``max_steps`` lowers the training rule's cap (quick scale); ``lr`` overrides the rule's
    learning rate (the learning-rate check). With ``return_models=True`` also returns, per
    point, a dict with the trained ``model``, its ``history``, the ``hmm`` and the test set's
    ``obs``, ``states``, ``filtered`` and ``proba``.
    """
    data = [point_data(p) for p in points]
    tasks = [FitTask(obs[: p["n_train"]], st[: p["n_train"]], p["m"], p["fit_seed"])
             for p, (_, obs, st, _, _) in zip(points, data, strict=True)]
    start = time.perf_counter()
    fits = fit_state_rnns(tasks, n_symbols=points[0]["n_symbols"], hidden_size=k, cell=cell,
                          progress=False, max_steps=max_steps, lr=lr)
    seconds = time.perf_counter() - start
    announce(points[0]["scale"], f"{points[0]['experiment']}: {len(points)} network(s) with "
             f"k = {k} trained in {seconds:.0f} s (steps: "
             f"{', '.join(str(h.record()['steps']) for _, h in fits)})")
    rows, extras = [], []
    for p, (hmm, _, _, tobs, tst), (net, hist) in zip(points, data, fits, strict=True):
        filtered, proba = hmm.filter(tobs), net.predict_proba(tobs)
        metrics = compare_posteriors(proba, filtered, tst, n_small=N_SMALL_TEST)
        if return_models:
            extras.append(dict(model=net, history=hist, hmm=hmm, obs=tobs, states=tst,
                               filtered=filtered, proba=proba))
        rows.append(dict(
            p, k=k, cell=cell, **hist.record(), group_size=len(points),
            group_seconds=round(seconds, 3),
            rnn_params=state_rnn_n_params(p["n_symbols"], p["m"], k, cell),
            hmm_params=hmm.n_params, chance=1.0 / p["m"], **metrics,
        ))
    return (rows, extras) if return_models else rows


def _run_groups(groups: list[tuple], workers: int) -> list[dict]:
    """Run (points, k, max_steps[, cell, return_models, lr]) groups, side by side in
    ``workers`` threads if more than one (:func:`probrnn.threads.map_threads`)."""
    return [row for rows in map_threads(run_group, groups, workers) for row in rows]


def _base_point(experiment: str, scale: str, seed: int, **kw) -> dict:
    return dict(experiment=experiment, scale=scale, seed=seed, T=T_LEN, n_symbols=N_SYMBOLS,
                **kw)


# ---------------------------------------------------------------------- Figure 5
def fig5_points(scale: str = "quick", seed: int = 0, ks=None, ns=None, hmm_indices=None,
                part: str = "grid") -> list[dict]:
    """The grid of Figure 5 as point specifications (seeds included), without training.

    A point's seeds depend only on (seed, HMM draw, k, n), so a sub-grid has the same seeds as
    the full one. ``part`` is recorded in each point ("grid" or "census").
    """
    cfg = scale_config(scale, FIG5)
    seed = base_seed(seed)
    part = check_choice(part, "part", ("grid", "census"))
    ks = cfg["ks"] if ks is None else check_int_grid(ks, "ks", minimum=1)
    ns = cfg["ns"] if ns is None else check_int_grid(ns, "ns", minimum=1)
    hmm_indices = (range(cfg["n_hmms"]) if hmm_indices is None
                   else check_int_grid(hmm_indices, "hmm_indices", minimum=0))
    if max(ns) > cfg["n_pool"]:
        raise ValueError(f"n = {max(ns)} exceeds the {scale} pool of {cfg['n_pool']} sequences")
    points = []
    for h in hmm_indices:
        for k in ks:
            for n in ns:
                points.append(_base_point(
                    "fig5", scale, seed, part=part, hmm_index=h, m=2, n_train=n,
                    n_pool=cfg["n_pool"], n_test=cfg["n_test"], k_planned=k,
                    hmm_seed=derive_seed(seed, 5, h, 0), data_seed=derive_seed(seed, 5, h, 1),
                    test_seed=derive_seed(seed, 5, h, 2),
                    fit_seed=derive_seed(seed, 5, h, 3, k, n),
                ))
    return points


def _groups_by_k(points, max_steps) -> list[tuple]:
    """One group per k, the widest first (the longest jobs start first)."""
    ks = sorted({p["k_planned"] for p in points}, reverse=True)
    return [([p for p in points if p["k_planned"] == k], k, max_steps) for k in ks]


def fig5(scale: str = "quick", seed: int = 0, ks=None, ns=None, hmm_indices=None,
         workers=None) -> pd.DataFrame:
    """Figure 5: k-unit tanh RNNs against the forward algorithm on 2-state, 3-symbol HMMs.

    For each HMM draw (Dirichlet(1) parameters), each k and each training size n (nested: the
    first n sequences of one pool), train an RNN on (observations, hidden states), T = 8, by the
    training rule, and score it on 10,000 test sequences (and on their first 100, the paper's
    test size).

    At paper scale the table also has a *census* (``part == "census"``): 20 further HMM draws
    (``hmm_index`` 3 to 22), each with k = 1 and k = 2 at n = 20,000, to count how often one
    hidden unit is not enough.

    Args:
        scale: "quick" (k in {1, 20}, n in {200, 2000}, one HMM, a low cap: seconds) or
            "paper" (k in {1, 20, 100}, n from 100 to 20,000, three HMM draws, the census).
        seed: base seed; every row records the seeds derived from it.
        ks, ns, hmm_indices: a sub-grid (same seeds as in the full grid; no census).
        workers: worker threads (default: one per core, at most 2, at paper scale; 1 at quick).

    Returns:
        One row per trained RNN: its seeds, sizes, training record and
        :func:`probrnn.metrics.compare_posteriors`.
    """
    cfg = scale_config(scale, FIG5)
    points = fig5_points(scale, seed, ks, ns, hmm_indices)
    workers = workers_for(scale, workers)
    n_census, census_ks = cfg["census"]
    if n_census and ks is None and ns is None and hmm_indices is None:
        first = cfg["n_hmms"]
        points += fig5_points(scale, seed, ks=census_ks, ns=[cfg["n_pool"]],
                              hmm_indices=range(first, first + n_census), part="census")
    rows = _run_groups(_groups_by_k(points, cfg["max_steps"]), workers)
    return pd.DataFrame(rows).sort_values(["part", "hmm_index", "k", "n_train"],
                                          ascending=[False, True, True, True], ignore_index=True)


# ---------------------------------------------------------------------- Figure 6
def fig6_points(scale: str = "quick", seed: int = 0, ms=None, ks=None) -> list[dict]:
    """The grid of Figure 6 as point specifications (seeds included), without training."""
    cfg = scale_config(scale, FIG6)
    seed = base_seed(seed)
    ms = cfg["ms"] if ms is None else check_int_grid(ms, "ms", minimum=1)
    ks = cfg["ks"] if ks is None else check_int_grid(ks, "ks", minimum=1)
    return [
        _base_point("fig6", scale, seed, part="grid", hmm_index=0, m=m, n_train=cfg["n"],
                    n_pool=cfg["n"], n_test=cfg["n_test"], k_planned=k,
                    hmm_seed=derive_seed(seed, 6, m, 0), data_seed=derive_seed(seed, 6, m, 1),
                    test_seed=derive_seed(seed, 6, m, 2), fit_seed=derive_seed(seed, 6, m, 3, k))
        for k in ks for m in ms
    ]


def fig6(scale: str = "quick", seed: int = 0, ms=None, ks=None, workers=None) -> pd.DataFrame:
    """Figure 6: tanh RNNs of fixed sizes on HMMs with m = 2, 4, ..., 512 states.

    One HMM per m (Dirichlet(1) parameters, 3 symbols, T = 8), n = 20,000 training sequences,
    10,000 test sequences; at paper scale two network sizes, k = 20 and k = 100, so that a
    limit of capacity (which a wider network relaxes) can be told from ill-defined argmaxes
    (which it does not). Each row has the accuracies, agreement, near-ties, the continuous
    measures, chance level 1/m and the parameter counts of the RNN and of the HMM.
    """
    cfg = scale_config(scale, FIG6)
    points = fig6_points(scale, seed, ms, ks)
    workers = workers_for(scale, workers)
    # one group per (k, m), the costliest first (the large-m networks dominate the cost through
    # their m-way softmax; no padding of the read-out between different m)
    order = sorted(points, key=lambda p: -(p["k_planned"] ** 2 + 8 * p["k_planned"] * p["m"]))
    groups = [([p], p["k_planned"], cfg["max_steps"]) for p in order]
    rows = _run_groups(groups, workers)
    return pd.DataFrame(rows).sort_values(["k", "m"], ignore_index=True)


# ---------------------------------------------------------------------- the learning-rate rule
def lr_check(scale: str = "quick", seed: int = 0, ks=None, factors=None,
             workers=None) -> pd.DataFrame:
    """The learning-rate rule against a grid, at several sizes k.

    For each k, the same data (one 5-state, 10-symbol HMM of Dirichlet(1) parameters, as in
    Figure 7; n = 20,000 at paper scale) and the same seeds are trained by the full rule
    (early stopping, restarts) at learning rates ``factor * rule(k)`` for each factor; the
    row with factor 1 is the rule. The table then shows how far the rule's held-out loss is
    from the best of the grid.
    """
    cfg = scale_config(scale, LR_CHECK)
    seed = base_seed(seed)
    ks = cfg["ks"] if ks is None else check_int_grid(ks, "ks", minimum=1)
    factors = cfg["factors"] if factors is None else check_real_grid(
        factors, "factors", 0.0, low_open=True)
    workers = workers_for(scale, workers)
    n = cfg["n"]
    groups = []
    for k in ks:
        rate = DEFAULT_RULE.learning_rate(k)
        for factor in factors:
            point = dict(experiment="lr_check", scale=scale, seed=seed, T=T_LEN,
                         n_symbols=cfg["n_symbols"], part="grid", hmm_index=0, m=cfg["m"],
                         n_train=n, n_pool=n, n_test=2000, k_planned=k, lr_factor=factor,
                         hmm_seed=derive_seed(seed, 10, 0), data_seed=derive_seed(seed, 10, 1),
                         test_seed=derive_seed(seed, 10, 2), fit_seed=derive_seed(seed, 10, 3, k))
            groups.append(([point], k, cfg["max_steps"], "rnn", False, factor * rate))
    groups.sort(key=lambda g: -g[1])
    rows = _run_groups(groups, workers)
    df = pd.DataFrame(rows).sort_values(["k", "lr_factor"], ignore_index=True)
    best = df.groupby("k")["val_loss"].transform("min")
    df["val_loss_above_best"] = df["val_loss"] - best
    return df


# ---------------------------------------------------------------------- single runs and grids
def near_memoryless_hmm(eps: float = 0.01) -> HMM:
    """A 2-state, 3-symbol HMM whose transition rows differ by only 2 * eps.

    Symbol 1 is equally likely in both states, so after it the posterior is the prediction
    from the past, within eps of 1/2: those steps are near-ties, and whether an RNN's argmax
    agrees with the forward algorithm's there is close to a coin flip.
    """
    eps = check_real(eps, "eps", 0.0, 0.5)
    a = 0.5 + eps
    return HMM([0.5, 0.5], [[a, 1 - a], [1 - a, a]], [[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]])


def train_and_compare(hmm: HMM, k: int, n: int, *, seed: int = 0, n_test: int = 2000,
                      T: int = T_LEN, cell: str = "rnn", max_steps: int | None = None) -> dict:
    """Sample n training and ``n_test`` test sequences from ``hmm``, train a k-unit RNN on the
    training ones by the training rule, and compare it with the forward algorithm on the test
    ones.

    Returns a dict with ``model``, ``history``, ``metrics``
    (:func:`probrnn.metrics.compare_posteriors`), and the test set's ``obs``, ``states``,
    ``filtered`` (forward) and ``proba`` (RNN) arrays. Seeds: training data
    ``derive_seed(seed, 1)``, test data ``derive_seed(seed, 2)``, fit ``seed``.
    """
    from ..validate import check_hmm, check_seed

    check_hmm(hmm)
    seed = check_seed(seed)
    n = check_int(n, "n", minimum=2)
    n_test = check_int(n_test, "n_test", minimum=1)
    states, obs = hmm.sample(n, T, rng=derive_seed(seed, 1))
    tstates, tobs = hmm.sample(n_test, T, rng=derive_seed(seed, 2))
    [(net, hist)] = fit_state_rnns([FitTask(obs, states, hmm.m, seed)], n_symbols=hmm.n_symbols,
                                   hidden_size=k, cell=cell, progress=False, max_steps=max_steps)
    filtered, proba = hmm.filter(tobs), net.predict_proba(tobs)
    return dict(model=net, history=hist, metrics=compare_posteriors(proba, filtered, tstates),
                obs=tobs, states=tstates, filtered=filtered, proba=proba)


def forward_grid(ms=(2, 3, 4), ks=(1, 4, 16), ns=(300, 3000), *, seed: int = 0,
                 n_test: int = 2000, max_steps: int | None = None,
                 workers: int = 1) -> pd.DataFrame:
    """A small grid over (m, k, n) for the chapter's static explorer: one HMM per m
    (Dirichlet(1), 3 symbols, T = 8), nested training sets, one RNN per grid point, each
    trained by the training rule (``max_steps`` lowers its cap)."""
    seed = base_seed(seed)
    ms, ks = check_int_grid(ms, "ms", minimum=1), check_int_grid(ks, "ks", minimum=1)
    ns = check_int_grid(ns, "ns", minimum=2)
    n_test = check_int(n_test, "n_test", minimum=1)
    workers = check_int(workers, "workers", minimum=1)
    if max_steps is not None:
        max_steps = check_int(max_steps, "max_steps", minimum=1)
    points = [
        _base_point("grid", "quick", seed, part="grid", hmm_index=0, m=m, n_train=n,
                    n_pool=max(ns), n_test=n_test, k_planned=k,
                    hmm_seed=derive_seed(seed, 7, m, 0), data_seed=derive_seed(seed, 7, m, 1),
                    test_seed=derive_seed(seed, 7, m, 2), fit_seed=derive_seed(seed, 7, m, 3, k, n))
        for m in ms for k in ks for n in ns
    ]
    rows = _run_groups(_groups_by_k(points, max_steps), workers)
    return pd.DataFrame(rows).sort_values(["m", "k", "n_train"], ignore_index=True)


def one_unit_update(model, hmm: HMM, obs, n_points: int = 200) -> dict:
    """What a trained one-unit tanh RNN computes, against the exact two-state filter.

    For each symbol x, sweep the unit over the values h_{t-1} it takes on ``obs`` (0.5% to
    99.5% quantiles), read the belief p_{t-1} = P(H = 1 | past) each value stands for through
    the read-out, and return ``{x: (p_prev, exact, learned)}`` (each (n_points,)): ``exact``
    is one step of the filter from p_{t-1} with symbol x (the scalar update of the chapter),
    ``learned`` the belief read off the RNN's next state tanh(w_x + u h + b).
    """
    import numpy as np
    import torch

    from ..rnn.state import StateRNN
    from ..validate import check_hmm

    check_hmm(hmm)
    if not isinstance(model, StateRNN) or model.hidden_size != 1 or model.cell != "rnn" \
            or hmm.m != 2:
        raise ValueError("one_unit_update needs a one-unit tanh StateRNN and a two-state HMM")
    rnn = model.core.rnn
    w = rnn.weight_ih_l0.detach().double().numpy()[0]  # (K,)
    u = float(rnn.weight_hh_l0.item())
    b = float((rnn.bias_ih_l0 + rnn.bias_hh_l0).item())
    weight = model.head.weight.detach().double().numpy()[:, 0]  # (2,)
    bias = model.head.bias.detach().double().numpy()

    def belief(h):  # P(H = 1) read off the unit's value(s) h
        z = np.outer(h, weight) + bias
        return 1.0 / (1.0 + np.exp(z[:, 0] - z[:, 1]))

    seen = model.hidden_states(obs)[:, :-1, 0]  # values h_{t-1} met on the data
    h = np.linspace(np.quantile(seen, 0.005), np.quantile(seen, 0.995),
                    check_int(n_points, "n_points", minimum=2))
    A, B = hmm.transmat, hmm.emissionprob
    curves = {}
    with torch.no_grad():
        for x in range(hmm.n_symbols):
            p_prev = belief(h)
            pred = A[0, 1] + (A[1, 1] - A[0, 1]) * p_prev
            exact = B[1, x] * pred / (B[1, x] * pred + B[0, x] * (1 - pred))
            curves[x] = (p_prev, exact, belief(np.tanh(w[x] + u * h + b)))
    return curves


POINT_KEYS = ("experiment", "scale", "seed", "T", "n_symbols", "hmm_index", "m", "n_train",
              "n_pool", "n_test", "hmm_seed", "data_seed", "test_seed", "fit_seed", "part",
              "k_planned")


STRING_KEYS = ("experiment", "scale", "part")


def recompute_row(row) -> dict:
    """Retrain the network of one table row alone, from the seeds, learning rate and cap it
    records, by the same rule; returns its row.

    ``row`` is a row of a :func:`fig5`, :func:`fig6`, :func:`lr_check` or :func:`forward_grid`
    table (a dict or a pandas Series) with every field of ``POINT_KEYS`` (``k_planned`` may be
    missing: it is ``k``) and ``k``, ``cap``, ``cell`` and ``lr``; integers stored as floats are
    accepted only when exact.
    """
    row = check_row(row, (*POINT_KEYS[:-1], "k", "cap", "cell", "lr"))
    k = recorded_int(row["k"], "row['k']", 1)
    row.setdefault("k_planned", k)  # fig5_points plans k_planned = k; older tables lack it
    point = {}
    for key in POINT_KEYS:
        if key in STRING_KEYS:
            if not isinstance(row[key], str):
                raise ValueError(f"row[{key!r}] must be a string (got {row[key]!r})")
            point[key] = row[key]
        elif key == "seed" or key.endswith("_seed"):
            point[key] = check_seed(recorded_int(row[key], f"row[{key!r}]", None), f"row[{key!r}]")
        else:
            point[key] = recorded_int(row[key], f"row[{key!r}]", 1 if key != "hmm_index" else 0)
    if "lr_factor" in row:
        point["lr_factor"] = check_real(row["lr_factor"], "row['lr_factor']", 0.0, low_open=True)
    if point["n_train"] > point["n_pool"]:
        raise ValueError(f"row has n_train = {point['n_train']} above n_pool = {point['n_pool']}")
    cap = recorded_int(row["cap"], "row['cap']", 1)
    cell = check_cell(row["cell"])
    lr = check_real(row["lr"], "row['lr']", 0.0, low_open=True)
    return run_group([point], k, cap, cell, lr=lr)[0]


# ---------------------------------------------------------------------- figures
def fig5_figure(df: pd.DataFrame):
    """The plotly figure of a :func:`fig5` table (see :mod:`probrnn.figures.rnn_forward`)."""
    from ..figures.rnn_forward import fig5_accuracy

    return fig5_accuracy(df)


def fig6_figure(df: pd.DataFrame):
    """The plotly figure of a :func:`fig6` table (see :mod:`probrnn.figures.rnn_forward`)."""
    from ..figures.rnn_forward import fig6_accuracy

    return fig6_accuracy(df)


def lr_check_figure(df: pd.DataFrame):
    """The plotly figure of an :func:`lr_check` table."""
    from ..figures.rnn_forward import lr_check_figure as draw

    return draw(df)


__all__ = ["fig5", "fig6", "lr_check", "fig5_points", "fig6_points", "run_group",
           "recompute_row", "train_and_compare", "forward_grid", "near_memoryless_hmm",
           "FIG5", "FIG6", "LR_CHECK"]

