"""The ELBO page in a real browser: a digit drawn with the mouse becomes the input."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TIMEOUT = 90_000


def test_drawing_a_digit_gives_its_exact_gap(page, server_url, shots):
    page.goto(server_url + "/elbo_gap")
    page.get_by_role("heading", name="The ELBO and its gap").wait_for(timeout=TIMEOUT)
    # the radio's label, not the words "Draw a digit" in the view's hint
    page.locator('[data-testid="stRadio"] label').filter(has_text=re.compile(r"^Draw a digit$")).click()
    canvas = page.locator("canvas").last  # the drawing layer, on top of the canvas's own stack
    canvas.wait_for(timeout=TIMEOUT)
    page.get_by_text("Draw a digit on the black square").wait_for(timeout=TIMEOUT)  # empty: a hint, no error
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.15 * box["height"])
    page.mouse.down()
    for i in range(1, 21):  # a vertical stroke: a "1"
        page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + (0.15 + 0.035 * i) * box["height"])
    page.mouse.up()
    page.get_by_text("as the model sees it").wait_for(timeout=TIMEOUT)
    page.get_by_text("KL(q ‖ p(z|x)) on the grid").wait_for(timeout=TIMEOUT)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(shots / "elbo-drawn-digit.png"), full_page=True)
