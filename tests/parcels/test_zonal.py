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
from steppe_geo.errors import (
    GeographicCRSError,
    GeometryTypeError,
    InvalidParameterError,
    MissingCRSError,
    NoOverlapError,
)
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
    with pytest.raises(InvalidParameterError,
                       match=r"ids \(pid\) must be unique; 1 duplicated, e\.g\. \[1\]"):
        zonal_stats(dup, layers, id_column="pid")
    with pytest.raises(InvalidParameterError, match=r"stats: unknown value 'meen'; did you mean 'mean'"):
        zonal_stats(parcels, layers, stats=("meen",))
    geo = sg.Grid("EPSG:4326", Affine(0.01, 0, 110.0, 0, -0.01, 40.1), (10, 10))
    with pytest.raises(GeographicCRSError,
                       match=r"needs a projected CRS in metres, got a geographic CRS \(EPSG:4326\)"):
        zonal_stats(parcels, {"g": geo.to_dataarray(np.ones(geo.shape))})
    with pytest.raises(InvalidParameterError, match=r"categorical: \['zz'\] not in layers \['a', 'b'\]"):
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


def _circles(grid, rng, n=30, r=(40, 250)):
    x0, y0, x1, y1 = grid.bounds
    geoms = [shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1)).buffer(rng.uniform(*r), quad_segs=6)
             for _ in range(n)]
    return gpd.GeoDataFrame({"pid": np.arange(n)}, geometry=geoms, crs=grid.crs)


@pytest.mark.parametrize("offset", [1e3, 4e3, 1e4])
def test_std_large_offset_matches_exactextract(small_grid, rng, offset):
    """4000 ± 0.001: E[x²] − mean² loses ~7 digits there; the two-pass std must not."""
    parcels = _circles(small_grid, rng)
    vals = offset + rng.uniform(-1e-3, 1e-3, small_grid.shape)
    da = small_grid.to_dataarray(vals)
    w = rng.uniform(0, 1, small_grid.shape)
    w[rng.random(small_grid.shape) < 0.3] = 0.0
    got = zonal_stats(parcels, {"v": da}, stats=("mean", "std"))
    ref = exactextract.exact_extract(da, parcels, ["mean", "stdev"], output="pandas")
    np.testing.assert_allclose(got["v_std"], ref["stdev"], rtol=1e-6)
    np.testing.assert_allclose(got["v_mean"], ref["mean"], rtol=1e-12)
    # With fractional eligibility the reference is exactextract's weighted_stdev (weights c·e).
    weighted = zonal_stats(parcels, {"v": da}, stats=("mean", "std"), eligible=small_grid.to_dataarray(w))
    wref = exactextract.exact_extract(da, parcels, ["weighted_mean", "weighted_stdev"],
                                      weights=small_grid.to_dataarray(w), output="pandas")
    np.testing.assert_allclose(weighted["v_std"], wref["weighted_stdev"], rtol=1e-6)
    np.testing.assert_allclose(weighted["v_mean"], wref["weighted_mean"], rtol=1e-12)


def test_hand_std_at_offset(small_grid):
    """Hand value: cells 4000.001 and 3999.999, equal coverage -> population std 0.001."""
    x0, y0, _, _ = small_grid.bounds
    vals = np.full(small_grid.shape, 4000.0)
    vals[-1, 0], vals[-1, 1] = 4000.001, 3999.999
    parcel = gpd.GeoDataFrame(geometry=[shapely.box(x0, y0, x0 + 60, y0 + 30)], crs=small_grid.crs)
    got = zonal_stats(parcel, {"v": small_grid.to_dataarray(vals)}, stats=("std",))
    assert got["v_std"].iloc[0] == pytest.approx(0.001, rel=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_nodata_is_left_out(small_grid, rng, dtype):
    """A float layer with rio.nodata = -9999: those cells are nodata (as exactextract reads them)."""
    parcels = _circles(small_grid, rng)
    vals = rng.uniform(0, 1, small_grid.shape).astype(dtype)
    vals[rng.random(small_grid.shape) < 0.3] = -9999
    da = small_grid.to_dataarray(vals, nodata=-9999.0)
    stats = ("mean", "min", "std", "count", "sum")
    got = zonal_stats(parcels, {"v": da}, stats=stats)
    ref = exactextract.exact_extract(da, parcels, ["mean", "min", "stdev", "count", "sum"], output="pandas")
    for ours, theirs in zip(stats, ["mean", "min", "stdev", "count", "sum"], strict=True):
        np.testing.assert_allclose(got[f"v_{ours}"], ref[theirs], rtol=1e-6, atol=1e-12, err_msg=ours)
    assert (got["v_min"] >= 0).all()
    # The same raster with NaN instead of -9999 gives the same statistics.
    nan = small_grid.to_dataarray(np.where(vals == -9999, np.nan, vals).astype(dtype))
    np.testing.assert_allclose(zonal_stats(parcels, {"v": nan}, stats=stats)[[f"v_{s}" for s in stats]],
                               got[[f"v_{s}" for s in stats]], rtol=1e-12)
    # The input is not modified.
    assert (np.asarray(da.values) == -9999).any()


def test_category_fractions_match_exactextract(small_grid, rng):
    parcels = _circles(small_grid, rng)
    cat = rng.choice(np.array([1, 2, 5, 7], dtype=np.uint8), size=small_grid.shape)
    cat[rng.random(small_grid.shape) < 0.15] = 255
    lc = small_grid.to_dataarray(cat, nodata=255)
    w = rng.uniform(0, 1, small_grid.shape)
    cases = [(None, "unique", "frac"), (small_grid.to_dataarray(w), "unique", "weighted_frac")]
    for eligible, uniq, frac in cases:
        got = zonal_stats(parcels, {"lc": lc}, categorical=["lc"], eligible=eligible)
        ref = exactextract.exact_extract(lc, parcels, [uniq, frac], output="pandas",
                                         **({} if eligible is None else {"weights": eligible}))
        assert sorted(c for c in got.columns if c.startswith("lc_frac_")) == [
            "lc_frac_1", "lc_frac_2", "lc_frac_5", "lc_frac_7"]
        for i in range(len(parcels)):
            expect = dict.fromkeys((1, 2, 5, 7), 0.0) | dict(zip(ref[uniq][i], ref[frac][i], strict=True))
            ours = {k: got[f"lc_frac_{k}"].iloc[i] for k in (1, 2, 5, 7)}
            np.testing.assert_allclose(list(ours.values()), [expect[k] for k in ours], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(got[[f"lc_frac_{k}" for k in (1, 2, 5, 7)]].sum(axis=1), 1.0)


def test_empty_and_missing_geometries_are_named(small_grid, rng):
    layers = _layers(small_grid, rng)
    parcels = _parcels(small_grid, rng, n=4).set_index("pid")
    parcels.loc[101, "geometry"] = None
    parcels.loc[103, "geometry"] = shapely.Polygon()
    with pytest.raises(GeometryTypeError,
                       match=r"2 of 4 parcels have a missing \(None\) or empty .*\[101, 103\]"):
        zonal_stats(parcels, layers)
    with pytest.raises(GeometryTypeError, match=r"2 of 4 parcels .*\[101, 103\]"):
        coverage_matrix(parcels, small_grid)
    points = _parcels(small_grid, rng, n=3).set_index("pid")
    points.loc[101, "geometry"] = shapely.Point(400_500, 4_430_500)
    with pytest.raises(GeometryTypeError, match=r"1 are not \(types \['Point'\]\); ids: \[101\]"):
        zonal_stats(points, layers)


def test_coverage_for_other_parcels_or_grid_is_refused(small_grid, rng):
    layers = _layers(small_grid, rng)
    parcels = _parcels(small_grid, rng, n=5)
    cov = coverage_matrix(parcels, small_grid, id_column="pid")
    # Same number of rows, other parcels: a different set of ids.
    other = _parcels(small_grid, rng, n=5).assign(pid=np.arange(200, 205))
    with pytest.raises(InvalidParameterError,
                       match=r"other parcels \(5 parcels\).*position 0: parcel id 200, coverage id 100"):
        zonal_stats(other, layers, coverage=cov, id_column="pid")
    # Same ids in another order.
    with pytest.raises(InvalidParameterError, match=r"position 0: parcel id 104, coverage id 100"):
        zonal_stats(parcels.iloc[::-1], layers, coverage=cov, id_column="pid")
    # Same ids, other geometries.
    moved = parcels.assign(geometry=parcels.buffer(10.0))
    with pytest.raises(InvalidParameterError,
                       match=r"5 parcels have other geometries .*\[100, 101, 102, 103, 104\]"):
        zonal_stats(moved, layers, coverage=cov, id_column="pid")
    # Another grid.
    half = sg.Grid.from_bounds(small_grid.bounds, crs=small_grid.crs, resolution_m=60)
    with pytest.raises(InvalidParameterError, match=r"coverage: built for another grid .*resolution 30 x 30"):
        zonal_stats(parcels, {"a": half.to_dataarray(np.ones(half.shape))}, coverage=cov, id_column="pid")
    # The matching parcels (also reprojected, as the pipeline passes them) are accepted.
    round_trip = parcels.to_crs("EPSG:4326").to_crs(small_grid.crs)
    same = zonal_stats(round_trip, layers, coverage=cov, id_column="pid")
    np.testing.assert_allclose(same["a_mean"], zonal_stats(parcels, layers)["a_mean"])


def test_require_all_valid_makes_parcel_score_the_wlc_raster_mean(small_grid, rng):
    """With nodata on part of a parcel, Σ w·mean equals the WLC raster mean only over common cells."""
    a, b = rng.random(small_grid.shape), rng.random(small_grid.shape)
    a[rng.random(small_grid.shape) < 0.25] = np.nan
    b[:, :20] = np.nan  # a block of nodata in b only
    elig = rng.random(small_grid.shape) > 0.3
    wlc = 0.25 * a + 0.75 * b  # NaN wherever a or b is (as the overlay does)
    parcels = _circles(small_grid, rng, n=40, r=(100, 300))
    layers = {"a": small_grid.to_dataarray(a), "b": small_grid.to_dataarray(b)}
    eligible = small_grid.to_dataarray(elig)
    ref = exactextract.exact_extract(small_grid.to_dataarray(wlc), parcels, ["weighted_mean"],
                                     weights=small_grid.to_dataarray(elig.astype(np.float64)),
                                     output="pandas")["weighted_mean"].to_numpy()
    z = zonal_stats(parcels, layers, eligible=eligible, require_all_valid=True)
    score = 0.25 * z["a_mean"] + 0.75 * z["b_mean"]
    ok = np.isfinite(ref)
    assert ok.sum() > 20
    np.testing.assert_allclose(score[ok], ref[ok], rtol=1e-9)
    assert np.isnan(score[~ok]).all()
    # valid_area_ha: eligible and a and b valid, by exactextract's weighted sum of that indicator.
    both = (elig & np.isfinite(a) & np.isfinite(b)).astype(np.float64)
    ref_area = exactextract.exact_extract(small_grid.to_dataarray(both), parcels, ["sum"],
                                          output="pandas")["sum"].to_numpy() * 0.09
    np.testing.assert_allclose(z["valid_area_ha"], ref_area, rtol=1e-6)
    plain = zonal_stats(parcels, layers, eligible=eligible)
    np.testing.assert_allclose(plain["eligible_area_ha"], z["eligible_area_ha"])
    # Without the option the means are over different cells per criterion and do not match.
    off = np.abs(0.25 * plain["a_mean"] + 0.75 * plain["b_mean"] - ref)[ok]
    assert off.max() > 1e-3
