"""The adaptive midpoint rule behind `explorer.maths.likelihood`: ∫ f(z) dz for a 1-D or 2-D z, in log space.

Σ_c f(z_c) |c| over square cells c. It converges exponentially once the cells are narrower than the peak
(Trefethen & Weideman, "The exponentially convergent trapezoidal rule", SIAM Review 2014), as h² at a
ReLU decoder's kinks. A coarse lattice over the prior's box (and q's), then every cell that may hold a
share of the mass, and its neighbours, is halved, level after level, until the estimate moves by less
than `tol`. No model here: f comes as a `score` function of the cell centres, one column per image.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch

Score = Callable[[torch.Tensor], torch.Tensor]  # centres z (N, J) float64 -> log f(z) (N, B) float64

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


@dataclass
class Cells:
    """The leaves of the adaptive grid: cells tiling the box, with the integrand at their centres."""

    z: torch.Tensor  # (N, J) centres, float64
    width: torch.Tensor  # (N, J) side lengths
    log_f: torch.Tensor  # (N, B) log p(x, z_c) of every image at every centre

    def log_terms(self) -> torch.Tensor:
        """log f(z_c) |c|, (N, B): the summands of the midpoint rule."""
        return self.log_f + self.width.log().sum(1, keepdim=True)

    def log_integral(self) -> torch.Tensor:
        return torch.logsumexp(self.log_terms(), 0)


def _coarse_cells(score: Score, mean: torch.Tensor, sd: torch.Tensor, hint) -> Cells:
    """The first level: a lattice anchored on the prior's box, so an image sees the same cells in
    any batch, stretched over q's boxes and, while an edge cell carries mass, outwards."""
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
        cells = Cells(z, step.expand_as(z), score(z))
        heavy_edge = ((z == z.amin(0)) | (z == z.amax(0))).any(1) & (cells.log_f >= cells.log_f.amax(0) - EDGE_NATS).T
        if not heavy_edge.any() or ((lo <= mean - limit) & (hi >= mean + limit)).all():
            return cells
        lo, hi = lo - step * COARSE_CELLS / 4, hi + step * COARSE_CELLS / 4


def _cells_to_split(cells: Cells, active: torch.Tensor, peak_sd: torch.Tensor, hint, tol: float) -> torch.Tensor:
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


def _neighbours(cells: Cells, heavy: torch.Tensor, near_top: torch.Tensor) -> torch.Tensor:
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


def _split(score: Score, cells: Cells, chosen: torch.Tensor) -> Cells:
    """Replace every chosen cell by its 2^J halves and score their centres."""
    dim = cells.z.shape[1]
    offsets = torch.cartesian_prod(*[torch.tensor([-0.25, 0.25], dtype=torch.float64)] * dim).reshape(-1, dim)
    width, keep = cells.width[chosen], ~chosen
    z = (cells.z[chosen][:, None] + offsets * width[:, None]).reshape(-1, dim)
    halves = Cells(z, (width / 2).repeat_interleave(len(offsets), 0), score(z))
    return Cells(*(torch.cat([getattr(cells, name)[keep], getattr(halves, name)]) for name in ("z", "width", "log_f")))


def _resolved(cells: Cells) -> torch.Tensor:
    """Per image, whether its heaviest cell is at most half a posterior sd wide (narrowest direction):
    two levels can agree by chance while wider (seen at 1 sd, 0.009 nats off). The covariance is
    Σ_c w_c [(z_c − z̄)(z_c − z̄)ᵀ + diag(width_c²)/12], the spread inside a cell included."""
    weight = torch.softmax(cells.log_terms(), 0)  # (N, B)
    centred = cells.z[:, None] - weight.T @ cells.z  # (N, B, J)
    cov = torch.einsum("nb,nbi,nbj->bij", weight, centred, centred)
    cov = cov + torch.diag_embed(weight.T @ cells.width.pow(2) / 12)
    sd_min = torch.linalg.eigvalsh(cov)[:, 0].clamp(min=0).sqrt()
    return cells.width[weight.argmax(0)].amax(1) <= RESOLVED_SDS * sd_min


def integrate(score: Score, prior_mean: torch.Tensor, prior_sd: torch.Tensor, hint, tol: float,
              max_points: int) -> tuple[torch.Tensor, torch.Tensor, Cells]:
    """log ∫ f per image (B,), an error estimate (how much the last halving moved it: the coarser level's
    error, e^{-c/h²} times or ~4 times (at a kink) the finer one's; an estimate, not a bound) and the
    final cells. `score` maps centres z (N, J) float64 to log f (N, B); the first lattice spans the prior's
    box, mean ± PRIOR_SDS sd ((J,) float64 each); `hint` is q's (mean, sd), (B, J) each, or None."""
    cells = _coarse_cells(score, prior_mean, prior_sd, hint)
    estimate = cells.log_integral()
    active = torch.isfinite(estimate)  # p(x|z) = 0 everywhere: log p(x) = -inf, exactly
    error = torch.where(active, math.inf, 0.0).to(torch.float64)
    peak_sd, scored = PEAK_SD * prior_sd, len(cells.z)
    for _ in range(MAX_LEVELS):
        if not active.any():
            break
        chosen = _cells_to_split(cells, active, peak_sd, hint, tol)
        scored += int(chosen.sum()) * 2 ** cells.z.shape[1]
        if scored > max_points:
            break
        cells = _split(score, cells, chosen)
        # a finished image keeps its estimate: cells split for others would leave it a mixed-width grid
        error = torch.where(active, (cells.log_integral() - estimate).abs(), error)
        estimate = torch.where(active, cells.log_integral(), estimate)
        active &= ~((error < tol) & _resolved(cells))
    if active.any():
        warnings.warn(f"log p(x) did not reach tol={tol} within max_points={max_points}: error estimates up to "
                      f"{float(error[active].max()):.3g} nats", RuntimeWarning, stacklevel=4)
    return estimate, error, cells
