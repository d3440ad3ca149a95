"""Wind–solar complementarity from time series: capacity-factor profiles, hybrid output at a shared limit.

Profiles are in-memory series of equal, regular time steps (numpy arrays, pandas Series or
DataArrays with a ``time`` dimension); reading a record from a file is :mod:`steppe_geo.io`'s job.

- Wind: hub-height speed by the logarithmic profile from the measurement height (roughness
  ``z0``), capacity factor ``P(v_hub) / P_rated`` through the power curve.
- PV: the hourly chain of Duffie & Beckman (2013): solar position from Spencer's (1971)
  declination and equation of time (D&B eqs. 1.5.3, 1.6.1b) and the hour angle of local solar
  time; the hourly Erbs et al. (1982) diffuse fraction
  (:func:`~steppe_geo.criteria.solar.erbs_diffuse_fraction`);
  isotropic-sky transposition (Liu & Jordan 1963; D&B eq. 2.15.1); cell temperature by the
  Faiman (2008) model ``T_c = T_a + G_poa / (u0 + u1 ws)``; DC power
  ``G_poa / 1000 · (1 + γ (T_c − 25 °C))`` less system losses, clipped at the inverter (CF <= 1).
  Checked against pvlib (solar position SPA, ``erbs``, ``get_total_irradiance`` isotropic,
  ``temperature.faiman``) in the tests.
- Complementarity: Pearson correlation of the two CF series (as :func:`numpy.corrcoef`), and the
  hours with neither resource: steps where wind CF < ``wind_threshold`` *and* PV CF <
  ``solar_threshold`` (defaults 0.1 each — a tenth of rated output), times the step length.
- Hybrid at a shared export limit L (MW): ``delivered_t = min(L, W cf_w,t + S cf_s,t)``,
  curtailed the rest. For a fixed total capacity ``T = W + S`` the delivered energy is a concave,
  piecewise-linear function of the wind share ``s = W / T`` (a sum of minima of linear functions),
  so its maximum is at one of the breakpoints ``s_t = (L/T − cf_s,t) / (cf_w,t − cf_s,t)`` or at
  0 or 1: :func:`best_mix` finds it exactly by bisection on the sorted breakpoints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from steppe_geo._validation import check_number, check_positive, check_range
from steppe_geo.criteria.solar import SOLAR_CONSTANT, erbs_diffuse_fraction
from steppe_geo.criteria.wind_power import PowerCurve, _curve
from steppe_geo.errors import InvalidParameterError

__all__ = [
    "Complementarity",
    "HybridOutput",
    "best_mix",
    "complementarity_indicators",
    "faiman_cell_temperature",
    "hybrid_output",
    "pv_capacity_factor_series",
    "solar_position",
    "wind_capacity_factor_series",
]

SeriesLike = np.ndarray | pd.Series | xr.DataArray | Sequence[float]
HOURS_PER_YEAR = 8760.0


def _series(x: SeriesLike, param: str) -> np.ndarray:
    if isinstance(x, xr.DataArray):
        if x.ndim != 1:
            raise InvalidParameterError(f"{param} must be a 1-D time series, got dims {x.dims}")
        x = x.values
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidParameterError(f"{param} must be a non-empty 1-D series, got shape {arr.shape}")
    return arr


def _pair(a: SeriesLike, b: SeriesLike, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    x, y = _series(a, names[0]), _series(b, names[1])
    if x.shape != y.shape:
        raise InvalidParameterError(
            f"{names[0]} and {names[1]} must cover the same time steps, got {x.size} and {y.size} values")
    return x, y


def _check_cf(x: np.ndarray, param: str) -> None:
    bad = np.isfinite(x) & ((x < 0) | (x > 1 + 1e-9))
    if bad.any():
        raise InvalidParameterError(
            f"{param} must be capacity factors in [0, 1], got {x[bad][0]:g} at step {int(np.argmax(bad))}")


# --------------------------------------------------------------------------- wind
def wind_capacity_factor_series(speed_m_s: SeriesLike, *, curve: PowerCurve | str = "nrel_6mw_170",
                                height_m: float, hub_height_m: float, z0_m: float = 0.03) -> np.ndarray:
    """Wind capacity factor per time step: ``P(v ln(H/z0) / ln(h/z0)) / P_rated``.

    Parameters
    ----------
    speed_m_s : array-like
        Measured speed (m/s, >= 0; NaN kept) at ``height_m``.
    curve : PowerCurve or str, default "nrel_6mw_170"
        Turbine power curve.
    height_m, hub_height_m : float
        Measurement and hub height (m above ground, > z0).
    z0_m : float, default 0.03
        Roughness length (m); 0.03 is open grassland/steppe (Troen & Petersen 1989, class 1).

    Returns
    -------
    ndarray
        Capacity factor (0..1) per step; NaN where the speed is NaN.

    Raises
    ------
    InvalidParameterError
        For a negative speed or heights not above z0.

    Examples
    --------
    >>> wind_capacity_factor_series([0.0, 8.0], curve="nrel_6mw_170", height_m=120, hub_height_m=120).round(4)
    array([0.    , 0.5593])
    """
    pc = _curve(curve)
    v = _series(speed_m_s, "speed_m_s")
    if (v[np.isfinite(v)] < 0).any():
        raise InvalidParameterError(f"speed_m_s must be >= 0, got {np.nanmin(v):g}")
    z0 = check_positive(z0_m, param="z0_m")
    h = check_number(height_m, param="height_m")
    hub = check_number(hub_height_m, param="hub_height_m")
    if h <= z0 or hub <= z0:
        raise InvalidParameterError(
            f"height_m ({h:g}) and hub_height_m ({hub:g}) must be above the roughness length z0_m ({z0:g} m)")
    hub_speed = v * np.log(hub / z0) / np.log(h / z0)
    cf = pc.power(hub_speed) / pc.rated_kw
    return np.where(np.isnan(v), np.nan, cf)


# --------------------------------------------------------------------------- solar
def _times(times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(times)
    if idx.tz is None:
        raise InvalidParameterError(
            "times must be timezone-aware (e.g. times.tz_localize('Etc/GMT+7') for UTC−7 standard time); "
            "solar position needs the offset from UTC")
    return idx.tz_convert("UTC")


def solar_position(times: pd.DatetimeIndex, *, latitude: float, longitude: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Solar zenith and azimuth (°) at the given instants (Spencer 1971; Duffie & Beckman 2013 §1.6).

    Declination ``δ`` and equation of time ``E`` from Spencer's Fourier series in the fractional
    year ``B = 2π (n − 1 + (t_UTC − 12 h) / 24 h) / 365`` (as NOAA's solar calculator uses
    them); hour angle ``ω = 15° (t_UTC + λ/15° + E/60 − 12)``;
    ``cos θz = cos φ cos δ cos ω + sin φ sin δ``; azimuth clockwise from north.
    Within 0.35° of NREL's SPA over a year at 40.5° N (median 0.16°; pvlib's
    analytical Spencer functions, on the integer day, are within 0.45°); no refraction.

    Parameters
    ----------
    times : DatetimeIndex
        Timezone-aware instants.
    latitude, longitude : float
        Site position (°; east positive).

    Returns
    -------
    zenith_deg, azimuth_deg : ndarray
        Per instant.

    Raises
    ------
    InvalidParameterError
        For naive times or a latitude outside [−90, 90].
    """
    idx = _times(times)
    lat = np.radians(check_range(latitude, param="latitude", low=-90.0, high=90.0))
    lon = check_range(longitude, param="longitude", low=-180.0, high=180.0)
    doy = idx.day_of_year.to_numpy(float)
    hours = idx.hour.to_numpy(float) + idx.minute.to_numpy(float) / 60.0 + idx.second.to_numpy(float) / 3600.0
    b = 2.0 * np.pi * (doy - 1.0 + (hours - 12.0) / 24.0) / 365.0  # fractional year (NOAA)
    decl = (0.006918 - 0.399912 * np.cos(b) + 0.070257 * np.sin(b) - 0.006758 * np.cos(2 * b)
            + 0.000907 * np.sin(2 * b) - 0.002697 * np.cos(3 * b) + 0.00148 * np.sin(3 * b))
    eot_min = 229.2 * (0.000075 + 0.001868 * np.cos(b) - 0.032077 * np.sin(b)
                       - 0.014615 * np.cos(2 * b) - 0.04089 * np.sin(2 * b))
    omega = np.radians(15.0 * (hours + lon / 15.0 + eot_min / 60.0 - 12.0))
    cosz = np.clip(np.cos(lat) * np.cos(decl) * np.cos(omega) + np.sin(lat) * np.sin(decl), -1.0, 1.0)
    zen = np.arccos(cosz)
    sinz = np.maximum(np.sin(zen), 1e-12)
    cos_az = np.clip((np.sin(decl) - cosz * np.sin(lat)) / (sinz * np.cos(lat)), -1.0, 1.0)
    az = np.degrees(np.arccos(cos_az))
    az = np.where(np.sin(omega) > 0, 360.0 - az, az)  # afternoon: west of south
    return np.degrees(zen), az


def faiman_cell_temperature(poa_w_m2: SeriesLike, temp_air_c: SeriesLike,
                            wind_speed_m_s: SeriesLike | float = 1.0, *, u0: float = 25.0,
                            u1: float = 6.84) -> np.ndarray:
    """Module temperature by the Faiman (2008) model: ``T_a + G / (u0 + u1 ws)``.

    Parameters
    ----------
    poa_w_m2 : array-like
        Plane-of-array irradiance (W/m²).
    temp_air_c : array-like
        Air temperature (°C).
    wind_speed_m_s : array-like or float, default 1
        Wind speed at module height (m/s).
    u0, u1 : float, default 25, 6.84
        Heat-loss coefficients (W/m²/K and W s/m³/K; Faiman 2008, as in pvlib and IEC 61853-2).

    Returns
    -------
    ndarray
        Module temperature (°C).

    Examples
    --------
    >>> float(faiman_cell_temperature([800.0], [20.0], 2.0, u0=25.0, u1=6.84)[0].round(3))
    40.683
    """
    g = _series(poa_w_m2, "poa_w_m2")
    ta = _series(temp_air_c, "temp_air_c")
    ws = np.broadcast_to(np.asarray(wind_speed_m_s, dtype=float), g.shape)
    return ta + g / (check_positive(u0, param="u0") + float(u1) * ws)


def pv_capacity_factor_series(times: pd.DatetimeIndex, ghi_w_m2: SeriesLike, *, latitude: float,
                              longitude: float, tilt_deg: float | None = None, azimuth_deg: float = 180.0,
                              temp_air_c: SeriesLike | None = None, albedo: float = 0.2,
                              system_losses: float = 0.14, gamma_per_c: float = -0.0035) -> np.ndarray:
    """PV capacity factor per time step from GHI (hourly D&B chain; see the module notes).

    Parameters
    ----------
    times : DatetimeIndex
        Timezone-aware instants of the GHI values.
    ghi_w_m2 : array-like
        Global horizontal irradiance (W/m², >= 0).
    latitude, longitude : float
        Site position (°, east positive).
    tilt_deg : float, optional
        Module tilt (°); default ``|latitude|``.
    azimuth_deg : float, default 180
        Module azimuth (° clockwise from north; 180 faces south).
    temp_air_c : array-like, optional
        Air temperature (°C); without it the cells are taken at 25 °C.
    albedo : float, default 0.2
        Ground reflectance.
    system_losses : float, default 0.14
        Fraction lost in wiring, soiling, mismatch, inverter (the PVWatts default, Dobos 2014).
    gamma_per_c : float, default -0.0035
        Power temperature coefficient (1/°C; crystalline silicon).

    Returns
    -------
    ndarray
        AC capacity factor (0..1, DC:AC ratio 1) per step.

    Raises
    ------
    InvalidParameterError
        For naive times, mismatched lengths, negative GHI or parameters out of range.
    """
    idx = _times(times)
    ghi = _series(ghi_w_m2, "ghi_w_m2")
    if ghi.size != idx.size:
        raise InvalidParameterError(f"times and ghi_w_m2 differ in length: {idx.size} and {ghi.size}")
    if (ghi[np.isfinite(ghi)] < -1e-9).any():
        raise InvalidParameterError(f"ghi_w_m2 must be >= 0, got {np.nanmin(ghi):g}")
    tilt = (abs(float(latitude)) if tilt_deg is None
            else check_range(tilt_deg, param="tilt_deg", low=0, high=90))
    losses = check_range(system_losses, param="system_losses", low=0.0, high=0.99)
    rho = check_range(albedo, param="albedo", low=0.0, high=1.0)
    zen, az = solar_position(idx, latitude=latitude, longitude=longitude)
    cosz = np.cos(np.radians(zen))
    doy = idx.day_of_year.to_numpy(float)
    e0n = SOLAR_CONSTANT * (1.0 + 0.033 * np.cos(2 * np.pi * doy / 365.0))
    up = cosz > 0.065  # below ~86.3° zenith the clearness index is meaningless (as pvlib's erbs)
    kt = np.where(up, ghi / (e0n * np.where(up, cosz, 1.0)), 0.0)
    kt = np.clip(kt, 0.0, 1.0)
    dhi = np.where(up, ghi * erbs_diffuse_fraction(kt), ghi)
    dni = np.where(up, (ghi - dhi) / np.where(up, cosz, 1.0), 0.0)
    beta, gam = np.radians(tilt), np.radians(float(azimuth_deg))
    zr, ar = np.radians(zen), np.radians(az)
    cos_inc = np.cos(zr) * np.cos(beta) + np.sin(zr) * np.sin(beta) * np.cos(ar - gam)
    poa = (dni * np.maximum(cos_inc, 0.0) + dhi * (1.0 + np.cos(beta)) / 2.0
           + ghi * rho * (1.0 - np.cos(beta)) / 2.0)
    poa = np.maximum(poa, 0.0)
    cell = 25.0 if temp_air_c is None else faiman_cell_temperature(poa, temp_air_c)
    dc = poa / 1000.0 * (1.0 + float(gamma_per_c) * (cell - 25.0))
    cf = np.clip(dc * (1.0 - losses), 0.0, 1.0)
    return np.where(np.isnan(ghi), np.nan, cf)


# --------------------------------------------------------------------------- indicators
@dataclass(frozen=True)
class Complementarity:
    """Complementarity of two capacity-factor series.

    Attributes
    ----------
    correlation : float
        Pearson correlation (equal to ``numpy.corrcoef``).
    hours_neither : float
        Hours per year with wind CF < wind threshold and PV CF < solar threshold.
    share_neither : float
        Share of the time steps with neither resource (0..1).
    wind_cf, solar_cf : float
        Mean capacity factors.
    """

    correlation: float
    hours_neither: float
    share_neither: float
    wind_cf: float
    solar_cf: float


def complementarity_indicators(wind_cf: SeriesLike, solar_cf: SeriesLike, *,
                    wind_threshold: float = 0.1, solar_threshold: float = 0.1) -> Complementarity:
    """Correlation and hours with neither resource for wind and PV capacity factors on the same steps.

    Steps where either series is NaN are dropped from all indicators.

    Parameters
    ----------
    wind_cf, solar_cf : array-like
        Capacity factors (0..1) on the same, equally long time steps (a regular record; the
        indicators are shares of the steps, scaled to 8760 h per year).
    wind_threshold, solar_threshold : float, default 0.1
        A resource is "absent" in a step when its CF is below its threshold.

    Returns
    -------
    Complementarity
        Indicators.

    Raises
    ------
    InvalidParameterError
        For mismatched lengths, CFs outside [0, 1], fewer than 2 valid steps, or a constant series
        (no correlation defined).

    Examples
    --------
    >>> c = complementarity_indicators([0.0, 0.5, 1.0, 0.05], [1.0, 0.5, 0.0, 0.02])
    >>> round(c.correlation, 6), c.share_neither
    (-0.510378, 0.25)
    """
    w, s = _pair(wind_cf, solar_cf, ("wind_cf", "solar_cf"))
    _check_cf(w, "wind_cf")
    _check_cf(s, "solar_cf")
    ok = np.isfinite(w) & np.isfinite(s)
    w, s = w[ok], s[ok]
    if w.size < 2 or w.std() == 0 or s.std() == 0:
        raise InvalidParameterError(
            "complementarity needs >= 2 valid steps and series that vary "
            "(a constant series has no correlation)")
    wt = check_range(wind_threshold, param="wind_threshold", low=0.0, high=1.0)
    st = check_range(solar_threshold, param="solar_threshold", low=0.0, high=1.0)
    r = float(np.sum((w - w.mean()) * (s - s.mean())) / np.sqrt(np.sum((w - w.mean()) ** 2)
                                                                  * np.sum((s - s.mean()) ** 2)))
    share = float(np.mean((w < wt) & (s < st)))
    return Complementarity(correlation=r, hours_neither=share * HOURS_PER_YEAR, share_neither=share,
                           wind_cf=float(w.mean()), solar_cf=float(s.mean()))


@dataclass(frozen=True)
class HybridOutput:
    """Energy of a wind + PV plant behind one export limit, per year.

    Attributes
    ----------
    wind_mw, solar_mw, export_limit_mw : float
        The mix and the limit (MW).
    potential_mwh_yr : float
        Energy the two would produce without a limit.
    delivered_mwh_yr : float
        Energy exported: ``Σ min(L, W cf_w + S cf_s) Δt`` scaled to a year.
    curtailed_mwh_yr : float
        ``potential − delivered``.
    curtailment_pct : float
        ``100 curtailed / potential`` (NaN if the potential is 0).
    connection_cf : float
        Delivered energy over ``L × 8760 h``.
    """

    wind_mw: float
    solar_mw: float
    export_limit_mw: float
    potential_mwh_yr: float
    delivered_mwh_yr: float
    curtailed_mwh_yr: float
    curtailment_pct: float
    connection_cf: float


def _annual(w: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    ok = np.isfinite(w) & np.isfinite(s)
    if not ok.any():
        raise InvalidParameterError("wind_cf and solar_cf have no step where both are valid")
    return w[ok], s[ok], float(HOURS_PER_YEAR / ok.sum())  # MWh per year per MW of mean power


def hybrid_output(wind_cf: SeriesLike, solar_cf: SeriesLike, *, wind_mw: float, solar_mw: float,
                  export_limit_mw: float) -> HybridOutput:
    """Delivered and curtailed energy of a hybrid at a shared export limit.

    Parameters
    ----------
    wind_cf, solar_cf : array-like
        Capacity factors (0..1) on the same, equally long steps (NaN steps dropped); energies
        are scaled to 8760 h per year whatever the record's length.
    wind_mw, solar_mw : float
        Installed capacities (MW, >= 0).
    export_limit_mw : float
        Grid connection limit (MW, > 0).

    Returns
    -------
    HybridOutput
        Potential, delivered and curtailed MWh per year.

    Raises
    ------
    InvalidParameterError
        For bad capacities, limits or series.

    Examples
    --------
    >>> h = hybrid_output([0.8, 0.2], [0.0, 0.9], wind_mw=100, solar_mw=50, export_limit_mw=60)
    >>> h.delivered_mwh_yr, h.curtailed_mwh_yr  # min(60, 80) + min(60, 65) = 120 MW over 2 h
    (525600.0, 109500.0)
    """
    w, s = _pair(wind_cf, solar_cf, ("wind_cf", "solar_cf"))
    _check_cf(w, "wind_cf")
    _check_cf(s, "solar_cf")
    wm = float(check_range(wind_mw, param="wind_mw", low=0.0, high=np.inf))
    sm = float(check_range(solar_mw, param="solar_mw", low=0.0, high=np.inf))
    lim = check_positive(export_limit_mw, param="export_limit_mw")
    w, s, per_year = _annual(w, s)
    power = wm * w + sm * s
    potential = float(power.sum()) * per_year
    delivered = float(np.minimum(power, lim).sum()) * per_year
    curtailed = potential - delivered
    return HybridOutput(wind_mw=wm, solar_mw=sm, export_limit_mw=lim, potential_mwh_yr=potential,
                        delivered_mwh_yr=delivered, curtailed_mwh_yr=curtailed,
                        curtailment_pct=100.0 * curtailed / potential if potential > 0 else float("nan"),
                        connection_cf=delivered / (lim * HOURS_PER_YEAR))


def _delivered(share: np.ndarray, w: np.ndarray, s: np.ndarray, total: float, lim: float) -> np.ndarray:
    share = np.atleast_1d(share)
    power = total * (s[None, :] + share[:, None] * (w - s)[None, :])
    delivered: np.ndarray = np.minimum(power, lim).sum(axis=1)
    return delivered


def best_mix(wind_cf: SeriesLike, solar_cf: SeriesLike, *, total_mw: float,
             export_limit_mw: float) -> HybridOutput:
    """The wind:PV split of ``total_mw`` that maximises delivered energy at the export limit (exact).

    The delivered energy is concave and piecewise linear in the wind share, with breakpoints where
    a step just reaches the limit (module notes); the maximum over the sorted breakpoints and the
    ends 0 and 1 is found by bisection on the sign of successive differences.

    Parameters
    ----------
    wind_cf, solar_cf : array-like
        Capacity factors (0..1) on the same steps.
    total_mw : float
        Wind + PV capacity (MW, > 0).
    export_limit_mw : float
        Export limit (MW, > 0).

    Returns
    -------
    HybridOutput
        The best mix and its energy (the smallest best wind share if several tie).

    Raises
    ------
    InvalidParameterError
        For bad capacities, limits or series.

    Examples
    --------
    >>> b = best_mix([1.0, 0.0], [0.0, 1.0], total_mw=100, export_limit_mw=60)
    >>> round(b.wind_mw, 6), round(b.solar_mw, 6)  # anything from 40 to 60 MW of wind delivers 120 MWh
    (40.0, 60.0)
    """
    w, s = _pair(wind_cf, solar_cf, ("wind_cf", "solar_cf"))
    _check_cf(w, "wind_cf")
    _check_cf(s, "solar_cf")
    total = check_positive(total_mw, param="total_mw")
    lim = check_positive(export_limit_mw, param="export_limit_mw")
    w, s, _ = _annual(w, s)
    diff = w - s
    with np.errstate(divide="ignore", invalid="ignore"):
        bp = (lim / total - s) / diff
    bp = bp[np.isfinite(bp) & (bp > 0) & (bp < 1)]
    cand = np.unique(np.concatenate([[0.0, 1.0], bp]))
    lo, hi = 0, cand.size - 1  # find the first index whose next difference is <= 0 (concavity)
    while lo < hi:
        mid = (lo + hi) // 2
        f = _delivered(cand[mid:mid + 2], w, s, total, lim)
        if f[1] > f[0] * (1 + 1e-12) + 1e-12:
            lo = mid + 1
        else:
            hi = mid
    share = float(cand[lo])
    return hybrid_output(w, s, wind_mw=total * share, solar_mw=total * (1.0 - share), export_limit_mw=lim,
                         )
