"""The RNN models: StateRNN and SequenceRNN's shared read-out RNN, the batched model the
trainer uses, exact_forward_rnn and the belief probe.

References: ``hmm.filter`` and brute-force enumeration for the exact RNN; torch's own
nn.RNN / nn.GRU / nn.LSTM for the batched cells; closed forms for the probe.
"""

import numpy as np
import pytest
import torch

from probrnn import HMM, SequenceRNN, StateRNN, exact_forward_rnn, fit_belief_probe
from probrnn.hmm.enumeration import brute_force_filter
from probrnn.rnn.batched import BatchedRNN
from probrnn.rnn.cells import as_torch_generator
from probrnn.rnn.state import state_rnn_n_params

# ---------------------------------------------------------------------- exact construction


@pytest.mark.parametrize("m,K,seed", [(1, 2, 0), (2, 3, 1), (3, 4, 2), (5, 10, 3), (8, 3, 4)])
def test_exact_forward_rnn_equals_filter(m, K, seed):
    hmm = HMM.random(m, K, rng=seed)
    _, obs = hmm.sample(50, 12, rng=seed + 100)
    rnn = exact_forward_rnn(hmm)
    assert rnn.hidden_size == m
    np.testing.assert_allclose(rnn.predict_proba(obs), hmm.filter(obs), atol=1e-10, rtol=0)
    np.testing.assert_allclose(rnn.predict_next(obs), hmm.predict_next(obs), atol=1e-10, rtol=0)


def test_exact_forward_rnn_long_sequences_do_not_underflow():
    hmm = HMM.random(4, 5, rng=7)
    _, obs = hmm.sample(3, 5000, rng=8)
    p = exact_forward_rnn(hmm).predict_proba(obs)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p, hmm.filter(obs), atol=1e-10, rtol=0)


def test_exact_forward_rnn_against_enumeration_and_single_sequence():
    hmm = HMM.random(3, 2, rng=11)
    _, obs = hmm.sample(1, 6, rng=12)
    brute, _ = brute_force_filter(hmm.startprob, hmm.transmat, hmm.emissionprob, obs[0])
    p = exact_forward_rnn(hmm).predict_proba(obs[0])  # (T,) -> (T, m)
    assert p.shape == (6, 3)
    np.testing.assert_allclose(p, brute, atol=1e-12)


def test_exact_forward_rnn_update_is_time_invariant():
    """The same f(h, x) at every step: running a sequence in two halves, carrying h, agrees."""
    hmm = HMM.random(3, 3, rng=5)
    _, obs = hmm.sample(4, 10, rng=6)
    rnn = exact_forward_rnn(hmm)
    x = torch.as_tensor(obs)
    h = rnn.startprob.new_zeros(4, 3)
    for t in range(10):
        h = rnn.step(h, x[:, t])
    np.testing.assert_allclose(h.numpy(), hmm.filter(obs)[:, -1], atol=1e-12)


def test_exact_forward_rnn_rejects_non_hmm_and_bad_obs():
    with pytest.raises(ValueError, match="probrnn.HMM"):
        exact_forward_rnn(object())
    rnn = exact_forward_rnn(HMM.random(2, 3, rng=0))
    with pytest.raises(ValueError, match="outside"):
        rnn.predict_proba([[0, 1, 3]])


# ---------------------------------------------------------------------- batched cells


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("num_layers,k", [(1, 1), (1, 4), (2, 3)])
def test_batched_members_equal_torch_modules(cell, num_layers, k):
    """Each member of the batched model computes what torch's nn.RNN/GRU/LSTM computes."""
    gens = [as_torch_generator(s) for s in (1, 2, 3)]
    model = BatchedRNN(4, [2, 3, 5], k, cell, num_layers, gens, dtype=torch.float64)
    x = torch.randint(0, 4, (3, 6, 7), generator=as_torch_generator(9))
    logits = model(x)  # (R, B, T, m_max)
    assert logits.shape == (3, 6, 7, 5)
    for r, m in enumerate([2, 3, 5]):
        net = StateRNN(4, m, k, cell, num_layers, seed=0).double()
        net.set_weights(model.member_weights(r))
        np.testing.assert_allclose(net(x[r]).detach().numpy(),
                                   logits[r, ..., :m].detach().numpy(), atol=1e-12)
        assert torch.isinf(logits[r, ..., m:]).all()  # padding states are masked


def test_member_does_not_depend_on_batch_companions():
    """Initial weights come from each member's own generator."""
    a = BatchedRNN(3, [2], 5, "rnn", 1, [as_torch_generator(42)])
    b = BatchedRNN(3, [4, 2], 5, "rnn", 1, [as_torch_generator(7), as_torch_generator(42)])
    for pa, pb in zip(a.rec, b.rec, strict=True):
        assert torch.equal(pa[0], pb[1])


def test_take_keeps_members_in_order():
    gens = [as_torch_generator(s) for s in (1, 2, 3)]
    model = BatchedRNN(3, [2, 4, 3], 4, "gru", 1, gens)
    sub = model.take([2, 0])
    assert sub.n_out == [3, 2] and sub.n_members == 2
    x = torch.randint(0, 3, (3, 5, 6), generator=as_torch_generator(0))
    torch.testing.assert_close(sub(x[[2, 0]]), model(x)[[2, 0]])


def test_models_draw_weights_from_their_seed_not_the_global_generator():
    torch.manual_seed(0)
    before = torch.get_rng_state()
    a, b = StateRNN(3, 2, 5, seed=11), StateRNN(3, 2, 5, seed=11)
    c = SequenceRNN(3, 5, seed=11)
    assert torch.equal(torch.get_rng_state(), before)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert not torch.equal(a.core.rnn.weight_hh_l0, StateRNN(3, 2, 5, seed=12).core.rnn.weight_hh_l0)
    # the recurrent weights of the two kinds of model are drawn the same way from a seed
    assert torch.equal(a.core.rnn.weight_hh_l0, c.core.rnn.weight_hh_l0)


# ---------------------------------------------------------------------- parameters


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("K,m,k,layers", [(3, 2, 1, 1), (10, 5, 20, 1), (4, 7, 3, 2)])
def test_n_params_counts_torch_parameters_without_redundant_biases(cell, K, m, k, layers):
    net = StateRNN(K, m, k, cell=cell, num_layers=layers)
    torch_count = sum(p.numel() for p in net.parameters())
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[cell]
    redundant = layers * gates * k if cell != "gru" else layers * 2 * k  # b_ih + b_hh pairs
    assert net.n_params == torch_count - redundant
    assert state_rnn_n_params(K, m, k, cell, layers) == net.n_params


def test_n_params_tanh_rnn_matches_paper_count():
    K, m, k = 3, 512, 20  # W (k, K), U (k, k), b (k), V (m, k), c (m)
    assert state_rnn_n_params(K, m, k) == k * K + k * k + k + m * k + m


# ---------------------------------------------------------------------- probe and metrics


def test_probe_recovers_an_exact_softmax_map():
    rng = np.random.default_rng(0)
    h = rng.normal(size=(400, 6, 3))
    W, c = rng.normal(size=(3, 4)), rng.normal(size=4)
    z = h @ W + c
    beliefs = np.exp(z - z.max(-1, keepdims=True))
    beliefs /= beliefs.sum(-1, keepdims=True)
    probe = fit_belief_probe(h, beliefs, ridge=0.0)
    assert probe.r2 > 0.999 and probe.mean_tv < 0.005
    np.testing.assert_allclose(probe.predict(h), beliefs, atol=0.02)


def test_probe_on_unrelated_features_explains_nothing():
    rng = np.random.default_rng(1)
    h = rng.normal(size=(400, 6, 3))
    beliefs = rng.dirichlet(np.ones(3), size=(400, 6))
    probe = fit_belief_probe(h, beliefs)
    assert probe.r2 < 0.02


def test_probe_on_exact_rnn_is_near_perfect():
    hmm = HMM.random(3, 4, rng=2)
    _, obs = hmm.sample(500, 8, rng=3)
    rnn = exact_forward_rnn(hmm)
    # log-beliefs as "hidden units": softmax of them is the belief itself
    probe = fit_belief_probe(np.log(rnn.hidden_states(obs) + 1e-12), hmm.filter(obs))
    assert probe.r2 > 0.999


def test_probe_bad_input():
    with pytest.raises(ValueError, match="must share n and T"):
        fit_belief_probe(np.zeros((4, 5, 2)), np.ones((4, 6, 2)) / 2)
    with pytest.raises(ValueError, match="at least 2 sequences"):
        fit_belief_probe(np.zeros((1, 5, 2)), np.ones((1, 5, 2)) / 2)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_bidirectional_members_equal_torch_modules(cell):
    """A bidirectional member computes what torch's nn.RNN(bidirectional=True) computes, and
    its hidden state at t depends on the symbols after t."""
    gens = [as_torch_generator(s) for s in (4, 5)]
    model = BatchedRNN(3, [2, 4], 5, cell, 1, gens, dtype=torch.float64, bidirectional=True)
    x = torch.randint(0, 3, (2, 6, 7), generator=as_torch_generator(2))
    logits = model(x)
    for r, m in enumerate([2, 4]):
        net = StateRNN(3, m, 5, cell, seed=0, bidirectional=True).double()
        net.set_weights(model.member_weights(r))
        np.testing.assert_allclose(net(x[r]).detach().numpy(), logits[r, ..., :m].detach().numpy(),
                                   atol=1e-12)
        assert net.n_params == state_rnn_n_params(3, m, 5, cell, bidirectional=True)
    later = x.clone()
    later[:, :, -1] = (later[:, :, -1] + 1) % 3  # change only the last symbol
    assert not torch.allclose(model(later)[:, :, 0], logits[:, :, 0])  # step 1 sees it
