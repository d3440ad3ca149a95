"""Rank stability of parcels under weight uncertainty (Monte Carlo and one-at-a-time sweeps).

Scores for many weight vectors are one matrix product, (draws x criteria) @ (criteria x parcels).
Ranks per draw come from one SIMD sort of packed 64-bit keys (the order-preserving integer image
of each score with the parcel's index in the low bits) instead of an argsort, which is ~10x
slower; draws are processed in blocks on two threads to bound memory and use both cores.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from threadpoolctl import threadpool_limits

from steppe_geo._deprecation import renamed_parameter
from steppe_geo._validation import check_positive
from steppe_geo.errors import InvalidParameterError
from steppe_geo.mcda.weights import AHPResult, principal_eigenvectors
from steppe_geo.parcels.ranking import criterion_matrix

__all__ = ["ahp_weight_draws", "dirichlet_weights", "rank_stability", "weight_sweep"]

_BLOCK = 256  # draws per block: 256 x parcels x 8 bytes of keys per thread
_ALL = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
_NOT_SIGN = np.uint64(0x7FFF_FFFF_FFFF_FFFF)


def dirichlet_weights(weights: np.ndarray, n_draws: int, *, concentration: float = 100.0,
                      rng: np.random.Generator | int | None = None) -> np.ndarray:
    """``n_draws`` weight vectors from Dirichlet(concentration x weights), mean = ``weights``.

    Parameters
    ----------
    weights : (criteria,) ndarray
        Base weights summing to 1.
    n_draws : int
        Number of weight vectors.
    concentration : float, default 100
        Larger means less spread: variance of wᵢ = wᵢ(1 − wᵢ) / (concentration + 1).
    rng : numpy Generator or seed, optional
        Seeded generator for reproducible draws.

    Returns
    -------
    (n_draws, criteria) ndarray
        Each row sums to 1; zero weights stay zero.
    """
    gen = np.random.default_rng(rng)
    w = np.asarray(weights, dtype=np.float64)
    draws = np.zeros((n_draws, len(w)))
    pos = w > 0
    draws[:, pos] = gen.dirichlet(concentration * w[pos], size=n_draws)
    return draws


def _saaty_position(a: np.ndarray) -> np.ndarray:
    """Position on Saaty's ladder 1/9 … 1/2, 1, 2 … 9 as −8 … 8 (continuous between steps)."""
    return np.where(a >= 1.0, a - 1.0, 1.0 - 1.0 / a)


def _saaty_value(p: np.ndarray) -> np.ndarray:
    return np.where(p >= 0.0, p + 1.0, 1.0 / (1.0 - np.minimum(p, 0.0)))


def ahp_weight_draws(result: AHPResult, n_draws: int, *, steps: int = 1,
                     rng: np.random.Generator | int | None = None) -> pd.DataFrame:
    """Weight vectors from randomly perturbed AHP judgements (Monte Carlo AHP).

    Each judgement above the diagonal moves on Saaty's 1–9 ladder
    (1/9 … 1/2, 1, 2 … 9) by an integer number of steps drawn uniformly from
    ``−steps … steps`` (clipped at 1/9 and 9; non-integer judgements such as 2.5 move by whole
    steps too), its reciprocal follows, and the weights of each perturbed matrix are its
    principal eigenvector — the Monte Carlo treatment of uncertain judgements of Banuelas &
    Antony (2004, *Int. J. Production Research* 42(18)), here with a discrete uniform
    distribution over neighbouring scale values.

    Parameters
    ----------
    result : AHPResult
        The base comparison, from :func:`steppe_geo.mcda.ahp`.
    n_draws : int
        Number of perturbed matrices.
    steps : int, default 1
        Largest move of a judgement, in steps of Saaty's ladder (3 → 2, 3 or 4 with ``steps=1``).
    rng : numpy Generator or seed, optional
        Seeded generator for reproducible draws.

    Returns
    -------
    pandas.DataFrame
        ``n_draws`` rows, one column per criterion (``result.criteria``); rows sum to 1.
        Pass it as ``draws=`` to :func:`rank_stability`.

    Raises
    ------
    InvalidParameterError
        If ``n_draws`` < 1 or ``steps`` is not an integer in 1 … 16.

    Examples
    --------
    >>> from steppe_geo.mcda import ahp
    >>> base = ahp({("wind", "slope"): 3, ("wind", "grid"): 5, ("slope", "grid"): 2})
    >>> draws = ahp_weight_draws(base, 1000, rng=0)
    >>> draws.shape, bool(abs(draws.sum(axis=1) - 1).max() < 1e-12)
    ((1000, 3), True)
    """
    if not isinstance(result, AHPResult):
        raise InvalidParameterError(
            f"ahp_weight_draws: result must be an AHPResult from steppe_geo.mcda.ahp(), got "
            f"{type(result).__name__}")
    _check_draws(n_draws)
    if not isinstance(steps, (int, np.integer)) or not 1 <= steps <= 16:
        raise InvalidParameterError(f"steps must be an integer in 1 … 16 (Saaty ladder steps), got {steps!r}")
    gen = np.random.default_rng(rng)
    a = np.asarray(result.matrix, dtype=np.float64)
    n = a.shape[0]
    iu = np.triu_indices(n, 1)
    moves = gen.integers(-steps, steps + 1, size=(n_draws, len(iu[0])))
    upper = _saaty_value(np.clip(_saaty_position(a[iu])[None, :] + moves, -8.0, 8.0))
    mats = np.ones((n_draws, n, n))
    mats[:, iu[0], iu[1]] = upper
    mats[:, iu[1], iu[0]] = 1.0 / upper
    weights, _ = principal_eigenvectors(mats)
    return pd.DataFrame(weights, columns=list(result.criteria))


def _check_draws(n_draws: object) -> None:
    if not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise InvalidParameterError(f"n_draws must be an integer >= 1, got {n_draws!r}")


def _descending_keys(scores: np.ndarray, invalid: np.ndarray, index_bits: int, *,
                     nonnegative: bool = False) -> np.ndarray:
    """Overwrite float64 ``scores`` (rows = draws) with uint64 sort keys, in place.

    Keys ascend as the score descends, then by parcel index; ``invalid`` columns (parcels with
    a NaN mean) sort last. ``nonnegative`` (every score >= +0.0, as for criteria in 0..1 and
    non-negative weights) takes a two-pass path.
    """
    u = scores.view(np.uint64)
    low = np.uint64((1 << index_bits) - 1)
    index = np.arange(scores.shape[1], dtype=np.uint64)
    if nonnegative:
        # For x >= +0.0 the bits grow with x and the sign bit is 0: x XOR 0x7FF…F reverses the
        # order. With the low bits first set to 1, the same XOR (with the index folded into the
        # mask) clears them and writes the parcel index there.
        u |= low
        u ^= _NOT_SIGN ^ index
    else:
        scores += 0.0  # -0.0 -> +0.0, so both zeros give one key
        # Order-preserving map of IEEE 754 bits, inverted: positive x -> x XOR 0x7FF…F,
        # negative x -> x (its bits already grow as x falls).
        t = u >> np.uint64(63)
        t -= np.uint64(1)
        t &= _NOT_SIGN
        u ^= t
        u &= ~low
        u |= index
    if invalid.any():
        u[:, invalid] = _ALL & ~low | index[invalid]
    return u


def _rank_block(scores: np.ndarray, invalid: np.ndarray, out: np.ndarray, *,
                nonnegative: bool = False) -> None:
    """Ranks (1 = best) of the parcels for each row of (draws, parcels) ``scores``, written into ``out``.

    ``scores`` (float64, C-contiguous) is overwritten. Equal scores share the best rank of their
    group ("min" ties, as :func:`~steppe_geo.parcels.rank_parcels`); scores closer than about
    2^-36 of their magnitude (the key keeps 48 bits of the score for up to 65,536 parcels) count
    as equal.
    """
    n = scores.shape[1]
    index_bits = 16 if n <= 1 << 16 else (n - 1).bit_length()
    keys = _descending_keys(scores, invalid, index_bits, nonnegative=nonnegative)
    keys.sort(axis=1)  # numpy's SIMD (AVX-512/AVX2) sort of uint64
    if index_bits == 16:
        order = keys.astype(np.uint16)  # the cast keeps the low 16 bits: the parcel index
    else:
        order = (keys & np.uint64((1 << index_bits) - 1)).astype(np.intp)
    keys >>= np.uint64(index_bits)  # the score part of each key
    tie = keys[:, 1:] == keys[:, :-1]  # position j + 1 ties with position j
    tied_rows = set(np.flatnonzero(tie.any(axis=1)).tolist())
    ranks = np.arange(1, n + 1, dtype=out.dtype)
    for d in range(out.shape[0]):
        if d in tied_rows:
            r = ranks.copy()
            r[1:][tie[d]] = 0
            np.maximum.accumulate(r, out=r)  # each tied position takes its group's first rank
            out[d, order[d]] = r
        else:
            out[d, order[d]] = ranks


def _rank_draws(draws: np.ndarray, mt: np.ndarray, *, block: int = _BLOCK,
                workers: int | None = None,
                score_fn: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """(parcels, draws) ranks for the weight rows of ``draws`` over criteria x parcels ``mt``.

    Parcels are rows so that each parcel's ranks over the draws are contiguous for the quantile
    sort; each block of draws is ranked in draw-major order and transposed into place.

    ``score_fn``, if given, maps a block of weight rows to its (rows, parcels) scores, each
    >= +0.0 or NaN (e.g. a non-linear rule recombining pixels,
    :func:`~steppe_geo.parcels.pixel_rank_stability`); ``mt`` then only marks the parcels that are
    not ranked (NaN in any of its rows) and gives their number.
    """
    n_draws, n = draws.shape[0], mt.shape[1]
    invalid = np.isnan(mt).any(axis=0)
    mt = np.where(invalid, 0.0, mt) + 0.0  # + 0.0 turns -0.0 into +0.0
    draws = draws + 0.0
    # Then scores of non-negative criteria under non-negative weights are >= +0.0 (never -0.0).
    nonnegative = score_fn is not None or bool((mt >= 0).all() and (draws >= 0).all())
    if score_fn is None:
        def score_fn(w: np.ndarray) -> np.ndarray:
            return w @ mt
    dtype = np.uint16 if n <= 65535 else np.uint32
    ranks = np.empty((n, n_draws), dtype=dtype)
    starts = range(0, n_draws, block)
    workers = max(1, min(2, os.cpu_count() or 1) if workers is None else int(workers))

    def run(start: int) -> None:
        stop = min(start + block, n_draws)
        blk = np.empty((stop - start, n), dtype=dtype)
        _rank_block(np.ascontiguousarray(score_fn(draws[start:stop]), dtype=np.float64), invalid, blk,
                    nonnegative=nonnegative)
        ranks[:, start:stop] = blk.T

    # One BLAS thread per worker: the product has only `criteria` columns, and our two threads
    # (numpy's sort and ufuncs release the GIL) already keep both cores busy.
    with threadpool_limits(limits=1, user_api="blas"):
        if workers == 1 or len(starts) < 2:
            for s in starts:
                run(s)
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(run, starts))
    return ranks


def _rank_quantiles(ranks: np.ndarray, probs: Sequence[float]) -> np.ndarray:
    """Inverted-CDF quantiles of each row of (parcels, draws) ranks: the ceil(p · draws)-th smallest."""
    n, n_draws = ranks.shape
    q_idx = [max(int(np.ceil(round(p * n_draws, 9))) - 1, 0) for p in probs]
    q = np.empty((len(probs), n), dtype=np.int64)
    workers = max(1, min(2, os.cpu_count() or 1))
    step = -(-n // (4 * workers))

    def run(rows: slice) -> None:
        # Contiguous rows of 16-bit integers: numpy's SIMD (AVX-512) sort.
        q[:, rows] = np.sort(ranks[rows], axis=1)[:, q_idx].T

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, [slice(i, min(i + step, n)) for i in range(0, n, step)]))
    return q


@renamed_parameter(old="k", new="top_k", since="0.2.0")
def rank_stability(
    zonal: pd.DataFrame,
    *,
    weights: Mapping[str, float],
    criteria: Mapping[str, str] | None = None,
    draws: np.ndarray | pd.DataFrame | None = None,
    n_draws: int = 1000,
    concentration: float = 100.0,
    top_k: int = 10,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Monte Carlo rank stability of parcels under weight uncertainty (weighted linear combination).

    Each draw's parcel scores are Σ w·mean of the criterion means: exact for WLC only. For a
    weighted product or OWA use :func:`~steppe_geo.parcels.pixel_rank_stability`, which
    recombines the parcels' pixels under the rule for every draw.

    Parameters
    ----------
    zonal : pandas.DataFrame
        Table with per-criterion means (see :func:`~steppe_geo.parcels.rank_parcels`).
    weights : mapping criterion -> weight
        Base weights (scaled to sum 1).
    criteria : mapping criterion -> column, optional
        Column of each criterion in ``zonal`` (default ``"{name}_mean"`` or ``name``).
    draws : (n, criteria) ndarray or DataFrame, optional
        Weight vectors to evaluate, e.g. from :func:`ahp_weight_draws` (a DataFrame's columns
        are matched to ``weights`` by name; an array's columns follow the order of
        ``weights``). Default: ``n_draws`` draws from Dirichlet(concentration x weights)
        (:func:`dirichlet_weights`).
    n_draws : int, default 1000
        Number of Dirichlet draws (ignored when ``draws`` is given).
    concentration : float, default 100
        Dirichlet concentration; standard deviation of a weight w ≈ sqrt(w(1-w)/(concentration+1)).
    top_k : int, default 10
        For ``p_top_k`` (was ``k``, a deprecated alias until 0.3.0).
    rng : numpy Generator or seed, optional
        Seeded generator for reproducible draws.

    Returns
    -------
    pandas.DataFrame
        Index of ``zonal``; columns ``base_rank``, ``mean_rank``, ``rank_p05``, ``rank_p95``
        (5–95 % interval, inverted-CDF quantiles) and ``p_top_k`` (share of draws in the top ``top_k``).
        Ranks are 1 = best, Int64; equal scores share the best rank of their group ("min", as
        :func:`rank_parcels`). Parcels with a NaN criterion mean are not ranked (<NA> ranks, NaN
        ``mean_rank``, ``p_top_k`` 0) and do not affect the ranks of the others.
        Memory: draws x parcels x 2 bytes (100 MB for 10,000 draws of 5,000 parcels).

    Raises
    ------
    InvalidParameterError
        If ``top_k`` is not in 1 … number of parcels, ``n_draws`` < 1, ``concentration`` ≤ 0, or
        ``draws`` does not match the criteria or holds negative or non-finite weights.
    """
    w, matrix, names = criterion_matrix(zonal, weights, criteria=criteria)
    n = matrix.shape[0]
    k = top_k
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise InvalidParameterError(f"top_k must be an integer in [1, {n}] (number of parcels), got {k!r}")
    if draws is None:
        _check_draws(n_draws)
        check_positive(concentration, param="concentration")
        draws = dirichlet_weights(w, n_draws, concentration=concentration, rng=rng)
    else:
        draws = _given_draws(draws, names)
    mt = np.ascontiguousarray(matrix.T)  # criteria x parcels
    all_ranks = _rank_draws(draws, mt)
    base = _rank_draws(w[None, :], mt, workers=1)[:, 0]
    valid = ~np.isnan(mt).any(axis=0)
    return _rank_table(base, all_ranks, valid, k=k, index=zonal.index)


def _rank_table(base: np.ndarray, all_ranks: np.ndarray, valid: np.ndarray, *, k: int,
               index: pd.Index) -> pd.DataFrame:
    """The rank-stability table from the base ranks and the ranks under every weight draw.

    Columns ``base_rank``, ``mean_rank``, ``rank_p05``, ``rank_p95`` (5-95 % interval) and
    ``p_top_k`` (share of draws in the top ``k``); parcels not ``valid`` get missing ranks.
    """
    q = _rank_quantiles(all_ranks, (0.05, 0.95))
    out = pd.DataFrame({
        "base_rank": pd.array(np.where(valid, base, 0), dtype="Int64"),
        "mean_rank": np.where(valid, all_ranks.mean(axis=1, dtype=np.float64), np.nan),
        "rank_p05": pd.array(q[0], dtype="Int64"),
        "rank_p95": pd.array(q[1], dtype="Int64"),
        "p_top_k": np.where(valid, np.count_nonzero(all_ranks <= k, axis=1) / all_ranks.shape[1], 0.0),
    }, index=index)
    out.loc[~valid, ["base_rank", "rank_p05", "rank_p95"]] = pd.NA
    return out


def _given_draws(draws: np.ndarray | pd.DataFrame, names: list[str]) -> np.ndarray:
    if isinstance(draws, pd.DataFrame):
        missing = [c for c in names if c not in draws.columns]
        if missing:
            raise InvalidParameterError(
                f"draws: no column for criteria {missing}; draws has columns {list(draws.columns)}")
        arr = draws[names].to_numpy(dtype=np.float64)
    else:
        arr = np.asarray(draws, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != len(names) or arr.shape[0] < 1:
        raise InvalidParameterError(
            f"draws must have shape (n_draws >= 1, {len(names)}) for criteria {names}, got {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InvalidParameterError("draws: weights must be finite and >= 0")
    return np.ascontiguousarray(arr)


@renamed_parameter(old="k", new="top_k", since="0.2.0")
def weight_sweep(
    zonal: pd.DataFrame,
    *,
    weights: Mapping[str, float],
    criteria: Mapping[str, str] | None = None,
    factors: Sequence[float] = (0.5, 0.75, 1.25, 1.5),
    top_k: int = 10,
) -> pd.DataFrame:
    """One-at-a-time weight sweep: scale one weight, renormalise the others proportionally.

    Scores are Σ w·mean of the criterion means, which is a parcel's score for a weighted linear
    combination only; for other rules use :func:`~steppe_geo.parcels.pixel_rank_stability` with
    the swept weight vectors as ``draws``. ``top_k`` (default 10; was ``k``, a deprecated alias
    until 0.3.0) sets the top parcels of ``top_k_overlap``.

    Returns
    -------
    pandas.DataFrame
        One row per (criterion, factor): ``weight`` (the swept weight after renormalising),
        ``spearman`` (Spearman's rank correlation of the scores with the base scores, ties
        averaged, ``scipy.stats.spearmanr``), ``top_k_overlap`` (share of the base top k — all
        parcels of rank ≤ k, more than k with "min" ties — still of rank ≤ k) and
        ``max_rank_change``. Parcels with a NaN criterion mean are left out; a criterion with
        base weight 0 stays at 0 whatever the factor.
    """
    w, matrix, names = criterion_matrix(zonal, weights, criteria=criteria)
    n = matrix.shape[0]
    k = top_k
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise InvalidParameterError(f"top_k must be an integer in [1, {n}] (number of parcels), got {k!r}")
    mt = np.ascontiguousarray(matrix.T)
    factors = [check_positive(f, param="factors") for f in factors]
    swept = []
    for j in range(len(names)):
        for f in factors:
            wj = w.copy()
            wj[j] *= f
            swept.append(wj / wj.sum())
    valid = ~np.isnan(mt).any(axis=0)
    mt = mt[:, valid]
    weight_rows = np.vstack([w[None, :], *swept])
    ranks = _rank_draws(weight_rows, mt, workers=1).T.astype(np.int64)
    scores = weight_rows @ mt
    base, base_top = ranks[0], ranks[0] <= k
    rows = []
    for i, (j, f) in enumerate(((j, f) for j in range(len(names)) for f in factors), start=1):
        r = ranks[i]
        rho = float(spearmanr(scores[0], scores[i]).statistic) if mt.shape[1] > 1 else 1.0
        rows.append({"criterion": names[j], "factor": f, "weight": weight_rows[i, j], "spearman": rho,
                     "top_k_overlap": (int(np.count_nonzero(base_top & (r <= k)))
                                       / max(int(np.count_nonzero(base_top)), 1)),
                     "max_rank_change": int(np.abs(r - base).max()) if r.size else 0})
    return pd.DataFrame(rows)
