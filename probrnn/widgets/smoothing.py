"""Live control for the chapter *Smoothing, and bidirectional RNNs* (Jupyter, Binder, Colab; the
static book shows a slider over precomputed results instead). It only wires controls to
:func:`probrnn.experiments.smoothing.train_bi_and_uni` and the figures of
:mod:`probrnn.figures.smoothing`."""

from __future__ import annotations

from ..experiments.smoothing import train_bi_and_uni
from ..figures.smoothing import true_state_probability
from .live import (
    LABEL_STYLE,
    live_box,
    live_controls_enabled,
    seed_run_output,
    static_placeholder,
)

M_OPTIONS = (2, 3, 4, 6, 8)
K_OPTIONS = (1, 2, 4, 8, 16, 32)
N_OPTIONS = (100, 300, 1000, 3000)


def smoothing_explorer():
    """Sliders for m (hidden states), k (hidden units), n (training sequences) and the seed,
    and a Run button: trains a bidirectional and a one-directional RNN with k units on n
    sequences of the chapter's HMM with m states (a few seconds; the cap is lowered to 1,500
    steps), then shows both against the smoother and the filter, and the probability each gives
    the true state along one test sequence."""
    if not live_controls_enabled():
        return static_placeholder()
    import ipywidgets as w
    from IPython.display import clear_output, display

    m = w.SelectionSlider(options=M_OPTIONS, value=4, description="states m", style=LABEL_STYLE)
    k = w.SelectionSlider(options=K_OPTIONS, value=8, description="hidden units k",
                          style=LABEL_STYLE)
    n = w.SelectionSlider(options=N_OPTIONS, value=1000, description="sequences n",
                          style=LABEL_STYLE)
    seed, run, out = seed_run_output()

    def redraw(*_):
        with out:
            clear_output(wait=True)
            print(f"training two RNNs with k = {k.value} on n = {n.value} sequences, "
                  f"m = {m.value} ...")
            res = train_bi_and_uni(m.value, k.value, n.value, seed=seed.value)
            clear_output(wait=True)
            cols = ["accuracy", "accuracy_ref", "accuracy_filter", "agreement_off_ties",
                    "mean_tv", "mean_tv_filter", "steps", "hit_cap"]
            display(res["metrics"][cols].round(3))
            i = 0
            display(true_state_probability(
                {"smoother": res["smoothed"][i], "filter": res["filtered"][i],
                 "bidirectional RNN": res["proba"]["bi"][i],
                 "one-directional RNN": res["proba"]["uni"][i]},
                res["states"][i], res["obs"][i]))

    run.on_click(redraw)
    return live_box([w.HBox([m, k]), w.HBox([n, seed, run]), out])
