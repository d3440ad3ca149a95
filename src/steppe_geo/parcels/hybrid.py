"""Hybrid wind + PV sites behind one grid connection: per-site profiles, delivered energy, ranking.

Each site (region or parcel) gets hourly capacity-factor profiles from one reference record,
scaled to the site's own resource:

- wind: the record's hub-height speed times ``site mean speed / record mean speed`` (the shape of
  the record kept, its level moved to the site: the "scaling" variant of measure–correlate–predict),
  then through the power curve;
- PV: the record's PV capacity factor times ``site GHI / record GHI`` (PV output is close to
  proportional to irradiation for the same weather pattern), clipped at 1.

The site's wind and PV capacities share an export limit; delivered energy, curtailment, the
correlation and hours with neither resource come from :mod:`steppe_geo.criteria.complementarity`.
Sites are ranked by delivered energy (rank 1 = most).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from steppe_geo.criteria.complementarity import (
    SeriesLike,
    _series,
    best_mix,
    complementarity_indicators,
    hybrid_output,
)
from steppe_geo.criteria.wind_power import PowerCurve, _curve
from steppe_geo.errors import InvalidParameterError, MissingLayerError

__all__ = ["HYBRID_COLUMNS", "rank_hybrid"]

HYBRID_COLUMNS = ("wind_mw", "solar_mw", "mean_speed_m_s", "ghi_kwh_m2_yr")
"""Columns :func:`rank_hybrid` reads from the site table."""


def rank_hybrid(sites: pd.DataFrame, *, hub_speed_m_s: SeriesLike, solar_cf: SeriesLike,
                record_ghi_kwh_m2_yr: float, curve: PowerCurve | str = "nrel_6mw_170",
                export_ratio: float = 1.0,
                optimise_mix: bool = False, wind_threshold: float = 0.1,
                solar_threshold: float = 0.1) -> pd.DataFrame:
    """Rank sites by the energy a wind + PV hybrid delivers through a shared export limit.

    Parameters
    ----------
    sites : DataFrame
        One row per site with ``wind_mw`` and ``solar_mw`` (installed MW, >= 0),
        ``mean_speed_m_s`` (hub-height mean, m/s) and ``ghi_kwh_m2_yr`` (annual GHI); e.g. the
        turbine-layout summary joined with the parcels' zonal means.
    hub_speed_m_s : array-like
        Reference record of hub-height wind speed (m/s), regular steps.
    solar_cf : array-like
        PV capacity factor of the reference record on the same steps (see
        :func:`~steppe_geo.criteria.complementarity.pv_capacity_factor_series`).
    record_ghi_kwh_m2_yr : float
        Annual GHI of the reference record (kWh/m²/yr); a site's PV profile is ``solar_cf`` times
        ``ghi_kwh_m2_yr / record_ghi_kwh_m2_yr``.
    curve : PowerCurve or str, default "nrel_6mw_170"
        Turbine power curve.
    export_ratio : float, default 1
        Export limit as a share of the larger of the two capacities (> 0): 1 means the grid
        connection is sized for the wind farm or the PV plant alone, whichever is bigger.
    optimise_mix : bool, default False
        Also report, per site, the wind:PV split of the same total capacity that delivers the most
        (``best_wind_share``, ``best_delivered_mwh_yr``).
    wind_threshold, solar_threshold : float, default 0.1
        CF thresholds for the hours with neither resource.

    Returns
    -------
    DataFrame
        Indexed like ``sites``: ``export_limit_mw``, ``potential_mwh_yr``, ``delivered_mwh_yr``,
        ``curtailed_mwh_yr``, ``curtailment_pct``, ``correlation``, ``hours_neither``,
        ``hybrid_rank`` (1 = most delivered; sites with nothing installed are NaN and unranked),
        and with ``optimise_mix`` the best mix columns.

    Raises
    ------
    MissingLayerError
        If a column of :data:`HYBRID_COLUMNS` is missing.
    InvalidParameterError
        For a bad record, ratio or negative capacities.

    Examples
    --------
    >>> sites = pd.DataFrame({"wind_mw": [12.0, 0.0], "solar_mw": [10.0, 10.0],
    ...                       "mean_speed_m_s": [8.0, 7.0], "ghi_kwh_m2_yr": [1600.0, 1500.0]})
    >>> out = rank_hybrid(sites, hub_speed_m_s=[4.0, 8.0, 12.0, 8.0], solar_cf=[0.0, 0.5, 0.2, 0.0],
    ...                   record_ghi_kwh_m2_yr=1600.0)
    >>> out["hybrid_rank"].tolist()
    [1, 2]
    """
    missing = [c for c in HYBRID_COLUMNS if c not in sites.columns]
    if missing:
        raise MissingLayerError(
            f"rank_hybrid: sites lack column(s) {missing}; needs {list(HYBRID_COLUMNS)} "
            f"(has {list(sites.columns)[:12]})")
    pc = _curve(curve)
    v = _series(hub_speed_m_s, "hub_speed_m_s")
    s = _series(solar_cf, "solar_cf")
    if v.size != s.size:
        raise InvalidParameterError(
            f"hub_speed_m_s and solar_cf must cover the same steps, got {v.size} and {s.size}")
    ok = np.isfinite(v) & np.isfinite(s)
    if ok.sum() < 2 or (v[ok] < 0).any():
        raise InvalidParameterError("hub_speed_m_s needs >= 2 valid steps with speeds >= 0")
    v, s = v[ok], s[ok]
    v_mean = float(v.mean())
    if v_mean <= 0 or s.max() <= 0:
        raise InvalidParameterError("the reference record must have some wind and some sun (mean > 0)")
    ratio = float(export_ratio)
    if not np.isfinite(ratio) or ratio <= 0:
        raise InvalidParameterError(f"export_ratio must be > 0, got {export_ratio!r}")
    ghi_ref = float(record_ghi_kwh_m2_yr)
    if not np.isfinite(ghi_ref) or ghi_ref <= 0:
        raise InvalidParameterError(f"record_ghi_kwh_m2_yr must be > 0, got {record_ghi_kwh_m2_yr!r}")
    rows = []
    for label, site in sites.iterrows():
        wm, sm = float(site["wind_mw"]), float(site["solar_mw"])
        if not (np.isfinite(wm) and np.isfinite(sm)) or wm < 0 or sm < 0:
            raise InvalidParameterError(
                f"site {label!r}: wind_mw and solar_mw must be >= 0, got {wm:g} and {sm:g}")
        speed, ghi = float(site["mean_speed_m_s"]), float(site["ghi_kwh_m2_yr"])
        row: dict[str, float] = {}
        if wm + sm <= 0 or not (np.isfinite(speed) and np.isfinite(ghi)) or speed <= 0 or ghi <= 0:
            rows.append(row)
            continue
        wcf = pc.power(v * (speed / v_mean)) / pc.rated_kw
        scf = np.clip(s * (ghi / ghi_ref), 0.0, 1.0)
        limit = ratio * max(wm, sm)
        h = hybrid_output(wcf, scf, wind_mw=wm, solar_mw=sm, export_limit_mw=limit)
        row = {"export_limit_mw": limit, "potential_mwh_yr": h.potential_mwh_yr,
               "delivered_mwh_yr": h.delivered_mwh_yr, "curtailed_mwh_yr": h.curtailed_mwh_yr,
               "curtailment_pct": h.curtailment_pct}
        if wcf.std() > 0 and scf.std() > 0:
            c = complementarity_indicators(wcf, scf, wind_threshold=wind_threshold,
                                           solar_threshold=solar_threshold)
            row.update(correlation=c.correlation, hours_neither=c.hours_neither)
        if optimise_mix:
            b = best_mix(wcf, scf, total_mw=wm + sm, export_limit_mw=limit)
            row.update(best_wind_share=b.wind_mw / (wm + sm), best_delivered_mwh_yr=b.delivered_mwh_yr)
        rows.append(row)
    cols = ["export_limit_mw", "potential_mwh_yr", "delivered_mwh_yr", "curtailed_mwh_yr",
            "curtailment_pct", "correlation", "hours_neither"]
    if optimise_mix:
        cols += ["best_wind_share", "best_delivered_mwh_yr"]
    out = pd.DataFrame(rows, index=sites.index).reindex(columns=cols).astype(float)
    out["hybrid_rank"] = out["delivered_mwh_yr"].rank(ascending=False, method="first").astype("Int64")
    return out
