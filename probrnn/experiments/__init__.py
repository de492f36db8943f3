"""Experiments of the book, each returning a tidy ``pandas.DataFrame`` (one row per trained model
or run, with its seed and every measured quantity).

Each experiment takes ``scale="quick"`` (seconds: tests and live widgets) or ``scale="paper"``
(the paper's sizes). ``python -m probrnn reproduce NAME --scale paper --out DIR`` writes the table
(CSV) and the figure (standalone HTML) of each; :data:`REGISTRY` lists them.

=============  ===========================================  ==========================
name           what                                          chapter
=============  ===========================================  ==========================
fig5           k-unit RNNs vs the forward algorithm, m = 2   RNNs and the forward alg.
fig6           fixed RNN size, m = 2 .. 512                  RNNs and the forward alg.
fig7           RNNs vs particle filters at equal size        particle filters
predictive     next-symbol prediction: RNN vs Baum-Welch     RNNs as generative models
=============  ===========================================  ==========================
"""

from __future__ import annotations

import importlib

# name -> (module, table function, figure function): the figure function maps the table to a
# plotly Figure.
REGISTRY = {
    "fig5": ("probrnn.experiments.forward_rnn", "fig5", "fig5_figure"),
    "fig6": ("probrnn.experiments.forward_rnn", "fig6", "fig6_figure"),
    "fig7": ("probrnn.experiments.particles", "fig7", "fig7_figure"),
    "pf_convergence": ("probrnn.experiments.particles", "pf_convergence", "pf_convergence_figure"),
    "predictive": ("probrnn.experiments.predictive", "predictive", "predictive_figure"),
}


def _resolve(name: str, which: int):
    if name not in REGISTRY:
        raise ValueError(f"unknown experiment {name!r}: choose one of {sorted(REGISTRY)}")
    module = importlib.import_module(REGISTRY[name][0])
    return getattr(module, REGISTRY[name][which])


def table_function(name: str):
    """The function computing experiment ``name``'s table."""
    return _resolve(name, 1)


def figure_function(name: str):
    """The function drawing experiment ``name``'s table as a plotly Figure."""
    return _resolve(name, 2)


def fig5(scale="quick", **kwargs):
    """Figure 5 of the paper; see :func:`probrnn.experiments.forward_rnn.fig5`."""
    return table_function("fig5")(scale=scale, **kwargs)


def fig6(scale="quick", **kwargs):
    """Figure 6 of the paper; see :func:`probrnn.experiments.forward_rnn.fig6`."""
    return table_function("fig6")(scale=scale, **kwargs)


def fig7(scale="quick", **kwargs):
    """Figure 7 of the paper; see :func:`probrnn.experiments.particles.fig7`."""
    return table_function("fig7")(scale=scale, **kwargs)


def predictive(scale="quick", **kwargs):
    """Next-symbol prediction; see :func:`probrnn.experiments.predictive.predictive`."""
    return table_function("predictive")(scale=scale, **kwargs)


__all__ = ["REGISTRY", "fig5", "fig6", "fig7", "predictive", "table_function", "figure_function"]
