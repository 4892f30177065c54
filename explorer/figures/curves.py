"""Training curves from a metric history (a list of dict rows with a "step" key).

The loss and its terms are minimised and positive (~+150 nats on MNIST); the ELBO is maximised and negative
(~−150): on one axis each is squashed to a flat line. So the loss terms get the upper axis and the ELBO an axis of
its own below, sharing the steps. A history's keys (`test_elbo`, `recon`) are column names, not words: every
trace is named in words with its unit ("held-out ELBO (nats per sample)"). A knob moved during the run is a
labelled vertical rule at its step ("β 1 → 8", `knob_rules`).
"""

from __future__ import annotations

import plotly.graph_objects as go

from explorer.figures import LINE_WIDTH, PALETTE, base_layout
from explorer.figures.knob_rules import add_knob_rules, with_knob_rules

NAMES = {  # a history's column -> what a legend calls it
    "loss": "training loss",
    "recon": "reconstruction",
    "kl": "KL(q ‖ p)",
    "elbo": "ELBO",
    "test_loss": "held-out loss",
    "test_recon": "held-out reconstruction",
    "test_kl": "held-out KL(q ‖ p)",
    "test_elbo": "held-out ELBO",
    "nats_per_token": "training NLL",
    "test_nats_per_token": "held-out NLL",
}
ELBO_KEYS = ("elbo", "test_elbo")  # maximised, negative: an axis of their own
ELBO_ROW_PX = 160  # what a figure grows by when the ELBO gets its own axis
GAP = 0.12  # between the two axes, as a share of the plot's height


def curve_name(key: str, unit: str) -> str:
    """A legend's words for a history column, with the unit: "held-out ELBO (nats per sample)"."""
    words = NAMES.get(key) or key.replace("test_", "held-out ").replace("_", " ")
    return f"{words} ({unit})"


def _traces(history: list[dict], keys: tuple[str, ...], unit: str) -> list[go.Scatter]:
    traces = []
    for i, key in enumerate(keys):
        rows = [r for r in history if key in r]
        if rows:
            axis = {"yaxis": "y2"} if key in ELBO_KEYS else {}
            traces.append(go.Scatter(x=[r["step"] for r in rows], y=[r[key] for r in rows], name=curve_name(key, unit),
                                     mode="lines+markers" if len(rows) < 30 else "lines", meta=key,
                                     line=dict(width=LINE_WIDTH, color=PALETTE[i % len(PALETTE)]), **axis))
    return traces


def training_curves(history: list[dict], keys: tuple[str, ...], title: str = "", height: int = 320,
                    yaxis_title: str = "nats per sample") -> go.Figure:
    """One line per key present in the rows, against the step, named in words with the unit `yaxis_title`; the
    ELBO, if any, on its own axis under the loss terms (`yaxis2`), the figure taller by ELBO_ROW_PX; a rule at each
    step where a knob set by hand changed (`knob_rules.knob_changes`)."""
    traces = _traces(history, keys, yaxis_title)
    split = any(t.meta in ELBO_KEYS for t in traces) and any(t.meta not in ELBO_KEYS for t in traces)
    layout = dict(xaxis=dict(title="step"), yaxis=dict(title=yaxis_title),
                  legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.0, x=0))
    if split:
        layout["yaxis"]["domain"] = [0.5 + GAP / 2, 1.0]
        layout["yaxis2"] = dict(title=yaxis_title, domain=[0.0, 0.5 - GAP / 2], anchor="x")
        layout["xaxis"]["anchor"] = "y2"
        height += ELBO_ROW_PX
    else:
        for trace in traces:
            trace.yaxis = "y"
    legend_px = 22 * len(traces)  # at most one entry a row, under the axis title
    fig = base_layout(go.Figure(traces, layout), title, height + legend_px)
    return with_knob_rules(fig.update_layout(margin=dict(b=75 + legend_px)), history)


DASHES = ("solid", "dot", "dash")  # a run's colour, a term's dash


def compare_runs(runs: list[tuple[str, list[dict]]], keys: tuple[str, ...], branch_step: int, branch_label: str,
                 title: str = "", height: int = 300, unit: str = "nats per sample") -> go.Figure:
    """A|B: two (or more) runs' `keys` against the step on one chart, a colour per run ("A: β 1") and a dash per term,
    and a rule at `branch_step` labelled `branch_label` ("B branches: β 1 → 8"), where the runs part."""
    traces = []
    for i, (run, history) in enumerate(runs):
        for j, key in enumerate(keys):
            rows = [r for r in history if key in r]
            traces.append(go.Scatter(x=[r["step"] for r in rows], y=[r[key] for r in rows], mode="lines",
                                     name=f"{run}: {curve_name(key, unit)}", meta=(run, key),
                                     line=dict(width=LINE_WIDTH, color=PALETTE[i % len(PALETTE)],
                                               dash=DASHES[j % len(DASHES)])))
    legend_px = 22 * len(traces)
    layout = dict(xaxis=dict(title="step"), yaxis=dict(title=unit),
                  legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.0, x=0),
                  margin=dict(b=75 + legend_px))
    fig = base_layout(go.Figure(traces, layout), title, height + legend_px)
    return add_knob_rules(fig, [(branch_step, branch_label)])
