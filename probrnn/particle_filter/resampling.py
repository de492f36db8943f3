"""Resampling by the inverse CDF: the step that turns weighted particles into equally weighted ones.

Introduced in the chapter *Particle filters* (the paper's 2.3 and equations 1-2 of 3.3). Every
draw here is the inverse CDF of a discrete distribution evaluated at a given uniform ``u``: the
index ``#{k : c_k <= u}`` where ``c_0 <= c_1 <= ...`` are the cumulative probabilities. Two ways
of choosing the uniforms give the two schemes:

* **multinomial**: M independent uniforms, so the M draws are i.i.d. from the weights;
* **systematic**: one uniform ``v`` per row and the evenly spaced ``(j + v) / M``, j = 0..M-1, so
  each index k is drawn ``floor`` or ``ceil`` of ``M w_k`` times (less resampling noise).

The functions are pure: the uniforms come in as arguments. :func:`multinomial_resample` and
:func:`systematic_resample` are the textbook versions over particle *indices*, kept plain for
the chapter and as references in the tests, and check their inputs; the bootstrap filter uses
:func:`count_at_most`, :func:`cumulative_thresholds` and :func:`systematic_grid` directly on
the (few) hidden states, inside its loop over time, so those trust their inputs.
"""

from __future__ import annotations

import numpy as np

from ..validate import check_float_array

SCHEMES = ("multinomial", "systematic")

# Up to this many thresholds, a comparison per threshold beats a binary search.
_LINEAR_MAX = 15


def check_scheme(resampling) -> str:
    """The resampling scheme's name, or a ValueError listing the valid ones."""
    if not isinstance(resampling, str) or resampling not in SCHEMES:
        raise ValueError(f"unknown resampling scheme {resampling!r}: choose one of {list(SCHEMES)}")
    return resampling


def count_at_most(thresholds: np.ndarray, u: np.ndarray, rows: np.ndarray | None = None,
                  out: np.ndarray | None = None) -> np.ndarray:
    """``#{k : thresholds[row, k] <= u}`` for every entry of ``u``: the inverse CDF.

    Args:
        thresholds: (R, r) float64, each row non-decreasing (cumulative probabilities without
            their final 1).
        u: uniforms. If ``rows`` is None, ``u`` is (R, M) and row i of ``u`` is searched in row
            i of ``thresholds``; otherwise ``u`` has any shape and ``rows`` (same shape, int)
            names the row of ``thresholds`` for each entry.
        out: optional integer array shaped like ``u`` to write into (any integer dtype that
            holds r); by default a new int64 array.

    Returns:
        integer array shaped like ``u``, with values in [0, r].

    Exact (no rounding beyond the comparisons themselves), so any two code paths agree
    bit for bit: a comparison per threshold for small r, a branchless binary search for large r.
    """
    R, r = thresholds.shape
    if out is None:
        out = np.zeros(u.shape, dtype=np.int64)
    else:
        out[...] = 0
    if r == 0:
        return out
    if r <= _LINEAR_MAX:
        hit = np.empty(u.shape, dtype=bool)
        # Adding a bool array viewed as uint8 into a uint8 array avoids a cast per element.
        narrow = out.dtype == np.uint8
        for k in range(r):
            col = thresholds[:, k]
            np.greater_equal(u, col[:, None] if rows is None else np.take(col, rows), out=hit)
            if narrow:
                np.add(out, hit.view(np.uint8), out=out)
            else:
                out += hit
        return out
    width = 1 << int(r).bit_length()  # a power of two > r: pad with +inf, never <= u
    padded = np.full((R, width), np.inf)
    padded[:, :r] = thresholds
    flat = padded.ravel()
    base = np.arange(R, dtype=np.int64)[:, None] if rows is None else rows.astype(np.int64)
    base = base * width
    pos = np.zeros(u.shape, dtype=np.int64)
    step = width >> 1
    while step:
        cand = pos + step  # candidate count; accept if the cand-th threshold is <= u
        ok = np.take(flat, base + cand - 1) <= u
        pos = np.where(ok, cand, pos)
        step >>= 1
    out[...] = pos
    return out


def cumulative_thresholds(weights: np.ndarray) -> np.ndarray:
    """(..., m) non-negative weights -> (..., m - 1) inverse-CDF thresholds in [0, 1].

    The cumulative sums are divided by their last entry, so trailing zero weights give
    thresholds of exactly 1.0 (never reached by u < 1) and a zero weight anywhere gives a
    repeated threshold (an empty interval): an index of zero weight is never drawn.
    Rows whose weights are all zero must be handled by the caller.
    """
    cum = np.cumsum(weights, axis=-1)
    total = cum[..., -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        cum = cum / total
    return cum[..., :-1]


def systematic_grid(v: np.ndarray, n_particles: int) -> np.ndarray:
    """One uniform per row (n,) -> the evenly spaced points (n, M), ``(j + v) / M``."""
    j = np.arange(n_particles, dtype=np.float64)
    return (j[None, :] + v[:, None]) / n_particles


def multinomial_resample(weights, u) -> np.ndarray:
    """Ancestor indices a (n, M) of multinomial resampling, the paper's equation (2).

    ``weights`` (n, M) non-negative, not all zero in a row; ``u`` (n, M) uniforms in [0, 1).
    Each ancestor is the inverse CDF of the normalised weights at its own uniform.
    """
    w = _check_weights(weights)
    u = _check_uniforms(u, "u", w.shape)
    return count_at_most(cumulative_thresholds(w), u)


def systematic_resample(weights, v) -> np.ndarray:
    """Ancestor indices a (n, M) of systematic resampling: one uniform ``v`` (n,) per row."""
    w = _check_weights(weights)
    v = _check_uniforms(v, "v", w.shape[:1])
    return count_at_most(cumulative_thresholds(w), systematic_grid(v, w.shape[1]))


def _check_weights(weights) -> np.ndarray:
    """(n, M) finite non-negative weights with a positive one in every row, each row divided
    by its largest (the same distribution, and sums of weights near 1e308 cannot overflow)."""
    w = check_float_array(weights, "weights", 2)
    if (w < 0).any():
        raise ValueError(f"weights has negative entries at {np.argwhere(w < 0)[:5].tolist()}")
    top = w.max(axis=1, keepdims=True)
    if (top[:, 0] <= 0).any():
        rows = np.flatnonzero(top[:, 0] <= 0)[:5].tolist()
        raise ValueError(f"weights has rows that are all zero ({rows}): nothing to resample from")
    return w / top


def _check_uniforms(u, name: str, shape) -> np.ndarray:
    arr = check_float_array(u, name, len(shape))
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)} to match weights (got "
                         f"{arr.shape})")
    if ((arr < 0) | (arr >= 1)).any():
        raise ValueError(f"{name} must hold uniforms in [0, 1) (got values from {arr.min():.6g} "
                         f"to {arr.max():.6g})")
    return arr


__all__ = ["SCHEMES", "check_scheme", "count_at_most", "cumulative_thresholds", "systematic_grid",
           "multinomial_resample", "systematic_resample"]
