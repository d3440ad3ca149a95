"""SYNTHETIC landscapes: the field recipes of the sample data, and regions of any size built from them.

The sample dataset (``sample_data/generate.py``) and :func:`synthetic_region` share the recipes
below: smooth deterministic fields of longitude and latitude (sums of random plane waves seeded by
``seed``) that imitate the northern edge of the Kubuqi desert — the Yellow River valley, steppe,
transverse dunes — and the layers derived from them (elevation, wind, solar, climate, NDVI, soil,
land cover). **Everything here is invented: never use it for a real decision.**

A region larger than the sample area (:func:`steppe_geo.datasets.synthetic_region`) repeats the
sample landscape as mirror images: the recipes are evaluated at coordinates folded back into the
sample area (:func:`fold`), so every field stays continuous and in its plausible range at any size.
Every recipe is a pure function of the coordinates and the seed, so a window of a large grid gets
exactly the values the whole grid would.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CLOUDS",
    "FIXED_DATE",
    "RECORD_STEP_H",
    "RECORD_YEAR",
    "SAMPLE_AOI",
    "SAMPLE_EXTENT",
    "SAMPLE_SEED",
    "YEARS",
    "dune_edge",
    "dune_height",
    "elevation",
    "fold",
    "ghi",
    "land_cover_classes",
    "ndvi_base_and_trend",
    "noise",
    "pet",
    "precipitation",
    "river_lat",
    "soil_depth",
    "soil_texture",
    "weibull_k",
    "wind_direction",
    "wind_ghi_record",
    "wind_speed_100m",
    "write_zipped_shapefile",
    "zones",
]

SAMPLE_SEED = 20261128
"""Seed of the bundled sample dataset."""

SAMPLE_AOI = (108.9, 40.0, 109.7, 40.4)
"""Sample area of interest (west, south, east, north), degrees; one mirrored tile of a region."""

SAMPLE_EXTENT = (108.88, 39.98, 109.72, 40.42)
"""Sample raster extent: the AOI plus a 0.02° margin, degrees."""

YEARS = list(range(2001, 2025))
"""Years of the NDVI series (one band each)."""

FIXED_DATE = (2026, 1, 1)
"""Date written into GeoPackages, dBASE headers and zip entries (byte-identical files)."""

# ----------------------------------------------------------------------------- fields
_WAVES: dict[tuple[float, int, int], list[tuple[float, float, float, float]]] = {}


def noise(lon: Any, lat: Any, scale_deg: float, key: int, *, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Smooth noise: a sum of 7 random plane waves of wavelength about ``scale_deg``, roughly in [-1, 1].

    Parameters
    ----------
    lon, lat : array-like of float
        Degrees (broadcast together).
    scale_deg : float
        Typical wavelength in degrees.
    key : int
        Selects an independent field.
    seed : int, default SAMPLE_SEED

    Returns
    -------
    ndarray of float64
        A deterministic function of ``(lon, lat, scale_deg, key, seed)``: any window of a
        larger grid gets the same values as the whole grid.
    """
    if (scale_deg, key, seed) not in _WAVES:
        r = np.random.default_rng([seed, key])
        _WAVES[(scale_deg, key, seed)] = [
            (r.uniform(0, np.pi), scale_deg * r.uniform(0.6, 1.6), r.uniform(0, 2 * np.pi),
             r.uniform(0.5, 1.0))
            for _ in range(7)
        ]
    out = np.zeros(np.broadcast(lon, lat).shape)
    total = 0.0
    for ang, wl, ph, amp in _WAVES[(scale_deg, key, seed)]:
        u = (np.asarray(lon) * np.cos(ang) * 0.766 + np.asarray(lat) * np.sin(ang)) / wl
        out += amp * np.sin(2 * np.pi * u + ph)
        total += amp
    return out / (total / 2.2)


def river_lat(lon: Any) -> np.ndarray:
    """Latitude (degrees) of the Yellow River centre line at ``lon`` (synthetic meanders)."""
    x = np.asarray(lon) - 108.9
    return 40.372 + 0.014 * np.sin(2 * np.pi * x / 0.35) + 0.007 * np.sin(2 * np.pi * x / 0.13 + 1.0)


def dune_edge(lon: Any) -> np.ndarray:
    """Latitude (degrees) of the northern edge of the dune field (south of it: dunes)."""
    x = np.asarray(lon) - 108.9
    return 40.19 + 0.04 * np.sin(2 * np.pi * x / 0.5) + 0.018 * np.sin(2 * np.pi * x / 0.17 + 2.0)


def zones(lon: Any, lat: Any, *, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Landscape zone: 0 river, 1 irrigated valley, 2 steppe, 3 dunes (uint8)."""
    lon, lat = np.broadcast_arrays(np.asarray(lon, float), np.asarray(lat, float))
    rl = river_lat(lon)
    z = np.full(lon.shape, 2, dtype=np.uint8)
    valley_edge = rl - 0.05 - 0.012 * noise(lon, lat, 0.2, 1, seed=seed)
    z[lat > valley_edge] = 1
    z[lat < dune_edge(lon) + 0.01 * noise(lon, lat, 0.05, 2, seed=seed)] = 3
    z[np.abs(lat - rl) < 0.0022] = 0
    return z


def dune_height(lon: Any, lat: Any, *, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Height (m) of transverse dune ridges (crests NE-SW, across the north-west wind)."""
    x = (np.asarray(lon) - 108.9) * 85.1
    y = (np.asarray(lat) - 40.0) * 111.1
    a = np.deg2rad(125.0)  # wind blows towards the SE
    u = x * np.sin(a) + y * np.cos(a)
    ridge = 0.5 + 0.5 * np.sin(2 * np.pi * u / 1.1 + 2.5 * noise(lon, lat, 0.08, 3, seed=seed))
    return 32.0 * ridge**3 * (0.7 + 0.3 * noise(lon, lat, 0.1, 4, seed=seed))


def elevation(lon: Any, lat: Any, *, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Elevation (m above the geoid): river terraces rising south, dunes on top; within [1000, 1500]."""
    lon, lat = np.broadcast_arrays(np.asarray(lon, float), np.asarray(lat, float))
    d = np.clip(river_lat(lon) - lat, 0, None)
    z = 1003.0 + 1000.0 * d**1.2 + 4 * noise(lon, lat, 0.03, 5, seed=seed)
    z += 55.0 * (noise(lon, lat, 0.15, 6, seed=seed) + 1) * np.clip(d / 0.1, 0, 1)
    z += 60.0 * (lon - 108.9)
    dunes = lat < dune_edge(lon) + 0.02
    z = z + np.where(dunes, dune_height(lon, lat, seed=seed), 0.0)
    return np.clip(z, 1000, 1500)


def wind_speed_100m(lon: Any, lat: Any, *, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Mean wind speed at 100 m (m s-1, float32): stronger uphill and to the north-west; [6, 8.5]."""
    elev = elevation(lon, lat, seed=seed)
    ext = SAMPLE_EXTENT
    nw = 0.5 * ((ext[2] - lon) / 0.84 + (lat - ext[1]) / 0.44)
    ws = 6.2 + 0.0025 * (elev - 1000) + 1.3 * nw + 0.2 * noise(lon, lat, 0.12, 10, seed=seed)
    return np.clip(ws, 6.0, 8.5).astype(np.float32)


def weibull_k(lon: Any, lat: Any, *, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Weibull shape parameter k at 100 m (float32, [1.8, 2.4])."""
    ext = SAMPLE_EXTENT
    nw = 0.5 * ((ext[2] - lon) / 0.84 + (lat - ext[1]) / 0.44)
    k = 2.1 + 0.18 * noise(lon, lat, 0.2, 11, seed=seed) + 0.08 * (nw - 0.5)
    return np.clip(k, 1.8, 2.4).astype(np.float32)


def wind_direction(lon: Any, lat: Any, *, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Prevailing wind direction (degrees, from; float32): about 305° (north-west)."""
    wd = (305 + 8 * noise(lon, lat, 0.3, 12, seed=seed) + 4 * noise(lon, lat, 0.05, 13, seed=seed)) % 360
    return wd.astype(np.float32)


def ndvi_base_and_trend(lon: Any, lat: Any, z: np.ndarray, *, seed: int = SAMPLE_SEED
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Mean NDVI by zone and its trend per year (overgrazing decline, afforestation recovery).

    Returns
    -------
    (base, slope) : tuple of float64 ndarrays
        NDVI of 2001 and its change per year.
    """
    base = np.select([z == 0, z == 1, z == 2, z == 3],
                     [0.0 + 0.02 * noise(lon, lat, 0.05, 20, seed=seed),
                      0.5 + 0.08 * noise(lon, lat, 0.06, 21, seed=seed),
                      0.25 + 0.08 * noise(lon, lat, 0.08, 22, seed=seed),
                      0.075 + 0.04 * noise(lon, lat, 0.06, 23, seed=seed)])
    degr = np.exp(-(((lon - 109.15) / 0.09) ** 2 + ((lat - 40.27) / 0.05) ** 2))  # overgrazing
    recov = np.exp(-(((lon - 109.47) / 0.11) ** 2 + ((lat - 40.13) / 0.06) ** 2))  # afforestation
    slope = -0.0045 * degr * (z == 2) + 0.0045 * recov * (z == 3) + 0.003 * recov * (z == 2)
    return base, slope


CLOUDS = {2003: (109.3, 40.2, 0.25, 0.12), 2012: (109.05, 40.32, 0.15, 0.08), 2016: (109.55, 40.08, 0.2, 0.1)}
"""Large cloud-covered patches of the NDVI series: year → (lon, lat, x radius, y radius), degrees."""


def soil_texture(lon: Any, lat: Any, z: np.ndarray, *, seed: int = SAMPLE_SEED) -> np.ndarray:
    """USDA texture class codes by zone (uint8; 255 = nodata on the river)."""
    n1 = noise(lon, lat, 0.04, 30, seed=seed)
    tex = np.select([z == 0, z == 1, z == 2, z == 3],
                    [255, np.where(n1 > 0.2, 5, 4), np.where(n1 > -0.1, 3, 4), np.where(n1 > -0.3, 1, 2)])
    return tex.astype(np.uint8)


def soil_depth(lon: Any, lat: Any, z: np.ndarray, *, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Soil depth (cm, int16; -32768 = nodata on the river)."""
    n1 = noise(lon, lat, 0.04, 30, seed=seed)
    depth = np.select([z == 0, z == 1, z == 2, z == 3],
                      [-32768, 160 + 30 * n1, 65 + 35 * noise(lon, lat, 0.07, 31, seed=seed),
                       170 + 25 * noise(lon, lat, 0.05, 32, seed=seed)])
    return np.round(depth).astype(np.int16)


def ghi(lon: Any, lat: Any, *, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Global horizontal irradiation (kWh m-2 yr-1, float32): rising south; [1550, 1700]."""
    ext = SAMPLE_EXTENT
    g = np.clip(1555 + 120 * (ext[3] - lat) / 0.44 + 15 * noise(lon, lat, 0.3, 40, seed=seed), 1550, 1700)
    return g.astype(np.float32)


def _south_east(lon: Any, lat: Any) -> np.ndarray:
    ext = SAMPLE_EXTENT
    return 0.5 * ((lon - ext[0]) / 0.84 + (ext[3] - lat) / 0.44)


def precipitation(lon: Any, lat: Any, *, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Mean annual precipitation (mm yr-1, float32): wetter to the south-east; [250, 380]."""
    pr = np.clip(252 + 125 * _south_east(lon, lat) + 8 * noise(lon, lat, 0.25, 41, seed=seed), 250, 380)
    return pr.astype(np.float32)


def pet(lon: Any, lat: Any, *, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Potential evapotranspiration (mm yr-1, float32): lower to the south-east; [1000, 1300]."""
    p = np.clip(1290 - 250 * _south_east(lon, lat) + 20 * noise(lon, lat, 0.25, 42, seed=seed), 1000, 1300)
    return p.astype(np.float32)


RECORD_YEAR = 2023
"""Year of the synthetic gridded wind and irradiance record."""

RECORD_STEP_H = 3
"""Hours between the records of the synthetic gridded record (3-hourly, as ERA5-based products)."""


def wind_ghi_record(lon: Any, lat: Any, *, seed: int = SAMPLE_SEED
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A year of 3-hourly 10 m wind and GHI at each (lon, lat): SYNTHETIC, imitating an Ordos wind regime.

    Winter and spring: north-westerly winds (from the :func:`wind_direction` field, about 305°),
    strongest in March–May; summer: weaker south-easterlies; afternoon maxima; speeds scaled with
    :func:`wind_speed_100m` (fast to the north-west). GHI: the Haurwitz (1945) clear-sky model,
    ``1098 cos Z exp(−0.057 / cos Z)`` W/m², averaged over each 3-hour step and dimmed by random
    cloudiness, scaled so that each pixel's year sums to its :func:`ghi` value (kWh/m²/yr).

    Parameters
    ----------
    lon, lat : (n,) arrays of float
        Pixel centres (degrees).

    Returns
    -------
    times : (t,) datetime64[ns]
        Start of each 3-hour step (UTC), :data:`RECORD_YEAR`.
    speed_m_s, direction_deg, ghi_w_m2 : (t, n) float32
        Mean 10 m wind speed, direction the wind blows from, mean GHI over each step.
    """
    lon, lat = np.asarray(lon, np.float64).ravel(), np.asarray(lat, np.float64).ravel()
    start, end = np.datetime64(f"{RECORD_YEAR}-01-01T00:00"), np.datetime64(f"{RECORD_YEAR + 1}-01-01T00:00")
    times = np.arange(start, end, np.timedelta64(RECORD_STEP_H, "h")).astype("datetime64[ns]")
    rng = np.random.default_rng([seed, 77])
    nt = times.size
    doy = (times - times[0]).astype("timedelta64[s]").astype(np.float64) / 86400.0  # day of year, 0-based
    hour_utc = np.mod(doy * 24.0, 24.0)
    # season: 1 in spring (peak about 10 April), −1 in late summer-autumn
    spring = np.cos(2 * np.pi * (doy - 100.0) / 365.0)
    winter_monsoon = np.clip(0.5 + 0.6 * np.cos(2 * np.pi * (doy - 30.0) / 365.0), 0.0, 1.0)
    # synoptic weather: a smooth random series (cold-front gusts every few days), shared by the area
    weather = np.convolve(rng.normal(0.0, 1.0, nt + 8), np.ones(8) / np.sqrt(8.0), mode="valid")[:nt]
    local_h = np.mod(hour_utc[:, None] + lon[None, :] / 15.0, 24.0)
    diurnal = 0.9 * np.cos(2 * np.pi * (local_h - 15.0) / 24.0)  # afternoon maximum
    base = 3.6 + 0.8 * spring[:, None] + diurnal + 1.4 * weather[:, None]
    scale = (wind_speed_100m(lon, lat, seed=seed) / 7.3)[None, :]
    gust = rng.gamma(4.0, 0.25, (nt, lon.size))  # mean 1, pixel-to-pixel variability
    speed = np.maximum(base * scale * gust, 0.0)
    nw = np.asarray(wind_direction(lon, lat, seed=seed), np.float64)[None, :]
    from_nw = rng.random((nt, 1)) < (0.25 + 0.65 * winter_monsoon[:, None])
    direction = np.where(from_nw, nw + rng.normal(0, 25, (nt, lon.size)),
                         135.0 + rng.normal(0, 45, (nt, lon.size)))
    speed = np.clip(np.where(from_nw, speed * 1.15, speed * 0.8), 0.0, 25.0)
    direction = np.mod(direction, 360.0)
    # GHI: Haurwitz clear sky at 6 instants in each 3-hour step, mean, then cloudiness
    decl = np.radians(23.44) * np.sin(2 * np.pi * (doy + 284.0) / 365.0)  # Cooper (1969)
    ghi_sum = np.zeros((nt, lon.size))
    phi = np.radians(lat)[None, :]
    for k in range(6):
        solar_h = np.mod(hour_utc[:, None] + (k + 0.5) * RECORD_STEP_H / 6.0 + lon[None, :] / 15.0, 24.0)
        omega = np.radians(15.0 * (solar_h - 12.0))
        cos_z = (np.sin(phi) * np.sin(decl[:, None]) + np.cos(phi) * np.cos(decl[:, None]) * np.cos(omega))
        with np.errstate(divide="ignore", over="ignore"):
            clear = np.where(cos_z > 0.01, 1098.0 * cos_z * np.exp(-0.057 / np.maximum(cos_z, 0.01)), 0.0)
        ghi_sum += clear
    cloud = np.clip(1.0 - 0.45 * rng.beta(0.8, 2.2, (nt // 8 + 1, 1)).repeat(8, axis=0)[:nt], 0.2, 1.0)
    g = ghi_sum / 6.0 * cloud
    annual = g.sum(axis=0) * RECORD_STEP_H / 1000.0  # kWh m-2 yr-1
    g = g * (ghi(lon, lat, seed=seed).astype(np.float64) / annual)[None, :]
    return times, speed.astype(np.float32), direction.astype(np.float32), g.astype(np.float32)


def land_cover_classes(lon: Any, lat: Any, z: np.ndarray, *, seed: int = SAMPLE_SEED) -> np.ndarray:
    """ESA WorldCover codes by zone (uint8), before classification noise and rasterised features."""
    n1, n2 = noise(lon, lat, 0.02, 50, seed=seed), noise(lon, lat, 0.006, 51, seed=seed)
    lc = np.full(np.shape(lon), 30, np.uint8)
    # valley: cropland with shelterbelts, grass and wetlands
    lc[(z == 1)] = 40
    lc[(z == 1) & (n2 > 0.6)] = 30
    lc[(z == 1) & (np.abs(n1) < 0.03)] = 10
    near_river = np.abs(lat - river_lat(lon)) < 0.007
    lc[(z == 1) & near_river & (n2 > -0.2)] = 90
    # steppe: grass, shrubs, bare patches (more in the degraded zone)
    degr = np.exp(-(((lon - 109.15) / 0.09) ** 2 + ((lat - 40.27) / 0.05) ** 2))
    lc[(z == 2) & (n2 > 0.55)] = 20
    lc[(z == 2) & (n1 + 0.9 * degr > 0.75)] = 60
    # dunes: mobile sand (bare) with shrubby interdune lows and afforested edges
    dh = dune_height(lon, lat, seed=seed)
    recov = np.exp(-(((lon - 109.47) / 0.11) ** 2 + ((lat - 40.13) / 0.06) ** 2))
    lc[z == 3] = 60
    lc[(z == 3) & (dh < 2.0) & (n2 > -0.1)] = 20
    lc[(z == 3) & (recov > 0.5) & (n2 > 0.2)] = 20
    lc[(z == 3) & (recov > 0.6) & (n1 > 0.4)] = 10
    lc[z == 0] = 80
    return lc


def fold(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """Fold coordinates into the sample AOI by reflection (a triangle wave in each axis).

    Tile ``(i, j)`` of a region (``i`` columns east and ``j`` rows south of the sample AOI) maps
    onto the sample AOI, mirrored when ``i`` (or ``j``) is odd, so fields evaluated at folded
    coordinates are continuous across tile edges.

    Examples
    --------
    >>> [round(float(v), 6) for v in fold(np.array([108.95, 109.75, 110.45]), np.array([40.3] * 3))[0]]
    [108.95, 109.65, 108.95]
    """
    w, s, e, n = SAMPLE_AOI
    return _reflect(np.asarray(lon, float), w, e - w), _reflect(np.asarray(lat, float), s, n - s)


def _reflect(v: np.ndarray, origin: float, width: float) -> np.ndarray:
    u = np.mod((v - origin) / width, 2.0)
    return origin + width * np.where(u <= 1.0, u, 2.0 - u)


# ----------------------------------------------------------------------------- writers
def write_zipped_shapefile(gdf: Any, path: Path) -> None:
    """Write ``gdf`` as a zipped ESRI shapefile (UTF-8) with pinned dates: same data → same bytes."""
    tmp = path.parent / (path.stem + "_tmp")
    tmp.mkdir(exist_ok=True)
    shp = tmp / (path.name.removesuffix(".zip").removesuffix(".shp") + ".shp")
    gdf.to_file(shp, driver="ESRI Shapefile", engine="pyogrio", encoding="UTF-8",
                layer_options={"DBF_DATE_LAST_UPDATE": "{:04d}-{:02d}-{:02d}".format(*FIXED_DATE)})
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(tmp.iterdir()):
            info = zipfile.ZipInfo(f.name, date_time=(*FIXED_DATE, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, f.read_bytes())
            f.unlink()
    tmp.rmdir()
