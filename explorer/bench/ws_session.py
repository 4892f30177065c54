"""A simulated browser session that speaks Streamlit's websocket protocol: load without browsers.

One `WsSession` is what a browser tab is to the server: a websocket on `/_stcore/stream` (subprotocol "streamlit";
no XSRF token is needed without authentication), a `rerun_script` BackMsg that asks for a page, and then the
ForwardMsgs that draw it (new_session, deltas, script_finished), kept in a `PageView`. Setting a widget sends
another rerun with the session's widget states, a fragment rerun when the widget is drawn in a fragment, as the
frontend does; timer fragments (`run_every`) are rerun on their timer. Images are fetched over HTTP as a browser
fetches them. Every rerun is timed (`RerunTiming`): to its run's start, first delta, first image or chart, the
element asked for (and its image fetched), and the end of the run. A session is a few asyncio tasks and no thread,
so one event loop drives hundreds (`open_sessions`).

    sessions = await open_sessions("http://127.0.0.1:8501", 100, page="latent_space")
    decoded = lambda kind, element: kind == "imgs" and "decoded at" in element.imgs.imgs[0].caption
    timing = await sessions[0].trigger(key="click_mnist-vae-2d", event="released", value={"z1": 0.5, "z2": -1.0},
                                       until=decoded)  # timing.fetched_s: click to image fetched
    timing = await sessions[0].set_widget("scikit-learn digits 8×8", key="latent_dataset")  # or its index, 1
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from explorer.bench.ws_media import fetch
from explorer.bench.ws_page import FINISHED_EARLY_FOR_RERUN, VISUAL_KINDS, PageView
from explorer.bench.ws_widgets import is_trigger, widget_state

Until = Callable[[str, object], bool]  # (element kind, Element proto) -> is this the element a rerun waits for?
MAX_MESSAGE_BYTES = 64 * 2**20  # a component's data can be megabytes; websockets' default limit is 1 MiB


@dataclass
class RerunTiming:
    """Seconds from sending a rerun to each of its marks (None: not reached); `error` names what went wrong."""

    started_s: float | None = None  # the run's new_session
    first_delta_s: float | None = None
    first_visual_s: float | None = None  # the first image, chart or component
    matched_s: float | None = None  # the element `until` waited for
    fetched_s: float | None = None  # …and its image fetched over HTTP
    finished_s: float | None = None  # script_finished
    status: int | None = None  # ForwardMsg.script_finished
    error: str | None = None


class _Request:
    """The one rerun a session waits for; a fragment rerun's run names its fragment, a full run none."""

    def __init__(self, fragment_id: str, until: Until | None) -> None:
        self.sent = time.perf_counter()
        self.fragment_id, self.until = fragment_id, until
        self.timing, self.run_id, self.fetching = RerunTiming(), None, None
        self.done = asyncio.Event()

    def since(self) -> float:
        return round(time.perf_counter() - self.sent, 4)

    def matches_run(self, fragment_ids: tuple[str, ...]) -> bool:
        return self.fragment_id in fragment_ids if self.fragment_id else not fragment_ids

    def finish(self, error: str | None = None) -> None:
        self.timing.error = self.timing.error or error
        self.done.set()


class WsSession:
    """A browser tab without the browser. `await WsSession.open(url, page)`, then set widgets; `close()`."""

    def __init__(self, base_url: str, fetch_media: bool = True) -> None:
        self.base_url, self.fetch_media = base_url.rstrip("/"), fetch_media
        self.page, self.values = PageView(), {}  # values: widget id -> the WidgetState the session last set
        self.errors: list[str] = []
        self.query_string = ""
        self._ws, self._reader, self._request = None, None, None
        self._timers: dict[str, asyncio.Task] = {}  # fragment id -> its auto-rerun task
        self._fetches: set[asyncio.Task] = set()

    @classmethod
    async def open(cls, base_url: str, page: str = "", query: str = "", timeout: float = 120.0,
                   fetch_media: bool = True) -> WsSession:
        """Connect and load `page` (its URL path: '' is the default page), as a browser opening base_url/page."""
        session = cls(base_url, fetch_media)
        await session.connect()
        session.query_string = query
        session.load_timing = await session.rerun(page_name=page, timeout=timeout)
        if session.load_timing.error:
            raise RuntimeError(f"{page or 'the default page'} did not load: {session.load_timing}; {session.errors}")
        return session

    async def connect(self) -> None:
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        self._ws = await connect(f"{scheme}://{parts.netloc}{parts.path}/_stcore/stream", subprotocols=["streamlit"],
                                 origin=f"{parts.scheme}://{parts.netloc}", max_size=MAX_MESSAGE_BYTES)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        for task in [*self._timers.values(), *self._fetches]:
            task.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    # --- sending -------------------------------------------------------------------------------------------

    async def _send_rerun(self, changes: list[WidgetState], fragment_id: str = "", page_name: str = "",
                          page_hash: str = "", auto: bool = False) -> None:
        back = BackMsg()
        run = back.rerun_script
        run.query_string, run.fragment_id, run.is_auto_rerun = self.query_string, fragment_id, auto
        run.page_script_hash = page_hash or self.page.page_script_hash
        run.page_name = "" if run.page_script_hash else page_name  # a direct link names the page by its path
        run.cached_message_hashes.extend(self.page.cached_hashes())
        states = {**self.values, **{state.id: state for state in changes}}
        run.widget_states.widgets.extend(states.values())
        self.values.update({state.id: state for state in changes if not is_trigger(state)})
        await self._ws.send(back.SerializeToString())

    async def rerun(self, changes: list[WidgetState] = (), fragment_id: str = "", page_name: str = "",
                    page_hash: str = "", until: Until | None = None, timeout: float = 30.0) -> RerunTiming:
        """Send a rerun with the session's widget values and `changes`; wait for its run to end (and for the
        element `until` picks, and its image, if one is given). Never raises for the server's faults: they are in
        the timing's `error`."""
        if self._request is not None:
            raise RuntimeError("one rerun at a time: a student waits for the page before changing it again")
        request = self._request = _Request(fragment_id, until)
        try:
            await self._send_rerun(list(changes), fragment_id, page_name, page_hash)
            await asyncio.wait_for(request.done.wait(), timeout)
        except TimeoutError:
            request.finish(f"timeout after {timeout} s")
        except ConnectionClosed as closed:
            request.finish(f"connection closed: {closed}")
        finally:
            self._request = None
        if until is not None and request.timing.matched_s is None:
            request.timing.error = request.timing.error or "the awaited element never came"
        return request.timing

    async def goto(self, page: str, until: Until | None = None, timeout: float = 60.0) -> RerunTiming:
        """Open another page (its URL path; '' the default page), as a click in the sidebar's navigation does."""
        if page not in self.page.pages:
            raise LookupError(f"no page {page!r}: the app has {sorted(self.page.pages)}")
        return await self.rerun(page_hash=self.page.pages[page], until=until, timeout=timeout)

    async def set_widget(self, value: object, key: str | None = None, label: str | None = None,
                         until: Until | None = None, timeout: float = 30.0) -> RerunTiming:
        """Set the widget with this key (or label) to `value`, as a user would, and time the rerun it causes."""
        widget = self.page.find(key=key, label=label)
        return await self.rerun([widget_state(widget, value)], widget.fragment_id, until=until, timeout=timeout)

    async def trigger(self, key: str | None = None, label: str | None = None, event: str | None = None,
                      value: object = None, until: Until | None = None, timeout: float = 30.0) -> RerunTiming:
        """Press a button, or fire a component's `event` with `value` (a click on a canvas map), and time it."""
        widget = self.page.find(key=key, label=label)
        state = widget_state(widget, value, event=event) if widget.kind == "bidi_component" else widget_state(widget)
        return await self.rerun([state], widget.fragment_id, until=until, timeout=timeout)

    # --- receiving -----------------------------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                message = ForwardMsg()
                message.ParseFromString(data)
                resolved = self.page.resolve(message)
                if resolved is None:
                    self.errors.append(f"ref_hash {message.ref_hash} not in the cache")
                    continue
                self.page.apply(resolved)
                self._handle(resolved)
        except ConnectionClosed as closed:
            self.errors.append(f"connection closed: {closed}")
        finally:
            if self._request is not None:
                self._request.finish("connection closed")

    def _handle(self, message: ForwardMsg) -> None:
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self._on_run_start(message)
        elif kind == "auto_rerun":
            self._start_timer(message.auto_rerun.fragment_id, message.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fragment_id in message.stop_auto_rerun.fragment_ids:
                self._stop_timer(fragment_id)
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            self._on_element(message.delta.new_element)
        elif kind == "script_finished":
            self._on_run_end(message)
        elif kind == "page_info_changed":  # the address bar the next rerun sends, as a browser's URL
            self.query_string = message.page_info_changed.query_string

    def _on_run_start(self, message: ForwardMsg) -> None:
        fragment_ids = tuple(message.metadata.run.fragment_ids)
        if not fragment_ids:  # a full run: the frontend drops every timer, the run sets them again
            for fragment_id in list(self._timers):
                self._stop_timer(fragment_id)
        request = self._request
        if request is not None and request.matches_run(fragment_ids):
            request.run_id = message.metadata.run.script_run_id  # a run replaced by a rerun: its successor
            if request.timing.started_s is None:
                request.timing.started_s = request.since()

    def _on_element(self, element) -> None:
        kind, request = element.WhichOneof("type"), self._request
        awaited = request is not None and request.run_id == self.page.run.run_id
        if awaited:
            timing = request.timing
            timing.first_delta_s = timing.first_delta_s or request.since()
            if kind in VISUAL_KINDS and timing.first_visual_s is None:
                timing.first_visual_s = request.since()
            awaited = request.until is not None and timing.matched_s is None and request.until(kind, element)
            if awaited:
                timing.matched_s = request.since()
        if kind == "imgs" and (self.fetch_media or awaited):  # a browser fetches every image it shows
            for index, image in enumerate(element.imgs.imgs):
                task = self._fetch(image.url, request if awaited and index == 0 else None)
                if awaited and index == 0:
                    request.fetching = task

    def _on_run_end(self, message: ForwardMsg) -> None:
        request = self._request
        if request is None or message.metadata.run.script_run_id != request.run_id:
            return
        if message.script_finished == FINISHED_EARLY_FOR_RERUN:
            return  # the rerun that replaced it is the one to wait for
        request.timing.finished_s, request.timing.status = request.since(), message.script_finished
        if request.fetching is None or request.fetching.done():
            request.finish()
        else:
            request.fetching.add_done_callback(lambda _: request.finish())

    def _fetch(self, url: str, request: _Request | None) -> asyncio.Task:
        async def fetch_one() -> None:
            try:
                await fetch(self.base_url, url)
            except OSError as error:
                self.errors.append(f"GET {url}: {error}")
                if request is not None:
                    request.timing.error = f"GET {url}: {error}"
                return
            if request is not None:
                request.timing.fetched_s = request.since()

        task = asyncio.create_task(fetch_one())
        self._fetches.add(task)
        task.add_done_callback(self._fetches.discard)
        return task

    def _start_timer(self, fragment_id: str, interval: float) -> None:
        async def tick() -> None:
            while True:
                await asyncio.sleep(interval)
                with contextlib.suppress(ConnectionClosed):
                    await self._send_rerun([], fragment_id, auto=True)

        self._stop_timer(fragment_id)
        self._timers[fragment_id] = asyncio.create_task(tick())

    def _stop_timer(self, fragment_id: str) -> None:
        task = self._timers.pop(fragment_id, None)
        if task is not None:
            task.cancel()


async def open_sessions(base_url: str, n: int, page: str = "", at_once: int = 4, **options) -> list[WsSession]:
    """`n` sessions on `page`, `at_once` of them loading it at the same time (a hall does not open in lockstep)."""
    gate = asyncio.Semaphore(at_once)

    async def one() -> WsSession:
        async with gate:
            return await WsSession.open(base_url, page, **options)

    return list(await asyncio.gather(*(one() for _ in range(n))))
