"""Writers: Cloud-Optimized GeoTIFF, text/JSON, figures (vector files: :mod:`steppe_geo.io.vector_writing`).

Every writer is atomic (see :mod:`steppe_geo.io.atomic`): it writes a temporary file in
the destination folder and renames it into place, refuses to replace an existing file
unless ``overwrite=True``, and always refuses to write over one of the run's inputs
(``protected``).
"""

from __future__ import annotations

import contextlib
import enum
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import rasterio
import rasterio.shutil
import xarray as xr
from rasterio.enums import Resampling
from rasterio.windows import Window

from steppe_geo._typing import PathLike
from steppe_geo._validation import parse_choice
from steppe_geo.errors import InvalidParameterError
from steppe_geo.grid import Grid
from steppe_geo.io.atomic import atomic_path
from steppe_geo.io.provenance import PROVENANCE_TAG
from steppe_geo.io.raster import KIND_TAG, UNITS_TAG
from steppe_geo.io.vector_writing import (  # the constants stay importable from here as before the split
    DBF_CHAR_MAX as DBF_CHAR_MAX,
)
from steppe_geo.io.vector_writing import (
    DBF_NAME_MAX as DBF_NAME_MAX,
)
from steppe_geo.io.vector_writing import (
    GPKG_VERSION as GPKG_VERSION,
)
from steppe_geo.io.vector_writing import (
    SHAPEFILE_DATE as SHAPEFILE_DATE,
)
from steppe_geo.io.vector_writing import (
    shapefile_field_names,
    write_shapefile_zip,
    write_vector,
)
from steppe_geo.io.warp import GDAL_CACHE_MB

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from rasterio.io import DatasetWriter

__all__ = [
    "Compression",
    "raster_writer",
    "save_figure",
    "shapefile_field_names",
    "write_json",
    "write_raster",
    "write_shapefile_zip",
    "write_text",
    "write_vector",
]

BLOCK = 512


# ============================================================================ rasters
class Compression(enum.Enum):
    """GeoTIFF compression of written rasters."""

    DEFLATE = "deflate"
    ZSTD = "zstd"
    LZW = "lzw"
    NONE = "none"


def _cog_options(dtype: np.dtype, categorical: bool, compress: Compression) -> dict[str, str]:
    return {
        "BLOCKSIZE": str(BLOCK),
        "COMPRESS": compress.value.upper(),
        "PREDICTOR": "NO" if compress is Compression.NONE else "YES",
        "OVERVIEWS": "AUTO",
        "OVERVIEW_RESAMPLING": "MODE" if categorical else "AVERAGE",
        "BIGTIFF": "IF_SAFER",
    }


def _rio_crs(grid: Grid) -> rasterio.crs.CRS:
    return rasterio.crs.CRS.from_wkt(grid.crs.to_wkt())


def _overview_factors(width: int, height: int, block: int = BLOCK) -> list[int]:
    """Overview levels: halve until the overview fits in one block (both sides <= ``block``).

    The number of levels is the COG driver's ``OVERVIEWS=AUTO`` rule; each level's size is
    ``ceil(size / factor)`` (GeoTIFF overviews), where the COG driver halves level by level.
    """
    factors: list[int] = []
    f = 1
    while -(-width // f) > block or -(-height // f) > block:
        f *= 2
        factors.append(f)
    return factors


def _finalise_cog(gtiff: Path, dest_tmp: Path, *, categorical: bool, compress: Compression) -> None:
    """Copy the staged tiled GeoTIFF to a COG.

    The overviews are built on the (uncompressed) staged file first, then copied as they are
    (``OVERVIEWS=FORCE_USE_EXISTING``): the same levels and pixels as the COG driver's
    ``OVERVIEWS=AUTO``, which would otherwise compute them from a compressed temporary copy —
    about 3x slower for large rasters.
    """
    with rasterio.open(gtiff, "r+") as ds:
        factors = _overview_factors(ds.width, ds.height)
        if factors:
            ds.build_overviews(factors, Resampling.mode if categorical else Resampling.average)
    with rasterio.open(gtiff) as src:
        opts = _cog_options(np.dtype(src.dtypes[0]), categorical, compress)
        opts["OVERVIEWS"] = "FORCE_USE_EXISTING" if factors else "NONE"
        rasterio.shutil.copy(src, dest_tmp, driver="COG", **opts)


def _tag_dict(tags: Mapping[str, Any] | None, provenance: Mapping[str, Any] | None,
              kind: str, units: str | None) -> dict[str, str]:
    out = {str(k): str(v) for k, v in (tags or {}).items()}
    out[KIND_TAG] = kind
    if units:
        out[UNITS_TAG] = units
    if provenance is not None:
        out[PROVENANCE_TAG] = json.dumps(provenance, default=str, ensure_ascii=False)
    return out


class RasterWindowWriter:
    """Streamed writer handed out by :func:`raster_writer`; call :meth:`write` per window.

    Parameters
    ----------
    dataset : rasterio.io.DatasetWriter
        The open scratch GeoTIFF.
    grid : Grid
        Grid of the output.
    count : int
        Number of bands.
    """

    def __init__(self, dataset: DatasetWriter, grid: Grid, count: int) -> None:
        self._ds = dataset
        self.grid = grid
        self.count = count

    def write(self, array: np.ndarray, window: Window) -> None:
        """Write ``array`` into ``window`` of the grid.

        Parameters
        ----------
        array : (rows, cols) or (count, rows, cols) ndarray
            Values of the window (cast to the output dtype).
        window : rasterio.windows.Window
            Where they go, e.g. ``GridWindow.core`` from :meth:`Grid.windows`.

        Raises
        ------
        InvalidParameterError
            ``array`` does not have the window's shape (and ``count`` bands).
        """
        arr = np.asarray(array)
        if arr.ndim == 2:
            arr = arr[np.newaxis]
        if arr.shape != (self.count, int(window.height), int(window.width)):
            raise InvalidParameterError(
                f"array shape {np.shape(array)} does not fit window {window} with count={self.count}"
            )
        self._ds.write(arr.astype(self._ds.dtypes[0], copy=False), window=window)


@contextlib.contextmanager
def raster_writer(
    path: PathLike,
    grid: Grid,
    *,
    count: int = 1,
    dtype: str | np.dtype = "float32",
    nodata: float | int | None = math.nan,
    band_names: Iterable[str] | None = None,
    units: str | None = None,
    tags: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    provenance: Mapping[str, Any] | None = None,
    protected: Iterable[PathLike] | None = None,
    kind: str | None = None,
    compress: str | Compression = "deflate",
) -> Iterator[RasterWindowWriter]:
    """Stream a raster window by window; finalise it as a COG and rename it into place.

    Parameters
    ----------
    path : str or os.PathLike
        Destination ``.tif``.
    grid : Grid
        Grid of the output (CRS, transform, shape).
    count, dtype, nodata
        Bands, data type (default float32) and nodata (default NaN; give an integer for
        integer outputs).
    band_names, units, tags, provenance
        Band descriptions, units (every band), extra dataset tags, provenance dict (stored as
        JSON in tag ``STEPPE_GEO_PROVENANCE``).
    overwrite : bool, default False
        Replace an existing file.
    protected : iterable of str or os.PathLike, optional
        The run's inputs, never overwritten.
    kind : {"continuous", "categorical"}, optional
        Stored in tag ``STEPPE_GEO_KIND`` (default: categorical for integer dtypes).
    compress : {"deflate", "zstd", "lzw", "none"}, default "deflate"
        Compression of the COG (DEFLATE is readable everywhere; ZSTD is faster).

    Yields
    ------
    RasterWindowWriter
        With ``.write(array, window)``. Pixels never written read as ``nodata`` (0 when
        ``nodata`` is None).

    Notes
    -----
    Pixels are written to an uncompressed tiled GeoTIFF beside the destination; on clean
    exit it is copied with GDAL's COG driver and renamed onto ``path``. On an exception (or
    a kill) the destination is untouched and temporary files are removed (after a kill,
    hidden ``.steppe_geo-tmp-*`` files may remain, never a partial destination).
    """
    dt = np.dtype(dtype)
    comp = parse_choice(Compression, compress, param="compress")
    if nodata is not None and isinstance(nodata, float) and math.isnan(nodata) \
            and not np.issubdtype(dt, np.floating):
        nodata = None
    kind = kind or ("continuous" if np.issubdtype(dt, np.floating) else "categorical")
    names = list(band_names) if band_names is not None else None
    if names is not None and len(names) != count:
        raise InvalidParameterError(f"band_names has {len(names)} names for count={count} bands")
    with atomic_path(path, overwrite=overwrite, protected=protected, suffix=".tif") as final_tmp, \
            _scratch_path(final_tmp.with_name(final_tmp.stem + "-stage.tif")) as stage:
        profile = {
            "driver": "GTiff", "width": grid.cols, "height": grid.rows, "count": count,
            "dtype": dt.name, "crs": _rio_crs(grid), "transform": grid.transform,
            "nodata": nodata, "tiled": True, "blockxsize": BLOCK, "blockysize": BLOCK,
            "BIGTIFF": "IF_SAFER", "SPARSE_OK": "TRUE",
        }
        with rasterio.open(stage, "w", **profile) as ds:
            # SPARSE_OK: blocks never written are not stored and read back as nodata
            ds.update_tags(**_tag_dict(tags, provenance, kind, units))
            for i in range(count):
                if names:
                    ds.set_band_description(i + 1, str(names[i]))
                if units:
                    ds.set_band_unit(i + 1, units)
            yield RasterWindowWriter(ds, grid, count)
        # GDAL's block cache capped: its default (5 % of RAM) would let the cache, not the window,
        # set the peak memory of copying a large raster (overviews, COG)
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
            _finalise_cog(stage, final_tmp, categorical=kind == "categorical", compress=comp)
        # leaving the contexts: stage is removed, final_tmp renamed onto path


@contextlib.contextmanager
def _scratch_path(path: Path) -> Iterator[Path]:
    """Yield ``path`` for a scratch file that is always removed afterwards."""
    try:
        yield path
    finally:
        for p in [path, *path.parent.glob(path.name + ".*")]:
            with contextlib.suppress(OSError):
                p.unlink()


def write_raster(
    da: xr.DataArray,
    path: PathLike,
    *,
    overwrite: bool = False,
    tags: Mapping[str, Any] | None = None,
    band_names: Iterable[str] | None = None,
    provenance: Mapping[str, Any] | None = None,
    protected: Iterable[PathLike] | None = None,
    compress: str | Compression = "deflate",
) -> Path:
    """Write a DataArray as a Cloud-Optimized GeoTIFF (atomically).

    Tiled 512×512, DEFLATE with predictor, overviews, nodata, band names and units,
    ``STEPPE_GEO_KIND`` and the provenance JSON in tag ``STEPPE_GEO_PROVENANCE``.

    Parameters
    ----------
    da : xarray.DataArray
        ``("y", "x")`` or ``(band|time, "y", "x")`` with rioxarray CRS and transform. Floats
        are written as float32 with NaN nodata; integers keep their dtype and ``rio.nodata``.
        A ``time`` dimension becomes band descriptions holding the years.
    path : str or os.PathLike
        Destination (``.tif``).
    overwrite : bool, default False
        Replace an existing file (else OutputExistsError).
    tags : mapping, optional
        Extra dataset tags.
    band_names : iterable of str, optional
        Band descriptions (default: the time values, or the DataArray name for one band).
    provenance : mapping, optional
        E.g. :func:`steppe_geo.io.provenance_record`; stored as JSON.
    protected : iterable of str or os.PathLike, optional
        The run's inputs: never written over.
    compress : {"deflate", "zstd", "lzw", "none"}, default "deflate"
        Compression (DEFLATE is readable everywhere; ZSTD is faster).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InvalidParameterError
        ``da`` is not 2-D/3-D, has a dtype GeoTIFF cannot hold, or ``compress`` is unknown.
    MissingCRSError
        ``da`` has no CRS.
    OutputExistsError
        ``path`` exists and ``overwrite`` is False, or it is one of ``protected``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np, rasterio
    >>> import steppe_geo as sg
    >>> grid = sg.Grid.from_bounds((400_000, 4_430_000, 403_000, 4_432_000), crs="EPSG:32649",
    ...                            resolution_m=100)
    >>> score = grid.to_dataarray(np.linspace(0, 1, grid.rows * grid.cols, dtype="float32")
    ...                           .reshape(grid.shape), name="score", units="1")
    >>> out = sg.write_raster(score, pathlib.Path(tempfile.mkdtemp()) / "score.tif",
    ...                       provenance={"model": "wind"})
    >>> with rasterio.open(out) as ds:
    ...     ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"], ds.crs.to_epsg(), ds.descriptions, ds.units
    ('COG', 32649, ('score',), ('1',))
    >>> bool((sg.read_raster(out) == score).all())
    True
    """
    grid = Grid.from_dataarray(da)
    if da.ndim not in (2, 3):
        raise InvalidParameterError(f"da must be 2-D or 3-D, got dims {da.dims}")
    count = 1 if da.ndim == 2 else int(da.shape[0])
    dtype: np.dtype[Any]
    if np.issubdtype(da.dtype, np.floating):
        dtype, nodata = np.dtype(np.float32), math.nan
    elif np.issubdtype(da.dtype, np.integer) or da.dtype == bool:
        dtype = np.dtype(np.uint8) if da.dtype == bool else np.dtype(da.dtype)
        nodata = da.rio.nodata if da.rio.nodata is not None else da.rio.encoded_nodata
    else:
        raise InvalidParameterError(f"cannot write dtype {da.dtype} to GeoTIFF")
    if band_names is None:
        if da.ndim == 3 and da.dims[0] == "time":
            band_names = [str(v) for v in da["time"].values]
        elif count == 1 and da.name is not None:
            band_names = [str(da.name)]
    kind = da.attrs.get("kind") or ("continuous" if dtype == np.float32 else "categorical")
    ydim, xdim = da.dims[-2:]
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB), \
            raster_writer(path, grid, count=count, dtype=dtype, nodata=nodata, band_names=band_names,
                          units=da.attrs.get("units"), tags=tags, overwrite=overwrite, provenance=provenance,
                          protected=protected, kind=kind, compress=compress) as w:
        for win in grid.windows(BLOCK * 4):
            r, c = win.core_slices
            # one window at a time: a lazily loaded (file- or Dask-backed) DataArray is read or
            # computed window by window, never whole
            w.write(np.asarray(da.isel({ydim: r, xdim: c}).values).astype(dtype, copy=False), win.core)
    return Path(path)


# ============================================================================ text & figures
def write_text(text: str, path: PathLike, *, overwrite: bool = False,
               protected: Iterable[PathLike] | None = None) -> Path:
    """Write UTF-8 text atomically.

    Parameters
    ----------
    text : str
        The text (written as is: no newline is added).
    path : str or os.PathLike
        Destination file; its folder is created if needed.
    overwrite : bool, default False
        Replace an existing file.
    protected : iterable of str or os.PathLike, optional
        The run's inputs: never written over.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is False, is a folder, or is one of ``protected``.
    OutputNotWritableError
        The destination folder cannot be created or written to.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = write_text("乌兰布和 Өвөр", pathlib.Path(tempfile.mkdtemp()) / "note.txt")
    >>> out.read_text(encoding="utf-8")
    '乌兰布和 Өвөр'
    """
    with atomic_path(path, overwrite=overwrite, protected=protected) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(obj: Any, path: PathLike, *, overwrite: bool = False,
               protected: Iterable[PathLike] | None = None) -> Path:
    """Write ``obj`` as pretty-printed UTF-8 JSON atomically.

    Parameters
    ----------
    obj : object
        Anything :func:`json.dumps` takes; other values (paths, numpy scalars, dates) are
        written as their ``str()``. Non-ASCII text is written as is (not escaped).
    path : str or os.PathLike
        Destination file.
    overwrite : bool, default False
        Replace an existing file.
    protected : iterable of str or os.PathLike, optional
        The run's inputs: never written over.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is False, or it is one of ``protected``.
    OutputNotWritableError
        The destination folder cannot be created or written to.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> out = write_json({"layer": "草原", "area_ha": 12.5}, folder / "a.json")
    >>> json.loads(out.read_text(encoding="utf-8"))
    {'layer': '草原', 'area_ha': 12.5}
    """
    text = json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n"
    return write_text(text, path, overwrite=overwrite, protected=protected)


def save_figure(fig: Figure, path: PathLike, *, overwrite: bool = False, dpi: int = 150,
                protected: Iterable[PathLike] | None = None) -> Path:
    """Save a matplotlib figure atomically; the format follows the suffix.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (e.g. ``ax.figure`` of a ``steppe_geo.maps`` plot). It is not closed.
    path : str or os.PathLike
        Destination ``.png``, ``.pdf`` or ``.svg`` (any format matplotlib writes; no suffix
        means PNG).
    overwrite : bool, default False
        Replace an existing file.
    dpi : int, default 150
        Resolution of raster formats (PNG), in dots per inch.
    protected : iterable of str or os.PathLike, optional
        The run's inputs: never written over.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is False, or it is one of ``protected``.
    OutputNotWritableError
        The destination folder cannot be created or written to.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 2))
    >>> _ = fig.subplots().plot([0, 1], [0, 1])
    >>> out = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "map.png")
    >>> out.read_bytes()[1:4]
    b'PNG'
    """
    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    with atomic_path(path, overwrite=overwrite, protected=protected) as tmp:
        fig.savefig(tmp, dpi=dpi, format=fmt, bbox_inches="tight")
    return Path(path)
