"""Command line: reproduce the experiments, and build the course material.

``python -m probrnn reproduce NAME ... --scale paper --out DIR``; the course tools
(:mod:`probrnn.course`): ``student-edition``, ``pdf``, ``slides`` and ``exercises``.

For each experiment ``reproduce`` writes ``DIR/NAME.csv`` (the tidy table), ``DIR/NAME.html`` (the figure,
standalone, plotly.js inlined so it opens offline) and ``DIR/NAME.json`` (command, scale, seed,
package versions, date and elapsed seconds), printing progress as it goes. Every argument,
``--out`` included (a file, a path under a file or a folder that cannot be written is refused),
is checked before torch or the experiments are even imported, so a mistake costs a fraction of
a second and ends in a one-line error with exit code 2, never a traceback. Every file is written
atomically (to a temporary name in the same folder, then renamed), so an interrupted run never
leaves a half-written table.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

# The experiments' names (``probrnn.experiments.REGISTRY``, checked equal by the tests), kept
# here so that the arguments are checked before the experiments (and torch) are imported.
EXPERIMENTS = ("fig5", "fig6", "fig7", "lr_check", "pf_convergence", "predictive",
               "smoothing", "kalman_rnn", "continuous")
SCALES = ("quick", "paper")


def _versions() -> dict:
    import numpy
    import pandas
    import torch

    from . import __version__

    return {"probrnn": __version__, "numpy": numpy.__version__, "pandas": pandas.__version__,
            "torch": torch.__version__, "python": platform.python_version()}


def write_atomic(path: Path, write) -> None:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it to ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's file is private (0600); a result is not
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def reproduce(names, scale: str, out, seed: int | None = None) -> list[Path]:
    """Run each experiment in ``names`` and write its CSV, HTML and JSON into ``out``.

    Every argument is checked (and ``out`` created and tried) before anything is computed.
    """
    from .validate import check_choice, check_choices, check_out_dir, check_seed

    names = check_choices(names if isinstance(names, str) else list(names), "experiments",
                          sorted(EXPERIMENTS), "experiment")
    scale = check_choice(scale, "scale", list(SCALES))
    if seed is not None:
        seed = check_seed(seed, "--seed")
    out = check_out_dir(out)
    from .experiments import REGISTRY
    from .figures.render import use_book_renderer
    from .figures.style import book_layout

    use_book_renderer()
    written = []
    for name in names:
        table_fn, figure_fn = REGISTRY[name]
        print(f"[probrnn] {name}: running at scale={scale!r} ...", flush=True)
        kwargs = {"scale": scale} if seed is None else {"scale": scale, "seed": seed}
        start = time.perf_counter()
        table = table_fn(**kwargs)
        elapsed = time.perf_counter() - start
        csv, html, meta_path = (out / f"{name}.{ext}" for ext in ("csv", "html", "json"))
        write_atomic(csv, lambda p, t=table: t.to_csv(p, index=False))
        fig = book_layout(figure_fn(table))
        write_atomic(html, lambda p, f=fig: f.write_html(p, include_plotlyjs=True, full_html=True))
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
        write_atomic(meta_path, lambda p, m=meta: p.write_text(json.dumps(m, indent=2) + "\n"))
        print(f"[probrnn] {name}: {len(table)} rows in {elapsed:.1f} s -> {csv}, {html}",
              flush=True)
        written += [csv, html, meta_path]
    return written


def _seed_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer (got {text!r})") from None
    if value < 0 or value > 2**63 - 1:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, 2**63 - 1] (got {value})")
    return value


def _course_parsers(sub) -> None:
    def book_args(p, reuse: bool = True):
        p.add_argument("--book", default=None,
                       help="the book's root folder (default: the one holding _toc.yml above "
                            "the current folder)")
        if reuse:
            p.add_argument("--reuse", default=None, metavar="BUILD",
                           help="a jupyter-book _build folder whose executed chapters to reuse "
                                "(default: the checkout's _build when it is newer than every "
                                "source)")
            p.add_argument("--execute", action="store_true",
                           help="execute every chapter even if a fresh build exists")

    st = sub.add_parser("student-edition", help="the book without solutions: HTML and notebooks")
    st.add_argument("--out", required=True, help="folder for html/ and notebooks/")
    book_args(st, reuse=False)
    pdf = sub.add_parser("pdf", help="the whole book as one PDF (offline, headless Chromium)")
    pdf.add_argument("--out", required=True, help="the PDF file to write, e.g. book.pdf")
    pdf.add_argument("--student", action="store_true", help="without the solutions")
    book_args(pdf)
    sl = sub.add_parser("slides", help="one offline slide deck per chapter")
    sl.add_argument("--out", required=True, help="folder for the decks")
    book_args(sl)
    sub.add_parser("exercises", help="list every exercise: kind, difficulty, time, checker")


def _run_course(args) -> None:
    if args.command == "student-edition":
        from .course.student import student_edition

        student_edition(args.out, root=args.book)
    elif args.command == "pdf":
        from .course.pdf import build_pdf

        build_pdf(args.out, root=args.book, reuse=args.reuse, execute=args.execute,
                  student=args.student)
    elif args.command == "slides":
        from .course.slides import build_slides

        build_slides(args.out, root=args.book, reuse=args.reuse, execute=args.execute)
    elif args.command == "exercises":
        from .exercises import catalog_table

        print(catalog_table().to_string(index=False))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m probrnn", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("reproduce", help="run experiments and write tables and figures")
    rep.add_argument("names", nargs="+", choices=sorted(EXPERIMENTS) + ["all"],
                     help="which experiments ('all' for every one)")
    rep.add_argument("--scale", choices=list(SCALES), default="quick")
    rep.add_argument("--out", default="results", help="folder for the tables (default: results)")
    rep.add_argument("--seed", type=_seed_arg, default=None,
                     help="base seed (default: each experiment's own)")
    _course_parsers(sub)
    args = parser.parse_args(argv)
    if args.command != "reproduce":
        from .course.build import BuildError
        from .course.pdf import PrintError

        try:
            _run_course(args)
        except ValueError as err:
            parser.exit(2, f"python -m probrnn {args.command}: error: {err}\n")
        except (BuildError, PrintError, RuntimeError) as err:
            parser.exit(1, f"python -m probrnn {args.command}: failed: {err}\n")
        return 0
    names = sorted(EXPERIMENTS) if "all" in args.names else list(dict.fromkeys(args.names))
    try:
        reproduce(names, args.scale, args.out, args.seed)
    except ValueError as err:
        parser.exit(2, f"python -m probrnn reproduce: error: {err}\n")
    except OSError as err:  # the disk filled up, the folder vanished mid-run, ...
        parser.exit(1, f"python -m probrnn reproduce: error: could not write the results "
                       f"({err})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
