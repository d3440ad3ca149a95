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
from typing import Any

import numpy as np
from scipy.optimize import brentq

from steppe_geo._validation import check_range, parse_choice
from steppe_geo.errors import InvalidParameterError

__all__ = [
    "RULE_ALIASES",
    "OWAWeights",
    "Rule",
    "combine",
    "orness",
    "owa_weights_from_orness",
    "parse_rule",
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


def orness(order_weights: Sequence[float] | np.ndarray) -> float:
    """Yager's orness ``Σ (n − i)/(n − 1) · v_i`` (i = 1..n, values sorted descending).

    Parameters
    ----------
    order_weights : (n,) sequence of float
        OWA order weights (``v_1`` applies to the largest value).

    Returns
    -------
    float
        1 for max (OR), 0.5 for the mean (WLC), 0 for min (AND); 0.5 for n = 1.

    Examples
    --------
    >>> from steppe_geo.mcda import orness
    >>> orness([1, 0, 0]), orness([0.5, 0.3, 0.2])
    (1.0, 0.65)
    """
    v = np.asarray(order_weights, dtype=float)
    n = v.size
    if n == 1:
        return 0.5
    return float(np.sum((n - np.arange(1, n + 1)) / (n - 1) * v))


def tradeoff(order_weights: Sequence[float] | np.ndarray) -> float:
    """Trade-off ``1 − sqrt(n Σ (v_i − 1/n)² / (n − 1))`` (1 = full compensation, as in WLC).

    Parameters
    ----------
    order_weights : (n,) sequence of float
        OWA order weights.

    Returns
    -------
    float
        1 for equal order weights, 0 for all weight on one position; 1 for n = 1.
    """
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

    Parameters
    ----------
    target : float
        Orness within ``[0, 1]``.
    n : int
        Number of criteria (>= 1).

    Returns
    -------
    (n,) ndarray of float
        Order weights, >= 0, summing to 1, with ``orness(v) == target``.

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
        out: np.ndarray = np.eye(n)[0]
        return out
    if t <= 0.0:
        out = np.eye(n)[-1]
        return out
    if math.isclose(t, 0.5):
        return np.full(n, 1.0 / n)
    log_alpha = brentq(lambda la: orness(_rim(math.exp(la), n)) - t, -40.0, 40.0, xtol=1e-13)
    return _rim(math.exp(log_alpha), n)


@dataclass(frozen=True)
class OWAWeights:
    """Order weights with their orness and trade-off (build with :meth:`OWAWeights.build`).

    Parameters
    ----------
    weights : tuple of float
        Order weights (``weights[0]`` applies to the largest value), >= 0, summing to 1.
    orness : float
        :func:`orness` of the weights.
    tradeoff : float
        :func:`tradeoff` of the weights.

    Examples
    --------
    >>> from steppe_geo.mcda import OWAWeights
    >>> o = OWAWeights.build(order_weights=[0.5, 0.3, 0.2, 0.0], n=4)
    >>> round(o.orness, 4), round(o.tradeoff, 4)  # orness = 1·0.5 + (2/3)·0.3 + (1/3)·0.2
    (0.7667, 0.5837)
    """

    weights: tuple[float, ...]
    orness: float
    tradeoff: float

    @classmethod
    def build(cls, *, order_weights: Sequence[float] | None = None, target_orness: float | None = None,
              n: int) -> OWAWeights:
        """Validate given order weights, or derive them from a target orness.

        Parameters
        ----------
        order_weights : sequence of float, optional
            Given order weights (>= 0, summing to 1); or give ``target_orness``.
        target_orness : float, optional
            Orness in ``[0, 1]`` (see :func:`owa_weights_from_orness`).
        n : int
            Number of criteria.

        Returns
        -------
        OWAWeights

        Raises
        ------
        InvalidParameterError
            Neither or both given; wrong count, negative or not summing to 1; orness outside
            ``[0, 1]``.
        """
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
            assert target_orness is not None  # exactly one of the two is given (checked above)
            v = owa_weights_from_orness(float(target_orness), n)
        return cls(tuple(float(x) for x in v), orness(v), tradeoff(v))


RULE_ALIASES: dict[str, Rule] = {"wpm": Rule.WEIGHTED_PRODUCT, "weighted-sum": Rule.WLC}
"""Other names accepted for a rule (case-insensitive, ``_`` or ``-``): ``wpm`` (weighted product
model) and ``weighted-sum``."""


def parse_rule(value: str | Rule) -> Rule:
    """A :class:`Rule` from its value (``"wlc"``, ``"owa"``, …) or an alias in :data:`RULE_ALIASES`.

    Raises
    ------
    InvalidParameterError
        For an unknown name; the message lists the valid names and suggests the closest.
    """
    if isinstance(value, str):
        alias = RULE_ALIASES.get(value.strip().lower().replace("_", "-"))
        if alias is not None:
            return alias
    return parse_choice(Rule, value, param="rule")


_WEIGHT_TOL = 1e-6


def _check_weights(weights: Any, n: int, *, param: str) -> np.ndarray:
    try:
        w = np.asarray(weights, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise InvalidParameterError(f"combine: {param} must be numbers, got {weights!r}") from None
    if w.size != n:
        raise InvalidParameterError(f"combine: {w.size} {param} for {n} criteria")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or abs(w.sum() - 1.0) > _WEIGHT_TOL:
        raise InvalidParameterError(
            f"combine: {param} must be finite, >= 0 and sum to 1, got {w.tolist()} (sum "
            f"{w.sum():.6g}); scale them first with steppe_geo.mcda.normalize_weights"
        )
    return w


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
    stack : (n, rows, cols) or (n, pixels) array-like of float
        Standardised criteria, values in ``[0, 1]``, NaN = nodata.
    weights : (n,) array-like of float
        Criterion weights, ``>= 0`` and summing to 1 (scale them with
        :func:`~steppe_geo.mcda.normalize_weights`); used by ``wlc``, ``weighted-product``
        and ``owa``, checked but ignored by the fuzzy rules and the geometric mean.
    rule : str or Rule, default "wlc"
        ``wlc`` Σ wᵢxᵢ; ``weighted-product`` (alias ``wpm``) Π xᵢ^wᵢ; ``owa``
        Σ_k u_(k)v_k z_(k) / Σ_k u_(k)v_k with values sorted descending (Malczewski 2006;
        equals WLC for equal order weights; Σ_k v_k z_(k) where Σ_k u_(k)v_k = 0, see Notes);
        ``fuzzy-and`` min; ``fuzzy-or`` max; ``fuzzy-product`` Π xᵢ; ``fuzzy-gamma``
        (Π xᵢ)^(1−γ) · (1 − Π(1 − xᵢ))^γ; ``geometric-mean`` (Π xᵢ)^(1/n).
    order_weights : (n,) array-like of float, optional
        OWA order weights, ``>= 0`` and summing to 1 (needed for ``owa``, refused otherwise).
    gamma : float, default 0.9
        Fuzzy gamma in ``[0, 1]``.

    Returns
    -------
    (rows, cols) or (pixels,) ndarray of float32
        Scores in ``[0, 1]``; NaN exactly where any criterion is NaN (for every rule, also
        for a criterion whose weight is 0: its value is unknown, so the score is too).

    Raises
    ------
    InvalidParameterError
        Unknown rule (valid names listed, the closest suggested); weights or order weights of
        the wrong count, negative, not finite or not summing to 1; order weights missing for
        ``owa`` or given for another rule; ``gamma`` outside ``[0, 1]``; a stack that is not
        a 2-D or 3-D numeric array.

    Notes
    -----
    OWA with criterion weights (Malczewski 2006) divides by ``Σ_k u_(k) v_k``, which is 0 when
    every order position with ``v_k > 0`` holds a criterion of weight 0 (e.g. ``w = (0, .5,
    .5)``, ``v = (1, 0, 0)`` and the first criterion the largest). There the score is
    ``Σ_k v_k z_(k)`` (Yager's OWA without criterion weights): the limit of Malczewski's
    formula when every zero weight is replaced by the same ``ε → 0⁺``. Ties keep criterion
    order (stable sort), so a pixel's score never depends on the window it falls in.

    Examples
    --------
    >>> import numpy as np
    >>> from steppe_geo.mcda import combine
    >>> x = np.array([[0.25, 1.0], [0.75, 0.5]])  # 2 criteria x 2 pixels
    >>> print(combine(x, [0.75, 0.25]))  # 0.75·0.25 + 0.25·0.75, 0.75·1 + 0.25·0.5
    [0.375 0.875]
    >>> print(combine(x, [0.5, 0.5], rule="fuzzy-and"))
    [0.25 0.5 ]
    >>> s = combine(np.array([[0.9], [0.5], [0.2]]), [0, 0.5, 0.5], rule="owa", order_weights=[1, 0, 0])
    >>> round(float(s[0]), 4)  # Σ u·v = 0 here, so Σ v·z: the largest value
    0.9
    """
    r = parse_rule(rule)
    x = np.asarray(stack)
    numeric = np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)
    if x.ndim not in (2, 3) or not numeric:
        raise InvalidParameterError(
            f"combine: stack must be a numeric (n, rows, cols) or (n, pixels) array, got shape "
            f"{x.shape} and dtype {x.dtype}"
        )
    n = x.shape[0]
    w = _check_weights(weights, n, param="weights")
    v = None
    if r is Rule.OWA:
        if order_weights is None:
            raise InvalidParameterError("combine: rule 'owa' needs order_weights")
        v = _check_weights(order_weights, n, param="order weights")
    elif order_weights is not None:
        raise InvalidParameterError(
            f"combine: order_weights only apply to rule 'owa', not {r.value!r}"
        )
    g = _check_gamma(gamma) if r is Rule.FUZZY_GAMMA else 0.0
    flat = x.reshape(n, -1)
    out = np.empty(flat.shape[1], dtype=np.float32)
    combine_into(flat, w, r, v, g, out)
    return out.reshape(x.shape[1:])


def _check_gamma(gamma: Any) -> float:
    try:
        g = float(gamma)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"gamma must be a number within [0, 1], got {gamma!r}") from None
    return check_range(g, param="gamma", low=0.0, high=1.0)


def combine_into(flat: np.ndarray, w: np.ndarray, r: Rule, v: np.ndarray | None, gamma: float,
                 out: np.ndarray) -> None:
    """Kernel of :func:`combine` on validated input: ``(n, pixels)`` → ``out`` (float32).

    Block by block (cache-sized); every rule is element-wise, so a pixel's value does not
    depend on the block or window it falls in.
    """
    if r is Rule.WLC:
        _wlc_float32(flat, w.astype(np.float32), out)
        return
    for s in range(0, flat.shape[1], _BLOCK):
        blk = flat[:, s:s + _BLOCK].astype(np.float64)
        res = _kernel(r, blk, w, v, gamma)
        res = np.where(np.isnan(blk).any(axis=0), np.nan, res)  # NaN if any input is NaN
        np.clip(res, 0.0, 1.0, out=out[s:s + _BLOCK], casting="same_kind")


def _wlc_float32(flat: np.ndarray, w: np.ndarray, out: np.ndarray) -> None:
    """Σ wᵢxᵢ in float32, block by block (cache-sized), criteria added in a fixed order.

    Element-wise multiply/add only (no BLAS, no FMA), so every pixel's value is the same
    whatever the block or window it falls in. NaN propagates by IEEE arithmetic (0 · NaN is
    NaN); the sum is clipped to [0, 1] (float32 weights can add up to 1 + a few ulp).
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
            np.clip(o, np.float32(0), np.float32(1), out=o)


def _kernel(r: Rule, x: np.ndarray, w: np.ndarray, v: np.ndarray | None, gamma: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        if r is Rule.WEIGHTED_PRODUCT:
            acc = x[0] ** w[0]
            for i in range(1, x.shape[0]):
                acc *= x[i] ** w[i]
            out: np.ndarray = acc
            return out
        if r is Rule.GEOMETRIC_MEAN:
            out = np.prod(x, axis=0) ** (1.0 / x.shape[0])
            return out
        if r is Rule.FUZZY_AND:
            out = np.min(x, axis=0)
            return out
        if r is Rule.FUZZY_OR:
            out = np.max(x, axis=0)
            return out
        if r is Rule.FUZZY_PRODUCT:
            out = np.prod(x, axis=0)
            return out
        if r is Rule.FUZZY_GAMMA:
            out = np.prod(x, axis=0) ** (1 - gamma) * (1 - np.prod(1 - x, axis=0)) ** gamma
            return out
        # OWA (Malczewski 2006): sort descending, carry the criterion weights along.
        assert v is not None
        order = np.argsort(-np.where(np.isnan(x), -np.inf, x), axis=0, kind="stable")
        z = np.take_along_axis(x, order, axis=0)
        uv = w[order] * v[:, None]
        den = np.sum(uv, axis=0)
        plain = np.sum(v[:, None] * z, axis=0)  # Yager's OWA: the limit where Σ u·v = 0
        out = np.where(den > 0, np.sum(uv * z, axis=0) / np.where(den > 0, den, 1.0), plain)
        return out
