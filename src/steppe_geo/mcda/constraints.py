"""Constraints: named exclusion rules with one bit each in an exclusion bitmask.

Each constraint turns one input layer into an *availability* between 0 (fully excluded)
and 1 (fully available).  Hard constraints give 0/1; :class:`FractionAvailable` passes a
fractional layer through (partial exclusion, e.g. the share of a pixel outside a reserve,
as in GLAES / reV).  Bit ``i`` of the exclusion bitmask is set where constraint ``i``
(in order) reduces availability below 1; the pixel is *eligible* (True = keep) where the
product of all availabilities is > 0 and no minimum-area rule removed it.

Nodata (NaN) in a constraint layer counts as excluded (conservative: the rule could not
be verified), and the constraint's bit is set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
import xarray as xr
from scipy import ndimage

from steppe_geo._validation import did_you_mean
from steppe_geo.errors import InvalidParameterError, MissingLayerError

__all__ = [
    "Categories",
    "Constraint",
    "FractionAvailable",
    "MinimumArea",
    "Setback",
    "ValueRange",
    "apply_minimum_area",
    "bitmask_dtype",
    "constraint_from_dict",
    "evaluate_constraints",
    "explain_exclusion",
]

_REGISTRY: dict[str, type[Constraint]] = {}


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterError(f"constraint name must be a non-empty string, got {name!r}")
    return name


@dataclass(frozen=True)
class Constraint:
    """Base class: ``name`` (shown in explanations) and ``layer`` (key of the input layer)."""

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
    """Eligible where ``min <= value <= max`` (either bound may be None), e.g. slope ≤ 15°."""

    kind: ClassVar[str] = "value_range"
    min: float | None = None
    max: float | None = None

    def __post_init__(self) -> None:
        self._validate()
        if self.min is None and self.max is None:
            raise InvalidParameterError(f"constraint {self.name!r}: give min and/or max")
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
    """Exclude the listed class codes (``exclude``) or keep only the listed ones (``allow``)."""

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
                object.__setattr__(self, f, tuple(int(c) for c in val))

    def _available(self, v: np.ndarray) -> np.ndarray:
        if self.exclude is not None:
            return ~np.isin(v, self.exclude)
        return np.isin(v, self.allow)


@dataclass(frozen=True)
class Setback(Constraint):
    """Exclude pixels closer than ``distance_m`` metres to features.

    ``layer`` names a precomputed distance raster in metres (e.g. from
    ``steppe_geo.criteria.distance``); pixels with ``distance < distance_m`` are excluded.
    """

    kind: ClassVar[str] = "setback"
    distance_m: float = 0.0

    def __post_init__(self) -> None:
        self._validate()
        d = float(self.distance_m)
        if not math.isfinite(d) or d < 0:
            raise InvalidParameterError(
                f"constraint {self.name!r}: distance_m must be >= 0, got {self.distance_m!r}"
            )
        object.__setattr__(self, "distance_m", d)

    def _available(self, v: np.ndarray) -> np.ndarray:
        return v >= self.distance_m


@dataclass(frozen=True)
class FractionAvailable(Constraint):
    """Partial exclusion: the layer holds the available fraction of each pixel (0..1).

    Values are clipped to [0, 1]; fractions below ``min_fraction`` count as 0.
    """

    kind: ClassVar[str] = "fraction"
    min_fraction: float = 0.0

    def __post_init__(self) -> None:
        self._validate()
        if not 0 <= float(self.min_fraction) <= 1:
            raise InvalidParameterError(
                f"constraint {self.name!r}: min_fraction must be within [0, 1], got {self.min_fraction!r}"
            )

    def _available(self, v: np.ndarray) -> np.ndarray:
        f = np.clip(v, 0.0, 1.0)
        return np.where(f < self.min_fraction, 0.0, f)


@dataclass(frozen=True)
class MinimumArea:
    """Remove contiguous eligible areas smaller than ``min_area_m2`` (8- or 4-connected).

    Applied after all other constraints, on the eligible mask.  Needs neighbours: when
    evaluated window by window, a halo of ``ceil(min_area_m2 / pixel area)`` pixels makes it
    exact (a region smaller than N pixels cannot reach further than N pixels from the core,
    and a region reaching the halo's edge has more than N pixels).
    """

    kind: ClassVar[str] = "minimum_area"
    name: str
    min_area_m2: float
    connectivity: int = 8
    layer: None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        a = float(self.min_area_m2)
        if not math.isfinite(a) or a <= 0:
            raise InvalidParameterError(
                f"constraint {self.name!r}: min_area_m2 must be > 0, got {self.min_area_m2!r}"
            )
        if self.connectivity not in (4, 8):
            raise InvalidParameterError(
                f"constraint {self.name!r}: connectivity must be 4 or 8, got {self.connectivity!r}"
            )

    def min_pixels(self, pixel_area_m2: float) -> int:
        """Smallest number of pixels a kept region must have."""
        return max(1, math.ceil(self.min_area_m2 / pixel_area_m2 - 1e-9))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (TOML-friendly)."""
        return {"type": self.kind, "name": self.name, "min_area_m2": self.min_area_m2,
                "connectivity": self.connectivity}


_REGISTRY["minimum_area"] = MinimumArea  # type: ignore[assignment]


def constraint_from_dict(data: Mapping[str, Any]) -> Constraint | MinimumArea:
    """Inverse of ``Constraint.to_dict``."""
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
    return _REGISTRY[kind](**d)


def bitmask_dtype(n: int) -> np.dtype:
    """uint32 for up to 32 constraints, uint64 up to 64; more is an error."""
    if n <= 32:
        return np.dtype(np.uint32)
    if n <= 64:
        return np.dtype(np.uint64)
    raise InvalidParameterError(f"at most 64 constraints fit the exclusion bitmask, got {n}")


def evaluate_constraints(
    constraints: Sequence[Constraint | MinimumArea],
    layers: Mapping[str, np.ndarray | xr.DataArray],
    *,
    shape: tuple[int, int],
    pixel_area_m2: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate constraints on arrays of one window (or the whole grid).

    Parameters
    ----------
    constraints : sequence of Constraint
        In bit order.
    layers : mapping name → array
        The layers the constraints name.
    shape : (rows, cols)
    pixel_area_m2 : float, optional
        Needed by :class:`MinimumArea`.

    Returns
    -------
    bitmask : (rows, cols) uint32/uint64
        Bit ``i`` set where constraint ``i`` excluded the pixel (fully or partly).
    availability : (rows, cols) float32
        Product of availabilities, 0..1 (0 where a minimum-area rule removed the pixel).
    eligible : (rows, cols) bool
        True = keep (availability > 0).
    """
    dt = bitmask_dtype(len(constraints))
    bitmask = np.zeros(shape, dtype=dt)
    avail = np.ones(shape, dtype=np.float32)
    area_rules: list[tuple[int, MinimumArea]] = []
    for i, c in enumerate(constraints):
        if isinstance(c, MinimumArea):
            area_rules.append((i, c))
            continue
        if c.layer not in layers:
            raise MissingLayerError(
                f"constraint {c.name!r} needs layer {c.layer!r}, which was not given; "
                f"layers given: {sorted(layers)}{did_you_mean(c.layer, list(layers))}"
            )
        src = layers[c.layer]
        values = src.values if isinstance(src, xr.DataArray) else np.asarray(src)
        if isinstance(src, xr.DataArray) and not np.issubdtype(values.dtype, np.floating):
            nodata = src.rio.nodata
            if nodata is not None:
                values = np.where(values == nodata, np.nan, values.astype(np.float64))
        a = c.availability(values)
        bitmask |= np.where(a < 1, dt.type(1 << i), dt.type(0)).astype(dt)
        avail *= a
    for i, rule in area_rules:
        if pixel_area_m2 is None:
            raise InvalidParameterError(f"constraint {rule.name!r} (minimum area) needs pixel_area_m2")
        keep = apply_minimum_area(avail > 0, rule, pixel_area_m2=pixel_area_m2)
        removed = (avail > 0) & ~keep
        bitmask |= np.where(removed, dt.type(1 << i), dt.type(0)).astype(dt)
        avail = np.where(removed, np.float32(0), avail)
    return bitmask, avail, avail > 0


def apply_minimum_area(eligible: np.ndarray, rule: MinimumArea, *, pixel_area_m2: float) -> np.ndarray:
    """Drop connected regions of ``eligible`` with fewer pixels than the rule's minimum."""
    structure = ndimage.generate_binary_structure(2, 2 if rule.connectivity == 8 else 1)
    labels, n = ndimage.label(eligible, structure=structure)
    if n == 0:
        return eligible.copy()
    sizes = np.bincount(labels.ravel())
    keep = sizes >= rule.min_pixels(pixel_area_m2)
    keep[0] = False
    return keep[labels]


def explain_exclusion(
    bitmask: int | np.integer | np.ndarray | xr.DataArray, constraints: Sequence[Constraint | MinimumArea]
) -> list[str] | dict[int, list[str]]:
    """Names of the constraints whose bits are set.

    Parameters
    ----------
    bitmask : int or array
        One bitmask value, or a bitmask raster.
    constraints : sequence
        The overlay's constraints, in bit order.

    Returns
    -------
    list of str, or dict int → list of str
        For one value, the names (in constraint order); for an array, a mapping from each distinct
        value present to its names (a legend for an exclusion map).
    """
    if isinstance(bitmask, xr.DataArray | np.ndarray):
        return {int(v): explain_exclusion(int(v), constraints) for v in np.unique(np.asarray(bitmask))}
    b = int(bitmask)
    return [c.name for i, c in enumerate(constraints) if b >> i & 1]
