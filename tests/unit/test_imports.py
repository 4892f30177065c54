"""The backend must not pull in Streamlit: only explorer/ui/ may import it, and the websocket load generator
(explorer/bench/ws_*.py) its wire format, `streamlit.proto`, which loads the package (docs/architecture.toml)."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import explorer

ROOT = Path(explorer.__file__).resolve().parent
STREAMLIT_SPEAKERS = ("explorer.ui", "explorer.bench.ws_")  # the seam; the simulated browser sessions


def backend_modules() -> list[str]:
    names = ["explorer"]
    for info in pkgutil.walk_packages([str(ROOT)], prefix="explorer."):
        if not info.name.startswith(STREAMLIT_SPEAKERS):
            names.append(info.name)
    return names


def test_backend_modules_do_not_import_streamlit():
    modules = backend_modules()
    assert "explorer.models.vae" in modules and "explorer.training.train" in modules
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "print('streamlit' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False", f"a backend module imported streamlit: {result.stderr}"


def test_the_probe_would_see_a_streamlit_import():
    """The check above can fail: importing the UI seam does load Streamlit."""
    code = "import sys, explorer.ui.cache; print('streamlit' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True"
