"""Why the tanh trainer's k x k products go through NumPy: its OpenBLAS against ``torch.bmm``.

:func:`probrnn.training.tanh_bptt._bmm` computes the batched products of a training step with
``np.matmul`` on a CPU. This script times, on one thread, both ways of doing

* the forward product H U^T, (R, n, k) @ (R, k, k);
* the gradient product D^T H, (R, k, n) @ (R, n, k) (a transposed view, as in the trainer);

each added into an accumulator, as the trainer does (``torch.baddbmm_`` before);

for n = 256 rows (the batch) and several k, and then a whole training step at each of
``--step-ks``: a state RNN trained for ``--steps`` steps by :func:`probrnn.fit_state_rnns` (the
held-out evaluations included) with the trainer's products done in float32 by NumPy and by
``torch.bmm``, and in bfloat16 (what the training rule does from 200 units on,
:meth:`probrnn.training.rule.TrainingRule.products_for`).

Usage: python benchmarks/bench_products.py [--ks 50 100 500 1000] [--step-ks 1000] [--steps 60]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import probrnn.training.tanh_bptt as tanh_bptt
from probrnn import HMM, FitTask, fit_state_rnns
from probrnn.threads import compute_threads
from probrnn.training import DEFAULT_RULE


def best_of(fn, repeat=20):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def torch_bmm(a, b, add_to=None):
    """The products as the trainer did them before: torch's batched matmul."""
    return torch.bmm(a, b) if add_to is None else add_to.baddbmm_(a, b)


def step_ms(k, steps, bmm, bf16: bool = False) -> float:
    """Milliseconds per training step of one k-unit state RNN with ``bmm`` as the float32
    products, or (``bf16``) with every k x k product in bfloat16."""
    hmm = HMM.random(5, 10, rng=0)
    states, obs = hmm.sample(4000, 8, rng=1)
    rule = DEFAULT_RULE.with_(max_steps=steps, bf16_from=1) if bf16 else \
        DEFAULT_RULE.with_(max_steps=steps).float32()
    numpy_bmm, tanh_bptt._bmm = tanh_bptt._bmm, bmm
    try:
        start = time.perf_counter()
        [(_, hist)] = fit_state_rnns([FitTask(obs, states, 5, 0)], n_symbols=10,
                                     hidden_size=k, rule=rule)
        return 1000 * (time.perf_counter() - start) / hist.record()["steps"]
    finally:
        tanh_bptt._bmm = numpy_bmm


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ks", type=int, nargs="+", default=[50, 100, 500, 1000])
    ap.add_argument("--step-ks", type=int, nargs="+", default=[1000])
    ap.add_argument("--steps", type=int, default=60)
    args = ap.parse_args(argv)
    g = torch.Generator().manual_seed(0)
    print(f"{'k':>5} {'product':<22} {'numpy (ms)':>11} {'torch (ms)':>11} {'speed-up':>9}")
    with compute_threads(1):
        for k in args.ks:
            h = torch.randn(1, 256, k, generator=g)
            u = torch.randn(1, k, k, generator=g)
            d = torch.randn(1, 256, k, generator=g)
            for name, a, b in (("forward H U^T", h, u), ("gradient D^T H", d.transpose(1, 2), h)):
                acc = torch.zeros(1, a.shape[1], b.shape[2])  # both accumulate, as the trainer
                t_np = best_of(lambda a=a, b=b, acc=acc: tanh_bptt._bmm(a, b, add_to=acc))
                t_torch = best_of(lambda a=a, b=b, acc=acc: torch_bmm(a, b, add_to=acc))
                print(f"{k:>5} {name:<22} {1000 * t_np:>11.3f} {1000 * t_torch:>11.3f} "
                      f"{t_torch / t_np:>8.2f}x", flush=True)
        for k in args.step_ks:
            for name, bmm, bf16 in (("numpy, float32", tanh_bptt._bmm, False),
                                    ("torch.bmm, float32", torch_bmm, False),
                                    ("torch.bmm, bfloat16", tanh_bptt._bmm, True)) * 2:
                print(f"training step, k = {k}, products by {name}: "
                      f"{step_ms(k, args.steps, bmm, bf16):.1f} ms", flush=True)


if __name__ == "__main__":
    main()
