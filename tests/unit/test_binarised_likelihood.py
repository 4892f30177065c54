"""Issue 20, item 11: a log p(x) shown in nats is the log of a probability. A Bernoulli decoder is a mass function
on binary images, so grey images are binarised before they are scored and grey pixels are refused."""

import itertools

import pytest
import torch

from explorer import models
from explorer.analysis import compare, elbo_report
from explorer.maths import bounds, likelihood
from explorer.models.common import reconstruction_nll


def small_vae(likelihood_name: str = "bernoulli"):
    return models.build_seeded("vae", None, 0, x_dim=4, z_dim=2, hidden=(8,), likelihood=likelihood_name).double()


def test_the_decoder_sums_to_one_over_binary_images_for_several_z():
    """Σ over all 2^4 binary images of p(x|z) is 1: the numbers are log-probabilities. Grey pixels scored as soft
    targets are not: their 'density' over [0, 1]^4 integrates to less than 1."""
    model = small_vae()
    every_image = torch.tensor(list(itertools.product((0.0, 1.0), repeat=4)), dtype=torch.float64)  # (16, 4)
    z = torch.tensor([[0.0, 0.0], [2.0, -1.5], [-3.0, 3.0]], dtype=torch.float64)
    log_p = likelihood.log_likelihood(model, every_image, z[:, None])  # (3 z, 16 images)
    torch.testing.assert_close(log_p.logsumexp(1), torch.zeros(3, dtype=torch.float64), atol=1e-12, rtol=0)
    grid = (torch.arange(50, dtype=torch.float64) + 0.5) / 50  # midpoints of [0, 1], one pixel at a time
    logits = model._decoder_param(z).detach()  # (3, 4)
    soft = -torch.nn.functional.binary_cross_entropy_with_logits(
        logits[..., None].expand(-1, -1, 50), grid.expand(3, 4, 50), reduction="none")
    assert (soft.exp().mean(-1) < 0.99).all()  # ∫ λ^x (1−λ)^(1−x) dx = 1/C(λ) < 1 per pixel


def test_grey_pixels_are_refused_and_scored_input_binarises_them():
    model, grey = small_vae(), torch.tensor([[0.2, 0.5, 0.49, 1.0]], dtype=torch.float64)
    with pytest.raises(ValueError, match="binary pixels only"):
        likelihood.log_marginal(model, grey)
    with pytest.raises(ValueError, match="binary pixels only"):
        bounds.naive_bound(model, grey, 10, generator=0)
    torch.testing.assert_close(likelihood.scored_input(model, grey), torch.tensor([[0.0, 1.0, 0.0, 1.0]],
                                                                                  dtype=torch.float64))
    gaussian = small_vae("gaussian")
    assert likelihood.scored_input(gaussian, grey) is grey  # a density on R^D scores grey values as they are


def test_every_likelihood_the_pages_show_is_of_the_binarised_image():
    model, grey = small_vae(), torch.tensor([0.2, 0.7, 0.45, 0.9], dtype=torch.float64)
    binary = likelihood.binarise(grey)
    report = elbo_report.report(model, grey, grid_n=16)
    torch.testing.assert_close(torch.as_tensor(report["scored_x"]), binary)
    assert report["log_px"] == pytest.approx(float(likelihood.log_marginal(model, binary[None])[0]), abs=1e-9)
    assert elbo_report.iwae_estimate(model, grey, 10, seed=0) == elbo_report.iwae_estimate(model, binary, 10, seed=0)
    value, label = compare.likelihood(model, grey[None])
    assert label == "log p(x)" and value == pytest.approx(report["log_px"], abs=1e-9)


def test_the_training_loss_of_a_grey_image_is_the_mean_over_its_binarisations():
    """Soft targets are dynamic binarisation without its noise: E over x_b ~ Bernoulli(x) of −log p(x_b|z)."""
    logits = torch.tensor([[1.5, -0.3, 2.0]], dtype=torch.float64)
    grey = torch.tensor([[0.2, 0.9, 0.5]], dtype=torch.float64)
    expected = 0.0
    for bits in itertools.product((0.0, 1.0), repeat=3):
        x_b = torch.tensor([bits], dtype=torch.float64)
        weight = torch.where(x_b == 1, grey, 1 - grey).prod()
        expected += weight * reconstruction_nll(logits, x_b, "bernoulli", 1.0)
    torch.testing.assert_close(reconstruction_nll(logits, grey, "bernoulli", 1.0), expected)
