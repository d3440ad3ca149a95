"""Solar criteria: Erbs by hand, extraterrestrial H0 against the closed-form daily formula, gains."""

from __future__ import annotations

import math

import numpy as np
import pytest

from steppe_geo.criteria import solar
from steppe_geo.errors import InvalidParameterError


def test_erbs_by_hand():
    # Kt = 0.5: 0.9511 - 0.1604*0.5 + 4.388*0.25 - 16.638*0.125 + 12.336*0.0625 = 0.65915
    assert float(solar.erbs_diffuse_fraction(0.5)) == pytest.approx(0.65915, abs=1e-5)
    assert float(solar.erbs_diffuse_fraction(0.1)) == pytest.approx(0.991)
    assert float(solar.erbs_diffuse_fraction(0.9)) == pytest.approx(0.165)


def test_h0_against_closed_form():
    # Duffie & Beckman eq. 1.10.3: daily H0 = 24/pi Gsc E0 (cos phi cos d sin ws + ws sin phi sin d)
    lat = 41.0
    phi = math.radians(lat)
    total = 0.0
    for n in solar._DAYS:
        d = math.radians(23.45 * math.sin(math.radians(360 * (284 + n) / 365)))
        ws = math.acos(-math.tan(phi) * math.tan(d))
        e0 = 1 + 0.033 * math.cos(math.radians(360 * n / 365))
        total += 24 / math.pi * 1.361 * e0 * (math.cos(phi) * math.cos(d) * math.sin(ws)
                                              + ws * math.sin(phi) * math.sin(d))
    expected = total * 365 / len(solar._DAYS)
    h0, rb = solar._h0_and_rb(np.array([lat]), np.array([0.0]), np.array([180.0]))
    assert h0[0] == pytest.approx(expected, rel=2e-3)  # 30-min midpoint sum vs exact integral
    assert rb[0] == pytest.approx(1.0)


def test_gains_and_yield(small_grid, assert_same_georef):
    assert solar.poa_gain(1600.0, latitude_deg=41, tilt_deg=0) == pytest.approx(1.0)
    south = solar.poa_gain(1600.0, latitude_deg=41, tilt_deg=20, azimuth_deg=180)
    north = solar.poa_gain(1600.0, latitude_deg=41, tilt_deg=20, azimuth_deg=0)
    east = solar.poa_gain(1600.0, latitude_deg=41, tilt_deg=20, azimuth_deg=90)
    west = solar.poa_gain(1600.0, latitude_deg=41, tilt_deg=20, azimuth_deg=270)
    assert north < 1.0 < south and east == pytest.approx(west, rel=1e-9)
    y = solar.specific_yield(1600.0, latitude_deg=41)
    assert y == pytest.approx(1600 * 0.8 * solar.poa_gain(1600.0, latitude_deg=41))
    assert solar.solar_capacity_factor(y) == pytest.approx(y / 8760)
    ghi = small_grid.to_dataarray(np.full(small_grid.shape, 1650.0), name="ghi")
    ghi.values[0, 0] = np.nan
    slope = small_grid.to_dataarray(np.full(small_grid.shape, 5.0), name="slope")
    aspect = small_grid.to_dataarray(np.full(small_grid.shape, 180.0), name="aspect")
    aspect.values[:, 30:] = 0.0
    out = solar.specific_yield(ghi, latitude_deg=41.0, tilt_deg=slope, azimuth_deg=aspect)
    assert_same_georef(out, ghi)
    assert np.isnan(out.values[0, 0]) and out.values[5, 5] > out.values[5, 40]
    assert out.attrs["units"] == "kWh kWp-1 yr-1"


def test_errors():
    with pytest.raises(InvalidParameterError, match="performance_ratio must be within"):
        solar.specific_yield(1600.0, latitude_deg=41, performance_ratio=1.5)
    with pytest.raises(InvalidParameterError, match="tilt_deg must be within"):
        solar.poa_gain(1600.0, latitude_deg=41, tilt_deg=120)
    with pytest.raises(InvalidParameterError, match="latitude_deg must be within"):
        solar.poa_gain(1600.0, latitude_deg=80)
