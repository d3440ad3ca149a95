"""Derivation adapters of land and desertification layers.

Fractional cover, NDVI degradation trend, grazing density, the ESAI quality indices (SQI, CQI, VQI, MQI,
ESAI) and China's index grades.

Each is ``f(layers, inputs, grid, **parameters) -> DataArray``, registered by name in
:data:`steppe_geo.models.derivations.DERIVATIONS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from steppe_geo.criteria.vegetation import fractional_cover, trend
from steppe_geo.errors import (
    InvalidParameterError,
)
from steppe_geo.grid import Grid
from steppe_geo.models._derivation_layers import _const, _da, _float, _like, _score, _time_mean
from steppe_geo.models.desertification_indices import (
    china_sensitivity,
    climate_quality,
    esai,
    grazing_density,
    management_quality,
    soil_quality,
    vegetation_quality,
)
from steppe_geo.models.desertification_tables import (
    GRAZING_DENSITY,
    PLANT_COVER,
    SLOPE,
    SOIL_DEPTH,
    china_table,
    land_cover_table,
    score_aridity,
    score_aspect,
    score_rainfall,
    texture_table,
)
from steppe_geo.models.score_tables import CategoryTable, apply_lookup


def _d_fractional_cover(
    layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, *, percent: bool = True,
    ndvi_soil: float | None = None, ndvi_veg: float | None = None,
) -> xr.DataArray:
    # end-members default to percentiles of the whole layer (a windowed run computes them first and
    # passes them, see steppe_geo.pipeline.evaluate)
    fvc = fractional_cover(_time_mean(_da(layers, inputs[0])), ndvi_soil=ndvi_soil, ndvi_veg=ndvi_veg)
    fvc = fvc.isel(time=-1) if "time" in fvc.dims else fvc
    return _like(fvc, _float(fvc) * (100.0 if percent else 1.0), "plant_cover", "%" if percent else "1")


def _d_trend_degraded(
    layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, *, trend_alpha: float = 0.05
) -> xr.DataArray:
    series = _da(layers, inputs[0])
    if "band" in series.dims:
        series = series.rename(band="time")
    t = trend(series)
    slope, p = np.asarray(t["slope"].values, float), np.asarray(t["p_value"].values, float)
    out = np.where(np.isnan(slope), np.nan, ((slope < 0) & (p < trend_alpha)).astype(float))
    return _like(series.isel(time=0), out, "ndvi_degraded", "1")


def _d_grazing(
    layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, *, column: str = "sheep_units"
) -> xr.DataArray:
    return grazing_density(layers[inputs[0]], grid=grid, column=column)


def _d_sqi(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    parent_material_score: float,
    rock_fragments_score: float,
    drainage_score: float,
    soil_texture_coding: str = "openlandmap",
    texture_scores: Mapping[str, float] | None = None,
) -> xr.DataArray:
    texture, depth, slope_pct = (_da(layers, k) for k in inputs)
    depth_s = _score(SOIL_DEPTH, depth)
    table = texture_table(soil_texture_coding).with_scores(texture_scores)
    out: xr.DataArray = soil_quality(
        texture=apply_lookup(table, texture, layer=inputs[0], parameter="texture_scores"),
        parent_material=_const(depth_s, parent_material_score),
        rock_fragments=_const(depth_s, rock_fragments_score),
        depth=depth_s,
        slope=_score(SLOPE, slope_pct),
        drainage=_const(depth_s, drainage_score),
    )
    return out


def _d_cqi(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    rainfall_ladder: str = "global-esa",
    aridity_index: str = "p/pet",
) -> xr.DataArray:
    p, ai, asp = (_da(layers, k) for k in inputs)
    out: xr.DataArray = climate_quality(
        rainfall=score_rainfall(p, ladder=rainfall_ladder),
        aridity=score_aridity(ai, index=aridity_index),
        aspect=score_aspect(asp),
    )
    return out


def _d_vqi(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    fire_risk_scores: Mapping[str, float] | None = None,
    erosion_protection_scores: Mapping[str, float] | None = None,
    drought_resistance_scores: Mapping[str, float] | None = None,
    land_cover_legend: str = "worldcover",
) -> xr.DataArray:
    lc, cover = (_da(layers, k) for k in inputs)
    overrides = {"fire_risk": fire_risk_scores, "erosion_protection": erosion_protection_scores,
                 "drought_resistance": drought_resistance_scores}
    scores = {
        v: apply_lookup(land_cover_table(v, table, legend=land_cover_legend), lc, layer=inputs[0],
                        parameter=f"{v}_scores")
        for v, table in overrides.items()
    }
    out: xr.DataArray = vegetation_quality(**scores, plant_cover=PLANT_COVER.apply(cover))
    return out


def _d_mqi(
    layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, *, policy_enforcement_score: float
) -> xr.DataArray:
    grazing = _da(layers, inputs[0])
    lui = GRAZING_DENSITY.apply(grazing)
    out: xr.DataArray = management_quality(
        land_use_intensity=lui, policy_enforcement=_const(lui, policy_enforcement_score)
    )
    return out


def _d_esai(layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid) -> xr.DataArray:
    out: xr.DataArray = esai(*(_da(layers, k) for k in inputs))
    return out


def _d_china_grade(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    table: str,
    soil_texture_coding: str = "openlandmap",
    texture_grades: Mapping[str, float] | None = None,
) -> xr.DataArray:
    t = china_table(table, soil_texture_coding=soil_texture_coding, texture_grades=texture_grades)
    if isinstance(t, CategoryTable):
        out: xr.DataArray = apply_lookup(t, _da(layers, inputs[0]), layer=inputs[0],
                                         parameter="texture_grades", preset="desertification_china")
        return out
    out = t.apply(_da(layers, inputs[0]))
    return out


def _d_china_sensitivity(
    layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, *, degradation_rule: str = "none"
) -> xr.DataArray:
    grades = [_da(layers, k) for k in inputs[:4]]
    if degradation_rule == "none":
        out: xr.DataArray = china_sensitivity(*grades)
        return out
    if len(inputs) < 5:
        raise InvalidParameterError(
            f"china_sensitivity: degradation_rule {degradation_rule!r} needs a 5th input "
            "(the degradation-trend layer)"
        )
    out = china_sensitivity(*grades, trend_degraded=_da(layers, inputs[4]), rule=degradation_rule)
    return out

