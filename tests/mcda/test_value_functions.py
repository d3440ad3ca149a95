"""Value functions: hand-worked values, invariants (hypothesis), serialisation, errors."""

from __future__ import annotations

import itertools
import math
import re
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


# ---------------------------------------------------------------- ArcGIS MSSmall / MSLarge branches
def test_ms_small_and_ms_large_below_a_times_m():
    # ArcGIS Pro prints u(x) = 0 for x <= a·m on all four pages (FuzzyMSSmall and TfMSSmall,
    # FuzzyMSLarge and TfMSLarge; pro.arcgis.com/en/pro-app/arcpy/spatial-analyst/*-class.htm).
    # MSLarge: the formula 1 − b·s/(x − a·m + b·s) tends to 1 − 1 = 0 at a·m, so 0 is continuous
    # and we follow ArcGIS. MSSmall: b·s/(x − a·m + b·s) tends to 1, so the printed 0 would jump
    # from 1 to 0 and give the preferred small values the lowest membership; we return 1
    # (continuous, non-increasing) — a documented deviation from what ArcGIS prints.
    small, large = MSSmall(mean=10, std=2), MSLarge(mean=10, std=2)
    x = np.array([0.0, 9.0, 10.0, 10.0 + 1e-6, 12.0])
    np.testing.assert_allclose(small(x), [1, 1, 1, 2 / (1e-6 + 2), 2 / 4], rtol=1e-6)
    np.testing.assert_allclose(large(x), [0, 0, 0, 1 - 2 / (1e-6 + 2), 1 - 2 / 4], atol=1e-6)


# ---------------------------------------------------------------- numerics and validation
def _exponential_reference(rate: float, t: float) -> float:
    # (e^{rt} − 1) / (e^r − 1) with 60-digit decimals (no overflow, independent of our kernel)
    from decimal import Decimal, getcontext

    getcontext().prec = 60
    r, tt = Decimal(rate), Decimal(t)
    return float(((r * tt).exp() - 1) / (r.exp() - 1))


@pytest.mark.parametrize("rate", [800.0, -800.0, 50.0, -3.0, 1e-6])
def test_exponential_large_rates_do_not_overflow(rate):
    fn = Exponential(0, 1, rate=rate)  # was OverflowError for rate=800 (math.expm1(800))
    t = np.array([0.0, 0.25, 0.5, 0.99, 0.999, 1.0])
    expected = [_exponential_reference(rate, v) for v in t]
    np.testing.assert_allclose(fn(t), expected, rtol=1e-5, atol=1e-30)


def test_exponential_rejects_vanishing_rate():
    with pytest.raises(
        InvalidParameterError,
        match=r"exponential.rate must be non-zero \(\|rate\| >= 1e-9; use .linear.\), got 1e-12",
    ):
        Exponential(0, 1, rate=1e-12)


@pytest.mark.parametrize("code", [1.5, "x", True, float("nan"), None])
def test_categorical_refuses_non_integer_codes(code):
    with pytest.raises(InvalidParameterError,
                       match=rf"categorical.table: class codes must be integers, got {re.escape(repr(code))}",
                       ):
        Categorical({code: 0.3})


def test_categorical_accepts_integral_codes():
    assert Categorical({"30": 0.5, 60.0: 1.0, np.int64(80): 0.0}).table == ((30, 0.5), (60, 1.0), (80, 0.0))


def test_float_layer_with_numeric_nodata_is_nan(small_grid):
    vals = np.full(small_grid.shape, 5.0, dtype=np.float32)
    vals[0, 0] = -9999.0
    da = small_grid.to_dataarray(vals, name="wind", nodata=-9999.0)
    out = Linear(0, 10)(da)
    assert np.isnan(out.values[0, 0]) and out.values[1, 1] == pytest.approx(0.5)


# ---------------------------------------------------------------- random valid parameters
lim = st.floats(-1e4, 1e4, allow_nan=False)
pos = st.floats(1e-3, 1e3, allow_nan=False)


@st.composite
def distinct_pair(draw):
    a = draw(lim)
    b = draw(lim.filter(lambda v: abs(v - a) > 1e-6 * max(1.0, abs(a))))
    return a, b


@st.composite
def control_points(draw):
    pts = sorted(draw(st.lists(lim, min_size=4, max_size=4)))
    gap = 1e-6 * max(1.0, abs(pts[0]), abs(pts[2]))
    if not (pts[1] - pts[0] > gap and pts[3] - pts[2] > gap):
        pts = [pts[0], pts[0] + 1.0, pts[0] + 2.0, pts[0] + 3.0]
    return pts


@st.composite
def random_functions(draw):
    """(value function with random valid parameters, +1 / −1 if monotone else 0)."""
    kind = draw(st.sampled_from(["linear", "symlin", "small", "large", "gauss", "near", "mssmall", "mslarge",
                                 "lgrowth", "ldecay", "exp", "log", "power", "sig", "j", "flin", "pwl"]))
    if kind in ("linear", "exp", "log", "power"):
        lo, hi = draw(distinct_pair())
        sign = 1 if hi > lo else -1
        if kind == "linear":
            return Linear(lo, hi), sign
        if kind == "exp":
            rate = draw(st.floats(-700, 700).filter(lambda r: abs(r) >= 1e-9))
            return Exponential(lo, hi, rate=rate), sign
        if kind == "log":
            return Logarithm(lo, hi, scale=draw(pos)), sign
        return Power(lo, hi, exponent=draw(st.floats(0.01, 50))), sign
    if kind == "symlin":
        lo, hi = sorted(draw(distinct_pair()))
        return SymmetricLinear(lo, hi), 0
    if kind in ("small", "large"):
        cls = Small if kind == "small" else Large
        return cls(midpoint=draw(pos), spread=draw(st.floats(0.01, 50))), -1 if kind == "small" else 1
    if kind in ("gauss", "near"):
        cls = Gaussian if kind == "gauss" else Near
        return cls(midpoint=draw(lim), spread=draw(pos)), 0
    if kind in ("mssmall", "mslarge"):
        cls = MSSmall if kind == "mssmall" else MSLarge
        f = cls(mean=draw(lim), std=draw(pos), mean_multiplier=draw(st.floats(-5, 5)),
                std_multiplier=draw(st.floats(0.01, 5)))
        return f, -1 if kind == "mssmall" else 1
    if kind in ("lgrowth", "ldecay"):
        cls = LogisticGrowth if kind == "lgrowth" else LogisticDecay
        return cls(midpoint=draw(lim), steepness=draw(pos)), 1 if kind == "lgrowth" else -1
    if kind in ("sig", "j", "flin"):
        cls = {"sig": FuzzySigmoidal, "j": FuzzyJShaped, "flin": FuzzyLinear}[kind]
        a, b, c, d = draw(control_points())
        shape = draw(st.sampled_from(["increasing", "decreasing", "symmetric"]))
        mono = {"increasing": 1, "decreasing": -1, "symmetric": 0}[shape]
        return cls(a=a, b=b, c=c, d=d, shape=shape), mono
    xs = sorted(set(draw(st.lists(lim, min_size=2, max_size=6, unique=True))))
    if len(xs) < 2:
        xs = [xs[0], xs[0] + 1.0]
    ys = draw(st.lists(st.floats(0, 1), min_size=len(xs), max_size=len(xs)))
    mono = 1 if all(b >= a for a, b in itertools.pairwise(ys)) else 0
    return PiecewiseLinear(xs=tuple(xs), ys=tuple(ys)), mono


@settings(max_examples=300, deadline=None)
@given(case=random_functions(), xs=st.lists(st.floats(-2e4, 2e4, allow_nan=False), min_size=1, max_size=20))
def test_random_parameters_stay_in_unit_interval_monotone_and_round_trip(case, xs):
    fn, monotone = case
    x = np.sort(np.array([*xs, np.nan]))
    for arr in (x, x.astype(np.float32)):
        y = fn(arr)
        assert y.dtype == np.float32 and np.isnan(y[-1])
        assert np.all((y[:-1] >= 0) & (y[:-1] <= 1))
        if monotone:
            assert np.all(np.diff(y[:-1].astype(float)) * monotone >= -1e-6)
    assert value_function_from_dict(fn.to_dict()) == fn


@pytest.mark.parametrize(("cls", "positive_midpoint"),
                         [(Small, True), (Large, True), (Gaussian, False), (Near, False)])
def test_midpoint_spread_curves_share_one_check_with_their_own_names(cls, positive_midpoint):
    # one check (mcda.value_curves._MidpointSpread) for the four ArcGIS curves of f2 (midpoint) and f1
    # (spread); each message names the function's own parameter, as they did when each had its copy
    name = cls.name
    with pytest.raises(InvalidParameterError, match=rf"^{name}\.spread must be > 0, got -1\.0$"):
        cls(midpoint=1.0, spread=-1)
    with pytest.raises(InvalidParameterError, match=rf"^{name}\.spread must be > 0, got 0\.0$"):
        cls(midpoint=1.0, spread=0)
    with pytest.raises(InvalidParameterError, match=rf"^{name}\.midpoint must be a number, got 'x'$"):
        cls(midpoint="x", spread=1.0)
    with pytest.raises(InvalidParameterError, match=rf"^{name}\.spread must be a finite number, got nan$"):
        cls(midpoint=1.0, spread=float("nan"))
    if positive_midpoint:  # x / midpoint: only a positive midpoint
        with pytest.raises(InvalidParameterError, match=rf"^{name}\.midpoint must be > 0, got -2\.0$"):
            cls(midpoint=-2, spread=1.0)
    else:  # a peak at a negative value is fine
        assert cls(midpoint=-2, spread=1.0).midpoint == -2.0
    f = cls(midpoint=np.int64(3), spread=np.float32(0.5))  # numpy numbers become floats
    assert type(f.midpoint) is float and type(f.spread) is float and f.to_dict() == {
        "function": name, "midpoint": 3.0, "spread": 0.5}


@pytest.mark.parametrize("cls", [Linear, Exponential, Logarithm, Power])
def test_ranged_curves_share_one_low_high_check_with_their_own_names(cls):
    name = cls.name
    with pytest.raises(InvalidParameterError, match=rf"^{name}: low and high must differ, got both 2\.0$"):
        cls(low=2, high=2)
    with pytest.raises(InvalidParameterError, match=rf"^{name}\.high must be a number, got None$"):
        cls(low=0, high=None)
    assert cls(low=np.int64(10), high=0).low == 10.0 and type(cls(low=np.int64(10), high=0).low) is float
