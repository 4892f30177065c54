"""Presets must fit their pages: every key a widget there (that every value is allowed, test_declarations.py);
choosing a preset in AppTest sets every knob at once, shows its values, puts them in the URL, and runs clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest import assert_clean, open_page, open_tab
from streamlit.testing.v1 import AppTest

from explorer.store import zoo
from explorer.ui import outline, presets, state
from explorer.ui.declarations.reparameterization import ESTIMATES

PAGES = Path(__file__).resolve().parents[2] / "pages"
WIDGETS = ("slider", "select_slider", "radio", "checkbox", "toggle", "selectbox", "number_input")
# a "New draw" button's counter, kept in session state, not a widget
SEEDS = {"rep_seed", "gm_seed", "sg_seed", "kl_seed", "gx_seed", "hvae_draw"}
# States that show the widgets no preset reaches (the other dataset's live run, the 5th logit).
EXTRA = {"beta_sigma": [{"beta_dataset": "mnist", "beta_live_mnist_lik": "gaussian"}],
         "straight_through": [{"gm_k": 5}], "tokens_priors": [{"tokens_tab": "Train a prior"}],
         "latent_space": [{"latent_tab": "Train your own", "latent_train_lik": "gaussian"}]}
# their knobs sit beside pretrained models
NEEDS_ZOO = {"latent_space", "categorical_vae", "vq_vae", "elbo_gap", "hierarchical_vae", "tokens_priors"}


def test_every_page_with_knobs_of_its_own_has_presets():
    assert {page.stem for page in outline.PAGES if page.knobs} == set(presets.PRESETS)


def widgets(at: AppTest) -> dict[str, object]:
    """Every keyed widget on the page: key -> the value it shows (for keyed tabs, the open tab's label)."""
    shown = {w.key: w.value for kind in WIDGETS for w in at.get(kind) if w.key}
    for tabs in at.get("tab_container"):
        _, _, key = tabs.proto.tab_container.id.partition("-")[2].partition("-")  # "$$ID-<hash>-<key>"
        if key:
            shown[key] = [tab.label for tab in tabs.children.values()][tabs.proto.tab_container.default_tab_index]
    return shown


def check_widgets_fit_knobs(at: AppTest, page: str, fresh: bool) -> None:
    """Every knob drawn is its widget's: a Range within the widget's bounds on its grid, a Choice with as many
    options (a toggle's two), so a link can set only what the widget offers; on a fresh page, at its default."""
    knobs = presets.KNOBS[page]
    for kind in WIDGETS:
        for widget in at.get(kind):
            knob = knobs.get(widget.key)
            if knob is None:
                continue
            if fresh:
                assert state.as_text(widget.value) == state.as_text(knob.default), (page, widget.key, widget.value)
            if isinstance(knob, state.Range):
                steps = (knob.low - widget.min) / widget.step
                assert widget.min <= knob.low and knob.high <= widget.max, (page, widget.key, widget.min, widget.max)
                assert knob.step == pytest.approx(widget.step) and steps == pytest.approx(round(steps)), widget.key
            elif kind in ("toggle", "checkbox"):
                assert set(knob.options) == {False, True}, (page, widget.key, knob.options)
            else:
                assert len(widget.options) == len(knob.options), (page, widget.key, widget.options, knob.options)


def choose(at: AppTest, page: str, name: str) -> None:
    at.button_group(key=f"preset_{page}").set_value(name).run()
    assert_clean(at)


def check_shows(at: AppTest, page: str, name: str) -> set[str]:
    """The page shows the preset's value of every knob: in its widget, or in session state where none is drawn;
    returns the widget keys seen."""
    shown = widgets(at)
    expected = state.preset_values(presets.preset_knobs(page), presets.PRESETS[page][name])
    for key, value in expected.items():
        got = shown[key] if key in shown else at.session_state[key]
        assert state.as_text(got) == state.as_text(value), f"{page} / {name}: {key} shows {got!r}, not {value!r}"
    url = {key: state.as_text(value) for key, value in expected.items()
           if state.as_text(value) != state.as_text(presets.KNOBS[page][key].default)}
    assert at.query_params == url, f"{page} / {name}: URL {at.query_params} instead of {url}"
    assert at.button_group(key=f"preset_{page}").value == name
    return set(shown)


def set_widgets(at: AppTest, values: dict) -> set[str]:
    for key, value in values.items():
        if any(key == tab_key for tab_key, _ in presets.TABS.values()):
            open_tab(at, key, value)
            continue
        next(w for kind in WIDGETS for w in at.get(kind) if w.key == key).set_value(value)
        at.run()
        assert_clean(at)
    return set(widgets(at))


@pytest.mark.slow
@pytest.mark.parametrize("page", sorted(presets.PRESETS))
def test_choosing_each_preset_sets_every_knob_of_the_page(page, request, mnist_dir):
    if page in NEEDS_ZOO:
        if not zoo.names():
            pytest.skip("no pretrained models: run `python -m explorer pretrain`")
    else:
        request.getfixturevalue("zoo_dir")  # an empty zoo: the live panels need none, and the page runs faster
    at = open_page(f"{page}.py", timeout=180)
    check_widgets_fit_knobs(at, page, fresh=True)
    seen = set(widgets(at))
    for name in presets.PRESETS[page]:
        choose(at, page, name)
        check_widgets_fit_knobs(at, page, fresh=False)
        seen |= check_shows(at, page, name)
    for extra in EXTRA.get(page, []):
        seen |= set_widgets(at, extra)
        check_widgets_fit_knobs(at, page, fresh=False)
    missing = set(presets.preset_knobs(page)) - seen - SEEDS  # projector mode: app.py's sidebar (test_stage.py)
    assert not missing, f"{page}: knobs that are no widget on the page: {missing}"
    assert all(seed in at.session_state for seed in SEEDS & set(presets.KNOBS[page]))


def test_a_preset_is_lit_while_the_knobs_match_it_also_from_a_link(zoo_dir):
    at = open_page("reparameterization.py")
    choose(at, "reparameterization", "Score function blows up")
    at.slider(key="rep_sigma").set_value(0.5).run()
    assert at.button_group(key="preset_reparameterization").value is None
    assert at.query_params == {"rep_tab": ESTIMATES, "rep_mu": "2", "rep_sigma": "0.5"}  # the preset's tab
    choose(at, "reparameterization", "Step objective: pathwise gives 0")
    at.button_group(key="preset_reparameterization").set_value(None).run()  # the lit pill clicked again
    assert at.radio(key="rep_objective").value == "step" and at.slider(key="rep_mu").value == 0.5
    assert at.button_group(key="preset_reparameterization").value == "Step objective: pathwise gives 0"
    link = AppTest.from_file(str(PAGES / "reparameterization.py"), default_timeout=120)
    link.query_params.update({"rep_tab": ESTIMATES, "rep_mu": "2", "rep_sigma": "0.1"})
    link.run()
    assert_clean(link)
    assert link.button_group(key="preset_reparameterization").value == "Score function blows up"
