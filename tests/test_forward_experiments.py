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
    for col in ("seed", "hmm_seed", "data_seed", "test_seed", "fit_seed", "acc_rnn", "acc_fwd",
                "agree", "agree_nontie", "tie_frac", "mean_tv", "excess_logloss", "acc_rnn_100",
                "acc_fwd_100", "agree_100", "acc_diff_se", "rnn_params", "hmm_params", "steps"):
        assert col in quick5.columns, col
    assert (quick5.m == 2).all() and (quick5.n_symbols == 3).all() and (quick5["T"] == 8).all()
    # one forward accuracy per HMM: it does not depend on k or n
    assert quick5.acc_fwd.nunique() == 1
    assert ((quick5.acc_rnn - quick5.acc_fwd) <= 3 * quick5.acc_diff_se + 1e-12).all()
    assert (quick5.excess_logloss > -0.01).all()


def test_fig5_subgrid_has_the_same_seeds_and_numbers(quick5):
    one = fr.fig5("quick", ks=[1], ns=[2000])
    row = quick5[(quick5.k == 1) & (quick5.n_train == 2000)].iloc[0]
    for col in ("hmm_seed", "data_seed", "test_seed", "fit_seed"):
        assert one[col].iloc[0] == row[col]
    np.testing.assert_allclose(one.agree.iloc[0], row.agree, atol=1e-9)
    np.testing.assert_allclose(one.acc_rnn.iloc[0], row.acc_rnn, atol=1e-9)


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
    assert fig.layout.meta["alt"] and len(fig.data) == 6
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
    grid = pd.DataFrame([dict(m=m, k=k, n_train=n, agree=0.9, mean_tv=0.01)
                         for m in (2, 3) for k in (1, 4) for n in (10, 100)])
    fig = ff.grid_heatmaps(grid)
    assert len(fig.layout.updatemenus[0].buttons) == 2 and len(fig.data) == 4


def test_train_and_compare_and_near_memoryless():
    hmm = fr.near_memoryless_hmm(0.02)
    np.testing.assert_allclose(hmm.transmat, [[0.52, 0.48], [0.48, 0.52]])
    res = fr.train_and_compare(hmm, k=2, n=500, seed=3, n_test=300, steps=30)
    assert res["proba"].shape == res["filtered"].shape == (300, 8, 2)
    assert set(res["metrics"]) >= {"agree", "mean_tv", "excess_logloss"}
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
    for col in ("acc_rnn", "acc_fwd", "agree", "agree_nontie", "agree_100"):
        assert again[col] == pytest.approx(row[col], abs=2e-3), col
    assert again["acc_fwd"] == pytest.approx(row["acc_fwd"], abs=1e-12)


def test_committed_fig6_point_regenerates():
    df = _committed("fig6")
    row = df[df.m == 2].iloc[0]
    again = fr.recompute_row(row)
    for col in ("acc_rnn", "acc_fwd", "agree"):
        assert again[col] == pytest.approx(row[col], abs=2e-3), col


def test_committed_results_support_the_chapter_claims():
    df5, df6 = _committed("fig5"), _committed("fig6")
    assert set(df5.k[df5.part == "grid"]) == {1, 20, 100}
    k1 = df5[(df5.part == "grid") & (df5.k == 1) & (df5.n_train == 20000)]
    assert len(k1) >= 3
    assert k1.agree_nontie.median() >= 0.97
    assert (k1.acc_fwd - k1.acc_rnn).abs().median() <= 0.01
    for df in (df5, df6):  # no network beats the forward algorithm beyond sampling error
        assert ((df.acc_rnn - df.acc_fwd) < 3 * df.acc_diff_se + 1e-12).all()
    assert list(df6.m) == [2 ** i for i in range(1, 10)] and (df6.k == 20).all()
    assert df6.agree.iloc[0] >= 0.99 and df6.agree.iloc[-1] < 0.5
    for name in ("fig5", "fig6"):
        assert (RESULTS / f"{name}.json").is_file()
