"""Inputs stage: the analysis grid, inputs read and aligned onto it, their summary."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, cast

import geopandas as gpd
import numpy as np
import pyproj
import rasterio
import xarray as xr
from rasterio.windows import Window
from tqdm import tqdm

from steppe_geo._deprecation import renamed_parameter
from steppe_geo.config import GridConfig, InputSpec
from steppe_geo.errors import EmptyLayerError, InvalidParameterError, SteppeGeoError
from steppe_geo.georef import crs_label
from steppe_geo.grid import Grid
from steppe_geo.io import align_to_file, read_raster, read_vector, read_window, write_raster
from steppe_geo.io.alignment import LayerKind, _source_resolution_in
from steppe_geo.io.plausibility import INPUT_ROLES, ROLES
from steppe_geo.io.raster_meta import _grid_window
from steppe_geo.io.remote import input_path, source_name
from steppe_geo.io.units import parse_unit
from steppe_geo.io.warp import GDAL_CACHE_MB
from steppe_geo.mcda.aoi import _inside_window, _pixel_polygon, aoi_polygon
from steppe_geo.pipeline.results import InputLayers

log = logging.getLogger(__name__)


RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".nc", ".asc")
"""Input files with these suffixes are read as rasters; everything else as vectors."""


VECTOR_MARGIN_M = 10_000.0
"""Vector features up to this far outside the AOI are kept (setbacks reach across the boundary)."""


def _is_raster(path: Path | str) -> bool:
    return Path(source_name(path)).suffix.lower() in RASTER_SUFFIXES


def _read_as_raster(name: str, path: Path | str, kind: LayerKind | str | None) -> bool:
    """Whether input ``name`` is read as a raster: as the models read it (``kind``), else by its suffix.

    A file whose suffix says the other kind is refused, naming the input and the kind wanted.
    """
    raster = _is_raster(path)
    if kind is None:
        return raster
    wanted = LayerKind(kind) is not LayerKind.VECTOR
    if wanted != raster:
        raise InvalidParameterError(
            f"sources.{name}: the models read {name!r} as a {'raster' if wanted else 'vector'} layer "
            f"(input kind {LayerKind(kind).value!r}), but {source_name(path)!r} is a "
            f"{'raster' if raster else 'vector'} file (raster suffixes: {', '.join(RASTER_SUFFIXES)})"
        )
    return raster


def _raster_options(name: str, spec: InputSpec | None, kind: LayerKind | str | None) -> dict[str, Any]:
    """:func:`raster_read_options`, with ``kind="categorical"`` where the models read classes (undeclared)."""
    opts = raster_read_options(name, spec)
    if kind is not None and LayerKind(kind) is LayerKind.CATEGORICAL and "kind" not in opts:
        opts["kind"] = "categorical"
        opts.pop("to_units", None)
    return opts


def raster_read_options(name: str, spec: InputSpec | None = None) -> dict[str, Any]:
    """Keyword arguments of :func:`steppe_geo.io.read_raster` for input ``name``.

    The options declared in its ``[sources.<name>]`` table, plus what its role
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


@renamed_parameter(old="inputs", new="sources", since="0.2.0")
def build_grid(sources: Mapping[str, Path | str], grid_config: GridConfig, *,
               layers: Mapping[str, str] | None = None,
               specs: Mapping[str, InputSpec] | None = None) -> Grid:
    """The analysis grid for the area of interest named in ``grid_config.aoi``.

    Parameters
    ----------
    sources : mapping name → path
        ``Config.sources`` (``[sources]``). Was ``inputs`` (a deprecated alias until 0.3.0).
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
        its message prefixed with the config key ``sources.<aoi>``.
    """
    spec = (specs or {}).get(grid_config.aoi)
    try:
        aoi = read_vector(sources[grid_config.aoi], layer=(layers or {}).get(grid_config.aoi),
                          role="polygons",
                          encoding=None if spec is None else spec.encoding)
    except SteppeGeoError as exc:  # the same error, naming the config key of the file at fault
        raise type(exc)(f"sources.{grid_config.aoi}: {exc}") from None
    projection = cast(Literal["equal-area", "utm"], grid_config.projection)  # checked by the config reader
    return Grid.for_area(aoi, resolution_m=grid_config.resolution_m, margin_m=grid_config.margin_m,
                         projection=projection)


@renamed_parameter(old="inputs", new="sources", since="0.2.0")
def load_inputs(sources: Mapping[str, Path | str], grid: Grid, *, layers: Mapping[str, str] | None = None,
                specs: Mapping[str, InputSpec] | None = None,
                kinds: Mapping[str, LayerKind | str] | None = None, progress: bool = False) -> InputLayers:
    """Read every input: rasters aligned onto ``grid``, vectors reprojected to its CRS.

    Parameters
    ----------
    sources : mapping name → path
        ``Config.sources`` (``[sources]``). Was ``inputs`` (a deprecated alias until 0.3.0).
    grid : Grid
    kinds : mapping name → LayerKind, optional
        The kind the models read each input as (:func:`steppe_geo.pipeline.build.configured_input_kinds`,
        from :func:`steppe_geo.models.input_kinds`): a vector input is read as a vector file, a class
        raster as ``kind="categorical"`` unless its ``kind`` is declared. Inputs not in it (the AOI,
        the parcels) are read as their file suffix says (:data:`RASTER_SUFFIXES`).
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

    Raises
    ------
    InvalidParameterError
        A file of the other kind than ``kinds`` gives (a raster file for a vector input, or the
        reverse), naming the input.
    """
    t0 = time.perf_counter()
    rasters: dict[str, xr.DataArray] = {}
    vectors: dict[str, gpd.GeoDataFrame] = {}
    kinds = kinds or {}
    for name, path in tqdm(list(sources.items()), desc="load and align", unit="layer", disable=not progress):
        path = input_path(path)  # a URL stays a string
        spec = (specs or {}).get(name)
        if _read_as_raster(name, path, kinds.get(name)):
            opts = _raster_options(name, spec, kinds.get(name))
            rasters[name] = read_raster(path, grid=grid, name=name, **opts)
        else:
            vectors[name] = _read_vector_input(name, path, grid, layer=(layers or {}).get(name), spec=spec)
        log.info("loaded %s from %s", name, source_name(path))
    seconds = time.perf_counter() - t0
    log.info("loaded and aligned %d rasters and %d vector layers in %.1f s", len(rasters), len(vectors),
             seconds)
    return InputLayers(grid, rasters, vectors, {k: input_path(v) for k, v in sources.items()}, seconds)


class AlignedRasters(Mapping[str, xr.DataArray]):
    """Aligned rasters of a streamed or Dask run, read from their tiled files when asked for.

    A mapping name → DataArray like ``InputLayers.layers`` in memory mode, but nothing is held:
    each lookup reads the file (:func:`steppe_geo.io.read_window` over the whole grid). The
    windowed stages read ``InputLayers.files`` window by window instead.
    """

    def __init__(self, files: Mapping[str, Path]) -> None:
        self._files = dict(files)

    def __getitem__(self, name: str) -> xr.DataArray:
        return read_window(self._files[name], name=name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


@renamed_parameter(old="inputs", new="sources", since="0.2.0")
def align_inputs(sources: Mapping[str, Path | str], grid: Grid, work: Path, *,
                 layers: Mapping[str, str] | None = None, specs: Mapping[str, InputSpec] | None = None,
                 kinds: Mapping[str, LayerKind | str] | None = None, rows: int = 256, client: Any = None,
                 progress: bool = False) -> InputLayers:
    """Read every input for a streamed or Dask run: rasters aligned strip by strip into tiled files.

    Each raster is aligned onto ``grid`` by :func:`steppe_geo.io.align_to_file` (the same values
    as :func:`load_inputs`, holding one strip of ``rows`` grid rows at a time) into
    ``work/aligned/<name>.tif``; vectors are read as in :func:`load_inputs`.

    Parameters
    ----------
    sources : mapping name → path
        ``Config.sources`` (``[sources]``). Was ``inputs`` (a deprecated alias until 0.3.0).
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
    kinds : mapping name → LayerKind, optional
        The kind the models read each input as, as in :func:`load_inputs`.
    rows : int, default 256
        Grid rows per strip.
    client : distributed.Client, optional
        Dask runs: each strip is a task (:func:`steppe_geo.io.align_to_file`).
    progress : bool, default False
        Show a tqdm progress bar.

    Returns
    -------
    InputLayers
        ``files`` holds the aligned rasters; ``layers`` reads them on access
        (:class:`AlignedRasters`).
    """
    t0 = time.perf_counter()
    files: dict[str, Path] = {}
    vectors: dict[str, gpd.GeoDataFrame] = {}
    kinds = kinds or {}
    for name, path in tqdm(list(sources.items()), desc="load and align", unit="layer", disable=not progress):
        path = input_path(path)  # a URL stays a string
        spec = (specs or {}).get(name)
        target = work / "aligned" / f"{name}.tif"
        if _read_as_raster(name, path, kinds.get(name)):
            opts = _raster_options(name, spec, kinds.get(name))
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
    # AlignedRasters is a read-only Mapping where InputLayers.rasters is typed as the in-memory dict
    return InputLayers(grid, AlignedRasters(files), vectors,  # type: ignore[arg-type]  # (see above)
                       {k: input_path(v) for k, v in sources.items()}, seconds, files=files)


def _converts_values(path: Path | str, opts: Mapping[str, Any]) -> bool:
    """Whether reading ``path`` with ``opts`` changes its values (units, scale, offset, nodata, a band)."""
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
    encoding = None if spec is None else spec.encoding
    try:
        return read_vector(path, layer=layer, crs=grid.crs, aoi=grid, margin_m=VECTOR_MARGIN_M,
                           encoding=encoding)
    except EmptyLayerError as exc:  # "nothing here": the models note it, or refuse if it matters
        log.info("%s: %s; read as an empty layer (nothing here)", name, exc)
        empty = gpd.GeoDataFrame(geometry=[], crs=grid.crs)
        empty.attrs.update(source=source_name(path), empty=str(exc))
        return empty


COARSE_SOURCE_RATIO = 10.0
"""A source pixel this many times coarser than the grid's (or more) gets a warning in the summary."""


SUMMARY_WINDOW = 2048
"""Window (pixels) over which the input summary is accumulated (memory and windowed runs alike)."""


class _RasterStats:
    """Statistics of one aligned raster accumulated window by window (exact counts, min/max, classes)."""

    def __init__(self) -> None:
        self.total = self.valid = self.inside = self.inside_valid = self.count = 0
        self.sum = 0.0
        self.min = self.max = math.nan
        self.classes: set[int] = set()
        self.floating = False

    def add(self, da: xr.DataArray, inside: np.ndarray | None) -> None:
        v = np.asarray(da.values)
        self.floating = bool(np.issubdtype(v.dtype, np.floating))
        if self.floating:
            ok = np.isfinite(v)
            finite = v[ok]
            if finite.size:
                lo, hi = float(finite.min()), float(finite.max())
                self.min = lo if math.isnan(self.min) else min(self.min, lo)
                self.max = hi if math.isnan(self.max) else max(self.max, hi)
                self.sum += float(np.sum(finite, dtype=np.float64))
                self.count += int(finite.size)
        else:
            nd = da.rio.nodata
            ok = v != nd if nd is not None else np.ones(v.shape, bool)
            self.classes.update(int(c) for c in np.unique(v[ok]))
        self.total += int(ok.size)
        self.valid += int(ok.sum())
        if inside is not None:
            ok_2d = ok.all(axis=0) if ok.ndim == 3 else ok
            self.inside += int(inside.sum())
            self.inside_valid += int(ok_2d[inside].sum())

    def stats(self) -> dict[str, Any]:
        if not self.floating:
            return {"classes": sorted(self.classes)[:50]}
        if not self.count:
            return {}
        return {"min": self.min, "max": self.max, "mean": self.sum / self.count}


def _source_pixel_size(path: Path | str, grid: Grid) -> float:
    """The pixel size of a source raster in the grid's CRS, as :func:`steppe_geo.io.read_raster` gives it.

    Over the part of the source covering the grid (the window ``read_raster`` reads); for windowed
    runs, whose aligned files do not carry it. Reads the header only.
    """
    with rasterio.open(path) as ds:
        window = _grid_window(ds, grid, str(path)) or Window(0, 0, ds.width, ds.height)
        crs = pyproj.CRS.from_user_input(ds.crs.to_wkt())
        transform = ds.window_transform(window)
    return _source_resolution_in(crs, transform, (int(window.height), int(window.width)), grid.crs)


def _file_source_attrs(name: str, da: xr.DataArray, source: Path | str, grid: Grid) -> None:
    """Add to a window read from an aligned file the source attributes ``read_raster`` would give.

    ``source_pixel_size`` from the source's header; ``source_units`` for a file aligned as it was
    (tagged ``resampling`` by :func:`steppe_geo.io.align_to_file`: no unit conversion) whose role reads
    it in given units (:func:`raster_read_options`), as ``read_raster`` sets them. A raster
    converted while reading (declared units, scale, ...) does not carry its source units.
    """
    da.attrs.setdefault("source_pixel_size", _source_pixel_size(source, grid))
    units = da.attrs.get("units")
    if units and da.attrs.get("kind") == "continuous" and da.attrs.get("resampling") \
            and raster_read_options(name).get("to_units") and "source_units" not in da.attrs:
        try:
            da.attrs["source_units"] = parse_unit(units).symbol
        except InvalidParameterError:  # unknown units are left as they are (no source units)
            pass


def _raster_summary(first: xr.DataArray, stats: _RasterStats, grid: Grid) -> dict[str, Any]:
    """A raster's summary from its accumulated statistics and the metadata of its first window."""
    shape = [*first.shape[:-2], grid.rows, grid.cols]
    out = {"dims": list(first.dims), "shape": shape, "dtype": str(first.dtype),
           "units": first.attrs.get("units"), "valid_fraction": round(stats.valid / stats.total, 4),
           **stats.stats()}
    if first.attrs.get("source_units"):
        out["source_units"] = first.attrs["source_units"]
    if stats.inside:
        out["aoi_coverage"] = round(stats.inside_valid / stats.inside, 4)
    size = first.attrs.get("source_pixel_size")
    if size:
        out["source_pixel_size_m"] = round(float(size), 3)
        grid_px = math.sqrt(abs(float(first.rio.resolution()[0] * first.rio.resolution()[1])))
        out["source_to_grid_ratio"] = round(float(size) / grid_px, 3)
    return out


def _summarize_rasters(layers: InputLayers, aoi: gpd.GeoDataFrame | None) -> dict[str, dict[str, Any]]:
    """Every aligned raster summarised window by window: from ``layers.files`` in windowed runs."""
    g = layers.grid
    names = list(layers.files) if layers.files else list(layers.layers)
    stats = {k: _RasterStats() for k in names}
    first: dict[str, xr.DataArray] = {}
    whole = {} if layers.files else {k: layers.layers[k] for k in names}
    polygon = None if aoi is None else _pixel_polygon(aoi_polygon(aoi, crs=g.crs), g)
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):  # the window, not GDAL's block cache, sets the memory
        for win in g.windows(SUMMARY_WINDOW):
            r, c = win.core_slices
            core = win.core
            inside = None if polygon is None else _inside_window(
                polygon, int(core.row_off), int(core.col_off), (int(core.height), int(core.width)))
            for k in names:
                if layers.files:
                    da = read_window(layers.files[k], core, name=k)
                else:
                    da = whole[k].isel({whole[k].dims[-2]: r, whole[k].dims[-1]: c})
                if k not in first and layers.files and k in layers.paths:
                    _file_source_attrs(k, da, layers.paths[k], g)
                first.setdefault(k, da)
                stats[k].add(da, inside)
    return {k: _raster_summary(first[k], stats[k], g) for k in names}


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

    Notes
    -----
    The statistics are accumulated window by window (:data:`SUMMARY_WINDOW`): in streamed and
    Dask runs each window is read from the aligned files (``layers.files``), never a whole
    raster. Counts, minimum, maximum and classes are exact; the mean is a float64 sum. Pixels
    inside the AOI are those whose centre is inside its polygon (bit ``outside_aoi`` of the
    models).
    """
    g = layers.grid
    aoi = aoi if aoi is not None else getattr(layers, "aoi", None)
    rasters = _summarize_rasters(layers, aoi)
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

