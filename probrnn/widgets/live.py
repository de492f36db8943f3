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


# --------------------------------------------------------------------------- in a live kernel

# Shown above every live control. A notebook saved with a live control and reopened later (the
# next Binder session, or the same JupyterLab after a restart) still holds the control's output,
# but the widget's model lived in the old kernel: JupyterLab would print "Error displaying
# widget: model not found" in its place. This note says what to do instead. Its CSS (applied
# where JupyterLab trusts the output, i.e. wherever the error could appear) hides the note while
# the control is alive, and hides JupyterLab's error or "Loading widget..." text while it is not;
# where the CSS is not applied (an untrusted notebook, GitHub, nbviewer) the note simply shows.
RERUN_NOTE = "Live control: if no controls show here, run this cell (they need a running kernel)."
_RERUN_CSS = (
    ".jp-OutputArea:has(.probrnn-live-note):has(.widget-box) .probrnn-live-note"
    "{display:none}"
    ".jp-OutputArea:has(.probrnn-live-note) .jp-OutputArea-output.jupyter-widgets:not(:has(*))"
    "{display:none}"
)
# (the style after the text: JupyterLab's sanitizer, for an untrusted notebook, drops the style
# and, were it first, the text after it)
RERUN_HTML = (f'<div class="probrnn-live-note">&#9654; {RERUN_NOTE}</div>'
              f"<style>{_RERUN_CSS}</style>")

# Labels of live controls are shown whole: ipywidgets' default label column (about 80 px in
# JupyterLab) cuts "hidden units k" to "hidden un...", and its default button width cuts
# "train and compare" to "train and comp...".
LABEL_STYLE = {"description_width": "initial"}


def button_layout():
    """A button as wide as its label."""
    import ipywidgets as w

    return w.Layout(width="auto", min_width="max-content")


def seed_run_output():
    """The controls every retraining widget ends with: a seed box, a Run button and the output
    area the figures are drawn into, as ``(seed, run, out)``."""
    import ipywidgets as w

    seed = w.BoundedIntText(value=0, min=0, max=10_000, description="seed", style=LABEL_STYLE,
                            layout=w.Layout(width="10em"))
    run = w.Button(description="Run", button_style="primary", layout=button_layout())
    return seed, run, w.Output()


def live_box(children, **kwargs):
    """A ``VBox`` of ``children`` that displays as a live control: :data:`RERUN_HTML` above the
    widget, and no widget repr where widgets cannot be shown (the widget's ``text/plain`` is
    empty, so a viewer without a kernel shows only the note)."""
    return _live_box_class()(children, **kwargs)


_LIVE_BOX = None


def _live_box_class():
    global _LIVE_BOX
    if _LIVE_BOX is None:
        import ipywidgets as w

        class LiveControl(w.VBox):
            """A VBox displayed with a note for when its kernel is gone (see ``live_box``)."""

            def _ipython_display_(self, **kwargs):
                from IPython.display import display

                display({"text/html": RERUN_HTML, "text/plain": RERUN_NOTE}, raw=True)
                bundle = self._repr_mimebundle_() or {}
                display({**bundle, "text/plain": ""}, raw=True)

        _LIVE_BOX = LiveControl
    return _LIVE_BOX
