"""Page weight of the built book: the bytes each page loads (its HTML and every file it pulls in,
each counted once), measured by opening the page from disk in headless Chromium with the network
off, as a reader's browser would load it. Not a test: ``tests/test_browser.py`` checks the pages.

Usage (build the book first)::

    python benchmarks/page_weight.py [HTML_DIR] [--json OUT.json]

HTML_DIR defaults to ``$PROBRNN_BOOK_HTML`` or ``_build/html``. Needs Chromium at
``/usr/bin/chromium``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from browser_support import ENV_HTML, ROOT, BookBrowser, page_files  # noqa: E402


def measure(html: Path) -> list[dict]:
    """One row per page: bytes, number of files, the largest files, plotly.js loads."""
    rows = []
    with BookBrowser() as browser:
        for page in page_files(html):
            r = browser.visit(page, html, dark_toggle=False)
            biggest = sorted(r.loaded.items(), key=lambda kv: -kv[1])[:3]
            rows.append({
                "page": r.page, "bytes": r.weight, "files": len(r.loaded),
                "figures": len(r.dom["figures"]), "plotly_js_loads": r.plotly_loads,
                "largest": [{"file": str(Path(p).relative_to(html)) if p.startswith(str(html))
                             else p, "bytes": n} for p, n in biggest],
            })
    return sorted(rows, key=lambda row: -row["bytes"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("html", nargs="?", type=Path,
                        default=Path(os.environ.get(ENV_HTML, ROOT / "_build" / "html")))
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    html = args.html.resolve()
    if not (html / "index.html").exists():
        parser.error(f"no built book in {html}: run `jupyter-book build .` first")
    rows = measure(html)
    print(f"page weight of {html} (HTML + everything it loads, each file once)")
    print(f"{'MB':>7} {'files':>5} {'figs':>4} {'plotly.js':>9}  page: largest files")
    for row in rows:
        largest = ", ".join(f"{x['file']} {x['bytes'] / 1e6:.2f} MB" for x in row["largest"])
        print(f"{row['bytes'] / 1e6:7.2f} {row['files']:5d} {row['figures']:4d} "
              f"{row['plotly_js_loads']:9d}  {row['page']}: {largest}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
