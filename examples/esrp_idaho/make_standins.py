"""Write the synthetic stand-in layers of the Eastern Snake River Plain example (``esrp_idaho.toml``).

The example runs every model on the **real** USGS inputs in ``tests/data/real/esrp_idaho/`` (DEM in
feet, TIGER roads, NHD streams and lakes, GNIS city points, outlines). No public layer of the
same area exists in the repository for wind, irradiance, climate, soils, NDVI, land cover,
power lines or land parcels, so this script makes **synthetic stand-ins** for those, on the
real DEM's CRS and extent, deterministically from one seed (same seed, byte-identical files).
They are plausible for a semi-arid sagebrush steppe at ~1,500 m (values in ``README.md``),
shaped by the real layers where that is cheap (elevation, lakes, streams, cities, buttes), and
stored the way the real products they imitate are delivered:

* land cover with **USGS NLCD** class codes (so the example needs ``land_cover_legend = "nlcd"``);
* NDVI as MODIS-style **scaled integers** (×10000, fill −3000): 24 annual maxima 2001–2024;
* climate at ~1 km, wind at 250 m, soils at 250 m, land cover at 90 m.

Run from anywhere: ``python examples/esrp_idaho/make_standins.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.features import rasterize
from rasterio.transform import from_origin
from scipy import ndimage

os.environ["OGR_CURRENT_DATE"] = "2026-01-01T00:00:00.000Z"  # GeoPackage timestamps pinned: reproducible

SEED = 20261203
HERE = Path(__file__).resolve().parent
REAL = HERE.parents[1] / "tests" / "data" / "real" / "esrp_idaho"
OUT = HERE / "standins"
YEARS = list(range(2001, 2025))
TAGS = {"SYNTHETIC": "yes: steppe_geo stand-in for the esrp_idaho example (see README.md)"}


def _rng(key: int) -> np.random.Generator:
    return np.random.default_rng([SEED, key])


def _smooth_noise(shape: tuple[int, int], sigma: float, key: int) -> np.ndarray:
    z = ndimage.gaussian_filter(_rng(key).normal(0, 1, shape), sigma, mode="reflect")
    return (z - z.mean()) / (z.std() or 1.0)


def _grid(bounds, res):
    left, bottom, right, top = bounds
    width = int(np.ceil((right - left) / res))
    height = int(np.ceil((top - bottom) / res))
    return from_origin(left, top, res, res), (height, width)


def _dem_m_on(transform, shape, crs) -> np.ndarray:
    """The real DEM (feet) resampled onto a stand-in grid, in metres (averaged)."""
    from rasterio.warp import Resampling, reproject

    out = np.full(shape, np.nan, "float32")
    with rasterio.open(REAL / "dem_ft_albers.tif") as ds:
        reproject(rasterio.band(ds, 1), out, dst_transform=transform, dst_crs=crs, dst_nodata=np.nan,
                  resampling=Resampling.average)
    out = out * 0.3048
    return np.where(np.isfinite(out), out, np.nanmean(out))


def _write(name, data, transform, crs, *, nodata, units, description, kind="continuous", bands=None,
           scale=None):
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[None]
    profile = dict(driver="GTiff", height=data.shape[1], width=data.shape[2], count=data.shape[0],
                   dtype=data.dtype, crs=crs, transform=transform, nodata=nodata, compress="deflate",
                   predictor=2 if data.dtype.kind in "iu" else 1, tiled=False)
    path = OUT / f"{name}.tif"
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
        ds.update_tags(DESCRIPTION=description, units=units, STEPPE_GEO_KIND=kind, **TAGS)
        for i in range(data.shape[0]):
            ds.set_band_description(i + 1, bands[i] if bands else description)
        if scale is not None:
            ds.scales = [scale] * data.shape[0]
            ds.offsets = [0.0] * data.shape[0]
    return path


def _write_vec(name, gdf):
    path = OUT / f"{name}.gpkg"
    path.unlink(missing_ok=True)
    gdf.to_file(path, driver="GPKG", engine="pyogrio", layer=name, promote_to_multi=False,
                dataset_options={"VERSION": "1.2"})
    return path


def main() -> None:
    """Write every stand-in layer into ``standins/``."""
    OUT.mkdir(exist_ok=True)
    with rasterio.open(REAL / "dem_ft_albers.tif") as ds:
        crs, bounds = ds.crs, ds.bounds
    lakes = gpd.read_file(REAL / "lakes.gpkg").to_crs(crs)
    streams = gpd.read_file(REAL / "streams.gpkg").to_crs(crs)
    cities = gpd.read_file(REAL / "cities.gpkg").to_crs(crs)
    buttes = gpd.read_file(REAL / "mountains.gpkg").to_crs(crs)
    facilities = gpd.read_file(REAL / "facilities.gpkg").to_crs(crs)

    # --- wind speed at 100 m (250 m grid): windier to the north-east and on high ground
    t250, s250 = _grid(bounds, 250.0)
    z = _dem_m_on(t250, s250, crs)
    rows, cols = np.indices(s250)
    gradient = 0.9 * (cols / s250[1]) + 0.6 * (1 - rows / s250[0])
    wind = 6.3 + gradient + 0.0016 * (z - 1500.0) + 0.25 * _smooth_noise(s250, 6, 1)
    _write("wind_speed_100m", np.clip(wind, 4.5, 10.5).astype("float32"), t250, crs, nodata=-9999.0,
           units="m s-1", description="mean wind speed at 100 m above ground (stand-in)")

    # --- soils (250 m): shallow on the basalt flows, loams near the streams
    stream_dist = ndimage.distance_transform_edt(
        rasterize(((g, 1) for g in streams.geometry if g is not None), out_shape=s250, transform=t250,
                  fill=0, all_touched=True) == 0) * 250.0
    texture = np.where(stream_dist < 1500, 5, np.where(_smooth_noise(s250, 5, 2) > 0.4, 2, 3)).astype("uint8")
    texture = np.where(_smooth_noise(s250, 8, 3) > 0.9, 4, texture).astype("uint8")
    _write("soil_texture", texture, t250, crs, nodata=255, units="class", kind="categorical",
           description="USDA soil texture class, 0-30 cm (stand-in; codes as in the sample data README)")
    depth = np.clip(60 + 45 * _smooth_noise(s250, 4, 4) + np.where(stream_dist < 1500, 60, 0), 10, 200)
    _write("soil_depth", depth.astype("int16"), t250, crs, nodata=-32768, units="cm",
           description="soil depth to bedrock (stand-in)")

    # --- climate (1 km): precipitation rises with elevation; PET falls with it
    t1k, s1k = _grid(bounds, 1000.0)
    z1 = _dem_m_on(t1k, s1k, crs)
    precip = 215.0 + 0.16 * (z1 - 1450.0) + 12 * _smooth_noise(s1k, 3, 5)
    pet = 1010.0 - 0.12 * (z1 - 1450.0) + 15 * _smooth_noise(s1k, 3, 6)
    ghi = 1720.0 - 0.02 * (z1 - 1450.0) + 10 * _smooth_noise(s1k, 4, 7)
    _write("precipitation", precip.astype("float32"), t1k, crs, nodata=-9999.0, units="mm yr-1",
           description="mean annual precipitation 1991-2020 (stand-in)")
    _write("pet", pet.astype("float32"), t1k, crs, nodata=-9999.0, units="mm yr-1",
           description="mean annual potential evapotranspiration (stand-in)")
    _write("ghi", ghi.astype("float32"), t1k, crs, nodata=-9999.0, units="kWh m-2 yr-1",
           description="global horizontal irradiation, long-term annual sum (stand-in)")

    # --- land cover with USGS NLCD codes (90 m)
    t90, s90 = _grid(bounds, 90.0)

    def burn(geoms, value, **kw):
        return rasterize(((g, value) for g in geoms if g is not None and not g.is_empty), out_shape=s90,
                         transform=t90, fill=0, **kw)

    n1 = _smooth_noise(s90, 12, 8)
    lc = np.full(s90, 52, "uint8")                                   # shrub/scrub (sagebrush)
    lc[n1 > 0.7] = 71                                                # grassland/herbaceous
    lc[n1 < -1.1] = 31                                               # barren (lava flows)
    near_stream = ndimage.distance_transform_edt(burn(streams.geometry, 1, all_touched=True) == 0) * 90.0
    lc[(near_stream < 1200) & (_smooth_noise(s90, 6, 9) > -0.2)] = 82  # cultivated crops along canals
    lc[burn(buttes.geometry, 1) == 1] = 52
    lc[burn(facilities.geometry, 1) == 1] = 23                       # developed, medium intensity
    for i, pt in enumerate(cities.geometry):
        lc[burn([pt.buffer(900.0)], 1) == 1] = 22
        lc[burn([pt.buffer(400.0)], 1) == 1] = 23 if i % 2 else 24
    lc[burn(lakes.geometry, 1) == 1] = 11                            # open water
    _write("land_cover_nlcd", lc, t90, crs, nodata=0, units="class", kind="categorical",
           description="land cover class (USGS NLCD codes; stand-in)")

    # --- NDVI, MODIS style: 24 annual maxima, int16 x 10000, fill -3000
    t500, s500 = _grid(bounds, 500.0)
    from rasterio.warp import Resampling, reproject

    lc500 = np.zeros(s500, "uint8")
    reproject(lc, lc500, src_transform=t90, src_crs=crs, dst_transform=t500, dst_crs=crs,
              resampling=Resampling.mode)
    base = np.select([lc500 == 82, lc500 == 11, lc500 == 31, lc500 == 71, np.isin(lc500, (22, 23, 24))],
                     [0.55, -0.05, 0.08, 0.30, 0.18], 0.22).astype("float64")
    trend = -0.002 * (_smooth_noise(s500, 10, 10) > 0.8)              # a few degrading patches
    wet = _rng(11).normal(0, 1, len(YEARS))
    stack = []
    for i, _ in enumerate(YEARS):
        v = base + trend * i + 0.03 * wet[i] * (base > 0) + _rng(100 + i).normal(0, 0.01, s500)
        enc = np.round(np.clip(v, -0.2, 1.0) * 10000).astype("int16")
        enc[_rng(200 + i).random(s500) < 0.003] = -3000
        stack.append(enc)
    _write("ndvi", np.stack(stack), t500, crs, nodata=-3000, units="1", scale=0.0001,
           bands=[str(y) for y in YEARS], description="annual maximum NDVI (stand-in, MODIS-style scaled)")

    # --- power lines and substations (stand-ins), land parcels (PLSS-like blocks of 2 x 2 sections)
    left, bottom, right, top = bounds
    lines = [shapely.LineString([(left, bottom + 30_000), (left + 55_000, bottom + 52_000),
                                 (right, bottom + 75_000)]),
             shapely.LineString([(left + 55_000, bottom + 52_000), (left + 70_000, top)])]
    _write_vec("power_lines", gpd.GeoDataFrame(
        {"line_id": ["L1", "L2"], "name": ["345 kV (stand-in)", "138 kV (stand-in)"],
         "voltage_kv": [345, 138]}, geometry=lines, crs=crs))
    _write_vec("substations", gpd.GeoDataFrame(
        {"substation_id": ["S1"], "name": ["stand-in substation"], "voltage_kv": [345]},
        geometry=[shapely.Point(left + 55_000, bottom + 52_000)], crs=crs))
    mile = 2 * 1609.344  # two survey sections on a side
    x0, y0 = left + 5_000, bottom + 5_000
    cells, ids = [], []
    for j in range(int((top - y0 - 5_000) // mile)):
        for i in range(int((right - x0 - 5_000) // mile)):
            cells.append(shapely.box(x0 + i * mile, y0 + j * mile, x0 + (i + 1) * mile, y0 + (j + 1) * mile))
            ids.append(f"S{j:02d}-{i:02d}")
    county = gpd.read_file(REAL / "counties.gpkg").to_crs(crs)
    parcels = gpd.GeoDataFrame({"parcel_id": ids}, geometry=cells, crs=crs)
    parcels = parcels[parcels.intersects(shapely.union_all(county.geometry.values))].reset_index(drop=True)
    _write_vec("parcels", parcels)
    # county livestock census (stand-in numbers on the real county outlines)
    area_km2 = county.geometry.area / 1e6
    county = county.assign(sheep_units=np.round(area_km2 * _rng(12).uniform(4, 14, len(county))).astype(int))
    _write_vec("counties_livestock", county[["name", "id", "sheep_units", "geometry"]])
    # the area of interest: 7 vertices drawn over the plain (concave: a notch at the INL facilities),
    # saved in longitude/latitude as a web-map drawing tool would
    drawn = shapely.Polygon([(160_000, 205_000), (250_000, 195_000), (252_000, 245_000), (232_000, 250_000),
                             (222_000, 228_000), (208_000, 250_000), (183_000, 230_000)])
    _write_vec("aoi_drawn", gpd.GeoDataFrame({"name": ["ESRP screening area (drawn)"]}, geometry=[drawn],
                                             crs=crs).to_crs("EPSG:4326"))
    # an empty layer, as a national extract with nothing in the area arrives
    _write_vec("railways", gpd.GeoDataFrame({"name": []}, geometry=gpd.GeoSeries([], crs=crs), crs=crs))


if __name__ == "__main__":
    main()
