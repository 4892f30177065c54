"""The home page's lecture map and the navigation agree: every stop is a page in app.py, and every page
(but the home page itself) is on the map."""

from pathlib import Path

from explorer import lecture

ROOT = Path(__file__).resolve().parents[2]


def test_every_stop_is_a_page_in_the_navigation():
    app = (ROOT / "app.py").read_text()
    for stop in lecture.OUTLINE:
        assert (ROOT / stop.page).exists(), stop.page
        assert f'"{stop.page}", title="{stop.title}"' in app, f"{stop.page} is not in app.py as {stop.title!r}"


def test_every_page_is_on_the_map():
    pages = {p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py")} - {"pages/home.py"}
    assert pages == set(lecture.pages_on_the_map())
