"""The live controls build, wire and draw when a reader runs a chapter (outside a static build)."""

import ipywidgets as w
import pytest

from probrnn.widgets import live


@pytest.fixture
def interactive(monkeypatch):
    monkeypatch.setenv(live.STATIC_ENV, "0")


def test_static_builds_get_a_note_not_a_widget(monkeypatch):
    from probrnn.widgets.hmm_forward import belief_explorer

    monkeypatch.setenv(live.STATIC_ENV, "1")
    assert not live.live_controls_enabled()
    note = belief_explorer()
    assert not isinstance(note, w.Widget) and "Jupyter" in note.data


def _outputs(box):
    found = []
    for child in getattr(box, "children", ()):
        if isinstance(child, w.Output):
            found.append(child)
        found += _outputs(child)
    return found


def test_belief_explorer_redraws_on_change(interactive):
    from probrnn.widgets.hmm_forward import belief_explorer

    box = belief_explorer(T=10)
    assert isinstance(box, w.VBox)
    sliders = [c for c in box.children[0].children if isinstance(c, w.IntSlider)]
    assert [s.description for s in sliders] == ["states m", "symbols K"]
    sliders[0].value = 3  # must redraw without error
    assert _outputs(box)


@pytest.mark.parametrize("module,name", [
    ("probrnn.widgets.rnn_forward", "rnn_forward_explorer"),
    ("probrnn.widgets.particle_filters", "pf_rnn_explorer"),
    ("probrnn.widgets.rnn_generative", "predictive_widget"),
    ("probrnn.widgets.smoothing", "smoothing_explorer"),
    ("probrnn.widgets.continuous", "growth_explorer"),
])
def test_chapter_widgets_build(interactive, module, name):
    import importlib

    box = getattr(importlib.import_module(module), name)()
    assert isinstance(box, w.Widget)
    controls = [c for c in _walk(box) if isinstance(c, (w.ValueWidget, w.Button))
                and not isinstance(c, (w.HTML, w.Label))]
    assert controls, "no controls found"
    assert all(c.description for c in controls), [type(c).__name__ for c in controls
                                                   if not c.description]
    assert _outputs(box)


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)
