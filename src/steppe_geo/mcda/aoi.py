"""The area of interest as a pixel mask: which pixels of a grid are inside the AOI polygon.

**Rule**: a pixel is inside when its *centre* is inside the AOI polygon (GDAL's rasterisation
rule without ``all_touched``; a centre exactly on the boundary follows GDAL's half-open
scan-line convention). So a pixel counts as AOI land in full or not at all, and the number
of inside pixels times the pixel area estimates the AOI's area to within the boundary pixels.

The polygon is taken once into the grid's *pixel* coordinates (column, row of the whole grid);
a window's mask is the polygon shifted by the window's integer offset and rasterised with the
identity transform. Shifting by an integer is exact in floating point, so every window sees
the same vertex coordinates relative to its own pixels as the whole grid does: the in-memory,
streamed and Dask evaluations agree pixel for pixel (up to a centre within ~1e-9 pixel of the
boundary, where GDAL's rounding could differ).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
import shapely.affinity
import xarray as xr
from affine import Affine
from rasterio.features import rasterize

from steppe_geo.errors import EmptyLayerError, InvalidParameterError, MissingCRSError
from steppe_geo.grid import Grid

__all__ = ["aoi_mask", "aoi_polygon"]


def aoi_polygon(aoi: Any, *, crs: pyproj.CRS | str) -> Any:
    """The AOI as one (multi)polygon in ``crs``: the union of the polygons of ``aoi``.

    Parameters
    ----------
    aoi : GeoDataFrame or GeoSeries
        Area of interest with a CRS; its polygon parts are used (points and lines have no area).
    crs : pyproj.CRS or str
        CRS of the result (the analysis grid's).

    Returns
    -------
    shapely Polygon or MultiPolygon

    Raises
    ------
    InvalidParameterError
        ``aoi`` is not a GeoDataFrame/GeoSeries, or has no polygon with an area.
    MissingCRSError
        ``aoi`` has no CRS.
    EmptyLayerError
        ``aoi`` has no features.
    """
    if not isinstance(aoi, gpd.GeoDataFrame | gpd.GeoSeries):
        raise InvalidParameterError(
            f"aoi must be a GeoDataFrame or GeoSeries of polygons, got {type(aoi).__name__}"
        )
    if aoi.crs is None:
        raise MissingCRSError("aoi has no CRS; set one with .set_crs(...)")
    if len(aoi) == 0:
        raise EmptyLayerError("aoi has no features; give the area of interest as one or more polygons")
    geoms = aoi.geometry.to_crs(crs)
    parts = [g for g in shapely.get_parts(geoms.dropna().to_numpy())
             if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
    polygon = shapely.union_all(parts) if parts else None
    if polygon is None or polygon.is_empty or polygon.area <= 0:
        types = sorted({str(t) for t in aoi.geom_type.dropna().unique()})
        raise InvalidParameterError(
            f"aoi has no polygon with an area (geometry types {types}); the area of interest must be "
            "a polygon layer (e.g. the study-area outline)"
        )
    return polygon


def _pixel_polygon(polygon: Any, grid: Grid) -> Any:
    """``polygon`` (in the grid's CRS) in the grid's pixel coordinates (column, row)."""
    inv = ~grid.transform
    return shapely.affinity.affine_transform(polygon, [inv.a, inv.b, inv.d, inv.e, inv.c, inv.f])


def _inside_window(pixel_polygon: Any, row_off: int, col_off: int, shape: tuple[int, int]) -> np.ndarray:
    """Inside mask (True = pixel centre inside) of one window, from the polygon in grid pixel coordinates."""
    local = shapely.affinity.translate(pixel_polygon, xoff=-int(col_off), yoff=-int(row_off))
    burnt = rasterize([(local, 1)], out_shape=shape, transform=Affine.identity(), fill=0, dtype="uint8",
                      all_touched=False)
    out: np.ndarray = burnt.astype(bool)
    return out


def aoi_mask(aoi: Any, *, grid: Grid) -> xr.DataArray:
    """Pixels of ``grid`` whose centre is inside the AOI polygon (True = inside).

    Parameters
    ----------
    aoi : GeoDataFrame or GeoSeries
        Area of interest (polygons, any CRS; reprojected to the grid's).
    grid : Grid
        Analysis grid.

    Returns
    -------
    xarray.DataArray of bool
        ``("y", "x")`` on ``grid``, named ``inside_aoi``.

    Raises
    ------
    InvalidParameterError
        ``aoi`` has no polygon, or does not overlap the grid.
    MissingCRSError
        ``aoi`` has no CRS.

    Examples
    --------
    A triangle over a 3 × 3 grid of 100 m pixels keeps the pixels whose centre it covers
    (centre (x, y) inside where x + y < 320 m):

    >>> import geopandas as gpd, shapely
    >>> import steppe_geo as sg
    >>> from steppe_geo.mcda import aoi_mask
    >>> grid = sg.Grid.from_bounds((0, 0, 300, 300), crs="EPSG:32649", resolution_m=100)
    >>> tri = gpd.GeoSeries([shapely.Polygon([(0, 0), (320, 0), (0, 320)])], crs="EPSG:32649")
    >>> aoi_mask(tri, grid=grid).values.astype(int)
    array([[1, 0, 0],
           [1, 1, 0],
           [1, 1, 1]])
    """
    if not isinstance(grid, Grid):
        raise InvalidParameterError(f"grid must be a steppe_geo.Grid, got {type(grid).__name__}")
    inside = _inside_window(_pixel_polygon(aoi_polygon(aoi, crs=grid.crs), grid), 0, 0, grid.shape)
    if not inside.any():
        west, south, east, north = aoi_polygon(aoi, crs=grid.crs).bounds
        raise InvalidParameterError(
            f"aoi covers no pixel centre of the grid ({grid.describe()}); AOI bounds "
            f"{tuple(round(v, 1) for v in (west, south, east, north))} in the grid's CRS, "
            f"{east - west:.4g} x {north - south:.4g} across: use a grid over the AOI with pixels well "
            f"below {min(east - west, north - south):.4g} (a finer resolution)"
        )
    return grid.to_dataarray(inside, name="inside_aoi")
