"""Distance and setbacks against scipy's exact EDT and hand-computed geometry distances."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

import steppe_geo as sg
from steppe_geo.criteria import proximity as dm
from steppe_geo.errors import (
    EmptyLayerError,
    GeographicCRSError,
    GridMismatchError,
    InvalidParameterError,
)


def test_raster_classes_equal_edt(small_grid, rng, assert_same_georef):
    classes = rng.integers(0, 30, small_grid.shape).astype(np.int16)
    lc = small_grid.to_dataarray(classes, name="landcover", nodata=-1)
    out = dm.distance(lc, grid=small_grid, classes=[7, 8])
    mask = np.isin(classes, [7, 8])
    ref = ndimage.distance_transform_edt(~mask, sampling=(30.0, 30.0))
    np.testing.assert_allclose(out.values, ref, rtol=0, atol=1e-6 * 30)
    assert_same_georef(out, lc)
    assert out.attrs["units"] == "m"


def test_non_square_pixels_equal_edt(rng):
    g = sg.Grid(crs="EPSG:32649", transform=(20, 0, 0, 0, -50, 5000), shape=(30, 40))
    mask = rng.random(g.shape) < 0.01
    out = dm.distance(g.to_dataarray(mask, name="m"), grid=g)
    ref = ndimage.distance_transform_edt(~mask, sampling=(50.0, 20.0))
    np.testing.assert_allclose(out.values, ref, atol=1e-6 * 20)


def test_point_outside_grid_counts(small_grid):
    # small_grid: x 400000..401800, y 4430000..4431200, 30 m pixels.
    # A point 300 m west of the west edge, on the centre line of row 0 (y = 4431185).
    pt = gpd.GeoDataFrame(geometry=[shapely.Point(399_700 + 15, 4_431_185)], crs="EPSG:32649")
    out = dm.distance(pt, grid=small_grid, max_distance_m=1000)
    # pixel (0, 0) centre is at x = 400015: distance = 400015 - 399715 = 300 m exactly
    assert out.values[0, 0] == pytest.approx(300.0, abs=1e-9)
    # pixel (3, 4): dx = 4*30 + 300 = 420, dy = 90 -> sqrt(420^2 + 90^2)
    assert out.values[3, 4] == pytest.approx(np.hypot(420, 90), abs=1e-9)
    assert np.isinf(out.values[0, -1])  # > 1000 m away
    without_margin_far = dm.distance(pt, grid=small_grid)  # no cap: margin reaches the feature
    assert without_margin_far.values[0, 0] == pytest.approx(300.0)


def test_line_and_polygon_equal_edt_of_rasterized(small_grid):
    road = shapely.LineString([(400_100, 4_430_000), (401_700, 4_431_200)])
    lake = shapely.box(400_900, 4_430_300, 401_100, 4_430_500)
    gdf = gpd.GeoDataFrame(geometry=[road, lake], crs="EPSG:32649")
    out = dm.distance(gdf, grid=small_grid, max_distance_m=600)
    burned = sg.rasterize(gdf, grid=dm._expanded(small_grid, 20)).values > 0
    ref = ndimage.distance_transform_edt(~burned, sampling=(30.0, 30.0))[20:-20, 20:-20]
    ref[ref > 600] = np.inf
    np.testing.assert_allclose(out.values, ref, atol=1e-6 * 30)
    # geometry check: pixel-centre distance differs from the true one by at most half a diagonal
    x, y = small_grid.x_coords(), small_grid.y_coords()
    true = shapely.distance(shapely.points(x[30], y[20]), shapely.union(road, lake))
    assert true < 600
    assert abs(out.values[20, 30] - true) <= 30 * np.sqrt(2) + 1e-9  # within one pixel diagonal


def test_reprojected_features(small_grid):
    pt = gpd.GeoDataFrame(geometry=[shapely.Point(400_915, 4_430_615)], crs="EPSG:32649").to_crs(4326)
    out = dm.distance(pt, grid=small_grid, max_distance_m=500)
    assert np.nanmin(out.values) == 0.0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), window=st.integers(3, 25), cap=st.floats(10, 400),
       density=st.floats(0.0, 0.05))
def test_windowed_equals_whole(seed, window, cap, density):
    rng = np.random.default_rng(seed)
    mask = rng.random((37, 41)) < density
    whole = dm.distance_kernel(mask, (30.0, 30.0), cap)
    tiled = dm.distance_windowed(mask, (30.0, 30.0), cap, window=window)
    np.testing.assert_array_equal(tiled, whole)


def test_windowed_with_grid_windows(small_grid, rng):
    mask = rng.random(small_grid.shape) < 0.02
    cap = 150.0
    halo = dm.distance_halo(cap, small_grid.resolution)
    assert halo == 5
    whole = dm.distance_kernel(mask, (30.0, 30.0), cap)
    tiled = np.empty_like(whole)
    for w in small_grid.windows(16, halo=halo):
        tiled[w.core_slices] = dm.distance_kernel(mask[w.padded_slices], (30.0, 30.0), cap)[w.inner]
    np.testing.assert_array_equal(tiled, whole)
    da = small_grid.to_dataarray(mask, name="m")
    public = dm.distance(da, grid=small_grid, max_distance_m=cap, window=9)
    np.testing.assert_array_equal(public.values, dm.distance(da, grid=small_grid, max_distance_m=cap).values)


def _centres(grid):
    xs, ys = np.meshgrid(grid.x_coords(), grid.y_coords())
    return shapely.points(xs, ys)


def test_setbacks_exact_against_shapely_distance(small_grid):
    pt = gpd.GeoDataFrame(geometry=[shapely.Point(400_915, 4_430_615)], crs="EPSG:32649")
    # Reference: exact distance from every pixel centre to the point (shapely, not our rasters).
    true_d = shapely.distance(_centres(small_grid), pt.geometry.iloc[0])
    keep = dm.outside_setback(pt, grid=small_grid, distance_m=200)
    np.testing.assert_array_equal(keep.values, true_d > 200)
    assert keep.dtype == bool and keep.name == "outside_setback"
    near = dm.within_distance(pt, grid=small_grid, distance_m=200)
    np.testing.assert_array_equal(near.values, ~keep.values)
    # 1.1 x tip height of a 115 m hub / 170 m rotor turbine = 1.1 * (115 + 85) = 220 m
    assert dm.tip_height_m(115, 170) == 200.0
    wind = dm.outside_setback(pt, grid=small_grid, hub_height_m=115, rotor_diameter_m=170,
                              tip_height_multiple=1.1)
    assert wind.attrs["setback_m"] == pytest.approx(220.0)
    np.testing.assert_array_equal(wind.values, true_d > 220)


@pytest.mark.parametrize("geom", [
    shapely.box(400_902, 4_430_602, 400_912, 4_430_612),  # a 10 m house: no pixel centre inside
    shapely.Point(400_915, 4_430_615).buffer(30).exterior.buffer(0.5),  # a 1 m wide ring
    shapely.LineString([(400_000, 4_430_010), (401_790, 4_431_170)]),  # a diagonal road
    shapely.Point(399_850, 4_430_500),  # 150 m outside the west edge of the grid
])
def test_setback_masks_of_small_lines_and_outside_features(small_grid, geom):
    feats = gpd.GeoDataFrame(geometry=[geom], crs="EPSG:32649")
    centres = _centres(small_grid)
    for d in (25.0, 95.0, 250.0):
        near = dm.within_distance(feats, grid=small_grid, distance_m=d).values
        burned = dm.distance(feats, grid=small_grid).values == 0  # the feature's own pixels
        np.testing.assert_array_equal(near, (shapely.distance(centres, geom) <= d) | burned)


def test_setback_all_touched_counts_any_part_of_the_pixel(small_grid):
    house = shapely.box(400_902, 4_430_602, 400_912, 4_430_612)
    feats = gpd.GeoDataFrame(geometry=[house], crs="EPSG:32649")
    t = small_grid.transform
    xs, ys = np.meshgrid(small_grid.x_coords(), small_grid.y_coords())
    cells = shapely.box(xs - t.a / 2, ys + t.e / 2, xs + t.a / 2, ys - t.e / 2)
    near = dm.within_distance(feats, grid=small_grid, distance_m=100, all_touched=True).values
    np.testing.assert_array_equal(near, shapely.distance(cells, house) <= 100)


def test_setback_reprojects_features(small_grid):
    pt = gpd.GeoDataFrame(geometry=[shapely.Point(400_915, 4_430_615)], crs="EPSG:32649")
    ll = pt.to_crs("EPSG:4326")
    np.testing.assert_array_equal(dm.within_distance(ll, grid=small_grid, distance_m=200).values,
                                  dm.within_distance(pt, grid=small_grid, distance_m=200).values)


def test_errors(small_grid):
    geo = sg.Grid(crs="EPSG:4326", transform=(0.01, 0, 110, 0, -0.01, 41), shape=(5, 5))
    pt = gpd.GeoDataFrame(geometry=[shapely.Point(400_915, 4_430_615)], crs="EPSG:32649")
    with pytest.raises(GeographicCRSError, match="projected CRS"):
        dm.distance(pt, grid=geo)
    with pytest.raises(EmptyLayerError, match="no features"):
        dm.distance(pt.iloc[:0], grid=small_grid)
    other = sg.Grid.from_bounds((0, 0, 300, 300), crs="EPSG:32649", resolution_m=30)
    with pytest.raises(GridMismatchError, match="features raster and grid differ"):
        dm.distance(other.to_dataarray(np.ones((10, 10), bool)), grid=small_grid)
    with pytest.raises(InvalidParameterError, match="needs classes"):
        dm.distance(small_grid.to_dataarray(np.ones(small_grid.shape, np.int16), nodata=-1), grid=small_grid)
    with pytest.raises(InvalidParameterError, match="max_distance_m must be"):
        dm.distance(pt, grid=small_grid, max_distance_m=-5)
    with pytest.raises(InvalidParameterError, match="window needs max_distance_m"):
        dm.distance(pt, grid=small_grid, window=8)
    with pytest.raises(InvalidParameterError, match="rotor_diameter_m must be"):
        dm.tip_height_m(100, 0)
    with pytest.raises(InvalidParameterError, match="not both"):
        dm.outside_setback(pt, grid=small_grid, distance_m=100, tip_height_multiple=1.1)
    with pytest.raises(InvalidParameterError, match="give distance_m, or tip_height_multiple"):
        dm.outside_setback(pt, grid=small_grid, tip_height_multiple=1.1)
    with pytest.raises(InvalidParameterError, match="features must be"):
        dm.distance([1, 2], grid=small_grid)
