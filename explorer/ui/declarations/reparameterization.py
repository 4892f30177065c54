"""The Reparameterization page: z = μ + σ·ε, and the pathwise against the score-function gradient."""

from __future__ import annotations

from typing import NamedTuple

import streamlit as st

from explorer.maths import estimators
from explorer.ui.declarations.shared import SEED, slider
from explorer.ui.declare import PageSpec, TabSpec, latex, markdown
from explorer.ui.state import Choice, Range
from explorer.ui.views import estimators as views

INTRO = (markdown("The ELBO needs the gradient of an expectation over q, but sampling is not differentiable. "
                  "Two ways out: write the sample as **z = μ + σ·ε** and differentiate through it (the "
                  "*pathwise*, reparameterized gradient, Kingma & Welling 2014), or differentiate only the "
                  "density, through **∇ log q** (the *score function*, REINFORCE, Williams 1992). Both are "
                  "unbiased; their variances differ by orders of magnitude."),
         latex(r"\nabla_\phi\, \mathbb{E}_{q_\phi(z)}[f(z)]"
               r" = \mathbb{E}_{\varepsilon\sim\mathcal{N}(0,1)}\big[\nabla_\phi f(\mu + \sigma\varepsilon)\big]"
               r" = \mathbb{E}_{q_\phi(z)}\big[f(z)\,\nabla_\phi \log q_\phi(z)\big],\qquad \phi = (\mu, \sigma)"))

MU = Range(-2.0, 2.0, 0.1, 0.5)
SIGMA = Range(0.1, 2.0, 0.05, 0.8)
ESTIMATES = "One-sample gradient estimates"  # the second tab's label


class Gaussian(NamedTuple):
    """What every tab reads from the widgets above the tabs: q = N(μ, σ²), the objective f, the parameter the
    gradient is taken in, the draw."""

    mu: float
    sigma: float
    kind: str  # a key of estimator_views.OBJECTIVES
    component: str  # "μ" or "σ"
    seed: int


def gaussian_header() -> Gaussian:
    """μ, σ, f and the parameter in one row, with the "New ε" button."""
    cols = st.columns([2, 2, 3, 2])
    mu = slider("μ", "rep_mu", MU, cols[0])
    sigma = slider("σ", "rep_sigma", SIGMA, cols[1])
    kind = cols[2].radio("f(z)", tuple(views.OBJECTIVES), format_func=views.OBJECTIVES.get, horizontal=True,
                         key="rep_objective")
    component = cols[3].radio("gradient with respect to", tuple(views.COMPONENTS), horizontal=True, key="rep_param")
    with cols[3]:
        seed = views.seed_button("New ε", key="rep_seed")
    return Gaussian(mu, sigma, kind, component, seed)


PAGE = PageSpec(
    intro=INTRO,
    stem="reparameterization", title="Reparameterization", heading="The reparameterization trick",
    icon=":material/shuffle:", section="The evidence lower bound", idea="Reparameterization",
    summary="z = μ + σ·ε live; pathwise against score-function gradients and their variance.",
    header=gaussian_header,
    tabs=(TabSpec("z = μ + σ·ε", lambda g: views.flow_view(g.mu, g.sigma, g.seed), "flow",
                  code=(estimators.standard_normal, estimators.reparameterize)),
          TabSpec(ESTIMATES,
                  lambda g: views.estimator_view(g.kind, g.mu, g.sigma, g.component, g.seed), "estimates",
                  code=(estimators.pathwise, estimators.score_function, estimators.baseline)),
          TabSpec("Variance and sample size", lambda g: views.variance_view(g.kind, g.mu, g.sigma, g.component),
                  "variance", code=(estimators.variance_by_sample_size, estimators.gaussian_estimates))),
    publish=True,  # "New ε" changes the seed in the run
    tab_key="rep_tab",
    knobs={
        "rep_mu": MU,
        "rep_sigma": SIGMA,
        "rep_objective": Choice(tuple(views.OBJECTIVES), "square"),
        "rep_param": Choice(tuple(views.COMPONENTS), "μ"),
        "rep_seed": SEED,
    },
    presets={  # each opens the tab that shows the estimators it is about
        "Score function blows up": {"rep_tab": ESTIMATES, "rep_mu": 2.0, "rep_sigma": 0.1},
        "Step objective: pathwise gives 0": {"rep_tab": ESTIMATES, "rep_objective": "step"},
        "sin z: the baseline adds variance": {"rep_tab": ESTIMATES, "rep_objective": "sin", "rep_mu": 1.5},
        "Gradient in σ": {"rep_tab": ESTIMATES, "rep_param": "σ", "rep_sigma": 1.5},
    },
)
