"""Command line: ``python -m probrnn reproduce fig5|fig6|fig7|predictive|all --scale paper --out DIR``.

For each experiment it writes ``DIR/NAME.csv`` (the tidy table), ``DIR/NAME.html`` (the figure,
standalone, plotly.js inlined so it opens offline) and ``DIR/NAME.json`` (command, scale, seed,
package versions, date and elapsed seconds), printing progress as it goes.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import platform
import sys
import time
from pathlib import Path


def _versions() -> dict:
    import numpy
    import pandas
    import torch

    from . import __version__

    return {"probrnn": __version__, "numpy": numpy.__version__, "pandas": pandas.__version__,
            "torch": torch.__version__, "python": platform.python_version()}


def reproduce(names, scale: str, out: Path, seed: int | None = None) -> list[Path]:
    """Run each experiment in ``names`` and write its CSV, HTML and JSON into ``out``."""
    from .experiments import REGISTRY, figure_function, table_function
    from .plotting import book_layout, use_book_renderer

    use_book_renderer()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        if name not in REGISTRY:
            raise SystemExit(f"unknown experiment {name!r}: choose from {sorted(REGISTRY)} or all")
        print(f"[probrnn] {name}: running at scale={scale!r} ...", flush=True)
        kwargs = {"scale": scale}
        if seed is not None:
            kwargs["seed"] = seed
        start = time.perf_counter()
        table = table_function(name)(**kwargs)
        elapsed = time.perf_counter() - start
        csv = out / f"{name}.csv"
        table.to_csv(csv, index=False)
        fig = book_layout(figure_function(name)(table))
        html = out / f"{name}.html"
        fig.write_html(html, include_plotlyjs=True, full_html=True)
        meta = {
            "experiment": name,
            "command": "python -m probrnn " + " ".join(sys.argv[1:]) if sys.argv else "",
            "scale": scale,
            "seed": seed,
            "rows": int(len(table)),
            "elapsed_seconds": round(elapsed, 2),
            "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "versions": _versions(),
        }
        (out / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
        print(f"[probrnn] {name}: {len(table)} rows in {elapsed:.1f} s -> {csv}, {html}", flush=True)
        written += [csv, html]
    return written


def main(argv=None) -> int:
    from .experiments import REGISTRY

    parser = argparse.ArgumentParser(prog="python -m probrnn", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("reproduce", help="run experiments and write tables and figures")
    rep.add_argument("names", nargs="+", choices=sorted(REGISTRY) + ["all"],
                     help="which experiments ('all' for every one)")
    rep.add_argument("--scale", choices=["quick", "paper"], default="quick")
    rep.add_argument("--out", type=Path, default=Path("results"))
    rep.add_argument("--seed", type=int, default=None, help="base seed (default: each one's own)")
    args = parser.parse_args(argv)
    names = sorted(REGISTRY) if "all" in args.names else list(dict.fromkeys(args.names))
    reproduce(names, args.scale, args.out, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
