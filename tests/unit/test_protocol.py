"""Every registered kind through the model protocol (`explorer.models.base`): shapes, a finite loss and its
gradients, a checkpoint round trip, draws that follow the generator, and knobs read from the loss signature."""

import inspect

import pytest
import torch
from torch.distributions import Distribution

from explorer import models
from explorer.maths.likelihood import log_marginal
from explorer.models.base import NOT_KNOBS
from explorer.models.common import LIKELIHOODS
from explorer.store import checkpoints
from explorer.training.train import TrainConfig, Trainer

X_DIM, BATCH = 16, 5
SMALL = {"ae": dict(z_dim=2, hidden=(12,)), "vae": dict(z_dim=2, hidden=(12,)),
         "vqvae": dict(hidden=(12,), codebook_size=8, code_dim=2),
         "gumbel": dict(hidden=(12,), groups=2, categories=3),
         "convvae": dict(hidden=(12,), code_dim=2), "hvae": dict(hidden=12, groups=(2, 1))}
ALL_KNOBS = {"beta": 0.5, "decoder_sigma": 0.3, "free_bits": 0.1, "tau": 0.7, "hard": True,
             "commitment_beta": 0.4, "not_a_knob": 1.0}


def build(kind: str, seed: int = 0, **overrides) -> torch.nn.Module:
    return models.build_seeded(kind, None, seed, x_dim=X_DIM, image_shape=(4, 4), **SMALL[kind], **overrides).eval()


def test_every_kind_has_a_small_config():
    assert set(SMALL) == set(models.kinds())


def draws(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture(params=models.kinds())
def model(request):
    return build(request.param)


def inputs(n: int = BATCH) -> torch.Tensor:
    return torch.rand(n, X_DIM, generator=draws(123))


def test_is_the_protocol_and_declares_its_capabilities(model):
    assert isinstance(model, models.LatentModel)
    caps = model.capabilities
    assert isinstance(caps, models.Capabilities)
    assert caps.continuous_latent != caps.categorical_latent
    assert models.registered_kind(model) == model.kind and models.is_latent_model(model)


def test_the_token_prior_is_outside_the_protocol():
    prior = models.build("prior")
    assert not isinstance(prior, models.LatentModel) and not models.is_latent_model(prior)
    assert models.registered_kind(prior) == "prior" and "prior" not in models.kinds()


@pytest.mark.parametrize("likelihood", LIKELIHOODS)
def test_shapes(model, likelihood):
    model = build(model.kind, likelihood=likelihood)
    q = model.encode(inputs())
    assert isinstance(q, Distribution) and q.batch_shape == (BATCH,)
    z = q.mean
    assert z.shape == (BATCH, *q.event_shape)
    p_x = model.decode(z)
    assert isinstance(p_x, Distribution) and p_x.batch_shape == (BATCH,) and p_x.event_shape == (X_DIM,)
    assert q.rsample().shape == z.shape if q.has_rsample else q.sample().shape == z.shape
    assert isinstance(model.prior, Distribution)
    # p(z) speaks z as q does; a codebook's prior is over the codes, q over their vectors z_q
    codebook = model.capabilities.has_codebook
    assert model.prior.event_shape == (q.event_shape[:-1] if codebook else q.event_shape)
    assert model.decode_mean(z).shape == model.reconstruct(inputs()).shape == (BATCH, X_DIM)
    assert model.sample(7, generator=draws(0)).shape == (7, X_DIM)


@pytest.mark.parametrize("kind", [kind for kind in models.kinds() if build(kind).capabilities.has_codebook])
def test_a_codebook_gives_codes_and_q_is_the_point_mass_at_z_q(kind):
    model = build(kind)
    codes = model.codes(inputs())
    assert codes.dtype == torch.long and 0 <= codes.min() and codes.max() < model.config.codebook_size
    assert torch.equal(model.encode(inputs()).mean, model.lookup(codes))
    assert torch.equal(model.decode_mean(codes), model.reconstruct(inputs()))


def test_capabilities_match_the_terms(model):
    terms = model.loss(inputs(), generator=draws(0))
    assert isinstance(terms, models.Terms) and terms.loss is terms["loss"] and terms.recon is not None
    assert (terms.kl is not None and terms.elbo is not None) == model.capabilities.has_elbo
    if model.capabilities.exact_likelihood:
        assert torch.isfinite(log_marginal(model, inputs(2).round())).all()  # binary pixels: any decoder scores them


def test_finite_loss_and_gradients(model):
    terms = model.train().loss(inputs(8), generator=draws(0))
    assert all(torch.isfinite(t) and t.dim() == 0 for t in terms.values())
    per_sample = model.loss(inputs(8), reduce=False, generator=draws(0))
    assert all(t.shape == (8,) for t in per_sample.values())
    terms.loss.backward()
    grads = {name: p.grad for name, p in model.named_parameters()}
    assert all(g is not None and torch.isfinite(g).all() for g in grads.values()), sorted(grads)


def test_checkpoint_round_trip(model, tmp_path):
    loaded = checkpoints.load(checkpoints.save(model, tmp_path / "m.safetensors")).eval()
    assert type(loaded) is type(model) and loaded.config == model.config
    assert loaded.capabilities == model.capabilities
    assert torch.equal(loaded.reconstruct(inputs()), model.reconstruct(inputs()))
    assert torch.equal(loaded.loss(inputs(), generator=draws(3)).loss, model.loss(inputs(), generator=draws(3)).loss)


def test_draws_follow_the_generator(model):
    first, again, other = (model.loss(inputs(), generator=draws(seed)).loss for seed in (0, 0, 1))
    assert torch.equal(first, again)
    assert torch.equal(first, other) == model.capabilities.point_mass_posterior  # nothing drawn: the same
    assert torch.equal(model.sample(8, generator=draws(0)), model.sample(8, generator=draws(0)))
    assert not torch.equal(model.sample(8, generator=draws(0)), model.sample(8, generator=draws(1)))


def test_signatures_take_the_generator_by_keyword(model):
    for method in (type(model).loss, type(model).sample):
        parameter = inspect.signature(method).parameters["generator"]
        assert parameter.kind is parameter.KEYWORD_ONLY and parameter.default is None


def test_knobs_are_the_loss_keywords_and_what_the_trainer_passes(model):
    signature = inspect.signature(type(model).loss).parameters.values()
    keywords = {p.name for p in signature if p.kind is p.KEYWORD_ONLY} - NOT_KNOBS
    assert set(models.loss_knobs(model)) == keywords and keywords <= set(ALL_KNOBS)
    passed = []
    loss = model.loss
    model.loss = lambda x, **kwargs: passed.append(set(kwargs) - NOT_KNOBS) or loss(x, **kwargs)
    Trainer(model, inputs(16), TrainConfig(steps=1, batch_size=8, eval_every=10**6), ALL_KNOBS).run(1)
    assert passed and all(names == keywords for names in passed)
