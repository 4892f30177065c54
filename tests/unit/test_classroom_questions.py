"""Predict, then reveal, over both stores: answers checked against the question, one per session, anonymous
tallies, hostile input refused with nothing stored, and exact counts under many threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from explorer.classroom import RoomError, checks

CHOICE = {"prompt": "Which one collapses?", "options": ["β = 0.1", "β = 1", "β = 10"]}
SLIDER = {"low": 0.0, "high": 10.0, "bins": 5}
POINT = {"x": [-3, 3], "y": [-2, 2]}


def sessions(n: int) -> list[str]:
    return [f"session-{index:04d}" for index in range(n)]


@pytest.fixture
def room(classroom):
    return classroom.open_room()


def test_choice_answers_are_counted_and_revealed(classroom, room):
    code, secret = room
    opened = classroom.open_question(code, secret, "collapse", "choice", CHOICE)
    assert opened["state"] == "open" and classroom.current_question(code)["spec"] == CHOICE
    for session, choice in zip(sessions(6), [0, 2, 2, 1, 2, 0], strict=True):
        classroom.answer(code, session, "collapse", choice)
    classroom.answer(code, "session-0000", "collapse", 2)  # a later answer replaces the first
    tally = classroom.tally(code, "collapse")
    assert tally["counts"] == [1, 1, 4] and tally["count"] == 6 and tally["truth"] is None
    revealed = classroom.reveal(code, secret, "collapse", 2)
    assert revealed["state"] == "revealed" and revealed["truth"] == 2 and revealed["counts"] == [1, 1, 4]
    assert "session" not in str(revealed)


def test_slider_answers_make_a_histogram(classroom, room):
    code, secret = room
    classroom.open_question(code, secret, "gap", "slider", SLIDER)
    for session, value in zip(sessions(5), [0.0, 1.9, 2.0, 9.99, 10.0], strict=True):
        classroom.answer(code, session, "gap", value)
    tally = classroom.tally(code, "gap")
    assert tally["histogram"] == {"edges": [0.0, 2.0, 4.0, 6.0, 8.0, 10.0], "counts": [2, 1, 0, 0, 2]}
    assert tally["values"] == [0.0, 1.9, 2.0, 9.99, 10.0]


def test_point_answers_are_sorted_dots(classroom, room):
    code, secret = room
    classroom.open_question(code, secret, "where", "point", POINT)
    classroom.answer(code, "session-0002", "where", [1, 1])
    classroom.answer(code, "session-0001", "where", (-1.5, 0.5))
    tally = classroom.reveal(code, secret, "where", [0, 0])
    assert tally["points"] == [[-1.5, 0.5], [1.0, 1.0]] and tally["truth"] == [0.0, 0.0]


def test_reopening_a_question_starts_its_answers_over(classroom, room):
    code, secret = room
    classroom.open_question(code, secret, "q", "choice", CHOICE)
    classroom.answer(code, "session-0001", "q", 1)
    classroom.close_question(code, secret, "q")
    assert classroom.tally(code, "q")["state"] == "closed" and classroom.tally(code, "q")["count"] == 1
    classroom.open_question(code, secret, "q", "choice", CHOICE)
    assert classroom.tally(code, "q")["count"] == 0


@pytest.mark.parametrize(("kind", "spec", "value"), [
    ("choice", CHOICE, 3), ("choice", CHOICE, -1), ("choice", CHOICE, 1.0), ("choice", CHOICE, True),
    ("choice", CHOICE, "1"), ("slider", SLIDER, float("nan")), ("slider", SLIDER, float("inf")),
    ("slider", SLIDER, -0.1), ("slider", SLIDER, 10**400), ("slider", SLIDER, [1]), ("point", POINT, [0, 3]),
    ("point", POINT, [float("nan"), 0]), ("point", POINT, [0]), ("point", POINT, [0, 0, 0]),
    ("point", POINT, {"x": 0, "y": 0}), ("point", POINT, "0,0"),
])
def test_an_answer_that_does_not_fit_its_question_is_refused(classroom, room, kind, spec, value):
    code, secret = room
    classroom.open_question(code, secret, "q", kind, spec)
    with pytest.raises(RoomError):
        classroom.answer(code, "session-0001", "q", value)
    assert classroom.tally(code, "q")["count"] == 0


@pytest.mark.parametrize(("kind", "spec", "match"), [
    ("essay", {}, "kind"),
    ("choice", {"options": ["only one"]}, "2 to"),
    ("choice", {"options": ["x"] * 13}, "2 to"),
    ("choice", {"options": ["x" * 201, "y"]}, "at most 200"),
    ("choice", {"options": ["a", "b"], "prompt": "p" * 10_000}, "at most 512"),
    ("choice", {"options": ["a", "b"], "extra": 1}, "only the keys"),
    ("slider", {"low": 1, "high": 1}, "low < high"),
    ("slider", {"low": 0, "high": float("inf")}, "finite"),
    ("slider", {"low": 0, "high": 1, "bins": 10**6}, "bins"),
    ("point", {"x": [0, 1]}, "pair"),
    ("point", "x", "only the keys"),
])
def test_a_hostile_question_is_refused_and_nothing_stored(classroom, room, kind, spec, match):
    code, secret = room
    with pytest.raises(RoomError, match=match):
        classroom.open_question(code, secret, "q", kind, spec)
    assert classroom.current_question(code) is None


def test_only_the_lecturer_opens_closes_and_reveals(classroom, room):
    code, secret = room
    with pytest.raises(RoomError, match="Only the lecturer"):
        classroom.open_question(code, "forged", "q", "choice", CHOICE)
    assert classroom.current_question(code) is None
    classroom.open_question(code, secret, "q", "choice", CHOICE)
    for forged in (lambda: classroom.close_question(code, None, "q"),
                   lambda: classroom.reveal(code, secret + "x", "q", 0)):
        with pytest.raises(RoomError, match="Only the lecturer"):
            forged()
    assert classroom.current_question(code)["state"] == "open"


def test_unknown_and_closed_questions_take_no_answer(classroom, room):
    code, secret = room
    with pytest.raises(RoomError, match="no question"):
        classroom.answer(code, "session-0001", "nothing", 0)
    with pytest.raises(RoomError, match="no question"):
        classroom.tally(code, "nothing")
    with pytest.raises(RoomError, match="question id"):
        classroom.answer(code, "session-0001", "x" * 100_000, 0)
    classroom.open_question(code, secret, "q", "choice", CHOICE)
    classroom.reveal(code, secret, "q", 1)
    with pytest.raises(RoomError, match="closed"):
        classroom.answer(code, "session-0001", "q", 0)
    classroom.close_question(code, secret, "q")  # closing a revealed question keeps its truth
    assert classroom.tally(code, "q")["count"] == 0 and classroom.tally(code, "q")["truth"] == 1


def test_ten_thousand_answers_from_one_session_store_one(classroom, room, room_clock):
    code, secret = room
    classroom.open_question(code, secret, "q", "slider", SLIDER)
    refused = 0
    for index in range(10_000):
        try:
            classroom.answer(code, "session-0001", "q", index % 10)
        except RoomError as error:
            assert "at most 30 a minute" in str(error)
            refused += 1
    assert refused == 10_000 - checks.ANSWERS_PER_MINUTE
    assert classroom.tally(code, "q")["values"] == [(checks.ANSWERS_PER_MINUTE - 1) % 10]
    room_clock.advance(60)
    classroom.answer(code, "session-0001", "q", 7.5)  # a new minute, a new allowance
    assert classroom.tally(code, "q")["values"] == [7.5]


def test_a_room_holds_a_bounded_number_of_questions_and_answers(classroom, room, monkeypatch):
    code, secret = room
    monkeypatch.setattr(checks, "MAX_QUESTIONS", 2)
    monkeypatch.setattr(checks, "MAX_SESSIONS", 3)
    classroom.open_question(code, secret, "a", "choice", CHOICE)
    classroom.open_question(code, secret, "b", "choice", CHOICE)
    with pytest.raises(RoomError, match="at most 2 questions"):
        classroom.open_question(code, secret, "c", "choice", CHOICE)
    for session in sessions(3):
        classroom.answer(code, session, "b", 0)
    with pytest.raises(RoomError, match="already has 3 answers"):
        classroom.answer(code, "session-late", "b", 0)
    classroom.answer(code, "session-0001", "b", 1)  # one who answered may change it
    assert classroom.tally(code, "b")["counts"] == [2, 1, 0]


def test_many_threads_answering_at_once_give_exact_counts(classroom, room):
    code, secret = room
    classroom.open_question(code, secret, "q", "choice", CHOICE)
    everyone = sessions(300)

    def answer(index: int) -> None:
        classroom.answer(code, everyone[index], "q", index % 3)
        classroom.answer(code, everyone[index], "q", (index + 1) % 3)  # each changes its mind once

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(answer, range(len(everyone))))
    assert classroom.tally(code, "q")["counts"] == [100, 100, 100]
    assert classroom.tally(code, "q")["count"] == 300
