"""What the ELBO page shows for one input, in nats per image: which numbers are computed and which are estimated.

Computed on grids, not sampled (their error is the quadrature's, estimated below 0.01 nats): log p(x) by adaptive
quadrature (`explorer.maths.likelihood`), the ELBO of the encoder's q by quadrature over q and the gap
log p(x) − ELBO = KL(q ‖ p(z|x)) (`explorer.maths.bounds.gap`), and the gap's approximation and amortization parts
(`explorer.maths.gap`).

Estimated by Monte Carlo: the naive bound E_p(z) log p(x|z) and IWAE-K. Each is the mean of R independent repeats
and is shown ± its standard error s/√R (s the sd over the repeats), so a reader can tell whether an IWAE-K that
lands above log p(x) is a violation of IWAE ≤ log p(x) (it cannot be one: only its expectation is bounded) or
Monte-Carlo noise. Every draw comes from a generator seeded by the caller (the session's seed).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch.distributions import kl_divergence

from explorer.maths import bounds, gap, likelihood

IWAE_DRAWS = 16384  # draws per IWAE-K view: ~0.1-0.2 s on 2 cores (IWAE-100: 64 runs, 57 ms)
IWAE_MIN_REPEATS, IWAE_MAX_REPEATS = 4, 64  # a standard error needs repeats; beyond 64 it hardly narrows
NAIVE_REPEATS, NAIVE_DRAWS = 16, 250  # 4,000 prior draws: the naive bound is often hundreds of nats off anyway
Q_SAMPLES = 40  # reparameterized draws z = μ + σ·ε drawn over q


class Estimate(NamedTuple):
    mean: float  # nats per image: the mean over the repeats
    stderr: float  # the standard error of that mean, s / √repeats
    repeats: int
    draws: int  # per repeat (K for IWAE-K)


def estimate(runs: torch.Tensor, draws: int) -> Estimate:
    """The mean of independent runs (R,) and its standard error s/√R, s the runs' sample sd (R − 1 in it)."""
    repeats = len(runs)
    return Estimate(float(runs.mean()), float(runs.std()) / math.sqrt(repeats), repeats, draws)


def iwae_repeats(k: int) -> int:
    """How many IWAE-k runs a view averages: IWAE_DRAWS / k, at least IWAE_MIN_REPEATS (so IWAE-5000 costs
    20,000 draws, ~0.2 s), at most IWAE_MAX_REPEATS. IWAE-100 gets 64 repeats, not the 4 that once let a
    mean 0.03 nats above log p(x) pass for a number without an error (issue 20)."""
    return max(IWAE_MIN_REPEATS, min(IWAE_MAX_REPEATS, IWAE_DRAWS // k))


def iwae_estimate(model, x_single: torch.Tensor, k: int, seed: int) -> Estimate:
    """IWAE-k for one input (D,), scored as `likelihood.scored_input`: the mean of `iwae_repeats(k)` independent
    runs, ± its standard error."""
    repeats = iwae_repeats(k)
    x = likelihood.scored_input(model, x_single.reshape(1, -1))
    spread = bounds.iwae_spread(model, x, k, repeats, generator=seed)
    return Estimate(float(spread.mean[0]), float(spread.std[0]) / math.sqrt(repeats), repeats, k)


def naive_estimate(model, x_single: torch.Tensor, seed: int, repeats: int = NAIVE_REPEATS,
                   draws: int = NAIVE_DRAWS) -> Estimate:
    """The naive bound E_p(z) log p(x|z) for one input (D,): `repeats` runs of `draws` prior draws each, all
    from one generator seeded with `seed`, ± the standard error of their mean."""
    generator = torch.Generator().manual_seed(seed)
    x = likelihood.scored_input(model, x_single.reshape(1, -1))
    return estimate(torch.cat([bounds.naive_bound(model, x, draws, generator=generator) for _ in range(repeats)]),
                    draws)


@torch.no_grad()
def report(model, x_single: torch.Tensor, *, seed: int = 0, grid_n: int = 64) -> dict:
    """Everything the ELBO page shows for one input (D,), as plain numbers and arrays, from one quadrature of
    p(x) (of the binarised input under a Bernoulli decoder, `likelihood.scored_input`, returned as "scored_x"):
    log p(x) and its error estimate; the posterior on a grid framing p(z|x) and q (`posterior_grid`); the exact
    ELBO, the gap and KL(q ‖ p(z|x)) (`bounds.gap`); q's mean, sd, KL(q ‖ p(z)) and reparameterized samples;
    the naive bound as an `Estimate`; and the gap split at q*, the best diagonal Gaussian for this input
    (`gap.decompose`). IWAE-K comes apart (`iwae_estimate`): K is a knob, the rest is not."""
    x = likelihood.scored_input(model, x_single.reshape(1, -1))
    integrated = likelihood.quadrature(model, x)
    grid = likelihood.posterior_grid(model, x[0], n=grid_n, integrated=integrated)
    exact = bounds.gap(model, x, log_px=integrated.log_px)
    split = gap.decompose(model, x, integrated=integrated)
    q = model.encode(x)
    eps = torch.randn(Q_SAMPLES, q.mean.shape[-1], generator=torch.Generator().manual_seed(seed))
    return {
        "scored_x": x[0].numpy(),  # the image every number is about: binarised under a Bernoulli decoder
        "log_px": float(exact.log_px[0]), "log_px_error_estimate": float(integrated.error_estimate[0]),
        "elbo": float(exact.elbo_exact[0]), "gap": float(exact.gap[0]),
        "kl_to_posterior": float(exact.kl_to_posterior[0]),
        "kl_prior": float(kl_divergence(q, model.prior)[0]),
        "q_mean": q.mean[0].numpy(), "q_std": q.stddev[0].numpy(), "q_samples": (q.mean + q.stddev * eps).numpy(),
        "naive": naive_estimate(model, x[0], seed),
        "z1": grid.z1.numpy(), "z2": grid.z2.numpy(), "log_density": grid.log_density.numpy(),
        "approximation_gap": float(split.approximation[0]), "amortization_gap": float(split.amortization[0]),
        "elbo_star": float(split.elbo_star[0]),
        "q_star_mean": split.q_star_mean[0].numpy(), "q_star_cov": split.q_star_cov[0].numpy(),
    }
