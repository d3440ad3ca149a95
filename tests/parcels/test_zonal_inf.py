"""zonal_stats keeps a genuine ±inf minimum or maximum (issue 14, a peer-suite finding)."""

import warnings

import exactextract
import geopandas as gpd
import numpy as np
import shapely

from steppe_geo.parcels import zonal_stats


def test_infinite_min_and_max_are_kept_and_match_exactextract(small_grid):
    x0, y0, _, _ = small_grid.bounds
    a = np.arange(np.prod(small_grid.shape), dtype=np.float64).reshape(small_grid.shape)
    a[5, 5] = -np.inf  # inside parcel 0 (rows 0..9, cols 0..9)
    a[25, 35] = np.inf  # inside parcel 1 (rows 21..30, cols 30..39)
    da = small_grid.to_dataarray(a, name="a")
    parcels = gpd.GeoDataFrame(
        {"pid": [0, 1, 2]},
        geometry=[shapely.box(x0, small_grid.bounds[3] - 300, x0 + 300, small_grid.bounds[3]),
                  shapely.box(x0 + 900, y0 + 300, x0 + 1200, y0 + 600),
                  shapely.box(x0 + 1500, y0, x0 + 1800, y0 + 300)],
        crs=small_grid.crs)
    got = zonal_stats(parcels, {"a": da}, stats=("min", "max"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = exactextract.exact_extract(da, parcels, ["min", "max"], output="pandas")
    # by hand: parcel 0 holds -inf, parcel 1 holds +inf, parcel 2 only finite values
    assert got["a_min"].iloc[0] == -np.inf
    assert got["a_max"].iloc[0] == a[:10, :10][np.isfinite(a[:10, :10])].max()
    assert np.isfinite(got["a_min"].iloc[1]) and got["a_max"].iloc[1] == np.inf
    assert np.isfinite(got[["a_min", "a_max"]].iloc[2]).all()
    np.testing.assert_array_equal(got["a_min"], ref["min"])
    np.testing.assert_array_equal(got["a_max"], ref["max"])


def test_parcel_without_valid_cells_still_has_nan_min_max(small_grid):
    da = small_grid.to_dataarray(np.full(small_grid.shape, np.nan), name="a")
    x0, y0, _, _ = small_grid.bounds
    parcels = gpd.GeoDataFrame(geometry=[shapely.box(x0, y0, x0 + 300, y0 + 300)], crs=small_grid.crs)
    got = zonal_stats(parcels, {"a": da}, stats=("min", "max"))
    assert np.isnan(got["a_min"].iloc[0]) and np.isnan(got["a_max"].iloc[0])
