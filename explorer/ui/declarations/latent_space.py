"""The Latent space page: autoencoder vs VAE, decode anywhere, the manifold, interpolation, train your own."""

from __future__ import annotations

from explorer.lecture.notes_gaussian import LATENT_SPACE_OBJECTIVES
from explorer.maths import latent
from explorer.models.ae import Autoencoder
from explorer.models.vae import VAE
from explorer.training.train import Trainer
from explorer.ui import pages, training
from explorer.ui.declarations.shared import OWN
from explorer.ui.declare import PageSpec, TabSpec, latex, markdown
from explorer.ui.state import Choice, Range
from explorer.ui.views import latent_space as latent_views

INTRO = (markdown("*How do we sample in the latent space?* An autoencoder compresses well but leaves holes; the "
                  "VAE's prior fills the plane. Every model here has a 2-D latent, so the whole space fits on "
                  "screen."),
         latex(LATENT_SPACE_OBJECTIVES))  # the losses the shipped models were trained with (the AE: cross-entropy)

TAB = "latent_tab"
DATASETS = ("mnist", "digits")
INTERP_MAX = 296  # the smallest held-out set of the page (digits: 297 images); larger indices are ignored
DRAG = "Drag through latent space"
INTERPOLATION = "Interpolation"


def dataset_header() -> str:
    return pages.dataset_picker(DATASETS, key="latent_dataset")


PAGE = PageSpec(
    intro=INTRO,
    stem="latent_space", title="Latent space", icon=":material/scatter_plot:",
    section="Autoencoders and latent variables", idea="Autoencoder and latent variable model",
    summary="AE vs VAE latent maps, prior samples in the AE's holes; hover anywhere in z to decode it, "
            "interpolate between two inputs.",
    header=dataset_header,
    tabs=(TabSpec("AE vs VAE", latent_views.ae_vs_vae, "ae_vs_vae", code=(Autoencoder.loss, VAE.loss)),
          TabSpec(DRAG, latent_views.hover_and_manifold, "drag", code=(latent.decode_points, latent.manifold_grid)),
          TabSpec(INTERPOLATION, latent_views.interpolation, "interpolation", code=(latent.lerp, latent.slerp)),
          TabSpec(OWN, latent_views.train_your_own, "own", code=(Trainer.step, VAE.loss))),
    tab_key=TAB,
    knobs={
        "latent_dataset": Choice(DATASETS, "mnist"),
        "hover_kind": Choice(("vae", "ae"), "vae"),
        "interp_a": Range(0, INTERP_MAX, 1, 0),
        "interp_b": Range(0, INTERP_MAX, 1, 1),
        "interp_mode": Choice(("linear", "spherical"), "linear"),
        "interp_steps": Range(3, 16, 1, 10),
        **training.setting_knobs(latent_views.TRAIN),
    },
    presets={
        "MNIST: holes in the AE": {"latent_dataset": "mnist", "hover_kind": "ae", TAB: DRAG},
        "MNIST: the VAE fills the plane": {"latent_dataset": "mnist", "hover_kind": "vae"},
        "Spherical path, 16 steps": {"latent_dataset": "mnist", TAB: INTERPOLATION, "interp_mode": "spherical",
                                     "interp_steps": 16, "interp_a": 2, "interp_b": 7},
        "Small digits (8×8)": {"latent_dataset": "digits", "hover_kind": "ae"},
    },
)
