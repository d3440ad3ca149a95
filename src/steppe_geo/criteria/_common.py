"""Shared plumbing for criteria layers: check inputs, run a numpy kernel, re-attach metadata."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from steppe_geo._validation import check_projected
from steppe_geo.errors import InvalidParameterError
from steppe_geo.grid import Grid

__all__ = ["as_float", "check_dataarray", "wrap_like"]


def check_dataarray(da: object, *, param: str, projected: bool = False) -> Grid:
    """Check that ``da`` is a georeferenced 2-D/3-D DataArray; return its grid."""
    if not isinstance(da, xr.DataArray):
        raise InvalidParameterError(f"{param} must be an xarray.DataArray, got {type(da).__name__}")
    if da.dims[-2:] != ("y", "x"):
        raise InvalidParameterError(f"{param} must have dims (..., 'y', 'x'), got {da.dims}")
    grid = Grid.from_dataarray(da)
    if projected:
        check_projected(grid.crs, what=f"{param}")
    return grid


def as_float(da: xr.DataArray) -> np.ndarray:
    """Float64 copy of the values with the nodata value (if any) turned into NaN."""
    arr = np.asarray(da.values, dtype=np.float64).copy()
    nodata = da.rio.nodata
    if nodata is not None and not np.isnan(nodata):
        arr[np.asarray(da.values) == nodata] = np.nan
    return arr


def wrap_like(ref: xr.DataArray, data: np.ndarray, *, name: str, units: str,
              attrs: dict[str, Any] | None = None) -> xr.DataArray:
    """DataArray with ``ref``'s coords, CRS and transform, a new name, units and NaN nodata."""
    out = xr.DataArray(data, dims=ref.dims[-data.ndim:],
                       coords={d: ref.coords[d] for d in ref.dims[-data.ndim:] if d in ref.coords},
                       name=name, attrs=dict(attrs or {}))
    out.attrs["units"] = units
    grid = Grid.from_dataarray(ref)
    out = out.rio.write_crs(grid.crs).rio.write_transform(grid.transform)
    if np.issubdtype(out.dtype, np.floating):
        out = out.rio.write_nodata(np.nan, encoded=False)
    result: xr.DataArray = out
    return result
