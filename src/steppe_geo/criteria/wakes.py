"""Wind farm wake losses: the Jensen / Park model over a wind rose.

The model (Jensen 1983; Katić, Højstrup & Jensen 1986, "A simple model for cluster efficiency",
EWEC '86) as implemented in WAsP's Park model and in PyWake's ``NOJ``:

- A turbine of rotor radius ``r0`` and thrust coefficient ``Ct`` leaves a top-hat wake whose radius
  grows linearly with the downstream distance ``x``: ``r_w = r0 + k x``; ``k`` is the wake decay
  constant, 0.075 onshore by default (the WAsP recommendation for onshore sites; Barthelmie et al.
  2006, *J. Atmos. Oceanic Technol.* 23, 888–901, use 0.075 onshore and 0.04–0.05 offshore).
- Inside the wake the speed deficit is ``δ = U0 (1 − √(1 − Ct)) / (1 + k x / r0)²``.
- A downstream rotor partly in the wake gets ``δ`` times the overlap fraction
  ``A_overlap / (π r0²)``, ``A_overlap`` the area of the intersection of the wake circle and the
  rotor disc (circle–circle lens area).
- Deficits from several upstream turbines add as the root of the sum of squares
  (Katić et al. 1986): ``U_j = U0 − √(Σ_i δ_ij²)``.
- ``Ct`` of the upstream turbine is read at its own (waked) speed; turbines are solved from
  upstream to downstream, so each is computed once per wind case.

Thrust coefficients come from the power curve by one-dimensional momentum theory when no thrust
table is given (Burton et al., *Wind Energy Handbook*, 2nd ed. 2011, §3.2): ``Cp = P / (½ ρ A v³)``,
``Cp = 4a(1 − a)²`` solved for the axial induction ``a ≤ 1/3`` and ``Ct = 4a(1 − a)``. Electrical
power understates the aerodynamic ``Cp``, and real rotors are not ideal actuator discs: for the
shipped NREL 6 MW curve this gives Ct ≈ 0.57 at 8 m/s where modern rotors have about 0.75–0.8
below rated speed, so wake losses from it are on the low side. Pass a manufacturer's thrust table
(:class:`ThrustCurve`) where one exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from steppe_geo._validation import check_number, check_positive, check_range
from steppe_geo.criteria.wind_power import PowerCurve, _curve
from steppe_geo.criteria.wind_resource import RHO_0
from steppe_geo.errors import InvalidParameterError

__all__ = [
    "DEFAULT_WAKE_DECAY",
    "FarmEnergy",
    "ThrustCurve",
    "WindRose",
    "farm_energy",
    "jensen_wake_speeds",
    "lens_area",
    "prevailing_direction",
    "thrust_curve",
    "weibull_rose",
    "wind_rose",
]

DEFAULT_WAKE_DECAY = 0.075
"""Onshore wake decay constant k (WAsP Park model default onshore; Barthelmie et al. 2006)."""

HOURS_PER_YEAR = 8760.0


# --------------------------------------------------------------------------- thrust
@dataclass(frozen=True)
class ThrustCurve:
    """Thrust coefficient (dimensionless, 0..1) linear between speeds (m/s); 0 outside the table.

    Raises
    ------
    InvalidParameterError
        If speeds are not strictly increasing or a coefficient is outside [0, 1].
    """

    speed_m_s: tuple[float, ...]
    ct: tuple[float, ...]

    def __post_init__(self) -> None:
        v = np.asarray(self.speed_m_s, dtype=float)
        c = np.asarray(self.ct, dtype=float)
        if v.ndim != 1 or v.shape != c.shape or v.size < 2:
            raise InvalidParameterError(
                f"thrust curve: need >= 2 (speed, ct) pairs of equal length, got {v.size} and {c.size}")
        if not (np.isfinite(v).all() and (np.diff(v) > 0).all()):
            raise InvalidParameterError("thrust curve: speeds must be finite and strictly increasing")
        if not (np.isfinite(c).all() and (c >= 0).all() and (c <= 1).all()):
            raise InvalidParameterError(
                f"thrust curve: ct must be within [0, 1] (the Jensen deficit needs √(1 − Ct)), "
                f"got values from {c.min():g} to {c.max():g}")
        object.__setattr__(self, "speed_m_s", tuple(float(x) for x in v))
        object.__setattr__(self, "ct", tuple(float(x) for x in c))

    def at(self, speed: np.ndarray | float) -> np.ndarray:
        """Thrust coefficient at ``speed`` (m/s): linear interpolation, 0 outside the table.

        Parameters
        ----------
        speed : float or ndarray
            Hub-height wind speed (m/s).

        Returns
        -------
        ndarray
            Ct (0..1).
        """
        return np.asarray(np.interp(speed, self.speed_m_s, self.ct, left=0.0, right=0.0))


def _induction(cp: np.ndarray) -> np.ndarray:
    """Axial induction a in [0, 1/3] with 4a(1 − a)² = cp (cp clipped to [0, 16/27]); bisection."""
    cp = np.clip(cp, 0.0, 16.0 / 27.0)
    lo = np.zeros_like(cp)
    hi = np.full_like(cp, 1.0 / 3.0)
    for _ in range(60):  # 2^-60 of 1/3: below double precision
        mid = 0.5 * (lo + hi)
        below = 4.0 * mid * (1.0 - mid) ** 2 < cp
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    a: np.ndarray = 0.5 * (lo + hi)
    return a


def thrust_curve(curve: PowerCurve | str, *, air_density_kg_m3: float = RHO_0) -> ThrustCurve:
    """Thrust coefficients at the power curve's speeds from one-dimensional momentum theory.

    ``Cp = P / (½ ρ π (D/2)² v³)``, ``a`` from ``Cp = 4a(1 − a)²`` (``a ≤ 1/3``; Cp above the Betz
    limit 16/27 is clipped), ``Ct = 4a(1 − a)`` (Burton et al. 2011, §3.2).

    Parameters
    ----------
    curve : PowerCurve or str
        A curve with ``rotor_diameter_m`` (the shipped curves have it).
    air_density_kg_m3 : float, default 1.225
        Air density the power curve refers to.

    Returns
    -------
    ThrustCurve
        Ct at the curve's speeds (0 where the power is 0).

    Raises
    ------
    InvalidParameterError
        If the curve has no rotor diameter or the density is not > 0.

    Examples
    --------
    >>> tc = thrust_curve("nrel_6mw_170")
    >>> round(float(tc.at(8.0)), 3)
    0.569
    """
    pc = _curve(curve)
    if pc.rotor_diameter_m is None:
        raise InvalidParameterError(
            f"power curve {pc.name!r} has no rotor_diameter_m; the thrust coefficient needs the rotor area")
    rho = check_positive(air_density_kg_m3, param="air_density_kg_m3")
    v = np.asarray(pc.speed_m_s)
    area = np.pi * (pc.rotor_diameter_m / 2.0) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        cp = np.where(v > 0, np.asarray(pc.power_kw) * 1000.0 / (0.5 * rho * area * v**3), 0.0)
    a = _induction(cp)
    return ThrustCurve(tuple(v.tolist()), tuple((4.0 * a * (1.0 - a)).tolist()))


# --------------------------------------------------------------------------- geometry
def lens_area(distance_m: np.ndarray | float, r_wake_m: np.ndarray | float,
              r_rotor_m: np.ndarray | float) -> np.ndarray:
    """Area (m²) of the intersection of two circles: the wake (radius R) and a rotor disc (radius r).

    ``r² acos((d² + r² − R²) / 2dr) + R² acos((d² + R² − r²) / 2dR)
    − ½ √((−d + r + R)(d + r − R)(d − r + R)(d + r + R))`` for partial overlap; ``π min(R, r)²``
    when one circle lies inside the other; 0 when they are apart.

    Parameters
    ----------
    distance_m : float or ndarray
        Distance between the centres (m, >= 0).
    r_wake_m, r_rotor_m : float or ndarray
        Radii (m, > 0).

    Returns
    -------
    ndarray
        Overlap area in m².

    Examples
    --------
    >>> round(float(lens_area(1.0, 1.0, 1.0)), 6)  # 2π/3 − √3/2
    1.22837
    """
    d, big, r = np.broadcast_arrays(np.asarray(distance_m, float), np.asarray(r_wake_m, float),
                                    np.asarray(r_rotor_m, float))
    out = np.zeros(d.shape)
    inside = d <= np.abs(big - r)
    out[inside] = np.pi * np.minimum(big, r)[inside] ** 2
    part = ~inside & (d < big + r)
    dp, bp, rp = d[part], big[part], r[part]
    c1 = np.clip((dp**2 + rp**2 - bp**2) / (2 * dp * rp), -1.0, 1.0)
    c2 = np.clip((dp**2 + bp**2 - rp**2) / (2 * dp * bp), -1.0, 1.0)
    tri = np.clip((-dp + rp + bp) * (dp + rp - bp) * (dp - rp + bp) * (dp + rp + bp), 0.0, None)
    out[part] = rp**2 * np.arccos(c1) + bp**2 * np.arccos(c2) - 0.5 * np.sqrt(tri)
    return out


def _flow_frame(x: np.ndarray, y: np.ndarray, wind_from_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Downwind and crosswind coordinates (m) for wind blowing *from* ``wind_from_deg``."""
    t = np.radians(wind_from_deg)
    ex, ey = -np.sin(t), -np.cos(t)  # unit vector the air moves towards
    return x * ex + y * ey, -x * ey + y * ex


# --------------------------------------------------------------------------- wake kernel
def _wake_speeds_one_direction(down: np.ndarray, cross: np.ndarray, u0: np.ndarray, r0: float,
                               k: float, thrust: ThrustCurve) -> np.ndarray:
    """Effective speeds (n_speeds, n_turbines) for one direction; turbines solved upstream first."""
    n = down.size
    eff = np.empty((u0.size, n))
    order = np.argsort(down, kind="stable")
    rotor_area = np.pi * r0**2
    for pos, j in enumerate(order):
        ups = order[:pos]
        dx = down[j] - down[ups]
        ups, dx = ups[dx > 0], dx[dx > 0]
        if ups.size == 0:
            eff[:, j] = u0
            continue
        frac = lens_area(np.abs(cross[j] - cross[ups]), r0 + k * dx, r0) / rotor_area
        keep = frac > 0
        if not keep.any():
            eff[:, j] = u0
            continue
        ups, dx, frac = ups[keep], dx[keep], frac[keep]
        ct = thrust.at(eff[:, ups])  # (n_speeds, n_up): Ct at each upstream turbine's own speed
        deficit = u0[:, None] * (1.0 - np.sqrt(1.0 - ct)) / (1.0 + k * dx / r0) ** 2 * frac
        eff[:, j] = u0 - np.sqrt((deficit**2).sum(axis=1))
    return eff


def _xy(x_m: Sequence[float] | np.ndarray, y_m: Sequence[float] | np.ndarray
        ) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x_m, dtype=float).ravel()
    y = np.asarray(y_m, dtype=float).ravel()
    if x.shape != y.shape:
        raise InvalidParameterError(f"x_m and y_m must have the same length, got {x.size} and {y.size}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InvalidParameterError("turbine coordinates x_m, y_m must be finite (projected metres)")
    return x, y


def jensen_wake_speeds(x_m: Sequence[float] | np.ndarray, y_m: Sequence[float] | np.ndarray, *,
                       wind_from_deg: float, speed_m_s: Sequence[float] | np.ndarray,
                       rotor_diameter_m: float, thrust: ThrustCurve,
                       wake_decay: float = DEFAULT_WAKE_DECAY) -> np.ndarray:
    """Waked hub-height speed at each turbine (Jensen/Park model, sum-of-squares superposition).

    Parameters
    ----------
    x_m, y_m : sequence of float
        Turbine positions in a projected CRS (m; y north).
    wind_from_deg : float
        Direction the wind blows from, degrees clockwise from north (grid north of the CRS).
    speed_m_s : sequence of float
        Free-stream hub-height speeds (m/s, >= 0) to evaluate.
    rotor_diameter_m : float
        Rotor diameter D (m, > 0); all turbines alike.
    thrust : ThrustCurve
        Thrust coefficient against speed (see :func:`thrust_curve`).
    wake_decay : float, default 0.075
        Wake decay constant k (> 0; 0.075 onshore, 0.04–0.05 offshore).

    Returns
    -------
    ndarray
        ``(len(speed_m_s), n_turbines)`` effective speeds in m/s.

    Raises
    ------
    InvalidParameterError
        For unequal or non-finite coordinates, a negative speed, or D or k not > 0.

    Examples
    --------
    Two turbines 5 D apart in a westerly; the downstream one sees
    ``8 (1 − √(1 − Ct)) / (1 + 0.075 · 10)²`` less (full overlap: the wake radius is 1.375 r0):

    >>> tc = ThrustCurve((0.0, 30.0), (0.75, 0.75))
    >>> jensen_wake_speeds([0, 500], [0, 0], wind_from_deg=270, speed_m_s=[8.0],
    ...                    rotor_diameter_m=100, thrust=tc).round(4).tolist()
    [[8.0, 6.6939]]
    """
    x, y = _xy(x_m, y_m)
    u0 = np.asarray(speed_m_s, dtype=float).ravel()
    if not (np.isfinite(u0).all() and (u0 >= 0).all()):
        raise InvalidParameterError(f"speed_m_s must be finite and >= 0, got {u0.tolist()[:10]}")
    d = check_positive(rotor_diameter_m, param="rotor_diameter_m")
    k = check_positive(wake_decay, param="wake_decay")
    direction = check_number(wind_from_deg, param="wind_from_deg")
    down, cross = _flow_frame(x, y, direction)
    return _wake_speeds_one_direction(down, cross, u0, d / 2.0, k, thrust)


# --------------------------------------------------------------------------- wind roses
@dataclass(frozen=True, eq=False)
class WindRose:
    """Joint frequency of wind direction (from, ° clockwise from north) and hub-height speed (m/s).

    ``frequency[i, j]`` is the share of time the wind blows from ``direction_deg[i]`` at
    ``speed_m_s[j]``; the table sums to 1.

    Raises
    ------
    InvalidParameterError
        If the shapes disagree, a frequency is negative or the total is not 1 (±1e-6).
    """

    direction_deg: tuple[float, ...]
    speed_m_s: tuple[float, ...]
    frequency: np.ndarray

    def __post_init__(self) -> None:
        f = np.asarray(self.frequency, dtype=float)
        nd, ns = len(self.direction_deg), len(self.speed_m_s)
        if f.shape != (nd, ns):
            raise InvalidParameterError(
                f"wind rose: frequency must have shape (directions, speeds) = ({nd}, {ns}), got {f.shape}")
        if not (np.isfinite(f).all() and (f >= 0).all()) or abs(f.sum() - 1.0) > 1e-6:
            raise InvalidParameterError(
                f"wind rose: frequencies must be >= 0 and sum to 1, got sum {f.sum():g}")
        if min(self.speed_m_s, default=0.0) < 0:
            raise InvalidParameterError("wind rose: speeds must be >= 0 m/s")
        f = f.copy()
        f.flags.writeable = False
        object.__setattr__(self, "frequency", f)

    def mean_speed(self) -> float:
        """Mean speed (m/s) over the rose.

        Returns
        -------
        float
            ``Σ f v``.
        """
        return float((self.frequency * np.asarray(self.speed_m_s)[None, :]).sum())

    def scaled(self, factor: float) -> WindRose:
        """The same rose with every speed multiplied by ``factor`` (> 0).

        Parameters
        ----------
        factor : float
            Speed factor, e.g. a site's mean speed over the record's.

        Returns
        -------
        WindRose
            A new rose.
        """
        f = check_positive(factor, param="factor")
        return WindRose(self.direction_deg, tuple(s * f for s in self.speed_m_s), self.frequency)


def wind_rose(direction_deg: Sequence[float] | np.ndarray, speed_m_s: Sequence[float] | np.ndarray, *,
              sectors: int = 12, speed_step_m_s: float = 0.5) -> WindRose:
    """Wind rose from a record of (direction, speed) pairs of equal duration.

    Directions are binned into ``sectors`` sectors centred on 0°, 360°/n, …; speeds into bins of
    ``speed_step_m_s`` represented by their centres. NaN records are dropped.

    Parameters
    ----------
    direction_deg : sequence of float
        Direction the wind blows from (° clockwise from north).
    speed_m_s : sequence of float
        Hub-height speed (m/s, >= 0); convert the record's height first (e.g. :func:`log_law`).
    sectors : int, default 12
        Number of direction sectors (>= 1).
    speed_step_m_s : float, default 0.5
        Width of a speed bin (m/s).

    Returns
    -------
    WindRose
        Frequencies over the valid records.

    Raises
    ------
    InvalidParameterError
        For unequal lengths, no valid record, a negative speed or a bad sector count / step.

    Examples
    --------
    >>> r = wind_rose([350, 10, 95], [4.0, 6.0, 6.1], sectors=4, speed_step_m_s=2.0)
    >>> r.direction_deg, r.speed_m_s
    ((0.0, 90.0, 180.0, 270.0), (1.0, 3.0, 5.0, 7.0))
    >>> (r.frequency * 3).round(6).tolist()[:2]
    [[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0]]
    """
    d = np.asarray(direction_deg, dtype=float).ravel()
    s = np.asarray(speed_m_s, dtype=float).ravel()
    if d.shape != s.shape:
        raise InvalidParameterError(
            f"direction_deg and speed_m_s must have the same length, got {d.size} and {s.size}")
    if isinstance(sectors, bool) or not isinstance(sectors, int | np.integer) or sectors < 1:
        raise InvalidParameterError(f"sectors must be an integer >= 1, got {sectors!r}")
    step = check_positive(speed_step_m_s, param="speed_step_m_s")
    ok = np.isfinite(d) & np.isfinite(s)
    d, s = d[ok], s[ok]
    if d.size == 0:
        raise InvalidParameterError("wind rose: no record has both a finite direction and speed")
    if (s < 0).any():
        raise InvalidParameterError(f"speed_m_s must be >= 0, got {s.min():g}")
    width = 360.0 / sectors
    sector = np.floor(((d % 360.0) + width / 2.0) / width).astype(int) % sectors
    nbins = int(np.floor(s.max() / step)) + 1
    sbin = np.minimum(np.floor(s / step).astype(int), nbins - 1)
    freq = np.zeros((sectors, nbins))
    np.add.at(freq, (sector, sbin), 1.0)
    return WindRose(tuple((width * np.arange(sectors)).tolist()),
                    tuple((step * (np.arange(nbins) + 0.5)).tolist()), freq / d.size)


def weibull_rose(sector_frequency: Sequence[float], a_m_s: Sequence[float] | float,
                 k: Sequence[float] | float, *, speed_step_m_s: float = 0.5,
                 max_speed_m_s: float = 30.0) -> WindRose:
    """Wind rose from a Weibull distribution per direction sector (the WAsP wind-climate form).

    Sector ``i`` (centred on ``i · 360° / n``) has frequency ``f_i`` and Weibull scale ``A_i``
    and shape ``k_i``; speed bin ``[v, v + Δ)`` gets ``f_i (exp(−(v/A)^k) − exp(−((v+Δ)/A)^k))``,
    represented by its centre. The tail above ``max_speed_m_s`` goes into the last bin.

    Parameters
    ----------
    sector_frequency : sequence of float
        Share of time per sector (>= 0, normalised to sum 1).
    a_m_s, k : float or sequence of float
        Weibull scale (m/s, > 0) and shape (> 0), per sector or one for all.
    speed_step_m_s : float, default 0.5
        Width of a speed bin (m/s).
    max_speed_m_s : float, default 30
        Upper end of the speed bins (m/s).

    Returns
    -------
    WindRose
        The binned rose.

    Raises
    ------
    InvalidParameterError
        For negative or all-zero frequencies, A or k not > 0, or mismatched lengths.

    Examples
    --------
    >>> r = weibull_rose([1.0], 8.0, 2.0, speed_step_m_s=1.0)
    >>> round(r.mean_speed(), 2)  # ≈ A Γ(1 + 1/k) = 7.09 (binning error ~0)
    7.09
    """
    f = np.asarray(sector_frequency, dtype=float).ravel()
    if f.size < 1 or not np.isfinite(f).all() or (f < 0).any() or f.sum() <= 0:
        raise InvalidParameterError(
            f"sector_frequency must be >= 0 with a positive sum, got {f.tolist()}")
    n = f.size
    a = np.broadcast_to(np.asarray(a_m_s, dtype=float).ravel(), (n,)) if np.size(a_m_s) in (1, n) else None
    kk = np.broadcast_to(np.asarray(k, dtype=float).ravel(), (n,)) if np.size(k) in (1, n) else None
    if a is None or kk is None:
        raise InvalidParameterError(
            f"a_m_s and k must be one value or one per sector ({n}), got {np.size(a_m_s)} and {np.size(k)}")
    if not ((a > 0).all() and (kk > 0).all() and np.isfinite(a).all() and np.isfinite(kk).all()):
        raise InvalidParameterError(f"Weibull a_m_s and k must be > 0, got A={a.tolist()}, k={kk.tolist()}")
    step = check_positive(speed_step_m_s, param="speed_step_m_s")
    top = check_positive(max_speed_m_s, param="max_speed_m_s")
    edges = np.arange(0.0, top + step / 2, step)
    surv = np.exp(-(edges[None, :] / a[:, None]) ** kk[:, None])
    probs = surv[:, :-1] - surv[:, 1:]
    probs[:, -1] += surv[:, -1]  # tail into the last bin
    freq = (f / f.sum())[:, None] * probs
    return WindRose(tuple((360.0 / n * np.arange(n)).tolist()), tuple((edges[:-1] + step / 2).tolist()),
                    freq / freq.sum())


def prevailing_direction(direction_deg: Sequence[float] | np.ndarray,
                         weights: Sequence[float] | np.ndarray | None = None) -> float:
    """Weighted circular mean of directions (°, 0..360).

    Use speed cubed as weights for the energy-weighted prevailing direction of a record, or the
    rose's ``Σ_j f_ij v_j³`` per sector.

    Parameters
    ----------
    direction_deg : sequence of float
        Directions (°); NaN dropped with their weights.
    weights : sequence of float, optional
        Non-negative weights (equal if omitted).

    Returns
    -------
    float
        Direction of the vector mean (°, clockwise from north).

    Raises
    ------
    InvalidParameterError
        If nothing is valid or the vector mean is (numerically) zero, so no direction prevails.

    Examples
    --------
    >>> round(prevailing_direction([350, 20]), 6)
    5.0
    """
    d = np.asarray(direction_deg, dtype=float).ravel()
    w = np.ones_like(d) if weights is None else np.asarray(weights, dtype=float).ravel()
    if w.shape != d.shape:
        raise InvalidParameterError(f"weights must match direction_deg, got {w.size} and {d.size}")
    ok = np.isfinite(d) & np.isfinite(w)
    if (w[ok] < 0).any():
        raise InvalidParameterError("weights must be >= 0")
    t = np.radians(d[ok])
    sx, cy = float((w[ok] * np.sin(t)).sum()), float((w[ok] * np.cos(t)).sum())
    if np.hypot(sx, cy) <= 1e-12 * max(float(w[ok].sum()), 1e-300):
        raise InvalidParameterError(
            "no prevailing direction: the directions cancel out (or none is valid); give wind_from_deg")
    return float(round(float(np.degrees(np.arctan2(sx, cy))), 9) % 360.0)


# --------------------------------------------------------------------------- farm energy
@dataclass(frozen=True, eq=False)
class FarmEnergy:
    """Annual energy of a turbine layout with and without wakes.

    Attributes
    ----------
    turbines : int
        Number of turbines.
    capacity_mw : float
        Installed capacity (MW).
    gross_mwh_yr, net_mwh_yr : float
        Annual energy without and with wake losses (MWh/yr; no other losses).
    wake_loss_pct : float
        ``100 (1 − net / gross)``; NaN for no turbine or zero gross energy.
    turbine_net_mwh_yr : ndarray
        Net annual energy of each turbine (MWh/yr), in input order.
    """

    turbines: int
    capacity_mw: float
    gross_mwh_yr: float
    net_mwh_yr: float
    wake_loss_pct: float
    turbine_net_mwh_yr: np.ndarray


def farm_energy(x_m: Sequence[float] | np.ndarray, y_m: Sequence[float] | np.ndarray, *, rose: WindRose,
                curve: PowerCurve | str = "nrel_6mw_170", thrust: ThrustCurve | None = None,
                wake_decay: float = DEFAULT_WAKE_DECAY) -> FarmEnergy:
    """Gross and net (waked) annual energy of a layout over a wind rose.

    ``E_net = 8760 h Σ_dir Σ_speed f(dir, v) Σ_i P(U_i(dir, v))``, ``U_i`` from
    :func:`jensen_wake_speeds`; ``E_gross`` the same with ``U_i = v``.

    Parameters
    ----------
    x_m, y_m : sequence of float
        Turbine positions (projected metres).
    rose : WindRose
        Hub-height wind climate (see :func:`wind_rose`, :func:`weibull_rose`).
    curve : PowerCurve or str, default "nrel_6mw_170"
        Power curve with a rotor diameter.
    thrust : ThrustCurve, optional
        Thrust table; by default :func:`thrust_curve` of ``curve``.
    wake_decay : float, default 0.075
        Wake decay constant k.

    Returns
    -------
    FarmEnergy
        Count, MW, gross and net MWh/yr, wake loss %.

    Raises
    ------
    InvalidParameterError
        For bad coordinates, a curve without rotor diameter, or k not > 0.

    Examples
    --------
    >>> rose = weibull_rose([1.0], 8.0, 2.0)
    >>> far = farm_energy([0, 5000], [0, 0], rose=rose)  # 29 D apart: almost no wake
    >>> far.turbines, round(far.capacity_mw, 1), far.wake_loss_pct < 5.0
    (2, 12.0, True)
    """
    pc = _curve(curve)
    x, y = _xy(x_m, y_m)
    if pc.rotor_diameter_m is None:
        raise InvalidParameterError(f"power curve {pc.name!r} has no rotor_diameter_m; wakes need it")
    tc = thrust_curve(pc) if thrust is None else thrust
    k = check_range(wake_decay, param="wake_decay", low=1e-6, high=1.0)
    n = x.size
    speeds = np.asarray(rose.speed_m_s)
    freq = rose.frequency
    per_turbine = np.zeros(n)
    gross_one = float((freq * pc.power(speeds)[None, :]).sum())  # kW mean per free turbine
    if n:
        for i, direction in enumerate(rose.direction_deg):
            fi = freq[i]
            if not fi.any():
                continue
            used = (fi > 0) & (speeds >= pc.speed_m_s[0])  # below cut-in nothing runs, waked or not
            if not used.any():
                continue
            eff = jensen_wake_speeds(x, y, wind_from_deg=direction, speed_m_s=speeds[used],
                                     rotor_diameter_m=pc.rotor_diameter_m, thrust=tc, wake_decay=k)
            per_turbine += (fi[used][:, None] * pc.power(eff)).sum(axis=0)
    to_mwh = HOURS_PER_YEAR / 1000.0
    gross = gross_one * n * to_mwh
    net = float(per_turbine.sum()) * to_mwh
    loss = 100.0 * (1.0 - net / gross) if gross > 0 else float("nan")
    return FarmEnergy(turbines=n, capacity_mw=n * pc.rated_kw / 1000.0, gross_mwh_yr=gross, net_mwh_yr=net,
                      wake_loss_pct=loss, turbine_net_mwh_yr=per_turbine * to_mwh)
