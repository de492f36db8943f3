"""The linear-Gaussian state space model: the continuous-state cousin of the HMM.

Chapter *Continuous states* (issue 14). Where the HMM of chapter 1 has a hidden state taking
one of m values, this model's hidden state is a vector x_t in R^d and its observation a vector
y_t in R^p:

    x_1 ~ N(mean0, cov0)
    x_t = A x_{t-1} + w_t,    w_t ~ N(0, Q)        (t = 2..T)
    y_t = C x_t + v_t,        v_t ~ N(0, R)        (t = 1..T)

with every noise independent. Shapes: A (d, d), C (p, d), Q (d, d), R (p, p), mean0 (d,),
cov0 (d, d). Every filtering distribution p(x_t | y_1..t) is Gaussian, so the forward
algorithm's belief vector becomes a mean and a covariance, and its update becomes the Kalman
filter (:mod:`probrnn.continuous.kalman`).

What the constructor requires, and why:

* every entry finite; shapes that agree (d from A, p from C);
* Q and cov0 symmetric (to 1e-10 relative) and positive *semi*definite: a zero noise direction
  (a constant state) or a known start (cov0 = 0) is a legitimate model;
* R symmetric and positive *definite*: then every innovation covariance C P C^T + R is
  invertible, so the observations have a density and the log-likelihood is finite.

The matrices are stored as read-only float64 arrays, symmetrised exactly.
"""

from __future__ import annotations

import numpy as np

from ..validate import as_rng, check_float_array, check_int, check_real

SYMMETRY_RTOL = 1e-10


def _square(x, name: str, size: int, what: str) -> np.ndarray:
    arr = check_float_array(x, name, 2)
    if arr.shape != (size, size):
        raise ValueError(f"{name} must have shape ({what}, {what}) = ({size}, {size}); got {arr.shape}")
    return arr


def _symmetric(arr: np.ndarray, name: str) -> np.ndarray:
    scale = max(1.0, float(np.abs(arr).max()))
    gap = float(np.abs(arr - arr.T).max())
    if gap > SYMMETRY_RTOL * scale:
        i, j = np.unravel_index(int(np.argmax(np.abs(arr - arr.T))), arr.shape)
        raise ValueError(f"{name} must be symmetric (entry [{i}, {j}] = {arr[i, j]:.6g} but "
                         f"[{j}, {i}] = {arr[j, i]:.6g})")
    return (arr + arr.T) / 2


def check_covariance(x, name: str, size: int, what: str, definite: bool) -> np.ndarray:
    """A (size, size) symmetric covariance: positive definite if ``definite``, else positive
    semidefinite (smallest eigenvalue >= -1e-10 times the largest magnitude)."""
    arr = _symmetric(_square(x, name, size, what), name)
    eig = np.linalg.eigvalsh(arr)
    scale = max(1.0, float(np.abs(eig).max()))
    if definite:
        if eig[0] <= 0.0:
            raise ValueError(f"{name} must be positive definite (got eigenvalues "
                             f"{np.round(eig, 12).tolist()}; the smallest must be > 0)")
        try:
            np.linalg.cholesky(arr)
        except np.linalg.LinAlgError:
            raise ValueError(f"{name} must be positive definite: its Cholesky factorisation fails "
                             f"(eigenvalues {eig.tolist()})") from None
    elif eig[0] < -SYMMETRY_RTOL * scale:
        raise ValueError(f"{name} must be positive semidefinite (got eigenvalues "
                         f"{np.round(eig, 12).tolist()}; the smallest is negative)")
    return arr


def psd_sqrt(cov: np.ndarray) -> np.ndarray:
    """(k, k) positive semidefinite -> a factor F (k, k) with F F^T = cov (from the
    eigendecomposition, so a singular covariance is fine where Cholesky would fail)."""
    eig, vec = np.linalg.eigh(cov)
    return vec * np.sqrt(np.clip(eig, 0.0, None))[None, :]


class LinearGaussianSSM:
    """x_1 ~ N(mean0, cov0); x_t = A x_{t-1} + N(0, Q); y_t = C x_t + N(0, R).

    See the module docstring for the shapes (state dimension d, observation dimension p) and
    exactly what is checked here, once.
    """

    def __init__(self, A, C, Q, R, mean0, cov0):
        A = check_float_array(A, "A", 2)
        if A.shape[0] != A.shape[1]:
            raise ValueError(f"A must be square (d, d), the state transition; got shape {A.shape}")
        d = A.shape[0]
        C = check_float_array(C, "C", 2)
        if C.shape[1] != d:
            raise ValueError(f"C must have shape (p, d) with d = {d} columns to match A; got {C.shape}")
        p = C.shape[0]
        Q = check_covariance(Q, "Q", d, "d", definite=False)
        R = check_covariance(R, "R", p, "p", definite=True)
        mean0 = check_float_array(mean0, "mean0", 1)
        if mean0.shape != (d,):
            raise ValueError(f"mean0 must have shape (d,) = ({d},) to match A; got {mean0.shape}")
        cov0 = check_covariance(cov0, "cov0", d, "d", definite=False)
        arrays = [np.array(a, dtype=np.float64) for a in (A, C, Q, R, mean0, cov0)]
        for arr in arrays:
            arr.flags.writeable = False
        self.A, self.C, self.Q, self.R, self.mean0, self.cov0 = arrays

    # ------------------------------------------------------------------ construction
    @classmethod
    def random(cls, d, p, rng=None, spectral_radius=0.9, noise=1.0) -> LinearGaussianSSM:
        """A random stable model: A has spectral radius exactly ``spectral_radius`` (< 1).

        Draws, in this order from ``rng``: A (d, d) standard normal, rescaled to the spectral
        radius; C (p, d) standard normal / sqrt(d); Q, R and cov0 as G G^T / k + 0.1 I times
        ``noise`` with G (k, k) standard normal (so positive definite, condition numbers
        mostly 5-50); mean0 (d,) standard normal.
        """
        d = check_int(d, "d (state dimension)", minimum=1)
        p = check_int(p, "p (observation dimension)", minimum=1)
        rho = check_real(spectral_radius, "spectral_radius", 0.0, 1.0, high_open=True)
        noise = check_real(noise, "noise", 0.0, low_open=True)
        gen = as_rng(rng)
        A = gen.standard_normal((d, d))
        A *= rho / max(np.abs(np.linalg.eigvals(A)).max(), 1e-300)
        C = gen.standard_normal((p, d)) / np.sqrt(d)

        def spd(k):
            G = gen.standard_normal((k, k))
            return noise * (G @ G.T / k + 0.1 * np.eye(k))

        Q, R, cov0 = spd(d), spd(p), spd(d)
        mean0 = gen.standard_normal(d)
        return cls(A, C, Q, R, mean0, cov0)

    # ------------------------------------------------------------------ properties
    @property
    def d(self) -> int:
        """State dimension."""
        return self.A.shape[0]

    @property
    def p(self) -> int:
        """Observation dimension."""
        return self.C.shape[0]

    @property
    def spectral_radius(self) -> float:
        """max |eigenvalue of A|: below 1 the state has a stationary distribution."""
        return float(np.abs(np.linalg.eigvals(self.A)).max())

    def __repr__(self) -> str:
        return f"LinearGaussianSSM(d={self.d}, p={self.p})"

    # ------------------------------------------------------------------ sampling
    def sample(self, n, T, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """Draw n independent sequences of length T.

        Returns ``(states, obs)`` of shapes (n, T, d) and (n, T, p). The standard normals are
        drawn in one block each, states' noise (n, T, d) first, then observations' (n, T, p);
        only time is a loop.
        """
        n = check_int(n, "n (number of sequences)", minimum=1)
        T = check_int(T, "T (sequence length)", minimum=1)
        gen = as_rng(rng)
        z_x = gen.standard_normal((n, T, self.d))
        z_y = gen.standard_normal((n, T, self.p))
        states = np.empty((n, T, self.d))
        states[:, 0] = self.mean0 + z_x[:, 0] @ psd_sqrt(self.cov0).T
        noise = z_x[:, 1:] @ psd_sqrt(self.Q).T  # (n, T - 1, d)
        for t in range(1, T):
            states[:, t] = states[:, t - 1] @ self.A.T + noise[:, t - 1]
        obs = states @ self.C.T + z_y @ psd_sqrt(self.R).T  # (n, T, p)
        return states, obs


def check_lgssm(model, name: str = "model") -> LinearGaussianSSM:
    """A :class:`LinearGaussianSSM` (its parameters were validated when it was built)."""
    if not isinstance(model, LinearGaussianSSM):
        raise ValueError(f"{name} must be a probrnn.continuous.LinearGaussianSSM "
                         f"(got {type(model).__name__})")
    return model


def check_continuous_obs(obs, p: int, name: str = "obs") -> tuple[np.ndarray, bool]:
    """Vector observations as a float64 (n, T, p) array; a single (T, p) sequence is accepted
    (the second return value is then True)."""
    arr = check_float_array(obs, name, (2, 3))
    if arr.shape[-1] != p:
        hint = " (for p = 1 pass (n, T, 1) or (T, 1))" if p == 1 else ""
        raise ValueError(f"{name} must have shape (n, T, p) or (T, p) with p = {p} observation "
                         f"components in the last axis; got shape {arr.shape}{hint}")
    single = arr.ndim == 2
    return (arr[None] if single else arr), single


__all__ = ["LinearGaussianSSM", "check_lgssm", "check_continuous_obs", "check_covariance",
           "psd_sqrt"]
