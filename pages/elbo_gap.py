"""ELBO and the gap: exact log p(x) for a 2-D latent, every bound, and KL(q ‖ p(z|x))."""

import streamlit as st

from explorer import bounds, likelihood
from explorer.ui import elbo_views, notes, pages, presets
from explorer.ui.code import show_code

pages.ensure_app_navigation()

st.title("The ELBO and its gap")
notes.show("elbo_gap", "main")

presets.use("elbo_gap")
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
