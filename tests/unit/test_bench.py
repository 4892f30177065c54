"""The benchmark's arithmetic, and a smoke run of its cheap parts (no timing assertions)."""

import math

import torch

from explorer.bench import training as bench


def test_flop_count_of_the_target_model():
    # 784-400-20: (784·400 + 400·40 + 20·400 + 400·784) MACs, ×2 FLOPs, ×3 for forward + backward
    assert bench.mlp_vae_flops_per_sample(784, 400, 20) == 3 * 2 * (784 * 400 + 400 * 40 + 20 * 400 + 400 * 784)
    assert abs(bench.mlp_vae_flops_per_sample(784, 400, 20) / 1e6 - 3.9) < 0.05  # the issue's ≈ 3.9 MFLOP


def test_throughput_report_has_both_loops_and_their_ratio():
    x = torch.rand(600, 784)
    report = bench.training_throughput(x, steps=3, repeats=1)
    assert report["trainer_samples_per_s"] > 0 and report["dataloader_samples_per_s"] > 0
    # A ratio of two timings on a shared machine: its size is the bench's business, not a test's.
    assert math.isfinite(report["fraction_of_peak"]) and report["fraction_of_peak"] > 0
    assert len(report["ratios_per_repeat"]) == 1 == len(report["fractions_per_repeat"])
