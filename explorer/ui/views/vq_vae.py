"""The views of the "VQ-VAE" page (van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete Representation
Learning", NeurIPS 2017): a pretrained codebook's usage, its PCA plane and an image's token grid; a live run
with commitment_beta acting on the running model; and blurry (Gaussian VAE) vs sharp (VQ-VAE) reconstructions
of the same inputs by two models that differ only in their latent. Numbers come from `explorer.analysis.vq`, figures
from `explorer.figures.vq`.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explorer import data, models
from explorer.analysis import vq
from explorer.figures import vq as figures
from explorer.figures.images import tile, upscale
from explorer.figures.knob_rules import with_knob_rules
from explorer.maths import metrics
from explorer.store import zoo
from explorer.training.jobs import TrainingJob
from explorer.training.train import TrainConfig
from explorer.ui import cache, canvas, session, training
from explorer.ui.figure_export import chart

PRETRAINED_VQ = {"mnist-vqvae": "MNIST", "sprites-vqvae": "Sprites"}
VAE_MODEL, VQ_MODEL = "mnist-convvae", "mnist-vqvae"  # the blurry-vs-sharp pair: same encoder and decoder
LABELS = {VAE_MODEL: "VAE (Gaussian latent)", VQ_MODEL: "VQ-VAE (codebook)"}
COMMITMENT_BETAS = (0.0, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0)
CODEBOOK_SIZES = (16, 64, 128, 256, 512)
STEPS = (100, 250, 500, 1000, 2000)
RESET_STEPS = 10  # a code unused for this many training batches is moved onto an encoder output
USAGE_IMAGES = 500  # at most this many held-out images make the usage histogram and the PCA plane (digits has 297)
N_COMPARE = 8  # held-out inputs reconstructed side by side


def image(x: np.ndarray | torch.Tensor, shape: tuple[int, int], scale: int) -> np.ndarray:
    return upscale(np.asarray(x).reshape(shape), scale)


def usage_view(usage: dict, plane: dict, key: str) -> None:
    """The usage histogram and the codebook with the encoder outputs in the PCA plane, side by side."""
    left, right = st.columns(2)
    chart(figures.usage_histogram(usage["counts"], "Uses per code"),
          width="stretch", key=f"{key}_hist", container=left)
    chart(figures.codebook_scatter(plane["codes_2d"], plane["z_e_2d"], usage["counts"], plane["explained"]),
          width="stretch", key=f"{key}_pca", container=right)


def token_view(grid: dict, x: torch.Tensor, codebook_size: int, shape: tuple[int, int], key: str) -> None:
    """Input, its token grid (each cell's code written in it) and the reconstruction from those codes."""
    cols = st.columns([1, 2, 1], vertical_alignment="center")
    cols[0].image(image(x, shape, 8), caption="input x", clamp=True)
    chart(figures.token_grid(grid["codes"], codebook_size, f"Tokens: {grid['codes'].shape[0]}×"
                             f"{grid['codes'].shape[1]}, K = {codebook_size}"),
          width="stretch", key=f"{key}_tokens", container=cols[1])
    cols[2].image(image(grid["x_hat"], shape, 8), caption="decoded from the tokens", clamp=True)


# --- the pretrained codebooks ---------------------------------------------------------------------------

@st.cache_data(show_spinner="Encoding held-out images…")
def pretrained_usage(name: str) -> tuple[dict, dict]:
    model, test = cache.pretrained(name), cache.dataset(cache.pretrained_dataset(name), "test")
    x = test.x[:USAGE_IMAGES]
    return vq.codebook_usage(model, x), vq.codebook_plane(model, x)


def pretrained_tab() -> None:
    """A shipped VQ-VAE's codebook and tokens, or a note naming the remedy (no checkpoint, or no data here)."""
    available = [name for name in PRETRAINED_VQ if name in zoo.names()]
    if not available:
        st.info("No pretrained VQ-VAE here: run `python -m explorer pretrain --only mnist-vqvae sprites-vqvae`.")
        return
    name = st.radio("Model", available, horizontal=True, key="vq_pretrained_model",
                    format_func=lambda n: f"{PRETRAINED_VQ[n]}, K = {zoo.entry(n)['config']['codebook_size']}")
    try:
        test = cache.dataset(cache.pretrained_dataset(name), "test")
    except data.DatasetUnavailable as err:
        st.warning(f"The pretrained model's data is not available: {err}")
        return
    model = cache.pretrained(name)
    usage, plane = pretrained_usage(name)
    st.markdown(f"On {usage['images']:,} held-out images: perplexity **{usage['perplexity']:.1f}** codes of K = "
                f"{model.config.codebook_size}, **{usage['dead_codes']}** dead codes (none of them picks these).")
    usage_view(usage, plane, key=f"vq_pretrained_{name}")
    index = int(st.number_input("Held-out image", 0, len(test) - 1, 0, key=f"vq_pretrained_index_{name}"))
    token_view(vq.token_grid(model, test.x[index]), test.x[index], model.config.codebook_size, test.image_shape,
               key=f"vq_pretrained_{name}")
    history = cache.pretrained_history(name)
    if {"test_perplexity", "test_unused_codes"} <= history.keys():
        chart(figures.usage_curves(np.array(history["step"]), np.array(history["test_perplexity"]),
                                   np.array(history["test_unused_codes"]), model.config.codebook_size,
                                   f"While it was pretrained (on all {len(test):,} held-out images)"),
              width="stretch", key=f"vq_pretrained_{name}_history")


# --- a live run -----------------------------------------------------------------------------------------

def live_settings(key: str) -> tuple[TrainConfig, dict, dict]:
    """(train config, model options fixed at start, live knobs)."""
    beta = st.select_slider("Commitment β", COMMITMENT_BETAS, value=0.25, key=f"{key}_beta",
                                 help="Weight of ‖z_e − sg[e]‖²: acts on the next step of a running model.")
    size = st.select_slider("Codebook size K", CODEBOOK_SIZES, value=64, key=f"{key}_k",
                                 help="Fixed when the run starts.")
    steps = st.select_slider("Steps", STEPS, value=500, key=f"{key}_steps")
    options = {"ema": st.toggle("EMA codebook", key=f"{key}_ema",
                                        help="Codes follow moving averages of their encoder outputs (set at start)."),
               "kmeans_init": st.toggle("k-means init", key=f"{key}_kmeans",
                                                help="Codebook from k-means of the first batch's z_e (set at start)."),
               "dead_code_reset_steps": RESET_STEPS if st.toggle(
                   "Dead-code reset", key=f"{key}_reset",
                   help=f"A code unused for {RESET_STEPS} batches jumps onto an encoder output (set at start).")
               else 0,
               "codebook_size": size}
    config = TrainConfig(steps=steps, lr=2e-3, seed=session.seed(), log_every=10, eval_every=100)
    return config, options, {"commitment_beta": beta}


def new_job(dataset: data.Dataset, test: data.Dataset, config: TrainConfig, options: dict,
            knobs: dict) -> TrainingJob:
    model = models.build_seeded("vqvae", None, config.seed, x_dim=dataset.x_dim, image_shape=dataset.image_shape,
                                likelihood=dataset.likelihood, **vq.architecture(dataset.image_shape), **options)
    return TrainingJob(model.to(session.device()), dataset.x, config, knobs, x_test=test.x,
                       device=session.device(), copy_model=False, alive=session.alive_check())


def snapshot(model: torch.nn.Module, x: torch.Tensor) -> dict:
    """What the live view draws of the running model: usage and PCA plane on x, the token grid of x[0]."""
    model.eval()  # no bookkeeping while reading; the next training step switches back
    return {"usage": vq.codebook_usage(model, x), "plane": vq.codebook_plane(model, x),
            "grid": vq.token_grid(model, x[0]), "size": model.config.codebook_size}


def live_view(job: TrainingJob, test: data.Dataset) -> None:
    every = job.config.log_every  # a history row holds the means over this many steps
    rows = job.history
    history = vq.usage_history(rows, steps_per_row=every)
    seen = job.peek(lambda model: snapshot(model, test.x[:USAGE_IMAGES].to(session.device())))
    curves = figures.usage_curves(history["step"], history["perplexity"], history["unused_codes"], seen["size"],
                                  "Perplexity, unused and reset codes while training",
                                  unused_name="unused in the batch", codes_reset=history["codes_reset"],
                                  reset_name=f"codes reset per {every} steps")
    chart(with_knob_rules(curves, rows), width="stretch", key="vq_live_curves")  # a rule where β was moved
    usage_view(seen["usage"], seen["plane"], key="vq_live")
    st.caption(f"The curves count codes per training batch (means over {every} steps; a reset code was unused for "
               f"{RESET_STEPS} batches, so with resets on none stays dead); the histogram and the plane show the "
               f"codebook now, on {seen['usage']['images']:,} held-out images (red: codes none of them picks).")
    token_view(seen["grid"], test.x[0], seen["size"], test.image_shape, key="vq_live")


def live_panel(dataset: data.Dataset, test: data.Dataset) -> None:
    key = "vq_live"
    knobs_column, picture = training.stage()
    with knobs_column:
        config, options, knobs = live_settings(key)
        training.live_job(key, lambda: new_job(dataset, test, config, options, knobs), knobs,
                          "Untrained, at step 0. Press **Train from scratch**, then move the commitment β while it "
                          "trains.", lambda job: live_view(job, test),
                          (dataset.name, config, options, session.device()), picture)


# --- blurry vs sharp ------------------------------------------------------------------------------------

@st.cache_data(show_spinner="Reconstructing the held-out images…")
def heldout_squared_error() -> dict[str, float]:
    """Each model's squared error per image (a sum over pixels), averaged over every held-out image."""
    results = vq.compare({name: cache.pretrained(name) for name in LABELS}, cache.dataset("mnist", "test").x)
    return {name: float(result["squared_error"].mean()) for name, result in results.items()}


def pick_inputs(test: data.Dataset) -> torch.Tensor | None:
    source = st.radio("Inputs", ("held-out", "drawn"), horizontal=True, key="vq_compare_source",
                      format_func=lambda s: f"{N_COMPARE} held-out images" if s == "held-out" else "Draw a digit")
    if source == "drawn":
        drawn = canvas.draw_digit(key="vq_compare_canvas")
        return None if drawn is None else torch.from_numpy(drawn.reshape(1, -1))
    start = int(st.number_input("First held-out image", 0, len(test) - N_COMPARE, 0, key="vq_compare_start"))
    return test.x[start : start + N_COMPARE]


def strips_view(x: torch.Tensor, results: dict, shape: tuple[int, int]) -> None:
    """One row per model under the inputs, with each image's squared error; then the errors as bars."""
    st.image(upscale(tile(x.numpy().reshape(-1, *shape), len(x)), 4), caption="inputs", clamp=True)
    for name, result in results.items():
        errors = result["squared_error"]
        numbers = ", ".join(f"{e:.2f}" for e in errors)
        st.image(upscale(tile(result["x_hat"].reshape(-1, *shape), len(x)), 4), clamp=True,
                 caption=f"{LABELS[name]} — squared error per image (sum over pixels): {numbers} "
                         f"(mean {errors.mean():.2f})")
    labels = [f"input {i + 1}" for i in range(len(x))]
    chart(figures.squared_error_bars(labels, {LABELS[n]: r["squared_error"] for n, r in results.items()},
                                     metrics.SQUARED_ERROR_LABEL), width="stretch", key="vq_compare_bars")


def zoom_view(x: torch.Tensor, results: dict, shape: tuple[int, int]) -> None:
    """One input large, for the projector: input, VAE, VQ-VAE."""
    which = 0 if len(x) == 1 else int(st.select_slider("Zoom on input", list(range(1, len(x) + 1)), key="vq_zoom")) - 1
    cols = st.columns(3)
    cols[0].image(image(x[which], shape, 12), caption="input", clamp=True)
    for col, (name, result) in zip(cols[1:], results.items(), strict=True):
        col.image(image(result["x_hat"][which], shape, 12), clamp=True,
                  caption=f"{LABELS[name]}: squared error {result['squared_error'][which]:.2f} (sum over pixels)")


def blurry_vs_sharp_tab() -> None:
    missing = [name for name in LABELS if name not in zoo.names()]
    if missing:
        st.info(f"The pair is not shipped here: run `python -m explorer pretrain --only {' '.join(missing)}`.")
        return
    try:
        test = cache.dataset("mnist", "test")
    except data.DatasetUnavailable as err:
        st.warning(f"MNIST is not available, so the pair cannot be shown: {err}")
        return
    error = heldout_squared_error()
    st.markdown(f"Squared error per image (sum over pixels), averaged over all {len(test):,} held-out images: "
                f"VAE **{error[VAE_MODEL]:.2f}**, VQ-VAE **{error[VQ_MODEL]:.2f}**.")
    x = pick_inputs(test)
    if x is None:
        return
    results = vq.compare({name: cache.pretrained(name) for name in LABELS}, x)
    strips_view(x, results, test.image_shape)
    st.subheader("Zoomed, for the back row")
    zoom_view(x, results, test.image_shape)
