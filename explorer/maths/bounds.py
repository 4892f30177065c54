"""The lecture's bounds on log p(x), per sample, for any model with `prior`, `encode` and `decode`.

For any proposal r(z) with r > 0 where p(x, z) > 0, Jensen's inequality (log is concave) gives
log p(x) = log E_r[p(x, z) / r(z)] ≥ E_r[log p(x, z) − log r(z)]. Three proposals:

- r = p(z): the naive bound E_p(z)[log p(x|z)], the lecture's "very bad estimate": almost no
  draw of the prior explains a given x;
- r = q(z|x): the ELBO, E_q[log p(x|z)] − KL(q(z|x) ‖ p(z)) (Kingma & Welling, "Auto-Encoding
  Variational Bayes", 2014);
- the mean of k weights inside the log: the IWAE bound (Burda, Grosse & Salakhutdinov,
  "Importance Weighted Autoencoders", ICLR 2016), which rises with k towards log p(x).

`gap` measures log p(x) − ELBO = KL(q(z|x) ‖ p(z|x)) exactly for 1-D and 2-D latents, with
log p(x) from the quadrature of `explorer.maths.likelihood`.

Every function returns one float64 value per sample, (B,), in nats, and builds no graph. Pass
`generator` (a torch.Generator, or an int seed) for reproducible draws: they come from it alone
(`explorer.models.noise.sample`), so other threads using torch's global generator change nothing, and
its state is left as it was. Without one, torch's global generator is used.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch.distributions import Distribution, kl_divergence

from explorer.maths.likelihood import latent_dim, log_joint, log_likelihood, log_marginal
from explorer.models.noise import sample

DRAWS_PER_CALL = 8192  # z decoded at once (draws × samples): ~25 MB of logits at D = 784
Q_GRID_SDS = 7.0  # `gap` integrates over q's mean ± 7 sd: q's mass outside is below 1e-11


class Spread(NamedTuple):
    mean: torch.Tensor  # (B,) mean over the repeats
    std: torch.Tensor  # (B,) standard deviation over the repeats


class Gap(NamedTuple):
    log_px: torch.Tensor  # (B,) exact log p(x), by adaptive quadrature
    elbo_exact: torch.Tensor  # (B,) E_q log p(x|z) by quadrature on a grid over q, minus KL(q ‖ p(z))
    gap: torch.Tensor  # (B,) log_px − elbo_exact
    kl_to_posterior: torch.Tensor  # (B,) KL(q(z|x) ‖ p(z|x)) by quadrature on the same grid


def _generator(generator: torch.Generator | int | None) -> torch.Generator | None:
    return torch.Generator().manual_seed(generator) if isinstance(generator, int) else generator


def _to64(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to("cpu", torch.float64)


def _kl_to_prior(q: Distribution, prior: Distribution, z: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """KL(q ‖ p(z)) per sample: analytic where torch.distributions has it (for diagonal Normals,
    ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²)), else Σ_i weight_i [log q(z_i) − log p(z_i)] over the
    given points (a Monte-Carlo mean or a quadrature rule, as the weights say)."""
    try:
        return _to64(kl_divergence(q, prior))
    except NotImplementedError:
        return (weight * _to64(q.log_prob(z) - prior.log_prob(z))).sum(0)


@torch.no_grad()
def elbo(model, x: torch.Tensor, n_samples: int = 1, beta: float = 1.0,
         generator: torch.Generator | int | None = None) -> torch.Tensor:
    """E_q[log p(x|z)] − β KL(q(z|x) ‖ p(z)) per sample, (B,).

    log p(x) = log E_q[p(x, z) / q(z|x)] ≥ E_q[log p(x|z) + log p(z) − log q(z|x)] (Jensen)
             = E_q[log p(x|z)] − KL(q(z|x) ‖ p(z)),
    a lower bound for β = 1. The first term is a Monte-Carlo mean over n_samples draws z ~ q(z|x);
    the KL is analytic where known, else the mean of log q − log p(z) over the same draws.
    """
    q = model.encode(x)
    z = sample(q, n_samples, _generator(generator))  # (n, B, J)
    reconstruction = log_likelihood(model, x, z).mean(0)
    return reconstruction - beta * _kl_to_prior(q, model.prior, z, torch.full((n_samples, 1), 1 / n_samples))


def _iwae_repeats(model, x: torch.Tensor, k: int, repeats: int, generator) -> torch.Tensor:
    """(repeats, B): log (1/k) Σ_i w_i with w_i = p(x, z_i) / q(z_i|x), for independent sets of
    k draws z_i ~ q(z|x). Computed as logsumexp_i log w_i − log k, so a weight of e^-500 is no
    trouble, and drawn DRAWS_PER_CALL / B at a time, so k = 5000 needs little memory."""
    if k < 1 or repeats < 1:
        raise ValueError(f"the IWAE bound needs k ≥ 1 and repeats ≥ 1, not k={k}, repeats={repeats}")
    q, generator = model.encode(x), _generator(generator)
    per_call, total = max(1, DRAWS_PER_CALL // len(x)), k * repeats
    log_w = []
    for start in range(0, total, per_call):
        z = sample(q, min(per_call, total - start), generator)  # (n, B, J)
        log_w.append(log_joint(model, x, z) - _to64(q.log_prob(z)))
    return torch.logsumexp(torch.cat(log_w).reshape(repeats, k, len(x)), 1) - math.log(k)


@torch.no_grad()
def iwae_bound(model, x: torch.Tensor, k: int, repeats: int = 1,
               generator: torch.Generator | int | None = None) -> torch.Tensor:
    """The IWAE bound E[log (1/k) Σ_{i≤k} p(x, z_i) / q(z_i|x)], z_i ~ q(z|x), per sample (B,),
    estimated by the mean over `repeats` independent sets of k draws.

    The average of k weights is an unbiased estimate of p(x) (E_q[p(x, z)/q(z|x)] = ∫ p(x, z) dz),
    so Jensen makes its expected log a lower bound; it is the ELBO for k = 1 and it rises with k
    to log p(x) (Burda et al. 2016, theorem 1). A single run can exceed log p(x): only the
    expectation is a bound, which is why `iwae_spread` reports the spread (and the ELBO page the standard
    error of the mean, `explorer.analysis.elbo_report.iwae_estimate`).
    """
    return _iwae_repeats(model, x, k, repeats, generator).mean(0)


@torch.no_grad()
def iwae_spread(model, x: torch.Tensor, k: int, repeats: int = 10,
                generator: torch.Generator | int | None = None) -> Spread:
    """Mean and standard deviation (B,) of the IWAE-k estimate over `repeats` (≥ 2) independent runs."""
    if repeats < 2:
        raise ValueError(f"a spread needs at least 2 repeats, not {repeats}")
    runs = _iwae_repeats(model, x, k, repeats, generator)
    return Spread(runs.mean(0), runs.std(0))


@torch.no_grad()
def naive_bound(model, x: torch.Tensor, n_samples: int = 1000,
                generator: torch.Generator | int | None = None) -> torch.Tensor:
    """E_{p(z)}[log p(x|z)] per sample (B,), by a Monte-Carlo mean over n_samples draws of the prior.

    log p(x) = log E_p(z)[p(x|z)] ≥ E_p(z)[log p(x|z)] (Jensen). With log p(x|z) = log p(x) +
    log p(z|x) − log p(z), the bound is log p(x) − KL(p(z) ‖ p(z|x)): the ELBO of q = p(z). It sits
    below the ELBO exactly when q(z|x) is closer to the posterior than the prior is, which holds
    for any useful encoder but is not a theorem. The same draws serve every sample.
    """
    z = sample(model.prior, n_samples, _generator(generator))  # (n, J)
    return log_likelihood(model, x, z[:, None]).mean(0)


def _q_grid(q: Distribution, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cell centres (n^J, B, J) of a uniform n-per-axis grid over q's mean ± Q_GRID_SDS sd, per
    sample, and the log volume (B,) of one cell."""
    mean, sd = _to64(q.mean), _to64(q.stddev)
    if not (sd > 0).all():
        raise ValueError("the gap needs a q(z|x) with a density; a point mass (an autoencoder's code) has none")
    unit = -Q_GRID_SDS + 2 * Q_GRID_SDS * (torch.arange(n, dtype=torch.float64) + 0.5) / n
    steps = torch.cartesian_prod(*[unit] * mean.shape[-1]).reshape(-1, 1, mean.shape[-1])
    return mean + sd * steps, (2 * Q_GRID_SDS * sd / n).log().sum(-1)


@torch.no_grad()
def gap(model, x: torch.Tensor, *, n: int = 48, tol: float = 0.01, log_px: torch.Tensor | None = None) -> Gap:
    """log p(x), the exact ELBO and the gap between them, KL(q(z|x) ‖ p(z|x)), per sample, for a
    1-D or 2-D latent.

    Since p(z|x) = p(x, z) / p(x), for every z: log p(x) = log p(x, z) − log p(z|x)
    = [log p(x, z) − log q(z|x)] + [log q(z|x) − log p(z|x)]. Averaging over z ~ q(z|x):
    log p(x) = ELBO + KL(q(z|x) ‖ p(z|x)), so the gap is that KL, and it is 0 only when q is the
    posterior. Both sides are computed: log p(x) by `log_marginal` (to `tol`); the ELBO as
    E_q[log p(x|z)] by the midpoint rule on an n-per-axis grid over q's mean ± 7 sd, minus the
    analytic KL(q ‖ p(z)) (quadrature when torch.distributions lacks it); and KL(q ‖ p(z|x)) as
    Σ_c q(z_c)|c| [log q(z_c) − log p(x, z_c) + log p(x)] on the same grid. q needs a mean and sd.
    Pass `log_px` (B,) when it is already known (from `posterior_grid`, say) to skip the quadrature.
    """
    latent_dim(model)
    log_px = log_marginal(model, x, tol=tol) if log_px is None else _to64(log_px).reshape(-1)
    q = model.encode(x)
    z, log_cell = _q_grid(q, n)
    z_model = z.to(q.mean.device, q.mean.dtype)
    log_q = _to64(q.log_prob(z_model))  # (M, B)
    weight = (log_q + log_cell).exp()  # q(z_c) |c|: sums to 1 up to the quadrature error
    log_lik, log_prior = log_likelihood(model, x, z), _to64(model.prior.log_prob(z_model))
    elbo_exact = (weight * log_lik).sum(0) - _kl_to_prior(q, model.prior, z_model, weight)
    kl_to_posterior = (weight * (log_q - log_lik - log_prior + log_px)).sum(0)
    return Gap(log_px, elbo_exact, log_px - elbo_exact, kl_to_posterior)
