"""House rules that a test can hold: lint, CI runs the README's test command, thin pages."""

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is not installed: pip install -r requirements-dev.txt")
    result = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    return [line for block in blocks[:2] for line in block.strip().splitlines()]


def test_readme_has_exactly_the_two_setup_commands():
    app_command, test_command = readme_commands()
    assert app_command.endswith("streamlit run app.py") and "torch==2.13.0" in app_command
    assert test_command.endswith("python -m pytest") and "chromium" in test_command


def test_ci_runs_the_readme_test_command():
    test_command = readme_commands()[1]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_pages_stay_thin():
    for page in (ROOT / "pages").glob("*.py"):
        text = page.read_text()
        assert len(text.splitlines()) <= 250, page
        assert "import torch" not in text, f"{page.name} does maths: move it into explorer/"


SERIALIZED_FIELDS = {"spec", "json", "config", "body"}  # a proto field that holds JSON or HTML text
SERIALIZERS = {"SerializeToString", "to_json", "to_plotly_json", "to_html", "write_html", "dumps"}


def _serialized_reads(tree: ast.AST) -> list[ast.AST]:
    """Reads of serialized text that are not parsed on the spot: `x.proto.spec` outside `json.loads(...)` or an
    HTML parser's `feed(...)`, and calls of a serializer."""
    parsed = {id(arg) for node in ast.walk(tree) if isinstance(node, ast.Call)
              and isinstance(node.func, ast.Attribute) and node.func.attr in {"loads", "feed"} for arg in node.args}
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in SERIALIZED_FIELDS
                and isinstance(node.value, ast.Attribute) and node.value.attr == "proto" and id(node) not in parsed):
            found.append(node)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SERIALIZERS
                and id(node) not in parsed):
            found.append(node)
    return found


def _searched_in(tree: ast.AST) -> set[int]:
    """ids of every node inside the right-hand side of an `in` / `not in` or the argument of `==`."""
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn, ast.Eq)) for op in node.ops):
            inside |= {id(child) for side in node.comparators for child in ast.walk(side)}
    return inside


def test_tests_read_figures_and_pages_as_data_not_as_serialized_text():
    """A substring search in Plotly's JSON depends on how a release escapes it (plotly 7.1 writes τ as \\u03c4):
    every test parses a spec before it looks at its words, and never compares serializer output."""
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        tree = ast.parse(path.read_text())
        searched = _searched_in(tree)
        offenders += [f"{path.relative_to(ROOT)}:{node.lineno}" for node in _serialized_reads(tree)
                      if id(node) in searched or not isinstance(node, ast.Call)]
    assert not offenders, offenders


def _pins(lock: Path) -> dict[str, str]:
    pins = (re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line) for line in lock.read_text().splitlines())
    return {canonicalize_name(pin[1]): pin[2] for pin in pins if pin}


def test_the_locks_pin_every_requirement_within_its_range():
    """The locks are complete (every direct requirement pinned, transitive ones too) and agree with the ranges
    that people who use `explorer` as a library install from."""
    app_pins, dev_pins = _pins(ROOT / "requirements.lock"), _pins(ROOT / "requirements-dev.lock")
    for source, pins in (("requirements.txt", app_pins), ("requirements-dev.txt", dev_pins)):
        for line in (ROOT / source).read_text().splitlines():
            if line.strip() and not line.startswith(("#", "-r")):
                requirement = Requirement(line)
                name = canonicalize_name(requirement.name)
                if name == "torch":  # installed first, at the CPU build the README names; never from a lock
                    assert name not in pins
                    continue
                assert name in pins and requirement.specifier.contains(pins[name]), (source, line)
    assert {name: dev_pins[name] for name in app_pins} == app_pins  # one version of everything they share
    assert {"numpy", "pandas", "pyarrow", "protobuf", "pillow", "plotly"} <= set(app_pins)


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="CI installs the lock into a fresh environment; a "
                    "developer may test other versions over it (the drift check does)")
def test_ci_tests_exactly_the_locked_versions():
    installed = {canonicalize_name(dist.metadata["Name"]): dist.version for dist in importlib.metadata.distributions()}
    drifted = {name: (pin, installed.get(name)) for name, pin in _pins(ROOT / "requirements-dev.lock").items()
               if installed.get(name) != pin}
    assert not drifted, f"installed versions differ from requirements-dev.lock: {drifted}"
    assert installed["torch"].split("+")[0] == "2.13.0"
