"""The class computes (issue 24, item 4) in AppTest: a lecturer and two students; the lecturer starts a two-point
sweep, each student's session claims a point, trains it as a background job (a few steps: `POINT_STEPS` shrunk)
and submits it, and the lecturer's plot shows both points; a student who vanishes has their point trained by the
other once the claim is stale (the room's clock moved on)."""

from __future__ import annotations

import time

import pytest
from apptest import app_session, assert_clean, chart_specs, room_lecturer
from streamlit.testing.v1 import AppTest

from explorer.classroom import checks
from explorer.training import class_sweep, jobs
from explorer.ui import class_room

TWO = "β 0.5 and 4 (2 points)"



@pytest.fixture()
def lecturer(monkeypatch):
    monkeypatch.setattr(class_sweep, "POINT_STEPS", 5)
    presets = class_sweep.presets
    monkeypatch.setattr(class_sweep, "presets", lambda steps: {
        TWO: {"knob": "beta", "values": [0.5, 4.0], "model": class_sweep.sweep_model(steps)}, **presets(steps)})
    return room_lecturer()


def start(lecturer: AppTest) -> None:
    lecturer.selectbox(key="class_sweep_preset").set_value(TWO).run()
    lecturer.button(key="class_sweep_start").click().run()
    assert_clean(lecturer)


def trained(student: AppTest) -> None:
    """Run the student's session until its point is trained and submitted (each run is one tick)."""
    helper = student.session_state[class_sweep_key()]
    assert helper.job is not None, "no point claimed"
    assert jobs.wait_until(lambda: helper.job.result is not None or helper.job.done, timeout=120)
    student.run()
    assert_clean(student)


def class_sweep_key() -> str:
    from explorer.ui.class_sweep import HELPER_KEY

    return HELPER_KEY


def plotted_points(lecturer: AppTest) -> list[float]:
    lecturer.run()
    assert_clean(lecturer)
    plane = next(spec for spec in chart_specs(lecturer) if spec["layout"]["title"]["text"].startswith("The class"))
    (points,) = [trace for trace in plane["data"] if trace.get("name") == "one student's point each"]
    return points["x"]


def test_two_students_fill_the_lecturers_plot(lecturer):
    code = lecturer.session_state["class_code"]
    students = [app_session({"room": code}), app_session({"room": code})]
    start(lecturer)
    for student in students:
        student.run()  # the fragment's tick: a point claimed and started
        assert_clean(student)
        assert any("Training β" in p.proto.text for p in student.get("progress")), "no point in training"
    for student in students:
        trained(student)
        assert any("You trained 1 point(s)" in c.value for c in student.caption), [c.value for c in student.caption]
    assert len(plotted_points(lecturer)) == 2
    assert "2 done · 0 training · 0 waiting" in " ".join(m.value for m in lecturer.markdown)


def test_a_vanished_students_point_goes_to_the_other(lecturer, monkeypatch):
    code = lecturer.session_state["class_code"]
    gone, stays = app_session({"room": code}), app_session({"room": code})
    start(lecturer)
    gone.run()  # claims a point; then the tab closes: no more runs, no heartbeats, its job ends with the session
    gone.session_state[class_sweep_key()].job.stop()
    stays.run()
    trained(stays)
    assert any("Every point is taken" in c.value for c in stays.caption)
    room = class_room.classroom()
    monkeypatch.setattr(room, "clock", lambda: time.time() + checks.CLAIM_STALE_S + 5)
    stays.run()  # its heartbeat is fresh on the new clock; the other claim is stale: the point is its own
    trained(stays)
    assert stays.session_state[class_sweep_key()].submitted == 2
    assert len(plotted_points(lecturer)) == 2
