"""Generate the SYNTHETIC steppe_geo sample dataset (northern edge of the Kubuqi desert).

Run from the repository root::

    python sample_data/generate.py            # rewrites the files in sample_data/
    python sample_data/generate.py --out DIR  # writes them to DIR instead

Everything is derived from one fixed seed; running it twice gives byte-identical files:
GeoPackage timestamps are pinned through ``OGR_CURRENT_DATE``, the dBASE header of the
shapefile through ``DBF_DATE_LAST_UPDATE`` and the zip entries carry a fixed date (tested in
``tests/test_datasets.py``). GeoPackages are written as version 1.2, as ``steppe_geo.io`` does,
so that GDAL 3.6 / older QGIS open them without a warning. The script also rewrites
``README.md`` with the value ranges it measured.

This is a development script, not part of the package API. The data are invented:
do not use them for any real decision.
"""

from __future__ import annotations

import argparse
import itertools
import os
from pathlib import Path

os.environ["OGR_CURRENT_DATE"] = "2026-01-01T00:00:00.000Z"

import geopandas as gpd
import numpy as np
import rasterio
import rioxarray  # noqa: F401  (registers .rio for the NetCDF record)
import shapely
import shapely.affinity
import xarray as xr
from pyproj import Transformer
from rasterio.features import rasterize
from rasterio.transform import from_origin
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from steppe_geo.synthetic import (
    CLOUDS,
    SAMPLE_AOI,
    SAMPLE_EXTENT,
    SAMPLE_SEED,
    YEARS,
    elevation,
    ghi,
    land_cover_classes,
    ndvi_base_and_trend,
    noise,
    pet,
    precipitation,
    river_lat,
    soil_depth,
    soil_texture,
    weibull_k,
    wind_direction,
    wind_ghi_record,
    wind_speed_100m,
    write_zipped_shapefile,
    zones,
)

SEED = SAMPLE_SEED
FIXED_DATE = (2026, 1, 1)  # = OGR_CURRENT_DATE: dBASE header and zip entries
HERE = Path(__file__).resolve().parent
OUT = HERE  # main(--out) may point it elsewhere
WGS84 = "EPSG:4326"
UTM49N = "EPSG:32649"

# Area of interest and raster extent (AOI plus a 0.02° margin so that setbacks can reach across).
AOI = SAMPLE_AOI
EXT = SAMPLE_EXTENT

TO_UTM = Transformer.from_crs(WGS84, UTM49N, always_xy=True)
TO_LL = Transformer.from_crs(UTM49N, WGS84, always_xy=True)

# --------------------------------------------------------------------------------------
# Smooth deterministic fields: the recipes live in steppe_geo.synthetic, shared with
# steppe_geo.synthetic.synthetic_region (regions of any size built from the same landscape)
# --------------------------------------------------------------------------------------


def centres(ext, res):
    """Pixel-centre lon/lat meshes and the transform for a regular lon/lat grid."""
    w = round((ext[2] - ext[0]) / res)
    h = round((ext[3] - ext[1]) / res)
    tr = from_origin(ext[0], ext[3], res, res)
    lon = ext[0] + (np.arange(w) + 0.5) * res
    lat = ext[3] - (np.arange(h) + 0.5) * res
    return np.meshgrid(lon, lat), tr


# --------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------

SUMMARY: list[dict] = []


def write_tif(name, data, transform, crs, *, nodata, kind, units, description, imitates,
              scale=None, offset=None, band_names=None):
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[None]
    count, h, w = data.shape
    profile = dict(driver="GTiff", width=w, height=h, count=count, dtype=data.dtype.name, crs=crs,
                   transform=transform, nodata=nodata, compress="deflate",
                   predictor=3 if data.dtype.kind == "f" else 2)
    if w >= 256 and h >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    path = OUT / name
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
        ds.update_tags(STEPPE_GEO_KIND=kind, units=units, SYNTHETIC="yes: steppe_geo sample data",
                       DESCRIPTION=description)
        for b in range(count):
            ds.set_band_unit(b + 1, units)
            if band_names:
                ds.set_band_description(b + 1, band_names[b])
            else:
                ds.set_band_description(b + 1, description)
        if scale is not None:
            ds.scales = (scale,) * count
            ds.offsets = (offset or 0.0,) * count
    valid = data != nodata if not (isinstance(nodata, float) and np.isnan(nodata)) else ~np.isnan(data)
    vals = data[valid]
    if scale is not None:
        vals = vals * scale + (offset or 0.0)
    SUMMARY.append(dict(kind="raster", file=name, crs=crs, res=transform.a, shape=(count, h, w),
                        dtype=data.dtype.name, nodata=nodata, units=units, vkind=kind,
                        vmin=float(vals.min()), vmax=float(vals.max()),
                        n_nodata=int((~valid).sum()), imitates=imitates, scale=scale,
                        description=description,
                        classes=sorted(int(v) for v in np.unique(vals)) if kind == "categorical" else None))


def write_vec(name, gdf: gpd.GeoDataFrame, description, imitates):
    path = OUT / name
    if path.exists():
        path.unlink()
    if name.endswith(".zip"):
        _write_zipped_shp(path, gdf)
    elif name.endswith(".geojson"):
        gdf.to_file(path, driver="GeoJSON", engine="pyogrio", layer=path.stem, COORDINATE_PRECISION=7)
    else:
        gdf.to_file(path, driver="GPKG", engine="pyogrio", layer=path.stem, promote_to_multi=False,
                    dataset_options={"VERSION": "1.2"})
    geom_types = sorted(set(gdf.geom_type))
    SUMMARY.append(dict(kind="vector", file=name, crs=gdf.crs.to_string(), n=len(gdf),
                        geom=", ".join(geom_types), columns=[c for c in gdf.columns if c != "geometry"],
                        n_invalid=int((~gdf.geometry.is_valid).sum()), description=description,
                        imitates=imitates))


def _write_zipped_shp(path: Path, gdf):
    write_zipped_shapefile(gdf, path)


# --------------------------------------------------------------------------------------
# Helpers for vectors
# --------------------------------------------------------------------------------------

def wiggly(points, rng, *, step=0.004, amp=0.0015):
    """Densify a polyline (lon/lat) and add a smooth sideways wiggle."""
    pts = np.asarray(points, float)
    out = [pts[0]]
    for a, b in itertools.pairwise(pts):
        n = max(2, int(np.hypot(*(b - a)) / step))
        t = np.linspace(0, 1, n + 1)[1:]
        seg = a + (b - a) * t[:, None]
        nrm = np.array([-(b - a)[1], (b - a)[0]])
        nrm /= np.linalg.norm(nrm) + 1e-12
        ph = rng.uniform(0, 2 * np.pi)
        off = amp * np.sin(2 * np.pi * t * rng.uniform(1, 3) + ph) * np.sin(np.pi * t)
        out.extend(seg + off[:, None] * nrm)
    return LineString(np.round(np.asarray(out), 6))


def blob(cx, cy, r, rng, *, n=24, irregular=0.25, aspect=1.0):
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    rad = r * (1 + irregular * rng.uniform(-1, 1, n))
    return Polygon(np.c_[cx + rad * np.cos(ang) * aspect / 0.766, cy + rad * np.sin(ang)])


def to_utm(geom):
    return shapely.transform(geom, lambda c: np.c_[TO_UTM.transform(c[:, 0], c[:, 1])])


def to_ll(geom):
    return shapely.transform(geom, lambda c: np.c_[TO_LL.transform(c[:, 0], c[:, 1])])


GACHA = [  # synthetic village (gacha) names: Chinese transliteration, Mongolian Cyrillic
    ("巴音乌素", "Баян-Ус"), ("乌兰陶勒盖", "Улаан-Толгой"), ("哈拉图", "Хар-Толгой"),
    ("沙日召", "Шар-Зуу"), ("敖包梁", "Овоо-Даваа"), ("呼和木独", "Хөх-Мод"),
    ("布日都", "Бүрдүү"), ("阿拉腾席热", "Алтан-Ширээ"), ("塔拉", "Тал"),
    ("柴登", "Цайдам"), ("额尔和图", "Эрхт"), ("图古日格", "Төгрөг"),
    ("宝日陶亥", "Бор-Тохой"), ("乌兰布拉格", "Улаанбулаг"), ("巴音温都尔", "Баян-Өндөр"),
    ("查干淖尔", "Цагаан-Нуур"), ("希日塔拉", "Шар-Тал"), ("赛音乌素", "Сайн-Ус"),
    ("好力宝", "Холбоо"), ("朝格温都", "Цог-Өндөр"),
]
SURNAMES = ["王", "李", "张", "刘", "杨", "赵", "高", "郝", "白", "包", "乌", "巴"]
MN_GIVEN = ["巴特尔", "其其格", "苏和", "乌云", "额尔敦", "那仁", "孟和", "萨仁", "宝音", "图雅"]
ZH_GIVEN = ["建国", "海军", "秀英", "志强", "桂兰", "玉梅", "金山", "福生", "春花", "永平"]


def person(rng):
    if rng.random() < 0.5:
        return SURNAMES[rng.integers(len(SURNAMES))] + ZH_GIVEN[rng.integers(len(ZH_GIVEN))]
    return MN_GIVEN[rng.integers(len(MN_GIVEN))]


# --------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------

def build_rasters(settlements_ll, lakes_ll, rivers_ll, rng):
    # --- DEM: SRTM-like 3 arc-seconds, int16 metres, nodata -32768
    res = 1 / 1200
    (lon, lat), tr = centres(EXT, res)
    dem = np.round(elevation(lon, lat)).astype(np.int16)
    write_tif("dem.tif", dem, tr, WGS84, nodata=-32768, kind="continuous", units="m",
              description="elevation above EGM96 geoid", imitates="SRTM GL3 / NASADEM (3 arc-second)")

    # --- 250 m lon/lat layers (wind, NDVI, soil)
    res = 0.0025
    (lon, lat), tr = centres(EXT, res)
    z = zones(lon, lat)
    write_tif("wind_speed_100m.tif", wind_speed_100m(lon, lat), tr, WGS84, nodata=-9999.0, kind="continuous",
              units="m s-1", description="mean wind speed at 100 m above ground",
              imitates="Global Wind Atlas 3 (250 m)")
    write_tif("weibull_k.tif", weibull_k(lon, lat), tr, WGS84, nodata=-9999.0, kind="continuous", units="1",
              description="Weibull shape parameter k at 100 m", imitates="Global Wind Atlas 3 (250 m)")
    write_tif("wind_direction.tif", wind_direction(lon, lat), tr, WGS84, nodata=-9999.0, kind="continuous",
              units="degree", description="prevailing wind direction (from, clockwise from north)",
              imitates="Global Wind Atlas 3 wind rose, dominant sector (250 m)")

    # NDVI 2001-2024
    base, slope = ndvi_base_and_trend(lon, lat, z)
    t = np.arange(len(YEARS))
    wet = rng.normal(0, 1, len(YEARS))  # year-to-year rainfall anomaly
    ndvi = np.empty((len(YEARS), *lon.shape))
    for i in t:
        v = base + slope * i + 0.15 * base * 0.12 * wet[i] + rng.normal(0, 0.012, lon.shape)
        v = np.where(z == 0, base + rng.normal(0, 0.01, lon.shape), v)
        ndvi[i] = np.clip(v, -0.1, 0.92)
    enc = np.round(ndvi * 10000).astype(np.int16)
    fill = np.int16(-3000)
    for i in t:  # scattered cloud / snow pixels every year
        enc[i][rng.random(lon.shape) < 0.003] = fill
    for year, (cx, cy, rx, ry) in CLOUDS.items():
        cloud = (((lon - cx) / rx) ** 2 + ((lat - cy) / ry) ** 2 + 0.3 * noise(lon, lat, 0.05, year)) < 1
        enc[YEARS.index(year)][cloud] = fill
    write_tif("ndvi_2001_2024.tif", enc, tr, WGS84, nodata=-3000, kind="continuous", units="1",
              description="annual maximum NDVI", scale=0.0001, offset=0.0,
              band_names=[str(y) for y in YEARS], imitates="MODIS MOD13Q1 NDVI (250 m), annual composite")

    # Soil (SoilGrids-like, 250 m)
    write_tif("soil_texture.tif", soil_texture(lon, lat, z), tr, WGS84, nodata=255, kind="categorical",
              units="class", description="USDA soil texture class, 0-30 cm (code table in README)",
              imitates="SoilGrids 2.0 / OpenLandMap USDA texture class (250 m)")
    write_tif("soil_depth.tif", soil_depth(lon, lat, z), tr, WGS84, nodata=-32768,
              kind="continuous", units="cm", description="soil depth (depth to bedrock or hardpan)",
              imitates="SoilGrids 250 m depth to bedrock (BDTICM)")

    # --- ~1 km layers
    res = 0.01
    (lon, lat), tr = centres(EXT, res)
    write_tif("ghi.tif", ghi(lon, lat), tr, WGS84, nodata=-9999.0, kind="continuous",
              units="kWh m-2 yr-1", description="global horizontal irradiation, long-term annual sum",
              imitates="Global Solar Atlas GHI (~1 km)")
    write_tif("precipitation.tif", precipitation(lon, lat), tr, WGS84, nodata=-9999.0, kind="continuous",
              units="mm yr-1", description="mean annual precipitation 1991-2020",
              imitates="CHELSA / WorldClim bio12 (~1 km)")
    write_tif("pet.tif", pet(lon, lat), tr, WGS84, nodata=-9999.0, kind="continuous",
              units="mm yr-1", description="mean annual potential evapotranspiration (Penman-Monteith)",
              imitates="Global Aridity and PET Database v3 (~1 km)")

    # --- Land cover: WorldCover-like, 30 m, UTM 49N
    left, bottom, right, top = TO_UTM.transform_bounds(*EXT)
    left, bottom = np.floor(left / 30) * 30, np.floor(bottom / 30) * 30
    right, top = np.ceil(right / 30) * 30, np.ceil(top / 30) * 30
    w, h = int((right - left) / 30), int((top - bottom) / 30)
    tr = from_origin(left, top, 30, 30)
    xs = left + (np.arange(w) + 0.5) * 30
    ys = top - (np.arange(h) + 0.5) * 30
    X, Y = np.meshgrid(xs, ys)
    lon, lat = TO_LL.transform(X, Y)
    z = zones(lon, lat)
    r = rng.random(lon.shape)
    lc = land_cover_classes(lon, lat, z)
    lc[(r < 0.004) & (z > 0)] = 30  # salt-and-pepper classification noise
    shapes = [(to_utm(g), 80) for g in lakes_ll] + [(to_utm(g), 50) for g in settlements_ll]
    shapes += [(to_utm(g).buffer(25), 80) for g in rivers_ll]
    lc = rasterize(shapes, out=lc, transform=tr)
    lc[(lon < EXT[0]) | (lon > EXT[2]) | (lat < EXT[1]) | (lat > EXT[3])] = 0
    write_tif("land_cover.tif", lc, tr, UTM49N, nodata=0, kind="categorical", units="class",
              description="land cover class (ESA WorldCover codes)",
              imitates="ESA WorldCover 10 m v200 (here 30 m, UTM 49N)")


def build_vectors(rng):
    aoi = box(*AOI)
    v: dict[str, gpd.GeoDataFrame] = {}
    v["aoi"] = gpd.GeoDataFrame({"name": ["Kubuqi north edge sample AOI (synthetic)"],
                                 "name_zh": ["库布其沙漠北缘示例区 (合成数据)"]},
                                geometry=[aoi.segmentize(0.01)], crs=WGS84)

    # Rivers: Yellow River + seasonal gullies (kongdui) running north through the dunes
    lons = np.arange(108.84, 109.76, 0.002)
    yellow = LineString(np.round(np.c_[lons, river_lat(lons)], 6))
    rivers = [yellow]
    names = ["黄河 (合成)"]
    regime = ["perennial"]
    for i, x0 in enumerate([109.0, 109.17, 109.33, 109.52, 109.64]):
        x1 = x0 + rng.uniform(-0.03, 0.03)
        y1 = float(river_lat(x1))
        pts = [(x0 + rng.uniform(-0.02, 0.02), 39.96), (x0 + rng.uniform(-0.03, 0.03), 40.12),
               ((x0 + x1) / 2, 40.25), (x1, y1)]
        rivers.append(wiggly(pts, rng, amp=0.004))
        names.append(f"{['毛不拉', '布日嘎斯太', '黑赖', '西柳', '罕台'][i]}沟 (合成)")
        regime.append("seasonal")
    v["rivers"] = gpd.GeoDataFrame({"river_id": np.arange(1, len(rivers) + 1), "name_zh": names,
                                    "regime": regime,
                                    "width_m": [400] + [int(rng.integers(20, 80)) for _ in rivers[1:]]},
                                   geometry=rivers, crs=WGS84)

    # Lakes (haizi): small interdune / steppe lakes and an oxbow near the river
    lakes, lnames, lreg = [], [], []
    for i, (cx, cy, rr) in enumerate([(109.08, 40.22, 0.004), (109.26, 40.16, 0.003),
                                      (109.41, 40.23, 0.005), (109.58, 40.06, 0.0035),
                                      (109.12, 40.08, 0.0025), (109.66, 40.2, 0.003),
                                      (109.46, float(river_lat(109.46)) - 0.012, 0.0025)]):
        lakes.append(blob(cx, cy, rr, rng, aspect=1.6))
        lnames.append(f"{['巴汗', '赛乌素', '查干', '哈日', '乌兰', '乃玛岱', '牛轭'][i]}淖尔 (合成)")
        lreg.append("perennial" if i in (2, 6) else "seasonal")
    v["lakes"] = gpd.GeoDataFrame({"lake_id": np.arange(1, len(lakes) + 1), "name_zh": lnames,
                                   "regime": lreg}, geometry=lakes, crs=WGS84)

    # Settlements (one ~300 m outside the east boundary)
    sdefs = [("沙林召镇", "Шар-Зуу", 109.62, 40.345, 0.012, 26000, "town"),
             ("新民堡镇", "Шинэмин", 109.05, 40.335, 0.008, 11000, "town"),
             ("风水梁镇", "Фэншуйлян", 109.38, 40.305, 0.007, 8500, "town"),
             ("独贵塔拉村", "Дугуй-Тал", 109.22, 40.34, 0.003, 1800, "village"),
             ("恩格贝村", "Энгэбэй", 109.48, 40.24, 0.0028, 1200, "village"),
             ("乌兰村", "Улаан", 108.98, 40.26, 0.0025, 900, "village"),
             ("哈拉图村", "Хар-Толгой", 109.3, 40.2, 0.002, 600, "village"),
             ("布日都村", "Бүрдүү", 109.56, 40.16, 0.002, 450, "village"),
             ("柴登村", "Цайдам", 109.12, 40.14, 0.0018, 380, "village"),
             ("塔拉村", "Тал", 109.42, 40.06, 0.0016, 300, "village"),
             ("阿什泉村", "Аш-Булаг", 109.66, 40.28, 0.0022, 700, "village"),
             ("东界村", "Зүүн хил", 109.7 + 0.0035 + 0.0024 * 1.3, 40.19, 0.0024, 520, "village")]
    sett = [blob(x, y, r_, rng, irregular=0.15) for (_, _, x, y, r_, _, _) in sdefs]
    v["settlements"] = gpd.GeoDataFrame(
        {"settlement_id": np.arange(1, len(sdefs) + 1), "name_zh": [d[0] + " (合成)" for d in sdefs],
         "name_mn": [d[1] for d in sdefs], "kind": [d[6] for d in sdefs],
         "population": [d[5] for d in sdefs]}, geometry=sett, crs=WGS84)

    # Roads
    roads, rcls, rref = [], [], []

    def add(pts, cls, ref, amp=0.0015):
        roads.append(wiggly(pts, rng, amp=amp))
        rcls.append(cls)
        rref.append(ref)

    add([(108.85, 40.33), (109.05, 40.325), (109.38, 40.31), (109.62, 40.335), (109.76, 40.34)],
        "expressway", "G9911 (合成)", 0.001)
    add([(109.35, 40.46), (109.38, 40.31), (109.33, 40.15), (109.31, 39.95)], "national", "G210 (合成)")
    add([(108.87, 40.26), (109.05, 40.335)], "provincial", "S215 (合成)")
    add([(109.62, 40.335), (109.56, 40.16), (109.6, 39.96)], "provincial", "S317 (合成)")
    for i, (a, b) in enumerate([((109.05, 40.335), (109.12, 40.14)), ((109.38, 40.305), (109.48, 40.24)),
                                ((109.22, 40.34), (109.3, 40.2)), ((108.98, 40.26), (109.12, 40.14)),
                                ((109.48, 40.24), (109.66, 40.28)), ((109.33, 40.15), (109.42, 40.06))]):
        add([a, b], "county", f"X{601 + i} (合成)")
    for _ in range(45):
        x0, y0 = rng.uniform(108.92, 109.68), rng.uniform(40.02, 40.28)
        n = int(rng.integers(2, 5))
        pts = [(x0, y0)]
        for _ in range(n):
            pts.append((pts[-1][0] + rng.uniform(-0.04, 0.04), pts[-1][1] + rng.uniform(-0.03, 0.03)))
        add(pts, "track", "", 0.002)
    v["roads"] = gpd.GeoDataFrame({"road_id": np.arange(1, len(roads) + 1), "class": rcls, "ref": rref},
                                  geometry=roads, crs=WGS84)

    # Railway (GeoJSON)
    rails = [wiggly([(108.85, 40.35), (109.2, 40.35), (109.5, 40.325), (109.76, 40.33)], rng, amp=0.001),
             wiggly([(109.5, 40.325), (109.47, 40.2), (109.5, 40.09)], rng, amp=0.002)]
    v["railways"] = gpd.GeoDataFrame({"railway_id": [1, 2], "name_zh": ["包西铁路 (合成)", "沙区支线 (合成)"],
                                      "usage": ["main", "branch"], "electrified": [True, False],
                                      "gauge_mm": [1435, 1435]}, geometry=rails, crs=WGS84)

    # Substations and transmission lines
    subs = [("沙林召500kV变", 109.58, 40.4, 500, 2000), ("新民堡220kV变", 109.07, 40.32, 220, 360),
            ("风水梁220kV变", 109.4, 40.29, 220, 240), ("恩格贝110kV变", 109.49, 40.23, 110, 63),
            ("哈拉图110kV变", 109.28, 40.19, 110, 50), ("乌兰110kV变", 108.99, 40.25, 110, 40),
            ("东界110kV变", 109.73, 40.21, 110, 31.5)]
    v["substations"] = gpd.GeoDataFrame(
        {"substation_id": np.arange(1, len(subs) + 1), "name_zh": [s[0] + " (合成)" for s in subs],
         "voltage_kv": [s[3] for s in subs], "capacity_mva": [float(s[4]) for s in subs]},
        geometry=[Point(s[1], s[2]) for s in subs], crs=WGS84)
    P = {s[0][:3]: (s[1], s[2]) for s in subs}
    lines = [(wiggly([(108.82, 40.445), (109.2, 40.44), (109.5, 40.43), P["沙林召"], (109.76, 40.43)],
                     rng, amp=0.0005), 500, "500kV 包鄂线 (合成)", 2),
             (wiggly([P["沙林召"], P["风水梁"]], rng, amp=0.0005), 220, "220kV 沙风线 (合成)", 2),
             (wiggly([P["风水梁"], P["新民堡"]], rng, amp=0.0005), 220, "220kV 风新线 (合成)", 1),
             (wiggly([P["风水梁"], P["恩格贝"]], rng, amp=0.0005), 110, "110kV 风恩线 (合成)", 1),
             (wiggly([P["风水梁"], P["哈拉图"]], rng, amp=0.0005), 110, "110kV 风哈线 (合成)", 1),
             (wiggly([P["新民堡"], P["乌兰1"]], rng, amp=0.0005),
              110, "110kV 新乌线 (合成)", 1),
             (wiggly([P["恩格贝"], (109.62, 40.24), P["东界1"]], rng, amp=0.0005),
              110, "110kV 恩东线 (合成)", 1)]
    v["power_lines"] = gpd.GeoDataFrame(
        {"line_id": np.arange(1, len(lines) + 1), "name_zh": [x[2] for x in lines],
         "voltage_kv": [x[1] for x in lines], "circuits": [x[3] for x in lines]},
        geometry=[x[0] for x in lines], crs=WGS84)

    # Airport (polygon, runway strip into the prevailing wind)
    c = to_utm(Point(109.6, 40.285))
    strip = shapely.affinity.rotate(box(c.x - 1600, c.y - 150, c.x + 1600, c.y + 150), 145, origin=c)
    v["airport"] = gpd.GeoDataFrame({"name_zh": ["沙林召通用机场 (合成)"], "kind": ["general_aviation"],
                                     "runway_m": [2800]}, geometry=[to_ll(strip)], crs=WGS84)

    # Protected areas: a nature reserve (crossing the south boundary) + ecological red-line zones
    reserve = blob(109.38, 40.06, 0.07, rng, n=40, irregular=0.12, aspect=1.8)
    riparian = to_ll(to_utm(yellow).buffer(1200)).intersection(box(*EXT))
    red2 = blob(109.1, 40.12, 0.035, rng, n=30, irregular=0.2)
    red3 = blob(109.6, 40.12, 0.03, rng, n=30, irregular=0.2)
    v["protected_areas"] = gpd.GeoDataFrame(
        {"zone_id": [1, 2, 3, 4],
         "name_zh": ["库布其沙地自然保护区 (合成)", "黄河湿地生态保护红线 (合成)",
                     "柴登防风固沙红线 (合成)", "布日都防风固沙红线 (合成)"],
         "designation": ["nature_reserve", "ecological_red_line", "ecological_red_line",
                         "ecological_red_line"],
         "function": ["biodiversity", "water_conservation", "sand_fixation", "sand_fixation"],
         "established": [2001, 2018, 2018, 2018]},
        geometry=[reserve, riparian, red2, red3], crs=WGS84)

    # Townships (polygons covering the AOI and a bit beyond) with census
    seeds = shapely.MultiPoint([(109.05, 40.3), (109.35, 40.3), (109.62, 40.3), (109.1, 40.08),
                                (109.45, 40.1)])
    frame = box(*AOI).buffer(0.03, join_style="mitre")
    cells = [c_.intersection(frame) for c_ in shapely.voronoi_polygons(seeds, extend_to=frame).geoms]
    cells.sort(key=lambda g: (round(-g.centroid.y, 1), g.centroid.x))
    tdefs = [("新民堡镇", "Шинэмин", 24000, 168000), ("风水梁镇", "Фэншуйлян", 19000, 142000),
             ("沙林召镇", "Шар-Зуу", 41000, 121000), ("柴登苏木", "Цайдам сум", 5200, 236000),
             ("塔拉苏木", "Тал сум", 4100, 254000)]
    v["townships"] = gpd.GeoDataFrame(
        {"township_id": np.arange(1, 6), "name_zh": [t_[0] + " (合成)" for t_ in tdefs],
         "name_mn": [t_[1] for t_ in tdefs], "population": [t_[2] for t_ in tdefs],
         "sheep_units": [t_[3] for t_ in tdefs], "census_year": [2023] * 5},
        geometry=[shapely.segmentize(g, 0.01) for g in cells], crs=WGS84)

    # Parcels: Voronoi of random points, clipped to the AOI, in UTM 49N
    aoi_u = to_utm(aoi.segmentize(0.005))
    minx, miny, maxx, maxy = aoi_u.bounds
    pts = np.c_[rng.uniform(minx, maxx, 1003), rng.uniform(miny, maxy, 1003)]
    vor = shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=aoi_u.buffer(5000))
    parcels = [g.intersection(aoi_u) for g in vor.geoms]
    parcels = [shapely.set_precision(g, 0.01) for g in parcels if g.area > 0]
    parcels.sort(key=lambda g: (-round(g.centroid.y, -3), g.centroid.x))
    # one multi-part parcel (a detached exclave merged in)
    cen = np.array([[g.centroid.x, g.centroid.y] for g in parcels])
    a = 500
    dist = np.hypot(*(cen - cen[a]).T)
    for b in np.argsort(dist)[1:]:
        if not parcels[a].touches(parcels[b]) and not parcels[a].intersects(parcels[b]):
            break
    parcels[a] = MultiPolygon([parcels[a], parcels[b]])
    del parcels[b]
    areas = np.array([g.area / 1e4 for g in parcels])
    # gacha membership by nearest seed
    gseeds = np.c_[rng.uniform(minx, maxx, len(GACHA)), rng.uniform(miny, maxy, len(GACHA))]
    cen = np.array([[g.centroid.x, g.centroid.y] for g in parcels])
    gid = np.argmin(np.hypot(cen[:, None, 0] - gseeds[None, :, 0], cen[:, None, 1] - gseeds[None, :, 1]), 1)
    counter: dict[int, int] = {}
    nzh, nmn = [], []
    for g in gid:
        counter[g] = counter.get(g, 0) + 1
        nzh.append(f"{GACHA[g][0]}嘎查-{counter[g]}")
        nmn.append(f"{GACHA[g][1]}-{counter[g]}")
    tenure = rng.choice(["contracted household", "collective", "state"], len(parcels), p=[0.72, 0.2, 0.08])
    holder = []
    for t_, g in zip(tenure, gid, strict=True):
        if t_ == "contracted household":
            holder.append(person(rng) + "户")
        elif t_ == "collective":
            holder.append(f"{GACHA[g][0]}嘎查集体")
        else:
            holder.append("国有林场 (合成)" if rng.random() < 0.5 else None)
    # a few invalid (self-intersecting bowtie) geometries, as digitised by mistake
    bad = [17, 233, 611, 874]
    for i in bad:
        x0, y0, x1, y1 = parcels[i].bounds
        dx, dy = (x1 - x0) * 0.1, (y1 - y0) * 0.1
        parcels[i] = Polygon([(x0 + dx, y0 + dy), (x1 - dx, y1 - dy), (x1 - dx, y0 + dy), (x0 + dx, y1 - dy)])
    tship = v["townships"].to_crs(UTM49N)
    cpts = gpd.GeoSeries([Point(c_) for c_ in cen], crs=UTM49N)
    tid = gpd.sjoin(gpd.GeoDataFrame(geometry=cpts), tship[["township_id", "geometry"]],
                    how="left", predicate="within").groupby(level=0)["township_id"].first()
    v["parcels"] = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i + 1:05d}" for i in range(len(parcels))], "name_zh": nzh, "name_mn": nmn,
         "tenure": tenure, "area_ha": np.round(areas, 2), "grazing_rights_holder": holder,
         "township_id": tid.to_numpy().astype("int64")},
        geometry=parcels, crs=UTM49N)

    # Herder homesteads (points, UTM 49N, zipped shapefile)
    hpts, hz = [], []
    while len(hpts) < 320:
        x, y = rng.uniform(*AOI[0::2]), rng.uniform(*AOI[1::2])
        z = int(zones(x, y))
        if z == 2 or (z == 3 and rng.random() < 0.35):
            hpts.append(Point(x, y))
            hz.append(z)
    hu = [to_utm(p) for p in hpts]
    v["homesteads"] = gpd.GeoDataFrame(
        {"hs_id": np.arange(1, len(hpts) + 1), "household": [person(rng) + "户" for _ in hpts],
         "herd_su": rng.integers(40, 900, len(hpts)),
         "water": rng.choice(["well", "none", "piped"], len(hpts), p=[0.7, 0.2, 0.1])},
        geometry=[Point(round(p.x, 1), round(p.y, 1)) for p in hu], crs=UTM49N)
    return v


VECTOR_FILES = {
    "aoi": ("aoi.gpkg", "area of interest boundary", "-"),
    "parcels": ("parcels.gpkg", "grazing / collective land parcels", "land contract register (确权) parcels"),
    "roads": ("roads.gpkg", "roads with class", "OpenStreetMap highways"),
    "railways": ("railways.geojson", "railway lines", "OpenStreetMap railways"),
    "power_lines": ("power_lines.gpkg", "transmission lines (kV)", "OpenStreetMap power=line"),
    "substations": ("substations.gpkg", "substations (kV, MVA)", "OpenStreetMap power=substation"),
    "settlements": ("settlements.gpkg", "settlement outlines with population", "OSM place / built-up areas"),
    "homesteads": ("homesteads.shp.zip", "herder homesteads (points)", "field survey points"),
    "protected_areas": ("protected_areas.gpkg", "nature reserve and ecological red-line zones",
                        "WDPA + provincial ecological red line"),
    "rivers": ("rivers.gpkg", "Yellow River and seasonal gullies", "OSM waterways / HydroRIVERS"),
    "water": ("lakes.gpkg", "lakes (haizi) and an oxbow", "OSM water / HydroLAKES"),
    "airport": ("airport.gpkg", "general-aviation airfield", "OSM aeroway"),
    "townships": ("townships.gpkg", "townships with livestock census", "statistical yearbook + boundaries"),
}


RECORD_FILE = "wind_ghi_3h_2023.nc"
RECORD_RES = 0.1  # degrees: a coarse, reanalysis-like grid


def build_record() -> None:
    """The gridded 3-hourly wind and GHI record of 2023 (NetCDF 3, CF time, EPSG:4326 grid mapping)."""
    west, south, east, north = SAMPLE_EXTENT
    x0, y0 = np.floor(west / RECORD_RES) * RECORD_RES, np.ceil(north / RECORD_RES) * RECORD_RES
    cols = int(np.ceil((east - x0) / RECORD_RES - 1e-9))
    rows = int(np.ceil((y0 - south) / RECORD_RES - 1e-9))
    xs = np.round(x0 + (np.arange(cols) + 0.5) * RECORD_RES, 6)
    ys = np.round(y0 - (np.arange(rows) + 0.5) * RECORD_RES, 6)
    lon, lat = np.meshgrid(xs, ys)
    times, speed, direction, g = wind_ghi_record(lon, lat, seed=SEED)

    def var(values, units, long_name):
        return (("time", "y", "x"), values.reshape(times.size, rows, cols),
                {"units": units, "long_name": long_name})

    ds = xr.Dataset(
        {"wind_speed": var(speed, "m s-1", "wind speed at 10 m, mean over the 3-hour step"),
         "wind_direction": var(direction, "degree", "direction the wind blows from, clockwise from north"),
         "ghi": var(g, "W m-2", "global horizontal irradiance, mean over the 3-hour step")},
        coords={"time": times, "y": ys, "x": xs},
        attrs={"title": "SYNTHETIC 3-hourly wind and irradiance, 2023 (steppe_geo sample data)",
               "SYNTHETIC": "invented by sample_data/generate.py; never use for a real decision",
               "wind_height_m": 10.0, "time_zone": "UTC"},
    )
    ds = ds.rio.write_crs("EPSG:4326")
    ds["time"].encoding.update(units="hours since 2023-01-01 00:00:00", calendar="proleptic_gregorian",
                               dtype="int32")
    path = OUT / RECORD_FILE
    path.unlink(missing_ok=True)
    ds.to_netcdf(path, format="NETCDF3_64BIT", engine="scipy")
    SUMMARY.append({"kind": "record", "file": RECORD_FILE, "shape": (times.size, rows, cols),
                    "res": RECORD_RES,
                    "mean_speed": float(speed.mean()), "max_speed": float(speed.max()),
                    "ghi_year": (float(g.sum(axis=0).min() * 3 / 1000),
                                 float(g.sum(axis=0).max() * 3 / 1000))})


def main(argv: list[str] | None = None) -> None:
    global OUT
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: sample_data/)")
    OUT = parser.parse_args(argv).out.resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    SUMMARY.clear()
    rng = np.random.default_rng(SEED)
    vec = build_vectors(rng)
    build_rasters(vec["settlements"].geometry, vec["lakes"].geometry, vec["rivers"].geometry, rng)
    for key, (fname, desc, imit) in VECTOR_FILES.items():
        layer = "lakes" if key == "water" else key
        write_vec(fname, vec[layer], desc, imit)
    build_record()
    write_readme()


def _fmt(x):
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def write_readme() -> None:
    template = (HERE / "README.template.md").read_text(encoding="utf-8")
    rows = ["| file | CRS | pixel size | shape (bands, rows, cols) | dtype | nodata | scale | units | kind "
            "| min | max | nodata pixels | imitates |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in SUMMARY:
        if s["kind"] != "raster":
            continue
        res = f"{s['res']:.6g}°" if s["crs"] == WGS84 else f"{s['res']:g} m"
        rows.append(f"| `{s['file']}` | {s['crs']} | {res} | {s['shape']} | {s['dtype']} | {s['nodata']} | "
                    f"{s['scale'] or '-'} | {s['units']} | {s['vkind']} | {_fmt(s['vmin'])} | "
                    f"{_fmt(s['vmax'])} | {s['n_nodata']} | {s['imitates']} |")
    cls = [f"- `{s['file']}`: codes present {s['classes']}" for s in SUMMARY if s.get("classes")]
    vrows = ["| file | CRS | features | geometry | invalid | columns | imitates |",
             "|---|---|---|---|---|---|---|"]
    for s in SUMMARY:
        if s["kind"] == "vector":
            vrows.append(f"| `{s['file']}` | {s['crs']} | {s['n']} | {s['geom']} | {s['n_invalid']} | "
                         f"{', '.join(f'`{c}`' for c in s['columns'])} | {s['imitates']} |")
    rec = next(s for s in SUMMARY if s["kind"] == "record")
    t, r, c = rec["shape"]
    record = (f"`{rec['file']}`: {t} times × {r} rows × {c} columns of {rec['res']:g}°; mean 10 m wind "
              f"speed {rec['mean_speed']:.2f} m/s (highest {rec['max_speed']:.1f}); "
              f"annual GHI {rec['ghi_year'][0]:.0f}–{rec['ghi_year'][1]:.0f} kWh/m².")
    text = (template.replace("{{RASTER_TABLE}}", "\n".join(rows)).replace("{{RECORD}}", record)
            .replace("{{VECTOR_TABLE}}", "\n".join(vrows))
            .replace("{{CLASSES_PRESENT}}", "\n".join(cls)))
    data_suffixes = {".tif", ".gpkg", ".zip", ".geojson", ".nc"}
    data_bytes = sum(f.stat().st_size for f in OUT.iterdir() if f.suffix in data_suffixes)
    text = text.replace("{{TOTAL_SIZE}}", f"{data_bytes / 1e6:.1f} MB")
    (OUT / "README.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
