"""Server push for the class (issue 24): one watcher thread a process reruns its students' sessions when their
room moves, instead of a timer in every student's page.

A timer fragment that polled the room every 0.5 s cost 100 idle students 200 fragment runs a second (0.6 of a core
of the 2-core machine, BENCHMARKS.md) before anything had changed, and delayed each change by up to its period.
Here each run of a student's session enrols it (`Watcher.enrol`: room code -> Streamlit session id -> the member's
id, whether it follows, and the room's pulse as that run drew it). One daemon thread (`Watcher.run`) reads each
room's pulse every `WATCH_EVERY_S`, or at once when a lecturer in this process published (`poke`); one store read a
room, however many students it has. It beats presence for the sessions whose browser is still connected, forgets
the others, and queues a rerun of each session whose room moved in a way that concerns it: a follower for any
change, a student exploring on their own only for a question, the sweep or "bring everyone here". The reruns go
out `RUNS_AT_ONCE` at a time (see `Watcher`). A rerun is an ordinary run of the app, which takes the view
(`class_room.catch_up`) and says it is over on its last line (`class_room.finish_run`).

Streamlit has no public call for "rerun that session". `rerun_session` does what its own file watcher does
(`AppSession.request_rerun`, on the session's event loop) with the client state of the session's last run, the
widget states left out so that the run keeps the session's own values (a slider the student is moving included).
It is the one place that reaches into Streamlit's runtime (the version is locked); tests/e2e/test_class_browser.py
holds it (a follower's page moves with no timer of its own).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streamlit import runtime

from explorer.classroom import Classroom, RoomError

WATCH_EVERY_S = 0.2  # a change reaches the students' servers within this, plus the reruns
HEARTBEAT_EVERY_S = 3.0  # presence is counted over the last 15 s (`classroom.checks.PRESENCE_S`)
RUNS_AT_ONCE = 2  # pushed reruns in flight at a time, on the two cores of the target machine
IN_FLIGHT_S = 2.0  # a pushed run that never said it finished frees its place after this
RETRY_S = 5.0  # a session not enrolled again this long after its rerun was asked is asked again


def pulse_key(pulse: dict) -> tuple:
    """What of a room's pulse a student's page shows: (the view's version, its gather count, the question, the
    sweep). A follower cares about all of it; a student exploring on their own about all but the version."""
    view = pulse["view"]
    return view["version"], view["gather"], tuple(pulse["question"] or ()), pulse["sweep"]


def concerns(before: tuple | None, now: tuple | None, following: bool) -> bool:
    """Whether a session that drew `before` must rerun for `now` (None: the room could not be read)."""
    if before is None or now is None:
        return before != now
    return before != now if following else before[1:] != now[1:]


@dataclass
class Enrolled:
    """A student's session, as its last run left it."""

    member_id: str  # the room's name for the session (`class_room.Member.session_id`)
    following: bool
    seen: tuple | None  # the pulse key its last run drew (None: it could not read the room)
    asked: tuple | None = None  # the pulse key a rerun was queued for, until the session's run enrols it again
    asked_at: float | None = None  # when (None: never)


class Watcher:
    """Rooms -> enrolled sessions, and the one thread that watches them. `rerun(session_id)` reruns a session and
    `alive(session_id)` says whether its browser is connected (both False when it is gone). `tick` is one pass,
    which the tests call without the thread.

    The reruns a change asks for wait in a queue, and at most `RUNS_AT_ONCE` are in flight: 100 followers' runs
    started at once contend for Streamlit's locks (its config and message cache) and every one ends late (p50
    12.8 s, at 0.23 of a core: BENCHMARKS.md); one after another, they end in turn. A session's run says when it
    is over (`finished`, the app's last line); one that never says so frees its place after `IN_FLIGHT_S`."""

    def __init__(self, classroom: Classroom, rerun: Callable[[str], bool], alive: Callable[[str], bool],
                 clock: Callable[[], float] = time.monotonic):
        self.classroom, self.rerun, self.alive, self.clock = classroom, rerun, alive, clock
        self.rooms: dict[str, dict[str, Enrolled]] = {}
        self.beaten: dict[str, float] = {}  # room -> when its presence was last beaten
        self.queue: dict[str, str] = {}  # session -> its room, in the order their reruns were asked for
        self.in_flight: dict[str, float] = {}  # session -> when its rerun was asked for
        self._lock, self._poked = threading.Lock(), threading.Event()
        self._thread: threading.Thread | None = None

    def enrol(self, code: str, session_id: str, enrolled: Enrolled, start: bool = True) -> None:
        """Keep the session as its run left it (in one room only); the thread starts with the first, if `start`."""
        with self._lock:
            for other, sessions in self.rooms.items():
                if other != code:
                    sessions.pop(session_id, None)
            self.rooms.setdefault(code, {})[session_id] = enrolled
            if start and self._thread is None:
                self._thread = threading.Thread(target=self.run, name="class-push", daemon=True)
                self._thread.start()

    def leave(self, session_id: str) -> None:
        with self._lock:
            for sessions in self.rooms.values():
                sessions.pop(session_id, None)
            self.queue.pop(session_id, None)

    def finished(self, session_id: str) -> None:
        """A session's run is over: its place goes to the next in the queue, from here (the run's own thread), a
        hop sooner than by waking the watcher."""
        if self.in_flight.pop(session_id, None) is not None:
            self.dispatch()

    def poke(self) -> None:
        """Read the rooms now, not at the next period: a lecturer in this process changed something."""
        self._poked.set()

    def run(self) -> None:
        while True:
            self._poked.wait(WATCH_EVERY_S)
            self._poked.clear()
            try:
                self.tick()
            except Exception:  # noqa: BLE001 — a store hiccup (Redis away) must not end the class's one thread
                time.sleep(1.0)

    def tick(self) -> None:
        """Read every room once: queue the reruns its change asks for, beat presence; then dispatch."""
        with self._lock:
            rooms = {code: dict(sessions) for code, sessions in self.rooms.items() if sessions}
            for code in [code for code, sessions in self.rooms.items() if not sessions]:
                del self.rooms[code]
                self.beaten.pop(code, None)
        for code, sessions in rooms.items():
            self._forget(code, self._watch(code, sessions))
        self.dispatch()

    def _watch(self, code: str, sessions: dict[str, Enrolled]) -> list[str]:
        """Queue whom the room's change concerns; beat presence when due; the sessions found disconnected."""
        try:
            now = pulse_key(self.classroom.pulse(code))
        except RoomError:  # closed or expired: each session's next run says so, once
            now = None
        for sid, enrolled in sessions.items():
            if self._due(enrolled, now):
                enrolled.asked, enrolled.asked_at = now, self.clock()
                with self._lock:
                    self.queue.setdefault(sid, code)
        gone = []
        if now is not None and self.clock() - self.beaten.get(code, -HEARTBEAT_EVERY_S) >= HEARTBEAT_EVERY_S:
            self.beaten[code] = self.clock()
            for sid, enrolled in sessions.items():
                if self.alive(sid):
                    self.classroom.heartbeat(code, enrolled.member_id, enrolled.following)
                else:
                    gone.append(sid)
        return gone

    def _due(self, enrolled: Enrolled, now: tuple | None) -> bool:
        """The change concerns the session, and no rerun was asked for it lately (its run enrols it again with
        what it drew; a rerun lost on the way, which the sweep benchmark saw, is asked again after `RETRY_S`)."""
        if not concerns(enrolled.seen, now, enrolled.following):
            return False
        return (enrolled.asked_at is None or enrolled.asked != now
                or self.clock() - enrolled.asked_at >= RETRY_S)

    def dispatch(self) -> None:
        """Rerun queued sessions while fewer than `RUNS_AT_ONCE` are in flight (from the watcher and from the runs
        that finish: the lock keeps the count)."""
        while (next_up := self._next_up()) is not None:
            sid, code = next_up
            if not self.rerun(sid):
                self.in_flight.pop(sid, None)
                self._forget(code, [sid])

    def _next_up(self) -> tuple[str, str] | None:
        with self._lock:
            for sid, asked in list(self.in_flight.items()):
                if self.clock() - asked >= IN_FLIGHT_S:
                    del self.in_flight[sid]
            if not self.queue or len(self.in_flight) >= RUNS_AT_ONCE:
                return None
            sid = next(iter(self.queue))
            self.in_flight[sid] = self.clock()
            return sid, self.queue.pop(sid)

    def _forget(self, code: str, gone: list[str]) -> None:
        with self._lock:
            for sid in gone:
                self.rooms.get(code, {}).pop(sid, None)
                self.queue.pop(sid, None)


def rerun_session(session_id: str) -> bool:
    """Rerun a session's whole app as if its browser had asked (False: no such connected session). Scheduled on
    the session's event loop, where Streamlit handles a browser's rerun request."""
    info = runtime.get_instance()._session_mgr.get_active_session_info(session_id)  # noqa: SLF001
    if info is None:
        return False
    app = info.session
    app._event_loop.call_soon_threadsafe(_request_rerun, app)  # noqa: SLF001
    return True


def _request_rerun(app: Any) -> None:
    from streamlit.proto.ClientState_pb2 import ClientState

    state = ClientState()
    state.CopyFrom(app._client_state)  # noqa: SLF001 — its page, its query string, as its last run ended
    state.ClearField("widget_states")  # no widget value from here: the session's own stand
    state.fragment_id = ""  # the whole app, not a fragment that happened to run last
    state.is_auto_rerun = False
    app.request_rerun(state)


def session_alive(session_id: str) -> bool:
    return runtime.get_instance().is_active_session(session_id)


def pushing() -> bool:
    """Whether reruns can be pushed: a Streamlit server is running (not AppTest, which has no runtime)."""
    return runtime.exists()
