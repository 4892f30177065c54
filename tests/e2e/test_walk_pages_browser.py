"""Walk every page of app.py's navigation in a real browser: each renders, shows no exception and no empty chart,
and leaves a screenshot in screenshots/walk-<page>.png (about a minute for all of them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from stage import SETTLED

from explorer.ui import outline

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
PAGES = [page.stem for page in outline.PAGES]  # the navigation's pages, in its order
TIMEOUT = 90_000
# Charts that are empty by design in a page's first view, with the reason; the test fails if one gets data, so
# that the entry is removed when the page is changed.
KNOWN_EMPTY: dict[tuple[str, str], str] = {}  # (page, chart title) -> why it may be empty; none at present

# Per chart: its title, and how many of its traces Plotly drew with data (a heatmap or image counts when it has
# its z or source; others need at least one point). `_fullData` is what Plotly made of `data` while drawing.
CHARTS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(el => ({
    title: ((el.layout || {}).title || {}).text || '',
    drawn: (el._fullData || []).filter(t => t.visible === true
        && (t._length > 0 || (t._length == null && (t.z != null || t.source != null)))).length,
    svg: el.querySelector('.main-svg') !== null,
}))"""


@pytest.fixture(scope="module")
def walker(browser):
    """One browser context for the whole walk: the app's scripts load once, not once per page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1500})
    yield context.new_page()
    context.close()


def plain(title: str) -> str:
    return re.sub(r"<[^>]+>", "", title)


def test_the_navigation_lists_the_pages():
    assert len(PAGES) >= 10 and PAGES[0] == "home"


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_without_exception_or_empty_chart(name, walker, server_url, shots):
    page = walker
    page.goto(f"{server_url}/{'' if name == 'home' else name}")
    page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for(timeout=TIMEOUT)
    page.wait_for_function(SETTLED, timeout=TIMEOUT, polling=250)
    page.screenshot(path=str(shots / f"walk-{name}.png"), full_page=True)
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
    charts = page.evaluate(CHARTS)
    assert all(chart["svg"] for chart in charts), "a chart that Plotly did not draw"
    empty = [plain(chart["title"]) for chart in charts if chart["drawn"] == 0]
    known = [title for (page_name, title) in KNOWN_EMPTY if page_name == name]
    assert sorted(empty) == sorted(known), f"empty charts on {name}: {empty} (known: {known})"
