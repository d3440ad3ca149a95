"""Hybrid ranking: delivered energy per site from scaled profiles, checked by hand and by the criteria."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from steppe_geo.criteria.complementarity import best_mix, hybrid_output
from steppe_geo.criteria.wind_power import load_power_curve
from steppe_geo.errors import InvalidParameterError, MissingLayerError
from steppe_geo.parcels.hybrid import rank_hybrid

SPEED = np.array([3.0, 6.0, 9.0, 12.0, 7.5, 4.5, 10.5, 7.5])  # mean 7.5
SOLAR = np.array([0.0, 0.2, 0.7, 0.5, 0.0, 0.9, 0.1, 0.0])


def test_rank_by_delivered_energy_by_hand():
    curve = load_power_curve("nrel_6mw_170")
    sites = pd.DataFrame({"wind_mw": [60.0, 30.0, 0.0], "solar_mw": [40.0, 20.0, 0.0],
                          "mean_speed_m_s": [7.5, 9.0, 8.0], "ghi_kwh_m2_yr": [1500.0, 1800.0, 1600.0]},
                         index=["a", "b", "c"])
    out = rank_hybrid(sites, hub_speed_m_s=SPEED, solar_cf=SOLAR, record_ghi_kwh_m2_yr=1500.0,
                      export_ratio=0.8, optimise_mix=True)
    # site a: record mean speed 7.5 = site mean -> speeds unchanged; GHI equal -> PV CF unchanged
    wcf = curve.power(SPEED) / 6000.0
    limit = 0.8 * 60.0
    delivered = np.minimum(60 * wcf + 40 * SOLAR, limit).sum() * 8760 / SPEED.size
    assert out.loc["a", "export_limit_mw"] == limit
    assert out.loc["a", "delivered_mwh_yr"] == pytest.approx(delivered)
    # site b: speeds × 9/7.5, PV CF × 1800/1500 (clipped at 1)
    wcf_b = curve.power(SPEED * 9.0 / 7.5) / 6000.0
    scf_b = np.clip(SOLAR * 1.2, 0, 1)
    ref = hybrid_output(wcf_b, scf_b, wind_mw=30, solar_mw=20, export_limit_mw=24.0)
    assert out.loc["b", "delivered_mwh_yr"] == pytest.approx(ref.delivered_mwh_yr)
    assert out.loc["b", "curtailed_mwh_yr"] == pytest.approx(ref.curtailed_mwh_yr)
    assert out.loc["b", "correlation"] == pytest.approx(np.corrcoef(wcf_b, scf_b)[0, 1])
    b = best_mix(wcf_b, scf_b, total_mw=50, export_limit_mw=24.0)
    assert out.loc["b", "best_delivered_mwh_yr"] == pytest.approx(b.delivered_mwh_yr)
    assert out.loc["b", "best_delivered_mwh_yr"] >= out.loc["b", "delivered_mwh_yr"] - 1e-9
    # ranks: a delivers more than b; c has nothing installed -> unranked
    assert out.loc["a", "hybrid_rank"] == 1 and out.loc["b", "hybrid_rank"] == 2
    assert pd.isna(out.loc["c", "hybrid_rank"]) and np.isnan(out.loc["c", "delivered_mwh_yr"])


def test_errors():
    sites = pd.DataFrame({"wind_mw": [1.0], "solar_mw": [1.0], "mean_speed_m_s": [7.0]})
    with pytest.raises(MissingLayerError, match="ghi_kwh_m2_yr"):
        rank_hybrid(sites, hub_speed_m_s=SPEED, solar_cf=SOLAR, record_ghi_kwh_m2_yr=1500.0)
    sites["ghi_kwh_m2_yr"] = 1500.0
    with pytest.raises(InvalidParameterError, match="same steps"):
        rank_hybrid(sites, hub_speed_m_s=SPEED[:3], solar_cf=SOLAR, record_ghi_kwh_m2_yr=1500.0)
    with pytest.raises(InvalidParameterError, match="export_ratio"):
        rank_hybrid(sites, hub_speed_m_s=SPEED, solar_cf=SOLAR, record_ghi_kwh_m2_yr=1500.0, export_ratio=0)
    sites["wind_mw"] = -1.0
    with pytest.raises(InvalidParameterError, match="must be >= 0"):
        rank_hybrid(sites, hub_speed_m_s=SPEED, solar_cf=SOLAR, record_ghi_kwh_m2_yr=1500.0)
