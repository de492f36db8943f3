"""What every experiment of the book shares: seeds, scales, grids, workers and the committed
results.

* :func:`derive_seed`: a grid point's seed from the base seed and the point's coordinates, so a
  row's numbers do not depend on which other rows were run and any row can be recomputed alone.
* :func:`scale_config`: the settings of a scale ("quick": seconds, for tests and live controls;
  "paper": the paper's sizes).
* :func:`workers_for`: how many worker threads a sweep uses.
* :func:`load_results`: the committed table ``results/NAME.csv``, found from the working
  directory or the repository; never fetched from the network.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from ..threads import default_workers
from ..validate import check_choice, check_int, check_seed

SCALES = ("quick", "paper")


def derive_seed(*keys: int) -> int:
    """A 32-bit seed determined by the integer ``keys`` (numpy SeedSequence entropy)."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1)[0])


def scale_config(scale, table: dict) -> dict:
    """A copy of ``table[scale]``, or a ValueError listing the scales."""
    return dict(table[check_choice(scale, "scale", sorted(table))])


def workers_for(scale: str, workers) -> int:
    """Worker threads: ``workers`` if given (a positive integer), else one per core (at most 2)
    at paper scale and 1 at quick scale."""
    if workers is not None:
        return check_int(workers, "workers", minimum=1)
    return default_workers(scale == "paper")


def base_seed(seed) -> int:
    """The experiment's base seed (a non-negative integer; floats are refused)."""
    return check_seed(seed)


def announce(scale: str, message: str) -> None:
    """A progress line on stdout for the long (paper-scale) runs; silent at quick scale."""
    if scale == "paper":
        # wrapped to the 80 columns a notebook's output shows without scrolling
        print(textwrap.fill(f"[probrnn]   {message}", width=78, subsequent_indent=" " * 12),
              flush=True)


def repository_root() -> Path:
    """The folder holding this package's ``probrnn`` directory (the repository, when installed
    in editable mode or run from a clone)."""
    return Path(__file__).resolve().parents[2]


class ResultsNotFoundError(FileNotFoundError, ValueError):
    """No ``results/NAME.csv`` in any of the places looked in (the message lists them). A
    FileNotFoundError, and a ValueError like every refusal of the package."""


def find_results(name: str, start=None) -> Path:
    """The path of ``results/NAME.csv``: looked for in ``start`` (default: the working
    directory) and its parents, then in the repository holding this package. Raises
    :class:`ResultsNotFoundError` naming every place it looked; never fetches anything."""
    if not isinstance(name, str) or not name or any(c in name for c in "/\\\x00") or name in (".", ".."):
        raise ValueError(f"name must be a results table's name such as 'fig5' (got {name!r})")
    if name.endswith(".csv"):
        raise ValueError(f"name is the table's name without '.csv' (got {name!r}; try "
                         f"{name[:-4]!r})")
    if start is not None:
        if isinstance(start, bytes) or not isinstance(start, (str, os.PathLike)) or not str(start) \
                or "\x00" in str(start):
            raise ValueError(f"start must be a directory path (got {start!r})")
        if not Path(start).is_dir():
            raise ValueError(f"start {str(start)!r} is not an existing directory")
    here = Path(start or Path.cwd()).resolve()
    places = [here, *here.parents, repository_root()]
    for folder in dict.fromkeys(places):
        path = folder / "results" / f"{name}.csv"
        if path.is_file():
            return path
    looked = ", ".join(str(p / "results") for p in dict.fromkeys(places))
    raise ResultsNotFoundError(
        f"no results/{name}.csv in {looked}; run `python -m probrnn reproduce {name} --scale "
        "paper --out results` from the repository, or open the notebook from a clone")


def load_results(name: str, start=None) -> pd.DataFrame:
    """The committed table ``results/NAME.csv`` (written by ``python -m probrnn reproduce``),
    looked for as :func:`find_results` says; a file that is not a readable, non-empty table is
    a ValueError naming it."""
    path = find_results(name, start)
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"could not read {path} as a table: {err}") from None
    if df.empty:
        raise ValueError(f"{path} has no rows")
    return df
