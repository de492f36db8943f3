"""Live controls for the HMM chapter (Jupyter, Binder, Colab; the static book shows the plotly
slider version instead). Widgets only wire controls to package functions."""

from __future__ import annotations

from ..figures.hmm_forward import belief_trajectories
from ..hmm import HMM
from ..validate import MAX_SEED, check_seed
from .live import LABEL_STYLE, live_box, live_controls_enabled, static_placeholder


def belief_run(m: int, n_symbols: int, T: int, seed: int):
    """(states (T,), obs (T,), filtered (T, m)) for one sequence of a random HMM."""
    seed = check_seed(seed)
    hmm = HMM.random(m, n_symbols, rng=seed)
    states, obs = hmm.sample(1, T, rng=(seed + 1) % (MAX_SEED + 1))
    return states[0], obs[0], hmm.filter(obs[0])


def belief_explorer(T: int = 30):
    """Sliders for m, the number of symbols and the seed, redrawing the belief heatmap."""
    if not live_controls_enabled():
        return static_placeholder()
    import ipywidgets as w
    from IPython.display import clear_output, display

    m = w.IntSlider(value=4, min=1, max=64, description="states m", style=LABEL_STYLE)
    K = w.IntSlider(value=3, min=1, max=20, description="symbols K", style=LABEL_STYLE)
    seed = w.IntText(value=0, description="seed", style=LABEL_STYLE,
                     layout=w.Layout(width="10em"))
    out = w.Output()

    def redraw(*_):
        with out:
            clear_output(wait=True)
            fig = belief_trajectories({m.value: belief_run(m.value, K.value, T, seed.value)})
            fig.update_layout(sliders=[])
            display(fig)

    for control in (m, K, seed):
        control.observe(redraw, names="value")
    redraw()
    return live_box([w.HBox([m, K, seed]), out])
