"""What a raster file says about itself.

The steppe_geo kind and units tags, its georeferencing (checked), the window of a grid in it and
whether they overlap, its nodata, colormap and band years.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import rasterio
import rasterio.errors
import rasterio.warp
import rasterio.windows
from affine import Affine
from rasterio.windows import Window

from steppe_geo._validation import check_allocation, check_pixel_count
from steppe_geo.errors import (
    InputNotFoundError,
    InvalidParameterError,
    NoOverlapError,
    UnreadableInputError,
)
from steppe_geo.grid import Grid
from steppe_geo.io._hints import not_a_file, unreadable_detail
from steppe_geo.io.remote import input_path, is_remote

__all__ = ["KIND_TAG", "UNITS_TAG", "WINDOW_PAD"]

KIND_TAG = "STEPPE_GEO_KIND"
UNITS_TAG = "STEPPE_GEO_UNITS"

_YEAR = re.compile(r"^\D*((?:19|20|21)\d\d)\D*$")


def _open_error(path: Path | str, exc: Exception) -> UnreadableInputError:
    return UnreadableInputError(f"cannot read raster {str(path)!r}: {unreadable_detail(path, exc, 'raster')}")


def _raster_path(source: Any) -> Any:
    """The path of a raster to open, checked before GDAL guesses at it (a URL stays a string: GDAL reads it).

    Raises
    ------
    InputNotFoundError
        A local file that does not exist.
    UnreadableInputError
        A folder or an empty file (:func:`~steppe_geo.io._hints.not_a_file`).
    """
    path = input_path(source)
    if not is_remote(path) and not path.exists():
        raise InputNotFoundError(f"raster file not found: {str(path)!r}")
    problem = not_a_file(path, "raster")
    if problem:
        raise UnreadableInputError(problem)
    return path


def _north_up(transform: Affine, height: int) -> tuple[Affine, bool]:
    """The north-up form of a south-up ``transform`` (positive y pixel size) and whether it was flipped.

    Row ``i`` of a south-up raster of ``height`` rows is row ``height - 1 - i`` of its north-up
    form; other transforms are returned as they are.
    """
    if transform.e > 0 and transform.b == 0 and transform.d == 0:
        north = transform.f + transform.e * height
        return Affine(transform.a, 0.0, transform.c, 0.0, -transform.e, north), True
    return transform, False


def _is_rotated(transform: Affine) -> bool:
    """True for a rotated or sheared geotransform (or one with x growing westward)."""
    return transform.b != 0 or transform.d != 0 or transform.a <= 0 or transform.e >= 0


def _footprint(transform: Affine, shape: tuple[int, int]) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` of the four corners of a raster of ``shape`` (any geotransform)."""
    rows, cols = shape
    xs, ys = zip(*(transform * (c, r) for c in (0, cols) for r in (0, rows)), strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def _check_georeferencing(ds: Any, label: str) -> None:
    """Refuse a dataset that cannot be placed or read: no geotransform, GCPs only, complex values.

    Parameters
    ----------
    ds : rasterio dataset
        An open raster.
    label : str
        The file named in the message.

    Raises
    ------
    UnreadableInputError
        The raster has no geotransform (GDAL's default identity transform: pixel coordinates
        only), is placed only by ground control points or RPCs, or holds complex numbers.
    """
    dtype = np.dtype(ds.dtypes[0])
    if np.issubdtype(dtype, np.complexfloating):
        raise UnreadableInputError(
            f"raster {label!r} holds complex numbers ({dtype}); steppe_geo reads real values only and will "
            "not drop the imaginary part silently: write the band you mean (real part, amplitude, phase) "
            "as a real raster first, e.g. gdal_translate -ot Float32 (real part) or gdal_calc.py with "
            "the expression you need"
        )
    if ds.transform.is_identity:
        gcps = ds.gcps[0] if ds.gcps else []
        if gcps or ds.rpcs:
            how = f"{len(gcps)} ground control points" if gcps else "rational polynomial coefficients (RPCs)"
            raise UnreadableInputError(
                f"raster {label!r} has no geotransform, only {how}: warp it onto a map grid first, e.g. "
                "gdalwarp -t_srs EPSG:<code> (add -tps or -rpc as fits) IN.tif OUT.tif"
            )
        raise UnreadableInputError(
            f"raster {label!r} has no geotransform (its pixels have no place on the map: GDAL gives the "
            f"identity transform, pixel ({ds.width} × {ds.height}) coordinates only); assign it, e.g. "
            "gdal_edit.py -a_ullr <west> <north> <east> <south> FILE (and -a_srs EPSG:<code> if it has no "
            "CRS), or pass (array, transform, crs)"
        )


WINDOW_PAD = 4
"""Source pixels read beyond the grid's footprint (covers cubic/lanczos kernels)."""


def _check_overlap(grid: Grid, crs: pyproj.CRS, transform: Affine, shape: tuple[int, int],
                   label: str) -> None:
    try:
        w, b, r, t = rasterio.warp.transform_bounds(crs, grid.crs, *_footprint(transform, shape),
                                                    densify_pts=21)
    except Exception:  # projection failure means no usable overlap
        w = b = r = t = math.nan
    gw, gs, ge, gn = grid.bounds
    if not (w < ge and r > gw and b < gn and t > gs):
        raise NoOverlapError(
            f"raster {label!r} does not overlap the grid: raster bounds in the grid CRS "
            f"{(round(w, 3), round(b, 3), round(r, 3), round(t, 3))}, grid {grid.describe()}"
        )


def _grid_window(ds: Any, grid: Grid, label: str) -> Window | None:
    """Window of ``ds`` covering ``grid`` (padded), or None to read everything.

    None also for south-up, rotated and sheared rasters (read whole; GDAL warps them).
    """
    if _is_rotated(ds.transform):
        return None
    crs = pyproj.CRS.from_user_input(ds.crs.to_wkt())
    return _window_of(crs, ds.transform, (ds.height, ds.width), grid, label)


def _window_of(crs: pyproj.CRS, transform: Affine, shape: tuple[int, int], grid: Grid,
               label: str) -> Window | None:
    """Window of a north-up raster (``crs``, ``transform``, ``shape``) covering ``grid``, padded."""
    try:
        w, b, r, t = rasterio.warp.transform_bounds(grid.crs, crs, *grid.bounds, densify_pts=21)
    except Exception:  # the grid cannot be expressed in the source CRS: read all, check later
        return None
    if not all(map(math.isfinite, (w, b, r, t))) or (crs.is_geographic and r < w):
        return None
    full = Window(0, 0, shape[1], shape[0])
    win = rasterio.windows.from_bounds(w, b, r, t, transform=transform)
    col0 = math.floor(win.col_off) - WINDOW_PAD
    row0 = math.floor(win.row_off) - WINDOW_PAD
    col1 = math.ceil(win.col_off + win.width) + WINDOW_PAD
    row1 = math.ceil(win.row_off + win.height) + WINDOW_PAD
    try:
        return Window(col0, row0, col1 - col0, row1 - row0).intersection(full)
    except rasterio.errors.WindowError:
        _check_overlap(grid, crs, transform, shape, label)  # raises
        return None


def _check_nodata_fits(nodata: Any, dtype: np.dtype, label: str, *, declared: bool) -> None:
    """Refuse an integer raster's nodata that no pixel can hold (NaN, a fraction, beyond the dtype's range).

    Such a value marks nothing, so the pixels the data's author meant as missing would be read as data.
    """
    if nodata is None or not np.issubdtype(dtype, np.integer):
        return
    info = np.iinfo(dtype)
    value = float(nodata)
    if math.isfinite(value) and value == int(value) and info.min <= value <= info.max:
        return
    where = "the nodata given" if declared else "its nodata (file metadata)"
    raise InvalidParameterError(
        f"nodata: raster {label!r} is {dtype} (values {info.min}..{info.max}) but {where} is {nodata!r}, "
        f"which no pixel can hold, so it marks nothing; give the value that marks missing pixels, an integer "
        f"in {info.min}..{info.max}, with nodata= (in a configuration: nodata = <n> in its [sources.<name>] "
        "table)"
    )


def _check_read_size(ds: Any, window: Window | None, label: str) -> None:
    """Refuse, before allocating, a read of more pixels than the cap or more bytes than are available.

    Counts the values read, their mask and the float32 decoded copy (itemsize + 1 + 4 bytes per
    pixel and band).
    """
    rows, cols = (int(window.height), int(window.width)) if window is not None else (ds.height, ds.width)
    n = check_pixel_count(rows, cols, bands=ds.count, what=f"raster {label!r}",
                          hint="read it window by window (run.mode = \"streamed\") or crop it first")
    itemsize = np.dtype(ds.dtypes[0]).itemsize
    check_allocation(n * (itemsize + 5), what=f"reading raster {label!r} ({rows:,} × {cols:,} pixels × "
                     f"{ds.count} bands of {ds.dtypes[0]})",
                     hint="read a smaller window of it (a coarser grid or a smaller area), or run "
                          "window by window (run.mode = \"streamed\")")


def _has_colormap(ds: Any) -> bool:
    try:
        ds.colormap(1)
    except ValueError:
        return False
    return True


def _per_band(value: Any, count: int, default: Any, *, attr: str) -> tuple[Any, ...]:
    """A per-band tuple from a scalar, a sequence of ``count`` values, or None."""
    if value is None:
        return (default,) * count
    if isinstance(value, tuple | list | np.ndarray):
        values = tuple(v.item() if isinstance(v, np.generic) else v for v in value)
        if len(values) == count:
            return values
        if len(values) == 1:
            return values * count
        raise InvalidParameterError(
            f"DataArray attribute {attr!r} has {len(values)} values for {count} bands: {value!r}"
        )
    return (value.item() if isinstance(value, np.generic) else value,) * count


def _time_coords(meta: dict[str, Any], count: int) -> list[int] | None:
    if count < 2:
        return None
    if meta.get("years_tag"):
        parts = [p.strip() for p in str(meta["years_tag"]).replace(";", ",").split(",")]
        if len(parts) == count and all(_YEAR.match(p) for p in parts):
            return [int(p) for p in parts]
    years = []
    for desc, btags in zip(meta["descriptions"], meta["band_tags"], strict=True):
        cand = btags.get("year") or btags.get("YEAR") or desc
        m = _YEAR.match(str(cand)) if cand is not None else None
        if m is None:
            return None
        years.append(int(m.group(1)))
    return years
