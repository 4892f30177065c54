"""The latent-space page in a real browser: click to decode, hover to decode, train live."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TIMEOUT = 60_000


def open_page(page, server_url: str):
    page.goto(server_url + "/latent_space")
    page.get_by_role("heading", name="Latent space").wait_for(timeout=TIMEOUT)
    page.locator('[data-testid="stPlotlyChart"]').nth(1).wait_for(timeout=TIMEOUT)
    assert page.locator('[data-testid="stException"]').count() == 0


def click_in_plot(page, chart_index: int, fx: float, fy: float) -> None:
    """Click at fractions (fx, fy) of a plotly chart's plotting area."""
    area = page.locator('[data-testid="stPlotlyChart"]').nth(chart_index).locator(".nsewdrag").first
    box = area.bounding_box()
    page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])


def decoded_caption(page) -> str:
    caption = page.locator('[data-testid="stImageCaption"]').filter(has_text=re.compile(r"^decoded at z = ")).first
    caption.wait_for(timeout=TIMEOUT)
    return caption.inner_text()


def decoded_image_src(page) -> str:
    image = page.locator('[data-testid="stImage"]').filter(has_text=re.compile(r"^decoded at z = ")).locator("img")
    return image.first.get_attribute("src")


def test_click_anywhere_on_the_latent_map_decodes_that_point(page, server_url, shots):
    open_page(page, server_url)
    click_in_plot(page, 1, 0.3, 0.3)  # the VAE's map, upper left: not necessarily on a data point
    first = decoded_caption(page)
    first_src = decoded_image_src(page)
    click_in_plot(page, 1, 0.75, 0.8)
    page.wait_for_function(
        "old => [...document.querySelectorAll('[data-testid=\"stImageCaption\"]')]"
        ".some(e => e.innerText.startsWith('decoded at z = ') && e.innerText !== old)", arg=first, timeout=TIMEOUT)
    second = decoded_caption(page)
    assert second != first
    z1a, z2a = map(float, re.findall(r"-?\d+\.\d+", first))
    z1b, z2b = map(float, re.findall(r"-?\d+\.\d+", second))
    assert z1b > z1a and z2b < z2a  # the click moved right and down, and so did the decoded point
    assert decoded_image_src(page) != first_src  # a new image, not only a new caption
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(shots / "latent-space-click.png"), full_page=True)


def test_hover_decodes_in_the_browser_and_release_decodes_exactly(page, server_url, shots):
    open_page(page, server_url)
    page.get_by_role("tab", name="Drag through latent space").click()
    canvas = page.locator("canvas.map")
    canvas.wait_for(timeout=TIMEOUT)
    view = page.locator("canvas.view")
    page.wait_for_timeout(500)  # the sprite sheet loads
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 0.2 * box["width"], box["y"] + 0.2 * box["height"])
    before = view.evaluate("c => c.toDataURL()")
    page.mouse.move(box["x"] + 0.8 * box["width"], box["y"] + 0.7 * box["height"], steps=5)
    after = view.evaluate("c => c.toDataURL()")
    assert before != after, "the hovered image did not follow the pointer"
    page.mouse.down()
    page.mouse.up()
    page.get_by_text(re.compile(r"^exact decode at release")).wait_for(timeout=TIMEOUT)
    page.screenshot(path=str(shots / "latent-space-hover.png"), full_page=True)
