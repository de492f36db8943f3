"""Figures of the book: pure functions from results to a plotly ``Figure``.

Each takes data (numpy arrays or tidy DataFrames) and returns a figure; none computes, trains or
draws random numbers. Widgets in :mod:`probrnn.widgets` only wire controls to them.
"""

from .beliefs import belief_trajectories

__all__ = ["belief_trajectories"]
