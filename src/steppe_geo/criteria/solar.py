"""Solar PV resource: plane-of-array gain, specific yield (kWh/kWp/yr) and capacity factor.

Model (stated so that results can be checked):

1. Annual-mean clearness index ``Kt = GHI / H0``, H0 the annual extraterrestrial irradiation on a
   horizontal plane at the pixel's latitude (solar constant 1361 W/m², Cooper declination,
   eccentricity ``1 + 0.033 cos(360 n / 365)``; numerical sum over 24 days × 15-min steps).
2. Diffuse fraction ``Fd`` from Kt by the Erbs, Klein & Duffie (1982) correlation, applied to
   the annual mean (an approximation: fine for relative comparison across a region).
3. Isotropic-sky transposition (Liu & Jordan 1963):
   ``POA = GHI [(1 - Fd) Rb + Fd (1 + cos b)/2 + albedo (1 - cos b)/2]``, with ``Rb`` the ratio
   of annual extraterrestrial beam on the tilted plane to that on the horizontal.
4. Specific yield ``Y = POA × PR / (1 kW/m²)`` kWh/kWp/yr, PR = 0.80 by default;
   capacity factor ``Y / 8760``.

Per pixel (halo :data:`HALO` = 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from steppe_geo._validation import check_range
from steppe_geo.criteria.wind import _first_raster, _out, _values
from steppe_geo.errors import InvalidParameterError

__all__ = ["HALO", "erbs_diffuse_fraction", "poa_gain", "solar_capacity_factor", "specific_yield"]

HALO = 0
SOLAR_CONSTANT = 1361.0  # W/m², Kopp & Lean (2011)
_DAYS = np.arange(8, 366, 15.0)  # 24 sample days
_OMEGA = np.radians(np.arange(-180 + 3.75, 180, 7.5) / 1.0)  # hour angle every 30 min, centred
_DT_H = 0.5
_BLOCK = 20_000


def erbs_diffuse_fraction(kt: np.ndarray | float) -> np.ndarray:
    """Diffuse fraction of global irradiance from the clearness index (Erbs et al. 1982)."""
    kt = np.asarray(kt, dtype=float)
    mid = 0.9511 - 0.1604 * kt + 4.388 * kt**2 - 16.638 * kt**3 + 12.336 * kt**4
    return np.where(kt <= 0.22, 1.0 - 0.09 * kt, np.where(kt <= 0.8, mid, 0.165))


def _sun(lat_rad: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """East, north, up components of the sun vector and eccentricity, shape (px, days*hours)."""
    decl = np.radians(23.45 * np.sin(np.radians(360.0 * (284.0 + _DAYS) / 365.0)))
    e0 = 1.0 + 0.033 * np.cos(np.radians(360.0 * _DAYS / 365.0))
    d, w = np.meshgrid(decl, _OMEGA, indexing="ij")
    e0 = np.broadcast_to(e0[:, None], d.shape).ravel()
    d, w = d.ravel(), w.ravel()
    phi = lat_rad[:, None]
    east = -np.cos(d) * np.sin(w)
    north = np.cos(phi) * np.sin(d) - np.sin(phi) * np.cos(d) * np.cos(w)
    up = np.sin(phi) * np.sin(d) + np.cos(phi) * np.cos(d) * np.cos(w)
    return np.broadcast_to(east, up.shape), north, up, e0


def _h0_and_rb(lat: np.ndarray, tilt: np.ndarray, azim: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Annual extraterrestrial horizontal irradiation (kWh/m²) and tilted/horizontal ratio."""
    h0 = np.empty(lat.shape)
    rb = np.empty(lat.shape)
    for b0 in range(0, lat.size, _BLOCK):
        sl = slice(b0, b0 + _BLOCK)
        east, north, up, e0 = _sun(np.radians(lat[sl]))
        b, g = np.radians(tilt[sl])[:, None], np.radians(azim[sl])[:, None]
        cos_inc = np.sin(b) * np.sin(g) * east + np.sin(b) * np.cos(g) * north + np.cos(b) * up
        daylight = up > 0
        horiz = (e0 * np.where(daylight, up, 0.0)).sum(axis=1)
        tilted = (e0 * np.where(daylight & (cos_inc > 0), cos_inc, 0.0)).sum(axis=1)
        scale = SOLAR_CONSTANT * _DT_H / 1000.0 * 365.0 / _DAYS.size
        h0[sl] = horiz * scale
        with np.errstate(invalid="ignore", divide="ignore"):
            rb[sl] = tilted / horiz
    return h0, rb


def _poa_kernel(ghi: np.ndarray, lat: np.ndarray, tilt: np.ndarray, azim: np.ndarray,
                albedo: float) -> np.ndarray:
    shape = np.broadcast_shapes(np.shape(ghi), np.shape(lat), np.shape(tilt), np.shape(azim))
    ghi, lat, tilt, azim = (np.broadcast_to(np.asarray(a, float), shape).ravel()
                            for a in (ghi, lat, tilt, azim))
    finite = np.isfinite(ghi) & np.isfinite(lat) & np.isfinite(tilt) & np.isfinite(azim)
    out = np.full(ghi.shape, np.nan)
    if finite.any():
        h0, rb = _h0_and_rb(lat[finite], tilt[finite], azim[finite])
        kt = np.clip(ghi[finite] / h0, 0.0, 1.0)
        fd = erbs_diffuse_fraction(kt)
        b = np.radians(tilt[finite])
        gain = (1 - fd) * rb + fd * (1 + np.cos(b)) / 2 + albedo * (1 - np.cos(b)) / 2
        out[finite] = ghi[finite] * gain
    return out.reshape(shape)


def _lat_tilt_az(latitude_deg: Any, tilt_deg: Any, azimuth_deg: Any) -> tuple[Any, Any, Any]:
    lat = _values(latitude_deg, "latitude_deg")
    if (np.abs(np.asarray(lat)[np.isfinite(lat)]) > 66).any():
        raise InvalidParameterError("latitude_deg must be within [-66, 66] for this model (polar day/night)")
    tilt = np.abs(lat) if tilt_deg is None else _values(tilt_deg, "tilt_deg")
    t = np.asarray(tilt)
    if (np.isfinite(t) & ((t < 0) | (t > 90))).any():
        raise InvalidParameterError(
            f"tilt_deg must be within [0, 90], got {np.nanmin(t):g}..{np.nanmax(t):g}")
    if azimuth_deg is None:
        az = np.where(np.asarray(lat) >= 0, 180.0, 0.0)
    else:
        az = _values(azimuth_deg, "azimuth_deg")
    return lat, tilt, az


def poa_gain(ghi_kwh_m2_yr: xr.DataArray | float, *, latitude_deg: xr.DataArray | float,
             tilt_deg: xr.DataArray | float | None = None, azimuth_deg: xr.DataArray | float | None = None,
             albedo: float = 0.2) -> xr.DataArray | float:
    """Ratio of annual plane-of-array to horizontal irradiation (see the module's model).

    Parameters
    ----------
    ghi_kwh_m2_yr : DataArray or float
        Annual global horizontal irradiation, kWh/m²/yr.
    latitude_deg : DataArray or float
        Latitude in degrees (north positive), within [-66, 66].
    tilt_deg : DataArray or float, optional
        Module tilt from horizontal in degrees; default = the absolute latitude (a common fixed-tilt rule).
        Pass terrain slope for a ground-parallel plane.
    azimuth_deg : DataArray or float, optional
        Direction the modules face, degrees clockwise from north; default equator-facing.
        Pass terrain aspect for a ground-parallel plane.
    albedo : float, default 0.2
        Ground reflectance.

    Returns
    -------
    DataArray ``poa_gain`` (ratio) or float.
    """
    check_range(albedo, param="albedo", low=0.0, high=1.0)
    ref = _first_raster({"ghi": ghi_kwh_m2_yr, "latitude_deg": latitude_deg, "tilt_deg": tilt_deg,
                         "azimuth_deg": azimuth_deg})
    ghi = np.asarray(_values(ghi_kwh_m2_yr, "ghi_kwh_m2_yr"))
    lat, tilt, az = _lat_tilt_az(latitude_deg, tilt_deg, azimuth_deg)
    with np.errstate(invalid="ignore", divide="ignore"):
        gain = _poa_kernel(ghi, lat, tilt, az, albedo) / ghi
    return _out(ref, gain, name="poa_gain", units="1")


def specific_yield(ghi_kwh_m2_yr: xr.DataArray | float, *, latitude_deg: xr.DataArray | float,
                   tilt_deg: xr.DataArray | float | None = None,
                   azimuth_deg: xr.DataArray | float | None = None,
                   performance_ratio: float = 0.80, albedo: float = 0.2) -> xr.DataArray | float:
    """Specific PV yield in kWh/kWp/yr: ``POA × PR / (1 kW/m²)``.

    Parameters are those of :func:`poa_gain` plus ``performance_ratio`` (default 0.80, in
    (0, 1]): all system losses (temperature, soiling, inverter, wiring, availability).
    For ground-mounted arrays on sloping terrain pass the terrain slope/aspect as
    ``tilt_deg``/``azimuth_deg`` to get the ground-parallel plane, or compare against a flat
    site to obtain the terrain effect.

    Returns
    -------
    DataArray ``specific_yield`` in kWh kWp-1 yr-1 (DC), or a float.

    Raises
    ------
    InvalidParameterError
        For PR outside (0, 1], tilt outside [0, 90] or the absolute latitude > 66.
    """
    check_range(performance_ratio, param="performance_ratio", low=1e-9, high=1.0)
    gain = poa_gain(ghi_kwh_m2_yr, latitude_deg=latitude_deg, tilt_deg=tilt_deg,
                    azimuth_deg=azimuth_deg, albedo=albedo)
    ghi = _values(ghi_kwh_m2_yr, "ghi_kwh_m2_yr")
    y = ghi * (gain.values if isinstance(gain, xr.DataArray) else gain) * performance_ratio
    ref = gain if isinstance(gain, xr.DataArray) else None
    return _out(ref, y, name="specific_yield", units="kWh kWp-1 yr-1",
                attrs={"performance_ratio": performance_ratio, "model": "isotropic sky, Erbs"})


def solar_capacity_factor(yield_kwh_kwp_yr: xr.DataArray | float) -> xr.DataArray | float:
    """PV capacity factor (DC) = specific yield / 8760 h."""
    if isinstance(yield_kwh_kwp_yr, xr.DataArray):
        out = yield_kwh_kwp_yr / 8760.0
        out.name = "capacity_factor"
        out.attrs = {"units": "1", "basis": "DC"}
        return out
    return float(yield_kwh_kwp_yr) / 8760.0
