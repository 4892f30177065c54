"""The VQ-VAE page: a codebook latent (van den Oord et al. 2017), its health while it trains, and why it is
sharp."""

from __future__ import annotations

from explorer.analysis import vq
from explorer.maths import metrics
from explorer.models.quantizer import VectorQuantizer, perplexity
from explorer.models.vqvae import VQVAE
from explorer.ui import cache, pages, training
from explorer.ui.declarations.shared import OFF_ON, OWN
from explorer.ui.declare import PageSpec, TabSpec, caption, latex, markdown
from explorer.ui.state import Choice
from explorer.ui.views import vq_vae as vq_views

INTRO = (markdown("Replace the Gaussian latent by a **codebook** of K vectors e_1 … e_K (van den Oord et al. "
                  "2017). The encoder's output z_e at every grid position is snapped to its nearest code, "
                  "z_q = e_k: an image becomes a grid of tokens. The decoder sees only those codes."),
         latex(r"\mathcal{L} = -\log p(x \mid z_q(x)) + \big\|\mathrm{sg}[z_e(x)] - e\big\|_2^2"
               r" + \beta\,\big\|z_e(x) - \mathrm{sg}[e]\big\|_2^2"),
         caption("sg[·] is the stop-gradient. The codebook loss moves the codes towards the encoder outputs; the "
                 "commitment loss (weight β) keeps the encoder close to its codes. The nearest-code argmin has "
                 "no gradient, so the decoder's gradient is copied straight through to the encoder:"),
         latex(r"z_q^{\mathrm{ST}} = z_e + \mathrm{sg}[z_q - z_e]\quad\Rightarrow\quad"
               r"\frac{\partial \mathcal{L}}{\partial z_e} := \frac{\partial \mathcal{L}}{\partial z_q}"))

TAB = "vq_tab"
DATASETS = ("mnist", "digits", "sprites")


def own_view() -> None:
    dataset_name = pages.dataset_picker(DATASETS, key="vq_dataset")
    vq_views.live_panel(cache.dataset(dataset_name, "train"), cache.dataset(dataset_name, "test"))


PAGE = PageSpec(
    intro=INTRO,
    stem="vq_vae", title="VQ-VAE", icon=":material/apps:", section="Discrete latents", idea="VQ-VAE",
    summary="A codebook trained live, its usage and dead codes; blurry VAE against sharp VQ-VAE.",
    tabs=(TabSpec("Pretrained codebook", vq_views.pretrained_tab, "pretrained",
                  code=(VectorQuantizer.forward, VQVAE.loss)),
          # the toggles of this tab: EMA codebook, k-means init, dead-code reset; and the perplexity it plots
          TabSpec(OWN, own_view, "own", code=(VectorQuantizer._ema_update, VectorQuantizer._kmeans_init,
                                              VectorQuantizer._reset_dead_codes, perplexity)),
          TabSpec("Blurry vs sharp", vq_views.blurry_vs_sharp_tab, "blurry",
                  code=(vq.compare, metrics.squared_error_per_image))),
    tab_key=TAB,
    knobs={
        "vq_pretrained_model": Choice(tuple(vq_views.PRETRAINED_VQ), "mnist-vqvae"),
        "vq_dataset": Choice(DATASETS, "mnist"),
        "vq_live_beta": Choice(vq_views.COMMITMENT_BETAS, 0.25),
        "vq_live_k": Choice(vq_views.CODEBOOK_SIZES, 64),
        "vq_live_steps": Choice(vq_views.STEPS, 500),
        "vq_live_ema": Choice(OFF_ON, False),
        "vq_live_kmeans": Choice(OFF_ON, False),
        "vq_live_reset": Choice(OFF_ON, False),
        **training.slow_knob("vq_live"),
    },
    presets={
        "Codebook collapse": {TAB: OWN, "vq_live_k": 512},
        "Healthy codebook": {TAB: OWN, "vq_live_k": 512, "vq_live_kmeans": True, "vq_live_reset": True},
        "No commitment (β = 0)": {TAB: OWN, "vq_live_beta": 0.0},
        "Strong commitment (β = 2)": {TAB: OWN, "vq_live_beta": 2.0},
    },
    keep=(*(f"vq_pretrained_index_{model}" for model in vq_views.PRETRAINED_VQ), "vq_compare_source",
          "vq_compare_start", "vq_zoom"),
)
