"""Align a raster onto an analysis grid strip by strip, into a tiled GeoTIFF (bounded memory).

:func:`align_to_file` gives, pixel for pixel, what :func:`steppe_geo.io.read_raster` gives with
``grid=``, while holding only one strip of the grid (and the source pixels under it) in memory.
It is the first stage of a streamed or Dask run (``docs/scale.md``).

Why strips of whole rows, not square windows: GDAL's warper maps destination pixels to source
pixels with an approximate transformer (linear interpolation along each destination row, error
below 1/8 source pixel) whose interpolation nodes depend on the row's extent. A strip spans the
grid's full width, so every row is transformed exactly as in the whole-grid warp; the
resampling-kernel scale of downsampling methods is fixed for the whole grid
(:func:`steppe_geo.io.alignment.warp_scales`). Square windows would change both and shift values
by up to 1/8 source pixel (measured on the sample DEM: up to 1 m).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rioxarray
import xarray as xr
from rasterio.windows import Window

from steppe_geo._typing import PathLike
from steppe_geo._validation import parse_choice
from steppe_geo.errors import (
    InputNotFoundError,
    InvalidParameterError,
    MissingCRSError,
    NonFiniteValuesWarning,
    NoOverlapError,
    UnreadableInputError,
)
from steppe_geo.grid import Grid
from steppe_geo.io import alignment as _alignment
from steppe_geo.io import raster as _raster
from steppe_geo.io import raster_meta as _raster_meta
from steppe_geo.io.alignment import LayerKind, ResamplingMethod, parse_raster_kind
from steppe_geo.io.raster_meta import KIND_TAG, UNITS_TAG
from steppe_geo.io.remote import input_path, is_remote

__all__ = ["align_to_file", "open_lazy", "read_window", "tiled_writer"]

BLOCK = 256
"""Tile size of the intermediate GeoTIFFs (pixels)."""

GDAL_CACHE_MB = 256
"""GDAL block-cache limit while aligning (GDAL's default, 5 % of RAM, would let the cache, not the
strip, set the peak memory)."""


def _free_nodata_pass(ds: Any, window: Window | None, dtype: np.dtype, rows: int) -> int:
    """A free integer nodata for a categorical source without one (read_raster's choice), by strips."""
    info = np.iinfo(dtype)
    cands = [int(info.max), int(info.min), 0]
    win = window if window is not None else Window(0, 0, ds.width, ds.height)
    r0, r1 = int(win.row_off), int(win.row_off + win.height)
    for start in range(r0, r1, rows):
        part = ds.read(window=Window(win.col_off, start, win.width, min(rows, r1 - start)))
        cands = [c for c in cands if not np.any(part == c)]
        if not cands:
            raise InvalidParameterError(f"raster {ds.name!r}: no free integer value to use as nodata")
    return cands[0]


def _infinite_pass(ds: Any, window: Window | None, rows: int) -> tuple[int, int, int]:
    """(+inf and -inf pixels, +inf pixels, pixels read) in the source window, by strips of ``rows``.

    The count :func:`steppe_geo.io.read_raster` makes of the same window before resampling, so a
    streamed run announces the same number as a memory run at every resolution.
    """
    win = window if window is not None else Window(0, 0, ds.width, ds.height)
    r0, r1 = int(win.row_off), int(win.row_off + win.height)
    n = n_pos = 0
    for start in range(r0, r1, rows):
        part = ds.read(window=Window(win.col_off, start, win.width, min(rows, r1 - start)), masked=True)
        raw = np.ma.getdata(part)
        inf = np.isinf(raw) & ~np.ma.getmaskarray(part)
        n += int(inf.sum())
        n_pos += int((inf & (raw > 0)).sum())
    return n, n_pos, int(ds.count * win.height * win.width)


def align_to_file(
    source: PathLike,
    path: PathLike,
    *,
    grid: Grid,
    rows: int = 256,
    kind: str | LayerKind | None = None,
    resampling: str | ResamplingMethod | None = None,
    client: Any = None,
) -> Path:
    """Align a raster file onto ``grid`` strip by strip and write a tiled GeoTIFF.

    Reading ``path`` back with :func:`steppe_geo.io.read_raster` gives the same values, dtype,
    nodata, units, kind and time coordinate as ``read_raster(source, grid=grid)``.

    Parameters
    ----------
    source : str or os.PathLike
        A GDAL raster in any CRS overlapping ``grid``: a file, or a URL GDAL reads by range
        requests (``https://``, ``s3://``, ``/vsicurl/``; :mod:`steppe_geo.io.remote`).
    path : str or os.PathLike
        Destination ``.tif`` (overwritten; an intermediate of a run's work folder).
    grid : Grid
        Analysis grid (projected, metres).
    rows : int, default 256
        Rows of the grid per strip; peak memory is about ``rows × grid.cols × bands × 4`` bytes
        plus the source pixels under the strip.
    kind, resampling : optional
        As in :func:`steppe_geo.io.read_raster` (defaults by layer kind and coarsening ratio).
    client : distributed.Client, optional
        Warp each strip as a Dask task (the workers read the source; this process writes);
        without one, a plain loop.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputNotFoundError, UnreadableInputError, MissingCRSError, NoOverlapError
        As :func:`steppe_geo.io.read_raster`.
    InvalidParameterError
        ``rows`` is not a positive integer; unknown ``kind`` or ``resampling``.
    """
    if isinstance(rows, bool) or not isinstance(rows, int | np.integer) or int(rows) <= 0:
        raise InvalidParameterError(f"rows must be an integer > 0, got {rows!r}")
    method = None if resampling is None else parse_choice(ResamplingMethod, resampling, param="resampling")
    return _align_strips(input_path(source), Path(path), grid=grid, rows=int(rows), kind=kind, method=method,
                         client=client)


def _whole_grid_meta(src: Path | str, grid: Grid, kind: Any) -> dict[str, Any]:
    """Source window, metadata, layer kind of the whole-grid read (no pixels read)."""
    if not is_remote(src) and not Path(src).exists():
        raise InputNotFoundError(f"raster file not found: {str(src)!r}")
    try:
        ds = rasterio.open(src)
    except rasterio.errors.RasterioIOError as exc:
        raise _raster_meta._open_error(src, exc) from None
    with ds:
        if ds.crs is None:
            raise MissingCRSError(f"raster {str(src)!r} has no CRS; assign one (e.g. gdal_edit.py -a_srs "
                                  "EPSG:4326) or pass (array, transform, crs)")
        window = _raster_meta._grid_window(ds, grid, str(src))
        full = Window(0, 0, ds.width, ds.height)
        win = window if window is not None else full
        tags = ds.tags()
        meta = {
            "crs": _raster.pyproj.CRS.from_user_input(ds.crs.to_wkt()),
            "transform": ds.window_transform(win),
            "shape": (int(win.height), int(win.width)),
            "nodata": ds.nodata,
            "scales": ds.scales,
            "offsets": ds.offsets,
            "descriptions": ds.descriptions,
            "band_tags": [ds.tags(i) for i in range(1, ds.count + 1)],
            "kind": tags.get(KIND_TAG),
            "years_tag": tags.get("years") or tags.get("YEARS"),
            "has_colormap": _raster_meta._has_colormap(ds),
            "units": tags.get(UNITS_TAG) or next((u for u in ds.units if u), None),
            "dtype": np.dtype(ds.dtypes[0]),
            "count": ds.count,
        }
        layer_kind = _raster._decide_kind(kind, meta)
        meta["layer_kind"] = layer_kind
        if layer_kind is LayerKind.CATEGORICAL:
            if not np.issubdtype(meta["dtype"], np.integer):
                raise InvalidParameterError(
                    f"kind='categorical' needs an integer raster, got dtype {meta['dtype']}"
                )
            if meta["nodata"] is None:  # read_raster picks a value absent from the source window
                meta["nodata"] = _free_nodata_pass(ds, window, meta["dtype"], 512)
        if np.issubdtype(meta["dtype"], np.floating):
            meta["infinite"] = _infinite_pass(ds, window, 512)
    return meta


def _align_strips(src: Path | str, dest: Path, *, grid: Grid, rows: int, kind: Any,
                  method: ResamplingMethod | None, client: Any) -> Path:
    meta = _whole_grid_meta(src, grid, kind)
    n, n_pos, size = meta.get("infinite", (0, 0, 0))
    if n:  # masked in every strip (_warp_strip); announced once, with read_raster's count and words
        _raster._warn_infinite(str(src), n, n_pos, size, stacklevel=4)
    layer_kind: LayerKind = meta["layer_kind"]
    _raster_meta._check_overlap(grid, meta["crs"], meta["transform"], meta["shape"], str(src))
    if method is None:
        src_res = _alignment._source_resolution_in(meta["crs"], meta["transform"], meta["shape"], grid.crs)
        ratio = math.sqrt(grid.resolution[0] * grid.resolution[1]) / src_res
        method = _alignment.default_resampling(layer_kind, ratio)
    scales = _alignment.warp_scales(meta["crs"], meta["transform"], grid)
    continuous = layer_kind is LayerKind.CONTINUOUS
    dtype = np.dtype(np.float32) if continuous else meta["dtype"]
    nodata = math.nan if continuous else meta["dtype"].type(meta["nodata"]).item()
    years = _raster_meta._time_coords(meta, meta["count"])
    tags = {KIND_TAG: layer_kind.value, "resampling": method.value, "source": str(src)}
    if meta["units"]:
        tags[UNITS_TAG] = meta["units"]
    if years is not None:
        tags["years"] = ",".join(str(y) for y in years)
    strips = [Window(0, r0, grid.cols, min(rows, grid.rows - r0)) for r0 in range(0, grid.rows, rows)]
    args = (layer_kind, None if continuous else meta["nodata"], method, scales)
    # strips the source does not reach are never written and read back as nodata (sparse file)
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB), \
            tiled_writer(dest, grid, dtype=dtype, nodata=nodata, count=meta["count"], tags=tags) as out:
        if client is None:
            for win in strips:
                arr = _warp_strip(str(src), grid, win, *args)
                if arr is not None:
                    out.write(arr, window=win)
        else:
            import distributed

            where = src if is_remote(src) else str(Path(src).resolve())  # the workers' view of it
            futures = [client.submit(_warp_strip, where, grid, win, *args, pure=False)
                       for win in strips]  # one task per strip
            index = {f.key: i for i, f in enumerate(futures)}
            for fut in distributed.as_completed(futures):
                arr = fut.result()
                if arr is not None:
                    out.write(arr, window=strips[index[fut.key]])
                fut.release()
    return dest


def _warp_strip(src: str, grid: Grid, win: Window, layer_kind: LayerKind, nodata: Any,
                method: ResamplingMethod, scales: tuple[float, float]) -> np.ndarray | None:
    """One strip of the grid warped from ``src`` (None where the source does not reach it)."""
    strip = grid.window_grid(win)
    try:
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
            data, smeta, _ = _raster._load(src, strip)
    except NoOverlapError:  # the source does not reach this strip: nodata, as in the whole warp
        return None
    if nodata is not None:
        smeta["nodata"] = nodata  # the whole-grid choice for a categorical layer (maybe a free value)
    with warnings.catch_warnings():  # ±inf are nodata, as in read_raster; _align_strips announced them
        warnings.simplefilter("ignore", NonFiniteValuesWarning)
        data = _raster._mask_infinite(data, src)
    values, nd = _raster._decode(data, smeta, layer_kind)
    return _alignment._align(values, nd, smeta, strip, method, scales=scales)


def _check_bands(bands: Sequence[int] | None, count: int, src: Path) -> list[int]:
    """The 1-based band indexes to read: every band, or ``bands`` checked against the file."""
    if bands is None:
        return list(range(1, count + 1))
    picked = [int(b) for b in bands]
    if not picked or any(b < 1 or b > count for b in picked) or any(
            b >= c for b, c in itertools.pairwise(picked)):
        raise InvalidParameterError(
            f"bands must be increasing band numbers within 1..{count} of {str(src)!r}, got {list(bands)!r}")
    return picked


def read_window(path: PathLike, window: Window | None = None, *, name: str | None = None,
                bands: Sequence[int] | None = None) -> xr.DataArray:
    """Read one window of a raster already on the analysis grid, as :func:`read_raster` reads it.

    For the intermediates of :func:`align_to_file` (and any GeoTIFF :func:`read_raster` reads
    without aligning): continuous layers float with NaN nodata, categorical layers integer with
    their nodata, bands named by years become a ``time`` dimension. Only the window is read.

    Parameters
    ----------
    path : str or os.PathLike
        A raster on the analysis grid.
    window : rasterio.windows.Window, optional
        Pixel window of the grid, e.g. ``GridWindow.padded`` (default: the whole raster).
    name : str, optional
        Name of the result (default: the file's stem).
    bands : sequence of int, optional
        Only these bands (1-based, increasing, as rasterio counts them), e.g. a few years of a
        time stack at a time so that a window's memory does not grow with the number of bands
        (default: every band). Their ``time`` (or ``band``) coordinates are those of the whole
        file; the result keeps its band dimension even for one band, when the file has several.

    Returns
    -------
    xarray.DataArray
        On the window's grid (CRS and transform of the window), ``attrs`` ``units``, ``kind``,
        ``source``.

    Raises
    ------
    InputNotFoundError
        The file does not exist.
    InvalidParameterError
        ``bands`` is empty, not increasing, or names a band the file does not have.
    """
    src = Path(path)
    if not src.exists():
        raise InputNotFoundError(f"raster file not found: {str(src)!r}")
    with rasterio.open(src) as ds:
        window = window if window is not None else Window(0, 0, ds.width, ds.height)
        indexes = _check_bands(bands, ds.count, src)
        arr = ds.read(indexes, window=window)
        tags = ds.tags()
        nodata = ds.nodata
        g = Grid(ds.crs.to_wkt(), ds.window_transform(window), (int(window.height), int(window.width)))
        units = tags.get(UNITS_TAG) or next((u for u in ds.units if u), None)
        meta = {"years_tag": tags.get("years"), "descriptions": ds.descriptions,
                "band_tags": [ds.tags(i) for i in range(1, ds.count + 1)]}
    kind = parse_raster_kind(tags.get(KIND_TAG) or "continuous", param=f"{KIND_TAG} tag of {src}")
    continuous = kind is LayerKind.CONTINUOUS
    if continuous and not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float32)
    if continuous and nodata is not None and not math.isnan(nodata):
        arr = np.where(arr == nodata, np.nan, arr)
    count = len(meta["descriptions"])
    years = _raster_meta._time_coords(meta, count)
    picked = np.asarray(indexes) - 1
    da = g.to_dataarray(arr if count > 1 else arr[0], name=name or src.stem,
                        nodata=None if continuous else nodata)
    if years is not None:
        da = da.rename(band="time").assign_coords(time=np.asarray(years, dtype=np.int64)[picked])
    elif count > 1:
        da = da.assign_coords(band=np.arange(1, count + 1)[picked])
    if units:
        da.attrs["units"] = units
    da.attrs["source"] = tags.get("source", str(src))
    da.attrs["kind"] = kind.value
    if tags.get("resampling"):
        da.attrs["resampling"] = tags["resampling"]
    return da


def tiled_writer(path: PathLike, grid: Grid, *, dtype: str | np.dtype, nodata: float | int | None,
                 count: int = 1, tags: dict[str, str] | None = None) -> Any:
    """Open an uncompressed tiled GeoTIFF on ``grid`` for window-by-window writes (an intermediate).

    Parameters
    ----------
    path : str or os.PathLike
        Destination ``.tif`` (created with its folders, overwritten).
    grid : Grid
        Grid of the raster.
    dtype : str or numpy dtype
        Data type of the pixels.
    nodata : number or None
        Declared nodata (NaN for float layers).
    count : int, default 1
        Bands.
    tags : dict, optional
        Dataset tags (``STEPPE_GEO_KIND``, ``STEPPE_GEO_UNITS``, ``years``, ...).

    Returns
    -------
    rasterio dataset opened for writing; close it (a context manager). Blocks never written read
    back as nodata.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    ds = rasterio.open(
        dest, "w", driver="GTiff", width=grid.cols, height=grid.rows, count=count, dtype=np.dtype(dtype).name,
        crs=rasterio.crs.CRS.from_wkt(grid.crs.to_wkt()), transform=grid.transform, nodata=nodata,
        tiled=True, blockxsize=BLOCK, blockysize=BLOCK, BIGTIFF="IF_SAFER", compress="none", SPARSE_OK="TRUE",
    )
    if tags:
        ds.update_tags(**tags)
    return ds


def open_lazy(path: PathLike, *, name: str | None = None) -> xr.DataArray:
    """Open a raster on the analysis grid lazily: pixels are read when used, and not kept.

    For the intermediates of a streamed or Dask run (derived layers, criteria), so that a run holds
    a layer only while a later stage uses it. Coordinates are those of the grid
    (:meth:`steppe_geo.Grid.to_dataarray`), so the result aligns exactly with arrays made on it.

    Parameters
    ----------
    path : str or os.PathLike
        A GeoTIFF on the analysis grid.
    name : str, optional
        Name of the result (default: the file's stem).

    Returns
    -------
    xarray.DataArray
        Lazily loaded (rioxarray, ``cache=False``); dims ``("y", "x")`` for one band, else
        ``("band", "y", "x")``; ``attrs["units"]`` from the file's units tag.

    Raises
    ------
    InputNotFoundError
        The file does not exist.
    """
    src = Path(path)
    if not src.exists():
        raise InputNotFoundError(f"raster file not found: {str(src)!r}")
    with rasterio.open(src) as ds:
        g = Grid(ds.crs.to_wkt(), ds.transform, (ds.height, ds.width))
        units = ds.tags().get(UNITS_TAG)
        count = ds.count
    opened = rioxarray.open_rasterio(src, cache=False, mask_and_scale=False)
    if not isinstance(opened, xr.DataArray):  # several subdatasets (e.g. a NetCDF or HDF container)
        raise UnreadableInputError(
            f"cannot read raster {str(src)!r}: it holds several subdatasets, not one raster")
    da = opened.assign_coords(x=g.x_coords(), y=g.y_coords())
    if count == 1:
        da = da.squeeze("band", drop=True)
    da.name = name or src.stem
    if units:
        da.attrs["units"] = units
    da.rio.write_crs(g.crs, inplace=True)
    da.rio.write_transform(g.transform, inplace=True)
    return da
