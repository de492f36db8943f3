"""Were the committed networks trained to convergence? Retrain some rows with a generous budget.

The book's results come from one training rule (``probrnn.training.DEFAULT_RULE``): early
stopping with patience, under a cap. This script takes rows of the committed tables (by default
the largest networks of Figures 5 and 7), retrains each from the seeds and data its row records
with a far more generous rule (patience and plateau multiplied, the same learning rate, the same
cap), and prints the committed and the retrained agreement, total variation, steps and held-out
loss (nats per step) side by side. If the rule stopped too early, the generous retraining lowers
the held-out loss and moves agreement by more than the tolerance (default 0.01).

``--fp32`` retrains in float32 throughout (the rule computes the products of networks of 200
units or more in bfloat16, :meth:`probrnn.training.rule.TrainingRule.products_for`), so that
the check is independent of that rounding too.

Usage: python benchmarks/check_convergence.py [--results results] [--factor 3] [--tol 0.01]
       [--fp32]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from probrnn.experiments import particle_filters as pe
from probrnn.experiments import rnn_forward as fr
from probrnn.experiments.common import load_results
from probrnn.metrics import compare_posteriors
from probrnn.training import DEFAULT_RULE, FitTask, fit_state_rnns


def generous_rule(factor: int, fp32: bool = False):
    """The book's rule with ``factor`` times its patience and plateau (and, if ``fp32``, every
    product in float32)."""
    rule = DEFAULT_RULE.with_(patience=DEFAULT_RULE.patience * factor,
                              plateau=DEFAULT_RULE.plateau * factor)
    return rule.float32() if fp32 else rule


def retrain_fig5(row, rule) -> dict:
    """A Figure 5 row retrained alone under ``rule``."""
    point = {key: (row[key] if isinstance(row[key], str) else int(row[key]))
             for key in fr.POINT_KEYS if key in row}
    hmm, obs, states, tobs, tst = fr.point_data(point)
    n = point["n_train"]
    [(net, hist)] = fit_state_rnns([FitTask(obs[:n], states[:n], point["m"], point["fit_seed"])],
                                   n_symbols=point["n_symbols"], hidden_size=int(row["k"]),
                                   rule=rule)
    met = compare_posteriors(net.predict_proba(tobs), hmm.filter(tobs), tst)
    return _with_fit(met, hist)


def retrain_fig7(row, rule) -> dict:
    """A Figure 7 RNN row retrained alone under ``rule``."""
    seed, d, rep, n = (int(row[c]) for c in ("seed", "d", "rep", "n_train"))
    hmm, states, obs, fwd = pe.evaluation_set(seed, int(row["n_test"]))
    st, ob = pe.training_pool(hmm, seed, rep, n)
    [(net, hist)] = fit_state_rnns([FitTask(ob, st, pe.M_STATES, int(row["run_seed"]))],
                                   n_symbols=pe.N_SYMBOLS, hidden_size=d, rule=rule)
    met = pe.state_metrics(net.predict_proba(obs), fwd, states, int(row["tie_seed"]))
    return _with_fit(met, hist)


# what the checks print for each row: name -> column of the tables
COMPARED = {"agreement": "agreement", "off_ties": "agreement_off_ties", "mean_tv": "mean_tv",
            "steps": "steps", "val_loss": "val_loss"}


def side_by_side(row, again: dict, suffix: str, compared=COMPARED) -> dict:
    """Each compared value of a committed ``row`` beside the retrained one (``name + suffix``)."""
    out = {}
    for name, col in compared.items():
        out[name] = int(row[col]) if col == "steps" else row[col]
        out[name + suffix] = again[col]
    return out


def print_last(rows: list[dict]) -> None:
    """Print the newest row as it comes (the header with the first)."""
    print(pd.DataFrame(rows[-1:]).round(5).to_string(index=False, header=len(rows) == 1),
          flush=True)


def _with_fit(metrics: dict, hist) -> dict:
    """The metrics with the fit's steps and held-out loss."""
    record = hist.record()
    return dict(metrics, steps=record["steps"], val_loss=record["val_loss"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", default=None,
                        help="folder of the tables (default: the committed results/)")
    parser.add_argument("--factor", type=int, default=3)
    parser.add_argument("--tol", type=float, default=0.01)
    parser.add_argument("--tables", nargs="+", choices=("fig5", "fig7"), default=["fig5", "fig7"],
                        help="which figures' largest networks to retrain (default: both)")
    parser.add_argument("--draws", nargs="+", type=int, default=None,
                        help="only these HMM draws (Figure 5) or replicates (Figure 7)")
    parser.add_argument("--fp32", action="store_true",
                        help="retrain with every product in float32 (no bfloat16)")
    args = parser.parse_args(argv)
    rule = generous_rule(args.factor, args.fp32)
    if args.results:  # a folder written by `python -m probrnn reproduce ... --out FOLDER`
        fig5, fig7 = (pd.read_csv(Path(args.results) / f"{n}.csv") for n in ("fig5", "fig7"))
    else:
        fig5, fig7 = load_results("fig5"), load_results("fig7")
    jobs = []
    big5 = fig5[(fig5.part == "grid") & (fig5.k == fig5.k.max()) & (fig5.n_train == 20000)]
    if args.draws is not None:
        big5 = big5[big5.hmm_index.isin(args.draws)]
    if "fig5" in args.tables:
        jobs += [("fig5", r, retrain_fig5) for _, r in big5.iterrows()]
    big7 = fig7[(fig7.kind == "rnn") & (fig7.part == "grid") & (fig7.d == fig7.d.max())]
    if args.draws is not None:
        big7 = big7[big7.rep.isin(args.draws)]
    if "fig7" in args.tables:
        jobs += [("fig7", r, retrain_fig7) for _, r in big7.iterrows()]
    rows = []
    for name, row, fn in jobs:
        start = time.perf_counter()
        again = fn(row, rule)
        size = int(row["k"]) if name == "fig5" else int(row["d"])
        rows.append(dict(table=name, size=size, draw=int(row.get("hmm_index", row.get("rep", 0))),
                         **side_by_side(row, again, "_generous"),
                         seconds=round(time.perf_counter() - start)))
        print_last(rows)
    table = pd.DataFrame(rows)
    worst = (table.agreement_generous - table.agreement).abs().max()
    off = (table.off_ties_generous - table.off_ties).abs().max()
    tv = (table.mean_tv_generous - table.mean_tv).abs().max()
    gain = (table.val_loss - table.val_loss_generous).max()
    print(f"\nlargest change in agreement: {worst:.4f} (tolerance {args.tol}); off near-ties: "
          f"{off:.4f}; in mean total variation: {tv:.4f}; patience and plateau "
          f"x{args.factor}: {rule.patience} and {rule.plateau} evaluations (times "
          f"sqrt(k / {rule.wide_from}) above k = {rule.wide_from}); products from k = "
          f"{rule.bf16_from or 'never'} in bfloat16; largest fall of the "
          f"held-out loss: {gain:.5f} nats")
    return table


if __name__ == "__main__":
    main()
