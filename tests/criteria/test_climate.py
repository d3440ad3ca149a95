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


def _monthly(grid, values, name):
    arr = np.broadcast_to(np.asarray(values, float)[:, None, None], (len(values), *grid.shape)).copy()
    return grid.to_dataarray(arr, name=name).rename(band="month")


T = [-20, -15, -5, 5, 13, 19, 22, 20, 13, 4, -7, -17]
P = [2, 3, 5, 10, 25, 50, 90, 80, 30, 10, 4, 2]


def test_bagnouls_gaussen_input_checks(small_grid):
    t, p = _monthly(small_grid, T, "t"), _monthly(small_grid, P, "p")
    other = sg.Grid.from_bounds((0, 0, 300, 300), crs="EPSG:32649", resolution_m=30)
    with pytest.raises(GridMismatchError, match=r"'temperature_c' and 'dry_fraction' are on different"):
        climate.bagnouls_gaussen(t, p, dry_fraction=_monthly(other, [0.5] * 12, "k"))
    with pytest.raises(InvalidParameterError, match=r"temperature_c must have 12 months, got 11"):
        climate.bagnouls_gaussen(t.isel(month=slice(0, 11)), p)
    with pytest.raises(InvalidParameterError, match=r"dry_fraction must have 12 months, got 6"):
        climate.bagnouls_gaussen(t, p, dry_fraction=_monthly(small_grid, [0.5] * 6, "k"))
    with pytest.raises(InvalidParameterError, match=r"dry_fraction must be a DataArray with a 'month' dim"):
        climate.bagnouls_gaussen(t, p, dry_fraction=small_grid.to_dataarray(np.ones(small_grid.shape)))
    with pytest.raises(InvalidParameterError, match=r"dry_fraction must be within \[0, 1\].*got 1.5"):
        climate.bagnouls_gaussen(t, p, dry_fraction=_monthly(small_grid, [1.5] * 12, "k"))
    with pytest.raises(InvalidParameterError, match=r"dry_fraction must be within \[0, 1\].*got -0.1"):
        climate.bagnouls_gaussen(t, p, dry_fraction=_monthly(small_grid, [-0.1] * 12, "k"))
    # k = 0 and k = 1 are allowed; NaN k propagates
    k = _monthly(small_grid, [0.0] * 6 + [1.0] * 6, "k")
    k.values[4, 2, 2] = np.nan
    out = climate.bagnouls_gaussen(t, p, dry_fraction=k)
    assert out.values[5, 5] == 0.0 and np.isnan(out.values[2, 2])  # the only dry month (May) has k = 0


def test_class_functions_check_the_index_tag_not_the_name(small_grid):
    t, p = _monthly(small_grid, T, "t"), _monthly(small_grid, P, "p")
    bgi = climate.bagnouls_gaussen(t, p)
    assert bgi.attrs["index"] == "Bagnouls-Gaussen"
    renamed = bgi.rename("layer_1")  # a renamed BGI layer is still refused
    with pytest.raises(InvalidParameterError,
                       match=r"UNEP classes apply only to P/PET, got layer 'layer_1' holding the Bagnouls"):
        climate.aridity_class(renamed)
    ai = climate.aridity_index(small_grid.to_dataarray(np.full(small_grid.shape, 300.0)),
                               small_grid.to_dataarray(np.full(small_grid.shape, 1000.0)))
    assert ai.attrs["index"] == "P/PET"
    assert climate.aridity_class(ai.rename("bgi_like_name")).values[0, 0] == 3  # the tag wins over the name
    with pytest.raises(InvalidParameterError,
                       match=r"Bagnouls-Gaussen classes apply only to that index, got layer 'aridity_index'"):
        climate.bagnouls_gaussen_class(ai)
    untagged = small_grid.to_dataarray(np.full(small_grid.shape, 0.3), name="my_p_over_pet")
    assert climate.aridity_class(untagged).values[0, 0] == 3  # an untagged, neutral layer is accepted


def test_climate_windowed_equals_whole(small_grid, rng):
    t = _monthly(small_grid, T, "t") + small_grid.to_dataarray(rng.normal(0, 5, small_grid.shape))
    t = t.transpose("month", "y", "x")
    p = _monthly(small_grid, P, "p")
    k = small_grid.to_dataarray(rng.uniform(0, 1, (12, *small_grid.shape)), name="k").rename(band="month")
    prec = small_grid.to_dataarray(rng.uniform(50, 600, small_grid.shape), name="p")
    pet = small_grid.to_dataarray(rng.uniform(400, 1400, small_grid.shape), name="pet")
    whole_bgi = climate.bagnouls_gaussen(t, p, dry_fraction=k)
    whole_ai = climate.aridity_index(prec, pet)
    whole_cls = climate.aridity_class(whole_ai)
    for w in small_grid.windows((12, 19), halo=climate.HALO):
        sl = {"y": w.padded_slices[0], "x": w.padded_slices[1]}
        bgi = climate.bagnouls_gaussen(t.isel(sl), p.isel(sl), dry_fraction=k.isel(sl))
        np.testing.assert_array_equal(bgi.values[w.inner], whole_bgi.values[w.core_slices])
        ai = climate.aridity_index(prec.isel(sl), pet.isel(sl))
        np.testing.assert_array_equal(ai.values[w.inner], whole_ai.values[w.core_slices])
        cls = climate.aridity_class(ai)
        np.testing.assert_array_equal(cls.values[w.inner], whole_cls.values[w.core_slices])
