"""The units table against published conversion factors (NIST SP 811, 2008, appendix B)."""

from __future__ import annotations

import numpy as np
import pytest

from steppe_geo.errors import InvalidParameterError
from steppe_geo.io.units import UNITS, base_unit, convert, parse_unit


@pytest.mark.parametrize(("unit", "metres"), [
    ("ft", 0.3048),               # international foot, exact (1959 agreement; NIST SP 811 B.9)
    ("us_ft", 1200 / 3937),       # US survey foot, exact by definition (NIST SP 811 B.9 footnote)
    ("in", 0.0254),               # exact
    ("mi", 1609.344),             # statute mile, exact
    ("km", 1000.0),
    ("cm", 0.01),
])
def test_lengths_match_published_factors(unit, metres):
    assert convert(1.0, unit, "m") == pytest.approx(metres, rel=1e-15)


@pytest.mark.parametrize(("unit", "m_per_s"), [
    ("km h-1", 1 / 3.6),          # 1000 m / 3600 s
    ("kn", 0.514444444),          # 1852 m / 3600 s (NIST SP 811: 5.144444 E-01)
    ("mph", 0.44704),             # exact (NIST SP 811: 4.4704 E-01)
])
def test_speeds_match_published_factors(unit, m_per_s):
    assert convert(1.0, unit, "m s-1") == pytest.approx(m_per_s, rel=1e-9)


def test_irradiation_by_hand():
    # 200 W m-2 held for a Julian year: 200 W * 8766 h = 1,753,200 Wh = 1753.2 kWh m-2 yr-1
    assert convert(200.0, "W m-2", "kWh m-2 yr-1") == pytest.approx(1753.2)
    # 5 kWh m-2 d-1 * 365.25 d = 1826.25 kWh m-2 yr-1
    assert convert(5.0, "kWh m-2 d-1", "kWh m-2 yr-1") == pytest.approx(1826.25)
    # 18 MJ m-2 d-1 = 5 kWh m-2 d-1 (1 kWh = 3.6 MJ)
    assert convert(18.0, "MJ m-2 d-1", "kWh m-2 d-1") == pytest.approx(5.0)


def test_temperatures_with_offsets():
    assert convert(273.15, "K", "degC") == pytest.approx(0.0)
    assert convert(212.0, "degF", "degC") == pytest.approx(100.0)
    assert convert(-40.0, "degC", "degF") == pytest.approx(-40.0)


def test_arrays_keep_float_dtype_nan_and_are_not_modified():
    a = np.array([1000.0, np.nan], dtype=np.float32)
    out = convert(a, "ft", "m")
    assert out.dtype == np.float32 and np.isnan(out[1]) and out[0] == pytest.approx(304.8)
    assert a[0] == 1000.0
    ints = convert(np.array([10, 20], dtype=np.int16), "cm", "mm")
    assert ints.dtype == np.float64 and ints.tolist() == [100.0, 200.0]


def test_round_trip_every_unit_through_its_base():
    for u in UNITS.values():
        b = base_unit(u)
        assert convert(convert(12.5, u, b), b, u) == pytest.approx(12.5)


def test_aliases_and_spelling():
    assert parse_unit("m/s").symbol == "m s-1"
    assert parse_unit(" KM/H ").symbol == "km h-1"
    assert parse_unit("kWh/m2/day").symbol == "kWh m-2 d-1"


def test_unknown_unit_names_param_and_suggests():
    with pytest.raises(InvalidParameterError, match=r"sources\.dem\.units: 'feet' is not a known unit; "
                                                    r"did you mean 'ft'\? Known: 'm', 'km'"):
        parse_unit("feet", param="sources.dem.units")


def test_different_quantities_refuse_to_convert():
    with pytest.raises(InvalidParameterError, match=r"cannot convert 'mm' \(length\) to 'mm yr-1'"):
        convert(1.0, "mm", "mm yr-1")
