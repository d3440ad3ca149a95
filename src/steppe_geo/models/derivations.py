"""The derivation registry: the one place that says what each derivation computes and reads.

:class:`Derivation`, the functions by name (:data:`DERIVATIONS`), the kinds of their inputs
(:data:`DERIVATION_INPUT_KINDS`) and their halos (:data:`DERIVATION_HALOS`).

The adapters themselves live in :mod:`~steppe_geo.models.derivations_terrain_resource`,
:mod:`~steppe_geo.models.derivations_distance`, :mod:`~steppe_geo.models.derivations_land` and
:mod:`~steppe_geo.models.derivations_drift`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import xarray as xr

from steppe_geo._deprecation import renamed_module_names
from steppe_geo._validation import did_you_mean
from steppe_geo.criteria.terrain import HALO
from steppe_geo.errors import (
    InvalidParameterError,
)
from steppe_geo.grid import Grid
from steppe_geo.io.alignment import LayerKind
from steppe_geo.models.derivations_distance import _d_distance, _d_within
from steppe_geo.models.derivations_drift import _d_drift_potential, _d_dune_mobility
from steppe_geo.models.derivations_land import (
    _d_china_grade,
    _d_china_sensitivity,
    _d_cqi,
    _d_esai,
    _d_fractional_cover,
    _d_grazing,
    _d_mqi,
    _d_sqi,
    _d_trend_degraded,
    _d_vqi,
)
from steppe_geo.models.derivations_terrain_resource import (
    _d_aspect,
    _d_hub_height_speed,
    _d_north_facing,
    _d_pv_yield,
    _d_ratio,
    _d_slope,
    _d_wind_power_density,
    _d_windy_days,
)
from steppe_geo.models.parameters import _plain

if TYPE_CHECKING:
    from steppe_geo.models.model import Model

__all__ = [
    "DERIVATIONS",
    "DERIVATION_HALOS",
    "DERIVATION_INPUT_KINDS",
    "DERIVATION_INPUT_KIND_RULES",
    "WHOLE_GRID",
    "Derivation",
    "derivation_halo",
]


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
    def input_kinds(self) -> dict[str, LayerKind]:
        """Input key → the kind of layer the function reads it as (from :data:`DERIVATION_INPUT_KINDS`).

        Examples
        --------
        >>> from steppe_geo.models.derivations import Derivation
        >>> Derivation("setback_roads", "within", ("roads",), {"distance_m": 200}).input_kinds
        {'roads': <LayerKind.VECTOR: 'vector'>}
        """
        rule = DERIVATION_INPUT_KIND_RULES.get(self.function)
        declared = rule(self.parameters) if rule is not None else DERIVATION_INPUT_KINDS[self.function]
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
        "drift_potential": _d_drift_potential,
        "dune_mobility": _d_dune_mobility,
    }
)
"""Derivation functions by name: ``f(layers, inputs, grid, **parameters) -> DataArray``."""


class _InputKindType(type):
    """``InputKind``, deprecated: :class:`~steppe_geo.io.LayerKind` is the one enum of layer kinds."""

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, LayerKind)

    def __iter__(cls) -> Iterator[LayerKind]:
        return iter(LayerKind)

    def __call__(cls, value: str) -> LayerKind:
        return LayerKind.CONTINUOUS if value == "raster" else LayerKind(value)


class _InputKind(metaclass=_InputKindType):
    """The members of the deprecated ``InputKind``, as :class:`~steppe_geo.io.LayerKind` members."""

    RASTER = LayerKind.CONTINUOUS
    CATEGORICAL = LayerKind.CATEGORICAL
    VECTOR = LayerKind.VECTOR


_INPUT_KIND_RENAMED = {"InputKind": ("steppe_geo.io.LayerKind", lambda: _InputKind)}
__getattr__ = renamed_module_names(__name__, _INPUT_KIND_RENAMED, since="0.2.0")

_R, _C, _V = LayerKind.CONTINUOUS, LayerKind.CATEGORICAL, LayerKind.VECTOR
DERIVATION_INPUT_KINDS: Mapping[str, tuple[LayerKind, ...]] = MappingProxyType(
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
        "drift_potential": (_R, _R),  # wind speed and direction time series ((band|time, y, x) stacks)
        "dune_mobility": (_R, _R, _R),  # wind speed time series, precipitation, PET
    }
)
"""Kinds of the inputs of each function of :data:`DERIVATIONS`, in the order the function takes them; a
single kind applies to every input (``distance`` and ``within`` read any number of vector layers).

The one declaration the configuration checker (:func:`steppe_geo.pipeline.check_config`) reads to tell
whether an input must be a raster or a vector file; :attr:`Derivation.input_kinds` applies it to a
derivation's inputs, and :func:`steppe_geo.models.input_kinds` gathers a model's inputs from it. A function
whose kinds depend on a parameter is in :data:`DERIVATION_INPUT_KIND_RULES` too (its entry here is the
kind of its inputs in the other cases)."""


def _china_grade_kinds(params: Mapping[str, Any]) -> tuple[LayerKind, ...]:
    # the texture table looks up class codes of the soil texture raster; the others bin measurements
    return (_C,) if params.get("table") == "texture" else (_R,)


DERIVATION_INPUT_KIND_RULES: Mapping[str, Callable[[Mapping[str, Any]], tuple[LayerKind, ...]]] = (
    MappingProxyType({"china_grade": _china_grade_kinds}))
"""Functions of :data:`DERIVATIONS` whose input kinds depend on a parameter: ``f(parameters) -> kinds``.

``china_grade`` with ``table = "texture"`` reads soil-texture classes (a lookup of class codes);
with the other tables it bins a continuous layer (humidity index, windy days, plant cover).

Examples
--------
>>> from steppe_geo.models.derivations import Derivation
>>> Derivation("texture_grade", "china_grade", ("soil_texture",), {"table": "texture"}).input_kinds
{'soil_texture': <LayerKind.CATEGORICAL: 'categorical'>}
"""


WHOLE_GRID = -1
"""Halo of a derivation whose pixels depend on the whole grid (see :func:`derivation_halo`)."""


def _halo_terrain(params: Mapping[str, Any], grid: Grid) -> int:
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

