"""Issue 2's throughput targets: the trainer against a plain `DataLoader` loop, and against the
machine's matmul peak, on the 784-400-20 MLP VAE at batch 128.

The machines here change speed by up to 1.5× from one second to the next, so runs of whole
loops one after another compare different machines. Instead the loops are stepped round-robin in
short chunks (the order rotating each round), each chunk timed, and a short burst of 1024²
matmuls after every round gives the peak for the same seconds. Every ratio is then taken within
one repeat, and the medians over repeats are reported.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable, Iterator

import torch
from torch.utils.data import DataLoader, TensorDataset

from explorer import models
from explorer.training.train import TrainConfig, Trainer, make_optimizer

BENCH_MODEL = dict(x_dim=784, z_dim=20, hidden=(400,))  # the 784-400-20 MLP VAE of the targets
BATCH = 128
CHUNK = 20  # steps of one loop between switches


def mlp_vae_flops_per_sample(x_dim: int, hidden: int, z_dim: int) -> float:
    """Forward + backward FLOPs of the one-hidden-layer VAE, per sample.

    Forward multiply-adds: x·h + h·2z (encoder) + z·h + h·x (decoder); a multiply-add is 2 FLOPs
    and the backward pass costs twice the forward (gradients of inputs and of weights): 3 × 2 × MACs.
    """
    macs = x_dim * hidden + hidden * 2 * z_dim + z_dim * hidden + hidden * x_dim
    return 3 * 2 * macs


def matmul_peak_gflops(size: int = 1024, seconds: float = 1.0, min_calls: int = 1) -> float:
    """Best-of GFLOP/s of a float32 square matmul: the machine's practical peak right now."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    best, calls = 0.0, 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or calls < min_calls:
        t = time.perf_counter()
        a @ b
        best = max(best, 2 * size**3 / (time.perf_counter() - t) / 1e9)
        calls += 1
    return best


def trainer_loop(x: torch.Tensor) -> Callable[[int], None]:
    """`run(n)`: n steps of the project's trainer."""
    torch.manual_seed(0)
    trainer = Trainer(models.build("vae", None, **BENCH_MODEL), x,
                      TrainConfig(steps=10**9, batch_size=BATCH, log_every=10**9, eval_every=10**9))
    return trainer.run


def dataloader_loop(x: torch.Tensor, fused_adam: bool = False) -> Callable[[int], None]:
    """`run(n)`: n steps of the textbook loop (as in pytorch/examples vae/main.py): a DataLoader
    over a TensorDataset with shuffling and `optim.Adam(model.parameters())` at its defaults, the
    same model and loss. `fused_adam=True` gives it the trainer's optimizer, isolating what the
    data path alone gains."""
    torch.manual_seed(0)
    model = models.build("vae", None, **BENCH_MODEL)
    optimizer = make_optimizer(model, 1e-3) if fused_adam else torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(x), batch_size=BATCH, shuffle=True, drop_last=True)
    batches: Iterator = itertools.chain.from_iterable(itertools.repeat(loader))  # epoch after epoch

    def run(steps: int) -> None:
        for _ in range(steps):
            (batch,) = next(batches)
            loss = model.loss(batch)["loss"]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    return run


def interleaved_seconds(loops: dict[str, Callable[[int], None]], steps: int, chunk: int = CHUNK) -> tuple[dict, float]:
    """Seconds each loop spent on `steps` steps, stepped round-robin in chunks, and the median
    matmul peak (GFLOP/s) of the bursts measured between rounds."""
    seconds, peaks = dict.fromkeys(loops, 0.0), []
    names = list(loops)
    for round_index in range(max(1, steps // chunk)):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            loops[name](min(chunk, steps))
            seconds[name] += time.perf_counter() - started
        peaks.append(matmul_peak_gflops(seconds=0.02, min_calls=3))
    return seconds, statistics.median(peaks)


def training_throughput(x: torch.Tensor, steps: int, repeats: int) -> dict:
    """Samples/s of the trainer and both plain loops, their ratios and the trainer's fraction of
    the matmul peak, each taken within one repeat; medians over repeats."""
    loops = {"trainer": trainer_loop(x), "dataloader": dataloader_loop(x),
             "dataloader_fused_adam": dataloader_loop(x, fused_adam=True)}
    for run in loops.values():
        run(10)  # warm-up: first calls allocate and pick kernels
    flops = mlp_vae_flops_per_sample(784, 400, 20)
    samples = max(1, steps // CHUNK) * min(CHUNK, steps) * BATCH
    rates, ratios, fused_ratios, fractions, peaks = {name: [] for name in loops}, [], [], [], []
    for _ in range(repeats):
        seconds, peak = interleaved_seconds(loops, steps)
        for name in loops:
            rates[name].append(samples / seconds[name])
        ratios.append(seconds["dataloader"] / seconds["trainer"])
        fused_ratios.append(seconds["dataloader_fused_adam"] / seconds["trainer"])
        peaks.append(peak)
        fractions.append(rates["trainer"][-1] * flops / 1e9 / peak)
    rate = statistics.median(rates["trainer"])
    return {
        "trainer_samples_per_s": round(rate), "dataloader_samples_per_s": round(statistics.median(rates["dataloader"])),
        "trainer_over_dataloader": round(statistics.median(ratios), 3),
        "ratios_per_repeat": [round(r, 3) for r in ratios],
        "dataloader_fused_adam_samples_per_s": round(statistics.median(rates["dataloader_fused_adam"])),
        "trainer_over_dataloader_fused_adam": round(statistics.median(fused_ratios), 3),
        "matmul_peak_gflops": round(statistics.median(peaks), 1), "trainer_gflops": round(rate * flops / 1e9, 1),
        "fraction_of_peak": round(statistics.median(fractions), 3),
        "fractions_per_repeat": [round(f, 3) for f in fractions], "flops_per_sample": flops,
        "chunk_steps": CHUNK,
    }
