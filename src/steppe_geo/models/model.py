"""The :class:`Model` value: inputs, derivations, criteria, constraints, combination rule, and its TOML form.

A :class:`Model` is a frozen value: it *describes* a suitability or risk model (which input
layers it needs, how derived layers are computed from them, the criteria with their value
functions, weights and sources, the constraints and the rule). It is edited by building a
new one (:meth:`Model.replace_criterion`, :meth:`Model.with_weights`, :func:`dataclasses.replace`),
round-trips through TOML, and is evaluated by :func:`run_model`.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from steppe_geo._deprecation import renamed_module_names as _renamed_module_names
from steppe_geo._validation import did_you_mean
from steppe_geo.criteria import tip_height_m
from steppe_geo.errors import (
    InvalidParameterError,
    PointFeaturesWarning,
)
from steppe_geo.io.alignment import LayerKind
from steppe_geo.mcda import (
    Constraint,
    Criterion,
    MinimumArea,
    Overlay,
    Rule,
    Setback,
)
from steppe_geo.mcda.combine import parse_rule
from steppe_geo.models.derivations import (
    _INPUT_KIND_RENAMED,
    DERIVATION_HALOS,
    DERIVATION_INPUT_KINDS,
    DERIVATIONS,
    WHOLE_GRID,
    Derivation,
    derivation_halo,
)
from steppe_geo.models.derivations_distance import within_distance_m
from steppe_geo.models.desertification_tables import tables_used
from steppe_geo.models.editing import ModelEdits, _constraint, _thaw
from steppe_geo.models.kinds import input_kinds
from steppe_geo.models.parameters import (
    _KIND_LISTS_RENAMED,
    AREA_INPUTS,
    PARAMETER_RANGES,
    TABLE_PARAMETERS,
    _check_parameters,
    _freeze,
    _plain,
    _resolve,
)
from steppe_geo.models.presets import PRESETS, preset_factory
from steppe_geo.models.running import (
    ModelResult,
    check_class_codes,
    class_code_inputs,
    derive_layers,
    run_model,
)

__all__ = [
    "AREA_INPUTS",
    "DERIVATIONS",
    "DERIVATION_HALOS",
    "DERIVATION_INPUT_KINDS",
    "PARAMETER_RANGES",
    "PRESETS",
    "WHOLE_GRID",
    "Derivation",
    "Model",
    "ModelResult",
    "PointFeaturesWarning",
    "check_class_codes",
    "class_code_inputs",
    "derivation_halo",
    "derive_layers",
    "input_kinds",
    "preset_factory",
    "run_model",
]

@dataclass(frozen=True)
class Model(ModelEdits):
    """A declarative suitability or risk model.

    Parameters
    ----------
    name : str
    inputs : tuple of str
        Input layer names it needs (keys of :func:`steppe_geo.datasets.sample_paths`).
    derivations : tuple of Derivation
        Derived layers, computed in order.
    criteria : tuple of steppe_geo.mcda.Criterion
        Layer (input or derived), value function and weight.
    constraints : tuple of steppe_geo.mcda constraints
        In bit order of the exclusion bitmask.
    rule : str, default "wlc"
        Combination rule (:class:`steppe_geo.mcda.Rule`).
    parameters : mapping
        Preset parameters (hub height, performance ratio, ...), checked against :data:`PARAMETER_RANGES`.
    tip_height_setbacks : mapping constraint name → float
        Setbacks written as multiples of the turbine tip height (hub height + rotor diameter / 2);
        their ``distance_m`` is derived from ``parameters`` when the model is evaluated.
    sources : mapping name → str
        Citation of each default (criterion, constraint or parameter name).
    description : str
    preset : str
        Name of the preset function that built the model (a key of ``steppe_geo.models.PRESETS``),
        or "" for a model built by hand; :meth:`with_parameters` rebuilds presets through it.
    metadata : mapping
        Facts about the model's output for later steps, e.g. ``capacity_density_mw_per_km2`` with
        ``capacity_basis`` "AC" (wind) or "DC" (solar) and its source.
    """

    name: str
    inputs: tuple[str, ...]
    derivations: tuple[Derivation, ...] = ()
    criteria: tuple[Criterion, ...] = ()
    constraints: tuple[Constraint | MinimumArea, ...] = ()
    rule: str = "wlc"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    tip_height_setbacks: Mapping[str, float] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    preset: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "inputs", tuple(self.inputs))
        set_(
            self,
            "derivations",
            tuple(Derivation.from_dict(d) if isinstance(d, Mapping) else d for d in self.derivations),
        )
        set_(
            self,
            "criteria",
            tuple(Criterion.from_dict(c) if isinstance(c, Mapping) else c for c in self.criteria),
        )
        set_(self, "constraints", tuple(_constraint(c) for c in self.constraints))
        set_(self, "parameters", _freeze(dict(self.parameters)))
        set_(self, "metadata", _freeze(dict(self.metadata)))
        set_(
            self,
            "tip_height_setbacks",
            MappingProxyType({k: float(v) for k, v in self.tip_height_setbacks.items()}),
        )
        set_(self, "sources", MappingProxyType(dict(self.sources)))
        _check_parameters(self.parameters, self.name)
        # layers must be known, in order
        known = list(self.inputs)
        names = [d.name for d in self.derivations]
        dup = sorted({n for n in names if names.count(n) > 1} | {n for n in names if n in self.inputs})
        if dup:
            raise InvalidParameterError(
                f"model {self.name!r}: derivation names must be unique and differ from the inputs; "
                f"duplicated: {dup}"
            )
        for d in self.derivations:
            for inp in d.inputs:
                if inp not in known:
                    raise InvalidParameterError(
                        f"model {self.name!r}: derivation {d.name!r} reads {inp!r}, which is neither "
                        "an input "
                        f"nor an earlier derivation{did_you_mean(inp, known)} Known layers: {known}"
                    )
            for v in d.parameters.values():
                if isinstance(v, str) and v.startswith("$") and v[1:] not in self.parameters:
                    raise InvalidParameterError(
                        f"model {self.name!r}: derivation {d.name!r} refers to parameter {v[1:]!r}, "
                        f"which is not in parameters {sorted(self.parameters)}"
                    )
            known.append(d.name)
            if d.function == "within":
                self.within_distance(d.name)  # distances valid (> 0, one way of giving them)
        for kind, items in (("criterion", self.criteria), ("constraint", self.constraints)):
            for c in items:
                key = c.layer
                if key is not None and key not in known:
                    raise InvalidParameterError(
                        f"model {self.name!r}: {kind} {c.name!r} reads layer {key!r}, which is neither "
                        "an input "
                        f"nor a derivation{did_you_mean(key, known)} Known layers: {known}"
                    )
        input_kinds(self)  # every input read as one kind (vector, class or continuous raster)
        cnames = {c.name: c for c in self.constraints}
        for name, mult in self.tip_height_setbacks.items():
            if name not in cnames or not isinstance(cnames[name], Setback):
                raise InvalidParameterError(
                    f"model {self.name!r}: tip_height_setbacks names {name!r}, "
                    "which is not a setback constraint"
                )
            if not mult > 0:
                raise InvalidParameterError(
                    f"model {self.name!r}: tip-height multiple of {name!r} must be > 0"
                )
            for p in ("hub_height_m", "rotor_diameter_m"):
                if p not in self.parameters:
                    raise InvalidParameterError(
                        f"model {self.name!r}: tip-height setbacks need parameter {p!r}"
                    )
        self.overlay()  # validates criteria, weights, constraints, rule

    def __hash__(self) -> int:
        return hash((self.name, self.inputs, self.derivations, self.criteria, self.constraints, self.rule))

    # ------------------------------------------------------------------ views
    @property
    def criterion_names(self) -> list[str]:
        """Criterion names in order."""
        return [c.name for c in self.criteria]

    @property
    def constraint_names(self) -> list[str]:
        """Constraint names in bit order."""
        return [c.name for c in self.constraints]

    def tip_height_m(self) -> float:
        """Turbine tip height in metres (hub height + rotor diameter / 2)."""
        return tip_height_m(self.parameters["hub_height_m"], self.parameters["rotor_diameter_m"])

    def resolved_constraints(self) -> tuple[Constraint | MinimumArea, ...]:
        """Constraints with tip-height setbacks turned into metres."""
        if not self.tip_height_setbacks:
            return self.constraints
        tip = self.tip_height_m()
        return tuple(
            dataclasses.replace(c, distance_m=self.tip_height_setbacks[c.name] * tip)
            if c.name in self.tip_height_setbacks and isinstance(c, Setback)  # checked on construction
            else c
            for c in self.constraints
        )

    def overlay(self) -> Overlay:
        """The :class:`steppe_geo.mcda.Overlay` this model evaluates."""
        if not self.criteria:
            raise InvalidParameterError(f"model {self.name!r} has no criteria")
        return Overlay(criteria=self.criteria, constraints=self.resolved_constraints(),
                       rule=parse_rule(self.rule))

    def users_of(self, layer: str) -> list[str]:
        """What reads ``layer`` (derivations, criteria, constraints), for error messages."""
        users = [f"derivation {d.name!r}" for d in self.derivations if layer in d.inputs]
        users += [f"criterion {c.name!r}" for c in self.criteria if c.layer == layer]
        users += [f"constraint {c.name!r}" for c in self.constraints if c.layer == layer]
        return users

    def used_by(self, layer: str) -> str:
        """:meth:`users_of` as one phrase: ``"derivations 'a', 'b'; criterion 'c'"`` (or ``""``)."""
        groups: dict[str, list[str]] = {}
        for user in self.users_of(layer):
            kind, name = user.split(" ", 1)
            groups.setdefault(kind, []).append(name)
        return "; ".join(f"{kind}{'s' if len(names) > 1 else ''} {', '.join(names)}"
                         for kind, names in groups.items())

    def derivation(self, name: str) -> Derivation:
        """The derivation producing layer ``name``."""
        for d in self.derivations:
            if d.name == name:
                return d
        raise InvalidParameterError(
            f"model {self.name!r}: no derivation {name!r}"
            f"{did_you_mean(name, [d.name for d in self.derivations]) or '.'} "
            f"Derivations are: {[d.name for d in self.derivations]}"
        )

    def resolved_parameters(self, derivation: str | Derivation) -> dict[str, Any]:
        """Parameters of a derivation with ``"$name"`` references replaced by the model's values."""
        d = self.derivation(derivation) if isinstance(derivation, str) else derivation
        return {k: _resolve(v, self.parameters) for k, v in d.parameters.items()}

    def within_distance(self, derivation: str) -> float | dict[str, float]:
        """Distance in metres of a ``within`` derivation (tip-height multiples resolved; or by class).

        Raises
        ------
        InvalidParameterError
            If the distances are not given in exactly one way, or are not > 0.
        """
        p = self.resolved_parameters(derivation)
        keys = ("distance_m", "tip_height_multiple", "hub_height_m", "rotor_diameter_m", "class_distances_m")
        return within_distance_m(
            **{k: p.get(k) for k in keys}, what=f"model {self.name!r}: derivation {derivation!r}"
        )

    def setbacks(self) -> dict[str, dict[str, Any]]:
        """Every exact setback constraint: name → input layer, distance in metres and how it was given.

        A setback constraint excludes pixels where its ``within`` derivation is 1 (``max=0``); the
        grid-reach constraint of wind keeps pixels where it is 1 (``min=1``) and is listed too.
        """
        out: dict[str, dict[str, Any]] = {}
        producers = {d.name: d for d in self.derivations if d.function == "within"}
        for c in self.constraints:
            layer = getattr(c, "layer", None)
            if layer not in producers:
                continue
            d = producers[layer]
            p = self.resolved_parameters(d)
            out[c.name] = {
                "layer": ", ".join(d.inputs),
                "distance_m": self.within_distance(d.name),
                "tip_height_multiple": p.get("tip_height_multiple"),
                "class_column": p.get("class_column", ""),
                "width_column": p.get("width_column", ""),
                "excludes": "within" if getattr(c, "max", None) == 0.0 else "beyond",
            }
        return out


    @property
    def input_kinds(self) -> dict[str, LayerKind]:
        """Input → the kind it is read as, from what reads it (:func:`steppe_geo.models.input_kinds`).

        Examples
        --------
        >>> from steppe_geo.models import wind_onshore
        >>> wind_onshore().input_kinds["roads"]
        <LayerKind.VECTOR: 'vector'>
        """
        return input_kinds(self)

    @property
    def layer_names(self) -> list[str]:
        """Input and derived layer names, in order."""
        return [*self.inputs, *(d.name for d in self.derivations)]

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """Plain dict (TOML-friendly)."""
        return {
            "name": self.name,
            "description": self.description,
            "inputs": list(self.inputs),
            "rule": Rule(self.overlay().rule).value,
            "parameters": _plain(self.parameters),
            "tip_height_setbacks": _plain(self.tip_height_setbacks),
            "sources": _plain(self.sources),
            "derivations": [d.to_dict() for d in self.derivations],
            "criteria": [_plain(c.to_dict()) for c in self.criteria],
            "constraints": [_plain(c.to_dict()) for c in self.constraints],
            "preset": self.preset,
            "metadata": _plain(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        """Inverse of :meth:`to_dict`."""
        return cls(
            name=data["name"],
            inputs=tuple(data.get("inputs", ())),
            derivations=tuple(data.get("derivations", ())),
            criteria=tuple(data.get("criteria", ())),
            constraints=tuple(data.get("constraints", ())),
            rule=data.get("rule", "wlc"),
            parameters=dict(data.get("parameters", {})),
            tip_height_setbacks=dict(data.get("tip_height_setbacks", {})),
            sources=dict(data.get("sources", {})),
            description=data.get("description", ""),
            preset=data.get("preset", ""),
            metadata=dict(data.get("metadata", {})),
        )

    def to_toml(self) -> str:
        """The model as TOML text (:meth:`from_toml` reads it back to an equal model)."""
        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_toml(cls, text: str) -> Model:
        """Read a model from TOML text (as written by :meth:`to_toml`)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidParameterError(f"model TOML: {exc}") from None
        return cls.from_dict(data)

    def describe(self) -> pd.DataFrame:
        """The model as a table: criteria, constraints, lookup tables, derivations and parameters.

        Columns ``kind, name, layer, function, weight, source``: one row per criterion (value function,
        normalised weight), constraint (rule; exact setbacks in metres with tip-height multiples
        resolved), lookup table used by a derivation (every class code or bin with its score, e.g. the
        ESAI land-cover tables), derivation and parameter, each with the source of its default.
        """
        overlay = self.overlay()
        rows: list[dict[str, Any]] = []

        def row(kind: str, name: str, layer: str, function: str, source: str, weight: float = np.nan) -> None:
            rows.append({"kind": kind, "name": name, "layer": layer, "function": function, "weight": weight,
                         "source": source})

        for c, w in zip(overlay.criteria, overlay.normalized_weights, strict=True):
            label = c.function.label() if hasattr(c.function, "label") else str(c.function)
            row("criterion", c.name, c.layer, label, self.sources.get(c.name, ""), float(w))
        setbacks = self.setbacks()
        for con in overlay.constraints:
            if con.name in setbacks:
                sb = setbacks[con.name]
                text = _setback_text(sb, self)
                row("constraint (setback)", con.name, sb["layer"], text, self.sources.get(con.name, ""))
                continue
            params = {k: v for k, v in con.to_dict().items() if k not in ("type", "name", "layer")}
            text = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
            if con.name in self.tip_height_setbacks:
                text += f" ({self.tip_height_setbacks[con.name]:g} × tip height {self.tip_height_m():g} m)"
            kind = f"constraint ({con.to_dict()['type']})"
            row(kind, con.name, con.layer or "", text, self.sources.get(con.name, ""))
        for d in self.derivations:
            for key, layer, table in tables_used(d.function, d.inputs, self.resolved_parameters(d)):
                text = "; ".join(f"{k}: {v:g}" for k, v in table.describe())
                row("table", key, layer, text, table.source)
        for d in self.derivations:
            p = _thaw(self.resolved_parameters(d))
            text = d.function + (f"({', '.join(f'{k}={v!r}' for k, v in p.items())})" if p else "")
            row("derivation", d.name, ", ".join(d.inputs), text, self.sources.get(d.name, ""))
        for k, v in self.parameters.items():
            row("parameter", k, TABLE_PARAMETERS.get(k, ""), repr(_thaw(v)), self.sources.get(k, ""))
        for k, v in self.metadata.items():
            row("metadata", k, "", repr(_thaw(v)), "")
        return pd.DataFrame(rows, columns=["kind", "name", "layer", "function", "weight", "source"])


def _setback_text(sb: Mapping[str, Any], model: Model) -> str:
    d = sb["distance_m"]
    if isinstance(d, Mapping):
        dist = "by " + (f"{sb['class_column']!r}: " if sb["class_column"] else "class: ") + ", ".join(
            f"{k} {v:g} m" for k, v in d.items())
    else:
        dist = f"{d:g} m"
        if sb["tip_height_multiple"] is not None:
            dist += f" ({sb['tip_height_multiple']:g} × tip height {d / sb['tip_height_multiple']:g} m)"
    if sb["width_column"]:
        dist += f" from the bank (+ half of {sb['width_column']!r})"
    if sb["excludes"] == "within":
        return f"excluded within {dist} of {sb['layer']} (exact, pixel centres)"
    return f"excluded beyond {dist} of {sb['layer']} (exact, pixel centres)"

__getattr__ = _renamed_module_names(__name__, {**_INPUT_KIND_RENAMED, **_KIND_LISTS_RENAMED}, since="0.2.0")
