"""The parts of `explorer` and the rules between them (docs/architecture.toml, docs/ARCHITECTURE.md), held by
walking every module's imports with `ast`: imports inside functions count as much as those on top."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = tomllib.loads((ROOT / "docs" / "architecture.toml").read_text())
PACKAGE = "explorer"


class Import(NamedTuple):
    target: str  # a module name, e.g. "explorer.models.vae" or "plotly.graph_objects"
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, str]:
    return {module_name(path): path.read_text() for path in sorted((ROOT / PACKAGE).rglob("*.py"))}


def imports_of(name: str, source: str, modules: set[str]) -> list[Import]:
    """Every module `name` imports. `from package import submodule` depends on the submodule alone (the package's
    __init__ runs first, but that is not a dependency on purpose); other names depend on the module they come from."""
    is_package = name in modules and any(m.startswith(name + ".") for m in modules)
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append(Import(submodule if submodule in modules else base, node.lineno))
    return found


def part_of(module: str) -> str | None:
    """The part whose prefix matches `module` longest; the bare package name matches only itself."""
    best, length = None, -1
    for part, rules in SPEC["parts"].items():
        for prefix in rules["modules"]:
            matches = module == prefix or (prefix != PACKAGE and module.startswith(prefix + "."))
            if matches and len(prefix) > length:
                best, length = part, len(prefix)
    return best


def rule_breaks(modules: dict[str, str]) -> list[str]:
    """Each import that breaks a rule of docs/architecture.toml, as 'module:line imports target (why)'."""
    names, breaks = set(modules), []
    for name, source in modules.items():
        part = part_of(name)
        if part is None:
            breaks.append(f"{name} is in no part of docs/architecture.toml")
            continue
        rules = SPEC["parts"][part]
        for target, line in imports_of(name, source, names):
            top = target.split(".")[0]
            if top == PACKAGE and target in names:
                other = part_of(target)
                if other is not None and other != part and other not in rules["imports"]:
                    breaks.append(f"{name}:{line} imports {target} ({part} may not import {other})")
            elif top in ("streamlit", "plotly", "streamlit_drawable_canvas") and not any(
                    target == allowed or target.startswith(allowed + ".") for allowed in rules["allow"]):
                breaks.append(f"{name}:{line} imports {target} ({part} may not import {top})")
    return breaks


def cycles(modules: dict[str, str]) -> list[list[str]]:
    """Import cycles between modules of the package (each found once, from its first module in sorted order)."""
    names = set(modules)
    graph = {name: sorted({i.target for i in imports_of(name, src, names) if i.target in names} - {name})
             for name, src in modules.items()}
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in graph[node]:
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return found


def test_every_import_keeps_to_the_rules():
    assert rule_breaks(sources()) == []


def test_no_module_imports_itself_round_a_cycle():
    assert cycles(sources()) == []


def test_nothing_imports_the_benchmarks_but_the_command_line():
    bench = SPEC["parts"]["bench"]
    assert all("bench" not in rules["imports"] for part, rules in SPEC["parts"].items() if part not in ("bench", "cli"))
    assert "ui" not in bench["imports"]


@pytest.mark.parametrize(("module", "source", "expected"), [
    ("explorer.maths.metrics", "def f():\n    import streamlit as st\n", "maths may not import streamlit"),
    ("explorer.models.vae", "from explorer.figures import latent\n", "models may not import figures"),
    ("explorer.figures.latent", "import streamlit\n", "figures may not import streamlit"),
    ("explorer.store.zoo", "def f():\n    from explorer.ui import cache\n", "store may not import ui"),
    ("explorer.bench", "from explorer.ui.cache import model\n", "bench may not import ui"),
])
def test_a_rule_broken_on_purpose_is_named(module, source, expected):
    """The walk sees lazy imports and names the rule: the checks above can fail."""
    modules = sources() | {module: source}
    assert any(expected in line for line in rule_breaks(modules)), rule_breaks(modules)


def test_a_cycle_made_on_purpose_is_found():
    cycle_made = "def f():\n    from explorer.maths.metrics import kl_per_unit\n"
    modules = sources() | {"explorer.maths.objectives": cycle_made}
    assert any({"explorer.maths.objectives", "explorer.maths.metrics"} <= set(cycle) for cycle in cycles(modules))


def test_every_part_is_documented():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    assert all(f"**{part}**" in text for part in SPEC["parts"])
