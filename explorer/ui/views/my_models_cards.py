"""The cards of the "Your models" page: what a loaded model shows (its kind, config, held-out metrics and decoded
prior samples), one card per model this session holds.

Before anything is loaded, the same card shows a pretrained model of the zoo, labelled as an example, so that the
first screen shows what the page does (issue 22): its checkpoint file goes through `my_models.load_upload`, the
very check an upload gets, after its SHA256 is compared with the zoo's manifest, and a button downloads that file
so a student can upload it back and get the same card. The example is the same for everyone, so it is kept in the
shared cache; uploads never are (`my_models.session_store`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging

import numpy as np
import streamlit as st

from explorer import models
from explorer.figures.images import tile, upscale
from explorer.store import zoo
from explorer.store.checkpoints import CheckpointError
from explorer.ui import cache
from explorer.ui.views import my_models as model_io

EXAMPLE_KEY = "my_models_example"
EXAMPLE_DEFAULT = "mnist-vae-b1"  # MNIST digits: what every student recognizes from the lecture
GRID_COLUMNS = 4  # the prior samples as a square: a picture, not a strip
IMAGE_PIXELS = 420  # about the width of half the page: each sample scaled by a whole factor, so digits stay sharp
NO_MODEL = "No model loaded in this session yet: upload a checkpoint, or open one you trained"
LOG = logging.getLogger(__name__)


def mosaic(samples: np.ndarray) -> np.ndarray:
    """(n, h, w) samples as one sharp square mosaic about IMAGE_PIXELS wide."""
    grid = tile(samples, GRID_COLUMNS)
    return upscale(grid, max(2, IMAGE_PIXELS // grid.shape[1]))


def show_samples(loaded: model_io.Loaded, where) -> None:
    samples = loaded.samples
    if samples is None:
        where.caption("A token prior: its samples are codes of a VQ-VAE (see the page *Tokens and priors*).")
    elif samples.ndim == 3:
        where.image(mosaic(samples), caption=f"{loaded.name}: {len(samples)} decoded samples from the prior",
                    width="stretch")
    elif samples.shape[1] == 2:
        where.scatter_chart({"x₁": samples[:, 0], "x₂": samples[:, 1]}, x="x₁", y="x₂", height=260)
        where.caption(f"{loaded.name}: decoded samples from the prior")
    else:
        where.dataframe(samples[:8], height=260)


def _shown(value) -> str:
    return f"{value:.5g}" if isinstance(value, (int, float)) else json.dumps(value)[:80]


def show_model(loaded: model_io.Loaded, left, right) -> None:
    """A loaded model's config and metrics in `left`, its decoded prior samples in `right`."""
    left.caption("Its config, from the checkpoint's header:")
    left.json(loaded.config, expanded=False)
    if loaded.metrics:
        left.dataframe({"metric": list(loaded.metrics), "value": [_shown(v) for v in loaded.metrics.values()]},
                       hide_index=True)
    else:
        left.caption("No held-out metrics stored with it.")
    show_samples(loaded, right)


def models_panel() -> None:
    """Every model loaded in this session: kind, config, metrics and decoded prior samples; before the first,
    the pretrained example in the same card."""
    store = model_io.session_store()
    if not store:
        example_panel()
        return
    for name, loaded in list(store.items()):
        with st.container(border=True):
            left, right = st.columns([1, 1])
            left.markdown(f"**{name}** — a `{loaded.kind}` model")
            # drawn before the model, so that a model the page cannot draw can still be removed
            left.button("Remove", key=f"my_models_remove_{name}", icon=":material/delete:",
                        on_click=store.pop, args=(name, None))
            try:
                show_model(loaded, left, right)
            except Exception as err:  # whatever a stranger's model breaks, the page and the other models go on
                LOG.error("showing %s failed", name, exc_info=err)
                right.error(f"{name} cannot be shown ({type(err).__name__}); remove it and load another checkpoint.")


# --- the example: a pretrained model, shown before any upload -------------------------------------------------

def example_names() -> tuple[str, ...]:
    """The zoo's models that have a picture to show (a token prior has none); empty without a zoo."""
    try:
        listed = zoo.read_manifest()["models"]
    except CheckpointError as err:  # a broken manifest: the pages that need the zoo say so; this one goes on
        LOG.warning("no example model: %s", err)
        return ()
    return tuple(name for name, entry in sorted(listed.items())
                 if isinstance(entry, dict) and models.is_latent_kind(entry.get("kind")))


def example_bytes(name: str) -> bytes:
    """The checkpoint file of zoo model `name`, refused if it does not match the manifest's SHA256."""
    data = zoo.path(name).read_bytes()
    if hashlib.sha256(data).hexdigest() != zoo.entry(name).get("sha256"):
        raise CheckpointError(f"{name}'s checkpoint does not match the zoo's manifest; {zoo.RETRAIN_HINT}")
    return data


@st.cache_resource(show_spinner="Loading the example…")
def example(name: str) -> model_io.Loaded:
    """Zoo model `name` as an upload of its file would show it (one copy for everyone, its model frozen)."""
    loaded = model_io.load_upload(example_bytes(name), f"{name}{model_io.SUFFIX}")
    return dataclasses.replace(loaded, model=cache.freeze(loaded.model))


def _example_or_none(name: str) -> model_io.Loaded | None:
    try:
        return example(name)
    except (CheckpointError, KeyError, OSError) as err:  # a missing or stale file: the page goes on without it
        LOG.warning("example %s not shown: %s", name, err)
        return None


def example_panel() -> None:
    """The card an upload gets, showing a pretrained model picked from the zoo and labelled as an example."""
    names = example_names()
    if not names:
        st.info(f"{NO_MODEL}.")
        return
    with st.container(border=True):
        left, right = st.columns([1, 1])
        left.info(f"{NO_MODEL}. Meanwhile, an **example**: a model the lecture pretrained.", icon=":material/info:")
        name = left.selectbox("Example: a pretrained model", names, key=EXAMPLE_KEY,
                              index=names.index(EXAMPLE_DEFAULT) if EXAMPLE_DEFAULT in names else 0)
        loaded = _example_or_none(name)
        if loaded is None:
            right.warning(f"The example {name} cannot be loaded here; {zoo.RETRAIN_HINT}.")
            return
        left.markdown(f"**Example: {loaded.name}** — a `{loaded.kind}` model pretrained on "
                      f"`{loaded.extra.get('dataset', 'its data set')}`, from the zoo")
        left.download_button("Download it, then upload it above", lambda: example_bytes(name),
                             file_name=loaded.name, mime="application/octet-stream", key=f"{EXAMPLE_KEY}_download",
                             icon=":material/download:", on_click="ignore")
        show_model(loaded, left, right)
