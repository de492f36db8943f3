"""The continuous-state chapter's experiments (kalman_rnn, continuous) at quick scale, their
helpers against independent computations, their figures, and refusals of bad inputs."""

import numpy as np
import pandas as pd
import pytest

from probrnn.continuous import kalman_filter, steady_state_filter, steady_state_rnn_weights
from probrnn.experiments import REGISTRY
from probrnn.experiments.continuous import (
    compare_one,
    continuous,
    impulse_response,
    kalman_model,
    kalman_rnn,
    matched_eig_error,
    size_summary,
)
from probrnn.figures.continuous import (
    kalman_rnn_panels,
    posterior_trajectory,
    size_panels,
    size_sliders,
)

KALMAN_COLUMNS = ["seed", "state_dim", "k", "n_train", "mse_rnn", "mse_kalman", "mse_steady",
                  "gain_error", "eig_error", "steps", "hit_cap"]
CONT_COLUMNS = ["size", "method", "rep", "mse_to_grid_mean", "mse_to_state", "w1", "steps",
                "hit_cap"]


@pytest.fixture(scope="module")
def kalman_quick():
    return kalman_rnn("quick")


@pytest.fixture(scope="module")
def cont_quick():
    return continuous("quick")


def test_registered():
    assert {"kalman_rnn", "continuous"} <= set(REGISTRY)
    from probrnn.__main__ import EXPERIMENTS

    assert {"kalman_rnn", "continuous"} <= set(EXPERIMENTS)


def test_kalman_rnn_quick(kalman_quick):
    df = kalman_quick
    assert set(KALMAN_COLUMNS) <= set(df.columns)
    assert len(df) == 1 and (df.k == df.state_dim).all()
    # the exact filter is the optimum; the steady-state one and the RNN are close behind
    assert (df.mse_kalman <= df.mse_steady * (1 + 1e-9)).all()
    assert (df.mse_rnn < 1.2 * df.mse_kalman).all()
    assert (df.gain_error < 0.5).all() and (df.eig_error < 0.5).all()
    again = kalman_rnn("quick")
    pd.testing.assert_frame_equal(df.drop(columns="train_seconds"),
                                  again.drop(columns="train_seconds"))


def test_kalman_rnn_other_grid():
    df = kalman_rnn("quick", seed=3, state_dims=[2], n_seeds=2)
    assert sorted(df.seed) == [0, 1] and (df.state_dim == 2).all()
    assert np.isfinite(df[["mse_rnn", "gain_error", "eig_error"]].to_numpy()).all()


def test_continuous_quick(cont_quick):
    df = cont_quick
    assert set(CONT_COLUMNS) <= set(df.columns)
    assert set(df.method) == {"rnn", "pf"}
    assert df[df.method == "rnn"].w1.isna().all()
    pf = df[df.method == "pf"]
    assert (pf.w1 > 0).all() and (pf.steps == 0).all() and not pf.hit_cap.any()
    assert (df.mse_to_grid_mean >= 0).all()
    # MSE to the state = MSE to the grid mean + the grid filter's own, up to a cross term
    # that vanishes in expectation; the grid mean is the best of the three
    assert (df.mse_to_state >= 0.5 * df.mse_grid_to_state).all()
    T = int(df["T"].iloc[0])
    steps = df[[f"mse_t{t}" for t in range(1, T + 1)]].to_numpy().mean(1)
    assert np.allclose(steps, df.mse_to_grid_mean)
    summary = size_summary(df)
    assert summary.shape[0] == df["size"].nunique()


def test_pf_rows_replay():
    a = continuous("quick", rnn=False)
    b = continuous("quick", rnn=False)
    pd.testing.assert_frame_equal(a.drop(columns="seconds"), b.drop(columns="seconds"))
    assert (a.method == "pf").all()


def test_impulse_response_is_basis_free():
    rng = np.random.default_rng(0)
    U, W, Ro = rng.normal(size=(3, 3)) / 3, rng.normal(size=(3, 1)), rng.normal(size=(2, 3))
    S = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    Si = np.linalg.inv(S)
    assert np.allclose(impulse_response(U, W, Ro), impulse_response(S @ U @ Si, S @ W, Ro @ Si))
    # against an explicit run of the recurrence on a unit pulse
    h, outs = W[:, 0].copy(), []
    for _ in range(4):
        outs.append(Ro @ h)
        h = U @ h
    assert np.allclose(impulse_response(U, W, Ro, 4)[:, :, 0], np.array(outs))
    assert matched_eig_error(U, S @ U @ Si) < 1e-9
    assert matched_eig_error(np.diag([0.1, 0.5]), np.diag([0.5, 0.2])) == pytest.approx(0.1)


def test_kalman_model_steady_state():
    model = kalman_model(2, 0)
    y = model.sample(50, 200, rng=1)[1]
    exact = kalman_filter(model, y).means
    steady = steady_state_filter(model, y)
    assert np.abs(exact[:, -1] - steady[:, -1]).max() < 1e-6
    U, K = steady_state_rnn_weights(model)
    assert np.abs(np.linalg.eigvals(U)).max() < 1


def test_compare_one_small():
    res = compare_one(5, 3, n_train=100, n_test=5, T=10, max_steps=20)
    assert list(res["scores"].method.str.split(",").str[0]) == [
        "grid filter (reference)", "particle filter", "tanh RNN"]
    assert res["rnn_means"].shape == (5, 10)


def test_figures(kalman_quick, cont_quick):
    for fig in (kalman_rnn_panels(kalman_quick), size_panels(cont_quick),
                size_sliders(cont_quick)):
        assert fig.data and fig.layout.title.text
    assert len(size_sliders(cont_quick).layout.sliders) == 2
    z = np.linspace(-5, 5, 11)
    w = np.full((4, 11), 1 / 11)
    fig = posterior_trajectory(z, w, np.zeros(4), {"a": np.ones(4)})
    assert len(fig.data) == 3


@pytest.mark.parametrize("call,message", [
    (lambda: kalman_rnn("huge"), "scale"),
    (lambda: kalman_rnn(seed=-1), "seed"),
    (lambda: kalman_rnn(seed=1.5), "seed"),
    (lambda: kalman_rnn(state_dims=[0]), "at least 1"),
    (lambda: kalman_rnn(state_dims=[]), "empty"),
    (lambda: kalman_rnn(n_seeds=0), "n_seeds"),
    (lambda: continuous("huge"), "scale"),
    (lambda: continuous(sizes=[0]), "at least 1"),
    (lambda: continuous(n_reps=0), "n_reps"),
    (lambda: continuous(rnn="yes"), "rnn"),
    (lambda: compare_one(0, 5), "M"),
    (lambda: compare_one(5, 0), "k"),
    (lambda: kalman_model(0, 0), "state_dim"),
    (lambda: size_summary(pd.DataFrame({"size": [1]})), "lacks the columns"),
    (lambda: size_sliders(pd.DataFrame({"size": [1], "method": ["pf"]})), "mse_t"),
    (lambda: kalman_rnn_panels(pd.DataFrame({"state_dim": [1]})), "lacks the columns"),
    (lambda: posterior_trajectory(np.arange(3.0), np.ones((2, 4))), "grid points"),
])
def test_bad_inputs_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_steady_start_makes_the_kalman_filter_a_linear_rnn():
    model = kalman_model(3, 1)
    y = model.sample(20, 15, rng=2)[1]
    kf = kalman_filter(model, y)
    U, K = steady_state_rnn_weights(model)
    assert np.allclose(kf.gains, K[None], atol=1e-9)
    h, out = np.zeros((20, 3)), []
    for t in range(15):
        h = h @ U.T + y[:, t] @ K.T
        out.append(h)
    assert np.allclose(np.stack(out, 1), kf.means, atol=1e-9)
    loose = kalman_model(3, 1, steady_start=False)
    assert np.allclose(loose.A, model.A) and not np.allclose(loose.cov0, model.cov0)


def test_rnn_rows_take_a_learning_rate_override():
    """``rnn_rows(..., lr=...)`` (``benchmarks/check_learning_rate.py``) trains the same
    replicate at the given rate; without it, at the rule's."""
    import importlib

    from probrnn.training import DEFAULT_RULE

    co = importlib.import_module("probrnn.experiments.continuous")
    cfg = dict(co.scale_config("quick", co.CONTINUOUS), max_steps=60)
    data = co.growth_test_set(0, cfg["n_test"], cfg["T"], cfg["grid_points"])
    [ruled] = co.rnn_rows(0, "quick", 2, [0], cfg, _data=data)
    [slow] = co.rnn_rows(0, "quick", 2, [0], cfg, _data=data, lr=0.001)
    assert ruled["lr"] == pytest.approx(DEFAULT_RULE.learning_rate(2))
    assert slow["lr"] == pytest.approx(0.001)
    assert slow["run_seed"] == ruled["run_seed"] and slow["val_loss"] != ruled["val_loss"]
