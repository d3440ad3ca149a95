"""Tests for steppe_geo.align: in-memory alignment onto a grid (issue 14, item 3)."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import xarray as xr
from affine import Affine
from rasterio.enums import Resampling

import steppe_geo as sg
from steppe_geo.errors import InvalidParameterError, NonFiniteValuesWarning, SteppeGeoDeprecationWarning

SRC = sg.Grid("EPSG:32649", Affine(30, 0, 400_000, 0, -30, 4_431_200), (40, 60))
# another zone: a real reprojection (UTM 49N -> 50N), 45 m pixels over the same area
DST = sg.Grid.from_bounds((-112_200, 4_454_000, -110_600, 4_455_200), crs="EPSG:32650", resolution_m=45)
OLD = (r"read_raster\(da, grid=grid\) on an in-memory DataArray is deprecated .*"
       r"use steppe_geo\.align\(da, grid\)")


def _continuous() -> xr.DataArray:
    v = np.arange(SRC.shape[0] * SRC.shape[1], dtype=np.float32).reshape(SRC.shape) / 7
    v[3, 4], v[10, 10] = -9999.0, np.nan  # declared nodata, NaN
    return SRC.to_dataarray(v, name="wind", nodata=-9999.0)


def _classes() -> xr.DataArray:
    v = (np.arange(SRC.shape[0] * SRC.shape[1]).reshape(SRC.shape) // 97 % 5).astype(np.uint8)
    return SRC.to_dataarray(v, name="land_cover", nodata=0)


@pytest.mark.parametrize("case", ["continuous", "feet", "categorical", "coarsened", "nearest"])
def test_align_gives_bitwise_what_read_raster_onto_a_grid_gave(case):
    da, kwargs, grid = _continuous(), {}, DST
    if case == "feet":
        da = da.assign_attrs(units="ft")
    elif case == "categorical":
        da, kwargs = _classes(), {"kind": "categorical"}
    elif case == "coarsened":
        grid = sg.Grid("EPSG:32649", Affine(90, 0, 400_000, 0, -90, 4_431_200), (13, 20))  # average
    elif case == "nearest":
        kwargs = {"resampling": "nearest", "name": "w"}
    new = sg.align(da, grid, **kwargs)
    with pytest.warns(SteppeGeoDeprecationWarning, match=OLD):
        old = sg.read_raster(da, grid=grid, **kwargs)
    assert new.dtype == old.dtype and new.values.tobytes() == old.values.tobytes()
    assert new.identical(old)  # values, coordinates, name and attributes (units, kind, resampling)
    assert sg.Grid.from_dataarray(new).same_as(grid)
    if case == "feet":
        assert new.attrs["units"] == "ft"  # a DataArray's units are kept, as a file's are (no to_units)
    if case == "categorical":
        assert new.dtype == np.uint8 and new.attrs["resampling"] == "nearest"


def test_align_reads_infinities_as_nodata_like_read_raster():
    da = _continuous()
    da.values[0, :3] = [np.inf, -np.inf, np.inf]
    with pytest.warns(NonFiniteValuesWarning, match="3 infinite pixels"):
        new = sg.align(da, SRC)
    with pytest.warns(SteppeGeoDeprecationWarning, match=OLD), pytest.warns(NonFiniteValuesWarning):
        old = sg.read_raster(da, grid=SRC)
    assert np.isnan(new.values[0, :3]).all() and new.values.tobytes() == old.values.tobytes()


def test_align_matches_rioxarray_reproject_match_and_a_hand_calculation():
    # 4 x 4 pixels of 100 m averaged into 2 x 2 of 200 m: each is the mean of a 2 x 2 block
    fine = sg.Grid.from_bounds((500_000, 4_400_000, 500_400, 4_400_400), crs="EPSG:32649", resolution_m=100)
    coarse = sg.Grid.from_bounds(fine.bounds, crs=fine.crs, resolution_m=200)
    da = fine.to_dataarray(np.arange(16, dtype=np.float32).reshape(4, 4))
    out = sg.align(da, coarse)
    # by hand: (0 + 1 + 4 + 5) / 4 = 2.5, (2 + 3 + 6 + 7) / 4 = 4.5, (8 + 9 + 12 + 13) / 4 = 10.5, 12.5
    assert out.values.tolist() == [[2.5, 4.5], [10.5, 12.5]] and out.attrs["resampling"] == "average"
    ref = da.rio.reproject_match(coarse.to_dataarray(np.zeros(coarse.shape, np.float32)),
                                 resampling=Resampling.average)
    np.testing.assert_array_equal(out.values, ref.values)


def test_align_reprojects_a_linear_field_as_gdal_and_pyproj_say():
    # f = 0.01 x + 0.02 y (x, y in metres in UTM 49N) onto 20 m pixels in UTM 50N. Bilinear interpolation
    # of a linear field is exact, so each target pixel is f at its centre transformed to UTM 49N by pyproj,
    # up to GDAL's approximate transformer (error threshold 0.125 source pixel = 3.75 m, i.e. at most
    # 3.75 m x |grad f| = 3.75 x 0.0224 = 0.084; measured here: 4.5e-5) and float32 rounding; rioxarray
    # (GDAL warp) agrees with it to float32 precision
    dst = sg.Grid.from_bounds((-112_200, 4_454_000, -110_600, 4_455_200), crs="EPSG:32650", resolution_m=20)
    rows, cols = np.indices(SRC.shape)
    x, y = SRC.transform * (cols + 0.5, rows + 0.5)
    da = SRC.to_dataarray((0.01 * (x - 400_000) + 0.02 * (y - 4_430_000)).astype(np.float64))
    out = sg.align(da, dst, resampling="bilinear")
    r, c = np.indices(dst.shape)
    tx, ty = dst.transform * (c + 0.5, r + 0.5)
    sx, sy = pyproj.Transformer.from_crs(dst.crs, SRC.crs, always_xy=True).transform(tx, ty)
    expected = 0.01 * (sx - 400_000) + 0.02 * (sy - 4_430_000)
    src_col, src_row = ~SRC.transform * (sx, sy)  # away from the source's edges: four neighbours inside
    inner = (src_col > 1) & (src_col < SRC.shape[1] - 1) & (src_row > 1) & (src_row < SRC.shape[0] - 1)
    assert inner.sum() > 1000 and np.isfinite(out.values[inner]).all()
    np.testing.assert_allclose(out.values[inner], expected[inner], atol=1e-3)
    ref = da.rio.reproject_match(dst.to_dataarray(np.zeros(dst.shape, np.float32)),
                                 resampling=Resampling.bilinear)
    np.testing.assert_allclose(out.values[inner], ref.values[inner], rtol=1e-6)


def test_align_errors_name_the_parameter():
    with pytest.raises(InvalidParameterError, match=r"da must be an xarray.DataArray, got ndarray"):
        sg.align(np.zeros((2, 2)), SRC)
    with pytest.raises(InvalidParameterError, match=r"grid must be a steppe_geo.Grid, got str"):
        sg.align(_continuous(), "EPSG:32649")
    msg = r"kind: a raster's kind is 'continuous' or 'categorical', got 'vector'"
    with pytest.raises(InvalidParameterError, match=msg):
        sg.align(_continuous(), SRC, kind="vector")
    with pytest.raises(InvalidParameterError, match=r"resampling.*'bilinaer'.*did you mean 'bilinear'"):
        sg.align(_continuous(), SRC, resampling="bilinaer")
