"""Predict, then reveal in AppTest (issue 24, item 3): a lecturer asks, two students answer above the page, the
lecturer sees the count and reveals; everyone sees the class's answers beside the truth. A student has no reveal
control and the room refuses a reveal without the secret; a second answer replaces the first."""

from __future__ import annotations

import json

import pytest
from apptest import app_session, assert_clean, room_lecturer
from streamlit.testing.v1 import AppTest

from explorer.classroom import RoomError
from explorer.figures.class_answers import TRUE
from explorer.lecture import questions
from explorer.ui import class_predict, class_room

QUESTION = "tau_one_hot"  # a choice whose truth takes milliseconds



@pytest.fixture()
def lecturer(monkeypatch):
    class_predict._FUTURES.clear()  # truths measured by an earlier test (a stubbed one, say) are not kept
    yield room_lecturer()
    class_predict._FUTURES.clear()


def ask(lecturer: AppTest, question_id: str = QUESTION) -> None:
    lecturer.selectbox(key="class_q_pick").set_value(question_id).run()
    lecturer.button(key="class_q_ask").click().run()
    assert_clean(lecturer)


def answer(student: AppTest, value: int, question_id: str = QUESTION) -> None:
    student.run()  # the panel above the page finds the question
    student.radio(key=f"class_answer_{question_id}").set_value(value).run()
    student.button(key=f"class_send_{question_id}").click().run()
    assert_clean(student)


def answers_figure(at: AppTest, question_id: str = QUESTION) -> dict:
    charts = [c for c in at.get("plotly_chart") if f"class_answers_{question_id}" in c.proto.id]
    assert charts, "no figure of the class's answers"
    return json.loads(charts[0].proto.spec)


def texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown] + [c.value for c in at.caption]


def test_two_students_answer_and_everyone_sees_the_reveal(lecturer):
    code = lecturer.session_state["class_code"]
    students = [app_session({"room": code}), app_session({"room": code})]
    ask(lecturer)
    answer(students[0], 1)
    assert any(questions.BY_ID[QUESTION].prompt in text for text in texts(students[0]))
    answer(students[1], 2)
    assert any("Answer received" in text for text in texts(students[0]))
    lecturer.run()
    assert any("2 answers" in text for text in texts(lecturer)), texts(lecturer)
    lecturer.button(key="class_q_reveal").click().run()
    assert_clean(lecturer)
    truth = questions.BY_ID[QUESTION].truth().value
    for at in (lecturer, *students):
        at.run()
        assert_clean(at)
        figure = answers_figure(at)
        bars = figure["data"][0]
        assert bars["y"] == [0, 1, 1, 0, 0, 0]
        assert bars["marker"]["color"][truth] == TRUE and bars["marker"]["color"].count(TRUE) == 1
        assert any(note["text"].startswith("<b>true</b>") for note in figure["layout"]["annotations"])
        assert figure["layout"]["title"]["text"] == "2 answers"


def test_a_student_cannot_reveal_and_a_second_answer_replaces_the_first(lecturer):
    code = lecturer.session_state["class_code"]
    students = [app_session({"room": code}), app_session({"room": code})]
    assert "class_q_reveal" not in [b.key for b in students[0].button]
    ask(lecturer)
    answer(students[0], 0)
    answer(students[1], 0)
    answer(students[0], 3)  # changed: replaces the first
    tally = class_room.classroom().tally(code, QUESTION)
    assert tally["count"] == 2 and tally["counts"][0] == 1 and tally["counts"][3] == 1
    for secret in (None, "", "a guess"):
        with pytest.raises(RoomError):
            class_room.classroom().reveal(code, secret, QUESTION, 0)
    assert class_room.classroom().current_question(code)["state"] == "open"


def test_a_slider_question_reveals_a_line_at_the_truth(lecturer, monkeypatch):
    code = lecturer.session_state["class_code"]
    student = app_session({"room": code})
    question = questions.BY_ID["beta4_rate"]
    monkeypatch.setattr(questions.class_truths, "rate_of_pretrained",
                        lambda name: {"rate": 5.0, "active_units": 3, "units": 10, "images": 1000})
    ask(lecturer, question.id)
    student.run()
    student.slider(key=f"class_answer_{question.id}").set_value(12.0).run()
    student.button(key=f"class_send_{question.id}").click().run()
    lecturer.button(key="class_q_reveal").click().run()
    assert_clean(lecturer)
    student.run()
    figure = answers_figure(student, question.id)
    assert sum(figure["data"][0]["y"]) == 1
    assert [shape["x0"] for shape in figure["layout"]["shapes"]] == [5.0]


def test_closed_answers_are_refused(lecturer):
    code = lecturer.session_state["class_code"]
    student = app_session({"room": code})
    ask(lecturer)
    student.run()
    assert f"class_send_{QUESTION}" in [b.key for b in student.button]
    lecturer.button(key="class_q_close").click().run()
    student.run()
    assert_clean(student)
    assert f"class_send_{QUESTION}" not in [b.key for b in student.button]
    assert any("Answers are closed" in text for text in texts(student))
    with pytest.raises(RoomError):
        class_room.classroom().answer(code, "a-student-session", QUESTION, 1)
