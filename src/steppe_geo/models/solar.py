"""Ground-mounted solar PV siting preset (:func:`solar_pv`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from steppe_geo.mcda import Categorical, Categories, Criterion, Linear, PiecewiseLinear, ValueRange
from steppe_geo.models._siting import (
    GLAES,
    GLAES_GRID,
    ROAD_SETBACKS_M,
    SITING_INPUTS,
    distance_derivations,
    grid_access_criterion,
    legend_for,
    legend_source,
    siting_setbacks,
    siting_sources,
    slope_limit,
)
from steppe_geo.models.derivations import Derivation
from steppe_geo.models.land_cover import DEFAULT_LEGEND
from steppe_geo.models.model import Model
from steppe_geo.models.presets import preset_factory

__all__ = [
    "ROAD_SETBACKS_M",
    "SOLAR_CAPACITY",
    "SOLAR_EXCLUDED_LAND_COVER",
    "SOLAR_LAND_COVER",
    "SOLAR_LAND_COVER_BY_MEANING",
    "solar_pv",
    "solar_yield_breaks",
]

SOLAR_LAND_COVER_BY_MEANING = {
    "tree_cover": 0.0,
    "shrubland": 0.4,
    "grassland": 0.6,
    "cropland": 0.2,
    "built_up": 0.0,
    "bare_sparse": 1.0,
    "snow_ice": 0.0,
    "water": 0.0,
    "wetland": 0.0,
    "moss_lichen": 0.6,
    "typical_steppe": 0.6,
    "artemisia_shrub": 0.4,
    "sand_fixing_plantation": 0.2,
    "mobile_sand": 0.9,
}
"""Land-cover preference for PV by meaning (bare and sparse preferred; steppe_geo default, docs/models.md)."""

SOLAR_LAND_COVER = legend_for(DEFAULT_LEGEND).scores(SOLAR_LAND_COVER_BY_MEANING)
""":data:`SOLAR_LAND_COVER_BY_MEANING` in ESA WorldCover codes (+ steppe classes 101–104)."""

SOLAR_EXCLUDED_LAND_COVER = ("built_up", "snow_ice", "water", "wetland")
"""Land-cover meanings the PV presets exclude (constraint ``land_cover_excluded``)."""


SOLAR_CAPACITY = {
    "capacity_density_mw_per_km2": 36.0,
    "capacity_basis": "DC",
    "capacity_source": "NREL reV default PV capacity density, 36 MW/km² (DC, module nameplate); observed "
    "utility plants average 45.6 MW/km² (PyPSA-Earth issue 361)",
}
"""Capacity density for turning eligible PV area into MW (DC)."""

PR_SOURCE = ("PR ≈ 0.80, typical of modern utility-scale plants (Reich et al. 2012, Performance ratio "
             "revisited, Prog. Photovolt. 20, 717–726)")


def solar_yield_breaks(
    *, performance_ratio: float = 0.80, poa_gain: float = 1.15
) -> tuple[float, float, float]:
    """GLAES GHI scores (3 → excluded, 4 → 0.5, 8 → 1 kWh/m²/day) converted to specific yield (kWh/kWp/yr).

    ``Y = GHI (kWh/m²/day) · 365 · poa_gain · performance_ratio``.

    Examples
    --------
    >>> [round(b) for b in solar_yield_breaks()]  # 3/4/8 × 365 × 1.15 × 0.80
    [1007, 1343, 2686]
    """
    low, mid, high = (g * 365.0 * poa_gain * performance_ratio for g in (3.0, 4.0, 8.0))
    return low, mid, high


def solar_derivations(*, road_cap_m: float | None = 12_000.0) -> tuple[Derivation, ...]:
    """PV yield, slope (° and %), aspect, north-facing flag and the distances for the criteria."""
    caps: dict[str, float] = {"power_lines": 25_000}
    if road_cap_m is not None:
        caps["roads"] = road_cap_m
    return (
        Derivation("pv_yield", "pv_yield", ("ghi",), {"performance_ratio": "$performance_ratio"}),
        Derivation("slope_deg", "slope", ("dem",), {"units": "degrees"}),
        Derivation("slope_pct", "slope", ("dem",), {"units": "percent"}),
        Derivation("aspect_deg", "aspect", ("dem",)),
        Derivation(
            "north_facing",
            "north_facing",
            ("slope_deg", "aspect_deg"),
            {"min_slope_deg": 3.0, "half_width_deg": 45.0},
        ),
        *distance_derivations(caps),
    )


def solar_parameters(
    *,
    performance_ratio: float,
    poa_gain: float,
    max_slope_pct: float,
    road_setbacks_m: Mapping[str, float] | None,
    road_class_column: str,
    river_width_column: str,
    land_cover_legend: str = DEFAULT_LEGEND,
) -> dict[str, Any]:
    """The solar preset parameters, normalised (road setbacks as a ``{class: metres}`` table)."""
    roads = dict(ROAD_SETBACKS_M if road_setbacks_m is None else road_setbacks_m)
    return {
        "performance_ratio": performance_ratio,
        "poa_gain": poa_gain,
        "max_slope_pct": max_slope_pct,
        "road_setbacks_m": {str(k): v for k, v in roads.items()},
        "road_class_column": road_class_column,
        "river_width_column": river_width_column,
        "land_cover_legend": land_cover_legend,
    }


SOLAR_SOURCES = {
    "min_ghi": f"{GLAES}: GHI < 3.0 kWh/m²/day excluded (1095 kWh/m²/yr)",
    "north_facing": f"{GLAES}: north-facing slopes ≥ 3° excluded (aspect within ±45° of north)",
    "land_cover_excluded": "steppe_geo default: built-up, permanent snow and ice, water and wetland "
    "(mangroves included) excluded, in the codes of the land_cover_legend",
    "performance_ratio": PR_SOURCE,
    "poa_gain": (
        "gain used only to convert the GLAES GHI thresholds to yield: 1.15 = "
        "steppe_geo.criteria.poa_gain(1600 kWh/m²/yr, latitude 40.2°, latitude tilt); the pv_yield "
        "layer itself is steppe_geo.criteria.specific_yield at each pixel's latitude"
    ),
    "max_slope_pct": "10 %: ground-mounted PV slope limits are mostly 3–10 % (docs/models.md)",
    "road_setbacks_m": f"{GLAES}: main roads 200 m, secondary roads 100 m; sample road classes mapped "
    "by steppe_geo (expressway/national/provincial main, county/track secondary); '*' = any other class",
    "road_class_column": "the road class column of the roads layer ('' = every road takes the '*' setback)",
    "river_width_column": "the sample rivers carry their channel width in width_m (metres); '' = the "
    "centre lines",
    **siting_sources(solar=True),
}


@preset_factory
def solar_pv(
    *,
    performance_ratio: float = 0.80,
    poa_gain: float = 1.15,
    max_slope_pct: float = 10.0,
    road_setbacks_m: Mapping[str, float] | None = None,
    road_class_column: str = "class",
    river_width_column: str = "width_m",
    land_cover_legend: str = DEFAULT_LEGEND,
) -> Model:
    """Ground-mounted PV suitability: specific yield, slope, grid and road access, land cover.

    Parameters
    ----------
    performance_ratio : float
        PR in (0, 1] (0.80 typical).
    poa_gain : float
        Typical plane-of-array gain (1.15: ``criteria.poa_gain`` at 40.2° N, 1600 kWh/m²/yr), used
        only to convert the GLAES GHI thresholds into yield breaks; the yield layer uses each
        pixel's latitude.
    max_slope_pct : float
        Slopes steeper than this are excluded and the slope criterion falls to 0 there (in (0, 100]).
    road_setbacks_m : mapping road class → metres, optional
        Setback by the value of ``road_class_column`` (default :data:`ROAD_SETBACKS_M`: GLAES main
        roads 200 m, secondary 100 m); a ``"*"`` entry covers every other class.
    road_class_column : str
        Column of ``roads`` holding the class ("" = every road takes the ``"*"`` setback).
    river_width_column : str
        Column of ``rivers`` with the channel width (m): the 200 m setback is measured from the bank.
    land_cover_legend : str
        How the ``land_cover`` layer is coded: ``"worldcover"`` (default), ``"esa-cci"``,
        ``"modis-igbp"``, ``"nlcd"`` or ``"clcd"``; the land-cover criterion and the
        ``land_cover_excluded`` constraint are written in its codes.

    Returns
    -------
    Model
        North-facing slopes ≥ 3° are excluded (GLAES), as are the exact setbacks. Capacity density
        for parcels: 36 MW/km² DC (``metadata``).

    Raises
    ------
    InvalidParameterError
        An unknown parameter name (closest suggested) or a value out of range.

    Examples
    --------
    >>> from steppe_geo.models import solar_pv
    >>> m = solar_pv(performance_ratio=0.75, max_slope_pct=5)
    >>> [round(x, 1) for x in m.criteria[0].function.xs]  # GLAES 3/4/8 kWh/m²/day × 365 × 1.15 × 0.75
    [944.4, 1259.2, 2518.5]
    >>> m.setbacks()["roads"]["distance_m"]["national"]
    200.0
    >>> m.metadata["capacity_basis"]
    'DC'
    """
    params = solar_parameters(performance_ratio=performance_ratio, poa_gain=poa_gain,
                              max_slope_pct=max_slope_pct, road_setbacks_m=road_setbacks_m,
                              road_class_column=road_class_column, river_width_column=river_width_column,
                              land_cover_legend=land_cover_legend)
    legend = legend_for(land_cover_legend)
    b = solar_yield_breaks(performance_ratio=performance_ratio, poa_gain=poa_gain)
    sb = siting_setbacks(solar=True)
    c = {k: con for k, (_, con) in sb.items()}
    derivations = (*solar_derivations(), *(d for d, _ in sb.values()))
    criteria = (
        Criterion("pv_yield", PiecewiseLinear(b, (0.0, 0.5, 1.0)), 0.40, "pv_yield"),
        grid_access_criterion(0.25),
        Criterion("road_access", Linear(low=10_000.0, high=0.0), 0.10, "distance_roads_m"),
        Criterion("slope", Linear(low=max_slope_pct, high=0.0), 0.10, "slope_pct"),
        Criterion("land_cover", Categorical(legend.scores(SOLAR_LAND_COVER_BY_MEANING)), 0.15, "land_cover"),
    )
    constraints = (
        ValueRange("min_ghi", "ghi", min=3.0 * 365.0),
        ValueRange("north_facing", "north_facing", max=0.0),
        c["settlements"],
        c["homesteads"],
        c["roads"],
        c["railways"],
        c["power_lines"],
        c["airport"],
        c["protected_areas"],
        c["water"],
        Categories("land_cover_excluded", "land_cover", exclude=legend.codes_for(SOLAR_EXCLUDED_LAND_COVER)),
        slope_limit("steep_slope", "slope_pct", max_slope_pct),
        c["rivers"],  # added after the first release: appended to keep the older bits
    )
    sources = {
        "pv_yield": (
            f"{GLAES}: GHI scores 4 → 0.5, 8 → 1 kWh/m²/day, converted to yield with POA gain {poa_gain:g} "
            f"and PR {performance_ratio:g}: {b[0]:.0f}/{b[1]:.0f}/{b[2]:.0f} kWh/kWp/yr"
        ),
        "grid_distance": GLAES_GRID + " (wind values, used for PV too)",
        "road_access": "steppe_geo default: linear 0 km → 1, 10 km → 0",
        "slope": f"steppe_geo default: linear 0 % → 1, {max_slope_pct:g} % → 0 (slope limits mostly 3–10 %)",
        "land_cover": "steppe_geo default, bare and sparse preferred (see SOLAR_LAND_COVER_BY_MEANING)",
        "land_cover_legend": legend_source(legend),
        "steep_slope": f"slopes > {max_slope_pct:g} % excluded (ground-mounted PV limits mostly 3–10 %)",
        **SOLAR_SOURCES,
    }
    return Model(
        name="solar_pv",
        description="Ground-mounted PV suitability (weighted linear combination after exclusions); "
        "capacity density 36 MW/km² DC",
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
        preset="solar_pv",
        metadata=SOLAR_CAPACITY,
    )
