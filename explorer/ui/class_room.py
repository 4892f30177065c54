"""The class in the app (issue 24): this session's place in a room, and "follow me".

A lecturer opens a room (`open_room`): the session keeps its code and secret, never put in a link. A student joins
with the join link (`?room=CODE`, read by `join_from_link` at the top of every run) or by typing the code; the code
stays in the address bar (`ROOM_PARAM`, passed through by `state.publish`), so a reload stays in the room.

Follow me: every run of the lecturer's session publishes its page and its URL's knobs (tab and preset included:
they are knobs) to the room (`publish_view`). A student's page has no timer: the process's one watcher thread
(`class_push`) reruns the student's session when its room moved, and each run of it takes the view first
(`catch_up`, before any widget): when the view's version moved (or the lecturer pressed "bring everyone here"),
each knob of the lecturer's page is set from the lecturer's URL text through the page's own knob parsing (the same
validation a pasted link gets), and the page's default where the lecturer's is; on another page, after a switch
(`apply_pending`). Knobs outside the page's declaration, and projector mode, a student's own, are never set.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import streamlit as st

from explorer.classroom import Classroom, RoomError, store_from_env
from explorer.ui import class_push, outline, session, state

ROOM_PARAM = state.ROOM_PARAM
KEYS = ("class_code", "class_secret", "class_following", "class_seen", "class_pending", "class_beat",
        "class_published")
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
    if class_push.pushing():
        watcher().leave(session.session_id())
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
        version = classroom().publish(me.code, me.secret, page_path, params)
    except RoomError as err:
        st.session_state["class_refused"] = str(err)
        return
    if version != st.session_state.get("class_published") and class_push.pushing():
        watcher().poke()  # followers in this process hear it now; those on other replicas at their next poll
    st.session_state["class_published"] = version


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
        state.set_widget(key, knob.default if isinstance(value, state.Refused) else value)


@st.cache_resource
def watcher() -> class_push.Watcher:
    """The process's one watcher of its students' rooms, which reruns a session when its room moved."""
    return class_push.Watcher(classroom(), class_push.rerun_session, class_push.session_alive)


def catch_up(page_path: str) -> None:
    """Early in every run, before any widget: the view a page switch carried over, else the room's view when it
    moved since this session took it (a follower's; anyone's after "bring everyone here"). A student's session is
    then enrolled with the watcher, which reruns it when the room moves again: a student's page has no timer."""
    apply_pending()
    me = member()
    if me is None or me.lecturer:
        return
    try:
        heartbeat(me)
        pulse = classroom().pulse(me.code)
    except RoomError as err:
        st.session_state["class_refused"] = str(err)
        pulse = None
    else:
        take_view(pulse["view"], page_path)
    if class_push.pushing():
        seen = None if pulse is None else class_push.pulse_key(pulse)
        enrolled = class_push.Enrolled(me.session_id, bool(st.session_state.get("class_following")), seen)
        watcher().enrol(me.code, session.session_id(), enrolled)


def finish_run() -> None:
    """The app's last line: a student's run is over, and the watcher may rerun the next session in its queue."""
    me = member()
    if class_push.pushing() and me is not None and not me.lecturer:
        watcher().finished(session.session_id())


def take_view(view: dict, page_path: str) -> None:
    """The lecturer's view into this run, when it moved since this session took it: on this page at once, on
    another after a switch (`apply_pending` in the next run)."""
    seen = st.session_state.get("class_seen") or (0, 0)
    gathered = view["gather"] != seen[1]  # "bring everyone here": explorers too
    if not (st.session_state.get("class_following") or gathered) or (view["version"], view["gather"]) == seen:
        return
    st.session_state["class_seen"] = (view["version"], view["gather"])
    if view["version"]:
        st.session_state["class_pending"] = (view["page"], view["params"], gathered)
        if view["page"] != page_path:
            st.switch_page(page_spec(view["page"]).path)
        apply_pending()


def heartbeat(me: Member) -> None:
    """Presence every `class_push.HEARTBEAT_EVERY_S`, and at once when the student switched following on or off."""
    now, following = time.monotonic(), bool(st.session_state.get("class_following"))
    every = class_push.HEARTBEAT_EVERY_S
    last, sent = st.session_state.get("class_beat") or (-every, None)
    if now - last >= every or sent != following:
        classroom().heartbeat(me.code, me.session_id, following)
        st.session_state["class_beat"] = (now, following)
