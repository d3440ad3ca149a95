"""Outputs stage: model rasters and parcel files written into the staging folder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from tqdm import tqdm

from steppe_geo.config import Config
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
        if part == "esa_class":
            esai = _chunked(_open_file(res.files["esai"], "esai"))
            da = esai.copy(data=esai.data.map_blocks(classify_esa, dtype=np.uint8)).rename("esa_class")
            da.attrs = {"units": "class"}
        elif part == "eligible":
            da = _chunked(_open_file(res.files[part], part)) == 1
        elif part in res.files:
            da = _open_file(res.files[part], part)
        else:
            raise KeyError(f"model {res.name!r} has no raster {part!r}; it has {sorted(res.files)}")
    elif part in ("score", "eligible", "exclusion"):
        da = getattr(res, part)
    else:
        extra = getattr(res.result, "layers", None)
        if extra is None or part not in extra:
            raise KeyError(f"model {res.name!r} has no raster {part!r}")
        da = extra[part]
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


def _write_outputs(stage: Path, cfg: Config, layers: InputLayers, results: Mapping[str, Any],
                   provenance: Mapping[str, Any], *, progress: bool) -> None:
    """Write the aligned inputs and every model raster as COGs into ``stage``.

    In streamed and Dask runs (``layers.files`` / ``res.files``) every raster is read from its tiled
    intermediate window by window (:func:`steppe_geo.io.write_raster` on a lazily opened array):
    memory is bounded by the window, and the files are those of memory mode.
    """
    protected = list(layers.paths.values())
    if cfg.outputs.aligned_inputs:
        names = list(layers.files) if layers.files else list(layers.layers)
        for name in tqdm(names, desc="write aligned", unit="layer", disable=not progress):
            da = _open_file(layers.files[name], name) if layers.files else layers.layers[name]
            write_raster(da, stage / "aligned" / f"{name}.tif", provenance=provenance, protected=protected)
    if cfg.outputs.rasters:
        for mname, res in results.items():
            legend = ", ".join(f"bit {i}: {n}" for i, n in enumerate(res.constraint_names))
            for part in ("score", "eligible", "exclusion"):
                write_raster(_model_raster(res, part), stage / "rasters" / mname / f"{part}.tif",
                             provenance=provenance, protected=protected,
                             tags={"constraints": legend, "model": mname})
            if cfg.outputs.criteria and res.result is not None and hasattr(res.result, "criteria"):
                for cname in res.result.criteria.data_vars:
                    # windowed runs: a band of the lazily opened criteria file, read per window
                    da = res.result.criteria[cname].rio.write_crs(layers.grid.crs).rio.write_transform(
                        layers.grid.transform)
                    write_raster(da, stage / "rasters" / mname / "criteria" / f"{cname}.tif",
                                 provenance=provenance, protected=protected,
                                 tags={"weight": res.weights.get(str(cname), "")})
            for part in ("esai", "esa_class", "china_sensitivity"):
                if _has_raster(res, part):
                    da = _model_raster(res, part).rio.write_crs(layers.grid.crs).rio.write_transform(
                        layers.grid.transform)
                    write_raster(da, stage / "rasters" / mname / f"{part}.tif", provenance=provenance,
                                 protected=protected)


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
