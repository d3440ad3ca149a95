"""Candidate regions and region growing on hand-made score rasters."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import steppe_geo as sg
from steppe_geo.errors import EmptyLayerError, InvalidParameterError
from steppe_geo.parcels import candidate_regions, grow_regions, rank_parcels


def _score(grid):
    s = np.full(grid.shape, 0.1)
    s[2:6, 2:7] = 0.9    # 20 pixels = 1.8 ha (30 m pixels: 0.09 ha each)
    s[20:22, 30:32] = 0.8  # 4 pixels = 0.36 ha
    s[30, 50] = 0.95     # single pixel
    s[3, 4] = 0.2        # a hole inside the first patch
    return grid.to_dataarray(s, name="score")


def test_candidate_regions_threshold_min_area_and_sieve(small_grid):
    score = _score(small_grid)
    reg = candidate_regions(score, threshold=0.5)
    assert len(reg) == 3
    np.testing.assert_allclose(sorted(reg["area_ha"]), [0.09, 0.36, 1.71])  # 19 pixels (hole)
    reg = candidate_regions(score, threshold=0.5, min_area_ha=0.2)
    assert len(reg) == 2
    # Sieving at 2 pixels removes the single pixel and fills the 1-pixel hole (20 pixels).
    sieved = candidate_regions(score, threshold=0.5, sieve_pixels=2)
    np.testing.assert_allclose(sorted(sieved["area_ha"]), [0.36, 1.8])
    # The filled hole pixel is in the polygon: mean = (19 * 0.9 + 0.2) / 20.
    big = sieved.loc[sieved["area_ha"].idxmax()]
    assert big["score_mean"] == pytest.approx((19 * 0.9 + 0.2) / 20)


def test_candidate_regions_eligible_and_attributes(small_grid):
    score = _score(small_grid)
    elig = np.ones(small_grid.shape, dtype=bool)
    elig[20:22, 30:32] = False
    other = small_grid.to_dataarray(np.full(small_grid.shape, 7.0))
    reg = candidate_regions(score, threshold=0.5, eligible=small_grid.to_dataarray(elig),
                            attributes={"wind": other})
    assert len(reg) == 2 and (reg["wind_mean"] == 7.0).all()
    with pytest.raises(EmptyLayerError, match=r"no region met the criteria \(threshold / minimum area\)"):
        candidate_regions(score, threshold=2.0)
    with pytest.raises(InvalidParameterError, match=r"connectivity must be 4 or 8, got 6"):
        candidate_regions(score, threshold=0.5, connectivity=6)
    with pytest.raises(InvalidParameterError, match=r"sieve_pixels must be an integer >= 1, got 0"):
        candidate_regions(score, threshold=0.5, sieve_pixels=0)
    with pytest.raises(InvalidParameterError, match=r"attributes: the name 'score' is taken"):
        candidate_regions(score, threshold=0.5, attributes={"score": other})


def test_grow_regions_spacing_and_count(small_grid, rng):
    s = rng.random(small_grid.shape)
    score = small_grid.to_dataarray(s)
    reg = grow_regions(score, region_area_ha=0.9, n_regions=4, min_spacing_m=100)
    assert len(reg) == 4
    np.testing.assert_allclose(reg["area_ha"], 0.9)  # 10 pixels each
    # Region 1 contains the best pixel of the raster.
    r, c = np.unravel_index(np.argmax(s), s.shape)
    x, y = small_grid.x_coords()[c], small_grid.y_coords()[r]
    assert reg.loc[1].geometry.contains(shapely.Point(x, y))
    geoms = list(reg.geometry)
    for i in range(4):
        for j in range(i + 1, 4):
            assert geoms[i].distance(geoms[j]) >= 100  # edge to edge (shapely)
    # No cap: a total area target keeps adding regions.
    many = grow_regions(score, region_area_ha=0.09, total_area_ha=2.7)
    assert len(many) == 30
    with pytest.raises(InvalidParameterError, match=r"region_area_ha must be a finite number > 0, got 0"):
        grow_regions(score, region_area_ha=0)
    with pytest.raises(InvalidParameterError, match=r"n_regions must be an integer >= 1, got 0"):
        grow_regions(score, region_area_ha=1, n_regions=0)
    with pytest.raises(InvalidParameterError, match=r"min_spacing_m must be a finite number >= 0, got -5"):
        grow_regions(score, region_area_ha=1, min_spacing_m=-5)
    with pytest.raises(InvalidParameterError, match=r"total_area_ha must be a finite number > 0, got -1"):
        grow_regions(score, region_area_ha=1, total_area_ha=-1)


def _pixel_boxes(grid, mask):
    """Shapely boxes of the pixels where ``mask`` is True (independent of rasterio)."""
    rows, cols = np.nonzero(mask)
    t = grid.transform
    return [shapely.box(t.c + c * t.a, t.f + (r + 1) * t.e, t.c + (c + 1) * t.a, t.f + r * t.e)
            for r, c in zip(rows, cols, strict=True)]


def test_sieve_never_puts_ineligible_pixels_in_a_region(small_grid):
    score = _score(small_grid)
    elig = np.ones(small_grid.shape, dtype=bool)
    elig[3, 4] = False  # the 1-pixel hole of the first patch is ineligible
    reg = candidate_regions(score, threshold=0.5, sieve_pixels=2, eligible=small_grid.to_dataarray(elig))
    big = reg.loc[reg["area_ha"].idxmax()]
    assert big["area_ha"] == pytest.approx(19 * 0.09)  # the hole stays a hole
    hole = _pixel_boxes(small_grid, ~elig)[0]
    assert big.geometry.intersection(hole).area == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(reg["eligible_area_ha"], reg["area_ha"])
    assert big["score_mean"] == pytest.approx(0.9)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.bool_, (9, 11)), st.sampled_from([4, 8]), st.sampled_from([None, 2, 3]))
def test_region_polygons_are_valid_and_exact(mask, connectivity, sieve):
    """Random masks: valid (Multi)Polygons covering exactly the region pixels (shapely boxes)."""
    grid = sg.Grid.from_bounds((400_000, 4_430_000, 401_100, 4_430_900), crs="EPSG:32649", resolution_m=100)
    if not mask.any():
        return
    score = grid.to_dataarray(np.where(mask, 1.0, 0.0))
    try:
        reg = candidate_regions(score, threshold=0.5, connectivity=connectivity, sieve_pixels=sieve)
    except EmptyLayerError:
        assert sieve is not None  # sieving may remove every patch
        return
    assert reg.geometry.is_valid.all()
    assert set(reg.geom_type) <= {"Polygon", "MultiPolygon"}
    # Without sieving the regions are exactly the mask's pixels, each pixel in one region.
    if sieve is None:
        truth = shapely.union_all(_pixel_boxes(grid, mask))
        assert shapely.union_all(list(reg.geometry)).symmetric_difference(truth).area < 1e-6
        assert reg["area_ha"].sum() == pytest.approx(mask.sum())  # 1 ha pixels, no overlaps
        if connectivity == 4:  # a 4-connected region is one polygon
            assert (reg.geom_type == "Polygon").all()


def test_sample_regions_are_valid_and_shapefile_reads_back_clean(tmp_path):
    """Top-quintile regions of the sample wind speed: valid, and the shapefile reads back without warnings."""
    from steppe_geo import io

    paths = sg.datasets.sample_paths()
    grid = sg.datasets.sample_grid(resolution_m=250.0)
    wind = sg.read_raster(paths["wind_speed_100m"], grid=grid)
    finite = np.asarray(wind.values)[np.isfinite(np.asarray(wind.values))]
    reg = candidate_regions(wind, threshold=float(np.quantile(finite, 0.8)))
    assert len(reg) > 5 and reg.geometry.is_valid.all()
    shp = io.write_shapefile_zip(reg, tmp_path / "regions.zip")
    back = gpd.read_file(shp)  # warnings are errors: no "ring self-intersection" from GDAL
    assert back.geometry.is_valid.all() and len(back) == len(reg)
    gpkg = io.write_vector(reg, tmp_path / "regions.gpkg")
    assert pyogrio.read_info(gpkg)["features"] == len(reg)


def test_regions_rank_like_parcels(small_grid, rng):
    """candidate_regions(..., attributes=criteria) then rank_parcels gives score, contributions, capacity."""
    a, b = rng.random(small_grid.shape), rng.random(small_grid.shape)
    b[:5, :] = np.nan
    elig = rng.random(small_grid.shape) > 0.2
    crit = {"a": small_grid.to_dataarray(a), "b": small_grid.to_dataarray(b)}
    wlc = np.where(elig, 0.4 * a + 0.6 * b, np.nan)  # NaN where ineligible or a criterion is NaN
    score = small_grid.to_dataarray(wlc)
    reg = candidate_regions(score, threshold=0.6, eligible=small_grid.to_dataarray(elig), attributes=crit,
                            min_area_ha=0.3)
    ranked = rank_parcels(reg, weights={"a": 2, "b": 3}, technology="solar", capacity_factor=0.2)
    assert len(ranked) == len(reg) >= 2
    np.testing.assert_allclose(ranked["score"], ranked["score_mean"], rtol=1e-12)
    np.testing.assert_allclose(ranked["contrib_a"] + ranked["contrib_b"], ranked["score"], rtol=1e-12)
    np.testing.assert_allclose(ranked["capacity_mw"], ranked["area_ha"] / 100 * 36)
    assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
    assert (ranked["capacity_basis"] == "DC").all() and ranked.index.name == "region_id"
    # Without an eligibility layer the regions still carry eligible_area_ha (pixels with a score).
    plain = candidate_regions(score, threshold=0.6, attributes=crit, min_area_ha=0.3)
    np.testing.assert_allclose(plain["eligible_area_ha"], plain["area_ha"])
    again = rank_parcels(plain, weights={"a": 2, "b": 3}, technology="wind")
    np.testing.assert_allclose(again["capacity_mw"], again["area_ha"] / 100 * 3)


def _grid100(shape, res=100):
    """A grid of ``shape`` (rows, cols) with pixels of ``res`` (or (x_res, y_res)) metres."""
    xres, yres = (res, res) if np.isscalar(res) else res
    bounds = (400_000, 4_430_000, 400_000 + shape[1] * xres, 4_430_000 + shape[0] * yres)
    return sg.Grid.from_bounds(bounds, crs="EPSG:32649", resolution_m=(xres, yres))


def test_spacing_hand_cases():
    """1-pixel regions, 100 m pixels, score decreasing along a row; gaps worked out by hand."""
    grid = _grid100((1, 12))
    score = grid.to_dataarray(np.linspace(1.0, 0.0, 12)[None, :])
    # spacing 250 m: columns 1-3 are at gaps 0, 100, 200 m (< 250) -> next region at column 4 (gap 300 m).
    reg = grow_regions(score, region_area_ha=1, min_spacing_m=250)
    assert [round(g.bounds[0]) - 400_000 for g in reg.geometry] == [0, 400, 800]
    # spacing 300 m: a gap of exactly 300 m is allowed -> columns 0, 4, 8 again.
    reg = grow_regions(score, region_area_ha=1, min_spacing_m=300)
    assert [round(g.bounds[0]) - 400_000 for g in reg.geometry] == [0, 400, 800]
    # Diagonal: best pixel (0, 0), next best (2, 2) is 141.4 m away corner to corner (< 150 m),
    # then (2, 3) at hypot(100, 200) = 223.6 m.
    grid = _grid100((4, 4))
    s = np.zeros((4, 4))
    s[0, 0], s[2, 2], s[2, 3] = 1.0, 0.9, 0.8
    reg = grow_regions(grid.to_dataarray(s), region_area_ha=1, n_regions=2, min_spacing_m=150)
    got = [g.bounds[:2] for g in reg.geometry]
    assert got == [(400_000, 4_430_300), (400_300, 4_430_100)]
    assert reg.geometry.iloc[0].distance(reg.geometry.iloc[1]) == pytest.approx(np.hypot(100, 200))


@pytest.mark.parametrize("res", [100, (100, 50), (40, 100)])
@pytest.mark.parametrize("spacing", [150, 250, 500])
def test_spacing_is_edge_to_edge(res, spacing):
    grid = _grid100((30, 40), res)
    s = np.random.default_rng(7).random(grid.shape)
    px_ha = grid.pixel_area_m2 / 1e4
    reg = grow_regions(grid.to_dataarray(s), region_area_ha=6 * px_ha, min_spacing_m=spacing)
    assert len(reg) >= 4 and reg.geometry.is_valid.all()
    geoms = list(reg.geometry)
    gaps = [geoms[i].distance(geoms[j]) for i in range(len(geoms)) for j in range(i + 1, len(geoms))]
    assert min(gaps) >= spacing  # shapely, between the region polygons
    # Not more conservative than needed: region 2 grows from the best pixel whose square is at
    # least the spacing away from region 1 (shapely distance of every pixel square).
    two = grow_regions(grid.to_dataarray(s), region_area_ha=6 * px_ha, min_spacing_m=spacing, n_regions=2)
    boxes = np.array(_pixel_boxes(grid, np.ones(grid.shape, dtype=bool)), dtype=object)
    d = shapely.distance(two.geometry.iloc[0], boxes).reshape(grid.shape)
    best = int(np.argmax(np.where(d >= spacing, s, -1.0)))
    assert two.geometry.iloc[1].contains(boxes[best].centroid)


def test_total_area_is_not_overshot(small_grid, rng):
    score = small_grid.to_dataarray(rng.random(small_grid.shape))
    # 30 m pixels = 0.09 ha; regions of 10 pixels; 2.5 regions -> 25 pixels = 2.25 ha.
    reg = grow_regions(score, region_area_ha=0.9, total_area_ha=2.25, min_spacing_m=60)
    np.testing.assert_allclose(reg["area_ha"], [0.9, 0.9, 0.45])
    # A total that is not a whole number of pixels is rounded up to one: 2.2 ha -> 25 pixels.
    reg = grow_regions(score, region_area_ha=0.9, total_area_ha=2.2)
    assert reg["area_ha"].sum() == pytest.approx(2.25)
    # The area still missing (5 pixels) is below min_area_ha (6 pixels): stop at two regions.
    reg = grow_regions(score, region_area_ha=0.9, total_area_ha=2.25, min_area_ha=0.54)
    np.testing.assert_allclose(reg["area_ha"], [0.9, 0.9])


def test_fractional_eligibility_weights_region_area(small_grid):
    """Availability 0.5 everywhere (e.g. half of each pixel buildable): eligible area is half the area."""
    score = _score(small_grid)
    half = small_grid.to_dataarray(np.full(small_grid.shape, 0.5))
    reg = candidate_regions(score, threshold=0.5, eligible=half)
    np.testing.assert_allclose(reg["eligible_area_ha"], 0.5 * reg["area_ha"])
    np.testing.assert_allclose(sorted(reg["area_ha"]), [0.09, 0.36, 1.71])
