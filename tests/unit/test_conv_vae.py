"""The conv VAE: the VQ-VAE's encoder and decoder with a Gaussian latent at every grid position; shapes,
the analytic KL against torch.distributions, elbo = −(recon + kl), checkpoints, same layers as the VQ-VAE."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch.distributions import kl_divergence

from explorer import models
from explorer.models.conv_vae import ConvVAE, ConvVAEConfig
from explorer.models.vqvae import VQVAE
from explorer.store import checkpoints

TINY = dict(x_dim=16, image_shape=(4, 4), hidden=(6,), code_dim=3)  # a 2×2 grid of 3 units


def tiny(**overrides) -> ConvVAE:
    torch.manual_seed(0)
    return models.build("convvae", None, **{**TINY, **overrides})


def inputs(n: int = 8, x_dim: int = 16) -> torch.Tensor:
    return torch.rand(n, x_dim, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("overrides, grid", [({}, (7, 7)), (TINY, (2, 2)), (dict(hidden=(8,), x_dim=64,
                                                                                  image_shape=(8, 8)), (4, 4))])
def test_shapes(overrides, grid):
    torch.manual_seed(0)
    model = models.build("convvae", None, **overrides)
    d, x_dim = model.config.code_dim, model.config.x_dim
    x = torch.rand(3, x_dim)
    q = model.encode(x)
    assert q.batch_shape == (3,) and q.event_shape == (*grid, d)
    z = q.rsample()
    assert z.shape == (3, *grid, d) and model.config.z_dim == grid[0] * grid[1] * d
    p_x = model.decode(z)
    assert p_x.batch_shape == (3,) and p_x.event_shape == (x_dim,)
    assert model.decode_mean(z).shape == (3, x_dim) and 0 <= model.decode_mean(z).min()
    assert model.prior.event_shape == (*grid, d) and model.prior.batch_shape == ()
    assert model.sample(5, generator=torch.Generator().manual_seed(0)).shape == (5, x_dim)
    terms = model.loss(x)
    assert terms.keys() == {"loss", "recon", "kl", "elbo"} and all(t.dim() == 0 for t in terms.values())
    assert all(t.shape == (3,) for t in model.loss(x, reduce=False).values())
    with pytest.raises(ValueError, match="decode takes z"):
        model.decode(torch.zeros(3, d))
    assert "z_dim" not in {f.name for f in dataclasses.fields(ConvVAEConfig)}  # a grid, not a vector


def test_analytic_kl_matches_torch_distributions():
    model = tiny()
    with torch.no_grad():  # a wider spread of means and variances than a fresh encoder gives
        model.encoder[-1].bias.normal_(0.0, 1.0)
    x = inputs()
    expected = kl_divergence(model.encode(x), model.prior)  # (B,): the sum over positions and units
    torch.testing.assert_close(model.loss(x, reduce=False)["kl"], expected)
    assert (expected > 0).all()


def test_elbo_is_minus_recon_minus_kl_and_beta_weighs_kl():
    model = tiny()
    x = inputs()
    torch.manual_seed(2)
    t1 = model.loss(x, reduce=False)
    torch.manual_seed(2)
    t4 = model.loss(x, beta=4.0, reduce=False)
    torch.testing.assert_close(t1["elbo"], -(t1["recon"] + t1["kl"]))
    torch.testing.assert_close(t1["loss"], t1["recon"] + t1["kl"])
    torch.testing.assert_close(t4["loss"], t4["recon"] + 4.0 * t4["kl"])
    assert models.loss_knobs(model) == ("beta", "decoder_sigma")


def test_recon_is_minus_log_likelihood_of_the_reparameterized_sample():
    model = tiny(likelihood="gaussian")
    x = inputs()
    mu, logvar = model.encoder_params(x)
    torch.manual_seed(3)
    recon = model.loss(x, decoder_sigma=0.3, reduce=False)["recon"]
    torch.manual_seed(3)
    z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
    torch.testing.assert_close(recon, -model.decode(z, decoder_sigma=0.3).log_prob(x))


def layer_shapes(module: torch.nn.Module) -> list[tuple[str, tuple[int, ...]]]:
    return [(name, tuple(p.shape)) for name, p in module.named_parameters()]


@pytest.mark.parametrize("overrides", [{}, TINY])
def test_same_encoder_and_decoder_layers_as_the_vqvae_of_the_same_config(overrides):
    config = ConvVAEConfig(**overrides)
    vae, vq = ConvVAE(config), VQVAE(config.vq_config(codebook_size=32))
    assert vq.latent_shape == vae.latent_shape
    assert layer_shapes(vae.decoder) == layer_shapes(vq.decoder)
    vae_encoder, vq_encoder = layer_shapes(vae.encoder), layer_shapes(vq.encoder)
    assert vae_encoder[:-2] == vq_encoder[:-2]  # every layer but the last 1×1 convolution
    (w_name, w_vae), (b_name, b_vae) = vae_encoder[-2:]
    (_, w_vq), (_, b_vq) = vq_encoder[-2:]
    assert w_vae == (2 * w_vq[0], *w_vq[1:]) and b_vae == (2 * b_vq[0],)  # mu and logvar instead of z_e
    layer_types = [type(m).__name__ for m in [*vq.encoder, *vq.decoder]]
    assert [type(m).__name__ for m in [*vae.encoder, *vae.decoder]] == layer_types


def test_bad_configs_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="divisible"):
        models.build("convvae", None, x_dim=30 * 30, image_shape=(30, 30), hidden=(8, 8, 8))
    with pytest.raises(ValueError, match="image_shape"):
        models.build("convvae", None, x_dim=100)
    with pytest.raises(ValueError, match="likelihood"):
        models.build("convvae", None, likelihood="poisson")


def test_checkpoint_round_trip_gives_identical_outputs(tmp_path):
    model = tiny()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(3):  # move the weights away from their start
        optimizer.zero_grad()
        model.loss(inputs(32))["loss"].backward()
        optimizer.step()
    loaded = checkpoints.load(checkpoints.save(model.eval(), tmp_path / "conv.safetensors"))
    assert type(loaded) is ConvVAE and loaded.config == model.config
    original, restored = model.state_dict(), loaded.state_dict()
    assert original.keys() == restored.keys() and all(torch.equal(original[k], restored[k]) for k in original)
    x = inputs()
    torch.testing.assert_close(model.encode(x).mean, loaded.encode(x).mean, rtol=0, atol=0)
    z = model.encode(x).mean
    assert torch.equal(model.decode_mean(z), loaded.decode_mean(z))
    for name in ("recon", "kl", "elbo"):
        torch.manual_seed(0)
        a = model.loss(x)[name]
        torch.manual_seed(0)
        assert torch.equal(a, loaded.loss(x)[name]), name
