"""VAE as EM at 1280×720 (issue 22): its key numbers were cut to "log p(x) −2.…" and "gap 0.0…" (three metrics in
a row of a 308 px column), its "k-means (hard assignments)" toggle and "Run 20 iterations" button cut too. Each
metric now has a row of its own, its value carrying its unit; every label fits its block."""

from __future__ import annotations

from apptest import assert_clean, open_page
from layout_widths import cut_labels, cut_metrics


def stepped() -> object:
    at = open_page("vae_em.py", 180)
    for key in ("em_step_e", "em_step_m"):
        at.button(key=key).click().run()
        assert_clean(at)
    return at


def test_the_numbers_fit_their_column_and_carry_nats():
    at = stepped()
    assert len(at.metric) == 3
    assert not cut_metrics(at.main), cut_metrics(at.main)
    assert all(metric.value.endswith(" nats") for metric in at.metric), [m.value for m in at.metric]


def test_the_buttons_and_the_toggle_are_not_cut():
    at = stepped()
    assert not cut_labels(at.main), cut_labels(at.main)
