"""Reliability catalogue: weights, AHP judgements and value-function parameters.

Through the configuration (the message names the key path) and through the API (the message
names the parameter); every case asserts the error class and the key words of its message, or the
result against a hand calculation written out in the test.
"""

from __future__ import annotations

import numpy as np
import pytest

from steppe_geo import mcda
from steppe_geo.config import load_config
from steppe_geo.errors import ConfigError, InvalidParameterError
from steppe_geo.pipeline import check_config

clear_error = pytest.mark.case("clear_error")
correct_result = pytest.mark.case("correct_result")

_AHP_MATRIX = '\n[models.solar.ahp]\ncriteria = ["irradiation", "elevation"]\nmatrix = {matrix}\n'


def _without_weights(text: str) -> str:
    return text.replace("weight = 3\n", "").replace("weight = 1\n", "")


def _config_error(write_config, text: str, *words: str) -> str:
    """``load_config`` + ``check_config`` raise ConfigError whose message holds each of ``words``."""
    path = write_config(text)
    with pytest.raises(ConfigError) as info:
        check_config(load_config(path))
    msg = str(info.value)
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"
    return msg


# ----------------------------------------------------------------------------- weights (config)
@clear_error
def test_negative_weight(write_config, tiny_config_text):
    _config_error(write_config, tiny_config_text.replace("weight = 3", "weight = -3"),
                  "models.solar.criteria[0].weight", "expected a number >= 0", "-3 (int)")


@clear_error
def test_nan_weight(write_config, tiny_config_text):
    _config_error(write_config, tiny_config_text.replace("weight = 3", "weight = nan"),
                  "models.solar.criteria[0].weight", "expected a number >= 0", "nan (float)")


@clear_error
def test_weight_given_as_text(write_config, tiny_config_text):
    _config_error(write_config, tiny_config_text.replace("weight = 3", 'weight = "high"'),
                  "models.solar.criteria[0].weight", "'high' (str)")


@clear_error
def test_all_weights_zero(write_config, tiny_config_text):
    text = tiny_config_text.replace("weight = 3", "weight = 0").replace("weight = 1", "weight = 0")
    _config_error(write_config, text, "models.solar", "weights must sum to a positive number", "[0.0, 0.0]",
                  "['irradiation', 'elevation']")


@clear_error
def test_weight_for_an_unknown_criterion(write_config, tiny_config_text):
    _config_error(write_config, tiny_config_text + "\n[models.solar.weights]\nirradiaton = 2\n",
                  "models.solar.weights.irradiaton", "did you mean 'irradiation'?",
                  "Criteria are: irradiation, elevation")


@clear_error
def test_weights_and_ahp_together(write_config, tiny_config_text):
    text = (_without_weights(tiny_config_text) + "\n[models.solar.weights]\nirradiation = 2\n"
            + '\n[models.solar.ahp]\n"irradiation/elevation" = 3\n')
    _config_error(write_config, text, "models.solar.weights", "not both")


# ----------------------------------------------------------------------------- weights (API)
@clear_error
@pytest.mark.parametrize(("weights", "words"), [
    pytest.param([1.0, -1.0], ["finite and >= 0", "[1.0, -1.0]", "['wind', 'slope']"], id="negative"),
    pytest.param([0.0, 0.0], ["sum to a positive number", "[0.0, 0.0]", "['wind', 'slope']"], id="all-zero"),
    pytest.param([np.nan, 1.0], ["finite and >= 0", "[nan, 1.0]"], id="nan"),
])
def test_api_direct_weights(weights, words):
    with pytest.raises(InvalidParameterError) as info:
        mcda.normalize_weights(weights, criteria=["wind", "slope"])
    for w in words:
        assert w in str(info.value)


@clear_error
def test_api_weights_mapping_missing_a_criterion():
    with pytest.raises(InvalidParameterError, match=r"weights: no weight for criteria \['slope'\]"):
        mcda.normalize_weights({"wind": 1.0}, criteria=["wind", "slope"])


# ----------------------------------------------------------------------------- AHP (config)
@clear_error
def test_ahp_diagonal_not_one_in_the_config(write_config, tiny_config_text):
    text = _without_weights(tiny_config_text) + _AHP_MATRIX.format(matrix='[[2, 3], ["1/3", 1]]')
    _config_error(write_config, text, "models.solar.ahp.matrix[0][0]", "the diagonal must be 1", "got 2")


@clear_error
def test_ahp_pair_not_reciprocal_in_the_config(write_config, tiny_config_text):
    text = _without_weights(tiny_config_text) + _AHP_MATRIX.format(matrix="[[1, 3], [3, 1]]")
    _config_error(write_config, text, "models.solar.ahp.matrix[1][0]", "not the reciprocal of",
                  "matrix[0][1] = 3", "expected about 0.3333", "got 3")


@clear_error
def test_ahp_matrix_not_square_in_the_config(write_config, tiny_config_text):
    text = _without_weights(tiny_config_text) + _AHP_MATRIX.format(matrix="[[1, 3, 5], [0.33, 1, 2]]")
    _config_error(write_config, text, "models.solar.ahp.matrix", "expected 2 rows of 2 judgements")


@clear_error
def test_ahp_judgement_above_saaty_scale_in_the_config(write_config, tiny_config_text):
    text = _without_weights(tiny_config_text) + '\n[models.solar.ahp]\n"irradiation/elevation" = 12\n'
    _config_error(write_config, text, 'models.solar.ahp."irradiation/elevation"', "Saaty's scale 1/9 … 9",
                  "got 12")


@clear_error
def test_ahp_judgement_below_saaty_scale_in_the_config(write_config, tiny_config_text):
    text = _without_weights(tiny_config_text) + '\n[models.solar.ahp]\n"irradiation/elevation" = "1/10"\n'
    _config_error(write_config, text, 'models.solar.ahp."irradiation/elevation"', "Saaty's scale 1/9 … 9",
                  "'1/10'")


@clear_error
def test_ahp_judgement_of_zero_in_the_config(write_config, tiny_config_text):
    text = _without_weights(tiny_config_text) + '\n[models.solar.ahp]\n"irradiation/elevation" = 0\n'
    _config_error(write_config, text, 'models.solar.ahp."irradiation/elevation"', "expected a judgement > 0",
                  "0 (int)")


@clear_error
def test_ahp_criterion_compared_with_itself_in_the_config(write_config, tiny_config_text):
    text = _without_weights(tiny_config_text) + '\n[models.solar.ahp]\n"irradiation/irradiation" = 1\n'
    _config_error(write_config, text, 'models.solar.ahp."irradiation/irradiation"', "with itself")


@clear_error
def test_ahp_judgement_of_an_unknown_criterion(write_config, tiny_config_text):
    text = _without_weights(tiny_config_text) + '\n[models.solar.ahp]\n"irradiation/elevaton" = 3\n'
    _config_error(write_config, text, "models.solar.ahp", "elevaton", "did you mean 'elevation'?")


# ----------------------------------------------------------------------------- AHP (API)
@clear_error
def test_api_ahp_diagonal_not_one_says_so():
    # was "not reciprocal: a[0, 0] = 2.0 but a[0, 0] = 2.0"
    with pytest.raises(InvalidParameterError) as info:
        mcda.ahp([[2, 3], [1 / 3, 1]])
    msg = str(info.value)
    assert "the diagonal of the comparison matrix must be 1" in msg and "a[0, 0] = 2.0" in msg
    assert "reciprocal" not in msg


@clear_error
def test_api_ahp_pair_not_reciprocal():
    with pytest.raises(InvalidParameterError,
                       match=r"not reciprocal: a\[0, 1\] = 3.0 but a\[1, 0\] = 3.0 \(expected 0.333333\)"):
        mcda.ahp([[1, 3], [3, 1]])


@clear_error
def test_api_ahp_not_square():
    with pytest.raises(InvalidParameterError, match=r"must be square \(n x n\), got shape \(2, 3\)"):
        mcda.ahp([[1, 3, 5], [1 / 3, 1, 2]])


@clear_error
def test_api_ahp_nan_judgement():
    with pytest.raises(InvalidParameterError, match=r"must be positive, got nan at \[0, 1\]"):
        mcda.ahp([[1, np.nan], [np.nan, 1]])


@clear_error
def test_api_ahp_self_judgement_other_than_one():
    with pytest.raises(InvalidParameterError, match=r"compared with itself must be 1.*\('wind', 'wind'\): 5"):
        mcda.ahp({("wind", "slope"): 3, ("wind", "wind"): 5})


@correct_result
def test_api_ahp_accepts_ratios_beyond_the_saaty_scale():
    # Decision: the API takes any positive reciprocal matrix (a matrix of weight ratios w_i / w_j is
    # one, whatever the ratios); only the configuration holds judgements to Saaty's 1/9 … 9.
    # By hand: for n = 2 the principal eigenvector of [[1, a], [1/a, 1]] is (a, 1) / (a + 1), λ = 2.
    r = mcda.ahp([[1, 20], [1 / 20, 1]], criteria=["wind", "slope"])
    np.testing.assert_allclose(r.weights, [20 / 21, 1 / 21], rtol=1e-12)
    assert r.lambda_max == pytest.approx(2.0) and r.cr == 0.0


# ----------------------------------------------------------------------------- value functions
@clear_error
def test_breakpoints_not_increasing():
    with pytest.raises(InvalidParameterError, match=r"piecewise_linear.xs must be strictly increasing, got "
                                                    r"\[0.0, 2.0, 1.0\]"):
        mcda.PiecewiseLinear(xs=(0, 2, 1), ys=(0, 0.5, 1))


@clear_error
def test_breakpoint_nan():
    with pytest.raises(InvalidParameterError, match=r"piecewise_linear.xs must be a finite number, got nan"):
        mcda.PiecewiseLinear(xs=(0, np.nan, 2), ys=(0, 0.5, 1))


@clear_error
def test_breakpoint_value_out_of_range():
    with pytest.raises(InvalidParameterError, match=r"piecewise_linear.ys must lie within \[0, 1\], got "
                                                    r"\[0.0, 1.5, 1.0\]"):
        mcda.PiecewiseLinear(xs=(0, 1, 2), ys=(0, 1.5, 1))


@clear_error
def test_breakpoints_in_the_config_name_the_criterion(write_config, tiny_config_text):
    text = tiny_config_text.replace('function = "linear"\nlow = 2000.0\nhigh = 1000.0',
                                    'function = "piecewise_linear"\nxs = [1000.0, 1500.0, 1200.0]\n'
                                    'ys = [1.0, 0.5, 0.0]')
    _config_error(write_config, text, "models.solar.criteria[1]", "xs must be strictly increasing",
                  "[1000.0, 1500.0, 1200.0]")


@clear_error
def test_linear_low_equals_high(write_config, tiny_config_text):
    _config_error(write_config, tiny_config_text.replace("low = 1450.0", "low = 1650.0"),
                  "models.solar.criteria[0]", "linear: low and high must differ", "1650.0")


@clear_error
def test_linear_nan_bound(write_config, tiny_config_text):
    _config_error(write_config, tiny_config_text.replace("low = 1450.0", "low = nan"),
                  "models.solar.criteria[0]", "linear.low must be a finite number", "nan")


@clear_error
def test_unknown_value_function_suggests_the_closest(write_config, tiny_config_text):
    _config_error(write_config, tiny_config_text.replace('function = "linear"', 'function = "linaer"', 1),
                  "models.solar.criteria[0].function: unknown 'linaer'", "did you mean 'linear'?",
                  "Valid names are")


@clear_error
def test_unknown_value_function_parameter_suggests_the_closest():
    with pytest.raises(InvalidParameterError, match=r"linear: unknown parameter\(s\) \['hihg'\]; did you "
                                                    r"mean 'high'\? Valid parameters are: low, high"):
        mcda.value_function("linear", low=1, hihg=2)


@clear_error
@pytest.mark.parametrize(("name", "params", "words"), [
    pytest.param("gaussian", {"midpoint": 1.0, "spread": -1.0}, "gaussian.spread must be > 0, got -1.0",
                 id="gaussian-spread"),
    pytest.param("power", {"low": 0.0, "high": 1.0, "exponent": 0.0}, "power.exponent must be > 0, got 0.0",
                 id="power-exponent"),
    pytest.param("logistic_growth", {"midpoint": 5.0, "steepness": -2.0},
                 "logistic_growth.steepness must be > 0, got -2.0", id="logistic-steepness"),
])
def test_value_function_parameter_out_of_range(name, params, words):
    with pytest.raises(InvalidParameterError) as info:
        mcda.value_function(name, **params)
    assert words in str(info.value)


@clear_error
def test_categorical_table_value_out_of_range():
    with pytest.raises(InvalidParameterError, match=r"categorical.table\[30\] must lie within \[0, 1\], "
                                                    r"got 2"):
        mcda.Categorical(table={10: 1.0, 30: 2.0})


@clear_error
def test_value_function_on_text_values():
    # was numpy's "could not convert string to float: np.str_('abc')"
    with pytest.raises(InvalidParameterError, match=r"linear: values must be real numbers .*got dtype <U3"):
        mcda.Linear(0, 2)(np.array(["abc", "def"]))


@clear_error
def test_value_function_on_complex_values():
    # a complex raster must not be scored by its real part
    with pytest.raises(InvalidParameterError, match=r"linear: values must be real numbers .*complex128"):
        mcda.Linear(0, 2)(np.array([1 + 1j, 2 + 0j]))
