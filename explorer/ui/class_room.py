"""The class in the app (issue 24): this session's place in a room, and "follow me".

A lecturer opens a room (`open_room`): the session keeps its code and secret, never put in a link. A student joins
with the join link (`?room=CODE`, read by `join_from_link` at the top of every run) or by typing the code; the code
stays in the address bar (`ROOM_PARAM`, passed through by `state.publish`), so a reload stays in the room.

Follow me: every run of the lecturer's session publishes its page and its URL's knobs (tab and preset included:
they are knobs) to the room (`publish_view`). A student's sidebar fragment (`follow`) reads the room's view every
`FOLLOW_EVERY_S`; when its version moved (or the lecturer pressed "bring everyone here"), it keeps the view as
pending and reruns the app on the lecturer's page; the next run's first act (`apply_pending`), before any widget
exists, sets each knob of that page from the lecturer's URL text through the page's own knob parsing (the same
validation a pasted link gets), and the page's default where the lecturer's is. Knobs outside the page's
declaration, and projector mode, a student's own, are never set.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import streamlit as st

from explorer.classroom import Classroom, RoomError, store_from_env
from explorer.ui import outline, session, state

ROOM_PARAM = state.ROOM_PARAM
FOLLOW_EVERY_S = 0.5  # a student's view changes within a second of the lecturer's
HEARTBEAT_EVERY_S = 3.0  # presence is counted over the last 15 s (`classroom.checks.PRESENCE_S`)
KEYS = ("class_code", "class_secret", "class_following", "class_seen", "class_pending", "class_beat",
        "class_room_seen")
LECTURERS: dict[str, tuple[str, str]] = {}  # browser token -> (code, secret): a lecturer's reload keeps the room


@st.cache_resource
def classroom() -> Classroom:
    """The process's one Classroom: in-process rooms, or Redis when LATENT_LAB_REDIS_URL is set (replicas share)."""
    return Classroom(store_from_env())


@dataclass(frozen=True)
class Member:
    code: str
    session_id: str
    secret: str | None = None  # only the lecturer's session holds it

    @property
    def lecturer(self) -> bool:
        return self.secret is not None


def member() -> Member | None:
    code = st.session_state.get("class_code")
    if not code:
        return None
    # the room knows a session by a digest of its id and its browser's token: Streamlit's id never leaves the
    # process, two tabs of one browser are two sessions, and so are AppTest's sessions (which share one id)
    sid = hashlib.sha256(f"{session.session_id()}:{session.browser_token()}".encode()).hexdigest()[:32]
    return Member(code, sid, st.session_state.get("class_secret"))


def open_room() -> None:
    """A new room with this session as its lecturer (a button's callback)."""
    code, secret = classroom().open_room()
    st.session_state["class_code"], st.session_state["class_secret"] = code, secret
    st.session_state[ROOM_PARAM] = code
    LECTURERS[session.browser_token()] = (code, secret)


def join(text: str) -> str | None:
    """Join the room `text` names as a student, following the lecturer; the refusal in words, or None."""
    try:
        code = classroom().join(text)
    except RoomError as err:
        return str(err)
    st.session_state.update(class_code=code, class_secret=None, class_following=True, class_seen=None)
    st.session_state[ROOM_PARAM] = code
    return None


def leave() -> None:
    """Leave the room (a lecturer's stays open for its students until it expires or is closed)."""
    for key in (*KEYS, ROOM_PARAM):
        st.session_state.pop(key, None)
    LECTURERS.pop(session.browser_token(), None)


def join_from_link() -> None:
    """First in a run: a lecturer's reload finds its room again; a join link's `?room=CODE` joins this session (a
    refused code is named in the sidebar, nothing else happens)."""
    if st.session_state.get("class_code"):
        return
    token = st.session_state.get(session.BROWSER_TOKEN_KEY) or st.context.cookies.get(session.BROWSER_COOKIE)
    if token in LECTURERS:
        code, secret = LECTURERS[token]
        try:
            classroom().view(code)
        except RoomError:  # closed or expired: forgotten, and this reload is no lecturer's
            LECTURERS.pop(token, None)
        else:
            st.session_state.update(class_code=code, class_secret=secret)
            st.session_state[ROOM_PARAM] = code
            return
    text = st.query_params.get(ROOM_PARAM)
    if text:
        st.session_state["class_refused"] = join(text)


def publish_view(page_path: str) -> None:
    """The lecturer's page and knobs, to the room (the version moves only when they changed)."""
    me = member()
    if me is None or not me.lecturer:
        return
    params = {k: v for k, v in st.query_params.to_dict().items() if k not in (ROOM_PARAM, *state.GLOBAL_KNOBS)}
    try:
        classroom().publish(me.code, me.secret, page_path, params)
    except RoomError as err:
        st.session_state["class_refused"] = str(err)


def page_spec(page_path: str) -> outline.PageSpec:
    """The declared page the navigation calls `page_path` ("" is the default page)."""
    return next((p for p in outline.PAGES if (p.default and not page_path) or p.stem == page_path), outline.HOME)


def apply_pending() -> None:
    """First in a run, before any widget: the lecturer's view kept by `follow`, set into this session's knobs."""
    pending = st.session_state.pop("class_pending", None)
    if pending is None:
        return
    page_path, params, gathered = pending
    if gathered:
        st.session_state["class_following"] = True
    for key, knob in page_spec(page_path).all_knobs.items():
        if key in state.GLOBAL_KNOBS:
            continue
        value = knob.read(params[key]) if isinstance(params.get(key), str) else knob.default
        st.session_state[key] = knob.default if isinstance(value, state.Refused) else value


def follow(current_page: str) -> None:
    """A student's one timer (in the sidebar): presence now and then, the lecturer's view when it moved, and a
    rerun of the whole app when the room's question or sweep changed, so the panels above the page need no timers
    of their own (three timers a student were ~470 fragment runs a second for 100 students: BENCHMARKS.md)."""
    me = member()
    if me is None or me.lecturer:
        return
    try:  # what this run's panels draw: a later poll that reads otherwise reruns the app
        st.session_state["class_room_seen"] = _room_state(classroom().pulse(me.code))
    except RoomError:
        pass

    @st.fragment(run_every=FOLLOW_EVERY_S)
    def watch() -> None:
        try:
            heartbeat(me)
            pulse = classroom().pulse(me.code)
        except RoomError as err:
            st.caption(f":material/error: {err}")
            return
        view, seen = pulse["view"], st.session_state.get("class_seen") or (0, 0)
        gathered = view["gather"] != seen[1]  # "bring everyone here": explorers too
        moved = (st.session_state.get("class_following") or gathered) and (view["version"], view["gather"]) != seen
        if moved:
            st.session_state["class_seen"] = (view["version"], view["gather"])
            if view["version"]:
                go_to(view["page"], view["params"], current_page, gathered)
        if st.session_state.get("class_room_seen") != _room_state(pulse):
            st.rerun(scope="app")

    watch()


def _room_state(pulse: dict) -> tuple:
    """What the panels above the page show of the room: the current question and its state, the sweep."""
    return (tuple(pulse["question"] or ()), pulse["sweep"])


def heartbeat(me: Member) -> None:
    """Presence every `HEARTBEAT_EVERY_S`, and at once when the student switched following on or off."""
    now, following = time.monotonic(), bool(st.session_state.get("class_following"))
    last, sent = st.session_state.get("class_beat") or (-HEARTBEAT_EVERY_S, None)
    if now - last >= HEARTBEAT_EVERY_S or sent != following:
        classroom().heartbeat(me.code, me.session_id, following)
        st.session_state["class_beat"] = (now, following)


def go_to(page_path: str, params: dict, current_page: str, gathered: bool) -> None:
    """Rerun the app on the lecturer's page; `apply_pending` sets its knobs first thing (and following on again,
    when `gathered`: the switch's widget exists in this run, so only the next run's start may set it)."""
    st.session_state["class_pending"] = (page_path, params, gathered)
    if page_path == current_page:
        st.rerun(scope="app")
    st.switch_page(page_spec(page_path).path)
