"""Time travel, A|B and Reset on the training panel (issue 23, items 2 and 6), in AppTest on Latent space's training
tab: the scrubber draws a kept step, "Branch from here" trains a new run from it with the knobs as set now, both
runs' curves share one chart with a rule where they part, and Reset goes back to the untrained model."""

from __future__ import annotations

import pytest
from apptest import assert_clean, chart_specs, open_page, open_tab

from explorer.data.mnist import SHARED_MNIST
from explorer.store import zoo
from explorer.training import jobs

KEY = "latent_train"
pytestmark = pytest.mark.skipif(not SHARED_MNIST.exists() or not zoo.names(),
                                reason="needs ../shared/data/mnist and the pretrained models")


@pytest.fixture()
def panel():
    at = open_tab(open_page("latent_space.py", timeout=180), "latent_tab", "Train your own")
    at.select_slider(key=f"{KEY}_steps").set_value(250).run()  # a kept step every 25 steps
    yield at
    for job in list(jobs._running):
        job.stop()


def step_to(at, steps: int) -> None:
    for _ in range(steps // 10):
        at.button(key=f"{KEY}_step10").click().run()


def test_the_scrubber_draws_a_kept_step_and_the_run_goes_on(panel):
    at = panel
    assert not [s for s in at.select_slider if s.key == f"{KEY}_scrub"]  # nothing kept before the current step
    step_to(at, 30)
    job = at.session_state[f"{KEY}_job"]
    assert job.step == 30 and job.trainer.kept.steps == [0, 25]
    scrub = at.select_slider(key=f"{KEY}_scrub")
    assert scrub.options == ["0", "25", "now"]
    scrub.set_value(25).run()
    assert_clean(at)
    assert any("Latent map at step 25" in str(spec) for spec in chart_specs(at))
    assert any("as it was at step 25" in c.value for c in at.caption)
    assert at.session_state[f"{KEY}_job"] is job and job.step == 30  # the run itself is where it was


def test_branch_from_a_kept_step_draws_both_runs_on_one_chart(panel):
    at = panel
    step_to(at, 30)
    parent = at.session_state[f"{KEY}_job"]
    at.select_slider(key=f"{KEY}_scrub").set_value(25).run()
    at.select_slider(key=f"{KEY}_beta").set_value(8.0).run()
    assert parent.trainer.knobs["beta"] == 1.0  # β moved while a kept step is shown is the branch's, not the run's
    at.button(key=f"{KEY}_branch").click().run()
    assert_clean(at)
    branch = at.session_state[f"{KEY}_job"]
    assert branch is not parent and branch.branched_at == 25 and branch.trainer.knobs["beta"] == 8.0
    assert jobs.wait_until(lambda: branch.step >= 40, timeout=60)
    branch.pause()
    at.run()
    compare = [s for s in chart_specs(at) if "A | B" in str(s)]
    assert compare, "no A|B chart"
    names = [t["name"] for t in compare[0]["data"]]
    assert any(n.startswith("A: β 1") for n in names) and any(n.startswith("B: β 8") for n in names), names
    assert "B branches: β 1 → 8" in str(compare[0]["layout"]["annotations"])


def test_reset_goes_back_to_the_untrained_model(panel):
    at = panel
    step_to(at, 10)
    stepped = at.session_state[f"{KEY}_job"]
    at.button(key=f"{KEY}_restart").click().run()
    assert_clean(at)
    fresh = at.session_state[f"{KEY}_job"]
    assert fresh is not stepped and fresh.state == "ready" and fresh.step == 0
    assert stepped.state == "stopped"
    assert at.button(key=f"{KEY}_restart").disabled


def test_the_scrubber_first_shows_the_live_model(panel):
    at = panel
    step_to(at, 30)
    assert at.select_slider(key=f"{KEY}_scrub").value == "now"
    assert not [c for c in at.caption if "as it was at step" in c.value]
