"""Declarative weighted overlay: :class:`Criterion`, :class:`Overlay`, and its evaluation.

The same per-window kernel runs three ways (DESIGN.md "same answer, three ways"):

1. :func:`evaluate` — in memory, on aligned DataArrays;
2. :func:`evaluate_streamed` — window by window over aligned GeoTIFFs, writing COGs;
3. :func:`evaluate_dask` — each window a ``dask.distributed`` task; workers read their
   own windows from the files; the client writes the results.

Every step of the kernel is element-wise except :class:`MinimumArea`: window by window, a
first labelling pass over the layers finds every eligible region's size across
window edges (:func:`~steppe_geo.mcda.constraints.merge_window_regions`), and the main
pass applies the threshold per window. So the three give identical outputs, with no halo.

The area of interest (``aoi=``) and missing data are evaluated per window too, as the two
reserved bits of the exclusion bitmask: bit 0 ``outside_aoi`` where the pixel centre is outside
the AOI polygon (:mod:`steppe_geo.mcda.aoi`, rasterised per window) and bit 1 ``no_data`` where
any layer the overlay reads (criterion or constraint) is nodata; constraint ``i`` has bit
``i + 2``. Neither kind of pixel is eligible, and minimum-area rules count only land inside
the AOI with data.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import shapely
import xarray as xr

from steppe_geo._typing import PathLike
from steppe_geo._validation import did_you_mean
from steppe_geo.errors import GridMismatchError, InvalidParameterError, MissingLayerError
from steppe_geo.grid import Grid, GridWindow, check_same_grid
from steppe_geo.mcda.aoi import _inside_window, _pixel_polygon, aoi_polygon
from steppe_geo.mcda.combine import OWAWeights, Rule, _check_gamma, combine_into, parse_rule
from steppe_geo.mcda.constraints import (
    RESERVED_BITS,
    Constraint,
    MinimumArea,
    RegionSizes,
    WindowRegions,
    bit_legend,
    bitmask_dtype,
    constraint_from_dict,
    evaluate_constraints,
    exclusion_bit_names,
    explain_exclusion,
    layer_availability,
    merge_window_regions,
    window_regions,
)
from steppe_geo.mcda.value_functions import ValueFunction, decode_nodata, value_function_from_dict
from steppe_geo.mcda.weights import AHPResult, normalize_weights

__all__ = [
    "Criterion",
    "Overlay",
    "OverlayResult",
    "evaluate",
    "evaluate_dask",
    "evaluate_streamed",
]

OUTPUT_NAMES = ("score", "eligible", "exclusion", "availability")
"""Files written by the streamed/Dask evaluation (``<name>.tif``), plus ``criteria.tif`` on request."""

ELIGIBLE_NODATA = 255
"""Nodata of ``eligible.tif`` (uint8 1 = eligible, 0 = not); the exclusion bitmask has no nodata."""

_BLOCK_PIXELS = 1 << 18  # pixels per block of the fused standardise + combine loop (cache-sized)


@dataclass(frozen=True)
class Criterion:
    """One criterion of an overlay.

    Parameters
    ----------
    name : str
        Criterion name (unique within the overlay), e.g. ``"wind_speed"``.
    function : ValueFunction or dict
        Standardises the layer to 0..1 (a dict is parsed with ``value_function_from_dict``).
    weight : float, default 1.0
        Importance weight (>= 0); the overlay normalises the weights to sum to 1.
    layer : str, optional
        Key of the input layer (defaults to ``name``).

    Examples
    --------
    >>> from steppe_geo.mcda import Criterion, Linear
    >>> Criterion("flatness", Linear(low=20, high=0), weight=2, layer="slope_deg").layer_key
    'slope_deg'
    """

    name: str
    function: ValueFunction
    weight: float = 1.0
    layer: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidParameterError(f"criterion name must be a non-empty string, got {self.name!r}")
        if isinstance(self.function, Mapping):
            object.__setattr__(self, "function", value_function_from_dict(self.function))
        if not isinstance(self.function, ValueFunction):
            raise InvalidParameterError(
                f"criterion {self.name!r}: function must be a ValueFunction (e.g. "
                f"value_function('linear', low=0, high=1)), got {type(self.function).__name__}"
            )
        try:
            w = float(self.weight)
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"criterion {self.name!r}: weight must be a number >= 0, got {self.weight!r}"
            ) from None
        if not math.isfinite(w) or w < 0:
            raise InvalidParameterError(f"criterion {self.name!r}: weight must be >= 0, got {self.weight!r}")
        object.__setattr__(self, "weight", w)
        if self.layer is None:
            object.__setattr__(self, "layer", self.name)
        if not isinstance(self.layer, str) or not self.layer:
            raise InvalidParameterError(
                f"criterion {self.name!r}: layer must be a non-empty string, got {self.layer!r}"
            )

    @property
    def layer_key(self) -> str:
        """Name of the input layer."""
        return self.layer or self.name

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (TOML-friendly)."""
        return {"name": self.name, "layer": self.layer_key, "weight": self.weight,
                "function": self.function.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Criterion:
        """Inverse of :meth:`to_dict`."""
        return cls(name=data["name"], function=value_function_from_dict(data["function"]),
                   weight=data.get("weight", 1.0), layer=data.get("layer"))


@dataclass(frozen=True)
class Overlay:
    """A frozen weighted-overlay description: criteria, constraints and a combination rule.

    Parameters
    ----------
    criteria : sequence of Criterion
        At least one; unique names.
    constraints : sequence of Constraint or MinimumArea, default ()
        In bit order of the exclusion bitmask (constraint ``i`` has bit ``i + 2``, after the
        reserved bits ``outside_aoi`` and ``no_data``); unique names, none of them reserved;
        applied after combination.
    rule : str or Rule, default "wlc"
        See :func:`steppe_geo.mcda.combine` (aliases such as ``"wpm"`` accepted).
    weights : sequence, mapping name → weight, or AHPResult, optional
        Overrides the criteria's own weights (must give one per criterion).
    order_weights : sequence of float, optional
        For ``rule="owa"``: order weights (>= 0, summing to 1), or give ``orness``.
    orness : float, optional
        For ``rule="owa"``: a target orness in ``[0, 1]`` (order weights from Yager's RIM
        quantifier).
    gamma : float, default 0.9
        For ``rule="fuzzy-gamma"``, within ``[0, 1]``.

    Attributes
    ----------
    normalized_weights : ndarray
        Weights scaled to sum to 1 (in criterion order); read-only.
    owa : OWAWeights or None
        Order weights with orness and trade-off (OWA only).

    Examples
    --------
    >>> from steppe_geo.mcda import Criterion, Linear, Overlay, ValueRange
    >>> ov = Overlay(
    ...     criteria=(Criterion("wind", Linear(4, 9), weight=3, layer="wind_speed"),
    ...               Criterion("flatness", Linear(20, 0), weight=1, layer="slope_deg")),
    ...     constraints=(ValueRange("steep", "slope_deg", max=15),),
    ... )
    >>> ov.normalized_weights.tolist(), ov.required_layers()
    ([0.75, 0.25], ['wind_speed', 'slope_deg'])
    """

    criteria: tuple[Criterion, ...]
    constraints: tuple[Constraint | MinimumArea, ...] = ()
    rule: Rule = Rule.WLC
    weights: Any = None
    order_weights: tuple[float, ...] | None = None
    orness: float | None = None
    gamma: float = 0.9
    normalized_weights: np.ndarray = field(init=False, repr=False, compare=False)
    owa: OWAWeights | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        crit = tuple(Criterion.from_dict(c) if isinstance(c, Mapping) else c for c in self.criteria)
        if not crit:
            raise InvalidParameterError("overlay needs at least one criterion, got none")
        names = [c.name for c in crit]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InvalidParameterError(f"overlay: duplicate criterion names {dup}")
        cons = tuple(constraint_from_dict(c) if isinstance(c, Mapping) else c for c in self.constraints)
        cnames = [c.name for c in cons]
        cdup = sorted({n for n in cnames if cnames.count(n) > 1})
        if cdup:
            raise InvalidParameterError(f"overlay: duplicate constraint names {cdup}")
        reserved = [n for n in cnames if n in RESERVED_BITS]
        if reserved:
            raise InvalidParameterError(
                f"overlay: constraint name(s) {reserved} are reserved for the exclusion bitmask's own bits "
                f"({', '.join(RESERVED_BITS)}); rename the constraint"
            )
        bitmask_dtype(len(cons))
        rule = parse_rule(self.rule)
        w = self.weights
        if isinstance(w, AHPResult):
            w = w.as_dict()
        if w is not None:
            if isinstance(w, Mapping):
                extra = [k for k in w if k not in names]
                if extra or len(w) != len(names):
                    raise InvalidParameterError(
                        f"overlay: {len(w)} weights for {len(names)} criteria; weights name "
                        f"{sorted(w)}, criteria are {names}"
                    )
                raw = [float(w[n]) for n in names]
            else:
                try:
                    raw = [float(x) for x in np.asarray(w, dtype=float).ravel()]
                except (TypeError, ValueError):
                    raise InvalidParameterError(
                        f"overlay: weights must be numbers, got {w!r} for criteria {names}"
                    ) from None
                if len(raw) != len(names):
                    raise InvalidParameterError(
                        f"overlay: {len(raw)} weights for {len(names)} criteria {names}"
                    )
            crit = tuple(Criterion(c.name, c.function, rw, c.layer) for c, rw in zip(crit, raw, strict=True))
        nw = normalize_weights([c.weight for c in crit], criteria=names)
        owa = None
        if rule is Rule.OWA:
            owa = OWAWeights.build(order_weights=self.order_weights, target_orness=self.orness, n=len(crit))
        elif self.order_weights is not None or self.orness is not None:
            raise InvalidParameterError(
                f"overlay: order_weights/orness only apply to rule 'owa', not {rule.value!r}"
            )
        gamma = _check_gamma(self.gamma)
        nw.setflags(write=False)  # frozen overlay: the weights cannot be changed in place
        object.__setattr__(self, "gamma", gamma)
        object.__setattr__(self, "criteria", crit)
        object.__setattr__(self, "constraints", cons)
        object.__setattr__(self, "rule", rule)
        object.__setattr__(self, "weights", None)
        if self.order_weights is not None:
            object.__setattr__(self, "order_weights", tuple(float(v) for v in self.order_weights))
        object.__setattr__(self, "normalized_weights", nw)
        object.__setattr__(self, "owa", owa)

    # ------------------------------------------------------------------ helpers
    @property
    def criterion_names(self) -> list[str]:
        """Criterion names in order."""
        return [c.name for c in self.criteria]

    @property
    def constraint_names(self) -> list[str]:
        """Constraint names in order (constraint ``i`` has bit ``i + 2`` of the exclusion bitmask)."""
        return [c.name for c in self.constraints]

    @property
    def exclusion_names(self) -> list[str]:
        """Names of the exclusion bitmask's bits: ``outside_aoi``, ``no_data``, then the constraints."""
        return exclusion_bit_names(self.constraints)

    def required_layers(self) -> list[str]:
        """Input layer keys the overlay reads (criteria first, then constraints), deduplicated."""
        keys = [c.layer_key for c in self.criteria] + [c.layer for c in self.constraints if c.layer]
        return list(dict.fromkeys(keys))

    def tags(self) -> dict[str, str]:
        """What produced a score, as text tags (``attrs`` in memory, GeoTIFF tags on disk).

        ``rule``, ``weights`` (JSON name → normalised weight), ``criteria`` (JSON list of
        name, layer and value function) and, by rule, ``order_weights``, ``orness`` and
        ``tradeoff`` (OWA) or ``gamma`` (fuzzy gamma).
        """
        t = {
            "rule": self.rule.value,
            "weights": json.dumps(dict(zip(self.criterion_names, map(float, self.normalized_weights),
                                           strict=True))),
            "criteria": json.dumps([{"name": c.name, "layer": c.layer_key, "function": c.function.label()}
                                    for c in self.criteria], ensure_ascii=False),
        }
        if self.owa is not None:
            t["order_weights"] = json.dumps(list(self.owa.weights))
            t["orness"] = repr(self.owa.orness)
            t["tradeoff"] = repr(self.owa.tradeoff)
        if self.rule is Rule.FUZZY_GAMMA:
            t["gamma"] = repr(self.gamma)
        return t

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (TOML-friendly)."""
        d: dict[str, Any] = {
            "rule": self.rule.value,
            "criteria": [c.to_dict() for c in self.criteria],
            "constraints": [c.to_dict() for c in self.constraints],
            "gamma": self.gamma,
        }
        if self.order_weights is not None:
            d["order_weights"] = list(self.order_weights)
        if self.orness is not None:
            d["orness"] = self.orness
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Overlay:
        """Inverse of :meth:`to_dict`."""
        return cls(criteria=tuple(data["criteria"]), constraints=tuple(data.get("constraints", ())),
                   rule=data.get("rule", "wlc"), order_weights=data.get("order_weights"),
                   orness=data.get("orness"), gamma=data.get("gamma", 0.9))


# ---------------------------------------------------------------------------- kernel
def _evaluate_window(
    overlay: Overlay,
    arrays: Mapping[str, np.ndarray],
    *,
    pixel_area_m2: float | None,
    nodata: Mapping[str, Any] | None = None,
    region_sizes: Mapping[int, RegionSizes] | None = None,
    with_criteria: bool = True,
    copy: bool = True,
    inside: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Evaluate one window (or the whole grid).

    Standardising and combining are fused, block by block of rows: each block of every
    criterion is standardised into the criteria stack (or, without ``with_criteria``, into a
    block-sized buffer) and combined while it is in cache. ``copy=False`` lets nodata be
    decoded in place (arrays read fresh from a file). ``inside`` is the window's AOI mask.
    """
    nodata = nodata or {}
    shape = next(iter(arrays.values())).shape
    rows, cols = shape
    decoded = {k: decode_nodata(v, nodata.get(k), copy=copy) for k, v in arrays.items()}
    bitmask, avail, eligible = evaluate_constraints(
        overlay.constraints, decoded, shape=shape, pixel_area_m2=pixel_area_m2, region_sizes=region_sizes,
        inside=inside, missing=_missing(overlay, decoded, shape),
    )
    n = len(overlay.criteria)
    block_rows = max(1, _BLOCK_PIXELS // max(cols, 1))
    stack = np.empty((n, rows if with_criteria else min(rows, block_rows), cols), dtype=np.float32)
    score = np.empty(shape, dtype=np.float32)
    flat_score, flat_ok = score.reshape(-1), eligible.reshape(-1)
    w = overlay.normalized_weights
    v = np.asarray(overlay.owa.weights) if overlay.owa else None
    for r0 in range(0, rows, block_rows):
        r1 = min(rows, r0 + block_rows)
        blk = stack[:, r0:r1] if with_criteria else stack[:, : r1 - r0]
        for i, c in enumerate(overlay.criteria):
            c.function.apply(decoded[c.layer_key][r0:r1], out=blk[i])
        out = flat_score[r0 * cols:r1 * cols]
        combine_into(blk.reshape(n, -1), w, overlay.rule, v, overlay.gamma, out)
        np.copyto(out, np.float32(np.nan), where=~flat_ok[r0 * cols:r1 * cols])
    result = {"score": score, "eligible": eligible, "exclusion": bitmask, "availability": avail}
    if with_criteria:
        result["criteria"] = stack
    return result


def _missing(overlay: Overlay, decoded: Mapping[str, np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """True where a criterion layer has no data (NaN) — the ``no_data`` bit (constraint layers add theirs)."""
    missing = np.zeros(shape, dtype=bool)
    for key in dict.fromkeys(c.layer_key for c in overlay.criteria):
        values = decoded[key]
        if np.issubdtype(values.dtype, np.floating):
            missing |= np.isnan(values)
    return missing


def _bit_legend(overlay: Overlay) -> str:
    return bit_legend(overlay.exclusion_names)


def _aoi_pixels(aoi: Any, grid: Grid) -> Any:
    """The AOI polygon in the grid's pixel coordinates (None without an AOI); it must cover a pixel centre."""
    if aoi is None:
        return None
    polygon = _pixel_polygon(aoi_polygon(aoi, crs=grid.crs), grid)
    rows, cols = grid.shape
    if not polygon.intersects(shapely.box(0, 0, cols, rows)):
        bounds = tuple(round(v, 1) for v in aoi_polygon(aoi, crs=grid.crs).bounds)
        raise InvalidParameterError(
            f"aoi does not overlap the grid ({grid.describe()}); its bounds in the grid's CRS are {bounds}: "
            "check that the AOI and the layers are of the same area"
        )
    return polygon


def _window_inside(aoi_pixels: Any, win: GridWindow) -> np.ndarray | None:
    if aoi_pixels is None:
        return None
    return _inside_window(aoi_pixels, int(win.core.row_off), int(win.core.col_off),
                          (int(win.core.height), int(win.core.width)))


def _area_connectivities(overlay: Overlay) -> list[int]:
    return sorted({c.connectivity for c in overlay.constraints if isinstance(c, MinimumArea)})


def _window_regions(overlay: Overlay, arrays: Mapping[str, np.ndarray], nodata: Mapping[str, Any],
                    shape: tuple[int, int], inside: np.ndarray | None = None) -> dict[int, WindowRegions]:
    """Labelling pass for one window: the edge labels of its eligible regions, per connectivity."""
    decoded = {k: decode_nodata(v, nodata.get(k), copy=False) for k, v in arrays.items()}
    _, avail = layer_availability(overlay.constraints, decoded, shape=shape, inside=inside,
                                  missing=_missing(overlay, decoded, shape))
    base = avail > 0
    return {conn: window_regions(base, connectivity=conn) for conn in _area_connectivities(overlay)}


def _merge_regions(overlay: Overlay, per_window: Sequence[Mapping[int, WindowRegions]],
                   wins: Sequence[GridWindow], grid: Grid) -> list[dict[int, tuple[np.ndarray, np.ndarray]]]:
    offsets = [(int(w.core.row_off), int(w.core.col_off)) for w in wins]
    merged: list[dict[int, tuple[np.ndarray, np.ndarray]]] = [{} for _ in wins]
    for conn in _area_connectivities(overlay):
        sizes = merge_window_regions([pw[conn] for pw in per_window], offsets, grid.shape, connectivity=conn)
        for k, m in enumerate(sizes):
            merged[k][conn] = m
    return merged


# ---------------------------------------------------------------------------- in memory
@dataclass(frozen=True)
class OverlayResult:
    """Outputs of an overlay evaluation (in memory).

    Attributes
    ----------
    score : DataArray float32
        Combined score in [0, 1]; NaN where the pixel is ineligible (availability 0: outside the
        AOI, a layer without data, excluded by a constraint).
    criteria : Dataset
        One float32 variable per standardised criterion (0..1, NaN = nodata).
    eligible : DataArray bool
        True = keep (inside the AOI, every layer has data, passes every constraint:
        availability > 0).
    exclusion : DataArray uint32/uint64
        Bit 0 ``outside_aoi``, bit 1 ``no_data``, bit ``i + 2`` set where constraint ``i``
        excluded (fully or partly) the pixel (names: ``overlay.exclusion_names``).
    availability : DataArray float32
        Available fraction 0..1 of each pixel (product of constraint availabilities).
    weights : dict name → float
        Normalised weights used.
    overlay : Overlay
    """

    score: xr.DataArray
    criteria: xr.Dataset
    eligible: xr.DataArray
    exclusion: xr.DataArray
    availability: xr.DataArray
    weights: dict[str, float]
    overlay: Overlay

    def excluded_by(self, bitmask: int) -> list[str]:
        """Names of the bits set in a bitmask value (``outside_aoi``, ``no_data``, constraints)."""
        return explain_exclusion(bitmask, self.overlay.constraints)

    def contributions(self) -> xr.Dataset:
        """Per-criterion contribution ``w_i · x_i`` to a WLC score (sums to the score where eligible)."""
        if self.overlay.rule is not Rule.WLC:
            raise InvalidParameterError(
                "contributions are additive only for rule 'wlc', this overlay uses "
                f"{self.overlay.rule.value!r}"
            )
        return xr.Dataset({n: (self.criteria[n] * self.weights[n]).where(self.eligible)
                           for n in self.weights})

    def explain(self, x: float, y: float) -> dict[str, Any]:
        """Why a location scored what it did.

        Parameters
        ----------
        x, y : float
            Map coordinates in the grid's CRS (the nearest pixel is used).

        Returns
        -------
        dict
            ``score``, ``eligible``, ``availability``, ``excluded_by`` (constraint names),
            and ``criteria``: name → {``value`` (standardised), ``weight``, ``contribution``
            (``w·x`` for WLC, else None)}.
        """
        sel = {"x": x, "y": y}
        bits = int(self.exclusion.sel(sel, method="nearest"))
        crit = {}
        for n, w in self.weights.items():
            val = float(self.criteria[n].sel(sel, method="nearest"))
            crit[n] = {"value": val, "weight": w,
                       "contribution": w * val if self.overlay.rule is Rule.WLC else None}
        return {
            "score": float(self.score.sel(sel, method="nearest")),
            "eligible": bool(self.eligible.sel(sel, method="nearest")),
            "availability": float(self.availability.sel(sel, method="nearest")),
            "excluded_by": self.excluded_by(bits),
            "criteria": crit,
        }


def _needed_layers(overlay: Overlay, available: Sequence[str]) -> list[str]:
    keys = overlay.required_layers()
    missing = [k for k in keys if k not in available]
    if missing:
        users = {k: [c.name for c in overlay.criteria if c.layer_key == k]
                 + [c.name for c in overlay.constraints if c.layer == k] for k in missing}
        raise MissingLayerError(
            f"overlay needs layers {missing} (used by {users}), which were not given; layers given: "
            f"{sorted(available)}{did_you_mean(missing[0], list(available))}"
        )
    return keys


def evaluate(overlay: Overlay, layers: Mapping[str, xr.DataArray], *, aoi: Any = None) -> OverlayResult:
    """Evaluate an overlay in memory.

    Parameters
    ----------
    overlay : Overlay
        What to evaluate.
    layers : mapping layer key → DataArray
        Aligned rasters (same CRS, transform and shape; dims ``("y", "x")``). A declared
        ``.rio.nodata`` is nodata for every dtype (NaN for floats read with steppe_geo, or e.g.
        -9999 or an integer code). Minimum-area constraints need a projected CRS.
    aoi : GeoDataFrame or GeoSeries, optional
        Area of interest (polygons, any CRS). Pixels whose centre is outside it get bit 0
        (``outside_aoi``) and are not eligible (:mod:`steppe_geo.mcda.aoi`). Without it every
        pixel is inside.

    Returns
    -------
    OverlayResult
        ``score`` (float32, attrs from :meth:`Overlay.tags`), ``criteria``, ``eligible``
        (bool), ``exclusion`` (uint32/uint64 bitmask, no nodata: 0 = excluded by none; bit 0
        ``outside_aoi``, bit 1 ``no_data``, bit ``i + 2`` constraint ``i``), ``availability``.

    Raises
    ------
    MissingLayerError
        A layer the overlay needs is missing (named, with who needs it).
    GridMismatchError
        Layers are on different grids (the message shows both grids).
    InvalidParameterError
        ``aoi`` has no polygon or does not overlap the grid; ``overlay`` is not an
        :class:`Overlay`, ``layers`` not a mapping or a needed layer not a DataArray.
    MissingCRSError
        ``aoi`` has no CRS.

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> import steppe_geo as sg
    >>> from steppe_geo.mcda import Criterion, Linear, Overlay, ValueRange, evaluate
    >>> grid = sg.Grid("EPSG:32649", Affine(30, 0, 400_000, 0, -30, 4_430_030), (1, 3))  # 30 m pixels
    >>> wind = grid.to_dataarray(np.array([[5.0, 9.0, 7.0]], dtype=np.float32), units="m/s")
    >>> slope = grid.to_dataarray(np.array([[0.0, 10.0, 18.0]], dtype=np.float32), units="degrees")
    >>> ov = Overlay((Criterion("wind", Linear(4, 9), 3), Criterion("flat", Linear(20, 0), 1, layer="slope")),
    ...              constraints=(ValueRange("steep", "slope", max=15),))
    >>> r = evaluate(ov, {"wind": wind, "slope": slope})
    >>> print(r.score.values)  # 0.75·0.2 + 0.25·1, 0.75·1 + 0.25·0.5, excluded (slope 18°)
    [[0.4   0.875   nan]]
    >>> r.excluded_by(int(r.exclusion.values[0, 2])), int(r.exclusion.values[0, 2])  # bit 2: 1st constraint
    (['steep'], 4)
    """
    if not isinstance(overlay, Overlay):
        raise InvalidParameterError(
            f"overlay must be a steppe_geo.mcda.Overlay, got {type(overlay).__name__}")
    if not isinstance(layers, Mapping):
        raise InvalidParameterError(
            f"layers must be a mapping layer key -> DataArray, got {type(layers).__name__}")
    keys = _needed_layers(overlay, list(layers))
    used = {k: layers[k] for k in keys}
    for k, v in used.items():
        if not isinstance(v, xr.DataArray):
            raise InvalidParameterError(
                f"layers[{k!r}] must be an xarray.DataArray with a CRS and a transform (e.g. "
                f"grid.to_dataarray(array) or steppe_geo.read_raster(path, grid=grid)), "
                f"got {type(v).__name__}")
    check_same_grid(used)
    grid = Grid.from_dataarray(used[keys[0]])
    pix = grid.pixel_area_m2 if any(isinstance(c, MinimumArea) for c in overlay.constraints) else None
    arrays = {k: np.asarray(v.values) for k, v in used.items()}
    nodata = {k: v.rio.nodata for k, v in used.items()}  # any dtype: a float -9999 is nodata too
    aoi_pixels = _aoi_pixels(aoi, grid)
    inside = None if aoi_pixels is None else _inside_window(aoi_pixels, 0, 0, grid.shape)
    out = _evaluate_window(overlay, arrays, pixel_area_m2=pix, nodata=nodata, inside=inside)
    score = grid.to_dataarray(out["score"], name="score", units="1", attrs=overlay.tags())
    template = score.copy(deep=False)
    template.attrs = {}

    def like(data: np.ndarray, name: str, attrs: dict[str, Any], *, float_nodata: bool) -> xr.DataArray:
        da = template.copy(deep=False, data=data)  # shares coords and CRS: no rebuild per layer
        da.name = name
        da.attrs = dict(attrs)
        if float_nodata:
            da.attrs["_FillValue"] = score.attrs["_FillValue"]
        return da

    crits = xr.Dataset({c.name: like(out["criteria"][i], c.name,
                                     {"units": "1", "value_function": c.function.label()}, float_nodata=True)
                        for i, c in enumerate(overlay.criteria)})
    eligible = like(out["eligible"], "eligible", {}, float_nodata=False)
    # no nodata: 0 means "excluded by no constraint", every value is data (as in exclusion.tif)
    exclusion = like(out["exclusion"], "exclusion", {"constraints": _bit_legend(overlay)}, float_nodata=False)
    availability = like(out["availability"], "availability", {"units": "1"}, float_nodata=True)
    weights = dict(zip(overlay.criterion_names, (float(w) for w in overlay.normalized_weights), strict=True))
    return OverlayResult(score, crits, eligible, exclusion, availability, weights, overlay)


# ---------------------------------------------------------------------------- streamed
def _source_grid(path: PathLike) -> tuple[Grid, Any]:
    import rasterio

    with rasterio.open(path) as ds:
        return Grid(ds.crs.to_wkt(), ds.transform, (ds.height, ds.width)), ds.nodata


def _check_sources(overlay: Overlay, sources: Mapping[str, PathLike], grid: Grid) -> tuple[list[str], dict]:
    keys = _needed_layers(overlay, list(sources))
    nodata = {}
    for k in keys:
        g, nd = _source_grid(sources[k])
        if not g.same_as(grid):
            raise GridMismatchError(
                f"source {k!r} ({sources[k]}) is not on the analysis grid:\n  {k}: {g.describe()}\n"
                f"  grid: {grid.describe()}\n"
                "align it first (steppe_geo.read_raster(..., grid=grid) and write it)"
            )
        nodata[k] = nd
    return keys, nodata


@contextlib.contextmanager
def _open_sources(sources: Mapping[str, PathLike], keys: Sequence[str]) -> Iterator[dict[str, Any]]:
    import rasterio

    with contextlib.ExitStack() as stack:
        yield {k: stack.enter_context(rasterio.open(sources[k])) for k in keys}


def _read_window(datasets: Mapping[str, Any], win: GridWindow) -> dict[str, np.ndarray]:
    return {k: ds.read(1, window=win.core) for k, ds in datasets.items()}


def _regions_task(overlay: Overlay, sources: Mapping[str, str], keys: Sequence[str],
                  nodata: Mapping[str, Any], win: GridWindow, aoi_pixels: Any) -> dict[int, WindowRegions]:
    with _open_sources(sources, keys) as ds:
        arrays = _read_window(ds, win)
    shape = (int(win.core.height), int(win.core.width))
    return _window_regions(overlay, arrays, nodata, shape, _window_inside(aoi_pixels, win))


def _window_task(overlay: Overlay, sources: Mapping[str, str], keys: Sequence[str], nodata: Mapping[str, Any],
                 win: GridWindow, pixel_area_m2: float | None, with_criteria: bool,
                 region_sizes: Mapping[int, RegionSizes] | None, aoi_pixels: Any) -> dict[str, np.ndarray]:
    with _open_sources(sources, keys) as ds:
        arrays = _read_window(ds, win)
    return _evaluate_window(overlay, arrays, pixel_area_m2=pixel_area_m2, nodata=nodata,
                            region_sizes=region_sizes, with_criteria=with_criteria, copy=False,
                            inside=_window_inside(aoi_pixels, win))


def _check_outputs(outputs: Sequence[str], write_criteria: bool) -> tuple[str, ...]:
    if isinstance(outputs, str):
        outputs = (outputs,)
    outs = tuple(outputs)
    bad = [o for o in outs if o not in OUTPUT_NAMES]
    if bad or not outs:
        raise InvalidParameterError(
            f"outputs: unknown or empty {bad or list(outs)}"
            f"{did_you_mean(str(bad[0]) if bad else '', OUTPUT_NAMES)} "
            f"Valid outputs are: {', '.join(OUTPUT_NAMES)}."
        )
    if not isinstance(write_criteria, bool):
        raise InvalidParameterError(f"write_criteria must be True or False, got {write_criteria!r}")
    return (*dict.fromkeys(outs), *(("criteria",) if write_criteria else ()))


def _check_cog(cog: Any) -> bool:
    if not isinstance(cog, bool):
        raise InvalidParameterError(f"cog must be True or False, got {cog!r}")
    return cog


def _output_specs(overlay: Overlay) -> dict[str, dict[str, Any]]:
    bits_dt = bitmask_dtype(len(overlay.constraints))
    return {
        "score": {"dtype": "float32", "units": "1", "tags": overlay.tags()},
        "eligible": {"dtype": "uint8", "nodata": ELIGIBLE_NODATA, "kind": "categorical"},
        # no nodata: 0 means "excluded by no constraint" (the same in memory)
        "exclusion": {"dtype": bits_dt.name, "nodata": None, "kind": "categorical",
                      "tags": {"constraints": _bit_legend(overlay)}},
        "availability": {"dtype": "float32", "units": "1"},
        "criteria": {"dtype": "float32", "count": len(overlay.criteria),
                     "band_names": overlay.criterion_names, "units": "1",
                     "tags": {"value_functions": json.dumps(
                         {c.name: c.function.label() for c in overlay.criteria}, ensure_ascii=False)}},
    }


@contextlib.contextmanager
def _writers(overlay: Overlay, grid: Grid, out_dir: Path, *, overwrite: bool, outputs: Sequence[str],
             protected: Sequence[PathLike]) -> Iterator[dict[str, Any]]:
    """Open one streamed COG writer per output; finalise them in parallel threads on success.

    Finalising a COG (GDAL's COG driver copying the staged GTiff, computing overviews and
    compressing) is most of a streamed run's writing time and runs in GDAL with the GIL
    released, so the outputs are finalised concurrently, one thread each. On an error every
    writer is closed in turn with the error, which removes its temporary files.
    """
    from steppe_geo.io import raster_writer

    specs = _output_specs(overlay)
    managers = [raster_writer(out_dir / f"{name}.tif", grid, overwrite=overwrite, protected=protected,
                              **specs[name]) for name in outputs]
    entered: list[Any] = []
    try:
        writers = {}
        for name, cm in zip(outputs, managers, strict=True):
            writers[name] = cm.__enter__()
            entered.append(cm)
        yield writers
    except BaseException as exc:
        for cm in reversed(entered):
            with contextlib.suppress(Exception):
                cm.__exit__(type(exc), exc, exc.__traceback__)
        raise
    with ThreadPoolExecutor(max_workers=max(1, len(entered)), thread_name_prefix="steppe-geo-cog") as pool:
        done = [pool.submit(cm.__exit__, None, None, None) for cm in entered]
    for fut in done:
        fut.result()  # re-raise the first finalisation error, after all have finished


@contextlib.contextmanager
def _tiled_writers(overlay: Overlay, grid: Grid, out_dir: Path, *, overwrite: bool, outputs: Sequence[str],
                   protected: Sequence[PathLike]) -> Iterator[dict[str, Any]]:
    """Open one plain tiled GeoTIFF writer per output (``cog=False``): no overviews, no compression.

    For a run's intermediates (``.work``), read back window by window: the same pixels, tags, band
    names and units as the COGs of :func:`_writers`, without their finalisation (building overviews
    and compressing a copy), which costs more than the overlay itself. Each file is written under a
    temporary name and renamed into place when every window is written; on an error the temporary
    files are removed and no destination is touched.
    """
    import os

    import rasterio

    from steppe_geo.io.atomic import check_output_path
    from steppe_geo.io.write import BLOCK, RasterWindowWriter, _tag_dict

    specs = _output_specs(overlay)
    dests = {name: check_output_path(out_dir / f"{name}.tif", overwrite=overwrite, protected=protected)
             for name in outputs}  # the checks of the COG writers: exists, an input, not writable
    tmps = {name: dest.with_name(f".steppe_geo-tmp-{os.getpid()}-{dest.name}")
            for name, dest in dests.items()}
    datasets: dict[str, Any] = {}
    try:
        writers = {}
        for name, tmp in tmps.items():
            spec = specs[name]
            dt = np.dtype(spec["dtype"])
            count = int(spec.get("count", 1))
            nodata = spec.get("nodata", math.nan if np.issubdtype(dt, np.floating) else None)
            kind = spec.get("kind") or ("continuous" if np.issubdtype(dt, np.floating) else "categorical")
            ds = rasterio.open(
                tmp, "w", driver="GTiff", width=grid.cols, height=grid.rows, count=count, dtype=dt.name,
                crs=rasterio.crs.CRS.from_wkt(grid.crs.to_wkt()), transform=grid.transform, nodata=nodata,
                tiled=True, blockxsize=BLOCK, blockysize=BLOCK, BIGTIFF="IF_SAFER", SPARSE_OK="TRUE",
                compress="none",
            )
            datasets[name] = ds
            ds.update_tags(**_tag_dict(spec.get("tags"), None, kind, spec.get("units")))
            for i in range(count):
                if spec.get("band_names"):
                    ds.set_band_description(i + 1, str(spec["band_names"][i]))
                if spec.get("units"):
                    ds.set_band_unit(i + 1, spec["units"])
            writers[name] = RasterWindowWriter(ds, grid, count)
        yield writers
    except BaseException:
        for ds in datasets.values():
            with contextlib.suppress(Exception):
                ds.close()
        for tmp in tmps.values():
            tmp.unlink(missing_ok=True)
        raise
    for ds in datasets.values():
        ds.close()
    for name, tmp in tmps.items():
        os.replace(tmp, dests[name])


def _write(writers: Mapping[str, Any], win: GridWindow, out: Mapping[str, np.ndarray]) -> None:
    for name, w in writers.items():
        arr = out[name]
        if name == "eligible":
            arr = arr.astype(np.uint8)
        w.write(arr, win.core)


T = TypeVar("T")


def _bar(items: Iterable[T], progress: bool | str, what: str, *, total: int | None = None) -> Iterable[T]:
    """``items`` wrapped in a tqdm bar counting windows (``"<label>: <what>"``), or unchanged."""
    if progress is False or progress is None:
        return items
    from tqdm import tqdm

    label = f"{progress}: {what}" if isinstance(progress, str) else what
    return tqdm(items, desc=label, unit="window", total=total, dynamic_ncols=True)


def _prepare(overlay: Overlay, sources: Mapping[str, PathLike], grid: Grid, window: int
             ) -> tuple[list[str], dict, float | None, list[GridWindow]]:
    """Checked sources (keys, nodata), the pixel area for minimum-area rules, and the windows."""
    if not isinstance(grid, Grid):
        raise InvalidParameterError(f"grid must be a steppe_geo.Grid, got {type(grid).__name__}")
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or int(window) <= 0:
        raise InvalidParameterError(f"window must be an integer > 0 pixels, got {window!r}")
    keys, nodata = _check_sources(overlay, sources, grid)
    needs_area = any(isinstance(c, MinimumArea) for c in overlay.constraints)
    pix = grid.pixel_area_m2 if needs_area else None
    return keys, nodata, pix, list(grid.windows(int(window)))


def evaluate_streamed(
    overlay: Overlay,
    sources: Mapping[str, PathLike],
    *,
    grid: Grid,
    out_dir: PathLike,
    window: int = 1024,
    write_criteria: bool = False,
    outputs: Sequence[str] = OUTPUT_NAMES,
    overwrite: bool = False,
    gdal_cache_mb: int = 256,
    aoi: Any = None,
    progress: bool | str = False,
    cog: bool = True,
) -> dict[str, Path]:
    """Evaluate an overlay window by window over aligned GeoTIFFs, writing COGs.

    Peak memory is set by ``window`` times the number of layers, not by the grid size
    (minimum-area constraints included: their region sizes come from a separate labelling
    pass over the layers, which keeps only the labels on window edges).

    Parameters
    ----------
    overlay : Overlay
        What to evaluate.
    sources : mapping layer key → path
        GeoTIFFs already on ``grid`` (same CRS, transform, shape). A file's declared nodata is
        nodata for every dtype.
    grid : Grid
        Analysis grid.
    out_dir : path
        Folder for ``score.tif`` (float32, NaN nodata; tags from :meth:`Overlay.tags`:
        rule, weights, criteria, OWA order weights/orness/trade-off), ``eligible.tif`` (uint8
        1/0, nodata 255), ``exclusion.tif`` (uint32/uint64 bitmask, no nodata; tag
        ``constraints`` is the bit legend), ``availability.tif`` (float32) and, with
        ``write_criteria=True``, ``criteria.tif`` (one float32 band per standardised
        criterion, named).
    window : int, default 1024
        Window size in pixels.
    write_criteria : bool, default False
        Also write ``criteria.tif``, so every score can be explained from the files. Off by
        default because it is the largest output (one band per criterion; see
        ``docs/mcda.md`` for its measured cost).
    outputs : sequence of str, default all of ("score", "eligible", "exclusion", "availability")
        Which of the four rasters to write.
    overwrite : bool, default False
        Replace existing outputs.
    gdal_cache_mb : int, default 256
        GDAL block-cache limit during the run (GDAL's default is 5 % of RAM, which would
        let the cache, not the window, set the peak memory).
    aoi : GeoDataFrame or GeoSeries, optional
        Area of interest (polygons): as in :func:`evaluate`, rasterised window by window.
    progress : bool or str, default False
        Show a tqdm progress bar per pass (windows done / total, rate, ETA) on standard error;
        a string labels the bars (e.g. the model's name).
    cog : bool, default True
        Write Cloud Optimized GeoTIFFs (DEFLATE, with overviews). ``False`` writes plain tiled,
        uncompressed GeoTIFFs with the same pixels, tags and band names, for intermediates read
        back window by window (a streamed run's ``.work`` files): finalising a COG (overviews,
        compression) costs more time than the overlay itself (``docs/scale.md``).

    Returns
    -------
    dict name → Path of the files written.

    Raises
    ------
    GridMismatchError
        A source is not on ``grid`` (both grids shown).
    MissingLayerError
        A layer the overlay needs has no source.
    InvalidParameterError
        An unknown output name, a window that is not a positive integer, or an ``aoi``
        without a polygon over the grid.
    """
    import rasterio

    keys, nodata, pix, wins = _prepare(overlay, sources, grid, window)
    aoi_pixels = _aoi_pixels(aoi, grid)
    out_dir = Path(out_dir)
    protected = [sources[k] for k in keys]
    outs = _check_outputs(outputs, write_criteria)
    open_writers = _writers if _check_cog(cog) else _tiled_writers
    with rasterio.Env(GDAL_CACHEMAX=int(gdal_cache_mb)):
        sizes: list[dict[int, tuple[np.ndarray, np.ndarray]]] | None = None
        if _area_connectivities(overlay):  # labelling pass (every layer: no data is not eligible)
            with _open_sources(sources, keys) as ds:
                per_window = [_window_regions(overlay, _read_window(ds, w), nodata,
                                              (int(w.core.height), int(w.core.width)),
                                              _window_inside(aoi_pixels, w))
                              for w in _bar(wins, progress, "minimum-area regions")]
            sizes = _merge_regions(overlay, per_window, wins, grid)
            del per_window
        with open_writers(overlay, grid, out_dir, overwrite=overwrite, outputs=outs,
                          protected=protected) as writers, _open_sources(sources, keys) as ds:
            for k, win in enumerate(_bar(wins, progress, "overlay")):
                out = _evaluate_window(overlay, _read_window(ds, win), pixel_area_m2=pix, nodata=nodata,
                                       region_sizes=sizes[k] if sizes else None,
                                       with_criteria="criteria" in writers, copy=False,
                                       inside=_window_inside(aoi_pixels, win))
                _write(writers, win, out)
    return {name: out_dir / f"{name}.tif" for name in outs}


def evaluate_dask(
    overlay: Overlay,
    sources: Mapping[str, PathLike],
    *,
    grid: Grid,
    out_dir: PathLike,
    client: Any = None,
    window: int = 1024,
    write_criteria: bool = False,
    outputs: Sequence[str] = OUTPUT_NAMES,
    overwrite: bool = False,
    aoi: Any = None,
    progress: bool | str = False,
    cog: bool = True,
) -> dict[str, Path]:
    """Evaluate an overlay on a ``dask.distributed`` cluster: one task per window.

    Workers open the sources and read their own windows (the paths must be reachable from
    the workers); the client collects each window's result as it completes and writes the
    COGs, so the files are identical to :func:`evaluate_streamed`'s. Minimum-area
    constraints add a first round of one labelling task per window (their edge labels are
    merged on the client).

    Parameters
    ----------
    overlay, sources, grid, out_dir, window, write_criteria, outputs, overwrite, aoi, progress, cog
        As in :func:`evaluate_streamed` (each task rasterises its window of the AOI; the bar counts
        windows as their tasks complete).
    client : distributed.Client, optional
        Defaults to the current client (``distributed.get_client()``).

    Returns
    -------
    dict name → Path of the files written.

    Raises
    ------
    InvalidParameterError
        If no client is given and none is active.
    """
    import distributed

    if client is None:
        try:
            client = distributed.get_client()
        except ValueError:
            raise InvalidParameterError(
                "evaluate_dask needs a distributed.Client (pass client=... or create one first)"
            ) from None
    keys, nodata, pix, wins = _prepare(overlay, sources, grid, window)
    aoi_pixels = _aoi_pixels(aoi, grid)
    out_dir = Path(out_dir)
    src = {k: str(Path(sources[k]).resolve()) for k in keys}
    protected = [sources[k] for k in keys]
    import rasterio

    outs = _check_outputs(outputs, write_criteria)
    open_writers = _writers if _check_cog(cog) else _tiled_writers
    overlay_f = client.scatter(overlay, broadcast=True)
    aoi_f = client.scatter(aoi_pixels, broadcast=True) if aoi_pixels is not None else None
    sizes: list[Any] = [None] * len(wins)
    if _area_connectivities(overlay):
        rfuts = [client.submit(_regions_task, overlay_f, src, keys, nodata, w, aoi_f, pure=False)
                 for w in wins]
        for _ in _bar(distributed.as_completed(rfuts), progress, "minimum-area regions", total=len(wins)):
            pass
        sizes = list(_merge_regions(overlay, client.gather(rfuts), wins, grid))
        del rfuts
    with rasterio.Env(GDAL_CACHEMAX=256), open_writers(overlay, grid, out_dir, overwrite=overwrite,
                                                       outputs=outs, protected=protected) as writers:
        futures = [client.submit(_window_task, overlay_f, src, keys, nodata, w, pix, "criteria" in writers,
                                 sizes[k], aoi_f, pure=False) for k, w in enumerate(wins)]  # one per window
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in _bar(distributed.as_completed(futures), progress, "overlay", total=len(wins)):
            _write(writers, wins[index[fut.key]], fut.result())
            fut.release()
    return {name: out_dir / f"{name}.tif" for name in outs}
