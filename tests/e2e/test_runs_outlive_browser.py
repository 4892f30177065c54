"""Runs outlive the page (issue 23, item 5) in a real browser: a run started on Latent space's training tab is
found running after a reload (F5 makes a new Streamlit session; the browser's cookie names the run list), on the
same tab; a fresh browser context, with no cookie, opening the same link sees an untrained model."""

from __future__ import annotations

import re

import pytest

from explorer.ui import session

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TIMEOUT = 60_000
LINK = "/latent_space?latent_tab=Train+your+own&latent_train_steps=5000"  # 5,000 steps: still running after F5
PROGRESS = re.compile(r"step (\d+) / (\d+) — (\w+)")


def progress(page) -> tuple[int, str]:
    """The training panel's progress line: its step and its state's word."""
    bar = page.locator('[data-testid="stProgress"]').filter(has_text=PROGRESS).first
    bar.wait_for(timeout=TIMEOUT)
    step, _, state = PROGRESS.search(bar.inner_text()).groups()
    return int(step), state


def wait_for_step_past(page, step: int) -> None:
    page.wait_for_function(
        """step => [...document.querySelectorAll('[data-testid="stProgress"]')].some(e => {
            const m = e.innerText.match(/step (\\d+) \\/ \\d+/); return m && Number(m[1]) > step; })""",
        arg=step, timeout=TIMEOUT, polling=200)


def open_panel(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name="Latent space").wait_for(timeout=TIMEOUT)
    page.get_by_role("button", name="Train from scratch").wait_for(timeout=TIMEOUT)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_reload_finds_the_run_running_on_its_tab_and_a_new_browser_does_not(browser, server_url, shots):
    context = browser.new_context(viewport={"width": 1400, "height": 1500})
    page = context.new_page()
    open_panel(page, server_url + LINK)
    assert progress(page) == (0, "untrained")
    page.get_by_role("button", name="Train from scratch").click()
    wait_for_step_past(page, 0)
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    token = cookies.get(session.BROWSER_COOKIE, "")
    assert session.valid_token(token) and token not in page.url  # in a cookie, never in the link

    page.reload()
    page.get_by_role("heading", name="Latent space").wait_for(timeout=TIMEOUT)
    before, state = progress(page)
    assert before > 0 and state == "running", (before, state)
    wait_for_step_past(page, before)  # the same run, still training
    assert page.get_by_role("tab", name="Train your own", selected=True).count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(shots / "runs-outlive-reload.png"), full_page=True)

    fresh = browser.new_context(viewport={"width": 1400, "height": 1500})
    other = fresh.new_page()
    open_panel(other, server_url + LINK)
    assert progress(other) == (0, "untrained")
    fresh.close()

    page.get_by_role("button", name="Stop").click()  # give the server's training slot back
    page.locator('[data-testid="stProgress"]').filter(has_text=" — stopped").first.wait_for(timeout=TIMEOUT)
    context.close()
