"""Validation at the boundary: every public function, class and command-line argument of the
package checks its inputs here, once, with messages that name the fault. Inner loops trust
what they are given.

The rules, whatever the entry point:

* integers must be integers (``3.0`` is refused, never truncated), and seeds non-negative;
* real numbers must be finite real numbers (no NaN, no infinity, no complex, no strings);
* arrays are converted from lists, tuples, numpy arrays or torch tensors; ragged, empty,
  complex, string or object arrays are refused;
* probability vectors and stochastic matrices must sum to 1 within ``ROW_SUM_ATOL`` and are
  then renormalised exactly, so no log-probability comes out above 0;
* grids (sizes, seeds, numbers of replicates) must be non-empty and hold valid integers.

Every check raises :class:`ValueError` (a subclass is never needed: the message says what).
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path

import numpy as np

ROW_SUM_ATOL = 1e-6
MAX_SEED = 2**63 - 1


# ---------------------------------------------------------------------------- scalars
def _describe(value) -> str:
    return f"{type(value).__name__}: {value!r}"


def check_int(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer (Python or numpy, not bool, not a float) in [minimum, maximum]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer (got {_describe(value)})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum} (got {value})")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum} (got {value})")
    return value


def check_seed(value, name: str = "seed") -> int:
    """A seed: an integer in [0, 2**63 - 1]. Floats are refused rather than truncated."""
    value = check_int(value, name)
    if not 0 <= value <= MAX_SEED:
        raise ValueError(f"{name} must be a non-negative integer below 2**63 (got {value})")
    return value


def check_real(value, name: str, minimum: float | None = None, maximum: float | None = None,
               *, low_open: bool = False, high_open: bool = False) -> float:
    """A finite real number (int or float, not bool, complex or a string) within the bounds.

    ``low_open``/``high_open`` make the bounds strict (``minimum < value``).
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number (got {_describe(value)})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite (got {value})")
    if minimum is not None and (value <= minimum if low_open else value < minimum):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {minimum} (got {value})")
    if maximum is not None and (value >= maximum if high_open else value > maximum):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {maximum} (got {value})")
    return value


def check_choice(value, name: str, choices) -> str:
    """One of ``choices`` (strings), or a ValueError listing them."""
    choices = list(choices)
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices} (got {value!r})")
    return value


def check_bool(value, name: str) -> bool:
    """True or False (numpy bools too); not 0/1 or strings."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False (got {_describe(value)})")
    return bool(value)


def check_int_grid(values, name: str, minimum: int | None = None, maximum: int | None = None
                   ) -> tuple[int, ...]:
    """A non-empty sequence of integers (each checked like :func:`check_int`), duplicates
    removed, order kept."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name} must be a non-empty sequence of integers (got "
                         f"{_describe(values)})")
    items = list(values)
    if not items:
        raise ValueError(f"{name} is empty: give at least one value")
    out = [check_int(v, f"{name}[{i}]", minimum, maximum) for i, v in enumerate(items)]
    return tuple(dict.fromkeys(out))


# ---------------------------------------------------------------------------- randomness
def as_rng(rng, name: str = "rng") -> np.random.Generator:
    """An explicit numpy Generator from a seed (non-negative int), a Generator, a
    SeedSequence or None (fresh entropy). Anything else is refused."""
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, numbers.Integral):
        raise ValueError(f"{name} must be a non-negative integer seed, a numpy.random.Generator "
                         f"or None (got {_describe(rng)})")
    return np.random.default_rng(check_seed(rng, f"{name} seed"))


# ---------------------------------------------------------------------------- arrays
def as_array(x, name: str, kind: str = "numbers"):
    """``x`` as a numpy array (lists, tuples, numpy arrays, torch tensors), refusing ragged
    nesting, strings, bytes, objects and complex numbers; ``kind`` names what it must hold."""
    if isinstance(x, (str, bytes)):
        raise ValueError(f"{name} must be an array of {kind} (got a string: {x!r})")
    if type(x).__module__.startswith("torch"):
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x)
    except ValueError as err:
        raise ValueError(f"{name} must be a rectangular array of {kind} ({err})") from None
    if arr.dtype == object:
        raise ValueError(f"{name} must be a rectangular array of {kind}: the rows have "
                         "different lengths or hold something else")
    if arr.dtype.kind in "USVaO":
        raise ValueError(f"{name} must hold {kind} (got dtype {arr.dtype})")
    if arr.dtype.kind == "c":
        raise ValueError(f"{name} must hold real {kind} (got complex dtype {arr.dtype})")
    return arr


def check_float_array(x, name: str, ndim: int | tuple[int, ...] | None = None,
                      allow_empty: bool = False) -> np.ndarray:
    """A finite float64 array of the given number(s) of dimensions (the input itself when it
    already is one: callers must not write into it)."""
    arr = np.asarray(as_array(x, name), dtype=np.float64)
    dims = (ndim,) if isinstance(ndim, int) else ndim
    if dims is not None and arr.ndim not in dims:
        want = " or ".join(f"{d}-D" for d in dims)
        raise ValueError(f"{name} must be {want} (got shape {arr.shape})")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.argwhere(bad)[:5].tolist()
        raise ValueError(f"{name} has NaN or infinite entries at {where}")
    return arr


def _nonnegative(arr: np.ndarray, name: str) -> None:
    neg = arr < 0
    if neg.any():
        where = np.argwhere(neg)[:5].tolist()
        raise ValueError(f"{name} has negative entries at {where} (probabilities must be >= 0)")


def check_prob_vector(x, name: str) -> np.ndarray:
    """A 1-D probability vector: finite, non-negative, summing to 1 within ROW_SUM_ATOL; the
    result is renormalised to sum to 1 in float64."""
    arr = check_float_array(x, name, 1)
    _nonnegative(arr, name)
    total = arr.sum()
    if abs(total - 1.0) > ROW_SUM_ATOL:
        raise ValueError(f"{name} must sum to 1 (got a sum of {total:.10g})")
    return arr / total


def check_stochastic_matrix(x, name: str) -> np.ndarray:
    """A 2-D matrix whose rows are probability vectors (renormalised exactly, like
    :func:`check_prob_vector`)."""
    arr = check_float_array(x, name, 2)
    _nonnegative(arr, name)
    sums = arr.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > ROW_SUM_ATOL)
    if bad.size:
        shown = ", ".join(f"row {i}: {sums[i]:.10g}" for i in bad[:5])
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        raise ValueError(f"rows of {name} must sum to 1 (got row sums of {shown}{more})")
    return arr / sums[:, None]


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


def _ragged_lengths(obs) -> set | None:
    if isinstance(obs, (list, tuple)) and obs and all(
            isinstance(row, (list, tuple, np.ndarray)) for row in obs):
        lengths = {len(row) for row in obs}
        return lengths if len(lengths) > 1 else None
    return None


def check_index_array(x, name: str, upper: int, what: str, bound: str | None = None,
                      ndims=(1, 2)) -> tuple[np.ndarray, bool]:
    """Integer indices (symbols, states) in [0, upper) as a C-contiguous int64 (n, T) array.

    Accepts (T,) for a single sequence (the second return value is then True) or (n, T).
    Floats are accepted only when every value is an integer; bools count as 0/1.
    """
    lengths = _ragged_lengths(x)
    if lengths:
        raise ValueError(
            f"{name} holds sequences of different lengths {sorted(lengths)}; pass sequences of "
            "one length T as an (n, T) array (or call once per length)")
    arr = as_array(x, name, f"integer {what}")
    if arr.ndim not in ndims:
        shapes = " or ".join({1: "(T,)", 2: "(n, T)"}.get(d, f"{d}-D") for d in ndims)
        raise ValueError(f"{name} must have shape {shapes} (got shape {arr.shape})")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); need at least one {what[:-1]}")
    if arr.dtype == bool:
        arr = arr.astype(np.int64)
    elif np.issubdtype(arr.dtype, np.floating):
        ok = np.isfinite(arr) & (arr == np.round(arr))
        if not ok.all():
            raise ValueError(f"{name} must hold integer {what} (got non-integer values "
                             f"{arr[~ok][:5].tolist()})")
    elif not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer {what} (got dtype {arr.dtype})")
    if np.issubdtype(arr.dtype, np.unsignedinteger) and arr.size and arr.max() > np.iinfo(
            np.int64).max:
        raise ValueError(f"{name} has {what} outside [0, {bound or upper})")
    arr = arr.astype(np.int64)
    check_index_range(arr, upper, name, what=what, bound=bound or str(upper))
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    return np.ascontiguousarray(arr), single


def check_obs(obs, n_symbols: int, name: str = "obs") -> tuple[np.ndarray, bool]:
    """Observation symbols as an int64 array of shape (n, T) (see :func:`check_index_array`)."""
    return check_index_array(obs, name, n_symbols, "symbols")


def check_states(states, n_states: int, shape, name: str = "states") -> np.ndarray:
    """Hidden states (n, T) in [0, n_states), of the same shape as the observations."""
    arr, _ = check_index_array(states, name, n_states, "values", bound=f"n_states={n_states}")
    if arr.shape != tuple(shape):
        raise ValueError(f"obs and {name} must have the same shape (n, T): got obs "
                         f"{tuple(shape)} and {name} {arr.shape}")
    return arr


# ---------------------------------------------------------------------------- torch
def check_device(device):
    """A ``torch.device`` from None (CUDA if present, else the CPU), a string or a device;
    a device that does not exist or is not available is refused."""
    import torch

    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, (str, torch.device)):
        raise ValueError(f"device must be a string such as 'cpu' or 'cuda', or a torch.device "
                         f"(got {_describe(device)})")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError) as err:
        raise ValueError(f"device {device!r} is not a torch device ({err})") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for CUDA, which is not available here")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device {device!r} is not supported: use 'cpu' or 'cuda'")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {device!r} asked for MPS, which is not available here")
    return dev


def check_dtype(dtype):
    """torch.float32 or torch.float64."""
    import torch

    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64 (got {dtype!r})")
    return dtype


# ---------------------------------------------------------------------------- files
def check_out_dir(path, name: str = "--out") -> Path:
    """A directory to write results into: created if missing; refused (before any work is
    done) if it is a file, lies under a file, or cannot be written."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"{name} must be a path (got {_describe(path)})")
    out = Path(path)
    if str(path) == "":
        raise ValueError(f"{name} is empty: give a directory")
    for parent in (out, *out.parents):
        if parent.exists() and not parent.is_dir():
            what = "is a file" if parent == out else f"lies under the file {parent}"
            raise ValueError(f"{name} {str(out)!r} {what}: give a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"{name} {str(out)!r} cannot be created ({err.strerror})") from None
    probe = out / f".probrnn-write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise ValueError(f"{name} {str(out)!r} is not writable ({err.strerror})") from None
    return out


# ---------------------------------------------------------------------------- models
def check_hmm(hmm, name: str = "hmm"):
    """A :class:`probrnn.HMM` (its parameters were validated when it was built)."""
    from .hmm import HMM

    if not isinstance(hmm, HMM):
        raise ValueError(f"{name} must be a probrnn.HMM (got {type(hmm).__name__})")
    return hmm
