"""Hostile links and answers in AppTest: a link whose values no widget offers (a 400- or 5,000-digit seed, 'nan',
'1e999', other scripts' digits) opens the page clean, a note names each refused value with its reason, and the
URL keeps only what was taken; a vector-valued answer at d = 1 gets a verdict, not an exception."""

from __future__ import annotations

import pytest
from apptest import assert_clean, open_link
from streamlit.testing.v1 import AppTest

NOTE = "Ignored in the link:"


def link_note(at: AppTest) -> str:
    notes = [c.value for c in at.caption if c.value.startswith(NOTE)]
    assert len(notes) == 1, [c.value for c in at.caption]
    return notes[0]


def test_a_link_with_hostile_values_opens_clean_names_them_and_cleans_the_url(zoo_dir):
    at = open_link("reparameterization.py", {"rep_seed": "1" * 400, "rep_mu": "nan", "rep_sigma": "1e999",
                                             "rep_param": "<script>", "rep_objective": "step", "elsewhere": "x"})
    note = link_note(at)
    assert "`rep_seed=111111111111111111111111… (400 characters)`: outside 0–1000000" in note
    assert "`rep_mu=nan`: not a number" in note and "`rep_sigma=1e999`: outside 0.1–2" in note
    assert "`rep_param=<script>`: not one of the options" in note and "elsewhere" not in note  # not this page's
    assert at.radio(key="rep_objective").value == "step" and at.slider(key="rep_mu").value == 0.5
    assert at.query_params == {"rep_objective": "step"}  # the refused values have left the URL
    at.slider(key="rep_sigma").set_value(1.2).run()  # the next run: no note, since the link no longer has them
    assert_clean(at)
    assert not [c for c in at.caption if c.value.startswith(NOTE)]
    assert at.query_params == {"rep_objective": "step", "rep_sigma": "1.2"}


@pytest.mark.parametrize(("seed", "reason"), [("9" * 4300, "outside 0–1000000"), ("1" * 5000, "outside 0–1000000"),
                                              ("١٢", "not a number"), ("7.5", "not written as a whole number")])
def test_an_exercises_link_with_a_hostile_seed_keeps_the_default_and_says_why(zoo_dir, seed, reason):
    at = open_link("exercises.py", {"kl_d": "1", "kl_seed": seed, "gx_k": "7"})
    note = link_note(at)
    assert f": {reason}" in note and "`gx_k=7`: not one of the options" in note
    assert at.select_slider(key="kl_d").value == 1 and at.session_state["kl_seed"] == 1
    assert at.query_params == {"kl_d": "1"}


@pytest.mark.parametrize("answer", ["mu", "0.5*(mu**2 + sigma**2 - 1 - log(sigma**2))"])
def test_a_vector_answer_at_d_1_gets_a_verdict_with_the_hint_to_sum(zoo_dir, answer):
    at = open_link("exercises.py", {"kl_d": "1"})
    at.text_input(key="kl_expression").input(answer).run()
    assert_clean(at)
    assert not at.success and "a sum over the dimensions?" in at.warning[0].value
    assert "1-dimensional" in at.warning[0].value
