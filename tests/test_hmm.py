"""probrnn.HMM against independent references: enumeration of every hidden path, hmmlearn,
closed forms; plus determinism, long sequences and shapes."""

import numpy as np
import pytest

from probrnn import HMM
from probrnn.hmm.enumeration import brute_force_filter

CASES = [(1, 2, 4), (2, 3, 6), (3, 2, 5), (4, 5, 4)]  # (m, K, T)


@pytest.mark.parametrize("m,K,T", CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_filter_matches_enumeration(m, K, T, seed):
    hmm = HMM.random(m, K, rng=seed)
    _, obs = hmm.sample(3, T, rng=seed + 100)
    filtered = hmm.filter(obs)
    ll = hmm.log_likelihood(obs)
    pred = hmm.predict_next(obs)
    assert filtered.shape == (3, T, m) and ll.shape == (3,) and pred.shape == (3, T, K)
    for i in range(3):
        exact, exact_ll = brute_force_filter(hmm.startprob, hmm.transmat, hmm.emissionprob, obs[i])
        np.testing.assert_allclose(filtered[i], exact, atol=1e-12)
        np.testing.assert_allclose(ll[i], exact_ll, atol=1e-10)


@pytest.mark.parametrize("m,K,T", CASES)
def test_predict_next_matches_enumeration_of_the_next_symbol(m, K, T):
    hmm = HMM.random(m, K, rng=7)
    _, obs = hmm.sample(2, T, rng=8)
    pred = hmm.predict_next(obs)
    for i in range(2):
        for t in range(T - 1):
            # p(x_{t+1} = s | x_1..t) = p(x_1..t, s) / p(x_1..t), each by enumeration
            prefix = obs[i, : t + 1]
            _, ll_prefix = brute_force_filter(hmm.startprob, hmm.transmat, hmm.emissionprob, prefix)
            for s in range(K):
                _, ll_s = brute_force_filter(
                    hmm.startprob, hmm.transmat, hmm.emissionprob, np.append(prefix, s)
                )
                np.testing.assert_allclose(pred[i, t, s], np.exp(ll_s - ll_prefix), atol=1e-12)


@pytest.mark.parametrize("m,K", [(2, 3), (5, 4), (16, 10)])
@pytest.mark.parametrize("seed", [0, 3])
def test_against_hmmlearn(m, K, seed):
    hmm = HMM.random(m, K, rng=seed)
    _, obs = hmm.sample(20, 12, rng=seed + 1)
    ref = hmm.to_hmmlearn()
    X, lengths = obs.reshape(-1, 1), [obs.shape[1]] * obs.shape[0]
    np.testing.assert_allclose(ref.score(X, lengths), hmm.log_likelihood(obs).sum(), rtol=1e-10)
    filtered = hmm.filter(obs)
    for i in range(0, 20, 5):
        x = obs[i].reshape(-1, 1)
        np.testing.assert_allclose(ref.score(x), hmm.log_likelihood(obs[i]), rtol=1e-10)
        np.testing.assert_allclose(ref.predict_proba(x)[-1], filtered[i, -1], atol=1e-10)


def test_hmmlearn_round_trip():
    hmm = HMM.random(3, 4, rng=0)
    back = HMM.from_hmmlearn(hmm.to_hmmlearn())
    for a, b in [(hmm.startprob, back.startprob), (hmm.transmat, back.transmat),
                 (hmm.emissionprob, back.emissionprob)]:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", [(7,), (1, 7), (4, 7), (50, 3)])
def test_batch_shapes_and_single_sequence(shape):
    hmm = HMM.random(3, 4, rng=1)
    obs = np.random.default_rng(0).integers(0, 4, size=shape)
    f, p, ll = hmm.filter(obs), hmm.predict_next(obs), hmm.log_likelihood(obs)
    assert f.shape == shape + (3,) and p.shape == shape + (4,)
    assert np.shape(ll) == shape[:-1]
    np.testing.assert_allclose(f.sum(-1), 1)
    np.testing.assert_allclose(p.sum(-1), 1)
    # batching never mixes sequences: each row equals its own single-sequence result
    rows = obs.reshape(-1, shape[-1])
    for i, row in enumerate(rows[:5]):
        np.testing.assert_allclose(hmm.filter(row), f.reshape(-1, *f.shape[-2:])[i], atol=1e-14)


def test_lists_and_float_integral_input_are_accepted():
    hmm = HMM.random(2, 3, rng=0)
    obs = [[0, 1, 2], [2, 2, 1]]
    np.testing.assert_allclose(hmm.filter(obs), hmm.filter(np.array(obs, dtype=float)))


def test_belief_operators_reproduce_the_filter():
    hmm = HMM.random(4, 3, rng=2)
    D, V = hmm.belief_operators()
    assert D.shape == (3, 4, 4) and V.shape == (4, 4)
    np.testing.assert_array_equal(V, hmm.transmat.T)
    np.testing.assert_allclose(V.sum(axis=0), 1)  # columns of V are "from"
    np.testing.assert_allclose(D.sum(axis=0), np.eye(4))
    _, obs = hmm.sample(1, 10, rng=3)
    x = obs[0]
    a = D[x[0]] @ hmm.startprob
    alphas = [a]
    for s in x[1:]:
        a = D[s] @ V @ a
        alphas.append(a)
    alphas = np.array(alphas)
    np.testing.assert_allclose(alphas / alphas.sum(1, keepdims=True), hmm.filter(x), atol=1e-13)
    np.testing.assert_allclose(np.log(alphas[-1].sum()), hmm.log_likelihood(x), atol=1e-12)


def test_long_sequences_do_not_underflow():
    hmm = HMM.random(8, 5, rng=4)
    _, obs = hmm.sample(3, 10_000, rng=5)
    f = hmm.filter(obs)
    ll = hmm.log_likelihood(obs)
    assert np.isfinite(f).all() and np.isfinite(ll).all()
    np.testing.assert_allclose(f.sum(-1), 1)
    assert (ll < -1000).all()  # a probability far below float64's range, handled in log space
    ref = hmm.to_hmmlearn()
    np.testing.assert_allclose(ref.score(obs[0].reshape(-1, 1)), ll[0], rtol=1e-9)


def test_determinism_and_rng_types():
    hmm = HMM.random(3, 4, rng=11)
    np.testing.assert_array_equal(HMM.random(3, 4, rng=11).transmat, hmm.transmat)
    a = hmm.sample(10, 6, rng=5)
    b = hmm.sample(10, 6, rng=np.random.default_rng(5))
    c = hmm.sample(10, 6, rng=6)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])
    s, o = hmm.sample(4, 5, rng=None)
    assert s.shape == o.shape == (4, 5) and s.dtype == o.dtype == np.int64
    assert hmm.sample(1, 5, rng=0)[0].shape == (1, 5)


def test_sample_matches_marginals():
    """Empirical frequencies of H_1, H_2 and X_2 against their closed forms."""
    hmm = HMM.random(3, 4, rng=0)
    states, obs = hmm.sample(200_000, 2, rng=1)
    p_h1 = hmm.startprob
    p_h2 = hmm.startprob @ hmm.transmat
    p_x2 = p_h2 @ hmm.emissionprob
    for emp, exact in [(states[:, 0], p_h1), (states[:, 1], p_h2), (obs[:, 1], p_x2)]:
        freq = np.bincount(emp, minlength=len(exact)) / len(emp)
        se = np.sqrt(exact * (1 - exact) / len(emp))
        assert np.all(np.abs(freq - exact) < 5 * se + 1e-12)


def test_random_draws_are_dirichlet():
    """Mean of Dirichlet(c) rows is uniform; variance is (1/K)(1-1/K)/(K c + 1)."""
    K, c = 4, 0.5
    rows = np.concatenate([HMM.random(50, K, rng=s, concentration=c).emissionprob for s in range(40)])
    np.testing.assert_allclose(rows.mean(0), 1 / K, atol=0.02)
    np.testing.assert_allclose(rows.var(0), (1 / K) * (1 - 1 / K) / (K * c + 1), rtol=0.1)


def test_parameters_are_read_only():
    hmm = HMM.random(2, 2, rng=0)
    with pytest.raises(ValueError):
        hmm.transmat[0, 0] = 0.5


def test_zero_probability_sequences_are_reported():
    hmm = HMM([1.0, 0.0], [[0.0, 1.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]])
    ok = [0, 1, 1]
    bad = [0, 0, 1]  # the chain must be in state 1 at t = 1, which never emits symbol 0
    assert hmm.log_likelihood(ok) == 0.0
    for method in (hmm.filter, hmm.predict_next, hmm.log_likelihood):
        with pytest.raises(ValueError, match="probability zero.*t = 1"):
            method([ok, bad])
    ll = hmm.log_likelihood([ok, bad], allow_zero=True)
    assert ll[0] == 0.0 and ll[1] == -np.inf
