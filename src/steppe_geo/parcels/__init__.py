"""Rasters to parcels: exact zonal statistics, ranking, regions, selection, rank stability, exports."""

from typing import Any as _Any

from steppe_geo.parcels.coverage import split_at_tiles
from steppe_geo.parcels.export import EXPORT_FORMATS, SHAPEFILE_FIELDS, SUMMARY_COLUMNS
from steppe_geo.parcels.hybrid import HYBRID_COLUMNS, rank_hybrid
from steppe_geo.parcels.ranking import (
    CAPACITY_DENSITY_MW_PER_KM2,
    RANKED,
    Technology,
    eligibility_status,
    rank_parcels,
    top_k,
)
from steppe_geo.parcels.regions import (
    candidate_regions,
    candidate_regions_windowed,
    grow_regions,
    windowed_quantile,
)
from steppe_geo.parcels.rules import (
    WEIGHTLESS_RULES,
    Combination,
    ParcelPixels,
    draw_weight_rows,
    parcel_draw_scores,
    parcel_pixels,
    parcel_rule_scores,
    perfect_criterion_gains,
    pixel_rank_stability,
    rank_stability_of_scores,
)
from steppe_geo.parcels.selection import SelectionResult, adjacency_pairs, minimum_set, select_parcels
from steppe_geo.parcels.stability import ahp_weight_draws, dirichlet_weights, rank_stability, weight_sweep
from steppe_geo.parcels.turbines import lattice_layout, place_turbines, spacing_ok, turbine_layouts
from steppe_geo.parcels.zonal import CoverageMatrix, Stat, coverage_matrix, parcel_chunks, zonal_stats

__all__ = [
    "CAPACITY_DENSITY_MW_PER_KM2",
    "EXPORT_FORMATS",
    "HYBRID_COLUMNS",
    "RANKED",
    "SHAPEFILE_FIELDS",
    "SUMMARY_COLUMNS",
    "WEIGHTLESS_RULES",
    "Combination",
    "CoverageMatrix",
    "ParcelPixels",
    "SelectionResult",
    "Stat",
    "Technology",
    "adjacency_pairs",
    "ahp_weight_draws",
    "candidate_regions",
    "candidate_regions_windowed",
    "coverage_matrix",
    "dirichlet_weights",
    "draw_weight_rows",
    "eligibility_status",
    "export_bundle",
    "grow_regions",
    "lattice_layout",
    "minimum_set",
    "parcel_chunks",
    "parcel_draw_scores",
    "parcel_pixels",
    "parcel_rule_scores",
    "perfect_criterion_gains",
    "pixel_rank_stability",
    "place_turbines",
    "rank_hybrid",
    "rank_parcels",
    "rank_stability",
    "rank_stability_of_scores",
    "select_parcels",
    "spacing_ok",
    "split_at_tiles",
    "top_k",
    "turbine_layouts",
    "weight_sweep",
    "windowed_quantile",
    "zonal_stats",
]


_SHELL_NAMES = ("export_bundle",)
"""Public names whose code writes files: they live in the shell (:mod:`steppe_geo.pipeline.export`),
since ``parcels`` never touches the file system, and are imported from there on first use."""


def __getattr__(name: str) -> _Any:
    """``export_bundle`` from :mod:`steppe_geo.pipeline.export` (PEP 562)."""
    if name in _SHELL_NAMES:
        from steppe_geo.pipeline import export

        return getattr(export, name)
    raise AttributeError(f"module 'steppe_geo.parcels' has no attribute {name!r}")
