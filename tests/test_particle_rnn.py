"""ParticleFilterRNN: a pure recurrence that reproduces particle_filter exactly."""

import numpy as np
import pytest

from probrnn import HMM
from probrnn.particle_filter import ParticleFilterRNN, particle_filter


@pytest.mark.parametrize("m,K,n,T,M", [(1, 2, 3, 4, 2), (2, 3, 5, 6, 1), (5, 10, 8, 8, 30),
                                       (20, 4, 3, 5, 17)])
@pytest.mark.parametrize("scheme", ["multinomial", "systematic"])
@pytest.mark.parametrize("seed", [0, 2**40 + 3])
def test_recurrence_equals_the_filter(m, K, n, T, M, scheme, seed):
    hmm = HMM.random(m, K, rng=m + K)
    _, obs = hmm.sample(n, T, rng=1)
    rnn = ParticleFilterRNN(hmm, M, resampling=scheme)
    hs = rnn.run(obs, seed)
    pf = particle_filter(hmm, obs, M, rng=seed, resampling=scheme)
    assert hs.shape == (n, T, M + 3) and hs.dtype == np.int64
    assert np.array_equal(hs[..., 3:], pf.particles.astype(np.int64))  # integer equality
    assert np.array_equal(rnn.particles(hs), pf.particles)
    assert (hs[..., 0] == seed).all() and (hs[..., 2] == np.arange(1, T + 1)).all()


def test_single_sequence_in_its_own_row():
    # A sequence run alone from its row's h_0 gets exactly its particles in the batch.
    hmm = HMM.random(4, 5, rng=0)
    _, obs = hmm.sample(6, 7, rng=2)
    pf = particle_filter(hmm, obs, 25, rng=11)
    rnn = ParticleFilterRNN(hmm, 25)
    h = rnn.initial_state(11, n=6)[4]  # stream 4
    for t in range(7):
        h = rnn.f(h, obs[4, t])
        assert np.array_equal(h[3:], pf.particles[4, t])
    single = rnn.run(obs[0], 11)
    assert np.array_equal(single[:, 3:], particle_filter(hmm, obs[0], 25, rng=11).particles)


def test_f_is_pure():
    hmm = HMM.random(3, 4, rng=1)
    rnn = ParticleFilterRNN(hmm, 40)
    h0 = rnn.initial_state(5, n=3)
    x = np.array([0, 3, 1])
    keep = h0.copy()
    h1 = rnn.f(h0, x)
    assert np.array_equal(h0, keep)  # input untouched
    assert np.array_equal(rnn.f(h0, x), h1)  # same (h, x), same h'
    assert np.array_equal(rnn(h0, x), h1)  # the network called as a function
    other = ParticleFilterRNN(hmm, 40)  # no state hidden in the object either
    rnn.f(h1, x)
    assert np.array_equal(other.f(h0, x), h1)
    # each row's update depends on that row only
    assert np.array_equal(rnn.f(h0[2], x[2]), h1[2])
    assert np.array_equal(rnn.f(h0[[2, 0]], x[[2, 0]]), h1[[2, 0]])
    # a different seed in h gives different particles
    h_other = h0.copy()
    h_other[:, 0] = 6
    assert not np.array_equal(rnn.f(h_other, x)[:, 3:], h1[:, 3:])


def test_step_pieces_and_output():
    hmm = HMM.random(4, 6, rng=3)
    _, obs = hmm.sample(5, 6, rng=0)
    M = 200
    rnn = ParticleFilterRNN(hmm, M)
    pf = particle_filter(hmm, obs, M, rng=9)
    h = rnn.initial_state(9, n=5)
    out0 = rnn.g(h)
    assert np.allclose(out0.next_symbol_probs, hmm.startprob @ hmm.emissionprob)
    assert np.allclose(out0.state_probs, 0.0)
    for t in range(6):
        step = rnn.step(h, obs[:, t])
        assert np.allclose(step.weights.sum(1), 1.0)
        lik = hmm.emissionprob[step.proposed, obs[:, t][:, None]]
        assert np.allclose(step.weights, lik / lik.sum(1, keepdims=True))
        # the weighted histogram of the proposals is the filter's estimate
        hist = np.stack([(step.weights * (step.proposed == s)).sum(1) for s in range(4)], 1)
        assert np.allclose(hist, pf.filtered[:, t])
        h = step.h
        out = rnn.g(h)
        counts = np.stack([(pf.particles[:, t] == s).mean(1) for s in range(4)], 1)
        assert np.allclose(out.state_probs, counts)
        assert np.allclose(out.next_symbol_probs, counts @ hmm.transmat @ hmm.emissionprob)
    # the RNN's output is close to the exact predictive distribution for large M
    exact_next = hmm.predict_next(obs)[:, -1]
    assert np.abs(out.next_symbol_probs - exact_next).sum(1).max() < 0.2


def test_sampled_output_is_deterministic_and_distributed_right():
    hmm = HMM.random(3, 4, rng=4)
    rnn = ParticleFilterRNN(hmm, 10)
    h = rnn.f(rnn.initial_state(1, n=1), [2])
    a, b = rnn.g_sample(h), rnn.g_sample(h)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    # over many streams (rows), the sampled next symbol follows g's distribution on average
    n = 20_000
    hs = rnn.f(rnn.initial_state(1, n=n), np.full(n, 2))
    s = rnn.g_sample(hs)
    freq = np.bincount(s.next_symbol, minlength=4) / n
    expect = rnn.g(hs).next_symbol_probs.mean(0)
    assert np.abs(freq - expect).max() < 4 * np.sqrt(0.25 / n)
    assert (hs[:, 3:] == s.state[:, None]).any(axis=1).all()  # a particle of its own row


@pytest.mark.parametrize("bad", [0, -1, 1.5, "3", None])
def test_bad_n_particles(bad):
    with pytest.raises(ValueError, match="n_particles"):
        ParticleFilterRNN(HMM.random(2, 2, rng=0), bad)


def test_bad_inputs():
    hmm = HMM.random(3, 4, rng=0)
    rnn = ParticleFilterRNN(hmm, 5)
    with pytest.raises(ValueError, match="resampling"):
        ParticleFilterRNN(hmm, 5, resampling="residual")
    for seed in (1.0, "1", -1, 2**63, True):
        with pytest.raises(ValueError, match="seed"):
            rnn.initial_state(seed)
    h = rnn.initial_state(0, n=2)
    with pytest.raises(ValueError, match="shape"):
        rnn.f(h[:, :-1], [0, 0])
    with pytest.raises(ValueError, match="integers"):
        rnn.f(h.astype(float), [0, 0])
    with pytest.raises(ValueError, match="one symbol per row"):
        rnn.f(h, [0])
    with pytest.raises(ValueError, match="outside"):
        rnn.f(h, [0, 4])
    bad = rnn.f(h, [0, 1])
    bad[0, 4] = 3  # the virtual start state after step 0
    with pytest.raises(ValueError, match="row 0"):
        rnn.f(bad, [0, 1])
    with pytest.raises(ValueError, match="HMM"):
        ParticleFilterRNN(None, 5)
