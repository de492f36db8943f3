"""HMM.viterbi / hmm_viterbi against enumeration of every hidden path and hmmlearn's decode;
plus ties, long sequences, extreme models, impossible sequences, shapes and bad inputs."""

import numpy as np
import pytest

from probrnn import HMM
from probrnn.hmm.enumeration import brute_force_viterbi
from probrnn.hmm.viterbi import hmm_viterbi  # the pure function (trusts its inputs)

CASES = [(1, 2, 4), (2, 3, 6), (3, 2, 5), (4, 5, 4)]  # (m, K, T)


def params(hmm):
    return hmm.startprob, hmm.transmat, hmm.emissionprob


def path_log_prob(hmm, path, obs):
    with np.errstate(divide="ignore"):
        la, lb = np.log(hmm.transmat), np.log(hmm.emissionprob)
        lp = np.log(hmm.startprob[path[0]]) + lb[path[0], obs[0]]
    return lp + sum(la[path[t - 1], path[t]] + lb[path[t], obs[t]] for t in range(1, len(obs)))


@pytest.mark.parametrize("m,K,T", CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_viterbi_matches_enumeration(m, K, T, seed):
    hmm = HMM.random(m, K, rng=seed)
    _, obs = hmm.sample(4, T, rng=seed + 100)
    paths, log_probs = hmm.viterbi(obs)
    assert paths.shape == (4, T) and paths.dtype == np.int64 and log_probs.shape == (4,)
    for i in range(4):
        best, best_lp, n_best = brute_force_viterbi(*params(hmm), obs[i])
        np.testing.assert_allclose(log_probs[i], best_lp, rtol=1e-12)
        np.testing.assert_allclose(path_log_prob(hmm, paths[i], obs[i]), best_lp, rtol=1e-12)
        if n_best == 1:
            np.testing.assert_array_equal(paths[i], best)


@pytest.mark.parametrize("m,K", [(2, 3), (5, 4), (16, 10)])
@pytest.mark.parametrize("seed", [0, 3])
def test_viterbi_matches_hmmlearn_decode(m, K, seed):
    hmm = HMM.random(m, K, rng=seed)
    _, obs = hmm.sample(12, 15, rng=seed + 1)
    ref = hmm.to_hmmlearn()
    paths, log_probs = hmm.viterbi(obs)
    for i in range(12):
        ref_lp, ref_path = ref.decode(obs[i].reshape(-1, 1), algorithm="viterbi")
        np.testing.assert_allclose(log_probs[i], ref_lp, rtol=1e-12)
        if not np.array_equal(paths[i], ref_path):  # allowed only for a tie
            np.testing.assert_allclose(path_log_prob(hmm, ref_path, obs[i]), log_probs[i],
                                       rtol=1e-12)


def test_ties_go_to_the_lowest_index():
    # uniform model: every path ties, the rule gives all zeros
    hmm = HMM(np.full(3, 1 / 3), np.full((3, 3), 1 / 3), np.full((3, 2), 0.5))
    paths, _ = hmm.viterbi(np.array([[0, 1, 1, 0], [1, 1, 1, 1]]))
    np.testing.assert_array_equal(paths, np.zeros((2, 4), dtype=np.int64))
    # states 1 and 2 identical and better than state 0 for symbol 1: ties between them go to 1
    B = np.array([[0.9, 0.1], [0.2, 0.8], [0.2, 0.8]])
    A = np.array([[0.5, 0.25, 0.25], [0.2, 0.4, 0.4], [0.2, 0.4, 0.4]])
    hmm = HMM([0.2, 0.4, 0.4], A, B)
    obs = np.array([1, 1, 0, 1, 1])
    path, lp = hmm.viterbi(obs)
    best, best_lp, n_best = brute_force_viterbi(*params(hmm), obs)
    assert n_best > 1
    np.testing.assert_array_equal(path, best)
    assert 2 not in path


@pytest.mark.parametrize("seed", [0, 1])
def test_tie_rule_matches_enumeration_on_symmetric_models(seed):
    """A model whose states come in identical pairs: many exact ties, one rule."""
    rng = np.random.default_rng(seed)
    half = HMM.random(2, 3, rng=rng)
    A = np.kron(half.transmat, np.full((2, 2), 0.5))  # (4, 4): states 2k, 2k+1 identical
    B = np.repeat(half.emissionprob, 2, axis=0)
    hmm = HMM(np.repeat(half.startprob, 2) / 2, A, B)
    _, obs = hmm.sample(3, 5, rng=seed)
    paths, _ = hmm.viterbi(obs)
    for i in range(3):
        best, _, n_best = brute_force_viterbi(*params(hmm), obs[i])
        assert n_best >= 2
        np.testing.assert_array_equal(paths[i], best)


def test_long_sequence_matches_hmmlearn():
    hmm = HMM.random(3, 4, rng=11)
    _, obs = hmm.sample(1, 10_000, rng=12)
    path, lp = hmm.viterbi(obs[0])
    assert path.shape == (10_000,) and isinstance(lp, float) and np.isfinite(lp)
    ref_lp, ref_path = hmm.to_hmmlearn().decode(obs[0].reshape(-1, 1), algorithm="viterbi")
    np.testing.assert_allclose(lp, ref_lp, rtol=1e-12)
    # Long sequences hold exact ties (2 -> 2 -> 0 -> 2 and 2 -> 0 -> 2 -> 2 on the symbols
    # 0, 0 share every factor), decided by rounding: the paths may differ, their values may not.
    np.testing.assert_allclose(path_log_prob(hmm, path, obs[0]), lp, rtol=1e-12)
    np.testing.assert_allclose(path_log_prob(hmm, ref_path, obs[0]), lp, rtol=1e-12)


@pytest.mark.parametrize("eps", [1e-300, 1e-320])
def test_extreme_model_matches_enumeration(eps):
    B = np.array([[1.0, eps, 0.0], [eps, 1.0, 0.0]])
    hmm = HMM([0.3, 0.7], [[1 - eps, eps], [eps, 1 - eps]], B / B.sum(1, keepdims=True))
    obs = np.array([[0, 1, 1], [1, 0, 0], [0, 0, 1]])
    paths, log_probs = hmm.viterbi(obs)
    assert np.isfinite(log_probs).all()
    for i in range(3):
        best, best_lp, n_best = brute_force_viterbi(*params(hmm), obs[i])
        np.testing.assert_allclose(log_probs[i], best_lp, rtol=1e-12)
        if n_best == 1:
            np.testing.assert_array_equal(paths[i], best)


def test_impossible_sequence_raises_naming_sequence_and_step():
    hmm = HMM([1.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]])
    obs = np.array([[0, 0, 0], [0, 1, 1], [0, 0, 1]])
    with pytest.raises(ValueError, match=r"sequence 1 has probability zero.*t = 1.*\[1, 2\]"):
        hmm.viterbi(obs)
    paths, log_probs = hmm_viterbi(*params(hmm), obs)
    assert log_probs[0] == 0.0 and np.isneginf(log_probs[1:]).all()
    np.testing.assert_array_equal(paths[1:], 0)


def test_batch_shapes_and_determinism():
    hmm = HMM.random(4, 3, rng=2)
    _, obs = hmm.sample(5, 8, rng=3)
    paths, lps = hmm.viterbi(obs)
    path, lp = hmm.viterbi(obs[3])
    assert path.shape == (8,) and path.dtype == np.int64 and isinstance(lp, float)
    np.testing.assert_array_equal(path, paths[3])
    assert lp == lps[3]
    again, lps2 = hmm.viterbi(obs)
    np.testing.assert_array_equal(again, paths)
    np.testing.assert_array_equal(lps2, lps)
    one, lp1 = hmm.viterbi([2])
    assert one.shape == (1,) and np.isclose(lp1, np.log((hmm.startprob * hmm.emissionprob[:, 2]).max()))


def test_many_sequences_are_chunked_consistently():
    hmm = HMM.random(64, 5, rng=0)  # 2**21 / 64**2 = 512 rows per chunk
    _, obs = hmm.sample(1100, 4, rng=1)
    paths, lps = hmm.viterbi(obs)
    for i in (0, 511, 512, 1099):
        p, lp = hmm.viterbi(obs[i])
        np.testing.assert_array_equal(p, paths[i])
        assert lp == lps[i]


@pytest.mark.parametrize("obs,match", [
    ([[0, 1], [2, 3]], r"obs has symbols outside \[0, 3\): \[3\]"),
    ([0, -1], r"obs has symbols outside \[0, 3\): \[-1\]"),
    ([0.5, 1.0], r"obs must hold integer symbols"),
    (np.zeros((2, 2, 2), dtype=int), r"obs must have shape \(T,\) or \(n, T\)"),
    ([], r"obs is empty"),
    ([[0, 1], [1]], r"obs holds sequences of different lengths"),
    (b"01", r"obs must be an array of integer symbols"),
    ([1j, 0], r"obs must hold real values"),
])
def test_bad_obs_raise_naming_the_fault(obs, match):
    hmm = HMM.random(2, 3, rng=0)
    with pytest.raises(ValueError, match=match):
        hmm.viterbi(obs)
