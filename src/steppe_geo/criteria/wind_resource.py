"""Wind resource criteria: hub-height extrapolation, air density, Weibull, power density.

All functions are per pixel (halo :data:`HALO` = 0). They accept numbers or DataArrays; when
DataArrays are given together they must share a grid (GridMismatchError otherwise) and the
result keeps their CRS, transform and coordinates. NaN propagates. Turbine power curves, the
capacity factor and the annual yield are in :mod:`~steppe_geo.criteria.wind_power`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import overload

import numpy as np
import xarray as xr
from scipy.special import gamma

from steppe_geo._deprecation import renamed_module_names, renamed_parameter
from steppe_geo._typing import RasterOrNumber
from steppe_geo._validation import check_positive
from steppe_geo.criteria._common import check_dataarray, wrap_like
from steppe_geo.errors import InvalidParameterError
from steppe_geo.grid import check_same_grid

__all__ = [
    "HALO",
    "SHEAR_EXPONENT_RANGE",
    "WORLDCOVER_Z0_M",
    "air_density",
    "log_law",
    "power_law",
    "roughness_from_landcover",
    "weibull_mean",
    "weibull_scale",
    "wind_power_density",
]

HALO = 0
"""Wind functions are per pixel: no halo."""

SHEAR_EXPONENT_RANGE = (0.0, 0.6)
"""Valid power-law shear exponents (was ``ALPHA_RANGE``, a deprecated alias until 0.3.0)."""

__getattr__ = renamed_module_names(
    __name__, {"ALPHA_RANGE": ("SHEAR_EXPONENT_RANGE", lambda: SHEAR_EXPONENT_RANGE)}, since="0.2.0")
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
        return float(x)  # type: ignore[arg-type]  # any number-like; TypeError is the answer otherwise
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
@overload
def power_law(speed: xr.DataArray, *, height_m: float, reference_height_m: float,
              shear_exponent: RasterOrNumber = ...) -> xr.DataArray: ...


@overload
def power_law(speed: float, *, height_m: float, reference_height_m: float,
              shear_exponent: xr.DataArray) -> xr.DataArray: ...


@overload
def power_law(speed: float, *, height_m: float, reference_height_m: float,
              shear_exponent: float = ...) -> float: ...


@renamed_parameter(old="ref_height_m", new="reference_height_m", since="0.2.0")
@renamed_parameter(old="alpha", new="shear_exponent", since="0.2.0")
def power_law(speed: RasterOrNumber, *, height_m: float, reference_height_m: float,
              shear_exponent: RasterOrNumber = 1 / 7) -> RasterOrNumber:
    """Wind speed at ``height_m`` by the power law ``v(h) = v_ref (h / h_ref)^shear_exponent``.

    Parameters
    ----------
    speed : DataArray or float
        Mean wind speed at ``reference_height_m`` in m/s.
    height_m, reference_height_m : float
        Target (hub) and reference heights in metres above ground, > 0 (``reference_height_m`` was
        ``ref_height_m``, a deprecated alias until 0.3.0).
    shear_exponent : float or DataArray, default 1/7
        Shear exponent (1/7 for neutral flow over open terrain), within :data:`SHEAR_EXPONENT_RANGE`
        (was ``alpha``, a deprecated alias until 0.3.0).

    Returns
    -------
    DataArray or float
        ``wind_speed`` in m/s.

    Raises
    ------
    InvalidParameterError
        If a height is <= 0 or the shear exponent is outside [0, 0.6]; if both a deprecated and
        its new parameter name are given.
    GridMismatchError
        If ``speed`` and ``shear_exponent`` rasters are on different grids.

    Examples
    --------
    >>> round(power_law(6.0, height_m=100, reference_height_m=10), 4)  # 6 × 10^(1/7)
    8.337
    """
    h = _check_height(height_m, "height_m")
    h0 = _check_height(reference_height_m, "reference_height_m")
    ref = _first_raster({"speed": speed, "shear_exponent": shear_exponent})
    a = _values(shear_exponent, "shear_exponent")
    lo, hi = SHEAR_EXPONENT_RANGE
    a_arr = np.asarray(a)
    bad = np.isfinite(a_arr) & ((a_arr < lo) | (a_arr > hi))
    if bad.any():
        raise InvalidParameterError(
            f"shear_exponent must be within [{lo}, {hi}], got values from "
            f"{np.nanmin(a_arr):g} to {np.nanmax(a_arr):g}"
        )
    v = _values(speed, "speed") * (h / h0) ** a
    return _out(ref, v, name="wind_speed", units="m s-1", attrs={"height_m": h, "method": "power law"})


@overload
def log_law(speed: xr.DataArray, *, height_m: float, reference_height_m: float,
            z0_m: RasterOrNumber) -> xr.DataArray: ...


@overload
def log_law(speed: float, *, height_m: float, reference_height_m: float,
            z0_m: xr.DataArray) -> xr.DataArray: ...


@overload
def log_law(speed: float, *, height_m: float, reference_height_m: float, z0_m: float) -> float: ...


@renamed_parameter(old="ref_height_m", new="reference_height_m", since="0.2.0")
def log_law(speed: RasterOrNumber, *, height_m: float, reference_height_m: float,
            z0_m: RasterOrNumber) -> RasterOrNumber:
    """Wind speed at ``height_m`` by the logarithmic profile ``v_ref ln(h / z0) / ln(h_ref / z0)``.

    Parameters
    ----------
    speed : DataArray or float
        Mean wind speed at ``reference_height_m`` in m/s.
    height_m, reference_height_m : float
        Heights in metres above ground, > 0 and above ``z0_m`` (``reference_height_m`` was
        ``ref_height_m``, a deprecated alias until 0.3.0).
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
    >>> round(log_law(7.0, height_m=100, reference_height_m=10, z0_m=0.03), 4)  # 7 ln(3333) / ln(333)
    9.7746
    """
    h = _check_height(height_m, "height_m")
    h0 = _check_height(reference_height_m, "reference_height_m")
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
@overload
def air_density(elevation_m: xr.DataArray, *, temperature_c: RasterOrNumber | None = ...) -> xr.DataArray: ...


@overload
def air_density(elevation_m: float, *, temperature_c: xr.DataArray) -> xr.DataArray: ...


@overload
def air_density(elevation_m: float, *, temperature_c: float | None = ...) -> float: ...


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


@overload
def weibull_scale(mean_speed: xr.DataArray, *, k: RasterOrNumber = ...) -> xr.DataArray: ...


@overload
def weibull_scale(mean_speed: float, *, k: xr.DataArray) -> xr.DataArray: ...


@overload
def weibull_scale(mean_speed: float, *, k: float = ...) -> float: ...


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


@overload
def weibull_mean(c: xr.DataArray, *, k: RasterOrNumber = ...) -> xr.DataArray: ...


@overload
def weibull_mean(c: float, *, k: xr.DataArray) -> xr.DataArray: ...


@overload
def weibull_mean(c: float, *, k: float = ...) -> float: ...


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


@overload
def wind_power_density(c: xr.DataArray, *, k: RasterOrNumber = ...,
                       air_density_kg_m3: RasterOrNumber = ...) -> xr.DataArray: ...


@overload
def wind_power_density(c: float, *, k: xr.DataArray,
                       air_density_kg_m3: RasterOrNumber = ...) -> xr.DataArray: ...


@overload
def wind_power_density(c: float, *, k: float = ..., air_density_kg_m3: xr.DataArray) -> xr.DataArray: ...


@overload
def wind_power_density(c: float, *, k: float = ..., air_density_kg_m3: float = ...) -> float: ...


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
