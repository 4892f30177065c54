"""Draw and compare: reconstructions of every kind, the right likelihood for each, the interpolation."""

import math

import numpy as np
import pytest
import torch

from explorer import models
from explorer.analysis import compare
from explorer.maths.likelihood import log_marginal
from explorer.store import zoo

SMALL = {"ae": dict(z_dim=2), "vae": dict(z_dim=2), "vqvae": dict(codebook_size=8, code_dim=2),
         "gumbel": dict(groups=2, categories=3), "hvae": dict(groups=(2, 1), hidden=12),
         "convvae": dict(hidden=(4,), code_dim=2)}


def small(kind: str, **overrides):
    torch.manual_seed(0)
    shape = dict(x_dim=16, hidden=(12,), image_shape=(4, 4))
    return models.build(kind, None, **{**shape, **SMALL.get(kind, {}), **overrides}).eval()


@pytest.mark.parametrize("kind", models.kinds())
def test_every_kind_reconstructs_one_image(kind):
    if kind not in SMALL:
        pytest.skip(f"{kind}: no small config here")
    image = np.random.default_rng(0).random((4, 4)).astype(np.float32)
    (result,) = compare.compare({kind: small(kind)}, image)
    assert result.x_hat.shape == (16,) and ((0 <= result.x_hat) & (result.x_hat <= 1)).all()
    assert result.squared_error == pytest.approx(float(((image.reshape(-1) - result.x_hat) ** 2).sum()), rel=1e-5)


def test_likelihoods_are_exact_for_a_2d_vae_bounds_elsewhere_and_absent_for_the_ae():
    x = torch.rand(1, 16).round()  # binary: what a Bernoulli decoder's log p(x) scores
    vae = small("vae")
    value, label = compare.likelihood(vae, x)
    assert label == "log p(x)" and value == pytest.approx(float(log_marginal(vae, x)[0]), abs=1e-4)
    assert compare.likelihood(small("ae"), x) == (None, "—")
    vq = small("vqvae")
    value, label = compare.likelihood(vq, x)
    with torch.no_grad():
        recon = float(vq.loss(x, reduce=False)["recon"][0])
    assert label == "ELBO ≤ log p(x)" and value == pytest.approx(-recon - vq.n_positions * math.log(8), rel=1e-5)
    wide = small("vae", z_dim=3)
    assert compare.likelihood(wide, x)[1] == "ELBO ≤ log p(x)"


def test_the_categorical_vae_reconstructs_from_its_argmax_code():
    model = small("gumbel")
    x = torch.rand(3, 16)
    codes = torch.nn.functional.one_hot(model.encoder_logits(x).argmax(-1), 3).float()
    torch.testing.assert_close(compare.reconstruct(model, x), model.decode_mean(codes))


def test_interpolation_runs_between_the_two_drawings_codes():
    vae = small("vae")
    a, b = np.zeros((4, 4), np.float32), np.ones((4, 4), np.float32)
    path, images = compare.interpolation(vae, a, b, steps=5)
    assert path.shape == (5, 2) and images.shape == (5, 16)
    np.testing.assert_allclose(path[0], compare.latent_position(vae, a), atol=1e-6)
    np.testing.assert_allclose(path[-1], compare.latent_position(vae, b), atol=1e-6)


def test_the_shipped_list_has_models_of_x_only_in_the_lecture_order():
    names = compare.shipped_models("mnist")
    kinds = [zoo.entry(name)["kind"] for name in names]
    assert "prior" not in kinds and set(kinds) <= set(models.kinds())
    assert kinds == sorted(kinds, key=compare.KIND_ORDER.index)
