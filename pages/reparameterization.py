"""The reparameterization trick: z = μ + σ·ε, and the pathwise against the score-function gradient."""

import streamlit as st

from explorer import estimators
from explorer.ui import estimator_views as views
from explorer.ui import notes, pages, presets
from explorer.ui.code import show_code

pages.ensure_app_navigation()

st.title("The reparameterization trick")
st.markdown("The ELBO needs the gradient of an expectation over q, but sampling is not differentiable. "
            "Two ways out: write the sample as **z = μ + σ·ε** and differentiate through it (the *pathwise*, "
            "reparameterized gradient, Kingma & Welling 2014), or differentiate only the density, "
            "through **∇ log q** (the *score function*, REINFORCE, Williams 1992). Both are unbiased; "
            "their variances differ by orders of magnitude.")
st.latex(r"\nabla_\phi\, \mathbb{E}_{q_\phi(z)}[f(z)]"
         r" = \mathbb{E}_{\varepsilon\sim\mathcal{N}(0,1)}\big[\nabla_\phi f(\mu + \sigma\varepsilon)\big]"
         r" = \mathbb{E}_{q_\phi(z)}\big[f(z)\,\nabla_\phi \log q_\phi(z)\big],\qquad \phi = (\mu, \sigma)")

presets.use("reparameterization")
cols = st.columns([2, 2, 3, 2])
mu = cols[0].slider("μ", -2.0, 2.0, 0.5, 0.1, key="rep_mu")
sigma = cols[1].slider("σ", 0.1, 2.0, 0.8, 0.05, key="rep_sigma")
kind = cols[2].radio("f(z)", tuple(views.OBJECTIVES), format_func=views.OBJECTIVES.get, horizontal=True,
                     key="rep_objective")
component = cols[3].radio("gradient with respect to", tuple(views.COMPONENTS), horizontal=True, key="rep_param")
with cols[3]:
    seed = views.seed_button("New ε", key="rep_seed")

flow, estimates, variance = st.tabs(["z = μ + σ·ε", "One-sample gradient estimates", "Variance and sample size"])
with flow:
    notes.show("reparameterization", "z = μ + σ·ε")
    views.flow_view(mu, sigma, seed)
    show_code(estimators.standard_normal, estimators.reparameterize)
with estimates:
    notes.show("reparameterization", "One-sample gradient estimates")
    views.estimator_view(kind, mu, sigma, component, seed)
    show_code(estimators.pathwise, estimators.score_function, estimators.baseline)
with variance:
    notes.show("reparameterization", "Variance and sample size")
    views.variance_view(kind, mu, sigma, component)
    show_code(estimators.variance_by_sample_size, estimators.gaussian_estimates)
presets.publish("reparameterization")  # "New ε" changed the seed in this run
