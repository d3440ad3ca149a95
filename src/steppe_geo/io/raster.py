"""Read rasters and align them onto an analysis :class:`~steppe_geo.Grid`.

Continuous layers become float32 with NaN nodata (scale/offset decoded); categorical
layers stay integer with their nodata. Multi-band series whose bands are years get a
``time`` dimension holding those years.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pyproj
import rasterio
import rasterio.errors
import rasterio.warp
import rasterio.windows
import xarray as xr
from affine import Affine
from rasterio.windows import Window

from steppe_geo._deprecation import warn_renamed
from steppe_geo._typing import CRSLike, PathLike
from steppe_geo._validation import parse_choice
from steppe_geo.errors import (
    ImplausibleInputError,
    InvalidParameterError,
    LayerKindWarning,
    MissingCRSError,
    NonFiniteValuesWarning,
    UnreadableInputError,
)
from steppe_geo.georef import dataarray_transform
from steppe_geo.grid import Grid
from steppe_geo.io._hints import missing_crs_hint
from steppe_geo.io.alignment import (
    COARSEN_RATIO as COARSEN_RATIO,  # importable from here as before the split
)
from steppe_geo.io.alignment import (
    LayerKind,
    ResamplingMethod,
    _align,
    _source_resolution_in,
    default_resampling,
    parse_raster_kind,
)
from steppe_geo.io.alignment import (
    warp_scales as warp_scales,  # importable from here as before the split
)
from steppe_geo.io.plausibility import format_values
from steppe_geo.io.raster_meta import (
    KIND_TAG,
    UNITS_TAG,
    _check_georeferencing,
    _check_nodata_fits,
    _check_overlap,
    _check_read_size,
    _has_colormap,
    _is_rotated,
    _north_up,
    _open_error,
    _per_band,
    _raster_path,
    _time_coords,
    _window_of,
)
from steppe_geo.io.raster_meta import (
    WINDOW_PAD as WINDOW_PAD,  # importable from here as before the split
)
from steppe_geo.io.units import Unit, base_unit, convert, parse_unit

__all__ = ["LayerKind", "RasterSource", "ResamplingMethod", "read_raster"]

RasterSource: TypeAlias = (
    PathLike | rasterio.io.DatasetReaderBase | xr.DataArray | tuple[np.ndarray, Affine, CRSLike]
)
"""What :func:`read_raster` reads: a path, an open rasterio dataset, a georeferenced DataArray
or ``(array, transform, crs)``."""


# ---------------------------------------------------------------------------- reading


def _from_dataset(ds: Any, label: str, grid: Grid | None = None
                  ) -> tuple[np.ma.MaskedArray, dict[str, Any]]:
    if ds.count == 0:  # a container of several variables (NetCDF, HDF): no bands of its own
        names = [str(sub).rsplit(":", 1)[-1] for sub in (ds.subdatasets or [])]
        raise UnreadableInputError(
            f"raster {label!r} holds no bands of its own but {len(names)} variables ({', '.join(names)}): "
            "read one with steppe_geo.io.read_raster_stack(path, variable=...), or write it to a GeoTIFF"
        )
    _check_georeferencing(ds, label)
    if ds.crs is None:
        raise MissingCRSError(
            f"raster {label!r} has no CRS; {missing_crs_hint(tuple(ds.bounds))} "
            "(gdal_edit.py -a_srs EPSG:<code> FILE, or pass (array, transform, crs))"
        )
    _check_nodata_fits(ds.nodata, np.dtype(ds.dtypes[0]), label, declared=False)
    # a south-up raster (positive y pixel size) is read flipped: the same as its north-up version
    transform, flipped = _north_up(ds.transform, ds.height)
    window = None
    if grid is not None and not _is_rotated(transform):
        window = _window_of(pyproj.CRS.from_user_input(ds.crs.to_wkt()), transform, (ds.height, ds.width),
                            grid, label)
    file_window = window
    if flipped and window is not None:
        file_window = Window(window.col_off, ds.height - window.row_off - window.height, window.width,
                             window.height)
    _check_read_size(ds, window, label)
    try:
        data = ds.read(masked=True, window=file_window)
    except rasterio.errors.RasterioError as exc:
        raise UnreadableInputError(f"cannot read pixels of raster {label!r}: {exc} (is the file truncated or "
                                   "corrupt? gdalinfo -checksum FILE reads every block)") from None
    if flipped:
        data = data[:, ::-1, :]
    tags = ds.tags()
    band_tags = [ds.tags(i) for i in range(1, ds.count + 1)]
    # our tag, else the bands' units, else a dataset-level "units" tag (GDAL metadata, netCDF)
    units = (tags.get(UNITS_TAG) or next((u for u in ds.units if u), None)
             or tags.get("units") or tags.get("UNITS"))
    meta = {
        "crs": pyproj.CRS.from_user_input(ds.crs.to_wkt()),
        "transform": transform if window is None else rasterio.windows.transform(window, transform),
        "nodata": ds.nodata,
        "scales": ds.scales,
        "offsets": ds.offsets,
        "descriptions": ds.descriptions,
        "band_tags": band_tags,
        "kind": tags.get(KIND_TAG),
        "years_tag": tags.get("years") or tags.get("YEARS"),
        "has_colormap": _has_colormap(ds),
        "units": units,
        "dtype": np.dtype(ds.dtypes[0]),
    }
    return data, meta


def _check_some_valid(values: np.ndarray, nodata: Any, label: str, name: str | None, grid: Grid) -> None:
    """Refuse an aligned raster with no valid pixel on ``grid`` (all NaN, or all nodata)."""
    if np.issubdtype(values.dtype, np.floating):
        empty = bool(np.isnan(values).all())
    else:
        empty = nodata is not None and bool((values == nodata).all())
    if empty:
        input_ = f"input {name!r}: " if name and name != Path(label).stem else ""
        raise ImplausibleInputError(
            f"{input_}raster {label!r} has no valid pixel on the grid ({grid.describe()}): every pixel it "
            "has there is nodata, so every score it enters would be missing; give a raster with data over "
            "the area (check its path and its CRS), or the right nodata"
        )


def _from_dataarray(da: xr.DataArray) -> tuple[np.ma.MaskedArray, dict[str, Any]]:
    """Values and metadata of a DataArray, decoded like a file.

    A DataArray from ``rioxarray.open_rasterio(path)`` carries the file's metadata as
    attributes: ``scale_factor``/``add_offset`` and ``_FillValue`` (still encoded; with
    ``mask_and_scale=True`` they move to ``encoding`` and the values are already decoded),
    ``long_name`` (the band descriptions, e.g. years), ``units`` (one per band) and the
    dataset tags (``STEPPE_GEO_KIND``, ``years``). They are read the same way as from the file.
    """
    if da.rio.crs is None:
        try:
            west, south, east, north = (float(v) for v in da.rio.bounds())
            hint = missing_crs_hint((west, south, east, north))
        except Exception:  # no usable x/y coordinates either
            hint = "assign the CRS the data was made in"
        raise MissingCRSError(f"DataArray {da.name!r} has no CRS; {hint} (da.rio.write_crs(...))")
    values = np.asarray(da.values)
    if np.issubdtype(values.dtype, np.complexfloating):
        raise UnreadableInputError(
            f"DataArray {da.name!r} holds complex numbers ({values.dtype}); steppe_geo reads real values "
            "only and will not drop the imaginary part silently: pass the part you mean (da.real, abs(da))"
        )
    if values.dtype == np.bool_:  # decision: True/False are read as the integers 1/0 (GDAL has no bool type)
        values = values.astype(np.uint8)
    arr = values if values.ndim == 3 else values[np.newaxis]
    count = arr.shape[0]
    attrs = da.attrs
    nodata = da.rio.nodata if da.rio.nodata is not None else da.rio.encoded_nodata
    mask = _nodata_mask(arr, nodata)
    descriptions: tuple[str | None, ...] = _per_band(attrs.get("long_name"), count, None, attr="long_name")
    if values.ndim == 3 and da.dims[0] == "time":
        times = da["time"]
        if np.issubdtype(times.dtype, np.datetime64):
            descriptions = tuple(str(y) for y in times.dt.year.values)
        else:
            descriptions = tuple(str(t) for t in times.values)
    band_units = _per_band(attrs.get("units"), count, None, attr="units")
    units = attrs.get(UNITS_TAG) or next((u for u in band_units if u), None)
    meta = {
        "crs": pyproj.CRS.from_user_input(da.rio.crs.to_wkt()),
        "transform": dataarray_transform(da),
        "nodata": nodata,
        "scales": _per_band(attrs.get("scale_factor"), count, 1.0, attr="scale_factor"),
        "offsets": _per_band(attrs.get("add_offset"), count, 0.0, attr="add_offset"),
        "descriptions": descriptions,
        "band_tags": [{}] * count,
        "kind": attrs.get("kind") or attrs.get(KIND_TAG),
        "years_tag": attrs.get("years") or attrs.get("YEARS"),
        "has_colormap": False,
        "units": units,
        "dtype": arr.dtype,
    }
    return np.ma.MaskedArray(arr, mask=mask), meta


def _nodata_mask(arr: np.ndarray, nodata: Any) -> np.ndarray:
    mask = np.zeros(arr.shape, dtype=bool)
    if np.issubdtype(arr.dtype, np.floating):
        mask |= np.isnan(arr)
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        mask |= arr == nodata
    return mask


def _load(source: Any, grid: Grid | None = None) -> tuple[np.ma.MaskedArray, dict[str, Any], str | None]:
    if isinstance(source, xr.DataArray):
        data, meta = _from_dataarray(source)
        # rioxarray.open_rasterio keeps the path in .encoding["source"]
        return data, meta, source.attrs.get("source") or source.encoding.get("source")
    if isinstance(source, tuple) and len(source) == 3:
        arr, transform, crs = source
        if crs is None:
            raise MissingCRSError("source (array, transform, crs) has crs=None; give a CRS")
        if not isinstance(transform, Affine):
            transform = Affine(*tuple(transform)[:6])
        grid = Grid(crs, transform, np.shape(arr)[-2:])
        return (*_from_dataarray(grid.to_dataarray(np.asarray(arr))), None)
    if isinstance(source, rasterio.io.DatasetReaderBase):
        data, meta = _from_dataset(source, source.name, grid)
        return data, meta, source.name
    if isinstance(source, str | Path) or hasattr(source, "__fspath__"):
        path = _raster_path(source)  # a URL stays a string: GDAL reads it (/vsicurl/, /vsis3/)
        try:
            with warnings.catch_warnings():  # we say it ourselves (_check_georeferencing), naming the file
                warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
                ds = rasterio.open(path)
            with ds:
                data, meta = _from_dataset(ds, str(path), grid)
        except rasterio.errors.RasterioIOError as exc:
            raise _open_error(path, exc) from None
        return data, meta, str(path)
    raise InvalidParameterError(
        "source must be a path, a rasterio dataset, a DataArray or (array, transform, crs), "
        f"got {type(source).__name__}"
    )


def _decide_kind(kind: Any, meta: dict[str, Any]) -> LayerKind:
    if kind is not None:
        return parse_raster_kind(kind, param="kind")
    if meta["kind"]:
        return parse_raster_kind(meta["kind"], param=f"{KIND_TAG} tag")
    if np.issubdtype(meta["dtype"], np.integer) and meta["has_colormap"]:
        return LayerKind.CATEGORICAL
    return LayerKind.CONTINUOUS


def _decode(data: np.ma.MaskedArray, meta: dict[str, Any], kind: LayerKind, label: str = "array"
            ) -> tuple[np.ndarray, Any]:
    """Return (values, nodata): float32 + NaN for continuous, integer + nodata for categorical."""
    if kind is LayerKind.CONTINUOUS:
        raw = np.ma.getdata(data)
        mask = np.ma.getmaskarray(data)
        out = np.empty(raw.shape, dtype=np.float32)
        for i in range(raw.shape[0]):  # band by band: float64 arithmetic, bounded memory
            scale = meta["scales"][i] if meta["scales"][i] is not None else 1.0
            offset = meta["offsets"][i] if meta["offsets"][i] is not None else 0.0
            if scale == 1.0 and offset == 0.0:
                out[i] = raw[i]
            else:
                band = raw[i].astype(np.float64)
                band *= scale
                band += offset
                out[i] = band
            out[i][mask[i]] = np.nan
        return out, np.nan
    if not np.issubdtype(meta["dtype"], np.integer):
        raise InvalidParameterError(
            f"kind='categorical' needs an integer raster, got dtype {meta['dtype']}"
        )
    nodata = meta["nodata"]
    if nodata is None and np.ma.is_masked(data):
        nodata = _free_nodata(np.ma.compressed(data), meta["dtype"], label)
    values = np.ma.filled(data, nodata if nodata is not None else 0).astype(meta["dtype"])
    return values, (None if nodata is None else meta["dtype"].type(nodata).item())


def _free_nodata(values: np.ndarray, dtype: np.dtype, label: str = "array") -> int:
    info = np.iinfo(dtype)
    cands = list(dict.fromkeys((int(info.max), int(info.min), 0)))
    for cand in cands:
        if not np.any(values == cand):
            return cand
    raise InvalidParameterError(
        f"nodata: raster {label!r} ({dtype}, read as classes) declares no nodata and uses every candidate "
        f"value ({', '.join(map(str, cands))}), so no free integer value is left to mark pixels outside it "
        "after alignment; declare its nodata with nodata= (in a configuration: nodata = <n> in its "
        "[sources.<name>] table), a value that is not a class"
    )


def _mask_infinite(data: np.ma.MaskedArray, label: str) -> np.ma.MaskedArray:
    """``data`` with its +inf/-inf pixels masked (nodata), and a :class:`NonFiniteValuesWarning` if any.

    Counted here, in the source pixels before any resampling, so every grid resolution makes the same
    decision (an average would otherwise turn a coarse pixel into NaN at one resolution and not another).
    """
    if not np.issubdtype(data.dtype, np.floating):
        return data
    raw = np.ma.getdata(data)
    inf = np.isinf(raw) & ~np.ma.getmaskarray(data)
    n = int(inf.sum())
    if not n:
        return data
    # the user's call: read_raster's deprecation wrapper (or align), read_raster's body, here, _warn_infinite
    _warn_infinite(label, n, int((inf & (raw > 0)).sum()), raw.size, stacklevel=5)
    return np.ma.MaskedArray(raw, mask=np.ma.getmaskarray(data) | inf)


def _warn_infinite(label: str, n: int, n_pos: int, size: int, *, stacklevel: int = 3) -> None:
    """Warn that a raster holds ``n`` ±inf pixels (``n_pos`` of them +inf) among ``size`` read.

    One wording for the whole-raster read (:func:`_mask_infinite`) and the strip-by-strip alignment
    (:func:`steppe_geo.io.align_to_file`), which counts the same source pixels.
    """
    warnings.warn(
        f"raster {label!r} holds {n:,} infinite pixel{'s' if n > 1 else ''} ({n_pos:,} +inf, {n - n_pos:,} "
        f"-inf, of {size:,} read): they are read as nodata, as NaN is (replace them with the file's "
        "nodata value, or with real values, to silence this)",
        NonFiniteValuesWarning, stacklevel=stacklevel,
    )


CLASS_LIKE_MAX_VALUES = 64
"""An integer raster with at most this many distinct values may well hold classes."""


def _warn_if_classes_look_interpolated(data: np.ma.MaskedArray, meta: dict[str, Any], kind: LayerKind,
                                       method: ResamplingMethod, label: str) -> None:
    """Warn when an integer raster of undeclared kind with few values gets a blending default.

    Only when nothing declared the kind (no ``kind=``, no ``STEPPE_GEO_KIND`` tag, no colour
    table), the values are unscaled integers, and the default resampling blends neighbours.
    """
    if (kind is not LayerKind.CONTINUOUS or meta["kind"] or meta["has_colormap"]
            or not np.issubdtype(meta["dtype"], np.integer)
            or any(s not in (None, 1.0) for s in meta["scales"])
            or any(o not in (None, 0.0) for o in meta["offsets"])
            or method not in (ResamplingMethod.BILINEAR, ResamplingMethod.AVERAGE)):
        return
    valid = np.ma.compressed(data)
    step = max(1, valid.size // 1_000_000)  # a sample is enough for a hint
    distinct = np.unique(valid[::step])
    if 0 < distinct.size <= CLASS_LIKE_MAX_VALUES:
        shown = format_values(distinct.tolist())
        warnings.warn(
            f"raster {label!r} is {meta['dtype']} with only {distinct.size} distinct values ({shown}) "
            "and no colour table or STEPPE_GEO_KIND tag: it is read as continuous and resampled "
            f"with {method.value!r}, which creates values in between (classes that do not exist). "
            "Pass kind='categorical' for a class raster (nearest/mode), or kind='continuous' to "
            "keep this and silence the warning.",
            LayerKindWarning, stacklevel=4,  # past read_raster's body and its wrapper (or align)
        )


# ---------------------------------------------------------------------------- public
def _declare(data: np.ma.MaskedArray, meta: dict[str, Any], label: str, *, band: int | str | None,
             nodata: float | None, scale: float | None, offset: float | None
             ) -> tuple[np.ma.MaskedArray, dict[str, Any]]:
    """Apply declared ``band``, ``nodata``, ``scale`` and ``offset`` over what the source says."""
    count = data.shape[0]
    if band is not None and band != "all":
        if isinstance(band, bool) or not isinstance(band, int | np.integer) or not 1 <= band <= count:
            raise InvalidParameterError(
                f"band: raster {label!r} has {count} band{'s' if count > 1 else ''}; band must be an "
                f"integer 1..{count} (or 'all'), got {band!r}"
            )
        i = int(band) - 1
        data = data[i:i + 1]
        meta = {**meta, **{k: meta[k][i:i + 1] for k in ("scales", "offsets", "descriptions", "band_tags")},
                "years_tag": None}
    elif band is None and count > 1 and _time_coords(meta, count) is None:
        raise InvalidParameterError(
            f"band: raster {label!r} has {count} bands and they are not years of a time series; choose "
            f"one with band=1..{count} (in a configuration: band = <n> in its [sources.<name>] table), or "
            "band='all' to read every band as a ('band', 'y', 'x') stack"
        )
    if nodata is not None:
        raw = np.ma.getdata(data)
        data = np.ma.MaskedArray(raw, mask=_nodata_mask(raw, nodata))
        meta = {**meta, "nodata": nodata}
    if scale is not None:
        meta = {**meta, "scales": (float(scale),) * data.shape[0]}
    if offset is not None:
        meta = {**meta, "offsets": (float(offset),) * data.shape[0]}
    return data, meta


def _convert_units(values: np.ndarray, meta: dict[str, Any], units: str | None, to_units: str | None
                   ) -> tuple[np.ndarray, str | None, Unit | None]:
    """Values in ``to_units`` (default: the base unit of declared ``units``), their units, the source unit.

    Declared ``units`` override the file's. Without them, the file's units are converted only when
    ``to_units`` is given and they are a known unit; unknown file units are left as they are.
    """
    if units is not None:
        src: Unit | None = parse_unit(units, param="units")
    elif to_units is not None and meta["units"]:
        try:
            src = parse_unit(meta["units"])
        except InvalidParameterError:
            return values, meta["units"], None
    else:
        return values, meta["units"], None
    assert src is not None
    dst = parse_unit(to_units, param="to_units") if to_units is not None else base_unit(src)
    return convert(values, src, dst, param="units"), dst.symbol, src


def _in_memory_alignment_deprecated(func: Callable[..., xr.DataArray]) -> Callable[..., xr.DataArray]:
    """``read_raster(da, grid=grid)`` on an in-memory DataArray warns: :func:`steppe_geo.align` does that."""

    @functools.wraps(func)
    def wrapper(source: RasterSource, **kwargs: Any) -> xr.DataArray:
        if isinstance(source, xr.DataArray) and kwargs.get("grid") is not None:
            warn_renamed("read_raster(da, grid=grid) on an in-memory DataArray", "steppe_geo.align(da, grid)",
                         since="0.2.0")
        return func(source, **kwargs)

    return wrapper


@_in_memory_alignment_deprecated
def read_raster(
    source: RasterSource,
    *,
    grid: Grid | None = None,
    resampling: str | ResamplingMethod | None = None,
    kind: str | LayerKind | None = None,
    name: str | None = None,
    band: int | str | None = None,
    units: str | None = None,
    to_units: str | None = None,
    scale: float | None = None,
    offset: float | None = None,
    nodata: float | None = None,
) -> xr.DataArray:
    """Read a raster, decode it, and optionally align it onto ``grid``.

    Parameters
    ----------
    source : str, os.PathLike, rasterio dataset, xarray.DataArray or (array, transform, crs)
        The raster. Files are opened with rasterio (any GDAL raster format). A DataArray
        from ``rioxarray.open_rasterio`` is decoded like its file (scale/offset, fill value,
        band descriptions holding years, units).
    grid : Grid, optional
        Analysis grid; the result is reprojected/resampled onto its CRS, transform and shape.
        For a DataArray already in memory use :func:`steppe_geo.align` (``read_raster(da,
        grid=grid)`` does the same and warns: deprecated since 0.2.0, removed in 0.3.0).
    resampling : str or ResamplingMethod, optional
        One of :class:`ResamplingMethod` (GDAL names: ``"nearest"``, ``"bilinear"``,
        ``"average"``, ``"mode"``, ...). Default by kind: continuous → bilinear, or average
        when coarsening by more than 1.5×; categorical → nearest, or mode when coarsening.
    kind : {"continuous", "categorical"}, optional
        Default: the file's ``STEPPE_GEO_KIND`` tag, else categorical for integer rasters with
        a colour table, else continuous. An integer raster without either (a SoilGrids class
        raster, say) is therefore read as continuous; when it has at most 64 distinct values
        and is resampled with the default (blending) method a :class:`LayerKindWarning` says
        so. Pass ``kind=`` for such rasters.
    name : str, optional
        Name of the result (default: the DataArray's name, else the file's stem).
    band : int or "all", optional
        Read only this band (1-based). A multi-band raster whose bands are not years (band
        descriptions, ``year`` band tags or a ``years`` dataset tag) needs ``band``:
        ``band="all"`` reads every band as a ``("band", "y", "x")`` stack.
    units : str, optional
        The units the values are in (after ``scale``/``offset``), overriding the file's units
        tag: a symbol of :data:`steppe_geo.io.units.UNITS` (``"ft"``, ``"km h-1"``,
        ``"W m-2"``, ...). The values are converted to ``to_units``, by default the base unit of
        the quantity (``"ft"`` → metres). Continuous layers only.
    to_units : str, optional
        Convert to these units (same quantity). Without ``units``, the file's own units are
        converted when they are a known unit (unknown ones are left as they are).
    scale, offset : float, optional
        Decode ``raw * scale + offset``, overriding the file's scale/offset (e.g. NDVI stored
        as integers × 10000: ``scale=0.0001``). Continuous layers only.
    nodata : float, optional
        Raw value marking missing pixels, overriding the file's nodata.

    Returns
    -------
    xarray.DataArray
        Dims ``("y", "x")``, or ``("time", "y", "x")`` when the bands are years, or
        ``("band", "y", "x")`` for other multi-band rasters. Continuous: float32 with NaN
        nodata (scale/offset applied). Categorical: the file's integer dtype with its nodata.
        ``attrs``: ``"units"``, ``"source"``, ``"kind"``; ``"source_units"`` when converted;
        when aligned, ``"resampling"`` and ``"source_pixel_size"`` (the source pixel size in
        grid CRS units, the geometric mean of its sides).

    Raises
    ------
    InputNotFoundError
        The file does not exist.
    UnreadableInputError
        GDAL cannot open or read it.
    MissingCRSError
        The raster has no CRS (the message suggests a projected CRS when the coordinates are
        clearly not degrees).
    NoOverlapError
        The raster does not overlap ``grid``.
    InvalidParameterError
        Unknown ``resampling``, ``kind`` or ``units`` (the message lists the valid ones),
        ``kind="categorical"`` for a float raster or with ``units``/``scale``/``offset``, a
        ``band`` out of range, or a multi-band raster that is not a time series read without
        ``band``.
    SizeLimitError
        The pixels to read (the part covering ``grid``, or the whole file) exceed
        :data:`steppe_geo.grid.MAX_GRID_PIXELS` or would not fit in the available memory;
        checked from the file's header, before anything is allocated.

    Warns
    -----
    LayerKindWarning
        An integer raster of undeclared kind with few distinct values was resampled as
        continuous (see ``kind``).
    SteppeGeoDeprecationWarning
        ``source`` is a DataArray and ``grid`` is given: use :func:`steppe_geo.align`.

    Examples
    --------
    >>> import steppe_geo as sg
    >>> paths = sg.datasets.sample_paths()
    >>> ndvi = sg.read_raster(paths["ndvi"])  # MODIS-like int16 x 10000, fill -3000
    >>> ndvi.dims, ndvi.dtype, ndvi["time"].values[[0, -1]].tolist()
    (('time', 'y', 'x'), dtype('float32'), [2001, 2024])
    >>> bool(ndvi.isnull().any()), float(ndvi.max()) <= 1.0
    (True, True)
    >>> grid = sg.datasets.sample_grid(1000)  # 1 km equal-area grid over the sample AOI
    >>> land_cover = sg.read_raster(paths["land_cover"], grid=grid)  # 30 m UTM classes
    >>> land_cover.shape == grid.shape, land_cover.dtype, land_cover.attrs["resampling"]
    (True, dtype('uint8'), 'mode')
    >>> dem = sg.read_raster(paths["dem"], units="m", to_units="ft")  # declared units, converted
    >>> dem.attrs["units"], dem.attrs["source_units"]
    ('ft', 'm')
    """
    method = None if resampling is None else parse_choice(ResamplingMethod, resampling,
                                                         param="resampling")
    data, meta, src_label = _load(source, grid)
    label = src_label or (name or "array")
    if nodata is not None:
        _check_nodata_fits(nodata, meta["dtype"], label, declared=True)
    data, meta = _declare(data, meta, label, band=band, nodata=nodata, scale=scale, offset=offset)
    data = _mask_infinite(data, label)
    layer_kind = _decide_kind(kind, meta)
    if layer_kind is LayerKind.CATEGORICAL:
        declared = [k for k, v in (("units", units), ("to_units", to_units), ("scale", scale),
                                   ("offset", offset)) if v is not None]
        if declared:
            raise InvalidParameterError(
                f"{declared[0]}: raster {label!r} is read as categorical (classes); units, scale and "
                "offset apply to continuous layers only (pass kind='continuous' if it holds measurements)"
            )
    values, nodata = _decode(data, meta, layer_kind, label)
    src_unit = None
    if layer_kind is LayerKind.CONTINUOUS:
        values, meta["units"], src_unit = _convert_units(values, meta, units, to_units)
    count = values.shape[0]
    if grid is None:
        if _is_rotated(meta["transform"]):
            raise InvalidParameterError(
                f"grid: raster {label!r} has a rotated or sheared geotransform "
                f"{tuple(meta['transform'])[:6]}; it can be read only onto a north-up grid: pass grid= "
                "(GDAL warps it), or warp it first (gdalwarp IN.tif OUT.tif)"
            )
        target = Grid(meta["crs"], meta["transform"], values.shape[-2:])
    else:
        _check_overlap(grid, meta["crs"], meta["transform"], values.shape[-2:], label)
        src_res = _source_resolution_in(meta["crs"], meta["transform"], values.shape[-2:], grid.crs)
        if method is None:
            ratio = math.sqrt(grid.resolution[0] * grid.resolution[1]) / src_res
            method = default_resampling(layer_kind, ratio)
            if kind is None:
                _warn_if_classes_look_interpolated(data, meta, layer_kind, method, label)
        if layer_kind is LayerKind.CATEGORICAL and nodata is None:
            # pixels outside the source need a value that is not a real class
            nodata = _free_nodata(values, values.dtype, label)
        values = _align(values, nodata, meta, grid, method)
        _check_some_valid(values, nodata, label, name, grid)
        target = grid
    years = _time_coords(meta, count)
    if name is None and isinstance(source, xr.DataArray) and source.name is not None:
        name = str(source.name)
    if name is None and src_label is not None and isinstance(source, str | Path | xr.DataArray):
        name = Path(src_label).stem
    da = target.to_dataarray(values if count > 1 else values[0], name=name,
                             nodata=None if layer_kind is LayerKind.CONTINUOUS else nodata)
    if years is not None:
        da = da.rename(band="time").assign_coords(time=np.asarray(years, dtype=np.int64))
    elif count > 1:
        da = da.assign_coords(band=np.arange(1, count + 1))
    if meta["units"]:
        da.attrs["units"] = meta["units"]
    if src_unit is not None:
        da.attrs["source_units"] = src_unit.symbol
    if src_label is not None:
        da.attrs["source"] = src_label
    da.attrs["kind"] = layer_kind.value
    if method is not None:
        da.attrs["resampling"] = method.value
    if grid is not None:
        da.attrs["source_pixel_size"] = float(src_res)
    return da
