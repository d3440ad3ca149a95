"""Zonal statistics against exactextract (independent reference) and hand calculations."""

from __future__ import annotations

import exactextract
import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

import steppe_geo as sg
from steppe_geo.errors import GeographicCRSError, InvalidParameterError, MissingCRSError, NoOverlapError
from steppe_geo.parcels import coverage_matrix, zonal_stats


def _parcels(grid, rng, n=25):
    x0, y0, x1, y1 = grid.bounds
    geoms = []
    for _ in range(n):
        cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
        r = rng.uniform(20, 200)
        geoms.append(shapely.Point(cx, cy).buffer(r, quad_segs=4))
    return gpd.GeoDataFrame({"pid": np.arange(100, 100 + n)}, geometry=geoms, crs=grid.crs)


def _layers(grid, rng):
    a = rng.normal(size=grid.shape)
    a[rng.random(grid.shape) < 0.1] = np.nan
    b = rng.uniform(0, 1, size=grid.shape)
    return {"a": grid.to_dataarray(a, name="a"), "b": grid.to_dataarray(b, name="b")}


def test_mean_sum_minmax_match_exactextract(small_grid, rng):
    parcels = _parcels(small_grid, rng)
    layers = _layers(small_grid, rng)
    got = zonal_stats(parcels, layers, stats=("mean", "sum", "min", "max", "std", "count"))
    for name, da in layers.items():
        ref = exactextract.exact_extract(da, parcels, ["mean", "sum", "min", "max", "stdev", "count"],
                                         output="pandas")
        np.testing.assert_allclose(got[f"{name}_mean"], ref["mean"], rtol=1e-6)
        np.testing.assert_allclose(got[f"{name}_sum"], ref["sum"], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(got[f"{name}_min"], ref["min"], rtol=1e-12)
        np.testing.assert_allclose(got[f"{name}_max"], ref["max"], rtol=1e-12)
        np.testing.assert_allclose(got[f"{name}_std"], ref["stdev"], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(got[f"{name}_count"], ref["count"], rtol=1e-6)
    assert list(got.index) == list(parcels.index)


def test_area_and_partly_outside_and_overlaps(small_grid):
    x0, y0, _, _ = small_grid.bounds
    # Parcel 0: 60 m x 60 m fully inside = 0.36 ha. Parcel 1: half outside the west edge
    # (120 m x 60 m, 60 m inside -> covered 0.5). Parcel 2 overlaps parcel 0 entirely.
    geoms = [shapely.box(x0 + 15, y0 + 15, x0 + 75, y0 + 75),
             shapely.box(x0 - 60, y0 + 300, x0 + 60, y0 + 360),
             shapely.box(x0, y0, x0 + 90, y0 + 90)]
    parcels = gpd.GeoDataFrame({"id": ["p", "q", "r"]}, geometry=geoms, crs=small_grid.crs)
    ones = small_grid.to_dataarray(np.ones(small_grid.shape))
    got = zonal_stats(parcels, {"one": ones}, stats=("area", "mean"), id_column="id")
    np.testing.assert_allclose(got["one_area"], [0.36, 0.36, 0.81])
    np.testing.assert_allclose(got["covered_fraction"], [1.0, 0.5, 1.0])
    np.testing.assert_allclose(got["parcel_area_ha"], [0.36, 0.72, 0.81])
    np.testing.assert_allclose(got["one_mean"], 1.0)


def test_eligible_part_and_categorical(small_grid):
    x0, y0, _, _ = small_grid.bounds
    # One parcel of exactly 2 x 2 pixels at the south-west corner (rows -2:, cols 0:2).
    parcel = gpd.GeoDataFrame(geometry=[shapely.box(x0, y0, x0 + 60, y0 + 60)], crs=small_grid.crs)
    vals = np.zeros(small_grid.shape)
    vals[-2:, 0:2] = [[1.0, 2.0], [3.0, 4.0]]
    elig = np.zeros(small_grid.shape, dtype=bool)
    elig[-1, :] = True  # bottom row eligible -> cells with 3 and 4
    cat = np.zeros(small_grid.shape, dtype=np.uint8)
    cat[-2:, 0:2] = [[1, 1], [2, 255]]
    got = zonal_stats(parcel, {"v": small_grid.to_dataarray(vals),
                               "lc": small_grid.to_dataarray(cat, nodata=255)},
                      stats=("mean", "area"), categorical=["lc"],
                      eligible=small_grid.to_dataarray(elig))
    assert got["v_mean"].iloc[0] == pytest.approx(3.5)  # (3 + 4) / 2
    assert got["eligible_area_ha"].iloc[0] == pytest.approx(0.18)  # 2 pixels x 900 m²
    assert got["eligible_fraction"].iloc[0] == pytest.approx(0.5)
    # Eligible valid land cover: one cell of class 2 (the other is nodata).
    assert got["lc_frac_2"].iloc[0] == pytest.approx(1.0)
    assert got["lc_frac_1"].iloc[0] == pytest.approx(0.0)
    plain = zonal_stats(parcel, {"lc": small_grid.to_dataarray(cat, nodata=255)}, categorical=["lc"])
    assert plain["lc_frac_1"].iloc[0] == pytest.approx(2 / 3)


def test_other_crs_is_reprojected(small_grid, rng):
    parcels = _parcels(small_grid, rng, n=8)
    layers = _layers(small_grid, rng)
    a = zonal_stats(parcels, layers)
    b = zonal_stats(parcels.to_crs("EPSG:4326"), layers)
    np.testing.assert_allclose(a["b_mean"], b["b_mean"], rtol=1e-4)
    assert b.crs.equals(parcels.to_crs("EPSG:4326").crs)


def test_coverage_reused(small_grid, rng):
    parcels = _parcels(small_grid, rng, n=5)
    layers = _layers(small_grid, rng)
    cov = coverage_matrix(parcels, small_grid)
    np.testing.assert_allclose(zonal_stats(parcels, layers, coverage=cov)["a_mean"],
                               zonal_stats(parcels, layers)["a_mean"])


def test_errors(small_grid, rng):
    layers = _layers(small_grid, rng)
    parcels = _parcels(small_grid, rng, n=3)
    with pytest.raises(MissingCRSError, match="no CRS"):
        zonal_stats(parcels.set_crs(None, allow_override=True), layers)
    far = parcels.copy()
    far.geometry = far.geometry.translate(1e6, 0)
    far = far.set_index("pid")
    with pytest.raises(NoOverlapError, match=r"3 of 3 parcels .* ids: \[100, 101, 102\]"):
        zonal_stats(far, layers)
    dup = parcels.copy()
    dup["pid"] = [1, 1, 2]
    with pytest.raises(InvalidParameterError, match="unique; 1 duplicated"):
        zonal_stats(dup, layers, id_column="pid")
    with pytest.raises(InvalidParameterError, match="did you mean 'mean'"):
        zonal_stats(parcels, layers, stats=("meen",))
    geo = sg.Grid("EPSG:4326", Affine(0.01, 0, 110.0, 0, -0.01, 40.1), (10, 10))
    with pytest.raises(GeographicCRSError, match="projected"):
        zonal_stats(parcels, {"g": geo.to_dataarray(np.ones(geo.shape))})
    with pytest.raises(InvalidParameterError, match="categorical"):
        zonal_stats(parcels, layers, categorical=["zz"])


@settings(max_examples=25, deadline=None)
@given(st.floats(0, 1500), st.floats(0, 1000), st.floats(5, 400), st.floats(5, 400))
def test_invariants_random_boxes(dx, dy, w, h):
    """min <= mean <= max; area = count x pixel area; covered_fraction in [0, 1]."""
    import steppe_geo as sg

    grid = sg.Grid.from_bounds((400_000, 4_430_000, 401_800, 4_431_200), crs="EPSG:32649", resolution_m=30)
    vals = np.random.default_rng(3).normal(size=grid.shape)
    x0, y0, _, _ = grid.bounds
    box = gpd.GeoDataFrame(geometry=[shapely.box(x0 + dx, y0 + dy, x0 + dx + w, y0 + dy + h)], crs=grid.crs)
    stats = ("mean", "min", "max", "count", "area")
    z = zonal_stats(box, {"v": grid.to_dataarray(vals)}, stats=stats).iloc[0]
    assert z["v_min"] - 1e-12 <= z["v_mean"] <= z["v_max"] + 1e-12
    assert z["v_area"] == pytest.approx(z["v_count"] * 900 / 1e4)
    assert 0 <= z["covered_fraction"] <= 1
    assert z["v_area"] <= z["parcel_area_ha"] * (1 + 1e-6)  # exactextract coverage is float32
