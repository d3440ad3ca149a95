"""Derivation adapters that call the criteria functions give the numbers of the formulas written out."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine
from scipy.special import gamma

from steppe_geo import Grid
from steppe_geo.errors import InvalidParameterError
from steppe_geo.models.derivations import DERIVATIONS

GRID = Grid(crs="EPSG:32649", transform=Affine(1000, 0, 400_000, 0, -1000, 4_500_000), shape=(6, 7))


def _layers():
    rng = np.random.default_rng(7)
    v = rng.uniform(3.0, 11.0, GRID.shape)
    k = rng.uniform(1.3, 3.2, GRID.shape)
    z = rng.uniform(0.0, 3500.0, GRID.shape)
    v[0, 0] = np.nan  # nodata as NaN
    v[1, 1] = -9999.0  # nodata by the tag
    k[2, 3] = np.nan
    return {
        "wind_speed": GRID.to_dataarray(v, name="wind_speed", units="m s-1", nodata=-9999.0),
        "weibull_k": GRID.to_dataarray(k, name="weibull_k", units="1"),
        "dem": GRID.to_dataarray(z, name="dem", units="m"),
    }, v, k, z


def test_wind_power_density_is_the_written_out_formula_bit_for_bit():
    layers, v, k, z = _layers()
    out = DERIVATIONS["wind_power_density"](layers, ("wind_speed", "weibull_k", "dem"), GRID)
    v = np.where(v == -9999.0, np.nan, v)
    # WPD = ½ ρ c³ Γ(1 + 3/k), c = v̄ / Γ(1 + 1/k), ρ = 1.225 exp(−z / 8435 m), in the order of the
    # formula the adapter used before it called steppe_geo.criteria
    c = v / gamma(1 + 1 / k)
    expected = 0.5 * (1.225 * np.exp(-z / 8435.0)) * c**3 * gamma(1 + 3 / k)
    np.testing.assert_array_equal(out.values, expected)
    assert np.isnan(out.values[0, 0]) and np.isnan(out.values[1, 1]) and np.isnan(out.values[2, 3])
    assert out.name == "wind_power_density" and out.attrs["units"] == "W m-2"


def test_wind_power_density_of_rayleigh_wind_at_sea_level_by_hand():
    # v̄ = 7 m/s, k = 2 (Rayleigh), z = 0: ½ × 1.225 × 7³ × 6/π = 401.2376 W/m² (Γ(2.5)/Γ(1.5)³ = 6/π)
    layers = {"v": GRID.to_dataarray(np.full(GRID.shape, 7.0)),
              "k": GRID.to_dataarray(np.full(GRID.shape, 2.0)), "z": GRID.to_dataarray(np.zeros(GRID.shape))}
    out = DERIVATIONS["wind_power_density"](layers, ("v", "k", "z"), GRID)
    np.testing.assert_allclose(out.values, 0.5 * 1.225 * 343 * 6 / math.pi, rtol=1e-12)
    np.testing.assert_allclose(out.values, 401.2376, atol=1e-4)


def test_windy_days_is_the_written_out_formula_bit_for_bit():
    layers, v, k, _ = _layers()
    out = DERIVATIONS["windy_days"](layers, ("wind_speed", "weibull_k"), GRID, windy_days_threshold_ms=6.0,
                                    reference_height_m=100.0, shear_exponent=1 / 7)
    v = np.where(v == -9999.0, np.nan, v)
    c = v * (10.0 / 100.0) ** (1 / 7) / gamma(1 + 1 / k)
    np.testing.assert_array_equal(out.values, 182.0 * np.exp(-((6.0 / c) ** k)))
    assert out.name == "windy_days" and out.attrs["units"] == "days"


def test_windy_days_by_hand():
    # 8 m/s at 100 m → 10 m: 8 × 0.1^(1/7) = 5.757485; c = 5.757485 / Γ(1.5) = 6.496627;
    # 182 days × exp(−(6 / 6.496627)²) = 182 × exp(−0.852956) = 77.5599 days
    layers = {"v": GRID.to_dataarray(np.full(GRID.shape, 8.0)),
              "k": GRID.to_dataarray(np.full(GRID.shape, 2.0))}
    out = DERIVATIONS["windy_days"](layers, ("v", "k"), GRID)
    np.testing.assert_allclose(out.values, 77.5599, atol=5e-4)


@pytest.mark.parametrize(("function", "inputs"), [("wind_power_density", ("v", "k", "z")),
                                                  ("windy_days", ("v", "k"))])
def test_a_mean_wind_speed_of_zero_is_refused_naming_it(function, inputs):
    v = np.full(GRID.shape, 6.0)
    v[3, 3] = 0.0
    layers = {"v": GRID.to_dataarray(v), "k": GRID.to_dataarray(np.full(GRID.shape, 2.0)),
              "z": GRID.to_dataarray(np.zeros(GRID.shape))}
    with pytest.raises(InvalidParameterError, match=r"mean_speed must be > 0 .*got 0 \(1 of 42 values\)"):
        DERIVATIONS[function](layers, inputs, GRID)
