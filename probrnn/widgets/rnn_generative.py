"""Live controls for the chapter *RNNs as generative models and as graphical models*.

They only wire ipywidgets to package functions (:func:`probrnn.experiments.predictive.live_point`
and the figures of :mod:`probrnn.figures.generative`); they need a running kernel (Jupyter,
Binder, Colab). The static book shows the precomputed plotly figures instead.
"""

from __future__ import annotations

from .live import (
    LABEL_STYLE,
    button_layout,
    live_box,
    live_controls_enabled,
    static_placeholder,
)


def predictive_widget(seed: int = 0):
    """Sliders over m (HMM states), k (RNN units) and n (training sequences) and a button that
    trains an RNN and a Baum-Welch HMM on fresh sticky-HMM data and plots their excess
    cross-entropy over the true forward algorithm."""
    if not live_controls_enabled():
        return static_placeholder()
    import ipywidgets as w
    from IPython.display import display

    from ..experiments.rnn_generative import live_point
    from ..figures.rnn_generative import comparison_bars

    style = LABEL_STYLE
    m = w.SelectionSlider(options=[2, 4, 8, 16, 32], value=4, description="HMM states m",
                          style=style)
    k = w.SelectionSlider(options=[2, 4, 8, 16, 32, 64], value=16, description="RNN units k",
                          style=style)
    n = w.SelectionSlider(options=[30, 100, 300, 1000], value=300,
                          description="training sequences n", style=style)
    button = w.Button(description="train and compare", button_style="primary",
                      layout=button_layout())
    out = w.Output()

    def run(_):
        out.clear_output(wait=True)
        with out:
            print(f"training on m={m.value}, k={k.value}, n={n.value} ...")
            rows = live_point(m.value, k.value, n.value, seed=seed)
            out.clear_output(wait=True)
            gap = float((rows["ce_memoryless"] - rows["ce_optimal"]).iloc[0])
            title = (f"m = {m.value}, k = {k.value}, n = {n.value}: excess over the optimum "
                     f"(ignoring the past costs {gap:.3f})")
            display(comparison_bars(rows, title=title))

    button.on_click(run)
    controls = w.HBox([m, k, n], layout=w.Layout(flex_flow="row wrap"))
    return live_box([controls, button, out])
