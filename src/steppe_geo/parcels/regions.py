"""Candidate regions from a score raster: thresholded patches, and region growing from seeds.

The windowed variants are in :mod:`~steppe_geo.parcels.regions_windowed` and the shared polygonising
in :mod:`~steppe_geo.parcels.region_shapes`; their names stay importable from here.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import xarray as xr
from rasterio import features
from scipy import ndimage

from steppe_geo._validation import check_positive
from steppe_geo.errors import InvalidParameterError
from steppe_geo.grid import Grid
from steppe_geo.parcels.region_shapes import _attach as _attach  # used by the pipeline's parcels stage
from steppe_geo.parcels.region_shapes import _available as _available  # idem
from steppe_geo.parcels.region_shapes import _check_connectivity, _polygons
from steppe_geo.parcels.regions_windowed import _windowed_region_polygons as _windowed_region_polygons  # idem
from steppe_geo.parcels.regions_windowed import candidate_regions_windowed, windowed_quantile

__all__ = ["candidate_regions", "candidate_regions_windowed", "grow_regions", "windowed_quantile"]


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


def _push(r: int, c: int, heap: list[Any], seen: set[Any], free: np.ndarray, values: np.ndarray,
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
