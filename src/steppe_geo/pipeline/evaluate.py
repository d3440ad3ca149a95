"""Models stage, evaluation: in memory, streamed window by window, or on Dask."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import xarray as xr

from steppe_geo.config import ModelConfig
from steppe_geo.errors import (
    InvalidParameterError,
)
from steppe_geo.pipeline.build import _custom_overlay, _quiet_ahp, build_model
from steppe_geo.pipeline.results import InputLayers, ModelOutput

SCHEDULER_TIMEOUT = "10s"
"""How long a run waits to connect to a ``--scheduler`` address before it fails."""


def evaluate_model(model: ModelConfig, layers: InputLayers) -> ModelOutput:
    """Evaluate one configured model in memory.

    Custom models (criteria given without a preset) are :class:`steppe_geo.mcda.Overlay`
    objects whose layers are the aligned input rasters; presets and model files are built with
    :func:`build_model` and evaluated by :func:`steppe_geo.models.run_model`. Both are bounded by
    the AOI polygon (``layers.aoi``): pixels outside it get bit 0 ``outside_aoi``.

    Returns
    -------
    ModelOutput
    """
    if model.kind == "custom":
        from steppe_geo.mcda import evaluate

        overlay = _custom_overlay(model)
        res = evaluate(overlay, layers.rasters, aoi=layers.aoi)
        return ModelOutput(model.name, res.score, res.eligible, res.exclusion,
                           list(res.overlay.exclusion_names), dict(res.weights), res,
                           _quiet_ahp(model, overlay.criterion_names), overlay)
    from steppe_geo.models import run_model

    m = build_model(model, inputs=list(layers.paths))
    res = run_model(m, {**layers.vectors, **layers.rasters}, grid=layers.grid, aoi=layers.aoi)
    return ModelOutput(model.name, res.score, res.eligible, res.exclusion, list(m.overlay().exclusion_names),
                       dict(res.weights), res, _quiet_ahp(model, m.criterion_names), m)


def _evaluate_from_files(model: ModelConfig, layers: InputLayers, client: Any, work: Path,
                         window: int, *, progress: bool = False) -> ModelOutput:
    """Evaluate a model window by window over aligned COGs in ``work``.

    With a Dask ``client`` each window is a task; without one the windows are evaluated in a
    plain streamed loop. ``progress`` shows one bar per pass, labelled with the model's name
    (windows done / total, ETA).
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
        in_memory = run_model(built, {**layers.vectors, **layers.rasters}, grid=layers.grid, aoi=layers.aoi)
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
                              outputs=outputs, aoi=layers.aoi, progress=model.name if progress else False)
    else:
        files = evaluate_streamed(overlay, sources, grid=layers.grid, out_dir=out, window=window,
                                  outputs=outputs, aoi=layers.aoi, progress=model.name if progress else False)
    score = read_raster(files["score"], name="score")
    eligible = read_raster(files["eligible"], kind="categorical", name="eligible")
    exclusion = read_raster(files["exclusion"], kind="categorical", name="exclusion")
    weights = dict(zip(overlay.criterion_names, map(float, overlay.normalized_weights), strict=True))
    return ModelOutput(model.name, score, eligible == 1, exclusion, list(overlay.exclusion_names), weights,
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
