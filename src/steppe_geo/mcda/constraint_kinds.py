"""Constraint kinds: named exclusion rules, each turning one input layer into an availability.

Each constraint turns one input layer into an *availability* between 0 (fully excluded)
and 1 (fully available).  Hard constraints give 0/1; :class:`FractionAvailable` passes a
fractional layer through (partial exclusion, e.g. the share of a pixel outside a reserve,
as in GLAES / reV).  Nodata (NaN) in a constraint layer excludes the pixel (the rule could
not be verified). :class:`MinimumArea` is a rule on connected regions of eligible pixels.

Subclassing :class:`Constraint` with a ``kind`` registers it for :func:`constraint_from_dict`
(TOML configurations and model files). The exclusion bitmask that gives each constraint a bit is
in :mod:`~steppe_geo.mcda.exclusion`; the regions of minimum-area rules in
:mod:`~steppe_geo.mcda.minimum_area`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from steppe_geo._validation import check_number, did_you_mean
from steppe_geo.errors import InvalidParameterError
from steppe_geo.mcda.value_tables import _integer_code

__all__ = [
    "Categories",
    "Constraint",
    "FractionAvailable",
    "MinimumArea",
    "Setback",
    "ValueRange",
    "constraint_from_dict",
]

_REGISTRY: dict[str, type[Constraint]] = {}


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterError(f"constraint name must be a non-empty string, got {name!r}")
    return name


def _number(value: Any, *, name: str, param: str, allow_inf: bool = False) -> float:
    """A float from a number (not a string or bool), or InvalidParameterError naming the parameter."""
    return check_number(value, param=f"constraint {name!r}: {param}", allow_inf=allow_inf)


def _codes(value: Any, *, name: str, param: str) -> tuple[int, ...]:
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        raise InvalidParameterError(
            f"constraint {name!r}: {param} must be a list of integer class codes, got {value!r}"
        )
    items = list(value)
    if not items:
        raise InvalidParameterError(f"constraint {name!r}: {param} must list at least one class code, got []")
    try:
        return tuple(_integer_code(c, param=f"constraint {name!r}: {param}") for c in items)
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"{exc} in {param}={items!r}") from None


@dataclass(frozen=True)
class Constraint:
    """Base class of the layer constraints.

    Parameters
    ----------
    name : str
        Shown in explanations and in the exclusion bitmask legend.
    layer : str
        Key of the input layer the constraint reads.
    """

    kind: ClassVar[str] = ""
    name: str
    layer: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            _REGISTRY[cls.kind] = cls

    def _validate(self) -> None:
        _check_name(self.name)
        if not isinstance(self.layer, str) or not self.layer:
            raise InvalidParameterError(
                f"constraint {self.name!r}: layer must be a layer name, got {self.layer!r}"
            )

    def availability(self, values: np.ndarray) -> np.ndarray:
        """Availability 0..1 (float32) for the layer values; NaN input → 0."""
        v = np.asarray(values)
        if not np.issubdtype(v.dtype, np.floating):
            v = v.astype(np.float64)
        elif v.dtype == np.float16:
            v = v.astype(np.float32)
        with np.errstate(invalid="ignore"):
            out = self._available(v)
        return np.where(np.isnan(v), 0.0, out).astype(np.float32)

    def _available(self, v: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """Plain dict ``{"type": kind, **fields}`` (TOML-friendly)."""
        d: dict[str, Any] = {"type": self.kind}
        for f in fields(self):
            val = getattr(self, f.name)
            d[f.name] = list(val) if isinstance(val, tuple) else val
        return {k: v for k, v in d.items() if v is not None}


@dataclass(frozen=True)
class ValueRange(Constraint):
    """Eligible where ``min <= value <= max`` (either bound may be None), e.g. slope ≤ 15°.

    Parameters
    ----------
    name : str
        Constraint name.
    layer : str
        Input layer key.
    min, max : float, optional
        Bounds in the layer's units (inclusive; at least one; not NaN, ±inf allowed).

    Examples
    --------
    >>> import numpy as np
    >>> from steppe_geo.mcda import ValueRange
    >>> ValueRange("steep slope", "slope_deg", max=15).availability(np.array([3.0, 20.0, np.nan]))
    array([1., 0., 0.], dtype=float32)
    """

    kind: ClassVar[str] = "value_range"
    min: float | None = None
    max: float | None = None

    def __post_init__(self) -> None:
        self._validate()
        if self.min is None and self.max is None:
            raise InvalidParameterError(f"constraint {self.name!r}: give min and/or max")
        for f in ("min", "max"):
            val = getattr(self, f)
            if val is not None:
                object.__setattr__(self, f, _number(val, name=self.name, param=f, allow_inf=True))
        if self.min is not None and self.max is not None and self.min > self.max:
            raise InvalidParameterError(
                f"constraint {self.name!r}: min must be <= max, got min={self.min!r}, max={self.max!r}"
            )

    def _available(self, v: np.ndarray) -> np.ndarray:
        ok = np.ones(v.shape, dtype=bool)
        if self.min is not None:
            ok &= v >= self.min
        if self.max is not None:
            ok &= v <= self.max
        return ok


@dataclass(frozen=True)
class Categories(Constraint):
    """Exclude the listed class codes (``exclude``) or keep only the listed ones (``allow``).

    Parameters
    ----------
    name : str
        Constraint name.
    layer : str
        Input layer key (a categorical layer; its nodata code counts as excluded).
    exclude, allow : sequence of int
        Integer class codes; give exactly one of the two.
    """

    kind: ClassVar[str] = "categories"
    exclude: tuple[int, ...] | None = None
    allow: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        self._validate()
        if (self.exclude is None) == (self.allow is None):
            raise InvalidParameterError(
                f"constraint {self.name!r}: give exactly one of exclude= or allow= (class codes)"
            )
        for f in ("exclude", "allow"):
            val = getattr(self, f)
            if val is not None:
                object.__setattr__(self, f, _codes(val, name=self.name, param=f))

    def _available(self, v: np.ndarray) -> np.ndarray:
        if self.exclude is not None:
            return ~np.isin(v, self.exclude)
        assert self.allow is not None  # __post_init__: exactly one of allow/exclude
        return np.isin(v, self.allow)


@dataclass(frozen=True)
class Setback(Constraint):
    """Exclude pixels within ``distance_m`` metres of features (distance ≤ ``distance_m``).

    ``layer`` names a precomputed distance raster in metres (e.g. from
    ``steppe_geo.criteria.distance``); pixels with ``distance <= distance_m`` are excluded, the
    boundary rule of every setback (``within_distance``, ``outside_setback``, a model's exact
    setback; ``docs/glossary.md``). Before 0.2.0 a pixel at exactly ``distance_m`` was kept.

    Parameters
    ----------
    name : str
        Constraint name, e.g. ``"settlements 500 m"``.
    layer : str
        Input layer key (distance in metres).
    distance_m : float, default 0.0
        Setback in metres (>= 0).
    """

    kind: ClassVar[str] = "setback"
    distance_m: float = 0.0

    def __post_init__(self) -> None:
        self._validate()
        d = _number(self.distance_m, name=self.name, param="distance_m")
        if d < 0:
            raise InvalidParameterError(
                f"constraint {self.name!r}: distance_m must be >= 0, got {self.distance_m!r}"
            )
        object.__setattr__(self, "distance_m", d)

    def _available(self, v: np.ndarray) -> np.ndarray:
        return v > self.distance_m


@dataclass(frozen=True)
class FractionAvailable(Constraint):
    """Partial exclusion: the layer holds the available fraction of each pixel (0..1).

    Values are clipped to [0, 1]; fractions below ``min_fraction`` count as 0.

    Parameters
    ----------
    name : str
        Constraint name.
    layer : str
        Input layer key (available fraction of each pixel, 0..1).
    min_fraction : float, default 0.0
        Fractions below this (within [0, 1]) count as fully excluded.
    """

    kind: ClassVar[str] = "fraction"
    min_fraction: float = 0.0

    def __post_init__(self) -> None:
        self._validate()
        f = _number(self.min_fraction, name=self.name, param="min_fraction")
        if not 0 <= f <= 1:
            raise InvalidParameterError(
                f"constraint {self.name!r}: min_fraction must be within [0, 1], got {self.min_fraction!r}"
            )
        object.__setattr__(self, "min_fraction", f)

    def _available(self, v: np.ndarray) -> np.ndarray:
        f = np.clip(v, 0.0, 1.0)
        return np.where(f < self.min_fraction, 0.0, f)


@dataclass(frozen=True)
class MinimumArea:
    """Remove contiguous eligible areas smaller than ``min_area_m2`` (8- or 4-connected).

    Looks at the land left eligible by the other (non-area) constraints; each minimum-area
    rule is applied to that mask independently and sets its own bit. Window by window, the
    region sizes come from a separate labelling pass with the labels merged across window
    edges (:func:`window_regions`, :func:`merge_window_regions`), so the result is exact and
    needs no halo whatever the area.

    Parameters
    ----------
    name : str
        Constraint name, e.g. ``"smaller than 10 ha"``.
    min_area_m2 : float
        Smallest region kept, in m² (> 0); a region needs ``ceil(min_area_m2 / pixel area)``
        pixels.
    connectivity : {8, 4}, default 8
        Pixels touching at corners belong to one region (8) or not (4).
    """

    kind: ClassVar[str] = "minimum_area"
    name: str
    min_area_m2: float
    connectivity: int = 8
    layer: None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        a = _number(self.min_area_m2, name=self.name, param="min_area_m2")
        if a <= 0:
            raise InvalidParameterError(
                f"constraint {self.name!r}: min_area_m2 must be > 0, got {self.min_area_m2!r}"
            )
        if isinstance(self.connectivity, bool) or self.connectivity not in (4, 8):
            raise InvalidParameterError(
                f"constraint {self.name!r}: connectivity must be 4 or 8, got {self.connectivity!r}"
            )
        object.__setattr__(self, "min_area_m2", a)
        object.__setattr__(self, "connectivity", int(self.connectivity))

    def min_pixels(self, pixel_area_m2: float) -> int:
        """Smallest number of pixels a kept region must have."""
        return max(1, math.ceil(self.min_area_m2 / pixel_area_m2 - 1e-9))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (TOML-friendly)."""
        return {"type": self.kind, "name": self.name, "min_area_m2": self.min_area_m2,
                "connectivity": self.connectivity}


# MinimumArea is no layer Constraint (it reads no layer) but a TOML table of the same list
_REGISTRY["minimum_area"] = MinimumArea  # type: ignore[assignment]  # see the line above


def constraint_from_dict(data: Mapping[str, Any]) -> Constraint | MinimumArea:
    """Inverse of ``Constraint.to_dict``.

    Parameters
    ----------
    data : mapping
        ``{"type": kind, "name": ..., ...}`` with kind one of ``value_range``, ``categories``,
        ``setback``, ``fraction``, ``minimum_area``.

    Returns
    -------
    Constraint or MinimumArea

    Raises
    ------
    InvalidParameterError
        Unknown type (valid types listed, the closest suggested) or bad parameters.

    Examples
    --------
    >>> from steppe_geo.mcda import constraint_from_dict
    >>> constraint_from_dict({"type": "setback", "name": "roads", "layer": "d_roads", "distance_m": 150})
    Setback(name='roads', layer='d_roads', distance_m=150.0)
    """
    d = dict(data)
    kind = d.pop("type", None)
    if kind not in _REGISTRY:
        valid = sorted(_REGISTRY)
        raise InvalidParameterError(
            f"constraint type: unknown value {kind!r}{did_you_mean(str(kind), valid)} "
            f"Valid values are: {', '.join(valid)}."
        )
    for k in ("exclude", "allow"):
        if k in d:
            d[k] = tuple(d[k])
    cls = _REGISTRY[kind]
    valid = [f.name for f in fields(cls) if f.init]
    unknown = [k for k in d if k not in valid]
    if unknown:
        raise InvalidParameterError(
            f"constraint type {kind!r}: unknown parameter(s) {unknown}{did_you_mean(unknown[0], valid)} "
            f"Valid parameters are: {', '.join(valid)}."
        )
    try:
        return cls(**d)
    except TypeError as exc:
        raise InvalidParameterError(
            f"constraint type {kind!r}: {exc}; parameters are {', '.join(valid)}"
        ) from None


