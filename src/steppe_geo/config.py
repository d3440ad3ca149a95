"""TOML configuration: schema, validation with key paths, and the commented example.

A configuration is checked completely *before* any work starts. Every error is a
:class:`~steppe_geo.errors.ConfigError` (or :class:`~steppe_geo.errors.InputNotFoundError` for a
missing input file) whose message starts with the key path and echoes the bad value, the valid
choices and the closest one::

    models.wind.criteria[2].function: unknown 'gausian'; did you mean 'gaussian'? Valid names are: ...

Relative *input* paths (``[inputs]``, ``model_file``) are resolved against the folder of the
configuration file; a relative *output* folder (``outputs.directory``) against the current working
directory, so running a shared or read-only configuration (such as the examples) writes its outputs
where you run it. An input written ``"sample:<layer>"`` refers to a layer of the bundled sample
dataset.

:func:`load_config` checks the schema. What needs the models themselves — preset parameters,
layers named by criteria and constraints, the inputs every model needs, weights and AHP
judgements against criterion names, parcel columns — is checked by
:func:`steppe_geo.pipeline.check_config` (``steppe-geo validate`` runs both, and
:func:`steppe_geo.pipeline.run` runs it before any work).
"""

from __future__ import annotations

import enum
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steppe_geo._typing import PathLike
from steppe_geo._validation import did_you_mean
from steppe_geo.errors import ConfigError, InputNotFoundError, InvalidParameterError, SteppeGeoError
from steppe_geo.io.raster import LayerKind, ResamplingMethod
from steppe_geo.io.remote import check_remote, is_remote
from steppe_geo.io.units import parse_unit
from steppe_geo.mcda.weights import RandomIndex

__all__ = [
    "EXAMPLE_CONFIG",
    "MODEL_PRESETS",
    "AHPJudgement",
    "Config",
    "CriterionConfig",
    "GridConfig",
    "InputSpec",
    "ModelConfig",
    "OutputsConfig",
    "ParcelsConfig",
    "RunConfig",
    "config_from_dict",
    "load_config",
    "parse_config",
]

MODEL_PRESETS: tuple[str, ...] = (
    "wind_onshore",
    "solar_pv",
    "desertification_esai",
    "desertification_china",
    "restoration_priority",
    "pv_sand_control",
)
"""Names accepted by ``models.<name>.preset``."""

SAMPLE_PREFIX = "sample:"


class VectorFormat(enum.Enum):
    """Vector output formats (``outputs.vectors``)."""

    GPKG = "gpkg"
    SHAPEFILE = "shapefile"
    PARQUET = "parquet"
    FLATGEOBUF = "flatgeobuf"
    CSV = "csv"


class MapFormat(enum.Enum):
    """Map output formats (``outputs.maps``)."""

    PNG = "png"
    PDF = "pdf"


class Projection(enum.Enum):
    """Analysis-grid projections (``grid.projection``)."""

    EQUAL_AREA = "equal-area"
    UTM = "utm"


# ----------------------------------------------------------------------------- value objects
INPUT_OPTIONS: tuple[str, ...] = ("path", "layer", "kind", "units", "scale", "offset", "nodata", "resampling",
                                  "band", "encoding")
"""Keys of an input given as a table (``[inputs.dem] path = "dem.tif", units = "ft"``)."""


@dataclass(frozen=True)
class InputSpec:
    """One ``[inputs]`` entry with its declared semantics (all optional except ``path``).

    ``dem = "dem.tif"`` gives a spec with only ``path``; ``[inputs.dem] path = "dem.tif",
    units = "ft"`` declares more. Raster options are honoured by :func:`steppe_geo.io.read_raster`
    and vector options by :func:`steppe_geo.io.read_vector` (arguments of the same names).

    Attributes
    ----------
    name : str
        The input's name (``dem`` in ``[inputs.dem]``).
    path : Path or str
        The file (resolved, existing), or a URL kept as written (``https://...``, ``s3://...``,
        ``/vsicurl/...``; :func:`steppe_geo.io.remote.is_remote`).
    layer : str or None
        Vector layer of a file holding several.
    kind : {"continuous", "categorical"} or None
        Raster kind, overriding the file's ``STEPPE_GEO_KIND`` tag or colour table.
    units : str or None
        Units of the raster's values (a symbol of :data:`steppe_geo.io.units.UNITS`, e.g. ``"ft"``);
        they are converted to the units the models use.
    scale, offset : float or None
        Decode ``raw * scale + offset`` (overriding the file's).
    nodata : float or None
        Raw nodata value (overriding the file's).
    resampling : str or None
        Resampling method onto the grid (:class:`steppe_geo.io.ResamplingMethod`).
    band : int, "all" or None
        Band to read (1-based), or ``"all"`` for a stack of bands.
    encoding : str or None
        Text encoding of a vector file's attributes (``"gbk"``, ``"cp1252"``, ...).
    written : str or None
        The path as written in the configuration (messages quote it back).
    """

    name: str
    path: Path | str
    layer: str | None = None
    kind: str | None = None
    units: str | None = None
    scale: float | None = None
    offset: float | None = None
    nodata: float | None = None
    resampling: str | None = None
    band: int | str | None = None
    encoding: str | None = None
    written: str | None = None

    RASTER_OPTIONS = ("kind", "units", "scale", "offset", "nodata", "resampling", "band")
    VECTOR_OPTIONS = ("layer", "encoding")

    def declared(self) -> dict[str, Any]:
        """The options given (besides ``path``), name → value."""
        return {k: getattr(self, k) for k in (*self.VECTOR_OPTIONS, *self.RASTER_OPTIONS)
                if getattr(self, k) is not None}

    def raster_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`steppe_geo.io.read_raster` declared for this input."""
        return {k: getattr(self, k) for k in self.RASTER_OPTIONS if getattr(self, k) is not None}

    def vector_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`steppe_geo.io.read_vector` declared for this input."""
        return {k: getattr(self, k) for k in self.VECTOR_OPTIONS if getattr(self, k) is not None}

@dataclass(frozen=True)
class GridConfig:
    """``[grid]``: the analysis grid built with :meth:`steppe_geo.Grid.for_area`.

    Attributes
    ----------
    aoi : str
        Name of the input (in ``[inputs]``) holding the area of interest polygon.
    resolution_m : float
        Pixel size in metres.
    projection : str
        ``"equal-area"`` (local Lambert azimuthal equal-area) or ``"utm"``.
    margin_m : float
        Extra margin around the AOI in metres.
    """

    aoi: str = "aoi"
    resolution_m: float = 100.0
    projection: str = "equal-area"
    margin_m: float = 0.0


@dataclass(frozen=True)
class CriterionConfig:
    """One ``[[models.<name>.criteria]]`` entry: a layer, a value function and a weight.

    Attributes
    ----------
    name : str
    layer : str
        Input or derived layer key (defaults to ``name``).
    weight : float
    function : dict
        ``{"function": name, **parameters}`` as :func:`steppe_geo.mcda.value_function_from_dict` reads.
    """

    name: str
    layer: str
    weight: float
    function: dict[str, Any]

    def to_mcda(self) -> Any:
        """The :class:`steppe_geo.mcda.Criterion` this entry describes."""
        from steppe_geo.mcda import Criterion, value_function_from_dict

        return Criterion(self.name, value_function_from_dict(self.function), self.weight, self.layer)


@dataclass(frozen=True)
class AHPJudgement:
    """One pairwise judgement of ``[models.<name>.ahp]``: ``row`` is ``value`` times as important as ``col``.

    Attributes
    ----------
    row, col : str
        Criterion names.
    value : float
        Saaty's 1–9 scale (or its reciprocals 1/9 … 1).
    key : str
        Key path of the judgement in the configuration (for messages).
    """

    row: str
    col: str
    value: float
    key: str


@dataclass(frozen=True)
class ModelConfig:
    """``[models.<name>]``: a preset or a model file, optionally edited, or a custom overlay.

    Attributes
    ----------
    name : str
        The table name (``wind`` in ``[models.wind]``).
    preset : str or None
        One of :data:`MODEL_PRESETS`; None for a model file or a fully custom model (then
        ``criteria`` is required).
    rule : str or None
        Combination rule (see :class:`steppe_geo.mcda.Rule`); None keeps the preset's.
    weights : dict
        Criterion name → weight overrides.
    criteria : tuple of CriterionConfig
        Criteria replacing the preset's ones of the same name, or added.
    constraints : tuple of dict
        Constraint dicts (:func:`steppe_geo.mcda.constraint_from_dict`), replacing by name or added.
    parameters : dict
        Preset parameters (e.g. ``hub_height_m``), passed to the preset function (or, for a model
        file, replacing the model's parameters of the same name).
    definition : dict or None
        A full model as :meth:`steppe_geo.models.Model.to_toml` writes it, read from
        ``model_file`` (relative to the configuration file) or given inline as ``[models.<name>.model]``.
    model_file : Path or None
        The file ``definition`` was read from.
    ahp : tuple of AHPJudgement
        Pairwise judgements (``[models.<name>.ahp]``); when given, the weights are the principal
        eigenvector of the comparison matrix (:func:`steppe_geo.mcda.ahp`) over every criterion.
    drop : tuple of str
        Input layers, constraints or criteria of the preset or model file to leave out
        (:meth:`steppe_geo.models.Model.without`): ``drop = ["railways", "homesteads"]``; their inputs
        are then no longer required. (``land_cover_legend = "nlcd"`` in the table is kept in
        ``parameters``.)
    ahp_random_index : str
        The random-index table of the AHP consistency ratio (``random_index`` in
        ``[models.<name>.ahp]``): ``saaty1980`` (default), ``alonso_lamata2006`` or
        ``donegan_dodd1991`` (:class:`steppe_geo.mcda.RandomIndex`).
    """

    name: str
    preset: str | None = None
    rule: str | None = None
    weights: dict[str, float] = field(default_factory=dict)
    criteria: tuple[CriterionConfig, ...] = ()
    constraints: tuple[dict[str, Any], ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    definition: dict[str, Any] | None = None
    model_file: Path | None = None
    ahp: tuple[AHPJudgement, ...] = ()
    drop: tuple[str, ...] = ()
    ahp_random_index: str = "saaty1980"

    @property
    def kind(self) -> str:
        """``"preset"``, ``"model file"``, ``"inline model"`` or ``"custom"`` (for messages)."""
        if self.preset is not None:
            return "preset"
        if self.definition is not None:
            return "model file" if self.model_file is not None else "inline model"
        return "custom"

    @property
    def label(self) -> str:
        """``"preset 'wind_onshore'"``, ``"model file 'wind.toml'"``, ... (for messages and tables)."""
        if self.preset is not None:
            return f"preset {self.preset!r}"
        if self.model_file is not None:
            return f"model file {self.model_file.name!r}"
        if self.definition is not None:
            return f"inline model {self.definition.get('name', self.name)!r}"
        return "custom overlay"


@dataclass(frozen=True)
class ParcelsConfig:
    """``[parcels]``: ranking polygons.

    Attributes
    ----------
    source : str
        Input name of the parcel polygons.
    id_column : str or None
        Unique parcel id column (None: the row index).
    name_column : str or None
        Column used in labels.
    top_k : int
        Parcels labelled on maps and listed in the report.
    rank_by : tuple of str
        Models whose scores rank the parcels (default: every model).
    select_by : str or None
        Model whose ranking drives the budgeted selection (default: the first of ``rank_by``).
    budget_ha : float or None
        Area budget (ha of eligible land) for the selection (None: no selection).
    monte_carlo_draws : int
        Weight draws for rank stability (0 switches it off).
    min_eligible_ha : float or None
        Parcels with less eligible land (ha) are not ranked or selected (``status`` says why).
        None (default): the area of 4 grid pixels, the least land a score should rest on.
    min_eligible_share : float
        Parcels whose eligible land is less than this share (0–1) of their area are not ranked
        or selected. Default 0.1: a parcel mostly excluded is not a candidate site, however good
        its few eligible pixels.
    region_min_area_ha : float or None
        Smallest candidate region kept (ha). None (default): the area of 4 grid pixels.
    """

    source: str = "parcels"
    id_column: str | None = None
    name_column: str | None = None
    top_k: int = 10
    rank_by: tuple[str, ...] = ()
    select_by: str | None = None
    budget_ha: float | None = None
    monte_carlo_draws: int = 1000
    min_eligible_ha: float | None = None
    min_eligible_share: float = 0.1
    region_min_area_ha: float | None = None


@dataclass(frozen=True)
class OutputsConfig:
    """``[outputs]``: what to write into ``directory``.

    Attributes
    ----------
    directory : Path
        Output folder (created; refused if it exists, unless ``--overwrite``). A relative
        ``outputs.directory`` is resolved against the current working directory when the
        configuration is loaded (not against the configuration file's folder).
    rasters : bool
        Score, eligibility and exclusion rasters as Cloud-Optimized GeoTIFFs.
    aligned_inputs : bool
        Also write every input raster aligned to the analysis grid.
    criteria : bool
        Also write each model's standardised criteria (0–1) as ``rasters/<model>/criteria/<name>.tif``.
    vectors : tuple of str
        Parcel outputs: any of ``gpkg``, ``shapefile`` (zipped), ``parquet``, ``flatgeobuf``, ``csv``
        (the summary table); exactly these are written (``parcels.export_bundle(formats=...)``).
    maps : tuple of str
        ``png`` and/or ``pdf``.
    report : bool
        The self-contained HTML report.
    """

    directory: Path = Path("steppe-geo-output")
    rasters: bool = True
    aligned_inputs: bool = False
    criteria: bool = False
    vectors: tuple[str, ...] = ("gpkg", "shapefile")
    maps: tuple[str, ...] = ("png", "pdf")
    report: bool = True


@dataclass(frozen=True)
class RunConfig:
    """``[run]``: how to execute.

    Attributes
    ----------
    mode : str
        ``"memory"`` (whole grid), ``"streamed"`` (window by window) or ``"dask"``.
    window : int
        Window size in pixels for streamed and Dask runs.
    scheduler : str or None
        Address of a ``dask.distributed`` scheduler (``tcp://host:8786``).
    workers : int or None
        Worker processes of a local Dask cluster.
    seed : int
        Random seed (Monte Carlo rank stability).
    """

    mode: str = "memory"
    window: int = 1024
    scheduler: str | None = None
    workers: int | None = None
    seed: int = 20261128


class RunMode(enum.Enum):
    """Execution modes (``run.mode``)."""

    MEMORY = "memory"
    STREAMED = "streamed"
    DASK = "dask"


@dataclass(frozen=True)
class Config:
    """A validated configuration (see :func:`load_config`).

    Attributes
    ----------
    name : str
        Project name (used in titles).
    inputs : dict
        Input name → ``Path`` (resolved, existing) — sample layers resolved to their files.
    grid : GridConfig
    models : dict
        Model table name → :class:`ModelConfig`, in file order.
    parcels : ParcelsConfig or None
    outputs : OutputsConfig
    run : RunConfig
    source : Path or None
        The configuration file.
    input_layers : dict
        Input name → layer, for inputs given as ``{ path = "...", layer = "..." }`` (a file with
        several layers).
    input_specs : dict
        Input name → :class:`InputSpec` (path and declared options) for every input; a
        configuration built without them (in Python) gets specs holding only the paths.
    """

    name: str
    inputs: dict[str, Path | str]
    grid: GridConfig
    models: dict[str, ModelConfig]
    parcels: ParcelsConfig | None
    outputs: OutputsConfig
    run: RunConfig
    source: Path | None = None
    input_layers: dict[str, str] = field(default_factory=dict)
    input_specs: dict[str, InputSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        specs = dict(self.input_specs)
        for k, p in self.inputs.items():
            if k not in specs:
                specs[k] = InputSpec(k, p if is_remote(p) else Path(p), layer=self.input_layers.get(k))
        object.__setattr__(self, "input_specs", specs)

    def spec(self, name: str) -> InputSpec:
        """The :class:`InputSpec` of input ``name``."""
        return self.input_specs[name]


# ----------------------------------------------------------------------------- checks
class _Checker:
    """Typed getters that raise ConfigError naming the key path."""

    def __init__(self, table: Mapping[str, Any], path: str, allowed: list[str]) -> None:
        if not isinstance(table, Mapping):
            raise ConfigError(f"{path}: expected a table, got {_show(table)}")
        for key in table:
            if key not in allowed:
                raise ConfigError(
                    f"{_join(path, key)}: unknown key{did_you_mean(key, allowed)} "
                    f"Valid keys are: {', '.join(allowed)}."
                )
        self.table = table
        self.path = path

    def key(self, name: str) -> str:
        return _join(self.path, name)

    def has(self, name: str) -> bool:
        return name in self.table

    def str(self, name: str, default: Any = None, *, required: bool = False) -> Any:
        if name not in self.table:
            if required:
                raise ConfigError(f"{self.key(name)}: missing (required)")
            return default
        v = self.table[name]
        if not isinstance(v, str) or not v:
            raise ConfigError(f"{self.key(name)}: expected a non-empty string, got {_show(v)}")
        return v

    def number(self, name: str, default: Any = None, *, low: float | None = None,
               low_open: bool = False, high: float | None = None) -> Any:
        if name not in self.table:
            return default
        v = self.table[name]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ConfigError(f"{self.key(name)}: expected a number, got {_show(v)}")
        if low is not None and (v <= low if low_open else v < low):
            op = ">" if low_open else ">="
            raise ConfigError(f"{self.key(name)}: must be {op} {low:g}, got {v!r}")
        if high is not None and v > high:
            raise ConfigError(f"{self.key(name)}: must be <= {high:g}, got {v!r}")
        return v

    def integer(self, name: str, default: Any = None, *, low: int | None = None) -> Any:
        if name not in self.table:
            return default
        v = self.table[name]
        if isinstance(v, bool) or not isinstance(v, int):
            raise ConfigError(f"{self.key(name)}: expected an integer, got {_show(v)}")
        if low is not None and v < low:
            raise ConfigError(f"{self.key(name)}: must be >= {low}, got {v!r}")
        return v

    def boolean(self, name: str, default: bool) -> bool:
        if name not in self.table:
            return default
        v = self.table[name]
        if not isinstance(v, bool):
            raise ConfigError(f"{self.key(name)}: expected true or false, got {_show(v)}")
        return v

    def choice(self, name: str, enum_cls: type[enum.Enum], default: Any = None) -> Any:
        if name not in self.table:
            return default
        return _choice(self.table[name], [str(m.value) for m in enum_cls], self.key(name))

    def choices(self, name: str, enum_cls: type[enum.Enum], default: tuple[str, ...]) -> tuple[str, ...]:
        if name not in self.table:
            return default
        v = self.table[name]
        if not isinstance(v, list):
            raise ConfigError(f"{self.key(name)}: expected a list, got {_show(v)}")
        valid = [str(m.value) for m in enum_cls]
        return tuple(_choice(item, valid, f"{self.key(name)}[{i}]") for i, item in enumerate(v))


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _show(v: Any) -> str:
    return f"{v!r} ({type(v).__name__})"


def _choice(value: Any, valid: list[str], key: str) -> str:
    norm = str(value).strip().lower().replace("_", "-") if isinstance(value, str) else None
    for v in valid:
        if norm == v.lower().replace("_", "-"):
            return v
    raise ConfigError(
        f"{key}: unknown {value!r}{did_you_mean(str(value), valid)} Valid values are: "
        f"{', '.join(repr(v) for v in valid)}."
    )


def _strip_prefix(message: str) -> str:
    """Drop a leading ``param:`` from a library error so the key path can replace it."""
    head, sep, rest = message.partition(": ")
    return rest if sep and " " not in head else message


_TOP = ["project", "inputs", "grid", "models", "parcels", "outputs", "run"]
_CRITERION_KEYS = {"name", "layer", "weight", "function"}


def _parse_criterion(item: Any, key: str) -> CriterionConfig:
    from steppe_geo.mcda import value_function_from_dict, value_function_names

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
    from steppe_geo.mcda import constraint_from_dict

    if not isinstance(item, Mapping):
        raise ConfigError(f"{key}: expected a table, got {_show(item)}")
    if item.get("type") == "setback" and "layer" not in item:
        return _parse_setback_edit(item, key, custom=custom)
    from steppe_geo.mcda.constraints import _REGISTRY as kinds  # the registered constraint types

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
    from steppe_geo.mcda import RULE_ALIASES, Rule

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
        from steppe_geo.models.land_cover import land_cover_legends

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


def _input_layer(name: str, value: Any) -> str | None:
    """The ``layer`` of an input given as ``{path = "...", layer = "..."}`` (None otherwise)."""
    if not isinstance(value, Mapping):
        return None
    layer = value.get("layer")
    if layer is not None and (not isinstance(layer, str) or not layer):
        raise ConfigError(f"inputs.{name}.layer: expected a layer name, got {_show(layer)}")
    return layer


def _input_spec(name: str, value: Any, path: Path | str) -> InputSpec:
    """The :class:`InputSpec` of ``inputs.<name>`` (a path string or a table of options)."""
    import codecs

    if not isinstance(value, Mapping):
        return InputSpec(name, path, written=value if isinstance(value, str) else None)
    c = _Checker(value, f"inputs.{name}", list(INPUT_OPTIONS))
    units = c.str("units")
    if units is not None:
        try:
            units = parse_unit(units, param=c.key("units")).symbol
        except InvalidParameterError as exc:
            raise ConfigError(str(exc)) from None
    scale = c.number("scale")
    if scale == 0:
        raise ConfigError(f"{c.key('scale')}: must not be 0 (values are raw * scale + offset)")
    band: Any = None
    if c.has("band"):
        band = value["band"]
        if band != "all" and (isinstance(band, bool) or not isinstance(band, int) or band < 1):
            raise ConfigError(
                f"{c.key('band')}: expected a band number 1, 2, ... or \"all\", got {_show(band)}")
    encoding = c.str("encoding")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(
                f"{c.key('encoding')}: {encoding!r} is not a known text encoding; use a name such as "
                "'utf-8', 'gbk', 'gb18030', 'big5', 'cp1251', 'cp1252' or 'latin-1'"
            ) from None
    return InputSpec(
        name, path, layer=_input_layer(name, value), kind=c.choice("kind", LayerKind),
        units=units, scale=None if scale is None else float(scale),
        offset=None if c.number("offset") is None else float(c.number("offset")),
        nodata=None if c.number("nodata") is None else float(c.number("nodata")),
        resampling=c.choice("resampling", ResamplingMethod), band=band, encoding=encoding,
        written=value["path"] if isinstance(value.get("path"), str) else None,
    )


def _resolve_input(name: str, value: Any, base: Path, sample: Mapping[str, Path] | None) -> Path | str:
    key = f"inputs.{name}"
    if isinstance(value, Mapping):
        _Checker(value, key, list(INPUT_OPTIONS))
        if "path" not in value:
            raise ConfigError(
                f"{key}.path: missing; write {key} = {{ path = \"file.gpkg\", layer = \"name\" }}")
        key, value = f"{key}.path", value["path"]
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key}: expected a file path (or 'sample:<layer>'), got {_show(value)}")
    if value.startswith(SAMPLE_PREFIX):
        layer = value[len(SAMPLE_PREFIX):]
        paths = sample if sample is not None else _sample_paths()
        if layer not in paths:
            raise ConfigError(
                f"{key}: the sample dataset has no layer {layer!r}{did_you_mean(layer, list(paths))} "
                f"Layers are: {', '.join(sorted(paths))}."
            )
        return Path(paths[layer])
    if is_remote(value):  # a URL stays as written (not resolved against base); opened early
        check_remote(value, key=key)
        return value
    p = Path(value).expanduser()
    if not p.is_absolute():
        p = base / p
    if not p.exists():
        raise InputNotFoundError(f"{key}: input file not found: {str(p)!r}")
    return p


def _sample_paths() -> dict[str, Path]:
    from steppe_geo import datasets

    return {k: Path(v) for k, v in datasets.sample_paths().items()}


def config_from_dict(data: Mapping[str, Any], *, base_dir: PathLike = ".",
                     source: PathLike | None = None, output_dir: PathLike | None = None) -> Config:
    """Validate a configuration given as a (TOML-decoded) mapping.

    Parameters
    ----------
    data : mapping
        The decoded TOML document.
    base_dir : path, default "."
        Folder against which relative input paths (and ``model_file``) are resolved.
    source : path, optional
        The file it came from (kept in :attr:`Config.source`).
    output_dir : path, optional
        Folder against which a relative ``outputs.directory`` is resolved (default: the current
        working directory).

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        Any schema violation; the message starts with the key path.
    InputNotFoundError
        An input file does not exist, or an input URL (``https://``, ``s3://``, ``/vsicurl/``)
        cannot be opened by GDAL (the message names the key and the path or URL).
    """
    base = Path(base_dir)
    top = _Checker(data, "", _TOP)
    project = _Checker(data.get("project", {}), "project", ["name"])
    name = project.str("name", "steppe-geo analysis")

    inputs_table = data.get("inputs", {})
    _Checker(inputs_table, "inputs", list(inputs_table) if isinstance(inputs_table, Mapping) else [])
    sample = None
    if any((isinstance(v, str) and v.startswith(SAMPLE_PREFIX))
           or (isinstance(v, Mapping) and str(v.get("path", "")).startswith(SAMPLE_PREFIX))
           for v in inputs_table.values()):
        sample = _sample_paths()
    inputs = {k: _resolve_input(k, v, base, sample) for k, v in inputs_table.items()}
    input_layers = {k: lay for k, v in inputs_table.items() if (lay := _input_layer(k, v)) is not None}
    input_specs = {k: _input_spec(k, v, inputs[k]) for k, v in inputs_table.items()}

    g = _Checker(data.get("grid", {}), "grid", ["aoi", "resolution_m", "projection", "margin_m"])
    grid = GridConfig(
        aoi=g.str("aoi", "aoi"),
        resolution_m=float(g.number("resolution_m", 100.0, low=0, low_open=True)),
        projection=g.choice("projection", Projection, "equal-area"),
        margin_m=float(g.number("margin_m", 0.0, low=0)),
    )
    if grid.aoi not in inputs:
        raise ConfigError(
            f"grid.aoi: {grid.aoi!r} is not an input{did_you_mean(grid.aoi, list(inputs)) or '.'} "
            f"Inputs are: {', '.join(inputs) or '(none)'}."
        )

    models_table = data.get("models", {})
    if not isinstance(models_table, Mapping):
        raise ConfigError(f"models: expected tables [models.<name>], got {_show(models_table)}")
    models = {m: _parse_model(m, t, base) for m, t in models_table.items()}

    parcels = None
    if "parcels" in data:
        p = _Checker(data["parcels"], "parcels", ["source", "id_column", "name_column", "top_k", "rank_by",
                                                  "select_by", "budget_ha", "monte_carlo_draws",
                                                  "min_eligible_ha", "min_eligible_share",
                                                  "region_min_area_ha"])
        rank_by = data["parcels"].get("rank_by", list(models))
        if isinstance(rank_by, str):
            rank_by = [rank_by]
        if not isinstance(rank_by, list):
            raise ConfigError(
                f"parcels.rank_by: expected a model name or a list of them, got {_show(rank_by)}"
            )
        for i, m in enumerate(rank_by):
            if m not in models:
                where = "parcels.rank_by" if isinstance(data["parcels"].get("rank_by"), str) \
                    else f"parcels.rank_by[{i}]"
                raise ConfigError(
                    f"{where}: {m!r} is not a model{did_you_mean(str(m), list(models)) or '.'} "
                    f"Models are: {', '.join(models) or '(none)'}."
                )
        parcels = ParcelsConfig(
            source=p.str("source", "parcels"),
            id_column=p.str("id_column"),
            name_column=p.str("name_column"),
            top_k=p.integer("top_k", 10, low=1),
            rank_by=tuple(rank_by),
            select_by=p.str("select_by"),
            budget_ha=p.number("budget_ha", None, low=0, low_open=True),
            monte_carlo_draws=p.integer("monte_carlo_draws", 1000, low=0),
            min_eligible_ha=p.number("min_eligible_ha", None, low=0),
            min_eligible_share=p.number("min_eligible_share", 0.1, low=0, high=1),
            region_min_area_ha=p.number("region_min_area_ha", None, low=0),
        )
        if parcels.source not in inputs:
            raise ConfigError(
                f"parcels.source: {parcels.source!r} is not an input"
                f"{did_you_mean(parcels.source, list(inputs)) or '.'} "
                f"Inputs are: {', '.join(inputs) or '(none)'}."
            )
        if parcels.select_by is not None and parcels.select_by not in parcels.rank_by:
            raise ConfigError(
                f"parcels.select_by: {parcels.select_by!r} is not one of parcels.rank_by "
                f"{list(parcels.rank_by)}{did_you_mean(parcels.select_by, list(parcels.rank_by))}"
            )

    o = _Checker(data.get("outputs", {}), "outputs",
                 ["directory", "rasters", "aligned_inputs", "criteria", "vectors", "maps", "report"])
    directory = Path(o.str("directory", "steppe-geo-output")).expanduser()
    out_base = Path(output_dir) if output_dir is not None else Path.cwd()
    outputs = OutputsConfig(
        directory=directory if directory.is_absolute() else out_base / directory,
        rasters=o.boolean("rasters", True),
        aligned_inputs=o.boolean("aligned_inputs", False),
        criteria=o.boolean("criteria", False),
        vectors=o.choices("vectors", VectorFormat, ("gpkg", "shapefile")),
        maps=o.choices("maps", MapFormat, ("png", "pdf")),
        report=o.boolean("report", True),
    )
    r = _Checker(data.get("run", {}), "run", ["mode", "window", "scheduler", "workers", "seed"])
    run = RunConfig(
        mode=r.choice("mode", RunMode, "memory"),
        window=r.integer("window", 1024, low=8),
        scheduler=r.str("scheduler"),
        workers=r.integer("workers", None, low=1),
        seed=r.integer("seed", 20261128, low=0),
    )
    if parcels is not None and run.mode != "memory":
        custom = [m for m in parcels.rank_by if models[m].kind == "custom"]
        if custom:
            raise ConfigError(
                f"parcels.rank_by: custom model {custom[0]!r} can rank parcels only with run.mode = 'memory' "
                f"(got {run.mode!r}); its standardised criteria are not kept in memory otherwise"
            )
    del top
    return Config(name, inputs, grid, models, parcels, outputs, run,
                  Path(source) if source is not None else None, input_layers, input_specs)


def parse_config(text: str, *, base_dir: PathLike = ".", source: PathLike | None = None,
                 output_dir: PathLike | None = None) -> Config:
    """Parse and validate TOML text (see :func:`config_from_dict`).

    A leading byte-order mark (as some Windows editors write) is ignored.

    Raises
    ------
    ConfigError
        Invalid TOML (with line and column) or schema violation (with the key path).
    """
    text = text.removeprefix("\ufeff")  # a byte-order mark (Windows editors) is not TOML, but harmless
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))  # a byte-order mark (Windows editors) is not TOML
    except tomllib.TOMLDecodeError as exc:
        where = f"{source}: " if source else ""
        raise ConfigError(f"{where}not valid TOML: {exc}") from None
    return config_from_dict(data, base_dir=base_dir, source=source, output_dir=output_dir)


def load_config(path: PathLike, *, output_dir: PathLike | None = None) -> Config:
    """Read and validate a TOML configuration file.

    Relative input paths inside it are resolved against its folder; a relative
    ``outputs.directory`` against ``output_dir`` (default: the current working directory).

    Parameters
    ----------
    path : path
        The ``.toml`` file.
    output_dir : path, optional
        Folder for a relative ``outputs.directory`` (default: the current working directory).

    Returns
    -------
    Config

    Raises
    ------
    InputNotFoundError
        The file, or an input it names, does not exist.
    ConfigError
        Invalid TOML or schema violation; the message names the key path, the bad value, the
        valid choices and the closest one.
    """
    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(f"configuration file not found: {str(p)!r}")
    try:
        text = p.read_text(encoding="utf-8-sig")  # UTF-8, with or without a byte-order mark
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{str(p)!r}: cannot read the configuration: it is not UTF-8 text (byte "
            f"{exc.object[exc.start]:#04x} at position {exc.start}); TOML files are UTF-8: save it as UTF-8 "
            "(with or without a BOM)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{str(p)!r}: cannot read the configuration: {exc}") from None
    return parse_config(text, base_dir=p.parent, source=p, output_dir=output_dir)


EXAMPLE_CONFIG = '''\
# steppe-geo configuration (TOML). Validate with:  steppe-geo validate THIS_FILE
# Run with:  steppe-geo run THIS_FILE   (add --overwrite to replace an existing output folder)
# Input paths (and model_file) are resolved against this file's folder; a relative
# outputs.directory against the folder you run steppe-geo from. "sample:<layer>" uses the bundled
# synthetic sample dataset (Kubuqi/Hobq, Ordos) so this file runs as written.

[project]
name = "Kubuqi wind, solar and restoration screening"

# Input layers: name = path. Rasters may come in any CRS and resolution; they are aligned
# to the analysis grid (bilinear/average for continuous layers, nearest/mode for classes).
# An input may also be a table declaring what its file does not say, e.g.
#   dem = { path = "dem_ft.tif", units = "ft" }     (rasters: kind, units, scale, offset, nodata,
#   townships = { path = "xiang.shp", encoding = "gbk" }   resampling, band; vectors: layer, encoding)
[inputs]
aoi = "sample:aoi"
dem = "sample:dem"
wind_speed_100m = "sample:wind_speed_100m"
weibull_k = "sample:weibull_k"
ghi = "sample:ghi"
ndvi = "sample:ndvi"
precipitation = "sample:precipitation"
pet = "sample:pet"
soil_texture = "sample:soil_texture"
soil_depth = "sample:soil_depth"
land_cover = "sample:land_cover"
parcels = "sample:parcels"
roads = "sample:roads"
railways = "sample:railways"
power_lines = "sample:power_lines"
substations = "sample:substations"
settlements = "sample:settlements"
homesteads = "sample:homesteads"
protected_areas = "sample:protected_areas"
water = "sample:water"
rivers = "sample:rivers"
airport = "sample:airport"
townships = "sample:townships"

# The analysis grid: a local equal-area projection centred on the AOI, in metres.
[grid]
aoi = "aoi"
resolution_m = 100          # pixel size (m)
projection = "equal-area"   # or "utm"
margin_m = 0                # extra margin (m) around the AOI

# Models: a preset (wind_onshore, solar_pv, desertification_esai, desertification_china,
# restoration_priority, pv_sand_control), or a complete model written by Model.to_toml()
# (model_file = "wind.toml", relative to this file), optionally edited; or a custom overlay
# (criteria and constraints only, no preset).
[models.wind]
preset = "wind_onshore"
# [models.wind.parameters]  # preset parameters (steppe-geo validate lists the valid names)
# hub_height_m = 120
# rule = "wlc"              # wlc, weighted-product, owa, fuzzy-and, fuzzy-or, fuzzy-product, ...
# [models.wind.weights]     # override weights by criterion name
# wind_speed = 0.5
# [models.wind.ahp]         # or: weights from AHP, one judgement per pair of criteria (Saaty 1-9);
# "wind_speed/grid_distance" = 3   # the report shows the consistency ratio CR (warning if > 0.10)
# "wind_speed/road_access" = 5     # ... all 10 pairs of the 5 criteria
# random_index = "saaty1980"       # RI table of CR: saaty1980, alonso_lamata2006, donegan_dodd1991
# [[models.wind.criteria]]  # replace (same name) or add a criterion
# name = "slope"
# layer = "slope_deg"
# function = "linear"       # any value function: linear, gaussian, small, large, fuzzy_linear, ...
# low = 15.0
# high = 0.0
# weight = 0.1
# [[models.wind.constraints]]  # replace (same name) or add a constraint
# type = "value_range"      # value_range, categories, setback, fraction, minimum_area
# name = "steep slopes"
# layer = "slope_deg"
# max = 15.0

[models.solar]
preset = "solar_pv"

[models.desertification]
preset = "desertification_esai"

[models.restoration]
preset = "restoration_priority"

# Parcels ranked by a model's score (exact, coverage-weighted zonal statistics).
[parcels]
source = "parcels"
top_k = 10                  # labelled on maps, listed in the report
rank_by = ["wind", "solar", "restoration"]   # models whose scores rank the parcels
select_by = "restoration"   # model whose ranking drives the budgeted selection
budget_ha = 10000           # select parcels under an eligible-area budget (exact MILP)
monte_carlo_draws = 500     # weight draws for rank stability (0 = off)
# min_eligible_ha = 10      # parcels with less eligible land are not ranked (default: 4 pixels)
min_eligible_share = 0.1    # nor those less than 10 % eligible (their status column says why)
# region_min_area_ha = 25   # smallest candidate region (default: 4 pixels)

[outputs]
directory = "steppe-geo-output"  # relative: created in the folder you run steppe-geo from
rasters = true              # COG score, eligibility and exclusion rasters
aligned_inputs = false      # also write every aligned input raster
criteria = false            # also write each model's standardised criteria (0-1)
vectors = ["gpkg", "shapefile"]  # gpkg, shapefile (zipped), parquet, flatgeobuf, csv
maps = ["png", "pdf"]
report = true               # one self-contained HTML file

[run]
mode = "memory"             # memory, streamed (window by window), dask
window = 1024               # window size (pixels) for streamed/dask runs
# scheduler = "tcp://127.0.0.1:8786"   # an existing dask.distributed scheduler
# workers = 2               # or a local Dask cluster with this many worker processes
seed = 20261128
'''
"""The commented example written by ``steppe-geo init``."""
