"""Sand drift potential (Fryberger & Dean 1979) and Lancaster's dune mobility index.

From a wind record (a station's :func:`steppe_geo.io.read_station_record` Dataset, or a gridded
``(time, y, x)`` stack): the drift potential of each of 16 direction sectors, DP, the resultant drift
potential RDP and direction RDD (where sand moves *to*, degrees clockwise from north), RDP/DP, the
energy and directional-variability classes, and the dune mobility index M = W / (P/PE).

Formulas and sources: ``docs/drift.md``. Speeds enter in m/s at any height; they are brought to 10 m by
the logarithmic profile and converted to knots (1 kn = 1852 m / 3600 s).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from steppe_geo._validation import check_number
from steppe_geo.criteria._common import check_dataarray, wrap_like
from steppe_geo.criteria.wind_resource import log_law
from steppe_geo.errors import InvalidParameterError, MissingLayerError
from steppe_geo.io.records import record_durations

__all__ = [
    "DEFAULT_ROUGHNESS_M",
    "DRIFT_ENERGY_CLASSES",
    "DUNE_MOBILITY_CLASSES",
    "KNOT_M_S",
    "MOBILITY_SPEED_M_S",
    "SECTORS",
    "THRESHOLD_KN",
    "Directionality",
    "DriftPotential",
    "classify_drift_energy",
    "classify_dune_mobility",
    "drift_across_rows",
    "drift_potential",
    "drift_potential_grid",
    "dune_mobility_index",
    "sector_of",
    "speed_at_10m",
    "wind_from_uv",
    "windy_share",
]

KNOT_M_S = 1852.0 / 3600.0
"""One international knot in m/s (1 nautical mile, 1852 m, per hour)."""

THRESHOLD_KN = 12.0
"""Impact threshold wind speed at 10 m (knots) of Fryberger & Dean (1979) for medium sand."""

DEFAULT_ROUGHNESS_M = 0.03
"""Roughness length (m) for bringing speeds to 10 m: "open" terrain, flat land with low grass and
isolated obstacles, Davenport–Wieringa classification (Wieringa 1992, J. Wind Eng. Ind. Aerodyn. 41,
357–368; WMO-No. 8, 2018, Vol. I, Ch. 5, Annex 5.B) — sagebrush and short-grass steppe."""

SECTORS = 16
"""Direction sectors of the sand rose (22.5° each, the first centred on north), as Fryberger & Dean."""

MOBILITY_SPEED_M_S = 4.5
"""Wind speed (m/s) above which time counts in W of Lancaster's mobility index (Lancaster 1988)."""

DRIFT_ENERGY_CLASSES: Mapping[int, tuple[str, float, float]] = {
    1: ("low", 0.0, 200.0),
    2: ("intermediate", 200.0, 400.0),
    3: ("high", 400.0, math.inf),
}
"""Code → (label, lowest DP, DP upper bound; VU): Fryberger & Dean (1979)
low < 200 ≤ intermediate < 400 ≤ high."""

DUNE_MOBILITY_CLASSES: Mapping[int, tuple[str, float, float]] = {
    1: ("inactive", 0.0, 50.0),
    2: ("crests active", 50.0, 100.0),
    3: ("crests and lee slopes active", 100.0, 200.0),
    4: ("fully active", 200.0, math.inf),
}
"""Code → (label, lowest M, M upper bound): Lancaster (1988), J. Arid Environ. 14, 233–244."""


class Directionality(enum.Enum):
    """Directional variability of a wind regime by RDP/DP (Fryberger & Dean 1979, p. 153)."""

    LOW = "low"  # RDP/DP < 0.3: complex or obtuse bimodal wind regime
    INTERMEDIATE = "intermediate"  # 0.3–0.8: obtuse or acute bimodal
    HIGH = "high"  # > 0.8: wide or narrow unimodal

    _value_: str


def _speeds(speed: Any, param: str) -> np.ndarray:
    v = np.asarray(speed, dtype=np.float64)
    if (v[np.isfinite(v)] < 0).any():
        raise InvalidParameterError(f"{param}: wind speeds must be ≥ 0 m/s, got {np.nanmin(v):g}")
    return v


def speed_at_10m(speed: Any, *, reference_height_m: float,
                 roughness_m: float = DEFAULT_ROUGHNESS_M) -> np.ndarray:
    """Wind speed at 10 m from a speed measured at ``reference_height_m`` by the log law.

    ``V10 = Vz · ln(10 / z0) / ln(z / z0)`` (:func:`steppe_geo.criteria.log_law`).

    Parameters
    ----------
    speed : array-like
        Wind speed in m/s at ``reference_height_m`` (≥ 0; NaN = missing).
    reference_height_m : float
        Measurement height above ground (m, > ``roughness_m``).
    roughness_m : float
        Roughness length z0 (m), default :data:`DEFAULT_ROUGHNESS_M`.

    Returns
    -------
    ndarray
        m/s at 10 m.

    Examples
    --------
    >>> round(float(speed_at_10m(3.0, reference_height_m=2.0)), 4)  # 3 ln(10/0.03) / ln(2/0.03) = 3 · 1.38323
    4.1497
    """
    v = _speeds(speed, "speed")
    factor = log_law(1.0, height_m=10.0, reference_height_m=float(reference_height_m),
                     z0_m=float(roughness_m))
    return v * float(factor)


def wind_from_uv(u: Any, v: Any) -> tuple[np.ndarray, np.ndarray]:
    """Speed and meteorological direction (where the wind blows *from*) of eastward/northward components.

    ``speed = √(u² + v²)``, ``direction = atan2(−u, −v)`` in degrees clockwise from north, in [0, 360)
    (ERA5 ``u10``/``v10`` convention: u towards the east, v towards the north).

    Examples
    --------
    >>> s, d = wind_from_uv([0.0, 3.0], [-5.0, 0.0])  # from the north; from the west
    >>> s.tolist(), d.tolist()
    ([5.0, 3.0], [0.0, 270.0])
    """
    uu, vv = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    direction = np.mod(np.degrees(np.arctan2(-uu, -vv)), 360.0)
    return np.hypot(uu, vv), np.where(np.isclose(direction, 360.0), 0.0, direction)


def sector_of(direction_deg: Any, *, sectors: int = SECTORS) -> np.ndarray:
    """Index of the direction sector (0 = centred on north, clockwise) of each direction in degrees.

    Examples
    --------
    >>> sector_of([0, 11.24, 11.25, 180, 348.75, 360]).tolist()
    [0, 0, 1, 8, 0, 0]
    """
    d = np.asarray(direction_deg, dtype=np.float64)
    width = 360.0 / sectors
    idx = np.floor(np.mod(d + width / 2.0, 360.0) / width)
    return np.where(np.isfinite(d), idx, -1).astype(np.int64)


def _check_directions(direction: np.ndarray, param: str) -> None:
    ok = direction[np.isfinite(direction)]
    if ((ok < 0) | (ok > 360)).any():
        bad = ok[(ok < 0) | (ok > 360)][0]
        raise InvalidParameterError(f"{param}: wind directions must be within 0–360 degrees, got {bad:g}")


def _drift_kernel(speed_kn: np.ndarray, direction_deg: np.ndarray, hours: np.ndarray, *,
                  threshold_kn: float, sectors: int) -> np.ndarray:
    """Drift potential per sector, ``(sectors, *space)``, of ``(time, *space)`` records in knots.

    ``DP_s = Σ_{records in s, V > Vt} V² (V − Vt) / 100 · t`` with ``t`` the record's share of the valid
    record time in percent.
    """
    valid = np.isfinite(speed_kn) & np.isfinite(direction_deg)
    w = np.broadcast_to(hours.reshape((-1,) + (1,) * (speed_kn.ndim - 1)), speed_kn.shape)
    total_h = np.where(valid, w, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_pct = np.where(total_h > 0, 100.0 * w / np.where(total_h > 0, total_h, 1.0), 0.0)
    v = np.where(valid, speed_kn, 0.0)
    q = np.where(valid & (v > threshold_kn), v**2 * (v - threshold_kn) / 100.0 * t_pct, 0.0)
    idx = sector_of(np.where(valid, direction_deg, 0.0), sectors=sectors)
    out = np.zeros((sectors, *speed_kn.shape[1:]))
    for s in range(sectors):
        out[s] = np.where(idx == s, q, 0.0).sum(axis=0)
    out[:, total_h == 0] = np.nan
    return out


def _resultant(dp_sectors: np.ndarray, sectors: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DP, RDP and RDD (towards, degrees clockwise from north) of sector DPs ``(sectors, *space)``."""
    towards = np.radians(np.arange(sectors) * 360.0 / sectors + 180.0)
    shape = (-1,) + (1,) * (dp_sectors.ndim - 1)
    east = (dp_sectors * np.sin(towards).reshape(shape)).sum(axis=0)
    north = (dp_sectors * np.cos(towards).reshape(shape)).sum(axis=0)
    dp = dp_sectors.sum(axis=0)
    rdp = np.hypot(east, north)
    rdd = np.mod(np.degrees(np.arctan2(east, north)), 360.0)
    rdd = np.where(rdp > 1e-9 * np.maximum(dp, 1e-300), rdd, np.nan)
    return dp, rdp, rdd


def drift_across_rows(dp_by_sector: Any, *, row_azimuth_deg: float = 90.0) -> np.ndarray:
    """Drift potential crossing rows (PV arrays, fences) that run along ``row_azimuth_deg``.

    ``Σ_s DP_s · |sin(θ_s − α)|``: the part of each sector's drift perpendicular to the rows (θ_s the
    sector's direction, α the rows' azimuth). Fixed-tilt PV rows facing the equator run east–west
    (α = 90°) and cross north–south drift fully, east–west drift not at all.

    Parameters
    ----------
    dp_by_sector : (sectors, ...) array-like
        DP of each direction sector (VU), sector 0 centred on north.
    row_azimuth_deg : float
        Direction the rows run along (degrees clockwise from north; 90 = east–west).

    Returns
    -------
    ndarray
        VU, shape of one sector.

    Examples
    --------
    >>> dp = np.zeros(16); dp[0] = 100.0; dp[4] = 50.0  # 100 VU from the north, 50 VU from the east
    >>> float(drift_across_rows(dp))  # east-west rows: all of the north drift, none of the east drift
    100.0
    >>> round(float(drift_across_rows(dp, row_azimuth_deg=45.0)), 6)  # (100 + 50) × sin 45°
    106.066017
    """
    sec = np.asarray(dp_by_sector, dtype=np.float64)
    n = sec.shape[0]
    theta = np.radians(np.arange(n) * 360.0 / n - float(row_azimuth_deg))
    across: np.ndarray = (sec * np.abs(np.sin(theta)).reshape((-1,) + (1,) * (sec.ndim - 1))).sum(axis=0)
    return across


def classify_drift_energy(dp: Any) -> np.ndarray:
    """Energy class code of drift potentials (1 low < 200 ≤ 2 intermediate < 400 ≤ 3 high; 0 = NaN).

    Examples
    --------
    >>> classify_drift_energy([0, 199.9, 200, 399.9, 400, float("nan")]).tolist()
    [1, 1, 2, 2, 3, 0]
    """
    d = np.asarray(dp, dtype=np.float64)
    return np.where(np.isfinite(d), np.digitize(d, [200.0, 400.0]) + 1, 0).astype(np.int64)


@dataclass(frozen=True)
class DriftPotential:
    """Drift potential of one wind record (a station).

    Attributes
    ----------
    dp_by_sector : tuple of float
        DP of each sector (VU), sector 0 centred on north (the direction the wind blows *from*),
        clockwise in steps of 360 / sectors degrees.
    dp, rdp : float
        Drift potential and resultant drift potential (VU).
    rdd_deg : float
        Resultant drift direction: where the sand moves *to*, degrees clockwise from north (NaN when
        RDP is 0).
    threshold_kn, reference_height_m, roughness_m : float
        Threshold (kn at 10 m), height of the source speeds (m), roughness length used (m).
    hours : float
        Time the valid records stand for (h).
    """

    dp_by_sector: tuple[float, ...]
    dp: float
    rdp: float
    rdd_deg: float
    threshold_kn: float
    reference_height_m: float
    roughness_m: float
    hours: float

    @property
    def ratio(self) -> float:
        """RDP/DP, the directional variability (1 = one direction; NaN when DP is 0)."""
        return self.rdp / self.dp if self.dp > 0 else math.nan

    @property
    def energy_class(self) -> str:
        """``"low"`` (< 200 VU), ``"intermediate"`` (200–399) or ``"high"`` (≥ 400)."""
        return DRIFT_ENERGY_CLASSES[int(classify_drift_energy(self.dp))][0]

    @property
    def directionality(self) -> str:
        """RDP/DP class: ``"low"`` (< 0.3), ``"intermediate"`` (0.3–0.8), ``"high"`` (> 0.8)."""
        r = self.ratio
        if math.isnan(r):
            return "none"
        regime: Directionality = (Directionality.LOW if r < 0.3 else Directionality.INTERMEDIATE if r <= 0.8
                                  else Directionality.HIGH)
        return regime.value

    @property
    def sector_centres_deg(self) -> tuple[float, ...]:
        """Centre of each sector (degrees clockwise from north, the direction the wind blows from)."""
        n = len(self.dp_by_sector)
        return tuple(i * 360.0 / n for i in range(n))

    def across_rows(self, row_azimuth_deg: float = 90.0) -> float:
        """DP crossing rows along ``row_azimuth_deg`` (VU; :func:`drift_across_rows`)."""
        return float(drift_across_rows(np.array(self.dp_by_sector), row_azimuth_deg=row_azimuth_deg))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every figure (JSON-friendly)."""
        return {"dp": self.dp, "rdp": self.rdp, "rdd_deg": self.rdd_deg, "rdp_dp": self.ratio,
                "energy_class": self.energy_class, "directionality": self.directionality,
                "dp_across_ew_rows": self.across_rows(90.0),
                "dp_by_sector": list(self.dp_by_sector), "threshold_kn": self.threshold_kn,
                "reference_height_m": self.reference_height_m, "roughness_m": self.roughness_m,
                "hours": self.hours}


def drift_potential(
    record: xr.Dataset,
    *,
    threshold_kn: float = THRESHOLD_KN,
    roughness_m: float = DEFAULT_ROUGHNESS_M,
    reference_height_m: float | None = None,
    sectors: int = SECTORS,
) -> DriftPotential:
    """Fryberger & Dean (1979) drift potential of a station's wind record.

    ``DP = Σ V² (V − Vt) / 100 · t`` over records with ``V > Vt`` (V in knots at 10 m, t the record's
    share of the record time in percent, from its ``duration_h``), summed by direction sector; RDP is
    the length of the vector sum of the sector DPs, each pointing where the sand goes (the sector's
    direction + 180°), RDD its direction.

    Parameters
    ----------
    record : xarray.Dataset
        ``wind_speed`` (m/s), ``wind_direction`` (degrees from north, where the wind blows from) and
        ``duration_h`` along ``time``, as :func:`steppe_geo.io.read_station_record` returns.
    threshold_kn : float
        Impact threshold Vt (knots at 10 m), default 12.
    roughness_m : float
        Roughness length z0 (m) for the log-law conversion to 10 m (:data:`DEFAULT_ROUGHNESS_M`).
    reference_height_m : float, optional
        Height of the speeds (m); default the record's ``wind_height_m`` attribute.
    sectors : int
        Direction sectors (16, as Fryberger & Dean).

    Returns
    -------
    DriftPotential

    Raises
    ------
    MissingLayerError
        The record has no ``wind_speed`` / ``wind_direction`` / ``duration_h``.
    InvalidParameterError
        Negative speeds, directions outside 0–360, no height, a threshold ≤ 0, sectors < 4.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> rec = xr.Dataset({"wind_speed": ("time", [20 * KNOT_M_S]), "wind_direction": ("time", [270.0]),
    ...                   "duration_h": ("time", [1.0])}, attrs={"wind_height_m": 10.0})
    >>> d = drift_potential(rec)  # 20² × (20 − 12) / 100 × 100 % = 3200 VU, from the west → east
    >>> round(d.dp, 6), round(d.rdd_deg, 6), d.energy_class
    (3200.0, 90.0, 'high')
    """
    missing = [k for k in ("wind_speed", "wind_direction", "duration_h") if k not in record]
    if missing:
        raise MissingLayerError(
            f"record: no {missing[0]!r} variable; it has {', '.join(map(str, record.data_vars))}"
        )
    height = reference_height_m if reference_height_m is not None else record.attrs.get("wind_height_m")
    if height is None:
        raise InvalidParameterError(
            "reference_height_m: the record has no wind_height_m attribute; give reference_height_m=")
    _check_options(threshold_kn, sectors)
    speed = speed_at_10m(record["wind_speed"].values, reference_height_m=float(height),
                         roughness_m=roughness_m)
    direction = np.asarray(record["wind_direction"].values, dtype=np.float64)
    _check_directions(direction, "record wind_direction")
    hours = np.asarray(record["duration_h"].values, dtype=np.float64)
    sectors_dp = _drift_kernel(speed / KNOT_M_S, direction, hours, threshold_kn=threshold_kn, sectors=sectors)
    dp, rdp, rdd = _resultant(sectors_dp, sectors)
    valid = np.isfinite(speed) & np.isfinite(direction)
    return DriftPotential(tuple(float(x) for x in sectors_dp), float(dp), float(rdp), float(rdd),
                          float(threshold_kn), float(height), float(roughness_m), float(hours[valid].sum()))


def _check_options(threshold_kn: float, sectors: int) -> None:
    check_number(threshold_kn, param="threshold_kn")
    if threshold_kn <= 0:
        raise InvalidParameterError(f"threshold_kn must be > 0 knots, got {threshold_kn}")
    if not isinstance(sectors, int) or sectors < 4:
        raise InvalidParameterError(f"sectors must be an integer ≥ 4, got {sectors!r}")


def drift_potential_grid(
    speed: xr.DataArray,
    direction: xr.DataArray,
    *,
    reference_height_m: float,
    hours: Any = None,
    threshold_kn: float = THRESHOLD_KN,
    roughness_m: float = DEFAULT_ROUGHNESS_M,
    sectors: int = SECTORS,
    row_azimuth_deg: float = 90.0,
) -> xr.Dataset:
    """Drift potential of every pixel of a gridded wind record (``(time, y, x)`` stacks).

    Parameters
    ----------
    speed, direction : xarray.DataArray
        ``(time, y, x)`` (or ``(band, y, x)``) wind speed in m/s at ``reference_height_m`` and direction in
        degrees from north (where the wind blows from), on one grid, e.g. from
        :func:`steppe_geo.io.read_raster_stack`.
    reference_height_m : float
        Height of the speeds above ground (m).
    hours : float or (time,) array, optional
        Duration of each record (h); default inferred from the ``time`` coordinate
        (:func:`steppe_geo.io.record_durations`); required for ``band`` stacks.
    threshold_kn, roughness_m, sectors
        As :func:`drift_potential`.
    row_azimuth_deg : float
        Azimuth of the rows for ``dp_across_rows`` (90 = east–west PV rows).

    Returns
    -------
    xarray.Dataset
        ``dp``, ``rdp`` (VU), ``rdd_deg`` (towards, clockwise from north), ``rdp_dp``,
        ``dp_across_rows`` (VU, :func:`drift_across_rows`) and
        ``energy_class`` (1 low, 2 intermediate, 3 high; 0 = no data) on the grid (rioxarray CRS), and
        ``dp_sector`` ``(sector, y, x)``.

    Raises
    ------
    InvalidParameterError
        Stacks of different shapes, negative speeds, directions outside 0–360, missing ``hours``.
    """
    check_dataarray(speed, param="speed")
    check_dataarray(direction, param="direction")
    if speed.shape != direction.shape or speed.ndim != 3:
        raise InvalidParameterError(
            f"speed and direction must be (time, y, x) stacks of one shape, got {speed.shape} and "
            f"{direction.shape}"
        )
    _check_options(threshold_kn, sectors)
    if hours is None:
        if "time" not in speed.coords:
            raise InvalidParameterError("hours: the stacks have no time coordinate; give each record's hours")
        hours = record_durations(speed["time"].values)[0]
    h = np.broadcast_to(np.asarray(hours, dtype=np.float64), (speed.shape[0],))
    if (h <= 0).any() or not np.isfinite(h).all():
        raise InvalidParameterError(f"hours must be > 0 for every record, got {float(h.min()):g}")
    v = speed_at_10m(speed.values, reference_height_m=reference_height_m, roughness_m=roughness_m)
    d = np.asarray(direction.values, dtype=np.float64)
    _check_directions(d, "direction")
    sec = _drift_kernel(v / KNOT_M_S, d, np.array(h), threshold_kn=threshold_kn, sectors=sectors)
    dp, rdp, rdd = _resultant(sec, sectors)
    ref = speed.isel({speed.dims[0]: 0}, drop=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(dp > 0, rdp / dp, np.nan)
    attrs = {"threshold_kn": float(threshold_kn), "reference_height_m": float(reference_height_m),
             "roughness_m": float(roughness_m)}
    out = xr.Dataset({
        "dp": wrap_like(ref, dp, name="dp", units="VU", attrs=attrs),
        "rdp": wrap_like(ref, rdp, name="rdp", units="VU", attrs=attrs),
        "rdd_deg": wrap_like(ref, rdd, name="rdd_deg", units="degree", attrs={"direction": "towards"}),
        "rdp_dp": wrap_like(ref, ratio, name="rdp_dp", units="1"),
        "dp_across_rows": wrap_like(ref, drift_across_rows(sec, row_azimuth_deg=row_azimuth_deg),
                                    name="dp_across_rows", units="VU",
                                    attrs={"row_azimuth_deg": float(row_azimuth_deg)}),
        "energy_class": wrap_like(ref, classify_drift_energy(dp).astype(np.uint8), name="energy_class",
                                  units="class"),
    })
    out["dp_sector"] = xr.DataArray(sec, dims=("sector", "y", "x"),
                                    coords={"sector": np.arange(sectors) * 360.0 / sectors,
                                            "y": ref["y"], "x": ref["x"]}, attrs={"units": "VU"})
    return out


def windy_share(speed: Any, hours: Any, *, threshold_m_s: float = MOBILITY_SPEED_M_S) -> np.ndarray:
    """W: percent of the record time with wind above ``threshold_m_s`` (records weighted by duration).

    Parameters
    ----------
    speed : (time, ...) array-like
        Wind speed in m/s (at the height the threshold refers to: 10 m for Lancaster's 4.5 m/s).
    hours : (time,) array-like
        Duration of each record (h).

    Examples
    --------
    >>> float(windy_share([3.0, 5.0, 6.0, float("nan")], [1.0, 1.0, 2.0, 1.0]))  # (1 + 2) / 4 h
    75.0
    """
    v = _speeds(speed, "speed")
    h = np.asarray(hours, dtype=np.float64).reshape((-1,) + (1,) * (v.ndim - 1))
    valid = np.isfinite(v)
    total = np.where(valid, h, 0.0).sum(axis=0)
    above = np.where(valid & (v > threshold_m_s), h, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 100.0 * above / total, np.nan)


def dune_mobility_index(windy_percent: Any, precipitation_mm: Any, pet_mm: Any) -> Any:
    """Lancaster's dune mobility index ``M = W / (P / PE)``.

    Parameters
    ----------
    windy_percent : float, ndarray or DataArray
        W, percent of time with wind above 4.5 m/s (:func:`windy_share`).
    precipitation_mm, pet_mm : float, ndarray or DataArray
        Annual precipitation P and potential evapotranspiration PE (mm/yr, same period), > 0.

    Returns
    -------
    float, ndarray or DataArray
        M (dimensionless); a DataArray keeps the grid of the first DataArray argument.

    Raises
    ------
    InvalidParameterError
        P or PE ≤ 0, W outside 0–100.

    Examples
    --------
    >>> round(float(dune_mobility_index(30.0, 200.0, 1000.0)), 6)  # 30 / 0.2
    150.0
    """
    arrays = [a for a in (windy_percent, precipitation_mm, pet_mm) if isinstance(a, xr.DataArray)]
    w, p, pe = (np.asarray(getattr(a, "values", a), dtype=np.float64) for a in
                (windy_percent, precipitation_mm, pet_mm))
    for name, arr in (("precipitation_mm", p), ("pet_mm", pe)):
        if (arr[np.isfinite(arr)] <= 0).any():
            raise InvalidParameterError(f"{name} must be > 0 mm, got {np.nanmin(arr):g}")
    if ((w[np.isfinite(w)] < 0) | (w[np.isfinite(w)] > 100)).any():
        raise InvalidParameterError(
            f"windy_percent must be within 0–100 %, got {np.nanmin(w):g}–{np.nanmax(w):g}")
    m = w / (p / pe)
    if arrays:
        return wrap_like(arrays[0], np.asarray(m, dtype=np.float64), name="dune_mobility", units="1")
    return float(m) if np.ndim(m) == 0 else m


def classify_dune_mobility(m: Any) -> np.ndarray:
    """Lancaster class code of mobility indices (1 inactive < 50 ≤ 2 < 100 ≤ 3 < 200 ≤ 4; 0 = NaN).

    Examples
    --------
    >>> classify_dune_mobility([10, 50, 99, 150, 200, float("nan")]).tolist()
    [1, 2, 2, 3, 4, 0]
    """
    d = np.asarray(getattr(m, "values", m), dtype=np.float64)
    return np.where(np.isfinite(d), np.digitize(d, [50.0, 100.0, 200.0]) + 1, 0).astype(np.int64)

