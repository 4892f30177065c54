"""Every registered model: finite loss, gradients reach every weight, config round trip. The shapes of the
protocol, its checkpoint round trip and its draws are in test_protocol.py."""

import dataclasses

import pytest
import torch

from explorer import models

SMALL = dict(x_dim=16, z_dim=2, hidden=(12,), image_shape=(4, 4))
# kinds without a z_dim field (the VQ-VAE's codes, the categorical VAE's one-hot groups, the grids and groups of
# the conv and hierarchical VAEs) get their own small config here
SMALL_BY_KIND = {"vqvae": dict(x_dim=16, hidden=(12,), image_shape=(4, 4), codebook_size=8, code_dim=2),
                 "gumbel": dict(x_dim=16, hidden=(12,), image_shape=(4, 4), groups=2, categories=3),
                 "convvae": dict(x_dim=16, hidden=(12,), image_shape=(4, 4), code_dim=2),
                 "hvae": dict(x_dim=16, hidden=12, image_shape=(4, 4), groups=(2, 1))}
CONTINUOUS_KINDS = tuple(
    kind for kind in models.kinds() if "z_dim" in {f.name for f in dataclasses.fields(models.REGISTRY[kind][1])}
)


@pytest.fixture(params=models.kinds())
def model(request):
    torch.manual_seed(0)
    return models.build(request.param, None, **SMALL_BY_KIND.get(request.param, SMALL))


@pytest.fixture(params=CONTINUOUS_KINDS)
def continuous_model(request):
    torch.manual_seed(0)
    return models.build(request.param, None, **SMALL)


def test_loss_terms_finite_and_backward(model):
    x = torch.rand(8, 16)
    terms = model.loss(x)
    assert "loss" in terms and "recon" in terms
    assert all(torch.isfinite(t) and t.dim() == 0 for t in terms.values())
    terms["loss"].backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, f"no gradient reaches {name}"


def test_per_sample_terms(model):
    terms = model.loss(torch.rand(6, 16), reduce=False)
    assert all(t.shape == (6,) for t in terms.values())


def test_config_round_trip(model):
    values = models.config_to_dict(model.config)
    assert models.config_from_dict(model.kind, values) == model.config
    json_like = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
    assert models.config_from_dict(model.kind, json_like) == model.config


def test_config_is_frozen_and_replace_builds_a_new_model(continuous_model):
    with pytest.raises(dataclasses.FrozenInstanceError):
        continuous_model.config.z_dim = 3
    bigger = models.build(continuous_model.kind, continuous_model.config, z_dim=3)
    assert bigger.config.z_dim == 3 and continuous_model.config.z_dim == 2


def test_unknown_kind_and_fields_are_refused():
    with pytest.raises(ValueError, match="unknown model kind"):
        models.build("nope")
    with pytest.raises(ValueError, match="unknown fields"):
        models.config_from_dict("vae", {"z_dim": 2, "colour": "red"})
    with pytest.raises(ValueError, match="likelihood"):
        models.build("vae", None, likelihood="poisson")


def test_vae_elbo_is_recon_minus_kl_and_beta_weighs_kl():
    torch.manual_seed(1)
    m = models.build("vae", None, **SMALL)
    x = torch.rand(10, 16)
    torch.manual_seed(2)
    t1 = m.loss(x, beta=1.0, reduce=False)
    torch.manual_seed(2)
    t3 = m.loss(x, beta=3.0, reduce=False)
    torch.testing.assert_close(t1["elbo"], -(t1["recon"] + t1["kl"]))
    torch.testing.assert_close(t3["loss"], t3["recon"] + 3.0 * t3["kl"])
    torch.testing.assert_close(t1["recon"], t3["recon"])


def test_gaussian_decoder_sigma_is_a_loss_argument():
    m = models.build("vae", None, likelihood="gaussian", **SMALL)
    x = torch.rand(4, 16)
    torch.manual_seed(0)
    wide = m.loss(x, decoder_sigma=1.0)["recon"]
    torch.manual_seed(0)
    narrow = m.loss(x, decoder_sigma=0.1)["recon"]
    assert narrow > wide  # same error, smaller sigma: a larger penalty


def test_reconstruction_matches_torch_distributions(continuous_model):
    """The fused -log p(x|z) equals the log_prob of the distribution decode() returns."""
    from explorer.models.common import reconstruction_nll

    z = torch.randn(5, 2)
    x = torch.rand(5, 16)
    for likelihood, sigma in (("bernoulli", 0.1), ("gaussian", 0.3)):
        m = models.build(continuous_model.kind, None, likelihood=likelihood, **SMALL)
        expected = -m.decode(z, decoder_sigma=sigma).log_prob(x)
        got = reconstruction_nll(m.decoder(z), x, likelihood, sigma)
        torch.testing.assert_close(got, expected)


def test_free_bits_leave_the_first_nats_of_each_unit_free():
    m = models.build("vae", None, **SMALL)
    x = torch.rand(8, 16)
    torch.manual_seed(0)
    plain = m.loss(x, reduce=False)
    torch.manual_seed(0)
    free = m.loss(x, free_bits=5.0, reduce=False)
    torch.testing.assert_close(free["kl"], plain["kl"])  # the reported KL is the true one
    per_unit = plain["kl"].mean() / 2  # the fresh encoder's KL per unit is far below 5 nats
    assert per_unit < 5.0
    torch.testing.assert_close(free["loss"], plain["recon"] + 2 * 5.0)  # both units pay the floor
