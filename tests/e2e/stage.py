"""What a projector shows of a view: measured in the browser, for the stage test and the stage survey.

`MEASURE_JS` reads the open view of a Streamlit page: where its first picture (a chart, a canvas, an image, a code
listing) and its first knob start, which KaTeX equations, metric values and button or tab labels overflow their
boxes (or have none), which texts lie on top of each other, and any exception. `views()` lists every page and tab as
a URL path and query, from the pages' declarations (`explorer.ui.outline`); `open_view` opens one and measures it.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from explorer.ui import outline

# Text on top of text: two texts on the page (or one and the fixed header's box) sharing more than a quarter of the
# smaller one's box; in a chart a title on top of another title, an annotation or a legend's entry, and a chart title
# running past the chart's edge. Texts inside one another (a label's paragraph) are not.
OVERLAPS_JS = """
const overlaps = main => {
  const boxes = els => els.filter(el => el.checkVisibility() && el.textContent.trim())
                          .map(el => [el, el.getBoundingClientRect()]).filter(([, r]) => r.width > 0 && r.height > 0);
  const inter = (a, b) => Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left))
                          * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
  const clash = items => {
    const found = [];
    for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) {
      const [a, ra] = items[i], [b, rb] = items[j];
      const smaller = Math.min(ra.width * ra.height, rb.width * rb.height);  // line boxes touch: glyphs need more
      if (a.contains(b) || b.contains(a) || inter(ra, rb) <= 0.25 * smaller) continue;
      found.push(a.textContent.trim().slice(0, 30) + ' | ' + b.textContent.trim().slice(0, 30));
    }
    return found;
  };
  const texts = boxes([...main.querySelectorAll('h1, h2, h3, p, [data-testid="stMetricValue"]')]);
  const header = document.querySelector('[data-testid="stHeader"]');
  const opaque = header && getComputedStyle(header).backgroundColor.replace(/\\s/g, '') !== 'rgba(0,0,0,0)';
  const hidden = opaque && window.scrollY === 0
      ? texts.filter(([, r]) => inter(r, header.getBoundingClientRect()) > 0.25 * r.width * r.height)
             .map(([el]) => 'under the header: ' + el.textContent.trim().slice(0, 30))
      : [];
  const charts = [...main.querySelectorAll('.js-plotly-plot')].flatMap(chart =>
      clash(boxes([...chart.querySelectorAll('text[class$="title"], .annotation-text, .legendtext')])));
  const cut = [...main.querySelectorAll('.js-plotly-plot .gtitle')].filter(title => title.checkVisibility())
      .filter(title => title.getBoundingClientRect().right > title.closest('.js-plotly-plot')
                                                                  .getBoundingClientRect().right + 2)
      .map(title => 'title cut at the chart edge: ' + title.textContent.slice(0, 30));
  return [...hidden, ...clash(texts), ...charts, ...cut];
};
"""

MEASURE_JS = """
() => {""" + OVERLAPS_JS + """
  const main = document.querySelector('[data-testid="stMain"]');
  // a picture: at least a strip of images (8 sprites in a row are 40 px tall), not an icon
  const shown = el => { const r = el.getBoundingClientRect(); return r.width > 40 && r.height >= 24 &&
                        getComputedStyle(el).visibility !== 'hidden' && el.offsetParent !== null
                        && el.checkVisibility(); };  // false inside a closed expander
  const panels = [...main.querySelectorAll('[role="tabpanel"]')];
  const hiddenPanel = el => panels.some(p => p.contains(el) && p.getAttribute('aria-hidden') === 'true'
                                         || p.contains(el) && p.hidden);
  const pictures = [...main.querySelectorAll('.js-plotly-plot, canvas, [data-testid="stImage"] img, '
                                            + '[data-testid="stImageContainer"] img, iframe, '
                                            + '[data-testid="stBidiComponentIsolated"], [data-testid="stCode"]')]
                   .filter(el => shown(el) && !hiddenPanel(el));
  const top = pictures.length ? Math.min(...pictures.map(el => el.getBoundingClientRect().top + window.scrollY))
                              : null;
  const wide = sel => [...main.querySelectorAll(sel)].filter(el => shown(el) || el.getBoundingClientRect().width > 0)
                       .filter(el => el.scrollWidth > el.clientWidth + 2)
                       .map(el => el.textContent.slice(0, 60));
  const openPanel = panels.find(p => p.getAttribute('aria-hidden') !== 'true' && !p.hidden
                                      && p.getBoundingClientRect().height > 0);
  const knobs = [...(openPanel || main).querySelectorAll('[data-testid="stWidgetLabel"], [data-testid="stButton"]')]
                .filter(el => el.checkVisibility() && el.getBoundingClientRect().height > 0
                              && !el.closest('[data-testid="stExpanderDetails"]'));
  const knobsTop = knobs.length ? Math.min(...knobs.map(el => el.getBoundingClientRect().top + window.scrollY)) : null;
  const collapsed = [...main.querySelectorAll('.katex-display')]  // a box of no width: the equation is invisible
                    .filter(el => el.checkVisibility() && el.clientWidth === 0)
                    .map(el => 'no width: ' + el.textContent.slice(0, 50));
  return {top: top, pictures: pictures.length, knobs: knobsTop, overlaps: overlaps(main),
          equations: [...collapsed, ...wide('.katex-display')],
          // a metric's value or label, a button's, tab's or widget's label cut with an ellipsis ("Run the …")
          metrics: wide('[data-testid="stMetricValue"] > div, [data-testid="stMetricLabel"] p, '
                        + '.stMarkdownEllipsis, [role="tab"] p'),  // Streamlit's ellipsis box: buttons, labels
          exception: [...main.querySelectorAll('[data-testid="stException"]')].map(e => e.textContent.slice(0, 200))};
}
"""


@dataclass(frozen=True)
class View:
    stem: str
    tab: str | None  # None: the page's only view, or its first tab
    query: dict[str, str]  # what opens it in a fresh browser
    click: str | None  # an eager tab is opened by clicking its label

    @property
    def name(self) -> str:
        return self.stem + ("" if self.tab is None else f" / {self.tab}")

    def url(self, base: str, projector: bool = False) -> str:
        query = dict(self.query) | ({"projector": "true"} if projector else {})
        path = "" if self.stem == "home" else self.stem
        return f"{base}/{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")


def views() -> list[View]:
    found = []
    for page in outline.PAGES:
        if len(page.tabs) == 1:
            found.append(View(page.stem, None, {}, None))
            continue
        for i, label in enumerate(page.labels):
            if page.tab_key is not None:
                found.append(View(page.stem, label, {page.tab_key: label}, None))
            else:
                found.append(View(page.stem, label, {}, None if i == 0 else label))
    return found


def open_view(page, view: View, base: str, projector: bool = False, timeout_ms: int = 120_000) -> dict:
    """Go to the view, wait until the page has stopped running, and measure it."""
    page.goto(view.url(base, projector))
    page.wait_for_selector('[data-testid="stMain"]', timeout=timeout_ms)
    settle(page, timeout_ms)
    if view.click is not None:
        page.get_by_role("tab", name=view.click, exact=True).click()
        settle(page, timeout_ms)
    return page.evaluate(MEASURE_JS)


SETTLED = """() => {
    const busy = document.querySelector('[data-testid="stStatusWidget"]') !== null
                 || document.querySelector('[data-testid="stSkeleton"]') !== null;  // a first load still arriving
    const n = document.querySelectorAll('[data-testid="stMainBlockContainer"] *').length;
    const now = Date.now();
    if (busy || n !== window.__n) { window.__n = n; window.__since = now; return false; }
    return now - window.__since > 1000;
}"""


def settle(page, timeout_ms: int) -> None:
    """Until no script runs and the page has not changed for a second (charts draw their first frame)."""
    page.wait_for_function(SETTLED, timeout=timeout_ms, polling=200)
