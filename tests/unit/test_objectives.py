"""The analytic KL against torch.distributions and against a Monte-Carlo estimate."""

import torch
from torch.distributions import Independent, Normal, kl_divergence

from explorer.maths.objectives import kl_normal_standard, kl_normal_standard_per_unit


def test_kl_matches_torch_distributions():
    torch.manual_seed(0)
    mu, logvar = torch.randn(7, 3), torch.randn(7, 3)
    q = Independent(Normal(mu, (0.5 * logvar).exp()), 1)
    p = Independent(Normal(torch.zeros(3), torch.ones(3)), 1)
    torch.testing.assert_close(kl_normal_standard(mu, logvar), kl_divergence(q, p))


def test_kl_matches_monte_carlo_within_its_error():
    torch.manual_seed(0)
    mu, logvar = torch.tensor([[0.7, -1.2]]), torch.tensor([[-0.5, 0.8]])
    q = Independent(Normal(mu, (0.5 * logvar).exp()), 1)
    p = Independent(Normal(torch.zeros(2), torch.ones(2)), 1)
    z = q.sample((200_000,))
    log_ratio = (q.log_prob(z) - p.log_prob(z)).squeeze(-1)
    estimate, stderr = log_ratio.mean(), log_ratio.std() / len(log_ratio) ** 0.5
    exact = kl_normal_standard(mu, logvar)[0]
    assert abs(estimate - exact) < 4 * stderr, (estimate, exact, stderr)


def test_kl_is_zero_at_the_prior_and_positive_elsewhere():
    zero = torch.zeros(1, 4)
    assert kl_normal_standard(zero, zero).item() == 0.0
    assert (kl_normal_standard_per_unit(torch.tensor([[0.1, 0.0]]), torch.tensor([[0.0, 0.2]])) > 0).all()
