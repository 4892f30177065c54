"""The knobs each page keeps in its URL, and the named presets worth showing in class: data, one dict per page.

`KNOBS[page]` maps a widget key on the page to its allowed values and default (the widget's own); it is what
a link may set. `PRESETS[page]` maps a preset's name to the knobs it sets; the others go to their defaults.
Pages call `use(page)` before their widgets (and `publish(page)` at their end where a button changes state
mid-run). The dicts of the later pages are in `presets_more`, merged in below. tests/app/test_presets.py checks
that every key is a widget on its page and every value allowed.
"""

from __future__ import annotations

from typing import Any

from explorer.ui import beta_views, estimator_views, gumbel_views, presets_more, state, training, vq_views
from explorer.ui.presets_more import LOGIT, OWN
from explorer.ui.state import Choice, Range

OFF_ON = (False, True)
LATENT_TABS = ("AE vs VAE", "Drag through latent space", "Interpolation", "Train your own")  # pages/latent_space.py
INTERP_MAX = 296  # the smallest held-out set of the page (digits: 297 images); larger indices are ignored


def _live_beta(dataset: str) -> dict[str, state.Knob]:
    key = f"beta_live_{dataset}"
    return {f"{key}_steps": Choice((500, 1000, 2000, 3000, 5000), 2000),
            f"{key}_lik": Choice(tuple(beta_views.DECODERS), "bernoulli"),
            f"{key}_warmup": Choice(beta_views.WARMUP_STEPS, 0),
            f"{key}_free_bits": Choice(beta_views.FREE_BITS, 0.0),
            f"{key}_beta": Choice(training.BETAS, 1.0),
            f"{key}_sigma": Range(0.01, 1.0, 0.01, 0.1)}


def _gumbel_logits(prefix: str, n: int) -> dict[str, state.Knob]:
    defaults = (1.0, 0.0, -0.5, 0.5, -1.0)  # pages/straight_through.py's DEFAULT_LOGITS
    return {f"{prefix}_{i}": Range(LOGIT["low"], LOGIT["high"], LOGIT["step"], defaults[i]) for i in range(n)}


KNOBS: dict[str, dict[str, state.Knob]] = {
    "latent_space": {
        "latent_dataset": Choice(("mnist", "digits"), "mnist"),
        "hover_kind": Choice(("vae", "ae"), "vae"),
        "interp_a": Range(0, INTERP_MAX, 1, 0),
        "interp_b": Range(0, INTERP_MAX, 1, 1),
        "interp_mode": Choice(("linear", "spherical"), "linear"),
        "interp_steps": Range(3, 16, 1, 10),
    },
    "beta_sigma": {"beta_dataset": Choice(("sprites", "mnist"), "sprites"), **_live_beta("sprites"),
                   **_live_beta("mnist")},
    "reparameterization": {
        "rep_mu": Range(-2.0, 2.0, 0.1, 0.5),
        "rep_sigma": Range(0.1, 2.0, 0.05, 0.8),
        "rep_objective": Choice(tuple(estimator_views.OBJECTIVES), "square"),
        "rep_param": Choice(tuple(estimator_views.COMPONENTS), "μ"),
        "rep_seed": Range(0, 10**6, 1, 0),
    },
    "straight_through": {
        "gm_k": Choice((3, 4, 5), 4),
        "gm_n": Choice(estimator_views.SAMPLE_SIZES, 1000),
        **_gumbel_logits("gm_logit", 5),
        "gm_seed": Range(0, 10**6, 1, 1),
        **_gumbel_logits("gs_logit", 3),
        "gs_tau": Choice(estimator_views.TAUS, 0.5),
        "sg_seed": Range(0, 10**6, 1, 0),
    },
    "categorical_vae": {
        "gumbel_pretrained_tau": Choice(gumbel_views.TAUS, 1.0),
        "gumbel_dataset": Choice(("digits", "mnist"), "digits"),
        "gumbel_live_tau": Choice(gumbel_views.TAUS, 1.0),
        "gumbel_live_hard": Choice(OFF_ON, False),
        "gumbel_live_anneal": Choice(OFF_ON, False),
        "gumbel_live_steps": Choice((250, 500, 1000, 2000, 3000), 1000),
    },
    "vq_vae": {
        "vq_pretrained_model": Choice(tuple(vq_views.PRETRAINED_VQ), "mnist-vqvae"),
        "vq_dataset": Choice(("mnist", "digits", "sprites"), "mnist"),
        "vq_live_beta": Choice(vq_views.COMMITMENT_BETAS, 0.25),
        "vq_live_k": Choice(vq_views.CODEBOOK_SIZES, 64),
        "vq_live_steps": Choice(vq_views.STEPS, 500),
        "vq_live_ema": Choice(OFF_ON, False),
        "vq_live_kmeans": Choice(OFF_ON, False),
        "vq_live_reset": Choice(OFF_ON, False),
    },
}

PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "latent_space": {
        "MNIST: holes in the AE": {"latent_dataset": "mnist", "hover_kind": "ae",
                                   "latent_tab": "Drag through latent space"},
        "MNIST: the VAE fills the plane": {"latent_dataset": "mnist", "hover_kind": "vae"},
        "Spherical path, 16 steps": {"latent_dataset": "mnist", "latent_tab": "Interpolation",
                                     "interp_mode": "spherical", "interp_steps": 16,
                                     "interp_a": 2, "interp_b": 7},
        "Small digits (8×8)": {"latent_dataset": "digits", "hover_kind": "ae"},
    },
    "beta_sigma": {
        "Posterior collapse (β = 10)": {"beta_live_sprites_beta": 10.0},
        "Collapse by σ (σ = 1)": {"beta_live_sprites_lik": "gaussian", "beta_live_sprites_sigma": 1.0},
        "Sharp but holey (β = 0.01)": {"beta_live_sprites_beta": 0.01},
        "Free bits against collapse": {"beta_live_sprites_beta": 10.0, "beta_live_sprites_free_bits": 0.5},
        "KL warm-up": {"beta_live_sprites_warmup": 1000},
    },
    "reparameterization": {
        "Score function blows up": {"rep_mu": 2.0, "rep_sigma": 0.1},
        "Step objective: pathwise gives 0": {"rep_objective": "step"},
        "sin z: the baseline adds variance": {"rep_objective": "sin", "rep_mu": 1.5},
        "Gradient in σ": {"rep_param": "σ", "rep_sigma": 1.5},
    },
    "straight_through": {
        "τ too low (0.01)": {"gs_tau": 0.01},
        "τ too high (10)": {"gs_tau": 10.0},
        "A rare category": {"gm_k": 3, "gm_logit_0": 2.0, "gm_logit_1": -2.0, "gm_logit_2": 0.0, "gm_n": 100},
        "Many samples": {"gm_n": 100_000},
    },
    "categorical_vae": {
        "τ too low (0.01)": {"gumbel_pretrained_tau": 0.01, "gumbel_live_tau": 0.01},
        "τ too high (10)": {"gumbel_pretrained_tau": 10.0, "gumbel_live_tau": 10.0},
        "τ annealed": {"gumbel_tab": OWN, "gumbel_live_tau": 2.0, "gumbel_live_anneal": True,
                       "gumbel_live_steps": 2000},
        "Straight-through": {"gumbel_tab": OWN, "gumbel_live_hard": True},
    },
    "vq_vae": {
        "Codebook collapse": {"vq_tab": OWN, "vq_live_k": 512},
        "Healthy codebook": {"vq_tab": OWN, "vq_live_k": 512, "vq_live_kmeans": True, "vq_live_reset": True},
        "No commitment (β = 0)": {"vq_tab": OWN, "vq_live_beta": 0.0},
        "Strong commitment (β = 2)": {"vq_tab": OWN, "vq_live_beta": 2.0},
    },
}
KNOBS |= presets_more.KNOBS
PRESETS |= presets_more.PRESETS

# Lazy tabs (`st.tabs(labels, key=key, on_change="rerun")`): only the open tab runs, so a hidden training panel does
# not redraw its charts every second. The open tab is a knob: a link opens it, and a preset opens the tab its knobs
# are on. The labels equal the page's (tests/app/test_lazy_tabs.py).
TABS: dict[str, tuple[str, tuple[str, ...]]] = {
    "latent_space": ("latent_tab", LATENT_TABS),
    "beta_sigma": ("beta_tab", ("Live β and σ", "Rate–distortion sweep", "Posterior collapse", "Traversals and MIG",
                                "Blurry or sharp")),
    "vq_vae": ("vq_tab", ("Pretrained codebook", "Train your own", "Blurry vs sharp")),
    "categorical_vae": ("gumbel_tab", ("Pretrained on MNIST", "Train your own")),
    "hierarchical_vae": ("hvae_tab", ("Pretrained on MNIST", "Train your own")),
    "tokens_priors": ("tokens_tab", ("Tokens", "Train a prior", "Sample", "Complete an image")),
    "assignment": ("asg_tab", ("Train the reference", "Reference code")),
}
for _page, (_key, _labels) in TABS.items():
    KNOBS[_page][_key] = Choice(_labels, _labels[0])

# Widgets in lazy tabs that are no knobs: kept through the runs that do not draw them (`state.keep`), so a closed
# tab loses nothing (a running job keeps the β its slider set).
KEEP: dict[str, tuple[str, ...]] = {
    "latent_space": training.setting_keys("latent_train"),
    "beta_sigma": (*(f"beta_sweep_{dataset}_{knob}" for dataset in ("sprites", "mnist")
                     for knob in ("betas", "free_bits", "steps", "warmup")),
                   "beta_collapse_case", "beta_collapse_demo", "beta_collapse_model", "beta_traversal_index",
                   "beta_traversal_model"),
    "vq_vae": (*(f"vq_pretrained_index_{model}" for model in vq_views.PRETRAINED_VQ), "vq_compare_source",
               "vq_compare_start", "vq_zoom"),
    "categorical_vae": ("gumbel_index",),
}


def use(page: str) -> None:
    """Call on a page before its widgets: keep its widgets' values, seed its knobs from the link, write the URL,
    offer its presets."""
    state.keep(KEEP.get(page, ()))
    state.bind(KNOBS[page])
    state.presets(page, PRESETS[page], KNOBS[page])


def publish(page: str) -> None:
    """Call at a page's end when something in the run changed a knob (a "new draw" button)."""
    state.publish(KNOBS[page])
