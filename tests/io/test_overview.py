"""Tests for steppe_geo.io.overview: decimated reads for maps, against numpy references."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

import steppe_geo as sg
from steppe_geo.errors import InputNotFoundError, InvalidParameterError
from steppe_geo.io import decimated_shape, read_decimated, read_window, tiled_writer, write_raster

GRID = sg.Grid("EPSG:32649", Affine(30, 0, 400_000, 0, -30, 4_431_200), (60, 90))


def _continuous(rng):
    values = rng.uniform(0, 1, GRID.shape).astype(np.float32)
    values[5:9, 10:14] = np.nan  # one 3 x 3 block holds a NaN pixel, another is partly NaN
    values[0:3, 0:3] = np.nan  # a whole block without data
    return values


def test_average_decimation_is_the_block_mean_ignoring_nodata(tmp_path, rng):
    values = _continuous(rng)
    path = write_raster(GRID.to_dataarray(values, name="score"), tmp_path / "score.tif")
    got = read_decimated(path, max_pixels=30)  # 60 x 90 -> factor 3 -> 20 x 30
    # reference: numpy mean of each 3 x 3 block over its valid pixels (NaN where none is)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        ref = np.nanmean(values.reshape(20, 3, 30, 3), axis=(1, 3))
    assert got.shape == (20, 30) and got.attrs["decimation"] == 3.0
    np.testing.assert_allclose(got.values, ref, rtol=1e-6, equal_nan=True)
    assert np.isnan(got.values[0, 0])
    # the reduced grid covers the same extent with 90 m pixels
    assert got.rio.transform() == Affine(90, 0, 400_000, 0, -90, 4_431_200)
    assert got.rio.crs.to_epsg() == 32649


def test_nearest_decimation_takes_the_pixel_under_each_output_centre(tmp_path):
    # a bitmask whose value is its own position: the output pixel i's centre lies at source
    # coordinate (i + 0.5) * f, in source pixel floor((i + 0.5) * f) = 1, 4, 7, ... for f = 3
    codes = np.arange(GRID.rows * GRID.cols, dtype=np.uint32).reshape(GRID.shape)
    path = tmp_path / "codes.tif"
    with tiled_writer(path, GRID, dtype="uint32", nodata=None, tags={"STEPPE_GEO_KIND": "categorical"}) as ds:
        ds.write(codes[np.newaxis])
    got = read_decimated(path, max_pixels=30)
    rows, cols = np.arange(20) * 3 + 1, np.arange(30) * 3 + 1
    np.testing.assert_array_equal(got.values, codes[np.ix_(rows, cols)])
    assert got.dtype == np.uint32 and got.attrs["kind"] == "categorical"


def test_a_raster_that_fits_is_read_whole_and_unchanged(tmp_path, rng):
    values = _continuous(rng)
    path = write_raster(GRID.to_dataarray(values, name="score"), tmp_path / "score.tif")
    got = read_decimated(path)  # 90 <= 2000: no decimation
    ref = read_window(path)
    assert got.attrs["decimation"] == 1.0
    np.testing.assert_array_equal(got.values, ref.values)
    assert got.rio.transform() == GRID.transform


def test_decimated_shape_and_errors(tmp_path):
    # factor = ceil(longest side / max_pixels); each side ceil(side / factor)
    assert decimated_shape(60, 90, max_pixels=30) == (20, 30)
    assert decimated_shape(61, 91, max_pixels=30) == (16, 23)  # factor 4: ceil(61/4), ceil(91/4)
    assert decimated_shape(10, 10, max_pixels=30) == (10, 10)
    with pytest.raises(InvalidParameterError, match="max_pixels must be an integer > 0, got 0"):
        decimated_shape(10, 10, max_pixels=0)
    with pytest.raises(InputNotFoundError, match="not found"):
        read_decimated(tmp_path / "missing.tif")
    stack = GRID.to_dataarray(np.zeros((2, *GRID.shape), dtype=np.float32), name="stack")
    path = write_raster(stack, tmp_path / "stack.tif")
    with pytest.raises(InvalidParameterError, match=r"reads one band; .* has 2"):
        read_decimated(path)
    single = write_raster(GRID.to_dataarray(np.zeros(GRID.shape, np.float32)), tmp_path / "one.tif")
    with pytest.raises(InvalidParameterError, match="resampling"):
        read_decimated(single, resampling="blur")


def test_decimated_read_of_a_cog_uses_its_overviews(tmp_path, rng):
    # a 1100 x 1100 COG has overviews (factor 2 and 4); reading it at <= 300 px gives the average of
    # the overview GDAL picks, still the same extent and close to the block mean of the full array
    grid = sg.Grid("EPSG:32649", Affine(30, 0, 400_000, 0, -30, 4_431_200), (1100, 1100))
    values = rng.uniform(0, 1, grid.shape).astype(np.float32)
    path = write_raster(grid.to_dataarray(values, name="score"), tmp_path / "big.tif")
    with rasterio.open(path) as ds:
        assert ds.overviews(1) == [2, 4]
    got = read_decimated(path, max_pixels=275)  # factor 4 -> 275 x 275
    ref = values.reshape(275, 4, 275, 4).mean(axis=(1, 3))
    np.testing.assert_allclose(got.values, ref, rtol=1e-5)
