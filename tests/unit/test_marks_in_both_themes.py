"""Every mark that is not data reads on the light theme's white and on the dark theme's #0e1117 (the prior
samples were black × that vanished on the dark theme): a line's colour, or a marker's fill or its rim, has at least
3:1 contrast (WCAG's bar for graphics) against each background. The palette's colours encode data (a digit's
label, an estimator); they are checked at 2:1 on both, the most a ten-colour palette keeps."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import ImageColor

from explorer.figures import PALETTE
from explorer.figures.bounds import bounds_figure, gap_history_figure
from explorer.figures.em import bound_figure
from explorer.figures.estimators import (
    bias_variance_figure,
    gradient_histograms,
    reparameterization_figure,
    simplex_figure,
)
from explorer.figures.latent import latent_map
from explorer.ui import hover_map

BACKGROUNDS = {"light": "#ffffff", "dark": "#0e1117"}  # Streamlit's themes
GRAPHICS, DATA = 3.0, 2.0


def rgba(colour: str) -> tuple[float, float, float, float]:
    """A CSS colour as (r, g, b) in 0–255 and an alpha in 0–1 (PIL reads names and hex, not a fractional alpha)."""
    if colour.replace(" ", "").startswith("rgba("):
        r, g, b, alpha = (float(v) for v in colour.strip()[5:-1].split(","))
        return r, g, b, alpha
    return (*ImageColor.getrgb(colour)[:3], 1.0)


def luminance(colour: str) -> float:
    channels = [c / 255 for c in rgba(colour)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(colour: str, background: str) -> float:
    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def opaque(colour) -> bool:
    """A single, opaque colour (translucent fills and guides are faint on purpose; arrays are data colours)."""
    return isinstance(colour, str) and rgba(colour)[3] == 1.0


def bar(colours: list[str]) -> float:
    """The contrast a mark needs: a data colour of the palette (with or without a rim) 2:1, anything else 3:1."""
    return DATA if any(c.lower() in PALETTE for c in colours) else GRAPHICS


def marks(fig: go.Figure) -> list[tuple[str, list[str]]]:
    """(what, colours any one of which must read) for every line and marker of the figure with a single colour."""
    found = []
    for trace in fig.data:
        mode = getattr(trace, "mode", None) or ""
        line = getattr(trace, "line", None)
        if "lines" in mode and line is not None and opaque(line.color):
            found.append((f"{trace.name}: line", [line.color]))
        marker = getattr(trace, "marker", None)
        if "markers" in mode and marker is not None:
            rimmed = marker.line and (marker.line.width or 0) >= 1 and opaque(marker.line.color)
            rim = [marker.line.color] if rimmed else []
            fill = [marker.color] if opaque(marker.color) and "open" not in str(marker.symbol) else []
            if fill or rim:
                found.append((f"{trace.name}: marker", fill + rim))
    found += [(f"shape {i}", [s.line.color]) for i, s in enumerate(fig.layout.shapes) if opaque(s.line.color)]
    return found


def figures() -> dict[str, go.Figure]:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(60, 2))
    taus = np.array([0.1, 1.0, 10.0])
    numbers = dict(bias=np.array([0.3, 0.2, 0.1]), stderr=np.full(3, 0.05), variance=np.array([1.0, 2.0, 3.0]))
    report = dict(taus=taus, n=100, exact=np.array([1.0, -1.0]), **{"straight-through": numbers, "REINFORCE": numbers})
    simplex = rng.dirichlet(np.ones(3), size=30)
    return {
        "latent map with prior samples and a path": latent_map(z, np.arange(60) % 10, (-3, 3, -3, 3),
                                                               path=z[:4], extra_points=z[:5]),
        "EM bound": bound_figure(["E1", "M1"], np.array([-2.0, -1.5]), np.array([-2.0, -1.8]), 0.3),
        "bounds ladder": bounds_figure(-100.0, {"ELBO": (-103.5, 0.1), "IWAE-100": (-100.8, 0.3)}),
        "gap history": gap_history_figure({"step": [1, 2], "heldout_log_px": [-5.0, -4.0],
                                           "heldout_elbo": [-6.0, -4.5]}),
        "reparameterization": reparameterization_figure(rng.normal(size=8), rng.normal(size=8), 1.0, 0.5),
        "gradient histograms": gradient_histograms({"pathwise": rng.normal(size=50)}, 0.0),
        "simplex": simplex_figure(simplex, np.array([0.5, 0.3, 0.2]), simplex.mean(0), simplex.argmax(1), 1.0),
        "bias and variance": bias_variance_figure(report, 1.0),
    }


@pytest.mark.parametrize("theme", BACKGROUNDS)
@pytest.mark.parametrize("name", list(figures()))
def test_every_mark_reads_on_both_backgrounds(name, theme):
    background = BACKGROUNDS[theme]
    faint = [(what, colours) for what, colours in marks(figures()[name])
             if max(contrast(c, background) for c in colours) < bar(colours)]
    assert not faint, f"{name} on the {theme} theme: {faint}"


def test_the_prior_samples_are_a_dark_cross_with_a_light_rim():
    fig = figures()["latent map with prior samples and a path"]
    prior = next(trace for trace in fig.data if trace.name.startswith("prior samples"))
    assert contrast(prior.marker.color, BACKGROUNDS["light"]) >= 7 and prior.marker.line.width >= 1.5
    assert contrast(prior.marker.line.color, BACKGROUNDS["dark"]) >= 7


def test_the_canvas_map_rims_its_prior_samples_in_white_under_black():
    """The Latent space page draws its maps on a canvas (`explorer.ui.hover_map`): each × is stroked twice, wide
    and white, then narrow and black, so it reads on either theme (it was one black stroke)."""
    assert "[['white', 4.5], ['black', 2]]" in hover_map.JS
