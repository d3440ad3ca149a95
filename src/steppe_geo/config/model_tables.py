"""Reading one ``[models.<name>]`` table: criteria, constraints, AHP judgements, model files, drops."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from steppe_geo._validation import did_you_mean
from steppe_geo.config.checks import _Checker, _choice, _show
from steppe_geo.config.schema import MODEL_PRESETS, AHPJudgement, CriterionConfig, ModelConfig
from steppe_geo.errors import ConfigError, InputNotFoundError, SteppeGeoError
from steppe_geo.mcda import (
    RULE_ALIASES,
    Rule,
    constraint_from_dict,
    value_function_from_dict,
    value_function_names,
)
from steppe_geo.mcda.constraints import _REGISTRY as kinds
from steppe_geo.mcda.weights import RandomIndex
from steppe_geo.models.land_cover import land_cover_legends

_CRITERION_KEYS = {"name", "layer", "weight", "function"}


def _parse_criterion(item: Any, key: str) -> CriterionConfig:
    if not isinstance(item, Mapping):
        raise ConfigError(f"{key}: expected a table, got {_show(item)}")
    if "name" not in item or not isinstance(item["name"], str) or not item["name"]:
        raise ConfigError(f"{key}.name: missing (required): a criterion name such as 'slope'")
    if "function" not in item:
        raise ConfigError(f"{key}.function: missing (required); valid names are: "
                          f"{', '.join(value_function_names())}")
    fn = item["function"]
    if isinstance(fn, Mapping):
        fdict = dict(fn)
        if "function" not in fdict:
            raise ConfigError(f"{key}.function.function: missing (required): the value function name")
        fname = fdict["function"]
        fkey = f"{key}.function.function"
    else:
        fname = fn
        fdict = {"function": fn, **{k: v for k, v in item.items() if k not in _CRITERION_KEYS}}
        fkey = f"{key}.function"
    names = value_function_names()
    norm = str(fname).strip().lower().replace("-", "_").replace(" ", "_")
    if not isinstance(fname, str) or norm not in names:
        raise ConfigError(
            f"{fkey}: unknown {fname!r}{did_you_mean(str(fname), names)} Valid names are: {', '.join(names)}."
        )
    try:
        value_function_from_dict(fdict)
    except SteppeGeoError as exc:
        raise ConfigError(f"{key}: {exc}") from None
    weight = item.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight >= 0:
        raise ConfigError(f"{key}.weight: expected a number >= 0, got {_show(weight)}")
    layer = item.get("layer", item["name"])
    if not isinstance(layer, str) or not layer:
        raise ConfigError(f"{key}.layer: expected a layer name, got {_show(layer)}")
    return CriterionConfig(item["name"], layer, float(weight), fdict)


_SETBACK_EDIT_KEYS = ("distance_m", "tip_height_multiple", "class_distances_m", "class_column",
                      "width_column", "all_touched")
"""Keys of a ``{type = "setback", name = ...}`` constraint without a layer: they edit the preset's exact
setback of that name (``Model.replace_constraint``; the same list as ``steppe_geo.models.model``)."""


def _parse_setback_edit(item: Mapping[str, Any], key: str, *, custom: bool) -> dict[str, Any]:
    """A setback without ``layer``: an edit of the exact setback of that name in a preset or model file."""
    if custom:
        raise ConfigError(
            f"{key}.layer: missing. A setback without a layer edits the setback of that name in a preset "
            "or model file, and this model is built from its own criteria (no preset, model_file or "
            "model); give layer = <a vector input or a distance raster>")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{key}.name: expected the name of the setback to edit, got {_show(name)}")
    unknown = [k for k in item if k not in ("type", "name", *_SETBACK_EDIT_KEYS)]
    if unknown:
        raise ConfigError(
            f"{key}.{unknown[0]}: not a setback setting{did_you_mean(unknown[0], list(_SETBACK_EDIT_KEYS))} "
            f"A setback without a layer edits the preset's setback {name!r} with: "
            f"{', '.join(_SETBACK_EDIT_KEYS)} (or give layer = ... for a new setback)")
    edits = [k for k in item if k in _SETBACK_EDIT_KEYS]
    if not edits:
        raise ConfigError(f"{key}: setback {name!r} without a layer changes nothing; give one of "
                          f"{', '.join(_SETBACK_EDIT_KEYS)} (or layer = ... for a new setback)")
    for k in ("distance_m", "tip_height_multiple"):
        v = item.get(k)
        if k in item and (isinstance(v, bool) or not isinstance(v, int | float) or not v > 0):
            raise ConfigError(f"{key}.{k}: expected a number > 0, got {_show(v)}")
    return dict(item)


def _parse_constraint(item: Any, key: str, *, custom: bool = False) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise ConfigError(f"{key}: expected a table, got {_show(item)}")
    if item.get("type") == "setback" and "layer" not in item:
        return _parse_setback_edit(item, key, custom=custom)

    valid = sorted(kinds)
    if item.get("type") not in valid:
        if "type" not in item:
            raise ConfigError(f"{key}.type: missing (required); valid values are: {', '.join(valid)}")
        raise ConfigError(
            f"{key}.type: unknown {item['type']!r}{did_you_mean(str(item['type']), valid)} "
            f"Valid values are: {', '.join(valid)}."
        )
    try:
        constraint_from_dict(item)
    except TypeError as exc:
        raise ConfigError(f"{key}: {exc}") from None
    except SteppeGeoError as exc:
        raise ConfigError(f"{key}: {exc}") from None
    return dict(item)


_MODEL_KEYS = ["preset", "model_file", "model", "rule", "weights", "ahp", "criteria", "constraints",
               "parameters", "drop", "land_cover_legend"]
SAATY_MIN, SAATY_MAX = 1 / 9, 9.0


def _judgement_value(v: Any, key: str) -> float:
    """A judgement: a number, or a fraction written as a string (``"1/3"``), on Saaty's 1/9 … 9 scale."""
    value: float | None = None
    if isinstance(v, int | float) and not isinstance(v, bool):
        value = float(v)
    elif isinstance(v, str):
        num, sep, den = v.partition("/")
        try:
            value = float(num) / float(den) if sep else float(num)
        except (ValueError, ZeroDivisionError):
            value = None
    if value is None or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{key}: expected a judgement > 0 on Saaty's scale (1 … 9, or 1/9 … 1 written "
                          f"as a number or a string such as \"1/3\"), got {_show(v)}")
    if not SAATY_MIN - 1e-9 <= value <= SAATY_MAX + 1e-9:
        raise ConfigError(f"{key}: must be within Saaty's scale 1/9 … 9, got {v!r}")
    return value


def _parse_ahp(table: Any, key: str) -> tuple[AHPJudgement, ...]:
    """``[models.<name>.ahp]``: ``"a/b" = 3`` pairs, or ``criteria = [...]`` with ``matrix = [[...]]``."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{key}: expected a table of judgements such as \"wind_speed/slope\" = 5, "
                          f"got {_show(table)}")
    if not table:
        raise ConfigError(f"{key}: no judgements; give one per pair of criteria, "
                          f"e.g. \"wind_speed/slope\" = 5")
    if "matrix" in table or "criteria" in table:
        _Checker(table, key, ["criteria", "matrix"])
        names, matrix = table.get("criteria"), table.get("matrix")
        if not isinstance(names, list) or len(names) < 2 or \
                not all(isinstance(n, str) and n for n in names):
            raise ConfigError(f"{key}.criteria: expected a list of at least two criterion names, "
                              f"got {_show(names)}")
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"{key}.criteria: duplicate criterion names {dup}")
        n = len(names)
        if not isinstance(matrix, list) or len(matrix) != n or \
                not all(isinstance(r, list) and len(r) == n for r in matrix):
            raise ConfigError(f"{key}.matrix: expected {n} rows of {n} judgements (one row and column per "
                              f"criterion of {key}.criteria), got {_show(matrix)}")
        out = []
        for i in range(n):
            for j in range(n):
                cell = f"{key}.matrix[{i}][{j}]"
                v = _judgement_value(matrix[i][j], cell)
                if i == j and not math.isclose(v, 1.0):
                    raise ConfigError(f"{cell}: the diagonal must be 1 (a criterion against itself), got "
                                      f"{matrix[i][j]!r}")
                if i < j:
                    back = _judgement_value(matrix[j][i], f"{key}.matrix[{j}][{i}]")
                    if not math.isclose(v * back, 1.0, rel_tol=0.02):
                        raise ConfigError(
                            f"{key}.matrix[{j}][{i}]: not the reciprocal of {cell} = {matrix[i][j]!r}: "
                            f"expected about {1 / v:.4g}, got {matrix[j][i]!r}"
                        )
                    out.append(AHPJudgement(names[i], names[j], v, cell))
        return tuple(out)
    seen: dict[frozenset[str], str] = {}
    out = []
    for pair, v in table.items():
        jkey = f'{key}."{pair}"'
        row, sep, col = str(pair).partition("/")
        row, col = row.strip(), col.strip()
        if not sep or not row or not col or "/" in col:
            raise ConfigError(f'{jkey}: expected a key "criterion/criterion" (how much more important the '
                              f'first is than the second), got {pair!r}')
        if row == col:
            raise ConfigError(f"{jkey}: compares criterion {row!r} with itself")
        both = frozenset((row, col))
        if both in seen:
            raise ConfigError(f"{jkey}: the pair is judged twice (also as {seen[both]}); give one judgement "
                              "per pair (the reciprocal is implied)")
        seen[both] = jkey
        out.append(AHPJudgement(row, col, _judgement_value(v, jkey), jkey))
    return tuple(out)


def _read_model_file(value: Any, key: str, base: Path) -> tuple[dict[str, Any], Path]:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key}: expected the path of a model TOML file (as Model.to_toml() writes), "
                          f"got {_show(value)}")
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = base / path
    if not path.is_file():
        raise InputNotFoundError(f"{key}: model file not found: {str(path)!r}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # a byte-order mark is not TOML
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{key}: cannot read {str(path)!r}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{key}: {str(path)!r} is not valid TOML: {exc}") from None
    return data, path


def _parse_model(name: str, table: Any, base: Path) -> ModelConfig:
    key = f"models.{name}"
    c = _Checker(table, key, _MODEL_KEYS)
    given = [k for k in ("preset", "model_file", "model") if k in table]
    if len(given) > 1:
        raise ConfigError(f"{key}.{given[1]}: give one of preset, model_file or model, not both "
                          f"{given[0]} and {given[1]}")
    preset = None
    if c.has("preset"):
        preset = _choice(table["preset"], list(MODEL_PRESETS), c.key("preset"))
    definition, model_file = None, None
    if c.has("model_file"):
        definition, model_file = _read_model_file(table["model_file"], c.key("model_file"), base)
    elif c.has("model"):
        if not isinstance(table["model"], Mapping):
            raise ConfigError(f"{key}.model: expected a table (a model as Model.to_toml() writes it), "
                              f"got {_show(table['model'])}")
        definition = dict(table["model"])
    alias = str(table.get("rule", "")).strip().lower().replace("_", "-")
    if isinstance(table.get("rule"), str) and alias in RULE_ALIASES:
        rule = RULE_ALIASES[alias].value  # e.g. "wpm" for weighted-product
    else:
        rule = c.choice("rule", Rule)
    ahp_table = table["ahp"] if c.has("ahp") else None
    random_index = RandomIndex.SAATY1980.value
    if isinstance(ahp_table, Mapping) and "random_index" in ahp_table:
        random_index = _choice(ahp_table["random_index"], [m.value for m in RandomIndex],
                               f"{c.key('ahp')}.random_index")
        ahp_table = {k: v for k, v in ahp_table.items() if k != "random_index"}
    ahp = _parse_ahp(ahp_table, c.key("ahp")) if c.has("ahp") else ()
    crit_items = table.get("criteria", [])
    if not isinstance(crit_items, list):
        raise ConfigError(f"{key}.criteria: expected an array of tables ([[{key}.criteria]]), "
                          f"got {_show(crit_items)}")
    criteria = tuple(_parse_criterion(it, f"{key}.criteria[{i}]") for i, it in enumerate(crit_items))
    names = [cr.name for cr in criteria]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"{key}.criteria: duplicate criterion names {dup}")
    if preset is None and definition is None and not criteria:
        raise ConfigError(
            f"{key}: give a preset (one of {', '.join(MODEL_PRESETS)}), a model_file, or at least one "
            f"[[{key}.criteria]]"
        )
    if ahp:
        for i, it in enumerate(crit_items):
            if "weight" in it:
                raise ConfigError(f"{key}.criteria[{i}].weight: the AHP judgements of [{key}.ahp] set every "
                                  f"weight; remove weight = {it['weight']!r} here")
    cons_items = table.get("constraints", [])
    if not isinstance(cons_items, list):
        raise ConfigError(f"{key}.constraints: expected an array of tables, got {_show(cons_items)}")
    constraints = tuple(_parse_constraint(it, f"{key}.constraints[{i}]", custom=not given)
                        for i, it in enumerate(cons_items))
    weights = table.get("weights", {})
    if not isinstance(weights, Mapping):
        raise ConfigError(f"{key}.weights: expected a table of name = weight, got {_show(weights)}")
    if weights and ahp:
        raise ConfigError(f"{key}.weights: give direct weights or AHP judgements ([{key}.ahp]), not both")
    for wname, w in weights.items():
        if isinstance(w, bool) or not isinstance(w, int | float) or not w >= 0:
            raise ConfigError(f"{key}.weights.{wname}: expected a number >= 0, got {_show(w)}")
    if preset is None and definition is None:
        unknown = [w for w in weights if w not in names]
        if unknown:
            raise ConfigError(
                f"{key}.weights.{unknown[0]}: no criterion of that name{did_you_mean(unknown[0], names)} "
                f"Criteria are: {', '.join(names)}."
            )
    params = table.get("parameters", {})
    if not isinstance(params, Mapping):
        raise ConfigError(f"{key}.parameters: expected a table, got {_show(params)}")
    if params and preset is None and definition is None:
        raise ConfigError(f"{key}.parameters: parameters apply to a preset or a model file; a custom "
                          f"overlay has none (got {', '.join(params)})")
    params = dict(params)
    if "land_cover_legend" in table:
        legend = table["land_cover_legend"]
        if preset is None and definition is None:
            raise ConfigError(f"{key}.land_cover_legend: a land-cover legend applies to a preset or a model "
                              "file; a custom overlay writes its class codes in its own criteria")
        if not isinstance(legend, str) or not legend:
            raise ConfigError(f"{key}.land_cover_legend: expected a legend name such as \"nlcd\", got "
                              f"{_show(legend)}")

        if legend not in land_cover_legends():
            raise ConfigError(f"{key}.land_cover_legend: unknown legend {legend!r}"
                              f"{did_you_mean(legend, land_cover_legends()) or '.'} Legends are: "
                              f"{', '.join(land_cover_legends())}.")
        if "land_cover_legend" in params and params["land_cover_legend"] != legend:
            raise ConfigError(f"{key}.land_cover_legend: {legend!r} differs from {key}.parameters."
                              f"land_cover_legend = {params['land_cover_legend']!r}; give it once")
        params["land_cover_legend"] = legend
    drop = _parse_drop(table.get("drop", []), f"{key}.drop", custom=preset is None and definition is None)
    return ModelConfig(name, preset, rule, {k: float(v) for k, v in weights.items()}, criteria,
                       constraints, params, definition, model_file, ahp, drop, random_index)


def _parse_drop(value: Any, key: str, *, custom: bool) -> tuple[str, ...]:
    """``drop = ["railways", ...]``: names of inputs, constraints or criteria to leave out."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{key}: expected a list of input, constraint or criterion names, e.g. "
                          f"drop = [\"railways\", \"homesteads\"], got {_show(value)}")
    if value and custom:
        raise ConfigError(f"{key}: drop leaves out parts of a preset or a model file; a custom overlay has "
                          f"only what it lists (remove {', '.join(value)} from its criteria/constraints)")
    dup = sorted({v for v in value if value.count(v) > 1})
    if dup:
        raise ConfigError(f"{key}: {dup[0]!r} is listed twice")
    return tuple(value)
