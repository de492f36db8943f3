"""Distances between 1-D posteriors on a common grid: how far a particle filter is from exact.

Chapter *Continuous states* (issue 14). The grid filter gives p(x_t | y_1..t) as masses on grid
points; a particle filter gives weighted samples. To compare them, put both on one grid:

* :func:`bin_onto_grid` spreads each sample's weight over the two grid points around it in
  proportion to closeness (linear, "cloud-in-cell" binning), which keeps the total mass and,
  inside the grid, the mean; samples beyond the ends go to the end points.
* :func:`wasserstein1` is the earth mover's distance, W1(p, q) = integral |F_p - F_q| dx, with
  F the cumulative masses: in the units of x, and meaningful however fine the grid, because
  moving mass a short way costs little.
* :func:`total_variation` is (1/2) sum_j |p_j - q_j|, in [0, 1]. It ignores how far mass moves,
  so it depends on the grid: M particles binned onto a grid much finer than their spacing
  stay far from any smooth posterior in TV. Compare TVs only on the same (coarse) grid.

All three are batched over any leading axes, e.g. (n, T, G) posteriors.
"""

from __future__ import annotations

import numpy as np

from ..validate import check_float_array
from .grid_filter import check_grid


def bin_onto_grid(samples, grid, weights=None) -> np.ndarray:
    """Linear binning of weighted samples onto grid points.

    Args:
        samples: (..., M) sample positions.
        grid: (G,) strictly increasing points.
        weights: (..., M) non-negative weights (e.g. ``exp(log_weights)``); default equal
            weights 1 / M. Each row is normalised to sum to 1.

    Returns:
        (..., G) masses on the grid points, summing to 1 over the last axis.
    """
    x = check_float_array(samples, "samples")
    z = check_grid(grid)
    if weights is None:
        w = np.full(x.shape, 1.0 / x.shape[-1])
    else:
        w = check_float_array(weights, "weights")
        if w.shape != x.shape:
            raise ValueError(f"weights must have the shape of samples {x.shape}; got {w.shape}")
        if (w < 0).any():
            raise ValueError("weights must be non-negative")
        total = w.sum(axis=-1, keepdims=True)
        if (total <= 0).any():
            raise ValueError("weights must not be all zero in a row")
        w = w / total
    G = z.shape[0]
    xc = np.clip(x, z[0], z[-1])
    right = np.clip(np.searchsorted(z, xc, side="right"), 1, G - 1)  # z[right-1] <= x < z[right]
    left = right - 1
    frac = (xc - z[left]) / (z[right] - z[left])  # in [0, 1]
    lead = x.shape[:-1]
    rows = int(np.prod(lead, dtype=np.int64))
    offset = (np.arange(rows, dtype=np.int64) * G).reshape(lead + (1,))
    out = np.bincount((left + offset).ravel(), (w * (1 - frac)).ravel(), minlength=rows * G)
    out += np.bincount((right + offset).ravel(), (w * frac).ravel(), minlength=rows * G)
    return out.reshape(lead + (G,))


def _pair(p, q):
    p = check_float_array(p, "p")
    q = check_float_array(q, "q")
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(f"p and q must be on the same grid (last axes {p.shape[-1]} and "
                         f"{q.shape[-1]})")
    return p, q


def wasserstein1(p, q, grid) -> np.ndarray:
    """W1 between masses p and q on the same grid: (..., G), (..., G), (G,) -> (...).

    sum_k |F_p(z_k) - F_q(z_k)| (z_{k+1} - z_k), F the cumulative sums; exact for
    distributions supported on the grid points (scipy.stats.wasserstein_distance agrees).
    """
    p, q = _pair(p, q)
    z = check_grid(grid)
    if p.shape[-1] != z.shape[0]:
        raise ValueError(f"p and q must have one mass per grid point (G = {z.shape[0]}); got "
                         f"{p.shape[-1]}")
    gap = np.cumsum(p, axis=-1) - np.cumsum(q, axis=-1)
    return np.abs(gap[..., :-1]) @ np.diff(z)


def total_variation(p, q) -> np.ndarray:
    """(1/2) sum_j |p_j - q_j| over the last axis: (..., G), (..., G) -> (...)."""
    p, q = _pair(p, q)
    return 0.5 * np.abs(p - q).sum(axis=-1)


__all__ = ["bin_onto_grid", "wasserstein1", "total_variation"]
