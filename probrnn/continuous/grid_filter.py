"""The point-mass (grid) filter: exact filtering for a 1-D state, up to the grid.

Chapter *Continuous states* (issue 14). Put the state on G grid points z_1 < ... < z_G and the
continuous model becomes a G-state HMM, whose forward algorithm (chapter 1) is exact:

* start:      pi_j proportional to N(z_j; prior_mean, prior_var) |cell_j|
* transition: A_t[i, j] proportional to N(z_j; f_t(z_i), state_var) |cell_j|, each row
              normalised to 1 (the state is kept on the grid)
* emission:   p(y_t | z_j), the model's observation density at the grid point

with |cell_j| the width of the cell around z_j (the grid spacing, for an even grid). The
filter is the forward algorithm on that HMM: predict = (n, G) @ (G, G), condition = multiply
by the likelihoods and normalise. As the grid is refined (and widened) the weights converge to
the true filtering distributions and the log-likelihood to log p(y_1..T); the tests check both
(against a finer grid, and against the Kalman filter on a linear-Gaussian model). The cost is
O(T G^2) for the transition matrices plus O(n T G^2) for the products, so it is a reference for
1-D models, not a method for high dimensions: the particle filter is.

Numerics: each transition row is built in log space and divided by its largest entry before
it is exponentiated (a row whose mean falls far outside the grid moves its mass to the nearest
edge, never to NaN); the likelihoods are scaled by their row maximum, and a step whose
normaliser still underflows is redone in log space. Cost and memory: when the transition mean
is f(x) plus a shift that depends only on t (both models here), one (G, G) matrix is built once
and each step is a matrix product (:class:`GridTransition`); otherwise, or when G^2 exceeds
``max_cache`` = 2^24 entries (128 MB, G > 4096), each step rebuilds the matrix in chunks of
rows, at most ``max_chunk`` = 2^22 entries (32 MB) at a time.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import logsumexp

from ..validate import check_float_array, check_int
from .scalar import as_scalar, check_scalar_obs

MAX_CHUNK = 1 << 22
MAX_CACHE = 1 << 24
_TINY = 1e-280


class GridResult(NamedTuple):
    """Output of :func:`grid_filter` for n sequences of length T on G grid points.

    weights:         (n, T, G)  posterior mass p(x_t = z_j | y_1..t) on the grid points
    means:           (n, T)     E[x_t | y_1..t] = sum_j z_j weights_j
    log_likelihood:  (n,)       log p(y_1..T)
    log_normalizers: (n, T)     log p(y_t | y_1..t-1)
    grid:            (G,)       the grid points z_j

    A single (T,) sequence gives the same fields without the leading n axis (a float
    log_likelihood).
    """

    weights: np.ndarray
    means: np.ndarray
    log_likelihood: np.ndarray
    log_normalizers: np.ndarray
    grid: np.ndarray


def check_grid(grid, name: str = "grid") -> np.ndarray:
    """A 1-D strictly increasing float64 array of at least 2 finite points."""
    z = check_float_array(grid, name, 1)
    if z.size < 2:
        raise ValueError(f"{name} needs at least 2 points (got {z.size})")
    step = np.diff(z)
    if (step <= 0).any():
        i = int(np.flatnonzero(step <= 0)[0])
        raise ValueError(f"{name} must be strictly increasing (points {i} and {i + 1} are "
                         f"{z[i]:.6g} and {z[i + 1]:.6g})")
    return z


def cell_widths(grid: np.ndarray) -> np.ndarray:
    """(G,) widths of the cells around the points, bounded by the midpoints between
    neighbours; the end cells are as wide as their one neighbouring gap (so an even grid
    gives the spacing everywhere)."""
    gaps = np.diff(grid)
    return np.concatenate([[gaps[0]], (gaps[:-1] + gaps[1:]) / 2, [gaps[-1]]])


class GridTransition:
    """The transition matrices A_t of a model on a grid, applied to (n, G) masses.

    Direct route: at each t, build A_t in chunks of at most ``max_chunk`` entries (G^2
    exponentials per step). Fast route, taken automatically when it is exact: if
    f_t(z) = f(z) + c_t on the grid (a time-varying shift, as in the growth model's
    8 cos(1.2 t), or none, as in a linear model), then
    N(z_j; f(z_i) + c_t, q) = N(z_j; f(z_i), q) exp(z_j c_t / q) x (a factor of row i alone),
    so after each row is normalised A_t = rownorm(K0 diag(b_t)) with K0 built once and
    b_t = exp((z_j - z_mid) c_t / q): one (n, G) @ (G, G) product per step and no
    exponentials of a matrix. It is used while K0 fits in ``max_cache`` entries and the
    exponents stay within +-335 (so nothing overflows, and entries of K0 that underflowed could
    not matter); otherwise the direct route is used for that step.
    """

    def __init__(self, model, grid: np.ndarray, max_chunk: int = MAX_CHUNK,
                 max_cache: int = MAX_CACHE):
        self.model, self.z = model, grid
        self.log_cells = np.log(cell_widths(grid))
        self.max_chunk, self.max_cache = max_chunk, max_cache
        self.base = None  # f_t(z) at the first step seen, with K0 built from it
        self.K0 = None

    def _block(self, means: np.ndarray) -> np.ndarray:
        """(r,) transition means -> (r, G) rows exp(-(z_j - mean)^2 / 2q) |cell_j|, each scaled so
        that its largest entry is 1."""
        logits = self.z[None, :] - means[:, None]
        np.square(logits, out=logits)
        logits *= -0.5 / self.model.state_var
        logits += self.log_cells[None, :]
        logits -= logits.max(axis=1, keepdims=True)
        return np.exp(logits, out=logits)

    def predict(self, weights: np.ndarray, t: int) -> np.ndarray:
        """(n, G) filtered mass at t - 1 -> (n, G) predicted mass at t (t 1-based, >= 2)."""
        z, G = self.z, self.z.shape[0]
        means = self.model.transition_mean(z, t)  # (G,) f_t(z_i)
        if self.base is None and G * G <= self.max_cache:
            self.base = means
            self.K0 = self._block(means)  # (G, G)
        if self.base is not None:
            shift = means - self.base
            c = float(shift.mean())
            scale = 1.0 + np.abs(means).max()
            e = (z - (z[0] + z[-1]) / 2) * (c / self.model.state_var)  # (G,)
            if np.abs(shift - c).max() <= 1e-12 * scale and np.abs(e).max() <= 335.0:
                b = np.exp(e)
                rowsum = self.K0 @ b  # (G,)
                return ((weights / rowsum[None, :]) @ self.K0) * b[None, :]
        rows = max(1, self.max_chunk // G)
        out = np.zeros_like(weights)
        for a in range(0, G, rows):
            block = self._block(means[a:a + rows])  # (rows, G)
            block /= block.sum(axis=1, keepdims=True)
            out += weights[:, a:a + rows] @ block
        return out


def condition(pred: np.ndarray, loglik: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bayes' rule on the grid: (n, G) predicted mass, (n, G) log p(y_t | z_j) ->
    ((n, G) filtered mass, (n,) log p(y_t | y_1..t-1))."""
    top = loglik.max(axis=1, keepdims=True)  # (n, 1)
    post = pred * np.exp(loglik - top)
    c = post.sum(axis=1)
    small = c < _TINY
    with np.errstate(divide="ignore"):
        log_c = np.log(np.where(small, 1.0, c)) + top[:, 0]
    post[~small] /= c[~small, None]
    if small.any():  # redo in log space: the prediction sits where the likelihood is tiny
        with np.errstate(divide="ignore"):
            logpost = np.log(pred[small]) + loglik[small]
        lse = logsumexp(logpost, axis=1)
        post[small] = np.exp(logpost - lse[:, None])
        log_c[small] = lse
    return post, log_c


def grid_filter(model, obs, grid=None, max_chunk: int = MAX_CHUNK, max_cache: int = MAX_CACHE
                ) -> GridResult:
    """Point-mass filter on a fixed grid, batched over sequences.

    Args:
        model: a :class:`~probrnn.continuous.ScalarSSM` (e.g. :class:`GrowthModel`) or a
            :class:`~probrnn.continuous.LinearGaussianSSM` with d = p = 1.
        obs: (n, T) observations, or a single (T,) sequence.
        grid: (G,) strictly increasing points; default ``model.default_grid()`` (1,000 points).
        max_chunk: at most this many transition-matrix entries are built at once (direct
            route of :class:`GridTransition`).
        max_cache: the largest G^2 for which one (G, G) matrix is kept for the whole run
            (fast route; 0 turns it off).

    Returns:
        :class:`GridResult`. Cost O(T G^2 + n T G^2); memory O(n T G) for the weights.
    """
    model = as_scalar(model)
    y, single = check_scalar_obs(obs)
    z = model.default_grid() if grid is None else check_grid(grid)
    max_chunk = check_int(max_chunk, "max_chunk", minimum=1)
    max_cache = check_int(max_cache, "max_cache", minimum=0)
    n, T = y.shape
    G = z.shape[0]
    trans = GridTransition(model, z, max_chunk, max_cache)
    weights = np.empty((n, T, G))
    log_c = np.empty((n, T))
    prior = -0.5 * (z - model.prior_mean) ** 2 / model.prior_var + trans.log_cells  # (G,)
    prior = np.exp(prior - prior.max())
    pred = np.broadcast_to(prior / prior.sum(), (n, G))
    for s in range(T):
        if s:
            pred = trans.predict(weights[:, s - 1], s + 1)
        loglik = model.obs_log_density(y[:, s, None], z[None, :])  # (n, G)
        weights[:, s], log_c[:, s] = condition(pred, loglik)
    means = weights @ z  # (n, T)
    ll = log_c.sum(axis=1)
    if single:
        return GridResult(weights[0], means[0], float(ll[0]), log_c[0], z)
    return GridResult(weights, means, ll, log_c, z)


__all__ = ["GridResult", "grid_filter", "GridTransition", "check_grid", "cell_widths", "condition"]
