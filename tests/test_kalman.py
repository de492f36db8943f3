"""probrnn.continuous.lgssm and .kalman against independent references: exact conditioning of the
joint Gaussian of a whole short sequence (built and conditioned with plain numpy), pykalman
(filtering one sequence at a time), the steady-state Riccati solution, and long-run stability."""

import numpy as np
import pytest
import scipy.linalg
import scipy.stats
from threadpoolctl import threadpool_limits

from probrnn.continuous import (
    LinearGaussianSSM,
    kalman_filter,
    steady_state_filter,
    steady_state_gain,
    steady_state_rnn_weights,
)
from probrnn.continuous.kalman import _iterate_riccati

SHAPES = [(1, 1), (2, 1), (3, 2), (2, 3), (4, 2)]


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """One BLAS thread: these products are small, and on a busy 2-core machine two OpenBLAS
    threads that meet at every product run 10-50x slower than one."""
    with threadpool_limits(1, user_api="blas"):
        yield


# ----------------------------------------------------------------------------- the reference
def joint_gaussian(model, T):
    """Mean and covariance of (x_1..x_T, y_1..y_T) as one T (d + p)-dim Gaussian, from the
    model written as x = M xi, xi = (x_1, w_2, .., w_T) independent, y = (I kron C) x + v."""
    d = model.d
    M = np.zeros((T * d, T * d))
    for t in range(T):
        for s in range(t + 1):
            M[t * d:(t + 1) * d, s * d:(s + 1) * d] = np.linalg.matrix_power(model.A, t - s)
    Xi = scipy.linalg.block_diag(model.cov0, *([model.Q] * (T - 1)))
    xi_mean = np.concatenate([model.mean0, np.zeros((T - 1) * d)])
    mu_x, S_x = M @ xi_mean, M @ Xi @ M.T
    Cx = np.kron(np.eye(T), model.C)
    mu_y = Cx @ mu_x
    S_xy = S_x @ Cx.T
    S_y = Cx @ S_x @ Cx.T + np.kron(np.eye(T), model.R)
    return mu_x, S_x, mu_y, S_xy, S_y


def exact_filter(model, y):
    """For one (T, p) sequence: E and Cov of x_t | y_1..t and | y_1..t-1, and log p(y_1..T)."""
    T, (d, p) = y.shape[0], (model.d, model.p)
    mu_x, S_x, mu_y, S_xy, S_y = joint_gaussian(model, T)
    yf = y.ravel()
    out = {k: [] for k in ("means", "covs", "pred_means", "pred_covs")}
    for t in range(T):
        xs = slice(t * d, (t + 1) * d)
        for key, k in (("pred", t * p), ("", (t + 1) * p)):
            if k == 0:
                m, P = mu_x[xs], S_x[xs, xs]
            else:
                gain = np.linalg.solve(S_y[:k, :k], S_xy[xs, :k].T).T  # (d, k)
                m = mu_x[xs] + gain @ (yf[:k] - mu_y[:k])
                P = S_x[xs, xs] - gain @ S_xy[xs, :k].T
            out[f"{key}_means" if key else "means"].append(m)
            out[f"{key}_covs" if key else "covs"].append(P)
    out = {k: np.array(v) for k, v in out.items()}
    out["loglik"] = scipy.stats.multivariate_normal(mu_y, S_y).logpdf(yf)
    return out


# ----------------------------------------------------------------------------- (a) exact
@pytest.mark.parametrize("d,p", SHAPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_conditioning_of_the_joint_gaussian(d, p, seed):
    model = LinearGaussianSSM.random(d, p, rng=seed)
    T, n = 6, 3
    _, y = model.sample(n, T, rng=seed + 100)
    res = kalman_filter(model, y)
    for i in range(n):
        ref = exact_filter(model, y[i])
        np.testing.assert_allclose(res.means[i], ref["means"], rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(res.pred_means[i], ref["pred_means"], rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(res.covs, ref["covs"], rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(res.pred_covs, ref["pred_covs"], rtol=1e-9, atol=1e-10)
        assert res.log_likelihood[i] == pytest.approx(ref["loglik"], rel=1e-10, abs=1e-9)
    assert np.allclose(res.log_normalizers.sum(1), res.log_likelihood)


def test_singular_q_and_known_start_against_the_joint_gaussian():
    # Q of rank 1 and cov0 = 0 are allowed (positive semidefinite); the reference still applies.
    A = [[0.9, 0.2], [0.0, 0.8]]
    model = LinearGaussianSSM(A, [[1.0, 0.0]], [[0.0, 0.0], [0.0, 0.5]], [[0.3]], [1.0, -1.0],
                              np.zeros((2, 2)))
    _, y = model.sample(2, 5, rng=3)
    res = kalman_filter(model, y)
    for i in range(2):
        ref = exact_filter(model, y[i])
        np.testing.assert_allclose(res.means[i], ref["means"], rtol=1e-9, atol=1e-10)
        assert res.log_likelihood[i] == pytest.approx(ref["loglik"], rel=1e-10)


# ----------------------------------------------------------------------------- (b) pykalman
@pytest.mark.parametrize("d,p", SHAPES)
@pytest.mark.parametrize("T,seed", [(2, 3), (7, 4), (60, 5)])  # pykalman misreads T = 1
def test_matches_pykalman(d, p, T, seed):
    from pykalman import KalmanFilter

    model = LinearGaussianSSM.random(d, p, rng=seed, spectral_radius=0.95)
    _, y = model.sample(3, T, rng=seed + 1)
    res = kalman_filter(model, y)
    kf = KalmanFilter(transition_matrices=model.A, observation_matrices=model.C,
                      transition_covariance=model.Q, observation_covariance=model.R,
                      initial_state_mean=model.mean0, initial_state_covariance=model.cov0)
    for i in range(3):
        means, covs = kf.filter(y[i])
        np.testing.assert_allclose(res.means[i], means, rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(res.covs, covs, rtol=1e-8, atol=1e-10)
        assert res.log_likelihood[i] == pytest.approx(kf.loglikelihood(y[i]), rel=1e-9, abs=1e-8)


def test_single_sequence_drops_the_batch_axis():
    model = LinearGaussianSSM.random(3, 2, rng=8)
    _, y = model.sample(4, 9, rng=9)
    batch, one = kalman_filter(model, y), kalman_filter(model, y[2])
    assert one.means.shape == one.pred_means.shape == (9, 3) and one.log_normalizers.shape == (9,)
    assert isinstance(one.log_likelihood, float)
    assert one.covs.shape == (9, 3, 3) and one.gains.shape == (9, 3, 2)
    np.testing.assert_allclose(one.means, batch.means[2], rtol=0, atol=1e-13)
    assert one.log_likelihood == pytest.approx(batch.log_likelihood[2], rel=1e-13)


# ----------------------------------------------------------------------------- (c) long runs
@pytest.mark.parametrize("name", ["random", "tiny R"])
def test_ten_thousand_steps_stay_finite_symmetric_and_psd(name):
    if name == "random":
        model = LinearGaussianSSM.random(3, 2, rng=11, spectral_radius=0.99)
    else:  # nearly noise-free observations of a double integrator (cond(P_t) -> 1.6e12)
        model = LinearGaussianSSM([[1.0, 1.0], [0.0, 1.0]], [[1.0, 0.0]], 1e2 * np.eye(2),
                                  [[1e-10]], [0.0, 0.0], 1e4 * np.eye(2))
    T = 10_000
    _, y = model.sample(4, T, rng=12)
    res = kalman_filter(model, y)
    for arr in (res.means, res.covs, res.log_likelihood, res.gains, res.pred_covs):
        assert np.isfinite(arr).all()
    assert np.array_equal(res.covs, res.covs.transpose(0, 2, 1))
    eig = np.linalg.eigvalsh(res.covs)  # (T, d)
    assert eig.min() >= -1e-12 * np.abs(eig).max()
    K, P = steady_state_gain(model)
    np.testing.assert_allclose(res.covs[-1], P, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(res.gains[-1], K, rtol=1e-7, atol=1e-12)


# ----------------------------------------------------------------------------- (d) steady state
@pytest.mark.parametrize("d,p,seed", [(1, 1, 0), (3, 2, 1), (4, 2, 2), (2, 3, 3)])
def test_steady_state_rnn_approaches_the_kalman_filter(d, p, seed):
    model = LinearGaussianSSM.random(d, p, rng=seed)
    _, y = model.sample(5, 200, rng=seed + 10)
    res = kalman_filter(model, y)
    h = steady_state_filter(model, y)
    gap = np.abs(h - res.means).max(axis=(0, 2))  # (T,)
    assert gap[0] == 0.0  # the start-up: h_1 is the exact m_1
    assert gap[1] > 1e-6  # after it the constant gain differs from K_2 ...
    assert gap[150:].max() < 1e-9 * max(1.0, np.abs(res.means).max())  # ... and then converges
    assert gap[100] < 1e-3 * gap[1:10].max()
    U, W = steady_state_rnn_weights(model)
    K, P = steady_state_gain(model)
    assert U.shape == (d, d) and W.shape == (d, p) and np.array_equal(W, K)
    np.testing.assert_allclose(U, (np.eye(d) - K @ model.C) @ model.A, rtol=1e-12)
    assert np.abs(np.linalg.eigvals(U)).max() < 1  # a stable linear RNN
    one = steady_state_filter(model, y[1])
    np.testing.assert_allclose(one, h[1], rtol=0, atol=1e-13)


@pytest.mark.parametrize("d,p,seed", [(1, 1, 4), (3, 2, 5), (4, 1, 6)])
def test_steady_state_gain_solves_the_riccati_equation(d, p, seed):
    model = LinearGaussianSSM.random(d, p, rng=seed)
    A, C, Q, R = model.A, model.C, model.Q, model.R
    K, P = steady_state_gain(model)
    P_pred = A @ P @ A.T + Q
    S = C @ P_pred @ C.T + R
    residual = A @ P_pred @ A.T - A @ P_pred @ C.T @ np.linalg.solve(S, C @ P_pred @ A.T) + Q - P_pred
    assert np.abs(residual).max() < 1e-10 * np.abs(P_pred).max()
    np.testing.assert_allclose(K, P_pred @ C.T @ np.linalg.inv(S), rtol=1e-9, atol=1e-12)
    # the fallback (iterating the recursion) reaches the same fixed point
    np.testing.assert_allclose(_iterate_riccati(model, 1e-13, 100_000), P_pred, rtol=1e-9)


# ----------------------------------------------------------------------------- the model
def test_sample_moments_match_the_model():
    model = LinearGaussianSSM.random(2, 2, rng=21)
    n, T = 40_000, 4
    x, y = model.sample(n, T, rng=22)
    assert x.shape == (n, T, 2) and y.shape == (n, T, 2)
    mean, cov = model.mean0, model.cov0
    for t in range(T):
        if t:
            mean, cov = model.A @ mean, model.A @ cov @ model.A.T + model.Q
        sd = np.sqrt(np.diag(cov))
        assert np.abs(x[:, t].mean(0) - mean).max() < 4.5 * sd.max() / np.sqrt(n)
        np.testing.assert_allclose(np.cov(x[:, t].T), cov, atol=0.05 * np.abs(cov).max())
        y_cov = model.C @ cov @ model.C.T + model.R
        np.testing.assert_allclose(np.cov(y[:, t].T), y_cov, atol=0.05 * np.abs(y_cov).max())
    x2, y2 = model.sample(n, T, rng=22)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)


def test_random_model_has_the_spectral_radius_asked_for():
    for seed in range(5):
        model = LinearGaussianSSM.random(4, 2, rng=seed, spectral_radius=0.7)
        assert model.spectral_radius == pytest.approx(0.7, rel=1e-9)
        assert np.linalg.eigvalsh(model.R)[0] > 0 and repr(model) == "LinearGaussianSSM(d=4, p=2)"


# ----------------------------------------------------------------------------- (e) bad inputs
GOOD = dict(A=np.eye(2) * 0.5, C=[[1.0, 0.0]], Q=np.eye(2), R=[[1.0]], mean0=[0.0, 0.0],
            cov0=np.eye(2))


@pytest.mark.parametrize("change,match", [
    (dict(A=np.ones((2, 3))), r"A must be square"),
    (dict(C=[[1.0, 0.0, 0.0]]), r"C must have shape \(p, d\) with d = 2"),
    (dict(Q=[[1.0, 0.5], [0.0, 1.0]]), r"Q must be symmetric \(entry \[0, 1\] = 0.5"),
    (dict(Q=[[1.0, 0.0], [0.0, -0.1]]), r"Q must be positive semidefinite .* smallest is negative"),
    (dict(Q=np.eye(3)), r"Q must have shape \(d, d\) = \(2, 2\)"),
    (dict(R=[[0.0]]), r"R must be positive definite"),
    (dict(R=[[1.0, 0.0], [0.0, 1.0]]), r"R must have shape \(p, p\) = \(1, 1\)"),
    (dict(mean0=[0.0, 0.0, 0.0]), r"mean0 must have shape \(d,\) = \(2,\)"),
    (dict(cov0=[[1.0, 0.0], [0.0, np.nan]]), r"cov0 has NaN or infinite entries at \[\[1, 1\]\]"),
    (dict(A=[[np.inf, 0.0], [0.0, 1.0]]), r"A has NaN or infinite"),
    (dict(cov0=[[1.0, 2.0], [2.0, 1.0]]), r"cov0 must be positive semidefinite"),
    (dict(C="abc"), r"C must be an array of numbers"),
])
def test_bad_models_are_refused_with_the_fault_named(change, match):
    with pytest.raises(ValueError, match=match):
        LinearGaussianSSM(**{**GOOD, **change})


@pytest.mark.parametrize("obs,match", [
    (np.zeros((3, 4, 2)), r"obs must have shape \(n, T, p\) or \(T, p\) with p = 1 .* got shape "
                          r"\(3, 4, 2\) \(for p = 1 pass"),
    (np.zeros(5), r"obs must be 2-D or 3-D \(got shape \(5,\)\)"),
    (np.zeros((1, 2, 3, 1)), r"obs must be 2-D or 3-D"),
    (np.array([[0.0], [np.nan]]), r"obs has NaN or infinite entries at \[\[1, 0\]\]"),
    (np.zeros((0, 1)), r"obs is empty"),
])
def test_bad_observations_are_refused(obs, match):
    model = LinearGaussianSSM(**GOOD)
    with pytest.raises(ValueError, match=match):
        kalman_filter(model, obs)
    with pytest.raises(ValueError, match=match):
        steady_state_filter(model, obs)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="model must be a probrnn.continuous.LinearGaussianSSM"):
        kalman_filter("model", np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"spectral_radius must be < 1.0 \(got 1.0\)"):
        LinearGaussianSSM.random(2, 1, spectral_radius=1.0)
    with pytest.raises(ValueError, match=r"d \(state dimension\) must be at least 1"):
        LinearGaussianSSM.random(0, 1)
    with pytest.raises(ValueError, match=r"T \(sequence length\) must be an integer"):
        LinearGaussianSSM(**GOOD).sample(2, 3.0)
    with pytest.raises(ValueError, match="rng must be a non-negative integer seed"):
        LinearGaussianSSM(**GOOD).sample(2, 3, rng="x")
