"""The bootstrap particle filter for a continuous 1-D state, batched over sequences and particles.

Chapter *Continuous states* (issue 14): chapter 4's filter (:mod:`probrnn.particle_filter`) with
the discrete state replaced by a real number. Each of n sequences carries M particles; at every
step t (1-based):

1. **propagate**: x^(j) ~ N(prior_mean, prior_var) at t = 1, else
   x^(j) = f_t(parent^(j)) + sqrt(state_var) z^(j), z^(j) standard normal (the bootstrap
   proposal is the transition itself);
2. **weigh**: log W^(j) = log p(y_t | x^(j)), kept in log space: the weights are exponentiated
   only after subtracting their maximum, so an observation far from every particle gives
   finite, correctly normalised weights, never NaN;
3. the weighted particles estimate p(x_t | y_1..t), and mean_j W^(j) estimates
   p(y_t | y_1..t-1); the product over t of these estimates is an *unbiased* estimate of
   p(y_1..T) (its log, ``log_likelihood``, is biased low by Jensen's inequality);
4. **resample** every step: parent^(j) = x^(a_j), a_j the inverse CDF of the normalised weights
   at a uniform, multinomial (i.i.d. uniforms) or systematic (an even grid), with
   :func:`~probrnn.particle_filter.resampling.count_at_most` as in chapter 4.

Randomness follows chapter 4's convention (:mod:`probrnn.particle_filter.streams`): the uniforms
of sequence i at step t are row i of a stream keyed on (seed, t, purpose). The normals are
their inverse CDF (``scipy.special.ndtri``; the one uniform in 2^53 that is exactly 0 is
moved to 2^-54). So a sequence's run depends on the seed and its row i, never on the other
sequences in the batch, and the same seed gives the same numbers.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import ndtri

from ..particle_filter.bootstrap import resampling_uniforms
from ..particle_filter.resampling import check_scheme, count_at_most, cumulative_thresholds
from ..particle_filter.streams import PROPAGATE, resolve_seed, stream_rows
from ..validate import check_int
from .scalar import as_scalar, check_scalar_obs

_U_MIN = 2.0 ** -54


class ContinuousPFResult(NamedTuple):
    """Output of :func:`bootstrap_filter` for n sequences of length T with M particles.

    particles:       (n, T, M)  x_t^(j), the propagated particles *before* resampling
    log_weights:     (n, T, M)  their normalised log-weights (logsumexp over j is 0), so
                                p(x_t | y_1..t) ~ sum_j exp(log_weights_j) delta(x - x_t^(j))
    means:           (n, T)     the weighted mean, estimate of E[x_t | y_1..t]
    log_likelihood:  (n,)       log of the unbiased estimate of p(y_1..T)
    ess:             (n, T)     effective sample size 1 / sum_j w_j^2 before resampling, in [1, M]
    log_normalizers: (n, T)     log of the estimate of p(y_t | y_1..t-1), log mean_j W_t^(j)
    seed:            int        the stream seed used; ``rng=seed`` replays the run exactly

    A single (T,) sequence gives the same fields without the leading n axis.
    """

    particles: np.ndarray
    log_weights: np.ndarray
    means: np.ndarray
    log_likelihood: np.ndarray
    ess: np.ndarray
    log_normalizers: np.ndarray
    seed: int


def standard_normals(seeds, t, rows, width, out=None) -> np.ndarray:
    """(n, width) standard normals: the inverse normal CDF of the addressable uniforms of
    :func:`~probrnn.particle_filter.streams.stream_rows` keyed on (seed, t, PROPAGATE)."""
    u = stream_rows(seeds, t, PROPAGATE, rows, width, out=out)
    np.maximum(u, _U_MIN, out=u)
    return ndtri(u, out=u)


def weigh(log_w: np.ndarray, n_particles: int):
    """(n, M) unnormalised log-weights -> normalised weights w (n, M) summing to 1 per row,
    normalised log-weights (n, M), log mean weight (n,) and ESS (n,)."""
    top = log_w.max(axis=1, keepdims=True)  # finite: every log-density is finite
    w = np.exp(log_w - top)  # max entry exactly 1
    total = w.sum(axis=1, keepdims=True)  # in [1, M]
    w /= total
    log_norm = log_w - top - np.log(total)
    log_mean = top[:, 0] + np.log(total[:, 0]) - np.log(n_particles)
    ess = 1.0 / np.einsum("nm,nm->n", w, w)
    return w, log_norm, log_mean, ess


def bootstrap_filter(model, obs, n_particles, rng=None, resampling="multinomial"
                     ) -> ContinuousPFResult:
    """Bootstrap particle filter with M = ``n_particles`` particles per sequence.

    Args:
        model: a :class:`~probrnn.continuous.ScalarSSM` or a 1-D
            :class:`~probrnn.continuous.LinearGaussianSSM`.
        obs: (n, T) observations, or a single (T,) sequence.
        n_particles: M >= 1, an integer.
        rng: int seed in [0, 2**63), numpy Generator, SeedSequence or None; the seed actually
            used is returned in ``result.seed``.
        resampling: "multinomial" or "systematic".

    Returns:
        :class:`ContinuousPFResult`. Cost O(n M T log M) time (the inverse CDF is a binary
        search), O(n T M) memory for the stored particles and weights.
    """
    model = as_scalar(model)
    y, single = check_scalar_obs(obs)
    M = check_int(n_particles, "n_particles", minimum=1)
    scheme = check_scheme(resampling)
    seed = resolve_seed(rng)
    n, T = y.shape
    particles, log_weights = np.empty((n, T, M)), np.empty((n, T, M))
    means, ess, log_c = np.empty((n, T)), np.empty((n, T)), np.empty((n, T))
    seeds = np.full(n, seed, dtype=np.int64)
    rows = np.arange(n, dtype=np.int64)
    z = np.empty((n, M))
    u = np.empty((n, M))
    parents = None
    for s in range(T):
        steps = np.full(n, s, dtype=np.int64)
        x = particles[:, s]
        standard_normals(seeds, steps, rows, M, out=z)
        if s == 0:
            np.multiply(z, np.sqrt(model.prior_var), out=x)
            x += model.prior_mean
        else:
            np.multiply(z, np.sqrt(model.state_var), out=x)
            x += model.transition_mean(parents, s + 1)
        log_w = model.obs_log_density(y[:, s, None], x)  # (n, M)
        w, log_weights[:, s], log_c[:, s], ess[:, s] = weigh(log_w, M)
        means[:, s] = np.einsum("nm,nm->n", w, x)
        resampling_uniforms(scheme, seeds, steps, rows, M, out=u)
        ancestors = count_at_most(cumulative_thresholds(w), u)  # (n, M) in [0, M - 1]
        parents = np.take_along_axis(x, ancestors, axis=1)
    ll = log_c.sum(axis=1)
    if single:
        return ContinuousPFResult(particles[0], log_weights[0], means[0], float(ll[0]), ess[0],
                                  log_c[0], seed)
    return ContinuousPFResult(particles, log_weights, means, ll, ess, log_c, seed)


__all__ = ["ContinuousPFResult", "bootstrap_filter", "standard_normals", "weigh"]
