"""Summaries of a run: per model, per constraint, per parcel set (``summary.json``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rasterio
import xarray as xr

from steppe_geo._deprecation import RenamedKeysDict
from steppe_geo.config import Config, ModelConfig
from steppe_geo.grid import Grid
from steppe_geo.io import read_window
from steppe_geo.io.warp import GDAL_CACHE_MB
from steppe_geo.mcda import NO_DATA, OUTSIDE_AOI, aoi_mask, aoi_polygon
from steppe_geo.mcda.aoi import _inside_window, _pixel_polygon
from steppe_geo.pipeline.results import InputLayers, ModelOutput, ParcelOutput
from steppe_geo.pipeline.write import _declares_zero_nodata

log = logging.getLogger(__name__)

NO_DATA_WARN_FRACTION = 0.01
"""A model's summary warns when pixels without data exceed this share of the AOI."""


WINDOW = 2048
"""Window (pixels) of the per-window accumulation of a model's statistics (memory and windowed runs)."""


def _bits_of(exclusion: xr.DataArray) -> np.ndarray:
    """An exclusion bitmask (block) as uint64, a reserved "no data" code (from a file) read as 0."""
    bits = np.asarray(exclusion.values)
    if not _declares_zero_nodata(exclusion):  # a reserved "no data" code is no exclusion
        bits = np.where(bits == exclusion.rio.nodata, 0, bits)
    return bits.astype(np.uint64, copy=False)


def _model_blocks(res: ModelOutput, grid: Grid, window: int = WINDOW
                  ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(score, eligible, bits)`` of each window of the grid, in the same order in every mode.

    In streamed and Dask runs (``res.files``) each window is read from the model's tiled files
    (:func:`steppe_geo.io.read_window`), never the whole grid; in memory mode it is a slice of the
    arrays. The same windows in the same order give the same sums in both.
    """
    for win in grid.windows(window):
        if res.files:
            score = np.asarray(read_window(res.files["score"], win.core, name="score").values)
            eligible = np.asarray(read_window(res.files["eligible"], win.core, name="eligible").values) == 1
            bits = _bits_of(read_window(res.files["exclusion"], win.core, name="exclusion"))
        else:
            r, c = win.core_slices
            score = np.asarray(res.score.values[r, c])
            eligible = np.asarray(res.eligible.values[r, c], dtype=bool)
            bits = _bits_of(res.exclusion.isel(y=r, x=c))
        yield score, eligible, bits


@dataclass
class _ModelCounts:
    """Pixel counts and score sums of a model, accumulated window by window (exact integers)."""

    n_bits: int
    outside_bit: int | None
    no_data_bit: int | None
    inside: int = 0
    eligible_inside: int = 0
    no_data_inside: int = 0
    union_inside: int = 0
    not_excluded: int = 0
    score_sum: float = 0.0
    score_count: int = 0
    excluded: list[int] = field(default_factory=list)
    only: list[int] = field(default_factory=list)

    def add(self, score: np.ndarray, eligible: np.ndarray, bits: np.ndarray) -> None:
        outside = self._flag(bits, self.outside_bit)
        inside = ~outside
        self.inside += int(inside.sum())
        self.eligible_inside += int((eligible & inside).sum())
        self.no_data_inside += int((self._flag(bits, self.no_data_bit) & inside).sum())
        self.union_inside += int(((bits != 0) & inside).sum())
        self.not_excluded += int((bits == 0).sum())
        for i in range(self.n_bits):
            flag = np.uint64(1) << np.uint64(i)
            mine, only = (bits & flag) != 0, bits == flag
            if i != self.outside_bit:
                mine, only = mine & inside, only & inside
            self.excluded[i] += int(mine.sum())
            self.only[i] += int(only.sum())
        finite = np.isfinite(score)
        self.score_sum += float(np.sum(score[finite], dtype=np.float64))
        self.score_count += int(finite.sum())

    @staticmethod
    def _flag(bits: np.ndarray, bit: int | None) -> np.ndarray:
        if bit is None:
            return np.zeros(bits.shape, dtype=bool)
        return (bits & (np.uint64(1) << np.uint64(bit))) != 0


def _count(res: ModelOutput, grid: Grid, window: int = WINDOW) -> _ModelCounts:
    """A model's counts over the whole grid, accumulated window by window."""
    names = list(res.constraint_names)
    counts = _ModelCounts(len(names), names.index(OUTSIDE_AOI) if OUTSIDE_AOI in names else None,
                          names.index(NO_DATA) if NO_DATA in names else None)
    counts.excluded, counts.only = [0] * len(names), [0] * len(names)
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):  # the window, not GDAL's block cache, sets the memory
        for score, eligible, bits in _model_blocks(res, grid, window):
            counts.add(score, eligible, bits)
    return counts


def _model_summary(mc: ModelConfig, res: ModelOutput, grid: Grid,
                   counts: _ModelCounts | None = None) -> dict[str, Any]:
    """A model's summary: eligible land and no-data land as areas and as shares of the AOI.

    Accumulated window by window (from the model's files in a streamed or Dask run): counts are
    exact integers and the mean score a float64 sum over the windows, the same in every mode.
    ``counts``: :func:`_count` of the model when already made (the maps' legends use them too).
    """
    c = counts if counts is not None else _count(res, grid)
    ha = grid.pixel_area_m2 / 1e4
    n_inside = c.inside
    no_data_fraction = float(c.no_data_inside / n_inside) if n_inside else float("nan")
    out: dict[str, Any] = {
        "model": mc.label,
        "aoi_ha": round(n_inside * ha, 2),
        "eligible_fraction": float(c.eligible_inside / n_inside) if n_inside else float("nan"),
        "eligible_ha": round(float(c.eligible_inside) * ha, 2),
        "no_data_ha": round(float(c.no_data_inside) * ha, 2),
        "no_data_fraction": no_data_fraction,
        "mean_score": c.score_sum / c.score_count if c.score_count else float("nan"),
        "weights": res.weights, "constraints": res.constraint_names,
        "exclusions": _exclusion_rows(c, list(res.constraint_names), pixel_area_m2=grid.pixel_area_m2),
        "notes": list(getattr(res.result, "notes", ())),
        "warnings": [],
    }
    if no_data_fraction > NO_DATA_WARN_FRACTION:
        layers = ", ".join(_layers_read(res)) or "its input layers"
        msg = (f"model {res.name!r}: {no_data_fraction:.1%} of the AOI ({out['no_data_ha']:,.0f} ha) has "
               f"no data in a layer it reads ({layers}) and is not eligible (exclusion bit 'no_data'); "
               "check the inputs' coverage of the AOI")
        out["warnings"].append(msg)
        log.warning(msg)
    if res.ahp is not None:
        a = res.ahp
        out["ahp"] = {"cr": float(a.cr), "ci": float(a.ci), "lambda_max": float(a.lambda_max),
                      "consistent": a.consistent,
                      "judgements": {f"{j.row}/{j.col}": j.value for j in mc.ahp}}
    return out


def exclusion_areas(res: ModelOutput, *, pixel_area_m2: float) -> list[dict[str, Any]]:
    """Area each bit of a model's exclusion bitmask excluded, within the AOI.

    Counted window by window: in a streamed or Dask run (``res.files``) from the model's
    ``exclusion`` file, never reading the whole grid.

    Parameters
    ----------
    res : ModelOutput
        ``res.constraint_names`` names the bits in order (``outside_aoi``, ``no_data``, then the
        constraints).
    pixel_area_m2 : float
        Area of one pixel of the analysis grid.

    Returns
    -------
    list of dict
        One row per bit in order: ``bit``, ``constraint``, ``excluded_ha``, ``only_this_ha``
        (excluded by no other bit) and ``share_of_aoi`` (``excluded_ha`` / AOI area). The
        ``outside_aoi`` row gives the grid's area outside the AOI (no share); every other row
        counts only pixels inside the AOI, overlaps with other bits included. A last row
        ``any constraint`` gives the union inside the AOI.
    """
    grid = Grid.from_dataarray(res.exclusion)
    return _exclusion_rows(_count(res, grid), list(res.constraint_names), pixel_area_m2=pixel_area_m2)


def _exclusion_rows(c: _ModelCounts, names: list[str], *, pixel_area_m2: float) -> list[dict[str, Any]]:
    n_inside = c.inside
    ha = pixel_area_m2 / 1e4

    def share(count: int) -> float | None:
        return round(count / n_inside, 6) if n_inside else None

    rows = []
    for i, name in enumerate(names):
        if name == OUTSIDE_AOI:
            rows.append({"bit": i, "constraint": name, "excluded_ha": round(float(c.excluded[i]) * ha, 2),
                         "only_this_ha": round(float(c.only[i]) * ha, 2), "share_of_aoi": None})
            continue
        rows.append({"bit": i, "constraint": name, "excluded_ha": round(c.excluded[i] * ha, 2),
                     "only_this_ha": round(float(c.only[i]) * ha, 2),
                     "share_of_aoi": share(c.excluded[i])})
    union = c.union_inside
    rows.append({"bit": None, "constraint": "any constraint", "excluded_ha": round(union * ha, 2),
                 "only_this_ha": None, "share_of_aoi": share(union)})
    return rows


def _layers_read(res: ModelOutput) -> list[str]:
    """The layers a model's overlay reads (for messages), if known."""
    model = res.model
    overlay = model.overlay() if callable(getattr(model, "overlay", None)) else model
    required = getattr(overlay, "required_layers", None)
    return list(required()) if callable(required) else []


def aoi_summary(layers: InputLayers) -> dict[str, Any]:
    """The AOI's area: of its polygon(s) and of the grid pixels whose centre is inside.

    Parameters
    ----------
    layers : InputLayers
        With ``layers.aoi`` set (None: the whole grid is the AOI).

    Returns
    -------
    dict
        ``polygon_ha`` (the AOI polygons' area in the grid's CRS, which for the default
        equal-area grid is the true area; None without an AOI) and ``pixels_ha`` (pixels inside
        × pixel area, the denominator of every share in the summary), counted window by window.
    """
    g = layers.grid
    ha = g.pixel_area_m2 / 1e4
    if layers.aoi is None:
        return {"polygon_ha": None, "pixels_ha": round(g.rows * g.cols * ha, 2)}
    polygon = aoi_polygon(layers.aoi, crs=g.crs)
    pixels = _pixel_polygon(polygon, g)
    inside = 0
    for win in g.windows(WINDOW):  # counted window by window: never a whole-grid mask
        core = win.core
        inside += int(_inside_window(pixels, int(core.row_off), int(core.col_off),
                                     (int(core.height), int(core.width))).sum())
    if not inside:
        aoi_mask(layers.aoi, grid=g)  # raises: the AOI covers no pixel centre of the grid
    return {"polygon_ha": round(float(polygon.area) / 1e4, 2), "pixels_ha": round(inside * ha, 2)}


def _parcel_summary(po: ParcelOutput, cfg: Config) -> dict[str, Any]:
    ranked = po.ranked
    k = cfg.parcels.top_k if cfg.parcels else 10
    top = ranked.head(k)
    # "top_k" was "top" before 0.2.0: RunResult.summary still answers to it (with a warning); summary.json
    # holds "top_k" only
    out: dict[str, Any] = RenamedKeysDict({}, {"top": "top_k"}, what="summary['parcels'][model]",
                                          since="0.2.0")
    out |= {
        "parcels": len(ranked),
        "outside_aoi": po.outside_aoi,
        "scored": int(ranked["score"].notna().sum()),
        "top_k": [str(i) for i in (top[cfg.parcels.id_column] if cfg.parcels and cfg.parcels.id_column
                                 and cfg.parcels.id_column in top.columns else top.index)],
        "regions": 0 if po.regions is None else len(po.regions),
    }
    if po.selection is not None:
        sel = po.selection
        out["selection"] = {"selected": int(sel.selected.sum()), "objective": float(sel.objective),
                            "bound": float(sel.bound), "gap": float(sel.gap),
                            "total_area_ha": float(sel.total_cost), "status": str(sel.status),
                            "budget_ha": cfg.parcels.budget_ha if cfg.parcels else None}
    return out

def _summary_text(summary: Mapping[str, Any]) -> str:
    g = summary["grid"]
    lines = [
        f"steppe-geo run: {summary['name']}",
        f"grid: {g['shape'][0]} rows x {g['shape'][1]} cols at {g['resolution_m']:g} m, {g['crs_name']}",
        f"load and align: {summary['load_and_align_seconds']} s; total {summary.get('total_seconds', '?')} s",
    ]
    aoi = summary.get("aoi")
    if aoi:
        poly = f"polygon {aoi['polygon_ha']:,.0f} ha, " if aoi.get("polygon_ha") is not None else ""
        lines.append(f"AOI: {poly}{aoi['pixels_ha']:,.0f} ha of pixels inside (shares below are of this)")
    lines += ["", "rasters (aligned):"]
    for k, r in summary["rasters"].items():
        rng = f"{r['min']:.4g}..{r['max']:.4g}" if "min" in r else f"classes {r.get('classes', [])[:10]}"
        units = r.get("units") or ""
        cov = f"  AOI {r['aoi_coverage']:.1%}" if "aoi_coverage" in r else ""
        src = f"  source px {r['source_pixel_size_m']:,.0f} m" if "source_pixel_size_m" in r else ""
        lines.append(f"  {k:<18} {r['dtype']:<8} {units:<12} valid {r['valid_fraction']:.1%}{cov}  "
                     f"{rng}{src}")
    lines += [f"  WARNING {w}" for w in summary.get("input_warnings", [])]
    lines += ["", "vectors:"]
    for k, v in summary["vectors"].items():
        lines.append(f"  {k:<18} {v['features']:>6} features  {', '.join(v['geometry_types'])}")
    if summary.get("models"):
        lines += ["", "models:"]
        for k, m in summary["models"].items():
            lines.append(f"  {k:<18} eligible {m.get('eligible_fraction', 0):.1%} of the AOI "
                         f"({m.get('eligible_ha', 0):,.0f} ha)  no data {m.get('no_data_fraction', 0):.1%}  "
                         f"mean score {m.get('mean_score', float('nan')):.3f}")
            lines += [f"    note: {n}" for n in m.get("notes", [])]
        warnings = [w for m in summary["models"].values() for w in m.get("warnings", [])]
        if warnings:
            lines += ["", "warnings:"] + [f"  {w}" for w in warnings]
    lines += ["", "files:"] + [f"  {f}" for f in summary.get("files", [])]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- models
