"""ELBO and the gap: exact log p(x) for a 2-D latent, every bound, and KL(q ‖ p(z|x))."""

import streamlit as st

from explorer import bounds, likelihood
from explorer.ui import elbo_views, pages
from explorer.ui.code import show_code

pages.ensure_app_navigation()

st.title("The ELBO and its gap")
st.markdown("*A very bad estimate: what is the gap?* With a 2-D latent, log p(x) = log ∫ p(x|z) p(z) dz can be "
            "computed on a grid, so every bound and every gap below is exact, not estimated.")
st.latex(r"\log p(x) = \underbrace{\mathbb{E}_{q(z|x)}[\log p(x|z)] - \mathrm{KL}(q(z|x)\,\|\,p(z))}_{\text{ELBO}}"
         r" + \underbrace{\mathrm{KL}(q(z|x)\,\|\,p(z|x))}_{\text{gap}\ \ge\ 0}")

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
st.latex(r"\mathbb{E}_{p(z)}\log p(x|z)\ \le\ \text{ELBO}\ \le\ \mathcal{L}_K = "
         r"\mathbb{E}\Big[\log \tfrac{1}{K}\sum_{k=1}^{K} \tfrac{p(x, z_k)}{q(z_k|x)}\Big]\ \le\ \log p(x)")
elbo_views.bounds_view(model_name, x, numbers)
show_code(bounds.elbo, bounds.iwae_bound, bounds.naive_bound, bounds.gap)

st.subheader("The gap over training")
elbo_views.history_view(model_name)
