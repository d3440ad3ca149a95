"""The declarative weighted overlay: :class:`Criterion` and :class:`Overlay`, validated and serialisable.

A criterion is a layer, its value function and weight; an overlay is criteria, constraints and a
combination rule.

Evaluated by :mod:`~steppe_geo.mcda.overlay_memory` (in memory) and
:mod:`~steppe_geo.mcda.overlay_windows` (streamed or on Dask).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from steppe_geo._deprecation import renamed_attribute
from steppe_geo.errors import InvalidParameterError
from steppe_geo.mcda.combine import OWAWeights, Rule, _check_gamma, parse_rule
from steppe_geo.mcda.constraints import (
    RESERVED_BITS,
    Constraint,
    MinimumArea,
    bitmask_dtype,
    constraint_from_dict,
    exclusion_bit_names,
)
from steppe_geo.mcda.value_functions import ValueFunction, value_function_from_dict
from steppe_geo.mcda.weights import AHPResult, normalize_weights

__all__ = ["Criterion", "Overlay"]

@dataclass(frozen=True)
class Criterion:
    """One criterion of an overlay.

    Parameters
    ----------
    name : str
        Criterion name (unique within the overlay), e.g. ``"wind_speed"``.
    function : ValueFunction or dict
        Standardises the layer to 0..1 (a dict is parsed with ``value_function_from_dict``).
    weight : float, default 1.0
        Importance weight (>= 0); the overlay normalises the weights to sum to 1.
    layer : str, optional
        Key of the input layer (defaults to ``name``: after construction ``layer`` is always set;
        the property ``layer_key`` is a deprecated alias of it until 0.3.0).

    Examples
    --------
    >>> from steppe_geo.mcda import Criterion, Linear
    >>> Criterion("flatness", Linear(low=20, high=0), weight=2, layer="slope_deg").layer
    'slope_deg'
    >>> Criterion("slope_deg", Linear(low=20, high=0)).layer
    'slope_deg'
    """

    name: str
    function: ValueFunction
    weight: float = 1.0
    layer: str = None  # type: ignore[assignment]  # None: the criterion's name (set by __post_init__)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidParameterError(f"criterion name must be a non-empty string, got {self.name!r}")
        if isinstance(self.function, Mapping):
            object.__setattr__(self, "function", value_function_from_dict(self.function))
        if not isinstance(self.function, ValueFunction):
            raise InvalidParameterError(
                f"criterion {self.name!r}: function must be a ValueFunction (e.g. "
                f"value_function('linear', low=0, high=1)), got {type(self.function).__name__}"
            )
        try:
            w = float(self.weight)
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"criterion {self.name!r}: weight must be a number >= 0, got {self.weight!r}"
            ) from None
        if not math.isfinite(w) or w < 0:
            raise InvalidParameterError(f"criterion {self.name!r}: weight must be >= 0, got {self.weight!r}")
        object.__setattr__(self, "weight", w)
        if self.layer is None:
            object.__setattr__(self, "layer", self.name)
        if not isinstance(self.layer, str) or not self.layer:
            raise InvalidParameterError(
                f"criterion {self.name!r}: layer must be a non-empty string, got {self.layer!r}"
            )

    layer_key = renamed_attribute("layer_key", "layer", since="0.2.0")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (TOML-friendly)."""
        return {"name": self.name, "layer": self.layer, "weight": self.weight,
                "function": self.function.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Criterion:
        """Inverse of :meth:`to_dict`."""
        return cls(name=data["name"], function=value_function_from_dict(data["function"]),
                   weight=data.get("weight", 1.0), layer=data.get("layer", data["name"]))


@dataclass(frozen=True)
class Overlay:
    """A frozen weighted-overlay description: criteria, constraints and a combination rule.

    Parameters
    ----------
    criteria : sequence of Criterion
        At least one; unique names.
    constraints : sequence of Constraint or MinimumArea, default ()
        In bit order of the exclusion bitmask (constraint ``i`` has bit ``i + 2``, after the
        reserved bits ``outside_aoi`` and ``no_data``); unique names, none of them reserved;
        applied after combination.
    rule : str or Rule, default "wlc"
        See :func:`steppe_geo.mcda.combine` (aliases such as ``"wpm"`` accepted).
    weights : sequence, mapping name → weight, or AHPResult, optional
        Overrides the criteria's own weights (must give one per criterion).
    order_weights : sequence of float, optional
        For ``rule="owa"``: order weights (>= 0, summing to 1), or give ``orness``.
    orness : float, optional
        For ``rule="owa"``: a target orness in ``[0, 1]`` (order weights from Yager's RIM
        quantifier).
    gamma : float, default 0.9
        For ``rule="fuzzy-gamma"``, within ``[0, 1]``.

    Attributes
    ----------
    normalized_weights : ndarray
        Weights scaled to sum to 1 (in criterion order); read-only.
    owa : OWAWeights or None
        Order weights with orness and trade-off (OWA only).

    Examples
    --------
    >>> from steppe_geo.mcda import Criterion, Linear, Overlay, ValueRange
    >>> ov = Overlay(
    ...     criteria=(Criterion("wind", Linear(4, 9), weight=3, layer="wind_speed"),
    ...               Criterion("flatness", Linear(20, 0), weight=1, layer="slope_deg")),
    ...     constraints=(ValueRange("steep", "slope_deg", max=15),),
    ... )
    >>> ov.normalized_weights.tolist(), ov.required_layers()
    ([0.75, 0.25], ['wind_speed', 'slope_deg'])
    """

    criteria: tuple[Criterion, ...]
    constraints: tuple[Constraint | MinimumArea, ...] = ()
    rule: Rule = Rule.WLC
    weights: Any = None
    order_weights: tuple[float, ...] | None = None
    orness: float | None = None
    gamma: float = 0.9
    normalized_weights: np.ndarray = field(init=False, repr=False, compare=False)
    owa: OWAWeights | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        crit = tuple(Criterion.from_dict(c) if isinstance(c, Mapping) else c for c in self.criteria)
        if not crit:
            raise InvalidParameterError("overlay needs at least one criterion, got none")
        names = [c.name for c in crit]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InvalidParameterError(f"overlay: duplicate criterion names {dup}")
        cons = tuple(constraint_from_dict(c) if isinstance(c, Mapping) else c for c in self.constraints)
        cnames = [c.name for c in cons]
        cdup = sorted({n for n in cnames if cnames.count(n) > 1})
        if cdup:
            raise InvalidParameterError(f"overlay: duplicate constraint names {cdup}")
        reserved = [n for n in cnames if n in RESERVED_BITS]
        if reserved:
            raise InvalidParameterError(
                f"overlay: constraint name(s) {reserved} are reserved for the exclusion bitmask's own bits "
                f"({', '.join(RESERVED_BITS)}); rename the constraint"
            )
        bitmask_dtype(len(cons))
        rule = parse_rule(self.rule)
        w = self.weights
        if isinstance(w, AHPResult):
            w = w.as_dict()
        if w is not None:
            if isinstance(w, Mapping):
                extra = [k for k in w if k not in names]
                if extra or len(w) != len(names):
                    raise InvalidParameterError(
                        f"overlay: {len(w)} weights for {len(names)} criteria; weights name "
                        f"{sorted(w)}, criteria are {names}"
                    )
                raw = [float(w[n]) for n in names]
            else:
                try:
                    raw = [float(x) for x in np.asarray(w, dtype=float).ravel()]
                except (TypeError, ValueError):
                    raise InvalidParameterError(
                        f"overlay: weights must be numbers, got {w!r} for criteria {names}"
                    ) from None
                if len(raw) != len(names):
                    raise InvalidParameterError(
                        f"overlay: {len(raw)} weights for {len(names)} criteria {names}"
                    )
            crit = tuple(Criterion(c.name, c.function, rw, c.layer) for c, rw in zip(crit, raw, strict=True))
        nw = normalize_weights([c.weight for c in crit], criteria=names)
        owa = None
        if rule is Rule.OWA:
            owa = OWAWeights.build(order_weights=self.order_weights, target_orness=self.orness, n=len(crit))
        elif self.order_weights is not None or self.orness is not None:
            raise InvalidParameterError(
                f"overlay: order_weights/orness only apply to rule 'owa', not {rule.value!r}"
            )
        gamma = _check_gamma(self.gamma)
        nw.setflags(write=False)  # frozen overlay: the weights cannot be changed in place
        object.__setattr__(self, "gamma", gamma)
        object.__setattr__(self, "criteria", crit)
        object.__setattr__(self, "constraints", cons)
        object.__setattr__(self, "rule", rule)
        object.__setattr__(self, "weights", None)
        if self.order_weights is not None:
            object.__setattr__(self, "order_weights", tuple(float(v) for v in self.order_weights))
        object.__setattr__(self, "normalized_weights", nw)
        object.__setattr__(self, "owa", owa)

    # ------------------------------------------------------------------ helpers
    @property
    def criterion_names(self) -> list[str]:
        """Criterion names in order."""
        return [c.name for c in self.criteria]

    @property
    def constraint_names(self) -> list[str]:
        """Constraint names in order (constraint ``i`` has bit ``i + 2`` of the exclusion bitmask)."""
        return [c.name for c in self.constraints]

    @property
    def exclusion_names(self) -> list[str]:
        """Names of the exclusion bitmask's bits: ``outside_aoi``, ``no_data``, then the constraints."""
        return exclusion_bit_names(self.constraints)

    def required_layers(self) -> list[str]:
        """Input layer keys the overlay reads (criteria first, then constraints), deduplicated."""
        keys = [c.layer for c in self.criteria] + [c.layer for c in self.constraints if c.layer]
        return list(dict.fromkeys(keys))

    def tags(self) -> dict[str, str]:
        """What produced a score, as text tags (``attrs`` in memory, GeoTIFF tags on disk).

        ``rule``, ``weights`` (JSON name → normalised weight), ``criteria`` (JSON list of
        name, layer and value function) and, by rule, ``order_weights``, ``orness`` and
        ``tradeoff`` (OWA) or ``gamma`` (fuzzy gamma).
        """
        t = {
            "rule": self.rule.value,
            "weights": json.dumps(dict(zip(self.criterion_names, map(float, self.normalized_weights),
                                           strict=True))),
            "criteria": json.dumps([{"name": c.name, "layer": c.layer, "function": c.function.label()}
                                    for c in self.criteria], ensure_ascii=False),
        }
        if self.owa is not None:
            t["order_weights"] = json.dumps(list(self.owa.weights))
            t["orness"] = repr(self.owa.orness)
            t["tradeoff"] = repr(self.owa.tradeoff)
        if self.rule is Rule.FUZZY_GAMMA:
            t["gamma"] = repr(self.gamma)
        return t

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (TOML-friendly)."""
        d: dict[str, Any] = {
            "rule": self.rule.value,
            "criteria": [c.to_dict() for c in self.criteria],
            "constraints": [c.to_dict() for c in self.constraints],
            "gamma": self.gamma,
        }
        if self.order_weights is not None:
            d["order_weights"] = list(self.order_weights)
        if self.orness is not None:
            d["orness"] = self.orness
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Overlay:
        """Inverse of :meth:`to_dict`."""
        return cls(criteria=tuple(data["criteria"]), constraints=tuple(data.get("constraints", ())),
                   rule=data.get("rule", "wlc"), order_weights=data.get("order_weights"),
                   orness=data.get("orness"), gamma=data.get("gamma", 0.9))
