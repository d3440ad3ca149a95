"""Writers: Cloud-Optimized GeoTIFF, vector formats, zipped shapefile, text/JSON, figures.

Every writer is atomic (see :mod:`steppe_geo.io.atomic`): it writes a temporary file in
the destination folder and renames it into place, refuses to replace an existing file
unless ``overwrite=True``, and always refuses to write over one of the run's inputs
(``protected``).
"""

from __future__ import annotations

import contextlib
import csv
import enum
import io as _io
import json
import math
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.shutil
import xarray as xr
from rasterio.windows import Window

from steppe_geo._typing import PathLike
from steppe_geo._validation import parse_choice
from steppe_geo.errors import InvalidParameterError, MissingCRSError, OutputExistsError, TruncationWarning
from steppe_geo.grid import Grid
from steppe_geo.io._pam import no_pam_sidecars
from steppe_geo.io.atomic import atomic_path, check_output_path
from steppe_geo.io.provenance import PROVENANCE_TAG
from steppe_geo.io.raster import KIND_TAG, UNITS_TAG
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
    from rasterio.enums import Resampling

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


# ============================================================================ vectors
_VECTOR_DRIVERS = {".gpkg": "GPKG", ".parquet": "Parquet", ".geoparquet": "Parquet",
                   ".fgb": "FlatGeobuf", ".csv": "CSV", ".geojson": "GeoJSON", ".zip": "SHPZIP"}

GPKG_VERSION = "1.2"
"""GeoPackage version written. GDAL >= 3.7 defaults to 1.4, which GDAL 3.6 (and the QGIS
builds on it) opens with a "may only be partially supported" warning; nothing we write needs
1.3/1.4 features."""


def _vector_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".shp.zip") or name.endswith(".zip"):
        return "SHPZIP"
    fmt = _VECTOR_DRIVERS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidParameterError(
            f"cannot tell the vector format of {str(path)!r} from its suffix; valid suffixes: "
            f"{', '.join(sorted({*_VECTOR_DRIVERS, '.shp.zip'}))}"
        )
    return fmt


def _check_geodataframe(gdf: gpd.GeoDataFrame, dest: Path) -> None:
    """Refuse frames that are not GeoDataFrames or carry no CRS, naming the output."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InvalidParameterError(
            f"gdf: writing {str(dest)!r} needs a GeoDataFrame, got {type(gdf).__name__} "
            "(only .csv takes a plain table)"
        )
    if gdf.crs is None:
        raise MissingCRSError(
            f"gdf has no CRS; refusing to write {str(dest)!r} without one "
            "(set it with gdf.set_crs(...) first)"
        )


def _pyogrio_write(frame: gpd.GeoDataFrame, tmp: Path, dest: Path, *, driver: str, **kwargs: Any) -> None:
    """``pyogrio.write_dataframe`` without PAM sidecars; GDAL refusals name the output."""
    import pyogrio
    import pyogrio.errors

    try:
        with no_pam_sidecars():
            pyogrio.write_dataframe(frame, tmp, driver=driver, **kwargs)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
            pyogrio.errors.FeatureError, pyogrio.errors.GeometryError, OverflowError) as exc:
        raise InvalidParameterError(f"gdf: cannot be written to {str(dest)!r} ({driver}): {exc}") from exc


def write_vector(
    gdf: gpd.GeoDataFrame | pd.DataFrame,
    path: PathLike,
    *,
    layer: str | None = None,
    overwrite: bool = False,
    provenance: Mapping[str, Any] | None = None,
    append_layer: bool = False,
    protected: Iterable[PathLike] | None = None,
) -> Path:
    """Write a GeoDataFrame atomically; the format follows the suffix.

    ``.gpkg`` (default; GeoPackage 1.2, provenance JSON stored as layer metadata),
    ``.zip``/``.shp.zip`` (zipped shapefile via :func:`write_shapefile_zip`), ``.parquet``
    (GeoParquet; provenance in the file's key-value metadata), ``.fgb`` (FlatGeobuf),
    ``.geojson``, ``.csv`` (attribute table without geometry).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features with a CRS (a plain ``pandas.DataFrame`` is accepted for ``.csv`` only).
    path : str or os.PathLike
        Destination; its suffix selects the format.
    layer : str, optional
        Layer name (GeoPackage, FlatGeobuf, GeoJSON; default: the file name up to its first
        dot, e.g. ``"parcels"`` for ``parcels.gpkg``).
    overwrite : bool, default False
        Replace an existing file.
    provenance : mapping, optional
        Provenance dict stored with the data where the format allows (GeoPackage layer
        metadata, GeoParquet key-value metadata).
    append_layer : bool, default False
        Add ``layer`` to an existing GeoPackage (the file is copied, extended and renamed
        into place, so the add is atomic too). An existing layer of that name is refused
        unless ``overwrite=True``.
    protected : iterable of str or os.PathLike, optional
        The run's inputs: never written over.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    MissingCRSError
        ``gdf`` has no CRS (any format but ``.csv``).
    InvalidParameterError
        Unknown suffix; column names differing only in case (GeoPackage, FlatGeobuf,
        GeoJSON); data GDAL refuses to write (the message names the file). Nothing is left
        at ``path`` and a previous file there is untouched.
    OutputExistsError
        ``path`` exists and ``overwrite`` is False, or it is one of ``protected``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import geopandas as gpd, shapely, pyogrio
    >>> import steppe_geo as sg
    >>> parcels = gpd.GeoDataFrame({"parcel_id": ["P1", "P2"]},
    ...     geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)], crs="EPSG:32649")
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> out = sg.write_vector(parcels, folder / "ranked.gpkg", provenance={"model": "wind"})
    >>> pyogrio.list_layers(out)[0][0]
    'ranked'
    >>> sg.io.read_provenance(out)
    {'model': 'wind'}
    >>> sorted(p.name for p in folder.iterdir())  # no temporary or sidecar files
    ['ranked.gpkg']
    """
    import shutil

    import pyogrio

    dest = Path(path)
    fmt = _vector_format(dest)
    if fmt != "CSV":
        _check_geodataframe(gdf, dest)
    if fmt == "SHPZIP":
        return _write_shapefile_zip(gdf, dest, overwrite=overwrite, protected=protected, field_map=None,
                                    stacklevel=3)
    layer = layer or dest.name.split(".")[0]
    if fmt in ("GPKG", "FlatGeobuf", "GeoJSON"):
        seen: dict[str, str] = {}
        for col in map(str, gdf.columns):
            if col.lower() in seen:
                raise InvalidParameterError(
                    f"columns {seen[col.lower()]!r} and {col!r} differ only in case; "
                    f"{fmt} field names are case-insensitive — rename one before writing {str(dest)!r}"
                )
            seen[col.lower()] = col
    prov_json = json.dumps(provenance, default=str, ensure_ascii=False) if provenance else None
    # Provenance goes in *layer* metadata only: GDAL keeps GeoPackage dataset metadata in a
    # PAM .aux.xml sidecar as soon as anything opens the file read-only.
    layer_meta = {PROVENANCE_TAG: prov_json} if prov_json and fmt == "GPKG" else None
    if fmt == "GPKG" and append_layer and dest.exists():
        check_output_path(dest, overwrite=True, protected=protected)
        with no_pam_sidecars():
            existing = [name for name, _ in pyogrio.list_layers(dest)]
        if layer in existing and not overwrite:
            raise OutputExistsError(
                f"layer {layer!r} exists already in {str(dest)!r}; pass overwrite=True to replace it"
            )
        with atomic_path(dest, overwrite=True, protected=protected) as tmp:
            shutil.copyfile(dest, tmp)
            _pyogrio_write(gdf, tmp, dest, layer=layer, driver="GPKG", append=False,
                           layer_metadata=layer_meta)
        return dest
    with atomic_path(dest, overwrite=overwrite, protected=protected) as tmp:
        if fmt == "CSV":
            frame = gdf.drop(columns=gdf.geometry.name) if isinstance(gdf, gpd.GeoDataFrame) else gdf
            frame.to_csv(tmp, index=False, encoding="utf-8")
        elif fmt == "Parquet":
            gdf.to_parquet(tmp, index=False)
            if prov_json:
                _parquet_add_metadata(tmp, {"steppe_geo_provenance": prov_json})
        elif fmt == "GPKG":
            _pyogrio_write(gdf, tmp, dest, layer=layer, driver="GPKG",
                           layer_metadata=layer_meta, dataset_options={"VERSION": GPKG_VERSION})
        else:
            _pyogrio_write(gdf, tmp, dest, layer=layer, driver=fmt)
    return dest


def _parquet_add_metadata(path: Path, extra: Mapping[str, str]) -> None:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = dict(table.schema.metadata or {})
    meta.update({k.encode(): v.encode("utf-8") for k, v in extra.items()})
    pq.write_table(table.replace_schema_metadata(meta), path)


# ---------------------------------------------------------------------------- shapefile
DBF_NAME_MAX = 10
DBF_CHAR_MAX = 254


def _ascii_name(name: str) -> str:
    s = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^A-Za-z0-9_]+", "_", s).strip("_")
    if not s:
        s = "field"
    if s[0].isdigit():
        s = "f" + s
    return s


def shapefile_field_names(columns: Iterable[str], *, field_map: Mapping[str, str] | None = None
                          ) -> dict[str, str]:
    """Map column names to unique dBASE field names of at most 10 ASCII characters.

    Deterministic: the same columns in the same order always give the same names. Names
    that fit are kept; longer ones are truncated and, if the truncated name is taken, end
    in ``_1``, ``_2``, ... (uniqueness is case-insensitive, as in dBASE).

    Parameters
    ----------
    columns : iterable of str
        Column names, in order (the order decides which clashing name gets ``_1``).
    field_map : mapping of str to str, optional
        Explicit short names for some columns (checked for length and uniqueness).

    Returns
    -------
    dict of str to str
        Column name → field name, in the order of ``columns``.

    Raises
    ------
    InvalidParameterError
        A ``field_map`` name is empty, longer than 10 characters or not unique.

    Examples
    --------
    >>> shapefile_field_names(["tenure_type_collective", "tenure_type_contract", "名称", "area_ha"])
    {'tenure_type_collective': 'tenure_typ', 'tenure_type_contract': 'tenure_t_1',
     '名称': 'field', 'area_ha': 'area_ha'}
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    fixed = dict(field_map or {})
    for col, short in fixed.items():
        if len(short) > DBF_NAME_MAX or not short or short.upper() in taken:
            raise InvalidParameterError(
                f"field_map[{col!r}] = {short!r}: short names must be unique and 1-10 characters"
            )
        taken.add(short.upper())
    for col in columns:
        if col in fixed:
            out[col] = fixed[col]
            continue
        base = _ascii_name(col)[:DBF_NAME_MAX]
        cand, k = base, 0
        while cand.upper() in taken:
            k += 1
            sfx = f"_{k}"
            cand = base[: DBF_NAME_MAX - len(sfx)] + sfx
        taken.add(cand.upper())
        out[col] = cand
    return out


def _cut_utf8(value: str, max_bytes: int) -> str:
    """Cut ``value`` to at most ``max_bytes`` UTF-8 bytes, never inside a character."""
    return value.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def _dbf_ready(gdf: gpd.GeoDataFrame, names: Mapping[str, str]) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Rename columns and coerce types the dBASE format can hold.

    Returns the frame ready for the shapefile driver and, per column, the number of text
    values cut to the dBASE limit of 254 bytes (UTF-8).
    """
    frame = gdf.copy()
    geom = frame.geometry.name
    cut: dict[str, int] = {}
    for col in list(frame.columns):
        if col == geom:
            continue
        s = frame[col]
        if pd.api.types.is_bool_dtype(s):
            frame[col] = s.astype("int32")
        elif pd.api.types.is_datetime64_any_dtype(s):
            frame[col] = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_integer_dtype(s):
            if s.notna().any() and (s.abs().max() >= 10**18):
                frame[col] = s.astype("float64")
        elif pd.api.types.is_float_dtype(s):
            pass
        else:
            text = s.astype("string")
            # dBASE character fields hold at most 254 *bytes*; UTF-8 Chinese takes 3 per character
            too_long = text.str.encode("utf-8").str.len().fillna(0) > DBF_CHAR_MAX
            if too_long.any():
                cut[str(col)] = int(too_long.sum())
                text = text.where(~too_long, text[too_long].map(lambda v: _cut_utf8(v, DBF_CHAR_MAX)))
            # missing text must stay missing (None), not become the string "<NA>"
            frame[col] = pd.Series(
                [None if pd.isna(v) else str(v) for v in text], index=frame.index, dtype=object
            )
    frame = frame.rename(columns={c: names[c] for c in names})
    frame = frame.set_geometry(names.get(geom, geom)) if geom in names else frame
    return frame, cut


SHAPEFILE_DATE = (1980, 1, 1)
"""Date written in the dBASE header and on every zip entry (the ZIP epoch), so the same
data always give the same bytes (GDAL would write today's date, zip the file times)."""


def write_shapefile_zip(
    gdf: gpd.GeoDataFrame,
    path: PathLike,
    *,
    overwrite: bool = False,
    field_map: Mapping[str, str] | None = None,
    protected: Iterable[PathLike] | None = None,
) -> Path:
    """Write a zipped ESRI shapefile bundle (``.shp .shx .dbf .prj .cpg fields.csv``).

    Field names become unique, deterministic names of at most 10 characters (see
    :func:`shapefile_field_names`); ``fields.csv`` in the zip maps them to the full names.
    Text is UTF-8 and the ``.cpg`` says so, so Chinese and Mongolian names survive; missing
    text stays missing (null). Booleans become integers, dates ISO text. The output is
    byte-for-byte reproducible: the dBASE header and the zip entries carry a fixed date
    (:data:`SHAPEFILE_DATE`), not the time of writing.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features with a CRS, all of one geometry family (points, lines or polygons; single
        and multi-part may mix).
    path : str or os.PathLike
        Destination ``.zip`` (``.shp.zip`` is conventional); the shapefile inside is named
        after it (``parcels.shp.zip`` holds ``parcels.shp``).
    overwrite : bool, default False
        Replace an existing file.
    field_map : mapping of str to str, optional
        Explicit short field names for some columns (at most 10 characters, unique).
    protected : iterable of str or os.PathLike, optional
        The run's inputs: never written over.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    MissingCRSError
        ``gdf`` has no CRS.
    InvalidParameterError
        A bad ``field_map``, or features GDAL refuses (e.g. points and polygons mixed); the
        message names the file. Nothing is left at ``path`` and a previous file is untouched.
    OutputExistsError
        ``path`` exists and ``overwrite`` is False, or it is one of ``protected``.

    Warns
    -----
    TruncationWarning
        Text values longer than the dBASE limit of 254 bytes (UTF-8; a Chinese character
        takes 3) are cut on a character boundary; the warning names the column, its field
        and the number of values cut. Use GeoPackage to keep them whole.

    Examples
    --------
    >>> import tempfile, pathlib, zipfile
    >>> import geopandas as gpd, pyogrio, shapely
    >>> gdf = gpd.GeoDataFrame({"grazing_rights_holder": ["巴特尔户", None]},
    ...     geometry=[shapely.Point(400_000, 4_430_000), shapely.Point(400_100, 4_430_000)],
    ...     crs="EPSG:32649")
    >>> out = write_shapefile_zip(gdf, pathlib.Path(tempfile.mkdtemp()) / "homesteads.shp.zip")
    >>> sorted(zipfile.ZipFile(out).namelist())
    ['fields.csv', 'homesteads.cpg', 'homesteads.dbf', 'homesteads.prj', 'homesteads.shp', 'homesteads.shx']
    >>> pyogrio.read_dataframe(f"/vsizip/{out}")["grazing_ri"].tolist()  # missing stays missing
    ['巴特尔户', nan]
    """
    return _write_shapefile_zip(gdf, Path(path), overwrite=overwrite, field_map=field_map,
                                protected=protected, stacklevel=3)


def _write_shapefile_zip(gdf: gpd.GeoDataFrame, dest: Path, *, overwrite: bool,
                         field_map: Mapping[str, str] | None, protected: Iterable[PathLike] | None,
                         stacklevel: int) -> Path:
    import tempfile

    _check_geodataframe(gdf, dest)
    geom = gdf.geometry.name
    cols = [c for c in gdf.columns if c != geom]
    names = shapefile_field_names(cols, field_map=field_map)
    frame, cut = _dbf_ready(gdf, names)
    for col, n in cut.items():
        warnings.warn(
            f"column {col!r} (shapefile field {names[col]!r}): {n} value{'s' if n != 1 else ''} longer "
            f"than {DBF_CHAR_MAX} bytes in UTF-8 cut to fit the dBASE limit in {str(dest)!r} "
            "(write a GeoPackage to keep them)",
            TruncationWarning, stacklevel=stacklevel,
        )
    stem = re.sub(r"\.shp$", "", dest.name[: -len(".zip")] if dest.name.lower().endswith(".zip")
                  else dest.stem, flags=re.I) or "layer"
    y, m, d = SHAPEFILE_DATE
    with atomic_path(dest, overwrite=overwrite, protected=protected, suffix=".zip") as tmp, \
            tempfile.TemporaryDirectory(dir=dest.parent, prefix=".steppe_geo-tmp-shp-") as work:
        shp = Path(work) / f"{stem}.shp"
        _pyogrio_write(frame, shp, dest, driver="ESRI Shapefile", encoding="UTF-8",
                       layer_options={"DBF_DATE_LAST_UPDATE": f"{y:04d}-{m:02d}-{d:02d}"})
        shp.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")
        buf = _io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["field", "column"])
        for full, short in names.items():
            w.writerow([short, full])
        parts = {p.name: p.read_bytes() for p in sorted(Path(work).iterdir())}
        parts["fields.csv"] = buf.getvalue().encode("utf-8")
        _write_zip_reproducibly(tmp, parts)
    return dest


def _write_zip_reproducibly(path: Path, parts: Mapping[str, bytes]) -> None:
    """Write ``parts`` (name -> bytes) into a new zip with fixed dates and permissions.

    Entries keep the given order, are DEFLATE-compressed, dated :data:`SHAPEFILE_DATE` and
    have mode 0644, so equal contents give an identical zip file.

    Parameters
    ----------
    path : pathlib.Path
        Zip file to create (a temporary path: this is not atomic by itself).
    parts : mapping of str to bytes
        Archive member names and their contents.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=(*SHAPEFILE_DATE, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
