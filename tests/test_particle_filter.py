"""probrnn.particle_filter against independent references: the forward algorithm (a limit in M),
the exact likelihood (unbiasedness), enumeration over the proposals of a tiny model, and a
plain comparison-per-threshold inverse CDF."""

import itertools

import numpy as np
import pytest

from probrnn import HMM
from probrnn.metrics import total_variation
from probrnn.particle_filter import particle_filter
from probrnn.particle_filter.bootstrap import BootstrapKernel
from probrnn.particle_filter.resampling import (
    count_at_most,
    multinomial_resample,
    systematic_resample,
)

SCHEMES = ["multinomial", "systematic"]


def _model(m, K, seed):
    return HMM.random(m, K, rng=seed)


# ----------------------------------------------------------------------------- shapes, M = 1
@pytest.mark.parametrize("m,K,n,T,M", [(1, 3, 4, 5, 3), (2, 3, 3, 1, 1), (5, 10, 7, 8, 13),
                                       (9, 4, 2, 6, 1)])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_shapes_and_ranges(m, K, n, T, M, scheme):
    hmm = _model(m, K, 10 * m + K)
    _, obs = hmm.sample(n, T, rng=1)
    r = particle_filter(hmm, obs, M, rng=2, resampling=scheme)
    assert r.filtered.shape == (n, T, m)
    assert r.log_likelihood.shape == (n,)
    assert r.ess.shape == r.log_normalizers.shape == r.impossible.shape == (n, T)
    assert r.particles.shape == (n, T, M)
    assert np.allclose(r.filtered.sum(-1), 1.0) and (r.filtered >= 0).all()
    assert r.particles.max() < m and r.particles.min() >= 0
    assert ((r.ess >= 1 - 1e-9) & (r.ess <= M + 1e-9)).all()
    assert np.allclose(r.log_normalizers.sum(1), r.log_likelihood)
    assert r.seed == 2 and not r.impossible.any()


def test_single_sequence_drops_the_batch_axis():
    hmm = _model(3, 4, 0)
    _, obs = hmm.sample(1, 6, rng=0)
    one = particle_filter(hmm, obs[0], 11, rng=5)
    batch = particle_filter(hmm, obs, 11, rng=5)
    assert one.filtered.shape == (6, 3) and isinstance(one.log_likelihood, float)
    assert np.array_equal(one.particles, batch.particles[0])
    assert one.log_likelihood == batch.log_likelihood[0]


def test_m1_single_particle_is_a_sample_of_the_chain():
    # With M = 1 the filter's particle path is a draw from the prior chain: no weight can move it.
    hmm = _model(3, 4, 3)
    _, obs = hmm.sample(4000, 2, rng=1)
    r = particle_filter(hmm, obs, 1, rng=0)
    freq = np.bincount(r.particles[:, 0, 0], minlength=3) / 4000
    assert np.abs(freq - hmm.startprob).max() < 4 * np.sqrt(0.25 / 4000)
    assert np.allclose(r.ess, 1.0)


# ----------------------------------------------------------------------------- determinism
def test_determinism_by_seed_and_generator():
    hmm = _model(4, 5, 1)
    _, obs = hmm.sample(6, 7, rng=0)
    a = particle_filter(hmm, obs, 50, rng=123)
    b = particle_filter(hmm, obs, 50, rng=123)
    c = particle_filter(hmm, obs, 50, rng=124)
    assert np.array_equal(a.particles, b.particles) and np.array_equal(a.filtered, b.filtered)
    assert not np.array_equal(a.particles, c.particles)
    g1 = particle_filter(hmm, obs, 50, rng=np.random.default_rng(9))
    g2 = particle_filter(hmm, obs, 50, rng=np.random.default_rng(9))
    assert g1.seed == g2.seed and np.array_equal(g1.particles, g2.particles)
    replay = particle_filter(hmm, obs, 50, rng=g1.seed)  # the recorded seed replays the run
    assert np.array_equal(replay.particles, g1.particles)
    fresh = particle_filter(hmm, obs, 50)  # None: fresh entropy, still replayable
    assert np.array_equal(particle_filter(hmm, obs, 50, rng=fresh.seed).particles, fresh.particles)


def test_a_sequence_does_not_depend_on_the_rows_after_it():
    hmm = _model(3, 4, 2)
    _, obs = hmm.sample(9, 5, rng=0)
    full = particle_filter(hmm, obs, 20, rng=7)
    head = particle_filter(hmm, obs[:4], 20, rng=7)
    assert np.array_equal(full.particles[:4], head.particles)


# ----------------------------------------------------------------------------- the limit M -> inf
@pytest.mark.parametrize("m,K,seed", [(2, 3, 0), (5, 10, 1), (8, 4, 2)])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_converges_to_the_forward_algorithm(m, K, seed, scheme):
    hmm = _model(m, K, seed)
    _, obs = hmm.sample(100, 8, rng=seed + 1)
    exact = hmm.filter(obs)
    r = particle_filter(hmm, obs, 10_000, rng=seed, resampling=scheme)
    # The book's claim is for m = 5 (mean TV <= 0.01); the error grows like sqrt(m / M).
    assert total_variation(r.filtered, exact).mean() <= 0.01 * max(1.0, np.sqrt(m / 5))
    assert np.abs(r.log_likelihood - hmm.log_likelihood(obs)).max() < 0.15


def test_log_log_slope_is_about_minus_one_half():
    hmm = _model(5, 10, 0)
    _, obs = hmm.sample(200, 8, rng=1)
    exact = hmm.filter(obs)
    Ms = np.array([10, 30, 100, 300, 1000, 3000])
    tv = [total_variation(particle_filter(hmm, obs, int(M), rng=3).filtered, exact).mean()
          for M in Ms]
    slope = np.polyfit(np.log(Ms), np.log(tv), 1)[0]
    assert -0.65 <= slope <= -0.35


# ----------------------------------------------------------------------------- unbiasedness
@pytest.mark.parametrize("M", [1, 3, 10])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_likelihood_estimate_is_unbiased(M, scheme):
    # The mean of exp(log-likelihood estimate) over R independent runs must match the exact
    # likelihood within Monte Carlo error (z-score of the mean, with a margin for 12 tests).
    hmm = _model(3, 4, 11)
    _, obs = hmm.sample(4, 6, rng=5)
    exact = hmm.log_likelihood(obs)
    R = 20_000
    r = particle_filter(hmm, np.repeat(obs, R, axis=0), M, rng=M, resampling=scheme)
    ratio = np.exp(r.log_likelihood - np.repeat(exact, R)).reshape(4, R)  # E = 1 if unbiased
    z = (ratio.mean(axis=1) - 1.0) / (ratio.std(axis=1, ddof=1) / np.sqrt(R))
    assert np.abs(z).max() < 4.0, z


def test_log_likelihood_of_a_long_sequence_is_finite():
    hmm = _model(4, 6, 4)
    _, obs = hmm.sample(2, 10_000, rng=0)
    r = particle_filter(hmm, obs, 30, rng=1)
    assert np.isfinite(r.log_likelihood).all() and np.isfinite(r.filtered).all()
    assert np.abs(r.log_likelihood - hmm.log_likelihood(obs)).max() / 10_000 < 0.05


# ----------------------------------------------------------------------------- enumeration
def _expected_filtered_t1(hmm, x, M):
    """E[weighted histogram at t = 1] by enumerating the M i.i.d. proposals from pi."""
    m = hmm.m
    out = np.zeros(m)
    lik = hmm.emissionprob[:, x]
    for states in itertools.product(range(m), repeat=M):
        p = np.prod(hmm.startprob[list(states)])
        w = lik[list(states)]
        if w.sum() == 0:
            continue  # never happens for a Dirichlet model
        out += p * np.bincount(states, weights=w / w.sum(), minlength=m)
    return out


@pytest.mark.parametrize("scheme", SCHEMES)
def test_first_step_matches_enumeration(scheme):
    # The weighted histogram is a ratio estimator (biased for small M): its exact mean, by
    # enumeration, is the reference. Resampling must be unbiased: the mean histogram of the
    # resampled particles has the same expectation.
    hmm = _model(3, 4, 6)
    M, R, x = 3, 60_000, 2
    expected = _expected_filtered_t1(hmm, x, M)
    r = particle_filter(hmm, np.full((R, 1), x), M, rng=4, resampling=scheme)
    weighted = r.filtered[:, 0]
    resampled = np.stack([(r.particles[:, 0] == s).mean(axis=1) for s in range(3)], axis=1)
    for est in (weighted, resampled):
        se = est.std(axis=0, ddof=1) / np.sqrt(R)
        assert np.all(np.abs(est.mean(axis=0) - expected) < 4.5 * se + 1e-12)


# ----------------------------------------------------------------------------- inverse CDF
@pytest.mark.parametrize("m", [1, 2, 5, 17, 40])
def test_propagation_is_the_exact_inverse_cdf(m):
    hmm = _model(m, 3, m)
    kern = BootstrapKernel(hmm)
    rng = np.random.default_rng(m)
    n, M = 50, 64
    parents = rng.integers(0, m + 1, size=(n, M))
    u = rng.random((n, M))
    # include uniforms sitting exactly on thresholds and on guide-bin edges
    u[:, 0] = kern.thresholds[parents[:, 0], 0] if m > 1 else 0.5
    u[:, 1] = np.floor(u[:, 1] * 1024) / 1024
    u[:, 2] = np.nextafter(u[:, 0], 0)
    table = np.vstack([hmm.transmat, hmm.startprob])
    cum = np.cumsum(table, axis=1)
    cum = cum / cum[:, -1:]
    ref = np.array([[np.searchsorted(cum[p, :-1], uu, side="right")
                     for p, uu in zip(pr, ur, strict=True)]
                    for pr, ur in zip(parents, u, strict=True)])
    assert np.array_equal(kern.propagate(parents, u), ref)


@pytest.mark.parametrize("r", [0, 1, 4, 15, 16, 33])
def test_count_at_most_matches_searchsorted(r):
    rng = np.random.default_rng(r)
    thr = np.sort(rng.random((6, r)), axis=1)
    if r > 2:
        thr[:, 1] = thr[:, 2]  # a repeated threshold: an empty interval
    u = rng.random((6, 40))
    ref = np.array([np.searchsorted(thr[i], u[i], side="right") for i in range(6)])
    assert np.array_equal(count_at_most(thr, u), ref)
    rows = rng.integers(0, 6, size=30)
    v = rng.random(30)
    ref2 = np.array([np.searchsorted(thr[i], x, side="right")
                     for i, x in zip(rows, v, strict=True)])
    assert np.array_equal(count_at_most(thr, v, rows=rows), ref2)
    out = np.empty((6, 40), dtype=np.uint8)
    assert np.array_equal(count_at_most(thr, u, out=out), ref)


def test_resampling_references():
    rng = np.random.default_rng(0)
    w = rng.random((5, 30))
    w[:, 3] = 0.0
    u = rng.random((5, 30))
    a = multinomial_resample(w, u)
    cw = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)
    ref = np.array([np.searchsorted(cw[i, :-1], u[i], side="right") for i in range(5)])
    assert np.array_equal(a, ref) and not (a == 3).any()
    s = systematic_resample(w, rng.random(5))
    counts = np.stack([np.bincount(row, minlength=30) for row in s])
    expect = 30 * w / w.sum(axis=1, keepdims=True)
    assert (counts >= np.floor(expect) - 1e-9).all() and (counts <= np.ceil(expect) + 1e-9).all()


# ----------------------------------------------------------------------------- impossible x_t
def _deterministic_hmm():
    # State 0 emits only 0, state 1 only 1; the chain never leaves state 0 once there.
    return HMM([0.999, 0.001], [[1.0, 0.0], [0.5, 0.5]], [[1.0, 0.0], [0.0, 1.0]])


@pytest.mark.parametrize("scheme", SCHEMES)
def test_impossible_observation_is_reported_not_nan(scheme):
    hmm = _deterministic_hmm()
    obs = np.array([[0, 1, 0], [1, 1, 0], [0, 0, 0]])  # row 0 impossible under the model too
    r = particle_filter(hmm, obs, 5, rng=0, resampling=scheme)
    assert np.isfinite(r.filtered).all() and not np.isnan(r.ess).any()
    assert np.allclose(r.filtered.sum(-1), 1.0)
    assert r.impossible[0, 1] and r.log_likelihood[0] == -np.inf and r.ess[0, 1] == 0.0
    assert not r.impossible[2].any() and np.isfinite(r.log_likelihood[2])
    # row 1 is possible (prob 0.001 * 0.5) but 5 particles almost surely all start in state 0
    assert r.impossible[1, 0] and r.log_likelihood[1] == -np.inf
    assert np.allclose(r.filtered[1, 0], [1.0, 0.0])  # kept unweighted: the prediction


def test_impossible_with_one_particle():
    hmm = _deterministic_hmm()
    r = particle_filter(hmm, np.array([1, 1, 1, 0]), 1, rng=3)
    assert np.isfinite(r.filtered).all() and r.impossible.any()


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True, None, 10.0])
def test_bad_n_particles(bad):
    hmm = _model(2, 3, 0)
    with pytest.raises(ValueError, match="n_particles"):
        particle_filter(hmm, [0, 1], bad)


@pytest.mark.parametrize("bad", ["stratified", "Multinomial", None, 1])
def test_bad_resampling(bad):
    hmm = _model(2, 3, 0)
    with pytest.raises(ValueError, match="resampling"):
        particle_filter(hmm, [0, 1], 5, resampling=bad)


@pytest.mark.parametrize("bad", [1.5, "7", -1, 2**63, True, [1, 2], object()])
def test_bad_seed(bad):
    hmm = _model(2, 3, 0)
    with pytest.raises(ValueError, match="rng"):
        particle_filter(hmm, [0, 1], 5, rng=bad)


def test_bad_model_and_observations():
    hmm = _model(2, 3, 0)
    with pytest.raises(ValueError, match="HMM"):
        particle_filter("not a model", [0, 1], 5)
    with pytest.raises(ValueError, match="outside"):
        particle_filter(hmm, [0, 3], 5)
    with pytest.raises(ValueError, match="empty"):
        particle_filter(hmm, [], 5)
