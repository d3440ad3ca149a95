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
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import ndtr

from steppe_geo._validation import check_range, parse_choice
from steppe_geo.criteria._common import as_float, check_dataarray, wrap_like
from steppe_geo.errors import InvalidParameterError
from steppe_geo.grid import check_same_grid

__all__ = [
    "DEGRADED_NODATA",
    "HALO",
    "MIN_YEARS",
    "TrendMethod",
    "fractional_cover",
    "fvc_endmembers",
    "land_unit_potentials",
    "productivity_performance",
    "time_mean",
    "trend",
    "trend_kernel",
]

HALO = 0
"""Halo of the per-pixel steps: trend, and FVC / performance with end-members / potentials given.

The defaults of :func:`fractional_cover` and :func:`productivity_performance` take percentiles
of the whole layer and are not windowable; compute :func:`fvc_endmembers` /
:func:`land_unit_potentials` once over the area and pass them in."""

MIN_YEARS = 4
"""Pixels with fewer valid (non-NaN) years than this get NaN in every trend output."""

_STACK_BLOCK_BYTES = 32 * 2**20
"""Bytes of one float64 copy of the time stack that :func:`trend` holds at a time (a block of rows)."""

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
    out: np.ndarray = 0.5 * (s[rows, lo] + s[rows, hi])
    return out


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
    if "time" not in series.coords:
        return np.arange(series.sizes["time"], dtype=float)
    tv = np.asarray(series["time"].values)
    if np.issubdtype(tv.dtype, np.datetime64):
        return pd.DatetimeIndex(tv).year.to_numpy().astype(float)
    try:
        return np.asarray(tv, dtype=float)
    except (TypeError, ValueError):
        return np.array([v.year for v in tv.tolist()], dtype=float)  # cftime


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
        If ``series`` has no ``time`` dimension, ``method`` is unknown, or a year occurs more
        than once (e.g. monthly or 16-day steps: aggregate to one value per year first).

    Examples
    --------
    Two pixels over five years: one greening by 0.01 per year, one constant:

    >>> import numpy as np, steppe_geo as sg
    >>> grid = sg.Grid(crs="EPSG:32649", transform=(30, 0, 0, 0, -30, 30), shape=(1, 2))
    >>> y = np.stack([[[0.30 + 0.01 * i, 0.25]] for i in range(5)])
    >>> series = grid.to_dataarray(y, name="ndvi").rename(band="time")
    >>> series = series.assign_coords(time=np.arange(2001, 2006))
    >>> ds = trend(series)
    >>> ds["slope"].values.round(6).tolist()
    [[0.01, 0.0]]
    >>> ds["s"].values.tolist(), ds["tau"].values.tolist()
    ([[10.0, 0.0]], [[1.0, 0.0]])
    >>> round(float(ds["p_value"].values[0, 0]), 4)  # Mann-Kendall, z = (10 - 1) / sqrt(50 / 3)
    0.0275
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
    years, counts = np.unique(t, return_counts=True)
    if (counts > 1).any():
        dup = years[counts > 1]
        shown = ", ".join(f"{y:g} ({c}x)" for y, c in zip(dup[:8], counts[counts > 1][:8], strict=False))
        raise InvalidParameterError(
            f"series: trend needs one value per year, but {dup.size} year(s) repeat: {shown}"
            f"{' ...' if dup.size > 8 else ''} ({t.size} time steps for {years.size} years); "
            "aggregate first, e.g. series.groupby('time.year').mean().rename(year='time')")
    order = np.argsort(t, kind="stable")
    # a block of rows at a time: the float64 copies of the stack (as_float, then sorted by year)
    # stay within 2 x _STACK_BLOCK_BYTES whatever the number of years and pixels; the statistics
    # are per pixel, so the blocks give the whole array's values bit for bit
    n_t, n_y, n_x = series.shape
    rows = max(1, _STACK_BLOCK_BYTES // (8 * max(1, n_t * n_x)))
    res: dict[str, np.ndarray] = {}
    for r0 in range(0, n_y, rows):
        part = trend_kernel(as_float(series.isel(y=slice(r0, r0 + rows)))[order], t[order], method=m.value)
        for k, v in part.items():
            res.setdefault(k, np.empty((n_y, n_x), dtype=v.dtype))[r0:r0 + rows] = v
    ref = series.isel(time=0, drop=True)
    units = series.attrs.get("units", "1")
    unit_of = {"slope": f"{units} per year", "intercept": units, "p_value": "1", "tau": "1",
               "z": "1", "s": "1", "n": "year"}
    data = {k: wrap_like(ref, v, name=k, units=unit_of[k]) for k, v in res.items()}
    ds = xr.Dataset(data)
    ds.attrs.update({"method": m.value, "significance": "Mann-Kendall (two-sided)",
                     "min_years": MIN_YEARS, "years": f"{int(t.min())}-{int(t.max())}"})
    return ds


class _RunningMean:
    """NaN-skipping mean over bands added in order: ``numpy.nanmean(stack, axis=0)``, bit for bit.

    numpy's ``nanmean`` along the leading axis copies the stack with NaN set to 0, sums it in the
    stack's dtype one band after the other (a reduction along the outer axis adds band 0, band
    1, ... pixel by pixel), counts the valid bands as ``intp`` and divides the float sum by the
    count into the sum's dtype. This does the same sums in the same order, holding one sum and
    one count per pixel instead of the whole stack, its copy and its NaN masks.
    """

    def __init__(self) -> None:
        self.total: np.ndarray | None = None
        self.count: np.ndarray | None = None

    def add(self, bands: np.ndarray) -> None:
        """Add a ``(k, rows, cols)`` block of bands, or one ``(rows, cols)`` band, after those added."""
        bands = np.asarray(bands)
        if not np.issubdtype(bands.dtype, np.floating):
            bands = bands.astype(np.float64)
        for band in bands[np.newaxis] if bands.ndim == 2 else bands:
            missing = np.isnan(band)
            filled = np.where(missing, band.dtype.type(0), band)
            if self.total is None or self.count is None:
                self.total, self.count = filled, (~missing).astype(np.intp)
            else:
                self.total += filled
                self.count += ~missing

    def result(self) -> np.ndarray:
        """The mean of the bands added: NaN where no band had a value."""
        if self.total is None or self.count is None:
            raise InvalidParameterError("time mean of no band: the stack has no bands")
        with np.errstate(invalid="ignore", divide="ignore"):
            out: np.ndarray = np.divide(self.total, self.count, out=self.total, casting="unsafe")
        return out


def time_mean(series: xr.DataArray) -> xr.DataArray:
    """Per-pixel mean over the ``time`` (or ``band``) dimension, skipping NaN, one band at a time.

    The values are those of ``series.mean("time", skipna=True)`` (``numpy.nanmean``) bit for bit
    — the same sums in the same order, in the stack's float dtype — but the memory held besides
    the stack is one sum and one count per pixel (12 bytes for float32), not a copy of the stack
    and its NaN masks (about 6 bytes per pixel and band for float32). A layer without a time or
    band dimension is returned as it is.

    Parameters
    ----------
    series : xarray.DataArray
        Dims ("time", "y", "x") or ("band", "y", "x"), e.g. yearly NDVI; NaN = missing.

    Returns
    -------
    xarray.DataArray
        ("y", "x"), same dtype (float64 for an integer stack), name, attrs, CRS and transform;
        NaN where every year is missing.

    Examples
    --------
    >>> import numpy as np, steppe_geo as sg
    >>> grid = sg.Grid(crs="EPSG:32649", transform=(30, 0, 0, 0, -30, 30), shape=(1, 2))
    >>> y = np.array([[[0.2, np.nan]], [[0.4, np.nan]], [[np.nan, np.nan]]])
    >>> time_mean(grid.to_dataarray(y, name="ndvi").rename(band="time")).values.tolist()
    [[0.30000000000000004, nan]]
    """
    dim = "time" if "time" in series.dims else "band" if "band" in series.dims else None
    if dim is None:
        return series
    acc = _RunningMean()
    for i in range(series.sizes[dim]):
        acc.add(np.asarray(series.isel({dim: i}).values))
    ref = series.isel({dim: 0}, drop=True)
    out: xr.DataArray = ref.copy(data=acc.result())
    return out


def _check_percentile(value: float, param: str, *, low_open: bool = False) -> float:
    v = check_range(value, param=param, low=0.0, high=100.0)
    if low_open and v == 0.0:
        raise InvalidParameterError(f"{param} must be within (0, 100], got {value!r}")
    return v


def fvc_endmembers(ndvi: xr.DataArray, *,
                   percentiles: tuple[float, float] = (5.0, 95.0)) -> tuple[float, float]:
    """Bare-soil and full-cover NDVI end-members as percentiles of the whole area.

    Compute them once over the area of interest, then pass them to :func:`fractional_cover`
    for every window: the per-pixel step is then windowable (halo 0) and gives the whole-grid
    answer.

    Parameters
    ----------
    ndvi : xarray.DataArray
        NDVI (-1..1), dims (..., "y", "x"), over the whole area.
    percentiles : (low, high), default (5, 95)
        Percentiles of the valid NDVI taken as ``NDVI_soil`` and ``NDVI_veg``,
        ``0 <= low < high <= 100``.

    Returns
    -------
    (float, float)
        ``(ndvi_soil, ndvi_veg)``.

    Raises
    ------
    InvalidParameterError
        For percentiles outside [0, 100] or not increasing, or a layer without valid values.

    Examples
    --------
    >>> import numpy as np, steppe_geo as sg
    >>> grid = sg.Grid(crs="EPSG:32649", transform=(30, 0, 0, 0, -30, 30), shape=(1, 11))
    >>> ndvi = grid.to_dataarray(np.linspace(0.0, 0.5, 11)[None, :], name="ndvi")
    >>> [round(v, 3) for v in fvc_endmembers(ndvi, percentiles=(10, 90))]
    [0.05, 0.45]
    """
    check_dataarray(ndvi, param="ndvi")
    lo, hi = (_check_percentile(p, "percentiles") for p in percentiles)
    if not lo < hi:
        raise InvalidParameterError(f"percentiles must be (low, high) with low < high, got {percentiles!r}")
    z = as_float(ndvi)
    if not np.isfinite(z).any():
        raise InvalidParameterError(f"ndvi: no valid values to take percentiles of (layer {ndvi.name!r})")
    soil, veg = np.nanpercentile(z, [lo, hi])
    return float(soil), float(veg)


def fractional_cover(ndvi: xr.DataArray, *, ndvi_soil: float | None = None, ndvi_veg: float | None = None,
                     percentiles: tuple[float, float] = (5.0, 95.0)) -> xr.DataArray:
    """Fractional vegetation cover by the dimidiate pixel model.

    ``FVC = (NDVI - NDVI_soil) / (NDVI_veg - NDVI_soil)`` clipped to [0, 1].

    With both end-members given this is a per-pixel step (halo :data:`HALO` = 0) that runs
    window by window. Without them, the missing end-member is the percentile of **this** layer
    (:func:`fvc_endmembers`), which depends on the whole layer: that default is **not
    windowable** — for windowed or tiled work compute ``fvc_endmembers`` once over the area and
    pass them in.

    Parameters
    ----------
    ndvi : xarray.DataArray
        NDVI (-1..1), dims (..., "y", "x").
    ndvi_soil, ndvi_veg : float, optional
        Bare-soil and full-cover NDVI; if omitted, from ``percentiles`` of this layer.
    percentiles : (low, high), default (5, 95)
        Percentiles used for the missing end-members.

    Returns
    -------
    xarray.DataArray
        ``fvc`` (fraction 0..1), NaN where NDVI is NaN; end-members in attrs, with
        ``attrs["endmembers"]`` = "given" or "percentiles of this layer".

    Raises
    ------
    InvalidParameterError
        If ``ndvi_veg <= ndvi_soil`` or percentiles are not 0 <= low < high <= 100.

    Examples
    --------
    >>> import numpy as np, steppe_geo as sg
    >>> grid = sg.Grid(crs="EPSG:32649", transform=(30, 0, 0, 0, -30, 30), shape=(1, 4))
    >>> ndvi = grid.to_dataarray(np.array([[0.05, 0.1, 0.3, 0.6]]), name="ndvi")
    >>> fractional_cover(ndvi, ndvi_soil=0.1, ndvi_veg=0.5).values.round(6).tolist()
    [[0.0, 0.0, 0.5, 1.0]]
    """
    check_dataarray(ndvi, param="ndvi")
    given = ndvi_soil is not None and ndvi_veg is not None
    if ndvi_soil is not None and ndvi_veg is not None:
        soil, veg = float(ndvi_soil), float(ndvi_veg)
    else:
        soil_p, veg_p = fvc_endmembers(ndvi, percentiles=percentiles)
        soil = soil_p if ndvi_soil is None else float(ndvi_soil)
        veg = veg_p if ndvi_veg is None else float(ndvi_veg)
    if not veg > soil:
        raise InvalidParameterError(f"ndvi_veg ({veg}) must be greater than ndvi_soil ({soil})")
    z = as_float(ndvi)
    out = np.clip((z - soil) / (veg - soil), 0.0, 1.0)
    return wrap_like(ndvi, out, name="fvc", units="1",
                     attrs={"ndvi_soil": soil, "ndvi_veg": veg,
                            "endmembers": "given" if given else "percentiles of this layer"})


DEGRADED_NODATA = 255
"""Nodata value of the ``degraded`` layer of :func:`productivity_performance`."""


def _unit_ids(ndvi_mean: xr.DataArray, land_units: xr.DataArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NDVI values, unit ids and the mask of pixels with a valid NDVI and a valid unit."""
    check_dataarray(ndvi_mean, param="ndvi_mean")
    check_dataarray(land_units, param="land_units")
    check_same_grid({"ndvi_mean": ndvi_mean, "land_units": land_units})
    z = as_float(ndvi_mean)
    units = np.asarray(land_units.values)
    nodata = land_units.rio.nodata
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(z) & np.isfinite(units) & (units >= 0)
    if nodata is not None:
        ok &= units != nodata
    return z, units, ok


def land_unit_potentials(ndvi_mean: xr.DataArray, land_units: xr.DataArray, *,
                         percentile: float = 90.0) -> dict[int, float]:
    """Productivity potential of each land unit: a percentile of its mean NDVI over the whole area.

    Compute once over the area of interest and pass to :func:`productivity_performance` for
    every window (the per-pixel step is then windowable, halo 0).

    Parameters
    ----------
    ndvi_mean : xarray.DataArray
        Mean NDVI over the period, ("y", "x").
    land_units : xarray.DataArray
        Integer ids of similar land units on the same grid; nodata and negative ids are ignored.
    percentile : float, default 90
        Percentile of each unit taken as its potential, in (0, 100].

    Returns
    -------
    dict
        ``{unit id: potential NDVI}`` for every unit with at least one valid pixel.

    Raises
    ------
    GridMismatchError
        If the two layers are not on the same grid.
    InvalidParameterError
        If ``percentile`` is outside (0, 100].

    Examples
    --------
    >>> import numpy as np, steppe_geo as sg
    >>> grid = sg.Grid(crs="EPSG:32649", transform=(30, 0, 0, 0, -30, 30), shape=(1, 4))
    >>> ndvi = grid.to_dataarray(np.array([[0.2, 0.4, 0.1, 0.3]]), name="ndvi")
    >>> units = grid.to_dataarray(np.array([[1, 1, 2, 2]], np.int16), name="units", nodata=-1)
    >>> {k: round(v, 3) for k, v in land_unit_potentials(ndvi, units, percentile=50).items()}
    {1: 0.3, 2: 0.2}
    """
    q = _check_percentile(percentile, "percentile", low_open=True)
    z, units, ok = _unit_ids(ndvi_mean, land_units)
    df = pd.DataFrame({"u": units[ok], "v": z[ok]})
    pot = df.groupby("u")["v"].quantile(q / 100.0)
    return {int(k): float(v) for k, v in zip(pot.index.to_numpy(), pot.to_numpy(), strict=True)}


def productivity_performance(ndvi_mean: xr.DataArray, land_units: xr.DataArray, *,
                             potentials: Mapping[int, float] | None = None, percentile: float = 90.0,
                             threshold: float = 0.5) -> xr.Dataset:
    """trends.earth productivity performance: NDVI relative to the best pixels of its land unit.

    ``performance = NDVI_mean / potential(unit)``, the potential being the ``percentile``-th
    (90th) percentile of mean NDVI within the same land unit; a pixel is degraded when
    ``performance <= threshold`` (0.5).

    With ``potentials`` given (from :func:`land_unit_potentials` over the whole area) this is a
    per-pixel step (halo :data:`HALO` = 0) that runs window by window. Without them the
    potentials are the percentiles of **these** layers, which depend on the whole layer: that
    default is **not windowable**.

    Parameters
    ----------
    ndvi_mean : xarray.DataArray
        Mean NDVI over the period, ("y", "x").
    land_units : xarray.DataArray
        Integer ids of similar land units (e.g. land cover x soil), same grid; its nodata and
        negative ids are ignored.
    potentials : mapping, optional
        ``{unit id: potential NDVI}``; must hold every unit present. Default: computed from these
        layers with ``percentile``.
    percentile : float, default 90
        Percentile of the unit taken as its potential (when ``potentials`` is not given), in (0, 100].
    threshold : float, default 0.5
        Degraded at or below this ratio, in (0, 1].

    Returns
    -------
    xarray.Dataset
        ``performance`` (ratio; NaN where NDVI or the unit is missing or the potential is <= 0)
        and ``degraded``: uint8, 1 = degraded (performance <= threshold), 0 = not degraded,
        255 = nodata (declared with ``rio.write_nodata``) where the performance is NaN.

    Raises
    ------
    GridMismatchError
        If the two layers are not on the same grid.
    InvalidParameterError
        For ``threshold`` outside (0, 1], ``percentile`` outside (0, 100], or ``potentials``
        missing a unit that occurs in ``land_units``.

    Examples
    --------
    >>> import numpy as np, steppe_geo as sg
    >>> grid = sg.Grid(crs="EPSG:32649", transform=(30, 0, 0, 0, -30, 30), shape=(1, 4))
    >>> ndvi = grid.to_dataarray(np.array([[0.2, 0.4, np.nan, 0.1]]), name="ndvi")
    >>> units = grid.to_dataarray(np.array([[1, 1, 1, 1]], np.int16), name="units", nodata=-1)
    >>> ds = productivity_performance(ndvi, units, potentials={1: 0.4})
    >>> ds["performance"].values.tolist()
    [[0.5, 1.0, nan, 0.25]]
    >>> ds["degraded"].values.tolist()
    [[1, 0, 255, 1]]
    """
    thr = check_range(threshold, param="threshold", low=0.0, high=1.0)
    if thr == 0.0:
        raise InvalidParameterError(f"threshold must be within (0, 1], got {threshold!r}")
    q = _check_percentile(percentile, "percentile", low_open=True)
    z, units, ok = _unit_ids(ndvi_mean, land_units)
    if potentials is None:
        potentials = land_unit_potentials(ndvi_mean, land_units, percentile=q)
        source = f"P{q:g} of these layers"
    else:
        source = "given"
    present = np.unique(units[ok])
    missing = sorted(int(u) for u in present if int(u) not in potentials)
    if missing:
        raise InvalidParameterError(
            f"potentials has no value for land unit(s) {missing[:10]}"
            f"{' ...' if len(missing) > 10 else ''}; compute them over the whole area with "
            "land_unit_potentials(ndvi_mean, land_units)")
    table = pd.Series({int(k): float(v) for k, v in potentials.items()}, dtype=float)
    potential = np.full(z.shape, np.nan)
    potential[ok] = table.reindex(units[ok].astype(np.int64)).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        perf = np.where(ok & (potential > 0), z / potential, np.nan)
    degraded = np.full(z.shape, DEGRADED_NODATA, dtype=np.uint8)
    valid = np.isfinite(perf)
    degraded[valid] = (perf[valid] <= thr).astype(np.uint8)
    deg = wrap_like(ndvi_mean, degraded, name="degraded", units="1",
                    attrs={"flag_values": "0 1", "flag_meanings": "not_degraded degraded",
                           "threshold": thr}).rio.write_nodata(DEGRADED_NODATA, encoded=False)
    ds = xr.Dataset({
        "performance": wrap_like(ndvi_mean, perf, name="performance", units="1"),
        "degraded": deg,
    })
    ds.attrs.update({"percentile": q, "threshold": thr, "potentials": source})
    return ds
