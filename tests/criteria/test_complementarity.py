"""Wind–solar complementarity: PV chain against pvlib, correlation = numpy.corrcoef, curtailment by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest

from steppe_geo.criteria import complementarity as comp
from steppe_geo.criteria.wind_power import load_power_curve
from steppe_geo.errors import InvalidParameterError

NSRDB = Path(__file__).resolve().parents[1] / "data" / "real" / "nsrdb" / "nsrdb_psm4_401182_2023.csv"
LAT, LON = 40.53, -108.54  # from the file's metadata row


@pytest.fixture(scope="module")
def record() -> pd.DataFrame:
    """The real NSRDB PSM v4 record (30-min steps, local standard time UTC−7), read with pandas."""
    df = pd.read_csv(NSRDB, skiprows=2)
    idx = pd.to_datetime(df[["Year", "Month", "Day", "Hour", "Minute"]].rename(columns=str.lower))
    df.index = idx.dt.tz_localize("Etc/GMT+7")
    return df


def test_record_is_half_hourly(record):
    steps = record.index.to_series().diff().dt.total_seconds().iloc[1:]
    assert set(steps) == {1800.0} and len(record) == 17520


def test_solar_position_against_pvlib_spa(record):
    zen, az = comp.solar_position(record.index, latitude=LAT, longitude=LON)
    spa = pvlib.solarposition.get_solarposition(record.index, LAT, LON, method="nrel_numpy")
    up = spa["zenith"].to_numpy() < 85
    err = np.abs(zen - spa["zenith"].to_numpy())[up]
    assert err.max() < 0.4 and np.median(err) < 0.2  # Spencer's series: a few tenths of a degree
    daz = (az - spa["azimuth"].to_numpy() + 180) % 360 - 180
    assert np.abs(daz)[up].max() < 0.5
    # and against the file's own zenith (NSRDB computes it with SPA)
    assert np.abs(zen - record["Solar Zenith Angle"].to_numpy())[up].max() < 0.5


def test_faiman_against_pvlib():
    poa = np.array([0.0, 250.0, 800.0, 1050.0])
    ta = np.array([-5.0, 10.0, 25.0, 38.0])
    ws = np.array([0.5, 2.0, 4.0, 1.0])
    assert comp.faiman_cell_temperature(poa, ta, ws) == pytest.approx(
        pvlib.temperature.faiman(poa, ta, ws, u0=25.0, u1=6.84), abs=1e-12)


def test_pv_capacity_factor_against_pvlib_chain(record):
    ghi = record["GHI"].to_numpy(float)
    ta = record["Temperature"].to_numpy(float)
    cf = comp.pv_capacity_factor_series(record.index, ghi, latitude=LAT, longitude=LON, tilt_deg=35,
                                        temp_air_c=ta)
    # the same chain in pvlib: SPA sun, Erbs decomposition, isotropic sky, Faiman, PVWatts DC
    spa = pvlib.solarposition.get_solarposition(record.index, LAT, LON, method="nrel_numpy")
    erbs = pvlib.irradiance.erbs(ghi, spa["zenith"], record.index.day_of_year.to_numpy())
    irr = pvlib.irradiance.get_total_irradiance(35, 180, spa["zenith"], spa["azimuth"], erbs["dni"],
                                                ghi, erbs["dhi"], albedo=0.2, model="isotropic")
    poa = irr["poa_global"].fillna(0).clip(lower=0).to_numpy()
    cell = pvlib.temperature.faiman(poa, ta, 1.0)
    dc = pvlib.pvsystem.pvwatts_dc(poa, cell, 1.0, -0.0035)
    ref = np.clip(np.asarray(dc) * (1 - 0.14), 0, 1)
    assert cf.mean() == pytest.approx(ref.mean(), rel=0.01)
    assert np.corrcoef(cf, ref)[0, 1] > 0.995
    # plausible for a sunny 2.2 km high steppe site at 40.5° N, fixed tilt
    assert 0.17 < cf.mean() < 0.26


def test_wind_capacity_factor_by_hand():
    # 2 m record to 120 m hub by the log law, z0 = 0.03: factor ln(120/0.03) / ln(2/0.03)
    curve = load_power_curve("nrel_6mw_170")
    factor = math.log(120 / 0.03) / math.log(2 / 0.03)
    v = np.array([0.0, 1.0, 2.0, 3.0, np.nan])
    cf = comp.wind_capacity_factor_series(v, curve=curve, height_m=2, hub_height_m=120, z0_m=0.03)
    expect = np.interp(v * factor, curve.speed_m_s, curve.power_kw, left=0, right=0) / 6000.0
    assert cf[:4] == pytest.approx(expect[:4], abs=1e-12) and np.isnan(cf[4])
    with pytest.raises(InvalidParameterError, match="above the roughness length"):
        comp.wind_capacity_factor_series(v, height_m=0.01, hub_height_m=120, z0_m=0.03)


def test_correlation_equals_numpy_and_neither_hours(record):
    wcf = comp.wind_capacity_factor_series(record["Wind Speed"], height_m=2, hub_height_m=120)
    scf = comp.pv_capacity_factor_series(record.index, record["GHI"], latitude=LAT, longitude=LON)
    c = comp.complementarity_indicators(wcf, scf, wind_threshold=0.1, solar_threshold=0.1)
    assert c.correlation == pytest.approx(np.corrcoef(wcf, scf)[0, 1], abs=1e-12)
    share = np.mean((wcf < 0.1) & (scf < 0.1))  # written out: both below their thresholds
    assert c.share_neither == pytest.approx(share) and c.hours_neither == pytest.approx(share * 8760)
    assert c.wind_cf == pytest.approx(wcf.mean()) and c.solar_cf == pytest.approx(scf.mean())


def test_neither_hours_by_hand():
    w = [0.05, 0.5, 0.0, 0.09, 0.3, 0.1]
    s = [0.0, 0.0, 0.6, 0.02, 0.0, 0.05]
    # neither: steps 0 (0.05, 0) and 3 (0.09, 0.02); step 5 has wind CF = 0.1, not below 0.1
    c = comp.complementarity_indicators(w, s)
    assert c.share_neither == pytest.approx(2 / 6) and c.hours_neither == pytest.approx(8760 / 3)
    c = comp.complementarity_indicators(w, s, wind_threshold=0.2, solar_threshold=0.1)
    assert c.share_neither == pytest.approx(3 / 6)


def test_hybrid_output_by_hand():
    # W = 100 MW, S = 50 MW, limit 80 MW, four equal steps:
    # potential 100·cf_w + 50·cf_s = 90, 40, 85, 20 -> delivered 80, 40, 80, 20 = 220; curtailed 10 + 5 = 15
    w = [0.8, 0.2, 0.5, 0.0]
    s = [0.2, 0.4, 0.7, 0.4]
    h = comp.hybrid_output(w, s, wind_mw=100, solar_mw=50, export_limit_mw=80)
    per_step_to_year = 8760 / 4
    assert h.potential_mwh_yr == pytest.approx(235 * per_step_to_year)
    assert h.delivered_mwh_yr == pytest.approx(220 * per_step_to_year)
    assert h.curtailed_mwh_yr == pytest.approx(15 * per_step_to_year)
    assert h.curtailment_pct == pytest.approx(100 * 15 / 235)
    assert h.connection_cf == pytest.approx(220 / (4 * 80))


def test_best_mix_against_brute_force(record):
    wcf = comp.wind_capacity_factor_series(record["Wind Speed"], height_m=2, hub_height_m=120)
    scf = comp.pv_capacity_factor_series(record.index, record["GHI"], latitude=LAT, longitude=LON)
    for total, limit in [(150.0, 100.0), (200.0, 60.0), (100.0, 100.0)]:
        best = comp.best_mix(wcf, scf, total_mw=total, export_limit_mw=limit)
        grid = np.linspace(0, 1, 2001)
        brute = [comp.hybrid_output(wcf, scf, wind_mw=total * g, solar_mw=total * (1 - g),
                                    export_limit_mw=limit).delivered_mwh_yr for g in grid]
        assert best.delivered_mwh_yr >= max(brute) - 1e-6 * max(brute)
        # and the brute force comes within its grid step of the exact optimum
        assert max(brute) == pytest.approx(best.delivered_mwh_yr, rel=1e-3)
        assert best.wind_mw + best.solar_mw == pytest.approx(total)


def test_best_mix_random_against_exhaustive_breakpoints():
    rng = np.random.default_rng(5)
    for _ in range(20):
        n = int(rng.integers(3, 40))
        w, s = rng.random(n), rng.random(n) * (rng.random(n) > 0.5)
        total, limit = 100.0, float(rng.uniform(20, 100))
        best = comp.best_mix(w, s, total_mw=total, export_limit_mw=limit)
        # every breakpoint and both ends, evaluated one by one
        cands = [0.0, 1.0] + [((limit / total) - s[t]) / (w[t] - s[t]) for t in range(n) if w[t] != s[t]]
        vals = [np.minimum(total * (g * w + (1 - g) * s), limit).sum() * 8760 / n
                for g in cands if 0 <= g <= 1]
        assert best.delivered_mwh_yr == pytest.approx(max(vals), rel=1e-12)


def test_errors():
    with pytest.raises(InvalidParameterError, match="same time steps"):
        comp.hybrid_output([0.1, 0.2], [0.1], wind_mw=1, solar_mw=1, export_limit_mw=1)
    with pytest.raises(InvalidParameterError, match=r"wind_cf must be capacity factors in \[0, 1\]"):
        comp.complementarity_indicators([0.1, 1.5], [0.1, 0.2])
    with pytest.raises(InvalidParameterError, match="export_limit_mw"):
        comp.hybrid_output([0.1], [0.1], wind_mw=1, solar_mw=1, export_limit_mw=0)
    with pytest.raises(InvalidParameterError, match="constant series"):
        comp.complementarity_indicators([0.1, 0.1], [0.1, 0.2])
    with pytest.raises(InvalidParameterError, match="timezone-aware"):
        comp.pv_capacity_factor_series(pd.date_range("2023-01-01", periods=3, freq="h"), [0, 0, 0],
                                       latitude=40, longitude=-108)
