"""Fixed frames (issue 23, item 3), on the Latent space page's "Train your own" panel: β moved from 1 to 8 between two
Step ×10 presses is a rule labelled "β 1 → 8" on the loss chart at step 10, and the latent map keeps its axes (the
VAE's ±4 around the prior's 1σ/2σ/3σ circles), so the change is seen in the codes, not in the tick labels."""

from __future__ import annotations

import pytest
from apptest import assert_clean, chart_specs, open_page, open_tab

from explorer.data.mnist import SHARED_MNIST
from explorer.store import zoo

pytestmark = pytest.mark.skipif(not SHARED_MNIST.exists() or not zoo.names(),
                                reason="needs ../shared/data/mnist and the pretrained models")


def chart(at, title: str) -> dict:
    """The one chart whose title starts with `title`, parsed."""
    (spec,) = [s for s in chart_specs(at) if s["layout"].get("title", {}).get("text", "").startswith(title)]
    return spec


def axes(spec: dict) -> tuple[list, list]:
    return spec["layout"]["xaxis"]["range"], spec["layout"]["yaxis"]["range"]


def test_a_beta_change_is_a_labelled_rule_and_the_map_keeps_its_axes():
    at = open_tab(open_page("latent_space.py", timeout=180), "latent_tab", "Train your own")
    job = at.session_state["latent_train_job"]
    try:
        untrained = axes(chart(at, "Latent map at step 0"))
        job.advance(10)
        at.run()
        before = chart(at, "Latent map at step 10")
        assert not [s for s in chart(at, "Loss terms")["layout"].get("shapes", []) if s["type"] == "line"]
        at.select_slider(key="latent_train_beta").set_value(8.0).run()  # the panel sets the job's β from it
        assert job.trainer.knobs["beta"] == 8.0
        job.advance(10)
        at.run()
        assert_clean(at)
        loss, after = chart(at, "Loss terms"), chart(at, "Latent map at step 20")
        rules = [s for s in loss["layout"].get("shapes", []) if s["type"] == "line"]
        assert [(s["x0"], s["x1"]) for s in rules] == [(10, 10)]
        assert [a["text"] for a in loss["layout"].get("annotations", [])] == ["β 1 → 8"]
        assert untrained == axes(before) == axes(after) == ([-4, 4], [-4, 4])
        radii = sorted(s["x1"] for s in after["layout"]["shapes"] if s["type"] == "circle")
        assert radii == [1, 2, 3]
        assert any("±4 for the whole run" in c.value for c in at.caption)
    finally:
        job.stop()


KNOBS = [  # (page, lazy tabs' key, tab, panel key, slider, value, a live chart's title, its mark)
    ("categorical_vae.py", "gumbel_tab", "Train your own", "gumbel_live", "gumbel_live_tau", 0.5,
     "τ over training", "τ 1 → 0.5"),
    ("hierarchical_vae.py", "hvae_tab", "Train your own", "hvae_live", "hvae_live_free_bits", 0.5,
     "KL per group", "λ 0 → 0.5"),
    ("vq_vae.py", "vq_tab", "Train your own", "vq_live", "vq_live_beta", 1.0,
     "Perplexity, unused and reset codes", "commitment β 0.25 → 1"),
    ("beta_sigma.py", "beta_tab", "Live β and σ", "beta_live_sprites", "beta_live_sprites_beta", 8.0,
     "R–D plane", "β 1 → 8 (step 10)"),
]


@pytest.mark.parametrize(("page", "tab_key", "tab", "key", "slider", "value", "title", "mark"), KNOBS,
                         ids=[k[0] for k in KNOBS])
def test_every_live_chart_marks_a_knob_moved_by_hand(page, tab_key, tab, key, slider, value, title, mark):
    at = open_tab(open_page(page, timeout=180), tab_key, tab)
    job = at.session_state[f"{key}_job"]
    try:
        job.advance(10)
        at.select_slider(key=slider).set_value(value).run()
        job.advance(10)
        at.run()
        assert_clean(at)
        notes = [a["text"] for a in chart(at, title)["layout"].get("annotations", [])]
        assert mark in notes, notes
    finally:
        job.stop()
