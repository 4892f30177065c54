"""The app's outline: every page in the sidebar's order, each with its section. `app.py`'s navigation
(`navigation.navigation_pages`) and the Home map (one card per page, in this order) both read it, and
`presets` derives the URL state from the same declarations. The Home page is declared here, since the
outline is what it shows."""

from __future__ import annotations

from explorer.ui.declarations import (
    assignment,
    beta_sigma,
    categorical_vae,
    draw_compare,
    elbo_gap,
    exercises,
    hierarchical_vae,
    latent_space,
    my_models,
    reparameterization,
    straight_through,
    tokens_priors,
    vae_em,
    vq_vae,
)
from explorer.ui.declare import MAIN, PageSpec, TabSpec, markdown
from explorer.ui.views import home as home_views

LECTURE = (latent_space.PAGE, elbo_gap.PAGE, beta_sigma.PAGE, reparameterization.PAGE, vae_em.PAGE, vq_vae.PAGE,
           straight_through.PAGE, categorical_vae.PAGE, tokens_priors.PAGE, hierarchical_vae.PAGE,
           draw_compare.PAGE, my_models.PAGE, exercises.PAGE, assignment.PAGE)


def lecture_map() -> None:
    home_views.lecture_map(LECTURE)


HOME = PageSpec(
    stem="home", title="Home", heading="Latent Lab", icon=":material/home:", section="Start", default=True,
    idea="The lecture's map", summary="Every idea of the lecture, a card each, linked to its page.",
    intro=(markdown("The live companion to the lecture on **variational autoencoders**. Every idea gets a page "
                    "where a small model is loaded instantly from a pretrained checkpoint, or trained in front of "
                    "you in seconds, and can be pushed around by hand. Follow the lecture from left to right, top "
                    "to bottom."),),
    tabs=(TabSpec(MAIN, lecture_map, note=None),),
)

PAGES = (HOME, *LECTURE)


BY_STEM = {spec.stem: spec for spec in PAGES}


def page(stem: str) -> PageSpec:
    """The declaration of the page whose file is pages/<stem>.py (a KeyError names an unknown one)."""
    return BY_STEM[stem]
