"""The class's answers next to the true result (issue 24, item 3, "predict, then reveal"), from a room's anonymous
tally (`explorer.classroom.questions.summary`): a choice as bars of counts with the true option marked, a slider as
the histogram of answers with a vertical line at the truth, a point question as the answers' dots with the truth as
a star on the question's box. The title says how many answered; the truth's label carries its unit.
"""

from __future__ import annotations

import plotly.graph_objects as go

from explorer.figures import FONT_SIZE, INK, LINE_WIDTH, PALETTE, base_layout

ANSWERS, TRUE = PALETTE[0], PALETTE[3]  # the class's marks, the truth's
HEIGHT = 300  # compact: it sits above the page on a projector
OPTION_CHARS = 28  # an option's label is wrapped at about this many characters a line


def answers_title(count: int, prompt: str = "") -> str:
    answered = f"{count} answer{'' if count == 1 else 's'}"
    return f"{prompt} · {answered}" if prompt else answered


def _wrapped(text: str, width: int = OPTION_CHARS) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join([*lines, line])


def choice_answers(options: list[str], counts: list[int], truth: int | None, truth_label: str = "") -> go.Figure:
    """Bars of counts, one per option; the true option's bar in the truth's colour and named 'true'."""
    colours = [TRUE if index == truth else ANSWERS for index in range(len(options))]
    fig = go.Figure(go.Bar(x=[_wrapped(option) for option in options], y=counts, marker_color=colours,
                           text=counts, textposition="outside", name="answers",
                           hovertemplate="%{x}: %{y} answers<extra></extra>"))
    if truth is not None:
        fig.add_annotation(x=_wrapped(options[truth]), y=max(counts, default=0), yshift=30, showarrow=False,
                           text=f"<b>true</b>{f': {truth_label}' if truth_label else ''}", font=dict(color=TRUE))
    fig.update_yaxes(title="answers", rangemode="tozero", range=[0, max(counts, default=0) * 1.3 + 1])
    return fig


def slider_answers(edges: list[float], counts: list[int], truth: float | None, unit: str,
                   truth_label: str = "") -> go.Figure:
    """The answers' histogram (bars over the bins' edges) and a vertical line at the truth, labelled with its
    value and unit."""
    centres = [(low + high) / 2 for low, high in zip(edges[:-1], edges[1:], strict=True)]
    widths = [high - low for low, high in zip(edges[:-1], edges[1:], strict=True)]
    fig = go.Figure(go.Bar(x=centres, y=counts, width=widths, marker_color=ANSWERS, name="answers",
                           marker_line=dict(color="white", width=1),
                           hovertemplate=f"%{{x:.3g}} {unit}: %{{y}} answers<extra></extra>"))
    if truth is not None:
        fig.add_vline(x=truth, line=dict(color=TRUE, width=LINE_WIDTH + 1),
                      annotation=dict(text=f"<b>true: {truth_label or f'{truth:.3g} {unit}'}</b>",
                                      font=dict(color=TRUE, size=FONT_SIZE)))
    fig.update_xaxes(title=unit, range=[edges[0], edges[-1]])
    fig.update_yaxes(title="answers", rangemode="tozero")
    fig.update_layout(bargap=0)
    return fig


def point_answers(points: list[list[float]], box: tuple[list[float], list[float]], truth: list[float] | None,
                  truth_label: str = "", axis_titles: tuple[str, str] = ("z₁", "z₂")) -> go.Figure:
    """The answers as dots on the question's box, the truth as a star."""
    fig = go.Figure(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="markers", name="answers",
                               marker=dict(color=ANSWERS, size=10, opacity=0.7)))
    if truth is not None:
        fig.add_trace(go.Scatter(x=[truth[0]], y=[truth[1]], mode="markers+text", name="true",
                                 text=[f"<b>true {truth_label}</b>"], textposition="top center",
                                 textfont=dict(color=TRUE),
                                 marker=dict(symbol="star", size=24, color=TRUE, line=dict(color="white", width=1.5))))
    fig.update_xaxes(title=axis_titles[0], range=list(box[0]), zeroline=True, zerolinecolor=INK)
    fig.update_yaxes(title=axis_titles[1], range=list(box[1]), zeroline=True, zerolinecolor=INK)
    return fig


def class_answers(tally: dict, truth_label: str = "", unit: str = "", prompt: str = "",
                  height: int = HEIGHT) -> go.Figure:
    """The figure for a room's tally (its kind decides); the truth drawn when the tally has one (revealed)."""
    kind, spec, truth = tally["kind"], tally["spec"], tally.get("truth")
    if kind == "choice":
        fig = choice_answers(spec["options"], tally["counts"], truth, truth_label)
    elif kind == "slider":
        fig = slider_answers(tally["histogram"]["edges"], tally["histogram"]["counts"], truth, unit, truth_label)
    else:
        fig = point_answers(tally["points"], (spec["x"], spec["y"]), truth, truth_label)
    fig = base_layout(fig, answers_title(tally["count"], prompt), height)
    fig.update_layout(showlegend=False)
    return fig
