"""The teaching point of each training panel's default run, as a test on the run's history (issue 23, item 8).

A panel's default run has something to show; these say what, in words and as a check on the trainer's history
rows, so the benchmark can time it (`reached`: the first row where it holds) and a test can hold it:

- VQ-VAE (K = 64, no EMA, k-means or resets): the codebook comes into use but stays partly dead. The batch
  perplexity (it starts near 1–3) has risen to K/8 while at least a quarter of the codes sit unused in a batch.
- "Codebook collapse" (K = 512, plain): after `COLLAPSE_AFTER` steps of training, fewer than K/8 codes in
  effective use (perplexity) and over three quarters of the codes unused in a batch.
- Categorical VAE: the held-out ELBO has come within `ELBO_NATS` nats of where the run ends.
- Token prior: the held-out negative log-likelihood per token is below the entropy of the codes' own
  frequencies (the unigram entropy): the prior has learned how codes follow one another, not only how often
  each occurs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

COLLAPSE_AFTER = 200  # steps trained before collapse counts as shown (the codebook has moved by then)
ELBO_NATS = 10.0  # "within this many nats of the run's final held-out ELBO"

Check = Callable[[dict], bool]


def codebook_in_use(codebook_size: int) -> Check:
    """The VQ-VAE page's default: perplexity >= K/8 and >= K/4 codes unused in the batch."""
    return lambda row: (row.get("perplexity", 0.0) >= codebook_size / 8
                        and row.get("unused_codes", 0.0) >= codebook_size / 4)


def codebook_collapsed(codebook_size: int) -> Check:
    """The "Codebook collapse" preset: past `COLLAPSE_AFTER` steps, perplexity < K/8 and > 3K/4 codes unused."""
    return lambda row: (row["step"] >= COLLAPSE_AFTER and "perplexity" in row
                        and row["perplexity"] < codebook_size / 8 and row["unused_codes"] > 3 * codebook_size / 4)


def elbo_settled(final_elbo: float, nats: float = ELBO_NATS) -> Check:
    """The categorical VAE page's default: a held-out ELBO within `nats` of `final_elbo` (the run's last)."""
    return lambda row: "test_elbo" in row and row["test_elbo"] >= final_elbo - nats


def beats_unigram(unigram_nats: float) -> Check:
    """The token-prior page's default: held-out nats per token below the codes' unigram entropy."""
    return lambda row: "test_nats_per_token" in row and row["test_nats_per_token"] < unigram_nats


def unigram_entropy(codes: torch.Tensor, codebook_size: int) -> float:
    """Entropy in nats of the codes' frequencies: what a prior that ignores context scores per token."""
    counts = torch.bincount(codes.reshape(-1).long(), minlength=codebook_size).double()
    p = counts[counts > 0] / counts.sum()
    return float(-(p * p.log()).sum())


def reached(history: list[dict], check: Check) -> dict | None:
    """The first history row where `check` holds (its `step` and `time_s` say when), or None."""
    return next((row for row in history if check(row)), None)


def final_elbo(history: list[dict]) -> float:
    """The last held-out ELBO of a history (NaN when none was measured)."""
    return next((row["test_elbo"] for row in reversed(history) if "test_elbo" in row), math.nan)
