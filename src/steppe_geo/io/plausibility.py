"""Cheap statistics of input rasters and plausibility checks by role (elevation, wind speed, ...).

Before any work, each raster a model uses is compared with the range its *role* can take
(:data:`ROLES`): a DEM in feet, a GHI in W m⁻² instead of kWh m⁻² yr⁻¹ or NDVI stored as
integers × 10000 are told apart from real values, and the error names the likely fix. The
statistics come from a decimated read over the area of interest's window (GDAL uses overviews
when the file has them), never a full load: :func:`raster_statistics`.

Roles are found by input name (:data:`INPUT_ROLES`: the names the presets read, ``dem``,
``wind_speed_100m``, ``ghi``, ...). This module is the one place that knows them.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.errors
import rasterio.features
import rasterio.warp
import rasterio.windows
import shapely
from affine import Affine
from rasterio.enums import Resampling
from rasterio.windows import Window

from steppe_geo._typing import PathLike
from steppe_geo.errors import (
    ImplausibleInputError,
    InvalidParameterError,
    MissingCRSError,
    UndeclaredUnitsWarning,
)
from steppe_geo.io._hints import missing_crs_hint
from steppe_geo.io._pam import no_pam_sidecars
from steppe_geo.io.raster_meta import (
    KIND_TAG,
    UNITS_TAG,
    _check_georeferencing,
    _check_nodata_fits,
    _has_colormap,
    _is_rotated,
    _north_up,
    _open_error,
    _raster_path,
    _time_coords,
)
from steppe_geo.io.remote import source_name
from steppe_geo.io.units import UNITS, convert, parse_unit

__all__ = ["INPUT_ROLES", "ROLES", "RasterStatistics", "Role", "check_plausible", "format_values",
           "raster_statistics", "source_units"]


@dataclass(frozen=True)
class Role:
    """What an input raster holds, the units the models read it in, and its plausible range.

    Attributes
    ----------
    name : str
        ``"elevation"``, ``"wind_speed"``, ...
    units : str
        Units the models use (a symbol of :data:`steppe_geo.io.units.UNITS`, or ``"class"``).
    low, high : float
        Plausible range of values in ``units`` (anywhere on Earth).
    source : str
        Where the range comes from.
    kind : {"continuous", "categorical"}
    series : bool
        A multi-band time series is expected (every band is read).
    unit_hints : tuple of str
        Units the values are often delivered in by mistake (suggested when they fit).
    scale_hints : tuple of float
        Scale factors of integer-coded products (suggested when they fit).
    """

    name: str
    units: str
    low: float = -math.inf
    high: float = math.inf
    source: str = ""
    kind: str = "continuous"
    series: bool = False
    unit_hints: tuple[str, ...] = ()
    scale_hints: tuple[float, ...] = ()


ROLES: dict[str, Role] = {r.name: r for r in (
    Role("elevation", "m", -450.0, 8_900.0,
         "lowest dry land: Dead Sea shore about −430 m; highest: Everest 8,849 m",
         unit_hints=("ft", "us_ft")),
    Role("wind_speed", "m s-1", 0.0, 40.0,
         "mean wind speeds: Global Wind Atlas 100 m means stay below about 15 m/s; 40 m/s is a "
         "hurricane-force mean that no site has", unit_hints=("km h-1", "kn", "mph")),
    Role("weibull_k", "1", 0.5, 10.0, "Weibull shape k of wind speeds: about 1.2–3.5 over land "
         "(Global Wind Atlas); 0.5–10 allows every climate"),
    Role("ghi", "kWh m-2 yr-1", 300.0, 3_000.0,
         "annual global horizontal irradiation: about 600 (high latitudes) to 2,900 (Atacama) "
         "kWh m-2 yr-1 (Global Solar Atlas)",
         unit_hints=("W m-2", "kWh m-2 d-1", "MJ m-2 d-1", "MJ m-2 yr-1")),
    Role("ndvi", "1", -1.0, 1.0, "NDVI is a normalised difference: −1..1 by definition",
         series=True, scale_hints=(0.0001, 0.001, 0.004, 0.01)),
    Role("precipitation", "mm yr-1", 0.0, 12_000.0,
         "mean annual precipitation: 0 (Atacama) to about 11,900 mm (Mawsynram, India)",
         unit_hints=("mm d-1",), scale_hints=(0.1,)),
    Role("pet", "mm yr-1", 0.0, 4_000.0,
         "annual potential evapotranspiration (Penman–Monteith): below about 3,000 mm even in hot "
         "deserts (FAO-56; CGIAR Global-AI_PET v3)", unit_hints=("mm d-1",), scale_hints=(0.1,)),
    Role("soil_depth", "cm", 0.0, 5_000.0, "soil depth to bedrock: SoilGrids/ESDB depths stay below "
         "a few tens of metres", unit_hints=("m",)),
    Role("wind_speed_series", "m s-1", 0.0, 60.0,
         "wind speeds of a time series (hourly to 3-hourly means): the highest 10-minute mean "
         "measured on land is about 60 m/s (tropical cyclones; WMO archive of weather extremes)",
         series=True, unit_hints=("km h-1", "kn", "mph")),
    Role("wind_direction_series", "degree", 0.0, 360.0,
         "wind directions are degrees clockwise from north: 0–360 by definition", series=True),
    Role("land_cover", "class", kind="categorical"),
    Role("soil_texture", "class", kind="categorical"),
)}
"""Roles by name."""

INPUT_ROLES: dict[str, str] = {
    "dem": "elevation",
    "wind_speed_100m": "wind_speed",
    "weibull_k": "weibull_k",
    "ghi": "ghi",
    "ndvi": "ndvi",
    "precipitation": "precipitation",
    "pet": "pet",
    "soil_depth": "soil_depth",
    "land_cover": "land_cover",
    "soil_texture": "soil_texture",
    "wind_speed_series": "wind_speed_series",
    "wind_direction_series": "wind_direction_series",
}
"""Role of each input name the presets read."""

COMMON_FILL_VALUES = (-9999.0, -32768.0, -32767.0, 32767.0, 65535.0, 255.0, -3.4028234663852886e38)
"""Raw values that usually mark missing data when no nodata is declared."""


@dataclass(frozen=True)
class RasterStatistics:
    """Cheap statistics of a raster over an area of interest (see :func:`raster_statistics`).

    Attributes
    ----------
    path : str
    band_count : int
    dtype : str
    units : str or None
        The file's units tag (band or dataset level).
    kind_tag : str or None
        The ``STEPPE_GEO_KIND`` tag.
    has_colormap : bool
    nodata : float or None
        Nodata used (declared, else the file's).
    years : bool
        The bands are years of a time series.
    pixel_size : float
        Source pixel size in the source CRS units (geometric mean of the sides).
    crs_is_geographic : bool
    sampled : int
        Sampled pixels inside the AOI (all sampled pixels without an AOI).
    valid : int
        Of those, pixels with data.
    min, max : float
        Range of the valid sampled values (decoded: scale/offset applied); NaN without any.
    codes : tuple of int
        Distinct values of an integer raster among the sampled pixels (empty for floats).
    scaled : bool
        A scale or offset was applied.
    """

    path: str
    band_count: int
    dtype: str
    units: str | None
    kind_tag: str | None
    has_colormap: bool
    nodata: float | None
    years: bool
    pixel_size: float
    crs_is_geographic: bool
    sampled: int
    valid: int
    min: float
    max: float
    codes: tuple[int, ...] = field(default=())
    scaled: bool = False

    @property
    def valid_fraction(self) -> float:
        """Share of sampled AOI pixels with data (0 when none was sampled)."""
        return self.valid / self.sampled if self.sampled else 0.0

    @property
    def is_integer(self) -> bool:
        """The raster stores integers (and no scale turns them into measurements)."""
        return np.issubdtype(np.dtype(self.dtype), np.integer) and not self.scaled


def _aoi_in(aoi: Any, crs_wkt: str) -> Any:
    """The AOI's geometry (one shapely geometry) in the CRS ``crs_wkt``."""
    if isinstance(aoi, gpd.GeoDataFrame | gpd.GeoSeries):
        geoms = aoi.geometry if isinstance(aoi, gpd.GeoDataFrame) else aoi
        return shapely.union_all(geoms.to_crs(crs_wkt).values)
    raise TypeError(f"aoi must be a GeoDataFrame or GeoSeries, got {type(aoi).__name__}")


def raster_statistics(
    source: PathLike,
    *,
    aoi: Any = None,
    band: int | str | None = None,
    nodata: float | None = None,
    scale: float | None = None,
    offset: float | None = None,
    max_pixels: int = 1_000_000,
) -> RasterStatistics:
    """Statistics of a raster from a decimated read over the AOI's window (no full load).

    Parameters
    ----------
    source : path
        A raster file.
    aoi : geopandas.GeoDataFrame or GeoSeries, optional
        Area of interest (any CRS); only pixels inside it count. Default: the whole raster.
    band : int or "all", optional
        Band to sample (1-based); default: every band of a time series, else band 1.
    nodata, scale, offset : float, optional
        Declared values overriding the file's (as in :func:`steppe_geo.io.read_raster`).
    max_pixels : int, default 1,000,000
        Pixels read at most (all bands together); larger windows are read decimated
        (nearest neighbour; GDAL reads overviews when the file has them).

    Returns
    -------
    RasterStatistics

    Raises
    ------
    InputNotFoundError
        The file does not exist.
    UnreadableInputError
        GDAL cannot read it.
    MissingCRSError
        The raster has no CRS.
    """
    path = _raster_path(source)  # a URL stays a string: GDAL reads it
    try:
        with warnings.catch_warnings():  # _check_georeferencing says it, naming the file
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            ds = rasterio.open(path)
        with no_pam_sidecars(), ds:
            _check_georeferencing(ds, str(path))
            if ds.crs is None:
                hint = missing_crs_hint(tuple(ds.bounds))
                raise MissingCRSError(f"raster {str(path)!r} has no CRS; {hint}")
            tags = ds.tags()
            meta = {"years_tag": tags.get("years") or tags.get("YEARS"), "descriptions": ds.descriptions,
                    "band_tags": [ds.tags(i) for i in range(1, ds.count + 1)]}
            years = _time_coords(meta, ds.count) is not None
            if isinstance(band, int):
                indexes = [band]
            elif band == "all" or years:
                indexes = list(range(1, ds.count + 1))
            else:
                indexes = [1]
            full = Window(0, 0, ds.width, ds.height)
            window: Window | None = full
            geom = None
            transform, flipped = _north_up(ds.transform, ds.height)  # south-up: read flipped
            if aoi is not None:
                geom = _aoi_in(aoi, ds.crs.to_wkt())
            if geom is not None and not _is_rotated(transform):  # rotated: the whole raster, masked
                w = rasterio.windows.from_bounds(*geom.bounds, transform=transform)
                w = Window(math.floor(w.col_off), math.floor(w.row_off),
                           math.ceil(w.width) + 1, math.ceil(w.height) + 1)
                try:
                    window = w.intersection(full)
                except rasterio.errors.WindowError:
                    window = None
            dtype = ds.dtypes[0]
            file_units = (tags.get(UNITS_TAG) or next((u for u in ds.units if u), None)
                          or tags.get("units") or tags.get("UNITS"))
            nd = nodata if nodata is not None else ds.nodata
            _check_nodata_fits(nd, np.dtype(dtype), str(path), declared=nodata is not None)
            scales = [ds.scales[i - 1] for i in indexes]
            offsets = [ds.offsets[i - 1] for i in indexes]
            px = math.sqrt(abs(ds.transform.a * ds.transform.e))
            info = dict(path=str(path), band_count=ds.count, dtype=dtype, units=file_units,
                        kind_tag=tags.get(KIND_TAG), has_colormap=_has_colormap(ds), nodata=nd, years=years,
                        pixel_size=px, crs_is_geographic=bool(ds.crs.is_geographic))
            if window is None or window.width < 1 or window.height < 1:
                return RasterStatistics(**info, sampled=0, valid=0, min=math.nan, max=math.nan)
            per_band = max(1, max_pixels // len(indexes))
            factor = max(1.0, math.sqrt(window.width * window.height / per_band))
            out_rows = max(1, int(window.height / factor))
            out_cols = max(1, int(window.width / factor))
            file_window = window
            if flipped:
                file_window = Window(window.col_off, ds.height - window.row_off - window.height, window.width,
                                     window.height)
            raw = ds.read(indexes, window=file_window, out_shape=(len(indexes), out_rows, out_cols),
                          resampling=Resampling.nearest)
            if flipped:
                raw = raw[:, ::-1, :]
            win_transform = rasterio.windows.transform(window, transform) * Affine.scale(
                window.width / out_cols, window.height / out_rows)
    except rasterio.errors.RasterioIOError as exc:
        raise _open_error(path, exc) from None
    inside = np.ones((out_rows, out_cols), dtype=bool)
    if geom is not None:
        inside = rasterio.features.geometry_mask([geom], out_shape=(out_rows, out_cols),
                                                 transform=win_transform, invert=True, all_touched=True)
    valid = np.ones(raw.shape, dtype=bool)
    if np.issubdtype(raw.dtype, np.floating):
        valid &= np.isfinite(raw)  # ±inf are nodata, as read_raster reads them
    if nd is not None and not (isinstance(nd, float) and math.isnan(nd)):
        valid &= raw != nd
    valid &= inside[np.newaxis]
    scale_ = [scale if scale is not None else (s if s is not None else 1.0) for s in scales]
    offset_ = [offset if offset is not None else (o if o is not None else 0.0) for o in offsets]
    scaled = any(s != 1.0 for s in scale_) or any(o != 0.0 for o in offset_)
    values = np.concatenate([raw[i][valid[i]].astype(np.float64) * scale_[i] + offset_[i]
                             for i in range(raw.shape[0])])
    codes: tuple[int, ...] = ()
    if np.issubdtype(raw.dtype, np.integer) and not scaled and values.size:
        codes = tuple(int(c) for c in np.unique(values))
    return RasterStatistics(
        **info, sampled=int(inside.sum()) * raw.shape[0] if geom is not None else raw.size,
        valid=int(valid.sum()), min=float(values.min()) if values.size else math.nan,
        max=float(values.max()) if values.size else math.nan, codes=codes, scaled=scaled,
    )


def format_values(values: Any, *, limit: int = 10) -> str:
    """``"1, 2, 3"`` or, beyond ``limit`` values, ``"1, 2, ..., 10 and 183 more"``.

    Examples
    --------
    >>> format_values(range(3))
    '0, 1, 2'
    >>> format_values(range(25))
    '0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 15 more'
    """
    items = list(values)
    shown = ", ".join(str(v) for v in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _default_fix(key: str, name: str) -> Callable[[str, Any], str]:
    def fix(option: str, value: Any) -> str:
        shown = f'"{value}"' if isinstance(value, str) else f"{value:g}"
        return f"{key} = {{ path = \"{name}\", {option} = {shown} }}"
    return fix


def _fits(low: float, high: float, role: Role) -> bool:
    return role.low <= low and high <= role.high


def _g(v: float) -> str:
    return f"{v:,.6g}"


def source_units(stats: RasterStatistics, role: str | Role, *, key: str, units: str | None = None,
                 fix: Callable[[str, Any], str] | None = None) -> str | None:
    """The units a raster's values are in for ``role``: declared, else the file's tag (when known).

    Parameters
    ----------
    stats : RasterStatistics
    role : str or Role
    key : str
        Configuration key of the input (for messages).
    units : str, optional
        Declared units.
    fix : callable, optional
        ``fix(option, value)`` renders the advice (default:
        ``key = { path = "<file name>", option = value }``).

    Returns
    -------
    str or None
        A symbol of :data:`steppe_geo.io.units.UNITS`, or None when nothing says (the values are
        then taken to be in the role's units).

    Raises
    ------
    ImplausibleInputError
        The units (declared or tagged) measure another quantity than the role's.

    Warns
    -----
    UndeclaredUnitsWarning
        Neither a declaration nor a known units tag says what the values are in.
    """
    r = ROLES[role] if isinstance(role, str) else role
    if r.kind != "continuous":
        return None
    name = source_name(stats.path)
    fix = fix or _default_fix(key, name)
    src, said = units, "declared"
    if src is None and stats.units:
        try:
            src, said = parse_unit(stats.units).symbol, "tagged"
        except InvalidParameterError:
            src = None
    if src is None:
        warnings.warn(
            f"{key}.units: raster {name!r} ({r.name}) says nothing about its units"
            + (f" (its tag {stats.units!r} is not a known unit)" if stats.units else "")
            + f"; it is read as {r.units!r}. Declare them to be sure: "
            f"{fix('units', r.units)}",
            UndeclaredUnitsWarning, stacklevel=2,
        )
        return None
    if parse_unit(src).quantity != parse_unit(r.units).quantity:
        same = [u.symbol for u in UNITS.values() if u.quantity == parse_unit(r.units).quantity]
        raise ImplausibleInputError(
            f"{key}.units: raster {name!r} is {said} in {src!r} ({parse_unit(src).quantity}), but as "
            f"{r.name} it is read in {r.units!r}; declare the units its values are in, one of "
            f"{', '.join(same)}: {fix('units', r.units)}"
        )
    return src


def check_plausible(stats: RasterStatistics, role: str | Role, *, key: str, units: str | None = None,
                    extent: RasterStatistics | None = None, fix: Callable[[str, Any], str] | None = None
                    ) -> None:
    """Raise when a raster's values cannot be what its role says, naming the likely fix.

    Parameters
    ----------
    stats : RasterStatistics
        From :func:`raster_statistics` with the AOI: it must hold valid pixels.
    role : str or Role
        A name of :data:`ROLES`.
    key : str
        Where the input is declared (``"sources.dem"``, or a parameter name); messages start with
        it and advise options below it (``sources.dem.units``).
    units : str, optional
        Units of the values (declared or tagged; see :func:`source_units`); converted to the
        role's units first.
    extent : RasterStatistics, optional
        Statistics of the whole file (without the AOI): its range is checked too, so a DEM in
        feet is caught by its mountains even when the AOI lies on a plain.
    fix : callable, optional
        ``fix(option, value)`` renders the advice (default:
        ``key = { path = "<file name>", option = value }``).

    Raises
    ------
    ImplausibleInputError
        No valid pixel inside the AOI, or values outside the role's plausible range (the message
        suggests ``units``, ``scale`` or ``nodata`` when one makes them fit).

    Examples
    --------
    >>> s = RasterStatistics("dem.tif", 1, "float32", None, None, False, None, False, 100.0, False,
    ...                      sampled=900, valid=900, min=4711.0, max=10360.0)
    >>> check_plausible(s, "elevation", key="sources.dem")
    Traceback (most recent call last):
    ...
    steppe_geo.errors.ImplausibleInputError: sources.dem.units: raster 'dem.tif' (elevation) has values ...
    >>> check_plausible(s, "elevation", key="sources.dem", units="ft")  # 1436..3158 m: plausible
    """
    r = ROLES[role] if isinstance(role, str) else role
    name = source_name(stats.path)
    fix = fix or _default_fix(key, name)
    if stats.valid == 0:
        why = ("it does not cover the area of interest" if stats.sampled == 0 else
               f"all {stats.sampled:,} sampled pixels inside it are nodata"
               + (f" (nodata = {_g(stats.nodata)})" if stats.nodata is not None else ""))
        raise ImplausibleInputError(
            f"{key}: raster {name!r} has no valid pixel inside the area of interest ({why}); give a raster "
            f"that covers the area (check {key}.path and its CRS) or the right {key}.nodata"
        )
    if r.kind != "continuous" or not math.isfinite(r.low + r.high):
        return
    if extent is not None and extent.valid:
        stats = dataclasses.replace(stats, min=min(stats.min, extent.min), max=max(stats.max, extent.max))
    lo, hi = stats.min, stats.max
    if units is not None:
        lo, hi = convert(lo, units, r.units), convert(hi, units, r.units)
    if _fits(lo, hi, r):
        return
    shown = f"{_g(stats.min)}..{_g(stats.max)}" + (f" {units}" if units else "")
    head = (f"raster {name!r} ({r.name}) has values {shown}, outside the "
            f"plausible range {_g(r.low)}..{_g(r.high)} {r.units} ({r.source})")
    if units is None:
        for u in r.unit_hints:
            a, b = convert(stats.min, u, r.units), convert(stats.max, u, r.units)
            if _fits(a, b, r):
                raise ImplausibleInputError(
                    f"{key}.units: {head}. In {u!r} ({UNITS[u].quantity}) they would be {_g(a)}..{_g(b)} "
                    f"{r.units}: declare the units, {fix('units', u)}"
                )
    if not stats.scaled or stats.is_integer:
        for s in r.scale_hints:
            if _fits(stats.min * s, stats.max * s, r):
                raise ImplausibleInputError(
                    f"{key}.scale: {head}. They look like integers scaled by {1 / s:g}: declare the scale, "
                    f"{fix('scale', s)}"
                )
    fills = [v for v in (stats.min, stats.max) if v in COMMON_FILL_VALUES]
    if fills:
        raise ImplausibleInputError(
            f"{key}.nodata: {head}. {_g(fills[0])} usually marks missing data: declare it, "
            f"{fix('nodata', fills[0])}"
        )
    raise ImplausibleInputError(
        f"{key}: {head}. Check the file, or declare its {key}.units (known: "
        f"{', '.join(u.symbol for u in UNITS.values() if u.quantity == parse_unit(r.units).quantity)}), "
        f"{key}.scale or {key}.nodata"
    )
