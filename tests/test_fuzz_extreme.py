"""A seeded fuzz of the HMM and particle-filter entry points with extreme but valid models.

Models have probabilities down to 1e-300 (half of every row's entries drawn as 10^-U(0, 300)),
m up to 64 states and sequences up to T = 10,000. Every output must be finite and normalised,
and agree with a reference computed independently in log space:

* the forward algorithm (``HMM.filter``, ``log_likelihood``, ``predict_next``,
  ``probrnn.hmm_filter``, ``exact_forward_rnn``) against a log-space forward pass written here
  with ``logsumexp`` at every step (no scaling, no fallback);
* the particle filter against its own proposals, replayed exactly by the filter written as an
  RNN and weighted in log space: the estimate of p(x_t | x_<t), the weighted histogram and the
  effective sample size.

The generator is numpy's, seeded per case, so a failure names the seed that reproduces it.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

from probrnn import HMM, ParticleFilterRNN, exact_forward_rnn, hmm_filter, particle_filter

FLOOR = 300  # smallest probabilities: 1e-300


def extreme_rows(rng, rows: int, cols: int, zeros: bool) -> np.ndarray:
    """(rows, cols) probability vectors, about half of each row's entries tiny (10^-U(0, 300));
    with ``zeros`` some entries are exactly 0 instead (but every row keeps a large entry)."""
    x = rng.dirichlet(np.ones(cols), size=rows)
    tiny = 10.0 ** -rng.uniform(0, FLOOR, (rows, cols))
    x = np.where(rng.random((rows, cols)) < 0.5, tiny, x)
    if zeros:
        x = np.where(rng.random((rows, cols)) < 0.2, 0.0, x)
    x[np.arange(rows), rng.integers(cols, size=rows)] += 1.0
    return x / x.sum(axis=1, keepdims=True)


def extreme_hmm(rng, m: int, K: int, zeros: bool = False) -> HMM:
    return HMM(
        extreme_rows(rng, 1, m, zeros)[0], extreme_rows(rng, m, m, zeros), extreme_rows(rng, m, K, zeros)
    )


def log_forward(hmm: HMM, obs) -> tuple[np.ndarray, np.ndarray]:
    """log p(H_t | x_1..t) (T, m) and log p(x_t | x_<t) (T,), in log space throughout."""
    with np.errstate(divide="ignore"):
        lpi, lA, lB = np.log(hmm.startprob), np.log(hmm.transmat), np.log(hmm.emissionprob)
    lf, lc = np.empty((len(obs), hmm.m)), np.empty(len(obs))
    for t, x in enumerate(obs):
        pred = lpi if t == 0 else logsumexp(lf[t - 1][:, None] + lA, axis=0)
        a = pred + lB[:, x]
        lc[t] = logsumexp(a)
        lf[t] = a - lc[t]
    return lf, lc


def assert_beliefs_close(got: np.ndarray, log_ref: np.ndarray) -> None:
    """Beliefs against log-space ones: every entry to 1e-10 absolutely, and every entry the
    reference puts above 1e-250 to 1e-9 relatively, so a small belief that lost its digits (a
    subnormal product, say) is caught before a later symbol makes its state the likely one."""
    ref = np.exp(log_ref)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10)
    big = log_ref > np.log(1e-250)
    np.testing.assert_allclose(got[big], ref[big], rtol=1e-9)


def check_forward(hmm: HMM, obs: np.ndarray) -> None:
    """Every forward entry point on (n, T) ``obs`` against the log-space reference."""
    f, ll = hmm.filter(obs), hmm.log_likelihood(obs)
    res = hmm_filter(hmm.startprob, hmm.transmat, hmm.emissionprob, obs)
    nxt = hmm.predict_next(obs)
    assert np.isfinite(f).all() and np.isfinite(ll).all() and np.isfinite(nxt).all()
    np.testing.assert_allclose(f.sum(-1), 1, atol=1e-12)
    np.testing.assert_allclose(nxt.sum(-1), 1, atol=1e-12)
    np.testing.assert_allclose(res.filtered, f, rtol=1e-12, atol=0)  # renormalised again: ulps
    for i, seq in enumerate(obs):
        lf, lc = log_forward(hmm, seq)
        assert_beliefs_close(f[i], lf)
        np.testing.assert_allclose(res.log_normalizers[i], lc, rtol=1e-9, atol=1e-9)
        assert ll[i] == pytest.approx(lc.sum(), rel=1e-9, abs=1e-9)
        assert ll[i] <= 1e-9


CASES = [
    (seed, m, K)
    for seed, (m, K) in enumerate(
        [(1, 1), (1, 3), (2, 2), (2, 10), (3, 3), (5, 2), (8, 4), (16, 3), (32, 10), (64, 2), (64, 5)]
    )
]


@pytest.mark.parametrize("seed, m, K", CASES)
def test_forward_on_extreme_models_agrees_with_log_space(seed, m, K):
    rng = np.random.default_rng(seed)
    hmm = extreme_hmm(rng, m, K)
    check_forward(hmm, rng.integers(0, K, (8, 60)))  # any sequence: every probability is > 0
    with_zeros = extreme_hmm(rng, m, K, zeros=True)
    _, obs = with_zeros.sample(3, 40, rng=rng)  # sequences the model can produce
    check_forward(with_zeros, obs)


@pytest.mark.parametrize("seed", range(30))
def test_forward_on_random_small_extreme_models(seed):
    """Many small models: the cheap way to meet the rare structures (a product that is
    subnormal while the normaliser is not; a belief of 1e-200 that a later symbol revives)."""
    rng = np.random.default_rng(1000 + seed)
    m, K = int(rng.choice([2, 3, 5, 8])), int(rng.choice([2, 3, 10]))
    check_forward(extreme_hmm(rng, m, K), rng.integers(0, K, (4, 50)))


@pytest.mark.parametrize("seed, m, K", CASES)
def test_exact_forward_rnn_on_extreme_models_agrees_with_log_space(seed, m, K):
    rng = np.random.default_rng(100 + seed)
    hmm = extreme_hmm(rng, m, K)
    obs = rng.integers(0, K, (8, 60))
    p = exact_forward_rnn(hmm).predict_proba(obs)
    assert np.isfinite(p).all()
    for i, seq in enumerate(obs):
        assert_beliefs_close(p[i], log_forward(hmm, seq)[0])


@pytest.mark.parametrize("m", [2, 64])
def test_forward_over_ten_thousand_steps(m):
    rng = np.random.default_rng(7 + m)
    hmm = extreme_hmm(rng, m, 4)
    obs = rng.integers(0, 4, (1, 10_000))
    f, ll = hmm.filter(obs), hmm.log_likelihood(obs)
    lf, lc = log_forward(hmm, obs[0])
    assert np.isfinite(f).all() and np.isfinite(ll).all()
    assert_beliefs_close(f[0], lf)
    assert ll[0] == pytest.approx(lc.sum(), rel=1e-9)


def check_particle_filter(hmm: HMM, obs: np.ndarray, M: int, seed: int, resampling: str) -> None:
    """The filter's outputs against its own proposals, replayed and weighted in log space."""
    res = particle_filter(hmm, obs, M, rng=seed, resampling=resampling)
    n, T = obs.shape
    assert np.isfinite(res.filtered).all() and np.isfinite(res.ess).all()
    np.testing.assert_allclose(res.filtered.sum(-1), 1, atol=1e-12)
    imp = res.impossible
    assert (np.isneginf(res.log_normalizers) == imp).all() and (res.ess[imp] == 0).all()
    assert ((res.ess[~imp] >= 1 - 1e-9) & (res.ess[~imp] <= M + 1e-9)).all()
    assert np.isfinite(res.log_normalizers[~imp]).all()
    assert (res.log_likelihood[imp.any(axis=1)] == -np.inf).all()
    rnn = ParticleFilterRNN(hmm, M, resampling)
    h = rnn.initial_state(seed, n)
    with np.errstate(divide="ignore"):
        log_b = np.log(hmm.emissionprob)
    for t in range(T):
        step = rnn.step(h, obs[:, t])
        lw = log_b[step.proposed, obs[:, t][:, None]]  # (n, M) log p(x_t | G_t^(j))
        for i in np.flatnonzero(~imp[:, t]):
            w = np.exp(lw[i] - lw[i].max())
            hist = np.bincount(step.proposed[i], weights=w, minlength=hmm.m) / w.sum()
            np.testing.assert_allclose(res.filtered[i, t], hist, rtol=0, atol=1e-12)
            assert res.log_normalizers[i, t] == pytest.approx(logsumexp(lw[i]) - np.log(M), rel=1e-12)
            assert res.ess[i, t] == pytest.approx(
                np.exp(2 * logsumexp(lw[i]) - logsumexp(2 * lw[i])), rel=1e-9
            )
        np.testing.assert_array_equal(step.h[:, 3:], res.particles[:, t])
        h = step.h


@pytest.mark.parametrize("seed, m, K", CASES[::2])
@pytest.mark.parametrize("resampling", ["multinomial", "systematic"])
def test_particle_filter_on_extreme_models_agrees_with_log_space(seed, m, K, resampling):
    rng = np.random.default_rng(200 + seed)
    hmm = extreme_hmm(rng, m, K)
    check_particle_filter(hmm, rng.integers(0, K, (2, 12)), int(rng.integers(1, 40)), seed, resampling)
    with_zeros = extreme_hmm(rng, m, K, zeros=True)
    _, obs = with_zeros.sample(2, 12, rng=rng)
    check_particle_filter(with_zeros, obs, int(rng.integers(1, 40)), seed, resampling)


def test_particle_filter_over_ten_thousand_steps():
    rng = np.random.default_rng(11)
    hmm = extreme_hmm(rng, 64, 5)
    obs = rng.integers(0, 5, (2, 10_000))
    res = particle_filter(hmm, obs, 32, rng=5)
    assert np.isfinite(res.filtered).all() and np.isfinite(res.ess).all()
    np.testing.assert_allclose(res.filtered.sum(-1), 1, atol=1e-12)
    assert not res.impossible.any()  # every probability is positive
    assert np.isfinite(res.log_likelihood).all() and np.isfinite(res.log_normalizers).all()
    assert ((res.ess >= 1 - 1e-9) & (res.ess <= 32 + 1e-9)).all()
