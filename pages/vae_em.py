"""VAE as EM: a Gaussian mixture and k-means fitted by EM one half-step at a time; the bound touches
log p(x) after each E-step and rises at each M-step."""

import streamlit as st

from explorer import em
from explorer.ui import em_views, notes, pages, presets
from explorer.ui.code import show_code

pages.ensure_app_navigation()

st.title("VAE as EM")
notes.show("vae_em", "main")

presets.use("vae_em")
choice = em_views.settings()
x = em_views.points(choice)
state = em_views.current_state(choice, x)
em_views.buttons(state)

left, right = st.columns([3, 2])
with left:
    em_views.mixture_view(choice, state, x)
with right:
    if choice.kmeans:
        st.markdown("**E-step** (hard): every point goes wholly to its nearest centre.")
        st.latex(r"r_{nk} = \mathbb{1}\big[k = \arg\min_j \|x_n - \mu_j\|^2\big]")
        st.markdown("**M-step**: each centre moves to the mean of its points.")
        st.latex(r"\mu_k = \frac{\sum_n r_{nk}\, x_n}{\sum_n r_{nk}}")
        st.caption("k-means is EM with equal weights and one shared covariance σ²I in the limit σ → 0 (Bishop "
                   "§9.3.2). For the chart σ² is set to its best value for the clusters; a hard q is never the "
                   "soft posterior, so the bound rises but never touches log p(x).")
    else:
        st.markdown("**E-step**: q becomes the exact posterior, so the KL, the gap, is 0.")
        st.latex(r"\begin{aligned} q(z_n = k) &= p(z_n = k\,|\,x_n, \theta) = r_{nk} \\ r_{nk} &= "
                 r"\frac{\pi_k\,\mathcal{N}(x_n|\mu_k,\Sigma_k)}{\sum_j \pi_j\,\mathcal{N}(x_n|\mu_j,\Sigma_j)}"
                 r"\end{aligned}")
        st.markdown("**M-step**: θ maximizes the ELBO for that q, in closed form.")
        st.latex(r"N_k = \sum_n r_{nk},\qquad \pi_k = \frac{N_k}{N}")
        st.latex(r"\mu_k = \frac{1}{N_k}\sum_n r_{nk}\,x_n")
        st.latex(r"\Sigma_k = \frac{1}{N_k}\sum_n r_{nk}\,(x_n-\mu_k)(x_n-\mu_k)^\top")
        st.caption("Diagonal Σₖ keeps only the variances; spherical σₖ²I their mean. log p(x) never decreases: "
                   "the M-step raises the bound, and the bound is below log p(x).")
    st.latex(r"\begin{aligned}\mathrm{ELBO} = \sum_{n,k} r_{nk}\big[&\log \pi_k + \log \mathcal{N}(x_n|\mu_k, "
             r"\Sigma_k) \\ &- \log r_{nk}\big]\end{aligned}")
    em_views.bound_view(state)
    show_code(em.posterior, em.fit, em.elbo)

with st.container(border=True):
    st.markdown("**And the VAE?** Both maximize the same ELBO, log p(x) − KL(q ‖ p(z|x)). In EM the E-step "
                "computes the exact posterior p(z|x, θ) for every point, so the gap closes each time. A VAE's "
                "latent is continuous and its decoder a neural network: p(z|x) has no closed form. So it learns "
                "one encoder q_φ(z|x) for all x (*amortized* inference) and takes gradient steps on φ (a partial "
                "E-step) and θ (a partial M-step) together; the gap KL(q_φ(z|x) ‖ p_θ(z|x)) stays open.")
    pages.link("pages/elbo_gap.py", "See that gap, exactly, for a 2-D VAE", icon=":material/stacked_line_chart:")
