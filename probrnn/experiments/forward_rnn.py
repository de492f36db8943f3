"""Figures 5 and 6 of the paper: trained RNNs against the forward algorithm.

Chapter *RNNs as approximations of the forward algorithm* (the paper's 4.1 and 4.1.1).

* :func:`fig5`: 2-state, 3-symbol HMMs with Dirichlet(1) parameters, T = 8; RNNs with
  k in {1, 20, 100} hidden units trained on n sequences of (observation, hidden state) pairs.
* :func:`fig6`: a fixed k = 20 tanh RNN on HMMs with m = 2, 4, ..., 512 states.
* :func:`forward_metrics`: accuracy, agreement, near-ties, total variation and log-loss of
  any state posterior against the forward algorithm's.

Every row of a table is one trained network with all its seeds, so any row can be recomputed
alone (:func:`recompute_row`). Seeds come from ``numpy.random.SeedSequence`` keyed by the base
seed and the grid point, so a row's numbers do not depend on which other rows were run. Groups
of networks with the same k are trained together as one batched model
(:func:`probrnn.rnn.fit_state_rnns`); at paper scale the groups are spread over one worker
thread per core.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..hmm import HMM
from ..rnn import FitTask, fit_state_rnns
from ..state_rnn import state_rnn_n_params
from ..threads import default_workers, map_threads

TIE_MARGIN = 0.1
N_SMALL_TEST = 100  # the paper's test set size

FIG5 = {
    "quick": dict(ks=(1, 20), ns=(200, 2000), n_hmms=1, n_pool=2000, n_test=2000, steps=250,
                  census=(0, ())),
    "paper": dict(ks=(1, 20, 100), ns=(100, 200, 500, 1000, 2000, 5000, 10000, 20000),
                  n_hmms=3, n_pool=20000, n_test=10000, steps=None, census=(20, (1, 2))),
}
FIG6 = {
    "quick": dict(ms=(2, 4, 8), k=20, n=2000, n_test=2000, steps=250),
    "paper": dict(ms=(2, 4, 8, 16, 32, 64, 128, 256, 512), k=20, n=20000, n_test=10000,
                  steps=None),
}
N_SYMBOLS, T_LEN = 3, 8


def _seed(*keys: int) -> int:
    """A 32-bit seed determined by the integer ``keys`` (numpy SeedSequence entropy)."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1)[0])


# ---------------------------------------------------------------------- metrics


def forward_metrics(proba, filtered, states, n_small: int = N_SMALL_TEST,
                    tie_margin: float = TIE_MARGIN) -> dict:
    """Compare a posterior over hidden states with the forward algorithm's.

    Args:
        proba: (n, T, m) the RNN's (or any method's) p(H_t | x_1..t).
        filtered: (n, T, m) the forward algorithm's p(H_t | x_1..t) (``hmm.filter``).
        states: (n, T) the true hidden states.
        n_small: the first ``n_small`` sequences also get the ``*_100`` metrics (the paper's
            test-set size).
        tie_margin: a step is a near-tie when the forward posterior's two largest entries
            differ by at most this.

    Returns a dict of floats: ``acc_rnn``, ``acc_fwd`` (accuracy of each argmax against the
    true states), ``agree`` (share of steps where the argmaxes are equal), ``tie_frac``,
    ``agree_nontie`` (agreement on the other steps), ``mean_tv`` (mean total variation between
    the posteriors), ``logloss_rnn``, ``logloss_fwd`` and ``excess_logloss`` (nats per step on
    the true states), ``acc_diff_se`` (standard error of acc_rnn - acc_fwd over sequences),
    and ``acc_rnn_100``, ``acc_fwd_100``, ``agree_100`` on the first ``n_small`` sequences.
    """
    p = np.asarray(proba, dtype=np.float64)
    f = np.asarray(filtered, dtype=np.float64)
    s = np.asarray(states)
    if p.shape != f.shape or p.shape[:2] != s.shape:
        raise ValueError(f"proba, filtered (n, T, m) and states (n, T) must agree in shape "
                         f"(got {p.shape}, {f.shape}, {s.shape})")
    ra, fa = p.argmax(-1), f.argmax(-1)
    hit_r, hit_f, same = ra == s, fa == s, ra == fa
    if f.shape[-1] > 1:
        top2 = np.partition(f, f.shape[-1] - 2, axis=-1)[..., -2:]  # (n, T, 2), ascending
    else:
        top2 = np.concatenate([np.zeros_like(f), f], axis=-1)
    nontie = (top2[..., 1] - top2[..., 0]) > tie_margin
    tiny = 1e-300
    ll_r = -np.log(np.maximum(np.take_along_axis(p, s[..., None], -1)[..., 0], tiny))
    ll_f = -np.log(np.maximum(np.take_along_axis(f, s[..., None], -1)[..., 0], tiny))
    diff = (hit_r.mean(1) - hit_f.mean(1))  # (n,) per sequence
    k = min(n_small, s.shape[0])
    return dict(
        acc_rnn=float(hit_r.mean()), acc_fwd=float(hit_f.mean()), agree=float(same.mean()),
        tie_frac=float(1 - nontie.mean()),
        agree_nontie=float(same[nontie].mean()) if nontie.any() else float("nan"),
        mean_tv=float(0.5 * np.abs(p - f).sum(-1).mean()),
        logloss_rnn=float(ll_r.mean()), logloss_fwd=float(ll_f.mean()),
        excess_logloss=float(ll_r.mean() - ll_f.mean()),
        acc_diff_se=float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0,
        acc_rnn_100=float(hit_r[:k].mean()), acc_fwd_100=float(hit_f[:k].mean()),
        agree_100=float(same[:k].mean()),
    )


# ---------------------------------------------------------------------- running groups


def _hmm_and_data(point: dict):
    """Rebuild a point's HMM, its training pool (nested: first n rows) and its test set."""
    hmm = HMM.random(point["m"], point["n_symbols"], rng=point["hmm_seed"])
    pool_states, pool_obs = hmm.sample(point["n_pool"], point["T"], rng=point["data_seed"])
    test_states, test_obs = hmm.sample(point["n_test"], point["T"], rng=point["test_seed"])
    return hmm, pool_obs, pool_states, test_obs, test_states


def run_group(points: list[dict], k: int, steps: int | None, cell: str = "rnn",
              return_models: bool = False):
    """Train the networks of ``points`` (same k) as one batched model; one row per point.

    With ``return_models=True`` also returns, per point, a dict with the trained ``model``,
    its ``history`` and the test set's ``obs``, ``states``, ``filtered`` and ``proba``.
    """
    data = [_hmm_and_data(p) for p in points]
    tasks = [FitTask(obs[: p["n_train"]], st[: p["n_train"]], p["m"], p["fit_seed"])
             for p, (_, obs, st, _, _) in zip(points, data, strict=True)]
    start, cpu = time.perf_counter(), time.thread_time()
    fits = fit_state_rnns(tasks, n_symbols=points[0]["n_symbols"], hidden_size=k, cell=cell,
                          steps=steps, progress=False)
    seconds, cpu = time.perf_counter() - start, time.thread_time() - cpu
    rows, extras = [], []
    for p, (hmm, _, _, tobs, tst), (net, hist) in zip(points, data, fits, strict=True):
        filtered, proba = hmm.filter(tobs), net.predict_proba(tobs)
        metrics = forward_metrics(proba, filtered, tst)
        if return_models:
            extras.append(dict(model=net, history=hist, hmm=hmm, obs=tobs, states=tst,
                               filtered=filtered, proba=proba))
        s = hist.settings
        rows.append(dict(
            p, k=k, cell=cell, steps=s["steps"], batch_size=s["batch_size"], lr=s["lr"],
            restarts=s["restarts"], chosen_restart=hist.chosen, val_loss=hist.val_loss_chosen,
            group_size=len(points), group_seconds=round(seconds, 3),
            group_cpu_seconds=round(cpu, 3),
            rnn_params=state_rnn_n_params(p["n_symbols"], p["m"], k, cell),
            hmm_params=hmm.n_params, chance=1.0 / p["m"], **metrics,
        ))
    return (rows, extras) if return_models else rows


def _run_groups(groups: list[tuple[list[dict], int, int]], workers: int) -> list[dict]:
    """Run (points, k, steps) groups, side by side in ``workers`` threads if more than one
    (:func:`probrnn.threads.map_threads`)."""
    return [row for rows in map_threads(run_group, groups, workers) for row in rows]


def _workers(scale: str, workers) -> int:
    if workers is not None:
        return max(1, int(workers))
    return default_workers(scale == "paper")


def _check_scale(scale: str, table: dict) -> dict:
    if scale not in table:
        raise ValueError(f"scale must be one of {sorted(table)} (got {scale!r})")
    return dict(table[scale])


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
    cfg = _check_scale(scale, FIG5)
    ks = cfg["ks"] if ks is None else tuple(ks)
    ns = cfg["ns"] if ns is None else tuple(ns)
    hmm_indices = range(cfg["n_hmms"]) if hmm_indices is None else hmm_indices
    if max(ns) > cfg["n_pool"]:
        raise ValueError(f"n = {max(ns)} exceeds the {scale} pool of {cfg['n_pool']} sequences")
    points = []
    for h in hmm_indices:
        for k in ks:
            for n in ns:
                points.append(_base_point(
                    "fig5", scale, seed, part=part, hmm_index=h, m=2, k=k, n_train=n,
                    n_pool=cfg["n_pool"], n_test=cfg["n_test"],
                    hmm_seed=_seed(seed, 5, h, 0), data_seed=_seed(seed, 5, h, 1),
                    test_seed=_seed(seed, 5, h, 2), fit_seed=_seed(seed, 5, h, 3, k, n),
                ))
    return points


def fig5(scale: str = "quick", seed: int = 0, ks=None, ns=None, hmm_indices=None,
         workers=None) -> pd.DataFrame:
    """Figure 5: k-unit tanh RNNs against the forward algorithm on 2-state, 3-symbol HMMs.

    For each HMM draw (Dirichlet(1) parameters), each k and each training size n (nested: the
    first n sequences of one pool), train an RNN on (observations, hidden states), T = 8, and
    score it on 10,000 test sequences (and on their first 100, the paper's test size).

    At paper scale the table also has a *census* (``part == "census"``): 20 further HMM draws
    (``hmm_index`` 3 to 22), each with k = 1 and k = 2 at n = 20,000, to count how often one
    hidden unit is not enough.

    Args:
        scale: "quick" (k in {1, 20}, n in {200, 2000}, one HMM: seconds) or "paper" (k in
            {1, 20, 100}, n from 100 to 20,000, three HMM draws, plus the census).
        seed: base seed; every row records the seeds derived from it.
        ks, ns, hmm_indices: a sub-grid (same seeds as in the full grid; no census).
        workers: worker threads (default: one per core, at most 2, at paper scale; 1 at quick).

    Returns:
        One row per trained RNN: its seeds, sizes, training settings, and
        :func:`forward_metrics`.
    """
    cfg = _check_scale(scale, FIG5)
    points = fig5_points(scale, seed, ks, ns, hmm_indices)
    n_census, census_ks = cfg["census"]
    if n_census and ks is None and ns is None and hmm_indices is None:
        first = cfg["n_hmms"]
        points += fig5_points(scale, seed, ks=census_ks, ns=[cfg["n_pool"]],
                              hmm_indices=range(first, first + n_census), part="census")
    groups = [([p for p in points if p["k"] == k], k, cfg["steps"])
              for k in sorted({p["k"] for p in points}, reverse=True)]
    rows = _run_groups(groups, _workers(scale, workers))
    return pd.DataFrame(rows).sort_values(["part", "hmm_index", "k", "n_train"],
                                          ascending=[False, True, True, True], ignore_index=True)


# ---------------------------------------------------------------------- Figure 6


def fig6_points(scale: str = "quick", seed: int = 0, ms=None, k=None) -> list[dict]:
    """The grid of Figure 6 as point specifications (seeds included), without training."""
    cfg = _check_scale(scale, FIG6)
    ms = cfg["ms"] if ms is None else tuple(ms)
    k = cfg["k"] if k is None else int(k)
    return [
        _base_point("fig6", scale, seed, part="grid", hmm_index=0, m=m, k=k, n_train=cfg["n"],
                    n_pool=cfg["n"], n_test=cfg["n_test"], hmm_seed=_seed(seed, 6, m, 0),
                    data_seed=_seed(seed, 6, m, 1), test_seed=_seed(seed, 6, m, 2),
                    fit_seed=_seed(seed, 6, m, 3, k))
        for m in ms
    ]


def fig6(scale: str = "quick", seed: int = 0, ms=None, k=None, workers=None) -> pd.DataFrame:
    """Figure 6: a fixed-size (k = 20) tanh RNN on HMMs with m = 2, 4, ..., 512 states.

    One HMM per m (Dirichlet(1) parameters, 3 symbols, T = 8), n = 20,000 training sequences,
    10,000 test sequences. Each row has the accuracies, agreement, chance level 1/m and the
    parameter counts of the RNN and of the HMM (the paper's bottom panel).
    """
    cfg = _check_scale(scale, FIG6)
    points = fig6_points(scale, seed, ms, k)
    k = points[0]["k"]
    # one group per m, largest first (no padding of the output layer; the large-m networks
    # dominate the cost through their m-way softmax)
    groups = [([p], k, cfg["steps"]) for p in sorted(points, key=lambda p: -p["m"])]
    rows = _run_groups(groups, _workers(scale, workers))
    return pd.DataFrame(rows).sort_values("m", ignore_index=True)


# ---------------------------------------------------------------------- single runs and grids


def near_memoryless_hmm(eps: float = 0.01) -> HMM:
    """A 2-state, 3-symbol HMM whose transition rows differ by only 2 * eps.

    Symbol 1 is equally likely in both states, so after it the posterior is the prediction
    from the past, within eps of 1/2: those steps are near-ties, and whether an RNN's argmax
    agrees with the forward algorithm's there is close to a coin flip.
    """
    a = 0.5 + eps
    return HMM([0.5, 0.5], [[a, 1 - a], [1 - a, a]], [[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]])


def train_and_compare(hmm: HMM, k: int, n: int, *, seed: int = 0, n_test: int = 2000,
                      T: int = T_LEN, cell: str = "rnn", steps: int | None = None) -> dict:
    """Sample n training and ``n_test`` test sequences from ``hmm``, train a k-unit RNN on the
    training ones, and compare it with the forward algorithm on the test ones.

    Returns a dict with ``model``, ``history``, ``metrics`` (:func:`forward_metrics`), and the
    test set's ``obs``, ``states``, ``filtered`` (forward) and ``proba`` (RNN) arrays.
    Seeds: training data ``_seed(seed, 1)``, test data ``_seed(seed, 2)``, fit ``seed``.
    """
    states, obs = hmm.sample(n, T, rng=_seed(seed, 1))
    tstates, tobs = hmm.sample(n_test, T, rng=_seed(seed, 2))
    [(net, hist)] = fit_state_rnns([FitTask(obs, states, hmm.m, seed)], n_symbols=hmm.n_symbols,
                                   hidden_size=k, cell=cell, steps=steps, progress=False)
    filtered, proba = hmm.filter(tobs), net.predict_proba(tobs)
    return dict(model=net, history=hist, metrics=forward_metrics(proba, filtered, tstates),
                obs=tobs, states=tstates, filtered=filtered, proba=proba)


def forward_grid(ms=(2, 3, 4), ks=(1, 4, 16), ns=(300, 3000), *, seed: int = 0,
                 n_test: int = 2000, steps: int | None = 300, workers: int = 1) -> pd.DataFrame:
    """A small grid over (m, k, n) for the chapter's static explorer: one HMM per m
    (Dirichlet(1), 3 symbols, T = 8), nested training sets, one RNN per grid point."""
    points = [
        _base_point("grid", "quick", seed, part="grid", hmm_index=0, m=m, k=k, n_train=n,
                    n_pool=max(ns),
                    n_test=n_test, hmm_seed=_seed(seed, 7, m, 0), data_seed=_seed(seed, 7, m, 1),
                    test_seed=_seed(seed, 7, m, 2), fit_seed=_seed(seed, 7, m, 3, k, n))
        for m in ms for k in ks for n in ns
    ]
    groups = [([p for p in points if p["k"] == k], k, steps) for k in sorted(ks, reverse=True)]
    rows = _run_groups(groups, workers)
    return pd.DataFrame(rows).sort_values(["m", "k", "n_train"], ignore_index=True)


def recompute_row(row) -> dict:
    """Retrain the network of one table row alone, from the seeds it records; returns its row."""
    keys = ("experiment", "scale", "seed", "T", "n_symbols", "hmm_index", "m", "n_train",
            "n_pool", "n_test", "hmm_seed", "data_seed", "test_seed", "fit_seed", "part")
    point = {key: (row[key] if isinstance(row[key], str) else int(row[key]))
             for key in keys if key in row}
    return run_group([point], int(row["k"]), int(row["steps"]), str(row["cell"]))[0]


RESULTS_URL = "https://raw.githubusercontent.com/probrnn/probrnn/main/results/{name}.csv"


def load_results(name: str, start=None) -> pd.DataFrame:
    """The committed table ``results/NAME.csv`` (written by ``python -m probrnn reproduce``).

    Looks in ``results/`` of ``start`` (default: the working directory) and of its parents, so
    it works from the repository root and from ``book/``; elsewhere (e.g. Colab) it reads the
    file from the repository on GitHub.
    """
    from pathlib import Path

    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        path = folder / "results" / f"{name}.csv"
        if path.is_file():
            return pd.read_csv(path)
    return pd.read_csv(RESULTS_URL.format(name=name))


# ---------------------------------------------------------------------- figures


def fig5_figure(df: pd.DataFrame):
    """The plotly figure of a :func:`fig5` table (see :mod:`probrnn.figures.forward_rnn`)."""
    from ..figures.forward_rnn import fig5_accuracy

    return fig5_accuracy(df)


def fig6_figure(df: pd.DataFrame):
    """The plotly figure of a :func:`fig6` table (see :mod:`probrnn.figures.forward_rnn`)."""
    from ..figures.forward_rnn import fig6_accuracy

    return fig6_accuracy(df)
