"""Combination rules: WLC, weighted product, OWA, fuzzy AND/OR/product/gamma, geometric mean.

The kernels work on a ``(n_criteria, rows, cols)`` float stack of standardised criteria
(values in ``[0, 1]``, NaN = nodata) and return a ``(rows, cols)`` float32 score. They are
element-wise, so a window of the grid gives exactly the same numbers as the whole grid.
NaN in any criterion makes the score NaN.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from steppe_geo._validation import check_range, parse_choice
from steppe_geo.errors import InvalidParameterError

__all__ = [
    "OWAWeights",
    "Rule",
    "combine",
    "orness",
    "owa_weights_from_orness",
    "tradeoff",
]

_BLOCK = 1 << 18  # pixels per block: keeps the accumulator in cache


class Rule(enum.Enum):
    """Combination rules (names accepted case-insensitively, ``_`` or ``-``)."""

    WLC = "wlc"
    WEIGHTED_PRODUCT = "weighted-product"
    OWA = "owa"
    FUZZY_AND = "fuzzy-and"
    FUZZY_OR = "fuzzy-or"
    FUZZY_PRODUCT = "fuzzy-product"
    FUZZY_GAMMA = "fuzzy-gamma"
    GEOMETRIC_MEAN = "geometric-mean"


def orness(order_weights: Sequence[float]) -> float:
    """Yager's orness ``Σ (n − i)/(n − 1) · v_i`` (i = 1..n, values sorted descending)."""
    v = np.asarray(order_weights, dtype=float)
    n = v.size
    if n == 1:
        return 0.5
    return float(np.sum((n - np.arange(1, n + 1)) / (n - 1) * v))


def tradeoff(order_weights: Sequence[float]) -> float:
    """Trade-off ``1 − sqrt(n Σ (v_i − 1/n)² / (n − 1))`` (1 = full compensation, as in WLC)."""
    v = np.asarray(order_weights, dtype=float)
    n = v.size
    if n == 1:
        return 1.0
    return float(1.0 - math.sqrt(n * np.sum((v - 1.0 / n) ** 2) / (n - 1)))


def _rim(alpha: float, n: int) -> np.ndarray:
    r = np.arange(n + 1) / n
    q = r**alpha
    return np.diff(q)


def owa_weights_from_orness(target: float, n: int) -> np.ndarray:
    """Order weights with the given orness from the RIM quantifier ``Q(r) = r**α`` (Yager 1996).

    ``v_i = Q(i/n) − Q((i−1)/n)``; α is solved so that the discrete orness equals ``target``.
    orness 1 → ``(1, 0, …, 0)`` (OR / max), 0.5 → equal weights (WLC), 0 → ``(0, …, 0, 1)``
    (AND / min).

    Raises
    ------
    InvalidParameterError
        If ``target`` is outside ``[0, 1]`` or ``n < 1``.
    """
    t = check_range(target, param="orness", low=0.0, high=1.0)
    if n < 1:
        raise InvalidParameterError(f"owa: need at least one criterion, got n={n}")
    if n == 1:
        return np.ones(1)
    if t >= 1.0:
        return np.eye(n)[0]
    if t <= 0.0:
        return np.eye(n)[-1]
    if math.isclose(t, 0.5):
        return np.full(n, 1.0 / n)
    log_alpha = brentq(lambda la: orness(_rim(math.exp(la), n)) - t, -40.0, 40.0, xtol=1e-13)
    return _rim(math.exp(log_alpha), n)


@dataclass(frozen=True)
class OWAWeights:
    """Order weights with their orness and trade-off."""

    weights: tuple[float, ...]
    orness: float
    tradeoff: float

    @classmethod
    def build(cls, *, order_weights: Sequence[float] | None = None, target_orness: float | None = None,
              n: int) -> OWAWeights:
        """Validate given order weights, or derive them from a target orness."""
        if (order_weights is None) == (target_orness is None):
            raise InvalidParameterError(
                "owa: give exactly one of order_weights or orness, got "
                f"order_weights={order_weights!r}, orness={target_orness!r}"
            )
        if order_weights is not None:
            v = np.asarray(order_weights, dtype=float).ravel()
            if v.size != n:
                raise InvalidParameterError(f"owa: {v.size} order weights for {n} criteria")
            if np.any(v < 0) or not np.isclose(v.sum(), 1.0, atol=1e-9):
                raise InvalidParameterError(
                    f"owa: order weights must be >= 0 and sum to 1, got {v.tolist()}"
                )
        else:
            v = owa_weights_from_orness(float(target_orness), n)  # type: ignore[arg-type]
        return cls(tuple(float(x) for x in v), orness(v), tradeoff(v))


def combine(
    stack: np.ndarray,
    weights: Sequence[float] | np.ndarray,
    *,
    rule: str | Rule = "wlc",
    order_weights: Sequence[float] | None = None,
    gamma: float = 0.9,
) -> np.ndarray:
    """Combine a stack of standardised criteria into one score.

    Parameters
    ----------
    stack : (n, rows, cols) ndarray of float
        Standardised criteria, values in ``[0, 1]``, NaN = nodata.
    weights : (n,) array-like
        Criterion weights summing to 1 (see :func:`normalize_weights`); ignored by the fuzzy
        rules and the geometric mean.
    rule : str or Rule, default "wlc"
        ``wlc`` Σ wᵢxᵢ; ``weighted-product`` Π xᵢ^wᵢ; ``owa`` Σ_k u_(k)v_k z_(k) / Σ_k u_(k)v_k
        with values sorted descending (Malczewski 2006; equals WLC for equal order weights);
        ``fuzzy-and`` min; ``fuzzy-or`` max; ``fuzzy-product`` Π xᵢ; ``fuzzy-gamma``
        (Π xᵢ)^(1−γ) · (1 − Π(1 − xᵢ))^γ; ``geometric-mean`` (Π xᵢ)^(1/n).
    order_weights : (n,) array-like, optional
        OWA order weights (needed for ``owa``).
    gamma : float, default 0.9
        Fuzzy gamma in ``[0, 1]``.

    Returns
    -------
    (rows, cols) ndarray of float32
    """
    r = parse_choice(Rule, rule, param="rule")
    x = np.asarray(stack)
    if x.ndim == 2:
        x = x[:, :, None]
    n = x.shape[0]
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.size != n:
        raise InvalidParameterError(f"combine: {w.size} weights for {n} criteria")
    spatial = x.shape[1:]
    flat = x.reshape(n, -1)
    out = np.empty(flat.shape[1], dtype=np.float32)
    if r is Rule.OWA:
        if order_weights is None:
            raise InvalidParameterError("combine: rule 'owa' needs order_weights")
        v = np.asarray(order_weights, dtype=np.float64).ravel()
        if v.size != n:
            raise InvalidParameterError(f"owa: {v.size} order weights for {n} criteria")
    else:
        v = None
    if r is Rule.FUZZY_GAMMA:
        check_range(gamma, param="gamma", low=0.0, high=1.0)
    if r is Rule.WLC:
        _wlc_float32(flat, w.astype(np.float32), out)
    else:
        for s in range(0, flat.shape[1], _BLOCK):
            blk = flat[:, s:s + _BLOCK].astype(np.float64)
            out[s:s + _BLOCK] = _kernel(r, blk, w, v, gamma)
    return out.reshape(spatial) if stack.ndim == 3 else out.reshape(spatial)[..., 0]


def _wlc_float32(flat: np.ndarray, w: np.ndarray, out: np.ndarray) -> None:
    """Σ wᵢxᵢ in float32, block by block (cache-sized), criteria added in a fixed order.

    Element-wise multiply/add only (no BLAS, no FMA), so every pixel's value is the same
    whatever the block or window it falls in.
    """
    n = flat.shape[0]
    tmp = np.empty(min(_BLOCK, flat.shape[1]), dtype=np.float32)
    with np.errstate(all="ignore"):
        for s in range(0, flat.shape[1], _BLOCK):
            e = min(s + _BLOCK, flat.shape[1])
            o, t = out[s:e], tmp[: e - s]
            np.multiply(flat[0, s:e], w[0], out=o, dtype=np.float32, casting="unsafe")
            for i in range(1, n):
                np.multiply(flat[i, s:e], w[i], out=t, dtype=np.float32, casting="unsafe")
                np.add(o, t, out=o)


def _kernel(r: Rule, x: np.ndarray, w: np.ndarray, v: np.ndarray | None, gamma: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        if r is Rule.WLC:
            acc = w[0] * x[0]
            for i in range(1, x.shape[0]):
                acc += w[i] * x[i]
            return acc
        if r is Rule.WEIGHTED_PRODUCT:
            acc = x[0] ** w[0]
            for i in range(1, x.shape[0]):
                acc *= x[i] ** w[i]
            return acc
        if r is Rule.GEOMETRIC_MEAN:
            return np.prod(x, axis=0) ** (1.0 / x.shape[0])
        if r is Rule.FUZZY_AND:
            return _nan_if_any(np.min(x, axis=0), x)
        if r is Rule.FUZZY_OR:
            return _nan_if_any(np.max(x, axis=0), x)
        if r is Rule.FUZZY_PRODUCT:
            return np.prod(x, axis=0)
        if r is Rule.FUZZY_GAMMA:
            return np.prod(x, axis=0) ** (1 - gamma) * (1 - np.prod(1 - x, axis=0)) ** gamma
        # OWA (Malczewski 2006): sort descending, carry the criterion weights along.
        assert v is not None
        order = np.argsort(-np.where(np.isnan(x), -np.inf, x), axis=0, kind="stable")
        z = np.take_along_axis(x, order, axis=0)
        u = w[order]
        uv = u * v[:, None]
        res = np.sum(uv * z, axis=0) / np.sum(uv, axis=0)
        return _nan_if_any(res, x)


def _nan_if_any(res: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(x).any(axis=0), np.nan, res)
