"""Selection MILP against brute-force enumeration of all 2^12 subsets."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from steppe_geo.errors import InfeasibleError, InvalidParameterError, SolverLimitError
from steppe_geo.parcels import adjacency_pairs, minimum_set, select_parcels


@pytest.fixture
def parcels(rng) -> gpd.GeoDataFrame:
    # 12 unit squares on a 4 x 3 lattice (edge-adjacent neighbours touch).
    geoms = [shapely.box(i, j, i + 1, j + 1) for j in range(3) for i in range(4)]
    return gpd.GeoDataFrame({"benefit": rng.uniform(1, 10, 12).round(2),
                             "cost": rng.uniform(1, 5, 12).round(2),
                             "area": rng.uniform(5, 20, 12).round(1)},
                            geometry=geoms, crs="EPSG:32649", index=[f"p{i}" for i in range(12)])


def _subsets(n):
    return (np.array(s, dtype=bool) for s in itertools.product([0, 1], repeat=n))


def test_adjacency_pairs(parcels):
    pairs = {tuple(p) for p in adjacency_pairs(parcels)}
    assert (0, 1) in pairs and (0, 4) in pairs and (0, 5) in pairs  # corner touch counts (shapely touches)
    assert (0, 2) not in pairs


@pytest.mark.parametrize("bonus", [0.0, 2.0])
def test_budget_matches_brute_force(parcels, bonus):
    b, c = parcels["benefit"].to_numpy(), parcels["cost"].to_numpy()
    pairs = adjacency_pairs(parcels)
    budget = 12.0
    best = -np.inf
    for x in _subsets(12):
        if c @ x <= budget and not x[3] and x[7]:
            best = max(best, b @ x + bonus * np.sum(x[pairs[:, 0]] & x[pairs[:, 1]]))
    res = select_parcels(parcels, benefit="benefit", cost="cost", budget=budget, adjacency_bonus=bonus,
                         locked_in=["p7"], locked_out=["p3"])
    assert res.objective == pytest.approx(best)
    assert res.gap == pytest.approx(0.0, abs=1e-9)
    assert res.bound == pytest.approx(best, rel=1e-6)
    assert res.selected["p7"] and not res.selected["p3"]
    assert res.total_cost <= budget


def test_minimum_set_matches_brute_force(parcels):
    c, a = parcels["cost"].to_numpy(), parcels["area"].to_numpy()
    target = 60.0
    best = min(c @ x for x in _subsets(12) if a @ x >= target)
    res = minimum_set(parcels, cost="cost", amount="area", target=target)
    assert res.objective == pytest.approx(best)
    assert parcels.loc[res.selected, "area"].sum() >= target


def test_errors(parcels):
    with pytest.raises(InvalidParameterError, match=r"budget must be a finite number > 0, got 0"):
        select_parcels(parcels, benefit="benefit", cost="cost", budget=0)
    # The best reachable area is the sum of all 12 areas.
    total = f"{parcels['area'].sum():g}"
    with pytest.raises(InfeasibleError,
                       match=rf"target 1e\+06 cannot be reached: all allowed parcels together give {total} "):
        minimum_set(parcels, cost="cost", amount="area", target=1e6)
    # With p0 locked out the best reachable drops by its area.
    without = f"{parcels['area'].sum() - parcels.loc['p0', 'area']:g}"
    with pytest.raises(InfeasibleError, match=rf"together give {without} "):
        minimum_set(parcels, cost="cost", amount="area", target=parcels["area"].sum(), locked_out=["p0"])
    p0 = f"{parcels.loc['p0', 'cost']:g}"
    with pytest.raises(InfeasibleError, match=rf"locked-in parcels cost {p0}, more than the budget 0\.5"):
        select_parcels(parcels, benefit="benefit", cost="cost", budget=0.5, locked_in=["p0"])
    with pytest.raises(InvalidParameterError, match=r"locked_in: ids not in the parcels: \['zz'\]"):
        select_parcels(parcels, benefit="benefit", cost="cost", budget=5, locked_in=["zz"])
    with pytest.raises(InvalidParameterError, match=r"both locked in and locked out: \['p1'\]"):
        select_parcels(parcels, benefit="benefit", cost="cost", budget=5, locked_in=["p1"], locked_out=["p1"])
    with pytest.raises(InvalidParameterError, match=r"target must be a finite number > 0, got -1"):
        minimum_set(parcels, cost="cost", amount="area", target=-1)
    bad = pd.DataFrame({"benefit": [1.0, np.nan], "cost": [1.0, 1.0]})
    with pytest.raises(InvalidParameterError, match="benefit: values must be finite"):
        select_parcels(bad, benefit="benefit", cost="cost", budget=1)
    with pytest.raises(InvalidParameterError, match=r"cost: values must be >= 0, got \{'p2': -1\.0\}"):
        select_parcels(parcels.assign(cost=parcels["cost"].where(parcels.index != "p2", -1.0)),
                       benefit="benefit", cost="cost", budget=5)
    dup = parcels.set_axis(["p0", "p1", "p1", "p3", "p0", *parcels.index[5:]])
    with pytest.raises(InvalidParameterError, match=r"unique parcel ids; 2 duplicated: \['p1', 'p0'\]"):
        select_parcels(dup, benefit="benefit", cost="cost", budget=5)
    with pytest.raises(InvalidParameterError, match=r"unique parcel ids; 2 duplicated: \['p1', 'p0'\]"):
        minimum_set(dup, cost="cost", amount="area", target=10)


def test_time_limit_without_solution_is_not_infeasible(rng):
    """A time limit hit before any solution is SolverLimitError (not InfeasibleError), naming the limit."""
    n = 2000
    t = pd.DataFrame({"b": rng.uniform(1, 10, n), "c": rng.uniform(1, 5, n), "a": rng.uniform(1, 20, n)})
    with pytest.raises(SolverLimitError, match=r"select_parcels: .*time_limit_s=1e-06.* NOT proven"):
        select_parcels(t, benefit="b", cost="c", budget=1000, time_limit_s=1e-6)
    with pytest.raises(SolverLimitError, match=r"minimum_set: .*time_limit_s=1e-06.* NOT proven infeasible"):
        minimum_set(t, cost="c", amount="a", target=t["a"].sum() / 2, time_limit_s=1e-6)
    # With time the same problems solve (and are feasible).
    assert select_parcels(t.iloc[:50], benefit="b", cost="c", budget=50, time_limit_s=30).gap <= 1e-9
    assert not issubclass(SolverLimitError, InfeasibleError)
