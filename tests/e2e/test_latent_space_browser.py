"""The latent-space page in a real browser: click to decode, hover to decode, train live."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TIMEOUT = 60_000


def open_page(page, server_url: str):
    page.goto(server_url + "/latent_space")
    page.get_by_role("heading", name="Latent space").wait_for(timeout=TIMEOUT)
    page.locator("canvas.map:visible").nth(1).wait_for(timeout=TIMEOUT)
    assert page.locator('[data-testid="stException"]').count() == 0


def click_in_map(page, map_index: int, fx: float, fy: float) -> None:
    """Click at fractions (fx, fy) of a visible canvas latent map."""
    box = page.locator("canvas.map:visible").nth(map_index).bounding_box()
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
    page.wait_for_timeout(500)  # the sprite sheet loads
    click_in_map(page, 1, 0.3, 0.3)  # the VAE's map, upper left: not necessarily on a data point
    first = decoded_caption(page)
    first_src = decoded_image_src(page)
    click_in_map(page, 1, 0.75, 0.8)
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


def test_keyboard_moves_the_crosshair_and_enter_decodes(page, server_url):
    open_page(page, server_url)
    page.wait_for_timeout(500)
    vae_map = page.locator("canvas.map:visible").nth(1)
    vae_map.focus()
    page.keyboard.press("Enter")  # decode at the centre of the map
    first = decoded_caption(page)
    for _ in range(3):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "old => [...document.querySelectorAll('[data-testid=\"stImageCaption\"]')]"
        ".some(e => e.innerText.startsWith('decoded at z = ') && e.innerText !== old)", arg=first, timeout=TIMEOUT)
    z1a, z2a = map(float, re.findall(r"-?\d+\.\d+", first))
    z1b, z2b = map(float, re.findall(r"-?\d+\.\d+", decoded_caption(page)))
    assert z1b > z1a and z2b == z2a  # moved right only


def test_hover_decodes_in_the_browser_and_release_decodes_exactly(page, server_url, shots):
    open_page(page, server_url)
    page.get_by_role("tab", name="Drag through latent space").click()
    canvas = page.locator("canvas.map:visible")
    canvas.wait_for(timeout=TIMEOUT)
    view = page.locator("canvas.view:visible")
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


def test_a_tap_on_a_touch_screen_decodes_and_the_map_saves_as_png(browser, server_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1500}, has_touch=True, accept_downloads=True)
    page = context.new_page()
    open_page(page, server_url)
    page.wait_for_timeout(500)
    box = page.locator("canvas.map:visible").nth(1).bounding_box()
    page.touchscreen.tap(box["x"] + 0.6 * box["width"], box["y"] + 0.4 * box["height"])
    assert decoded_caption(page).startswith("decoded at z = ")
    with page.expect_download(timeout=TIMEOUT) as download:
        page.get_by_text("Save the map as PNG").nth(1).click()
    assert download.value.suggested_filename == "latent-lab-mnist-vae-2d-latent-map.png"
    assert Path(download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    context.close()


def test_a_link_opens_its_tab_with_its_knobs(page, server_url):
    page.goto(server_url + "/latent_space?latent_tab=Interpolation&interp_mode=spherical&interp_steps=16")
    page.get_by_role("heading", name="Latent space").wait_for(timeout=TIMEOUT)
    assert page.get_by_role("tab", name="Interpolation").get_attribute("aria-selected") == "true"
    page.get_by_text("VAE: spherical path").first.wait_for(timeout=TIMEOUT)
    assert page.get_by_role("radio", name="spherical", exact=True).is_checked()
    page.get_by_role("tab", name="AE vs VAE").click()  # a tab clicked goes into the link too
    page.wait_for_url(re.compile(r"^(?!.*latent_tab=)"), timeout=TIMEOUT)  # the default tab is left out
    page.get_by_role("tab", name="Train your own").click()
    page.wait_for_url(re.compile(r"latent_tab=Train"), timeout=TIMEOUT)


def test_in_half_a_column_the_preview_sits_on_the_map_on_the_first_screen(browser, server_url):
    """Issue 22: on AE vs VAE (two maps side by side) the preview wrapped under its map, off a 1280×720 screen while
    the pointer moved; it now sits in the map's top-right corner."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    open_page(page, server_url)
    maps, views = page.locator("canvas.map:visible"), page.locator("canvas.view:visible")
    assert maps.count() == views.count() == 2
    for i in range(2):
        m, v = maps.nth(i).bounding_box(), views.nth(i).bounding_box()
        assert m["x"] <= v["x"] and v["x"] + v["width"] <= m["x"] + m["width"] + 2, (m, v)
        assert m["y"] <= v["y"] and v["y"] + v["height"] < 720, (m, v)
    box = maps.nth(1).bounding_box()  # a click under the preview still decodes there: the preview lets it through
    page.mouse.click(box["x"] + box["width"] - 20, box["y"] + 20)
    page.get_by_text(re.compile(r"^decoded at z = ")).nth(0).wait_for(timeout=TIMEOUT)
    context.close()
