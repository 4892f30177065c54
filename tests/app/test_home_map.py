"""The Home map (issue 22): one card per page of the sidebar, in the sidebar's order, each with a real thumbnail
(there were two cards for Tokens and priors, three cards without a picture and Draw and compare's was a black,
empty canvas)."""

from __future__ import annotations

import dataclasses
import types

import numpy as np
from apptest import open_page
from PIL import Image

from explorer import lecture
from explorer.ui import navigation, outline
from explorer.ui.views import home


def sidebar_titles(monkeypatch) -> list[str]:
    """The sidebar's pages in its order, from the app's own navigation (st.Page recorded, not built: outside a
    running app it cannot resolve a page's file)."""
    monkeypatch.setattr(navigation.st, "Page", lambda path, **kwargs: types.SimpleNamespace(path=path, **kwargs))
    return [page["title"] if isinstance(page, dict) else page.title
            for group in navigation.navigation_pages().values() for page in group]


def cards(at) -> list[tuple[str, int]]:
    """Each bordered card of the map: the page it links to (a link, or its plain-text stand-in under AppTest) and
    how many images it shows."""
    found = []
    for block in _blocks(at.main):
        texts = [c.value for c in block.children.values() if type(c).__name__ == "Markdown"]
        links = [text[2:] for text in texts if text.startswith("- ")]
        links += [c.proto.label for c in block.children.values() if type(c).__name__ == "PageLink"]
        images = sum(type(c).__name__ == "Image" for c in block.children.values())
        found += [(link, images) for link in links]
    return found


def _blocks(node) -> list:
    """Every bordered container under `node`."""
    found = []
    for child in getattr(node, "children", {}).values():
        config = getattr(getattr(child, "proto", None), "flex_container", None)
        if config is not None and config.border:
            found.append(child)
        found += _blocks(child)
    return found


def test_one_card_per_page_in_the_sidebars_order_each_with_a_thumbnail(monkeypatch):
    at = open_page("home.py")
    shown = cards(at)
    expected = [title for title in sidebar_titles(monkeypatch) if title != outline.HOME.title]
    assert [title for title, _ in shown] == expected
    assert not [title for title, images in shown if images != 1], "cards without a thumbnail"


def test_every_thumbnail_is_a_picture_not_a_blank():
    for page in outline.LECTURE:
        path = lecture.thumbnail(page.stem)
        assert path.exists(), f"{page.title}: no thumbnail at {path}"
        pixels = np.asarray(Image.open(path).convert("L"), dtype=np.float64)
        assert pixels.var() > 0, f"{page.title}: a blank thumbnail"
        assert (pixels < 250).mean() > 0.05, f"{page.title}: an empty page, nearly all background"


def test_a_page_declared_twice_or_away_from_its_section_gets_one_card_in_the_sidebars_place():
    first, second, third = (dataclasses.replace(outline.page(stem), section=section) for stem, section in
                            (("latent_space", "one"), ("elbo_gap", "two"), ("vq_vae", "one")))
    assert home.sidebar_order((first, second, third, second)) == [first, third, second]
