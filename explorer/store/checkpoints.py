"""Saving and loading models as safetensors checkpoints, never through pickle.

A checkpoint is one .safetensors file: the model's state_dict (weights and buffers) plus, in the
header's string metadata, the format tag, model kind, config, metrics and free extra information,
each as JSON. `load` rebuilds the model from that config and refuses anything that is not exactly
such a checkpoint with a CheckpointError saying what is wrong and what to do; the header is read and
checked by `explorer.store.checkpoint_header`, the config held to `explorer.store.config_limits` before anything is
built from it. Files may be uploads from strangers, so nothing here unpickles: torch.load on an
untrusted file can run arbitrary code.
A pretty-printed <name>.json sidecar repeats the metadata for people; loading never reads it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as safetensors_load
from safetensors.torch import save as safetensors_save
from torch import nn

from explorer.models import build, config_from_dict, config_to_dict, registered_kind, saved_kinds
from explorer.store import config_limits
from explorer.store.checkpoint_header import (
    FORMAT,
    HEADER_LENGTH_BYTES,
    RESAVE_HINT,
    CheckpointError,
    metadata_from_header,
    parse_header,
)
from explorer.store.config_limits import LimitError

MAX_BYTES = 200 * 1024 * 1024  # size cap for a file we will read
FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
UPLOAD_LABEL = "the uploaded file"


def to_json(value, what: str, indent: int | None = None) -> str:
    """Strict JSON text for `value`; tensor and numpy scalars become numbers, NaN is refused."""

    def plain(item):
        if hasattr(item, "item"):  # 0-d tensors and numpy scalars, as metrics often are
            return item.item()
        raise TypeError(f"{type(item).__name__} is not JSON serializable")

    try:
        return json.dumps(value, indent=indent, allow_nan=False, default=plain)
    except (TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(
            f"{what} cannot be stored as JSON ({err}); pass plain finite numbers, strings, lists and dicts"
        ) from err


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` so that readers see the old file or the new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as temp_file:
            temp_file.write(data)
            temp_file.flush()
            os.fsync(temp_file.fileno())
        os.chmod(temp_name, 0o644)  # mkstemp makes 0600; a checkpoint is an ordinary file
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    if os.name == "posix":  # so the rename itself survives a crash
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path


def save(model: nn.Module, path, metrics: dict | None = None, extra: dict | None = None) -> Path:
    """Write `model` to `path` and a <name>.json sidecar beside it, each atomically."""
    path = Path(path)
    sidecar = path.with_suffix(".json")
    if sidecar == path:
        raise CheckpointError(f"cannot save a checkpoint as {path.name}: name it <name>.safetensors")
    kind = registered_kind(model)
    if kind is None:
        raise CheckpointError(
            f"cannot save a {type(model).__name__}: it is not a registered model "
            f"kind ({', '.join(saved_kinds())}); add it to explorer.models.REGISTRY first"
        )
    header = {
        "format": FORMAT,
        "kind": kind,
        "config": to_json(config_to_dict(model.config), "the model config"),
        "metrics": to_json(dict(metrics or {}), "metrics"),
        "extra": to_json(dict(extra or {}), "extra"),
    }
    # clone: each tensor gets its own storage, as safetensors refuses tensors that share one
    tensors = {
        key: tensor.detach().to("cpu").contiguous().clone() for key, tensor in model.state_dict().items()
    }
    write_bytes_atomic(path, safetensors_save(tensors, metadata=header))
    readable = metadata_from_header({"__metadata__": header}, path.name)
    write_bytes_atomic(sidecar, (to_json(readable, "metadata", indent=2) + "\n").encode())
    return path


def load(path, map_location="cpu") -> nn.Module:
    """The model stored at `path`, rebuilt from its config, in eval mode on `map_location`."""
    path = Path(path)
    return _model_from_bytes(read_checkpoint_bytes(path), path.name, map_location)


def load_bytes(data: bytes, map_location="cpu", *, label: str = UPLOAD_LABEL) -> nn.Module:
    """`load` for a file's contents, e.g. an upload; `label` names the file in error messages."""
    _check_size(len(data), label)
    return _model_from_bytes(bytes(data), label, map_location)


def read_metadata(path) -> dict:
    """{"format", "kind", "config", "metrics", "extra"} of a checkpoint, reading only its header."""
    path = Path(path)
    size = path.stat().st_size
    _check_size(size, path.name)
    with path.open("rb") as checkpoint_file:
        head = checkpoint_file.read(HEADER_LENGTH_BYTES)
        if len(head) == HEADER_LENGTH_BYTES:
            # one byte over the header limit is enough for _parse_header to refuse a longer header
            wanted = min(int.from_bytes(head, "little"), size, config_limits.HEADER_BYTES_MAX + 1)
            head += checkpoint_file.read(wanted)
    metadata = metadata_from_header(parse_header(head, size, path.name), path.name)
    _config_of(metadata, path.name)  # refuse a config that `load` would refuse
    return metadata


def read_checkpoint_bytes(path) -> bytes:
    """The bytes of the file at `path`, refusing one over MAX_BYTES before reading it."""
    path = Path(path)
    _check_size(path.stat().st_size, path.name)
    with path.open("rb") as checkpoint_file:
        data = checkpoint_file.read(MAX_BYTES + 1)
    _check_size(len(data), path.name)  # it may have grown since stat
    return data


def _check_size(size: int, label: str) -> None:
    if size > MAX_BYTES:
        raise CheckpointError(
            f"{label} is too large: {size / 2**20:.1f} MiB, over the {MAX_BYTES / 2**20:.1f} MiB "
            "limit. Latent Lab checkpoints are a few MiB, so this is not one; pick a checkpoint "
            "saved by Latent Lab"
        )


def _config_of(metadata: dict, label: str):
    """The checkpoint's config, held to `config_limits` by arithmetic alone: nothing is built yet."""
    kind = metadata["kind"]
    try:
        config = config_from_dict(kind, metadata["config"])
    except (TypeError, ValueError) as err:
        raise CheckpointError(
            f"{label}'s config does not fit a {kind!r} model: {err}. It was probably written by "
            f"another version of Latent Lab; {RESAVE_HINT}"
        ) from err
    try:
        config_limits.check(kind, config)
    except LimitError as err:
        raise CheckpointError(
            f"{label}'s config cannot build a {kind!r} model: {err}. Nothing was built from it; {RESAVE_HINT}"
        ) from err
    return config


def _decode_tensors(data: bytes, label: str) -> dict[str, torch.Tensor]:
    try:
        return safetensors_load(data)
    except (SafetensorError, KeyError, RuntimeError, ValueError) as err:
        raise CheckpointError(
            f"{label} is a damaged safetensors file ({err}); download or save it again"
        ) from err


def _model_from_bytes(data: bytes, label: str, map_location) -> nn.Module:
    metadata = metadata_from_header(parse_header(data, len(data), label), label)
    config = _config_of(metadata, label)
    tensors = _decode_tensors(data, label)
    kind = metadata["kind"]
    try:
        # the config is within explorer.store.config_limits, so this build takes at most ~21 MB and tens of ms:
        # no meta-device skeleton is needed to check the stored shapes first (and building a token prior on
        # "meta" imported torch._inductor, 0.7 s)
        model = build(kind, config)
    except (TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(
            f"{label}'s config cannot build a {kind!r} model ({err}); {RESAVE_HINT}"
        ) from err
    model.load_state_dict(_checked_tensors(model.state_dict(), tensors, kind, label), strict=True)
    return model.eval().to(map_location)


def _checked_tensors(expected: dict, stored: dict, kind: str, label: str) -> dict[str, torch.Tensor]:
    """The stored tensors in the model's dtypes; refused unless they are exactly, and finitely, what it needs."""
    mismatch = f"{label} does not hold the weights of the {kind!r} model its config describes:"
    missing = [key for key in expected if key not in stored]
    unexpected = [key for key in stored if key not in expected]
    for problem, keys in (("missing tensor", missing), ("unexpected tensor", unexpected)):
        if keys:
            more = f" (and {len(keys) - 1} more)" if len(keys) > 1 else ""
            raise CheckpointError(f"{mismatch} {problem} {keys[0]!r}{more}; {RESAVE_HINT}")
    checked = {}
    for key, want in expected.items():
        got = stored[key]
        if got.shape != want.shape:
            raise CheckpointError(
                f"{mismatch} tensor {key!r} has shape {tuple(got.shape)} but the config needs "
                f"shape {tuple(want.shape)}; the file was edited or damaged, so {RESAVE_HINT}"
            )
        wrong_float = want.is_floating_point() and got.dtype not in FLOAT_DTYPES
        if wrong_float or (not want.is_floating_point() and got.dtype != want.dtype):
            raise CheckpointError(
                f"{mismatch} tensor {key!r} has dtype {got.dtype} where {want.dtype} is expected; "
                + RESAVE_HINT
            )
        # cast first: a float64 of 1e300 is finite, and infinite once it is the model's float32
        checked[key] = got = got.to(want.dtype)
        if got.is_floating_point() and not torch.isfinite(got).all():
            raise CheckpointError(
                f"{label} has NaN or infinite values in tensor {key!r} (as {want.dtype}): the training run "
                "that made it had diverged. Retrain (e.g. with a smaller learning rate) and save again"
            )
    return checked
