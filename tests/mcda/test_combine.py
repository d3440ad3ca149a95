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


# ---------------------------------------------------------------- OWA with Σ u·v = 0, NaN, validation
RULES = ["wlc", "weighted-product", "owa", "fuzzy-and", "fuzzy-or", "fuzzy-product", "fuzzy-gamma",
         "geometric-mean"]


def test_owa_with_zero_weighted_order_positions_falls_back_to_plain_owa():
    # x = (0.9, 0.5, 0.2) is already descending, so u = w = (0, .5, .5); v = (1, 0, 0):
    # Σ u·v = 0·1 + .5·0 + .5·0 = 0 (Malczewski's ratio is 0/0); Yager's Σ v·z = 1·0.9 = 0.9
    x = np.array([0.9, 0.5, 0.2])[:, None, None]
    out = combine(x, [0, 0.5, 0.5], rule="owa", order_weights=[1, 0, 0])
    assert out[0, 0] == pytest.approx(0.9)
    # the same as the limit of w = (ε, .5 − ε/2, .5 − ε/2) for ε → 0+: (ε·1·0.9) / (ε·1) = 0.9
    eps = 1e-9
    near = combine(x, [eps, 0.5 - eps / 2, 0.5 - eps / 2], rule="owa", order_weights=[1, 0, 0])
    assert near[0, 0] == pytest.approx(out[0, 0])
    # x = (0, 0) ties, kept in criterion order: u = (1, 0), v = (0, 1), Σ u·v = 0; Σ v·z = 0
    assert combine(np.zeros((2, 1, 1)), [1, 0], rule="owa", order_weights=[0, 1])[0, 0] == 0


@pytest.mark.parametrize("rule", RULES)
def test_nan_in_a_zero_weight_criterion_gives_nan_for_every_rule(rule):
    # NaN**0 == 1 and 0·NaN is NaN: without an explicit rule the weighted product would score
    # this pixel 0.5**1 = 0.5 although one criterion is unknown
    x = np.array([[np.nan, 0.3], [0.5, 0.6]])
    kw = {"order_weights": [0.5, 0.5]} if rule == "owa" else {}
    out = combine(x, [0.0, 1.0], rule=rule, **kw)
    assert np.isnan(out[0]) and not np.isnan(out[1])


finite01 = st.floats(0, 1, allow_nan=False, width=32)


@st.composite
def weight_vectors(draw, n, *, zeros=True):
    raw = np.array(draw(st.lists(st.floats(0, 1) if zeros else st.floats(0.01, 1), min_size=n, max_size=n)))
    if raw.sum() <= 0:
        raw[draw(st.integers(0, n - 1))] = 1.0
    return raw / raw.sum()


@st.composite
def combine_cases(draw):
    n = draw(st.integers(1, 6))
    pixels = draw(st.integers(1, 12))
    values = draw(st.lists(st.one_of(finite01, st.just(float("nan"))), min_size=n * pixels,
                           max_size=n * pixels))
    return (np.array(values, dtype=np.float32).reshape(n, pixels), draw(weight_vectors(n)),
            draw(weight_vectors(n)), draw(st.floats(0, 1)))


@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=80, deadline=None)
@given(case=combine_cases())
def test_combine_stays_in_unit_interval_and_nan_only_where_an_input_is(rule, case):
    x, w, v, gamma = case
    out = combine(x, w, rule=rule, order_weights=v if rule == "owa" else None, gamma=gamma)
    assert out.dtype == np.float32 and out.shape == x.shape[1:]
    nan_in = np.isnan(x).any(axis=0)
    np.testing.assert_array_equal(np.isnan(out), nan_in)
    assert np.all((out[~nan_in] >= 0) & (out[~nan_in] <= 1))


def test_wpm_alias_and_list_input():
    x = [[0.25, 1.0], [1.0, 0.25]]  # a plain list is accepted (was AttributeError)
    np.testing.assert_allclose(combine(x, [0.5, 0.5], rule="WPM"), [0.5, 0.5], rtol=1e-6)  # 0.25**0.5
    np.testing.assert_array_equal(combine(x, [0.5, 0.5], rule="wpm"),
                                  combine(np.array(x), [0.5, 0.5], rule="weighted-product"))


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        ({"weights": [0.5, 0.6]},
         r"combine: weights must be finite, >= 0 and sum to 1, got \[0.5, 0.6\] \(sum 1.1\); scale"),
        ({"weights": [1.5, -0.5]}, r"weights must be finite, >= 0 and sum to 1, got \[1.5, -0.5\]"),
        ({"weights": [np.nan, 1.0]}, r"weights must be finite, >= 0 and sum to 1, got \[nan, 1.0\]"),
        ({"weights": ["a", "b"]}, r"combine: weights must be numbers, got \['a', 'b'\]"),
        ({"rule": "owa", "order_weights": [1.2, -0.2]},
         r"order weights must be finite, >= 0 and sum to 1, got \[1.2, -0.2\]"),
        ({"rule": "owa", "order_weights": [0.2, 0.2]},
         r"order weights must be finite, >= 0 and sum to 1, got \[0.2, 0.2\] \(sum 0.4\)"),
        ({"rule": "owa", "order_weights": [1.0]}, r"combine: 1 order weights for 2 criteria"),
        ({"rule": "owa"}, r"rule 'owa' needs order_weights"),
        ({"rule": "wlc", "order_weights": [0.5, 0.5]}, r"order_weights only apply to rule 'owa', not 'wlc'"),
        ({"rule": "fuzzy-gamma", "gamma": 1.5}, r"gamma must be within \[0.0, 1.0\], got 1.5"),
        ({"rule": "fuzzy-gamma", "gamma": "x"}, r"gamma must be a number within \[0, 1\], got 'x'"),
    ],
)
def test_combine_parameter_errors(kwargs, msg):
    kw = {"weights": [0.5, 0.5], **kwargs}
    with pytest.raises(InvalidParameterError, match=msg):
        combine(np.full((2, 1, 1), 0.5), **kw)


def test_combine_stack_errors():
    with pytest.raises(InvalidParameterError, match=r"stack must be a numeric .* got shape \(3,\) and dtype"):
        combine([0.1, 0.2, 0.3], [1 / 3] * 3)
    with pytest.raises(InvalidParameterError, match=r"got shape \(1, 1\) and dtype <U1"):
        combine([["a"]], [1.0])
