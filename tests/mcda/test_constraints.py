"""Constraints: availability, exclusion bitmask with provenance, minimum contiguous area."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from steppe_geo.errors import InvalidParameterError, MissingLayerError, SteppeGeoError
from steppe_geo.mcda import (
    Categories,
    FractionAvailable,
    MinimumArea,
    Setback,
    ValueRange,
    constraint_from_dict,
    evaluate_constraints,
    explain_exclusion,
)
from steppe_geo.mcda.constraints import (
    bitmask_dtype,
    layer_availability,
    merge_window_regions,
    window_regions,
)


def test_bitmask_and_explanations():
    slope = np.array([[2.0, 30.0, np.nan, 5.0]])
    lc = np.array([[1, 1, 1, 80]])
    dist = np.array([[900.0, 100.0, 700.0, 499.9]])
    frac = np.array([[1.0, 1.0, 0.25, 0.6]])
    cons = [
        ValueRange("steep slope", "slope", max=15),
        Categories("water", "lc", exclude=[80]),
        Setback("settlement setback", "dist", distance_m=500),
        FractionAvailable("reserve share", "frac"),
    ]
    bits, avail, eligible = evaluate_constraints(
        cons, {"slope": slope, "lc": lc, "dist": dist, "frac": frac}, shape=(1, 4)
    )
    assert bits.dtype == np.uint32
    # bits 0 (outside_aoi) and 1 (no_data) are reserved; constraint i has bit i + 2.
    # pixel 0 passes all; pixel 1: slope (bit 2) + setback (bit 4); pixel 2: slope has no data, so
    # no_data (bit 1), not "steep slope", + fraction 0.25 (bit 5); pixel 3: water (bit 3) + setback
    # 499.9 < 500 (bit 4) + fraction (bit 5)
    np.testing.assert_array_equal(bits, [[0, 0b010100, 0b100010, 0b111000]])
    np.testing.assert_allclose(avail, [[1, 0, 0, 0]])
    np.testing.assert_array_equal(eligible, [[True, False, False, False]])
    assert explain_exclusion(bits[0, 3], cons) == ["water", "settlement setback", "reserve share"]
    assert explain_exclusion(bits[0, 2], cons) == ["no_data", "reserve share"]
    assert explain_exclusion(0, cons) == []
    legend = explain_exclusion(bits, cons)
    assert legend == {0: [], 0b010100: ["steep slope", "settlement setback"],
                      0b100010: ["no_data", "reserve share"],
                      0b111000: ["water", "settlement setback", "reserve share"]}


def test_partial_exclusion_keeps_fraction():
    bits, avail, eligible = evaluate_constraints(
        [FractionAvailable("outside reserve", "f", min_fraction=0.2)],
        {"f": np.array([[0.6, 0.1, 1.0]])},
        shape=(1, 3),
    )
    np.testing.assert_allclose(avail, [[0.6, 0.0, 1.0]])
    np.testing.assert_array_equal(bits, [[1 << 2, 1 << 2, 0]])  # the first constraint has bit 2
    np.testing.assert_array_equal(eligible, [[True, False, True]])


def test_categories_allow():
    _, avail, _ = evaluate_constraints(
        [Categories("bare or grass", "lc", allow=(30, 60))], {"lc": np.array([[30, 40, 60]])}, shape=(1, 3)
    )
    np.testing.assert_array_equal(avail, [[1, 0, 1]])


def test_minimum_area_against_scipy_label(rng):
    ok = rng.random((60, 70)) > 0.45
    rule = MinimumArea("too small", min_area_m2=5 * 900, connectivity=8)
    bits, _, eligible = evaluate_constraints(
        [ValueRange("v", "v", min=0.5), rule], {"v": ok.astype(float)}, shape=ok.shape, pixel_area_m2=900
    )
    labels, _ = ndimage.label(ok, structure=np.ones((3, 3)))
    sizes = np.bincount(labels.ravel())
    expected = ok & (sizes[labels] >= 5)
    np.testing.assert_array_equal(eligible, expected)
    np.testing.assert_array_equal((bits & (1 << 3)) > 0, ok & ~expected)  # 2nd constraint: bit 3
    np.testing.assert_array_equal((bits & (1 << 2)) > 0, ~ok)


def test_minimum_area_by_hand_4_vs_8_connectivity():
    # two diagonal pixels: one region with 8-connectivity, two with 4
    m = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float)
    for conn, kept in ((8, 2), (4, 0)):
        _, _, e = evaluate_constraints(
            [ValueRange("v", "v", min=1), MinimumArea("a", min_area_m2=2, connectivity=conn)],
            {"v": m},
            shape=m.shape,
            pixel_area_m2=1.0,
        )
        assert e.sum() == kept


def test_bitmask_dtype_limits():
    # two bits are reserved (outside_aoi, no_data): 30 constraints fill 32 bits, 62 fill 64
    assert bitmask_dtype(30) == np.uint32
    assert bitmask_dtype(31) == np.uint64
    assert bitmask_dtype(62) == np.uint64
    with pytest.raises(InvalidParameterError,
                       match=r"at most 62 constraints .*outside_aoi, no_data\), got 63"):
        bitmask_dtype(63)


def test_round_trip_dicts():
    for c in (
        ValueRange("s", "slope", max=15),
        Categories("w", "lc", exclude=[80, 90]),
        Setback("r", "d_roads", distance_m=150),
        FractionAvailable("f", "frac", min_fraction=0.1),
        MinimumArea("m", min_area_m2=1e4),
    ):
        assert constraint_from_dict(c.to_dict()) == c


@pytest.mark.parametrize(
    ("make", "msg"),
    [
        (lambda: ValueRange("s", "slope"), "give min and/or max"),
        (lambda: ValueRange("s", "slope", min=5, max=1), "min must be <= max"),
        (lambda: Categories("c", "lc"), "exactly one of exclude= or allow="),
        (lambda: Setback("r", "d", distance_m=-5), "distance_m must be >= 0, got -5"),
        (lambda: MinimumArea("m", min_area_m2=0), "min_area_m2 must be > 0"),
        (lambda: MinimumArea("m", min_area_m2=10, connectivity=6), "connectivity must be 4 or 8"),
        (lambda: constraint_from_dict({"type": "setbak"}), "did you mean 'setback'"),
    ],
)
def test_constraint_errors(make, msg):
    with pytest.raises(InvalidParameterError, match=msg):
        make()


def test_missing_layer():
    with pytest.raises(
        MissingLayerError, match=r"constraint 'steep' needs layer 'slope'.*did you mean 'slope_deg'"
    ):
        evaluate_constraints(
            [ValueRange("steep", "slope", max=1)], {"slope_deg": np.zeros((1, 1))}, shape=(1, 1)
        )


@pytest.mark.parametrize(
    ("make", "msg"),
    [
        (lambda: ValueRange("v", "slope", max="15"), r"constraint 'v': max must be a number, got '15'"),
        (lambda: ValueRange("v", "slope", min=float("nan")),
         r"constraint 'v': min must be a finite number, got nan"),
        (lambda: Categories("c", "lc", exclude=["x"]),
         r"constraint 'c': exclude: class codes must be integers, got 'x' in exclude=\['x'\]"),
        (lambda: Categories("c", "lc", allow=[1.5]),
         r"class codes must be integers, got 1.5 in allow=\[1.5\]"),
        (lambda: Categories("c", "lc", exclude=80), r"exclude must be a list of integer class codes, got 80"),
        (lambda: Categories("c", "lc", exclude=[]), r"exclude must list at least one class code, got \[\]"),
        (lambda: FractionAvailable("f", "frac", min_fraction="x"),
         r"constraint 'f': min_fraction must be a number, got 'x'"),
        (lambda: Setback("s", "d", distance_m="far"),
         r"constraint 's': distance_m must be a number, got 'far'"),
        (lambda: MinimumArea("m", min_area_m2="big"),
         r"constraint 'm': min_area_m2 must be a number, got 'big'"),
        (lambda: MinimumArea("m", min_area_m2=10, connectivity=True),
         r"connectivity must be 4 or 8, got True"),
    ],
)
def test_constraint_parameter_errors_name_parameter_and_value(make, msg):
    with pytest.raises(InvalidParameterError, match=msg) as exc:
        make()
    assert isinstance(exc.value, SteppeGeoError) and isinstance(exc.value, ValueError)


def test_value_range_bounds_are_numbers_and_infinite_bounds_allowed():
    assert ValueRange("v", "slope", max=np.int64(15)).max == 15.0
    _, avail, _ = evaluate_constraints([ValueRange("v", "x", min=-np.inf, max=2)],
                                       {"x": np.array([[1.0, 3.0]])}, shape=(1, 2))
    np.testing.assert_array_equal(avail, [[1, 0]])


def test_two_minimum_area_rules_each_look_at_the_layer_constraints_only():
    # regions of 2 (top left) and 4 (right) pixels; rule 1 needs 3 px, rule 2 needs 5 px (4-conn)
    v = np.array([[1, 1, 0, 1, 1],
                  [0, 0, 0, 1, 1]], dtype=float)
    cons = [ValueRange("v", "v", min=1), MinimumArea("three", min_area_m2=3),
            MinimumArea("five", min_area_m2=5, connectivity=4)]
    bits, avail, eligible = evaluate_constraints(cons, {"v": v}, shape=v.shape, pixel_area_m2=1.0)
    # constraint i has bit i + 2 (bits 0 and 1 are outside_aoi and no_data)
    np.testing.assert_array_equal(bits, np.array([[0b110, 0b110, 0b001, 0b100, 0b100],
                                                  [0b001, 0b001, 0b001, 0b100, 0b100]]) << 2)
    assert not eligible.any() and not avail.any()


def _windowed(cons, v, win, pixel_area_m2):
    """Evaluate window by window with region sizes merged across edges (as the streamed run does)."""
    rows, cols = v.shape
    offs = [(r, c) for r in range(0, rows, win[0]) for c in range(0, cols, win[1])]
    layers = {"v": v}
    conns = sorted({c.connectivity for c in cons if isinstance(c, MinimumArea)})
    _, avail = layer_availability(cons, layers, shape=v.shape)
    merged = {}
    for conn in conns:
        regs = [window_regions(avail[r:r + win[0], c:c + win[1]] > 0, connectivity=conn) for r, c in offs]
        merged[conn] = merge_window_regions(regs, offs, v.shape, connectivity=conn)
    bits = np.zeros(v.shape, np.uint32)
    for k, (r, c) in enumerate(offs):
        sl = (slice(r, r + win[0]), slice(c, c + win[1]))
        b, _, _ = evaluate_constraints(cons, {"v": v[sl]}, shape=v[sl].shape, pixel_area_m2=pixel_area_m2,
                                       region_sizes={conn: merged[conn][k] for conn in conns})
        bits[sl] = b
    return bits


def test_regions_merge_across_window_corners_by_hand():
    # a diagonal chain of 5 pixels crossing window corners (windows 2 x 2): one region with
    # 8-connectivity (kept with min 5 px), five 1-pixel regions with 4-connectivity (all removed)
    v = np.eye(5)
    for conn, removed in ((8, 0), (4, 5)):
        cons = [ValueRange("v", "v", min=1), MinimumArea("a", min_area_m2=5, connectivity=conn)]
        bits = _windowed(cons, v, (2, 2), 1.0)
        whole, _, _ = evaluate_constraints(cons, {"v": v}, shape=v.shape, pixel_area_m2=1.0)
        np.testing.assert_array_equal(bits, whole)
        assert int(((bits & (1 << 3)) > 0).sum()) == removed  # the minimum-area rule is constraint 1: bit 3


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(1, 24), st.integers(1, 24)),
    win=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    density=st.floats(0.3, 0.8),
    min_px=st.integers(1, 40),
)
def test_windowed_minimum_area_equals_whole_grid(seed, shape, win, density, min_px):
    # region sizes from per-window labels merged across edges == scipy.ndimage.label on the whole grid
    v = (np.random.default_rng(seed).random(shape) < density).astype(float)
    cons = [ValueRange("v", "v", min=1), MinimumArea("a8", min_area_m2=min_px),
            MinimumArea("a4", min_area_m2=min_px, connectivity=4)]
    whole, _, _ = evaluate_constraints(cons, {"v": v}, shape=v.shape, pixel_area_m2=1.0)
    np.testing.assert_array_equal(_windowed(cons, v, win, 1.0), whole)


def test_constraint_from_dict_unknown_or_missing_parameters():
    with pytest.raises(InvalidParameterError, match=r"constraint type 'setback': unknown parameter\(s\) "
                                                     r"\['distance'\]; did you mean 'distance_m'\?"):
        constraint_from_dict({"type": "setback", "name": "r", "layer": "d", "distance": 5})
    with pytest.raises(InvalidParameterError, match=r"constraint type 'value_range': .*missing.*'layer'"):
        constraint_from_dict({"type": "value_range", "name": "s", "max": 15})
