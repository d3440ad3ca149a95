"""Derivation adapters of sand drift: Fryberger drift potential and Lancaster's dune mobility index.

Each is ``f(layers, inputs, grid, **parameters) -> DataArray``, registered by name in
:data:`steppe_geo.models.derivations.DERIVATIONS`. Their inputs are wind time series on the grid,
``(band, y, x)`` or ``(time, y, x)`` stacks (``band="all"`` rasters, or
:func:`steppe_geo.io.read_raster_stack` stacks); the duration of each record comes from the ``time``
coordinate, else ``record_hours``; the bands of a stack without time stamps weigh the same (t, the share of
the time, does not depend on their common length). See ``docs/drift.md``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from steppe_geo._validation import parse_choice
from steppe_geo.criteria.drift import (
    DEFAULT_ROUGHNESS_M,
    MOBILITY_SPEED_M_S,
    THRESHOLD_KN,
    drift_potential_grid,
    dune_mobility_index,
    speed_at_10m,
    windy_share,
)
from steppe_geo.errors import InvalidParameterError
from steppe_geo.grid import Grid
from steppe_geo.io.records import record_durations
from steppe_geo.models._derivation_layers import _da, _float, _like

__all__ = ["DriftQuantity", "SandDriftSource"]


class DriftQuantity(enum.Enum):
    """Which figure of the drift potential a ``drift_potential`` derivation returns."""

    DP = "dp"  # drift potential (VU)
    RDP = "rdp"  # resultant drift potential (VU)
    RDP_DP = "rdp_dp"  # directional variability (1)
    ACROSS_ROWS = "dp_across_rows"  # drift crossing rows of the given azimuth (VU)


class SandDriftSource(enum.Enum):
    """Where a model's drift potential comes from."""

    NONE = "none"  # no sand drift criterion
    RASTER = "raster"  # input raster sand_drift_potential (VU)
    SERIES = "series"  # derived from wind_speed_series and wind_direction_series


_UNITS = {DriftQuantity.DP: "VU", DriftQuantity.RDP: "VU", DriftQuantity.RDP_DP: "1",
          DriftQuantity.ACROSS_ROWS: "VU"}


def _series(layers: Mapping[str, Any], key: str) -> xr.DataArray:
    da = _da(layers, key)
    if da.ndim != 3:
        raise InvalidParameterError(
            f"layer {key!r} must be a time series ((band or time, y, x) stack: read it with band='all'), "
            f"got dims {da.dims}"
        )
    return da


def _hours(da: xr.DataArray, record_hours: float | None, key: str) -> np.ndarray:
    if record_hours is not None:
        if not record_hours > 0:
            raise InvalidParameterError(f"record_hours must be > 0 hours, got {record_hours!r}")
        return np.full(da.shape[0], float(record_hours))
    if "time" in da.coords and np.issubdtype(da["time"].dtype, np.datetime64):
        return record_durations(da["time"].values)[0]
    # a band stack carries no durations: its records weigh the same (t, a share of the time, does not
    # depend on their common length)
    return np.ones(da.shape[0])


def _d_drift_potential(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    reference_height_m: float = 10.0,
    record_hours: float | None = None,
    threshold_kn: float = THRESHOLD_KN,
    roughness_m: float = DEFAULT_ROUGHNESS_M,
    quantity: str = "dp",
    row_azimuth_deg: float = 90.0,
) -> xr.DataArray:
    # Fryberger & Dean (1979) per pixel, by steppe_geo.criteria.drift_potential_grid (docs/drift.md)
    q = parse_choice(DriftQuantity, quantity, param="quantity")
    speed, direction = _series(layers, inputs[0]), _series(layers, inputs[1])
    hours = _hours(speed, record_hours, inputs[0])
    dims = ("time", "y", "x")
    s = speed.rename({speed.dims[0]: "time"}).transpose(*dims)
    d = direction.rename({direction.dims[0]: "time"}).transpose(*dims)
    out = drift_potential_grid(s, d, reference_height_m=float(reference_height_m), hours=hours,
                               threshold_kn=threshold_kn,
                               roughness_m=roughness_m, row_azimuth_deg=row_azimuth_deg)
    ref = speed.isel({speed.dims[0]: 0}, drop=True)
    return _like(ref, _float(out[q.value]), q.value, _UNITS[q])


def _d_dune_mobility(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    reference_height_m: float = 10.0,
    record_hours: float | None = None,
    roughness_m: float = DEFAULT_ROUGHNESS_M,
    mobility_speed_m_s: float = MOBILITY_SPEED_M_S,
) -> xr.DataArray:
    # Lancaster (1988) M = W / (P / PE), W = % of time with the 10 m wind above 4.5 m/s (docs/drift.md)
    speed = _series(layers, inputs[0])
    hours = _hours(speed, record_hours, inputs[0])
    v10 = speed_at_10m(_float(speed), reference_height_m=float(reference_height_m), roughness_m=roughness_m)
    w = windy_share(v10, hours, threshold_m_s=mobility_speed_m_s)
    m = dune_mobility_index(w, _float(_da(layers, inputs[1])), _float(_da(layers, inputs[2])))
    ref = speed.isel({speed.dims[0]: 0}, drop=True)
    return _like(ref, np.asarray(m, dtype=np.float64), "dune_mobility", "1")
