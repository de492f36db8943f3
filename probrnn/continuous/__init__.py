"""Continuous states: the Kalman filter, the grid filter and the particle filter for real-valued
hidden states (issue 14; the chapter *Continuous states* follows chapter 4).

==================  ==========================================================================
module              what
==================  ==========================================================================
``lgssm``           :class:`LinearGaussianSSM`, x_t = A x_{t-1} + w, y_t = C x_t + v; sampling
``kalman``          :func:`kalman_filter` (batched, Joseph form), the steady-state gain and the
                    steady-state filter as a linear RNN h_t = U h_{t-1} + W y_t
``scalar``          :class:`ScalarSSM`, the 1-D models the grid and particle filters take;
                    :class:`ScalarLinearSSM`, the 1-D linear-Gaussian one
``nonlinear``       :class:`GrowthModel`, Kitagawa's univariate growth model
``grid_filter``     :func:`grid_filter`, exact up to the grid: the forward algorithm on G points
``bootstrap``       :func:`bootstrap_filter`, chapter 4's bootstrap filter for a 1-D real state
``distances``       binning onto a grid, Wasserstein-1 and total variation between posteriors
==================  ==========================================================================
"""

from .bootstrap import ContinuousPFResult, bootstrap_filter
from .distances import bin_onto_grid, total_variation, wasserstein1
from .grid_filter import GridResult, grid_filter
from .kalman import (
    KalmanResult,
    kalman_filter,
    steady_state_filter,
    steady_state_gain,
    steady_state_rnn_weights,
)
from .lgssm import LinearGaussianSSM
from .nonlinear import GrowthModel
from .scalar import ScalarLinearSSM, ScalarSSM, as_scalar

__all__ = [
    "LinearGaussianSSM",
    "KalmanResult",
    "kalman_filter",
    "steady_state_gain",
    "steady_state_rnn_weights",
    "steady_state_filter",
    "ScalarSSM",
    "ScalarLinearSSM",
    "as_scalar",
    "GrowthModel",
    "GridResult",
    "grid_filter",
    "ContinuousPFResult",
    "bootstrap_filter",
    "bin_onto_grid",
    "wasserstein1",
    "total_variation",
]
