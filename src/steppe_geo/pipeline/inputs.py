"""Inputs stage: the analysis grid, inputs read and aligned onto it, their summary."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import xarray as xr

from steppe_geo.config import GridConfig
from steppe_geo.grid import Grid
from steppe_geo.pipeline.results import InputLayers

log = logging.getLogger(__name__)


RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".nc", ".asc")
"""Input files with these suffixes are read as rasters; everything else as vectors."""


VECTOR_MARGIN_M = 10_000.0
"""Vector features up to this far outside the AOI are kept (setbacks reach across the boundary)."""


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


class AlignedRasters(Mapping[str, xr.DataArray]):
    """Aligned rasters of a streamed or Dask run, read from their tiled files when asked for.

    A mapping name → DataArray like ``InputLayers.rasters`` in memory mode, but nothing is held:
    each lookup reads the file (:func:`steppe_geo.io.read_window` over the whole grid). The
    windowed stages read ``InputLayers.files`` window by window instead.
    """

    def __init__(self, files: Mapping[str, Path]) -> None:
        self._files = dict(files)

    def __getitem__(self, name: str) -> xr.DataArray:
        from steppe_geo.io import read_window

        return read_window(self._files[name], name=name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


def align_inputs(inputs: Mapping[str, Path], grid: Grid, work: Path, *,
                 layers: Mapping[str, str] | None = None, rows: int = 256,
                 client: Any = None, progress: bool = False) -> InputLayers:
    """Read every input for a streamed or Dask run: rasters aligned strip by strip into tiled files.

    Each raster is aligned onto ``grid`` by :func:`steppe_geo.io.align_to_file` (the same values
    as :func:`load_inputs`, holding one strip of ``rows`` grid rows at a time) into
    ``work/aligned/<name>.tif``; vectors are read as in :func:`load_inputs`.

    Parameters
    ----------
    inputs : mapping name → path
    grid : Grid
    work : Path
        The run's work folder.
    layers : mapping name → layer, optional
        The layer to read from vector files holding several (``Config.input_layers``).
    rows : int, default 256
        Grid rows per strip.
    client : distributed.Client, optional
        Dask runs: each strip is a task (:func:`steppe_geo.io.align_to_file`).
    progress : bool, default False
        Show a tqdm progress bar.

    Returns
    -------
    InputLayers
        ``files`` holds the aligned rasters; ``rasters`` reads them on access
        (:class:`AlignedRasters`).
    """
    from tqdm import tqdm

    from steppe_geo.io import align_to_file, read_vector

    t0 = time.perf_counter()
    files: dict[str, Path] = {}
    vectors: dict[str, gpd.GeoDataFrame] = {}
    for name, path in tqdm(list(inputs.items()), desc="load and align", unit="layer", disable=not progress):
        path = Path(path)
        if _is_raster(path):
            files[name] = align_to_file(path, work / "aligned" / f"{name}.tif", grid=grid, rows=rows,
                                        client=client)
        else:
            vectors[name] = read_vector(path, layer=(layers or {}).get(name), crs=grid.crs, aoi=grid,
                                        bbox_margin_m=VECTOR_MARGIN_M)
        log.info("loaded %s from %s", name, path.name)
    seconds = time.perf_counter() - t0
    log.info("aligned %d rasters strip by strip and read %d vector layers in %.1f s", len(files),
             len(vectors), seconds)
    return InputLayers(grid, AlignedRasters(files), vectors,  # type: ignore[arg-type]
                       {k: Path(v) for k, v in inputs.items()}, seconds, files)


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

