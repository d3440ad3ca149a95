"""Checks of a configuration's data before any work: input options, plausibility, class codes, setbacks."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import rasterio

from steppe_geo._validation import did_you_mean
from steppe_geo.config import Config, InputSpec, ModelConfig
from steppe_geo.errors import (
    ConfigError,
    ImplausibleInputError,
    SteppeGeoError,
    UndeclaredUnitsWarning,
)
from steppe_geo.io import read_vector, vector_columns
from steppe_geo.io._dbf import EncodingProblem, undeclared_encoding
from steppe_geo.io.plausibility import (
    INPUT_ROLES,
    ROLES,
    _aoi_in,
    check_plausible,
    format_values,
    raster_statistics,
    source_units,
)
from steppe_geo.io.remote import is_remote, source_name
from steppe_geo.io.vector import _check_encoding, _gdal_path
from steppe_geo.mcda import Categorical, Categories
from steppe_geo.mcda.value_functions import UnknownCategory
from steppe_geo.models.model import check_class_codes
from steppe_geo.pipeline.build import _custom_overlay, build_model
from steppe_geo.pipeline.inputs import _is_raster


def _users(model: Any) -> dict[str, list[Any]]:
    """Layer → the criteria and constraints of ``model`` (a Model or an Overlay) reading it directly."""
    out: dict[str, list[Any]] = {}
    for c in model.criteria:
        out.setdefault(c.layer, []).append(c)
    for c in getattr(model, "resolved_constraints", lambda: model.constraints)():
        if getattr(c, "layer", None):
            out.setdefault(c.layer, []).append(c)
    return out


def _class_users(model: Any) -> dict[str, list[str]]:
    """Layer → what reads it as classes (categories constraints, categorical lookups, class roles)."""
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
        layers = list(dict.fromkeys(c.layer for c in built.criteria))
        layers += [c.layer for c in built.constraints if getattr(c, "layer", None)]
    else:
        built = build_model(model, inputs=list(config.sources))
        layers = list(built.inputs)
    rasters = [k for k in dict.fromkeys(layers) if k in config.sources and _is_raster(config.sources[k])]
    return built, rasters


def _read_aoi(config: Config) -> Any:
    name = config.grid.aoi
    spec = config.spec(name)
    try:
        return read_vector(config.sources[name], layer=spec.layer, role="polygons", encoding=spec.encoding)
    except SteppeGeoError as exc:
        raise ConfigError(f"sources.{name}: {exc}") from None


def _stats(config: Config, name: str, aoi: Any, *, whole: bool = False) -> Any:
    spec = config.spec(name)
    opts = {k: v for k, v in spec.raster_options().items() if k in ("band", "nodata", "scale", "offset")}
    try:
        return raster_statistics(spec.path, aoi=None if whole else aoi, **opts)
    except SteppeGeoError as exc:  # keep the error's type (unreadable, no CRS, ...), name the key
        raise type(exc)(f"sources.{name}: {exc}") from None


def _table(name: str, spec: InputSpec, **options: Any) -> str:
    """``sources.<name> = { path = "file", option = value }``, declared options kept (None drops one)."""
    path = spec.written or str(spec.path)
    items = {k: v for k, v in {"path": path, **spec.declared(), **options}.items() if v is not None}
    shown = ", ".join(f"{k} = {_toml(v)}" for k, v in items.items())
    return f"sources.{name} = {{ {shown} }}"


def _toml(v: Any) -> str:
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, float) and v.is_integer():
        return repr(v)
    return str(v)


def _check_raster_input(config: Config, name: str, aoi: Any, label: str, class_users: list[str]) -> Any:
    """Band, kind, units and plausibility of one raster input a model reads; its statistics."""
    spec = config.spec(name)
    key = f"sources.{name}"
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
    spec = config.spec(name)
    nodata = {int(stats.nodata)} if stats.nodata is not None and float(stats.nodata).is_integer() else set()
    found = set(stats.codes) - nodata
    if isinstance(u, Categories):
        codes = set(u.exclude if u.exclude is not None else (u.allow or ()))  # Categories has one of the two
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
    layer = d.inputs[0]
    spec = config.spec(layer)
    col = built.resolved_parameters(d).get("column", "sheep_units")
    try:
        columns = vector_columns(spec.path, layer=spec.layer, encoding=spec.encoding)
    except SteppeGeoError as exc:
        raise ConfigError(f"sources.{layer}: {exc}") from None
    if col not in columns:
        raise ConfigError(
            f"sources.{layer}: {model.label} (derivation {d.name!r}) reads the census column {col!r} "
            f"(livestock in sheep units per polygon) of {source_name(spec.path)!r}, which has no such column"
            f"{did_you_mean(col, columns) or '.'} Columns are: {format_values(columns)}."
        )


def _check_setback(config: Config, model: ModelConfig, built: Any, d: Any) -> None:
    """Class and width columns a setback (``within`` derivation ``d``) reads, and their classes."""
    key = f"models.{model.name}.parameters"
    if not d.inputs or d.inputs[0] not in config.sources or _is_raster(config.sources[d.inputs[0]]):
        return
    if d.function == "grazing_density":
        _check_census_column(config, model, built, d)
        return
    if d.function != "within":
        return
    layer = d.inputs[0]
    if _is_raster(config.sources[layer]):
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
            raise ConfigError(f"sources.{layer}: {exc}") from None
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
    spec = config.spec(layer)
    distances = built.resolved_parameters(d).get("class_distances_m") or {}
    if "*" in distances:
        return

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
        if name not in config.sources:
            continue
        declared = spec.declared()
        wrong = [k for k in declared if (k in InputSpec.RASTER_OPTIONS) != (name in rasters)]
        if wrong:
            what = "a raster" if name in rasters else "a vector file"
            valid = InputSpec.RASTER_OPTIONS if name in rasters else InputSpec.VECTOR_OPTIONS
            raise ConfigError(
                f"sources.{name}.{wrong[0]}: {source_name(spec.path)!r} is {what}; {wrong[0]!r} does not "
                "apply to it "
                f"(options of {what}: path, {', '.join(valid)}). Remove it."
            )
        if name not in rasters and spec.encoding is None and not is_remote(spec.path):  # no sidecars
            found = undeclared_encoding(Path(spec.path))
            if isinstance(found, EncodingProblem):
                raise ConfigError(f"sources.{name}.encoding: {found.message(source_name(spec.path))} "
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
