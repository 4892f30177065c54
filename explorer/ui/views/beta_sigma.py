"""The views of the "β, σ and posterior collapse" page: a live run with β, σ and free bits, β sweeps on
the R-D plane, KL per unit, traversals and MIG, samples by β (Higgins et al. 2017;
Alemi et al. 2018; Lucas et al. 2019; Chen et al. 2018). Numbers come from `explorer.training.sweep` and
`explorer.maths.metrics`, figures from `explorer.figures.rate_distortion`. The sweep trains in a background
`sweep.SweepJob` polled by a fragment, so the page stays live meanwhile.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explorer import data
from explorer.figures import rate_distortion as rd
from explorer.figures.images import tile, upscale
from explorer.figures.knob_rules import knob_changes, mark_on_trail
from explorer.maths import latent, metrics
from explorer.store import zoo
from explorer.training import sweep
from explorer.training.jobs import TrainingJob
from explorer.training.train import TrainConfig
from explorer.ui import cache, session, training
from explorer.ui.figure_export import chart

SWEEP_STEPS = (500, 1000, 1500, 3000)  # steps per model a sweep offers; tests monkeypatch tiny ones
FREE_BITS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0)
WARMUP_STEPS = (0, 250, 500, 1000)
LIVE_STEPS = (500, 1000, 2000, 3000, 5000)  # a live run's choices of steps
SECONDS_PER_STEP = 0.009  # measured in the server with a browser watching, on the 2-core machine
SWEEP_POLL_SECONDS = 2.0  # a new sweep point comes every ~10 s; each poll costs the browser a redraw
N_SHOWN = 8  # inputs reconstructed and prior samples drawn per model
TRAVERSAL_VALUES = tuple(np.linspace(-3.0, 3.0, 9))
GAUSSIAN_DISTORTION_TITLE = "distortion D = −E log N(x; x̂, σ²I) (nats per image; < 0 is a density > 1)"


def strip(images: np.ndarray, shape: tuple[int, int], ncols: int | None = None) -> np.ndarray:
    return upscale(tile(images.reshape(-1, *shape), ncols or len(images)), 3)


def recon_and_samples(model: torch.nn.Module, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """E[x|z = E_q z] of each input and E[x|z] of N_SHOWN prior draws (seed 0), as arrays."""
    z = torch.randn(N_SHOWN, model.config.z_dim, generator=torch.Generator().manual_seed(0))  # on the CPU
    return latent.decode_points(model, latent.encode_means(model, x)), latent.decode_points(model, z.numpy())


# --- models to inspect: the shipped pretrained β-VAEs and this session's sweep -----------------------

def pretrained_notice(dataset_name: str) -> None:
    missing = [name for name in sweep.pretrained_betas(dataset_name) if name not in zoo.names()]
    if missing:
        st.info(f"Pretrained β-models not shipped yet: {', '.join(missing)}. Run `python -m explorer pretrain`. "
                "Meanwhile, a sweep (tab **Rate–distortion sweep**) trains models that every tab can show.",
                icon=":material/info:")


@st.cache_data(show_spinner="Measuring a pretrained model…")
def pretrained_diagnostics(name: str) -> dict:
    return sweep.diagnose(cache.pretrained(name), cache.dataset(cache.pretrained_dataset(name), "test"))


def available_models(dataset_name: str) -> dict[str, dict]:
    """label -> diagnostics with its `beta`, `model` and `group`: pretrained first, then the sweep's."""
    found = {}
    for name, beta in sweep.pretrained_betas(dataset_name).items():
        if name in zoo.names():
            found[f"pretrained β = {beta:g}"] = {**pretrained_diagnostics(name), "beta": beta,
                                                 "model": cache.pretrained(name), "group": "pretrained"}
    job: sweep.SweepJob | None = st.session_state.get(f"beta_sweep_{dataset_name}_job")
    for result in [] if job is None else list(job.results):
        found[f"sweep β = {result['beta']:g}"] = {**result, "group": "sweep"}
    return found


def pick_model(dataset_name: str, key: str, last: bool = False) -> dict | None:
    found = available_models(dataset_name)
    if not found:
        st.info("No β-model for this data yet: run a sweep in the **Rate–distortion sweep** tab.",
                icon=":material/info:")
        return None
    return found[st.radio("Model", list(found), len(found) - 1 if last else 0, horizontal=True, key=key)]


def rd_points(found: dict[str, dict]) -> list[dict]:
    return [{"rate": r["rate"], "distortion": r["distortion"], "label": f"β={r['beta']:g}", "group": r["group"]}
            for r in found.values()]


# --- the live run --------------------------------------------------------------------------------

def live_settings(key: str) -> tuple[TrainConfig, str, dict]:
    steps = st.select_slider("Steps", LIVE_STEPS, value=2000, key=f"{key}_steps")
    likelihood = st.radio("Decoder p(x|z)", tuple(training.DECODERS), format_func=training.DECODERS.get,
                          key=f"{key}_lik")
    warmup = st.select_slider("KL warm-up (steps)", WARMUP_STEPS, value=0, key=f"{key}_warmup",
                              help="β ramps up from 0 over these steps. Set when a run starts.")
    free_bits = st.select_slider("Free bits λ (nats per unit)", FREE_BITS, value=0.0, key=f"{key}_free_bits",
                                 help="A unit's first λ nats of KL cost nothing. Acts on the next step.")
    knobs = {**training.knob_sliders(key, likelihood), "free_bits": free_bits}
    if likelihood == "gaussian":
        beta, sigma = knobs["beta"], knobs["decoder_sigma"]
        st.markdown(f"The same objective in L2 form: **‖x − μ‖² + {sweep.l2_weight_of_kl(beta, sigma):.3g} · KL**"
                    f" (2σ²β). It is a plain VAE (β = 1) with **σ′ = √β σ = "
                    f"{sweep.effective_sigma(beta, sigma):.3g}**.")
    config = TrainConfig(steps=steps, lr=2e-3, seed=session.seed(), log_every=20, eval_every=100,
                         kl_warmup_steps=warmup)
    return config, likelihood, knobs


def new_job(train: data.Dataset, test: data.Dataset, config: TrainConfig, likelihood: str, knobs: dict) -> TrainingJob:
    """The sweep's 10-unit VAE, its weights drawn from the run's seed (the sidebar's)."""
    options = sweep.SweepConfig(likelihood=likelihood, decoder_sigma=knobs.get("decoder_sigma", 0.1), seed=config.seed)
    model = sweep.build_model(train, options).to(session.device())
    return TrainingJob(model, train.x, config, knobs, x_test=test.x, device=session.device(),
                       copy_model=False, alive=session.alive_check())


def live_panel(dataset_name: str) -> None:
    """A 10-unit VAE trained here and now; β, σ and free bits act on its next step."""
    key = f"beta_live_{dataset_name}"
    train, test = cache.dataset(dataset_name, "train"), cache.dataset(dataset_name, "test")
    knobs_column, picture = training.stage()
    with knobs_column:
        config, likelihood, knobs = live_settings(key)
        training.live_job(key, lambda: new_job(train, test, config, likelihood, knobs), knobs,
                          "Untrained, at step 0. Press **Train from scratch**, then move β, σ and λ while it trains.",
                          lambda job: live_view(job, dataset_name),
                          (dataset_name, config, likelihood, knobs.get("decoder_sigma"), session.device()), picture)


def live_view(job: TrainingJob, dataset_name: str) -> None:
    test, x = cache.dataset(dataset_name, "test"), cache.dataset(dataset_name, "test").x[:N_SHOWN]
    knobs, now, (recon, samples) = job.read(lambda m: (
        job.trainer.step_knobs(),
        sweep.diagnose(m, test, job.trainer.knobs.get("decoder_sigma"), with_mig=False, seed=job.config.seed),
        recon_and_samples(m, x)))
    history = job.history
    evaluated = [r for r in history if "test_kl" in r]
    trail = np.array([(r["test_kl"], r["test_recon"]) for r in evaluated]).reshape(-1, 2)
    # one line that wraps, not five metrics whose labels a three-quarter column cuts ("β now (after …")
    st.markdown(f"β now (after warm-up) **{knobs['beta']:.3g}** · rate R **{now['rate']:.2f}** nats per image · "
                f"distortion D **{now['distortion']:.1f}** nats per image · ‖x − x̂‖² at z = μ(x) "
                f"**{now['squared_error']:.2f}** (sum over pixels, per image) · active units "
                f"**{now['active_units']} / {len(now['active'])}**")
    bernoulli = job.model.config.likelihood == "bernoulli"  # only then comparable with the β-models
    if not bernoulli:
        st.caption(distortion_split(now["distortion"], test.x_dim, job.trainer.knobs["decoder_sigma"]))
    left, right = st.columns(2)
    points = rd_points(available_models(dataset_name)) if bernoulli else []
    plane = rd.rate_distortion_plane(points, (now["rate"], now["distortion"]), trail,
                                     f"R–D plane, step {job.step}",
                                     distortion_title=rd.DISTORTION_TITLE if bernoulli else GAUSSIAN_DISTORTION_TITLE)
    # where β, σ or λ was moved: the trail turns after that point
    chart(mark_on_trail(plane, knob_changes(history), [r["step"] for r in evaluated], trail), width="stretch",
          container=left)
    chart(rd.kl_per_unit_bars(now["kl_per_unit"], now["active"], now["collapsed"],
                              knobs.get("free_bits", 0.0), "KL per latent unit"), width="stretch", container=right)
    left.image(strip(np.concatenate([x.numpy(), recon]), test.image_shape, N_SHOWN), width="stretch",
               caption="held-out inputs (top), reconstructions E[x | z = E_q z] (bottom)")
    right.image(strip(samples, test.image_shape), width="stretch", caption="prior samples z ~ N(0, I), decoded")


def distortion_split(distortion: float, dim: int, sigma: float) -> str:
    """A Gaussian decoder's D in its two parts (`metrics.split_gaussian_distortion`), and why it can be < 0."""
    parts = metrics.split_gaussian_distortion(distortion, dim, sigma)
    return (f"Gaussian decoder: D = E_q ‖x − x̂(z)‖²/(2σ²) + (d/2)·log(2πσ²) = {parts['scaled_error']:.1f} + "
            f"({parts['log_normaliser']:.1f}) nats per image, with d = {dim} pixels and σ = {sigma:g}. The second "
            "part is fixed by σ and below 0 for σ < 0.4: p(x|z) is a density, which can exceed 1, so D can be "
            "negative.")


# --- the sweep -----------------------------------------------------------------------------------

def sweep_view(dataset_name: str) -> None:
    """The sweep's settings and buttons in the panel's narrow left column, its R–D plane on the right (the stage)."""
    key = f"beta_sweep_{dataset_name}"
    knobs_column, picture = training.stage()
    with knobs_column:
        config = sweep_settings(key)
    job: sweep.SweepJob | None = st.session_state.get(f"{key}_job")

    def on_start() -> None:
        new = sweep.SweepJob(dataset_name, config, session.device(), session.alive_check())
        new.start()
        st.session_state[f"{key}_job"] = new

    running = job is not None and not job.done
    row = knobs_column.container(horizontal=True, gap="small")  # as wide as their labels: columns cut them
    row.button("Run", icon=":material/play_arrow:", type="primary", key=f"{key}_start", on_click=on_start,
               disabled=running or not config.betas, help="Train one model per β, one after another.")
    row.button("Stop", icon=":material/stop:", key=f"{key}_stop", disabled=not running,
               on_click=(lambda: job.stop()) if running else None)
    knobs_column.caption(f"One 10-unit VAE (hidden 256) per β, {config.steps} steps each, on one CPU core: about "
                         f"{len(config.betas) * config.steps * SECONDS_PER_STEP:.0f} s on a 2-core laptop. The page "
                         "stays live meanwhile.")
    with picture:
        if job is None:
            sweep_results(dataset_name)  # the pretrained β-models, where shipped
            return
        training.poll(job, lambda: sweep_results(dataset_name),
                      text=lambda: f"{len(job.results)} of {len(job.config.betas)} models — {job.state}",
                      every=SWEEP_POLL_SECONDS)


def sweep_settings(key: str) -> sweep.SweepConfig:
    choices = sorted({b for b in training.BETAS if b > 0} | set(sweep.BETAS))
    betas = st.multiselect("β values", choices, default=list(sweep.BETAS), format_func="{:g}".format,
                           key=f"{key}_betas")
    steps = st.select_slider("Steps per model", SWEEP_STEPS, value=SWEEP_STEPS[min(2, len(SWEEP_STEPS) - 1)],
                             key=f"{key}_steps")
    free_bits = st.select_slider("Free bits λ", FREE_BITS, value=0.0, key=f"{key}_free_bits")
    warmup = st.select_slider("KL warm-up (steps)", WARMUP_STEPS, value=0, key=f"{key}_warmup")
    return sweep.SweepConfig(betas=tuple(sorted(betas)), steps=steps, seed=session.seed(), free_bits=free_bits,
                             kl_warmup_steps=warmup)


def sweep_results(dataset_name: str) -> None:
    found = available_models(dataset_name)
    if not found:
        return
    left, right = st.columns([3, 2])
    chart(rd.rate_distortion_plane(rd_points(found), title="R–D points, one per β"),
          width="stretch", container=left)
    migs = {group: ([r["beta"] for r in found.values() if r["group"] == group],
                    [r["mig"] for r in found.values() if r["group"] == group])
            for group in ("pretrained", "sweep") if any("mig" in r and r["group"] == group for r in found.values())}
    if migs:
        chart(rd.mig_vs_beta(migs, "MIG against β"), width="stretch", container=right)
    st.dataframe([{"model": label, "rate R (nats per image)": round(r["rate"], 2),
                   "distortion D (nats per image)": round(r["distortion"], 2),
                   "−ELBO (nats per image)": round(-r["elbo"], 2),
                   "‖x − x̂‖² at z = μ(x) (sum over pixels, per image)": round(r["squared_error"], 2),
                   "active units": r["active_units"],
                   **({"MIG": round(r["mig"], 3)} if "mig" in r else {})} for label, r in found.items()],
                 hide_index=True, width="stretch")


# --- collapse, traversals, samples ---------------------------------------------------------------

def unit_kl_view(dataset_name: str) -> None:
    picked = pick_model(dataset_name, "beta_collapse_model", last=True)
    if picked is not None:
        chart(rd.kl_per_unit_bars(picked["kl_per_unit"], picked["active"], picked["collapsed"],
                                  title="KL per latent unit"), width="stretch")
        st.markdown(f"**{picked['active_units']} of {len(picked['active'])}** units active "
                    f"(Cov_x E_q[z_u] > {metrics.ACTIVITY_THRESHOLD}); **{int(picked['collapsed'].sum())}** "
                    f"collapsed (q(z_u|x) ≈ N(0, 1) for 95% of x); rate {picked['rate']:.2f} nats.")


def traversal_view(dataset_name: str) -> None:
    picked = pick_model(dataset_name, "beta_traversal_model", last=True)
    if picked is None:
        return
    test = cache.dataset(dataset_name, "test")
    index = int(st.columns(4)[0].number_input("Held-out image", 0, len(test) - 1, 0, key="beta_traversal_index"))
    kl = picked["kl_per_unit"]
    order = np.argsort(-kl)  # the most informative units first
    traversal = metrics.latent_traversal(picked["model"], test.x[index], TRAVERSAL_VALUES)
    left, right = st.columns([3, 2])
    chart(rd.traversal_figure(rd.traversal_mosaic(traversal, test.image_shape, order),
                              [f"z{u + 1} · {kl[u]:.2f} nats" for u in order], TRAVERSAL_VALUES,
                              test.image_shape, "Unit z_u from −3 to +3, the others at E_q[z|x]"),
          width="stretch", container=left)
    right.image(upscale(test.x[index].reshape(test.image_shape).numpy(), 5), caption=f"input {index}")
    if "mig" in picked:
        right.metric("MIG against the true factors", f"{picked['mig']:.3f}")
        chart(rd.mig_gap_bars(picked["factor_names"], picked["mig_gaps"], "Gap per factor"),
              width="stretch", container=right)
    else:
        right.info("This data has no known factors, so MIG cannot be measured: pick Sprites for it.")


def samples_view(dataset_name: str) -> None:
    found = available_models(dataset_name)
    if not found:
        st.info("No β-model for this data yet: run a sweep, or see the live run's images.", icon=":material/info:")
        return
    test = cache.dataset(dataset_name, "test")
    x, shape = test.x[:N_SHOWN], test.image_shape
    header = st.columns([1, 3, 3], vertical_alignment="bottom")
    header[1].image(strip(x.numpy(), shape), caption="held-out inputs; their reconstructions below", width="stretch")
    header[2].markdown("**Prior samples** z ~ N(0, I), decoded:")
    for label, result in found.items():
        recon, samples = recon_and_samples(result["model"], x)
        cols = st.columns([1, 3, 3], vertical_alignment="center")
        cols[0].markdown(f"**{label}**  \nR = {result['rate']:.1f}, D = {result['distortion']:.1f}  \n"
                         f"‖x − x̂‖² = {result['squared_error']:.2f} (sum over pixels)")
        cols[1].image(strip(recon, shape), width="stretch")
        cols[2].image(strip(samples, shape), width="stretch")
