"""The display tables that chapters 3 and 4 build through ``probrnn.figures`` (moved out of
the chapters so that their code cells stay short; the limit is in test_notebooks_clean.py)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from probrnn.experiments.common import load_results
from probrnn.figures import particle_filters as pff
from probrnn.figures import rnn_forward as ff

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = ["03_rnn_forward.ipynb", "04_particle_filters.ipynb"]


# --------------------------------------------------------------------------- chapter 3
def _draws(n=3):
    return pd.DataFrame({"hmm_index": range(n), "accuracy": np.linspace(0.8, 0.9, n),
                         "accuracy_ref": 0.9, "agreement": 0.97123456, "agreement_off_ties": 0.99,
                         "mean_tv": 0.01, "steps": [100, 200, 300][:n], "stop": "patience",
                         "n_train": 20000})


def test_per_draw_table_has_one_column_per_draw():
    table = ff.per_draw_table(_draws())
    assert list(table.index) == ff.PER_DRAW_ROWS and list(table.columns) == [0, 1, 2]
    assert table.loc["agreement", 1] == 0.9712 and table.loc["steps", 2] == 300
    assert table.loc["stop", 0] == "patience"
    with pytest.raises(ValueError, match="one row per HMM draw"):
        ff.per_draw_table(pd.concat([_draws(), _draws()]))
    with pytest.raises(ValueError, match="lacks the columns"):
        ff.per_draw_table(_draws().drop(columns="mean_tv"))


def _fig5_grid():
    rows = []
    for h in range(3):
        for k in (1, 20, 100):
            for n in (100, 20000):
                rows.append(dict(hmm_index=h, k=k, n_train=n,
                                 agreement_small=1.0 - 0.01 * h * (k > 1),
                                 agreement_off_ties=0.99 + 0.001 * h + 0.00001 * k,
                                 excess_log_loss=0.001 * k + 0.01 * (n == 100)))
    return pd.DataFrame(rows)


def test_fig5_claims_table():
    table = ff.fig5_claims_table(_fig5_grid())
    assert table.shape == (7, 2)
    assert list(table.columns) == ["paper (one HMM, 100 test sequences)",
                                   "ours (range over 3 draws, or median)"]
    ours = table.iloc[:, 1]
    assert ours.iloc[0] == "1.000 to 1.000"  # k = 1 on 100 sequences
    assert ours.iloc[1] == "0.980 to 1.000"  # k = 20 and 100
    assert ours.iloc[3] == "0.990 to 0.993"  # k = 20, 100 off near-ties: 0.9902 to 0.993
    assert ours["n <= 500, k = 100: agreement off near-ties | excess log-loss"] == "0.992 | 0.1100"
    assert table.iloc[0, 0] == '1 ("exactly the same")'
    with pytest.raises(ValueError, match="k = 1, 20 and 100"):
        ff.fig5_claims_table(_fig5_grid().query("k != 20 or n_train > 500"))


def _fig6_table():
    rows = []
    for k in (20, 100):
        for m in (2, 4, 64, 512):
            rows.append(dict(m=m, k=k, hmm_params=m * m + 3 * m, rnn_params=k * k + 10 * k + m * k,
                             accuracy=0.9 - m / 1000, accuracy_ref=0.91 - m / 1000,
                             accuracy_gap_se=0.01, agreement=1 - m / 1024,
                             near_tie_share=m / 600, accuracy_regret=0.0001 * m / 512))
    return pd.DataFrame(rows)


def test_fig6_claims_table():
    df = _fig6_table()
    table = ff.fig6_claims_table(df)
    assert list(table.index) == list(ff.FIG6_ROWS) and list(table.columns) == ["paper (Figure 6)",
                                                                                "ours"]
    assert table.ours["forward accuracy"] == "0.908 at m = 2 to 0.3980 at 512"
    assert table.ours["parameters"] == "RNN (k = 20) smaller than the HMM from m = 64"
    assert table.ours["near-ties"] == "over half the steps are near-ties from m = 512"
    assert table.ours["accuracy lost to disagreements"] == "at most 0.0001 at any m and k"
    assert table.ours["agreement"].startswith("k = 20: 0.998 to 0.500; k = 100:")
    with pytest.raises(ValueError, match="k = 20 and 100"):
        ff.fig6_claims_table(df[df.k == 20])


def test_claims_tables_of_the_committed_results():
    fig5 = load_results("fig5")
    assert ff.fig5_claims_table(fig5[fig5.part == "grid"]).shape == (7, 2)
    assert ff.fig6_claims_table(load_results("fig6")).shape == (6, 2)
    fig7 = load_results("fig7")
    assert pff.fig7_claims_table(fig7[fig7.part == "grid"]).shape == (3, 2)


# --------------------------------------------------------------------------- chapter 4
def _fig7_grid():
    rows = []
    for d, (rnn, pf) in {1: (0.9, 0.5), 5: (0.95, 0.8), 20: (0.97, 0.99)}.items():
        for rep in range(2):
            rows += [dict(kind="rnn", d=d, rep=rep, agreement=rnn, accuracy=0.8, accuracy_ref=0.81),
                     dict(kind="pf", d=d, rep=rep, agreement=pf,
                          accuracy=0.79 + 0.01 * rep + 0.02 * (d == 20), accuracy_ref=0.81)]
    return pd.DataFrame(rows)


def test_fig7_claims_table():
    table = pff.fig7_claims_table(_fig7_grid())
    assert list(table.index) == list(pff.FIG7_ROWS) and list(table.columns) == ["paper", "ours"]
    se = np.sqrt(0.81 * 0.19 / 8000)
    assert table.ours.iloc[0] == "accuracy: 2 of 3 sizes; agreement: up to d = 5"
    assert table.ours.iloc[1] == "PF agreement 0.990 at d = 20"
    assert table.ours.iloc[2] == f"forward 0.810, best mean 0.815 (s.e. {se:.3f})"
    with pytest.raises(ValueError, match="both kinds"):
        pff.fig7_claims_table(_fig7_grid().query("kind == 'pf'"))


def test_copies_table():
    w = np.array([1.0, 3.0])
    counts = {"systematic": np.array([[0, 2], [1, 1]]), "multinomial": np.array([[2, 0], [0, 2]])}
    table = pff.copies_table(w, counts)
    assert list(table.columns) == ["expected", "mean (systematic)", "mean (multinomial)",
                                   "var (systematic)", "var (multinomial)"]
    assert np.allclose(table["expected"], [0.5, 1.5])
    assert np.allclose(table["mean (systematic)"], [0.5, 1.5])
    assert np.allclose(table["var (systematic)"], [0.25, 0.25])
    assert np.allclose(table["var (multinomial)"], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"shape \(R, M\) with M = 2"):
        pff.copies_table(w, {"systematic": np.zeros((3, 3))})
    with pytest.raises(ValueError, match="non-empty dict"):
        pff.copies_table(w, {})
    with pytest.raises(ValueError, match="nonnegative"):
        pff.copies_table([-1.0, 2.0], counts)


def test_lr_check_axis_names_the_rule_the_table_was_computed_with():
    from probrnn.figures.rnn_forward import lr_check_figure
    from probrnn.training import DEFAULT_RULE

    lr = load_results("lr_check")
    title = lr_check_figure(lr).layout.xaxis.title.text
    assert f"the rule {DEFAULT_RULE.lr_scale:.3g} / sqrt(k)" in title
    doubled = lr.assign(lr=2 * lr.lr)  # a table computed under a rule twice as fast
    assert "the rule 0.06 / sqrt(k)" in lr_check_figure(doubled).layout.xaxis.title.text
    assert lr_check_figure(lr.drop(columns="lr")).layout.xaxis.title.text.endswith("the rule")
