"""SequenceRNN and fit_sequence_rnn against independent references: a numpy tanh RNN, torch's
own cells stepped by hand, brute-force sums over all sequences, and the true HMM."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from probrnn import HMM, EmpiricalFirstSymbol, SequenceRNN, fit_sequence_rnn
from probrnn.threads import torch_threads


def _all_seqs(K, T):
    return np.array(list(itertools.product(range(K), repeat=T)), dtype=np.int64)


def _numpy_tanh_rnn(rnn: SequenceRNN, obs: np.ndarray) -> np.ndarray:
    """The paper's simple RNN written out in numpy: h_s = tanh(W x_s + U h_{s-1} + b)."""
    core = rnn.core.rnn
    W = core.weight_ih_l0.detach().double().numpy()  # (k, K)
    U = core.weight_hh_l0.detach().double().numpy()  # (k, k)
    b = (core.bias_ih_l0 + core.bias_hh_l0).detach().double().numpy()
    V = rnn.head.weight.detach().double().numpy()
    c = rnn.head.bias.detach().double().numpy()
    n, T = obs.shape
    h = np.zeros((n, W.shape[0]))
    out = np.empty((n, T, V.shape[0]))
    for t in range(T):
        h = np.tanh(W[:, obs[:, t]].T + h @ U.T + b)
        logits = h @ V.T + c
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        out[:, t] = e / e.sum(axis=1, keepdims=True)
    return out


@pytest.mark.parametrize("K,k,seed", [(2, 1, 0), (2, 5, 1), (3, 8, 2), (5, 3, 3)])
def test_predict_next_matches_numpy_reference(K, k, seed):
    rnn = SequenceRNN(K, k, seed=seed)
    obs = np.random.default_rng(seed).integers(0, K, size=(7, 9))
    got = rnn.predict_next(obs)
    assert got.shape == (7, 9, K)
    np.testing.assert_allclose(got, _numpy_tanh_rnn(rnn, obs), atol=1e-12)
    np.testing.assert_allclose(got.sum(-1), 1.0, atol=1e-12)
    single = rnn.predict_next(obs[3])
    assert single.shape == (9, K)
    np.testing.assert_allclose(single, got[3], atol=1e-12)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("layers", [1, 2])
def test_gated_cells_match_torch_cells_stepped_by_hand(cell, layers):
    K, k = 3, 4
    rnn = SequenceRNN(K, k, cell, num_layers=layers, seed=7)
    obs = np.random.default_rng(0).integers(0, K, size=(5, 6))
    Cell = torch.nn.GRUCell if cell == "gru" else torch.nn.LSTMCell
    cells = []
    for layer in range(layers):
        c = Cell(K if layer == 0 else k, k).double()
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(c, name).copy_(getattr(rnn.core.rnn, f"{name}_l{layer}").double())
        cells.append(c)
    V, b = rnn.head.weight.detach().double(), rnn.head.bias.detach().double()
    x = torch.nn.functional.one_hot(torch.as_tensor(obs), K).double()
    states = [None] * layers
    ref = []
    with torch.no_grad():
        for t in range(obs.shape[1]):
            inp = x[:, t]
            for layer in range(layers):
                states[layer] = cells[layer](inp, states[layer])
                inp = states[layer] if cell == "gru" else states[layer][0]
            ref.append(torch.softmax(inp @ V.T + b, -1).numpy())
    np.testing.assert_allclose(rnn.predict_next(obs), np.stack(ref, 1), atol=1e-12)
    assert rnn.state_size == (2 if cell == "lstm" else 1) * layers * k


def test_predictions_are_causal():
    rnn = SequenceRNN(3, 6, "gru", seed=0)
    a = np.random.default_rng(1).integers(0, 3, size=(4, 10))
    b = a.copy()
    b[:, 6:] = (b[:, 6:] + 1) % 3
    pa, pb = rnn.predict_next(a), rnn.predict_next(b)
    np.testing.assert_array_equal(pa[:, :6], pb[:, :6])
    assert not np.allclose(pa[:, 6:], pb[:, 6:])


def test_step_and_emit_reproduce_the_forward_pass():
    rnn = SequenceRNN(3, 4, "lstm", num_layers=2, seed=3).float64_copy()
    obs = torch.as_tensor(np.random.default_rng(0).integers(0, 3, size=(6, 5)))
    state = rnn.initial_state(6)
    with torch.no_grad(), torch_threads(1):
        full = torch.softmax(rnn(obs), -1)
        for t in range(5):
            state = rnn.step(state, obs[:, t])
            torch.testing.assert_close(rnn.emit(state), full[:, t], rtol=0, atol=1e-12)


@pytest.mark.parametrize("K,T", [(2, 4), (3, 3)])
def test_log_likelihood_conditional_and_joint_are_normalised(K, T):
    rnn = SequenceRNN(K, 5, seed=K)
    seqs = _all_seqs(K, T)
    cond = rnn.log_likelihood(seqs)  # log P(x_2..T | x_1)
    for x1 in range(K):
        assert np.exp(cond[seqs[:, 0] == x1]).sum() == pytest.approx(1.0, abs=1e-10)
    first = EmpiricalFirstSymbol(np.arange(1, K + 1) / np.arange(1, K + 1).sum())
    joint = rnn.log_likelihood(seqs, first_model=first)
    assert np.exp(joint).sum() == pytest.approx(1.0, abs=1e-10)
    np.testing.assert_allclose(joint - cond, np.log(first.probs)[seqs[:, 0]], atol=1e-12)
    # the same through a plain probability vector, and by hand from predict_next
    np.testing.assert_allclose(rnn.log_likelihood(seqs, first_model=first.probs), joint)
    p = rnn.predict_next(seqs)
    by_hand = sum(np.log(p[np.arange(len(seqs)), t - 1, seqs[:, t]]) for t in range(1, T))
    np.testing.assert_allclose(cond, by_hand, atol=1e-12)
    assert isinstance(rnn.log_likelihood(seqs[0]), float)


def test_sample_matches_the_model_distribution():
    K, T, n = 2, 3, 60_000
    rnn = SequenceRNN(K, 3, seed=11)
    with torch.no_grad():
        for p in rnn.parameters():
            p.mul_(4)  # make the conditionals far from uniform
    first = EmpiricalFirstSymbol([0.3, 0.7])
    obs = rnn.sample(n, T, rng=0, first=first)
    seqs = _all_seqs(K, T)
    expected = np.exp(rnn.log_likelihood(seqs, first_model=first))
    codes = obs @ (K ** np.arange(T)[::-1])
    counts = np.bincount(codes, minlength=K**T)
    z = (counts / n - expected) / np.sqrt(expected * (1 - expected) / n)
    assert np.abs(z).max() < 4.5
    np.testing.assert_array_equal(obs, rnn.sample(n, T, rng=0, first=first))


def test_sample_first_symbol_options():
    rnn = SequenceRNN(3, 4, seed=0)
    assert np.all(rnn.sample(50, 4, rng=1, first=2)[:, 0] == 2)
    x1 = np.arange(6) % 3
    np.testing.assert_array_equal(rnn.sample(6, 4, rng=1, first=x1)[:, 0], x1)
    assert rnn.sample(5, 1, rng=0).shape == (5, 1)
    with pytest.raises(ValueError, match="symbols outside"):
        rnn.sample(3, 4, rng=0, first=5)
    with pytest.raises(ValueError, match="shape"):
        rnn.sample(3, 4, rng=0, first=[0, 1])


def test_seeded_init_is_reproducible_and_leaves_global_rng_alone():
    state = torch.get_rng_state()
    a, b = SequenceRNN(3, 5, "gru", seed=4), SequenceRNN(3, 5, "gru", seed=4)
    assert torch.equal(torch.get_rng_state(), state)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    c = SequenceRNN(3, 5, "gru", seed=5)
    assert not torch.equal(a.head.weight, c.head.weight)
    gen = torch.Generator().manual_seed(4)
    d = SequenceRNN(3, 5, "gru", seed=gen)
    assert torch.equal(a.head.weight, d.head.weight)
    bound = 1 / np.sqrt(5)
    assert all(p.abs().max() <= bound for p in a.parameters())


def test_empirical_first_symbol():
    obs = np.array([[0, 1], [2, 2], [2, 0], [0, 0]])
    fm = EmpiricalFirstSymbol.fit(obs, 4)
    np.testing.assert_allclose(fm.probs, [0.5, 0, 0.5, 0])
    assert fm.log_prob(1) == -np.inf
    smooth = EmpiricalFirstSymbol.fit(obs, 4, pseudocount=1)
    np.testing.assert_allclose(smooth.probs, [3 / 8, 1 / 8, 3 / 8, 1 / 8])
    draws = smooth.sample(40_000, rng=0)
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / 40_000, smooth.probs, atol=0.01)
    with pytest.raises(ValueError, match="sum to 1"):
        EmpiricalFirstSymbol([0.5, 0.6])
    with pytest.raises(ValueError, match="pseudocount"):
        EmpiricalFirstSymbol.fit(obs, 4, pseudocount=-1)


def test_fit_learns_an_hmm_and_is_reproducible():
    hmm = HMM(startprob=[0.5, 0.5], transmat=[[0.9, 0.1], [0.1, 0.9]],
              emissionprob=[[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]])
    _, train = hmm.sample(600, 15, rng=0)
    _, test = hmm.sample(1000, 15, rng=1)
    rnn = fit_sequence_rnn(train, n_symbols=3, hidden_size=8, seed=3)
    opt = -(hmm.log_likelihood(test) - np.log(hmm.startprob @ hmm.emissionprob)[test[:, 0]])
    got = -rnn.log_likelihood(test)
    excess = (got - opt).mean() / 14
    untrained = (-SequenceRNN(3, 8, seed=3).log_likelihood(test) - opt).mean() / 14
    assert excess < 0.02 < untrained
    curve = rnn.history.val_loss[:, rnn.history.chosen]
    assert np.nanmin(curve) < curve[0] and rnn.history.record()["stop"] == "patience"
    np.testing.assert_allclose(rnn.first_model.probs,
                               np.bincount(train[:, 0], minlength=3) / len(train))
    again = fit_sequence_rnn(train, n_symbols=3, hidden_size=8, seed=3)
    np.testing.assert_array_equal(rnn.predict_next(test[:5]), again.predict_next(test[:5]))
    assert not rnn.training and rnn.head.weight.dtype == torch.float32


# ---------------------------------------------------------------------------------- bad input
def test_bad_inputs_raise_value_errors():
    rnn = SequenceRNN(3, 4, seed=0)
    with pytest.raises(ValueError, match="different lengths"):
        rnn.predict_next([[0, 1, 2], [0, 1]])
    with pytest.raises(ValueError, match="padded into a rectangle"):
        rnn.predict_next(np.array([[0, 1, 2], [0, 1, np.nan]]))
    with pytest.raises(ValueError, match="padded into a rectangle"):
        rnn.log_likelihood(np.array([[0, 1, 2, 1], [0, 1, -1, -1]]))
    with pytest.raises(ValueError, match=r"outside \[0, 3\)"):
        rnn.predict_next([[0, 1, 3]])
    with pytest.raises(ValueError, match=r"outside \[0, 3\)"):
        rnn.log_likelihood(np.array([[0, -1, 2]]))  # not a padding suffix: no hint, still caught
    with pytest.raises(ValueError, match="hidden_size must be at least 1"):
        SequenceRNN(3, 0)
    with pytest.raises(ValueError, match="cell must be one of"):
        SequenceRNN(3, 4, cell="transformer")
    with pytest.raises(ValueError, match="n_symbols"):
        SequenceRNN(0, 4)
    with pytest.raises(ValueError, match="T >= 2"):
        fit_sequence_rnn(np.zeros((5, 1), dtype=int), n_symbols=2, hidden_size=2)
    with pytest.raises(ValueError, match="val_fraction"):
        fit_sequence_rnn(np.zeros((5, 3), dtype=int), n_symbols=2, hidden_size=2,
                         val_fraction=1.5)
    with pytest.raises(ValueError, match="first_model has 2 symbols"):
        rnn.log_likelihood([[0, 1]], first_model=[0.5, 0.5])
    with pytest.raises(ValueError, match="cell must be one of"):
        fit_sequence_rnn(np.zeros((5, 3), dtype=int), n_symbols=2, hidden_size=2, cell="rnm")
