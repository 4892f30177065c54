"""Running a page alone in AppTest, and what every test asks of it: no exception and no error shown."""

from __future__ import annotations

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


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """Open the tab `label` of the lazy `st.tabs(..., key=key, on_change="rerun")`, as a click on it does."""
    at.session_state[key] = label
    at.run()
    assert_clean(at)
    return at
