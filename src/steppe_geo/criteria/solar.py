"""Solar PV resource: plane-of-array gain, specific yield (kWh/kWp/yr) and capacity factor.

The model is the monthly-average method of Duffie & Beckman (*Solar Engineering of Thermal
Processes*, 4th ed. 2013, §1.10, §2.12 and §2.19; Klein 1977; Erbs, Klein & Duffie 1982),
evaluated for each of the 12 months on Klein's mean day of the month:

1. Extraterrestrial irradiation on a horizontal plane, closed form (D&B eq. 1.10.3):
   ``H0 = (24 / π) Gsc E0 (cos φ cos δ sin ωs + ωs sin φ sin δ)`` per day, times the days of the
   month; Gsc = 1361 W/m² (Kopp & Lean 2011), Cooper declination
   ``δ = 23.45° sin(360° (284 + n) / 365)``, eccentricity ``E0 = 1 + 0.033 cos(360° n / 365)``,
   sunset hour angle ``ωs = arccos(−tan φ tan δ)``.
2. Monthly-mean clearness ``K̄T = GHI / ΣH0`` — the annual GHI is the only input, so every
   month is given the annual clearness index (an assumption; regional contrasts in K̄T are kept).
3. Monthly-mean diffuse fraction by the Erbs et al. (1982) monthly-average correlation
   (D&B eq. 2.12.1), fitted for 0.3 ≤ K̄T ≤ 0.8 (K̄T is clipped to that range for this step):
   ``H̄d/H̄ = 1.391 − 3.560 K̄T + 4.189 K̄T² − 2.137 K̄T³`` for ωs ≤ 81.4°,
   ``1.311 − 3.022 K̄T + 3.427 K̄T² − 1.821 K̄T³`` for ωs > 81.4°. (The *hourly* Erbs
   correlation must not be applied to a monthly or annual mean: it gives far too much diffuse
   light, ~6 % too little yield and damped tilt gains.)
4. Isotropic-sky transposition of monthly means (Liu & Jordan 1963, Klein 1977; D&B eq. 2.19.1):
   ``H̄T = H̄ [(1 − H̄d/H̄) R̄b + H̄d/H̄ (1 + cos β)/2 + ρg (1 − cos β)/2]``, where ``R̄b`` is the
   ratio of extraterrestrial beam on the plane to that on the horizontal over the mean day,
   integrated in closed form over the hours when the sun is above the horizon and in front of the
   plane, for any azimuth (see :func:`_monthly_geometry`). For an equator-facing plane it equals
   Klein's formula (D&B eq. 2.19.3).
5. Specific yield ``Y = ΣH̄T × PR / (1 kW/m²)`` kWh/kWp/yr, PR = 0.80 by default; capacity
   factor ``Y / 8760``.

Per pixel (halo :data:`HALO` = 0).
"""

from __future__ import annotations

from typing import overload

import numpy as np
import xarray as xr

from steppe_geo._typing import RasterOrNumber
from steppe_geo._validation import check_range
from steppe_geo.criteria.wind_resource import _check_positive_values, _first_raster, _out, _values
from steppe_geo.errors import InvalidParameterError

__all__ = [
    "HALO",
    "KLEIN_MEAN_DAYS",
    "erbs_diffuse_fraction",
    "erbs_monthly_diffuse_fraction",
    "poa_gain",
    "solar_capacity_factor",
    "specific_yield",
]

HALO = 0
SOLAR_CONSTANT = 1361.0  # W/m², Kopp & Lean (2011)
KLEIN_MEAN_DAYS = np.array([17, 47, 75, 105, 135, 162, 198, 228, 258, 288, 318, 344], dtype=float)
"""Day of the year whose declination is closest to the monthly mean (Klein 1977; D&B Table 1.6.1)."""
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)


def erbs_diffuse_fraction(kt: np.ndarray | float) -> np.ndarray:
    """Hourly diffuse fraction from the hourly clearness index (Erbs et al. 1982).

    Only valid for hourly values; :func:`poa_gain` uses :func:`erbs_monthly_diffuse_fraction`.

    Parameters
    ----------
    kt : float or ndarray
        Hourly clearness index (GHI / extraterrestrial horizontal irradiance), 0..1.

    Returns
    -------
    ndarray
        Diffuse fraction of the hourly global irradiance.
    """
    kt = np.asarray(kt, dtype=float)
    mid = 0.9511 - 0.1604 * kt + 4.388 * kt**2 - 16.638 * kt**3 + 12.336 * kt**4
    return np.where(kt <= 0.22, 1.0 - 0.09 * kt, np.where(kt <= 0.8, mid, 0.165))


def erbs_monthly_diffuse_fraction(kt_mean: np.ndarray | float,
                                  sunset_hour_angle_deg: np.ndarray | float) -> np.ndarray:
    """Monthly-mean diffuse fraction ``H̄d/H̄`` (Erbs, Klein & Duffie 1982; D&B eq. 2.12.1).

    Parameters
    ----------
    kt_mean : float or ndarray
        Monthly-mean clearness index K̄T; clipped to 0.3..0.8, the range of the fit.
    sunset_hour_angle_deg : float or ndarray
        Sunset hour angle ωs of the mean day of the month in degrees (selects the branch:
        ωs ≤ 81.4° or > 81.4°).

    Returns
    -------
    ndarray
        Diffuse fraction of the monthly global horizontal irradiation.

    Examples
    --------
    >>> round(float(erbs_monthly_diffuse_fraction(0.5, 70.0)), 6)
    0.391125
    """
    k = np.clip(np.asarray(kt_mean, dtype=float), 0.3, 0.8)
    winter = 1.391 - 3.560 * k + 4.189 * k**2 - 2.137 * k**3
    summer = 1.311 - 3.022 * k + 3.427 * k**2 - 1.821 * k**3
    out: np.ndarray = np.where(np.asarray(sunset_hour_angle_deg) <= 81.4, winter, summer)
    return out


def _mean_days() -> tuple[np.ndarray, np.ndarray]:
    """Declination (rad) and eccentricity factor of Klein's 12 mean days."""
    n = KLEIN_MEAN_DAYS
    decl = np.radians(23.45 * np.sin(np.radians(360.0 * (284.0 + n) / 365.0)))
    e0 = 1.0 + 0.033 * np.cos(np.radians(360.0 * n / 365.0))
    return decl, e0


def _arc_integral(c0: np.ndarray, p: np.ndarray, q: np.ndarray, lo: np.ndarray,
                  hi: np.ndarray) -> np.ndarray:
    """∫ (c0 + p cos ω + q sin ω) dω from lo to hi (0 where hi <= lo)."""
    hi = np.maximum(hi, lo)
    out: np.ndarray = c0 * (hi - lo) + p * (np.sin(hi) - np.sin(lo)) - q * (np.cos(hi) - np.cos(lo))
    return out


def _monthly_geometry(lat: np.ndarray, tilt: np.ndarray,
                      azim: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel and month: H0 (kWh/m² per month), sunset hour angle (deg) and R̄b; (px, 12).

    The cosine of incidence on a plane of tilt β and azimuth γ (D&B eq. 1.6.2) is, in the hour
    angle ω, ``cos θ = c0 + p cos ω + q sin ω`` with ``c0 = sin δ (sin φ cos β + cos φ sin β cos γ)``,
    ``p = cos δ (cos φ cos β − sin φ sin β cos γ)``, ``q = −cos δ sin β sin γ`` (γ clockwise from
    north). It is positive on the arc ``|ω − α| < arccos(−c0 / r)``, ``r = √(p² + q²)``,
    ``α = atan2(q, p)``; the beam on the plane over the mean day is the exact integral of cos θ over
    that arc intersected with the daylight ``|ω| < ωs``, and R̄b is its ratio to the horizontal
    ``2 (ωs sin φ sin δ + cos φ cos δ sin ωs)``.
    """
    decl, e0 = _mean_days()
    phi = np.radians(lat)[:, None]
    d = decl[None, :]
    ws = np.arccos(np.clip(-np.tan(phi) * np.tan(d), -1.0, 1.0))
    horiz = 2.0 * (ws * np.sin(phi) * np.sin(d) + np.cos(phi) * np.cos(d) * np.sin(ws))
    h0 = (12.0 / np.pi) * SOLAR_CONSTANT / 1000.0 * e0 * horiz * DAYS_IN_MONTH
    beta = np.radians(tilt)[:, None]
    gam = np.radians(azim)[:, None]
    c0 = np.sin(d) * (np.sin(phi) * np.cos(beta) + np.cos(phi) * np.sin(beta) * np.cos(gam))
    p = np.cos(d) * (np.cos(phi) * np.cos(beta) - np.sin(phi) * np.sin(beta) * np.cos(gam))
    q = -np.cos(d) * np.sin(beta) * np.sin(gam)
    r = np.hypot(p, q)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = np.where(r > np.abs(c0), np.arccos(np.clip(-c0 / r, -1.0, 1.0)),
                        np.where(c0 > 0, np.pi, 0.0))  # in front all day / never
    alpha = np.arctan2(q, p)
    tilted = np.zeros_like(horiz)
    for shift in (-2.0 * np.pi, 0.0, 2.0 * np.pi):  # the arc may wrap around ±π
        lo = np.maximum(alpha + shift - half, -ws)
        hi = np.minimum(alpha + shift + half, ws)
        tilted += _arc_integral(c0, p, q, lo, hi)
    all_day = half >= np.pi  # the whole daylight (the three copies would overlap)
    tilted = np.where(all_day, _arc_integral(c0, p, q, -ws, ws), tilted)
    rb = np.where(np.broadcast_to(tilt[:, None] == 0, horiz.shape), 1.0, tilted / horiz)
    return h0, np.degrees(ws), rb


def _poa_kernel(ghi: np.ndarray, lat: np.ndarray, tilt: np.ndarray, azim: np.ndarray,
                albedo: float) -> np.ndarray:
    """Annual plane-of-array irradiation (kWh/m²/yr) by the monthly method; NaN propagates."""
    shape = np.broadcast_shapes(np.shape(ghi), np.shape(lat), np.shape(tilt), np.shape(azim))
    ghi, lat, tilt, azim = (np.broadcast_to(np.asarray(v, float), shape).ravel()
                            for v in (ghi, lat, tilt, azim))
    # on a horizontal plane the azimuth is irrelevant: terrain aspect is NaN where flat
    azim = np.where(tilt == 0, 0.0, azim)
    finite = np.isfinite(ghi) & np.isfinite(lat) & np.isfinite(tilt) & np.isfinite(azim)
    out = np.full(ghi.shape, np.nan)
    if finite.any():
        g, t = ghi[finite], tilt[finite]
        h0, ws_deg, rb = _monthly_geometry(lat[finite], t, azim[finite])
        kt = g / h0.sum(axis=1)
        if (kt > 1).any():
            i = int(np.argmax(kt))
            raise InvalidParameterError(
                f"ghi_kwh_m2_yr exceeds the extraterrestrial irradiation at its latitude: got {g[i]:g} "
                f"kWh/m²/yr at latitude {lat[finite][i]:g}° (at most {h0.sum(axis=1)[i]:.0f})")
        fd = erbs_monthly_diffuse_fraction(kt[:, None], ws_deg)
        b = np.radians(t)[:, None]
        h_month = kt[:, None] * h0
        poa = h_month * ((1 - fd) * rb + fd * (1 + np.cos(b)) / 2 + albedo * (1 - np.cos(b)) / 2)
        out[finite] = poa.sum(axis=1)
    return out.reshape(shape)


def _lat_tilt_az(latitude_deg: RasterOrNumber, tilt_deg: RasterOrNumber | None,
                 azimuth_deg: RasterOrNumber | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lat = np.asarray(_values(latitude_deg, "latitude_deg"))
    if (np.abs(lat[np.isfinite(lat)]) > 66).any():
        raise InvalidParameterError(
            f"latitude_deg must be within [-66, 66] for this model (polar day/night), got "
            f"{np.nanmin(lat):g}..{np.nanmax(lat):g}")
    tilt = np.abs(lat) if tilt_deg is None else np.asarray(_values(tilt_deg, "tilt_deg"))
    if (np.isfinite(tilt) & ((tilt < 0) | (tilt > 90))).any():
        raise InvalidParameterError(
            f"tilt_deg must be within [0, 90], got {np.nanmin(tilt):g}..{np.nanmax(tilt):g}")
    if azimuth_deg is None:
        az = np.where(lat >= 0, 180.0, 0.0)
    else:
        az = np.asarray(_values(azimuth_deg, "azimuth_deg"))
    return lat, tilt, az


@overload
def poa_gain(ghi_kwh_m2_yr: xr.DataArray, *, latitude_deg: RasterOrNumber,
             tilt_deg: RasterOrNumber | None = ..., azimuth_deg: RasterOrNumber | None = ...,
             albedo: float = ...) -> xr.DataArray: ...


@overload
def poa_gain(ghi_kwh_m2_yr: float, *, latitude_deg: xr.DataArray, tilt_deg: RasterOrNumber | None = ...,
             azimuth_deg: RasterOrNumber | None = ..., albedo: float = ...) -> xr.DataArray: ...


@overload
def poa_gain(ghi_kwh_m2_yr: float, *, latitude_deg: float, tilt_deg: xr.DataArray,
             azimuth_deg: RasterOrNumber | None = ..., albedo: float = ...) -> xr.DataArray: ...


@overload
def poa_gain(ghi_kwh_m2_yr: float, *, latitude_deg: float, tilt_deg: float | None = ...,
             azimuth_deg: xr.DataArray, albedo: float = ...) -> xr.DataArray: ...


@overload
def poa_gain(ghi_kwh_m2_yr: float, *, latitude_deg: float, tilt_deg: float | None = ...,
             azimuth_deg: float | None = ..., albedo: float = ...) -> float: ...


def poa_gain(ghi_kwh_m2_yr: RasterOrNumber, *, latitude_deg: RasterOrNumber,
             tilt_deg: RasterOrNumber | None = None, azimuth_deg: RasterOrNumber | None = None,
             albedo: float = 0.2) -> RasterOrNumber:
    """Ratio of annual plane-of-array to horizontal irradiation (see the module's model).

    Parameters
    ----------
    ghi_kwh_m2_yr : DataArray or float
        Annual global horizontal irradiation, kWh/m²/yr (> 0; NaN = nodata).
    latitude_deg : DataArray or float
        Latitude in degrees (north positive), within [-66, 66].
    tilt_deg : DataArray or float, optional
        Module tilt from horizontal in degrees; default = the absolute latitude (a common fixed-tilt
        rule). Pass terrain slope for a ground-parallel plane.
    azimuth_deg : DataArray or float, optional
        Direction the modules face, degrees clockwise from north; default equator-facing.
        Pass terrain aspect for a ground-parallel plane (NaN aspect on flat ground is fine: the
        azimuth of a horizontal plane does not matter).
    albedo : float, default 0.2
        Ground reflectance.

    Returns
    -------
    DataArray or float
        ``poa_gain`` (ratio), a DataArray when any input is one.

    Raises
    ------
    InvalidParameterError
        For GHI <= 0 or above the extraterrestrial irradiation, tilt outside [0, 90], absolute
        latitude > 66 or albedo outside [0, 1].
    GridMismatchError
        If raster inputs are on different grids.

    Examples
    --------
    >>> round(poa_gain(1600.0, latitude_deg=41.0, tilt_deg=0.0), 6)
    1.0
    >>> round(poa_gain(1600.0, latitude_deg=41.0, tilt_deg=35.0, azimuth_deg=180.0), 3)
    1.162
    """
    return _poa_gain(ghi_kwh_m2_yr, latitude_deg, tilt_deg, azimuth_deg, albedo)


def _poa_gain(ghi_kwh_m2_yr: RasterOrNumber, latitude_deg: RasterOrNumber, tilt_deg: RasterOrNumber | None,
              azimuth_deg: RasterOrNumber | None, albedo: float) -> RasterOrNumber:
    """:func:`poa_gain` for arguments of either kind (a DataArray when one of them is)."""
    check_range(albedo, param="albedo", low=0.0, high=1.0)
    ref = _first_raster({"ghi": ghi_kwh_m2_yr, "latitude_deg": latitude_deg, "tilt_deg": tilt_deg,
                         "azimuth_deg": azimuth_deg})
    ghi = np.asarray(_check_positive_values(ghi_kwh_m2_yr, "ghi_kwh_m2_yr"))
    lat, tilt, az = _lat_tilt_az(latitude_deg, tilt_deg, azimuth_deg)
    gain = _poa_kernel(ghi, lat, tilt, az, albedo) / ghi
    return _out(ref, gain, name="poa_gain", units="1")


@overload
def specific_yield(ghi_kwh_m2_yr: xr.DataArray, *, latitude_deg: RasterOrNumber,
                   tilt_deg: RasterOrNumber | None = ..., azimuth_deg: RasterOrNumber | None = ...,
                   performance_ratio: float = ..., albedo: float = ...) -> xr.DataArray: ...


@overload
def specific_yield(ghi_kwh_m2_yr: float, *, latitude_deg: xr.DataArray,
                   tilt_deg: RasterOrNumber | None = ..., azimuth_deg: RasterOrNumber | None = ...,
                   performance_ratio: float = ..., albedo: float = ...) -> xr.DataArray: ...


@overload
def specific_yield(ghi_kwh_m2_yr: float, *, latitude_deg: float, tilt_deg: xr.DataArray,
                   azimuth_deg: RasterOrNumber | None = ..., performance_ratio: float = ...,
                   albedo: float = ...) -> xr.DataArray: ...


@overload
def specific_yield(ghi_kwh_m2_yr: float, *, latitude_deg: float, tilt_deg: float | None = ...,
                   azimuth_deg: xr.DataArray, performance_ratio: float = ...,
                   albedo: float = ...) -> xr.DataArray: ...


@overload
def specific_yield(ghi_kwh_m2_yr: float, *, latitude_deg: float, tilt_deg: float | None = ...,
                   azimuth_deg: float | None = ..., performance_ratio: float = ...,
                   albedo: float = ...) -> float: ...


def specific_yield(ghi_kwh_m2_yr: RasterOrNumber, *, latitude_deg: RasterOrNumber,
                   tilt_deg: RasterOrNumber | None = None,
                   azimuth_deg: RasterOrNumber | None = None,
                   performance_ratio: float = 0.80, albedo: float = 0.2) -> RasterOrNumber:
    """Specific PV yield in kWh/kWp/yr: ``POA × PR / (1 kW/m²)``.

    For ground-mounted arrays on sloping terrain pass the terrain slope/aspect as
    ``tilt_deg``/``azimuth_deg`` to get the ground-parallel plane, or compare against a flat
    site to obtain the terrain effect.

    Parameters
    ----------
    ghi_kwh_m2_yr : DataArray or float
        Annual global horizontal irradiation, kWh/m²/yr (> 0; NaN = nodata).
    latitude_deg : DataArray or float
        Latitude in degrees, within [-66, 66].
    tilt_deg : DataArray or float, optional
        Plane tilt in degrees (default: absolute latitude), e.g. ``slope(dem)``.
    azimuth_deg : DataArray or float, optional
        Plane azimuth clockwise from north (default: equator-facing), e.g. ``aspect(dem)``.
    performance_ratio : float, default 0.80
        All system losses (temperature, soiling, inverter, wiring, availability), in (0, 1].
    albedo : float, default 0.2
        Ground reflectance.

    Returns
    -------
    DataArray or float
        ``specific_yield`` in kWh kWp-1 yr-1 (DC).

    Raises
    ------
    InvalidParameterError
        For PR outside (0, 1], GHI <= 0, tilt outside [0, 90] or the absolute latitude > 66.

    Examples
    --------
    Horizontal modules at 41° N, 1600 kWh/m²/yr: ``1600 × 0.8``; tilted at 35° to the south:

    >>> round(specific_yield(1600.0, latitude_deg=41.0, tilt_deg=0.0))
    1280
    >>> round(specific_yield(1600.0, latitude_deg=41.0, tilt_deg=35.0, azimuth_deg=180.0))
    1487
    """
    check_range(performance_ratio, param="performance_ratio", low=1e-9, high=1.0)
    gain = _poa_gain(ghi_kwh_m2_yr, latitude_deg, tilt_deg, azimuth_deg, albedo)
    ghi = _values(ghi_kwh_m2_yr, "ghi_kwh_m2_yr")
    y = ghi * (gain.values if isinstance(gain, xr.DataArray) else gain) * performance_ratio
    ref = gain if isinstance(gain, xr.DataArray) else None
    return _out(ref, y, name="specific_yield", units="kWh kWp-1 yr-1",
                attrs={"performance_ratio": performance_ratio,
                       "model": "monthly Erbs (1982) diffuse fraction, isotropic sky (Klein 1977)"})


@overload
def solar_capacity_factor(yield_kwh_kwp_yr: xr.DataArray) -> xr.DataArray: ...


@overload
def solar_capacity_factor(yield_kwh_kwp_yr: float) -> float: ...


def solar_capacity_factor(yield_kwh_kwp_yr: RasterOrNumber) -> RasterOrNumber:
    """PV capacity factor (DC) = specific yield / 8760 h.

    Parameters
    ----------
    yield_kwh_kwp_yr : DataArray or float
        Specific yield from :func:`specific_yield`.

    Returns
    -------
    DataArray or float
        ``capacity_factor`` (fraction, DC basis).

    Examples
    --------
    >>> solar_capacity_factor(1752.0)
    0.2
    """
    if isinstance(yield_kwh_kwp_yr, xr.DataArray):
        out = yield_kwh_kwp_yr / 8760.0
        out.name = "capacity_factor"
        out.attrs = {"units": "1", "basis": "DC"}
        return out
    return float(yield_kwh_kwp_yr) / 8760.0
