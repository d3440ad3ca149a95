"""Constraints: named exclusion rules with one bit each in an exclusion bitmask.

Each constraint turns one input layer into an *availability* between 0 (fully excluded)
and 1 (fully available).  Hard constraints give 0/1; :class:`FractionAvailable` passes a
fractional layer through (partial exclusion, e.g. the share of a pixel outside a reserve,
as in GLAES / reV).  Bit ``i`` of the exclusion bitmask is set where constraint ``i``
(in order) reduces availability below 1; the pixel is *eligible* (True = keep) where the
product of all availabilities is > 0 and no minimum-area rule removed it.

This module gathers the names of three modules by job: :mod:`~steppe_geo.mcda.constraint_kinds`
(the constraint kinds, their registry and TOML reader), :mod:`~steppe_geo.mcda.exclusion` (the
exclusion bitmask, its reserved bits, legend and explanation) and :mod:`~steppe_geo.mcda.minimum_area`
(connected regions across windows for minimum-area rules).
"""

from steppe_geo.mcda.constraint_kinds import _REGISTRY as _REGISTRY  # read by config (registered kinds)
from steppe_geo.mcda.constraint_kinds import (
    Categories,
    Constraint,
    FractionAvailable,
    MinimumArea,
    Setback,
    ValueRange,
    constraint_from_dict,
)
from steppe_geo.mcda.exclusion import (
    NO_DATA,
    OUTSIDE_AOI,
    RESERVED_BITS,
    bit_legend,
    bitmask_dtype,
    evaluate_constraints,
    exclusion_bit_names,
    explain_exclusion,
    layer_availability,
    parse_bit_legend,
)
from steppe_geo.mcda.minimum_area import (
    RegionSizes,
    WindowRegions,
    apply_minimum_area,
    merge_window_regions,
    window_regions,
)

__all__ = [
    "NO_DATA",
    "OUTSIDE_AOI",
    "RESERVED_BITS",
    "Categories",
    "Constraint",
    "FractionAvailable",
    "MinimumArea",
    "RegionSizes",
    "Setback",
    "ValueRange",
    "WindowRegions",
    "apply_minimum_area",
    "bit_legend",
    "bitmask_dtype",
    "constraint_from_dict",
    "evaluate_constraints",
    "exclusion_bit_names",
    "explain_exclusion",
    "layer_availability",
    "merge_window_regions",
    "parse_bit_legend",
    "window_regions",
]
