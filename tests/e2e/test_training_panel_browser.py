"""Issue 23's acceptance in a real browser, on Latent space's training tab: the untrained map is drawn; Step +10
advances by 10; Play, then reload, finds the same run running on the same tab; β 1 → 8 puts a labelled rule on the
loss chart and leaves the map's axes as they were; a branch at a kept step puts two runs on one chart."""

from __future__ import annotations

import re

import pytest
from test_runs_outlive_browser import TIMEOUT, open_panel, progress, wait_for_step_past

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
LINK = "/latent_space?latent_tab=Train+your+own&latent_train_steps=5000"  # kept steps every 500; long enough
TITLE = "el => (el.layout.title?.text || '').replace(/<[^>]+>/g, '')"  # a chart's title without its <b> tags
MAP_AXES = f"""() => {{ const map = [...document.querySelectorAll('.js-plotly-plot')]
    .find(el => ({TITLE})(el).startsWith('Latent map at step'));
    return map ? [map._fullLayout.xaxis.range, map._fullLayout.yaxis.range] : null; }}"""
RULES = f"""() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(el =>
    (el.layout.annotations || []).map(a => [({TITLE})(el), a.text]))"""
COMPARED = f"""() => [...document.querySelectorAll('.js-plotly-plot')]
    .filter(el => ({TITLE})(el).startsWith('A | B'))
    .map(el => [({TITLE})(el), el.data.map(t => t.name)])"""


def slider_thumb(page, label: str):
    return page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text(label, exact=True)).get_by_role(
        "slider")


def press(page, label: str, key: str, times: int) -> None:
    for _ in range(times):
        slider_thumb(page, label).focus()
        page.keyboard.press(key)


def move_beta(page, key: str, values: tuple[str, ...]) -> None:
    """One key press for each next β, waiting for its rerun (a press during a rerun can be lost)."""
    for value in values:
        press(page, "β (weight of the KL term)", key, 1)
        page.wait_for_url(lambda url, value=value: (f"latent_train_beta={value}&" in url + "&") if value != "1"
                          else "latent_train_beta" not in url, timeout=TIMEOUT)


def pause(page) -> None:
    page.get_by_role("button", name="Pause").click()
    page.get_by_text(re.compile(r"— paused")).first.wait_for(timeout=TIMEOUT)


def untrained_then_step_ten(page) -> None:
    assert progress(page) == (0, "untrained")
    page.wait_for_function(f"() => ({MAP_AXES})() !== null", timeout=TIMEOUT)
    titles = page.evaluate(f"() => [...document.querySelectorAll('.js-plotly-plot')].map({TITLE})")
    assert "Latent map at step 0" in titles, titles  # the untrained model's map, before any click
    page.get_by_role("button", name="+10").click()
    page.get_by_text(re.compile(r"step 10 / 5000 — paused")).wait_for(timeout=TIMEOUT)


def play_then_reload(page) -> None:
    page.get_by_role("button", name="Resume").click()
    wait_for_step_past(page, 10)
    page.reload()
    page.get_by_role("heading", name="Latent space").wait_for(timeout=TIMEOUT)
    step, state = progress(page)
    assert step > 10 and state == "running", (step, state)
    assert page.get_by_role("tab", name="Train your own", selected=True).count() == 1


def beta_to_eight(page) -> None:
    page.wait_for_function(f"() => ({MAP_AXES})() !== null", timeout=TIMEOUT)
    axes = page.evaluate(MAP_AXES)
    pause(page)  # the slider passes 2, 3, 4 and 5 on its way: paused, no step trains with them
    move_beta(page, "ArrowRight", ("2", "3", "4", "5", "8"))
    page.get_by_role("button", name="Resume").click()
    page.wait_for_function(f"() => ({RULES})().some(([title, text]) => text === 'β 1 → 8')",
                           timeout=TIMEOUT, polling=250)
    titled = [title for title, text in page.evaluate(RULES) if text == "β 1 → 8"]
    assert "Loss terms" in titled, titled
    wait_for_step_past(page, progress(page)[0])  # a frame drawn after the change
    assert page.evaluate(MAP_AXES) == axes  # the frame is the run's: a change of β is a change of spread


def branch_at_a_kept_step(page, shots) -> None:
    wait_for_step_past(page, 500)
    pause(page)
    press(page, "Show the model at step", "End", 1)
    press(page, "Show the model at step", "ArrowLeft", 1)  # the last kept step before now
    page.get_by_text(re.compile(r"as it was at step [\d,]+, kept")).wait_for(timeout=TIMEOUT)
    move_beta(page, "ArrowLeft", ("5", "4", "3", "2", "1"))  # the branch trains with β 1 again (the default)
    page.get_by_role("button", name=re.compile(r"Branch from step")).click()
    page.wait_for_function(f"() => ({COMPARED})().some(([title]) => title.includes('→'))",  # B's first row is in
                           timeout=TIMEOUT, polling=250)
    ((title, names),) = page.evaluate(COMPARED)
    assert re.match(r"A \| B: the runs part at step [\d,]+ \(β 8 → 1\)", title), title
    assert any(n.startswith("A: β 8") for n in names) and any(n.startswith("B: β 1") for n in names), names
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(shots / "training-panel-branch.png"), full_page=True)
    page.get_by_role("button", name="Reset", exact=True).click()  # both runs end: the untrained model again
    page.get_by_text(re.compile(r"step 0 / 5000 — untrained")).wait_for(timeout=TIMEOUT)
    assert page.evaluate(COMPARED) == []


def test_step_play_reload_knob_rule_and_branch(browser, server_url, shots):
    context = browser.new_context(viewport={"width": 1400, "height": 1500})
    page = context.new_page()
    try:
        open_panel(page, server_url + LINK)
        untrained_then_step_ten(page)
        play_then_reload(page)
        beta_to_eight(page)
        branch_at_a_kept_step(page, shots)
    finally:
        context.close()
