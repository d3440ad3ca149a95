"""A whole run: check, stage the output folder, inputs, models, parcels, outputs, maps and report."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd

from steppe_geo import __version__, datasets
from steppe_geo._typing import PathLike
from steppe_geo._validation import did_you_mean
from steppe_geo.config import Config, GridConfig, ModelConfig, OutputsConfig, ParcelsConfig, RunConfig
from steppe_geo.errors import (
    ConfigError,
)
from steppe_geo.grid import Grid
from steppe_geo.io import provenance_record, read_vector, write_json, write_text
from steppe_geo.io.provenance import fixed_creation_dates
from steppe_geo.io.warp import GDAL_CACHE_MB
from steppe_geo.io.window_files import gdal_cache
from steppe_geo.pipeline.build import configured_input_kinds
from steppe_geo.pipeline.check import check_config, effective_mode
from steppe_geo.pipeline.estimate import estimate_run
from steppe_geo.pipeline.evaluate import DerivedLayerFiles, _evaluate_from_files, dask_client, evaluate_model
from steppe_geo.pipeline.inputs import align_inputs, build_grid, load_inputs, summarize_inputs
from steppe_geo.pipeline.parcels import run_parcels
from steppe_geo.pipeline.report import _maps_and_report
from steppe_geo.pipeline.results import RunResult
from steppe_geo.pipeline.staging import interrupt_on_signals, staged_output_dir
from steppe_geo.pipeline.summary import _count, _model_summary, _parcel_summary, _summary_text, aoi_summary
from steppe_geo.pipeline.write import _write_outputs, _write_parcels

log = logging.getLogger(__name__)


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
        The output folder exists and ``overwrite`` is False (nothing changed), checked at the
        start and again before the final rename.
    OutputLockedError
        Another run is writing the same output folder (raised before any work).
    OutputNotWritableError
        The output folder cannot be written (read-only, or the disk is full: the message names
        the path and the free space).
    KeyboardInterrupt
        Ctrl-C (SIGINT), or :class:`~steppe_geo.pipeline.staging.RunTerminated` for SIGTERM: the
        run stops, its staging folder is removed and no output folder is left.
    """
    t0 = time.perf_counter()
    key = "--scheduler" if scheduler is not None else "run.scheduler"
    scheduler = scheduler if scheduler is not None else config.run.scheduler
    workers = workers if workers is not None else config.run.workers
    # everything that can be checked without reading a raster is checked first
    check_config(config, scheduler=scheduler, workers=workers)  # sizes too: may refuse memory mode
    mode = effective_mode(config, scheduler=scheduler, workers=workers)
    expected_bytes = estimate_run(config, mode=mode).output_bytes  # free space is checked against it
    if mode == "dask" and scheduler is None and workers is None:
        workers = 2
    out = Path(out_dir) if out_dir is not None else config.outputs.directory
    timings: dict[str, float] = {}
    # streamed and Dask runs: GDAL's block cache capped for every stage of this process (its
    # default, 5 % of RAM, would let the cache, not the window, set the peak memory; docs/scale.md)
    gdal_env = gdal_cache(GDAL_CACHE_MB) if mode != "memory" else contextlib.nullcontext()
    # the output folder is locked for the whole run (a concurrent run fails here, before any work);
    # Ctrl-C and SIGTERM unwind the run: the staging folder goes, the lock is released
    # SOURCE_DATE_EPOCH, when set, fixes every date written (reproducible outputs)
    with interrupt_on_signals(), fixed_creation_dates(), \
            staged_output_dir(out, overwrite=overwrite, inputs=config.sources,
                              expected_bytes=expected_bytes) as stage, \
            contextlib.ExitStack() as cluster, \
            gdal_env:
        # connect to the scheduler (or start the local cluster) before any heavy work: fail fast
        client = cluster.enter_context(dask_client(scheduler, workers, key=key, shared=stage))
        grid = build_grid(config.sources, config.grid, layers=config.input_layers, specs=config.input_specs)
        log.info("analysis grid: %s", grid.describe())
        work = stage / ".work"  # streamed and Dask runs: tiled intermediates, removed before the end
        windowed = not (client is None and mode == "memory")
        kinds = configured_input_kinds(config)  # as the models read each input (vector, classes, ...)
        if windowed:  # every raster aligned strip by strip into a tiled file (bounded memory)
            layers = align_inputs(config.sources, grid, work, layers=config.input_layers,
                                  specs=config.input_specs, kinds=kinds, client=client, progress=progress)
        else:
            layers = load_inputs(config.sources, grid, layers=config.input_layers, specs=config.input_specs,
                                 kinds=kinds, progress=progress)
        layers.aoi = read_aoi(config, grid)
        timings["load_and_align"] = layers.seconds
        t1 = time.perf_counter()
        if not windowed:
            results = {name: evaluate_model(m, layers) for name, m in config.models.items()}
        else:
            log.info("running %s", f"on Dask: {client}" if client is not None else "streamed")
            # derived layers and overlay window by window (one Dask task per window on a cluster);
            # the models of this run (and no other) share derived layers computed alike
            shared = DerivedLayerFiles()
            results = {name: _evaluate_from_files(m, layers, client, work, config.run.window,
                                                  progress=progress, shared=shared)
                       for name, m in config.models.items()}
            del shared
        cluster.close()  # no workers idle (holding memory) through the parcels stage
        timings["models"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        parcel_results = run_parcels(config, layers, results, progress=progress)
        timings["parcels"] = time.perf_counter() - t1
        provenance = provenance_record(config.sources, config=str(config.source) if config.source else None,
                                       grid=grid.describe(), steppe_geo=__version__)
        t2 = time.perf_counter()
        if client is not None:  # the rasters and maps are written by the workers again
            client = cluster.enter_context(dask_client(scheduler, workers, key=key, shared=stage))
        # one Dask task per raster on the workers (a windowed run with a client); the parcel files are
        # written here meanwhile
        _write_outputs(stage, config, layers, results, provenance, progress=progress, client=client,
                       meanwhile=lambda: _write_parcels(stage, config, layers, results, parcel_results))
        timings["write"] = time.perf_counter() - t2
        summary = {"name": config.name, **summarize_inputs(layers), "aoi": aoi_summary(layers)}
        counts = {k: _count(r, grid) for k, r in results.items()}  # one window pass: summary and legends
        summary["models"] = {k: _model_summary(config.models[k], r, grid, counts[k])
                             for k, r in results.items()}
        summary["parcels"] = {m: _parcel_summary(po, config) for m, po in parcel_results.items()}
        summary["provenance"] = provenance
        if config.outputs.maps or config.outputs.report:
            t3 = time.perf_counter()
            _maps_and_report(stage, config, layers, results, summary, parcel_results, progress=progress,
                             client=client, counts=counts)  # one Dask task per map with a client
            timings["maps_and_report"] = time.perf_counter() - t3
        cluster.close()
        shutil.rmtree(work, ignore_errors=True)  # the aligned inputs were read until here
        files = sorted(str(p.relative_to(stage)) for p in stage.rglob("*") if p.is_file())
        summary["files"] = [*files, "summary.json", "summary.txt"]
        summary["total_seconds"] = round(time.perf_counter() - t0, 2)
        timings["total"] = summary["total_seconds"]
        summary["timings_seconds"] = {k: round(v, 2) for k, v in timings.items()}
        write_json(summary, stage / "summary.json")
        write_text(_summary_text(summary), stage / "summary.txt")
    log.info("wrote %d files into %s in %.1f s", len(summary["files"]), out, summary["total_seconds"])
    return RunResult(out, sorted(summary["files"]), summary, timings)


def read_aoi(config: Config, grid: Grid) -> gpd.GeoDataFrame:
    """The AOI polygon(s) of a configuration (input ``grid.aoi``) in the grid's CRS.

    Parameters
    ----------
    config : Config
    grid : Grid
        The analysis grid (from :func:`steppe_geo.pipeline.build_grid`).

    Returns
    -------
    GeoDataFrame
        The AOI layer's polygons, reprojected to ``grid.crs``.
    """
    name = config.grid.aoi
    return read_vector(config.sources[name], layer=config.input_layers.get(name), crs=grid.crs,
                       role="polygons")


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
    paths: dict[str, Path | str] = {k: Path(v) for k, v in datasets.sample_paths().items()}
    return Config(
        name="steppe-geo demo: Kubuqi (Hobq) sample data (synthetic)",
        sources=paths,
        grid=GridConfig(aoi="aoi", resolution_m=float(resolution_m)),
        models={name: ModelConfig(name, preset) for name, preset in (
            ("wind", "wind_onshore"), ("solar", "solar_pv"), ("desertification", "desertification_esai"),
            ("restoration", "restoration_priority"))},
        parcels=ParcelsConfig(source="parcels", id_column="parcel_id", name_column="name_zh", top_k=10,
                              rank_by=("wind", "solar", "restoration"), select_by="restoration",
                              budget_ha=10_000.0, n_draws=500),
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
