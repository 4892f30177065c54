"""Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2015) as one fused kernel call
per step, for the trainer's hot loop.

`torch.optim.Adam(fused=True)` runs the same kernel but spends about 0.2 ms of Python per step
grouping tensors by device and dtype and checking options; on the 784-400-20 VAE at batch 128
that is 4 % of a step. `LeanAdam` builds its state lists once and calls `torch._fused_adam_`
directly. The update is Adam's, with bias correction:
    m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,   θ ← θ − lr · m̂ / (√v̂ + ε),
    m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ);
the tests hold it equal to `torch.optim.Adam` step by step.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

FUSED_DEVICES = ("cpu", "cuda")


class LeanAdam:
    """Adam over parameters that share one device and floating dtype (see `supports`)."""

    def __init__(self, params: Iterable[nn.Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.betas, self.eps = lr, betas, eps
        with torch.no_grad():
            self.exp_avgs = [torch.zeros_like(p) for p in self.params]
            self.exp_avg_sqs = [torch.zeros_like(p) for p in self.params]
        # the kernel keeps one float step count per parameter, as torch.optim.Adam does
        self.steps = [torch.zeros((), dtype=torch.float32, device=p.device) for p in self.params]

    @staticmethod
    def supports(params: list[nn.Parameter]) -> bool:
        devices = {p.device for p in params}
        dtypes = {p.dtype for p in params}
        return (hasattr(torch, "_fused_adam_") and len(devices) == 1 and len(dtypes) == 1
                and next(iter(devices)).type in FUSED_DEVICES and next(iter(dtypes)).is_floating_point)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        live = [i for i, p in enumerate(self.params) if p.grad is not None]  # as in Adam: no grad, no step
        params = [self.params[i] for i in live]
        steps = [self.steps[i] for i in live]
        torch._foreach_add_(steps, 1)
        torch._fused_adam_(
            params, [p.grad for p in params], [self.exp_avgs[i] for i in live],
            [self.exp_avg_sqs[i] for i in live], [], steps, amsgrad=False, lr=self.lr,
            beta1=self.betas[0], beta2=self.betas[1], weight_decay=0.0, eps=self.eps, maximize=False,
        )
