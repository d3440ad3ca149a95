"""Weights: direct, rank-based, AHP against Saaty's published example and numpy.linalg.eig."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from steppe_geo.errors import InvalidParameterError, SteppeGeoWarning
from steppe_geo.mcda import RANDOM_INDEX, InconsistentJudgementsWarning, ahp, normalize_weights, rank_weights

# Saaty, T. L. (1990). How to make a decision: the analytic hierarchy process. European Journal of
# Operational Research 48, 9-26, the house-buying example (criteria matrix, Table 2): size, transport,
# neighbourhood, age, yard, modern facilities, general condition, financing. Published priorities
# (0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333), lambda_max = 9.669, CI = 0.238, CR = 0.169.
HOUSE = np.array(
    [
        [1, 5, 3, 7, 6, 6, 1 / 3, 1 / 4],
        [1 / 5, 1, 1 / 3, 5, 3, 3, 1 / 5, 1 / 7],
        [1 / 3, 3, 1, 6, 3, 4, 6, 1 / 5],
        [1 / 7, 1 / 5, 1 / 6, 1, 1 / 3, 1 / 4, 1 / 7, 1 / 8],
        [1 / 6, 1 / 3, 1 / 3, 3, 1, 1 / 2, 1 / 5, 1 / 6],
        [1 / 6, 1 / 3, 1 / 4, 4, 2, 1, 1 / 5, 1 / 6],
        [3, 5, 1 / 6, 7, 5, 5, 1, 1 / 2],
        [4, 7, 5, 8, 6, 6, 2, 1],
    ]
)
HOUSE_W = [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333]


def test_saaty_house_example_matches_published_values():
    with pytest.warns(InconsistentJudgementsWarning, match=r"CR = 0.169 > 0.1"):
        r = ahp(HOUSE)
    np.testing.assert_allclose(r.weights, HOUSE_W, atol=0.0006)
    assert r.lambda_max == pytest.approx(9.669, abs=5e-4)
    assert r.ci == pytest.approx(0.238, abs=5e-4)
    assert r.cr == pytest.approx(0.169, abs=5e-4)
    assert not r.consistent


def test_eigenvector_by_hand_with_numpy_eig():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InconsistentJudgementsWarning)
        r = ahp(HOUSE)
    vals, vecs = np.linalg.eig(HOUSE)
    k = np.argmax(vals.real)
    v = vecs[:, k].real
    v = v / v.sum()
    np.testing.assert_allclose(r.weights, v, rtol=1e-12)
    np.testing.assert_allclose(HOUSE @ r.weights, r.lambda_max * r.weights, rtol=1e-10)
    assert r.ci == pytest.approx((vals[k].real - 8) / 7)
    assert r.cr == pytest.approx(r.ci / RANDOM_INDEX[8])


def test_warning_names_the_most_helpful_revision():
    with pytest.warns(InconsistentJudgementsWarning) as rec:
        r = ahp(
            HOUSE,
            criteria=[
                "size",
                "transport",
                "neighbourhood",
                "age",
                "yard",
                "modern",
                "condition",
                "financing",
            ],
        )
    assert issubclass(rec[0].category, SteppeGeoWarning)
    row, col, cur, _new, cr_after = r.suggestion
    # brute force check: no other single revision to w_i/w_j lowers CR further
    best = np.inf
    for i in range(8):
        for j in range(i + 1, 8):
            b = HOUSE.copy()
            b[i, j] = r.weights[i] / r.weights[j]
            b[j, i] = 1 / b[i, j]
            lam = np.max(np.linalg.eigvals(b).real)
            best = min(best, (lam - 8) / 7 / 1.41)
    assert cr_after == pytest.approx(best)
    assert (row, col) == ("neighbourhood", "condition") and cur == 6
    assert f"Revising ('{row}' vs '{col}')" in str(rec[0].message)


def test_consistent_matrix_has_zero_cr_and_no_warning():
    w = np.array([0.5, 0.3, 0.2])
    a = w[:, None] / w[None, :]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = ahp(a, criteria=["wind", "slope", "grid"])
    np.testing.assert_allclose(r.weights, w)
    assert r.lambda_max == pytest.approx(3) and abs(r.cr) < 1e-9 and r.consistent
    assert r.as_dict()["wind"] == pytest.approx(0.5)


def test_judgement_dict_equals_matrix():
    judgements = {("wind", "slope"): 3, ("wind", "grid"): 5, ("slope", "grid"): 2}
    r = ahp(judgements)
    m = np.array([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]])
    np.testing.assert_allclose(r.weights, ahp(m).weights)
    assert r.criteria == ("wind", "slope", "grid")
    with pytest.raises(
        InvalidParameterError, match=r"missing pairwise judgements for \[\('slope', 'grid'\)\]"
    ):
        ahp({("wind", "slope"): 3, ("wind", "grid"): 5})


@pytest.mark.parametrize(
    ("matrix", "msg"),
    [
        ([[1, 2, 3], [0.5, 1, 2]], r"must be square \(n x n\), got shape \(2, 3\)"),
        ([[1, -2], [-0.5, 1]], r"must be positive, got -2.0 at \[0, 1\]"),
        ([[1, 0], [0, 1]], r"must be positive"),
        ([[1, 3], [3, 1]], r"not reciprocal: a\[0, 1\] = 3.0 but a\[1, 0\] = 3.0"),
    ],
)
def test_ahp_matrix_errors(matrix, msg):
    with pytest.raises(InvalidParameterError, match=msg):
        ahp(matrix)


def test_direct_weights():
    np.testing.assert_allclose(normalize_weights([2, 1, 1]), [0.5, 0.25, 0.25])
    np.testing.assert_allclose(normalize_weights({"b": 1, "a": 3}, criteria=["a", "b"]), [0.75, 0.25])
    with pytest.raises(
        InvalidParameterError,
        match=r"must be finite and >= 0, got \[1.0, -1.0\] for criteria "
        r"\['wind', 'slope'\]",
    ):
        normalize_weights([1, -1], criteria=["wind", "slope"])
    with pytest.raises(
        InvalidParameterError,
        match=r"sum to a positive number, got \[0.0, 0.0, 0.0\] for "
        r"criteria \['slope', 'wind', 'grid'\]",
    ):
        normalize_weights([0, 0, 0], criteria=["slope", "wind", "grid"])


def test_rank_weights_by_hand():
    # n = 3, ranks (1, 2, 3): sum 3:2:1; reciprocal 1 : 1/2 : 1/3;
    # ROC (1/3)(1+1/2+1/3), (1/3)(1/2+1/3), (1/3)(1/3)
    np.testing.assert_allclose(rank_weights([1, 2, 3], method="sum"), [3 / 6, 2 / 6, 1 / 6])
    np.testing.assert_allclose(rank_weights([1, 2, 3], method="reciprocal"), [6 / 11, 3 / 11, 2 / 11])
    np.testing.assert_allclose(rank_weights([1, 2, 3], method="centroid"), [11 / 18, 5 / 18, 2 / 18])
    np.testing.assert_allclose(rank_weights([3, 1, 2], method="centroid"), [2 / 18, 11 / 18, 5 / 18])
    with pytest.raises(InvalidParameterError, match=r"permutation of 1..3"):
        rank_weights([1, 1, 2])
    with pytest.raises(InvalidParameterError, match=r"did you mean 'centroid'"):
        rank_weights([1, 2], method="centroids")
