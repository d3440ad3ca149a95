"""Categorical(unknown="error") names unknown codes as they are (issue 14, a peer-suite finding)."""

import numpy as np
import pytest

from steppe_geo.errors import InvalidParameterError
from steppe_geo.mcda import Categorical


def test_non_integer_codes_are_named_untruncated():
    f = Categorical({1: 1.0, 2: 0.5})
    # 1.5 was reported as "1" (int() truncation), a code that *is* in the table
    match = r"class codes \[1\.5, 7\] are not in the table \(known: \[1, 2\]\); 1\.5 is not an integer class"
    with pytest.raises(InvalidParameterError, match=match):
        f(np.array([1.0, 1.5, 7.0, np.nan]))


def test_infinite_code_is_named():
    with pytest.raises(InvalidParameterError, match=r"class codes \[inf\] are not in the table"):
        Categorical({1: 1.0})(np.array([1.0, np.inf]))


def test_integer_codes_keep_the_plain_message():
    match = r"class codes \[3, 40\] are not in the table \(known: \[1, 2\]\); add them or pass unknown='nan'"
    with pytest.raises(InvalidParameterError, match=match):
        Categorical({1: 1.0, 2: 0.5})(np.array([1, 3, 40, 3]))
