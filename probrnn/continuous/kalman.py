"""The Kalman filter: the forward algorithm when the state is a Gaussian vector.

Chapter *Continuous states* (issue 14). For the linear-Gaussian model of
:mod:`probrnn.continuous.lgssm` the filtering distribution stays Gaussian,
p(x_t | y_1..t) = N(m_t, P_t), so the forward algorithm's belief vector is replaced by a mean and
a covariance. One step, like the forward algorithm's predict-then-condition:

    predict:   m_t^- = A m_{t-1}             P_t^- = A P_{t-1} A^T + Q   (t = 1: mean0, cov0)
    condition: S_t = C P_t^- C^T + R         K_t = P_t^- C^T S_t^{-1}    (the gain, (d, p))
               m_t = m_t^- + K_t (y_t - C m_t^-)
               P_t = (I - K_t C) P_t^- (I - K_t C)^T + K_t R K_t^T       (Joseph form)

and log p(y_t | y_1..t-1) = log N(y_t; C m_t^-, S_t), whose sum is the log-likelihood.

Two observations shape the code:

* **The covariances do not depend on the observations** (with no missing data): P_t, S_t and
  K_t are the same for every sequence, so they are computed once, shared across the n
  sequences, and returned as (T, d, d) arrays. Only the means are (n, T, d).
* **The mean update is a linear RNN**: m_t = (I - K_t C) A m_{t-1} + K_t y_t, with weights
  U_t = (I - K_t C) A on the hidden state and W_t = K_t on the input. As t grows, K_t tends to
  the steady-state gain K of the discrete algebraic Riccati equation, and the filter becomes a
  linear RNN with constant weights (:func:`steady_state_rnn_weights`,
  :func:`steady_state_filter`), a continuous analogue of the paper's exact-forward RNN.

Numerical care: the Joseph form keeps P_t positive semidefinite when the plain
(I - K C) P^- would lose it to rounding (small R); every covariance is symmetrised; S_t is
inverted only through its Cholesky factor, with one solve against it per step for all
sequences at once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.linalg

from .lgssm import check_continuous_obs, check_lgssm

LOG_2PI = float(np.log(2 * np.pi))


class KalmanResult(NamedTuple):
    """Output of :func:`kalman_filter` for n sequences of length T, state dim d, obs dim p.

    means:           (n, T, d)  m_t = E[x_t | y_1..t]
    covs:            (T, d, d)  P_t = Cov[x_t | y_1..t], shared by all sequences (it does not
                                depend on the observations)
    log_likelihood:  (n,)       log p(y_1..T)
    gains:           (T, d, p)  K_t, shared by all sequences
    pred_means:      (n, T, d)  m_t^- = E[x_t | y_1..t-1] (t = 1: mean0)
    pred_covs:       (T, d, d)  P_t^- = Cov[x_t | y_1..t-1] (t = 1: cov0)
    log_normalizers: (n, T)     log p(y_t | y_1..t-1)

    A single (T, p) sequence gives means (T, d), pred_means (T, d), log_normalizers (T,) and a
    float log_likelihood; the shared fields keep their shapes.
    """

    means: np.ndarray
    covs: np.ndarray
    log_likelihood: np.ndarray
    gains: np.ndarray
    pred_means: np.ndarray
    pred_covs: np.ndarray
    log_normalizers: np.ndarray


class Covariances(NamedTuple):
    """The observation-independent half of the Kalman filter, from :func:`kalman_covariances`.

    covs (T, d, d), pred_covs (T, d, d), gains (T, d, p), chol_S (T, p, p) lower Cholesky
    factors of the innovation covariances S_t, logdet_S (T,) log det S_t.
    """

    covs: np.ndarray
    pred_covs: np.ndarray
    gains: np.ndarray
    chol_S: np.ndarray
    logdet_S: np.ndarray


def _sym(M: np.ndarray) -> np.ndarray:
    return (M + M.T) / 2


def kalman_covariances(model, T: int) -> Covariances:
    """Run the covariance recursion for T steps (no observations needed). Trusts its inputs."""
    A, C, Q, R = model.A, model.C, model.Q, model.R
    d, p = model.d, model.p
    eye = np.eye(d)
    covs, pred_covs = np.empty((T, d, d)), np.empty((T, d, d))
    gains, chol_S, logdet = np.empty((T, d, p)), np.empty((T, p, p)), np.empty(T)
    P_pred = model.cov0
    for t in range(T):
        if t:
            P_pred = _sym(A @ covs[t - 1] @ A.T + Q)
        S = _sym(C @ P_pred @ C.T + R)  # (p, p), >= R > 0
        L = np.linalg.cholesky(S)
        # K = P^- C^T S^{-1}  <=>  S K^T = C P^-  (two triangular solves with L)
        PCt = P_pred @ C.T  # (d, p)
        Kt = scipy.linalg.cho_solve((L, True), PCt.T, check_finite=False)  # (p, d)
        K = Kt.T
        IKC = eye - K @ C
        covs[t] = _sym(IKC @ P_pred @ IKC.T + K @ R @ K.T)
        pred_covs[t], gains[t], chol_S[t] = P_pred, K, L
        logdet[t] = 2.0 * np.log(np.diag(L)).sum()
    return Covariances(covs, pred_covs, gains, chol_S, logdet)


def kalman_filter(model, obs) -> KalmanResult:
    """Kalman filter, batched over sequences.

    Args:
        model: a :class:`~probrnn.continuous.LinearGaussianSSM` (d, p).
        obs: (n, T, p) observations, or a single (T, p) sequence.

    Returns:
        :class:`KalmanResult`. The covariances and gains are computed once for all sequences;
        the means cost two (n, d) x (d, d)-sized products per step, and the log-likelihood one
        solve with the Cholesky factor per step for all n sequences.

    Stable for long sequences (T = 10,000): nothing is multiplied up over time, P_t stays
    symmetric positive semidefinite (Joseph form, symmetrised).
    """
    check_lgssm(model)
    y, single = check_continuous_obs(obs, model.p)
    n, T, p = y.shape
    d = model.d
    cov = kalman_covariances(model, T)
    A_t, C_t = model.A.T, model.C.T
    # Time-major buffers, so that each step reads and writes contiguous (n, .) blocks; the
    # results are returned as (n, T, .) views.
    y_tm = np.ascontiguousarray(y.transpose(1, 0, 2))  # (T, n, p)
    means, pred_means = np.empty((T, n, d)), np.empty((T, n, d))
    innov = np.empty((T, n, p))
    for t in range(T):
        if t == 0:
            pred_means[0] = model.mean0
        else:
            np.matmul(means[t - 1], A_t, out=pred_means[t])  # (n, d) m_t^- = A m_{t-1}
        np.subtract(y_tm[t], pred_means[t] @ C_t, out=innov[t])  # (n, p) y_t - C m_t^-
        np.add(pred_means[t], innov[t] @ cov.gains[t].T, out=means[t])  # m_t = m_t^- + K_t e_t
    # log N(e_t; 0, S_t) for all n and t: z_t = L_t^{-1} e_t, one solve per step for all n
    # sequences (numpy loops over the T stacked systems in C).
    z = np.linalg.solve(cov.chol_S, innov.transpose(0, 2, 1))  # (T, p, n)
    quad = np.einsum("tpn,tpn->nt", z, z)  # (n, T)
    log_norm = -0.5 * (quad + cov.logdet_S[None, :] + p * LOG_2PI)  # (n, T)
    means, pred_means = means.transpose(1, 0, 2), pred_means.transpose(1, 0, 2)
    loglik = log_norm.sum(axis=1)
    if single:
        return KalmanResult(means[0], cov.covs, float(loglik[0]), cov.gains, pred_means[0],
                            cov.pred_covs, log_norm[0])
    return KalmanResult(means, cov.covs, loglik, cov.gains, pred_means, cov.pred_covs, log_norm)


# ---------------------------------------------------------------------------- steady state
def steady_state_gain(model, tol: float = 1e-12, max_iter: int = 100_000
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The steady-state gain K (d, p) and filtered covariance P (d, d): the limits of K_t, P_t.

    The predicted covariance P^- solves the discrete algebraic Riccati equation
    P^- = A P^- A^T - A P^- C^T (C P^- C^T + R)^{-1} C P^- A^T + Q (scipy's
    ``solve_discrete_are`` with a = A^T, b = C^T); then K = P^- C^T (C P^- C^T + R)^{-1} and
    P = (I - K C) P^-, so that P^- = A P A^T + Q. If scipy refuses (a singular Q can make the
    equation ill-posed for its solver), the covariance recursion itself is iterated until
    successive P^- differ by less than ``tol`` (relative); a ValueError says so if it does not
    settle within ``max_iter`` steps (the pair (A, C) is then not detectable).
    """
    check_lgssm(model)
    A, C, Q, R = model.A, model.C, model.Q, model.R
    try:
        P_pred = _sym(scipy.linalg.solve_discrete_are(A.T, C.T, Q, R))
        ok = np.isfinite(P_pred).all() and np.linalg.eigvalsh(P_pred)[0] > -1e-9 * max(
            1.0, np.abs(P_pred).max())
    except (np.linalg.LinAlgError, ValueError):
        ok = False
    if not ok:
        P_pred = _iterate_riccati(model, tol, max_iter)
    S = _sym(C @ P_pred @ C.T + R)
    K = scipy.linalg.cho_solve((np.linalg.cholesky(S), True), (P_pred @ C.T).T).T
    IKC = np.eye(model.d) - K @ C
    P = _sym(IKC @ P_pred @ IKC.T + K @ R @ K.T)
    return K, P


def _iterate_riccati(model, tol, max_iter):
    A, C, Q, R = model.A, model.C, model.Q, model.R
    P_pred = model.Q.copy()
    for _ in range(max_iter):
        S = C @ P_pred @ C.T + R
        K = np.linalg.solve(S, C @ P_pred).T
        IKC = np.eye(model.d) - K @ C
        new = _sym(A @ (IKC @ P_pred @ IKC.T + K @ R @ K.T) @ A.T + Q)
        if np.abs(new - P_pred).max() <= tol * max(1.0, np.abs(new).max()):
            return new
        P_pred = new
    raise ValueError(f"the Riccati recursion did not settle in {max_iter} steps: the model has no "
                     "steady-state Kalman gain (is (A, C) detectable?)")


def steady_state_rnn_weights(model) -> tuple[np.ndarray, np.ndarray]:
    """The steady-state filter as a linear RNN h_t = U h_{t-1} + W y_t.

    Returns ``(U, W)``: U = (I - K C) A (d, d), the recurrent weights, and W = K (d, p), the
    input weights, K the steady-state gain of :func:`steady_state_gain`.
    """
    K, _ = steady_state_gain(model)
    return (np.eye(model.d) - K @ model.C) @ model.A, K


def steady_state_filter(model, obs) -> np.ndarray:
    """Run the linear RNN of :func:`steady_state_rnn_weights` over the observations.

    Args:
        model: a :class:`~probrnn.continuous.LinearGaussianSSM`.
        obs: (n, T, p) or a single (T, p) sequence.

    Returns:
        h: (n, T, d) (or (T, d)), approximations of the filtered means m_t.

    Start-up: no h_0 makes U h_0 + W y_1 equal m_1 for every y_1 (the first exact gain K_1
    comes from cov0, not from the steady state), so the RNN's first hidden state is the exact
    filtered mean, h_1 = m_1 = mean0 + K_1 (y_1 - C mean0). From t = 2 on,
    h_t = U h_{t-1} + W y_t with constant weights; h_t - m_t then shrinks as K_t -> K
    (geometrically when the model is stable and detectable).
    """
    check_lgssm(model)
    y, single = check_continuous_obs(obs, model.p)
    n, T, _ = y.shape
    U, W = steady_state_rnn_weights(model)
    K1 = kalman_covariances(model, 1).gains[0]
    h = np.empty((n, T, model.d))
    h[:, 0] = model.mean0 + (y[:, 0] - model.C @ model.mean0) @ K1.T
    inputs = y @ W.T  # (n, T, d)
    for t in range(1, T):
        np.add(h[:, t - 1] @ U.T, inputs[:, t], out=h[:, t])
    return h[0] if single else h


__all__ = ["KalmanResult", "Covariances", "kalman_filter", "kalman_covariances",
           "steady_state_gain", "steady_state_rnn_weights", "steady_state_filter"]
