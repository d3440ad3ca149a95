"""Wind yield criteria: turbine power curves, the capacity factor over a Weibull distribution, annual energy.

All functions are per pixel. They accept numbers or DataArrays; when DataArrays are given together
they must share a grid (GridMismatchError otherwise) and the result keeps their CRS, transform and
coordinates. NaN propagates. The wind resource (shear, air density, Weibull) is in
:mod:`~steppe_geo.criteria.wind_resource`.
"""

from __future__ import annotations

import csv
import io as _io
from dataclasses import dataclass, field
from typing import overload

import numpy as np
import xarray as xr
from scipy.special import gamma, gammainc

from steppe_geo._typing import RasterOrNumber
from steppe_geo._validation import check_range, did_you_mean
from steppe_geo.criteria.wind_resource import (
    RHO_0,
    _check_k,
    _check_positive_values,
    _first_raster,
    _out,
)
from steppe_geo.errors import InvalidParameterError
from steppe_geo.io.package_data import package_data_names, read_package_text

__all__ = [
    "CapacityFactorTable",
    "PowerCurve",
    "annual_energy",
    "available_power_curves",
    "capacity_factor",
    "capacity_factor_kernel",
    "load_power_curve",
]


# --------------------------------------------------------------------------- power curves
@dataclass(frozen=True)
class PowerCurve:
    """A turbine power curve: power (kW) linear between speeds (m/s); 0 outside [first, last] speed.

    Validated on construction: speeds strictly increasing, power finite and >= 0, power
    non-decreasing up to the rated (maximum) power, rated power > 0.

    Raises
    ------
    InvalidParameterError
        If the curve breaks one of these rules (the message names the offending speed).
    """

    name: str
    speed_m_s: tuple[float, ...]
    power_kw: tuple[float, ...]
    rotor_diameter_m: float | None = None
    source: str = ""
    rated_kw: float = field(init=False)

    def __post_init__(self) -> None:
        v = np.asarray(self.speed_m_s, dtype=float)
        p = np.asarray(self.power_kw, dtype=float)
        if v.ndim != 1 or v.shape != p.shape or v.size < 2:
            raise InvalidParameterError(
                f"power curve {self.name!r}: need >= 2 (speed, power) pairs of equal length, "
                f"got {v.size} speeds and {p.size} powers"
            )
        if not (np.isfinite(v).all() and np.isfinite(p).all()):
            raise InvalidParameterError(f"power curve {self.name!r}: speeds and powers must be finite")
        if (v < 0).any() or (np.diff(v) <= 0).any():
            i = int(np.argmax(np.diff(v) <= 0)) if (np.diff(v) <= 0).any() else 0
            raise InvalidParameterError(
                f"power curve {self.name!r}: speeds must be >= 0 and strictly increasing "
                f"(problem at {v[i]:g} -> {v[i + 1]:g} m/s)")
        if (p < 0).any():
            raise InvalidParameterError(
                f"power curve {self.name!r}: negative power {p.min():g} kW at "
                f"{v[int(np.argmin(p))]:g} m/s; power must be >= 0")
        rated_idx = int(np.argmax(p))
        drops = np.diff(p[:rated_idx + 1]) < 0
        if drops.any():
            i = int(np.argmax(drops))
            raise InvalidParameterError(
                f"power curve {self.name!r}: power must not decrease with speed up to rated power, "
                f"but falls from {p[i]:g} kW at {v[i]:g} m/s to {p[i + 1]:g} kW at {v[i + 1]:g} m/s")
        if p[rated_idx] <= 0:
            raise InvalidParameterError(f"power curve {self.name!r}: rated power must be > 0")
        object.__setattr__(self, "speed_m_s", tuple(float(x) for x in v))
        object.__setattr__(self, "power_kw", tuple(float(x) for x in p))
        object.__setattr__(self, "rated_kw", float(p[rated_idx]))

    def power(self, speed: np.ndarray | float) -> np.ndarray:
        """Power in kW at ``speed`` (m/s): linear interpolation, 0 outside the table.

        Parameters
        ----------
        speed : float or ndarray
            Hub-height wind speed in m/s.

        Returns
        -------
        ndarray
            Electrical power in kW.

        Examples
        --------
        >>> curve = PowerCurve("toy", (3.0, 10.0, 25.0), (0.0, 2000.0, 2000.0))
        >>> curve.power([2.0, 6.5, 12.0, 30.0]).tolist()
        [0.0, 1000.0, 2000.0, 0.0]
        """
        return np.asarray(np.interp(speed, self.speed_m_s, self.power_kw, left=0.0, right=0.0))


def available_power_curves() -> list[str]:
    """Names of the power curves shipped with steppe_geo (see :func:`load_power_curve`).

    Returns
    -------
    list of str
        Sorted curve names.

    Examples
    --------
    >>> available_power_curves()
    ['iea_3.3mw_156', 'nrel_6mw_170']
    """
    return package_data_names("steppe_geo.criteria", "data", suffix=".csv")


def load_power_curve(name: str) -> PowerCurve:
    """Load a shipped generic power curve by name.

    Shipped: ``"nrel_6mw_170"`` (NREL 2023 land-based 6 MW, 170 m rotor) and
    ``"iea_3.3mw_156"`` (LBNL/IEA Task 37 3.3 MW, 156 m rotor), both from the NREL
    turbine-models library; the source is in each file's header.

    Parameters
    ----------
    name : str
        One of :func:`available_power_curves`.

    Returns
    -------
    PowerCurve
        The validated curve with its rotor diameter and source.

    Raises
    ------
    InvalidParameterError
        If no curve of that name ships with steppe_geo.
    """
    names = available_power_curves()
    if name not in names:
        raise InvalidParameterError(
            f"power curve {name!r} not found{did_you_mean(name, names)} Available: {', '.join(names)}"
        )
    text = read_package_text("steppe_geo.criteria", "data", f"{name}.csv")
    meta: dict[str, str] = {}
    rows: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            content = line[1:]
            if content.startswith("   ") and "source" in meta:  # continuation of the source
                meta["source"] += " " + content.strip()
                continue
            key, _, val = content.partition(":")
            if val:
                meta[key.strip()] = val.strip()
        elif line.strip():
            rows.append(line)
    reader = csv.DictReader(_io.StringIO("\n".join(rows)))
    data = [(float(r["speed_m_s"]), float(r["power_kw"])) for r in reader]
    rotor = meta.get("rotor_diameter_m")
    return PowerCurve(name=name, speed_m_s=tuple(d[0] for d in data), power_kw=tuple(d[1] for d in data),
                      rotor_diameter_m=float(rotor) if rotor else None, source=meta.get("source", ""))


def capacity_factor_kernel(c: np.ndarray, k: np.ndarray, speeds: np.ndarray, power: np.ndarray,
                           rated: float, *, block: int = 50_000) -> np.ndarray:
    """Capacity factor ``∫ P(v) f(v; c, k) dv / P_rated`` for arrays of Weibull c and k, in closed form.

    The curve is linear between its speeds (and 0 outside them). On a segment
    ``P(v) = α + s·v`` the integral is ``α [F(b) − F(a)] + s [M(b) − M(a)]`` with the Weibull
    CDF ``F(v) = 1 − exp(−(v/c)^k)`` and its first partial moment
    ``M(v) = ∫₀^v u f(u) du = c Γ(1 + 1/k) P(1 + 1/k, (v/c)^k)``, P the regularised lower
    incomplete gamma function (``scipy.special.gammainc``). Exact up to floating point; no
    quadrature. Vectorised over pixels in blocks (only pixels with finite c and k are computed;
    the others are NaN); halo 0.

    Parameters
    ----------
    c, k : ndarray
        Weibull scale (m/s) and shape, broadcastable to each other.
    speeds, power : ndarray
        The power curve (m/s, kW).
    rated : float
        Rated power (kW).
    block : int, default 50000
        Pixels per block.

    Returns
    -------
    ndarray
        Capacity factor (0..1), shape of ``c`` and ``k`` broadcast.
    """
    shape = np.broadcast_shapes(np.shape(c), np.shape(k))
    flat_c = np.broadcast_to(np.asarray(c, dtype=float), shape).ravel()
    flat_k = np.broadcast_to(np.asarray(k, dtype=float), shape).ravel()
    v = np.asarray(speeds, dtype=float)
    p = np.asarray(power, dtype=float) / rated
    slope = np.diff(p) / np.diff(v)
    alpha = p[:-1] - slope * v[:-1]
    sloped = slope != 0
    # M is needed only at the ends of sloped segments
    m_nodes = np.unique(np.concatenate([np.flatnonzero(sloped), np.flatnonzero(sloped) + 1]))
    m_slope = np.zeros(m_nodes.size)
    pos = {n: i for i, n in enumerate(m_nodes)}
    for j in np.flatnonzero(sloped):  # Σ s_j (M(v_{j+1}) − M(v_j)) as weights on the M nodes
        m_slope[pos[j + 1]] += slope[j]
        m_slope[pos[j]] -= slope[j]
    out = np.full(flat_c.shape, np.nan)
    valid = np.flatnonzero(np.isfinite(flat_c) & np.isfinite(flat_k))  # nodata costs nothing
    vc, vk = flat_c[valid], flat_k[valid]
    result = np.empty(valid.size)
    # (v/c)^k overflows to inf for a large k above c: exp(-inf) = 0 and P(a, inf) = 1 are the exact limits
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for b0 in range(0, valid.size, block):
            cc = vc[b0:b0 + block, None]
            kk = vk[b0:b0 + block, None]
            u = (v[None, :] / cc) ** kk
            survival = np.exp(-u)  # 1 − F
            part = (survival[:, :-1] - survival[:, 1:]) @ alpha
            a1 = 1.0 + 1.0 / kk
            moment = cc * gamma(a1) * gammainc(a1, u[:, m_nodes])
            result[b0:b0 + block] = part + moment @ m_slope
    out[valid] = result
    return out.reshape(shape)


def _curve(curve: PowerCurve | str) -> PowerCurve:
    if isinstance(curve, str):
        return load_power_curve(curve)
    if not isinstance(curve, PowerCurve):
        raise InvalidParameterError(f"curve must be a PowerCurve or a shipped curve name, got {curve!r}")
    return curve


# --------------------------------------------------------------------------- tabulated capacity factor
def _cubic_weights(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lagrange weights of the nodes −1, 0, 1, 2 for a point ``t`` (0 ≤ t < 1) between nodes 0 and 1."""
    return (-t * (t - 1.0) * (t - 2.0) / 6.0, (t + 1.0) * (t - 1.0) * (t - 2.0) / 2.0,
            -(t + 1.0) * t * (t - 2.0) / 2.0, (t + 1.0) * t * (t - 1.0) / 6.0)


class CapacityFactorTable:
    """The capacity factor of one power curve, tabulated over Weibull (c, k) and interpolated.

    :func:`capacity_factor_kernel` evaluates an incomplete gamma function per sloped node of the
    curve and pixel (about 10 µs per pixel for a 43-point curve). The capacity factor is a smooth
    function of (c, k) alone, so a run needs it only on the small part of the (c, k) plane its
    pixels occupy: this table holds the exact integral on a fixed lattice of nodes
    ``(i · c_step_m_s, j · k_step)`` — computed when first needed, only around the (c, k) values
    asked for, and kept for later calls (windows, parcel chunks, regions) — and interpolates
    between them with tensor-product cubic Lagrange polynomials (the 4 x 4 nodes around the point).

    Error: 4-point Lagrange interpolation in one direction errs by ``f⁽⁴⁾(ξ) ω(t) h⁴ / 24`` with
    ``ω(t) = (t + 1) t (t − 1) (t − 2)``, which on the cell (0 ≤ t ≤ 1) is largest at its middle
    (``9/16``); the tensor product errs by the sum of both directions' terms (plus a product of
    them, of higher order). So every lattice cell is checked, when first used, against the exact
    integral at its centre and the midpoints of its four edges (where one or both terms are at
    their largest), and a cell whose largest check error exceeds ``tolerance`` is not
    interpolated: its pixels get the exact integral. The values depend only on (c, k) and the
    lattice — never on which pixels, window or chunk asked first — so every execution mode gets
    the same number for the same pixel. Outside ``[2 c_step_m_s, 60 m/s) x [2 k_step, 12)`` the
    exact integral is used too. Measured: at most 5e-8 from the exact integral on 2·10⁵ random
    (c, k) in [2, 14] m/s x [1.2, 4] for both shipped curves (``docs/criteria.md``).

    Parameters
    ----------
    curve : PowerCurve or str
        A :class:`PowerCurve` or the name of a shipped curve.
    c_step_m_s : float, default 0.05
        Lattice step in Weibull c (m/s).
    k_step : float, default 0.025
        Lattice step in Weibull k.
    tolerance : float, default 1e-7
        Largest accepted interpolation error at a cell's check points (capacity factor, 0..1).

    Raises
    ------
    InvalidParameterError
        For an invalid curve or a step or tolerance that is not a positive number.

    Examples
    --------
    >>> table = CapacityFactorTable("nrel_6mw_170")
    >>> exact = capacity_factor_kernel(np.array([8.0]), np.array([2.0]), np.asarray(table.curve.speed_m_s),
    ...                                np.asarray(table.curve.power_kw), table.curve.rated_kw)
    >>> bool(abs(table(np.array([8.0]), np.array([2.0]))[0] - exact[0]) < 1e-7)
    True
    """

    C_MAX_M_S = 60.0
    K_MAX = 12.0

    def __init__(self, curve: PowerCurve | str, *, c_step_m_s: float = 0.05, k_step: float = 0.025,
                 tolerance: float = 1e-7) -> None:
        self.curve = _curve(curve)
        for name, value in (("c_step_m_s", c_step_m_s), ("k_step", k_step), ("tolerance", tolerance)):
            if not isinstance(value, (int, float)) or not np.isfinite(value) or value <= 0:
                raise InvalidParameterError(
                    f"CapacityFactorTable: {name} must be a number > 0, got {value!r}")
        self.c_step_m_s, self.k_step, self.tolerance = float(c_step_m_s), float(k_step), float(tolerance)
        self._speeds = np.asarray(self.curve.speed_m_s)
        self._power = np.asarray(self.curve.power_kw)
        # Cells [i0, i1) x [j0, j1) are ready: nodes i0 - 1 … i1 + 1 (rows) and j0 - 1 … j1 + 1 (columns)
        # of the lattice, and per cell whether it is interpolated (`_good`).
        self._box = (0, 0, 0, 0)
        self._nodes = np.empty((0, 0))
        self._good = np.empty((0, 0), dtype=bool)

    @property
    def nodes(self) -> int:
        """Number of lattice nodes computed so far (exact integrals held)."""
        return int(self._nodes.size)

    def _exact(self, c: np.ndarray, k: np.ndarray) -> np.ndarray:
        return capacity_factor_kernel(c, k, self._speeds, self._power, self.curve.rated_kw)

    def _ensure(self, i_lo: int, i_hi: int, j_lo: int, j_hi: int) -> None:
        """Make cells i_lo … i_hi x j_lo … j_hi ready (the box grows to hold the old one and these)."""
        i0, i1, j0, j1 = self._box
        if i0 < i1 and i0 <= i_lo and i_hi < i1 and j0 <= j_lo and j_hi < j1:
            return
        if i0 < i1:
            i_lo, i_hi, j_lo, j_hi = min(i_lo, i0), max(i_hi, i1 - 1), min(j_lo, j0), max(j_hi, j1 - 1)
        ni, nj = i_hi - i_lo + 1, j_hi - j_lo + 1
        # Exact values on the half-step lattice of the box grown by one node: even-even points are
        # the nodes, the others the check points (cell centres and edge midpoints).
        half = np.full((2 * ni + 5, 2 * nj + 5), np.nan)
        ci = (2 * (i_lo - 1) + np.arange(half.shape[0])) * (0.5 * self.c_step_m_s)
        kj = (2 * (j_lo - 1) + np.arange(half.shape[1])) * (0.5 * self.k_step)
        if i0 < i1:  # nodes held already: keep them (each node is computed once per table)
            r, s = 2 * (i0 - i_lo), 2 * (j0 - j_lo)
            half[r:r + 2 * self._nodes.shape[0] - 1:2, s:s + 2 * self._nodes.shape[1] - 1:2] = self._nodes
        todo = np.isnan(half)
        rows, cols = np.nonzero(todo)
        half[rows, cols] = self._exact(ci[rows], kj[cols])
        nodes = half[0::2, 0::2]  # (ni + 3, nj + 3): nodes i_lo - 1 … i_hi + 2
        # Interpolated values at the check points of every cell, compared with the exact ones.
        mid = np.array([-1.0, 9.0, 9.0, -1.0]) / 16.0  # Lagrange weights at t = 1/2

        def along(a: np.ndarray, axis: int) -> np.ndarray:
            """Values at the midpoints between nodes 1 … n - 2 along ``axis`` (cubic, from 4 nodes)."""
            n = a.shape[axis]
            take = [np.take(a, range(q, n - 3 + q), axis=axis) for q in range(4)]
            out: np.ndarray = sum(m * t for m, t in zip(mid, take, strict=True))
            return out

        mid_c = along(nodes, 0)          # (ni, nj + 3): c midpoints, on k nodes
        mid_k = along(nodes, 1)          # (ni + 3, nj)
        centre = along(mid_c, 1)         # (ni, nj)
        exact_c = half[3:2 * ni + 2:2, 2:2 * nj + 3:2]   # c midpoints of cells, k nodes j_lo … j_hi + 1
        exact_k = half[2:2 * ni + 3:2, 3:2 * nj + 2:2]   # c nodes i_lo … i_hi + 1, k midpoints
        exact_centre = half[3:2 * ni + 2:2, 3:2 * nj + 2:2]
        err_c = np.abs(mid_c[:, 1:-1] - exact_c)         # (ni, nj + 1): bottom and top edges
        err_k = np.abs(mid_k[1:-1, :] - exact_k)         # (ni + 1, nj): left and right edges
        err = np.maximum.reduce([np.abs(centre - exact_centre), err_c[:, :-1], err_c[:, 1:],
                                 err_k[:-1, :], err_k[1:, :]])
        self._good = np.isfinite(err) & (err <= self.tolerance)
        self._nodes = nodes
        self._box = (i_lo, i_hi + 1, j_lo, j_hi + 1)

    def __call__(self, c: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Capacity factor (0..1, gross: no losses, no density correction) at Weibull ``c`` and ``k``.

        Parameters
        ----------
        c : ndarray
            Weibull scale (m/s, > 0; NaN = nodata).
        k : ndarray
            Weibull shape (> 0), broadcastable to ``c``.

        Returns
        -------
        ndarray
            Capacity factor, shape of ``c`` and ``k`` broadcast; NaN where either is NaN.

        Raises
        ------
        InvalidParameterError
            If a finite ``c`` or ``k`` is <= 0.
        """
        shape = np.broadcast_shapes(np.shape(c), np.shape(k))
        flat_c = np.broadcast_to(np.asarray(c, dtype=np.float64), shape).ravel()
        flat_k = np.broadcast_to(np.asarray(k, dtype=np.float64), shape).ravel()
        for name, arr in (("c", flat_c), ("k", flat_k)):
            if (np.isfinite(arr) & (arr <= 0)).any():
                raise InvalidParameterError(
                    f"CapacityFactorTable: {name} must be > 0, got min {np.nanmin(arr):g}")
        out = np.full(flat_c.shape, np.nan)
        valid = np.isfinite(flat_c) & np.isfinite(flat_k)
        inside = valid & (flat_c >= 2 * self.c_step_m_s) & (flat_c < self.C_MAX_M_S)
        inside &= (flat_k >= 2 * self.k_step) & (flat_k < self.K_MAX)
        idx = np.flatnonzero(inside)
        if idx.size:
            x, y = flat_c[idx] / self.c_step_m_s, flat_k[idx] / self.k_step
            fi, fj = np.floor(x), np.floor(y)
            i, j = fi.astype(np.int64), fj.astype(np.int64)
            self._ensure(int(i.min()), int(i.max()), int(j.min()), int(j.max()))
            i0, _, j0, _ = self._box
            good = self._good[i - i0, j - j0]
            idx, i, j = idx[good], i[good], j[good]
            wi, wj = _cubic_weights(x[good] - fi[good]), _cubic_weights(y[good] - fj[good])
            ncols = self._nodes.shape[1]
            base = (i - i0) * ncols + (j - j0)  # node (i - 1, j - 1); `_nodes` starts at (i0 - 1, j0 - 1)
            flat_nodes = self._nodes.ravel()
            value = np.zeros(idx.size)
            for a in range(4):
                row = wj[0] * flat_nodes[base + a * ncols]
                for b in range(1, 4):
                    row += wj[b] * flat_nodes[base + a * ncols + b]
                value += wi[a] * row
            out[idx] = value
            inside[:] = False
            inside[idx] = True
        rest = np.flatnonzero(valid & ~inside)  # outside the lattice, or in a cell that failed its check
        if rest.size:
            out[rest] = self._exact(flat_c[rest], flat_k[rest])
        return out.reshape(shape)


@overload
def capacity_factor(c: xr.DataArray, *, k: RasterOrNumber = ..., curve: PowerCurve | str = ...,
                    air_density_kg_m3: RasterOrNumber | None = ..., losses: float = ...,
                    table: CapacityFactorTable | None = ...) -> xr.DataArray: ...


@overload
def capacity_factor(c: float, *, k: xr.DataArray, curve: PowerCurve | str = ...,
                    air_density_kg_m3: RasterOrNumber | None = ..., losses: float = ...,
                    table: CapacityFactorTable | None = ...) -> xr.DataArray: ...


@overload
def capacity_factor(c: float, *, k: float = ..., curve: PowerCurve | str = ...,
                    air_density_kg_m3: xr.DataArray, losses: float = ...,
                    table: CapacityFactorTable | None = ...) -> xr.DataArray: ...


@overload
def capacity_factor(c: float, *, k: float = ..., curve: PowerCurve | str = ...,
                    air_density_kg_m3: float | None = ..., losses: float = ...,
                    table: CapacityFactorTable | None = ...) -> float: ...


def capacity_factor(c: RasterOrNumber, *, k: RasterOrNumber = 2.0,
                    curve: PowerCurve | str = "nrel_6mw_170",
                    air_density_kg_m3: RasterOrNumber | None = None,
                    losses: float = 0.0, table: CapacityFactorTable | None = None) -> RasterOrNumber:
    """Gross capacity factor of a turbine under Weibull-distributed hub-height wind.

    ``CF = (1 - losses) ∫ P(v) f(v; c, k) dv / P_rated``, f the Weibull pdf; see
    :func:`capacity_factor_kernel` for the integration.

    Parameters
    ----------
    c : DataArray or float
        Weibull scale at hub height (m/s, > 0; NaN = nodata).
    k : DataArray or float, default 2
        Weibull shape (> 0).
    curve : PowerCurve or str
        A :class:`PowerCurve` or the name of a shipped curve.
    air_density_kg_m3 : DataArray or float, optional
        If given (> 0), wind speeds are scaled by ``(rho / 1.225)^(1/3)`` (IEC 61400-12-1 density
        correction for pitch-regulated turbines) before reading the curve.
    losses : float, default 0
        Fraction of energy lost (wake, availability, electrical), in [0, 1).
    table : CapacityFactorTable, optional
        Interpolate the integral from this table of ``curve`` (within its ``tolerance``, 1e-7 by
        default, of the exact value; much faster on many pixels) instead of evaluating it exactly.

    Returns
    -------
    DataArray or float
        ``capacity_factor`` (fraction 0..1).

    Raises
    ------
    InvalidParameterError
        For an invalid curve, c or k <= 0, a non-positive air density, losses outside [0, 1) or
        a ``table`` of another power curve.
    GridMismatchError
        If the rasters are on different grids.

    Examples
    --------
    >>> round(capacity_factor(8.0, k=2.0, curve="nrel_6mw_170"), 4)
    0.4339
    >>> round(capacity_factor(8.0, k=2.0, curve="nrel_6mw_170", losses=0.1), 4)
    0.3905
    """
    pc = _curve(curve)
    ref = _first_raster({"c": c, "k": k, "air_density_kg_m3": air_density_kg_m3})
    check_range(losses, param="losses", low=0.0, high=0.999999)
    cv = np.asarray(_check_positive_values(c, "c"))
    if air_density_kg_m3 is not None:
        rho = np.asarray(_check_positive_values(air_density_kg_m3, "air_density_kg_m3"))
        cv = cv * (rho / RHO_0) ** (1.0 / 3.0)
    kv = np.asarray(_check_k(k))
    if table is None:
        cf = capacity_factor_kernel(cv, kv, np.asarray(pc.speed_m_s), np.asarray(pc.power_kw), pc.rated_kw)
    elif not isinstance(table, CapacityFactorTable) or table.curve != pc:
        raise InvalidParameterError(
            f"table: give a CapacityFactorTable of power curve {pc.name!r}, got "
            f"{getattr(getattr(table, 'curve', None), 'name', type(table).__name__)!r}")
    else:
        cf = table(cv, kv)
    cf = cf * (1.0 - losses)
    return _out(ref, cf, name="capacity_factor", units="1", attrs={"power_curve": pc.name})


@overload
def annual_energy(c: xr.DataArray, *, k: RasterOrNumber = ..., curve: PowerCurve | str = ...,
                  air_density_kg_m3: RasterOrNumber | None = ..., losses: float = ...) -> xr.DataArray: ...


@overload
def annual_energy(c: float, *, k: xr.DataArray, curve: PowerCurve | str = ...,
                  air_density_kg_m3: RasterOrNumber | None = ..., losses: float = ...) -> xr.DataArray: ...


@overload
def annual_energy(c: float, *, k: float = ..., curve: PowerCurve | str = ...,
                  air_density_kg_m3: xr.DataArray, losses: float = ...) -> xr.DataArray: ...


@overload
def annual_energy(c: float, *, k: float = ..., curve: PowerCurve | str = ...,
                  air_density_kg_m3: float | None = ..., losses: float = ...) -> float: ...


def annual_energy(c: RasterOrNumber, *, k: RasterOrNumber = 2.0,
                  curve: PowerCurve | str = "nrel_6mw_170",
                  air_density_kg_m3: RasterOrNumber | None = None,
                  losses: float = 0.0) -> RasterOrNumber:
    """Annual energy per turbine in MWh/yr: ``CF × P_rated × 8760 h``.

    Parameters
    ----------
    c, k, curve, air_density_kg_m3, losses
        As in :func:`capacity_factor`.

    Returns
    -------
    DataArray or float
        ``annual_energy`` in MWh/yr per turbine.

    Raises
    ------
    InvalidParameterError
        As :func:`capacity_factor`.

    Examples
    --------
    >>> cf = capacity_factor(8.0, curve="nrel_6mw_170")
    >>> bool(abs(annual_energy(8.0, curve="nrel_6mw_170") - cf * 6000 * 8.76) < 1e-6)
    True
    """
    pc = _curve(curve)
    cf = capacity_factor(c, k=k, curve=pc, air_density_kg_m3=air_density_kg_m3, losses=losses)
    aep = cf * pc.rated_kw * 8760.0 / 1000.0
    if isinstance(aep, xr.DataArray):
        aep.name = "annual_energy"
        aep.attrs = {"units": "MWh yr-1", "power_curve": pc.name}
    return aep
