"""Outputs stage: model rasters and parcel files written into the staging folder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from tqdm import tqdm

from steppe_geo.config import Config
from steppe_geo.grid import Grid
from steppe_geo.io import open_lazy, read_raster_tags, write_raster, write_vector
from steppe_geo.io.raster import KIND_TAG
from steppe_geo.models.desertification import classify_esa
from steppe_geo.pipeline.export import export_bundle
from steppe_geo.pipeline.hybrid import hybrid_provenance
from steppe_geo.pipeline.results import InputLayers, ModelOutput, ParcelOutput


def _declares_zero_nodata(da: xr.DataArray) -> bool:
    nodata = da.rio.nodata if da.rio.nodata is not None else da.rio.encoded_nodata
    return nodata is None or nodata == 0


CHUNK = 2048
"""Chunk size (pixels) of the Dask-backed arrays computed per window (``write_raster``'s window)."""


def _open_file(path: Path, name: str) -> xr.DataArray:
    """A raster of a windowed run opened lazily, with the metadata :func:`steppe_geo.io.read_window` gives.

    Nothing is read here: :func:`steppe_geo.io.write_raster` reads it window by window. Multi-band
    files whose ``years`` tag names the bands (an NDVI time stack) get a ``time`` dimension.
    """
    da = open_lazy(path, name=name)
    tags = read_raster_tags(path)
    if da.ndim == 3 and tags.get("years"):
        years = np.asarray([int(y) for y in tags["years"].split(",")], dtype=np.int64)
        da = da.rename(band="time").assign_coords(time=years)
    da.attrs["kind"] = tags.get(KIND_TAG) or "continuous"
    da.attrs["source"] = tags.get("source", str(path))
    if tags.get("resampling"):
        da.attrs["resampling"] = tags["resampling"]
    return da


def _chunked(da: xr.DataArray) -> xr.DataArray:
    """``da`` as a Dask-backed array in write-sized chunks, so that arithmetic on it stays lazy."""
    return da.chunk({da.dims[-2]: CHUNK, da.dims[-1]: CHUNK})


def _file_raster(files: Mapping[str, Path], part: str, model: str) -> xr.DataArray:
    """A model raster of a windowed run, opened lazily from its tiled file (see :func:`_model_raster`)."""
    if part == "esa_class":
        esai = _chunked(_open_file(files["esai"], "esai"))
        da = esai.copy(data=esai.data.map_blocks(classify_esa, dtype=np.uint8)).rename("esa_class")
        da.attrs = {"units": "class"}
    elif part == "eligible":
        da = _chunked(_open_file(files[part], part)) == 1
    elif part in files:
        da = _open_file(files[part], part)
    else:
        raise KeyError(f"model {model!r} has no raster {part!r}; it has {sorted(files)}")
    return da


def _model_raster(res: ModelOutput, part: str) -> xr.DataArray:
    """A model raster as written to ``rasters/<model>/<part>.tif``; read lazily in windowed runs.

    Parameters
    ----------
    res : ModelOutput
        A model's output. With ``res.files`` (a streamed or Dask run) the raster is opened from
        its tiled file and nothing is read until used (window by window by
        :func:`steppe_geo.io.write_raster`); else the in-memory array.
    part : {"score", "eligible", "exclusion", "esai", "esa_class", "china_sensitivity"}
        Which raster.

    Returns
    -------
    xarray.DataArray
        On the analysis grid: ``score`` float32 (NaN nodata), ``eligible`` uint8 1/0 (nodata
        255), ``exclusion`` the unsigned bitmask (no nodata declared: 0 means "not excluded";
        a reserved non-zero "no data" code is kept), ``esa_class`` uint8 codes 1–8 (nodata 0,
        categorical), the derived layers as computed.

    Raises
    ------
    KeyError
        The model has no such raster.
    """
    if res.files:
        da = _file_raster(res.files, part, res.name)
    elif part in ("score", "eligible", "exclusion"):
        da = getattr(res, part)
    else:
        extra = getattr(res.result, "layers", None)
        if extra is None or part not in extra:
            raise KeyError(f"model {res.name!r} has no raster {part!r}")
        da = extra[part]
    return _as_written(da, part)


def _as_written(da: xr.DataArray, part: str) -> xr.DataArray:
    """``da`` with the dtype and nodata its output file declares (bool → uint8, exclusion, classes)."""
    if da.dtype == bool:
        da = da.astype(np.uint8).rio.write_nodata(255, encoded=False)
    elif part == "exclusion" and _declares_zero_nodata(da):
        # 0 means "not excluded": declared as nodata, GIS software would hide all eligible
        # land. No nodata then (a reserved non-zero "no data" code is kept)
        da = da.rio.write_nodata(None, encoded=False)
        da.encoding.pop("_FillValue", None)
    if part == "esa_class":
        da = da.rio.write_nodata(0, encoded=False)
        da.attrs["kind"] = "categorical"
    return da


def _has_raster(res: ModelOutput, part: str) -> bool:
    if res.files:
        return part in res.files or (part == "esa_class" and "esai" in res.files)
    extra = getattr(res.result, "layers", None)
    return extra is not None and part in extra


@dataclass(frozen=True)
class _RasterJob:
    """One output raster of the write stage: where it goes and what it holds.

    In memory mode ``array`` holds the pixels. In a streamed or Dask run ``array`` is None and the
    job names tiled files only (small and picklable: a Dask task), from which
    :meth:`data_array` opens the raster lazily where the job runs.

    Attributes
    ----------
    dest : Path
        Destination COG (in the run's staging folder).
    part : str
        ``"aligned"`` (an aligned input), ``"criterion"`` (band ``band`` of the model's
        ``criteria`` file) or a model raster (``score``, ``eligible``, ``exclusion``, ``esai``,
        ``esa_class``, ``china_sensitivity``; see :func:`_model_raster`).
    name : str
        The input, model or criterion name.
    files : dict name → Path
        The tiled files of a windowed run (the model's ``ModelOutput.files``, or
        ``{name: path}`` of an aligned input); empty in memory mode.
    band : int
        Criteria: the band (from 0) of the criterion in the ``criteria`` file.
    tags : tuple of (key, value)
        Extra dataset tags.
    array : DataArray or None
        Memory mode: the raster itself.
    """

    dest: Path
    part: str
    name: str
    files: Mapping[str, Path] = field(default_factory=dict)
    band: int = 0
    tags: tuple[tuple[str, str], ...] = ()
    array: xr.DataArray | None = None

    def data_array(self, grid: Grid) -> xr.DataArray:
        """The raster as written, lazily opened from its file in a windowed run."""
        if self.array is not None:
            return self.array
        if self.part == "aligned":
            return _open_file(self.files[self.name], self.name)
        if self.part == "criterion":
            crit = open_lazy(self.files["criteria"], name="criteria")
            if crit.ndim == 2:  # one criterion: one band
                crit = crit.expand_dims(band=[1])
            return _on_grid(crit.isel(band=self.band, drop=True).rename(self.name), grid)
        da = _as_written(_file_raster(self.files, self.part, self.name), self.part)
        return da if self.part in ("score", "eligible", "exclusion") else _on_grid(da, grid)


def _on_grid(da: xr.DataArray, grid: Grid) -> xr.DataArray:
    """``da`` with the CRS and transform of the analysis grid written."""
    return da.rio.write_crs(grid.crs).rio.write_transform(grid.transform)


def _raster_jobs(stage: Path, cfg: Config, layers: InputLayers,
                 results: Mapping[str, Any]) -> list[_RasterJob]:
    """Every raster the write stage writes, in the order memory mode always wrote them."""
    grid = layers.grid
    jobs: list[_RasterJob] = []
    if cfg.outputs.aligned_inputs:
        for name in (list(layers.files) if layers.files else list(layers.layers)):
            if layers.files:
                jobs.append(_RasterJob(stage / "aligned" / f"{name}.tif", "aligned", name,
                                      files={name: Path(layers.files[name])}))
            else:
                jobs.append(_RasterJob(stage / "aligned" / f"{name}.tif", "aligned", name,
                                      array=layers.layers[name]))
    if not cfg.outputs.rasters:
        return jobs
    for mname, res in results.items():
        files = {k: Path(v) for k, v in res.files.items()}
        folder = stage / "rasters" / mname
        legend = ", ".join(f"bit {i}: {n}" for i, n in enumerate(res.constraint_names))
        for part in ("score", "eligible", "exclusion"):
            tags: tuple[tuple[str, str], ...] = (("constraints", legend), ("model", mname))
            jobs.append(_RasterJob(folder / f"{part}.tif", part, mname, files=files, tags=tags,
                                  array=None if files else _model_raster(res, part)))
        if cfg.outputs.criteria and res.result is not None and hasattr(res.result, "criteria"):
            for i, cname in enumerate(res.result.criteria.data_vars):
                tags = (("weight", str(res.weights.get(str(cname), ""))),)
                array = None if files else _on_grid(res.result.criteria[cname], grid)
                jobs.append(_RasterJob(folder / "criteria" / f"{cname}.tif", "criterion", str(cname),
                                      files=files, band=i, tags=tags, array=array))
        for part in ("esai", "esa_class", "china_sensitivity"):
            if _has_raster(res, part):
                array = None if files else _on_grid(_model_raster(res, part), grid)
                jobs.append(_RasterJob(folder / f"{part}.tif", part, mname, files=files, array=array))
    return jobs


def _write_job(job: _RasterJob, grid: Grid, provenance: Mapping[str, Any], protected: list[Any]) -> Path:
    """Write one raster job as a COG (window by window from its file in a windowed run).

    Runs in this process or as a Dask task on a worker: the lazy arithmetic of a windowed
    raster (eligibility, ESA classes) is computed window by window in the task itself (Dask's
    synchronous scheduler), never sent back to the cluster.
    """
    import dask

    with dask.config.set(scheduler="synchronous"):
        return write_raster(job.data_array(grid), job.dest, provenance=provenance, protected=protected,
                            tags=dict(job.tags) or None)


def _write_outputs(stage: Path, cfg: Config, layers: InputLayers, results: Mapping[str, Any],
                   provenance: Mapping[str, Any], *, progress: bool, client: Any = None,
                   meanwhile: Callable[[], None] | None = None) -> None:
    """Write the aligned inputs and every model raster as COGs into ``stage``.

    In streamed and Dask runs (``layers.files`` / ``res.files``) every raster is read from its tiled
    intermediate window by window (:func:`steppe_geo.io.write_raster` on a lazily opened array):
    memory is bounded by the window, and the files are those of memory mode. With a Dask
    ``client`` each raster is one task on the workers (the staging folder is on storage they
    share, checked when the client was made). ``meanwhile`` (e.g. writing the parcel files) runs in
    this process while the workers write; without a client, after the rasters.
    """
    protected = list(layers.paths.values())
    jobs = _raster_jobs(stage, cfg, layers, results)
    bar = tqdm(total=len(jobs), desc="write rasters", unit="raster", disable=not progress)
    with bar:
        if client is None or not layers.files:
            for job in jobs:
                _write_job(job, layers.grid, provenance, protected)
                bar.update()
            if meanwhile is not None:
                meanwhile()
            return
        import distributed

        # folders first: a worker renames each file into place
        for folder in {job.dest.parent for job in jobs}:
            folder.mkdir(parents=True, exist_ok=True)
        futures = [client.submit(_write_job, job, layers.grid, provenance, protected, pure=False)
                   for job in jobs]
        if meanwhile is not None:
            meanwhile()
        for fut in distributed.as_completed(futures):
            fut.result()  # the first error is raised here
            bar.update()


def _write_parcels(stage: Path, cfg: Config, layers: InputLayers, results: Mapping[str, ModelOutput],
                   parcels: Mapping[str, ParcelOutput]) -> None:

    if not cfg.outputs.vectors:
        return
    folder = stage / "parcels"
    folder.mkdir(parents=True, exist_ok=True)
    tc = cfg.parcels.turbines if cfg.parcels is not None else None
    for name, po in parcels.items():
        res = results[name]
        constraints = {c: i for i, c in enumerate(res.constraint_names)}
        export_bundle(po.ranked, folder, name=name, regions=po.regions, selection=po.selection, model=name,
                      weights=res.weights, constraints=constraints,
                      inputs={k: str(v) for k, v in layers.paths.items()},
                      protected=list(layers.paths.values()), formats=cfg.outputs.vectors)
        if po.turbines is not None and tc is not None:  # [parcels.turbines]: points and per-parcel table
            provenance = {"model": name, "curve": tc.curve, "along_d": tc.along_d, "across_d": tc.across_d,
                          "wake_decay": tc.wake_decay,
                          "method": "elliptical spacing, Jensen/Park wakes (docs/turbines_hybrid.md)"}
            hc = cfg.parcels.hybrid if cfg.parcels is not None else None
            if hc is not None:  # [parcels.hybrid]: its columns are in the layouts layer
                provenance["hybrid"] = hybrid_provenance(hc)
            path = folder / "turbines.gpkg"
            write_vector(po.turbines, path, layer="turbines", provenance=provenance,
                         protected=list(layers.paths.values()))
            write_vector(po.turbine_summary.reset_index(drop=True), path, layer="layouts", append_layer=True,
                         provenance=provenance, protected=list(layers.paths.values()))
