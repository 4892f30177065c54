"""The glue of the "Your models" page: checkpoint uploads, and downloads of the models this session trained.

An upload comes from a stranger. Its size is checked before a byte of it is read (`UPLOAD_LIMIT_MB`, which
`server.maxUploadSize` in .streamlit/config.toml also enforces), then `checkpoints.load_bytes` parses it
without unpickling and refuses anything that is not exactly a Latent Lab checkpoint: a pickle, a truncated
file, a config that does not fit the weights, NaN weights. A refusal is a `CheckpointError` whose message
the page shows; it changes nothing, and so does anything else a file breaks: no trace reaches the page, and a
model the page cannot draw says so and can still be removed. Models live in this session's `st.session_state`
only, never in the shared cache, at most `MODELS_PER_SESSION` of them. A model that a session trained (a
`TrainingJob` under a key ending in `_job`, see `training.controls`) downloads as one .safetensors file, its
config in the header, and loads back here. What a loaded model shows, and the pretrained example shown before
any upload, are drawn by `my_models_cards`.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st
import torch
from torch import nn

from explorer import models
from explorer.runtime.threads import torch_threads
from explorer.store import checkpoints
from explorer.store.checkpoints import CheckpointError
from explorer.training.jobs import TrainingJob

UPLOAD_LIMIT_MB = 20  # Latent Lab checkpoints are at most a few MB; keep equal to server.maxUploadSize
UPLOAD_LIMIT_BYTES = UPLOAD_LIMIT_MB * 2**20
SUFFIX = ".safetensors"
SAMPLES = 16
STATE_KEY = "my_models"  # name -> Loaded, this session's models
SEEN_KEY = "my_models_seen"  # upload file id -> None (loaded) or the refusal message
# An accepted model takes up to ~21 MB (explorer.store.config_limits.PARAMETERS_MAX float32 numbers) of the server's
# memory, which the whole class shares; five are more than a student compares at once.
MODELS_PER_SESSION = 5
LOG = logging.getLogger(__name__)


class SessionFullError(CheckpointError):
    """The session already holds MODELS_PER_SESSION models; removing one makes room."""


@dataclass(frozen=True)
class Loaded:
    """A checked checkpoint: what it is, the rebuilt model, and its decoded prior samples."""

    name: str
    kind: str
    config: dict
    metrics: dict
    extra: dict
    model: nn.Module
    samples: np.ndarray | None  # (n, h, w) images, (n, x_dim) points, or None (a token prior)


def upload_size(file) -> int:
    """The size of an upload (`UploadedFile.size`) or of an open file, without reading it."""
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    return os.fstat(file.fileno()).st_size


def check_size(size: int, name: str, limit: int | None = None) -> None:
    limit = UPLOAD_LIMIT_BYTES if limit is None else limit
    if size > limit:
        raise CheckpointError(
            f"{name} is {size / 2**20:,.1f} MB, over the {limit / 2**20:g} MB limit for uploads. Latent Lab "
            "checkpoints are a few MB, so this is not one: upload a .safetensors file saved by Latent Lab")


def read_upload(file, name: str, limit: int | None = None) -> bytes:
    """The bytes of an upload, refusing one over `limit` before reading it (and reading at most limit + 1)."""
    limit = UPLOAD_LIMIT_BYTES if limit is None else limit
    check_size(upload_size(file), name, limit)
    data = file.read(limit + 1)
    check_size(len(data), name, limit)
    return data


@torch_threads(1)  # its ~200 small ops each wait for OpenMP's 2nd thread on a busy 2-core server: 40 ms -> 0.5-2.5 s
def load_upload(data: bytes, name: str) -> Loaded:
    """The model in an uploaded checkpoint; `CheckpointError` with a clear message for anything else."""
    if not name.lower().endswith(SUFFIX):
        raise CheckpointError(
            f"{name} is not a {SUFFIX} file. Latent Lab loads only safetensors checkpoints, never pickles "
            "(.pt, .pth, .pkl, .ckpt), because unpickling a file can run any code in it")
    check_size(len(data), name)
    model = checkpoints.load_bytes(data, label=name)
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])["__metadata__"]  # checked by load_bytes
    samples = prior_samples(model)
    if samples is not None and not np.isfinite(samples).all():
        raise CheckpointError(f"{name}'s decoder gives non-finite outputs for prior samples; retrain and save again")
    return Loaded(name=name, kind=model.kind, config=models.config_to_dict(model.config),
                  metrics=json.loads(header.get("metrics", "{}")), extra=json.loads(header.get("extra", "{}")),
                  model=model, samples=samples)


@torch.no_grad()
def prior_samples(model: nn.Module, n: int = SAMPLES, seed: int = 0) -> np.ndarray | None:
    """n decoded draws from the model's prior: images (n, h, w) where the config has an image shape,
    else points (n, x_dim); None for a token prior, whose samples are codes of another model."""
    if not models.is_latent_model(model):
        return None
    x = model.sample(n, generator=torch.Generator().manual_seed(seed)).float().numpy()
    shape = model.config.image_shape  # every model of x has one (None for points)
    return x.reshape(n, *shape) if shape and int(np.prod(shape)) == x.shape[1] else x


def trained_jobs(state: Mapping) -> dict[str, TrainingJob]:
    """This session's training jobs: values of keys ending in `_job` (sweeps, which hold several, are left out)."""
    return {str(key): value for key, value in state.items()
            if str(key).endswith("_job") and isinstance(value, TrainingJob)}


def job_checkpoint(job: TrainingJob, key: str) -> bytes:
    """The job's model as one .safetensors checkpoint (between two steps if it is still training)."""
    last = {k: v for row in job.history for k, v in row.items() if k.startswith("test_")}
    metrics = {k: float(v) for k, v in last.items() if isinstance(v, (int, float)) and np.isfinite(v)}
    extra = {"trained_in": key.removesuffix("_job"), "step": job.step, "state": job.state}
    with tempfile.TemporaryDirectory() as folder:
        path = job.read(lambda model: checkpoints.save(model, Path(folder) / "model.safetensors",
                                                       metrics=metrics, extra=extra))
        return path.read_bytes()


def file_name(key: str, job: TrainingJob) -> str:
    return f"{key.removesuffix('_job')}-{job.model.kind}-step{job.step}{SUFFIX}"


def accept(data: bytes, name: str, store: dict) -> Loaded:
    """Load `data` and add it to `store` under `name`; on a refusal `store` is left exactly as it was.
    A store that holds MODELS_PER_SESSION models takes no new name (replacing a model is fine)."""
    if name not in store and len(store) >= MODELS_PER_SESSION:
        raise SessionFullError(
            f"this session already holds {MODELS_PER_SESSION} models, the most it keeps (the server's memory is "
            "shared by everyone in the room). Remove one below with its **Remove** button to make room")
    loaded = load_upload(data, name)
    store[name] = loaded
    return loaded


# --- the page's panels ----------------------------------------------------------------------------------------

def session_store() -> dict:
    """This session's models by name (`Loaded`), never shared with another session."""
    return st.session_state.setdefault(STATE_KEY, {})


def unexpected(err: Exception, name: str) -> str:
    """What the page says when loading `name` failed in a way no check foresaw: the error's type, never its
    message or trace (they may show the server's paths); the trace goes to the server's log."""
    LOG.error("loading %s failed", name, exc_info=err)
    return (f"Latent Lab could not load {name} ({type(err).__name__}). Upload a checkpoint saved by Latent Lab "
            "(explorer.store.checkpoints.save or a download button of this page)")


def _refusal_of(uploaded) -> str | None:
    """None when the upload is loaded into this session, else why not. A full session is raised instead:
    that refusal is not the file's fault, so it is not remembered."""
    try:
        accept(read_upload(uploaded, uploaded.name), uploaded.name, session_store())
        return None
    except SessionFullError:
        raise
    except CheckpointError as err:
        return str(err)
    except Exception as err:  # an upload is a stranger's file: what it breaks is a refusal, never a trace
        return unexpected(err, uploaded.name)


def upload_panel() -> None:
    """The uploader; a file is checked once (by its upload id) and refused with the reason on screen."""
    uploaded = st.file_uploader(f"Upload a Latent Lab checkpoint ({SUFFIX}, at most {UPLOAD_LIMIT_MB} MB)",
                                key="my_models_upload", max_upload_size=UPLOAD_LIMIT_MB,
                                help="Saved by Latent Lab: `explorer.store.checkpoints.save`, `python -m explorer "
                                     "pretrain`, or the download buttons below. Pickles are never opened.")
    if uploaded is None:
        return
    seen = st.session_state.setdefault(SEEN_KEY, {})
    if uploaded.file_id not in seen:
        try:
            seen[uploaded.file_id] = _refusal_of(uploaded)
        except SessionFullError as err:  # checked again on the next run: after a Remove, the file loads
            st.error(f"**Not loaded.** {err}.", icon=":material/block:")
            return
    refusal = seen[uploaded.file_id]
    if refusal:
        st.error(f"**Not loaded.** {refusal}.", icon=":material/block:")
    else:
        st.success(f"Loaded **{uploaded.name}**: it is shown below.", icon=":material/check_circle:")


def _checkpoint_of(key: str, job: TrainingJob) -> bytes:
    """`job_checkpoint`, kept per job and step in the session: reruns do not serialize it again."""
    cached = st.session_state.setdefault("my_models_bytes", {})
    stamp = (id(job), job.step, job.state)
    if key not in cached or cached[key][0] != stamp:
        cached[key] = (stamp, job_checkpoint(job, key))
    return cached[key][1]


def _open(key: str) -> None:
    job = st.session_state.get(key)
    if isinstance(job, TrainingJob):
        try:
            accept(_checkpoint_of(key, job), file_name(key, job), session_store())
        except CheckpointError as err:  # a run that diverged may hold weights no page can show
            st.session_state["my_models_notice"] = str(err)
        except Exception as err:  # as for uploads: a message, never a trace
            st.session_state["my_models_notice"] = unexpected(err, file_name(key, job))


def trained_panel() -> None:
    """A download button and an "Open here" button per model this session trained."""
    found = trained_jobs(st.session_state)
    if not found:
        st.info("Models you train on other pages (**Train from scratch**) appear here, to download as one "
                f"{SUFFIX} file and load back.")
        return
    for key, job in found.items():
        cols = st.columns([3, 1, 1])
        cols[0].markdown(f"**{key.removesuffix('_job')}**: {job.model.kind.upper()}, step {job.step} of "
                         f"{job.config.steps}, {job.state}")
        cols[1].download_button("Download", _checkpoint_of(key, job), file_name=file_name(key, job),
                                mime="application/octet-stream", key=f"my_models_download_{key}",
                                icon=":material/download:", on_click="ignore")
        cols[2].button("Open here", key=f"my_models_open_{key}", icon=":material/open_in_new:",
                       on_click=_open, args=(key,))
    notice = st.session_state.pop("my_models_notice", None)
    if notice:
        st.error(notice)
