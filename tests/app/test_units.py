"""Issue 20: every number on screen says what it is and in which unit. Every page, and every lazy tab of a page,
is opened once in AppTest and its `st.metric`s and chart axes are read as data (figure specs parsed):

1. every metric carries a unit or names a pure number: its label, help or value (the unit shown beside the
   number counts) holds a UNIT (nats, bits, per image, codes, …) or a DIMENSIONLESS name (p-value, χ², β, MIG,
   fraction, …);
2. an axis title or colour-bar title that names a QUANTITY measured in nats, bits or squared error (log p, ELBO,
   KL, rate, distortion, gap, loss, error, perplexity, …) holds a UNIT or DIMENSIONLESS name;
3. a metric whose value is in nats or bits names its QUANTITY in its label or help ("−102.5 nats" under a
   model's name alone does not say it is an ELBO).

What a page shows without a click is checked (live training panels draw their numbers only while a job runs).
"""

from __future__ import annotations

import re

import pytest
from apptest import PAGES, _title, chart_specs, open_page, open_tab
from streamlit.testing.v1 import AppTest

from explorer.data.mnist import SHARED_MNIST
from explorer.store import zoo
from explorer.ui import presets

QUANTITY = re.compile(r"log p|ELBO|\bKL\b|NLL|IWAE|\brate\b|distortion|\bgap\b|bound|\bloss|error|perplexity|"
                      r"likelihood|entropy|\brecon|‖x − x̂‖²|\bMSE\b", re.IGNORECASE)
UNIT = re.compile(r"\bnats?\b|\bbits?\b|bits/token|per image|per pixel|per token|per point|per sample|"
                  r"sum over pixels|\bcodes\b|\bsteps?\b|\bsamples\b|\bunits\b|%", re.IGNORECASE)
# numbers that are pure by definition: a probability, a test statistic, a knob, a normalised score
DIMENSIONLESS = re.compile(r"dimensionless|fraction|p-value|χ²|β|τ|\bMIG\b|probability", re.IGNORECASE)
IN_NATS_OR_BITS = re.compile(r"\bnats?\b|\bbits?\b", re.IGNORECASE)


def carries_unit(text: str) -> bool:
    return bool(UNIT.search(text) or DIMENSIONLESS.search(text))


def metric_problems(at: AppTest, where: str) -> list[str]:
    problems = []
    for metric in at.metric:
        named = f"{metric.label} {metric.proto.help}"
        shown = f"{named} {metric.value}"
        if not carries_unit(shown):
            problems.append(f"{where}: metric {metric.label!r} = {metric.value!r} has no unit")
        if IN_NATS_OR_BITS.search(str(metric.value)) and not QUANTITY.search(named):
            problems.append(f"{where}: metric {metric.label!r} = {metric.value!r} does not say what it measures")
    return problems


def axis_titles(spec: dict) -> list[str]:
    """The axis titles and colour-bar titles of one parsed figure."""
    layout = spec.get("layout", {})
    titles = [_title(value) for key, value in layout.items() if key.startswith(("xaxis", "yaxis"))]
    for trace in spec.get("data", []):
        titles += [_title(trace.get("colorbar")), _title(trace.get("marker", {}).get("colorbar"))]
    return [title for title in titles if title]


def axis_problems(at: AppTest, where: str) -> list[str]:
    return [f"{where}: axis {title!r} of {_title(spec.get('layout', {}))!r} names a quantity but no unit"
            for spec in chart_specs(at) for title in axis_titles(spec)
            if QUANTITY.search(title) and not carries_unit(title)]


def problems(at: AppTest, where: str) -> list[str]:
    return metric_problems(at, where) + axis_problems(at, where)


@pytest.fixture
def shared_mnist(monkeypatch):
    """MNIST for the pages that show it, where the shared folder has it; the pages degrade without it."""
    if (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").exists():
        monkeypatch.setenv("LATENT_LAB_MNIST_DIR", str(SHARED_MNIST))


@pytest.mark.parametrize("page", sorted(path.stem for path in PAGES.glob("*.py")))
def test_every_number_on_a_page_carries_its_unit(page, shared_mnist):
    if not zoo.names():
        pytest.skip("no pretrained models, so the pages show almost no numbers: run `python -m explorer pretrain`")
    at = open_page(f"{page}.py", timeout=240)
    key, labels = presets.TABS.get(page, (None, ("",)))
    found = problems(at, f"{page} {labels[0]}")
    for label in labels[1:]:
        found += problems(open_tab(at, key, label), f"{page} / {label}")
    assert not found, "\n".join(found)


def test_the_rules_catch_what_issue_20_found():
    """The rules themselves: the VQ page's bare "MSE" axis and an unnamed "−102.5 nats" fail, units pass."""
    assert QUANTITY.search("MSE") and not carries_unit("MSE")
    assert QUANTITY.search("log p(x) − ELBO") and not carries_unit("log p(x) − ELBO")
    assert carries_unit("rate R (nats per image)") and carries_unit("ELBO (nats, higher is better)")
    assert carries_unit("squared error ‖x − x̂‖² (sum over pixels, per image)")
    assert not QUANTITY.search("accurate to") and not QUANTITY.search("generated") and not QUANTITY.search("z₁")
    assert IN_NATS_OR_BITS.search("-102.5 nats") and not QUANTITY.search("mnist-hvae: groups (32, 16, 4)")
