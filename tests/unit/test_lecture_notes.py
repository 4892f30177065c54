"""Lecture mode (issue 12): every view of every page has a note, and the notes match what the pages draw.

The pages are read with `ast`, not run: the view names are the labels each page passes to st.tabs, and each
tab's block must open with `notes.show(<page>, <its label>)`. A renamed tab without a renamed note fails here.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from explorer import lecture_notes
from explorer.lecture_notes import NOTES

ROOT = Path(__file__).resolve().parents[2]
PAGES = {path.stem: path for path in sorted((ROOT / "pages").glob("*.py"))}
WITHOUT_NOTES = {"home"}  # the lecture's map: each of its stops links to a page that has notes
SINGLE_VIEW = "main"  # the view name of a page without tabs
MAX_EXPLANATION = 350
ABBREVIATIONS = ("et al.", "e.g.", "i.e.", "i.i.d.", "vs.")


def _is_call(node: ast.AST, module: str, function: str) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == function
            and isinstance(node.func.value, ast.Name) and node.func.value.id == module)


def tabs(tree: ast.Module) -> dict[str, str]:
    """variable -> tab label, from `a, b = st.tabs(["A", "B"], ...)` (every page unpacks its tabs so)."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_call(node.value, "st", "tabs"):
            labels = [ast.literal_eval(label) for label in node.value.args[0].elts]
            names = [target.id for target in node.targets[0].elts]
            assert len(names) == len(labels), ast.unparse(node)
            found.update(zip(names, labels, strict=True))
    return found


def show_calls(body: list[ast.stmt]) -> list[tuple[str, str]]:
    """The (page, view) of every `notes.show` call in these statements, at any depth."""
    return [tuple(ast.literal_eval(arg) for arg in node.args)
            for statement in body for node in ast.walk(statement) if _is_call(node, "notes", "show")]


def views_of(page: str) -> set[str]:
    labels = set(tabs(ast.parse(PAGES[page].read_text())).values())
    return labels or {SINGLE_VIEW}


def sentences(text: str) -> int:
    text = re.sub(r"^\*\*[^*]+\.\*\*\s*", "", text)  # a bold label such as "**Exercise.**" opens the text
    for abbreviation in ABBREVIATIONS:
        text = text.replace(abbreviation, "")
    return len([part for part in re.split(r"[.!?](?:\s+|$)", text) if part.strip()])


def braces_balanced(latex: str) -> bool:
    depth = 0
    for brace in re.sub(r"\\[{}]", "", latex):  # \{ and \} are literal braces, not groups
        depth += {"{": 1, "}": -1}.get(brace, 0)
        if depth < 0:
            return False
    return depth == 0


def all_notes():
    return [pytest.param(page, view, note, id=f"{page}/{view}")
            for page, views in NOTES.items() for view, note in views.items()]


def test_every_page_has_notes_and_no_note_is_for_a_missing_page():
    assert set(NOTES) == set(PAGES) - WITHOUT_NOTES


@pytest.mark.parametrize("page", sorted(set(PAGES) - WITHOUT_NOTES))
def test_the_notes_name_exactly_the_views_of_the_page(page):
    assert set(NOTES[page]) == views_of(page)


@pytest.mark.parametrize("page", sorted(set(PAGES) - WITHOUT_NOTES))
def test_every_view_opens_with_its_note(page):
    tree = ast.parse(PAGES[page].read_text())
    calls = show_calls(tree.body)
    assert sorted(calls) == sorted((page, view) for view in NOTES[page]), "one call per view, with this page's name"
    labels = tabs(tree)
    blocks = [node for node in ast.walk(tree) if isinstance(node, ast.With)
              and isinstance(node.items[0].context_expr, ast.Name) and node.items[0].context_expr.id in labels]
    for block in blocks:  # "at the top of every view": the first statement inside `with tab:`
        label = labels[block.items[0].context_expr.id]
        assert show_calls(block.body[:1]) == [(page, label)], f"the tab {label!r} does not open with its note"
    assert len(blocks) == len(labels)


@pytest.mark.parametrize(("page", "view", "note"), all_notes())
def test_a_note_is_complete_and_short(page, view, note):
    assert note.equation.strip() and note.explanation.strip() and note.try_this.strip()
    assert braces_balanced(note.equation), note.equation
    assert len(note.explanation) <= MAX_EXPLANATION, f"{len(note.explanation)} characters"
    assert sentences(note.explanation) <= 2, note.explanation
    assert not note.try_this.lower().startswith("try"), "the page prefixes the hint with 'Try:'"


def test_the_checks_can_fail():
    """The helpers above see what they must: unbalanced braces, three sentences, tabs in a page's source."""
    assert not braces_balanced(r"\frac{a}{b") and not braces_balanced(r"a}{") and braces_balanced(r"\{x\}")
    assert sentences("One (Kingma et al. 2016). Two. Three.") == 3
    assert sentences("**Exercise.** Show that this holds. Then that one.") == 2
    tree = ast.parse('a, b = st.tabs(["A", "B"], key="k")\nwith a:\n    notes.show("p", "A")\n')
    assert tabs(tree) == {"a": "A", "b": "B"} and show_calls(tree.body) == [("p", "A")]


def test_an_unknown_view_is_refused_by_name():
    with pytest.raises(KeyError, match="vq_vae.*no such tab"):
        lecture_notes.note("vq_vae", "no such tab")


def test_the_notes_import_without_streamlit():
    code = "import sys, explorer.lecture_notes; print('streamlit' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "False"
