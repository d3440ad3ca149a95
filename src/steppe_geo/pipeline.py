"""Run a configuration end to end: inputs → grid → models → parcels → outputs.

Used by the command line (``steppe-geo run`` / ``demo``) and by notebooks. Each stage is a
public function, so a notebook can run them one by one and look at the intermediate
results; :func:`run` chains them and writes every output.

Outputs of a run are all-or-nothing: they are written into a hidden staging folder beside
the output folder, which is renamed into place only when every output is complete. An
error or Ctrl-C leaves no output folder (and an existing one untouched); an existing output
folder is replaced only with ``overwrite=True``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from steppe_geo._typing import PathLike
from steppe_geo._validation import closest, did_you_mean
from steppe_geo.config import Config, GridConfig, ModelConfig, OutputsConfig, ParcelsConfig, RunConfig
from steppe_geo.errors import (
    ConfigError,
    InvalidParameterError,
    OutputExistsError,
    OutputNotWritableError,
    SteppeGeoError,
)
from steppe_geo.grid import Grid

__all__ = [
    "RASTER_SUFFIXES",
    "SCHEDULER_TIMEOUT",
    "InputLayers",
    "ModelOutput",
    "ParcelOutput",
    "RunResult",
    "ahp_result",
    "base_model",
    "build_grid",
    "build_model",
    "check_config",
    "dask_client",
    "demo_config",
    "effective_mode",
    "evaluate_model",
    "exclusion_areas",
    "load_inputs",
    "rank_model_parcels",
    "run",
    "run_demo",
    "run_parcels",
    "select_models",
    "staged_output_dir",
    "summarize_inputs",
]

log = logging.getLogger(__name__)

RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".nc", ".asc")
"""Input files with these suffixes are read as rasters; everything else as vectors."""

VECTOR_MARGIN_M = 10_000.0
"""Vector features up to this far outside the AOI are kept (setbacks reach across the boundary)."""

STAGE_PREFIX = ".steppe_geo-tmp-"

SCHEDULER_TIMEOUT = "10s"
"""How long a run waits to connect to a ``--scheduler`` address before it fails."""


# ----------------------------------------------------------------------------- results
@dataclass
class InputLayers:
    """Inputs aligned to the analysis grid.

    Attributes
    ----------
    grid : Grid
    rasters : dict name → DataArray
        Aligned onto ``grid``.
    vectors : dict name → GeoDataFrame
        In ``grid.crs``, clipped to the grid's bounds grown by :data:`VECTOR_MARGIN_M`.
    paths : dict name → Path
        The source files.
    seconds : float
        Time taken to load and align everything.
    """

    grid: Grid
    rasters: dict[str, xr.DataArray]
    vectors: dict[str, gpd.GeoDataFrame]
    paths: dict[str, Path]
    seconds: float = 0.0


@dataclass
class ModelOutput:
    """A model's rasters as the pipeline uses them.

    Attributes
    ----------
    name : str
    score : DataArray float32 (0..1, NaN where ineligible)
    eligible : DataArray bool
    exclusion : DataArray unsigned int (bit i = constraint i)
    constraint_names : list of str
    weights : dict criterion → normalised weight
    result : object
        The full result (``OverlayResult`` or the models result), None after a Dask run of a
        custom overlay.
    ahp : AHPResult or None
        The AHP comparison behind ``weights`` (None: direct weights).
    model : object
        The evaluated :class:`steppe_geo.models.Model` (or :class:`steppe_geo.mcda.Overlay`).
    """

    name: str
    score: xr.DataArray
    eligible: xr.DataArray
    exclusion: xr.DataArray
    constraint_names: list[str]
    weights: dict[str, float]
    result: Any = None
    ahp: Any = None
    model: Any = None


@dataclass
class RunResult:
    """What a run produced.

    Attributes
    ----------
    out_dir : Path
        The output folder.
    files : list of str
        Files written, relative to ``out_dir``, sorted.
    summary : dict
        The content of ``summary.json``.
    timings : dict stage → seconds
    """

    out_dir: Path
    files: list[str]
    summary: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


# ----------------------------------------------------------------------------- output folder
def _umask() -> int:
    """The process umask (read without changing it for longer than a moment)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _check_no_inputs_inside(out: Path, inputs: Mapping[str, Path]) -> None:
    out_r = out.resolve()
    for name, p in inputs.items():
        try:
            Path(p).resolve().relative_to(out_r)
        except ValueError:
            continue
        raise OutputExistsError(
            f"refusing to use output folder {str(out)!r}: it holds input {name!r} ({str(p)!r}); "
            "choose another output folder"
        )


@contextlib.contextmanager
def staged_output_dir(out_dir: PathLike, *, overwrite: bool = False,
                      inputs: Mapping[str, Path] | None = None) -> Iterator[Path]:
    """Yield an empty staging folder that becomes ``out_dir`` when the block completes.

    Parameters
    ----------
    out_dir : path
        Final output folder.
    overwrite : bool, default False
        Replace an existing ``out_dir`` (it is swapped out only after the new one is complete).
    inputs : mapping, optional
        The run's inputs; an output folder containing any of them is refused.

    Raises
    ------
    OutputExistsError
        ``out_dir`` exists and ``overwrite`` is False (nothing is changed), it is a file, or it
        contains one of the inputs.
    OutputNotWritableError
        The folder cannot be created or written.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"output folder {str(out)!r} is an existing file")
    if out.exists() and not overwrite:
        raise OutputExistsError(
            f"output folder {str(out)!r} exists already; nothing was changed. Use --overwrite "
            "(overwrite=True) to replace it, or choose another folder"
        )
    if inputs and out.exists():
        _check_no_inputs_inside(out, inputs)
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{out.name}-", dir=parent))
        # mkdtemp makes the folder private (0700); the output folder gets the usual mode (umask)
        stage.chmod(0o777 & ~_umask())
    except OSError as exc:
        raise OutputNotWritableError(
            f"cannot write output folder {str(out)!r}: {exc.strerror or exc} ({str(parent)!r})"
        ) from None
    try:
        yield stage
        if out.exists():
            old = parent / f"{STAGE_PREFIX}old-{out.name}-{uuid.uuid4().hex[:8]}"
            os.replace(out, old)
            os.replace(stage, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(stage, out)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


# ----------------------------------------------------------------------------- stages
def _is_raster(path: Path) -> bool:
    return path.suffix.lower() in RASTER_SUFFIXES


def build_grid(inputs: Mapping[str, Path], grid_config: GridConfig, *,
               layers: Mapping[str, str] | None = None) -> Grid:
    """The analysis grid for the area of interest named in ``grid_config.aoi``.

    Parameters
    ----------
    inputs : mapping name → path
    grid_config : GridConfig
    layers : mapping name → layer, optional
        Layer of multi-layer vector inputs (``Config.input_layers``).

    Returns
    -------
    Grid
        In a local metre-based CRS (:meth:`steppe_geo.Grid.for_area`).
    """
    from steppe_geo.io import read_vector

    aoi = read_vector(inputs[grid_config.aoi], layer=(layers or {}).get(grid_config.aoi), role="polygons")
    return Grid.for_area(aoi, resolution_m=grid_config.resolution_m, margin_m=grid_config.margin_m,
                         projection=grid_config.projection)


def load_inputs(inputs: Mapping[str, Path], grid: Grid, *, layers: Mapping[str, str] | None = None,
                progress: bool = False) -> InputLayers:
    """Read every input: rasters aligned onto ``grid``, vectors reprojected to its CRS.

    Parameters
    ----------
    inputs : mapping name → path
    grid : Grid
    layers : mapping name → layer, optional
        The layer to read from vector files holding several (``Config.input_layers``).
    progress : bool, default False
        Show a tqdm progress bar.

    Returns
    -------
    InputLayers
    """
    from tqdm import tqdm

    from steppe_geo.io import read_raster, read_vector

    t0 = time.perf_counter()
    rasters: dict[str, xr.DataArray] = {}
    vectors: dict[str, gpd.GeoDataFrame] = {}
    for name, path in tqdm(list(inputs.items()), desc="load and align", unit="layer", disable=not progress):
        path = Path(path)
        if _is_raster(path):
            rasters[name] = read_raster(path, grid=grid, name=name)
        else:
            vectors[name] = read_vector(path, layer=(layers or {}).get(name), crs=grid.crs, aoi=grid,
                                        bbox_margin_m=VECTOR_MARGIN_M)
        log.info("loaded %s from %s", name, path.name)
    seconds = time.perf_counter() - t0
    log.info("loaded and aligned %d rasters and %d vector layers in %.1f s", len(rasters), len(vectors),
             seconds)
    return InputLayers(grid, rasters, vectors, {k: Path(v) for k, v in inputs.items()}, seconds)


def _raster_summary(da: xr.DataArray) -> dict[str, Any]:
    v = np.asarray(da.values)
    if np.issubdtype(v.dtype, np.floating):
        finite = v[np.isfinite(v)]
        stats = {"min": float(finite.min()), "max": float(finite.max()), "mean": float(finite.mean())} \
            if finite.size else {}
        valid = float(finite.size / v.size)
    else:
        nd = da.rio.nodata
        ok = v != nd if nd is not None else np.ones(v.shape, bool)
        classes = np.unique(v[ok])
        stats = {"classes": [int(c) for c in classes[:50]]}
        valid = float(ok.mean())
    return {"dims": list(da.dims), "shape": list(da.shape), "dtype": str(da.dtype),
            "units": da.attrs.get("units"), "valid_fraction": round(valid, 4), **stats}


def _vector_summary(gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    types = sorted({str(t) for t in gdf.geom_type.unique()})
    return {"features": len(gdf), "geometry_types": types, "columns": [str(c) for c in gdf.columns
                                                                       if c != gdf.geometry.name]}


def summarize_inputs(layers: InputLayers) -> dict[str, Any]:
    """A JSON-friendly description of the aligned inputs (grid, every layer, timings)."""
    from steppe_geo.maps.furniture import crs_label

    g = layers.grid
    return {
        "grid": {"crs": g.crs.to_wkt(), "crs_name": crs_label(g.crs), "shape": list(g.shape),
                 "resolution_m": g.resolution_m, "bounds": list(g.bounds)},
        "rasters": {k: _raster_summary(v) for k, v in layers.rasters.items()},
        "vectors": {k: _vector_summary(v) for k, v in layers.vectors.items()},
        "load_and_align_seconds": round(layers.seconds, 2),
    }


def _summary_text(summary: Mapping[str, Any]) -> str:
    g = summary["grid"]
    lines = [
        f"steppe-geo run: {summary['name']}",
        f"grid: {g['shape'][0]} rows x {g['shape'][1]} cols at {g['resolution_m']:g} m, {g['crs_name']}",
        f"load and align: {summary['load_and_align_seconds']} s; total {summary.get('total_seconds', '?')} s",
        "",
        "rasters (aligned):",
    ]
    for k, r in summary["rasters"].items():
        rng = f"{r['min']:.4g}..{r['max']:.4g}" if "min" in r else f"classes {r.get('classes', [])[:10]}"
        units = r.get("units") or ""
        lines.append(f"  {k:<18} {r['dtype']:<8} {units:<12} valid {r['valid_fraction']:.1%}  {rng}")
    lines += ["", "vectors:"]
    for k, v in summary["vectors"].items():
        lines.append(f"  {k:<18} {v['features']:>6} features  {', '.join(v['geometry_types'])}")
    if summary.get("models"):
        lines += ["", "models:"]
        for k, m in summary["models"].items():
            lines.append(f"  {k:<18} eligible {m.get('eligible_fraction', 0):.1%}  mean score "
                         f"{m.get('mean_score', float('nan')):.3f}")
    lines += ["", "files:"] + [f"  {f}" for f in summary.get("files", [])]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- models
def _quiet_ahp(model: ModelConfig, names: Sequence[str]) -> Any:
    """The :class:`steppe_geo.mcda.AHPResult` of the model's judgements (None without ``[ahp]``).

    The consistency warning is left to :func:`check_config`, which names the judgement's key.
    """
    import warnings

    from steppe_geo.mcda import InconsistentJudgementsWarning, ahp

    if not model.ahp:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InconsistentJudgementsWarning)
        return ahp({(j.row, j.col): j.value for j in model.ahp}, criteria=list(names))


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
    from steppe_geo.mcda import Overlay, constraint_from_dict

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
    import inspect

    from steppe_geo.models import PRESETS

    fn = PRESETS[preset]
    names = [n for n, p in inspect.signature(fn).parameters.items()
             if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return list(dict.fromkeys([*names, *fn().parameters]))


def _parameter_error(key: str, exc: Exception, params: Mapping[str, Any]) -> ConfigError:
    """A preset's parameter error, under the key path of the parameter it names."""
    from steppe_geo.config import _strip_prefix

    text = str(exc)
    named = [k for k in params if k in text]
    if named:
        msg = _strip_prefix(text.split(": ", 1)[1] if text.startswith("model ") else text)
        msg = re.sub(rf"^parameter {re.escape(named[0])}:?\s*", "", msg)
        return ConfigError(f"{key}.parameters.{named[0]}: {msg}")
    return ConfigError(f"{key}.parameters: {text}")


def base_model(model: ModelConfig) -> Any:
    """The unedited :class:`steppe_geo.models.Model` of a preset or model-file entry, with its parameters.

    Raises
    ------
    ConfigError
        Unknown or out-of-range parameters (key ``models.<name>.parameters.<parameter>``, closest
        name suggested), or a model file that does not describe a valid model.
    """
    from steppe_geo.models import PRESETS, Model

    key = f"models.{model.name}"
    if model.preset is not None:
        valid = _preset_parameter_names(model.preset)
        for name in model.parameters:
            if name not in valid:
                raise ConfigError(
                    f"{key}.parameters.{name}: unknown parameter of preset {model.preset!r}"
                    f"{did_you_mean(name, valid)} Valid parameters are: {', '.join(valid)}."
                )
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
        valid = list(m.parameters)
        for name in model.parameters:
            if name not in valid:
                raise ConfigError(
                    f"{key}.parameters.{name}: unknown parameter of model {m.name!r}"
                    f"{did_you_mean(name, valid)} Valid parameters are: {', '.join(valid) or '(none)'}."
                )
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
    from steppe_geo.mcda import Rule, constraint_from_dict

    key = f"models.{model.name}"
    m = base_model(model)
    known = {*m.inputs, *(d.name for d in m.derivations)}
    extra = [k for k in _config_layers(model) if k not in known and k in inputs]
    if extra:
        m = dataclasses.replace(m, inputs=(*m.inputs, *extra))
    try:
        for c in model.criteria:
            crit = c.to_mcda()
            m = m.replace_criterion(c.name, crit, source="set in configuration") \
                if c.name in m.criterion_names else m.add_criterion(crit, source="set in configuration")
        for c in model.constraints:
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


# ----------------------------------------------------------------------------- checks
_VECTOR_DERIVATIONS = frozenset({"distance", "grazing_density"})
"""Derivation functions that read vector layers."""
_RASTER_DERIVATIONS = frozenset({
    "slope", "aspect", "hub_height_speed", "wind_power_density", "pv_yield", "north_facing", "ratio",
    "fractional_cover", "trend_degraded", "sqi", "cqi", "vqi", "mqi", "esai", "china_grade", "windy_days",
    "china_sensitivity",
})
"""Derivation functions that read rasters (a function in neither set is not checked)."""


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
            f"{key}: input {layer!r} ({Path(inputs[layer]).name}) is a vector layer; criteria and "
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
    """Input name → ``"vector"`` or ``"raster"``, from what reads it."""
    kinds: dict[str, str] = {}
    for d in model.derivations:
        for k in d.inputs:
            if k in model.inputs and d.function in _VECTOR_DERIVATIONS:
                kinds[k] = "vector"
            elif k in model.inputs and d.function in _RASTER_DERIVATIONS:
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
        raise ConfigError(
            f"inputs.{k}: missing; {key} ({model.label}) needs it for "
            f"{built.used_by(k) or 'the model'}"
            + (f" (is inputs.{hint} meant to be it? Then rename it to {k})" if hint else "")
            + f". Inputs given: {_layer_list(list(inputs))}."
            + (f" Also missing: {', '.join(missing[1:])}." if len(missing) > 1 else "")
        )
    for k, kind in _expected_kinds(built).items():
        is_raster = k in rasters
        if (kind == "raster") != is_raster:
            raise ConfigError(
                f"inputs.{k}: {key} ({model.label}) reads {k!r} as a {kind} layer "
                f"({built.used_by(k)}), but {Path(inputs[k]).name!r} is a "
                f"{'raster' if is_raster else 'vector'} file"
            )


def _vector_columns(path: Path, key: str, layer: str | None = None) -> list[str]:
    """Attribute columns of a vector file, read from its schema only (no features)."""
    from steppe_geo.io import vector_columns

    try:
        return vector_columns(path, layer=layer)
    except SteppeGeoError as exc:
        raise ConfigError(f"{key}: {exc}") from None


def _check_vector_layers(config: Config, rasters: set[str]) -> None:
    """Every vector input names a layer that exists, and one is named for a multi-layer file."""
    from steppe_geo.io import vector_layers

    for name, path in config.inputs.items():
        layer = config.input_layers.get(name)
        if name in rasters:
            if layer is not None:
                raise ConfigError(f"inputs.{name}.layer: {Path(path).name!r} is a raster; only vector "
                                  "files have layers")
            continue
        try:
            names = vector_layers(path)
        except SteppeGeoError as exc:
            raise ConfigError(f"inputs.{name}: {exc}") from None
        if layer is None and len(names) > 1:
            raise ConfigError(
                f"inputs.{name}: {Path(path).name!r} holds {len(names)} layers ({', '.join(names)}); "
                f"choose one: inputs.{name} = {{ path = \"{Path(path).name}\", layer = \"{names[0]}\" }}"
            )
        if layer is not None and layer not in names:
            raise ConfigError(
                f"inputs.{name}.layer: no layer {layer!r} in {Path(path).name!r}"
                f"{did_you_mean(layer, names)} Layers are: {', '.join(names)}."
            )


def check_config(config: Config, *, scheduler: str | None = None, workers: int | None = None) -> None:
    """Check what the schema alone cannot, before any work: models, inputs, weights, parcel columns.

    Builds every model (preset parameters, model files, edits), checks that the layers its
    criteria and constraints read exist (inputs or derived layers) and are rasters, that every
    input a model needs is configured and of the right kind (raster or vector), that weights
    and AHP judgements name criteria (AHP: every pair judged), that a custom overlay ranks
    parcels only in memory mode (also when ``scheduler``/``workers`` select Dask), and reads
    the parcel layer's schema (not its features) for ``id_column`` and ``name_column``.
    ``steppe-geo validate`` and :func:`run` call it; it reads no raster and writes nothing.

    Parameters
    ----------
    config : Config
    scheduler, workers : optional
        As for :func:`run` (they switch the run to Dask).

    Raises
    ------
    ConfigError
        The message starts with the key path, shows the bad value, the valid choices and the
        closest one (``models.wind.weights.wind_sped: no criterion of that name; did you mean
        'wind_speed'? ...``).
    UnreadableInputError
        The parcel layer's schema cannot be read.

    Warns
    -----
    InconsistentJudgementsWarning
        AHP judgements with a consistency ratio above 0.10, naming the judgement to revise.
    """
    inputs = config.inputs
    rasters = {k for k, p in inputs.items() if _is_raster(Path(p))}
    if config.grid.aoi in rasters:
        raise ConfigError(f"grid.aoi: input {config.grid.aoi!r} ({Path(inputs[config.grid.aoi]).name}) is "
                          "a raster; the area of interest must be a polygon layer (GeoPackage, shapefile)")
    _check_vector_layers(config, rasters)
    for model in config.models.values():
        _check_model(config, model, rasters)
    pc = config.parcels
    if pc is None:
        return
    if pc.source in rasters:
        raise ConfigError(f"parcels.source: input {pc.source!r} ({Path(inputs[pc.source]).name}) is a "
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
            columns = _vector_columns(Path(inputs[pc.source]), "parcels.source",
                                      config.input_layers.get(pc.source))
        if col not in columns:
            raise ConfigError(
                f"parcels.{attr}: no column {col!r} in parcels {Path(inputs[pc.source]).name!r}"
                f"{did_you_mean(col, columns)} Columns are: {_layer_list(columns)}."
            )


def evaluate_model(model: ModelConfig, layers: InputLayers) -> ModelOutput:
    """Evaluate one configured model in memory.

    Custom models (criteria given without a preset) are :class:`steppe_geo.mcda.Overlay`
    objects whose layers are the aligned input rasters; presets and model files are built with
    :func:`build_model` and evaluated by :func:`steppe_geo.models.run_model`.

    Returns
    -------
    ModelOutput
    """
    if model.kind == "custom":
        from steppe_geo.mcda import evaluate

        overlay = _custom_overlay(model)
        res = evaluate(overlay, layers.rasters)
        return ModelOutput(model.name, res.score, res.eligible, res.exclusion,
                           list(res.overlay.constraint_names), dict(res.weights), res,
                           _quiet_ahp(model, overlay.criterion_names), overlay)
    from steppe_geo.models import run_model

    m = build_model(model, inputs=list(layers.paths))
    res = run_model(m, {**layers.vectors, **layers.rasters}, grid=layers.grid)
    return ModelOutput(model.name, res.score, res.eligible, res.exclusion, list(m.constraint_names),
                       dict(res.weights), res, _quiet_ahp(model, m.criterion_names), m)


def _evaluate_from_files(model: ModelConfig, layers: InputLayers, client: Any, work: Path,
                         window: int) -> ModelOutput:
    """Evaluate a model window by window over aligned COGs in ``work``.

    With a Dask ``client`` each window is a task; without one the windows are evaluated in a
    plain streamed loop.
    """
    from steppe_geo.io import read_raster, write_raster
    from steppe_geo.mcda import evaluate_dask, evaluate_streamed

    available: dict[str, xr.DataArray] = dict(layers.rasters)
    in_memory = None
    if model.kind != "custom":
        from steppe_geo.models import run_model

        # the preset's derived layers (slope, distances, ESAI, ...) are computed in memory;
        # the overlay itself then runs window by window (streamed or one Dask task per window)
        built = build_model(model, inputs=list(layers.paths))
        in_memory = run_model(built, {**layers.vectors, **layers.rasters}, grid=layers.grid)
        for k in in_memory.layers.data_vars:
            available[k] = in_memory.layers[k].rio.write_crs(layers.grid.crs).rio.write_transform(
                layers.grid.transform)
        overlay = built.overlay()
    else:
        overlay = built = _custom_overlay(model)
    sources = {}
    for key in overlay.required_layers():
        if key not in available:
            from steppe_geo.errors import MissingLayerError

            raise MissingLayerError(f"models.{model.name} needs raster input {key!r}, which is not given")
        path = work / "layers" / model.name / f"{key}.tif"
        if not path.exists():
            write_raster(available[key], path)
        sources[key] = path
    out = work / "results" / model.name
    outputs = ("score", "eligible", "exclusion")
    if client is not None:
        files = evaluate_dask(overlay, sources, grid=layers.grid, out_dir=out, client=client, window=window,
                              outputs=outputs)
    else:
        files = evaluate_streamed(overlay, sources, grid=layers.grid, out_dir=out, window=window,
                                  outputs=outputs)
    score = read_raster(files["score"], name="score")
    eligible = read_raster(files["eligible"], kind="categorical", name="eligible")
    exclusion = read_raster(files["exclusion"], kind="categorical", name="exclusion")
    weights = dict(zip(overlay.criterion_names, map(float, overlay.normalized_weights), strict=True))
    return ModelOutput(model.name, score, eligible == 1, exclusion, list(overlay.constraint_names), weights,
                       in_memory, _quiet_ahp(model, overlay.criterion_names), built)


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int | None, *, key: str = "--scheduler") -> Iterator[Any]:
    """A ``distributed.Client``: to ``scheduler`` if given, else a local cluster of ``workers`` processes.

    Yields None when neither is given (in-memory run). The local cluster's dashboard listens on
    a free port (the default 8787 may be taken).

    Parameters
    ----------
    scheduler : str or None
        Address of a running scheduler (``tcp://host:8786``); waits up to
        :data:`SCHEDULER_TIMEOUT` for it.
    workers : int or None
        Worker processes of a local cluster (when no scheduler is given).
    key : str, default "--scheduler"
        Where the address came from, for the error message (``run.scheduler`` for a config).

    Raises
    ------
    InvalidParameterError
        The scheduler cannot be reached.
    """
    if scheduler is None and workers is None:
        yield None
        return
    import distributed

    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise InvalidParameterError(f"{key}: cannot connect to {scheduler!r}: {exc}") from None
        with client:
            yield client
        return
    # dashboard on a free port: the default 8787 may be taken (another cluster, another user)
    with distributed.LocalCluster(n_workers=int(workers or 1), threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        yield client


def select_models(config: Config, names: Sequence[str], *, rasters_only: bool = False) -> Config:
    """A copy of ``config`` keeping only the models ``names`` (all when empty).

    With ``rasters_only`` the copy writes only the model rasters (no parcels, maps or report).

    Raises
    ------
    ConfigError
        A name is not a model of the configuration (closest suggested).
    """
    unknown = [n for n in names if n not in config.models]
    if unknown:
        raise ConfigError(
            f"--model: {unknown[0]!r} is not a model of the configuration"
            f"{did_you_mean(unknown[0], list(config.models))} Models are: {', '.join(config.models)}."
        )
    models = {k: v for k, v in config.models.items() if not names or k in names}
    outputs = config.outputs
    if rasters_only:
        outputs = dataclasses.replace(outputs, rasters=True, criteria=True, vectors=(), maps=(), report=False)
    return dataclasses.replace(config, models=models, outputs=outputs,
                               parcels=None if rasters_only else config.parcels)


# ----------------------------------------------------------------------------- run
def _declares_zero_nodata(da: xr.DataArray) -> bool:
    nodata = da.rio.nodata if da.rio.nodata is not None else da.rio.encoded_nodata
    return nodata is None or nodata == 0


def _write_outputs(stage: Path, cfg: Config, layers: InputLayers, results: Mapping[str, Any],
                   provenance: Mapping[str, Any], *, progress: bool) -> None:
    from tqdm import tqdm

    from steppe_geo.io import write_raster

    protected = list(layers.paths.values())
    if cfg.outputs.aligned_inputs:
        for name, da in tqdm(list(layers.rasters.items()), desc="write aligned", unit="layer",
                             disable=not progress):
            write_raster(da, stage / "aligned" / f"{name}.tif", provenance=provenance, protected=protected)
    if cfg.outputs.rasters:
        for mname, res in results.items():
            legend = ", ".join(f"bit {i}: {n}" for i, n in enumerate(res.constraint_names))
            for part in ("score", "eligible", "exclusion"):
                da = getattr(res, part)
                if da.dtype == bool:
                    da = da.astype(np.uint8).rio.write_nodata(255, encoded=False)
                elif part == "exclusion" and _declares_zero_nodata(da):
                    # 0 means "not excluded": declared as nodata, GIS software would hide all eligible
                    # land. No nodata then (a reserved non-zero "no data" code is kept)
                    da = da.rio.write_nodata(None, encoded=False)
                    da.encoding.pop("_FillValue", None)
                write_raster(da, stage / "rasters" / mname / f"{part}.tif", provenance=provenance,
                             protected=protected, tags={"constraints": legend, "model": mname})
            if cfg.outputs.criteria and res.result is not None and hasattr(res.result, "criteria"):
                for cname in res.result.criteria.data_vars:
                    da = res.result.criteria[cname].rio.write_crs(layers.grid.crs).rio.write_transform(
                        layers.grid.transform)
                    write_raster(da, stage / "rasters" / mname / "criteria" / f"{cname}.tif",
                                 provenance=provenance, protected=protected,
                                 tags={"weight": res.weights.get(str(cname), "")})
            extra = getattr(res.result, "layers", None)
            for part in ("esai", "esa_class", "china_sensitivity"):
                if extra is not None and part in extra:
                    da = extra[part].rio.write_crs(layers.grid.crs).rio.write_transform(layers.grid.transform)
                    if part == "esa_class":
                        da = da.rio.write_nodata(0, encoded=False)
                        da.attrs["kind"] = "categorical"
                    write_raster(da, stage / "rasters" / mname / f"{part}.tif", provenance=provenance,
                                 protected=protected)


@dataclass
class ParcelOutput:
    """Parcel results of one model.

    Attributes
    ----------
    model : str
    ranked : GeoDataFrame
        :func:`steppe_geo.parcels.rank_parcels` output (score, rank, contributions, ...).
    regions : GeoDataFrame or None
        Candidate regions (contiguous eligible land in the top score quintile).
    stability : DataFrame or None
        :func:`steppe_geo.parcels.rank_stability` output.
    selection : SelectionResult or None
        Budgeted selection (only for ``parcels.select_by``).
    """

    model: str
    ranked: gpd.GeoDataFrame
    regions: gpd.GeoDataFrame | None = None
    stability: Any = None
    selection: Any = None


_TECHNOLOGY = {"wind_onshore": "wind", "solar_pv": "solar", "pv_sand_control": "solar"}


def _capacity_factor(res: ModelOutput, technology: str | None,
                     weibull_k: xr.DataArray | None = None) -> xr.DataArray | None:
    """The capacity-factor raster behind a siting model's energy estimate (None if not a siting model).

    Solar: specific yield / 8760 h (``criteria.solar_capacity_factor``; DC). Wind: the shipped
    power curve closest in rotor diameter to the model's turbine, integrated over the Weibull
    distribution of the hub-height mean speed (shape from the ``weibull_k`` input when there is
    one, else Rayleigh, k = 2), with the IEC air-density correction from the DEM
    (``criteria.capacity_factor``; AC, gross of losses), on eligible pixels only (NaN elsewhere:
    parcel and region means are taken over eligible land).
    """
    from steppe_geo import criteria

    layers = getattr(res.result, "layers", None)
    if technology is None or layers is None:
        return None
    if technology == "solar":
        return criteria.solar_capacity_factor(layers["pv_yield"]) if "pv_yield" in layers else None
    if "wind_speed_hub" not in layers:
        return None
    rotor = float(res.model.parameters.get("rotor_diameter_m", 170.0))
    curves = {name: criteria.load_power_curve(name) for name in criteria.available_power_curves()}
    curve = min(curves, key=lambda n: abs((curves[n].rotor_diameter_m or 0.0) - rotor))
    density = criteria.air_density(layers["dem"]) if "dem" in layers else None
    k: xr.DataArray | float = 2.0
    if weibull_k is not None and Grid.from_dataarray(weibull_k).same_as(Grid.from_dataarray(res.score)):
        k = weibull_k
    speed = layers["wind_speed_hub"].where(res.eligible)  # parcels and regions use eligible land only
    return criteria.capacity_factor(criteria.weibull_scale(speed, k=k), k=k, curve=curve,
                                    air_density_kg_m3=density)


def rank_model_parcels(parcels_gdf: gpd.GeoDataFrame, res: ModelOutput, cfg: Config, *,
                       select: bool, coverage: Any = None,
                       weibull_k: xr.DataArray | None = None) -> ParcelOutput:
    """Zonal statistics, ranking, regions, rank stability and (optionally) selection for one model.

    Parcels are ranked on each criterion's mean over the part of the parcel that is eligible and
    valid in every criterion (``zonal_stats(..., require_all_valid=True)``), with capacity (MW,
    ``capacity_basis`` AC for wind, DC for solar) and annual energy (GWh) from the model's
    capacity-factor layer (see ``_capacity_factor``). Candidate regions (the top 20 % of scores,
    at least 4 pixels) carry the same columns: they are ranked with the same weights.

    Parameters
    ----------
    parcels_gdf : GeoDataFrame
        Parcels in the grid's CRS.
    res : ModelOutput
        An in-memory model result (standardised criteria needed).
    cfg : Config
        The run's configuration (``[parcels]`` options).
    select : bool
        Also solve the budgeted selection (``parcels.budget_ha``).
    coverage : CoverageMatrix, optional
        Parcel coverage computed once and shared across models.
    weibull_k : DataArray, optional
        Weibull shape on the grid, for the wind capacity factor (Rayleigh k = 2 without it).

    Returns
    -------
    ParcelOutput
    """
    from steppe_geo.parcels import (
        ahp_weight_draws,
        candidate_regions,
        rank_parcels,
        rank_stability,
        select_parcels,
        zonal_stats,
    )

    pc = cfg.parcels
    if res.result is None or not hasattr(res.result, "criteria"):
        raise InvalidParameterError(
            f"parcels: model {res.name!r} has no standardised criteria in memory "
            "(run.mode 'memory' is needed for parcel ranking)"
        )
    crit = {k: res.result.criteria[k] for k in res.result.criteria.data_vars}
    # Every criterion over the same cells (eligible and valid in all of them), so that a parcel's
    # score, the weighted sum of its means, equals the zonal mean of the score raster.
    zonal = zonal_stats(parcels_gdf, crit, eligible=res.eligible, id_column=pc.id_column, coverage=coverage,
                        require_all_valid=True)
    technology = _TECHNOLOGY.get(getattr(res.model, "name", ""))
    cf = _capacity_factor(res, technology, weibull_k)
    cf_column = None
    if cf is not None:  # its own call: gaps in the CF layer must not shrink the criteria's cells
        zonal["cf_mean"] = zonal_stats(parcels_gdf, {"cf": cf}, eligible=res.eligible, id_column=pc.id_column,
                                       coverage=coverage)["cf_mean"]
        cf_column = "cf_mean"
    ranked = rank_parcels(zonal, weights=res.weights, technology=technology, capacity_factor_column=cf_column)
    finite = np.asarray(res.score.values)[np.isfinite(np.asarray(res.score.values))]
    regions = None
    if finite.size:
        threshold = float(np.quantile(finite, 0.8))
        attributes = {**crit, **({"cf": cf} if cf is not None else {})}
        regions = candidate_regions(res.score, threshold=threshold, eligible=res.eligible,
                                    min_area_ha=4 * cfg.grid.resolution_m**2 / 1e4, attributes=attributes)
        if len(regions):  # regions ranked and explained exactly as parcels
            regions = rank_parcels(regions, weights=res.weights, technology=technology,
                                   capacity_factor_column=cf_column)
        else:
            regions = None
    stability = None
    k = min(pc.top_k, len(zonal))
    if pc.monte_carlo_draws > 0 and len(res.weights) > 1:
        draws = None
        if res.ahp is not None:  # uncertain judgements: each moves ±1 step on Saaty's ladder
            draws = ahp_weight_draws(res.ahp, pc.monte_carlo_draws, steps=1, rng=cfg.run.seed)
        stability = rank_stability(zonal, weights=res.weights, n_draws=pc.monte_carlo_draws, draws=draws, k=k,
                                   rng=cfg.run.seed)
    selection = None
    if select and pc.budget_ha is not None:
        table = ranked.assign(benefit=(ranked["score"] * ranked["eligible_area_ha"]).fillna(0.0),
                              cost=ranked["eligible_area_ha"].fillna(0.0))
        selection = select_parcels(table, benefit="benefit", cost="cost", budget=pc.budget_ha)
    return ParcelOutput(res.name, ranked, regions, stability, selection)


def run_parcels(cfg: Config, layers: InputLayers, results: Mapping[str, ModelOutput], *,
                progress: bool = False) -> dict[str, ParcelOutput]:
    """Parcel results for every model in ``cfg.parcels.rank_by`` (empty without ``[parcels]``).

    The coverage of every parcel is computed once and reused for all models.
    """
    from tqdm import tqdm

    from steppe_geo.parcels import coverage_matrix

    pc = cfg.parcels
    if pc is None:
        return {}
    parcels_gdf = layers.vectors[pc.source]
    names = [m for m in (pc.rank_by or tuple(results)) if m in results]
    select_by = pc.select_by or (names[0] if names else None)
    coverage = coverage_matrix(parcels_gdf.to_crs(layers.grid.crs), layers.grid, id_column=pc.id_column)
    return {m: rank_model_parcels(parcels_gdf.to_crs(layers.grid.crs), results[m], cfg, select=m == select_by,
                                  coverage=coverage, weibull_k=layers.rasters.get("weibull_k"))
            for m in tqdm(names, desc="parcels", unit="model", disable=not progress)}


def _write_parcels(stage: Path, cfg: Config, layers: InputLayers, results: Mapping[str, ModelOutput],
                   parcels: Mapping[str, ParcelOutput]) -> None:
    from steppe_geo.parcels import export_bundle

    if not cfg.outputs.vectors:
        return
    folder = stage / "parcels"
    folder.mkdir(parents=True, exist_ok=True)
    for name, po in parcels.items():
        res = results[name]
        constraints = {c: i for i, c in enumerate(res.constraint_names)}
        export_bundle(po.ranked, folder, name=name, regions=po.regions, selection=po.selection, model=name,
                      weights=res.weights, constraints=constraints,
                      inputs={k: str(v) for k, v in layers.paths.items()},
                      protected=list(layers.paths.values()))


def _model_summary(mc: ModelConfig, res: ModelOutput, grid: Grid) -> dict[str, Any]:
    eligible = np.asarray(res.eligible.values)
    score = np.asarray(res.score.values)
    out: dict[str, Any] = {
        "model": mc.label,
        "eligible_fraction": float(eligible.mean()),
        "eligible_ha": round(float(eligible.sum()) * grid.pixel_area_m2 / 1e4, 2),
        "mean_score": float(np.nanmean(score)) if np.isfinite(score).any() else float("nan"),
        "weights": res.weights, "constraints": res.constraint_names,
        "exclusions": exclusion_areas(res, pixel_area_m2=grid.pixel_area_m2),
    }
    if res.ahp is not None:
        a = res.ahp
        out["ahp"] = {"cr": float(a.cr), "ci": float(a.ci), "lambda_max": float(a.lambda_max),
                      "consistent": a.consistent,
                      "judgements": {f"{j.row}/{j.col}": j.value for j in mc.ahp}}
    return out


def exclusion_areas(res: ModelOutput, *, pixel_area_m2: float) -> list[dict[str, Any]]:
    """Area each constraint of a model excluded, from its exclusion bitmask.

    Parameters
    ----------
    res : ModelOutput
    pixel_area_m2 : float
        Area of one pixel of the analysis grid.

    Returns
    -------
    list of dict
        One row per constraint in bit order: ``bit``, ``constraint``, ``excluded_ha`` (pixels the
        constraint excluded, overlaps with other constraints included) and ``only_this_ha``
        (pixels no other constraint excluded), then a row ``any constraint`` with the union.
    """
    bits = np.asarray(res.exclusion.values)
    if not _declares_zero_nodata(res.exclusion):  # a reserved "no data" code is no exclusion
        bits = np.where(bits == res.exclusion.rio.nodata, 0, bits)
    bits = bits.astype(np.uint64, copy=False)
    ha = pixel_area_m2 / 1e4
    rows = []
    for i, name in enumerate(res.constraint_names):
        flag = np.uint64(1) << np.uint64(i)
        mine = (bits & flag) != 0
        rows.append({"bit": i, "constraint": name, "excluded_ha": round(float(mine.sum()) * ha, 2),
                     "only_this_ha": round(float((bits == flag).sum()) * ha, 2)})
    rows.append({"bit": None, "constraint": "any constraint",
                 "excluded_ha": round(float((bits != 0).sum()) * ha, 2), "only_this_ha": None})
    return rows


def _parcel_summary(po: ParcelOutput, cfg: Config) -> dict[str, Any]:
    ranked = po.ranked
    k = cfg.parcels.top_k if cfg.parcels else 10
    top = ranked.head(k)
    out: dict[str, Any] = {
        "parcels": len(ranked),
        "scored": int(ranked["score"].notna().sum()),
        "top": [str(i) for i in (top[cfg.parcels.id_column] if cfg.parcels and cfg.parcels.id_column
                                 and cfg.parcels.id_column in top.columns else top.index)],
        "regions": 0 if po.regions is None else len(po.regions),
    }
    if po.selection is not None:
        sel = po.selection
        out["selection"] = {"selected": int(sel.selected.sum()), "objective": float(sel.objective),
                            "bound": float(sel.bound), "gap": float(sel.gap),
                            "total_area_ha": float(sel.total_cost), "status": str(sel.status),
                            "budget_ha": cfg.parcels.budget_ha if cfg.parcels else None}
    return out


def _hillshade(layers: InputLayers) -> xr.DataArray | None:
    dem = layers.rasters.get("dem")
    if dem is None:
        return None
    try:
        from steppe_geo.criteria import hillshade
    except ImportError:  # criteria not installed in this build
        return None
    return hillshade(dem)


def _model_tables(name: str, res: ModelOutput, mc: ModelConfig | None,
                  summary: Mapping[str, Any]) -> list[str]:
    from steppe_geo.maps import table_html, text_html

    label = mc.label if mc is not None else "model"
    blocks = [text_html(f"{name}: {label}")]
    model = res.model
    if model is not None and callable(getattr(model, "describe", None)):
        blocks.append(table_html(model.describe(),
                                 caption=f"{name}: criteria, value functions, weights, sources"))
    elif model is not None and hasattr(model, "criteria"):
        rows = [{"criterion": c.name, "layer": c.layer_key, "value function": c.function.label(),
                 "weight": res.weights.get(c.name, float("nan"))} for c in model.criteria]
        blocks.append(table_html(rows, caption=f"{name}: criteria (rule {model.rule.value})"))
        if model.constraints:
            crows = [{"bit": i, **c.to_dict()} for i, c in enumerate(model.constraints)]
            blocks.append(table_html(crows, caption=f"{name}: constraints in bit order"))
    else:
        rows = [{"criterion": k, "weight": v} for k, v in res.weights.items()]
        blocks.append(table_html(rows, caption=f"{name}: weights"))
    info = summary["models"].get(name, {})
    if res.constraint_names and info.get("exclusions"):
        blocks.append(table_html(
            info["exclusions"],
            caption=f"{name}: land excluded by each constraint (ha; 'only this' = excluded by no other "
                    f"constraint); eligible {info.get('eligible_ha', float('nan')):,.0f} ha"))
    elif not res.constraint_names:
        blocks.append(text_html(f"{name}: no constraints; all land with data is eligible.", note=True))
    return blocks


def _weights_blocks(results: Mapping[str, ModelOutput], cfg: Config) -> list[str]:
    from steppe_geo.maps import table_html, text_html

    if not results:
        return [text_html("No model was run.")]
    rows = []
    for n, r in results.items():
        a = r.ahp
        if a is None:
            method, cr = "direct weights", "no CR (no pairwise judgements)"
        else:
            method = f"AHP ({len(a.criteria)} criteria, λmax = {a.lambda_max:.3f}, CI = {a.ci:.3f})"
            verdict = "consistent" if a.consistent else "inconsistent: revise the judgements"
            cr = f"CR = {a.cr:.3f} ({verdict}; Saaty's threshold 0.10)" if np.isfinite(a.cr) \
                else "CR not defined (more than 10 criteria)"
        rows.append({"model": n, "weights": method, "consistency": cr})
    blocks = [table_html(rows, caption="how the weights were set"),
              table_html([{"model": n, "criterion": c, "weight": w}
                          for n, r in results.items() for c, w in r.weights.items()],
                         caption="normalised criterion weights")]
    for n, r in results.items():
        if r.ahp is None or n not in cfg.models:
            continue
        judged = [{"judgement": f"{j.row} vs {j.col}", "value": j.value,
                   "implied by the weights": float(r.ahp.as_dict()[j.row] / r.ahp.as_dict()[j.col])}
                  for j in cfg.models[n].ahp]
        blocks.append(table_html(judged, caption=f"{n}: AHP pairwise judgements (Saaty 1–9) and the ratio "
                                                 "of the resulting weights"))
    return blocks


def _maps_and_report(stage: Path, cfg: Config, layers: InputLayers, results: Mapping[str, ModelOutput],
                     summary: Mapping[str, Any], parcels: Mapping[str, ParcelOutput] | None = None, *,
                     progress: bool) -> None:
    """Maps (PNG/PDF) of every model and the self-contained HTML report."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    from steppe_geo import maps
    from steppe_geo.io import atomic_path, save_figure, write_text

    version = summary["provenance"].get("steppe_geo", "")
    note = f"{cfg.name} — grid {layers.grid.resolution_m:g} m; steppe_geo {version}"
    hill = _hillshade(layers)
    figures: list[tuple[str, str, Any]] = []
    for name, res in results.items():
        ax = maps.plot_suitability(res.score, hillshade=hill, title=f"{name}: score", note=note)
        basemap = " over the hillshade" if hill is not None else ""
        figures.append((f"{name}_score", f"{name}: score (0–1){basemap}", ax.figure))
        if res.constraint_names:
            ax = maps.plot_exclusions(res.exclusion, res.constraint_names, title=f"{name}: exclusions",
                                      note=note)
            figures.append((f"{name}_exclusions", f"{name}: land excluded, by constraint", ax.figure))
        extra = getattr(res.result, "layers", None)
        # the ESA map belongs to the desertification models (restoration derives the same classes)
        is_esa = str(getattr(res.model, "name", "")).startswith("desertification")
        classes = extra["esa_class"] if is_esa and extra is not None and "esa_class" in extra else None
        if classes is not None:
            classes = classes.rio.write_crs(layers.grid.crs).rio.write_transform(layers.grid.transform)
            ax = maps.plot_esa_classes(classes, title=f"{name}: ESA classes", note=note)
            figures.append((f"{name}_esa_classes", f"{name}: environmentally sensitive areas", ax.figure))
    parcels = parcels or {}
    pc = cfg.parcels
    id_col = pc.id_column if pc is not None else None
    label = pc.name_column if pc is not None else None
    parcel_blocks: list[str] = []
    selection_blocks: list[str] = []
    stability_blocks: list[str] = []
    for name, po in parcels.items():
        k = min(pc.top_k if pc else 10, int(po.ranked["score"].notna().sum()))
        ranked = po.ranked.to_crs(layers.grid.crs)
        # parcels are named by their id column; without one, by their row in the parcel layer
        if id_col is not None and id_col in po.ranked.columns:
            ids = po.ranked[id_col].astype(str)
            id_name = id_col
        else:
            ids = pd.Series([f"row {i}" for i in range(len(po.ranked))], index=po.ranked.index)
            id_name = "parcel (row in the layer, from 0)"
        ax = maps.plot_ranked_parcels(ranked, column="score", k=k, label_column=None,
                                      title=f"{name}: parcels ranked by score", note=note)
        figures.append((f"{name}_parcels", f"{name}: parcels by score (top {k} outlined and numbered)",
                        ax.figure))
        lab = label if label in po.ranked.columns and label != id_col else None
        cols = [c for c in ("rank", lab, "score", "eligible_area_ha", "capacity_mw", "capacity_basis",
                            "energy_gwh", "percentile")
                if c and c in po.ranked.columns]
        cols += [c for c in po.ranked.columns if str(c).startswith("share_")]

        def with_ids(frame: pd.DataFrame, columns: Sequence[str], ids: pd.Series = ids,
                     id_name: str = id_name) -> pd.DataFrame:
            out = frame[list(columns)].copy()
            out.insert(0, id_name, ids.reindex(frame.index).to_numpy())
            return out.reset_index(drop=True)

        parcel_blocks.append(maps.table_html(with_ids(po.ranked.head(k), cols),
                                             caption=f"{name}: top {k} parcels (share_* = % of score)"))
        if po.stability is not None:
            stab = po.stability.join(po.ranked[["rank"]].astype(float), how="left")
            stab = stab.assign(parcel=ids.reindex(stab.index).to_numpy())
            draws = pc.monte_carlo_draws if pc else 0
            how = "AHP judgements ±1 Saaty step" if results[name].ahp is not None else "Dirichlet weights"
            ax = maps.plot_rank_stability(stab, rank="base_rank", probability="p_top_k", n=min(20, len(stab)),
                                          label_column="parcel",
                                          title=f"{name}: rank stability ({draws} draws, {how})",
                                          note=f"{note}; bars: 5–95 % rank interval; % = share of draws in "
                                               f"the top {k}")
            figures.append((f"{name}_rank_stability", f"{name}: base rank and 5–95 % rank interval",
                            ax.figure))
            top = stab.sort_values("base_rank").head(k)
            stability_blocks.append(maps.table_html(
                with_ids(top, [c for c in top.columns if c != "parcel"]),
                caption=f"{name}: rank statistics of the top {k} ({draws} draws of {how})"))
        if po.selection is not None:
            s_sum = summary["parcels"][name]["selection"]
            selection_blocks.append(maps.table_html([s_sum],
                                                    caption=f"{name}: budgeted selection (MILP, HiGHS)"))
            chosen = po.ranked[po.selection.selected.reindex(po.ranked.index, fill_value=False)]
            selection_blocks.append(maps.table_html(with_ids(chosen, cols),
                                                    caption=f"{name}: selected parcels"))
    try:
        pngs: dict[str, bytes] = {}
        for stem, _, fig in tqdm(figures, desc="maps", unit="map", disable=not progress):
            # one PNG rendering serves the file and the report
            pngs[stem] = maps.figure_png(fig, dpi=110)
            for fmt in cfg.outputs.maps:
                if fmt == "png":
                    with atomic_path(stage / "maps" / f"{stem}.png") as tmp:
                        tmp.write_bytes(pngs[stem])
                else:
                    save_figure(fig, stage / "maps" / f"{stem}.{fmt}")
        if cfg.outputs.report:
            sections = [
                maps.ReportSection("inputs", "Inputs", [
                    maps.text_html(f"Analysis grid: {layers.grid.describe()}"),
                    maps.table_html([{"layer": k, "kind": "raster", "dims": " × ".join(map(str, v["shape"])),
                                      "dtype": v["dtype"], "units": v.get("units") or "",
                                      "valid": f"{v['valid_fraction']:.1%}"}
                                     for k, v in summary["rasters"].items()], caption="rasters (aligned)"),
                    maps.table_html([{"layer": k, "features": v["features"],
                                      "geometry": ", ".join(v["geometry_types"])}
                                     for k, v in summary["vectors"].items()], caption="vector layers"),
                ]),
                maps.ReportSection("models", "Models",
                                   [b for n, r in results.items()
                                    for b in _model_tables(n, r, cfg.models.get(n), summary)]
                                   or [maps.text_html("No model was run.")]),
                maps.ReportSection("weights", "Weights and consistency", _weights_blocks(results, cfg)),
                maps.ReportSection("maps", "Maps", [maps.png_html(pngs[stem], caption=cap)
                                                    for stem, cap, _ in figures]
                                   or [maps.text_html("No maps: no model was run.")]),
                maps.ReportSection("parcels", "Top parcels", parcel_blocks
                                   or [maps.text_html("No parcels were ranked.")]),
                maps.ReportSection("selection", "Selection", selection_blocks
                                   or [maps.text_html("No budgeted selection was asked for.")]),
                maps.ReportSection("stability", "Rank stability", stability_blocks
                                   or [maps.text_html("No rank-stability analysis was run.")]),
                maps.ReportSection("provenance", "Provenance", [maps.mapping_html(summary["provenance"])]),
            ]
            html = maps.render_report(sections, title=cfg.name,
                                      subtitle=f"grid {layers.grid.resolution_m:g} m · {len(results)} models")
            write_text(html, stage / "report.html")
    finally:
        for _, _, fig in figures:
            plt.close(fig)


def run(config: Config, *, overwrite: bool = False, progress: bool = False, out_dir: PathLike | None = None,
        scheduler: str | None = None, workers: int | None = None) -> RunResult:
    """Run a validated configuration and write its outputs (all or nothing).

    Parameters
    ----------
    config : Config
        From :func:`steppe_geo.config.load_config`.
    overwrite : bool, default False
        Replace an existing output folder.
    progress : bool, default False
        Show progress bars.
    out_dir : path, optional
        Overrides ``config.outputs.directory``.
    scheduler, workers : optional
        Run on Dask (an existing scheduler address, or a local cluster of ``workers`` processes);
        override ``config.run``.

    Returns
    -------
    RunResult

    Raises
    ------
    OutputExistsError
        The output folder exists and ``overwrite`` is False (nothing changed).
    OutputNotWritableError
        The output folder cannot be written.
    """
    from steppe_geo import __version__
    from steppe_geo.io import provenance_record, write_json, write_text

    t0 = time.perf_counter()
    key = "--scheduler" if scheduler is not None else "run.scheduler"
    scheduler = scheduler if scheduler is not None else config.run.scheduler
    workers = workers if workers is not None else config.run.workers
    # everything that can be checked without reading a raster is checked first
    check_config(config, scheduler=scheduler, workers=workers)
    mode = effective_mode(config, scheduler=scheduler, workers=workers)
    if mode == "dask" and scheduler is None and workers is None:
        workers = 2
    out = Path(out_dir) if out_dir is not None else config.outputs.directory
    timings: dict[str, float] = {}
    with staged_output_dir(out, overwrite=overwrite, inputs=config.inputs) as stage, \
            contextlib.ExitStack() as cluster:
        # connect to the scheduler (or start the local cluster) before any heavy work: fail fast
        client = cluster.enter_context(dask_client(scheduler, workers, key=key))
        grid = build_grid(config.inputs, config.grid, layers=config.input_layers)
        log.info("analysis grid: %s", grid.describe())
        layers = load_inputs(config.inputs, grid, layers=config.input_layers, progress=progress)
        timings["load_and_align"] = layers.seconds
        t1 = time.perf_counter()
        if client is None and mode == "memory":
            results = {name: evaluate_model(m, layers) for name, m in config.models.items()}
        else:
            log.info("running %s", f"on Dask: {client}" if client is not None else "streamed")
            work = stage / ".work"
            results = {name: _evaluate_from_files(m, layers, client, work, config.run.window)
                       for name, m in config.models.items()}
            for mres in results.values():  # loaded into memory: the work files can go
                mres.score.load(), mres.eligible.load(), mres.exclusion.load()
            shutil.rmtree(work, ignore_errors=True)
        cluster.close()
        timings["models"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        parcel_results = run_parcels(config, layers, results, progress=progress)
        timings["parcels"] = time.perf_counter() - t1
        provenance = provenance_record(config.inputs, config=str(config.source) if config.source else None,
                                       grid=grid.describe(), steppe_geo=__version__)
        t2 = time.perf_counter()
        _write_outputs(stage, config, layers, results, provenance, progress=progress)
        _write_parcels(stage, config, layers, results, parcel_results)
        timings["write"] = time.perf_counter() - t2
        summary = {"name": config.name, **summarize_inputs(layers)}
        summary["models"] = {k: _model_summary(config.models[k], r, grid) for k, r in results.items()}
        summary["parcels"] = {m: _parcel_summary(po, config) for m, po in parcel_results.items()}
        summary["provenance"] = provenance
        if config.outputs.maps or config.outputs.report:
            t3 = time.perf_counter()
            _maps_and_report(stage, config, layers, results, summary, parcel_results, progress=progress)
            timings["maps_and_report"] = time.perf_counter() - t3
        files = sorted(str(p.relative_to(stage)) for p in stage.rglob("*") if p.is_file())
        summary["files"] = [*files, "summary.json", "summary.txt"]
        summary["total_seconds"] = round(time.perf_counter() - t0, 2)
        timings["total"] = summary["total_seconds"]
        summary["timings_seconds"] = {k: round(v, 2) for k, v in timings.items()}
        write_json(summary, stage / "summary.json")
        write_text(_summary_text(summary), stage / "summary.txt")
    log.info("wrote %d files into %s in %.1f s", len(summary["files"]), out, summary["total_seconds"])
    return RunResult(out, sorted(summary["files"]), summary, timings)


DEMO_RESOLUTION_M = 100.0


def demo_config(out_dir: PathLike = "steppe-geo-demo", *, resolution_m: float = DEMO_RESOLUTION_M) -> Config:
    """The configuration ``steppe-geo demo`` runs: every sample layer, every model.

    Parameters
    ----------
    out_dir : path
        Output folder.
    resolution_m : float, default 100
        Analysis-grid resolution in metres.

    Returns
    -------
    Config
    """
    from steppe_geo import datasets

    paths = {k: Path(v) for k, v in datasets.sample_paths().items()}
    return Config(
        name="steppe-geo demo: Kubuqi (Hobq) sample data (synthetic)",
        inputs=paths,
        grid=GridConfig(aoi="aoi", resolution_m=float(resolution_m)),
        models={name: ModelConfig(name, preset) for name, preset in (
            ("wind", "wind_onshore"), ("solar", "solar_pv"), ("desertification", "desertification_esai"),
            ("restoration", "restoration_priority"))},
        parcels=ParcelsConfig(source="parcels", id_column="parcel_id", name_column="name_zh", top_k=10,
                              rank_by=("wind", "solar", "restoration"), select_by="restoration",
                              budget_ha=10_000.0, monte_carlo_draws=500),
        outputs=OutputsConfig(directory=Path(out_dir), rasters=True, aligned_inputs=True),
        run=RunConfig(),
    )


def run_demo(out_dir: PathLike = "steppe-geo-demo", *, overwrite: bool = False, progress: bool = False,
             resolution_m: float = DEMO_RESOLUTION_M) -> RunResult:
    """Run the full pipeline on the bundled sample dataset (see :func:`demo_config`).

    Returns
    -------
    RunResult
    """
    return run(demo_config(out_dir, resolution_m=resolution_m), overwrite=overwrite, progress=progress)
