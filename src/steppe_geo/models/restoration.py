"""Restoration priority and the PV-with-sand-control co-benefit model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from steppe_geo.mcda import Categorical, Categories, Criterion, Linear, PiecewiseLinear, ValueRange
from steppe_geo.models._siting import (
    GLAES,
    GLAES_GRID,
    SITING_INPUTS,
    distance_derivations,
    grid_access_criterion,
    legend_for,
    legend_source,
    siting_setbacks,
)
from steppe_geo.models.desertification import (
    ESAI_INPUTS,
    ESAI_SOURCES,
    esai_derivations,
    esai_parameters,
)
from steppe_geo.models.desertification_tables import KOSMAS
from steppe_geo.models.land_cover import DEFAULT_LEGEND
from steppe_geo.models.model import Model
from steppe_geo.models.presets import preset_factory
from steppe_geo.models.sand_drift import DRIFT_SOURCE, sand_drift_criterion, sand_drift_derivations
from steppe_geo.models.solar import (
    SOLAR_CAPACITY,
    SOLAR_EXCLUDED_LAND_COVER,
    SOLAR_SOURCES,
    solar_derivations,
    solar_parameters,
    solar_yield_breaks,
)

__all__ = [
    "NOT_RESTORABLE_LAND_COVER",
    "SAND_CONTROL_LAND_COVER",
    "SAND_CONTROL_LAND_COVER_BY_MEANING",
    "pv_sand_control",
    "restoration_priority",
]

ESA_RISK = PiecewiseLinear((1.17, 1.53), (0.0, 1.0))
"""ESAI → risk: 0 at the N/P boundary (1.17), 1 at the start of C3 (1.53)."""

SAND_CONTROL_LAND_COVER_BY_MEANING = {
    "tree_cover": 0.0,
    "shrubland": 0.3,
    "grassland": 0.2,
    "cropland": 0.0,
    "built_up": 0.0,
    "bare_sparse": 1.0,
    "snow_ice": 0.0,
    "water": 0.0,
    "wetland": 0.0,
    "moss_lichen": 0.2,
    "typical_steppe": 0.2,
    "artemisia_shrub": 0.3,
    "sand_fixing_plantation": 0.1,
    "mobile_sand": 1.0,
}
"""Sand-control benefit of panels by land-cover meaning: mobile sand / bare land 1, vegetated steppe low."""

SAND_CONTROL_LAND_COVER = legend_for(DEFAULT_LEGEND).scores(SAND_CONTROL_LAND_COVER_BY_MEANING)
""":data:`SAND_CONTROL_LAND_COVER_BY_MEANING` in ESA WorldCover codes (+ steppe classes 101–104)."""

NOT_RESTORABLE_LAND_COVER = ("built_up", "snow_ice", "water")
"""Land-cover meanings restoration excludes (constraint ``not_restorable``)."""

HOBQ = (
    "Hobq/Kubuqi field studies: PV arrays reduce sand transport by 35–88 % depending on wind angle "
    "(Journal of Arid Land 2021, utility-scale PV array in the Hobq Desert); gravel + clay under panels "
    "−87 % (Wang et al. 2021, Land Degrad. Dev., doi:10.1002/ldr.3839); see docs/models.md"
)
UNEP = "UNEP (1992), World Atlas of Desertification: aridity zones by P/PET"


@preset_factory
def restoration_priority(
    *,
    parent_material_score: float = 1.7,
    rock_fragments_score: float = 2.0,
    drainage_score: float = 1.0,
    policy_enforcement_score: float = 1.5,
    soil_texture_coding: str = "sand-first",
    rainfall_ladder: str = "global-esa",
    fire_risk_scores: Mapping[Any, float] | None = None,
    erosion_protection_scores: Mapping[Any, float] | None = None,
    drought_resistance_scores: Mapping[Any, float] | None = None,
    texture_scores: Mapping[Any, float] | None = None,
    land_cover_legend: str = DEFAULT_LEGEND,
) -> Model:
    """Restoration priority = risk × feasibility × value (weighted product).

    risk: ESAI (N → 0, C3 → 1); feasibility: water (P/PET, 0.05 → 0, 0.5 → 1) and access (distance to
    roads, 15 km → 0); value: closeness to settlements (people and pastures protected, 20 km → 0).

    Parameters
    ----------
    parent_material_score, rock_fragments_score, drainage_score, policy_enforcement_score, \
soil_texture_coding, rainfall_ladder, fire_risk_scores, erosion_protection_scores, \
drought_resistance_scores, texture_scores, land_cover_legend
        ESAI-chain parameters, as :func:`steppe_geo.models.desertification_esai`; the legend also
        codes the ``not_restorable`` constraint (built-up, permanent snow and ice, water).

    Returns
    -------
    Model

    Examples
    --------
    >>> from steppe_geo.models import restoration_priority
    >>> m = restoration_priority(policy_enforcement_score=1.2)
    >>> m.criterion_names, m.rule
    (['risk', 'water', 'access', 'value'], 'weighted-product')
    """
    derivations = (*esai_derivations(), *distance_derivations({"roads": 20_000, "settlements": 25_000}))
    criteria = (
        Criterion("risk", ESA_RISK, 0.4, "esai"),
        Criterion("water", Linear(low=0.05, high=0.5), 0.2, "aridity"),
        Criterion("access", Linear(low=15_000.0, high=0.0), 0.2, "distance_roads_m"),
        Criterion("value", Linear(low=20_000.0, high=0.0), 0.2, "distance_settlements_m"),
    )
    legend = legend_for(land_cover_legend)
    constraints = (
        Categories("not_restorable", "land_cover", exclude=legend.codes_for(NOT_RESTORABLE_LAND_COVER)),
    )
    sources = {
        **ESAI_SOURCES,
        "risk": f"ESAI classes ({KOSMAS}): 1.17 (N/P) → 0, 1.53 (C3) → 1",
        "water": f"{UNEP}: 0.05 (hyper-arid/arid) → 0, 0.5 (semi-arid/dry sub-humid) → 1",
        "access": "steppe_geo default: 0 km → 1, 15 km → 0",
        "value": "steppe_geo default: 0 km → 1, 20 km → 0 from settlements",
        "not_restorable": "built-up, permanent snow and ice, permanent water (in the codes of the "
        "land_cover_legend)",
        "land_cover_legend": legend_source(legend),
    }
    return Model(
        name="restoration_priority",
        description="Restoration priority: risk × feasibility × value",
        inputs=(*ESAI_INPUTS, "roads", "settlements"),
        derivations=derivations,
        criteria=criteria,
        constraints=constraints,
        rule="weighted-product",
        parameters=esai_parameters(
            parent_material_score=parent_material_score, rock_fragments_score=rock_fragments_score,
            drainage_score=drainage_score, policy_enforcement_score=policy_enforcement_score,
            soil_texture_coding=soil_texture_coding, rainfall_ladder=rainfall_ladder,
            fire_risk_scores=fire_risk_scores, erosion_protection_scores=erosion_protection_scores,
            drought_resistance_scores=drought_resistance_scores, texture_scores=texture_scores,
            land_cover_legend=land_cover_legend,
        ),
        sources=sources,
        preset="restoration_priority",
    )


@preset_factory
def pv_sand_control(
    *,
    performance_ratio: float = 0.80,
    poa_gain: float = 1.15,
    max_slope_pct: float = 10.0,
    road_setbacks_m: Mapping[str, float] | None = None,
    road_class_column: str = "class",
    river_width_column: str = "width_m",
    parent_material_score: float = 1.7,
    rock_fragments_score: float = 2.0,
    drainage_score: float = 1.0,
    policy_enforcement_score: float = 1.5,
    soil_texture_coding: str = "sand-first",
    rainfall_ladder: str = "global-esa",
    fire_risk_scores: Mapping[Any, float] | None = None,
    erosion_protection_scores: Mapping[Any, float] | None = None,
    drought_resistance_scores: Mapping[Any, float] | None = None,
    texture_scores: Mapping[Any, float] | None = None,
    land_cover_legend: str = DEFAULT_LEGEND,
    sand_drift: str = "none",
    drift_reference_height_m: float = 10.0,
) -> Model:
    """PV with a sand-control co-benefit: PV on degraded, mobile sand near the grid.

    Criteria: PV yield, sand-control benefit by land cover (mobile sand / bare 1), desertification risk
    (ESAI), grid access (GLAES) and slope; the solar constraints (exact setbacks, north-facing slopes
    ≥ 3°, steep slopes, built-up/water) apply.

    Parameters
    ----------
    performance_ratio, poa_gain, max_slope_pct, road_setbacks_m, road_class_column, river_width_column
        As :func:`steppe_geo.models.solar_pv`.
    parent_material_score, rock_fragments_score, drainage_score, policy_enforcement_score, \
soil_texture_coding, rainfall_ladder, fire_risk_scores, erosion_protection_scores, \
drought_resistance_scores, texture_scores
        ESAI-chain parameters, as :func:`steppe_geo.models.desertification_esai`.
    land_cover_legend : str
        Coding of the ``land_cover`` layer (as :func:`steppe_geo.models.solar_pv`): the sand-control
        criterion, the land-cover exclusion and the ESAI land-cover tables use its codes.
    sand_drift : {"none", "raster", "series"}
        Adds the ``sand_drift`` criterion (PV where the drift the rows would cut is high; weight 0.15,
        0 VU → 0, 400 VU → 1, Fryberger & Dean's high-energy threshold): from the input raster
        ``sand_drift_potential`` (VU; best the drift crossing east–west rows, ``steppe-geo drift
        STACK --out``), or derived from the inputs ``wind_speed_series`` and
        ``wind_direction_series`` (band stacks; drift crossing east–west rows). Default ``"none"``:
        the model without it. See ``docs/drift.md``.
    drift_reference_height_m : float
        Height of ``wind_speed_series`` above ground (m), brought to 10 m by the log law.

    Returns
    -------
    Model
        Capacity density 36 MW/km² DC (``metadata``), as ``solar_pv``. With sand drift the weights are
        PV yield 0.25, sand control 0.20, sand drift 0.15, degradation 0.10, grid access 0.20, slope 0.10.

    Examples
    --------
    >>> from steppe_geo.models import pv_sand_control
    >>> m = pv_sand_control(performance_ratio=0.5)
    >>> [round(x) for x in m.criteria[0].function.xs]  # 3/4/8 kWh/m²/day × 365 × 1.15 × 0.5
    [630, 839, 1679]
    >>> m.with_parameters(performance_ratio=0.8) == pv_sand_control()
    True
    >>> pv_sand_control(sand_drift="series").criterion_names
    ['pv_yield', 'sand_control', 'degradation', 'grid_distance', 'slope', 'sand_drift']
    """
    b = solar_yield_breaks(performance_ratio=performance_ratio, poa_gain=poa_gain)
    legend = legend_for(land_cover_legend)
    sb = siting_setbacks(solar=True)
    c = {k: con for k, (_, con) in sb.items()}
    derivations = (
        *esai_derivations(),
        *(d for d in solar_derivations(road_cap_m=None) if d.name not in ("slope_pct", "aspect_deg")),
        *(d for d, _ in sb.values()),
    )
    drift_inputs, drift_derivations = sand_drift_derivations(sand_drift,
                                                             reference_height_m=drift_reference_height_m)
    with_drift = bool(drift_inputs)
    derivations = (*derivations, *drift_derivations)
    criteria = (
        Criterion("pv_yield", PiecewiseLinear(b, (0.0, 0.5, 1.0)), 0.25, "pv_yield"),
        Criterion("sand_control", Categorical(legend.scores(SAND_CONTROL_LAND_COVER_BY_MEANING)),
                  0.20 if with_drift else 0.25, "land_cover"),
        Criterion("degradation", ESA_RISK, 0.10 if with_drift else 0.15, "esai"),
        grid_access_criterion(0.20 if with_drift else 0.25),
        Criterion("slope", Linear(low=max_slope_pct, high=0.0), 0.10, "slope_pct"),
        *((sand_drift_criterion(0.15),) if with_drift else ()),
    )
    constraints = (
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
        ValueRange("steep_slope", "slope_pct", max=max_slope_pct),
        c["rivers"],  # added after the first release: appended to keep the older bits
    )
    sources = {
        **ESAI_SOURCES,
        **SOLAR_SOURCES,
        "pv_yield": (
            f"as solar_pv: {GLAES} GHI scores converted to yield with POA gain {poa_gain:g} and PR "
            f"{performance_ratio:g}: {b[0]:.0f}/{b[1]:.0f}/{b[2]:.0f} kWh/kWp/yr"
        ),
        "sand_control": HOBQ + "; mobile sand and bare land benefit most "
        "(SAND_CONTROL_LAND_COVER_BY_MEANING)",
        "land_cover_legend": legend_source(legend),
        "degradation": f"ESAI classes ({KOSMAS}): 1.17 → 0, 1.53 → 1",
        "grid_distance": GLAES_GRID,
        "slope": f"as solar_pv: linear 0 % → 1, {max_slope_pct:g} % → 0",
        "steep_slope": f"slopes > {max_slope_pct:g} % excluded (ground-mounted PV limits mostly 3–10 %)",
        "sand_drift": DRIFT_SOURCE if with_drift else (
            "no sand drift criterion (sand_drift = 'none'); 'raster' or 'series' add it: " + DRIFT_SOURCE),
        "drift_reference_height_m": "height of wind_speed_series above ground, brought to 10 m by the log "
        "law "
        "with z0 = 0.03 m (Wieringa 1992 'open' terrain; docs/drift.md); 10 m = a standard anemometer",
    }
    params = {
        **esai_parameters(
            parent_material_score=parent_material_score, rock_fragments_score=rock_fragments_score,
            drainage_score=drainage_score, policy_enforcement_score=policy_enforcement_score,
            soil_texture_coding=soil_texture_coding, rainfall_ladder=rainfall_ladder,
            fire_risk_scores=fire_risk_scores, erosion_protection_scores=erosion_protection_scores,
            drought_resistance_scores=drought_resistance_scores, texture_scores=texture_scores,
            land_cover_legend=land_cover_legend,
        ),
        **solar_parameters(
            performance_ratio=performance_ratio, poa_gain=poa_gain, max_slope_pct=max_slope_pct,
            road_setbacks_m=road_setbacks_m, road_class_column=road_class_column,
            river_width_column=river_width_column, land_cover_legend=land_cover_legend,
        ),
        "sand_drift": sand_drift,
        "drift_reference_height_m": drift_reference_height_m,
    }
    return Model(
        name="pv_sand_control",
        description="PV with sand-control co-benefit: PV on degraded mobile sand near the grid; capacity "
        "density 36 MW/km² DC",
        inputs=(
            *ESAI_INPUTS,
            "ghi",
            *SITING_INPUTS,
            *drift_inputs,
        ),
        derivations=derivations,
        criteria=criteria,
        constraints=constraints,
        rule="wlc",
        parameters=params,
        sources=sources,
        preset="pv_sand_control",
        metadata=SOLAR_CAPACITY,
    )
