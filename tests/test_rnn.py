"""StateRNN, fit_state_rnn, the batched trainer, exact_forward_rnn and the belief probe.

References: ``hmm.filter`` and brute-force enumeration for the exact RNN; torch's own
nn.RNN / nn.GRU / nn.LSTM for the batched cells; closed forms for the probe and the metrics.
"""

import numpy as np
import pytest
import torch

from probrnn import HMM
from probrnn.batched import BatchedStateRNN
from probrnn.experiments.forward_rnn import forward_metrics
from probrnn.inference import brute_force_filter
from probrnn.nets import torch_generator
from probrnn.rnn import (
    FitTask,
    StateRNN,
    default_settings,
    exact_forward_rnn,
    fit_belief_probe,
    fit_state_rnn,
    fit_state_rnns,
    state_rnn_n_params,
)

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
    gens = [torch_generator(s) for s in (1, 2, 3)]
    model = BatchedStateRNN(4, [2, 3, 5], k, cell, num_layers, gens, dtype=torch.float64)
    x = torch.randint(0, 4, (3, 6, 7), generator=torch_generator(9))
    logits = model(x)  # (R, B, T, m_max)
    assert logits.shape == (3, 6, 7, 5)
    for r, m in enumerate([2, 3, 5]):
        net = model.export(r)
        assert isinstance(net, StateRNN) and net.n_states == m
        np.testing.assert_allclose(net(x[r]).detach().numpy(),
                                   logits[r, ..., :m].detach().numpy(), atol=1e-12)
        assert torch.isinf(logits[r, ..., m:]).all()  # padding states are masked


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_cross_entropy_paths_agree_with_torch(cell):
    """The loss computed on all steps at once, step by step, and by torch's cross_entropy."""
    from probrnn.batched import _cross_entropy

    gens = [torch_generator(s) for s in (4, 5)]
    model = BatchedStateRNN(3, [2, 4], 3, cell, 1, gens, dtype=torch.float64)
    x = torch.randint(0, 3, (2, 5, 6), generator=torch_generator(1))
    y = torch.randint(0, 2, (2, 5, 6), generator=torch_generator(2))
    a = _cross_entropy(model, x, y, per_step=False)
    b = _cross_entropy(model, x, y, per_step=True)
    torch.testing.assert_close(a, b)
    for r in range(2):
        ref = torch.nn.functional.cross_entropy(model.export(r)(x[r]).transpose(1, 2), y[r],
                                                reduction="none")  # (B, T)
        torch.testing.assert_close(a[r], ref.T)


def test_adam_matches_torch_optim():
    from probrnn.batched import _Adam

    gen = torch_generator(0)
    a = torch.randn(5, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    b = a.detach().clone().requires_grad_(True)
    ref, ours = torch.optim.Adam([a], lr=0.01), _Adam([b])
    for step in range(30):
        g = torch.randn(5, 3, generator=gen, dtype=torch.float64)
        a.grad, b.grad = g.clone(), g.clone()
        ref.param_groups[0]["lr"] = 0.01 / (1 + step)
        ref.step()
        ours.step(0.01 / (1 + step))
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_member_does_not_depend_on_batch_companions():
    """Init and minibatches come from each member's own generator."""
    a = BatchedStateRNN(3, [2], 5, "rnn", 1, [torch_generator(42)])
    b = BatchedStateRNN(3, [4, 2], 5, "rnn", 1, [torch_generator(7), torch_generator(42)])
    for pa, pb in zip(a.rec, b.rec, strict=True):
        assert torch.equal(pa[0], pb[1])


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


# ---------------------------------------------------------------------- training


def _agreement(hmm, net, n_test=5000, seed=99):
    tst, tob = hmm.sample(n_test, 8, rng=seed)
    return forward_metrics(net.predict_proba(tob), hmm.filter(tob), tst)


def test_k1_rnn_matches_forward_median_over_hmm_draws():
    """The chapter's claim: n = 20,000, default settings, k = 1, median over HMM draws."""
    hmms = [HMM.random(2, 3, rng=s) for s in (3, 17, 29)]
    tasks = []
    for i, h in enumerate(hmms):
        states, obs = h.sample(20000, 8, rng=40 + i)
        tasks.append(FitTask(obs, states, 2, seed=i))
    fits = fit_state_rnns(tasks, n_symbols=3, hidden_size=1)
    mets = [_agreement(h, net) for h, (net, _) in zip(hmms, fits, strict=True)]
    assert np.median([m["agree_nontie"] for m in mets]) >= 0.97
    assert np.median([abs(m["acc_rnn"] - m["acc_fwd"]) for m in mets]) <= 0.01
    for m in mets:  # no RNN beats the optimum beyond sampling error
        assert m["acc_rnn"] <= m["acc_fwd"] + 3 * m["acc_diff_se"] + 1e-12
    assert fits[0][1].settings["restarts"] == default_settings(1)["restarts"] == 4


def test_k1_limit_and_k2_fix_on_a_hard_start():
    """HMM draw 17 starts in state 0 with probability 0.97, far outside what its transition
    rows can produce later: one tanh unit cannot serve both regimes, two can."""
    hmm = HMM.random(2, 3, rng=17)
    states, obs = hmm.sample(20000, 8, rng=18)
    task = [FitTask(obs, states, 2, seed=0)]
    [(one, _)] = fit_state_rnns(task, n_symbols=3, hidden_size=1)
    [(two, _)] = fit_state_rnns(task, n_symbols=3, hidden_size=2)
    assert _agreement(hmm, one)["agree_nontie"] < 0.97
    met = _agreement(hmm, two)
    assert met["agree_nontie"] >= 0.99 and abs(met["acc_rnn"] - met["acc_fwd"]) <= 0.005


def test_gru_on_three_state_hmm_approaches_filter():
    hmm = HMM.random(3, 4, rng=21)
    states, obs = hmm.sample(5000, 8, rng=22)
    net, _ = fit_state_rnn(obs, states, n_symbols=4, n_states=3, hidden_size=8, cell="gru",
                           seed=1, steps=300)
    met = _agreement(hmm, net, n_test=2000)
    assert met["mean_tv"] < 0.08
    assert met["excess_logloss"] < 0.05


def test_fit_is_deterministic_given_seed_and_differs_across_seeds():
    hmm = HMM.random(2, 3, rng=0)
    states, obs = hmm.sample(300, 8, rng=1)
    kw = dict(n_symbols=3, n_states=2, hidden_size=3, steps=40)
    a, ha = fit_state_rnn(obs, states, seed=5, **kw)
    b, _ = fit_state_rnn(obs, states, seed=5, **kw)
    c, _ = fit_state_rnn(obs, states, seed=6, **kw)
    np.testing.assert_array_equal(a.predict_proba(obs), b.predict_proba(obs))
    assert not np.array_equal(a.predict_proba(obs), c.predict_proba(obs))
    frame = ha.to_frame()
    assert len(frame) == len(ha.steps) * ha.settings["restarts"]
    assert frame.chosen.sum() == len(ha.steps)
    assert ha.val_loss_chosen == pytest.approx(ha.best_val.min())


def test_sweep_result_equals_single_fit():
    """A task's network does not depend on the other tasks trained in the same batch."""
    hmms = [HMM.random(2, 3, rng=s) for s in (1, 2)] + [HMM.random(4, 3, rng=3)]
    tasks = []
    for i, h in enumerate(hmms):
        st, ob = h.sample(200, 8, rng=10 + i)
        tasks.append(FitTask(ob, st, h.m, seed=i))
    kw = dict(n_symbols=3, hidden_size=2, steps=30, restarts=2)
    together = fit_state_rnns(tasks, **kw)
    alone, _ = fit_state_rnns([tasks[1]], **kw)[0]
    np.testing.assert_allclose(together[1][0].predict_proba(tasks[1].obs),
                               alone.predict_proba(tasks[1].obs), atol=1e-6)
    assert together[2][0].predict_proba(tasks[2].obs).shape == (200, 8, 4)


def test_small_n_without_holdout_and_single_sequence_input():
    hmm = HMM.random(2, 3, rng=4)
    states, obs = hmm.sample(5, 6, rng=5)
    net, hist = fit_state_rnn(obs, states, n_symbols=3, n_states=2, hidden_size=2, steps=10)
    assert hist.settings["n_val"] == 0 and hist.settings["n_train"] == 5
    p = net.predict_proba(obs[0])
    assert p.shape == (6, 2)
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-12)
    assert net.hidden_states(obs).shape == (5, 6, 2)
    np.testing.assert_allclose(np.exp(net.predict_log_proba(obs)), net.predict_proba(obs))


def test_float64_training():
    hmm = HMM.random(2, 3, rng=4)
    states, obs = hmm.sample(100, 6, rng=5)
    net, hist = fit_state_rnn(obs, states, n_symbols=3, n_states=2, hidden_size=2, steps=10,
                              dtype=torch.float64)
    assert next(net.parameters()).dtype == torch.float64
    assert hist.settings["dtype"] == "float64"


# ---------------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def data():
    hmm = HMM.random(2, 3, rng=0)
    states, obs = hmm.sample(20, 5, rng=1)
    return obs, states


@pytest.mark.parametrize("change,match", [
    (dict(states_slice=(slice(None), slice(0, 4))), "same shape"),
    (dict(states_slice=(slice(0, 10), slice(None))), "same shape"),
    (dict(obs_value=3), r"obs has symbols outside \[0, 3\)"),
    (dict(obs_value=-1), r"obs has symbols outside"),
    (dict(states_value=2), r"states has values outside \[0, n_states=2\)"),
    (dict(states_value=-1), r"states has values outside"),
    (dict(hidden_size=0), "hidden_size must be at least 1"),
    (dict(hidden_size=-3), "hidden_size must be at least 1"),
    (dict(hidden_size=2.5), "hidden_size must be an integer"),
    (dict(cell="transformer"), "unknown cell 'transformer'"),
    (dict(cell=None), "unknown cell"),
    (dict(n_states=0), "n_states must be at least 1"),
    (dict(seed=-1), "seed must be at least 0"),
    (dict(lr=0.0), "lr must be a positive"),
    (dict(steps=0), "steps must be at least 1"),
    (dict(val_fraction=0.9), "val_fraction"),
])
def test_fit_state_rnn_bad_input(data, change, match):
    obs, states = data[0].copy(), data[1].copy()
    change = dict(change)
    if "states_slice" in change:
        states = states[change.pop("states_slice")]
    if "obs_value" in change:
        obs[3, 2] = change.pop("obs_value")
    if "states_value" in change:
        states[1, 4] = change.pop("states_value")
    kw = dict(n_symbols=3, n_states=2, hidden_size=1, steps=2)
    kw.update(change)
    with pytest.raises(ValueError, match=match):
        fit_state_rnn(obs, states, **kw)


def test_bad_input_messages_name_the_position(data):
    obs, states = data[0].copy(), data[1].copy()
    states[1, 4] = 7
    with pytest.raises(ValueError, match=r"first at index \[1, 4\]"):
        fit_state_rnn(obs, states, n_symbols=3, n_states=2, hidden_size=1)


def test_state_rnn_constructor_bad_input():
    with pytest.raises(ValueError, match="hidden_size must be at least 1"):
        StateRNN(3, 2, 0)
    with pytest.raises(ValueError, match="unknown cell"):
        StateRNN(3, 2, 4, cell="elman")
    with pytest.raises(ValueError, match="n_states must be at least 1"):
        StateRNN(3, 0, 4)


def test_fit_state_rnns_rejects_mixed_lengths_and_empty():
    hmm = HMM.random(2, 3, rng=0)
    s1, o1 = hmm.sample(20, 5, rng=1)
    s2, o2 = hmm.sample(20, 6, rng=2)
    with pytest.raises(ValueError, match="one sequence length"):
        fit_state_rnns([FitTask(o1, s1, 2), FitTask(o2, s2, 2)], n_symbols=3, hidden_size=1)
    with pytest.raises(ValueError, match="tasks is empty"):
        fit_state_rnns([], n_symbols=3, hidden_size=1)


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


def test_forward_metrics_hand_example():
    filtered = np.array([[[0.9, 0.1], [0.52, 0.48], [0.2, 0.8]]])
    proba = np.array([[[0.8, 0.2], [0.45, 0.55], [0.3, 0.7]]])
    states = np.array([[0, 1, 1]])
    met = forward_metrics(proba, filtered, states)
    assert met["acc_fwd"] == pytest.approx(2 / 3) and met["acc_rnn"] == pytest.approx(1.0)
    assert met["agree"] == pytest.approx(2 / 3)
    assert met["tie_frac"] == pytest.approx(1 / 3) and met["agree_nontie"] == 1.0
    assert met["mean_tv"] == pytest.approx((0.1 + 0.07 + 0.1) / 3)
    ll_r = -np.log([0.8, 0.55, 0.7]).mean()
    ll_f = -np.log([0.9, 0.48, 0.8]).mean()
    assert met["excess_logloss"] == pytest.approx(ll_r - ll_f)
    with pytest.raises(ValueError, match="agree in shape"):
        forward_metrics(proba, filtered[:, :2], states)
