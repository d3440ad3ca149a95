"""Criteria layers: terrain, distances and setbacks, wind and solar resource, vegetation, climate."""

from __future__ import annotations

from steppe_geo.criteria.proximity import distance, outside_setback, tip_height_m, within_distance
from steppe_geo.criteria.terrain import aspect, hillshade, ruggedness, slope
from steppe_geo.criteria.vegetation import fractional_cover, productivity_performance, trend

__all__ = [
    "aspect",
    "distance",
    "fractional_cover",
    "hillshade",
    "outside_setback",
    "productivity_performance",
    "ruggedness",
    "slope",
    "tip_height_m",
    "trend",
    "within_distance",
]
