"""Domain models: wind, solar, desertification risk, restoration priority, PV with sand control.

Declarative, editable presets (MEDALUS ESAI, China's sensitivity index, siting models).

See ``docs/models.md``.
"""

from __future__ import annotations

from steppe_geo._validation import did_you_mean
from steppe_geo.errors import InvalidParameterError
from steppe_geo.models.desertification import (
    CategoryTable,
    ReducedQualityIndexWarning,
    ScoreTable,
    china_sensitivity,
    classify_china,
    classify_esa,
    climate_quality,
    desertification_china,
    desertification_esai,
    esai,
    grazing_density,
    management_quality,
    soil_quality,
    vegetation_quality,
)
from steppe_geo.models.model import DERIVATIONS, Derivation, Model, ModelResult, run_model
from steppe_geo.models.restoration import pv_sand_control, restoration_priority
from steppe_geo.models.solar import solar_pv
from steppe_geo.models.wind import wind_onshore

PRESETS = {
    "wind_onshore": wind_onshore,
    "solar_pv": solar_pv,
    "desertification_esai": desertification_esai,
    "desertification_china": desertification_china,
    "restoration_priority": restoration_priority,
    "pv_sand_control": pv_sand_control,
}
"""Preset name → function returning the :class:`Model` (names as in the TOML config)."""


def preset(name: str, **parameters: object) -> Model:
    """The preset ``name`` (a key of :data:`PRESETS`) built with ``parameters``.

    Raises
    ------
    InvalidParameterError
        For an unknown name (valid names listed, closest suggested) or a bad parameter.
    """
    if name not in PRESETS:
        raise InvalidParameterError(
            f"unknown model preset {name!r}{did_you_mean(name, PRESETS) or '.'} "
            f"Presets are: {', '.join(PRESETS)}."
        )
    try:
        return PRESETS[name](**parameters)
    except TypeError as exc:
        raise InvalidParameterError(f"preset {name!r}: {exc}") from None

__all__ = [
    "DERIVATIONS",
    "PRESETS",
    "CategoryTable",
    "Derivation",
    "Model",
    "ModelResult",
    "ReducedQualityIndexWarning",
    "ScoreTable",
    "china_sensitivity",
    "classify_china",
    "classify_esa",
    "climate_quality",
    "desertification_china",
    "desertification_esai",
    "esai",
    "grazing_density",
    "management_quality",
    "preset",
    "pv_sand_control",
    "restoration_priority",
    "run_model",
    "soil_quality",
    "solar_pv",
    "vegetation_quality",
    "wind_onshore",
]
