"""TuningSession: each edit re-evaluates to what run_model gives for the same model; what changed, by hand."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine

import steppe_geo as sg
from steppe_geo import models, pipeline
from steppe_geo.config import config_from_dict
from steppe_geo.datasets import sample_paths
from steppe_geo.errors import InvalidParameterError
from steppe_geo.interactive import TuningSession
from steppe_geo.mcda import Categories, Criterion, Linear, PiecewiseLinear, ValueRange
from steppe_geo.models import Model, run_model
from steppe_geo.pipeline.build import build_model

SRC = Path(__file__).resolve().parents[2] / "src"


def assert_same_score(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=0, atol=1e-9)


# ----------------------------------------------------------------------------- the sample wind model
@pytest.fixture(scope="module")
def sample():
    """The sample data on a coarse 1 km grid (seconds), the parcels and the wind preset."""
    paths = sample_paths()
    aoi = sg.read_vector(paths["aoi"])
    grid = sg.Grid.for_area(aoi, resolution_m=1000)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sg.errors.InvalidGeometryWarning)  # 4 sample parcels are repaired
        layers = pipeline.load_inputs(paths, grid)
    inputs = {**layers.vectors, **layers.layers}
    return {"grid": grid, "aoi": aoi, "inputs": inputs, "parcels": layers.vectors["parcels"]}


@pytest.fixture
def wind_session(sample):
    return TuningSession(models.wind_onshore(), sample["inputs"], grid=sample["grid"], aoi=sample["aoi"],
                         parcels=sample["parcels"], parcel_id="parcel_id", preview_pixels=1000)


def test_start_equals_run_model(sample, wind_session):
    ref = run_model(models.wind_onshore(), sample["inputs"], grid=sample["grid"], aoi=sample["aoi"])
    assert_same_score(wind_session.last["full"].score.values, ref.score.values)
    np.testing.assert_array_equal(wind_session.last["full"].eligible.values, ref.eligible.values)


@pytest.mark.slow
def test_each_edit_equals_run_model_of_the_same_model_built_by_hand(sample, wind_session):
    s, kw = wind_session, {"grid": sample["grid"], "aoi": sample["aoi"]}
    expected = models.wind_onshore()

    def check(update, model):
        ref = run_model(model, sample["inputs"], **kw)
        assert_same_score(update.score.values, ref.score.values)
        np.testing.assert_array_equal(update.eligible.values, ref.eligible.values)

    expected = expected.with_weights({"wind_speed": 0.7})
    check(s.set_weight("wind_speed", 0.7), expected)
    expected = expected.replace_criterion("slope", function=Linear(low=8.0, high=0.0))
    check(s.set_breakpoints("slope", low=8.0), expected)
    expected = expected.replace_criterion(
        "wind_speed", function=PiecewiseLinear(xs=(4.5, 6.0, 8.0), ys=(0.0, 0.5, 1.0)))
    check(s.set_breakpoints("wind_speed", xs=(4.5, 6.0, 8.0)), expected)
    expected = expected.replace_constraint("steep_slope", max=5.0)
    check(s.set_threshold("steep_slope", 5.0), expected)
    # an exact setback: its mask is derived again from the settlements at the new distance
    expected = expected.replace_constraint("settlements", distance_m=4000.0)
    check(s.set_threshold("settlements", 4000.0), expected)
    expected = expected.remove_constraint("far_from_grid")
    check(s.toggle_constraint("far_from_grid", False), expected)
    for rule in ("fuzzy-gamma", "weighted-product"):
        expected = dataclasses.replace(expected, rule=rule)
        check(s.set_rule(rule), expected)
    # the same model (the sources differ: the session records what was tuned by hand)
    assert {**s.model.to_dict(), "sources": {}} == {**expected.to_dict(), "sources": {}}
    assert s.model.sources["slope"].startswith("tuned by hand (was: linear(low=15.0, high=0.0))")


def test_preview_is_the_full_score_at_the_sampled_pixels(wind_session):
    s = wind_session
    assert s.preview_step > 1
    for edit in (lambda: s.last["full"], lambda: s.set_weight("road_access", 0.5)):
        update_full = edit()
        preview = s.evaluate("preview")
        k = s.preview_step
        assert preview.score.shape == s.preview_grid.shape
        assert_same_score(preview.score.values, update_full.score.values[::k, ::k])
        # the preview grid's pixel (r, c) is centred on the full grid's pixel (k·r, k·c)
        x, y = s.preview_grid.transform * (1.5, 2.5)
        fx, fy = s.grid.transform * (k * 1 + 0.5, k * 2 + 0.5)
        assert (x, y) == pytest.approx((fx, fy))


def test_weight_change_only_recombines_and_a_curve_restandardises_one_criterion(wind_session):
    s = wind_session
    before = dict(s.stats)
    s.set_weight("wind_speed", 0.9)
    assert s.stats["standardised"] == before["standardised"]
    assert s.stats["constraint_passes"] == before["constraint_passes"]
    s.set_breakpoints("road_access", low=5000.0)
    assert s.stats["standardised"] == before["standardised"] + 1
    assert s.stats["constraint_passes"] == before["constraint_passes"]
    s.set_threshold("min_wind_speed", 5.0)
    assert s.stats["standardised"] == before["standardised"] + 1
    assert s.stats["constraint_passes"] == before["constraint_passes"] + 1


@pytest.mark.slow
def test_exported_model_file_and_config_block_rerun_to_the_same_scores(sample, wind_session, tmp_path):
    s = wind_session
    s.set_weight("grid_distance", 0.6)
    s.set_breakpoints("slope", high=2.0)
    s.set_threshold("settlements", 1500.0)
    s.toggle_constraint("water", False)
    s.set_rule("weighted-product")
    final = s.evaluate("full")
    kw = {"grid": sample["grid"], "aoi": sample["aoi"]}
    # the model file, read back
    (tmp_path / "tuned.toml").write_text(s.to_toml(), encoding="utf-8")
    from_file = Model.from_toml((tmp_path / "tuned.toml").read_text(encoding="utf-8"))
    assert_same_score(run_model(from_file, sample["inputs"], **kw).score.values, final.score.values)
    # the [models.<name>] block, through the configuration reader and the pipeline's model builder
    block = s.config_block("tuned")
    assert block.startswith("[models.tuned.model]")
    (tmp_path / "run.toml").write_text(
        '[sources]\naoi = "sample:aoi"\n\n[grid]\naoi = "aoi"\nresolution_m = 1000\n\n' + block
        + '\n[models.from_file]\nmodel_file = "tuned.toml"\n', encoding="utf-8")
    cfg = config_from_dict(tomllib.loads((tmp_path / "run.toml").read_text(encoding="utf-8")),
                           base_dir=tmp_path)
    for name in ("tuned", "from_file"):
        model = build_model(cfg.models[name])
        assert_same_score(run_model(model, sample["inputs"], **kw).score.values, final.score.values)


def test_ranking_is_the_zonal_mean_of_the_score_over_eligible_land(sample, wind_session):
    from steppe_geo.parcels import zonal_stats

    u = wind_session.last["full"]
    z = zonal_stats(sample["parcels"], {"score": u.score}, eligible=u.eligible, id_column="parcel_id")
    ref = z.set_index("parcel_id")["score_mean"]
    np.testing.assert_allclose(u.ranking["score"].to_numpy(), ref.loc[u.ranking.index].to_numpy(), rtol=1e-12)
    finite = u.ranking["score"].dropna()
    assert (np.diff(finite.to_numpy()) <= 0).all()  # best first
    assert u.ranking["rank"].dropna().tolist() == list(range(1, len(finite) + 1))


# ----------------------------------------------------------------------------- hand-counted cases
@pytest.fixture
def tiny():
    """4 x 6 pixels of 100 m (1 ha each); a increases along the columns, b along the rows."""
    grid = sg.Grid("EPSG:32649", Affine(100, 0, 400_000, 0, -100, 4_430_000), (4, 6))
    cols = np.tile(np.arange(6, dtype=np.float32), (4, 1))  # a = column index 0..5
    rows = np.tile(np.arange(4, dtype=np.float32)[:, None], (1, 6))  # b = row index 0..3
    lc = np.where(cols < 1, 5, 1).astype(np.uint8)  # class 5 in column 0
    inputs = {"a": grid.to_dataarray(cols), "b": grid.to_dataarray(rows),
              "lc": grid.to_dataarray(lc, nodata=255)}
    model = Model("tiny", inputs=("a", "b", "lc"),
                  criteria=(Criterion("a", Linear(0, 5), weight=1.0),
                            Criterion("b", Linear(0, 3), weight=1.0)),
                  constraints=(ValueRange("a_max", "a", max=4.0),
                               Categories("no_class_5", "lc", exclude=(5,))))
    # parcels: the left half (columns 0-2) and the right half (columns 3-5) of each row pair
    x0, y0 = 400_000, 4_430_000
    boxes = {f"{side}{half}": shapely.box(x0 + c0 * 100, y0 - r1 * 100, x0 + c1 * 100, y0 - r0 * 100)
             for side, (c0, c1) in (("L", (0, 3)), ("R", (3, 6)))
             for half, (r0, r1) in (("top", (0, 2)), ("bottom", (2, 4)))}
    parcels = gpd.GeoDataFrame({"pid": list(boxes)}, geometry=list(boxes.values()), crs=grid.crs)
    return grid, inputs, model, parcels


def test_what_changed_line_against_a_hand_count(tiny):
    grid, inputs, model, parcels = tiny
    s = TuningSession(model, inputs, grid=grid, parcels=parcels, parcel_id="pid", top_k=2)
    # eligible: columns 1..4 (a <= 4, column 0 is class 5) of 4 rows = 16 pixels = 16 ha
    assert s.last["full"].change.eligible_ha == pytest.approx(16.0)
    # Score (a/5 + b/3) / 2 over eligible pixels. Parcel means by hand (eligible pixels only):
    #   Ltop: cols 1-2, rows 0-1 -> mean a/5 = 1.5/5 = 0.3, mean b/3 = 0.5/3 -> 0.2333
    #   Lbottom: a 0.3, b 2.5/3 -> 0.5667; Rtop: cols 3-4, a 3.5/5 = 0.7, b 0.5/3 -> 0.4333
    #   Rbottom: a 0.7, b 2.5/3 -> 0.7667  => top 2: Rbottom, Lbottom
    r = s.last["full"].ranking
    np.testing.assert_allclose(r.loc[["Ltop", "Lbottom", "Rtop", "Rbottom"], "score"],
                               [0.7 / 3, 1.7 / 3, 1.3 / 3, 2.3 / 3], rtol=1e-6)
    assert s.last["full"].change.top_k == ("Rbottom", "Lbottom")
    # all weight on a: Rtop (0.7) overtakes Lbottom (0.3) -> 1 of the top 2 changed
    u = s.set_weights({"a": 1.0, "b": 0.0})
    assert u.change.top_k == ("Rbottom", "Rtop") or u.change.top_k == ("Rtop", "Rbottom")
    assert (u.change.eligible_ha_delta, u.change.top_k_changed) == (0.0, 1)
    assert u.change.text() == "+0 ha eligible, 1 of the top 2 parcels changed"
    # a <= 3 excludes column 4 (4 pixels = 4 ha)
    u = s.set_threshold("a_max", 3.0)
    assert u.change.eligible_ha_delta == pytest.approx(-4.0)
    assert u.change.text() == "-4 ha eligible, 0 of the top 2 parcels changed"
    # switching off the class-5 exclusion gives back column 0 (4 ha)
    u = s.toggle_constraint("no_class_5", False)
    assert u.change.eligible_ha_delta == pytest.approx(4.0)
    assert u.change.eligible_ha == pytest.approx(16.0)
    assert s.model.constraint_names == ["a_max"]
    assert s.base_model.constraint_names == ["a_max", "no_class_5"]


def test_ahp_judgements_set_the_weights_and_keep_the_consistency_ratio(tiny):
    grid, inputs, _, _ = tiny
    three = Model("three", inputs=("a", "b"), criteria=(
        Criterion("a", Linear(0, 5)), Criterion("b", Linear(0, 3)), Criterion("c", Linear(5, 0), layer="a")))
    s = TuningSession(three, inputs, grid=grid)
    judgements = {("a", "b"): 3.0, ("a", "c"): 5.0, ("b", "c"): 3.0}
    s.set_judgements(judgements)
    # independent reference: the principal eigenvector of the reciprocal matrix (numpy), Saaty RI(3) = 0.58
    m = np.array([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    vals, vecs = np.linalg.eig(m)
    i = int(np.argmax(vals.real))
    w = np.abs(vecs[:, i].real)
    w /= w.sum()
    cr = (vals[i].real - 3) / 2 / 0.58
    assert s.ahp.cr == pytest.approx(cr, rel=1e-9)
    np.testing.assert_allclose(list(s.weights().values()), w, rtol=1e-9)
    assert s.ahp_note == ""  # CR 0.033 <= 0.10: no warning
    s.set_judgements({("a", "b"): 9.0, ("a", "c"): 1 / 9, ("b", "c"): 9.0})  # very inconsistent
    assert s.ahp.cr > 0.10 and "consistency ratio" in s.ahp_note.lower()
    s.set_weight("a", 1.0)  # weights by hand: no longer the AHP's
    assert s.ahp is None


def test_a_failed_edit_leaves_the_model_as_it_was(tiny):
    grid, inputs, model, _ = tiny
    s = TuningSession(model, inputs, grid=grid)
    with pytest.raises(InvalidParameterError, match=r"linear: low and high must differ, got both 5\.0"):
        s.set_breakpoints("a", low=5.0)
    assert s.model == model


@pytest.mark.parametrize(("call", "match"), [
    (lambda s: s.set_weight("c", 1), r"no criterion 'c'.*Criteria are: \['a', 'b'\]"),
    (lambda s: s.set_weight("a", -1), "weight must be >= 0"),
    (lambda s: s.set_breakpoints("a", lo=1), r"'linear' has no parameter 'lo'; did you mean 'low'"),
    (lambda s: s.set_threshold("no_class_5", 3), r"'no_class_5' \(Categories\) has no threshold"),
    (lambda s: s.set_threshold("a_max", 3, bound="distance_m"),
     r"bound must be one of \['min', 'max'\], got 'distance_m'"),
    (lambda s: s.set_threshold("a_mx", 3), r"no constraint 'a_mx'; did you mean 'a_max'"),
    (lambda s: s.toggle_constraint("nope"), "no constraint 'nope'"),
    (lambda s: s.set_rule("average"), "average"),
    (lambda s: s.set_rule("owa"), "owa: give exactly one of order_weights or orness"),
    (lambda s: s.evaluate("half"), r"level must be one of \['preview', 'full'\], got 'half'"),
    (lambda s: s.set_judgements({("a", "z"): 3}), r"judgements name \['z'\]"),
    (lambda s: s.layer("zz"), "'zz' is not a criterion or a constraint"),
])
def test_bad_edits_raise_naming_the_value(tiny, call, match):
    grid, inputs, model, _ = tiny
    s = TuningSession(model, inputs, grid=grid)
    with pytest.raises(InvalidParameterError, match=match):
        call(s)


def test_bad_session_parameters(tiny):
    grid, inputs, model, parcels = tiny
    with pytest.raises(InvalidParameterError,
                       match=r"top_k must not exceed the number of parcels \(4\), got 5"):
        TuningSession(model, inputs, grid=grid, parcels=parcels, top_k=5)
    with pytest.raises(InvalidParameterError, match="preview_pixels must be an integer >= 1, got 0"):
        TuningSession(model, inputs, grid=grid, preview_pixels=0)
    with pytest.raises(sg.errors.MissingLayerError, match="needs input layer"):
        TuningSession(model, {"a": inputs["a"]}, grid=grid)


def test_change_text_rounds_to_whole_hectares():
    from steppe_geo.interactive import Change

    line = Change("e", "full", 10.0, 1239.6, ("a",), 3, 10).text()
    assert line == "+1,240 ha eligible, 3 of the top 10 parcels changed"
    assert Change("e", "preview", 10.0, -0.4).text() == "+0 ha eligible"  # not "-0"
    assert Change("e", "full", 10.0, -2500.0).text() == "-2,500 ha eligible"


def test_core_import_never_imports_ipywidgets():
    code = ("import sys, steppe_geo, steppe_geo.interactive as si\n"
            "print('ipywidgets' in sys.modules)\n"
            "si.TuningPanel\n"
            "print('ipywidgets' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(SRC), "MPLBACKEND": "Agg", "PATH": ""})
    assert out.stdout.split() == ["False", "True"]


def test_exact_setbacks_move_by_distance_unless_given_by_class(tiny):
    grid, inputs, _, _ = tiny
    x0, y0 = 400_000, 4_430_000
    roads = gpd.GeoDataFrame({"class": ["track"]}, crs=grid.crs,
                             geometry=[shapely.LineString([(x0, y0 - 50), (x0 + 600, y0 - 50)])])  # row 0
    base = Model("roads", inputs=("a", "roads"), criteria=(Criterion("a", Linear(0, 5)),))
    by_class = base.add_setback("near_road", "roads", class_column="class", class_distances_m={"track": 50.0})
    s = TuningSession(by_class, {**inputs, "roads": roads}, grid=grid)
    assert s.threshold("near_road") == {}
    with pytest.raises(InvalidParameterError, match=r"'near_road' \(ValueRange\) has no threshold"):
        s.set_threshold("near_road", 100.0)
    # by distance: pixel centres within d of the road (y = 50 m below the top edge) are excluded.
    # Centres of rows 0..3 lie 0, 100, 200, 300 m from it: 50 m excludes row 0 (6 ha), 150 m rows 0-1.
    s = TuningSession(base.add_setback("near_road", "roads", distance_m=50.0), {**inputs, "roads": roads},
                      grid=grid)
    assert s.last["full"].change.eligible_ha == pytest.approx(18.0)
    u = s.set_threshold("near_road", 150.0)
    assert (u.change.eligible_ha, u.change.eligible_ha_delta) == (pytest.approx(12.0), pytest.approx(-6.0))
