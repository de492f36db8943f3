"""Whether live controls (ipywidgets) should be built in this kernel.

Live controls need a person and a kernel (Jupyter, Binder, Colab). While the book is built or its
notebooks are tested, nobody can move a slider, and widget messages only add a way for the
executor to stall; the static pages show plotly sliders over precomputed results instead. The
book's Sphinx extension (:mod:`probrnn.sphinxext`) and the test suite set ``PROBRNN_STATIC=1``,
which the notebook kernels inherit.
"""

from __future__ import annotations

import os

STATIC_ENV = "PROBRNN_STATIC"
NOTE = ("Live controls appear here when this notebook runs in Jupyter, Binder or Colab; "
        "the static page shows the precomputed plotly figure above.")


def live_controls_enabled() -> bool:
    """False while the book is being built or tested (``PROBRNN_STATIC`` set and not "0")."""
    return os.environ.get(STATIC_ENV, "0") in ("", "0")


def static_placeholder():
    """What a live-control function returns during a build: a short note, no widgets."""
    from IPython.display import Markdown

    return Markdown(f"*{NOTE}*")
