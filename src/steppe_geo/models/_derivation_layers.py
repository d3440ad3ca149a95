"""The layers a derivation adapter is given: raster access, time means, results on a layer's grid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from steppe_geo.criteria.vegetation import time_mean
from steppe_geo.errors import (
    InvalidParameterError,
)
from steppe_geo.grid import Grid


def _da(layers: Mapping[str, Any], key: str) -> xr.DataArray:
    v = layers[key]
    if not isinstance(v, xr.DataArray):
        raise InvalidParameterError(f"layer {key!r} must be a raster here, got {type(v).__name__}")
    return v


def _time_mean(da: xr.DataArray) -> xr.DataArray:
    # band by band: numpy's nanmean bit for bit without copies of the whole stack
    return time_mean(da)


def _like(ref: xr.DataArray, values: np.ndarray, name: str, units: str) -> xr.DataArray:
    grid = Grid.from_dataarray(ref)
    return grid.to_dataarray(np.asarray(values, dtype=np.float64), name=name, units=units)


def _float(da: xr.DataArray) -> np.ndarray:
    arr = np.asarray(da.values, dtype=np.float64)
    nodata = da.rio.nodata
    if nodata is not None and not np.isnan(nodata):
        arr = np.where(np.asarray(da.values) == nodata, np.nan, arr)
    return arr


def _score(table: Any, da: xr.DataArray) -> xr.DataArray:
    out: xr.DataArray = table.apply(da)
    return out


def _const(ref: xr.DataArray, value: float) -> xr.DataArray:
    return _like(ref, np.where(np.isnan(_float(ref)), np.nan, float(value)), "constant", "score")

