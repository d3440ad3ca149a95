"""CapacityFactorTable: a power curve's Weibull integral tabulated over (c, k), interpolated (issue 12).

Independent reference: ``scipy.integrate.quad`` of the power curve times
``scipy.stats.weibull_min.pdf`` at random (c, k), as for the exact integral in ``test_wind.py``.
"""

import numpy as np
import pytest
from scipy import integrate, stats

from steppe_geo.criteria import CapacityFactorTable, capacity_factor
from steppe_geo.criteria.wind import capacity_factor_kernel, load_power_curve
from steppe_geo.errors import InvalidParameterError


def _quad_cf(curve, c, k):
    ref, _ = integrate.quad(lambda v: curve.power(v) * stats.weibull_min.pdf(v, k, scale=c), 0,
                            curve.speed_m_s[-1], points=curve.speed_m_s, limit=500, epsabs=1e-11,
                            epsrel=1e-10)
    return ref / curve.rated_kw


def _exact(curve, c, k):
    speeds, power = np.asarray(curve.speed_m_s), np.asarray(curve.power_kw)
    return capacity_factor_kernel(c, k, speeds, power, curve.rated_kw)


@pytest.mark.parametrize("name", ["nrel_6mw_170", "iea_3.3mw_156"])
def test_table_within_1e_6_of_scipy_quadrature_at_random_c_and_k(name):
    curve = load_power_curve(name)
    rng = np.random.default_rng(12)
    c, k = rng.uniform(3.0, 13.0, 15), rng.uniform(1.3, 3.5, 15)
    table = CapacityFactorTable(curve)
    got = table(c, k)
    ref = np.array([_quad_cf(curve, ci, ki) for ci, ki in zip(c, k, strict=True)])
    assert np.abs(got - ref).max() <= 1e-6
    assert table.nodes > 0 and not np.array_equal(got, _exact(curve, c, k))  # it did interpolate


@pytest.mark.parametrize("name", ["nrel_6mw_170", "iea_3.3mw_156"])
def test_table_error_on_many_points_is_below_its_tolerance(name):
    # the exact integral (itself within 1e-12 of quad, test_wind.py) at 5,000 random points
    curve = load_power_curve(name)
    rng = np.random.default_rng(5)
    c, k = rng.uniform(2.0, 12.0, 5000), rng.uniform(1.2, 3.0, 5000)
    err = np.abs(CapacityFactorTable(curve)(c, k) - _exact(curve, c, k))
    assert err.max() <= 1e-7 and err.max() > 0


def test_values_do_not_depend_on_the_order_or_pieces_they_are_asked_in():
    # windows and parcel chunks ask for pieces; memory mode for everything at once
    rng = np.random.default_rng(7)
    c, k = rng.uniform(5.0, 9.0, 3000), rng.uniform(1.8, 2.6, 3000)
    whole = CapacityFactorTable("nrel_6mw_170")(c, k)
    pieces = CapacityFactorTable("nrel_6mw_170")
    order = rng.permutation(3000)
    got = np.empty(3000)
    for part in np.array_split(order, 7):
        got[part] = pieces(c[part], k[part])
    np.testing.assert_array_equal(got, whole)


def test_cells_that_fail_their_check_and_points_off_the_lattice_get_the_exact_integral():
    curve = load_power_curve("iea_3.3mw_156")
    c = np.array([0.05, 7.0, 8.0, 9.0, 70.0, 8.0, np.nan, 8.0])
    k = np.array([2.0, 2.0, 0.03, 2.2, 2.0, 15.0, 2.0, np.nan])
    strict = CapacityFactorTable(curve, tolerance=1e-18)  # no cell passes: everything exact
    want = _exact(curve, c, k)
    np.testing.assert_array_equal(strict(c, k), want)
    loose = CapacityFactorTable(curve)(c, k)  # c = 0.05, 70 m/s; k = 0.03, 15: off the lattice, exact
    np.testing.assert_array_equal(loose[[0, 2, 4, 5]], want[[0, 2, 4, 5]])
    assert np.isnan(loose[6:]).all()
    np.testing.assert_allclose(loose, want, atol=1e-7)


def test_capacity_factor_with_a_table_keeps_the_grid_and_refuses_another_curve(small_grid, rng,
                                                                                 assert_same_georef):
    c = small_grid.to_dataarray(rng.uniform(5, 10, small_grid.shape), name="c")
    k = small_grid.to_dataarray(rng.uniform(1.6, 2.6, small_grid.shape), name="k")
    table = CapacityFactorTable("nrel_6mw_170")
    got = capacity_factor(c, k=k, curve="nrel_6mw_170", table=table, losses=0.1)
    exact = capacity_factor(c, k=k, curve="nrel_6mw_170", losses=0.1)
    assert_same_georef(got, c)
    np.testing.assert_allclose(got.values, exact.values, atol=1e-7, rtol=0)
    with pytest.raises(InvalidParameterError, match="table: give a CapacityFactorTable of power curve 'iea"):
        capacity_factor(c, k=k, curve="iea_3.3mw_156", table=table)


def test_table_errors():
    with pytest.raises(InvalidParameterError, match="c_step_m_s must be a number > 0, got 0"):
        CapacityFactorTable("nrel_6mw_170", c_step_m_s=0)
    with pytest.raises(InvalidParameterError, match="tolerance must be a number > 0, got nan"):
        CapacityFactorTable("nrel_6mw_170", tolerance=float("nan"))
    with pytest.raises(InvalidParameterError, match="power curve 'nope' not found"):
        CapacityFactorTable("nope")
    with pytest.raises(InvalidParameterError, match="k must be > 0, got min -1"):
        CapacityFactorTable("nrel_6mw_170")(np.array([8.0]), np.array([-1.0]))
