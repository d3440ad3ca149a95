"""Optional layers: dropping constraints, criteria and inputs; empty vector layers mean "nothing here"."""

from __future__ import annotations

import logging
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely

from steppe_geo.errors import (
    ConfigError,
    EmptyLayerError,
    InvalidParameterError,
    MissingLayerError,
    PointFeaturesWarning,
)
from steppe_geo.models import Model, desertification_esai, restoration_priority, run_model, wind_onshore


def test_without_drops_inputs_with_what_reads_them():
    base = wind_onshore()
    m = base.without("railways", "homesteads")
    assert "railways" not in m.inputs and "homesteads" not in m.inputs
    assert m.constraint_names == [c for c in base.constraint_names if c not in ("railways", "homesteads")]
    assert "setback_railways" not in m.layer_names and "setback_homesteads" not in m.layer_names
    assert m.metadata["dropped"]["railways"] == ("input 'railways' and what reads it: derivation "
                                                 "'setback_railways', constraint 'railways'")
    assert Model.from_toml(m.to_toml()) == m
    # a later parameter change keeps the drop
    assert m.with_parameters(hub_height_m=150).inputs == m.inputs
    # an input name drops everything reading it: roads feed a setback, a distance and a criterion
    r = base.without("roads")
    assert "road_access" not in r.criterion_names and "roads" not in r.constraint_names
    assert "distance_roads_m" not in r.layer_names and "roads" not in r.inputs
    # a constraint name drops only the constraint (and its own mask); its input stays if still read
    g = base.without("far_from_grid")
    assert "grid_reach" not in g.layer_names and "power_lines" in g.inputs
    # dropping through a composite index: townships → grazing → MQI → ESAI → the risk criterion and the
    # rasters only the ESAI chain read
    t = restoration_priority().without("townships")
    assert t.criterion_names == ["water", "access", "value"]
    assert set(t.inputs) == {"precipitation", "pet", "land_cover", "roads", "settlements"}


def test_without_errors():
    with pytest.raises(InvalidParameterError,
                       match=r"cannot drop 'railway': it is not an input, constraint or criterion; did you "
                             r"mean 'railways'\? Inputs: .*constraints: .*criteria: wind_speed"):
        wind_onshore().without("railway")
    with pytest.raises(InvalidParameterError, match=r"dropping 'ndvi' leaves no criteria .*esai"):
        desertification_esai().without("ndvi")


def test_a_dropped_input_is_no_longer_required(tiny):
    grid, inputs = tiny
    del inputs["railways"], inputs["homesteads"]
    with pytest.raises(MissingLayerError, match=r"needs input layer\(s\) \['homesteads', 'railways'\]"):
        run_model(wind_onshore(), inputs, grid=grid)
    res = run_model(wind_onshore().without("railways", "homesteads"), inputs, grid=grid)
    assert res.notes[0].startswith("dropped 'railways': input 'railways' and what reads it")
    assert res.model.constraint_names[-1] == "far_from_grid"


def _write_empty(path, crs):
    gpd.GeoDataFrame({"name": []}, geometry=[], crs=crs).to_file(path, layer=path.stem, driver="GPKG")
    return path


def test_an_empty_layer_means_nothing_here(tiny, tmp_path, caplog):
    grid, inputs = tiny
    reference = run_model(wind_onshore(), inputs, grid=grid)  # railways 60 km away: beyond every setback
    inputs["railways"] = _write_empty(tmp_path / "railways.gpkg", grid.crs)  # a file without features
    inputs["homesteads"] = gpd.GeoDataFrame(geometry=[], crs=grid.crs)  # and an empty GeoDataFrame
    with caplog.at_level(logging.INFO, logger="steppe_geo.models.running"):
        res = run_model(wind_onshore(), inputs, grid=grid)
    np.testing.assert_array_equal(res.eligible.values, reference.eligible.values)
    np.testing.assert_array_equal(res.exclusion.values, reference.exclusion.values)
    np.testing.assert_allclose(res.score.values, reference.score.values, equal_nan=True)
    expect = ("input layer 'railways' (railways.gpkg) has no features within reach of the area: nothing here "
              "(constraint 'railways' excludes nothing)")
    assert expect in res.notes and expect in caplog.text
    assert any(n.startswith("input layer 'homesteads' has no features") for n in res.notes)
    # a layer with features, none within reach, is noted too
    assert any(n.startswith("input layer 'airport' has no feature within 5000 m of the grid: nothing here")
               for n in reference.notes)


def test_an_empty_power_line_layer_excludes_everything_for_wind_and_says_so(tiny):
    grid, inputs = tiny
    inputs["power_lines"] = gpd.GeoDataFrame(geometry=[], crs=grid.crs)
    res = run_model(wind_onshore(), inputs, grid=grid)
    assert not res.eligible.values.any()  # no grid connection within 10 km anywhere (GLAES)
    assert ("input layer 'power_lines' has no features within reach of the area: nothing here (criterion "
            "'grid_distance' takes its value for 'beyond the cap' everywhere; constraint 'power_lines' "
            "excludes nothing; constraint 'far_from_grid' excludes every pixel)") in res.notes


def test_an_empty_layer_that_is_more_than_distances_is_refused(esai_inputs):
    grid, inputs = esai_inputs
    inputs["townships"] = gpd.GeoDataFrame({"sheep_units": []}, geometry=[], crs=grid.crs)
    with pytest.raises(EmptyLayerError, match=r"input layer 'townships' has no features within reach.*"
                                              r"\['grazing_density'\] need its features.*"
                                              r"drop = \['townships'\]"):
        run_model(desertification_esai(), inputs, grid=grid)


def test_settlements_given_as_points_warn_that_the_setback_is_from_a_point(tiny):
    grid, inputs = tiny
    town = shapely.Point(401_000, 4_430_500)  # inside the grid
    inputs["settlements"] = gpd.GeoDataFrame({"name": ["Dalad"]}, geometry=[town], crs=grid.crs)
    with pytest.warns(PointFeaturesWarning,
                      match=r"constraint 'settlements': 1 feature\(s\) of input layer 'settlements' within "
                            r"reach are points, so the 500 m setback is measured from a point, not from the "
                            r"settlements' outline"):
        res = run_model(wind_onshore(), inputs, grid=grid)
    assert any("measured from a point" in n for n in res.notes)
    # the pixels whose centres lie within 500 m of the point are excluded (the setback still holds)
    xs, ys = np.meshgrid(grid.x_coords(), grid.y_coords())
    near = np.hypot(xs - 401_000, ys - 4_430_500) <= 500
    bit = 1 << res.exclusion_names.index("settlements")
    np.testing.assert_array_equal((np.asarray(res.exclusion.values) & bit) != 0, near)
    # an outline does not warn
    inputs["settlements"] = gpd.GeoDataFrame(geometry=[town.buffer(300)], crs=grid.crs)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PointFeaturesWarning)
        run_model(wind_onshore(), inputs, grid=grid)


# ----------------------------------------------------------------------------- configuration and pipeline
CONFIG = """
[sources]
aoi = "sample:aoi"
wind_speed_100m = "sample:wind_speed_100m"
dem = "sample:dem"
land_cover = "sample:land_cover"
power_lines = "sample:power_lines"
roads = "sample:roads"
settlements = "sample:settlements"
airport = "sample:airport"
protected_areas = "sample:protected_areas"
water = "sample:water"
rivers = "sample:rivers"

[models.wind]
preset = "wind_onshore"
drop = ["railways", "homesteads"]
"""


def test_drop_in_the_configuration():
    from steppe_geo.config import parse_config
    from steppe_geo.pipeline import check_config
    from steppe_geo.pipeline.build import build_model

    cfg = parse_config(CONFIG)
    assert cfg.models["wind"].drop == ("railways", "homesteads")
    check_config(cfg)  # railways and homesteads are not configured, and not asked for
    m = build_model(cfg.models["wind"], inputs=list(cfg.sources))
    assert m == wind_onshore().without("railways", "homesteads")
    # without the drop, the check asks for them
    with pytest.raises(ConfigError, match=r"sources.homesteads: missing; models.wind"):
        check_config(parse_config(CONFIG.replace('drop = ["railways", "homesteads"]', "")))
    with pytest.raises(ConfigError, match=r"models.wind.drop: model 'wind_onshore': cannot drop 'railway'.*"
                                          r"did you mean 'railways'"):
        check_config(parse_config(CONFIG.replace('"railways"', '"railway"')))
    with pytest.raises(ConfigError, match=r"models.wind.drop: expected a list of input, constraint or "
                                          r"criterion names"):
        parse_config(CONFIG.replace('["railways", "homesteads"]', '"railways"'))
    with pytest.raises(ConfigError, match=r"models.wind.drop: 'railways' is listed twice"):
        parse_config(CONFIG.replace('"homesteads"]', '"railways"]'))
    both = CONFIG + '[models.wind.weights]\nroad_access = 0.2\n'
    with pytest.raises(ConfigError, match=r"models.wind.weights.road_access: 'road_access' is left out by "
                                          r"models.wind.drop = \['railways', 'roads'\]; edit it or drop it"):
        c = parse_config(both.replace('"homesteads"]', '"roads"]'))
        build_model(c.models["wind"], inputs=list(c.sources))
    custom = '[sources]\naoi = "sample:aoi"\ndem = "sample:dem"\n[models.m]\ndrop = ["dem"]\n' \
             '[[models.m.criteria]]\nname = "low"\nlayer = "dem"\nfunction = "linear"\nlow = 2000\nhigh = 0\n'
    with pytest.raises(ConfigError, match=r"models.m.drop: drop leaves out parts of a preset"):
        parse_config(custom)


def test_the_pipeline_reads_an_empty_layer_as_nothing_here(tmp_path, tiny):
    """load_inputs + evaluate_model + the summary: what `steppe-geo run` does with an empty vector file."""
    from steppe_geo.config import ModelConfig
    from steppe_geo.io import write_raster
    from steppe_geo.pipeline.evaluate import evaluate_model
    from steppe_geo.pipeline.inputs import load_inputs
    from steppe_geo.pipeline.summary import _model_summary, _summary_text

    grid, mem = tiny
    paths = {}
    for k, v in mem.items():
        if isinstance(v, gpd.GeoDataFrame):
            paths[k] = tmp_path / f"{k}.gpkg"
            v.to_file(paths[k], driver="GPKG")
        else:
            paths[k] = tmp_path / f"{k}.tif"
            write_raster(v, paths[k])
    _write_empty(paths["railways"], grid.crs)
    layers = load_inputs(paths, grid)  # far-away airport and an empty railways file: no error
    assert len(layers.vectors["railways"]) == 0 and len(layers.vectors["airport"]) == 0
    mc = ModelConfig("wind", preset="wind_onshore")
    out = evaluate_model(mc, layers)
    summary = _model_summary(mc, out, grid)
    start = "input layer 'railways' (railways.gpkg) has no features"
    assert any(n.startswith(start) for n in summary["notes"])
    text = _summary_text({"name": "t", "grid": {"shape": [1, 1], "resolution_m": 1, "crs_name": "x"},
                          "load_and_align_seconds": 0, "rasters": {}, "vectors": {},
                          "models": {"wind": summary}})
    assert "    note: input layer 'railways' (railways.gpkg) has no features" in text
    from steppe_geo.pipeline.report import _model_tables

    html = "".join(_model_tables("wind", out, mc, {"models": {"wind": summary}}))
    assert '<p class="note">wind: input layer &#x27;railways&#x27; (railways.gpkg) has no features' in html


def test_an_empty_parcel_layer_is_still_an_error(tmp_path, tiny):
    """Empty vector inputs are "nothing here" for setbacks; parcels to rank must exist."""
    from steppe_geo.config import parse_config
    from steppe_geo.pipeline.inputs import load_inputs
    from steppe_geo.pipeline.parcels import run_parcels

    grid, _ = tiny
    path = _write_empty(tmp_path / "parcels.gpkg", grid.crs)
    cfg = parse_config(f'[sources]\naoi = "sample:aoi"\nparcels = "{path.as_posix()}"\n'
                       '[parcels]\nsource = "parcels"\n')
    layers = load_inputs({"parcels": path}, grid)
    with pytest.raises(EmptyLayerError, match=r"parcels.source: input 'parcels' \(parcels.gpkg\): vector "
                                              r"layer .*has no features; there are no parcels to rank"):
        run_parcels(cfg, layers, {})
