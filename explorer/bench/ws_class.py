"""The class (issue 24) without browsers: a lecturer and its followers as simulated websocket sessions.

A follower's view changes without a request of its own: its sidebar fragment (`run_every`, 0.5 s) is rerun on its
timer by the client (`WsSession._start_timer` sends the fragment's rerun_script with `is_auto_rerun`, as the
frontend does); when the lecturer's page or knobs moved, that fragment run ends early for a rerun
(`st.rerun(scope="app")`, or `st.switch_page`), the server starts a full run of the app by itself (a new_session
without fragment ids), whose deltas carry the lecturer's knob values (a slider's `value` with `set_value`). So a
`WatchingSession` times elements as they arrive, whatever run brought them: `watch(until)` is a future that
resolves to the `time.perf_counter()` at which the first matching element arrived; `wait_for` waits for one.

    lecturer, code = await open_room(url, "reparameterization")
    followers = await join_room(url, code, 10, "reparameterization")
    seconds = await change_and_time(lecturer, followers, "rep_mu", 0.9)  # per follower; None: never came
"""

from __future__ import annotations

import asyncio
import re
import time

from explorer.bench.ws_session import Until, WsSession

ROOM_TEXT = re.compile(r"Room \*\*(\w+)\*\*")  # the sidebar's "Room **CODE** · you lead" (a student's: no suffix)
OPEN_ROOM_KEY, FOLLOWING_KEY = "class_open", "class_following"


class WatchingSession(WsSession):
    """A WsSession that also times elements pushed to it (a follower's view, moved by another session)."""

    def __init__(self, base_url: str, fetch_media: bool = True) -> None:
        super().__init__(base_url, fetch_media)
        self._watches: list[tuple[Until, asyncio.Future]] = []
        self.fragment_runs = 0  # runs of fragments alone the server started (a timer's tick, a fragment's widget)

    def _on_run_start(self, message) -> None:
        super()._on_run_start(message)
        self.fragment_runs += bool(message.metadata.run.fragment_ids)

    def watch(self, until: Until) -> asyncio.Future:
        """A future: the perf_counter time at which the first element `until` picks arrives from now on."""
        future = asyncio.get_running_loop().create_future()
        self._watches.append((until, future))
        return future

    async def wait_for(self, until: Until, timeout: float = 30.0, since: float | None = None) -> float | None:
        """Seconds from `since` (a perf_counter time; default: now) until an element `until` picks arrives; None
        when none came within `timeout`."""
        since = time.perf_counter() if since is None else since
        future = self.watch(until)
        try:
            return round(await asyncio.wait_for(future, timeout) - since, 4)
        except TimeoutError:
            return None

    def _on_element(self, element) -> None:
        super()._on_element(element)
        kind, now = element.WhichOneof("type"), time.perf_counter()
        for until, future in list(self._watches):
            if future.done():
                self._watches.remove((until, future))
            elif until(kind, element):
                future.set_result(now)
                self._watches.remove((until, future))


def slider_shows(key: str, value: float) -> Until:
    """Picks the slider with this key when it shows `value` (its set value, else its default)."""
    def picks(kind: str, element) -> bool:
        if kind != "slider" or not element.slider.id.endswith(f"-{key}"):
            return False
        shown = element.slider.value if element.slider.set_value else element.slider.default
        return len(shown) == 1 and abs(shown[0] - value) < 1e-9

    return picks


def slider_value(session: WsSession, key: str) -> float:
    """The value the session's page shows on the slider with this key."""
    proto = session.page.find(key=key, kind="slider").proto
    return (proto.value if proto.set_value else proto.default)[0]


async def open_room(base_url: str, page: str, timeout: float = 120.0) -> tuple[WatchingSession, str]:
    """A lecturer's session on `page` that opened a room (the sidebar's button), and the room's code."""
    lecturer = await WatchingSession.open(base_url, page, timeout=timeout)
    timing = await lecturer.trigger(key=OPEN_ROOM_KEY, timeout=timeout)
    found = [m.group(1) for text in lecturer.page.texts() if (m := ROOM_TEXT.match(text))]
    if timing.error or not found:
        raise RuntimeError(f"no room opened: {timing}; {lecturer.errors}; {lecturer.page.texts()[:10]}")
    return lecturer, found[0]


async def join_room(base_url: str, code: str, n: int, page: str, at_once: int = 4,
                    timeout: float = 120.0) -> list[WatchingSession]:
    """`n` students opening `page` with the join link's `?room=CODE`, `at_once` of them at the same time."""
    gate = asyncio.Semaphore(at_once)

    async def one() -> WatchingSession:
        async with gate:
            return await WatchingSession.open(base_url, page, query=f"room={code}", timeout=timeout)

    return list(await asyncio.gather(*(one() for _ in range(n))))


async def change_and_time(lecturer: WsSession, followers: list[WatchingSession], key: str, value: float,
                          timeout: float = 10.0) -> tuple[list[float | None], object]:
    """The lecturer sets the slider `key` to `value`; for each follower, seconds from the lecturer's send until
    its view shows the value (None: not within `timeout`), and the lecturer's own RerunTiming."""
    until = slider_shows(key, value)
    futures = [follower.watch(until) for follower in followers]
    sent = time.perf_counter()
    timing = await lecturer.set_widget(value, key=key, timeout=timeout)
    if futures:
        await asyncio.wait(futures, timeout=max(0.0, timeout - (time.perf_counter() - sent)))
    seconds = [round(f.result() - sent, 4) if f.done() else None for f in futures]
    for future in futures:
        future.cancel()  # a watch that never matched is dropped at the session's next element
    return seconds, timing
