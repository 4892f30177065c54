"""Exercises: the lecture's three exercises, worked step by step and checked live."""

import streamlit as st

from explorer.ui import exercise_views as views
from explorer.ui import pages
from explorer.ui.estimator_views import seed_button

pages.ensure_app_navigation()

DEFAULT_LOGITS = (1.0, 0.0, -0.5, 0.5, -1.0)

st.title("Exercises")
st.markdown("The lecture's exercises, worked out. Every step shows its value for **your** numbers, and every "
            "result is checked against an independent computation: a Monte-Carlo estimate, "
            "`torch.distributions`, a trained model, or samples with a χ² test.")

kl_tab, vq_tab, gumbel_tab = st.tabs(["Analytic KL of a Gaussian", "The VQ-VAE's KL is a constant",
                                      "Gumbel-max is distributed as p"])

with kl_tab:
    st.markdown("**Exercise.** Show that KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σⱼ (μⱼ² + σⱼ² − 1 − log σⱼ²): the "
                "KL term a Gaussian encoder pays, in closed form, with no sampling.")
    mu, sigma = views.gaussian_sliders()
    # seed 0's 10,000 draws miss the closed form by 3 standard errors for the default sliders, a fair draw
    # but a confusing first view; seed 1's is typical. "New draws" shows how the estimate varies.
    kl_seed = seed_button("New draws", key="kl_seed", start=1)
    views.derivation_view(mu, sigma, kl_seed)
    st.divider()
    views.expression_view(mu, sigma)

with vq_tab:
    st.markdown("**Exercise.** With a deterministic one-hot q(k|x) and a uniform prior p(k) = 1/K over the K "
                "codes, the KL term of the ELBO is log K at every code position, whatever x is: a constant, so "
                "the VQ-VAE's loss leaves it out.")
    cols = st.columns(2)
    k = cols[0].select_slider("codebook size K", views.K_CHOICES, value=16, key="vq_k")
    temperature = cols[1].select_slider("temperature T of a soft q", views.TEMPERATURES, value=0.1,
                                        format_func=lambda t: f"{t:g}", key="vq_temperature")
    views.one_hot_view(k)
    st.subheader("A soft q is not constant")
    views.soft_view(k, temperature)
    st.subheader("Checked on the shipped MNIST VQ-VAE")
    views.model_view(temperature)
    views.hint("raise T: q spreads over more codes, H(q) grows and the KL falls below log K, by a different "
               "amount for every input. Lower T: every input approaches the one-hot value.")

with gumbel_tab:
    st.markdown("**Exercise.** Show that k = argmax_i (θᵢ + gᵢ), with gᵢ i.i.d. standard Gumbel, is distributed "
                "as p = softmax(θ). Then: the Gumbel-softmax relaxation approaches it as τ → 0.")
    top = st.columns([1, 2, 1])
    n_logits = top[0].select_slider("categories", (3, 4, 5), value=4, key="gx_k")
    n = top[1].select_slider("samples", views.GUMBEL_SIZES, value=10_000, format_func=lambda v: f"{v:,}",
                             key="gx_n")
    with top[2]:
        seed = seed_button("New samples", key="gx_seed", start=1)
    cols = st.columns(n_logits)
    logits = tuple(cols[i].slider(f"θ{i + 1}", -3.0, 3.0, DEFAULT_LOGITS[i], 0.1, key=f"gx_logit_{i}")
                   for i in range(n_logits))
    exact, relaxed = views.gumbel_numbers(logits, n, seed)
    views.proof_view(exact)
    st.subheader("Gumbel-softmax as τ → 0")
    views.relaxed_view(relaxed)
