"""Shared pieces of the siting presets: inputs, distances, exact setback masks, grid access, sources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from steppe_geo.mcda import Criterion, PiecewiseLinear, ValueRange
from steppe_geo.models.derivations import Derivation
from steppe_geo.models.land_cover import LandCoverLegend, land_cover_legend

GLAES = "GLAES default exclusion catalogue (Ryberg, Robinius & Stolten 2018, Energies 11(5) 1246)"
GLAES_GRID = (
    "GLAES grid access: 0 km → 1, 10 km → 0.5, 20 km → 0 (Ryberg, Robinius & Stolten 2018, "
    "Energies 11(5) 1246)"
)
REVX_TIP = "NREL reVX setbacks as multiples of turbine tip height, e.g. 1.1 × tip height"
HOLTINGER = (
    "Höltinger et al. (2016), Austria's wind energy potential — a participatory modeling approach, "
    "Energy Policy 98, 49–61"
)
REFERENCE_TURBINE = "NREL reV reference turbine: 6 MW, 170 m rotor, 115 m hub (see docs/models.md)"
EXACT = "exact: every pixel centre within the distance of the feature geometry is excluded"

SITING_INPUTS = (
    "power_lines",
    "roads",
    "settlements",
    "homesteads",
    "railways",
    "airport",
    "protected_areas",
    "water",
    "rivers",
)
"""Vector inputs every siting preset needs: grid access, road access and the exclusion family.

``water`` holds lakes and reservoirs (polygons), ``rivers`` river centre lines (with a width column)."""

ROAD_SETBACKS_M = {
    "expressway": 200.0,
    "national": 200.0,
    "provincial": 200.0,
    "county": 100.0,
    "track": 100.0,
}
"""Solar road setbacks by road class (GLAES: main roads 200 m, secondary roads 100 m).

Classes of the sample ``roads`` layer (column ``class``): expressways, national and provincial roads are
treated as GLAES main roads, county roads and tracks as secondary roads (steppe_geo mapping). A ``"*"``
key gives the setback of every class not listed."""

RIVER_SETBACK_M = 200.0
"""GLAES rivers: 200 m, measured from the bank (centre line + half the ``width_m`` column)."""

LAKE_SETBACK_M = 400.0
"""GLAES lakes: 400 m."""


def distance_derivations(caps: Mapping[str, float]) -> tuple[Derivation, ...]:
    """``distance_<layer>_m`` for each vector layer, capped at ``caps[layer]`` metres (for criteria)."""
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


def setback(name: str, layer: str, **within: Any) -> tuple[Derivation, ValueRange]:
    """An exact setback: derivation ``setback_<name>`` (1 within the distance of ``layer``) and constraint.

    ``within`` holds the parameters of the ``within`` derivation: ``distance_m``, or ``tip_height_multiple``
    with ``hub_height_m`` / ``rotor_diameter_m``, or ``class_column`` and ``class_distances_m``; and
    ``width_column`` for rivers. Values may be ``"$parameter"`` references.
    """
    d = Derivation(f"setback_{name}", "within", (layer,), dict(within))
    return d, ValueRange(name, d.name, max=0.0)


def slope_limit(name: str, layer: str, max_value: float) -> ValueRange:
    """Exclude slopes above ``max_value`` (units of ``layer``)."""
    return ValueRange(name, layer, max=float(max_value))


def siting_sources(*, solar: bool) -> dict[str, str]:
    """Sources of the setbacks shared by the presets (wind: ``solar=False``)."""
    out = {
        "settlements": f"{GLAES}: 500 m (Höltinger et al. 2016: 1000–2000 m); {EXACT}",
        "airport": f"{GLAES}: airports 5000 m; {EXACT}",
        "protected_areas": f"{GLAES}: parks 1000 m; the nature reserve and ecological red lines themselves "
        f"are excluded too; {EXACT}",
        "water": f"{GLAES}: lakes 400 m; {EXACT}",
        "rivers": f"{GLAES}: rivers 200 m, from the bank (centre line + half the width column); {EXACT}",
    }
    if solar:
        out |= {
            "homesteads": "steppe_geo default: 200 m from herder homesteads (glare, access; verify "
            f"locally); {EXACT}",
            "roads": f"{GLAES}: main roads 200 m, secondary roads 100 m, by the road class column "
            f"(expressway/national/provincial main, county/track secondary); {EXACT}",
            "railways": f"{GLAES}: railways 150 m; {EXACT}",
            "power_lines": f"{GLAES}: power lines 200 m; {EXACT}",
        }
    else:
        out |= {
            "homesteads": "steppe_geo default: herder homesteads treated as dwellings, 500 m like "
            f"settlements (GLAES); {EXACT}",
            "roads": f"1.1 × tip height; {REVX_TIP} (GLAES: main/secondary roads 200/100 m); {EXACT}",
            "railways": f"1.1 × tip height; {REVX_TIP} (GLAES: 150 m); {EXACT}",
            "power_lines": f"1.1 × tip height; {REVX_TIP} (GLAES: 200 m); {EXACT}",
        }
    return out


def siting_setbacks(*, solar: bool, tip: bool = False) -> dict[str, tuple[Derivation, ValueRange]]:
    """The setback family by constraint name (wind: 1.1 × tip height for roads, railways, power lines)."""
    if solar:
        roads = setback("roads", "roads", class_column="$road_class_column",
                        class_distances_m="$road_setbacks_m")
        lines: dict[str, dict[str, Any]] = {"railways": {"distance_m": 150.0},
                                            "power_lines": {"distance_m": 200.0}}
        homesteads = 200.0
    else:
        tip_kw = {"tip_height_multiple": 1.1, "hub_height_m": "$hub_height_m",
                  "rotor_diameter_m": "$rotor_diameter_m"}
        roads = setback("roads", "roads", **tip_kw)
        lines = {"railways": tip_kw, "power_lines": tip_kw}
        homesteads = 500.0
    return {
        "settlements": setback("settlements", "settlements", distance_m=500.0),
        "homesteads": setback("homesteads", "homesteads", distance_m=homesteads),
        "roads": roads,
        "railways": setback("railways", "railways", **lines["railways"]),
        "power_lines": setback("power_lines", "power_lines", **lines["power_lines"]),
        "airport": setback("airport", "airport", distance_m=5_000.0),
        "protected_areas": setback("protected_areas", "protected_areas", distance_m=1_000.0),
        "water": setback("water", "water", distance_m=LAKE_SETBACK_M),
        "rivers": setback("rivers", "rivers", distance_m=RIVER_SETBACK_M, width_column="$river_width_column"),
    }


def legend_for(name: str) -> LandCoverLegend:
    """The land-cover legend a preset's ``land_cover_legend`` parameter names (error names the parameter)."""
    return land_cover_legend(name)


def legend_source(legend: LandCoverLegend) -> str:
    """Source line of a preset's ``land_cover_legend`` parameter."""
    return (f"{legend.name!r}: {legend.title}; codes from {legend.source} Meanings mapped by steppe_geo "
            "(docs/models.md, Land-cover legends)")
