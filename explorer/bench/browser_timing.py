"""Cold start to first paint: a fresh server process until the home page's title is on screen."""

from __future__ import annotations

import time

from explorer.bench.browser import launch, streamlit_server


def cold_start() -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)  # the browser's own start-up is not the app's
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        started = time.perf_counter()
        with streamlit_server() as url:
            ready = time.perf_counter() - started
            page.goto(url)
            page.get_by_role("heading", name="Latent Lab").wait_for(timeout=60_000)
            painted = time.perf_counter() - started
        browser.close()
    return {"server_ready_s": round(ready, 2), "first_paint_s": round(painted, 2),
            "paint_after_ready_s": round(painted - ready, 2)}
