"""Desertification risk presets: MEDALUS ESAI (Kosmas et al. 1999) and China's sensitivity index.

The presets :func:`desertification_esai` and :func:`desertification_china` with their derivations,
parameters and sources. The science they use lives in :mod:`~steppe_geo.models.desertification_tables`
(score tables and lookups) and :mod:`~steppe_geo.models.desertification_indices` (quality indices,
ESAI, China's index, classes), on the table types of :mod:`~steppe_geo.models.score_tables`; every
public name of those three that this module had before the split is still importable from here.

See ``docs/models.md`` for the formulas, the tables and their sources.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from steppe_geo._validation import parse_choice
from steppe_geo.errors import InvalidParameterError
from steppe_geo.mcda import Criterion, Linear
from steppe_geo.models.derivations import Derivation
from steppe_geo.models.desertification_indices import (
    ESA_BREAKS,
    ESA_LABELS,
    ReducedQualityIndexWarning,
    china_grade,
    china_sensitivity,
    classify_china,
    classify_esa,
    climate_quality,
    esai,
    geometric_mean,
    grazing_density,
    management_quality,
    soil_quality,
    vegetation_quality,
)
from steppe_geo.models.desertification_tables import (
    ARIDITY_BGI,
    ARIDITY_PPET,
    CHINA_DRYNESS,
    CHINA_GRADE_BREAKS,
    CHINA_HUMIDITY,
    CHINA_SENSITIVITY_LABELS,
    CHINA_TABLES,
    CHINA_UNVERIFIED,
    CHINA_VEGETATION_COVER,
    CHINA_WIND_DAYS,
    DROUGHT_RESISTANCE,
    DROUGHT_RESISTANCE_BY_MEANING,
    EROSION_PROTECTION,
    EROSION_PROTECTION_BY_MEANING,
    FIRE_RISK,
    FIRE_RISK_BY_MEANING,
    GLOBAL_ESA,
    GRAZING_DENSITY,
    KOSMAS,
    LAND_COVER_NAMES,
    PLANT_COVER,
    POPULATION_DENSITY,
    RAINFALL_GLOBAL_ESA,
    RAINFALL_ORIGINAL,
    ROCK_FRAGMENTS,
    SLOPE,
    SOIL_DEPTH,
    TEXTURE,
    TEXTURE_CHINA,
    TEXTURE_NAMES,
    TEXTURE_NAMES_SAND_FIRST,
    TEXTURE_SAND_FIRST,
    AridityIndex,
    ChinaDrynessIndex,
    DegradationRule,
    LandCoverVariable,
    RainfallLadder,
    TextureCoding,
    aridity_table,
    china_table,
    land_cover_table,
    rainfall_table,
    score_aridity,
    score_aspect,
    score_land_cover,
    score_rainfall,
    tables_used,
    texture_table,
)
from steppe_geo.models.land_cover import DEFAULT_LEGEND
from steppe_geo.models.model import Model
from steppe_geo.models.presets import preset_factory
from steppe_geo.models.score_tables import (
    CategoryTable,
    ScoreTable,
    apply_lookup,
)

__all__ = [
    "ARIDITY_BGI",
    "ARIDITY_PPET",
    "CHINA_DRYNESS",
    "CHINA_GRADE_BREAKS",
    "CHINA_HUMIDITY",
    "CHINA_SENSITIVITY_LABELS",
    "CHINA_TABLES",
    "CHINA_VEGETATION_COVER",
    "CHINA_WIND_DAYS",
    "DROUGHT_RESISTANCE",
    "DROUGHT_RESISTANCE_BY_MEANING",
    "EROSION_PROTECTION",
    "EROSION_PROTECTION_BY_MEANING",
    "ESA_BREAKS",
    "ESA_LABELS",
    "FIRE_RISK",
    "FIRE_RISK_BY_MEANING",
    "GRAZING_DENSITY",
    "LAND_COVER_NAMES",
    "PLANT_COVER",
    "POPULATION_DENSITY",
    "RAINFALL_GLOBAL_ESA",
    "RAINFALL_ORIGINAL",
    "ROCK_FRAGMENTS",
    "SLOPE",
    "SOIL_DEPTH",
    "TEXTURE",
    "TEXTURE_CHINA",
    "TEXTURE_NAMES",
    "TEXTURE_NAMES_SAND_FIRST",
    "TEXTURE_SAND_FIRST",
    "AridityIndex",
    "CategoryTable",
    "ChinaDrynessIndex",
    "DegradationRule",
    "LandCoverVariable",
    "RainfallLadder",
    "ReducedQualityIndexWarning",
    "ScoreTable",
    "TextureCoding",
    "apply_lookup",
    "aridity_table",
    "china_grade",
    "china_sensitivity",
    "china_table",
    "classify_china",
    "classify_esa",
    "climate_quality",
    "desertification_china",
    "desertification_esai",
    "esai",
    "geometric_mean",
    "grazing_density",
    "land_cover_table",
    "management_quality",
    "rainfall_table",
    "score_aridity",
    "score_aspect",
    "score_land_cover",
    "score_rainfall",
    "soil_quality",
    "tables_used",
    "texture_table",
    "vegetation_quality",
]



# ----------------------------------------------------------------------------- presets
ESAI_INPUTS = ("dem", "precipitation", "pet", "soil_texture", "soil_depth", "land_cover", "ndvi", "townships")
"""Input layers of the ESAI chain."""


def esai_derivations() -> tuple[Derivation, ...]:
    """Derivations of slope, aspect, P/PET, plant cover, grazing density, SQI, CQI, VQI, MQI and ESAI."""
    return (
        Derivation("slope_pct", "slope", ("dem",), {"units": "percent"}),
        Derivation("aspect_deg", "aspect", ("dem",)),
        Derivation("aridity", "ratio", ("precipitation", "pet"), {"name": "aridity", "units": "1"}),
        Derivation("plant_cover_pct", "fractional_cover", ("ndvi",), {"percent": True}),
        Derivation("grazing_density", "grazing_density", ("townships",), {"column": "sheep_units"}),
        Derivation("sqi", "sqi", ("soil_texture", "soil_depth", "slope_pct"),
                   {"parent_material_score": "$parent_material_score",
                    "rock_fragments_score": "$rock_fragments_score", "drainage_score": "$drainage_score",
                    "soil_texture_coding": "$soil_texture_coding", "texture_scores": "$texture_scores"}),
        Derivation("cqi", "cqi", ("precipitation", "aridity", "aspect_deg"),
                   {"rainfall_ladder": "$rainfall_ladder", "aridity_index": "p/pet"}),
        Derivation("vqi", "vqi", ("land_cover", "plant_cover_pct"),
                   {"fire_risk_scores": "$fire_risk_scores",
                    "erosion_protection_scores": "$erosion_protection_scores",
                    "drought_resistance_scores": "$drought_resistance_scores",
                    "land_cover_legend": "$land_cover_legend"}),
        Derivation("mqi", "mqi", ("grazing_density",),
                   {"policy_enforcement_score": "$policy_enforcement_score"}),
        Derivation("esai", "esai", ("sqi", "cqi", "vqi", "mqi")),
    )


def _table_overrides(name: str, scores: Mapping[Any, float] | None) -> dict[str, float]:
    if scores is None:
        return {}
    if not isinstance(scores, Mapping):
        raise InvalidParameterError(f"{name} must map class codes to scores, got {scores!r}")
    out = {}
    for k, v in scores.items():
        try:
            code = float(k)
        except (TypeError, ValueError):
            code = math.nan
        if not code.is_integer():
            raise InvalidParameterError(f"{name}: keys must be integer class codes, got {k!r}")
        out[str(int(code))] = v
    return dict(sorted(out.items(), key=lambda kv: int(kv[0])))


def esai_parameters(*, parent_material_score: float = 1.7, rock_fragments_score: float = 2.0,
                    drainage_score: float = 1.0, policy_enforcement_score: float = 1.5,
                    soil_texture_coding: str = "sand-first", rainfall_ladder: str = "global-esa",
                    fire_risk_scores: Mapping[Any, float] | None = None,
                    erosion_protection_scores: Mapping[Any, float] | None = None,
                    drought_resistance_scores: Mapping[Any, float] | None = None,
                    texture_scores: Mapping[Any, float] | None = None,
                    land_cover_legend: str = DEFAULT_LEGEND) -> dict[str, Any]:
    """Parameters of the ESAI chain (validated), with the defaults of :func:`desertification_esai`.

    Raises
    ------
    InvalidParameterError
        A text parameter that is not one of its choices (valid values listed, closest suggested) or a
        lookup table whose keys are not class codes.
    """
    parse_choice(TextureCoding, soil_texture_coding, param="soil_texture_coding")
    parse_choice(RainfallLadder, rainfall_ladder, param="rainfall_ladder")
    return {"parent_material_score": parent_material_score, "rock_fragments_score": rock_fragments_score,
            "drainage_score": drainage_score, "policy_enforcement_score": policy_enforcement_score,
            "soil_texture_coding": soil_texture_coding, "rainfall_ladder": rainfall_ladder,
            "fire_risk_scores": _table_overrides("fire_risk_scores", fire_risk_scores),
            "erosion_protection_scores": _table_overrides("erosion_protection_scores",
                                                          erosion_protection_scores),
            "drought_resistance_scores": _table_overrides("drought_resistance_scores",
                                                          drought_resistance_scores),
            "texture_scores": _table_overrides("texture_scores", texture_scores),
            "land_cover_legend": land_cover_legend}


_TABLE_PARAM_SOURCE = ("codes → score added to / replacing the steppe default table (docs/models.md); "
                       "empty = the default table")

ESAI_SOURCES = {
    "esai": f"ESAI = (SQI·CQI·VQI·MQI)^(1/4), {KOSMAS}; score rescaled 1 → 0, 2 → 1",
    "sqi": f"{KOSMAS}; texture, depth and slope from layers, the other three from parameters",
    "cqi": f"{KOSMAS}, with the finer rainfall and P/PET ladders of {GLOBAL_ESA}",
    "vqi": f"{KOSMAS}; fire/erosion/drought from steppe land-cover tables (steppe_geo adaptation, "
           "docs/models.md)",
    "mqi": "MEDALUS grazing variant: sheep units/km² from the township census × policy enforcement "
           f"({KOSMAS})",
    "parent_material_score": "1.7 = 'moderate' (aeolian sand and loess over sandstone; verify locally)",
    "rock_fragments_score": "2.0 = < 20 % rock fragments (sandy soils of the Ordos plateau)",
    "drainage_score": "1.0 = well drained (sandy soils)",
    "policy_enforcement_score": "1.5 = moderate enforcement of grazing bans (verify locally)",
    "soil_texture_coding": "'sand-first' = the sample dataset; 'openlandmap' for SoilGrids/OpenLandMap maps",
    "rainfall_ladder": f"'global-esa' = the finer dryland ladder of {GLOBAL_ESA}; 'original' = {KOSMAS}",
    "fire_risk_scores": f"fire risk by land cover: {_TABLE_PARAM_SOURCE}",
    "erosion_protection_scores": f"erosion protection by land cover: {_TABLE_PARAM_SOURCE}",
    "drought_resistance_scores": f"drought resistance by land cover: {_TABLE_PARAM_SOURCE}",
    "texture_scores": f"MEDALUS texture score by texture code (in the layer's coding): {_TABLE_PARAM_SOURCE}",
    "land_cover_legend": "coding of the land_cover layer: a built-in legend (ESA WorldCover by default; ESA "
                         "CCI-LC, "
                         "MODIS IGBP, USGS NLCD, China's CLCD), each from its product documentation "
                         "(steppe_geo.models.land_cover, docs/models.md)",
}


def _esai_model(**parameters: Any) -> Model:
    return Model(
        name="desertification_esai", description="MEDALUS environmentally sensitive areas index",
        inputs=ESAI_INPUTS, derivations=esai_derivations(),
        criteria=(Criterion("esai", Linear(low=1.0, high=2.0), 1.0, "esai"),),
        constraints=(), rule="wlc", parameters=esai_parameters(**parameters), sources=ESAI_SOURCES,
        preset="desertification_esai",
    )


@preset_factory
def desertification_esai(*, parent_material_score: float = 1.7, rock_fragments_score: float = 2.0,
                         drainage_score: float = 1.0, policy_enforcement_score: float = 1.5,
                         soil_texture_coding: str = "sand-first", rainfall_ladder: str = "global-esa",
                         fire_risk_scores: Mapping[Any, float] | None = None,
                         erosion_protection_scores: Mapping[Any, float] | None = None,
                         drought_resistance_scores: Mapping[Any, float] | None = None,
                         texture_scores: Mapping[Any, float] | None = None,
                         land_cover_legend: str = DEFAULT_LEGEND) -> Model:
    """MEDALUS ESAI desertification-risk model; the score is the ESAI rescaled to 0..1 (1.0 → 0, 2.0 → 1).

    Parameters
    ----------
    parent_material_score, rock_fragments_score, drainage_score : float
        Constant MEDALUS scores (1–2) for the soil variables the inputs lack: 1.7 (moderate parent
        material), 2.0 (< 20 % rock fragments), 1.0 (well drained).
    policy_enforcement_score : float
        MQI policy enforcement score (1–2), default 1.5.
    soil_texture_coding : {"sand-first", "openlandmap"}
        How the ``soil_texture`` layer numbers the USDA classes (:class:`TextureCoding`).
    rainfall_ladder : {"global-esa", "original"}
        The finer Global-ESA rainfall ladder (default, for drylands) or Kosmas' three classes.
    fire_risk_scores, erosion_protection_scores, drought_resistance_scores : mapping code → score, optional
        Land-cover codes and scores added to (or replacing entries of) the steppe tables
        :data:`FIRE_RISK`, :data:`EROSION_PROTECTION`, :data:`DROUGHT_RESISTANCE`, e.g. ``{70: 1.3}``
        for a class the default tables lack. Stored as ``{"70": 1.3}`` (TOML tables).
    texture_scores : mapping code → score, optional
        Texture codes (in ``soil_texture_coding``) and MEDALUS texture scores added to the table.
    land_cover_legend : str
        How the ``land_cover`` layer is coded (``"worldcover"`` default, ``"esa-cci"``, ``"modis-igbp"``,
        ``"nlcd"``, ``"clcd"``): the three land-cover tables are written in its codes.

    Returns
    -------
    Model
        ``run_model`` also returns the layers ``sqi``, ``cqi``, ``vqi``, ``mqi``, ``esai`` and ``esa_class``.

    Raises
    ------
    InvalidParameterError
        An unknown parameter name, a value out of range or not one of the choices.

    Examples
    --------
    >>> from steppe_geo.models import desertification_esai
    >>> m = desertification_esai(rainfall_ladder="original", fire_risk_scores={70: 1.3})
    >>> m.parameters["fire_risk_scores"]["70"]
    1.3
    >>> m.criterion_names
    ['esai']
    >>> desertification_esai(rainfall_ladder="globl")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    steppe_geo.errors.InvalidParameterError: ... unknown value 'globl'; did you mean 'global-esa'? ...
    """
    return _esai_model(
        parent_material_score=parent_material_score, rock_fragments_score=rock_fragments_score,
        drainage_score=drainage_score, policy_enforcement_score=policy_enforcement_score,
        soil_texture_coding=soil_texture_coding, rainfall_ladder=rainfall_ladder,
        fire_risk_scores=fire_risk_scores, erosion_protection_scores=erosion_protection_scores,
        drought_resistance_scores=drought_resistance_scores, texture_scores=texture_scores,
        land_cover_legend=land_cover_legend,
    )




CHINA_SOURCES = {
    "sensitivity": "D = (I·W·K·C)^(1/4), each factor graded 1/3/5/7/9 (《生态功能区划暂行规程》, SEPA 2003; "
                   "formula as reproduced by Wei et al. 2021, J. Geogr. Sci.); score = (D − 1) / 8; "
                   f"{CHINA_UNVERIFIED}",
    "dryness_grade": "", "wind_grade": CHINA_WIND_DAYS.source, "texture_grade": TEXTURE_CHINA.source,
    "cover_grade": CHINA_VEGETATION_COVER.source,
    "windy_days": "winter–spring days = 182 × Weibull P(V > threshold), with the 100 m mean speed brought "
                  "to 10 m by the power law (α = 1/7) and the shape k of the weibull_k input",
    "china_sensitivity": "classes (classify_china): < 2 not sensitive, [2, 4) slight, [4, 6) moderate, "
                         f"[6, 8) high, ≥ 8 extreme; {CHINA_UNVERIFIED}",
    "degradation_rule": "'none'; 'mean': a significant negative NDVI trend enters D as a fifth factor (9/1); "
                        "'one-out-all-out': a degrading pixel takes grade 9 (the trends.earth rule, "
                        "UNCCD Good Practice Guidance for SDG indicator 15.3.1, 2021)",
    "soil_texture_coding": "'sand-first' = the sample dataset; 'openlandmap' for SoilGrids/OpenLandMap maps",
    "windy_days_threshold_ms": "6 m/s: 冬春季大于 6 m/s 大风天数 of the 规程 (as commonly reproduced)",
    "trend_alpha": "Mann–Kendall significance level 0.05 (Theil–Sen slope, steppe_geo.criteria.trend)",
    "dryness_index": "'p/pet': the humidity index P/PET from the precipitation and pet inputs, graded with "
                     "CHINA_HUMIDITY (UNEP aridity zones); 'dryness': an input layer 'dryness' = "
                     "0.16·ΣT≥10°C / ΣP graded with CHINA_DRYNESS",
    "texture_grades": "texture codes (in the layer's coding) → K grade, added to / replacing TEXTURE_CHINA; "
                      "empty = the default table",
}


@preset_factory
def desertification_china(*, degradation_rule: str = "none", soil_texture_coding: str = "sand-first",
                          windy_days_threshold_ms: float = 6.0, trend_alpha: float = 0.05,
                          dryness_index: str = "p/pet",
                          texture_grades: Mapping[Any, float] | None = None) -> Model:
    """China's desertification sensitivity index D = (I·W·K·C)^(1/4); score = (D − 1) / 8.

    I grades dryness: by default the humidity index P/PET (湿润指数) from ``precipitation`` and ``pet``
    with the UNEP aridity zones 0.05/0.20/0.50/0.65 (:data:`CHINA_HUMIDITY`); with
    ``dryness_index="dryness"`` an input layer ``dryness`` = 0.16·ΣT≥10 °C / ΣP with the breaks
    1.0/1.5/4.0/16 (:data:`CHINA_DRYNESS`). W grades the winter–spring days with wind > 6 m/s estimated
    from the Weibull wind climate, K the soil texture, C the fractional vegetation cover of the mean NDVI.

    **The grade breakpoints are not verified against the primary text** of the 《生态功能区划暂行规程》
    (SEPA 2003): they follow its common reproductions in the secondary literature (see
    ``docs/models.md``). The dryness/humidity breaks are the UNEP aridity zones, consistent with the
    dryness-index ladder by the relations of 林业部调查规划设计院 (1996), 中国沙漠 16(1).

    Parameters
    ----------
    degradation_rule : {"none", "mean", "one-out-all-out"}
        Whether and how a significant negative NDVI trend (Mann–Kendall p < ``trend_alpha``) enters.
    soil_texture_coding : {"sand-first", "openlandmap"}
    windy_days_threshold_ms : float
        Wind speed at 10 m above which a day is windy (6 m/s).
    trend_alpha : float
    dryness_index : {"p/pet", "dryness"}
    texture_grades : mapping code → grade, optional
        Texture codes and K grades added to / replacing :data:`TEXTURE_CHINA`.

    Returns
    -------
    Model
        ``run_model`` also returns the layers of the four grades, ``china_sensitivity`` (D) and
        ``china_sensitivity_class`` (1–5, :func:`classify_china`).

    Examples
    --------
    >>> from steppe_geo.models import desertification_china
    >>> m = desertification_china(degradation_rule="one-out-all-out")
    >>> m.inputs
    ('precipitation', 'pet', 'wind_speed_100m', 'weibull_k', 'soil_texture', 'ndvi')
    >>> [d.name for d in m.derivations][-2:]
    ['ndvi_degraded', 'china_sensitivity']
    >>> desertification_china(dryness_index="dryness").inputs[0]
    'dryness'
    """
    rule = parse_choice(DegradationRule, degradation_rule, param="degradation_rule")
    parse_choice(TextureCoding, soil_texture_coding, param="soil_texture_coding")
    dry = parse_choice(ChinaDrynessIndex, dryness_index, param="dryness_index")
    if dry is ChinaDrynessIndex.P_PET:
        climate_inputs: tuple[str, ...] = ("precipitation", "pet")
        derivs = [
            Derivation("humidity_index", "ratio", ("precipitation", "pet"),
                       {"name": "humidity_index", "units": "1"}),
            Derivation("dryness_grade", "china_grade", ("humidity_index",), {"table": "humidity_index"}),
        ]
        dryness_source = CHINA_HUMIDITY.source
    else:
        climate_inputs = ("dryness",)
        derivs = [Derivation("dryness_grade", "china_grade", ("dryness",), {"table": "dryness"})]
        dryness_source = CHINA_DRYNESS.source
    derivs += [
        Derivation("windy_days", "windy_days", ("wind_speed_100m", "weibull_k"),
                   {"windy_days_threshold_ms": "$windy_days_threshold_ms"}),
        Derivation("wind_grade", "china_grade", ("windy_days",), {"table": "wind_days"}),
        Derivation("texture_grade", "china_grade", ("soil_texture",),
                   {"table": "texture", "soil_texture_coding": "$soil_texture_coding",
                    "texture_grades": "$texture_grades"}),
        Derivation("plant_cover_pct", "fractional_cover", ("ndvi",), {"percent": True}),
        Derivation("cover_grade", "china_grade", ("plant_cover_pct",), {"table": "vegetation_cover"}),
    ]
    grades = ["dryness_grade", "wind_grade", "texture_grade", "cover_grade"]
    if rule is not DegradationRule.NONE:
        derivs.append(Derivation("ndvi_degraded", "trend_degraded", ("ndvi",),
                                 {"trend_alpha": "$trend_alpha"}))
        grades.append("ndvi_degraded")
    derivs.append(Derivation("china_sensitivity", "china_sensitivity", tuple(grades),
                             {"degradation_rule": "$degradation_rule"}))
    return Model(
        name="desertification_china", description="China's desertification sensitivity index (I·W·K·C)^(1/4)",
        inputs=(*climate_inputs, "wind_speed_100m", "weibull_k", "soil_texture", "ndvi"),
        derivations=tuple(derivs),
        criteria=(Criterion("sensitivity", Linear(low=1.0, high=9.0), 1.0, "china_sensitivity"),),
        parameters={"degradation_rule": rule.value, "soil_texture_coding": soil_texture_coding,
                    "windy_days_threshold_ms": windy_days_threshold_ms, "trend_alpha": trend_alpha,
                    "dryness_index": dry.value,
                    "texture_grades": _table_overrides("texture_grades", texture_grades)},
        sources={**CHINA_SOURCES, "dryness_grade": dryness_source},
        preset="desertification_china",
    )
