"""Outputs stage: model rasters and parcel files written into the staging folder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from steppe_geo.config import Config
from steppe_geo.pipeline.results import InputLayers, ModelOutput, ParcelOutput


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
                      protected=list(layers.paths.values()), formats=cfg.outputs.vectors)
