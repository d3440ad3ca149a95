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


def test_trend_refuses_sub_annual_steps(small_grid, rng):
    # 36 monthly steps (2001-2003): Mann-Kendall on months would be a different test; refused
    months = np.array([np.datetime64(f"{y}-{m:02d}-15") for y in (2001, 2002, 2003) for m in range(1, 13)])
    da = small_grid.to_dataarray(rng.normal(0.3, 0.02, (36, *small_grid.shape)), name="ndvi")
    da = da.rename(band="time").assign_coords(time=months)
    with pytest.raises(InvalidParameterError,
                       match=r"series: trend needs one value per year, but 3 year\(s\) repeat: "
                             r"2001 \(12x\), 2002 \(12x\), 2003 \(12x\) \(36 time steps for 3 years\)"):
        veg.trend(da)
    # the suggested aggregation works
    yearly = da.groupby("time.year").mean().rename(year="time")
    assert veg.trend(yearly).attrs["years"] == "2001-2003"
    with pytest.raises(InvalidParameterError, match=r"2005 \(2x\)"):
        veg.trend(da.isel(time=slice(0, 5)).assign_coords(time=[2004, 2005, 2005, 2006, 2007]))


def test_fractional_cover(small_grid, rng):
    ndvi = small_grid.to_dataarray(rng.uniform(0.05, 0.6, small_grid.shape), name="ndvi")
    ndvi.values[0, 0] = np.nan
    fvc = veg.fractional_cover(ndvi)
    lo, hi = np.nanpercentile(ndvi.values, [5, 95])
    expected = np.clip((ndvi.values - lo) / (hi - lo), 0, 1)
    np.testing.assert_allclose(fvc.values, expected, equal_nan=True)
    assert fvc.attrs["endmembers"] == "percentiles of this layer"
    assert veg.fvc_endmembers(ndvi) == pytest.approx((lo, hi), abs=0)
    # hand value: NDVI 0.3 with soil 0.1 and veg 0.5 -> (0.3 - 0.1) / 0.4 = 0.5
    ndvi.values[1, 1] = 0.3
    given = veg.fractional_cover(ndvi, ndvi_soil=0.1, ndvi_veg=0.5)
    assert given.values[1, 1] == pytest.approx(0.5) and given.attrs["endmembers"] == "given"
    with pytest.raises(InvalidParameterError,
                       match=r"ndvi_veg \(0.1\) must be greater than ndvi_soil \(0.5\)"):
        veg.fractional_cover(ndvi, ndvi_soil=0.5, ndvi_veg=0.1)
    with pytest.raises(InvalidParameterError,
                       match=r"percentiles must be \(low, high\) with low < high, got \(95"):
        veg.fvc_endmembers(ndvi, percentiles=(95, 5))
    with pytest.raises(InvalidParameterError, match=r"percentiles must be within \[0.0, 100.0\], got 120"):
        veg.fvc_endmembers(ndvi, percentiles=(5, 120))
    with pytest.raises(InvalidParameterError, match="ndvi: no valid values"):
        veg.fvc_endmembers(ndvi * np.nan)


def test_fractional_cover_windowed_with_endmembers_equals_whole(small_grid, rng):
    ndvi = small_grid.to_dataarray(rng.uniform(0.05, 0.6, small_grid.shape), name="ndvi")
    ndvi.values[:, :20] *= 0.3  # a bare western third: per-window percentiles would differ
    whole = veg.fractional_cover(ndvi)
    soil, veg_ = veg.fvc_endmembers(ndvi)  # once over the area
    worst_default = 0.0
    for w in small_grid.windows((13, 17), halo=veg.HALO):
        part = ndvi.isel(y=w.padded_slices[0], x=w.padded_slices[1])
        tile = veg.fractional_cover(part, ndvi_soil=soil, ndvi_veg=veg_)
        np.testing.assert_array_equal(tile.values[w.inner], whole.values[w.core_slices])
        default = veg.fractional_cover(part).values[w.inner]
        worst_default = max(worst_default, float(np.abs(default - whole.values[w.core_slices]).max()))
    assert worst_default > 0.1  # why the percentile default is documented as not windowable


def _units_and_ndvi(grid):
    units = np.zeros(grid.shape, np.int16)
    units[:, 30:] = 1
    ndvi = np.tile(np.linspace(0.1, 0.5, 30), (grid.rows, 3))[:, :grid.cols]
    ndvi[:, 30:] *= 2
    return units, ndvi


def test_productivity_performance(small_grid):
    units, ndvi = _units_and_ndvi(small_grid)
    units[0, 0] = -1  # nodata unit
    ndvi[1, 0] = np.nan
    nd = small_grid.to_dataarray(ndvi, name="ndvi")
    lu = small_grid.to_dataarray(units, name="units", nodata=-1)
    ds = veg.productivity_performance(nd, lu)
    # the unit's potential: P90 of its valid pixels (numpy's linear percentile, as pandas' quantile)
    ok0 = (units == 0) & np.isfinite(ndvi)
    p90_0 = np.percentile(ndvi[ok0], 90)
    assert ds["performance"].values[5, 0] == pytest.approx(0.1 / p90_0)
    assert ds["degraded"].dtype == np.uint8 and ds["degraded"].rio.nodata == veg.DEGRADED_NODATA == 255
    assert ds["degraded"].values[5, 0] == 1 and ds["degraded"].values[5, 29] == 0
    # NaN NDVI or nodata unit: performance NaN, degraded = nodata (255), not "not degraded"
    assert np.isnan(ds["performance"].values[1, 0]) and ds["degraded"].values[1, 0] == 255
    assert np.isnan(ds["performance"].values[0, 0]) and ds["degraded"].values[0, 0] == 255
    # exactly at the threshold counts as degraded (<=): a pixel at half its unit's potential
    pot = veg.land_unit_potentials(nd, lu)
    assert pot[0] == pytest.approx(p90_0)
    nd2 = nd.copy()
    nd2.values[7, 3] = 0.5 * pot[0]
    assert veg.productivity_performance(nd2, lu, potentials=pot)["degraded"].values[7, 3] == 1
    other = sg.Grid.from_bounds((0, 0, 300, 300), crs="EPSG:32649", resolution_m=30)
    with pytest.raises(GridMismatchError, match="different grids"):
        veg.productivity_performance(nd, other.to_dataarray(np.zeros((10, 10), np.int16), nodata=-1))


def test_productivity_performance_bad_parameters(small_grid):
    units, ndvi = _units_and_ndvi(small_grid)
    nd = small_grid.to_dataarray(ndvi, name="ndvi")
    lu = small_grid.to_dataarray(units, name="units", nodata=-1)
    with pytest.raises(InvalidParameterError, match=r"threshold must be within \[0.0, 1.0\], got 1.5"):
        veg.productivity_performance(nd, lu, threshold=1.5)
    with pytest.raises(InvalidParameterError, match=r"threshold must be within \(0, 1\], got 0"):
        veg.productivity_performance(nd, lu, threshold=0)
    with pytest.raises(InvalidParameterError, match=r"threshold must be within \[0.0, 1.0\], got -0.2"):
        veg.productivity_performance(nd, lu, threshold=-0.2)
    with pytest.raises(InvalidParameterError, match=r"percentile must be within \(0, 100\], got 0"):
        veg.land_unit_potentials(nd, lu, percentile=0)
    with pytest.raises(InvalidParameterError, match=r"percentile must be within \[0.0, 100.0\], got 101"):
        veg.productivity_performance(nd, lu, percentile=101)
    with pytest.raises(InvalidParameterError, match=r"potentials has no value for land unit\(s\) \[1\]"):
        veg.productivity_performance(nd, lu, potentials={0: 0.4})


def test_productivity_performance_windowed_with_potentials_equals_whole(small_grid, rng):
    units = rng.integers(0, 4, small_grid.shape).astype(np.int16)
    ndvi = rng.uniform(0.05, 0.6, small_grid.shape) * (1 + units)
    ndvi[rng.random(small_grid.shape) < 0.05] = np.nan
    nd = small_grid.to_dataarray(ndvi, name="ndvi")
    lu = small_grid.to_dataarray(units, name="units", nodata=-1)
    whole = veg.productivity_performance(nd, lu)
    pot = veg.land_unit_potentials(nd, lu)  # once over the area
    worst_default = 0.0
    for w in small_grid.windows((11, 16), halo=veg.HALO):
        sl = {"y": w.padded_slices[0], "x": w.padded_slices[1]}
        tile = veg.productivity_performance(nd.isel(sl), lu.isel(sl), potentials=pot)
        for k in ("performance", "degraded"):
            np.testing.assert_array_equal(tile[k].values[w.inner], whole[k].values[w.core_slices])
        default = veg.productivity_performance(nd.isel(sl), lu.isel(sl))["performance"].values[w.inner]
        worst_default = max(worst_default, float(np.nanmax(np.abs(default - whole["performance"].values[
            w.core_slices]))))
    assert worst_default > 0.01  # per-window percentiles differ: the default is not windowable


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


def test_time_mean_is_numpys_nanmean_bit_for_bit(series):
    # numpy's nanmean along the time axis is the reference (and xarray's mean, which calls it); the
    # band-by-band sums are the same float operations in the same order, so the bits are equal
    for dtype in (np.float64, np.float32):
        stack = series.astype(dtype)
        got = veg.time_mean(stack)
        assert got.dtype == dtype
        with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning, match="Mean of empty slice"):
            expected = np.nanmean(stack.values, axis=0)
        assert np.isnan(got.values[0, 0])  # no valid year
        np.testing.assert_array_equal(got.values, expected)
        assert np.array_equal(np.isnan(got.values), np.isnan(expected))
        ok = ~np.isnan(expected)
        uint = np.uint64 if dtype == np.float64 else np.uint32
        assert np.array_equal(got.values[ok].view(uint), expected[ok].view(uint))  # bit for bit
        xr.testing.assert_identical(got, stack.mean("time", skipna=True, keep_attrs=True))


def test_time_mean_of_a_band_stack_and_of_a_single_layer(small_grid):
    y = np.stack([np.full(small_grid.shape, v) for v in (0.1, 0.2, 0.6)])
    stack = small_grid.to_dataarray(y, name="ndvi")  # dimension "band", not "time"
    got = veg.time_mean(stack)
    assert got.dims == ("y", "x")
    assert got.values[0, 0] == (0.1 + 0.2 + 0.6) / 3  # summed left to right, as written
    layer = small_grid.to_dataarray(y[0], name="ndvi")
    assert veg.time_mean(layer) is layer


def test_trend_by_row_blocks_and_windows_equals_the_whole_array(series, small_grid, monkeypatch, rng):
    # the reference: the kernel on the whole (time, y, x) array at once, and scipy's theilslopes at
    # 200 pixels with 4 or more valid years
    kernel = {m: veg.trend_kernel(series.values, YEARS.astype(float), method=m) for m in ("theil-sen", "ols")}
    monkeypatch.setattr(veg, "_STACK_BLOCK_BYTES", 8 * YEARS.size * small_grid.cols * 3)  # 3 rows a block
    for method, ref in kernel.items():
        whole = veg.trend(series, method=method)
        parts = {k: np.full(small_grid.shape, -1.0) for k in ref}
        for w in small_grid.windows(16):  # 40 x 60 grid: windows of 16 x 16, 8 x 16, 16 x 12, 8 x 12
            rows, cols = w.core_slices
            got = veg.trend(series.isel(y=rows, x=cols), method=method)
            for k in ref:
                parts[k][rows, cols] = got[k].values
        for k in ref:
            np.testing.assert_array_equal(whole[k].values, ref[k])
            np.testing.assert_array_equal(parts[k], ref[k])
    slopes = kernel["theil-sen"]["slope"]
    valid = np.flatnonzero(kernel["theil-sen"]["n"] >= veg.MIN_YEARS)
    for r, c in zip(*np.unravel_index(rng.choice(valid, 200, replace=False), small_grid.shape), strict=True):
        y = series.values[:, r, c]
        ok = ~np.isnan(y)
        assert slopes[r, c] == pytest.approx(stats.theilslopes(y[ok], YEARS[ok]).slope, abs=1e-12)
