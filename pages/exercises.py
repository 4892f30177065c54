"""Exercises: the lecture's three exercises, worked step by step and checked live."""

import streamlit as st

from explorer import exercises, safe_expr
from explorer.ui import exercise_views as views
from explorer.ui import notes, pages, presets
from explorer.ui.code import show_code
from explorer.ui.estimator_views import seed_button

pages.ensure_app_navigation()

DEFAULT_LOGITS = views.DEFAULT_LOGITS

st.title("Exercises")
st.markdown("The lecture's exercises, worked out. Every step shows its value for **your** numbers, and every "
            "result is checked against an independent computation: a Monte-Carlo estimate, "
            "`torch.distributions`, a trained model, or samples with a χ² test.")

presets.use("exercises")
kl_tab, vq_tab, gumbel_tab = st.tabs(["Analytic KL of a Gaussian", "The VQ-VAE's KL is a constant",
                                      "Gumbel-max is distributed as p"])

with kl_tab:
    notes.show("exercises", "Analytic KL of a Gaussian")
    mu, sigma = views.gaussian_sliders()
    # seed 0's 10,000 draws miss the closed form by 3 standard errors for the default sliders, a fair draw
    # but a confusing first view; seed 1's is typical. "New draws" shows how the estimate varies.
    kl_seed = seed_button("New draws", key="kl_seed", start=1)
    views.derivation_view(mu, sigma, kl_seed)
    st.divider()
    views.expression_view(mu, sigma)
    show_code(exercises.kl_closed_form, exercises.kl_monte_carlo, exercises.check_kl_expression,
              safe_expr.evaluate)

with vq_tab:
    notes.show("exercises", "The VQ-VAE's KL is a constant")
    cols = st.columns(2)
    k = cols[0].select_slider("codebook size K", views.K_CHOICES, value=16, key="vq_k")
    temperature = cols[1].select_slider("temperature T of a soft q", views.TEMPERATURES, value=0.1,
                                        format_func=lambda t: f"{t:g}", key="vq_temperature")
    views.one_hot_view(k)
    st.subheader("A soft q is not constant")
    views.soft_view(k, temperature)
    st.subheader("Checked on the shipped MNIST VQ-VAE")
    views.model_view(temperature)
    show_code(exercises.one_hot_kl, exercises.soft_code_kl, exercises.vq_model_kl)

with gumbel_tab:
    notes.show("exercises", "Gumbel-max is distributed as p")
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
    show_code(exercises.gumbel_max_integral, exercises.gumbel_max_check, exercises.relaxed_limit)

presets.publish("exercises")  # a "New …" button changed a seed in this run
