"""The hierarchical VAE: per-group KLs, ELBO ≤ log p(x) against a 2-D quadrature, fixing and resampling
groups, free bits per group, shapes and the checkpoint round trip."""

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from explorer import models
from explorer.models.hvae import HierarchicalVAE, kl_normal_normal
from explorer.store import checkpoints
from explorer.training.train import TrainConfig, Trainer

SMALL = dict(x_dim=16, groups=(3, 2, 2), hidden=12, blocks=1, image_shape=(4, 4))


def small(**overrides) -> HierarchicalVAE:
    torch.manual_seed(0)
    return models.build("hvae", None, **{**SMALL, **overrides}).eval()


def test_kl_normal_normal_matches_torch_distributions():
    mu_q, logvar_q, mu_p, logvar_p = torch.randn(4, 5, 3)
    oracle = kl_divergence(Normal(mu_q, (0.5 * logvar_q).exp()), Normal(mu_p, (0.5 * logvar_p).exp())).sum(-1)
    torch.testing.assert_close(kl_normal_normal(mu_q, logvar_q, mu_p, logvar_p), oracle)
    assert kl_normal_normal(mu_p, logvar_p, mu_p, logvar_p).abs().max() < 1e-6


def test_per_group_kls_sum_to_the_kl_and_the_elbo_is_recon_minus_kl():
    m = small()
    terms = m.loss(torch.rand(9, 16), reduce=False)
    assert {"loss", "recon", "kl", "elbo", "kl_1", "kl_2", "kl_3"} == set(terms)
    assert all(t.shape == (9,) for t in terms.values())
    torch.testing.assert_close(terms["kl"], terms["kl_1"] + terms["kl_2"] + terms["kl_3"])
    torch.testing.assert_close(terms["elbo"], -(terms["recon"] + terms["kl"]))
    assert all((terms[f"kl_{level}"] >= 0).all() for level in (1, 2, 3))
    one = small(groups=(4,)).loss(torch.rand(3, 16), reduce=False)
    torch.testing.assert_close(one["kl"], one["kl_1"])


def test_shapes_of_the_interface():
    m, x = small(), torch.rand(5, 16)
    q, p = m.encode(x), m.prior
    assert q.batch_shape == (5,) and q.event_shape == (7,) and p.event_shape == (7,)
    assert q.rsample().shape == (5, 7) and q.rsample((3,)).shape == (3, 5, 7) and q.mean.shape == (5, 7)
    assert p.rsample().shape == (7,) and p.rsample((4,)).shape == (4, 7) and p.mean.shape == (7,)
    assert q.log_prob(q.rsample((3,))).shape == (3, 5) and p.log_prob(p.rsample((4,))).shape == (4,)
    assert m.decode(q.rsample()).batch_shape == (5,) and m.decode(q.rsample()).event_shape == (16,)
    assert m.decode_mean(torch.zeros(2, 7)).shape == (2, 16) and m.sample(6).shape == (6, 16)
    assert m.reconstruct(x).shape == (5, 16) and m.log_weight(x).shape == (5,)
    images, z = m.generate(4)
    assert images.shape == (4, 16) and [t.shape for t in z] == [(4, 3), (4, 2), (4, 2)]
    assert m.config.z_dim == 7 and m.levels == 3


def test_log_weight_is_log_p_x_given_z_plus_the_prior_minus_the_posterior():
    m, x = small(), torch.rand(5, 16)
    torch.manual_seed(3)
    log_w = m.log_weight(x)
    torch.manual_seed(3)
    z = m.encode(x).rsample()  # the same top-down draw
    expected = m.decode(z).log_prob(x) + m.prior.log_prob(z) - m.encode(x).log_prob(z)
    torch.testing.assert_close(log_w, expected)


def two_scalar_groups() -> tuple[HierarchicalVAE, torch.Tensor]:
    """Two 1-D groups, a Gaussian decoder, float64, trained a little so that q is not the prior."""
    torch.manual_seed(0)
    m = models.build("hvae", None, x_dim=4, groups=(1, 1), hidden=8, blocks=1, likelihood="gaussian",
                     decoder_sigma=0.5, image_shape=None).double()
    x = torch.randn(16, 4, dtype=torch.float64)
    Trainer(m, x, TrainConfig(steps=150, batch_size=16, lr=1e-2)).run()
    return m.eval(), x[:3]


@torch.no_grad()
def log_px_by_quadrature(m: HierarchicalVAE, x: torch.Tensor, cells: int) -> torch.Tensor:
    """log ∫∫ p(x|z_1, z_2) p(z_1|z_2) p(z_2) dz_1 dz_2 by the midpoint rule, (B,). p(z_1|z_2) = N(μ, σ²) can
    be wide (σ up to 40 here), so z_1 = μ(z_2) + σ(z_2)·u: then p(z_1|z_2) dz_1 = N(u; 0, 1) du."""
    h = 18.0 / cells
    nodes = -9.0 + h * (torch.arange(cells, dtype=torch.float64) + 0.5)  # (n,) over ±9 sd
    z2, u = (t.reshape(-1, 1) for t in torch.meshgrid(nodes, nodes, indexing="ij"))  # (n², 1) each
    mu, logvar = m.walk(len(z2), z={2: z2, 1: torch.zeros_like(z2)}).p[0]  # p(z_1 | z_2), (n², 1)
    z1 = mu + (0.5 * logvar).exp() * u
    log_lik = m.decode(torch.cat([z1, z2], 1)).log_prob(x[:, None, :])  # (B, n²)
    log_prior = Normal(0.0, 1.0).log_prob(torch.cat([z2, u], 1)).sum(1)  # log N(z_2) + log N(u), (n²,)
    return torch.logsumexp(log_lik + log_prior, dim=1) + 2 * math.log(h)


def test_the_elbo_and_iwae_stay_below_the_exact_log_px():
    m, x = two_scalar_groups()
    log_px = log_px_by_quadrature(m, x, 600)
    torch.testing.assert_close(log_px, log_px_by_quadrature(m, x, 300), atol=1e-3, rtol=0)  # converged
    draws = 20_000
    torch.manual_seed(1)
    log_w = m.log_weight(x.repeat(draws, 1)).reshape(draws, len(x))  # (draws, B)
    elbo, se = log_w.mean(0), log_w.std(0) / math.sqrt(draws)
    assert (elbo <= log_px + 4 * se).all(), (elbo, log_px)
    assert (log_px - elbo > 1e-3).all()  # q is not the true posterior: a visible gap
    iwae = torch.logsumexp(log_w, 0) - math.log(draws)  # IWAE-K with K = 20,000: nearly log p(x)
    assert (iwae <= log_px + 0.02).all() and (iwae >= elbo).all()
    torch.testing.assert_close(iwae, log_px, atol=0.05, rtol=0)
    with torch.no_grad():  # the analytic per-group KLs estimate the same ELBO as log p(x,z) − log q(z|x)
        analytic = m.loss(x.repeat(draws, 1), reduce=False)["elbo"].reshape(draws, len(x)).mean(0)
    assert ((analytic - elbo).abs() < 4 * se + 1e-3).all(), (analytic, elbo)


def test_a_fixed_top_group_stays_fixed_while_the_lower_groups_are_resampled():
    m = small()
    top = torch.randn(1, 2)
    images, z = m.generate(6, z={3: top}, generator=torch.Generator().manual_seed(0))
    assert torch.equal(z[2], top.expand(6, -1))
    assert z[1].std(0).min() > 0 and z[0].std(0).min() > 0 and images.std(0).max() > 0


def test_fixed_lower_noise_with_the_top_resampled_and_both_fixed():
    m = small()
    noise = m.noise((1, 2), torch.Generator().manual_seed(1))
    _, z = m.generate(5, eps=noise, generator=torch.Generator().manual_seed(2))
    assert z[2].std(0).min() > 0  # the top differs from row to row
    mu, logvar = m.walk(5, z={3: z[2], 2: z[1]}).p[1]  # p(z_2 | z_3) of each row
    torch.testing.assert_close(z[1], mu + (0.5 * logvar).exp() * noise[2])  # the same ε in every row
    images, _ = m.generate(4, z={3: torch.randn(1, 2)}, eps=noise)
    torch.testing.assert_close(images, images[:1].expand(4, -1))  # everything fixed: one image


def test_keeping_the_top_k_groups_from_the_posterior():
    m, x = small(), torch.rand(1, 16)
    zeros = {level: torch.zeros(1, size) for level, size in enumerate(m.config.groups, 1)}
    mean_path, _ = m.generate(1, x=x, keep=3, eps=zeros)
    torch.testing.assert_close(mean_path, m.reconstruct(x))  # k = L with zero noise: q's mean path
    prior_only, _ = m.generate(4, x=x, keep=0, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(prior_only, m.sample(4, generator=torch.Generator().manual_seed(5)))
    _, kept = m.generate(4, x=x, keep=1, generator=torch.Generator().manual_seed(6))
    _, again = m.generate(4, x=x, keep=1, eps={3: torch.zeros(1, 2)})
    q_top = m.encode(x).mean[0, 5:]  # the top group of q's mean path
    torch.testing.assert_close(again[2][0], q_top)
    assert kept[2].std(0).min() > 0 and kept[0].std(0).min() > 0  # sampled from q, the rest from p


def test_free_bits_leave_the_first_nats_of_each_group_free():
    m, x = small(), torch.rand(8, 16)
    torch.manual_seed(0)
    plain = m.loss(x)
    torch.manual_seed(0)
    free = m.loss(x, free_bits=50.0)
    torch.testing.assert_close(free["kl"], plain["kl"])  # the reported KL is the true one
    torch.testing.assert_close(free["loss"], plain["recon"] + 3 * 50.0)  # every group pays the floor
    torch.manual_seed(0)
    floor = 0.5 * (plain["kl_1"] + plain["kl_2"]).item()  # between the smaller and the larger group's KL
    some = m.loss(x, free_bits=floor, beta=2.0)
    low, high = sorted((plain["kl_1"].item(), plain["kl_2"].item()))
    expected = plain["recon"] + 2.0 * (max(low, floor) + max(high, floor) + max(plain["kl_3"].item(), floor))
    torch.testing.assert_close(some["loss"], expected)


def test_free_bits_stop_the_kl_gradient_of_a_group_below_its_floor():
    m, x = small(), torch.rand(8, 16)

    def gradients(term: str, **knobs) -> list[torch.Tensor]:
        m.zero_grad()
        torch.manual_seed(0)
        m.loss(x, **knobs)[term].backward()
        return [p.grad.clone() for p in m.parameters() if p.grad is not None]

    for free, recon_only in zip(gradients("loss", free_bits=50.0), gradients("recon"), strict=True):
        torch.testing.assert_close(free, recon_only)  # every group under its floor: only recon pulls


def test_checkpoint_round_trip(tmp_path):
    m = small()
    path = checkpoints.save(m, tmp_path / "hvae.safetensors", metrics={"test_elbo": -1.0})
    loaded = checkpoints.load(path)
    assert isinstance(loaded, HierarchicalVAE) and loaded.config == m.config
    gen = torch.Generator().manual_seed(0)
    torch.testing.assert_close(loaded.sample(3, generator=gen), m.sample(3, generator=torch.Generator().manual_seed(0)))


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match="groups"):
        small(groups=())
    with pytest.raises(ValueError, match="groups"):
        small(groups=(4, 0))
    with pytest.raises(ValueError, match="likelihood"):
        small(likelihood="poisson")
