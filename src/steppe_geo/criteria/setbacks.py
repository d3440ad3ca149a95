"""Setback masks: pixels within (or beyond) a distance of features, exact for vectors.

"Within *d*" means distance ≤ *d* in every form of a setback (``docs/glossary.md``). Vector
features are buffered by *d* (shapely, 16 segments per quarter circle) and the pixel centres
inside the buffers are marked; raster features go through :func:`~steppe_geo.criteria.distance`.
Split from :mod:`steppe_geo.criteria.proximity` (distances), which it builds on.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
import xarray as xr

from steppe_geo._typing import ClassesLike, FeaturesLike
from steppe_geo._validation import check_positive, check_projected
from steppe_geo.criteria.proximity import _burn, _vector_geometries, distance
from steppe_geo.errors import EmptyLayerError, InvalidParameterError
from steppe_geo.grid import Grid

__all__ = ["outside_setback", "tip_height_m", "within_distance"]


def tip_height_m(hub_height_m: float, rotor_diameter_m: float) -> float:
    """Turbine tip height = hub height + rotor diameter / 2 (metres).

    Parameters
    ----------
    hub_height_m : float
        Hub height above ground in metres (> 0).
    rotor_diameter_m : float
        Rotor diameter in metres (> 0).

    Returns
    -------
    float
        Tip height in metres.

    Raises
    ------
    InvalidParameterError
        If either value is not > 0.

    Examples
    --------
    >>> tip_height_m(115, 170)
    200.0
    """
    hub = check_positive(hub_height_m, param="hub_height_m")
    rotor = check_positive(rotor_diameter_m, param="rotor_diameter_m")
    return hub + rotor / 2.0


def _setback_distance(distance_m: float | None, hub_height_m: float | None,
                      rotor_diameter_m: float | None, tip_height_multiple: float | None) -> float:
    if distance_m is not None:
        if tip_height_multiple is not None:
            raise InvalidParameterError("give either distance_m or tip_height_multiple, not both")
        return check_positive(distance_m, param="distance_m")
    if tip_height_multiple is None or hub_height_m is None or rotor_diameter_m is None:
        raise InvalidParameterError(
            "give distance_m, or tip_height_multiple with hub_height_m and rotor_diameter_m"
        )
    mult = check_positive(tip_height_multiple, param="tip_height_multiple")
    return round(mult * tip_height_m(hub_height_m, rotor_diameter_m), 9)  # 1.1 x 200 m = 220 m exactly


_QUAD_SEGS = 16  # buffer arcs: 16 segments per quarter circle


def _exact_vector_within(features: FeaturesLike, grid: Grid, d: float, all_touched: bool) -> np.ndarray:
    """Exact vector setback mask on ``grid``.

    True where a pixel centre (``all_touched``: any part of the pixel) is within ``d`` metres
    of a geometry, or the pixel is a feature pixel (as burned for :func:`distance`). Buffers
    are rasterized twice: with radius d (arcs inscribed in the true circle, so a subset of the
    answer) and with radius d / cos(π / (4 · 16)) (circumscribed, a superset); only the thin
    band between the two is decided by exact ``shapely.distance`` to the nearest geometry.
    """
    geoms = _vector_geometries(features, grid)
    if geoms.size == 0:
        raise EmptyLayerError("features: the layer has no features to measure distance to")
    w, s_, e, n = grid.bounds
    reach = shapely.box(w, s_, e, n).buffer(d * 1.01 + max(grid.resolution))
    geoms = geoms[shapely.intersects(geoms, reach)]
    out = _burn(geoms, grid, all_touched)
    if geoms.size == 0:
        return out
    out |= _burn(shapely.buffer(geoms, d, quad_segs=_QUAD_SEGS), grid, all_touched, outlines=False)
    outer = _burn(shapely.buffer(geoms, d / math.cos(math.pi / (4 * _QUAD_SEGS)), quad_segs=_QUAD_SEGS),
                  grid, all_touched, outlines=False)
    rows, cols = np.nonzero(outer & ~out)
    if rows.size:
        t = grid.transform
        x = t.c + (cols + 0.5) * t.a
        y = t.f + (rows + 0.5) * t.e
        if all_touched:
            hx, hy = abs(t.a) / 2, abs(t.e) / 2
            probes = shapely.box(x - hx, y - hy, x + hx, y + hy)
        else:
            probes = np.asarray(shapely.points(x, y))  # an array of points (x, y are arrays)
        tree = shapely.STRtree(geoms)
        _, dist = tree.query_nearest(probes, return_distance=True, all_matches=False)
        out[rows, cols] = dist <= d
    return out


def within_distance(features: FeaturesLike, *, grid: Grid, distance_m: float, all_touched: bool = False,
                    classes: ClassesLike | None = None) -> xr.DataArray:
    """Boolean mask, True where a feature is within ``distance_m`` metres (distance <= d).

    For vector features the test is exact against the geometries: a pixel is inside when its
    centre (with ``all_touched``, any part of it) is within ``distance_m`` of a point, line or
    polygon — whatever its size, and whether it lies inside or outside the grid — or when the
    feature itself is burned onto the pixel. For a raster (``classes``) it is the distance
    between pixel centres, as :func:`distance`.

    Parameters
    ----------
    features : GeoDataFrame, GeoSeries or DataArray
        What to measure from (see :func:`distance`).
    grid : Grid
        Projected analysis grid in metres.
    distance_m : float
        Distance in metres (> 0).
    all_touched : bool, default False
        Count a pixel when any part of it is within the distance (default: its centre).
    classes : value or list, optional
        For a categorical raster, the classes that are features.

    Returns
    -------
    xarray.DataArray
        bool ``within_distance`` on ``grid``.

    Raises
    ------
    InvalidParameterError
        If ``distance_m`` is not > 0.
    EmptyLayerError
        If the vector layer has no features.
    GeographicCRSError
        If the grid is not projected in metres.

    Examples
    --------
    Pixel centres within 45 m of a well (30 m pixels; the centres are 0, 30 and 60 m away):

    >>> import geopandas as gpd, shapely
    >>> import steppe_geo as sg
    >>> grid = sg.Grid.from_bounds((0, 0, 90, 30), crs="EPSG:32649", resolution_m=30)
    >>> well = gpd.GeoDataFrame(geometry=[shapely.Point(15, 15)], crs="EPSG:32649")
    >>> within_distance(well, grid=grid, distance_m=45).values.tolist()
    [[True, True, False]]
    >>> outside_setback(well, grid=grid, distance_m=45).values.tolist()  # True = keep
    [[False, False, True]]
    """
    d = check_positive(distance_m, param="distance_m")
    return _mask_result(_within(features, grid, d, all_touched, classes), grid, "within_distance",
                        {"distance_m": d, "units": "1"})


def _within(features: FeaturesLike, grid: Grid, d: float, all_touched: bool,
            classes: ClassesLike | None) -> np.ndarray:

    check_projected(grid.crs, what="distance grid")
    if isinstance(features, gpd.GeoDataFrame | gpd.GeoSeries):
        return _exact_vector_within(features, grid, d, all_touched)
    dist = distance(features, grid=grid, max_distance_m=d, all_touched=all_touched, classes=classes)
    return np.asarray(dist.values) <= d


def _mask_result(mask: np.ndarray, grid: Grid, name: str, attrs: dict[str, object]) -> xr.DataArray:
    return grid.to_dataarray(mask, name=name, attrs=attrs)


def outside_setback(features: FeaturesLike, *, grid: Grid, distance_m: float | None = None,
                    hub_height_m: float | None = None, rotor_diameter_m: float | None = None,
                    tip_height_multiple: float | None = None, all_touched: bool = False,
                    classes: ClassesLike | None = None) -> xr.DataArray:
    """Setback mask: True = keep (farther than the setback from every feature).

    The setback is ``distance_m`` metres, or ``tip_height_multiple × (hub_height_m +
    rotor_diameter_m / 2)`` for wind turbines (e.g. 1.1 × tip height, reVX).

    Parameters
    ----------
    features : GeoDataFrame, GeoSeries or DataArray
        What to keep away from (see :func:`distance`).
    grid : Grid
        Projected analysis grid.
    distance_m : float, optional
        Setback in metres (> 0).
    hub_height_m, rotor_diameter_m, tip_height_multiple : float, optional
        Turbine dimensions and multiple, used instead of ``distance_m``.
    all_touched, classes
        As in :func:`distance`.

    Returns
    -------
    xarray.DataArray
        bool ``outside_setback``: True where the distance to the nearest feature is > setback
        (exact against vector geometries, as :func:`within_distance`).

    Raises
    ------
    InvalidParameterError
        If the setback is not positive or is given twice / incompletely.
    EmptyLayerError
        If the vector layer has no features.
    GeographicCRSError
        If the grid is not projected in metres.
    """
    d = _setback_distance(distance_m, hub_height_m, rotor_diameter_m, tip_height_multiple)
    return _mask_result(~_within(features, grid, d, all_touched, classes), grid, "outside_setback",
                        {"distance_m": d, "units": "1", "meaning": "True = keep (outside the setback)"})
