"""The ELBO's terms as tested functions: every formula a page shows is computed here.

Kingma & Welling, "Auto-Encoding Variational Bayes" (2014), appendix B for the analytic KL.
"""

from __future__ import annotations

import torch


def kl_normal_standard(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp(logvar)) || N(0, I)) per sample, (B, J) -> (B,).

    For one coordinate with q = N(m, s²) and p = N(0, 1):
    KL = E_q[log q - log p] = -½ log s² - ½ + ½ (s² + m²),
    since E_q[(z - m)²/s²] = 1 and E_q[z²] = s² + m². Summing over the J independent
    coordinates gives ½ Σ_j (m_j² + s_j² - 1 - log s_j²).
    """
    return kl_normal_standard_per_unit(mu, logvar).sum(dim=-1)


def kl_normal_standard_per_unit(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """The summands of `kl_normal_standard`, one per latent unit, (B, J) -> (B, J)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)
