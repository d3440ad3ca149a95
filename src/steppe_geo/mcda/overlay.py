"""Declarative weighted overlay: :class:`Criterion`, :class:`Overlay`, and its evaluation.

The same per-window kernel runs three ways (DESIGN.md "same answer, three ways"):

1. :func:`evaluate` — in memory, on aligned DataArrays;
2. :func:`evaluate_streamed` — window by window over aligned GeoTIFFs, writing COGs;
3. :func:`evaluate_dask` — each window a ``dask.distributed`` task; workers read their
   own windows from the files; the client writes the results.

Every step of the kernel is element-wise except :class:`MinimumArea`, which is handled
with a halo of ``min_pixels`` pixels around each window (exact; see its docstring), so the
three give identical outputs.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from steppe_geo._typing import PathLike
from steppe_geo._validation import check_same_grid, did_you_mean, parse_choice
from steppe_geo.errors import GridMismatchError, InvalidParameterError, MissingLayerError
from steppe_geo.grid import Grid, GridWindow
from steppe_geo.mcda.combine import OWAWeights, Rule, combine
from steppe_geo.mcda.constraints import (
    Constraint,
    MinimumArea,
    bitmask_dtype,
    constraint_from_dict,
    evaluate_constraints,
    explain_exclusion,
)
from steppe_geo.mcda.value_functions import ValueFunction, value_function_from_dict
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
        w = float(self.weight)
        if not math.isfinite(w) or w < 0:
            raise InvalidParameterError(f"criterion {self.name!r}: weight must be >= 0, got {self.weight!r}")
        object.__setattr__(self, "weight", w)
        if self.layer is None:
            object.__setattr__(self, "layer", self.name)

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
        In bit order of the exclusion bitmask; unique names; applied after combination.
    rule : str or Rule, default "wlc"
        See :func:`steppe_geo.mcda.combine`.
    weights : sequence, mapping name → weight, or AHPResult, optional
        Overrides the criteria's own weights (must give one per criterion).
    order_weights, orness : optional
        For ``rule="owa"``: the order weights, or a target orness in ``[0, 1]``.
    gamma : float, default 0.9
        For ``rule="fuzzy-gamma"``.

    Attributes
    ----------
    normalized_weights : ndarray
        Weights scaled to sum to 1 (in criterion order).
    owa : OWAWeights or None
        Order weights with orness and trade-off (OWA only).
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
        bitmask_dtype(len(cons))
        rule = parse_choice(Rule, self.rule, param="rule")
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
                raw = [float(x) for x in np.asarray(w, dtype=float).ravel()]
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
        if not 0 <= float(self.gamma) <= 1:
            raise InvalidParameterError(f"gamma must be within [0, 1], got {self.gamma!r}")
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
        """Constraint names in bit order."""
        return [c.name for c in self.constraints]

    def required_layers(self) -> list[str]:
        """Input layer keys the overlay reads (criteria first, then constraints), deduplicated."""
        keys = [c.layer_key for c in self.criteria] + [c.layer for c in self.constraints if c.layer]
        return list(dict.fromkeys(keys))

    def halo(self, pixel_area_m2: float) -> int:
        """Pixels of halo a window needs (only minimum-area constraints need one)."""
        return max([c.min_pixels(pixel_area_m2) for c in self.constraints if isinstance(c, MinimumArea)],
                   default=0)

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
    inner: tuple[slice, slice] | None = None,
    nodata: Mapping[str, Any] | None = None,
) -> dict[str, np.ndarray]:
    """Evaluate one (halo-padded) window; outputs cover ``inner`` (default: everything)."""
    nodata = nodata or {}
    any_arr = next(iter(arrays.values()))
    shape = any_arr.shape
    inner = inner or (slice(0, shape[0]), slice(0, shape[1]))
    decoded = {k: _decode(v, nodata.get(k)) for k, v in arrays.items()}
    bitmask, avail, eligible = evaluate_constraints(
        overlay.constraints, decoded, shape=shape, pixel_area_m2=pixel_area_m2
    )
    bitmask, avail, eligible = bitmask[inner], avail[inner], eligible[inner]
    core_shape = bitmask.shape
    stack = np.empty((len(overlay.criteria), *core_shape), dtype=np.float32)
    for i, c in enumerate(overlay.criteria):
        stack[i] = c.function.apply(decoded[c.layer_key][inner])
    score = combine(stack, overlay.normalized_weights, rule=overlay.rule,
                    order_weights=overlay.owa.weights if overlay.owa else None, gamma=overlay.gamma)
    score[~eligible] = np.nan
    return {"score": score, "criteria": stack, "eligible": eligible, "exclusion": bitmask,
            "availability": avail}


def _bit_legend(overlay: Overlay) -> str:
    return ", ".join(f"bit {i}: {n}" for i, n in enumerate(overlay.constraint_names))


def _decode(values: np.ndarray, nodata: Any) -> np.ndarray:
    v = np.asarray(values)
    if nodata is None or (isinstance(nodata, float) and math.isnan(nodata)):
        return v
    v = v.astype(np.float64) if not np.issubdtype(v.dtype, np.floating) else v.copy()
    v[v == nodata] = np.nan
    return v


# ---------------------------------------------------------------------------- in memory
@dataclass(frozen=True)
class OverlayResult:
    """Outputs of an overlay evaluation (in memory).

    Attributes
    ----------
    score : DataArray float32
        Combined score in [0, 1]; NaN where the pixel is ineligible (availability 0) or any
        criterion is nodata.
    criteria : Dataset
        One float32 variable per standardised criterion (0..1, NaN = nodata).
    eligible : DataArray bool
        True = keep (passes every constraint, availability > 0).
    exclusion : DataArray uint32/uint64
        Bit ``i`` set where constraint ``i`` excluded (fully or partly) the pixel.
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
        """Constraint names for a bitmask value."""
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


def evaluate(overlay: Overlay, layers: Mapping[str, xr.DataArray]) -> OverlayResult:
    """Evaluate an overlay in memory.

    Parameters
    ----------
    overlay : Overlay
    layers : mapping layer key → DataArray
        Aligned rasters (same CRS, transform and shape; dims ``("y", "x")``); float with NaN
        nodata, or integer with ``.rio.nodata``. Minimum-area constraints need a projected CRS.

    Returns
    -------
    OverlayResult

    Raises
    ------
    MissingLayerError
        A layer the overlay needs is missing (named, with who needs it).
    GridMismatchError
        Layers are on different grids (the message shows both grids).
    """
    keys = _needed_layers(overlay, list(layers))
    used = {k: layers[k] for k in keys}
    check_same_grid(used)
    grid = Grid.from_dataarray(used[keys[0]])
    pix = grid.pixel_area_m2 if any(isinstance(c, MinimumArea) for c in overlay.constraints) else None
    arrays = {k: np.asarray(v.values) for k, v in used.items()}
    nodata = {k: v.rio.nodata for k, v in used.items() if not np.issubdtype(v.dtype, np.floating)}
    out = _evaluate_window(overlay, arrays, pixel_area_m2=pix, nodata=nodata)
    bits_dt = out["exclusion"].dtype
    score = grid.to_dataarray(out["score"], name="score", units="1")
    crits = xr.Dataset({c.name: grid.to_dataarray(out["criteria"][i], name=c.name, units="1")
                        for i, c in enumerate(overlay.criteria)})
    eligible = grid.to_dataarray(out["eligible"], name="eligible")
    exclusion = grid.to_dataarray(out["exclusion"], name="exclusion", nodata=bits_dt.type(0))
    exclusion.attrs["constraints"] = _bit_legend(overlay)
    availability = grid.to_dataarray(out["availability"], name="availability", units="1")
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
    return {k: ds.read(1, window=win.padded) for k, ds in datasets.items()}


def _window_task(overlay: Overlay, sources: Mapping[str, str], keys: Sequence[str], nodata: Mapping[str, Any],
                 win: GridWindow, pixel_area_m2: float | None, with_criteria: bool) -> dict[str, np.ndarray]:
    with _open_sources(sources, keys) as ds:
        arrays = _read_window(ds, win)
    out = _evaluate_window(overlay, arrays, pixel_area_m2=pixel_area_m2, inner=win.inner, nodata=nodata)
    if not with_criteria:
        out.pop("criteria")
    return out


def _check_outputs(outputs: Sequence[str], write_criteria: bool) -> tuple[str, ...]:
    outs = tuple(outputs)
    bad = [o for o in outs if o not in OUTPUT_NAMES]
    if bad or not outs:
        raise InvalidParameterError(
            f"outputs: unknown or empty {bad or list(outs)}"
            f"{did_you_mean(str(bad[0]) if bad else '', OUTPUT_NAMES)} "
            f"Valid outputs are: {', '.join(OUTPUT_NAMES)}."
        )
    return (*dict.fromkeys(outs), *(("criteria",) if write_criteria else ()))


@contextlib.contextmanager
def _writers(overlay: Overlay, grid: Grid, out_dir: Path, *, overwrite: bool, outputs: Sequence[str],
             protected: Sequence[PathLike]) -> Iterator[dict[str, Any]]:
    from steppe_geo.io import raster_writer

    bits_dt = bitmask_dtype(len(overlay.constraints))
    specs: dict[str, dict[str, Any]] = {
        "score": {"dtype": "float32", "units": "1"},
        "eligible": {"dtype": "uint8", "nodata": ELIGIBLE_NODATA, "kind": "categorical"},
        "exclusion": {"dtype": bits_dt.name, "nodata": None, "kind": "categorical",
                      "tags": {"constraints": _bit_legend(overlay)}},
        "availability": {"dtype": "float32", "units": "1"},
    }
    specs["criteria"] = {"dtype": "float32", "count": len(overlay.criteria),
                         "band_names": overlay.criterion_names, "units": "1"}
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(raster_writer(out_dir / f"{name}.tif", grid, overwrite=overwrite,
                                                       protected=protected, **specs[name]))
               for name in outputs}


def _write(writers: Mapping[str, Any], win: GridWindow, out: Mapping[str, np.ndarray]) -> None:
    for name, w in writers.items():
        arr = out[name]
        if name == "eligible":
            arr = arr.astype(np.uint8)
        w.write(arr, win.core)


def _prepare(overlay: Overlay, sources: Mapping[str, PathLike], grid: Grid, window: int
             ) -> tuple[list[str], dict, float | None, list[GridWindow]]:
    if not isinstance(grid, Grid):
        raise InvalidParameterError(f"grid must be a steppe_geo.Grid, got {type(grid).__name__}")
    if int(window) <= 0:
        raise InvalidParameterError(f"window must be > 0 pixels, got {window!r}")
    keys, nodata = _check_sources(overlay, sources, grid)
    needs_area = any(isinstance(c, MinimumArea) for c in overlay.constraints)
    pix = grid.pixel_area_m2 if needs_area else None
    halo = overlay.halo(pix) if pix else 0
    return keys, nodata, pix, list(grid.windows(int(window), halo=halo))


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
) -> dict[str, Path]:
    """Evaluate an overlay window by window over aligned GeoTIFFs, writing COGs.

    Peak memory is set by ``window`` (and the halo of minimum-area constraints) times the
    number of layers, not by the grid size.

    Parameters
    ----------
    overlay : Overlay
    sources : mapping layer key → path
        GeoTIFFs already on ``grid`` (same CRS, transform, shape).
    grid : Grid
        Analysis grid.
    out_dir : path
        Folder for ``score.tif`` (float32, NaN nodata), ``eligible.tif`` (uint8 1/0),
        ``exclusion.tif`` (uint32/uint64 bitmask), ``availability.tif`` (float32) and, with
        ``write_criteria=True``, ``criteria.tif`` (one band per standardised criterion).
    window : int, default 1024
        Core window size in pixels.
    write_criteria : bool, default False
    outputs : sequence of str, default all of ("score", "eligible", "exclusion", "availability")
        Which of the four rasters to write.
    overwrite : bool, default False
        Replace existing outputs.
    gdal_cache_mb : int, default 256
        GDAL block-cache limit during the run (GDAL's default is 5 % of RAM, which would
        let the cache, not the window, set the peak memory).

    Returns
    -------
    dict name → Path of the files written.

    Raises
    ------
    GridMismatchError
        A source is not on ``grid`` (both grids shown).
    MissingLayerError
        A layer the overlay needs has no source.
    """
    import rasterio

    keys, nodata, pix, wins = _prepare(overlay, sources, grid, window)
    out_dir = Path(out_dir)
    protected = [sources[k] for k in keys]
    outs = _check_outputs(outputs, write_criteria)
    with rasterio.Env(GDAL_CACHEMAX=int(gdal_cache_mb)), \
            _writers(overlay, grid, out_dir, overwrite=overwrite, outputs=outs,
                     protected=protected) as writers, _open_sources(sources, keys) as ds:
        for win in wins:
            out = _evaluate_window(overlay, _read_window(ds, win), pixel_area_m2=pix, inner=win.inner,
                                   nodata=nodata)
            _write(writers, win, out)
    return {name: out_dir / f"{name}.tif" for name in writers}


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
) -> dict[str, Path]:
    """Evaluate an overlay on a ``dask.distributed`` cluster: one task per window.

    Workers open the sources and read their own windows (the paths must be reachable from
    the workers); the client collects each window's result as it completes and writes the
    COGs, so the files are identical to :func:`evaluate_streamed`'s.

    Parameters
    ----------
    overlay, sources, grid, out_dir, window, write_criteria, outputs, overwrite
        As in :func:`evaluate_streamed`.
    client : distributed.Client, optional
        Defaults to the current client (``distributed.get_client()``).

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
    out_dir = Path(out_dir)
    src = {k: str(Path(sources[k]).resolve()) for k in keys}
    protected = [sources[k] for k in keys]
    import rasterio

    overlay_f = client.scatter(overlay, broadcast=True)
    outs = _check_outputs(outputs, write_criteria)
    with rasterio.Env(GDAL_CACHEMAX=256), _writers(overlay, grid, out_dir, overwrite=overwrite, outputs=outs,
                                                   protected=protected) as writers:
        futures = [client.submit(_window_task, overlay_f, src, keys, nodata, w, pix, write_criteria,
                                 pure=False) for w in wins]  # one task per window
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in distributed.as_completed(futures):
            _write(writers, wins[index[fut.key]], fut.result())
            fut.release()
    return {name: out_dir / f"{name}.tif" for name in writers}
