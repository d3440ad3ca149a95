"""Declarative models: inputs, derivations, criteria, constraints, combination rule — and running them.

A :class:`Model` is a frozen value: it *describes* a suitability or risk model (which input
layers it needs, how derived layers are computed from them, the criteria with their value
functions, weights and sources, the constraints and the rule). It is edited by building a
new one (:meth:`Model.replace_criterion`, :meth:`Model.with_weights`, :func:`dataclasses.replace`),
round-trips through TOML, and is evaluated by :func:`run_model`.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import tomli_w
import xarray as xr

from steppe_geo._validation import did_you_mean
from steppe_geo.errors import InvalidParameterError, MissingLayerError
from steppe_geo.grid import Grid
from steppe_geo.mcda import (
    Constraint,
    Criterion,
    MinimumArea,
    Overlay,
    OverlayResult,
    Rule,
    Setback,
    constraint_from_dict,
    evaluate,
)

__all__ = [
    "DERIVATIONS",
    "PARAMETER_RANGES",
    "VECTOR_INPUTS",
    "Derivation",
    "Model",
    "ModelResult",
    "run_model",
]

VECTOR_INPUTS = frozenset(
    {
        "roads",
        "railways",
        "power_lines",
        "substations",
        "settlements",
        "homesteads",
        "protected_areas",
        "water",
        "rivers",
        "airport",
        "townships",
        "parcels",
        "aoi",
    }
)
"""Input names read as vector layers (everything else is a raster)."""
CATEGORICAL_INPUTS = frozenset({"land_cover", "soil_texture"})

PARAMETER_RANGES: Mapping[str, tuple[float, float, bool]] = MappingProxyType(
    {
        # name: (low, high, low_inclusive)
        "hub_height_m": (0.0, 300.0, False),
        "rotor_diameter_m": (0.0, 300.0, False),
        "reference_height_m": (0.0, 300.0, False),
        "shear_exponent": (0.0, 0.6, True),
        "performance_ratio": (0.0, 1.0, False),
        "poa_gain": (0.5, 1.6, True),
        "parent_material_score": (1.0, 2.0, True),
        "rock_fragments_score": (1.0, 2.0, True),
        "drainage_score": (1.0, 2.0, True),
        "policy_enforcement_score": (1.0, 2.0, True),
        "windy_days_threshold_ms": (0.0, 30.0, False),
        "trend_alpha": (0.0, 0.5, False),
    }
)
"""Allowed range of each preset parameter (low, high, whether ``low`` itself is allowed)."""


def _check_parameters(params: Mapping[str, Any], model: str) -> None:
    for key, value in params.items():
        if key not in PARAMETER_RANGES or isinstance(value, str) or value is None:
            continue
        low, high, low_ok = PARAMETER_RANGES[key]
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"model {model!r}: parameter {key} must be a number, got {value!r}"
            ) from None
        ok = (v >= low if low_ok else v > low) and v <= high and math.isfinite(v)
        if not ok:
            bracket = "[" if low_ok else "("
            raise InvalidParameterError(
                f"model {model!r}: parameter {key} must be within {bracket}{low:g}, {high:g}], got {value!r}"
            )


def _plain(v: Any) -> Any:
    """TOML-friendly copy (mappingproxy → dict, tuple → list, numpy scalars → Python)."""
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


# ----------------------------------------------------------------------------- derivations
@dataclass(frozen=True)
class Derivation:
    """A derived layer: ``name = DERIVATIONS[function](inputs, **parameters)``.

    Attributes
    ----------
    name : str
        Key of the derived layer (criteria and constraints refer to it).
    function : str
        Name in :data:`DERIVATIONS` (e.g. ``"slope"``, ``"distance"``, ``"esai"``).
    inputs : tuple of str
        Input or earlier derived layer keys, in the order the function takes them.
    parameters : mapping
        Keyword parameters of the function; a string value ``"$name"`` is read from the
        model's ``parameters`` (e.g. ``{"hub_height_m": "$hub_height_m"}``).
    """

    name: str
    function: str
    inputs: tuple[str, ...]
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.function not in DERIVATIONS:
            raise InvalidParameterError(
                f"derivation {self.name!r}: unknown function {self.function!r}"
                f"{did_you_mean(self.function, DERIVATIONS)} "
                f"Valid functions are: {', '.join(sorted(DERIVATIONS))}."
            )
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))

    def __hash__(self) -> int:
        return hash((self.name, self.function, self.inputs))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (TOML-friendly)."""
        return {
            "name": self.name,
            "function": self.function,
            "inputs": list(self.inputs),
            "parameters": _plain(self.parameters),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Derivation:
        """Inverse of :meth:`to_dict`."""
        return cls(
            data["name"], data["function"], tuple(data.get("inputs", ())), dict(data.get("parameters", {}))
        )


def _da(layers: Mapping[str, Any], key: str) -> xr.DataArray:
    v = layers[key]
    if not isinstance(v, xr.DataArray):
        raise InvalidParameterError(f"layer {key!r} must be a raster here, got {type(v).__name__}")
    return v


def _time_mean(da: xr.DataArray) -> xr.DataArray:
    if "time" in da.dims:
        return da.mean("time", skipna=True, keep_attrs=True)
    if "band" in da.dims:
        return da.mean("band", skipna=True, keep_attrs=True)
    return da


def _like(ref: xr.DataArray, values: np.ndarray, name: str, units: str) -> xr.DataArray:
    grid = Grid.from_dataarray(ref)
    return grid.to_dataarray(np.asarray(values, dtype=np.float64), name=name, units=units)


def _float(da: xr.DataArray) -> np.ndarray:
    arr = np.asarray(da.values, dtype=np.float64)
    nodata = da.rio.nodata
    if nodata is not None and not np.isnan(nodata):
        arr = np.where(np.asarray(da.values) == nodata, np.nan, arr)
    return arr


def _d_slope(
    layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, units: str = "degrees"
) -> xr.DataArray:
    from steppe_geo.criteria import slope

    return slope(_da(layers, inputs[0]), units=units)


def _d_aspect(layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid) -> xr.DataArray:
    from steppe_geo.criteria import aspect

    return aspect(_da(layers, inputs[0]))


def _d_distance(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    max_distance_m: float | None = None,
    all_touched: bool = True,
) -> xr.DataArray:
    # all_touched (default): every pixel a feature touches is a feature pixel, so features smaller than a
    # pixel are never lost and a pixel centre within d − ½ pixel diagonal of a feature is within d.
    import geopandas as gpd
    import pandas as pd_

    from steppe_geo.criteria import distance

    frames = []
    for key in inputs:
        v = layers[key]
        if not isinstance(v, gpd.GeoDataFrame | gpd.GeoSeries):
            raise InvalidParameterError(
                f"distance: input {key!r} must be a vector layer, got {type(v).__name__}"
            )
        gs = v.geometry if isinstance(v, gpd.GeoDataFrame) else v
        frames.append(gs.to_crs(grid.crs))
    feats = gpd.GeoSeries(pd_.concat(frames, ignore_index=True), crs=grid.crs)
    return distance(feats, grid=grid, max_distance_m=max_distance_m, all_touched=bool(all_touched))


def _d_hub_height_speed(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    hub_height_m: float,
    reference_height_m: float = 100.0,
    shear_exponent: float = 1 / 7,
) -> xr.DataArray:
    # power law v(h) = v_ref · (h / h_ref)^α (methods.md §3), by steppe_geo.criteria.power_law
    from steppe_geo.criteria import power_law

    v = _da(layers, inputs[0])
    out = power_law(
        _like(v, _float(v), "wind_speed", "m s-1"),
        height_m=float(hub_height_m),
        ref_height_m=float(reference_height_m),
        alpha=float(shear_exponent),
    )
    return _like(v, _float(out), "wind_speed_hub", "m s-1")


def _d_wind_power_density(layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid) -> xr.DataArray:
    # WPD = ½ ρ c³ Γ(1 + 3/k) with c = v̄ / Γ(1 + 1/k), ρ = 1.225 · exp(−z / 8435 m) (methods.md §3)
    from scipy.special import gamma

    v, k, z = (_float(_da(layers, key)) for key in inputs)
    c = v / gamma(1 + 1 / k)
    rho = 1.225 * np.exp(-z / 8435.0)
    return _like(_da(layers, inputs[0]), 0.5 * rho * c**3 * gamma(1 + 3 / k), "wind_power_density", "W m-2")


def _pv_gain_table(ghi: np.ndarray, lat: np.ndarray, *, n_lat: int = 9, n_ghi: int = 33) -> np.ndarray:
    """Plane-of-array gain of a latitude-tilted array, interpolated from a (latitude × GHI) table.

    ``steppe_geo.criteria.poa_gain`` integrates the sun's path for every pixel; for a latitude tilt the
    gain depends only on (latitude, GHI) and is smooth in both, so it is computed on ``n_lat × n_ghi``
    nodes spanning the layer and interpolated bilinearly (relative error < 1e-4 on the sample, tested).
    """
    from scipy.interpolate import RegularGridInterpolator

    from steppe_geo.criteria import poa_gain

    ok = np.isfinite(ghi) & np.isfinite(lat) & (ghi > 0)
    out = np.full(ghi.shape, np.nan)
    if not ok.any():
        return out

    def nodes(v: np.ndarray, n: int) -> np.ndarray:
        lo, hi = float(v.min()), float(v.max())
        return np.linspace(lo, hi if hi > lo else lo + 1e-6, n)

    lat_n, ghi_n = nodes(lat[ok], n_lat), nodes(ghi[ok], n_ghi)
    la, gh = np.meshgrid(lat_n, ghi_n, indexing="ij")
    nodes_grid = Grid(crs="EPSG:3857", transform=(1.0, 0.0, 0.0, 0.0, -1.0, 0.0), shape=la.shape)
    table = poa_gain(nodes_grid.to_dataarray(gh), latitude_deg=nodes_grid.to_dataarray(la))
    table = np.asarray(getattr(table, "values", table), dtype=np.float64)
    interp = RegularGridInterpolator((lat_n, ghi_n), table, method="linear")
    out[ok] = interp(np.column_stack([lat[ok], ghi[ok]]))
    return out


def _d_pv_yield(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    performance_ratio: float = 0.80,
) -> xr.DataArray:
    # Y (kWh/kWp/yr) = GHI · POA gain · PR / 1 kW/m² (methods.md §4) for a latitude-tilted, equator-facing
    # array at each pixel's latitude; the gain is steppe_geo.criteria.poa_gain (via a lookup table)
    import pyproj

    from steppe_geo._validation import check_range

    check_range(performance_ratio, param="performance_ratio", low=1e-9, high=1.0)
    ghi = _da(layers, inputs[0])
    to_geo = pyproj.Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
    xs, ys = np.meshgrid(grid.x_coords(), grid.y_coords())
    _, lat = to_geo.transform(xs, ys)
    g = _float(ghi)
    gain = _pv_gain_table(g, np.asarray(lat, dtype=np.float64))
    return _like(ghi, g * gain * float(performance_ratio), "pv_yield", "kWh kWp-1 yr-1")


def _d_north_facing(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    min_slope_deg: float = 3.0,
    half_width_deg: float = 45.0,
) -> xr.DataArray:
    # 1 where slope ≥ min_slope and aspect within ±half_width of north (GLAES: north-facing ≥ 3° excluded)
    s, a = (_float(_da(layers, key)) for key in inputs)
    north = (s >= min_slope_deg) & ((a >= 360 - half_width_deg) | (a <= half_width_deg))
    return _like(
        _da(layers, inputs[0]), np.where(np.isnan(s), np.nan, north.astype(float)), "north_facing", "1"
    )


def _d_ratio(
    layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, *, name: str = "ratio", units: str = "1"
) -> xr.DataArray:
    num, den = (_float(_da(layers, key)) for key in inputs)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / den, np.nan)
    return _like(_da(layers, inputs[0]), out, name, units)


def _d_fractional_cover(
    layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, *, percent: bool = True
) -> xr.DataArray:
    from steppe_geo.criteria.vegetation import fractional_cover

    fvc = fractional_cover(_time_mean(_da(layers, inputs[0])))
    fvc = fvc.isel(time=-1) if "time" in fvc.dims else fvc
    return _like(fvc, _float(fvc) * (100.0 if percent else 1.0), "plant_cover", "%" if percent else "1")


def _d_trend_degraded(
    layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, *, trend_alpha: float = 0.05
) -> xr.DataArray:
    from steppe_geo.criteria.vegetation import trend

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
    from steppe_geo.models.desertification import grazing_density

    return grazing_density(layers[inputs[0]], grid=grid, column=column)


def _score(table: Any, da: xr.DataArray) -> xr.DataArray:
    return table.apply(da)


def _const(ref: xr.DataArray, value: float) -> xr.DataArray:
    return _like(ref, np.where(np.isnan(_float(ref)), np.nan, float(value)), "constant", "score")


def _d_sqi(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    parent_material_score: float,
    rock_fragments_score: float,
    drainage_score: float,
    soil_texture_coding: str = "openlandmap",
) -> xr.DataArray:
    from steppe_geo.models import desertification as d

    texture, depth, slope_pct = (_da(layers, k) for k in inputs)
    depth_s = _score(d.SOIL_DEPTH, depth)
    return d.soil_quality(
        texture=d.texture_table(soil_texture_coding).apply(texture),
        parent_material=_const(depth_s, parent_material_score),
        rock_fragments=_const(depth_s, rock_fragments_score),
        depth=depth_s,
        slope=_score(d.SLOPE, slope_pct),
        drainage=_const(depth_s, drainage_score),
    )


def _d_cqi(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    rainfall_ladder: str = "global-esa",
    aridity_index: str = "p/pet",
) -> xr.DataArray:
    from steppe_geo.models import desertification as d

    p, ai, asp = (_da(layers, k) for k in inputs)
    return d.climate_quality(
        rainfall=d.score_rainfall(p, ladder=rainfall_ladder),
        aridity=d.score_aridity(ai, index=aridity_index),
        aspect=d.score_aspect(asp),
    )


def _d_vqi(layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid) -> xr.DataArray:
    from steppe_geo.models import desertification as d

    lc, cover = (_da(layers, k) for k in inputs)
    return d.vegetation_quality(
        fire_risk=d.score_land_cover(lc, variable="fire_risk"),
        erosion_protection=d.score_land_cover(lc, variable="erosion_protection"),
        drought_resistance=d.score_land_cover(lc, variable="drought_resistance"),
        plant_cover=d.PLANT_COVER.apply(cover),
    )


def _d_mqi(
    layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, *, policy_enforcement_score: float
) -> xr.DataArray:
    from steppe_geo.models import desertification as d

    grazing = _da(layers, inputs[0])
    lui = d.GRAZING_DENSITY.apply(grazing)
    return d.management_quality(
        land_use_intensity=lui, policy_enforcement=_const(lui, policy_enforcement_score)
    )


def _d_esai(layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid) -> xr.DataArray:
    from steppe_geo.models.desertification import esai

    return esai(*(_da(layers, k) for k in inputs))


def _d_china_grade(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    table: str,
    soil_texture_coding: str = "openlandmap",
) -> xr.DataArray:
    from steppe_geo.models import desertification as d

    tables = {
        "dryness": d.CHINA_DRYNESS,
        "wind_days": d.CHINA_WIND_DAYS,
        "vegetation_cover": d.CHINA_VEGETATION_COVER,
    }
    if table == "texture":
        return d.texture_table(soil_texture_coding, china=True).apply(_da(layers, inputs[0]))
    if table not in tables:
        raise InvalidParameterError(
            f"china_grade: table must be one of {[*tables, 'texture']}, got {table!r}"
        )
    return tables[table].apply(_da(layers, inputs[0]))


def _d_windy_days(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    windy_days_threshold_ms: float = 6.0,
    season_days: float = 182.0,
    reference_height_m: float = 100.0,
    shear_exponent: float = 1 / 7,
) -> xr.DataArray:
    # days in winter–spring with wind ≥ threshold at 10 m: season_days · P(V ≥ u) for a Weibull(c, k);
    # the mean speed is brought from the reference height down to 10 m with the power law (methods.md §3)
    from scipy.special import gamma

    v, k = (_float(_da(layers, key)) for key in inputs)
    v10 = v * (10.0 / float(reference_height_m)) ** float(shear_exponent)
    c = v10 / gamma(1 + 1 / k)
    days = float(season_days) * np.exp(-((float(windy_days_threshold_ms) / c) ** k))
    return _like(_da(layers, inputs[0]), days, "windy_days", "days")


def _d_china_sensitivity(
    layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, *, degradation_rule: str = "none"
) -> xr.DataArray:
    from steppe_geo.models.desertification import china_sensitivity

    grades = [_da(layers, k) for k in inputs[:4]]
    if degradation_rule == "none":
        return china_sensitivity(*grades)
    if len(inputs) < 5:
        raise InvalidParameterError(
            f"china_sensitivity: degradation_rule {degradation_rule!r} needs a 5th input "
            "(the degradation-trend layer)"
        )
    return china_sensitivity(*grades, trend_degraded=_da(layers, inputs[4]), rule=degradation_rule)


DERIVATIONS: Mapping[str, Callable[..., xr.DataArray]] = MappingProxyType(
    {
        "slope": _d_slope,
        "aspect": _d_aspect,
        "distance": _d_distance,
        "hub_height_speed": _d_hub_height_speed,
        "wind_power_density": _d_wind_power_density,
        "pv_yield": _d_pv_yield,
        "north_facing": _d_north_facing,
        "ratio": _d_ratio,
        "fractional_cover": _d_fractional_cover,
        "trend_degraded": _d_trend_degraded,
        "grazing_density": _d_grazing,
        "sqi": _d_sqi,
        "cqi": _d_cqi,
        "vqi": _d_vqi,
        "mqi": _d_mqi,
        "esai": _d_esai,
        "china_grade": _d_china_grade,
        "windy_days": _d_windy_days,
        "china_sensitivity": _d_china_sensitivity,
    }
)
"""Derivation functions by name: ``f(layers, inputs, grid, **parameters) -> DataArray``."""


# ----------------------------------------------------------------------------- model
def _constraint(c: Any) -> Constraint | MinimumArea:
    return constraint_from_dict(c) if isinstance(c, Mapping) else c


@dataclass(frozen=True)
class Model:
    """A declarative suitability or risk model.

    Parameters
    ----------
    name : str
    inputs : tuple of str
        Input layer names it needs (keys of :func:`steppe_geo.datasets.sample_paths`).
    derivations : tuple of Derivation
        Derived layers, computed in order.
    criteria : tuple of steppe_geo.mcda.Criterion
        Layer (input or derived), value function and weight.
    constraints : tuple of steppe_geo.mcda constraints
        In bit order of the exclusion bitmask.
    rule : str, default "wlc"
        Combination rule (:class:`steppe_geo.mcda.Rule`).
    parameters : mapping
        Preset parameters (hub height, performance ratio, ...), checked against :data:`PARAMETER_RANGES`.
    tip_height_setbacks : mapping constraint name → float
        Setbacks written as multiples of the turbine tip height (hub height + rotor diameter / 2);
        their ``distance_m`` is derived from ``parameters`` when the model is evaluated.
    sources : mapping name → str
        Citation of each default (criterion, constraint or parameter name).
    description : str
    """

    name: str
    inputs: tuple[str, ...]
    derivations: tuple[Derivation, ...] = ()
    criteria: tuple[Criterion, ...] = ()
    constraints: tuple[Constraint | MinimumArea, ...] = ()
    rule: str = "wlc"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    tip_height_setbacks: Mapping[str, float] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "inputs", tuple(self.inputs))
        set_(
            self,
            "derivations",
            tuple(Derivation.from_dict(d) if isinstance(d, Mapping) else d for d in self.derivations),
        )
        set_(
            self,
            "criteria",
            tuple(Criterion.from_dict(c) if isinstance(c, Mapping) else c for c in self.criteria),
        )
        set_(self, "constraints", tuple(_constraint(c) for c in self.constraints))
        set_(self, "parameters", MappingProxyType(dict(self.parameters)))
        set_(
            self,
            "tip_height_setbacks",
            MappingProxyType({k: float(v) for k, v in self.tip_height_setbacks.items()}),
        )
        set_(self, "sources", MappingProxyType(dict(self.sources)))
        _check_parameters(self.parameters, self.name)
        # layers must be known, in order
        known = list(self.inputs)
        for d in self.derivations:
            for key in d.inputs:
                if key not in known:
                    raise InvalidParameterError(
                        f"model {self.name!r}: derivation {d.name!r} reads {key!r}, which is neither "
                        "an input "
                        f"nor an earlier derivation{did_you_mean(key, known)} Known layers: {known}"
                    )
            for v in d.parameters.values():
                if isinstance(v, str) and v.startswith("$") and v[1:] not in self.parameters:
                    raise InvalidParameterError(
                        f"model {self.name!r}: derivation {d.name!r} refers to parameter {v[1:]!r}, "
                        f"which is not in parameters {sorted(self.parameters)}"
                    )
            known.append(d.name)
        for kind, items in (("criterion", self.criteria), ("constraint", self.constraints)):
            for c in items:
                key = c.layer_key if isinstance(c, Criterion) else c.layer
                if key is not None and key not in known:
                    raise InvalidParameterError(
                        f"model {self.name!r}: {kind} {c.name!r} reads layer {key!r}, which is neither "
                        "an input "
                        f"nor a derivation{did_you_mean(key, known)} Known layers: {known}"
                    )
        cnames = {c.name: c for c in self.constraints}
        for name, mult in self.tip_height_setbacks.items():
            if name not in cnames or not isinstance(cnames[name], Setback):
                raise InvalidParameterError(
                    f"model {self.name!r}: tip_height_setbacks names {name!r}, "
                    "which is not a setback constraint"
                )
            if not mult > 0:
                raise InvalidParameterError(
                    f"model {self.name!r}: tip-height multiple of {name!r} must be > 0"
                )
            for p in ("hub_height_m", "rotor_diameter_m"):
                if p not in self.parameters:
                    raise InvalidParameterError(
                        f"model {self.name!r}: tip-height setbacks need parameter {p!r}"
                    )
        self.overlay()  # validates criteria, weights, constraints, rule

    def __hash__(self) -> int:
        return hash((self.name, self.inputs, self.derivations, self.criteria, self.constraints, self.rule))

    # ------------------------------------------------------------------ views
    @property
    def criterion_names(self) -> list[str]:
        """Criterion names in order."""
        return [c.name for c in self.criteria]

    @property
    def constraint_names(self) -> list[str]:
        """Constraint names in bit order."""
        return [c.name for c in self.constraints]

    def tip_height_m(self) -> float:
        """Turbine tip height in metres (hub height + rotor diameter / 2)."""
        from steppe_geo.criteria import tip_height_m

        return tip_height_m(self.parameters["hub_height_m"], self.parameters["rotor_diameter_m"])

    def resolved_constraints(self) -> tuple[Constraint | MinimumArea, ...]:
        """Constraints with tip-height setbacks turned into metres."""
        if not self.tip_height_setbacks:
            return self.constraints
        tip = self.tip_height_m()
        return tuple(
            dataclasses.replace(c, distance_m=self.tip_height_setbacks[c.name] * tip)
            if c.name in self.tip_height_setbacks
            else c
            for c in self.constraints
        )

    def overlay(self) -> Overlay:
        """The :class:`steppe_geo.mcda.Overlay` this model evaluates."""
        if not self.criteria:
            raise InvalidParameterError(f"model {self.name!r} has no criteria")
        return Overlay(criteria=self.criteria, constraints=self.resolved_constraints(), rule=self.rule)

    def users_of(self, layer: str) -> list[str]:
        """What reads ``layer`` (derivations, criteria, constraints), for error messages."""
        users = [f"derivation {d.name!r}" for d in self.derivations if layer in d.inputs]
        users += [f"criterion {c.name!r}" for c in self.criteria if c.layer_key == layer]
        users += [f"constraint {c.name!r}" for c in self.constraints if c.layer == layer]
        return users

    # ------------------------------------------------------------------ editing
    def replace_criterion(
        self, name: str, criterion: Criterion | None = None, *, source: str | None = None, **changes: Any
    ) -> Model:
        """A copy with criterion ``name`` replaced (by ``criterion`` or by changed fields)."""
        if name not in self.criterion_names:
            raise InvalidParameterError(
                f"model {self.name!r}: no criterion {name!r}"
                f"{did_you_mean(name, self.criterion_names) or '.'} "
                f"Criteria are: {self.criterion_names}"
            )
        old = self.criteria[self.criterion_names.index(name)]
        new = criterion if criterion is not None else dataclasses.replace(old, **changes)
        crit = tuple(new if c.name == name else c for c in self.criteria)
        sources = dict(self.sources)
        sources.pop(name, None)
        sources[new.name] = (
            source if source is not None else f"edited by user (was: {self.sources.get(name, '-')})"
        )
        return dataclasses.replace(self, criteria=crit, sources=sources)

    def add_criterion(self, criterion: Criterion, *, source: str = "added by user") -> Model:
        """A copy with ``criterion`` appended."""
        return dataclasses.replace(
            self, criteria=(*self.criteria, criterion), sources={**self.sources, criterion.name: source}
        )

    def remove_criterion(self, name: str) -> Model:
        """A copy without criterion ``name``."""
        if name not in self.criterion_names:
            raise InvalidParameterError(
                f"model {self.name!r}: no criterion {name!r}; criteria are {self.criterion_names}"
            )
        return dataclasses.replace(self, criteria=tuple(c for c in self.criteria if c.name != name))

    def with_weights(self, weights: Mapping[str, float]) -> Model:
        """A copy with new weights for the named criteria (others keep theirs).

        Raises
        ------
        InvalidParameterError
            If a name is not a criterion of the model.
        """
        unknown = [k for k in weights if k not in self.criterion_names]
        if unknown:
            raise InvalidParameterError(
                f"model {self.name!r}: weights name {unknown}, which are not criteria"
                f"{did_you_mean(unknown[0], self.criterion_names) or '.'} "
                f"Criteria are: {self.criterion_names}"
            )
        crit = tuple(
            dataclasses.replace(c, weight=float(weights[c.name])) if c.name in weights else c
            for c in self.criteria
        )
        return dataclasses.replace(self, criteria=crit)

    def replace_constraint(
        self, name: str, constraint: Any = None, *, source: str | None = None, **changes: Any
    ) -> Model:
        """A copy with constraint ``name`` replaced (its bit position is kept)."""
        if name not in self.constraint_names:
            raise InvalidParameterError(
                f"model {self.name!r}: no constraint {name!r}"
                f"{did_you_mean(name, self.constraint_names) or '.'} "
                f"Constraints are: {self.constraint_names}"
            )
        old = self.constraints[self.constraint_names.index(name)]
        new = _constraint(constraint) if constraint is not None else dataclasses.replace(old, **changes)
        tip = dict(self.tip_height_setbacks)
        if "distance_m" in changes or constraint is not None:
            tip.pop(name, None)  # an explicit distance replaces a tip-height multiple
        sources = {**self.sources, new.name: source or f"edited by user (was: {self.sources.get(name, '-')})"}
        return dataclasses.replace(
            self,
            constraints=tuple(new if c.name == name else c for c in self.constraints),
            tip_height_setbacks=tip,
            sources=sources,
        )

    def add_constraint(self, constraint: Any, *, source: str = "added by user") -> Model:
        """A copy with ``constraint`` appended (next bit of the exclusion bitmask)."""
        c = _constraint(constraint)
        return dataclasses.replace(
            self, constraints=(*self.constraints, c), sources={**self.sources, c.name: source}
        )

    def remove_constraint(self, name: str) -> Model:
        """A copy without constraint ``name``."""
        if name not in self.constraint_names:
            raise InvalidParameterError(
                f"model {self.name!r}: no constraint {name!r}; constraints are {self.constraint_names}"
            )
        return dataclasses.replace(
            self,
            constraints=tuple(c for c in self.constraints if c.name != name),
            tip_height_setbacks={k: v for k, v in self.tip_height_setbacks.items() if k != name},
        )

    def with_parameters(self, **parameters: Any) -> Model:
        """A copy with preset parameters changed (range-checked)."""
        return dataclasses.replace(self, parameters={**self.parameters, **parameters})

    def edited(
        self,
        *,
        weights: Mapping[str, float] | None = None,
        criteria: Sequence[Criterion | Mapping[str, Any]] = (),
        constraints: Sequence[Any] = (),
        rule: str | None = None,
    ) -> Model:
        """A copy with config-style edits applied (what a ``[models.<name>]`` table holds).

        Criteria and constraints replace those of the same name (keeping their position and
        exclusion bit) or are appended; ``weights`` then override by name; ``rule`` replaces the rule.
        """
        model = self
        for c in criteria:
            crit = Criterion.from_dict(c) if isinstance(c, Mapping) else c
            if crit.name in model.criterion_names:
                model = model.replace_criterion(crit.name, crit, source="set in configuration")
            else:
                model = model.add_criterion(crit, source="set in configuration")
        for c in constraints:
            con = _constraint(c)
            if con.name in model.constraint_names:
                model = model.replace_constraint(con.name, con, source="set in configuration")
            else:
                model = model.add_constraint(con, source="set in configuration")
        if weights:
            model = model.with_weights(weights)
        if rule is not None:
            model = dataclasses.replace(model, rule=rule)
        return model

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """Plain dict (TOML-friendly)."""
        return {
            "name": self.name,
            "description": self.description,
            "inputs": list(self.inputs),
            "rule": Rule(self.overlay().rule).value,
            "parameters": _plain(self.parameters),
            "tip_height_setbacks": _plain(self.tip_height_setbacks),
            "sources": _plain(self.sources),
            "derivations": [d.to_dict() for d in self.derivations],
            "criteria": [_plain(c.to_dict()) for c in self.criteria],
            "constraints": [_plain(c.to_dict()) for c in self.constraints],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        """Inverse of :meth:`to_dict`."""
        return cls(
            name=data["name"],
            inputs=tuple(data.get("inputs", ())),
            derivations=tuple(data.get("derivations", ())),
            criteria=tuple(data.get("criteria", ())),
            constraints=tuple(data.get("constraints", ())),
            rule=data.get("rule", "wlc"),
            parameters=dict(data.get("parameters", {})),
            tip_height_setbacks=dict(data.get("tip_height_setbacks", {})),
            sources=dict(data.get("sources", {})),
            description=data.get("description", ""),
        )

    def to_toml(self) -> str:
        """The model as TOML text (:meth:`from_toml` reads it back to an equal model)."""
        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_toml(cls, text: str) -> Model:
        """Read a model from TOML text (as written by :meth:`to_toml`)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidParameterError(f"model TOML: {exc}") from None
        return cls.from_dict(data)

    def describe(self) -> pd.DataFrame:
        """One row per criterion and constraint: kind, name, layer, value function / rule, weight, source."""
        overlay = self.overlay()
        rows = []
        for c, w in zip(overlay.criteria, overlay.normalized_weights, strict=True):
            rows.append(
                {
                    "kind": "criterion",
                    "name": c.name,
                    "layer": c.layer_key,
                    "function": c.function.label() if hasattr(c.function, "label") else str(c.function),
                    "weight": float(w),
                    "source": self.sources.get(c.name, ""),
                }
            )
        for c in overlay.constraints:
            params = {k: v for k, v in c.to_dict().items() if k not in ("type", "name", "layer")}
            text = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
            if c.name in self.tip_height_setbacks:
                text += f" ({self.tip_height_setbacks[c.name]:g} × tip height {self.tip_height_m():g} m)"
            rows.append(
                {
                    "kind": f"constraint ({c.to_dict()['type']})",
                    "name": c.name,
                    "layer": c.layer,
                    "function": text,
                    "weight": np.nan,
                    "source": self.sources.get(c.name, ""),
                }
            )
        for d in self.derivations:
            rows.append(
                {
                    "kind": "derivation",
                    "name": d.name,
                    "layer": ", ".join(d.inputs),
                    "function": d.function,
                    "weight": np.nan,
                    "source": self.sources.get(d.name, ""),
                }
            )
        for k, v in self.parameters.items():
            rows.append(
                {
                    "kind": "parameter",
                    "name": k,
                    "layer": "",
                    "function": repr(v),
                    "weight": np.nan,
                    "source": self.sources.get(k, ""),
                }
            )
        return pd.DataFrame(rows, columns=["kind", "name", "layer", "function", "weight", "source"])


# ----------------------------------------------------------------------------- running
@dataclass(frozen=True)
class ModelResult:
    """Outputs of :func:`run_model`.

    Attributes
    ----------
    model : Model
    score : DataArray float32
        Score in [0, 1] (suitability, or risk for the desertification models); NaN where ineligible.
    criteria : Dataset
        Every standardised criterion (0..1).
    eligible : DataArray bool
        True = keep.
    exclusion : DataArray uint32
        Bit i set where constraint i (``model.constraint_names[i]``) excluded the pixel.
    layers : Dataset
        Every derived layer (e.g. ``slope_deg``, ``esai``, ``sqi``) plus extras such as ``esa_class``.
    provenance : dict
        Inputs (path and SHA-256 checksum for files), parameters (the model as a dict), versions.
    overlay_result : OverlayResult
    """

    model: Model
    score: xr.DataArray
    criteria: xr.Dataset
    eligible: xr.DataArray
    exclusion: xr.DataArray
    layers: xr.Dataset
    provenance: dict[str, Any]
    overlay_result: OverlayResult

    @property
    def weights(self) -> dict[str, float]:
        """Normalised weights used."""
        return dict(self.overlay_result.weights)

    def excluded_by(self, bitmask: int) -> list[str]:
        """Constraint names for an exclusion bitmask value."""
        return self.overlay_result.excluded_by(bitmask)


def _load_input(name: str, value: Any, grid: Grid) -> Any:
    import geopandas as gpd

    from steppe_geo.io import read_raster, read_vector

    if isinstance(value, gpd.GeoDataFrame | gpd.GeoSeries):
        return value
    if isinstance(value, xr.DataArray):
        g = Grid.from_dataarray(value)
        if g.same_as(grid):
            return value
        kind = "categorical" if name in CATEGORICAL_INPUTS else None
        return read_raster(value, grid=grid, kind=kind, name=name)
    if isinstance(value, str | Path):
        if name in VECTOR_INPUTS:
            return read_vector(value, crs=grid.crs)
        kind = "categorical" if name in CATEGORICAL_INPUTS else None
        return read_raster(value, grid=grid, kind=kind, name=name)
    raise InvalidParameterError(
        f"input {name!r} must be a DataArray, GeoDataFrame or path, got {type(value).__name__}"
    )


def _resolve(value: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return params[value[1:]]
    return value


def run_model(model: Model, inputs: Mapping[str, Any], *, grid: Grid) -> ModelResult:
    """Evaluate ``model`` on ``inputs`` over ``grid``, in memory.

    Parameters
    ----------
    model : Model
        A preset (:func:`steppe_geo.models.wind_onshore`, ...) or your own.
    inputs : mapping name → DataArray, GeoDataFrame or path
        At least ``model.inputs`` (e.g. ``steppe_geo.datasets.sample_paths()``); rasters are aligned
        onto ``grid``, vectors reprojected. Extra entries are ignored.
    grid : Grid
        Projected analysis grid (metres).

    Returns
    -------
    ModelResult

    Raises
    ------
    MissingLayerError
        An input the model needs is missing: the message names it and what uses it.
    InvalidParameterError
        Land-cover or texture codes unknown to the lookup tables (listed); a value function,
        weight or parameter out of range.
    """
    from steppe_geo.io import provenance_record

    missing = [k for k in model.inputs if k not in inputs or inputs[k] is None]
    if missing:
        detail = "; ".join(f"{k!r} (used by {', '.join(model.users_of(k)) or 'the model'})" for k in missing)
        raise MissingLayerError(
            f"model {model.name!r} needs input layer(s) {missing}: {detail}. Supply them in inputs, e.g. "
            f"inputs[{missing[0]!r}] = a path, DataArray or GeoDataFrame (the sample data has it as "
            f"steppe_geo.datasets.sample_paths()[{missing[0]!r}]){did_you_mean(missing[0], list(inputs))}"
        )
    overlay = model.overlay()
    layers: dict[str, Any] = {k: _load_input(k, inputs[k], grid) for k in model.inputs}
    derived: dict[str, xr.DataArray] = {}
    for d in model.derivations:
        params = {k: _resolve(v, model.parameters) for k, v in d.parameters.items()}
        try:
            out = DERIVATIONS[d.function](layers, d.inputs, grid, **params)
        except TypeError as exc:
            raise InvalidParameterError(
                f"model {model.name!r}: derivation {d.name!r} ({d.function}): {exc}"
            ) from None
        out = out.rename(d.name)
        layers[d.name] = out
        derived[d.name] = out
    if "esai" in derived:
        from steppe_geo.models.desertification import classify_esa

        derived["esa_class"] = classify_esa(derived["esai"])
    rasters = {k: v for k, v in layers.items() if isinstance(v, xr.DataArray)}
    res = evaluate(overlay, rasters)
    paths = {k: Path(v) for k, v in inputs.items() if k in model.inputs and isinstance(v, str | Path)}
    prov = provenance_record(paths, model=model.to_dict(), grid=grid.describe())
    prov["inputs_in_memory"] = sorted(k for k in model.inputs if k not in paths)
    ds = xr.Dataset({k: v.drop_vars("spatial_ref", errors="ignore") for k, v in derived.items()})
    ds = ds.rio.write_crs(grid.crs).rio.write_transform(grid.transform)
    return ModelResult(model, res.score, res.criteria, res.eligible, res.exclusion, ds, prov, res)
