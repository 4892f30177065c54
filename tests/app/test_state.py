"""Lecture mode in AppTest: knobs kept in the URL (a link reproduces the view, bad values are ignored), projector
mode, the figures' download format, and a live run's metrics as CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import plotly.graph_objects as go
import pytest
from apptest import app_session, assert_clean, open_link, open_page, open_tab, style_sheets
from streamlit.testing.v1 import AppTest

from explorer.figures import FONT_SIZE, LINE_WIDTH, base_layout
from explorer.ui import figure_export, session
from explorer.ui.declarations.reparameterization import ESTIMATES
from explorer.ui.state import Choice, Range, as_text

ROOT = Path(__file__).resolve().parents[2]


# --- parsing URL values: only the widget's allowed values pass ----------------------------------------------

def test_a_range_takes_only_values_on_its_grid():
    mu = Range(-2.0, 2.0, 0.1, 0.5)
    assert mu.parse("1.5") == 1.5 and mu.parse("-2") == -2.0 and mu.parse("0.30000000000000004") is not None
    for bad in ("abc", "", "nan", "inf", "2.1", "-1e9", "0.55", "1,5"):
        assert mu.parse(bad) is None, bad
    index = Range(0, 296, 1, 0)
    assert index.parse("7") == 7 and isinstance(index.parse("7"), int)
    for bad in ("7.0", "7.5", "-1", "297", "1e3"):
        assert index.parse(bad) is None, bad
    assert not mu.allows(2) and not index.allows(2.0) and not index.allows(True)  # types as the widget's


def test_a_choice_takes_only_its_options_written_as_in_the_url():
    tau = Choice((0.01, 0.5, 10.0), 0.5)
    assert tau.parse("0.01") == 0.01 and tau.parse("10") == 10.0 and tau.parse("0.02") is None
    flag = Choice((False, True), False)
    assert flag.parse("true") is True and flag.parse("false") is False and flag.parse("1") is None
    assert Choice(("μ", "σ"), "μ").parse("σ") == "σ"
    assert [as_text(v) for v in (True, 0.25, 1e-4, 100_000, "sin")] == ["true", "0.25", "0.0001", "100000", "sin"]


# --- the URL in a page ------------------------------------------------------------------------------------

def open_with(query: dict[str, str], page: str = "reparameterization.py") -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=120)
    at.query_params.update(query)
    at.run()
    assert_clean(at)
    return at


def numbers(at: AppTest) -> str:
    """What the estimator table shows: mean, standard error, exact, variance of each estimator."""
    return next(t.value for t in at.table if "pathwise" in t.value.index).to_csv()


def test_a_link_sets_the_knobs_and_bad_values_are_ignored_and_dropped(zoo_dir):
    at = open_with({"rep_mu": "1.5", "rep_sigma": "99", "rep_objective": "step", "rep_param": "<script>",
                    "rep_seed": "-3", "elsewhere": "x"})
    assert at.slider(key="rep_mu").value == 1.5 and at.radio(key="rep_objective").value == "step"
    assert at.slider(key="rep_sigma").value == 0.8 and at.radio(key="rep_param").value == "μ"  # defaults
    assert at.query_params == {"rep_mu": "1.5", "rep_objective": "step"}


def test_moving_a_knob_writes_the_url_and_that_link_reproduces_the_view(zoo_dir):
    at = open_page("reparameterization.py")
    assert at.query_params == {}
    open_tab(at, "rep_tab", ESTIMATES)  # the open tab is a knob too: the link opens it
    at.slider(key="rep_sigma").set_value(1.2).run()
    at.radio(key="rep_objective").set_value("sin").run()
    at.button(key="rep_seed_button").click().run()  # a new ε: the seed goes into the link too
    assert at.query_params == {"rep_tab": ESTIMATES, "rep_sigma": "1.2", "rep_objective": "sin", "rep_seed": "1"}
    again = open_with(dict(at.query_params))  # the link, opened in a new session
    assert again.slider(key="rep_sigma").value == 1.2 and again.radio(key="rep_objective").value == "sin"
    assert numbers(again) == numbers(at)
    at.slider(key="rep_sigma").set_value(0.8).run()  # back to the default: out of the link
    assert "rep_sigma" not in at.query_params

def test_a_moved_knob_is_not_sent_back_in_the_run_its_move_started(zoo_dir):
    """A value the script writes into a widget's key goes back to the browser with that run (`set_value`); when
    the run is cut short by the next keypress, the older value lands after the newer one and the slider jumps
    back (CI saw three quick presses end on 0.70, not 0.80). A link's value is sent, and kept."""
    at = open_link("reparameterization.py", {"rep_sigma": "0.3"})
    assert at.slider(key="rep_sigma").value == 0.3 and at.slider(key="rep_sigma").proto.set_value
    at.slider(key="rep_mu").set_value(0.8).run()
    assert not at.slider(key="rep_mu").proto.set_value  # the run the browser's move started
    at.slider(key="rep_mu").set_value(0.9).run()
    assert not at.slider(key="rep_mu").proto.set_value
    at.run()
    assert at.slider(key="rep_mu").value == 0.9 and at.slider(key="rep_sigma").value == 0.3


def test_a_knob_survives_a_visit_to_another_page():
    at = app_session()
    at.switch_page("pages/reparameterization.py").run()
    at.slider(key="rep_mu").set_value(0.8).run()
    at.switch_page("pages/home.py").run()
    assert "rep_mu" not in at.session_state  # Streamlit dropped the widget: what comes back is what keep() kept
    at.switch_page("pages/reparameterization.py").run()
    assert at.slider(key="rep_mu").value == 0.8


# --- projector mode and the download format -----------------------------------------------------------------

def projector_sheets(at: AppTest) -> list[str]:
    """The style sheets of projector mode (its larger root font) among those the page injected."""
    return [sheet for sheet in style_sheets(at) if f"font-size: {session.PROJECTOR_ROOT_PX}px" in sheet]


def test_projector_mode_injects_larger_text_and_enlarges_the_charts(mnist_dir):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not projector_sheets(at)
    at.sidebar.toggle(key="projector").set_value(True).run()
    assert_clean(at)
    assert len(projector_sheets(at)) == 1
    at.sidebar.button_group(key="figure_format").set_value("svg").run()
    at.switch_page("pages/reparameterization.py")
    at.run()
    assert_clean(at)
    for chart in at.get("plotly_chart"):
        spec, config = json.loads(chart.proto.spec), json.loads(chart.proto.config)
        assert spec["layout"]["font"]["size"] == round(FONT_SIZE * figure_export.PROJECTOR_FONT, 1)
        assert config["toImageButtonOptions"]["format"] == "svg"
        assert config["toImageButtonOptions"]["filename"].startswith("latent-lab-")
    at.sidebar.toggle(key="projector").set_value(False).run()
    assert_clean(at)
    assert not projector_sheets(at)
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["font"]["size"] == FONT_SIZE


def test_enlarge_scales_fonts_and_lines_but_leaves_hidden_lines_hidden():
    fig = base_layout(go.Figure([go.Scatter(y=[1, 2], line=dict(width=LINE_WIDTH)),
                                 go.Scatter(y=[2, 1], line=dict(width=0), fill="tonexty"),
                                 go.Heatmap(z=[[1, 2]])]), title="t")
    fig.add_annotation(text="a", font=dict(size=10))
    figure_export.enlarge(fig)
    assert fig.layout.font.size == round(FONT_SIZE * figure_export.PROJECTOR_FONT, 1)
    assert fig.layout.annotations[0].font.size == 14 and fig.layout.title.font.size > FONT_SIZE + 2
    assert fig.data[0].line.width == pytest.approx(LINE_WIDTH * figure_export.PROJECTOR_LINE)
    assert fig.data[1].line.width == 0
    assert fig.layout.margin.t == round(50 * figure_export.PROJECTOR_FONT)  # a larger title keeps its room
    under = base_layout(go.Figure(go.Bar(y=[1])).update_layout(legend=dict(orientation="h", y=-0.22)))
    assert figure_export.enlarge(under).layout.legend.y == pytest.approx(-0.22 * figure_export.PROJECTOR_FONT)


def test_the_figure_format_is_png_by_default_with_a_file_name_from_the_title():
    fig = base_layout(go.Figure(), title="Rate–distortion plane, step 40")
    options = figure_export.plotly_config(fig)["toImageButtonOptions"]
    assert options == {"format": "png", "scale": 2, "filename": "latent-lab-rate-distortion-plane-step-40"}


# --- a live run's metrics as CSV ------------------------------------------------------------------------------

def test_history_csv_has_every_column_and_blanks_where_a_row_lacks_one():
    text = figure_export.history_csv([{"step": 20, "loss": 1.5}, {"step": 40, "loss": 1.25, "test_elbo": -3.0}])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["step", "loss", "test_elbo"]
    assert rows == [{"step": "20", "loss": "1.5", "test_elbo": ""}, {"step": "40", "loss": "1.25", "test_elbo": "-3.0"}]


def test_the_csv_button_is_offered_beside_a_live_run():
    def app():
        from types import SimpleNamespace

        from explorer.ui import figure_export

        figure_export.history_download(SimpleNamespace(history=[{"step": 1, "loss": 2.0}]), "demo")

    at = AppTest.from_function(app)
    at.run()
    assert_clean(at)
    assert [b.key for b in at.get("download_button")] == ["demo_csv"]
