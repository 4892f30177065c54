"""Draw and compare in a real browser: a stroke drawn with the mouse is reconstructed by every model."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TIMEOUT = 90_000


def stroke(page, canvas, start: tuple[float, float], end: tuple[float, float], steps: int = 20) -> None:
    box = canvas.bounding_box()
    at = lambda fx, fy: (box["x"] + fx * box["width"], box["y"] + fy * box["height"])  # noqa: E731
    page.mouse.move(*at(*start))
    page.mouse.down()
    for i in range(1, steps + 1):
        t = i / steps
        page.mouse.move(*at(start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1])))
    page.mouse.up()


def test_a_drawn_digit_is_reconstructed_by_every_model_and_interpolated(page, server_url, shots):
    page.goto(server_url + "/draw_compare")
    page.get_by_role("heading", name="Draw and compare").wait_for(timeout=TIMEOUT)
    page.get_by_text("Draw a digit on the black square").wait_for(timeout=TIMEOUT)  # empty: a hint, no error
    canvas = page.locator("canvas").last
    stroke(page, canvas, (0.5, 0.15), (0.5, 0.85))  # a "1"
    page.get_by_text("as the model sees it").wait_for(timeout=TIMEOUT)
    page.get_by_text("log p(x):").first.wait_for(timeout=TIMEOUT)  # the 2-D VAE's exact likelihood
    page.get_by_text("Scored: your digit binarised").wait_for(timeout=TIMEOUT)  # the image every log p(x) is of
    page.get_by_text(re.compile(r"log p\(x\): -?\d+\.\d nats per image")).first.wait_for(timeout=TIMEOUT)
    page.get_by_text(re.compile(r"^‖x − x̂‖² \d+\.\d")).nth(4).wait_for(timeout=TIMEOUT)  # one per model, five at least
    page.screenshot(path=str(shots / "draw-compare.png"), full_page=True)
    page.get_by_role("button", name="Keep as digit A").click()
    page.get_by_role("button", name="Forget digit A").wait_for(timeout=TIMEOUT)
    stroke(page, canvas, (0.2, 0.5), (0.8, 0.5))  # a bar across: digit B is now a "+"
    page.get_by_text("Decoded along the straight line from digit A to digit B").wait_for(timeout=TIMEOUT)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(shots / "draw-compare-interpolation.png"), full_page=True)


def touch_stroke(page, canvas, start: tuple[float, float], end: tuple[float, float], steps: int = 20) -> None:
    """A finger drawn across the canvas: touch events through the DevTools protocol (Playwright's touchscreen
    only taps)."""
    box = canvas.bounding_box()
    at = lambda fx, fy: {"x": box["x"] + fx * box["width"], "y": box["y"] + fy * box["height"]}  # noqa: E731
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [at(*start)]})
    for i in range(1, steps + 1):
        t = i / steps
        point = at(start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1]))
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_a_digit_drawn_with_a_finger_on_a_touch_screen_is_reconstructed(browser, server_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1500}, has_touch=True)
    page = context.new_page()
    page.goto(server_url + "/draw_compare")
    page.get_by_text("Draw a digit on the black square").wait_for(timeout=TIMEOUT)
    touch_stroke(page, page.locator("canvas").last, (0.5, 0.15), (0.5, 0.85))
    page.get_by_text("as the model sees it").wait_for(timeout=TIMEOUT)
    page.get_by_text("log p(x):").first.wait_for(timeout=TIMEOUT)  # every model reconstructed it
    assert page.locator('[data-testid="stException"]').count() == 0
    context.close()
