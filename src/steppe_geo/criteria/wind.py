"""Wind resource criteria: hub-height extrapolation, air density, Weibull, power density, yield.

All functions are per pixel (halo :data:`HALO` = 0). They accept numbers or DataArrays; when
DataArrays are given together they must share a grid (GridMismatchError otherwise) and the
result keeps their CRS, transform and coordinates. NaN propagates.
"""

from __future__ import annotations

import csv
import io as _io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import xarray as xr
from scipy.special import gamma

from steppe_geo._typing import RasterOrNumber
from steppe_geo._validation import check_positive, check_range, did_you_mean
from steppe_geo.criteria._common import check_dataarray, wrap_like
from steppe_geo.errors import InvalidParameterError
from steppe_geo.grid import check_same_grid

__all__ = [
    "ALPHA_RANGE",
    "HALO",
    "WORLDCOVER_Z0_M",
    "PowerCurve",
    "air_density",
    "annual_energy",
    "available_power_curves",
    "capacity_factor",
    "capacity_factor_kernel",
    "load_power_curve",
    "log_law",
    "power_law",
    "roughness_from_landcover",
    "weibull_mean",
    "weibull_scale",
    "wind_power_density",
]

HALO = 0
"""Wind functions are per pixel: no halo."""

ALPHA_RANGE = (0.0, 0.6)
"""Plausible range of the power-law shear exponent (0 = no shear; > 0.6 only in odd stable nights)."""

RHO_0 = 1.225
"""Standard sea-level air density at 15 °C, kg/m³ (ISO 2533 standard atmosphere)."""

WORLDCOVER_Z0_M: dict[int, float] = {
    10: 0.75,    # tree cover: forest
    20: 0.20,    # shrubland
    30: 0.03,    # grassland: open flat terrain, grass
    40: 0.05,    # cropland: farmland, few windbreaks
    50: 1.00,    # built-up
    60: 0.005,   # bare / sparse vegetation (bare soil, sand)
    70: 0.001,   # snow and ice
    80: 0.0002,  # permanent water
    90: 0.03,    # herbaceous wetland
    95: 0.60,    # mangroves
    100: 0.03,   # moss and lichen (tundra)
}
"""Roughness length z0 (m) per ESA WorldCover class. Typical values of the roughness classes of
the European Wind Atlas (Troen & Petersen 1989, Table 8.1 / WAsP) assigned to WorldCover
classes by us; treat as priors, not measurements."""


# --------------------------------------------------------------------------- helpers
def _values(x: object, param: str) -> np.ndarray | float:
    if isinstance(x, xr.DataArray):
        check_dataarray(x, param=param)
        return np.asarray(x.values, dtype=float)
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{param} must be a number or a DataArray, got {type(x).__name__}") from None


def _check_positive_values(x: RasterOrNumber, param: str) -> np.ndarray | float:
    """Values of ``x`` (number or raster); every non-NaN value must be finite and > 0."""
    v = _values(x, param)
    arr = np.asarray(v)
    bad = ~np.isnan(arr) & ~(np.isfinite(arr) & (arr > 0))
    if bad.any():
        n = int(bad.sum())
        where = f" ({n} of {arr.size} values)" if arr.ndim else ""
        raise InvalidParameterError(
            f"{param} must be > 0 (NaN marks nodata), got {arr[bad].flat[0]:g}{where}")
    return v


def _first_raster(named: Mapping[str, object]) -> xr.DataArray | None:
    rasters = {k: v for k, v in named.items() if isinstance(v, xr.DataArray)}
    check_same_grid(rasters)
    return next(iter(rasters.values()), None)


def _out(ref: xr.DataArray | None, data: np.ndarray | float, *, name: str, units: str,
         attrs: dict[str, object] | None = None) -> xr.DataArray | float:
    if ref is None:
        return float(data)
    return wrap_like(ref, np.asarray(data, dtype=float), name=name, units=units, attrs=attrs)


def _check_height(h: float, param: str) -> float:
    try:
        v = float(h)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{param} must be a height in metres > 0, got {h!r}") from None
    if not v > 0 or math.isinf(v):
        raise InvalidParameterError(f"{param} must be a height in metres > 0, got {h!r}")
    return v


# --------------------------------------------------------------------------- extrapolation
def power_law(speed: RasterOrNumber, *, height_m: float, ref_height_m: float,
              alpha: RasterOrNumber = 1 / 7) -> RasterOrNumber:
    """Wind speed at ``height_m`` by the power law ``v(h) = v_ref (h / h_ref)^alpha``.

    Parameters
    ----------
    speed : DataArray or float
        Mean wind speed at ``ref_height_m`` in m/s.
    height_m, ref_height_m : float
        Target (hub) and reference heights in metres above ground, > 0.
    alpha : float or DataArray, default 1/7
        Shear exponent (1/7 for neutral flow over open terrain), within :data:`ALPHA_RANGE`.

    Returns
    -------
    DataArray or float
        ``wind_speed`` in m/s.

    Raises
    ------
    InvalidParameterError
        If a height is <= 0 or alpha is outside [0, 0.6].
    GridMismatchError
        If ``speed`` and ``alpha`` rasters are on different grids.

    Examples
    --------
    >>> round(power_law(6.0, height_m=100, ref_height_m=10), 4)  # 6 × 10^(1/7)
    8.337
    """
    h = _check_height(height_m, "height_m")
    h0 = _check_height(ref_height_m, "ref_height_m")
    ref = _first_raster({"speed": speed, "alpha": alpha})
    a = _values(alpha, "alpha")
    lo, hi = ALPHA_RANGE
    a_arr = np.asarray(a)
    bad = np.isfinite(a_arr) & ((a_arr < lo) | (a_arr > hi))
    if bad.any():
        raise InvalidParameterError(
            f"alpha (shear exponent) must be within [{lo}, {hi}], got values from "
            f"{np.nanmin(a_arr):g} to {np.nanmax(a_arr):g}"
        )
    v = _values(speed, "speed") * (h / h0) ** a
    return _out(ref, v, name="wind_speed", units="m s-1", attrs={"height_m": h, "method": "power law"})


def log_law(speed: RasterOrNumber, *, height_m: float, ref_height_m: float,
            z0_m: RasterOrNumber) -> RasterOrNumber:
    """Wind speed at ``height_m`` by the logarithmic profile ``v_ref ln(h / z0) / ln(h_ref / z0)``.

    Parameters
    ----------
    speed : DataArray or float
        Mean wind speed at ``ref_height_m`` in m/s.
    height_m, ref_height_m : float
        Heights in metres above ground, > 0 and above ``z0_m``.
    z0_m : float or DataArray
        Roughness length in metres (> 0), e.g. from :func:`roughness_from_landcover`.

    Returns
    -------
    DataArray or float
        ``wind_speed`` in m/s.

    Raises
    ------
    InvalidParameterError
        If a height is <= 0 or z0 is not in (0, min height).
    GridMismatchError
        If ``speed`` and ``z0_m`` rasters are on different grids.

    Examples
    --------
    >>> round(log_law(7.0, height_m=100, ref_height_m=10, z0_m=0.03), 4)  # 7 ln(3333) / ln(333)
    9.7746
    """
    h = _check_height(height_m, "height_m")
    h0 = _check_height(ref_height_m, "ref_height_m")
    ref = _first_raster({"speed": speed, "z0_m": z0_m})
    z0 = np.asarray(_values(z0_m, "z0_m"))
    bad = np.isfinite(z0) & ((z0 <= 0) | (z0 >= min(h, h0)))
    if bad.any():
        raise InvalidParameterError(
            f"z0_m (roughness length) must be > 0 and below both heights ({min(h, h0)} m), got values "
            f"from {np.nanmin(z0):g} to {np.nanmax(z0):g}"
        )
    v = _values(speed, "speed") * np.log(h / z0) / np.log(h0 / z0)
    return _out(ref, v, name="wind_speed", units="m s-1", attrs={"height_m": h, "method": "log law"})


def roughness_from_landcover(landcover: xr.DataArray, *,
                             table: dict[int, float] | None = None) -> xr.DataArray:
    """Roughness length z0 (m) from a categorical land-cover raster (ESA WorldCover by default).

    Parameters
    ----------
    landcover : DataArray
        Integer class codes; nodata and classes not in the table become NaN.
    table : dict, optional
        Class -> z0 in metres; defaults to :data:`WORLDCOVER_Z0_M`.

    Returns
    -------
    DataArray
        ``z0`` in metres.

    Raises
    ------
    InvalidParameterError
        If a table value is not > 0.
    """
    check_dataarray(landcover, param="landcover")
    table = WORLDCOVER_Z0_M if table is None else table
    codes = np.asarray(landcover.values)
    out = np.full(codes.shape, np.nan)
    for cls, z0 in table.items():
        out[codes == cls] = check_positive(z0, param=f"table[{cls}]")
    return wrap_like(landcover, out, name="z0", units="m",
                     attrs={"source": "European Wind Atlas roughness classes (Troen & Petersen 1989)"})


# --------------------------------------------------------------------------- density
def air_density(elevation_m: RasterOrNumber, *,
                temperature_c: RasterOrNumber | None = None) -> RasterOrNumber:
    """Air density (kg/m³) from elevation.

    Without a temperature: ``rho = 1.225 exp(-z / 8435 m)`` (isothermal barometric form at 15 °C).
    With the (annual mean) air temperature ``T`` at the site: pressure from the ICAO standard
    atmosphere ``p = 101325 (1 - 0.0065 z / 288.15)^5.25588`` Pa and ``rho = p / (287.05 (T + 273.15))``
    (ideal gas, dry air) — colder air is denser, which matters in the cold steppe.

    Parameters
    ----------
    elevation_m : DataArray or float
        Elevation above sea level in metres.
    temperature_c : DataArray or float, optional
        Air temperature in °C (> -90).

    Returns
    -------
    DataArray or float
        ``air_density`` in kg m-3.

    Raises
    ------
    InvalidParameterError
        If a temperature is <= -90 °C.
    GridMismatchError
        If the rasters are on different grids.

    Examples
    --------
    >>> round(air_density(1000.0), 5)  # 1.225 exp(-1000 / 8435)
    1.08805
    >>> round(air_density(0.0, temperature_c=15.0), 6)  # 101325 / (287.05 × 288.15)
    1.225012
    """
    ref = _first_raster({"elevation_m": elevation_m, "temperature_c": temperature_c})
    z = _values(elevation_m, "elevation_m")
    if temperature_c is None:
        rho = RHO_0 * np.exp(-np.asarray(z) / 8435.0)
        method = "1.225 exp(-z/8435)"
    else:
        t = np.asarray(_values(temperature_c, "temperature_c"))
        if (np.isfinite(t) & (t <= -90)).any():
            raise InvalidParameterError(f"temperature_c must be > -90 °C, got min {np.nanmin(t):g}")
        p = 101325.0 * (1.0 - 0.0065 * np.asarray(z) / 288.15) ** 5.25588
        rho = p / (287.05 * (t + 273.15))
        method = "ISA pressure, ideal gas at given temperature"
    return _out(ref, rho, name="air_density", units="kg m-3", attrs={"method": method})


# --------------------------------------------------------------------------- Weibull
def _check_k(k: RasterOrNumber) -> np.ndarray | float:
    kv = _values(k, "k")
    arr = np.asarray(kv)
    if (np.isfinite(arr) & (arr <= 0)).any():
        raise InvalidParameterError(f"k (Weibull shape) must be > 0, got min {np.nanmin(arr):g}")
    return kv


def weibull_scale(mean_speed: RasterOrNumber, *, k: RasterOrNumber = 2.0) -> RasterOrNumber:
    """Weibull scale ``c = mean / Γ(1 + 1/k)`` (m/s); k = 2 is the Rayleigh case.

    Parameters
    ----------
    mean_speed : DataArray or float
        Mean wind speed in m/s (> 0; NaN = nodata).
    k : DataArray or float, default 2
        Weibull shape (> 0).

    Returns
    -------
    DataArray or float
        ``weibull_c`` in m/s.

    Raises
    ------
    InvalidParameterError
        If a mean speed or k is <= 0.
    GridMismatchError
        If the rasters are on different grids.

    Examples
    --------
    >>> round(weibull_scale(7.0, k=2.0), 4)  # 7 / Γ(1.5) = 7 / 0.886227
    7.8987
    """
    ref = _first_raster({"mean_speed": mean_speed, "k": k})
    c = _check_positive_values(mean_speed, "mean_speed") / gamma(1.0 + 1.0 / _check_k(k))
    return _out(ref, c, name="weibull_c", units="m s-1")


def weibull_mean(c: RasterOrNumber, *, k: RasterOrNumber = 2.0) -> RasterOrNumber:
    """Mean wind speed ``c Γ(1 + 1/k)`` (m/s) of a Weibull distribution.

    Parameters
    ----------
    c : DataArray or float
        Weibull scale in m/s (> 0; NaN = nodata).
    k : DataArray or float, default 2
        Weibull shape (> 0).

    Returns
    -------
    DataArray or float
        ``wind_speed`` in m/s.

    Raises
    ------
    InvalidParameterError
        If c or k is <= 0.
    GridMismatchError
        If the rasters are on different grids.

    Examples
    --------
    >>> round(weibull_mean(8.0, k=2.0), 4)  # 8 Γ(1.5) = 8 × 0.886227
    7.0898
    """
    ref = _first_raster({"c": c, "k": k})
    v = _check_positive_values(c, "c") * gamma(1.0 + 1.0 / _check_k(k))
    return _out(ref, v, name="wind_speed", units="m s-1")


def wind_power_density(c: RasterOrNumber, *, k: RasterOrNumber = 2.0,
                       air_density_kg_m3: RasterOrNumber = RHO_0) -> RasterOrNumber:
    """Wind power density ``WPD = 1/2 ρ c³ Γ(1 + 3/k)`` in W/m².

    Parameters
    ----------
    c : DataArray or float
        Weibull scale (m/s, > 0; NaN = nodata), e.g. from :func:`weibull_scale`.
    k : DataArray or float, default 2
        Weibull shape (> 0).
    air_density_kg_m3 : DataArray or float, default 1.225
        Air density (> 0), e.g. from :func:`air_density`.

    Returns
    -------
    DataArray or float
        ``wind_power_density`` in W/m².

    Raises
    ------
    InvalidParameterError
        If c, k or the air density is <= 0.
    GridMismatchError
        If the rasters are on different grids.

    Examples
    --------
    Rayleigh wind with a mean of 7 m/s: ``½ × 1.225 × 7³ × 6/π = 401.24`` W/m²:

    >>> round(wind_power_density(weibull_scale(7.0, k=2.0), k=2.0), 2)
    401.24
    """
    ref = _first_raster({"c": c, "k": k, "air_density_kg_m3": air_density_kg_m3})
    rho = _check_positive_values(air_density_kg_m3, "air_density_kg_m3")
    wpd = 0.5 * rho * _check_positive_values(c, "c") ** 3 * gamma(1.0 + 3.0 / _check_k(k))
    return _out(ref, wpd, name="wind_power_density", units="W m-2")


# --------------------------------------------------------------------------- power curves
@dataclass(frozen=True)
class PowerCurve:
    """A turbine power curve: power (kW) linear between speeds (m/s); 0 outside [first, last] speed.

    Validated on construction: speeds strictly increasing, power finite and >= 0, power
    non-decreasing up to the rated (maximum) power, rated power > 0.

    Raises
    ------
    InvalidParameterError
        If the curve breaks one of these rules (the message names the offending speed).
    """

    name: str
    speed_m_s: tuple[float, ...]
    power_kw: tuple[float, ...]
    rotor_diameter_m: float | None = None
    source: str = ""
    rated_kw: float = field(init=False)

    def __post_init__(self) -> None:
        v = np.asarray(self.speed_m_s, dtype=float)
        p = np.asarray(self.power_kw, dtype=float)
        if v.ndim != 1 or v.shape != p.shape or v.size < 2:
            raise InvalidParameterError(
                f"power curve {self.name!r}: need >= 2 (speed, power) pairs of equal length, "
                f"got {v.size} speeds and {p.size} powers"
            )
        if not (np.isfinite(v).all() and np.isfinite(p).all()):
            raise InvalidParameterError(f"power curve {self.name!r}: speeds and powers must be finite")
        if (v < 0).any() or (np.diff(v) <= 0).any():
            i = int(np.argmax(np.diff(v) <= 0)) if (np.diff(v) <= 0).any() else 0
            raise InvalidParameterError(
                f"power curve {self.name!r}: speeds must be >= 0 and strictly increasing "
                f"(problem at {v[i]:g} -> {v[i + 1]:g} m/s)")
        if (p < 0).any():
            raise InvalidParameterError(
                f"power curve {self.name!r}: negative power {p.min():g} kW at "
                f"{v[int(np.argmin(p))]:g} m/s; power must be >= 0")
        rated_idx = int(np.argmax(p))
        drops = np.diff(p[:rated_idx + 1]) < 0
        if drops.any():
            i = int(np.argmax(drops))
            raise InvalidParameterError(
                f"power curve {self.name!r}: power must not decrease with speed up to rated power, "
                f"but falls from {p[i]:g} kW at {v[i]:g} m/s to {p[i + 1]:g} kW at {v[i + 1]:g} m/s")
        if p[rated_idx] <= 0:
            raise InvalidParameterError(f"power curve {self.name!r}: rated power must be > 0")
        object.__setattr__(self, "speed_m_s", tuple(float(x) for x in v))
        object.__setattr__(self, "power_kw", tuple(float(x) for x in p))
        object.__setattr__(self, "rated_kw", float(p[rated_idx]))

    def power(self, speed: np.ndarray | float) -> np.ndarray:
        """Power in kW at ``speed`` (m/s): linear interpolation, 0 outside the table.

        Parameters
        ----------
        speed : float or ndarray
            Hub-height wind speed in m/s.

        Returns
        -------
        ndarray
            Electrical power in kW.

        Examples
        --------
        >>> curve = PowerCurve("toy", (3.0, 10.0, 25.0), (0.0, 2000.0, 2000.0))
        >>> curve.power([2.0, 6.5, 12.0, 30.0]).tolist()
        [0.0, 1000.0, 2000.0, 0.0]
        """
        return np.asarray(np.interp(speed, self.speed_m_s, self.power_kw, left=0.0, right=0.0))


def available_power_curves() -> list[str]:
    """Names of the power curves shipped with steppe_geo (see :func:`load_power_curve`).

    Returns
    -------
    list of str
        Sorted curve names.

    Examples
    --------
    >>> available_power_curves()
    ['iea_3.3mw_156', 'nrel_6mw_170']
    """
    files = resources.files("steppe_geo.criteria").joinpath("data")
    return sorted(f.name[:-4] for f in files.iterdir() if f.name.endswith(".csv"))


def load_power_curve(name: str) -> PowerCurve:
    """Load a shipped generic power curve by name.

    Shipped: ``"nrel_6mw_170"`` (NREL 2023 land-based 6 MW, 170 m rotor) and
    ``"iea_3.3mw_156"`` (LBNL/IEA Task 37 3.3 MW, 156 m rotor), both from the NREL
    turbine-models library; the source is in each file's header.

    Parameters
    ----------
    name : str
        One of :func:`available_power_curves`.

    Returns
    -------
    PowerCurve
        The validated curve with its rotor diameter and source.

    Raises
    ------
    InvalidParameterError
        If no curve of that name ships with steppe_geo.
    """
    names = available_power_curves()
    if name not in names:
        raise InvalidParameterError(
            f"power curve {name!r} not found{did_you_mean(name, names)} Available: {', '.join(names)}"
        )
    text = resources.files("steppe_geo.criteria").joinpath("data", f"{name}.csv").read_text("utf-8")
    meta: dict[str, str] = {}
    rows: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            content = line[1:]
            if content.startswith("   ") and "source" in meta:  # continuation of the source
                meta["source"] += " " + content.strip()
                continue
            key, _, val = content.partition(":")
            if val:
                meta[key.strip()] = val.strip()
        elif line.strip():
            rows.append(line)
    reader = csv.DictReader(_io.StringIO("\n".join(rows)))
    data = [(float(r["speed_m_s"]), float(r["power_kw"])) for r in reader]
    rotor = meta.get("rotor_diameter_m")
    return PowerCurve(name=name, speed_m_s=tuple(d[0] for d in data), power_kw=tuple(d[1] for d in data),
                      rotor_diameter_m=float(rotor) if rotor else None, source=meta.get("source", ""))


def capacity_factor_kernel(c: np.ndarray, k: np.ndarray, speeds: np.ndarray, power: np.ndarray,
                           rated: float, *, block: int = 50_000) -> np.ndarray:
    """Capacity factor ``∫ P(v) f(v; c, k) dv / P_rated`` for arrays of Weibull c and k, in closed form.

    The curve is linear between its speeds (and 0 outside them). On a segment
    ``P(v) = α + s·v`` the integral is ``α [F(b) − F(a)] + s [M(b) − M(a)]`` with the Weibull
    CDF ``F(v) = 1 − exp(−(v/c)^k)`` and its first partial moment
    ``M(v) = ∫₀^v u f(u) du = c Γ(1 + 1/k) P(1 + 1/k, (v/c)^k)``, P the regularised lower
    incomplete gamma function (``scipy.special.gammainc``). Exact up to floating point; no
    quadrature. Vectorised over pixels in blocks (only pixels with finite c and k are computed;
    the others are NaN); halo 0.

    Parameters
    ----------
    c, k : ndarray
        Weibull scale (m/s) and shape, broadcastable to each other.
    speeds, power : ndarray
        The power curve (m/s, kW).
    rated : float
        Rated power (kW).
    block : int, default 50000
        Pixels per block.

    Returns
    -------
    ndarray
        Capacity factor (0..1), shape of ``c`` and ``k`` broadcast.
    """
    from scipy.special import gamma, gammainc

    shape = np.broadcast_shapes(np.shape(c), np.shape(k))
    flat_c = np.broadcast_to(np.asarray(c, dtype=float), shape).ravel()
    flat_k = np.broadcast_to(np.asarray(k, dtype=float), shape).ravel()
    v = np.asarray(speeds, dtype=float)
    p = np.asarray(power, dtype=float) / rated
    slope = np.diff(p) / np.diff(v)
    alpha = p[:-1] - slope * v[:-1]
    sloped = slope != 0
    # M is needed only at the ends of sloped segments
    m_nodes = np.unique(np.concatenate([np.flatnonzero(sloped), np.flatnonzero(sloped) + 1]))
    m_slope = np.zeros(m_nodes.size)
    pos = {n: i for i, n in enumerate(m_nodes)}
    for j in np.flatnonzero(sloped):  # Σ s_j (M(v_{j+1}) − M(v_j)) as weights on the M nodes
        m_slope[pos[j + 1]] += slope[j]
        m_slope[pos[j]] -= slope[j]
    out = np.full(flat_c.shape, np.nan)
    valid = np.flatnonzero(np.isfinite(flat_c) & np.isfinite(flat_k))  # nodata costs nothing
    vc, vk = flat_c[valid], flat_k[valid]
    result = np.empty(valid.size)
    # (v/c)^k overflows to inf for a large k above c: exp(-inf) = 0 and P(a, inf) = 1 are the exact limits
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for b0 in range(0, valid.size, block):
            cc = vc[b0:b0 + block, None]
            kk = vk[b0:b0 + block, None]
            u = (v[None, :] / cc) ** kk
            survival = np.exp(-u)  # 1 − F
            part = (survival[:, :-1] - survival[:, 1:]) @ alpha
            a1 = 1.0 + 1.0 / kk
            moment = cc * gamma(a1) * gammainc(a1, u[:, m_nodes])
            result[b0:b0 + block] = part + moment @ m_slope
    out[valid] = result
    return out.reshape(shape)


def _curve(curve: PowerCurve | str) -> PowerCurve:
    if isinstance(curve, str):
        return load_power_curve(curve)
    if not isinstance(curve, PowerCurve):
        raise InvalidParameterError(f"curve must be a PowerCurve or a shipped curve name, got {curve!r}")
    return curve


def capacity_factor(c: RasterOrNumber, *, k: RasterOrNumber = 2.0,
                    curve: PowerCurve | str = "nrel_6mw_170",
                    air_density_kg_m3: RasterOrNumber | None = None,
                    losses: float = 0.0) -> RasterOrNumber:
    """Gross capacity factor of a turbine under Weibull-distributed hub-height wind.

    ``CF = (1 - losses) ∫ P(v) f(v; c, k) dv / P_rated``, f the Weibull pdf; see
    :func:`capacity_factor_kernel` for the integration.

    Parameters
    ----------
    c : DataArray or float
        Weibull scale at hub height (m/s, > 0; NaN = nodata).
    k : DataArray or float, default 2
        Weibull shape (> 0).
    curve : PowerCurve or str
        A :class:`PowerCurve` or the name of a shipped curve.
    air_density_kg_m3 : DataArray or float, optional
        If given (> 0), wind speeds are scaled by ``(rho / 1.225)^(1/3)`` (IEC 61400-12-1 density
        correction for pitch-regulated turbines) before reading the curve.
    losses : float, default 0
        Fraction of energy lost (wake, availability, electrical), in [0, 1).

    Returns
    -------
    DataArray or float
        ``capacity_factor`` (fraction 0..1).

    Raises
    ------
    InvalidParameterError
        For an invalid curve, c or k <= 0, a non-positive air density or losses outside [0, 1).
    GridMismatchError
        If the rasters are on different grids.

    Examples
    --------
    >>> round(capacity_factor(8.0, k=2.0, curve="nrel_6mw_170"), 4)
    0.4339
    >>> round(capacity_factor(8.0, k=2.0, curve="nrel_6mw_170", losses=0.1), 4)
    0.3905
    """
    pc = _curve(curve)
    ref = _first_raster({"c": c, "k": k, "air_density_kg_m3": air_density_kg_m3})
    check_range(losses, param="losses", low=0.0, high=0.999999)
    cv = np.asarray(_check_positive_values(c, "c"))
    if air_density_kg_m3 is not None:
        rho = np.asarray(_check_positive_values(air_density_kg_m3, "air_density_kg_m3"))
        cv = cv * (rho / RHO_0) ** (1.0 / 3.0)
    kv = np.asarray(_check_k(k))
    cf = capacity_factor_kernel(cv, kv, np.asarray(pc.speed_m_s), np.asarray(pc.power_kw), pc.rated_kw)
    cf = cf * (1.0 - losses)
    return _out(ref, cf, name="capacity_factor", units="1", attrs={"power_curve": pc.name})


def annual_energy(c: RasterOrNumber, *, k: RasterOrNumber = 2.0,
                  curve: PowerCurve | str = "nrel_6mw_170",
                  air_density_kg_m3: RasterOrNumber | None = None,
                  losses: float = 0.0) -> RasterOrNumber:
    """Annual energy per turbine in MWh/yr: ``CF × P_rated × 8760 h``.

    Parameters
    ----------
    c, k, curve, air_density_kg_m3, losses
        As in :func:`capacity_factor`.

    Returns
    -------
    DataArray or float
        ``annual_energy`` in MWh/yr per turbine.

    Raises
    ------
    InvalidParameterError
        As :func:`capacity_factor`.

    Examples
    --------
    >>> cf = capacity_factor(8.0, curve="nrel_6mw_170")
    >>> bool(abs(annual_energy(8.0, curve="nrel_6mw_170") - cf * 6000 * 8.76) < 1e-6)
    True
    """
    pc = _curve(curve)
    cf = capacity_factor(c, k=k, curve=pc, air_density_kg_m3=air_density_kg_m3, losses=losses)
    aep = cf * pc.rated_kw * 8760.0 / 1000.0
    if isinstance(aep, xr.DataArray):
        aep.name = "annual_energy"
        aep.attrs = {"units": "MWh yr-1", "power_curve": pc.name}
    return aep
