"""Sphinx extension for the book: serve plotly.js once, from the book's own ``_static``.

Listed in ``_config.yml`` under ``sphinx.extra_extensions``. Each figure's HTML (see
:mod:`probrnn.plotting`) contains no plotly.js of its own, so the built book draws every figure
opened from disk with no network.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _copy_plotly(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_plotly_js(), static / "plotly.min.js")


def setup(app):
    # Loaded in <head> before any figure's script, and before require.js could hide it.
    app.add_js_file("plotly.min.js", priority=100)
    app.connect("build-finished", _copy_plotly)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
