"""Beyond the paper: predicting the next symbol, classical versus RNN (chapter 2, *RNNs as
generative models and as graphical models*).

The paper ends (its 4.1.1) by proposing to compare P(X_{t+1} | x_1..t) between the classical and
the RNN approaches. We do it on data from random *sticky* HMMs (:func:`sticky_hmm`) with m in
{2, 4, 8, 16, 32} hidden states and K = 3 symbols, for three predictors of the next symbol:

* ``optimum``: the true HMM's forward algorithm, :meth:`probrnn.HMM.predict_next`;
* ``rnn``: a :class:`probrnn.SequenceRNN` fitted to the observations only by maximum
  conditional likelihood, by the book's training rule (:func:`probrnn.fit_sequence_rnn`);
* ``baum_welch``: an HMM with the true m, fitted by Baum-Welch (EM, :meth:`probrnn.HMM.fit`) on
  the same observations from five random initialisations, keeping the one with the highest
  training likelihood (a single start can sit on a near-symmetric plateau for hundreds of
  iterations).

The score is the **excess cross-entropy** in nats per predicted symbol on a held-out test set,

    excess = mean_{i, t} [ -log q(x_{t+1} | x_1..t) ] - mean_{i, t} [ -log p(x_{t+1} | x_1..t) ],

over t = 1..T-1 (X_1 is left out: Remark 1), with p the true HMM; on average it is the KL
divergence of the true predictive from q, so it is >= 0 up to test-set noise. Each (m, replicate)
draws its own HMM, a pool of training sequences (the first n of which train at size n: the sizes
are nested) and a test set; every child seed is recorded in the table.

Why sticky HMMs rather than the paper's Dirichlet(1) ones: those mix so fast that the true
marginals P(X_{t+1}), which ignore x_1..t, come within a few thousandths of a nat of the optimum
(column ``ce_memoryless``), leaving nothing for any predictor to learn. With a 0.9 chance of
staying put, the past is worth 0.06-0.18 nats per symbol at every m.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..hmm import HMM
from ..metrics import TINY, next_symbol_cross_entropy
from ..threads import map_threads
from ..training import FitTask, fit_sequence_rnn, fit_sequence_rnns
from ..validate import (
    as_rng,
    check_bool,
    check_choice,
    check_choices,
    check_hmm,
    check_index_array,
    check_int,
    check_int_grid,
    check_real,
    check_seed,
    check_table,
)
from .common import workers_for

N_SYMBOLS = 3
BW_FLOOR = 1e-6  # mixed into the Baum-Welch fit's rows so no test sequence has probability 0


@dataclass(frozen=True)
class Scale:
    """The grid and budgets of one scale of the experiment."""

    ms: tuple[int, ...]
    ns: tuple[int, ...]
    replicates: int
    T: int
    n_test: int
    hidden_size: int
    max_steps: int | None
    bw_iter: int
    bw_tol: float
    bw_restarts: int = 5
    stay: float = 0.9
    emission_concentration: float = 0.5


SCALES = {
    "quick": Scale(ms=(2, 4), ns=(100, 400), replicates=1, T=20, n_test=500, hidden_size=16,
                   max_steps=500, bw_iter=30, bw_tol=1e-2, bw_restarts=2),
    "paper": Scale(ms=(2, 4, 8, 16, 32), ns=(30, 100, 300, 1000, 3000), replicates=3, T=20,
                   n_test=2000, hidden_size=32, max_steps=None, bw_iter=100, bw_tol=1e-2),
}

PREDICTORS = ("rnn", "baum_welch")


def _scale(scale) -> Scale:
    if isinstance(scale, Scale):
        return scale
    return SCALES[check_choice(scale, "scale", sorted(SCALES))]


# ---------------------------------------------------------------------------------- the HMMs
def sticky_hmm(m: int, n_symbols: int, rng=None, stay: float = 0.9,
               emission_concentration: float = 0.5) -> HMM:
    """A random HMM with memory: A = stay * I + (1 - stay) * D.

    pi and every row of D ~ Dirichlet(1) over the m states, every row of B ~
    Dirichlet(emission_concentration) over the K symbols, drawn in that order from ``rng``.
    """
    m = check_int(m, "m", minimum=1)
    K = check_int(n_symbols, "n_symbols", minimum=1)
    stay = check_real(stay, "stay", 0.0, 1.0)
    emission_concentration = check_real(emission_concentration, "emission_concentration", 0.0,
                                        low_open=True)
    gen = as_rng(rng)
    pi = gen.dirichlet(np.ones(m))
    D = gen.dirichlet(np.ones(m), size=m)
    B = gen.dirichlet(np.full(K, float(emission_concentration)), size=m)
    return HMM(pi, stay * np.eye(m) + (1 - stay) * D, B)


# ---------------------------------------------------------------------------------- scores
def memoryless_cross_entropy(hmm: HMM, obs: np.ndarray) -> float:
    """The same score for the true marginals P(X_{t+1}) that ignore x_1..t (a floor of effort).

    ``obs`` (n, T) symbols with T >= 2; a symbol of marginal probability zero costs
    -log(1e-300), as in :func:`probrnn.metrics.next_symbol_cross_entropy`.
    """
    check_hmm(hmm)
    obs, _ = check_index_array(obs, "obs", hmm.n_symbols, "symbols", ndims=(2,))
    T = obs.shape[1]
    if T < 2:
        raise ValueError("obs needs T >= 2 steps: with T = 1 there is no next symbol to score")
    state = np.array(hmm.startprob)
    marg = np.empty((T, hmm.n_symbols))
    for t in range(T):
        marg[t] = state @ hmm.emissionprob
        state = state @ hmm.transmat
    picked = marg[np.arange(1, T)[None, :], obs[:, 1:]]  # (n, T-1)
    return float(-np.log(np.maximum(picked, TINY)).mean())


def fit_baum_welch(train: np.ndarray, m: int, n_symbols: int, seed: int, n_iter: int,
                   tol: float, restarts: int = 5) -> tuple[HMM, dict]:
    """Baum-Welch with m states on ``train`` (n, T), best of ``restarts`` starts
    (:meth:`probrnn.HMM.fit`, batched over all training sequences).

    The random starts (pi, every row of A and of B ~ Dirichlet(1)) are drawn one after the
    other from ``numpy.random.default_rng(seed)``. The fit with the highest training
    log-likelihood is kept; its rows are mixed with BW_FLOOR of the uniform distribution so
    that no test sequence has probability zero.
    """
    m = check_int(m, "m", minimum=1)
    n_symbols = check_int(n_symbols, "n_symbols", minimum=1)
    train, _ = check_index_array(train, "train", n_symbols, "symbols", ndims=(2,))
    seed = check_seed(seed)
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    tol = check_real(tol, "tol", 0.0)
    restarts = check_int(restarts, "restarts", minimum=1)
    fitted, info = HMM.fit(train, m, n_symbols, n_iter=n_iter, tol=tol, rng=seed,
                           restarts=restarts)

    def floor(p):
        return (1 - BW_FLOOR) * p + BW_FLOOR / p.shape[-1]

    smoothed = HMM(floor(fitted.startprob), floor(fitted.transmat), floor(fitted.emissionprob))
    return smoothed, {"iterations": info.iterations, "converged": info.converged,
                      "best_restart": info.best_restart, "train_loglik": info.log_likelihood}


# ---------------------------------------------------------------------------------- one cell
def _seeds(base: int, m: int, rep: int) -> dict:
    ss = np.random.SeedSequence([base, m, rep])
    names = ("hmm_seed", "data_seed", "rnn_seed", "bw_seed")
    return {name: int(child.generate_state(1)[0]) for name, child in zip(names, ss.spawn(4), strict=True)}


def _task(m: int, rep: int, cfg: Scale, base: int):
    seeds = _seeds(base, m, rep)
    hmm = sticky_hmm(m, N_SYMBOLS, rng=seeds["hmm_seed"], stay=cfg.stay,
                     emission_concentration=cfg.emission_concentration)
    data_rng = np.random.default_rng(seeds["data_seed"])
    _, pool = hmm.sample(max(cfg.ns), cfg.T, rng=data_rng)
    _, test = hmm.sample(cfg.n_test, cfg.T, rng=data_rng)
    return seeds, hmm, pool, test


def compare_predictors(hmm: HMM, train: np.ndarray, test: np.ndarray, *, hidden_size: int,
                       rnn_seed: int, bw_seed: int, max_steps: int | None, bw_iter: int,
                       bw_tol: float = 1e-2, bw_restarts: int = 5,
                       predictors=PREDICTORS) -> list[dict]:
    """Fit each predictor on ``train`` and score it on ``test``: one dict per predictor.

    Keys: predictor, ce (nats/symbol), ce_optimal, excess_ce, ce_memoryless, seconds, n_params
    and the fit's diagnostics (epochs or iterations).
    """
    check_hmm(hmm)
    predictors = check_choices(predictors, "predictors", PREDICTORS, "predictor")
    K = hmm.n_symbols
    scores = _optimal_scores(hmm, test)
    rows = []
    for name in predictors:
        start = time.perf_counter()
        if name == "rnn":
            rnn = fit_sequence_rnn(train, n_symbols=K, hidden_size=hidden_size, seed=rnn_seed,
                                   max_steps=max_steps, progress=False)
            rows.append(_rnn_row(rnn, test, scores, start))
        elif name == "baum_welch":
            rows.append(_baum_welch_row(train, hmm, test, scores, bw_seed, bw_iter, bw_tol,
                                        bw_restarts))
        else:
            raise ValueError(f"unknown predictor {name!r}: choose from {PREDICTORS}")
    return rows


def _optimal_scores(hmm: HMM, test: np.ndarray) -> tuple[float, float]:
    """(ce_optimal, ce_memoryless) on ``test``."""
    return (next_symbol_cross_entropy(hmm.predict_next(test), test),
            memoryless_cross_entropy(hmm, test))


def _row(name: str, probs: np.ndarray, test: np.ndarray, scores, seconds: float, extra: dict
         ) -> dict:
    ce_opt, ce_mem = scores
    ce = next_symbol_cross_entropy(probs, test)
    return {"predictor": name, "ce": ce, "ce_optimal": ce_opt, "excess_ce": ce - ce_opt,
            "ce_memoryless": ce_mem, "seconds": seconds, **extra}


def _rnn_row(rnn, test, scores, start: float) -> dict:
    """The table row of a fitted RNN; ``seconds`` runs from ``start`` to now (after scoring)."""
    probs = rnn.predict_next(test)
    rec = rnn.history.record()
    extra = {**rec, "iterations": np.nan, "converged": rec["stop"] == "patience",
             "best_restart": rec["chosen_restart"], "train_loglik": np.nan,
             "n_params": rnn.n_params}
    return _row("rnn", probs, test, scores, time.perf_counter() - start, extra)


def _baum_welch_row(train, hmm, test, scores, seed, n_iter, tol, restarts) -> dict:
    start = time.perf_counter()
    fitted, info = fit_baum_welch(train, hmm.m, hmm.n_symbols, seed, n_iter, tol, restarts)
    probs = fitted.predict_next(test)
    return _row("baum_welch", probs, test, scores, time.perf_counter() - start,
                {**info, "n_params": fitted.n_params})


def predictive_point(m: int, n: int, replicate: int = 0, scale="paper", seed: int = 0,
                     predictors=PREDICTORS, bw_iter: int | None = None) -> pd.DataFrame:
    """The rows of :func:`predictive` for one grid point (m, n, replicate), recomputed alone;
    ``bw_iter`` overrides the scale's iteration budget of Baum-Welch (same data and seeds)."""
    cfg = _scale(scale)
    if bw_iter is not None:
        cfg = replace(cfg, bw_iter=check_int(bw_iter, "bw_iter", minimum=1))
    m, n = check_int(m, "m", minimum=1), check_int(n, "n", minimum=1)
    replicate, seed = check_int(replicate, "replicate", minimum=0), check_seed(seed)
    predictors = check_choices(predictors, "predictors", PREDICTORS, "predictor")
    if n not in cfg.ns:
        raise ValueError(f"n = {n} is not on the {scale!r} grid {cfg.ns}")
    seeds, hmm, pool, test = _task(m, replicate, cfg, seed)
    rows = compare_predictors(hmm, pool[:n], test, hidden_size=cfg.hidden_size,
                              rnn_seed=seeds["rnn_seed"], bw_seed=seeds["bw_seed"],
                              max_steps=cfg.max_steps, bw_iter=cfg.bw_iter, bw_tol=cfg.bw_tol,
                              bw_restarts=cfg.bw_restarts, predictors=predictors)
    return _frame(rows, m=m, n=n, replicate=replicate, cfg=cfg, base=seed, seeds=seeds)


def _frame(rows, *, m, n, replicate, cfg, base, seeds) -> pd.DataFrame:
    meta = {"m": m, "n": n, "replicate": replicate, "T": cfg.T, "n_symbols": N_SYMBOLS,
            "hidden_size": cfg.hidden_size, "n_test": cfg.n_test, "bw_restarts": cfg.bw_restarts,
            "stay": cfg.stay,
            "emission_concentration": cfg.emission_concentration, "seed": base, **seeds}
    return pd.DataFrame([{**meta, **row} for row in rows])


# ---------------------------------------------------------------------------------- the sweep
def _group(m: int, rep: int, cfg: Scale, base: int, ns) -> list[pd.DataFrame]:
    """The rows of one (m, replicate) for every n in ``ns``: its RNNs are trained side by side
    (:func:`probrnn.training.fit_sequence_rnns`, one task per n with the same seed as alone, so
    each gives the same network as :func:`compare_predictors`), then Baum-Welch per n."""
    seeds, hmm, pool, test = _task(m, rep, cfg, base)
    scores = _optimal_scores(hmm, test)
    rnns = fit_sequence_rnns([FitTask(pool[:n], seed=seeds["rnn_seed"]) for n in ns],
                             n_symbols=hmm.n_symbols, hidden_size=cfg.hidden_size,
                             max_steps=cfg.max_steps, progress=False)
    frames = []
    for n, rnn in zip(ns, rnns, strict=True):
        # seconds: the joint fit's wall-clock time until this network stopped, then scoring
        fit_seconds = float(np.max(rnn.history.seconds))
        rows = [_rnn_row(rnn, test, scores, time.perf_counter() - fit_seconds),
                _baum_welch_row(pool[:n], hmm, test, scores, seeds["bw_seed"], cfg.bw_iter,
                                cfg.bw_tol, cfg.bw_restarts)]
        frames.append(_frame(rows, m=m, n=n, replicate=rep, cfg=cfg, base=base, seeds=seeds))
    return frames


def predictive(scale: str = "quick", seed: int = 0, ms=None, ns=None,
               progress: bool | None = None, workers=None) -> pd.DataFrame:
    """The tidy table: one row per (m, n, replicate, predictor) with its seeds and scores.

    Args:
        scale: "quick" (seconds) or "paper" (see :data:`SCALES`).
        seed: base seed; every (m, replicate) spawns its HMM, data, RNN and Baum-Welch seeds
            from ``SeedSequence([seed, m, replicate])`` and the table records them.
        ms, ns: optional subsets of the scale's grid.
        progress: print a line per (m, replicate) (default: at paper scale only).
        workers: worker threads, one (m, replicate) each (default: one per core, at most 2, at
            paper scale; 1 at quick). Every row is the same whatever the number.

    The RNNs of one (m, replicate) are trained side by side across the sizes n, each exactly
    as alone (same seed, same network); an RNN row's ``seconds`` is the joint fit's time until
    that network stopped, plus its scoring.
    """
    cfg = _scale(scale)
    progress = (scale == "paper") if progress is None else check_bool(progress, "progress")
    seed = check_seed(seed)
    ms = cfg.ms if ms is None else check_int_grid(ms, "ms", minimum=1)
    ns = cfg.ns if ns is None else check_int_grid(ns, "ns", minimum=1)
    bad = [n for n in ns if n not in cfg.ns]
    if bad:
        raise ValueError(f"ns {bad} are not on the {scale!r} grid {cfg.ns}")
    workers = workers_for(scale if isinstance(scale, str) else "quick", workers)

    def group(m, rep):
        frames = _group(m, rep, cfg, seed, ns)
        if progress:
            for f in frames:
                got = ", ".join(f"{p} {e:.4f}" for p, e in zip(f["predictor"], f["excess_ce"],
                                                                strict=True))
                print(f"[predictive] m={m} rep={rep} n={f['n'].iloc[0]}: excess {got}",
                      flush=True)
        return frames

    # the largest m first, so that two workers finish together (one torch and one BLAS
    # thread each)
    jobs = [(m, rep) for m in sorted(ms, reverse=True) for rep in range(cfg.replicates)]
    done = dict(zip(jobs, map_threads(group, jobs, workers), strict=True))
    return pd.concat([f for m in ms for rep in range(cfg.replicates) for f in done[(m, rep)]],
                     ignore_index=True)


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation, min and max of the excess cross-entropy over replicates."""
    check_table(df, ["m", "n", "predictor", "excess_ce"], "df", numeric=["excess_ce"])
    g = df.groupby(["m", "n", "predictor"])["excess_ce"]
    return g.agg(["mean", "std", "min", "max", "count"]).reset_index()


def predictive_figure(df: pd.DataFrame):
    """The table as a plotly figure with a slider over m (static HTML works)."""
    from ..figures.rnn_generative import excess_ce_figure

    return excess_ce_figure(df)


def live_point(m: int, hidden_size: int, n: int, seed: int = 0, T: int = 20, n_test: int = 500,
               max_steps: int = 600, bw_iter: int = 50, bw_restarts: int = 3) -> pd.DataFrame:
    """One small comparison for the live widget: a fresh sticky HMM with m states, n training
    sequences, an RNN with ``hidden_size`` units and Baum-Welch; seconds, not minutes."""
    m = check_int(m, "m", minimum=1)
    n = check_int(n, "n", minimum=2)
    hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
    T = check_int(T, "T (sequence length)", minimum=2)
    n_test = check_int(n_test, "n_test", minimum=1)
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    bw_iter = check_int(bw_iter, "bw_iter", minimum=1)
    bw_restarts = check_int(bw_restarts, "bw_restarts", minimum=1)
    seeds = _seeds(check_seed(seed), m, 0)
    hmm = sticky_hmm(m, N_SYMBOLS, rng=seeds["hmm_seed"])
    data_rng = np.random.default_rng(seeds["data_seed"])
    _, train = hmm.sample(n, T, rng=data_rng)
    _, test = hmm.sample(n_test, T, rng=data_rng)
    rows = compare_predictors(hmm, train, test, hidden_size=hidden_size,
                              rnn_seed=seeds["rnn_seed"], bw_seed=seeds["bw_seed"],
                              max_steps=max_steps, bw_iter=bw_iter, bw_restarts=bw_restarts)
    cfg = Scale(ms=(m,), ns=(n,), replicates=1, T=T, n_test=n_test, hidden_size=hidden_size,
                max_steps=max_steps, bw_iter=bw_iter, bw_tol=1e-2, bw_restarts=bw_restarts)
    return _frame(rows, m=m, n=n, replicate=0, cfg=cfg, base=seed, seeds=seeds)
