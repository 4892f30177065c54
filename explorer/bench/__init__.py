"""`python -m explorer bench`: the speed targets, measured as ratios within one run.

Machines here are noisy, so every comparison is made in the same process, interleaved, and
reported as a ratio: the trainer against a plain `DataLoader(TensorDataset)` loop of the same
model, and the trainer's FLOP rate against the machine's matmul peak measured in this run.
"""

from __future__ import annotations

import json
import platform
import statistics
import time

import numpy as np
import torch

from explorer import data, models
from explorer.bench.estimators import estimator_chart_latency
from explorer.bench.training import training_throughput
from explorer.bench.vq import vq_live_training
from explorer.maths import latent
from explorer.store import zoo
from explorer.training.train import TrainConfig, Trainer


def _median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return round(statistics.median(times), 3)


def decode_latency(repeats: int) -> dict:
    """Server time to decode one clicked point and a 20×20 manifold grid with the shipped MNIST VAE."""
    model = zoo.load("mnist-vae-2d")
    point = np.array([[0.3, -0.7]], dtype=np.float32)
    extent = (-3.0, 3.0, -3.0, 3.0)
    return {"decode_point_ms": _median_ms(lambda: latent.decode_points(model, point), repeats),
            "decode_grid_20x20_ms": _median_ms(lambda: latent.manifold_grid(model, extent, 20), repeats)}


def elbo_page_latency(repeats: int) -> dict:
    """Server time of the ELBO page for a new input (`elbo_report.report` plus IWAE-100 ± its standard error, as
    the page computes them on a cold cache), and of `log_marginal` for one and for 100 images. The
    100-image call is timed before and after the page reports: single runs of it varied from 4 to
    15 s on this shared machine, and two readings show how much."""
    from explorer.analysis import elbo_report
    from explorer.maths.likelihood import log_marginal, scored_input

    model = zoo.load("mnist-vae-2d")
    x = scored_input(model, data.load("mnist", "test").x)

    def hundred() -> float:
        started = time.perf_counter()
        log_marginal(model, x[:100])
        return round(time.perf_counter() - started, 2)

    fresh = hundred()
    singles, inputs = iter(range(100, 100 + repeats + 1)), iter(range(len(x)))
    one = _median_ms(lambda: log_marginal(model, x[next(singles)][None]), repeats)

    def new_input() -> None:
        sample = x[next(inputs)]
        elbo_report.report(model, sample)
        elbo_report.iwae_estimate(model, sample, 100, seed=0)

    page = _median_ms(new_input, repeats)
    return {"elbo_page_new_input_ms": page, "log_marginal_one_image_ms": one,
            "log_marginal_100_images_s": fresh, "log_marginal_100_images_after_reports_s": hundred()}


def live_training(seconds: float = 20.0) -> dict:
    """Train the page's 2-D VAE on MNIST from scratch for `seconds`; held-out -ELBO vs the shipped one."""
    from explorer.training.pretrain import heldout_metrics

    train, test = data.load("mnist", "train"), data.load("mnist", "test")
    torch.manual_seed(0)
    model = models.build("vae", None, hidden=(512, 256))
    trainer = Trainer(model, train.x, TrainConfig(steps=10**9, lr=2e-3, log_every=10**9, eval_every=10**9))
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        trainer.run(25)
    live = -heldout_metrics(model, test.x)["test_elbo"]
    shipped = -zoo.entry("mnist-vae-2d")["metrics"]["test_elbo"]
    return {"live_seconds": seconds, "live_steps": trainer.state.step, "live_neg_elbo": round(live, 2),
            "shipped_neg_elbo": round(shipped, 2), "live_minus_shipped_nats": round(live - shipped, 2)}


def beta_sweep_time(quick: bool) -> dict:
    """Wall time of the page's β sweep on sprites (5 models by default; issue 4's target is < 60 s)."""
    from explorer.training import sweep

    betas = sweep.BETAS[:2] if quick else sweep.BETAS
    started = time.perf_counter()
    sweep.beta_sweep("sprites", betas=betas, steps=100 if quick else sweep.STEPS)
    return {"beta_sweep_models": len(betas), "beta_sweep_s": round(time.perf_counter() - started, 1)}


def draw_compare_latency(repeats: int) -> dict:
    """Server time from a finished stroke (a 280×280 canvas) to every shipped MNIST model's
    reconstruction, MSE and likelihood: `drawing.to_mnist` then `compare.compare` (issue 7: < 300 ms
    with five models)."""
    from explorer.analysis import compare
    from explorer.data import drawing

    names = compare.shipped_models("mnist")
    loaded = {name: zoo.load(name) for name in names}
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[40:240, 130:160] = 255  # a "1"
    ms = _median_ms(lambda: compare.compare(loaded, drawing.to_mnist(canvas)), repeats)
    return {"draw_compare_models": len(names), "draw_compare_ms": ms}


def token_prior(seconds: float = 90.0, repeats: int = 20) -> dict:
    """Issue 9: a prior trained from scratch on the shipped VQ-VAE's MNIST codes (one torch thread, as
    in the app): seconds until its held-out NLL is below 0.8 × log K per token (checked every 25
    steps), and the time to sample one 7×7 grid and decode it."""
    from explorer.runtime.threads import torch_threads
    from explorer.training import tokens

    vq = zoo.load("mnist-vqvae")
    train_codes = tokens.encode_codes(vq, data.load("mnist", "train").x)
    test_codes = tokens.encode_codes(vq, data.load("mnist", "test").x)
    torch.manual_seed(0)
    prior = tokens.prior_for(vq)
    trainer = Trainer(prior, train_codes, TrainConfig(steps=10**9, lr=tokens.PRIOR_TRAIN.lr, log_every=10**9,
                                                      eval_every=10**9))
    started, reached, fraction = time.perf_counter(), None, 1.0
    with torch_threads(1):
        while reached is None and time.perf_counter() - started < seconds:
            trainer.run(25)
            fraction = tokens.heldout_nll(prior, test_codes)["fraction_of_uniform"]
            reached = time.perf_counter() - started if fraction < 0.8 else None
        sample_ms = _median_ms(lambda: tokens.sample_images(vq, prior, 1), repeats)
    return {"prior_seconds_to_0.8_logK": None if reached is None else round(reached, 1),
            "prior_steps": trainer.state.step, "prior_fraction_of_logK": round(fraction, 3),
            "prior_sample_and_decode_7x7_ms": sample_ms}


def machine() -> dict:
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "torch": torch.__version__, "threads": torch.get_num_threads()}


def main(json_path: str = "bench.json", quick: bool = False, browser: bool = True) -> dict:
    x = data.load("mnist", "train").x
    results = {"machine": machine()}
    results["training"] = training_throughput(x, steps=60 if quick else 200, repeats=1 if quick else 7)
    results["decode"] = decode_latency(repeats=20 if quick else 200)
    results["elbo_page"] = elbo_page_latency(repeats=5 if quick else 30)
    results["live_training"] = live_training(5.0 if quick else 20.0)
    results["beta_sweep"] = beta_sweep_time(quick)
    results["draw_compare"] = draw_compare_latency(repeats=5 if quick else 30)
    results["token_prior"] = token_prior()
    results["vq_live_training"] = vq_live_training(10.0 if quick else 60.0)
    results["estimator_charts"] = estimator_chart_latency(repeats=3 if quick else 20)
    from explorer.bench.load import zoo_memory  # issue 11: memory and page reruns
    from explorer.bench.pages import page_rerun_times

    results["memory"], results["page_reruns"] = zoo_memory(), page_rerun_times(repeats=2 if quick else 5)
    if browser:
        from explorer.bench.browser_timing import cold_start

        results["cold_start"] = cold_start()
    with open(json_path, "w") as f:
        json.dump(results, f, indent=2)
    for section, values in results.items():
        print(f"\n[{section}]")
        for key, value in values.items():
            print(f"  {key:28s} {value}")
    print(f"\nwritten to {json_path}")
    return results
