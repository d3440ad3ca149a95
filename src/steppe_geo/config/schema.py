"""The checked configuration: the dataclasses and enums a TOML file is read into."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steppe_geo._deprecation import renamed_attribute
from steppe_geo.io.remote import is_remote
from steppe_geo.mcda import Criterion, value_function_from_dict

__all__ = [
    "INPUT_OPTIONS",
    "MODEL_PRESETS",
    "SAMPLE_PREFIX",
    "AHPJudgement",
    "Config",
    "CriterionConfig",
    "GridConfig",
    "HybridConfig",
    "InputSpec",
    "MapFormat",
    "ModelConfig",
    "OutputsConfig",
    "ParcelsConfig",
    "Projection",
    "RunConfig",
    "RunMode",
    "VectorFormat",
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
"""Keys of an input given as a table (``[sources.dem] path = "dem.tif", units = "ft"``)."""


@dataclass(frozen=True)
class InputSpec:
    """One ``[sources]`` entry with its declared semantics (all optional except ``path``).

    ``dem = "dem.tif"`` gives a spec with only ``path``; ``[sources.dem] path = "dem.tif",
    units = "ft"`` declares more. Raster options are honoured by :func:`steppe_geo.io.read_raster`
    and vector options by :func:`steppe_geo.io.read_vector` (arguments of the same names).

    Attributes
    ----------
    name : str
        The input's name (``dem`` in ``[sources.dem]``).
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
        Name of the input (in ``[sources]``) holding the area of interest polygon.
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
class TurbinesConfig:
    """``[parcels.turbines]``: turbine layouts with wake losses on the best parcels of a wind model.

    Attributes
    ----------
    model : str
        The wind model (one of ``parcels.rank_by``) whose eligibility and ranking are used.
    top : int
        Layouts for this many best-ranked parcels (default 20).
    curve : str
        Shipped power curve (``steppe_geo.criteria.available_power_curves()``).
    along_d, across_d : float
        Spacing ellipse in rotor diameters along and across the prevailing wind (8 and 4).
    wake_decay : float
        Jensen wake decay constant k (0.075 onshore).
    wind_direction : str or None
        Input name of a raster of the direction the wind blows from (°); None: the direction of
        ``sector_frequency``'s largest energy share.
    mean_speed : str
        Input name of the hub-height mean wind speed raster (m/s).
    weibull_k : str or None
        Input name of a Weibull shape raster (its mean over the area); None: k = 2.
    sector_frequency : tuple of float
        Share of time per direction sector (12 sectors centred on 0°, 30°, …; default equal).
    """

    model: str
    top: int = 20
    curve: str = "nrel_6mw_170"
    along_d: float = 8.0
    across_d: float = 4.0
    wake_decay: float = 0.075
    wind_direction: str | None = None
    mean_speed: str = "wind_speed_100m"
    weibull_k: str | None = None
    sector_frequency: tuple[float, ...] = (1.0,) * 12


@dataclass(frozen=True)
class HybridConfig:
    """``[parcels.hybrid]``: the laid-out parcels of ``[parcels.turbines]`` ranked as wind + PV hybrids.

    Each parcel gets the wind MW of its turbine layout and PV on ``solar_share`` of its area at
    ``solar_mw_per_km2``; the reference station record (hub-height wind through the turbines'
    power curve, PV through the hourly yield chain) is scaled to the parcel's mean hub-height
    speed and annual GHI and the parcel ranked by the energy delivered through a shared export
    limit (:func:`steppe_geo.parcels.rank_hybrid`).

    Attributes
    ----------
    record : Path
        Station record CSV (NSRDB / TMY / plain; :func:`steppe_geo.io.read_station_record`),
        resolved against the configuration file's folder.
    columns, units : tuple of (str, str) pairs
        Column mapping and units of the record (``read_station_record``'s ``columns``/``units``;
        empty: the NSRDB defaults).
    time_column : str or None
        Column of ISO time stamps (None: Year/Month/Day/Hour/Minute columns).
    wind_height_m : float or None
        Height of the record's wind speed (m); None: the file's (2 m for NSRDB).
    location : tuple of float or None
        (latitude, longitude, elevation_m) of the station for files without NSRDB metadata.
    hub_height_m : float
        Hub height the record's wind is taken to (m, default 120).
    roughness_m : float
        Roughness length z0 of the log law from the record's height to the hub (m, default 0.03).
    solar_share : float
        Share (0–1) of a parcel's area under PV (default 0.2).
    solar_mw_per_km2 : float
        PV capacity density (MW DC per km² of PV area, default 50).
    export_ratio : float
        Export limit as a share of the larger of a parcel's wind and PV capacities (default 1).
    optimise_mix : bool
        Also report the wind share of the same total capacity that delivers the most.
    speed : str
        Input name of the hub-height mean wind speed raster (m/s); default ``[parcels.turbines]``'s
        ``mean_speed``.
    ghi : str
        Input name of the annual GHI raster (kWh/m²/yr); default ``"ghi"``.
    """

    record: Path
    columns: tuple[tuple[str, str], ...] = ()
    units: tuple[tuple[str, str], ...] = ()
    time_column: str | None = None
    wind_height_m: float | None = None
    location: tuple[float, float, float] | None = None
    hub_height_m: float = 120.0
    roughness_m: float = 0.03
    solar_share: float = 0.2
    solar_mw_per_km2: float = 50.0
    export_ratio: float = 1.0
    optimise_mix: bool = False
    speed: str = "wind_speed_100m"
    ghi: str = "ghi"


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
    n_draws : int
        Weight draws for rank stability (0 switches it off), the ``n_draws`` of
        :func:`steppe_geo.parcels.rank_stability`. Was ``monte_carlo_draws`` (the TOML key and
        the attribute are deprecated aliases until 0.3.0).
    min_eligible_ha : float or None
        Parcels with less eligible land (ha) are not ranked or selected (``status`` says why).
        None (default): the area of 4 grid pixels, the least land a score should rest on.
    min_eligible_share : float
        Parcels whose eligible land is less than this share (0–1) of their area are not ranked
        or selected. Default 0.1: a parcel mostly excluded is not a candidate site, however good
        its few eligible pixels.
    region_min_area_ha : float or None
        Smallest candidate region kept (ha). None (default): the area of 4 grid pixels.
    turbines : TurbinesConfig or None
        ``[parcels.turbines]``: turbine layouts and wake losses (None: not computed).
    hybrid : HybridConfig or None
        ``[parcels.hybrid]``: the laid-out parcels ranked as wind + PV hybrids (None: not computed).
    """

    source: str = "parcels"
    id_column: str | None = None
    name_column: str | None = None
    top_k: int = 10
    rank_by: tuple[str, ...] = ()
    select_by: str | None = None
    budget_ha: float | None = None
    n_draws: int = 1000
    min_eligible_ha: float | None = None
    min_eligible_share: float = 0.1
    region_min_area_ha: float | None = None
    turbines: TurbinesConfig | None = None
    hybrid: HybridConfig | None = None

    monte_carlo_draws = renamed_attribute("monte_carlo_draws", "n_draws", since="0.2.0")


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
    sources : dict
        ``[sources]``: input name → ``Path`` (resolved, existing) — sample layers resolved to their
        files. Was ``inputs`` (``Config.inputs`` answers with a deprecation warning until 0.3.0).
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
    sources: dict[str, Path | str]
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
        for k, p in self.sources.items():
            if k not in specs:
                specs[k] = InputSpec(k, p if is_remote(p) else Path(p), layer=self.input_layers.get(k))
        object.__setattr__(self, "input_specs", specs)

    def spec(self, name: str) -> InputSpec:
        """The :class:`InputSpec` of input ``name``."""
        return self.input_specs[name]

    inputs = renamed_attribute("inputs", "sources", since="0.2.0")
