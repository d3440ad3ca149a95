"""Criterion weights: direct, rank-based, and Saaty's Analytic Hierarchy Process (AHP)."""

from __future__ import annotations

import enum
import itertools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from steppe_geo._validation import parse_choice
from steppe_geo.errors import InvalidParameterError, SteppeGeoWarning

__all__ = [
    "RANDOM_INDEX",
    "AHPResult",
    "InconsistentJudgementsWarning",
    "RankMethod",
    "ahp",
    "normalize_weights",
    "principal_eigenvectors",
    "rank_weights",
]

RANDOM_INDEX: dict[int, float] = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32,
                                  8: 1.41, 9: 1.45, 10: 1.49}
"""Saaty's random consistency index RI for n = 1…10 (Saaty 1980, *The Analytic Hierarchy Process*)."""

CR_THRESHOLD = 0.10


class InconsistentJudgementsWarning(SteppeGeoWarning):
    """An AHP comparison matrix has a consistency ratio above 0.10."""


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

    Raises
    ------
    InvalidParameterError
        If a weight is negative, not finite, or all weights are zero.
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
    return w / w.sum()


def rank_weights(ranks: Sequence[int], *, method: str | RankMethod = "centroid") -> np.ndarray:
    """Weights from ranks (1 = most important); ties are not allowed.

    ``sum``: ``(n − r + 1) / Σ``; ``reciprocal``: ``(1/r) / Σ 1/r``; ``centroid`` (ROC):
    ``(1/n) Σ_{k=r..n} 1/k``.

    Raises
    ------
    InvalidParameterError
        If the ranks are not a permutation of 1..n or the method is unknown.
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
    return w / w.sum()


@dataclass(frozen=True)
class AHPResult:
    """Result of :func:`ahp`.

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
        Consistency ratio ``CI / RI`` (0 for n ≤ 2; NaN for n > 10, no RI tabulated).
    matrix : ndarray
        The reciprocal comparison matrix.
    suggestion : tuple or None
        ``(row criterion, column criterion, current judgement, consistent value, CR after)``
        for the judgement whose revision lowers CR most (only when CR > 0.10).
    """

    criteria: tuple[str, ...]
    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float
    matrix: np.ndarray
    suggestion: tuple[str, str, float, float, float] | None = None

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


def _consistency(lam: float, n: int) -> tuple[float, float]:
    if n <= 2:
        return 0.0, 0.0
    ci = (lam - n) / (n - 1)
    ri = RANDOM_INDEX.get(n)
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
        v = float(v)
        if not v > 0 or not np.isfinite(v):
            raise InvalidParameterError(f"ahp: judgement ({ci!r}, {cj!r}) must be > 0, got {v!r}")
        i, j = idx[ci], idx[cj]
        if i == j:
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
        criteria: Sequence[str] | None = None) -> AHPResult:
    """Weights from Saaty's pairwise comparison matrix (principal eigenvector).

    Parameters
    ----------
    judgements : (n, n) array-like or mapping
        A positive reciprocal matrix (``a[i, j]`` = how much more important criterion i is
        than j, on Saaty's 1–9 scale, ``a[j, i] = 1 / a[i, j]``), or a dict
        ``{("wind", "slope"): 3, ...}`` with one judgement per pair (the reciprocal is implied).
    criteria : sequence of str, optional
        Criterion names (default: order of first appearance in the dict, or "c0", "c1", …).

    Returns
    -------
    AHPResult
        ``weights``, ``lambda_max``, ``ci``, ``cr`` and, when CR > 0.10, a ``suggestion``.

    Warns
    -----
    InconsistentJudgementsWarning
        When CR > 0.10, naming the judgement whose revision to the value implied by the
        current weights (``w_i / w_j``) lowers CR the most.

    Raises
    ------
    InvalidParameterError
        If the matrix is not square, has non-positive or non-finite entries, a diagonal ≠ 1,
        or is not reciprocal (``a[j, i] · a[i, j] ≠ 1``); or judgements are missing.
    """
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
    ci, cr = _consistency(lam, n)
    suggestion = None
    if np.isfinite(cr) and cr > CR_THRESHOLD:
        suggestion = _best_revision(a, w, names)
        r, c, cur, new, cr_after = suggestion
        warnings.warn(
            f"AHP consistency ratio CR = {cr:.3f} > {CR_THRESHOLD}: judgements are inconsistent. "
            f"Revising ({r!r} vs {c!r}) from {cur:.3g} to about {new:.3g} (the value implied by "
            f"the current weights) lowers CR most, to {cr_after:.3f}.",
            InconsistentJudgementsWarning,
            stacklevel=2,
        )
    return AHPResult(tuple(names), w, lam, ci, cr, a, suggestion)


def _best_revision(a: np.ndarray, w: np.ndarray, names: list[str]) -> tuple[str, str, float, float, float]:
    n = a.shape[0]
    best: tuple[float, int, int, float] | None = None
    for i, j in itertools.combinations(range(n), 2):
        b = a.copy()
        b[i, j] = w[i] / w[j]
        b[j, i] = 1.0 / b[i, j]
        _, lam = _principal(b)
        _, cr = _consistency(lam, n)
        if best is None or cr < best[0]:
            best = (cr, i, j, b[i, j])
    assert best is not None
    cr, i, j, new = best
    return names[i], names[j], float(a[i, j]), float(new), float(cr)
