"""Wind criteria: hand-worked values, Rayleigh power density, CF against scipy.integrate.quad."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

import steppe_geo as sg
from steppe_geo.criteria import wind
from steppe_geo.errors import GridMismatchError, InvalidParameterError


def test_power_law_hand_and_raster(small_grid, rng, assert_same_georef):
    # 6 m/s at 10 m to 100 m with alpha = 1/7: 6 * 10**(1/7) = 6 * 1.389495 = 8.3370 m/s
    assert wind.power_law(6.0, height_m=100, reference_height_m=10) == pytest.approx(6 * 10 ** (1 / 7))
    assert wind.power_law(6.0, height_m=100, reference_height_m=10) == pytest.approx(8.3370, abs=1e-4)
    v = small_grid.to_dataarray(rng.uniform(3, 9, small_grid.shape), name="ws10", units="m s-1")
    v.values[0, 0] = np.nan
    alpha = small_grid.to_dataarray(np.full(small_grid.shape, 0.2), name="alpha")
    out = wind.power_law(v, height_m=120, reference_height_m=10, shear_exponent=alpha)
    assert_same_georef(out, v)
    np.testing.assert_allclose(out.values, v.values * 12 ** 0.2, equal_nan=True)
    assert np.isnan(out.values[0, 0]) and out.attrs["units"] == "m s-1"


def test_log_law_and_roughness(small_grid):
    # z0 = 0.03 m, 7 m/s at 10 m -> 100 m: 7 ln(100/0.03)/ln(10/0.03) = 7 * 8.1117/5.8091 = 9.7746
    expected = 7 * math.log(100 / 0.03) / math.log(10 / 0.03)
    assert wind.log_law(7.0, height_m=100, reference_height_m=10, z0_m=0.03) == pytest.approx(expected)
    assert expected == pytest.approx(9.7746, abs=1e-4)
    lc = np.full(small_grid.shape, 30, np.uint8)
    lc[0, :] = 10
    lc[1, :] = 0  # nodata / unknown
    z0 = wind.roughness_from_landcover(small_grid.to_dataarray(lc, name="lc", nodata=0))
    assert z0.values[5, 5] == 0.03 and z0.values[0, 0] == 0.75 and np.isnan(z0.values[1, 0])
    v = wind.log_law(small_grid.to_dataarray(np.full(small_grid.shape, 7.0)), height_m=100,
                     reference_height_m=10, z0_m=z0)
    assert v.values[5, 5] == pytest.approx(expected)
    assert np.isnan(v.values[1, 3])


def test_air_density():
    assert wind.air_density(0.0) == pytest.approx(1.225)
    # 1000 m: 1.225 * exp(-1000/8435) = 1.08805
    assert wind.air_density(1000.0) == pytest.approx(1.225 * math.exp(-1000 / 8435))
    # ISA at sea level, 15 °C: 101325 / (287.05 * 288.15) = 101325 / 82713.46 = 1.225012
    assert wind.air_density(0.0, temperature_c=15.0) == pytest.approx(1.225012, abs=1e-6)
    # colder air (-10 °C) at 1200 m is denser than the 15 °C standard form
    assert wind.air_density(1200.0, temperature_c=-10.0) > wind.air_density(1200.0)


def test_rayleigh_power_density_by_hand():
    # mean 7 m/s, k = 2: c = 7 / Gamma(1.5) = 7 / 0.886227 = 7.89865 m/s
    c = wind.weibull_scale(7.0, k=2.0)
    assert c == pytest.approx(7.0 / 0.8862269254527580)
    assert wind.weibull_mean(c, k=2.0) == pytest.approx(7.0)
    # WPD = 0.5 rho c^3 Gamma(2.5) = 0.5 rho mean^3 Gamma(2.5)/Gamma(1.5)^3 = 0.5 rho mean^3 * 6/pi
    #     = 0.6125 * 343 * 1.909859 = 401.2376 W/m^2
    assert wind.wind_power_density(c, k=2.0) == pytest.approx(0.5 * 1.225 * 343 * 6 / math.pi)
    assert wind.wind_power_density(c, k=2.0) == pytest.approx(401.2376, abs=1e-4)


@pytest.mark.parametrize("name", ["nrel_6mw_170", "iea_3.3mw_156"])
@pytest.mark.parametrize("k", [1.2, 2.0, 3.5, 5.0])
@pytest.mark.parametrize("c", [3.0, 5.0, 7.5, 9.0, 12.0, 15.0])
def test_capacity_factor_against_quad(name, c, k):
    # k = 5 on the long rated plateau (9 or 13 -> 25 m/s) was off by 1.2e-5 with Gauss-Legendre
    # over the whole plateau; plateaus are now integrated exactly with the Weibull CDF
    curve = wind.load_power_curve(name)

    def integrand(v):
        return curve.power(v) * stats.weibull_min.pdf(v, k, scale=c)

    ref, _ = integrate.quad(integrand, 0, curve.speed_m_s[-1], points=curve.speed_m_s, limit=500,
                            epsabs=1e-14, epsrel=1e-13)
    ref /= curve.rated_kw
    assert wind.capacity_factor(c, k=k, curve=name) == pytest.approx(ref, abs=1e-12)
    assert wind.annual_energy(c, k=k, curve=curve) == pytest.approx(ref * curve.rated_kw * 8.76, rel=1e-9)


def test_capacity_factor_of_a_long_sloped_segment_against_quad():
    # a user curve with one 9 m/s ramp and a plateau: the ramp is cut into 0.5 m/s pieces
    curve = wind.PowerCurve("ramp", (3.0, 12.0, 25.0), (0.0, 2000.0, 2000.0))
    for k in (1.2, 5.0):
        ref, _ = integrate.quad(lambda v, k=k: curve.power(v) * stats.weibull_min.pdf(v, k, scale=8.0),
                                0, 25, points=[3.0, 12.0], limit=500, epsabs=1e-14, epsrel=1e-13)
        assert wind.capacity_factor(8.0, k=k, curve=curve) == pytest.approx(ref / 2000.0, abs=1e-12)


def test_capacity_factor_raster(small_grid, rng, assert_same_georef):
    c = small_grid.to_dataarray(rng.uniform(5, 10, small_grid.shape), name="c")
    c.values[2, 2] = np.nan
    k = small_grid.to_dataarray(rng.uniform(1.5, 3, small_grid.shape), name="k")
    cf = wind.capacity_factor(c, k=k, curve="iea_3.3mw_156")
    assert_same_georef(cf, c)
    assert np.isnan(cf.values[2, 2]) and np.nanmax(cf.values) < 1
    assert cf.values[5, 5] == pytest.approx(
        wind.capacity_factor(float(c.values[5, 5]), k=float(k.values[5, 5]), curve="iea_3.3mw_156"))
    # thin air lowers CF (density-corrected speeds)
    assert wind.capacity_factor(7.0, curve="iea_3.3mw_156", air_density_kg_m3=1.05) < wind.capacity_factor(
        7.0, curve="iea_3.3mw_156")
    aep = wind.annual_energy(c, k=k, curve="iea_3.3mw_156")
    assert aep.attrs["units"] == "MWh yr-1"


def test_power_curve_files_have_sources():
    assert set(wind.available_power_curves()) >= {"nrel_6mw_170", "iea_3.3mw_156"}
    pc = wind.load_power_curve("nrel_6mw_170")
    assert pc.rated_kw == 6000 and pc.rotor_diameter_m == 170
    assert "turbine-models" in pc.source


def test_errors(small_grid):
    with pytest.raises(InvalidParameterError, match="falls from 500 kW at 6 m/s"):
        wind.PowerCurve("bad", (3, 5, 6, 7, 25), (0, 300, 500, 400, 3000))
    with pytest.raises(InvalidParameterError, match="negative power"):
        wind.PowerCurve("neg", (3, 5, 25), (-10, 300, 3000))
    with pytest.raises(InvalidParameterError, match="strictly increasing"):
        wind.PowerCurve("order", (3, 5, 5, 25), (0, 300, 400, 3000))
    with pytest.raises(InvalidParameterError, match="height_m must be a height in metres > 0"):
        wind.power_law(6.0, height_m=0, reference_height_m=10)
    with pytest.raises(InvalidParameterError, match=r"shear_exponent must be within"):
        wind.power_law(6.0, height_m=100, reference_height_m=10, shear_exponent=0.9)
    with pytest.raises(InvalidParameterError, match="z0_m"):
        wind.log_law(6.0, height_m=100, reference_height_m=10, z0_m=0)
    with pytest.raises(InvalidParameterError, match="did you mean 'nrel_6mw_170'"):
        wind.load_power_curve("nrel_6mw_17")
    with pytest.raises(InvalidParameterError, match="Weibull shape"):
        wind.weibull_scale(7.0, k=0)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: wind.wind_power_density(-5.0), r"c must be > 0 \(NaN marks nodata\), got -5"),
    (lambda: wind.capacity_factor(0.0), r"c must be > 0 \(NaN marks nodata\), got 0"),
    (lambda: wind.annual_energy(-1.0), r"c must be > 0 .*got -1"),
    (lambda: wind.weibull_mean(-2.0), r"c must be > 0 .*got -2"),
    (lambda: wind.weibull_scale(0.0), r"mean_speed must be > 0 .*got 0"),
    (lambda: wind.weibull_scale(float("inf")), r"mean_speed must be > 0 .*got inf"),
    (lambda: wind.wind_power_density(7.0, air_density_kg_m3=0.0), r"air_density_kg_m3 must be > 0 .*got 0"),
    (lambda: wind.capacity_factor(7.0, air_density_kg_m3=-1.2), r"air_density_kg_m3 must be > 0 .*got -1.2"),
])
def test_non_positive_speeds_refused(call, message):
    with pytest.raises(InvalidParameterError, match=message):
        call()


def test_non_positive_raster_values_refused_nan_allowed(small_grid):
    c = small_grid.to_dataarray(np.full(small_grid.shape, 7.0), name="c")
    c.values[0, 0] = np.nan
    assert np.isnan(wind.capacity_factor(c).values[0, 0])  # NaN = nodata, no warning
    assert np.isnan(wind.wind_power_density(c).values[0, 0])
    c.values[1, 1] = -3.0
    c.values[2, 2] = 0.0
    with pytest.raises(InvalidParameterError, match=r"c must be > 0 .*got -3 \(2 of 2501 values\)"):
        wind.capacity_factor(c)
    other = sg.Grid.from_bounds((0, 0, 300, 300), crs="EPSG:32649", resolution_m=30)
    with pytest.raises(GridMismatchError, match="different grids"):
        wind.power_law(small_grid.to_dataarray(np.ones(small_grid.shape)), height_m=100,
                       reference_height_m=10, shear_exponent=other.to_dataarray(np.full((10, 10), 0.14)))


def test_capacity_factor_on_grid_windows_equals_whole(small_grid, rng):
    c = small_grid.to_dataarray(rng.uniform(5, 10, small_grid.shape), name="c")
    whole = wind.capacity_factor(c, k=2.2)
    for w in small_grid.windows(17, halo=wind.HALO):
        part = wind.capacity_factor(c.isel(y=w.padded_slices[0], x=w.padded_slices[1]), k=2.2)
        np.testing.assert_allclose(part.values[w.inner], whole.values[w.core_slices], rtol=1e-12)
