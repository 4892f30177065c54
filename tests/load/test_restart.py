"""Faults on the real server. A tab closed while it trains frees its training slot. A server stopped while two
sessions train exits promptly and cleanly (no training thread keeps it alive or aborts it), every pretrained
file still matches its manifest, and the server starts again. One server serves both checks, to save a start."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import pytest

from explorer.bench.browser import ROOT, free_port, launch, streamlit_server, wait_healthy
from explorer.bench.process import in_own_thread
from explorer.store import zoo
from explorer.training.jobs import EXIT_WAIT_S

pytestmark = [pytest.mark.e2e]
TIMEOUT = 120_000
RUNNING = re.compile(r"^step [1-9]\d* / \d+ — running")
FULL = re.compile(r"at most \d+ at once")


def pretrained_hashes() -> dict[str, str]:
    return {name: zoo.file_sha256(zoo.path(name)) for name in zoo.names()}


def open_latent_space(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1500})
    page = context.new_page()
    page.goto(url + "/latent_space")
    page.locator("canvas.map").nth(1).wait_for(timeout=TIMEOUT)
    assert page.locator('[data-testid="stException"]').count() == 0
    return page


def train(page) -> str:
    """Press Train from scratch: 'training' once it runs, or 'full' with the queue-full message."""
    page.get_by_role("tab", name="Train your own").click()
    page.get_by_role("button", name="Train from scratch").click()
    page.get_by_text(RUNNING).or_(page.get_by_text(FULL)).first.wait_for(timeout=TIMEOUT)
    return "full" if page.get_by_text(FULL).count() else "training"


def start_server(port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.fileWatcherType", "none"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def closed_tab_frees_its_slot(browser, url: str) -> None:
    first, second, third = (open_latent_space(browser, url) for _ in range(3))
    assert (train(first), train(second), train(third)) == ("training", "training", "full")
    first.context.close()  # a student closes the tab mid-run
    deadline = time.monotonic() + 60
    while train(third) != "training":
        assert time.monotonic() < deadline, "the closed tab's job still holds its training slot"
        third.wait_for_timeout(2000)
        third.reload()  # the link now opens the "Train your own" tab (the open tab is in the URL)
        third.get_by_role("button", name="Train from scratch").wait_for(timeout=TIMEOUT)


def test_a_closed_tab_frees_its_slot_and_a_stopped_server_loses_nothing(browser_and_zoo):
    in_own_thread(closed_tab_and_restart)  # the e2e tests' browser may hold this thread's event loop


def closed_tab_and_restart() -> None:
    from playwright.sync_api import sync_playwright

    before, port = pretrained_hashes(), free_port()
    server = start_server(port)
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        with sync_playwright() as playwright:
            browser = launch(playwright)
            closed_tab_frees_its_slot(browser, f"http://127.0.0.1:{port}")
            server.send_signal(signal.SIGTERM)  # a restart, with two jobs in the middle of their steps
            returncode = server.wait(timeout=2 * EXIT_WAIT_S + 20)
            browser.close()
    finally:
        server.kill()
        stderr = server.stderr.read()
    assert returncode == 0, f"the server ended with {returncode}: {stderr[-2000:]}"
    assert "terminate called" not in stderr
    assert pretrained_hashes() == before
    assert not [p.name for p in zoo.PRETRAINED_DIR.iterdir() if p.name.startswith(".")]
    with streamlit_server() as url, sync_playwright() as playwright:  # and it starts again
        browser = launch(playwright)
        open_latent_space(browser, url)
        browser.close()
