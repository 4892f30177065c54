"""The views of the "Tokens and priors" page: an image as a grid of VQ tokens, a prior trained on
those tokens (pretrained or live), samples from three priors side by side, and completions of an
image from its top rows (van den Oord et al. 2017). Numbers come from `explorer.training.tokens`."""

from __future__ import annotations

import dataclasses
import math
import weakref

import numpy as np
import streamlit as st
import torch

from explorer import data
from explorer.figures.curves import training_curves
from explorer.figures.images import tile, upscale
from explorer.figures.vq import token_grid
from explorer.store import zoo
from explorer.training import tokens
from explorer.training.jobs import TrainingJob
from explorer.training.train import TrainConfig
from explorer.ui import cache, session, training
from explorer.ui.figure_export import chart

VQ_MODEL, PRIOR_MODEL = "mnist-vqvae", "mnist-vqvae-prior"
GAUSSIAN_MODELS = ("mnist-convvae", "mnist-vae-b1")  # the first shipped one is the VAE beside the VQ-VAE
N_SAMPLES = 16
TEMPERATURES = (0.3, 0.5, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0)
LIVE_KEY = "tokens_live"
STEPS = (100, 250, 500, 1000, 2000)  # a live prior's steps (the middle one: ~25 s); tests monkeypatch tiny ones
TOP_K = (1, 2, 4, 8, 16, 32, "all")  # "all": no top-k cut, the prior's own distribution


def strip(images: np.ndarray, ncols: int = 8, scale: int = 3) -> np.ndarray:
    return upscale(tile(images.reshape(-1, 28, 28), ncols=ncols), scale)


def models_or_remedy() -> tuple[torch.nn.Module, data.Dataset] | None:
    """The shipped VQ-VAE and MNIST's held-out split, or None after a note that names the remedy."""
    if VQ_MODEL not in zoo.names():
        st.info(f"No pretrained VQ-VAE here: run `python -m explorer pretrain --only {VQ_MODEL}`.")
        return None
    try:
        return cache.pretrained(VQ_MODEL), cache.dataset("mnist", "test")
    except data.DatasetUnavailable as err:
        st.warning(f"MNIST is not available: {err}")
        return None


@st.cache_data(show_spinner="Encoding MNIST into tokens…")
def codes(split: str) -> torch.Tensor:
    return tokens.encode_codes(cache.pretrained(VQ_MODEL), cache.dataset("mnist", split).x)


def token_view(vq: torch.nn.Module, test: data.Dataset) -> None:
    index = int(st.number_input("Held-out image", 0, len(test) - 1, 0, key="tokens_index"))
    x = test.x[index]
    grid = tokens.encode_codes(vq, x[None])[0].numpy()
    cols = st.columns([1, 2, 1])
    cols[0].image(upscale(x.reshape(28, 28).numpy(), 8), clamp=True, caption="input")
    chart(token_grid(grid, vq.config.codebook_size, f"{grid.size} tokens out of K = "
                                    f"{vq.config.codebook_size}"), width="stretch", container=cols[1])
    decoded = tokens.decode_codes(vq, torch.as_tensor(grid)[None])[0]
    cols[2].image(upscale(decoded.reshape(28, 28), 8), clamp=True, caption="decoded from the tokens alone")


def the_prior() -> tuple[torch.nn.Module | None, str]:
    """The session's own trained prior if it has one, else the shipped one, else None."""
    job: TrainingJob | None = st.session_state.get(f"{LIVE_KEY}_job")
    if job is not None and job.done and job.state == "finished":
        return job.model.eval(), "your prior"
    if PRIOR_MODEL in zoo.names():
        return cache.pretrained(PRIOR_MODEL), "the pretrained prior"
    return None, ""


def sample_view(vq: torch.nn.Module) -> None:
    cols = st.columns(3)
    temperature = cols[0].select_slider("Temperature", TEMPERATURES, value=1.0, key="tokens_temperature")
    top_k = cols[1].select_slider("Top-k", TOP_K, value="all", key="tokens_top_k")
    seed = int(cols[2].number_input("Sample seed", 0, 10**6, session.seed(), key="tokens_seed"))
    prior, which = the_prior()
    gaussian = next((name for name in GAUSSIAN_MODELS if name in zoo.names()), None)
    panels = st.columns(3)
    if gaussian is not None:
        images = cache.pretrained(gaussian).sample(N_SAMPLES, generator=torch.Generator().manual_seed(seed))
        panels[0].image(strip(images.numpy(), ncols=4), clamp=True, caption=f"VAE ({gaussian}): z ~ N(0, I)")
    panels[1].image(strip(tokens.uniform_images(vq, N_SAMPLES, seed), ncols=4), clamp=True,
                    caption="VQ-VAE, codes drawn uniformly and independently")
    if prior is None:
        panels[2].info("Train a prior (tab *Train a prior*) or run `python -m explorer pretrain`.")
        return
    _, images = tokens.sample_images(vq, prior, N_SAMPLES, temperature, None if top_k == "all" else top_k, seed)
    panels[2].image(strip(images, ncols=4), clamp=True, caption=f"VQ-VAE, codes from {which}")


def completion_view(vq: torch.nn.Module, test: data.Dataset) -> None:
    prior, which = the_prior()
    if prior is None:
        st.info("Completion needs a prior: train one, or run `python -m explorer pretrain`.")
        return
    cols = st.columns(3)
    index = int(cols[0].number_input("Held-out image", 0, len(test) - 1, 3, key="tokens_complete_index"))
    rows = vq.latent_shape[0]
    keep = cols[1].slider("Token rows kept", 0, rows - 1, rows // 2, key="tokens_keep_rows")
    temperature = cols[2].select_slider("Temperature", TEMPERATURES, value=1.0, key="tokens_complete_temperature")
    _, images = tokens.complete(vq, prior, test.x[index], keep, n=8, temperature=temperature, seed=session.seed())
    left, right = st.columns([1, 4])
    left.image(upscale(test.x[index].reshape(28, 28).numpy(), 5), clamp=True, caption="input")
    right.image(strip(images, ncols=8), clamp=True,
                caption=f"{keep} of {rows} token rows kept, the rest written by {which}, 8 times")


def heldout_numbers(vq: torch.nn.Module) -> None:
    """The held-out negative log-likelihood of the prior in use, against the uniform prior's log K."""
    prior, which = the_prior()
    if prior is None:
        return
    # a finished prior never changes: measure each once per session, not on every rerun of the page
    measured = st.session_state.setdefault("tokens_heldout", weakref.WeakKeyDictionary())  # forgets freed priors
    if prior not in measured:
        measured[prior] = tokens.heldout_nll(prior, codes("test"))
    numbers = measured[prior]
    uniform = tokens.uniform_nats_per_token(vq.config.codebook_size)
    # two by two, the unit in the label: "2.97 bits/t…" was cut in a quarter column, and labels in a quarter of
    # the training panel's picture column wrapped onto one another
    top, bottom = st.columns(2), st.columns(2)
    top[0].metric(f"held-out NLL, {which} (bits per token)", f"{numbers['bits_per_token']:.2f}")
    top[1].metric("held-out NLL (nats per image)", f"{numbers['nats_per_image']:.0f}")
    bottom[0].metric("uniform prior, log K (bits per token)", f"{uniform / math.log(2):.2f}")
    bottom[1].metric("fraction of log K", f"{numbers['fraction_of_uniform']:.2f}")


def new_job(vq: torch.nn.Module, train_codes: torch.Tensor, test_codes: torch.Tensor,
            config: TrainConfig) -> TrainingJob:
    """A fresh prior over the VQ-VAE's codes, its weights drawn from the run's seed (the sidebar's)."""
    prior = tokens.prior_for(vq, config.seed).to(session.device())
    return TrainingJob(prior, train_codes, config, x_test=test_codes, device=session.device(), copy_model=False,
                       alive=session.alive_check())


def live_panel(train_codes: torch.Tensor, test_codes: torch.Tensor, codebook_size: int) -> None:
    knobs_column, picture = training.stage()
    with knobs_column:
        steps = st.select_slider("Steps", STEPS, value=STEPS[len(STEPS) // 2], key=f"{LIVE_KEY}_steps")
        config = dataclasses.replace(tokens.LIVE_PRIOR_TRAIN, steps=steps, seed=session.seed())
        training.live_job(LIVE_KEY, lambda: new_job(cache.pretrained(VQ_MODEL), train_codes, test_codes, config), {},
                          f"Untrained, at step 0. Press **Train from scratch**: a causal transformer learns "
                          f"p(c_t | c_<t) over {len(train_codes):,} token grids, here, now.",
                          lambda job: prior_curves(job, codebook_size), (config, session.device()), picture)


def prior_curves(job: TrainingJob, codebook_size: int) -> None:
    fig = training_curves(job.history, ("nats_per_token", "test_nats_per_token"), "Negative log-likelihood",
                          yaxis_title="nats per token")
    fig.add_hline(y=math.log(codebook_size), line=dict(dash="dash", width=2),
                  annotation_text=f"uniform: log K = {math.log(codebook_size):.2f}")
    chart(fig, width="stretch")
