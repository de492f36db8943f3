"""Is the learning-rate rule fair to every kind of network? Retrain at multiples of its rate.

The experiment ``lr_check`` (chapter 3) checks the rule lr = c / sqrt(k) against a grid of
rates for the state RNNs of chapters 3 and 4. The same rule trains the bidirectional RNNs of
chapter 5 and the real-input RNNs of chapter 6. This script trains those at
``factor * rule(k)`` for each factor, on the committed experiments' own seeds and data (the
rows of ``results/smoothing.csv`` and ``results/continuous.csv`` at factor 1), and prints, per
network, its held-out loss (cross-entropy in nats per step for the bidirectional networks;
squared error of the standardised state for the real-input ones), what the chapter reports
(total variation to forward-backward; squared error to the grid filter's mean) and steps; then,
per network, how far the rule's held-out loss (factor 1) is above the best of the grid.

    python benchmarks/check_learning_rate.py [--family bi continuous] [--factors 0.5 1 2]
                                             [--bi-sizes 32] [--continuous-sizes 5 20]

Defaults: bidirectional networks with k = 32 units per direction on n = 10,000 sequences of
each HMM of chapter 5 (m = 2, 4, 8); real-input networks with k = 5 and 20 units, both
replicates of chapter 6. Two worker threads. Not a test: it trains some thirty networks
(about 5 minutes on two cores).
"""

from __future__ import annotations

import argparse
import importlib
import time

import pandas as pd

from probrnn.threads import map_threads
from probrnn.training import DEFAULT_RULE

# the modules, not the functions of the same name that probrnn.experiments exports
sm = importlib.import_module("probrnn.experiments.smoothing")
co = importlib.import_module("probrnn.experiments.continuous")


def bi_rows(size: int, factor: float) -> list[dict]:
    """Chapter 5's bidirectional networks with ``size`` units per direction at n = 10,000."""
    points = [p for p in sm.smoothing_points("paper") if p["direction_planned"] == "bi"
              and p["k_planned"] == size and p["n_train"] == 10_000]
    rows = sm.run_group(points, size, "bi", lr=factor * DEFAULT_RULE.learning_rate(size))
    return [dict(family="bi", size=size, network=f"m = {r['m']}", factor=factor,
                 val_loss=r["val_loss"], measure=r["mean_tv"], steps=r["steps"]) for r in rows]


def continuous_rows(size: int, factor: float, data) -> list[dict]:
    """Chapter 6's real-input tanh networks with ``size`` units, both replicates."""
    cfg = co.scale_config("paper", co.CONTINUOUS)
    rows = co.rnn_rows(0, "paper", size, range(cfg["n_reps"]), cfg, _data=data,
                       lr=factor * DEFAULT_RULE.learning_rate(size))
    return [dict(family="continuous", size=size, network=f"rep {r['rep']}", factor=factor,
                 val_loss=r["val_loss"], measure=r["mse_to_grid_mean"], steps=r["steps"])
            for r in rows]


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--family", nargs="+", choices=("bi", "continuous"),
                        default=["bi", "continuous"])
    parser.add_argument("--factors", nargs="+", type=float, default=[0.5, 1.0, 2.0])
    parser.add_argument("--bi-sizes", nargs="+", type=int, default=[32])
    parser.add_argument("--continuous-sizes", nargs="+", type=int, default=[5, 20])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if 1.0 not in args.factors:
        parser.error("--factors must include 1 (the rule itself)")
    if min(args.factors) <= 0:
        parser.error("--factors must be positive")
    jobs = []
    if "continuous" in args.family:
        cfg = co.scale_config("paper", co.CONTINUOUS)
        data = co.growth_test_set(0, cfg["n_test"], cfg["T"], cfg["grid_points"])
        jobs += [(continuous_rows, (k, f, data)) for k in args.continuous_sizes
                 for f in args.factors]
    if "bi" in args.family:
        jobs += [(bi_rows, (k, f)) for k in args.bi_sizes for f in args.factors]
    start = time.perf_counter()
    rows = [r for group in map_threads(lambda fn, a: fn(*a), jobs, args.workers) for r in group]
    table = pd.DataFrame(rows).sort_values(["family", "size", "network", "factor"])
    pd.set_option("display.width", 120)
    print(table.round(5).to_string(index=False))
    key = ["family", "size", "network"]
    best = table.loc[table.groupby(key).val_loss.idxmin()].set_index(key)
    rule = table[table.factor == 1.0].set_index(key)
    summary = pd.DataFrame({"rule above the best": rule.val_loss - best.val_loss,
                            "best factor": best.factor,
                            "measure at the rule": rule.measure,
                            "measure at the best": best.measure})
    print("\nheld-out loss of the rule above the grid's best, per network "
          "(measure: total variation for bi, squared error to the grid mean for continuous):")
    print(summary.round(5).to_string())
    print(f"\n{len(table)} networks in {time.perf_counter() - start:.0f} s")
    return table


if __name__ == "__main__":
    main()
