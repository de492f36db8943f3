"""The RNN as a graphical model M(G; alpha, beta) (chapter 2, the paper's 3.1).

* :mod:`~probrnn.graphical.model`: :class:`RNNGraphicalModel` (point-mass transitions) and
  :class:`NoisyRNNGraphicalModel` (Gaussian ones), sampled ancestrally and queried for
  P(X_{t+1} | prefix) by Monte Carlo or enumeration.
* :mod:`~probrnn.graphical.checks`: Theorem 5 and Proposition 4, checked numerically.
"""

from .checks import FutureDependence, all_prefixes, future_dependence, sample_future, theorem5_table
from .model import MonteCarloEstimate, NoisyRNNGraphicalModel, RNNGraphicalModel

__all__ = ["RNNGraphicalModel", "NoisyRNNGraphicalModel", "MonteCarloEstimate",
           "theorem5_table", "all_prefixes", "sample_future", "future_dependence",
           "FutureDependence"]
