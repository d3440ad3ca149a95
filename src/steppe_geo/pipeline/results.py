"""Result types of a run: aligned inputs, model outputs, parcel outputs, the run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import xarray as xr

from steppe_geo._deprecation import renamed_attribute
from steppe_geo.grid import Grid


# ----------------------------------------------------------------------------- results
@dataclass
class InputLayers:
    """Inputs aligned to the analysis grid.

    Attributes
    ----------
    grid : Grid
    layers : dict name → DataArray
        The rasters, aligned onto ``grid``. Was ``rasters`` (a deprecated alias until 0.3.0).
    vectors : dict name → GeoDataFrame
        In ``grid.crs``, clipped to the grid's bounds grown by :data:`VECTOR_MARGIN_M`.
    paths : dict name → Path or str
        The source files (a URL input stays a string, :func:`steppe_geo.io.remote.input_path`).
    seconds : float
        Time taken to load and align everything.
    aoi : GeoDataFrame or None
        The area-of-interest polygon(s) in ``grid.crs``; the analysis is bounded by them
        (pixels whose centre is outside are excluded, bit 0 ``outside_aoi``). None: the whole grid.
    files : dict name → Path
        Streamed and Dask runs: each raster aligned onto ``grid`` as a tiled GeoTIFF
        (:func:`steppe_geo.pipeline.align_inputs`), which the windowed stages read window by
        window; empty in memory mode.
    """

    grid: Grid
    layers: dict[str, xr.DataArray]
    vectors: dict[str, gpd.GeoDataFrame]
    paths: dict[str, Path | str]
    seconds: float = 0.0
    aoi: gpd.GeoDataFrame | None = None
    files: dict[str, Path] = field(default_factory=dict)

    rasters = renamed_attribute("rasters", "layers", since="0.2.0")


@dataclass
class ModelOutput:
    """A model's rasters as the pipeline uses them.

    Attributes
    ----------
    name : str
    score : DataArray float32 (0..1, NaN where ineligible)
    eligible : DataArray bool
        In a windowed run (``files`` non-empty) ``eligible.tif`` opened lazily: uint8, 1 =
        eligible, 0 = not (test ``== 1`` on a window you read, never on the whole array).
    exclusion : DataArray unsigned int (bit i = ``constraint_names[i]``)
        In a windowed run ``score``, ``eligible`` and ``exclusion`` are lazily read files
        (:func:`steppe_geo.io.open_lazy`): ``.values`` reads the whole grid, so the later stages
        read ``files[...]`` (or ``.isel`` of these arrays) window by window instead.
    constraint_names : list of str
        Names of the exclusion bits in order: ``outside_aoi``, ``no_data``, then the model's
        constraints (:func:`steppe_geo.mcda.exclusion_bit_names`).
    weights : dict criterion → normalised weight
    result : object
        The full result (``OverlayResult`` or the models result), None after a Dask run of a
        custom overlay.
    ahp : AHPResult or None
        The AHP comparison behind ``weights`` (None: direct weights).
    model : object
        The evaluated :class:`steppe_geo.models.Model` (or :class:`steppe_geo.mcda.Overlay`).
    files : dict name → Path
        Streamed and Dask runs: the model's rasters on the analysis grid as tiled GeoTIFFs
        (``score``, ``eligible``, ``exclusion``, ``criteria`` and every derived layer by name),
        which the later stages read window by window; empty in memory mode.
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
    files: dict[str, Path] = field(default_factory=dict)


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
    outside_aoi : int
        Parcels of the layer left out because they lie wholly outside the area of interest.
    turbines : GeoDataFrame or None
        ``[parcels.turbines]``: turbine points of the best parcels
        (:func:`steppe_geo.parcels.turbine_layouts`).
    turbine_summary : GeoDataFrame or None
        Per laid-out parcel (its outline): rank, turbines, MW, gross and net MWh/yr, wake loss %;
        with ``[parcels.hybrid]`` also the hybrid columns (``delivered_mwh_yr``, ``hybrid_rank``, ...).
    hybrid_profiles : HybridProfiles or None
        ``[parcels.hybrid]``: the reference record's wind and PV capacity factors
        (:class:`steppe_geo.pipeline.hybrid.HybridProfiles`), for the report's chart.
    """

    model: str
    ranked: gpd.GeoDataFrame
    regions: gpd.GeoDataFrame | None = None
    stability: Any = None
    selection: Any = None
    outside_aoi: int = 0
    turbines: gpd.GeoDataFrame | None = None
    turbine_summary: Any = None
    hybrid_profiles: Any = None
