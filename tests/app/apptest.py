"""Running a page alone in AppTest, what every test asks of it (no exception, no error shown), and reading its
charts as data: a figure's spec is parsed (`json.loads`) before any text in it is compared, so no test depends
on how a Plotly release writes its JSON (plotly 7.1 escapes "τ" as "\\u03c4")."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGES = Path(__file__).resolve().parents[2] / "pages"


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def open_page(page: str, timeout: float = 120, clean: bool = True) -> AppTest:
    """Run `page` (a file name in pages/, or a path) once; by default also assert it ran clean."""
    path = Path(page) if Path(page).is_absolute() else PAGES / Path(page).name
    at = AppTest.from_file(str(path), default_timeout=timeout)
    at.run()
    if clean:
        assert_clean(at)
    return at


def open_link(page: str, query: dict[str, str]) -> AppTest:
    """Open `page` as a shared link with this query string would (a new session), and assert it ran clean."""
    at = AppTest.from_file(str(PAGES / page), default_timeout=180)
    at.query_params.update(query)
    at.run()
    assert_clean(at)
    return at


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """Open the tab `label` of the lazy `st.tabs(..., key=key, on_change="rerun")`, as a click on it does."""
    at.session_state[key] = label
    at.run()
    assert_clean(at)
    return at


def chart_specs(at: AppTest) -> list[dict]:
    """Every Plotly chart on the page, parsed: {"data": [...], "layout": {...}}."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _title(node) -> str:
    title = (node or {}).get("title", "")
    return title.get("text", "") if isinstance(title, dict) else str(title)


def figure_texts(spec: dict) -> list[str]:
    """The words a reader sees on one figure: its title, axis titles, annotations (subplot titles among them),
    trace names, colour-bar titles, category labels and text labels, each as one string."""
    layout = spec.get("layout", {})
    texts = [_title(layout), _title(layout.get("legend"))]
    texts += [_title(value) for key, value in layout.items() if key.startswith(("xaxis", "yaxis"))]
    texts += [str(note.get("text", "")) for note in layout.get("annotations", [])]
    for trace in spec.get("data", []):
        colorbars = trace.get("colorbar"), trace.get("marker", {}).get("colorbar")
        texts += [str(trace.get("name", ""))] + [_title(colorbar) for colorbar in colorbars]
        for key in ("x", "y", "text"):  # numeric arrays may be base64 blocks; words stay lists of strings
            values = trace.get(key)
            texts += [value for value in values if isinstance(value, str)] if isinstance(values, list) else []
    return [text for text in texts if text]


def chart_texts(at: AppTest) -> list[str]:
    """The words on every chart of the page (see `figure_texts`)."""
    return [text for spec in chart_specs(at) for text in figure_texts(spec)]


def chart_titles(at: AppTest) -> str:
    """The titles of every chart of the page, parsed, then joined by spaces for a phrase to be looked up in."""
    return " ".join(_title(spec.get("layout", {})) for spec in chart_specs(at))


class _StyleSheets(HTMLParser):
    """Collects the text of every <style> element of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.sheets: list[str] = []
        self._inside = False

    def handle_starttag(self, tag, attrs) -> None:
        self._inside = tag == "style"
        if self._inside:
            self.sheets.append("")

    def handle_endtag(self, tag) -> None:
        self._inside = False

    def handle_data(self, data) -> None:
        if self._inside:
            self.sheets[-1] += data


def style_sheets(at: AppTest) -> list[str]:
    """The CSS of every <style> element the page injected through `st.html`, parsed out of the HTML."""
    parser = _StyleSheets()
    for block in at.get("html"):
        parser.feed(block.proto.body)
    return parser.sheets


APP = str(Path(__file__).resolve().parents[2] / "app.py")


def app_session(query: dict[str, str] | None = None) -> AppTest:
    """A browser's session of the whole app (app.py: sidebar, class mode, the page the URL names), run once clean."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(query or {})
    at.run()
    assert_clean(at)
    return at


def room_lecturer() -> AppTest:
    """A fresh in-process room store (no rooms of other tests), and a session that opened a room in it."""
    from explorer.ui import class_room

    class_room.classroom.clear()
    class_room.LECTURERS.clear()
    at = app_session()
    at.button(key="class_open").click().run()
    assert_clean(at)
    return at
