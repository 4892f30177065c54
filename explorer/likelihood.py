"""Exact log p(x) for 1-D and 2-D latents by adaptive quadrature, and the true posterior on a grid.

p(x) = ∫ p(x|z) p(z) dz (Kingma & Welling, "Auto-Encoding Variational Bayes", 2014, eq. 1) by the
midpoint rule on square cells, Σ_c f(z_c) |c|, in log space. It converges exponentially once the
cells are narrower than the peak (Trefethen & Weideman, "The exponentially convergent trapezoidal
rule", SIAM Review 2014), as h² at a ReLU decoder's kinks. A trained 2-D VAE's posteriors are
narrow (sd 0.01-0.2), some with several modes, so the grid is adaptive: a coarse lattice over the
prior's box (and q's), then every cell that may hold a share of the mass, and its neighbours, is
halved, level after level, until the estimate moves by less than `tol`. q(z|x) only adds cells,
so a mode that q misses is still found. Only the model interface is used.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch.distributions import Bernoulli, Distribution, Independent, Normal

PRIOR_SDS = 6.0  # the coarse box spans the prior's mean ± 6 sd (log p(z) is 18 nats down at its edge)
Q_SDS = 8.0  # and q's mean ± 8 sd, so a posterior far out in the prior's tail is inside
MAX_PRIOR_SDS = 50.0  # but no further: beyond, log p(z) < -1250 nats
COARSE_CELLS = 48  # cells per axis across the prior's box: h = 0.25 for N(0, I)
EDGE_NATS = 25.0  # an edge cell within 25 nats of the top cell grows the box
PEAK_SD = 0.015  # in prior sds: the peak width searched for where q is wider (q's sd where narrower)
MAX_SLACK_NATS = 400.0  # finds a peak of sd 0.0063 prior sds between coarse centres; more splits every cell
Q_REFINE_SDS, Q_CELL_SDS = 4.0, 0.5  # cells within q's mean ± 4 sd are split until narrower than sd / 2
RESOLVED_SDS = 0.5  # see `_resolved`
MAX_LEVELS = 16  # cells of width step / 2^16 at the finest: the integer keys of `_neighbours` fit in 64 bits
POINTS_PER_CALL = 4096  # z per decoder call: a few tens of MB at D = 784
IMAGES_PER_PASS, MAX_POINTS = 32, 400_000  # a pass integrates 32 samples, scoring at most 400,000 z


class PosteriorGrid(NamedTuple):
    z1: torch.Tensor  # (n,) cell centres along z1
    z2: torch.Tensor | None  # (n,) along z2; None for a 1-D latent
    log_density: torch.Tensor  # log p(z|x): (n,) for J = 1; (n, n) indexed [i2, i1] (rows are z2) for J = 2
    log_px: torch.Tensor  # scalar, the log p(x) that normalizes it


def latent_dim(model) -> int:
    """J, the size of the prior's event; a ValueError unless it is 1 or 2 (quadrature's reach)."""
    event = tuple(model.prior.event_shape)
    if len(event) != 1 or event[0] > 2:
        raise ValueError(f"exact log p(x) by quadrature needs a 1-D or 2-D latent, but this model's latent has "
                         f"event shape {event}; use explorer.bounds.iwae_bound for an estimate instead")
    return event[0]


def _device_dtype(model) -> tuple[torch.device, torch.dtype]:
    tensor = next((t for t in (*model.parameters(), *model.buffers()) if t.is_floating_point()), None)
    return (torch.device("cpu"), torch.get_default_dtype()) if tensor is None else (tensor.device, tensor.dtype)


def _to64(t: torch.Tensor) -> torch.Tensor:
    """float64 on the CPU, where the sums are done."""
    return t.detach().to("cpu", torch.float64)


def _float64(dist: Distribution) -> Distribution | None:
    """A Bernoulli or Normal decoder rebuilt with float64 parameters on the CPU; None for others."""
    base = dist.base_dist if isinstance(dist, Independent) and dist.reinterpreted_batch_ndims == 1 else None
    if isinstance(base, Bernoulli):  # grey pixels are soft targets, as in explorer.models.common
        return Independent(Bernoulli(logits=_to64(base.logits), validate_args=False), 1)
    if isinstance(base, Normal):
        return Independent(Normal(_to64(base.loc), _to64(base.scale)), 1)
    return None


def _score_outer(dist: Distribution, x: torch.Tensor, kind: tuple) -> torch.Tensor:
    """log p(x_b | z_m) of every image at every z, (M, B) float64, for x (B, D) float64 on the CPU.
    Bernoulli (logits l): Σ_d x_d l_d − softplus(l_d), a matrix product. Normal (m, s): −½ Σ_d
    (x_d − m_d)²/s_d² − Σ_d log s_d − D/2 log 2π, the square expanded. Others: broadcast log_prob."""
    base = dist.base_dist if isinstance(dist, Independent) and dist.reinterpreted_batch_ndims == 1 else None
    if isinstance(base, Bernoulli) and base.logits.dim() == 2:  # softplus in the model's precision, sums in float64
        softplus = torch.nn.functional.softplus(base.logits).sum(1, keepdim=True, dtype=torch.float64)
        return _to64(base.logits) @ x.T - _to64(softplus)
    if isinstance(base, Normal) and base.loc.dim() == 2:
        mean, precision = _to64(base.loc), _to64(base.scale).expand_as(base.loc).pow(-2)
        square = precision @ x.T.pow(2) - 2 * (mean * precision) @ x.T + (mean.pow(2) * precision).sum(1, keepdim=True)
        return -0.5 * (square - precision.log().sum(1, keepdim=True) + x.shape[1] * math.log(2 * math.pi))
    return torch.stack([_score_pairs(dist, row, kind) for row in x], 1)  # an image at a time: M × D memory


def _score_pairs(dist: Distribution, x: torch.Tensor, kind: tuple) -> torch.Tensor:
    """log p(x_m | z_m), (M,) float64, for x (M, D) or (D,) float64 on the CPU; `kind` is the
    decoder's (device, dtype), where a family without a float64 path is scored."""
    dist64 = _float64(dist)
    return dist64.log_prob(x) if dist64 is not None else _to64(dist.log_prob(x.to(*kind)))


@torch.no_grad()
def log_likelihood(model, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log p(x|z) in float64 on the CPU, for x (B, D) and z (..., J) whose batch broadcasts with (B,).
    A last batch dimension of 1 (or none) scores every image at every z, one decoder call per z:
    z (N, 1, J) gives (N, B). Otherwise z[..., b, :] goes with x[b]: q's draws (k, B, J) give (k, B)."""
    kind, x64 = _device_dtype(model), _to64(x)
    if z.dim() == 1 or z.shape[-2] == 1:
        points = z.reshape(-1, z.shape[-1]).to(*kind)
        scores = [_score_outer(model.decode(part), x64, kind) for part in points.split(POINTS_PER_CALL)]
        return torch.cat(scores).reshape(*z.shape[:-2], x.shape[0])
    shape = torch.broadcast_shapes(z.shape[:-1], x.shape[:1])
    points = z.expand(*shape, z.shape[-1]).reshape(-1, z.shape[-1]).to(*kind)
    images = x64.expand(*shape, x.shape[-1]).reshape(-1, x.shape[-1])
    scores = [_score_pairs(model.decode(z_part), x_part, kind)
              for z_part, x_part in zip(points.split(POINTS_PER_CALL), images.split(POINTS_PER_CALL), strict=True)]
    return torch.cat(scores).reshape(shape)


@torch.no_grad()
def log_joint(model, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log p(x, z) = log p(x|z) + log p(z), float64, with z broadcasting as in `log_likelihood`."""
    device, dtype = _device_dtype(model)
    return log_likelihood(model, x, z) + _to64(model.prior.log_prob(z.to(device, dtype)))


@dataclass
class _Cells:
    """The leaves of the adaptive grid: cells tiling the box, with the integrand at their centres."""

    z: torch.Tensor  # (N, J) centres, float64
    width: torch.Tensor  # (N, J) side lengths
    log_f: torch.Tensor  # (N, B) log p(x, z_c) of every image at every centre

    def log_terms(self) -> torch.Tensor:
        """log f(z_c) |c|, (N, B): the summands of the midpoint rule."""
        return self.log_f + self.width.log().sum(1, keepdim=True)

    def log_integral(self) -> torch.Tensor:
        return torch.logsumexp(self.log_terms(), 0)


def _encoder_hint(model, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
    """q(z|x)'s mean and sd, (B, J) float64 each, or None without an encoder (or for a point mass)."""
    try:
        q = model.encode(x)
        mean, sd = _to64(q.mean), _to64(q.stddev)
    except (AttributeError, NotImplementedError):
        return None
    return (mean, sd) if torch.isfinite(mean).all() and torch.isfinite(sd).all() and (sd > 0).all() else None


def _coarse_cells(model, x: torch.Tensor, hint) -> _Cells:
    """The first level: a lattice anchored on the prior's box, so an image sees the same cells in
    any batch, stretched over q's boxes and, while an edge cell carries mass, outwards."""
    mean, sd = _to64(model.prior.mean), _to64(model.prior.stddev)
    origin, step, limit = mean - PRIOR_SDS * sd, 2 * PRIOR_SDS * sd / COARSE_CELLS, MAX_PRIOR_SDS * sd
    lo, hi = origin, mean + PRIOR_SDS * sd
    if hint is not None:
        reach = Q_SDS * torch.minimum(hint[1], sd) + 2 * step  # two more cells: q's peak is never an edge cell
        lo, hi = torch.minimum(lo, (hint[0] - reach).amin(0)), torch.maximum(hi, (hint[0] + reach).amax(0))
    while True:
        lo, hi = lo.clamp(mean - limit, mean + limit), hi.clamp(mean - limit, mean + limit)
        first, last = torch.floor((lo - origin) / step), torch.ceil((hi - origin) / step)
        axes = [origin[j] + step[j] * (torch.arange(int(first[j]), int(last[j]), dtype=torch.float64) + 0.5)
                for j in range(len(mean))]
        z = torch.cartesian_prod(*axes).reshape(-1, len(mean))
        cells = _Cells(z, step.expand_as(z), log_joint(model, x, z[:, None]))
        heavy_edge = ((z == z.amin(0)) | (z == z.amax(0))).any(1) & (cells.log_f >= cells.log_f.amax(0) - EDGE_NATS).T
        if not heavy_edge.any() or ((lo <= mean - limit) & (hi >= mean + limit)).all():
            return cells
        lo, hi = lo - step * COARSE_CELLS / 4, hi + step * COARSE_CELLS / 4


def _cells_to_split(cells: _Cells, active: torch.Tensor, peak_sd: torch.Tensor, hint, tol: float) -> torch.Tensor:
    """All but the lightest cells, which together may hold at most tol / 10 of an unfinished image's
    mass, and their neighbours; and cells under its q wider than Q_CELL_SDS sds. A cell may hold
    more than f(z_c)|c|: a Gaussian peak of sds σ_j centred w_j/2 off along every axis shows
    Σ_j (w_j/2)² / (2σ_j²) nats less at z_c. That slack is added, σ the smaller of q's sd and
    `peak_sd`; the tail of a peak just outside a cell can exceed it, hence the neighbours."""
    sd = peak_sd if hint is None else torch.minimum(hint[1][active], peak_sd)  # (A, J)
    slack = ((cells.width / 2).pow(2)[:, None] / (2 * sd.pow(2))).sum(-1).clamp(max=MAX_SLACK_NATS)
    ascending, order = (cells.log_terms()[:, active] + slack).sort(0)
    light = torch.logcumsumexp(ascending, 0) <= cells.log_integral()[active] + math.log(tol / 10)
    heavy = ~torch.zeros_like(light).scatter(0, order, light)  # (N, A)
    log_f = cells.log_f[:, active]
    near_top = log_f >= log_f.amax(0) - MAX_SLACK_NATS
    chosen = heavy.any(1).index_fill(0, _neighbours(cells, heavy, near_top), True)
    if hint is None:
        return chosen
    mean, sd = hint[0][active], hint[1][active]
    lo, hi = (cells.z - cells.width / 2)[:, None], (cells.z + cells.width / 2)[:, None]
    under_q = ((lo < mean + Q_REFINE_SDS * sd) & (hi > mean - Q_REFINE_SDS * sd)).all(-1)
    return chosen | (under_q & (cells.width[:, None] > Q_CELL_SDS * sd).any(-1)).any(1)


def _neighbours(cells: _Cells, heavy: torch.Tensor, near_top: torch.Tensor) -> torch.Tensor:
    """Indices of cells near an image's top (N, A) that share an edge or corner with a cell heavy
    (N, A) for that image and are at least as wide (narrower ones were split already). A cell
    halved l times from the widest has the integer corner i = (lo − the box's lowest corner) / width;
    its neighbour across d ∈ {-1, 0, 1}^J is at i + d on level l or ⌊(i + d) / 2^(l − l')⌋ on a
    coarser level l', looked up among sorted integer keys rather than by comparing every pair."""
    lo = cells.z - cells.width / 2
    level = torch.log2(cells.width[:, 0].max() / cells.width[:, 0]).round().long()
    corner = ((lo - lo.amin(0)) / cells.width).round().long()
    keys, order = _keys(level, corner).sort()
    offsets = torch.cartesian_prod(*[torch.tensor([-1, 0, 1])] * corner.shape[1]).reshape(-1, corner.shape[1])
    offsets = offsets[(offsets != 0).any(1)]
    source = torch.nonzero(heavy.any(1)).flatten().repeat_interleave(len(offsets))
    target = corner[source] + offsets.repeat(len(source) // len(offsets), 1)
    found = torch.full_like(source, -1)
    for coarser in range(int(level.max()) + 1):
        halvings = (level[source] - coarser).clamp(min=0)
        key = _keys(torch.full_like(source, coarser), torch.div(target, 2 ** halvings[:, None], rounding_mode="floor"))
        position = torch.searchsorted(keys, key).clamp(max=len(keys) - 1)
        hit = (level[source] >= coarser) & (keys[position] == key)
        found[hit] = order[position[hit]]
    source, found = source[found >= 0], found[found >= 0]
    return found[(heavy[source] & near_top[found]).any(1)]


def _keys(level: torch.Tensor, corner: torch.Tensor) -> torch.Tensor:
    """One int64 per (level, corner): a corner stays below 2^27 (16 halvings of ≤ 2048 cells a side)."""
    return (level * 2**27 + corner[:, 0]) * 2**27 + corner[:, -1]


def _split(model, x: torch.Tensor, cells: _Cells, chosen: torch.Tensor) -> _Cells:
    """Replace every chosen cell by its 2^J halves and score their centres."""
    dim = cells.z.shape[1]
    offsets = torch.cartesian_prod(*[torch.tensor([-0.25, 0.25], dtype=torch.float64)] * dim).reshape(-1, dim)
    width, keep = cells.width[chosen], ~chosen
    z = (cells.z[chosen][:, None] + offsets * width[:, None]).reshape(-1, dim)
    halves = _Cells(z, (width / 2).repeat_interleave(len(offsets), 0), log_joint(model, x, z[:, None]))
    return _Cells(*(torch.cat([getattr(cells, name)[keep], getattr(halves, name)]) for name in ("z", "width", "log_f")))


def _resolved(cells: _Cells) -> torch.Tensor:
    """Per image, whether its heaviest cell is at most half a posterior sd wide (narrowest direction):
    two levels can agree by chance while wider (seen at 1 sd, 0.009 nats off). The covariance is
    Σ_c w_c [(z_c − z̄)(z_c − z̄)ᵀ + diag(width_c²)/12], the spread inside a cell included."""
    weight = torch.softmax(cells.log_terms(), 0)  # (N, B)
    centred = cells.z[:, None] - weight.T @ cells.z  # (N, B, J)
    cov = torch.einsum("nb,nbi,nbj->bij", weight, centred, centred)
    cov = cov + torch.diag_embed(weight.T @ cells.width.pow(2) / 12)
    sd_min = torch.linalg.eigvalsh(cov)[:, 0].clamp(min=0).sqrt()
    return cells.width[weight.argmax(0)].amax(1) <= RESOLVED_SDS * sd_min


def _integrate(model, x: torch.Tensor, tol: float, max_points: int) -> tuple[torch.Tensor, torch.Tensor, _Cells]:
    """log p(x) per image, its error estimate (how much the last halving moved it: the coarser level's
    error, e^{-c/h²} times or ~4 times (at a kink) the finer one's) and the final cells."""
    hint = _encoder_hint(model, x)
    cells = _coarse_cells(model, x, hint)
    estimate = cells.log_integral()
    active = torch.isfinite(estimate)  # p(x|z) = 0 everywhere: log p(x) = -inf, exactly
    error = torch.where(active, math.inf, 0.0).to(torch.float64)
    peak_sd, scored = PEAK_SD * _to64(model.prior.stddev), len(cells.z)
    for _ in range(MAX_LEVELS):
        if not active.any():
            break
        chosen = _cells_to_split(cells, active, peak_sd, hint, tol)
        scored += int(chosen.sum()) * 2 ** cells.z.shape[1]
        if scored > max_points:
            break
        cells = _split(model, x, cells, chosen)
        # a finished image keeps its estimate: cells split for others would leave it a mixed-width grid
        error = torch.where(active, (cells.log_integral() - estimate).abs(), error)
        estimate = torch.where(active, cells.log_integral(), estimate)
        active &= ~((error < tol) & _resolved(cells))
    if active.any():
        warnings.warn(f"log p(x) did not reach tol={tol} within max_points={max_points}: error estimates up to "
                      f"{float(error[active].max()):.3g} nats", RuntimeWarning, stacklevel=3)
    return estimate, error, cells


@torch.no_grad()
def log_marginal(model, x: torch.Tensor, *, tol: float = 0.01, max_points: int = MAX_POINTS,
                 return_error: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """log p(x) = log ∫ p(x|z) p(z) dz per sample, (B,) float64, for x (B, D) and a 1-D or 2-D latent:
    logsumexp_c [log p(x|z_c) + log p(z_c) + log |c|] over the adaptive cells c (module docstring).
    With return_error, also (B,) error estimates in nats: below `tol` unless a RuntimeWarning said
    that `max_points` (z scored per pass of IMAGES_PER_PASS samples) ran out."""
    latent_dim(model)
    parts = [_integrate(model, part, tol, max_points) for part in x.reshape(-1, x.shape[-1]).split(IMAGES_PER_PASS)]
    log_px, error = torch.cat([part[0] for part in parts]), torch.cat([part[1] for part in parts])
    return (log_px, error) if return_error else log_px


@torch.no_grad()
def posterior_grid(model, x_single: torch.Tensor, *, extent=None, n: int = 100, tol: float = 0.01) -> PosteriorGrid:
    """The true posterior log p(z|x) = log p(x|z) + log p(z) − log p(x) on a uniform n (× n) grid, for
    one input x_single, (D,) or (1, D). `extent`: (lo, hi) for a 1-D latent, ((lo1, hi1), (lo2, hi2))
    for 2-D; by default a box around the mass. The axes are cell centres, so exp(log_density).sum()
    * dz1 * dz2 ≈ 1 if the grid holds the mass (log p(x) is `log_marginal`'s, not this grid's sum)."""
    dim = latent_dim(model)
    x = x_single.reshape(1, -1)
    log_px, _, cells = _integrate(model, x, tol, MAX_POINTS)
    if extent is None:  # cells within 15 nats of the top (a Gaussian's 5.5 sd: 3e-7 of the mass beyond), + 10%
        heavy = cells.log_f[:, 0] >= cells.log_f[:, 0].max() - 15
        lo, hi = (cells.z - cells.width / 2)[heavy].amin(0), (cells.z + cells.width / 2)[heavy].amax(0)
        extent = torch.stack([lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo)], 1)
    bounds = torch.as_tensor(extent, dtype=torch.float64).reshape(dim, 2)
    axes = [lo + (hi - lo) * (torch.arange(n, dtype=torch.float64) + 0.5) / n for lo, hi in bounds]
    log_density = log_joint(model, x, torch.cartesian_prod(*axes).reshape(-1, 1, dim))[:, 0] - log_px[0]
    if dim == 1:
        return PosteriorGrid(axes[0], None, log_density, log_px[0])
    return PosteriorGrid(axes[0], axes[1], log_density.reshape(n, n).T, log_px[0])
