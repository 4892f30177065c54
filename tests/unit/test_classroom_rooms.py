"""Rooms over both stores: codes and secrets, the lecturer's published view ("follow me"), who is in the room,
and hostile input refused with a sentence and nothing stored."""

from __future__ import annotations

import pytest

from explorer.classroom import Classroom, RoomError, checks

SESSION = "session-aaaa"


def test_a_room_has_a_typable_code_and_a_long_secret(classroom):
    code, secret = classroom.open_room()
    assert len(code) == 6 and set(code) <= set(checks.CODE_ALPHABET)
    assert len(secret) >= 40 and code not in secret
    assert classroom.join(code) == code
    assert classroom.join(f" {code[:3].lower()}-{code[3:].lower()} ") == code
    assert len({classroom.open_room()[0] for _ in range(20)} | {code}) == 21


def test_the_secret_is_not_stored_and_no_student_call_returns_it(classroom, room_store):
    code, secret = classroom.open_room()
    room = room_store.get(classroom.key(code, "room"))
    assert secret not in str(room)
    seen = [classroom.join(code), classroom.view(code), classroom.presence(code)]
    assert secret not in str(seen)


@pytest.mark.parametrize("code", ["", "ABC", "ABCDEFG", "ABCDE0", "ABCDEI", None, 123456, "A" * 10_000])
def test_a_malformed_code_is_refused(classroom, code):
    with pytest.raises(RoomError, match="room code"):
        classroom.join(code)


def test_an_unknown_code_is_refused(classroom):
    with pytest.raises(RoomError, match="no open room"):
        classroom.join("ABCDEF")


def test_publish_and_follow(classroom):
    code, secret = classroom.open_room()
    assert classroom.view(code) == {"page": "", "params": {}, "version": 0, "gather": 0}
    assert classroom.publish(code, secret, "beta_sigma", {"tab": "sweep", "beta": 2.0, "preset": "collapse"}) == 1
    assert classroom.publish(code, secret, "beta_sigma", {"tab": "sweep", "beta": 2.0, "preset": "collapse"}) == 1
    assert classroom.publish(code, secret, "beta_sigma", {"tab": "sweep", "beta": 4.0}) == 2
    view = classroom.view(code)
    assert view == {"page": "beta_sigma", "params": {"tab": "sweep", "beta": 4.0}, "version": 2, "gather": 0}
    assert classroom.bring_everyone_here(code, secret) == 1
    assert classroom.view(code)["gather"] == 1 and classroom.view(code)["version"] == 2


def test_the_pulse_holds_the_view_the_question_and_the_sweep(classroom):
    """One read a student polls: every change a page must redraw for shows in it, and nothing else moves it."""
    code, secret = classroom.open_room()
    empty = classroom.pulse(code)
    assert empty == {"view": classroom.view(code), "question": None, "sweep": None}
    classroom.publish(code, secret, "elbo_gap", {"elbo_image": "3"})
    assert classroom.pulse(code)["view"] == classroom.view(code)
    classroom.open_question(code, secret, "q1", "choice", {"options": ["a", "b"]})
    assert classroom.pulse(code)["question"] == ["q1", "open"]
    classroom.answer(code, "session-0001", "q1", 1)
    assert classroom.pulse(code)["question"] == ["q1", "open"]  # an answer is no change of the page
    classroom.reveal(code, secret, "q1", 0)
    assert classroom.pulse(code)["question"] == ["q1", "revealed"]
    sweep = classroom.start_sweep(code, secret, {"knob": "beta", "values": [1.0, 8.0], "model": {"name": "m"}})
    assert classroom.pulse(code)["sweep"] == sweep


@pytest.mark.parametrize("secret", ["wrong", "", None, 7, "x" * 100_000])
def test_a_wrong_or_missing_secret_changes_nothing(classroom, secret):
    code, real = classroom.open_room()
    classroom.publish(code, real, "latent", {"tab": "maps"})
    for forged in (lambda: classroom.publish(code, secret, "elbo", {}),
                   lambda: classroom.bring_everyone_here(code, secret),
                   lambda: classroom.close_room(code, secret)):
        with pytest.raises(RoomError, match="Only the lecturer"):
            forged()
    assert classroom.view(code) == {"page": "latent", "params": {"tab": "maps"}, "version": 1, "gather": 0}


def test_one_room_s_secret_does_not_open_another(classroom):
    code, _ = classroom.open_room()
    _, other_secret = classroom.open_room()
    with pytest.raises(RoomError, match="Only the lecturer"):
        classroom.publish(code, other_secret, "latent", {})


@pytest.mark.parametrize(("page", "params", "match"), [
    ("x" * 201, {}, "page path"),
    ("<script>", {}, "page path"),
    ("latent", {f"k{i}": "1" for i in range(65)}, "at most 64"),
    ("latent", {"k": "v" * 513}, "at most 512"),
    ("latent", {f"k{i}": "v" * 300 for i in range(20)}, "too large"),
    ("latent", {"bad key!": "1"}, "knob's name"),
    ("latent", {"k": float("nan")}, "finite"),
    ("latent", {"k": float("inf")}, "finite"),
    ("latent", {"k": 10**400}, "whole number"),
    ("latent", {"k": {"nested": {"deep": 1}}}, "must be a number"),
    ("latent", {"k": list(range(65))}, "too many values"),
    ("latent", "tab=maps", "mapping"),
])
def test_a_hostile_view_is_refused_and_nothing_stored(classroom, page, params, match):
    code, secret = classroom.open_room()
    with pytest.raises(RoomError, match=match):
        classroom.publish(code, secret, page, params)
    assert classroom.view(code)["version"] == 0


def test_presence_counts_who_follows_and_who_explores(classroom, room_clock):
    code, _ = classroom.open_room()
    for index in range(5):
        classroom.heartbeat(code, f"session-{index:04d}", following=index < 3)
    assert classroom.presence(code) == {"following": 3, "exploring": 2}
    classroom.heartbeat(code, "session-0000", following=False)
    assert classroom.presence(code) == {"following": 2, "exploring": 3}
    room_clock.advance(checks.PRESENCE_S - 1)
    classroom.heartbeat(code, "session-0001", following=True)
    room_clock.advance(2)
    assert classroom.presence(code) == {"following": 1, "exploring": 0}


@pytest.mark.parametrize(("session", "following"), [("short", True), ("x" * 65, True), ("a b c d e f", True),
                                                    (None, True), (SESSION, "yes"), (SESSION, 1)])
def test_a_malformed_heartbeat_is_refused(classroom, session, following):
    code, _ = classroom.open_room()
    with pytest.raises(RoomError):
        classroom.heartbeat(code, session, following)
    assert classroom.presence(code) == {"following": 0, "exploring": 0}


def test_a_full_room_takes_no_new_session(classroom, monkeypatch):
    monkeypatch.setattr(checks, "MAX_SESSIONS", 3)
    code, _ = classroom.open_room()
    for index in range(3):
        classroom.heartbeat(code, f"session-{index:04d}", True)
    with pytest.raises(RoomError, match="full"):
        classroom.heartbeat(code, "session-late", True)
    classroom.heartbeat(code, "session-0001", False)  # one already here still beats
    assert classroom.presence(code) == {"following": 2, "exploring": 1}


def test_a_room_expires_and_can_be_closed(classroom, room_clock):
    code, secret = classroom.open_room()
    other, other_secret = classroom.open_room()
    room_clock.advance(checks.ROOM_TTL_S - 1)
    classroom.publish(code, secret, "latent", {})
    classroom.close_room(other, other_secret)
    with pytest.raises(RoomError, match="no open room"):
        classroom.view(other)
    room_clock.advance(2)
    with pytest.raises(RoomError, match="no open room"):
        classroom.publish(code, secret, "latent", {})
    with pytest.raises(RoomError, match="no open room"):
        classroom.heartbeat(code, SESSION, True)


def test_rooms_are_shared_by_every_replica_on_one_store(room_store, room_clock):
    lecturer_side, student_side = Classroom(room_store, clock=room_clock), Classroom(room_store, clock=room_clock)
    code, secret = lecturer_side.open_room()
    lecturer_side.publish(code, secret, "vq", {"tab": "codebook"})
    student_side.heartbeat(code, SESSION, True)
    assert student_side.view(code)["page"] == "vq" and lecturer_side.presence(code)["following"] == 1


def test_a_code_is_not_reused_while_its_closed_room_s_keys_live(room_store, room_clock, monkeypatch):
    from explorer.classroom import rooms

    draws = iter("AAAAAA" + "AAAAAA" + "BBBBBB")
    monkeypatch.setattr(rooms.secrets, "choice", lambda alphabet: next(draws))
    classroom = Classroom(room_store, clock=room_clock)
    code, secret = classroom.open_room()
    classroom.publish(code, secret, "latent", {"tab": "maps"})
    classroom.close_room(code, secret)
    assert classroom.open_room()[0] == "BBBBBB"
