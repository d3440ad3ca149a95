"""Exact zonal statistics of many rasters over many parcels, with the coverage computed once.

exactextract gives, for every parcel, the raster cells it touches and the fraction of each
cell covered by the polygon. Those become a sparse coverage matrix C (parcels x cells); every
layer is then a sparse matrix-vector product: ``sum = C @ x``, ``mean = (C @ x) / (C @ valid)``.
The definitions follow exactextract (https://isciences.github.io/exactextract/; docs/parcels.md).

The coverage matrix itself (and the parcels' checks and windowed chunks) is built in
:mod:`~steppe_geo.parcels.coverage`; its names stay importable from here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import xarray as xr

from steppe_geo import io
from steppe_geo._deprecation import renamed_parameter
from steppe_geo._validation import parse_choice
from steppe_geo.errors import InvalidParameterError
from steppe_geo.grid import Grid, check_same_grid
from steppe_geo.parcels.coverage import CoverageMatrix, _check_coverage, coverage_matrix, parcel_chunks

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
        out: np.ndarray = bad
        return out
    if nodata is None:
        return np.zeros(raw.shape, dtype=bool)
    out = raw.astype(np.float64) == float(nodata)
    return out


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


def _read_paths(layers: dict[str, Any], *, grid: Grid | None, categorical: Sequence[str]) -> dict[str, Any]:
    """Read layers given as paths through :mod:`steppe_geo.io` onto one grid."""
    paths = [k for k, v in layers.items() if not isinstance(v, xr.DataArray)]
    if not paths:
        return layers
    if grid is None:
        first = next((v for v in layers.values() if isinstance(v, xr.DataArray)), None)
        grid = Grid.from_dataarray(first) if first is not None else None
    for k in paths:
        kind = "categorical" if k in categorical else None
        layers[k] = io.read_raster(layers[k], grid=grid, kind=kind, name=k)
        if grid is None:
            grid = Grid.from_dataarray(layers[k])
    return layers


@renamed_parameter(old="rasters", new="layers", since="0.2.0")
def zonal_stats(
    parcels: gpd.GeoDataFrame,
    layers: Mapping[str, xr.DataArray],
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
    layers : mapping name -> xarray.DataArray or path
        2-D layers on one grid (projected CRS, metres). NaN and the declared ``rio.nodata``
        (float or integer layers) are nodata. Paths are read with
        :func:`steppe_geo.io.read_raster` onto ``grid`` (or onto the grid of the first
        DataArray given, or else the first file's own grid). Was ``rasters`` (a deprecated
        alias until 0.3.0).
    stats : sequence of str, default ("mean",)
        Any of "mean", "sum", "min", "max", "std", "count", "area". Definitions as in
        exactextract: with coverage fraction c, ``mean = Σ c·x / Σ c`` and
        ``std`` over valid cells; ``count = Σ c`` (cells); ``area`` = count x pixel area
        in **hectares**. Nodata cells are left out of every statistic.
    id_column : str, optional
        Column of unique parcel ids (default: the index). The result keeps the parcels' index.
    categorical : sequence of str, optional
        Names of layers in ``layers`` that are categorical; for them the result has
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
    rasters = layers  # ``layers`` below also holds the eligibility raster
    if not isinstance(rasters, Mapping):
        raise InvalidParameterError(
            f"layers must be a mapping name -> DataArray (or path), got {type(rasters).__name__}"
        )
    if not rasters:
        raise InvalidParameterError("layers: give at least one layer (mapping name -> DataArray)")
    stat_list = [parse_choice(Stat, s, param="stats") for s in stats]
    cats = list(categorical or [])
    unknown = [c for c in cats if c not in rasters]
    if unknown:
        raise InvalidParameterError(f"categorical: {unknown} not in layers {list(rasters)}")
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
