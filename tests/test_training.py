"""The one training rule and its entry points: fit_state_rnn(s) and fit_sequence_rnn(s).

What the rule promises (early stopping with patience, best weights kept, the learning rate
halved on plateaus, a cap that is flagged, restarts, a record of what ran), checked on small
problems; the chapter's claims about one-unit RNNs; determinism; bad input.
"""

import numpy as np
import pytest
import torch

from probrnn import HMM, FitTask, fit_sequence_rnn, fit_sequence_rnns, fit_state_rnn, fit_state_rnns
from probrnn.metrics import compare_posteriors
from probrnn.training import DEFAULT_RULE, TrainingRule
from probrnn.training.adam import BatchedAdam


def _metrics(hmm, net, n_test=5000, seed=99):
    tst, tob = hmm.sample(n_test, 8, rng=seed)
    return compare_posteriors(net.predict_proba(tob), hmm.filter(tob), tst)


# ---------------------------------------------------------------------- the rule
def test_rule_defaults_and_learning_rate():
    rule = TrainingRule()
    assert rule.learning_rate(1) == pytest.approx(0.03)
    assert rule.learning_rate(100) == pytest.approx(0.003)
    assert rule.with_(lr=0.5).learning_rate(100) == 0.5
    assert [rule.restarts_for(k) for k in (1, 4, 5, 32, 33)] == [4, 4, 2, 2, 1]
    assert rule.with_(restarts=3).restarts_for(1000) == 3
    assert rule.with_(max_steps=None).max_steps == DEFAULT_RULE.max_steps


@pytest.mark.parametrize("change,match", [
    (dict(batch_size=0), "batch_size must be at least 1"),
    (dict(lr=0.0), "lr must be > 0"),
    (dict(lr=float("nan")), "lr must be finite"),
    (dict(lr="0.1"), "lr must be a real number"),
    (dict(patience=1.5), "patience must be an integer"),
    (dict(max_steps=-1), "max_steps must be at least 1"),
    (dict(val_fraction=0.9), "val_fraction must be <= 0.5"),
    (dict(min_delta=-1e-3), "min_delta must be >= 0"),
])
def test_rule_bad_settings(change, match):
    with pytest.raises(ValueError, match=match):
        TrainingRule(**change)


def test_adam_matches_torch_optim_per_member():
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(2, 5, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    b = a.detach().clone().requires_grad_(True)
    refs = [torch.optim.Adam([a], lr=0.01)]
    ours = BatchedAdam([b])
    lrs = torch.tensor([0.01, 0.003], dtype=torch.float64)
    ref_params = [a.detach()[r].clone().requires_grad_(True) for r in range(2)]
    refs = [torch.optim.Adam([p], lr=float(lr)) for p, lr in zip(ref_params, lrs, strict=True)]
    for _ in range(30):
        g = torch.randn(2, 5, 3, generator=gen, dtype=torch.float64)
        b.grad = g.clone()
        ours.step(lrs)
        for r, (p, opt) in enumerate(zip(ref_params, refs, strict=True)):
            p.grad = g[r].clone()
            opt.step()
    for r in range(2):
        torch.testing.assert_close(b.detach()[r], ref_params[r].detach(), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------- early stopping
@pytest.fixture(scope="module")
def small():
    hmm = HMM.random(2, 3, rng=0)
    states, obs = hmm.sample(400, 8, rng=1)
    return hmm, obs, states


def test_stops_by_patience_and_keeps_the_best_weights(small):
    hmm, obs, states = small
    net, hist = fit_state_rnn(obs, states, n_symbols=3, n_states=2, hidden_size=8, seed=0,
                              eval_every=10, patience=3, plateau=2)
    rec = hist.record()
    assert rec["stop"] == "patience" and not rec["hit_cap"]
    c = hist.chosen
    # it stopped `patience` evaluations after its last counted improvement, and kept the best
    assert hist.steps_run[c] >= hist.best_step[c] and hist.steps_run[c] < DEFAULT_RULE.max_steps
    assert rec["val_loss"] == pytest.approx(np.nanmin(hist.val_loss[:, c]))
    assert rec["final_lr"] < rec["lr"]  # plateaus halved the rate on the way
    # the returned model is the kept one: its held-out loss is the recorded one
    frame = hist.to_frame()
    assert frame.groupby("restart").step.max().loc[c] == hist.steps_run[c]


def test_cap_is_flagged(small):
    hmm, obs, states = small
    _, hist = fit_state_rnn(obs, states, n_symbols=3, n_states=2, hidden_size=4, seed=0,
                            max_steps=30, eval_every=10)
    rec = hist.record()
    assert rec["stop"] == "cap" and rec["hit_cap"] and rec["steps"] == 30 and rec["cap"] == 30


def test_record_has_every_column(small):
    hmm, obs, states = small
    _, hist = fit_state_rnn(obs, states, n_symbols=3, n_states=2, hidden_size=2, seed=3,
                            max_steps=50)
    assert set(hist.record()) == {"steps", "stop", "hit_cap", "cap", "lr", "final_lr",
                                  "restarts", "chosen_restart", "val_loss", "train_seconds",
                                  "products"}
    assert hist.record()["products"] == "float32"  # k = 2: below the rule's bf16_from
    assert hist.record()["restarts"] == 4 and hist.settings["n_val"] == 40


# ---------------------------------------------------------------------- the chapter's claims
def test_k1_rnn_matches_forward_median_over_hmm_draws():
    """The chapter's claim: n = 20,000, the training rule, k = 1, median over HMM draws."""
    hmms = [HMM.random(2, 3, rng=s) for s in (3, 17, 29)]
    tasks = []
    for i, h in enumerate(hmms):
        states, obs = h.sample(20000, 8, rng=40 + i)
        tasks.append(FitTask(obs, states, 2, seed=i))
    fits = fit_state_rnns(tasks, n_symbols=3, hidden_size=1)
    mets = [_metrics(h, net) for h, (net, _) in zip(hmms, fits, strict=True)]
    assert np.median([m["agreement_off_ties"] for m in mets]) >= 0.97
    assert np.median([abs(m["accuracy"] - m["accuracy_ref"]) for m in mets]) <= 0.01
    for m in mets:  # no RNN beats the optimum beyond sampling error
        assert m["accuracy"] <= m["accuracy_ref"] + 3 * m["accuracy_gap_se"] + 1e-12
    assert all(not h.hit_cap for _, h in fits)


def test_k1_limit_and_k2_fix_on_a_hard_start():
    """HMM draw 17 starts in state 0 with probability 0.97, far outside what its transition
    rows can produce later: one tanh unit cannot serve both regimes (it gets the first step
    right and pays at the second), two can."""
    hmm = HMM.random(2, 3, rng=17)
    states, obs = hmm.sample(20000, 8, rng=18)
    task = [FitTask(obs, states, 2, seed=0)]
    [(one, _)] = fit_state_rnns(task, n_symbols=3, hidden_size=1)
    [(two, _)] = fit_state_rnns(task, n_symbols=3, hidden_size=2)
    met1, met = (compare_posteriors(net.predict_proba(tob), hmm.filter(tob), tst, per_step=True)
                 for net in (one, two) for tst, tob in [hmm.sample(5000, 8, rng=99)])
    assert met1["agreement_t1"] > 0.99 > 0.95 > met1["agreement_t2"]
    assert met1["agreement_off_ties"] < met["agreement_off_ties"]
    assert min(met[f"agreement_t{t}"] for t in range(1, 9)) >= 0.99
    assert met["agreement_off_ties"] >= 0.99 and abs(met["accuracy"] - met["accuracy_ref"]) <= 0.005


def test_gru_on_three_state_hmm_approaches_filter():
    hmm = HMM.random(3, 4, rng=21)
    states, obs = hmm.sample(5000, 8, rng=22)
    net, hist = fit_state_rnn(obs, states, n_symbols=4, n_states=3, hidden_size=8, cell="gru",
                              seed=1, max_steps=1500)
    met = _metrics(hmm, net, n_test=2000)
    assert met["mean_tv"] < 0.05 and met["excess_log_loss"] < 0.02


# ---------------------------------------------------------------------- reproducibility
def test_fit_is_deterministic_given_seed_and_differs_across_seeds(small):
    hmm, obs, states = small
    kw = dict(n_symbols=3, n_states=2, hidden_size=3, max_steps=100)
    a, ha = fit_state_rnn(obs, states, seed=5, **kw)
    b, hb = fit_state_rnn(obs, states, seed=5, **kw)
    c, _ = fit_state_rnn(obs, states, seed=6, **kw)
    np.testing.assert_array_equal(a.predict_proba(obs), b.predict_proba(obs))
    assert ha.record()["steps"] == hb.record()["steps"]
    assert not np.array_equal(a.predict_proba(obs), c.predict_proba(obs))


def test_sweep_result_equals_single_fit():
    """A task's network does not depend on the other tasks trained in the same batch, even
    when those stop at other times."""
    hmms = [HMM.random(2, 3, rng=s) for s in (1, 2)] + [HMM.random(4, 3, rng=3)]
    tasks = []
    for i, h in enumerate(hmms):
        st, ob = h.sample(300, 8, rng=10 + i)
        tasks.append(FitTask(ob, st, h.m, seed=i))
    kw = dict(n_symbols=3, hidden_size=2, max_steps=400, restarts=2)
    together = fit_state_rnns(tasks, **kw)
    alone, hist = fit_state_rnns([tasks[1]], **kw)[0]
    np.testing.assert_allclose(together[1][0].predict_proba(tasks[1].obs),
                               alone.predict_proba(tasks[1].obs), atol=1e-6)
    assert together[1][1].record()["steps"] == hist.record()["steps"]
    assert together[2][0].predict_proba(tasks[2].obs).shape == (300, 8, 4)


def test_small_n_without_holdout_and_single_sequence_input():
    hmm = HMM.random(2, 3, rng=4)
    states, obs = hmm.sample(5, 6, rng=5)
    net, hist = fit_state_rnn(obs, states, n_symbols=3, n_states=2, hidden_size=2,
                              max_steps=50)
    assert hist.settings["n_val"] == 0 and hist.settings["n_train"] == 5
    p = net.predict_proba(obs[0])
    assert p.shape == (6, 2)
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-12)
    assert net.hidden_states(obs).shape == (5, 6, 2)
    np.testing.assert_allclose(np.exp(net.predict_log_proba(obs)), net.predict_proba(obs))


def test_float64_training():
    hmm = HMM.random(2, 3, rng=4)
    states, obs = hmm.sample(100, 6, rng=5)
    net, hist = fit_state_rnn(obs, states, n_symbols=3, n_states=2, hidden_size=2,
                              max_steps=20, dtype=torch.float64)
    assert next(net.parameters()).dtype == torch.float64
    assert hist.settings["dtype"] == "float64"


def test_diverging_training_is_reported_not_returned(small, monkeypatch):
    hmm, obs, states = small
    with pytest.raises(ValueError, match="lr must be <= 10"):
        fit_state_rnn(obs, states, n_symbols=3, n_states=2, hidden_size=4, lr=1e38)
    import probrnn.training.trainer as trainer

    def nan_loss(model, obs, targets, mask, chunk=512):  # a run whose loss is never finite
        return torch.full((obs.shape[0],), float("nan"), dtype=torch.float64)

    monkeypatch.setattr(trainer, "held_out_loss", nan_loss)
    with pytest.raises(ValueError, match="diverged"):
        fit_state_rnn(obs, states, n_symbols=3, n_states=2, hidden_size=4, max_steps=30,
                      eval_every=10, patience=2)


# ---------------------------------------------------------------------- sequence RNNs
def test_sequence_rnn_fits_through_the_same_trainer():
    hmm = HMM.random(3, 3, rng=8, concentration=0.3)
    _, obs = hmm.sample(2000, 12, rng=9)
    _, test = hmm.sample(500, 12, rng=10)
    rnn = fit_sequence_rnn(obs, n_symbols=3, hidden_size=8, seed=0)
    rec = rnn.history.record()
    assert rec["stop"] == "patience" and rec["restarts"] == 2
    from probrnn.metrics import next_symbol_cross_entropy

    ce_rnn = next_symbol_cross_entropy(rnn.predict_next(test), test)
    ce_opt = next_symbol_cross_entropy(hmm.predict_next(test), test)
    assert 0 <= ce_rnn - ce_opt < 0.03
    np.testing.assert_allclose(rnn.first_model.probs, np.bincount(obs[:, 0], minlength=3) / 2000)
    [again] = fit_sequence_rnns([FitTask(obs, seed=0)], n_symbols=3, hidden_size=8)
    np.testing.assert_array_equal(again.predict_next(test), rnn.predict_next(test))


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
    (dict(hidden_size=2.5), "hidden_size must be an integer"),
    (dict(cell="transformer"), "cell must be one of"),
    (dict(cell=None), "cell must be one of"),
    (dict(n_states=0), "n_states must be at least 1"),
    (dict(seed=-1), "seed must be a non-negative integer"),
    (dict(seed=1.5), "seed must be an integer"),
    (dict(lr=0.0), "lr must be > 0"),
    (dict(lr=float("inf")), "lr must be finite"),
    (dict(max_steps=0), "max_steps must be at least 1"),
    (dict(val_fraction=0.9), "val_fraction"),
    (dict(device="foo"), "device 'foo' is not a torch device"),
    (dict(dtype=torch.int64), "dtype must be"),
    (dict(steps=10), r"unknown training setting\(s\) \['steps'\]"),
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
    kw = dict(n_symbols=3, n_states=2, hidden_size=1, max_steps=2)
    kw.update(change)
    with pytest.raises(ValueError, match=match):
        fit_state_rnn(obs, states, **kw)


def test_bad_input_messages_name_the_position(data):
    obs, states = data[0].copy(), data[1].copy()
    states[1, 4] = 7
    with pytest.raises(ValueError, match=r"first at index \[1, 4\]"):
        fit_state_rnn(obs, states, n_symbols=3, n_states=2, hidden_size=1)


def test_fit_state_rnns_rejects_mixed_lengths_and_empty():
    hmm = HMM.random(2, 3, rng=0)
    s1, o1 = hmm.sample(20, 5, rng=1)
    s2, o2 = hmm.sample(20, 6, rng=2)
    with pytest.raises(ValueError, match="one sequence length"):
        fit_state_rnns([FitTask(o1, s1, 2), FitTask(o2, s2, 2)], n_symbols=3, hidden_size=1)
    with pytest.raises(ValueError, match="tasks is empty"):
        fit_state_rnns([], n_symbols=3, hidden_size=1)
    with pytest.raises(ValueError, match="needs states and n_states"):
        fit_state_rnns([FitTask(o1)], n_symbols=3, hidden_size=1)


@pytest.mark.parametrize("obs,kw,match", [
    ([[0, 1, 2]], dict(lr=float("nan")), "lr must be finite"),
    ([[0], [1]], {}, "T >= 2"),
    ([[0, 1, 2], [1, 2]], {}, "different lengths"),
    ([[0.5, 1, 2]], {}, "integer symbols"),
    ([[0, 1, 3]], {}, "outside"),
    ([[0, 1, 2]], dict(first_pseudocount=-1), "first_pseudocount must be >= 0"),
])
def test_fit_sequence_rnn_bad_input(obs, kw, match):
    with pytest.raises(ValueError, match=match):
        fit_sequence_rnn(obs, n_symbols=3, hidden_size=2, max_steps=2, **kw)
