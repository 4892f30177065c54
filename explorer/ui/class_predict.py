"""Predict, then reveal (issue 24, item 3): the lecturer asks one of the lecture's questions
(`explorer.lecture.questions`), every student answers above the page, the lecturer reveals the true result next to
the class's answers (`explorer.figures.class_answers`).

The lecturer's sidebar (`lecturer_controls`) picks a question (the current page's first), asks it, closes the answers
and reveals; its count of answers refreshes every `POLL_EVERY_S`. Asking starts measuring the truth in a background
thread (`truth_future`, one for the process: the VQ-VAE's takes ~15 s, the others under 3 s, each once), so the
reveal only stores it and draws. The panel above the page (`main_panel`: the lecturer's polls the room every
`POLL_EVERY_S`; the class's watcher reruns a student's when the question changes) shows everyone the question; a
student answers there (a choice, a slider, or a point's two coordinates) and may change the answer while it is
open; once revealed, lecturer and students see the figure.
Answers are anonymous: the room keeps one per session and hands out counts. A refusal (`RoomError`) is shown in a
short line and nothing else happens.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import streamlit as st

from explorer.classroom import RoomError
from explorer.figures.class_answers import class_answers
from explorer.lecture import questions
from explorer.lecture.questions import Question, Truth
from explorer.ui import class_room, outline
from explorer.ui.class_room import Member
from explorer.ui.figure_export import chart

POLL_EVERY_S = 0.5  # a reveal reaches every student within a second (poll + ~50 ms to draw)
TRUTH_WAIT_S = 180.0  # a reveal pressed before the truth is measured waits at most this long for it
PICK, REFUSED, SENT, SHOWN_TRUTH = "class_q_pick", "class_refused", "class_q_sent", "class_q_truth"
_MEASURING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="class-truth")
_FUTURES: dict[str, Future] = {}
_FUTURES_LOCK = threading.Lock()


def truth_future(question: Question) -> Future:
    """The question's truth, measured once per process in the background (again if it failed)."""
    with _FUTURES_LOCK:
        future = _FUTURES.get(question.id)
        if future is None or (future.done() and future.exception() is not None):
            future = _FUTURES[question.id] = _MEASURING.submit(question.truth)
        return future


def _refuse(message: str) -> None:
    st.session_state[REFUSED] = message  # the class sidebar shows it at its top


def _lecturer_page(me: Member) -> str:
    """The stem of the page the lecturer's last run published ("" before any)."""
    try:
        view = class_room.classroom().view(me.code)
    except RoomError:
        return ""
    return class_room.page_spec(view["page"]).stem if view["version"] else ""


def _menu_label(question: Question, page: str) -> str:
    where = "" if question.page == page else f"[{outline.BY_STEM[question.page].title}] "
    return f"{where}{question.prompt}"


def lecturer_controls(me: Member) -> None:
    """In the lecturer's sidebar, under the room: pick, ask, close, reveal; the live count."""
    st.markdown("**Predict, then reveal**")
    page = _lecturer_page(me)
    listed = [question.id for question in questions.for_page(page)]
    st.selectbox("Question", listed, format_func=lambda qid: _menu_label(questions.BY_ID[qid], page), key=PICK)
    row = st.container(horizontal=True, gap="small")  # as wide as their labels: three columns cut them to "A…"
    row.button("Ask", icon=":material/help:", key="class_q_ask", on_click=_ask, args=(me,),
               help="Every student sees the question above the page and answers.")
    row.button("Close", icon=":material/lock:", key="class_q_close", on_click=_close, args=(me,),
               help="No more answers to the question asked; the count stays.")
    row.button("Reveal", icon=":material/visibility:", key="class_q_reveal", on_click=_reveal, args=(me,),
               help="The true result next to the class's answers, for everyone.")
    live_count(me)


def _ask(me: Member) -> None:
    question = questions.BY_ID.get(st.session_state.get(PICK))
    if question is None:
        return _refuse("Pick a question first.")
    try:
        class_room.classroom().open_question(me.code, me.secret, question.id, question.kind, question.spec())
    except RoomError as err:
        return _refuse(str(err))
    st.session_state.pop(SHOWN_TRUTH, None)
    truth_future(question)  # measured while the class answers


def _asked(me: Member) -> dict | None:
    """The room's current question, or None (a refusal kept for the sidebar)."""
    try:
        current = class_room.classroom().current_question(me.code)
    except RoomError as err:
        _refuse(str(err))
        return None
    if current is None:
        _refuse("No question asked yet: pick one and press Ask.")
    return current


def _close(me: Member) -> None:
    current = _asked(me)
    if current is not None:
        try:
            class_room.classroom().close_question(me.code, me.secret, current["id"])
        except RoomError as err:
            _refuse(str(err))


def _measured(question: Question | None) -> Truth | None:
    """The question's truth, waiting for it if it is still being measured; None (and a line why) if it failed."""
    if question is None:
        return None
    try:
        return truth_future(question).result(timeout=TRUTH_WAIT_S)
    except Exception as err:  # noqa: BLE001 - whatever failed (MNIST missing, say) is named; the answers still show
        _refuse(f"The true result could not be computed ({type(err).__name__}: {err}); revealed without it.")
        return None


def _reveal(me: Member) -> None:
    current = _asked(me)
    if current is None:
        return
    truth = _measured(questions.BY_ID.get(current["id"]))
    try:
        class_room.classroom().reveal(me.code, me.secret, current["id"], None if truth is None else truth.value)
    except RoomError as err:
        return _refuse(str(err))
    st.session_state[SHOWN_TRUTH] = (current["id"], truth)


def live_count(me: Member) -> None:
    @st.fragment(run_every=POLL_EVERY_S)
    def count() -> None:
        try:
            current = class_room.classroom().current_question(me.code)
            tally = None if current is None else class_room.classroom().tally(me.code, current["id"])
        except RoomError as err:
            st.caption(f":material/error: {err}")
            return
        if tally is not None:
            st.markdown(f"**{_answers(tally['count'])}** · {tally['state']}")

    count()


def _answers(count: int) -> str:
    return f"{count} answer{'' if count == 1 else 's'}"


def student_controls(me: Member) -> None:
    """In a student's sidebar: where the questions appear."""
    st.caption("The lecturer's questions appear above the page; your answers are anonymous.")


def main_panel(me: Member) -> None:
    """At the top of the main area, above the page, for lecturer and students alike: the question asked, a
    student's answer, the count, and the class's answers beside the truth once revealed."""

    # the lecturer's count moves with every answer; a student's panel changes only when the question does, and
    # then the class's watcher (`class_push`) reruns the student's app
    @st.fragment(run_every=POLL_EVERY_S if me.lecturer else None)
    def panel() -> None:
        try:
            current = class_room.classroom().current_question(me.code)
            shown = current is not None and (me.lecturer or current["state"] == "revealed")
            tally = class_room.classroom().tally(me.code, current["id"]) if shown else None
        except RoomError as err:
            st.caption(f":material/error: {err}")
            return
        if current is not None:
            with st.container(border=True):
                question_view(me, current, tally)

    panel()


def question_view(me: Member, current: dict, tally: dict | None) -> None:
    question = questions.BY_ID.get(current["id"])
    st.markdown(f"**Predict:** {current['spec'].get('prompt', current['id'])}")
    if current["state"] != "open" and st.session_state.get(SENT) == current["id"]:
        del st.session_state[SENT]  # a question asked again starts with no answer of this session
    if current["state"] == "revealed":
        revealed_view(me, question, tally)
    elif me.lecturer:
        st.markdown(f"**{_answers(tally['count'])}** so far · {current['state']}")
    elif current["state"] == "open":
        answer_form(me, current, question)
    else:
        st.caption("Answers are closed: the lecturer reveals the result next.")


def revealed_view(me: Member, question: Question | None, tally: dict) -> None:
    truth = tally.get("truth")
    label = question.label(truth) if question is not None and truth is not None else ""
    unit = question.unit if question is not None else ""
    chart(class_answers(tally, label, unit), width="stretch", key=f"class_answers_{tally['question_id']}")
    kept = st.session_state.get(SHOWN_TRUTH)
    if me.lecturer and kept and kept[0] == tally["question_id"] and kept[1] is not None:
        st.caption(kept[1].how)
    elif truth is None:
        st.caption("No true result was stored for this question: the class's answers alone.")


def answer_form(me: Member, current: dict, question: Question | None) -> None:
    """The answer widget for the question's kind, a Send button, and what became of the last send."""
    qid, spec, key = current["id"], current["spec"], f"class_answer_{current['id']}"
    if current["kind"] == "choice":
        st.radio("Your answer", range(len(spec["options"])), format_func=lambda i: spec["options"][i], index=None,
                 key=key, horizontal=True)
    elif current["kind"] == "slider":
        unit = f" ({question.unit})" if question is not None and question.unit else ""
        step = question.slider_step() if question is not None else (spec["high"] - spec["low"]) / 100
        st.slider(f"Your answer{unit}", spec["low"], spec["high"], (spec["low"] + spec["high"]) / 2, step, key=key)
    else:
        left, right = st.columns(2)
        left.number_input("z₁", *spec["x"], value=sum(spec["x"]) / 2, key=f"{key}_x")
        right.number_input("z₂", *spec["y"], value=sum(spec["y"]) / 2, key=f"{key}_y")
    st.button("Send", icon=":material/send:", key=f"class_send_{qid}", on_click=_send, args=(me, current))
    refused = st.session_state.pop("class_q_refused", None)
    if refused:
        st.caption(f":material/error: {refused}")
    elif st.session_state.get(SENT) == qid:
        st.caption(":material/check: Answer received (you can change it while answers are open).")


def _send(me: Member, current: dict) -> None:
    key = f"class_answer_{current['id']}"
    if current["kind"] == "point":
        value = [st.session_state.get(f"{key}_x"), st.session_state.get(f"{key}_y")]
    else:
        value = st.session_state.get(key)
    if value is None:
        st.session_state["class_q_refused"] = "Pick an answer first."
        return
    try:
        class_room.classroom().answer(me.code, me.session_id, current["id"], value)
    except RoomError as err:
        st.session_state["class_q_refused"] = str(err)
        return
    st.session_state[SENT] = current["id"]
