"""The σ/L2 identity, β sweeps and their diagnostics, the sweep job."""

import math

import pytest
import torch
from torch.distributions import Independent, Normal

from explorer import data
from explorer.maths.objectives import kl_normal_standard
from explorer.models import build
from explorer.models.common import reconstruction_nll
from explorer.runtime.threads import torch_threads
from explorer.store import zoo
from explorer.training import jobs, sweep


@pytest.fixture(autouse=True)
def one_torch_thread():
    """One intra-op thread, as a job in the app trains (jobs.JOB_THREADS): on the shared 2-core machine
    two threads made these small steps ~20x slower."""
    with torch_threads(jobs.JOB_THREADS):
        yield


def gaussian_vae(z_dim: int = 3, x_dim: int = 5):
    torch.manual_seed(0)
    return build("vae", None, x_dim=x_dim, z_dim=z_dim, hidden=(16,), likelihood="gaussian", image_shape=None)


def gradient(loss: torch.Tensor, model) -> torch.Tensor:
    model.zero_grad()
    loss.backward()
    return torch.cat([p.grad.flatten() for p in model.parameters()])


@pytest.mark.parametrize("sigma", [0.05, 0.3, 1.0, 1.7])
def test_gaussian_nll_is_the_scaled_l2_loss(sigma):
    """-log N(x; μ, σ²I) = ‖x - μ‖²/(2σ²) + D log σ + D/2 log 2π, by the model's own reconstruction_nll."""
    generator = torch.Generator().manual_seed(1)
    x, mean = torch.rand(8, 6, generator=generator, dtype=torch.float64), torch.rand(8, 6, generator=generator,
                                                                                  dtype=torch.float64)
    nll = reconstruction_nll(mean, x, "gaussian", sigma)
    formula = sweep.gaussian_nll_as_scaled_l2((x - mean).pow(2).sum(dim=1), sigma, dim=6)
    exact = -Independent(Normal(mean, torch.full_like(mean, sigma)), 1).log_prob(x)
    torch.testing.assert_close(nll, formula)
    torch.testing.assert_close(nll, exact)


@pytest.mark.parametrize(("beta", "sigma"), [(1.0, 0.1), (4.0, 0.3), (0.5, 1.2)])
def test_beta_elbo_has_the_gradient_of_the_l2_form(beta, sigma):
    """recon + β·KL with decoder σ = (‖x - μ‖² + 2σ²β·KL) / (2σ²) + const: parallel gradients."""
    model, x = gaussian_vae(), torch.rand(32, 5, generator=torch.Generator().manual_seed(2))
    torch.manual_seed(3)
    elbo_gradient = gradient(model.loss(x, beta=beta, decoder_sigma=sigma)["loss"], model)
    torch.manual_seed(3)  # the same reparameterization noise
    mu, logvar = model.encoder_params(x)
    z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
    l2_form = ((x - model.decoder(z)).pow(2).sum(dim=1) + sweep.l2_weight_of_kl(beta, sigma) * kl_normal_standard(
        mu, logvar)).mean()
    l2_gradient = gradient(l2_form, model)
    torch.testing.assert_close(elbo_gradient, l2_gradient / (2 * sigma**2), rtol=1e-4, atol=1e-6)


def test_beta_and_sigma_trade_against_each_other():
    """loss(β, σ) = β · loss(β = 1, √β σ) + const: a β-VAE is a plain VAE with a wider decoder."""
    model, x = gaussian_vae(), torch.rand(32, 5, generator=torch.Generator().manual_seed(4))
    beta, sigma = 3.0, 0.2
    torch.manual_seed(5)
    beta_vae = gradient(model.loss(x, beta=beta, decoder_sigma=sigma)["loss"], model)
    torch.manual_seed(5)
    plain = gradient(model.loss(x, beta=1.0, decoder_sigma=sweep.effective_sigma(beta, sigma))["loss"], model)
    torch.testing.assert_close(beta_vae, beta * plain, rtol=1e-4, atol=1e-6)
    assert sweep.effective_sigma(beta, sigma) ** 2 == pytest.approx(beta * sigma**2)


def test_distortion_re_expressed_at_another_sigma():
    squared_error, dim = 12.5, 784
    at_small = sweep.gaussian_nll_as_scaled_l2(squared_error, 0.1, dim)
    assert sweep.distortion_at_sigma(at_small, dim, 0.1, 0.7) == pytest.approx(
        sweep.gaussian_nll_as_scaled_l2(squared_error, 0.7, dim))
    assert sweep.distortion_at_sigma(at_small, dim, 0.1, 0.1) == pytest.approx(at_small)


def test_tiny_sweep_trades_rate_for_distortion():
    reports = []
    results = sweep.beta_sweep("digits", betas=(0.25, 4.0), steps=300, z_dim=4, hidden=(64,),
                               on_progress=lambda i, n, r: reports.append((i, n, r["beta"])))
    assert reports == [(1, 2, 0.25), (2, 2, 4.0)]
    low, high = results
    assert high["rate"] < low["rate"] and high["distortion"] > low["distortion"]
    for result in results:
        assert result["elbo"] == pytest.approx(-(result["rate"] + result["distortion"]))
        assert result["kl_per_unit"].shape == (4,) and result["active"].shape == (4,)
        assert result["kl_per_unit"].sum() == pytest.approx(result["rate"], rel=1e-4)
        assert "mig" not in result  # digits has no true factors
        assert not result["model"].training


def test_sweep_on_sprites_measures_mig():
    (result,) = sweep.beta_sweep("sprites", betas=(1.0,), steps=20, z_dim=3, hidden=(32,))
    assert 0.0 <= result["mig"] <= 1.0
    assert result["factor_names"] == data.SPRITE_FACTORS and result["mig_gaps"].shape == (5,)


def test_sweep_job_trains_each_beta_as_a_training_job():
    job = sweep.SweepJob("digits", sweep.SweepConfig(betas=(1.0, 2.0), steps=40, z_dim=2, hidden=(32,)))
    job.start()
    assert jobs.wait_until(lambda: job.done, timeout=60)
    assert job.state == "finished", job.message
    assert [r["beta"] for r in job.results] == [1.0, 2.0] and job.progress == 1.0


def test_sweep_job_stops_and_frees_its_slot():
    job = sweep.SweepJob("digits", sweep.SweepConfig(betas=(1.0, 2.0), steps=10**6, z_dim=2, hidden=(32,)))
    job.start()
    assert jobs.wait_until(lambda: job.current is not None and job.current.step > 5, timeout=30)
    job.stop()
    assert job.state == "stopped" and not job.results
    assert jobs.wait_until(lambda: jobs.running_count() == 0, timeout=5)


def test_pretrain_specs_name_beta_models_of_ten_units():
    names = [spec.name for spec in sweep.PRETRAIN_SPECS]
    assert len(set(names)) == len(names) == len(sweep.PRETRAIN_BETAS)
    for spec in sweep.PRETRAIN_SPECS:
        assert zoo.NAME_PATTERN.fullmatch(spec.name) and spec.dataset in data.IMAGE_SETS
        assert spec.kind == "vae" and spec.model_overrides["z_dim"] == sweep.Z_DIM
        assert math.isclose(sweep.PRETRAIN_BETAS[spec.name], float(spec.name.split("-b")[-1]))
    assert sweep.pretrained_betas("sprites") == {"sprites-vae-b0.5": 0.5, "sprites-vae-b1": 1.0, "sprites-vae-b4": 4.0}


def test_a_sweep_is_a_series_of_training_jobs_on_one_state_machine():
    """Issue 21: SweepJob once re-implemented TrainingJob's states, thread and stop; both are `jobs.Job` now."""
    from explorer.training.jobs import Job, TrainingJob

    for job_class in (TrainingJob, sweep.SweepJob):
        assert issubclass(job_class, Job)
        assert not {"_loop", "pause", "resume", "done", "join", "proceed"} & set(vars(job_class)), job_class
