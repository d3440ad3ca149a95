"""Climate criteria: UNEP aridity classes at their breaks, Bagnouls-Gaussen by hand."""

from __future__ import annotations

import numpy as np
import pytest

import steppe_geo as sg
from steppe_geo.criteria import climate
from steppe_geo.errors import GridMismatchError, InvalidParameterError


def test_aridity_index_and_classes(small_grid, assert_same_georef):
    p = np.full(small_grid.shape, 300.0)
    pet = np.full(small_grid.shape, 1000.0)
    values = [0.0, 0.049, 0.05, 0.199, 0.2, 0.499, 0.5, 0.649, 0.65, 2.0]
    p[0, : len(values)] = np.array(values) * 1000.0
    pet[1, 0] = 0.0
    p[2, 0] = np.nan
    ai = climate.aridity_index(small_grid.to_dataarray(p, name="p"), small_grid.to_dataarray(pet, name="pet"))
    assert_same_georef(ai, small_grid.to_dataarray(p))
    assert ai.values[5, 5] == pytest.approx(0.3)
    assert np.isnan(ai.values[1, 0]) and np.isnan(ai.values[2, 0])
    cls = climate.aridity_class(ai)
    np.testing.assert_array_equal(cls.values[0, : len(values)], [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    assert cls.values[1, 0] == 0 and cls.values[5, 5] == 3


def test_bagnouls_gaussen_by_hand(small_grid):
    # one pixel: t = [-20,-15,-5,5,13,19,22,20,13,4,-7,-17] °C, P = [2,3,5,10,25,50,90,80,30,10,4,2] mm
    # 2t - P > 0 in Apr (10-10=0, no), May 26-25=1, Jun 38-50 no, Jul 44-90 no, Aug 40-80 no,
    # Sep 26-30 no -> BGI = 1 with k = 1; with Jun t = 30: 60 - 50 = 10 -> BGI = 11
    t = np.array([-20, -15, -5, 5, 13, 19, 22, 20, 13, 4, -7, -17], float)
    pr = np.array([2, 3, 5, 10, 25, 50, 90, 80, 30, 10, 4, 2], float)
    tt = np.broadcast_to(t[:, None, None], (12, *small_grid.shape)).copy()
    pp = np.broadcast_to(pr[:, None, None], (12, *small_grid.shape)).copy()
    tt[5, 0, 0] = 30.0
    tt[3, 1, 1] = np.nan
    tda = small_grid.to_dataarray(tt, name="t").rename(band="month")
    pda = small_grid.to_dataarray(pp, name="p").rename(band="month")
    bgi = climate.bagnouls_gaussen(tda, pda)
    assert bgi.values[5, 5] == pytest.approx(1.0)
    assert bgi.values[0, 0] == pytest.approx(11.0)
    assert np.isnan(bgi.values[1, 1])
    half = small_grid.to_dataarray(np.full((12, *small_grid.shape), 0.5)).rename(band="month")
    assert climate.bagnouls_gaussen(tda, pda, dry_fraction=half).values[0, 0] == pytest.approx(5.5)
    bgi.values[2, 2:9] = [49.9, 50, 74.9, 75, 125, 150, 400]
    np.testing.assert_array_equal(climate.bagnouls_gaussen_class(bgi).values[2, 2:9], [1, 2, 2, 3, 5, 6, 6])


def test_errors(small_grid):
    other = sg.Grid.from_bounds((0, 0, 300, 300), crs="EPSG:32649", resolution_m=30)
    with pytest.raises(GridMismatchError, match="different grids"):
        climate.aridity_index(small_grid.to_dataarray(np.ones(small_grid.shape)),
                              other.to_dataarray(np.ones((10, 10))))
    with pytest.raises(InvalidParameterError, match="'month' dimension"):
        climate.bagnouls_gaussen(small_grid.to_dataarray(np.ones(small_grid.shape)),
                                 small_grid.to_dataarray(np.ones(small_grid.shape)))
    bgi = small_grid.to_dataarray(np.ones(small_grid.shape), name="bagnouls_gaussen_index")
    with pytest.raises(InvalidParameterError, match="UNEP classes apply only to P/PET"):
        climate.aridity_class(bgi)
