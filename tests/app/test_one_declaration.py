"""Issue 21: adding a tab or a knob to a page touches one declaration and its view function, nothing else.

A copy of the app gets one edit, appended to one declaration file: a view function, a tab with its note declared
inline, and a knob. A link then opens the tab, which draws its note and the knob's value, with no other file
touched (the navigation, the presets, the URL state and the notes are derived from the declaration)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

EDIT = '''
import dataclasses  # noqa: E402 - appended to the declaration, as a developer's edit would add them on top

from explorer.lecture.notes import ViewNote  # noqa: E402


def extra_view() -> None:
    steps = st.slider("Extra steps", 0, 10, 3, key="rep_extra_steps")
    st.markdown(f"the extra view draws {steps} steps")


PAGE = dataclasses.replace(
    PAGE,
    tabs=(*PAGE.tabs, TabSpec("An extra tab", lambda g: extra_view(),
                              ViewNote("x = 1", "An extra note, declared with its tab.", "move **Extra steps**."),
                              code=(estimators.reparameterize,))),
    knobs={**PAGE.knobs, "rep_extra_steps": Range(0, 10, 1, 3)},
)
'''

CHECK = '''
from streamlit.testing.v1 import AppTest

at = AppTest.from_file("pages/reparameterization.py", default_timeout=180)
at.query_params["rep_extra_steps"] = "7"
at.query_params["rep_tab"] = "An extra tab"  # the page's tabs are lazy: the link opens the new one
at.run()
assert not at.exception, at.exception
assert any(m.value == "the extra view draws 7 steps" for m in at.markdown), [m.value for m in at.markdown]
assert any(m.value == "An extra note, declared with its tab." for m in at.markdown)
assert "An extra tab" in [tab.label for tab in at.tabs]
print("ok")
'''


@pytest.mark.slow
def test_a_tab_and_a_knob_added_in_one_declaration_work_everywhere(tmp_path):
    for name in ("explorer", "pages", "pretrained", ".streamlit"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "app.py", tmp_path / "app.py")
    declaration = tmp_path / "explorer" / "ui" / "declarations" / "reparameterization.py"
    declaration.write_text(declaration.read_text() + EDIT)  # the one file edited
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(CHECK)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]
