"""Editing a :class:`~steppe_geo.models.Model`: edit methods and the three-way merge.

The edit methods (:class:`ModelEdits`, a base of ``Model``) and the three-way merge that keeps a user's
edits when :meth:`ModelEdits.with_parameters` rebuilds a preset.

Every edit builds a new model; nothing is changed in place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from steppe_geo._validation import did_you_mean
from steppe_geo.errors import (
    InvalidParameterError,
)
from steppe_geo.io.alignment import LayerKind
from steppe_geo.mcda import (
    Constraint,
    Criterion,
    MinimumArea,
    Setback,
    ValueRange,
    constraint_from_dict,
)
from steppe_geo.models.derivations import Derivation
from steppe_geo.models.kinds import input_kinds
from steppe_geo.models.presets import PRESETS, check_preset_parameters, preset_parameter_names

if TYPE_CHECKING:
    from steppe_geo.models.model import Model

__all__ = [
    "ModelEdits",
]


_WITHIN_EDITS = ("distance_m", "tip_height_multiple", "class_distances_m", "class_column", "width_column",
                 "all_touched")


def _constraint(c: Any) -> Constraint | MinimumArea:
    return constraint_from_dict(c) if isinstance(c, Mapping) else c


class ModelEdits:
    """The edit methods of :class:`~steppe_geo.models.Model` (each returns an edited copy)."""

    if TYPE_CHECKING:  # the fields and views of Model, the only class built on ModelEdits
        name: str
        inputs: tuple[str, ...]
        derivations: tuple[Derivation, ...]
        criteria: tuple[Criterion, ...]
        constraints: tuple[Constraint | MinimumArea, ...]
        rule: str
        parameters: Mapping[str, Any]
        tip_height_setbacks: Mapping[str, float]
        sources: Mapping[str, str]
        description: str
        preset: str
        metadata: Mapping[str, Any]

        @property
        def criterion_names(self) -> list[str]: ...  # noqa: D102

        @property
        def constraint_names(self) -> list[str]: ...  # noqa: D102

        def setbacks(self) -> dict[str, dict[str, Any]]: ...  # noqa: D102

        def users_of(self, layer: str) -> list[str]: ...  # noqa: D102

        def derivation(self, name: str) -> Derivation: ...  # noqa: D102

    def _model(self) -> Model:
        """The model itself, typed as such: ModelEdits is only ever a base of the dataclass Model."""
        return cast("Model", self)

    def _replaced(self, **changes: Any) -> Model:
        """A copy with ``changes`` (:func:`dataclasses.replace`)."""
        return dataclasses.replace(self._model(), **changes)

    # ------------------------------------------------------------------ editing
    def replace_criterion(
        self, name: str, criterion: Criterion | None = None, *, source: str | None = None, **changes: Any
    ) -> Model:
        """A copy with criterion ``name`` replaced (by ``criterion`` or by changed fields)."""
        if name not in self.criterion_names:
            raise InvalidParameterError(
                f"model {self.name!r}: no criterion {name!r}"
                f"{did_you_mean(name, self.criterion_names) or '.'} "
                f"Criteria are: {self.criterion_names}"
            )
        old = self.criteria[self.criterion_names.index(name)]
        new = criterion if criterion is not None else dataclasses.replace(old, **changes)
        crit = tuple(new if c.name == name else c for c in self.criteria)
        sources = dict(self.sources)
        sources.pop(name, None)
        sources[new.name] = (
            source if source is not None else f"edited by user (was: {self.sources.get(name, '-')})"
        )
        return self._replaced(criteria=crit, sources=sources)

    def add_criterion(self, criterion: Criterion, *, source: str = "added by user") -> Model:
        """A copy with ``criterion`` appended."""
        return self._replaced(
            criteria=(*self.criteria, criterion), sources={**self.sources, criterion.name: source}
        )

    def remove_criterion(self, name: str) -> Model:
        """A copy without criterion ``name``."""
        if name not in self.criterion_names:
            raise InvalidParameterError(
                f"model {self.name!r}: no criterion {name!r}; criteria are {self.criterion_names}"
            )
        return self._replaced(criteria=tuple(c for c in self.criteria if c.name != name))

    def with_weights(self, weights: Mapping[str, float]) -> Model:
        """A copy with new weights for the named criteria (others keep theirs).

        Raises
        ------
        InvalidParameterError
            If a name is not a criterion of the model.
        """
        unknown = [k for k in weights if k not in self.criterion_names]
        if unknown:
            raise InvalidParameterError(
                f"model {self.name!r}: weights name {unknown}, which are not criteria"
                f"{did_you_mean(unknown[0], self.criterion_names) or '.'} "
                f"Criteria are: {self.criterion_names}"
            )
        crit = tuple(
            dataclasses.replace(c, weight=float(weights[c.name])) if c.name in weights else c
            for c in self.criteria
        )
        return self._replaced(criteria=crit)

    def replace_constraint(
        self, name: str, constraint: Any = None, *, source: str | None = None, **changes: Any
    ) -> Model:
        """A copy with constraint ``name`` replaced (its bit position is kept).

        For an exact setback (see :meth:`setbacks`) the changes ``distance_m``, ``tip_height_multiple``,
        ``class_distances_m``, ``class_column``, ``width_column`` or ``all_touched`` edit its ``within``
        derivation: ``replace_constraint("settlements", distance_m=1000)``.
        """
        if name not in self.constraint_names:
            raise InvalidParameterError(
                f"model {self.name!r}: no constraint {name!r}"
                f"{did_you_mean(name, self.constraint_names) or '.'} "
                f"Constraints are: {self.constraint_names}"
            )
        old = self.constraints[self.constraint_names.index(name)]
        if constraint is None and name in self.setbacks() and set(changes) <= set(_WITHIN_EDITS):
            return self._edit_setback(name, old, changes, source)
        exact = self._exact_setback_source(constraint)
        setback = _constraint(constraint) if exact is not None else None
        if isinstance(setback, Setback) and name in self.setbacks():
            return self._edit_setback(name, old, {"distance_m": setback.distance_m}, source)
        new = _constraint(constraint) if constraint is not None else dataclasses.replace(old, **changes)
        tip = dict(self.tip_height_setbacks)
        if "distance_m" in changes or constraint is not None:
            tip.pop(name, None)  # an explicit distance replaces a tip-height multiple
        sources = {**self.sources, new.name: source or f"edited by user (was: {self.sources.get(name, '-')})"}
        return self._replaced(
            constraints=tuple(new if c.name == name else c for c in self.constraints),
            tip_height_setbacks=tip,
            sources=sources,
        )

    def _edit_setback(self, name: str, old: Any, changes: Mapping[str, Any], source: str | None) -> Model:
        d = self.derivation(old.layer)
        params = dict(d.parameters)
        how = {"distance_m", "tip_height_multiple", "class_distances_m"} & set(changes)
        if how:  # one way of giving the distance replaces the others
            for k in ("distance_m", "tip_height_multiple", "hub_height_m", "rotor_diameter_m",
                      "class_distances_m"):
                params.pop(k, None)
        if "tip_height_multiple" in changes:
            for p in ("hub_height_m", "rotor_diameter_m"):
                params[p] = f"${p}" if p in self.parameters else params.get(p)
        params.update(changes)
        new_d = dataclasses.replace(d, parameters=params)
        text = ", ".join(f"{k}={v!r}" for k, v in changes.items())
        sources = {**self.sources,
                   name: source or f"edited by user: {text} (was: {self.sources.get(name, '-')})"}
        derivations = tuple(new_d if x.name == d.name else x for x in self.derivations)
        return self._replaced(derivations=derivations, sources=sources)

    def _is_exact_setback_edit(self, c: Mapping[str, Any]) -> bool:
        if c.get("type", "setback") != "setback" or "name" not in c:
            return False
        if set(c) - {"type", "name", "layer", *_WITHIN_EDITS}:
            return False
        layer = c.get("layer")
        if layer is None:
            return str(c["name"]) in self.setbacks()
        return layer in self.inputs and self._reads_vector(layer)

    def add_setback(self, name: str, layer: str, *, source: str = "added by user", **within: Any) -> Model:
        """A copy with an exact setback from vector input ``layer`` appended (next bit).

        ``within`` takes ``distance_m`` (metres), or ``tip_height_multiple`` (× hub height + rotor
        diameter / 2 of the model's parameters), or ``class_column`` with ``class_distances_m``; and
        optionally ``width_column`` (line features measured from their banks). A pixel is excluded where
        its centre is within the distance of a feature geometry (``steppe_geo.criteria.within_distance``).

        Examples
        --------
        >>> from steppe_geo.models import wind_onshore
        >>> m = wind_onshore().add_setback("wells", "homesteads", distance_m=300)
        >>> m.setbacks()["wells"]["distance_m"], m.constraint_names[-1]
        (300.0, 'wells')
        """
        if layer not in self.inputs:
            raise InvalidParameterError(
                f"model {self.name!r}: setback {name!r} from {layer!r}, which is not an input"
                f"{did_you_mean(layer, self.inputs) or '.'} Inputs are: {list(self.inputs)}"
            )
        if f"setback_{name}" in [d.name for d in self.derivations]:
            raise InvalidParameterError(
                f"model {self.name!r}: there is already a derivation 'setback_{name}'; edit the setback "
                f"with replace_constraint({name!r}, distance_m=...) or choose another name"
            )
        params = dict(within)
        if "tip_height_multiple" in params:
            for p in ("hub_height_m", "rotor_diameter_m"):
                params.setdefault(p, f"${p}" if p in self.parameters else None)
        d = Derivation(f"setback_{name}", "within", (layer,), params)
        return self._replaced(
            derivations=(*self.derivations, d),
            constraints=(*self.constraints, ValueRange(name, d.name, max=0.0)),
            sources={**self.sources, name: source},
        )

    def _exact_setback_source(self, constraint: Any) -> str | None:
        """The vector input a ``Setback`` on ``distance_<input>_m`` refers to, if the model has that input."""
        if constraint is None:
            return None
        c = _constraint(constraint)
        if not isinstance(c, Setback):
            return None
        layer = c.layer.removeprefix("distance_").removesuffix("_m")
        if c.layer == f"distance_{layer}_m" and layer in self.inputs and self._reads_vector(layer):
            return layer
        return None

    def _reads_vector(self, layer: str) -> bool:
        """Whether the model reads input ``layer`` as a vector layer (:func:`input_kinds`)."""
        return input_kinds(cast("Model", self)).get(layer) is LayerKind.VECTOR

    def add_constraint(self, constraint: Any, *, source: str = "added by user") -> Model:
        """A copy with ``constraint`` appended (next bit of the exclusion bitmask).

        A :class:`steppe_geo.mcda.Setback` on ``distance_<x>_m`` where ``x`` is a vector input of the
        model becomes an exact setback from ``x`` (:meth:`add_setback`), as does such a setback passed to
        :meth:`replace_constraint` for an exact setback of the preset.
        """
        exact = self._exact_setback_source(constraint)
        setback = _constraint(constraint) if exact is not None else None
        if exact is not None and isinstance(setback, Setback):
            return self.add_setback(setback.name, exact, source=source, distance_m=setback.distance_m)
        c = _constraint(constraint)
        return self._replaced(
            constraints=(*self.constraints, c), sources={**self.sources, c.name: source}
        )

    def remove_constraint(self, name: str) -> Model:
        """A copy without constraint ``name``."""
        if name not in self.constraint_names:
            raise InvalidParameterError(
                f"model {self.name!r}: no constraint {name!r}; constraints are {self.constraint_names}"
            )
        old = self.constraints[self.constraint_names.index(name)]
        constraints = tuple(c for c in self.constraints if c.name != name)
        # an exact setback's mask goes with it, unless something else reads it
        derivations = self.derivations
        if name in self.setbacks() and old.layer is not None and not [
            u for u in self.users_of(old.layer) if u != f"constraint {name!r}"
        ]:
            derivations = tuple(d for d in derivations if d.name != old.layer)
        return self._replaced(
            derivations=derivations,
            constraints=constraints,
            tip_height_setbacks={k: v for k, v in self.tip_height_setbacks.items() if k != name},
        )

    def without(self, *names: str) -> Model:
        """A copy without the named constraints, criteria or input layers, and without what only they needed.

        Each name is an **input layer** of the model (``"railways"``: every derivation, criterion and
        constraint that reads it, directly or through derived layers, goes), or else a **constraint** or
        **criterion** name (``"far_from_grid"``). Derived layers and inputs that nothing reads any more
        are removed too, so ``model.inputs`` shrinks and :func:`run_model` no longer asks for them. For
        a name that is both an input and a constraint (the siting presets' setbacks: ``"roads"``) the
        input meaning wins; to keep the roads layer for road access and drop only the setback use
        :meth:`remove_constraint`. What each name removed is kept in ``metadata["dropped"]`` and shows
        in the run's notes. The configuration's ``[models.<name>] drop = [...]`` calls this.

        Raises
        ------
        InvalidParameterError
            A name that is neither an input, a constraint nor a criterion (the valid names listed,
            the closest suggested), or dropping that would leave the model without criteria.

        Examples
        --------
        >>> from steppe_geo.models import wind_onshore
        >>> m = wind_onshore().without("railways", "homesteads")
        >>> "railways" in m.inputs, "railways" in m.constraint_names, "setback_railways" in m.layer_names
        (False, False, False)
        >>> m.metadata["dropped"]["railways"]
        "input 'railways' and what reads it: derivation 'setback_railways', constraint 'railways'"
        """
        model = self._model()
        dropped = dict(self.metadata.get("dropped", {}))
        for name in names:
            model, text = model._without_one(name)
            dropped[name] = text
        return dataclasses.replace(model, metadata={**model.metadata, "dropped": dropped})
    def _without_one(self, name: str) -> tuple[Model, str]:
        if name in self.inputs:
            dead = {name}
            for d in self.derivations:
                if dead & set(d.inputs):
                    dead.add(d.name)
            what = f"input {name!r} and what reads it"
            gone_criteria = [c.name for c in self.criteria if c.layer in dead]
            gone_constraints = [c.name for c in self.constraints if c.layer in dead]
        elif name in self.constraint_names or name in self.criterion_names:
            dead = set()
            kind = "constraint" if name in self.constraint_names else "criterion"
            what = f"{kind} {name!r}"
            gone_criteria = [name] if kind == "criterion" else []
            gone_constraints = [name] if kind == "constraint" else []
        else:
            valid = [*self.inputs, *self.constraint_names, *self.criterion_names]
            raise InvalidParameterError(
                f"model {self.name!r}: cannot drop {name!r}: it is not an input, constraint or criterion"
                f"{did_you_mean(name, valid) or '.'} Inputs: {', '.join(self.inputs)}; constraints: "
                f"{', '.join(self.constraint_names) or '(none)'}; criteria: "
                f"{', '.join(self.criterion_names)}."
            )
        criteria = tuple(c for c in self.criteria if c.name not in gone_criteria)
        constraints = tuple(c for c in self.constraints if c.name not in gone_constraints)
        if not criteria:
            raise InvalidParameterError(
                f"model {self.name!r}: dropping {name!r} leaves no criteria (every criterion reads it: "
                f"{', '.join(gone_criteria)}). Drop less, or give the layer."
            )
        # derived layers and inputs that were read before and are read by nothing now go too
        read_before = {c.layer for c in self.criteria} | {c.layer for c in self.constraints if c.layer}
        read_before |= {k for d in self.derivations for k in d.inputs}
        needed = {c.layer for c in criteria} | {c.layer for c in constraints if c.layer}
        kept = []
        for d in reversed(self.derivations):
            if d.name not in dead and (d.name in needed or d.name not in read_before):
                kept.append(d)
                needed |= set(d.inputs)
        derivations = tuple(reversed(kept))
        inputs = tuple(k for k in self.inputs if k not in dead and (k in needed or k not in read_before))
        gone_derivations = [d.name for d in self.derivations if d not in derivations]
        gone = [f"derivation {d!r}" for d in gone_derivations]
        gone += [f"criterion {c!r}" for c in gone_criteria] + [f"constraint {c!r}" for c in gone_constraints]
        gone += [f"input {k!r}" for k in self.inputs if k not in inputs and k != name]
        removed = {*gone_criteria, *gone_constraints, *gone_derivations}
        model = self._replaced(
            inputs=inputs, derivations=derivations, criteria=criteria, constraints=constraints,
            tip_height_setbacks={k: v for k, v in self.tip_height_setbacks.items() if k not in removed},
            sources={k: v for k, v in self.sources.items() if k not in removed},
        )
        return model, f"{what}: {', '.join(gone) or 'nothing else'}"

    def with_parameters(self, **parameters: Any) -> Model:
        """A copy with preset parameters changed, rebuilt so that every use of them follows.

        A preset (``model.preset`` set) is rebuilt through its function with the merged parameters:
        ``solar_pv().with_parameters(performance_ratio=0.5) == solar_pv(performance_ratio=0.5)``.
        Edits made since (weights, criteria, constraints, setbacks, rule) are **kept** when the new
        parameters do not touch what was edited, field by field: a changed weight survives a change of
        ``max_slope_pct``, which only moves the slope value function. When the new parameters would
        change something that was edited (the same field of the same criterion, constraint or
        derivation) the call is **refused** with an error naming it: apply ``with_parameters`` first and
        edit afterwards. A model built by hand only takes parameters it already has (they reach the
        derivations through their ``"$name"`` references).

        Raises
        ------
        InvalidParameterError
            An unknown parameter (valid names listed, closest suggested), a value out of range or not
            one of the valid choices, or parameters that would undo an edit.
        """
        if not parameters:
            return self._model()
        if not self.preset:
            unknown = [k for k in parameters if k not in self.parameters]
            if unknown:
                raise InvalidParameterError(
                    f"model {self.name!r}: unknown parameter {unknown[0]!r}"
                    f"{did_you_mean(unknown[0], self.parameters) or '.'} Parameters are: "
                    f"{sorted(self.parameters)}"
                )
            return self._replaced(parameters={**self.parameters, **parameters})
        if self.preset not in PRESETS:
            raise InvalidParameterError(
                f"model {self.name!r}: built by unknown preset {self.preset!r}; presets are {list(PRESETS)}"
            )
        factory = PRESETS[self.preset]
        check_preset_parameters(self.preset, parameters, preset_parameter_names(factory))
        base = _thaw(self.parameters)
        pristine = factory(**base)
        rebuilt = factory(**{**base, **parameters})
        if self == pristine:
            return rebuilt
        return _merge_edits(pristine, self._model(), rebuilt, changed=parameters)

    def edited(
        self,
        *,
        weights: Mapping[str, float] | None = None,
        criteria: Sequence[Criterion | Mapping[str, Any]] = (),
        constraints: Sequence[Any] = (),
        rule: str | None = None,
    ) -> Model:
        """A copy with config-style edits applied (what a ``[models.<name>]`` table holds).

        Criteria and constraints replace those of the same name (keeping their position and
        exclusion bit) or are appended; ``weights`` then override by name; ``rule`` replaces the rule.

        A constraint ``{type = "setback", name = ..., distance_m = ...}`` without a layer (or whose
        layer is a vector input such as ``"settlements"``) edits or adds an **exact** setback
        (:meth:`add_setback`); with a distance raster as layer it is the plain
        :class:`steppe_geo.mcda.Setback` on that raster.
        """
        model = self._model()
        for c in criteria:
            crit = Criterion.from_dict(c) if isinstance(c, Mapping) else c
            if crit.name in model.criterion_names:
                model = model.replace_criterion(crit.name, crit, source="set in configuration")
            else:
                model = model.add_criterion(crit, source="set in configuration")
        for c in constraints:
            if isinstance(c, Mapping) and model._is_exact_setback_edit(c):
                changes = {k: v for k, v in c.items() if k in _WITHIN_EDITS}
                name = str(c["name"])
                if name in model.constraint_names:
                    model = model.replace_constraint(name, source="set in configuration", **changes)
                else:
                    model = model.add_setback(name, str(c["layer"]), source="set in configuration", **changes)
                continue
            con = _constraint(c)
            if con.name in model.constraint_names:
                model = model.replace_constraint(con.name, con, source="set in configuration")
            else:
                model = model.add_constraint(con, source="set in configuration")
        if weights:
            model = model.with_weights(weights)
        if rule is not None:
            model = dataclasses.replace(model, rule=rule)
        return model


def _thaw(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {k: _thaw(x) for k, x in v.items()}
    if isinstance(v, tuple):
        return [_thaw(x) for x in v]
    return v


class _Conflict(Exception):
    pass


def _merge3(p: Any, u: Any, r: Any, *, top: bool = False) -> Any:
    """Three-way merge of a value: ``p`` as the preset built it, ``u`` as edited, ``r`` rebuilt.

    Mappings merge key by key; a criterion, constraint or derivation (``top``) field by field; anything
    else (a value function, a number) is taken whole from the side that changed it.
    """
    if u == p:
        return r
    if r == p or u == r:
        return u
    if isinstance(u, Mapping) and isinstance(p, Mapping) and isinstance(r, Mapping):
        keys = [*r, *[k for k in u if k not in r]]
        out = {}
        for k in keys:
            if k in p and k not in u:  # removed by the edit
                if r.get(k) != p[k]:
                    raise _Conflict(k)
                continue
            if k not in p:
                out[k] = u[k] if k in u else r[k]
                if k in u and k in r and u[k] != r[k]:
                    raise _Conflict(k)
                continue
            if k not in r:  # dropped by the new parameters
                if u[k] != p[k]:
                    raise _Conflict(k)
                continue
            out[k] = _merge3(p[k], u[k], r[k])
        return out
    if top and dataclasses.is_dataclass(u) and not isinstance(u, type) and type(u) is type(p) is type(r):
        changes = {}
        for f in dataclasses.fields(u):
            if not f.init:
                continue
            a, b, c = (getattr(x, f.name) for x in (p, u, r))
            try:
                changes[f.name] = _merge3(a, b, c)
            except _Conflict as exc:
                raise _Conflict(f"{f.name}" + (f".{exc}" if str(exc) else "")) from None
        return dataclasses.replace(u, **changes)
    raise _Conflict("")


def _merge_items(kind: str, p_items: Sequence[Any], u_items: Sequence[Any], r_items: Sequence[Any],
                 *, order: str) -> list[Any]:
    """Merge named items (criteria, constraints, derivations) of the three models, by name."""
    P, U, R = ({x.name: x for x in items} for items in (p_items, u_items, r_items))
    names = [x.name for x in (r_items if order == "rebuilt" else u_items)]
    if order == "rebuilt":
        names += [n for n in U if n not in P and n not in names]
    else:
        names += [n for n in R if n not in P and n not in U]
    out = []
    for n in names:
        if n in P and n not in U:  # removed by the user: stays removed
            continue
        if n not in P:  # added by the user, or new in the rebuilt preset
            if n in U and n in R and U[n] != R[n]:
                raise _Conflict(f"{kind} {n!r}")
            out.append(U.get(n, R.get(n)))
            continue
        if n not in R:  # the new parameters drop it
            if U[n] != P[n]:
                raise _Conflict(f"{kind} {n!r}")
            continue
        try:
            out.append(_merge3(P[n], U[n], R[n], top=True))
        except _Conflict as exc:
            raise _Conflict(f"{kind} {n!r}" + (f" ({exc})" if str(exc) else "")) from None
    return out


def _merge_edits(pristine: Model, user: Model, rebuilt: Model, *, changed: Mapping[str, Any]) -> Model:
    """``rebuilt`` with the edits that turned ``pristine`` into ``user``, or an error naming the clash."""
    text = ", ".join(f"{k}={v!r}" for k, v in changed.items())
    try:
        derivations = _merge_items("derivation", pristine.derivations, user.derivations, rebuilt.derivations,
                                   order="rebuilt")
        criteria = _merge_items("criterion", pristine.criteria, user.criteria, rebuilt.criteria, order="user")
        constraints = _merge_items("constraint", pristine.constraints, user.constraints,
                                   rebuilt.constraints, order="user")
        rule = _merge3(pristine.rule, user.rule, rebuilt.rule)
        tip = _merge3(dict(pristine.tip_height_setbacks), dict(user.tip_height_setbacks),
                      dict(rebuilt.tip_height_setbacks))
    except _Conflict as exc:
        raise InvalidParameterError(
            f"model {user.name!r}: with_parameters({text}) would change {exc}, which was edited after "
            f"the preset {user.preset!r} was built; the edit would be lost. Call with_parameters first and "
            f"edit afterwards, or build {user.preset}({text}) and redo the edit."
        ) from None
    sources = {k: (v if user.sources.get(k) == pristine.sources.get(k) else user.sources.get(k, v))
               for k, v in rebuilt.sources.items()}
    sources |= {k: v for k, v in user.sources.items() if k not in pristine.sources}
    inputs = [k for k in rebuilt.inputs if k in user.inputs or k not in pristine.inputs]
    inputs += [k for k in user.inputs if k not in pristine.inputs and k not in inputs]
    return type(user)(
        name=user.name if user.name != pristine.name else rebuilt.name,
        inputs=tuple(inputs),
        derivations=tuple(derivations),
        criteria=tuple(criteria),
        constraints=tuple(constraints),
        rule=rule,
        parameters=rebuilt.parameters,
        tip_height_setbacks=tip,
        sources=sources,
        description=user.description if user.description != pristine.description else rebuilt.description,
        preset=rebuilt.preset,
        metadata=user.metadata if user.metadata != pristine.metadata else rebuilt.metadata,
    )

