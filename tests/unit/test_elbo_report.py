"""What the ELBO page shows for one input (issue 20, items 2 and 14): computed numbers beside Monte-Carlo estimates
that carry their standard error, enough IWAE repeats for a meaningful mean, and the gap split."""

from __future__ import annotations

import math

import pytest
import torch
from ppca import LinearGaussian

from explorer import models
from explorer.analysis import elbo_report
from explorer.maths import bounds, likelihood

F64 = torch.float64


def small_vae():
    torch.manual_seed(0)
    return models.build("vae", None, x_dim=16, hidden=(8,), image_shape=(4, 4)).eval()


def test_report_holds_what_the_page_shows_and_agrees_with_the_parts():
    model, x = small_vae(), torch.rand(16)
    numbers = elbo_report.report(model, x, grid_n=20)
    exact = bounds.gap(model, likelihood.binarise(x)[None])  # grey pixels are binarised before they are scored
    assert numbers["log_px"] == pytest.approx(float(exact.log_px[0]))
    assert numbers["gap"] == pytest.approx(numbers["kl_to_posterior"], abs=1e-3)
    assert 0 <= numbers["log_px_error_estimate"] < 0.01
    assert numbers["elbo"] <= numbers["log_px"] and numbers["naive"].mean <= numbers["log_px"]
    assert numbers["log_density"].shape == (20, 20) and numbers["q_samples"].shape == (40, 2)
    naive = numbers["naive"]
    assert naive.stderr > 0 and (naive.repeats, naive.draws) == (elbo_report.NAIVE_REPEATS, elbo_report.NAIVE_DRAWS)
    parts = numbers["approximation_gap"] + numbers["amortization_gap"]
    assert parts == pytest.approx(numbers["gap"], abs=1e-5)  # two quadratures of E_q (bounds.gap, gap.decompose)
    assert numbers["approximation_gap"] >= -1e-6 and numbers["amortization_gap"] >= 0
    assert numbers["elbo_star"] == pytest.approx(numbers["elbo"] + numbers["amortization_gap"], abs=1e-5)
    assert numbers["q_star_mean"].shape == (2,) and numbers["q_star_cov"].shape == (2, 2)


def test_a_report_is_reproducible_from_its_seed_and_leaves_the_global_generator_alone():
    model, x = small_vae(), torch.rand(16)
    state = torch.get_rng_state()
    first, again = elbo_report.report(model, x, seed=3, grid_n=10), elbo_report.report(model, x, seed=3, grid_n=10)
    assert first["naive"] == again["naive"] and (first["q_samples"] == again["q_samples"]).all()
    assert first["naive"] != elbo_report.report(model, x, seed=4, grid_n=10)["naive"]
    assert torch.equal(torch.get_rng_state(), state)


def test_iwae_gets_enough_repeats_for_a_standard_error_within_the_draw_budget():
    """IWAE-100 was once the mean of 4 runs; now 64, and no K below 5000 needs more than IWAE_DRAWS draws."""
    assert elbo_report.iwae_repeats(100) == 64 and elbo_report.iwae_repeats(1) == 64
    for k in (1, 2, 5, 10, 50, 100, 500, 1000, 5000):
        repeats = elbo_report.iwae_repeats(k)
        assert elbo_report.IWAE_MIN_REPEATS <= repeats <= elbo_report.IWAE_MAX_REPEATS
        assert k * repeats <= max(elbo_report.IWAE_DRAWS, k * elbo_report.IWAE_MIN_REPEATS)


def test_an_estimate_is_the_mean_and_the_standard_error_of_its_runs():
    runs = torch.tensor([1.0, 2.0, 3.0, 6.0], dtype=F64)
    value = elbo_report.estimate(runs, draws=7)
    assert value.mean == 3.0 and value.stderr == pytest.approx(float(runs.std()) / 2) and value.repeats == 4


@pytest.mark.parametrize("k", [1, 10])
def test_the_standard_errors_cover_the_closed_forms_of_probabilistic_pca(k):
    """The naive bound and IWAE-1 (the ELBO) have closed forms for PPCA: each estimate lies within 4 of its
    standard errors of them; an error bar too narrow (an sd over too few runs, or none) would fail here."""
    model = LinearGaussian(noise=0.5, q_shift=torch.tensor([0.15, -0.1], dtype=F64), q_scale=1.4, mean_field=True)
    x = model.data(1)[0]
    naive = elbo_report.naive_estimate(model, x, seed=0)
    assert abs(naive.mean - float(model.exact_naive_bound(x[None])[0])) < 4 * naive.stderr
    iwae = elbo_report.iwae_estimate(model, x, k, seed=0)
    assert iwae.repeats == elbo_report.iwae_repeats(k) and iwae.stderr > 0
    elbo_exact = float(model.exact_log_px(x[None])[0] - model.exact_gap(x[None])[0])
    if k == 1:
        assert abs(iwae.mean - elbo_exact) < 4 * iwae.stderr
    assert iwae.mean < float(model.exact_log_px(x[None])[0]) + 4 * iwae.stderr
    assert math.isfinite(iwae.mean)
