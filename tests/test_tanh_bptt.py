"""The hand-written backward pass of the tanh RNN against torch's autograd, and the trainer
that uses it against the autograd trainer."""

import numpy as np
import pytest
import torch

from probrnn.rnn.batched import BatchedRNN
from probrnn.rnn.cells import as_torch_generator as torch_generator
from probrnn.training import TrainingRule
from probrnn.training.loss import cross_entropy
from probrnn.training.tanh_bptt import prefix_levels, tanh_rnn_loss_and_grads
from probrnn.training.trainer import MemberData, train_members


def _autograd(model, obs, states):
    loss = cross_entropy(model, obs, states).mean(dim=(1, 2))
    params = [*model.rec, model.head_w, model.head_b]
    grads = torch.autograd.grad(loss.sum(), params, allow_unused=True)  # U unused when T = 1
    return loss.detach(), [torch.zeros_like(p) if g is None else g
                           for p, g in zip(params, grads, strict=True)]


def _weights(model):
    return [p.detach() for p in (*model.rec, model.head_w, model.head_b)]


@pytest.mark.parametrize("k,ms,B,T", [(1, [2, 2, 3], 17, 6), (5, [2, 4], 9, 8), (20, [3], 4, 1),
                                      (3, [1, 5], 1, 5), (7, [2], 33, 2), (4, [2, 3], 64, 6)])
def test_loss_and_gradients_equal_autograd(k, ms, B, T):
    gens = [torch_generator(11 * r + k) for r in range(len(ms))]
    model = BatchedRNN(4, ms, k, "rnn", 1, gens, dtype=torch.float64)
    with torch.no_grad():  # larger weights than the initial ones: saturated units too
        for p in model.parameters():
            p.mul_(3)
    g = torch_generator(5)
    obs = torch.randint(0, 4, (len(ms), B, T), generator=g)
    states = torch.stack([torch.randint(0, m, (B, T), generator=g) for m in ms])
    ref_loss, ref_grads = _autograd(model, obs, states)
    pad = model.pad_mask if model.padded else None
    for n_prefix in sorted({None, 0, 1, T // 2, T}, key=str):  # per sequence, per prefix, mixed
        loss, grads = tanh_rnn_loss_and_grads(*_weights(model), obs, states, pad,
                                              n_prefix=n_prefix)
        torch.testing.assert_close(loss, ref_loss, rtol=1e-12, atol=1e-12)
        assert len(grads) == len(ref_grads)
        for ours, ref in zip(grads, ref_grads, strict=True):
            assert ours.shape == ref.shape
            torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-12)
            if pad is not None and ours.shape == model.head_w.shape:  # padding gets nothing
                assert (ours[pad] == 0).all()


def test_prefix_levels():
    assert prefix_levels(3, 256, 8) == 4  # 3, 9, 27, 81 prefixes <= 128; 243 > 128
    assert prefix_levels(10, 256, 8) == 2
    assert prefix_levels(3, 256, 2) == 2  # never more than T
    assert prefix_levels(2, 3, 5) == 0  # a batch too small to share anything


def test_workspace_is_reused_and_resized():
    ws = {}
    for R, B, T, k in [(2, 5, 4, 3), (2, 5, 4, 3), (3, 2, 6, 3), (1, 4, 4, 1)]:
        model = BatchedRNN(3, [2] * R, k, "rnn", 1,
                                [torch_generator(r) for r in range(R)], dtype=torch.float64)
        g = torch_generator(B)
        obs, states = torch.randint(0, 3, (R, B, T), generator=g), torch.randint(0, 2, (R, B, T),
                                                                              generator=g)
        fresh = tanh_rnn_loss_and_grads(*_weights(model), obs, states)
        reused = tanh_rnn_loss_and_grads(*_weights(model), obs, states, workspace=ws)
        torch.testing.assert_close(fresh, reused, rtol=0, atol=0)
        assert ws["H"].shape[1:] == (R, B, k)


def _data(seed, n=300, T=8, m=2):
    rng = np.random.default_rng(seed)
    obs = rng.integers(0, 3, size=(n, T))
    states = (obs + rng.integers(0, 2, size=(n, T))) % m  # states that depend on symbols
    return MemberData(obs[:250], states[:250], obs[250:], states[250:]), m


FIXED = TrainingRule(batch_size=32, eval_every=20, max_steps=60, patience=100, plateau=100)


def _fit(seeds, datas, k, rule=FIXED, autograd=False, lr=0.05):
    gens = [torch_generator(s) for s in seeds]
    model = BatchedRNN(3, [m for _, m in datas], k, "rnn", 1, gens, dtype=torch.float64)
    return train_members(model, [d for d, _ in datas], gens, [lr] * len(seeds), rule,
                         autograd=autograd)


@pytest.mark.parametrize("k", [1, 6])
def test_training_equals_autograd_training(k):
    """Sixty Adam steps with either backward pass end at the same weights (float64)."""
    ours, ref = (_fit([3, 4], [_data(1), _data(2, m=3)], k, autograd=a) for a in (False, True))
    for wa, wb in zip(ours.weights, ref.weights, strict=True):
        for a, b in zip(wa, wb, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.val_loss, ref.val_loss, rtol=1e-9)
    assert ours.val_loss[-1].max() < ours.val_loss[0].max()  # and it learned something


def test_member_trained_alone_or_in_company_ends_the_same():
    alone = _fit([9], [_data(5)], 4).weights[0]
    company = _fit([1, 2, 9], [_data(3, m=3), _data(4), _data(5)], 4).weights[2]
    for a, b in zip(alone, company, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


def test_member_ends_the_same_when_its_companions_stop_early():
    """Members that stop leave the batch; the others carry on exactly as if alone."""
    rule = TrainingRule(batch_size=32, eval_every=10, max_steps=80, patience=2, plateau=1)
    alone = _fit([9], [_data(5)], 4, rule=rule, lr=0.05)
    company = _fit([1, 9], [_data(3, m=3), _data(5)], 4, rule=rule, lr=0.05)
    assert company.steps_run[1] == alone.steps_run[0]
    for a, b in zip(alone.weights[0], company.weights[1], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-6), (torch.float64, 1e-15),
                                       (torch.bfloat16, 1e-2)])
def test_in_place_tanh_matches_torch(dtype, tol):
    from probrnn.training.tanh_bptt import _tanh_

    x = torch.linspace(-30, 30, 2001, dtype=torch.float64).to(dtype).reshape(3, 667)
    for view in (x.clone(), x.clone()[:, ::2], x.clone().T):  # contiguous and strided
        expected = torch.tanh(view.double())
        _tanh_(view)
        torch.testing.assert_close(view.double(), expected, rtol=tol, atol=tol)


def test_kept_weights_are_the_rules_moving_average(monkeypatch):
    """With averaging, the weights evaluated and kept are the exponential moving average of the
    trained ones with decay min(average, (1 + s) / (10 + s)) after s steps; with average = 0
    they are the trained weights themselves."""
    from probrnn.training import adam

    trained = []
    step = adam.BatchedAdam.step

    def recording_step(self, lr):
        if not trained:
            trained.append([p.detach().clone() for p in self.params])  # the initial weights
        step(self, lr)
        trained.append([p.detach().clone() for p in self.params])

    monkeypatch.setattr(adam.BatchedAdam, "step", recording_step)
    for average in (0.9, 0.0):
        trained.clear()
        rule = TrainingRule(batch_size=32, eval_every=30, max_steps=30, average=average)
        kept = _fit([7], [_data(6)], 3, rule=rule, lr=0.05).weights[0]
        expected = [w.clone() for w in trained[0]]
        for s, weights in enumerate(trained[1:], start=1):
            decay = min(average, (1 + s) / (10 + s))
            expected = [decay * e + (1 - decay) * w for e, w in zip(expected, weights, strict=True)]
        assert len(trained) == 31
        for a, b, last in zip(kept, expected, trained[-1], strict=True):
            torch.testing.assert_close(a, b[0], rtol=1e-12, atol=1e-12)
            if average:  # the average is not the last trained weights
                assert (a - last[0]).abs().max() > 1e-4


def test_wide_networks_wait_longer_before_halving_and_stopping():
    """Above ``wide_from`` units, plateau and patience grow as sqrt(k / wide_from): with a
    learning rate too small to improve anything, a member stops after exactly ``patience``
    evaluations without improvement, scaled or not."""
    rule = TrainingRule()
    assert rule.waits_for(1) == rule.waits_for(100) == (4, 8)
    assert rule.waits_for(400) == (8, 16) and rule.waits_for(1000) == (13, 25)
    for wide_from, waits in [(100, (1, 2)), (1, (2, 4))]:  # k = 4: sqrt(4 / 1) = 2
        still = TrainingRule(batch_size=32, eval_every=1, max_steps=50, plateau=1, patience=2,
                             wide_from=wide_from)
        fit = _fit([3], [_data(1)], 4, rule=still, lr=1e-12)
        assert (fit.settings["plateau_used"], fit.settings["patience_used"]) == waits
        assert fit.steps_run[0] == 1 + waits[1] and fit.stop_reason == ["patience"]
        assert fit.final_lr[0] == pytest.approx(1e-12 / 2 ** (waits[1] // waits[0]))


@pytest.mark.parametrize("n_prefix", [0, 2])
def test_bfloat16_products_stay_within_their_rounding_of_autograd(n_prefix):
    """Products in bfloat16 (the rule's choice for wide networks): loss and gradients within
    a few parts in a thousand of float64 autograd, and really computed in bfloat16 (further
    from autograd than the float32 products, which agree to float32 rounding)."""
    k, ms, B, T = 64, [5, 5], 48, 8
    model = BatchedRNN(10, ms, k, "rnn", 1, [torch_generator(r) for r in range(2)],
                       dtype=torch.float64)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3)
    g = torch_generator(7)
    obs = torch.randint(0, 10, (2, B, T), generator=g)
    states = torch.randint(0, 5, (2, B, T), generator=g)
    ref_loss, ref_grads = _autograd(model, obs, states)
    w32 = [w.float() for w in _weights(model)]
    errors = {}
    for products in (None, torch.bfloat16):
        loss, grads = tanh_rnn_loss_and_grads(*w32, obs, states, n_prefix=n_prefix,
                                              products=products)
        assert loss.dtype == torch.float32 and all(gr.dtype == torch.float32 for gr in grads)
        rel = [float((ours.double() - ref).norm() / ref.norm())
               for ours, ref in zip(grads, ref_grads, strict=True)]
        errors[products] = (float((loss.double() - ref_loss).abs().max()), max(rel))
    loss32, grad32 = errors[None]
    loss16, grad16 = errors[torch.bfloat16]
    assert loss32 < 1e-5 and grad32 < 1e-5
    assert 1e-5 < loss16 < 5e-3 and 1e-4 < grad16 < 2e-2


def test_rule_chooses_bfloat16_products_from_bf16_from():
    rule = TrainingRule()
    assert rule.products_for(199) is None and rule.products_for(200) is torch.bfloat16
    assert TrainingRule(bf16_from=None).products_for(5000) is None
    with pytest.raises(ValueError, match="bf16_from"):
        TrainingRule(bf16_from=0)
    data = [_data(1)]
    for bf16_from, expected in ((4, "bfloat16"), (5, "float64")):  # _fit's weights: float64
        fit = _fit([3], data, 4, rule=FIXED.with_(bf16_from=bf16_from), lr=0.05)
        assert fit.settings["products"] == expected
