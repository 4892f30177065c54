"""Lazy tabs (`st.tabs(..., key, on_change="rerun")`): only the open tab is drawn, the open tab is a knob of the
page (a link opens it), every tab runs clean when opened, and a closed tab loses nothing: every widget in it is a
knob or kept (`presets.KEEP`), and a value set there is still set after another tab was open."""

from __future__ import annotations

import pytest
from apptest import open_page, open_tab
from streamlit.testing.v1 import AppTest

from explorer.store import zoo
from explorer.ui import presets

KINDS = ("slider", "select_slider", "radio", "checkbox", "toggle", "selectbox", "number_input", "text_input",
         "text_area", "multiselect", "segmented_control")


def shown_widgets(at: AppTest) -> dict:
    return {w.key: w for kind in KINDS for w in at.get(kind) if w.key}


def other_value(widget):
    """A value the widget allows other than its current one (for sliders, number inputs and switches), or None."""
    if isinstance(widget.value, bool):
        return not widget.value
    bounds = [getattr(widget, name, None) for name in ("max", "min")]
    if isinstance(widget.value, (int, float)) and all(isinstance(b, (int, float)) for b in bounds):
        return next((b for b in bounds if b != widget.value), None)
    return None


@pytest.mark.parametrize("page", sorted(presets.TABS))
def test_each_tab_opens_clean_and_a_closed_tab_keeps_its_widgets(page, mnist_dir):
    if not zoo.names():
        pytest.skip("no pretrained models: run `python -m explorer pretrain`")
    key, labels = presets.TABS[page]
    at = open_page(f"{page}.py", timeout=180)
    assert tuple(tab.label for tab in at.tabs) == labels
    kept = set(presets.KNOBS[page]) | set(presets.KEEP.get(page, ()))
    for label in labels:
        open_tab(at, key, label)
        widgets = shown_widgets(at)
        assert not set(widgets) - kept, f"{page} / {label}: widgets lost when the tab closes"
        changed = next(((k, w, v) for k, w in widgets.items() if (v := other_value(w)) is not None), None)
        if changed is None:
            continue
        widget_key, widget, value = changed
        widget.set_value(value).run()
        set_to = shown_widgets(at)[widget_key].value
        open_tab(at, key, next(other for other in labels if other != label))
        open_tab(at, key, label)
        assert shown_widgets(at)[widget_key].value == set_to, f"{page} / {label}: {widget_key} forgot its value"
