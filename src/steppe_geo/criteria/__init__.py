"""Criteria layers: terrain, distances and setbacks, wind and solar resource, vegetation, climate."""

from steppe_geo.criteria.climate import (
    aridity_class,
    aridity_index,
    bagnouls_gaussen,
    bagnouls_gaussen_class,
)
from steppe_geo.criteria.proximity import distance, outside_setback, tip_height_m, within_distance
from steppe_geo.criteria.solar import poa_gain, solar_capacity_factor, specific_yield
from steppe_geo.criteria.terrain import aspect, hillshade, ruggedness, slope
from steppe_geo.criteria.vegetation import (
    fractional_cover,
    fvc_endmembers,
    land_unit_potentials,
    productivity_performance,
    trend,
)
from steppe_geo.criteria.wind import (
    PowerCurve,
    air_density,
    annual_energy,
    available_power_curves,
    capacity_factor,
    load_power_curve,
    log_law,
    power_law,
    roughness_from_landcover,
    weibull_mean,
    weibull_scale,
    wind_power_density,
)

__all__ = [
    "PowerCurve",
    "air_density",
    "annual_energy",
    "aridity_class",
    "aridity_index",
    "aspect",
    "available_power_curves",
    "bagnouls_gaussen",
    "bagnouls_gaussen_class",
    "capacity_factor",
    "distance",
    "fractional_cover",
    "fvc_endmembers",
    "hillshade",
    "land_unit_potentials",
    "load_power_curve",
    "log_law",
    "outside_setback",
    "poa_gain",
    "power_law",
    "productivity_performance",
    "roughness_from_landcover",
    "ruggedness",
    "slope",
    "solar_capacity_factor",
    "specific_yield",
    "tip_height_m",
    "trend",
    "weibull_mean",
    "weibull_scale",
    "wind_power_density",
    "within_distance",
]
