"""The vector quantizer of the VQ-VAE (van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete
Representation Learning", NeurIPS 2017), with the options that keep a codebook alive.

Every encoder output z_e (a row of D numbers) is replaced by its nearest codebook vector
z_q = e_k, k = argmin_j ‖z_e − e_j‖². The lecture's two extra losses, per row:
    commitment  ‖z_e − sg[z_q]‖²   (weighted by commitment_beta in the loss: moves the encoder only)
    codebook    ‖sg[z_e] − z_q‖²   (moves the codebook only)
where sg[·] is the stop-gradient (`.detach()`). The argmin has no gradient, so the decoder's
gradient reaches the encoder through the straight-through copy `z_e + (z_q − z_e).detach()`
(`explorer.maths.gumbel.straight_through`, the one the categorical VAE and the estimator pages use).

Options, each off by default:
- EMA codebook (the paper's appendix A.1): codes follow exponential moving averages of the
  count N_k and the sum m_k of the z_e assigned to them, e_k = m_k / N_k, with Laplace smoothing
  of the counts; the codebook loss then trains nothing and the codebook is not a trained weight.
- k-means initialization: on the first training batch the codebook is set to k-means centres
  (k-means++ seeds, then Lloyd iterations) of that batch's encoder outputs.
- dead-code reset: a code unused for `dead_code_reset_steps` training steps is moved onto a
  random encoder output of the current batch. It is moved in the very step it reaches that window, so
  with resets on no code ever counts as dead: the resets themselves are counted instead
  (`codes_reset`, `total_codes_reset`), or a dying codebook would look healthy.
State (EMA statistics, usage counters) lives in buffers, so checkpoints carry it. The codebook and
the counters change only in training mode: a model in eval mode (a shared cached one) is never
mutated by encoding or scoring data.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from explorer.maths.gumbel import straight_through
from explorer.models.noise import choice, integers


def squared_distances(points: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """‖p_i − c_j‖² for points (N, D) and centres (K, D): (N, K), as ‖p‖² − 2 p·c + ‖c‖²."""
    centre_sq = centres.pow(2).sum(dim=1)  # (K,)
    return torch.addmm(centre_sq, points, centres.T, alpha=-2.0) + points.pow(2).sum(dim=1, keepdim=True)


def code_counts(indices: torch.Tensor, codebook_size: int) -> torch.Tensor:
    """How often each of the K codes occurs in `indices` (any shape): a LongTensor (K,)."""
    return torch.bincount(indices.reshape(-1), minlength=codebook_size)


def perplexity(counts: torch.Tensor) -> torch.Tensor:
    """exp(entropy of the average code usage p_k = counts_k / Σ counts): K for uniform use of K
    codes, 1 when a single code takes everything. A 0-d float tensor."""
    p = counts.double() / counts.sum().clamp_min(1)
    return torch.special.entr(p).sum().exp().float()  # entr(p) = −p log p, with 0 log 0 = 0


def kmeans_plus_plus(points: torch.Tensor, k: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """k seeds (k, D) drawn by k-means++ (Arthur & Vassilvitskii 2007): each next seed is a point
    drawn with probability proportional to its squared distance to the nearest seed so far."""
    first = integers(points.shape[0], (1,), points.device, generator)
    seeds = [points[first]]  # each (1, D)
    closest = (points - seeds[0]).pow(2).sum(dim=1)  # (N,) squared distance to the nearest seed
    for _ in range(k - 1):
        weights = closest if bool(closest.sum() > 0) else torch.ones_like(closest)  # all points taken
        pick = choice(weights, generator)
        seeds.append(points[pick])
        closest = torch.minimum(closest, (points - seeds[-1]).pow(2).sum(dim=1))
    return torch.cat(seeds)  # k × (1, D) -> (k, D)


def kmeans(points: torch.Tensor, k: int, iters: int = 10, generator: torch.Generator | None = None) -> torch.Tensor:
    """Centres (k, D) of `points` (N, D) after k-means++ seeding and `iters` Lloyd iterations
    (assign each point to its nearest centre, move each centre to the mean of its points; a centre
    that gets no point stays where it is)."""
    centres = kmeans_plus_plus(points, k, generator)
    for _ in range(iters):
        assign = squared_distances(points, centres).argmin(dim=1)  # (N,)
        sums = torch.zeros_like(centres).index_add_(0, assign, points)  # (k, D)
        counts = code_counts(assign, k).unsqueeze(1)  # (k,) -> (k, 1)
        centres = torch.where(counts > 0, sums / counts.clamp_min(1), centres)
    return centres


class Quantized(NamedTuple):
    """What the quantizer returns for N rows z_e (N, D)."""

    z_q: torch.Tensor  # (N, D): value z_q, gradient copied straight through to z_e
    indices: torch.Tensor  # (N,) LongTensor: the chosen code of every row
    commitment: torch.Tensor  # (N,): ‖z_e − sg[z_q]‖²
    codebook: torch.Tensor  # (N,): ‖sg[z_e] − z_q‖² (no gradient when the codebook follows the EMA)
    counts: torch.Tensor  # (K,) LongTensor: how often each code was chosen


class VectorQuantizer(nn.Module):
    """A codebook of K vectors of dimension D (`codebook`, (K, D)) and the nearest-code lookup."""

    def __init__(self, codebook_size: int, code_dim: int, ema: bool = False, ema_decay: float = 0.99,
                 ema_epsilon: float = 1e-5, kmeans_init: bool = False, kmeans_iters: int = 10,
                 dead_code_reset_steps: int = 0):
        super().__init__()
        if codebook_size < 1 or code_dim < 1:
            raise ValueError(f"codebook_size and code_dim must be positive, not {codebook_size} and {code_dim}")
        if not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), not {ema_decay}")
        self.codebook_size, self.code_dim = codebook_size, code_dim
        self.ema, self.ema_decay, self.ema_epsilon = ema, ema_decay, ema_epsilon
        self.kmeans_init, self.kmeans_iters = kmeans_init, kmeans_iters
        self.dead_code_reset_steps = dead_code_reset_steps
        # with EMA the codebook is not trained by gradients (its requires_grad is off) but stays a Parameter,
        # so a checkpoint's keys do not depend on it
        self.codebook = nn.Parameter(torch.empty(codebook_size, code_dim), requires_grad=not ema)
        if ema:
            # N_k starts at a pseudo-count of 1 with m_k = e_k, so that e_k = m_k / N_k holds from the start
            self.register_buffer("ema_cluster_size", torch.ones(codebook_size))
            self.register_buffer("ema_embed_sum", torch.empty(codebook_size, code_dim))
        self.init_weights(generator=None)  # torch's global generator, as its layers' defaults; see build_seeded
        self.register_buffer("initialized", torch.tensor(not kmeans_init))
        self.register_buffer("last_counts", torch.zeros(codebook_size, dtype=torch.long))
        self.register_buffer("total_counts", torch.zeros(codebook_size, dtype=torch.long))
        self.register_buffer("steps_since_used", torch.zeros(codebook_size, dtype=torch.long))
        # not saved (persistent=False): a shipped checkpoint keeps its keys, and a count of resets is about a run
        self.register_buffer("codes_reset", torch.zeros((), dtype=torch.long), persistent=False)
        self.register_buffer("total_codes_reset", torch.zeros((), dtype=torch.long), persistent=False)

    @torch.no_grad()
    def init_weights(self, generator: torch.Generator | None) -> None:
        """The codebook uniform in ±1/K, as in the reference implementations, drawn from `generator`."""
        bound = 1.0 / self.codebook_size
        self.codebook.uniform_(-bound, bound, generator=generator)
        if self.ema:
            self.ema_embed_sum.copy_(self.codebook)

    @torch.no_grad()
    def nearest(self, z_e: torch.Tensor) -> torch.Tensor:
        """Index of the nearest code of every row: z_e (N, D) -> LongTensor (N,)."""
        return squared_distances(z_e, self.codebook).argmin(dim=1)

    def forward(self, z_e: torch.Tensor, generator: torch.Generator | None = None) -> Quantized:
        """Quantize the rows z_e (N, D); in training mode also update the codebook's bookkeeping (k-means
        initialization and dead-code resets draw from `generator`)."""
        if self.kmeans_init and self.training and not bool(self.initialized):
            self._kmeans_init(z_e.detach(), generator)
        indices = self.nearest(z_e.detach())
        codebook = self.codebook.detach() if self.ema else self.codebook
        z_q = codebook.index_select(0, indices)  # (N, D)
        commitment = (z_e - z_q.detach()).pow(2).sum(dim=1)  # ‖z_e − sg[z_q]‖²: its gradient reaches only z_e
        codebook_term = (z_e.detach() - z_q).pow(2).sum(dim=1)  # ‖sg[z_e] − z_q‖²: reaches only the codebook
        # Straight-through copy: the forward value is z_e + (z_q − z_e) = z_q, but the bracket is a
        # constant for autograd, so ∂z_q_st/∂z_e is the identity. The gradient the decoder sends to
        # z_q is thereby copied unchanged to z_e and flows on into the encoder, although the argmin
        # itself has no gradient. (The codebook gets nothing from this path; it learns from the
        # codebook loss or the EMA.)
        z_q_st = straight_through(z_q, z_e)  # z_e + sg[z_q − z_e]: explorer.maths.gumbel's one straight-through
        counts = code_counts(indices, self.codebook_size)
        if self.training:
            self._update(z_e.detach(), indices, counts, generator)
        return Quantized(z_q_st, indices, commitment, codebook_term, counts)

    @torch.no_grad()
    def _update(self, z_e: torch.Tensor, indices: torch.Tensor, counts: torch.Tensor,
                generator: torch.Generator | None) -> None:
        """One training step's bookkeeping: usage counters, then the EMA, then dead-code resets."""
        self.last_counts.copy_(counts)
        self.total_counts.add_(counts)
        self.steps_since_used.add_(1).masked_fill_(counts > 0, 0)
        if self.ema:
            self._ema_update(z_e, indices, counts)
        if self.dead_code_reset_steps > 0:
            self._reset_dead_codes(z_e, generator)

    @torch.no_grad()
    def _ema_update(self, z_e: torch.Tensor, indices: torch.Tensor, counts: torch.Tensor) -> None:
        """N_k ← γ N_k + (1−γ) n_k,  m_k ← γ m_k + (1−γ) Σ_{i: k_i = k} z_e,i,  e_k = m_k / Ñ_k with the
        Laplace-smoothed counts Ñ_k = (N_k + ε) / (n + K ε) · n, n = Σ_k N_k (no division by zero)."""
        gamma = self.ema_decay
        sums = torch.zeros_like(self.ema_embed_sum).index_add_(0, indices, z_e)  # (K, D)
        self.ema_cluster_size.mul_(gamma).add_(counts.to(self.ema_cluster_size.dtype), alpha=1 - gamma)
        self.ema_embed_sum.mul_(gamma).add_(sums, alpha=1 - gamma)
        n = self.ema_cluster_size.sum()
        smoothed = (self.ema_cluster_size + self.ema_epsilon) / (n + self.codebook_size * self.ema_epsilon) * n
        self.codebook.copy_(self.ema_embed_sum / smoothed.unsqueeze(1))  # (K, D) / (K, 1)

    @torch.no_grad()
    def _kmeans_init(self, z_e: torch.Tensor, generator: torch.Generator | None) -> None:
        centres = kmeans(z_e, self.codebook_size, self.kmeans_iters, generator)
        self._set_codes(torch.arange(self.codebook_size, device=z_e.device), centres)
        self.initialized.fill_(True)

    @torch.no_grad()
    def _reset_dead_codes(self, z_e: torch.Tensor, generator: torch.Generator | None) -> None:
        """Move every code unused for `dead_code_reset_steps` steps onto a random row of z_e, and count them."""
        dead = (self.steps_since_used >= self.dead_code_reset_steps).nonzero().squeeze(1)  # (n_dead,)
        self.codes_reset.fill_(dead.numel())
        self.total_codes_reset.add_(dead.numel())
        if dead.numel() == 0:
            return
        rows = integers(z_e.shape[0], (dead.numel(),), z_e.device, generator)
        self._set_codes(dead, z_e[rows])
        self.steps_since_used[dead] = 0

    @torch.no_grad()
    def _set_codes(self, which: torch.Tensor, values: torch.Tensor) -> None:
        """Put codes `which` (n,) at `values` (n, D), restarting their EMA statistics there."""
        self.codebook[which] = values
        if self.ema:
            self.ema_cluster_size[which] = 1.0
            self.ema_embed_sum[which] = values

    def dead_codes(self, window: int | None = None) -> torch.Tensor:
        """Bool mask (K,) of the codes no training input picked in the last `window` steps
        (default: dead_code_reset_steps, or 1 when resets are off)."""
        window = window or self.dead_code_reset_steps or 1
        return self.steps_since_used >= window

    def usage(self, window: int | None = None) -> dict[str, torch.Tensor]:
        """The bookkeeping a page shows: per-code counts of the last training batch and since the
        start, the perplexity of each, the number of dead codes (see `dead_codes`; always 0 with resets on,
        as a code is reset in the step it reaches the window), and the codes reset in the last training step
        and since the start."""
        return {
            "last_counts": self.last_counts.clone(),
            "total_counts": self.total_counts.clone(),
            "perplexity": perplexity(self.last_counts),
            "total_perplexity": perplexity(self.total_counts),
            "dead_codes": self.dead_codes(window).sum(),
            "codes_reset": self.codes_reset.clone(),
            "total_codes_reset": self.total_codes_reset.clone(),
        }
