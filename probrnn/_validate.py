"""Validation at the boundary: every public constructor and method checks its inputs here once,
with messages that name the fault; inner loops trust what they are given."""

from __future__ import annotations

import numbers

import numpy as np

ROW_SUM_ATOL = 1e-6


def as_rng(rng) -> np.random.Generator:
    """An explicit numpy Generator from an int seed, a Generator, or None (fresh entropy)."""
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    if isinstance(rng, (bool, np.bool_)):
        raise ValueError(f"rng must be an int seed, a numpy.random.Generator or None (got {rng!r})")
    if isinstance(rng, numbers.Integral):
        if int(rng) < 0:
            raise ValueError(f"rng seed must be a non-negative integer (got {int(rng)})")
        return np.random.default_rng(int(rng))
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    raise ValueError(
        "rng must be an int seed, a numpy.random.Generator or None "
        f"(got {type(rng).__name__}: {rng!r})"
    )


def check_int(value, name: str, minimum: int | None = None) -> int:
    """An integer (Python or numpy, not bool, not a float) that is at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer (got {type(value).__name__}: {value!r})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum} (got {value})")
    return value


def _as_float_array(x, name: str, ndim: int) -> np.ndarray:
    try:
        arr = np.array(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a numeric array ({err})") from None
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D (got shape {arr.shape})")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.argwhere(bad)[:5].tolist()
        raise ValueError(f"{name} has NaN or infinite entries at {where}")
    neg = arr < 0
    if neg.any():
        where = np.argwhere(neg)[:5].tolist()
        raise ValueError(f"{name} has negative entries at {where} (probabilities must be >= 0)")
    return arr


def check_prob_vector(x, name: str) -> np.ndarray:
    """A 1-D float64 probability vector, checked finite, non-negative, summing to 1."""
    arr = _as_float_array(x, name, 1)
    total = arr.sum()
    if abs(total - 1.0) > ROW_SUM_ATOL:
        raise ValueError(f"{name} must sum to 1 (got a sum of {total:.10g})")
    return arr


def check_stochastic_matrix(x, name: str) -> np.ndarray:
    """A 2-D float64 matrix whose rows are probability vectors."""
    arr = _as_float_array(x, name, 2)
    sums = arr.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > ROW_SUM_ATOL)
    if bad.size:
        shown = ", ".join(f"row {i}: {sums[i]:.10g}" for i in bad[:5])
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        raise ValueError(f"rows of {name} must sum to 1 (got row sums of {shown}{more})")
    return arr


def check_obs(obs, n_symbols: int, name: str = "obs") -> tuple[np.ndarray, bool]:
    """Observation symbols as an int64 array of shape (n, T).

    Accepts (T,) for a single sequence (then the second return value is True) or (n, T).
    Rejects ragged input, empty input, non-integer values and symbols outside [0, n_symbols).
    """
    if isinstance(obs, (list, tuple)) and obs and isinstance(obs[0], (list, tuple, np.ndarray)):
        lengths = {len(row) for row in obs}
        if len(lengths) > 1:
            raise ValueError(
                f"{name} holds sequences of different lengths {sorted(lengths)}; pass sequences of "
                "one length T as an (n, T) array (or call once per length)"
            )
    try:
        arr = np.asarray(obs)
    except ValueError as err:
        raise ValueError(f"{name} must be a rectangular array of symbols ({err})") from None
    if arr.dtype == object:
        raise ValueError(f"{name} must be a rectangular array of integer symbols (got dtype object)")
    if arr.dtype.kind in "USV":
        raise ValueError(f"{name} must hold integer symbols (got dtype {arr.dtype})")
    single = arr.ndim == 1
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must have shape (T,) or (n, T) (got shape {arr.shape})")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); need at least one symbol")
    if arr.dtype == bool:
        arr = arr.astype(np.int64)
    elif np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            bad = arr[~(np.isfinite(arr) & (arr == np.round(arr)))]
            raise ValueError(f"{name} must hold integer symbols (got non-integer values {bad[:5]})")
        arr = arr.astype(np.int64)
    elif not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer symbols (got dtype {arr.dtype})")
    arr = arr.astype(np.int64, copy=False)
    check_index_range(arr, n_symbols, name, what="symbols", bound=str(n_symbols))
    if single:
        arr = arr[None, :]
    return np.ascontiguousarray(arr), single


def check_index_range(arr: np.ndarray, upper: int, name: str, what: str, bound: str) -> None:
    """Raise a ValueError naming the values of integer ``arr`` outside [0, upper) and the first
    index where one occurs, e.g. "obs has symbols outside [0, 3): [3] (first at index [0, 2])"."""
    out = (arr < 0) | (arr >= upper)
    if out.any():
        pos = np.argwhere(out)[0].tolist()
        raise ValueError(
            f"{name} has {what} outside [0, {bound}): {np.unique(arr[out])[:5].tolist()} "
            f"(first at index {pos})"
        )
