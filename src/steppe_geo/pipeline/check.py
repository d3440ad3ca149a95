"""Checks of a configuration made before any work (``steppe-geo validate`` and the start of a run)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from steppe_geo._validation import closest, did_you_mean
from steppe_geo.config import Config, InputSpec, ModelConfig
from steppe_geo.errors import (
    ConfigError,
    ImplausibleInputError,
    SteppeGeoError,
    UndeclaredUnitsWarning,
)
from steppe_geo.io._dbf import EncodingProblem, undeclared_encoding
from steppe_geo.io.plausibility import INPUT_ROLES, ROLES, format_values
from steppe_geo.io.remote import is_remote, source_name
from steppe_geo.models.model import InputKind
from steppe_geo.pipeline.build import _custom_overlay, _quiet_ahp, base_model, build_model
from steppe_geo.pipeline.estimate import check_run_size
from steppe_geo.pipeline.inputs import _is_raster


def effective_mode(config: Config, *, scheduler: str | None = None, workers: int | None = None) -> str:
    """How a run executes: ``"memory"``, ``"streamed"`` or ``"dask"`` (``scheduler``/``workers`` → dask)."""
    scheduler = scheduler if scheduler is not None else config.run.scheduler
    workers = workers if workers is not None else config.run.workers
    if scheduler is not None or workers is not None:
        return "dask"
    return config.run.mode


def _layer_list(names: Sequence[str]) -> str:
    return ", ".join(names) or "(none)"


def _check_config_layer(key: str, layer: str, *, known: Sequence[str], derived: Sequence[str],
                        inputs: Mapping[str, Path], rasters: set[str], label: str) -> None:
    """A layer named by a configured criterion or constraint exists and is a raster."""
    if layer in derived or (layer in known and layer not in inputs):
        return
    if layer not in inputs:
        choices = list(dict.fromkeys([*derived, *inputs]))
        where = f" and the layers {label} derives ({_layer_list(derived)})" if derived else ""
        raise ConfigError(
            f"{key}: unknown layer {layer!r}{did_you_mean(layer, choices)} Layers are the inputs "
            f"({_layer_list(list(inputs))}){where}."
        )
    if layer not in rasters:
        raise ConfigError(
            f"{key}: input {layer!r} ({source_name(inputs[layer])}) is a vector layer; criteria and "
            f"constraints read rasters ({_layer_list(sorted(rasters))}"
            + (f", or a derived layer such as {derived[0]!r})" if derived else ")")
        )


def _saaty(v: float) -> str:
    """A judgement as written on Saaty's scale: ``3``, ``1/5``."""
    return f"{v:.3g}" if v >= 1 else f"1/{1 / v:.3g}"


def _check_ahp(model: ModelConfig, names: Sequence[str]) -> None:
    """Judgements name criteria of the model and cover every pair; warn (naming the key) when CR > 0.10."""
    import itertools
    import warnings

    from steppe_geo.mcda import InconsistentJudgementsWarning

    if not model.ahp:
        return
    key = f"models.{model.name}.ahp"
    for j in model.ahp:
        for c in (j.row, j.col):
            if c not in names:
                raise ConfigError(f"{j.key}: unknown criterion {c!r}{did_you_mean(c, names)} Criteria of "
                                  f"{model.label} are: {', '.join(names)}.")
    given = {frozenset((j.row, j.col)) for j in model.ahp}
    pairs = list(itertools.combinations(names, 2))
    missing = [f'"{a}/{b}"' for a, b in pairs if frozenset((a, b)) not in given]
    if missing:
        raise ConfigError(
            f"{key}: missing judgements for {len(missing)} of the {len(pairs)} pairs of criteria: "
            f"{', '.join(missing)}. AHP compares every pair of the criteria of {model.label} "
            f"({', '.join(names)})."
        )
    try:
        res = _quiet_ahp(model, names)
    except SteppeGeoError as exc:
        raise ConfigError(f"{key}: {exc}") from None
    if res.suggestion is not None:
        rev = res.suggestion
        j = next(j for j in model.ahp if {j.row, j.col} == {rev.row, rev.column})
        now, better, scale = rev.current, rev.value, rev.scale_value
        if j.row != rev.row:  # the config states the reciprocal judgement
            now, better, scale = 1 / now, 1 / better, 1 / scale
        warnings.warn(
            f"{key}: consistency ratio CR = {res.cr:.3f} > 0.10 (Saaty): the judgements contradict each "
            f"other. Revising {j.key} from {_saaty(now)} to about {better:.3g} (on Saaty's scale "
            f"{_saaty(scale)}, CR {rev.scale_cr_after:.3f}) lowers CR most, to {rev.cr_after:.3f}.",
            InconsistentJudgementsWarning, stacklevel=2,
        )


def _expected_kinds(model: Any) -> dict[str, str]:
    """Input name → ``"vector"`` or ``"raster"``, from what reads it.

    A derivation's inputs are of the kinds it declares (``Derivation.input_kinds``, read from
    ``steppe_geo.models.model.DERIVATION_INPUT_KINDS``; categorical layers are raster files).
    """
    kinds: dict[str, str] = {}
    for d in model.derivations:
        for k, kind in d.input_kinds.items():
            if k in model.inputs and kind is InputKind.VECTOR:
                kinds[k] = "vector"
            elif k in model.inputs:
                kinds.setdefault(k, "raster")
    for k in [c.layer_key for c in model.criteria] + [c.layer for c in model.constraints if c.layer]:
        if k in model.inputs:
            kinds.setdefault(k, "raster")
    return kinds


def _check_model(config: Config, model: ModelConfig, rasters: set[str]) -> None:
    key = f"models.{model.name}"
    inputs = config.inputs
    if model.kind == "custom":
        for i, c in enumerate(model.criteria):
            _check_config_layer(f"{key}.criteria[{i}].layer", c.layer, known=[], derived=[], inputs=inputs,
                                rasters=rasters, label=model.label)
        for i, c in enumerate(model.constraints):
            if isinstance(c.get("layer"), str):
                _check_config_layer(f"{key}.constraints[{i}].layer", c["layer"], known=[], derived=[],
                                    inputs=inputs, rasters=rasters, label=model.label)
        _check_ahp(model, [c.name for c in model.criteria])
        try:
            _custom_overlay(model)
        except SteppeGeoError as exc:
            raise ConfigError(f"{key}: {exc}") from None
        return
    base = base_model(model)
    derived = [d.name for d in base.derivations]
    known = [*base.inputs, *derived]
    for i, c in enumerate(model.criteria):
        _check_config_layer(f"{key}.criteria[{i}].layer", c.layer, known=known, derived=derived,
                            inputs=inputs, rasters=rasters, label=model.label)
    for i, c in enumerate(model.constraints):
        if isinstance(c.get("layer"), str):
            _check_config_layer(f"{key}.constraints[{i}].layer", c["layer"], known=known, derived=derived,
                                inputs=inputs, rasters=rasters, label=model.label)
    names = [*base.criterion_names, *(c.name for c in model.criteria if c.name not in base.criterion_names)]
    for w in model.weights:
        if w not in names:
            raise ConfigError(f"{key}.weights.{w}: no criterion of that name{did_you_mean(w, names)} "
                              f"Criteria of {model.label} are: {', '.join(names)}.")
    _check_ahp(model, names)
    built = build_model(model, inputs=list(inputs))
    missing = [k for k in built.inputs if k not in inputs]
    if missing:
        k = missing[0]
        unused = [n for n in inputs if n not in built.inputs]
        hint = closest(k, unused)
        dropped = [*model.drop, *missing]
        raise ConfigError(
            f"inputs.{k}: missing; {key} ({model.label}) needs it for "
            f"{built.used_by(k) or 'the model'}"
            + (f" (is inputs.{hint} meant to be it? Then rename it to {k})" if hint else "")
            + f". Inputs given: {_layer_list(list(inputs))}."
            + (f" Also missing: {', '.join(missing[1:])}." if len(missing) > 1 else "")
            + f" Give {'them' if len(missing) > 1 else 'it'} under [inputs], or, where the layer does not "
            f"exist for this area, leave what reads it out of the model: {key}.drop = "
            f"[{', '.join(_toml(d) for d in dropped)}]"
        )
    for k, kind in _expected_kinds(built).items():
        is_raster = k in rasters
        if (kind == "raster") != is_raster:
            raise ConfigError(
                f"inputs.{k}: {key} ({model.label}) reads {k!r} as a {kind} layer "
                f"({built.used_by(k)}), but {source_name(inputs[k])!r} is a "
                f"{'raster' if is_raster else 'vector'} file"
            )


def _vector_columns(path: Path | str, key: str, layer: str | None = None,
                    encoding: str | None = None) -> list[str]:
    """Attribute columns of a vector file, read from its schema only (no features)."""
    from steppe_geo.io import vector_columns

    try:
        return vector_columns(path, layer=layer, encoding=encoding)
    except SteppeGeoError as exc:
        raise ConfigError(f"{key}: {exc}") from None


def _check_vector_layers(config: Config, rasters: set[str]) -> None:
    """Every vector input names a layer that exists, and one is named for a multi-layer file."""
    from steppe_geo.io import vector_layers

    for name, path in config.inputs.items():
        layer = config.input_layers.get(name)
        if name in rasters:
            if layer is not None:
                raise ConfigError(f"inputs.{name}.layer: {source_name(path)!r} is a raster; only vector "
                                  "files have layers")
            continue
        try:
            names = vector_layers(path)
        except SteppeGeoError as exc:
            raise ConfigError(f"inputs.{name}: {exc}") from None
        if layer is None and len(names) > 1:
            raise ConfigError(
                f"inputs.{name}: {source_name(path)!r} holds {len(names)} layers ({', '.join(names)}); "
                f"choose one: inputs.{name} = {{ path = \"{source_name(path)}\", layer = \"{names[0]}\" }}"
            )
        if layer is not None and layer not in names:
            raise ConfigError(
                f"inputs.{name}.layer: no layer {layer!r} in {source_name(path)!r}"
                f"{did_you_mean(layer, names)} Layers are: {', '.join(names)}."
            )


# ----------------------------------------------------------------------------- inputs: data checks
def _users(model: Any) -> dict[str, list[Any]]:
    """Layer → the criteria and constraints of ``model`` (a Model or an Overlay) reading it directly."""
    out: dict[str, list[Any]] = {}
    for c in model.criteria:
        out.setdefault(c.layer_key, []).append(c)
    for c in getattr(model, "resolved_constraints", lambda: model.constraints)():
        if getattr(c, "layer", None):
            out.setdefault(c.layer, []).append(c)
    return out


def _class_users(model: Any) -> dict[str, list[str]]:
    """Layer → what reads it as classes (categories constraints, categorical lookups, class roles)."""
    from steppe_geo.mcda import Categorical, Categories

    out: dict[str, list[str]] = {}
    for layer, users in _users(model).items():
        for u in users:
            if isinstance(u, Categories):
                out.setdefault(layer, []).append(f"constraint {u.name!r}")
            elif isinstance(getattr(u, "function", None), Categorical):
                out.setdefault(layer, []).append(f"criterion {u.name!r}")
    for k in getattr(model, "inputs", ()):
        role = ROLES.get(INPUT_ROLES.get(k, ""))
        if role is not None and role.kind == "categorical" and k not in out:
            used = model.used_by(k) if hasattr(model, "used_by") else ""
            out[k] = [used or f"its {role.name} input"]
    return out


def _inputs_used(config: Config, model: ModelConfig) -> tuple[Any, list[str]]:
    """The built model (a Model, or an Overlay for a custom one) and the raster inputs it reads."""
    if model.kind == "custom":
        built = _custom_overlay(model)
        layers = list(dict.fromkeys(c.layer_key for c in built.criteria))
        layers += [c.layer for c in built.constraints if getattr(c, "layer", None)]
    else:
        built = build_model(model, inputs=list(config.inputs))
        layers = list(built.inputs)
    rasters = [k for k in dict.fromkeys(layers) if k in config.inputs and _is_raster(config.inputs[k])]
    return built, rasters


def _read_aoi(config: Config) -> Any:
    from steppe_geo.io import read_vector

    name = config.grid.aoi
    spec = config.spec(name)
    try:
        return read_vector(config.inputs[name], layer=spec.layer, role="polygons", encoding=spec.encoding)
    except SteppeGeoError as exc:
        raise ConfigError(f"inputs.{name}: {exc}") from None


def _stats(config: Config, name: str, aoi: Any, *, whole: bool = False) -> Any:
    from steppe_geo.io.plausibility import raster_statistics

    spec = config.spec(name)
    opts = {k: v for k, v in spec.raster_options().items() if k in ("band", "nodata", "scale", "offset")}
    try:
        return raster_statistics(spec.path, aoi=None if whole else aoi, **opts)
    except SteppeGeoError as exc:  # keep the error's type (unreadable, no CRS, ...), name the key
        raise type(exc)(f"inputs.{name}: {exc}") from None


def _table(name: str, spec: InputSpec, **options: Any) -> str:
    """``inputs.<name> = { path = "file", option = value }``, declared options kept (None drops one)."""
    path = spec.written or str(spec.path)
    items = {k: v for k, v in {"path": path, **spec.declared(), **options}.items() if v is not None}
    shown = ", ".join(f"{k} = {_toml(v)}" for k, v in items.items())
    return f"inputs.{name} = {{ {shown} }}"


def _toml(v: Any) -> str:
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, float) and v.is_integer():
        return repr(v)
    return str(v)


def _check_raster_input(config: Config, name: str, aoi: Any, label: str, class_users: list[str]) -> Any:
    """Band, kind, units and plausibility of one raster input a model reads; its statistics."""
    from steppe_geo.io.plausibility import check_plausible, source_units

    spec = config.spec(name)
    key = f"inputs.{name}"
    stats = _stats(config, name, aoi)
    role = ROLES.get(INPUT_ROLES.get(name, ""))
    fname = source_name(spec.path)
    if stats.band_count > 1 and spec.band is None and not stats.years and not (role and role.series):
        raise ConfigError(
            f"{key}.band: raster {fname!r} has {stats.band_count} bands and {label} reads one layer "
            f"from it; choose the band: {_table(name, spec, band=1)} (bands 1..{stats.band_count})"
        )
    categorical = spec.kind == "categorical" or (spec.kind is None and bool(class_users))
    if spec.kind == "categorical" and not np.issubdtype(np.dtype(stats.dtype), np.integer):
        raise ConfigError(f"{key}.kind: declared 'categorical', but {fname!r} holds {stats.dtype} values; "
                          "classes are integer codes. Remove the declaration: "
                          f"{_table(name, spec, kind=None)}")
    decoding = [k for k in ("units", "scale", "offset") if getattr(spec, k) is not None]
    if categorical and decoding:
        raise ConfigError(f"{key}.{decoding[0]}: {fname!r} is read as classes; {decoding[0]} applies to "
                          f"measurements only. Remove it: {_table(name, spec, **dict.fromkeys(decoding))}")
    if class_users:
        users = "; ".join(class_users)
        if spec.kind == "continuous":
            raise ConfigError(
                f"{key}.kind: declared 'continuous', but {label} reads {fname!r} as classes ({users}); "
                f"remove the declaration or declare kind = \"categorical\""
            )
        if not np.issubdtype(np.dtype(stats.dtype), np.integer):
            raise ConfigError(
                f"{key}: {label} reads {fname!r} as classes ({users}), but it holds {stats.dtype} values "
                "(measurements, not class codes); give a raster of integer class codes"
            )
        if spec.kind is None and stats.kind_tag is None and not stats.has_colormap:
            raise ConfigError(
                f"{key}.kind: {label} reads {fname!r} as classes ({users}), but nothing says it holds "
                f"classes (no STEPPE_GEO_KIND tag, no colour table), so it would be averaged into codes "
                f"that do not exist. Found codes {format_values(stats.codes)}. Declare it: "
                f"{_table(name, spec, kind='categorical')}"
            )
    try:
        if stats.valid == 0:
            check_plausible(stats, role or ROLES["land_cover"], key=key)  # raises: no valid pixel in the AOI
    except ImplausibleInputError as exc:
        raise ConfigError(str(exc)) from None
    if role is not None and role.kind == "continuous" and spec.kind != "categorical":
        with warnings.catch_warnings(record=True) as caught:  # no "say its units" when they are wrong
            warnings.simplefilter("always", UndeclaredUnitsWarning)
            try:
                fix = lambda option, value: _table(name, spec, **{option: value})  # noqa: E731
                units = source_units(stats, role, key=key, units=spec.units, fix=fix)
                check_plausible(stats, role, key=key, units=units, fix=fix,
                                extent=_stats(config, name, aoi, whole=True))
            except ImplausibleInputError as exc:
                raise ConfigError(str(exc)) from None
        for w in caught:
            warnings.warn(w.message, w.category, stacklevel=4)
    return stats


def _check_legend(config: Config, model: ModelConfig, built: Any, name: str, stats: Any) -> bool:
    """Class codes of ``name`` against the built model's legend and tables (``models.check_class_codes``).

    Returns True when they fit; raises a :class:`ConfigError` whose key is the model's
    ``land_cover_legend`` when the codes fit another built-in legend (following the advice makes
    the check pass), or the model's key otherwise.
    """
    import re

    from steppe_geo.models.model import check_class_codes

    nodata = {int(stats.nodata)} if stats.nodata is not None and float(stats.nodata).is_integer() else set()
    found = sorted(set(stats.codes) - nodata)
    key = f"models.{model.name}"
    try:
        check_class_codes(built, name, found, source=source_name(config.spec(name).path))
    except SteppeGeoError as exc:
        fit = re.search(r'set land_cover_legend = "([\w-]+)"', str(exc))
        if fit is None:
            raise ConfigError(f"{key}: {exc}") from None
        raise ConfigError(f"{key}.land_cover_legend: {exc} In this configuration: {key}.land_cover_legend = "
                          f"\"{fit.group(1)}\"") from None
    return True


def _check_codes(config: Config, model: ModelConfig, name: str, stats: Any, u: Any) -> None:
    """Codes of a class raster against a categories constraint or categorical criterion ``u`` reading it."""
    from steppe_geo.mcda import Categorical, Categories
    from steppe_geo.mcda.value_functions import UnknownCategory

    spec = config.spec(name)
    nodata = {int(stats.nodata)} if stats.nodata is not None and float(stats.nodata).is_integer() else set()
    found = set(stats.codes) - nodata
    if isinstance(u, Categories):
        codes = set(u.exclude if u.exclude is not None else u.allow)
        if found and not codes & found:  # the sample may miss a rare class: look at every pixel
            found = _all_codes(config, name) - nodata
        if found and not codes & found:
            how = "exclude" if u.exclude is not None else "allow"
            raise ConfigError(
                f"models.{model.name}.constraints: constraint {u.name!r} of {model.label} {how}s codes "
                f"{format_values(sorted(codes))} of {name!r}, but {source_name(spec.path)!r} holds none of "
                "them "
                f"(codes found: {format_values(sorted(found))}): another land-cover legend? Replace the "
                f"constraint with the codes of this legend: [[models.{model.name}.constraints]] type = "
                f"\"categories\", name = \"{u.name}\", layer = \"{name}\", {how} = [<codes>]"
            )
    elif (isinstance(getattr(u, "function", None), Categorical)
          and u.function.unknown is UnknownCategory.ERROR):
        known = {int(k) for k in dict(u.function.table)}
        unknown = sorted(found - known)
        if unknown:
            raise ConfigError(
                f"models.{model.name}.criteria: criterion {u.name!r} of {model.label} scores codes "
                f"{format_values(sorted(known))} of {name!r}, but {source_name(spec.path)!r} also holds "
                f"{format_values(unknown)}; give them values with [[models.{model.name}.criteria]] "
                f"name = \"{u.name}\", layer = \"{name}\", function = \"categorical\", table = "
                "{ \"<code>\" = <value 0..1>, ... } (every code), or recode the layer"
            )


def _all_codes(config: Config, name: str) -> set[int]:
    """Every code of a class raster in the AOI's window at full resolution (when the sample found none)."""
    import rasterio

    from steppe_geo.io.plausibility import _aoi_in

    spec = config.spec(name)
    aoi = _read_aoi(config)
    with rasterio.open(spec.path) as ds:
        geom = _aoi_in(aoi, ds.crs.to_wkt())
        win = ds.window(*geom.bounds).round_offsets().round_lengths()
        band = spec.band if isinstance(spec.band, int) else 1
        data = ds.read(band, window=win, boundless=True, masked=True)
    return {int(c) for c in np.unique(np.ma.compressed(data))}


def _check_census_column(config: Config, model: ModelConfig, built: Any, d: Any) -> None:
    """The census column a ``grazing_density`` derivation reads exists in its layer."""
    from steppe_geo.io import vector_columns

    layer = d.inputs[0]
    spec = config.spec(layer)
    col = built.resolved_parameters(d).get("column", "sheep_units")
    try:
        columns = vector_columns(spec.path, layer=spec.layer, encoding=spec.encoding)
    except SteppeGeoError as exc:
        raise ConfigError(f"inputs.{layer}: {exc}") from None
    if col not in columns:
        raise ConfigError(
            f"inputs.{layer}: {model.label} (derivation {d.name!r}) reads the census column {col!r} "
            f"(livestock in sheep units per polygon) of {source_name(spec.path)!r}, which has no such column"
            f"{did_you_mean(col, columns) or '.'} Columns are: {format_values(columns)}."
        )


def _check_setback(config: Config, model: ModelConfig, built: Any, d: Any) -> None:
    """Class and width columns a setback (``within`` derivation ``d``) reads, and their classes."""
    from steppe_geo.io import vector_columns

    key = f"models.{model.name}.parameters"
    if not d.inputs or d.inputs[0] not in config.inputs or _is_raster(config.inputs[d.inputs[0]]):
        return
    if d.function == "grazing_density":
        _check_census_column(config, model, built, d)
        return
    if d.function != "within":
        return
    layer = d.inputs[0]
    if _is_raster(config.inputs[layer]):
        return
    spec = config.spec(layer)
    raw, res = d.parameters, built.resolved_parameters(d)
    for what in ("class_column", "width_column"):
        col = res.get(what) or ""
        if not col:
            continue
        try:
            columns = vector_columns(spec.path, layer=spec.layer, encoding=spec.encoding)
        except SteppeGeoError as exc:
            raise ConfigError(f"inputs.{layer}: {exc}") from None
        if col in columns:
            if what == "class_column":
                _check_classes(config, model, built, d, layer, col)
            continue
        param = str(raw.get(what, ""))
        pkey = f"{key}.{param[1:]}" if param.startswith("$") else f"models.{model.name}"
        head = (f"{pkey}: {model.label} reads the {what.replace('_', ' ')} {col!r} of {layer!r} "
                f"({source_name(spec.path)}), which has no such column{did_you_mean(col, columns) or '.'} "
                f"Columns are: {format_values(columns)}.")
        if what == "width_column":
            raise ConfigError(f"{head} Name the column holding widths in metres, or measure from the "
                              f"centre line: {pkey} = \"\"")
        dist_param = str(raw.get("class_distances_m", ""))
        dkey = f"{key}.{dist_param[1:]}" if dist_param.startswith("$") else "class_distances_m"
        raise ConfigError(
            f"{head} Name the column holding the classes (each class needs a distance in {dkey}), or "
            f"give every feature one setback: {pkey} = \"\" and {dkey} = {{ \"*\" = <metres> }}"
        )


def _check_classes(config: Config, model: ModelConfig, built: Any, d: Any, layer: str, col: str) -> None:
    """Every class in ``col`` has a setback distance (what the run checks on the whole layer)."""
    import pyogrio

    spec = config.spec(layer)
    distances = built.resolved_parameters(d).get("class_distances_m") or {}
    if "*" in distances:
        return
    from steppe_geo.io.vector import _check_encoding, _gdal_path

    encoding = _check_encoding(spec.path, spec.encoding)
    table = pyogrio.read_dataframe(_gdal_path(spec.path), layer=spec.layer, columns=[col],
                                   read_geometry=False, encoding=encoding)
    classes = sorted({str(v) for v in table[col].dropna()} - set(distances))
    if classes:
        dist_param = str(d.parameters.get("class_distances_m", ""))
        dkey = (f"models.{model.name}.parameters.{dist_param[1:]}" if dist_param.startswith("$")
                else f"models.{model.name}")
        raise ConfigError(
            f"{dkey}: {model.label} has no setback for the classes {format_values(classes)} of column "
            f"{col!r} in {layer!r} ({source_name(spec.path)}); setbacks are given for "
            f"{format_values(sorted(distances))}. Add them, or a \"*\" entry for every other class: "
            f"{dkey} = {{ ..., \"*\" = <metres> }}"
        )


def _check_input_options(config: Config, rasters: set[str]) -> None:
    """Raster options only on rasters, vector options only on vectors."""
    for name, spec in config.input_specs.items():
        if name not in config.inputs:
            continue
        declared = spec.declared()
        wrong = [k for k in declared if (k in InputSpec.RASTER_OPTIONS) != (name in rasters)]
        if wrong:
            what = "a raster" if name in rasters else "a vector file"
            valid = InputSpec.RASTER_OPTIONS if name in rasters else InputSpec.VECTOR_OPTIONS
            raise ConfigError(
                f"inputs.{name}.{wrong[0]}: {source_name(spec.path)!r} is {what}; {wrong[0]!r} does not "
                "apply to it "
                f"(options of {what}: path, {', '.join(valid)}). Remove it."
            )
        if name not in rasters and spec.encoding is None and not is_remote(spec.path):  # no sidecars
            found = undeclared_encoding(spec.path)
            if isinstance(found, EncodingProblem):
                raise ConfigError(f"inputs.{name}.encoding: {found.message(source_name(spec.path))} "
                                  "Declare it: "
                                  f"{_table(name, spec, encoding=found.suggestion)}")


def _raise_all(problems: Sequence[SteppeGeoError]) -> None:
    """Raise one error for all ``problems``: the problem itself when there is one, else a list."""
    messages = list(dict.fromkeys(str(p) for p in problems))  # two models may meet the same problem
    if len(messages) == 1:
        raise problems[0]
    if messages:
        raise ConfigError(f"{len(messages)} problems with the configuration and its inputs (each names the "
                          "key to change):\n- " + "\n- ".join(messages))


def _check_data(config: Config) -> None:
    """What the run would find in the data: bands, kinds, units, plausibility, codes, columns."""
    _raise_all(_data_problems(config))


def _data_problems(config: Config, *, skip: set[str] | frozenset[str] = frozenset()) -> list[SteppeGeoError]:
    """The problems :func:`_check_data` finds, each a :class:`SteppeGeoError` naming its key.

    Models named in ``skip`` (which could not be built) are left out.
    """
    config_models = [m for m in config.models.values() if m.name not in skip]
    aoi = _read_aoi(config)
    built = {m.name: _inputs_used(config, m) for m in config_models}
    readers: dict[str, str] = {}
    class_users: dict[str, list[str]] = {}
    for m in config_models:
        model, rasters = built[m.name]
        for name in rasters:
            readers.setdefault(name, f"models.{m.name} ({m.label})")
        for name, users in _class_users(model).items():
            class_users.setdefault(name, []).extend(f"models.{m.name}: {u}" for u in users)
    problems: list[SteppeGeoError] = []

    def attempt(check: Any, *args: Any) -> Any:
        try:
            return check(*args)
        except SteppeGeoError as exc:
            problems.append(exc)
            return None

    stats = {name: attempt(_check_raster_input, config, name, aoi, label, class_users.get(name, []))
             for name, label in readers.items()}
    for m in config_models:
        model, rasters = built[m.name]
        for name in rasters:
            if name in class_users and stats[name] is not None:
                if m.kind != "custom" and attempt(_check_legend, config, m, model, name, stats[name]) is None:
                    continue  # the legend does not fit: one message (set land_cover_legend) says it all
                for u in _users(model).get(name, []):
                    attempt(_check_codes, config, m, name, stats[name], u)
        if m.kind != "custom":
            for d in model.derivations:
                attempt(_check_setback, config, m, model, d)
    return problems


def _check_parcels(config: Config, rasters: set[str], *, scheduler: str | None, workers: int | None) -> None:
    """The parcel layer is a vector with the configured columns; custom models rank only in memory."""
    inputs = config.inputs
    pc = config.parcels
    if pc is None:
        return
    if pc.source in rasters:
        raise ConfigError(f"parcels.source: input {pc.source!r} ({source_name(inputs[pc.source])}) is a "
                          "raster; parcels must be a polygon layer")
    mode = effective_mode(config, scheduler=scheduler, workers=workers)
    custom = [m for m in (pc.rank_by or tuple(config.models)) if config.models[m].kind == "custom"]
    if custom and mode != "memory":
        why = "--scheduler/--workers" if mode != config.run.mode else "run.mode"
        raise ConfigError(
            f"parcels.rank_by: custom model {custom[0]!r} can rank parcels only in memory mode (run.mode = "
            f"'memory', without --scheduler or --workers), but {why} makes this a {mode!r} run; its "
            "standardised criteria are not kept in memory otherwise"
        )
    columns: list[str] | None = None
    for attr in ("id_column", "name_column"):
        col = getattr(pc, attr)
        if col is None:
            continue
        if columns is None:
            columns = _vector_columns(inputs[pc.source], "parcels.source",
                                      config.input_layers.get(pc.source), config.spec(pc.source).encoding)
        if col not in columns:
            raise ConfigError(
                f"parcels.{attr}: no column {col!r} in parcels {source_name(inputs[pc.source])!r}"
                f"{did_you_mean(col, columns)} Columns are: {_layer_list(columns)}."
            )


def check_config(config: Config, *, scheduler: str | None = None, workers: int | None = None,
                 data: bool = True) -> None:
    """Check what the schema alone cannot, before any work: models, inputs, weights, parcel columns.

    Builds every model (preset parameters, model files, edits), checks that the layers its
    criteria and constraints read exist (inputs or derived layers) and are rasters, that every
    input a model needs is configured and of the right kind (raster or vector), that weights
    and AHP judgements name criteria (AHP: every pair judged), that a custom overlay ranks
    parcels only in memory mode (also when ``scheduler``/``workers`` select Dask), and reads
    the parcel layer's schema (not its features) for ``id_column`` and ``name_column``.
    ``steppe-geo validate`` and :func:`run` call it; it writes nothing.

    With ``data`` (the default) it then checks what a run would find in the data, from schemas
    and cheap statistics only (a decimated read over the AOI's window, never a full load): the
    options of each input fit its kind (raster or vector) and a shapefile's text encoding is
    known; every raster a model reads has valid pixels inside the AOI, a band chosen when it
    has several, a plausible range for its role in declared or tagged units
    (:mod:`steppe_geo.io.plausibility`: a DEM in feet, GHI in W m-2, NDVI × 10000 are named),
    and is declared categorical when it is read as classes; the codes of class rasters meet
    the categories constraints and categorical criteria reading them; the class and width
    columns of setbacks exist and every class has a distance. Before all that, a run too large for
    its mode is refused (:func:`steppe_geo.pipeline.estimate.check_run_size`: the AOI polygon and
    the raster headers, no pixels). Every message starts with the
    configuration key to change and, when it gives advice, following it makes the check pass.

    Parameters
    ----------
    config : Config
    scheduler, workers : optional
        As for :func:`run` (they switch the run to Dask).
    data : bool, default True
        Also check the data (above); False checks the configuration alone.

    Raises
    ------
    ConfigError
        The message starts with the key path, shows the bad value, the valid choices and the
        closest one (``models.wind.weights.wind_sped: no criterion of that name; did you mean
        'wind_speed'? ...``).
    UnreadableInputError
        The parcel layer's schema cannot be read.
    SizeLimitError
        The grid or an input raster is above the pixel cap, or a memory-mode run would not fit
        in the memory available.

    Warns
    -----
    InconsistentJudgementsWarning
        AHP judgements with a consistency ratio above 0.10, naming the judgement to revise.
    UndeclaredUnitsWarning
        A raster with a role (``dem``, ``ghi``, ...) whose units neither a tag nor
        ``inputs.<name>.units`` gives.
    """
    inputs = config.inputs
    rasters = {k for k, p in inputs.items() if _is_raster(p)}
    if config.grid.aoi in rasters:
        raise ConfigError(f"grid.aoi: input {config.grid.aoi!r} ({source_name(inputs[config.grid.aoi])}) is "
                          "a raster; the area of interest must be a polygon layer (GeoPackage, shapefile)")
    _check_vector_layers(config, rasters)
    _check_input_options(config, rasters)
    # sizes first (the AOI polygon and raster headers, no pixels): an absurd grid is refused before any read
    check_run_size(config, mode=effective_mode(config, scheduler=scheduler, workers=workers))
    # every model, the parcels and the data are checked before anything is raised, so that one
    # validate announces every edit a configuration needs (missing inputs to give or drop included)
    problems: list[SteppeGeoError] = []
    unbuilt: set[str] = set()  # models that cannot be built: their data is not checked (no second message)
    for model in config.models.values():
        try:
            _check_model(config, model, rasters)
        except SteppeGeoError as exc:
            problems.append(exc)
            try:
                _inputs_used(config, model)
            except SteppeGeoError:
                unbuilt.add(model.name)
    try:
        _check_parcels(config, rasters, scheduler=scheduler, workers=workers)
    except SteppeGeoError as exc:
        problems.append(exc)
    if data:
        try:
            problems += _data_problems(config, skip=unbuilt)
        except SteppeGeoError as exc:  # e.g. an unreadable AOI: nothing more can be checked
            problems.append(exc)
    _raise_all(problems)
