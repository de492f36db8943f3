"""Baum-Welch (HMM.fit, expected_counts): the E-step against enumeration of every hidden path,
the whole fit against hmmlearn started from the same parameters; zero counts, restarts,
determinism and bad inputs."""

import numpy as np
import pytest
from hmmlearn.hmm import CategoricalHMM

from probrnn import HMM
from probrnn.hmm import expected_counts
from probrnn.hmm.baum_welch import BaumWelchInfo, baum_welch, m_step
from probrnn.hmm.enumeration import brute_force_expected_counts, brute_force_smooth
from probrnn.hmm.smoothing import forward_backward

CASES = [(1, 2, 4), (2, 3, 6), (3, 2, 5), (4, 5, 4)]  # (m, K, T)


def params(hmm):
    return hmm.startprob, hmm.transmat, hmm.emissionprob


def summed_brute_force(hmm, obs):
    parts = [brute_force_expected_counts(*params(hmm), o) for o in obs]
    return [sum(p[k] for p in parts) for k in range(4)]


@pytest.mark.parametrize("m,K,T", CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_expected_counts_match_enumeration(m, K, T, seed):
    hmm = HMM.random(m, K, rng=seed)
    _, obs = hmm.sample(5, T, rng=seed + 10)
    counts = expected_counts(*params(hmm), obs)
    start, trans, emit, ll = summed_brute_force(hmm, obs)
    np.testing.assert_allclose(counts.start, start, atol=1e-12)
    np.testing.assert_allclose(counts.trans, trans, atol=1e-12)
    np.testing.assert_allclose(counts.emit, emit, atol=1e-12)
    np.testing.assert_allclose(counts.log_likelihood.sum(), ll, rtol=1e-12)
    assert counts.start.sum() == pytest.approx(5) and counts.emit.sum() == pytest.approx(5 * T)
    assert counts.trans.sum() == pytest.approx(5 * (T - 1))


@pytest.mark.parametrize("eps", [1e-300, 1e-320])
def test_expected_counts_of_an_extreme_model_match_enumeration(eps):
    B = np.array([[1.0, eps, 0.0], [eps, 1.0, 0.0]])
    hmm = HMM([0.3, 0.7], [[1 - eps, eps], [eps, 1 - eps]], B / B.sum(1, keepdims=True))
    obs = np.array([[0, 1, 1], [1, 0, 0], [0, 0, 1], [1, 1, 1]])
    counts = expected_counts(*params(hmm), obs)
    start, trans, emit, _ = summed_brute_force(hmm, obs)
    for got, want in ((counts.start, start), (counts.trans, trans), (counts.emit, emit)):
        assert np.isfinite(got).all()
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_expected_counts_with_steps_redone_in_log_space_match_enumeration():
    hmm = HMM([1.0, 1e-310], np.eye(2), [[1 - 1e-170, 1e-170], [0.5, 0.5]])  # see test_smoothing
    obs = np.array([[0, 1, 1, 1], [0, 0, 1, 0], [1, 1, 1, 1]])
    counts = expected_counts(*params(hmm), obs)
    start, trans, emit, _ = summed_brute_force(hmm, obs)
    for got, want in ((counts.start, start), (counts.trans, trans), (counts.emit, emit)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def hmmlearn_fit(init, obs, n_iter, tol):
    n, T = obs.shape
    ref = CategoricalHMM(n_components=init.m, n_features=init.n_symbols, n_iter=n_iter, tol=tol,
                         init_params="", params="ste", implementation="scaling")
    ref.startprob_, ref.transmat_, ref.emissionprob_ = (np.array(p) for p in params(init))
    ref.fit(obs.reshape(-1, 1), lengths=[T] * n)
    return ref


@pytest.mark.parametrize("m,K,seed", [(2, 3, 0), (4, 5, 1), (8, 3, 2)])
def test_fit_follows_hmmlearn_from_the_same_start(m, K, seed):
    truth = HMM.random(m, K, rng=seed)
    _, obs = truth.sample(60, 12, rng=seed + 1)
    init = HMM.random(m, K, rng=seed + 2)
    ref = hmmlearn_fit(init, obs, n_iter=25, tol=-np.inf)
    fitted, info = HMM.fit(obs, m, K, n_iter=25, tol=0.0, init=init)
    history = np.array(ref.monitor_.history)
    assert info.iterations == len(history) == 25 and info.log_likelihoods.shape == (25,)
    np.testing.assert_allclose(info.log_likelihoods, history, rtol=1e-9)
    np.testing.assert_allclose(fitted.transmat, ref.transmat_, atol=1e-7)
    np.testing.assert_allclose(fitted.emissionprob, ref.emissionprob_, atol=1e-7)
    np.testing.assert_allclose(fitted.startprob, ref.startprob_, atol=1e-7)
    assert np.all(np.diff(info.log_likelihoods) > -1e-8)  # EM never lowers the likelihood


def test_fit_stops_at_the_same_iteration_as_hmmlearn():
    truth = HMM.random(3, 4, rng=7)
    _, obs = truth.sample(100, 10, rng=8)
    init = HMM.random(3, 4, rng=9)
    ref = hmmlearn_fit(init, obs, n_iter=200, tol=0.05)
    fitted, info = HMM.fit(obs, 3, 4, n_iter=200, tol=0.05, init=init)
    assert info.iterations == len(ref.monitor_.history) < 200 and info.converged
    np.testing.assert_allclose(info.log_likelihoods, ref.monitor_.history, rtol=1e-9)
    np.testing.assert_allclose(fitted.transmat, ref.transmat_, atol=1e-7)


def test_n_iter_reached_is_not_converged():
    truth = HMM.random(3, 4, rng=1)
    _, obs = truth.sample(50, 10, rng=2)
    _, info = HMM.fit(obs, 3, 4, n_iter=3, tol=0.0, rng=0)
    assert info.iterations == 3 and not info.converged


def test_restarts_choose_the_best_and_are_deterministic():
    truth = HMM.random(3, 3, rng=3)
    _, obs = truth.sample(40, 10, rng=4)
    a, info = HMM.fit(obs, 3, 3, n_iter=20, rng=5, restarts=3)
    b, info_b = HMM.fit(obs, 3, 3, n_iter=20, rng=np.random.default_rng(5), restarts=3)
    assert isinstance(info, BaumWelchInfo)
    assert info.restart_log_likelihoods.shape == (3,) and info.restart_iterations.shape == (3,)
    assert info.best_restart == int(np.argmax(info.restart_log_likelihoods))
    assert info.log_likelihood == pytest.approx(a.log_likelihood(obs).sum(), rel=1e-12)
    assert info.iterations == info.restart_iterations[info.best_restart]
    np.testing.assert_array_equal(a.transmat, b.transmat)
    np.testing.assert_array_equal(info.log_likelihoods, info_b.log_likelihoods)
    # restart r of a 3-restart run is the r-th random start: a 1-restart run is restart 0
    _, one = HMM.fit(obs, 3, 3, n_iter=20, rng=5, restarts=1)
    assert one.restart_log_likelihoods[0] == info.restart_log_likelihoods[0]


def test_init_is_the_first_restart_and_the_rest_are_random():
    truth = HMM.random(2, 3, rng=0)
    _, obs = truth.sample(30, 8, rng=1)
    init = HMM.random(2, 3, rng=2)
    _, alone = HMM.fit(obs, 2, 3, n_iter=10, init=init)
    _, both = HMM.fit(obs, 2, 3, n_iter=10, init=init, restarts=2, rng=0)
    assert both.restart_log_likelihoods[0] == alone.restart_log_likelihoods[0]
    assert both.restart_log_likelihoods[1] != alone.restart_log_likelihoods[0]


def test_states_and_symbols_without_counts_keep_their_rows():
    # state 2 is never reached (no start, no transition into it); symbol 3 never appears
    pi = np.array([0.5, 0.5, 0.0])
    A = np.array([[0.7, 0.3, 0.0], [0.4, 0.6, 0.0], [0.2, 0.3, 0.5]])
    B = np.array([[0.5, 0.3, 0.1, 0.1], [0.1, 0.3, 0.5, 0.1], [0.25, 0.25, 0.25, 0.25]])
    init = HMM(pi, A, B)
    obs = np.random.default_rng(0).integers(0, 3, size=(20, 6))
    fitted, info = HMM.fit(obs, 3, 4, n_iter=5, init=init)
    for arr in params(fitted):
        assert np.isfinite(arr).all()
    np.testing.assert_array_equal(fitted.transmat[2], A[2])
    np.testing.assert_array_equal(fitted.emissionprob[2], B[2])
    assert fitted.startprob[2] == 0 and (fitted.transmat[:2, 2] == 0).all()
    assert (fitted.emissionprob[:2, 3] == 0).all()
    # a single step per sequence: no transitions at all, so A is kept whole
    fitted1, _ = HMM.fit(obs[:, :1], 3, 4, n_iter=2, init=init)
    np.testing.assert_array_equal(fitted1.transmat, A)


def test_m_step_of_zero_counts_keeps_everything():
    hmm = HMM.random(2, 2, rng=0)
    counts = expected_counts(*params(hmm), np.zeros((1, 1), dtype=np.int64))._replace(
        start=np.zeros(2), emit=np.zeros((2, 2)))
    pi, A, B = m_step(counts, *params(hmm))
    np.testing.assert_array_equal(pi, hmm.startprob)
    np.testing.assert_array_equal(A, hmm.transmat)
    np.testing.assert_array_equal(B, hmm.emissionprob)


def test_one_sequence_and_the_pure_function():
    truth = HMM.random(2, 2, rng=4)
    _, obs = truth.sample(1, 200, rng=5)
    init = HMM.random(2, 2, rng=6)
    fitted, info = HMM.fit(obs[0], 2, 2, n_iter=5, tol=0.0, init=init)
    run = baum_welch(*params(init), obs, n_iter=5, tol=0.0)
    np.testing.assert_array_equal(run.history, info.log_likelihoods)
    np.testing.assert_allclose(fitted.transmat, run.transmat, atol=1e-15)


def test_long_sequence_fit_is_finite():
    truth = HMM.random(3, 4, rng=0)
    _, obs = truth.sample(1, 10_000, rng=1)
    fitted, info = HMM.fit(obs, 3, 4, n_iter=3, rng=2)
    assert np.isfinite(info.log_likelihoods).all()
    assert np.all(np.diff(info.log_likelihoods) > 0)


def test_impossible_data_under_init_raise():
    init = HMM([1.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]])
    obs = np.array([[0, 0, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match=r"sequence 1 has probability zero under init.*t = 2"):
        HMM.fit(obs, 2, 2, init=init)


OBS = np.array([[0, 1, 2], [2, 1, 0]])


@pytest.mark.parametrize("kwargs,match", [
    (dict(obs=[[0, 3]]), r"obs has symbols outside \[0, 3\): \[3\]"),
    (dict(obs=[[0, 1], [1]]), r"obs holds sequences of different lengths"),
    (dict(obs=[0.5]), r"obs must hold integer symbols"),
    (dict(m=0), r"m \(number of hidden states\) must be at least 1"),
    (dict(m=2.0), r"m \(number of hidden states\) must be an integer"),
    (dict(n_symbols=True), r"n_symbols must be an integer"),
    (dict(n_iter=0), r"n_iter must be at least 1"),
    (dict(tol=-1.0), r"tol must be >= 0.0"),
    (dict(tol=float("nan")), r"tol must be finite"),
    (dict(restarts=0), r"restarts must be at least 1"),
    (dict(rng=-1), r"rng seed must be a non-negative integer"),
    (dict(rng="a"), r"rng must be a non-negative integer seed"),
    (dict(init="hmm"), r"init must be a probrnn.HMM"),
    (dict(init=HMM.random(3, 3, rng=0)), r"init has m = 3 states and 3 symbols; fit asked for m = 2"),
])
def test_bad_inputs_raise_naming_the_fault(kwargs, match):
    args = dict(obs=OBS, m=2, n_symbols=3)
    args.update(kwargs)
    obs, m, K = args.pop("obs"), args.pop("m"), args.pop("n_symbols")
    with pytest.raises(ValueError, match=match):
        HMM.fit(obs, m, K, **args)


def sparse_hmm():
    """A left-to-right HMM (zero transitions, so some predictions p(H_t = j | x_<t) are 0)
    whose state 3 alone emits symbol 2 and is entered from state 2 only: sequences with
    symbol 2 too early are impossible."""
    A = np.array([[0.6, 0.4, 0.0, 0.0], [0.0, 0.5, 0.5, 0.0], [0.0, 0.0, 0.7, 0.3],
                  [0.0, 0.0, 0.0, 1.0]])
    B = np.array([[0.7, 0.3, 0.0], [0.2, 0.8, 0.0], [0.5, 0.5, 0.0], [0.1, 0.3, 0.6]])
    return HMM([1.0, 0.0, 0.0, 0.0], A, B)


def test_zero_predictions_and_impossible_rows_in_one_block_match_enumeration():
    """The backward factor is (alpha_t * beta_t) / p_t, masked where p_t = 0; impossible rows
    share the block with possible ones and must add nothing."""
    hmm = sparse_hmm()
    obs = np.array([[0, 1, 1, 0, 2, 2], [0, 2, 0, 1, 1, 1], [1, 1, 0, 0, 1, 2],
                    [0, 0, 0, 0, 0, 0], [2, 0, 0, 0, 0, 0], [1, 0, 1, 1, 2, 0]])
    fb = forward_backward(*params(hmm), obs)
    assert fb.impossible.tolist() == [False, True, False, False, True, False]
    for i in np.flatnonzero(~fb.impossible):
        exact, _ = brute_force_smooth(*params(hmm), obs[i])
        np.testing.assert_allclose(fb.smoothed[i], exact, atol=1e-13)
    assert (fb.smoothed[fb.impossible] == 0).all()
    counts = forward_backward(*params(hmm), obs, counts=True).counts
    start, trans, emit, _ = summed_brute_force(hmm, obs[~fb.impossible])
    for got, want in zip(counts, (start, trans, emit), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-12)
