"""The views of the "Hierarchical VAE" page (Sønderby et al. 2016, "Ladder Variational Autoencoders";
Vahdat & Kautz 2020, "NVAE"): KL per group over training, samples with the top group fixed and the
lower groups resampled (and the reverse), reconstructions that keep the top k groups of q, the
hierarchy against the same network with one group, and a live run. Numbers come from
`explorer.models.hvae`, figures from `explorer.figures.hvae`.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explorer import data, models
from explorer.figures.curves import training_curves
from explorer.figures.hvae import elbo_curves, group_label, image_grid, kl_per_group
from explorer.figures.knob_rules import with_knob_rules
from explorer.store import zoo
from explorer.training.jobs import TrainingJob
from explorer.training.train import TrainConfig
from explorer.ui import cache, session, training
from explorer.ui.figure_export import chart
from explorer.ui.notes import hint

PRETRAINED, BASELINE = "mnist-hvae", "mnist-hvae-1group"
TEMPERATURES = (0.3, 0.5, 0.7, 0.85, 1.0)
ROWS, COLS, INPUTS = 4, 8, 8
FREE_BITS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0)
LEVELS = (1, 2, 3)  # a live model's number of latent groups
LIVE_STEPS = (100, 250, 500, 1000, 2000, 3000)
DRAW = "hvae_draw"  # the "New samples" counter, added to the seed
NATS_PER_IMAGE = "nats per image, the mean over 1,000 held-out MNIST images"


def images(x: torch.Tensor, shape: tuple[int, int], rows: int) -> np.ndarray:
    return x.reshape(rows, -1, *shape).cpu().numpy()  # (rows·cols, D) -> (rows, cols, H, W)


@torch.no_grad()
def swap_grids(model, seed: int, temperature: float, rows: int = ROWS, cols: int = COLS) -> tuple[np.ndarray, ...]:
    """(a) a row per top z_L, its columns resampling the lower groups; (b) a row per fixed noise of the
    lower groups, its columns resampling z_L. Each (rows, cols, H, W)."""
    gen, top = torch.Generator().manual_seed(seed), model.levels
    fixed_top = [model.generate(cols, z={top: temperature * model.noise([top], gen)[top]}, generator=gen,
                                temperature=temperature)[0] for _ in range(rows)]
    fixed_lower = [model.generate(cols, eps=model.noise(range(1, top), gen), generator=gen,
                                  temperature=temperature)[0] for _ in range(rows)]
    shape = model.config.image_shape
    return images(torch.cat(fixed_top), shape, rows), images(torch.cat(fixed_lower), shape, rows)


@torch.no_grad()
def keep_top_rows(model, x: torch.Tensor, seed: int) -> np.ndarray:
    """Row k (k = L, ..., 0): the inputs x (n, D) decoded with the top k groups drawn from q(·|x) and
    the rest from the prior, (L + 1, n, H, W)."""
    gen = torch.Generator().manual_seed(seed)
    rows = [model.generate(len(x), x=x, keep=k, generator=gen)[0] for k in range(model.levels, -1, -1)]
    return images(torch.cat(rows), model.config.image_shape, model.levels + 1)


@st.cache_data(show_spinner=False, max_entries=64)
def pretrained_grids(name: str, seed: int, temperature: float) -> tuple[np.ndarray, ...]:
    return swap_grids(cache.pretrained(name), seed, temperature)


@st.cache_data(show_spinner=False, max_entries=64)
def pretrained_keep_rows(name: str, start: int, seed: int) -> np.ndarray:
    x = cache.dataset(cache.pretrained_dataset(name), "test").x[start : start + INPUTS]
    return keep_top_rows(cache.pretrained(name), x, seed)


def keep_label(k: int, levels: int) -> str:
    if k == levels:
        return f"k = {k}: every group from q(z|x)"
    if k == 0:
        return "k = 0: every group from the prior"
    kept = ", ".join(group_label(level, levels).split(" ")[0] for level in range(levels, levels - k, -1))
    return f"k = {k}: {kept} from q, the rest from p"


def history_kls(rows: dict, prefix: str = "test_") -> dict[int, list]:
    """{l: [KL of group l, ...]} from history columns ({"test_kl_1": [...], ...})."""
    return {int(key.rsplit("_", 1)[1]): values for key, values in rows.items() if key.startswith(f"{prefix}kl_")}


def kl_history_view(name: str) -> None:
    history = cache.pretrained_history(name)
    kls = history_kls(history)
    if not kls:
        st.info(f"{name} was saved without a training history: re-run `python -m explorer pretrain --only {name}`.")
        return
    chart(kl_per_group(history["step"], kls, "Held-out KL per group while it trained"), width="stretch")
    st.caption("Each line is the nats that group l carries about x beyond what the groups above already say.")
    hint("find the group that carries the most; then, under *Train your own*, switch warm-up and free bits off "
         "and see whether a group's KL sinks towards 0 (posterior collapse of that group).")


def comparison_view() -> None:
    """The held-out ELBO of the hierarchy beside the same network with one group."""
    if BASELINE not in zoo.names():
        st.info(f"No one-group model to compare with: run `python -m explorer pretrain --only {BASELINE}`.")
        return
    entries = {name: zoo.entry(name) for name in (PRETRAINED, BASELINE)}
    elbo = {name: entry["metrics"].get("test_elbo", float("nan")) for name, entry in entries.items()}
    left, right = st.columns(2)
    left.metric(f"held-out ELBO, groups {tuple(entries[PRETRAINED]['config']['groups'])}",
                f"{elbo[PRETRAINED]:.1f} nats", f"{elbo[PRETRAINED] - elbo[BASELINE]:+.1f} nats vs one group",
                help=NATS_PER_IMAGE)
    right.metric(f"held-out ELBO, one group of {entries[BASELINE]['config']['groups'][0]}",
                 f"{elbo[BASELINE]:.1f} nats", help=NATS_PER_IMAGE)
    curves = {name: (cache.pretrained_history(name).get("step", []), cache.pretrained_history(name).get(
        "test_elbo", [])) for name in entries}
    chart(elbo_curves(curves), width="stretch")
    st.caption("Held-out ELBO on 1,000 MNIST images (10 draws). Same total latent size and the same residual "
               "blocks: only the hierarchy differs.")
    hint("read the gap between the two curves off at each step: does the hierarchy pay off early or only late?")


def grids_view(name: str) -> None:
    left, right = st.columns([3, 1])
    temperature = right.select_slider("Temperature t", TEMPERATURES, value=1.0, key="hvae_temperature",
                                      help="ε ~ N(0, t²I) for every draw from the prior (NVAE samples at t < 1)")
    if right.button("New samples", icon=":material/casino:", key="hvae_resample"):
        st.session_state[DRAW] = st.session_state.get(DRAW, 0) + 1
    seed = session.seed() + st.session_state.get(DRAW, 0)
    fixed_top, fixed_lower = pretrained_grids(name, seed, temperature)
    with left:
        st.image(image_grid(fixed_top), clamp=True,
                 caption="Each row: one top z_L held fixed; along the row the lower groups are redrawn")
        st.image(image_grid(fixed_lower), clamp=True,
                 caption="Each row: the lower groups' noise ε held fixed; along the row z_L is redrawn")


def keep_view(name: str) -> None:
    model, test = cache.pretrained(name), cache.dataset(cache.pretrained_dataset(name), "test")
    start = int(st.number_input("First held-out image", 0, len(test) - INPUTS, 0, step=INPUTS, key="hvae_start"))
    rows = pretrained_keep_rows(name, start, session.seed())
    inputs = test.x[start : start + INPUTS].reshape(1, INPUTS, *model.config.image_shape).numpy()
    for label, row in zip(["the inputs x"] + [keep_label(k, model.levels) for k in range(model.levels, -1, -1)],
                          [inputs[0], *rows], strict=True):
        text, picture = st.columns([1, 4])
        text.markdown(f"**{label}**")
        picture.image(image_grid(row[None]), clamp=True)
    hint("walk down the rows: which k first loses the digit's class, and which its style?")


def pretrained_tab() -> None:
    """The shipped models, or a note naming the remedy (no checkpoint, or no MNIST here)."""
    if PRETRAINED not in zoo.names():
        st.info(f"No pretrained hierarchical VAE here: run `python -m explorer pretrain --only {PRETRAINED} "
                f"{BASELINE}`.")
        return
    try:
        cache.dataset(cache.pretrained_dataset(PRETRAINED), "test")
    except data.DatasetUnavailable as err:
        st.warning(f"The pretrained model's data is not available: {err}")
        return
    st.subheader("Fix one level, redraw the others")  # first: the picture with its knobs (issue 22)
    grids_view(PRETRAINED)
    st.subheader("KL per group")
    kl_history_view(PRETRAINED)
    st.subheader("One group against three")
    comparison_view()
    st.subheader("Keep the top k groups of q(z|x), sample the rest")
    keep_view(PRETRAINED)


def live_settings(key: str, dataset: data.Dataset) -> tuple[dict, TrainConfig, dict]:
    levels = st.radio("Groups", LEVELS, index=2, key=f"{key}_levels", horizontal=True,
                           help="1 group is the plain VAE with the same network")
    free_bits = st.select_slider("Free bits λ per group", FREE_BITS, value=0.0, key=f"{key}_free_bits",
                                      help="Each group's first λ nats of KL cost nothing. Acts on the next step.")
    warmup = st.toggle("KL warm-up", value=True, key=f"{key}_warmup", help="β ramps from 0 to 1 over a quarter")
    steps = st.select_slider("Steps", LIVE_STEPS, value=1000, key=f"{key}_steps")
    big = dataset.x_dim > 100
    sizes = {3: (32, 16, 4), 2: (32, 8), 1: (52,)} if big else {3: (8, 4, 2), 2: (8, 4), 1: (14,)}
    model = dict(groups=sizes[levels], hidden=256 if big else 128, blocks=3 // levels)  # ~ the same depth
    config = TrainConfig(steps=steps, lr=2e-3, seed=session.seed(), log_every=20, eval_every=250,
                         kl_warmup_steps=steps // 4 if warmup else 0)
    return model, config, {"beta": 1.0, "free_bits": free_bits}


def new_job(dataset: data.Dataset, test: data.Dataset, overrides: dict, config: TrainConfig,
            knobs: dict) -> TrainingJob:
    model = models.build_seeded("hvae", None, config.seed, x_dim=dataset.x_dim, image_shape=dataset.image_shape,
                                likelihood=dataset.likelihood, **overrides)
    return TrainingJob(model.to(session.device()), dataset.x, config, knobs, x_test=test.x,
                       device=session.device(), copy_model=False, alive=session.alive_check())


def live_curves(history: list[dict]) -> None:
    kls = {int(k.rsplit("_", 1)[1]) for row in history for k in row if k.startswith("kl_")}
    rows = [row for row in history if "kl" in row]
    left, right = st.columns(2)
    per_group = kl_per_group([r["step"] for r in rows], {level: [r[f"kl_{level}"] for r in rows] for level in kls},
                             "KL per group (batches)")
    chart(with_knob_rules(per_group, history), width="stretch", container=left)  # a rule where λ was moved
    chart(training_curves(history, ("loss", "recon", "kl", "test_elbo"), "Loss terms", yaxis_title="nats per image"),
          width="stretch", container=right)


def live_panel(dataset: data.Dataset, test: data.Dataset) -> None:
    key = "hvae_live"
    knobs_column, picture = training.stage()
    with knobs_column:
        overrides, config, knobs = live_settings(key, dataset)
        training.live_job(key, lambda: new_job(dataset, test, overrides, config, knobs), knobs,
                          "Untrained, at step 0. Press **Train from scratch**, then move the free bits as it trains.",
                          live_view, (dataset.name, overrides, config, session.device()), picture)


def live_view(job: TrainingJob) -> None:
    live_curves(job.history)
    grid = job.read(lambda model: swap_grids(model.eval(), 0, 1.0, rows=3)[0])
    st.image(image_grid(grid, 4 if grid.shape[-1] < 16 else 2), clamp=True,
             caption="Your model: each row one top z_L, the lower groups redrawn along it")
