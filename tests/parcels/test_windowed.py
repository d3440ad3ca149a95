"""Windowed parcel building blocks against their whole-grid counterparts (issue 12, parcels stage).

References: ``numpy.quantile`` for the windowed quantile; ``candidate_regions`` and
``parcel_pixels``/``zonal_stats`` on the whole grid (exactextract coverage) for the windowed
regions and the chunked statistics; hand-made parcels with known bounds for the chunking.
"""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import ndimage

import steppe_geo as sg
from steppe_geo.errors import EmptyLayerError, GeometryTypeError, InvalidParameterError
from steppe_geo.io import open_lazy, write_raster
from steppe_geo.parcels import (
    ParcelPixels,
    candidate_regions,
    coverage_matrix,
    parcel_chunks,
    parcel_pixels,
    split_at_tiles,
    zonal_stats,
)
from steppe_geo.parcels.regions import candidate_regions_windowed, windowed_quantile

WINDOW = 13  # many window edges on the 40 x 60 grid, ragged last windows


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 2, 3, 17, 1000])
def test_windowed_quantile_equals_numpy(small_grid, rng, dtype, n):
    # reference: numpy.quantile (default "linear", Hyndman & Fan definition 7) on the finite values
    values = np.full(small_grid.shape, np.nan, dtype=dtype)
    cells = rng.choice(values.size, n, replace=False)
    values.ravel()[cells] = (rng.normal(size=n) * 10).astype(dtype)
    values.ravel()[cells[: n // 3]] = 0.5  # ties
    if n > 3:
        values.ravel()[cells[-1]] = -0.0
    da = small_grid.to_dataarray(values)
    for q in (0.0, 0.2, 0.5, 0.8, 0.999, 1.0):
        expected = float(np.quantile(values[np.isfinite(values)], q))
        assert windowed_quantile(da, q, window=WINDOW) == expected, q


def test_windowed_quantile_reads_a_file_lazily_and_refuses_bad_input(small_grid, rng, tmp_path):
    values = rng.random(small_grid.shape).astype(np.float32)
    values[:5] = np.nan
    write_raster(small_grid.to_dataarray(values, name="score"), tmp_path / "score.tif")
    lazy = open_lazy(tmp_path / "score.tif")
    assert windowed_quantile(lazy, 0.8, window=7) == float(np.quantile(values[np.isfinite(values)], 0.8))
    assert np.isnan(windowed_quantile(small_grid.to_dataarray(np.full(small_grid.shape, np.nan)), 0.8,
                                      window=7))
    with pytest.raises(InvalidParameterError, match=r"q must be a number in \[0, 1\], got 80"):
        windowed_quantile(lazy, 80, window=7)


def _score(small_grid, rng):
    values = ndimage.gaussian_filter(rng.random(small_grid.shape), 2.5).astype(np.float32)
    values[rng.random(small_grid.shape) < 0.03] = np.nan
    eligible = rng.random(small_grid.shape) > 0.08
    return small_grid.to_dataarray(values, name="score"), small_grid.to_dataarray(eligible, name="eligible")


@pytest.mark.parametrize("connectivity", [4, 8])
def test_windowed_regions_equal_whole_grid_regions(small_grid, rng, tmp_path, connectivity):
    # reference: candidate_regions on the whole grid (ndimage.label, one polygonisation)
    score, eligible = _score(small_grid, rng)
    write_raster(score, tmp_path / "score.tif")
    threshold = float(np.nanquantile(score.values, 0.6))
    attrs = {"twice": score * 2}
    whole = candidate_regions(score, threshold=threshold, eligible=eligible, min_area_ha=0.36,
                              connectivity=connectivity, attributes=attrs)
    windowed = candidate_regions_windowed(open_lazy(tmp_path / "score.tif"), threshold=threshold,
                                          eligible=eligible, min_area_ha=0.36, connectivity=connectivity,
                                          attributes=attrs, window=WINDOW)
    assert len(whole) >= 5
    assert list(windowed.index) == list(whole.index)  # same ids, same order (by score)
    assert list(windowed.columns) == list(whole.columns)
    for a, b in zip(whole.geometry, windowed.geometry, strict=True):
        assert a.equals(b) and a.area == pytest.approx(b.area, rel=1e-12)
    for col in whole.columns.drop("geometry"):
        np.testing.assert_allclose(windowed[col].to_numpy(float), whole[col].to_numpy(float), rtol=0,
                                   atol=1e-9, err_msg=col)
    # some region crosses window edges: the merge across edges was needed
    edges = np.arange(WINDOW, max(small_grid.shape), WINDOW) * 30.0
    x0, _, _, y1 = small_grid.bounds
    crossing = [g for g in whole.geometry
                if any(g.bounds[0] < x0 + e < g.bounds[2] for e in edges)
                and any(g.bounds[1] < y1 - e < g.bounds[3] for e in edges)]
    assert crossing


def test_windowed_regions_refuse_like_whole_grid_regions(small_grid, rng):
    score, eligible = _score(small_grid, rng)
    with pytest.raises(EmptyLayerError, match="no region met the criteria"):
        candidate_regions_windowed(score, threshold=2.0, eligible=eligible, window=WINDOW)
    with pytest.raises(InvalidParameterError, match="connectivity must be 4 or 8"):
        candidate_regions_windowed(score, threshold=0.5, connectivity=6, window=WINDOW)
    with pytest.raises(InvalidParameterError, match="'score' is taken"):
        candidate_regions_windowed(score, threshold=0.0, attributes={"score": score}, window=WINDOW)


def _parcels(small_grid, rng, n=40):
    x0, y0, x1, y1 = small_grid.bounds
    geoms = []
    for _ in range(n):
        w, h = rng.uniform(40, 400, 2)
        x, y = rng.uniform(x0 - 30, x1 - w + 30), rng.uniform(y0 - 30, y1 - h + 30)
        geoms.append(shapely.box(x, y, x + w, y + h).intersection(shapely.box(x0, y0, x1, y1)))
    geoms.append(shapely.box(x0 + 10, y0 + 10, x1 - 10, y1 - 10))  # larger than a window: a chunk alone
    return gpd.GeoDataFrame({"pid": [f"p{i}" for i in range(len(geoms))]}, geometry=geoms,
                            crs=small_grid.crs)


def test_parcel_chunks_cover_every_parcel_once_with_its_bounds(small_grid, rng):
    parcels = _parcels(small_grid, rng)
    chunks = parcel_chunks(parcels, small_grid, WINDOW)
    positions = np.concatenate([pos for pos, _ in chunks])
    assert sorted(positions.tolist()) == list(range(len(parcels)))
    for pos, win in chunks:
        wb = shapely.box(*sg.Grid.bounds.fget(small_grid.window_grid(win)))
        assert all(wb.contains(g) or wb.contains(g.intersection(shapely.box(*small_grid.bounds)))
                   for g in parcels.geometry.iloc[pos])
    alone = [pos for pos, _ in chunks if len(parcels) - 1 in pos]
    assert [p.tolist() for p in alone] == [[len(parcels) - 1]]
    assert len(chunks) > 4
    with pytest.raises(InvalidParameterError, match="size: chunk tile size must be an integer >= 1"):
        parcel_chunks(parcels, small_grid, 0)
    with pytest.raises(InvalidParameterError, match="must be in the grid's CRS"):
        parcel_chunks(parcels.to_crs("EPSG:32650"), small_grid, WINDOW)
    broken = parcels.copy()
    broken.loc[3, "geometry"] = shapely.Polygon()
    with pytest.raises(GeometryTypeError, match=r"1 of 41 parcels .* empty geometry \(positions \[3\]"):
        parcel_chunks(broken, small_grid, WINDOW)


def test_pieces_cut_at_tile_lines_add_up_to_the_polygon_cell_for_cell(small_grid, rng):
    # reference: exactextract's coverage of the whole polygons (coverage_matrix); a cell's coverage
    # by the pieces of a polygon must add up to its coverage by the polygon, because the cuts run
    # along cell edges -- for pixel-aligned and for arbitrary (rotated, holed) polygons alike
    x0, y0, x1, y1 = small_grid.bounds
    polys = [
        shapely.box(x0 + 30, y0 + 60, x1 - 90, y1 - 30),                          # most of the grid
        shapely.affinity.rotate(shapely.box(x0 + 200, y0 + 100, x0 + 1500, y0 + 700), 27),
        shapely.box(x0 + 100, y0 + 100, x0 + 400, y0 + 500).difference(
            shapely.box(x0 + 200, y0 + 200, x0 + 300, y0 + 300)),                # a hole
        shapely.box(x0 + 30, y0 + 30, x0 + 90, y0 + 90),                           # fits a tile
        shapely.Point(x0 + 900, y0 + 600).buffer(400, quad_segs=3),                # crosses the edge
    ]
    parcels = gpd.GeoDataFrame({"name": list("abcde")}, geometry=polys, crs=small_grid.crs)
    pieces, owner = split_at_tiles(parcels, small_grid, WINDOW)
    assert owner.tolist() == sorted(owner.tolist()) and set(owner.tolist()) == set(range(len(parcels)))
    assert pieces["name"].tolist() == [parcels["name"].iloc[i] for i in owner]
    assert (np.bincount(owner) > 1).tolist() == [True, True, True, False, True]
    assert pieces.geometry.iloc[np.flatnonzero(owner == 3)[0]].equals(polys[3])  # unchanged
    for _, win in parcel_chunks(pieces, small_grid, WINDOW):
        assert win.width <= WINDOW + 2 and win.height <= WINDOW + 2
    on_grid = parcels.set_geometry(parcels.geometry.intersection(shapely.box(*small_grid.bounds)))
    whole = coverage_matrix(on_grid, small_grid).matrix
    cut = coverage_matrix(pieces, small_grid).matrix
    joined = np.zeros(whole.shape)
    np.add.at(joined, owner, cut.toarray())
    np.testing.assert_allclose(joined, whole.toarray(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(np.bincount(owner, weights=pieces.area), on_grid.area, rtol=1e-12)
    with pytest.raises(InvalidParameterError, match="size: tile size must be an integer >= 1"):
        split_at_tiles(parcels, small_grid, 0)
    with pytest.raises(InvalidParameterError, match="must be in the grid's CRS"):
        split_at_tiles(parcels.to_crs("EPSG:32650"), small_grid, WINDOW)


def test_chunked_statistics_and_pixels_equal_the_whole_grid(small_grid, rng):
    # reference: zonal_stats / parcel_pixels with the coverage of the whole grid (exactextract)
    parcels = _parcels(small_grid, rng)
    score, eligible = _score(small_grid, rng)
    crit = {"a": score, "b": small_grid.to_dataarray(rng.random(small_grid.shape))}
    whole = zonal_stats(parcels, crit, eligible=eligible, stats=("mean", "std", "min", "max", "count"),
                        require_all_valid=True)
    whole_px = parcel_pixels(parcels, crit, eligible=eligible)
    tables, parts = [], []
    for pos, win in parcel_chunks(parcels, small_grid, WINDOW):
        rows, cols = win.toslices()
        sub = {k: v.isel(y=rows, x=cols) for k, v in crit.items()}
        sub_e = eligible.isel(y=rows, x=cols)
        cov = coverage_matrix(parcels.iloc[pos], small_grid.window_grid(win))
        tables.append(zonal_stats(parcels.iloc[pos], sub, eligible=sub_e, coverage=cov,
                                  stats=("mean", "std", "min", "max", "count"), require_all_valid=True))
        parts.append((pos, win, parcel_pixels(parcels.iloc[pos], sub, eligible=sub_e, coverage=cov)))
    chunked = pd.concat(tables).loc[parcels.index]
    for col in whole.columns.drop(["geometry", "pid"]):
        np.testing.assert_allclose(chunked[col].to_numpy(float), whole[col].to_numpy(float), rtol=0,
                                   atol=1e-9, err_msg=col)
    joined = ParcelPixels.from_chunks(parts, parcels.index, small_grid)
    assert joined.index.equals(whole_px.index) and joined.criteria == whole_px.criteria
    np.testing.assert_array_equal(joined.area_ha, whole_px.area_ha)
    np.testing.assert_array_equal(joined.means(joined.values), whole_px.means(whole_px.values))
    # the joined cells are cells of the whole grid holding the same values
    flat = crit["a"].values.ravel()
    np.testing.assert_array_equal(joined.values[:, 0], flat[joined.cells])
    with pytest.raises(InvalidParameterError, match="cover the 41 parcels once each"):
        ParcelPixels.from_chunks(parts[1:], parcels.index, small_grid)
