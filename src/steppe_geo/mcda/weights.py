"""Criterion weights: direct, rank-based, and Saaty's Analytic Hierarchy Process (AHP)."""

from __future__ import annotations

import enum
import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
from scipy.optimize import minimize_scalar

from steppe_geo._validation import parse_choice
from steppe_geo.errors import InvalidParameterError, SteppeGeoWarning

__all__ = [
    "RANDOM_INDEX",
    "RANDOM_INDEX_TABLES",
    "SAATY_SCALE",
    "AHPResult",
    "ConsistencyNotCheckedWarning",
    "InconsistentJudgementsWarning",
    "RandomIndex",
    "RankMethod",
    "Revision",
    "ahp",
    "best_revision",
    "normalize_weights",
    "principal_eigenvectors",
    "rank_weights",
]

RANDOM_INDEX: dict[int, float] = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32,
                                  8: 1.41, 9: 1.45, 10: 1.49}
"""Saaty's random consistency index RI for n = 1…10 (Saaty 1980, *The Analytic Hierarchy Process*)."""


class RandomIndex(enum.Enum):
    """Which published table of the random consistency index RI(n) the consistency ratio divides by.

    ``CR = CI / RI(n)``, with RI(n) the mean consistency index ``(λmax − n) / (n − 1)`` of random
    reciprocal matrices of Saaty's scale; the tables differ by the simulation behind them, and near
    CR = 0.10 the verdicts differ (see ``docs/mcda.md``).
    """

    SAATY1980 = "saaty1980"
    ALONSO_LAMATA2006 = "alonso_lamata2006"
    DONEGAN_DODD1991 = "donegan_dodd1991"


RANDOM_INDEX_TABLES: Mapping[RandomIndex, Mapping[int, float]] = MappingProxyType({
    RandomIndex.SAATY1980: MappingProxyType(RANDOM_INDEX),
    # Alonso, J. A. & Lamata, M. T. (2006), Consistency in the analytic hierarchy process: a new approach.
    # Int. J. Uncertainty, Fuzziness and Knowledge-Based Systems 14(4), 445-459: RI(n) = (mean λmax − n) /
    # (n − 1) over 100,000 random matrices per n
    RandomIndex.ALONSO_LAMATA2006: MappingProxyType({
        1: 0.0, 2: 0.0, 3: 0.5245, 4: 0.8815, 5: 1.1086, 6: 1.2479, 7: 1.3417, 8: 1.4056, 9: 1.4499,
        10: 1.4854, 11: 1.5141, 12: 1.5365, 13: 1.5551, 14: 1.5713, 15: 1.5838}),
    # Donegan, H. A. & Dodd, F. J. (1991), A note on Saaty's random indexes. Mathematical and Computer
    # Modelling 15(10), 135-137 (the default table of AHPy, n = 3…20 of it)
    RandomIndex.DONEGAN_DODD1991: MappingProxyType({
        1: 0.0, 2: 0.0, 3: 0.4914, 4: 0.8286, 5: 1.0591, 6: 1.1797, 7: 1.2519, 8: 1.3171, 9: 1.3733,
        10: 1.4055, 11: 1.4213, 12: 1.4497, 13: 1.4643, 14: 1.4822, 15: 1.4969, 16: 1.5078, 17: 1.5153,
        18: 1.5262, 19: 1.5313, 20: 1.5371}),
})
"""RI(n) of each :class:`RandomIndex` table (0 for n ≤ 2: such matrices are always consistent)."""

_RI_LABEL = {RandomIndex.SAATY1980: "Saaty's", RandomIndex.ALONSO_LAMATA2006: "Alonso & Lamata's",
             RandomIndex.DONEGAN_DODD1991: "Donegan & Dodd's"}

CR_THRESHOLD = 0.10

SAATY_SCALE: tuple[float, ...] = (*(1.0 / k for k in range(9, 1, -1)), *map(float, range(1, 10)))
"""Saaty's fundamental scale and its reciprocals: 1/9, 1/8, …, 1/2, 1, 2, …, 9 (Saaty 1980)."""


class InconsistentJudgementsWarning(SteppeGeoWarning):
    """An AHP comparison matrix has a consistency ratio above 0.10."""


class ConsistencyNotCheckedWarning(SteppeGeoWarning):
    """An AHP matrix is larger than Saaty's random-index table (n > 10): CR is not known."""


class Revision(NamedTuple):
    """The single judgement whose revision lowers an AHP matrix's CR most.

    Attributes
    ----------
    row, column : str
        The criteria of judgement ``a[row, column]`` (its reciprocal changes with it).
    current : float
        The judgement as given.
    value : float
        The CR-minimising value of the judgement within ``[1/9, 9]`` (bounded 1-D minimisation).
    cr_after : float
        CR with the judgement set to ``value``.
    scale_value : float
        The best value on Saaty's scale (:data:`SAATY_SCALE`) for this judgement.
    scale_cr_after : float
        CR with the judgement set to ``scale_value``.
    """

    row: str
    column: str
    current: float
    value: float
    cr_after: float
    scale_value: float
    scale_cr_after: float


class RankMethod(enum.Enum):
    """Rank-based weighting (Stillwell, Seaver & Edwards 1981; Barron & Barrett 1996)."""

    SUM = "sum"
    RECIPROCAL = "reciprocal"
    CENTROID = "centroid"


def normalize_weights(weights: Sequence[float] | Mapping[str, float], *,
                      criteria: Sequence[str] | None = None) -> np.ndarray:
    """Direct weights scaled to sum to 1.

    Parameters
    ----------
    weights : sequence of float or mapping name → float
        Non-negative importance weights, at least one > 0.
    criteria : sequence of str, optional
        Criterion names used in error messages (and the order for a mapping).

    Returns
    -------
    (n,) ndarray of float
        The weights divided by their sum.

    Raises
    ------
    InvalidParameterError
        If a weight is negative, not finite, or all weights are zero.

    Examples
    --------
    >>> from steppe_geo.mcda import normalize_weights
    >>> normalize_weights([2, 1, 1]).tolist()
    [0.5, 0.25, 0.25]
    """
    if isinstance(weights, Mapping):
        names = list(criteria) if criteria is not None else list(weights)
        missing = [n for n in names if n not in weights]
        if missing:
            raise InvalidParameterError(f"weights: no weight for criteria {missing}")
        w = np.array([float(weights[n]) for n in names])
    else:
        w = np.asarray(weights, dtype=float).ravel()
        names = list(criteria) if criteria is not None else [str(i) for i in range(w.size)]
    if w.size == 0:
        raise InvalidParameterError("weights: need at least one weight, got none")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InvalidParameterError(
            f"weights must be finite and >= 0, got {w.tolist()} for criteria {names}"
        )
    if w.sum() <= 0:
        raise InvalidParameterError(
            f"weights must sum to a positive number, got {w.tolist()} for criteria {names}"
        )
    out: np.ndarray = w / w.sum()
    return out


def rank_weights(ranks: Sequence[int], *, method: str | RankMethod = "centroid") -> np.ndarray:
    """Weights from ranks (1 = most important); ties are not allowed.

    ``sum``: ``(n − r + 1) / Σ``; ``reciprocal``: ``(1/r) / Σ 1/r``; ``centroid`` (ROC):
    ``(1/n) Σ_{k=r..n} 1/k``.

    Parameters
    ----------
    ranks : sequence of int
        A permutation of ``1..n`` (1 = most important), in criterion order.
    method : {"centroid", "sum", "reciprocal"} or RankMethod, default "centroid"

    Returns
    -------
    (n,) ndarray of float
        Weights summing to 1.

    Raises
    ------
    InvalidParameterError
        If the ranks are not a permutation of 1..n or the method is unknown.

    Examples
    --------
    >>> from steppe_geo.mcda import rank_weights
    >>> [round(float(w), 4) for w in rank_weights([1, 2, 3], method="centroid")]  # 11/18, 5/18, 2/18
    [0.6111, 0.2778, 0.1111]
    """
    m = parse_choice(RankMethod, method, param="method")
    r = np.asarray(ranks, dtype=int).ravel()
    n = r.size
    if n == 0 or sorted(r.tolist()) != list(range(1, n + 1)):
        raise InvalidParameterError(f"ranks must be a permutation of 1..{n}, got {list(ranks)}")
    if m is RankMethod.SUM:
        w = (n - r + 1).astype(float)
    elif m is RankMethod.RECIPROCAL:
        w = 1.0 / r
    else:
        w = np.array([np.sum(1.0 / np.arange(k, n + 1)) / n for k in r])
    out: np.ndarray = w / w.sum()
    return out


@dataclass(frozen=True)
class AHPResult:
    """Result of :func:`ahp` (the parameters are its attributes).

    Attributes
    ----------
    criteria : tuple of str
    weights : ndarray
        Normalised principal eigenvector (sums to 1).
    lambda_max : float
        Principal eigenvalue.
    ci : float
        Consistency index ``(λmax − n) / (n − 1)`` (0 for n ≤ 2).
    cr : float
        Consistency ratio ``CI / RI`` (0 for n ≤ 2; NaN for n > 10, where Saaty's table
        gives no RI — a :class:`ConsistencyNotCheckedWarning` says so).
    matrix : ndarray
        The reciprocal comparison matrix.
    suggestion : Revision or None
        The judgement whose revision lowers CR most (only when CR > 0.10).
    random_index : RandomIndex
        The RI table CR was computed with.
    """

    criteria: tuple[str, ...]
    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float
    matrix: np.ndarray
    suggestion: Revision | None = None
    random_index: RandomIndex = RandomIndex.SAATY1980

    @property
    def consistent(self) -> bool:
        """True when CR ≤ 0.10 (Saaty's threshold)."""
        return bool(self.cr <= CR_THRESHOLD) if np.isfinite(self.cr) else False

    def as_dict(self) -> dict[str, float]:
        """Criterion name → weight."""
        return dict(zip(self.criteria, (float(w) for w in self.weights), strict=True))


def principal_eigenvectors(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised principal eigenvectors and eigenvalues of a stack of positive matrices.

    Parameters
    ----------
    matrices : (..., n, n) ndarray
        Positive (e.g. AHP comparison) matrices.

    Returns
    -------
    weights : (..., n) ndarray
        Principal (Perron) eigenvector of each matrix, scaled to sum to 1.
    lambda_max : (...) ndarray
        The matching eigenvalue.
    """
    vals, vecs = np.linalg.eig(np.asarray(matrices, dtype=np.float64))
    k = np.argmax(vals.real, axis=-1)
    lam = np.take_along_axis(vals.real, k[..., None], axis=-1)[..., 0]
    v = np.abs(np.take_along_axis(vecs.real, k[..., None, None], axis=-1)[..., 0])
    return v / v.sum(axis=-1, keepdims=True), lam


def _principal(a: np.ndarray) -> tuple[np.ndarray, float]:
    w, lam = principal_eigenvectors(a)
    return w, float(lam)


def _consistency(lam: float, n: int, table: Mapping[int, float] = RANDOM_INDEX) -> tuple[float, float]:
    if n <= 2:
        return 0.0, 0.0
    # λmax >= n for every positive reciprocal matrix (Saaty 1980); a λmax a few ulps below n
    # is rounding, not better-than-consistent judgements: CI is clamped at 0.
    ci = max((lam - n) / (n - 1), 0.0)
    ri = table.get(n)
    return float(ci), (float(ci / ri) if ri else float("nan"))


def _matrix_from_judgements(judgements: Mapping[tuple[str, str], float],
                            criteria: Sequence[str] | None) -> tuple[np.ndarray, list[str]]:
    names: list[str] = list(criteria) if criteria is not None else []
    if criteria is None:
        for key in judgements:
            if not (isinstance(key, tuple) and len(key) == 2):
                raise InvalidParameterError(
                    f"ahp: judgement keys must be (criterion, criterion) pairs, got {key!r}"
                )
            for c in key:
                if c not in names:
                    names.append(c)
    idx = {c: i for i, c in enumerate(names)}
    n = len(names)
    a = np.full((n, n), np.nan)
    np.fill_diagonal(a, 1.0)
    for (ci, cj), v in judgements.items():
        for c in (ci, cj):
            if c not in idx:
                raise InvalidParameterError(
                    f"ahp: judgement names unknown criterion {c!r}; criteria are {names}"
                )
        try:
            v = float(v)
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"ahp: judgement ({ci!r}, {cj!r}) must be a number > 0, got {v!r}"
            ) from None
        if not v > 0 or not np.isfinite(v):
            raise InvalidParameterError(f"ahp: judgement ({ci!r}, {cj!r}) must be > 0, got {v!r}")
        i, j = idx[ci], idx[cj]
        if i == j:
            if v != 1.0:
                raise InvalidParameterError(
                    f"ahp: a criterion compared with itself must be 1 (equal importance), got "
                    f"({ci!r}, {cj!r}): {v!r}"
                )
            continue
        for (p, q), val in (((i, j), v), ((j, i), 1.0 / v)):
            if not np.isnan(a[p, q]) and not np.isclose(a[p, q], val):
                raise InvalidParameterError(
                    f"ahp: judgements ({ci!r}, {cj!r}) given twice and not reciprocal: "
                    f"{a[p, q]!r} vs {val!r}"
                )
            a[p, q] = val
    missing = [(names[i], names[j]) for i, j in itertools.combinations(range(n), 2) if np.isnan(a[i, j])]
    if missing:
        raise InvalidParameterError(f"ahp: missing pairwise judgements for {missing}")
    return a, names


def ahp(judgements: np.ndarray | Sequence[Sequence[float]] | Mapping[tuple[str, str], float], *,
        criteria: Sequence[str] | None = None,
        random_index: str | RandomIndex = RandomIndex.SAATY1980) -> AHPResult:
    """Weights from Saaty's pairwise comparison matrix (principal eigenvector).

    Parameters
    ----------
    judgements : (n, n) array-like or mapping
        A positive reciprocal matrix (``a[i, j]`` = how much more important criterion i is
        than j, on Saaty's 1–9 scale, ``a[j, i] = 1 / a[i, j]``), or a dict
        ``{("wind", "slope"): 3, ...}`` with one judgement per pair (the reciprocal is implied;
        a criterion compared with itself may only be given as 1).
    criteria : sequence of str, optional
        Criterion names (default: order of first appearance in the dict, or "c0", "c1", …).
    random_index : {"saaty1980", "alonso_lamata2006", "donegan_dodd1991"}, default "saaty1980"
        The table of the random index RI(n) that CR divides by (:data:`RANDOM_INDEX_TABLES`):
        Saaty (1980), n ≤ 10; Alonso & Lamata (2006), n ≤ 15; Donegan & Dodd (1991), n ≤ 20.

    Returns
    -------
    AHPResult
        ``weights``, ``lambda_max``, ``ci``, ``cr`` and, when CR > 0.10, a ``suggestion``.

    Warns
    -----
    InconsistentJudgementsWarning
        When CR > 0.10, naming the judgement whose revision lowers CR the most: for every
        judgement, the CR-minimising value within ``[1/9, 9]`` (a bounded 1-D minimisation;
        λmax is a convex function of the judgement's logarithm, so it is the global optimum)
        and the best value on Saaty's scale.
    ConsistencyNotCheckedWarning
        When n is beyond the RI table (n > 10 for Saaty's): CR is NaN.

    Raises
    ------
    InvalidParameterError
        If the matrix is not square, has non-positive or non-finite entries, a diagonal ≠ 1
        (checked first and named as such), or is not reciprocal (``a[j, i] · a[i, j] ≠ 1``); or
        judgements are missing, or a criterion is compared with itself with a value other than 1;
        or ``random_index`` is not one of the tables (the valid ones are listed).

    Examples
    --------
    Wind is 3 times as important as slope and 5 times as important as grid distance;
    slope is 2 times as important as grid distance:

    >>> from steppe_geo.mcda import ahp
    >>> r = ahp({("wind", "slope"): 3, ("wind", "grid"): 5, ("slope", "grid"): 2})
    >>> {k: round(v, 3) for k, v in r.as_dict().items()}
    {'wind': 0.648, 'slope': 0.23, 'grid': 0.122}
    >>> round(r.cr, 4), r.consistent
    (0.0032, True)
    """
    ri = parse_choice(RandomIndex, random_index, param="random_index")
    table = RANDOM_INDEX_TABLES[ri]
    if isinstance(judgements, Mapping):
        a, names = _matrix_from_judgements(judgements, criteria)
    else:
        a = np.asarray(judgements, dtype=float)
        if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
            raise InvalidParameterError(f"ahp: comparison matrix must be square (n x n), got shape {a.shape}")
        if not np.all(np.isfinite(a)) or np.any(a <= 0):
            bad = np.argwhere(~(np.isfinite(a) & (a > 0)))[0]
            raise InvalidParameterError(
                f"ahp: comparison matrix must be positive, got {float(a[tuple(bad)])!r} at "
                f"[{bad[0]}, {bad[1]}]"
            )
        diag = np.flatnonzero(~np.isclose(np.diag(a), 1.0))
        if diag.size:
            k = int(diag[0])
            raise InvalidParameterError(
                f"ahp: the diagonal of the comparison matrix must be 1 (a criterion compared with itself), "
                f"got a[{k}, {k}] = {float(a[k, k])!r}"
            )
        prod = a * a.T
        if not np.allclose(prod, 1.0, rtol=1e-3):
            i, j = np.unravel_index(int(np.argmax(np.abs(prod - 1))), a.shape)
            raise InvalidParameterError(
                f"ahp: comparison matrix is not reciprocal: a[{i}, {j}] = {float(a[i, j])!r} but "
                f"a[{j}, {i}] = {float(a[j, i])!r} (expected {1 / float(a[i, j]):.6g})"
            )
        names = list(criteria) if criteria is not None else [f"c{i}" for i in range(a.shape[0])]
        if len(names) != a.shape[0]:
            raise InvalidParameterError(
                f"ahp: {len(names)} criteria names for a {a.shape[0]} x {a.shape[0]} matrix"
            )
    n = a.shape[0]
    w, lam = _principal(a)
    ci, cr = _consistency(lam, n, table)
    suggestion = None
    if n > max(table):
        warnings.warn(
            f"AHP with n = {n} criteria: {_RI_LABEL[ri]} random index RI is tabulated for n <= "
            f"{max(table)} only, so the consistency ratio is not known (CR = NaN); "
            f"lambda_max = {lam:.4g} and CI = {ci:.4g} are reported. Group the criteria into a "
            f"hierarchy of at most {max(table)} per comparison to have consistency checked.",
            ConsistencyNotCheckedWarning,
            stacklevel=2,
        )
    elif cr > CR_THRESHOLD:
        suggestion = best_revision(a, names, random_index=ri)
        warnings.warn(
            f"AHP consistency ratio CR = {cr:.3f} > {CR_THRESHOLD}: judgements are inconsistent. "
            f"Revising ({suggestion.row!r} vs {suggestion.column!r}) from {suggestion.current:.3g} "
            f"lowers CR most: to {suggestion.cr_after:.3f} at {suggestion.value:.3g}, or to "
            f"{suggestion.scale_cr_after:.3f} at {_scale_label(suggestion.scale_value)} on Saaty's scale.",
            InconsistentJudgementsWarning,
            stacklevel=2,
        )
    return AHPResult(tuple(names), w, lam, ci, cr, a, suggestion, ri)


def _scale_label(v: float) -> str:
    return f"{v:.0f}" if v >= 1 else f"1/{1 / v:.0f}"


def _cr_of(lam: np.ndarray | float, n: int, table: Mapping[int, float] = RANDOM_INDEX) -> np.ndarray:
    return (np.asarray(lam) - n) / (n - 1) / table[n]


def best_revision(matrix: np.ndarray, criteria: Sequence[str] | None = None, *,
                  random_index: str | RandomIndex = RandomIndex.SAATY1980) -> Revision:
    """The single judgement whose revision lowers the consistency ratio most.

    For every judgement ``a[i, j]`` (``i < j``; ``a[j, i]`` follows as its reciprocal) the
    CR-minimising value in ``[1/9, 9]`` is found by a bounded 1-D minimisation over
    ``log a[i, j]`` (scipy's bounded Brent method). λmax is a log-convex function of
    ``t = log a[i, j]`` (Kingman 1961: the Perron root is log-convex in entries that are
    log-convex functions of t, here ``e^t`` and ``e^−t``), so the minimum found is the global
    one; the best value on Saaty's scale is then one of the two scale values around it, and
    all 17 are checked. The judgement with the lowest CR after revision wins (ties: the first
    in row order).

    Parameters
    ----------
    matrix : (n, n) ndarray
        Positive reciprocal comparison matrix, ``3 <= n <= 10``.
    criteria : sequence of str, optional
        Names for the rows (default "c0", "c1", …).
    random_index : str or RandomIndex, default "saaty1980"
        The RI table of the consistency ratio (see :func:`ahp`).

    Returns
    -------
    Revision

    Examples
    --------
    >>> import numpy as np
    >>> from steppe_geo.mcda.weights import best_revision
    >>> a = np.array([[1, 3, 1 / 3], [1 / 3, 1, 3], [3, 1 / 3, 1]])  # a cycle: c0 > c1 > c2 > c0
    >>> r = best_revision(a)
    >>> r.row, r.column, round(r.cr_after, 3), r.scale_value
    ('c0', 'c1', 0.0, 0.1111111111111111)
    """
    a = np.asarray(matrix, dtype=float)
    n = a.shape[0]
    table = RANDOM_INDEX_TABLES[parse_choice(RandomIndex, random_index, param="random_index")]
    if n not in table or n < 3:
        raise InvalidParameterError(f"best_revision: need 3 <= n <= {max(table)} criteria, got n={n}")
    names = list(criteria) if criteria is not None else [f"c{i}" for i in range(n)]
    pairs = list(itertools.combinations(range(n), 2))
    scale = np.asarray(SAATY_SCALE)
    # every pair x every scale value, in one batched eigen-decomposition
    trial = np.broadcast_to(a, (len(pairs), scale.size, n, n)).copy()
    for p, (i, j) in enumerate(pairs):
        trial[p, :, i, j] = scale
        trial[p, :, j, i] = 1.0 / scale
    _, lam_scale = principal_eigenvectors(trial)
    cr_scale = _cr_of(lam_scale, n, table)
    lo, hi = math.log(SAATY_SCALE[0]), math.log(SAATY_SCALE[-1])
    best: Revision | None = None
    for p, (i, j) in enumerate(pairs):
        def lam_at(t: float, i: int = i, j: int = j) -> float:
            b = a.copy()
            b[i, j], b[j, i] = math.exp(t), math.exp(-t)
            return float(principal_eigenvectors(b)[1])

        k = int(np.argmin(cr_scale[p]))
        opt = minimize_scalar(lam_at, bounds=(lo, hi), method="bounded", options={"xatol": 1e-7})
        t_best, lam_best = float(opt.x), float(opt.fun)
        if lam_scale[p, k] < lam_best:  # a scale value (e.g. a bound) can only tie or win by rounding
            t_best, lam_best = math.log(scale[k]), float(lam_scale[p, k])
        cr_best = float(_cr_of(lam_best, n, table))
        cand = Revision(names[i], names[j], float(a[i, j]), math.exp(t_best), cr_best,
                        float(scale[k]), float(cr_scale[p, k]))
        if best is None or cand.cr_after < best.cr_after:
            best = cand
    assert best is not None
    return best
