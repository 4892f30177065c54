"""β, decoder σ and posterior collapse: the σ/L2 identity, β sweeps, the linear-VAE threshold.

- β-VAE: Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a Constrained Variational
  Framework" (ICLR 2017): minimize distortion + β · rate.
- Rate R = E KL(q(z|x) ‖ p(z)) and distortion D = -E log p(x|z), so -ELBO = R + D: Alemi et al.,
  "Fixing a Broken ELBO" (ICML 2018). A sweep over β traces the rate-distortion curve.
- Posterior collapse of a Gaussian decoder with variance σ²: Lucas, Tucker, Grosse & Norouzi,
  "Don't Blame the ELBO!" (NeurIPS 2019): in a linear VAE the principal direction of data variance
  λ collapses when λ <= σ² (with β: when λ <= βσ², see `effective_sigma`).
- Free bits: Kingma et al., "Improved Variational Inference with Inverse Autoregressive Flow"
  (NeurIPS 2016). KL warm-up: Bowman et al. 2016; Sønderby et al. 2016.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from explorer import data, models
from explorer.maths import metrics
from explorer.runtime.threads import torch_threads
from explorer.training.jobs import JOB_THREADS, Job, QueueFull, TrainingJob
from explorer.training.pretrain_specs import PretrainSpec
from explorer.training.train import Diverged, TrainConfig, Trainer

BETAS = (0.1, 0.5, 1.0, 4.0, 8.0)
STEPS = 1500  # 5 models of hidden (256,), z_dim 10 on sprites: ~45 s on one core of the 2-core machine
Z_DIM = 10
EVAL_SIZE = 1000  # held-out samples for rate, distortion and the unit diagnostics
MIG_SIZE = 2000  # held-out samples for MIG


# --- the Gaussian decoder is a scaled L2 loss -----------------------------------------------------

def gaussian_nll_as_scaled_l2(squared_error, sigma: float, dim: int):
    """-log N(x; μ, σ²I) from the squared error ‖x - μ‖² of a D-dimensional x.

    log N(x; μ, σ²I) = Σ_d log[(2πσ²)^(-1/2) exp(-(x_d - μ_d)² / (2σ²))]
                     = -‖x - μ‖² / (2σ²) - D log σ - D/2 log 2π,
    so at fixed σ the negative log-likelihood is the L2 loss scaled by 1/(2σ²), plus a constant.
    """
    return squared_error / (2 * sigma**2) + metrics.gaussian_log_normaliser(dim, sigma)


def l2_weight_of_kl(beta: float, sigma: float) -> float:
    """The weight w of the KL in the L2 form ‖x - μ‖² + w · KL of the β-ELBO with decoder σ: w = 2σ²β.

    recon + β KL = ‖x - μ‖² / (2σ²) + β KL + const = (‖x - μ‖² + 2σ²β KL) / (2σ²) + const: a positive
    factor and a constant apart, so both have the same minimizers and parallel gradients. Only the
    product σ²β matters: a larger σ is a larger β.
    """
    return 2 * sigma**2 * beta


def effective_sigma(beta: float, sigma: float) -> float:
    """The σ' of a plain VAE (β = 1) that a β-VAE with decoder σ is equivalent to: σ' = √β σ.

    β · loss(β = 1, σ') = ‖x - μ‖² / (2σ²) + β KL + β D log σ' + const = loss(β, σ) + const.
    """
    return math.sqrt(beta) * sigma


def distortion_at_sigma(distortion: float, dim: int, sigma_from: float, sigma_to: float) -> float:
    """A Gaussian decoder's distortion -E log p(x|z) measured at σ_from, re-expressed at σ_to.

    Invert `gaussian_nll_as_scaled_l2` for the mean squared error, then apply it at σ_to.
    """
    squared_error = (distortion - metrics.gaussian_log_normaliser(dim, sigma_from)) * 2 * sigma_from**2
    return gaussian_nll_as_scaled_l2(squared_error, sigma_to, dim)


def principal_variances(x: torch.Tensor) -> np.ndarray:
    """Eigenvalues λ of the data's covariance, largest first: the variances of its principal directions."""
    return np.linalg.eigvalsh(np.cov(x.double().numpy().T))[::-1].copy()


def directions_kept(variances: np.ndarray, beta: float, sigma: float) -> int:
    """How many principal directions a linear VAE keeps: those with λ > βσ² = effective_sigma² (Lucas
    et al. 2019, with β folded into σ); the others collapse to the prior at the optimum."""
    return int((np.asarray(variances) > effective_sigma(beta, sigma) ** 2).sum())


# --- a sweep over β ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SweepConfig:
    betas: tuple[float, ...] = BETAS
    steps: int = STEPS
    z_dim: int = Z_DIM
    hidden: tuple[int, ...] = (256,)
    lr: float = 2e-3
    batch_size: int = 128
    seed: int = 0
    likelihood: str | None = None  # None: the dataset's own decoder
    decoder_sigma: float = 0.1  # for a Gaussian decoder
    free_bits: float = 0.0
    kl_warmup_steps: int = 0


def build_model(dataset: data.Dataset, config: SweepConfig) -> nn.Module:
    """A fresh VAE for the dataset, its weights drawn from the config's seed: every β starts from the same ones."""
    return models.build_seeded("vae", None, config.seed, x_dim=dataset.x_dim, z_dim=config.z_dim,
                               hidden=config.hidden, likelihood=config.likelihood or dataset.likelihood,
                               image_shape=dataset.image_shape, decoder_sigma=config.decoder_sigma)


def train_config(config: SweepConfig) -> TrainConfig:
    """Held-out numbers are measured once, after training (`diagnose`), so the trainer evaluates rarely."""
    return TrainConfig(steps=config.steps, batch_size=config.batch_size, lr=config.lr, seed=config.seed,
                       log_every=50, eval_every=max(config.steps, 1), kl_warmup_steps=config.kl_warmup_steps)


def knobs_for(config: SweepConfig, beta: float) -> dict:
    return {"beta": float(beta), "decoder_sigma": config.decoder_sigma, "free_bits": config.free_bits}


def train_in_place(model: nn.Module, x_train: torch.Tensor, config: TrainConfig, knobs: dict) -> None:
    """The default trainer of a sweep: `Trainer.run` in the calling thread."""
    Trainer(model, x_train, config, knobs).run()


@torch.no_grad()
def diagnose(model: nn.Module, test: data.Dataset, decoder_sigma: float | None = None, with_mig: bool = True,
             seed: int = 0) -> dict:
    """Rate, distortion, squared error (sum over pixels), ELBO and the unit diagnostics of a model on held-out data.

    A Gaussian decoder's distortion is reported at `decoder_sigma` (the σ it is trained with), not
    at its config's default; its Monte-Carlo draws come from `seed`. MIG is added when the dataset has
    true factors and `with_mig`.
    """
    model.eval()
    x = test.x[:EVAL_SIZE]
    result = metrics.rate_distortion(model, x, generator=torch.Generator().manual_seed(seed))
    if model.config.likelihood == "gaussian" and decoder_sigma is not None:
        result["distortion"] = distortion_at_sigma(result["distortion"], x.shape[1], model.config.decoder_sigma,
                                                   decoder_sigma)
        result["elbo"] = -(result["rate"] + result["distortion"])
    active, activity = metrics.active_units(model, x)
    result.update(kl_per_unit=metrics.kl_per_unit(model, x), active=active, activity=activity,
                  collapsed=metrics.collapsed_units(model, x), active_units=int(active.sum()))
    if with_mig and test.factors is not None:
        mig = metrics.mig_of_model(model, test, n=MIG_SIZE)
        result.update(mig=mig["mig"], mig_gaps=mig["gaps"], factor_names=mig["factor_names"])
    return result


def run_sweep(dataset: str, config: SweepConfig, on_progress: Callable[[int, int, dict], None] | None = None,
              train: Callable[..., None] = train_in_place) -> list[dict]:
    """One VAE per β of `config`, trained by `train(model, x, train_config, knobs)`, then diagnosed.

    Each result: beta, seconds, rate, distortion, squared_error, elbo, kl_per_unit, active, activity, collapsed,
    active_units, mig (+ mig_gaps, factor_names) where the data has factors, and the trained model.
    """
    train_set, test = data.load(dataset, "train"), data.load(dataset, "test")
    results = []
    for beta in config.betas:
        model = build_model(train_set, config)
        started = time.perf_counter()
        with torch_threads(JOB_THREADS):
            train(model, train_set.x, train_config(config), knobs_for(config, beta))
            result = {"beta": float(beta), "seconds": time.perf_counter() - started,
                      **diagnose(model, test, config.decoder_sigma, seed=config.seed), "model": model.eval()}
        results.append(result)
        if on_progress is not None:
            on_progress(len(results), len(config.betas), result)
    return results


def beta_sweep(dataset: str, betas: Sequence[float] = BETAS, steps: int = STEPS, z_dim: int = Z_DIM, seed: int = 0,
               on_progress: Callable[[int, int, dict], None] | None = None, **options) -> list[dict]:
    """Train one small VAE per β on `dataset` and measure each (see `run_sweep`); `options` are
    further `SweepConfig` fields (hidden, lr, likelihood, decoder_sigma, free_bits, kl_warmup_steps)."""
    config = SweepConfig(betas=tuple(float(b) for b in betas), steps=steps, z_dim=z_dim, seed=seed, **options)
    return run_sweep(dataset, config, on_progress)


class SweepStopped(RuntimeError):
    """The sweep was stopped (by its page, or because its browser session ended)."""


class SweepJob(Job):
    """A sweep in a background thread: a series of `TrainingJob`s, one per β, each holding a training slot of the
    server while it runs, trained on one thread and stopped with its session (`Job`'s states)."""

    thread_name, failure_label = "latent-lab-sweep", "Sweep"

    def __init__(self, dataset: str, config: SweepConfig, device: str = "cpu",
                 alive: Callable[[], bool] | None = None):
        super().__init__(alive)
        self.dataset, self.config, self.device = dataset, config, device
        self.results: list[dict] = []
        self.current: TrainingJob | None = None  # the job of the β in training

    @property
    def progress(self) -> float:
        running = self.current.progress if self.current is not None and not self.current.done else 0.0
        return min(1.0, (len(self.results) + running) / max(1, len(self.config.betas)))

    def stop(self, wait: float = 5.0) -> None:
        if self.current is not None:
            self.current.stop(wait)
        super().stop(wait)

    def _train(self, model: nn.Module, x: torch.Tensor, config: TrainConfig, knobs: dict) -> None:
        job = TrainingJob(model.to(self.device), x, config, knobs, device=self.device, copy_model=False,
                          alive=self._alive)
        while self.proceed():
            try:
                job.start()
                break
            except QueueFull as err:
                self.message = f"Waiting for a free training slot: {err}"
                time.sleep(0.5)
        self.current, self.message = job, ""
        job.join()
        if job.state == "diverged":
            raise Diverged(f"β = {self.config.betas[len(self.results)]:g}: {job.message}")
        if self.stopping or job.state != "finished":
            self.message = job.message or "Stopped."
            raise SweepStopped(self.message)

    def work(self) -> None:
        try:
            run_sweep(self.dataset, self.config, lambda i, n, result: self.results.append(result), self._train)
        except SweepStopped:
            self._stop.set()  # `Job` then ends in 'stopped', keeping the message


# --- pretrained β-VAEs (trained by `python -m explorer pretrain`) ------------------------------------

PRETRAIN_BETAS = {"sprites-vae-b0.5": 0.5, "sprites-vae-b1": 1.0, "sprites-vae-b4": 4.0,
                  "mnist-vae-b1": 1.0, "mnist-vae-b4": 4.0}


def _pretrain_spec(name: str, beta: float) -> PretrainSpec:
    """z_dim 10, hidden (512, 256), 4,000 steps: ~14 ms a step on one core, about 1 min each."""
    config = TrainConfig(steps=4000, lr=2e-3, eval_every=500)
    return PretrainSpec(name, "vae", name.split("-")[0], config, {"hidden": (512, 256), "z_dim": Z_DIM},
                        knobs={"beta": beta})


PRETRAIN_SPECS = tuple(_pretrain_spec(name, beta) for name, beta in PRETRAIN_BETAS.items())


def pretrained_betas(dataset: str) -> dict[str, float]:
    """The pretrained β-VAE names of a dataset and their β (shipped or not: see `explorer.store.zoo.names`)."""
    return {name: beta for name, beta in PRETRAIN_BETAS.items() if name.startswith(f"{dataset}-")}
