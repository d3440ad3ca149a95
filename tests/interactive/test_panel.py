"""TuningPanel, headless: widget values set from code re-evaluate to run_model; figures update in place."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from matplotlib.image import imread

import steppe_geo as sg
from steppe_geo.errors import InvalidParameterError
from steppe_geo.interactive import TuningPanel, TuningSession
from steppe_geo.interactive.panel import SAATY_CHOICES
from steppe_geo.mcda import Criterion, Linear, PiecewiseLinear, ValueRange, ahp
from steppe_geo.mcda.weights import InconsistentJudgementsWarning
from steppe_geo.models import Model, run_model

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def setup():
    """30 x 40 pixels of 100 m, three layers, a value range and two parcels."""
    grid = sg.Grid("EPSG:32649", Affine(100, 0, 400_000, 0, -100, 4_430_000), (30, 40))
    rng = np.random.default_rng(7)
    a = rng.uniform(0, 10, grid.shape).astype(np.float32)
    b = rng.uniform(0, 100, grid.shape).astype(np.float32)
    a[0, 0] = np.nan  # nodata stays out of every result
    inputs = {"a": grid.to_dataarray(a), "b": grid.to_dataarray(b)}
    model = Model("demo", inputs=("a", "b"), criteria=(
        Criterion("a", Linear(0, 10), weight=2.0),
        Criterion("b", PiecewiseLinear(xs=(0.0, 50.0, 100.0), ys=(0.0, 0.8, 1.0)), weight=1.0),
        Criterion("b_low", Linear(100, 0), weight=1.0, layer="b")),
        constraints=(ValueRange("a_min", "a", min=2.0), ValueRange("b_max", "b", max=90.0)))
    return grid, inputs, model


def test_widget_values_set_from_code_equal_run_model(setup):
    grid, inputs, model = setup
    panel = TuningPanel(TuningSession(model, inputs, grid=grid, preview_pixels=300), release_delay_s=None)
    assert panel.session.preview_step > 1
    panel.weights["a"].value = 0.5
    panel.weights["b_low"].value = 1.5
    panel.breakpoints[("b", "xs[1]")].value = 30.0
    panel.breakpoints[("b", "ys[1]")].value = 0.4
    panel.breakpoints[("a", "high")].value = 8.0
    panel.thresholds[("a_min", "min")].value = 3.0
    panel.toggles["b_max"].value = False
    panel.rule.value = "weighted-product"
    # while dragging: the preview (every k-th pixel)
    assert panel.session.last["preview"].score.shape == panel.session.preview_grid.shape
    update = panel.release()
    expected = Model("demo", inputs=("a", "b"), criteria=(
        Criterion("a", Linear(0, 8.0), weight=0.5),
        Criterion("b", PiecewiseLinear(xs=(0.0, 30.0, 100.0), ys=(0.0, 0.4, 1.0)), weight=1.0),
        Criterion("b_low", Linear(100, 0), weight=1.5, layer="b")),
        constraints=(ValueRange("a_min", "a", min=3.0),), rule="weighted-product")
    ref = run_model(expected, inputs, grid=grid).score.values
    got = update.score.values
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_allclose(got[~np.isnan(got)], ref[~np.isnan(ref)], rtol=0, atol=1e-9)
    # the exported model file re-runs to the same scores
    panel.export_button.click()
    again = run_model(Model.from_toml(panel.export_text.value), inputs, grid=grid).score.values
    np.testing.assert_allclose(again, got, rtol=0, atol=1e-9)
    assert "full resolution" in panel.status.value


def test_maps_are_updated_in_place(setup):
    grid, inputs, model = setup
    panel = TuningPanel(TuningSession(model, inputs, grid=grid), release_delay_s=None)
    figure, image, first_png = panel.map_figure, panel._score_im, panel.map_image.value
    redraws = panel.redraws
    panel.weights["a"].value = 0.1
    assert panel.map_figure is figure and panel._score_im is image  # same figure, same image artist
    assert panel.redraws == redraws + 1
    np.testing.assert_array_equal(np.asarray(image.get_array().filled(np.nan)),
                                  panel.session.last["preview"].score.values)
    assert panel.map_image.value != first_png
    png = imread(io.BytesIO(panel.map_image.value))  # a real PNG of the map figure
    assert png.shape[:2] == (int(4.0 * 90), int(9.0 * 90))


def test_what_changed_and_eligible_area_are_shown(setup):
    grid, inputs, model = setup
    panel = TuningPanel(TuningSession(model, inputs, grid=grid), release_delay_s=None)  # preview = full
    a = inputs["a"].values
    before = int(np.count_nonzero((a >= 2.0) & (inputs["b"].values <= 90.0)))
    panel.thresholds[("a_min", "min")].value = 4.0
    after = int(np.count_nonzero((a >= 4.0) & (inputs["b"].values <= 90.0)))
    assert f"{(after - before):+,} ha eligible" in panel.status.value  # 1 ha pixels, counted with numpy
    assert f"<b>Eligible:</b> {after:,} ha" in panel.status.value


def test_ahp_judgement_sliders_show_the_consistency_ratio(setup):
    grid, inputs, model = setup
    session = TuningSession(model, inputs, grid=grid)
    session.set_judgements({("a", "b"): 3, ("a", "b_low"): 5, ("b", "b_low"): 2})
    panel = TuningPanel(session, release_delay_s=None)
    assert set(panel.judgements) == {("a", "b"), ("a", "b_low"), ("b", "b_low")}
    assert panel.judgements[("a", "b")].value == 3.0
    panel.judgements[("b", "b_low")].value = dict(SAATY_CHOICES)["1/7"]
    with pytest.warns(InconsistentJudgementsWarning, match="lowers CR most"):
        ref = ahp({("a", "b"): 3, ("a", "b_low"): 5, ("b", "b_low"): 1 / 7}, criteria=["a", "b", "b_low"])
    assert f"AHP consistency ratio:</b> {ref.cr:.3f}" in panel.status.value
    assert "inconsistent" in panel.status.value and ref.cr > 0.10
    assert "lowers CR most" in panel.status.value  # the judgement to revise, as the warning says
    # the weight sliders follow the AHP weights
    np.testing.assert_allclose([panel.weights[n].value for n in ("a", "b", "b_low")], ref.weights)


def test_a_refused_value_is_shown_and_not_applied(setup):
    grid, inputs, model = setup
    panel = TuningPanel(TuningSession(model, inputs, grid=grid), release_delay_s=None)
    panel.breakpoints[("b", "xs[1]")].value = 100.0  # xs must increase: (0, 100, 100) is refused
    assert "Not applied" in panel.status.value and "strictly increasing" in panel.status.value
    assert panel.session.model == model


def test_panel_refuses_bad_arguments(setup):
    grid, inputs, model = setup
    with pytest.raises(InvalidParameterError, match="session must be a TuningSession, got dict"):
        TuningPanel({})
    with pytest.raises(InvalidParameterError, match=r"release_delay_s must be .* got -1"):
        TuningPanel(TuningSession(model, inputs, grid=grid), release_delay_s=-1)


def test_release_follows_the_last_change_once_when_an_event_loop_runs(setup):
    grid, inputs, model = setup
    panel = TuningPanel(TuningSession(model, inputs, grid=grid, preview_pixels=300), release_delay_s=0.05)

    async def drag() -> None:
        for v in (0.5, 0.6, 0.7):  # three values while dragging: three previews, one release
            panel.weights["a"].value = v
        assert panel.session.last["full"].change.edit == "start"
        await asyncio.sleep(0.5)  # the release timer (due after 0.05 s) runs before this returns

    full_before = panel.session.stats["evaluations"]
    asyncio.run(drag())
    assert panel.session.stats["evaluations"] == full_before + 3 + 1
    assert panel.session.last["full"].change.edit == "full resolution"
    expected = model.with_weights({"a": 0.7})
    ref = run_model(expected, inputs, grid=grid).score.values
    np.testing.assert_allclose(panel.session.last["full"].score.values, ref, rtol=0, atol=1e-9)


def test_without_ipywidgets_the_panel_says_which_extra_to_install():
    code = ("import sys\nsys.modules['ipywidgets'] = None  # as if not installed\n"
            "import steppe_geo.interactive as si\n"
            "from steppe_geo.errors import MissingDependencyError\n"
            "try:\n    si.TuningPanel\nexcept MissingDependencyError as exc:\n"
            "    print(isinstance(exc, ImportError), exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(SRC), "MPLBACKEND": "Agg", "PATH": ""})
    assert out.stdout.startswith("True steppe_geo.interactive.TuningPanel needs ipywidgets")
    assert 'pip install "steppe-geo[interactive]"' in out.stdout


def test_snapshot_lists_every_control_with_its_value(setup):
    grid, inputs, model = setup
    panel = TuningPanel(TuningSession(model, inputs, grid=grid), release_delay_s=None)
    panel.toggles["b_max"].value = False
    rows = panel.controls()
    assert ("weight", "a", "2 (50.0 %)") in rows  # raw weight 2 of 2 + 1 + 1
    assert ("value function", "b.xs[1]", "50") in rows
    assert ("constraint", "b_max", "off, max 90") in rows
    assert ("rule", "rule", "wlc") in rows
    figure = panel.snapshot()
    assert len(figure.subfigs) == 2 and figure is not panel.map_figure
