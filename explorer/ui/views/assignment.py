"""The views of the "Assignment: a VAE on toy data" page: the reference solution of the lecture's assignment
("write a trainable VAE on toy datasets"), trained here on the toy 2-D set the student picks.

One set at a time: the select box picks the set, **Train** starts a background `TrainingJob` of the project's
own VAE (2-D latent, a 64-64 MLP, Gaussian decoder with σ = 0.1) and a fragment polls it, so the page stays
live. A session keeps one run per set, so the student can flip between the sets already trained. What is shown:
the loss curve, decoded prior samples over the data, the decoded latent grid, and the real source of the model,
loss and training step (`exercises.reference_sources`), the listing picked on top of its tab. Numbers come from
`explorer.analysis.exercises`, figures from `explorer.figures.exercises` and `explorer.figures.curves`.
"""

from __future__ import annotations

import streamlit as st

from explorer import data
from explorer.analysis import exercises
from explorer.figures import exercises as figures
from explorer.training.jobs import QueueFull, TrainingJob
from explorer.ui import cache, session
from explorer.ui.figure_export import chart

LABELS = {"moons": "two moons", "circles": "circles", "pinwheel": "pinwheel", "8gaussians": "8 Gaussians",
          "swissroll": "swiss roll", "checkerboard": "checkerboard"}
STEPS = (300, 500, 1000, 1500)
SAMPLES, GRID, DATA_SHOWN = 500, 15, 1000
POLL_SECONDS = 1.0
PER_POINT = "nats per point, the mean over the held-out points"  # one x of the toy data is one 2-D point
JOBS, NOTICE = "assignment_jobs", "assignment_notice"
FIRST_LISTING = "VAE.loss"  # the assignment's heart: the ELBO's two terms, one reparameterized sample


def session_jobs() -> dict[str, TrainingJob]:
    """This session's runs, one per toy set."""
    return st.session_state.setdefault(JOBS, {})


def start_job(name: str, steps: int) -> None:
    """A new run of the reference VAE on `name` (an on_click callback: the rerun it causes shows it)."""
    train, test = cache.dataset(name, "train"), cache.dataset(name, "test")
    device = session.device()
    model = exercises.assignment_model(session.seed()).to(device)
    job = TrainingJob(model, train.x, exercises.assignment_config(steps, session.seed()), {"beta": 1.0},
                      x_test=test.x, device=device, copy_model=False, alive=session.alive_check())
    try:
        job.start()
    except QueueFull as err:
        st.session_state[NOTICE] = str(err)
        return
    session_jobs()[name] = job


def controls() -> tuple[str, int, TrainingJob | None]:
    """The set, the steps, **Train** and **Stop** in one row; the set picked, its steps and its run (None before
    the first **Train** on it)."""
    cols = st.columns([3, 3, 2, 2], vertical_alignment="bottom")
    name = cols[0].selectbox("Toy data set", data.TOY2D, format_func=lambda n: LABELS.get(n, n), key="asg_dataset")
    steps = cols[1].select_slider("Training steps", STEPS, value=STEPS[-1], key="asg_steps",
                                  format_func=lambda s: f"{s:,}")
    job = session_jobs().get(name)
    busy = job is not None and not job.done
    cols[2].button("Train", icon=":material/play_arrow:", type="primary", key="asg_start", disabled=busy,
                   on_click=start_job, args=(name, steps), width="stretch")
    cols[3].button("Stop", icon=":material/stop:", key="asg_stop", disabled=not busy,
                   on_click=job.stop if job is not None else None, width="stretch")
    trained = [LABELS.get(n, n) for n, j in session_jobs().items() if j.done and n != name]
    if trained:
        st.caption("Also trained in this session: " + ", ".join(trained) + " (pick them above).")
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.warning(notice)
    return name, steps, session_jobs().get(name)


def _pictures(model) -> tuple:
    """Prior samples and the decoded grid of the model as it stands (between two training steps)."""
    return exercises.prior_samples(model, SAMPLES), exercises.decoded_grid(model, GRID)


def results_view(name: str, job: TrainingJob) -> None:
    """Progress, curve, samples and decoded grid; redrawn every poll while the job runs."""
    x = cache.dataset(name, "test").x[:DATA_SHOWN].numpy()
    running = not job.done

    @st.fragment(run_every=POLL_SECONDS if running else None)
    def live() -> None:
        st.progress(job.progress, text=f"step {job.step:,} / {job.config.steps:,} — {job.state}")
        if job.message:
            (st.error if job.state in ("diverged", "failed") else st.info)(job.message)
        history = job.history
        samples, grid = job.read(_pictures)
        chart(figures.loss_curve_figure(history, ("loss", "recon", "kl", "test_recon", "test_kl"),
                                                  "Reference loss curve"), width="stretch", key="asg_curve")
        left, right = st.columns(2)
        chart(figures.toy_samples_figure(x, samples, f"{SAMPLES} decoded prior samples"),
                          width="stretch", key="asg_samples", container=left)
        chart(figures.decoded_grid_figure(x, grid, f"Decoded {GRID}×{GRID} latent grid, z in ±2.5"),
                           width="stretch", key="asg_grid", container=right)
        final = next((row for row in reversed(history) if "test_elbo" in row), None)
        if final is not None:
            cols = st.columns(3)
            cols[0].metric(f"held-out ELBO (step {final['step']:,})", f"{final['test_elbo']:.3f}",
                           help=PER_POINT)
            cols[1].metric("held-out recon", f"{final['test_recon']:.3f}", help=PER_POINT)
            cols[2].metric("held-out KL", f"{final['test_kl']:.3f}", help=PER_POINT)
        if running and job.done:
            st.rerun()  # one full rerun turns the timer off and re-enables the buttons

    live()


def data_view(name: str) -> None:
    x = cache.dataset(name, "test").x[:DATA_SHOWN].numpy()
    st.info("Press **Train** to train the reference VAE on this set, here, now (a few seconds).")
    chart(figures.toy_samples_figure(x, x[:0], f"{LABELS.get(name, name)}: {DATA_SHOWN} held-out points"),
                    width="stretch", key="asg_data")


def setup_view() -> None:
    config, train = exercises.ASSIGNMENT_MODEL, exercises.assignment_config()
    st.markdown(f"**The reference solution.** `VAE` with a {config['z_dim']}-D latent, encoder and decoder MLPs "
                f"{config['x_dim']} → {' → '.join(map(str, config['hidden']))} → (μ, log σ²) and back, a Gaussian "
                f"decoder with σ = {config['decoder_sigma']}, β = 1; Adam, learning rate {train.lr:g}, batches of "
                f"{train.batch_size}; one reparameterized sample per point. Curves are in nats per point.")


def source_view() -> None:
    """The listing picked with the radio first, where a projector shows it (issue 22); the others below it,
    closed, in the order the reference runs them: each listing once."""
    sources = exercises.reference_sources()
    names = list(sources)
    picked = st.radio("Listing", names, index=names.index(FIRST_LISTING), key="asg_code", horizontal=True,
                      format_func=lambda name: f"`{name}`")
    st.code(sources[picked], language="python", wrap_lines=True)  # no line cut at the edge of a projector
    st.caption("The other listings of the reference, in the order it runs them:")
    for name in names:
        if name != picked:
            with st.expander(f"`{name}`"):
                st.code(sources[name], language="python", wrap_lines=True)
