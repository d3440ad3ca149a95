"""Criteria layers: terrain, distances and setbacks, wind and solar resource, vegetation, climate."""

from __future__ import annotations

from steppe_geo.criteria.proximity import distance, outside_setback, tip_height_m, within_distance
from steppe_geo.criteria.terrain import aspect, hillshade, ruggedness, slope

__all__ = [
    "aspect",
    "distance",
    "hillshade",
    "outside_setback",
    "ruggedness",
    "slope",
    "tip_height_m",
    "within_distance",
]
