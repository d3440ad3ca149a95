"""The analysis grid: CRS + affine transform + shape, and the windows used for streamed work."""

from __future__ import annotations

import math
import operator
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyproj
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from affine import Affine
from rasterio.windows import Window

from steppe_geo._typing import Bounds, CRSLike
from steppe_geo._validation import MAX_PIXELS, check_pixel_count, check_positive, check_projected, to_crs
from steppe_geo.errors import GeographicCRSError, GridMismatchError, InvalidParameterError, MissingCRSError
from steppe_geo.georef import (
    M_PER_DEGREE as M_PER_DEGREE,  # importable from here as before the split
)
from steppe_geo.georef import (
    _aoi_geometry,
    _crs_label,
    _crs_name,
    _geographic_resolution_message,
    dataarray_transform,
    laea_crs,
)
from steppe_geo.grid_windows import GridWindow

if TYPE_CHECKING:
    import geopandas as gpd
    import shapely

__all__ = ["MAX_GRID_PIXELS", "Grid", "GridWindow", "check_same_grid"]

MAX_GRID_PIXELS = MAX_PIXELS
"""Hard cap on the pixels of a grid built from bounds (and of a raster read): 10 billion, refused
with :class:`~steppe_geo.errors.SizeLimitError` before anything is allocated."""


_GRID_CACHE_SIZE = 256
_GRIDS_OF_GEOREF: dict[tuple[object, ...], Grid] = {}
"""Grids already built by :meth:`Grid.from_dataarray`, by :func:`_georef_key` (oldest dropped first)."""


def _georef_key(da: xr.DataArray) -> tuple[object, ...] | None:
    """Everything rioxarray derives a DataArray's CRS, transform and shape from, as a hashable key.

    ``(y, x)`` sizes, the first and last ``x``/``y`` coordinates (rioxarray's recomputed transform
    uses only these and the sizes), and the grid-mapping variable's ``GeoTransform`` and WKT.
    Two DataArrays with equal keys get the same :class:`Grid` from :meth:`Grid.from_dataarray`,
    which can therefore reuse it instead of parsing the WKT and re-deriving the transform
    (about 10 ms a call, paid once per window and layer by the windowed stages). None (no
    caching) for anything but plain ``(…, y, x)`` arrays whose CRS is stored as WKT in the
    grid-mapping variable, as rioxarray writes it.
    """
    if da.ndim < 2 or da.dims[-2:] != ("y", "x") or "x" not in da.indexes or "y" not in da.indexes:
        return None
    name = da.encoding.get("grid_mapping", da.attrs.get("grid_mapping", "spatial_ref"))
    if not isinstance(name, str) or name not in da.coords:
        return None
    attrs = da.coords[name].attrs
    wkt = attrs.get("spatial_ref", attrs.get("crs_wkt"))
    geotransform = attrs.get("GeoTransform")
    if not isinstance(wkt, str) or not isinstance(geotransform, str):
        return None
    x, y = da.indexes["x"], da.indexes["y"]
    return (da.shape[-2:], float(x[0]), float(x[-1]), float(y[0]), float(y[-1]), geotransform, wkt)


@dataclass(frozen=True)
class Grid:
    """A raster grid: coordinate reference system, affine transform and shape.

    Parameters
    ----------
    crs : CRS-like
        Coordinate reference system of the grid. Distances and areas need a projected CRS
        in metres (see :meth:`for_area`); a geographic grid is allowed only to describe
        inputs as they arrive.
    transform : affine.Affine
        Maps ``(col, row)`` pixel corners to ``(x, y)``. North-up grids only (no rotation).
    shape : (rows, cols) tuple of int
        Number of rows and columns, both > 0.

    Examples
    --------
    >>> g = Grid.from_bounds((0, 0, 1000, 500), crs="EPSG:32649", resolution_m=100)
    >>> g.shape
    (5, 10)
    >>> g.resolution
    (100.0, 100.0)
    """

    crs: pyproj.CRS
    transform: Affine
    shape: tuple[int, int]
    _key: tuple[Any, ...] = field(init=False, repr=False, compare=False)

    def __init__(self, crs: CRSLike, transform: Affine | tuple[float, ...], shape: tuple[int, int]) -> None:
        crs = to_crs(crs)
        if not isinstance(transform, Affine):
            transform = Affine(*tuple(transform)[:6])
        if transform.b != 0 or transform.d != 0:
            raise InvalidParameterError(f"transform: rotated grids are not supported, got {transform!r}")
        if transform.a <= 0 or transform.e >= 0:
            raise InvalidParameterError(
                "transform: expected a north-up grid (positive x resolution, negative y "
                f"resolution), got x resolution {transform.a} and y resolution {transform.e}"
            )
        try:
            rows, cols = (int(v) for v in shape)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"shape must be (rows, cols), got {shape!r}") from None
        if rows <= 0 or cols <= 0:
            raise InvalidParameterError(f"shape must have rows > 0 and cols > 0, got {shape!r}")
        object.__setattr__(self, "crs", crs)
        object.__setattr__(self, "transform", transform)
        object.__setattr__(self, "shape", (rows, cols))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_bounds(
        cls, bounds: Bounds, *, crs: CRSLike, resolution_m: float | tuple[float, float] | None = None,
        resolution_deg: float | tuple[float, float] | None = None,
    ) -> Grid:
        """Grid covering ``bounds`` (west, south, east, north), snapped outward to the resolution.

        Parameters
        ----------
        bounds : (west, south, east, north)
            Extent in the units of ``crs``.
        crs : CRS-like
            Coordinate reference system.
        resolution_m : float or (x_res, y_res)
            Pixel size in the units of a projected ``crs`` (metres for most); must be > 0.
        resolution_deg : float or (x_res, y_res)
            Pixel size in degrees, for a geographic ``crs`` (EPSG:4326, ...); must be > 0. Give
            exactly one of ``resolution_m`` and ``resolution_deg``.

        Raises
        ------
        GeographicCRSError
            ``resolution_m`` with a geographic ``crs``: its units are degrees, so 100 would make
            100° pixels. The message gives the UTM zone of the bounds' centre (from pyproj's
            ``query_utm_crs_info``) and the size in degrees to use as ``resolution_deg``.
        InvalidParameterError
            If the resolution is not > 0, both or neither resolution is given, ``resolution_deg``
            comes with a projected ``crs``, or the bounds are empty.
        SizeLimitError
            If the grid would hold more than :data:`MAX_GRID_PIXELS` pixels (the message gives
            the coarsest resolution that fits).

        Examples
        --------
        >>> Grid.from_bounds((108.9, 40.0, 109.7, 40.4), crs="EPSG:4326", resolution_deg=0.01).shape
        (40, 80)
        """
        crs_ = to_crs(crs)
        if (resolution_m is None) == (resolution_deg is None):
            raise InvalidParameterError(
                "resolution_m / resolution_deg: give exactly one (resolution_m for a projected CRS, "
                f"resolution_deg for a geographic one), got resolution_m={resolution_m!r}, "
                f"resolution_deg={resolution_deg!r}"
            )
        if resolution_m is not None and crs_.is_geographic:
            raise GeographicCRSError(_geographic_resolution_message(bounds, crs_, resolution_m))
        if resolution_deg is not None and not crs_.is_geographic:
            raise InvalidParameterError(
                f"resolution_deg: the CRS {_crs_name(crs_)} is projected (units: "
                f"{crs_.axis_info[0].unit_name}); give its pixel size in those units as resolution_m, not "
                f"resolution_deg={resolution_deg!r}"
            )
        if resolution_m is not None:
            xres, yres = _resolution_pair(resolution_m)
        else:
            assert resolution_deg is not None  # exactly one of the two is given (checked above)
            xres, yres = _resolution_pair(resolution_deg, param="resolution_deg")
        west, south, east, north = (float(v) for v in bounds)
        if not (east > west and north > south):
            raise InvalidParameterError(
                f"bounds must be (west, south, east, north) with east > west and north > south, "
                f"got {bounds!r}"
            )
        west = math.floor(west / xres) * xres
        north = math.ceil(north / yres) * yres
        cols = max(1, math.ceil(round((east - west) / xres, 9)))
        rows = max(1, math.ceil(round((north - south) / yres, 9)))
        _check_grid_size(rows, cols, (xres, yres), (east - west) * (north - south))
        return cls(crs_, Affine(xres, 0.0, west, 0.0, -yres, north), (rows, cols))

    @classmethod
    def for_area(
        cls,
        aoi: gpd.GeoDataFrame | gpd.GeoSeries | tuple[shapely.Geometry | Bounds, CRSLike],
        *,
        resolution_m: float,
        margin_m: float = 0.0,
        projection: Literal["equal-area", "utm"] = "equal-area",
    ) -> Grid:
        """Grid in a local metre-based CRS suited to the area of interest.

        ``projection="equal-area"`` (default) uses a Lambert azimuthal equal-area projection
        on WGS 84 centred on the AOI (centre rounded to 0.01°), which preserves areas exactly
        and keeps distance errors below 0.1 % within ~250 km of the centre; its CRS is named
        after the centre (``"steppe_geo LAEA 40.20N 109.30E"``) so GIS software does not show
        "unknown". ``"utm"`` uses the WGS 84 UTM zone of the AOI centre. Nothing is tied to a
        region (no Europe-only default).

        Parameters
        ----------
        aoi : GeoDataFrame, GeoSeries, or (shapely geometry or bounds, crs) tuple
            Area of interest, in any CRS.
        resolution_m : float
            Pixel size in metres (> 0).
        margin_m : float, default 0
            Extra margin around the AOI in metres (>= 0), e.g. the largest setback.
        projection : {"equal-area", "utm"}
            Kind of local CRS.

        Returns
        -------
        Grid
            Covering the AOI's bounds (plus ``margin_m``) in the local CRS, snapped outward
            to multiples of ``resolution_m``.

        Raises
        ------
        InvalidParameterError
            If ``resolution_m <= 0``, ``margin_m < 0`` or ``projection`` is unknown.
        SizeLimitError
            If the grid would hold more than :data:`MAX_GRID_PIXELS` pixels.
        MissingCRSError
            If the AOI has no CRS.
        EmptyLayerError
            If the AOI has no features.

        Examples
        --------
        >>> import steppe_geo as sg
        >>> aoi = sg.read_vector(sg.datasets.sample_paths()["aoi"])  # 108.9-109.7 E, 40.0-40.4 N
        >>> grid = sg.Grid.for_area(aoi, resolution_m=100)
        >>> grid.crs.name, grid.shape, grid.resolution_m
        ('steppe_geo LAEA 40.20N 109.30E', (446, 684), 100.0)
        >>> sg.Grid.for_area(aoi, resolution_m=250, projection="utm").crs.to_epsg()
        32649
        """
        check_positive(resolution_m, param="resolution_m")
        if not margin_m >= 0:
            raise InvalidParameterError(f"margin_m must be >= 0 metres, got {margin_m!r}")
        geom, src_crs = _aoi_geometry(aoi)
        to_ll = pyproj.Transformer.from_crs(src_crs, "EPSG:4326", always_xy=True)
        x0, y0, x1, y1 = (float(v) for v in geom.bounds)
        w, s, e, n = to_ll.transform_bounds(x0, y0, x1, y1, densify_pts=21)
        lon0, lat0 = round((w + e) / 2, 2), round((s + n) / 2, 2)
        if projection == "equal-area":
            crs = laea_crs(lat0, lon0)
        elif projection == "utm":
            zone = int((lon0 + 180) // 6) + 1
            crs = pyproj.CRS.from_epsg((32600 if lat0 >= 0 else 32700) + zone)
        else:
            raise InvalidParameterError(
                f"projection: unknown value {projection!r}; valid values are 'equal-area', 'utm'"
            )
        to_local = pyproj.Transformer.from_crs(src_crs, crs, always_xy=True)
        west, south, east, north = to_local.transform_bounds(x0, y0, x1, y1, densify_pts=21)
        bounds = (west - margin_m, south - margin_m, east + margin_m, north + margin_m)
        return cls.from_bounds(bounds, crs=crs, resolution_m=resolution_m)

    @classmethod
    def from_dataarray(cls, da: xr.DataArray) -> Grid:
        """Grid of a rioxarray-georeferenced DataArray (uses ``.rio.crs`` and ``.rio.transform()``).

        Parameters
        ----------
        da : xarray.DataArray
            With ``x``/``y`` coordinates and a rioxarray CRS.

        Returns
        -------
        Grid
            The stored GeoTransform is used when it agrees with the coordinates (exact),
            otherwise the transform recomputed from them.

        Raises
        ------
        MissingCRSError
            If ``da`` has no CRS.
        """
        key = _georef_key(da)
        if key is not None and key in _GRIDS_OF_GEOREF:
            return _GRIDS_OF_GEOREF[key]
        crs = da.rio.crs
        if crs is None:
            raise MissingCRSError(
                f"DataArray {da.name!r} has no CRS; set one with da.rio.write_crs(...)"
            )
        grid = cls(pyproj.CRS.from_user_input(crs.to_wkt()), dataarray_transform(da),
                   (da.rio.height, da.rio.width))
        if key is not None:
            if len(_GRIDS_OF_GEOREF) >= _GRID_CACHE_SIZE:
                _GRIDS_OF_GEOREF.pop(next(iter(_GRIDS_OF_GEOREF)), None)  # oldest first
            _GRIDS_OF_GEOREF[key] = grid
        return grid

    def __repr__(self) -> str:
        t = self.transform
        return (f"Grid(crs={_crs_label(self.crs)!r}, transform=Affine({t.a!r}, 0.0, {t.c!r}, "
                f"0.0, {t.e!r}, {t.f!r}), shape={self.shape!r})")

    # ------------------------------------------------------------------ properties
    @property
    def rows(self) -> int:
        """Number of rows."""
        return self.shape[0]

    @property
    def cols(self) -> int:
        """Number of columns."""
        return self.shape[1]

    @property
    def resolution(self) -> tuple[float, float]:
        """Pixel size ``(x_res, y_res)``, both positive, in CRS units."""
        return (float(self.transform.a), float(-self.transform.e))

    @property
    def resolution_m(self) -> float:
        """Square pixel size in metres; raises for geographic or non-square grids."""
        check_projected(self.crs, what="Grid.resolution_m")
        xres, yres = self.resolution
        if not math.isclose(xres, yres, rel_tol=1e-9):
            raise InvalidParameterError(f"grid pixels are not square: {xres} x {yres}")
        return xres

    @property
    def bounds(self) -> Bounds:
        """``(west, south, east, north)`` in CRS units."""
        west, north = self.transform.c, self.transform.f
        east = west + self.cols * self.transform.a
        south = north + self.rows * self.transform.e
        return (float(west), float(south), float(east), float(north))

    @property
    def pixel_area_m2(self) -> float:
        """Area of one pixel in m² (projected grids only)."""
        check_projected(self.crs, what="Grid.pixel_area_m2")
        xres, yres = self.resolution
        return xres * yres

    @property
    def is_projected(self) -> bool:
        """True when the CRS is projected."""
        return bool(self.crs.is_projected)

    def x_coords(self) -> np.ndarray:
        """X coordinates of pixel centres.

        Returns
        -------
        (cols,) ndarray of float
            Increasing, in CRS units.
        """
        return self.transform.c + (np.arange(self.cols) + 0.5) * self.transform.a

    def y_coords(self) -> np.ndarray:
        """Y coordinates of pixel centres.

        Returns
        -------
        (rows,) ndarray of float
            Decreasing (north-up), in CRS units.
        """
        return self.transform.f + (np.arange(self.rows) + 0.5) * self.transform.e

    # ------------------------------------------------------------------ comparison
    def same_as(self, other: Grid, *, rel_tol: float = 1e-9) -> bool:
        """True when CRS, shape and transform agree (transform to ``rel_tol`` of a pixel).

        Parameters
        ----------
        other : Grid
            The grid to compare with.
        rel_tol : float, default 1e-9
            Tolerance on each transform coefficient, as a fraction of this grid's larger
            pixel size (absorbs float rounding of coordinates).

        Returns
        -------
        bool
            CRSs are compared as pyproj does (equivalent definitions are equal, whatever
            their names).

        Examples
        --------
        >>> a = Grid.from_bounds((0, 0, 1000, 500), crs="EPSG:32649", resolution_m=100)
        >>> b = Grid.from_bounds((0, 0, 1000, 500), crs="EPSG:32649", resolution_m=100.0000000001)
        >>> a.same_as(b), a.same_as(Grid.from_bounds((0, 0, 1000, 500), crs="EPSG:32650",
        ...                                          resolution_m=100))
        (True, False)
        """
        if self.shape != other.shape or self.crs != other.crs:
            return False
        tol = rel_tol * max(self.resolution)
        return all(abs(a - b) <= tol for a, b in zip(self.transform[:6], other.transform[:6],
                                                       strict=True))

    def describe(self) -> str:
        """One-line human description, used in error messages.

        Returns
        -------
        str
            CRS, shape, resolution and bounds.

        Examples
        --------
        >>> Grid.from_bounds((0, 0, 1000, 500), crs="EPSG:32649", resolution_m=100).describe()
        'CRS EPSG:32649, shape (5, 10) (rows, cols), resolution 100 x 100, bounds (0.0, 0.0, 1000.0, 500.0)'
        """
        crs = _crs_label(self.crs)
        xres, yres = self.resolution
        return (f"CRS {crs}, shape {self.shape} (rows, cols), resolution {xres:g} x {yres:g}, "
                f"bounds {tuple(round(b, 6) for b in self.bounds)}")

    # ------------------------------------------------------------------ windows & data
    def window_grid(self, window: Window) -> Grid:
        """Grid of a rasterio ``Window`` of this grid.

        Parameters
        ----------
        window : rasterio.windows.Window
            Pixel window (column and row offsets, width and height).

        Returns
        -------
        Grid
            Same CRS and resolution, origin moved to the window's corner.
        """
        t = self.transform @ Affine.translation(window.col_off, window.row_off)
        return Grid(self.crs, t, (int(window.height), int(window.width)))

    def windows(self, size: int | tuple[int, int], *, halo: int = 0) -> Iterator[GridWindow]:
        """Tiles covering the grid in row-major order, each with a halo clipped to the grid.

        Parameters
        ----------
        size : int or (rows, cols) tuple of int
            Core tile size in pixels, > 0 (Python or numpy integers).
        halo : int, default 0
            Extra pixels read on every side, for neighbourhood operations (>= 0).

        Returns
        -------
        iterator of GridWindow
            Arguments are checked when ``windows`` is called, before the first tile.

        Raises
        ------
        InvalidParameterError
            ``size`` is not a positive integer or a pair of them, or ``halo`` is not an
            integer >= 0.

        Examples
        --------
        >>> g = Grid.from_bounds((0, 0, 1000, 500), crs="EPSG:32649", resolution_m=100)
        >>> [(w.core.row_off, w.core.col_off, w.core.height, w.core.width) for w in g.windows(4)]
        [(0, 0, 4, 4), (0, 4, 4, 4), (0, 8, 4, 2), (4, 0, 1, 4), (4, 4, 1, 4), (4, 8, 1, 2)]
        >>> w = next(iter(g.windows((2, 3), halo=1)))
        >>> w.padded.height, w.padded.width, w.inner
        (3, 4, (slice(0, 2, None), slice(0, 3, None)))
        """
        pair = tuple(size) if isinstance(size, tuple | list | np.ndarray) else (size, size)
        if len(pair) != 2:
            raise InvalidParameterError(f"size must be an integer or (rows, cols), got {size!r}")
        trows, tcols = (_check_int(v, param="size", low=1, shown=size) for v in pair)
        halo = _check_int(halo, param="halo", low=0, shown=halo)
        return self._windows(trows, tcols, halo)

    def _windows(self, trows: int, tcols: int, halo: int) -> Iterator[GridWindow]:
        for r0 in range(0, self.rows, trows):
            for c0 in range(0, self.cols, tcols):
                h, w = min(trows, self.rows - r0), min(tcols, self.cols - c0)
                pr0, pc0 = max(0, r0 - halo), max(0, c0 - halo)
                pr1, pc1 = min(self.rows, r0 + h + halo), min(self.cols, c0 + w + halo)
                yield GridWindow(
                    grid=self,
                    core=Window(c0, r0, w, h),
                    padded=Window(pc0, pr0, pc1 - pc0, pr1 - pr0),
                )

    def to_dataarray(
        self,
        data: np.ndarray,
        *,
        name: str | None = None,
        units: str | None = None,
        nodata: float | int | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> xr.DataArray:
        """Wrap a ``(rows, cols)`` or ``(n, rows, cols)`` array as a georeferenced DataArray.

        The leading dimension of a 3-D array is called ``band``; rename it (e.g. to ``time``)
        as needed. Float arrays use NaN as nodata; give ``nodata`` for integer arrays.

        The DataArray wraps ``data`` without copying it (as ``xarray.DataArray`` does): copy
        first if you will change the array afterwards.

        Parameters
        ----------
        data : (rows, cols) or (n, rows, cols) ndarray
            Values on this grid.
        name : str, optional
            Variable name.
        units : str, optional
            Stored as ``attrs["units"]``.
        nodata : number, optional
            Declared nodata (default NaN for float arrays, none for integers).
        attrs : dict, optional
            Further attributes.

        Returns
        -------
        xarray.DataArray
            With ``x``/``y`` coordinates of pixel centres and rioxarray CRS and transform.

        Raises
        ------
        InvalidParameterError
            If the array's last two dimensions are not the grid's shape.
        """
        data = np.asarray(data)
        if data.shape[-2:] != self.shape:
            raise InvalidParameterError(
                f"data shape {data.shape} does not match grid shape {self.shape}"
            )
        dims: tuple[str, ...] = ("y", "x") if data.ndim == 2 else ("band", "y", "x")
        coords: dict[str, Any] = {"y": self.y_coords(), "x": self.x_coords()}
        da = xr.DataArray(data, dims=dims, coords=coords, name=name, attrs=dict(attrs or {}))
        if units is not None:
            da.attrs["units"] = units
        # in place: rioxarray's writers otherwise deep-copy the array each time (3 copies here)
        da.rio.write_crs(self.crs, inplace=True)
        da.rio.write_transform(self.transform, inplace=True)
        if nodata is not None:
            da.rio.write_nodata(nodata, encoded=False, inplace=True)
        elif np.issubdtype(data.dtype, np.floating):
            da.rio.write_nodata(np.nan, encoded=False, inplace=True)
        return da


def _check_int(value: Any, *, param: str, low: int, shown: Any) -> int:
    """``value`` as a Python int >= ``low`` (numpy integers accepted, bools and floats not)."""
    valid = "an integer > 0" if low == 1 else f"an integer >= {low}"
    if isinstance(value, bool | np.bool_):
        raise InvalidParameterError(f"{param} must be {valid}, got {shown!r}")
    try:
        v = operator.index(value)
    except TypeError:
        raise InvalidParameterError(
            f"{param} must be {valid} (pixels), got {shown!r} of type {type(value).__name__}"
        ) from None
    if v < low:
        raise InvalidParameterError(f"{param} must be {valid}, got {shown!r}")
    return int(v)


def _resolution_pair(resolution: float | tuple[float, float], param: str = "resolution_m"
                     ) -> tuple[float, float]:
    if isinstance(resolution, tuple | list):
        xres = check_positive(resolution[0], param=param)
        yres = check_positive(resolution[1], param=param)
        return xres, yres
    r = check_positive(resolution, param=param)
    return r, r


def _check_grid_size(rows: int, cols: int, resolution: tuple[float, float], area: float) -> None:
    """Refuse a grid of more than :data:`MAX_GRID_PIXELS` pixels, naming the finest resolution that fits."""
    finest = math.sqrt(area / MAX_GRID_PIXELS)
    check_pixel_count(rows, cols, what=f"grid at resolution {resolution[0]:g} x {resolution[1]:g}",
                      hint=f"choose a resolution of at least {finest * 1.01:.3g} (CRS units) for these "
                           "bounds")


def check_same_grid(layers: Mapping[str, Any]) -> None:
    """Raise GridMismatchError unless every DataArray in ``layers`` shares CRS, transform, shape.

    The message names both layers and shows both grids.
    """
    items = list(layers.items())
    if len(items) < 2:
        return
    name0, da0 = items[0]
    g0 = Grid.from_dataarray(da0)
    for name, da in items[1:]:
        g = Grid.from_dataarray(da)
        if not g.same_as(g0):
            raise GridMismatchError(
                f"layers {name0!r} and {name!r} are on different grids:\n"
                f"  {name0}: {g0.describe()}\n  {name}: {g.describe()}\n"
                "align them first with steppe_geo.align(da, grid)"
            )
