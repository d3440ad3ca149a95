"""Plausibility of the presets on the bundled sample data (coarse 500 m grid to stay fast)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from steppe_geo import datasets
from steppe_geo.io import rasterize, read_raster, read_vector
from steppe_geo.models import (
    PRESETS,
    desertification_esai,
    pv_sand_control,
    run_model,
    solar_pv,
    wind_onshore,
)


@pytest.fixture(scope="module")
def sample():
    return datasets.sample_paths(), datasets.sample_grid(resolution_m=500)


@pytest.fixture(scope="module")
def results(sample):
    paths, grid = sample
    return {
        m.name: run_model(m, paths, grid=grid)
        for m in (wind_onshore(), solar_pv(), pv_sand_control(), desertification_esai())
    }


@pytest.mark.parametrize("name", ["wind_onshore", "solar_pv", "pv_sand_control"])
def test_nature_reserve_and_red_lines_fully_excluded(sample, results, name):
    paths, grid = sample
    res = results[name]
    protected = read_vector(paths["protected_areas"], crs=grid.crs)
    inside = np.asarray(rasterize(protected, grid=grid, all_touched=True).values) == 1
    assert inside.sum() > 20  # the reserve crosses the area
    assert not res.eligible.values[inside].any()
    assert np.all(np.isnan(res.score.values[inside]))
    bit = 1 << res.overlay_result.overlay.exclusion_names.index("protected_areas")  # bits 0, 1 reserved
    assert np.all(res.exclusion.values[inside] & bit)


# Setbacks of every siting preset, from the literature (not from our code): GLAES default catalogue
# (Ryberg et al. 2018): settlements 500 m, main roads 200 m / secondary 100 m, railways 150 m, power lines
# 200 m, airports 5000 m, parks 1000 m, lakes 400 m, rivers 200 m; reVX: 1.1 × tip height for wind, tip
# height = 115 m hub + 170 m rotor / 2 = 200 m → 220 m. Rivers are measured from the bank: the centre line
# plus half the channel width (``width_m``). Solar roads by class: expressway/national/provincial are main
# roads (200 m), county roads and tracks secondary (100 m).
TIP_220 = 1.1 * (115.0 + 170.0 / 2)
SOLAR_ROADS = {"expressway": 200.0, "national": 200.0, "provincial": 200.0, "county": 100.0, "track": 100.0}
SOLAR_SETBACKS = {
    "settlements": 500.0, "homesteads": 200.0, "roads": SOLAR_ROADS, "railways": 150.0, "power_lines": 200.0,
    "airport": 5000.0, "protected_areas": 1000.0, "water": 400.0, "rivers": 200.0,
}
SETBACKS = {
    "wind_onshore": {
        "settlements": 500.0, "homesteads": 500.0, "roads": TIP_220, "railways": TIP_220,
        "power_lines": TIP_220, "airport": 5000.0, "protected_areas": 1000.0, "water": 400.0, "rivers": 200.0,
    },
    "solar_pv": SOLAR_SETBACKS,
    "pv_sand_control": SOLAR_SETBACKS,
}


def _feature_distances(layer, gdf, setback):
    """Setback of each feature in metres (by class for solar roads, plus half the width for rivers)."""
    if isinstance(setback, dict):
        d = gdf["class"].map(setback).to_numpy(dtype=float)
        assert np.isfinite(d).all(), "a road class without a setback in the test table"
    else:
        d = np.full(len(gdf), setback)
    if layer == "rivers":
        d = d + gdf["width_m"].to_numpy(dtype=float) / 2
    return d


@pytest.mark.parametrize("name", sorted(SETBACKS))
def test_every_setback_fully_excluded(sample, results, name):
    """Zero tolerance: every pixel centre within a setback of the real geometry (shapely.distance) is
    excluded with that constraint's bit, and the bit is set nowhere else but on pixels a feature covers."""
    paths, grid = sample
    res = results[name]
    xs, ys = np.meshgrid(grid.x_coords(), grid.y_coords())
    centres = shapely.points(xs.ravel(), ys.ravel())
    exclusion = np.asarray(res.exclusion.values)
    eligible = np.asarray(res.eligible.values)
    for layer, setback in SETBACKS[name].items():
        gdf = read_vector(paths[layer], crs=grid.crs)
        d = _feature_distances(layer, gdf, setback)
        near = np.zeros(centres.shape, dtype=bool)
        for geom, di in zip(gdf.geometry.values, d, strict=True):
            near |= shapely.distance(centres, geom) <= di
        near = near.reshape(grid.shape)
        assert near.sum() > 0, layer
        bit = 1 << res.overlay_result.overlay.exclusion_names.index(layer)  # after outside_aoi, no_data
        flagged = (exclusion & bit) > 0
        missed = near & ~flagged
        assert not missed.any(), f"{layer}: {int(missed.sum())} of {int(near.sum())} centres in the setback"
        assert not eligible[near].any(), layer
        # the other way round: flagged pixels are within the setback, or a (sub-pixel) feature lies on them
        burned = np.asarray(rasterize(gdf, grid=grid).values) > 0
        assert not (flagged & ~near & ~burned).any(), f"{layer}: flagged beyond the setback"


def test_rivers_and_lakes_are_excluded(sample, results):
    # regression: rivers were no constraint at all (265 of 650 river pixels eligible at 500 m)
    paths, grid = sample
    for name in SETBACKS:
        res = results[name]
        for layer in ("rivers", "water"):
            # pixels the river (line) or lake (polygon) occupies, as rasterized
            covered = np.asarray(rasterize(read_vector(paths[layer], crs=grid.crs), grid=grid).values) > 0
            assert covered.sum() >= 20
            assert not np.asarray(res.eligible.values)[covered].any(), (name, layer)


def test_north_facing_slopes_excluded_for_solar(results):
    res = results["solar_pv"]
    north = res.model.derivations[[d.name for d in res.model.derivations].index("north_facing")]
    assert north.parameters["min_slope_deg"] == 3.0
    nf = np.asarray(res.layers["north_facing"].values) == 1
    assert not res.eligible.values[nf].any()


def test_mobile_sand_scores_higher_esai_than_typical_steppe(sample, results):
    paths, grid = sample
    res = results["desertification_esai"]
    lc = np.asarray(read_raster(paths["land_cover"], grid=grid, kind="categorical").values)
    esai = np.asarray(res.layers["esai"].values)
    sand, steppe = esai[lc == 60], esai[lc == 30]
    sand, steppe = sand[np.isfinite(sand)], steppe[np.isfinite(steppe)]
    assert sand.size > 50 and steppe.size > 50
    assert np.median(sand) > np.median(steppe)
    assert np.mean(sand) > np.mean(steppe)
    # and the classes agree: mobile sand is mostly critical (C1–C3 = codes 6–8)
    cls = np.asarray(res.layers["esa_class"].values)[lc == 60]
    assert np.mean(np.isin(cls, (6, 7, 8))) > 0.5


def test_sample_results_are_in_range_and_carry_checksums(results):
    for res in results.values():
        s = res.score.values[np.isfinite(res.score.values)]
        assert s.size and s.min() >= 0 and s.max() <= 1
        for k in res.model.inputs:
            assert len(res.provenance["inputs"][k]["sha256"]) == 64
    esai = results["desertification_esai"].layers["esai"].values
    assert np.nanmin(esai) >= 1.0 and np.nanmax(esai) <= 2.0
    # GHI 1500–1750 kWh/m²/yr × latitude-tilt gain ≈ 1.05–1.12 × PR 0.8 → roughly 1250–1600 kWh/kWp/yr
    y = results["solar_pv"].layers["pv_yield"].values
    assert 1150 < np.nanmin(y) and np.nanmax(y) < 1700


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("desertification_china", {}),
        ("desertification_china", {"degradation_rule": "one-out-all-out"}),
        ("restoration_priority", {}),
    ],
)
def test_other_presets_run_on_the_sample(sample, name, params):
    paths, grid = sample
    res = run_model(PRESETS[name](**params), paths, grid=grid)
    s = res.score.values[np.isfinite(res.score.values)]
    assert s.size > 0.5 * res.score.size and s.min() >= 0 and s.max() <= 1
    if name == "desertification_china":
        from steppe_geo.models import classify_china

        cls = res.layers["china_sensitivity_class"]
        np.testing.assert_array_equal(cls.values, classify_china(res.layers["china_sensitivity"]).values)
        assert set(np.unique(cls.values)) <= {0, 1, 2, 3, 4, 5} and (cls.values > 0).mean() > 0.5
    if params:
        # one out, all out: every significantly degrading pixel (the overgrazing zone) takes the top grade 9
        degraded = res.layers["ndvi_degraded"].values == 1
        assert degraded.sum() > 10
        np.testing.assert_array_equal(res.layers["china_sensitivity"].values[degraded], 9.0)


def test_far_from_the_grid_is_excluded_for_wind(sample, results):
    # GLAES: more than 10 km from a grid connection excluded; exact against the power-line geometries
    paths, grid = sample
    res = results["wind_onshore"]
    xs, ys = np.meshgrid(grid.x_coords(), grid.y_coords())
    lines = shapely.union_all(read_vector(paths["power_lines"], crs=grid.crs).geometry.values)
    far = (shapely.distance(shapely.points(xs.ravel(), ys.ravel()), lines) > 10_000).reshape(grid.shape)
    assert far.sum() > 100 and (~far).sum() > 100
    bit = 1 << res.overlay_result.overlay.exclusion_names.index("far_from_grid")
    flagged = (np.asarray(res.exclusion.values) & bit) > 0
    np.testing.assert_array_equal(flagged, far)
    assert not np.asarray(res.eligible.values)[far].any()


def test_wind_score_rises_with_wind_speed_on_the_sample(sample, results):
    """All else equal (same inputs, the wind-speed layer + 1 m/s), no pixel scores lower."""
    paths, grid = sample
    base = results["wind_onshore"]
    wind = read_raster(paths["wind_speed_100m"], grid=grid)
    inputs = {**paths, "wind_speed_100m": wind + 1.0}
    faster = run_model(wind_onshore(), inputs, grid=grid)
    both = np.asarray(base.eligible.values) & np.asarray(faster.eligible.values)
    assert both.sum() > 100
    s0, s1 = np.asarray(base.score.values)[both], np.asarray(faster.score.values)[both]
    assert np.all(s1 >= s0 - 1e-12)
    # strictly higher wherever the hub-height speed was below the 8 m/s plateau of the value function
    hub = np.asarray(base.layers["wind_speed_hub"].values)[both]
    assert np.all(s1[hub < 8.0] > s0[hub < 8.0]) and (hub < 8.0).sum() > 100
    # faster wind never makes a pixel ineligible (only the 4.5 m/s exclusion depends on it)
    assert not (np.asarray(base.eligible.values) & ~np.asarray(faster.eligible.values)).any()
