"""The VAE as EM page: a Gaussian mixture and k-means fitted by EM one half-step at a time; the bound touches
log p(x) after each E-step and rises at each M-step."""

from __future__ import annotations

import streamlit as st

from explorer.maths import em
from explorer.ui import pages
from explorer.ui.declarations import elbo_gap
from explorer.ui.declarations.shared import OFF_ON
from explorer.ui.declare import MAIN, PageSpec, TabSpec
from explorer.ui.state import Choice, Range
from explorer.ui.views import vae_em as em_views


def kmeans_steps() -> None:
    st.markdown("**E-step** (hard): every point goes wholly to its nearest centre.")
    st.latex(r"r_{nk} = \mathbb{1}\big[k = \arg\min_j \|x_n - \mu_j\|^2\big]")
    st.markdown("**M-step**: each centre moves to the mean of its points.")
    st.latex(r"\mu_k = \frac{\sum_n r_{nk}\, x_n}{\sum_n r_{nk}}")
    st.caption("k-means is EM with equal weights and one shared covariance σ²I in the limit σ → 0 (Bishop "
               "§9.3.2). For the chart σ² is set to its best value for the clusters; a hard q is never the "
               "soft posterior, so the bound rises but never touches log p(x).")


def em_steps() -> None:
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


ELBO = (r"\mathrm{ELBO} = \sum_{n,k} r_{nk}\big[\log \pi_k + \log \mathcal{N}(x_n|\mu_k, \Sigma_k) "
        r"- \log r_{nk}\big]")


def main_view() -> None:
    """The two pictures side by side under the knobs and buttons: the mixture, and the bound with its numbers;
    the steps' equations below them, across the page (in a 308 px column the ELBO was cut, then shrunk)."""
    choice = em_views.settings()
    x = em_views.points(choice)
    state = em_views.current_state(choice, x)
    em_views.buttons(state)
    left, right = st.columns([3, 2])
    with left:
        em_views.mixture_view(choice, state, x)
    with right:
        em_views.bound_view(state)
    if choice.kmeans:
        kmeans_steps()
    else:
        em_steps()
    st.latex(ELBO)
    with st.container(border=True):
        st.markdown("**And the VAE?** Both maximize the same ELBO, log p(x) − KL(q ‖ p(z|x)). In EM the E-step "
                    "computes the exact posterior p(z|x, θ) for every point, so the gap closes each time. A VAE's "
                    "latent is continuous and its decoder a neural network: p(z|x) has no closed form. So it "
                    "learns one encoder q_φ(z|x) for all x (*amortized* inference) and takes gradient steps on φ "
                    "(a partial E-step) and θ (a partial M-step) together; the gap KL(q_φ(z|x) ‖ p_θ(z|x)) stays "
                    "open.")
        pages.link(elbo_gap.PAGE.path, "See that gap, exactly, for a 2-D VAE", icon=elbo_gap.PAGE.icon)


# EM on 8 Gaussians with K = 8, run to convergence: start 0 ends at -1.11 nats per point (one component spans two
# modes, two share a third), start 5 at -0.94 (one component per mode); k-means from start 5 also finds all eight.
PAGE = PageSpec(
    stem="vae_em", title="VAE as EM", icon=":material/bubble_chart:", section="The evidence lower bound",
    idea="VAE as EM", summary="Mixture EM step by step: the bound touches log p(x) after every E-step.",
    tabs=(TabSpec(MAIN, main_view, MAIN, code=(em.posterior, em.fit, em.elbo)),),
    knobs={
        "em_data": Choice(tuple(em_views.LABELS), "moons"),
        "em_k": Range(1, em_views.MAX_K, 1, em_views.DEFAULT_K),
        "em_kmeans": Choice(OFF_ON, False),
        "em_cov": Choice(tuple(em_views.COVARIANCES), "full"),
        "em_draw": Range(0, em_views.MAX_DRAW, 1, 0),
    },
    presets={
        "k-means (spherical, hard)": {"em_data": "8gaussians", "em_k": 8, "em_kmeans": True, "em_draw": 5},
        "Full covariances": {"em_data": "pinwheel", "em_k": 5, "em_cov": "full"},
        "Spherical covariances": {"em_data": "pinwheel", "em_k": 5, "em_cov": "spherical"},
        "Stuck in a local optimum": {"em_data": "8gaussians", "em_k": 8},
        "Every mode found": {"em_data": "8gaussians", "em_k": 8, "em_draw": 5},
        "Click your own points": {"em_data": em_views.OWN, "em_k": 2},
    },
)
