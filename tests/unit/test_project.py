"""House rules that a test can hold: lint, CI runs the README's test command, thin pages."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

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
