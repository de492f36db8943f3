"""The experiment ``smoothing`` (chapter 5): bidirectional and one-directional RNNs against
forward-backward, the filter-smoother gap, their figures and the live control's training."""

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from probrnn.experiments import REGISTRY
from probrnn.experiments.smoothing import (
    experiment_hmm,
    score,
    smoothing,
    smoothing_figure,
    smoothing_gap,
    smoothing_points,
    train_bi_and_uni,
)
from probrnn.figures.smoothing import accuracy_ceiling, smoothing_sliders, true_state_probability
from probrnn.hmm.enumeration import brute_force_smooth

RESULTS = Path(__file__).resolve().parents[1] / "results" / "smoothing.csv"
COLUMNS = ["m", "k", "n_train", "hmm_index", "direction", "accuracy", "accuracy_ref",
           "accuracy_filter", "agreement", "near_tie_share", "agreement_off_ties", "mean_tv",
           "excess_log_loss", "steps", "hit_cap", "mean_tv_filter", "agreement_filter",
           "fit_seed", "data_seed", "test_seed"]


@pytest.fixture(scope="module")
def quick():
    return smoothing("quick")


def test_quick_scale_runs_with_every_column(quick):
    assert "smoothing" in REGISTRY and REGISTRY["smoothing"][0] is smoothing
    missing = [c for c in COLUMNS if c not in quick.columns]
    assert not missing, missing
    assert set(quick.direction) == {"bi", "uni"}
    for col in ("accuracy", "accuracy_ref", "accuracy_filter", "agreement", "mean_tv"):
        assert quick[col].between(0, 1).all(), col
    assert (quick.steps > 0).all()
    assert isinstance(smoothing_figure(quick), go.Figure)


def test_quick_scale_is_deterministic(quick):
    again = smoothing("quick")
    pd.testing.assert_frame_equal(quick.drop(columns=["train_seconds", "group_seconds"]),
                                  again.drop(columns=["train_seconds", "group_seconds"]))


def test_reference_columns_are_the_smoother_and_the_filter(quick):
    """accuracy_ref is the smoother's accuracy and accuracy_filter the filter's, on the test
    set the row's seeds rebuild."""
    row = quick.iloc[0]
    hmm = experiment_hmm(int(row.m), int(row.hmm_index), int(row.seed))
    states, obs = hmm.sample(int(row.n_test), int(row["T"]), rng=int(row.test_seed))
    assert np.isclose(row.accuracy_ref, (hmm.smooth(obs).argmax(-1) == states).mean())
    assert np.isclose(row.accuracy_filter, (hmm.filter(obs).argmax(-1) == states).mean())


def test_score_of_the_exact_posteriors():
    hmm = experiment_hmm(3, 1)
    states, obs = hmm.sample(50, 6, rng=3)
    exact = score(hmm.smooth(obs), hmm, obs, states)
    assert exact["agreement"] == 1.0 and exact["mean_tv"] < 1e-12
    assert abs(exact["excess_log_loss"]) < 1e-12
    filt = score(hmm.filter(obs), hmm, obs, states)
    assert filt["agreement_filter"] == 1.0 and filt["mean_tv_filter"] < 1e-12
    assert np.isclose(filt["accuracy"], filt["accuracy_filter"])


def test_smoother_against_enumeration_on_the_experiment_hmm():
    hmm = experiment_hmm(3, 0)
    _, obs = hmm.sample(3, 6, rng=4)
    for x in obs:
        ref, _ = brute_force_smooth(hmm.startprob, hmm.transmat, hmm.emissionprob, x)
        assert np.allclose(hmm.smooth(x), ref, atol=1e-12)


def test_points_seeds_depend_only_on_the_grid_point():
    full = smoothing_points("paper")
    sub = smoothing_points("paper", ms=(4,), ks=(8,), ns=(1000,), uni_ks=())
    key = ("m", "hmm_index", "k_planned", "n_train", "direction_planned")
    seeds = {tuple(p[k] for k in key): p["fit_seed"] for p in full}
    assert {p["direction_planned"] for p in sub} == {"bi"}
    assert all(seeds[tuple(p[k] for k in key)] == p["fit_seed"] for p in sub)
    assert {p["n_pool"] for p in sub} == {p["n_pool"] for p in full}
    assert len({p["fit_seed"] for p in full}) == len(full)


def test_gap_smoother_never_worse():
    gap = smoothing_gap(ms=(2, 4), n_hmms=2, n_test=300)
    assert set(gap.kind) == {"sticky", "dirichlet"}
    assert (gap.gain > -0.02).all()
    assert isinstance(accuracy_ceiling(gap), go.Figure)


def test_train_bi_and_uni_small():
    res = train_bi_and_uni(2, 2, n=100, n_test=50, max_steps=60)
    assert list(res["metrics"].index) == ["bi", "uni"]
    assert res["proba"]["bi"].shape == res["smoothed"].shape == (50, 16, 2)
    fig = true_state_probability({"smoother": res["smoothed"][0],
                                  "bidirectional RNN": res["proba"]["bi"][0]},
                                 res["states"][0], res["obs"][0])
    assert isinstance(fig, go.Figure)


@pytest.mark.parametrize("kwargs,message", [
    (dict(scale="huge"), "scale"),
    (dict(ms=(1,)), "ms"),
    (dict(ks=(0,)), "ks"),
    (dict(ns=(5,)), "ns"),
    (dict(n_hmms=0), "n_hmms"),
    (dict(uni_ks=("a",)), "uni_ks"),
    (dict(seed=-1), "seed"),
    (dict(seed=1.5), "seed"),
])
def test_bad_inputs_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        smoothing(**kwargs)


@pytest.mark.parametrize("call,message", [
    (lambda: smoothing_gap(ms=()), "ms"),
    (lambda: smoothing_gap(kinds=("wiggly",)), "kinds"),
    (lambda: smoothing_gap(n_test=0), "n_test"),
    (lambda: experiment_hmm(1), "m"),
    (lambda: experiment_hmm(3, kind="flat"), "kind"),
    (lambda: train_bi_and_uni(3, 0), "k"),
    (lambda: smoothing_sliders(pd.DataFrame({"m": [2]})), "lacks the columns"),
    (lambda: true_state_probability({}, [0]), "non-empty"),
    (lambda: true_state_probability({"a": np.full((3, 2), 0.5)}, [0, 1]), "shape"),
])
def test_helpers_refuse_bad_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.skipif(not RESULTS.exists(), reason="results/smoothing.csv not committed")
def test_committed_results():
    df = pd.read_csv(RESULTS)
    assert not [c for c in COLUMNS if c not in df.columns]
    assert not df.hit_cap.any()
    assert set(df.direction) == {"bi", "uni"}
    assert isinstance(smoothing_sliders(df), go.Figure)


def test_a_learning_rate_override_trains_the_same_points_at_that_rate():
    """``run_group(..., lr=...)`` (used by ``benchmarks/check_learning_rate.py``) trains the
    grid's own points at the given rate; without it, at the rule's, as ``smoothing`` does."""
    import importlib

    from probrnn.training import DEFAULT_RULE

    sm = importlib.import_module("probrnn.experiments.smoothing")
    points = [p for p in smoothing_points("quick") if p["direction_planned"] == "bi"][:1]
    k = points[0]["k_planned"]
    [ruled] = sm.run_group(points, k, "bi", max_steps=60)
    [slow] = sm.run_group(points, k, "bi", max_steps=60, lr=0.001)
    assert ruled["lr"] == pytest.approx(DEFAULT_RULE.learning_rate(k))
    assert slow["lr"] == pytest.approx(0.001)
    assert slow["fit_seed"] == ruled["fit_seed"] and slow["val_loss"] != ruled["val_loss"]
