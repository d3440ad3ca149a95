"""Turbine layouts on eligible land: elliptical spacing to the prevailing wind, wake-loss energy.

Spacing rule: every pair of turbines lies outside each other's ellipse, the ellipse centred on a
turbine with semi-axes ``along_d · D`` in the prevailing wind direction and ``across_d · D``
across it (defaults 8 D × 4 D). In the wind frame scaled by those semi-axes the rule is a plain
distance: ``(Δu / (along_d D))² + (Δv / (across_d D))² >= 1``.

Placement (:func:`place_turbines`) maximises the count in three steps, keeping the best result:

1. Lattices: the rectangular lattice (one turbine per ellipse box) and the staggered lattice
   (hexagonal in the scaled frame, rows across the wind shifted by half a spacing, the densest
   packing of equal ellipses), each tried at ``offsets × offsets`` sub-spacing offsets.
2. Greedy insertion: every eligible pixel centre, swept row by row across the wind, is added when
   it keeps the spacing rule with the turbines already placed — so a lattice that loses rows at an
   irregular boundary gets the gaps filled.
3. A pure greedy sweep from an empty layout (it wins on narrow or fragmented land).

A turbine centre is valid when its pixel on the eligibility raster is eligible and the point is
inside the region polygon. :func:`lattice_layout` is the single best-offset rectangular lattice,
the baseline every placement is at least as good as.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr
from affine import Affine
from scipy.spatial import cKDTree

from steppe_geo._validation import check_positive, check_projected
from steppe_geo.criteria.wakes import (
    DEFAULT_WAKE_DECAY,
    ThrustCurve,
    WindRose,
    farm_energy,
    prevailing_direction,
    thrust_curve,
)
from steppe_geo.criteria.wind_power import PowerCurve, _curve
from steppe_geo.errors import CRSMismatchError, GridMismatchError, InvalidParameterError

__all__ = [
    "LATTICE_KINDS",
    "lattice_layout",
    "place_turbines",
    "spacing_ok",
    "turbine_layouts",
]

LATTICE_KINDS = ("rectangular", "staggered")
_TOL = 1e-9  # a pair exactly on the ellipse counts as spaced


# --------------------------------------------------------------------------- frames and masks
def _frame(wind_from_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors (x, y) along the flow (towards) and across it."""
    t = math.radians(wind_from_deg)
    e = np.array([-math.sin(t), -math.cos(t)])
    return e, np.array([-e[1], e[0]])


def _scaled(x: np.ndarray, y: np.ndarray, wind_from_deg: float, a_m: float, b_m: float
            ) -> tuple[np.ndarray, np.ndarray]:
    e, n = _frame(wind_from_deg)
    return (x * e[0] + y * e[1]) / a_m, (x * n[0] + y * n[1]) / b_m


def _unscale(u: np.ndarray, v: np.ndarray, wind_from_deg: float, a_m: float, b_m: float
             ) -> tuple[np.ndarray, np.ndarray]:
    e, n = _frame(wind_from_deg)
    uu, vv = u * a_m, v * b_m
    return uu * e[0] + vv * n[0], uu * e[1] + vv * n[1]


def spacing_ok(x_m: Sequence[float] | np.ndarray, y_m: Sequence[float] | np.ndarray, *,
               rotor_diameter_m: float, wind_from_deg: float, along_d: float = 8.0,
               across_d: float = 4.0) -> bool:
    """Whether every pair of turbines is outside each other's spacing ellipse (all pairs checked).

    Parameters
    ----------
    x_m, y_m : sequence of float
        Turbine positions (projected metres).
    rotor_diameter_m : float
        Rotor diameter D (m).
    wind_from_deg : float
        Prevailing wind direction (from, ° clockwise from grid north).
    along_d, across_d : float, default 8, 4
        Ellipse semi-axes in rotor diameters along and across the wind.

    Returns
    -------
    bool
        True if ``(Δu/(along_d D))² + (Δv/(across_d D))² >= 1`` for every pair.

    Examples
    --------
    >>> spacing_ok([0, 0], [0, -800], rotor_diameter_m=100, wind_from_deg=0)  # 8 D downwind
    True
    >>> spacing_ok([0, 300], [0, 0], rotor_diameter_m=100, wind_from_deg=0)  # 3 D across
    False
    """
    u, v = _scaled(np.asarray(x_m, float), np.asarray(y_m, float), wind_from_deg,
                   along_d * rotor_diameter_m, across_d * rotor_diameter_m)
    du = u[:, None] - u[None, :]
    dv = v[:, None] - v[None, :]
    d2 = du**2 + dv**2
    np.fill_diagonal(d2, np.inf)
    return bool((d2 >= 1.0 - _TOL).all())


@dataclass(frozen=True)
class _Land:
    """The region's window of the eligibility raster: allowed pixels, window transform, prepared polygon."""

    allowed: np.ndarray
    transform: Affine
    region: shapely.Geometry
    rows: slice
    cols: slice


def _xy(transform: Affine, cols: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``transform @ (cols, rows)`` on arrays, as affine computes it (its types cover scalar pairs only)."""
    a, b, c, d, e, f = transform[:6]
    return cols * a + rows * b + c, cols * d + rows * e + f


def _window(region: shapely.Geometry, transform: Affine, shape: tuple[int, int]) -> tuple[slice, slice]:
    west, south, east, north = shapely.bounds(region)
    inv = ~transform
    cs, rs = _xy(inv, np.array([west, east, west, east]), np.array([south, south, north, north]))
    r0 = max(math.floor(float(np.min(rs))) - 1, 0)
    r1 = min(math.ceil(float(np.max(rs))) + 1, shape[0])
    c0 = max(math.floor(float(np.min(cs))) - 1, 0)
    c1 = min(math.ceil(float(np.max(cs))) + 1, shape[1])
    return slice(r0, max(r0, r1)), slice(c0, max(c0, c1))


def _land(region: shapely.Geometry, values: np.ndarray, transform: Affine) -> _Land:
    rows, cols = _window(region, transform, values.shape)
    sub = np.asarray(values[rows, cols], dtype=bool)
    shapely.prepare(region)
    return _Land(sub, transform * Affine.translation(cols.start, rows.start), region, rows, cols)


def _valid_points(x: np.ndarray, y: np.ndarray, land: _Land) -> np.ndarray:
    """Pixel test on the eligibility raster plus point-in-polygon."""
    inverse: Affine = ~land.transform
    col_f, row_f = _xy(inverse, x, y)
    rows = np.floor(row_f).astype(int)
    cols = np.floor(col_f).astype(int)
    n_rows, n_cols = land.allowed.shape
    ok: np.ndarray = (rows >= 0) & (rows < n_rows) & (cols >= 0) & (cols < n_cols)
    ok[ok] = land.allowed[rows[ok], cols[ok]]
    if ok.any():
        ok[ok] = shapely.contains_xy(land.region, x[ok], y[ok])
    return ok


def _candidates(land: _Land) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.nonzero(land.allowed)
    x, y = _xy(land.transform, cols + 0.5, rows + 0.5)
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = _valid_points(x, y, land)
    return x[ok], y[ok]


# --------------------------------------------------------------------------- lattices and greedy
def _best_lattice(land: _Land, cand_u: np.ndarray, cand_v: np.ndarray, wind_from_deg: float, a_m: float,
                  b_m: float, kind: str, offsets: int) -> tuple[np.ndarray, np.ndarray]:
    """All ``offsets²`` offsets of one lattice kind at once; the first with the most valid points."""
    if cand_u.size == 0:
        return np.empty(0), np.empty(0)
    du = 1.0 if kind == "rectangular" else math.sqrt(3.0) / 2.0
    i = np.arange(math.floor((float(cand_u.min()) - 1.0) / du) - 1,
                  math.ceil((float(cand_u.max()) + 1.0) / du) + 2)
    j = np.arange(math.floor(float(cand_v.min())) - 3, math.ceil(float(cand_v.max())) + 3)
    ii, jj = (g.ravel() for g in np.meshgrid(i, j, indexing="ij"))
    off = np.arange(offsets) / offsets
    ou, ov = (g.ravel()[:, None] for g in np.meshgrid(off, off, indexing="ij"))
    shift = 0.5 * (ii % 2) if kind == "staggered" else np.zeros(ii.size)
    u = (ii[None, :] + ou) * du
    v = jj[None, :] + ov + shift[None, :]
    x, y = _unscale(u.ravel(), v.ravel(), wind_from_deg, a_m, b_m)
    ok = _valid_points(x, y, land).reshape(u.shape)
    best = int(np.argmax(ok.sum(axis=1)))
    return u[best][ok[best]], v[best][ok[best]]


def _greedy(seed_u: np.ndarray, seed_v: np.ndarray, cand_u: np.ndarray, cand_v: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Add candidates (in the given order) at scaled distance >= 1 from all placed points."""
    if seed_u.size and cand_u.size:  # drop the candidates the seed rules out (vectorised)
        dist, _ = cKDTree(np.column_stack([seed_u, seed_v])).query(np.column_stack([cand_u, cand_v]),
                                                                   distance_upper_bound=1.0)
        keep = dist**2 >= 1.0 - _TOL
        cand_u, cand_v = cand_u[keep], cand_v[keep]
    cells: dict[tuple[int, int], list[tuple[float, float]]] = {}
    pu, pv = list(seed_u), list(seed_v)
    for u, v in zip(pu, pv, strict=True):
        cells.setdefault((math.floor(u), math.floor(v)), []).append((u, v))
    lim = 1.0 - _TOL
    for u, v in zip(cand_u.tolist(), cand_v.tolist(), strict=True):
        cu, cv = math.floor(u), math.floor(v)
        clash = False
        for i in (cu - 1, cu, cu + 1):
            for j in (cv - 1, cv, cv + 1):
                for qu, qv in cells.get((i, j), ()):
                    if (u - qu) ** 2 + (v - qv) ** 2 < lim:
                        clash = True
                        break
                if clash:
                    break
            if clash:
                break
        if not clash:
            cells.setdefault((cu, cv), []).append((u, v))
            pu.append(u)
            pv.append(v)
    return np.asarray(pu, float), np.asarray(pv, float)


def _check_inputs(region: shapely.Geometry, eligible: xr.DataArray, rotor_diameter_m: float,
                  along_d: float, across_d: float, wind_from_deg: float) -> tuple[float, float, float]:
    if not isinstance(eligible, xr.DataArray) or eligible.ndim != 2:
        raise InvalidParameterError(
            f"eligible must be a 2-D boolean DataArray on a projected grid, got {type(eligible).__name__}")
    check_projected(eligible.rio.crs, what="eligible (turbine spacing is in metres)")
    if not isinstance(region, shapely.Geometry) or shapely.is_empty(region):
        raise InvalidParameterError(f"region must be a non-empty shapely polygon, got {region!r}")
    d = check_positive(rotor_diameter_m, param="rotor_diameter_m")
    a = check_positive(along_d, param="along_d") * d
    b = check_positive(across_d, param="across_d") * d
    if not math.isfinite(float(wind_from_deg)):
        raise InvalidParameterError(
            f"wind_from_deg must be a finite direction in degrees, got {wind_from_deg!r}")
    return d, a, b


def _points(x: np.ndarray, y: np.ndarray, crs: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"x_m": x, "y_m": y}, geometry=gpd.points_from_xy(x, y), crs=crs)


def lattice_layout(region: shapely.Geometry, eligible: xr.DataArray, *, rotor_diameter_m: float,
                   wind_from_deg: float, along_d: float = 8.0, across_d: float = 4.0,
                   kind: str = "rectangular", offsets: int = 8) -> gpd.GeoDataFrame:
    """The single lattice, oriented to the wind, whose best offset fits the most turbines.

    Parameters
    ----------
    region : shapely Polygon or MultiPolygon
        The area, in the CRS of ``eligible``.
    eligible : DataArray of bool
        Eligibility raster (True = turbines allowed) on a projected grid.
    rotor_diameter_m : float
        Rotor diameter D (m).
    wind_from_deg : float
        Prevailing wind direction (from, ° clockwise from grid north).
    along_d, across_d : float, default 8, 4
        Spacing in rotor diameters along and across the wind.
    kind : {"rectangular", "staggered"}
        Lattice shape: one turbine per ``along × across`` box, or rows across the wind shifted by
        half a spacing (``√3/2 · along`` apart).
    offsets : int, default 8
        Offsets tried per lattice axis (``offsets²`` in all).

    Returns
    -------
    GeoDataFrame
        Points with ``x_m``, ``y_m`` in the CRS of ``eligible``.

    Raises
    ------
    InvalidParameterError
        For an unknown kind, non-positive sizes, an empty region or a non-raster ``eligible``.
    GeographicCRSError
        If ``eligible`` is not in a projected CRS.
    """
    _, a, b = _check_inputs(region, eligible, rotor_diameter_m, along_d, across_d, wind_from_deg)
    if kind not in LATTICE_KINDS:
        raise InvalidParameterError(f"kind must be one of {LATTICE_KINDS}, got {kind!r}")
    if isinstance(offsets, bool) or not isinstance(offsets, int) or offsets < 1:
        raise InvalidParameterError(f"offsets must be an integer >= 1, got {offsets!r}")
    land = _land(region, np.asarray(eligible.values), eligible.rio.transform())
    cx, cy = _candidates(land)
    cu, cv = _scaled(cx, cy, wind_from_deg, a, b)
    u, v = _best_lattice(land, cu, cv, wind_from_deg, a, b, kind, offsets)
    x, y = _unscale(u, v, wind_from_deg, a, b)
    return _points(x, y, eligible.rio.crs)


def place_turbines(region: shapely.Geometry, eligible: xr.DataArray, *, rotor_diameter_m: float,
                   wind_from_deg: float, along_d: float = 8.0, across_d: float = 4.0,
                   offsets: int = 8) -> gpd.GeoDataFrame:
    """Place as many turbines as fit on the region's eligible land under elliptical spacing.

    Best of: each lattice kind at its best offset followed by greedy insertion of eligible pixel
    centres, and a pure greedy sweep (see the module notes). The count is never below
    :func:`lattice_layout` with the same ``offsets``.

    Parameters
    ----------
    region : shapely Polygon or MultiPolygon
        The area, in the CRS of ``eligible``.
    eligible : DataArray of bool
        Eligibility raster (True = allowed) on a projected grid.
    rotor_diameter_m : float
        Rotor diameter D (m).
    wind_from_deg : float
        Prevailing wind direction (from, ° clockwise from grid north).
    along_d, across_d : float, default 8, 4
        Ellipse semi-axes in rotor diameters along and across the wind.
    offsets : int, default 8
        Lattice offsets tried per axis.

    Returns
    -------
    GeoDataFrame
        Turbine points (``x_m``, ``y_m``) in the CRS of ``eligible``, sorted upwind first.

    Raises
    ------
    InvalidParameterError
        For non-positive sizes, an empty region or a non-raster ``eligible``.
    GeographicCRSError
        If ``eligible`` is not in a projected CRS.
    """
    _, a, b = _check_inputs(region, eligible, rotor_diameter_m, along_d, across_d, wind_from_deg)
    if isinstance(offsets, bool) or not isinstance(offsets, int) or offsets < 1:
        raise InvalidParameterError(f"offsets must be an integer >= 1, got {offsets!r}")
    land = _land(region, np.asarray(eligible.values), eligible.rio.transform())
    x, y = _place(land, wind_from_deg, a, b, offsets)
    return _points(x, y, eligible.rio.crs)


def _place(land: _Land, wind_from_deg: float, a: float, b: float, offsets: int
           ) -> tuple[np.ndarray, np.ndarray]:
    cx, cy = _candidates(land)
    cu, cv = _scaled(cx, cy, wind_from_deg, a, b)
    sweep = np.lexsort((cv, cu))  # row by row across the wind, from upwind
    cu, cv = cu[sweep], cv[sweep]
    best = (np.empty(0), np.empty(0))
    for kind in LATTICE_KINDS:
        lu, lv = _best_lattice(land, cu, cv, wind_from_deg, a, b, kind, offsets)
        u, v = _greedy(lu, lv, cu, cv)
        if u.size > best[0].size:
            best = (u, v)
    u, v = _greedy(np.empty(0), np.empty(0), cu, cv)
    if u.size > best[0].size:
        best = (u, v)
    order = np.lexsort((best[1], best[0]))
    return _unscale(best[0][order], best[1][order], wind_from_deg, a, b)


# --------------------------------------------------------------------------- per region
def _inside_values(values: np.ndarray, land: _Land) -> np.ndarray:
    """Finite values of a raster on the eligible grid at the pixel centres inside the region.

    A region too small to hold a pixel centre takes the pixel under its representative point.
    """
    sub = np.asarray(values[land.rows, land.cols], dtype=float)
    if sub.size == 0:
        return sub.ravel()
    r, c = np.indices(sub.shape)
    x, y = _xy(land.transform, c.ravel() + 0.5, r.ravel() + 0.5)
    inside = shapely.contains_xy(land.region, np.asarray(x), np.asarray(y))
    vals: np.ndarray = sub.ravel()[inside]
    if vals.size == 0:
        p = shapely.point_on_surface(land.region)  # what representative_point() returns
        col, row = ~land.transform @ (shapely.get_x(p), shapely.get_y(p))
        row = min(max(math.floor(row), 0), sub.shape[0] - 1)
        col = min(max(math.floor(col), 0), sub.shape[1] - 1)
        vals = sub[row:row + 1, col]
    finite: np.ndarray = vals[np.isfinite(vals)]
    return finite


def _check_same_grid(eligible: xr.DataArray, other: xr.DataArray, name: str) -> None:
    if other.shape != eligible.shape or other.rio.transform() != eligible.rio.transform():
        raise GridMismatchError(
            f"{name} must be on the grid of eligible (shape {eligible.shape}), got shape {other.shape}")


def turbine_layouts(regions: gpd.GeoDataFrame, eligible: xr.DataArray, *, rose: WindRose,
                    curve: PowerCurve | str = "nrel_6mw_170",
                    wind_from_deg: float | xr.DataArray | None = None,
                    mean_speed_m_s: xr.DataArray | None = None, along_d: float = 8.0,
                    across_d: float = 4.0, wake_decay: float = DEFAULT_WAKE_DECAY,
                    thrust: ThrustCurve | None = None) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Turbine layouts and wake-loss energy for every region or parcel.

    Parameters
    ----------
    regions : GeoDataFrame
        Candidate regions or parcels (polygons), in the CRS of ``eligible``; the index identifies them.
    eligible : DataArray of bool
        Eligibility raster (True = allowed), projected CRS.
    rose : WindRose
        Hub-height wind climate (:func:`~steppe_geo.criteria.wakes.wind_rose` from a record, or
        :func:`~steppe_geo.criteria.wakes.weibull_rose`).
    curve : PowerCurve or str, default "nrel_6mw_170"
        Turbine power curve with rotor diameter.
    wind_from_deg : float or DataArray, optional
        Prevailing direction (from, ° clockwise from grid north): one value, or a direction raster
        on the grid of ``eligible`` (circular mean over each region). Default: the energy-weighted
        mean direction of ``rose``.
    mean_speed_m_s : DataArray, optional
        Hub-height mean speed raster on the grid of ``eligible``; if given, each region's rose is
        scaled so its mean speed equals the region's mean of this raster.
    along_d, across_d : float, default 8, 4
        Spacing ellipse in rotor diameters.
    wake_decay : float, default 0.075
        Jensen wake decay constant k.
    thrust : ThrustCurve, optional
        Thrust table; default from the power curve by momentum theory.

    Returns
    -------
    points : GeoDataFrame
        One row per turbine: ``region`` (index label of ``regions``), ``turbine`` (1..n),
        ``x_m``, ``y_m``, ``net_mwh_yr``.
    summary : DataFrame
        Indexed like ``regions``: ``turbines``, ``capacity_mw``, ``gross_mwh_yr``, ``net_mwh_yr``,
        ``wake_loss_pct``, ``wind_from_deg``.

    Raises
    ------
    CRSMismatchError
        If ``regions`` is not in the CRS of ``eligible``.
    GridMismatchError
        If a direction or speed raster is on another grid.
    InvalidParameterError
        As :func:`place_turbines` and :func:`~steppe_geo.criteria.wakes.farm_energy`.
    """
    pc = _curve(curve)
    if pc.rotor_diameter_m is None:
        raise InvalidParameterError(f"power curve {pc.name!r} has no rotor_diameter_m; layouts need it")
    check_projected(eligible.rio.crs, what="eligible (turbine spacing is in metres)")
    if regions.crs is None or not regions.crs.equals(eligible.rio.crs):
        raise CRSMismatchError(
            f"regions must be in the CRS of eligible ({eligible.rio.crs}), got {regions.crs}; "
            "reproject with regions.to_crs(...)")
    for name, ras in (("wind_from_deg", wind_from_deg), ("mean_speed_m_s", mean_speed_m_s)):
        if isinstance(ras, xr.DataArray):
            _check_same_grid(eligible, ras, name)
    tc = thrust_curve(pc) if thrust is None else thrust
    d = pc.rotor_diameter_m
    a = check_positive(along_d, param="along_d") * d
    b = check_positive(across_d, param="across_d") * d
    rose_mean = rose.mean_speed()
    rose_direction = None
    values = np.asarray(eligible.values)
    transform = eligible.rio.transform()
    dir_values = np.asarray(wind_from_deg.values) if isinstance(wind_from_deg, xr.DataArray) else None
    speed_values = None if mean_speed_m_s is None else np.asarray(mean_speed_m_s.values)
    pts: list[pd.DataFrame] = []
    rows: list[dict[str, float]] = []
    for label, geom in zip(regions.index, regions.geometry, strict=True):
        if geom is None or geom.is_empty:
            raise InvalidParameterError(f"regions: row {label!r} has an empty geometry")
        land = _land(geom, values, transform)
        if dir_values is not None:
            direction = prevailing_direction(_inside_values(dir_values, land))
        elif wind_from_deg is not None:
            direction = float(wind_from_deg)
        else:
            if rose_direction is None:
                energy = (rose.frequency * np.asarray(rose.speed_m_s)[None, :] ** 3).sum(axis=1)
                rose_direction = prevailing_direction(rose.direction_deg, energy)
            direction = rose_direction
        site_rose = rose
        if speed_values is not None:
            vals = _inside_values(speed_values, land)
            target = float(vals.mean()) if vals.size else float("nan")
            if math.isfinite(target) and target > 0 and rose_mean > 0:
                site_rose = rose.scaled(target / rose_mean)
        x, y = _place(land, direction, a, b, 8)
        energy = farm_energy(x, y, rose=site_rose, curve=pc, thrust=tc, wake_decay=wake_decay)
        pts.append(pd.DataFrame({"region": [label] * x.size, "turbine": np.arange(1, x.size + 1), "x_m": x,
                                 "y_m": y, "net_mwh_yr": energy.turbine_net_mwh_yr}))
        rows.append({"turbines": energy.turbines, "capacity_mw": energy.capacity_mw,
                     "gross_mwh_yr": energy.gross_mwh_yr, "net_mwh_yr": energy.net_mwh_yr,
                     "wake_loss_pct": energy.wake_loss_pct, "wind_from_deg": direction})
    summary = pd.DataFrame(rows, index=regions.index,
                           columns=["turbines", "capacity_mw", "gross_mwh_yr", "net_mwh_yr", "wake_loss_pct",
                                    "wind_from_deg"])
    table = (pd.concat(pts, ignore_index=True) if pts else
             pd.DataFrame({"region": [], "turbine": [], "x_m": [], "y_m": [], "net_mwh_yr": []}))
    points = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["x_m"], table["y_m"]),
                              crs=eligible.rio.crs)
    return points, summary
