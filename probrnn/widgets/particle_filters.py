"""Live controls for the particle-filter chapter (Jupyter, Binder, Colab; the static book shows
plotly sliders over precomputed results instead). Widgets only wire controls to package
functions: :func:`probrnn.experiments.particles.compare_one` and the figures of
:mod:`probrnn.figures.particles`."""

from __future__ import annotations

import numpy as np

from ..experiments.particle_filters import compare_one, experiment_hmm
from ..figures.particle_filters import belief_comparison, particle_time_slider
from ..particle_filter import ParticleFilterRNN
from ..validate import check_int, check_seed
from .live import (
    LABEL_STYLE,
    live_box,
    live_controls_enabled,
    seed_run_output,
    static_placeholder,
)

M_OPTIONS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
K_OPTIONS = (1, 2, 5, 10, 20, 50)


def particle_trace(M: int, seed: int, sequence: int = 0, T: int = 8, hmm=None, obs=None,
                   states=None):
    """(proposed, weights, resampled (T, M), obs, states (T,), forward (T, m)) for one sequence,
    stepped through :class:`ParticleFilterRNN` with ``seed``.

    By default the sequence is drawn from the chapter's HMM with ``seed``; with ``hmm``, ``obs``
    and ``states`` (one (T,) sequence each) it is that sequence, filtered as row 0 of a batch
    filtered with ``seed`` (the particles :func:`probrnn.particle_filter` gives its first row).
    """
    M, seed = check_int(M, "M", minimum=1), check_seed(seed)
    if obs is None:
        sequence = check_int(sequence, "sequence", minimum=0)
        T = check_int(T, "T (sequence length)", minimum=1)
        hmm = experiment_hmm(0)
        states, obs = hmm.sample(sequence + 1, T, rng=seed)
        states, obs = states[sequence], obs[sequence]
    elif hmm is None or states is None:
        raise ValueError("pass hmm, obs and states together (one sequence), or none of them")
    rnn = ParticleFilterRNN(hmm, M)
    h = rnn.initial_state(seed)
    G, W, H = [], [], []
    for x in obs:
        step = rnn.step(h, x)
        G.append(step.proposed)
        W.append(step.weights)
        H.append(step.h[3:])
        h = step.h
    return np.array(G), np.array(W), np.array(H), obs, states, hmm.filter(obs)


def pf_rnn_explorer():
    """Sliders for M (particles), k (RNN hidden units) and the seed, and a Run button.

    Shows the test-set accuracy / agreement / TV of the forward algorithm, a particle filter
    with M particles and an RNN with k units (trained for a few seconds, cached per (k, seed)),
    their posteriors on one sequence, and that sequence's particles step by step (M <= 200).
    """
    if not live_controls_enabled():
        return static_placeholder()
    import ipywidgets as w
    from IPython.display import clear_output, display

    M = w.SelectionSlider(options=M_OPTIONS, value=20, description="particles M",
                          style=LABEL_STYLE)
    k = w.SelectionSlider(options=K_OPTIONS, value=5, description="hidden units k",
                          style=LABEL_STYLE)
    seed, run, out = seed_run_output()

    def redraw(*_):
        with out:
            clear_output(wait=True)
            print(f"training an RNN with k = {k.value} and filtering with M = {M.value} ...")
            res = compare_one(M.value, k.value, seed=seed.value)
            clear_output(wait=True)
            display(res["metrics"].round(3))
            i = 0
            display(belief_comparison({"forward algorithm": res["forward"][i],
                                       f"particle filter, M = {M.value}": res["pf"][i],
                                       f"RNN, k = {k.value}": res["rnn"][i]},
                                      res["states"][i], res["obs"][i]))
            if M.value <= 200:  # the same sequence and particles as the panel above
                G, W, H, obs, states, fwd = particle_trace(
                    M.value, res["pf_seed"], hmm=res["hmm"], obs=res["obs"][i],
                    states=res["states"][i])
                assert np.allclose(fwd, res["forward"][i])
                display(particle_time_slider(G, W, H, obs, states, fwd))

    run.on_click(redraw)
    return live_box([w.HBox([M, k]), w.HBox([seed, run]), out])
