"""Domain models: wind, solar, desertification risk, restoration priority, PV with sand control.

Declarative, editable presets (MEDALUS ESAI, China's sensitivity index, siting models); land-cover
legends (ESA WorldCover, ESA CCI-LC, MODIS IGBP, USGS NLCD, China's CLCD) in
:mod:`steppe_geo.models.land_cover`.

See ``docs/models.md``.
"""

from steppe_geo._deprecation import renamed_module_names as _renamed_module_names
from steppe_geo._validation import did_you_mean as _did_you_mean
from steppe_geo.errors import InvalidParameterError as _InvalidParameterError
from steppe_geo.models.derivations import (
    _INPUT_KIND_RENAMED,
    DERIVATION_HALOS,
    DERIVATION_INPUT_KINDS,
    DERIVATIONS,
    WHOLE_GRID,
    Derivation,
    derivation_halo,
)
from steppe_geo.models.desertification import (
    CHINA_SENSITIVITY_LABELS,
    ESA_LABELS,
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
from steppe_geo.models.kinds import input_kinds
from steppe_geo.models.land_cover import (
    LandCoverLegend,
    land_cover_legend,
    land_cover_legends,
    matching_legends,
)
from steppe_geo.models.model import Model
from steppe_geo.models.presets import PRESETS
from steppe_geo.models.restoration import pv_sand_control, restoration_priority
from steppe_geo.models.running import (
    ModelResult,
    PointFeaturesWarning,
    check_class_codes,
    class_code_inputs,
    derive_layers,
    run_model,
)
from steppe_geo.models.solar import solar_pv
from steppe_geo.models.wind import wind_onshore

PRESETS.update({
    "wind_onshore": wind_onshore,
    "solar_pv": solar_pv,
    "desertification_esai": desertification_esai,
    "desertification_china": desertification_china,
    "restoration_priority": restoration_priority,
    "pv_sand_control": pv_sand_control,
})


def preset(name: str, **parameters: object) -> Model:
    """The preset ``name`` (a key of :data:`PRESETS`) built with ``parameters``.

    Raises
    ------
    InvalidParameterError
        For an unknown name or parameter name (valid names listed, closest suggested), a value out
        of range or a text value that is not one of its choices.

    Examples
    --------
    >>> from steppe_geo.models import preset
    >>> preset("solar_pv", max_slope_pct=5).parameters["max_slope_pct"]
    5
    >>> preset("solar_pv", hub_height_m=100)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    steppe_geo.errors.InvalidParameterError: preset 'solar_pv': unknown parameter ...
    """
    if name not in PRESETS:
        raise _InvalidParameterError(
            f"unknown model preset {name!r}{_did_you_mean(name, PRESETS) or '.'} "
            f"Presets are: {', '.join(PRESETS)}."
        )
    return PRESETS[name](**parameters)


def preset_parameters(name: str) -> dict[str, object]:
    """The parameters of preset ``name`` with their default values (what ``parameters =`` in a config takes).

    Examples
    --------
    >>> from steppe_geo.models import preset_parameters
    >>> preset_parameters("wind_onshore")["hub_height_m"]
    115.0
    """
    if name not in PRESETS:
        raise _InvalidParameterError(
            f"unknown model preset {name!r}{_did_you_mean(name, PRESETS) or '.'} "
            f"Presets are: {', '.join(PRESETS)}."
        )
    return dict(PRESETS[name]().parameters)


__all__ = [
    "CHINA_SENSITIVITY_LABELS",
    "DERIVATIONS",
    "DERIVATION_HALOS",
    "DERIVATION_INPUT_KINDS",
    "ESA_LABELS",
    "PRESETS",
    "WHOLE_GRID",
    "CategoryTable",
    "Derivation",
    "LandCoverLegend",
    "Model",
    "ModelResult",
    "PointFeaturesWarning",
    "ReducedQualityIndexWarning",
    "ScoreTable",
    "check_class_codes",
    "china_sensitivity",
    "class_code_inputs",
    "classify_china",
    "classify_esa",
    "climate_quality",
    "derivation_halo",
    "derive_layers",
    "desertification_china",
    "desertification_esai",
    "esai",
    "grazing_density",
    "input_kinds",
    "land_cover_legend",
    "land_cover_legends",
    "management_quality",
    "matching_legends",
    "preset",
    "preset_parameters",
    "pv_sand_control",
    "restoration_priority",
    "run_model",
    "soil_quality",
    "solar_pv",
    "vegetation_quality",
    "wind_onshore",
]

__getattr__ = _renamed_module_names(__name__, _INPUT_KIND_RENAMED, since="0.2.0")
