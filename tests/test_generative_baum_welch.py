"""The predictive experiment's classical side: Baum-Welch is the package's own (hmmlearn is only
a test oracle), and training the RNNs of one (m, replicate) side by side changes no row."""

import sys

import numpy as np
import pandas as pd
import pytest

from probrnn import HMM
from probrnn.experiments.rnn_generative import (
    fit_baum_welch,
    predictive,
    predictive_point,
)
from probrnn.metrics import next_symbol_cross_entropy

TWO_STATES = HMM([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], [[0.8, 0.1, 0.1], [0.1, 0.2, 0.7]])


def test_fit_baum_welch_needs_no_hmmlearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "hmmlearn", None)  # any import of it would now fail
    monkeypatch.setitem(sys.modules, "hmmlearn.hmm", None)
    _, train = TWO_STATES.sample(100, 10, rng=0)
    fitted, info = fit_baum_welch(train, 2, 3, seed=0, n_iter=5, tol=1e-2, restarts=2)
    assert isinstance(fitted, HMM) and info["iterations"] >= 1


def test_fit_baum_welch_recovers_a_two_state_hmm():
    _, train = TWO_STATES.sample(500, 20, rng=0)
    _, test = TWO_STATES.sample(500, 20, rng=1)
    fitted, info = fit_baum_welch(train, 2, 3, seed=0, n_iter=100, tol=1e-4)
    excess = (next_symbol_cross_entropy(fitted.predict_next(test), test)
              - next_symbol_cross_entropy(TWO_STATES.predict_next(test), test))
    assert -1e-3 <= excess < 0.01
    assert set(info) == {"iterations", "converged", "best_restart", "train_loglik"}
    assert fitted.emissionprob.min() > 0  # floored: no test sequence has probability zero


def test_restarts_keep_the_best_training_likelihood():
    _, train = TWO_STATES.sample(300, 20, rng=0)
    one = fit_baum_welch(train, 2, 3, seed=0, n_iter=30, tol=1e-2, restarts=1)[1]
    best = fit_baum_welch(train, 2, 3, seed=0, n_iter=30, tol=1e-2, restarts=4)[1]
    assert best["train_loglik"] >= one["train_loglik"] - 1e-9  # restart 0 is the same start
    assert 0 <= best["best_restart"] < 4


def test_the_sweep_trains_side_by_side_yet_matches_each_point_alone():
    df = predictive("quick", ms=[2], progress=False)
    assert len(df) == 4 and list(df.predictor) == ["rnn", "baum_welch"] * 2
    for n in (100, 400):
        alone = predictive_point(2, n, 0, scale="quick")
        swept = df[df.n == n].reset_index(drop=True)
        cols = [c for c in alone.columns if "seconds" not in c]
        pd.testing.assert_frame_equal(swept[cols], alone[cols])
    assert np.isfinite(df.excess_ce).all()


def test_predictive_point_can_give_baum_welch_more_iterations_on_the_same_data():
    import importlib

    rg = importlib.import_module("probrnn.experiments.rnn_generative")
    short = rg.predictive_point(2, 100, 0, scale="quick", predictors=("baum_welch",), bw_iter=2)
    longer = rg.predictive_point(2, 100, 0, scale="quick", predictors=("baum_welch",), bw_iter=50)
    assert short.iloc[0].iterations == 2 and longer.iloc[0].iterations > 2
    assert short.iloc[0].bw_seed == longer.iloc[0].bw_seed
    assert longer.iloc[0].train_loglik >= short.iloc[0].train_loglik
    with pytest.raises(ValueError, match="bw_iter must be"):
        rg.predictive_point(2, 100, 0, scale="quick", bw_iter=0)
