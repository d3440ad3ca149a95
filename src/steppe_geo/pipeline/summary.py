"""Summaries of a run: per model, per constraint, per parcel set (``summary.json``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from steppe_geo.config import Config, ModelConfig
from steppe_geo.grid import Grid
from steppe_geo.pipeline.results import ModelOutput, ParcelOutput
from steppe_geo.pipeline.write import _declares_zero_nodata


def _model_summary(mc: ModelConfig, res: ModelOutput, grid: Grid) -> dict[str, Any]:
    eligible = np.asarray(res.eligible.values)
    score = np.asarray(res.score.values)
    out: dict[str, Any] = {
        "model": mc.label,
        "eligible_fraction": float(eligible.mean()),
        "eligible_ha": round(float(eligible.sum()) * grid.pixel_area_m2 / 1e4, 2),
        "mean_score": float(np.nanmean(score)) if np.isfinite(score).any() else float("nan"),
        "weights": res.weights, "constraints": res.constraint_names,
        "exclusions": exclusion_areas(res, pixel_area_m2=grid.pixel_area_m2),
    }
    if res.ahp is not None:
        a = res.ahp
        out["ahp"] = {"cr": float(a.cr), "ci": float(a.ci), "lambda_max": float(a.lambda_max),
                      "consistent": a.consistent,
                      "judgements": {f"{j.row}/{j.col}": j.value for j in mc.ahp}}
    return out


def exclusion_areas(res: ModelOutput, *, pixel_area_m2: float) -> list[dict[str, Any]]:
    """Area each constraint of a model excluded, from its exclusion bitmask.

    Parameters
    ----------
    res : ModelOutput
    pixel_area_m2 : float
        Area of one pixel of the analysis grid.

    Returns
    -------
    list of dict
        One row per constraint in bit order: ``bit``, ``constraint``, ``excluded_ha`` (pixels the
        constraint excluded, overlaps with other constraints included) and ``only_this_ha``
        (pixels no other constraint excluded), then a row ``any constraint`` with the union.
    """
    bits = np.asarray(res.exclusion.values)
    if not _declares_zero_nodata(res.exclusion):  # a reserved "no data" code is no exclusion
        bits = np.where(bits == res.exclusion.rio.nodata, 0, bits)
    bits = bits.astype(np.uint64, copy=False)
    ha = pixel_area_m2 / 1e4
    rows = []
    for i, name in enumerate(res.constraint_names):
        flag = np.uint64(1) << np.uint64(i)
        mine = (bits & flag) != 0
        rows.append({"bit": i, "constraint": name, "excluded_ha": round(float(mine.sum()) * ha, 2),
                     "only_this_ha": round(float((bits == flag).sum()) * ha, 2)})
    rows.append({"bit": None, "constraint": "any constraint",
                 "excluded_ha": round(float((bits != 0).sum()) * ha, 2), "only_this_ha": None})
    return rows


def _parcel_summary(po: ParcelOutput, cfg: Config) -> dict[str, Any]:
    ranked = po.ranked
    k = cfg.parcels.top_k if cfg.parcels else 10
    top = ranked.head(k)
    out: dict[str, Any] = {
        "parcels": len(ranked),
        "scored": int(ranked["score"].notna().sum()),
        "top": [str(i) for i in (top[cfg.parcels.id_column] if cfg.parcels and cfg.parcels.id_column
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
        "",
        "rasters (aligned):",
    ]
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
            lines.append(f"  {k:<18} eligible {m.get('eligible_fraction', 0):.1%}  mean score "
                         f"{m.get('mean_score', float('nan')):.3f}")
    lines += ["", "files:"] + [f"  {f}" for f in summary.get("files", [])]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- models
