"""Decimated reads of rasters on the analysis grid: what a map needs, never the whole array.

A map figure is at most a couple of thousand pixels wide, so drawing a 30 000 × 40 000 score
raster needs a reduced copy, not the raster. :func:`read_decimated` asks GDAL for the raster at
a reduced shape (``rasterio``'s ``out_shape=`` read): from a COG's overview levels when it has
them, else by resampling while reading the blocks, so memory holds only the reduced array.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import rasterio
import xarray as xr
from affine import Affine
from rasterio.enums import Resampling

from steppe_geo._typing import PathLike
from steppe_geo._validation import parse_choice
from steppe_geo.errors import InputNotFoundError, InvalidParameterError
from steppe_geo.grid import Grid
from steppe_geo.io.raster import KIND_TAG, UNITS_TAG, LayerKind, ResamplingMethod, parse_raster_kind
from steppe_geo.io.warp import GDAL_CACHE_MB

__all__ = ["MAP_MAX_PIXELS", "decimated_shape", "read_decimated"]

MAP_MAX_PIXELS = 2000
"""Longest side (pixels) of the array a map is drawn from: a 7.5-inch figure at 110 dpi is about
800 pixels wide, so 2000 leaves room for zoomed PDF output."""


def decimated_shape(rows: int, cols: int, *, max_pixels: int = MAP_MAX_PIXELS) -> tuple[int, int]:
    """The shape of a raster reduced by a whole factor until its longest side is ``max_pixels`` or less.

    Parameters
    ----------
    rows, cols : int
        Shape of the raster.
    max_pixels : int, default :data:`MAP_MAX_PIXELS`
        Longest side allowed.

    Returns
    -------
    (int, int)
        ``(ceil(rows / f), ceil(cols / f))`` for the smallest integer factor ``f`` that fits;
        the shape itself when it fits already.

    Raises
    ------
    InvalidParameterError
        ``max_pixels`` is not a positive integer.

    Examples
    --------
    >>> decimated_shape(30_000, 45_000)
    (1305, 1957)
    >>> decimated_shape(300, 450)
    (300, 450)
    """
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, int | np.integer) or max_pixels <= 0:
        raise InvalidParameterError(f"max_pixels must be an integer > 0, got {max_pixels!r}")
    factor = max(1, math.ceil(max(rows, cols) / max_pixels))
    return -(-rows // factor), -(-cols // factor)


def read_decimated(path: PathLike, *, max_pixels: int = MAP_MAX_PIXELS,
                   resampling: str | ResamplingMethod | None = None) -> xr.DataArray:
    """Read a raster reduced to at most ``max_pixels`` on its longest side (for maps).

    A raster that fits is read whole, unchanged (the same array as
    :func:`steppe_geo.io.read_window`). A larger one is read at :func:`decimated_shape` with GDAL
    resampling (a COG's overview levels are used when they exist): the result covers the same
    extent with proportionally larger pixels.

    Parameters
    ----------
    path : str or os.PathLike
        A single-band raster on the analysis grid (a run's COG output or tiled intermediate).
    max_pixels : int, default :data:`MAP_MAX_PIXELS`
        Longest side of the result.
    resampling : {"nearest", "average", ...}, optional
        How pixels are combined. Default by the file's ``STEPPE_GEO_KIND`` tag: ``average`` for
        continuous layers (nodata ignored), ``nearest`` for categorical ones and bitmasks
        (classes and bits must stay real values).

    Returns
    -------
    xarray.DataArray
        ``("y", "x")`` with CRS and the reduced grid's transform. Continuous layers are float
        with NaN nodata; categorical layers keep their dtype and nodata. ``attrs``: ``units``,
        ``kind``, ``decimation`` (the pixel-size factor, 1 when read whole).

    Raises
    ------
    InputNotFoundError
        The file does not exist.
    InvalidParameterError
        The file has more than one band, ``max_pixels`` is not a positive integer, or
        ``resampling`` is unknown.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np, steppe_geo as sg
    >>> grid = sg.Grid.from_bounds((0, 0, 4000, 2000), crs="EPSG:32649", resolution_m=100)
    >>> ramp = grid.to_dataarray(np.arange(800, dtype="float32").reshape(20, 40), name="ramp")
    >>> path = sg.write_raster(ramp, pathlib.Path(tempfile.mkdtemp()) / "ramp.tif")
    >>> small = read_decimated(path, max_pixels=20)
    >>> small.shape, small.rio.resolution()
    ((10, 20), (200.0, -200.0))
    >>> float(small[0, 0])  # mean of pixels 0, 1, 40 and 41
    20.5
    """
    src = Path(path)
    if not src.exists():
        raise InputNotFoundError(f"raster file not found: {str(src)!r}")
    method = None if resampling is None else parse_choice(ResamplingMethod, resampling, param="resampling")
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB), rasterio.open(src) as ds:  # the cache, capped
        if ds.count != 1:
            raise InvalidParameterError(f"read_decimated reads one band; {str(src)!r} has {ds.count}")
        tags = ds.tags()
        kind = parse_raster_kind(tags.get(KIND_TAG) or ("continuous" if ds.dtypes[0].startswith("float")
                                                        else "categorical"),
                                 param=f"{KIND_TAG} tag of {src}")
        if method is None:
            method = ResamplingMethod.AVERAGE if kind is LayerKind.CONTINUOUS else ResamplingMethod.NEAREST
        rows, cols = decimated_shape(ds.height, ds.width, max_pixels=max_pixels)
        arr = ds.read(1, out_shape=(rows, cols), resampling=Resampling[method.value])
        nodata = ds.nodata
        transform = ds.transform * Affine.scale(ds.width / cols, ds.height / rows)
        g = Grid(ds.crs.to_wkt(), transform, (rows, cols))
        units = tags.get(UNITS_TAG) or next((u for u in ds.units if u), None)
        factor = ds.width / cols
    continuous = kind is LayerKind.CONTINUOUS
    if continuous:
        arr = arr.astype(np.float32, copy=False) if not np.issubdtype(arr.dtype, np.floating) else arr
        if nodata is not None and not math.isnan(nodata):
            arr = np.where(arr == nodata, np.nan, arr)
    da = g.to_dataarray(arr, name=src.stem, nodata=None if continuous else nodata)
    if units:
        da.attrs["units"] = units
    da.attrs["kind"] = kind.value
    da.attrs["decimation"] = float(factor)
    return da
