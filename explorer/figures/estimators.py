"""Figures of the gradient-estimator pages: z = μ + σ·ε, estimator histograms, variance against the
number of samples, Gumbel-max frequencies, Gumbel-softmax samples on the simplex, bias and variance
against the temperature. Arrays in, `go.Figure` out.

Each figure is built in one `go.Figure(data, layout)` call from plain dicts: Plotly validates every
`add_trace`, `add_vline` and `make_subplots` change separately, which cost 20–100 ms a figure, a large
part of the 200 ms a slider move may take.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explorer.figures import FONT_SIZE, INK, LINE_WIDTH, MARK, PALETTE, base_layout

ESTIMATOR_COLOURS = {"pathwise": PALETTE[0], "score function": PALETTE[3], "score + baseline": PALETTE[1],
                     "REINFORCE": PALETTE[3], "straight-through": PALETTE[4], "Gumbel-softmax": PALETTE[0],
                     "straight-through Gumbel": PALETTE[2]}
FLAT = ("REINFORCE",)  # no temperature: drawn as a dashed flat line
VARIANCE_DECADES = 7  # the variance axis spans at most this many powers of 10 below the largest variance
RING = dict(size=20, color="rgba(0,0,0,0)")


def _normal_pdf(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))


def _translucent(colour: str, alpha: float = 0.2) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _rows(titles: Sequence[str], gap: float = 0.09, **xaxis) -> tuple[dict, list[dict]]:
    """Axes for rows that share one x axis (the first title on top), as plain layout dicts; returns the
    layout and, per row, the `xaxis`/`yaxis` a trace needs. Only the bottom row shows x tick labels."""
    n = len(titles)
    height = (1 - gap * (n - 1)) / n
    layout, refs = {"annotations": []}, []
    for row, title in enumerate(titles):
        suffix = "" if row == n - 1 else str(n - row)  # the bottom row owns the first axes
        top = 1 - row * (height + gap)
        layout[f"xaxis{suffix}"] = dict(anchor=f"y{suffix}", showticklabels=not suffix, **xaxis,
                                        **({"matches": "x"} if suffix else {}))
        layout[f"yaxis{suffix}"] = dict(anchor=f"x{suffix}", domain=[max(0.0, top - height), top])
        layout["annotations"].append(dict(text=title, x=0.5, y=top, xref="paper", yref="paper", xanchor="center",
                                          yanchor="bottom", showarrow=False, font=dict(size=FONT_SIZE)))
        refs.append({"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"})
    return layout, refs


def reparameterization_figure(eps: np.ndarray, z: np.ndarray, mu: float, sigma: float,
                              x_range: tuple[float, float] = (-8.0, 8.0), height: int = 420) -> go.Figure:
    """ε on the lower row, z = μ + σε on the upper row, a line from each ε to its z; each row's density
    drawn beside it (N(0, 1) below the ε row, N(μ, σ²) above the z row), scaled to the same height."""
    x = np.linspace(*x_range, 400)
    dots = dict(size=11, line=dict(width=1, color="white"))
    data = [go.Scatter(x=x, y=-0.6 * _normal_pdf(x, 0, 1) / _normal_pdf(0, 0, 1), mode="lines", fill="tozeroy",
                       name="N(0, 1)", line=dict(color=PALETTE[0], width=2), hoverinfo="skip"),
            go.Scatter(x=x, y=1 + 0.6 * _normal_pdf(x, mu, sigma) / _normal_pdf(mu, mu, sigma), mode="lines",
                       fill="toself", name="N(μ, σ²)", line=dict(color=PALETTE[1], width=2), hoverinfo="skip"),
            go.Scatter(x=np.stack([eps, z, np.full_like(eps, np.nan)], 1).ravel(), name="ε ↦ z",
                       y=np.tile([0.0, 1.0, np.nan], len(eps)), mode="lines", hoverinfo="skip",
                       line=dict(color="rgba(127,127,127,0.5)", width=1.5)),
            go.Scatter(x=eps, y=np.zeros_like(eps), mode="markers", name="ε", marker=dict(color=PALETTE[0], **dots),
                       hovertemplate="ε = %{x:.2f}<extra></extra>"),
            go.Scatter(x=z, y=np.ones_like(z), mode="markers", name="z", marker=dict(color=PALETTE[1], **dots),
                       hovertemplate="z = %{x:.2f}<extra></extra>"),
            go.Scatter(x=[mu, mu], y=[0.85, 1.65], mode="lines", name="μ",
                       line=dict(color=INK, width=LINE_WIDTH, dash="dot"))]
    layout = dict(showlegend=False, xaxis=dict(range=list(x_range), title="value", zeroline=False),
                  yaxis=dict(tickvals=[0, 1], ticktext=["ε ~ N(0, 1)", "z = μ + σ·ε"], range=[-0.7, 1.7],
                             zeroline=False))
    return base_layout(go.Figure(data, layout), f"The same ε, moved by μ = {mu:g} and stretched by σ = {sigma:g}",
                       height)


def _common_range(samples: dict[str, np.ndarray], exact: float) -> tuple[float, float]:
    """The central 98% of all samples, widened to show the exact value and never empty."""
    pooled = np.concatenate(list(samples.values()))
    low, high = np.quantile(pooled, [0.01, 0.99])
    low, high = min(low, exact), max(high, exact)
    pad = 0.05 * (high - low) if high > low else 0.5 + 0.1 * abs(exact)
    return float(low - pad), float(high + pad)


def _vline(x: float, ref: dict, colour: str, dash: str) -> dict:
    return dict(type="line", x0=x, x1=x, y0=0, y1=1, xref=ref["xaxis"], yref=f"{ref['yaxis']} domain",
                line=dict(color=colour, width=LINE_WIDTH, dash=dash))


def gradient_histograms(samples: dict[str, np.ndarray], exact: float, title: str = "", bins: int = 80,
                        height: int = 520) -> go.Figure:
    """One histogram row per estimator over the same axis (per-sample estimates, pre-binned), the exact
    gradient as a grey dotted line in every row and each estimator's mean as a dashed line in its row."""
    names = list(samples)
    edges = np.linspace(*_common_range(samples, exact), bins + 1)
    centres, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
    layout, refs = _rows(names, gap=0.07)
    data, shapes = [], []
    for name, ref in zip(names, refs, strict=True):
        values = samples[name]
        counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), edges)
        colour = ESTIMATOR_COLOURS.get(name, PALETTE[len(data) % len(PALETTE)])
        data.append(go.Bar(x=centres, y=counts / len(values), width=width, marker_color=colour, name=name,
                           hovertemplate="%{x:.3g}: %{y:.1%}<extra>" + name + "</extra>", **ref))
        shapes += [_vline(float(values.mean()), ref, colour, "dash"), _vline(exact, ref, INK, "dot")]
        layout[ref["yaxis"].replace("y", "yaxis")].update(title="share", tickformat=".0%")
    layout["xaxis"]["title"] = "per-sample gradient estimate (values beyond the axis are piled at its ends)"
    fig = go.Figure(data, dict(layout, shapes=shapes, showlegend=False, bargap=0))
    return base_layout(fig, title, height)


def variance_figure(sizes: np.ndarray, measured: dict[str, np.ndarray], per_sample: dict[str, float],
                    title: str = "", height: int = 420) -> go.Figure:
    """Variance of the N-sample average against N on log–log axes: measured points, and v/N lines for the
    per-sample variance v (slope −1: ten times the samples, a tenth of the variance)."""
    data = []
    for i, (name, values) in enumerate(measured.items()):
        colour = ESTIMATOR_COLOURS.get(name, PALETTE[i % len(PALETTE)])
        data += [go.Scatter(x=sizes, y=per_sample[name] / sizes, mode="lines", name=f"{name}: v/N",
                            line=dict(color=colour, width=2, dash="dash"), legendgroup=name),
                 go.Scatter(x=sizes, y=values, mode="markers", name=f"{name}: measured",
                            marker=dict(color=colour, size=11), legendgroup=name)]
    layout = dict(xaxis=dict(type="log", title="samples N averaged"),
                  yaxis=dict(type="log", title="variance of the estimate", exponentformat="power"))
    return base_layout(go.Figure(data, layout), title, height)


def gumbel_max_figure(probs: np.ndarray, counts: np.ndarray, height: int = 400) -> go.Figure:
    """Frequencies of the Gumbel-max samples as bars, the target p as diamonds with ±2 standard errors
    √(p(1 − p)/n): where about 95% of the bars should end."""
    n = counts.sum()
    labels = [f"k = {i + 1}" for i in range(len(probs))]
    data = [go.Bar(x=labels, y=counts / n, name="frequency of argmax(θ + g)", marker_color=PALETTE[0],
                   text=[f"{c / n:.3f}" for c in counts], textposition="inside", insidetextanchor="start"),
            go.Scatter(x=labels, y=probs, mode="markers", name="p = softmax(θ) ± 2 s.e.",
                       marker=dict(symbol="diamond", size=16, color=PALETTE[1], line=dict(width=1, color="black")),
                       error_y=dict(type="data", array=2 * np.sqrt(probs * (1 - probs) / n), thickness=LINE_WIDTH,
                                    width=10, color=PALETTE[1]))]
    layout = dict(yaxis=dict(title="probability", rangemode="tozero"), legend=dict(orientation="h", y=-0.15))
    return base_layout(go.Figure(data, layout), f"{int(n):,} Gumbel-max samples against p", height)


def convergence_figure(sizes: np.ndarray, tv: np.ndarray, current: int, height: int = 400) -> go.Figure:
    """Total-variation distance of the frequencies to p against the sample count (log–log), a 1/√N guide."""
    guide = np.mean(tv * np.sqrt(sizes)) / np.sqrt(sizes)
    at = int(np.argmin(np.abs(sizes - current)))
    data = [go.Scatter(x=sizes, y=guide, mode="lines", name="∝ 1/√N",
                       line=dict(color=PALETTE[7], width=2, dash="dash")),
            go.Scatter(x=sizes, y=tv, mode="lines+markers", name="½ Σ |frequency − p|",
                       line=dict(color=PALETTE[0], width=LINE_WIDTH), marker=dict(size=9)),
            go.Scatter(x=[sizes[at]], y=[tv[at]], mode="markers", name=f"N = {sizes[at]:,}",
                       marker=dict(**RING, line=dict(width=3, color=PALETTE[3])))]
    layout = dict(xaxis=dict(type="log", title="samples N"), legend=dict(orientation="h", y=-0.2),
                  yaxis=dict(type="log", title="total-variation distance", exponentformat="power"))
    return base_layout(go.Figure(data, layout), "Frequencies converge to p", height)


def simplex_figure(samples: np.ndarray, probs: np.ndarray, mean: np.ndarray, category: np.ndarray, tau: float,
                   height: int = 520) -> go.Figure:
    """Gumbel-softmax samples of a 3-category variable on the simplex (a ternary plot), coloured by the
    category their argmax picks; p = softmax(θ) as a star and the samples' mean as an open diamond."""
    data = []
    for k in range(3):
        chosen = samples[category == k]
        data.append(go.Scatterternary(a=chosen[:, 0], b=chosen[:, 1], c=chosen[:, 2], mode="markers", cliponaxis=False,
                                      name=f"argmax = {k + 1}", marker=dict(size=6, color=PALETTE[k], opacity=0.6),
                                      hovertemplate="y = (%{a:.2f}, %{b:.2f}, %{c:.2f})<extra></extra>"))
    for point, name, marker in ((mean, "mean of the samples", dict(symbol="diamond-open", size=22, color=INK,
                                                                    line=dict(width=3, color=INK))),
                                (probs, "p = softmax(θ)", dict(symbol="star", size=18, **MARK))):
        data.append(go.Scatterternary(a=[point[0]], b=[point[1]], c=[point[2]], mode="markers", name=name,
                                      marker=marker))
    axis = dict(min=0, linewidth=2, ticks="outside", tickformat=".1f")
    layout = dict(ternary=dict(sum=1, bgcolor="rgba(0,0,0,0)", aaxis=dict(title="k = 1", **axis),
                               baxis=dict(title="k = 2", **axis), caxis=dict(title="k = 3", **axis)),
                  legend=dict(orientation="h", y=-0.08))
    fig = base_layout(go.Figure(data, layout), f"Gumbel-softmax samples at τ = {tau:g}", height)
    return fig.update_layout(margin=dict(l=60, r=60, t=110, b=60))


def _estimator_traces(name: str, numbers: dict, taus: np.ndarray, at: int, refs: list[dict]) -> list:
    """One estimator's bias (with ±2 s.e.: error bars around it, or, for a flat one, a band around 0 that its
    bias lies in when no bias is measurable) and variance curves, and rings at the current τ."""
    colour, flat = ESTIMATOR_COLOURS[name], name in FLAT
    style = dict(mode="lines" if flat else "lines+markers", legendgroup=name, marker=dict(size=8),
                 line=dict(color=colour, width=LINE_WIDTH, dash="dash" if flat else "solid"))
    bias, spread = numbers["bias"], 2 * numbers["stderr"]
    traces = []
    if flat:
        # centred on 0, not on the bias: "the bias stays in its band" would be true by construction otherwise
        traces += [go.Scatter(x=taus, y=edge, mode="lines", line=dict(width=0), fill=fill, name=f"{name} ±2 s.e.",
                              fillcolor=_translucent(colour), legendgroup=name, showlegend=False, hoverinfo="skip",
                              **refs[0]) for edge, fill in ((spread, None), (-spread, "tonexty"))]
    traces += [go.Scatter(x=taus, y=bias, name=name, **style, **refs[0],
                          error_y=dict(type="data", array=spread, visible=not flat, color=colour)),
               go.Scatter(x=taus, y=numbers["variance"], name=name, showlegend=False, **style, **refs[1])]
    traces += [go.Scatter(x=[taus[at]], y=[numbers[key][at]], mode="markers", showlegend=False, hoverinfo="skip",
                          marker=dict(**RING, line=dict(width=3, color=colour)), **ref)
               for key, ref in zip(("bias", "variance"), refs, strict=True)]
    return traces


def _variance_range(report: dict) -> list[float]:
    """log10 bounds of the variance axis: the estimators' variances, cut VARIANCE_DECADES below the largest."""
    variances = np.concatenate([report[name]["variance"] for name in ESTIMATOR_COLOURS if name in report])
    top = np.log10(variances.max())
    bottom = max(np.log10(variances[variances > 0].min()), top - VARIANCE_DECADES)
    return [float(bottom) - 0.2, float(top) + 0.2]


def bias_variance_figure(report: dict, current_tau: float, height: int = 660) -> go.Figure:
    """Bias ‖E ĝ − ∇‖ on a linear axis (0 is unbiased), with ±2 standard errors: how far an unbiased
    estimator's measured bias lands by chance; below it, the per-sample variance tr Cov ĝ on a log axis of at
    most VARIANCE_DECADES decades (straight-through's variance at τ = 0.01 is 1e-83: its soft code is one-hot).
    τ is on a log axis and the current τ is ringed. REINFORCE has no temperature: a dashed flat line, with the
    band ±2 s.e. around 0. The dotted line ‖exact gradient‖ is where the bias is as large as the gradient."""
    taus = report["taus"]
    layout, refs = _rows((f"bias against the exact gradient ({report['n']:,} samples)", "variance per sample"),
                         gap=0.1, type="log")
    at = int(np.argmin(np.abs(np.log(taus) - np.log(current_tau))))
    norm = float(np.linalg.norm(report["exact"]))
    data = [go.Scatter(x=taus, y=np.full_like(taus, norm), mode="lines", name="‖exact gradient‖",
                       line=dict(color=INK, width=2, dash="dot"), **refs[0])]
    for name in ESTIMATOR_COLOURS:
        if name in report:
            data += _estimator_traces(name, report[name], taus, at, refs)
    layout["xaxis"]["title"] = "temperature τ"
    layout["yaxis2"].update(title="‖mean − exact‖", rangemode="tozero")
    layout["yaxis"].update(type="log", title="tr Cov", exponentformat="power", range=_variance_range(report))
    fig = go.Figure(data, dict(layout, legend=dict(orientation="h", yanchor="top", y=-0.14, x=0)))
    base_layout(fig, f"Bias and variance against τ (τ = {taus[at]:g} ringed)", height)
    return fig.update_layout(margin=dict(b=120))
