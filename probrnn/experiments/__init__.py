"""Experiments of the book, each returning a tidy ``pandas.DataFrame`` (one row per trained model
or run, with its seeds, its training record and every measured quantity).

One file per chapter, with the same names as :mod:`probrnn.figures` and :mod:`probrnn.widgets`;
:mod:`~probrnn.experiments.common` holds what they share (seeds, scales, committed results).
Each experiment takes ``scale="quick"`` (seconds: tests and live controls) or ``scale="paper"``
(the paper's sizes). ``python -m probrnn reproduce NAME --scale paper --out DIR`` writes the table
(CSV), the figure (standalone HTML) and a record of the run (JSON) of each; :data:`REGISTRY`
lists them.

==============  ==============================================  ================================
name            what                                            chapter (module)
==============  ==============================================  ================================
fig5            k-unit RNNs vs the forward algorithm, m = 2     3 (``rnn_forward``)
fig6            fixed RNN sizes, m = 2 .. 512                    3 (``rnn_forward``)
lr_check        the learning-rate rule against a grid           3 (``rnn_forward``)
fig7            RNNs vs particle filters at equal size          4 (``particle_filters``)
pf_convergence  the particle filter's error against M           4 (``particle_filters``)
predictive      next-symbol prediction: RNN vs Baum-Welch       2 (``rnn_generative``)
smoothing       bidirectional RNNs vs forward-backward          5 (``smoothing``)
kalman_rnn      linear RNNs vs the steady-state Kalman filter   6 (``continuous``)
continuous      tanh RNNs vs particle filters, growth model     6 (``continuous``)
==============  ==============================================  ================================
"""

from __future__ import annotations

from .continuous import continuous, continuous_figure, kalman_rnn, kalman_rnn_figure
from .particle_filters import fig7, fig7_figure, pf_convergence, pf_convergence_figure
from .rnn_forward import fig5, fig5_figure, fig6, fig6_figure, lr_check, lr_check_figure
from .rnn_generative import predictive, predictive_figure
from .smoothing import smoothing, smoothing_figure

# name -> (table function, figure function): the figure function maps the table to a plotly
# Figure.
REGISTRY = {
    "fig5": (fig5, fig5_figure),
    "fig6": (fig6, fig6_figure),
    "lr_check": (lr_check, lr_check_figure),
    "fig7": (fig7, fig7_figure),
    "pf_convergence": (pf_convergence, pf_convergence_figure),
    "predictive": (predictive, predictive_figure),
    "smoothing": (smoothing, smoothing_figure),
    "kalman_rnn": (kalman_rnn, kalman_rnn_figure),
    "continuous": (continuous, continuous_figure),
}

__all__ = ["REGISTRY", "fig5", "fig6", "lr_check", "fig7", "pf_convergence", "predictive",
           "smoothing", "kalman_rnn", "continuous"]
