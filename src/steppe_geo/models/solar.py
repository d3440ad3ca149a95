"""Ground-mounted solar PV siting preset (:func:`solar_pv`)."""

from __future__ import annotations

from steppe_geo.mcda import Categorical, Categories, Criterion, Linear, PiecewiseLinear, ValueRange
from steppe_geo.models._siting import (
    GLAES,
    GLAES_GRID,
    SITING_INPUTS,
    distance_derivations,
    grid_access_criterion,
    setback,
    slope_limit,
)
from steppe_geo.models.model import Derivation, Model

__all__ = ["SOLAR_LAND_COVER", "solar_pv", "solar_yield_breaks"]

SOLAR_LAND_COVER = {
    10: 0.0,
    20: 0.4,
    30: 0.6,
    40: 0.2,
    50: 0.0,
    60: 1.0,
    80: 0.0,
    90: 0.0,
    101: 0.6,
    102: 0.4,
    103: 0.2,
    104: 0.9,
}
"""Land-cover preference for PV (bare and sparse preferred; steppe_geo default, see docs/models.md)."""


def solar_yield_breaks(
    *, performance_ratio: float = 0.80, poa_gain: float = 1.08
) -> tuple[float, float, float]:
    """GLAES GHI scores (3 → excluded, 4 → 0.5, 8 → 1 kWh/m²/day) converted to specific yield (kWh/kWp/yr)."""
    return tuple(g * 365.0 * poa_gain * performance_ratio for g in (3.0, 4.0, 8.0))  # type: ignore[return-value]


def solar_pv(
    *, performance_ratio: float = 0.80, poa_gain: float = 1.08, max_slope_pct: float = 10.0
) -> Model:
    """Ground-mounted PV suitability: specific yield, slope, grid and road access, land cover.

    Parameters
    ----------
    performance_ratio : float
        PR in (0, 1] (0.80 typical, methods.md §4).
    poa_gain : float
        Typical plane-of-array gain (1.08: ``criteria.poa_gain`` at 40.2° N), used only to convert the
        GLAES GHI thresholds into yield breaks; the yield layer uses each pixel's latitude.
    max_slope_pct : float
        Slopes steeper than this are excluded (methods.md §4: limits mostly 3–10 %).

    Returns
    -------
    Model
        North-facing slopes ≥ 3° are excluded (GLAES), as are the usual setbacks.
    """
    params = {"performance_ratio": performance_ratio, "poa_gain": poa_gain}
    b = solar_yield_breaks(performance_ratio=performance_ratio, poa_gain=poa_gain)
    derivations = (
        Derivation(
            "pv_yield",
            "pv_yield",
            ("ghi",),
            {"performance_ratio": "$performance_ratio"},
        ),
        Derivation("slope_deg", "slope", ("dem",), {"units": "degrees"}),
        Derivation("slope_pct", "slope", ("dem",), {"units": "percent"}),
        Derivation("aspect_deg", "aspect", ("dem",)),
        Derivation(
            "north_facing",
            "north_facing",
            ("slope_deg", "aspect_deg"),
            {"min_slope_deg": 3.0, "half_width_deg": 45.0},
        ),
        *distance_derivations(
            {
                "power_lines": 25_000,
                "roads": 12_000,
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
        Criterion("pv_yield", PiecewiseLinear(b, (0.0, 0.5, 1.0)), 0.40, "pv_yield"),
        grid_access_criterion(0.25),
        Criterion("road_access", Linear(low=10_000.0, high=0.0), 0.10, "distance_roads_m"),
        Criterion("slope", Linear(low=max_slope_pct, high=0.0), 0.10, "slope_pct"),
        Criterion("land_cover", Categorical(SOLAR_LAND_COVER), 0.15, "land_cover"),
    )
    constraints = (
        ValueRange("min_ghi", "ghi", min=3.0 * 365.0),
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
        slope_limit("steep_slope", "slope_pct", max_slope_pct),
    )
    sources = {
        "pv_yield": (
            f"GLAES GHI scores 4 → 0.5, 8 → 1 kWh/m²/day converted to yield with POA gain {poa_gain:g} "
            f"and PR {performance_ratio:g}: {b[0]:.0f}/{b[1]:.0f}/{b[2]:.0f} kWh/kWp/yr (methods.md §4)"
        ),
        "grid_distance": GLAES_GRID + " (wind values, used for PV too)",
        "road_access": "steppe_geo default: linear 0 km → 1, 10 km → 0",
        "slope": f"steppe_geo default: linear 0 % → 1, {max_slope_pct:g} % → 0 (methods.md §4: 3–10 %)",
        "land_cover": "steppe_geo default, bare and sparse preferred (see SOLAR_LAND_COVER)",
        "min_ghi": "GLAES: GHI < 3.0 kWh/m²/day excluded (1095 kWh/m²/yr; methods.md §4)",
        "north_facing": "GLAES: north-facing slopes ≥ 3° excluded (aspect within ±45° of north; "
        "methods.md §4)",
        "settlements": f"{GLAES}: 500 m",
        "homesteads": "steppe_geo default: 200 m from herder homesteads (glare, access; verify locally)",
        "roads": f"{GLAES}: secondary roads 100 m",
        "railways": f"{GLAES}: 150 m",
        "power_lines": f"{GLAES}: 200 m",
        "airport": f"{GLAES}: 5000 m",
        "protected_areas": f"{GLAES}: parks 1000 m; nature reserve and red lines fully excluded",
        "water": f"{GLAES}: rivers 200 m",
        "land_cover_excluded": "built-up, water and wetland excluded",
        "steep_slope": f"slopes > {max_slope_pct:g} % excluded (methods.md §4)",
        "performance_ratio": "PR ≈ 0.80 (methods.md §4)",
        "poa_gain": (
            "gain used only to convert the GLAES GHI thresholds to yield: 1.08 = "
            "steppe_geo.criteria.poa_gain(1600 kWh/m²/yr, latitude 40.2°, latitude tilt); the pv_yield "
            "layer itself is steppe_geo.criteria.specific_yield at each pixel's latitude"
        ),
    }
    return Model(
        name="solar_pv",
        description="Ground-mounted PV suitability (weighted linear combination after exclusions)",
        inputs=(
            "ghi",
            "dem",
            "land_cover",
            *SITING_INPUTS,
        ),
        derivations=derivations,
        criteria=criteria,
        constraints=constraints,
        rule="wlc",
        parameters=params,
        sources=sources,
    )
