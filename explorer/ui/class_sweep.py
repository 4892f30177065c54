"""The class sweep in the app (issue 24, item 4): the class computes.

The lecturer picks a sweep (β, decoder σ or seeds of the β page's small sprites VAE: `training.class_sweep.presets`)
and starts it from the sidebar; above the page, a fragment reads the room's `sweep_status` every
`LECTURER_POLL_S` and fills in the R–D plane and the −ELBO against the swept quantity as results arrive, with the
spread over seeds where a value repeats. Each student's session helps by default (the switch under the room): a
fragment every `STUDENT_POLL_S` ticks the session's `Helper`, which claims a point, trains it on the server as a
normal bounded job (waiting for a free training slot when the server's are busy), renews its claim at every tick
(the room's heartbeats go on too), submits its numbers and claims the next. A student who leaves stops ticking:
their point goes to the next student who asks once the claim is 20 s old (`classroom.checks.CLAIM_STALE_S`).
"""

from __future__ import annotations

import streamlit as st

from explorer.classroom import RoomError
from explorer.figures import class_sweep as figures
from explorer.training import class_sweep
from explorer.ui import cache, class_room, session
from explorer.ui.class_room import Member
from explorer.ui.figure_export import chart

LECTURER_POLL_S = 1.5  # a point arrives every few seconds; each poll redraws two charts on the projector
STUDENT_POLL_S = 1.5  # a student's own progress, and the renewal of their claim (stale after 20 s)
HELPER_KEY = "class_sweep_helper"


def lecturer_controls(me: Member) -> None:
    """In the lecturer's sidebar, under the room: the sweep to start, and whether it shows above the page."""
    st.markdown("**Class sweep**")
    choices = class_sweep.presets(class_sweep.POINT_STEPS)
    label = st.selectbox("Sweep", list(choices), key="class_sweep_preset",
                         help="Each student's session trains one point on the server; your plot fills in live.")
    spec = choices[label]
    st.button("Start the class sweep", icon=":material/scatter_plot:", key="class_sweep_start", width="stretch",
              on_click=_start, args=(me, spec), help="Replaces any sweep this room had.")
    st.caption(f"{len(spec['values'])} points of {spec['model']['steps']} steps each on the 10-unit sprites VAE of "
               "the β page: about a minute with 10 students (two points train at once on a 2-core server).")
    st.toggle("Show the sweep above the page", value=True, key="class_sweep_show")


def _start(me: Member, spec: dict) -> None:
    try:
        class_room.classroom().start_sweep(me.code, me.secret, spec)
    except RoomError as err:
        st.session_state["class_refused"] = str(err)


def student_controls(me: Member) -> None:
    """In a student's sidebar, under the room: the opt-out. On by default: the point trains on the server, not on
    the student's device, and a class where every session helps finishes in about a minute."""
    st.toggle("Help the class: train a point", value=True, key="class_sweep_help",
              help="When the lecturer starts a class sweep, this session trains one point of it on the server "
                   "(a few seconds) and sends its numbers to the lecturer's plot. Off: the point you are training "
                   "finishes, and no new one is taken.")


def main_panel(me: Member) -> None:
    """At the top of the main area: the lecturer's live plot, a student's own point."""
    if me.lecturer:
        if st.session_state.get("class_sweep_show", True):
            lecturer_panel(me)
    else:
        student_panel(me)


def _status(me: Member) -> dict | None:
    try:
        return class_room.classroom().sweep_status(me.code)
    except RoomError as err:
        st.caption(f":material/error: {err}")
        return None


def lecturer_panel(me: Member) -> None:
    """The sweep's plot, polled while points are waiting or training; still once every point is done."""
    status = _status(me)
    if status is None:
        return

    @st.fragment(run_every=LECTURER_POLL_S if status["done"] < status["total"] else None)
    def live() -> None:
        now = _status(me)
        if now is None:
            return
        draw(now)
        if now["sweep_id"] != status["sweep_id"] or (now["done"] == now["total"] > status["done"]):
            st.rerun()  # a new sweep, or the last point: one full run sets the timer again, or turns it off

    with st.container(border=True):
        live()


def draw(status: dict) -> None:
    """Counts, then the R–D plane beside the −ELBO against the swept quantity."""
    tally = class_sweep.counts(status)
    symbol = class_sweep.SYMBOLS[status["knob"]]
    st.markdown(f"**Class sweep over {symbol}** · {tally['done']} done · {tally['training']} training · "
                f"{tally['waiting']} waiting (of {status['total']} points)")
    points = [{"value": p["value"], **p["result"]} for p in status["points"] if p["state"] == "done"]
    summary = class_sweep.summarise(status)
    left, right = st.columns(2)
    chart(figures.class_plane(points, summary, status["knob"], "The class's points on the R–D plane"),
          container=left, width="stretch", key="class_sweep_plane")
    title = "−ELBO per seed" if status["knob"] == "seed" else f"−ELBO against {symbol}"
    chart(figures.swept_curve(points, summary, status["knob"], title), container=right, width="stretch",
          key="class_sweep_curve")


def helper() -> class_sweep.Helper:
    """This session's helper: its points train on the session's device and stop when the session ends."""
    if HELPER_KEY not in st.session_state:
        device, alive = session.device(), session.alive_check()

        def make_job(spec: class_sweep.PointSpec) -> class_sweep.PointJob:
            return class_sweep.PointJob(spec, cache.dataset(spec.dataset, "train"), cache.dataset(spec.dataset, "test"),
                                        device, alive)

        st.session_state[HELPER_KEY] = class_sweep.Helper(make_job)
    return st.session_state[HELPER_KEY]


def student_panel(me: Member) -> None:
    """A timer that ticks the helper while the room's sweep has points left (or this session trains one): a line
    and a progress bar. Without a sweep it has no timer: a new sweep reruns the app (`class_push`)."""
    mine, room = helper(), class_room.classroom()
    busy = _busy(mine, _status(me))

    @st.fragment(run_every=STUDENT_POLL_S if busy else None)
    def live() -> None:
        try:
            status = room.sweep_status(me.code)
            line = mine.tick(status, lambda: room.claim_point(me.code, me.session_id),
                             lambda point, numbers: room.submit_result(me.code, me.session_id, point, numbers),
                             helping=st.session_state.get("class_sweep_help", True))
        except RoomError as err:
            st.caption(f":material/error: {err}")
            return
        if mine.submitted and status is not None and status["done"] < status["total"]:
            status = room.sweep_status(me.code)  # after the tick: the count includes the point it may have sent
        if mine.error:
            st.warning(mine.error)
        if mine.job is not None:
            st.progress(mine.progress, text=f"{line} · step {mine.job.step} of {mine.job.config.steps}")
        elif line:
            st.caption(line)
        if status is not None and (mine.job is not None or mine.submitted):
            st.caption(f"You trained {mine.submitted} point(s) for the class · the class: {status['done']} of "
                       f"{status['total']} done")
        if busy and not _busy(mine, status):
            st.rerun()  # the sweep is done, or this session stopped helping: one full run turns the timer off

    live()


def _busy(mine: class_sweep.Helper, status: dict | None) -> bool:
    """Whether this session's helper has work: a point training, or points left it may claim."""
    left = status is not None and status["done"] < status["total"]
    return mine.job is not None or (left and not mine.error and st.session_state.get("class_sweep_help", True))
