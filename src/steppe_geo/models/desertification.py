"""Desertification risk: MEDALUS ESAI (Kosmas et al. 1999) and China's sensitivity index.

Every score table is data (:class:`ScoreTable`, :class:`CategoryTable`), applied to numpy
arrays or DataArrays (metadata kept). Bins are half-open and contiguous: a value exactly on
a break belongs to the bin *above* it (``breaks[i-1] <= x < breaks[i]``), so no value falls
in a gap and none in two bins. NaN in → NaN out.

Quality indices are geometric means of their variables' scores; a geometric mean is never
taken over fewer variables than the index defines unless ``allow_missing=True`` is asked for
(then it is re-weighted per pixel and :class:`ReducedQualityIndexWarning` says so).

See ``docs/models.md`` for the formulas, the tables and their sources.
"""

from __future__ import annotations

import enum
import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import xarray as xr

from steppe_geo._validation import did_you_mean, parse_choice
from steppe_geo.errors import InvalidParameterError, MissingLayerError, SteppeGeoWarning
from steppe_geo.models.land_cover import DEFAULT_LEGEND, land_cover_legend

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


class ReducedQualityIndexWarning(SteppeGeoWarning):
    """A quality index was computed over fewer variables than it defines (``allow_missing=True``)."""


# ----------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class ScoreTable:
    """A classed score for a continuous variable: contiguous half-open bins.

    ``scores[i]`` applies to ``breaks[i-1] <= x < breaks[i]`` (``breaks[-1]`` = −∞,
    ``breaks[n]`` = +∞): a value exactly on a break takes the score of the bin above it.

    Attributes
    ----------
    name : str
    breaks : tuple of float
        Strictly increasing.
    scores : tuple of float
        ``len(breaks) + 1`` scores.
    units : str
    source : str
    """

    name: str
    breaks: tuple[float, ...]
    scores: tuple[float, ...]
    units: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        b = tuple(float(v) for v in self.breaks)
        s = tuple(float(v) for v in self.scores)
        object.__setattr__(self, "breaks", b)
        object.__setattr__(self, "scores", s)
        if not all(math.isfinite(v) for v in b + s):
            raise InvalidParameterError(f"{self.name}: breaks and scores must be finite, got {b} and {s}")
        if any(b2 <= b1 for b1, b2 in itertools.pairwise(b)):
            raise InvalidParameterError(f"{self.name}: breaks must be strictly increasing, got {b}")
        if len(s) != len(b) + 1:
            raise InvalidParameterError(
                f"{self.name}: needs len(breaks) + 1 = {len(b) + 1} scores, got {len(s)}: {s}"
            )

    def apply(self, values: Any) -> Any:
        """Score ``values`` (ndarray or DataArray; NaN stays NaN)."""
        arr, wrap = _unwrap(values)
        idx = np.digitize(arr, np.asarray(self.breaks), right=False)
        out = np.asarray(self.scores)[np.clip(idx, 0, len(self.scores) - 1)]
        out = np.where(np.isnan(arr), np.nan, out)
        return wrap(out, f"{self.name}_score", "score")

    def describe(self) -> list[tuple[str, float]]:
        """``[(bin text, score), ...]`` from the lowest bin up, edges written out."""
        b = self.breaks
        rows = [(f"< {b[0]:g}", self.scores[0])]
        rows += [(f"[{lo:g}, {hi:g})", s) for lo, hi, s in zip(b[:-1], b[1:], self.scores[1:-1], strict=True)]
        rows.append((f">= {b[-1]:g}", self.scores[-1]))
        return rows


@dataclass(frozen=True)
class CategoryTable:
    """A score per category code (land cover, soil texture, ...).

    Attributes
    ----------
    name : str
    scores : mapping of int → float
    names : mapping of int → str
        Human-readable class names (for messages and tables).
    source : str
    """

    name: str
    scores: Mapping[int, float]
    names: Mapping[int, str] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        scores = {int(k): float(v) for k, v in self.scores.items()}
        object.__setattr__(self, "scores", MappingProxyType(scores))
        object.__setattr__(self, "names", MappingProxyType({int(k): str(v) for k, v in self.names.items()}))
        if not self.scores:
            raise InvalidParameterError(f"{self.name}: the table has no categories")

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.scores.items()))))

    def with_scores(self, scores: Mapping[Any, float] | None, *, source: str = "") -> CategoryTable:
        """A copy with ``scores`` (code → score) added or replacing entries of this table."""
        if not scores:
            return self
        merged = {**self.scores, **{int(float(k)): float(v) for k, v in scores.items()}}
        codes = sorted(int(float(k)) for k in scores)
        return CategoryTable(self.name, merged, self.names,
                             source or f"{self.source}; codes {codes} set by user")

    def describe(self) -> list[tuple[str, float]]:
        """``[(code and class name, score), ...]`` in code order."""
        return [(f"{k} {self.names.get(k, '')}".strip(), v) for k, v in sorted(self.scores.items())]

    @staticmethod
    def _codes(values: Any, nodata: float | None) -> tuple[np.ndarray, np.ndarray, Any]:
        """(codes as float64, mask of NaN / nodata cells, re-wrapper) of ``values``."""
        arr, wrap = _unwrap(values)
        if nodata is None and isinstance(values, xr.DataArray):
            nodata = values.rio.nodata
        arr = np.asarray(arr, dtype=np.float64)
        invalid = np.isnan(arr)
        if nodata is not None and not np.isnan(nodata):
            invalid |= arr == nodata
        return arr, invalid, wrap

    def unknown_codes(self, values: Any, *, nodata: float | None = None) -> list[int | float]:
        """Codes found in ``values`` (NaN and ``nodata`` aside) that the table does not know."""
        arr, invalid, _ = self._codes(values, nodata)
        return self._unknown(arr, invalid)

    def _unknown(self, arr: np.ndarray, invalid: np.ndarray) -> list[int | float]:
        codes = np.unique(arr[~invalid])
        known = np.fromiter(self.scores.keys(), dtype=np.float64)
        return [int(c) if float(c).is_integer() else float(c) for c in codes[~np.isin(codes, known)]]

    def apply(self, values: Any, *, nodata: float | None = None) -> Any:
        """Score category codes; codes missing from the table raise, NaN / ``nodata`` → NaN.

        Raises
        ------
        InvalidParameterError
            Listing every code found in ``values`` that the table does not know.
        """
        arr, invalid, wrap = self._codes(values, nodata)
        unknown = self._unknown(arr, invalid)
        if unknown:
            raise InvalidParameterError(
                f"{self.name}: codes not in the lookup table: {unknown}. Known codes: {self._known()}. "
                f"Extend it with {self.name.upper()}.with_scores({{{unknown[0]}: <score>}}) (in a model: "
                "the parameter of that table, e.g. fire_risk_scores) or recode the layer."
            )
        out = np.full(arr.shape, np.nan)
        for code, score in self.scores.items():
            out[(arr == code) & ~invalid] = score
        return wrap(out, f"{self.name}_score", "score")

    def _known(self) -> str:
        return ", ".join(f"{k} ({self.names.get(k, '?')})" for k in sorted(self.scores))


def apply_lookup(table: CategoryTable, values: Any, *, layer: str, parameter: str,
                 preset: str = "desertification_esai") -> Any:
    """``table.apply(values)``, with an error naming the input layer and the model parameter to set.

    Raises
    ------
    InvalidParameterError
        Codes of input layer ``layer`` that ``table`` does not know: the message lists them, the
        table, the known codes and how to pass scores for them (model parameter ``parameter``).
    """
    unknown = table.unknown_codes(values)
    if unknown:
        example = ", ".join(f"{c}: <score>" for c in unknown[:3])
        raise InvalidParameterError(
            f"input layer {layer!r} has class codes {unknown} that the {table.name} lookup table does not "
            f"know (known codes: {table._known()}). Give them scores with the model parameter {parameter} "
            f"(code → score, added to the default table): {preset}({parameter}={{{example}}}) or "
            f"model.with_parameters({parameter}={{...}}); in a configuration file under "
            f"[models.<name>.parameters.{parameter}] as \"{unknown[0]}\" = <score>. Or recode the layer."
        )
    return table.apply(values)


def _unwrap(values: Any) -> tuple[np.ndarray, Any]:
    """Float array of ``values`` and a function putting a result back into the same kind of object."""
    if isinstance(values, xr.DataArray):
        arr = np.asarray(values.values, dtype=np.float64)
        nodata = values.rio.nodata
        if nodata is not None and not np.isnan(nodata):
            arr = np.where(arr == nodata, np.nan, arr)

        def wrap(out: np.ndarray, name: str, units: str) -> xr.DataArray:
            da = xr.DataArray(out, dims=values.dims, coords=values.coords, name=name, attrs={"units": units})
            if values.rio.crs is not None:
                da = da.rio.write_crs(values.rio.crs).rio.write_transform(values.rio.transform())
                da = da.rio.write_nodata(np.nan, encoded=False)
            return da

        return arr, wrap
    arr = np.asarray(values, dtype=np.float64)
    return arr, lambda out, name, units: out


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


def grazing_density(townships: Any, *, grid: Any, column: str = "sheep_units") -> xr.DataArray:
    """Grazing pressure (sheep units per km²) from a livestock census per township, on ``grid``.

    Each township's census ``column`` is divided by its area (km², in the grid's projected CRS)
    and burnt onto the grid (pixel centres inside the township). Pixels outside every township
    are NaN.

    Parameters
    ----------
    townships : GeoDataFrame
        Polygons with a CRS and a numeric ``column`` (≥ 0).
    grid : Grid
        Projected analysis grid.
    column : str, default "sheep_units"

    Returns
    -------
    xarray.DataArray
        ``grazing_density`` in ``sheep units/km2``, float, NaN nodata.
    """
    from steppe_geo._validation import check_projected
    from steppe_geo.io import rasterize

    check_projected(grid.crs, what="grazing_density")
    if column not in getattr(townships, "columns", ()):
        cols = [c for c in getattr(townships, "columns", ()) if c != "geometry"]
        raise MissingLayerError(
            f"townships: no census column {column!r}{did_you_mean(column, cols)} Columns are: {cols}"
        )
    gdf = townships.to_crs(grid.crs)
    counts = np.asarray(gdf[column], dtype=np.float64)
    if np.any(counts[np.isfinite(counts)] < 0):
        raise InvalidParameterError(f"townships.{column}: livestock counts must be >= 0")
    area_km2 = np.asarray(gdf.geometry.area, dtype=np.float64) / 1e6
    gdf = gdf.assign(_density=np.where(area_km2 > 0, counts / np.where(area_km2 > 0, area_km2, 1), np.nan))
    gdf = gdf.assign(_id=np.arange(1, len(gdf) + 1, dtype=np.int32))
    ids = np.asarray(rasterize(gdf, grid=grid, values="_id", fill=0, dtype="int32").values)
    lookup = np.concatenate([[np.nan], gdf["_density"].to_numpy(dtype=np.float64)])
    return grid.to_dataarray(lookup[ids], name="grazing_density", units="sheep units/km2")


# ----------------------------------------------------------------------------- indices
def geometric_mean(scores: Mapping[str, Any], *, required: Sequence[str], index: str,
                   allow_missing: bool = False) -> Any:
    """Geometric mean of the variables ``required`` taken from ``scores``.

    A variable absent from ``scores`` (or None) raises :class:`MissingLayerError`, unless
    ``allow_missing=True``: then missing variables (and NaN pixels) are left out, the
    exponent becomes 1/(number present) per pixel, and :class:`ReducedQualityIndexWarning`
    is issued. Without ``allow_missing`` a NaN in any variable gives NaN.
    """
    unknown = [k for k in scores if k not in required]
    if unknown:
        raise InvalidParameterError(f"{index}: unknown variable(s) {unknown}; it is made of {list(required)}")
    present = [k for k in required if scores.get(k) is not None]
    missing = [k for k in required if k not in present]
    if missing and not allow_missing:
        raise MissingLayerError(
            f"{index} = geometric mean of {len(required)} variables {list(required)}; missing: {missing}. "
            "A mean over fewer variables changes the scale of the index; supply them, or pass "
            "allow_missing=True to re-weight (with a warning)."
        )
    if not present:
        raise MissingLayerError(f"{index}: none of its variables {list(required)} were given")
    arrays = [_unwrap(scores[k]) for k in present]
    ref_wrap = arrays[0][1]
    stack = np.stack(np.broadcast_arrays(*[a for a, _ in arrays]))
    if np.any(stack[np.isfinite(stack)] <= 0):
        raise InvalidParameterError(f"{index}: scores must be > 0 (MEDALUS scores are 1–2, depth 1–4)")
    logs = np.log(stack)
    if allow_missing:
        n = np.sum(np.isfinite(logs), axis=0)
        reduced = bool(missing) or bool(np.any((n < len(required)) & (n > 0)))
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.exp(np.nansum(logs, axis=0) / n)
        out = np.where(n > 0, out, np.nan)
        if reduced:
            warnings.warn(
                f"{index} computed over fewer than its {len(required)} variables "
                f"(missing layers: {missing or 'none'}; plus pixels with NaN variables): "
                "values are not on the same scale as a full index",
                ReducedQualityIndexWarning, stacklevel=3,
            )
    else:
        out = np.exp(np.mean(logs, axis=0))
    return ref_wrap(out, index.lower(), "index")


_SQI = ("texture", "parent_material", "rock_fragments", "depth", "slope", "drainage")
_CQI = ("rainfall", "aridity", "aspect")
_VQI = ("fire_risk", "erosion_protection", "drought_resistance", "plant_cover")
_MQI = ("land_use_intensity", "policy_enforcement")


def soil_quality(*, texture: Any = None, parent_material: Any = None, rock_fragments: Any = None,
                 depth: Any = None, slope: Any = None, drainage: Any = None,
                 allow_missing: bool = False) -> Any:
    """SQI = (texture · parent material · rock fragments · depth · slope · drainage)^(1/6).

    Arguments are *scores* (from :data:`TEXTURE`, :data:`SOIL_DEPTH`, :data:`SLOPE`, ...).
    """
    return geometric_mean(dict(texture=texture, parent_material=parent_material,
                               rock_fragments=rock_fragments, depth=depth, slope=slope, drainage=drainage),
                          required=_SQI, index="SQI", allow_missing=allow_missing)


def climate_quality(*, rainfall: Any = None, aridity: Any = None, aspect: Any = None,
                    allow_missing: bool = False) -> Any:
    """CQI = (rainfall · aridity · aspect)^(1/3), from scores."""
    return geometric_mean(dict(rainfall=rainfall, aridity=aridity, aspect=aspect),
                          required=_CQI, index="CQI", allow_missing=allow_missing)


def vegetation_quality(*, fire_risk: Any = None, erosion_protection: Any = None,
                       drought_resistance: Any = None, plant_cover: Any = None,
                       allow_missing: bool = False) -> Any:
    """VQI = (fire risk · erosion protection · drought resistance · plant cover)^(1/4), from scores."""
    return geometric_mean(dict(fire_risk=fire_risk, erosion_protection=erosion_protection,
                               drought_resistance=drought_resistance, plant_cover=plant_cover),
                          required=_VQI, index="VQI", allow_missing=allow_missing)


def management_quality(*, land_use_intensity: Any = None, policy_enforcement: Any = None,
                       allow_missing: bool = False) -> Any:
    """MQI = (land-use intensity · policy enforcement)^(1/2), from scores.

    In the grazing variant land-use intensity is :data:`GRAZING_DENSITY` applied to sheep
    units per km² (see :func:`steppe_geo.models.grazing_density`). The square root is
    ``** 0.5`` — the public bug ``x ** 1/2`` halves the product instead.
    """
    return geometric_mean(dict(land_use_intensity=land_use_intensity, policy_enforcement=policy_enforcement),
                          required=_MQI, index="MQI", allow_missing=allow_missing)


def esai(sqi: Any, cqi: Any, vqi: Any, mqi: Any) -> Any:
    """ESAI = (SQI · CQI · VQI · MQI)^(1/4) (Kosmas et al. 1999); all four are required.

    Parameters
    ----------
    sqi, cqi, vqi, mqi : ndarray or DataArray
        Quality indices (≥ 1). NaN in any → NaN.

    Returns
    -------
    Same kind as ``sqi``, named ``"esai"``.

    Raises
    ------
    MissingLayerError
        If any index is None (a mean over fewer than four indices changes the scale).

    Examples
    --------
    A Hobq mobile-sand pixel (SQI 1.376422, CQI 1.734696, VQI 1.681793, MQI 1.485867):

    >>> import numpy as np
    >>> from steppe_geo.models.desertification import classify_esa, esai
    >>> e = esai(np.array([1.376422]), np.array([1.734696]), np.array([1.681793]), np.array([1.485867]))
    >>> round(float(e[0]), 4)  # (1.376422 · 1.734696 · 1.681793 · 1.485867)^(1/4) = 5.966606^(1/4)
    1.5629
    >>> ESA_LABELS[int(classify_esa(e)[0]) - 1]
    'C3'
    """
    named = {"sqi": sqi, "cqi": cqi, "vqi": vqi, "mqi": mqi}
    none = [k for k, v in named.items() if v is None]
    if none:
        raise MissingLayerError(f"esai needs all four quality indices; missing: {none}")
    return geometric_mean(named, required=tuple(named), index="ESAI")


ESA_BREAKS: tuple[float, ...] = (1.17, 1.225, 1.275, 1.325, 1.375, 1.425, 1.53)
"""Lower edges of P, F1, F2, F3, C1, C2, C3 (Kosmas et al. 1999); each break belongs to the class above it."""
ESA_LABELS: tuple[str, ...] = ("N", "P", "F1", "F2", "F3", "C1", "C2", "C3")
"""ESA class labels for codes 1–8 (0 = nodata): non-affected, potential, fragile 1–3, critical 1–3."""


def classify_esa(values: Any) -> Any:
    """Environmentally Sensitive Area classes from ESAI values.

    Contiguous half-open bins: N < 1.17 ≤ P < 1.225 ≤ F1 < 1.275 ≤ F2 < 1.325 ≤ F3 < 1.375 ≤ C1
    < 1.425 ≤ C2 < 1.53 ≤ C3.

    Returns
    -------
    uint8 ndarray or DataArray
        Codes 1–8 (:data:`ESA_LABELS`), 0 where ``values`` is NaN (declared nodata); a
        DataArray carries ``attrs["labels"]`` = ``{code: label}`` and ``attrs["flag_meanings"]``.

    Examples
    --------
    Each break belongs to the class above it:

    >>> import numpy as np
    >>> from steppe_geo.models.desertification import ESA_LABELS, classify_esa
    >>> codes = classify_esa(np.array([1.1, 1.17, 1.2249, 1.275, 1.53, np.nan]))
    >>> codes.tolist()
    [1, 2, 2, 4, 8, 0]
    >>> [ESA_LABELS[c - 1] for c in codes[:-1]]
    ['N', 'P', 'P', 'F2', 'C3']
    """
    arr, _ = _unwrap(values)
    codes = (np.digitize(arr, np.asarray(ESA_BREAKS), right=False) + 1).astype(np.uint8)
    codes[np.isnan(arr)] = 0
    if isinstance(values, xr.DataArray):
        da = xr.DataArray(codes, dims=values.dims, coords=values.coords, name="esa_class",
                          attrs={"units": "class", "labels": dict(enumerate(("nodata", *ESA_LABELS))),
                                 "flag_values": list(range(1, 9)), "flag_meanings": " ".join(ESA_LABELS)})
        if values.rio.crs is not None:
            da = da.rio.write_crs(values.rio.crs).rio.write_transform(values.rio.transform())
            da = da.rio.write_nodata(0, encoded=False)
        return da
    return codes


# ----------------------------------------------------------------------------- China
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


def china_grade(values: Any, table: ScoreTable) -> Any:
    """Grade a factor 1/3/5/7/9 with ``table`` (one of the ``CHINA_*`` tables or your own)."""
    return table.apply(values)


def china_sensitivity(i: Any, w: Any, k: Any, c: Any, *, trend_degraded: Any = None,
                      rule: str = "mean") -> Any:
    """China's desertification sensitivity index D = (I · W · K · C)^(1/4).

    Parameters
    ----------
    i, w, k, c : ndarray or DataArray
        Grades (1, 3, 5, 7 or 9) of dryness, windy days, soil texture and vegetation cover.
    trend_degraded : bool ndarray or DataArray, optional
        Degradation-trend layer (e.g. significant negative NDVI trend). With ``rule="mean"`` it
        enters as a fifth factor graded 9 (degraded) / 1 (not), D = (I·W·K·C·T)^(1/5); with
        ``rule="one-out-all-out"`` a degraded pixel is set to the top grade 9 whatever D is.
    rule : {"mean", "one-out-all-out"}

    Returns
    -------
    Same kind as ``i``, named ``"china_sensitivity"``.

    Examples
    --------
    >>> import numpy as np
    >>> d = china_sensitivity(np.array([5.0]), np.array([7.0]), np.array([9.0]), np.array([9.0]))
    >>> round(float(d[0]), 4)  # (5 · 7 · 9 · 9)^(1/4) = 2835^(1/4)
    7.2969
    """
    if rule not in ("mean", "one-out-all-out"):
        raise InvalidParameterError(f"rule must be 'mean' or 'one-out-all-out', got {rule!r}")
    grades = {"I": i, "W": w, "K": k, "C": c}
    for name, g in grades.items():
        arr, _ = _unwrap(g)
        bad = np.unique(arr[np.isfinite(arr) & ~np.isin(arr, (1, 3, 5, 7, 9))])
        if bad.size:
            raise InvalidParameterError(
                f"china_sensitivity: grade {name} must be 1, 3, 5, 7 or 9, got {bad[:5]}"
            )
    if trend_degraded is not None:
        t_arr, _ = _unwrap(trend_degraded)
        t_grade = np.where(np.isnan(t_arr), np.nan, np.where(t_arr > 0, 9.0, 1.0))
        if rule == "mean":
            grades["T"] = t_grade
    out = geometric_mean(grades, required=tuple(grades), index="china_sensitivity")
    if trend_degraded is not None and rule == "one-out-all-out":
        arr, wrap = _unwrap(out)
        arr = np.where(t_grade == 9.0, 9.0, arr)
        arr = np.where(np.isnan(t_grade), np.nan, arr)
        out = wrap(arr, "china_sensitivity", "index") if isinstance(out, xr.DataArray) else arr
    return out


def classify_china(values: Any) -> Any:
    """China sensitivity classes 1–5 from D (:data:`CHINA_GRADE_BREAKS`), 0 where NaN.

    Contiguous half-open bins: not sensitive < 2 ≤ slight < 4 ≤ moderate < 6 ≤ high < 8 ≤ extreme
    (each break belongs to the class above it).

    Returns
    -------
    uint8 ndarray or DataArray
        Codes 1–5 (:data:`CHINA_SENSITIVITY_LABELS`), 0 = nodata; a DataArray is named
        ``china_sensitivity_class`` and carries ``attrs["labels"]`` and CF ``flag_values`` /
        ``flag_meanings``.

    Examples
    --------
    >>> import numpy as np
    >>> classify_china(np.array([1.0, 1.99, 2.0, 5.0, 7.297, 8.0, np.nan])).tolist()
    [1, 1, 2, 3, 4, 5, 0]
    """
    arr, _ = _unwrap(values)
    codes = (np.digitize(arr, np.asarray(CHINA_GRADE_BREAKS), right=False) + 1).astype(np.uint8)
    codes[np.isnan(arr)] = 0
    if isinstance(values, xr.DataArray):
        meanings = " ".join(label.replace(" ", "_") for label in CHINA_SENSITIVITY_LABELS)
        da = xr.DataArray(codes, dims=values.dims, coords=values.coords, name="china_sensitivity_class",
                          attrs={"units": "class",
                                 "labels": dict(enumerate(("nodata", *CHINA_SENSITIVITY_LABELS))),
                                 "flag_values": list(range(1, 6)), "flag_meanings": meanings})
        if values.rio.crs is not None:
            da = da.rio.write_crs(values.rio.crs).rio.write_transform(values.rio.transform())
            da = da.rio.write_nodata(0, encoded=False)
        return da
    return codes


# ----------------------------------------------------------------------------- tables in models
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


# ----------------------------------------------------------------------------- presets
ESAI_INPUTS = ("dem", "precipitation", "pet", "soil_texture", "soil_depth", "land_cover", "ndvi", "townships")
"""Input layers of the ESAI chain."""


def esai_derivations() -> tuple[Any, ...]:
    """Derivations of slope, aspect, P/PET, plant cover, grazing density, SQI, CQI, VQI, MQI and ESAI."""
    from steppe_geo.models.model import Derivation

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


def _esai_model(**parameters: Any) -> Any:
    from steppe_geo.mcda import Criterion, Linear
    from steppe_geo.models.model import Model

    return Model(
        name="desertification_esai", description="MEDALUS environmentally sensitive areas index",
        inputs=ESAI_INPUTS, derivations=esai_derivations(),
        criteria=(Criterion("esai", Linear(low=1.0, high=2.0), 1.0, "esai"),),
        constraints=(), rule="wlc", parameters=esai_parameters(**parameters), sources=ESAI_SOURCES,
        preset="desertification_esai",
    )


def _preset(func: Any) -> Any:
    from steppe_geo.models.model import preset_factory

    return preset_factory(func)


@_preset
def desertification_esai(*, parent_material_score: float = 1.7, rock_fragments_score: float = 2.0,
                         drainage_score: float = 1.0, policy_enforcement_score: float = 1.5,
                         soil_texture_coding: str = "sand-first", rainfall_ladder: str = "global-esa",
                         fire_risk_scores: Mapping[Any, float] | None = None,
                         erosion_protection_scores: Mapping[Any, float] | None = None,
                         drought_resistance_scores: Mapping[Any, float] | None = None,
                         texture_scores: Mapping[Any, float] | None = None,
                         land_cover_legend: str = DEFAULT_LEGEND) -> Any:
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


class DegradationRule(enum.Enum):
    """How the NDVI degradation-trend layer enters China's index."""

    NONE = "none"
    MEAN = "mean"
    ONE_OUT_ALL_OUT = "one-out-all-out"


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


@_preset
def desertification_china(*, degradation_rule: str = "none", soil_texture_coding: str = "sand-first",
                          windy_days_threshold_ms: float = 6.0, trend_alpha: float = 0.05,
                          dryness_index: str = "p/pet",
                          texture_grades: Mapping[Any, float] | None = None) -> Any:
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
    from steppe_geo.mcda import Criterion, Linear
    from steppe_geo.models.model import Derivation, Model

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
