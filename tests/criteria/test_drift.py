"""Sand drift potential (Fryberger & Dean 1979) and Lancaster's dune mobility index."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from steppe_geo.criteria import drift
from steppe_geo.errors import InvalidParameterError, MissingLayerError
from steppe_geo.io import read_station_record

NSRDB = Path(__file__).resolve().parents[1] / "data" / "real" / "nsrdb" / "nsrdb_psm4_401182_2023.csv"
KN = 1852.0 / 3600.0  # m/s per knot (1 international knot = 1 nautical mile of 1852 m per hour)


def _record(speeds_kn, directions, hours, *, reference_height_m=10.0):
    return xr.Dataset(
        {"wind_speed": ("time", np.asarray(speeds_kn, float) * KN),
         "wind_direction": ("time", np.asarray(directions, float)),
         "duration_h": ("time", np.asarray(hours, float))},
        attrs={"wind_height_m": reference_height_m},
    )


def test_hand_calculation_two_directions():
    # 4 hours of records at 10 m:
    #   20 kn from the west (270°) for 1 h, 15 kn from the north (0°) for 1 h, 10 kn from the north for 2 h.
    # t (share of the record time, %): 1/4 → 25 %, 1/4 → 25 %, 2/4 → 50 %.
    # weighting V²(V − 12)/100: 20 kn → 400 × 8 / 100 = 32; 15 kn → 225 × 3 / 100 = 6.75; 10 kn < 12 → 0.
    # DP_W = 32 × 25 = 800 VU; DP_N = 6.75 × 25 = 168.75 VU; DP = 968.75 VU.
    # Sand moves east (800 VU) and south (168.75 VU): RDP = √(800² + 168.75²) = 817.60 VU,
    # RDD = atan2(east 800, north −168.75) = 180° − atan(800 / 168.75) = 101.91° (towards ESE).
    d = drift.drift_potential(_record([20, 15, 10], [270, 0, 0], [1, 1, 2]))
    assert d.dp == pytest.approx(968.75)
    assert d.dp_by_sector[12] == pytest.approx(800.0)  # sector 12 = 270° (16 sectors of 22.5°)
    assert d.dp_by_sector[0] == pytest.approx(168.75)
    assert d.rdp == pytest.approx(math.sqrt(800**2 + 168.75**2))
    assert d.rdp == pytest.approx(817.604, abs=1e-3)
    assert d.rdd_deg == pytest.approx(180.0 - math.degrees(math.atan(800 / 168.75)))
    assert d.rdd_deg == pytest.approx(101.91, abs=0.01)
    assert d.ratio == pytest.approx(817.604 / 968.75, abs=1e-6)
    assert d.energy_class == "high" and d.directionality == "high"  # RDP/DP = 0.84 > 0.8
    assert d.hours == 4.0


@pytest.mark.parametrize(("from_deg", "towards_deg"), [(0, 180), (90, 270), (225, 45), (337.5, 157.5)])
def test_rdd_is_where_sand_goes(from_deg, towards_deg):
    d = drift.drift_potential(_record([25], [from_deg], [1]))
    assert d.rdd_deg == pytest.approx(towards_deg)
    assert d.rdp == pytest.approx(d.dp)  # one direction: RDP/DP = 1


def test_opposite_winds_cancel():
    d = drift.drift_potential(_record([20, 20], [0, 180], [1, 1]))
    assert d.dp == pytest.approx(2 * 32 * 50) and d.rdp == pytest.approx(0.0, abs=1e-9)
    assert math.isnan(d.rdd_deg) and d.directionality == "low"


def test_knots_conversion():
    # 1 kn = 1852/3600 m/s = 0.514444 m/s (BIPM SI Brochure, 9th ed., Table 8: knot)
    assert drift.KNOT_M_S == pytest.approx(0.514444, abs=1e-6)
    # 10 m/s = 19.438 kn → 19.438² × 7.438 / 100 × 100 % = 2810.5 VU
    v_kn = 10 / 0.514444
    d = drift.drift_potential(xr.Dataset({"wind_speed": ("time", [10.0]), "wind_direction": ("time", [90.0]),
                                          "duration_h": ("time", [1.0])}, attrs={"wind_height_m": 10.0}))
    assert d.dp == pytest.approx(v_kn**2 * (v_kn - 12) / 100 * 100, rel=1e-5)
    assert d.dp == pytest.approx(2810.5, abs=0.5)


def test_durations_weight_records():
    # a 30-min record weighs half an hour: 20 kn for 30 min + calm for 1.5 h → t = 25 %, DP = 32 × 25
    d = drift.drift_potential(_record([20, 0], [270, 0], [0.5, 1.5]))
    assert d.dp == pytest.approx(800.0)
    # splitting a record into two 30-min halves changes nothing; giving the halves 1 h each would
    hourly = drift.drift_potential(_record([20, 5], [270, 90], [1, 1]))
    halves = drift.drift_potential(_record([20, 20, 5, 5], [270, 270, 90, 90], [0.5, 0.5, 0.5, 0.5]))
    assert halves.dp == pytest.approx(hourly.dp)
    skewed = drift.drift_potential(_record([20, 20, 5], [270, 270, 90], [0.5, 0.5, 0.5]))
    assert skewed.dp == pytest.approx(32 * 100 * 2 / 3)


def test_log_law_to_10m():
    # 3 m/s at 2 m, z0 = 0.03 m: 3 × ln(10 / 0.03) / ln(2 / 0.03) = 3 × 5.80914 / 4.19970 = 4.1497 m/s
    expected = 3 * math.log(10 / 0.03) / math.log(2 / 0.03)
    assert float(drift.speed_at_10m(3.0, reference_height_m=2.0)) == pytest.approx(expected)
    assert drift.DEFAULT_ROUGHNESS_M == 0.03
    assert float(drift.speed_at_10m(3.0, reference_height_m=2.0, roughness_m=0.1)) == pytest.approx(
        3 * math.log(100) / math.log(20))
    # the height conversion enters DP: the same 2 m record read as 10 m gives a smaller DP
    rec2 = _record([12 * 1.2], [0], [1], reference_height_m=2.0)
    v10 = 12 * 1.2 * math.log(10 / 0.03) / math.log(2 / 0.03)
    assert drift.drift_potential(rec2).dp == pytest.approx(v10**2 * (v10 - 12))


def test_wind_from_uv_era5_convention():
    # u = +5 (towards east) → wind from the west, 270°; v = +5 (towards north) → from the south, 180°
    s, d = drift.wind_from_uv([5.0, 0.0, -3.0, 3.0], [0.0, 5.0, -3.0, 3.0])
    np.testing.assert_allclose(s, [5.0, 5.0, math.sqrt(18), math.sqrt(18)])
    np.testing.assert_allclose(d, [270.0, 180.0, 45.0, 225.0])


def test_fryberger_weighting_factor_table():
    # Fryberger & Dean (1979, USGS Prof. Paper 1052, p. 141) tabulate weighting factors V²(V − Vt)/100
    # per speed class; for 11–16 kn the factor is about 3.8 (class speed ≈ 14 kn: 14² × 2 / 100 = 3.92).
    d = drift.drift_potential(_record([14], [0], [1]))
    assert d.dp / 100 == pytest.approx(3.92)
    assert d.dp / 100 == pytest.approx(3.8, rel=0.05)


def test_real_nsrdb_record_against_published_reference():
    ds = read_station_record(NSRDB)
    # Independent figures for this record (steppe_geo methods reference, section 8): mean wind 2.4 m/s,
    # 4.6 % of records above 12 kn, DP ≈ 38 VU (low energy) when the 2 m speeds are used as they are.
    assert float(ds["wind_speed"].mean()) == pytest.approx(2.4, abs=0.05)
    assert float((ds["wind_speed"] > 12 * KN).mean()) == pytest.approx(0.046, abs=0.0005)
    as_is = drift.drift_potential(ds, reference_height_m=10.0)
    assert as_is.dp == pytest.approx(38, abs=0.5) and as_is.energy_class == "low"
    # brought from 2 m to 10 m (z0 = 0.03 m: speeds × 1.383) the record crosses into intermediate energy
    at10 = drift.drift_potential(ds)
    assert 200 <= at10.dp < 400 and at10.energy_class == "intermediate"
    assert at10.dp == pytest.approx(227.3, abs=0.1)
    # prevailing winds from the SSW-SW (sectors 202.5° and 225°): the resultant drift points NE
    assert int(np.argmax(at10.dp_by_sector)) == 9
    assert 30 < at10.rdd_deg < 50


def test_grid_equals_station():
    ds = read_station_record(NSRDB).isel(time=slice(0, 2000))
    st = drift.drift_potential(ds)
    n = ds.sizes["time"]
    ys, xs = np.array([4_450_500.0, 4_449_500.0]), np.array([500_500.0, 501_500.0, 502_500.0])

    def stack(values):
        arr = np.broadcast_to(values[:, None, None], (n, 2, 3)).copy()
        da = xr.DataArray(arr, dims=("time", "y", "x"), coords={"time": ds["time"].values, "y": ys, "x": xs})
        return da.rio.write_crs("EPSG:32649")

    speed, direction = stack(ds["wind_speed"].values), stack(ds["wind_direction"].values)
    speed.values[:, 1, 2] = np.nan  # a pixel without data stays NaN
    out = drift.drift_potential_grid(speed, direction, reference_height_m=2.0)
    assert out["dp"].values[0, 0] == pytest.approx(st.dp)
    assert out["rdp"].values[1, 1] == pytest.approx(st.rdp)
    assert out["rdd_deg"].values[0, 2] == pytest.approx(st.rdd_deg)
    np.testing.assert_allclose(out["dp_sector"].values[:, 0, 1], st.dp_by_sector)
    assert np.isnan(out["dp"].values[1, 2]) and out["energy_class"].values[1, 2] == 0
    assert out["dp"].rio.crs.to_epsg() == 32649
    # a band stack without times needs the hours of each record
    with pytest.raises(InvalidParameterError, match="no time coordinate"):
        drift.drift_potential_grid(speed.drop_vars("time"), direction.drop_vars("time"),
                                   reference_height_m=2.0)
    banded = drift.drift_potential_grid(speed.drop_vars("time"), direction.drop_vars("time"),
                                        reference_height_m=2.0, hours=0.5)
    assert banded["dp"].values[0, 0] == pytest.approx(st.dp)


def test_classes_and_bad_input():
    assert drift.classify_drift_energy([150, 250, 450]).tolist() == [1, 2, 3]
    with pytest.raises(MissingLayerError, match="no 'duration_h'"):
        drift.drift_potential(_record([20], [0], [1]).drop_vars("duration_h"))
    with pytest.raises(InvalidParameterError, match="within 0–360 degrees, got 400"):
        drift.drift_potential(_record([20], [400], [1]))
    with pytest.raises(InvalidParameterError, match="speeds must be ≥ 0"):
        drift.drift_potential(_record([-1], [0], [1]))
    with pytest.raises(InvalidParameterError, match="threshold_kn must be > 0"):
        drift.drift_potential(_record([20], [0], [1]), threshold_kn=0)
    rec = _record([20], [0], [1])
    rec.attrs = {}
    with pytest.raises(InvalidParameterError, match="no wind_height_m attribute"):
        drift.drift_potential(rec)


def test_lancaster_mobility_index():
    # W: 10-m speeds of 3, 5, 6 m/s for 1, 1, 2 h (a missing record does not count): (1 + 2) / 4 h = 75 %
    assert float(drift.windy_share([3.0, 5.0, 6.0, np.nan], [1, 1, 2, 1])) == pytest.approx(75.0)
    # M = W / (P / PE): W = 30 %, P = 250 mm, PE = 1250 mm → 30 / 0.2 = 150 (crests and lee slopes active)
    m = drift.dune_mobility_index(30.0, 250.0, 1250.0)
    assert m == pytest.approx(150.0)
    # Lancaster (1988) classes: < 50 inactive; 50–100 crests; 100–200 crests and lee; > 200 fully active
    assert drift.classify_dune_mobility([49.9, 50, 150, 200, 400]).tolist() == [1, 2, 3, 4, 4]
    label = drift.DUNE_MOBILITY_CLASSES[drift.classify_dune_mobility(m).item()][0]
    assert label == "crests and lee slopes active"
    # rasters: P and PE per pixel, the result keeps the grid
    ys, xs = np.array([4_450_500.0, 4_449_500.0]), np.array([500_500.0, 501_500.0])
    p = xr.DataArray([[200.0, 400.0], [1000.0, np.nan]], dims=("y", "x"),
                     coords={"y": ys, "x": xs}).rio.write_crs(32649)
    out = drift.dune_mobility_index(20.0, p, 1000.0)
    np.testing.assert_allclose(out.values, [[100.0, 50.0], [20.0, np.nan]])
    assert out.rio.crs.to_epsg() == 32649
    with pytest.raises(InvalidParameterError, match="precipitation_mm must be > 0"):
        drift.dune_mobility_index(20.0, 0.0, 1000.0)
    with pytest.raises(InvalidParameterError, match="windy_percent must be within 0–100"):
        drift.dune_mobility_index(120.0, 200.0, 1000.0)


def test_sector_boundaries():
    # 16 sectors of 22.5°, sector 0 from 348.75° to 11.25° (centred on north)
    assert drift.sector_of([348.75, 11.2499, 11.25, 33.75, 191.25]).tolist() == [0, 0, 1, 2, 9]
    assert pd.Series(drift.sector_of(np.arange(0, 360, 0.5))).value_counts().nunique() == 1
