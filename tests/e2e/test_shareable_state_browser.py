"""Lecture mode in a real browser. Shareable state: a moved slider and a chosen preset go into the address bar, and
that link, opened in a new browser context (a new session), shows the same knobs and the same numbers. Also
projector mode (larger root font) and a chart downloaded as SVG from Plotly's camera button."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TIMEOUT = 60_000
TABLE = '[data-testid="stTable"]'


def open_reparameterization(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name="The reparameterization trick").wait_for(timeout=TIMEOUT)
    page.get_by_role("tab", name="One-sample gradient estimates").click()
    page.locator(TABLE).first.wait_for(timeout=TIMEOUT)


def slider_value(page, label: str) -> str:
    slider = page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text(label, exact=True))
    return slider.locator('[data-testid="stSliderThumbValue"]').inner_text()


def settled_table(page) -> list[str]:
    """The estimator table's cells once the rerun is over (unchanged for a second, no app run in progress), read
    cell by cell: the whole table's innerText depends on whether it is laid out at that moment."""
    page.wait_for_function(
        """() => {
            const text = document.querySelector('[data-testid="stTable"]')?.innerText ?? '';
            const busy = document.querySelector('[data-testid="stStatusWidget"]') !== null;
            const now = Date.now();
            if (busy || text !== window.__lastTable) { window.__lastTable = text; window.__since = now; return false; }
            return now - window.__since > 1000;
        }""", timeout=TIMEOUT, polling=200)
    return [cell.strip() for cell in page.locator(TABLE).first.locator("th, td").all_text_contents()]


def test_a_moved_slider_is_in_the_link_and_the_link_restores_the_view(browser, server_url, shots):
    first = browser.new_context(viewport={"width": 1400, "height": 1500}).new_page()
    open_reparameterization(first, server_url + "/reparameterization")
    thumb = first.locator('[data-testid="stSlider"]').filter(has=first.get_by_text("μ", exact=True)).get_by_role(
        "slider")
    thumb.focus()
    for _ in range(3):
        first.keyboard.press("ArrowRight")  # μ: 0.5 → 0.8, one step of 0.1 each
    first.wait_for_url(re.compile(r"rep_mu=0\.8"), timeout=TIMEOUT)
    first.locator('[data-testid="stRadio"] label').filter(has_text=re.compile(r"^sin z$")).click()
    first.wait_for_url(re.compile(r"rep_objective=sin"), timeout=TIMEOUT)
    shown, link = settled_table(first), first.url
    assert "rep_mu=0.8" in link and slider_value(first, "μ") == "0.80"
    first.context.close()

    second = browser.new_context(viewport={"width": 1400, "height": 1500}).new_page()
    open_reparameterization(second, link)
    assert slider_value(second, "μ") == "0.80" and slider_value(second, "σ") == "0.80"
    assert second.get_by_role("radio", name="sin z", exact=True).is_checked()
    assert settled_table(second) == shown  # the same estimates: same μ, σ, f and noise
    assert second.locator('[data-testid="stException"]').count() == 0
    second.screenshot(path=str(shots / "shareable-state-link.png"), full_page=True)
    second.context.close()


def test_a_preset_goes_into_the_link_and_bad_values_in_a_link_are_ignored(browser, server_url):
    first = browser.new_context(viewport={"width": 1400, "height": 1500}).new_page()
    open_reparameterization(first, server_url + "/reparameterization?rep_sigma=0.3&rep_mu=zzz&rep_param=%3Cb%3E")
    assert slider_value(first, "σ") == "0.30" and slider_value(first, "μ") == "0.50"  # the bad μ: the default
    first.wait_for_url(re.compile(r"\?rep_sigma=0\.3&rep_tab=[^&]*$"), timeout=TIMEOUT)  # and out of the address bar
    first.get_by_role("radio", name="Score function blows up").click()
    first.wait_for_url(re.compile(r"rep_mu=2&rep_sigma=0\.1"), timeout=TIMEOUT)
    shown, link = settled_table(first), first.url
    first.context.close()

    second = browser.new_context(viewport={"width": 1400, "height": 1500}).new_page()
    open_reparameterization(second, link)
    assert slider_value(second, "μ") == "2.00" and slider_value(second, "σ") == "0.10"
    assert second.get_by_role("radio", name="Score function blows up").get_attribute("aria-checked") == "true"
    assert settled_table(second) == shown
    second.context.close()


def test_projector_mode_enlarges_the_text_and_a_chart_downloads_as_svg(browser, server_url, shots):
    page = browser.new_context(viewport={"width": 1400, "height": 1500}, accept_downloads=True).new_page()
    open_reparameterization(page, server_url + "/reparameterization")
    root_px = "() => getComputedStyle(document.documentElement).fontSize"
    assert page.evaluate(root_px) == "17px"  # the theme's baseFontSize
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Projector mode").click()
    page.wait_for_function(f"() => ({root_px})() === '24px'", timeout=TIMEOUT)
    page.wait_for_function("() => document.querySelector('[data-testid=\"stSidebar\"]')"
                           ".getBoundingClientRect().width < 5", timeout=TIMEOUT)  # projector mode collapses it
    page.locator('[data-testid="stExpandSidebarButton"]').click()  # and the lecturer opens it again
    sidebar.get_by_role("radio", name="SVG").click()
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .some(el => el._context && el._context.toImageButtonOptions.format === 'svg')""", timeout=TIMEOUT)
    page.screenshot(path=str(shots / "projector-mode.png"), full_page=True)
    chart = page.locator('[data-testid="stPlotlyChart"]:visible').first
    chart.hover()
    with page.expect_download(timeout=TIMEOUT) as download:
        chart.locator('.modebar-btn[data-title^="Download plot"]').first.click()
    assert download.value.suggested_filename.endswith(".svg")
    assert page.locator('[data-testid="stException"]').count() == 0
    page.context.close()
