"""The Home map's thumbnails: one picture per page, cut from a screenshot of it. Which pages exist, in which
order, and what their cards say is declared with the pages (`explorer.ui.outline`)."""

from __future__ import annotations

import re
from pathlib import Path

THUMBNAILS = Path(__file__).resolve().parents[2] / "docs" / "thumbnails"
THUMBNAIL_WIDTH = 480
CONTENT_BOX = (330, 104, 1400, 914)  # the main column under the title in a 1400×1000 screenshot, sidebar cut off
SCREENSHOT = re.compile(r"\d+-(?P<stem>\w+)\.png")  # NN-<page stem>.png


def thumbnail(stem: str, folder: Path = THUMBNAILS) -> Path:
    """Where the thumbnail of the page pages/<stem>.py is (it may not exist)."""
    return folder / f"{stem}.png"


def make_thumbnails(screenshot_dir: Path, out_dir: Path = THUMBNAILS) -> list[Path]:
    """Thumbnails for the map from the screenshots `../shared/tools/screenshot_pages.py` writes
    (NN-<page stem>.png, the first one per page): the main column, cropped and scaled to THUMBNAIL_WIDTH."""
    from PIL import Image

    out_dir.mkdir(parents=True, exist_ok=True)
    shots: dict[str, Path] = {}
    for path in sorted(Path(screenshot_dir).glob("*.png")):
        if (found := SCREENSHOT.fullmatch(path.name)) and found["stem"] != "home":
            shots.setdefault(found["stem"], path)
    written = []
    for stem, path in shots.items():
        with Image.open(path) as shot:
            crop = shot.convert("RGB").crop(CONTENT_BOX)
            height = round(crop.height * THUMBNAIL_WIDTH / crop.width)
            crop.resize((THUMBNAIL_WIDTH, height), Image.LANCZOS).save(thumbnail(stem, out_dir), optimize=True)
        written.append(thumbnail(stem, out_dir))
    return written
