"""Runs outlive the page (issue 23, item 5): a new session of the same browser (a reload, the link opened again)
finds the run its browser started, and a session of another browser never does.

AppTest cannot send cookies (`st.context.cookies` is empty there), so a test plays a browser by seeding the
session's token where `session.browser_token` keeps it (`st.session_state[session.BROWSER_TOKEN_KEY]`) before
the first run: the seam the cookie fills in a real browser (tests/e2e/test_runs_outlive_browser.py)."""

from __future__ import annotations

import secrets
from html.parser import HTMLParser

import pytest
from apptest import PAGES, assert_clean
from streamlit.testing.v1 import AppTest

from explorer.data.mnist import SHARED_MNIST
from explorer.store import zoo
from explorer.training import jobs, registry
from explorer.ui import session

KEY = "latent_train"
pytestmark = pytest.mark.skipif(not SHARED_MNIST.exists() or not zoo.names(),
                                reason="needs ../shared/data/mnist and the pretrained models")


@pytest.fixture(autouse=True)
def no_leftover_jobs():
    yield
    for job in list(jobs._running):
        job.stop()


def browser_page(token: str | None) -> AppTest:
    """Latent space's training tab in a new session of the browser holding `token` (None: a browser without one)."""
    at = AppTest.from_file(str(PAGES / "latent_space.py"), default_timeout=180)
    if token is not None:
        at.session_state[session.BROWSER_TOKEN_KEY] = token
    at.query_params["latent_tab"] = "Train your own"
    at.run()
    assert_clean(at)
    return at


def progress(at: AppTest) -> str:
    (bar,) = at.get("progress")
    return bar.proto.text


class _Scripts(HTMLParser):
    """The text of each <script> in the HTML fed to it."""

    def __init__(self):
        super().__init__()
        self.scripts: list[str] = []
        self._inside = False

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "script":
            self._inside = True
            self.scripts.append("")

    def handle_endtag(self, tag) -> None:
        self._inside = self._inside and tag != "script"

    def handle_data(self, data) -> None:
        if self._inside:
            self.scripts[-1] += data


def cookie_scripts(at: AppTest) -> list[str]:
    """The scripts the page sends that set the browser's cookie, parsed out of its `st.html` blocks."""
    parser = _Scripts()
    for block in at.get("html"):
        parser.feed(block.proto.body)
    return [script for script in parser.scripts if f"{session.BROWSER_COOKIE}=" in script]


def test_a_new_session_of_the_same_browser_finds_its_run_and_another_browser_does_not():
    token = secrets.token_urlsafe(session.TOKEN_BYTES)
    first = browser_page(token)
    first.button(key=f"{KEY}_start").click().run()
    job = first.session_state[f"{KEY}_job"]
    assert jobs.wait_until(lambda: job.step >= 1, timeout=60)
    assert registry.RUNS.find(token, KEY) is job

    again = browser_page(token)  # F5, or the page's link opened again in this browser
    assert again.session_state[f"{KEY}_job"] is job and job.state == "running"
    assert "untrained" not in progress(again) and not progress(again).startswith("step 0 ")
    assert not cookie_scripts(again), "the token came with the session: no cookie to set"

    other = browser_page(secrets.token_urlsafe(session.TOKEN_BYTES))
    theirs = other.session_state[f"{KEY}_job"]
    assert theirs is not job and theirs.state == "ready" and theirs.step == 0
    assert "untrained" in progress(other)


def test_a_browser_without_a_token_gets_a_new_one_in_a_cookie_never_in_the_link():
    at = browser_page(None)
    token = at.session_state[session.BROWSER_TOKEN_KEY]
    assert session.valid_token(token)
    (script,) = cookie_scripts(at)
    assert f"{session.BROWSER_COOKIE}={token};" in script and "SameSite=Strict" in script
    assert all(token not in value for value in at.query_params.values())
    assert at.session_state[f"{KEY}_job"].state == "ready"
    assert browser_page(None).session_state[session.BROWSER_TOKEN_KEY] != token  # another browser


def test_a_run_stepped_by_hand_is_kept_too():
    token = secrets.token_urlsafe(session.TOKEN_BYTES)
    first = browser_page(token)
    first.button(key=f"{KEY}_step10").click().run()
    job = first.session_state[f"{KEY}_job"]
    assert job.state == "paused" and job.step == 10
    again = browser_page(token)
    assert again.session_state[f"{KEY}_job"] is job
    assert "step 10 / " in progress(again)


@pytest.mark.parametrize("value", ["", "short", "a" * 31, "a" * 33, "a" * 31 + ";", "a" * 31 + "é",
                                   "../" + "a" * 29, None, 12345])
def test_a_token_of_the_wrong_shape_is_not_used(value):
    assert not session.valid_token(value)
    at = browser_page(value)
    token = at.session_state[session.BROWSER_TOKEN_KEY]
    assert token != value and session.valid_token(token) and cookie_scripts(at)
