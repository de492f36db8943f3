"""Bidirectional RNNs against forward-backward (chapter 5, *Smoothing, and bidirectional RNNs*).

* :func:`smoothing`: for *sticky* HMMs with m states (:func:`experiment_hmm`, 3 symbols, T = 16),
  RNNs with k hidden units trained on n sequences of (x_1..T, H_t) pairs, read in both
  directions (``direction == "bi"``: the target is the smoother p(H_t | x_1..T)) or in one
  (``"uni"``: the filter p(H_t | x_1..t) is the best it can do). Every network is scored
  against the smoother (:func:`probrnn.metrics.compare_posteriors` with ``hmm.smooth``) and
  also against the filter (columns ending in ``_filter``), on the same test sequences.
* :func:`smoothing_gap`: the filter's and the smoother's accuracy on HMMs with several m,
  without any training: the ceiling a one-directional reader cannot pass. On the paper's
  Dirichlet(1) HMMs the gap is a few thousandths (they mix so fast that the future says
  little about the present), which is why the experiment uses sticky ones, as chapter 2's
  ``predictive`` does.
* :func:`train_bi_and_uni`: one bidirectional and one one-directional RNN on one HMM, for the
  chapter's live control.

Rows record every seed and what training did (:meth:`probrnn.training.FitHistory.record`), and
the networks of one size and direction are trained together as one batched model by the one
training rule (:mod:`probrnn.training.rule`), to convergence.
"""

from __future__ import annotations

import time

import pandas as pd

from ..hmm import HMM
from ..metrics import compare_posteriors
from ..rnn.state import state_rnn_n_params
from ..threads import map_threads
from ..training import FitTask, fit_state_rnns
from ..validate import check_choice, check_choices, check_hmm, check_int, check_int_grid, check_seed
from .common import announce, base_seed, derive_seed, scale_config, workers_for
from .rnn_generative import sticky_hmm

N_SYMBOLS, T_LEN = 3, 16
DIRECTIONS = ("bi", "uni")

SMOOTHING = {
    "quick": dict(ms=(2, 3), ks=(2,), ns=(100,), n_hmms=1, n_test=200, uni_ks=(2,),
                  uni_ns=(100,), T=8, max_steps=100),
    "paper": dict(ms=(2, 4, 8), ks=(2, 8, 32), ns=(100, 1000, 10000), n_hmms=1, n_test=2000,
                  uni_ks=(32,), uni_ns=(10000,), T=T_LEN, max_steps=None),
}


KINDS = ("sticky", "dirichlet")
STAY = 0.9


def experiment_hmm(m: int, hmm_index: int = 0, seed: int = 0, kind: str = "sticky") -> HMM:
    """The chapter's HMM with m states and 3 symbols (draw ``hmm_index``): ``"sticky"``
    (:func:`probrnn.experiments.rnn_generative.sticky_hmm`: a 0.9 chance of staying put,
    Dirichlet(1/2) emission rows) or ``"dirichlet"`` (the paper's: every row Dirichlet(1))."""
    m = check_int(m, "m", minimum=2)
    hmm_index = check_int(hmm_index, "hmm_index", minimum=0)
    kind = check_choice(kind, "kind", KINDS)
    rng = derive_seed(base_seed(seed), 13, m, hmm_index, 0)
    if kind == "dirichlet":
        return HMM.random(m, N_SYMBOLS, rng=rng)
    return sticky_hmm(m, N_SYMBOLS, rng=rng, stay=STAY)


def _point_data(p: dict):
    hmm = experiment_hmm(p["m"], p["hmm_index"], p["seed"])
    pool_states, pool_obs = hmm.sample(p["n_pool"], p["T"], rng=p["data_seed"])
    test_states, test_obs = hmm.sample(p["n_test"], p["T"], rng=p["test_seed"])
    return hmm, pool_obs, pool_states, test_obs, test_states


def score(proba, hmm: HMM, obs, states) -> dict:
    """An approximation's metrics against the smoother (the book's vocabulary), the filter's
    accuracy (``accuracy_filter``), and agreement, mean TV and excess log-loss against the
    filter (``*_filter``), on test sequences ``obs`` (n, T) with true ``states``."""
    smoothed, filtered = hmm.smooth(obs), hmm.filter(obs)
    out = compare_posteriors(proba, smoothed, states)
    vs_filter = compare_posteriors(proba, filtered, states)
    out.update(accuracy_filter=vs_filter["accuracy_ref"],
               agreement_filter=vs_filter["agreement"], mean_tv_filter=vs_filter["mean_tv"],
               excess_log_loss_filter=vs_filter["excess_log_loss"],
               log_loss_filter=vs_filter["log_loss_ref"])
    return out


def run_group(points: list[dict], k: int, direction: str, max_steps: int | None = None,
              lr: float | None = None) -> list[dict]:
    """Train the networks of ``points`` (same k and direction) as one batched model and score
    each on its test set; one row per point. ``lr`` overrides the rule's learning rate
    (``benchmarks/check_learning_rate.py``)."""
    data = [_point_data(p) for p in points]
    tasks = [FitTask(obs[: p["n_train"]], st[: p["n_train"]], p["m"], p["fit_seed"])
             for p, (_, obs, st, _, _) in zip(points, data, strict=True)]
    start = time.perf_counter()
    fits = fit_state_rnns(tasks, n_symbols=N_SYMBOLS, hidden_size=k, progress=False,
                          max_steps=max_steps, lr=lr, bidirectional=direction == "bi")
    seconds = time.perf_counter() - start
    announce(points[0]["scale"], f"smoothing: {len(points)} {direction} network(s), k = {k}, "
             f"{seconds:.0f} s (steps: {', '.join(str(h.record()['steps']) for _, h in fits)})")
    rows = []
    for p, (hmm, _, _, tobs, tst), (net, hist) in zip(points, data, fits, strict=True):
        rows.append(dict(p, k=k, direction=direction, **hist.record(),
                         group_seconds=round(seconds, 3),
                         rnn_params=state_rnn_n_params(N_SYMBOLS, p["m"], k,
                                                       bidirectional=direction == "bi"),
                         chance=1.0 / p["m"], **score(net.predict_proba(tobs), hmm, tobs, tst)))
    return rows


def smoothing_points(scale: str = "quick", seed: int = 0, ms=None, ks=None, ns=None,
                     n_hmms=None, uni_ks=None) -> list[dict]:
    """The grid as point specifications (seeds included), without training: bidirectional
    networks at every (m, HMM draw, k, n), one-directional ones at k in ``uni_ks`` and the
    scale's ``uni_ns`` (the largest n if none of them is in ``ns``). A point's
    seeds depend only on (seed, m, HMM draw, k, n, direction)."""
    cfg = scale_config(scale, SMOOTHING)
    seed = base_seed(seed)
    ms = cfg["ms"] if ms is None else check_int_grid(ms, "ms", minimum=2)
    ks = cfg["ks"] if ks is None else check_int_grid(ks, "ks", minimum=1)
    ns = cfg["ns"] if ns is None else check_int_grid(ns, "ns", minimum=10)
    if uni_ks is None:
        uni_ks = cfg["uni_ks"]
    elif not isinstance(uni_ks, (str, bytes)) and hasattr(uni_ks, "__len__") and not len(uni_ks):
        uni_ks = ()  # no one-directional networks
    else:
        uni_ks = check_int_grid(uni_ks, "uni_ks", minimum=1)
    n_hmms = cfg["n_hmms"] if n_hmms is None else check_int(n_hmms, "n_hmms", minimum=1)
    points = []
    uni_ns = tuple(n for n in cfg["uni_ns"] if n in ns) or (max(ns),)
    n_pool = max(*cfg["ns"], *ns)  # the scale's pool, so that a sub-grid trains on the same data
    for direction, sizes, sizes_n in (("bi", ks, ns), ("uni", uni_ks, uni_ns)):
        for m in ms:
            for h in range(n_hmms):
                for k in sizes:
                    for n in sizes_n:
                        points.append(dict(
                            experiment="smoothing", scale=scale, seed=seed, T=cfg["T"],
                            n_symbols=N_SYMBOLS, m=m, hmm_index=h, n_train=n, n_pool=n_pool,
                            n_test=cfg["n_test"], k_planned=k, direction_planned=direction,
                            data_seed=derive_seed(seed, 13, m, h, 1),
                            test_seed=derive_seed(seed, 13, m, h, 2),
                            fit_seed=derive_seed(seed, 13, m, h, 3, k, n,
                                                 DIRECTIONS.index(direction))))
    return points


def smoothing(scale: str = "quick", seed: int = 0, ms=None, ks=None, ns=None, n_hmms=None,
              uni_ks=None, workers=None) -> pd.DataFrame:
    """Bidirectional (and a few one-directional) RNNs against forward-backward.

    One row per trained network with ``m, k, n_train, hmm_index, direction`` ("bi" or "uni"),
    the metrics against the smoother (``accuracy``, ``accuracy_ref`` (the smoother's),
    ``agreement``, ``near_tie_share``, ``agreement_off_ties``, ``mean_tv``,
    ``excess_log_loss``, ...), the filter's accuracy ``accuracy_filter`` and the metrics against
    the filter (``*_filter``), and the training record (``steps``, ``stop``, ``hit_cap``, ...).
    """
    cfg = scale_config(scale, SMOOTHING)
    points = smoothing_points(scale, seed, ms, ks, ns, n_hmms, uni_ks)
    workers = workers_for(scale, workers)
    groups = {}
    for p in points:
        groups.setdefault((p["k_planned"], p["direction_planned"]), []).append(p)
    # the costliest groups first: wide, bidirectional, many members
    order = sorted(groups, key=lambda g: -(g[0] ** 2 * (2 if g[1] == "bi" else 1)
                                            * len(groups[g])))
    jobs = [(groups[g], g[0], g[1], cfg["max_steps"]) for g in order]
    rows = [r for rs in map_threads(run_group, jobs, workers) for r in rs]
    df = pd.DataFrame(rows).drop(columns=["k_planned", "direction_planned"])
    return df.sort_values(["direction", "m", "hmm_index", "k", "n_train"], ignore_index=True)


def smoothing_gap(ms=(2, 4, 8, 16), n_hmms: int = 5, n_test: int = 2000, T: int = T_LEN,
                  seed: int = 0, kinds=KINDS) -> pd.DataFrame:
    """The filter's and the smoother's accuracy (argmax against the true state) on ``n_hmms``
    HMMs of each m and kind (:func:`experiment_hmm`), ``n_test`` sequences of length T each; no
    training. One row per HMM, with ``gain = accuracy_smoother - accuracy_filter``."""
    ms = check_int_grid(ms, "ms", minimum=2)
    n_hmms = check_int(n_hmms, "n_hmms", minimum=1)
    n_test = check_int(n_test, "n_test", minimum=1)
    T = check_int(T, "T", minimum=1)
    seed = base_seed(seed)
    kinds = check_choices(kinds, "kinds", KINDS)
    rows = []
    for kind in kinds:
        for m in ms:
            for h in range(n_hmms):
                hmm = experiment_hmm(m, h, seed, kind)
                states, obs = hmm.sample(n_test, T, rng=derive_seed(seed, 13, m, h, 2))
                acc_f = float((hmm.filter(obs).argmax(-1) == states).mean())
                acc_s = float((hmm.smooth(obs).argmax(-1) == states).mean())
                rows.append(dict(kind=kind, m=m, hmm_index=h, accuracy_filter=acc_f,
                                 accuracy_smoother=acc_s, gain=acc_s - acc_f, chance=1.0 / m))
    return pd.DataFrame(rows)


def train_bi_and_uni(m: int, k: int, n: int = 2000, *, seed: int = 0, n_test: int = 500,
                     max_steps: int | None = 1500) -> dict:
    """Train a bidirectional and a one-directional k-unit RNN on n sequences of the chapter's
    HMM with m states (draw 0) and score both on ``n_test`` test sequences (a few seconds at
    the default sizes; ``max_steps`` lowers the rule's cap, for the live control).

    Returns a dict with ``hmm``, the test ``obs`` and ``states``, the ``smoothed`` and
    ``filtered`` posteriors, each direction's ``proba`` (``"bi"`` and ``"uni"``) and a
    ``metrics`` table (one row per direction, :func:`score`'s columns plus the fit record).
    """
    m = check_int(m, "m", minimum=2)
    k = check_int(k, "k", minimum=1)
    n = check_int(n, "n", minimum=10)
    n_test = check_int(n_test, "n_test", minimum=1)
    seed = check_seed(seed)
    hmm = experiment_hmm(m, 0, seed)
    check_hmm(hmm)
    states, obs = hmm.sample(n, T_LEN, rng=derive_seed(seed, 13, m, 0, 1))
    tstates, tobs = hmm.sample(n_test, T_LEN, rng=derive_seed(seed, 13, m, 0, 2))
    proba, rows = {}, []
    for direction in DIRECTIONS:
        [(net, hist)] = fit_state_rnns([FitTask(obs, states, m, seed)], n_symbols=N_SYMBOLS,
                                       hidden_size=k, progress=False, max_steps=max_steps,
                                       bidirectional=direction == "bi")
        proba[direction] = net.predict_proba(tobs)
        rows.append(dict(direction=direction, **score(proba[direction], hmm, tobs, tstates),
                         **hist.record()))
    return dict(hmm=hmm, obs=tobs, states=tstates, smoothed=hmm.smooth(tobs),
                filtered=hmm.filter(tobs), proba=proba,
                metrics=pd.DataFrame(rows).set_index("direction"))


def smoothing_figure(df: pd.DataFrame):
    """The plotly figure of a :func:`smoothing` table (see :mod:`probrnn.figures.smoothing`)."""
    from ..figures.smoothing import smoothing_sliders

    return smoothing_sliders(df)


def check_direction(direction) -> str:
    """"bi" or "uni", or a ValueError naming the choices."""
    return check_choice(direction, "direction", DIRECTIONS)


__all__ = ["smoothing", "smoothing_points", "smoothing_gap", "train_bi_and_uni", "score",
           "experiment_hmm", "run_group", "SMOOTHING", "smoothing_figure"]
