"""Shared pieces of the siting presets: distance derivations, setback constraints, grid-access scores."""

from __future__ import annotations

from steppe_geo.mcda import Criterion, PiecewiseLinear, Setback, ValueRange
from steppe_geo.models.model import Derivation

GLAES = "GLAES default exclusion catalogue (Ryberg et al. 2018), methods.md §2"
GLAES_GRID = "GLAES grid access: 0 km → 1, 10 km → 0.5, 20 km → 0 (methods.md §2)"
REVX_TIP = "reVX setbacks as multiples of turbine tip height, e.g. 1.1 × tip height (methods.md §2)"
HOLTINGER = "Höltinger et al. (2016) Austrian presets (methods.md §2)"

SETBACK_INPUTS = (
    "settlements",
    "homesteads",
    "roads",
    "railways",
    "power_lines",
    "airport",
    "protected_areas",
    "water",
)

SITING_INPUTS = (
    "power_lines",
    "roads",
    "settlements",
    "homesteads",
    "railways",
    "airport",
    "protected_areas",
    "water",
)
"""Vector inputs every siting preset needs: grid access, road access and the exclusion family."""


def distance_derivations(caps: dict[str, float]) -> tuple[Derivation, ...]:
    """``distance_<layer>_m`` for each vector layer, capped at ``caps[layer]`` metres."""
    return tuple(
        Derivation(f"distance_{k}_m", "distance", (k,), {"max_distance_m": float(cap)})
        for k, cap in caps.items()
    )


def grid_access_criterion(weight: float) -> Criterion:
    """Distance to power lines scored as GLAES does for grid connections."""
    return Criterion(
        "grid_distance",
        PiecewiseLinear((0.0, 10_000.0, 20_000.0), (1.0, 0.5, 0.0)),
        weight,
        "distance_power_lines_m",
    )


def setback(name: str, layer: str, distance_m: float) -> Setback:
    """A setback from ``distance_<layer>_m``."""
    return Setback(name, f"distance_{layer}_m", distance_m=float(distance_m))


def slope_limit(name: str, layer: str, max_value: float) -> ValueRange:
    """Exclude slopes above ``max_value`` (units of ``layer``)."""
    return ValueRange(name, layer, max=float(max_value))
