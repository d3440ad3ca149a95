"""Combination rules worked by hand; OWA orness/trade-off; errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steppe_geo.errors import InvalidParameterError
from steppe_geo.mcda import OWAWeights, combine, orness, owa_weights_from_orness, tradeoff

X = np.array([[0.2, 1.0, np.nan], [0.8, 0.5, 0.3], [0.5, 0.0, 0.9]])[:, None, :]  # (3 criteria, 1, 3)
W = np.array([0.5, 0.3, 0.2])


def test_wlc_and_nan():
    out = combine(X, W, rule="wlc")
    assert out.dtype == np.float32 and out.shape == (1, 3)
    assert out[0, 0] == pytest.approx(0.5 * 0.2 + 0.3 * 0.8 + 0.2 * 0.5)
    assert out[0, 1] == pytest.approx(0.5 * 1.0 + 0.3 * 0.5 + 0.2 * 0.0)
    assert np.isnan(out[0, 2])


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("weighted_product", 0.2**0.5 * 0.8**0.3 * 0.5**0.2),
        ("geometric-mean", (0.2 * 0.8 * 0.5) ** (1 / 3)),
        ("fuzzy-and", 0.2),
        ("fuzzy-or", 0.8),
        ("fuzzy-product", 0.2 * 0.8 * 0.5),
        ("fuzzy-gamma", (0.2 * 0.8 * 0.5) ** 0.1 * (1 - 0.8 * 0.2 * 0.5) ** 0.9),
    ],
)
def test_rules_by_hand(rule, expected):
    out = combine(X, W, rule=rule)
    assert out[0, 0] == pytest.approx(expected, rel=1e-6)
    assert np.isnan(out[0, 2])


def test_fuzzy_gamma_limits():
    np.testing.assert_allclose(
        combine(X, W, rule="fuzzy-gamma", gamma=0.0), combine(X, W, rule="fuzzy-product"), rtol=1e-6
    )
    assert combine(X, W, rule="fuzzy-gamma", gamma=1.0)[0, 0] == pytest.approx(1 - 0.8 * 0.2 * 0.5)


def test_owa_limits_and_hand_value():
    eq = np.full(3, 1 / 3)
    np.testing.assert_allclose(
        combine(X, W, rule="owa", order_weights=eq), combine(X, W, rule="wlc"), rtol=1e-6
    )
    assert combine(X, W, rule="owa", order_weights=[1, 0, 0])[0, 0] == pytest.approx(0.8)
    assert combine(X, W, rule="owa", order_weights=[0, 0, 1])[0, 0] == pytest.approx(0.2)
    # Malczewski (2006): sorted z = (0.8, 0.5, 0.2), carried weights u = (0.3, 0.2, 0.5), v = (0.5, 0.3, 0.2)
    uv = np.array([0.3 * 0.5, 0.2 * 0.3, 0.5 * 0.2])
    expected = (uv * [0.8, 0.5, 0.2]).sum() / uv.sum()
    assert combine(X, W, rule="owa", order_weights=[0.5, 0.3, 0.2])[0, 0] == pytest.approx(expected)


def test_orness_and_tradeoff_by_hand():
    assert orness([1, 0, 0]) == 1 and orness([0, 0, 1]) == 0 and orness([1 / 3] * 3) == pytest.approx(0.5)
    assert orness([0.5, 0.3, 0.2]) == pytest.approx(1 * 0.5 + 0.5 * 0.3)
    assert tradeoff([1 / 3] * 3) == pytest.approx(1) and tradeoff([1, 0, 0]) == pytest.approx(0)
    v = np.array([0.5, 0.3, 0.2])
    assert tradeoff(v) == pytest.approx(1 - math.sqrt(3 * np.sum((v - 1 / 3) ** 2) / 2))


@settings(max_examples=40, deadline=None)
@given(target=st.floats(0, 1), n=st.integers(2, 9))
def test_orness_solver_hits_target(target, n):
    v = owa_weights_from_orness(target, n)
    assert v.sum() == pytest.approx(1) and np.all(v >= 0)
    assert orness(v) == pytest.approx(target, abs=1e-9)


def test_owa_weights_object_reports_orness_and_tradeoff():
    o = OWAWeights.build(target_orness=0.3, n=4)
    assert o.orness == pytest.approx(0.3) and 0 < o.tradeoff < 1


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_orness_outside_unit_interval(bad):
    with pytest.raises(InvalidParameterError, match=rf"orness must be within \[0.0, 1.0\], got {bad}"):
        owa_weights_from_orness(bad, 3)


def test_unknown_rule_lists_and_suggests():
    with pytest.raises(InvalidParameterError, match=r"rule: unknown value 'wcl'.*Valid values are: 'wlc'"):
        combine(X, W, rule="wcl")
    with pytest.raises(InvalidParameterError, match=r"did you mean 'fuzzy-and'"):
        combine(X, W, rule="fuzzy-adn")


def test_weight_count_mismatch():
    with pytest.raises(InvalidParameterError, match="2 weights for 3 criteria"):
        combine(X, [0.5, 0.5])
