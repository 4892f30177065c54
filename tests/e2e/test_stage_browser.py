"""The stage (issue 22), in a real browser: every page and tab, at a projector's 1280×720 with the sidebar open and
in projector mode at 1024×768 (sidebar collapsed, larger text), shows its first picture (a chart, image, canvas or
code) on the first screen with room to see it, its first knob inside that screen too, no exception, no equation or
metric wider than its box, and no text on top of another (or under the fixed header); a link with projector mode, a
tab and knobs opens that view in a fresh browser. A survey of every view is `stage.views()` measured with
`stage.open_view`, as below."""

from __future__ import annotations

import pytest
import stage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SIZES = {"1280x720": (1280, 720, False), "projector-1024x768": (1024, 768, True)}  # width, height, projector mode
ROOM = 100  # the picture's top must leave at least this much of it on the first screen
KNOB_ROOM = 40  # and the first knob this much
VIEWS = {view.name: view for view in stage.views()}


@pytest.fixture(scope="module", params=list(SIZES))
def sized_page(request, browser):
    width, height, projector = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    yield context.new_page(), height, projector
    context.close()


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_every_view_shows_its_picture_and_knobs_on_the_first_screen_uncut(sized_page, server_url, name):
    page, height, projector = sized_page
    measured = stage.open_view(page, VIEWS[name], server_url, projector)
    assert not measured["exception"], measured["exception"]
    assert measured["equations"] == [] and measured["metrics"] == [], measured  # wider than their boxes
    assert measured["overlaps"] == [], measured
    assert measured["top"] is not None and measured["top"] < height - ROOM, measured
    assert measured["knobs"] is None or measured["knobs"] < height - KNOB_ROOM, measured


@pytest.fixture(scope="module")
def stage_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    yield context.new_page()
    context.close()


def test_the_stage_check_fails_when_the_prose_goes_back_above_the_picture(stage_page, server_url):
    """The measure can fail: the ELBO page with a prose-sized band pushed above its view, as the prose once was."""
    stage.open_view(stage_page, VIEWS["elbo_gap"], server_url)
    stage_page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"]');
        const filler = document.createElement('div'); filler.style.height = '700px'; main.prepend(filler); }""")
    assert stage_page.evaluate(stage.MEASURE_JS)["top"] > 720 - ROOM


def test_a_link_with_projector_mode_a_tab_and_knobs_opens_that_view(browser, server_url):
    context = browser.new_context(viewport={"width": 1024, "height": 768})  # a fresh browser: no session state
    page = context.new_page()
    query = {"projector": "true", "rep_tab": "Variance and sample size", "rep_mu": "1.5"}
    page.goto(f"{server_url}/reparameterization?" + "&".join(f"{k}={v}" for k, v in query.items()))
    stage.settle(page, 120_000)
    assert page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "24px"  # projector mode
    sidebar = "() => document.querySelector('[data-testid=\"stSidebar\"]').getBoundingClientRect().width"
    assert page.evaluate(sidebar) < 5  # collapsed: the stage gets the whole width
    assert page.get_by_role("tab", name="Variance and sample size", selected=True).count() == 1
    mu = page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text("μ", exact=True))
    assert mu.locator('[data-testid="stSliderThumbValue"]').inner_text() == "1.50"
    context.close()
