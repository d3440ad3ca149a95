"""Candidate regions from a score raster: thresholded patches, and region growing from seeds."""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr
from rasterio import features
from scipy import ndimage

from steppe_geo._validation import check_positive
from steppe_geo.errors import EmptyLayerError, InvalidParameterError
from steppe_geo.grid import Grid, check_same_grid
from steppe_geo.parcels.zonal import zonal_stats

__all__ = ["candidate_regions", "candidate_regions_windowed", "grow_regions", "windowed_quantile"]


def _available(score: xr.DataArray, eligible: xr.DataArray | None) -> np.ndarray:
    if score.ndim != 2:
        raise InvalidParameterError(f"score must be 2-D (y, x), got dims {score.dims}")
    ok = np.isfinite(np.asarray(score.values, dtype=np.float64))
    if eligible is not None:
        check_same_grid({"score": score, "eligible": eligible})
        ok &= np.nan_to_num(np.asarray(eligible.values, dtype=np.float64)) > 0
    return ok


def _check_connectivity(connectivity: int) -> int:
    if connectivity not in (4, 8):
        raise InvalidParameterError(f"connectivity must be 4 or 8, got {connectivity!r}")
    return connectivity


def _polygons(labels: np.ndarray, grid: Grid) -> gpd.GeoDataFrame:
    """Valid polygons of every label > 0 (one row per label, sorted by label).

    Pixels are polygonised with 4-connectivity — ``rasterio.features.shapes`` with
    8-connectivity joins pixels that only share a corner into one ring that touches itself
    there, which is not a valid polygon — and the pieces of one label are then unioned
    (pieces meeting at a corner become a valid MultiPolygon). Any geometry still invalid is
    repaired with ``shapely.make_valid``, keeping its polygonal parts.
    """
    pieces: dict[int, list] = {}
    _add_pieces(pieces, labels, grid)
    return _union_pieces(pieces, grid)


def _add_pieces(pieces: dict[int, list], labels: np.ndarray, grid: Grid) -> None:
    """Polygonise every label > 0 of ``labels`` (on ``grid``) with 4-connectivity into ``pieces``."""
    for geom, value in features.shapes(labels.astype(np.int32), mask=labels > 0,
                                       connectivity=4, transform=grid.transform):
        pieces.setdefault(int(value), []).append(shapely.geometry.shape(geom))


def _union_pieces(pieces: dict[int, list], grid: Grid) -> gpd.GeoDataFrame:
    """One valid (Multi)Polygon per label from its pieces (sorted by label); see :func:`_polygons`."""
    ids = sorted(pieces)
    geoms = np.array([shapely.union_all(pieces[i]) if len(pieces[i]) > 1 else pieces[i][0] for i in ids],
                     dtype=object)
    bad = ~shapely.is_valid(geoms) if len(geoms) else np.zeros(0, dtype=bool)
    for k in np.flatnonzero(bad):
        fixed = shapely.make_valid(geoms[k])
        parts = [g for g in shapely.get_parts(fixed) if g.geom_type in ("Polygon", "MultiPolygon")]
        geoms[k] = shapely.union_all(parts)
    return gpd.GeoDataFrame({"region_id": ids}, geometry=list(geoms), crs=grid.crs)


def _attach(regions: gpd.GeoDataFrame, score: xr.DataArray, available: np.ndarray,
            eligible: xr.DataArray | None, attributes, stats) -> gpd.GeoDataFrame:
    """Zonal statistics of the score and the attribute layers over each region's available part.

    ``available`` (eligible and with a score), times the eligibility fraction if ``eligible``
    holds fractions, is passed as the eligibility, so regions carry ``eligible_area_ha`` like
    parcels do and :func:`~steppe_geo.parcels.rank_parcels` works on them.
    """
    if len(regions) == 0:
        raise EmptyLayerError("no region met the criteria (threshold / minimum area); relax them")
    attributes = dict(attributes or {})
    if "score" in attributes:
        raise InvalidParameterError(
            "attributes: the name 'score' is taken by the score layer; rename that attribute")
    layers = {"score": score, **attributes}
    grid = Grid.from_dataarray(score)
    weight = available.astype(np.float64)
    if eligible is not None:
        weight *= np.clip(np.nan_to_num(np.asarray(eligible.values, dtype=np.float64)), 0.0, 1.0)
    out = zonal_stats(regions, layers, stats=stats, eligible=grid.to_dataarray(weight))
    out["area_ha"] = out.geometry.area / 1e4
    return out.set_index("region_id", drop=False)


def candidate_regions(
    score: xr.DataArray,
    *,
    threshold: float,
    eligible: xr.DataArray | None = None,
    min_area_ha: float = 0.0,
    sieve_pixels: int | None = None,
    connectivity: int = 8,
    attributes: Mapping[str, xr.DataArray] | None = None,
    stats: Sequence[str] = ("mean",),
) -> gpd.GeoDataFrame:
    """Contiguous eligible areas with score >= ``threshold`` as polygons.

    Parameters
    ----------
    score : xarray.DataArray
        Suitability score (2-D, projected CRS in metres; NaN = no data).
    threshold : float
        Minimum score of a pixel to belong to a region.
    eligible : xarray.DataArray, optional
        True/1 = eligible; ineligible pixels never belong to a region.
    min_area_ha : float, default 0
        Regions smaller than this (ha) are dropped.
    sieve_pixels : int, optional
        Before polygonising, patches (and holes) smaller than this many pixels are removed
        with ``rasterio.features.sieve``, so small holes of eligible below-threshold land
        inside a region are filled. Ineligible (or NaN-score) pixels are taken out again
        after sieving: a region never contains them.
    connectivity : {4, 8}, default 8
        Pixels sharing only a corner belong to the same region with 8 (the region's polygon is
        then a MultiPolygon if they are joined only there).
    attributes : mapping name -> DataArray, optional
        Further layers summarised per region as :func:`zonal_stats` columns over the region's
        eligible part, e.g. the standardised criteria: then
        ``rank_parcels(regions, weights=..., technology=...)`` ranks the regions exactly as
        parcels (score, rank, contributions, capacity). The name ``"score"`` is reserved.
    stats : sequence of str, default ("mean",)

    Returns
    -------
    geopandas.GeoDataFrame
        One row per region (index ``region_id``), in the grid CRS, valid (Multi)Polygons:
        ``region_id``, ``area_ha``, ``eligible_area_ha`` (eligible area with a score),
        ``score_{stat}``, the attribute columns and the other :func:`zonal_stats` columns;
        sorted by ``score_mean`` (descending) if present.

    Raises
    ------
    EmptyLayerError
        If no region meets the threshold and minimum area.
    InvalidParameterError
        For a bad ``connectivity`` or ``sieve_pixels``, or an attribute named "score".

    Examples
    --------
    Two patches above 0.5 on a 4 x 6 grid of 100 m pixels (1 ha each), with a criterion
    layer as attribute; the regions are then ranked like parcels.

    >>> import numpy as np
    >>> import steppe_geo as sg
    >>> from steppe_geo.parcels import candidate_regions, rank_parcels
    >>> grid = sg.Grid.from_bounds((500_000, 4_400_000, 500_600, 4_400_400), crs="EPSG:32649",
    ...                            resolution_m=100)
    >>> wind = np.zeros(grid.shape)
    >>> wind[0:2, 0:2] = 0.9   # 4 pixels
    >>> wind[2:4, 4:6] = 0.6   # 4 pixels
    >>> wind[3, 0] = 0.7       # 1 pixel, dropped by min_area_ha
    >>> score = grid.to_dataarray(wind)  # one criterion: the score is the criterion
    >>> regions = candidate_regions(score, threshold=0.5, min_area_ha=2,
    ...                             attributes={"wind": grid.to_dataarray(wind)})
    >>> regions[["area_ha", "eligible_area_ha", "score_mean", "wind_mean"]]  # doctest: +NORMALIZE_WHITESPACE
               area_ha  eligible_area_ha  score_mean  wind_mean
    region_id
    1              4.0               4.0         0.9        0.9
    2              4.0               4.0         0.6        0.6
    >>> ranked = rank_parcels(regions, weights={"wind": 1}, technology="wind")
    >>> ranked[["score", "rank", "capacity_mw", "capacity_basis"]]  # doctest: +NORMALIZE_WHITESPACE
               score  rank  capacity_mw capacity_basis
    region_id
    1            0.9     1         0.12             AC
    2            0.6     2         0.12             AC
    """
    connectivity = _check_connectivity(connectivity)
    grid = Grid.from_dataarray(score)
    ok = _available(score, eligible)
    mask = ok & (np.asarray(score.values, dtype=np.float64) >= threshold)
    if sieve_pixels is not None:
        if not isinstance(sieve_pixels, (int, np.integer)) or sieve_pixels < 1:
            raise InvalidParameterError(f"sieve_pixels must be an integer >= 1, got {sieve_pixels!r}")
        sieved = features.sieve(mask.astype(np.uint8), size=int(sieve_pixels), connectivity=connectivity) > 0
        mask = sieved & ok  # sieving may fill holes with ineligible land; take it out again
    labels, _ = ndimage.label(mask, structure=np.ones((3, 3)) if connectivity == 8 else None)
    regions = _polygons(labels, grid)
    regions = regions[regions.geometry.area / 1e4 >= min_area_ha].reset_index(drop=True)
    regions["region_id"] = np.arange(1, len(regions) + 1)
    out = _attach(regions, score, ok, eligible, attributes, stats)
    if "score_mean" in out.columns:
        out = out.sort_values("score_mean", ascending=False, kind="stable")
    return out


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
    return np.array([u], dtype=utype).view(dtype)[0]


def windowed_quantile(values: xr.DataArray, q: float, *, window: int) -> float:
    """Exact quantile (numpy's default "linear" method) of the finite values of a raster, window by window.

    Equal to ``float(np.quantile(v[np.isfinite(v)], q))`` without holding the raster: the two
    order statistics around the quantile's position are found exactly by radix selection on the
    values' bit patterns (each pass reads every window once and keeps one histogram of 2¹⁶
    bins; two passes for float32, four for float64), then interpolated as numpy does
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
    grid = Grid(Grid.from_dataarray(values).crs, Grid.from_dataarray(values).transform, values.shape)
    wins = list(grid.windows(window))
    is32 = values.dtype == np.float32
    step = 16

    def window_keys(win):
        r, c = win.core_slices
        v = np.asarray(values.isel(y=r, x=c).values)
        v = v.astype(np.float32 if is32 else np.float64, copy=False).ravel()
        return _float_keys(v[np.isfinite(v)])

    def histogram(prefix: int, known: int) -> tuple[np.ndarray, int]:
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


def _window_mask(score: xr.DataArray, eligible: xr.DataArray | None, win, threshold: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Available pixels (finite score, eligible) and the region mask (also score >= threshold) of a window."""
    r, c = win.core_slices
    s = np.asarray(score.isel(y=r, x=c).values, dtype=np.float64)
    ok = np.isfinite(s)
    if eligible is not None:
        ok &= np.nan_to_num(np.asarray(eligible.isel(y=r, x=c).values, dtype=np.float64)) > 0
    return ok, ok & (s >= threshold)


def _edge_pairs(edges: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
                shape: tuple[int, int], connectivity: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of window labels (node ids) that touch across window edges.

    ``edges`` holds per window its offset and the node ids on its top, bottom, left and right
    edges (-1 = no region); as in :func:`steppe_geo.mcda.constraints.merge_window_regions`,
    grid-wide lines either side of every window boundary are assembled and compared, shifted
    by one pixel for 8-connectivity (which also joins across window corners).
    """
    rows, cols = shape
    above: dict[int, np.ndarray] = {}
    below: dict[int, np.ndarray] = {}
    lefts: dict[int, np.ndarray] = {}
    rights: dict[int, np.ndarray] = {}
    for r0, c0, top, bottom, left, right in edges:
        h, w = left.size, top.size
        if r0 > 0:
            below.setdefault(r0, np.full(cols, -1, np.int64))[c0:c0 + w] = top
        if r0 + h < rows:
            above.setdefault(r0 + h, np.full(cols, -1, np.int64))[c0:c0 + w] = bottom
        if c0 > 0:
            rights.setdefault(c0, np.full(rows, -1, np.int64))[r0:r0 + h] = left
        if c0 + w < cols:
            lefts.setdefault(c0 + w, np.full(rows, -1, np.int64))[r0:r0 + h] = right
    shifts = (-1, 0, 1) if connectivity == 8 else (0,)
    pairs_a, pairs_b = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for line_a, line_b in [*((above[b], below[b]) for b in above), *((lefts[b], rights[b]) for b in lefts)]:
        m = line_a.size
        for d in shifts:
            a = line_a[max(0, -d):m - max(0, d)]
            b = line_b[max(0, d):m - max(0, -d)]
            ok = (a >= 0) & (b >= 0)
            pairs_a.append(a[ok])
            pairs_b.append(b[ok])
    return np.concatenate(pairs_a), np.concatenate(pairs_b)


def _windowed_region_polygons(score: xr.DataArray, eligible: xr.DataArray | None, *, threshold: float,
                              min_area_ha: float, connectivity: int, window: int) -> gpd.GeoDataFrame:
    """Region polygons (``region_id``, geometry) of :func:`candidate_regions`, window by window."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

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

        def node(line, base=total):
            return np.where(line > 0, base + line.astype(np.int64) - 1, -1)

        edges.append((r0, c0, node(labels[0]), node(labels[-1]), node(labels[:, 0]), node(labels[:, -1])))
        total += n
    if total == 0:
        return gpd.GeoDataFrame({"region_id": np.zeros(0, np.int64)}, geometry=[], crs=grid.crs)
    ia, ib = _edge_pairs(edges, grid.shape, connectivity)
    graph = coo_matrix((np.ones(ia.size, np.int8), (ia, ib)), shape=(total, total))
    n_comp, comp = connected_components(graph, directed=False)
    comp_size = np.bincount(comp, weights=np.concatenate(sizes), minlength=n_comp)
    comp_first = np.full(n_comp, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(comp_first, comp, np.concatenate(firsts))
    # regions certainly below the minimum area are not polygonised (the exact test is on the polygons)
    big = comp_size * grid.pixel_area_m2 / 1e4 >= min_area_ha * (1 - 1e-9)
    order = np.flatnonzero(big)[np.argsort(comp_first[big], kind="stable")]  # in raster scan order
    comp_id = np.zeros(n_comp, dtype=np.int64)
    comp_id[order] = np.arange(1, order.size + 1)
    node_id = np.concatenate([[0], comp_id[comp]])  # label 0 (no region) stays 0
    pieces: dict[int, list] = {}
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
    from steppe_geo.parcels.zonal import parcel_chunks

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

        def cut(da: xr.DataArray, r=r, c=c) -> xr.DataArray:
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


def _push(r: int, c: int, heap: list, seen: set, free: np.ndarray, values: np.ndarray,
          offsets: list[tuple[int, int]]) -> None:
    """Queue the free, unseen neighbours of pixel (r, c) by descending score."""
    rows, cols = free.shape
    for dr, dc in offsets:
        nr, nc = r + dr, c + dc
        if 0 <= nr < rows and 0 <= nc < cols and free[nr, nc] and (nr, nc) not in seen:
            seen.add((nr, nc))
            heapq.heappush(heap, (-values[nr, nc], nr, nc))


def _block_spacing(free: np.ndarray, mr: np.ndarray, mc: np.ndarray, spacing_m: float,
                   res_y: float, res_x: float) -> None:
    """Mark unavailable every pixel whose square lies closer than ``spacing_m`` to the region's squares.

    The square-to-square distance of pixels offset by (di, dj) is
    hypot(res_y·max(|di|−1, 0), res_x·max(|dj|−1, 0)); the set of offsets closer than the
    spacing is the 3 x 3 square dilated by the pixel-centre disc of radius ``spacing_m``, so
    the forbidden pixels are those whose centre is closer than ``spacing_m`` to the region
    grown by one pixel (exact Euclidean distance transform). Only a window of the region's
    bounding box plus the spacing is touched.
    """
    rows, cols = free.shape
    halo_r = int(np.ceil(spacing_m / res_y)) + 1
    halo_c = int(np.ceil(spacing_m / res_x)) + 1
    r0, r1 = max(int(mr.min()) - halo_r, 0), min(int(mr.max()) + halo_r + 1, rows)
    c0, c1 = max(int(mc.min()) - halo_c, 0), min(int(mc.max()) + halo_c + 1, cols)
    region = np.zeros((r1 - r0, c1 - c0), dtype=bool)
    region[mr - r0, mc - c0] = True
    grown = ndimage.binary_dilation(region, structure=np.ones((3, 3), dtype=bool))
    dist = ndimage.distance_transform_edt(~grown, sampling=(res_y, res_x))
    free[r0:r1, c0:c1] &= dist >= spacing_m


def grow_regions(
    score: xr.DataArray,
    *,
    region_area_ha: float,
    eligible: xr.DataArray | None = None,
    n_regions: int | None = None,
    total_area_ha: float | None = None,
    min_spacing_m: float = 0.0,
    min_area_ha: float = 0.0,
    connectivity: int = 8,
    attributes: Mapping[str, xr.DataArray] | None = None,
    stats: Sequence[str] = ("mean",),
) -> gpd.GeoDataFrame:
    """Grow regions of about ``region_area_ha`` from seeds taken in descending score.

    The best available pixel becomes a seed; the region then repeatedly adds its best-scoring
    neighbouring available pixel until it reaches ``region_area_ha``. Pixels closer than
    ``min_spacing_m`` to an existing region are unavailable for later regions (seeds and
    growth). Stops after ``n_regions`` regions, once ``total_area_ha`` is reached, or when no
    seed is left — there is no other cap on the number of regions.

    Parameters
    ----------
    score : xarray.DataArray
        Suitability score (2-D, projected CRS in metres).
    region_area_ha : float
        Target area of each region (ha), > 0; rounded up to whole pixels.
    eligible : xarray.DataArray, optional
    n_regions : int, optional
    total_area_ha : float, optional
        Target total area (ha). The region that reaches it is grown only to the area still
        missing, so the total never exceeds ``total_area_ha`` rounded up to whole pixels (it
        stays below it if the seeds run out, or when the area still missing is less than
        ``min_area_ha``).
    min_spacing_m : float, default 0
        Minimum edge-to-edge distance between regions, metres, exact on the pixel squares:
        the polygons of any two regions are at least this far apart.
    min_area_ha : float, default 0
        Regions that cannot grow to at least this area are discarded (their pixels are not
        used again).
    connectivity : {4, 8}, default 8
    attributes, stats
        As in :func:`candidate_regions` (regions can be ranked with
        :func:`~steppe_geo.parcels.rank_parcels`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``region_id`` (1 = first seed, the best; also the index), ``area_ha``,
        ``eligible_area_ha``, ``score_{stat}`` and attributes; valid (Multi)Polygons.

    Raises
    ------
    InvalidParameterError
        For a non-positive ``region_area_ha`` or ``total_area_ha``, ``n_regions`` < 1, or a
        negative ``min_spacing_m``.
    EmptyLayerError
        If no region could be grown.

    Notes
    -----
    The growth is a pure-Python priority queue, intended for screening grids up to a few
    million pixels; the spacing is applied in a window around each new region, so its cost
    does not grow with the grid.
    """
    connectivity = _check_connectivity(connectivity)
    check_positive(region_area_ha, param="region_area_ha")
    if n_regions is not None and (not isinstance(n_regions, (int, np.integer)) or n_regions < 1):
        raise InvalidParameterError(f"n_regions must be an integer >= 1, got {n_regions!r}")
    if total_area_ha is not None:
        check_positive(total_area_ha, param="total_area_ha")
    if not np.isfinite(min_spacing_m) or min_spacing_m < 0:
        raise InvalidParameterError(f"min_spacing_m must be a finite number >= 0, got {min_spacing_m!r}")
    grid = Grid.from_dataarray(score)
    values = np.asarray(score.values, dtype=np.float64)
    available = _available(score, eligible)
    free = available.copy()
    cols = values.shape[1]
    px_ha = grid.pixel_area_m2 / 1e4
    target_px = max(1, int(np.ceil(region_area_ha / px_ha - 1e-9)))
    min_px = max(1, int(np.ceil(min_area_ha / px_ha - 1e-9)))
    total_px = None if total_area_ha is None else max(1, int(np.ceil(total_area_ha / px_ha - 1e-9)))
    labels = np.zeros(values.shape, dtype=np.int32)
    offsets = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if connectivity == 8:
        offsets += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    res_x, res_y = (abs(v) for v in grid.resolution)
    order = np.argsort(-np.where(free, values, -np.inf), axis=None, kind="stable")
    n_done, done_px = 0, 0
    for flat in order[: int(free.sum())]:  # initially available pixels, best first
        r, c = divmod(int(flat), cols)
        if not free[r, c]:
            continue
        goal = target_px if total_px is None else min(target_px, total_px - done_px)
        if goal < min_px:
            break  # the area still missing is below the minimum region area
        members = [(r, c)]
        free[r, c] = False
        heap: list[tuple[float, int, int]] = []
        seen = {(r, c)}
        _push(r, c, heap, seen, free, values, offsets)
        while len(members) < goal and heap:
            _, nr, nc = heapq.heappop(heap)
            if not free[nr, nc]:
                continue
            free[nr, nc] = False
            members.append((nr, nc))
            _push(nr, nc, heap, seen, free, values, offsets)
        if len(members) < min_px:
            continue  # pixels stay used (not free) so they are not re-seeded
        mr, mc = np.array(members).T
        n_done += 1
        labels[mr, mc] = n_done
        if min_spacing_m > 0:
            _block_spacing(free, mr, mc, float(min_spacing_m), res_y, res_x)
        done_px += len(members)
        if (n_regions is not None and n_done >= n_regions) or (total_px is not None and done_px >= total_px):
            break
    regions = _polygons(labels, grid)
    return _attach(regions, score, available, eligible, attributes, stats)
