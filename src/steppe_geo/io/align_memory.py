"""In-memory alignment: a DataArray reprojected and resampled onto a :class:`~steppe_geo.grid.Grid`.

:func:`align` is the in-memory counterpart of reading a file onto a grid
(``read_raster(path, grid=grid)``): the same decoding (declared nodata, ±inf read as nodata,
units), the same kinds and default resampling, the same GDAL warp.
"""

from __future__ import annotations

import xarray as xr

from steppe_geo.errors import InvalidParameterError
from steppe_geo.grid import Grid
from steppe_geo.io.alignment import LayerKind, ResamplingMethod
from steppe_geo.io.raster import read_raster

__all__ = ["align"]


def align(
    da: xr.DataArray,
    grid: Grid,
    *,
    kind: str | LayerKind | None = None,
    resampling: str | ResamplingMethod | None = None,
    name: str | None = None,
) -> xr.DataArray:
    """Reproject and resample an in-memory raster onto ``grid``.

    Parameters
    ----------
    da : xarray.DataArray
        2-D ``(y, x)`` (or a ``time``/``band`` stack) with a CRS and transform (rioxarray
        metadata: ``da.rio.crs``, ``da.rio.transform()``). Its declared nodata
        (``da.rio.nodata``, ``_FillValue``) and ±inf are missing values (±inf with a
        :class:`~steppe_geo.errors.NonFiniteValuesWarning`); its ``units`` attribute is kept.
    grid : Grid
        The target grid: CRS, transform and shape of the result.
    kind : {"continuous", "categorical"}, optional
        How the values behave under resampling (:class:`~steppe_geo.io.LayerKind`). Default as
        for a file: ``da.attrs["kind"]``, else continuous (an integer array with few distinct
        values warns, :class:`~steppe_geo.errors.LayerKindWarning`).
    resampling : str or ResamplingMethod, optional
        GDAL resampling method. Default by kind: continuous → bilinear, or average when
        coarsening by more than 1.5×; categorical → nearest, or mode when coarsening.
    name : str, optional
        Name of the result (default: ``da.name``).

    Returns
    -------
    xarray.DataArray
        On ``grid``: continuous layers float32 with NaN nodata; categorical layers in their
        integer dtype with a nodata value that is not one of their classes. ``attrs`` as
        :func:`~steppe_geo.io.read_raster` sets them (``kind``, ``resampling``,
        ``source_pixel_size``, ``units``).

    Raises
    ------
    InvalidParameterError
        ``da`` is not a DataArray or ``grid`` not a Grid; an unknown ``kind`` or
        ``resampling``; ``kind="categorical"`` for a float array.
    MissingCRSError
        ``da`` has no CRS.
    NoOverlapError
        ``da`` does not overlap ``grid``.

    Examples
    --------
    Four 100 m pixels averaged into one 200 m pixel (continuous, coarsening by 2: ``average``):

    >>> import numpy as np
    >>> import steppe_geo as sg
    >>> fine = sg.Grid.from_bounds((500_000, 4_400_000, 500_200, 4_400_200), crs="EPSG:32649",
    ...                            resolution_m=100)
    >>> coarse = sg.Grid.from_bounds(fine.bounds, crs=fine.crs, resolution_m=200)
    >>> out = sg.align(fine.to_dataarray(np.array([[1.0, 2.0], [3.0, 6.0]])), coarse)
    >>> out.values.tolist(), out.attrs["resampling"]
    ([[3.0]], 'average')
    """
    if not isinstance(da, xr.DataArray):
        raise InvalidParameterError(
            f"da must be an xarray.DataArray, got {type(da).__name__} (read a file onto a grid with "
            "steppe_geo.read_raster(path, grid=grid))"
        )
    if not isinstance(grid, Grid):
        raise InvalidParameterError(
            f"grid must be a steppe_geo.Grid, got {type(grid).__name__} (e.g. Grid.from_dataarray(other))"
        )
    read_onto_grid = read_raster.__wrapped__  # type: ignore[attr-defined]  # without the deprecation warning
    out: xr.DataArray = read_onto_grid(da, grid=grid, kind=kind, resampling=resampling, name=name)
    return out
