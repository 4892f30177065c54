"""An autoregressive prior over a VQ-VAE's grid of codes: a small causal transformer in raster order.

The VQ-VAE (van den Oord et al. 2017) trains with a uniform prior over codes; to generate, it
fits a second model p(c) = Π_t p(c_t | c_<t) over the code grids of the training set (there a
PixelCNN; here a decoder-only transformer, Vaswani et al. 2017 / Radford et al. 2018, which is
small and easy to read). Tokens are read in raster order; a start token stands before the first.
The loss is the negative log-likelihood per token in nats; a uniform prior scores log K.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from explorer.models.noise import choice


@dataclass(frozen=True)
class PriorConfig:
    codebook_size: int = 64  # K, the VQ-VAE's number of codes
    grid: tuple[int, ...] = (7, 7)  # the code grid of one image (or (n_codes,) for an MLP VQ-VAE)
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4

    @property
    def length(self) -> int:
        return math.prod(self.grid)


class TokenPrior(nn.Module):
    kind = "prior"  # saved and loaded like a model of x, but outside the protocol: see `explorer.models.AUXILIARY`

    def __init__(self, config: PriorConfig):
        super().__init__()
        self.config = config
        self.start = config.codebook_size  # the start token's id, one past the codes
        self.token_embedding = nn.Embedding(config.codebook_size + 1, config.d_model)
        self.position_embedding = nn.Embedding(config.length, config.d_model)
        layer = nn.TransformerEncoderLayer(config.d_model, config.n_heads, dim_feedforward=4 * config.d_model,
                                           dropout=0.0, batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, config.n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, config.codebook_size)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(config.length),
                             persistent=False)

    def logits(self, tokens: torch.Tensor) -> torch.Tensor:
        """Next-token logits. tokens (B, T') with T' <= length, the first being the start token;
        output (B, T', K): row t predicts code t from the tokens at positions <= t."""
        steps = tokens.shape[1]
        h = self.token_embedding(tokens) + self.position_embedding.weight[:steps]  # (B, T', d)
        h = self.blocks(h, mask=self.mask[:steps, :steps], is_causal=True)
        return self.head(self.norm(h))

    def inputs(self, codes: torch.Tensor) -> torch.Tensor:
        """(B, *grid) codes -> (B, T) inputs: the start token, then the codes shifted right by one."""
        flat = codes.reshape(codes.shape[0], -1).long()  # (B, *grid) -> (B, T) in raster order
        start = torch.full_like(flat[:, :1], self.start)
        return torch.cat([start, flat[:, :-1]], dim=1)

    def log_prob_per_token(self, codes: torch.Tensor) -> torch.Tensor:
        """log p(c_t | c_<t) for every position: (B, *grid) -> (B, T)."""
        log_p = self.logits(self.inputs(codes)).log_softmax(-1)  # (B, T, K)
        flat = codes.reshape(codes.shape[0], -1, 1).long()  # (B, *grid) -> (B, T, 1)
        return log_p.gather(-1, flat).squeeze(-1)

    def loss(self, codes: torch.Tensor, reduce: bool = True, *,
             generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """Named terms: `loss` = `nats_per_token` (mean NLL), `bits_per_token`, `nats_per_image`
        (the NLL of a whole grid). Means over the batch, or (B,) tensors with reduce=False. Nothing is
        drawn (no dropout); `generator` is there for the shared interface."""
        nll = -self.log_prob_per_token(codes)  # (B, T)
        per_token = nll.mean(dim=1)
        terms = {"loss": per_token, "nats_per_token": per_token, "bits_per_token": per_token / math.log(2),
                 "nats_per_image": nll.sum(dim=1)}
        return {name: t.mean() for name, t in terms.items()} if reduce else terms

    @torch.no_grad()
    def sample(self, n: int, temperature: float = 1.0, top_k: int | None = None,
               generator: torch.Generator | None = None, prefix: torch.Tensor | None = None) -> torch.Tensor:
        """n code grids (n, *grid), one token at a time. `prefix` (n, P) fixes the first P codes in raster
        order (completing an image from its top rows); logits are divided by `temperature` and, with
        `top_k`, all but the k most likely codes are masked out."""
        device = self.head.weight.device
        tokens = torch.full((n, 1), self.start, dtype=torch.long, device=device)
        if prefix is not None:
            tokens = torch.cat([tokens, prefix.to(device).long()], dim=1)
        while tokens.shape[1] <= self.config.length:
            logits = self.logits(tokens)[:, -1] / max(float(temperature), 1e-3)  # (n, K)
            if top_k is not None and top_k < logits.shape[-1]:
                kth = logits.topk(top_k, dim=-1).values[:, -1:]
                logits = logits.masked_fill(logits < kth, -math.inf)
            tokens = torch.cat([tokens, choice(logits.softmax(-1), generator)], dim=1)  # (n, t) -> (n, t + 1)
        return tokens[:, 1:].reshape(n, *self.config.grid)  # (n, T) -> (n, *grid)
