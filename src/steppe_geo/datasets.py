"""The bundled SYNTHETIC sample dataset (northern edge of the Kubuqi desert, Ordos).

About 70 km × 45 km (108.9–109.7° E, 40.0–40.4° N) of invented but plausible layers that
imitate the real products one would use (SRTM, Global Wind Atlas, MODIS NDVI, SoilGrids,
WorldCover, OpenStreetMap, land registers). They come in mixed CRSs, resolutions and
encodings on purpose. The data are **synthetic: never use them for a real decision**.
The datasheet is ``sample_data/README.md``; the generator is ``sample_data/generate.py``.

Examples
--------
>>> from steppe_geo import datasets
>>> paths = datasets.sample_paths()
>>> sorted(paths)[:3]
['airport', 'aoi', 'dem']
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import rasterio
import rasterio.shutil
import rasterio.windows
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin

from steppe_geo import synthetic as syn
from steppe_geo._typing import PathLike
from steppe_geo._validation import check_pixel_count, check_positive
from steppe_geo.errors import InvalidParameterError, OutputExistsError
from steppe_geo.samples import (
    LAYERS,
    RECORD_FILE,
    SampleLayer,
    describe,
    sample_dir,
    sample_grid,
    sample_paths,
    sample_record_path,
)
from steppe_geo.synthetic import FIXED_DATE, SAMPLE_AOI, noise, write_zipped_shapefile

__all__ = ["LAYERS", "RECORD_FILE", "REGION_CONFIG", "SampleLayer", "describe", "sample_dir", "sample_grid",
           "sample_paths", "sample_record_path", "synthetic_region"]


REGION_CONFIG = "region.toml"
"""Configuration written into a region's folder by :func:`synthetic_region` (the screening models)."""

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQ = 111_320.0
_FINE = 0.0025   # degrees: the 250 m class of layers (wind, NDVI, soil)
_COARSE = 0.01   # degrees: the ~1 km class (solar, climate)
_MARGIN_DEG = 0.02  # rasters cover the AOI plus this margin, as in the sample data


@dataclass(frozen=True)
class _RegionRaster:
    """How one raster layer of a region is written (its recipe and its file format)."""

    name: str
    dtype: str
    nodata: float
    bands: int = 1
    resolution_deg: float | None = None  # None: the region's resolution (DEM, land cover)
    utm: bool = False
    scale: float | None = None
    band_names: tuple[str, ...] | None = None


_REGION_RASTERS = (
    _RegionRaster("dem", "int16", -32768),
    _RegionRaster("wind_speed_100m", "float32", -9999.0, resolution_deg=_FINE),
    _RegionRaster("weibull_k", "float32", -9999.0, resolution_deg=_FINE),
    _RegionRaster("wind_direction", "float32", -9999.0, resolution_deg=_FINE),
    _RegionRaster("ndvi", "int16", -3000, bands=24, resolution_deg=_FINE, scale=0.0001,
                  band_names=tuple(str(y) for y in range(2001, 2025))),
    _RegionRaster("soil_texture", "uint8", 255, resolution_deg=_FINE),
    _RegionRaster("soil_depth", "int16", -32768, resolution_deg=_FINE),
    _RegionRaster("ghi", "float32", -9999.0, resolution_deg=_COARSE),
    _RegionRaster("precipitation", "float32", -9999.0, resolution_deg=_COARSE),
    _RegionRaster("pet", "float32", -9999.0, resolution_deg=_COARSE),
    _RegionRaster("land_cover", "uint8", 0, utm=True),
)


def _region_values(spec: _RegionRaster, lon: np.ndarray, lat: np.ndarray, seed: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Values of one window: (bands, rows, cols) of ``spec.dtype``, from the shared recipes."""
    flon, flat = syn.fold(lon, lat)
    name = spec.name
    if name == "dem":
        out: np.ndarray = np.round(syn.elevation(flon, flat, seed=seed)).astype(np.int16)
    elif name in ("wind_speed_100m", "weibull_k", "wind_direction", "ghi", "precipitation", "pet"):
        out = getattr(syn, name)(flon, flat, seed=seed)
    elif name in ("soil_texture", "soil_depth"):
        out = getattr(syn, name)(flon, flat, syn.zones(flon, flat, seed=seed), seed=seed)
    elif name == "land_cover":
        z = syn.zones(flon, flat, seed=seed)
        out = syn.land_cover_classes(flon, flat, z, seed=seed)
        out[(rng.random(lon.shape) < 0.004) & (z > 0)] = 30  # salt-and-pepper classification noise
    else:  # ndvi: 24 years, scaled int16 with cloud / snow fill
        z = syn.zones(flon, flat, seed=seed)
        base, slope = syn.ndvi_base_and_trend(flon, flat, z, seed=seed)
        wet = np.random.default_rng([seed, 99]).normal(0, 1, len(syn.YEARS))  # rainfall anomaly per year
        out = np.empty((len(syn.YEARS), *lon.shape), np.int16)
        for i, year in enumerate(syn.YEARS):
            v = base + slope * i + 0.15 * base * 0.12 * wet[i] + rng.normal(0, 0.012, lon.shape)
            v = np.where(z == 0, base + rng.normal(0, 0.01, lon.shape), v)
            band = np.round(np.clip(v, -0.1, 0.92) * 10000).astype(np.int16)
            band[rng.random(lon.shape) < 0.003] = -3000
            if year in syn.CLOUDS:
                cx, cy, rx, ry = syn.CLOUDS[year]
                cloud = (((flon - cx) / rx) ** 2 + ((flat - cy) / ry) ** 2
                         + 0.3 * syn.noise(flon, flat, 0.05, year, seed=seed)) < 1
                band[cloud] = -3000
            out[i] = band
        return out
    return out[None] if out.ndim == 2 else out


def _write_region_raster(spec: _RegionRaster, path: Path, *, crs: Any, transform: Any, shape: tuple[int, int],
                         seed: int, window: int) -> None:
    """Write one layer window by window into a tiled GeoTIFF, then copy it to a COG (block by block)."""
    rows, cols = shape
    check_pixel_count(rows, cols, bands=spec.bands, what=f"synthetic layer {spec.name!r}",
                      hint="choose a smaller size_px or a coarser resolution_m")
    kind = LAYERS[spec.name].kind
    predictor = 3 if spec.dtype.startswith("float") else 2
    profile = dict(driver="GTiff", width=cols, height=rows, count=spec.bands, dtype=spec.dtype, crs=crs,
                   transform=transform, nodata=spec.nodata, tiled=True, blockxsize=512, blockysize=512,
                   compress="deflate", predictor=predictor, BIGTIFF="IF_SAFER")
    to_ll = None if not spec.utm else Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    tmp = path.with_name(f".{path.stem}-tiled.tif")
    with rasterio.open(tmp, "w", **profile) as ds:
        for r0 in range(0, rows, window):
            for c0 in range(0, cols, window):
                h, w = min(window, rows - r0), min(window, cols - c0)
                xs = transform.c + (np.arange(c0, c0 + w) + 0.5) * transform.a
                ys = transform.f + (np.arange(r0, r0 + h) + 0.5) * transform.e
                x, y = np.meshgrid(xs, ys)
                lon, lat = (x, y) if to_ll is None else to_ll.transform(x, y)
                # per-window random draws, keyed by the window's position: same seed -> same bytes
                rng = np.random.default_rng([seed, _REGION_RASTERS.index(spec), r0, c0])
                ds.write(_region_values(spec, lon, lat, seed, rng),
                         window=rasterio.windows.Window(c0, r0, w, h))
        units = LAYERS[spec.name].units
        ds.update_tags(STEPPE_GEO_KIND=kind, units=units, DESCRIPTION=LAYERS[spec.name].role,
                       SYNTHETIC=f"yes: steppe_geo synthetic region, seed {seed}")
        for b in range(spec.bands):
            ds.set_band_unit(b + 1, units)
            ds.set_band_description(b + 1, spec.band_names[b] if spec.band_names else LAYERS[spec.name].role)
        if spec.scale is not None:
            ds.scales = (spec.scale,) * spec.bands
            ds.offsets = (0.0,) * spec.bands
    resampling = "NEAREST" if kind == "categorical" else "AVERAGE"
    with rasterio.Env(GDAL_CACHEMAX=128):
        rasterio.shutil.copy(tmp, path, driver="COG", COMPRESS="DEFLATE", PREDICTOR=str(predictor),
                             BLOCKSIZE=512, OVERVIEW_RESAMPLING=resampling, BIGTIFF="IF_SAFER")
    tmp.unlink()


def _region_geometry(size_px: tuple[int, int], resolution_m: float) -> tuple[float, float, float, float]:
    """Bounds (west, south, east, north) in degrees of an AOI holding about ``size_px`` pixels."""
    rows, cols = size_px
    west, north = SAMPLE_AOI[0], SAMPLE_AOI[3]
    south = north - rows * resolution_m / _M_PER_DEG_LAT
    width = cols * resolution_m / (_M_PER_DEG_LON_EQ * math.cos(math.radians((north + south) / 2)))
    return (west, south, west + width, north)


def _region_aoi(bounds: tuple[float, float, float, float], seed: int) -> Any:
    """An irregular AOI polygon inside ``bounds``: edges pushed in by smooth noise (degrees)."""
    w, s, e, n = bounds
    step = 0.01
    inset = 0.1 * min(e - w, n - s)  # at most a tenth of the smaller side
    ring = shapely.segmentize(shapely.box(w, s, e, n).exterior, step)
    xy = shapely.get_coordinates(ring)[:-1]
    push = inset * (0.5 + 0.5 * noise(xy[:, 0], xy[:, 1], 0.3, 60, seed=seed)).clip(0, 1)
    cx, cy = (w + e) / 2, (s + n) / 2
    d = np.hypot(xy[:, 0] - cx, xy[:, 1] - cy)
    xy = xy + (np.c_[cx - xy[:, 0], cy - xy[:, 1]] / d[:, None]) * push[:, None]
    return shapely.make_valid(shapely.Polygon(np.round(xy, 6)))


def _tile_copies(gdf: Any, bounds: tuple[float, float, float, float]) -> Any:
    """The sample layer ``gdf`` (degrees) mirrored into every tile of ``bounds`` (see :func:`fold`)."""
    w0, s0, e0, n0 = SAMPLE_AOI
    tw, th = e0 - w0, n0 - s0
    west, south, east, north = bounds
    ntx, nty = math.ceil(round((east - west) / tw, 9)), math.ceil(round((north - south) / th, 9))
    parts = []
    for j in range(nty):
        for i in range(ntx):
            def move(c: np.ndarray, i: int = i, j: int = j) -> np.ndarray:
                x = w0 + i * tw + (c[:, 0] - w0) if i % 2 == 0 else w0 + (i + 1) * tw - (c[:, 0] - w0)
                y = c[:, 1] - j * th if j % 2 == 0 else n0 - (j + 1) * th + (n0 - c[:, 1])
                return np.c_[x, y]

            geoms = shapely.transform(gdf.geometry.values, move)
            b = shapely.bounds(geoms)
            keep = (b[:, 0] <= east) & (b[:, 2] >= west) & (b[:, 1] <= north) & (b[:, 3] >= south)
            if i == j == 0:  # the sample tile itself is kept whole: no layer is ever empty
                keep[:] = True
            if keep.any():
                part = gdf.loc[keep].copy()
                part = part.set_geometry(gpd.GeoSeries(geoms[keep], index=part.index, crs=gdf.crs))
                tile = j * ntx + i
                for col in [c for c in part.columns if c.endswith("_id")]:
                    if pd.api.types.is_integer_dtype(part[col]):  # references stay consistent across layers
                        part[col] = part[col] + tile * 10_000
                    else:
                        part[col] = [f"{v[:1]}{tile:05d}{v[1:]}" if isinstance(v, str) else v
                                     for v in part[col]]
                parts.append(part)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=gdf.crs)


def _write_region_vector(gdf: Any, path: Path) -> None:

    if path.name.endswith(".zip"):
        write_zipped_shapefile(gdf, path)
    elif path.suffix == ".geojson":
        gdf.to_file(path, driver="GeoJSON", engine="pyogrio", layer=path.stem, COORDINATE_PRECISION=7)
    else:
        date = "{:04d}-{:02d}-{:02d}T00:00:00.000Z".format(*FIXED_DATE)
        previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": date})  # byte-identical GeoPackages
        try:
            gdf.to_file(path, driver="GPKG", engine="pyogrio", layer=path.stem, promote_to_multi=False,
                        dataset_options={"VERSION": "1.2"})
        finally:
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def _region_config(resolution_m: float) -> str:
    """The screening configuration of a region (its inputs are the files beside it)."""
    inputs = "\n".join(f'{k} = "{LAYERS[k].file}"' for k in LAYERS if k != "wind_direction")
    return f'''# SYNTHETIC region written by steppe_geo.datasets.synthetic_region: never use it for decisions.
# Run with:  steppe-geo run {REGION_CONFIG}   (validate first: it prints the size and memory estimate)

[project]
name = "Synthetic region screening (wind, solar, desertification, restoration)"

[sources]
{inputs}

[grid]
aoi = "aoi"
resolution_m = {resolution_m:g}

[models.wind]
preset = "wind_onshore"

[models.solar]
preset = "solar_pv"

[models.desertification]
preset = "desertification_esai"

[models.restoration]
preset = "restoration_priority"

[parcels]
source = "parcels"
id_column = "parcel_id"
name_column = "name_zh"
rank_by = ["wind", "solar", "restoration"]
select_by = "restoration"
budget_ha = 10000
n_draws = 100

[outputs]
directory = "region-output"
vectors = ["gpkg"]
maps = ["png"]

[run]
mode = "streamed"
window = 1024
'''


def synthetic_region(out_dir: PathLike, *, size_px: int | tuple[int, int], resolution_m: float = 100.0,
                     seed: int = 20261128, window: int = 1024, overwrite: bool = False) -> dict[str, Path]:
    """Write a SYNTHETIC region of any size: the sample layers, their messiness, tiled COGs.

    The region starts at the sample AOI's north-west corner (108.9° E, 40.4° N) and extends east
    and south so that an analysis grid at ``resolution_m`` over it holds about ``size_px`` pixels.
    It repeats the sample landscape as mirror images (:func:`steppe_geo.synthetic.fold`), with the
    same layers, file names, CRSs, encodings and messiness as the sample data: the DEM (int16,
    lon/lat, at about ``resolution_m``) and land cover (uint8 WorldCover codes, UTM zone of the
    region's centre, at ``resolution_m``), 250 m and 1 km lon/lat layers, NDVI as 24 scaled int16
    bands with cloud fill, soil classes with nodata; vector layers copied from the sample into each
    tile (parcels, kept inside the AOI, with invalid geometries, Chinese and Mongolian names, mixed
    CRSs, a zipped shapefile, GeoJSON), and an irregular AOI. A configuration running the four
    screening models on it is written as ``region.toml`` beside the layers, and a ``README.md``
    saying the data are synthetic.

    Rasters are computed and written window by window (``window`` × ``window`` pixels) into a tiled
    GeoTIFF, which GDAL then copies block by block into a COG: memory is bounded by the window,
    whatever the size. Vector layers grow with the number of tiles (about 1,000 parcels per
    70 km × 45 km tile). Every value is a function of the coordinates, the seed and the window's
    position, so the same arguments give byte-identical files.

    Parameters
    ----------
    out_dir : path
        Folder to write (created; must not exist or be empty unless ``overwrite``).
    size_px : int or (rows, cols)
        Pixels of an analysis grid over the region at ``resolution_m`` (an int: square).
    resolution_m : float, default 100
        Analysis resolution the size refers to, in metres; also the DEM's and land cover's pixel size.
    seed : int, default 20261128
        Seed of every random field and draw (the sample data's seed by default).
    window : int, default 1024
        Window size in pixels for computing and writing rasters.
    overwrite : bool, default False
        Write into an existing, non-empty folder (files of the same name are replaced).

    Returns
    -------
    dict of str to pathlib.Path
        Layer name → file, with the same keys as :func:`sample_paths`.

    Raises
    ------
    InvalidParameterError
        ``size_px``, ``resolution_m`` or ``window`` is not positive.
    SizeLimitError
        A layer would exceed :data:`steppe_geo.grid.MAX_GRID_PIXELS`.
    OutputExistsError
        ``out_dir`` holds files and ``overwrite`` is False.

    Examples
    --------
    >>> import tempfile
    >>> import steppe_geo as sg
    >>> from steppe_geo import datasets
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = datasets.synthetic_region(d, size_px=(64, 96), resolution_m=500)
    ...     grid = sg.Grid.for_area(sg.read_vector(paths["aoi"]), resolution_m=500)
    ...     sorted(paths) == sorted(datasets.LAYERS), grid.shape[0] <= 64 and grid.shape[1] <= 96
    (True, True)
    """
    pair = (size_px, size_px) if isinstance(size_px, int | np.integer) else tuple(size_px)
    if len(pair) != 2 or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) and v > 0
                                 for v in pair):
        raise InvalidParameterError(f"size_px must be an integer > 0 or (rows, cols) of them, "
                                    f"got {size_px!r}")
    rows, cols = (int(v) for v in pair)
    resolution_m = check_positive(resolution_m, param="resolution_m")
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window <= 0:
        raise InvalidParameterError(f"window must be an integer > 0 pixels, got {window!r}")
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not overwrite)):
        raise OutputExistsError(f"out_dir {str(out)!r} exists and is not an empty folder; choose another "
                                "folder or pass overwrite=True (--overwrite)")
    out.mkdir(parents=True, exist_ok=True)
    aoi_b = _region_geometry((rows, cols), resolution_m)
    m = _MARGIN_DEG
    w, s, e, n = (aoi_b[0] - m, aoi_b[1] - m, aoi_b[2] + m, aoi_b[3] + m)
    lon0 = (w + e) / 2
    utm = pyproj.CRS.from_epsg(32600 + int((lon0 + 180) // 6) + 1)
    crs: pyproj.CRS | str
    for spec in _REGION_RASTERS:
        if spec.utm:
            tb = pyproj.Transformer.from_crs("EPSG:4326", utm, always_xy=True).transform_bounds(
                w, s, e, n, densify_pts=21)
            r = resolution_m
            left, bottom = np.floor(tb[0] / r) * r, np.floor(tb[1] / r) * r
            right, top = np.ceil(tb[2] / r) * r, np.ceil(tb[3] / r) * r
            shape = (round((top - bottom) / resolution_m), round((right - left) / resolution_m))
            transform, crs = from_origin(left, top, resolution_m, resolution_m), utm
        else:
            res = spec.resolution_deg or resolution_m / _M_PER_DEG_LAT
            shape = (max(1, round((n - s) / res)), max(1, round((e - w) / res)))
            transform, crs = from_origin(w, n, res, res), "EPSG:4326"
        _write_region_raster(spec, out / LAYERS[spec.name].file, crs=crs, transform=transform, shape=shape,
                             seed=seed, window=int(window))
    aoi_geom = _region_aoi(aoi_b, seed)
    sample = sample_paths()
    for name, layer in LAYERS.items():
        if layer.kind != "vector" or name == "aoi":
            continue
        gdf = gpd.read_file(sample[name], engine="pyogrio")
        copies = _tile_copies(gdf.to_crs("EPSG:4326"), (w, s, e, n))
        if name == "parcels":  # parcels lie in the AOI, as in the sample (centre of their bounds inside)
            b = shapely.bounds(copies.geometry.values)
            inside = shapely.contains_xy(aoi_geom, (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2)
            copies = copies.loc[inside].reset_index(drop=True)
        crs = utm if layer.crs != "EPSG:4326" else "EPSG:4326"  # parcels, homesteads: UTM as in the sample
        _write_region_vector(copies.to_crs(crs), out / layer.file)
    aoi = gpd.GeoDataFrame({"name": ["synthetic region (SYNTHETIC)"], "name_zh": ["合成示例区域 (合成数据)"]},
                           geometry=[aoi_geom], crs="EPSG:4326")
    _write_region_vector(aoi, out / LAYERS["aoi"].file)
    (out / REGION_CONFIG).write_text(_region_config(resolution_m), encoding="utf-8")
    (out / "README.md").write_text(_region_readme((rows, cols), resolution_m, seed, (w, s, e, n)),
                                   encoding="utf-8")
    return {name: out / layer.file for name, layer in LAYERS.items()}


def _region_readme(size_px: tuple[int, int], resolution_m: float, seed: int,
                   bounds: tuple[float, float, float, float]) -> str:
    rows = "\n".join(f"| `{layer.file}` | {name} | {layer.kind} | {layer.units} | {layer.role} |"
                     for name, layer in LAYERS.items())
    return (
        "# SYNTHETIC region — invented data, never use it for a real decision\n\n"
        f"Written by `steppe_geo.datasets.synthetic_region(size_px={size_px}, resolution_m={resolution_m:g}, "
        f"seed={seed})` (or `steppe-geo make-region`). Extent {tuple(round(b, 4) for b in bounds)} "
        "(west, south, east, north; degrees): the bundled Kubuqi sample landscape repeated as mirror "
        "images, with the sample's layers, encodings and messiness. See `docs/sample_data.md`.\n\n"
        f"Run the screening models with `steppe-geo run {REGION_CONFIG}`.\n\n"
        "| file | layer | kind | units | role |\n|---|---|---|---|---|\n" + rows + "\n"
    )
