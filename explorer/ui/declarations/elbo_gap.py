"""The ELBO and the gap page: exact log p(x) for a 2-D latent, every bound, KL(q ‖ p(z|x)) and its two parts.

Its one view is made of sections, each followed by the code that computed it, so it shows its code itself."""

from __future__ import annotations

import streamlit as st

from explorer.analysis import elbo_report
from explorer.maths import bounds, gap, likelihood
from explorer.ui import pages
from explorer.ui.code import show_code
from explorer.ui.declarations.shared import HELD_OUT_MAX
from explorer.ui.declare import MAIN, PageSpec, TabSpec
from explorer.ui.state import Choice, Knob, Range
from explorer.ui.views import elbo_gap as elbo_views

MNIST_GAP, MOONS_GAP = "mnist-vae-2d", "moons-vae-2d"


def main_view() -> None:
    model_name = pages.pretrained_picker(elbo_views.MODELS, key="gap_model")
    left, right = st.columns([1, 2])
    with left:
        x = elbo_views.pick_input(model_name)
    if x is None:
        st.stop()  # an empty canvas: the hint is on screen
    numbers = elbo_views.exact_numbers(model_name, elbo_views.input_key(x))
    with right:
        elbo_views.posterior_view(model_name, numbers)
        show_code(likelihood.log_marginal, likelihood.posterior_grid)

    st.subheader("Bounds on log p(x)")
    # what always holds: IWAE-K is between the ELBO and log p(x); the naive bound is below log p(x), but not
    # necessarily below the ELBO (it is the ELBO of q = p(z), and an encoder's q can be worse)
    st.latex(r"\text{ELBO}\ \le\ \mathcal{L}_K = \mathbb{E}\Big[\log \tfrac{1}{K}\sum_{k=1}^{K} "
             r"\tfrac{p(x, z_k)}{q(z_k|x)}\Big]\ \le\ \log p(x), \qquad \mathbb{E}_{p(z)}\log p(x|z)\ \le\ \log p(x)")
    elbo_views.bounds_view(model_name, x, numbers)
    show_code(bounds.elbo, bounds.iwae_bound, bounds.naive_bound, bounds.gap, elbo_report.iwae_estimate)

    st.subheader("The gap, decomposed")
    st.latex(r"\log p(x) - \text{ELBO}(q) = \underbrace{\log p(x) - \text{ELBO}(q^*)}_{\text{approximation gap}}"
             r" + \underbrace{\text{ELBO}(q^*) - \text{ELBO}(q)}_{\text{amortization gap}}")
    elbo_views.split_view(model_name, numbers)
    show_code(gap.decompose, gap.fit, gap.gaussian_elbo)

    st.subheader("The gap over training")
    elbo_views.history_view(model_name)


def gap_knobs() -> dict[str, Knob]:
    """Each model keeps its own input and K (the keys name the model)."""
    knobs: dict[str, Knob] = {"gap_model": Choice(tuple(elbo_views.MODELS), MNIST_GAP),
                              f"gap_source_{MNIST_GAP}": Choice(("held-out", "drawn"), "held-out")}
    for model in elbo_views.MODELS:
        knobs[f"gap_index_{model}"] = Range(0, HELD_OUT_MAX, 1, 0)
        knobs[f"gap_k_{model}"] = Choice(elbo_views.K_CHOICES, 100)
    return knobs


# Indices found with elbo_report.report on the shipped 2-D VAEs: MNIST's held-out image 13 has a gap of 0.05 nats,
# image 18 one of 79 nats (IWAE-5000 narrows it to 31); the moons' point 8 has the largest gap of the first 40
# (3.5 nats).
PAGE = PageSpec(
    stem="elbo_gap", title="ELBO and the gap", heading="The ELBO and its gap", icon=":material/stacked_line_chart:",
    section="The evidence lower bound", idea="ELBO and its gap",
    summary="Exact log p(x), the naive bound, the ELBO, IWAE-K and the gap KL(q ‖ p(z|x)).",
    tabs=(TabSpec(MAIN, main_view, MAIN),),
    knobs=gap_knobs(),
    presets={
        "A tight bound": {f"gap_index_{MNIST_GAP}": 102},  # binarised: a gap of 0.05 nats
        "A loose bound (large gap)": {f"gap_index_{MNIST_GAP}": 18},  # binarised: 172 nats
        "IWAE-5000 narrows a large gap": {f"gap_index_{MNIST_GAP}": 18, f"gap_k_{MNIST_GAP}": 5000},
        "K = 1: IWAE is the ELBO": {f"gap_index_{MNIST_GAP}": 18, f"gap_k_{MNIST_GAP}": 1},
        "Two moons: a curved posterior": {"gap_model": MOONS_GAP, f"gap_index_{MOONS_GAP}": 8},
        "Draw your own digit": {f"gap_source_{MNIST_GAP}": "drawn"},
    },
)
