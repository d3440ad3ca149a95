"""Terrain criteria from a DEM: slope, aspect, hillshade and ruggedness (Horn 1981, Riley 1999).

Every function validates its input, runs a numpy kernel on a float array and re-attaches the
DEM's CRS, transform and coordinates. Kernels read a 3 x 3 neighbourhood, so they run per
window with a halo of :data:`HALO` = 1 pixel and give the same answer as on the whole grid.
Edge pixels (and pixels next to NaN) are NaN, as in ``gdaldem`` without ``-compute_edges``; with
``compute_edges=True`` they get values as ``gdaldem -compute_edges`` computes them (missing neighbours
beyond the array's edge extrapolated linearly, missing neighbours inside replaced by the centre).
Slope, hillshade and ruggedness agree with ``gdaldem`` on interior cells; aspect agrees on square
pixels and, on purpose, not on non-square ones (see :func:`aspect`).
"""

from __future__ import annotations

import enum

import numpy as np
import xarray as xr

from steppe_geo._validation import check_range, parse_choice
from steppe_geo.criteria._common import as_float, check_dataarray, wrap_like
from steppe_geo.errors import InvalidParameterError

__all__ = [
    "HALO",
    "SlopeUnits",
    "TRIMethod",
    "aspect",
    "aspect_kernel",
    "hillshade",
    "hillshade_kernel",
    "ruggedness",
    "ruggedness_kernel",
    "slope",
    "slope_kernel",
]

HALO = 1
"""Halo in pixels that every terrain kernel needs around a window (3 x 3 neighbourhood)."""


class SlopeUnits(enum.Enum):
    """Units of :func:`slope`."""

    DEGREES = "degrees"
    PERCENT = "percent"


class TRIMethod(enum.Enum):
    """Terrain ruggedness index definition."""

    RILEY = "riley"
    WILSON = "wilson"


def _neighbours(z: np.ndarray) -> tuple[np.ndarray, ...]:
    """The nine shifted views a..i of the interior (row-major, a = north-west)."""
    r, c = z.shape
    return tuple(z[i:r - 2 + i, j:c - 2 + j] for i in range(3) for j in range(3))


def _extrapolated_windows(z: np.ndarray) -> list[np.ndarray]:
    """The nine neighbour arrays a..i of every cell, as ``gdaldem -compute_edges`` forms them.

    GDAL 3.6 ``GDALGeneric3x3Processing`` with ``bComputeAtEdges``: a neighbour beyond the edge
    is extrapolated linearly from the two cells inward (``INTERPOL(a, b) = 2a - b``, nodata if
    either is); at the four corners the missing column repeats the centre column. A neighbour
    that is nodata (NaN) is then replaced by the centre value; a NaN centre stays NaN.
    """
    r, c = z.shape
    p = np.full((r + 2, c + 2), np.nan)
    p[1:-1, 1:-1] = z
    p[1:-1, 0] = 2 * z[:, 0] - z[:, 1]
    p[1:-1, -1] = 2 * z[:, -1] - z[:, -2]
    p[0, 1:-1] = 2 * z[0, :] - z[1, :]
    p[-1, 1:-1] = 2 * z[-1, :] - z[-2, :]
    nb = [p[i:i + r, j:j + c].copy() for i in range(3) for j in range(3)]
    # corners: the column beyond the edge is the centre column (GDAL clamps j - 1 / j + 1)
    for row in (0, r - 1):
        for col, side, middle in ((0, (0, 3, 6), (1, 4, 7)), (c - 1, (2, 5, 8), (1, 4, 7))):
            for k_out, k_in in zip(side, middle, strict=True):
                nb[k_out][row, col] = nb[k_in][row, col]
    centre = nb[4]
    for k in (0, 1, 2, 3, 5, 6, 7, 8):
        gap = np.isnan(nb[k])
        nb[k][gap] = centre[gap]
    return nb


def _horn(z: np.ndarray, xres: float, yres: float, *,
          compute_edges: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Horn (1981) gradients: dz/dx towards east and dz/dy towards north.

    NaN on the border and next to NaN cells, or, with ``compute_edges``, values there as
    ``gdaldem -compute_edges`` (:func:`_extrapolated_windows`).
    """
    if compute_edges and z.shape[0] >= 2 and z.shape[1] >= 2:
        a, b, c, d, _, f, g, h, i = _extrapolated_windows(z)
        dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * xres)
        dzdy = ((a + 2 * b + c) - (g + 2 * h + i)) / (8.0 * yres)
        dzdx[np.isnan(z)] = np.nan
        dzdy[np.isnan(z)] = np.nan
        return dzdx, dzdy
    dzdx = np.full(z.shape, np.nan)
    dzdy = np.full(z.shape, np.nan)
    if z.shape[0] >= 3 and z.shape[1] >= 3:
        a, b, c, d, _, f, g, h, i = _neighbours(z)
        dzdx[1:-1, 1:-1] = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * xres)
        dzdy[1:-1, 1:-1] = ((a + 2 * b + c) - (g + 2 * h + i)) / (8.0 * yres)
    nodata = np.isnan(z)  # Horn ignores the centre value, but a NaN cell stays NaN (as gdaldem)
    dzdx[nodata] = np.nan
    dzdy[nodata] = np.nan
    return dzdx, dzdy


def slope_kernel(z: np.ndarray, xres: float, yres: float, *, percent: bool = False,
                 z_factor: float = 1.0, compute_edges: bool = False) -> np.ndarray:
    """Slope of a float DEM array (degrees, or percent = 100 * tan); halo :data:`HALO`."""
    dzdx, dzdy = _horn(z * z_factor, xres, yres, compute_edges=compute_edges)
    grad = np.hypot(dzdx, dzdy)
    out: np.ndarray = 100.0 * grad if percent else np.degrees(np.arctan(grad))
    return out


def aspect_kernel(z: np.ndarray, xres: float, yres: float, *, compute_edges: bool = False) -> np.ndarray:
    """Downslope direction in degrees clockwise from north in [0, 360); NaN where flat.

    The Horn gradients are divided by the pixel size along each axis, so the direction is right
    on non-square pixels too (``gdaldem aspect`` uses the unscaled differences, which is only
    right for square pixels; see :func:`aspect`).
    """
    dzdx, dzdy = _horn(z, xres, yres, compute_edges=compute_edges)
    with np.errstate(invalid="ignore"):
        az = np.degrees(np.arctan2(-dzdx, -dzdy)) % 360.0
    az[(dzdx == 0) & (dzdy == 0)] = np.nan
    out: np.ndarray = az
    return out


def hillshade_kernel(z: np.ndarray, xres: float, yres: float, *, azimuth: float = 315.0,
                     altitude: float = 45.0, z_factor: float = 1.0,
                     compute_edges: bool = False) -> np.ndarray:
    """Hillshade 0..255 (``1 + 254 * cos(incidence)``, 1 where in shadow), as ``gdaldem``."""
    dzdx, dzdy = _horn(z * z_factor, xres, yres, compute_edges=compute_edges)
    slp = np.arctan(np.hypot(dzdx, dzdy))
    asp = np.arctan2(-dzdx, -dzdy)  # azimuth of the downslope direction, radians
    alt, az = np.radians(altitude), np.radians(azimuth)
    cang = np.sin(alt) * np.cos(slp) + np.cos(alt) * np.sin(slp) * np.cos(az - asp)
    out: np.ndarray = 1.0 + 254.0 * np.clip(cang, 0.0, None)
    return out


def ruggedness_kernel(z: np.ndarray, *, method: str = "riley") -> np.ndarray:
    """Terrain ruggedness index (units of the DEM); halo :data:`HALO`.

    ``riley``: ``sqrt(sum((z_i - z_0)**2))`` over the 8 neighbours (Riley et al. 1999,
    ``gdaldem TRI -alg Riley``); ``wilson``: mean absolute difference (Wilson et al. 2007,
    ``gdaldem TRI -alg Wilson``).
    """
    out = np.full(z.shape, np.nan)
    if z.shape[0] < 3 or z.shape[1] < 3:
        return out
    nb = _neighbours(z)
    centre = nb[4]
    others = [n for k, n in enumerate(nb) if k != 4]
    if method == "riley":
        out[1:-1, 1:-1] = np.sqrt(sum((n - centre) ** 2 for n in others))
    else:
        out[1:-1, 1:-1] = sum(np.abs(n - centre) for n in others) / 8.0
    return out


def _dem(dem: xr.DataArray) -> tuple[np.ndarray, float, float]:
    grid = check_dataarray(dem, param="dem", projected=True)
    xres, yres = grid.resolution
    return as_float(dem), xres, yres


def _check_2d(dem: xr.DataArray) -> None:
    if isinstance(dem, xr.DataArray) and dem.ndim != 2:
        raise InvalidParameterError(f"dem must be 2-D ('y', 'x'), got dims {dem.dims}")


def slope(dem: xr.DataArray, *, units: str | SlopeUnits = "degrees", z_factor: float = 1.0,
          compute_edges: bool = False) -> xr.DataArray:
    """Slope of a DEM by Horn's (1981) method, as ``gdaldem slope``.

    Parameters
    ----------
    dem : xarray.DataArray
        Elevation in metres on a projected grid in metres, dims ("y", "x").
    units : {"degrees", "percent"}
        Degrees (0-90) or percent rise (100 * tan(slope)).
    z_factor : float, default 1
        Multiplier for elevations in other units than the horizontal ones.
    compute_edges : bool, default False
        As ``gdaldem -compute_edges``: values on the outer ring (neighbours beyond the edge
        extrapolated linearly) and next to NaN elevations (a NaN neighbour takes the centre's
        value). False: NaN there, as ``gdaldem`` without the option.

    Returns
    -------
    xarray.DataArray
        ``slope`` with ``attrs["units"]`` "degree" or "percent"; NaN where the elevation is NaN,
        and (without ``compute_edges``) on the outer ring and next to NaN elevations.

    Raises
    ------
    GeographicCRSError
        If the DEM is in a geographic CRS (degrees are not metres).
    InvalidParameterError
        If ``units`` is unknown.

    Examples
    --------
    A plane rising 1 m per 10 m pixel towards the east: ``atan(0.1) = 5.711°``, 10 %:

    >>> import numpy as np, steppe_geo as sg
    >>> grid = sg.Grid(crs="EPSG:32649", transform=(10, 0, 0, 0, -10, 30), shape=(3, 3))
    >>> dem = grid.to_dataarray(np.tile([0.0, 1.0, 2.0], (3, 1)), name="dem", units="m")
    >>> round(float(slope(dem).values[1, 1]), 3)
    5.711
    >>> round(float(slope(dem, units="percent").values[1, 1]), 6)
    10.0
    >>> bool(np.isnan(slope(dem).values[0, 0]))  # the outer ring has no 3 x 3 neighbourhood
    True
    """
    _check_2d(dem)
    u = parse_choice(SlopeUnits, units, param="units")
    z, xres, yres = _dem(dem)
    out = slope_kernel(z, xres, yres, percent=u is SlopeUnits.PERCENT, z_factor=z_factor,
                       compute_edges=compute_edges)
    return wrap_like(dem, out, name="slope", units="degree" if u is SlopeUnits.DEGREES else "percent",
                     attrs={"method": "Horn (1981)"})


def aspect(dem: xr.DataArray, *, compute_edges: bool = False) -> xr.DataArray:
    """Aspect (downslope direction) by Horn's method, degrees clockwise from north, NaN where flat.

    Parameters
    ----------
    dem : xarray.DataArray
        Elevation on a projected grid in metres.
    compute_edges : bool, default False
        Values on the outer ring and next to NaN elevations, as :func:`slope`.

    Returns
    -------
    xarray.DataArray
        ``aspect`` in [0, 360) degrees; 0 = north-facing, 90 = east-facing.

    Raises
    ------
    GeographicCRSError
        If the DEM is in a geographic CRS.

    Notes
    -----
    The gradients are taken per metre along each axis (``∂z/∂x`` over ``8 Δx``, ``∂z/∂y`` over
    ``8 Δy``), so on non-square pixels the aspect is the true downslope direction. This differs
    on purpose from ``gdaldem aspect``, which uses the unscaled differences: on 20 m × 50 m pixels
    a plane rising 0.1 m/m towards both east and north faces south-west (225°), while ``gdaldem``
    (3.6.2) reports 201.8° = ``atan2(-2, -5)`` (2 m per column, 5 m per row). On square pixels
    both agree (tested within 0.01°).

    Examples
    --------
    A plane rising towards the east faces west (270°); a flat DEM has no aspect:

    >>> import numpy as np, steppe_geo as sg
    >>> grid = sg.Grid(crs="EPSG:32649", transform=(10, 0, 0, 0, -10, 30), shape=(3, 3))
    >>> east_up = grid.to_dataarray(np.tile([0.0, 1.0, 2.0], (3, 1)), name="dem", units="m")
    >>> float(aspect(east_up).values[1, 1])
    270.0
    >>> bool(np.isnan(aspect(grid.to_dataarray(np.ones((3, 3)), name="dem")).values[1, 1]))
    True
    """
    _check_2d(dem)
    z, xres, yres = _dem(dem)
    out = aspect_kernel(z, xres, yres, compute_edges=compute_edges)
    return wrap_like(dem, out, name="aspect", units="degree",
                     attrs={"method": "Horn (1981)", "convention": "clockwise from north; NaN = flat"})


def hillshade(dem: xr.DataArray, *, azimuth: float = 315.0, altitude: float = 45.0,
              z_factor: float = 1.0, compute_edges: bool = False) -> xr.DataArray:
    """Shaded relief as ``gdaldem hillshade`` (Horn gradients), values 1..255.

    Parameters
    ----------
    dem : xarray.DataArray
        Elevation on a projected grid in metres.
    azimuth : float, default 315
        Direction of the light source, degrees clockwise from north, in [0, 360].
    altitude : float, default 45
        Sun elevation above the horizon in degrees, in [0, 90].
    z_factor : float, default 1
        Vertical exaggeration.
    compute_edges : bool, default False
        Values on the outer ring and next to NaN elevations, as :func:`slope`.

    Returns
    -------
    xarray.DataArray
        ``hillshade`` as float ``1 + 254 * cos(incidence angle)`` (1 in shadow; ``gdaldem``
        rounds the same quantity to a byte).

    Raises
    ------
    GeographicCRSError
        If the DEM is in a geographic CRS.
    InvalidParameterError
        If azimuth or altitude is out of range.
    """
    _check_2d(dem)
    check_range(azimuth, param="azimuth", low=0.0, high=360.0)
    check_range(altitude, param="altitude", low=0.0, high=90.0)
    z, xres, yres = _dem(dem)
    out = hillshade_kernel(z, xres, yres, azimuth=azimuth, altitude=altitude, z_factor=z_factor,
                           compute_edges=compute_edges)
    return wrap_like(dem, out, name="hillshade", units="1",
                     attrs={"azimuth": azimuth, "altitude": altitude})


def ruggedness(dem: xr.DataArray, *, method: str | TRIMethod = "riley") -> xr.DataArray:
    """Terrain ruggedness index (TRI) of a DEM.

    Parameters
    ----------
    dem : xarray.DataArray
        Elevation in metres, projected grid.
    method : {"riley", "wilson"}
        ``riley`` (default): ``sqrt(sum((z_i - z_0)^2))`` over the 8 neighbours (Riley, DeGloria
        and Elliot 1999; ``gdaldem TRI -alg Riley``). ``wilson``: mean absolute difference to
        the 8 neighbours (Wilson et al. 2007; ``gdaldem TRI -alg Wilson``). ``gdaldem TRI``
        without ``-alg`` computes Riley's index (checked with GDAL 3.6.2: identical output to
        ``-alg Riley``), as does the default here.

    Returns
    -------
    xarray.DataArray
        ``ruggedness`` in metres.

    Raises
    ------
    GeographicCRSError
        If the DEM is in a geographic CRS.
    InvalidParameterError
        If ``method`` is unknown.
    """
    _check_2d(dem)
    m = parse_choice(TRIMethod, method, param="method")
    z, _, _ = _dem(dem)
    return wrap_like(dem, ruggedness_kernel(z, method=m.value), name="ruggedness", units="m",
                     attrs={"method": f"TRI ({m.value})"})
