"""The views of the "Categorical VAE" page: a model's code of an input as a grid (q, relaxed, hard),
reconstructions soft vs hard, prior samples; and a live run with τ, straight-through and annealing
(Jang et al. 2017). Numbers come from `explorer.models.gumbel`, figures from `explorer.figures`.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explorer import data, models
from explorer.figures.codes import category_grid, tau_curve
from explorer.figures.curves import training_curves
from explorer.figures.images import tile, upscale
from explorer.figures.knob_rules import with_knob_rules
from explorer.models.gumbel import code_views
from explorer.store import zoo
from explorer.training.jobs import TrainingJob
from explorer.training.train import TrainConfig
from explorer.ui import cache, session, training
from explorer.ui.figure_export import chart

TAUS = (0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 2.0, 3.0, 5.0, 10.0)
N_SAMPLES = 16
LIVE_STEPS = (250, 500, 1000, 2000, 3000)  # a live run's choices of steps
PRETRAINED = "mnist-gumbel"


def tau_slider(key: str) -> float:
    return st.select_slider("Temperature τ", TAUS, value=1.0, key=f"{key}_tau",
                            help="Low τ: relaxed codes close to one-hot. High τ: codes blur towards uniform.")


def image(x: torch.Tensor, shape: tuple[int, int], scale: int = 6) -> np.ndarray:
    return upscale(x.reshape(shape).cpu().numpy(), scale)


def code_panel(model: torch.nn.Module, x: torch.Tensor, tau: float, seed: int) -> None:
    """One input: q(z|x), the relaxed sample at τ and its one-hot argmax side by side, then the
    input and both reconstructions."""
    views = code_views(model, x[None], tau, seed)
    shape = model.config.image_shape
    grids = st.columns(3)
    titles = ("q(z|x)", f"relaxed, τ = {tau:g}", "hard (one-hot)")  # short: a third of a projector's width
    for column, name, title in zip(grids, ("probs", "soft", "hard"), titles, strict=True):
        chart(category_grid(views[name][0].cpu().numpy(), title, height=460), width="stretch", container=column)
    pictures = st.columns(3)
    pictures[0].image(image(x, shape), caption="input", clamp=True)
    pictures[1].image(image(views["x_soft"][0], shape), caption=f"decoded relaxed code (τ = {tau:g})", clamp=True)
    pictures[2].image(image(views["x_hard"][0], shape), caption="decoded hard code", clamp=True)


def prior_samples(model: torch.nn.Module, seed: int) -> None:
    samples = model.sample(N_SAMPLES, generator=torch.Generator().manual_seed(seed)).cpu().numpy()
    shape = model.config.image_shape
    st.image(upscale(tile(samples.reshape(-1, *shape), ncols=8), 4), clamp=True,
             caption="Decoded codes drawn from the uniform prior: every group's category at random")


def pretrained_view(model: torch.nn.Module, test: data.Dataset) -> None:
    left, right = st.columns([1, 3])
    index = int(left.number_input("Held-out image", 0, len(test) - 1, 0, key="gumbel_index"))
    with left:
        tau = tau_slider("gumbel_pretrained")
    with right:
        code_panel(model, test.x[index], tau, seed=session.seed() + index)
    st.subheader("Samples from the prior")
    prior_samples(model, session.seed())


def pretrained_tab() -> None:
    """The shipped model, or a note naming the remedy (no checkpoint, or no MNIST here)."""
    if PRETRAINED not in zoo.names():
        st.info(f"No pretrained categorical VAE here: run `python -m explorer pretrain --only {PRETRAINED}`.")
        return
    try:
        test = cache.dataset(cache.pretrained_dataset(PRETRAINED), "test")
    except data.DatasetUnavailable as err:
        st.warning(f"The pretrained model's data is not available: {err}")
        return
    pretrained_view(cache.pretrained(PRETRAINED), test)


def live_settings(key: str) -> tuple[TrainConfig, dict]:
    tau = tau_slider(key)
    hard = st.toggle("Straight-through", key=f"{key}_hard",
                          help="Forward: the one-hot sample. Backward: the relaxed sample's gradient.")
    anneal = st.toggle("Anneal τ", key=f"{key}_anneal",
                            help="τ_t = max(min(0.5, τ), τ · exp(−0.001 · t)): annealing only lowers τ")
    steps = st.select_slider("Steps", LIVE_STEPS, value=1000, key=f"{key}_steps")
    config = TrainConfig(steps=steps, lr=2e-3, seed=session.seed(), log_every=20, eval_every=100,
                         tau_anneal_rate=1e-3 if anneal else 0.0, tau_min=0.5)
    return config, {"tau": tau, "hard": hard}


def new_job(dataset: data.Dataset, test: data.Dataset, config: TrainConfig, knobs: dict) -> TrainingJob:
    model = models.build_seeded("gumbel", None, config.seed, x_dim=dataset.x_dim, image_shape=dataset.image_shape,
                                likelihood=dataset.likelihood, groups=20 if dataset.x_dim > 100 else 8, categories=10,
                                hidden=(512, 256) if dataset.x_dim > 100 else (128, 64))
    return TrainingJob(model.to(session.device()), dataset.x, config, knobs, x_test=test.x,
                       device=session.device(), copy_model=False, alive=session.alive_check())


def live_panel(dataset: data.Dataset, test: data.Dataset) -> None:
    key = "gumbel_live"
    knobs_column, picture = training.stage()
    with knobs_column:
        config, knobs = live_settings(key)
        training.live_job(key, lambda: new_job(dataset, test, config, knobs), knobs,
                          "Untrained, at step 0. Press **Train from scratch**, then move τ while it trains.",
                          lambda job: live_view(job, test, knobs["tau"]), (dataset.name, config, session.device()),
                          picture)


def live_view(job: TrainingJob, test: data.Dataset, tau: float) -> None:
    history = job.history
    left, right = st.columns(2)
    chart(training_curves(history, ("loss", "recon", "kl", "test_elbo"), "Loss terms",
                          yaxis_title="nats per image"), width="stretch", container=left)
    chart(with_knob_rules(tau_curve([r["step"] for r in history], [r.get("tau", np.nan) for r in history]), history),
          width="stretch", container=right)  # a τ set by hand is a rule; annealing's fall is the curve
    tau_in_force = history[-1].get("tau", tau) if history else tau  # annealed: not the slider's τ
    job.peek(lambda model: code_panel(model.eval(), test.x[0], tau_in_force, seed=0))
