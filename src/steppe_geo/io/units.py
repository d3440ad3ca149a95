"""Units of input layers: one table of symbols, quantities and conversion factors.

Every unit belongs to a *quantity* (``length``, ``speed``, ...) with a base unit; a value in unit
``u`` is ``value * u.factor + u.offset`` in the base unit. :func:`convert` goes through the base
unit, so any two units of one quantity convert, and units of different quantities refuse to.

Sources of the factors (all exact unless noted):

- international foot 0.3048 m, inch 0.0254 m, statute mile 1609.344 m: International Yard and
  Pound Agreement (1959); NIST SP 811 (2008), appendix B.
- US survey foot 1200/3937 m: US Metric Law of 1866 / Mendenhall Order (1893); NIST SP 811 B.9.
- knot 1852 m h⁻¹: NIST SP 811 B.9; km h⁻¹ 1000/3600 m s⁻¹; mile per hour 0.44704 m s⁻¹.
- irradiation: 1 W m⁻² held for a Julian year of 365.25 d (8766 h) is 8.766 kWh m⁻² yr⁻¹;
  1 MJ = 1/3.6 kWh; per day × 365.25 d yr⁻¹.
- temperature: K = °C + 273.15; °F = °C × 9/5 + 32 (NIST SP 811 B.9).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from steppe_geo._validation import did_you_mean
from steppe_geo.errors import InvalidParameterError

__all__ = ["UNITS", "Unit", "base_unit", "convert", "parse_unit"]

_DAYS_PER_YEAR = 365.25
"""Julian year (days); the year of climate normals and solar atlases."""


@dataclass(frozen=True)
class Unit:
    """A unit of an input layer.

    Attributes
    ----------
    symbol : str
        Canonical symbol (``"ft"``, ``"m s-1"``, ``"kWh m-2 yr-1"``).
    quantity : str
        What it measures (``"length"``, ``"speed"``, ``"irradiation"``, ...).
    factor, offset : float
        ``value_in_base = value * factor + offset``.
    aliases : tuple of str
        Other spellings accepted (``"m/s"``, ``"km/h"``, ...).
    """

    symbol: str
    quantity: str
    factor: float
    offset: float = 0.0
    aliases: tuple[str, ...] = ()


_TABLE: tuple[Unit, ...] = (
    # length (base m): elevation, soil depth, distances
    Unit("m", "length", 1.0, aliases=("metre", "meter", "metres", "meters")),
    Unit("km", "length", 1000.0),
    Unit("cm", "length", 0.01),
    Unit("mm", "length", 0.001),
    Unit("ft", "length", 0.3048, aliases=("international foot",)),
    Unit("us_ft", "length", 1200.0 / 3937.0, aliases=("US survey foot", "ftUS", "us-ft")),
    Unit("in", "length", 0.0254, aliases=("inch",)),
    Unit("mi", "length", 1609.344, aliases=("mile",)),
    # speed (base m s-1)
    Unit("m s-1", "speed", 1.0, aliases=("m/s", "m s^-1", "m.s-1")),
    Unit("km h-1", "speed", 1000.0 / 3600.0, aliases=("km/h", "kmh", "kph")),
    Unit("kn", "speed", 1852.0 / 3600.0, aliases=("knot", "knots", "kt")),
    Unit("mph", "speed", 0.44704, aliases=("mi/h", "mi h-1")),
    # irradiation: energy per area and year (base kWh m-2 yr-1); W m-2 = mean irradiance
    Unit("kWh m-2 yr-1", "irradiation", 1.0, aliases=("kWh/m2/yr", "kWh/m2/year", "kWh m-2 a-1")),
    Unit("kWh m-2 d-1", "irradiation", _DAYS_PER_YEAR, aliases=("kWh/m2/day", "kWh/m2/d")),
    Unit("W m-2", "irradiation", _DAYS_PER_YEAR * 24.0 / 1000.0, aliases=("W/m2", "W m^-2")),
    Unit("MJ m-2 yr-1", "irradiation", 1.0 / 3.6, aliases=("MJ/m2/yr",)),
    Unit("MJ m-2 d-1", "irradiation", _DAYS_PER_YEAR / 3.6, aliases=("MJ/m2/day", "MJ/m2/d")),
    # water depth per year: precipitation, evapotranspiration (base mm yr-1)
    Unit("mm yr-1", "water depth rate", 1.0, aliases=("mm/yr", "mm/year", "mm a-1")),
    Unit("cm yr-1", "water depth rate", 10.0, aliases=("cm/yr",)),
    Unit("m yr-1", "water depth rate", 1000.0, aliases=("m/yr",)),
    Unit("in yr-1", "water depth rate", 25.4, aliases=("in/yr", "inch/yr")),
    Unit("mm d-1", "water depth rate", _DAYS_PER_YEAR, aliases=("mm/day", "mm/d")),
    # temperature (base degC)
    Unit("degC", "temperature", 1.0, aliases=("°C", "C", "celsius")),
    Unit("K", "temperature", 1.0, -273.15, aliases=("kelvin",)),
    Unit("degF", "temperature", 5.0 / 9.0, -32.0 * 5.0 / 9.0, aliases=("°F", "F", "fahrenheit")),
    # dimensionless (base 1)
    Unit("1", "fraction", 1.0, aliases=("fraction", "ratio", "unitless")),
    Unit("%", "fraction", 0.01, aliases=("percent",)),
    # angle (base degree)
    Unit("degree", "angle", 1.0, aliases=("deg", "degrees", "°")),
    Unit("rad", "angle", 180.0 / np.pi, aliases=("radian", "radians")),
)

UNITS: dict[str, Unit] = {u.symbol: u for u in _TABLE}
"""Known units by canonical symbol."""

_BY_SPELLING: dict[str, Unit] = {
    s.lower().replace(" ", ""): u for u in _TABLE for s in (u.symbol, *u.aliases)
}


def parse_unit(text: str, *, param: str = "units") -> Unit:
    """The :class:`Unit` written ``text`` (a symbol or alias; case and spaces do not matter).

    Parameters
    ----------
    text : str
        ``"ft"``, ``"m/s"``, ``"kWh m-2 yr-1"``, ...
    param : str, default "units"
        Name used in the error message (a parameter or a configuration key).

    Returns
    -------
    Unit

    Raises
    ------
    InvalidParameterError
        Not a known unit; the message lists the known symbols and the closest one.

    Examples
    --------
    >>> parse_unit("m/s").symbol, parse_unit("US survey foot").symbol
    ('m s-1', 'us_ft')
    >>> parse_unit("feet")
    Traceback (most recent call last):
    ...
    steppe_geo.errors.InvalidParameterError: units: 'feet' is not a known unit; did you mean 'ft'? ...
    """
    if isinstance(text, str):
        unit = _BY_SPELLING.get(text.strip().lower().replace(" ", ""))
        if unit is not None:
            return unit
    raise InvalidParameterError(
        f"{param}: {text!r} is not a known unit{did_you_mean(str(text), list(UNITS)) or '.'} "
        f"Known: {', '.join(repr(s) for s in UNITS)}."
    )


def convert(values: Any, from_units: str | Unit, to_units: str | Unit, *, param: str = "units") -> Any:
    """Convert ``values`` from one unit to another of the same quantity.

    Parameters
    ----------
    values : number or numpy.ndarray
        Values in ``from_units`` (NaN stays NaN). A float array keeps its dtype; an integer
        array becomes float64. The input is never modified.
    from_units, to_units : str or Unit
        Symbols or aliases of :data:`UNITS`.
    param : str, default "units"
        Name used in error messages.

    Returns
    -------
    number or numpy.ndarray

    Raises
    ------
    InvalidParameterError
        An unknown unit, or units of different quantities (``"mm"`` to ``"mm yr-1"``).

    Examples
    --------
    >>> convert(1000.0, "ft", "m")  # international foot: 0.3048 m exactly
    304.8
    >>> round(convert(100.0, "W m-2", "kWh m-2 yr-1"), 3)  # 100 W m-2 for 8766 h
    876.6
    >>> convert(0.0, "degF", "degC") == -160 / 9
    True
    """
    src = from_units if isinstance(from_units, Unit) else parse_unit(from_units, param=param)
    dst = to_units if isinstance(to_units, Unit) else parse_unit(to_units, param=param)
    if src.quantity != dst.quantity:
        raise InvalidParameterError(
            f"{param}: cannot convert {src.symbol!r} ({src.quantity}) to {dst.symbol!r} ({dst.quantity})"
        )
    if src == dst:
        return values
    if isinstance(values, np.ndarray):
        out = values.astype(np.float64) if not np.issubdtype(values.dtype, np.floating) else values.copy()
        base = out * src.factor + src.offset
        return ((base - dst.offset) / dst.factor).astype(out.dtype, copy=False)
    base = values * src.factor + src.offset
    return (base - dst.offset) / dst.factor


def base_unit(unit: str | Unit) -> Unit:
    """The base unit of ``unit``'s quantity (``ft`` → ``m``, ``km h-1`` → ``m s-1``).

    Parameters
    ----------
    unit : str or Unit
        A symbol or alias of :data:`UNITS`.

    Returns
    -------
    Unit

    Examples
    --------
    >>> base_unit("ft").symbol, base_unit("W m-2").symbol
    ('m', 'kWh m-2 yr-1')
    """
    u = unit if isinstance(unit, Unit) else parse_unit(unit)
    return next(b for b in _TABLE if b.quantity == u.quantity and b.factor == 1.0 and b.offset == 0.0)
