"""Validation at the boundary: every public function, class and command-line argument of the
package checks its inputs here, once, with messages that name the fault. Inner loops trust
what they are given.

The rules, whatever the entry point:

* integers must be integers (``3.0`` is refused, never truncated), and seeds non-negative;
* real numbers must be finite real numbers (no NaN, no infinity, no complex, no strings);
* a 0-d numpy array or torch tensor counts as the scalar it holds (``torch.tensor(3)`` is the
  integer 3; ``torch.tensor(3.0)`` is a float, so it is refused where an integer is needed);
* arrays are converted from lists, tuples, numpy arrays or torch tensors; ragged, empty,
  complex, string or object arrays are refused;
* arrays of symbols or states hold integers: integer-valued floats (``1.0``) are accepted and
  converted, any other float is refused;
* probability vectors and stochastic matrices must have entries in [0, 1] and sum to 1 within
  ``ROW_SUM_ATOL``; they are then renormalised exactly, so no log-probability comes out
  above 0;
* grids (sizes, seeds, numbers of replicates) must be non-empty and hold valid integers;
* no request may allocate more than ``MAX_ELEMENTS`` numbers at once (a typo such as
  ``n=10**12`` is a ValueError, not a MemoryError);
* tables given to a figure must be pandas DataFrames, not empty, with the columns it needs.

Every check raises :class:`ValueError` (a subclass is never needed: the message says what).
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

ROW_SUM_ATOL = 1e-6
MAX_SEED = 2**63 - 1
MAX_ELEMENTS = 2**31  # numbers one request may allocate (16 GiB of float64)


# ---------------------------------------------------------------------------- scalars
def _describe(value) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(value).__name__}: {text}"


def _scalar(value):
    """A 0-d numpy array or 0-d torch tensor as the Python/numpy scalar it holds; anything
    else unchanged."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value[()]
    if type(value).__module__.startswith("torch") and hasattr(value, "ndim") and \
            getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        return value.item()
    return value


def check_int(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer (Python or numpy, or a 0-d array or tensor holding one; not bool, not a
    float) in [minimum, maximum]."""
    value = _scalar(value)
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
    """A finite real number (int or float, or a 0-d array or tensor holding one; not bool,
    complex or a string) within the bounds.

    ``low_open``/``high_open`` make the bounds strict (``minimum < value``).
    """
    value = _scalar(value)
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
        raise ValueError(f"unknown {name} {value!r}: {name} must be one of {choices}")
    return value


def check_choices(values, name: str, choices, item: str | None = None) -> tuple[str, ...]:
    """A non-empty selection from ``choices``: one name (a string) or a sequence of names,
    duplicates removed, order kept. ``item`` names one element in messages ("unknown method
    'x'"); by default ``name[i]``."""
    if isinstance(values, str):
        values = (values,)
    if not isinstance(values, (list, tuple)):
        raise ValueError(f"{name} must be one of {list(choices)} or a list of them (got "
                         f"{_describe(values)})")
    if not values:
        raise ValueError(f"{name} is empty: choose at least one of {list(choices)}")
    return tuple(dict.fromkeys(check_choice(v, item or f"{name}[{i}]", choices)
                               for i, v in enumerate(values)))


def check_bool(value, name: str) -> bool:
    """True or False (numpy bools too); not 0/1 or strings."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False (got {_describe(value)})")
    return bool(value)


def _items(values, name: str, kind: str) -> list:
    if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name} must be a non-empty sequence of {kind} (got "
                         f"{_describe(values)})")
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ValueError(f"{name} must be a flat sequence of {kind} (got shape {values.shape})")
    items = list(values)
    if not items:
        raise ValueError(f"{name} is empty: give at least one value")
    return items


def check_int_grid(values, name: str, minimum: int | None = None, maximum: int | None = None
                   ) -> tuple[int, ...]:
    """A non-empty sequence of integers (each checked like :func:`check_int`), duplicates
    removed, order kept."""
    items = _items(values, name, "integers")
    out = [check_int(v, f"{name}[{i}]", minimum, maximum) for i, v in enumerate(items)]
    return tuple(dict.fromkeys(out))


def check_real_grid(values, name: str, minimum: float | None = None, *, low_open: bool = False
                    ) -> tuple[float, ...]:
    """A non-empty sequence of finite real numbers (each checked like :func:`check_real`),
    duplicates removed, order kept."""
    items = _items(values, name, "real numbers")
    out = [check_real(v, f"{name}[{i}]", minimum, low_open=low_open) for i, v in enumerate(items)]
    return tuple(dict.fromkeys(out))


def check_size(count, name: str, what: str = "numbers") -> int:
    """``count`` (an int) if it is at most MAX_ELEMENTS, else a ValueError naming ``name``:
    a request too large to allocate is a fault of the arguments, not a MemoryError."""
    if count > MAX_ELEMENTS:
        raise ValueError(f"{name} asks for {count:,} {what}, more than the {MAX_ELEMENTS:,} "
                         "that one call may allocate; use smaller sizes or split the work")
    return int(count)


# ---------------------------------------------------------------------------- randomness
def as_rng(rng, name: str = "rng") -> np.random.Generator:
    """An explicit numpy Generator from a seed (non-negative int), a Generator, a
    SeedSequence or None (fresh entropy). Anything else is refused."""
    rng = _scalar(rng)
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
    if x is None or isinstance(x, (Mapping, set, frozenset)):
        raise ValueError(f"{name} must be an array of {kind} (got {_describe(x)})")
    if type(x).__module__.startswith("torch") and hasattr(x, "detach"):
        x = x.detach().cpu()
        if x.is_floating_point() and x.dtype.itemsize < 4:  # bfloat16/float16: widen exactly
            x = x.double()
        x = x.numpy()
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError, OverflowError) as err:
        raise ValueError(f"{name} must be a rectangular array of {kind} ({err})") from None
    if arr.dtype == object:
        raise ValueError(f"{name} must be a rectangular array of {kind}: its rows have different "
                         f"lengths or it holds something other than {kind} (such as None, "
                         "objects or integers beyond 64 bits)")
    if arr.dtype.kind in "USVaOMm":
        raise ValueError(f"{name} must hold {kind} (got dtype {arr.dtype})")
    if arr.dtype.kind == "c":
        raise ValueError(f"{name} must hold real values ({kind}), not complex numbers "
                         f"(got dtype {arr.dtype})")
    return arr


def check_float_array(x, name: str, ndim: int | tuple[int, ...] | None = None,
                      allow_empty: bool = False, max_abs: float | None = None) -> np.ndarray:
    """A finite float64 array of the given number(s) of dimensions (the input itself when it
    already is one: callers must not write into it). ``max_abs`` refuses entries larger in
    magnitude (for inputs that are squared or standardised, so nothing overflows)."""
    arr = as_array(x, name)
    dims = (ndim,) if isinstance(ndim, int) else ndim
    if dims is not None and arr.ndim not in dims:
        want = " or ".join(f"{d}-D" for d in dims)
        raise ValueError(f"{name} must be {want} (got shape {arr.shape})")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if arr.dtype.kind in "iu" and arr.size and (arr.max() > 2**53 or arr.min() < -2**53):
        raise ValueError(f"{name} has integers too large to convert exactly to float64")
    arr = np.asarray(arr, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.argwhere(bad)[:5].tolist()
        raise ValueError(f"{name} has NaN or infinite entries at {where}")
    if max_abs is not None and arr.size:
        big = np.abs(arr) > max_abs
        if big.any():
            where = np.argwhere(big)[:5].tolist()
            raise ValueError(f"{name} has entries of magnitude above {max_abs:g} at {where} "
                             f"(largest {np.abs(arr).max():.3g}); rescale it")
    return arr


def _unit_interval(arr: np.ndarray, name: str) -> None:
    neg = arr < 0
    if neg.any():
        where = np.argwhere(neg)[:5].tolist()
        raise ValueError(f"{name} has negative entries at {where} (probabilities must be >= 0)")
    big = arr > 1 + ROW_SUM_ATOL
    if big.any():
        where = np.argwhere(big)[:5].tolist()
        raise ValueError(f"{name} has entries above 1 at {where} (probabilities must be <= 1; "
                         f"largest {arr.max():.10g})")


def check_prob_vector(x, name: str) -> np.ndarray:
    """A 1-D probability vector: finite, in [0, 1], summing to 1 within ROW_SUM_ATOL; the
    result is renormalised to sum to 1 in float64."""
    arr = check_float_array(x, name, 1)
    _unit_interval(arr, name)
    total = arr.sum()
    if abs(total - 1.0) > ROW_SUM_ATOL:
        raise ValueError(f"{name} must sum to 1 (got a sum of {total:.10g})")
    return arr / total


def check_stochastic_matrix(x, name: str) -> np.ndarray:
    """A 2-D matrix whose rows are probability vectors (renormalised exactly, like
    :func:`check_prob_vector`)."""
    arr = check_float_array(x, name, 2)
    _unit_interval(arr, name)
    sums = arr.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > ROW_SUM_ATOL)
    if bad.size:
        shown = ", ".join(f"row {i}: {sums[i]:.10g}" for i in bad[:5])
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        raise ValueError(f"rows of {name} must sum to 1 (got row sums of {shown}{more})")
    return arr / sums[:, None]


def check_prob_rows(x, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """An array of probability vectors along its last axis (posteriors (n, T, m), predictive
    distributions (n, T, K), ...): finite, in [0, 1], each summing to 1 within ROW_SUM_ATOL;
    returned renormalised in float64."""
    arr = check_float_array(x, name, ndim)
    if arr.ndim == 0:
        raise ValueError(f"{name} must hold probability vectors along its last axis (got a "
                         "scalar)")
    _unit_interval(arr, name)
    sums = arr.sum(axis=-1, keepdims=True)
    bad = np.abs(sums[..., 0] - 1.0) > ROW_SUM_ATOL
    if bad.any():
        where = np.argwhere(bad)[:5].tolist()
        raise ValueError(f"{name} must hold probability vectors along its last axis: the "
                         f"entries at {where} sum to "
                         f"{', '.join(f'{s:.6g}' for s in sums[..., 0][bad][:5])}, not 1")
    return arr / sums


def check_integers(x, name: str, what: str = "values", lower: int = 0,
                   upper: int | None = None, bound: str | None = None) -> np.ndarray:
    """An int64 array (any shape, 0-d too) of integers in [lower, upper) (no upper bound if
    None). Integer-valued floats are accepted; bools count as 0/1; the message names the first
    value out of range and where it is."""
    arr = as_array(x, name, f"integer {what}")
    if arr.dtype == bool:
        arr = arr.astype(np.int64)
    elif np.issubdtype(arr.dtype, np.floating):
        ok = np.isfinite(arr) & (arr == np.round(arr))
        if not ok.all():
            raise ValueError(f"{name} must hold integer {what} (got non-integer values "
                             f"{arr[~ok][:5].tolist()})")
    elif not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer {what} (got dtype {arr.dtype})")
    hi = np.iinfo(np.int64).max if upper is None else upper
    if arr.size:
        # compared in the array's own type (or float), before any cast that could wrap
        out = (arr < lower) | (arr >= hi)
        if out.any():
            where = f" (first at index {np.argwhere(out)[0].tolist()})" if arr.ndim else ""
            rng = f"[{lower}, {bound or upper})" if upper is not None else f"[{lower}, 2**63)"
            raise ValueError(f"{name} has {what} outside {rng}: "
                             f"{np.unique(arr[out])[:5].tolist()}{where}")
    return arr.astype(np.int64)


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
    arr = check_integers(arr, name, what, 0, upper, bound or str(upper))
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    return np.ascontiguousarray(arr), single


def check_obs(obs, n_symbols: int, name: str = "obs") -> tuple[np.ndarray, bool]:
    """Observation symbols as an int64 array of shape (n, T) (see :func:`check_index_array`)."""
    return check_index_array(obs, name, n_symbols, "symbols")


def check_symbol(x, n_symbols: int, name: str) -> int:
    """One symbol in [0, n_symbols): an integer (or an integer-valued float, like the symbols
    of an observation array), not a list."""
    x = _scalar(x)
    if isinstance(x, (str, bytes)):
        raise ValueError(f"{name} must be one symbol, an integer in [0, {n_symbols}) (got "
                         f"{_describe(x)})")
    arr = as_array(x, name, "integer symbols")
    if arr.ndim != 0:
        raise ValueError(f"{name} must be one symbol, an integer in [0, {n_symbols}) (got shape "
                         f"{arr.shape})")
    return int(check_integers(arr, name, "symbols", 0, n_symbols))


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
    if "\x00" in str(path):
        raise ValueError(f"{name} {str(path)!r} holds a NUL character, which no path may hold")
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


# ---------------------------------------------------------------------------- tables
def check_table(df, columns, name: str = "df", numeric=()):
    """A non-empty pandas DataFrame with every column of ``columns``; those in ``numeric``
    must hold numbers (a figure would otherwise fail inside pandas or plotly)."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame (got {type(df).__name__})")
    columns = list(columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        got = list(df.columns)
        shown = got if len(got) <= 12 else got[:12] + ["..."]
        raise ValueError(f"{name} lacks the columns {missing}: it needs columns {columns} (it "
                         f"has {shown})")
    if df.empty:
        raise ValueError(f"{name} is empty: it has no rows")
    for col in numeric:
        if not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
            raise ValueError(f"{name}[{col!r}] must hold numbers (got dtype {df[col].dtype})")
    return df


def check_positive_column(df, col: str, name: str = "df", where: str = "") -> None:
    """Every value of ``df[col]`` positive and finite (it goes through a log)."""
    vals = df[col].to_numpy(dtype=float)
    bad = ~(np.isfinite(vals) & (vals > 0))
    if bad.any():
        raise ValueError(f"{name}[{col!r}] must be positive and finite for a log scale (got "
                         f"{vals[bad][:3].tolist()}{where})")


def check_row(row, keys, name: str = "row") -> dict:
    """A recorded table row (a dict or a pandas Series) holding ``keys``, as a dict."""
    import pandas as pd

    if isinstance(row, pd.Series):
        row = row.to_dict()
    if not isinstance(row, Mapping):
        raise ValueError(f"{name} must be a table row (a dict or a pandas Series), got "
                         f"{type(row).__name__}")
    missing = [k for k in keys if k not in row]
    if missing:
        raise ValueError(f"{name} lacks the fields {missing}: pass a whole row of the table")
    return dict(row)


def recorded_int(value, name: str, minimum: int | None = 0) -> int:
    """An integer read back from a results table: an int, or a float that is exactly an
    integer (a column with missing values is stored as floats); never truncated."""
    value = _scalar(value)
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        value = int(value)
    return check_int(value, name, minimum)


def check_out_file(path, name: str = "--out", suffix: str | None = None) -> Path:
    """A file to write: its folder is checked like :func:`check_out_dir` (and created); refused
    if it is a folder or, when ``suffix`` is given (``".pdf"``), if its name does not end so."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise ValueError(f"{name} must be a file path (got {_describe(path)})")
    out = Path(path)
    if out.is_dir():
        raise ValueError(f"{name} {str(out)!r} is a directory: give a file name")
    if suffix is not None and out.suffix.lower() != suffix:
        raise ValueError(f"{name} {str(out)!r} must end in {suffix}")
    check_out_dir(out.parent if str(out.parent) else ".", name=f"{name}'s folder")
    return out


# ---------------------------------------------------------------------------- models
def check_hmm(hmm, name: str = "hmm"):
    """A :class:`probrnn.HMM` (its parameters were validated when it was built)."""
    from .hmm import HMM

    if not isinstance(hmm, HMM):
        raise ValueError(f"{name} must be a probrnn.HMM (got {type(hmm).__name__})")
    return hmm
