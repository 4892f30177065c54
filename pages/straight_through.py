"""Discrete latents: Gumbel-max sampling, the Gumbel-softmax relaxation, straight-through gradients."""

import streamlit as st

from explorer import estimators, gumbel
from explorer.ui import estimator_views as views
from explorer.ui import notes, pages, presets
from explorer.ui.code import show_code

pages.ensure_app_navigation()

DEFAULT_LOGITS = (1.0, 0.0, -0.5, 0.5, -1.0)

st.title("Straight-through and Gumbel")
st.markdown("A categorical sample k ~ softmax(θ) has no pathwise gradient: a small change of θ either changes "
            "k or not. **Gumbel-max** writes the sample as an argmax of noisy logits; **Gumbel-softmax** "
            "(Jang et al. 2017; Maddison et al. 2017) replaces the argmax by a softmax at temperature τ, "
            "and the **straight-through** estimator (Bengio et al. 2013) uses the hard sample forward and the "
            "soft one backward. Both are biased; REINFORCE (Williams 1992) is not, but it is noisy.")

presets.use("straight_through")
sampling, relaxed = st.tabs(["Gumbel-max sampling", "Gumbel-softmax and straight-through"])

with sampling:
    notes.show("straight_through", "Gumbel-max sampling")
    top = st.columns([1, 2])
    k = top[0].select_slider("categories", (3, 4, 5), value=4, key="gm_k")
    n = top[1].select_slider("samples", views.SAMPLE_SIZES, value=1000, format_func=lambda v: f"{v:,}",
                             key="gm_n")
    cols = st.columns(k + 1)
    logits = tuple(cols[i].slider(f"θ{i + 1}", -3.0, 3.0, DEFAULT_LOGITS[i], 0.1, key=f"gm_logit_{i}")
                   for i in range(k))
    with cols[k]:
        # seed 0's stream dips to p = 0.002 at 3,000 draws for the default logits: a fair draw, but a
        # confusing first view; seed 1's is typical. "New samples" shows how p-values vary.
        seed = views.seed_button("New samples", key="gm_seed", start=1)
    views.gumbel_max_view(logits, n, seed)
    show_code(gumbel.gumbel_noise, gumbel.gumbel_max, gumbel.chi_square)

with relaxed:
    notes.show("straight_through", "Gumbel-softmax and straight-through")
    cols = st.columns(4)
    logits = tuple(cols[i].slider(f"θ{i + 1}", -3.0, 3.0, DEFAULT_LOGITS[i], 0.1, key=f"gs_logit_{i}")
                   for i in range(3))
    tau = cols[3].select_slider("temperature τ", views.TAUS, value=0.5, format_func=lambda v: f"{v:g}",
                                key="gs_tau")
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Relaxed samples on the simplex")
        views.simplex_view(logits, tau)
    with right:
        st.subheader("sg(hard − soft) + soft")
        seed = views.seed_button("New Gumbel draw", key="sg_seed")
        views.identity_view(logits, tau, seed)
    st.subheader("Bias and variance against the exact gradient")
    views.bias_variance_view(logits, tau)
    show_code(estimators.straight_through_estimator, estimators.gumbel_softmax_estimator,
              estimators.straight_through_gumbel, gumbel.straight_through)
presets.publish("straight_through")  # a "New …" button changed a seed in this run
