"""Integration: sample parcels over sample rasters, means vs exactextract on the same files."""

from __future__ import annotations

from pathlib import Path

import exactextract
import numpy as np
import pytest
import rasterio
import xarray as xr

import steppe_geo as sg
from steppe_geo.errors import InvalidGeometryWarning
from steppe_geo.parcels import rank_parcels, zonal_stats


def _geotiff(da: xr.DataArray, grid: sg.Grid, path: Path) -> Path:
    """The aligned layer as a plain float64 GeoTIFF (NaN nodata), written with rasterio itself.

    exactextract reads a file through GDAL one window per feature; given the DataArray it slices
    xarray for each of the thousand parcels instead, 99 % of this test's time (same pixels).
    """
    with rasterio.open(path, "w", driver="GTiff", width=grid.shape[1], height=grid.shape[0], count=1,
                       dtype="float64", crs=grid.crs, transform=grid.transform, nodata=np.nan) as ds:
        ds.write(np.asarray(da.values, dtype=np.float64), 1)
    return path


def test_sample_parcels_match_exactextract(tmp_path):
    paths = sg.datasets.sample_paths()
    grid = sg.datasets.sample_grid(resolution_m=250.0)
    wind = sg.read_raster(paths["wind_speed_100m"], grid=grid)
    with pytest.warns(InvalidGeometryWarning, match="repaired"):  # the sample has a few on purpose
        parcels = sg.read_vector(paths["parcels"], crs=grid.crs, aoi=grid)
    # GHI is given as a path: zonal_stats reads it onto the grid through steppe_geo.io.
    z = zonal_stats(parcels, {"wind": wind, "ghi": paths["ghi"]}, stats=("mean", "area"), grid=grid)
    ghi = sg.read_raster(paths["ghi"], grid=grid)
    ref_ghi = exactextract.exact_extract(_geotiff(ghi, grid, tmp_path / "ghi.tif"), parcels, ["mean"],
                                         output="pandas")["mean"].to_numpy()
    ok = np.isfinite(ref_ghi)
    assert ok.sum() > 0.9 * len(parcels)  # the comparison covers (nearly) every parcel
    np.testing.assert_allclose(z["ghi_mean"].to_numpy()[ok], ref_ghi[ok], rtol=1e-6)
    ref = exactextract.exact_extract(_geotiff(wind, grid, tmp_path / "wind.tif"), parcels, ["mean"],
                                     output="pandas")
    finite = np.isfinite(ref["mean"].to_numpy())
    assert finite.sum() > 0.9 * len(parcels)
    np.testing.assert_allclose(z["wind_mean"].to_numpy()[finite], ref["mean"].to_numpy()[finite], rtol=1e-6)
    ranked = rank_parcels(z, weights={"wind": 1, "ghi": 1}, eligible_area_column=None)
    assert ranked["rank"].min() == 1 and len(ranked) == len(parcels)
