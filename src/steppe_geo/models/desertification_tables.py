"""Desertification score tables: MEDALUS ESAI (Kosmas et al. 1999) and China's sensitivity index.

Pure data and lookups: every score table is a :class:`ScoreTable` or :class:`CategoryTable`, applied to
numpy arrays or DataArrays (:mod:`~steppe_geo.models.score_tables`). The text choices of the presets
(texture coding, rainfall ladder, ...) are enums here, and :func:`tables_used` says which tables a
derivation applies.

See ``docs/models.md`` for the tables and their sources.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from steppe_geo._validation import did_you_mean, parse_choice
from steppe_geo.errors import InvalidParameterError
from steppe_geo.models.land_cover import DEFAULT_LEGEND, land_cover_legend
from steppe_geo.models.score_tables import (
    CategoryTable,
    ScoreTable,
    _unwrap,
)

__all__ = [
    "ARIDITY_BGI",
    "ARIDITY_PPET",
    "CHINA_DRYNESS",
    "CHINA_GRADE_BREAKS",
    "CHINA_HUMIDITY",
    "CHINA_SENSITIVITY_LABELS",
    "CHINA_TABLES",
    "CHINA_UNVERIFIED",
    "CHINA_VEGETATION_COVER",
    "CHINA_WIND_DAYS",
    "DROUGHT_RESISTANCE",
    "DROUGHT_RESISTANCE_BY_MEANING",
    "EROSION_PROTECTION",
    "EROSION_PROTECTION_BY_MEANING",
    "FIRE_RISK",
    "FIRE_RISK_BY_MEANING",
    "GLOBAL_ESA",
    "GRAZING_DENSITY",
    "KOSMAS",
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
    "ChinaDrynessIndex",
    "DegradationRule",
    "LandCoverVariable",
    "RainfallLadder",
    "TextureCoding",
    "aridity_table",
    "china_table",
    "land_cover_table",
    "rainfall_table",
    "score_aridity",
    "score_aspect",
    "score_land_cover",
    "score_rainfall",
    "tables_used",
    "texture_table",
]


KOSMAS = ("Kosmas, Kirkby & Geeson (1999), The MEDALUS project: manual on key indicators of desertification "
          "and mapping environmentally sensitive areas to desertification, EUR 18882")
GLOBAL_ESA = ("Global-ESA (Ferrara et al. 2020, Updating the MEDALUS-ESA framework for worldwide land "
              "degradation and desertification assessment, Land Degrad. Dev.); the ladder values are those "
              "listed in docs/models.md, not re-checked against that text")
# Rainfall (mm/yr). Original MEDALUS: > 650 → 1, 280–650 → 2, < 280 → 4.
RAINFALL_ORIGINAL = ScoreTable(
    "rainfall", (280.0, 650.0), (4.0, 2.0, 1.0), "mm/yr",
    f"{KOSMAS}: rainfall classes",
)
# Finer ladder used by Global-ESA studies for drylands (default here: Inner Mongolia is 150–450 mm).
RAINFALL_GLOBAL_ESA = ScoreTable(
    "rainfall", (280.0, 310.0, 345.0, 390.0, 440.0, 490.0, 570.0, 650.0),
    (2.0, 1.80, 1.65, 1.50, 1.35, 1.25, 1.15, 1.05, 1.0), "mm/yr",
    f"rainfall ladder of {GLOBAL_ESA}",
)
# Bagnouls–Gaussen bioclimatic index — ONLY for a BGI layer, never for P/PET.
ARIDITY_BGI = ScoreTable(
    "aridity_bgi", (50.0, 75.0, 100.0, 125.0, 150.0), (1.0, 1.1, 1.2, 1.4, 1.8, 2.0), "BGI",
    f"{KOSMAS}: Bagnouls–Gaussen aridity index classes",
)
# Aridity index P/PET (dimensionless): lower is drier and scores worse.
ARIDITY_PPET = ScoreTable(
    "aridity_p_pet", (0.03, 0.10, 0.20, 0.35, 0.50, 0.65, 0.75, 1.0),
    (2.0, 1.75, 1.55, 1.45, 1.35, 1.25, 1.15, 1.05, 1.0), "1",
    f"P/PET ladder of {GLOBAL_ESA}",
)
SLOPE = ScoreTable("slope", (6.0, 18.0, 35.0), (1.0, 1.2, 1.5, 2.0), "%", KOSMAS)
SOIL_DEPTH = ScoreTable("soil_depth", (15.0, 30.0, 75.0), (4.0, 3.0, 2.0, 1.0), "cm", KOSMAS)
ROCK_FRAGMENTS = ScoreTable("rock_fragments", (20.0, 60.0), (2.0, 1.3, 1.0), "%", KOSMAS)
PLANT_COVER = ScoreTable("plant_cover", (10.0, 40.0), (2.0, 1.8, 1.0), "%", KOSMAS)
GRAZING_DENSITY = ScoreTable(
    "grazing_density", (20.0, 60.0, 100.0), (1.0, 1.33, 1.66, 2.0), "sheep units/km2",
    f"MEDALUS grazing-intensity variant ({KOSMAS}); heads read as sheep units",
)
POPULATION_DENSITY = ScoreTable(
    "population_density", (10.0, 20.0, 50.0), (1.0, 1.33, 1.66, 2.0), "persons/km2",
    f"MEDALUS population-density variant ({KOSMAS})",
)

TEXTURE_NAMES: Mapping[int, str] = MappingProxyType({
    1: "clay", 2: "silty clay", 3: "sandy clay", 4: "clay loam", 5: "silty clay loam",
    6: "sandy clay loam", 7: "loam", 8: "silt loam", 9: "sandy loam", 10: "silt", 11: "loamy sand",
    12: "sand",
})
"""USDA texture classes by code 1–12 (the numbering of SoilGrids/OpenLandMap USDA texture class maps)."""

TEXTURE = CategoryTable(
    "texture",
    {7: 1.0, 6: 1.0, 9: 1.0, 11: 1.0, 4: 1.0,  # good: L, SCL, SL, LS, CL
     3: 1.2, 8: 1.2, 5: 1.2,  # moderate: SC, SiL, SiCL
     10: 1.6, 1: 1.6, 2: 1.6,  # poor: Si, C, SiC
     12: 2.0},  # very poor: S
    TEXTURE_NAMES, f"{KOSMAS}: soil texture classes",
)

TEXTURE_NAMES_SAND_FIRST: Mapping[int, str] = MappingProxyType({
    1: "sand", 2: "loamy sand", 3: "sandy loam", 4: "loam", 5: "silt loam", 6: "silt",
    7: "sandy clay loam", 8: "clay loam", 9: "silty clay loam", 10: "sandy clay", 11: "silty clay",
    12: "clay",
})
"""USDA texture classes numbered from sand (1) to clay (12), the coding of the bundled sample dataset."""

TEXTURE_SAND_FIRST = CategoryTable(
    "texture",
    {4: 1.0, 7: 1.0, 3: 1.0, 2: 1.0, 8: 1.0,  # good: L, SCL, SL, LS, CL
     10: 1.2, 5: 1.2, 9: 1.2,  # moderate: SC, SiL, SiCL
     6: 1.6, 12: 1.6, 11: 1.6,  # poor: Si, C, SiC
     1: 2.0},  # very poor: S
    TEXTURE_NAMES_SAND_FIRST, f"{KOSMAS}: soil texture classes (sand-first coding)",
)


class TextureCoding(enum.Enum):
    """How a texture raster numbers the 12 USDA classes."""

    OPENLANDMAP = "openlandmap"  # 1 = clay … 12 = sand (SoilGrids / OpenLandMap)
    SAND_FIRST = "sand-first"  # 1 = sand … 12 = clay (the bundled sample dataset)


def texture_table(coding: str = "openlandmap", *, china: bool = False) -> CategoryTable:
    """The MEDALUS (or, with ``china=True``, China K-grade) texture table for a class coding."""
    c = parse_choice(TextureCoding, coding, param="texture coding")
    if not china:
        return TEXTURE if c is TextureCoding.OPENLANDMAP else TEXTURE_SAND_FIRST
    if c is TextureCoding.OPENLANDMAP:
        return TEXTURE_CHINA
    # re-key the China table from OpenLandMap codes to sand-first codes via the class names
    by_name = {TEXTURE_NAMES[k]: v for k, v in TEXTURE_CHINA.scores.items()}
    return CategoryTable("china_texture", {k: by_name[n] for k, n in TEXTURE_NAMES_SAND_FIRST.items()},
                         TEXTURE_NAMES_SAND_FIRST, TEXTURE_CHINA.source)


LAND_COVER_NAMES: Mapping[int, str] = MappingProxyType(land_cover_legend(DEFAULT_LEGEND).names)
"""ESA WorldCover codes (10–100) plus steppe classes 101–104 (the default legend, ``"worldcover"``)."""

_LC_SOURCE = (f"{KOSMAS}: Mediterranean classes re-mapped to land-cover meanings (WorldCover classes + "
              "steppe classes; steppe_geo adaptation, see docs/models.md)")
# By land-cover meaning (steppe_geo.models.land_cover.MEANINGS); snow/ice scored like water, moss and lichen
# like grassland, mangroves are wetland.
# Fire risk: 1.0 low … 2.0 very high (Kosmas: 1.0/1.3/1.6/2.0).
FIRE_RISK_BY_MEANING: Mapping[str, float] = MappingProxyType({
    "tree_cover": 1.6, "shrubland": 1.6, "grassland": 1.3, "cropland": 1.3, "built_up": 1.0,
    "bare_sparse": 1.0, "snow_ice": 1.0, "water": 1.0, "wetland": 1.0, "moss_lichen": 1.3,
    "typical_steppe": 1.3, "artemisia_shrub": 1.6, "sand_fixing_plantation": 1.3, "mobile_sand": 1.0})
# Erosion protection: 1.0 very high … 2.0 very low (Kosmas: 1.0/1.3/1.6/1.8/2.0).
EROSION_PROTECTION_BY_MEANING: Mapping[str, float] = MappingProxyType({
    "tree_cover": 1.3, "shrubland": 1.3, "grassland": 1.6, "cropland": 1.8, "built_up": 2.0,
    "bare_sparse": 2.0, "snow_ice": 1.0, "water": 1.0, "wetland": 1.0, "moss_lichen": 1.6,
    "typical_steppe": 1.3, "artemisia_shrub": 1.3, "sand_fixing_plantation": 1.6, "mobile_sand": 2.0})
# Drought resistance: 1.0 very high … 2.0 very low (Kosmas: 1.0/1.2/1.4/1.7/2.0). Trees and crops in the
# steppe are drought-sensitive (poplar shelterbelts, rain-fed crops).
DROUGHT_RESISTANCE_BY_MEANING: Mapping[str, float] = MappingProxyType({
    "tree_cover": 1.7, "shrubland": 1.2, "grassland": 1.4, "cropland": 1.7, "built_up": 2.0,
    "bare_sparse": 2.0, "snow_ice": 1.0, "water": 1.0, "wetland": 1.2, "moss_lichen": 1.4,
    "typical_steppe": 1.2, "artemisia_shrub": 1.0, "sand_fixing_plantation": 1.4, "mobile_sand": 2.0})


def _lc_table(variable: str, by_meaning: Mapping[str, float], legend: str = DEFAULT_LEGEND) -> CategoryTable:
    lg = land_cover_legend(legend)
    return CategoryTable(variable, lg.scores(by_meaning), lg.names,
                         f"{_LC_SOURCE}; codes of legend {lg.name!r}")


FIRE_RISK = _lc_table("fire_risk", FIRE_RISK_BY_MEANING)
EROSION_PROTECTION = _lc_table("erosion_protection", EROSION_PROTECTION_BY_MEANING)
DROUGHT_RESISTANCE = _lc_table("drought_resistance", DROUGHT_RESISTANCE_BY_MEANING)


class LandCoverVariable(enum.Enum):
    """Vegetation variables scored from land cover."""

    FIRE_RISK = "fire_risk"
    EROSION_PROTECTION = "erosion_protection"
    DROUGHT_RESISTANCE = "drought_resistance"


_LC_TABLES = {
    LandCoverVariable.FIRE_RISK: FIRE_RISK,
    LandCoverVariable.EROSION_PROTECTION: EROSION_PROTECTION,
    LandCoverVariable.DROUGHT_RESISTANCE: DROUGHT_RESISTANCE,
}
_LC_BY_MEANING = {
    LandCoverVariable.FIRE_RISK: FIRE_RISK_BY_MEANING,
    LandCoverVariable.EROSION_PROTECTION: EROSION_PROTECTION_BY_MEANING,
    LandCoverVariable.DROUGHT_RESISTANCE: DROUGHT_RESISTANCE_BY_MEANING,
}


class RainfallLadder(enum.Enum):
    """Rainfall score tables: the finer Global-ESA ladder (default) or the original 3 classes."""

    GLOBAL_ESA = "global-esa"
    ORIGINAL = "original"


class AridityIndex(enum.Enum):
    """Which aridity index a layer holds; each has its own ladder."""

    P_PET = "p/pet"
    BGI = "bgi"


def score_rainfall(precipitation_mm: Any, *, ladder: str = "global-esa") -> Any:
    """Score annual precipitation (mm/yr) with the Global-ESA ladder (default) or the original one."""
    choice = parse_choice(RainfallLadder, ladder, param="ladder")
    table = RAINFALL_GLOBAL_ESA if choice is RainfallLadder.GLOBAL_ESA else RAINFALL_ORIGINAL
    return table.apply(precipitation_mm)


def score_aridity(values: Any, *, index: str = "p/pet") -> Any:
    """Score an aridity layer with the ladder of *its* index.

    Parameters
    ----------
    values : ndarray or DataArray
        P/PET (dimensionless, typically 0–3) or the Bagnouls–Gaussen index (≥ 0, up to several hundred).
    index : {"p/pet", "bgi"}
        What ``values`` holds. The BGI breaks (50, 75, …) are never applied to P/PET: that public
        bug scores every P/PET value 1.0 (the best class).

    Raises
    ------
    InvalidParameterError
        If ``index="p/pet"`` and the layer holds values > 20 (a BGI layer passed as P/PET),
        or on negative values.
    """
    choice = parse_choice(AridityIndex, index, param="index")
    arr, _ = _unwrap(values)
    finite = arr[np.isfinite(arr)]
    if finite.size and finite.min() < 0:
        raise InvalidParameterError(
            f"aridity ({choice.value}) must be >= 0, got a minimum of {finite.min():g}"
        )
    if choice is AridityIndex.P_PET:
        if finite.size and finite.max() > 20:
            raise InvalidParameterError(
                f"aridity: index='p/pet' but the layer reaches {finite.max():g}; P/PET is rarely above 3. "
                "Is this a Bagnouls-Gaussen index? Then pass index='bgi'."
            )
        return ARIDITY_PPET.apply(values)
    return ARIDITY_BGI.apply(values)


def score_aspect(aspect_deg: Any) -> Any:
    """Score aspect (degrees clockwise from north): N, NE, NW and flat → 1.0, other → 2.0.

    ``[0, 112.5)`` and ``[247.5, 360]`` score 1.0, ``[112.5, 247.5)`` scores 2.0. NaN aspect means
    flat (the convention of :func:`steppe_geo.criteria.aspect`) and scores 1.0; mask nodata separately
    (e.g. through the slope score, which stays NaN where the DEM is missing).
    """
    arr, wrap = _unwrap(aspect_deg)
    finite = arr[np.isfinite(arr)]
    if finite.size and (finite.min() < 0 or finite.max() > 360):
        raise InvalidParameterError(
            f"aspect must be within [0, 360] degrees, got [{finite.min():g}, {finite.max():g}]"
        )
    out = np.where((arr >= 112.5) & (arr < 247.5), 2.0, 1.0)
    return wrap(out, "aspect_score", "score")


def score_land_cover(land_cover: Any, *, variable: str, table: CategoryTable | None = None,
                     nodata: float | None = None) -> Any:
    """Score a land-cover layer for fire risk, erosion protection or drought resistance.

    Parameters
    ----------
    land_cover : ndarray or DataArray of int
        Codes as in :data:`LAND_COVER_NAMES` (WorldCover 10–90, steppe classes 101–104).
    variable : {"fire_risk", "erosion_protection", "drought_resistance"}
    table : CategoryTable, optional
        Replaces the default steppe table for ``variable``.
    nodata : number, optional
        Code to treat as missing (default: the layer's rio nodata).

    Raises
    ------
    InvalidParameterError
        Listing the codes of ``land_cover`` the table does not know.
    """
    var = parse_choice(LandCoverVariable, variable, param="variable")
    return (table or _LC_TABLES[var]).apply(land_cover, nodata=nodata)



# China's desertification sensitivity index (national ecological function zoning). The formula
# D = (I·W·K·C)^(1/4) with I = 0.16·ΣT≥10 °C / ΣP is reproduced e.g. by Wei et al. (2021), J. Geogr. Sci.
# The grading breakpoints below follow the 《生态功能区划暂行规程》 (State Environmental Protection
# Administration, 2003) *as commonly reproduced in the secondary literature*: they are NOT verified
# against the primary text (not available to us). Each table is an ordinary ScoreTable/CategoryTable.
CHINA_UNVERIFIED = (
    "grades as commonly reproduced from 《生态功能区划暂行规程》 (SEPA 2003); NOT verified against the "
    "primary text"
)

CHINA_GRADE_BREAKS: tuple[float, ...] = (2.0, 4.0, 6.0, 8.0)
"""Sensitivity classes from D: < 2 not sensitive, [2, 4) slight, [4, 6) moderate, [6, 8) high, ≥ 8 extreme.

Reproductions of the 规程 write 1.0–2.0 / 2.1–4.0 / 4.1–6.0 / 6.1–8.0 / > 8.0; made contiguous and
half-open here (each break starts the class above). Not verified against the primary text."""
CHINA_SENSITIVITY_LABELS = ("not sensitive", "slight", "moderate", "high", "extreme")
"""Labels of China sensitivity classes 1–5 (0 = nodata)."""

CHINA_HUMIDITY = ScoreTable(
    "china_humidity_index", (0.05, 0.20, 0.50, 0.65), (9.0, 7.0, 5.0, 3.0, 1.0), "1",
    "humidity index P/PET (湿润指数): breaks are the UNEP aridity zones (UNEP 1992, World Atlas of "
    "Desertification: hyper-arid < 0.05 ≤ arid < 0.20 ≤ semi-arid < 0.50 ≤ dry sub-humid < 0.65 ≤ humid), "
    f"graded 9/7/5/3/1; {CHINA_UNVERIFIED}",
)
CHINA_DRYNESS = ScoreTable(
    "china_dryness", (1.0, 1.5, 4.0, 16.0), (1.0, 3.0, 5.0, 7.0, 9.0), "1",
    "dryness I = 0.16·ΣT≥10°C / ΣP (干燥度), breaks 1.0/1.5/4.0/16: the same zones as the humidity-index "
    "breaks 0.65/0.50/0.20/0.05 by the relations AI = 0.65/K (K < 1.5), 0.75/K (1.5 ≤ K < 4), 0.8/K (K ≥ 4) "
    f"of 林业部调查规划设计院 (1996), 湿润指数与干燥度关系的探讨, 中国沙漠 16(1); {CHINA_UNVERIFIED}",
)
CHINA_WIND_DAYS = ScoreTable(
    "china_wind_days", (15.0, 30.0, 45.0, 60.0), (1.0, 3.0, 5.0, 7.0, 9.0), "days",
    f"winter–spring days with wind > 6 m/s (冬春季大于 6 m/s 大风天数): 15/30/45/60; {CHINA_UNVERIFIED}",
)
CHINA_VEGETATION_COVER = ScoreTable(
    "china_vegetation_cover", (10.0, 30.0, 50.0, 70.0), (9.0, 7.0, 5.0, 3.0, 1.0), "%",
    f"vegetation cover 10/30/50/70 % → 9/7/5/3/1; {CHINA_UNVERIFIED}",
)
TEXTURE_CHINA = CategoryTable(
    "china_texture",
    {1: 3.0, 2: 3.0, 3: 3.0, 4: 5.0, 5: 5.0, 6: 5.0, 7: 7.0, 8: 7.0, 9: 7.0, 10: 7.0, 11: 9.0, 12: 9.0},
    TEXTURE_NAMES,
    "K: bedrock 1, clay 3, gravelly 5, loam 7, sand 9 (基岩/粘质/砾质/壤质/沙质; the same order as the "
    "0/0.25/0.5/0.75/1 of Tian et al. 2018, 地理科学进展 37(12)); "
    f"{CHINA_UNVERIFIED}. USDA classes mapped by steppe_geo: clays (C, SiC, SC) 3, clay loams (CL, SiCL, "
    "SCL) 5 — between clayey and loamy; the gravelly grade has no USDA fine-earth class — loams and silts "
    "(L, SiL, SL, Si) 7, sands (LS, S) 9",
)


class ChinaDrynessIndex(enum.Enum):
    """Which dryness layer grades factor I of China's index."""

    P_PET = "p/pet"  # humidity index from the precipitation and pet inputs, CHINA_HUMIDITY
    DRYNESS = "dryness"  # an input layer "dryness" = 0.16·ΣT≥10 °C / ΣP, CHINA_DRYNESS



def rainfall_table(ladder: str = "global-esa") -> ScoreTable:
    """The rainfall score table of a ladder (``"global-esa"`` or ``"original"``)."""
    choice = parse_choice(RainfallLadder, ladder, param="rainfall_ladder")
    return RAINFALL_GLOBAL_ESA if choice is RainfallLadder.GLOBAL_ESA else RAINFALL_ORIGINAL


def aridity_table(index: str = "p/pet") -> ScoreTable:
    """The aridity score table of an index (``"p/pet"`` or ``"bgi"``)."""
    choice = parse_choice(AridityIndex, index, param="aridity_index")
    return ARIDITY_PPET if choice is AridityIndex.P_PET else ARIDITY_BGI


def land_cover_table(variable: str, scores: Mapping[Any, float] | None = None, *,
                     legend: str = DEFAULT_LEGEND) -> CategoryTable:
    """The land-cover table of ``variable`` in the codes of ``legend``, ``scores`` (code → score) added.

    Examples
    --------
    >>> from steppe_geo.models.desertification import land_cover_table
    >>> t = land_cover_table("erosion_protection", legend="nlcd")
    >>> t.scores[82], t.scores[31]  # cultivated crops 1.8 (Kosmas), barren 2.0
    (1.8, 2.0)
    """
    var = parse_choice(LandCoverVariable, variable, param="variable")
    base = _LC_TABLES[var] if legend == DEFAULT_LEGEND else _lc_table(var.value, _LC_BY_MEANING[var], legend)
    return base.with_scores(scores)


CHINA_TABLES: Mapping[str, ScoreTable] = MappingProxyType({
    "humidity_index": CHINA_HUMIDITY, "dryness": CHINA_DRYNESS, "wind_days": CHINA_WIND_DAYS,
    "vegetation_cover": CHINA_VEGETATION_COVER,
})
"""China grade tables by the name the ``china_grade`` derivation takes (plus ``"texture"``)."""


def china_table(table: str, *, soil_texture_coding: str = "openlandmap",
                texture_grades: Mapping[Any, float] | None = None) -> ScoreTable | CategoryTable:
    """The grade table named ``table`` (:data:`CHINA_TABLES` or ``"texture"``)."""
    if table == "texture":
        return texture_table(soil_texture_coding, china=True).with_scores(texture_grades)
    if table not in CHINA_TABLES:
        valid = [*CHINA_TABLES, "texture"]
        raise InvalidParameterError(
            f"china_grade: table must be one of {valid}, got {table!r}{did_you_mean(str(table), valid)}"
        )
    return CHINA_TABLES[table]


def tables_used(
    function: str, inputs: Sequence[str], params: Mapping[str, Any]
) -> list[tuple[str, str, Any]]:
    """``(table name, input layer, table)`` for each lookup table a derivation applies (for ``describe``)."""
    p = dict(params)
    if function == "sqi":
        return [("texture", inputs[0], texture_table(p.get("soil_texture_coding", "openlandmap"))
                 .with_scores(p.get("texture_scores"))),
                ("soil_depth", inputs[1], SOIL_DEPTH), ("slope", inputs[2], SLOPE)]
    if function == "cqi":
        return [("rainfall", inputs[0], rainfall_table(p.get("rainfall_ladder", "global-esa"))),
                ("aridity", inputs[1], aridity_table(p.get("aridity_index", "p/pet")))]
    if function == "vqi":
        legend = p.get("land_cover_legend", DEFAULT_LEGEND)
        return [(v, inputs[0], land_cover_table(v, p.get(f"{v}_scores"), legend=legend))
                for v in ("fire_risk", "erosion_protection", "drought_resistance")] + [
                ("plant_cover", inputs[1], PLANT_COVER)]
    if function == "mqi":
        return [("grazing_density", inputs[0], GRAZING_DENSITY)]
    if function == "china_grade":
        t = china_table(p["table"], soil_texture_coding=p.get("soil_texture_coding", "openlandmap"),
                        texture_grades=p.get("texture_grades"))
        return [(t.name, inputs[0], t)]
    return []



class DegradationRule(enum.Enum):
    """How the NDVI degradation-trend layer enters China's index."""

    NONE = "none"
    MEAN = "mean"
    ONE_OUT_ALL_OUT = "one-out-all-out"

