"""The knobs and presets of the ELBO, EM, hierarchical VAE, tokens, exercises and assignment pages: data only,
merged into `presets.KNOBS` and `presets.PRESETS` (which documents the format)."""

from __future__ import annotations

from typing import Any

from explorer import data
from explorer.ui import assignment_views, elbo_views, em_views, exercise_views, hvae_views, token_views
from explorer.ui.state import Choice, Knob, Range

OFF_ON = (False, True)
SEED = Range(0, 10**6, 1, 0)
# The smallest held-out sets the number inputs may index: MNIST on the offline split (1,000 images) and the
# toy sets (1,000 points). Larger indices (possible with the full MNIST download) are ignored in a link.
HELD_OUT_MAX = 999
HVAE_START_MAX = HELD_OUT_MAX + 1 - hvae_views.INPUTS  # the first of INPUTS images, in steps of INPUTS
TOKEN_ROWS = 7  # mnist-vqvae's token grid is 7×7: "Token rows kept" runs from 0 to 6
LOGIT = {"low": -3.0, "high": 3.0, "step": 0.1}  # the θ sliders of pages/exercises.py and straight_through.py
MNIST_GAP, MOONS_GAP = "mnist-vae-2d", "moons-vae-2d"
OWN = "Train your own"  # the live tab of the VQ-VAE, categorical and hierarchical pages


def _elbo_knobs() -> dict[str, Knob]:
    """Each model keeps its own input and K (the keys name the model)."""
    knobs: dict[str, Knob] = {"gap_model": Choice(tuple(elbo_views.MODELS), MNIST_GAP),
                              f"gap_source_{MNIST_GAP}": Choice(("held-out", "drawn"), "held-out")}
    for model in elbo_views.MODELS:
        knobs[f"gap_index_{model}"] = Range(0, HELD_OUT_MAX, 1, 0)
        knobs[f"gap_k_{model}"] = Choice(elbo_views.K_CHOICES, 100)
    return knobs


def _exercise_knobs() -> dict[str, Knob]:
    views = exercise_views
    mus = {f"kl_mu_{j}": Range(views.MU_LOW, views.MU_HIGH, views.MU_STEP, mu) for j, mu in enumerate(views.DEFAULT_MU)}
    sigmas = {f"kl_sigma_{j}": Range(views.SIGMA_LOW, views.SIGMA_HIGH, views.SIGMA_STEP, sigma)
              for j, sigma in enumerate(views.DEFAULT_SIGMA)}
    logits = {f"gx_logit_{i}": Range(LOGIT["low"], LOGIT["high"], LOGIT["step"], theta)
              for i, theta in enumerate(views.DEFAULT_LOGITS)}
    return {"kl_d": Choice(views.DIMS, 2), **mus, **sigmas, "kl_seed": Range(0, 10**6, 1, 1),
            "vq_k": Choice(views.K_CHOICES, 16), "vq_temperature": Choice(views.TEMPERATURES, 0.1),
            "gx_k": Choice((3, 4, 5), 4), "gx_n": Choice(views.GUMBEL_SIZES, 10_000),
            "gx_seed": Range(0, 10**6, 1, 1), **logits}  # both seeds start at 1: see pages/exercises.py


KNOBS: dict[str, dict[str, Knob]] = {
    "elbo_gap": _elbo_knobs(),
    "vae_em": {
        "em_data": Choice(tuple(em_views.LABELS), "moons"),
        "em_k": Range(1, em_views.MAX_K, 1, em_views.DEFAULT_K),
        "em_kmeans": Choice(OFF_ON, False),
        "em_cov": Choice(tuple(em_views.COVARIANCES), "full"),
        "em_draw": Range(0, em_views.MAX_DRAW, 1, 0),
    },
    "hierarchical_vae": {
        "hvae_temperature": Choice(hvae_views.TEMPERATURES, 1.0),
        hvae_views.DRAW: SEED,
        "hvae_start": Range(0, HVAE_START_MAX, hvae_views.INPUTS, 0),
        "hvae_dataset": Choice(("digits", "mnist"), "digits"),
        "hvae_live_levels": Choice(hvae_views.LEVELS, 3),
        "hvae_live_free_bits": Choice(hvae_views.FREE_BITS, 0.0),
        "hvae_live_warmup": Choice(OFF_ON, True),
        "hvae_live_steps": Choice(hvae_views.LIVE_STEPS, 1000),
    },
    "tokens_priors": {
        "tokens_index": Range(0, HELD_OUT_MAX, 1, 0),
        "tokens_temperature": Choice(token_views.TEMPERATURES, 1.0),
        "tokens_top_k": Choice(token_views.TOP_K, "all"),
        "tokens_seed": SEED,  # the widget starts at the sidebar's seed, 0 unless changed there
        "tokens_complete_index": Range(0, HELD_OUT_MAX, 1, 3),
        "tokens_keep_rows": Range(0, TOKEN_ROWS - 1, 1, TOKEN_ROWS // 2),
        "tokens_complete_temperature": Choice(token_views.TEMPERATURES, 1.0),
        f"{token_views.LIVE_KEY}_steps": Choice(token_views.STEPS, token_views.STEPS[len(token_views.STEPS) // 2]),
    },
    "exercises": _exercise_knobs(),
    "assignment": {
        "asg_dataset": Choice(data.TOY2D, data.TOY2D[0]),
        "asg_steps": Choice(assignment_views.STEPS, assignment_views.STEPS[-1]),
    },
}

# Indices found with elbo_report.report on the shipped 2-D VAEs: MNIST's held-out image 13 has a gap of 0.05 nats,
# image 18 one of 79 nats (IWAE-5000 narrows it to 31); the moons' point 8 has the largest gap of the first 40
# (3.5 nats). EM on 8 Gaussians with K = 8, run to convergence: start 0 ends at -1.11 nats per point (one
# component spans two modes, two share a third), start 5 at -0.94 (one component per mode); k-means from start 5
# also finds all eight.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "elbo_gap": {
        "A tight bound": {"gap_index_mnist-vae-2d": 13},
        "A loose bound (large gap)": {"gap_index_mnist-vae-2d": 18},
        "IWAE-5000 narrows a large gap": {"gap_index_mnist-vae-2d": 18, "gap_k_mnist-vae-2d": 5000},
        "K = 1: IWAE is the ELBO": {"gap_index_mnist-vae-2d": 18, "gap_k_mnist-vae-2d": 1},
        "Two moons: a curved posterior": {"gap_model": MOONS_GAP, "gap_index_moons-vae-2d": 8},
        "Draw your own digit": {"gap_source_mnist-vae-2d": "drawn"},
    },
    "vae_em": {
        "k-means (spherical, hard)": {"em_data": "8gaussians", "em_k": 8, "em_kmeans": True, "em_draw": 5},
        "Full covariances": {"em_data": "pinwheel", "em_k": 5, "em_cov": "full"},
        "Spherical covariances": {"em_data": "pinwheel", "em_k": 5, "em_cov": "spherical"},
        "Stuck in a local optimum": {"em_data": "8gaussians", "em_k": 8},
        "Every mode found": {"em_data": "8gaussians", "em_k": 8, "em_draw": 5},
        "Click your own points": {"em_data": em_views.OWN, "em_k": 2},
    },
    "hierarchical_vae": {
        "One group: the plain VAE": {"hvae_tab": OWN, "hvae_live_levels": 1},
        "Two groups": {"hvae_tab": OWN, "hvae_live_levels": 2},
        "No warm-up, no free bits": {"hvae_tab": OWN, "hvae_live_warmup": False},
        "Free bits λ = 0.5": {"hvae_tab": OWN, "hvae_live_warmup": False, "hvae_live_free_bits": 0.5},
        "Cooler samples (t = 0.5)": {"hvae_temperature": 0.5},
    },
    "tokens_priors": {
        "Temperature too high": {"tokens_tab": "Sample", "tokens_temperature": 2.0},
        "Temperature too low": {"tokens_tab": "Sample", "tokens_temperature": 0.3},
        "Greedy: top-k 1": {"tokens_tab": "Sample", "tokens_top_k": 1},
        "Complete from one row": {"tokens_tab": "Complete an image", "tokens_keep_rows": 1},
        "Complete from six rows": {"tokens_tab": "Complete an image", "tokens_keep_rows": 6},
    },
    "exercises": {
        "KL = 0: q is the prior": {"kl_mu_0": 0.0, "kl_mu_1": 0.0, "kl_sigma_0": 1.0, "kl_sigma_1": 1.0},
        "A tiny σ: −log σ² dominates": {"kl_sigma_0": 0.05},
        "Four dimensions": {"kl_d": 4},
        "Soft codes (T = 10)": {"vq_k": 512, "vq_temperature": 10.0},
        "Gumbel-max: a rare category": {"gx_k": 3, "gx_logit_0": 2.0, "gx_logit_1": -2.0, "gx_logit_2": 0.0,
                                        "gx_n": 100_000},
        "Gumbel-max: five equal categories": {"gx_k": 5, **{f"gx_logit_{i}": 0.0 for i in range(5)}},
    },
    "assignment": {
        "8 Gaussians: mass between the modes": {"asg_dataset": "8gaussians"},
        "Checkerboard": {"asg_dataset": "checkerboard"},
        "Swiss roll": {"asg_dataset": "swissroll"},
        "A short run (300 steps)": {"asg_dataset": "pinwheel", "asg_steps": 300},
    },
}
