"""The class's place in the sidebar (issue 24): open or join a room; the lecturer's code, QR code and join link,
how many follow, "bring everyone here"; a student's "follow the lecturer" switch. The code and the QR code also
open large, for the back of a hall (`show_code`)."""

from __future__ import annotations

import functools
import io
from urllib.parse import urlsplit

import segno
import streamlit as st

from explorer.classroom import RoomError
from explorer.ui import class_predict, class_room, class_sweep
from explorer.ui.class_room import Member

COUNT_EVERY_S = 2.0
BIG_CODE_CSS = "font-size: 5rem; font-weight: 700; letter-spacing: 0.25em; text-align: center; line-height: 1.1"


def join_link(code: str) -> str:
    """The app's root with `?room=CODE`: the link a student opens (no secret in it, ever)."""
    parts = urlsplit(st.context.url or "http://localhost:8501/")
    return f"{parts.scheme}://{parts.netloc}/?{class_room.ROOM_PARAM}={code}"


@functools.lru_cache(maxsize=64)  # the lecturer's sidebar draws it on every run: made once per link and size
def qr_png(text: str, scale: int) -> bytes:
    """A QR code of `text` as PNG (segno; error correction M survives a projector's glare and a phone's angle)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


@st.dialog("Join the class", width="large")
def show_code(code: str, link: str) -> None:
    words, picture = st.columns([3, 2], vertical_alignment="center")  # side by side: one projector screen holds both
    words.html(f'<div style="{BIG_CODE_CSS}">{code}</div>')
    words.markdown(f"Scan the QR code, or open **{link}**, or type the code under *Class* in the sidebar.")
    picture.image(qr_png(link, scale=12), width=360)


def sidebar() -> None:
    with st.sidebar:
        st.subheader("Class")
        refused = st.session_state.pop("class_refused", None)
        if refused:
            st.caption(f":material/error: {refused}")
        me = class_room.member()
        if me is None:
            lobby()
        elif me.lecturer:
            lecturer(me)
        else:
            student(me)


def lobby() -> None:
    st.button("Open a room (lecturer)", icon=":material/co_present:", key="class_open", on_click=class_room.open_room,
              width="stretch", help="Students join with its code or QR code and follow your page, tab and knobs.")
    st.text_input("Room code", max_chars=16, key="class_join_text", placeholder="e.g. K7M2QP")
    st.button("Join", icon=":material/login:", key="class_join", on_click=_join)


def _join() -> None:
    st.session_state["class_refused"] = class_room.join(st.session_state.get("class_join_text", ""))


def lecturer(me: Member) -> None:
    link = join_link(me.code)
    st.markdown(f"Room **{me.code}** · you lead")
    st.image(qr_png(link, scale=4), width=140)
    st.button("Show the code large", icon=":material/qr_code_2:", key="class_show", width="stretch",
              on_click=show_code, args=(me.code, link))
    counts(me)
    st.button("Bring everyone here", icon=":material/group:", key="class_gather", width="stretch",
              on_click=_lecturer_act, args=(lambda: class_room.classroom().bring_everyone_here(me.code, me.secret),),
              help="Every student follows again, onto this page with these knobs.")
    st.button("Close the room", icon=":material/logout:", key="class_close", width="stretch",
              on_click=_lecturer_act, args=(lambda: (class_room.classroom().close_room(me.code, me.secret),
                                                     class_room.leave()),))
    class_predict.lecturer_controls(me)
    class_sweep.lecturer_controls(me)


def _lecturer_act(act) -> None:
    try:
        act()
    except RoomError as err:
        st.session_state["class_refused"] = str(err)


def counts(me: Member) -> None:
    @st.fragment(run_every=COUNT_EVERY_S)
    def live() -> None:
        try:
            present = class_room.classroom().presence(me.code)
        except RoomError as err:
            st.caption(f":material/error: {err}")
            return
        st.markdown(f"**{present['following']}** following · **{present['exploring']}** exploring")

    live()


def student(me: Member) -> None:
    st.markdown(f"Room **{me.code}**")
    st.toggle("Follow the lecturer", key="class_following", on_change=_follow_again,
              help="Off: explore on your own. On again: back to the lecturer's view.")
    st.button("Leave the room", icon=":material/logout:", key="class_leave", on_click=class_room.leave,
              width="stretch")
    class_predict.student_controls(me)
    class_sweep.student_controls(me)


def main_panel() -> None:
    """The class's panels above the page (a question, a sweep), for a session in a room."""
    me = class_room.member()
    if me is not None:
        class_predict.main_panel(me)
        class_sweep.main_panel(me)


def _follow_again() -> None:
    if st.session_state.get("class_following"):
        st.session_state["class_seen"] = None  # the lecturer's view now, even if it has not moved since
