"""What a shipped checkpoint is trained from (`PretrainSpec`) and how its training history is kept in the manifest
(`history_columns`): shared by `explorer.training.pretrain`, the β-sweep's checkpoints (`explorer.training.sweep`)
and the token prior (`explorer.training.tokens`), which `explorer.training.pretrain` runs, so none of them imports
another for these.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from explorer.training.train import TrainConfig


@dataclass(frozen=True)
class PretrainSpec:
    name: str
    kind: str
    dataset: str
    train: TrainConfig
    model_overrides: dict = field(default_factory=dict)
    knobs: dict = field(default_factory=lambda: {"beta": 1.0})


def history_columns(rows: list[dict]) -> dict[str, list]:
    """Rows of held-out evaluations -> {"step": [...], "test_elbo": [...], ...} for the manifest."""
    kept = ("test_", "heldout_")
    rows = [r for r in rows if any(k.startswith(kept) for k in r)]
    keys = sorted({k for r in rows for k in r if k == "step" or k.startswith(kept)})
    return {k: [round(r[k], 4) if isinstance(r.get(k), float) else r.get(k) for r in rows] for k in keys}
