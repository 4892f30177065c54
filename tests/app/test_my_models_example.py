"""The "Your models" page before any upload (issue 22): a pretrained model of the zoo in the card an upload gets,
labelled as an example, so the first screen has a picture; its file, downloaded and uploaded back, gives the same
card; and a zoo that is missing, stale or holds no model with a picture leaves the page working."""

from __future__ import annotations

import numpy as np
import torch
from apptest import open_page

from explorer import models
from explorer.store import zoo
from explorer.ui.views import my_models as model_io
from explorer.ui.views import my_models_cards as cards

TINY = dict(x_dim=16, z_dim=2, hidden=(8,), image_shape=(4, 4))


def register_tiny(zoo_path, name: str = cards.EXAMPLE_DEFAULT) -> None:
    built = models.build("vae", None, **TINY)
    with torch.no_grad():  # weights of its own generator: the same in every run, whatever ran before
        gen = torch.Generator().manual_seed(0)
        for p in built.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
    zoo.register(name, built, dataset="mnist", data="test", steps=0, seed=0, wall_time_s=0.0,
                 metrics={"test_elbo": -9.5}, dir=zoo_path)


def test_before_any_upload_the_page_shows_a_pretrained_example(zoo_dir):
    register_tiny(zoo_dir)
    at = open_page("my_models.py")
    assert any("No model loaded" in i.value and "example" in i.value for i in at.info)
    assert at.selectbox(key=cards.EXAMPLE_KEY).value == cards.EXAMPLE_DEFAULT
    assert at.get("image") and at.get("download_button")
    assert any(f"Example: {cards.EXAMPLE_DEFAULT}{model_io.SUFFIX}" in m.value for m in at.markdown)
    assert not at.session_state[model_io.STATE_KEY]  # an example is not one of the session's models


def test_the_example_uploaded_back_gives_the_same_card_and_replaces_the_example(zoo_dir):
    register_tiny(zoo_dir)
    data = cards.example_bytes(cards.EXAMPLE_DEFAULT)
    shown = cards.example(cards.EXAMPLE_DEFAULT)
    uploaded = model_io.load_upload(data, shown.name)
    assert np.array_equal(uploaded.samples, shown.samples) and uploaded.config == shown.config
    at = open_page("my_models.py")
    at.file_uploader(key="my_models_upload").set_value((shown.name, data, "application/octet-stream")).run()
    assert not at.exception and list(at.session_state[model_io.STATE_KEY]) == [shown.name]
    assert not [s for s in at.selectbox if s.key == cards.EXAMPLE_KEY]  # the upload's own card, no example
    assert at.get("image")


def test_a_stale_example_file_is_not_shown_and_the_page_goes_on(zoo_dir):
    register_tiny(zoo_dir)
    path = zoo.path(cards.EXAMPLE_DEFAULT, zoo_dir)
    path.write_bytes(path.read_bytes()[:-4] + b"\0\0\0\0")  # no longer the file the manifest names
    at = open_page("my_models.py", clean=False)
    assert not at.exception and not at.get("image")
    assert any("cannot be loaded" in w.value for w in at.warning)


def test_only_models_with_a_picture_are_examples_and_an_empty_zoo_says_so(zoo_dir):
    assert cards.example_names() == ()
    zoo.write_manifest({"a-prior": {"kind": "prior"}, "b-vae": {"kind": "vae"}, "c-odd": "not an entry"}, zoo_dir)
    assert cards.example_names() == ("b-vae",)


def test_the_mosaic_is_a_sharp_square_of_whole_pixels():
    picture = cards.mosaic(np.ones((16, 28, 28)))
    assert picture.shape[0] == picture.shape[1] and picture.shape[0] % (4 * 28 + 3) == 0
    assert cards.IMAGE_PIXELS / 2 < picture.shape[0] <= cards.IMAGE_PIXELS
