"""The measurements behind the class's predict-then-reveal questions (issue 24, item 3), as plain numbers.

Each function measures what one page shows, with the page's own functions and shipped models, and is memoised
per process (the arguments are its key): the first call may take seconds (the VQ-VAE run trains, on one torch
thread), every later one is free. `explorer.lecture.questions` turns these numbers into a question's true answer
and its words. Monte-Carlo numbers come with their standard error.
"""

from __future__ import annotations

import functools
import math

import torch

from explorer import data, models
from explorer.analysis import vq
from explorer.maths import bounds, gumbel, latent, likelihood
from explorer.runtime.threads import torch_threads
from explorer.store import zoo
from explorer.training import sweep
from explorer.training.train import TrainConfig, Trainer

PRIOR_DISC_SDS = 3.0  # N(0, I) in 2-D puts 1 − e^(−9/2) ≈ 98.9 % of its samples within 3 of the origin
BOX_GRID = 400  # points per side of the grid that measures the share of the map's box inside that disc


def _test_set(model_name: str) -> data.Dataset:
    return data.load(zoo.entry(model_name)["dataset"], "test")


@functools.cache
def prior_on_map(model_name: str, codes: int = 2000, samples: int = 2000, seed: int = 0) -> dict:
    """Where z ~ N(0, I) lands in a 2-D model's latent map (the "AE vs VAE" tab): the map's box
    (`latent.latent_extent` of the posterior means of the first `codes` held-out images, as the page draws it);
    "disc_share", the share of that box within 3 of the origin (where 98.9 % of prior samples land; measured
    on a 400 × 400 grid); "beyond", the fraction of `samples` prior draws (seed `seed`) farther from every code than
    3 × the codes' median nearest-neighbour spacing, with its binomial standard error "beyond_error"."""
    model = zoo.load(model_name)
    z = torch.from_numpy(latent.encode_means(model, _test_set(model_name).x[:codes])).double()
    extent = latent.latent_extent(z.numpy())
    grid = torch.from_numpy(latent.grid_points(extent, BOX_GRID)).double()
    disc_share = float((grid.norm(dim=1) <= PRIOR_DISC_SDS).double().mean())
    spacing = torch.cdist(z, z).fill_diagonal_(math.inf).min(dim=1).values.median()
    draws = torch.randn(samples, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    beyond = float((torch.cdist(draws, z).min(dim=1).values > 3 * spacing).double().mean())
    return {"extent": tuple(float(e) for e in extent), "disc_share": disc_share, "spacing": float(spacing),
            "beyond": beyond, "beyond_error": math.sqrt(beyond * (1 - beyond) / samples), "samples": samples,
            "codes": len(z)}


@functools.cache
def gap_of_heldout(model_name: str, index: int = 0) -> dict:
    """The ELBO page's gap log p(x) − ELBO for held-out image `index`, in nats, computed as the page computes it
    (`elbo_report.report`: the binarised input, log p(x) by adaptive quadrature, `bounds.gap`): no sampling, the
    quadrature's error estimate is below 0.01 nats. Also KL(q ‖ p(z|x)) on the grid, the same gap a second way."""
    model = zoo.load(model_name)
    x = likelihood.scored_input(model, _test_set(model_name).x[index].reshape(1, -1))
    integrated = likelihood.quadrature(model, x)
    exact = bounds.gap(model, x, log_px=integrated.log_px)
    return {"gap": float(exact.gap[0]), "kl_to_posterior": float(exact.kl_to_posterior[0]),
            "log_px": float(exact.log_px[0]), "elbo": float(exact.elbo_exact[0]),
            "error_estimate": float(integrated.error_estimate[0])}


@functools.cache
def rate_of_pretrained(model_name: str) -> dict:
    """A shipped β-VAE's rate R = E_x KL(q(z|x) ‖ p(z)) in nats per image (closed form per image, averaged over
    the β page's held-out images, `sweep.diagnose`) and its active units, as the β page reports them."""
    model = zoo.load(model_name)
    test = _test_set(model_name)
    found = sweep.diagnose(model, test, with_mig=False)
    return {"rate": float(found["rate"]), "active_units": int(found["active_units"]),
            "units": int(model.config.z_dim), "images": min(len(test), sweep.EVAL_SIZE)}


@functools.cache
@torch_threads(1)
def alive_codes(dataset_name: str, codebook_size: int = 512, steps: int = 200, seed: int = 0,
                images: int = 500) -> dict:
    """The VQ-VAE page's "Codebook collapse" run, replayed: the page's model and settings (K codes, no EMA, no
    k-means init, no dead-code reset, commitment β 0.25, lr 2e-3) trained `steps` steps from `seed`, then the codes
    that the first `images` held-out images use ("alive", the page's histogram without its red bars) and the
    perplexity of that usage. Deterministic for its arguments; one torch thread, like the page's jobs."""
    train, test = data.load(dataset_name, "train"), data.load(dataset_name, "test")
    options = {"codebook_size": codebook_size, "ema": False, "kmeans_init": False, "dead_code_reset_steps": 0}
    model = models.build_seeded("vqvae", None, seed, x_dim=train.x_dim, image_shape=train.image_shape,
                                likelihood=train.likelihood, **vq.architecture(train.image_shape), **options)
    config = TrainConfig(steps=steps, lr=2e-3, seed=seed, log_every=10, eval_every=10**9)
    Trainer(model, train.x, config, {"commitment_beta": 0.25}).run(steps)
    model.eval()
    usage = vq.codebook_usage(model, test.x[:images])
    return {"alive": codebook_size - usage["dead_codes"], "perplexity": usage["perplexity"],
            "codebook_size": codebook_size, "images": usage["images"], "steps": steps, "dataset": dataset_name}


@functools.cache
def largest_softmax_entry(logits: tuple[float, ...], taus: tuple[float, ...], samples: int = 1500,
                          seed: int = 0) -> dict:
    """For each τ, the mean over `samples` Gumbel-softmax samples (`gumbel.simplex_report`, the simplex view's
    draws: the same noise for every τ) of the sample's largest entry, and the standard error of that mean."""
    means, errors = [], []
    for tau in taus:
        largest = torch.from_numpy(gumbel.simplex_report(logits, tau, samples, seed)["samples"]).max(dim=-1).values
        means.append(float(largest.mean()))
        errors.append(float(largest.std()) / math.sqrt(samples))
    return {"taus": taus, "mean": tuple(means), "error": tuple(errors), "samples": samples}


@functools.cache
def blank_image_code(model_name: str) -> tuple[float, float]:
    """Where a 2-D model's encoder puts an all-black image: q's mean (posterior mean), as the map draws codes."""
    model = zoo.load(model_name)
    z = latent.encode_means(model, torch.zeros(1, model.config.x_dim))[0]
    return float(z[0]), float(z[1])
