"""Monte Carlo rank stability and one-at-a-time sweeps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from steppe_geo.errors import InvalidParameterError
from steppe_geo.parcels import dirichlet_weights, rank_stability, weight_sweep


def test_dominant_parcel_always_first(rng):
    df = pd.DataFrame({"a": [0.9, 0.1, 0.5, 0.4], "b": [0.9, 0.2, 0.1, 0.3]}, index=list("pqrs"))
    res = rank_stability(df, weights={"a": 1, "b": 1}, n_draws=500, k=1, rng=rng)
    assert res.loc["p", "p_top_k"] == 1.0 and res.loc["p", "mean_rank"] == 1.0
    assert (res["rank_p05"] <= res["rank_p95"]).all()
    # Equal weights: p 0.9, q 0.15, r 0.3, s 0.35.
    assert res["base_rank"].tolist() == [1, 4, 3, 2]


def test_matches_loop_reference(rng):
    m = rng.random((30, 3))
    df = pd.DataFrame(m, columns=["a", "b", "c"])
    res = rank_stability(df, weights={"a": 0.5, "b": 0.3, "c": 0.2}, n_draws=200, k=5, rng=7, block=37)
    draws = dirichlet_weights(np.array([0.5, 0.3, 0.2]), 200, rng=7)
    ranks = np.array([pd.Series(m @ w).rank(ascending=False).to_numpy() for w in draws])
    np.testing.assert_allclose(res["mean_rank"], ranks.mean(axis=0))
    np.testing.assert_allclose(res["p_top_k"], (ranks <= 5).mean(axis=0))
    np.testing.assert_allclose(res["rank_p95"], np.quantile(ranks, 0.95, axis=0, method="inverted_cdf"))
    np.testing.assert_allclose(res["rank_p05"], np.quantile(ranks, 0.05, axis=0, method="inverted_cdf"))
    again = rank_stability(df, weights={"a": 0.5, "b": 0.3, "c": 0.2}, n_draws=200, k=5, rng=7)
    pd.testing.assert_frame_equal(res, again)


def test_dirichlet_mean_and_zero_weights():
    d = dirichlet_weights(np.array([0.6, 0.4, 0.0]), 4000, concentration=50, rng=1)
    np.testing.assert_allclose(d.mean(axis=0), [0.6, 0.4, 0.0], atol=0.01)
    np.testing.assert_allclose(d.sum(axis=1), 1.0)
    # var = w(1-w)/(c+1) = 0.24/51
    assert d[:, 0].var() == pytest.approx(0.24 / 51, rel=0.1)


def test_weight_sweep():
    df = pd.DataFrame({"a": [1.0, 0.0, 0.6], "b": [0.0, 1.0, 0.6]})
    sw = weight_sweep(df, weights={"a": 1, "b": 1}, factors=(0.5, 2.0), k=1)
    assert len(sw) == 4
    row = sw[(sw.criterion == "a") & (sw.factor == 2.0)].iloc[0]
    assert row["weight"] == pytest.approx(2 / 3)
    # Base scores 0.5, 0.5, 0.6 -> parcel 2 first; with w_a = 2/3: 0.667, 0.333, 0.6 -> parcel 0 first.
    assert row["top_k_overlap"] == 0.0


def test_errors():
    df = pd.DataFrame({"a": [1.0, 0.0]})
    with pytest.raises(InvalidParameterError, match="k must be"):
        rank_stability(df, weights={"a": 1}, k=3)
    with pytest.raises(InvalidParameterError, match="n_draws"):
        rank_stability(df, weights={"a": 1}, n_draws=0, k=1)
    with pytest.raises(InvalidParameterError, match="concentration"):
        rank_stability(df, weights={"a": 1}, concentration=0, k=1)
    with pytest.raises(InvalidParameterError, match="factors"):
        weight_sweep(df, weights={"a": 1}, factors=(-1,), k=1)
