"""Restoration priority and the PV-with-sand-control co-benefit model."""

from __future__ import annotations

from typing import Any

from steppe_geo.mcda import Categorical, Categories, Criterion, Linear, PiecewiseLinear, ValueRange
from steppe_geo.models._siting import (
    GLAES,
    GLAES_GRID,
    SITING_INPUTS,
    distance_derivations,
    grid_access_criterion,
    setback,
)
from steppe_geo.models.desertification import ESAI_INPUTS, ESAI_SOURCES, esai_derivations, esai_parameters
from steppe_geo.models.model import Derivation, Model
from steppe_geo.models.solar import solar_yield_breaks

__all__ = ["SAND_CONTROL_LAND_COVER", "pv_sand_control", "restoration_priority"]

ESA_RISK = PiecewiseLinear((1.17, 1.53), (0.0, 1.0))
"""ESAI → risk: 0 at the N/P boundary (1.17), 1 at the start of C3 (1.53)."""

SAND_CONTROL_LAND_COVER = {
    10: 0.0,
    20: 0.3,
    30: 0.2,
    40: 0.0,
    50: 0.0,
    60: 1.0,
    80: 0.0,
    90: 0.0,
    101: 0.2,
    102: 0.3,
    103: 0.1,
    104: 1.0,
}
"""Sand-control benefit of panels by land cover: mobile sand / bare land 1, vegetated steppe low."""

HOBQ = (
    "Hobq/Kubuqi field studies: PV arrays reduce sand transport by 35–88 % depending on wind angle; "
    "gravel + clay under panels −87 % (methods.md §8; see docs/models.md)"
)


def restoration_priority(**parameters: Any) -> Model:
    """Restoration priority = risk × feasibility × value (weighted product).

    risk: ESAI (N → 0, C3 → 1); feasibility: water (P/PET, 0.05 → 0, 0.5 → 1) and access (distance to
    roads, 15 km → 0); value: closeness to settlements (people and pastures protected, 20 km → 0).

    Parameters
    ----------
    **parameters
        ESAI-chain parameters, see :func:`steppe_geo.models.desertification.esai_parameters`.
    """
    derivations = (*esai_derivations(), *distance_derivations({"roads": 20_000, "settlements": 25_000}))
    criteria = (
        Criterion("risk", ESA_RISK, 0.4, "esai"),
        Criterion("water", Linear(low=0.05, high=0.5), 0.2, "aridity"),
        Criterion("access", Linear(low=15_000.0, high=0.0), 0.2, "distance_roads_m"),
        Criterion("value", Linear(low=20_000.0, high=0.0), 0.2, "distance_settlements_m"),
    )
    constraints = (Categories("not_restorable", "land_cover", exclude=(50, 80)),)
    sources = {
        **ESAI_SOURCES,
        "risk": "ESAI classes (Kosmas et al. 1999): 1.17 (N/P) → 0, 1.53 (C3) → 1",
        "water": "UNEP aridity classes: 0.05 (hyper-arid/arid) → 0, 0.5 (dry sub-humid) → 1 (methods.md §6)",
        "access": "steppe_geo default: 0 km → 1, 15 km → 0",
        "value": "steppe_geo default: 0 km → 1, 20 km → 0 from settlements",
        "not_restorable": "built-up and permanent water",
    }
    return Model(
        name="restoration_priority",
        description="Restoration priority: risk × feasibility × value",
        inputs=(*ESAI_INPUTS, "roads", "settlements"),
        derivations=derivations,
        criteria=criteria,
        constraints=constraints,
        rule="weighted-product",
        parameters=esai_parameters(**parameters),
        sources=sources,
    )


def pv_sand_control(
    *, performance_ratio: float = 0.80, poa_gain: float = 1.08, max_slope_pct: float = 10.0, **parameters: Any
) -> Model:
    """PV with a sand-control co-benefit: PV on degraded, mobile sand near the grid.

    Criteria: PV yield, sand-control benefit by land cover (mobile sand / bare 1), desertification risk
    (ESAI), grid access (GLAES) and slope; the solar constraints (setbacks, north-facing slopes ≥ 3°,
    steep slopes, built-up/water) apply.

    Parameters
    ----------
    performance_ratio, poa_gain, max_slope_pct : float
        As :func:`steppe_geo.models.solar_pv`.
    **parameters
        ESAI-chain parameters.
    """
    b = solar_yield_breaks(performance_ratio=performance_ratio, poa_gain=poa_gain)
    derivations = (
        *esai_derivations(),
        Derivation(
            "pv_yield",
            "pv_yield",
            ("ghi",),
            {"performance_ratio": "$performance_ratio"},
        ),
        Derivation("slope_deg", "slope", ("dem",), {"units": "degrees"}),
        Derivation(
            "north_facing",
            "north_facing",
            ("slope_deg", "aspect_deg"),
            {"min_slope_deg": 3.0, "half_width_deg": 45.0},
        ),
        *distance_derivations(
            {
                "power_lines": 25_000,
                "roads": 2_000,
                "settlements": 1_000,
                "homesteads": 1_000,
                "railways": 1_000,
                "airport": 6_000,
                "protected_areas": 2_000,
                "water": 1_000,
            }
        ),
    )
    criteria = (
        Criterion("pv_yield", PiecewiseLinear(b, (0.0, 0.5, 1.0)), 0.25, "pv_yield"),
        Criterion("sand_control", Categorical(SAND_CONTROL_LAND_COVER), 0.25, "land_cover"),
        Criterion("degradation", ESA_RISK, 0.15, "esai"),
        grid_access_criterion(0.25),
        Criterion("slope", Linear(low=max_slope_pct, high=0.0), 0.10, "slope_pct"),
    )
    constraints = (
        ValueRange("north_facing", "north_facing", max=0.0),
        setback("settlements", "settlements", 500),
        setback("homesteads", "homesteads", 200),
        setback("roads", "roads", 100),
        setback("railways", "railways", 150),
        setback("power_lines", "power_lines", 200),
        setback("airport", "airport", 5_000),
        setback("protected_areas", "protected_areas", 1_000),
        setback("water", "water", 200),
        Categories("land_cover_excluded", "land_cover", exclude=(50, 80, 90)),
        ValueRange("steep_slope", "slope_pct", max=max_slope_pct),
    )
    sources = {
        **ESAI_SOURCES,
        "pv_yield": "as solar_pv: GLAES GHI scores converted to yield (methods.md §4)",
        "sand_control": HOBQ + "; mobile sand and bare land benefit most (SAND_CONTROL_LAND_COVER)",
        "degradation": "ESAI classes (Kosmas et al. 1999): 1.17 → 0, 1.53 → 1",
        "grid_distance": GLAES_GRID,
        "slope": "as solar_pv",
        "north_facing": "GLAES: north-facing slopes ≥ 3° excluded",
        **{
            k: f"{GLAES} (as solar_pv)"
            for k in (
                "settlements",
                "roads",
                "railways",
                "power_lines",
                "airport",
                "protected_areas",
                "water",
            )
        },
        "homesteads": "steppe_geo default: 200 m",
        "land_cover_excluded": "built-up, water, wetland",
        "steep_slope": f"slopes > {max_slope_pct:g} % excluded",
    }
    params = {**esai_parameters(**parameters), "performance_ratio": performance_ratio, "poa_gain": poa_gain}
    return Model(
        name="pv_sand_control",
        description="PV with sand-control co-benefit: PV on degraded mobile sand near the grid",
        inputs=(
            *ESAI_INPUTS,
            "ghi",
            *SITING_INPUTS,
        ),
        derivations=derivations,
        criteria=criteria,
        constraints=constraints,
        rule="wlc",
        parameters=params,
        sources=sources,
    )
