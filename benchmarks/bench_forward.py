"""Benchmark: probrnn's batched forward algorithm against hmmlearn's forward pass.

    python benchmarks/bench_forward.py [--n 10000] [--T 8] [--m 2 64 512]

For each m: a random HMM with 10 symbols, n sequences of length T; times ``hmm.filter`` (all
posteriors p(H_t | x_1..t), batched) and hmmlearn's ``score`` (its forward pass, per sequence in
C++), with hmmlearn's "scaling" and "log" implementations; prints the ratio to the faster one.
At the largest m it also measures this machine's float64 matmul rate, and reports the fraction of
it that ``filter`` reaches (its flop count is the 2 n (T - 1) m^2 of the matrix products).
Not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from probrnn import HMM


def best_of(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def matmul_gflops(n, m, repeat=5):
    rng = np.random.default_rng(0)
    a, b = rng.random((n, m)), rng.random((m, m))
    out = np.empty((n, m))
    t = best_of(lambda: np.matmul(a, b, out=out), repeat)
    return 2 * n * m * m / t / 1e9


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--T", type=int, default=8)
    ap.add_argument("--K", type=int, default=10)
    ap.add_argument("--m", type=int, nargs="+", default=[2, 64, 512])
    args = ap.parse_args(argv)
    print(f"n = {args.n} sequences, T = {args.T}, K = {args.K} symbols; best of 3 (hmmlearn: 1 run)")
    print(f"{'m':>5} {'probrnn (s)':>12} {'hmmlearn scaling (s)':>21} {'hmmlearn log (s)':>17} "
          f"{'speed-up':>9} {'GFLOP/s':>8}")
    for m in args.m:
        hmm = HMM.random(m, args.K, rng=m)
        _, obs = hmm.sample(args.n, args.T, rng=m + 1)
        t_ours = best_of(lambda hmm=hmm, obs=obs: hmm.filter(obs))
        X, lengths = obs.reshape(-1, 1), [args.T] * args.n
        times = {}
        for impl in ("scaling", "log"):
            ref = hmm.to_hmmlearn()
            ref.implementation = impl
            t0 = time.perf_counter()
            score = ref.score(X, lengths)
            times[impl] = time.perf_counter() - t0
            assert np.isclose(score, hmm.log_likelihood(obs).sum(), rtol=1e-8), "results differ"
        ratio = min(times.values()) / t_ours
        gflops = 2 * args.n * (args.T - 1) * m * m / t_ours / 1e9
        print(f"{m:>5} {t_ours:>12.4f} {times['scaling']:>21.3f} {times['log']:>17.3f} "
              f"{ratio:>8.1f}x {gflops:>8.1f}")
    m = max(args.m)
    peak = matmul_gflops(args.n, m)
    print(f"float64 matmul ({args.n} x {m}) @ ({m} x {m}) on this machine: {peak:.1f} GFLOP/s; "
          f"filter at m = {m} reaches {gflops / peak:.0%} of it")


if __name__ == "__main__":
    main()
