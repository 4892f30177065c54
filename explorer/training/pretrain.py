"""`python -m explorer pretrain`: reproducibly train the shipped checkpoints and write the manifest.

Every spec has fixed seeds, so running it again on the same data gives the same weights (up to
floating-point differences between machines); the manifest records config, data provenance,
steps, wall time, held-out metrics, the training history and each file's SHA256.
"""

from __future__ import annotations

import dataclasses
import time

import torch

from explorer import data, models
from explorer.analysis.compare import reconstruct
from explorer.maths.metrics import squared_error_per_image
from explorer.models.quantizer import code_counts, perplexity
from explorer.store import zoo
from explorer.training.pretrain_specs import PretrainSpec, history_columns
from explorer.training.sweep import PRETRAIN_SPECS
from explorer.training.tokens import PRIOR_SPECS, pretrain_prior
from explorer.training.train import TrainConfig, Trainer

MNIST_HIDDEN = (512, 256)
DIGITS_HIDDEN = (128, 64)
VQ_CODEBOOK = {"kmeans_init": True, "dead_code_reset_steps": 10}

SPECS = (
    PretrainSpec("mnist-ae-2d", "ae", "mnist", TrainConfig(steps=4000, lr=2e-3, eval_every=250),
                 {"hidden": MNIST_HIDDEN}),
    PretrainSpec("mnist-vae-2d", "vae", "mnist", TrainConfig(steps=4000, lr=2e-3, eval_every=500),
                 {"hidden": MNIST_HIDDEN}),
    PretrainSpec("digits-ae-2d", "ae", "digits", TrainConfig(steps=4000, lr=2e-3, eval_every=250),
                 {"hidden": DIGITS_HIDDEN}),
    PretrainSpec("digits-vae-2d", "vae", "digits", TrainConfig(steps=4000, lr=2e-3, eval_every=250),
                 {"hidden": DIGITS_HIDDEN}),
    # Jang et al. 2017's schedule: τ = max(0.5, exp(−r·step)), here reaching 0.5 at step ~2,300 of 4,000
    PretrainSpec("mnist-gumbel", "gumbel", "mnist",
                 TrainConfig(steps=4000, lr=2e-3, eval_every=500, tau_anneal_rate=3e-4, tau_min=0.5),
                 {"hidden": MNIST_HIDDEN, "groups": 20, "categories": 10}, knobs={"tau": 1.0, "hard": False}),
    PretrainSpec("moons-vae-2d", "vae", "moons", TrainConfig(steps=3000, lr=2e-3, eval_every=250),
                 {"hidden": (64, 64), "decoder_sigma": 0.1}),
    # the VQ-VAE and the conv VAE share encoder and decoder (7×7 grid, D = 16): the latent is the only
    # difference. k-means init and dead-code reset keep the codebook healthy (see the manifest's perplexity)
    PretrainSpec("mnist-vqvae", "vqvae", "mnist", TrainConfig(steps=3000, lr=2e-3, eval_every=250),
                 VQ_CODEBOOK | {"codebook_size": 128}, knobs={"commitment_beta": 0.25}),
    PretrainSpec("mnist-convvae", "convvae", "mnist", TrainConfig(steps=3000, lr=2e-3, eval_every=250)),
    PretrainSpec("sprites-vqvae", "vqvae", "sprites", TrainConfig(steps=2000, lr=2e-3, eval_every=250),
                 VQ_CODEBOOK | {"codebook_size": 64}, knobs={"commitment_beta": 0.25}),
    # a hierarchical VAE and the same network with one group: the same total latent size (52) and the same
    # residual blocks per path (3 stages of 1 block, or 1 of 3; 1.28 M vs 1.26 M weights); warm-up and free
    # bits per group for both. The hierarchy must have the better held-out ELBO (see the manifest)
    PretrainSpec("mnist-hvae", "hvae", "mnist", TrainConfig(steps=4000, lr=2e-3, eval_every=250, kl_warmup_steps=1000),
                 {"groups": (32, 16, 4), "hidden": 256, "blocks": 1}, knobs={"beta": 1.0, "free_bits": 0.25}),
    PretrainSpec("mnist-hvae-1group", "hvae", "mnist",
                 TrainConfig(steps=4000, lr=2e-3, eval_every=250, kl_warmup_steps=1000),
                 {"groups": (52,), "hidden": 256, "blocks": 3}, knobs={"beta": 1.0, "free_bits": 0.25}),
)
GAP_IMAGES = 50  # held-out samples whose exact log p(x) and gap are recorded at each evaluation
SPLIT_IMAGES = 16  # the first 16 of them also get the gap split: ~1-3 s per evaluation on 2 cores


def heldout_gap(x: torch.Tensor, split_images: int = SPLIT_IMAGES):
    """An eval hook: mean exact log p(x), exact ELBO and their gap on the given held-out samples (binarised under a
    Bernoulli decoder: `likelihood.scored_input`), and on the
    first `split_images` of them the mean approximation and amortization gaps (`explorer.maths.gap.decompose`, the
    best diagonal Gaussian q* fitted per image), which add up to the mean gap of those images."""
    from explorer.maths import bounds, gap, likelihood

    def evaluate(model: torch.nn.Module) -> dict:
        if not model.capabilities.exact_likelihood:
            return {}
        scored = likelihood.scored_input(model.eval(), x)  # binarised under a Bernoulli decoder
        result, split = bounds.gap(model, scored), gap.decompose(model, scored[:split_images])
        return {"heldout_log_px": result.log_px.mean().item(), "heldout_elbo": result.elbo_exact.mean().item(),
                "heldout_gap": result.gap.mean().item(),
                "heldout_approximation_gap": split.approximation.mean().item(),
                "heldout_amortization_gap": split.amortization.mean().item()}

    return evaluate


@torch.no_grad()
def heldout_metrics(model: torch.nn.Module, x_test: torch.Tensor, repeats: int = 10, seed: int = 0) -> dict:
    """Held-out means of the loss terms (beta = 1) over `repeats` Monte-Carlo draws, plus the squared error
    ‖x − x̂‖² summed over pixels, per image (`metrics.squared_error_per_image`), of the reconstruction from the
    most probable code (`compare.reconstruct`), and for a model with a codebook (the VQ-VAE) the
    perplexity of the codes' usage and the number of dead codes, those no held-out input picks. The draws
    come from `seed` (the numbers the manifest holds, which seeded torch's global generator before)."""
    model.eval()
    generator = torch.Generator(device=x_test.device).manual_seed(seed)
    sums: dict[str, float] = {}
    for _ in range(repeats):
        for name, value in model.loss(x_test, generator=generator).items():
            if name != "loss":
                sums[f"test_{name}"] = sums.get(f"test_{name}", 0.0) + value.item() / repeats
    x_hat = reconstruct(model, x_test)
    sums["test_squared_error"] = squared_error_per_image(x_hat, x_test).mean().item()
    if model.capabilities.has_codebook:  # codebook health on held-out data
        counts = code_counts(model.codes(x_test), model.config.codebook_size)
        sums["test_perplexity"], sums["test_dead_codes"] = perplexity(counts).item(), float((counts == 0).sum())
    return {name: round(value, 4) for name, value in sums.items()}


def train_spec(spec: PretrainSpec) -> tuple[torch.nn.Module, dict]:
    train, test = data.load(spec.dataset, "train"), data.load(spec.dataset, "test")
    shape = dict(x_dim=train.x_dim, z_dim=2, likelihood=train.likelihood, image_shape=train.image_shape)
    fields = {f.name for f in dataclasses.fields(models.REGISTRY[spec.kind][1])}  # a categorical VAE has no z_dim
    overrides = {k: v for k, v in {**shape, **spec.model_overrides}.items() if k in fields}
    model = models.build_seeded(spec.kind, None, spec.train.seed, **overrides)  # the weights of manual_seed + build
    started = time.perf_counter()
    # log p(x) by quadrature needs a 1-D or 2-D Gaussian latent
    trainer = Trainer(model, train.x, spec.train, spec.knobs, x_test=test.x,
                      eval_fn=heldout_gap(test.x[:GAP_IMAGES]) if model.capabilities.exact_likelihood else None)
    state = trainer.run()
    wall = time.perf_counter() - started
    record = dict(dataset=spec.dataset, data=f"{train.source}; evaluated on the {len(test)} test images",
                  steps=state.step, seed=spec.train.seed, wall_time_s=round(wall, 2),
                  metrics=heldout_metrics(model, test.x), history=history_columns(state.history))
    return model.eval(), record


def main(only: tuple[str, ...] = (), out_dir=None) -> None:
    """Train every spec (or those named in `only`) and register each in the zoo; the token priors come
    last, since each reads the codes of a VQ-VAE trained above."""
    for spec in SPECS + PRETRAIN_SPECS:
        if only and spec.name not in only:
            continue
        model, record = train_spec(spec)
        register(spec.name, model, record, out_dir)
    for name, vq_name in PRIOR_SPECS.items():
        if not only or name in only:
            register(name, *pretrain_prior(vq_name), out_dir)


def register(name: str, model: torch.nn.Module, record: dict, out_dir) -> None:
    zoo.register(name, model, dir=out_dir, **record)
    print(f"{name:16s} {record['steps']:6d} steps {record['wall_time_s']:7.1f} s  {record['metrics']}")
