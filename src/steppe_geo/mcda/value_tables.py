"""Value functions given as tables: a piecewise-linear curve through points, and a lookup of class codes.

Each is a :class:`~steppe_geo.mcda.value_base.ValueFunction` subclass, registered by name on definition;
formulas and sources are in ``docs/mcda.md``.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from steppe_geo._validation import check_number, parse_choice
from steppe_geo.errors import InvalidParameterError
from steppe_geo.mcda.value_base import ValueFunction


# ---------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class PiecewiseLinear(ValueFunction):
    """Piecewise-linear table: ``xs`` strictly increasing, ``ys`` in [0, 1]; flat beyond the ends.

    Parameters
    ----------
    xs : sequence of float
        Breakpoints in layer units, strictly increasing, at least 2.
    ys : sequence of float
        Values in ``[0, 1]`` at the breakpoints (same length as ``xs``).

    Examples
    --------
    >>> import numpy as np
    >>> from steppe_geo.mcda import PiecewiseLinear
    >>> f = PiecewiseLinear(xs=(0, 5, 10), ys=(0.0, 0.8, 1.0))
    >>> print(f(np.array([-3.0, 2.5, 7.5, 20.0])))
    [0.  0.4 0.9 1. ]
    """

    name: ClassVar[str] = "piecewise_linear"
    _propagates_nan: ClassVar[bool] = True
    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def __post_init__(self) -> None:
        xs = tuple(check_number(v, param="piecewise_linear.xs") for v in self.xs)
        ys = tuple(check_number(v, param="piecewise_linear.ys") for v in self.ys)
        if len(xs) != len(ys) or len(xs) < 2:
            raise InvalidParameterError(
                f"piecewise_linear: xs and ys need the same length >= 2, got {len(xs)} and {len(ys)}"
            )
        if any(b <= a for a, b in itertools.pairwise(xs)):
            raise InvalidParameterError(f"piecewise_linear.xs must be strictly increasing, got {list(xs)}")
        if any(not 0 <= y <= 1 for y in ys):
            raise InvalidParameterError(f"piecewise_linear.ys must lie within [0, 1], got {list(ys)}")
        object.__setattr__(self, "xs", xs)
        object.__setattr__(self, "ys", ys)

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.interp(x, self.xs, self.ys)
        return out


class UnknownCategory(enum.Enum):
    """What a :class:`Categorical` lookup does with a code missing from its table."""

    NAN = "nan"
    ERROR = "error"


@dataclass(frozen=True)
class Categorical(ValueFunction):
    """Lookup table from integer class codes to values in [0, 1].

    Parameters
    ----------
    table : mapping of int to float
        Class code → value. Codes must be integers (``1``, ``"1"``, ``2.0``; ``1.5`` is
        refused); stored as a sorted tuple of pairs (hashable, frozen).
    unknown : {"nan", "error"}, default "error"
        Codes not in the table: ``"error"`` raises InvalidParameterError listing them;
        ``"nan"`` maps them to NaN (nodata). The layer's nodata code is always NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from steppe_geo.mcda import Categorical
    >>> f = Categorical({30: 1.0, 60: 0.8, 80: 0.0}, unknown="nan")  # ESA WorldCover codes
    >>> print(f(np.array([30, 60, 80, 50])))
    [1.  0.8 0.  nan]
    """

    name: ClassVar[str] = "categorical"
    table: Any = field(default=())
    unknown: UnknownCategory = UnknownCategory.ERROR

    def __post_init__(self) -> None:
        items = self.table.items() if isinstance(self.table, Mapping) else self.table
        pairs: list[tuple[int, float]] = []
        for k, v in items:
            code = _integer_code(k, param="categorical.table")
            val = check_number(v, param=f"categorical.table[{code}]")
            if not 0 <= val <= 1:
                raise InvalidParameterError(f"categorical.table[{code}] must lie within [0, 1], got {v!r}")
            pairs.append((code, val))
        if not pairs:
            raise InvalidParameterError("categorical: table is empty")
        object.__setattr__(self, "table", tuple(sorted(pairs)))
        object.__setattr__(self, "unknown", parse_choice(UnknownCategory, self.unknown,
                                                          param="categorical.unknown"))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict; table keys become strings (TOML keys must be strings)."""
        return {"function": self.name, "table": {str(k): v for k, v in self.table},
                "unknown": self.unknown.value}

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        codes = np.array([k for k, _ in self.table], dtype=np.float64)
        vals = np.array([v for _, v in self.table], dtype=np.float64)
        idx = np.clip(np.searchsorted(codes, x), 0, len(codes) - 1)
        hit = codes[idx] == x
        if self.unknown is UnknownCategory.ERROR:
            bad = ~hit & ~np.isnan(x)
            if bad.any():
                # integral codes as ints; others (1.5, inf) as they are, never truncated to a known code
                missing = [int(v) if float(v).is_integer() else float(v) for v in np.unique(x[bad])]
                odd = [v for v in missing if isinstance(v, float)]
                hint = (f"; {odd[0]!r} is not an integer class code: is the layer continuous, or resampled "
                        "with a method that mixes classes (use nearest or mode)?") if odd else ""
                raise InvalidParameterError(
                    f"categorical: class codes {missing} are not in the table "
                    f"(known: {[k for k, _ in self.table]}){hint}; add them or pass unknown='nan'"
                )
        return np.where(hit, vals[idx], np.nan)

    def apply(self, values: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
        """Numpy kernel (unknown codes may give NaN, so no clip-to-0 of NaN); see ``ValueFunction.apply``."""
        v = np.asarray(values, dtype=np.float64)
        if out is None:
            out = np.empty(v.shape, dtype=np.float32)
        np.copyto(out, self._kernel(v), casting="same_kind")
        return out


def _integer_code(value: Any, *, param: str) -> int:
    """An integer class code from an int, an integral float or a string such as ``"30"``."""
    if isinstance(value, bool):
        raise InvalidParameterError(f"{param}: class codes must be integers, got {value!r}")
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise InvalidParameterError(f"{param}: class codes must be integers, got {value!r}") from None
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{param}: class codes must be integers, got {value!r}") from None
    if not math.isfinite(f) or f != int(f):
        raise InvalidParameterError(f"{param}: class codes must be integers, got {value!r}")
    return int(f)
