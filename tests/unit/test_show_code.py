"""Lecture mode (issue 12), "Show the code": every view reveals the functions in `explorer/` that computed it.

The structure is read with `ast` like test_lecture_notes.py: each `with <tab>:` block holds one `show_code(...)`
call, and a page without tabs holds at least one. The arguments are then evaluated in a namespace built from
the page's own imports (running the page would need Streamlit's runtime), so a name that is not an `explorer`
function, or is only UI code, fails here rather than in front of the lecture hall.
"""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest
from test_lecture_notes import PAGES, tabs  # same folder: pytest puts tests/unit on sys.path, as for ppca

from explorer.ui.code import source

WITHOUT_CODE = {"home"}  # the lecture's map computes nothing


def show_code_calls(nodes: list[ast.AST]) -> list[ast.Call]:
    """Every `show_code(...)` call in these nodes, at any depth."""
    return [node for statement in nodes for node in ast.walk(statement)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "show_code"]


def views_without_code(tree: ast.Module) -> list[str]:
    """The tabs whose `with` block does not hold exactly one show_code call; ["main"] for a page without tabs
    and without any call. A tab with no `with` block at all is reported too, so a typo cannot hide one."""
    labels = tabs(tree)
    if not labels:
        return [] if show_code_calls([tree]) else ["main"]
    blocks = {node.items[0].context_expr.id: node for node in ast.walk(tree) if isinstance(node, ast.With)
              and isinstance(node.items[0].context_expr, ast.Name) and node.items[0].context_expr.id in labels}
    return [label for name, label in labels.items()
            if name not in blocks or len(show_code_calls(blocks[name].body)) != 1]


def _imported(module: str, name: str) -> object:
    """`from module import name`: an attribute, or a submodule the package does not import itself."""
    found = importlib.import_module(module)
    return getattr(found, name) if hasattr(found, name) else importlib.import_module(f"{module}.{name}")


def page_namespace(tree: ast.Module) -> dict[str, object]:
    """The names the page's top-level imports bind, imported for real (what the arguments can refer to)."""
    namespace: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                namespace[alias.asname or alias.name] = _imported(node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:  # `import a.b` binds a; `import a.b as c` binds a.b
                module = importlib.import_module(alias.name)
                namespace[alias.asname or alias.name.split(".")[0]] = (
                    module if alias.asname else importlib.import_module(alias.name.split(".")[0]))
    return namespace


def wrong_arguments(tree: ast.Module, namespace: dict[str, object]) -> list[str]:
    """Each show_code argument that is not an explorer function outside explorer.ui with readable source."""
    wrong = []
    for call in show_code_calls([tree]):
        if not call.args:
            wrong.append(f"{ast.unparse(call)}: shows nothing")
        for arg in call.args:
            text = ast.unparse(arg)
            function = eval(text, dict(namespace))  # names and attributes only: the page's own source
            module = getattr(inspect.unwrap(function), "__module__", "") or ""
            if not module.startswith("explorer.") or module.startswith("explorer.ui"):
                wrong.append(f"{text} is from {module!r}, not the maths in explorer/")
            elif not source(function).strip():
                wrong.append(f"{text} has no source to show")
    return wrong


def page_tree(page: str) -> ast.Module:
    return ast.parse(PAGES[page].read_text())


def pages_with_code():
    return sorted(set(PAGES) - WITHOUT_CODE)


@pytest.mark.parametrize("page", pages_with_code())
def test_every_view_shows_its_code(page):
    assert views_without_code(page_tree(page)) == [], "each tab needs exactly one show_code(...) call"


@pytest.mark.parametrize("page", sorted(set(PAGES) - WITHOUT_CODE))
def test_the_code_shown_is_the_maths_in_explorer(page):
    tree = page_tree(page)
    assert wrong_arguments(tree, page_namespace(tree)) == []


def test_the_checks_can_fail():
    """A tab without a call, a tab with two, a page with none, and UI or non-explorer arguments are all seen."""
    tabbed = ast.parse('a, b, c = st.tabs(["A", "B", "C"])\nwith a:\n    show_code(f)\nwith b:\n    pass\n'
                       'with c:\n    show_code(f)\n    show_code(f)\n')
    assert views_without_code(tabbed) == ["B", "C"]
    assert views_without_code(ast.parse("x = 1\n")) == ["main"]
    page = ast.parse("import streamlit as st\nfrom explorer import em\nfrom explorer.ui import notes\n"
                     "show_code(em.fit, notes.show, st.write)\nshow_code()\n")
    wrong = wrong_arguments(page, page_namespace(page))
    assert [line.split(" ")[0] for line in wrong] == ["notes.show", "st.write", "show_code():"], wrong
