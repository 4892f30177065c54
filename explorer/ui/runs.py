"""A panel's runs in this browser's run list (`explorer.training.registry`): found again after a reload, kept while a
page of the browser is open, dropped on Reset; and the buttons' guard for the server's training slots."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from explorer.training import registry
from explorer.training.jobs import QueueFull, TrainingJob
from explorer.ui import session

PARENT = "_parent"  # a branch's parent run is kept under the panel's key with this suffix


def browser_here() -> str:
    """This browser's token (its cookie set where this session made it), this page made known to the run list as
    open: while it is, the browser's runs train on."""
    session.keep_browser_cookie()
    token = session.browser_token()
    registry.RUNS.present(token, session.session_id() or token, session.alive_check())
    return token


def attach(token: str, key: str) -> TrainingJob | None:
    """The run browser `token` keeps under `key`, now this session's too (None if it keeps none)."""
    job = registry.RUNS.find(token, key)
    if not isinstance(job, TrainingJob):
        return None
    st.session_state[f"{key}_job"] = st.session_state[f"{key}_kept"] = job
    return job


def keep(key: str, job: TrainingJob) -> None:
    """Put a started `job` in this browser's run list under `key`: a reload finds it, and it trains on while a page
    of this browser is open (`registry.GRACE_S` after the last one closed)."""
    registry.RUNS.register(session.browser_token(), key, job)
    st.session_state[f"{key}_kept"] = job


def forget(key: str) -> None:
    """Stop and drop the runs kept under `key` (Reset): the run and a branch's parent, in the list and here."""
    for name in (key, key + PARENT):
        job = st.session_state.pop(f"{name}_job", None)
        st.session_state.pop(f"{name}_kept", None)
        if job is not None and not job.done:
            job.stop(wait=0.0)
        registry.RUNS.drop(session.browser_token(), name)


def guarded(key: str, act: Callable[[], None]) -> Callable[[], None]:
    """`act` (it takes one of the server's training slots), with the queue-full message kept for the rerun."""

    def run() -> None:
        try:
            act()
        except QueueFull as err:
            st.session_state[f"{key}_notice"] = str(err)

    return run
