"""``[parcels.turbines]``: turbine layouts and wake losses on a model's best-ranked parcels."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import gamma

from steppe_geo import criteria
from steppe_geo.config import TurbinesConfig
from steppe_geo.grid import Grid
from steppe_geo.io import open_lazy
from steppe_geo.parcels import parcel_chunks, turbine_layouts
from steppe_geo.pipeline.results import InputLayers, ModelOutput, ParcelOutput

__all__ = ["best_parcel_layouts"]


def best_parcel_layouts(po: ParcelOutput, res: ModelOutput, layers: InputLayers, tc: TurbinesConfig, *,
                     id_column: str | None,
                     window: int | None = None) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """``[parcels.turbines]``: layouts and wake losses on the best-ranked parcels of one model.

    Memory mode (``window`` None) lays out all the best parcels on the whole grid at once. A
    windowed run reads the grid's mean speed and Weibull k window by window, and lays out each
    parcel on its own bounding window of the eligibility, speed and direction rasters: the layouts
    are per parcel (:func:`steppe_geo.parcels.turbine_layouts`), so they are the same, and the
    memory held is one parcel's window, not the grid.

    Parameters
    ----------
    po : ParcelOutput
        The model's ranked parcels (``rank`` column; polygons in the grid's CRS, metres).
    res : ModelOutput
        The model's results (its ``eligible`` raster).
    layers : InputLayers
        The run's inputs: arrays in memory mode, files (``layers.files``) in windowed runs.
    tc : TurbinesConfig
        The ``[parcels.turbines]`` table.
    id_column : str, optional
        Column of parcel ids, copied to both tables.
    window : int, optional
        The run's window size in pixels (windowed runs); None in memory mode.

    Returns
    -------
    turbines : geopandas.GeoDataFrame
        One point per turbine (parcel id, turbine number, net MWh/yr, ...).
    layouts : geopandas.GeoDataFrame
        One row per laid-out parcel (its outline, rank, turbines, MW, gross and net MWh/yr, wake loss).
    """
    ranked = po.ranked
    best = ranked[ranked["rank"].notna()].sort_values("rank").head(tc.top)
    grid = layers.grid

    def layer(name: str) -> xr.DataArray:
        return open_lazy(layers.files[name], name=name) if window is not None else layers.layers[name]

    k = 2.0
    if tc.weibull_k is not None:
        kv = _nan_mean(layer(tc.weibull_k), grid, window)
        k = kv if np.isfinite(kv) else 2.0
    mean = _nan_mean(layer(tc.mean_speed), grid, window)
    rose = criteria.weibull_rose(tc.sector_frequency, mean / float(gamma(1.0 + 1.0 / k)), k)
    speed = layer(tc.mean_speed)
    direction = layer(tc.wind_direction) if tc.wind_direction is not None else None
    outlines = best[[best.geometry.name]]

    def layouts(regions: gpd.GeoDataFrame, eligible: xr.DataArray, direction: xr.DataArray | None,
                speed: xr.DataArray) -> tuple[pd.DataFrame, pd.DataFrame]:
        return turbine_layouts(regions, eligible, rose=rose, curve=tc.curve, wind_from_deg=direction,
                               mean_speed_m_s=speed, along_d=tc.along_d, across_d=tc.across_d,
                               wake_decay=tc.wake_decay)

    if window is None:
        eligible = grid.to_dataarray(np.asarray(res.eligible.values, dtype=bool), name="eligible")
        points, summary = layouts(outlines, eligible, direction, speed)
    else:  # parcel by parcel, each on its bounding window (parcel_chunks with 1-pixel tiles)
        point_parts, summary_parts = [], []
        for pos, win in parcel_chunks(outlines, grid, 1):
            rows, cols = win.toslices()
            wgrid = grid.window_grid(win)
            eligible = wgrid.to_dataarray(np.asarray(res.eligible.isel(y=rows, x=cols).values, dtype=bool),
                                          name="eligible")
            pts, summ = layouts(outlines.iloc[pos], eligible,
                                None if direction is None else direction.isel(y=rows, x=cols).load(),
                                speed.isel(y=rows, x=cols).load())
            point_parts.append(pts)
            summary_parts.append(summ)
        order = {label: i for i, label in enumerate(outlines.index)}
        points = pd.concat(point_parts, ignore_index=True)
        points = points.iloc[np.argsort(points["region"].map(order).to_numpy(), kind="stable")]
        points = points.reset_index(drop=True)
        summary = pd.concat(summary_parts).loc[outlines.index]
    if id_column is not None and id_column in best.columns:
        ids = best[id_column]
        points.insert(0, id_column, ids.reindex(points["region"]).to_numpy())
        summary.insert(0, id_column, ids.to_numpy())
    summary.insert(0, "rank", best["rank"].to_numpy())
    summary = gpd.GeoDataFrame(summary, geometry=best.geometry.to_numpy(), crs=best.crs)  # parcel outlines
    return points.drop(columns="region"), summary


def _nan_mean(da: xr.DataArray, grid: Grid, window: int | None) -> float:
    """Mean of the non-NaN pixels of ``da`` (NaN if none); windowed: ``window`` x ``window`` at a time."""
    if window is None:
        v = np.asarray(da.values, dtype=np.float64)
        return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
    total, count, finite = 0.0, 0, False
    for w in grid.windows(window):
        rows, cols = w.core.toslices()
        v = np.asarray(da.isel(y=rows, x=cols).values, dtype=np.float64)
        ok = ~np.isnan(v)
        total += float(v[ok].sum())
        count += int(ok.sum())
        finite = finite or bool(np.isfinite(v).any())
    return total / count if finite and count else float("nan")
