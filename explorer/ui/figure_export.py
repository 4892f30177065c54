"""Figures out of the app: a chart's camera button saves PNG or SVG (the sidebar's choice), enlarged in projector
mode; a live run's metrics download as CSV.

Views draw Plotly figures with `chart(fig, ...)` instead of `st.plotly_chart(fig, ...)` (same arguments, keys and
`on_select` included; `container=` for a column). It adds Plotly's `toImageButtonOptions` and, in projector mode,
scales the figure's fonts and line widths for the session that asked, without touching the figure builders.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from explorer.figures import FONT_SIZE, LINE_WIDTH
from explorer.ui import session

IMAGE_SCALE = 2  # PNG pixels per CSS pixel: sharp on a slide
PROJECTOR_FONT = 1.4  # font sizes × this in projector mode
PROJECTOR_LINE = 1.6  # line widths × this
TICK_SIZE = 14  # the tick labels' size where a figure leaves it to the theme
PROJECTOR_HEIGHT = 1.15  # figure height × this, so the larger text keeps its room


def file_name(fig: go.Figure, key: str | None) -> str:
    """A file name from the figure's title (else its widget key): letters (Greek ones too), digits and dashes."""
    title = fig.layout.title.text or key or "figure"
    return "latent-lab-" + (re.sub(r"\W+", "-", title).strip("-").lower()[:60] or "figure")


def plotly_config(fig: go.Figure, key: str | None = None) -> dict[str, Any]:
    return {"toImageButtonOptions": {"format": session.figure_format(), "scale": IMAGE_SCALE,
                                     "filename": file_name(fig, key)}}


def _scale_font(font: Any, factor: float, fallback: float | None = None) -> None:
    size = font.size if font.size is not None else fallback
    if size is not None:
        font.size = round(size * factor, 1)


def enlarge(fig: go.Figure, font: float = PROJECTOR_FONT, line: float = PROJECTOR_LINE) -> go.Figure:
    """Larger text and thicker lines, in place: every font size the figure sets, and every trace's line."""
    layout = fig.layout
    _scale_font(layout.font, font, FONT_SIZE)
    _scale_font(layout.title.font, font)
    _scale_font(layout.legend.font, font)
    for annotation in layout.annotations:
        _scale_font(annotation.font, font)
    for axis in [*fig.select_xaxes(), *fig.select_yaxes()]:  # unset: Streamlit's chart theme would keep them small
        _scale_font(axis.tickfont, font, TICK_SIZE)
        _scale_font(axis.title.font, font, FONT_SIZE)
    if layout.height is not None:
        layout.height = round(layout.height * PROJECTOR_HEIGHT)
    for side in ("t", "b", "l"):  # the title and axis titles grew: their margins too, or a title meets a row label
        if layout.margin[side] is not None:
            layout.margin[side] = round(layout.margin[side] * font)
    if layout.legend.y is not None and layout.legend.y < 0 and layout.legend.yref in (None, "paper"):
        layout.legend.y = layout.legend.y * font  # a legend under the plot moves down as far as its axis title grew
    for trace in fig.data:
        trace_line = getattr(trace, "line", None)
        if trace_line is not None and "width" in trace_line:
            if trace_line.width is None:
                trace_line.width = LINE_WIDTH * line
            elif trace_line.width > 0:
                trace_line.width = trace_line.width * line
    return fig


def chart(fig: go.Figure, container: Any = None, **kwargs: Any) -> Any:
    """`st.plotly_chart(fig, **kwargs)` in `container` (default: here), with the download format, and enlarged in
    projector mode; returns what st.plotly_chart returns (the selection state with `on_select`)."""
    if session.projector():
        enlarge(fig)
    return (container or st).plotly_chart(fig, config=plotly_config(fig, kwargs.get("key")), **kwargs)


def history_csv(rows: Iterable[dict]) -> str:
    """Rows of metrics as CSV: one column per name any row has, in order of first appearance; blanks where a row
    lacks one (evaluations come every few logged steps)."""
    rows = list(rows)
    columns = list(dict.fromkeys(name for row in rows for name in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="", extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def history_download(job: Any, key: str) -> None:
    """A button that downloads the job's metrics so far as CSV; the rows are read at the click, not before."""
    st.download_button("Metrics as CSV", data=lambda: history_csv(list(job.history)), file_name=f"{key}-metrics.csv",
                       mime="text/csv", key=f"{key}_csv", icon=":material/download:", on_click="ignore",
                       help="Every logged step of this run: the loss terms, and the held-out numbers where evaluated.")
