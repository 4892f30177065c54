"""The VQ-VAE: stop-gradients and the straight-through copy, the constant KL of the lecture's
exercise, the codebook options (EMA, k-means init, dead-code reset), shapes, training, checkpoints."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Categorical, Independent, OneHotCategorical, kl_divergence

from explorer import data, models
from explorer.models.quantizer import VectorQuantizer, code_counts, perplexity
from explorer.models.vqvae import VQVAE, VQVAEConfig
from explorer.store import checkpoints
from explorer.training.train import TrainConfig, Trainer

TINY_CONV = dict(x_dim=16, image_shape=(4, 4), hidden=(6,), codebook_size=8, code_dim=3)  # a 2×2 grid of codes
TINY_MLP = dict(arch="mlp", x_dim=2, image_shape=None, hidden=(16,), codebook_size=8, code_dim=2, n_codes=2,
                likelihood="gaussian", decoder_sigma=0.5)
ARCHS = {"conv": TINY_CONV, "mlp": TINY_MLP}


def tiny(arch: str = "conv", **overrides) -> VQVAE:
    torch.manual_seed(0)
    return models.build("vqvae", None, **{**ARCHS[arch], **overrides})


def inputs(model: VQVAE, n: int = 8) -> torch.Tensor:
    torch.manual_seed(1)
    make = torch.rand if model.config.likelihood == "bernoulli" else torch.randn  # pixels or points
    return make(n, model.config.x_dim)


def grads(term: torch.Tensor, params: list[torch.Tensor]) -> list[torch.Tensor | None]:
    return list(torch.autograd.grad(term, params, retain_graph=True, allow_unused=True))


def nonzero(grad: torch.Tensor | None) -> bool:
    return grad is not None and bool(grad.abs().sum() > 0)


# --- gradients: the straight-through copy and the stop-gradients ------------------------------

@pytest.mark.parametrize("arch", ARCHS)
def test_reconstruction_gradient_reaches_the_encoder_through_the_straight_through_copy(arch):
    model = tiny(arch)
    x = inputs(model)
    terms = model.loss(x)
    encoder = list(model.encoder.parameters())
    assert all(nonzero(g) for g in grads(terms["recon"], encoder))
    assert grads(terms["recon"], [model.codebook]) == [None]  # the codebook learns from its own loss only

    # the gradient that reaches z_e is exactly the decoder's gradient at z_q
    model.eval()
    z_e = model.encode_continuous(x)  # (B, *grid, D)
    z_q_st = model.quantizer(z_e.reshape(-1, model.config.code_dim)).z_q.reshape(z_e.shape)
    (grad_z_e,) = torch.autograd.grad(-model.decode(z_q_st).log_prob(x).sum(), z_e)
    z_q = model.lookup(model.codes(x)).detach().requires_grad_(True)
    torch.testing.assert_close(z_q_st, z_q)  # forward value: z_q
    (grad_z_q,) = torch.autograd.grad(-model.decode(z_q).log_prob(x).sum(), z_q)
    torch.testing.assert_close(grad_z_e, grad_z_q)  # backward: the identity, decoder -> encoder


@pytest.mark.parametrize("arch", ARCHS)
def test_codebook_loss_moves_only_the_codebook_and_commitment_only_the_encoder(arch):
    model = tiny(arch)
    terms = model.loss(inputs(model))
    encoder, decoder = list(model.encoder.parameters()), list(model.decoder.parameters())
    codebook_grads = grads(terms["codebook"], [model.codebook, *encoder, *decoder])
    assert nonzero(codebook_grads[0])
    assert all(g is None for g in codebook_grads[1:])
    commitment_grads = grads(terms["commitment"], [model.codebook, *encoder, *decoder])
    assert commitment_grads[0] is None and all(g is None for g in commitment_grads[1 + len(encoder):])
    assert all(nonzero(g) for g in commitment_grads[1 : 1 + len(encoder)])


def test_loss_weighs_commitment_by_beta_and_adds_the_codebook_term():
    model = tiny().eval()
    x = inputs(model)
    t1, t3 = model.loss(x, reduce=False), model.loss(x, commitment_beta=3.0, reduce=False)
    torch.testing.assert_close(t1["loss"], t1["recon"] + t1["codebook"] + 0.25 * t1["commitment"])
    torch.testing.assert_close(t3["loss"], t3["recon"] + t3["codebook"] + 3.0 * t3["commitment"])
    torch.testing.assert_close(t1["commitment"], t1["codebook"])  # the same distance, stopped on either side
    assert models.loss_knobs(model) == ("commitment_beta", "decoder_sigma")


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_recon_is_minus_log_likelihood_of_the_decoded_codes(likelihood):
    model = tiny(likelihood=likelihood).eval()
    x = inputs(model)
    expected = -model.decode(model.codes(x), decoder_sigma=0.3).log_prob(x)
    torch.testing.assert_close(model.loss(x, decoder_sigma=0.3, reduce=False)["recon"], expected)


# --- the lecture's exercise: KL of a one-hot posterior to the uniform prior -----------------------

@pytest.mark.parametrize("arch", ARCHS)
def test_kl_to_the_uniform_prior_is_log_k_per_position(arch):
    model = tiny(arch).eval()
    x = inputs(model)
    terms = model.loss(x, reduce=False)
    codes = model.codes(x)  # (B, *grid)
    one_hot = torch.nn.functional.one_hot(codes, model.config.codebook_size).float()  # (B, *grid, K)
    n_grid = len(model.latent_shape)
    q = Independent(Categorical(probs=one_hot), n_grid)  # deterministic q(k|x)
    expected = kl_divergence(q, model.prior)  # (B,)
    per_position = kl_divergence(OneHotCategorical(probs=one_hot), OneHotCategorical(logits=torch.zeros_like(one_hot)))
    torch.testing.assert_close(per_position, torch.full(codes.shape, math.log(model.config.codebook_size)))
    torch.testing.assert_close(terms["kl"], expected)
    torch.testing.assert_close(terms["kl"], torch.full((x.shape[0],), model.n_positions * math.log(8)))
    torch.testing.assert_close(terms["elbo"], -(terms["recon"] + terms["kl"]))
    torch.testing.assert_close(model.prior.log_prob(codes), -terms["kl"])


# --- the codebook options -----------------------------------------------------------------------

def test_dead_codes_are_reset_onto_encoder_outputs_and_then_used():
    torch.manual_seed(0)
    quantizer = VectorQuantizer(4, 2, dead_code_reset_steps=3).train()
    with torch.no_grad():
        quantizer.codebook.copy_(torch.tensor([[0.0, 0.0], [50.0, 50.0], [-50.0, 50.0], [50.0, -50.0]]))
    z_e = 0.1 * torch.randn(32, 2)  # every encoder output sits next to code 0
    for _ in range(2):
        assert quantizer(z_e).counts.tolist() == [32, 0, 0, 0]
    assert quantizer.dead_codes(window=2).tolist() == [False, True, True, True]
    quantizer(z_e)  # the third step without use: codes 1-3 are reset
    for code in quantizer.codebook[1:]:
        assert (z_e - code).abs().sum(dim=1).min() == 0  # each sits on an encoder output
    assert quantizer.usage()["dead_codes"] == 0
    assert (quantizer(z_e).counts > 0).sum() > 1  # and is picked now


def test_without_reset_dead_codes_stay_dead():
    quantizer = VectorQuantizer(4, 2).train()
    with torch.no_grad():
        quantizer.codebook.copy_(torch.tensor([[0.0, 0.0], [50.0, 50.0], [-50.0, 50.0], [50.0, -50.0]]))
    for _ in range(5):
        quantizer(0.1 * torch.randn(32, 2))
    assert quantizer.usage(window=5)["dead_codes"] == 3 and quantizer.steps_since_used.tolist() == [0, 5, 5, 5]


@pytest.mark.parametrize("decay, epsilon", [(0.9, 1e-5), (0.0, 1e-5)])
def test_ema_moves_codes_toward_the_mean_of_their_encoder_outputs(decay, epsilon):
    quantizer = VectorQuantizer(3, 2, ema=True, ema_decay=decay, ema_epsilon=epsilon).train()
    e0 = torch.tensor([[0.0, 0.0], [10.0, 10.0], [-10.0, 10.0]])
    with torch.no_grad():
        quantizer.codebook.copy_(e0)
        quantizer.ema_embed_sum.copy_(e0)  # the pseudo-count 1 per code keeps e = m / N
    z_e = torch.tensor([[1.0, 0.0], [0.0, 2.0], [2.0, 1.0], [9.0, 8.0]])  # three near code 0, one near code 1
    quantizer(z_e)
    counts = torch.tensor([3.0, 1.0, 0.0])
    sums = torch.stack([z_e[:3].sum(0), z_e[3], torch.zeros(2)])
    n_k = decay + (1 - decay) * counts  # N_k <- γ N_k + (1-γ) n_k, from N_k = 1
    m_k = decay * e0 + (1 - decay) * sums  # m_k <- γ m_k + (1-γ) Σ z_e
    n = n_k.sum()
    smoothed = (n_k + epsilon) / (n + 3 * epsilon) * n
    torch.testing.assert_close(quantizer.codebook.detach(), m_k / smoothed[:, None])
    means = torch.stack([z_e[:3].mean(0), z_e[3]])
    assert ((quantizer.codebook[:2] - means).norm(dim=1) < (e0[:2] - means).norm(dim=1)).all()
    if decay == 0.0:  # γ = 0: straight to the means (up to the smoothing)
        torch.testing.assert_close(quantizer.codebook[:2].detach(), means, atol=1e-3, rtol=0)
    else:  # an unused code keeps its place while its count decays
        torch.testing.assert_close(quantizer.codebook[2].detach(), e0[2], atol=1e-3, rtol=0)


def test_ema_model_trains_the_codebook_by_averages_not_by_gradients():
    model = tiny(ema=True)
    assert not model.codebook.requires_grad
    terms = model.loss(inputs(model), reduce=False)
    torch.testing.assert_close(terms["loss"], terms["recon"] + 0.25 * terms["commitment"])
    assert not terms["codebook"].requires_grad  # reported, not trained on
    model.codebook.requires_grad_(True)  # as a training job's copy does: still no gradient reaches it
    model.loss(inputs(model))["loss"].backward()
    assert model.codebook.grad is None


def test_kmeans_init_places_codes_on_the_cluster_centres():
    torch.manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0], [5.0, -5.0]])
    points = (centres[:, None, :] + 0.1 * torch.randn(4, 50, 2)).reshape(-1, 2)  # (4, 50, 2) -> (200, 2)
    cluster_means = points.reshape(4, 50, 2).mean(dim=1)  # (200, 2) -> (4, 50, 2) -> (4, 2)
    quantizer = VectorQuantizer(4, 2, kmeans_init=True)
    quantizer.eval()(points)
    assert not quantizer.initialized  # only a training step initializes
    quantizer.train()(points)
    assert quantizer.initialized
    distances = torch.cdist(cluster_means, quantizer.codebook.detach())  # (4, 4)
    assert distances.min(dim=1).values.max() < 1e-4  # a code on every centre
    assert sorted(distances.argmin(dim=1).tolist()) == [0, 1, 2, 3]  # and a different one
    before = quantizer.codebook.detach().clone()
    quantizer(points + 1.0)
    assert torch.equal(quantizer.codebook.detach(), before)  # only the first batch


def test_perplexity_is_k_for_uniform_use_and_one_for_a_single_code():
    assert perplexity(torch.full((16,), 5)).item() == pytest.approx(16.0)
    assert perplexity(torch.tensor([0, 12, 0, 0])).item() == pytest.approx(1.0)
    assert perplexity(torch.tensor([1, 1, 2])).item() == pytest.approx(math.exp(1.5 * math.log(2)))
    assert code_counts(torch.tensor([[0, 2], [2, 2]]), 4).tolist() == [1, 0, 3, 0]
    quantizer = VectorQuantizer(4, 1).train()
    with torch.no_grad():
        quantizer.codebook.copy_(torch.tensor([[0.0], [1.0], [2.0], [3.0]]))
    quantizer(torch.tensor([[0.0], [1.1], [2.0], [2.9]]))
    usage = quantizer.usage()
    assert usage["last_counts"].tolist() == [1, 1, 1, 1] and usage["perplexity"].item() == pytest.approx(4.0)


def test_eval_mode_changes_no_codebook_or_counter():
    model = tiny(ema=True, dead_code_reset_steps=1, kmeans_init=True).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.loss(inputs(model))
    model.encode(inputs(model))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


# --- the interface --------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, grid, x_dim", [
    ({}, (7, 7), 784),  # the default: MNIST, a 7×7 grid of codes
    (TINY_CONV, (2, 2), 16),
    (TINY_MLP, (2,), 2),  # toy2d points
    (dict(arch="mlp", x_dim=64, image_shape=(8, 8), hidden=(32,), n_codes=4), (4,), 64),  # 8×8 digits
])
def test_shapes(overrides, grid, x_dim):
    torch.manual_seed(0)
    model = models.build("vqvae", None, **overrides)
    k, d = model.config.codebook_size, model.config.code_dim
    x = torch.rand(3, x_dim)
    codes = model.codes(x)
    assert codes.shape == (3, *grid) and codes.dtype == torch.long and 0 <= codes.min() and codes.max() < k
    assert model.encode_continuous(x).shape == (3, *grid, d) and model.lookup(codes).shape == (3, *grid, d)
    for z in (codes, model.lookup(codes)):
        p_x = model.decode(z)
        assert p_x.batch_shape == (3,) and p_x.event_shape == (x_dim,)
        assert model.decode_mean(z).shape == (3, x_dim)
    assert model.prior.event_shape == grid and model.prior.batch_shape == ()
    assert model.sample(5, generator=torch.Generator().manual_seed(0)).shape == (5, x_dim)
    terms = model.loss(x)
    assert {"loss", "recon", "commitment", "codebook", "kl", "elbo", "perplexity"} <= terms.keys()
    assert all(t.dim() == 0 and torch.isfinite(t) for t in terms.values())
    assert all(t.shape == (3,) for t in model.loss(x, reduce=False).values())
    with pytest.raises(ValueError, match="decode takes codes"):
        model.decode(torch.zeros(3, 5, dtype=torch.long))


def test_bad_configs_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="arch"):
        models.build("vqvae", None, arch="transformer")
    with pytest.raises(ValueError, match="divisible"):
        models.build("vqvae", None, x_dim=30 * 30, image_shape=(30, 30), hidden=(8, 8, 8))
    with pytest.raises(ValueError, match="image_shape"):
        models.build("vqvae", None, x_dim=100)
    with pytest.raises(ValueError, match="likelihood"):
        models.build("vqvae", None, likelihood="poisson")
    assert models.config_from_dict("vqvae", models.config_to_dict(VQVAEConfig())) == VQVAEConfig()


# --- training and checkpoints ---------------------------------------------------------------------

@pytest.mark.parametrize("options", [{}, dict(ema=True, kmeans_init=True, dead_code_reset_steps=5)])
def test_a_few_trainer_steps_lower_the_loss(options):
    x = data.load("digits", "train").x[:256]  # (256, 64) 8×8 digits in [0, 1]
    model = models.build("vqvae", None, x_dim=64, image_shape=(8, 8), hidden=(16,), codebook_size=16,
                         code_dim=4, **options)
    torch.manual_seed(0)
    trainer = Trainer(model, x, TrainConfig(steps=80, batch_size=64, lr=1e-2, log_every=10, snapshot_every=5),
                      knobs={"commitment_beta": 0.25, "beta": 2.0})
    trainer.run()
    losses = [row["loss"] for row in trainer.state.history]
    assert losses[-1] < 0.7 * losses[0], losses
    assert {"commitment", "codebook", "perplexity"} <= trainer.state.history[-1].keys()
    assert model.usage()["total_counts"].sum() == 80 * 64 * 16  # every position of every batch counted


@pytest.mark.parametrize("arch", ARCHS)
def test_checkpoint_round_trip_gives_identical_outputs(arch, tmp_path):
    model = tiny(arch, ema=True, kmeans_init=True, dead_code_reset_steps=2).train()
    for _ in range(3):  # move the codebook, its EMA statistics and the counters away from their start
        model.loss(inputs(model, 32))
    loaded = checkpoints.load(checkpoints.save(model, tmp_path / "vq.safetensors"))
    assert type(loaded) is VQVAE and loaded.config == model.config
    original, restored = model.state_dict(), loaded.state_dict()
    assert {"quantizer.ema_cluster_size", "quantizer.steps_since_used", "quantizer.initialized"} <= original.keys()
    assert original.keys() == restored.keys() and all(torch.equal(original[k], restored[k]) for k in original)
    model.eval()
    x = inputs(model)
    assert torch.equal(model.codes(x), loaded.codes(x))
    codes = model.codes(x)
    assert torch.equal(model.decode_mean(codes), loaded.decode_mean(codes))
    for name, value in model.loss(x).items():
        assert torch.equal(value, loaded.loss(x)[name]), name
