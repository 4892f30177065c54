"""Which torch device to use: 'auto' picks CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch

CHOICES = ("auto", "cpu", "cuda", "mps")


def available() -> tuple[str, ...]:
    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    return tuple(found)


def resolve(choice: str = "auto") -> str:
    """The device for `choice`; a ValueError that says what this machine has when it is missing."""
    if choice not in CHOICES:
        raise ValueError(f"device must be one of {CHOICES}, not {choice!r}")
    have = available()
    if choice == "auto":
        return "cuda" if "cuda" in have else "mps" if "mps" in have else "cpu"
    if choice not in have:
        raise ValueError(f"device {choice!r} is not available on this machine (available: {', '.join(have)})")
    return choice
