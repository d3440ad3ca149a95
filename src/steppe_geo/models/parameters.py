"""Preset parameters: ranges, choices, lookup tables, ``$name`` references, area inputs.

What a :class:`~steppe_geo.models.Model` checks its ``parameters`` against when it is built, and the
immutable / TOML-friendly forms of parameter values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from steppe_geo._deprecation import renamed_module_names
from steppe_geo._validation import check_number, parse_choice
from steppe_geo.errors import (
    InvalidParameterError,
)
from steppe_geo.models.derivations_drift import SandDriftSource
from steppe_geo.models.desertification_tables import (
    ChinaDrynessIndex,
    DegradationRule,
    RainfallLadder,
    TextureCoding,
)
from steppe_geo.models.land_cover import land_cover_legend

__all__ = [
    "AREA_INPUTS",
    "DISTANCE_FUNCTIONS",
    "PARAMETER_RANGES",
    "TABLE_PARAMETERS",
]


# before 0.2.0 the kinds of inputs were also kept as lists of names, which custom models outgrew (a new
# vector input read by a distance was taken for a raster); steppe_geo.models.input_kinds derives them now
_VECTOR_INPUTS = frozenset(
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
_CATEGORICAL_INPUTS = frozenset({"land_cover", "soil_texture"})
_KIND_LISTS_RENAMED = {
    "VECTOR_INPUTS": ("steppe_geo.models.input_kinds(model): the inputs of kind LayerKind.VECTOR",
                      lambda: _VECTOR_INPUTS),
    "CATEGORICAL_INPUTS": ("steppe_geo.models.input_kinds(model): the inputs of kind LayerKind.CATEGORICAL",
                           lambda: _CATEGORICAL_INPUTS),
}
__getattr__ = renamed_module_names(__name__, _KIND_LISTS_RENAMED, since="0.2.0")

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
        "drift_reference_height_m": (0.0, 300.0, False),
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
    return {
        "soil_texture_coding": TextureCoding,
        "rainfall_ladder": RainfallLadder,
        "degradation_rule": DegradationRule,
        "dryness_index": ChinaDrynessIndex,
        "sand_drift": SandDriftSource,
    }


def _check_parameters(params: Mapping[str, Any], model: str) -> None:
    """Range-check numbers, check text choices and lookup tables (errors name the parameter)."""
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


def _resolve(value: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return params[value[1:]]
    return value
