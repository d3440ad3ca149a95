"""Window by window raster files for the streamed overlay: open aligned sources, read windows, write outputs.

The file side of :func:`steppe_geo.mcda.evaluate_streamed` and :func:`steppe_geo.mcda.evaluate_dask`
(``mcda`` computes, ``io`` touches the file system): the sources' grids and nodata, windows read
from open sources, one writer per output (COGs finalised in parallel, or plain tiled GeoTIFFs for
intermediates) and GDAL's block cache capped during a run.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import rasterio

from steppe_geo._typing import PathLike
from steppe_geo.grid import Grid, GridWindow
from steppe_geo.io.atomic import check_output_path
from steppe_geo.io.write import BLOCK, RasterWindowWriter, _tag_dict, raster_writer

__all__ = [
    "gdal_cache",
    "open_sources",
    "source_grid",
    "window_arrays",
    "window_cog_writers",
    "window_tiled_writers",
    "write_window",
]


@contextlib.contextmanager
def gdal_cache(mb: int) -> Iterator[None]:
    """GDAL's block cache capped at ``mb`` megabytes inside the ``with`` block (``GDAL_CACHEMAX``).

    GDAL's default cache is 5 % of RAM, which would let the cache, not the window, set a
    streamed run's peak memory.
    """
    with rasterio.Env(GDAL_CACHEMAX=int(mb)):
        yield


def source_grid(path: PathLike) -> tuple[Grid, Any]:
    """The grid and declared nodata of a raster file (nodata None when it declares none)."""
    with rasterio.open(path) as ds:
        return Grid(ds.crs.to_wkt(), ds.transform, (ds.height, ds.width)), ds.nodata


@contextlib.contextmanager
def open_sources(sources: Mapping[str, PathLike], keys: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Open the rasters ``sources[k]`` for each of ``keys``; yields key → open dataset, closed on exit."""
    with contextlib.ExitStack() as stack:
        yield {k: stack.enter_context(rasterio.open(sources[k])) for k in keys}


def window_arrays(datasets: Mapping[str, Any], win: GridWindow) -> dict[str, np.ndarray]:
    """Band 1 of each open dataset (from :func:`open_sources`) in the core of window ``win``, as stored."""
    return {k: ds.read(1, window=win.core) for k, ds in datasets.items()}


@contextlib.contextmanager
def window_cog_writers(specs: Mapping[str, Mapping[str, Any]], grid: Grid, out_dir: Path, *,
                       overwrite: bool, outputs: Sequence[str],
                       protected: Sequence[PathLike]) -> Iterator[dict[str, Any]]:
    """Open one streamed COG writer per output; finalise them in parallel threads on success.

    Finalising a COG (GDAL's COG driver copying the staged GTiff, computing overviews and
    compressing) is most of a streamed run's writing time and runs in GDAL with the GIL
    released, so the outputs are finalised concurrently, one thread each. On an error every
    writer is closed in turn with the error, which removes its temporary files.

    ``specs`` holds, per output name, the keyword arguments of
    :func:`~steppe_geo.io.write.raster_writer` (dtype, nodata, kind, units, tags, count, band names);
    output ``name`` is written to ``out_dir / f"{name}.tif"``. Yields name →
    :class:`~steppe_geo.io.write.RasterWindowWriter`.
    """
    managers = [raster_writer(out_dir / f"{name}.tif", grid, overwrite=overwrite, protected=protected,
                              **specs[name]) for name in outputs]
    entered: list[Any] = []
    try:
        writers = {}
        for name, cm in zip(outputs, managers, strict=True):
            writers[name] = cm.__enter__()
            entered.append(cm)
        yield writers
    except BaseException as exc:
        for cm in reversed(entered):
            with contextlib.suppress(Exception):
                cm.__exit__(type(exc), exc, exc.__traceback__)
        raise
    with ThreadPoolExecutor(max_workers=max(1, len(entered)), thread_name_prefix="steppe-geo-cog") as pool:
        done = [pool.submit(cm.__exit__, None, None, None) for cm in entered]
    for fut in done:
        fut.result()  # re-raise the first finalisation error, after all have finished


@contextlib.contextmanager
def window_tiled_writers(specs: Mapping[str, Mapping[str, Any]], grid: Grid, out_dir: Path, *,
                         overwrite: bool, outputs: Sequence[str],
                         protected: Sequence[PathLike]) -> Iterator[dict[str, Any]]:
    """Open one plain tiled GeoTIFF writer per output (``cog=False``): no overviews, no compression.

    For a run's intermediates (``.work``), read back window by window: the same pixels, tags, band
    names and units as the COGs of :func:`window_cog_writers`, without their finalisation (building overviews
    and compressing a copy), which costs more than the overlay itself. Each file is written under a
    temporary name and renamed into place when every window is written; on an error the temporary
    files are removed and no destination is touched. ``specs`` as in :func:`window_cog_writers`.
    """
    dests = {name: check_output_path(out_dir / f"{name}.tif", overwrite=overwrite, protected=protected)
             for name in outputs}  # the checks of the COG writers: exists, an input, not writable
    tmps = {name: dest.with_name(f".steppe_geo-tmp-{os.getpid()}-{dest.name}")
            for name, dest in dests.items()}
    datasets: dict[str, Any] = {}
    try:
        writers = {}
        for name, tmp in tmps.items():
            spec = specs[name]
            dt = np.dtype(spec["dtype"])
            count = int(spec.get("count", 1))
            nodata = spec.get("nodata", math.nan if np.issubdtype(dt, np.floating) else None)
            kind = spec.get("kind") or ("continuous" if np.issubdtype(dt, np.floating) else "categorical")
            ds = rasterio.open(
                tmp, "w", driver="GTiff", width=grid.cols, height=grid.rows, count=count, dtype=dt.name,
                crs=rasterio.crs.CRS.from_wkt(grid.crs.to_wkt()), transform=grid.transform, nodata=nodata,
                tiled=True, blockxsize=BLOCK, blockysize=BLOCK, BIGTIFF="IF_SAFER", SPARSE_OK="TRUE",
                compress="none",
            )
            datasets[name] = ds
            ds.update_tags(**_tag_dict(spec.get("tags"), None, kind, spec.get("units")))
            for i in range(count):
                if spec.get("band_names"):
                    ds.set_band_description(i + 1, str(spec["band_names"][i]))
                if spec.get("units"):
                    ds.set_band_unit(i + 1, spec["units"])
            writers[name] = RasterWindowWriter(ds, grid, count)
        yield writers
    except BaseException:
        for ds in datasets.values():
            with contextlib.suppress(Exception):
                ds.close()
        for tmp in tmps.values():
            tmp.unlink(missing_ok=True)
        raise
    for ds in datasets.values():
        ds.close()
    for name, tmp in tmps.items():
        os.replace(tmp, dests[name])


def write_window(writers: Mapping[str, Any], win: GridWindow, out: Mapping[str, np.ndarray]) -> None:
    """Write ``out[name]`` into the core of window ``win`` of each writer (``eligible`` as uint8)."""
    for name, w in writers.items():
        arr = out[name]
        if name == "eligible":
            arr = arr.astype(np.uint8)
        w.write(arr, win.core)
