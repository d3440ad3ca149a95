"""Tests for steppe_geo.io.raster: reading, decoding, alignment, errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.warp
import rasterio.windows
from affine import Affine
from rasterio.enums import Resampling

import steppe_geo as sg
from steppe_geo.errors import (
    InputNotFoundError,
    InvalidParameterError,
    MissingCRSError,
    NoOverlapError,
    UnreadableInputError,
)
from steppe_geo.io import read_raster

WGS84_T = Affine(0.001, 0, 109.0, 0, -0.001, 40.3)  # ~85 m x 111 m pixels near 40° N
UTM30 = sg.Grid("EPSG:32649", Affine(30, 0, 400_000, 0, -30, 4_431_200), (40, 60))
UTM60 = sg.Grid("EPSG:32649", Affine(60, 0, 400_000, 0, -60, 4_431_200), (20, 30))
UTM90 = sg.Grid("EPSG:32649", Affine(90, 0, 400_000, 0, -90, 4_431_200), (13, 20))
UTM20 = sg.Grid("EPSG:32649", Affine(20, 0, 400_000, 0, -20, 4_431_200), (60, 90))


def _write_tif(path, data, *, crs="EPSG:4326", transform=WGS84_T, nodata=None, scales=None,
               offsets=None, descriptions=None, colormap=None, tags=None):
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[np.newaxis]
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1],
                       count=data.shape[0], dtype=data.dtype, crs=crs, transform=transform,
                       nodata=nodata) as ds:
        ds.write(data)
        if scales is not None:
            ds.scales = scales
            ds.offsets = offsets
        for i, d in enumerate(descriptions or []):
            ds.set_band_description(i + 1, d)
        if colormap is not None:
            ds.write_colormap(1, colormap)
        if tags:
            ds.update_tags(**tags)
    return path


def test_modis_style_int16_scaled_fill_decodes_to_float_nan(tmp_path):
    raw = np.array([[-3000, 0, 5000], [10000, 2345, -3000]], dtype=np.int16)
    path = _write_tif(tmp_path / "ndvi.tif", raw, nodata=-3000, scales=(0.0001,), offsets=(0.0,))
    da = read_raster(path)
    assert da.dtype == np.float32
    assert da.attrs["kind"] == "continuous"
    # by hand: value * 0.0001, fill -> NaN
    expected = np.array([[np.nan, 0.0, 0.5], [1.0, 0.2345, np.nan]], dtype=np.float32)
    np.testing.assert_allclose(da.values, expected, rtol=1e-6)


def test_multiband_years_become_time_dimension(tmp_path):
    data = np.arange(3 * 4 * 5, dtype=np.float32).reshape(3, 4, 5)
    path = _write_tif(tmp_path / "series.tif", data, descriptions=["2001", "2002", "2003"])
    da = read_raster(path)
    assert da.dims == ("time", "y", "x")
    assert da["time"].values.tolist() == [2001, 2002, 2003]
    assert np.issubdtype(da["time"].dtype, np.integer)
    np.testing.assert_array_equal(da.sel(time=2002).values, data[1])


def test_multiband_without_years_needs_band_then_all_keeps_band_dimension(tmp_path):
    data = np.ones((2, 3, 3), dtype=np.float32)
    data[1] = 2.0
    path = _write_tif(tmp_path / "b.tif", data, descriptions=["red", "nir"])
    with pytest.raises(InvalidParameterError, match=r"b\.tif' has 2 bands .*band=1\.\.2"):
        read_raster(path)
    da = read_raster(path, band="all")
    assert da.dims == ("band", "y", "x")
    nir = read_raster(path, band=2)
    assert nir.dims == ("y", "x") and float(nir.max()) == 2.0
    with pytest.raises(InvalidParameterError, match=r"has 2 bands; band must be an integer 1\.\.2"):
        read_raster(path, band=3)


def test_categorical_with_colormap_stays_integer_and_uses_nearest_then_mode(tmp_path):
    # land cover 30 m in UTM, classes 10/20/30, nodata 0
    rows, cols = 40, 60
    lc = np.full((rows, cols), 10, dtype=np.uint8)
    lc[:, 30:] = 20
    lc[:5, :5] = 0
    path = _write_tif(tmp_path / "lc.tif", lc, crs="EPSG:32649", transform=UTM30.transform,
                      nodata=0, colormap={10: (0, 255, 0, 255), 20: (255, 255, 0, 255)})
    da = read_raster(path)
    assert da.attrs["kind"] == "categorical"
    assert da.dtype == np.uint8
    assert da.rio.nodata == 0
    # same-resolution shift of half a pixel: nearest
    shifted = sg.Grid(UTM30.crs, UTM30.transform * Affine.translation(0.4, 0.4), UTM30.shape)
    same = read_raster(path, grid=shifted)
    assert same.attrs["resampling"] == "nearest"
    assert same.dtype == np.uint8
    assert set(np.unique(same.values)) <= {0, 10, 20}
    # 3x coarser: mode; no averaged (invented) classes such as 15
    c = read_raster(path, grid=UTM90)
    assert c.attrs["resampling"] == "mode"
    assert set(np.unique(c.values)) <= {0, 10, 20}
    assert c.dtype == np.uint8


def test_kind_tag_is_respected(tmp_path):
    path = _write_tif(tmp_path / "soil.tif", np.array([[1, 2], [3, 255]], dtype=np.uint8), nodata=255,
                      tags={"STEPPE_GEO_KIND": "categorical"})
    da = read_raster(path)
    assert da.dtype == np.uint8 and da.attrs["kind"] == "categorical"
    assert da.rio.nodata == 255


def test_continuous_default_bilinear_then_average_when_coarsening(tmp_path):
    data = np.random.default_rng(1).random((40, 60)).astype(np.float32)
    path = _write_tif(tmp_path / "c.tif", data, crs="EPSG:32649", transform=UTM30.transform)
    fine = read_raster(path, grid=UTM20)
    assert fine.attrs["resampling"] == "bilinear"
    coarse = read_raster(path, grid=UTM60)
    assert coarse.attrs["resampling"] == "average"
    # exact 2x2 block means, by hand with numpy
    expected = data.reshape(20, 2, 30, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(coarse.values, expected, rtol=1e-5)


def test_alignment_wgs84_to_utm_matches_independent_rasterio_reproject(tmp_path, small_grid,
                                                                         assert_same_georef):
    # a smooth field over the small grid's area, in EPSG:4326
    transform = Affine(0.0002, 0, 109.8, 0, -0.0002, 40.04)
    rows, cols = 150, 150
    yy, xx = np.mgrid[0:rows, 0:cols]
    data = (np.sin(xx / 15.0) + np.cos(yy / 20.0)).astype(np.float32)
    path = _write_tif(tmp_path / "wind.tif", data, transform=transform)
    with rasterio.open(path) as ds:
        w, s, e, n = rasterio.warp.transform_bounds(ds.crs, "EPSG:32649", *ds.bounds)
    grid = sg.Grid.from_bounds((w + 300, s + 300, e - 300, n - 300), crs="EPSG:32649", resolution_m=30)
    da = read_raster(path, grid=grid, resampling="bilinear")
    ref = np.full(grid.shape, np.nan, dtype=np.float32)
    rasterio.warp.reproject(data, ref, src_transform=transform, src_crs="EPSG:4326",
                            dst_transform=grid.transform, dst_crs="EPSG:32649",
                            resampling=Resampling.bilinear, src_nodata=np.nan, dst_nodata=np.nan)
    assert sg.Grid.from_dataarray(da).same_as(grid)
    np.testing.assert_allclose(da.values, ref, rtol=1e-6, equal_nan=True)
    assert np.isfinite(da.values).mean() > 0.95


def test_sources_dataarray_and_tuple_and_dataset(tmp_path, small_grid):
    arr = np.arange(small_grid.rows * small_grid.cols, dtype=np.float32).reshape(small_grid.shape)
    da0 = small_grid.to_dataarray(arr, name="a", units="m")
    np.testing.assert_array_equal(read_raster(da0).values, arr)
    assert read_raster(da0).attrs["units"] == "m"
    t = read_raster((arr, small_grid.transform, "EPSG:32649"), name="t")
    np.testing.assert_array_equal(t.values, arr)
    path = _write_tif(tmp_path / "d.tif", arr, crs="EPSG:32649", transform=small_grid.transform)
    with rasterio.open(path) as ds:
        np.testing.assert_array_equal(read_raster(ds).values, arr)


def test_missing_file(tmp_path):
    with pytest.raises(InputNotFoundError, match=r"raster file not found: .*nope\.tif"):
        read_raster(tmp_path / "nope.tif")


def test_corrupt_raster(tmp_path):
    bad = tmp_path / "garbage.tif"
    bad.write_bytes(b"II*\x00 this is not a tiff at all" * 10)
    with pytest.raises(UnreadableInputError, match=r"cannot read raster .*garbage\.tif"):
        read_raster(bad)


def test_raster_without_crs(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=3, height=3, count=1, dtype="float32",
                       transform=WGS84_T) as ds:
        ds.write(np.zeros((1, 3, 3), dtype=np.float32))
    with pytest.raises(MissingCRSError, match=r"nocrs\.tif.* has no CRS"):
        read_raster(path)


def test_tuple_without_crs():
    with pytest.raises(MissingCRSError, match="crs=None"):
        read_raster((np.zeros((2, 2)), WGS84_T, None))


def test_raster_not_overlapping_grid(tmp_path, small_grid):
    # 1° x 1° tile far west of the UTM 49N grid
    path = _write_tif(tmp_path / "far.tif", np.ones((10, 10), dtype=np.float32),
                      transform=Affine(0.1, 0, 10.0, 0, -0.1, 50.0))
    with pytest.raises(NoOverlapError, match=r"far\.tif.* does not overlap the grid"):
        read_raster(path, grid=small_grid)


def test_unknown_resampling_lists_valid_names(tmp_path, small_grid):
    msg = r"resampling.*'bilinaer'.*did you mean 'bilinear'.*'mode'"
    with pytest.raises(InvalidParameterError, match=msg):
        read_raster(np.zeros(1), grid=small_grid, resampling="bilinaer")


def test_unknown_kind(small_grid):
    da = small_grid.to_dataarray(np.zeros(small_grid.shape, dtype=np.float32))
    with pytest.raises(InvalidParameterError, match=r"kind.*'categorial'.*'categorical'"):
        read_raster(da, kind="categorial")


def test_categorical_without_nodata_gets_a_free_nodata_outside_the_source(tmp_path):
    lc = np.array([[0, 1], [2, 3]], dtype=np.uint8)  # 0 is a real class here
    path = _write_tif(tmp_path / "lc.tif", lc, crs="EPSG:32649", transform=UTM30.transform)
    bigger = sg.Grid("EPSG:32649", Affine(30, 0, 400_000 - 60, 0, -30, 4_431_200), (2, 4))
    da = read_raster(path, grid=bigger, kind="categorical")
    assert da.dtype == np.uint8 and da.rio.nodata == 255
    np.testing.assert_array_equal(da.values, [[255, 255, 0, 1], [255, 255, 2, 3]])


def test_datetime_time_coordinate_becomes_years(small_grid):
    import pandas as pd

    da = small_grid.to_dataarray(np.zeros((2, *small_grid.shape), dtype=np.float32)).rename(band="time")
    da = da.assign_coords(time=pd.to_datetime(["2001-07-01", "2002-07-01"]))
    assert read_raster(da)["time"].values.tolist() == [2001, 2002]


@pytest.mark.parametrize("method", ["cubic", "average", "nearest"])
def test_reading_only_the_grid_window_gives_the_full_read_answer(tmp_path, method):
    # a 300 x 300 raster in UTM 49N; the grid (in UTM 50N) covers a small patch in its middle
    big = sg.Grid("EPSG:32649", Affine(10, 0, 400_000, 0, -10, 4_431_200), (300, 300))
    data = np.random.default_rng(7).random(big.shape).astype(np.float32)
    path = _write_tif(tmp_path / "big.tif", data, crs="EPSG:32649", transform=big.transform)
    grid = sg.Grid.from_bounds(
        rasterio.warp.transform_bounds("EPSG:32649", "EPSG:32650", 401_000, 4_429_500, 401_400, 4_429_900),
        crs="EPSG:32650", resolution_m=25)
    da = read_raster(path, grid=grid, resampling=method)
    ref = np.full(grid.shape, np.nan, dtype=np.float32)
    rasterio.warp.reproject(data, ref, src_transform=big.transform, src_crs="EPSG:32649",
                            dst_transform=grid.transform, dst_crs="EPSG:32650",
                            resampling=getattr(Resampling, method), src_nodata=np.nan, dst_nodata=np.nan)
    np.testing.assert_allclose(da.values, ref, rtol=1e-5, atol=1e-6)


def test_years_from_dataset_tag(tmp_path):
    data = np.zeros((2, 3, 3), dtype=np.float32)
    da = read_raster(_write_tif(tmp_path / "t.tif", data, tags={"years": "2010, 2015"}))
    assert da.dims == ("time", "y", "x") and da["time"].values.tolist() == [2010, 2015]


# ---------------------------------------------------------------------------- rioxarray input
@pytest.mark.parametrize("key", sorted(k for k, v in sg.datasets.LAYERS.items() if v.kind != "vector"))
def test_rioxarray_dataarray_decodes_like_the_path(key):
    import rioxarray
    import xarray as xr

    path = sg.datasets.sample_paths()[key]
    from_path = read_raster(path)
    from_da = read_raster(rioxarray.open_rasterio(path))
    # same values, dims, coordinates (years for the NDVI), nodata, name and attrs
    xr.testing.assert_identical(from_da, from_path)


def test_rioxarray_ndvi_scale_years_units_and_masked_variant():
    import rioxarray
    import xarray as xr

    path = sg.datasets.sample_paths()["ndvi"]
    raw = rioxarray.open_rasterio(path)
    assert raw.dtype == np.int16 and raw.attrs["scale_factor"] == 0.0001  # still encoded
    da = read_raster(raw)
    assert da.dims == ("time", "y", "x") and da["time"].values.tolist() == list(range(2001, 2025))
    assert da.attrs["units"] == "1"  # not the per-band tuple ('1', '1', ...)
    # by hand: raw int16 x 0.0001, fill -3000 -> NaN
    r = raw.values[0, 0, :5].astype("float64")
    expected = np.where(r == -3000, np.nan, r * 0.0001).astype(np.float32)
    np.testing.assert_array_equal(da.values[0, 0, :5], expected)
    # mask_and_scale=True: rioxarray decoded already (in float32); not scaled a second time
    masked = read_raster(rioxarray.open_rasterio(path, mask_and_scale=True))
    xr.testing.assert_allclose(masked, da, rtol=1e-6)


def test_dataarray_with_per_band_attribute_of_wrong_length(small_grid):
    da = small_grid.to_dataarray(np.zeros((2, *small_grid.shape), dtype=np.int16))
    da.attrs["scale_factor"] = (0.1, 0.2, 0.3)
    with pytest.raises(InvalidParameterError, match=r"'scale_factor' has 3 values for 2 bands"):
        read_raster(da)


# ---------------------------------------------------------------------------- integer rasters of unknown kind
def _soil_classes(tmp_path, **kw):
    # SoilGrids-like: USDA texture classes 1/3/5 in uint8, no colour table, no kind tag
    cls = np.ones((40, 60), dtype=np.uint8)
    cls[:, 20:40] = 3
    cls[:, 40:] = 5
    return _write_tif(tmp_path / "texture.tif", cls, crs="EPSG:32649", transform=UTM30.transform, **kw)


def test_integer_classes_without_kind_warn_when_blended(tmp_path):
    path = _soil_classes(tmp_path)
    shifted = sg.Grid(UTM30.crs, UTM30.transform @ Affine.translation(0.5, 0.5), UTM30.shape)
    msg = (r"texture\.tif' is uint8 with only 3 distinct values \(1, 3, 5\) .* resampled with "
           r"'bilinear'.*kind='categorical'")
    with pytest.warns(sg.errors.LayerKindWarning, match=msg) as rec:
        da = read_raster(path, grid=shifted)
    assert [w.filename for w in rec if w.category is sg.errors.LayerKindWarning] == [__file__]
    # what the warning is about: half-pixel bilinear blends 1 and 3 into 2, a class not in the data
    assert 2.0 in np.unique(da.values)
    # declared kinds (or an explicit method) are left alone and give no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", sg.errors.SteppeGeoWarning)
        cat = read_raster(path, grid=shifted, kind="categorical")
        assert set(np.unique(cat.values)) - {cat.rio.nodata} == {1, 3, 5}
        read_raster(path, grid=shifted, kind="continuous")
        read_raster(path, grid=shifted, resampling="bilinear")
        read_raster(path)  # not resampled: nothing invented
        tagged = _write_tif(tmp_path / "tagged.tif", np.ones((4, 4), np.uint8) * 3, crs="EPSG:32649",
                            transform=UTM30.transform, tags={"STEPPE_GEO_KIND": "categorical"})
        read_raster(tagged, grid=shifted)


def test_integer_rasters_with_many_values_or_a_scale_do_not_warn(tmp_path):
    dem = (np.arange(40 * 60).reshape(40, 60) % 500 + 1000).astype(np.int16)  # 500 elevations
    path = _write_tif(tmp_path / "dem.tif", dem, crs="EPSG:32649", transform=UTM30.transform)
    scaled = _write_tif(tmp_path / "ndvi.tif", np.full((40, 60), 2500, np.int16), crs="EPSG:32649",
                        transform=UTM30.transform, scales=(0.0001,), offsets=(0.0,))
    with warnings.catch_warnings():
        warnings.simplefilter("error", sg.errors.SteppeGeoWarning)
        read_raster(path, grid=UTM60)
        read_raster(scaled, grid=UTM60)


# ---------------------------------------------------------------------------- declared semantics
IDAHO_DEM = Path(__file__).resolve().parents[1] / "data" / "real" / "esrp_idaho" / "dem_ft_albers.tif"


def test_real_idaho_dem_declared_in_feet_becomes_metres():
    # the USGS DEM stores feet without a units tag; reference: raw values x 0.3048 (exact foot)
    with rasterio.open(IDAHO_DEM) as ds:
        raw = ds.read(1, window=rasterio.windows.Window(500, 500, 40, 30)).astype(np.float64)
    da = read_raster(IDAHO_DEM, units="ft")
    assert da.attrs["units"] == "m" and da.attrs["source_units"] == "ft"
    np.testing.assert_allclose(da.values[500:530, 500:540], raw * 0.3048, rtol=1e-6)
    undeclared = read_raster(IDAHO_DEM)
    assert "units" not in undeclared.attrs  # nothing says: no units invented
    assert float(undeclared.max()) > 8900  # the feet a reader would otherwise take for metres


def test_units_converted_to_to_units_and_from_a_known_file_tag(tmp_path):
    path = _write_tif(tmp_path / "w.tif", np.full((2, 3), 36.0, dtype=np.float32))
    with rasterio.open(path, "r+") as ds:
        ds.units = ("km h-1",)
    assert float(read_raster(path, to_units="m s-1").max()) == pytest.approx(10.0)  # 36 km/h = 10 m/s
    assert float(read_raster(path).max()) == 36.0  # without to_units nothing is converted
    assert float(read_raster(path, units="kn", to_units="m s-1").max()) == pytest.approx(36 * 1852 / 3600)


def test_units_read_from_dataset_level_tag(tmp_path):
    path = _write_tif(tmp_path / "p.tif", np.ones((2, 2), dtype=np.float32), tags={"units": "mm yr-1"})
    with rasterio.open(path) as ds:
        assert ds.units == (None,)  # no band-level units: only the dataset-level tag says
    assert read_raster(path).attrs["units"] == "mm yr-1"
    assert read_raster(path, to_units="mm d-1").values[0, 0] == pytest.approx(1 / 365.25)


def test_declared_scale_offset_and_nodata_override_the_file(tmp_path):
    raw = np.array([[0, 5000, -3000], [10000, 250, 7]], dtype=np.int16)
    path = _write_tif(tmp_path / "ndvi.tif", raw, nodata=7)
    da = read_raster(path, scale=0.0001, nodata=-3000)
    # by hand: raw * 0.0001; -3000 is now nodata, 7 is a value (7e-4)
    expected = np.array([[0.0, 0.5, np.nan], [1.0, 0.025, 0.0007]], dtype=np.float32)
    np.testing.assert_allclose(da.values, expected, rtol=1e-6)
    np.testing.assert_allclose(read_raster(path, scale=0.5, offset=-1.0).values[0, :2], [-1.0, 2499.0])


def test_units_on_a_categorical_raster_are_refused(tmp_path):
    path = _write_tif(tmp_path / "lc.tif", np.full((2, 2), 10, dtype=np.uint8))
    with pytest.raises(InvalidParameterError, match=r"units: raster '.*lc\.tif' is read as categorical"):
        read_raster(path, kind="categorical", units="m")
    with pytest.raises(InvalidParameterError, match=r"'feet' is not a known unit; did you mean 'ft'"):
        read_raster(path, units="feet")


def test_missing_crs_hint_suggests_projected_crs_for_metre_coordinates(tmp_path):
    metres = _write_tif(tmp_path / "utm.tif", np.ones((2, 2), dtype=np.float32), crs=None,
                        transform=Affine(30, 0, 400_000, 0, -30, 4_431_200))
    with pytest.raises(MissingCRSError, match=r"not degrees but projected .* UTM zone .* not EPSG:4326"):
        read_raster(metres)
    degrees = _write_tif(tmp_path / "geo.tif", np.ones((2, 2), dtype=np.float32), crs=None)
    with pytest.raises(MissingCRSError, match=r"fit longitude and latitude: .* EPSG:4326"):
        read_raster(degrees)
