"""The Figure 7 and convergence experiments, their figures and the chapter's widgets."""

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from probrnn.experiments.particle_filters import (
    compare_one,
    convergence_slope,
    experiment_hmm,
    fig7,
    fig7_figure,
    pf_convergence,
    pf_convergence_figure,
    recompute_pf_row,
    state_metrics,
)
from probrnn.figures.particle_filters import (
    belief_comparison,
    convergence_loglog,
    fig7_panels,
    particle_time_slider,
    pf_graphical_model,
    size_sliders,
)
from probrnn.particle_filter import particle_filter

RESULTS = Path(__file__).resolve().parents[1] / "results" / "fig7.csv"


def _alt(fig):
    return fig.layout.meta["alt"]


def test_fig7_particle_rows_are_deterministic_and_recomputable():
    df = fig7("quick", rnn=False)
    assert set(df["kind"]) == {"pf"} and sorted(df["d"].unique()) == [1, 5, 20]
    again = fig7("quick", rnn=False, sizes=(5,), n_reps=1)
    row = df[(df.d == 5) & (df.rep == 0)].iloc[0]
    assert np.isclose(again.iloc[0]["agreement"], row["agreement"])
    rebuilt = recompute_pf_row(row)
    for key in ("accuracy", "agreement", "mean_tv", "run_seed"):
        assert np.isclose(rebuilt[key], row[key])
    # more particles, closer to the forward algorithm
    means = df.groupby("d").agreement.mean()
    assert means[1] < means[5] < means[20]
    with pytest.raises(ValueError, match="particle-filter row"):
        recompute_pf_row(dict(row, kind="rnn"))
    with pytest.raises(ValueError, match="scale"):
        fig7("huge")


@pytest.mark.skipif(not RESULTS.exists(), reason="results/fig7.csv not generated")
def test_committed_fig7_grid_point_regenerates():
    df = pd.read_csv(RESULTS)
    assert {"pf", "rnn"} <= set(df["kind"])
    row = df[(df.kind == "pf") & (df.d == 50)].iloc[0]
    rebuilt = recompute_pf_row(row)
    assert np.isclose(rebuilt["agreement"], row["agreement"], atol=1e-12)
    assert np.isclose(rebuilt["mean_tv"], row["mean_tv"], atol=1e-9)
    # the claims the chapter asserts
    grid = df[df.part == "grid"]
    means = grid.groupby(["kind", "d"]).agreement.mean().unstack("kind")
    small = means[means.index <= 20]
    assert (small.rnn >= small.pf).all()
    rnn = df[df.kind == "rnn"]
    assert not rnn.hit_cap.any() and set(rnn.stop) == {"patience"}  # every RNN converged
    assert set(df[df.part == "data"].n_train) == {5000, 60000}


def test_fig7_with_rnns_tiny():
    df = fig7("quick", sizes=(2,), n_reps=1)
    assert sorted(df["kind"]) == ["pf", "rnn"]
    rnn = df[df.kind == "rnn"].iloc[0]
    assert 0 <= rnn["accuracy"] <= 1 and rnn["n_params"] > 0 and rnn["n_train"] == 1000
    for col in ("steps", "stop", "hit_cap", "cap", "lr", "restarts", "val_loss", "train_seconds"):
        assert col in df.columns, col
    fig = fig7_figure(df)
    assert isinstance(fig, go.Figure) and "accuracy" in _alt(fig)


def test_state_metrics_against_hand_count():
    filtered = np.array([[[0.7, 0.3], [0.2, 0.8]]])
    proba = np.array([[[0.6, 0.4], [0.9, 0.1]]])
    states = np.array([[0, 0]])
    met = state_metrics(proba, filtered, states, tie_seed=0)
    assert met["accuracy"] == 1.0 and met["agreement"] == 0.5 and met["accuracy_ref"] == 0.5
    assert np.isclose(met["mean_tv"], (0.1 + 0.7) / 2)
    # a tie is broken at random, both ways over many seeds
    tie = np.array([[[0.5, 0.5]]])
    picks = {state_metrics(tie, filtered[:, :1], states[:, :1], tie_seed=s)["accuracy"]
             for s in range(20)}
    assert picks == {0.0, 1.0}


def test_convergence_experiment_and_slope():
    df = pf_convergence("quick")
    assert set(df.resampling) == {"multinomial", "systematic"}
    for scheme in ("multinomial", "systematic"):
        b, _ = convergence_slope(df, scheme)
        assert -0.65 <= b <= -0.35
    # the fit recovers a known power law exactly
    Ms = np.array([10, 100, 1000])
    synthetic = pd.DataFrame(dict(resampling="multinomial", M=Ms, mean_tv=2.0 * Ms**-0.5))
    b, a = convergence_slope(synthetic)
    assert np.isclose(b, -0.5) and np.isclose(np.exp(a), 2.0)
    with pytest.raises(ValueError, match="two values"):
        convergence_slope(synthetic[:1])
    fig = pf_convergence_figure(df)
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert any("slope" in (t.name or "") for t in fig.data)


def test_size_sliders_move_their_own_traces():
    df = fig7("quick", rnn=False)
    rnn = df.copy()
    rnn["kind"] = "rnn"
    fig = size_sliders(pd.concat([df, rnn]))
    assert len(fig.layout.sliders) == 2
    pf_steps, rnn_steps = (s.steps for s in fig.layout.sliders)
    assert [s.label for s in pf_steps] == ["1", "5", "20"]
    pf_idx, rnn_idx = set(pf_steps[0].args[1]), set(rnn_steps[0].args[1])
    assert pf_idx.isdisjoint(rnn_idx)  # each slider restyles only its own traces
    assert sum(pf_steps[1].args[0]["visible"]) == 4  # band + line, two panels
    with pytest.raises(ValueError, match="agreement_t"):
        size_sliders(df[["kind", "d"]])


def test_static_figures():
    fig = pf_graphical_model(3)
    assert "RNN" in _alt(fig) and len(fig.layout.annotations) > 20
    with pytest.raises(ValueError, match="n_particles"):
        pf_graphical_model(9)
    with pytest.raises(ValueError, match="lacks"):
        fig7_panels(pd.DataFrame({"d": [1]}))
    with pytest.raises(ValueError, match="lacks"):
        convergence_loglog(pd.DataFrame({"M": [1]}))


def test_time_slider_and_trace():
    from probrnn.widgets.particle_filters import particle_trace

    G, W, H, obs, states, fwd = particle_trace(12, seed=3)
    assert G.shape == W.shape == H.shape == (8, 12) and np.allclose(W.sum(1), 1)
    pf = particle_filter(experiment_hmm(0), obs, 12, rng=3)
    assert np.array_equal(H, pf.particles)
    fig = particle_time_slider(G, W, H, obs, states, fwd)
    steps = fig.layout.sliders[0].steps
    assert len(steps) == 3 * 8
    shown = [sum(s.args[0]["visible"]) for s in steps]
    assert shown == sorted(shown) and shown[-1] == len(fig.data)  # phases revealed in order
    with pytest.raises(ValueError, match="T, M"):
        particle_time_slider(G, W[:, :3], H, obs)


def test_belief_comparison_and_live_pieces(capsys, monkeypatch):
    monkeypatch.setenv("PROBRNN_STATIC", "0")  # a reader's session: build the live widgets
    res = compare_one(M=10, k=2, seed=1, n_train=200, n_test=40, max_steps=20)
    assert list(res["metrics"].method)[0] == "forward"
    assert res["metrics"].loc[0, "agreement"] == 1.0 and res["metrics"].loc[0, "mean_tv"] == 0
    fig = belief_comparison({"a": res["forward"][0], "b": res["pf"][0]}, res["states"][0],
                            res["obs"][0])
    assert len(fig.data) == 4
    with pytest.raises(ValueError, match="shape"):
        belief_comparison({"a": res["forward"][0], "b": res["pf"][0][:, :2]})
    from probrnn.widgets.particle_filters import pf_rnn_explorer

    box = pf_rnn_explorer()
    assert len(box.children) == 3
    controls, run = box.children[0].children, box.children[1].children[1]
    controls[0].value, controls[1].value = 5, 1  # M = 5 particles, k = 1 unit: quick
    run.click()  # runs the comparison; without a frontend the output goes to stdout
    shown = capsys.readouterr().out
    assert "particle filter, M = 5" in shown and "RNN, k = 1" in shown


def test_training_pools_are_nested():
    from probrnn.experiments.particle_filters import training_pool

    hmm = experiment_hmm(0)
    s1, o1 = training_pool(hmm, 0, rep=1, n_train=300)
    s2, o2 = training_pool(hmm, 0, rep=1, n_train=25000)
    assert o2.shape == (25000, 8) and np.array_equal(o1, o2[:300]) and np.array_equal(s1, s2[:300])
    _, other = training_pool(hmm, 0, rep=2, n_train=300)
    assert not np.array_equal(o1, other)


def test_live_trace_replays_the_posterior_panels_particles():
    """The widget's particle slider shows the particles of the very sequence (and HMM) whose
    posteriors it draws above it."""
    from probrnn.widgets.particle_filters import particle_trace

    res = compare_one(M=15, k=1, seed=7, n_train=200, n_test=30, max_steps=10)
    G, W, H, obs, states, fwd = particle_trace(15, res["pf_seed"], hmm=res["hmm"],
                                               obs=res["obs"][0], states=res["states"][0])
    pf = particle_filter(res["hmm"], res["obs"], 15, rng=res["pf_seed"])
    assert np.array_equal(H, pf.particles[0]) and np.allclose(fwd, res["forward"][0])
