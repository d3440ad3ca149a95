"""Exact coverage of parcels over a grid: the sparse coverage matrix, computed once and reused by every layer.

exactextract gives, for every parcel, the raster cells it touches and the fraction of each
cell covered by the polygon. Those become a sparse coverage matrix C (parcels x cells), used by
:func:`~steppe_geo.parcels.zonal.zonal_stats`. Parcels are checked and repaired first; for a
windowed run, :func:`parcel_chunks` groups them by the grid windows they cover.
The definitions follow exactextract (https://isciences.github.io/exactextract/; docs/parcels.md).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import exactextract
import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
import xarray as xr
from exactextract.feature import Feature, FeatureSource
from exactextract.raster import NumPyRasterSource
from rasterio.windows import Window

from steppe_geo._validation import check_projected
from steppe_geo.errors import (
    GeometryTypeError,
    InvalidGeometryWarning,
    InvalidParameterError,
    MissingCRSError,
    NoOverlapError,
)
from steppe_geo.grid import Grid

if TYPE_CHECKING:
    from rasterio.windows import Window

__all__ = ["CoverageMatrix", "coverage_matrix", "parcel_chunks", "split_at_tiles"]


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
        out: np.ndarray = np.clip(frac, 0.0, 1.0)
        return out


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
    out: pd.Index = ids
    return out


def _plain(value: Any) -> Any:
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


def _wkb_source(geoms: Any, grid: Grid) -> Any:
    """An exactextract feature source handing over WKB (twice as fast as its GeoJSON path)."""

    class _WKBFeature(Feature):  # type: ignore[misc]  # exactextract ships no type hints (Any)
        def __init__(self, wkb: bytes) -> None:
            Feature.__init__(self)
            self._wkb = wkb

        def geometry(self) -> bytes:
            return self._wkb

        def set_geometry_format(self) -> str:
            return "wkb"

        def fields(self) -> list[str]:
            return []

    class _WKBSource(FeatureSource):  # type: ignore[misc]  # exactextract ships no type hints (Any)
        def __init__(self) -> None:
            super().__init__()
            self._wkbs = shapely.to_wkb(np.asarray(geoms))
            self._wkt = grid.crs.to_wkt()

        def count(self) -> int:
            return len(self._wkbs)

        def __iter__(self) -> Iterator[_WKBFeature]:
            for wkb in self._wkbs:
                yield _WKBFeature(bytes(wkb))

        def srs_wkt(self) -> str:
            return self._wkt

    return _WKBSource()


def _template(grid: Grid) -> Any:
    """A one-byte raster on ``grid``: exactextract only needs the grid to compute coverage.

    A north-up grid uses exactextract's in-memory NumPy source (about 9x faster than its
    xarray source); other grids go through the xarray source.
    """
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


def split_at_tiles(polygons: gpd.GeoDataFrame, grid: Grid, size: int) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Polygons wider or taller than ``size`` pixels cut along the grid's tile lines into pieces.

    :func:`parcel_chunks` gives a polygon larger than a tile a chunk of its own whose window is its
    bounding box, so the pixels read for it grow with the polygon: with candidate regions, which
    can span most of a large grid, with the grid. Cut into pieces along the lines of the grid's
    ``size`` x ``size`` tiles (pixel edges), every piece fits a window of ``size`` + 2 pixels, and
    statistics that are sums over pixels (coverage-weighted sums and counts, hence means) of a
    polygon are the sums over its pieces: a cell's coverage by a piece is its coverage by the
    polygon, because the cut runs along cell edges.

    Parameters
    ----------
    polygons : geopandas.GeoDataFrame
        Polygons in the grid's CRS, none missing or empty.
    grid : Grid
        The raster grid.
    size : int
        Tile size in pixels (> 0), e.g. the run's ``run.window``.

    Returns
    -------
    pieces : geopandas.GeoDataFrame
        The polygons that fit a tile unchanged, and the pieces of the others (their polygonal
        parts inside each tile they cross; tiles they only touch give no piece, and parts
        outside the grid are left out, as they cover no cell), with the
        columns of ``polygons``, in the order of ``polygons`` then of the tiles (row-major). The
        index is a new 0..n-1 range.
    owner : numpy.ndarray of int64
        For each piece, the integer position (``iloc``) in ``polygons`` of the polygon it is
        part of (ascending).

    Raises
    ------
    InvalidParameterError
        ``size`` is not a positive integer, or the polygons are not in the grid's CRS.

    Examples
    --------
    A 3 x 1 km rectangle on 100 m pixels, cut into tiles of 10 pixels:

    >>> import geopandas as gpd, shapely
    >>> import steppe_geo as sg
    >>> from steppe_geo.parcels import split_at_tiles
    >>> grid = sg.Grid.from_bounds((0, 0, 4000, 2000), crs="EPSG:32649", resolution_m=100)
    >>> rect = gpd.GeoDataFrame({"id": [7]}, geometry=[shapely.box(0, 1000, 3000, 2000)], crs=grid.crs)
    >>> pieces, owner = split_at_tiles(rect, grid, 10)
    >>> [p.bounds[::2] for p in pieces.geometry]  # (minx, maxx) of each piece
    [(0.0, 1000.0), (1000.0, 2000.0), (2000.0, 3000.0)]
    >>> owner.tolist(), pieces["id"].tolist()
    ([0, 0, 0], [7, 7, 7])
    """
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
        raise InvalidParameterError(f"size: tile size must be an integer >= 1 (pixels), got {size!r}")
    if polygons.crs is None or not polygons.crs.equals(grid.crs):
        raise InvalidParameterError(f"polygons: must be in the grid's CRS ({grid.describe()}), "
                                    f"are in {polygons.crs}")
    geoms = np.asarray(polygons.geometry.values, dtype=object)
    b = shapely.bounds(geoms) if len(geoms) else np.zeros((0, 4))
    inv = ~grid.transform
    xs = np.stack([b[:, 0], b[:, 2], b[:, 0], b[:, 2]], axis=1)
    ys = np.stack([b[:, 1], b[:, 1], b[:, 3], b[:, 3]], axis=1)
    cols = inv.a * xs + inv.b * ys + inv.c
    rows = inv.d * xs + inv.e * ys + inv.f
    r0 = np.clip(np.floor(rows.min(axis=1)), 0, grid.rows).astype(np.int64)
    r1 = np.clip(np.ceil(rows.max(axis=1)), 0, grid.rows).astype(np.int64)
    c0 = np.clip(np.floor(cols.min(axis=1)), 0, grid.cols).astype(np.int64)
    c1 = np.clip(np.ceil(cols.max(axis=1)), 0, grid.cols).astype(np.int64)
    big = ((r1 - r0) > size) | ((c1 - c0) > size)
    out_geoms: list[Any] = []
    owner: list[int] = []
    for i, g in enumerate(geoms):
        if not big[i]:
            out_geoms.append(g)
            owner.append(i)
            continue
        for tr in range(int(r0[i]) // size, (int(r1[i]) - 1) // size + 1):
            for tc in range(int(c0[i]) // size, (int(c1[i]) - 1) // size + 1):
                tile = Window(tc * size, tr * size, size, size).intersection(
                    Window(0, 0, grid.cols, grid.rows))
                box = shapely.box(*grid.window_grid(tile).bounds)
                piece = _polygonal(shapely.intersection(g, box))
                if piece is not None:
                    out_geoms.append(piece)
                    owner.append(i)
    own = np.asarray(owner, dtype=np.int64)
    pieces = polygons.iloc[own].copy()
    pieces = pieces.set_geometry(gpd.GeoSeries(out_geoms, index=pieces.index, crs=polygons.crs))
    return pieces.reset_index(drop=True), own


def _polygonal(geom: Any) -> Any:
    """The polygonal parts of ``geom`` as one (Multi)Polygon, or None when it has no area."""
    if geom is None or shapely.is_empty(geom):
        return None
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
        geom = shapely.union_all(parts) if parts else None
    if geom is None or geom.is_empty or geom.area <= 0:
        return None
    return geom


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
