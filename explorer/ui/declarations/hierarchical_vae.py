"""The Hierarchical VAE page: groups of latents on latents, a KL per group (Ladder VAE; NVAE)."""

from __future__ import annotations

from explorer.models.hvae import HierarchicalVAE, kl_normal_normal
from explorer.training.train import Trainer
from explorer.ui import cache, pages, training
from explorer.ui.declarations.shared import HELD_OUT_MAX, OFF_ON, OWN, SEED
from explorer.ui.declare import PageSpec, TabSpec, caption, latex, markdown
from explorer.ui.state import Choice, Range
from explorer.ui.views import hierarchical_vae as hvae_views

INTRO = (markdown("Stack the latents: a small **top group z_L** and larger groups below it, each drawn given the "
                  "ones above, p(z) = p(z_L) Π p(z_l | z_>l). The encoder reads x bottom-up, then q walks the "
                  "same top-down path, so every group's posterior q(z_l | z_>l, x) sees both x and the groups "
                  "above (Sønderby et al. 2016, Ladder VAE; Vahdat & Kautz 2020, NVAE). The KL splits into one "
                  "term per group:"),
         latex(r"\log p(x) \;\ge\; \mathbb{E}_{q(z|x)}\!\left[\log p(x \mid z)\right] \;-\; \sum_{l=1}^{L}"
               r"\mathbb{E}_{q(z_{>l}|x)}\!\left[\mathrm{KL}\!\left(q(z_l \mid z_{>l}, x)\,\|\,"
               r"p(z_l \mid z_{>l})\right)\right]"),
         caption("Both sides of each KL are Gaussians, so each term is computed in closed form at one sample of "
                 "the groups above. Free bits per group (Kingma et al. 2016) and KL warm-up keep the upper "
                 "groups alive. Here z₁ is next to x and z_L is the top."))

TAB = "hvae_tab"
DATASETS = ("digits", "mnist")
START_MAX = HELD_OUT_MAX + 1 - hvae_views.INPUTS  # the first of INPUTS images, in steps of INPUTS


def own_view() -> None:
    dataset_name = pages.dataset_picker(DATASETS, key="hvae_dataset")
    hvae_views.live_panel(cache.dataset(dataset_name, "train"), cache.dataset(dataset_name, "test"))


PAGE = PageSpec(
    intro=INTRO,
    stem="hierarchical_vae", title="Hierarchical VAE", icon=":material/account_tree:", section="Deeper models",
    idea="Hierarchical VAE", summary="Latent groups on groups: which level holds what, KL per group.",
    tabs=(TabSpec("Pretrained on MNIST", hvae_views.pretrained_tab, "pretrained",
                  code=(HierarchicalVAE.walk, HierarchicalVAE.loss)),
          TabSpec(OWN, own_view, "own",
                  code=(HierarchicalVAE.loss, kl_normal_normal, Trainer.step_knobs))),  # step_knobs: the KL warm-up
    tab_key=TAB, publish=True,  # "New samples" changes a seed in the run
    knobs={
        "hvae_temperature": Choice(hvae_views.TEMPERATURES, 1.0),
        hvae_views.DRAW: SEED,
        "hvae_start": Range(0, START_MAX, hvae_views.INPUTS, 0),
        "hvae_dataset": Choice(DATASETS, "digits"),
        "hvae_live_levels": Choice(hvae_views.LEVELS, 3),
        "hvae_live_free_bits": Choice(hvae_views.FREE_BITS, 0.0),
        "hvae_live_warmup": Choice(OFF_ON, True),
        "hvae_live_steps": Choice(hvae_views.LIVE_STEPS, 1000),
        **training.slow_knob("hvae_live"),
    },
    presets={
        "One group: the plain VAE": {TAB: OWN, "hvae_live_levels": 1},
        "Two groups": {TAB: OWN, "hvae_live_levels": 2},
        "No warm-up, no free bits": {TAB: OWN, "hvae_live_warmup": False},
        "Free bits λ = 0.5": {TAB: OWN, "hvae_live_warmup": False, "hvae_live_free_bits": 0.5},
        "Cooler samples (t = 0.5)": {"hvae_temperature": 0.5},
    },
)
