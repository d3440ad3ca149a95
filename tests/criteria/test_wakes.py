"""Jensen/Park wakes: hand-worked two- and three-turbine cases, PyWake's NOJ, roses, farm energy."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
import shapely

from steppe_geo.criteria import wakes
from steppe_geo.criteria.wakes import ThrustCurve, WindRose
from steppe_geo.criteria.wind_power import PowerCurve, load_power_curve
from steppe_geo.errors import InvalidParameterError

DATA = Path(__file__).parent / "data"
K = 0.075
D = 100.0
R0 = 50.0


def _shapely_overlap_fraction(d, r_wake, r_rotor=R0):
    """Overlap of the wake circle and the rotor disc by polygon clipping (shapely), as a fraction."""
    wake = shapely.Point(0, 0).buffer(r_wake, quad_segs=2048)
    rotor = shapely.Point(d, 0).buffer(r_rotor, quad_segs=2048)
    return wake.intersection(rotor).area / rotor.area


@pytest.mark.parametrize("d, r_wake", [(0.0, 87.5), (30.0, 87.5), (80.0, 87.5), (120.0, 87.5),
                                       (137.4, 87.5), (200.0, 87.5), (10.0, 30.0)])
def test_lens_area_against_shapely(d, r_wake):
    got = float(wakes.lens_area(d, r_wake, R0)) / (math.pi * R0**2)
    assert got == pytest.approx(_shapely_overlap_fraction(d, r_wake), abs=2e-6)


def test_two_turbines_full_wake_by_hand():
    # D = 100 m, k = 0.075, Ct = 0.75, U0 = 8 m/s, second turbine 5 D downwind (wind from the west):
    # wake radius 50 + 0.075·500 = 87.5 m covers the rotor: overlap 1;
    # deficit = 8 (1 − √0.25) / (1 + 0.075·500/50)² = 8 · 0.5 / 1.75² = 1.3061224
    tc = ThrustCurve((0.0, 30.0), (0.75, 0.75))
    eff = wakes.jensen_wake_speeds([0, 500], [0, 0], wind_from_deg=270, speed_m_s=[8.0],
                                   rotor_diameter_m=D, thrust=tc, wake_decay=K)
    assert eff[0, 0] == 8.0
    assert eff[0, 1] == pytest.approx(8.0 - 8.0 * 0.5 / 1.75**2, abs=1e-12)
    # wind from the east: the turbine at x = 500 is upstream now
    eff = wakes.jensen_wake_speeds([0, 500], [0, 0], wind_from_deg=90, speed_m_s=[8.0],
                                   rotor_diameter_m=D, thrust=tc, wake_decay=K)
    assert eff[0, 1] == 8.0 and eff[0, 0] == pytest.approx(8.0 - 1.3061224489795917, abs=1e-12)


def test_two_turbines_partial_overlap_by_hand():
    # second rotor 80 m off the wake axis: wake radius 87.5, rotor 50, centres 80 apart -> partial
    tc = ThrustCurve((0.0, 30.0), (0.75, 0.75))
    frac = _shapely_overlap_fraction(80.0, 87.5)
    assert 0.3 < frac < 0.9
    eff = wakes.jensen_wake_speeds([0, 500], [0, 80], wind_from_deg=270, speed_m_s=[8.0],
                                   rotor_diameter_m=D, thrust=tc, wake_decay=K)
    assert eff[0, 1] == pytest.approx(8.0 - 8.0 * 0.5 / 1.75**2 * frac, abs=2e-5)


def test_three_turbines_by_hand():
    # Ct falls with speed: Ct(v) = 0.9 − 0.02 v (linear table), so the waked turbine 2 has its own Ct.
    # T1 (0, 0), T2 (500, 0), T3 (1000, 60); wind from the west at 8 m/s.
    tc = ThrustCurve((0.0, 20.0), (0.9, 0.5))
    u0 = 8.0
    ct1 = 0.9 - 0.02 * u0                                   # 0.74
    d12 = u0 * (1 - math.sqrt(1 - ct1)) / (1 + K * 500 / R0) ** 2  # full overlap (T2 on the axis)
    u2 = u0 - d12
    ct2 = 0.9 - 0.02 * u2
    # T3 from T1: x = 1000, wake radius 125, offset 60: 60 + 50 <= 125 -> full overlap
    d13 = u0 * (1 - math.sqrt(1 - ct1)) / (1 + K * 1000 / R0) ** 2
    # T3 from T2: x = 500, wake radius 87.5, offset 60: partial overlap
    d23 = u0 * (1 - math.sqrt(1 - ct2)) / (1 + K * 500 / R0) ** 2 * _shapely_overlap_fraction(60.0, 87.5)
    u3 = u0 - math.sqrt(d13**2 + d23**2)  # sum of squares
    eff = wakes.jensen_wake_speeds([0, 500, 1000], [0, 0, 60], wind_from_deg=270, speed_m_s=[u0],
                                   rotor_diameter_m=D, thrust=tc, wake_decay=K)
    assert eff[0].tolist() == pytest.approx([u0, u2, u3], abs=2e-5)
    assert u2 < u0 and u3 < u0


def test_crosswind_turbines_do_not_wake_each_other():
    tc = ThrustCurve((0.0, 30.0), (0.8, 0.8))
    eff = wakes.jensen_wake_speeds([0, 0], [0, 300], wind_from_deg=270, speed_m_s=[5.0, 9.0],
                                   rotor_diameter_m=D, thrust=tc)
    assert (eff == np.array([[5.0], [9.0]])).all()


def test_against_pywake_noj():
    # reference values computed once with py_wake 2.6.20 (NOJDeficit k = 0.075, ct2a_mom1d,
    # AreaOverlapAvgModel, SquaredSum, PropagateDownwind) by data/pywake_noj_reference.py
    ref = json.loads((DATA / "pywake_noj_reference.json").read_text())
    assert ref["versions"]["py_wake"] == "2.6.20"
    tab = ref["tables"]
    curve = load_power_curve("nrel_6mw_170")
    tc = wakes.thrust_curve(curve)
    assert list(tc.ct) == pytest.approx(tab["ct"], abs=1e-12)  # PyWake got our tables
    for case in ref["cases"]:
        mine = np.array([wakes.jensen_wake_speeds(case["x_m"], case["y_m"], wind_from_deg=wd,
                                                  speed_m_s=case["ws"], thrust=tc,
                                                  rotor_diameter_m=tab["rotor_diameter_m"],
                                                  wake_decay=ref["wake_decay"])
                         for wd in case["wd"]])
        theirs = np.array(case["ws_eff"])
        assert mine == pytest.approx(theirs, abs=1e-9), case["name"]
        assert curve.power(mine) == pytest.approx(np.array(case["power_kw"]), abs=1e-6), case["name"]
    # the nine-turbine case has real wake interaction in many directions
    nine = np.array(ref["cases"][-1]["ws_eff"])
    ws = np.array(ref["cases"][-1]["ws"])
    assert (nine < ws[None, :, None] - 0.1).sum() > 50


def test_thrust_curve_is_momentum_theory():
    curve = load_power_curve("nrel_6mw_170")
    tc = wakes.thrust_curve(curve)
    v = np.array(curve.speed_m_s)
    ct = np.array(tc.ct)
    a = (1 - np.sqrt(1 - ct)) / 2  # Ct = 4a(1 − a), a <= 1/2
    cp_back = 4 * a * (1 - a) ** 2
    cp = np.array(curve.power_kw) * 1000 / (0.5 * 1.225 * math.pi * 85.0**2 * v**3)
    assert cp_back == pytest.approx(np.minimum(cp, 16 / 27), abs=1e-9)
    assert (ct >= 0).all() and (ct <= 8 / 9 + 1e-12).all()


def test_thrust_curve_needs_rotor():
    curve = PowerCurve("no_rotor", (3.0, 12.0, 25.0), (0.0, 3000.0, 3000.0))
    with pytest.raises(InvalidParameterError, match="no rotor_diameter_m"):
        wakes.thrust_curve(curve)


def test_thrust_table_validation():
    with pytest.raises(InvalidParameterError, match=r"ct must be within \[0, 1\]"):
        ThrustCurve((0.0, 10.0), (0.5, 1.2))


def test_wind_rose_by_hand():
    # 5 records: N 4.2, N 4.4 (=> 4-5 bin), 14° 6.0 (N sector: -15° to 15°), E 91° 2.1, S 183° 0.3
    rose = wakes.wind_rose([350, 5, 14, 91, 183], [4.2, 4.4, 6.0, 2.1, 0.3], sectors=12, speed_step_m_s=1.0)
    assert rose.direction_deg[:4] == (0.0, 30.0, 60.0, 90.0)
    f = rose.frequency
    assert f[0, 4] == pytest.approx(2 / 5) and f[0, 6] == pytest.approx(1 / 5)
    assert f[3, 2] == pytest.approx(1 / 5) and f[6, 0] == pytest.approx(1 / 5)
    assert f.sum() == pytest.approx(1.0)
    assert rose.mean_speed() == pytest.approx((4.5 * 2 + 6.5 + 2.5 + 0.5) / 5)


def test_weibull_rose_against_scipy():
    rose = wakes.weibull_rose([0.2, 0.5, 0.3], [7.0, 9.0, 8.0], [1.8, 2.2, 2.0], speed_step_m_s=0.25,
                              max_speed_m_s=40.0)
    assert rose.frequency.sum(axis=1) == pytest.approx([0.2, 0.5, 0.3], abs=1e-12)
    mean = sum(f * scipy.stats.weibull_min(k, scale=a).mean() for f, a, k in
               [(0.2, 7.0, 1.8), (0.5, 9.0, 2.2), (0.3, 8.0, 2.0)])
    assert rose.mean_speed() == pytest.approx(mean, abs=2e-3)  # bin centres: error O(step²)


def test_rose_validation():
    with pytest.raises(InvalidParameterError, match="sum to 1"):
        WindRose((0.0,), (5.0,), np.array([[0.5]]))
    with pytest.raises(InvalidParameterError, match="sectors must be an integer"):
        wakes.wind_rose([0.0], [5.0], sectors=0)
    with pytest.raises(InvalidParameterError, match="no record"):
        wakes.wind_rose([np.nan], [5.0])
    with pytest.raises(InvalidParameterError, match="one per sector"):
        wakes.weibull_rose([0.5, 0.5], [7.0, 8.0, 9.0], 2.0)


def test_prevailing_direction():
    assert wakes.prevailing_direction([350, 10]) == pytest.approx(0.0, abs=1e-9)
    # energy weights: 2 m/s from the east does not outweigh 8 m/s from the north-west
    east = 8 - 512 * math.sin(math.radians(45))  # Σ w sin θ
    north = 512 * math.cos(math.radians(45))     # Σ w cos θ
    assert wakes.prevailing_direction([90, 315], [2.0**3, 8.0**3]) == pytest.approx(
        math.degrees(math.atan2(east, north)) % 360)
    with pytest.raises(InvalidParameterError, match="cancel out"):
        wakes.prevailing_direction([0, 180])


def test_farm_energy_by_hand():
    # one direction, one speed: the rose is a single case; second turbine in the full wake
    curve = load_power_curve("nrel_6mw_170")
    tc = ThrustCurve((0.0, 30.0), (0.75, 0.75))
    rose = WindRose((270.0,), (8.0,), np.array([[1.0]]))
    d = curve.rotor_diameter_m
    e = wakes.farm_energy([0, 5 * d], [0, 0], rose=rose, curve=curve, thrust=tc, wake_decay=K)
    u2 = 8.0 - 8.0 * 0.5 / (1 + K * 10) ** 2
    p1 = float(np.interp(8.0, curve.speed_m_s, curve.power_kw))
    p2 = float(np.interp(u2, curve.speed_m_s, curve.power_kw))
    assert e.turbines == 2 and e.capacity_mw == 12.0
    assert e.gross_mwh_yr == pytest.approx(2 * p1 * 8.76)
    assert e.net_mwh_yr == pytest.approx((p1 + p2) * 8.76)
    assert e.wake_loss_pct == pytest.approx(100 * (1 - (p1 + p2) / (2 * p1)))
    assert e.turbine_net_mwh_yr.tolist() == pytest.approx([p1 * 8.76, p2 * 8.76])


def test_farm_energy_over_a_rose_is_the_weighted_sum():
    curve = load_power_curve("iea_3.3mw_156")
    tc = wakes.thrust_curve(curve)
    rose = wakes.weibull_rose([0.1, 0.6, 0.3], [7.0, 9.0, 8.0], 2.0, speed_step_m_s=1.0)
    x, y = [0, 900, 1800, 400], [0, 50, 0, 700]
    e = wakes.farm_energy(x, y, rose=rose, curve=curve, wake_decay=K)
    total = 0.0
    for i, wd in enumerate(rose.direction_deg):
        for j, ws in enumerate(rose.speed_m_s):
            eff = wakes.jensen_wake_speeds(x, y, wind_from_deg=wd, speed_m_s=[ws], rotor_diameter_m=156,
                                           thrust=tc, wake_decay=K)
            total += rose.frequency[i, j] * curve.power(eff).sum()
    assert e.net_mwh_yr == pytest.approx(total * 8.76, rel=1e-12)
    assert 0 < e.wake_loss_pct < 30


def test_farm_energy_no_turbines():
    rose = WindRose((0.0,), (8.0,), np.array([[1.0]]))
    e = wakes.farm_energy([], [], rose=rose)
    assert e.turbines == 0 and e.net_mwh_yr == 0.0 and e.capacity_mw == 0.0


def test_bad_inputs():
    tc = ThrustCurve((0.0, 30.0), (0.75, 0.75))
    with pytest.raises(InvalidParameterError, match="same length"):
        wakes.jensen_wake_speeds([0, 1], [0], wind_from_deg=0, speed_m_s=[8], rotor_diameter_m=D, thrust=tc)
    with pytest.raises(InvalidParameterError, match="speed_m_s must be finite and >= 0"):
        wakes.jensen_wake_speeds([0], [0], wind_from_deg=0, speed_m_s=[-1], rotor_diameter_m=D, thrust=tc)
    with pytest.raises(InvalidParameterError, match="wake_decay"):
        wakes.jensen_wake_speeds([0], [0], wind_from_deg=0, speed_m_s=[8], rotor_diameter_m=D, thrust=tc,
                                 wake_decay=0.0)
