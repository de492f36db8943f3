"""HMM.smooth / hmm_smooth (forward-backward) against independent references: enumeration of
every hidden path (in log space) and hmmlearn's predict_proba; plus long sequences, extreme
models, impossible sequences, shapes, determinism and bad inputs."""

import numpy as np
import pytest
from hmmlearn.hmm import CategoricalHMM

from probrnn import HMM
from probrnn.hmm.enumeration import brute_force_smooth
from probrnn.hmm.smoothing import (
    forward_backward,
    hmm_smooth,  # the pure function (trusts its inputs)
)

CASES = [(1, 2, 4), (2, 3, 6), (3, 2, 5), (4, 5, 4)]  # (m, K, T)


def params(hmm):
    return hmm.startprob, hmm.transmat, hmm.emissionprob


@pytest.mark.parametrize("m,K,T", CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_smooth_matches_enumeration(m, K, T, seed):
    hmm = HMM.random(m, K, rng=seed)
    _, obs = hmm.sample(3, T, rng=seed + 100)
    smoothed = hmm.smooth(obs)
    assert smoothed.shape == (3, T, m)
    for i in range(3):
        exact, _ = brute_force_smooth(*params(hmm), obs[i])
        np.testing.assert_allclose(smoothed[i], exact, atol=1e-12)


@pytest.mark.parametrize("m,K", [(2, 3), (5, 4), (16, 10)])
@pytest.mark.parametrize("seed", [0, 3])
def test_smooth_matches_hmmlearn(m, K, seed):
    hmm = HMM.random(m, K, rng=seed)
    _, obs = hmm.sample(20, 12, rng=seed + 1)
    ref = hmm.to_hmmlearn()
    X, lengths = obs.reshape(-1, 1), [12] * 20
    expected = ref.predict_proba(X, lengths).reshape(20, 12, m)
    np.testing.assert_allclose(hmm.smooth(obs), expected, atol=1e-10)


def test_last_smoothed_equals_last_filtered():
    hmm = HMM.random(4, 3, rng=5)
    _, obs = hmm.sample(6, 9, rng=6)
    np.testing.assert_allclose(hmm.smooth(obs)[:, -1], hmm.filter(obs)[:, -1], atol=1e-13)


def test_long_sequence_matches_hmmlearn():
    hmm = HMM.random(3, 4, rng=11)
    _, obs = hmm.sample(2, 10_000, rng=12)
    smoothed = hmm.smooth(obs)
    assert np.isfinite(smoothed).all()
    np.testing.assert_allclose(smoothed.sum(-1), 1.0, atol=1e-12)
    ref = hmm.to_hmmlearn()
    ref.implementation = "log"
    np.testing.assert_allclose(smoothed[1], ref.predict_proba(obs[1].reshape(-1, 1)), atol=1e-9)


def extreme_hmm(eps):
    """Two sticky states; symbol 0 is near-certain in state 0 and has probability ``eps`` in
    state 1, symbol 1 the reverse. For x = (0, 1) both paths have probability ~0.3 eps and
    ~0.7 eps, far below anything a linear-space product can hold when eps is tiny."""
    B = np.array([[1.0, eps, 0.0], [eps, 1.0, 0.0]])
    return HMM([0.3, 0.7], np.eye(2), B / B.sum(1, keepdims=True))


@pytest.mark.parametrize("eps", [1e-150, 1e-300, 1e-320])
def test_extreme_model_matches_log_space_enumeration(eps):
    hmm = extreme_hmm(eps)
    obs = np.array([[0, 1], [1, 0], [0, 0]])
    smoothed = hmm.smooth(obs)
    assert np.isfinite(smoothed).all()
    for i in range(3):
        exact, _ = brute_force_smooth(*params(hmm), obs[i])
        np.testing.assert_allclose(smoothed[i], exact, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(smoothed[0], [[0.3, 0.7], [0.3, 0.7]], rtol=1e-9)


def test_extreme_rows_are_redone_in_log_space_without_touching_the_others():
    hmm = extreme_hmm(1e-320)
    obs = np.array([[0, 1], [0, 0], [1, 1]])
    fb = forward_backward(*params(hmm), obs)
    assert fb.log_space_rows.tolist() == [0]
    alone = np.stack([hmm.smooth(o) for o in obs])
    np.testing.assert_allclose(fb.smoothed, alone, rtol=1e-12)


def late_evidence_hmm():
    """State 1 starts at probability 1e-310 (a subnormal number) but explains x = (0, 1, 1, 1)
    far better than state 0 (0.5**4 against 1e-510). No forward step is extreme, but the scaled
    backward message beta_0(1) = p(x_2..4 | H_1 = 1) / p(x_2..4 | x_1), about 1e310, overflows:
    the backward sweep hands step 0 of that row to log space."""
    return HMM([1.0, 1e-310], np.eye(2), [[1 - 1e-170, 1e-170], [0.5, 0.5]])


def test_steps_redone_in_log_space_match_enumeration():
    hmm = late_evidence_hmm()
    obs = np.array([[0, 1, 1, 1], [0, 0, 1, 0], [1, 1, 1, 1]])
    fb = forward_backward(*params(hmm), obs)
    assert fb.log_space_rows.tolist() == [0]
    assert fb.log_normalizers.min() > np.log(1e-290)  # the forward pass never fell back
    for i in range(3):
        exact, _ = brute_force_smooth(*params(hmm), obs[i])
        # linear steps lose entries below ~1e-308 / s_t (here 1.6e-209 at t = 1): absolute error
        np.testing.assert_allclose(fb.smoothed[i], exact, rtol=1e-12, atol=1e-15)


def test_tiny_probabilities_over_a_long_sequence_give_no_nan():
    m, K = 4, 3
    rng = np.random.default_rng(0)
    A = rng.dirichlet(np.ones(m), size=m)
    A[A < 0.2] = 1e-300
    B = rng.dirichlet(np.ones(K), size=m)
    B[B < 0.2] = 1e-300
    hmm = HMM(np.full(m, 1 / m), A / A.sum(1, keepdims=True), B / B.sum(1, keepdims=True))
    _, obs = hmm.sample(3, 10_000, rng=1)
    obs[0, 5000] = int(np.argmin(hmm.emissionprob[hmm.emissionprob.argmax(0)].max(0)))
    smoothed = hmm.smooth(obs)
    assert np.isfinite(smoothed).all() and (smoothed >= 0).all()
    np.testing.assert_allclose(smoothed.sum(-1), 1.0, atol=1e-12)


def test_impossible_sequence_raises_naming_sequence_and_step():
    hmm = HMM([1.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]])
    obs = np.array([[0, 0, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match=r"sequence 1 has probability zero.*t = 2.*p\(H_t \| x_1..T\)"):
        hmm.smooth(obs)
    # the pure function returns all-zero rows for it, never NaN
    out = hmm_smooth(*params(hmm), obs)
    assert np.isfinite(out).all() and (out[1] == 0).all()
    np.testing.assert_allclose(out[0], [[1, 0]] * 3)


def test_one_sequence_gives_2d_and_matches_the_batch():
    hmm = HMM.random(3, 4, rng=2)
    _, obs = hmm.sample(4, 7, rng=3)
    batch = hmm.smooth(obs)
    single = hmm.smooth(obs[2])
    assert single.shape == (7, 3) and batch.shape == (4, 7, 3)
    np.testing.assert_allclose(single, batch[2], atol=1e-14)
    assert hmm.smooth(obs.tolist()).shape == (4, 7, 3)
    assert hmm.smooth([1]).shape == (1, 3)


def test_deterministic_and_does_not_modify_obs():
    hmm = HMM.random(5, 3, rng=4)
    _, obs = hmm.sample(10, 20, rng=5)
    before = obs.copy()
    a, b = hmm.smooth(obs), hmm.smooth(obs)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(obs, before)


def test_the_counting_sweep_returns_counts_instead_of_posteriors():
    hmm = HMM.random(3, 2, rng=8)
    _, obs = hmm.sample(5, 30, rng=9)
    plain = forward_backward(*params(hmm), obs)
    counted = forward_backward(*params(hmm), obs, counts=True)
    assert plain.counts is None and counted.smoothed is None
    start, trans, emit = counted.counts
    np.testing.assert_allclose(start, plain.smoothed[:, 0].sum(0), atol=1e-13)
    np.testing.assert_allclose(emit.sum(1), plain.smoothed.sum((0, 1)), atol=1e-12)
    np.testing.assert_allclose(trans.sum(1), plain.smoothed[:, :-1].sum((0, 1)), atol=1e-12)
    assert plain.log_space_rows.size == 0 and not plain.impossible.any()


@pytest.mark.parametrize("obs,match", [
    ([[0, 1], [2, 3]], r"obs has symbols outside \[0, 3\): \[3\]"),
    ([0, -1], r"obs has symbols outside \[0, 3\): \[-1\]"),
    ([0.5, 1.0], r"obs must hold integer symbols"),
    (np.zeros((2, 2, 2), dtype=int), r"obs must have shape \(T,\) or \(n, T\)"),
    ([], r"obs is empty"),
    ([[0, 1], [1]], r"obs holds sequences of different lengths"),
    ("012", r"obs must be an array of integer symbols"),
    ([0, np.nan], r"obs must hold integer symbols"),
])
def test_bad_obs_raise_naming_the_fault(obs, match):
    hmm = HMM.random(2, 3, rng=0)
    with pytest.raises(ValueError, match=match):
        hmm.smooth(obs)


def test_matches_hmmlearn_with_lengths_from_a_fitted_model():
    """A hand-written model with zeros in every matrix (structural zeros must not give NaN)."""
    pi = np.array([0.5, 0.5, 0.0])
    A = np.array([[0.0, 1.0, 0.0], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    B = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    hmm = HMM(pi, A, B)
    _, obs = hmm.sample(30, 10, rng=0)
    ref = CategoricalHMM(3, n_features=2, init_params="")
    ref.startprob_, ref.transmat_, ref.emissionprob_ = pi, A, B
    expected = ref.predict_proba(obs.reshape(-1, 1), [10] * 30).reshape(30, 10, 3)
    np.testing.assert_allclose(hmm.smooth(obs), expected, atol=1e-12)


def test_rows_in_different_blocks_give_what_each_row_gives_alone():
    """The passes run block by block (2,048 rows at m = 2): rows that need log space, placed on
    both sides of the block boundaries, and the ordinary rows around them come out as they do
    alone; the counts of the whole batch are the sums of the counts of its parts."""
    hmm = late_evidence_hmm()
    rng = np.random.default_rng(0)
    obs = rng.integers(0, 2, size=(5000, 4))
    obs[:, 0] = 0  # starting in state 1 costs 1e-310: most rows are ordinary ...
    special = [0, 2047, 2048, 4095, 4096, 4999]
    obs[special] = [0, 1, 1, 1]  # ... these hand step 0 to log space
    fb = forward_backward(*params(hmm), obs)
    assert set(special) <= set(fb.log_space_rows.tolist())
    assert 0 < fb.log_space_rows.size < 5000  # plenty of rows of either kind
    for i in range(5000):
        exact, _ = brute_force_smooth(*params(hmm), obs[i])
        np.testing.assert_allclose(fb.smoothed[i], exact, rtol=1e-12, atol=1e-15)
    whole = forward_backward(*params(hmm), obs, counts=True).counts
    parts = [forward_backward(*params(hmm), obs[a:b], counts=True).counts
             for a, b in [(0, 1), (1, 2049), (2049, 5000)]]
    for total, *pieces in zip(whole, *parts, strict=True):
        np.testing.assert_allclose(total, sum(pieces), rtol=1e-12, atol=1e-12)
