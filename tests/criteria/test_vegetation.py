"""Vegetation trend against scipy.stats.theilslopes / linregress and pymannkendall, FVC, performance."""

from __future__ import annotations

import numpy as np
import pymannkendall as pmk
import pytest
import xarray as xr
from scipy import stats

import steppe_geo as sg
from steppe_geo.criteria import vegetation as veg
from steppe_geo.errors import GridMismatchError, InvalidParameterError

YEARS = np.arange(2001, 2025)


@pytest.fixture
def series(small_grid, rng):
    t = YEARS.size
    base = 0.3 + 0.004 * (YEARS - 2001)[:, None, None] * rng.normal(1, 1, small_grid.shape)
    y = np.round(base + rng.normal(0, 0.02, (t, *small_grid.shape)), 2)  # rounding makes ties
    y[rng.random(y.shape) < 0.1] = np.nan  # missing years
    y[:, 0, 0] = np.nan
    y[:3, 0, 1] = [0.2, 0.3, 0.1]  # only 3 valid years
    y[3:, 0, 1] = np.nan
    y[:, 0, 2] = 0.25  # all tied
    da = small_grid.to_dataarray(y, name="ndvi", units="1").rename(band="time")
    return da.assign_coords(time=YEARS)


def test_trend_matches_scipy_and_pymannkendall(series, rng, assert_same_georef):
    ds = veg.trend(series)
    assert_same_georef(ds["slope"], series.isel(time=0))
    assert ds["slope"].attrs["units"] == "1 per year"
    rows, cols = rng.integers(0, 41, 60), rng.integers(0, 61, 60)
    for r, c in [*zip(rows, cols, strict=True), (0, 2)]:
        y = series.values[:, r, c]
        ok = ~np.isnan(y)
        res = stats.theilslopes(y[ok], YEARS[ok])
        mk = pmk.original_test(y)
        assert ds["slope"].values[r, c] == pytest.approx(res.slope, abs=1e-9)
        assert ds["intercept"].values[r, c] == pytest.approx(res.intercept, abs=1e-9)
        assert ds["p_value"].values[r, c] == pytest.approx(mk.p, abs=1e-9)
        assert ds["z"].values[r, c] == pytest.approx(mk.z, abs=1e-9)
        assert ds["tau"].values[r, c] == pytest.approx(mk.Tau, abs=1e-9)
        assert ds["s"].values[r, c] == mk.s
        assert ds["n"].values[r, c] == ok.sum()


def test_ols_matches_linregress(series, rng):
    ds = veg.trend(series, method="ols")
    for r, c in zip(rng.integers(1, 40, 20), rng.integers(0, 60, 20), strict=True):
        y = series.values[:, r, c]
        ok = ~np.isnan(y)
        lr = stats.linregress(YEARS[ok], y[ok])
        assert ds["slope"].values[r, c] == pytest.approx(lr.slope, abs=1e-9)
        assert ds["intercept"].values[r, c] == pytest.approx(lr.intercept, abs=1e-7)


def test_fewer_than_four_years_is_nan(series):
    ds = veg.trend(series)
    for k in ("slope", "p_value", "tau", "z"):
        assert np.isnan(ds[k].values[0, 0]) and np.isnan(ds[k].values[0, 1])
    assert ds["n"].values[0, 1] == 3


def test_datetime_time_and_order(series):
    shuffled = series.isel(time=np.r_[5:24, 0:5])
    dt = series.assign_coords(time=[np.datetime64(f"{y}-07-01") for y in YEARS])
    a, b, c = veg.trend(series), veg.trend(shuffled), veg.trend(dt)
    np.testing.assert_allclose(a["slope"].values, b["slope"].values, equal_nan=True)
    np.testing.assert_allclose(a["p_value"].values, c["p_value"].values, equal_nan=True)


def test_block_size_does_not_change_result(series):
    y = series.values
    whole = veg.trend_kernel(y, YEARS.astype(float), block=10**6)
    small = veg.trend_kernel(y, YEARS.astype(float), block=7)
    for k in whole:
        np.testing.assert_array_equal(whole[k], small[k])


def test_trend_errors(series):
    with pytest.raises(InvalidParameterError, match="'time' dimension"):
        veg.trend(series.isel(time=0))
    with pytest.raises(InvalidParameterError, match="did you mean 'theil-sen'"):
        veg.trend(series, method="theilsen")


def test_fractional_cover(small_grid, rng):
    ndvi = small_grid.to_dataarray(rng.uniform(0.05, 0.6, small_grid.shape), name="ndvi")
    ndvi.values[0, 0] = np.nan
    fvc = veg.fractional_cover(ndvi)
    lo, hi = np.nanpercentile(ndvi.values, [5, 95])
    expected = np.clip((ndvi.values - lo) / (hi - lo), 0, 1)
    np.testing.assert_allclose(fvc.values, expected, equal_nan=True)
    # hand value: NDVI 0.3 with soil 0.1 and veg 0.5 -> (0.3 - 0.1) / 0.4 = 0.5
    ndvi.values[1, 1] = 0.3
    assert veg.fractional_cover(ndvi, ndvi_soil=0.1, ndvi_veg=0.5).values[1, 1] == pytest.approx(0.5)
    with pytest.raises(InvalidParameterError, match="must be greater than ndvi_soil"):
        veg.fractional_cover(ndvi, ndvi_soil=0.5, ndvi_veg=0.1)


def test_productivity_performance(small_grid):
    g = sg.Grid.from_bounds((400_000, 4_430_000, 401_800, 4_431_200), crs="EPSG:32649", resolution_m=30)
    small_grid = sg.Grid(g.crs, g.transform, (40, 60))
    units = np.zeros(small_grid.shape, np.int16)
    units[:, 30:] = 1
    ndvi = np.tile(np.linspace(0.1, 0.5, 30), (40, 2))
    ndvi[:, 30:] *= 2
    ds = veg.productivity_performance(small_grid.to_dataarray(ndvi, name="ndvi"),
                                      small_grid.to_dataarray(units, name="units", nodata=-1))
    p90_0 = np.percentile(ndvi[:, :30], 90)
    assert ds["performance"].values[5, 0] == pytest.approx(0.1 / p90_0)
    assert ds["degraded"].values[5, 0] and not ds["degraded"].values[5, 29]
    np.testing.assert_allclose(ds["performance"].values[:, 30:], ds["performance"].values[:, :30])
    other = sg.Grid.from_bounds((0, 0, 300, 300), crs="EPSG:32649", resolution_m=30)
    with pytest.raises(GridMismatchError, match="different grids"):
        veg.productivity_performance(small_grid.to_dataarray(ndvi, name="ndvi"),
                                     other.to_dataarray(np.zeros((10, 10), np.int16), nodata=-1))


def test_xr_concat_series_without_coords(small_grid):
    layers = [small_grid.to_dataarray(np.full(small_grid.shape, float(i)), name="v") for i in range(5)]
    ds = veg.trend(xr.concat(layers, dim="time"))
    assert np.allclose(ds["slope"].values, 1.0)


def test_trend_on_grid_windows_equals_whole(series):
    grid = sg.Grid.from_dataarray(series)
    whole = veg.trend(series)
    for w in grid.windows((16, 23), halo=veg.HALO):
        part = veg.trend(series.isel(y=w.padded_slices[0], x=w.padded_slices[1]))
        for k in ("slope", "p_value", "tau"):
            np.testing.assert_array_equal(part[k].values[w.inner], whole[k].values[w.core_slices])


def test_blocks_threads_and_mixed_pixels_match_per_pixel_reference(rng):
    # Complete pixels interleaved with pixels missing 1..7 years (different numbers of valid
    # pairs), ties from rounding, split into blocks of 5 pixels worked on by 2 threads: every
    # pixel must equal scipy / pymannkendall on that pixel alone and the single-block result.
    y = np.round(rng.normal(0.3, 0.05, (YEARS.size, 47)) + 0.003 * (YEARS - 2001)[:, None], 2)
    for k in range(1, 47, 2):
        y[rng.choice(YEARS.size, k % 7 + 1, replace=False), k] = np.nan
    t = YEARS.astype(float)
    split = veg.trend_kernel(y, t, block=5, workers=2)
    plain = veg.trend_kernel(y, t, block=10**6, workers=1)
    for k in plain:
        np.testing.assert_array_equal(split[k], plain[k])
    for k in range(y.shape[1]):
        ok = ~np.isnan(y[:, k])
        res = stats.theilslopes(y[ok, k], YEARS[ok])
        mk = pmk.original_test(y[:, k])
        assert split["slope"][k] == pytest.approx(res.slope, abs=1e-9)
        assert split["intercept"][k] == pytest.approx(res.intercept, abs=1e-9)
        assert split["p_value"][k] == pytest.approx(mk.p, abs=1e-9)
        assert split["s"][k] == mk.s


def test_single_year_gives_nan_not_error():
    res = veg.trend_kernel(np.ones((1, 3)), np.array([2001.0]))
    assert np.isnan(res["slope"]).all() and (res["n"] == 1).all()
