"""Live controls for the continuous-state chapter (Jupyter, Binder, Colab; the static book shows
plotly sliders over precomputed results instead). Widgets only wire controls to package
functions: :func:`probrnn.experiments.continuous.compare_one` and the figures of
:mod:`probrnn.figures.continuous`."""

from __future__ import annotations

from ..experiments.continuous import compare_one
from ..figures.continuous import posterior_trajectory
from .live import (
    LABEL_STYLE,
    live_box,
    live_controls_enabled,
    seed_run_output,
    static_placeholder,
)

M_OPTIONS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
K_OPTIONS = (1, 2, 5, 10, 20, 50)


def growth_explorer():
    """Sliders for M (particles), k (the RNN's hidden units) and the seed, and a Run button.

    Shows the test-set scores of the grid filter, a bootstrap filter with M particles and a
    tanh RNN with k units (trained for a few seconds by the training rule with a low cap), and
    one sequence's grid posterior with the three posterior means drawn over it.
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
            if res["history"].hit_cap:
                print("(the RNN stopped at the live cap of 400 steps: not converged)")
            display(res["scores"].round(3))
            i = 0
            display(posterior_trajectory(
                res["grid"].grid, res["grid"].weights[i], res["states"][i],
                {"grid filter mean": res["grid"].means[i],
                 f"particle filter, M = {M.value}": res["pf"].means[i],
                 f"RNN, k = {k.value}": res["rnn_means"][i]}))

    run.on_click(redraw)
    return live_box([w.HBox([M, k]), w.HBox([seed, run]), out])


__all__ = ["growth_explorer"]
