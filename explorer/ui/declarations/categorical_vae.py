"""The Categorical VAE page: discrete latents trained through the Gumbel-softmax relaxation, τ live."""

from __future__ import annotations

from explorer.maths import gumbel
from explorer.models.gumbel import GumbelVAE, kl_to_uniform
from explorer.training.train import Trainer
from explorer.ui import cache, pages, training
from explorer.ui.declarations.shared import OFF_ON, OWN
from explorer.ui.declare import PageSpec, TabSpec, latex, markdown
from explorer.ui.state import Choice
from explorer.ui.views import categorical_vae as gumbel_views

INTRO = (markdown("Replace the Gaussian latent by **N groups of K categories**. Sampling a category has no "
                  "gradient, so training uses the **Gumbel-softmax** relaxation (Jang et al. 2017; Maddison et "
                  "al. 2017): a point inside the simplex that becomes one-hot as the temperature τ goes to 0."),
         latex(r"y = \mathrm{softmax}\!\left(\frac{\log \pi + g}{\tau}\right),\quad g_k \sim \mathrm{Gumbel}(0, 1)"
               r"\qquad \mathrm{KL}(q\,\|\,\mathrm{Unif}) = \sum_{n}\sum_{k} q_{nk}\log(K\,q_{nk})"))

TAB = "gumbel_tab"
DATASETS = ("digits", "mnist")


def own_view() -> None:
    dataset_name = pages.dataset_picker(DATASETS, key="gumbel_dataset")
    gumbel_views.live_panel(cache.dataset(dataset_name, "train"), cache.dataset(dataset_name, "test"))


PRETRAINED_TAB = TabSpec("Pretrained on MNIST", gumbel_views.pretrained_tab, "pretrained",
                         code=(GumbelVAE.relaxed_codes, GumbelVAE.loss, kl_to_uniform))
OWN_TAB = TabSpec(OWN, own_view, "own",  # Trainer.step_knobs anneals τ; relaxed_codes calls the one straight-through
                  code=(GumbelVAE.relaxed_codes, gumbel.straight_through, GumbelVAE.loss, Trainer.step_knobs))

PAGE = PageSpec(
    intro=INTRO,
    stem="categorical_vae", title="Categorical VAE", icon=":material/grid_view:", section="Discrete latents",
    idea="Categorical latents", summary="A VAE with one-hot codes trained by Gumbel-softmax, τ on a slider.",
    tabs=(PRETRAINED_TAB, OWN_TAB), tab_key=TAB,
    knobs={
        "gumbel_pretrained_tau": Choice(gumbel_views.TAUS, 1.0),
        "gumbel_dataset": Choice(DATASETS, "digits"),
        "gumbel_live_tau": Choice(gumbel_views.TAUS, 1.0),
        "gumbel_live_hard": Choice(OFF_ON, False),
        "gumbel_live_anneal": Choice(OFF_ON, False),
        "gumbel_live_steps": Choice(gumbel_views.LIVE_STEPS, 1000),
        **training.slow_knob("gumbel_live"),
    },
    presets={
        "τ too low (0.01)": {"gumbel_pretrained_tau": 0.01, "gumbel_live_tau": 0.01},
        "τ too high (10)": {"gumbel_pretrained_tau": 10.0, "gumbel_live_tau": 10.0},
        "τ annealed": {TAB: OWN, "gumbel_live_tau": 2.0, "gumbel_live_anneal": True, "gumbel_live_steps": 2000},
        "Straight-through": {TAB: OWN, "gumbel_live_hard": True},
    },
    keep=("gumbel_index",),
)
