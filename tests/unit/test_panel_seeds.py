"""Every panel that trains takes the sidebar's seed: it reaches the run's config, and the same seed twice gives
the same initial weights, whatever another session's thread draws meanwhile (issue 19, item 6). The views run
in Streamlit's bare mode, where every widget returns its default."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from seeding import assert_identical, global_rng_hammered, weights

from explorer import data, models
from explorer.analysis import collapse, exercises
from explorer.training import sweep, tokens
from explorer.training.jobs import TrainingJob
from explorer.ui import session, training
from explorer.ui.views import beta_sigma as beta_views
from explorer.ui.views import categorical_vae as gumbel_views
from explorer.ui.views import hierarchical_vae as hvae_views
from explorer.ui.views import tokens_priors as token_views
from explorer.ui.views import vq_vae as vq_views


@pytest.fixture(scope="module")
def digits() -> tuple[data.Dataset, data.Dataset]:
    return data.load("digits", "train"), data.load("digits", "test")


@pytest.fixture
def sidebar_seed(monkeypatch):
    """The sidebar's seed, as the views read it (`session.seed`), set by the test."""
    chosen = {"seed": 0}
    monkeypatch.setattr(session, "seed", lambda: chosen["seed"])
    return chosen


def latent(train, test) -> TrainingJob:
    kind, config, likelihood = training.run_settings("seed_latent", train)
    return training.new_job(kind, train, test, config, likelihood, {"beta": 1.0})


def beta(train, test) -> TrainingJob:
    config, likelihood, knobs = beta_views.live_settings("seed_beta")
    return beta_views.new_job(train, test, config, likelihood, knobs)


def vq(train, test) -> TrainingJob:
    config, options, knobs = vq_views.live_settings("seed_vq")
    return vq_views.new_job(train, test, config, options, knobs)


def categorical(train, test) -> TrainingJob:
    config, knobs = gumbel_views.live_settings("seed_gumbel")
    return gumbel_views.new_job(train, test, config, knobs)


def hierarchical(train, test) -> TrainingJob:
    overrides, config, knobs = hvae_views.live_settings("seed_hvae", train)
    return hvae_views.new_job(train, test, overrides, config, knobs)


def token_prior(train, test) -> TrainingJob:
    """As `token_views.live_panel`, over the codes of a small VQ-VAE (the page's is a shipped one)."""
    quantizer = models.build_seeded("vqvae", None, 0, x_dim=64, image_shape=(8, 8), hidden=(8,), codebook_size=16)
    codes = torch.randint(16, (32, 4, 4), generator=torch.Generator().manual_seed(0))
    config = dataclasses.replace(tokens.PRIOR_TRAIN, seed=session.seed())
    return token_views.new_job(quantizer, codes, codes, config)


PANELS = [latent, beta, vq, categorical, hierarchical, token_prior]


@pytest.mark.parametrize("panel", PANELS)
def test_every_training_panel_builds_from_the_sidebar_seed(panel, digits, sidebar_seed):
    sidebar_seed["seed"] = 7
    first = panel(*digits)
    assert first.config.seed == 7
    with global_rng_hammered():
        again = panel(*digits)
    assert_identical(weights(first.model), weights(again.model))
    sidebar_seed["seed"] = 8
    other = panel(*digits)
    assert any(not torch.equal(a, b) for a, b in zip(weights(first.model).values(), weights(other.model).values(),
                                                     strict=True))


def test_the_assignment_and_the_collapse_cases_build_from_their_seed():
    """The assignment page passes the sidebar's seed to `assignment_model`; each collapse case has its own."""
    first = weights(exercises.assignment_model(7))
    with global_rng_hammered():
        assert_identical(first, weights(exercises.assignment_model(7)))
        case = collapse.CASES["trap"]
        train = data.load(case.dataset, "train")
        assert_identical(weights(sweep.build_model(train, case.config)), weights(sweep.build_model(train, case.config)))
    assert not torch.equal(first["encoder.0.weight"], weights(exercises.assignment_model(8))["encoder.0.weight"])
