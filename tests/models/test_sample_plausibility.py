"""Plausibility of the presets on the bundled sample data (coarse 500 m grid to stay fast)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from steppe_geo import datasets
from steppe_geo.io import rasterize, read_raster, read_vector
from steppe_geo.mcda import Setback
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
    bit = 1 << res.model.constraint_names.index("protected_areas")
    assert np.all(res.exclusion.values[inside] & bit)


@pytest.mark.parametrize("name", ["wind_onshore", "solar_pv"])
def test_every_setback_fully_excluded(sample, results, name):
    """Pixel centres closer than a setback to the features (shapely distance) are excluded with that bit."""
    paths, grid = sample
    res = results[name]
    xs, ys = np.meshgrid(grid.x_coords(), grid.y_coords())
    centres = shapely.points(xs.ravel(), ys.ravel())
    half_diag = 0.5 * np.hypot(
        *grid.resolution
    )  # rasterised features are pixels: allow half a pixel diagonal
    checked = 0
    for i, c in enumerate(res.model.resolved_constraints()):
        if not isinstance(c, Setback):
            continue
        layer = c.layer.removeprefix("distance_").removesuffix("_m")
        feats = shapely.union_all(read_vector(paths[layer], crs=grid.crs).geometry.values)
        dist = shapely.distance(centres, feats).reshape(grid.shape)
        near = dist < c.distance_m - half_diag
        assert not res.eligible.values[near].any(), c.name
        assert np.all(res.exclusion.values[near] & (1 << i)), c.name
        checked += int(near.sum())
    assert checked > 100


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
    if params:
        # one out, all out: every significantly degrading pixel (the overgrazing zone) takes the top grade 9
        degraded = res.layers["ndvi_degraded"].values == 1
        assert degraded.sum() > 10
        np.testing.assert_array_equal(res.layers["china_sensitivity"].values[degraded], 9.0)
