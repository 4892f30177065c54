"""Issue 6's targets for live VQ-VAE training (van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete
Representation Learning", NeurIPS 2017), measured: trained from scratch on MNIST for the same wall time,
with one torch thread as the app's jobs, are a VQ-VAE's reconstructions sharper than those of the conv
VAE with the same encoder and decoder, and does its codebook stay alive?

Runs: the VQ-VAE with K = 64 and with K = 512 (k-means init and dead-code reset on), the same K = 512 with
a plain uniform codebook (neither), and the conv VAE. They step round-robin, a few steps each in turn,
until each has trained for `seconds` of its own time, so a noisy machine slows them alike. Reported per
run: steps, the held-out squared error of the mean reconstruction (summed over an image's pixels, the
manifest's `test_squared_error`), and for the VQ-VAEs the perplexity and dead codes of the codes of the held-out images.
Targets: every VQ-VAE with a healthy codebook below the conv VAE's squared error; perplexity > K/4 for K = 64 and
> K/3 for K = 512 (the plain codebook is shown to stay far below).
"""

from __future__ import annotations

import time

import torch

from explorer import data, models
from explorer.analysis import vq
from explorer.maths.metrics import squared_error_per_image
from explorer.runtime.threads import torch_threads
from explorer.training.jobs import JOB_THREADS
from explorer.training.train import TrainConfig, Trainer

HEALTHY = {"kmeans_init": True, "dead_code_reset_steps": 10}
RUNS = {  # name -> (kind, config overrides)
    "vq_k64": ("vqvae", {"codebook_size": 64, **HEALTHY}),
    "vq_k512": ("vqvae", {"codebook_size": 512, **HEALTHY}),
    "vq_k512_plain": ("vqvae", {"codebook_size": 512}),
    "conv_vae": ("convvae", {}),
}
KNOBS = {"commitment_beta": 0.25, "beta": 1.0}
CHUNK_STEPS = 10  # steps a run takes in its turn
PERPLEXITY_TARGETS = {"vq_k64": 4, "vq_k512": 3}  # perplexity > K / this


def _trainers(train: data.Dataset, seed: int) -> dict[str, Trainer]:
    trainers = {}
    for name, (kind, overrides) in RUNS.items():
        torch.manual_seed(seed)
        model = models.build(kind, None, **overrides)
        config = TrainConfig(steps=10**9, lr=2e-3, seed=seed, log_every=10**9, eval_every=10**9)
        trainers[name] = Trainer(model, train.x, config, KNOBS)
    return trainers


def _train_round_robin(trainers: dict[str, Trainer], seconds: float) -> dict[str, float]:
    """Step every trainer CHUNK_STEPS at a time, in turn, until each has used `seconds`; their times."""
    used = dict.fromkeys(trainers, 0.0)
    while any(t < seconds for t in used.values()):
        for name, trainer in trainers.items():
            if used[name] < seconds:
                started = time.perf_counter()
                trainer.run(CHUNK_STEPS)
                used[name] += time.perf_counter() - started
    return used


def _heldout(model: torch.nn.Module, x: torch.Tensor) -> dict:
    model.eval()
    squared_error = squared_error_per_image(x.numpy(), vq.reconstruct(model, x).numpy())
    result = {"squared_error_per_image": round(float(squared_error.mean()), 3)}
    if model.capabilities.has_codebook:
        usage = vq.codebook_usage(model, x)
        result.update(codebook_size=model.config.codebook_size, perplexity=round(usage["perplexity"], 1),
                      dead_codes=usage["dead_codes"])
    return result


def _targets(runs: dict[str, dict]) -> dict[str, bool]:
    vae_error = runs["conv_vae"]["squared_error_per_image"]
    targets = {"vq_k64_squared_error_below_conv_vae": runs["vq_k64"]["squared_error_per_image"] < vae_error,
               "vq_k512_squared_error_below_conv_vae": runs["vq_k512"]["squared_error_per_image"] < vae_error}
    for name, divisor in PERPLEXITY_TARGETS.items():
        run = runs[name]
        targets[f"{name}_perplexity_above_k_over_{divisor}"] = run["perplexity"] > run["codebook_size"] / divisor
    targets["vq_k512_plain_perplexity_below_k_over_3"] = runs["vq_k512_plain"]["perplexity"] < 512 / 3
    return targets


def vq_live_training(seconds: float = 60.0, seed: int = 0) -> dict:
    """Train the four runs on MNIST for `seconds` each (one torch thread) and measure them on the held-out
    images: {"seconds", "runs": {name: {steps, steps_per_s, squared_error_per_image, ...}}, "targets": {name: bool}}."""
    train, test = data.load("mnist", "train"), data.load("mnist", "test")
    with torch_threads(JOB_THREADS):
        trainers = _trainers(train, seed)
        used = _train_round_robin(trainers, seconds)
        runs = {name: {"steps": trainer.state.step, "steps_per_s": round(trainer.state.step / used[name], 1),
                       **_heldout(trainer.model, test.x)} for name, trainer in trainers.items()}
    return {"seconds": seconds, "heldout_images": len(test), "runs": runs, "targets": _targets(runs)}


if __name__ == "__main__":
    import json

    print(json.dumps(vq_live_training(), indent=2))
