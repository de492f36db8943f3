"""Experiments and figures of the chapter on RNNs and the forward algorithm (Figures 5, 6).

The committed paper-scale tables in results/ are checked two ways: one grid point of each is
retrained alone from the seeds in its row and must give the same numbers, and the claims the
chapter makes about them must hold.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from probrnn.experiments import rnn_forward as fr
from probrnn.figures import rnn_forward as ff

RESULTS = Path(__file__).resolve().parents[1] / "results"


@pytest.fixture(scope="module")
def quick5():
    return fr.fig5("quick")


@pytest.fixture(scope="module")
def quick6():
    return fr.fig6("quick", ms=(2, 4))


def test_fig5_quick_table(quick5):
    assert len(quick5) == 4  # k in {1, 20} x n in {200, 2000}, one HMM
    for col in ("seed", "hmm_seed", "data_seed", "test_seed", "fit_seed", "accuracy",
                "accuracy_ref", "agreement", "agreement_off_ties", "near_tie_share", "mean_tv",
                "excess_log_loss", "accuracy_regret", "accuracy_small", "accuracy_ref_small",
                "agreement_small", "accuracy_gap_se", "rnn_params", "hmm_params",
                # what training did: the training rule's record
                "steps", "stop", "hit_cap", "cap", "lr", "restarts", "val_loss", "train_seconds"):
        assert col in quick5.columns, col
    assert set(quick5.stop) <= {"patience", "cap"}
    assert (quick5.m == 2).all() and (quick5.n_symbols == 3).all() and (quick5["T"] == 8).all()
    # one forward accuracy per HMM: it does not depend on k or n
    assert quick5.accuracy_ref.nunique() == 1
    assert ((quick5.accuracy - quick5.accuracy_ref) <= 3 * quick5.accuracy_gap_se + 1e-12).all()
    assert (quick5.excess_log_loss > -0.01).all()


def test_fig5_subgrid_has_the_same_seeds_and_numbers(quick5):
    one = fr.fig5("quick", ks=[1], ns=[2000])
    row = quick5[(quick5.k == 1) & (quick5.n_train == 2000)].iloc[0]
    for col in ("hmm_seed", "data_seed", "test_seed", "fit_seed"):
        assert one[col].iloc[0] == row[col]
    np.testing.assert_allclose(one.agreement.iloc[0], row.agreement, atol=1e-9)
    np.testing.assert_allclose(one.accuracy.iloc[0], row.accuracy, atol=1e-9)


def test_fig5_seed_changes_the_draw():
    a = fr.fig5_points("quick", seed=0)
    b = fr.fig5_points("quick", seed=1)
    assert a[0]["hmm_seed"] != b[0]["hmm_seed"]


def test_fig6_quick_table(quick6):
    assert list(quick6.m) == [2, 4]
    assert (quick6.k == 20).all()
    np.testing.assert_allclose(quick6.chance, 1 / quick6.m)
    assert (quick6.rnn_params == 20 * 3 + 20 * 20 + 20 + 21 * quick6.m).all()
    assert (quick6.hmm_params == quick6.m ** 2 + 2 * quick6.m - 1).all()


def test_bad_scale_and_subgrid():
    with pytest.raises(ValueError, match="scale must be one of"):
        fr.fig5("huge")
    with pytest.raises(ValueError, match="exceeds the quick pool"):
        fr.fig5_points("quick", ns=[5000])


def test_figures(quick5, quick6):
    fig = fr.fig5_figure(quick5)
    assert isinstance(fig, go.Figure) and fig.layout.meta["alt"]
    n_views = len(fig.layout.updatemenus[0].buttons)
    assert n_views == 2 * quick5.hmm_index.nunique()  # two test sets per HMM draw
    fig = fr.fig6_figure(quick6)
    assert fig.layout.meta["alt"] and {t.name for t in fig.data} >= {
        "forward-algorithm accuracy", "RNN accuracy, k = 20", "stopped at the cap"}
    fig = ff.fig6_measures(quick6)
    assert fig.layout.meta["alt"] and len(fig.data) == 5
    fig = ff.fig5_spread(quick5)
    assert fig.layout.meta["alt"]
    with pytest.raises(ValueError, match="needs columns"):
        ff.fig6_accuracy(quick5.drop(columns=["chance"]))


def test_posterior_scatter_and_heatmaps():
    rng = np.random.default_rng(0)
    panels = {f"k = {k}": {n: (rng.random(20), rng.random(20)) for n in (10, 100)}
              for k in (1, 2)}
    fig = ff.posterior_scatter(panels)
    assert len(fig.layout.sliders[0].steps) == 2
    vis = fig.layout.sliders[0].steps[1].args[0]["visible"]
    assert vis == [False, True, True, False, True, True]
    with pytest.raises(ValueError, match="slider values"):
        ff.posterior_scatter({"a": {1: (np.ones(2), np.ones(2))}, "b": {2: (np.ones(2),
                                                                           np.ones(2))}})
    grid = pd.DataFrame([dict(m=m, k=k, n_train=n, agreement=0.9, mean_tv=0.01)
                         for m in (2, 3) for k in (1, 4) for n in (10, 100)])
    fig = ff.grid_heatmaps(grid)
    assert len(fig.layout.updatemenus[0].buttons) == 2 and len(fig.data) == 4


def test_train_and_compare_and_near_memoryless():
    hmm = fr.near_memoryless_hmm(0.02)
    np.testing.assert_allclose(hmm.transmat, [[0.52, 0.48], [0.48, 0.52]])
    res = fr.train_and_compare(hmm, k=2, n=500, seed=3, n_test=300, max_steps=60)
    assert res["proba"].shape == res["filtered"].shape == (300, 8, 2)
    assert set(res["metrics"]) >= {"agreement", "mean_tv", "excess_log_loss"}
    assert res["history"].record()["steps"] <= 60
    fig = ff.rnn_vs_forward(res["filtered"], res["proba"], res["metrics"])
    assert fig.layout.meta["alt"]


# ---------------------------------------------------------------------- committed results


def _committed(name):
    path = RESULTS / f"{name}.csv"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run python -m probrnn reproduce {name} --scale paper "
                    "--out results")
    return pd.read_csv(path)


def test_committed_fig5_point_regenerates():
    df = _committed("fig5")
    row = df[(df.part == "grid") & (df.k == 1) & (df.n_train == 20000)].iloc[0]
    again = fr.recompute_row(row)
    for col in ("accuracy", "accuracy_ref", "agreement", "agreement_off_ties", "agreement_small"):
        assert again[col] == pytest.approx(row[col], abs=2e-3), col
    assert again["accuracy_ref"] == pytest.approx(row["accuracy_ref"], abs=1e-12)
    assert again["steps"] == row["steps"] and again["stop"] == row["stop"]


def test_committed_fig6_point_regenerates():
    df = _committed("fig6")
    row = df[(df.m == 2) & (df.k == 20)].iloc[0]
    again = fr.recompute_row(row)
    for col in ("accuracy", "accuracy_ref", "agreement", "mean_tv"):
        assert again[col] == pytest.approx(row[col], abs=2e-3), col


def test_committed_lr_check_point_regenerates():
    df = _committed("lr_check")
    row = df[(df.k == 1) & (df.lr_factor == 2.0)].iloc[0]
    again = fr.recompute_row(row)
    assert again["val_loss"] == pytest.approx(row["val_loss"], abs=1e-4)


def test_committed_results_support_the_chapter_claims():
    df5, df6 = _committed("fig5"), _committed("fig6")
    assert set(df5.k[df5.part == "grid"]) == {1, 20, 100}
    k1 = df5[(df5.part == "grid") & (df5.k == 1) & (df5.n_train == 20000)]
    assert len(k1) >= 3
    assert k1.agreement_off_ties.median() >= 0.97
    assert (k1.accuracy_ref - k1.accuracy).abs().median() <= 0.01
    for df in (df5, df6):  # no network beats the forward algorithm beyond sampling error
        assert ((df.accuracy - df.accuracy_ref) < 3 * df.accuracy_gap_se + 1e-12).all()
        assert not df.hit_cap.any() and set(df.stop) == {"patience"}  # all converged
    assert sorted(set(df6.m)) == [2 ** i for i in range(1, 10)] and set(df6.k) == {20, 100}
    k20 = df6[df6.k == 20].set_index("m")
    assert k20.agreement.loc[2] >= 0.98 and k20.agreement.loc[512] < 0.5
    assert (df6.accuracy_regret < 0.01).all()  # disagreements cost almost no accuracy
    for name in ("fig5", "fig6", "lr_check"):
        assert (RESULTS / f"{name}.json").is_file()
