"""Figure 7 of the paper (RNNs against particle filters at equal size) and the particle filter's
convergence to the forward algorithm (chapter 4, *Particle filters, and particle filters as
RNNs*, the paper's 4.2).

* :func:`fig7`: one 5-state, 10-symbol HMM with Dirichlet(1) parameters, T = 8. For each size d
  in a grid from 1 to 1,000, a tanh RNN with d hidden units trained on (observation, hidden
  state) pairs by the training rule, to convergence (:func:`probrnn.fit_state_rnns`), and a
  bootstrap particle filter with d particles that knows the true parameters, both scored on one
  test set: accuracy against the true states (the figure's top panel) and agreement with the
  forward algorithm's argmax (the bottom panel), plus the mean total variation to the forward
  posterior. Several replicates: each draws its own training set, RNN initialisation and
  particle-filter seed. At the largest sizes the RNN is also trained on more sequences than
  the paper's 20,000 (``part == "data"``), to tell a limit of data from one of optimisation.
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
from ..metrics import compare_posteriors, total_variation
from ..particle_filter import particle_filter
from ..rnn.state import state_rnn_n_params
from ..threads import map_threads
from ..training import FitTask, fit_state_rnn, fit_state_rnns
from ..validate import (
    check_bool,
    check_choice,
    check_int,
    check_int_grid,
    check_positive_column,
    check_row,
    check_seed,
    check_table,
    recorded_int,
)
from .common import announce, base_seed, derive_seed, scale_config, workers_for

M_STATES, N_SYMBOLS, T_LEN = 5, 10, 8

FIG7 = {
    "quick": dict(sizes=(1, 5, 20), n_reps=2, n_train=1000, n_test=500, max_steps=300,
                  data=((), ())),
    "paper": dict(sizes=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000), n_reps=3, n_train=20000,
                  n_test=1000, max_steps=None, data=((200, 500), (5000, 60000))),
}
CONVERGENCE = {
    "quick": dict(Ms=(10, 30, 100, 300, 1000), n_test=100, n_reps=2),
    "paper": dict(Ms=(10, 30, 100, 300, 1000, 3000, 10000), n_test=200, n_reps=5),
}
SCHEMES = ("multinomial", "systematic")


def experiment_hmm(seed: int = 0) -> HMM:
    """The HMM of :func:`fig7` and :func:`pf_convergence` for a base seed: m = 5, K = 10,
    every parameter row Dirichlet(1)."""
    return HMM.random(M_STATES, N_SYMBOLS, rng=derive_seed(seed, 7, 0))


def evaluation_set(seed: int, n_test: int):
    """(hmm, states, obs, forward posterior) of the shared test set."""
    hmm = experiment_hmm(seed)
    states, obs = hmm.sample(n_test, T_LEN, rng=derive_seed(seed, 7, 1))
    return hmm, states, obs, hmm.filter(obs)


def state_metrics(proba, filtered, states, tie_seed) -> dict:
    """:func:`probrnn.metrics.compare_posteriors` with ties broken at random (a particle
    filter's histogram often has them) and per-step accuracy and agreement."""
    return compare_posteriors(proba, filtered, states, tie_seed=tie_seed, per_step=True)


# ---------------------------------------------------------------------- the two sides
def pf_row(seed: int, scale: str, d: int, rep: int, n_test: int, _data=None) -> dict:
    """One particle-filter row: d particles, replicate ``rep``."""
    hmm, states, obs, fwd = _data if _data is not None else evaluation_set(seed, n_test)
    pf_seed, tie_seed = derive_seed(seed, 7, 4, rep, d), derive_seed(seed, 7, 5, rep, d)
    start = time.perf_counter()
    res = particle_filter(hmm, obs, d, rng=pf_seed)
    seconds = time.perf_counter() - start
    return dict(kind="pf", part="grid", d=d, rep=rep, seed=seed, scale=scale, m=M_STATES, n_symbols=N_SYMBOLS,
                T=T_LEN, n_test=n_test, n_train=0, run_seed=pf_seed, tie_seed=tie_seed,
                n_params=hmm.n_params, seconds=round(seconds, 4),
                mean_ess=float(res.ess.mean()), impossible=float(res.impossible.mean()),
                **state_metrics(res.filtered, fwd, states, tie_seed))


BLOCK = 20_000  # training sequences per independently seeded block of a replicate's pool


def training_pool(hmm: HMM, seed: int, rep: int, n_train: int):
    """The first ``n_train`` training sequences of replicate ``rep``: (states, obs) (n, T).

    A replicate's pool is a sequence of blocks of 20,000 sequences, block b drawn with seed
    ``derive_seed(seed, 7, 2, rep, b)``, so larger training sets extend smaller ones (the first
    20,000 sequences are the same whether 5,000, 20,000 or 60,000 are used).
    """
    blocks = [hmm.sample(BLOCK, T_LEN, rng=derive_seed(seed, 7, 2, rep, b))
              for b in range(-(-n_train // BLOCK))]
    states = np.concatenate([st for st, _ in blocks])[:n_train]
    obs = np.concatenate([ob for _, ob in blocks])[:n_train]
    return states, obs


def rnn_group(seed: int, scale: str, d: int, reps, n_train: int, n_test: int,
              max_steps=None, part: str = "grid") -> list:
    """RNN rows of size d for replicates ``reps``, trained together as one batched model by
    the training rule (``max_steps`` lowers its cap at quick scale)."""
    hmm, states, obs, fwd = evaluation_set(seed, n_test)
    tasks = []
    for rep in reps:
        st, ob = training_pool(hmm, seed, rep, n_train)
        tasks.append(FitTask(ob, st, M_STATES, derive_seed(seed, 7, 3, rep, d)))
    start = time.perf_counter()
    fits = fit_state_rnns(tasks, n_symbols=N_SYMBOLS, hidden_size=d, progress=False,
                          max_steps=max_steps)
    announce(scale, f"fig7: {len(tasks)} RNN(s) with d = {d}, n = {n_train} trained in "
             f"{time.perf_counter() - start:.0f} s (steps: "
             f"{', '.join(str(h.record()['steps']) for _, h in fits)})")
    rows = []
    for rep, task, (net, hist) in zip(reps, tasks, fits, strict=True):
        tie_seed = derive_seed(seed, 7, 5, rep, d)
        rows.append(dict(
            kind="rnn", part=part, d=d, rep=rep, seed=seed, scale=scale, m=M_STATES,
            n_symbols=N_SYMBOLS, T=T_LEN, n_test=n_test, n_train=n_train, run_seed=task.seed,
            tie_seed=tie_seed, n_params=state_rnn_n_params(N_SYMBOLS, M_STATES, d),
            **hist.record(),
            **state_metrics(net.predict_proba(obs), fwd, states, tie_seed)))
    return rows


def fig7(scale: str = "quick", seed: int = 0, sizes=None, n_reps=None, workers=None,
         rnn: bool = True) -> pd.DataFrame:
    """Figure 7: RNNs with d hidden units against particle filters with d particles.

    Args:
        scale: "quick" (d in {1, 5, 20}, 2 replicates, small training sets: seconds) or
            "paper" (d = 1, 2, 5, ..., 1000, 3 replicates, n_train = 20,000 as in the paper,
            n_test = 1,000; plus RNNs with d = 200 and 500 trained on 5,000 and 60,000
            sequences, ``part == "data"``).
        seed: base seed (the HMM, the test set and every replicate derive from it).
        sizes, n_reps: override the grid (no data rows then).
        workers: worker threads for RNN training (default: 2 at paper scale, 1 at quick).
        rnn: False skips the RNNs (particle-filter rows only: instant).

    Returns:
        One row per (kind in {"rnn", "pf"}, d, replicate[, n_train]): the metrics of
        :func:`probrnn.metrics.compare_posteriors` (``accuracy``, ``agreement``, ``mean_tv``,
        ``accuracy_ref`` the forward algorithm's accuracy on the same test set, ...), per-step
        ``accuracy_t*`` / ``agreement_t*``, seeds, sizes, parameter counts, seconds and, for an
        RNN, its training record (steps, stop, lr, restarts, val_loss).
    """
    cfg = scale_config(scale, FIG7)
    seed = base_seed(seed)
    workers = workers_for(scale, workers)
    custom = sizes is not None or n_reps is not None
    sizes = cfg["sizes"] if sizes is None else check_int_grid(sizes, "sizes", minimum=1)
    reps = tuple(range(cfg["n_reps"] if n_reps is None
                       else check_int(n_reps, "n_reps", minimum=1)))
    rnn = check_bool(rnn, "rnn")
    data = evaluation_set(seed, cfg["n_test"])
    rows = [pf_row(seed, scale, d, r, cfg["n_test"], data) for d in sizes for r in reps]
    if rnn:
        # wide networks one replicate per job, so that both workers share them
        jobs = [(seed, scale, d, group, cfg["n_train"], cfg["n_test"], cfg["max_steps"], "grid")
                for d in sizes for group in ([(r,) for r in reps] if d >= 200 else [reps])]
        data_sizes, data_ns = cfg["data"]
        if not custom:
            jobs += [(seed, scale, d, reps[:1], n, cfg["n_test"], cfg["max_steps"], "data")
                     for d in data_sizes for n in data_ns]
        jobs.sort(key=lambda j: -(j[2] ** 2 * len(j[3]) * max(j[4], 20000)))  # slowest first
        rows += [row for group in map_threads(rnn_group, jobs, workers) for row in group]
    df = pd.DataFrame(rows)
    df["part"] = df["part"].fillna("grid") if "part" in df else "grid"
    return df.sort_values(["kind", "part", "d", "n_train", "rep"], ignore_index=True)


def recompute_pf_row(row) -> dict:
    """Rebuild one particle-filter row of a :func:`fig7` table from the seeds it records
    (``row``: a dict or a pandas Series with ``kind``, ``seed``, ``scale``, ``d``, ``rep`` and
    ``n_test``; integers stored as floats are accepted only when exact)."""
    row = check_row(row, ("kind",))
    if row["kind"] != "pf":
        raise ValueError(f"recompute_pf_row needs a particle-filter row (got kind {row['kind']!r})")
    row = check_row(row, ("kind", "seed", "scale", "d", "rep", "n_test"))
    seed = check_seed(recorded_int(row["seed"], "row['seed']", None), "row['seed']")
    scale = check_choice(row["scale"], "row['scale']", sorted(FIG7))
    d = recorded_int(row["d"], "row['d']", 1)
    rep = recorded_int(row["rep"], "row['rep']", 0)
    n_test = recorded_int(row["n_test"], "row['n_test']", 1)
    return pf_row(seed, scale, d, rep, n_test)


def fig7_figure(df: pd.DataFrame):
    """The plotly figure of a :func:`fig7` table (see :mod:`probrnn.figures.particles`)."""
    from ..figures.particle_filters import fig7_panels

    return fig7_panels(df)


# ---------------------------------------------------------------------- one comparison
def compare_one(M: int, k: int, seed: int = 0, n_train: int = 2000, n_test: int = 300,
                max_steps: int = 400) -> dict:
    """A small live version of one grid point: a particle filter with M particles and an RNN
    with k hidden units on the HMM of :func:`fig7`, trained by the training rule with its cap
    lowered to ``max_steps`` (seconds, not minutes; the RNN may be short of convergence).

    Returns ``dict(hmm, states, obs, forward, pf, rnn, metrics, history, pf_seed)``: the test
    set, the three posteriors (n_test, T, m), a DataFrame of accuracy, agreement and mean TV per
    method, the RNN's training record and the particle filter's seed (sequence i used stream
    row i of it, so :func:`probrnn.widgets.particle_filters.particle_trace` can replay it).
    Seconds for small k; used by the chapter's live widget.
    """
    M, k = check_int(M, "M", minimum=1), check_int(k, "k", minimum=1)
    seed = base_seed(seed)
    n_train = check_int(n_train, "n_train", minimum=2)
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    hmm, states, obs, fwd = evaluation_set(seed, check_int(n_test, "n_test", minimum=1))
    pf_seed = derive_seed(seed, 9, M)
    pf = particle_filter(hmm, obs, M, rng=pf_seed).filtered
    tr_states, tr_obs = hmm.sample(n_train, T_LEN, rng=derive_seed(seed, 9, 1))
    net, hist = fit_state_rnn(tr_obs, tr_states, n_symbols=N_SYMBOLS, n_states=M_STATES,
                              hidden_size=k, seed=derive_seed(seed, 9, 2, k), progress=False,
                              max_steps=max_steps)
    rnn = net.predict_proba(obs)
    rows = []
    for name, proba in (("forward", fwd), (f"particle filter, M = {M}", pf),
                        (f"RNN, k = {k}", rnn)):
        met = state_metrics(proba, fwd, states, derive_seed(seed, 9, 3))
        rows.append(dict(method=name, accuracy=met["accuracy"], agreement=met["agreement"],
                         mean_tv=met["mean_tv"]))
    return dict(hmm=hmm, states=states, obs=obs, forward=fwd, pf=pf, rnn=rnn,
                metrics=pd.DataFrame(rows), history=hist, pf_seed=pf_seed)


# ---------------------------------------------------------------------- convergence
def pf_convergence(scale: str = "quick", seed: int = 0, Ms=None, n_reps=None) -> pd.DataFrame:
    """Mean total variation between the particle filter and the forward algorithm against M.

    The HMM of :func:`fig7`; one row per (resampling scheme, M, replicate) with ``mean_tv``
    (over every sequence and step of the test set), ``mean_abs_loglik_error`` (|log p-hat -
    log p| per sequence), ``mean_ess`` and the seed used.
    """
    cfg = scale_config(scale, CONVERGENCE)
    seed = base_seed(seed)
    Ms = cfg["Ms"] if Ms is None else check_int_grid(Ms, "Ms", minimum=1)
    n_reps = cfg["n_reps"] if n_reps is None else check_int(n_reps, "n_reps", minimum=1)
    hmm, _, obs, fwd = evaluation_set(seed, cfg["n_test"])
    exact_ll = hmm.log_likelihood(obs)
    rows = []
    for scheme in SCHEMES:
        for M in Ms:
            for rep in range(n_reps):
                s = derive_seed(seed, 8, rep, M, SCHEMES.index(scheme))
                res = particle_filter(hmm, obs, M, rng=s, resampling=scheme)
                rows.append(dict(
                    resampling=scheme, M=M, rep=rep, seed=seed, run_seed=s, scale=scale,
                    n_test=cfg["n_test"], mean_tv=float(total_variation(res.filtered, fwd).mean()),
                    mean_abs_loglik_error=float(np.abs(res.log_likelihood - exact_ll).mean()),
                    mean_ess=float(res.ess.mean())))
    return pd.DataFrame(rows)


def convergence_slope(df: pd.DataFrame, resampling: str = "multinomial") -> tuple[float, float]:
    """Least-squares fit of log(mean TV) = a + b log M over the replicates' means: (b, a).

    ``df`` is a :func:`pf_convergence` table; every ``mean_tv`` used must be positive and
    finite (a log is taken) and there must be at least two values of M.
    """
    resampling = check_choice(resampling, "resampling", SCHEMES)
    check_table(df, ["resampling", "M", "mean_tv"], "df", numeric=["M", "mean_tv"])
    sub = df[df["resampling"] == resampling]
    for col in ("M", "mean_tv"):
        check_positive_column(sub, col, "df", f" for {resampling!r}")
    sub = sub.groupby("M")["mean_tv"].mean()
    if len(sub) < 2:
        raise ValueError(f"need at least two values of M for {resampling!r} (got {len(sub)})")
    b, a = np.polyfit(np.log(sub.index.to_numpy(float)), np.log(sub.to_numpy()), 1)
    return float(b), float(a)


def pf_convergence_figure(df: pd.DataFrame):
    """The plotly figure of a :func:`pf_convergence` table."""
    from ..figures.particle_filters import convergence_loglog

    return convergence_loglog(df)


__all__ = ["fig7", "fig7_figure", "pf_convergence", "pf_convergence_figure", "convergence_slope",
           "recompute_pf_row", "experiment_hmm", "evaluation_set", "state_metrics", "compare_one",
           "training_pool", "FIG7", "CONVERGENCE"]
