"""Models stage, evaluation: in memory, streamed window by window, or on Dask."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import logging
import pickle
import secrets
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import xarray as xr
from tqdm import tqdm

from steppe_geo._cycles import collecting_windows
from steppe_geo.config import ModelConfig
from steppe_geo.criteria.vegetation import _RunningMean, fvc_endmembers
from steppe_geo.errors import (
    InvalidParameterError,
    MissingLayerError,
)
from steppe_geo.grid import GridWindow
from steppe_geo.io import open_lazy, read_window, tiled_writer, write_raster
from steppe_geo.io.raster import KIND_TAG, UNITS_TAG
from steppe_geo.io.warp import GDAL_CACHE_MB
from steppe_geo.mcda import evaluate
from steppe_geo.models import WHOLE_GRID, derivation_halo, derive_layers, run_model
from steppe_geo.models.desertification import classify_china, classify_esa
from steppe_geo.parcels import windowed_quantile
from steppe_geo.pipeline.build import _custom_overlay, _quiet_ahp, build_model
from steppe_geo.pipeline.overlay_files import evaluate_dask, evaluate_streamed
from steppe_geo.pipeline.results import InputLayers, ModelOutput

log = logging.getLogger(__name__)

TIME_MEAN_READ_BYTES = 16 * 2**20
"""Bytes of NDVI bands (as float32) read at a time for the time mean of a window (``_ndvi_endmembers``)."""

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
        overlay = _custom_overlay(model)
        res = evaluate(overlay, layers.layers, aoi=layers.aoi)
        return ModelOutput(model.name, res.score, res.eligible, res.exclusion,
                           list(res.overlay.exclusion_names), dict(res.weights), res,
                           _quiet_ahp(model, overlay.criterion_names), overlay)

    m = build_model(model, inputs=list(layers.paths))
    mres = run_model(m, {**layers.vectors, **layers.layers}, grid=layers.grid, aoi=layers.aoi)
    return ModelOutput(model.name, mres.score, mres.eligible, mres.exclusion,
                       list(m.overlay().exclusion_names), dict(mres.weights), mres,
                       _quiet_ahp(model, m.criterion_names), m)


@dataclass(frozen=True)
class WindowedResult:
    """What a streamed or Dask evaluation keeps of a preset model (the in-memory ``ModelResult``'s parts).

    Attributes
    ----------
    criteria : Dataset
        Every standardised criterion (float32, 0..1), read lazily from the run's ``criteria.tif``.
    layers : Dataset
        Every derived layer (``slope_deg``, ``esai``, ``pv_yield``, ...), read lazily from the
        run's work files, plus ``esa_class`` / ``china_sensitivity_class`` where the model has
        them, as :func:`steppe_geo.models.run_model`.
    """

    criteria: xr.Dataset
    layers: xr.Dataset


def _derived_tags(da: xr.DataArray) -> dict[str, str]:
    kind = "continuous" if np.issubdtype(da.dtype, np.floating) else "categorical"
    tags = {KIND_TAG: kind}
    if da.attrs.get("units"):
        tags[UNITS_TAG] = str(da.attrs["units"])
    return tags


def _derive_window(model: Any, files: Mapping[str, str], vectors: Mapping[str, Any],
                   parameters: Mapping[str, Mapping[str, Any]], win: GridWindow,
                   only: Sequence[str] | None = None) -> dict[str, xr.DataArray]:
    """Derived layers of one window: inputs read over the halo-padded window, the halo cropped off.

    ``files`` are the rasters the derivations read (inputs, and derived layers computed before);
    ``only`` the derived layers to compute (default: every one not in ``files``).
    """
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):  # the window, not GDAL's cache, sets the memory
        layers: dict[str, Any] = {k: read_window(p, win.padded, name=k) for k, p in files.items()}
    layers.update(vectors)
    out = derive_layers(model, layers, grid=win.padded_grid, parameters=parameters, only=only)
    rows, cols = win.inner
    return {k: v.isel(y=rows, x=cols) for k, v in out.items()}


def _derive_window_task(model: Any, files: Mapping[str, str], vectors: Mapping[str, Any],
                        parameters: Mapping[str, Mapping[str, Any]], win: GridWindow,
                        only: Sequence[str] | None = None) -> dict[str, tuple[np.ndarray, dict[str, str]]]:
    """One Dask task: the core arrays of a window's derived layers (and their file tags)."""
    with collecting_windows(collect_first=False) as collect:  # the window's DataArrays freed in the task
        out = {k: (np.asarray(v.values), _derived_tags(v))
               for k, v in _derive_window(model, files, vectors, parameters, win, only).items()}
        collect()
    return out


def _whole_grid_parameters(model: Any, layers: InputLayers, window: int) -> dict[str, dict[str, Any]]:
    """Parameters a windowed derivation needs from the whole grid: NDVI end-members of ``fractional_cover``.

    The end-members are percentiles of the layer's time mean over the whole grid; the mean is
    computed window by window (pixel-wise), then the percentiles of that one band. Models of one
    run reading the same NDVI file share the pass (:func:`_ndvi_endmembers` remembers it).
    """
    extra: dict[str, dict[str, Any]] = {}
    for d in model.derivations:
        params = model.resolved_parameters(d)
        if d.function != "fractional_cover" or d.inputs[0] not in layers.files or (
                params.get("ndvi_soil") is not None and params.get("ndvi_veg") is not None):
            continue
        path = Path(layers.files[d.inputs[0]])
        stat = path.stat()
        soil, veg = _ndvi_endmembers(str(path), stat.st_mtime_ns, stat.st_size, d.inputs[0], layers.grid,
                                     int(window))
        extra[d.name] = {"ndvi_soil": soil, "ndvi_veg": veg}
    return extra


@functools.lru_cache(maxsize=8)
def _ndvi_endmembers(path: str, mtime_ns: int, size: int, name: str, grid: Any,
                     window: int) -> tuple[float, float]:
    """NDVI end-members of one aligned file: its time mean window by window, then exact percentiles.

    The time mean is written window by window to a temporary tiled float32 file next to ``path``;
    the percentiles of :func:`steppe_geo.criteria.fvc_endmembers` (its default ``percentiles``) are
    then taken window by window by :func:`steppe_geo.parcels.windowed_quantile` on the mean as
    float64 — the values ``fvc_endmembers`` gives on the whole mean (``np.nanpercentile`` of the
    float64 values), without a whole-grid array (which at 5 m, 122 Mpx, held about 2.4 GB: the
    float32 mean, its float64 copy and ``nanpercentile``'s copy of the valid values).
    Cached by path, modification time and size (a rewritten file is read again), grid and window.

    Raises
    ------
    InvalidParameterError
        The layer has no valid value (as ``fvc_endmembers``).
    """
    lo, hi = inspect.signature(fvc_endmembers).parameters["percentiles"].default
    bands = int(open_lazy(path, name=name).sizes.get("band", 1))
    # GDAL's block cache capped (its default, 5 % of RAM, filled with NDVI blocks set the peak);
    # each window's DataArrays freed before the next (steppe_geo._cycles)
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB), collecting_windows() as collect, \
            tempfile.TemporaryDirectory(prefix=".ndvi_mean-", dir=Path(path).parent) as tmp:
        mean_path = Path(tmp) / f"{name}_time_mean.tif"
        with tiled_writer(mean_path, grid, dtype="float32", nodata=np.nan) as out:
            for w in grid.windows(window):
                part = _window_time_mean(path, w.core, name=name, bands=bands)
                out.write(part.astype(np.float32, copy=False)[np.newaxis], window=w.core)
                del part
                collect()
        mean = open_lazy(mean_path, name=name).chunk({"y": int(window), "x": int(window)}).astype(np.float64)
        soil, veg = (windowed_quantile(mean, p / 100, window=int(window)) for p in (lo, hi))
    if np.isnan(soil):
        raise InvalidParameterError(f"ndvi: no valid values to take percentiles of (layer {name!r})")
    return float(soil), float(veg)


def _window_time_mean(path: str, win: Any, *, name: str, bands: int,
                      budget: int = TIME_MEAN_READ_BYTES) -> np.ndarray:
    """Time mean of one window of a (time, y, x) file, read a few bands at a time.

    As :func:`steppe_geo.criteria.time_mean` of the whole window (``numpy.nanmean`` over the
    bands, bit for bit), holding one block of bands of at most ``budget`` bytes as float32 (at
    least one band), one sum and one count per pixel: the memory of a window does not grow with
    the number of bands.
    """
    per_read = max(1, int(budget) // (4 * int(win.width) * int(win.height)))
    acc = _RunningMean()
    # a read DataArray is in a reference cycle (rioxarray's accessor): freed before the next read
    with collecting_windows(collect_first=False) as collect:
        for b0 in range(1, bands + 1, per_read):
            part = read_window(path, win, name=name, bands=range(b0, min(bands, b0 + per_read - 1) + 1))
            acc.add(np.asarray(part.values))
            del part
            collect()
    return acc.result()


def _canonical(value: Any) -> Any:
    """A hashable, order-independent form of a derivation parameter (mappings sorted by key)."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return repr(value)


def _vector_key(gdf: Any) -> str:
    """Content hash of a vector layer (geometries and attributes), for :func:`_derivation_keys`."""
    return hashlib.sha256(pickle.dumps(gdf, protocol=5)).hexdigest()


def _derivation_keys(model: Any, files: Mapping[str, str], vectors: Mapping[str, Any], grid: Any,
                     parameters: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """What each derived layer of ``model`` is computed from, as a hash.

    The function, its parameters (the model's and the whole-grid ones) and, recursively, its
    inputs: an aligned raster by path, modification time and size, a vector layer by content, a
    derived layer by its own key. Two derivations with one key compute the same pixels, whatever
    their names or models (``distance_power_lines_m`` of the wind and solar presets).
    """
    keys: dict[str, str] = {}
    vector_keys = {k: _vector_key(v) for k, v in vectors.items()}
    for d in model.derivations:
        sources: list[tuple[str | int, ...]] = []
        for k in d.inputs:
            if k in keys:
                sources.append(("derived", keys[k]))
            elif k in files:
                st = Path(files[k]).stat()
                sources.append(("raster", str(Path(files[k]).resolve()), st.st_mtime_ns, st.st_size))
            else:
                sources.append(("vector", vector_keys.get(k, k)))
        params = {**model.resolved_parameters(d), **dict(parameters.get(d.name, {}))}
        text = repr((d.function, _canonical(params), tuple(sources), grid.crs.to_wkt(), tuple(grid.transform),
                     grid.shape))
        keys[d.name] = hashlib.sha256(text.encode()).hexdigest()
    return keys


@dataclass(eq=False)
class DerivedLayerFiles:
    """The derived-layer files one run has written so far, by what they are computed from.

    Made once per run (:func:`steppe_geo.pipeline.run`) and given to each model's
    :func:`derive_windowed`: a derivation with the same function, parameters and inputs as one
    another model of the run computed already is read from that model's file. It lives as long
    as the run (no other run sees it, nothing of it stays after the run).

    Attributes
    ----------
    files : dict derivation key → Path
        Keys as :func:`_derivation_keys` makes them (a hash of the function, its parameters and,
        recursively, its inputs).
    """

    files: dict[str, Path] = field(default_factory=dict)


def derive_windowed(model: Any, layers: InputLayers, *, out_dir: Path, window: int = 1024,
                    client: Any = None, progress: bool = False,
                    shared: DerivedLayerFiles | None = None) -> dict[str, Path]:
    """Compute a model's derived layers window by window (halo included) into tiled GeoTIFFs.

    Each window of the grid is read with the halo its derivations need
    (:func:`steppe_geo.models.derivation_halo`: 1 pixel for slope and aspect, chains added) from
    the aligned inputs (``layers.files``), the vectors are given whole (features beyond a window
    still count within a distance cap or setback), :func:`steppe_geo.models.derive_layers` runs
    on the padded window and the halo is cropped. Derivations that need the whole grid get their
    whole-grid parameters first (the NDVI end-members of fractional cover); a derivation that still
    needs the whole grid (an uncapped distance) is computed for the whole grid in memory, once.

    Parameters
    ----------
    model : steppe_geo.models.Model
    layers : InputLayers
        With ``files`` (aligned rasters on ``layers.grid``, from :func:`align_inputs`).
    out_dir : Path
        Folder for ``<derived layer>.tif``.
    window : int, default 1024
        Core window size in pixels.
    client : distributed.Client, optional
        With a client each window is a Dask task (workers read their windows from the files);
        without one the windows are computed in a plain loop.
    progress : bool, default False
        Show a progress bar of windows.
    shared : DerivedLayerFiles, optional
        The files of the models evaluated before in the same run: a derived layer found there
        (same function, parameters and inputs) is read from its file, not computed again; the
        model's own derived layers are added to it. Without it every layer is computed.

    Returns
    -------
    dict derived layer → Path, every derived layer of the model.

    Raises
    ------
    MissingLayerError
        A raster input of the model has no aligned file.
    """
    grid = layers.grid
    missing = [k for k in model.inputs if k not in layers.files and k not in layers.vectors]
    if missing:
        raise MissingLayerError(f"model {model.name!r} needs input layer(s) {missing}, which are not given")
    files = {k: str(layers.files[k]) for k in model.inputs if k in layers.files}
    vectors = {k: layers.vectors[k] for k in model.inputs if k in layers.vectors}
    parameters = _whole_grid_parameters(model, layers, window)
    halos = derivation_halo(model, grid=grid, parameters=parameters)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    # a derived layer another model of the run computed already (same function, parameters and
    # inputs) is read from its file like an input, not computed again
    shared = shared if shared is not None else DerivedLayerFiles()
    dkeys = _derivation_keys(model, files, vectors, grid, parameters)
    for d in model.derivations:
        done_path = shared.files.get(dkeys[d.name])
        if done_path is not None and done_path.exists():
            paths[d.name] = done_path
            files[d.name] = str(done_path)
    if paths:
        log.info("model %s: %s computed already by another model; read from their files", model.name,
                 sorted(paths))
    whole = [k for k, h in halos.items() if h == WHOLE_GRID and k not in paths]
    if whole:  # computed once for the whole grid, then read by every window like an input
        log.info("model %s: %s need the whole grid; computed in memory", model.name, whole)
        full = {k: read_window(p, name=k) for k, p in files.items()}
        done = derive_layers(model, {**full, **vectors}, grid=grid, parameters=parameters, only=whole)
        del full
        for k in whole:
            paths[k] = write_raster(done[k].rio.write_crs(grid.crs).rio.write_transform(grid.transform),
                                    out_dir / f"{k}.tif", overwrite=True)
            files[k] = str(paths[k])
        del done
    todo = [d.name for d in model.derivations if d.name not in files]


    # one pass over the windows per halo, smallest first: a window is read with the halo its own
    # derivations need (1 pixel for slope, the cap for a capped distance), not the largest halo of
    # the model; a derivation's halo covers its chain, so what it reads was written by an earlier
    # pass (or is computed in the same one)
    for halo in sorted({halos[k] for k in todo}):
        group = [k for k in todo if halos[k] == halo]
        wins = list(grid.windows(int(window), halo=halo))
        read: set[str] = set()  # the files this pass's derivations read, directly or through one another
        for d in model.derivations:
            if d.name in group:
                read.update(k for k in d.inputs if k in files)
        pass_files = {k: p for k, p in files.items() if k in read}
        writers: dict[str, Any] = {}

        def write(win: GridWindow, arrays: Mapping[str, tuple[np.ndarray, dict[str, str]]],
                  writers: dict[str, Any] = writers) -> None:
            for k, (arr, tags) in arrays.items():
                if k not in writers:
                    nodata = np.nan if np.issubdtype(arr.dtype, np.floating) else None
                    writers[k] = tiled_writer(out_dir / f"{k}.tif", grid, dtype=arr.dtype, nodata=nodata,
                                              tags=tags)
                writers[k].write(arr[np.newaxis] if arr.ndim == 2 else arr, window=win.core)

        label = f"{model.name}: derived layers" + (f" (halo {halo} px)" if halo else "")
        bar = tqdm(total=len(wins), desc=label, unit="window", disable=not progress)
        env = rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB)
        env.__enter__()
        try:
            if client is None:
                # a window's DataArrays are in reference cycles (rioxarray's accessor): freed after
                # each window, not when Python's collector next runs (steppe_geo._cycles)
                with collecting_windows() as collect:
                    for win in wins:
                        write(win, {k: (np.asarray(v.values), _derived_tags(v))
                                    for k, v in _derive_window(model, pass_files, vectors, parameters, win,
                                                               group).items()})
                        collect()
                        bar.update()
            else:
                import distributed

                model_f, vectors_f = client.scatter([model, vectors], broadcast=True)
                futures = [client.submit(_derive_window_task, model_f, pass_files, vectors_f, parameters, w,
                                         group, pure=False) for w in wins]  # one task per window
                index = {f.key: i for i, f in enumerate(futures)}
                for fut in distributed.as_completed(futures):
                    write(wins[index[fut.key]], fut.result())
                    fut.release()
                    bar.update()
        finally:
            bar.close()
            for w in writers.values():  # closed before a later pass reads them
                w.close()
            env.__exit__(None, None, None)
        for k in writers:
            paths[k] = out_dir / f"{k}.tif"
            files[k] = str(paths[k])
    for d in model.derivations:
        if d.name in paths:
            shared.files.setdefault(dkeys[d.name], paths[d.name])
    return {d.name: paths[d.name] for d in model.derivations if d.name in paths}


def _evaluate_from_files(model: ModelConfig, layers: InputLayers, client: Any, work: Path,
                         window: int, *, progress: bool = False,
                         shared: DerivedLayerFiles | None = None) -> ModelOutput:
    """Evaluate a model window by window: derived layers, then the overlay, over tiled files in ``work``.

    With a Dask ``client`` each window is a task; without one the windows are evaluated in a
    plain streamed loop. ``layers.files`` holds the aligned inputs (:func:`align_inputs`); the
    derived layers (:func:`derive_windowed`) and the overlay (``mcda.evaluate_streamed`` /
    ``evaluate_dask``) never hold a whole-grid array, nor does the result: its score, eligibility
    (uint8 1/0), exclusions, criteria and derived layers are lazily opened files. ``shared``:
    the derived layers of the run's models so far (:class:`DerivedLayerFiles`).
    """
    sources: dict[str, Path] = {k: Path(v) for k, v in layers.files.items()}
    derived: dict[str, Path] = {}
    if model.kind != "custom":
        built = build_model(model, inputs=list(layers.paths))
        derived = derive_windowed(built, layers, out_dir=work / "layers" / model.name, window=window,
                                  client=client, progress=progress, shared=shared)
        sources.update(derived)
        overlay = built.overlay()
    else:
        overlay = built = _custom_overlay(model)
    for key in overlay.required_layers():
        if key not in sources:
            raise MissingLayerError(f"models.{model.name} needs raster input {key!r}, which is not given")
    needed = {k: sources[k] for k in overlay.required_layers()}
    out = work / "results" / model.name
    outputs = ("score", "eligible", "exclusion")
    if client is not None:
        files = evaluate_dask(overlay, needed, grid=layers.grid, out_dir=out, client=client, window=window,
                              outputs=outputs, write_criteria=True, aoi=layers.aoi,
                              progress=model.name if progress else False, cog=False)
    else:
        files = evaluate_streamed(overlay, needed, grid=layers.grid, out_dir=out, window=window,
                                  outputs=outputs, write_criteria=True, aoi=layers.aoi,
                                  progress=model.name if progress else False, cog=False)
    # score, eligibility, exclusions, criteria and derived layers stay in their files, opened lazily:
    # the later stages read them window by window (res.files); the work folder lives until the end
    # of the run. eligible is eligible.tif as written: uint8, 1 = eligible, 0 = not (not a bool
    # array, which would need a whole-grid read)
    score = open_lazy(files["score"], name="score")
    eligible = open_lazy(files["eligible"], name="eligible")
    exclusion = open_lazy(files["exclusion"], name="exclusion")
    crit = open_lazy(files["criteria"], name="criteria")
    if crit.ndim == 2:  # one criterion: one band
        crit = crit.expand_dims(band=[1])
    criteria = xr.Dataset({name: crit.isel(band=i, drop=True).rename(name)
                           for i, name in enumerate(overlay.criterion_names)})
    result = None
    if model.kind != "custom":
        ds = {k: open_lazy(p, name=k) for k, p in derived.items()}
        # the classes stay lazy too: classified block by block when read (never a whole-grid array)
        for src, dst, classify in (("esai", "esa_class", classify_esa),
                                   ("china_sensitivity", "china_sensitivity_class", classify_china)):
            if src in ds:
                lazy = ds[src].chunk({"y": window, "x": window})
                ds[dst] = lazy.copy(data=lazy.data.map_blocks(classify, dtype=np.uint8)).rename(dst)
        ds_layers = xr.Dataset({k: v.drop_vars("spatial_ref", errors="ignore") for k, v in ds.items()})
        ds_layers.rio.write_crs(layers.grid.crs, inplace=True)  # in place: no deep copy of every layer
        ds_layers.rio.write_transform(layers.grid.transform, inplace=True)
        result = WindowedResult(criteria, ds_layers)
    weights = dict(zip(overlay.criterion_names, map(float, overlay.normalized_weights), strict=True))
    return ModelOutput(model.name, score, eligible, exclusion, list(overlay.exclusion_names), weights,
                       result, _quiet_ahp(model, overlay.criterion_names), built,
                       files={**{k: Path(v) for k, v in files.items()}, **derived})


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int | None, *, key: str = "--scheduler",
                shared: Path | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: to ``scheduler`` if given, else a local cluster of ``workers`` processes.

    Yields None when neither is given (in-memory run). The local cluster's dashboard listens on
    a free port (the default 8787 may be taken); its workers are processes with one thread each
    (numpy and GDAL kernels hold the GIL part of the time: threads would not run in parallel).

    Parameters
    ----------
    scheduler : str or None
        Address of a running scheduler (``tcp://host:8786``); waits up to
        :data:`SCHEDULER_TIMEOUT` for it.
    workers : int or None
        Worker processes of a local cluster (when no scheduler is given).
    key : str, default "--scheduler"
        Where the address came from, for the error message (``run.scheduler`` for a config).
    shared : Path, optional
        A folder every worker of ``scheduler`` must see: the run's staging folder, where this
        process writes the intermediates the workers read. Checked at once: this process writes a
        token file into it and every connected worker must read it back.

    Raises
    ------
    InvalidParameterError
        The scheduler cannot be reached, or a worker cannot read ``shared`` (no shared storage).
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
            if shared is not None:
                _check_workers_see(client, Path(shared), key=key, scheduler=scheduler)
            yield client
        return
    # dashboard on a free port: the default 8787 may be taken (another cluster, another user)
    with distributed.LocalCluster(n_workers=int(workers or 1), threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        yield client


SHARED_TOKEN = ".steppe_geo-shared-check"
"""File written into the staging folder to check that the Dask workers see it (removed at once)."""


def _read_token(path: str) -> str | None:
    """On a worker: the text of ``path``, or None if this worker cannot read it."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return None


def _check_workers_see(client: Any, folder: Path, *, key: str, scheduler: str) -> None:
    """Every connected worker reads back a token written into ``folder``, or InvalidParameterError."""
    token_file = folder.resolve() / SHARED_TOKEN
    token = secrets.token_hex(16)
    token_file.write_text(token, encoding="utf-8")
    try:
        seen = client.run(_read_token, str(token_file))
    finally:
        token_file.unlink(missing_ok=True)
    blind = sorted(w for w, text in seen.items() if text != token)
    if blind:
        raise InvalidParameterError(
            f"{key}: {len(blind)} of the {len(seen)} workers of {scheduler!r} ({', '.join(blind)}) cannot "
            f"read the run's staging folder {str(folder.resolve())!r}: a Dask run writes its intermediates "
            "there and the workers read them, so outputs.directory must be on storage every worker mounts "
            "at the same path (NFS, Lustre, a shared volume); see docs/guide/cluster.md"
        )
