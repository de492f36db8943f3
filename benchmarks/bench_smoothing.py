"""Benchmark: probrnn's batched smoothing and Baum-Welch against hmmlearn, side by side.

    python benchmarks/bench_smoothing.py [--n 10000] [--T 8] [--K 10] [--m-smooth 64]
                                         [--m-fit 16] [--repeats 5] [--blas-threads 1]
                                         [--clock wall] [--no-default]

One random HMM per row (K symbols, n sequences of length T drawn from it):

* **smooth**: ``HMM.smooth`` (all posteriors p(H_t | x_1..T), batched) against hmmlearn's
  ``predict_proba`` on the concatenated sequences with ``lengths`` (its forward-backward per
  sequence in C++), at m = ``--m-smooth``;
* **Baum-Welch, 1 iteration**: one E-step and M-step over all sequences
  (:func:`probrnn.hmm.baum_welch.baum_welch` with ``n_iter=1``) against
  ``CategoricalHMM(n_iter=1, init_params="").fit`` from the same starting parameters, at
  m = ``--m-fit``; the two fitted models are checked equal;
* **HMM.fit(n_iter=1)**: the same through the public method, which also validates its inputs
  and scores the returned model (one more forward pass).

hmmlearn is timed twice: with its faster ``implementation="scaling"`` (the stricter comparison,
and the one the README's targets are read against first) and with its default ``"log"`` (what
``CategoricalHMM()`` does unless told otherwise), the latter best of at most three runs.

Each time is the best of ``--repeats`` runs (wall clock, or ``--clock cpu`` for this process's
CPU time, steadier on a busy machine). hmmlearn computes on one core, so by default numpy's BLAS
gets one thread too (``--blas-threads 0`` leaves it alone): one core against one core. Not a
test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import functools
import time

import numpy as np
from hmmlearn.hmm import CategoricalHMM

from probrnn import HMM
from probrnn.hmm.baum_welch import baum_welch
from probrnn.threads import blas_threads

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = CLOCKS["wall"]


def best_of(fn, repeat=3):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = clock()
        out = fn()
        best = min(best, clock() - t0)
    return best, out


def bench_smooth(m, K, n, T, repeats, implementation="scaling"):
    hmm = HMM.random(m, K, rng=m)
    _, obs = hmm.sample(n, T, rng=m + 1)
    X, lengths = obs.reshape(-1, 1), [T] * n
    t_ours, ours = best_of(lambda: hmm.smooth(obs), repeats)
    ref = hmm.to_hmmlearn()
    ref.implementation = implementation
    t_ref, theirs = best_of(lambda: ref.predict_proba(X, lengths), repeats)
    assert np.allclose(ours.reshape(-1, m), theirs, atol=1e-9), "posteriors differ"
    return t_ours, t_ref


def bench_fit(m, K, n, T, repeats, public=False, implementation="scaling"):
    truth = HMM.random(m, K, rng=m)
    _, obs = truth.sample(n, T, rng=m + 1)
    init = HMM.random(m, K, rng=m + 2)
    X, lengths = obs.reshape(-1, 1), [T] * n

    def theirs():
        ref = CategoricalHMM(n_components=m, n_features=K, n_iter=1, init_params="",
                             params="ste", implementation=implementation)
        ref.startprob_, ref.transmat_, ref.emissionprob_ = (
            np.array(init.startprob), np.array(init.transmat), np.array(init.emissionprob))
        return ref.fit(X, lengths)

    if public:
        t_ours, (fitted, info) = best_of(lambda: HMM.fit(obs, m, K, n_iter=1, init=init), repeats)
        ours = (fitted.startprob, fitted.transmat, fitted.emissionprob, info.log_likelihoods)
    else:
        pi, A, B = init.startprob, init.transmat, init.emissionprob
        t_ours, ours = best_of(lambda: baum_welch(pi, A, B, obs, n_iter=1, tol=0.0), repeats)
        ours = (ours.startprob, ours.transmat, ours.emissionprob, ours.history)
    t_ref, ref = best_of(theirs, repeats)
    assert np.isclose(ours[3][0], ref.monitor_.history[0], rtol=1e-9), "log-likelihoods differ"
    for mine, theirs_ in zip(ours[:3], (ref.startprob_, ref.transmat_, ref.emissionprob_),
                             strict=True):
        assert np.allclose(mine, theirs_, atol=1e-9), "fitted models differ"
    return t_ours, t_ref


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="number of sequences")
    ap.add_argument("--T", type=int, default=8, help="sequence length")
    ap.add_argument("--K", type=int, default=10, help="number of symbols")
    ap.add_argument("--m-smooth", type=int, default=64, help="hidden states for smoothing")
    ap.add_argument("--m-fit", type=int, default=16, help="hidden states for Baum-Welch")
    ap.add_argument("--repeats", type=int, default=5, help="runs of each; the best is kept")
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="threads for numpy's BLAS (0: leave the default)")
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                    help="wall-clock time, or this process's CPU time (steadier on a busy "
                         "machine; with --blas-threads 1 both sides use one core)")
    ap.add_argument("--no-default", action="store_true",
                    help="skip hmmlearn's default 'log' implementation (about 1 s per run)")
    args = ap.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    limit = blas_threads(args.blas_threads or None)
    log_repeats = min(args.repeats, 3)
    print(f"n = {args.n} sequences, T = {args.T}, K = {args.K} symbols; best of {args.repeats} "
          f"runs each ({args.clock} time; {log_repeats} for hmmlearn's default 'log' "
          f"implementation); BLAS threads: {args.blas_threads or 'default'}")
    print(f"{'task':<26} {'m':>3} {'probrnn (s)':>11} {'hmmlearn scaling':>16} {'speed-up':>8}"
          + ("" if args.no_default else f" {'hmmlearn default':>16} {'speed-up':>8}"))
    rows = [("smooth (predict_proba)", args.m_smooth, bench_smooth),
            ("Baum-Welch, 1 iteration", args.m_fit, bench_fit),
            ("HMM.fit(n_iter=1)", args.m_fit, functools.partial(bench_fit, public=True))]
    with limit:
        for name, m, fn in rows:
            t_ours, t_ref = fn(m, args.K, args.n, args.T, args.repeats)
            line = f"{name:<26} {m:>3} {t_ours:>11.4f} {t_ref:>16.3f} {t_ref / t_ours:>7.1f}x"
            if not args.no_default:  # hmmlearn as a user gets it: implementation="log"
                _, t_log = fn(m, args.K, args.n, args.T, log_repeats, implementation="log")
                line += f" {t_log:>16.3f} {t_log / t_ours:>7.1f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
