"""The models stage's whole-grid parameters, computed window by window: the values of the whole grid."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

import steppe_geo as sg
from steppe_geo.criteria.vegetation import fvc_endmembers
from steppe_geo.datasets import sample_paths
from steppe_geo.errors import InvalidParameterError
from steppe_geo.io import align_to_file, read_raster, tiled_writer
from steppe_geo.models._derivation_layers import _time_mean
from steppe_geo.pipeline.evaluate import _ndvi_endmembers


def _endmembers(path, name, grid, window):
    st = path.stat()
    return _ndvi_endmembers(str(path), st.st_mtime_ns, st.st_size, name, grid, window)


def test_ndvi_endmembers_windowed_equal_whole_grid(tmp_path):
    # the sample NDVI stack (24 yearly bands) aligned at 2 km (about 28 x 40 pixels, NaN outside the
    # source), end-members from 7-pixel windows against fvc_endmembers on the whole time mean (memory
    # mode) and against numpy's nanpercentile of the per-pixel nanmean
    paths = sample_paths()
    grid = sg.Grid.for_area(gpd.read_file(paths["aoi"]), resolution_m=2000)
    aligned = align_to_file(paths["ndvi"], tmp_path / "ndvi.tif", grid=grid)
    whole = read_raster(paths["ndvi"], grid=grid)
    assert "time" in whole.dims and whole.sizes["time"] > 1
    expected = fvc_endmembers(_time_mean(whole))
    got = _endmembers(aligned, "ndvi", grid, 7)
    assert got == expected  # bitwise
    mean = np.nanmean(np.asarray(whole.values, dtype=np.float32), axis=0)
    np.testing.assert_allclose(got, np.nanpercentile(mean.astype(np.float64), [5, 95]), rtol=1e-6)
    assert got[0] < got[1]
    assert not any(p.name.startswith(".ndvi_mean-") for p in tmp_path.iterdir())  # temporary file gone


def test_ndvi_endmembers_without_valid_values(tmp_path):
    grid = sg.Grid.from_bounds((400_000, 4_430_000, 401_000, 4_431_000), crs="EPSG:32649", resolution_m=100)
    path = tmp_path / "ndvi_empty.tif"
    with tiled_writer(path, grid, dtype=np.float32, nodata=np.nan) as out:
        out.write(np.full((1, *grid.shape), np.nan, dtype=np.float32))
    with pytest.raises(InvalidParameterError, match=r"ndvi: no valid values .*'ndvi_empty'"):
        _endmembers(path, "ndvi_empty", grid, 4)
