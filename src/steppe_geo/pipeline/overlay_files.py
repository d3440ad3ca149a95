"""The windowed overlay over files: aligned GeoTIFFs read window by window, outputs written as COGs.

Streamed in one process (:func:`evaluate_streamed`) or one ``dask.distributed`` task per window
(:func:`evaluate_dask`). The computation is :mod:`steppe_geo.mcda` (the per-window kernel of
:mod:`~steppe_geo.mcda.overlay_memory`, the outputs and windows of
:mod:`~steppe_geo.mcda.overlay_windows`); the files are opened, read and written through
:mod:`steppe_geo.io.window_files`. This module is the shell that joins the two, so that ``mcda``
never touches the file system. Both functions are also ``steppe_geo.mcda.evaluate_streamed`` and
``steppe_geo.mcda.evaluate_dask``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from steppe_geo._typing import PathLike
from steppe_geo.errors import GridMismatchError, InvalidParameterError
from steppe_geo.grid import Grid, GridWindow
from steppe_geo.io.window_files import (
    gdal_cache,
    open_sources,
    source_grid,
    window_arrays,
    window_cog_writers,
    window_tiled_writers,
    write_window,
)
from steppe_geo.mcda.constraints import RegionSizes, WindowRegions
from steppe_geo.mcda.overlay_memory import (
    _aoi_pixels,
    _area_connectivities,
    _evaluate_window,
    _merge_regions,
    _needed_layers,
    _window_inside,
    _window_regions,
)
from steppe_geo.mcda.overlay_spec import Overlay
from steppe_geo.mcda.overlay_windows import (
    OUTPUT_NAMES,
    _bar,
    _check_cog,
    _check_outputs,
    _output_specs,
    _plan,
)

__all__ = ["evaluate_dask", "evaluate_streamed"]


def _check_sources(overlay: Overlay, sources: Mapping[str, PathLike], grid: Grid) -> tuple[list[str], dict]:
    keys = _needed_layers(overlay, list(sources))
    nodata = {}
    for k in keys:
        g, nd = source_grid(sources[k])
        if not g.same_as(grid):
            raise GridMismatchError(
                f"source {k!r} ({sources[k]}) is not on the analysis grid:\n  {k}: {g.describe()}\n"
                f"  grid: {grid.describe()}\n"
                "align it first (steppe_geo.read_raster(..., grid=grid) and write it)"
            )
        nodata[k] = nd
    return keys, nodata


def _regions_task(overlay: Overlay, sources: Mapping[str, str], keys: Sequence[str],
                  nodata: Mapping[str, Any], win: GridWindow, aoi_pixels: Any) -> dict[int, WindowRegions]:
    with open_sources(sources, keys) as ds:
        arrays = window_arrays(ds, win)
    shape = (int(win.core.height), int(win.core.width))
    return _window_regions(overlay, arrays, nodata, shape, _window_inside(aoi_pixels, win))


def _window_task(overlay: Overlay, sources: Mapping[str, str], keys: Sequence[str], nodata: Mapping[str, Any],
                 win: GridWindow, pixel_area_m2: float | None, with_criteria: bool,
                 region_sizes: RegionSizes | None, aoi_pixels: Any) -> dict[str, np.ndarray]:
    with open_sources(sources, keys) as ds:
        arrays = window_arrays(ds, win)
    return _evaluate_window(overlay, arrays, pixel_area_m2=pixel_area_m2, nodata=nodata,
                            region_sizes=region_sizes, with_criteria=with_criteria, copy=False,
                            inside=_window_inside(aoi_pixels, win))


def _prepare(overlay: Overlay, sources: Mapping[str, PathLike], grid: Grid, window: int
             ) -> tuple[list[str], dict[str, Any], float | None, list[GridWindow]]:
    """Checked sources (keys, nodata), the pixel area for minimum-area rules, and the windows."""
    pix, wins = _plan(overlay, grid, window)
    keys, nodata = _check_sources(overlay, sources, grid)
    return keys, nodata, pix, wins


def evaluate_streamed(
    overlay: Overlay,
    sources: Mapping[str, PathLike],
    *,
    grid: Grid,
    out_dir: PathLike,
    window: int = 1024,
    write_criteria: bool = False,
    outputs: Sequence[str] = OUTPUT_NAMES,
    overwrite: bool = False,
    gdal_cache_mb: int = 256,
    aoi: Any = None,
    progress: bool | str = False,
    cog: bool = True,
) -> dict[str, Path]:
    """Evaluate an overlay window by window over aligned GeoTIFFs, writing COGs.

    Peak memory is set by ``window`` times the number of layers, not by the grid size
    (minimum-area constraints included: their region sizes come from a separate labelling
    pass over the layers, which keeps only the labels on window edges).

    Parameters
    ----------
    overlay : Overlay
        What to evaluate.
    sources : mapping layer key → path
        GeoTIFFs already on ``grid`` (same CRS, transform, shape). A file's declared nodata is
        nodata for every dtype.
    grid : Grid
        Analysis grid.
    out_dir : path
        Folder for ``score.tif`` (float32, NaN nodata; tags from :meth:`Overlay.tags`:
        rule, weights, criteria, OWA order weights/orness/trade-off), ``eligible.tif`` (uint8
        1/0, nodata 255), ``exclusion.tif`` (uint32/uint64 bitmask, no nodata; tag
        ``constraints`` is the bit legend), ``availability.tif`` (float32) and, with
        ``write_criteria=True``, ``criteria.tif`` (one float32 band per standardised
        criterion, named).
    window : int, default 1024
        Window size in pixels.
    write_criteria : bool, default False
        Also write ``criteria.tif``, so every score can be explained from the files. Off by
        default because it is the largest output (one band per criterion; see
        ``docs/mcda.md`` for its measured cost).
    outputs : sequence of str, default all of ("score", "eligible", "exclusion", "availability")
        Which of the four rasters to write.
    overwrite : bool, default False
        Replace existing outputs.
    gdal_cache_mb : int, default 256
        GDAL block-cache limit during the run (GDAL's default is 5 % of RAM, which would
        let the cache, not the window, set the peak memory).
    aoi : GeoDataFrame or GeoSeries, optional
        Area of interest (polygons): as in :func:`evaluate`, rasterised window by window.
    progress : bool or str, default False
        Show a tqdm progress bar per pass (windows done / total, rate, ETA) on standard error;
        a string labels the bars (e.g. the model's name).
    cog : bool, default True
        Write Cloud Optimized GeoTIFFs (DEFLATE, with overviews). ``False`` writes plain tiled,
        uncompressed GeoTIFFs with the same pixels, tags and band names, for intermediates read
        back window by window (a streamed run's ``.work`` files): finalising a COG (overviews,
        compression) costs more time than the overlay itself (``docs/scale.md``).

    Returns
    -------
    dict name → Path of the files written.

    Raises
    ------
    GridMismatchError
        A source is not on ``grid`` (both grids shown).
    MissingLayerError
        A layer the overlay needs has no source.
    InvalidParameterError
        An unknown output name, a window that is not a positive integer, or an ``aoi``
        without a polygon over the grid.
    """
    keys, nodata, pix, wins = _prepare(overlay, sources, grid, window)
    aoi_pixels = _aoi_pixels(aoi, grid)
    out_dir = Path(out_dir)
    protected = [sources[k] for k in keys]
    outs = _check_outputs(outputs, write_criteria)
    open_writers = window_cog_writers if _check_cog(cog) else window_tiled_writers
    with gdal_cache(int(gdal_cache_mb)):
        sizes: list[dict[int, tuple[np.ndarray, np.ndarray]]] | None = None
        if _area_connectivities(overlay):  # labelling pass (every layer: no data is not eligible)
            with open_sources(sources, keys) as ds:
                per_window = [_window_regions(overlay, window_arrays(ds, w), nodata,
                                              (int(w.core.height), int(w.core.width)),
                                              _window_inside(aoi_pixels, w))
                              for w in _bar(wins, progress, "minimum-area regions")]
            sizes = _merge_regions(overlay, per_window, wins, grid)
            del per_window
        with open_writers(_output_specs(overlay), grid, out_dir, overwrite=overwrite, outputs=outs,
                          protected=protected) as writers, open_sources(sources, keys) as ds:
            for k, win in enumerate(_bar(wins, progress, "overlay")):
                out = _evaluate_window(overlay, window_arrays(ds, win), pixel_area_m2=pix, nodata=nodata,
                                       region_sizes=sizes[k] if sizes else None,
                                       with_criteria="criteria" in writers, copy=False,
                                       inside=_window_inside(aoi_pixels, win))
                write_window(writers, win, out)
    return {name: out_dir / f"{name}.tif" for name in outs}


def evaluate_dask(
    overlay: Overlay,
    sources: Mapping[str, PathLike],
    *,
    grid: Grid,
    out_dir: PathLike,
    client: Any = None,
    window: int = 1024,
    write_criteria: bool = False,
    outputs: Sequence[str] = OUTPUT_NAMES,
    overwrite: bool = False,
    aoi: Any = None,
    progress: bool | str = False,
    cog: bool = True,
) -> dict[str, Path]:
    """Evaluate an overlay on a ``dask.distributed`` cluster: one task per window.

    Workers open the sources and read their own windows (the paths must be reachable from
    the workers); the client collects each window's result as it completes and writes the
    COGs, so the files are identical to :func:`evaluate_streamed`'s. Minimum-area
    constraints add a first round of one labelling task per window (their edge labels are
    merged on the client).

    Parameters
    ----------
    overlay, sources, grid, out_dir, window, write_criteria, outputs, overwrite, aoi, progress, cog
        As in :func:`evaluate_streamed` (each task rasterises its window of the AOI; the bar counts
        windows as their tasks complete).
    client : distributed.Client, optional
        Defaults to the current client (``distributed.get_client()``).

    Returns
    -------
    dict name → Path of the files written.

    Raises
    ------
    InvalidParameterError
        If no client is given and none is active.
    """
    import distributed

    if client is None:
        try:
            client = distributed.get_client()
        except ValueError:
            raise InvalidParameterError(
                "evaluate_dask needs a distributed.Client (pass client=... or create one first)"
            ) from None
    keys, nodata, pix, wins = _prepare(overlay, sources, grid, window)
    aoi_pixels = _aoi_pixels(aoi, grid)
    out_dir = Path(out_dir)
    src = {k: str(Path(sources[k]).resolve()) for k in keys}
    protected = [sources[k] for k in keys]
    outs = _check_outputs(outputs, write_criteria)
    open_writers = window_cog_writers if _check_cog(cog) else window_tiled_writers
    overlay_f = client.scatter(overlay, broadcast=True)
    aoi_f = client.scatter(aoi_pixels, broadcast=True) if aoi_pixels is not None else None
    sizes: list[Any] = [None] * len(wins)
    if _area_connectivities(overlay):
        rfuts = [client.submit(_regions_task, overlay_f, src, keys, nodata, w, aoi_f, pure=False)
                 for w in wins]
        for _ in _bar(distributed.as_completed(rfuts), progress, "minimum-area regions", total=len(wins)):
            pass
        sizes = list(_merge_regions(overlay, client.gather(rfuts), wins, grid))
        del rfuts
    with gdal_cache(256), open_writers(_output_specs(overlay), grid, out_dir, overwrite=overwrite,
                                                       outputs=outs, protected=protected) as writers:
        futures = [client.submit(_window_task, overlay_f, src, keys, nodata, w, pix, "criteria" in writers,
                                 sizes[k], aoi_f, pure=False) for k, w in enumerate(wins)]  # one per window
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in _bar(distributed.as_completed(futures), progress, "overlay", total=len(wins)):
            write_window(writers, wins[index[fut.key]], fut.result())
            fut.release()
    return {name: out_dir / f"{name}.tif" for name in outs}
