"""The TerrSet/IDRISI *FUZZY* membership functions: sigmoidal, J-shaped and linear (four control points).

Each is a :class:`~steppe_geo.mcda.value_base.ValueFunction` subclass, registered by name on definition;
formulas and sources are in ``docs/mcda.md``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from steppe_geo._validation import check_number, parse_choice
from steppe_geo.errors import InvalidParameterError
from steppe_geo.mcda.value_base import Shape, ValueFunction, _ramp


# ---------------------------------------------------------------------------- IDRISI FUZZY
@dataclass(frozen=True)
class _Fuzzy(ValueFunction):
    """Control points ``a <= b <= c <= d``: rise from a to b, plateau to c, fall to d.

    ``shape="increasing"`` needs ``a``, ``b``; ``"decreasing"`` needs ``c``, ``d``;
    ``"symmetric"`` needs all four.

    Parameters
    ----------
    a, b, c, d : float, optional
        Control points in layer units, ``a <= b <= c <= d`` (``a < b`` and ``c < d``); unused
        points for the shape are dropped.
    shape : {"increasing", "decreasing", "symmetric"} or Shape, default "increasing"
    """

    a: float | None = None
    b: float | None = None
    c: float | None = None
    d: float | None = None
    shape: Shape = Shape.INCREASING

    @staticmethod
    def _pair(lo: float | None, hi: float | None) -> tuple[float, float]:
        """Two control points the shape uses (``__post_init__`` checked that they are set)."""
        assert lo is not None and hi is not None
        return lo, hi

    def __post_init__(self) -> None:
        shape = parse_choice(Shape, self.shape, param=f"{self.name}.shape")
        object.__setattr__(self, "shape", shape)
        need = {Shape.INCREASING: "ab", Shape.DECREASING: "cd", Shape.SYMMETRIC: "abcd"}[shape]
        for p in "abcd":
            v = getattr(self, p)
            if p in need:
                if v is None:
                    raise InvalidParameterError(
                        f"{self.name}: shape {shape.value!r} needs control points "
                        f"{', '.join(need)}; {p} is missing"
                    )
                object.__setattr__(self, p, check_number(v, param=f"{self.name}.{p}"))
            elif v is not None:
                object.__setattr__(self, p, None)  # unused points are dropped
        pts = [(p, getattr(self, p)) for p in need]
        for (p0, v0), (p1, v1) in itertools.pairwise(pts):
            if v0 > v1:
                raise InvalidParameterError(
                    f"{self.name}: control points out of order, need a <= b <= c <= d, "
                    f"got {p0}={v0!r} > {p1}={v1!r}"
                )
        if shape is not Shape.DECREASING and self.a == self.b:
            raise InvalidParameterError(f"{self.name}: a and b must differ, got both {self.a!r}")
        if shape is not Shape.INCREASING and self.c == self.d:
            raise InvalidParameterError(f"{self.name}: c and d must differ, got both {self.c!r}")

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        out = np.ones_like(x)
        if self.shape is not Shape.DECREASING:
            out = np.where(x < self.b, self._rise(x), out)
        if self.shape is not Shape.INCREASING:
            out = np.where(x > self.c, self._fall(x), out)
        return out

    def _rise(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fall(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class FuzzySigmoidal(_Fuzzy):
    """IDRISI sigmoidal (cos²).

    Rising ``cos²((1 − t)·π/2)`` with ``t=(x−a)/(b−a)``; falling ``cos²(t·π/2)`` with
    ``t=(x−c)/(d−c)``.

    Parameters
    ----------
    a, b, c, d : float, optional
        Control points in layer units, ``a <= b <= c <= d`` (``a < b`` and ``c < d``):
        ``shape="increasing"`` uses ``a, b``; ``"decreasing"`` ``c, d``; ``"symmetric"`` all four.
    shape : {"increasing", "decreasing", "symmetric"} or Shape, default "increasing"

    Examples
    --------
    >>> import numpy as np
    >>> from steppe_geo.mcda import FuzzySigmoidal
    >>> f = FuzzySigmoidal(a=0, b=10, c=20, d=30, shape="symmetric")
    >>> np.round(f(np.array([0.0, 5.0, 15.0, 25.0, 40.0])), 3).tolist()  # cos²(π/4) = 0.5
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """

    name: ClassVar[str] = "sigmoidal"

    def _rise(self, x: np.ndarray) -> np.ndarray:
        a, b = self._pair(self.a, self.b)
        t = np.clip((x - a) / (b - a), 0.0, 1.0)
        return np.cos((1.0 - t) * np.pi / 2) ** 2

    def _fall(self, x: np.ndarray) -> np.ndarray:
        c, d = self._pair(self.c, self.d)
        t = np.clip((x - c) / (d - c), 0.0, 1.0)
        return np.cos(t * np.pi / 2) ** 2


@dataclass(frozen=True)
class FuzzyJShaped(_Fuzzy):
    """IDRISI J-shaped.

    Rising ``1/(1 + ((x−b)/(b−a))²)`` for x < b; falling ``1/(1 + ((x−c)/(d−c))²)`` for x > c.

    The membership is 0.5 at ``a`` (and ``d``) and never reaches 0 (IDRISI's definition).

    Parameters
    ----------
    a, b, c, d : float, optional
        Control points in layer units, ``a <= b <= c <= d`` (``a < b`` and ``c < d``):
        ``shape="increasing"`` uses ``a, b``; ``"decreasing"`` ``c, d``; ``"symmetric"`` all four.
    shape : {"increasing", "decreasing", "symmetric"} or Shape, default "increasing"
    """

    name: ClassVar[str] = "j_shaped"

    def _rise(self, x: np.ndarray) -> np.ndarray:
        a, b = self._pair(self.a, self.b)
        return 1.0 / (1.0 + ((x - b) / (b - a)) ** 2)

    def _fall(self, x: np.ndarray) -> np.ndarray:
        c, d = self._pair(self.c, self.d)
        return 1.0 / (1.0 + ((x - c) / (d - c)) ** 2)


@dataclass(frozen=True)
class FuzzyLinear(_Fuzzy):
    """IDRISI linear: 0 below a, linear to 1 at b, 1 to c, linear to 0 at d.

    Parameters
    ----------
    a, b, c, d : float, optional
        Control points in layer units, ``a <= b <= c <= d`` (``a < b`` and ``c < d``):
        ``shape="increasing"`` uses ``a, b``; ``"decreasing"`` ``c, d``; ``"symmetric"`` all four.
    shape : {"increasing", "decreasing", "symmetric"} or Shape, default "increasing"
    """

    name: ClassVar[str] = "fuzzy_linear"

    def _rise(self, x: np.ndarray) -> np.ndarray:
        return _ramp(x, *self._pair(self.a, self.b))

    def _fall(self, x: np.ndarray) -> np.ndarray:
        return 1.0 - _ramp(x, *self._pair(self.c, self.d))
