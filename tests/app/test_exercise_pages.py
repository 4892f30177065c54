"""AppTest of the "Exercises" and "Assignment" pages alone: they run clean, the typed formula gets the right
verdict, sliders change the numbers, the VQ section names its remedy when the model or MNIST is missing and
checks a model when one is there, and the assignment page trains a tiny run and shows the reference code."""

from __future__ import annotations

import math
from pathlib import Path

from apptest import assert_clean, chart_titles, open_page, open_tab
from streamlit.testing.v1 import AppTest

from explorer import data, models
from explorer.analysis import exercises
from explorer.store import zoo
from explorer.training import jobs
from explorer.ui import cache
from explorer.ui.declarations.exercises import GUMBEL, VQ
from explorer.ui.views import assignment as assignment_views
from explorer.ui.views import exercises as exercise_views

ROOT = Path(__file__).resolve().parents[2]


def run_page(name: str) -> AppTest:
    return open_page(name)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def markdown(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def register_tiny_vq(zoo_path: Path) -> None:
    model = models.build("vqvae", None, hidden=(4, 8), code_dim=3, codebook_size=16).eval()
    zoo.register("mnist-vqvae", model, dataset="mnist", data="test", steps=0, seed=0, wall_time_s=0.0, metrics={},
                 dir=zoo_path)


# --- Exercises ------------------------------------------------------------------------------------------

def test_exercises_page_runs_alone_and_names_the_remedy_without_a_vqvae(zoo_dir):
    at = run_page("exercises.py")
    assert [t.label for t in at.tabs] == ["Analytic KL of a Gaussian", VQ, GUMBEL]
    closed = exercises.kl_closed_form(exercise_views.DEFAULT_MU[:2], exercise_views.DEFAULT_SIGMA[:2])
    assert metric(at, "KL, closed form (nats)") == metric(at, "KL, torch kl_divergence (nats)") == f"{closed:.4f}"
    latex = {x.value for x in at.latex}
    open_tab(at, "ex_tab", VQ)  # lazy tabs: only the open one is drawn
    assert "python -m explorer pretrain" in " ".join(i.value for i in at.info) and at.get("plotly_chart")
    latex |= {x.value for x in at.latex}
    open_tab(at, "ex_tab", GUMBEL)
    assert len(latex | {x.value for x in at.latex}) >= 14 and at.get("plotly_chart")
    assert float(metric(at, "p-value against p")) > 0.001
    assert any(c.value.startswith("Against p: p-value by the χ² approximation") for c in at.caption)


def test_typed_formulas_get_the_right_verdict(zoo_dir):
    at = run_page("exercises.py")
    box = lambda: at.text_input(key="kl_expression")  # noqa: E731 - the widget is looked up after each run
    box().input("sum(mu**2 + sigma**2)/2 - len(mu)/2 - sum(log(sigma))").run()
    assert_clean(at)
    assert [s.value for s in at.success] == [f"Correct: equal to the KL at all {exercises.CHECK_DRAWS} draws "
                                             "(d = 1 to 4)."] and not at.warning
    box().input("0.5*sum(mu**2 + sigma**2 - 1 - log(sigma))").run()
    assert not at.success and "Not equal to the KL at draw 1" in at.warning[0].value
    failing = next(t.value for t in at.table if "your expression" in t.value.columns)
    assert list(failing.index) == ["draw 1"] and "(0.5, -1)" == failing["μ"].iloc[0]  # the sliders' own values
    box().input("__import__('os').system('echo hi')").run()
    assert_clean(at)
    assert not at.success and at.warning[0].value.startswith("Not accepted: calling")
    box().input("lambda: 0").run()
    assert "lambda functions are not allowed" in at.warning[0].value


def test_sliders_change_the_numbers(zoo_dir):
    at = run_page("exercises.py")
    at.select_slider(key="kl_d").set_value(3).run()
    at.slider(key="kl_mu_2").set_value(2.0).run()
    at.slider(key="kl_sigma_0").set_value(0.5).run()
    assert_clean(at)
    mu, sigma = (0.5, -1.0, 2.0), (0.5, 1.5, 0.3)
    assert metric(at, "KL, closed form (nats)") == f"{exercises.kl_closed_form(mu, sigma):.4f}"
    open_tab(at, "ex_tab", VQ)
    at.select_slider(key="vq_k").set_value(128).run()
    assert f"log 128 = **{math.log(128):.6f}**" in markdown(at)
    assert "K = 128" in chart_titles(at)
    open_tab(at, "ex_tab", GUMBEL)
    before = metric(at, "χ² against p")
    at.slider(key="gx_logit_0").set_value(-2.0).run()
    assert_clean(at)
    assert metric(at, "χ² against p") != before
    assert "softmax(θ) = **(" in markdown(at)


def test_vq_section_checks_a_registered_model(zoo_dir, mnist_dir):
    register_tiny_vq(zoo_dir)
    at = open_tab(run_page("exercises.py"), "ex_tab", VQ)
    rows = next(t.value for t in at.table if "per image (nats)" in t.value.columns)
    expected = f"{49 * math.log(16):.4f}"
    assert rows.loc["n_positions · log K = 49 · log 16"].iloc[0] == expected
    assert rows.iloc[2, 0].startswith(expected)  # from the model's codes by torch.distributions
    assert "mnist-vqvae: soft q at every position, T = 0.1" in chart_titles(at)
    at.select_slider(key="vq_temperature").set_value(10.0).run()
    assert_clean(at)
    assert "T = 10" in chart_titles(at)


def test_vq_section_names_the_remedy_without_mnist(zoo_dir, monkeypatch):
    register_tiny_vq(zoo_dir)

    def unavailable(name, split="test"):
        raise data.DatasetUnavailable("MNIST was not found here")

    monkeypatch.setattr(cache, "dataset", unavailable)
    at = open_tab(run_page("exercises.py"), "ex_tab", VQ)
    notes = " ".join(i.value for i in at.info)
    assert "MNIST was not found here" in notes and "python -m explorer pretrain" in notes


# --- Assignment -----------------------------------------------------------------------------------------

def test_assignment_page_shows_the_data_and_the_reference_code():
    at = run_page("assignment.py")
    assert [t.label for t in at.tabs] == ["Train the reference", "Reference code"]
    assert "Press **Train**" in " ".join(i.value for i in at.info)
    open_tab(at, "asg_tab", "Reference code")
    shown_code = {c.value for e in at.expander if e.label == "Show the code" for c in e.code}  # not the listing
    codes = [c.value for c in at.tabs[1].code if c.value not in shown_code]
    assert len(codes) == len(exercises.REFERENCE) and any(c.startswith("def loss(") for c in codes)
    assert any("kl_normal_standard_per_unit" in c for c in codes)


def test_assignment_page_trains_a_tiny_run(monkeypatch):
    monkeypatch.setattr(assignment_views, "STEPS", (20, 40))
    at = run_page("assignment.py")
    at.selectbox(key="asg_dataset").set_value("8gaussians").run()
    at.select_slider(key="asg_steps").set_value(20).run()
    at.button(key="asg_start").click().run()
    assert_clean(at)
    job = at.session_state[assignment_views.JOBS]["8gaussians"]
    try:
        assert jobs.wait_until(lambda: job.done, timeout=60), job.state
        assert job.state == "finished" and job.step == 20, job.message
        at.run()
        assert_clean(at)
        titles = chart_titles(at)
        for title in ("Reference loss curve", "500 decoded prior samples", "Decoded 15×15 latent grid"):
            assert title in titles, title
        assert metric(at, "held-out ELBO (step 20)")
        at.selectbox(key="asg_dataset").set_value("moons").run()  # another set: untrained, the first is kept
        assert "Press **Train**" in " ".join(i.value for i in at.info)
        assert "Also trained in this session: 8 Gaussians" in " ".join(c.value for c in at.caption)
    finally:
        job.stop()
