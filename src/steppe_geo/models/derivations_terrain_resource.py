"""Derivation adapters of terrain and resource layers.

Slope, aspect, hub-height wind speed, wind power density, PV yield, north-facing slopes, ratios, windy days.

Each is ``f(layers, inputs, grid, **parameters) -> DataArray``, registered by name in
:data:`steppe_geo.models.derivations.DERIVATIONS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyproj
import xarray as xr
from scipy.interpolate import RegularGridInterpolator

from steppe_geo._validation import check_range
from steppe_geo.criteria import (
    air_density,
    aspect,
    poa_gain,
    power_law,
    slope,
    weibull_scale,
    wind_power_density,
)
from steppe_geo.grid import Grid
from steppe_geo.models._derivation_layers import _da, _float, _like

__all__ = [
    "PV_LAT_STEP_DEG",
    "PV_LOG_GHI_STEP",
]


def _d_slope(
    layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, units: str = "degrees"
) -> xr.DataArray:
    # values on the grid's outer ring and beside DEM holes (gdaldem -compute_edges): a model
    # should not lose its edge pixels to no_data because a 3 x 3 kernel runs out of neighbours
    return slope(_da(layers, inputs[0]), units=units, compute_edges=True)


def _d_aspect(layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid) -> xr.DataArray:
    return aspect(_da(layers, inputs[0]), compute_edges=True)  # as slope


def _d_hub_height_speed(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    hub_height_m: float,
    reference_height_m: float = 100.0,
    shear_exponent: float = 1 / 7,
) -> xr.DataArray:
    # power law v(h) = v_ref · (h / h_ref)^α (docs/models.md), by steppe_geo.criteria.power_law
    v = _da(layers, inputs[0])
    out = power_law(
        _like(v, _float(v), "wind_speed", "m s-1"),
        height_m=float(hub_height_m),
        reference_height_m=float(reference_height_m),
        shear_exponent=float(shear_exponent),
    )
    return _like(v, _float(out), "wind_speed_hub", "m s-1")


def _d_wind_power_density(layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid) -> xr.DataArray:
    # WPD = ½ ρ c³ Γ(1 + 3/k) with c = v̄ / Γ(1 + 1/k), ρ = 1.225 · exp(−z / 8435 m) (docs/models.md), by
    # steppe_geo.criteria.weibull_scale, air_density and wind_power_density (mean speed and k > 0)
    v, k, z = (_like(_da(layers, key), _float(_da(layers, key)), key, "") for key in inputs)
    wpd = wind_power_density(weibull_scale(v, k=k), k=k, air_density_kg_m3=air_density(z))
    return _like(_da(layers, inputs[0]), _float(wpd), "wind_power_density", "W m-2")


PV_LAT_STEP_DEG = 0.05
"""Latitude spacing of the plane-of-array gain table nodes (degrees)."""
PV_LOG_GHI_STEP = 0.005
"""Spacing of the gain table nodes in log(GHI) (0.5 % steps of GHI)."""


def _pv_gain_table(ghi: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Plane-of-array gain of a latitude-tilted array, interpolated from a (latitude × GHI) table.

    ``steppe_geo.criteria.poa_gain`` integrates the sun's path for every pixel; for a latitude tilt the
    gain depends only on (latitude, GHI) and is smooth in both, so it is computed on table nodes and
    interpolated bilinearly (relative error < 1e-4, tested). The nodes lie on one fixed lattice
    (:data:`PV_LAT_STEP_DEG` in latitude, :data:`PV_LOG_GHI_STEP` in log GHI) and only those around
    the layer's values are computed, so a pixel's value does not depend on the rest of the layer: a
    window of the grid gives the same values as the whole grid (streamed and Dask runs).
    """
    ok = np.isfinite(ghi) & np.isfinite(lat) & (ghi > 0)
    out = np.full(ghi.shape, np.nan)
    if not ok.any():
        return out

    def nodes(v: np.ndarray, step: float) -> np.ndarray:
        k0, k1 = math.floor(float(v.min()) / step), math.ceil(float(v.max()) / step)
        return np.arange(k0, max(k1, k0 + 1) + 1, dtype=np.float64) * step

    lat_n = nodes(lat[ok], PV_LAT_STEP_DEG)
    ghi_n = np.exp(nodes(np.log(ghi[ok]), PV_LOG_GHI_STEP))
    la, gh = np.meshgrid(lat_n, ghi_n, indexing="ij")
    nodes_grid = Grid(crs="EPSG:3857", transform=(1.0, 0.0, 0.0, 0.0, -1.0, 0.0), shape=la.shape)
    gains = poa_gain(nodes_grid.to_dataarray(gh), latitude_deg=nodes_grid.to_dataarray(la))
    table = np.asarray(gains.values, dtype=np.float64)
    interp = RegularGridInterpolator((lat_n, ghi_n), table, method="linear")
    out[ok] = interp(np.column_stack([lat[ok], ghi[ok]]))
    return out


def _d_pv_yield(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    performance_ratio: float = 0.80,
) -> xr.DataArray:
    # Y (kWh/kWp/yr) = GHI · POA gain · PR / 1 kW/m² (docs/models.md) for a latitude-tilted, equator-facing
    # array at each pixel's latitude; the gain is steppe_geo.criteria.poa_gain (via a lookup table)
    check_range(performance_ratio, param="performance_ratio", low=1e-9, high=1.0)
    ghi = _da(layers, inputs[0])
    to_geo = pyproj.Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
    xs, ys = np.meshgrid(grid.x_coords(), grid.y_coords())
    _, lat = to_geo.transform(xs, ys)
    g = _float(ghi)
    gain = _pv_gain_table(g, np.asarray(lat, dtype=np.float64))
    return _like(ghi, g * gain * float(performance_ratio), "pv_yield", "kWh kWp-1 yr-1")


def _d_north_facing(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    min_slope_deg: float = 3.0,
    half_width_deg: float = 45.0,
) -> xr.DataArray:
    # 1 where slope ≥ min_slope and aspect within ±half_width of north (GLAES: north-facing ≥ 3° excluded)
    s, a = (_float(_da(layers, key)) for key in inputs)
    north = (s >= min_slope_deg) & ((a >= 360 - half_width_deg) | (a <= half_width_deg))
    return _like(
        _da(layers, inputs[0]), np.where(np.isnan(s), np.nan, north.astype(float)), "north_facing", "1"
    )


def _d_ratio(
    layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, *, name: str = "ratio", units: str = "1"
) -> xr.DataArray:
    num, den = (_float(_da(layers, key)) for key in inputs)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / den, np.nan)
    return _like(_da(layers, inputs[0]), out, name, units)


def _d_windy_days(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    windy_days_threshold_ms: float = 6.0,
    season_days: float = 182.0,
    reference_height_m: float = 100.0,
    shear_exponent: float = 1 / 7,
) -> xr.DataArray:
    # days in winter–spring with wind ≥ threshold at 10 m: season_days · P(V ≥ u) for a Weibull(c, k);
    # the mean speed is brought from the reference height down to 10 m with the power law (docs/models.md),
    # by steppe_geo.criteria.power_law and weibull_scale (mean speed and k > 0)
    v, k = (_like(_da(layers, key), _float(_da(layers, key)), key, "") for key in inputs)
    v10 = power_law(v, height_m=10.0, reference_height_m=float(reference_height_m),
                    shear_exponent=float(shear_exponent))
    c = _float(weibull_scale(v10, k=k))
    days = float(season_days) * np.exp(-((float(windy_days_threshold_ms) / c) ** _float(k)))
    return _like(_da(layers, inputs[0]), days, "windy_days", "days")

