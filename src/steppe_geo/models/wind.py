"""Onshore wind siting preset (:func:`wind_onshore`)."""

from __future__ import annotations

from steppe_geo.mcda import Categorical, Criterion, Linear, PiecewiseLinear, ValueRange
from steppe_geo.models._siting import (
    GLAES,
    GLAES_GRID,
    REVX_TIP,
    SITING_INPUTS,
    distance_derivations,
    grid_access_criterion,
    setback,
    slope_limit,
)
from steppe_geo.models.model import Derivation, Model

__all__ = ["WIND_LAND_COVER", "wind_onshore"]

WIND_LAND_COVER = {
    10: 0.2,
    20: 0.8,
    30: 1.0,
    40: 0.5,
    50: 0.0,
    60: 1.0,
    80: 0.0,
    90: 0.0,
    101: 1.0,
    102: 0.8,
    103: 0.3,
    104: 0.8,
}
"""Land-cover preference for wind turbines (WorldCover + steppe codes): open, low land preferred.

steppe_geo default (open grassland and bare land have low roughness and few conflicts; plantations and
shelterbelts raise roughness; water, wetland and built-up are unsuitable)."""


def wind_onshore(
    *,
    hub_height_m: float = 115.0,
    rotor_diameter_m: float = 170.0,
    shear_exponent: float = 1 / 7,
    reference_height_m: float = 100.0,
) -> Model:
    """Onshore wind suitability: resource at hub height, slope, grid and road access, land cover.

    Parameters
    ----------
    hub_height_m, rotor_diameter_m : float
        Reference turbine (6 MW, 170 m rotor, 115 m hub; NREL reV, methods.md §3). Tip height =
        hub + rotor / 2 sets the tip-height-multiple setbacks.
    shear_exponent : float
        Power-law α for the hub-height extrapolation (1/7, open terrain).
    reference_height_m : float
        Height of the wind-speed input (100 m for Global Wind Atlas).

    Returns
    -------
    Model
        Inputs ``wind_speed_100m, dem, land_cover, power_lines, roads`` and the setback layers.
    """
    params = {
        "hub_height_m": hub_height_m,
        "rotor_diameter_m": rotor_diameter_m,
        "shear_exponent": shear_exponent,
        "reference_height_m": reference_height_m,
    }
    derivations = (
        Derivation(
            "wind_speed_hub",
            "hub_height_speed",
            ("wind_speed_100m",),
            {
                "hub_height_m": "$hub_height_m",
                "reference_height_m": "$reference_height_m",
                "shear_exponent": "$shear_exponent",
            },
        ),
        Derivation("slope_deg", "slope", ("dem",), {"units": "degrees"}),
        *distance_derivations(
            {
                "power_lines": 25_000,
                "roads": 12_000,
                "settlements": 2_000,
                "homesteads": 2_000,
                "railways": 2_000,
                "airport": 6_000,
                "protected_areas": 2_000,
                "water": 1_000,
            }
        ),
    )
    criteria = (
        Criterion("wind_speed", PiecewiseLinear((4.5, 5.0, 8.0), (0.0, 0.5, 1.0)), 0.40, "wind_speed_hub"),
        grid_access_criterion(0.20),
        Criterion("road_access", Linear(low=10_000.0, high=0.0), 0.10, "distance_roads_m"),
        Criterion("slope", Linear(low=15.0, high=0.0), 0.10, "slope_deg"),
        Criterion("land_cover", Categorical(WIND_LAND_COVER), 0.20, "land_cover"),
    )
    constraints = (
        ValueRange("min_wind_speed", "wind_speed_100m", min=4.5),
        setback("settlements", "settlements", 500),
        setback("homesteads", "homesteads", 500),
        setback("roads", "roads", 1),
        setback("railways", "railways", 1),
        setback("power_lines", "power_lines", 1),
        setback("airport", "airport", 5_000),
        setback("protected_areas", "protected_areas", 1_000),
        setback("water", "water", 400),
        slope_limit("steep_slope", "slope_deg", 15.0),
    )
    sources = {
        "wind_speed": "GLAES: 5 m/s → 0.5, 8 m/s → 1; excluded below 4.5 m/s at 100 m (methods.md §3)",
        "grid_distance": GLAES_GRID,
        "road_access": "steppe_geo default: linear 0 km → 1, 10 km → 0 (access for turbine transport)",
        "slope": "steppe_geo default: linear 0° → 1, 15° → 0 (verify for the site's cranes and roads)",
        "land_cover": "steppe_geo default, see WIND_LAND_COVER",
        "min_wind_speed": "GLAES: < 4.5 m/s at 100 m excluded (methods.md §3)",
        "settlements": f"{GLAES}: 500 m (Höltinger 2016: 1000–2000 m)",
        "homesteads": "steppe_geo default: herder homesteads treated as dwellings, 500 m like settlements "
        "(GLAES)",
        "roads": f"1.1 × tip height; {REVX_TIP} (GLAES: 200/100 m)",
        "railways": f"1.1 × tip height; {REVX_TIP} (GLAES: 150 m)",
        "power_lines": f"1.1 × tip height; {REVX_TIP} (GLAES: 200 m)",
        "airport": f"{GLAES}: airports 5000 m",
        "protected_areas": f"{GLAES}: parks 1000 m; nature reserve and ecological red lines fully excluded",
        "water": f"{GLAES}: lakes 400 m",
        "steep_slope": "steppe_geo default: slopes > 15° excluded (verify)",
        "hub_height_m": "NREL reV reference turbine: 115 m hub (methods.md §3)",
        "rotor_diameter_m": "NREL reV reference turbine: 170 m rotor (methods.md §3)",
        "shear_exponent": "1/7, neutral stability over open terrain (methods.md §3)",
    }
    return Model(
        name="wind_onshore",
        description="Onshore wind suitability (weighted linear combination after exclusions)",
        inputs=(
            "wind_speed_100m",
            "dem",
            "land_cover",
            *SITING_INPUTS,
        ),
        derivations=derivations,
        criteria=criteria,
        constraints=constraints,
        rule="wlc",
        parameters=params,
        tip_height_setbacks={"roads": 1.1, "railways": 1.1, "power_lines": 1.1},
        sources=sources,
    )
