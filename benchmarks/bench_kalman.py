"""Benchmark: probrnn's batched Kalman filter against pykalman filtering one sequence at a time.

    python benchmarks/bench_kalman.py [--n 10000] [--T 100] [--d 4] [--p 2]
                                      [--ref-sequences 300] [--blas-threads 1]

A random stable model (``LinearGaussianSSM.random(d, p, rng=0)``) and n sequences of length T.
Times, best of 3 unless said:

* ``probrnn batched``: :func:`probrnn.continuous.kalman_filter` on all n sequences at once
  (filtered means and covariances, gains, predictions and the log-likelihoods);
* ``probrnn 1 at a time``: the same function called per sequence (what batching buys);
* ``pykalman filter``: ``KalmanFilter.filter`` per sequence (means and covariances only: the
  comparison that favours pykalman), and ``pykalman filter + loglik``: ``filter`` plus
  ``loglikelihood`` (which runs the filter again), for the same outputs as probrnn's.

The per-sequence references run on the first ``--ref-sequences`` sequences (one run) and are
scaled to n; ``--ref-sequences 10000`` runs them all. Every reference is checked against
probrnn's output (largest differences printed). ``--blas-threads`` limits OpenBLAS's threads
(through threadpoolctl) for both sides; on a busy 2-core machine one thread is much faster for
these small products. The 1-minute load average is printed before and after.
Not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time

import numpy as np

from probrnn.continuous import LinearGaussianSSM, kalman_filter


def best_of(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def once(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run(args):
    from pykalman import KalmanFilter

    model = LinearGaussianSSM.random(args.d, args.p, rng=0)
    _, y = model.sample(args.n, args.T, rng=1)
    k = min(args.ref_sequences, args.n)
    res = kalman_filter(model, y)
    t_batch = best_of(lambda: kalman_filter(model, y))
    t_loop, _ = once(lambda: [kalman_filter(model, y[i]) for i in range(k)])
    kf = KalmanFilter(transition_matrices=model.A, observation_matrices=model.C,
                      transition_covariance=model.Q, observation_covariance=model.R,
                      initial_state_mean=model.mean0, initial_state_covariance=model.cov0)
    t_filter, filtered = once(lambda: [kf.filter(y[i]) for i in range(k)])
    t_ll, lls = once(lambda: [kf.loglikelihood(y[i]) for i in range(k)])
    err_mean = max(np.abs(m - res.means[i]).max() for i, (m, _) in enumerate(filtered))
    err_cov = max(np.abs(c - res.covs).max() for _, c in filtered)
    err_ll = np.abs(np.array(lls) - res.log_likelihood[:k]).max()
    scale = args.n / k
    rows = [("probrnn batched", t_batch, f"best of 3, all {args.n}"),
            ("probrnn 1 at a time", t_loop * scale, f"{k} sequences, scaled"),
            ("pykalman filter", t_filter * scale, f"{k} sequences, scaled"),
            ("pykalman filter + loglik", (t_filter + t_ll) * scale, f"{k} sequences, scaled")]
    print(f"{'filter':<26} {'seconds':>9} {'us/sequence':>12} {'vs batched':>11}  how")
    for name, t, how in rows:
        print(f"{name:<26} {t:>9.3f} {1e6 * t / args.n:>12.1f} {t / t_batch:>10.1f}x  {how}")
    print(f"largest differences from pykalman on {k} sequences: means {err_mean:.1e}, covariances "
          f"{err_cov:.1e}, log-likelihoods {err_ll:.1e}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--T", type=int, default=100)
    ap.add_argument("--d", type=int, default=4)
    ap.add_argument("--p", type=int, default=2)
    ap.add_argument("--ref-sequences", type=int, default=300)
    ap.add_argument("--blas-threads", type=int, default=None)
    args = ap.parse_args(argv)
    print(f"n = {args.n} sequences, T = {args.T}, state d = {args.d}, observations p = {args.p}; "
          f"BLAS threads: {args.blas_threads or 'library default'}; "
          f"load average (1 min) before: {os.getloadavg()[0]:.2f}")
    limit = contextlib.nullcontext()
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(args.blas_threads, user_api="blas")
    with limit:
        run(args)
    print(f"load average (1 min) after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
