"""The gap, decomposed (Cremer, Li & Duvenaud, "Inference suboptimality in variational autoencoders", ICML 2018).

For the encoder's q(z|x) and q*(z|x), the best Gaussian of the same family for this one x alone,

    log p(x) − ELBO(q) = [log p(x) − ELBO(q*)] + [ELBO(q*) − ELBO(q)]
                         approximation gap      amortization gap

The approximation gap is what no Gaussian can do (p(z|x) is not Gaussian); the amortization gap is what one
network, shared by every x, gives up against an optimisation for this x. Both parts are ≥ 0 when q* is the best
of its family, and they add up to the gap by construction.

For a 1-D or 2-D latent every term is computed, none sampled: log p(x) by adaptive quadrature
(`explorer.maths.likelihood`), each ELBO by the midpoint rule in q's own coordinates (`gaussian_elbo`), and q* by Adam
on the ELBO written as a quadrature over the fixed cells of log p(x)'s grid, so no decoder call and no random
draw is made in the loop: the fit is deterministic and leaves every random generator alone.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from explorer.maths.likelihood import IMAGES_PER_PASS, Quadrature, latent_dim, log_joint, quadrature
from explorer.maths.quadrature import Cells

Q_GRID_SDS, Q_GRID_N = 7.0, 48  # `gaussian_elbo`: q's mass beyond 7 sd is below 1e-11; the rule of `bounds.gap`
# Adam, its step size decaying geometrically from FIT_LR to FIT_LR_END, in units of q's sd. On 30 held-out binarised
# MNIST images 120 steps from 0.1 end within 0.0008 nats of 200 steps from 0.05, in 115 ms instead of 158 (the ELBO
# page's budget, BENCHMARKS.md); from the encoder's q alone on the PPCA of the tests, 100 steps were 0.005 short.
FIT_STEPS, FIT_LR, FIT_LR_END = 120, 0.1, 5e-4
FLOOR_NATS = 1e4  # cells further below the top are clamped there: weight·(−∞) would be nan
CELLS_PER_IMAGE = 4096  # the fit's cells per image: on MNIST, those within ~45 nats of the top


class GapSplit(NamedTuple):
    log_px: torch.Tensor  # (B,) exact log p(x), by adaptive quadrature
    elbo: torch.Tensor  # (B,) ELBO of the encoder's q(z|x), by quadrature over q
    elbo_star: torch.Tensor  # (B,) ELBO of q*(z|x), fitted to this x alone
    approximation: torch.Tensor  # (B,) log p(x) − ELBO(q*): what the Gaussian family cannot do
    amortization: torch.Tensor  # (B,) ELBO(q*) − ELBO(q): what the shared encoder gives up
    q_star_mean: torch.Tensor  # (B, J)
    q_star_cov: torch.Tensor  # (B, J, J); diagonal for the mean-field family

    @property
    def gap(self) -> torch.Tensor:
        return self.log_px - self.elbo


def _to64(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to("cpu", torch.float64)


def gaussian_params(q) -> tuple[torch.Tensor, torch.Tensor]:
    """q's mean (B, J) and lower-triangular scale L (B, J, J), Σ = LLᵀ, float64: a full-covariance q gives its
    Cholesky factor, a diagonal one diag(sd)."""
    mean = _to64(q.mean)
    base = getattr(q, "base_dist", q)
    scale_tril = getattr(base, "scale_tril", None) if hasattr(base, "covariance_matrix") else None
    return mean, (_to64(scale_tril).expand(*mean.shape, mean.shape[-1]) if scale_tril is not None
                  else torch.diag_embed(_to64(q.stddev)))


def entropy(scale_tril: torch.Tensor) -> torch.Tensor:
    """H(N(m, LLᵀ)) = ½ log det(2πe LLᵀ) = J/2 log(2πe) + Σ_j log L_jj, (...,)."""
    log_diagonal = scale_tril.diagonal(dim1=-2, dim2=-1).log()
    return 0.5 * scale_tril.shape[-1] * math.log(2 * math.pi * math.e) + log_diagonal.sum(-1)


@torch.no_grad()
def gaussian_elbo(model, x: torch.Tensor, mean: torch.Tensor, scale_tril: torch.Tensor, n: int = Q_GRID_N):
    """ELBO(q) = E_q[log p(x, z)] + H(q) per image (B,), for q = N(mean, LLᵀ), mean (B, J), L (B, J, J).

    With z = m + L u and u ~ N(0, I), E_q[g(z)] = E_u[g(m + L u)]: the midpoint rule on an n-per-axis grid
    of u over [−7, 7]^J, weights N(u_c) normalised to sum to 1 (they miss < 1e-11). The entropy is analytic.
    For a diagonal L this is the ELBO of `explorer.maths.bounds.gap`, written with H(q) + E_q log p(z) for −KL.
    """
    unit = -Q_GRID_SDS + 2 * Q_GRID_SDS * (torch.arange(n, dtype=torch.float64) + 0.5) / n
    u = torch.cartesian_prod(*[unit] * mean.shape[-1]).reshape(-1, mean.shape[-1])  # (M, J)
    weight = torch.softmax(-0.5 * u.pow(2).sum(1), 0)  # N(u_c) |c|, normalised
    z = mean + torch.einsum("bij,mj->mbi", scale_tril, u)  # (M, B, J)
    expected = (weight[:, None] * log_joint(model, x, z)).sum(0)
    return expected + entropy(scale_tril)


def posterior_moments(cells: Cells) -> tuple[torch.Tensor, torch.Tensor]:
    """The posterior's mean (B, J) and covariance (B, J, J) on the cells: weights p(z_c|x)|c|, the spread
    inside each cell (width²/12) included."""
    weight = torch.softmax(cells.log_terms(), 0)  # (N, B)
    mean = weight.T @ cells.z
    centred = cells.z[:, None] - mean  # (N, B, J)
    cov = torch.einsum("nb,nbi,nbj->bij", weight, centred, centred)
    return mean, cov + torch.diag_embed(weight.T @ cells.width.pow(2) / 12)


def best_start(mean: torch.Tensor, cov: torch.Tensor, diagonal: bool) -> torch.Tensor:
    """The scale L of the Gaussian of the family closest to p = N(mean, S = cov) under KL(q ‖ p): the Cholesky
    factor of S, or for the diagonal family D = diag(1 / (S⁻¹)_jj). For q = N(mean, D),
    KL(q ‖ p) = ½ [tr(S⁻¹D) − J + log det S − log det D], and ∂/∂D_jj = ½ [(S⁻¹)_jj − 1/D_jj] = 0 there
    (Cremer et al. 2018 call the KL left at that D the approximation gap of a Gaussian posterior)."""
    if not diagonal:
        return torch.linalg.cholesky(cov)
    return torch.diag_embed(torch.linalg.inv(cov).diagonal(dim1=-2, dim2=-1).rsqrt())


def _own_cells(cells: Cells, most: int = CELLS_PER_IMAGE) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Each image's cells for the fit: centres (B, M, J), log volumes (B, M) and log p(x, z_c) (B, M) of its M
    cells of highest log p(x, z_c). A batch's cells are the union of every image's refinements, most of them
    far-off ground for any one image. Dropping them is safe: weights are normalised over the cells kept, and
    a q spread over all of those averages log f over a region reaching tens of nats below the top, while
    what it gains in entropy is only the log of its area."""
    log_f = cells.log_f.T  # (B, N)
    keep = log_f.topk(min(most, log_f.shape[1]), dim=1).indices
    floor = log_f.amax(1, keepdim=True) - FLOOR_NATS
    return cells.z[keep], cells.width.log().sum(1)[keep], log_f.gather(1, keep).clamp(min=floor)


def _cells_elbo(z: torch.Tensor, log_volume: torch.Tensor, log_f: torch.Tensor, mean: torch.Tensor,
                scale_tril: torch.Tensor) -> torch.Tensor:
    """ELBO(q) on each image's cells (centres z (B, M, J), log |c| (B, M), log p(x, z_c) (B, M)), (S, B) for S
    candidates:
    Σ_c w_c log p(x, z_c) + H(q), w_c = q(z_c)|c| normalised over the cells, so a q that leaves the grid
    gains nothing from the mass it loses (its terms constant in c cancel in the normalisation)."""
    eye = torch.eye(z.shape[-1], dtype=z.dtype).expand_as(scale_tril)
    inverse = torch.linalg.solve_triangular(scale_tril, eye, upper=False)  # L⁻¹, J × J: cheaper than M solves
    white = (z - mean[..., None, :]) @ inverse.mT  # (S, B, M, J): L⁻¹(z − m) per cell
    weight = torch.softmax(log_volume - 0.5 * white.pow(2).sum(-1), -1)  # (S, B, M)
    return (weight * log_f).sum(-1) + entropy(scale_tril)


def _unpack(params: tuple, start_mean, start_tril, diagonal: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """q's mean and L from the free parameters, relative to the start: m = m₀ + L₀ a, L = L₀ T, with T
    lower triangular, exp on its diagonal (diagonal only, for the mean-field family)."""
    shift, log_diag, lower = params
    relative = torch.diag_embed(log_diag.exp())
    if not diagonal:
        relative = relative + torch.tril(lower, diagonal=-1)
    return start_mean + (start_tril @ shift[..., None])[..., 0], start_tril @ relative


def fit(cells: Cells, start_mean: torch.Tensor, start_tril: torch.Tensor, diagonal: bool,
        steps: int = FIT_STEPS) -> tuple[torch.Tensor, torch.Tensor]:
    """q* = argmax ELBO on the cells by Adam from each of S starts, mean (S, B, J) and L (S, B, J, J); returns
    the best start's mean (B, J) and L (B, J, J). Steps are in units of each start's own sd, so one step
    size serves posteriors of sd 0.01 and 1."""
    objective = _own_cells(cells)
    dim = start_mean.shape[-1]
    params = (torch.zeros_like(start_mean, requires_grad=True), torch.zeros_like(start_mean, requires_grad=True),
              torch.zeros(*start_mean.shape, dim, dtype=torch.float64, requires_grad=True))
    optimiser = torch.optim.Adam(params, lr=FIT_LR)
    decay = (FIT_LR_END / FIT_LR) ** (1 / max(steps, 1))
    with torch.enable_grad():
        for _ in range(steps):
            optimiser.zero_grad()
            (-_cells_elbo(*objective, *_unpack(params, start_mean, start_tril, diagonal)).sum()).backward()
            optimiser.step()
            optimiser.param_groups[0]["lr"] *= decay
    with torch.no_grad():
        mean, scale_tril = _unpack(params, start_mean, start_tril, diagonal)
        best = _cells_elbo(*objective, mean, scale_tril).argmax(0)  # (B,)
        pick = torch.arange(mean.shape[1])
        return mean[best, pick], scale_tril[best, pick]


def _starts(q_mean, q_tril, cells: Cells, diagonal: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Two starts, (2, B, J) and (2, B, J, J): the encoder's q (where a posterior with several modes has the
    one q chose) and the family's closest Gaussian to the posterior's moments (right for a Gaussian one)."""
    if diagonal:  # L₀ T stays diagonal only from a diagonal L₀
        q_tril = torch.diag_embed((q_tril @ q_tril.mT).diagonal(dim1=-2, dim2=-1).sqrt())
    post_mean, post_cov = posterior_moments(cells)
    return torch.stack([q_mean, post_mean]), torch.stack([q_tril, best_start(post_mean, post_cov, diagonal)])


@torch.no_grad()
def decompose(model, x: torch.Tensor, *, diagonal: bool = True, integrated: Quadrature | None = None,
              steps: int = FIT_STEPS) -> GapSplit:
    """Split log p(x) − ELBO(q) into the approximation and the amortization gap (module docstring), per image
    of x (B, D), for a 1-D or 2-D latent and a Gaussian q(z|x). `diagonal`: q* mean-field (the encoder's own
    family, Cremer et al.'s choice) or full covariance. Pass `integrated` (this x's `likelihood.quadrature`)
    when it is known. If the fit ends below the encoder's own q and q is of the family, q* is q: the best of
    the family is at least as good as any member, so the amortization gap is never negative."""
    latent_dim(model)
    x = x.reshape(-1, x.shape[-1])
    if integrated is None and len(x) > IMAGES_PER_PASS:
        parts = [decompose(model, part, diagonal=diagonal, steps=steps) for part in x.split(IMAGES_PER_PASS)]
        return GapSplit(*(torch.cat([getattr(p, name) for p in parts]) for name in GapSplit._fields))
    integrated = quadrature(model, x) if integrated is None else integrated
    q_mean, q_tril = gaussian_params(model.encode(x))
    mean, scale_tril = fit(integrated.cells, *_starts(q_mean, q_tril, integrated.cells, diagonal), diagonal, steps)
    elbo_q, elbo_star = gaussian_elbo(model, x, q_mean, q_tril), gaussian_elbo(model, x, mean, scale_tril)
    in_family = not diagonal or bool((q_tril == torch.diag_embed(q_tril.diagonal(dim1=-2, dim2=-1))).all())
    keep_q = (elbo_star < elbo_q) & in_family
    mean = torch.where(keep_q[:, None], q_mean, mean)
    scale_tril = torch.where(keep_q[:, None, None], q_tril, scale_tril)
    elbo_star = torch.where(keep_q, elbo_q, elbo_star)
    log_px = integrated.log_px
    return GapSplit(log_px, elbo_q, elbo_star, log_px - elbo_star, elbo_star - elbo_q, mean, scale_tril @ scale_tril.mT)
