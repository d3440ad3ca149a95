"""Constraints: named exclusion rules with one bit each in an exclusion bitmask.

Each constraint turns one input layer into an *availability* between 0 (fully excluded)
and 1 (fully available).  Hard constraints give 0/1; :class:`FractionAvailable` passes a
fractional layer through (partial exclusion, e.g. the share of a pixel outside a reserve,
as in GLAES / reV).  Bit ``i`` of the exclusion bitmask is set where constraint ``i``
(in order) reduces availability below 1; the pixel is *eligible* (True = keep) where the
product of all availabilities is > 0 and no minimum-area rule removed it.

The exclusion bitmask has two reserved bits before the constraints' own
(:data:`RESERVED_BITS`): bit 0 ``outside_aoi`` (the pixel centre is outside the area of
interest polygon) and bit 1 ``no_data`` (a layer the overlay reads has no data at the
pixel); constraint ``i`` has bit ``i + 2``. Both reserved bits exclude the pixel.

Nodata (NaN) in a constraint layer excludes the pixel (the rule could not be verified), but
it is the ``no_data`` bit that says so: a constraint does not claim pixels where its layer has
no data (a missing DEM is not reported as "steep slope").

:class:`MinimumArea` rules look at connected regions, so they need more than one window:
:func:`window_regions` and :func:`merge_window_regions` give every region's size across
window edges (a labelling pass, scipy.ndimage.label per window and a connected-components
merge of the labels on window edges), which :func:`evaluate_constraints` then applies per
window (``region_sizes=``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
import xarray as xr
from scipy import ndimage, sparse
from scipy.sparse.csgraph import connected_components

from steppe_geo._validation import check_number, did_you_mean
from steppe_geo.errors import InvalidParameterError, MissingLayerError
from steppe_geo.mcda.value_base import decode_nodata
from steppe_geo.mcda.value_tables import _integer_code

__all__ = [
    "NO_DATA",
    "OUTSIDE_AOI",
    "RESERVED_BITS",
    "Categories",
    "Constraint",
    "FractionAvailable",
    "MinimumArea",
    "RegionSizes",
    "Setback",
    "ValueRange",
    "WindowRegions",
    "apply_minimum_area",
    "bit_legend",
    "bitmask_dtype",
    "constraint_from_dict",
    "evaluate_constraints",
    "exclusion_bit_names",
    "explain_exclusion",
    "layer_availability",
    "merge_window_regions",
    "parse_bit_legend",
    "window_regions",
]

_REGISTRY: dict[str, type[Constraint]] = {}

OUTSIDE_AOI = "outside_aoi"
"""Name of bit 0 of every exclusion bitmask: the pixel centre is outside the AOI polygon."""

NO_DATA = "no_data"
"""Name of bit 1 of every exclusion bitmask: a layer the overlay reads has no data at the pixel."""

RESERVED_BITS: tuple[str, ...] = (OUTSIDE_AOI, NO_DATA)
"""The bits every exclusion bitmask reserves before the constraints' own (constraint ``i`` has
bit ``i + len(RESERVED_BITS)``)."""


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
        return np.isin(v, self.allow)


@dataclass(frozen=True)
class Setback(Constraint):
    """Exclude pixels closer than ``distance_m`` metres to features.

    ``layer`` names a precomputed distance raster in metres (e.g. from
    ``steppe_geo.criteria.distance``); pixels with ``distance < distance_m`` are excluded.

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
        return v >= self.distance_m


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


_REGISTRY["minimum_area"] = MinimumArea  # type: ignore[assignment]


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


def bitmask_dtype(n: int) -> np.dtype:
    """uint32 for up to 30 constraints, uint64 up to 62; more is an error.

    The bitmask holds the two reserved bits (:data:`RESERVED_BITS`) and one bit per constraint.

    Parameters
    ----------
    n : int
        Number of constraints (reserved bits not counted).

    Returns
    -------
    numpy.dtype
    """
    bits = n + len(RESERVED_BITS)
    if bits <= 32:
        return np.dtype(np.uint32)
    if bits <= 64:
        return np.dtype(np.uint64)
    raise InvalidParameterError(
        f"at most {64 - len(RESERVED_BITS)} constraints fit the exclusion bitmask (64 bits, "
        f"{len(RESERVED_BITS)} reserved for {', '.join(RESERVED_BITS)}), got {n}"
    )


def exclusion_bit_names(constraints: Sequence[Constraint | MinimumArea]) -> list[str]:
    """Names of the exclusion bitmask's bits in order: the reserved bits, then the constraints.

    Parameters
    ----------
    constraints : sequence of Constraint or MinimumArea
        In bit order.

    Returns
    -------
    list of str
        ``["outside_aoi", "no_data", *constraint names]``; bit ``i`` is name ``i``.

    Examples
    --------
    >>> from steppe_geo.mcda import ValueRange, exclusion_bit_names
    >>> exclusion_bit_names([ValueRange("steep", "slope_deg", max=15)])
    ['outside_aoi', 'no_data', 'steep']
    """
    return [*RESERVED_BITS, *(c.name for c in constraints)]


RegionSizes = Mapping[int, tuple[np.ndarray, np.ndarray]]
"""Per window, for a connectivity (4 or 8): ``(edge labels, region sizes)`` from
:func:`merge_window_regions` — the sizes (in pixels, over the whole grid) of the regions whose
local labels touch the window's edge."""


def _layer_values(c: Constraint, layers: Mapping[str, np.ndarray | xr.DataArray]) -> np.ndarray:
    if c.layer not in layers:
        raise MissingLayerError(
            f"constraint {c.name!r} needs layer {c.layer!r}, which was not given; "
            f"layers given: {sorted(layers)}{did_you_mean(c.layer, list(layers))}"
        )
    src = layers[c.layer]
    if isinstance(src, xr.DataArray):
        return decode_nodata(np.asarray(src.values), src.rio.nodata)
    return np.asarray(src)


def layer_availability(
    constraints: Sequence[Constraint | MinimumArea],
    layers: Mapping[str, np.ndarray | xr.DataArray],
    *,
    shape: tuple[int, int],
    inside: np.ndarray | None = None,
    missing: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Bitmask and availability of the reserved bits and layer constraints (minimum-area rules skipped).

    Arrays in ``layers`` are used as they are (decode nodata first); DataArrays have their
    ``.rio.nodata`` decoded. Where a constraint's layer is NaN the ``no_data`` bit is set
    instead of the constraint's; ``inside`` (False = outside the AOI) sets ``outside_aoi`` and
    ``missing`` (True = another layer, e.g. a criterion, has no data) sets ``no_data``. Every
    such pixel has availability 0.
    """
    dt = bitmask_dtype(len(constraints))
    first = len(RESERVED_BITS)
    bitmask = np.zeros(shape, dtype=dt)
    avail = np.ones(shape, dtype=np.float32)
    no_data = np.zeros(shape, dtype=bool) if missing is None else np.array(missing, dtype=bool)
    for i, c in enumerate(constraints):
        if isinstance(c, MinimumArea):
            continue
        values = _layer_values(c, layers)
        a = c.availability(values)
        claimed = a < 1
        if np.issubdtype(values.dtype, np.floating):
            nan = np.isnan(values)
            claimed &= ~nan
            no_data |= nan
        bitmask[claimed] |= dt.type(1 << (i + first))
        avail *= a
    if inside is not None:
        outside = ~np.asarray(inside, dtype=bool)
        bitmask[outside] |= dt.type(1 << 0)
        avail[outside] = 0
    bitmask[no_data] |= dt.type(1 << 1)
    avail[no_data] = 0
    return bitmask, avail


def _structure(connectivity: int) -> np.ndarray:
    return ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)


def evaluate_constraints(
    constraints: Sequence[Constraint | MinimumArea],
    layers: Mapping[str, np.ndarray | xr.DataArray],
    *,
    shape: tuple[int, int],
    pixel_area_m2: float | None = None,
    region_sizes: Mapping[int, RegionSizes] | None = None,
    inside: np.ndarray | None = None,
    missing: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate constraints on arrays of one window (or the whole grid).

    Parameters
    ----------
    constraints : sequence of Constraint or MinimumArea
        In bit order.
    layers : mapping name → array or DataArray
        The layers the constraints name (arrays with nodata already NaN; DataArrays have
        their ``.rio.nodata`` decoded).
    shape : (rows, cols)
        Shape of the window.
    pixel_area_m2 : float, optional
        Pixel area in m², needed by :class:`MinimumArea`.
    region_sizes : mapping connectivity → (edge labels, sizes), optional
        Window by window: the grid-wide sizes of the regions touching this window's edges
        (from :func:`merge_window_regions`). Without it the arrays are taken to be the whole
        grid.
    inside : (rows, cols) bool ndarray, optional
        True where the pixel centre is inside the area of interest; False sets bit 0
        (``outside_aoi``). Without it every pixel is inside.
    missing : (rows, cols) bool ndarray, optional
        True where another layer the overlay reads (a criterion) has no data; sets bit 1
        (``no_data``), as does NaN in a constraint's own layer.

    Returns
    -------
    bitmask : (rows, cols) uint32/uint64
        Bit 0 ``outside_aoi``, bit 1 ``no_data``, bit ``i + 2`` set where constraint ``i``
        excluded the pixel (fully or partly).
    availability : (rows, cols) float32
        Product of availabilities, 0..1 (0 outside the AOI, where data is missing and where a
        minimum-area rule removed the pixel); minimum-area rules count only the land left by
        the other rules, inside the AOI and with data.
    eligible : (rows, cols) bool
        True = keep (availability > 0).

    Raises
    ------
    MissingLayerError
        A constraint's layer is not in ``layers``.
    InvalidParameterError
        A minimum-area rule without ``pixel_area_m2``.
    """
    bitmask, avail = layer_availability(constraints, layers, shape=shape, inside=inside, missing=missing)
    area_rules = [(i, c) for i, c in enumerate(constraints) if isinstance(c, MinimumArea)]
    if area_rules:
        if pixel_area_m2 is None:
            raise InvalidParameterError(
                f"constraint {area_rules[0][1].name!r} (minimum area) needs pixel_area_m2"
            )
        base = avail > 0
        removed_any = np.zeros(shape, dtype=bool)
        sizes_by_conn: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for i, rule in area_rules:
            if rule.connectivity not in sizes_by_conn:
                labels, _ = ndimage.label(base, structure=_structure(rule.connectivity))
                sizes = np.bincount(labels.ravel())
                if region_sizes is not None and rule.connectivity in region_sizes:
                    edge, edge_sizes = region_sizes[rule.connectivity]
                    sizes[edge] = edge_sizes
                sizes_by_conn[rule.connectivity] = (labels, sizes)
            labels, sizes = sizes_by_conn[rule.connectivity]
            removed = base & (sizes[labels] < rule.min_pixels(pixel_area_m2))
            bitmask[removed] |= bitmask.dtype.type(1 << (i + len(RESERVED_BITS)))
            removed_any |= removed
        avail[removed_any] = 0
    return bitmask, avail, avail > 0


def apply_minimum_area(eligible: np.ndarray, rule: MinimumArea, *, pixel_area_m2: float) -> np.ndarray:
    """Drop connected regions of ``eligible`` (the whole grid) with fewer pixels than the rule's minimum."""
    labels, n = ndimage.label(eligible, structure=_structure(rule.connectivity))
    if n == 0:
        return eligible.copy()
    sizes = np.bincount(labels.ravel())
    keep = sizes >= rule.min_pixels(pixel_area_m2)
    keep[0] = False
    return keep[labels]


@dataclass(frozen=True)
class WindowRegions:
    """Labels of one window's eligible regions along its edges (see :func:`window_regions`)."""

    top: np.ndarray
    bottom: np.ndarray
    left: np.ndarray
    right: np.ndarray
    edge_labels: np.ndarray
    edge_sizes: np.ndarray


def window_regions(eligible: np.ndarray, *, connectivity: int) -> WindowRegions:
    """Label one window's eligible mask and keep what the cross-window merge needs.

    Parameters
    ----------
    eligible : (rows, cols) bool ndarray
        The window's mask of land left by the layer constraints.
    connectivity : {8, 4}

    Returns
    -------
    WindowRegions
        The label rows/columns on the window's four edges (0 = not eligible), the distinct
        labels touching an edge and their sizes within the window. Regions that do not touch
        the edge are complete in the window and need nothing else.
    """
    labels, _ = ndimage.label(eligible, structure=_structure(connectivity))
    sizes = np.bincount(labels.ravel())
    ring = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    edge = np.unique(ring[ring > 0])
    return WindowRegions(labels[0].copy(), labels[-1].copy(), labels[:, 0].copy(), labels[:, -1].copy(),
                         edge, sizes[edge].astype(np.int64))


def merge_window_regions(
    regions: Sequence[WindowRegions],
    offsets: Sequence[tuple[int, int]],
    shape: tuple[int, int],
    *,
    connectivity: int,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Merge regions across the edges of windows that tile a grid; sizes per window.

    Parameters
    ----------
    regions : sequence of WindowRegions
        One per window, from :func:`window_regions`.
    offsets : sequence of (row_off, col_off)
        Each window's position in the grid (the windows tile the grid without overlap).
    shape : (rows, cols)
        Grid shape.
    connectivity : {8, 4}
        As used for the labels.

    Returns
    -------
    list of (edge labels, sizes)
        Per window: its edge labels and the grid-wide size (pixels) of the region each belongs
        to. Regions touching window edges are joined where they touch across an edge (for
        8-connectivity also diagonally, including across window corners) with
        scipy.sparse.csgraph.connected_components, and their sizes added up.
    """
    rows, cols = shape
    starts = np.cumsum([0] + [r.edge_labels.size for r in regions])
    n_nodes = int(starts[-1])

    def glob(k: int, local: np.ndarray) -> np.ndarray:
        r = regions[k]
        idx = np.searchsorted(r.edge_labels, local)
        return np.where(local > 0, starts[k] + idx, -1)

    # full grid-wide rows either side of every window row boundary, and columns likewise
    above: dict[int, np.ndarray] = {}
    below: dict[int, np.ndarray] = {}
    lefts: dict[int, np.ndarray] = {}
    rights: dict[int, np.ndarray] = {}
    for k, (r0, c0) in enumerate(offsets):
        reg = regions[k]
        h, w = reg.left.size, reg.top.size
        if r0 > 0:
            below.setdefault(r0, np.full(cols, -1, np.int64))[c0:c0 + w] = glob(k, reg.top)
        if r0 + h < rows:
            above.setdefault(r0 + h, np.full(cols, -1, np.int64))[c0:c0 + w] = glob(k, reg.bottom)
        if c0 > 0:
            rights.setdefault(c0, np.full(rows, -1, np.int64))[r0:r0 + h] = glob(k, reg.left)
        if c0 + w < cols:
            lefts.setdefault(c0 + w, np.full(rows, -1, np.int64))[r0:r0 + h] = glob(k, reg.right)
    shifts = (-1, 0, 1) if connectivity == 8 else (0,)
    pairs_a, pairs_b = [], []
    for line_a, line_b in [*((above[b], below[b]) for b in above), *((lefts[b], rights[b]) for b in lefts)]:
        m = line_a.size
        for d in shifts:
            a = line_a[max(0, -d):m - max(0, d)]
            b = line_b[max(0, d):m - max(0, -d)]
            ok = (a >= 0) & (b >= 0)
            pairs_a.append(a[ok])
            pairs_b.append(b[ok])
    sizes = np.concatenate([r.edge_sizes for r in regions]) if regions else np.zeros(0, np.int64)
    if n_nodes == 0:
        return [(r.edge_labels, r.edge_sizes) for r in regions]
    ia = np.concatenate(pairs_a) if pairs_a else np.zeros(0, np.int64)
    ib = np.concatenate(pairs_b) if pairs_b else np.zeros(0, np.int64)
    graph = sparse.coo_matrix((np.ones(ia.size, np.int8), (ia, ib)), shape=(n_nodes, n_nodes))
    _, comp = connected_components(graph, directed=False)
    total = np.bincount(comp, weights=sizes).astype(np.int64)
    node_sizes = total[comp]
    return [(r.edge_labels, node_sizes[starts[k]:starts[k + 1]]) for k, r in enumerate(regions)]


def bit_legend(names: Sequence[str]) -> str:
    """The exclusion bitmask's legend as text, ``"bit 0: outside_aoi, bit 1: no_data, bit 2: ..."``.

    This is the ``constraints`` tag of ``exclusion.tif`` (and the ``constraints`` attribute of
    an in-memory exclusion raster); :func:`parse_bit_legend` reads it back.

    Parameters
    ----------
    names : sequence of str
        Bit names in order (:func:`exclusion_bit_names`).

    Returns
    -------
    str
    """
    return ", ".join(f"bit {i}: {n}" for i, n in enumerate(names))


_LEGEND_ITEM = re.compile(r"(?:^|, )bit (\d+): ")


def parse_bit_legend(text: str) -> list[str]:
    """Bit names from a legend written by :func:`bit_legend`.

    Parameters
    ----------
    text : str
        E.g. the ``constraints`` tag of an ``exclusion.tif``.

    Returns
    -------
    list of str
        Name of bit ``i`` at index ``i``.

    Raises
    ------
    InvalidParameterError
        The text is not such a legend (bits not numbered 0, 1, 2, ... in order).

    Examples
    --------
    >>> from steppe_geo.mcda import parse_bit_legend
    >>> parse_bit_legend("bit 0: outside_aoi, bit 1: no_data, bit 2: settlements, 500 m")
    ['outside_aoi', 'no_data', 'settlements, 500 m']
    """
    parts = _LEGEND_ITEM.split(str(text))
    numbers, names = parts[1::2], parts[2::2]
    if parts[:1] != [""] or not names or [int(n) for n in numbers] != list(range(len(names))):
        raise InvalidParameterError(
            f"not an exclusion bit legend ('bit 0: name, bit 1: name, ...'): {str(text)[:200]!r}"
        )
    return names


def explain_exclusion(
    bitmask: int | np.integer | np.ndarray | xr.DataArray, constraints: Sequence[Constraint | MinimumArea]
) -> list[str] | dict[int, list[str]]:
    """Names of the bits that are set: ``outside_aoi``, ``no_data`` and the constraints.

    Parameters
    ----------
    bitmask : int or array
        One bitmask value, or a bitmask raster.
    constraints : sequence
        The overlay's constraints, in bit order (after the reserved bits, see
        :func:`exclusion_bit_names`).

    Returns
    -------
    list of str, or dict int → list of str
        For one value, the names (in bit order); for an array, a mapping from each distinct
        value present to its names (a legend for an exclusion map).

    Examples
    --------
    >>> from steppe_geo.mcda import ValueRange, explain_exclusion
    >>> explain_exclusion(0b110, [ValueRange("steep", "slope_deg", max=15)])
    ['no_data', 'steep']
    """
    if isinstance(bitmask, xr.DataArray | np.ndarray):
        return {int(v): explain_exclusion(int(v), constraints) for v in np.unique(np.asarray(bitmask))}
    b = int(bitmask)
    return [n for i, n in enumerate(exclusion_bit_names(constraints)) if b >> i & 1]
