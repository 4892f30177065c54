"""The ELBO page in AppTest: the gap shown two ways agrees, K and the input can change."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest import chart_texts
from streamlit.testing.v1 import AppTest

from explorer.store import zoo

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif("moons-vae-2d" not in zoo.names(), reason="no pretrained moons-vae-2d: run pretrain")


def metric(at: AppTest, label: str) -> float:
    """A metric's number, its unit in the label ("log p(x) − ELBO (nats)"), a true minus sign where negative."""
    return float(next(m.value for m in at.metric if m.label == f"{label} (nats)").replace("−", "-"))


def test_gap_two_ways_agree_and_k_changes_the_ladder():
    at = AppTest.from_file(str(ROOT / "pages/elbo_gap.py"), default_timeout=180)
    at.run()
    at.radio(key="gap_model").set_value("moons-vae-2d").run()
    assert not at.exception, [e.message for e in at.exception]
    gap, kl = metric(at, "log p(x) − ELBO"), metric(at, "KL(q ‖ p(z|x)) on the grid")
    assert gap >= 0 and abs(gap - kl) < 0.01
    at.select_slider(key="gap_k_moons-vae-2d").set_value(1000).run()
    assert any(text.startswith("IWAE-1000") for text in chart_texts(at))
    at.number_input(key="gap_index_moons-vae-2d").set_value(7).run()
    assert not at.exception
    assert metric(at, "log p(x) − ELBO") != gap  # a new input, a new gap
