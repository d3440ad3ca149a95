"""Generic decision analysis: value functions, constraints, weights, combination rules, overlays.

Knows nothing of models or parcels (DESIGN.md). See ``docs/mcda.md`` for the formulas.

``__all__`` holds what users call. Lower-level names (constraint and value-function TOML readers,
exclusion-bit constants and legends, the random-index tables, …) live in their modules
(``steppe_geo.mcda.constraints``, ``.value_functions``, ``.weights``, ``.combine``, ``.aoi``) and stay
importable from here for compatibility, but are not listed by ``dir()``.
"""

from typing import Any

from steppe_geo.mcda.aoi import aoi_mask

# `from m import x as x` (PEP 484 re-export): lower-level names kept importable here, not in __all__
from steppe_geo.mcda.aoi import aoi_polygon as aoi_polygon
from steppe_geo.mcda.combine import RULE_ALIASES as RULE_ALIASES
from steppe_geo.mcda.combine import (
    OWAWeights,
    Rule,
    combine,
    orness,
    owa_weights_from_orness,
    tradeoff,
)
from steppe_geo.mcda.combine import parse_rule as parse_rule
from steppe_geo.mcda.constraints import NO_DATA as NO_DATA
from steppe_geo.mcda.constraints import OUTSIDE_AOI as OUTSIDE_AOI
from steppe_geo.mcda.constraints import RESERVED_BITS as RESERVED_BITS
from steppe_geo.mcda.constraints import (
    Categories,
    Constraint,
    FractionAvailable,
    MinimumArea,
    Setback,
    ValueRange,
    bit_legend,
    explain_exclusion,
)
from steppe_geo.mcda.constraints import constraint_from_dict as constraint_from_dict
from steppe_geo.mcda.constraints import evaluate_constraints as evaluate_constraints
from steppe_geo.mcda.constraints import exclusion_bit_names as exclusion_bit_names
from steppe_geo.mcda.constraints import parse_bit_legend as parse_bit_legend
from steppe_geo.mcda.overlay import (
    Criterion,
    Overlay,
    OverlayResult,
    evaluate,
)
from steppe_geo.mcda.plot import plot_value_function
from steppe_geo.mcda.value_functions import (
    Categorical,
    Exponential,
    FuzzyJShaped,
    FuzzyLinear,
    FuzzySigmoidal,
    Gaussian,
    Identity,
    Large,
    Linear,
    Logarithm,
    LogisticDecay,
    LogisticGrowth,
    MSLarge,
    MSSmall,
    Near,
    PiecewiseLinear,
    Power,
    Shape,
    Small,
    SymmetricLinear,
    ValueFunction,
    value_function,
    value_function_names,
)
from steppe_geo.mcda.value_functions import decode_nodata as decode_nodata
from steppe_geo.mcda.value_functions import value_function_from_dict as value_function_from_dict
from steppe_geo.mcda.weights import RANDOM_INDEX as RANDOM_INDEX
from steppe_geo.mcda.weights import SAATY_SCALE as SAATY_SCALE
from steppe_geo.mcda.weights import (
    AHPResult,
    ConsistencyNotCheckedWarning,
    InconsistentJudgementsWarning,
    RandomIndex,
    RankMethod,
    ahp,
    best_revision,
    normalize_weights,
    rank_weights,
)
from steppe_geo.mcda.weights import Revision as Revision
from steppe_geo.mcda.weights import principal_eigenvectors as principal_eigenvectors

__all__ = [
    "AHPResult",
    "Categorical",
    "Categories",
    "ConsistencyNotCheckedWarning",
    "Constraint",
    "Criterion",
    "Exponential",
    "FractionAvailable",
    "FuzzyJShaped",
    "FuzzyLinear",
    "FuzzySigmoidal",
    "Gaussian",
    "Identity",
    "InconsistentJudgementsWarning",
    "Large",
    "Linear",
    "Logarithm",
    "LogisticDecay",
    "LogisticGrowth",
    "MSLarge",
    "MSSmall",
    "MinimumArea",
    "Near",
    "OWAWeights",
    "Overlay",
    "OverlayResult",
    "PiecewiseLinear",
    "Power",
    "RandomIndex",
    "RankMethod",
    "Rule",
    "Setback",
    "Shape",
    "Small",
    "SymmetricLinear",
    "ValueFunction",
    "ValueRange",
    "ahp",
    "aoi_mask",
    "best_revision",
    "bit_legend",
    "combine",
    "evaluate",
    "evaluate_dask",
    "evaluate_streamed",
    "explain_exclusion",
    "normalize_weights",
    "orness",
    "owa_weights_from_orness",
    "plot_value_function",
    "rank_weights",
    "tradeoff",
    "value_function",
    "value_function_names",
]

_SUBMODULES = ("aoi", "combine", "constraints", "overlay", "plot", "value_functions", "weights")


def __dir__() -> list[str]:
    """The public names (:data:`__all__`) and the submodules (PEP 562)."""
    return sorted([*__all__, *_SUBMODULES])


_SHELL_NAMES = ("evaluate_dask", "evaluate_streamed")
"""Public names whose code reads and writes files: they live in the shell
(:mod:`steppe_geo.pipeline.overlay_files`), since ``mcda`` never touches the file system, and are
imported from there on first use."""


def __getattr__(name: str) -> Any:
    """``evaluate_streamed`` and ``evaluate_dask`` from :mod:`steppe_geo.pipeline.overlay_files` (PEP 562)."""
    if name in _SHELL_NAMES:
        from steppe_geo.pipeline import overlay_files

        return getattr(overlay_files, name)
    raise AttributeError(f"module 'steppe_geo.mcda' has no attribute {name!r}")
