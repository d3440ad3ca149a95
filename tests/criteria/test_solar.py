"""Solar criteria: Erbs by hand, the monthly method against Klein's closed form and pvlib, gains."""

from __future__ import annotations

import math

import numpy as np
import pvlib
import pytest

import steppe_geo as sg
from steppe_geo.criteria import solar, terrain
from steppe_geo.errors import InvalidParameterError

# Klein (1977) mean days of the months (Duffie & Beckman Table 1.6.1) and month lengths
MEAN_DAYS = [17, 47, 75, 105, 135, 162, 198, 228, 258, 288, 318, 344]
MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
GSC = 1.361  # kW/m²


def _erbs_monthly(kt, ws_deg):
    """Duffie & Beckman eq. 2.12.1 (Erbs, Klein & Duffie 1982), written out independently."""
    kt = min(max(kt, 0.3), 0.8)
    if ws_deg <= 81.4:
        return 1.391 - 3.560 * kt + 4.189 * kt**2 - 2.137 * kt**3
    return 1.311 - 3.022 * kt + 3.427 * kt**2 - 1.821 * kt**3


def _day(n, phi):
    d = math.radians(23.45 * math.sin(math.radians(360 * (284 + n) / 365)))
    ws = math.acos(-math.tan(phi) * math.tan(d))
    e0 = 1 + 0.033 * math.cos(math.radians(360 * n / 365))
    h0 = 24 / math.pi * GSC * e0 * (math.cos(phi) * math.cos(d) * math.sin(ws)
                                    + ws * math.sin(phi) * math.sin(d))
    return d, ws, h0


def test_erbs_by_hand():
    # hourly, Kt = 0.5: 0.9511 - 0.1604*0.5 + 4.388*0.25 - 16.638*0.125 + 12.336*0.0625 = 0.65915
    assert float(solar.erbs_diffuse_fraction(0.5)) == pytest.approx(0.65915, abs=1e-5)
    assert float(solar.erbs_diffuse_fraction(0.1)) == pytest.approx(0.991)
    assert float(solar.erbs_diffuse_fraction(0.9)) == pytest.approx(0.165)
    # monthly, K̄T = 0.5, ωs <= 81.4°: 1.391 - 1.780 + 1.04725 - 0.267125 = 0.391125
    assert float(solar.erbs_monthly_diffuse_fraction(0.5, 70.0)) == pytest.approx(0.391125, abs=1e-12)
    # ωs > 81.4°: 1.311 - 1.511 + 0.85675 - 0.227625 = 0.429125
    assert float(solar.erbs_monthly_diffuse_fraction(0.5, 100.0)) == pytest.approx(0.429125, abs=1e-12)
    # outside the fitted range K̄T is clipped: 0.9 -> 0.8, 0.1 -> 0.3
    assert float(solar.erbs_monthly_diffuse_fraction(0.9, 70.0)) == pytest.approx(_erbs_monthly(0.8, 70.0))
    assert float(solar.erbs_monthly_diffuse_fraction(0.1, 90.0)) == pytest.approx(_erbs_monthly(0.3, 90.0))


def test_h0_closed_form_and_daily_sum():
    # the monthly H0 (closed form on the mean day x days) sums to the daily
    # closed form (D&B eq. 1.10.3) summed over all 365 days within 0.3 % (Klein's mean days)
    lat = 41.0
    phi = math.radians(lat)
    every_day = sum(_day(n, phi)[2] for n in range(1, 366))
    h0, _, rb = solar._monthly_geometry(np.array([lat]), np.array([0.0]), np.array([180.0]))
    assert h0.sum() == pytest.approx(every_day, rel=3e-3)  # mean days: 0.24 % high at 41° N
    assert h0[0, 0] == pytest.approx(_day(17, phi)[2] * 31, rel=1e-12)
    np.testing.assert_array_equal(rb, 1.0)  # the horizontal plane: exactly 1


@pytest.mark.parametrize(("lat", "tilt"), [(41.0, 41.0), (41.0, 20.0), (43.0, 60.0), (-30.0, 30.0)])
def test_equator_facing_yield_against_klein_closed_form(lat, tilt):
    # Duffie & Beckman §2.19 worked by hand for an equator-facing plane: per month
    #   ω's = min(ωs, arccos(-tan(φ - β) tan δ))
    #   R̄b = [cos(φ-β) cos δ sin ω's + ω's sin(φ-β) sin δ] / [cos φ cos δ sin ωs + ωs sin φ sin δ]
    #   H̄T = H̄ [(1 - Fd) R̄b + Fd (1 + cos β)/2 + ρ (1 - cos β)/2], H̄ = K̄T H̄o, K̄T = GHI / ΣH̄o
    # (southern hemisphere: φ -> -φ, δ -> -δ by symmetry, i.e. use |φ| and -δ)
    ghi, albedo = 1600.0, 0.2
    south = lat < 0
    phi, beta = math.radians(abs(lat)), math.radians(tilt)
    days = []
    for n, nd in zip(MEAN_DAYS, MONTH_DAYS, strict=True):
        d, _, _ = _day(n, math.radians(lat))
        d = -d if south else d
        ws = math.acos(-math.tan(phi) * math.tan(d))
        e0 = 1 + 0.033 * math.cos(math.radians(360 * n / 365))
        h0 = 24 / math.pi * GSC * e0 * (math.cos(phi) * math.cos(d) * math.sin(ws)
                                         + ws * math.sin(phi) * math.sin(d)) * nd
        ws2 = min(ws, math.acos(-math.tan(phi - beta) * math.tan(d)))
        rb = ((math.cos(phi - beta) * math.cos(d) * math.sin(ws2) + ws2 * math.sin(phi - beta) * math.sin(d))
              / (math.cos(phi) * math.cos(d) * math.sin(ws) + ws * math.sin(phi) * math.sin(d)))
        days.append((h0, math.degrees(ws), rb))
    kt = ghi / sum(h0 for h0, _, _ in days)
    poa = 0.0
    for h0, ws_deg, rb in days:
        fd = _erbs_monthly(kt, ws_deg)
        poa += kt * h0 * ((1 - fd) * rb + fd * (1 + math.cos(beta)) / 2 + albedo * (1 - math.cos(beta)) / 2)
    az = 0.0 if south else 180.0
    gain = solar.poa_gain(ghi, latitude_deg=lat, tilt_deg=tilt, azimuth_deg=az, albedo=albedo)
    assert gain == pytest.approx(poa / ghi, rel=1e-12)
    assert solar.specific_yield(ghi, latitude_deg=lat, tilt_deg=tilt, azimuth_deg=az) == pytest.approx(
        0.8 * poa, rel=5e-4)


@pytest.mark.parametrize(("lat", "tilt", "azimuth"), [
    (41.0, 25.0, 120.0), (41.0, 15.0, 250.0), (41.0, 35.0, 180.0), (41.0, 10.0, 20.0),
    (41.0, 90.0, 0.0),  # vertical, north-facing: beam only in summer mornings and evenings
    (41.0, 90.0, 90.0), (55.0, 80.0, 200.0), (-30.0, 30.0, 0.0), (10.0, 45.0, 300.0),
])
def test_any_orientation_against_pvlib(lat, tilt, azimuth):
    # Independent transposition: pvlib (analytical sun position with Cooper's declination,
    # isotropic-sky get_total_irradiance) on each mean day at 12-second steps. Same assumptions as
    # the model: K̄T = GHI / ΣH̄o every month, Erbs monthly diffuse fraction (written out above),
    # and within a day beam and diffuse horizontal irradiance proportional to cos(zenith), i.e.
    # a constant beam normal irradiance (as Klein's R̄b assumes).
    ghi, albedo = 1600.0, 0.2
    phi = math.radians(lat)
    month = [(n, nd, *_day(n, phi)) for n, nd in zip(MEAN_DAYS, MONTH_DAYS, strict=True)]
    kt = ghi / sum(h0 * nd for _, nd, _, _, h0 in month)
    poa_total = 0.0
    for n, nd, _, ws, h0 in month:
        hour_angle = np.arange(-180.0, 180.0, 0.05) + 0.025  # degrees, 12-second midpoints
        decl = pvlib.solarposition.declination_cooper69(n)
        zen = pvlib.solarposition.solar_zenith_analytical(phi, np.radians(hour_angle), decl)
        azi = pvlib.solarposition.solar_azimuth_analytical(phi, np.radians(hour_angle), decl, zen)
        cosz = np.cos(zen)
        up = cosz > 0
        dt_h = 24.0 / hour_angle.size
        h_day = kt * h0  # kWh/m² per day
        fd = _erbs_monthly(kt, math.degrees(ws))
        norm = (cosz[up] * dt_h).sum()
        dni = np.full(up.sum(), (1 - fd) * h_day / norm)  # kW/m², constant over the day
        dhi = fd * h_day * cosz[up] / norm
        irr = pvlib.irradiance.get_total_irradiance(
            tilt, azimuth, np.degrees(zen[up]), np.degrees(azi[up]), dni, dni * cosz[up] + dhi, dhi,
            albedo=albedo, model="isotropic")
        poa_total += float(np.sum(irr["poa_global"]) * dt_h) * nd
    gain = solar.poa_gain(ghi, latitude_deg=lat, tilt_deg=tilt, azimuth_deg=azimuth, albedo=albedo)
    # ours integrates in closed form; pvlib's 12-second sums are within 3e-5 of it (1e-5 at 2.4 s)
    assert gain == pytest.approx(poa_total / ghi, rel=1e-4)


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


def test_flat_terrain_through_slope_and_aspect_gives_horizontal_yield():
    # aspect is NaN on flat ground; the azimuth of a horizontal plane does not matter, so the
    # documented slope/aspect path must give the horizontal yield there (it gave NaN)
    g = sg.Grid(crs="EPSG:32649", transform=(30, 0, 400_000, 0, -30, 4_431_000), shape=(8, 10))
    z = np.full(g.shape, 1200.0)
    z[:, 6:] = 1200.0 + 30.0 * np.tan(np.radians(8.0)) * np.arange(4)[::-1]  # falls to the east
    dem = g.to_dataarray(z, name="dem", units="m")
    s, a = terrain.slope(dem), terrain.aspect(dem)
    assert np.isnan(a.values[3, 2]) and s.values[3, 2] == 0.0
    ghi = g.to_dataarray(np.full(g.shape, 1650.0), name="ghi")
    y = solar.specific_yield(ghi, latitude_deg=41.0, tilt_deg=s, azimuth_deg=a)
    flat = solar.specific_yield(1650.0, latitude_deg=41.0, tilt_deg=0.0)
    assert flat == pytest.approx(1650.0 * 0.8)  # horizontal: POA = GHI
    np.testing.assert_allclose(y.values[1:-1, 1:5], flat, rtol=1e-12)
    # the east-facing 8° slope: as a plane tilted 8° facing 90°
    east = solar.specific_yield(1650.0, latitude_deg=41.0, tilt_deg=8.0, azimuth_deg=90.0)
    np.testing.assert_allclose(y.values[1:-1, 7:9], east, rtol=1e-9)
    assert np.isnan(y.values[0]).all()  # the DEM's border has no slope


def test_windowed_equals_whole(small_grid, rng):
    ghi = small_grid.to_dataarray(rng.uniform(1400, 1750, small_grid.shape), name="ghi")
    lat = small_grid.to_dataarray(np.linspace(40, 42, small_grid.cols)[None, :].repeat(small_grid.rows, 0))
    tilt = small_grid.to_dataarray(rng.uniform(0, 30, small_grid.shape), name="slope")
    az = small_grid.to_dataarray(rng.uniform(0, 360, small_grid.shape), name="aspect")
    az.values[tilt.values < 3] = np.nan
    tilt.values[tilt.values < 3] = 0.0
    whole = solar.specific_yield(ghi, latitude_deg=lat, tilt_deg=tilt, azimuth_deg=az)
    assert np.isfinite(whole.values).all()
    for w in small_grid.windows((9, 14), halo=solar.HALO):
        part = [da.isel(y=w.padded_slices[0], x=w.padded_slices[1]) for da in (ghi, lat, tilt, az)]
        out = solar.specific_yield(part[0], latitude_deg=part[1], tilt_deg=part[2], azimuth_deg=part[3])
        np.testing.assert_array_equal(out.values[w.inner], whole.values[w.core_slices])


def test_errors(small_grid):
    with pytest.raises(InvalidParameterError, match="performance_ratio must be within"):
        solar.specific_yield(1600.0, latitude_deg=41, performance_ratio=1.5)
    with pytest.raises(InvalidParameterError, match=r"tilt_deg must be within \[0, 90\], got 120"):
        solar.poa_gain(1600.0, latitude_deg=41, tilt_deg=120)
    with pytest.raises(InvalidParameterError, match=r"latitude_deg must be within \[-66, 66\].*got 80"):
        solar.poa_gain(1600.0, latitude_deg=80)
    with pytest.raises(InvalidParameterError, match=r"ghi_kwh_m2_yr must be > 0 .*got -5"):
        solar.specific_yield(-5.0, latitude_deg=41)
    with pytest.raises(InvalidParameterError, match=r"ghi_kwh_m2_yr must be > 0 .*got 0"):
        solar.poa_gain(0.0, latitude_deg=41)
    ghi = small_grid.to_dataarray(np.full(small_grid.shape, 1600.0), name="ghi")
    ghi.values[3, 3] = -1.0
    with pytest.raises(InvalidParameterError, match=r"ghi_kwh_m2_yr must be > 0 .*got -1 \(1 of 2501"):
        solar.specific_yield(ghi, latitude_deg=41)
    with pytest.raises(InvalidParameterError, match=r"exceeds the extraterrestrial irradiation.*got 4000"):
        solar.specific_yield(4000.0, latitude_deg=41)
