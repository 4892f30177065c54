"""The training panel every "Train your own" tab shares, laid out as a stage: settings, knobs and buttons in a
narrow left column, the live picture on the right (`stage`).

The untrained model is drawn before Train: the panel builds its job "ready" at step 0 (`current_job`), rebuilt when
a setting changes. Train plays it; Pause, Resume and Stop; Step +1/+10 trains that many steps at once and pauses;
Continue trains an ended run further; slow motion paces the steps. A run lives in `st.session_state` (one per
session and panel key) and, once started, in its browser's run list (`explorer.training.registry`), so a reload
finds it; it trains in a background thread (`explorer.training.jobs`), and a fragment reruns on a timer to draw its
progress, so every other widget stays live. The knob sliders (β, σ, …) write into the job at every rerun while it
can still train, so the next step uses them; an ended run keeps its knobs and says so (`frozen_knobs_note`).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from explorer import data, models
from explorer.figures.knob_rules import SYMBOLS
from explorer.training import estimate
from explorer.training.jobs import TrainingJob
from explorer.training.train import TrainConfig
from explorer.ui import figure_export, runs, session, time_travel
from explorer.ui.state import Choice, Knob, Range

BETAS = (0.0, 0.01, 0.03, 0.1, 0.3, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 8.0, 10.0)
STEPS = (250, 500, 1000, 2000, 3000, 5000)
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 1e-2, 3e-2, 0.1)
DECODERS = {"bernoulli": "Bernoulli (cross-entropy)", "gaussian": "Gaussian with σ (scaled L2)"}
STATES = {"ready": "untrained"}  # what the progress line says of a state
STEP_BUTTONS = (1, 10)  # Step: this many steps at once, then paused
CONTINUE_STEPS = 500  # Continue trains a finished run this many steps more
SLOW_PACE = 5.0  # steps per second in slow motion
POLL_SECONDS = 1.0  # the browser redraws the charts each poll: on a 2-core laptop that costs training speed


SETTINGS = ("kind", "steps", "lr", "lik", "beta", "sigma", "slow")  # the panel's widgets: f"{key}_{setting}"


def setting_knobs(key: str) -> dict[str, Knob]:
    """The panel's settings under `key` as knobs of its page, so a link opens the panel as it was set."""
    return {f"{key}_kind": Choice(("vae", "ae"), "vae"), f"{key}_steps": Choice(STEPS, 2000),
            f"{key}_lr": Choice(LEARNING_RATES, 2e-3), f"{key}_lik": Choice(tuple(DECODERS), "bernoulli"),
            f"{key}_beta": Choice(BETAS, 1.0), f"{key}_sigma": Range(0.01, 1.0, 0.01, 0.1), **slow_knob(key)}


def slow_knob(key: str) -> dict[str, Knob]:
    """The panel's slow-motion switch under `key`, a knob of its page: a link opens the panel in slow motion."""
    return {f"{key}_slow": Choice((False, True), False)}


def setting_keys(key: str) -> tuple[str, ...]:
    """The widget keys of the panel under `key`. A page whose panel sits in a lazy tab keeps them
    (`presets.KEEP`): the sliders keep their values while another tab is open, and so the running job its β and σ,
    which the sliders set at every rerun."""
    return tuple(f"{key}_{setting}" for setting in SETTINGS)


def knob_sliders(key: str, likelihood: str) -> dict:
    """beta on a log-like scale, and decoder sigma where the decoder is Gaussian."""
    knobs = {"beta": st.select_slider("β (weight of the KL term)", BETAS, value=1.0, key=f"{key}_beta",
                                      help="Acts on the next training step of a running model.")}
    if likelihood == "gaussian":
        knobs["decoder_sigma"] = st.slider("Decoder σ", 0.01, 1.0, 0.1, step=0.01, key=f"{key}_sigma",
                                           help="Std of p(x|z): small σ weighs reconstruction more.")
    return knobs


def run_settings(key: str, dataset: data.Dataset) -> tuple[str, TrainConfig, str]:
    kind = st.selectbox("Model", ("vae", "ae"), format_func=str.upper, key=f"{key}_kind")
    steps = st.select_slider("Steps", STEPS, value=2000, key=f"{key}_steps")
    lr = st.select_slider("Learning rate", LEARNING_RATES, value=2e-3, key=f"{key}_lr")
    likelihood = dataset.likelihood
    if dataset.is_image:
        likelihood = st.radio("Decoder p(x|z)", tuple(DECODERS), key=f"{key}_lik", format_func=DECODERS.get)
    config = TrainConfig(steps=steps, lr=lr, seed=session.seed(), log_every=20, eval_every=250)
    return kind, config, likelihood


def new_job(kind: str, dataset: data.Dataset, test: data.Dataset, config: TrainConfig,
            likelihood: str, knobs: dict) -> TrainingJob:
    model = models.build_seeded(kind, None, config.seed, x_dim=dataset.x_dim, z_dim=2, likelihood=likelihood,
                                image_shape=dataset.image_shape,
                                hidden=(512, 256) if dataset.x_dim > 100 else (128, 64))
    return TrainingJob(model.to(session.device()), dataset.x, config, knobs, x_test=test.x,
                       device=session.device(), copy_model=False, alive=session.alive_check())


def current_job(key: str, start: Callable[[], TrainingJob], settings: object) -> TrainingJob:
    """The session's job under `key`, else the run this browser keeps under `key` (after a reload, or the page's link
    opened again: `explorer.training.registry`); while none has started, an untrained one built from this run's
    `settings` (rebuilt when they change), so the page draws the model it is about to train, at step 0, before Train.
    A run stepped by hand joins the browser's runs here (Train's does in `controls`)."""
    token = runs.browser_here()
    job: TrainingJob | None = st.session_state.get(f"{key}_job")
    if job is None:
        job = runs.attach(token, key)
    if job is None or (job.state == "ready" and st.session_state.get(f"{key}_settings") != settings):
        job = start()
        st.session_state[f"{key}_job"], st.session_state[f"{key}_settings"] = job, settings
    elif job.state != "ready" and st.session_state.get(f"{key}_kept") is not job:
        runs.keep(key, job)
    return job


def frozen_knobs_note(job: TrainingJob, knobs: dict) -> None:
    """An ended run keeps the knobs it trained with (issue 23, item 7): a slider moved since changes nothing on it,
    neither its weights nor what the page scores with them, and the page says so instead of pretending it acts."""
    moved = [SYMBOLS.get(name, name) for name, value in knobs.items() if job.trainer.knobs.get(name) != value]
    if moved:
        st.caption(f"The run has ended, so {' and '.join(moved)} as set now change nothing on it. **Continue** trains "
                   "it on with them; **Train from scratch** starts a new run.")


def controls(key: str, job: TrainingJob, start: Callable[[], TrainingJob], knobs: dict) -> None:
    """Buttons act in on_click callbacks, so the rerun they cause already shows the new state. Train starts the
    untrained job on show, or a fresh one after a run; Step trains 1 or 10 steps at once and pauses there; Reset goes
    back to the untrained model (the runs dropped); Continue trains a finished run further, its step count going on."""

    def on_start() -> None:
        new = job if job.state == "ready" else start()
        new.start()
        st.session_state[f"{key}_job"] = new
        runs.keep(key, new)

    st.button("Train from scratch", icon=":material/play_arrow:", key=f"{key}_start", type="primary",
              on_click=runs.guarded(key, on_start), disabled=not (job.state == "ready" or job.done), width="stretch")
    button_row(key, job, start)
    if job.state in ("finished", "stopped"):
        st.button(f"Continue, +{CONTINUE_STEPS:,} steps", icon=":material/fast_forward:", key=f"{key}_continue",
                  on_click=runs.guarded(key, lambda: (job.set_knobs(**knobs), job.extend(CONTINUE_STEPS))),
                  width="stretch",
                  help="The same model trains on from here: its curves and step count go on.")
    slow = st.toggle("Slow motion", key=f"{key}_slow",  # a short label: "(5 steps/s)" was cut in the column
                     help=f"Paces the steps at {SLOW_PACE:g} per second so a hall can follow each one.")
    job.pace = SLOW_PACE if slow else None
    notice = st.session_state.pop(f"{key}_notice", None)
    if notice:
        st.warning(notice)


def button_row(key: str, job: TrainingJob, start: Callable[[], TrainingJob]) -> None:
    """Pause or Resume, Stop, Step +1 and +10, Reset: as wide as their labels, wrapping in a narrow column."""

    def on_reset() -> None:
        runs.forget(key)
        for name in ("scrub", "view"):
            st.session_state.pop(f"{key}_{name}", None)
        st.session_state[f"{key}_job"] = start()

    row = st.container(horizontal=True, gap="small")
    if job.state == "paused":  # one place for Pause and Resume
        row.button("Resume", icon=":material/resume:", key=f"{key}_resume", on_click=runs.guarded(key, job.resume))
    else:
        row.button("Pause", icon=":material/pause:", key=f"{key}_pause", on_click=job.pause,
                   disabled=job.state != "running")
    row.button("Stop", icon=":material/stop:", key=f"{key}_stop", on_click=job.stop,
               disabled=job.state not in ("running", "paused"))
    for steps in STEP_BUTTONS:
        row.button(f"+{steps}", icon=":material/skip_next:", key=f"{key}_step{steps}", on_click=job.advance,
                   args=(steps,), disabled=job.state not in ("ready", "paused"),
                   help=f"Train {steps} step{'s' * (steps > 1)} now, then pause: watch what one update does.")
    row.button("Reset", icon=":material/restart_alt:", key=f"{key}_restart", on_click=on_reset,
               disabled=job.state == "ready", help="Back to the untrained model at step 0; this panel's runs end.")


def poll(job, draw: Callable[[], None], text: Callable[[], str] | None = None, every: float = POLL_SECONDS) -> None:
    """A fragment that redraws a background job's progress (and `draw()`) every `every` seconds while it runs;
    then one full rerun turns the timer off and re-enables the buttons."""
    running = job.state == "running"  # a paused or stepped run changes only when a button reruns the page
    text = text or (lambda: f"step {job.step} / {job.config.steps} — {STATES.get(job.state, job.state)}")

    @st.fragment(run_every=every if running else None)
    def live() -> None:
        st.progress(job.progress, text=text())
        if job.message:
            (st.error if job.state in ("diverged", "failed") else st.info)(job.message)
        draw()
        if running and job.done:
            st.rerun()

    live()


def stage() -> tuple[DeltaGenerator, DeltaGenerator]:
    """The panel's stage (issue 22), as GAN Lab lays it out: the settings, knobs and buttons in a narrow column on
    the left, the live picture on the right, so on a projector the picture starts under the tabs."""
    return st.columns([1, 2] if session.projector() else [1, 3], gap="medium")  # larger text: a wider column


def live_job(key: str, start: Callable[[], TrainingJob], knobs: dict, hint: str,
             draw: Callable[[TrainingJob], None], settings: object, picture: DeltaGenerator) -> TrainingJob:
    """The buttons, then the session's job under `key` (`current_job`: untrained until Train), its knobs set from
    this rerun's sliders (they act on its next step) and `draw(job)` polled in `picture` while it trains; `hint`
    under the buttons while the model is untrained. The scrubber picks a kept step to draw instead, and branches
    from it; after a branch, both runs' curves share a chart under the picture (`time_travel`)."""
    job = current_job(key, start, settings)
    controls(key, job, start, knobs)
    shown = time_travel.scrubber(key, job)
    if shown is not job:  # the knobs as set now are the branch's, not the running run's
        time_travel.branch_button(key, job, shown, knobs)
    elif job.done:
        frozen_knobs_note(job, knobs)
    else:
        job.set_knobs(**knobs)
    if job.state == "ready":
        st.markdown(f":material/info: {hint}")
    else:
        figure_export.history_download(job, key)
    if note := estimate.duration_note(job, CONTINUE_STEPS):  # before Train: the run's time here, timed now
        st.caption(note)
    parent = time_travel.parent(key, session.browser_token())
    with picture:
        if shown is not job:
            st.caption(f"Showing the model as it was at step {shown.step:,}, kept; the run itself is at step "
                       f"{job.step:,}.")
        poll(job, lambda: (draw(shown), time_travel.compare(key, job, parent)))
    return job


def panel(key: str, dataset: data.Dataset, test: data.Dataset,
          live_view: Callable[[TrainingJob], None]) -> TrainingJob:
    """The whole panel; `live_view(job)` draws whatever the page shows of the model, untrained or training."""
    knobs_column, picture = stage()
    with knobs_column:
        kind, config, likelihood = run_settings(key, dataset)
        knobs = knob_sliders(key, likelihood)
        return live_job(key, lambda: new_job(kind, dataset, test, config, likelihood, knobs), knobs,
                        "Untrained, at step 0. Press **Train from scratch** to train it on this data, here, now.",
                        live_view, (dataset.name, kind, config, likelihood, session.device()), picture)
