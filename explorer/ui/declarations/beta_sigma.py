"""The β, σ and posterior collapse page: live knobs, the rate–distortion plane, KL per unit, traversals, MIG."""

from __future__ import annotations

import streamlit as st

from explorer.analysis import collapse as collapse_cases
from explorer.maths import latent, metrics
from explorer.models.common import reconstruction_nll
from explorer.models.vae import VAE
from explorer.training import sweep as sweeps
from explorer.ui import pages, training
from explorer.ui.declare import PageSpec, TabSpec, latex, markdown
from explorer.ui.state import Choice, Knob, Range
from explorer.ui.views import beta_sigma as beta_views
from explorer.ui.views import beta_sigma_collapse as collapse_views

INTRO = (markdown("The ELBO is a reconstruction term minus a KL term. Weigh the KL by **β**, or widen the "
                  "Gaussian decoder's **σ**, and the model buys less information about x (rate) at the price of "
                  "worse reconstructions (distortion). Push too far and latent units *collapse* to the prior."),
         latex(r"\mathcal{L}_\beta = \underbrace{-\mathbb{E}_{q(z|x)}\log p(x|z)}_{\text{distortion } D}"
               r" + \beta\,\underbrace{\mathrm{KL}(q(z|x)\,\|\,p(z))}_{\text{rate } R}"
               r"\qquad -\text{ELBO} = D + R"))

DATASETS = ("sprites", "mnist")


def dataset_header() -> str:
    dataset_name = pages.dataset_picker(DATASETS, key="beta_dataset")
    beta_views.pretrained_notice(dataset_name)
    return dataset_name


def collapse_view(dataset_name: str) -> None:
    left, right = st.columns([1, 1])
    with left:  # no subheader: the chart's title says it, and the picture starts under the tabs (issue 22)
        beta_views.unit_kl_view(dataset_name)
    with right:
        st.subheader("A case of collapse, and what prevents it")
        st.markdown("Near collapse a VAE acts like a linear one, which keeps only the directions whose data "
                    "variance exceeds βσ² (Lucas et al. 2019). Below that, collapse is stable: sometimes the "
                    "optimum, sometimes a trap that a better code lies beyond.")
        collapse_views.collapse_demo_view()


def live_knobs(dataset: str) -> dict[str, Knob]:
    """The live panel's knobs; each dataset keeps its own."""
    key = f"beta_live_{dataset}"
    return {f"{key}_steps": Choice(beta_views.LIVE_STEPS, 2000),
            f"{key}_lik": Choice(tuple(training.DECODERS), "bernoulli"),
            f"{key}_warmup": Choice(beta_views.WARMUP_STEPS, 0),
            f"{key}_free_bits": Choice(beta_views.FREE_BITS, 0.0),
            f"{key}_beta": Choice(training.BETAS, 1.0),
            f"{key}_sigma": Range(0.01, 1.0, 0.01, 0.1), **training.slow_knob(key)}


PAGE = PageSpec(
    intro=INTRO,
    stem="beta_sigma", title="β, σ and posterior collapse", icon=":material/tune:",
    section="The evidence lower bound", idea="β and decoder σ",
    summary="Rate against distortion, units that collapse, and what prevents it.",
    header=dataset_header,
    tabs=(TabSpec("Live β and σ", beta_views.live_panel, "live", code=(VAE.loss, reconstruction_nll)),
          TabSpec("Rate–distortion sweep", beta_views.sweep_view, "sweep",
                  code=(metrics.rate_distortion, sweeps.run_sweep)),
          TabSpec("Posterior collapse", collapse_view, "collapse",
                  code=(metrics.kl_per_unit, metrics.active_units, metrics.collapsed_units, collapse_cases.demo)),
          TabSpec("Traversals and MIG", beta_views.traversal_view, "traversals",
                  code=(metrics.latent_traversal, metrics.mig_of_model)),
          TabSpec("Blurry or sharp", beta_views.samples_view, "samples",
                  code=(latent.encode_means, latent.decode_points, metrics.rate_distortion))),
    tab_key="beta_tab",
    knobs={"beta_dataset": Choice(DATASETS, "sprites"), **live_knobs("sprites"), **live_knobs("mnist")},
    presets={
        "Posterior collapse (β = 10)": {"beta_live_sprites_beta": 10.0},
        "Collapse by σ (σ = 1)": {"beta_live_sprites_lik": "gaussian", "beta_live_sprites_sigma": 1.0},
        "Sharp but holey (β = 0.01)": {"beta_live_sprites_beta": 0.01},
        "Free bits against collapse": {"beta_live_sprites_beta": 10.0, "beta_live_sprites_free_bits": 0.5},
        "KL warm-up": {"beta_live_sprites_warmup": 1000},
    },
    keep=(*(f"beta_sweep_{dataset}_{knob}" for dataset in DATASETS
            for knob in ("betas", "free_bits", "steps", "warmup")),
          "beta_collapse_case", "beta_collapse_demo", "beta_collapse_model", "beta_traversal_index",
          "beta_traversal_model"),
)
