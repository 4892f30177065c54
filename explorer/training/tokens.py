"""The VQ-VAE as a tokenizer: images to code grids, an autoregressive prior over them, and new images.

A VQ-VAE trained with a uniform prior generates poorly from it: codes drawn independently ignore
how codes co-occur. Fitting p(c) = Π_t p(c_t | c_<t) on the codes of the training set (van den
Oord et al. 2017, section 3.2) and decoding its samples gives images; completing the bottom of a
grid from its top rows shows what the prior has learned. Uniform codes cost log K nats per token;
the prior's held-out negative log-likelihood says how much less it needs.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import torch
from torch import nn

from explorer import data, models
from explorer.analysis.vq import codes_of as encode_codes
from explorer.models.prior import PriorConfig, TokenPrior
from explorer.store import zoo
from explorer.training.pretrain_specs import history_columns
from explorer.training.train import TrainConfig, Trainer

PRIOR_TRAIN = TrainConfig(steps=1200, batch_size=128, lr=3e-3, log_every=25, eval_every=250)
# The live panel's run: half the batch trains ~2x the steps per second, and its held-out NLL falls faster per
# second on the 2-core machine (2.29 vs 2.44 nats per token after 20 s, BENCHMARKS.md); 500 steps take ~25 s, and
# the held-out curve gets a point every 50 steps (~0.3 s each).
LIVE_PRIOR_TRAIN = dataclasses.replace(PRIOR_TRAIN, steps=500, batch_size=64, eval_every=50)


def prior_for(vq: nn.Module, seed: int | torch.Generator = 0, **overrides) -> TokenPrior:
    """A fresh prior sized to a VQ-VAE's codebook and grid, its weights drawn from `seed`."""
    config = PriorConfig(codebook_size=vq.config.codebook_size, grid=tuple(vq.latent_shape))
    return models.build_seeded("prior", config, seed, **overrides)


def uniform_nats_per_token(codebook_size: int) -> float:
    """The negative log-likelihood of uniformly random codes: log K per token."""
    return math.log(codebook_size)


@torch.no_grad()
def heldout_nll(prior: TokenPrior, codes: torch.Tensor) -> dict[str, float]:
    """Held-out negative log-likelihood: nats and bits per token, nats per image, and the ratio to log K."""
    prior.eval()
    terms = prior.loss(codes.to(next(prior.parameters()).device))
    per_token = float(terms["nats_per_token"])
    return {"nats_per_token": per_token, "bits_per_token": per_token / math.log(2),
            "nats_per_image": float(terms["nats_per_image"]),
            "fraction_of_uniform": per_token / uniform_nats_per_token(prior.config.codebook_size)}


def train_prior(prior: TokenPrior, train_codes: torch.Tensor, test_codes: torch.Tensor | None = None,
                config: TrainConfig = PRIOR_TRAIN) -> Trainer:
    """Fit the prior on code grids with the project's trainer (a page runs it as a `TrainingJob`)."""
    trainer = Trainer(prior, train_codes, config, x_test=test_codes)
    trainer.run()
    return trainer


@torch.no_grad()
def decode_codes(vq: nn.Module, codes: torch.Tensor) -> np.ndarray:
    """(n, *grid) codes -> (n, x_dim) decoded mean images."""
    return vq.decode_mean(codes.to(next(vq.parameters()).device)).cpu().numpy()


def sample_images(vq: nn.Module, prior: TokenPrior, n: int, temperature: float = 1.0, top_k: int | None = None,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n code grids from the prior and their decoded images: (n, *grid), (n, x_dim)."""
    codes = prior.eval().sample(n, temperature, top_k, generator=torch.Generator().manual_seed(seed))
    return codes.cpu().numpy(), decode_codes(vq, codes)


def uniform_images(vq: nn.Module, n: int, seed: int = 0) -> np.ndarray:
    """Decoded grids of independent, uniformly random codes: the VQ-VAE's own training prior."""
    return vq.sample(n, generator=torch.Generator().manual_seed(seed)).cpu().numpy()


def complete(vq: nn.Module, prior: TokenPrior, x: torch.Tensor, keep_rows: int, n: int = 8,
             temperature: float = 1.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Keep the top `keep_rows` rows of one image's code grid and let the prior write the rest, n times:
    the completed grids (n, *grid) and their images (n, x_dim)."""
    codes = encode_codes(vq, x[None])[0]  # (*grid)
    width = codes.shape[-1] if codes.dim() > 1 else 1
    prefix = codes.reshape(-1)[: keep_rows * width].expand(n, -1)  # (n, keep_rows * W) in raster order
    grids = prior.eval().sample(n, temperature, generator=torch.Generator().manual_seed(seed), prefix=prefix)
    return grids.cpu().numpy(), decode_codes(vq, grids)


# --- the shipped prior (trained by `python -m explorer pretrain` after its VQ-VAE) ---------------------

PRIOR_SPECS = {"mnist-vqvae-prior": "mnist-vqvae"}  # prior name -> the VQ-VAE whose codes it models


def pretrain_prior(vq_name: str, seed: int = 0) -> tuple[TokenPrior, dict]:
    """Fit a prior on the training codes of a shipped VQ-VAE: the model and its manifest record."""
    vq, dataset = zoo.load(vq_name), zoo.entry(vq_name)["dataset"]
    train, test = data.load(dataset, "train"), data.load(dataset, "test")
    train_codes, test_codes = encode_codes(vq, train.x), encode_codes(vq, test.x)
    prior = prior_for(vq, seed)
    started = time.perf_counter()
    trainer = train_prior(prior, train_codes, test_codes, dataclasses.replace(PRIOR_TRAIN, seed=seed))
    metrics = {key: round(value, 4) for key, value in heldout_nll(prior, test_codes).items()}
    record = dict(dataset=dataset, data=f"the codes {vq_name} gives {train.source}; evaluated on the codes of "
                  f"the {len(test)} test images", steps=trainer.state.step, seed=seed,
                  wall_time_s=round(time.perf_counter() - started, 2),
                  metrics={**metrics, "uniform_nats_per_token": round(uniform_nats_per_token(vq.config.codebook_size),
                                                                       4)},
                  history=history_columns(trainer.state.history))
    return prior.eval(), record
