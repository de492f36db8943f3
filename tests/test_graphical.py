"""M(G; alpha, beta) against the RNN it is built from (Theorem 5), Proposition 4 on the
deterministic and the noisy model, and bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from probrnn import EmpiricalFirstSymbol, SequenceRNN
from probrnn.graphical import (
    MonteCarloEstimate,
    NoisyRNNGraphicalModel,
    RNNGraphicalModel,
    all_prefixes,
    future_dependence,
    sample_future,
    theorem5_table,
)


def _random_rnn(K, k, cell, seed, scale=1.0):
    rnn = SequenceRNN(K, k, cell, seed=seed)
    with torch.no_grad():
        for p in rnn.parameters():
            p.mul_(scale)
    return rnn


@pytest.mark.parametrize("cell,k,seed,scale", [("rnn", 3, 0, 1.0), ("rnn", 8, 1, 6.0),
                                               ("gru", 5, 2, 3.0), ("lstm", 4, 3, 2.0)])
def test_theorem5_every_binary_prefix_up_to_length_5(cell, k, seed, scale):
    rnn = _random_rnn(2, k, cell, seed, scale)
    model = RNNGraphicalModel(rnn)
    table = theorem5_table(model, rnn, max_length=5, n_samples=20_000, rng=seed)
    assert len(table) == 2 * (2 + 4 + 8 + 16 + 32)
    assert table["monte_carlo_z"].abs().max() < 4
    assert table["enumerate_abs_error"].max() < 1e-6
    assert (table["monte_carlo_se"] > 0).all()


def test_theorem5_ternary_with_rejection_and_brute_force_marginals():
    K, T = 3, 4
    rnn = _random_rnn(K, 4, "gru", 5, 2.0)
    model = RNNGraphicalModel(rnn, horizon=T - 1)
    full = np.array(list(itertools.product(range(K), repeat=T)))
    joint = np.exp(rnn.log_likelihood(full))  # P(x_2..T | x_1), an independent code path
    for prefix in all_prefixes(K, 3):
        t = len(prefix)
        match = np.all(full[:, :t] == prefix, axis=1)
        brute = np.array([joint[match & (full[:, t] == x)].sum() for x in range(K)])
        brute /= brute.sum()
        g = rnn.predict_next(np.array(prefix))[-1]
        np.testing.assert_allclose(model.conditional(prefix, method="enumerate"), brute,
                                   atol=1e-12)
        np.testing.assert_allclose(brute, g, atol=1e-12)
        np.testing.assert_allclose(model.rnn_conditional(prefix), g, atol=1e-12)
        est, se = model.conditional(prefix, method="rejection", n_samples=30_000, rng=t)
        assert np.all(np.abs(est - g) < 4 * se)


def test_monte_carlo_estimate_object_and_reproducibility():
    rnn = _random_rnn(2, 4, "rnn", 0)
    model = RNNGraphicalModel(rnn)
    res = model.conditional([1, 0, 1], n_samples=5000, rng=3)
    assert isinstance(res, MonteCarloEstimate)
    est, se = res
    assert est.shape == se.shape == (2,)
    assert est.sum() == pytest.approx(1.0)
    assert res.n_samples == 5000 and res.n_effective == pytest.approx(5000)
    again = model.conditional([1, 0, 1], n_samples=5000, rng=3)
    np.testing.assert_array_equal(res.estimate, again.estimate)
    # binomial standard error with equal weights
    np.testing.assert_allclose(se, np.sqrt(est * (1 - est) / 5000))


def test_standard_error_floor_for_a_symbol_never_drawn():
    rnn = _random_rnn(2, 3, "rnn", 4, 25.0)  # saturated: some conditionals are ~0 or ~1
    model = RNNGraphicalModel(rnn)
    worst = min(all_prefixes(2, 4), key=lambda p: rnn.predict_next(np.array(p))[-1].min())
    g = rnn.predict_next(np.array(worst))[-1]
    assert g.min() < 1e-4
    res = model.conditional(worst, n_samples=1000, rng=0)
    assert np.all(res.stderr >= 1 / 1000)
    assert np.all(np.abs(res.z_scores(g)) < 4)


def test_ancestral_samples_follow_the_point_mass_transitions():
    rnn = _random_rnn(3, 5, "rnn", 6, 2.0)
    model = RNNGraphicalModel(rnn)
    hidden, obs = model.sample(400, 6, first=1, rng=0)
    assert hidden.shape == (400, 6, 5) and obs.shape == (400, 6)
    assert np.all(obs[:, 0] == 1)
    net = rnn.float64_copy()
    with torch.no_grad():
        h, _ = net.core(torch.as_tensor(obs))  # the RNN's own h_t* on the sampled x
    np.testing.assert_allclose(hidden, h.numpy(), atol=1e-12)
    # X marginals agree with the RNN's sequence sampler's (same distribution, different code)
    _, obs_gm = model.sample(30_000, 3, first=EmpiricalFirstSymbol([0.2, 0.3, 0.5]), rng=1)
    obs_rnn = rnn.sample(30_000, 3, rng=2, first=EmpiricalFirstSymbol([0.2, 0.3, 0.5]))
    for t in range(3):
        a = np.bincount(obs_gm[:, t], minlength=3) / 30_000
        b = np.bincount(obs_rnn[:, t], minlength=3) / 30_000
        np.testing.assert_allclose(a, b, atol=0.02)


def test_noisy_model_keeps_the_graph_but_breaks_proposition_4_and_theorem_5():
    rnn = _random_rnn(2, 6, "rnn", 7, 3.0)
    det = RNNGraphicalModel(rnn)
    noisy = NoisyRNNGraphicalModel(rnn, noise_std=0.7)
    # Proposition 4: H_1 and X_3 given (H_0 = 0, X_1)
    h, _, x3 = sample_future(det, 1, 40_000, rng=0)
    dep = future_dependence(h, x3)
    assert np.all(dep.cov == 0) and np.all(dep.z == 0)
    h, _, x3 = sample_future(noisy, 1, 40_000, rng=0)
    assert np.abs(future_dependence(h, x3).z).max() > 8
    # transitions: the noise around f_alpha has the requested spread
    hidden, obs = noisy.sample(3000, 2, first=0, rng=1)
    mean = det.net.step(torch.as_tensor(hidden[:, 0]), torch.as_tensor(obs[:, 1]))
    resid = hidden[:, 1] - mean.detach().numpy()
    assert resid.std() == pytest.approx(0.7, rel=0.05)
    # Theorem 5 fails: some conditional is far from g(h*)
    zs = [np.abs(noisy.conditional(p, n_samples=20_000, rng=2).z_scores(
        rnn.predict_next(np.array(p))[-1])).max() for p in all_prefixes(2, 3)]
    assert max(zs) > 10
    # sigma = 0 is the deterministic model again
    zero = NoisyRNNGraphicalModel(rnn, noise_std=0.0)
    np.testing.assert_array_equal(zero.sample(50, 4, rng=3)[1], det.sample(50, 4, rng=3)[1])


def test_bad_inputs_raise_value_errors():
    rnn = SequenceRNN(2, 3, seed=0)
    model = RNNGraphicalModel(rnn, horizon=5)
    with pytest.raises(ValueError, match="longer than the model's horizon of 5"):
        model.conditional([0] * 6)
    with pytest.raises(ValueError, match="longer than the model's horizon"):
        RNNGraphicalModel(rnn).conditional(np.zeros(100, dtype=int), method="enumerate")
    with pytest.raises(ValueError, match="prefix is empty"):
        model.conditional([])
    with pytest.raises(ValueError, match=r"outside \[0, 2\)"):
        model.conditional([0, 2])
    with pytest.raises(ValueError, match="shape"):
        model.conditional([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="unknown method"):
        model.conditional([0], method="exact")
    with pytest.raises(ValueError, match="horizon must be at least 1"):
        RNNGraphicalModel(rnn, horizon=0)
    with pytest.raises(ValueError, match="SequenceRNN"):
        RNNGraphicalModel(torch.nn.RNN(2, 3))
    with pytest.raises(ValueError, match="point-mass"):
        NoisyRNNGraphicalModel(rnn, 0.5).conditional([0], method="enumerate")
    with pytest.raises(ValueError, match="noise_std"):
        NoisyRNNGraphicalModel(rnn, -1.0)
    big = RNNGraphicalModel(SequenceRNN(10, 2, seed=0), horizon=8)
    with pytest.raises(ValueError, match="completions"):
        big.conditional([0], method="enumerate")
    with pytest.raises(ValueError, match="first must be a symbol"):
        model.sample(2, 3, first=[[0, 1], [0]])


@pytest.mark.parametrize("T", [2, 4, 6])
def test_graph_figure_draws_exactly_the_edges_of_G(T):
    from probrnn.figures.rnn_generative import graph_figure

    fig = graph_figure(T, kind="graphical")
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert len(arrows) == T + (T - 1) + (T - 1)  # X_t -> H_t, H_{t-1} -> H_t, H_t -> X_{t+1}
    nodes = [s for s in fig.layout.shapes if s.type == "circle"]
    assert len(nodes) == 2 * T
    comp = graph_figure(T, kind="computational")
    assert len([a for a in comp.layout.annotations if a.showarrow]) == 3 * T
    with pytest.raises(ValueError, match="kind"):
        graph_figure(T, kind="factor")


def test_theorem5_and_dependence_figures():
    from probrnn.figures.rnn_generative import dependence_figure, theorem5_figure

    rnn = _random_rnn(2, 3, "rnn", 0)
    model = RNNGraphicalModel(rnn)
    table = theorem5_table(model, rnn, max_length=2, n_samples=2000, rng=0)
    fig = theorem5_figure(table)
    mc = [tr for tr in fig.data if tr.name == "monte carlo"][0]
    np.testing.assert_allclose(mc.y, table[table.x == 1]["monte_carlo_z"])
    h, _, x3 = sample_future(model, 0, 500, rng=0)
    fig = dependence_figure(h, x3, h, x3, unit=0)
    assert sum(len(tr.x) for tr in fig.data) == 2 * 500


def test_model_follows_weights_edited_after_it_was_built():
    rnn = SequenceRNN(2, 4, seed=0)
    model = RNNGraphicalModel(rnn)
    with torch.no_grad():
        for p in rnn.parameters():
            p.normal_(0, 2.0, generator=torch.Generator().manual_seed(9))
    g = rnn.predict_next(np.array([1, 0, 1]))[-1]
    np.testing.assert_allclose(model.conditional([1, 0, 1], method="enumerate"), g, atol=1e-12)
    np.testing.assert_allclose(model.rnn_conditional([1, 0, 1]), g, atol=1e-12)
