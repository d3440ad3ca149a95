"""Value functions: hand-worked values, invariants (hypothesis), serialisation, errors."""

from __future__ import annotations

import math
import tomllib

import matplotlib
import numpy as np
import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from steppe_geo.errors import InvalidParameterError
from steppe_geo.mcda import (
    Categorical,
    Exponential,
    FuzzyJShaped,
    FuzzyLinear,
    FuzzySigmoidal,
    Gaussian,
    Large,
    Linear,
    Logarithm,
    LogisticDecay,
    LogisticGrowth,
    MSLarge,
    MSSmall,
    Near,
    PiecewiseLinear,
    Power,
    Small,
    SymmetricLinear,
    plot_value_function,
    value_function,
    value_function_from_dict,
    value_function_names,
)

matplotlib.use("Agg")

# One instance of every continuous function, with whether it is monotone (+1 / -1) or not (0).
SAMPLES = [
    (Linear(0, 10), 1),
    (Linear(10, 0), -1),
    (SymmetricLinear(0, 10), 0),
    (Small(midpoint=10, spread=3), -1),
    (Large(midpoint=10, spread=3), 1),
    (Gaussian(midpoint=5, spread=0.1), 0),
    (Near(midpoint=5, spread=0.1), 0),
    (MSSmall(mean=10, std=2), -1),
    (MSLarge(mean=10, std=2, mean_multiplier=0.5, std_multiplier=2), 1),
    (LogisticGrowth(midpoint=5, steepness=1.5), 1),
    (LogisticDecay(midpoint=5, steepness=1.5), -1),
    (Exponential(0, 10, rate=2), 1),
    (Exponential(0, 10, rate=-2), 1),
    (Logarithm(0, 10), 1),
    (Power(0, 10, exponent=0.5), 1),
    (FuzzySigmoidal(a=0, b=10), 1),
    (FuzzySigmoidal(c=0, d=10, shape="decreasing"), -1),
    (FuzzySigmoidal(a=0, b=5, c=10, d=20, shape="symmetric"), 0),
    (FuzzyJShaped(a=0, b=10), 1),
    (FuzzyJShaped(c=0, d=10, shape="decreasing"), -1),
    (FuzzyJShaped(a=0, b=5, c=10, d=20, shape="symmetric"), 0),
    (FuzzyLinear(a=0, b=10), 1),
    (FuzzyLinear(a=0, b=5, c=10, d=20, shape="symmetric"), 0),
    (PiecewiseLinear(xs=(0, 5, 10), ys=(0, 0.8, 1.0)), 1),
]
ALL = [*SAMPLES, (Categorical({1: 0.2, 2: 1.0, 5: 0.0}, unknown="nan"), 0)]

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@pytest.mark.parametrize(
    ("fn", "x", "expected"),
    [
        # hand calculations from the formulas in docs/mcda.md
        (Linear(0, 10), 5, 0.5),
        (Linear(10, 0), 2.5, 0.75),
        (SymmetricLinear(0, 10), 2.5, 0.5),
        (Small(midpoint=10, spread=2), 20, 1 / (1 + 2**2)),
        (Small(midpoint=10, spread=2), 10, 0.5),
        (Large(midpoint=10, spread=2), 20, 1 / (1 + 2**-2)),
        (Gaussian(midpoint=5, spread=0.5), 7, math.exp(-0.5 * 4)),
        (Near(midpoint=5, spread=0.5), 7, 1 / (1 + 0.5 * 4)),
        (MSSmall(mean=10, std=2), 12, 2 / (12 - 10 + 2)),
        (MSSmall(mean=10, std=2), 8, 1.0),
        (MSLarge(mean=10, std=2), 12, 1 - 2 / (12 - 10 + 2)),
        (MSLarge(mean=10, std=2), 8, 0.0),
        (MSLarge(mean=10, std=2, mean_multiplier=0.5, std_multiplier=3), 9, 1 - 6 / (9 - 5 + 6)),
        (LogisticGrowth(midpoint=5, steepness=2), 5, 0.5),
        (LogisticGrowth(midpoint=5, steepness=2), 6, 1 / (1 + math.exp(-2))),
        (LogisticDecay(midpoint=5, steepness=2), 6, 1 / (1 + math.exp(2))),
        (Exponential(0, 10, rate=2), 5, (math.exp(1) - 1) / (math.exp(2) - 1)),
        (Logarithm(0, 10, scale=9), 5, math.log(5.5) / math.log(10)),
        (Power(0, 10, exponent=2), 5, 0.25),
        (FuzzySigmoidal(a=0, b=10), 5, math.cos(math.pi / 4) ** 2),
        (FuzzySigmoidal(a=0, b=10), 2.5, math.cos(0.75 * math.pi / 2) ** 2),
        (FuzzySigmoidal(c=0, d=10, shape="decreasing"), 2.5, math.cos(0.25 * math.pi / 2) ** 2),
        (FuzzyJShaped(a=0, b=10), 0, 0.5),
        (FuzzyJShaped(a=0, b=10), 5, 1 / (1 + 0.25)),
        (FuzzyJShaped(a=0, b=10), 12, 1.0),
        (FuzzyJShaped(c=0, d=10, shape="decreasing"), 10, 0.5),
        (FuzzyLinear(a=0, b=10, c=20, d=30, shape="symmetric"), 5, 0.5),
        (FuzzyLinear(a=0, b=10, c=20, d=30, shape="symmetric"), 15, 1.0),
        (FuzzyLinear(a=0, b=10, c=20, d=30, shape="symmetric"), 27.5, 0.25),
        (FuzzyLinear(a=0, b=10, c=20, d=30, shape="symmetric"), 35, 0.0),
        (PiecewiseLinear(xs=(0, 5, 10), ys=(0, 0.8, 1.0)), 7.5, 0.9),
        (PiecewiseLinear(xs=(0, 5, 10), ys=(0, 0.8, 1.0)), -3, 0.0),
        (Categorical({1: 0.2, 2: 1.0}), 2, 1.0),
    ],
)
def test_hand_values(fn, x, expected):
    assert float(fn(np.array([x], dtype=float))[0]) == pytest.approx(expected, rel=1e-6, abs=1e-7)


@pytest.mark.parametrize(("fn", "monotone"), SAMPLES, ids=lambda v: getattr(v, "name", str(v)))
@settings(max_examples=60, deadline=None)
@given(xs=st.lists(finite, min_size=1, max_size=30))
def test_range_nan_and_monotonicity(fn, monotone, xs):
    x = np.sort(np.array([*xs, np.nan]))  # NaN sorts last
    y = fn(x)
    assert y.dtype == np.float32
    assert np.isnan(y[-1])
    assert np.all((y[:-1] >= 0) & (y[:-1] <= 1))
    if monotone:
        d = np.diff(y[:-1].astype(float)) * monotone
        assert np.all(d >= -1e-6)
    y32 = fn(x.astype(np.float32))  # float32 inputs are computed in float32: same invariants
    assert np.isnan(y32[-1]) and np.all((y32[:-1] >= 0) & (y32[:-1] <= 1))


def test_categorical_unknown_codes_error_or_nan():
    fn = Categorical({10: 0.3, 20: 0.9})
    with pytest.raises(InvalidParameterError, match=r"class codes \[30\] are not in the table"):
        fn(np.array([10, 30]))
    out = Categorical({10: 0.3, 20: 0.9}, unknown="nan")(np.array([10, 30, 20]))
    np.testing.assert_array_equal(np.isnan(out), [False, True, False])


def test_dataarray_in_dataarray_out_and_nodata(small_grid, assert_same_georef):
    codes = np.ones(small_grid.shape, dtype=np.uint8)
    codes[0, 0] = 0
    da = small_grid.to_dataarray(codes, name="land_cover", nodata=0)
    out = Categorical({1: 0.7})(da)
    assert_same_georef(out, da)
    assert np.isnan(out.values[0, 0]) and out.values[1, 1] == pytest.approx(0.7)
    assert out.attrs["units"] == "1" and out.name == "land_cover"


def test_ms_fit_uses_layer_statistics(rng):
    layer = rng.normal(50, 5, 1000)
    layer[:10] = np.nan
    fn = MSLarge.fit(layer, mean_multiplier=1.0, std_multiplier=1.0)
    assert fn.mean == pytest.approx(np.nanmean(layer)) and fn.std == pytest.approx(np.nanstd(layer))


@pytest.mark.parametrize(("fn", "monotone"), ALL, ids=lambda v: getattr(v, "name", str(v)))
def test_dict_and_toml_round_trip(fn, monotone):
    d = fn.to_dict()
    assert value_function_from_dict(d) == fn
    again = tomllib.loads(tomli_w.dumps({"fn": d}))["fn"]
    assert value_function_from_dict(again) == fn


def test_factory_and_names():
    assert value_function("gaussian", midpoint=1, spread=2) == Gaussian(1, 2)
    assert {"linear", "ms_small", "ms_large", "sigmoidal", "j_shaped", "categorical"} <= set(
        value_function_names()
    )


def test_unknown_function_lists_names_and_suggests():
    with pytest.raises(
        InvalidParameterError,
        match=r"unknown value function 'gausian'; did you mean 'gaussian'\?"
        r".*Valid names are: .*linear",
    ):
        value_function("gausian", midpoint=1, spread=1)


def test_unknown_parameter():
    with pytest.raises(
        InvalidParameterError, match=r"unknown parameter\(s\) \['hihg'\]; did you mean 'high'"
    ):
        value_function("linear", low=0, hihg=1)


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        ({"a": 5, "b": 1}, r"control points out of order.*got a=5.0 > b=1.0"),
        ({"a": 0, "b": 5, "c": 4, "d": 9, "shape": "symmetric"}, r"out of order.*b=5.0 > c=4.0"),
        ({"c": 9, "d": 1, "shape": "decreasing"}, r"out of order.*c=9.0 > d=1.0"),
        ({"a": 0, "shape": "increasing"}, r"needs control points a, b; b is missing"),
        ({"a": 0, "b": 1, "shape": "sideways"}, r"unknown value 'sideways'"),
    ],
)
def test_control_point_errors(kwargs, msg):
    for cls in (FuzzySigmoidal, FuzzyJShaped, FuzzyLinear):
        with pytest.raises(InvalidParameterError, match=msg):
            cls(**kwargs)


@pytest.mark.parametrize(
    ("make", "msg"),
    [
        (lambda: Linear(3, 3), "low and high must differ"),
        (lambda: Small(midpoint=0), r"small.midpoint must be > 0"),
        (lambda: Gaussian(midpoint=0, spread=-1), r"gaussian.spread must be > 0"),
        (lambda: MSSmall(mean=1, std=0), r"ms_small.std must be > 0"),
        (lambda: PiecewiseLinear(xs=(0, 0), ys=(0, 1)), "strictly increasing"),
        (lambda: PiecewiseLinear(xs=(0, 1), ys=(0, 2)), r"within \[0, 1\]"),
        (lambda: Categorical({1: 1.5}), r"within \[0, 1\]"),
        (lambda: Exponential(0, 1, rate=0), "non-zero"),
    ],
)
def test_parameter_errors(make, msg):
    with pytest.raises(InvalidParameterError, match=msg):
        make()


def test_plot_value_function(small_grid, rng):
    import matplotlib.pyplot as plt

    layer = small_grid.to_dataarray(rng.normal(8, 2, small_grid.shape), name="wind", units="m/s")
    ax = plot_value_function(Linear(4, 10), layer)
    assert len(ax.patches) > 0  # histogram bars
    twin = next(a for a in ax.figure.axes if a is not ax)
    (line,) = twin.get_lines()
    assert np.nanmax(line.get_ydata()) == pytest.approx(1.0) and "m/s" in ax.get_xlabel()
    _fig, given_ax = plt.subplots()
    assert plot_value_function(Categorical({1: 0.2, 3: 0.9}), ax=given_ax) is given_ax
    plt.close("all")


def test_inputs_are_never_mutated():
    from steppe_geo.mcda import Identity

    x = np.array([-1.0, 0.5, 2.0])
    for fn in (Identity(), Linear(0, 1), Power(0, 1)):
        fn(x)
        np.testing.assert_array_equal(x, [-1.0, 0.5, 2.0])
