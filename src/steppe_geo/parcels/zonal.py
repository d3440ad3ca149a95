"""Exact zonal statistics of many rasters over many parcels, with the coverage computed once.

exactextract gives, for every parcel, the raster cells it touches and the fraction of each
cell covered by the polygon. Those become a sparse coverage matrix C (parcels x cells); every
layer is then a sparse matrix-vector product: ``sum = C @ x``, ``mean = (C @ x) / (C @ valid)``.
The definitions follow exactextract (methods.md §10).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
import xarray as xr

from steppe_geo._validation import check_projected, check_same_grid, parse_choice
from steppe_geo.errors import InvalidParameterError, MissingCRSError, NoOverlapError
from steppe_geo.grid import Grid

__all__ = ["CoverageMatrix", "Stat", "coverage_matrix", "zonal_stats"]


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
    dup = ids[ids.duplicated()]
    if len(dup):
        raise InvalidParameterError(
            f"parcel ids ({id_column or 'index'}) must be unique; {len(dup)} duplicated, e.g. "
            f"{list(dup.unique()[:5])}"
        )
    return ids


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
    NoOverlapError
        If some parcels do not touch the grid at all (the message counts and names them).
    """
    import exactextract

    if not isinstance(grid, Grid):
        grid = Grid.from_dataarray(grid)
    check_projected(grid.crs, what="zonal statistics (areas in m²)")
    if parcels.crs is None:
        raise MissingCRSError("parcels have no CRS; set one with parcels.set_crs(...) first")
    if len(parcels) == 0:
        raise InvalidParameterError("parcels: the GeoDataFrame is empty")
    ids = _parcel_ids(parcels, id_column)
    geoms = parcels.geometry
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
            f"ids: {list(ids[missing[:20]])}{' ...' if len(missing) > 20 else ''}"
        )
    return CoverageMatrix(matrix=matrix, grid=grid, index=ids,
                          parcel_area_m2=np.asarray(geoms.area, dtype=np.float64))


def _segment_reduce(ufunc: np.ufunc, values: np.ndarray, indptr: np.ndarray, empty: float) -> np.ndarray:
    """Reduce ``values`` per CSR row segment; rows without values get ``empty``."""
    n = len(indptr) - 1
    out = np.full(n, empty, dtype=np.float64)
    nonempty = indptr[1:] > indptr[:-1]
    if values.size and nonempty.any():
        starts = indptr[:-1][nonempty]
        out[nonempty] = ufunc.reduceat(values, starts)
    return out


def _layer_stats(cov: CoverageMatrix, x: np.ndarray, stats: Sequence[Stat],
                 weight: np.ndarray | None) -> dict[Stat, np.ndarray]:
    """Stats of one flattened layer ``x`` (float, NaN = nodata); ``weight`` scales coverage (eligibility).

    Only the covered cells are touched: their values are gathered (``x[C.indices]``) and the
    sparse products ``C @ x`` are done as per-row sums (``np.add.reduceat`` over CSR rows).
    """
    C = cov.matrix
    starts = C.indptr[:-1]  # every row has cells (coverage_matrix refuses empty parcels)
    vals = x[C.indices].astype(np.float64)
    invalid = np.isnan(vals)
    vals[invalid] = 0.0
    cw = C.data.copy()
    cw[invalid] = 0.0
    if weight is not None:
        cw *= weight[C.indices]
    v0 = vals
    res: dict[Stat, np.ndarray] = {}
    den = np.add.reduceat(cw, starts)
    num = np.add.reduceat(cw * v0, starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    for s in stats:
        if s is Stat.MEAN:
            res[s] = mean
        elif s is Stat.SUM:
            res[s] = num
        elif s is Stat.COUNT:
            res[s] = den
        elif s is Stat.AREA:
            res[s] = den * cov.grid.pixel_area_m2 / 1e4
        elif s is Stat.STD:
            sq = np.add.reduceat(cw * v0 * v0, starts)
            with np.errstate(invalid="ignore", divide="ignore"):
                var = np.where(den > 0, sq / np.where(den > 0, den, 1.0) - mean**2, np.nan)
            res[s] = np.sqrt(np.clip(var, 0.0, None))
        elif s in (Stat.MIN, Stat.MAX):
            fill = np.inf if s is Stat.MIN else -np.inf
            ufunc = np.minimum if s is Stat.MIN else np.maximum
            red = _segment_reduce(ufunc, np.where(cw > 0, v0, fill), C.indptr, fill)
            res[s] = np.where(np.isfinite(red), red, np.nan)
    return res


def _as_flat(da: xr.DataArray, name: str) -> np.ndarray:
    if da.ndim != 2:
        raise InvalidParameterError(f"raster {name!r} must be 2-D (y, x), got dims {da.dims}")
    arr = np.asarray(da.values)
    if np.issubdtype(arr.dtype, np.floating):
        return arr.ravel()  # cast after gathering the covered cells
    arr = arr.astype(np.float64)
    nodata = da.rio.nodata
    if nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata)):
        arr[arr == nodata] = np.nan
    return arr.ravel()


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


def zonal_stats(
    parcels: gpd.GeoDataFrame,
    rasters: Mapping[str, xr.DataArray],
    *,
    stats: Sequence[str] = ("mean",),
    id_column: str | None = None,
    categorical: Sequence[str] | None = None,
    eligible: xr.DataArray | None = None,
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
        2-D layers on one grid (projected CRS, metres). Float layers use NaN as nodata;
        integer layers their ``rio.nodata``. Paths are read with
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
        cells, 0–1) instead of ``stats``.
    eligible : xarray.DataArray, optional
        Eligibility on the same grid (True/1 = eligible; fractional 0–1 values act as
        weights). When given, every statistic is taken over the eligible part of each
        parcel, and ``eligible_area_ha`` / ``eligible_fraction`` are added.
    coverage : CoverageMatrix, optional
        A coverage matrix from :func:`coverage_matrix` to reuse (must match parcels and grid).
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
    MissingCRSError, NoOverlapError, InvalidParameterError, GridMismatchError
    """
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
    elif not coverage.grid.same_as(grid) or coverage.matrix.shape[0] != len(parcels):
        raise InvalidParameterError("coverage: the coverage matrix was built for another grid or parcel set")
    weight = None
    cols: dict[str, np.ndarray] = {}
    cols["parcel_area_ha"] = coverage.parcel_area_m2 / 1e4
    cols["covered_fraction"] = coverage.covered_fraction()
    if eligible is not None:
        weight = np.clip(np.nan_to_num(np.asarray(eligible.values, dtype=np.float64).ravel()), 0.0, 1.0)
        eli = coverage.matrix @ weight
        cols["eligible_area_ha"] = eli * grid.pixel_area_m2 / 1e4
        with np.errstate(invalid="ignore", divide="ignore"):
            cols["eligible_fraction"] = np.clip(eli * grid.pixel_area_m2 / coverage.parcel_area_m2, 0, 1)
    for name, da in rasters.items():
        x = _as_flat(da, name)
        if name in cats:
            x = x.astype(np.float64, copy=False)
            valid = np.isfinite(x)
            w = valid.astype(np.float64) if weight is None else valid * weight
            den = coverage.matrix @ w
            for value in np.unique(x[valid]):
                num = coverage.matrix @ (w * (x == value))
                label = int(value) if float(value).is_integer() else value
                with np.errstate(invalid="ignore", divide="ignore"):
                    cols[f"{name}_frac_{label}"] = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
            continue
        for stat, values in _layer_stats(coverage, x, stat_list, weight).items():
            cols[f"{name}_{stat.value}"] = values
    result = parcels.copy()
    for key, values in cols.items():
        result[key] = values
    return result
