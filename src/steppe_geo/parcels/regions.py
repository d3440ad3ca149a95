"""Candidate regions from a score raster: thresholded patches, and region growing from seeds."""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import shapely
import xarray as xr
from rasterio import features
from scipy import ndimage

from steppe_geo._validation import check_positive, check_same_grid
from steppe_geo.errors import EmptyLayerError, InvalidParameterError
from steppe_geo.grid import Grid
from steppe_geo.parcels.zonal import zonal_stats

__all__ = ["candidate_regions", "grow_regions"]


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


def _polygons(labels: np.ndarray, grid: Grid, connectivity: int) -> gpd.GeoDataFrame:
    pieces: dict[int, list] = {}
    for geom, value in features.shapes(labels.astype(np.int32), mask=labels > 0,
                                       connectivity=connectivity, transform=grid.transform):
        pieces.setdefault(int(value), []).append(shapely.geometry.shape(geom))
    ids = sorted(pieces)
    geoms = [shapely.union_all(pieces[i]) if len(pieces[i]) > 1 else pieces[i][0] for i in ids]
    return gpd.GeoDataFrame({"region_id": ids}, geometry=geoms, crs=grid.crs)


def _attach(regions: gpd.GeoDataFrame, score: xr.DataArray, eligible, attributes, stats) -> gpd.GeoDataFrame:
    if len(regions) == 0:
        raise EmptyLayerError("no region met the criteria (threshold / minimum area); relax them")
    layers = {"score": score, **dict(attributes or {})}
    out = zonal_stats(regions, layers, stats=stats, eligible=eligible)
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
        with ``rasterio.features.sieve`` (so small holes inside a region are filled).
    connectivity : {4, 8}, default 8
    attributes : mapping name -> DataArray, optional
        Extra layers summarised per region (as :func:`zonal_stats` columns).
    stats : sequence of str, default ("mean",)

    Returns
    -------
    geopandas.GeoDataFrame
        One row per region, in the grid CRS: ``region_id``, ``area_ha``, ``score_{stat}``
        (over the region's eligible part), attribute columns, sorted by ``score_mean`` if present.
    """
    connectivity = _check_connectivity(connectivity)
    grid = Grid.from_dataarray(score)
    ok = _available(score, eligible)
    mask = ok & (np.asarray(score.values, dtype=np.float64) >= threshold)
    if sieve_pixels is not None:
        if sieve_pixels < 1:
            raise InvalidParameterError(f"sieve_pixels must be >= 1, got {sieve_pixels!r}")
        mask = features.sieve(mask.astype(np.uint8), size=int(sieve_pixels), connectivity=connectivity) > 0
    labels, _ = ndimage.label(mask, structure=np.ones((3, 3)) if connectivity == 8 else None)
    regions = _polygons(labels, grid, connectivity)
    regions = regions[regions.geometry.area / 1e4 >= min_area_ha].reset_index(drop=True)
    regions["region_id"] = np.arange(1, len(regions) + 1)
    out = _attach(regions, score, eligible, attributes, stats)
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
    neighbouring available pixel until it reaches ``region_area_ha``. Pixels within
    ``min_spacing_m`` of an existing region are unavailable for later regions (seeds and
    growth). Stops after ``n_regions`` regions, once ``total_area_ha`` is reached, or when no
    seed is left — there is no other cap on the number of regions.

    Parameters
    ----------
    score : xarray.DataArray
        Suitability score (2-D, projected CRS in metres).
    region_area_ha : float
        Target area of each region (ha), > 0.
    eligible : xarray.DataArray, optional
    n_regions : int, optional
    total_area_ha : float, optional
    min_spacing_m : float, default 0
        Minimum edge-to-edge distance between regions, metres (pixel-centre distance).
    min_area_ha : float, default 0
        Regions that cannot grow to at least this area are discarded.
    connectivity : {4, 8}, default 8
    attributes, stats
        As in :func:`candidate_regions`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``region_id`` (1 = first seed, the best), ``area_ha``, ``score_{stat}`` and attributes.

    Notes
    -----
    A pure-Python priority queue: intended for screening grids up to a few million pixels.
    """
    connectivity = _check_connectivity(connectivity)
    check_positive(region_area_ha, param="region_area_ha")
    if n_regions is not None and (not isinstance(n_regions, (int, np.integer)) or n_regions < 1):
        raise InvalidParameterError(f"n_regions must be an integer >= 1, got {n_regions!r}")
    if total_area_ha is not None:
        check_positive(total_area_ha, param="total_area_ha")
    if min_spacing_m < 0:
        raise InvalidParameterError(f"min_spacing_m must be >= 0, got {min_spacing_m!r}")
    grid = Grid.from_dataarray(score)
    values = np.asarray(score.values, dtype=np.float64)
    free = _available(score, eligible)
    cols = values.shape[1]
    px_ha = grid.pixel_area_m2 / 1e4
    target_px = max(1, int(np.ceil(region_area_ha / px_ha - 1e-9)))
    labels = np.zeros(values.shape, dtype=np.int32)
    offsets = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if connectivity == 8:
        offsets += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    res_x, res_y = grid.resolution
    order = np.argsort(-np.where(free, values, -np.inf), axis=None, kind="stable")
    n_done, area_done, label = 0, 0.0, 0
    for flat in order[: int(free.sum())]:  # initially available pixels, best first
        r, c = divmod(int(flat), cols)
        if not free[r, c]:
            continue
        label += 1
        members = [(r, c)]
        free[r, c] = False
        heap: list[tuple[float, int, int]] = []
        seen = {(r, c)}
        _push(r, c, heap, seen, free, values, offsets)
        while len(members) < target_px and heap:
            _, nr, nc = heapq.heappop(heap)
            if not free[nr, nc]:
                continue
            free[nr, nc] = False
            members.append((nr, nc))
            _push(nr, nc, heap, seen, free, values, offsets)
        mr, mc = np.array(members).T
        if len(members) * px_ha + 1e-9 < min_area_ha:
            continue  # pixels stay used (not free) so they are not re-seeded
        labels[mr, mc] = label
        if min_spacing_m > 0:
            region = labels == label
            dist = ndimage.distance_transform_edt(~region, sampling=(abs(res_y), abs(res_x)))
            free &= dist > min_spacing_m
        n_done += 1
        area_done += len(members) * px_ha
        if (n_regions is not None and n_done >= n_regions) or (
                total_area_ha is not None and area_done >= total_area_ha - 1e-9):
            break
    # Relabel 1..n in seed order.
    kept = np.unique(labels[labels > 0])
    remap = np.zeros(label + 1, dtype=np.int32)
    remap[kept] = np.arange(1, len(kept) + 1)
    regions = _polygons(remap[labels], grid, connectivity)
    return _attach(regions, score, eligible, attributes, stats)
