"""Monte Carlo rank stability and one-at-a-time sweeps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata, spearmanr

from steppe_geo.errors import InvalidParameterError
from steppe_geo.mcda import ahp, principal_eigenvectors
from steppe_geo.parcels import ahp_weight_draws, dirichlet_weights, rank_parcels, rank_stability, weight_sweep
from steppe_geo.parcels.stability import _rank_draws


def test_dominant_parcel_always_first(rng):
    df = pd.DataFrame({"a": [0.9, 0.1, 0.5, 0.4], "b": [0.9, 0.2, 0.1, 0.3]}, index=list("pqrs"))
    res = rank_stability(df, weights={"a": 1, "b": 1}, n_draws=500, top_k=1, rng=rng)
    assert res.loc["p", "p_top_k"] == 1.0 and res.loc["p", "mean_rank"] == 1.0
    assert (res["rank_p05"] <= res["rank_p95"]).all()
    # Equal weights: p 0.9, q 0.15, r 0.3, s 0.35.
    assert res["base_rank"].tolist() == [1, 4, 3, 2]


def test_matches_loop_reference(rng):
    m = rng.random((30, 3))
    df = pd.DataFrame(m, columns=["a", "b", "c"])
    res = rank_stability(df, weights={"a": 0.5, "b": 0.3, "c": 0.2}, n_draws=200, top_k=5, rng=7)
    draws = dirichlet_weights(np.array([0.5, 0.3, 0.2]), 200, rng=7)
    ranks = np.array([pd.Series(m @ w).rank(ascending=False).to_numpy() for w in draws])
    np.testing.assert_allclose(res["mean_rank"], ranks.mean(axis=0))
    np.testing.assert_allclose(res["p_top_k"], (ranks <= 5).mean(axis=0))
    np.testing.assert_allclose(res["rank_p95"], np.quantile(ranks, 0.95, axis=0, method="inverted_cdf"))
    np.testing.assert_allclose(res["rank_p05"], np.quantile(ranks, 0.05, axis=0, method="inverted_cdf"))
    again = rank_stability(df, weights={"a": 0.5, "b": 0.3, "c": 0.2}, n_draws=200, top_k=5, rng=7)
    pd.testing.assert_frame_equal(res, again)


def _min_ranks(scores):
    """Reference: scipy's "min" ranks of the descending scores (ties share the best rank), NaN last."""
    s = np.where(np.isnan(scores), -np.inf, scores)
    return np.array([rankdata(-row, method="min") for row in s])


@pytest.mark.parametrize("block, workers", [(1, 1), (7, 2), (256, 2)])
def test_rank_kernel_matches_scipy_with_ties_negatives_and_nan(rng, block, workers):
    m = np.round(rng.normal(size=(3, 300)), 1)  # many exact ties, negative and zero scores
    m[:, 10] = m[:, 11]  # two identical parcels: tie in every draw
    m[1, 20] = np.nan  # a parcel with a NaN mean ranks last in every draw
    draws = np.vstack([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], rng.dirichlet([1, 1, 1], size=40)])
    ranks = _rank_draws(draws, m, block=block, workers=workers).T
    scores = draws @ np.where(np.isnan(m), 0, m)
    scores[:, np.isnan(m).any(axis=0)] = np.nan
    expected = _min_ranks(scores)
    np.testing.assert_array_equal(ranks, expected)
    assert (ranks[:, 20] == 300).all()
    assert (ranks[:, 10] == ranks[:, 11]).all()


def test_rank_kernel_more_than_65536_parcels(rng):
    m = rng.random((2, 70_000))
    draws = rng.dirichlet([1, 1], size=5)
    ranks = _rank_draws(draws, m).T
    assert ranks.dtype == np.uint32
    np.testing.assert_array_equal(ranks, _min_ranks(draws @ m))


def test_negative_zero_ties_with_zero():
    df = pd.DataFrame({"a": [0.0, -0.0, 0.5]})
    res = rank_stability(df, weights={"a": 1}, n_draws=3, top_k=1, rng=0)
    assert res["base_rank"].tolist() == [2, 2, 1]


def test_tied_parcels_share_rank_and_top_k_like_rank_parcels():
    # P1 and P2 are identical (criteria saturated at 1): both rank 1 in every draw, as in rank_parcels.
    df = pd.DataFrame({"a": [1.0, 1.0, 0.2], "b": [1.0, 1.0, 0.9]}, index=["P1", "P2", "P3"])
    res = rank_stability(df, weights={"a": 1, "b": 1}, n_draws=200, top_k=1, rng=0)
    assert res["p_top_k"].tolist() == [1.0, 1.0, 0.0]
    assert res["mean_rank"].tolist() == [1.0, 1.0, 3.0]
    ranked = rank_parcels(df, weights={"a": 1, "b": 1}, eligible_area_column=None)
    assert res["base_rank"].tolist() == ranked.loc[res.index, "rank"].tolist() == [1, 1, 3]


def test_parcels_with_nan_means_are_not_ranked(rng):
    df = pd.DataFrame(rng.random((6, 2)), columns=["a", "b"])
    df.iloc[2, 1] = np.nan
    res = rank_stability(df, weights={"a": 1, "b": 1}, n_draws=50, top_k=2, rng=0)
    assert res["base_rank"].isna().tolist() == [False, False, True, False, False, False]
    assert np.isnan(res.loc[2, "mean_rank"]) and res.loc[2, "p_top_k"] == 0.0
    assert pd.isna(res.loc[2, "rank_p05"]) and pd.isna(res.loc[2, "rank_p95"])
    # The others rank as if the NaN parcel were not there.
    alone = rank_stability(df.drop(index=2), weights={"a": 1, "b": 1}, n_draws=50, top_k=2, rng=0)
    pd.testing.assert_frame_equal(res.drop(index=2), alone)


def test_ahp_draws_two_criteria_by_hand():
    # Two criteria, judgement a = 3: weights (a, 1) / (1 + a). One ladder step moves a to 2, 3
    # or 4 with probability 1/3 each, i.e. w0 in {2/3, 3/4, 4/5}.
    base = ahp([[1, 3], [1 / 3, 1]], criteria=["wind", "grid"])
    draws = ahp_weight_draws(base, 6000, steps=1, rng=3)
    assert list(draws.columns) == ["wind", "grid"]
    np.testing.assert_allclose(draws.sum(axis=1), 1.0)
    values, counts = np.unique(np.round(draws["wind"], 12), return_counts=True)
    np.testing.assert_allclose(values, [2 / 3, 3 / 4, 4 / 5])
    np.testing.assert_allclose(counts / 6000, [1 / 3] * 3, atol=0.03)
    # At the end of the ladder, 9 can only move down: 8 (p 1/3) or stay 9 (p 2/3).
    top = ahp_weight_draws(ahp([[1, 9], [1 / 9, 1]]), 6000, steps=1, rng=4)
    values, counts = np.unique(np.round(top["c0"], 12), return_counts=True)
    np.testing.assert_allclose(values, [8 / 9, 9 / 10])
    np.testing.assert_allclose(counts / 6000, [1 / 3, 2 / 3], atol=0.03)
    # A reciprocal judgement 1/2 moves to 1/3, 1/2 or 1.
    rec = ahp_weight_draws(ahp([[1, 0.5], [2, 1]]), 3000, steps=1, rng=5)
    np.testing.assert_allclose(np.unique(np.round(rec["c0"], 12)), [1 / 4, 1 / 3, 1 / 2])


def test_rank_stability_with_ahp_draws(rng):
    base = ahp({("a", "b"): 3, ("a", "c"): 5, ("b", "c"): 2})
    draws = ahp_weight_draws(base, 300, rng=1)
    df = pd.DataFrame(rng.random((25, 3)), columns=["c", "b", "a"])  # column order differs
    res = rank_stability(df, weights=base.as_dict(), draws=draws, top_k=3)
    m = df[["a", "b", "c"]].to_numpy()
    ranks = _min_ranks(draws[["a", "b", "c"]].to_numpy() @ m.T)
    np.testing.assert_allclose(res["mean_rank"], ranks.mean(axis=0))
    np.testing.assert_allclose(res["p_top_k"], (ranks <= 3).mean(axis=0))
    np.testing.assert_array_equal(res["base_rank"], rankdata(-(m @ base.weights), method="ordinal"))
    with pytest.raises(InvalidParameterError, match=r"draws: no column for criteria \['c'\]"):
        rank_stability(df, weights=base.as_dict(), draws=draws[["a", "b"]], top_k=3)
    with pytest.raises(InvalidParameterError, match=r"draws must have shape \(n_draws >= 1, 3\)"):
        rank_stability(df, weights=base.as_dict(), draws=np.ones((4, 2)), top_k=3)
    with pytest.raises(InvalidParameterError, match="finite and >= 0"):
        rank_stability(df, weights=base.as_dict(), draws=-np.ones((4, 3)), top_k=3)
    with pytest.raises(InvalidParameterError, match="steps must be an integer in 1"):
        ahp_weight_draws(base, 10, steps=0)
    with pytest.raises(InvalidParameterError, match="must be an AHPResult"):
        ahp_weight_draws(base.matrix, 10)


def test_principal_eigenvectors_of_consistent_matrices():
    # A consistent matrix a_ij = w_i / w_j has eigenvector w and eigenvalue n (Saaty 1980).
    ws = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]])
    mats = ws[:, :, None] / ws[:, None, :]
    w, lam = principal_eigenvectors(mats)
    np.testing.assert_allclose(w, ws, rtol=1e-12)
    np.testing.assert_allclose(lam, [3.0, 3.0], rtol=1e-12)


def test_dirichlet_mean_and_zero_weights():
    d = dirichlet_weights(np.array([0.6, 0.4, 0.0]), 4000, concentration=50, rng=1)
    np.testing.assert_allclose(d.mean(axis=0), [0.6, 0.4, 0.0], atol=0.01)
    np.testing.assert_allclose(d.sum(axis=1), 1.0)
    # var = w(1-w)/(c+1) = 0.24/51
    assert d[:, 0].var() == pytest.approx(0.24 / 51, rel=0.1)


def test_weight_sweep():
    df = pd.DataFrame({"a": [1.0, 0.0, 0.6], "b": [0.0, 1.0, 0.6]})
    sw = weight_sweep(df, weights={"a": 1, "b": 1}, factors=(0.5, 2.0), top_k=1)
    assert len(sw) == 4
    row = sw[(sw.criterion == "a") & (sw.factor == 2.0)].iloc[0]
    assert row["weight"] == pytest.approx(2 / 3)
    # Base scores 0.5, 0.5, 0.6 -> parcel 2 first; with w_a = 2/3: 0.667, 0.333, 0.6 -> parcel 0 first.
    assert row["top_k_overlap"] == 0.0
    assert row["spearman"] == pytest.approx(spearmanr([0.5, 0.5, 0.6], [2 / 3, 1 / 3, 0.6]).statistic)
    # Ranks 2, 2, 1 (tie) -> 1, 3, 2: largest change 1.
    assert row["max_rank_change"] == 1


def test_weight_sweep_overlap_with_tied_top_parcels():
    # Base scores 0.5, 0.5, 0.1, 0.1: parcels 0 and 1 tie at rank 1 (the base "top 1" holds both).
    # w_a x 2 -> 2/3: scores 0.667, 0.333, 0.1, 0.0 -> only parcel 0 still has rank 1: overlap 1/2.
    df = pd.DataFrame({"a": [1.0, 0.0, 0.1, 0.0], "b": [0.0, 1.0, 0.1, 0.2]})
    sw = weight_sweep(df, weights={"a": 1, "b": 1}, factors=(2.0,), top_k=1)
    row = sw[sw.criterion == "a"].iloc[0]
    assert row["top_k_overlap"] == 0.5


def test_errors():
    df = pd.DataFrame({"a": [1.0, 0.0]})
    with pytest.raises(InvalidParameterError, match="k must be"):
        rank_stability(df, weights={"a": 1}, top_k=3)
    with pytest.raises(InvalidParameterError, match="n_draws"):
        rank_stability(df, weights={"a": 1}, n_draws=0, top_k=1)
    with pytest.raises(InvalidParameterError, match="concentration"):
        rank_stability(df, weights={"a": 1}, concentration=0, top_k=1)
    with pytest.raises(InvalidParameterError, match="factors"):
        weight_sweep(df, weights={"a": 1}, factors=(-1,), top_k=1)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_rank_kernel_paths_for_nonnegative_and_signed_scores_agree_with_scipy(rng, sign):
    # Criteria in 0..1 (the usual case) take the two-pass key path; any negative value the general one.
    m = np.round(rng.random((4, 500)), 2) * sign
    m[:, 7] = -0.0  # negative zero ties with zero
    m[2, 9] = np.nan
    draws = rng.dirichlet([1, 2, 3, 4], size=30)
    scores = draws @ np.where(np.isnan(m), 0, m)
    scores[:, np.isnan(m).any(axis=0)] = np.nan
    np.testing.assert_array_equal(_rank_draws(draws, m).T, _min_ranks(scores))
