"""How wide an element of a page is at 1280×720, read from AppTest's element tree (no browser): the main block is
MAIN_WIDTH px wide; a column takes its weight's share of its row less the gaps, a container of fixed width at most
that width. Text widths are estimated from font sizes (Source Sans' digits are ~0.43 em wide, its lower-case
text ~0.37 em, measured in Chromium; 0.45 em is taken), so a test can say "this number cannot fit its column"
where a browser would cut it to "-2.…"."""

from __future__ import annotations

MAIN_WIDTH = 790  # px: Streamlit's main block in Chromium at 1280×720, sidebar open, wide layout (measured)
GAP = 16  # px: a "small" gap between columns
ROOT_PX = 17  # the theme's base font size (.streamlit/config.toml)
METRIC_VALUE_EM, METRIC_LABEL_EM = 2.25, 0.875  # st.metric's value and label font sizes, in rem
GLYPH_EM = 0.45
BUTTON_EXTRA_REM = 3.0  # an icon and the padding
TOGGLE_EXTRA_REM = 2.5  # the switch and its gap
HELP_REM = 1.25  # the ⓘ of a widget's help


def text_width(text: str, font_rem: float) -> float:
    return len(text) * GLYPH_EM * font_rem * ROOT_PX


def _child_width(child, width: float, columns: int) -> float:
    if type(child).__name__ == "Column":
        return (width - GAP * (columns - 1)) * child.proto.weight
    config = getattr(child.proto, "width_config", None) if child.proto is not None else None
    pixels = config.pixel_width if config is not None else 0
    return min(width, pixels) if pixels else width


def widths(node, width: float = MAIN_WIDTH) -> list[tuple[object, float]]:
    """Every element under `node` (leaves: widgets, text, metrics) with the width (px) its block gives it."""
    children = list(getattr(node, "children", {}).values())
    if not children:
        return [(node, width)]
    columns = sum(type(c).__name__ == "Column" for c in children)
    return [found for child in children for found in widths(child, _child_width(child, width, columns))]


def width_of_markdown(node, body: str) -> float | None:
    """The width the block holding the markdown `body` gets, or None if there is none."""
    return next((width for element, width in widths(node)
                 if type(element).__name__ == "Markdown" and element.value == body), None)


def cut_metrics(node) -> list[str]:
    """The metrics whose value or label is wider than the block that holds it."""
    cut = []
    for element, width in widths(node):
        if type(element).__name__ != "Metric":
            continue
        value, label = element.value, element.label
        if text_width(value, METRIC_VALUE_EM) > width or text_width(label, METRIC_LABEL_EM) > width:
            cut.append(f"{label!r} = {value!r} in {width:.0f} px")
    return cut


def _label_room(element) -> float | None:
    """The px a button's or toggle's label needs beside its text, or None for another element."""
    kind = type(element).__name__
    extra = {"Button": BUTTON_EXTRA_REM, "Toggle": TOGGLE_EXTRA_REM, "Checkbox": TOGGLE_EXTRA_REM}.get(kind)
    if extra is None:
        return None
    return (extra + (HELP_REM if getattr(element.proto, "help", "") else 0)) * ROOT_PX


def cut_labels(node) -> list[str]:
    """The buttons and toggles whose label is wider than the block that holds them."""
    cut = []
    for element, width in widths(node):
        room = _label_room(element)
        if room is not None and text_width(element.label, 1.0) + room > width:
            cut.append(f"{type(element).__name__} {element.label!r} in {width:.0f} px")
    return cut
