"""The class over Streamlit's websocket (`explorer.bench.ws_class`) against the real server.

A lecturer opens a room on the Reparameterization page; three simulated students join with the join link's
`?room=CODE`. One μ change of the lecturer's reaches all three without a request of theirs (the server's watcher
reruns their sessions, explorer/ui/class_push.py): each view shows the new μ within a few seconds. A student who
switched "Follow the lecturer" off keeps their own μ on the next change; the others follow. No browser: this checks
the client that `python -m explorer bench --class N` drives by the hundred. And the first visitors of a freshly
started server, arriving together (a hall on a restarted replica), each get the whole app.
"""

from __future__ import annotations

import asyncio

import pytest

from explorer.bench.browser import streamlit_server
from explorer.bench.process import in_own_thread

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
PAGE, MU = "reparameterization", "rep_mu"
ARRIVES_WITHIN_S = 8.0  # the watcher reads the room every 0.2 s; a slack for a busy test machine


@pytest.fixture(scope="module")
def server_url():
    with streamlit_server() as url:
        yield url


def assert_clean(sessions) -> None:
    for session in sessions:
        assert not session.errors and not session.page.exceptions() and not session.page.unresolved_refs


async def lecturer_and_three(url: str) -> None:
    from explorer.bench.ws_class import change_and_time, join_room, open_room, slider_value

    lecturer, code = await open_room(url, PAGE)
    students = await join_room(url, code, 3, PAGE)
    await asyncio.sleep(1.0)  # their first follow (the lecturer's view at join time) has settled
    seconds, timing = await change_and_time(lecturer, students, MU, 0.9, timeout=ARRIVES_WITHIN_S)
    assert timing.error is None, timing
    assert all(s is not None and 0 < s < ARRIVES_WITHIN_S for s in seconds), seconds
    assert [slider_value(s, MU) for s in students] == [0.9] * 3
    assert all("rep_mu=0.9" in s.query_string for s in students), [s.query_string for s in students]
    explorer, *followers = students
    timing = await explorer.set_widget(False, key="class_following")
    assert timing.error is None, timing
    seconds, _ = await change_and_time(lecturer, students, MU, -1.2, timeout=ARRIVES_WITHIN_S)
    assert seconds[0] is None, f"a student exploring on their own followed the lecturer: {seconds}"
    assert all(s is not None for s in seconds[1:]), seconds
    assert [slider_value(s, MU) for s in students] == [0.9, -1.2, -1.2]
    assert_clean([lecturer, *students])
    await asyncio.gather(*(session.close() for session in (lecturer, *students)))


def test_a_knob_change_reaches_the_followers_and_not_an_explorer(server_url):
    in_own_thread(asyncio.run, lecturer_and_three(server_url))


async def first_visitors(url: str) -> None:
    from explorer.bench.ws_session import open_sessions

    sessions = await open_sessions(url, 4, PAGE, at_once=4, query="rep_mu=1.5")
    for session in sessions:  # app.py ran for each: its sidebar's Class section, and the link's μ
        assert "Class" in session.page.texts(), session.page.texts()[:12]
        assert session.page.find(key=MU, kind="slider").proto.value == [1.5]
    assert_clean(sessions)
    await asyncio.gather(*(session.close() for session in sessions))


def test_first_visitors_of_a_fresh_server_arriving_together_each_get_the_whole_app():
    """Streamlit starts a process in its legacy multipage mode (there is a pages/ folder) until one session's
    app.py calls `st.navigation`; sessions whose first run began before that ran their page without app.py, and
    `navigation.ensure_app_navigation` must rerun them too (3 of 4 students on a fresh replica never joined)."""
    with streamlit_server() as url:
        in_own_thread(asyncio.run, first_visitors(url))
