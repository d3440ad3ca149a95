"""Declarative models: inputs, derivations, criteria, constraints, combination rule — and running them.

A :class:`Model` is a frozen value: it *describes* a suitability or risk model (which input
layers it needs, how derived layers are computed from them, the criteria with their value
functions, weights and sources, the constraints and the rule). It is edited by building a
new one (:meth:`Model.replace_criterion`, :meth:`Model.with_weights`, :func:`dataclasses.replace`),
round-trips through TOML, and is evaluated by :func:`run_model`.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import logging
import math
import tomllib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import tomli_w
import xarray as xr

from steppe_geo._validation import check_number, did_you_mean
from steppe_geo.errors import (
    EmptyLayerError,
    InvalidParameterError,
    MissingLayerError,
    PointFeaturesWarning,
)
from steppe_geo.grid import Grid
from steppe_geo.mcda import (
    Categorical,
    Categories,
    Constraint,
    Criterion,
    MinimumArea,
    Overlay,
    OverlayResult,
    Rule,
    Setback,
    ValueRange,
    constraint_from_dict,
    evaluate,
)
from steppe_geo.models.land_cover import format_codes, land_cover_legend, matching_legends

__all__ = [
    "AREA_INPUTS",
    "DERIVATIONS",
    "DERIVATION_HALOS",
    "DERIVATION_INPUT_KINDS",
    "PARAMETER_RANGES",
    "VECTOR_INPUTS",
    "WHOLE_GRID",
    "Derivation",
    "InputKind",
    "Model",
    "ModelResult",
    "PointFeaturesWarning",
    "check_class_codes",
    "class_code_inputs",
    "derivation_halo",
    "derive_layers",
    "run_model",
]

log = logging.getLogger(__name__)


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
AREA_INPUTS = frozenset({"settlements", "protected_areas"})
"""Vector inputs whose features are areas: points there make setbacks warn (:class:`PointFeaturesWarning`)."""
DISTANCE_FUNCTIONS = frozenset({"distance", "within"})
"""Derivations for which an empty vector layer means "nothing here" (no feature to keep away from)."""

PARAMETER_RANGES: Mapping[str, tuple[float, float, bool]] = MappingProxyType(
    {
        # name: (low, high, low_inclusive)
        "hub_height_m": (0.0, 300.0, False),
        "rotor_diameter_m": (0.0, 300.0, False),
        "reference_height_m": (0.0, 300.0, False),
        "shear_exponent": (0.0, 0.6, True),
        "max_grid_distance_m": (0.0, 200_000.0, False),
        "performance_ratio": (0.0, 1.0, False),
        "poa_gain": (0.5, 1.6, True),
        "max_slope_pct": (0.0, 100.0, False),
        "parent_material_score": (1.0, 2.0, True),
        "rock_fragments_score": (1.0, 2.0, True),
        "drainage_score": (1.0, 2.0, True),
        "policy_enforcement_score": (1.0, 2.0, True),
        "windy_days_threshold_ms": (0.0, 30.0, False),
        "trend_alpha": (0.0, 0.5, False),
    }
)
"""Allowed range of each numeric preset parameter (low, high, whether ``low`` itself is allowed)."""

TABLE_PARAMETERS: Mapping[str, str] = MappingProxyType(
    {
        "fire_risk_scores": "land_cover",
        "erosion_protection_scores": "land_cover",
        "drought_resistance_scores": "land_cover",
        "texture_scores": "soil_texture",
        "texture_grades": "soil_texture",
    }
)
"""Lookup-table parameters (class code → score, added to / replacing a default table) → their input layer."""


def _choice_parameters() -> dict[str, type]:
    """Text parameters with a fixed set of values (checked when a model is built)."""
    from steppe_geo.models import desertification as d

    return {
        "soil_texture_coding": d.TextureCoding,
        "rainfall_ladder": d.RainfallLadder,
        "degradation_rule": d.DegradationRule,
        "dryness_index": d.ChinaDrynessIndex,
    }


def _check_parameters(params: Mapping[str, Any], model: str) -> None:
    """Range-check numbers, check text choices and lookup tables (errors name the parameter)."""
    from steppe_geo._validation import parse_choice

    choices = _choice_parameters()
    for key, value in params.items():
        what = f"model {model!r}: parameter {key}"
        if key == "land_cover_legend":
            try:
                land_cover_legend(value)
            except InvalidParameterError as exc:
                raise InvalidParameterError(f"model {model!r}: parameter {exc}") from None
            continue
        if key in choices:
            parse_choice(choices[key], value, param=what)
            continue
        if key in TABLE_PARAMETERS or key.endswith("_setbacks_m"):
            if not isinstance(value, Mapping):
                raise InvalidParameterError(
                    f"{what} must be a table (code or class → value), got {value!r}"
                )
            for k, v in value.items():
                if key in TABLE_PARAMETERS:
                    try:
                        code = float(k)
                    except (TypeError, ValueError):
                        code = math.nan
                    if not code.is_integer():
                        raise InvalidParameterError(
                            f"{what}: keys must be integer class codes of layer "
                            f"{TABLE_PARAMETERS[key]!r}, got {k!r}"
                        )
                if not check_number(v, param=f"{what}[{k!r}]") > 0:
                    raise InvalidParameterError(f"{what}[{k!r}] must be > 0, got {v!r}")
            continue
        if key not in PARAMETER_RANGES:
            continue
        v = check_number(value, param=what)
        low, high, low_ok = PARAMETER_RANGES[key]
        if not ((v >= low if low_ok else v > low) and v <= high):
            bracket = "[" if low_ok else "("
            raise InvalidParameterError(f"{what} must be within {bracket}{low:g}, {high:g}], got {value!r}")


def _freeze(v: Any) -> Any:
    """Parameters as immutable values: mappings → read-only with string keys (as TOML gives them back)."""
    if isinstance(v, Mapping):
        return MappingProxyType({str(k): _freeze(x) for k, x in v.items()})
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    return v


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

    @property
    def input_kinds(self) -> dict[str, InputKind]:
        """Input key → the kind of layer the function reads it as (from :data:`DERIVATION_INPUT_KINDS`).

        Examples
        --------
        >>> from steppe_geo.models.model import Derivation
        >>> Derivation("setback_roads", "within", ("roads",), {"distance_m": 200}).input_kinds
        {'roads': <InputKind.VECTOR: 'vector'>}
        """
        declared = DERIVATION_INPUT_KINDS[self.function]
        if len(declared) == 1:
            return {k: declared[0] for k in self.inputs}
        return dict(zip(self.inputs, declared, strict=False))

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

    # values on the grid's outer ring and beside DEM holes (gdaldem -compute_edges): a model
    # should not lose its edge pixels to no_data because a 3 x 3 kernel runs out of neighbours
    return slope(_da(layers, inputs[0]), units=units, compute_edges=True)


def _d_aspect(layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid) -> xr.DataArray:
    from steppe_geo.criteria import aspect

    return aspect(_da(layers, inputs[0]), compute_edges=True)  # as slope


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
        frames.append(gs if gs.crs is None and len(gs) == 0 else gs.to_crs(grid.crs))
    feats = gpd.GeoSeries(pd_.concat(frames, ignore_index=True), crs=grid.crs)
    if not (~(feats.isna() | feats.is_empty)).any():  # an empty layer: nothing here, no feature within reach
        attrs = {"max_distance_m": float(max_distance_m)} if max_distance_m is not None else {}
        return grid.to_dataarray(np.full(grid.shape, np.inf), name="distance", units="m", attrs=attrs)
    return distance(feats, grid=grid, max_distance_m=max_distance_m, all_touched=bool(all_touched))


def _vector_features(layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, what: str) -> Any:
    import geopandas as gpd
    import pandas as pd_

    frames = []
    for key in inputs:
        v = layers[key]
        if not isinstance(v, gpd.GeoDataFrame | gpd.GeoSeries):
            raise InvalidParameterError(
                f"{what}: input {key!r} must be a vector layer, got {type(v).__name__}"
            )
        gdf = v if isinstance(v, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=v)
        frames.append(gdf.set_crs(grid.crs) if gdf.crs is None and len(gdf) == 0 else gdf.to_crs(grid.crs))
    if len(frames) == 1:
        return frames[0]
    return gpd.GeoDataFrame(pd_.concat(frames, ignore_index=True), crs=grid.crs)


def within_distance_m(
    *,
    distance_m: float | None = None,
    tip_height_multiple: float | None = None,
    hub_height_m: float | None = None,
    rotor_diameter_m: float | None = None,
    class_distances_m: Mapping[str, float] | None = None,
    what: str = "within",
) -> float | dict[str, float]:
    """The distance of a ``within`` derivation in metres (a number, or one per feature class).

    ``distance_m`` in metres; or ``tip_height_multiple`` × (``hub_height_m`` + ``rotor_diameter_m`` / 2);
    or ``class_distances_m`` (class → metres, ``"*"`` for every other class).

    Raises
    ------
    InvalidParameterError
        If none or more than one is given, or a distance is not a finite number > 0.
    """
    from steppe_geo._validation import check_positive

    given = [k for k, v in (("distance_m", distance_m), ("tip_height_multiple", tip_height_multiple),
                            ("class_distances_m", class_distances_m)) if v is not None and v != {}]
    if len(given) != 1:
        raise InvalidParameterError(
            f"{what}: give exactly one of distance_m, tip_height_multiple (with hub_height_m and "
            f"rotor_diameter_m) or class_distances_m, got {given or 'none'}"
        )
    if distance_m is not None:
        return check_positive(distance_m, param=f"{what}: distance_m")
    if tip_height_multiple is not None:
        from steppe_geo.criteria import tip_height_m

        if hub_height_m is None or rotor_diameter_m is None:
            raise InvalidParameterError(
                f"{what}: tip_height_multiple needs hub_height_m and rotor_diameter_m"
            )
        mult = check_positive(tip_height_multiple, param=f"{what}: tip_height_multiple")
        return round(mult * tip_height_m(hub_height_m, rotor_diameter_m), 9)  # 1.1 x 200 m = 220 m exactly
    assert class_distances_m is not None
    if not isinstance(class_distances_m, Mapping):
        raise InvalidParameterError(
            f"{what}: class_distances_m must map feature classes to metres, got {class_distances_m!r}"
        )
    return {str(k): check_positive(v, param=f"{what}: class_distances_m[{k!r}]")
            for k, v in class_distances_m.items()}


def _d_within(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    distance_m: float | None = None,
    tip_height_multiple: float | None = None,
    hub_height_m: float | None = None,
    rotor_diameter_m: float | None = None,
    class_column: str = "",
    class_distances_m: Mapping[str, float] | None = None,
    width_column: str = "",
    all_touched: bool = False,
) -> xr.DataArray:
    # 1 where a pixel centre (all_touched: any part of the pixel) is within the distance of a feature's
    # geometry, else 0 — exact against the vector geometries (steppe_geo.criteria.within_distance); the
    # distance may depend on a class column, and line features with a width column are measured from their
    # banks (centre line + width / 2).
    from steppe_geo.criteria import within_distance

    what = "within"
    gdf = _vector_features(layers, inputs, grid, what)
    d = within_distance_m(distance_m=distance_m, tip_height_multiple=tip_height_multiple,
                          hub_height_m=hub_height_m, rotor_diameter_m=rotor_diameter_m,
                          class_distances_m=class_distances_m, what=what)
    if not (~(gdf.geometry.isna() | gdf.geometry.is_empty)).any():  # an empty layer: nothing within reach
        return grid.to_dataarray(np.zeros(grid.shape), name="within", units="1")
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    if isinstance(d, dict):
        if class_column:
            if class_column not in gdf.columns:
                raise MissingLayerError(
                    f"{what}: input layer {inputs[0]!r} has no class column {class_column!r}"
                    f"{did_you_mean(class_column, cols) or '.'} Columns are: {cols}. Name the column, or "
                    "set the class column to '' to give every feature the '*' distance."
                )
            classes = gdf[class_column].astype(str).to_numpy()
        else:
            classes = np.full(len(gdf), "*", dtype=object)
        unknown = sorted({c for c in classes if c not in d} if "*" not in d else set())
        if unknown:
            raise InvalidParameterError(
                f"{what}: input layer {inputs[0]!r} has feature classes {unknown} (column {class_column!r}) "
                f"without a setback; the setbacks by class are {d}. Add them (or a '*' entry for every "
                "other class) to the class distances."
            )
        per_feature = np.array([d.get(c, d.get("*", np.nan)) for c in classes], dtype=np.float64)
    else:
        per_feature = np.full(len(gdf), float(d))
    if width_column:
        if width_column not in gdf.columns:
            raise MissingLayerError(
                f"{what}: input layer {inputs[0]!r} has no width column {width_column!r}"
                f"{did_you_mean(width_column, cols) or '.'} Columns are: {cols}. Name the column, or set "
                "the width column to '' to measure from the centre lines."
            )
        w = np.asarray(gdf[width_column], dtype=np.float64)
        if np.any(w[np.isfinite(w)] < 0):
            raise InvalidParameterError(f"{what}: {inputs[0]}.{width_column} must be >= 0 metres")
        per_feature = per_feature + np.where(np.isfinite(w), w, 0.0) / 2.0  # NaN width: the centre line
    mask = np.zeros(grid.shape, dtype=bool)
    for dist in np.unique(per_feature):
        sub = gdf[per_feature == dist]
        mask |= np.asarray(
            within_distance(sub, grid=grid, distance_m=float(dist), all_touched=bool(all_touched)).values,
            dtype=bool,
        )
    return grid.to_dataarray(mask.astype(np.float64), name="within", units="1")


def _d_hub_height_speed(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    hub_height_m: float,
    reference_height_m: float = 100.0,
    shear_exponent: float = 1 / 7,
) -> xr.DataArray:
    # power law v(h) = v_ref · (h / h_ref)^α (docs/models.md), by steppe_geo.criteria.power_law
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
    # WPD = ½ ρ c³ Γ(1 + 3/k) with c = v̄ / Γ(1 + 1/k), ρ = 1.225 · exp(−z / 8435 m) (docs/models.md)
    from scipy.special import gamma

    v, k, z = (_float(_da(layers, key)) for key in inputs)
    c = v / gamma(1 + 1 / k)
    rho = 1.225 * np.exp(-z / 8435.0)
    return _like(_da(layers, inputs[0]), 0.5 * rho * c**3 * gamma(1 + 3 / k), "wind_power_density", "W m-2")


PV_LAT_STEP_DEG = 0.05
"""Latitude spacing of the plane-of-array gain table nodes (degrees)."""
PV_LOG_GHI_STEP = 0.005
"""Spacing of the gain table nodes in log(GHI) (0.5 % steps of GHI)."""


def _pv_gain_table(ghi: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Plane-of-array gain of a latitude-tilted array, interpolated from a (latitude × GHI) table.

    ``steppe_geo.criteria.poa_gain`` integrates the sun's path for every pixel; for a latitude tilt the
    gain depends only on (latitude, GHI) and is smooth in both, so it is computed on table nodes and
    interpolated bilinearly (relative error < 1e-4, tested). The nodes lie on one fixed lattice
    (:data:`PV_LAT_STEP_DEG` in latitude, :data:`PV_LOG_GHI_STEP` in log GHI) and only those around
    the layer's values are computed, so a pixel's value does not depend on the rest of the layer: a
    window of the grid gives the same values as the whole grid (streamed and Dask runs).
    """
    from scipy.interpolate import RegularGridInterpolator

    from steppe_geo.criteria import poa_gain

    ok = np.isfinite(ghi) & np.isfinite(lat) & (ghi > 0)
    out = np.full(ghi.shape, np.nan)
    if not ok.any():
        return out

    def nodes(v: np.ndarray, step: float) -> np.ndarray:
        k0, k1 = math.floor(float(v.min()) / step), math.ceil(float(v.max()) / step)
        return np.arange(k0, max(k1, k0 + 1) + 1, dtype=np.float64) * step

    lat_n = nodes(lat[ok], PV_LAT_STEP_DEG)
    ghi_n = np.exp(nodes(np.log(ghi[ok]), PV_LOG_GHI_STEP))
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
    # Y (kWh/kWp/yr) = GHI · POA gain · PR / 1 kW/m² (docs/models.md) for a latitude-tilted, equator-facing
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
    layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, *, percent: bool = True,
    ndvi_soil: float | None = None, ndvi_veg: float | None = None,
) -> xr.DataArray:
    # end-members default to percentiles of the whole layer (a windowed run computes them first and
    # passes them, see steppe_geo.pipeline.evaluate)
    from steppe_geo.criteria.vegetation import fractional_cover

    fvc = fractional_cover(_time_mean(_da(layers, inputs[0])), ndvi_soil=ndvi_soil, ndvi_veg=ndvi_veg)
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
    texture_scores: Mapping[str, float] | None = None,
) -> xr.DataArray:
    from steppe_geo.models import desertification as d

    texture, depth, slope_pct = (_da(layers, k) for k in inputs)
    depth_s = _score(d.SOIL_DEPTH, depth)
    table = d.texture_table(soil_texture_coding).with_scores(texture_scores)
    return d.soil_quality(
        texture=d.apply_lookup(table, texture, layer=inputs[0], parameter="texture_scores"),
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
    from steppe_geo.models import desertification as d

    lc, cover = (_da(layers, k) for k in inputs)
    overrides = {"fire_risk": fire_risk_scores, "erosion_protection": erosion_protection_scores,
                 "drought_resistance": drought_resistance_scores}
    scores = {
        v: d.apply_lookup(d.land_cover_table(v, table, legend=land_cover_legend), lc, layer=inputs[0],
                          parameter=f"{v}_scores")
        for v, table in overrides.items()
    }
    return d.vegetation_quality(**scores, plant_cover=d.PLANT_COVER.apply(cover))


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
    texture_grades: Mapping[str, float] | None = None,
) -> xr.DataArray:
    from steppe_geo.models import desertification as d

    t = d.china_table(table, soil_texture_coding=soil_texture_coding, texture_grades=texture_grades)
    if isinstance(t, d.CategoryTable):
        return d.apply_lookup(t, _da(layers, inputs[0]), layer=inputs[0], parameter="texture_grades",
                              preset="desertification_china")
    return t.apply(_da(layers, inputs[0]))


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
    # the mean speed is brought from the reference height down to 10 m with the power law (docs/models.md)
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
        "within": _d_within,
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


class InputKind(enum.Enum):
    """The kind of layer a derivation reads an input as."""

    RASTER = "raster"
    CATEGORICAL = "categorical"
    VECTOR = "vector"


_R, _C, _V = InputKind.RASTER, InputKind.CATEGORICAL, InputKind.VECTOR
DERIVATION_INPUT_KINDS: Mapping[str, tuple[InputKind, ...]] = MappingProxyType(
    {
        "slope": (_R,),
        "aspect": (_R,),
        "distance": (_V,),
        "within": (_V,),
        "hub_height_speed": (_R,),
        "wind_power_density": (_R,),
        "pv_yield": (_R,),
        "north_facing": (_R,),
        "ratio": (_R,),
        "fractional_cover": (_R,),
        "trend_degraded": (_R,),
        "grazing_density": (_V,),
        "sqi": (_C, _R, _R),  # soil texture classes, soil depth, slope
        "cqi": (_R,),
        "vqi": (_C, _R),  # land-cover classes, plant cover
        "mqi": (_R,),
        "esai": (_R,),
        "china_grade": (_R,),
        "windy_days": (_R,),
        "china_sensitivity": (_R,),
    }
)
"""Kinds of the inputs of each function of :data:`DERIVATIONS`, in the order the function takes them; a
single kind applies to every input (``distance`` and ``within`` read any number of vector layers).

The one declaration the configuration checker (:func:`steppe_geo.pipeline.check_config`) reads to tell
whether an input must be a raster or a vector file; :attr:`Derivation.input_kinds` applies it to a
derivation's inputs."""


PRESETS: dict[str, Callable[..., Model]] = {}
"""Preset name → function returning the :class:`Model` (names as in the TOML config); filled by
:mod:`steppe_geo.models` when it imports the presets, so that this module need not import them."""

WHOLE_GRID = -1
"""Halo of a derivation whose pixels depend on the whole grid (see :func:`derivation_halo`)."""


def _halo_terrain(params: Mapping[str, Any], grid: Grid) -> int:
    from steppe_geo.criteria.terrain import HALO

    return int(HALO)


def _halo_distance(params: Mapping[str, Any], grid: Grid) -> int:
    # vector features beyond a window count up to the cap (criteria.distance burns them on the window
    # grown by the cap), so a capped distance needs the vectors, not a halo; uncapped it needs the grid
    return 0 if params.get("max_distance_m") is not None else WHOLE_GRID


def _halo_cover(params: Mapping[str, Any], grid: Grid) -> int:
    # percentiles of the whole layer unless both end-members are given
    return 0 if params.get("ndvi_soil") is not None and params.get("ndvi_veg") is not None else WHOLE_GRID


DERIVATION_HALOS: Mapping[str, Callable[[Mapping[str, Any], Grid], int]] = MappingProxyType(
    {"slope": _halo_terrain, "aspect": _halo_terrain, "distance": _halo_distance,
     "fractional_cover": _halo_cover}
)
"""Halo in pixels of the derivations that read neighbours (``f(parameters, grid) -> pixels``).

Every other derivation is pixel-wise (halo 0) given its inputs and the whole vector layers: lookups,
ratios, resource formulas, the NDVI trend of each pixel's series, ``within`` (exact distances to the
vector geometries), grazing density (per township polygon), PV yield (a fixed table lattice).
:data:`WHOLE_GRID` marks a pixel that depends on the whole grid.
"""


def derivation_halo(model: Model, *, grid: Grid,
                    parameters: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, int]:
    """Halo in pixels each derived layer of ``model`` needs around a window, chains included.

    A derived layer computed from another derived layer needs both halos (``north_facing`` from
    ``slope_deg`` from ``dem``: 1 pixel), so a window of the grid read with that halo gives, in its
    core, the values of the whole grid.

    Parameters
    ----------
    model : Model
    grid : Grid
        Analysis grid (halos of capped distances are in its pixels).
    parameters : mapping derived layer → parameters, optional
        Extra parameters given to the derivation (as :func:`derive_layers` takes them).

    Returns
    -------
    dict derived layer → pixels
        :data:`WHOLE_GRID` (-1) where a pixel depends on the whole grid (an uncapped distance,
        fractional cover without end-members).
    """
    halos: dict[str, int] = {}
    for d in model.derivations:
        params = {**model.resolved_parameters(d), **dict((parameters or {}).get(d.name, {}))}
        own = DERIVATION_HALOS[d.function](params, grid) if d.function in DERIVATION_HALOS else 0
        upstream = [halos[k] for k in d.inputs if k in halos]
        if own == WHOLE_GRID or WHOLE_GRID in upstream:
            halos[d.name] = WHOLE_GRID
        else:
            halos[d.name] = own + max(upstream, default=0)
    return halos


# ----------------------------------------------------------------------------- model
_WITHIN_EDITS = ("distance_m", "tip_height_multiple", "class_distances_m", "class_column", "width_column",
                 "all_touched")


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
    preset : str
        Name of the preset function that built the model (a key of ``steppe_geo.models.PRESETS``),
        or "" for a model built by hand; :meth:`with_parameters` rebuilds presets through it.
    metadata : mapping
        Facts about the model's output for later steps, e.g. ``capacity_density_mw_per_km2`` with
        ``capacity_basis`` "AC" (wind) or "DC" (solar) and its source.
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
    preset: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

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
        set_(self, "parameters", _freeze(dict(self.parameters)))
        set_(self, "metadata", _freeze(dict(self.metadata)))
        set_(
            self,
            "tip_height_setbacks",
            MappingProxyType({k: float(v) for k, v in self.tip_height_setbacks.items()}),
        )
        set_(self, "sources", MappingProxyType(dict(self.sources)))
        _check_parameters(self.parameters, self.name)
        # layers must be known, in order
        known = list(self.inputs)
        names = [d.name for d in self.derivations]
        dup = sorted({n for n in names if names.count(n) > 1} | {n for n in names if n in self.inputs})
        if dup:
            raise InvalidParameterError(
                f"model {self.name!r}: derivation names must be unique and differ from the inputs; "
                f"duplicated: {dup}"
            )
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
            if d.function == "within":
                self.within_distance(d.name)  # distances valid (> 0, one way of giving them)
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

    def used_by(self, layer: str) -> str:
        """:meth:`users_of` as one phrase: ``"derivations 'a', 'b'; criterion 'c'"`` (or ``""``)."""
        groups: dict[str, list[str]] = {}
        for user in self.users_of(layer):
            kind, name = user.split(" ", 1)
            groups.setdefault(kind, []).append(name)
        return "; ".join(f"{kind}{'s' if len(names) > 1 else ''} {', '.join(names)}"
                         for kind, names in groups.items())

    def derivation(self, name: str) -> Derivation:
        """The derivation producing layer ``name``."""
        for d in self.derivations:
            if d.name == name:
                return d
        raise InvalidParameterError(
            f"model {self.name!r}: no derivation {name!r}"
            f"{did_you_mean(name, [d.name for d in self.derivations]) or '.'} "
            f"Derivations are: {[d.name for d in self.derivations]}"
        )

    def resolved_parameters(self, derivation: str | Derivation) -> dict[str, Any]:
        """Parameters of a derivation with ``"$name"`` references replaced by the model's values."""
        d = self.derivation(derivation) if isinstance(derivation, str) else derivation
        return {k: _resolve(v, self.parameters) for k, v in d.parameters.items()}

    def within_distance(self, derivation: str) -> float | dict[str, float]:
        """Distance in metres of a ``within`` derivation (tip-height multiples resolved; or by class).

        Raises
        ------
        InvalidParameterError
            If the distances are not given in exactly one way, or are not > 0.
        """
        p = self.resolved_parameters(derivation)
        keys = ("distance_m", "tip_height_multiple", "hub_height_m", "rotor_diameter_m", "class_distances_m")
        return within_distance_m(
            **{k: p.get(k) for k in keys}, what=f"model {self.name!r}: derivation {derivation!r}"
        )

    def setbacks(self) -> dict[str, dict[str, Any]]:
        """Every exact setback constraint: name → input layer, distance in metres and how it was given.

        A setback constraint excludes pixels where its ``within`` derivation is 1 (``max=0``); the
        grid-reach constraint of wind keeps pixels where it is 1 (``min=1``) and is listed too.
        """
        out: dict[str, dict[str, Any]] = {}
        producers = {d.name: d for d in self.derivations if d.function == "within"}
        for c in self.constraints:
            layer = getattr(c, "layer", None)
            if layer not in producers:
                continue
            d = producers[layer]
            p = self.resolved_parameters(d)
            out[c.name] = {
                "layer": ", ".join(d.inputs),
                "distance_m": self.within_distance(d.name),
                "tip_height_multiple": p.get("tip_height_multiple"),
                "class_column": p.get("class_column", ""),
                "width_column": p.get("width_column", ""),
                "excludes": "within" if getattr(c, "max", None) == 0.0 else "beyond",
            }
        return out

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
        """A copy with constraint ``name`` replaced (its bit position is kept).

        For an exact setback (see :meth:`setbacks`) the changes ``distance_m``, ``tip_height_multiple``,
        ``class_distances_m``, ``class_column``, ``width_column`` or ``all_touched`` edit its ``within``
        derivation: ``replace_constraint("settlements", distance_m=1000)``.
        """
        if name not in self.constraint_names:
            raise InvalidParameterError(
                f"model {self.name!r}: no constraint {name!r}"
                f"{did_you_mean(name, self.constraint_names) or '.'} "
                f"Constraints are: {self.constraint_names}"
            )
        old = self.constraints[self.constraint_names.index(name)]
        if constraint is None and name in self.setbacks() and set(changes) <= set(_WITHIN_EDITS):
            return self._edit_setback(name, old, changes, source)
        exact = self._exact_setback_source(constraint)
        if exact is not None and name in self.setbacks():
            return self._edit_setback(name, old, {"distance_m": _constraint(constraint).distance_m}, source)
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

    def _edit_setback(self, name: str, old: Any, changes: Mapping[str, Any], source: str | None) -> Model:
        d = self.derivation(old.layer)
        params = dict(d.parameters)
        how = {"distance_m", "tip_height_multiple", "class_distances_m"} & set(changes)
        if how:  # one way of giving the distance replaces the others
            for k in ("distance_m", "tip_height_multiple", "hub_height_m", "rotor_diameter_m",
                      "class_distances_m"):
                params.pop(k, None)
        if "tip_height_multiple" in changes:
            for p in ("hub_height_m", "rotor_diameter_m"):
                params[p] = f"${p}" if p in self.parameters else params.get(p)
        params.update(changes)
        new_d = dataclasses.replace(d, parameters=params)
        text = ", ".join(f"{k}={v!r}" for k, v in changes.items())
        sources = {**self.sources,
                   name: source or f"edited by user: {text} (was: {self.sources.get(name, '-')})"}
        derivations = tuple(new_d if x.name == d.name else x for x in self.derivations)
        return dataclasses.replace(self, derivations=derivations, sources=sources)

    def _is_exact_setback_edit(self, c: Mapping[str, Any]) -> bool:
        if c.get("type", "setback") != "setback" or "name" not in c:
            return False
        if set(c) - {"type", "name", "layer", *_WITHIN_EDITS}:
            return False
        layer = c.get("layer")
        if layer is None:
            return str(c["name"]) in self.setbacks()
        return layer in self.inputs and layer in VECTOR_INPUTS

    def add_setback(self, name: str, layer: str, *, source: str = "added by user", **within: Any) -> Model:
        """A copy with an exact setback from vector input ``layer`` appended (next bit).

        ``within`` takes ``distance_m`` (metres), or ``tip_height_multiple`` (× hub height + rotor
        diameter / 2 of the model's parameters), or ``class_column`` with ``class_distances_m``; and
        optionally ``width_column`` (line features measured from their banks). A pixel is excluded where
        its centre is within the distance of a feature geometry (``steppe_geo.criteria.within_distance``).

        Examples
        --------
        >>> from steppe_geo.models import wind_onshore
        >>> m = wind_onshore().add_setback("wells", "homesteads", distance_m=300)
        >>> m.setbacks()["wells"]["distance_m"], m.constraint_names[-1]
        (300.0, 'wells')
        """
        if layer not in self.inputs:
            raise InvalidParameterError(
                f"model {self.name!r}: setback {name!r} from {layer!r}, which is not an input"
                f"{did_you_mean(layer, self.inputs) or '.'} Inputs are: {list(self.inputs)}"
            )
        if f"setback_{name}" in [d.name for d in self.derivations]:
            raise InvalidParameterError(
                f"model {self.name!r}: there is already a derivation 'setback_{name}'; edit the setback "
                f"with replace_constraint({name!r}, distance_m=...) or choose another name"
            )
        params = dict(within)
        if "tip_height_multiple" in params:
            for p in ("hub_height_m", "rotor_diameter_m"):
                params.setdefault(p, f"${p}" if p in self.parameters else None)
        d = Derivation(f"setback_{name}", "within", (layer,), params)
        return dataclasses.replace(
            self,
            derivations=(*self.derivations, d),
            constraints=(*self.constraints, ValueRange(name, d.name, max=0.0)),
            sources={**self.sources, name: source},
        )

    def _exact_setback_source(self, constraint: Any) -> str | None:
        """The vector input a ``Setback`` on ``distance_<input>_m`` refers to, if the model has that input."""
        if constraint is None:
            return None
        c = _constraint(constraint)
        if not isinstance(c, Setback):
            return None
        layer = c.layer.removeprefix("distance_").removesuffix("_m")
        if c.layer == f"distance_{layer}_m" and layer in self.inputs and layer in VECTOR_INPUTS:
            return layer
        return None

    def add_constraint(self, constraint: Any, *, source: str = "added by user") -> Model:
        """A copy with ``constraint`` appended (next bit of the exclusion bitmask).

        A :class:`steppe_geo.mcda.Setback` on ``distance_<x>_m`` where ``x`` is a vector input of the
        model becomes an exact setback from ``x`` (:meth:`add_setback`), as does such a setback passed to
        :meth:`replace_constraint` for an exact setback of the preset.
        """
        exact = self._exact_setback_source(constraint)
        if exact is not None:
            c = _constraint(constraint)
            return self.add_setback(c.name, exact, source=source, distance_m=c.distance_m)
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
        old = self.constraints[self.constraint_names.index(name)]
        constraints = tuple(c for c in self.constraints if c.name != name)
        # an exact setback's mask goes with it, unless something else reads it
        derivations = self.derivations
        if name in self.setbacks() and not [
            u for u in self.users_of(old.layer) if u != f"constraint {name!r}"
        ]:
            derivations = tuple(d for d in derivations if d.name != old.layer)
        return dataclasses.replace(
            self,
            derivations=derivations,
            constraints=constraints,
            tip_height_setbacks={k: v for k, v in self.tip_height_setbacks.items() if k != name},
        )

    def without(self, *names: str) -> Model:
        """A copy without the named constraints, criteria or input layers, and without what only they needed.

        Each name is an **input layer** of the model (``"railways"``: every derivation, criterion and
        constraint that reads it, directly or through derived layers, goes), or else a **constraint** or
        **criterion** name (``"far_from_grid"``). Derived layers and inputs that nothing reads any more
        are removed too, so ``model.inputs`` shrinks and :func:`run_model` no longer asks for them. For
        a name that is both an input and a constraint (the siting presets' setbacks: ``"roads"``) the
        input meaning wins; to keep the roads layer for road access and drop only the setback use
        :meth:`remove_constraint`. What each name removed is kept in ``metadata["dropped"]`` and shows
        in the run's notes. The configuration's ``[models.<name>] drop = [...]`` calls this.

        Raises
        ------
        InvalidParameterError
            A name that is neither an input, a constraint nor a criterion (the valid names listed,
            the closest suggested), or dropping that would leave the model without criteria.

        Examples
        --------
        >>> from steppe_geo.models import wind_onshore
        >>> m = wind_onshore().without("railways", "homesteads")
        >>> "railways" in m.inputs, "railways" in m.constraint_names, "setback_railways" in m.layer_names
        (False, False, False)
        >>> m.metadata["dropped"]["railways"]
        "input 'railways' and what reads it: derivation 'setback_railways', constraint 'railways'"
        """
        model = self
        dropped = dict(self.metadata.get("dropped", {}))
        for name in names:
            model, text = model._without_one(name)
            dropped[name] = text
        return dataclasses.replace(model, metadata={**model.metadata, "dropped": dropped})

    @property
    def layer_names(self) -> list[str]:
        """Input and derived layer names, in order."""
        return [*self.inputs, *(d.name for d in self.derivations)]

    def _without_one(self, name: str) -> tuple[Model, str]:
        if name in self.inputs:
            dead = {name}
            for d in self.derivations:
                if dead & set(d.inputs):
                    dead.add(d.name)
            what = f"input {name!r} and what reads it"
            gone_criteria = [c.name for c in self.criteria if c.layer_key in dead]
            gone_constraints = [c.name for c in self.constraints if c.layer in dead]
        elif name in self.constraint_names or name in self.criterion_names:
            dead = set()
            kind = "constraint" if name in self.constraint_names else "criterion"
            what = f"{kind} {name!r}"
            gone_criteria = [name] if kind == "criterion" else []
            gone_constraints = [name] if kind == "constraint" else []
        else:
            valid = [*self.inputs, *self.constraint_names, *self.criterion_names]
            raise InvalidParameterError(
                f"model {self.name!r}: cannot drop {name!r}: it is not an input, constraint or criterion"
                f"{did_you_mean(name, valid) or '.'} Inputs: {', '.join(self.inputs)}; constraints: "
                f"{', '.join(self.constraint_names) or '(none)'}; criteria: "
                f"{', '.join(self.criterion_names)}."
            )
        criteria = tuple(c for c in self.criteria if c.name not in gone_criteria)
        constraints = tuple(c for c in self.constraints if c.name not in gone_constraints)
        if not criteria:
            raise InvalidParameterError(
                f"model {self.name!r}: dropping {name!r} leaves no criteria (every criterion reads it: "
                f"{', '.join(gone_criteria)}). Drop less, or give the layer."
            )
        # derived layers and inputs that were read before and are read by nothing now go too
        read_before = {c.layer_key for c in self.criteria} | {c.layer for c in self.constraints if c.layer}
        read_before |= {k for d in self.derivations for k in d.inputs}
        needed = {c.layer_key for c in criteria} | {c.layer for c in constraints if c.layer}
        kept = []
        for d in reversed(self.derivations):
            if d.name not in dead and (d.name in needed or d.name not in read_before):
                kept.append(d)
                needed |= set(d.inputs)
        derivations = tuple(reversed(kept))
        inputs = tuple(k for k in self.inputs if k not in dead and (k in needed or k not in read_before))
        gone_derivations = [d.name for d in self.derivations if d not in derivations]
        gone = [f"derivation {d!r}" for d in gone_derivations]
        gone += [f"criterion {c!r}" for c in gone_criteria] + [f"constraint {c!r}" for c in gone_constraints]
        gone += [f"input {k!r}" for k in self.inputs if k not in inputs and k != name]
        removed = {*gone_criteria, *gone_constraints, *gone_derivations}
        model = dataclasses.replace(
            self, inputs=inputs, derivations=derivations, criteria=criteria, constraints=constraints,
            tip_height_setbacks={k: v for k, v in self.tip_height_setbacks.items() if k not in removed},
            sources={k: v for k, v in self.sources.items() if k not in removed},
        )
        return model, f"{what}: {', '.join(gone) or 'nothing else'}"

    def with_parameters(self, **parameters: Any) -> Model:
        """A copy with preset parameters changed, rebuilt so that every use of them follows.

        A preset (``model.preset`` set) is rebuilt through its function with the merged parameters:
        ``solar_pv().with_parameters(performance_ratio=0.5) == solar_pv(performance_ratio=0.5)``.
        Edits made since (weights, criteria, constraints, setbacks, rule) are **kept** when the new
        parameters do not touch what was edited, field by field: a changed weight survives a change of
        ``max_slope_pct``, which only moves the slope value function. When the new parameters would
        change something that was edited (the same field of the same criterion, constraint or
        derivation) the call is **refused** with an error naming it: apply ``with_parameters`` first and
        edit afterwards. A model built by hand only takes parameters it already has (they reach the
        derivations through their ``"$name"`` references).

        Raises
        ------
        InvalidParameterError
            An unknown parameter (valid names listed, closest suggested), a value out of range or not
            one of the valid choices, or parameters that would undo an edit.
        """
        if not parameters:
            return self
        if not self.preset:
            unknown = [k for k in parameters if k not in self.parameters]
            if unknown:
                raise InvalidParameterError(
                    f"model {self.name!r}: unknown parameter {unknown[0]!r}"
                    f"{did_you_mean(unknown[0], self.parameters) or '.'} Parameters are: "
                    f"{sorted(self.parameters)}"
                )
            return dataclasses.replace(self, parameters={**self.parameters, **parameters})
        if self.preset not in PRESETS:
            raise InvalidParameterError(
                f"model {self.name!r}: built by unknown preset {self.preset!r}; presets are {list(PRESETS)}"
            )
        factory = PRESETS[self.preset]
        check_preset_parameters(self.preset, parameters, preset_parameter_names(factory))
        base = _thaw(self.parameters)
        pristine = factory(**base)
        rebuilt = factory(**{**base, **parameters})
        if self == pristine:
            return rebuilt
        return _merge_edits(pristine, self, rebuilt, changed=parameters)

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

        A constraint ``{type = "setback", name = ..., distance_m = ...}`` without a layer (or whose
        layer is a vector input such as ``"settlements"``) edits or adds an **exact** setback
        (:meth:`add_setback`); with a distance raster as layer it is the plain
        :class:`steppe_geo.mcda.Setback` on that raster.
        """
        model = self
        for c in criteria:
            crit = Criterion.from_dict(c) if isinstance(c, Mapping) else c
            if crit.name in model.criterion_names:
                model = model.replace_criterion(crit.name, crit, source="set in configuration")
            else:
                model = model.add_criterion(crit, source="set in configuration")
        for c in constraints:
            if isinstance(c, Mapping) and model._is_exact_setback_edit(c):
                changes = {k: v for k, v in c.items() if k in _WITHIN_EDITS}
                name = str(c["name"])
                if name in model.constraint_names:
                    model = model.replace_constraint(name, source="set in configuration", **changes)
                else:
                    model = model.add_setback(name, str(c["layer"]), source="set in configuration", **changes)
                continue
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
            "preset": self.preset,
            "metadata": _plain(self.metadata),
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
            preset=data.get("preset", ""),
            metadata=dict(data.get("metadata", {})),
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
        """The model as a table: criteria, constraints, lookup tables, derivations and parameters.

        Columns ``kind, name, layer, function, weight, source``: one row per criterion (value function,
        normalised weight), constraint (rule; exact setbacks in metres with tip-height multiples
        resolved), lookup table used by a derivation (every class code or bin with its score, e.g. the
        ESAI land-cover tables), derivation and parameter, each with the source of its default.
        """
        overlay = self.overlay()
        rows: list[dict[str, Any]] = []

        def row(kind: str, name: str, layer: str, function: str, source: str, weight: float = np.nan) -> None:
            rows.append({"kind": kind, "name": name, "layer": layer, "function": function, "weight": weight,
                         "source": source})

        for c, w in zip(overlay.criteria, overlay.normalized_weights, strict=True):
            label = c.function.label() if hasattr(c.function, "label") else str(c.function)
            row("criterion", c.name, c.layer_key, label, self.sources.get(c.name, ""), float(w))
        setbacks = self.setbacks()
        for c in overlay.constraints:
            if c.name in setbacks:
                sb = setbacks[c.name]
                text = _setback_text(sb, self)
                row("constraint (setback)", c.name, sb["layer"], text, self.sources.get(c.name, ""))
                continue
            params = {k: v for k, v in c.to_dict().items() if k not in ("type", "name", "layer")}
            text = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
            if c.name in self.tip_height_setbacks:
                text += f" ({self.tip_height_setbacks[c.name]:g} × tip height {self.tip_height_m():g} m)"
            kind = f"constraint ({c.to_dict()['type']})"
            row(kind, c.name, c.layer or "", text, self.sources.get(c.name, ""))
        from steppe_geo.models.desertification import tables_used

        for d in self.derivations:
            for key, layer, table in tables_used(d.function, d.inputs, self.resolved_parameters(d)):
                text = "; ".join(f"{k}: {v:g}" for k, v in table.describe())
                row("table", key, layer, text, table.source)
        for d in self.derivations:
            p = _thaw(self.resolved_parameters(d))
            text = d.function + (f"({', '.join(f'{k}={v!r}' for k, v in p.items())})" if p else "")
            row("derivation", d.name, ", ".join(d.inputs), text, self.sources.get(d.name, ""))
        for k, v in self.parameters.items():
            row("parameter", k, TABLE_PARAMETERS.get(k, ""), repr(_thaw(v)), self.sources.get(k, ""))
        for k, v in self.metadata.items():
            row("metadata", k, "", repr(_thaw(v)), "")
        return pd.DataFrame(rows, columns=["kind", "name", "layer", "function", "weight", "source"])


def _setback_text(sb: Mapping[str, Any], model: Model) -> str:
    d = sb["distance_m"]
    if isinstance(d, Mapping):
        dist = "by " + (f"{sb['class_column']!r}: " if sb["class_column"] else "class: ") + ", ".join(
            f"{k} {v:g} m" for k, v in d.items())
    else:
        dist = f"{d:g} m"
        if sb["tip_height_multiple"] is not None:
            dist += f" ({sb['tip_height_multiple']:g} × tip height {d / sb['tip_height_multiple']:g} m)"
    if sb["width_column"]:
        dist += f" from the bank (+ half of {sb['width_column']!r})"
    if sb["excludes"] == "within":
        return f"excluded within {dist} of {sb['layer']} (exact, pixel centres)"
    return f"excluded beyond {dist} of {sb['layer']} (exact, pixel centres)"


# ----------------------------------------------------------------------------- presets
def preset_parameter_names(factory: Callable[..., Any]) -> tuple[str, ...]:
    """Keyword parameters a preset function takes."""
    return tuple(
        p.name for p in inspect.signature(factory).parameters.values() if p.kind is p.KEYWORD_ONLY
    )


def check_preset_parameters(preset: str, parameters: Mapping[str, Any], valid: Sequence[str]) -> None:
    """Raise :class:`InvalidParameterError` for a parameter name ``preset`` does not take."""
    unknown = [k for k in parameters if k not in valid]
    if unknown:
        raise InvalidParameterError(
            f"preset {preset!r}: unknown parameter {unknown[0]!r}{did_you_mean(unknown[0], valid) or '.'} "
            f"Parameters are: {', '.join(valid)}."
        )


def preset_factory(func: Callable[..., Model]) -> Callable[..., Model]:
    """Mark a preset function: unknown keyword parameters raise with a did-you-mean hint.

    The function must take keyword-only parameters and record each of them (normalised) in the
    model's ``parameters`` with ``preset=<its name>``, so that ``f(**f().parameters) == f()``.
    """
    names = preset_parameter_names(func)

    @functools.wraps(func)
    def build(**parameters: Any) -> Model:
        check_preset_parameters(func.__name__, parameters, names)
        # ranges and choices first, so that the error names the parameter, not what it feeds
        _check_parameters({k: v for k, v in parameters.items() if v is not None}, func.__name__)
        return func(**parameters)

    return build


def _thaw(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {k: _thaw(x) for k, x in v.items()}
    if isinstance(v, tuple):
        return [_thaw(x) for x in v]
    return v


class _Conflict(Exception):
    pass


def _merge3(p: Any, u: Any, r: Any, *, top: bool = False) -> Any:
    """Three-way merge of a value: ``p`` as the preset built it, ``u`` as edited, ``r`` rebuilt.

    Mappings merge key by key; a criterion, constraint or derivation (``top``) field by field; anything
    else (a value function, a number) is taken whole from the side that changed it.
    """
    if u == p:
        return r
    if r == p or u == r:
        return u
    if isinstance(u, Mapping) and isinstance(p, Mapping) and isinstance(r, Mapping):
        keys = [*r, *[k for k in u if k not in r]]
        out = {}
        for k in keys:
            if k in p and k not in u:  # removed by the edit
                if r.get(k) != p[k]:
                    raise _Conflict(k)
                continue
            if k not in p:
                out[k] = u[k] if k in u else r[k]
                if k in u and k in r and u[k] != r[k]:
                    raise _Conflict(k)
                continue
            if k not in r:  # dropped by the new parameters
                if u[k] != p[k]:
                    raise _Conflict(k)
                continue
            out[k] = _merge3(p[k], u[k], r[k])
        return out
    if top and dataclasses.is_dataclass(u) and type(u) is type(p) is type(r):
        changes = {}
        for f in dataclasses.fields(u):
            if not f.init:
                continue
            a, b, c = (getattr(x, f.name) for x in (p, u, r))
            try:
                changes[f.name] = _merge3(a, b, c)
            except _Conflict as exc:
                raise _Conflict(f"{f.name}" + (f".{exc}" if str(exc) else "")) from None
        return dataclasses.replace(u, **changes)
    raise _Conflict("")


def _merge_items(kind: str, p_items: Sequence[Any], u_items: Sequence[Any], r_items: Sequence[Any],
                 *, order: str) -> list[Any]:
    """Merge named items (criteria, constraints, derivations) of the three models, by name."""
    P, U, R = ({x.name: x for x in items} for items in (p_items, u_items, r_items))
    names = [x.name for x in (r_items if order == "rebuilt" else u_items)]
    if order == "rebuilt":
        names += [n for n in U if n not in P and n not in names]
    else:
        names += [n for n in R if n not in P and n not in U]
    out = []
    for n in names:
        if n in P and n not in U:  # removed by the user: stays removed
            continue
        if n not in P:  # added by the user, or new in the rebuilt preset
            if n in U and n in R and U[n] != R[n]:
                raise _Conflict(f"{kind} {n!r}")
            out.append(U.get(n, R.get(n)))
            continue
        if n not in R:  # the new parameters drop it
            if U[n] != P[n]:
                raise _Conflict(f"{kind} {n!r}")
            continue
        try:
            out.append(_merge3(P[n], U[n], R[n], top=True))
        except _Conflict as exc:
            raise _Conflict(f"{kind} {n!r}" + (f" ({exc})" if str(exc) else "")) from None
    return out


def _merge_edits(pristine: Model, user: Model, rebuilt: Model, *, changed: Mapping[str, Any]) -> Model:
    """``rebuilt`` with the edits that turned ``pristine`` into ``user``, or an error naming the clash."""
    text = ", ".join(f"{k}={v!r}" for k, v in changed.items())
    try:
        derivations = _merge_items("derivation", pristine.derivations, user.derivations, rebuilt.derivations,
                                   order="rebuilt")
        criteria = _merge_items("criterion", pristine.criteria, user.criteria, rebuilt.criteria, order="user")
        constraints = _merge_items("constraint", pristine.constraints, user.constraints,
                                   rebuilt.constraints, order="user")
        rule = _merge3(pristine.rule, user.rule, rebuilt.rule)
        tip = _merge3(dict(pristine.tip_height_setbacks), dict(user.tip_height_setbacks),
                      dict(rebuilt.tip_height_setbacks))
    except _Conflict as exc:
        raise InvalidParameterError(
            f"model {user.name!r}: with_parameters({text}) would change {exc}, which was edited after "
            f"the preset {user.preset!r} was built; the edit would be lost. Call with_parameters first and "
            f"edit afterwards, or build {user.preset}({text}) and redo the edit."
        ) from None
    sources = {k: (v if user.sources.get(k) == pristine.sources.get(k) else user.sources.get(k, v))
               for k, v in rebuilt.sources.items()}
    sources |= {k: v for k, v in user.sources.items() if k not in pristine.sources}
    inputs = [k for k in rebuilt.inputs if k in user.inputs or k not in pristine.inputs]
    inputs += [k for k in user.inputs if k not in pristine.inputs and k not in inputs]
    return Model(
        name=user.name if user.name != pristine.name else rebuilt.name,
        inputs=tuple(inputs),
        derivations=tuple(derivations),
        criteria=tuple(criteria),
        constraints=tuple(constraints),
        rule=rule,
        parameters=rebuilt.parameters,
        tip_height_setbacks=tip,
        sources=sources,
        description=user.description if user.description != pristine.description else rebuilt.description,
        preset=rebuilt.preset,
        metadata=user.metadata if user.metadata != pristine.metadata else rebuilt.metadata,
    )


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
        True = keep (inside the AOI, every layer has data, no constraint excludes it).
    exclusion : DataArray uint32
        Bit 0 ``outside_aoi``, bit 1 ``no_data``, bit ``i + 2`` set where constraint ``i``
        (``model.constraint_names[i]``) excluded the pixel.
    layers : Dataset
        Every derived layer (e.g. ``slope_deg``, ``esai``, ``sqi``, the ``setback_<name>`` masks) plus
        ``esa_class`` (ESAI models) and ``china_sensitivity_class`` (China's index).
    provenance : dict
        Inputs (path and SHA-256 checksum for files), parameters (the model as a dict), versions.
    overlay_result : OverlayResult
    notes : tuple of str
        What the run found worth telling (also logged at INFO): an input layer with no features
        within reach ("nothing here": its setbacks exclude nothing), a categories constraint none
        of whose classes occur, point features given for settlements, the layers ``without``
        dropped. The run summary and report list them.
    """

    model: Model
    score: xr.DataArray
    criteria: xr.Dataset
    eligible: xr.DataArray
    exclusion: xr.DataArray
    layers: xr.Dataset
    provenance: dict[str, Any]
    overlay_result: OverlayResult
    notes: tuple[str, ...] = ()

    @property
    def weights(self) -> dict[str, float]:
        """Normalised weights used."""
        return dict(self.overlay_result.weights)

    @property
    def exclusion_names(self) -> list[str]:
        """Names of the exclusion bits in order: ``outside_aoi``, ``no_data``, then the constraints."""
        return self.overlay_result.overlay.exclusion_names

    def excluded_by(self, bitmask: int) -> list[str]:
        """Names of the bits set in an exclusion bitmask value (``outside_aoi``, ``no_data``, constraints)."""
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
            try:
                return read_vector(value, crs=grid.crs)
            except EmptyLayerError as exc:  # "nothing here": run_model notes it (or refuses, if it matters)
                empty = gpd.GeoDataFrame(geometry=[], crs=grid.crs)
                empty.attrs.update(source=Path(value).name, empty=str(exc))
                return empty
        kind = "categorical" if name in CATEGORICAL_INPUTS else None
        return read_raster(value, grid=grid, kind=kind, name=name)
    raise InvalidParameterError(
        f"input {name!r} must be a DataArray, GeoDataFrame or path, got {type(value).__name__}"
    )


def _resolve(value: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return params[value[1:]]
    return value


def derive_layers(model: Model, layers: Mapping[str, Any], *, grid: Grid,
                  parameters: Mapping[str, Mapping[str, Any]] | None = None,
                  only: Sequence[str] | None = None) -> dict[str, xr.DataArray]:
    """Compute the derived layers of ``model`` (slope, distances, ESAI, ...) from its inputs on ``grid``.

    The derivation loop of :func:`run_model`, on its own so that a streamed or Dask run can call it
    for each window of the grid (with :func:`derivation_halo`).

    Parameters
    ----------
    model : Model
    layers : mapping name → DataArray or GeoDataFrame
        The model's inputs: rasters already on ``grid``, vectors in any CRS.
    grid : Grid
        Projected grid (metres): the analysis grid, or one window of it.
    parameters : mapping derived layer → parameters, optional
        Extra keyword parameters of a derivation, added to the model's (a windowed run passes
        whole-grid values such as the NDVI end-members of ``fractional_cover``).
    only : sequence of str, optional
        Compute only these derived layers and those they are computed from (default: all).

    Returns
    -------
    dict derived layer → DataArray on ``grid``, in the model's derivation order. A derived layer
    already in ``layers`` is not computed again (nor returned).

    Raises
    ------
    InvalidParameterError, MissingLayerError
        From a derivation; the message names the model and the derived layer.
    """
    wanted: set[str] | None = None
    if only is not None:
        wanted = set(only)
        for d in reversed(model.derivations):  # derivations come after what they read
            if d.name in wanted and d.name not in layers:  # a given layer needs nothing computed
                wanted.update(d.inputs)
    work: dict[str, Any] = dict(layers)
    derived: dict[str, xr.DataArray] = {}
    for d in model.derivations:
        if (wanted is not None and d.name not in wanted) or d.name in layers:
            continue  # not wanted, or given already (computed for the whole grid beforehand)
        params = {**model.resolved_parameters(d), **dict((parameters or {}).get(d.name, {}))}
        try:
            out = DERIVATIONS[d.function](work, d.inputs, grid, **params)
        except TypeError as exc:
            raise InvalidParameterError(
                f"model {model.name!r}: derivation {d.name!r} ({d.function}): {exc}"
            ) from None
        except (InvalidParameterError, MissingLayerError) as exc:
            raise type(exc)(f"model {model.name!r}: derivation {d.name!r}: {exc}") from None
        out = out.rename(d.name)
        work[d.name] = out
        derived[d.name] = out
    return derived


def run_model(model: Model, inputs: Mapping[str, Any], *, grid: Grid, aoi: Any = None) -> ModelResult:
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
    aoi : GeoDataFrame or GeoSeries, optional
        Area of interest (polygons): pixels whose centre is outside it are excluded (bit 0,
        ``outside_aoi``); see :func:`steppe_geo.mcda.evaluate`. Without it, the whole grid.

    Returns
    -------
    ModelResult

    Raises
    ------
    MissingLayerError
        An input the model needs is missing: the message names it and what uses it.
    InvalidParameterError
        Class codes (land cover, texture) unknown to a lookup table, categorical criterion or the
        model's land-cover legend, or a categories constraint none of whose codes occurs
        (:func:`check_class_codes`, before any derivation); a value function, weight or parameter out
        of range.
    EmptyLayerError
        A vector input without features that more than distances and setbacks need (township
        census polygons). An empty layer read only by distances and setbacks is "nothing here": a
        note in ``ModelResult.notes`` (and an INFO log line), not an error.

    Warns
    -----
    PointFeaturesWarning
        Settlements or protected areas given as points within reach of their setback.
    """
    from steppe_geo.io import provenance_record

    missing = [k for k in model.inputs if k not in inputs or inputs[k] is None]
    if missing:
        detail = "; ".join(f"{k!r} (used by {model.used_by(k) or 'the model'})" for k in missing)
        raise MissingLayerError(
            f"model {model.name!r} needs input layer(s) {missing}: {detail}. Supply them in inputs, e.g. "
            f"inputs[{missing[0]!r}] = a path, DataArray or GeoDataFrame (the sample data has it as "
            f"steppe_geo.datasets.sample_paths()[{missing[0]!r}]){did_you_mean(missing[0], list(inputs))}"
        )
    overlay = model.overlay()
    layers: dict[str, Any] = {k: _load_input(k, inputs[k], grid) for k in model.inputs}
    notes = [f"dropped {k!r}: {v}" for k, v in model.metadata.get("dropped", {}).items()]
    notes += _empty_layer_notes(model, layers)
    notes += _point_setback_notes(model, layers, grid)
    for k in class_code_inputs(model):  # class codes against the tables, legends and constraints reading them
        if isinstance(layers[k], xr.DataArray):
            notes += check_class_codes(model, k, _class_codes(layers[k]), source=_source(layers[k]))
    derived = derive_layers(model, layers, grid=grid)
    layers.update(derived)
    notes += _nothing_within_reach_notes(model, layers, derived)
    for text in notes:
        log.info("model %s: %s", model.name, text)
    from steppe_geo.models.desertification import classify_china, classify_esa

    if "esai" in derived:
        derived["esa_class"] = classify_esa(derived["esai"])
    if "china_sensitivity" in derived:
        derived["china_sensitivity_class"] = classify_china(derived["china_sensitivity"])
    rasters = {k: v for k, v in layers.items() if isinstance(v, xr.DataArray)}
    res = evaluate(overlay, rasters, aoi=aoi)
    paths = {k: Path(v) for k, v in inputs.items() if k in model.inputs and isinstance(v, str | Path)}
    prov = provenance_record(paths, model=model.to_dict(), grid=grid.describe())
    prov["inputs_in_memory"] = sorted(k for k in model.inputs if k not in paths)
    ds = xr.Dataset({k: v.drop_vars("spatial_ref", errors="ignore") for k, v in derived.items()})
    ds = ds.rio.write_crs(grid.crs).rio.write_transform(grid.transform)
    return ModelResult(model, res.score, res.criteria, res.eligible, res.exclusion, ds, prov, res,
                       tuple(notes))


# ----------------------------------------------------------------------------- checks before the work
def _source(layer: Any) -> str:
    """The file a loaded layer came from (its name), or "" for data made in memory."""
    src = getattr(layer, "attrs", {}).get("source") or ""
    return Path(str(src)).name if src else ""


def _is_empty_vector(v: Any) -> bool:
    import geopandas as gpd

    if not isinstance(v, gpd.GeoDataFrame | gpd.GeoSeries):
        return False
    geoms = v.geometry if isinstance(v, gpd.GeoDataFrame) else v
    return not bool((~(geoms.isna() | geoms.is_empty)).any())


def _effects(model: Model, layer: str) -> str:
    """What finding no feature of vector input ``layer`` does: ``"constraint 'x' excludes nothing; ..."``."""
    out = []
    setbacks = model.setbacks()
    for d in model.derivations:
        if layer not in d.inputs or d.function not in DISTANCE_FUNCTIONS:
            continue
        for c in model.constraints:
            if c.layer == d.name:
                beyond = c.name in setbacks and setbacks[c.name]["excludes"] == "beyond"
                out.append(f"constraint {c.name!r} excludes {'every pixel' if beyond else 'nothing'}")
        for c in model.criteria:
            if c.layer_key == d.name:
                out.append(f"criterion {c.name!r} takes its value for 'beyond the cap' everywhere")
    return "; ".join(out) or "nothing reads it"


def _empty_layer_notes(model: Model, layers: Mapping[str, Any]) -> list[str]:
    """Notes for vector inputs without features; an error if something other than a distance needs them."""
    notes = []
    for k in model.inputs:
        if not _is_empty_vector(layers[k]):
            continue
        src = _source(layers[k])
        where = f"input layer {k!r}" + (f" ({src})" if src else "")
        others = [d.name for d in model.derivations if k in d.inputs and d.function not in DISTANCE_FUNCTIONS]
        others += [c.name for c in model.criteria if c.layer_key == k]
        others += [c.name for c in model.constraints if c.layer == k]
        if others:
            raise EmptyLayerError(
                f"model {model.name!r}: {where} has no features within reach of the area, and {others} need "
                f"its features, not only distances to them. Give a layer with features here, or leave "
                f"out what reads it: drop = [{k!r}] under [models.<name>] in a configuration, or "
                f"model.without({k!r})."
            )
        notes.append(f"{where} has no features within reach of the area: nothing here ({_effects(model, k)})")
    return notes


def _point_setback_notes(model: Model, layers: Mapping[str, Any], grid: Grid) -> list[str]:
    """Warn (and note) when a setback from an area layer (settlements, ...) is measured from points."""
    import shapely

    notes = []
    box = shapely.box(*grid.bounds)
    for name, sb in model.setbacks().items():
        layer = sb["layer"]
        if layer not in AREA_INPUTS or layer not in layers or _is_empty_vector(layers[layer]):
            continue
        gdf = layers[layer]
        geoms = (gdf.geometry if hasattr(gdf, "geometry") else gdf).to_crs(grid.crs)
        d = sb["distance_m"]
        reach = max(d.values()) if isinstance(d, Mapping) else float(d)
        points = geoms[geoms.geom_type.isin(["Point", "MultiPoint"]).to_numpy()]
        n = int((shapely.distance(box, np.asarray(points.values)) <= reach).sum()) if len(points) else 0
        if not n:
            continue
        src = _source(gdf)
        text = (f"constraint {name!r}: {n} feature(s) of input layer {layer!r}" + (f" ({src})" if src else "")
                + f" within reach are points, so the {reach:g} m setback is measured from a point, not from "
                f"the {layer.replace('_', ' ')}' outline; land just beyond {reach:g} m of the point may lie "
                "inside the settlement. Give outlines (polygons) if you have them, or widen the setback "
                f"(replace_constraint({name!r}, distance_m=...)).")
        warnings.warn(f"model {model.name!r}: {text}", PointFeaturesWarning, stacklevel=3)
        notes.append(text)
    return notes


def _nothing_within_reach_notes(model: Model, layers: Mapping[str, Any],
                                derived: Mapping[str, xr.DataArray]) -> list[str]:
    """Notes for vector inputs with features, none of them within reach of any setback or capped distance."""
    notes = []
    for k in model.inputs:
        readers = [d for d in model.derivations if k in d.inputs and d.function in DISTANCE_FUNCTIONS]
        if not readers or _is_empty_vector(layers[k]):
            continue
        if any(np.asarray(derived[d.name].values).any() if d.function == "within"
               else np.isfinite(np.asarray(derived[d.name].values)).any() for d in readers):
            continue
        reach = max(_reach_m(model, d) for d in readers)
        notes.append(f"input layer {k!r}" + (f" ({_source(layers[k])})" if _source(layers[k]) else "")
                     + f" has no feature within {reach:g} m of the grid: nothing here ({_effects(model, k)})")
    return notes


def _reach_m(model: Model, d: Derivation) -> float:
    if d.function == "within":
        dist = model.within_distance(d.name)
        return max(dist.values()) if isinstance(dist, Mapping) else float(dist)
    cap = model.resolved_parameters(d).get("max_distance_m")
    return math.inf if cap is None else float(cap)


def _class_codes(da: xr.DataArray) -> list[int | float]:
    """Distinct valid values of a raster (NaN and its nodata left out), ascending."""
    arr = np.asarray(da.values)
    valid = np.ones(arr.shape, bool)
    if np.issubdtype(arr.dtype, np.floating):
        valid &= ~np.isnan(arr)
    nodata = da.rio.nodata
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        valid &= arr != nodata
    return [int(c) if float(c).is_integer() else float(c) for c in np.unique(arr[valid])]


_TABLE_PARAMETER = {"texture": "texture_scores", "china_texture": "texture_grades"}


def _code_users(model: Model, layer: str) -> list[tuple[str, frozenset[int] | None, str]]:
    """What reads class codes of ``layer``: (label, codes it knows or None, parameter giving scores or "")."""
    from steppe_geo.models.desertification import CategoryTable, tables_used

    legend = _legend_of(model, layer)
    users: list[tuple[str, frozenset[int] | None, str]] = []
    for c in model.criteria:
        f = c.function
        if c.layer_key == layer and isinstance(f, Categorical) and f.unknown.value == "error":
            users.append((f"criterion {c.name!r}", frozenset(k for k, _ in f.table), ""))
    for c in model.constraints:
        if c.layer == layer and isinstance(c, Categories):
            users.append((f"constraint {c.name!r}", frozenset(legend.classes) if legend else None, ""))
    for d in model.derivations:
        for tname, inp, table in tables_used(d.function, d.inputs, model.resolved_parameters(d)):
            if inp == layer and isinstance(table, CategoryTable):
                users.append((f"derivation {d.name!r} ({tname} table)", frozenset(table.scores),
                              _TABLE_PARAMETER.get(tname, f"{tname}_scores")))
    return users


def _legend_of(model: Model, layer: str) -> Any:
    name = model.parameters.get("land_cover_legend")
    return land_cover_legend(name) if layer == "land_cover" and isinstance(name, str) else None


def class_code_inputs(model: Model) -> list[str]:
    """The inputs of ``model`` whose class codes :func:`check_class_codes` checks (read by a lookup).

    A lookup is a categorical criterion, a categories constraint or a lookup table of a derivation
    (the ESAI land-cover and texture tables, China's texture grades).

    Examples
    --------
    >>> from steppe_geo.models import desertification_esai, wind_onshore
    >>> class_code_inputs(wind_onshore()), class_code_inputs(desertification_esai())
    (['land_cover'], ['soil_texture', 'land_cover'])
    """
    return [k for k in model.inputs if _code_users(model, k)]


def check_class_codes(model: Model, layer: str, codes: Sequence[int | float], *,
                      source: str = "") -> list[str]:
    """Check the class codes found in input ``layer`` against every table, legend and constraint reading them.

    The same check serves a run (codes read from the loaded layer) and a configuration check (codes
    from cheap statistics of the file).

    Parameters
    ----------
    model : Model
    layer : str
        An input of ``model`` (e.g. ``"land_cover"``).
    codes : sequence of int
        The distinct valid codes of the layer (nodata left out).
    source : str, optional
        The file, for messages.

    Returns
    -------
    list of str
        Notes (e.g. a categories constraint none of whose classes occur in an area whose codes all
        belong to the model's land-cover legend: it excludes nothing here).

    Raises
    ------
    InvalidParameterError
        Codes that a lookup table, a categorical criterion or the model's land-cover legend does not
        know (at most 10 listed, then how many more), naming the model, what reads the layer and the
        file; when the codes found fit a built-in legend, the message names it and the parameter to
        set (``land_cover_legend``). Or a categories constraint none of whose codes occurs in the
        layer (outside a known legend), which would exclude nothing (``exclude``) or everything
        (``allow``).

    Examples
    --------
    >>> from steppe_geo.models import solar_pv
    >>> from steppe_geo.models.model import check_class_codes
    >>> check_class_codes(solar_pv(), "land_cover", [11, 21, 52, 71, 82], source="nlcd.tif")
    ... # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    steppe_geo.errors.InvalidParameterError: model 'solar_pv': input layer 'land_cover' (nlcd.tif) has
    class codes [11, 21, 52, 71, 82] that criterion 'land_cover', constraint 'land_cover_excluded' do not
    know ... The codes found fit legend 'nlcd' ...
    """
    users = _code_users(model, layer)
    if not users:
        return []
    codes = sorted(set(codes))
    where = f"input layer {layer!r}" + (f" ({source})" if source else "")
    missing = {label: [c for c in codes if c not in known] for label, known, _ in users if known is not None}
    missing = {k: v for k, v in missing.items() if v}
    if missing:
        unknown = sorted({c for v in missing.values() for c in v})
        msg = (f"model {model.name!r}: {where} has class codes {format_codes(unknown)} that "
               f"{', '.join(missing)} do{'es' if len(missing) == 1 else ''} not know (codes found in the "
               f"layer: {format_codes(codes)}).")
        legend = _legend_of(model, layer)
        if legend is not None and any(c not in legend.classes for c in codes):
            integer = [c for c in codes if float(c).is_integer()]
            fits = [f for f in matching_legends(integer) if f != legend.name]
            preset = model.preset or "the preset"
            msg += f" The model reads it in land-cover legend {legend.name!r} ({legend.title})."
            if fits and all(float(c).is_integer() for c in codes):
                fit = land_cover_legend(fits[0])
                msg += (f" The codes found fit legend {fit.name!r} ({fit.title}): set land_cover_legend = "
                        f"\"{fit.name}\" (under [models.<name>] in a configuration, or {preset}("
                        f"land_cover_legend=\"{fit.name}\") / model.with_parameters(land_cover_legend="
                        f"\"{fit.name}\") in Python).")
            else:
                msg += (" No built-in legend has all of them (legends: worldcover, esa-cci, modis-igbp, "
                        "nlcd, clcd): recode the layer to one of them, or edit what reads it.")
        params = [p for label, _, p in users if p and label in missing]
        if params:
            example = ", ".join(f"{c}: <score>" for c in unknown[:3])
            msg += (f" Give them scores with the model parameter {params[0]} (code → score, added to the "
                    f"default table): {model.preset or 'preset'}({params[0]}={{{example}}}) or "
                    f"model.with_parameters({params[0]}={{...}}); in a configuration file under "
                    f"[models.<name>.parameters.{params[0]}] as \"{unknown[0]}\" = <score>. Or recode the "
                    "layer.")
        raise InvalidParameterError(msg)
    notes = []
    found = set(codes)
    for c in model.constraints:
        if c.layer != layer or not isinstance(c, Categories):
            continue
        listed = c.exclude if c.exclude is not None else c.allow
        if found & set(listed):
            continue
        legend = _legend_of(model, layer)
        if c.exclude is not None and legend is not None:
            names = ", ".join(dict.fromkeys(legend.classes[k][0] for k in listed if k in legend.classes))
            notes.append(f"constraint {c.name!r}: none of its classes ({names}) occurs in {where}: it "
                         "excludes nothing here")
            continue
        what = "nothing" if c.exclude is not None else "everything"
        raise InvalidParameterError(
            f"model {model.name!r}: constraint {c.name!r} {'excludes' if c.exclude is not None else 'keeps'} "
            f"class codes {format_codes(list(listed))} of {where}, but none of them occurs in the layer "
            f"(codes found: {format_codes(codes)}): it would exclude {what}. Check the layer's coding and "
            f"the constraint's codes, or leave the constraint out (drop = [{c.name!r}] under "
            f"[models.<name>], model.without({c.name!r}))."
        )
    return notes
