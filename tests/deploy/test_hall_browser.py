"""The hall in Chromium: a page through nginx whose websocket reruns it, one browser context staying on one
replica, and a replica killed under its browsers (they reload onto the other; the other's browsers never notice)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TIMEOUT = 60_000
VIEWPORT = {"width": 1400, "height": 1200}


def new_page(browser, hall, replica=None):
    """A fresh browser context through nginx; on `replica` when given (its route cookie set before any request).
    The X-Upstream of each page load and fetch is kept in `page.upstreams` (not of scripts and styles: a reload
    may take those from the browser's cache, with the headers of the replica that first sent them)."""
    context = browser.new_context(viewport=VIEWPORT)
    if replica is not None:
        context.add_cookies([{"name": "latentlab_route", "value": hall.route_to(replica), "url": hall.url}])
    page = context.new_page()
    page.upstreams = []
    page.on("response", lambda response: page.upstreams.append(response.headers.get("x-upstream"))
            if response.request.resource_type in {"document", "fetch", "xhr"} else None)
    return page


def open_reparameterization(page, url: str) -> None:
    page.goto(url + "/reparameterization")
    page.get_by_role("heading", name="The reparameterization trick").wait_for(timeout=TIMEOUT)


def mu_thumb_value(page):
    slider = page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text("μ", exact=True))
    return slider.locator('[data-testid="stSliderThumbValue"]')


def mu_slider_value(page) -> str:
    return mu_thumb_value(page).inner_text()


def nudge_mu(page, presses: int) -> None:
    """μ up by `presses` steps of 0.1 from the keyboard, one at a time: each step is a widget change sent over the
    websocket, and the rerun it starts puts the new value in the address bar (the thumb's label follows a moment
    later). Quick presses are the AppTest's subject (tests/app/test_state.py), the websocket this one's."""
    slider = page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text("μ", exact=True))
    for _ in range(presses):
        after = round(float(mu_slider_value(page)) + 0.1, 2)
        slider.get_by_role("slider").focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_url(re.compile(rf"rep_mu={re.escape(f'{after:g}')}(&|$)"), timeout=TIMEOUT)
        expect(mu_thumb_value(page)).to_have_text(f"{after:.2f}", timeout=TIMEOUT)


def test_a_page_through_nginx_reruns_over_its_websocket(browser, hall):
    page = new_page(browser, hall)
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    open_reparameterization(page, hall.url)
    assert mu_slider_value(page) == "0.50"
    nudge_mu(page, 3)
    assert mu_slider_value(page) == "0.80"
    assert sockets and all(url.startswith(hall.url.replace("http", "ws")) for url in sockets)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.context.close()


def test_one_browser_context_stays_on_one_replica(browser, hall):
    page = new_page(browser, hall)
    open_reparameterization(page, hall.url)
    nudge_mu(page, 1)
    page.reload()
    page.get_by_role("heading", name="The reparameterization trick").wait_for(timeout=TIMEOUT)
    upstreams = [upstream for upstream in page.upstreams if upstream]
    assert len(upstreams) >= 4  # two page loads, and Streamlit's health and host-config fetches
    assert len({hall.replica_at(upstream).name for upstream in upstreams}) == 1, set(upstreams)
    page.context.close()


def test_a_killed_replica_loses_only_its_sessions_and_they_reload_onto_the_other(browser, hall):
    doomed, survivor = hall.replicas
    on_doomed, on_survivor = new_page(browser, hall, doomed), new_page(browser, hall, survivor)
    for page, replica in ((on_doomed, doomed), (on_survivor, survivor)):
        open_reparameterization(page, hall.url)
        assert {hall.replica_at(u) for u in page.upstreams if u} == {replica}

    doomed.kill()
    nudge_mu(on_survivor, 2)  # the other replica's session carries on, without a reload
    assert mu_slider_value(on_survivor) == "0.70"

    on_doomed.upstreams.clear()
    on_doomed.reload()  # nginx finds the cookie's replica refusing and sends the browser to the other
    on_doomed.get_by_role("heading", name="The reparameterization trick").wait_for(timeout=TIMEOUT)
    assert {hall.replica_at(u) for u in on_doomed.upstreams if u} == {survivor}
    nudge_mu(on_doomed, 1)  # a new session there, whose websocket works
    assert mu_slider_value(on_doomed) == "0.60"
    assert on_doomed.locator('[data-testid="stException"]').count() == 0
    for page in (on_doomed, on_survivor):
        page.context.close()
