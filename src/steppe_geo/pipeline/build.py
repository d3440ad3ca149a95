"""Models stage, construction: configured models built into presets, model files or custom overlays."""

from __future__ import annotations

import dataclasses
import inspect
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from steppe_geo._validation import did_you_mean
from steppe_geo.config import Config, ModelConfig
from steppe_geo.config.checks import _strip_prefix
from steppe_geo.errors import (
    ConfigError,
    SteppeGeoError,
)
from steppe_geo.io import LayerKind
from steppe_geo.mcda import InconsistentJudgementsWarning, Overlay, Rule, ahp, constraint_from_dict
from steppe_geo.models import PRESETS, Model, input_kinds
from steppe_geo.models.kinds import input_readers


def _quiet_ahp(model: ModelConfig, names: Sequence[str]) -> Any:
    """The :class:`steppe_geo.mcda.AHPResult` of the model's judgements (None without ``[ahp]``).

    The consistency warning is left to :func:`check_config`, which names the judgement's key.
    """
    if not model.ahp:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InconsistentJudgementsWarning)
        return ahp({(j.row, j.col): j.value for j in model.ahp}, criteria=list(names),
                   random_index=model.ahp_random_index)


def ahp_result(model: ModelConfig, *, inputs: Sequence[str] = ()) -> Any:
    """The AHP comparison of a configured model's judgements (None when it has direct weights).

    Parameters
    ----------
    model : ModelConfig
    inputs : sequence of str, optional
        The configuration's input names (as for :func:`build_model`).

    Returns
    -------
    steppe_geo.mcda.AHPResult or None
        Weights, λmax, CI and CR (no warning is issued here; :func:`check_config` warns).
    """
    if not model.ahp:
        return None
    built = _custom_overlay(model, ahp_weights=False) if model.kind == "custom" else \
        build_model(model, inputs=inputs, ahp_weights=False)
    return _quiet_ahp(model, built.criterion_names)


def _custom_overlay(model: ModelConfig, *, ahp_weights: bool = True) -> Any:
    kwargs: dict[str, Any] = {}
    if model.rule:
        kwargs["rule"] = model.rule
    if model.weights:
        kwargs["weights"] = {c.name: model.weights.get(c.name, c.weight) for c in model.criteria}
    if ahp_weights and model.ahp:
        kwargs["weights"] = _quiet_ahp(model, [c.name for c in model.criteria]).as_dict()
    return Overlay(criteria=tuple(c.to_mcda() for c in model.criteria),
                   constraints=tuple(constraint_from_dict(c) for c in model.constraints), **kwargs)


def _preset_parameter_names(preset: str) -> list[str]:

    fn = PRESETS[preset]
    names = [n for n, p in inspect.signature(fn).parameters.items()
             if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return list(dict.fromkeys([*names, *fn().parameters]))


def _parameter_error(key: str, exc: Exception, params: Mapping[str, Any]) -> ConfigError:
    """A preset's parameter error, under the key path of the parameter it names."""
    text = str(exc)
    named = [k for k in params if k in text]
    if named:
        msg = _strip_prefix(text.split(": ", 1)[1] if text.startswith("model ") else text)
        msg = re.sub(rf"^parameter {re.escape(named[0])}:?\s*", "", msg)
        return ConfigError(f"{key}.parameters.{named[0]}: {msg}")
    return ConfigError(f"{key}.parameters: {text}")


def base_model(model: ModelConfig) -> Any:
    """The :class:`steppe_geo.models.Model` of a preset or model-file entry, with its parameters and ``drop``.

    Not yet edited by the entry's criteria, constraints, weights or rule; what ``drop`` names is left
    out (:meth:`steppe_geo.models.Model.without`), so its inputs are no longer required.

    Raises
    ------
    ConfigError
        Unknown or out-of-range parameters (key ``models.<name>.parameters.<parameter>``, closest
        name suggested), a model file that does not describe a valid model, or a ``drop`` name that
        is not an input, constraint or criterion (key ``models.<name>.drop``).
    """
    m = _undropped_model(model)
    if not model.drop:
        return m
    try:
        return m.without(*model.drop)
    except SteppeGeoError as exc:
        raise ConfigError(f"models.{model.name}.drop: {exc}") from None


def _check_parameter_names(key: str, given: Mapping[str, Any], valid: Sequence[str], what: str) -> None:
    """Refuse the first name in ``given`` that is not in ``valid`` (closest name suggested)."""
    for name in given:
        if name not in valid:
            raise ConfigError(
                f"{key}.parameters.{name}: unknown parameter of {what}"
                f"{did_you_mean(name, valid)} Valid parameters are: {', '.join(valid) or '(none)'}."
            )


def _undropped_model(model: ModelConfig) -> Any:
    key = f"models.{model.name}"
    if model.preset is not None:
        _check_parameter_names(key, model.parameters, _preset_parameter_names(model.preset),
                               f"preset {model.preset!r}")
        try:
            return PRESETS[model.preset](**model.parameters)
        except (TypeError, SteppeGeoError) as exc:
            raise _parameter_error(key, exc, model.parameters) from None
    if model.definition is None:
        raise ConfigError(f"{key}: a custom overlay has no base model (give a preset or a model_file)")
    where = f"{key}.model_file" if model.model_file is not None else f"{key}.model"
    try:
        m = Model.from_dict(model.definition)
    except KeyError as exc:
        raise ConfigError(f"{where}: the model has no {exc.args[0]!r} (write it with Model.to_toml())") \
            from None
    except (TypeError, ValueError, SteppeGeoError) as exc:
        raise ConfigError(f"{where}: not a valid model: {exc}") from None
    if model.parameters:
        _check_parameter_names(key, model.parameters, list(m.parameters), f"model {m.name!r}")
        try:
            m = m.with_parameters(**model.parameters)
        except SteppeGeoError as exc:
            raise _parameter_error(key, exc, model.parameters) from None
    return m


def _config_layers(model: ModelConfig) -> list[str]:
    """Layers named by the configuration's own criteria and constraints of ``model``."""
    keys = [c.layer for c in model.criteria]
    keys += [c["layer"] for c in model.constraints if isinstance(c.get("layer"), str)]
    return list(dict.fromkeys(keys))


def build_model(model: ModelConfig, *, inputs: Sequence[str] = (), ahp_weights: bool = True) -> Any:
    """The :class:`steppe_geo.models.Model` a preset or model-file entry describes, with the config's edits.

    ``parameters`` go to the preset function (or replace a model file's parameters); ``criteria``
    and ``constraints`` replace those of the same name or are added; ``weights`` override
    criterion weights, or ``ahp`` judgements set them all; ``rule`` replaces the rule.

    Parameters
    ----------
    model : ModelConfig
    inputs : sequence of str, optional
        The configuration's input names. A criterion or constraint of the configuration may read
        any of them; those the model does not know already are added to its inputs.
    ahp_weights : bool, default True
        Apply the AHP weights (False: keep the criteria's own weights).

    Raises
    ------
    ConfigError
        An edit does not fit the model (the message starts with the key path).
    """
    key = f"models.{model.name}"
    m = base_model(model)
    if model.drop:
        _check_dropped_edits(model, m)
    known = {*m.inputs, *(d.name for d in m.derivations)}
    extra = [k for k in _config_layers(model) if k not in known and k in inputs]
    if extra:
        m = dataclasses.replace(m, inputs=(*m.inputs, *extra))
    setbacks = list(m.setbacks())
    for i, c in enumerate(model.constraints):
        if c.get("type") == "setback" and "layer" not in c and c["name"] not in setbacks:
            raise ConfigError(
                f"{key}.constraints[{i}].layer: missing, and {c['name']!r} is not a setback of "
                f"{model.label}{did_you_mean(c['name'], setbacks) or '.'} Its setbacks are: "
                f"{', '.join(setbacks) or '(none)'}. To add a setback give layer = <a vector input>.")
    try:
        for cc in model.criteria:
            crit = cc.to_mcda()
            m = m.replace_criterion(cc.name, crit, source="set in configuration") \
                if cc.name in m.criterion_names else m.add_criterion(crit, source="set in configuration")
        for c in model.constraints:
            if c.get("type") == "setback" and "layer" not in c:  # an edit of the exact setback of that name
                m = m.edited(constraints=[c])
                continue
            cons = constraint_from_dict(c)
            m = m.replace_constraint(cons.name, cons, source="set in configuration") \
                if cons.name in m.constraint_names else m.add_constraint(cons, source="set in configuration")
        if model.weights:
            m = m.with_weights(model.weights)
        if ahp_weights and model.ahp:
            m = m.with_weights(_quiet_ahp(model, m.criterion_names).as_dict())
        if model.rule:
            m = dataclasses.replace(m, rule=Rule(model.rule).value)
    except SteppeGeoError as exc:
        raise ConfigError(f"{key}: {exc}") from None
    return m


def _check_dropped_edits(model: ModelConfig, dropped: Any) -> None:
    """An edit (criterion, constraint, weight) of something ``drop`` left out is a contradiction."""
    key = f"models.{model.name}"
    full = _undropped_model(model)
    gone = {*full.criterion_names, *full.constraint_names}
    gone -= {*dropped.criterion_names, *dropped.constraint_names}
    edits: list[tuple[str, str | None]] = [(f"{key}.criteria[{i}]", c.name)
                                           for i, c in enumerate(model.criteria)]
    edits += [(f"{key}.constraints[{i}]", c.get("name")) for i, c in enumerate(model.constraints)]
    edits += [(f"{key}.weights.{w}", w) for w in model.weights]
    for where, name in edits:
        if name in gone:
            raise ConfigError(f"{where}: {name!r} is left out by {key}.drop = {list(model.drop)}; edit it or "
                              "drop it, not both")


# ----------------------------------------------------------------------------- checks


def configured_input_kinds(config: Config) -> dict[str, LayerKind]:
    """Each input of ``config`` a model reads → the kind it is read as (vector, class or continuous raster).

    From what reads it in every configured model (:func:`steppe_geo.models.input_kinds`); the
    pipeline loads each input once, as this kind (:func:`steppe_geo.pipeline.load_inputs`).

    Parameters
    ----------
    config : Config

    Returns
    -------
    dict input name → LayerKind
        Inputs no model reads (the AOI, the parcels) are left out.

    Raises
    ------
    ConfigError
        A model reads an input as two kinds, or two models read it as different kinds: the message
        starts with ``sources.<name>`` and names both readers.
    """
    kinds: dict[str, LayerKind] = {}
    first: dict[str, str] = {}
    for m in config.models.values():
        key = f"models.{m.name}"
        built = _custom_overlay(m) if m.kind == "custom" else build_model(m, inputs=list(config.sources))
        try:
            own = input_kinds(built)
        except SteppeGeoError as exc:
            raise ConfigError(f"{key}: {exc}") from None
        readers = input_readers(built)
        for k, kind in own.items():
            who = f"{key} ({', '.join(r for r, _ in readers[k])})"
            if k in kinds and kinds[k] is not kind:
                raise ConfigError(
                    f"sources.{k}: {first[k]} reads {k!r} as a {kinds[k].value} layer and {who} as a "
                    f"{kind.value} layer; an input is loaded once, as one kind. Give each model its own "
                    f"input (a second entry under [sources] for the same file), or change one of them"
                )
            kinds.setdefault(k, kind)
            first.setdefault(k, who)
    return kinds
