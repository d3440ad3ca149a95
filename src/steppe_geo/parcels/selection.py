"""Budgeted parcel selection as an exact mixed-integer programme (scipy.optimize.milp, HiGHS).

Maximum utility (prioritizr): max Σ bᵢxᵢ + λ Σ_{(i,j) adjacent} yᵢⱼ  s.t.  Σ cᵢxᵢ ≤ B,
yᵢⱼ ≤ xᵢ, yᵢⱼ ≤ xⱼ, xᵢ ∈ {0,1}, 0 ≤ yᵢⱼ ≤ 1; locked-in parcels have xᵢ = 1, locked-out xᵢ = 0.
Minimum set: min Σ cᵢxᵢ s.t. Σ aᵢxᵢ ≥ target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.optimize import Bounds, LinearConstraint, milp

from steppe_geo.errors import (
    InfeasibleError,
    InvalidParameterError,
    MissingLayerError,
    SolverLimitError,
    SteppeGeoError,
)

__all__ = ["SelectionResult", "adjacency_pairs", "minimum_set", "select_parcels"]


@dataclass(frozen=True)
class SelectionResult:
    """Outcome of a selection.

    Attributes
    ----------
    selected : pandas.Series of bool
        Per parcel (index of the input), True = selected.
    objective : float
        Objective value of the solution (benefit incl. adjacency bonus, or cost for minimum set).
    bound : float
        Best bound proven by the solver (``res.mip_dual_bound``).
    gap : float
        Relative MIP gap (``res.mip_gap``); 0 for a proven optimum.
    total_cost : float
    status : str
        Solver message.
    """

    selected: pd.Series
    objective: float
    bound: float
    gap: float
    total_cost: float
    status: str


def adjacency_pairs(parcels: gpd.GeoDataFrame | gpd.GeoSeries, *, tolerance_m: float = 0.0) -> np.ndarray:
    """Pairs (i, j), i < j (positions), of parcels that touch or overlap (shapely STRtree).

    With ``tolerance_m`` > 0, parcels closer than that distance count as adjacent.
    """
    geoms = np.asarray(parcels.geometry.values)
    tree = shapely.STRtree(geoms)
    if tolerance_m > 0:
        left, right = tree.query(geoms, predicate="dwithin", distance=tolerance_m)
    else:
        left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    return np.column_stack([left[keep], right[keep]]).astype(np.int64)


def _column(df: pd.DataFrame, col: str | Sequence[float], param: str) -> np.ndarray:
    if isinstance(col, str):
        if col not in df.columns:
            raise MissingLayerError(f"{param}: no column {col!r}; columns are {list(df.columns)}")
        values = df[col].to_numpy(dtype=np.float64)
    else:
        values = np.asarray(col, dtype=np.float64)
        if values.shape != (len(df),):
            raise InvalidParameterError(f"{param}: expected {len(df)} values, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise InvalidParameterError(f"{param}: values must be finite (fill or drop NaN parcels first)")
    return values


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _check_ids(df: pd.DataFrame) -> None:
    dup = df.index[df.index.duplicated()].unique()
    if len(dup):
        raise InvalidParameterError(
            f"parcels: the index must hold unique parcel ids; {len(dup)} duplicated: "
            f"{[_plain(i) for i in dup[:10]]}{' ...' if len(dup) > 10 else ''}"
        )


def _locks(df: pd.DataFrame, locked_in: Sequence[Any] | None, locked_out: Sequence[Any] | None
           ) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.zeros(len(df)), np.ones(len(df))
    for ids, arr, value, name in ((locked_in, lo, 1.0, "locked_in"), (locked_out, hi, 0.0, "locked_out")):
        if ids is None:
            continue
        ids = list(ids)
        missing = [i for i in ids if i not in df.index]
        if missing:
            shown = [_plain(i) for i in missing[:10]]
            raise InvalidParameterError(f"{name}: ids not in the parcels: {shown}")
        arr[df.index.get_indexer(pd.Index(ids))] = value
    if np.any(lo > hi):
        both = [_plain(i) for i in df.index[lo > hi]]
        raise InvalidParameterError(f"parcels both locked in and locked out: {both[:10]}")
    return lo, hi


def _solve(c: np.ndarray, constraints: LinearConstraint, lo: np.ndarray, hi: np.ndarray,
           integrality: np.ndarray, time_limit: float | None) -> Any:
    options: dict[str, Any] = {"disp": False, "mip_rel_gap": 0.0}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    return milp(c, constraints=constraints, bounds=Bounds(lo, hi), integrality=integrality, options=options)


def _check_solved(res: Any, what: str, time_limit: float | None) -> None:
    """Raise unless ``res`` holds a solution; a time limit is not reported as infeasibility."""
    if res.x is not None:
        return
    if res.status == 1:
        raise SolverLimitError(
            f"{what}: the solver stopped at its limit (time_limit_s={time_limit!r}) before it found "
            f"any feasible solution; the problem is NOT proven infeasible — raise time_limit_s "
            f"({res.message})"
        )
    if res.status == 2:
        raise InfeasibleError(f"{what}: the problem is infeasible (proven by the solver: {res.message})")
    raise SteppeGeoError(f"{what}: the solver found no solution (status {res.status}: {res.message})")


def select_parcels(
    parcels: pd.DataFrame,
    *,
    benefit: str | Sequence[float],
    cost: str | Sequence[float],
    budget: float,
    locked_in: Sequence[Any] | None = None,
    locked_out: Sequence[Any] | None = None,
    adjacency_bonus: float = 0.0,
    adjacency: np.ndarray | None = None,
    time_limit_s: float | None = None,
) -> SelectionResult:
    """Choose parcels maximising total benefit within a budget (exact MILP, HiGHS).

    Parameters
    ----------
    parcels : pandas.DataFrame or geopandas.GeoDataFrame
        One row per parcel (e.g. from :func:`~steppe_geo.parcels.rank_parcels`).
    benefit, cost : str or sequence of float
        Column names (or arrays) of each parcel's benefit (e.g. score x eligible area, or
        energy GWh/yr) and cost (any unit: money, or area in ha for an area limit).
    budget : float
        Upper limit of Σ cost over selected parcels (same unit as ``cost``), > 0.
    locked_in, locked_out : sequences of ids (index values), optional
    adjacency_bonus : float, default 0
        Bonus added per selected pair of adjacent parcels (benefit units); > 0 favours
        compact selections. Pairs are linearised with yᵢⱼ ≤ xᵢ, yᵢⱼ ≤ xⱼ.
    adjacency : array (n_pairs, 2), optional
        Adjacent pairs by position; default :func:`adjacency_pairs` on the geometry.
    time_limit_s : float, optional
        Solver time limit (seconds); a solution found by then is returned with its bound
        and remaining gap.

    Returns
    -------
    SelectionResult

    Raises
    ------
    InvalidParameterError
        If ``budget`` <= 0, a lock id is unknown, ids are duplicated, or costs are negative.
    InfeasibleError
        If the locked-in parcels alone exceed the budget (the message gives their cost).
    SolverLimitError
        If the time limit is reached before any solution is found (not proven infeasible).

    Examples
    --------
    Four parcels in a row (benefit, cost); a budget of 5 allows {a, c} (benefit 9, cost 5),
    the best of all 16 subsets within the budget:

    >>> import pandas as pd
    >>> from steppe_geo.parcels import select_parcels
    >>> t = pd.DataFrame({"benefit": [5.0, 4.0, 4.0, 0.5], "cost": [3.0, 3.0, 2.0, 1.0]},
    ...                  index=["a", "b", "c", "d"])
    >>> res = select_parcels(t, benefit="benefit", cost="cost", budget=5)
    >>> list(res.selected[res.selected].index), res.objective, res.total_cost, res.gap
    (['a', 'c'], 9.0, 5.0, 0.0)

    With ``b`` locked in, the best is {a, b} (benefit 9, cost 6) once the budget is 6:

    >>> res = select_parcels(t, benefit="benefit", cost="cost", budget=6, locked_in=["b"])
    >>> list(res.selected[res.selected].index), res.objective
    (['a', 'b'], 9.0)
    """
    if not np.isfinite(budget) or budget <= 0:
        raise InvalidParameterError(f"budget must be a finite number > 0, got {budget!r}")
    _check_ids(parcels)
    b = _column(parcels, benefit, "benefit")
    c = _column(parcels, cost, "cost")
    if np.any(c < 0):
        neg = {_plain(parcels.index[i]): float(c[i]) for i in np.flatnonzero(c < 0)[:10]}
        raise InvalidParameterError(f"cost: values must be >= 0, got {neg}")
    lo, hi = _locks(parcels, locked_in, locked_out)
    if c @ lo > budget:
        raise InfeasibleError(
            f"the locked-in parcels cost {c @ lo:g}, more than the budget {budget:g}; they need a "
            f"budget of at least {c @ lo:g}"
        )
    n = len(parcels)
    pairs = np.zeros((0, 2), dtype=np.int64)
    if adjacency_bonus:
        if adjacency_bonus < 0:
            raise InvalidParameterError(f"adjacency_bonus must be >= 0, got {adjacency_bonus!r}")
        pairs = adjacency_pairs(parcels) if adjacency is None else np.asarray(adjacency, dtype=np.int64)
    m = len(pairs)
    obj = -np.concatenate([b, np.full(m, float(adjacency_bonus))])
    rows = [sp.csr_array(np.concatenate([c, np.zeros(m)])[None, :])]
    lbs, ubs = [-np.inf], [float(budget)]
    if m:
        k = np.arange(m)
        for side in (0, 1):  # y_k - x_i <= 0
            a = sp.csr_array((np.concatenate([np.ones(m), -np.ones(m)]),
                              (np.concatenate([k, k]), np.concatenate([n + k, pairs[:, side]]))),
                             shape=(m, n + m))
            rows.append(a)
            lbs.extend([-np.inf] * m)
            ubs.extend([0.0] * m)
    A = sp.vstack(rows).tocsr()
    res = _solve(obj, LinearConstraint(A, lbs, ubs), np.concatenate([lo, np.zeros(m)]),
                 np.concatenate([hi, np.ones(m)]), np.concatenate([np.ones(n), np.zeros(m)]), time_limit_s)
    _check_solved(res, "select_parcels", time_limit_s)
    x = np.round(res.x[:n]).astype(bool)
    return SelectionResult(
        selected=pd.Series(x, index=parcels.index, name="selected"),
        objective=float(-res.fun),
        bound=float(-res.mip_dual_bound) if res.mip_dual_bound is not None else float("nan"),
        gap=float(res.mip_gap) if res.mip_gap is not None else float("nan"),
        total_cost=float(c @ x),
        status=str(res.message),
    )


def minimum_set(
    parcels: pd.DataFrame,
    *,
    cost: str | Sequence[float],
    amount: str | Sequence[float],
    target: float,
    locked_in: Sequence[Any] | None = None,
    locked_out: Sequence[Any] | None = None,
    time_limit_s: float | None = None,
) -> SelectionResult:
    """Cheapest set of parcels reaching ``target`` of ``amount`` (e.g. eligible area ha or GWh/yr).

    min Σ cᵢxᵢ s.t. Σ aᵢxᵢ ≥ target (prioritizr "minimum set"), exact MILP.

    Returns
    -------
    SelectionResult
        ``objective`` is the total cost.

    Raises
    ------
    InvalidParameterError
        If ``target`` <= 0 or ids are duplicated.
    InfeasibleError
        If even all allowed parcels do not reach the target (the message gives the best
        reachable amount).
    SolverLimitError
        If the time limit is reached before any solution is found (not proven infeasible).
    """
    if not np.isfinite(target) or target <= 0:
        raise InvalidParameterError(f"target must be a finite number > 0, got {target!r}")
    _check_ids(parcels)
    c = _column(parcels, cost, "cost")
    a = _column(parcels, amount, "amount")
    lo, hi = _locks(parcels, locked_in, locked_out)
    reachable = float(a[(hi > 0) & (a > 0)].sum() + a[(lo > 0) & (a < 0)].sum())
    if reachable < target:
        raise InfeasibleError(
            f"target {target:g} cannot be reached: all allowed parcels together give {reachable:g} "
            "(the best reachable value)"
        )
    res = _solve(c, LinearConstraint(a[None, :], [float(target)], [np.inf]), lo, hi,
                 np.ones(len(parcels)), time_limit_s)
    _check_solved(res, "minimum_set", time_limit_s)
    x = np.round(res.x).astype(bool)
    return SelectionResult(
        selected=pd.Series(x, index=parcels.index, name="selected"),
        objective=float(res.fun),
        bound=float(res.mip_dual_bound) if res.mip_dual_bound is not None else float("nan"),
        gap=float(res.mip_gap) if res.mip_gap is not None else float("nan"),
        total_cost=float(c @ x),
        status=str(res.message),
    )
