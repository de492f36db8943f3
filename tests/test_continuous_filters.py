"""probrnn.continuous's 1-D filters against independent references: the Kalman filter (exact on a
linear-Gaussian model), a much finer and wider grid (the grid filter's limit), the grid filter
(the particle filter's limit in M), the exact likelihood (unbiasedness of the particle estimate),
scipy's Wasserstein distance, and the models' own definitions (sampling moments)."""

import numpy as np
import pytest
import scipy.stats
from scipy.special import logsumexp
from threadpoolctl import threadpool_limits

from probrnn.continuous import (
    GrowthModel,
    LinearGaussianSSM,
    ScalarLinearSSM,
    as_scalar,
    bin_onto_grid,
    bootstrap_filter,
    grid_filter,
    kalman_filter,
    total_variation,
    wasserstein1,
)

SCHEMES = ["multinomial", "systematic"]
LINEAR = [(0.9, 1.0, 1.0, 1.0, 0.0, 1.0), (0.5, 2.0, 0.5, 0.3, 1.0, 2.0), (-0.8, 0.7, 2.0, 0.1, -2.0, 4.0)]


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """One BLAS thread: these products are small, and on a busy 2-core machine two OpenBLAS
    threads that meet at every product run 10-50x slower than one."""
    with threadpool_limits(1, user_api="blas"):
        yield


# ----------------------------------------------------------------------------- the models
def test_growth_model_sample_follows_its_definition():
    gm = GrowthModel()
    n, T = 20_000, 6
    x, y = gm.sample(n, T, rng=1)
    assert x.shape == y.shape == (n, T)
    se = 4.5 / np.sqrt(n)
    assert abs(x[:, 0].mean()) < se * np.sqrt(5) and abs(x[:, 0].var() / 5 - 1) < 4.5 * np.sqrt(2 / n)
    v = x[:, 1:] - gm.transition_mean(x[:, :-1], np.arange(2, T + 1))  # the state noise
    w = y - x ** 2 / 20  # the observation noise
    assert np.abs(v.mean(0)).max() < se * np.sqrt(10) and np.abs(v.var(0) / 10 - 1).max() < 0.05
    assert np.abs(w.mean(0)).max() < se and np.abs(w.var(0) - 1).max() < 0.05
    assert np.abs(np.corrcoef(v[:, 0], v[:, 1])[0, 1]) < se
    assert np.array_equal(gm.sample(3, 4, rng=2)[1], gm.sample(3, 4, rng=2)[1])
    assert gm.transition_mean(np.array(2.0), 3) == pytest.approx(1 + 10 + 8 * np.cos(3.6))


def test_scalar_linear_model_is_the_1d_lgssm():
    sm = ScalarLinearSSM(0.9, 1.5, 0.7, 0.2, 1.0, 3.0)
    lg = sm.to_lgssm()
    back = as_scalar(lg)
    assert (back.a, back.c, back.state_var, back.obs_var, back.prior_mean, back.prior_var) == (
        0.9, 1.5, 0.7, 0.2, 1.0, 3.0)
    x, y = sm.sample(30_000, 3, rng=4)
    np.testing.assert_allclose(np.cov(y.T), np.cov(lg.sample(30_000, 3, rng=5)[1][..., 0].T),
                               rtol=0.05)


# ----------------------------------------------------------------------------- grid vs Kalman
@pytest.mark.parametrize("params", LINEAR)
def test_grid_filter_matches_the_kalman_filter_on_a_linear_model(params):
    sm = ScalarLinearSSM(*params)
    _, y = sm.sample(4, 30, rng=7)
    grid = grid_filter(sm, y)  # default grid: 1,000 points over +-10 sd
    kal = kalman_filter(sm.to_lgssm(), y[..., None])
    np.testing.assert_allclose(grid.means, kal.means[..., 0], rtol=0, atol=1e-9)
    var = np.einsum("ntg,g->nt", grid.weights, grid.grid ** 2) - grid.means ** 2
    np.testing.assert_allclose(var, np.broadcast_to(kal.covs[:, 0, 0], var.shape), rtol=1e-8)
    np.testing.assert_allclose(grid.log_likelihood, kal.log_likelihood, rtol=0, atol=1e-9)
    np.testing.assert_allclose(grid.log_normalizers, kal.log_normalizers, rtol=0, atol=1e-10)
    assert np.allclose(grid.weights.sum(-1), 1.0) and (grid.weights >= 0).all()


def test_grid_filter_takes_a_1d_lgssm_and_single_sequences():
    lg = LinearGaussianSSM.random(1, 1, rng=3)
    _, y = lg.sample(3, 10, rng=4)
    batch = grid_filter(lg, y[..., 0])
    assert batch.weights.shape == (3, 10, 1000) and batch.means.shape == (3, 10)
    one = grid_filter(lg, y[1, :, 0])  # (T,): one sequence
    assert one.weights.shape == (10, 1000) and isinstance(one.log_likelihood, float)
    np.testing.assert_allclose(one.weights, batch.weights[1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(kalman_filter(lg, y).log_likelihood, batch.log_likelihood, atol=1e-9)


# ----------------------------------------------------------------------------- grid refinement
@pytest.fixture(scope="module")
def growth():
    """The growth model, 10 sequences of length 40, and a reference grid filter on 2,001 points
    over [-50, 50] (spacing 0.05, wider than the default [-40, 40])."""
    gm = GrowthModel()
    _, y = gm.sample(10, 40, rng=5)
    ref = grid_filter(gm, y, np.linspace(-50, 50, 2001))
    return gm, y, ref


def test_grid_filter_converges_as_the_grid_is_refined(growth):
    gm, y, ref = growth
    errs = []
    for G in (150, 300, 500, 1000):
        res = grid_filter(gm, y, np.linspace(-40, 40, G))
        errs.append((np.abs(res.means - ref.means).max(),
                     np.abs(res.log_likelihood - ref.log_likelihood).max()))
    errs = np.array(errs)
    assert (np.diff(np.log(errs), axis=0) < -1.0).all()  # each refinement gains a factor > e
    default = grid_filter(gm, y)  # the default grid is the G = 1000 one
    assert np.abs(default.means - ref.means).max() < 1e-8  # the stated tolerance
    assert np.abs(default.log_likelihood - ref.log_likelihood).max() < 1e-8
    # ... and [-30, 30] is too narrow for that (why the default is [-40, 40])
    narrow = grid_filter(gm, y, np.linspace(-30, 30, 1000))
    assert np.abs(narrow.log_likelihood - ref.log_likelihood).max() > 1e-5


def test_both_routes_and_chunking_agree(growth):
    gm, y, _ = growth
    grid = np.linspace(-40, 40, 300)
    fast = grid_filter(gm, y[:3], grid)
    direct = grid_filter(gm, y[:3], grid, max_cache=0)  # a (G, G) matrix rebuilt every step
    chunked = grid_filter(gm, y[:3], grid, max_cache=0, max_chunk=7 * 300)  # 7 rows at a time
    for other in (direct, chunked):
        np.testing.assert_allclose(other.weights, fast.weights, rtol=0, atol=1e-12)
        np.testing.assert_allclose(other.log_likelihood, fast.log_likelihood, rtol=1e-12)


def test_grid_filter_survives_far_off_observations_and_uneven_grids():
    gm = GrowthModel()
    y = np.array([[1.0, 2.0, 1e4, 3.0], [0.0, -50.0, 0.0, 1e6]])
    res = grid_filter(gm, y, np.linspace(-40, 40, 400))
    assert np.isfinite(res.weights).all() and np.isfinite(res.log_likelihood).all()
    assert np.allclose(res.weights.sum(-1), 1.0)
    assert res.log_normalizers[0, 2] < -1e6  # the log-space redo: tiny, not -inf
    uneven = np.sort(np.concatenate([np.linspace(-40, 40, 700), np.linspace(-5, 5, 300)[1:-1]]))
    _, y = gm.sample(2, 15, rng=8)
    a, b = grid_filter(gm, y, uneven), grid_filter(gm, y, np.linspace(-40, 40, 2000))
    assert np.abs(a.means - b.means).max() < 1e-3  # an uneven grid converges like spacing^2


# ----------------------------------------------------------------------------- particles
@pytest.mark.parametrize("scheme", SCHEMES)
def test_particle_filter_approaches_the_grid_filter_as_m_grows(growth, scheme):
    gm, y, ref = growth
    Ms = np.array([400, 1600, 6400])
    err, w1 = [], []
    for M in Ms:
        r = bootstrap_filter(gm, y, int(M), rng=3, resampling=scheme)
        err.append(np.abs(r.means - ref.means).mean())
        binned = bin_onto_grid(r.particles, ref.grid, np.exp(r.log_weights))  # (n, T, G)
        w1.append(wasserstein1(binned, ref.weights, ref.grid).mean())
    slope = np.polyfit(np.log(Ms), np.log(err), 1)[0]
    slope_w1 = np.polyfit(np.log(Ms), np.log(w1), 1)[0]
    assert -0.75 < slope < -0.3 and -0.75 < slope_w1 < -0.3  # roughly M^(-1/2)
    assert err[-1] < 0.15 and w1[-1] < 0.15  # in units of x, whose range is about +-25


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("seq", [0, 1])
def test_likelihood_estimate_is_unbiased(scheme, seq):
    # E[exp(loglik_hat)] = p(y_1..T), exact from the Kalman filter; R independent runs are R
    # rows of one batch holding the same sequence.
    sm = ScalarLinearSSM(0.9, 1.0, 1.0, 1.0, 0.0, 1.0)
    _, y = sm.sample(2, 20, rng=7)
    exact = kalman_filter(sm.to_lgssm(), y[seq, :, None]).log_likelihood
    R = 4000
    r = bootstrap_filter(sm, np.repeat(y[seq:seq + 1], R, axis=0), 50, rng=11, resampling=scheme)
    ratio = np.exp(r.log_likelihood - exact)
    se = ratio.std() / np.sqrt(R)
    assert abs(ratio.mean() - 1) < 4 * se and se < 0.02
    assert r.log_likelihood.mean() < exact  # the log of the estimate is biased low (Jensen)


def test_particle_filter_is_deterministic_and_sequences_are_independent():
    gm = GrowthModel()
    _, y = gm.sample(5, 12, rng=1)
    a = bootstrap_filter(gm, y, 64, rng=9)
    b = bootstrap_filter(gm, y, 64, rng=9)
    for f in ("particles", "log_weights", "means", "log_likelihood", "ess"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    c = bootstrap_filter(gm, y[:2], 64, rng=9)  # row i does not depend on the rows after it
    assert np.array_equal(c.particles, a.particles[:2])
    g = bootstrap_filter(gm, y, 64, rng=np.random.default_rng(4))
    assert np.array_equal(bootstrap_filter(gm, y, 64, rng=g.seed).means, g.means)
    assert not np.array_equal(bootstrap_filter(gm, y, 64, rng=10).particles, a.particles)
    one = bootstrap_filter(gm, y[0], 64, rng=9)
    assert one.particles.shape == (12, 64) and isinstance(one.log_likelihood, float)
    assert np.array_equal(one.particles, a.particles[0])


@pytest.mark.parametrize("scheme", SCHEMES)
def test_particle_filter_shapes_ranges_and_far_off_observations(scheme):
    gm = GrowthModel()
    y = np.array([[1.0, 2.0, 1e4, 3.0, 5.0], [0.0, -50.0, 0.0, 1e6, 2.0]])
    r = bootstrap_filter(gm, y, 100, rng=2, resampling=scheme)
    assert r.particles.shape == r.log_weights.shape == (2, 5, 100)
    assert r.means.shape == r.ess.shape == r.log_normalizers.shape == (2, 5)
    for f in ("particles", "log_weights", "means", "log_likelihood", "ess"):
        assert np.isfinite(getattr(r, f)).all()
    np.testing.assert_allclose(logsumexp(r.log_weights, axis=-1), 0.0, atol=1e-12)
    assert ((r.ess >= 1 - 1e-9) & (r.ess <= 100 + 1e-9)).all()
    assert np.allclose(r.log_normalizers.sum(1), r.log_likelihood)
    assert r.log_normalizers[0, 2] < -1e5 and r.seed == 2
    m1 = bootstrap_filter(gm, y, 1, rng=2, resampling=scheme)  # M = 1: weights are all 1
    assert np.array_equal(m1.log_weights, np.zeros((2, 5, 1))) and (m1.ess == 1).all()


# ----------------------------------------------------------------------------- distances
def test_wasserstein_and_tv_against_scipy_and_by_hand():
    rng = np.random.default_rng(0)
    grid = np.sort(rng.uniform(-3, 3, 40))
    p, q = rng.dirichlet(np.ones(40), size=(2, 3)), rng.dirichlet(np.ones(40), size=(2, 3))
    w1 = wasserstein1(p, q, grid)
    assert w1.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            ref = scipy.stats.wasserstein_distance(grid, grid, p[i, j], q[i, j])
            assert w1[i, j] == pytest.approx(ref, rel=1e-10)
    np.testing.assert_allclose(total_variation(p, q), 0.5 * np.abs(p - q).sum(-1), rtol=1e-14)
    e = np.eye(40)
    assert wasserstein1(e[3], e[10], grid) == pytest.approx(grid[10] - grid[3], rel=1e-12)
    assert total_variation(e[3], e[10]) == 1.0 and total_variation(p, p).max() == 0.0


def test_binning_keeps_mass_and_mean():
    grid = np.linspace(-2, 2, 41)
    rng = np.random.default_rng(1)
    x = rng.normal(0, 0.7, size=(3, 500)).clip(-1.9, 1.9)
    w = rng.uniform(size=(3, 500))
    b = bin_onto_grid(x, grid, w)
    assert b.shape == (3, 41) and np.allclose(b.sum(-1), 1.0) and (b >= 0).all()
    np.testing.assert_allclose(b @ grid, (w * x).sum(-1) / w.sum(-1), rtol=1e-12)
    on_points = bin_onto_grid(np.array([grid[5], grid[5], grid[7], 9.0]), grid)
    np.testing.assert_allclose(on_points[[5, 7, 40]], [0.5, 0.25, 0.25], rtol=1e-12)


# ----------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("call,match", [
    (lambda: GrowthModel(state_var=0.0), r"state_var must be > 0.0 \(got 0.0\)"),
    (lambda: GrowthModel(c=np.nan), r"c must be finite"),
    (lambda: grid_filter(GrowthModel(), [1.0, np.inf]), r"obs has NaN or infinite entries at \[\[1\]\]"),
    (lambda: grid_filter(GrowthModel(), [1.0], [0.0, 1.0, 1.0]),
     r"grid must be strictly increasing \(points 1 and 2 are 1 and 1\)"),
    (lambda: grid_filter(GrowthModel(), [1.0], [0.0]), r"grid needs at least 2 points"),
    (lambda: grid_filter(LinearGaussianSSM.random(2, 1), [1.0]),
     r"model must have a 1-D state and observation .* \(got d = 2, p = 1\)"),
    (lambda: grid_filter("model", [1.0]), r"model must be a probrnn.continuous.ScalarSSM"),
    (lambda: grid_filter(GrowthModel(), np.zeros((2, 3, 2))), r"obs must have shape \(n, T\)"),
    (lambda: bootstrap_filter(GrowthModel(), [1.0], 0), r"n_particles must be at least 1"),
    (lambda: bootstrap_filter(GrowthModel(), [1.0], 10, resampling="stratified"),
     r"unknown resampling scheme 'stratified'"),
    (lambda: bootstrap_filter(GrowthModel(), [1.0], 10, rng=-1),
     r"rng seed must be a non-negative integer below 2\*\*63 \(got -1\)"),
    (lambda: ScalarLinearSSM(1.0, 1.0, 1.0, 1.0).default_grid(),
     r"a = 1.0 gives a non-stationary state"),
    (lambda: bin_onto_grid([0.0, 1.0], [0.0, 1.0], [1.0]), r"weights must have the shape of samples"),
    (lambda: bin_onto_grid([0.0, 1.0], [0.0, 1.0], [-1.0, 2.0]), r"weights must be non-negative"),
    (lambda: wasserstein1(np.ones(3) / 3, np.ones(4) / 4, [0.0, 1.0, 2.0]),
     r"p and q must be on the same grid"),
])
def test_bad_inputs_are_refused_with_the_fault_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
