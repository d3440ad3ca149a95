"""Cheap raster statistics over the AOI and plausibility by role (steppe_geo.io.plausibility)."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from steppe_geo.errors import (
    ImplausibleInputError,
    InputNotFoundError,
    UndeclaredUnitsWarning,
    UnreadableInputError,
)
from steppe_geo.io import read_raster
from steppe_geo.io.plausibility import (
    ROLES,
    RasterStatistics,
    check_plausible,
    format_values,
    raster_statistics,
    source_units,
)

REAL = Path(__file__).resolve().parents[1] / "data" / "real" / "esrp_idaho"
T = Affine(100, 0, 400_000, 0, -100, 4_431_000)  # 100 m UTM pixels


def _tif(path, data, *, nodata=None, units=None, tags=None, transform=T):
    data = np.asarray(data)
    data = data[np.newaxis] if data.ndim == 2 else data
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1],
                       count=data.shape[0], dtype=data.dtype, crs="EPSG:32649", transform=transform,
                       nodata=nodata) as ds:
        ds.write(data)
        if units:
            ds.units = (units,) * data.shape[0]
        if tags:
            ds.update_tags(**tags)
    return path


def _aoi(*bounds):
    return gpd.GeoDataFrame(geometry=[shapely.box(*bounds)], crs="EPSG:32649")


def _stats(lo, hi, *, valid=100, path="x.tif", **kw):
    return RasterStatistics(path, 1, "float32", None, None, False, None, False, 100.0, False,
                            sampled=100, valid=valid, min=lo, max=hi, **kw)


def test_statistics_over_the_aoi_equal_numpy_on_the_pixels_inside(tmp_path):
    data = np.arange(100, dtype=np.float32).reshape(10, 10)
    data[0, :] = -9999
    path = _tif(tmp_path / "a.tif", data, nodata=-9999)
    # AOI covering columns 2..5 and rows 0..3 (pixel edges): 16 pixels, 4 of them nodata (row 0)
    aoi = _aoi(400_200, 4_430_600, 400_600, 4_431_000)
    s = raster_statistics(path, aoi=aoi)
    inside = data[0:4, 2:6]
    ok = inside[inside != -9999]
    assert (s.min, s.max) == (float(ok.min()), float(ok.max()))
    # all_touched sampling also counts the pixels the AOI edge touches: at least the 16 inside
    assert s.sampled >= 16 and s.valid >= ok.size and s.valid < s.sampled
    whole = raster_statistics(path)
    assert (whole.min, whole.max, whole.valid) == (10.0, 99.0, 90)


def test_statistics_of_a_large_raster_are_decimated(tmp_path):
    data = np.tile(np.arange(400, dtype=np.int16), (300, 1))
    s = raster_statistics(_tif(tmp_path / "big.tif", data), max_pixels=10_000)
    assert s.valid <= 10_000 and s.min >= 0 and s.max <= 399
    assert len(s.codes) < 400  # a sample, not every value


def test_raster_outside_the_aoi_has_no_valid_pixel_and_the_check_says_so(tmp_path):
    path = _tif(tmp_path / "far.tif", np.ones((5, 5), dtype=np.float32))
    s = raster_statistics(path, aoi=_aoi(500_000, 4_000_000, 501_000, 4_001_000))
    assert s.valid == 0 and s.sampled == 0
    with pytest.raises(ImplausibleInputError,
                       match=r"sources\.dem: raster 'far\.tif' has no valid pixel inside the area of "
                             r"interest "
                             r"\(it does not cover"):
        check_plausible(s, "elevation", key="sources.dem")


def test_real_idaho_dem_in_feet_is_caught_by_the_whole_file_range():
    aoi = gpd.read_file(REAL / "esrp.gpkg")
    inside = raster_statistics(REAL / "dem_ft_albers.tif", aoi=aoi)
    whole = raster_statistics(REAL / "dem_ft_albers.tif")
    assert inside.max < 8_900  # the plain alone fits metres ...
    assert whole.max > 8_900   # ... the mountains in the file do not
    with pytest.raises(ImplausibleInputError, match=r"sources\.dem\.units: .* outside the plausible range "
                                                    r"-450\.\.8,900 m .* units = \"ft\""):
        check_plausible(inside, "elevation", key="sources.dem", extent=whole)
    check_plausible(inside, "elevation", key="sources.dem", units="ft", extent=whole)  # advice taken: passes


@pytest.mark.parametrize(("role", "lo", "hi", "option", "value"), [
    ("ghi", 120.0, 250.0, "units", "W m-2"),          # mean irradiance, not annual irradiation
    ("ghi", 3.1, 6.2, "units", "kWh m-2 d-1"),        # daily sums
    ("ndvi", -2000.0, 9000.0, "scale", 0.0001),       # MODIS-style x 10000 integers
    ("wind_speed", 15.0, 90.0, "units", "km h-1"),    # km/h
    ("precipitation", 2000.0, 40000.0, "scale", 0.1),  # tenths of mm
    ("elevation", -9999.0, 1200.0, "nodata", -9999),  # undeclared fill value
])
def test_advice_fits_the_values_and_following_it_passes(role, lo, hi, option, value):
    shown = f'"{value}"' if isinstance(value, str) else f"{value:g}"
    with pytest.raises(ImplausibleInputError, match=rf"^sources\.x\.{option}: .*{option} = {shown} }}$"):
        check_plausible(_stats(lo, hi), role, key="sources.x")
    if option == "units":
        check_plausible(_stats(lo, hi), role, key="sources.x", units=value)
    elif option == "scale":  # read with the scale, the values are raw * scale
        check_plausible(_stats(lo * value, hi * value), role, key="sources.x")
    else:  # with the fill value masked, the rest of the values remain
        check_plausible(_stats(0.0, hi), role, key="sources.x")


def test_values_no_hint_explains_leave_a_generic_message():
    with pytest.raises(ImplausibleInputError, match=r"sources\.w: raster 'x\.tif' \(wind_speed\) has values "
                                                    r"-5\.\.3, .* declare its sources\.w\.units"):
        check_plausible(_stats(-5.0, 3.0), "wind_speed", key="sources.w")


def test_source_units_from_tag_declaration_or_warning():
    tagged = _stats(1.0, 2.0)  # no units tag
    with pytest.warns(UndeclaredUnitsWarning, match=r"sources\.dem\.units: .* units = \"m\""):
        assert source_units(tagged, "elevation", key="sources.dem") is None
    assert source_units(tagged, "elevation", key="sources.dem", units="ft") == "ft"
    feet_tag = RasterStatistics("d.tif", 1, "float32", "feet", None, False, None, False, 1.0, False,
                                1, 1, 1.0, 2.0)
    with pytest.warns(UndeclaredUnitsWarning, match="its tag 'feet' is not a known unit"):
        source_units(feet_tag, "elevation", key="sources.dem")
    mm = RasterStatistics("p.tif", 1, "float32", "mm", None, False, None, False, 1.0, False, 1, 1, 1.0, 2.0)
    with pytest.raises(ImplausibleInputError, match=r"sources\.p\.units: raster 'p\.tif' is tagged "
                                                    r"in 'mm' \(length\), but as precipitation it is read in "
                                                    r"'mm yr-1'"):
        source_units(mm, "precipitation", key="sources.p")


def test_format_values_lists_at_most_ten():
    assert format_values(range(183_000)).endswith("9 and 182990 more")
    assert format_values([]) == ""
    assert not math.isnan(ROLES["elevation"].high)


def test_raster_statistics_and_read_raster_refuse_a_bad_path_alike(tmp_path):
    # one check (io.raster_meta._raster_path) before GDAL opens a file, for both readers
    (tmp_path / "folder.tif").mkdir()
    (tmp_path / "folder.tif" / "inside.txt").write_text("x", encoding="utf-8")
    (tmp_path / "empty.tif").write_bytes(b"")
    cases = [("missing.tif", InputNotFoundError, r"^raster file not found: '.*missing\.tif'$"),
             ("folder.tif", UnreadableInputError,
              r"^'.*folder\.tif' is a folder, not a raster \(it holds 'inside\.txt', \.\.\.\); give"),
             ("empty.tif", UnreadableInputError, r"^raster '.*empty\.tif' is an empty file \(0 bytes\)")]
    for name, error, match in cases:
        for reader in (raster_statistics, read_raster):
            with pytest.raises(error, match=match):
                reader(tmp_path / name)
