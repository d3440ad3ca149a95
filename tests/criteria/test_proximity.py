"""Distance and setbacks against scipy's exact EDT and hand-computed geometry distances."""

from __future__ import annotations

import math
import tracemalloc

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.features import rasterize
from scipy import ndimage

import steppe_geo as sg
from steppe_geo.criteria import proximity as dm
from steppe_geo.criteria import setbacks as sb
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
    assert np.isinf(dm.distance(pt, grid=small_grid, max_distance_m=200).values).all()  # all beyond
    without_margin_far = dm.distance(pt, grid=small_grid)  # no cap: margin reaches the feature
    assert without_margin_far.values[0, 0] == pytest.approx(300.0)


def _burn_reference(geoms, grid, margin, all_touched=False):
    """Independent burn: rasterio on the grid expanded by ``margin`` pixels, polygons + outlines."""
    t = grid.transform * Affine.translation(-margin, -margin)
    shape = (grid.rows + 2 * margin, grid.cols + 2 * margin)
    shapes = [(g, 1) for g in geoms]
    shapes += [(g.boundary, 1) for g in geoms if g.geom_type == "Polygon"]
    return rasterize(shapes, out_shape=shape, transform=t, fill=0, all_touched=all_touched,
                     dtype="uint8").astype(bool)


def test_line_and_polygon_equal_edt_of_rasterized(small_grid):
    road = shapely.LineString([(400_100, 4_430_000), (401_700, 4_431_200)])
    lake = shapely.box(400_900, 4_430_300, 401_100, 4_430_500)
    gdf = gpd.GeoDataFrame(geometry=[road, lake], crs="EPSG:32649")
    out = dm.distance(gdf, grid=small_grid, max_distance_m=600)
    burned = _burn_reference([road, lake], small_grid, 20)
    ref = ndimage.distance_transform_edt(~burned, sampling=(30.0, 30.0))[20:-20, 20:-20]
    ref[ref > 600] = np.inf
    np.testing.assert_allclose(out.values, ref, atol=1e-6 * 30)
    # geometry check: pixel-centre distance differs from the true one by at most half a diagonal
    x, y = small_grid.x_coords(), small_grid.y_coords()
    true = shapely.distance(shapely.points(x[30], y[20]), shapely.union(road, lake))
    assert true < 600
    assert abs(out.values[20, 30] - true) <= 30 * np.sqrt(2) + 1e-9  # within one pixel diagonal


@pytest.mark.parametrize("geom", [
    shapely.box(400_902, 4_430_602, 400_912, 4_430_612),  # a 10 m house: no pixel centre inside
    # a 1 m wide ring of radius 20 m around a pixel centre: centres are 0, 30, 42.4 m away
    shapely.Point(400_915, 4_430_615).buffer(20).exterior.buffer(0.5),
])
@pytest.mark.parametrize("cap", [None, 600.0])
def test_sub_pixel_polygons_do_not_vanish(small_grid, geom, cap):
    feats = gpd.GeoDataFrame(geometry=[geom], crs="EPSG:32649")
    centres = _centres(small_grid)
    assert not shapely.contains(geom, centres).any()  # the pixel-centre rule alone burns nothing
    out = dm.distance(feats, grid=small_grid, max_distance_m=cap).values
    # reference: scipy's EDT of the polygon and its outline burned by rasterio (grid + 25 px, which
    # holds every pixel within 600 m of the grid and, uncapped, the feature with room to spare)
    burned = _burn_reference([geom], small_grid, 25)
    assert burned.any()
    ref = ndimage.distance_transform_edt(~burned, sampling=(30.0, 30.0))[25:-25, 25:-25]
    if cap is not None:
        ref[ref > cap] = np.inf
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-6 * 30)
    assert np.isfinite(out[20, 30])
    # and close to the exact distance to the geometry: within one pixel diagonal
    true = shapely.distance(centres, geom)
    finite = np.isfinite(out)
    assert np.abs(out[finite] - true[finite]).max() <= 30 * np.sqrt(2)


def test_uncapped_distance_burns_only_features_that_can_matter(small_grid, monkeypatch):
    # A well 300 m west of the grid and a point 60 km east: the far point can never be the
    # nearest feature (300 m + the grid's 2163 m diagonal < 60 km), so it is not burned and the
    # expanded grid only reaches the well. Before, the raster spanned 4000 x 4000 pixels (562 MiB).
    near = shapely.Point(399_715, 4_431_185)
    far = shapely.Point(461_800, 4_430_600)
    feats = gpd.GeoDataFrame(geometry=[near, far], crs="EPSG:32649")
    shapes = []
    real_burn = dm._burn

    def spy(geoms, grid, all_touched, **kw):
        shapes.append(grid.shape)
        return real_burn(geoms, grid, all_touched, **kw)

    monkeypatch.setattr(dm, "_burn", spy)
    out = dm.distance(feats, grid=small_grid).values
    # the grid's west edge is x = 399990: the well is 275 m = 9.2 pixels west of it -> 10 pixels,
    # plus one pixel of padding; nothing north, south or east
    assert shapes == [(small_grid.rows, small_grid.cols + 11)]
    # values: exact distances between pixel centres and the well's pixel (centre 399705, 4431195)
    xs, ys = np.meshgrid(small_grid.x_coords(), small_grid.y_coords())
    np.testing.assert_allclose(out, np.hypot(xs - 399_705, ys - 4_431_195), atol=1e-6)
    # a lone far feature is still found, on a strip towards it rather than a square
    shapes.clear()
    lone = dm.distance(feats.iloc[[1]], grid=small_grid).values
    assert shapes[0][0] == small_grid.rows and shapes[0][1] < 2200
    # the far point lies in the pixel centred at x = 461805, y = 4430595
    np.testing.assert_allclose(lone, np.hypot(xs - 461_805, ys - 4_430_595), rtol=1e-12)


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
    keep = sb.outside_setback(pt, grid=small_grid, distance_m=200)
    np.testing.assert_array_equal(keep.values, true_d > 200)
    assert keep.dtype == bool and keep.name == "outside_setback"
    near = sb.within_distance(pt, grid=small_grid, distance_m=200)
    np.testing.assert_array_equal(near.values, ~keep.values)
    # 1.1 x tip height of a 115 m hub / 170 m rotor turbine = 1.1 * (115 + 85) = 220 m
    assert sb.tip_height_m(115, 170) == 200.0
    wind = sb.outside_setback(pt, grid=small_grid, hub_height_m=115, rotor_diameter_m=170,
                              tip_height_multiple=1.1)
    assert wind.attrs["distance_m"] == pytest.approx(220.0)
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
        near = sb.within_distance(feats, grid=small_grid, distance_m=d).values
        burned = dm.distance(feats, grid=small_grid).values == 0  # the feature's own pixels
        np.testing.assert_array_equal(near, (shapely.distance(centres, geom) <= d) | burned)


def test_setback_all_touched_counts_any_part_of_the_pixel(small_grid):
    house = shapely.box(400_902, 4_430_602, 400_912, 4_430_612)
    feats = gpd.GeoDataFrame(geometry=[house], crs="EPSG:32649")
    t = small_grid.transform
    xs, ys = np.meshgrid(small_grid.x_coords(), small_grid.y_coords())
    cells = shapely.box(xs - t.a / 2, ys + t.e / 2, xs + t.a / 2, ys - t.e / 2)
    near = sb.within_distance(feats, grid=small_grid, distance_m=100, all_touched=True).values
    np.testing.assert_array_equal(near, shapely.distance(cells, house) <= 100)


def test_setback_reprojects_features(small_grid):
    pt = gpd.GeoDataFrame(geometry=[shapely.Point(400_915, 4_430_615)], crs="EPSG:32649")
    ll = pt.to_crs("EPSG:4326")
    np.testing.assert_array_equal(sb.within_distance(ll, grid=small_grid, distance_m=200).values,
                                  sb.within_distance(pt, grid=small_grid, distance_m=200).values)


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
        sb.tip_height_m(100, 0)
    with pytest.raises(InvalidParameterError, match="not both"):
        sb.outside_setback(pt, grid=small_grid, distance_m=100, tip_height_multiple=1.1)
    with pytest.raises(InvalidParameterError, match="give distance_m, or tip_height_multiple"):
        sb.outside_setback(pt, grid=small_grid, tip_height_multiple=1.1)
    with pytest.raises(InvalidParameterError, match="features must be"):
        dm.distance([1, 2], grid=small_grid)


def test_public_windowed_vector_distance_equals_whole(small_grid):
    road = shapely.LineString([(399_500, 4_430_100), (401_700, 4_431_600)])  # leaves the grid twice
    house = shapely.box(400_902, 4_430_602, 400_912, 4_430_612)
    feats = gpd.GeoDataFrame(geometry=[road, house, shapely.Point(402_100, 4_430_050)], crs="EPSG:32649")
    whole = dm.distance(feats, grid=small_grid, max_distance_m=400).values
    for window in (7, 16, 100):
        tiled = dm.distance(feats, grid=small_grid, max_distance_m=400, window=window).values
        np.testing.assert_array_equal(tiled, whole)


def test_public_windowed_distance_memory_is_set_by_the_window():
    # 1200 x 1200 grid (11 MiB of float64 output), cap 300 m on 30 m pixels (halo 10), 100-px windows.
    # Temporary memory beyond the output: the feature mask (1.4 MiB) and one 120 x 120 tile; a
    # whole-array EDT would need several times the output.
    g = sg.Grid(crs="EPSG:32649", transform=(30, 0, 0, 0, -30, 36_000), shape=(1200, 1200))
    mask = np.zeros(g.shape, bool)
    mask[::97, ::89] = True
    da = g.to_dataarray(mask, name="m")
    tracemalloc.start()
    try:
        out = dm.distance(da, grid=g, max_distance_m=300, window=100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (peak - out.values.nbytes) < 0.3 * out.values.nbytes
    ref = ndimage.distance_transform_edt(~mask, sampling=(30.0, 30.0))
    ref[ref > 300] = np.inf
    np.testing.assert_array_equal(out.values, ref)


# ----------------------------------------------------------------------------- error bound on lines
@pytest.mark.parametrize("all_touched", [True, False])
def test_distance_error_bound_on_lines_against_shapely(all_touched):
    """The documented bound of distance() against the true distance to the geometry (shapely.distance).

    all_touched=True: |error| <= half a pixel diagonal h (proved in the docstring; the test also shows the
    bound is tight: the error reaches > 0.9 h). Default rule: |error| < one pixel diagonal.
    """
    rng = np.random.default_rng(20261203)
    grid = sg.Grid.from_bounds((0, 0, 1500, 900), crs="EPSG:32649", resolution_m=30)
    xs, ys = np.meshgrid(grid.x_coords(), grid.y_coords())
    centres = shapely.points(xs.ravel(), ys.ravel())
    h = math.hypot(15, 15)
    worst = 0.0
    for _ in range(12):
        lines = [shapely.LineString(rng.uniform((0, 0), (1500, 900), size=(int(rng.integers(2, 5)), 2)))
                 for _ in range(int(rng.integers(1, 4)))]
        got = dm.distance(gpd.GeoSeries(lines, crs=grid.crs), grid=grid, all_touched=all_touched).values
        truth = shapely.distance(centres, shapely.union_all(lines)).reshape(grid.shape)
        worst = max(worst, float(np.abs(got - truth).max()))
    if all_touched:
        assert 0.9 * h < worst <= h + 1e-9
    else:
        assert worst < 2 * h


# ------------------------------------------------------------------------ capped distance, bounded memory
def _random_features(rng, west, south, east, north, n=6):
    """Random lines, polygons (some smaller than a pixel) and points, around and inside a box."""
    lo, hi = [west, south], [east, north]
    lines = [shapely.LineString(rng.uniform(lo, hi, (4, 2))) for _ in range(n)]
    polys = [shapely.Point(*rng.uniform(lo, hi)).buffer(float(rng.uniform(4, 700))) for _ in range(n)]
    pts = [shapely.Point(*rng.uniform(lo, hi)) for _ in range(3 * n)]
    return lines + polys + pts


@pytest.mark.parametrize("all_touched", [False, True])
@pytest.mark.parametrize("near", [2, 25, 256])
@pytest.mark.parametrize("cap", [450.0, 2500.0, 6000.0])
def test_sparse_capped_distance_equals_whole_edt(small_grid, all_touched, near, cap):
    # The bounded-memory path (edge pixels burned in 7-row strips, a k-d tree for pixels farther than
    # `near` pixels) against scipy's EDT of the whole expanded array burned by rasterio, cropped. The
    # caps reach 200 pixels beyond a 40 x 60 grid: far larger than the grid itself.
    rng = np.random.default_rng(int(cap) + near)
    geoms = _random_features(rng, 397_000, 4_427_000, 405_000, 4_434_000)
    feats = gpd.GeoDataFrame(geometry=geoms, crs="EPSG:32649")
    kept, big, top, left = dm._vector_reach(feats, small_grid, cap)
    out = dm._distance_sparse(kept, big, (top, left), small_grid.shape, cap, all_touched, near=near,
                              strip_rows=7)
    margin = 205  # pixels: every feature within 6000 m (+ a pixel) of the grid
    burned = _burn_reference(geoms, small_grid, margin, all_touched=all_touched)
    ref = ndimage.distance_transform_edt(~burned, sampling=(30.0, 30.0))[margin:-margin, margin:-margin]
    ref[ref > cap] = np.inf
    assert np.isfinite(ref).any()
    if near == 2:  # pixels farther than 2 pixels from every feature: the k-d tree's
        assert (ref > 60).any()
    np.testing.assert_array_equal(out, ref)


def test_sparse_capped_distance_non_square_pixels():
    g = sg.Grid(crs="EPSG:32649", transform=(20, 0, 400_000, 0, -50, 4_431_000), shape=(30, 40))
    rng = np.random.default_rng(7)
    geoms = _random_features(rng, 398_000, 4_427_000, 403_000, 4_434_000)
    cap = 3000.0
    kept, big, top, left = dm._vector_reach(gpd.GeoDataFrame(geometry=geoms, crs="EPSG:32649"), g, cap)
    out = dm._distance_sparse(kept, big, (top, left), g.shape, cap, True, near=3, strip_rows=5)
    mx, my = 160, 70  # pixels of margin along x (20 m) and y (50 m): beyond 3000 m + a pixel
    t = g.transform * Affine.translation(-mx, -my)
    shapes = [(geom, 1) for geom in geoms]
    shapes += [(geom.boundary, 1) for geom in geoms if geom.geom_type == "Polygon"]
    burned = rasterize(shapes, out_shape=(g.rows + 2 * my, g.cols + 2 * mx), transform=t, fill=0,
                       all_touched=True, dtype="uint8").astype(bool)
    ref = ndimage.distance_transform_edt(~burned, sampling=(50.0, 20.0))[my:-my, mx:-mx]
    ref[ref > cap] = np.inf
    np.testing.assert_array_equal(out, ref)


def test_sparse_capped_distance_without_features_within_reach(small_grid):
    far = gpd.GeoDataFrame(geometry=[shapely.Point(390_000, 4_430_500)], crs="EPSG:32649")  # 10 km west
    kept, big, top, left = dm._vector_reach(far, small_grid, 5000.0)
    out = dm._distance_sparse(kept, big, (top, left), small_grid.shape, 5000.0, False, near=2)
    assert np.isinf(out).all()


def test_public_capped_distance_memory_does_not_grow_with_the_cap():
    # 400 x 400 grid of 10 m pixels, cap 10 km: the grid grown to the features (a loop road 9 km
    # around) is about 2200 x 2200 pixels, over SPARSE_MIN_PIXELS, so distance() takes the bounded-memory
    # path. scipy's transform of that expanded array would hold about 33 bytes per pixel (160 MB); the
    # path holds the output (1.3 MB), the grid grown by SPARSE_NEAR_HALO (912 x 912: its transform about
    # 27 MB) and the features' edge pixels.
    g = sg.Grid.from_bounds((500_000, 4_400_000, 504_000, 4_404_000), crs="EPSG:32649", resolution_m=10)
    road = shapely.LineString([(494_000, 4_396_000), (509_000, 4_403_000)])  # crosses the grid's corner
    town = shapely.Point(507_000, 4_410_000).buffer(300)  # 6 km north-east of the grid
    ring = shapely.box(491_000, 4_391_000, 513_000, 4_413_000).exterior  # a loop road 9 km around it
    geoms = [road, town, ring]
    feats = gpd.GeoDataFrame(geometry=geoms, crs="EPSG:32649")
    cap = 10_000.0
    _, big, top, left = dm._vector_reach(feats, g, cap)
    assert big.rows * big.cols > dm.SPARSE_MIN_PIXELS
    tracemalloc.start()
    try:
        out = dm.distance(feats, grid=g, max_distance_m=cap, all_touched=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.25 * 33 * big.rows * big.cols
    burned = dm._burn(np.array(geoms), big, True)  # reference: the whole expanded array
    ref = ndimage.distance_transform_edt(~burned, sampling=(10.0, 10.0))[top:top + 400, left:left + 400]
    ref[ref > cap] = np.inf
    np.testing.assert_array_equal(out.values, ref)
    assert out.attrs["max_distance_m"] == cap
