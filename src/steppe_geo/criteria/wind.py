"""Wind resource criteria: hub-height extrapolation, air density, Weibull, power density, yield.

All functions are per pixel (halo :data:`HALO` = 0). They accept numbers or DataArrays; when
DataArrays are given together they must share a grid (GridMismatchError otherwise) and the
result keeps their CRS, transform and coordinates. NaN propagates.

This module gathers the names of :mod:`~steppe_geo.criteria.wind_resource` (shear, roughness,
air density, Weibull, power density) and :mod:`~steppe_geo.criteria.wind_power` (power curves,
capacity factor, annual energy).
"""

from steppe_geo._deprecation import renamed_module_names
from steppe_geo.criteria.wind_power import (
    CapacityFactorTable,
    PowerCurve,
    annual_energy,
    available_power_curves,
    capacity_factor,
    capacity_factor_kernel,
    load_power_curve,
)
from steppe_geo.criteria.wind_resource import (
    HALO,
    SHEAR_EXPONENT_RANGE,
    WORLDCOVER_Z0_M,
    air_density,
    log_law,
    power_law,
    roughness_from_landcover,
    weibull_mean,
    weibull_scale,
    wind_power_density,
)

__all__ = [
    "HALO",
    "SHEAR_EXPONENT_RANGE",
    "WORLDCOVER_Z0_M",
    "CapacityFactorTable",
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

__getattr__ = renamed_module_names(
    __name__, {"ALPHA_RANGE": ("SHEAR_EXPONENT_RANGE", lambda: SHEAR_EXPONENT_RANGE)}, since="0.2.0")
