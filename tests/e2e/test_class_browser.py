"""The class in real browsers (issue 24): a lecturer's context and two students' contexts on one server. The
students join by link and by code, follow the lecturer's page, tab and knob; one explores on their own (the
lecturer sees 1 following, 1 exploring) and "bring everyone here" brings them back. Then the lecturer asks a
question, both students answer, the lecturer reveals (the class's answers beside the truth, on every screen); and a
two-point class sweep is filled in by the two students' sessions. tests/deploy runs the same across replicas."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TIMEOUT = 60_000
HEADING = "The reparameterization trick"
ESTIMATES = "One-sample gradient estimates"
ROOM = re.compile(r"Room ([A-Z2-9]{6}) · you lead")


def mu_shown(page) -> str:
    slider = page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text("μ", exact=True))
    return slider.locator('[data-testid="stSliderThumbValue"]').inner_text()


def wait_for_mu(page, value: str) -> None:
    page.wait_for_function(
        """value => [...document.querySelectorAll('[data-testid="stSlider"]')].some(s =>
            s.innerText.includes('μ') && s.querySelector('[data-testid="stSliderThumbValue"]')?.innerText === value)""",
        arg=value, timeout=TIMEOUT, polling=100)


def move_mu(page, presses: int) -> None:
    for _ in range(presses):
        page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text("μ", exact=True)).get_by_role(
            "slider").focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(300)


def open_room(page, base: str) -> str:
    page.goto(base + "/reparameterization")
    page.get_by_role("heading", name=HEADING).wait_for(timeout=TIMEOUT)
    page.get_by_role("button", name="Open a room (lecturer)").click()
    room = page.get_by_text(ROOM)
    room.wait_for(timeout=TIMEOUT)
    code = ROOM.search(room.inner_text()).group(1)
    page.locator('[data-testid="stSidebar"] img').first.wait_for(timeout=TIMEOUT)  # the QR code
    return code


def join_by_code(page, base: str, code: str) -> None:
    page.goto(base + "/")
    page.get_by_label("Room code").fill(code.lower())
    page.get_by_role("button", name="Join").click()


def follow_explore_and_bring_back(lecturer, by_link, by_code, url: str, shots, name: str) -> None:
    """The scenario, on pages of three browser contexts at `url` (one server, or nginx before replicas)."""
    code = open_room(lecturer, url)
    by_link.goto(f"{url}/?room={code}")
    join_by_code(by_code, url, code)
    for student in (by_link, by_code):  # onto the lecturer's page, from the home page
        student.get_by_role("heading", name=HEADING).wait_for(timeout=TIMEOUT)
        assert f"room={code}" in student.url and "secret" not in student.url
    lecturer.get_by_role("tab", name=ESTIMATES).click()
    move_mu(lecturer, 3)
    wait_for_mu(lecturer, "0.80")
    for student in (by_link, by_code):
        student.get_by_role("tab", name=ESTIMATES, selected=True).wait_for(timeout=TIMEOUT)
        wait_for_mu(student, "0.80")
    by_code.get_by_text("Follow the lecturer").click()  # explore on my own
    lecturer.get_by_text(re.compile(r"1 following · 1 exploring")).first.wait_for(timeout=TIMEOUT)
    move_mu(lecturer, 2)
    wait_for_mu(lecturer, "1.00")
    wait_for_mu(by_link, "1.00")
    by_code.wait_for_timeout(2000)
    assert mu_shown(by_code) == "0.80"  # exploring: the lecturer's moves are not theirs
    lecturer.get_by_role("button", name="Bring everyone here").click()
    wait_for_mu(by_code, "1.00")
    lecturer.get_by_text(re.compile(r"2 following · 0 exploring")).first.wait_for(timeout=TIMEOUT)
    for page in (lecturer, by_link, by_code):
        assert page.locator('[data-testid="stException"]').count() == 0
    lecturer.screenshot(path=str(shots / f"{name}-lecturer.png"))
    by_code.screenshot(path=str(shots / f"{name}-student.png"))


def chart_titles(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .map(el => (el.layout.title?.text || '').replace(/<[^>]+>/g, ''))""")


def predict_and_reveal(lecturer, students) -> None:
    """The τ question (no model to load): both students answer, the lecturer sees 2 answers and reveals."""
    lecturer.get_by_role("combobox", name="Question").click()
    lecturer.get_by_role("option", name=re.compile(r"Up to which temperature τ")).click()
    lecturer.get_by_role("button", name="Ask").click()
    for choice, student in zip(("τ = 0.2", "τ = 1"), students, strict=True):
        student.get_by_text("Predict:").first.wait_for(timeout=TIMEOUT)
        student.get_by_text(choice, exact=True).click()
        student.get_by_role("button", name="Send").click()
        student.get_by_text(re.compile(r"Answer received")).first.wait_for(timeout=TIMEOUT)
    lecturer.get_by_text(re.compile(r"^2 answers so far")).first.wait_for(timeout=TIMEOUT)
    lecturer.get_by_role("button", name="Reveal").click()
    for page in (lecturer, *students):
        page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')].some(el =>
            (el.layout.title?.text || '').includes('2 answers'))""", timeout=TIMEOUT, polling=200)
        answers = [t for t in chart_titles(page) if "2 answers" in t]
        assert answers, chart_titles(page)


def two_point_sweep(lecturer, students) -> None:
    """β 1 against β 8: each student's session trains one point; the lecturer's plot shows both."""
    lecturer.get_by_role("combobox", name="Sweep").click()
    lecturer.get_by_role("option", name="β 1 against β 8 (2 points)").click()
    lecturer.get_by_role("button", name="Start the class sweep").click()
    lecturer.get_by_text(re.compile(r"2 done · 0 training · 0 waiting")).first.wait_for(timeout=3 * TIMEOUT)
    for student in students:
        done = re.compile(r"You trained 1 point\(s\) for the class · the class: 2 of 2 done")
        student.get_by_text(done).first.wait_for(timeout=TIMEOUT)
    lecturer.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')].some(el =>
        (el.layout.title?.text || '').includes('R–D plane') && el.data.some(t => (t.x || []).length >= 2))""",
        timeout=TIMEOUT, polling=250)


# Texts drawn by timer fragments are looked up with `.first`: for a moment after a fragment reruns, its stale copy
# can stand beside the new one, and Playwright's strict mode fails on two matches.


def the_class(pages, url: str, shots, name: str) -> None:
    """Follow, predict and reveal, sweep: the whole of the class on three contexts' pages at `url`."""
    lecturer, by_link, by_code = pages
    follow_explore_and_bring_back(lecturer, by_link, by_code, url, shots, name)
    predict_and_reveal(lecturer, (by_link, by_code))
    two_point_sweep(lecturer, (by_link, by_code))
    for page in pages:
        assert page.locator('[data-testid="stException"]').count() == 0
    lecturer.screenshot(path=str(shots / f"{name}-lecturer-sweep.png"), full_page=True)


def test_the_class_follows_predicts_and_computes(browser, server_url, shots):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1100}) for _ in range(3)]
    try:
        the_class([c.new_page() for c in contexts], server_url, shots, "class")
    finally:
        for context in contexts:
            context.close()
