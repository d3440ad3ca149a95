"""Inputs stage: the analysis grid, inputs read and aligned onto it, their summary."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import xarray as xr

from steppe_geo.config import GridConfig, InputSpec
from steppe_geo.errors import EmptyLayerError, SteppeGeoError
from steppe_geo.grid import Grid
from steppe_geo.io.plausibility import INPUT_ROLES, ROLES
from steppe_geo.io.remote import input_path, source_name
from steppe_geo.pipeline.results import InputLayers

log = logging.getLogger(__name__)


RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".nc", ".asc")
"""Input files with these suffixes are read as rasters; everything else as vectors."""


VECTOR_MARGIN_M = 10_000.0
"""Vector features up to this far outside the AOI are kept (setbacks reach across the boundary)."""


def _is_raster(path: Path | str) -> bool:
    return Path(source_name(path)).suffix.lower() in RASTER_SUFFIXES


def raster_read_options(name: str, spec: InputSpec | None = None) -> dict[str, Any]:
    """Keyword arguments of :func:`steppe_geo.io.read_raster` for input ``name``.

    The options declared in its ``[inputs.<name>]`` table, plus what its role
    (:data:`steppe_geo.io.plausibility.INPUT_ROLES`) implies: ``to_units`` (the units the models
    read, e.g. metres for ``dem``; declared units or a known units tag are converted) and
    ``band="all"`` for a time series (``ndvi``) unless a band is declared.

    Parameters
    ----------
    name : str
        Input name.
    spec : InputSpec, optional
        Its declaration (``Config.input_specs[name]``).

    Returns
    -------
    dict

    Examples
    --------
    >>> from pathlib import Path
    >>> from steppe_geo.config import InputSpec
    >>> raster_read_options("dem", InputSpec("dem", Path("dem.tif"), units="ft"))
    {'units': 'ft', 'to_units': 'm'}
    >>> raster_read_options("ndvi")
    {'to_units': '1', 'band': 'all'}
    """
    opts = spec.raster_options() if spec is not None else {}
    role = ROLES.get(INPUT_ROLES.get(name, ""))
    if role is not None and role.kind == "continuous" and opts.get("kind") != "categorical":
        opts["to_units"] = role.units
    if role is not None and role.series and "band" not in opts:
        opts["band"] = "all"
    return opts


def build_grid(inputs: Mapping[str, Path | str], grid_config: GridConfig, *,
               layers: Mapping[str, str] | None = None,
               specs: Mapping[str, InputSpec] | None = None) -> Grid:
    """The analysis grid for the area of interest named in ``grid_config.aoi``.

    Parameters
    ----------
    inputs : mapping name → path
    grid_config : GridConfig
    layers : mapping name → layer, optional
        Layer of multi-layer vector inputs (``Config.input_layers``).
    specs : mapping name → InputSpec, optional
        Declared options (``Config.input_specs``): the AOI's ``encoding``.

    Returns
    -------
    Grid
        In a local metre-based CRS (:meth:`steppe_geo.Grid.for_area`).

    Raises
    ------
    SteppeGeoError
        The AOI file cannot be read (each subclass as :func:`steppe_geo.io.read_vector` raises it),
        its message prefixed with the config key ``inputs.<aoi>``.
    """
    from steppe_geo.io import read_vector

    spec = (specs or {}).get(grid_config.aoi)
    try:
        aoi = read_vector(inputs[grid_config.aoi], layer=(layers or {}).get(grid_config.aoi), role="polygons",
                          encoding=None if spec is None else spec.encoding)
    except SteppeGeoError as exc:  # the same error, naming the config key of the file at fault
        raise type(exc)(f"inputs.{grid_config.aoi}: {exc}") from None
    return Grid.for_area(aoi, resolution_m=grid_config.resolution_m, margin_m=grid_config.margin_m,
                         projection=grid_config.projection)


def load_inputs(inputs: Mapping[str, Path | str], grid: Grid, *, layers: Mapping[str, str] | None = None,
                specs: Mapping[str, InputSpec] | None = None, progress: bool = False) -> InputLayers:
    """Read every input: rasters aligned onto ``grid``, vectors reprojected to its CRS.

    Parameters
    ----------
    inputs : mapping name → path
    grid : Grid
    layers : mapping name → layer, optional
        The layer to read from vector files holding several (``Config.input_layers``).
    specs : mapping name → InputSpec, optional
        Declared options of each input (``Config.input_specs``): rasters are read with
        :func:`raster_read_options` (units converted to what the models read, declared kind,
        scale, offset, nodata, resampling, band), vectors with their ``layer`` and ``encoding``.
    progress : bool, default False
        Show a tqdm progress bar.

    Returns
    -------
    InputLayers
    """
    from tqdm import tqdm

    from steppe_geo.io import read_raster

    t0 = time.perf_counter()
    rasters: dict[str, xr.DataArray] = {}
    vectors: dict[str, gpd.GeoDataFrame] = {}
    for name, path in tqdm(list(inputs.items()), desc="load and align", unit="layer", disable=not progress):
        path = input_path(path)  # a URL stays a string
        spec = (specs or {}).get(name)
        if _is_raster(path):
            rasters[name] = read_raster(path, grid=grid, name=name, **raster_read_options(name, spec))
        else:
            vectors[name] = _read_vector_input(name, path, grid, layer=(layers or {}).get(name), spec=spec)
        log.info("loaded %s from %s", name, source_name(path))
    seconds = time.perf_counter() - t0
    log.info("loaded and aligned %d rasters and %d vector layers in %.1f s", len(rasters), len(vectors),
             seconds)
    return InputLayers(grid, rasters, vectors, {k: input_path(v) for k, v in inputs.items()}, seconds)


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


def align_inputs(inputs: Mapping[str, Path | str], grid: Grid, work: Path, *,
                 layers: Mapping[str, str] | None = None, specs: Mapping[str, InputSpec] | None = None,
                 rows: int = 256, client: Any = None, progress: bool = False) -> InputLayers:
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
    specs : mapping name → InputSpec, optional
        Declared options of each input (``Config.input_specs``), as in :func:`load_inputs`. A
        raster whose options change its values (declared ``units``, ``scale``, ``offset``,
        ``nodata``, a single ``band``, or a units tag other than the units the models read) is
        read and converted whole by :func:`steppe_geo.io.read_raster` and written to its tiled
        file: the same values as memory mode, but not yet in bounded memory.
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

    from steppe_geo.io import align_to_file, read_raster, write_raster

    t0 = time.perf_counter()
    files: dict[str, Path] = {}
    vectors: dict[str, gpd.GeoDataFrame] = {}
    for name, path in tqdm(list(inputs.items()), desc="load and align", unit="layer", disable=not progress):
        path = input_path(path)  # a URL stays a string
        spec = (specs or {}).get(name)
        target = work / "aligned" / f"{name}.tif"
        if _is_raster(path):
            opts = raster_read_options(name, spec)
            if _converts_values(path, opts):
                da = read_raster(path, grid=grid, name=name, **opts)
                files[name] = write_raster(da, target, overwrite=True)
                del da
            else:
                files[name] = align_to_file(path, target, grid=grid, rows=rows, client=client,
                                            kind=opts.get("kind"), resampling=opts.get("resampling"))
        else:
            vectors[name] = _read_vector_input(name, path, grid, layer=(layers or {}).get(name), spec=spec)
        log.info("loaded %s from %s", name, source_name(path))
    seconds = time.perf_counter() - t0
    log.info("aligned %d rasters strip by strip and read %d vector layers in %.1f s", len(files),
             len(vectors), seconds)
    return InputLayers(grid, AlignedRasters(files), vectors,  # type: ignore[arg-type]
                       {k: input_path(v) for k, v in inputs.items()}, seconds, files=files)


def _converts_values(path: Path | str, opts: Mapping[str, Any]) -> bool:
    """Whether reading ``path`` with ``opts`` changes its values (units, scale, offset, nodata, a band)."""
    import rasterio

    declared = {k for k in opts if k not in ("kind", "resampling", "to_units")}
    if opts.get("band") == "all":
        declared.discard("band")
    if declared:
        return True
    to_units = opts.get("to_units")
    if to_units is None:
        return False
    with rasterio.open(path) as ds:
        tags = {**ds.tags(1), **ds.tags()}
    tagged = tags.get("units") or tags.get("UNITS")
    return bool(tagged) and tagged != to_units


def _read_vector_input(name: str, path: Path | str, grid: Grid, *, layer: str | None,
                       spec: InputSpec | None) -> gpd.GeoDataFrame:
    """A vector input in the grid's CRS, near the grid; an empty layer means "nothing here"."""
    from steppe_geo.io import read_vector

    encoding = None if spec is None else spec.encoding
    try:
        return read_vector(path, layer=layer, crs=grid.crs, aoi=grid, bbox_margin_m=VECTOR_MARGIN_M,
                           encoding=encoding)
    except EmptyLayerError as exc:  # "nothing here": the models note it, or refuse if it matters
        log.info("%s: %s; read as an empty layer (nothing here)", name, exc)
        empty = gpd.GeoDataFrame(geometry=[], crs=grid.crs)
        empty.attrs.update(source=source_name(path), empty=str(exc))
        return empty


COARSE_SOURCE_RATIO = 10.0
"""A source pixel this many times coarser than the grid's (or more) gets a warning in the summary."""


def _raster_summary(da: xr.DataArray, inside: np.ndarray | None = None) -> dict[str, Any]:

    v = np.asarray(da.values)
    if np.issubdtype(v.dtype, np.floating):
        ok = np.isfinite(v)
        finite = v[ok]
        stats = {"min": float(finite.min()), "max": float(finite.max()), "mean": float(finite.mean())} \
            if finite.size else {}
    else:
        nd = da.rio.nodata
        ok = v != nd if nd is not None else np.ones(v.shape, bool)
        classes = np.unique(v[ok])
        stats = {"classes": [int(c) for c in classes[:50]]}
    valid = float(ok.mean())
    out = {"dims": list(da.dims), "shape": list(da.shape), "dtype": str(da.dtype),
           "units": da.attrs.get("units"), "valid_fraction": round(valid, 4), **stats}
    if da.attrs.get("source_units"):
        out["source_units"] = da.attrs["source_units"]
    if inside is not None and inside.any():
        ok_2d = ok.all(axis=0) if ok.ndim == 3 else ok
        out["aoi_coverage"] = round(float(ok_2d[inside].mean()), 4)
    size = da.attrs.get("source_pixel_size")
    if size:
        grid_px = math.sqrt(abs(float(da.rio.resolution()[0] * da.rio.resolution()[1])))
        out["source_pixel_size_m"] = round(float(size), 3)
        out["source_to_grid_ratio"] = round(float(size) / grid_px, 3)
    return out


def _input_warnings(rasters: Mapping[str, dict[str, Any]]) -> list[str]:
    """Warnings about aligned rasters: coarse sources, incomplete coverage of the AOI."""
    out = []
    for k, r in rasters.items():
        ratio = r.get("source_to_grid_ratio", 0.0)
        if ratio >= COARSE_SOURCE_RATIO:
            out.append(f"{k}: a source pixel ({r['source_pixel_size_m']:,.0f} m) is {ratio:.0f}x the grid's; "
                       "the layer cannot show detail at the grid's resolution")
        cov = r.get("aoi_coverage")
        if cov is not None and cov < 1.0:
            out.append(f"{k}: covers {cov:.1%} of the area of interest (nodata elsewhere)")
    return out


def _vector_summary(gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    types = sorted({str(t) for t in gdf.geom_type.unique()})
    return {"features": len(gdf), "geometry_types": types, "columns": [str(c) for c in gdf.columns
                                                                       if c != gdf.geometry.name]}


def summarize_inputs(layers: InputLayers, *, aoi: gpd.GeoDataFrame | None = None) -> dict[str, Any]:
    """A JSON-friendly description of the aligned inputs (grid, every layer, warnings, timings).

    Parameters
    ----------
    layers : InputLayers
    aoi : geopandas.GeoDataFrame, optional
        The area of interest (default: ``layers.aoi`` when the inputs carry it).

    Returns
    -------
    dict
        ``grid``; ``rasters``: per layer its dims, dtype, units (``source_units`` when converted),
        share of valid pixels in the grid (``valid_fraction``) and inside the AOI
        (``aoi_coverage``), range or classes, and the source pixel size in metres with its ratio
        to the grid's pixel (``source_to_grid_ratio``); ``vectors``; ``input_warnings``: sources
        :data:`COARSE_SOURCE_RATIO` times coarser than the grid or more, rasters not covering the
        whole AOI; ``load_and_align_seconds``.
    """
    from steppe_geo.io import rasterize
    from steppe_geo.maps.furniture import crs_label

    g = layers.grid
    aoi = aoi if aoi is not None else getattr(layers, "aoi", None)
    inside = None if aoi is None else np.asarray(rasterize(aoi, grid=g).values, dtype=bool)
    rasters = {k: _raster_summary(v, inside) for k, v in layers.rasters.items()}
    warnings_ = _input_warnings(rasters)
    for w in warnings_:
        log.warning("input %s", w)
    return {
        "grid": {"crs": g.crs.to_wkt(), "crs_name": crs_label(g.crs), "shape": list(g.shape),
                 "resolution_m": g.resolution_m, "bounds": list(g.bounds)},
        "rasters": rasters,
        "vectors": {k: _vector_summary(v) for k, v in layers.vectors.items()},
        "input_warnings": warnings_,
        "load_and_align_seconds": round(layers.seconds, 2),
    }

