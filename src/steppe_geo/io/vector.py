"""Read vector layers (pyogrio) and rasterize them onto a :class:`~steppe_geo.Grid`."""

from __future__ import annotations

import codecs
import enum
import warnings
from pathlib import Path
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pyogrio.errors
import pyproj
import shapely
import xarray as xr
from rasterio.features import rasterize as _rio_rasterize

from steppe_geo._deprecation import renamed_parameter
from steppe_geo._typing import Bounds, CRSLike, PathLike
from steppe_geo._validation import parse_choice, to_crs
from steppe_geo.errors import (
    EmptyLayerError,
    GeometryTypeError,
    InputNotFoundError,
    InvalidGeometryWarning,
    InvalidParameterError,
    MissingCRSError,
    UnreadableInputError,
)
from steppe_geo.grid import Grid
from steppe_geo.io._dbf import undeclared_encoding
from steppe_geo.io._hints import missing_crs_hint, not_a_file, unreadable_detail
from steppe_geo.io._pam import no_pam_sidecars
from steppe_geo.io.remote import input_path, is_remote, source_name

__all__ = ["AreaOfInterest", "GeometryRole", "rasterize", "read_vector", "vector_columns", "vector_layers"]


AreaOfInterest: TypeAlias = (
    Grid | gpd.GeoDataFrame | gpd.GeoSeries | tuple[shapely.Geometry | Bounds, CRSLike]
)
"""An area of interest: a grid, features, or ``(geometry or (west, south, east, north), crs)``."""


class GeometryRole(enum.Enum):
    """What a layer is used for, which fixes the geometry types it may hold."""

    PARCELS = "parcels"
    POLYGONS = "polygons"
    LINES = "lines"
    POINTS = "points"


_ALLOWED = {
    GeometryRole.PARCELS: {"Polygon", "MultiPolygon"},
    GeometryRole.POLYGONS: {"Polygon", "MultiPolygon"},
    GeometryRole.LINES: {"LineString", "MultiLineString", "LinearRing"},
    GeometryRole.POINTS: {"Point", "MultiPoint"},
}


def _gdal_path(path: Path | str) -> str:
    if is_remote(path):  # pyogrio maps https:// and s3:// to /vsicurl/ and /vsis3/ itself
        return str(path)
    name = Path(path).name.lower()
    if name.endswith(".zip"):
        return f"/vsizip/{path}"
    return str(path)


DATASET_FOLDERS = (".gdb",)
"""Folders that are vector datasets (an Esri file geodatabase); any other folder is refused by name."""


def _check_file(path: Path | str) -> None:
    """Refuse a folder (but a file geodatabase) or an empty file before GDAL guesses at it."""
    problem = not_a_file(path, "vector file", directories=DATASET_FOLDERS)
    if problem:
        raise UnreadableInputError(problem)


def _unreadable(path: Path | str, exc: Exception) -> UnreadableInputError:
    return UnreadableInputError(f"cannot read vector file {str(path)!r}: "
                                f"{unreadable_detail(path, exc, 'vector')}")


def _suffix(path: Path | str) -> str:
    return Path(source_name(path)).suffix.lower()


def _local_parquet(path: Path | str) -> None:
    """Refuse a GeoParquet input given as a URL (read by pyarrow, not GDAL: local files only)."""
    if is_remote(path):
        raise InvalidParameterError(
            f"GeoParquet input {str(path)!r}: GeoParquet is read from local files only; download it, "
            "or convert it to a GeoPackage or FlatGeobuf that GDAL reads over /vsicurl/ or /vsis3/"
        )


def _check_encoding(path: Path | str, encoding: str | None) -> str | None:
    """``encoding`` checked (a Python codec name), or refuse a shapefile whose text encoding is unknown."""
    if encoding is None and is_remote(path):  # no sidecar files to look at: GDAL decides
        return None
    if encoding is None:
        found = undeclared_encoding(Path(path))  # a local file (remote paths returned above)
        if isinstance(found, str):  # valid UTF-8 that GDAL would read as ISO-8859-1
            return found
        if found is not None:
            raise UnreadableInputError(found.message(str(path)))
        return None
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise InvalidParameterError(
            f"encoding: {encoding!r} is not a known text encoding (for {str(path)!r}); use a name such as "
            "'utf-8', 'gbk', 'gb18030', 'big5', 'cp1251', 'cp1252' or 'latin-1'"
        ) from None
    if _suffix(path) in (".parquet", ".geoparquet"):
        raise InvalidParameterError(
            f"encoding: GeoParquet file {str(path)!r} always holds UTF-8 text; leave encoding unset"
        )
    return encoding


def _read_file(source: PathLike, layer: str | None, encoding: str | None = None
               ) -> tuple[gpd.GeoDataFrame, str]:

    path = input_path(source)  # a URL stays a string (GDAL reads it over /vsicurl/, /vsis3/)
    if not is_remote(path) and not path.exists():
        raise InputNotFoundError(f"vector file not found: {str(path)!r}")
    _check_file(path)
    encoding = _check_encoding(path, encoding)
    if _suffix(path) in (".parquet", ".geoparquet"):
        _local_parquet(path)
        try:
            return gpd.read_parquet(path), str(path)
        except (ValueError, OSError) as exc:
            raise UnreadableInputError(f"cannot read GeoParquet file {str(path)!r}: {exc}") from None
    try:
        with no_pam_sidecars():  # never leave a .aux.xml beside an input
            if layer is None:
                layers = [str(name) for name, _ in pyogrio.list_layers(_gdal_path(path))]
                if len(layers) > 1:
                    raise InvalidParameterError(
                        f"layer: vector file {str(path)!r} holds {len(layers)} layers "
                        f"({', '.join(map(repr, layers))}); pass layer= to choose one"
                    )
            gdf = pyogrio.read_dataframe(_gdal_path(path), layer=layer, encoding=encoding)
    except pyogrio.errors.DataLayerError as exc:
        raise InputNotFoundError(f"layer {layer!r} not found in {str(path)!r}: {exc}") from None
    except (pyogrio.errors.DataSourceError, pyogrio.errors.FieldError,
            pyogrio.errors.GeometryError) as exc:
        raise _unreadable(path, exc) from None
    return gdf, str(path)


def vector_layers(source: PathLike) -> list[str]:
    """Names of the layers in a vector file (one for most formats), read without any feature.

    Parameters
    ----------
    source : path
        GeoPackage, shapefile (also zipped), GeoJSON, FlatGeobuf or GeoParquet file.

    Returns
    -------
    list of str

    Raises
    ------
    InputNotFoundError
        If the file does not exist.
    UnreadableInputError
        If GDAL cannot open it as a vector file.

    Examples
    --------
    >>> from steppe_geo.datasets import sample_paths
    >>> vector_layers(sample_paths()["parcels"])
    ['parcels']
    """
    path = input_path(source)
    if not is_remote(path) and not path.exists():
        raise InputNotFoundError(f"vector file not found: {str(path)!r}")
    _check_file(path)
    if _suffix(path) in (".parquet", ".geoparquet"):
        _local_parquet(path)
        return [Path(source_name(path)).stem]
    try:
        with no_pam_sidecars():
            return [str(name) for name, _ in pyogrio.list_layers(_gdal_path(path))]
    except pyogrio.errors.DataSourceError as exc:
        raise _unreadable(path, exc) from None


def vector_columns(source: PathLike, *, layer: str | None = None, encoding: str | None = None) -> list[str]:
    """Attribute column names of a vector layer, from its schema only (no features are read).

    Parameters
    ----------
    source : path
        Vector file (see :func:`vector_layers`).
    layer : str, optional
        Layer name (needed for a file with several layers, as in :func:`read_vector`).
    encoding : str, optional
        Text encoding of the attributes, as in :func:`read_vector`.

    Returns
    -------
    list of str
        Column names without the geometry column.

    Raises
    ------
    InputNotFoundError
        If the file or the layer does not exist.
    UnreadableInputError
        If the file cannot be read.
    InvalidParameterError
        If the file holds several layers and ``layer`` is None, or ``encoding`` is unknown.
    """
    path = input_path(source)
    if is_remote(path) or path.exists():
        encoding = _check_encoding(path, encoding)
    if _suffix(path) in (".parquet", ".geoparquet"):
        _local_parquet(path)
        if not path.exists():
            raise InputNotFoundError(f"vector file not found: {str(path)!r}")
        try:
            return [n for n in pq.read_schema(path).names if n != "geometry"]
        except (OSError, ValueError) as exc:
            raise UnreadableInputError(f"cannot read GeoParquet file {str(path)!r}: {exc}") from None
    layers = vector_layers(path)
    if layer is None and len(layers) > 1:
        raise InvalidParameterError(
            f"layer: vector file {str(path)!r} holds {len(layers)} layers "
            f"({', '.join(map(repr, layers))}); pass layer= to choose one"
        )
    if layer is not None and layer not in layers:
        raise InputNotFoundError(
            f"layer {layer!r} not found in {str(path)!r}; layers are {', '.join(map(repr, layers))}"
        )
    try:
        with no_pam_sidecars():
            info = pyogrio.read_info(_gdal_path(path), layer=layer, encoding=encoding)
            return [str(f) for f in info["fields"]]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise UnreadableInputError(f"cannot read the schema of {str(path)!r}: {exc}") from None


def _aoi_bounds(aoi: AreaOfInterest, crs: pyproj.CRS, margin_m: float) -> shapely.Geometry:
    """AOI bounding box, grown by ``margin_m`` metres, as a polygon in ``crs``."""
    geom: Any
    if isinstance(aoi, Grid):
        geom, aoi_crs = shapely.box(*aoi.bounds), aoi.crs
    elif isinstance(aoi, gpd.GeoDataFrame | gpd.GeoSeries):
        if aoi.crs is None:
            raise MissingCRSError("aoi has no CRS; set one with .set_crs(...)")
        geom, aoi_crs = shapely.union_all(aoi.geometry.values), pyproj.CRS.from_user_input(aoi.crs)
    elif isinstance(aoi, tuple) and len(aoi) == 2:
        geom, aoi_crs = aoi[0], to_crs(aoi[1], param="aoi crs")
        if isinstance(geom, tuple | list):
            geom = shapely.box(*geom)
    else:
        raise InvalidParameterError(
            "aoi must be a Grid, GeoDataFrame, GeoSeries or (geometry or bounds, crs), "
            f"got {type(aoi).__name__}"
        )
    box = shapely.box(*geom.bounds)
    if margin_m > 0:
        if aoi_crs.is_projected:
            box = shapely.box(*box.buffer(margin_m, join_style="mitre").bounds)
        else:  # grow in a local metric CRS (azimuthal equidistant at the AOI centre)
            c = box.centroid
            local = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +units=m")
            fwd = pyproj.Transformer.from_crs(aoi_crs, local, always_xy=True)
            x0, y0, x1, y1 = box.bounds
            b = fwd.transform_bounds(x0, y0, x1, y1, densify_pts=21)
            box_local = shapely.box(b[0] - margin_m, b[1] - margin_m, b[2] + margin_m, b[3] + margin_m)
            back = pyproj.Transformer.from_crs(local, aoi_crs, always_xy=True)
            x0, y0, x1, y1 = box_local.bounds
            box = shapely.box(*back.transform_bounds(x0, y0, x1, y1, densify_pts=21))
    if aoi_crs != crs:
        tr = pyproj.Transformer.from_crs(aoi_crs, crs, always_xy=True)
        x0, y0, x1, y1 = box.bounds
        box = shapely.box(*tr.transform_bounds(x0, y0, x1, y1, densify_pts=21))
    return box


@renamed_parameter(old="bbox_margin_m", new="margin_m", since="0.2.0")
def read_vector(
    source: PathLike | gpd.GeoDataFrame,
    *,
    layer: str | None = None,
    crs: CRSLike | None = None,
    aoi: AreaOfInterest | None = None,
    margin_m: float = 0.0,
    role: str | GeometryRole | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector layer, repair it, check it and optionally reproject and clip to an AOI.

    Parameters
    ----------
    source : str, os.PathLike or geopandas.GeoDataFrame
        GeoPackage, shapefile (also a zipped one, ``.zip``), GeoJSON, GeoParquet
        (``.parquet``), FlatGeobuf — anything pyogrio reads. A GeoDataFrame is checked and
        repaired the same way (it is copied, never modified).
    layer : str, optional
        Layer name; required when the file holds several layers.
    crs : CRS-like, optional
        Reproject the result to this CRS.
    aoi : Grid, GeoDataFrame, GeoSeries or (geometry or bounds, crs), optional
        Keep only features intersecting the AOI's bounding box grown by ``margin_m``.
    margin_m : float, default 0
        Margin in metres around the AOI bounds; features just outside the AOI are kept
        (setbacks reach across the boundary). Was ``bbox_margin_m`` (a deprecated alias until 0.3.0).
    role : {"parcels", "polygons", "lines", "points"}, optional
        Check the geometry types for this role (GeometryTypeError otherwise).
    encoding : str, optional
        Text encoding of the attributes (a Python codec name: ``"gbk"``, ``"gb18030"``,
        ``"big5"``, ``"cp1251"``, ``"cp1252"``, ...), overriding what the file declares. Needed
        for a shapefile whose DBF text is not UTF-8 and that has no ``.cpg`` file (most legacy
        Chinese GIS data is GBK): such a file is refused without it, naming the likely
        encoding, because GDAL would read it as ISO-8859-1 and garble every name.

    Returns
    -------
    geopandas.GeoDataFrame
        With ``attrs["source"]`` (the path). Reading leaves no file beside the source (GDAL
        ``.aux.xml`` sidecars are disabled for our reads). Features with a missing (null) or
        empty geometry are left out and listed in ``attrs["dropped"]`` (one dict per feature:
        ``row`` (0-based position in the layer), ``index``, ``reason`` ("no geometry (null)" or
        "empty geometry") and ``attributes``), so a caller can report them (the pipeline lists
        dropped parcels as unranked).

    Raises
    ------
    InputNotFoundError
        The file, or ``layer`` in it, does not exist.
    UnreadableInputError
        GDAL/pyarrow cannot read the file, or a shapefile holds non-UTF-8 text and nothing
        (``encoding``, a ``.cpg`` file, the DBF header) says which encoding (the message
        suggests one).
    MissingCRSError
        The layer has no CRS (the message suggests a projected CRS when the coordinates are
        clearly not degrees).
    EmptyLayerError
        No features (or none within the AOI and its margin).
    GeometryTypeError
        Geometry types do not fit ``role`` (e.g. points given as parcels).
    InvalidParameterError
        The file holds several layers and ``layer`` is None (the message lists them), a
        negative ``margin_m``, an unknown ``role`` or ``encoding``.

    Warns
    -----
    InvalidGeometryWarning
        When invalid geometries were repaired with ``shapely.make_valid`` (counted).

    Examples
    --------
    >>> import warnings
    >>> import steppe_geo as sg
    >>> paths = sg.datasets.sample_paths()
    >>> grid = sg.datasets.sample_grid(500)
    >>> roads = sg.read_vector(paths["roads"], crs=grid.crs, aoi=grid, margin_m=2000)
    >>> roads.crs == grid.crs, sorted(roads["class"].unique())[:2]
    (True, ['county', 'expressway'])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always", sg.errors.InvalidGeometryWarning)
    ...     parcels = sg.read_vector(paths["parcels"], role="parcels")
    >>> [str(w.message) for w in caught if w.category is sg.errors.InvalidGeometryWarning]
    ['...parcels.gpkg: 4 invalid geometries were repaired with shapely.make_valid']
    >>> bool(parcels.geometry.is_valid.all()), len(parcels)
    (True, 1000)
    """
    role_ = None if role is None else parse_choice(GeometryRole, role, param="role")
    if margin_m is None or not float(margin_m) >= 0:
        raise InvalidParameterError(f"margin_m must be >= 0 metres, got {margin_m!r}")
    if isinstance(source, gpd.GeoDataFrame):
        if encoding is not None:
            raise InvalidParameterError("encoding applies to files; a GeoDataFrame holds decoded text")
        gdf, label = source.copy(), "GeoDataFrame"
    elif isinstance(source, str | Path) or hasattr(source, "__fspath__"):
        gdf, label = _read_file(source, layer, encoding)
    else:
        raise InvalidParameterError(f"source must be a path or a GeoDataFrame, got {type(source).__name__}")
    if len(gdf) == 0:
        raise EmptyLayerError(f"vector layer {label!r}{'' if layer is None else f' ({layer})'} "
                              "has no features")
    if gdf.crs is None:
        west, south, east, north = (float(v) for v in gdf.total_bounds)
        raise MissingCRSError(
            f"vector layer {label!r} has no CRS (a shapefile without .prj?); "
            f"{missing_crs_hint((west, south, east, north))} "
            "(gdf.set_crs(...), or add the .prj)"
        )
    null, empty = np.asarray(gdf.geometry.isna()), np.asarray(gdf.geometry.is_empty)
    dropped = _dropped_records(gdf, null, empty)
    gdf = gdf[~(null | empty)].copy()
    if len(gdf) == 0:
        raise EmptyLayerError(f"vector layer {label!r} has only empty geometries")
    if dropped:
        gdf.attrs["dropped"] = dropped
    invalid = ~gdf.geometry.is_valid
    n_bad = int(invalid.sum())
    if n_bad:
        repaired = shapely.make_valid(gdf.geometry.values[invalid.values])
        if role_ is not None and role_ in (GeometryRole.PARCELS, GeometryRole.POLYGONS):
            repaired = np.asarray([_keep_polygons(g) for g in repaired], dtype=object)
        gdf.loc[invalid, gdf.geometry.name] = repaired
        warnings.warn(
            f"{label}: {n_bad} invalid geometr{'y was' if n_bad == 1 else 'ies were'} repaired "
            "with shapely.make_valid", InvalidGeometryWarning, stacklevel=3,  # past renamed_parameter
        )
    if role_ is not None:
        types = set(gdf.geom_type.unique())
        bad = types - _ALLOWED[role_]
        if bad:
            raise GeometryTypeError(
                f"vector layer {label!r} given as {role_.value} holds {', '.join(sorted(bad))} "
                f"geometries; {role_.value} need {', '.join(sorted(_ALLOWED[role_]))}"
            )
    if aoi is not None:
        box = _aoi_bounds(aoi, pyproj.CRS.from_user_input(gdf.crs), float(margin_m))
        gdf = gdf[gdf.geometry.intersects(box)].copy()
        if len(gdf) == 0:
            raise EmptyLayerError(f"vector layer {label!r} has no features within the aoi "
                                  f"(margin {margin_m} m)")
    if crs is not None:
        gdf = gdf.to_crs(to_crs(crs))
    gdf.attrs["source"] = label
    return gdf


_DROPPED_REASONS = {"null": "no geometry (null)", "empty": "empty geometry"}
"""``reason`` of a feature :func:`read_vector` left out (listed in ``attrs["dropped"]``)."""


def _dropped_records(gdf: gpd.GeoDataFrame, null: np.ndarray, empty: np.ndarray) -> list[dict[str, Any]]:
    """The features without a geometry, as plain records: row, index, reason and attributes."""
    records = []
    attributes = gdf.drop(columns=gdf.geometry.name)
    for i in np.flatnonzero(null | empty):
        values = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in attributes.iloc[i].items()}
        records.append({"row": int(i), "index": gdf.index[i],
                        "reason": _DROPPED_REASONS["null" if null[i] else "empty"], "attributes": values})
    return records


def _keep_polygons(geom: Any) -> Any:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else geom


def rasterize(
    features: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    grid: Grid,
    values: str | float | None = None,
    all_touched: bool = False,
    fill: float = 0,
    dtype: str | np.dtype | None = None,
) -> xr.DataArray:
    """Burn vector features onto ``grid``.

    Parameters
    ----------
    features : geopandas.GeoDataFrame or geopandas.GeoSeries
        Features with a CRS; reprojected to the grid's CRS when needed.
    grid : Grid
        Grid of the result.
    values : None, str or number, optional
        None burns 1 (``uint8`` presence); a number burns that number; a column name burns
        the column's values. Numeric and boolean columns burn as they are (rows with a
        missing value are skipped). A text (or categorical) column such as ``parcel_id`` is
        *factorized*: each distinct value gets an integer code ``1, 2, ...`` in order of
        first appearance, and ``attrs["categories"]`` maps code → value (e.g.
        ``{1: "P00001", 2: "P00002"}``). Where features overlap, the later one wins.
    all_touched : bool, default False
        Burn every pixel touched by a feature, not only those whose centre is inside.
    fill : number, default 0
        Value of pixels no feature covers (also the result's nodata for integer outputs
        when ``values`` is a column).
    dtype : str or numpy.dtype, optional
        Default ``uint8`` for presence, ``int32`` for a number or factorized text, else the
        column's dtype (float → ``float32``, ``int64`` → ``int32`` when the values fit).

    Returns
    -------
    xarray.DataArray
        ``("y", "x")`` on ``grid``; ``attrs["kind"]`` is ``"categorical"`` for integer
        results and ``"continuous"`` for float ones.

    Raises
    ------
    InvalidParameterError
        ``features`` is not a GeoDataFrame/GeoSeries, ``values`` names no column or a column
        of another dtype (dates, ...), factorized codes would collide with ``fill`` or not
        fit ``dtype``.
    MissingCRSError
        ``features`` has no CRS.

    Examples
    --------
    Two 200 m × 200 m parcels on a 100 m grid cover 4 pixels each:

    >>> import geopandas as gpd, shapely
    >>> import steppe_geo as sg
    >>> grid = sg.Grid.from_bounds((0, 0, 500, 300), crs="EPSG:32649", resolution_m=100)
    >>> parcels = gpd.GeoDataFrame({"parcel_id": ["P7", "P9"]},
    ...     geometry=[shapely.box(0, 0, 200, 200), shapely.box(300, 100, 500, 300)], crs="EPSG:32649")
    >>> ids = sg.rasterize(parcels, grid=grid, values="parcel_id")
    >>> ids.values
    array([[0, 0, 0, 2, 2],
           [1, 1, 0, 2, 2],
           [1, 1, 0, 0, 0]], dtype=int32)
    >>> ids.attrs["categories"]
    {1: 'P7', 2: 'P9'}
    >>> int(sg.rasterize(parcels, grid=grid).sum())
    8
    """
    if not isinstance(features, gpd.GeoDataFrame | gpd.GeoSeries):
        raise InvalidParameterError(
            f"features must be a GeoDataFrame or GeoSeries, got {type(features).__name__}"
        )
    if features.crs is None:
        raise MissingCRSError("features have no CRS; set one with .set_crs(...)")
    geoms = features.geometry if isinstance(features, gpd.GeoDataFrame) else features
    if pyproj.CRS.from_user_input(geoms.crs) != grid.crs:
        geoms = geoms.to_crs(grid.crs)
    keep = ~(geoms.isna() | geoms.is_empty).to_numpy()
    name = "presence"
    categories: dict[int, Any] | None = None
    if values is None:
        vals = np.ones(len(geoms), dtype=np.uint8)
        out_dtype = np.dtype(dtype or np.uint8)
    elif isinstance(values, str):
        if not isinstance(features, gpd.GeoDataFrame) or values not in features.columns:
            cols = list(features.columns) if isinstance(features, gpd.GeoDataFrame) else []
            raise InvalidParameterError(f"values: no column {values!r}; columns are {cols}")
        col = features[values]
        name = values
        keep &= col.notna().to_numpy()
        if pd.api.types.is_bool_dtype(col):
            vals = col.fillna(False).to_numpy(dtype=np.uint8)
            out_dtype = np.dtype(dtype or np.uint8)
        elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_complex_dtype(col):
            is_float = pd.api.types.is_float_dtype(col)
            vals = col.to_numpy(dtype=np.float64 if is_float else np.int64, na_value=0)
            out_dtype = np.dtype(dtype or (np.float32 if is_float else vals.dtype))
            if out_dtype == np.int64:
                big = np.any(np.abs(vals[keep]) >= 2**31)
                out_dtype = np.dtype(np.float64) if big else np.dtype(np.int32)
        elif (pd.api.types.is_string_dtype(col) or isinstance(col.dtype, pd.CategoricalDtype)
              or col.dtype == object):
            codes, uniques = pd.factorize(col, sort=False)
            vals = (codes + 1).astype(np.int64)
            categories = {i + 1: (u.item() if isinstance(u, np.generic) else u)
                          for i, u in enumerate(uniques)}
            out_dtype = np.dtype(dtype or np.int32)
            if not np.issubdtype(out_dtype, np.integer) or len(uniques) > np.iinfo(out_dtype).max:
                raise InvalidParameterError(
                    f"dtype: {len(uniques)} distinct values of column {values!r} need an integer "
                    f"dtype holding codes 1..{len(uniques)}, got {out_dtype}"
                )
            if 1 <= fill <= len(uniques):
                raise InvalidParameterError(
                    f"fill: {fill!r} collides with the codes 1..{len(uniques)} given to the distinct "
                    f"values of column {values!r}; use fill=0 (default) or a negative number"
                )
        else:
            raise InvalidParameterError(
                f"values: column {values!r} has dtype {col.dtype}; rasterize burns numbers, "
                "booleans or text (text is factorized into integer codes)"
            )
    else:
        vals = np.full(len(geoms), values)
        out_dtype = np.dtype(dtype or (np.float32 if isinstance(values, float) else np.int32))
    shapes = list(zip(geoms.to_numpy()[keep], vals[keep], strict=True))
    if shapes:
        arr = _rio_rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=fill,
                             all_touched=all_touched, dtype=out_dtype)
    else:
        arr = np.full(grid.shape, fill, dtype=out_dtype)
    nodata = None if np.issubdtype(out_dtype, np.floating) or values is None else fill
    da = grid.to_dataarray(arr, name=name, nodata=nodata)
    da.attrs["kind"] = "continuous" if np.issubdtype(out_dtype, np.floating) else "categorical"
    if categories is not None:
        da.attrs["categories"] = categories
    return da
