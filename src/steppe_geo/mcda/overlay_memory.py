"""The overlay's per-window kernel and its evaluation in memory: :func:`evaluate` → :class:`OverlayResult`.

The kernel (standardise, combine, constraints and the exclusion bitmask, the AOI and no-data bits)
runs on one window's arrays; :func:`evaluate` runs it on aligned DataArrays, and
:mod:`~steppe_geo.mcda.overlay_windows` window by window over files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import xarray as xr

from steppe_geo._validation import did_you_mean
from steppe_geo.errors import InvalidParameterError, MissingLayerError
from steppe_geo.grid import Grid, GridWindow, check_same_grid
from steppe_geo.mcda.aoi import _inside_window, _pixel_polygon, aoi_polygon
from steppe_geo.mcda.combine import Rule, combine_into
from steppe_geo.mcda.constraints import (
    MinimumArea,
    RegionSizes,
    WindowRegions,
    bit_legend,
    evaluate_constraints,
    explain_exclusion,
    layer_availability,
    merge_window_regions,
    window_regions,
)
from steppe_geo.mcda.overlay_spec import Overlay
from steppe_geo.mcda.value_functions import decode_nodata

__all__ = ["OverlayResult", "evaluate"]

_BLOCK_PIXELS = 1 << 18  # pixels per block of the fused standardise + combine loop (cache-sized)


# ---------------------------------------------------------------------------- kernel
def _evaluate_window(
    overlay: Overlay,
    arrays: Mapping[str, np.ndarray],
    *,
    pixel_area_m2: float | None,
    nodata: Mapping[str, Any] | None = None,
    region_sizes: RegionSizes | None = None,
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
            c.function.apply(decoded[c.layer][r0:r1], out=blk[i])
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
    for key in dict.fromkeys(c.layer for c in overlay.criteria):
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
        users = {k: [c.name for c in overlay.criteria if c.layer == k]
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
