"""Criteria layers: terrain, distances and setbacks, wind and solar resource, vegetation, climate."""

from __future__ import annotations

from steppe_geo.criteria.terrain import aspect, hillshade, ruggedness, slope

__all__ = ["aspect", "hillshade", "ruggedness", "slope"]
