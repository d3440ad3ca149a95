"""Exact zonal statistics of many rasters over many parcels, with the coverage computed once.

exactextract gives, for every parcel, the raster cells it touches and the fraction of each
cell covered by the polygon. Those become a sparse coverage matrix C (parcels x cells); every
layer is then a sparse matrix-vector product: ``sum = C @ x``, ``mean = (C @ x) / (C @ valid)``.
The definitions follow exactextract (https://isciences.github.io/exactextract/; docs/parcels.md).
"""

from __future__ import annotations

import enum
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
import xarray as xr

from steppe_geo._validation import check_projected, parse_choice
from steppe_geo.errors import (
    GeometryTypeError,
    InvalidGeometryWarning,
    InvalidParameterError,
    MissingCRSError,
    NoOverlapError,
)
from steppe_geo.grid import Grid, check_same_grid

if TYPE_CHECKING:
    from rasterio.windows import Window

__all__ = ["CoverageMatrix", "Stat", "coverage_matrix", "parcel_chunks", "zonal_stats"]


class Stat(enum.Enum):
    """Zonal statistics (exactextract definitions, coverage fraction c of each cell)."""

    MEAN = "mean"      # Σ c·x / Σ c over valid cells
    SUM = "sum"        # Σ c·x
    MIN = "min"        # over valid cells with c > 0
    MAX = "max"
    STD = "std"        # population std weighted by c
    COUNT = "count"    # Σ c over valid cells (cell units)
    AREA = "area"      # Σ c over valid cells x pixel area, in hectares


@dataclass(frozen=True)
class CoverageMatrix:
    """Coverage fractions of every parcel over every cell of a grid (reusable across layers).

    Attributes
    ----------
    matrix : scipy.sparse.csr_array
        Shape (n_parcels, rows*cols); entry (i, k) is the fraction of cell k (row-major)
        covered by parcel i, in [0, 1].
    grid : Grid
        The raster grid (the parcels were reprojected to its CRS).
    index : pandas.Index
        Parcel index (row order of ``matrix``).
    parcel_area_m2 : numpy.ndarray
        Geometric area of each parcel in the grid CRS, m².
    """

    matrix: sp.csr_array
    grid: Grid
    index: pd.Index
    parcel_area_m2: np.ndarray

    def row_ids(self) -> np.ndarray:
        """Parcel row of each stored coverage entry (CSR order)."""
        return np.repeat(np.arange(self.matrix.shape[0]), np.diff(self.matrix.indptr))

    @cached_property
    def _by_location(self) -> tuple[np.ndarray, sp.csr_array]:
        """Rows ordered by their first covered cell, and the matrix with its rows in that order.

        Gathering a layer's covered cells row after row in this order walks the raster almost
        sequentially (parcels next to each other in memory are next to each other on the
        ground), about 3x faster than in the parcels' own order when they are not sorted.
        Cached, so a reused coverage matrix pays for it once.
        """
        m = self.matrix
        order = np.argsort(m.indices[m.indptr[:-1]], kind="stable")
        return order, m[order]

    def covered_fraction(self) -> np.ndarray:
        """Fraction of each parcel's area that lies on the grid (0–1)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.asarray(self.matrix.sum(axis=1)).ravel() * self.grid.pixel_area_m2 / self.parcel_area_m2
        return np.clip(frac, 0.0, 1.0)


def _parcel_ids(parcels: gpd.GeoDataFrame, id_column: str | None) -> pd.Index:
    if id_column is None:
        ids = parcels.index
    else:
        if id_column not in parcels.columns:
            raise InvalidParameterError(
                f"id_column: no column {id_column!r} in parcels; columns are {list(parcels.columns)}"
            )
        ids = pd.Index(parcels[id_column])
    null = np.flatnonzero(np.asarray(pd.isna(ids)))
    if len(null):  # before the duplicate check: NaN == NaN there, so 3 null ids read as "2 duplicated"
        rows = [int(i) for i in null[:20]]
        raise InvalidParameterError(
            f"parcel ids ({id_column or 'index'}): {len(null)} of {len(ids)} parcels have no id (null) at "
            f"rows {rows}{' ...' if len(null) > 20 else ''}; every parcel needs a unique id"
        )
    dup = ids[ids.duplicated()]
    if len(dup):
        raise InvalidParameterError(
            f"parcel ids ({id_column or 'index'}) must be unique; {len(dup)} duplicated, e.g. "
            f"{list(dup.unique()[:5])}"
        )
    return ids


def _plain(value):
    """A numpy scalar as the Python value (so messages show ``200``, not ``np.int64(200)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _id_list(ids: pd.Index, positions: np.ndarray, limit: int = 20) -> str:
    shown = [_plain(ids[i]) for i in positions[:limit]]
    return f"{shown}{' ...' if len(positions) > limit else ''}"


def _check_geometries(geoms: gpd.GeoSeries, ids: pd.Index) -> None:
    """Refuse missing, empty and non-polygonal parcel geometries, naming the parcels."""
    missing = np.flatnonzero(np.asarray(geoms.isna() | geoms.is_empty))
    if len(missing):
        raise GeometryTypeError(
            f"parcels: {len(missing)} of {len(geoms)} parcels have a missing (None) or empty "
            f"geometry; ids: {_id_list(ids, missing)}; drop or repair them first"
        )
    types = np.asarray(geoms.geom_type)
    wrong = np.flatnonzero(~np.isin(types, ["Polygon", "MultiPolygon"]))
    if len(wrong):
        raise GeometryTypeError(
            f"parcels must be Polygon or MultiPolygon; {len(wrong)} are not "
            f"(types {sorted(set(types[wrong]))}); ids: {_id_list(ids, wrong)}"
        )


def _repaired(geoms: gpd.GeoSeries, ids: pd.Index, *, warn: bool = True) -> gpd.GeoSeries:
    """Invalid parcels repaired with ``shapely.make_valid`` (polygonal parts kept), reported by id.

    A self-intersecting "bow-tie" has a signed area of 0 in shapely: taken as given, its area and
    every share of it would be wrong. As :func:`steppe_geo.io.read_vector` does, it is repaired
    (into its two triangles) and the repair is reported.
    """
    invalid = np.flatnonzero(~np.asarray(geoms.is_valid))
    if not len(invalid):
        return geoms
    fixed = []
    for g in shapely.make_valid(geoms.values[invalid]):
        parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
        fixed.append(shapely.union_all(parts) if parts else g)
    if warn:
        warnings.warn(
            f"parcels: {len(invalid)} invalid geometr{'y was' if len(invalid) == 1 else 'ies were'} repaired "
            f"with shapely.make_valid (polygonal parts kept); ids: {_id_list(ids, invalid)}",
            InvalidGeometryWarning, stacklevel=3,
        )
    out = geoms.copy()
    out.iloc[invalid] = fixed
    return out


def _wkb_source(geoms, grid: Grid):
    """An exactextract feature source handing over WKB (twice as fast as its GeoJSON path)."""
    from exactextract.feature import Feature, FeatureSource

    class _WKBFeature(Feature):
        def __init__(self, wkb: bytes) -> None:
            Feature.__init__(self)
            self._wkb = wkb

        def geometry(self) -> bytes:
            return self._wkb

        def set_geometry_format(self) -> str:
            return "wkb"

        def fields(self) -> list[str]:
            return []

    class _WKBSource(FeatureSource):
        def __init__(self) -> None:
            super().__init__()
            self._wkbs = shapely.to_wkb(np.asarray(geoms))
            self._wkt = grid.crs.to_wkt()

        def count(self) -> int:
            return len(self._wkbs)

        def __iter__(self):
            for wkb in self._wkbs:
                yield _WKBFeature(bytes(wkb))

        def srs_wkt(self) -> str:
            return self._wkt

    return _WKBSource()


def _template(grid: Grid):
    """A one-byte raster on ``grid``: exactextract only needs the grid to compute coverage.

    A north-up grid uses exactextract's in-memory NumPy source (about 9x faster than its
    xarray source); other grids go through the xarray source.
    """
    from exactextract.raster import NumPyRasterSource

    data = np.zeros(grid.shape, dtype=np.uint8)
    t = grid.transform
    if t.b == 0 and t.d == 0 and t.a > 0 and t.e < 0:
        x0, y0, x1, y1 = grid.bounds
        return NumPyRasterSource(data, x0, y0, x1, y1, nodata=255, srs_wkt=grid.crs.to_wkt())
    return grid.to_dataarray(data, nodata=255)


def coverage_matrix(parcels: gpd.GeoDataFrame, grid: Grid | xr.DataArray, *,
                    id_column: str | None = None) -> CoverageMatrix:
    """Exact coverage fractions of ``parcels`` over ``grid`` as a sparse matrix.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Polygons with a CRS. Parcels in another CRS are reprojected to the grid CRS
        (areas are then measured in the grid CRS). Overlapping parcels are allowed.
    grid : Grid or xarray.DataArray
        The raster grid (projected, metres).
    id_column : str, optional
        Column with unique parcel ids (default: the index). Used in error messages.

    Raises
    ------
    MissingCRSError
        If ``parcels`` has no CRS.
    GeographicCRSError
        If the grid is not in a projected CRS in metres.
    InvalidParameterError
        If parcel ids are duplicated or ``parcels`` is empty.
    GeometryTypeError
        If some geometries are missing (None), empty or not polygons (the message names them).
    NoOverlapError
        If some parcels do not touch the grid at all (the message counts and names them).

    Warns
    -----
    InvalidGeometryWarning
        Invalid polygons (a self-intersecting "bow-tie") are repaired with ``shapely.make_valid``
        (polygonal parts kept) and named; their areas are those of the repaired polygons.
    """
    import exactextract

    if not isinstance(parcels, gpd.GeoDataFrame):
        raise InvalidParameterError(
            f"parcels must be a geopandas.GeoDataFrame of polygons with a CRS, got {type(parcels).__name__}"
        )
    if not isinstance(grid, Grid):
        grid = Grid.from_dataarray(grid)
    check_projected(grid.crs, what="zonal statistics (areas in m²)")
    if parcels.crs is None:
        raise MissingCRSError("parcels have no CRS; set one with parcels.set_crs(...) first")
    if len(parcels) == 0:
        raise InvalidParameterError("parcels: the GeoDataFrame is empty")
    ids = _parcel_ids(parcels, id_column)
    _check_geometries(parcels.geometry, ids)
    geoms = _repaired(parcels.geometry, ids)
    if not geoms.crs.equals(grid.crs):
        geoms = geoms.to_crs(grid.crs)
    out = exactextract.exact_extract(_template(grid), _wkb_source(geoms.values, grid),
                                     ["cell_id", "coverage"], output="pandas")
    cells = out["cell_id"].to_numpy()
    covs = out["coverage"].to_numpy()
    counts = np.fromiter((len(c) for c in cells), dtype=np.int64, count=len(cells))
    indptr = np.concatenate([[0], np.cumsum(counts)])
    n_cells = grid.rows * grid.cols
    if indptr[-1]:
        indices = np.concatenate([np.asarray(c, dtype=np.int64) for c in cells])
        data = np.concatenate([np.asarray(c, dtype=np.float64) for c in covs])
    else:
        indices = np.zeros(0, dtype=np.int64)
        data = np.zeros(0)
    matrix = sp.csr_array((data, indices, indptr), shape=(len(geoms), n_cells))
    row_cov = np.asarray(matrix.sum(axis=1)).ravel()
    missing = np.flatnonzero(row_cov <= 0)
    if len(missing):
        raise NoOverlapError(
            f"{len(missing)} of {len(geoms)} parcels do not overlap the grid ({grid.describe()}); "
            f"ids: {_id_list(ids, missing)}"
        )
    return CoverageMatrix(matrix=matrix, grid=grid, index=ids,
                          parcel_area_m2=np.asarray(geoms.area, dtype=np.float64))


def parcel_chunks(parcels: gpd.GeoDataFrame, grid: Grid, size: int) -> list[tuple[np.ndarray, Window]]:
    """Parcels grouped by location into chunks, each with the grid window that covers all of them.

    For windowed zonal statistics: exact statistics of a chunk need only the pixels of its
    window (a parcel's coverage on a window of the grid is its coverage on the grid, cell for
    cell, as long as the window holds the parcel's bounding box). A parcel belongs to the
    ``size`` x ``size`` tile of the grid holding the top-left pixel of its bounding box; the
    chunk's window is the union of its parcels' bounding boxes (plus one pixel, clipped to the
    grid), so it spans at most ``size`` plus the largest parcel. A parcel wider or taller than
    ``size`` pixels is a chunk on its own (its window is its bounding box).

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Polygons in the grid's CRS.
    grid : Grid
        The raster grid.
    size : int
        Tile size in pixels (> 0), e.g. the run's ``run.window``.

    Returns
    -------
    list of (positions, rasterio.windows.Window)
        Integer positions (``iloc``) of the parcels of each chunk, ascending, and the chunk's
        window of ``grid``; every parcel is in exactly one chunk. Chunks are in row-major
        order of their tiles.

    Raises
    ------
    InvalidParameterError
        ``size`` is not a positive integer, or the parcels are not in the grid's CRS.
    GeometryTypeError
        Some parcels have a missing or empty geometry (their positions are named).
    """
    from rasterio.windows import Window

    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
        raise InvalidParameterError(f"size: chunk tile size must be an integer >= 1 (pixels), got {size!r}")
    if parcels.crs is None or not parcels.crs.equals(grid.crs):
        raise InvalidParameterError(f"parcels: must be in the grid's CRS ({grid.describe()}), "
                                    f"are in {parcels.crs}")
    if len(parcels) == 0:
        return []
    b = np.asarray(parcels.geometry.bounds, dtype=np.float64)  # minx, miny, maxx, maxy
    empty = np.flatnonzero(~np.isfinite(b).all(axis=1))
    if len(empty):
        raise GeometryTypeError(f"parcels: {len(empty)} of {len(parcels)} parcels have a missing or empty "
                                f"geometry (positions {empty[:20].tolist()}); drop or repair them first")
    inv = ~grid.transform
    xs = np.stack([b[:, 0], b[:, 2], b[:, 0], b[:, 2]], axis=1)
    ys = np.stack([b[:, 1], b[:, 1], b[:, 3], b[:, 3]], axis=1)
    cols = inv.a * xs + inv.b * ys + inv.c
    rows = inv.d * xs + inv.e * ys + inv.f
    r0 = np.clip(np.floor(rows.min(axis=1)) - 1, 0, grid.rows).astype(np.int64)
    r1 = np.clip(np.ceil(rows.max(axis=1)) + 1, 0, grid.rows).astype(np.int64)
    c0 = np.clip(np.floor(cols.min(axis=1)) - 1, 0, grid.cols).astype(np.int64)
    c1 = np.clip(np.ceil(cols.max(axis=1)) + 1, 0, grid.cols).astype(np.int64)
    big = ((r1 - r0) > size) | ((c1 - c0) > size)
    tiles_x = -(-grid.cols // size) + 1
    key = np.where(big, -1, (r0 // size) * tiles_x + c0 // size)
    chunks: list[tuple[np.ndarray, Window]] = []
    order = np.argsort(key, kind="stable")
    keys, starts = np.unique(key[order], return_index=True)
    bounds = np.append(starts, len(order))
    for k, s, e in zip(keys, bounds[:-1], bounds[1:], strict=True):
        groups = [[i] for i in order[s:e]] if k < 0 else [order[s:e]]
        for pos in groups:
            pos = np.sort(np.asarray(pos, dtype=np.int64))
            a, z = int(r0[pos].min()), int(r1[pos].max())
            c, d = int(c0[pos].min()), int(c1[pos].max())
            chunks.append((pos, Window(c, a, max(d - c, 1), max(z - a, 1))))
    return chunks


def _segment_reduce(ufunc: np.ufunc, values: np.ndarray, indptr: np.ndarray, empty: float) -> np.ndarray:
    """Reduce ``values`` per CSR row segment; rows without values get ``empty``."""
    n = len(indptr) - 1
    out = np.full(n, empty, dtype=np.float64)
    nonempty = indptr[1:] > indptr[:-1]
    if values.size and nonempty.any():
        starts = indptr[:-1][nonempty]
        out[nonempty] = ufunc.reduceat(values, starts)
    return out


def _invalid(raw: np.ndarray, nodata: float | None) -> np.ndarray:
    """Boolean mask of the nodata values in ``raw``: NaN, or equal to the declared ``nodata``.

    ``nodata`` is compared in the layer's own dtype (a float32 nodata such as -3.4e38 matches
    the stored value exactly); float and integer layers alike.
    """
    if np.issubdtype(raw.dtype, np.floating):
        bad = np.isnan(raw)
        if nodata is not None:
            with np.errstate(over="ignore"):
                bad |= raw == np.asarray(nodata).astype(raw.dtype)
        return bad
    if nodata is None:
        return np.zeros(raw.shape, dtype=bool)
    return raw.astype(np.float64) == float(nodata)


def _gather(x: np.ndarray, indices: np.ndarray, nodata: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Values of the covered cells ``x[indices]`` (own dtype, nodata set to 0) and the nodata positions."""
    raw = x[indices]
    bad = np.flatnonzero(_invalid(raw, nodata))
    if bad.size:
        raw[bad] = 0
    return raw, bad


def _layer_stats(C: sp.csr_array, pixel_area_m2: float, vals: np.ndarray, bad: np.ndarray,
                 weights: tuple[np.ndarray, np.ndarray], rows: np.ndarray | None, stats: Sequence[Stat],
                 buffers: tuple[np.ndarray, np.ndarray]) -> dict[Stat, np.ndarray]:
    """Stats of one layer from the covered cells' values ``vals`` (nodata at positions ``bad``, set to 0).

    ``C`` is the coverage matrix, ``weights`` is (coverage fraction of each stored entry times
    eligibility, if any; its per-row sum) and ``rows`` the row of each entry. The sparse
    products ``C @ x`` are per-row sums (``np.add.reduceat`` over CSR rows), using two
    scratch ``buffers`` of the entries' size reused across layers. The standard deviation is
    two-pass — weighted squared deviations from the parcel mean — so large offsets
    (4000 ± 0.001) keep full precision.
    """
    starts = C.indptr[:-1]  # every row has cells (coverage_matrix refuses empty parcels)
    base, den_base = weights
    cw, prod = buffers
    if bad.size:
        np.copyto(cw, base)
        cw[bad] = 0.0
        den = np.add.reduceat(cw, starts)
    else:
        cw, den = base, den_base
    np.multiply(cw, vals, out=prod)  # float32 values are promoted inside the ufunc loop
    num = np.add.reduceat(prod, starts)
    res: dict[Stat, np.ndarray] = {}
    has = den > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(has, num / np.where(has, den, 1.0), np.nan)
    for s in stats:
        if s is Stat.MEAN:
            res[s] = mean
        elif s is Stat.SUM:
            res[s] = num
        elif s is Stat.COUNT:
            res[s] = den
        elif s is Stat.AREA:
            res[s] = den * pixel_area_m2 / 1e4
        elif s is Stat.STD:
            dev = vals - np.where(has, mean, 0.0)[rows]
            sq = np.add.reduceat(cw * dev * dev, starts)
            with np.errstate(invalid="ignore", divide="ignore"):
                res[s] = np.where(has, np.sqrt(sq / np.where(has, den, 1.0)), np.nan)
        elif s in (Stat.MIN, Stat.MAX):
            fill = np.inf if s is Stat.MIN else -np.inf
            ufunc = np.minimum if s is Stat.MIN else np.maximum
            picked = np.where(cw > 0, vals.astype(np.float64), fill)
            red = _segment_reduce(ufunc, picked, C.indptr, fill)
            res[s] = np.where(has, red, np.nan)  # a genuine ±inf stays; no valid cell gives NaN
    return res


def _class_fractions(name: str, x: np.ndarray, nodata: float | None, C: sp.csr_array,
                     base: np.ndarray) -> dict[str, np.ndarray]:
    """``{name}_frac_{class}`` columns: coverage-weighted share of each class among valid cells.

    The classes are those present (valid) anywhere in the layer, so the columns do not depend
    on which parcels are passed.
    """
    vals, bad = _gather(x, C.indices, nodata)
    starts = C.indptr[:-1]
    cw = base.copy()
    cw[bad] = 0.0
    den = np.add.reduceat(cw, starts)
    has = den > 0
    out = {}
    for value in np.unique(x[~_invalid(x, nodata)]):
        num = np.add.reduceat(np.where(vals == value, cw, 0.0), starts)
        label = int(value) if float(value).is_integer() else float(value)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"{name}_frac_{label}"] = np.where(has, num / np.where(has, den, 1.0), np.nan)
    return out


def _as_flat(da: xr.DataArray, name: str) -> tuple[np.ndarray, float | None]:
    """The layer as a flat array (no copy) and its declared finite nodata (None if NaN/none).

    Nodata is decoded after the covered cells are gathered, for float layers as well as
    integer ones: a float layer whose ``rio.nodata`` is -9999 has its -9999 cells left out.
    """
    if da.ndim != 2:
        raise InvalidParameterError(f"raster {name!r} must be 2-D (y, x), got dims {da.dims}")
    arr = np.asarray(da.values)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8)
    nodata = da.rio.nodata
    if nodata is not None:
        nodata = float(nodata)
        if not np.isfinite(nodata):
            nodata = None
    return arr.ravel(), nodata


def _read_paths(layers: dict, *, grid: Grid | None, categorical: Sequence[str]) -> dict:
    """Read layers given as paths through :mod:`steppe_geo.io` onto one grid."""
    paths = [k for k, v in layers.items() if not isinstance(v, xr.DataArray)]
    if not paths:
        return layers
    from steppe_geo import io

    if grid is None:
        first = next((v for v in layers.values() if isinstance(v, xr.DataArray)), None)
        grid = Grid.from_dataarray(first) if first is not None else None
    for k in paths:
        kind = "categorical" if k in categorical else None
        layers[k] = io.read_raster(layers[k], grid=grid, kind=kind, name=k)
        if grid is None:
            grid = Grid.from_dataarray(layers[k])
    return layers


def _check_coverage(coverage: CoverageMatrix, parcels: gpd.GeoDataFrame, grid: Grid,
                    id_column: str | None) -> None:
    """Refuse a coverage matrix built for other parcels (ids or geometry) or another grid."""
    if not coverage.grid.same_as(grid):
        raise InvalidParameterError(
            f"coverage: built for another grid ({coverage.grid.describe()}), "
            f"the rasters are on {grid.describe()}"
        )
    ids = _parcel_ids(parcels, id_column)
    if len(ids) != len(coverage.index) or not ids.equals(coverage.index):
        n = min(len(ids), len(coverage.index))
        differ = np.flatnonzero(np.asarray(ids[:n]) != np.asarray(coverage.index[:n]))
        where = (f"first differing position {int(differ[0])}: parcel id {_plain(ids[differ[0]])!r}, "
                 f"coverage id {_plain(coverage.index[differ[0]])!r}") if len(differ) else "same leading ids"
        raise InvalidParameterError(
            f"coverage: built for other parcels ({len(coverage.index)} parcels) than those given "
            f"({len(ids)} parcels, ids from {id_column or 'the index'}); {where}. "
            "Build it with coverage_matrix(parcels, grid, id_column=...) on these parcels"
        )
    geoms = _repaired(parcels.geometry, ids, warn=False)  # as coverage_matrix measured them
    if not geoms.crs.equals(grid.crs):
        geoms = geoms.to_crs(grid.crs)
    area = np.asarray(geoms.area, dtype=np.float64)
    moved = np.flatnonzero(~np.isclose(area, coverage.parcel_area_m2, rtol=1e-7, atol=1e-6))
    if len(moved):
        raise InvalidParameterError(
            f"coverage: {len(moved)} parcels have other geometries than when the coverage matrix "
            f"was built (their areas differ); ids: {_id_list(ids, moved)}"
        )


def zonal_stats(
    parcels: gpd.GeoDataFrame,
    rasters: Mapping[str, xr.DataArray],
    *,
    stats: Sequence[str] = ("mean",),
    id_column: str | None = None,
    categorical: Sequence[str] | None = None,
    eligible: xr.DataArray | None = None,
    require_all_valid: bool = False,
    coverage: CoverageMatrix | None = None,
    grid: Grid | None = None,
) -> gpd.GeoDataFrame:
    """Exact, coverage-weighted zonal statistics of several rasters over parcels.

    The coverage of every parcel is computed once (:func:`coverage_matrix`, exactextract)
    and each layer is a sparse matrix-vector product, so adding layers is cheap.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Polygons with a CRS; reprojected to the raster CRS if different. Overlaps allowed.
    rasters : mapping name -> xarray.DataArray or path
        2-D layers on one grid (projected CRS, metres). NaN and the declared ``rio.nodata``
        (float or integer layers) are nodata. Paths are read with
        :func:`steppe_geo.io.read_raster` onto ``grid`` (or onto the grid of the first
        DataArray given, or else the first file's own grid).
    stats : sequence of str, default ("mean",)
        Any of "mean", "sum", "min", "max", "std", "count", "area". Definitions as in
        exactextract: with coverage fraction c, ``mean = Σ c·x / Σ c`` and
        ``std`` over valid cells; ``count = Σ c`` (cells); ``area`` = count x pixel area
        in **hectares**. Nodata cells are left out of every statistic.
    id_column : str, optional
        Column of unique parcel ids (default: the index). The result keeps the parcels' index.
    categorical : sequence of str, optional
        Names of layers in ``rasters`` that are categorical; for them the result has
        ``{name}_frac_{value}`` columns (coverage-weighted share of each class among valid
        cells, 0–1; one column per class present anywhere in the layer) instead of ``stats``.
    eligible : xarray.DataArray, optional
        Eligibility on the same grid (True/1 = eligible; fractional 0–1 values act as
        weights). When given, every statistic is taken over the eligible part of each
        parcel, and ``eligible_area_ha`` / ``eligible_fraction`` are added.
    require_all_valid : bool, default False
        Take every statistic only over the cells where **all** non-categorical layers of
        ``rasters`` are valid (and that are eligible). Then all layers are summarised over
        the same cells, so Σ wᵢ·meanᵢ of the criteria equals the zonal mean of their
        weighted-sum raster (which is NaN wherever one criterion is). Adds ``valid_area_ha``
        (eligible area where all layers are valid); ``eligible_area_ha`` is unchanged.
    coverage : CoverageMatrix, optional
        A coverage matrix from :func:`coverage_matrix` to reuse; it must have been built for
        these parcels (same ids, in the same order, and the same geometries) on this grid.
    grid : Grid, optional
        Grid onto which raster *paths* are read (resampled/reprojected by ``io.read_raster``).

    Returns
    -------
    geopandas.GeoDataFrame
        The parcels (same index, geometry in the input CRS) with columns ``{name}_{stat}``,
        ``parcel_area_ha`` (geometric area in the grid CRS), ``covered_fraction`` (share of
        the parcel on the grid; parcels partly outside the grid report the covered part),
        and with ``eligible`` the eligible columns.

    Raises
    ------
    MissingCRSError
        If ``parcels`` has no CRS.
    NoOverlapError
        If some parcels do not touch the grid (the message counts and names them).
    GeometryTypeError
        If some geometries are missing, empty or not polygons (named).
    InvalidParameterError
        For duplicate ids, an unknown statistic, or a ``coverage`` built for other parcels
        or another grid.
    GridMismatchError
        If the layers are not on one grid.

    Examples
    --------
    A 3 x 3 grid of 100 m pixels and two parcels: one is exactly the north-west pixel, the
    other covers the south-west pixel and half of its neighbour (values 6 and 7).

    >>> import geopandas as gpd
    >>> import numpy as np
    >>> import shapely
    >>> import steppe_geo as sg
    >>> from steppe_geo.parcels import zonal_stats
    >>> grid = sg.Grid.from_bounds((500_000, 4_400_000, 500_300, 4_400_300), crs="EPSG:32649",
    ...                            resolution_m=100)
    >>> wind = grid.to_dataarray(np.arange(9.0).reshape(3, 3))
    >>> parcels = gpd.GeoDataFrame(
    ...     {"name": ["a", "b"]}, crs=grid.crs,
    ...     geometry=[shapely.box(500_000, 4_400_200, 500_100, 4_400_300),
    ...               shapely.box(500_000, 4_400_000, 500_150, 4_400_100)])
    >>> z = zonal_stats(parcels, {"wind": wind}, stats=("mean", "area"))
    >>> z[["name", "wind_mean", "wind_area"]].round(4)
      name  wind_mean  wind_area
    0    a     0.0000        1.0
    1    b     6.3333        1.5

    Parcel b: (1 x 6 + 0.5 x 7) / 1.5 = 6.3333 over 1.5 pixels of 1 ha.
    """
    if not isinstance(rasters, Mapping):
        raise InvalidParameterError(
            f"rasters must be a mapping name -> DataArray (or path), got {type(rasters).__name__}"
        )
    if not rasters:
        raise InvalidParameterError("rasters: give at least one layer (mapping name -> DataArray)")
    stat_list = [parse_choice(Stat, s, param="stats") for s in stats]
    cats = list(categorical or [])
    unknown = [c for c in cats if c not in rasters]
    if unknown:
        raise InvalidParameterError(f"categorical: {unknown} not in rasters {list(rasters)}")
    layers = _read_paths(dict(rasters), grid=grid, categorical=cats)
    rasters = {k: layers[k] for k in rasters}
    if eligible is not None:
        layers = {**layers, "<eligible>": eligible}
    check_same_grid(layers)
    grid = Grid.from_dataarray(next(iter(rasters.values())))
    if coverage is None:
        coverage = coverage_matrix(parcels, grid, id_column=id_column)
    else:
        _check_coverage(coverage, parcels, grid, id_column)
    # Work in rows sorted by location (fast gathers); results are put back in parcel order.
    order, C = coverage._by_location
    starts = C.indptr[:-1]
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr)) if Stat.STD in stat_list else None
    flats = {name: _as_flat(da, name) for name, da in rasters.items()}
    per_row: dict[str, np.ndarray] = {}
    base = C.data.astype(np.float64)
    if eligible is not None:
        weight = np.clip(np.nan_to_num(np.asarray(eligible.values, dtype=np.float64).ravel()), 0.0, 1.0)
        base = base * weight[C.indices]
        eli = np.add.reduceat(base, starts)
        per_row["eligible_area_ha"] = eli * grid.pixel_area_m2 / 1e4
        with np.errstate(invalid="ignore", divide="ignore"):
            per_row["eligible_fraction"] = np.clip(
                eli * grid.pixel_area_m2 / coverage.parcel_area_m2[order], 0, 1)
    if require_all_valid:
        for name, (x, nodata) in flats.items():
            if name not in cats:
                base[_invalid(x[C.indices], nodata)] = 0.0
        per_row["valid_area_ha"] = np.add.reduceat(base, starts) * grid.pixel_area_m2 / 1e4
    weights = (base, np.add.reduceat(base, starts))
    buffers = (np.empty_like(base), np.empty_like(base))
    for name, (x, nodata) in flats.items():
        if name in cats:
            per_row.update(_class_fractions(name, x, nodata, C, base))
            continue
        vals, bad = _gather(x, C.indices, nodata)
        stats_of_layer = _layer_stats(C, grid.pixel_area_m2, vals, bad, weights, rows, stat_list, buffers)
        for stat, values in stats_of_layer.items():
            per_row[f"{name}_{stat.value}"] = values
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    cols = {"parcel_area_ha": coverage.parcel_area_m2 / 1e4, "covered_fraction": coverage.covered_fraction()}
    cols.update({key: values[back] for key, values in per_row.items()})
    kept = parcels.drop(columns=[c for c in cols if c in parcels.columns])
    return pd.concat([kept, pd.DataFrame(cols, index=parcels.index)], axis=1)
