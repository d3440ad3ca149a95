"""Checks of a configuration made before any work (``steppe-geo validate`` and the start of a run)."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

from steppe_geo._validation import closest, did_you_mean
from steppe_geo.config import Config, ModelConfig
from steppe_geo.errors import (
    ConfigError,
    SteppeGeoError,
)
from steppe_geo.io import LayerKind, vector_columns, vector_layers
from steppe_geo.io.remote import source_name
from steppe_geo.mcda import InconsistentJudgementsWarning
from steppe_geo.models import input_kinds
from steppe_geo.pipeline.build import (
    _custom_overlay,
    _quiet_ahp,
    base_model,
    build_model,
    configured_input_kinds,
)
from steppe_geo.pipeline.check_data import (
    _check_input_options,
    _data_problems,
    _inputs_used,
    _raise_all,
    _toml,
)
from steppe_geo.pipeline.estimate import check_run_size
from steppe_geo.pipeline.hybrid import read_hybrid_record
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
                        inputs: Mapping[str, Path | str], rasters: set[str], label: str) -> None:
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


def _check_model(config: Config, model: ModelConfig, rasters: set[str]) -> None:
    key = f"models.{model.name}"
    inputs = config.sources
    if model.kind == "custom":
        for i, c in enumerate(model.criteria):
            _check_config_layer(f"{key}.criteria[{i}].layer", c.layer, known=[], derived=[], inputs=inputs,
                                rasters=rasters, label=model.label)
        for i, con in enumerate(model.constraints):
            if isinstance(con.get("layer"), str):
                _check_config_layer(f"{key}.constraints[{i}].layer", con["layer"], known=[], derived=[],
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
    for i, con in enumerate(model.constraints):
        if isinstance(con.get("layer"), str):
            _check_config_layer(f"{key}.constraints[{i}].layer", con["layer"], known=known, derived=derived,
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
            f"sources.{k}: missing; {key} ({model.label}) needs it for "
            f"{built.used_by(k) or 'the model'}"
            + (f" (is sources.{hint} meant to be it? Then rename it to {k})" if hint else "")
            + f". Sources given: {_layer_list(list(inputs))}."
            + (f" Also missing: {', '.join(missing[1:])}." if len(missing) > 1 else "")
            + f" Give {'them' if len(missing) > 1 else 'it'} under [sources], or, where the layer does not "
            f"exist for this area, leave what reads it out of the model: {key}.drop = "
            f"[{', '.join(_toml(d) for d in dropped)}]"
        )
    try:
        kinds = input_kinds(built)  # from what reads each input: derivations, criteria, constraints
    except SteppeGeoError as exc:
        raise ConfigError(f"{key}: {exc}") from None
    for k, kind in kinds.items():
        is_raster = k in rasters
        if (kind is not LayerKind.VECTOR) != is_raster:
            raise ConfigError(
                f"sources.{k}: {key} ({model.label}) reads {k!r} as a "
                f"{'vector' if kind is LayerKind.VECTOR else 'raster'} layer "
                f"({built.used_by(k)}), but {source_name(inputs[k])!r} is a "
                f"{'raster' if is_raster else 'vector'} file"
            )


def _vector_columns(path: Path | str, key: str, layer: str | None = None,
                    encoding: str | None = None) -> list[str]:
    """Attribute columns of a vector file, read from its schema only (no features)."""
    try:
        return vector_columns(path, layer=layer, encoding=encoding)
    except SteppeGeoError as exc:
        raise ConfigError(f"{key}: {exc}") from None


def _check_vector_layers(config: Config, rasters: set[str]) -> None:
    """Every vector input names a layer that exists, and one is named for a multi-layer file."""
    for name, path in config.sources.items():
        layer = config.input_layers.get(name)
        if name in rasters:
            if layer is not None:
                raise ConfigError(f"sources.{name}.layer: {source_name(path)!r} is a raster; only vector "
                                  "files have layers")
            continue
        try:
            names = vector_layers(path)
        except SteppeGeoError as exc:
            raise ConfigError(f"sources.{name}: {exc}") from None
        if layer is None and len(names) > 1:
            raise ConfigError(
                f"sources.{name}: {source_name(path)!r} holds {len(names)} layers ({', '.join(names)}); "
                f"choose one: sources.{name} = {{ path = \"{source_name(path)}\", layer = \"{names[0]}\" }}"
            )
        if layer is not None and layer not in names:
            raise ConfigError(
                f"sources.{name}.layer: no layer {layer!r} in {source_name(path)!r}"
                f"{did_you_mean(layer, names)} Layers are: {', '.join(names)}."
            )


def _check_parcels(config: Config, rasters: set[str], *, scheduler: str | None, workers: int | None) -> None:
    """The parcel layer is a vector with the configured columns; custom models rank only in memory."""
    inputs = config.sources
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
    if pc.hybrid is not None:  # [parcels.hybrid]: raster inputs, and a record with wind speed and GHI
        for key in ("speed", "ghi"):
            name = getattr(pc.hybrid, key)
            if name not in rasters:
                raise ConfigError(f"parcels.hybrid.{key}: input {name!r} ({source_name(inputs[name])}) is "
                                  "not a raster; give the input name of a raster")
        read_hybrid_record(pc.hybrid)
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
    input a model needs is configured and of the kind the model reads it as (raster or vector,
    from what reads it: :func:`steppe_geo.models.input_kinds`; one kind across the models:
    :func:`steppe_geo.pipeline.build.configured_input_kinds`), that weights
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
        ``sources.<name>.units`` gives.
    """
    inputs = config.sources
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
    if not problems:  # every model built: does each input have one kind across the models?
        try:
            configured_input_kinds(config)
        except SteppeGeoError as exc:
            problems.append(exc)
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
