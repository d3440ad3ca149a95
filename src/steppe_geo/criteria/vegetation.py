"""Vegetation criteria: per-pixel trend (Theil-Sen / OLS + Mann-Kendall), FVC, productivity.

The trend kernel is vectorised across pixels: it loops over the ``T (T - 1) / 2`` pairs of
years (276 for 24 years), never over pixels, and processes pixels in blocks so memory stays
bounded. It is a per-pixel operation, so it runs per window with a halo of :data:`HALO` = 0.
"""

from __future__ import annotations

import enum

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

_BLOCK = 8_192


class TrendMethod(enum.Enum):
    """Slope estimator of :func:`trend` (the significance is always Mann-Kendall)."""

    THEIL_SEN = "theil-sen"
    OLS = "ols"


def _median_sorted(a: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Median along axis 0 of an array whose NaNs sort last, given the valid count per column."""
    s = np.sort(a, axis=0)
    lo = np.clip((count - 1) // 2, 0, a.shape[0] - 1)
    hi = np.clip(count // 2, 0, a.shape[0] - 1)
    cols = np.arange(a.shape[1])
    return 0.5 * (s[lo, cols] + s[hi, cols])


def _nanmedian_last(a: np.ndarray) -> np.ndarray:
    """Median along the last axis ignoring NaN (NaNs sort last; pick the middle valid values)."""
    count = (~np.isnan(a)).sum(axis=1)
    a = np.sort(a, axis=1)
    lo = np.clip((count - 1) // 2, 0, a.shape[1] - 1)[:, None]
    hi = np.clip(count // 2, 0, a.shape[1] - 1)[:, None]
    med = 0.5 * (np.take_along_axis(a, lo, axis=1) + np.take_along_axis(a, hi, axis=1))[:, 0]
    return np.where(count > 0, med, np.nan)


def _trend_block(y: np.ndarray, t: np.ndarray, ols: bool) -> dict[str, np.ndarray]:
    n_t, n_px = y.shape
    valid = ~np.isnan(y)
    n = valid.sum(axis=0)
    ii, jj = np.triu_indices(n_t, k=1)
    # Mann-Kendall S = sum over i < j of sign(y_j - y_i); NaN pairs contribute 0
    yt = np.ascontiguousarray(y.T)  # pixel-major: sorting along the last axis is cache-friendly
    diffs = yt[:, jj] - yt[:, ii]  # (pixels, pairs)
    s = np.nansum(np.sign(diffs), axis=1)
    # tie correction: sum over tie groups tp (tp - 1)(2 tp + 5) = sum over values (c - 1)(2c + 5)
    ties = np.zeros(n_px)
    for k in range(n_t):
        c = (y == y[k]).sum(axis=0)  # NaN == NaN is False, so c = 0 at NaN years
        ties += np.where(valid[k], (c - 1) * (2 * c + 5), 0)
    var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(s > 0, (s - 1) / np.sqrt(var_s), np.where(s < 0, (s + 1) / np.sqrt(var_s), 0.0))
        p = 2.0 * (1.0 - ndtr(np.abs(z)))
        tau = s / (0.5 * n * (n - 1))
    tt = np.broadcast_to(t[:, None], y.shape).astype(float)
    tt = np.where(valid, tt, np.nan)
    if ols:
        with np.errstate(invalid="ignore", divide="ignore"):
            tm = np.nansum(tt, axis=0) / n
            ym = np.nansum(y, axis=0) / n
            slope = np.nansum((tt - tm) * (y - ym), axis=0) / np.nansum((tt - tm) ** 2, axis=0)
        intercept = ym - slope * tm
    else:
        dt = t[jj] - t[ii]
        with np.errstate(invalid="ignore", divide="ignore"):
            pair_slopes = np.where(dt != 0, diffs / dt, np.nan)
        slope = _nanmedian_last(pair_slopes)
        intercept = _median_sorted(y, n) - slope * _median_sorted(tt, n)  # scipy "separate"
    out = {"slope": slope, "intercept": intercept, "p_value": p, "tau": tau, "z": z, "s": s,
           "n": n.astype(float)}
    few = n < MIN_YEARS
    for key in out:
        if key != "n":
            out[key] = np.where(few, np.nan, out[key])
    return out


def trend_kernel(y: np.ndarray, t: np.ndarray, *, method: str = "theil-sen",
                 block: int = _BLOCK) -> dict[str, np.ndarray]:
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
        Pixels processed at once (memory ~ T (T - 1) / 2 x block x 8 bytes).

    Returns
    -------
    dict of ndarrays shaped ``y.shape[1:]``: slope, intercept, p_value, tau, z, s, n.
    """
    shape = y.shape[1:]
    flat = y.reshape(y.shape[0], -1)
    keys = ("slope", "intercept", "p_value", "tau", "z", "s", "n")
    out = {k: np.empty(flat.shape[1]) for k in keys}
    for b0 in range(0, flat.shape[1], block):
        res = _trend_block(flat[:, b0:b0 + block], np.asarray(t, float), method == "ols")
        for k in keys:
            out[k][b0:b0 + block] = res[k]
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
