"""The pretrained-model zoo: the models `python -m explorer pretrain` trains for the lecture.

They live in pretrained/, listed in pretrained/manifest.json: per model its checkpoint file, the
file's SHA256, the model kind and config, and where it came from (dataset, a line of data
provenance, steps, seed, wall time, metrics, optionally the training history). `load` checks the
hash before reading any weights, so a stale or tampered file is refused instead of quietly shown.
Every function takes `dir` so tests can use a temporary folder. Nothing is cached here; the UI
layer caches.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from torch import nn

from explorer.models import config_to_dict
from explorer.store import checkpoints
from explorer.store.checkpoints import CheckpointError

ZOO_FORMAT = "latent-lab-zoo/1"
MANIFEST_NAME = "manifest.json"
PRETRAINED_DIR = Path(__file__).resolve().parents[2] / "pretrained"
# a zoo name becomes a file name: no folders, no hidden files, nothing a shell would mangle
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")
RETRAIN_HINT = "re-run `python -m explorer pretrain` to rebuild it"
HASH_CHUNK_BYTES = 1 << 20


def _zoo_dir(dir) -> Path:
    # resolved per call (not as a default argument) so that PRETRAINED_DIR can be monkeypatched
    return PRETRAINED_DIR if dir is None else Path(dir)


def read_manifest(dir=None) -> dict:
    """The whole manifest, {"format", "models": {name: entry}}; an empty one if there is none."""
    manifest_path = _zoo_dir(dir) / MANIFEST_NAME
    if not manifest_path.exists():
        return {"format": ZOO_FORMAT, "models": {}}
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError as err:  # also UnicodeDecodeError
        raise CheckpointError(f"{manifest_path} is not valid JSON ({err}); {RETRAIN_HINT}") from err
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != ZOO_FORMAT
        or not isinstance(manifest.get("models"), dict)
    ):
        raise CheckpointError(
            f"{manifest_path} is not a {ZOO_FORMAT!r} manifest (it needs 'format' and a 'models' "
            f"object); {RETRAIN_HINT}"
        )
    return manifest


def write_manifest(models: dict, dir=None) -> Path:
    """Replace the manifest atomically with one listing `models` ({name: entry}, sorted by name)."""
    manifest = {"format": ZOO_FORMAT, "models": dict(sorted(models.items()))}
    text = checkpoints.to_json(manifest, "the zoo manifest", indent=2) + "\n"
    return checkpoints.write_bytes_atomic(_zoo_dir(dir) / MANIFEST_NAME, text.encode("utf-8"))


def names(dir=None) -> tuple[str, ...]:
    """The zoo's model names, sorted; empty if there is no manifest yet."""
    return tuple(sorted(read_manifest(dir)["models"]))


def entry(name: str, dir=None) -> dict:
    """The manifest entry of model `name`; KeyError, listing the known names, if there is none."""
    models = read_manifest(dir)["models"]
    if name not in models:
        known = ", ".join(sorted(models)) or "none yet: run `python -m explorer pretrain`"
        raise KeyError(f"no pretrained model named {name!r}; known names: {known}")
    return models[name]


def path(name: str, dir=None) -> Path:
    """Where the checkpoint of model `name` is stored."""
    file_name = entry(name, dir).get("file")
    if not isinstance(file_name, str) or not NAME_PATTERN.fullmatch(file_name):
        raise CheckpointError(
            f"the manifest entry {name!r} has file {file_name!r}, which is not a plain file name in "
            f"the zoo folder; {RETRAIN_HINT}"
        )
    return _zoo_dir(dir) / file_name


def file_sha256(path: str | Path) -> str:
    """The SHA256 of a file's bytes, as 64 hex digits."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        while chunk := stream.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def load(name: str, map_location="cpu", dir=None) -> nn.Module:
    """A fresh copy of zoo model `name` in eval mode, after checking its file's hash."""
    expected = entry(name, dir)
    checkpoint = path(name, dir)
    if not checkpoint.is_file():
        raise CheckpointError(
            f"pretrained model {name!r} is in the manifest but {checkpoint} is missing; {RETRAIN_HINT}"
        )
    data = checkpoints.read_checkpoint_bytes(checkpoint)
    digest = hashlib.sha256(data).hexdigest()  # hash the very bytes that are loaded
    if digest != expected.get("sha256"):
        raise CheckpointError(
            f"{checkpoint.name} does not match the manifest: its SHA256 is {digest}, the manifest "
            f"says {expected.get('sha256')}. The file was changed or is stale; {RETRAIN_HINT}"
        )
    model = checkpoints.load_bytes(data, map_location, label=checkpoint.name)
    stored_config = json.loads(checkpoints.to_json(config_to_dict(model.config), "config"))
    if model.kind != expected.get("kind") or stored_config != expected.get("config"):
        raise CheckpointError(
            f"{checkpoint.name} holds a {model.kind!r} model with config {stored_config}, but the "
            f"manifest describes a {expected.get('kind')!r} with {expected.get('config')}; " + RETRAIN_HINT
        )
    return model


def _check_name(name: str) -> None:
    # <name>.json is the checkpoint's sidecar, so "manifest" would overwrite the manifest
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or name == Path(MANIFEST_NAME).stem:
        raise ValueError(
            f"zoo name {name!r} is not allowed: use lower-case letters, digits, '.', '_' and '-', "
            "starting with a letter or digit (and not 'manifest')"
        )


def register(
    name: str,
    model: nn.Module,
    *,
    dataset: str,
    data: str,
    steps: int,
    seed: int,
    wall_time_s: float,
    metrics: dict,
    history: dict | None = None,
    dir=None,
) -> dict:
    """Save `model` as zoo model `name` and add or replace its manifest entry; returns the entry.

    Not safe against two processes registering at once (the manifest is read, changed and
    written back); `python -m explorer pretrain` registers one model at a time.
    """
    _check_name(name)
    zoo_dir = _zoo_dir(dir)
    provenance = {
        "dataset": dataset,
        "data": data,
        "steps": int(steps),
        "seed": int(seed),
        "wall_time_s": float(wall_time_s),
    }
    if history is not None:
        provenance["history"] = history
    # plain JSON values, checked before the checkpoint is written so that a refusal changes nothing
    provenance = json.loads(checkpoints.to_json(provenance, f"provenance of zoo model {name!r}"))
    models = read_manifest(zoo_dir)["models"]  # a broken manifest, too, is refused before writing
    target = zoo_dir / f"{name}.safetensors"
    # each file is replaced atomically; the pair (checkpoint, manifest) is kept consistent by restoring
    # the previous checkpoint if anything fails before the manifest names the new one
    with _restored_on_failure(target, target.with_suffix(".json")):
        extra = {"zoo_name": name, **{key: value for key, value in provenance.items() if key != "history"}}
        models[name] = _manifest_entry(checkpoints.save(model, target, metrics=metrics, extra=extra), provenance)
        write_manifest(models, zoo_dir)
    return models[name]


@contextlib.contextmanager
def _restored_on_failure(*paths: Path) -> Iterator[None]:
    """Keep the current files at `paths` (as hard links: no copy) and put them back if the body raises,
    so a failed `register` never leaves a checkpoint that its manifest entry disowns."""
    backups: dict[Path, Path] = {}
    try:
        for path in paths:
            if path.exists():
                backups[path] = path.with_name(f".{path.name}.{os.getpid()}.bak")
                _link_or_copy(path, backups[path])
        yield
    except BaseException:
        for path, backup in backups.items():
            os.replace(backup, path)
        raise
    finally:
        for backup in backups.values():
            backup.unlink(missing_ok=True)


def _link_or_copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copy2(source, target)


def _manifest_entry(checkpoint: Path, provenance: dict) -> dict:
    """The manifest entry of a just-saved checkpoint, as plain JSON values (lists, not tuples)."""
    stored = checkpoints.read_metadata(checkpoint)
    new_entry = {
        "file": checkpoint.name,
        "sha256": file_sha256(checkpoint),
        "kind": stored["kind"],
        "dataset": provenance["dataset"],
        "config": stored["config"],
        **{key: value for key, value in provenance.items() if key not in ("dataset", "history")},
        "metrics": stored["metrics"],
    }
    if "history" in provenance:
        new_entry["history"] = provenance["history"]
    return new_entry
