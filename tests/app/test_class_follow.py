"""The class in AppTest (issue 24, items 1 and 2): a lecturer opens a room, two students join by link and by code,
follow the lecturer's page, tab and knobs, one explores on their own and is brought back; refused codes are named."""

from __future__ import annotations

import apptest
import pytest
from apptest import app_session, assert_clean, room_lecturer
from streamlit.testing.v1 import AppTest

from explorer.ui import class_room, session


@pytest.fixture()
def lecturer():
    return room_lecturer()


def test_a_room_has_a_code_a_qr_code_and_no_secret_in_its_link(lecturer):
    code, secret = lecturer.session_state["class_code"], lecturer.session_state["class_secret"]
    assert len(code) == 6 and secret and secret not in str(lecturer.query_params)
    assert lecturer.query_params["room"] == code
    assert any(f"Room **{code}**" in m.value for m in lecturer.markdown)
    assert lecturer.sidebar.get("image"), "no QR code"


def test_students_follow_the_lecturers_page_tab_and_knobs(lecturer):
    code = lecturer.session_state["class_code"]
    by_link = app_session({"room": code})
    by_code = app_session()
    by_code.text_input(key="class_join_text").input(code.lower())
    by_code.button(key="class_join").click().run()
    assert by_code.session_state["class_code"] == code
    lecturer.switch_page("pages/reparameterization.py").run()
    lecturer.slider(key="rep_mu").set_value(1.5).run()
    assert_clean(lecturer)
    for student in (by_link, by_code):
        student.run()  # the follow fragment sees the new view: the app reruns on the lecturer's page
        assert_clean(student)
        assert student.session_state["rep_mu"] == 1.5
        assert student.title[0].value == "The reparameterization trick"


def test_explore_on_my_own_then_bring_everyone_here(lecturer):
    code = lecturer.session_state["class_code"]
    student = app_session({"room": code})
    lecturer.switch_page("pages/reparameterization.py").run()
    student.run()
    student.toggle(key="class_following").set_value(False).run()  # explore: the lecturer's moves stay theirs
    lecturer.slider(key="rep_mu").set_value(2.0).run()
    student.run()
    assert student.session_state["rep_mu"] != 2.0
    assert class_room.classroom().presence(code) == {"following": 0, "exploring": 1}
    lecturer.button(key="class_gather").click().run()
    student.run()
    assert student.session_state["class_following"] and student.session_state["rep_mu"] == 2.0


def test_a_refused_code_is_named_and_nothing_joined(lecturer):
    student = app_session({"room": "<script>"})
    assert "class_code" not in student.session_state
    assert any("room" in c.value.lower() for c in student.sidebar.caption), [c.value for c in student.sidebar.caption]
    assert "room" not in student.query_params  # a refused code leaves the address bar


def test_a_huge_room_link_is_refused_and_nothing_joined(lecturer):
    student = app_session({"room": "A" * 100_000})
    assert "class_code" not in student.session_state
    assert [c.value for c in student.sidebar.caption if "room" in c.value.lower()]
    assert class_room.classroom().presence(lecturer.session_state["class_code"]) == {"following": 0, "exploring": 0}


def test_a_forged_view_sets_only_the_pages_knobs_and_only_to_allowed_values(lecturer):
    """A view in the room that no lecturer's app would publish (a value out of range, a key of no page) reaches a
    follower only through the page's own knob parsing: refused values fall back to their defaults."""
    code, secret = lecturer.session_state["class_code"], lecturer.session_state["class_secret"]
    student = app_session({"room": code})
    class_room.classroom().publish(code, secret, "reparameterization",
                                   {"rep_mu": "1e999", "rep_sigma": "0.3", "class_secret": "x", "seed": "7"})
    student.run()
    assert_clean(student)
    assert student.title[0].value == "The reparameterization trick"
    assert student.session_state["rep_sigma"] == 0.3 and student.session_state["rep_mu"] == 0.5  # μ: the default
    assert student.session_state["class_secret"] is None and student.session_state["seed"] == 0  # not the page's


def test_a_student_has_no_lecturer_controls_and_the_room_refuses_its_acts(lecturer):
    code = lecturer.session_state["class_code"]
    student = app_session({"room": code})
    keys = {b.key for b in student.sidebar.button}
    assert not keys & {"class_gather", "class_close", "class_q_ask", "class_q_reveal", "class_sweep_start"}
    with pytest.raises(class_room.RoomError, match="secret"):
        class_room.classroom().bring_everyone_here(code, "not-the-secret")


def test_a_lecturers_reload_keeps_the_room_until_it_is_closed(lecturer):
    code, token = lecturer.session_state["class_code"], lecturer.session_state[session.BROWSER_TOKEN_KEY]

    def reload() -> AppTest:  # a new session of the same browser: its token comes back (the cookie, in a browser)
        again = AppTest.from_file(apptest.APP, default_timeout=180)
        again.session_state[session.BROWSER_TOKEN_KEY] = token
        again.run()
        assert_clean(again)
        return again

    again = reload()
    assert again.session_state["class_code"] == code and again.session_state["class_secret"]
    again.button(key="class_close").click().run()
    assert "class_code" not in reload().session_state  # closed: the next reload leads no room
