"""Figure 7 of the paper (RNNs against particle filters at equal size) and the particle filter's
convergence to the forward algorithm.

Chapter *Particle filters* (the paper's 4.2).

* :func:`fig7`: one 5-state, 10-symbol HMM with Dirichlet(1) parameters, T = 8. For each size d
  in a grid from 1 to 1,000, a tanh RNN with d hidden units trained on (observation, hidden
  state) pairs (:func:`probrnn.rnn.fit_state_rnns`) and a bootstrap particle filter with d
  particles that knows the true parameters, both scored on one test set: accuracy against the
  true states (the figure's top panel) and agreement with the forward algorithm's argmax (the
  bottom panel), plus the mean total variation to the forward posterior. Several replicates:
  each draws its own training set, RNN initialisation and particle-filter seed.
* :func:`pf_convergence`: mean total-variation distance between the particle filter and the
  forward algorithm against M, for both resampling schemes, and :func:`convergence_slope`.

Seeds come from ``numpy.random.SeedSequence`` keyed by the base seed and the grid point, so a
row does not depend on which other rows were run and :func:`recompute_pf_row` rebuilds any
particle-filter row exactly. Ties in a particle filter's histogram (common for small d) are
broken uniformly at random, with a seed recorded in the row.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..hmm import HMM
from ..particle import particle_filter, total_variation
from ..threads import default_workers, map_threads

M_STATES, N_SYMBOLS, T_LEN = 5, 10, 8

FIG7 = {
    "quick": dict(sizes=(1, 5, 20), n_reps=2, n_train=1000, n_test=500, steps=80),
    "paper": dict(sizes=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000), n_reps=3, n_train=20000,
                  n_test=1000, steps=None),
}
CONVERGENCE = {
    "quick": dict(Ms=(10, 30, 100, 300, 1000), n_test=100, n_reps=2),
    "paper": dict(Ms=(10, 30, 100, 300, 1000, 3000, 10000), n_test=200, n_reps=5),
}
SCHEMES = ("multinomial", "systematic")


def _seed(*keys: int) -> int:
    """A 32-bit seed determined by the integer ``keys`` (numpy SeedSequence entropy)."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1)[0])


def _check_scale(scale: str, table: dict) -> dict:
    if scale not in table:
        raise ValueError(f"scale must be one of {sorted(table)} (got {scale!r})")
    return dict(table[scale])


def experiment_hmm(seed: int = 0) -> HMM:
    """The HMM of :func:`fig7` and :func:`pf_convergence` for a base seed: m = 5, K = 10,
    every parameter row Dirichlet(1)."""
    return HMM.random(M_STATES, N_SYMBOLS, rng=_seed(seed, 7, 0))


def evaluation_set(seed: int, n_test: int):
    """(hmm, states, obs, forward posterior) of the shared test set."""
    hmm = experiment_hmm(seed)
    states, obs = hmm.sample(n_test, T_LEN, rng=_seed(seed, 7, 1))
    return hmm, states, obs, hmm.filter(obs)


# ---------------------------------------------------------------------- metrics
def argmax_random_ties(p: np.ndarray, rng) -> np.ndarray:
    """argmax over the last axis, a tie broken uniformly at random: (..., m) -> (...)."""
    p = np.asarray(p)
    top = p >= p.max(axis=-1, keepdims=True) - 1e-12
    u = np.random.default_rng(rng).random(p.shape)
    return np.argmax(np.where(top, u, -1.0), axis=-1)


def state_metrics(proba, filtered, states, rng) -> dict:
    """Accuracy (vs the true states), agreement (vs the forward argmax) and mean TV, overall
    and per time step (``accuracy_t1`` .. and ``agreement_t1`` ..)."""
    pred = argmax_random_ties(proba, rng)
    fwd = filtered.argmax(-1)
    hit, same = pred == states, pred == fwd
    out = dict(accuracy=float(hit.mean()), agreement=float(same.mean()),
               mean_tv=float(total_variation(proba, filtered).mean()),
               acc_fwd=float((fwd == states).mean()))
    for t in range(states.shape[1]):
        out[f"accuracy_t{t + 1}"] = float(hit[:, t].mean())
        out[f"agreement_t{t + 1}"] = float(same[:, t].mean())
    return out


# ---------------------------------------------------------------------- the two sides
def pf_row(seed: int, scale: str, d: int, rep: int, n_test: int, _data=None) -> dict:
    """One particle-filter row: d particles, replicate ``rep``."""
    hmm, states, obs, fwd = _data if _data is not None else evaluation_set(seed, n_test)
    pf_seed, tie_seed = _seed(seed, 7, 4, rep, d), _seed(seed, 7, 5, rep, d)
    start = time.perf_counter()
    res = particle_filter(hmm, obs, d, rng=pf_seed)
    seconds = time.perf_counter() - start
    return dict(kind="pf", d=d, rep=rep, seed=seed, scale=scale, m=M_STATES, n_symbols=N_SYMBOLS,
                T=T_LEN, n_test=n_test, n_train=0, run_seed=pf_seed, tie_seed=tie_seed,
                n_params=hmm.n_params, seconds=round(seconds, 4),
                mean_ess=float(res.ess.mean()), impossible=float(res.impossible.mean()),
                **state_metrics(res.filtered, fwd, states, tie_seed))


def rnn_group(seed: int, scale: str, d: int, reps, n_train: int, n_test: int, steps) -> list:
    """RNN rows of size d for replicates ``reps``, trained together as one batched model."""
    from ..rnn import FitTask, fit_state_rnns
    from ..state_rnn import state_rnn_n_params

    hmm, states, obs, fwd = evaluation_set(seed, n_test)
    tasks = []
    for rep in reps:
        st, ob = hmm.sample(n_train, T_LEN, rng=_seed(seed, 7, 2, rep))
        tasks.append(FitTask(ob, st, M_STATES, _seed(seed, 7, 3, rep, d)))
    start = time.perf_counter()
    fits = fit_state_rnns(tasks, n_symbols=N_SYMBOLS, hidden_size=d, steps=steps,
                          progress=False)
    seconds = time.perf_counter() - start
    rows = []
    for rep, task, (net, hist) in zip(reps, tasks, fits, strict=True):
        tie_seed = _seed(seed, 7, 5, rep, d)
        rows.append(dict(
            kind="rnn", d=d, rep=rep, seed=seed, scale=scale, m=M_STATES, n_symbols=N_SYMBOLS,
            T=T_LEN, n_test=n_test, n_train=n_train, run_seed=task.seed, tie_seed=tie_seed,
            n_params=state_rnn_n_params(N_SYMBOLS, M_STATES, d), seconds=round(seconds, 2),
            steps=hist.settings["steps"], lr=hist.settings["lr"],
            val_loss=hist.val_loss_chosen,
            **state_metrics(net.predict_proba(obs), fwd, states, tie_seed)))
    return rows


def fig7(scale: str = "quick", seed: int = 0, sizes=None, n_reps=None, workers=None,
         rnn: bool = True) -> pd.DataFrame:
    """Figure 7: RNNs with d hidden units against particle filters with d particles.

    Args:
        scale: "quick" (d in {1, 5, 20}, 2 replicates, small training sets: seconds) or
            "paper" (d = 1, 2, 5, ..., 1000, 3 replicates, n_train = 20,000 as in the paper,
            n_test = 1,000).
        seed: base seed (the HMM, the test set and every replicate derive from it).
        sizes, n_reps: override the grid.
        workers: worker threads for RNN training (default: 2 at paper scale, 1 at quick).
        rnn: False skips the RNNs (particle-filter rows only: instant).

    Returns:
        One row per (kind in {"rnn", "pf"}, d, replicate): ``accuracy``, ``agreement``,
        ``mean_tv``, ``acc_fwd`` (the forward algorithm's accuracy on the same test set), per-
        step ``accuracy_t*`` / ``agreement_t*``, seeds, sizes, parameter counts and seconds.
    """
    cfg = _check_scale(scale, FIG7)
    sizes = tuple(int(d) for d in (sizes or cfg["sizes"]))
    reps = tuple(range(int(n_reps or cfg["n_reps"])))
    data = evaluation_set(seed, cfg["n_test"])
    rows = [pf_row(seed, scale, d, r, cfg["n_test"], data) for d in sizes for r in reps]
    if rnn:
        args = [(seed, scale, d, reps, cfg["n_train"], cfg["n_test"], cfg["steps"])
                for d in sorted(sizes, reverse=True)]  # the slowest first
        if workers is None:
            workers = default_workers(scale == "paper")
        rows += [row for group in map_threads(rnn_group, args, workers) for row in group]
    df = pd.DataFrame(rows)
    return df.sort_values(["kind", "d", "rep"], ignore_index=True)


def recompute_pf_row(row) -> dict:
    """Rebuild one particle-filter row of a :func:`fig7` table from the seeds it records."""
    if row["kind"] != "pf":
        raise ValueError(f"recompute_pf_row needs a particle-filter row (got kind {row['kind']!r})")
    return pf_row(int(row["seed"]), str(row["scale"]), int(row["d"]), int(row["rep"]),
                  int(row["n_test"]))


def fig7_figure(df: pd.DataFrame):
    """The plotly figure of a :func:`fig7` table (see :mod:`probrnn.figures.particles`)."""
    from ..figures.particles import fig7_panels

    return fig7_panels(df)


# ---------------------------------------------------------------------- one comparison
def compare_one(M: int, k: int, seed: int = 0, n_train: int = 1000, n_test: int = 300,
                steps: int = 80) -> dict:
    """A small live version of one grid point: a particle filter with M particles and an RNN
    with k hidden units (trained briefly) on the HMM of :func:`fig7`.

    Returns ``dict(hmm, states, obs, forward, pf, rnn, metrics)``: the test set, the three
    posteriors (n_test, T, m) and a DataFrame of accuracy, agreement and mean TV per method.
    Seconds for small k; used by the chapter's live widget.
    """
    from ..rnn import fit_state_rnn

    hmm, states, obs, fwd = evaluation_set(seed, n_test)
    pf = particle_filter(hmm, obs, M, rng=_seed(seed, 9, M)).filtered
    tr_states, tr_obs = hmm.sample(n_train, T_LEN, rng=_seed(seed, 9, 1))
    net, _ = fit_state_rnn(tr_obs, tr_states, n_symbols=N_SYMBOLS, n_states=M_STATES,
                           hidden_size=k, seed=_seed(seed, 9, 2, k), steps=steps, progress=False)
    rnn = net.predict_proba(obs)
    rows = []
    for name, proba in (("forward", fwd), (f"particle filter, M = {M}", pf),
                        (f"RNN, k = {k}", rnn)):
        met = state_metrics(proba, fwd, states, _seed(seed, 9, 3))
        rows.append(dict(method=name, accuracy=met["accuracy"], agreement=met["agreement"],
                         mean_tv=met["mean_tv"]))
    return dict(hmm=hmm, states=states, obs=obs, forward=fwd, pf=pf, rnn=rnn,
                metrics=pd.DataFrame(rows))


# ---------------------------------------------------------------------- convergence
def pf_convergence(scale: str = "quick", seed: int = 0, Ms=None, n_reps=None) -> pd.DataFrame:
    """Mean total variation between the particle filter and the forward algorithm against M.

    The HMM of :func:`fig7`; one row per (resampling scheme, M, replicate) with ``mean_tv``
    (over every sequence and step of the test set), ``mean_abs_loglik_error`` (|log p-hat -
    log p| per sequence), ``mean_ess`` and the seed used.
    """
    cfg = _check_scale(scale, CONVERGENCE)
    Ms = tuple(int(M) for M in (Ms or cfg["Ms"]))
    hmm, _, obs, fwd = evaluation_set(seed, cfg["n_test"])
    exact_ll = hmm.log_likelihood(obs)
    rows = []
    for scheme in SCHEMES:
        for M in Ms:
            for rep in range(int(n_reps or cfg["n_reps"])):
                s = _seed(seed, 8, rep, M, SCHEMES.index(scheme))
                res = particle_filter(hmm, obs, M, rng=s, resampling=scheme)
                rows.append(dict(
                    resampling=scheme, M=M, rep=rep, seed=seed, run_seed=s, scale=scale,
                    n_test=cfg["n_test"], mean_tv=float(total_variation(res.filtered, fwd).mean()),
                    mean_abs_loglik_error=float(np.abs(res.log_likelihood - exact_ll).mean()),
                    mean_ess=float(res.ess.mean())))
    return pd.DataFrame(rows)


def convergence_slope(df: pd.DataFrame, resampling: str = "multinomial") -> tuple[float, float]:
    """Least-squares fit of log(mean TV) = a + b log M over the replicates' means: (b, a)."""
    sub = df[df["resampling"] == resampling].groupby("M")["mean_tv"].mean()
    if len(sub) < 2:
        raise ValueError(f"need at least two values of M for {resampling!r} (got {len(sub)})")
    b, a = np.polyfit(np.log(sub.index.to_numpy(float)), np.log(sub.to_numpy()), 1)
    return float(b), float(a)


def pf_convergence_figure(df: pd.DataFrame):
    """The plotly figure of a :func:`pf_convergence` table."""
    from ..figures.particles import convergence_loglog

    return convergence_loglog(df)


__all__ = ["fig7", "fig7_figure", "pf_convergence", "pf_convergence_figure", "convergence_slope",
           "recompute_pf_row", "experiment_hmm", "evaluation_set", "state_metrics", "compare_one",
           "FIG7",
           "CONVERGENCE"]
