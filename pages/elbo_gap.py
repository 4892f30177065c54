"""ELBO and the gap: exact log p(x) for a 2-D latent, every bound, KL(q ‖ p(z|x)) and its two parts."""

import streamlit as st

from explorer import bounds, elbo_report, gap, likelihood
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
