"""Integration: sample parcels over sample rasters, means vs exactextract on the same files."""

from __future__ import annotations

import exactextract
import numpy as np
import pytest

import steppe_geo as sg
from steppe_geo.errors import InvalidGeometryWarning
from steppe_geo.parcels import rank_parcels, zonal_stats


def test_sample_parcels_match_exactextract():
    paths = sg.datasets.sample_paths()
    grid = sg.datasets.sample_grid(resolution_m=250.0)
    wind = sg.read_raster(paths["wind_speed_100m"], grid=grid)
    with pytest.warns(InvalidGeometryWarning, match="repaired"):  # the sample has a few on purpose
        parcels = sg.read_vector(paths["parcels"], crs=grid.crs, aoi=grid)
    # GHI is given as a path: zonal_stats reads it onto the grid through steppe_geo.io.
    z = zonal_stats(parcels, {"wind": wind, "ghi": paths["ghi"]}, stats=("mean", "area"), grid=grid)
    ghi = sg.read_raster(paths["ghi"], grid=grid)
    ref_ghi = exactextract.exact_extract(ghi, parcels, ["mean"], output="pandas")["mean"].to_numpy()
    ok = np.isfinite(ref_ghi)
    np.testing.assert_allclose(z["ghi_mean"].to_numpy()[ok], ref_ghi[ok], rtol=1e-6)
    ref = exactextract.exact_extract(wind, parcels, ["mean"], output="pandas")
    finite = np.isfinite(ref["mean"].to_numpy())
    np.testing.assert_allclose(z["wind_mean"].to_numpy()[finite], ref["mean"].to_numpy()[finite], rtol=1e-6)
    ranked = rank_parcels(z, weights={"wind": 1, "ghi": 1}, eligible_area_column=None)
    assert ranked["rank"].min() == 1 and len(ranked) == len(parcels)
