"""Vegetation criteria: per-pixel trend (Theil-Sen / OLS + Mann-Kendall), FVC, productivity.

The trend kernel is vectorised across pixels, never a Python loop per pixel: per block of
pixels it gathers the ``T (T - 1) / 2`` year-pair differences (276 for 24 years) into one
pixel-major array, counts their signs (Mann-Kendall S) and sorts the pair slopes of every pixel
at once (exact Theil-Sen median, missing pairs last). Blocks are cache-sized, memory stays
bounded, and two threads work on blocks in parallel (numpy's sort releases the GIL). It is a
per-pixel operation, so it runs per window with a halo of :data:`HALO` = 0.
"""

from __future__ import annotations

import enum
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import ndtr

from steppe_geo._validation import check_range, check_same_grid, parse_choice
from steppe_geo.criteria._common import as_float, check_dataarray, wrap_like
from steppe_geo.errors import InvalidParameterError

__all__ = [
    "HALO",
    "MIN_YEARS",
    "TrendMethod",
    "fractional_cover",
    "productivity_performance",
    "trend",
    "trend_kernel",
]

HALO = 0
"""Trend, FVC and performance are per-pixel: no halo needed."""

MIN_YEARS = 4
"""Pixels with fewer valid (non-NaN) years than this get NaN in every trend output."""

_BLOCK = 2_048  # pixels per block: 2048 x 276 pair slopes = 4.5 MB, fastest of 512..16384

# Fixed shuffle of the year pairs. The median and S do not depend on the pair order at all, but
# numpy's SIMD sort is ~2.5x slower on pair slopes stored in their natural order (neighbouring
# pairs share a year, so stretches of a row are nearly sorted); scrambled, they sort at the speed
# of random data.
_PAIR_SEED = 20_011


class TrendMethod(enum.Enum):
    """Slope estimator of :func:`trend` (the significance is always Mann-Kendall)."""

    THEIL_SEN = "theil-sen"
    OLS = "ols"


@functools.lru_cache(maxsize=8)
def _pairs(n_t: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (earlier, later) of all year pairs i < j, in a fixed scrambled order."""
    ii, jj = np.triu_indices(n_t, k=1)
    perm = np.random.default_rng(_PAIR_SEED).permutation(ii.size)
    return ii[perm], jj[perm]


def _pick(s: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Median of each row of ``s`` (sorted along axis 1, NaNs last) from its ``count`` valid values."""
    if s.shape[1] == 0:  # a single year: no pairs
        return np.full(s.shape[0], np.nan)
    rows = np.arange(s.shape[0])
    lo = np.clip((count - 1) // 2, 0, s.shape[1] - 1)
    hi = np.clip(count // 2, 0, s.shape[1] - 1)
    return 0.5 * (s[rows, lo] + s[rows, hi])


def _tie_sum(s: np.ndarray) -> np.ndarray:
    """Sum over tie groups of tp (tp - 1) (2 tp + 5), from rows sorted along axis 1 (NaNs last).

    A run growing from r to r + 1 equal values adds g(r + 1) - g(r) = 6 r (r + 2), where
    g(r) = r (r - 1) (2 r + 5); NaN never equals anything, so missing years form no group.
    """
    ties = np.zeros(s.shape[0])
    run = np.ones(s.shape[0])
    for k in range(1, s.shape[1]):
        eq = s[:, k] == s[:, k - 1]
        ties += np.where(eq, 6.0 * run * (run + 2.0), 0.0)
        run = np.where(eq, run + 1.0, 1.0)
    return ties


def _trend_block(y: np.ndarray, t: np.ndarray, ols: bool, buf: np.ndarray) -> dict[str, np.ndarray]:
    """Trend statistics of ``y`` (T, pixels); ``buf`` is scratch space of at least (pixels, pairs)."""
    n_t, n_px = y.shape
    yt = np.ascontiguousarray(y.T)  # pixel-major: every per-pixel reduction runs along a row
    valid = ~np.isnan(yt)
    n = valid.sum(axis=1)
    ii, jj = _pairs(n_t)
    diffs = buf[:n_px, :ii.size]
    np.take(yt, jj, axis=1, out=diffs)
    diffs -= np.take(yt, ii, axis=1)
    # Mann-Kendall S = sum over i < j of sign(y_j - y_i); NaN pairs are neither > 0 nor < 0
    s = (np.count_nonzero(diffs > 0, axis=1) - np.count_nonzero(diffs < 0, axis=1)).astype(float)
    # tie correction from the sorted values of each pixel (NaNs sort last)
    ys = np.sort(yt, axis=1)
    var_s = (n * (n - 1) * (2 * n + 5) - _tie_sum(ys)) / 18.0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(s > 0, (s - 1) / np.sqrt(var_s), np.where(s < 0, (s + 1) / np.sqrt(var_s), 0.0))
        p = 2.0 * (1.0 - ndtr(np.abs(z)))
        tau = s / (0.5 * n * (n - 1))
    if ols:
        tt = np.where(~np.isnan(y), t[:, None], np.nan)  # time-major, as y: same summation order
        with np.errstate(invalid="ignore", divide="ignore"):
            tm = np.nansum(tt, axis=0) / n
            ym = np.nansum(y, axis=0) / n
            slope = np.nansum((tt - tm) * (y - ym), axis=0) / np.nansum((tt - tm) ** 2, axis=0)
        intercept = ym - slope * tm
    else:
        dt = t[jj] - t[ii]
        with np.errstate(invalid="ignore", divide="ignore"):
            diffs /= dt  # pair slopes, in place
        if not np.all(dt != 0):
            diffs[:, dt == 0] = np.nan  # repeated years give no slope (as scipy)
        count = ii.size - np.count_nonzero(np.isnan(diffs), axis=1)
        diffs.sort(axis=1)  # NaN pairs (a missing year) sort last
        slope = np.where(count > 0, _pick(diffs, count), np.nan)
        tt = np.sort(np.where(valid, t, np.nan), axis=1)
        intercept = _pick(ys, n) - slope * _pick(tt, n)  # scipy "separate"
    out = {"slope": slope, "intercept": intercept, "p_value": p, "tau": tau, "z": z, "s": s,
           "n": n.astype(float)}
    few = n < MIN_YEARS
    for key in out:
        if key != "n":
            out[key] = np.where(few, np.nan, out[key])
    return out


def trend_kernel(y: np.ndarray, t: np.ndarray, *, method: str = "theil-sen",
                 block: int = _BLOCK, workers: int | None = None) -> dict[str, np.ndarray]:
    """Trend statistics of a ``(time, ...)`` float array along axis 0.

    Parameters
    ----------
    y : ndarray (T, ...)
        Values with NaN for missing years.
    t : ndarray (T,)
        Time in years (increasing).
    method : {"theil-sen", "ols"}
        Slope estimator.
    block : int
        Pixels processed at once per thread (scratch memory ~ T (T - 1) / 2 x block x 8 bytes
        per thread: 4.5 MB for 24 years and the default 2048 pixels).
    workers : int, optional
        Threads working on blocks in parallel (numpy's sorts release the GIL); default
        ``min(2, os.cpu_count())``. The result does not depend on it.

    Returns
    -------
    dict of ndarrays shaped ``y.shape[1:]``: slope, intercept, p_value, tau, z, s, n.
    """
    shape = y.shape[1:]
    flat = y.reshape(y.shape[0], -1)
    t = np.asarray(t, float)
    n_pairs = y.shape[0] * (y.shape[0] - 1) // 2
    keys = ("slope", "intercept", "p_value", "tau", "z", "s", "n")
    out = {k: np.empty(flat.shape[1]) for k in keys}
    scratch = threading.local()  # one pair buffer per thread, reused across its blocks

    def run(b0: int) -> None:
        if getattr(scratch, "buf", None) is None:
            scratch.buf = np.empty((min(block, flat.shape[1]), n_pairs))
        res = _trend_block(flat[:, b0:b0 + block], t, method == "ols", scratch.buf)
        for k in keys:
            out[k][b0:b0 + block] = res[k]

    starts = range(0, flat.shape[1], block)
    workers = max(1, min(2, os.cpu_count() or 1) if workers is None else int(workers))
    if workers == 1 or len(starts) < 2:
        for b0 in starts:
            run(b0)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, starts))
    return {k: v.reshape(shape) for k, v in out.items()}


def _years(series: xr.DataArray) -> np.ndarray:
    tv = series["time"].values if "time" in series.coords else np.arange(series.sizes["time"])
    if np.issubdtype(np.asarray(tv).dtype, np.datetime64):
        return pd.DatetimeIndex(tv).year.to_numpy().astype(float)
    try:
        return np.asarray(tv, dtype=float)
    except (TypeError, ValueError):
        return np.array([v.year for v in tv], dtype=float)  # cftime


def trend(series: xr.DataArray, *, method: str | TrendMethod = "theil-sen") -> xr.Dataset:
    """Per-pixel monotonic trend over the ``time`` dimension with Mann-Kendall significance.

    Parameters
    ----------
    series : xarray.DataArray
        Dims ("time", "y", "x"), one value per year (e.g. annual mean NDVI); NaN = missing year.
        ``time`` holds years (int) or datetimes (their year is used).
    method : {"theil-sen", "ols"}
        ``theil-sen`` (default): median of pairwise slopes, as ``scipy.stats.theilslopes``
        (intercept ``median(y) - slope * median(t)``). ``ols``: least-squares slope as in
        trends.earth. Significance is always the Mann-Kendall test.

    Returns
    -------
    xarray.Dataset
        ``slope`` (units per year), ``intercept``, ``p_value`` (two-sided Mann-Kendall, normal
        approximation with tie-corrected variance and continuity correction, as
        ``pymannkendall.original_test``), ``tau`` (S / (n (n - 1) / 2)), ``z``, ``s`` and ``n``
        (valid years). Pixels with fewer than :data:`MIN_YEARS` = 4 valid years are NaN
        (``n`` is still given).

    Raises
    ------
    InvalidParameterError
        If ``series`` has no ``time`` dimension or ``method`` is unknown.
    """
    if not isinstance(series, xr.DataArray) or "time" not in series.dims:
        dims = getattr(series, "dims", None)
        raise InvalidParameterError(
            f"series must be a DataArray with a 'time' dimension (one value per year), got dims {dims}; "
            "stack yearly layers with xr.concat(layers, dim='time')"
        )
    m = parse_choice(TrendMethod, method, param="method")
    check_dataarray(series, param="series")
    series = series.transpose("time", "y", "x")
    t = _years(series)
    order = np.argsort(t, kind="stable")
    res = trend_kernel(as_float(series)[order], t[order], method=m.value)
    ref = series.isel(time=0, drop=True)
    units = series.attrs.get("units", "1")
    unit_of = {"slope": f"{units} per year", "intercept": units, "p_value": "1", "tau": "1",
               "z": "1", "s": "1", "n": "year"}
    data = {k: wrap_like(ref, v, name=k, units=unit_of[k]) for k, v in res.items()}
    ds = xr.Dataset(data)
    ds.attrs.update({"method": m.value, "significance": "Mann-Kendall (two-sided)",
                     "min_years": MIN_YEARS, "years": f"{int(t.min())}-{int(t.max())}"})
    return ds


def fractional_cover(ndvi: xr.DataArray, *, ndvi_soil: float | None = None, ndvi_veg: float | None = None,
                     percentiles: tuple[float, float] = (5.0, 95.0)) -> xr.DataArray:
    """Fractional vegetation cover by the dimidiate pixel model.

    ``FVC = (NDVI - NDVI_soil) / (NDVI_veg - NDVI_soil)`` clipped to [0, 1]. End-members default
    to the 5th and 95th percentiles of the valid NDVI of the layer.

    Parameters
    ----------
    ndvi : xarray.DataArray
        NDVI (-1..1), dims (..., "y", "x").
    ndvi_soil, ndvi_veg : float, optional
        Bare-soil and full-cover NDVI; if omitted, from ``percentiles``.
    percentiles : (low, high)
        Percentiles used for the missing end-members.

    Returns
    -------
    xarray.DataArray
        ``fvc`` (fraction 0..1), NaN where NDVI is NaN; end-members in attrs.

    Raises
    ------
    InvalidParameterError
        If ``ndvi_veg <= ndvi_soil`` or percentiles are not 0 <= low < high <= 100.
    """
    check_dataarray(ndvi, param="ndvi")
    lo, hi = (check_range(p, param="percentiles", low=0, high=100) for p in percentiles)
    if not lo < hi:
        raise InvalidParameterError(f"percentiles must be (low, high) with low < high, got {percentiles!r}")
    z = as_float(ndvi)
    soil = float(np.nanpercentile(z, lo)) if ndvi_soil is None else float(ndvi_soil)
    veg = float(np.nanpercentile(z, hi)) if ndvi_veg is None else float(ndvi_veg)
    if not veg > soil:
        raise InvalidParameterError(f"ndvi_veg ({veg}) must be greater than ndvi_soil ({soil})")
    out = np.clip((z - soil) / (veg - soil), 0.0, 1.0)
    return wrap_like(ndvi, out, name="fvc", units="1", attrs={"ndvi_soil": soil, "ndvi_veg": veg})


def productivity_performance(ndvi_mean: xr.DataArray, land_units: xr.DataArray, *,
                             percentile: float = 90.0, threshold: float = 0.5) -> xr.Dataset:
    """trends.earth productivity performance: NDVI relative to the best pixels of its land unit.

    ``performance = NDVI_mean / P90(NDVI_mean within the same land unit)``; a pixel is degraded
    when ``performance <= threshold`` (0.5).

    Parameters
    ----------
    ndvi_mean : xarray.DataArray
        Mean NDVI over the period, ("y", "x").
    land_units : xarray.DataArray
        Integer ids of similar land units (e.g. land cover x soil), same grid; its nodata and
        negative ids are ignored.
    percentile : float, default 90
        Percentile of the unit taken as its potential.
    threshold : float, default 0.5
        Degraded at or below this ratio.

    Returns
    -------
    xarray.Dataset
        ``performance`` (ratio) and ``degraded`` (bool; False where performance is NaN).

    Raises
    ------
    GridMismatchError
        If the two layers are not on the same grid.
    """
    check_dataarray(ndvi_mean, param="ndvi_mean")
    check_same_grid({"ndvi_mean": ndvi_mean, "land_units": land_units})
    check_range(percentile, param="percentile", low=0, high=100)
    z = as_float(ndvi_mean)
    units = np.asarray(land_units.values)
    nodata = land_units.rio.nodata
    ok = np.isfinite(z) & (units >= 0)
    if nodata is not None:
        ok &= units != nodata
    df = pd.DataFrame({"u": units[ok], "v": z[ok]})
    pot = df.groupby("u")["v"].quantile(percentile / 100.0)
    potential = np.full(z.shape, np.nan)
    potential[ok] = pot.reindex(units[ok]).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        perf = z / potential
    perf[~ok] = np.nan
    ds = xr.Dataset({
        "performance": wrap_like(ndvi_mean, perf, name="performance", units="1"),
        "degraded": wrap_like(ndvi_mean, np.nan_to_num(perf, nan=np.inf) <= threshold,
                              name="degraded", units="1"),
    })
    ds.attrs.update({"percentile": percentile, "threshold": threshold})
    return ds
