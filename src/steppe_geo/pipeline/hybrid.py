"""``[parcels.hybrid]``: the turbine-laid parcels of a wind model ranked as wind + PV hybrids.

The parcels stage calls :func:`hybrid_columns` once, after ``[parcels.turbines]`` has laid out the
best parcels; ``steppe-geo validate`` calls :func:`read_hybrid_record` to check the record before any
work. The method is :func:`steppe_geo.parcels.rank_hybrid` (see ``docs/turbines_hybrid.md``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from steppe_geo.config import Config, HybridConfig
from steppe_geo.criteria import complementarity as comp
from steppe_geo.criteria import log_law
from steppe_geo.errors import MissingLayerError, SteppeGeoError
from steppe_geo.io import read_station_record
from steppe_geo.parcels import rank_hybrid, zonal_stats
from steppe_geo.pipeline.results import InputLayers

__all__ = ["HybridProfiles", "hybrid_columns", "hybrid_profiles", "hybrid_provenance", "read_hybrid_record"]

HYBRID_INPUT_COLUMNS = ("solar_mw", "mean_speed_m_s", "ghi_kwh_m2_yr")
"""Columns of the hybrid inputs added to the ``layouts`` table next to ``rank_hybrid``'s results."""


def read_hybrid_record(hc: HybridConfig) -> xr.Dataset:
    """Read ``parcels.hybrid.record`` with the table's column options; it must hold wind speed and GHI.

    Parameters
    ----------
    hc : HybridConfig
        The ``[parcels.hybrid]`` table.

    Returns
    -------
    xarray.Dataset
        :func:`steppe_geo.io.read_station_record` output, with ``wind_speed`` (m/s) and ``ghi`` (W/m²).

    Raises
    ------
    SteppeGeoError
        The reader's error (file missing or unreadable, a mapped column missing, bad units), of the
        same class, its message prefixed with ``parcels.hybrid.record`` and the path.
    MissingLayerError
        The record has no wind speed or no GHI, or no station latitude and longitude (give
        ``parcels.hybrid.location``).
    """
    where = f"parcels.hybrid.record ({str(hc.record)!r})"
    try:
        record = read_station_record(hc.record, columns=dict(hc.columns) or None,
                                     units=dict(hc.units) or None, time_column=hc.time_column,
                                     wind_height_m=hc.wind_height_m, location=hc.location)
    except SteppeGeoError as exc:
        raise type(exc)(f"{where}: {exc}") from None
    missing = [v for v in ("wind_speed", "ghi") if v not in record.data_vars]
    if missing:
        raise MissingLayerError(
            f"{where}: the record has no {' and no '.join(missing)} (it has {list(record.data_vars)}); map "
            "the column with parcels.hybrid.columns, e.g. columns = { wind_speed = \"WS\", ghi = \"GHI\" }")
    if not all(np.isfinite(record.attrs.get(k, np.nan)) for k in ("latitude", "longitude")):
        raise MissingLayerError(f"{where}: the record has no station latitude and longitude (PV needs the "
                                "sun's position); give parcels.hybrid.location = [latitude, longitude, "
                                "elevation_m]")
    return record


@dataclass(frozen=True)
class HybridProfiles:
    """The reference record as the hybrid ranking uses it (one value per record step).

    Attributes
    ----------
    times : DatetimeIndex
        UTC time stamps.
    hub_speed_m_s : ndarray
        Wind speed at the hub height (m/s), log law from the record's height.
    wind_cf : ndarray
        Wind capacity factor through the turbines' power curve (0–1).
    solar_cf : ndarray
        PV capacity factor (DC, 0–1) through
        :func:`~steppe_geo.criteria.complementarity.pv_capacity_factor_series`.
    ghi_kwh_m2_yr : float
        The record's annual GHI (kWh/m²/yr; Σ GHI·duration over the record, scaled to 8760 h).
    """

    times: pd.DatetimeIndex
    hub_speed_m_s: np.ndarray
    wind_cf: np.ndarray
    solar_cf: np.ndarray
    ghi_kwh_m2_yr: float


def hybrid_profiles(record: xr.Dataset, hc: HybridConfig, *, curve: str) -> HybridProfiles:
    """Hub-height wind, wind and PV capacity factors and the annual GHI of a station record.

    Parameters
    ----------
    record : xarray.Dataset
        :func:`read_hybrid_record` output.
    hc : HybridConfig
        Hub height and roughness of the log law ``v ln(hub / z0) / ln(h / z0)``.
    curve : str
        Shipped power curve of the turbines (``parcels.turbines.curve``).

    Returns
    -------
    HybridProfiles

    Notes
    -----
    Record times are taken as UTC: an NSRDB file states its time zone (and is converted); other
    records need ISO stamps in UTC or with their offset (``2023-01-01T00:00+08:00``).
    """
    times = pd.DatetimeIndex(record["time"].values)
    times = times.tz_localize("UTC") if times.tz is None else times.tz_convert("UTC")
    speed = np.asarray(record["wind_speed"].values, dtype=np.float64)
    height = float(record.attrs["wind_height_m"])
    # the log-law factor ln(hub / z0) / ln(h / z0), the same for every step
    hub = speed * float(log_law(1.0, height_m=hc.hub_height_m, reference_height_m=height,
                                z0_m=hc.roughness_m))
    wind_cf = comp.wind_capacity_factor_series(speed, curve=curve, height_m=height,
                                               hub_height_m=hc.hub_height_m, z0_m=hc.roughness_m)
    temperature = record["temperature"].values if "temperature" in record.data_vars else None
    solar_cf = comp.pv_capacity_factor_series(times, record["ghi"].values,
                                              latitude=float(record.attrs["latitude"]),
                                              longitude=float(record.attrs["longitude"]),
                                              temp_air_c=temperature)
    duration = np.asarray(record["duration_h"].values, dtype=np.float64)
    ghi = np.asarray(record["ghi"].values, dtype=np.float64)
    ok = np.isfinite(ghi)
    annual = float((ghi[ok] * duration[ok]).sum()) / 1000.0 * 8760.0 / float(duration[ok].sum())
    return HybridProfiles(times, hub, np.asarray(wind_cf, dtype=np.float64), np.asarray(solar_cf, np.float64),
                          annual)


def hybrid_columns(summary: gpd.GeoDataFrame, layers: InputLayers, cfg: Config
                   ) -> tuple[gpd.GeoDataFrame, HybridProfiles]:
    """``[parcels.hybrid]``: the ``[parcels.turbines]`` layouts table with hybrid columns joined.

    Each laid-out parcel: wind MW = its layout's ``capacity_mw``; PV MW = parcel area (km², in the
    grid's equal-area CRS) × ``solar_share`` × ``solar_mw_per_km2``; mean hub-height speed and
    annual GHI = coverage-weighted zonal means of the ``speed`` and ``ghi`` inputs over the whole
    parcel. These go to :func:`steppe_geo.parcels.rank_hybrid` with the record's hub-height speed
    and PV capacity factor (:func:`hybrid_profiles`).

    Parameters
    ----------
    summary : GeoDataFrame
        The per-parcel layouts table (parcel outlines; ``capacity_mw``), as ``_turbine_layouts`` returns it.
    layers : InputLayers
        Aligned inputs (the ``speed`` and ``ghi`` rasters).
    cfg : Config
        With ``parcels.turbines`` and ``parcels.hybrid``.

    Returns
    -------
    (GeoDataFrame, HybridProfiles)
        ``summary`` with :data:`HYBRID_INPUT_COLUMNS` and ``rank_hybrid``'s columns
        (``delivered_mwh_yr``, ``curtailment_pct``, ``correlation``, ``hours_neither``,
        ``hybrid_rank``, with ``optimise_mix`` ``best_wind_share`` and ``best_delivered_mwh_yr``);
        and the record's profiles (for the report's chart).
    """
    pc = cfg.parcels
    if pc is None or pc.hybrid is None or pc.turbines is None:
        raise SteppeGeoError("hybrid_columns: the configuration has no [parcels.hybrid] and "
                             "[parcels.turbines] tables")
    hc, curve = pc.hybrid, pc.turbines.curve
    profiles = hybrid_profiles(read_hybrid_record(hc), hc, curve=curve)
    for key, name in (("speed", hc.speed), ("ghi", hc.ghi)):
        if name not in layers.layers:
            raise MissingLayerError(f"parcels.hybrid.{key}: input {name!r} is not a raster "
                                    f"(rasters are {sorted(layers.layers)})")
    outlines = gpd.GeoDataFrame(geometry=summary.geometry.to_numpy(), crs=summary.crs).to_crs(layers.grid.crs)
    if len(outlines):
        zonal = zonal_stats(outlines, {"ghi": layers.layers[hc.ghi], "v": layers.layers[hc.speed]})
    else:  # no parcel was laid out: an empty table with the hybrid columns
        zonal = pd.DataFrame({"v_mean": np.empty(0), "ghi_mean": np.empty(0)})
    area_km2 = outlines.area.to_numpy() / 1e6
    sites = pd.DataFrame({"wind_mw": summary["capacity_mw"].to_numpy(dtype=np.float64),
                          "solar_mw": area_km2 * hc.solar_share * hc.solar_mw_per_km2,
                          "mean_speed_m_s": zonal["v_mean"].to_numpy(dtype=np.float64),
                          "ghi_kwh_m2_yr": zonal["ghi_mean"].to_numpy(dtype=np.float64)}, index=summary.index)
    ranked = rank_hybrid(sites, hub_speed_m_s=profiles.hub_speed_m_s, solar_cf=profiles.solar_cf,
                         record_ghi_kwh_m2_yr=profiles.ghi_kwh_m2_yr, curve=curve,
                         export_ratio=hc.export_ratio, optimise_mix=hc.optimise_mix)
    out = summary.join(sites[list(HYBRID_INPUT_COLUMNS)]).join(ranked)
    return gpd.GeoDataFrame(out, geometry=summary.geometry.name, crs=summary.crs), profiles


def hybrid_provenance(hc: HybridConfig) -> dict[str, object]:
    """The ``[parcels.hybrid]`` settings recorded with the ``layouts`` layer (record file and checksum).

    Parameters
    ----------
    hc : HybridConfig

    Returns
    -------
    dict
        JSON-ready: ``record`` (file name), ``record_sha256``, the numeric settings and the method.
    """
    return {"record": hc.record.name, "record_sha256": hashlib.sha256(hc.record.read_bytes()).hexdigest(),
            "hub_height_m": hc.hub_height_m, "roughness_m": hc.roughness_m, "solar_share": hc.solar_share,
            "solar_mw_per_km2": hc.solar_mw_per_km2, "export_ratio": hc.export_ratio,
            "optimise_mix": hc.optimise_mix, "speed": hc.speed, "ghi": hc.ghi,
            "method": "steppe_geo.parcels.rank_hybrid on the record scaled to each parcel "
                      "(docs/turbines_hybrid.md)"}
