"""Domain models: desertification risk (MEDALUS ESAI, China's sensitivity index) and siting presets.

See ``docs/models.md``.
"""

from __future__ import annotations

from steppe_geo.models.desertification import (
    CategoryTable,
    ReducedQualityIndexWarning,
    ScoreTable,
    china_sensitivity,
    classify_china,
    classify_esa,
    climate_quality,
    esai,
    grazing_density,
    management_quality,
    soil_quality,
    vegetation_quality,
)

__all__ = [
    "CategoryTable",
    "ReducedQualityIndexWarning",
    "ScoreTable",
    "china_sensitivity",
    "classify_china",
    "classify_esa",
    "climate_quality",
    "esai",
    "grazing_density",
    "management_quality",
    "soil_quality",
    "vegetation_quality",
]
