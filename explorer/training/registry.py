"""Training runs that outlive the page (issue 23, item 5): the process's run list, per browser.

A page's session ends on a reload (F5), but its browser comes back: each browser has a random token (kept in a
cookie by `explorer.ui.session`), and a run it started is kept here under (token, panel key), so the next session
of that browser finds it where it is, running or finished. Nothing here knows Streamlit: a session tells the
registry it is there (`present`, with a callable saying whether it is still open), and a kept run asks the
registry whether to go on (`alive`), instead of asking whether the session that started it still exists.

The limits (docs/DECISIONS.md, "Runs outlive the page"):
- `GRACE_S`: a kept run trains on while no page of its browser is open for at most this long (a reload takes a
  few seconds), then stops; it stays in the list, stopped, so coming back later still finds its weights.
- `IDLE_S`: a browser not seen for this long (no page of it open, none attaching) loses its runs: stopped, dropped.
- `MAX_RUNS`: runs kept per browser; registering one more drops (and stops) the oldest finished one, or the oldest
  of all when none has finished.
Every access sweeps what has expired. A job is only ever looked up under the token it was registered with.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from explorer.training.jobs import Job

MAX_RUNS = 6  # runs kept per browser
IDLE_S = 30 * 60.0  # seconds a browser may go unseen before its runs are stopped and dropped
GRACE_S = 60.0  # seconds a kept run trains on with no page of its browser open
ENDED = f"Stopped: no page of this browser was open for {GRACE_S:.0f} s."


@dataclass
class _Browser:
    seen: float  # when a page of this browser was last known to be open
    runs: dict[str, Job] = field(default_factory=dict)  # panel key -> job, oldest registered first
    sessions: dict[str, Callable[[], bool]] = field(default_factory=dict)  # session id -> is it still open?


class Registry:
    """Runs per browser token, thread-safe; `clock` (seconds, monotonic) is injected by tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_runs: int = MAX_RUNS,
                 idle_s: float = IDLE_S, grace_s: float = GRACE_S):
        self._clock, self.max_runs, self.idle_s, self.grace_s = clock, max_runs, idle_s, grace_s
        self._browsers: dict[str, _Browser] = {}
        self._lock = threading.RLock()

    def present(self, token: str, session: str, is_open: Callable[[], bool] | None = None) -> None:
        """A page (`session`) of browser `token` is open now; `is_open()` says later whether it still is."""
        _check(token)
        with self._lock:
            browser = self._browser(token)
            browser.seen = self._clock()
            if is_open is not None:
                browser.sessions[session] = is_open
        self.sweep()

    def find(self, token: str, key: str) -> Job | None:
        """The run browser `token` keeps under `key`, if any: never another browser's."""
        _check(token)
        self.sweep()
        with self._lock:
            browser = self._browsers.get(token)
            return None if browser is None else browser.runs.get(key)

    def register(self, token: str, key: str, job: Job) -> None:
        """Keep `job` for browser `token` under `key` (replacing the run kept there, which goes on where it runs:
        another page of the same browser); from now on it trains while a page of this browser is open."""
        _check(token)
        job.set_alive(lambda: self.alive(token), ENDED)
        with self._lock:
            browser = self._browser(token)
            browser.seen = self._clock()
            browser.runs.pop(key, None)
            browser.runs[key] = job
            dropped = _over_cap(browser.runs, self.max_runs, keep=key)
        _stop(dropped)
        self.sweep()

    def drop(self, token: str, key: str) -> None:
        """Forget the run browser `token` keeps under `key` (stopped, if it still runs); nothing if none."""
        _check(token)
        with self._lock:
            browser = self._browsers.get(token)
            job = None if browser is None else browser.runs.pop(key, None)
        _stop([] if job is None else [job])

    def alive(self, token: str) -> bool:
        """Whether a run of browser `token` should go on: a page of it is open, or was within `grace_s`."""
        with self._lock:
            browser = self._browsers.get(token)
            if browser is None:
                return False
            now = self._clock()
            if self._refresh(browser, now):
                return True
            return now - browser.seen <= self.grace_s

    def runs(self, token: str) -> dict[str, Job]:
        """Browser `token`'s kept runs by panel key, oldest first."""
        self.sweep()
        with self._lock:
            browser = self._browsers.get(token)
            return {} if browser is None else dict(browser.runs)

    def sweep(self) -> None:
        """Stop and drop the runs of every browser unseen for `idle_s`."""
        with self._lock:
            now, expired = self._clock(), []
            for token, browser in list(self._browsers.items()):
                self._refresh(browser, now)
                if now - browser.seen > self.idle_s:
                    expired.extend(browser.runs.values())
                    del self._browsers[token]
        _stop(expired)

    def _browser(self, token: str) -> _Browser:
        return self._browsers.setdefault(token, _Browser(seen=self._clock()))

    @staticmethod
    def _refresh(browser: _Browser, now: float) -> bool:
        """Whether a page of `browser` is open now (then it is seen now); forgets the pages that closed."""
        for session, is_open in list(browser.sessions.items()):
            if is_open():
                browser.seen = now
                return True
            del browser.sessions[session]
        return False


def _check(token: str) -> None:
    if not isinstance(token, str) or not token:
        raise ValueError("a browser token is a non-empty string")


def _over_cap(runs: dict[str, Job], cap: int, keep: str) -> list[Job]:
    """Remove runs beyond `cap`: the oldest finished first, else the oldest; never `keep`. Returns them."""
    dropped = []
    while len(runs) > cap:
        candidates = [k for k in runs if k != keep]
        victim = next((k for k in candidates if runs[k].done), candidates[0])
        dropped.append(runs.pop(victim))
    return dropped


def _stop(jobs: list[Job]) -> None:
    """Stop dropped runs without waiting for their threads (called outside the lock: a job's thread asks `alive`)."""
    for job in jobs:
        if not job.done:
            job.stop(wait=0.0)


RUNS = Registry()  # the process's run list: every session of every browser shares it
