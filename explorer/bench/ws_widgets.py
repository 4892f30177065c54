"""A widget value as the frontend sends it: the `WidgetState` protobuf of a rerun_script BackMsg.

Each widget kind has one wire field (Streamlit's `value_type` where the widget registers itself): choices travel
as their formatted option strings (radio, selectbox: one; select_slider, multiselect, pills: a list), numbers as
doubles, buttons as a trigger that holds for one run, lazy tabs as the open tab's label. A component v2
(`st.components.v2`) event travels as a JSON list of {event, value} on a trigger widget of its own, whose id is
derived from the component's; its state keys travel as JSON on the component's id.
"""

from __future__ import annotations

import json

from streamlit.proto.WidgetStates_pb2 import WidgetState

from explorer.bench.ws_page import Widget

STRING_KINDS = frozenset({"radio", "selectbox", "text_input", "text_area", "color_picker", "tab_container"})
STRING_LIST_KINDS = frozenset({"multiselect", "button_group"})
TRIGGER_KINDS = frozenset({"button", "download_button"})
BOOL_KINDS = frozenset({"checkbox", "expandable", "popover"})
COMPONENT_EVENTS = "$$STREAMLIT_INTERNAL_KEY_{id}__events"  # the component's trigger aggregator widget


def option(widget: Widget, value: object) -> str:
    """A choice as its formatted option: the option itself, or its index in the widget's options."""
    options = list(getattr(widget.proto, "options", ()))
    if isinstance(value, int) and not isinstance(value, bool) and options:
        return options[value]
    if options and str(value) not in options:
        raise ValueError(f"{value!r} is not an option of {widget.key or widget.label!r}: {options}")
    return str(value)


def _as_list(value: object) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def widget_state(widget: Widget, value: object = None, event: str | None = None) -> WidgetState:
    """The WidgetState that sets `widget` to `value` (a button: presses it; a component: fires `event` with
    `value` when `event` is given, else sets its state to the dict `value`)."""
    state = WidgetState(id=widget.id)
    kind = widget.kind
    if kind == "bidi_component":
        if event is None:
            state.json_value = json.dumps(value)
        else:
            state.id = COMPONENT_EVENTS.format(id=widget.id)
            state.json_trigger_value = json.dumps([{"event": event, "value": value}])
    elif kind in TRIGGER_KINDS:
        state.trigger_value = True
    elif kind == "slider" and widget.proto.options:  # st.select_slider
        state.string_array_value.data.extend(option(widget, v) for v in _as_list(value))
    elif kind == "slider":
        state.double_array_value.data.extend(float(v) for v in _as_list(value))
    elif kind == "number_input":
        state.double_value = float(value)
    elif kind in BOOL_KINDS:
        state.bool_value = bool(value)
    elif kind == "tab_container":
        state.string_value = str(value)  # the label of the tab to open
    elif kind in STRING_KINDS:
        state.string_value = option(widget, value)
    elif kind in STRING_LIST_KINDS:
        state.string_array_value.data.extend(option(widget, v) for v in _as_list(value))
    else:
        raise NotImplementedError(f"setting a {kind} widget is not simulated")
    return state


def is_trigger(state: WidgetState) -> bool:
    """A value that holds for one run only (a press, an event): sent once, then forgotten, as the frontend does."""
    return state.WhichOneof("value") in ("trigger_value", "json_trigger_value", "string_trigger_value")
