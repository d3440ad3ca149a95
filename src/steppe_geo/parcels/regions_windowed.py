"""Candidate regions window by window: an exact windowed quantile, regions labelled per window and joined.

For grids too large for memory: :func:`windowed_quantile` finds a threshold from window reads, and
:func:`candidate_regions_windowed` labels the thresholded patches per window, joins labels across
window edges and computes the regions' statistics per chunk of regions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr
from scipy import ndimage

from steppe_geo.errors import EmptyLayerError, InvalidParameterError
from steppe_geo.grid import Grid, GridWindow, check_same_grid
from steppe_geo.mcda.minimum_area import WindowEdges, join_window_labels
from steppe_geo.parcels.coverage import parcel_chunks
from steppe_geo.parcels.region_shapes import (
    _add_pieces,
    _attach,
    _available,
    _check_connectivity,
    _union_pieces,
)

__all__ = ["candidate_regions_windowed", "windowed_quantile"]


def _float_keys(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Unsigned integer keys of float values that sort like the values (and their bit width)."""
    if values.dtype == np.float32:
        u = values.view(np.uint32).astype(np.uint64)
        top, bits = np.uint64(1 << 31), 32
    else:
        u = values.astype(np.float64).view(np.uint64)
        top, bits = np.uint64(1 << 63), 64
    neg = (u & top) != 0
    full = np.uint64((1 << bits) - 1)
    return np.where(neg, ~u & full, u | top), bits


def _float_of_key(key: int, bits: int) -> float:
    """The float value of a key made by :func:`_float_keys`."""
    top = 1 << (bits - 1)
    u = key ^ top if key & top else ~key & ((1 << bits) - 1)
    dtype, utype = (np.float32, np.uint32) if bits == 32 else (np.float64, np.uint64)
    out: float = np.array([u], dtype=utype).view(dtype)[0]
    return out


def windowed_quantile(values: xr.DataArray, q: float, *, window: int) -> float:
    """Exact quantile (numpy's default "linear" method) of the finite values of a raster, window by window.

    Equal to ``float(np.quantile(v[np.isfinite(v)], q))`` without holding the raster: the two
    order statistics around the quantile's position are found exactly by radix selection on the
    values' bit patterns (each pass reads every window once and keeps one histogram of 2¹⁶
    bins; two passes for float32, four for float64, shared by the two order statistics as far
    as their leading digits agree), then interpolated as numpy does
    (Hyndman & Fan 1996, definition 7: position ``q·(n−1)``; numpy's two-sided lerp in the
    values' precision).

    Parameters
    ----------
    values : xarray.DataArray
        2-D raster (a lazily read file is read one window at a time).
    q : float
        Quantile in [0, 1].
    window : int
        Window size in pixels.

    Returns
    -------
    float
        NaN if the raster has no finite value.

    Raises
    ------
    InvalidParameterError
        ``q`` outside [0, 1], or a raster that is not 2-D.
    """
    if not (isinstance(q, (int, float, np.floating)) and 0.0 <= float(q) <= 1.0):
        raise InvalidParameterError(f"q must be a number in [0, 1], got {q!r}")
    if values.ndim != 2:
        raise InvalidParameterError(f"values must be 2-D (y, x), got dims {values.dims}")
    rows, cols = values.shape
    grid = Grid(Grid.from_dataarray(values).crs, Grid.from_dataarray(values).transform, (rows, cols))
    wins = list(grid.windows(window))
    is32 = values.dtype == np.float32
    step = 16

    def window_keys(win: GridWindow) -> tuple[np.ndarray, int]:
        r, c = win.core_slices
        v = np.asarray(values.isel(y=r, x=c).values)
        v = v.astype(np.float32 if is32 else np.float64, copy=False).ravel()
        return _float_keys(v[np.isfinite(v)])

    seen: dict[tuple[int, int], tuple[np.ndarray, int]] = {}

    def histogram(prefix: int, known: int) -> tuple[np.ndarray, int]:
        # the two order statistics around the quantile nearly always share their leading digits:
        # a histogram read once serves both (one pass over the windows fewer)
        if (prefix, known) not in seen:
            seen[(prefix, known)] = _histogram(prefix, known)
        return seen[(prefix, known)]

    def _histogram(prefix: int, known: int) -> tuple[np.ndarray, int]:
        hist = np.zeros(1 << step, dtype=np.int64)
        bits = 32 if is32 else 64
        for win in wins:
            keys, bits = window_keys(win)
            if known:
                keys = keys[(keys >> np.uint64(bits - known)) == np.uint64(prefix)]
            digit = (keys >> np.uint64(bits - known - step)) & np.uint64((1 << step) - 1)
            hist += np.bincount(digit.astype(np.int64), minlength=1 << step)
        return hist, bits

    first, bits = histogram(0, 0)
    n = int(first.sum())
    if n == 0:
        return float("nan")
    # numpy's "linear" method: virtual index (n − 1)·q, its floor and fraction
    virtual = (n - 1) * np.asarray(float(q))
    if virtual >= n - 1:  # q = 1: the maximum
        lo_rank = hi_rank = n - 1
    else:
        lo_rank, hi_rank = int(np.floor(virtual)), int(np.floor(virtual)) + 1
    gamma = float(virtual - np.floor(virtual))
    found = {}
    for rank in sorted({lo_rank, hi_rank}):
        hist, prefix, known, rest = first, 0, 0, rank
        while True:
            cum = np.cumsum(hist)
            d = int(np.searchsorted(cum, rest, side="right"))
            rest -= int(cum[d - 1]) if d else 0
            prefix, known = (prefix << step) | d, known + step
            if known == bits:
                break
            hist, _ = histogram(prefix, known)
        found[rank] = _float_of_key(prefix, bits)
    a, b = found[lo_rank], found[hi_rank]
    diff = b - a
    out = b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma
    return float(out)


def _window_mask(score: xr.DataArray, eligible: xr.DataArray | None, win: GridWindow, threshold: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Available pixels (finite score, eligible) and the region mask (also score >= threshold) of a window."""
    r, c = win.core_slices
    s = np.asarray(score.isel(y=r, x=c).values, dtype=np.float64)
    ok = np.isfinite(s)
    if eligible is not None:
        ok &= np.nan_to_num(np.asarray(eligible.isel(y=r, x=c).values, dtype=np.float64)) > 0
    return ok, ok & (s >= threshold)


def _windowed_region_polygons(score: xr.DataArray, eligible: xr.DataArray | None, *, threshold: float,
                              min_area_ha: float, connectivity: int, window: int) -> gpd.GeoDataFrame:
    """Region polygons (``region_id``, geometry) of :func:`candidate_regions`, window by window."""
    grid = Grid.from_dataarray(score)
    wins = list(grid.windows(window))
    structure = np.ones((3, 3)) if connectivity == 8 else None
    offsets, sizes, firsts, edges = [], [], [], []
    total = 0
    for win in wins:  # pass 1: label each window, keep sizes, first pixels and edge labels
        _, mask = _window_mask(score, eligible, win, threshold)
        labels, n = ndimage.label(mask, structure=structure)
        r0, c0, w = int(win.core.row_off), int(win.core.col_off), int(win.core.width)
        offsets.append(total)
        flat = labels.ravel()
        sizes.append(np.bincount(flat, minlength=n + 1)[1:])
        uniq, first = np.unique(flat, return_index=True)
        first = first[uniq > 0]
        firsts.append((r0 + first // w) * grid.cols + c0 + first % w)  # row-major position on the grid

        def node(line: np.ndarray, base: int = total) -> np.ndarray:
            return np.where(line > 0, base + line.astype(np.int64) - 1, -1)

        edges.append(WindowEdges(r0, c0, node(labels[0]), node(labels[-1]), node(labels[:, 0]),
                                 node(labels[:, -1])))
        total += n
    if total == 0:
        return gpd.GeoDataFrame({"region_id": np.zeros(0, np.int64)}, geometry=[], crs=grid.crs)
    n_comp, comp = join_window_labels(edges, grid.shape, total, connectivity=connectivity)
    comp_size = np.bincount(comp, weights=np.concatenate(sizes), minlength=n_comp)
    comp_first = np.full(n_comp, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(comp_first, comp, np.concatenate(firsts))
    # regions certainly below the minimum area are not polygonised (the exact test is on the polygons)
    big = comp_size * grid.pixel_area_m2 / 1e4 >= min_area_ha * (1 - 1e-9)
    order = np.flatnonzero(big)[np.argsort(comp_first[big], kind="stable")]  # in raster scan order
    comp_id = np.zeros(n_comp, dtype=np.int64)
    comp_id[order] = np.arange(1, order.size + 1)
    node_id = np.concatenate([[0], comp_id[comp]])  # label 0 (no region) stays 0
    pieces: dict[int, list[Any]] = {}
    for win, base in zip(wins, offsets, strict=True):  # pass 2: label again, polygonise the kept regions
        _, mask = _window_mask(score, eligible, win, threshold)
        labels, _ = ndimage.label(mask, structure=structure)
        ids = node_id[np.where(labels > 0, base + labels, 0)]
        if ids.any():
            _add_pieces(pieces, ids, win.core_grid)
    regions = _union_pieces(pieces, grid)
    regions = regions[regions.geometry.area / 1e4 >= min_area_ha].reset_index(drop=True)
    regions["region_id"] = np.arange(1, len(regions) + 1)
    return regions


def candidate_regions_windowed(
    score: xr.DataArray,
    *,
    threshold: float,
    window: int,
    eligible: xr.DataArray | None = None,
    min_area_ha: float = 0.0,
    connectivity: int = 8,
    attributes: Mapping[str, xr.DataArray] | None = None,
    stats: Sequence[str] = ("mean",),
) -> gpd.GeoDataFrame:
    """:func:`candidate_regions` window by window, for rasters too large to hold (lazily read files).

    Each window is labelled on its own (``scipy.ndimage.label``); labels touching across window
    edges (and corners, with 8-connectivity) are joined with
    ``scipy.sparse.csgraph.connected_components``, as the windowed minimum-area step joins
    eligible regions. Regions are numbered in raster-scan order of their first pixel, as
    ``ndimage.label`` numbers them on the whole grid. Each window is polygonised, and the pieces
    of a region are dissolved across the edges: the regions are the same polygons (up to vertex
    order and collinear vertices on window edges) with the same areas, ids and statistics as
    :func:`candidate_regions` gives on the whole grid. Their statistics are exact zonal
    statistics per chunk of regions (:func:`~steppe_geo.parcels.parcel_chunks`), read on the
    window covering the chunk. Memory: one window of the rasters, the labels of the region
    pixels on window edges, the regions' polygons, and the largest region's bounding box.

    Parameters
    ----------
    score, threshold, eligible, min_area_ha, connectivity, attributes, stats
        As in :func:`candidate_regions` (no ``sieve_pixels``).
    window : int
        Window size in pixels (e.g. ``run.window``).

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`candidate_regions`.

    Raises
    ------
    EmptyLayerError
        If no region meets the threshold and minimum area.
    InvalidParameterError
        For a bad ``connectivity``, or an attribute named "score".
    """
    connectivity = _check_connectivity(connectivity)
    if score.ndim != 2:
        raise InvalidParameterError(f"score must be 2-D (y, x), got dims {score.dims}")
    if eligible is not None:
        check_same_grid({"score": score, "eligible": eligible})
    regions = _windowed_region_polygons(score, eligible, threshold=threshold, min_area_ha=min_area_ha,
                                        connectivity=connectivity, window=window)
    if len(regions) == 0:
        raise EmptyLayerError("no region met the criteria (threshold / minimum area); relax them")
    if "score" in (attributes or {}):
        raise InvalidParameterError(
            "attributes: the name 'score' is taken by the score layer; rename that attribute")
    grid = Grid.from_dataarray(score)
    parts = []
    for pos, win in parcel_chunks(regions, grid, window):
        r, c = win.toslices()

        def cut(da: xr.DataArray, r: slice = r, c: slice = c) -> xr.DataArray:
            return da.isel(y=r, x=c).load()

        sub_score = cut(score)
        sub_elig = cut(eligible) if eligible is not None else None
        available = _available(sub_score, sub_elig)
        parts.append(_attach(regions.iloc[pos], sub_score, available, sub_elig,
                             {k: cut(v) for k, v in (attributes or {}).items()}, stats))
    out = pd.concat(parts).loc[regions["region_id"].to_numpy()]
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=regions.crs)
    if "score_mean" in out.columns:
        out = out.sort_values("score_mean", ascending=False, kind="stable")
    return out
