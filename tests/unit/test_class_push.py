"""The class's watcher (explorer/ui/class_push.py) without Streamlit's runtime: whom a room's change reruns, once
per change; presence beaten for connected sessions only; sessions gone or moved to another room forgotten."""

from __future__ import annotations

from explorer.classroom import Classroom, MemoryStore
from explorer.ui.class_push import (
    HEARTBEAT_EVERY_S,
    IN_FLIGHT_S,
    RETRY_S,
    RUNS_AT_ONCE,
    Enrolled,
    Watcher,
    concerns,
    pulse_key,
)

CHOICE = {"prompt": "Which one collapses?", "options": ["β = 0.1", "β = 1", "β = 10"]}
SWEEP = {"knob": "beta", "values": [0.1, 1.0], "model": {"data": "moons", "steps": 200, "latent": 2}}


class Hall:
    """A room, a watcher on it with a clock of its own, and the reruns it asked for."""

    def __init__(self):
        self.classroom = Classroom(MemoryStore())
        self.code, self.secret = self.classroom.open_room()
        self.now, self.reruns, self.connected = 0.0, [], set()
        self.watcher = Watcher(self.classroom, self._rerun, self.connected.__contains__, clock=lambda: self.now)

    def _rerun(self, session_id: str) -> bool:
        self.reruns.append(session_id)
        return session_id in self.connected

    def enrol(self, session_id: str, following: bool) -> None:
        """A session's run: it drew the room as it is now."""
        self.connected.add(session_id)
        seen = pulse_key(self.classroom.pulse(self.code))
        self.watcher.enrol(self.code, session_id, Enrolled(f"member-{session_id}", following, seen), start=False)

    def rerun_after(self, change) -> list[str]:
        """The sessions rerun after `change`, each run finishing before the next pass."""
        self.reruns.clear()
        change()
        self.watcher.tick()
        while self.watcher.in_flight or self.watcher.queue:
            for sid in list(self.watcher.in_flight):
                self.watcher.finished(sid)
            self.watcher.tick()
        return sorted(self.reruns)


def test_concerns_a_follower_for_any_change_an_explorer_not_for_the_view():
    before = (1, 0, (), None)
    assert concerns(before, (2, 0, (), None), following=True)
    assert not concerns(before, (2, 0, (), None), following=False)
    for change in ((1, 1, (), None), (1, 0, ("gap", "open"), None), (1, 0, (), "sweep-1")):
        assert concerns(before, change, following=True) and concerns(before, change, following=False)
    assert not concerns(before, before, following=True)
    assert concerns(before, None, following=False) and concerns(None, before, following=True)  # closed; back
    assert not concerns(None, None, following=True)


def test_the_lecturers_move_reruns_the_followers_once_and_not_the_explorer():
    hall = Hall()
    hall.enrol("a", following=True)
    hall.enrol("b", following=True)
    hall.enrol("c", following=False)
    assert hall.rerun_after(lambda: None) == []  # nothing moved
    moved = hall.rerun_after(lambda: hall.classroom.publish(hall.code, hall.secret, "reparameterization",
                                                             {"rep_mu": "1.5"}))
    assert moved == ["a", "b"]
    assert hall.rerun_after(lambda: None) == []  # asked once, not on every tick before their runs come back


def test_a_question_a_sweep_and_bring_everyone_here_rerun_everyone():
    hall = Hall()
    for change in (lambda: hall.classroom.open_question(hall.code, hall.secret, "collapse", "choice", CHOICE),
                   lambda: hall.classroom.start_sweep(hall.code, hall.secret, SWEEP),
                   lambda: hall.classroom.bring_everyone_here(hall.code, hall.secret)):
        hall.enrol("a", following=True)
        hall.enrol("c", following=False)
        assert hall.rerun_after(change) == ["a", "c"]


def test_presence_is_beaten_for_connected_sessions_and_the_gone_are_forgotten():
    hall = Hall()
    hall.enrol("a", following=True)
    hall.enrol("c", following=False)
    hall.watcher.tick()
    assert hall.classroom.presence(hall.code) == {"following": 1, "exploring": 1}
    hall.connected.discard("c")  # its browser closed
    hall.now += HEARTBEAT_EVERY_S
    hall.watcher.tick()
    assert set(hall.watcher.rooms[hall.code]) == {"a"}
    hall.connected.discard("a")
    assert hall.rerun_after(lambda: hall.classroom.publish(hall.code, hall.secret, "home", {})) == ["a"]
    assert hall.watcher.rooms.get(hall.code, {}) == {}  # its rerun found it gone


def test_reruns_wait_their_turn_and_a_run_that_never_ends_frees_its_place():
    hall = Hall()
    for sid in "abcde":
        hall.enrol(sid, following=True)
    hall.classroom.publish(hall.code, hall.secret, "home", {})
    hall.watcher.tick()
    assert RUNS_AT_ONCE == 2 and hall.reruns == ["a", "b"] and list(hall.watcher.queue) == ["c", "d", "e"]
    hall.watcher.finished("a")
    hall.watcher.dispatch()
    assert hall.reruns == ["a", "b", "c"]
    hall.now += IN_FLIGHT_S  # b and c never said so
    hall.watcher.dispatch()
    assert hall.reruns == list("abcde") and not hall.watcher.queue


def test_a_rerun_lost_on_the_way_is_asked_again():
    hall = Hall()
    hall.enrol("a", following=True)
    assert hall.rerun_after(lambda: hall.classroom.publish(hall.code, hall.secret, "home", {})) == ["a"]
    assert hall.rerun_after(lambda: None) == []  # its run has not enrolled it again yet: asked already
    hall.now += RETRY_S  # and never did
    assert hall.rerun_after(lambda: None) == ["a"]
    hall.enrol("a", following=True)  # now it ran
    hall.now += RETRY_S
    assert hall.rerun_after(lambda: None) == []


def test_a_closed_room_reruns_its_students_once_and_a_session_is_in_one_room():
    hall = Hall()
    hall.enrol("a", following=False)
    other, _ = hall.classroom.open_room()
    assert hall.rerun_after(lambda: hall.classroom.close_room(hall.code, hall.secret)) == ["a"]  # its run says so
    assert hall.rerun_after(lambda: None) == []
    hall.watcher.enrol(other, "a", Enrolled("member-a", True, pulse_key(hall.classroom.pulse(other))), start=False)
    assert hall.code not in hall.watcher.rooms or "a" not in hall.watcher.rooms[hall.code]
