"""Live control for the chapter *RNNs as approximations of the forward algorithm*.

:func:`rnn_forward_explorer` wires three controls (m hidden states, k hidden units, n training
sequences) to :func:`probrnn.experiments.forward_rnn.train_and_compare` and redraws
:func:`probrnn.figures.forward_rnn.rnn_vs_forward`. It needs a kernel (Jupyter, Binder,
Colab); the static book shows the precomputed plotly figures instead.
"""

from __future__ import annotations

from ..experiments.common import derive_seed
from ..experiments.rnn_forward import train_and_compare
from ..figures.rnn_forward import rnn_vs_forward
from ..hmm import HMM
from .live import (
    LABEL_STYLE,
    button_layout,
    live_box,
    live_controls_enabled,
    static_placeholder,
)


def rnn_forward_explorer(seed: int = 0, n_test: int = 1000, max_steps: int = 600,
                         ms=(2, 3, 4, 6, 8), ks=(1, 2, 4, 8, 16, 32),
                         ns=(100, 300, 1000, 3000, 10000)):
    """Controls over (m, k, n); "train" samples an HMM (Dirichlet(1), 3 symbols) for m, trains
    a k-unit tanh RNN on n sequences (a few seconds) and draws it against the forward algorithm.
    """
    if not live_controls_enabled():
        return static_placeholder()
    import ipywidgets as w
    from IPython.display import display

    m = w.Dropdown(options=list(ms), value=ms[0], description="m states", style=LABEL_STYLE,
                   layout=w.Layout(width="max-content"))
    k = w.SelectionSlider(options=list(ks), value=ks[0], description="k units",
                          style=LABEL_STYLE)
    n = w.SelectionSlider(options=list(ns), value=ns[2], description="n train",
                          style=LABEL_STYLE)
    button = w.Button(description="train and compare", button_style="primary",
                      layout=button_layout())
    status = w.HTML()
    out = w.Output()

    def run(_=None):
        button.disabled = True
        status.value = f"training a k = {k.value} RNN on n = {n.value} sequences ..."
        hmm = HMM.random(m.value, 3, rng=derive_seed(seed, 8, m.value))
        res = train_and_compare(hmm, k.value, n.value, seed=seed, n_test=n_test,
                                max_steps=max_steps)
        fig = rnn_vs_forward(res["filtered"], res["proba"], res["metrics"],
                             title=f"m = {m.value}, k = {k.value}, n = {n.value}")
        with out:
            out.clear_output(wait=True)
            display(fig)
        rec = res["history"].record()
        status.value = (f"trained in {rec['train_seconds']:.1f} s, {rec['steps']} steps "
                        f"(stopped: {rec['stop']})")
        button.disabled = False

    button.on_click(run)
    run()
    controls = w.HBox([m, k, n, button], layout=w.Layout(flex_flow="row wrap"))
    return live_box([controls, status, out])
