"""Does training in bfloat16 change the book's results? Retrain its bfloat16 rows in float32.

The training rule computes the k x k products of the hand-written gradient in bfloat16 from
``bf16_from`` (200) hidden units on (:meth:`probrnn.training.rule.TrainingRule.products_for`).
This script takes the rows of a committed table that were trained that way (``products ==
"bfloat16"``), retrains each from the seeds and data its row records with the same rule in
float32, and prints agreement, total variation, steps and held-out loss side by side, with the
largest differences. A difference far beyond the differences between replicates would mean
the rounding changed what the networks learn.

Usage: python benchmarks/check_precision.py [--results results] [--d 200 500 1000] [--reps 0 1 2]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from check_convergence import COMPARED, print_last, retrain_fig7, side_by_side

from probrnn.experiments.common import load_results
from probrnn.training import DEFAULT_RULE


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", default=None,
                        help="folder of the tables (default: the committed results/)")
    parser.add_argument("--d", nargs="+", type=int, default=None,
                        help="only these sizes of Figure 7 (default: every bfloat16 row)")
    parser.add_argument("--reps", nargs="+", type=int, default=None,
                        help="only these replicates")
    args = parser.parse_args(argv)
    fig7 = (pd.read_csv(Path(args.results) / "fig7.csv") if args.results
            else load_results("fig7"))
    if "products" not in fig7:
        raise SystemExit("this fig7 table has no 'products' column: it predates bfloat16 "
                         "training (every row was trained in float32)")
    rows = fig7[(fig7.kind == "rnn") & (fig7.products == "bfloat16")]
    if args.d is not None:
        rows = rows[rows.d.isin(args.d)]
    if args.reps is not None:
        rows = rows[rows.rep.isin(args.reps)]
    if rows.empty:
        raise SystemExit("no bfloat16 rows match --d / --reps")
    rule = DEFAULT_RULE.float32()  # float32 products throughout
    compared = {k: v for k, v in COMPARED.items() if k != "off_ties"}
    out = []
    for _, row in rows.sort_values(["d", "part", "n_train", "rep"]).iterrows():
        start = time.perf_counter()
        again = retrain_fig7(row, rule)
        out.append(dict(part=row["part"], d=int(row["d"]), rep=int(row["rep"]),
                        n_train=int(row["n_train"]), **side_by_side(row, again, "_fp32", compared),
                        seconds=round(time.perf_counter() - start)))
        print_last(out)
    table = pd.DataFrame(out)
    same = table.steps == table.steps_fp32
    print(f"\n{len(table)} rows; {int(same.sum())} stopped at the same step in float32. "
          f"Largest differences, all rows: agreement "
          f"{(table.agreement - table.agreement_fp32).abs().max():.4f}, total variation "
          f"{(table.mean_tv - table.mean_tv_fp32).abs().max():.4f}, held-out loss "
          f"{(table.val_loss - table.val_loss_fp32).abs().max():.5f} nats"
          + ("" if not same.any() else
             f"; rows that stopped at the same step: held-out loss "
             f"{(table.val_loss - table.val_loss_fp32)[same].abs().max():.5f} nats"))
    return table


if __name__ == "__main__":
    main()
