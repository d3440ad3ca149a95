"""CRS and georeferencing helpers of the grid.

The named local equal-area CRS, a DataArray's exact transform, CRS labels and the AOI given to
:meth:`~steppe_geo.grid.Grid.for_area`.
"""

from __future__ import annotations

import functools
from typing import Any

import geopandas as gpd
import pyproj
import rioxarray  # noqa: F401  (registers the .rio accessor)
import shapely
import xarray as xr
from affine import Affine
from pyproj.aoi import AreaOfInterest
from pyproj.crs import ProjectedCRS
from pyproj.crs.coordinate_operation import LambertAzimuthalEqualAreaConversion
from pyproj.database import query_utm_crs_info

from steppe_geo._typing import Bounds
from steppe_geo._validation import to_crs
from steppe_geo.errors import EmptyLayerError, InvalidParameterError, MissingCRSError

__all__ = ["M_PER_DEGREE", "crs_label", "dataarray_transform", "laea_crs"]


def laea_crs(lat_0: float, lon_0: float) -> pyproj.CRS:
    """Lambert azimuthal equal-area CRS on WGS 84 centred at ``(lat_0, lon_0)``, with a name.

    The same projection as ``+proj=laea +lat_0=... +lon_0=... +datum=WGS84 +units=m``, but
    named (e.g. ``"steppe_geo LAEA 40.20N 109.30E"``) so that GIS software shows what it is
    instead of "unknown"; the name survives GeoTIFF and GeoPackage round trips.

    Parameters
    ----------
    lat_0, lon_0 : float
        Centre of the projection in degrees (north and east positive).

    Returns
    -------
    pyproj.CRS
        Projected CRS with easting/northing axes in metres.

    Examples
    --------
    >>> laea_crs(40.2, 109.3).name
    'steppe_geo LAEA 40.20N 109.30E'
    >>> laea_crs(-33.87, -70.65).name
    'steppe_geo LAEA 33.87S 70.65W'
    """
    name = (f"steppe_geo LAEA {abs(lat_0):.2f}{'N' if lat_0 >= 0 else 'S'} "
            f"{abs(lon_0):.2f}{'E' if lon_0 >= 0 else 'W'}")
    return pyproj.CRS(ProjectedCRS(
        conversion=LambertAzimuthalEqualAreaConversion(latitude_natural_origin=lat_0,
                                                       longitude_natural_origin=lon_0),
        geodetic_crs=pyproj.CRS.from_epsg(4326), name=name,
    ))


def dataarray_transform(da: xr.DataArray) -> Affine:
    """Affine transform of a georeferenced DataArray, as exact as its metadata allow.

    The transform recomputed from the ``x``/``y`` coordinates carries rounding errors of a
    few ulp; rioxarray's stored ``GeoTransform`` (written by ``open_rasterio`` and
    ``write_transform``) is the file's exact one. The stored one is used when it agrees with
    the coordinates to 1e-9 of a pixel (it can be stale after coordinates were edited by
    hand), otherwise the recomputed one.
    """
    recalc = da.rio.transform(recalc=True)
    stored = da.rio.transform()
    tol = 1e-9 * max(abs(recalc.a), abs(recalc.e))
    if all(abs(a - b) <= tol for a, b in zip(stored[:6], recalc[:6], strict=True)):
        return stored
    return recalc


def crs_label(crs: pyproj.CRS) -> str:
    """Short CRS label for map axes and summaries: ``EPSG:32649`` or the projection and its centre."""
    epsg = _epsg_code(crs.to_wkt())
    if epsg:
        return f"EPSG:{epsg}"
    if crs.name and crs.name != "unknown":
        return crs.name[:48]
    op = crs.coordinate_operation
    method = op.method_name if op is not None else "local projection"
    params = {p.name: p.value for p in op.params} if op is not None else {}
    lat = params.get("Latitude of natural origin", params.get("Latitude of projection centre"))
    lon = params.get("Longitude of natural origin", params.get("Longitude of projection centre"))
    if lat is not None and lon is not None:
        return f"{method} ({lat:g}°, {lon:g}°)"
    return method


@functools.lru_cache(maxsize=64)
def _epsg_code(wkt: str) -> int | None:
    """``to_epsg()`` of the CRS ``wkt``, computed once per CRS.

    For a CRS without an EPSG code (a run's local equal-area grid) pyproj searches its database,
    about 0.2 s, and every map asks.
    """
    return pyproj.CRS.from_wkt(wkt).to_epsg()


def _crs_label(crs: pyproj.CRS) -> str:
    epsg = crs.to_epsg()
    if epsg:
        return f"EPSG:{epsg}"
    if crs.name and crs.name != "unknown":
        return crs.name
    return crs.srs or crs.name



M_PER_DEGREE = 111_320.0
"""Metres per degree of latitude (and of longitude at the equator), to suggest a size in degrees."""


def _crs_name(crs: pyproj.CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else repr(crs.name)


def _geographic_resolution_message(bounds: Bounds, crs: pyproj.CRS, resolution_m: Any) -> str:
    """Why ``resolution_m`` does not fit a geographic CRS, and what would (a UTM zone, ``resolution_deg``)."""
    head = (f"resolution_m: the CRS {_crs_name(crs)} is geographic (its units are degrees), so "
            f"resolution_m={resolution_m!r} would make pixels of {resolution_m!r} degrees, not metres")
    try:
        west, south, east, north = (float(v) for v in bounds)
    except (TypeError, ValueError):
        return head + "; give a projected CRS in metres (a UTM zone, EPSG:326NN or EPSG:327NN)"
    lon, lat = (west + east) / 2, (south + north) / 2
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return (head + f"; and the bounds {tuple(bounds)!r} are not degrees either (they look projected): "
                "give the CRS they are in")
    zones = query_utm_crs_info(datum_name="WGS 84", area_of_interest=AreaOfInterest(lon, lat, lon, lat))
    utm = next((z for z in zones if z.auth_name == "EPSG"), None)
    first = float(resolution_m[0] if isinstance(resolution_m, tuple | list) else resolution_m)
    deg = first / M_PER_DEGREE
    suggestion = (f"; use a projected CRS in metres, e.g. the UTM zone of the bounds' centre "
                  f"({lon:.4f}, {lat:.4f}): EPSG:{utm.code} ({utm.name}), with the bounds transformed to it"
                  if utm is not None else "; use a projected CRS in metres")
    return (head + suggestion + f", or give the pixel size in degrees: resolution_deg={deg:.3g} "
            f"(≈ {first:g} m north-south)")


def _aoi_geometry(aoi: Any) -> tuple[Any, pyproj.CRS]:
    if isinstance(aoi, gpd.GeoDataFrame | gpd.GeoSeries):
        if aoi.crs is None:
            raise MissingCRSError("aoi has no CRS; set one with .set_crs(...)")
        if len(aoi) == 0:
            raise EmptyLayerError("aoi has no features")
        return shapely.union_all(aoi.geometry.values), pyproj.CRS.from_user_input(aoi.crs)
    if isinstance(aoi, tuple) and len(aoi) == 2:
        geom, crs = aoi
        if isinstance(geom, tuple | list):
            geom = shapely.box(*geom)
        return geom, to_crs(crs, param="aoi crs")
    raise InvalidParameterError(
        "aoi must be a GeoDataFrame, a GeoSeries or a (geometry or bounds, crs) tuple, "
        f"got {type(aoi).__name__}"
    )
