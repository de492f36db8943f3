"""Draws by the inverse CDF: the one way the package turns uniforms into discrete samples.

Used by :meth:`probrnn.HMM.sample`, :meth:`probrnn.SequenceRNN.sample` and the graphical model
of chapter 2; the particle filter's exact, bit-for-bit version for many rows at once is
:func:`probrnn.particle_filter.resampling.count_at_most`.
"""

from __future__ import annotations

import numpy as np


def inverse_cdf(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the first entry of each row of ``cum`` (B, m) above ``u`` (B,): (B,) int64.

    ``cum`` holds cumulative probabilities (each row non-decreasing, ending near 1); the
    result is clipped to m - 1, so rounding in the last cumulative sum never gives m. A kernel
    of the samplers' loops: it trusts its inputs (numpy arrays of those shapes), which the
    public samplers have checked.
    """
    idx = (u[:, None] >= cum).sum(axis=1)
    return np.minimum(idx, cum.shape[1] - 1)
