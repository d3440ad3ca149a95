"""Reliability catalogue, rasters (issue 13, items 3-5): odd rasters end in a clear error or a right answer.

Every file is written to ``tmp_path`` with rasterio (GDAL) and read back. Right answers are checked
against a hand calculation written out in the test (averages, flips, the inverse of a rotated
geotransform) or against the north-up file; errors by class and by the key words of their message:
the file, the parameter or config key, the value and what would be valid.
"""

from __future__ import annotations

import copy
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio.control import GroundControlPoint

import steppe_geo as sg
from steppe_geo.config import config_from_dict
from steppe_geo.errors import (
    ConfigError,
    ImplausibleInputError,
    InvalidParameterError,
    MissingCRSError,
    NonFiniteValuesWarning,
    UnreadableInputError,
)
from steppe_geo.io import write_raster, write_vector
from steppe_geo.io.plausibility import raster_statistics
from steppe_geo.mcda import Criterion, Linear
from steppe_geo.models import Model, run_model
from steppe_geo.pipeline import check_config, run

CRS = "EPSG:32649"
NORTH_UP = Affine(100, 0, 400_000, 0, -100, 4_431_000)  # 100 m pixels, top-left corner (400000, 4431000)
GRID = sg.Grid.from_bounds((400_000, 4_429_000, 402_000, 4_431_000), crs=CRS, resolution_m=100)  # 20 x 20


def _tif(path: Path, data: np.ndarray, *, crs: object = CRS, transform: Affine | None = NORTH_UP,
         nodata: float | None = None, dtype: str | None = None, **options: object) -> Path:
    data = data[np.newaxis] if data.ndim == 2 else data
    kwargs = {} if transform is None else {"transform": transform}
    with warnings.catch_warnings():  # rasterio warns when writing a file without a geotransform
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1],
                           count=data.shape[0], dtype=dtype or data.dtype, crs=crs, nodata=nodata,
                           **kwargs, **options) as ds:
            ds.write(data)
    return path


def _ramp(shape: tuple[int, int] = (20, 20)) -> np.ndarray:
    return np.arange(shape[0] * shape[1], dtype=np.float32).reshape(shape)


# ------------------------------------------------------------------------------------ ±inf
@pytest.mark.case("correct_result")
@pytest.mark.parametrize("resolution", [100, 300], ids=["same_resolution", "coarser_grid"])
def test_inf_pixels_are_nodata_with_a_warning_counted_at_the_source_at_every_resolution(tmp_path, resolution):
    values = _ramp()
    values[0, 0], values[4, 4] = np.inf, -np.inf
    path = _tif(tmp_path / "wind_inf.tif", values)
    grid = sg.Grid.from_bounds((400_000, 4_429_000, 402_000, 4_431_000), crs=CRS, resolution_m=resolution)
    with pytest.warns(NonFiniteValuesWarning) as record:
        da = sg.read_raster(path, grid=grid)
    (message,) = [str(w.message) for w in record if w.category is NonFiniteValuesWarning]
    # the same count whatever the resolution: counted in the 400 source pixels, before resampling
    assert "wind_inf.tif" in message and "2 infinite pixels (1 +inf, 1 -inf, of 400 read)" in message
    assert "read as nodata" in message
    out = da.values
    assert np.isfinite(out[~np.isnan(out)]).all()
    if resolution == 100:  # the same grid: the inf pixels are nodata, every other pixel is unchanged
        expected = _ramp()
        expected[0, 0] = expected[4, 4] = np.nan
        np.testing.assert_array_equal(out, expected)
    else:  # 300 m: averages of the finite 100 m pixels (the grid snaps to multiples of 300 m)
        assert grid.transform.c == 399_900 and grid.transform.f == 4_431_000
        # grid pixel (1, 1) covers source rows 3..5, columns 2..4 exactly: (4, 4) is -inf, left out
        block = [_ramp()[r, c] for r in range(3, 6) for c in range(2, 5) if (r, c) != (4, 4)]
        assert out[1, 1] == pytest.approx(sum(block) / len(block))  # 82.875, not -inf nor NaN
        # everywhere: what GDAL makes of the same file with NaN (nodata) where the inf pixels are
        values[0, 0] = values[4, 4] = np.nan
        with_nan = sg.read_raster(_tif(tmp_path / "wind_nan.tif", values), grid=grid)
        np.testing.assert_array_equal(out, with_nan.values)


@pytest.mark.case("correct_result")
def test_inf_pixels_are_left_out_of_the_statistics_validate_reads(tmp_path):
    values = _ramp()
    values[0, :] = np.inf
    stats = raster_statistics(_tif(tmp_path / "inf.tif", values))
    assert stats.valid == 380 and stats.min == 20.0 and stats.max == 399.0  # by hand: row 0 is inf


# ------------------------------------------------------------------------------------ no valid pixel
@pytest.mark.case("clear_error")
def test_all_nodata_raster_aligned_onto_a_grid_is_refused(tmp_path):
    path = _tif(tmp_path / "empty_wind.tif", np.full((20, 20), -9999, np.float32), nodata=-9999)
    with pytest.raises(ImplausibleInputError, match=r"raster '.*empty_wind\.tif' has no valid pixel on the "
                                                    r"grid \(CRS EPSG:32649.*every pixel it has there is "
                                                    r"nodata.*give a raster with data over the area"):
        sg.read_raster(path, grid=GRID)


@pytest.mark.case("clear_error")
def test_all_nodata_raster_given_to_run_model_is_refused_naming_the_input(tmp_path):
    path = _tif(tmp_path / "w.tif", np.full((20, 20), np.nan, np.float32))
    model = Model("m", ("wind",), criteria=(Criterion("wind", Linear(low=4.0, high=9.0), 1.0, "wind"),))
    with pytest.raises(ImplausibleInputError, match=r"input 'wind': raster '.*w\.tif' has no valid pixel"):
        run_model(model, {"wind": path}, grid=GRID)


@pytest.mark.case("clear_error")
def test_all_nan_dataarray_on_the_grid_given_to_run_model_is_refused_naming_the_input():
    model = Model("m", ("wind",), criteria=(Criterion("wind", Linear(low=4.0, high=9.0), 1.0, "wind"),))
    empty = GRID.to_dataarray(np.full(GRID.shape, np.nan), name="wind")
    with pytest.raises(ImplausibleInputError, match=r"input .wind.: the DataArray has no valid pixel"):
        run_model(model, {"wind": empty}, grid=GRID)
    some = empty.copy(data=np.where(np.arange(GRID.shape[1]) < 3, 6.5, np.nan) * np.ones(GRID.shape))
    assert np.isfinite(run_model(model, {"wind": some}, grid=GRID).score.values).any()  # one column is enough


@pytest.fixture
def project(tmp_path):
    """A tiny project: AOI (UTM 49N), wind and slope rasters at 100 m, one custom model; 500 m grid."""
    data = tmp_path / "data"
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_430_000, 404_000, 4_433_000)], crs=CRS)
    write_vector(aoi, data / "aoi.gpkg")
    src = sg.Grid.from_bounds((399_000, 4_429_000, 405_000, 4_434_000), crs=CRS, resolution_m=100)
    rng = np.random.default_rng(13)
    write_raster(src.to_dataarray(rng.uniform(0, 20, src.shape).astype("float32"), name="slope"),
                 data / "slope.tif")
    write_raster(src.to_dataarray(rng.uniform(4, 9, src.shape).astype("float32"), name="wind"),
                 data / "wind.tif")
    cfg = {
        "sources": {"aoi": "data/aoi.gpkg", "wind": "data/wind.tif", "slope": "data/slope.tif"},
        "grid": {"aoi": "aoi", "resolution_m": 500},
        "models": {"wind": {"criteria": [
            {"name": "wind", "function": "linear", "low": 4.0, "high": 9.0, "weight": 3},
            {"name": "slope", "function": "linear", "low": 20.0, "high": 0.0, "weight": 1}]}},
        "outputs": {"directory": "out", "maps": [], "report": False},
    }
    return tmp_path, cfg, src


def _config(root: Path, data: dict, **inputs: str):
    d = copy.deepcopy(data)
    d["sources"].update(inputs)
    return config_from_dict(d, base_dir=root, output_dir=root)


@pytest.mark.case("clear_error")
def test_all_nodata_input_stops_validate_and_run_naming_the_config_key(project):
    root, data, src = project
    write_raster(src.to_dataarray(np.full(src.shape, np.nan, np.float32), name="w"), root / "data/nan.tif")
    cfg = _config(root, data, wind="data/nan.tif")
    pattern = (r"sources\.wind: raster 'nan\.tif' has no valid pixel inside the area of interest \(all .* "
               r"sampled pixels inside it are nodata.*the right sources\.wind\.nodata")
    with pytest.raises(ConfigError, match=pattern):
        check_config(cfg)
    with pytest.raises(ConfigError, match=pattern):
        run(cfg)
    assert not (root / "out").exists()


@pytest.mark.case("correct_result")
def test_inf_pixels_in_a_run_are_announced_and_the_other_pixels_scored(project):
    root, data, src = project
    with rasterio.open(root / "data/wind.tif") as ds:
        wind = ds.read(1)
    wind[10:13, 10:13] = np.inf
    write_raster(src.to_dataarray(wind, name="w"), root / "data/wind_inf.tif")
    cfg = _config(root, data, wind="data/wind_inf.tif")
    check_config(cfg)  # validate leaves the inf pixels out: nothing to report
    with pytest.warns(NonFiniteValuesWarning, match=r"wind_inf\.tif' holds 9 infinite pixels \(9 \+inf"):
        result = run(cfg)
    score = sg.read_raster(result.out_dir / "rasters/wind/score.tif").values
    finite = score[~np.isnan(score)]
    assert finite.size > 0 and ((finite >= 0) & (finite <= 1)).all()


# ------------------------------------------------------------------------------------ dtypes
@pytest.mark.case("clear_error")
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_raster_is_refused_by_name(tmp_path, dtype):
    path = _tif(tmp_path / "insar.tif", (_ramp() + 1j * _ramp()).astype(dtype))
    with pytest.raises(UnreadableInputError, match=rf"raster '.*insar\.tif' holds complex numbers "
                                                   rf"\({dtype}\).*will not drop the imaginary part.*"
                                                   r"as a real raster"):
        sg.read_raster(path, grid=GRID)


@pytest.mark.case("clear_error")
def test_complex_dataarray_is_refused(tmp_path):
    da = GRID.to_dataarray((_ramp() + 1j).astype("complex64"), name="phase")
    with pytest.raises(UnreadableInputError, match=r"DataArray 'phase' holds complex numbers \(complex64\).*"
                                                   r"da\.real"):
        sg.read_raster(da)


@pytest.mark.case("clear_error")
def test_complex_raster_in_a_config_is_refused_by_validate_naming_the_key(project):
    root, data, src = project
    _tif(root / "data/cplx.tif", (_ramp((50, 60)) + 1j).astype("complex64"), transform=src.transform)
    with pytest.raises(UnreadableInputError, match=r"sources\.wind: raster '.*cplx\.tif' holds complex"):
        check_config(_config(root, data, wind="data/cplx.tif"))


@pytest.mark.case("correct_result")
def test_one_bit_geotiff_is_read_as_0_and_1(tmp_path):
    mask = (np.indices((20, 20)).sum(axis=0) % 3 == 0).astype(np.uint8)
    path = _tif(tmp_path / "mask.tif", mask, nbits=1)
    with rasterio.open(path) as ds:
        assert ds.tags(1, "IMAGE_STRUCTURE").get("NBITS") == "1"  # really a 1-bit file
    da = sg.read_raster(path, kind="categorical")
    assert da.dtype == np.uint8
    np.testing.assert_array_equal(da.values, mask)


@pytest.mark.case("correct_result")
def test_boolean_array_is_read_as_0_and_1():
    flags = np.indices((20, 20)).sum(axis=0) % 2 == 0
    da = sg.read_raster((flags, NORTH_UP, CRS), kind="categorical")
    assert da.dtype == np.uint8 and set(np.unique(da.values)) == {0, 1}
    np.testing.assert_array_equal(da.values, flags.astype(np.uint8))


@pytest.mark.case("correct_result")
@pytest.mark.parametrize("dtype", ["uint64", "int64", "int8"])
def test_wide_and_narrow_integer_types_keep_their_values(tmp_path, dtype):
    values = (np.arange(400).reshape(20, 20) % 100 - (50 if dtype == "int8" else 0)).astype(dtype)
    if dtype != "int8":
        values[0, 0] = 2**40  # beyond int32 and exactly representable in float32 (a power of two)
    da = sg.read_raster(_tif(tmp_path / f"{dtype}.tif", values), kind="continuous")
    assert da.dtype == np.float32
    np.testing.assert_array_equal(da.values, values.astype(np.float64))


@pytest.mark.case("correct_result")
def test_float16_dataarray_is_read_as_float32():
    values = (_ramp() / 8).astype(np.float16)  # multiples of 1/8 up to 49.9: exact in float16
    da = sg.read_raster(GRID.to_dataarray(values, name="h"))
    assert da.dtype == np.float32
    np.testing.assert_array_equal(da.values, np.arange(400).reshape(20, 20) / 8)


@pytest.mark.case("clear_error")
def test_three_band_raster_as_a_criterion_needs_band(tmp_path):
    path = _tif(tmp_path / "rgb.tif", np.stack([_ramp(), _ramp() + 1000, _ramp() + 2000]))
    with pytest.raises(InvalidParameterError, match=r"band: raster '.*rgb\.tif' has 3 bands and they are "
                                                    r"not years.*band=1\.\.3.*band = <n> in its "
                                                    r"\[sources\.<name>\]"):
        sg.read_raster(path, grid=GRID)


@pytest.mark.case("correct_result")
def test_three_band_raster_with_band_reads_that_band(tmp_path):
    path = _tif(tmp_path / "rgb.tif", np.stack([_ramp(), _ramp() + 1000, _ramp() + 2000]))
    np.testing.assert_array_equal(sg.read_raster(path, grid=GRID, band=2).values, _ramp() + 1000)


# ------------------------------------------------------------------------------------ transforms
SOUTH_UP = Affine(100, 0, 400_000, 0, 100, 4_429_000)  # the same area, first row at the south edge


@pytest.mark.case("correct_result")
def test_south_up_raster_is_read_flipped_equal_to_the_north_up_file(tmp_path):
    north = sg.read_raster(_tif(tmp_path / "north.tif", _ramp()))
    south = sg.read_raster(_tif(tmp_path / "south.tif", _ramp()[::-1].copy(), transform=SOUTH_UP))
    np.testing.assert_array_equal(south.values, north.values)
    assert sg.Grid.from_dataarray(south).same_as(sg.Grid.from_dataarray(north))


@pytest.mark.case("correct_result")
def test_south_up_raster_aligned_onto_another_grid_equals_the_north_up_one(tmp_path):
    other = sg.Grid.from_bounds((400_250, 4_429_250, 401_750, 4_430_750), crs=CRS, resolution_m=150)
    north = sg.read_raster(_tif(tmp_path / "north.tif", _ramp()), grid=other)
    south = sg.read_raster(_tif(tmp_path / "south.tif", _ramp()[::-1].copy(), transform=SOUTH_UP), grid=other)
    np.testing.assert_array_equal(south.values, north.values)
    # and by hand, nearest neighbour: the north-up source pixel under each grid pixel centre
    nearest = sg.read_raster(tmp_path / "south.tif", grid=other, resampling="nearest")
    xs, ys = np.meshgrid(other.x_coords(), other.y_coords())
    col, row = np.floor((xs - 400_000) / 100).astype(int), np.floor((4_431_000 - ys) / 100).astype(int)
    np.testing.assert_array_equal(nearest.values, _ramp()[row, col])


@pytest.mark.case("correct_result")
def test_south_up_raster_statistics_over_an_aoi_equal_the_north_up_ones(tmp_path):
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_430_000, 401_000, 4_431_000)], crs=CRS)
    north = raster_statistics(_tif(tmp_path / "north.tif", _ramp()), aoi=aoi)
    south = raster_statistics(_tif(tmp_path / "south.tif", _ramp()[::-1].copy(), transform=SOUTH_UP), aoi=aoi)
    assert (south.valid, south.min, south.max) == (north.valid, north.min, north.max)
    assert north.min == 0.0  # the north-west corner of the ramp lies in the AOI (north half, west half)


@pytest.mark.case("correct_result")
def test_rotated_geotransform_is_warped_onto_the_grid(tmp_path):
    # 10 m pixels rotated by 30°: col/row axes (cos, sin) and (sin, -cos) in map units
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    rotated = Affine(10 * c, 10 * s, 400_000, 10 * s, -10 * c, 4_431_000)
    values = _ramp((100, 100))
    # the raster is a square 1 km a side turned by 30°, centred near (400683, 4430817): a grid within it
    grid = sg.Grid.from_bounds((400_500, 4_430_650, 400_850, 4_431_000), crs=CRS, resolution_m=50)
    da = sg.read_raster(_tif(tmp_path / "rotated.tif", values, transform=rotated), grid=grid,
                        resampling="nearest")
    # by hand: invert the rotated geotransform at each grid pixel centre, take the pixel it falls in
    xs, ys = np.meshgrid(grid.x_coords(), grid.y_coords())
    col, row = ~rotated * (xs, ys)
    col, row = np.floor(col).astype(int), np.floor(row).astype(int)
    inside = (col >= 0) & (col < 100) & (row >= 0) & (row < 100)
    assert inside.all()  # the grid lies within the rotated raster
    np.testing.assert_array_equal(da.values, values[row, col])


@pytest.mark.case("clear_error")
def test_rotated_geotransform_without_a_grid_is_refused(tmp_path):
    path = _tif(tmp_path / "rotated.tif", _ramp(), transform=Affine(100, 10, 400_000, 10, -100, 4_431_000))
    with pytest.raises(InvalidParameterError, match=r"grid: raster '.*rotated\.tif' has a rotated or sheared "
                                                    r"geotransform.*pass grid="):
        sg.read_raster(path)


@pytest.mark.case("clear_error")
@pytest.mark.parametrize("crs", [CRS, None], ids=["with_crs", "without_crs"])
def test_raster_without_geotransform_is_refused_by_name(tmp_path, crs):
    path = _tif(tmp_path / "scan.tif", _ramp(), crs=crs, transform=None)
    with pytest.raises(UnreadableInputError, match=r"raster '.*scan\.tif' has no geotransform.*identity "
                                                   r"transform.*gdal_edit\.py -a_ullr"):
        sg.read_raster(path, grid=GRID)


@pytest.mark.case("clear_error")
def test_raster_placed_only_by_ground_control_points_is_refused(tmp_path):
    path = tmp_path / "gcps.tif"
    gcps = [GroundControlPoint(row=r, col=c, x=400_000 + 100 * c, y=4_431_000 - 100 * r)
            for r, c in ((0, 0), (0, 20), (20, 0), (20, 20))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", width=20, height=20, count=1, dtype="float32",
                           gcps=gcps, crs=CRS) as ds:
            ds.write(_ramp(), 1)
    with pytest.raises(UnreadableInputError, match=r"raster '.*gcps\.tif' has no geotransform, only 4 ground "
                                                   r"control points: warp it.*gdalwarp"):
        sg.read_raster(path, grid=GRID)


@pytest.mark.case("clear_error")
# the run-size estimate (pipeline/estimate.py) opens the header first, and rasterio warns: a warning only
@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_raster_without_geotransform_in_a_config_is_refused_naming_the_key(project):
    root, data, _ = project
    _tif(root / "data/scan.tif", _ramp(), transform=None)
    with pytest.raises(UnreadableInputError, match=r"sources\.slope: raster '.*scan\.tif' has no "
                                                   r"geotransform"):
        check_config(_config(root, data, slope="data/scan.tif"))


@pytest.mark.case("clear_error")
def test_raster_without_crs_is_refused_suggesting_a_projected_one(tmp_path):
    path = _tif(tmp_path / "nocrs.tif", _ramp(), crs=None)
    with pytest.raises(MissingCRSError, match=r"raster '.*nocrs\.tif' has no CRS; its coordinates .* are not "
                                              r"degrees but projected.*UTM zone"):
        sg.read_raster(path, grid=GRID)


# ------------------------------------------------------------------------------------ broken files
@pytest.mark.case("clear_error")
def test_folder_given_as_a_raster_is_refused(tmp_path):
    (tmp_path / "tiles").mkdir()
    _tif(tmp_path / "tiles" / "a.tif", _ramp())
    with pytest.raises(UnreadableInputError, match=r"'.*tiles' is a folder, not a raster \(it holds "
                                                   r"'a\.tif'"):
        sg.read_raster(tmp_path / "tiles", grid=GRID)


@pytest.mark.case("clear_error")
def test_zero_byte_geotiff_is_refused(tmp_path):
    (tmp_path / "empty.tif").write_bytes(b"")
    with pytest.raises(UnreadableInputError, match=r"raster '.*empty\.tif' is an empty file \(0 bytes\)"):
        sg.read_raster(tmp_path / "empty.tif")


@pytest.mark.case("clear_error")
def test_text_file_renamed_tif_is_refused(tmp_path):
    (tmp_path / "dem.tif").write_text("Elevation data for the Ordos plateau, see the README\n")
    with pytest.raises(UnreadableInputError, match=r"cannot read raster '.*dem\.tif': GDAL does not "
                                                   r"recognise it as a raster format: it holds text "
                                                   r"\(begins 'Elevation data"):
        sg.read_raster(tmp_path / "dem.tif")


@pytest.mark.case("clear_error")
def test_truncated_geotiff_is_refused(tmp_path):
    full = _tif(tmp_path / "full.tif", np.random.default_rng(1).random((256, 256)).astype(np.float32))
    data = full.read_bytes()
    (tmp_path / "cut.tif").write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableInputError) as info:
        sg.read_raster(tmp_path / "cut.tif")
    assert "cut.tif" in str(info.value) and "truncated or corrupt" in str(info.value)
    assert "It might help" not in str(info.value)  # GDAL's driver hint does not speak for us


@pytest.mark.case("clear_error")
def test_zero_byte_raster_in_a_config_is_refused_naming_the_key(project):
    root, data, _ = project
    (root / "data/empty.tif").write_bytes(b"")
    # the run-size estimate opens the headers first (pipeline/estimate.py): it names the key and the file
    with pytest.raises(UnreadableInputError, match=r"sources\.wind: .*raster '.*empty\.tif'"):
        check_config(_config(root, data, wind="data/empty.tif"))


# ------------------------------------------------------------------------------------ nodata
@pytest.mark.case("correct_result")
def test_nan_nodata_declared_in_the_file_masks_the_nan_pixels(tmp_path):
    values = _ramp()
    values[:5] = np.nan
    da = sg.read_raster(_tif(tmp_path / "nan_nd.tif", values, nodata=np.nan), grid=GRID)
    assert int(da.isnull().sum()) == 100
    np.testing.assert_array_equal(da.values[5:], _ramp()[5:])


@pytest.mark.case("clear_error")
def test_declared_nodata_outside_the_integer_range_is_refused(tmp_path):
    path = _tif(tmp_path / "classes.tif", (np.arange(400) % 7).reshape(20, 20).astype(np.uint8))
    with pytest.raises(InvalidParameterError, match=r"nodata: raster '.*classes\.tif' is uint8 \(values "
                                                    r"0\.\.255\) but the nodata given is -9999.*an "
                                                    r"integer in 0\.\.255"):
        sg.read_raster(path, nodata=-9999, kind="categorical")


@pytest.mark.case("clear_error")
def test_declared_nan_nodata_on_an_integer_raster_is_refused(tmp_path):
    path = _tif(tmp_path / "counts.tif", (np.arange(400) % 50).reshape(20, 20).astype(np.int16))
    with pytest.raises(InvalidParameterError, match=r"nodata: raster '.*counts\.tif' is int16.*nodata given "
                                                    r"is nan, which no pixel can hold"):
        sg.read_raster(path, nodata=float("nan"))


@pytest.mark.case("clear_error")
def test_declared_nodata_outside_the_range_in_a_config_is_refused_by_validate(project):
    root, data, src = project
    classes = (np.arange(3000) % 7).reshape(50, 60).astype(np.uint8)
    _tif(root / "data/cls.tif", classes, transform=src.transform)
    d = copy.deepcopy(data)
    d["sources"]["slope"] = {"path": "data/cls.tif", "nodata": 300}
    with pytest.raises(InvalidParameterError, match=r"sources\.slope: nodata: raster '.*cls\.tif' is uint8.*"
                                                    r"nodata given is 300"):
        check_config(config_from_dict(d, base_dir=root, output_dir=root))


@pytest.mark.case("clear_error")
def test_fill_value_without_declared_nodata_is_named_by_validate(project):
    root, data, src = project
    dem = 1500 + np.random.default_rng(2).random(src.shape).astype(np.float32)
    dem[:10] = -9999.0  # the fill value, no nodata declared
    _tif(root / "data/dem.tif", dem, transform=src.transform)  # no nodata declared
    d = copy.deepcopy(data)
    d["sources"]["dem"] = {"path": "data/dem.tif", "units": "m"}
    d["models"]["wind"]["criteria"].append({"name": "dem", "function": "linear", "low": 2000.0, "high": 0.0,
                                            "weight": 1})
    with pytest.raises(ConfigError) as info:
        check_config(config_from_dict(d, base_dir=root, output_dir=root))
    assert re.search(r"sources\.dem\.nodata: raster 'dem\.tif' \(elevation\) has values -9,?999\.\..*-9,?999 "
                     r"usually marks missing data: declare it", str(info.value))


@pytest.mark.case("clear_error")
def test_no_free_nodata_value_names_the_raster(tmp_path):
    every = np.arange(256, dtype=np.uint8).reshape(16, 16)  # uses 255, 0 (the candidates) and all others
    path = _tif(tmp_path / "all_codes.tif", every, transform=Affine(100, 0, 400_500, 0, -100, 4_430_500))
    with pytest.raises(InvalidParameterError, match=r"nodata: raster '.*all_codes\.tif' \(uint8, read as "
                                                    r"classes\) declares no nodata and uses every candidate "
                                                    r"value \(255, 0\).*declare its nodata"):
        sg.read_raster(path, grid=GRID, kind="categorical")



@pytest.mark.case("correct_result")
@pytest.mark.parametrize("resolution", [100, 300], ids=["same_resolution", "coarser_grid"])
def test_inf_pixels_in_a_streamed_alignment_are_nodata_announced_once_as_in_memory(tmp_path, resolution):
    from steppe_geo.io import align_to_file

    values = _ramp()
    values[0, 0], values[4, 4], values[13, 7] = np.inf, -np.inf, np.inf
    path = _tif(tmp_path / "wind_inf.tif", values)
    grid = sg.Grid.from_bounds((400_000, 4_429_000, 402_000, 4_431_000), crs=CRS, resolution_m=resolution)
    with pytest.warns(NonFiniteValuesWarning) as mem:
        whole = sg.read_raster(path, grid=grid)
    # strips of 2 rows: the ±inf pixels fall in different strips; one warning, the source's count
    with pytest.warns(NonFiniteValuesWarning) as streamed:
        aligned = align_to_file(path, tmp_path / "aligned.tif", grid=grid, rows=2)
    messages = [str(w.message) for w in streamed if w.category is NonFiniteValuesWarning]
    assert len(messages) == 1 and "3 infinite pixels (2 +inf, 1 -inf, of 400 read)" in messages[0]
    assert [str(w.message) for w in mem if w.category is NonFiniteValuesWarning] == messages
    np.testing.assert_array_equal(sg.read_raster(aligned).values, whole.values)
