"""The predictive experiment: quick scale through the CLI, reproducibility of a grid point, the
committed paper-scale table (one point regenerated, the chapter's claims), and its pieces
against independent references."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from probrnn import HMM
from probrnn.__main__ import main
from probrnn.experiments.rnn_generative import (
    SCALES,
    fit_baum_welch,
    memoryless_cross_entropy,
    predictive,
    predictive_figure,
    predictive_point,
    sticky_hmm,
    summarize,
)
from probrnn.metrics import next_symbol_cross_entropy as conditional_cross_entropy

RESULTS = Path(__file__).resolve().parents[1] / "results"


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("quick")
    assert main(["reproduce", "predictive", "--scale", "quick", "--out", str(out)]) == 0
    return out


def test_quick_scale_through_the_cli(quick):
    df = pd.read_csv(quick / "predictive.csv")
    cfg = SCALES["quick"]
    assert len(df) == len(cfg.ms) * len(cfg.ns) * cfg.replicates * 2
    assert set(df.predictor) == {"rnn", "baum_welch"}
    for col in ("hmm_seed", "data_seed", "rnn_seed", "bw_seed", "seed", "excess_ce", "ce",
                "ce_optimal", "ce_memoryless", "seconds"):
        assert df[col].notna().all(), col
    np.testing.assert_allclose(df.excess_ce, df.ce - df.ce_optimal, atol=1e-12)
    # on average the excess is a KL divergence: it cannot be clearly negative
    assert (df.excess_ce > -0.005).all()
    meta = json.loads((quick / "predictive.json").read_text())
    assert meta["scale"] == "quick" and meta["rows"] == len(df)
    assert (quick / "predictive.html").stat().st_size > 0


def test_a_grid_point_recomputed_alone_matches_the_sweep(quick):
    df = pd.read_csv(quick / "predictive.csv")
    point = predictive_point(2, 100, 0, scale="quick")
    ref = df[(df.m == 2) & (df.n == 100)].set_index("predictor")
    for _, row in point.iterrows():
        assert row.excess_ce == pytest.approx(ref.loc[row.predictor, "excess_ce"], abs=1e-10)
        assert row.rnn_seed == ref.loc[row.predictor, "rnn_seed"]


def test_committed_paper_table_regenerates_one_grid_point():
    committed = pd.read_csv(RESULTS / "predictive.csv")
    meta = json.loads((RESULTS / "predictive.json").read_text())
    assert meta["scale"] == "paper" and meta["rows"] == len(committed)
    point = predictive_point(2, 30, 0, scale="paper")
    ref = committed[(committed.m == 2) & (committed.n == 30) & (committed.replicate == 0)]
    ref = ref.set_index("predictor")
    for _, row in point.iterrows():
        for col in ("ce_optimal", "ce", "excess_ce"):
            assert row[col] == pytest.approx(ref.loc[row.predictor, col], abs=1e-6), col


def test_committed_paper_table_supports_the_chapter_claims():
    df = pd.read_csv(RESULTS / "predictive.csv")
    cfg = SCALES["paper"]
    assert len(df) == len(cfg.ms) * len(cfg.ns) * cfg.replicates * 2
    means = summarize(df).pivot_table(index=["m", "n"], columns="predictor", values="mean")
    rnn = means["rnn"].unstack("n")
    assert (rnn[max(cfg.ns)] < rnn[min(cfg.ns)]).all()
    assert rnn.loc[2, max(cfg.ns)] < 0.01


def test_cross_entropies_against_direct_computation():
    hmm = sticky_hmm(3, 3, rng=0)
    _, obs = hmm.sample(50, 7, rng=1)
    probs = hmm.predict_next(obs)
    direct = -np.mean([np.log(probs[i, t, obs[i, t + 1]]) for i in range(50) for t in range(6)])
    assert conditional_cross_entropy(probs, obs) == pytest.approx(direct, abs=1e-12)
    marg = [hmm.startprob @ np.linalg.matrix_power(hmm.transmat, t) @ hmm.emissionprob
            for t in range(7)]
    direct = -np.mean([np.log(marg[t + 1][obs[i, t + 1]]) for i in range(50) for t in range(6)])
    assert memoryless_cross_entropy(hmm, obs) == pytest.approx(direct, abs=1e-12)
    # the memoryless predictor is worse than the optimum on a sticky chain
    assert memoryless_cross_entropy(hmm, obs) > conditional_cross_entropy(probs, obs)


def test_baum_welch_fit_recovers_a_two_state_hmm():
    hmm = HMM([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], [[0.8, 0.1, 0.1], [0.1, 0.2, 0.7]])
    _, train = hmm.sample(500, 20, rng=0)
    _, test = hmm.sample(500, 20, rng=1)
    fitted, info = fit_baum_welch(train, 2, 3, seed=0, n_iter=100, tol=1e-4)
    excess = (conditional_cross_entropy(fitted.predict_next(test), test)
              - conditional_cross_entropy(hmm.predict_next(test), test))
    assert 0 <= excess + 1e-3 and excess < 0.01
    assert info["iterations"] >= 1
    assert fitted.emissionprob.min() > 0  # floored: no test sequence has probability zero


def test_scaling_baum_welch_is_hmmlearns_default_fit():
    from hmmlearn.hmm import CategoricalHMM

    _, train = sticky_hmm(4, 3, rng=2).sample(200, 15, rng=3)
    X, lengths = train.reshape(-1, 1), [15] * 200
    fits = [CategoricalHMM(n_components=4, n_features=3, n_iter=8, tol=-np.inf, random_state=5,
                           implementation=impl).fit(X, lengths) for impl in ("log", "scaling")]
    for attr in ("startprob_", "transmat_", "emissionprob_"):
        np.testing.assert_allclose(getattr(fits[0], attr), getattr(fits[1], attr), atol=1e-8)


def test_restarts_keep_the_best_training_likelihood():
    hmm = HMM([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], [[0.8, 0.1, 0.1], [0.1, 0.2, 0.7]])
    _, train = hmm.sample(300, 20, rng=0)
    one = fit_baum_welch(train, 2, 3, seed=0, n_iter=30, tol=1e-2, restarts=1)[1]
    best = fit_baum_welch(train, 2, 3, seed=0, n_iter=30, tol=1e-2, restarts=4)[1]
    assert best["train_loglik"] >= one["train_loglik"] - 1e-9  # restart 0 is the same start
    assert 0 <= best["best_restart"] < 4


def test_sticky_hmm():
    a, b = sticky_hmm(5, 3, rng=7), sticky_hmm(5, 3, rng=7)
    np.testing.assert_array_equal(a.transmat, b.transmat)
    assert np.all(np.diag(a.transmat) >= 0.9)
    with pytest.raises(ValueError, match="stay"):
        sticky_hmm(3, 3, stay=1.5)
    with pytest.raises(ValueError, match="emission_concentration"):
        sticky_hmm(3, 3, emission_concentration=0)


def test_figure_has_one_slider_step_per_m(quick):
    df = pd.read_csv(quick / "predictive.csv")
    fig = predictive_figure(df)
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == [str(m) for m in sorted(df.m.unique())]
    for i, step in enumerate(steps):
        vis = step.args[0]["visible"]
        assert len(vis) == len(fig.data) and any(vis)
        shown = {fig.data[j].name for j, v in enumerate(vis) if v}
        assert any("RNN" in name for name in shown)
        if i:
            assert vis != steps[0].args[0]["visible"]
    assert fig.layout.meta["alt"]


def test_bad_inputs_raise_value_errors():
    with pytest.raises(ValueError, match="unknown scale"):
        predictive(scale="huge")
    with pytest.raises(ValueError, match="not on the 'quick' grid"):
        predictive_point(2, 123, scale="quick")
    with pytest.raises(ValueError, match="not on the 'quick' grid"):
        predictive(scale="quick", ns=[7])


def test_live_widget_wires_m_k_n_to_the_comparison(monkeypatch):
    monkeypatch.setenv("PROBRNN_STATIC", "0")  # a reader's session: build the live widgets
    from probrnn.widgets.rnn_generative import predictive_widget

    box = predictive_widget()
    sliders = box.children[0].children
    assert [sl.description for sl in sliders] == ["HMM states m", "RNN units k",
                                                  "training sequences n"]
    assert tuple(sliders[0].options) == SCALES["paper"].ms
