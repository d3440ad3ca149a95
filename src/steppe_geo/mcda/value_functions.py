"""Value functions: standardise a criterion layer to a 0..1 suitability scale.

Every function is a frozen, validated dataclass that is called like a function on a numpy
array or an :class:`xarray.DataArray` (the result keeps the input's coordinates, CRS and
name).  NaN in gives NaN out; every other output lies in ``[0, 1]``.  ``to_dict()`` /
:func:`value_function_from_dict` round-trip through plain dicts (and so through TOML).

The set follows ArcGIS Pro *Rescale by Function* / *Fuzzy Membership* and TerrSet/IDRISI
*FUZZY*; formulas and sources are in ``docs/mcda.md``.

This module gathers them (importing it registers every shape by name); they live by job in
:mod:`~steppe_geo.mcda.value_base` (the base class, registry and readers),
:mod:`~steppe_geo.mcda.value_curves` (the ArcGIS curves), :mod:`~steppe_geo.mcda.value_fuzzy`
(the IDRISI fuzzy memberships) and :mod:`~steppe_geo.mcda.value_tables` (piecewise linear, categorical).
"""

from steppe_geo.mcda.value_base import (
    Shape,
    ValueFunction,
    decode_nodata,
    value_function,
    value_function_from_dict,
    value_function_names,
)
from steppe_geo.mcda.value_curves import (
    Exponential,
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
    Power,
    Small,
    SymmetricLinear,
)
from steppe_geo.mcda.value_fuzzy import FuzzyJShaped, FuzzyLinear, FuzzySigmoidal
from steppe_geo.mcda.value_tables import Categorical, PiecewiseLinear
from steppe_geo.mcda.value_tables import UnknownCategory as UnknownCategory

__all__ = [
    "Categorical",
    "Exponential",
    "FuzzyJShaped",
    "FuzzyLinear",
    "FuzzySigmoidal",
    "Gaussian",
    "Identity",
    "Large",
    "Linear",
    "Logarithm",
    "LogisticDecay",
    "LogisticGrowth",
    "MSLarge",
    "MSSmall",
    "Near",
    "PiecewiseLinear",
    "Power",
    "Shape",
    "Small",
    "SymmetricLinear",
    "ValueFunction",
    "decode_nodata",
    "value_function",
    "value_function_from_dict",
    "value_function_names",
]
