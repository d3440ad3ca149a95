"""Maps and the HTML report of a run."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from tqdm import tqdm

from steppe_geo.config import Config, ModelConfig
from steppe_geo.criteria import hillshade
from steppe_geo.criteria.drift import DRIFT_ENERGY_CLASSES, classify_drift_energy
from steppe_geo.errors import InvalidParameterError
from steppe_geo.grid import Grid
from steppe_geo.io import MAP_MAX_PIXELS, atomic_path, read_decimated, read_window, save_figure, write_text
from steppe_geo.mcda import RESERVED_BITS
from steppe_geo.models.desertification import ESA_LABELS, classify_esa
from steppe_geo.pipeline.results import InputLayers, ModelOutput, ParcelOutput
from steppe_geo.pipeline.summary import WINDOW, _count, _ModelCounts


def _hillshade(layers: InputLayers) -> xr.DataArray | None:
    """The basemap: hillshade of the DEM (in windowed runs of its decimated read, at the map's pixels)."""
    if layers.files:
        if "dem" not in layers.files:
            return None
        return hillshade(read_decimated(layers.files["dem"], resampling="average"))
    dem = layers.layers.get("dem")
    return hillshade(dem) if dem is not None else None


def _exclusion_legend(res: ModelOutput, grid: Grid, counts: _ModelCounts | None = None) -> dict[str, float]:
    """Legend areas (ha) of an exclusion map, counted window by window on the full-resolution bitmask.

    As :func:`steppe_geo.maps.plot_exclusions` counts them: each bit inside the AOI (``outside_aoi``:
    all of its pixels) and ``eligible`` (no bit set; the files of a run declare no nodata).
    ``counts``: the model's counts when the summary made them already (the same window pass).
    """
    counts = counts if counts is not None else _count(res, grid)
    ha = grid.pixel_area_m2 / 1e4
    areas = {name: counts.excluded[i] * ha for i, name in enumerate(res.constraint_names)}
    areas["eligible"] = counts.not_excluded * ha
    return areas


def _esa_shares(path: Path, grid: Grid) -> list[float]:
    """Share of each ESA class (codes 1–8) among the classified pixels, from ``esai`` window by window."""
    counts = np.zeros(len(ESA_LABELS) + 1, dtype=np.int64)
    for win in grid.windows(WINDOW):
        codes = classify_esa(np.asarray(read_window(path, win.core, name="esai").values))
        counts += np.bincount(codes.ravel(), minlength=len(counts))[:len(counts)]
    total = max(int(counts[1:].sum()), 1)
    return [int(c) / total for c in counts[1:]]


def _map_layers(res: ModelOutput, layers: InputLayers, *, max_pixels: int | None = None,
                counts: _ModelCounts | None = None) -> dict[str, Any]:
    """What a model's maps draw: the arrays (decimated reads of the files in windowed runs) and legends.

    Memory mode draws the in-memory arrays, as before. Streamed and Dask runs (``res.files``) read
    each raster at most :data:`steppe_geo.io.MAP_MAX_PIXELS` wide (:func:`steppe_geo.io.read_decimated`:
    average for the score, nearest for the bitmask and the ESAI behind the classes, so classes and
    bits stay real values; a grid that fits is read whole, the same arrays as memory mode) and
    count the legends' areas and shares window by window at full resolution (the exclusion areas
    from ``counts`` when the summary counted them already).
    """
    extra = getattr(res.result, "layers", None)
    # the ESA map belongs to the desertification models (restoration derives the same classes)
    is_esa = str(getattr(res.model, "name", "")).startswith("desertification")
    out: dict[str, Any] = {}
    if not res.files:
        out["score"], out["exclusion"] = res.score, res.exclusion
        if is_esa and extra is not None and "esa_class" in extra:
            out["esa_class"] = extra["esa_class"].rio.write_crs(layers.grid.crs).rio.write_transform(
                layers.grid.transform)
        return out
    for part in ("score", "exclusion"):
        out.update(_read_map_layer(part, res.files, layers.grid, max_pixels=max_pixels))
    out["exclusion_areas_ha"] = _exclusion_legend(res, layers.grid, counts)
    if is_esa and "esai" in res.files:
        out.update(_read_map_layer("esa_class", res.files, layers.grid, max_pixels=max_pixels))
    return out


def _read_map_layer(part: str, files: Mapping[str, Path], grid: Grid, *,
                    max_pixels: int | None = None) -> dict[str, Any]:
    """One map's array of a windowed run, read decimated from the model's files (see :func:`_map_layers`).

    ``part``: ``score`` (average), ``exclusion`` (nearest) or ``esa_class`` (the ESAI read nearest,
    then classified; with ``esa_shares`` counted window by window at full resolution).
    """
    size = MAP_MAX_PIXELS if max_pixels is None else max_pixels
    if part == "esa_class":
        esai = read_decimated(files["esai"], max_pixels=size, resampling="nearest")
        return {"esa_class": classify_esa(esai), "esa_shares": _esa_shares(files["esai"], grid)}
    method = "average" if part == "score" else "nearest"
    return {part: read_decimated(files[part], max_pixels=size, resampling=method)}


@dataclass(frozen=True)
class _MapJob:
    """One map of a run: what to draw (``kind``, the keyword arguments of its plot) and where it goes.

    In a windowed run a raster map names the model's files (``files``, ``part``) instead of holding
    its array, so the job is small and picklable (one Dask task per map): the decimated read
    happens where the map is drawn.
    """

    stem: str
    caption: str
    kind: str
    kwargs: Mapping[str, Any]
    files: Mapping[str, Path] = field(default_factory=dict)
    part: str = ""
    grid: Grid | None = None


def _draw(job: _MapJob, hillshade: xr.DataArray | None = None) -> Any:
    """Draw the map of ``job`` (score maps over ``hillshade``); returns its figure."""
    from steppe_geo import maps

    kwargs = dict(job.kwargs)
    if job.kind == "score":
        kwargs["hillshade"] = hillshade
    if job.files:  # a windowed run: the array is read (decimated) here
        if job.grid is None:
            raise InvalidParameterError(f"map {job.stem!r}: a job that reads files needs their grid")
        read = _read_map_layer(job.part, job.files, job.grid)
        if job.part == "esa_class":
            kwargs["classes"], kwargs["shares"] = read["esa_class"], read["esa_shares"]
        else:
            kwargs[{"score": "score", "exclusion": "bitmask"}[job.part]] = read[job.part]
    plots: dict[str, Callable[..., Any]] = {
        "score": maps.plot_suitability, "exclusions": maps.plot_exclusions,
        "esa_classes": maps.plot_esa_classes, "parcels": maps.plot_ranked_parcels,
        "stability": maps.plot_rank_stability,
        "turbines": maps.plot_turbine_layout, "hybrid": maps.plot_complementarity}
    return plots[job.kind](**kwargs).figure


def _render_map(job: _MapJob, folder: Path, formats: Sequence[str], source_date_epoch: str | None,
                hillshade: xr.DataArray | None = None) -> bytes:
    """Draw a map, write it into ``folder`` in every format and return its PNG (for the report).

    Runs in this process or as a Dask task on a worker. ``source_date_epoch``: the run's
    ``SOURCE_DATE_EPOCH`` (fixed PDF dates), set here too, since a worker has its own environment.
    ``hillshade``: the basemap of score maps.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from steppe_geo import maps

    fig = _draw(job, hillshade)
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        if source_date_epoch is not None:
            os.environ["SOURCE_DATE_EPOCH"] = source_date_epoch
        png = maps.figure_png(fig, dpi=110)  # one PNG rendering serves the file and the report
        for fmt in formats:
            if fmt == "png":
                with atomic_path(folder / f"{job.stem}.png") as tmp:
                    tmp.write_bytes(png)
            else:
                save_figure(fig, folder / f"{job.stem}.{fmt}")
    finally:
        if source_date_epoch is not None and previous != source_date_epoch:
            if previous is None:
                os.environ.pop("SOURCE_DATE_EPOCH", None)
            else:
                os.environ["SOURCE_DATE_EPOCH"] = previous
        plt.close(fig)
    return png


def _render_maps(jobs: Sequence[_MapJob], folder: Path, formats: Sequence[str], *,
                 hillshade: Any = None, client: Any = None, progress: bool) -> dict[str, bytes]:
    """Render every map (in this process, or one Dask task per map); stem → PNG bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    with tqdm(total=len(jobs), desc="maps", unit="map", disable=not progress) as bar:
        if client is None:
            pngs = {}
            for job in jobs:
                pngs[job.stem] = _render_map(job, folder, formats, epoch, hillshade)
                bar.update()
            return pngs
        import distributed

        if formats:
            folder.mkdir(parents=True, exist_ok=True)  # the workers write into it
        futures = {client.submit(_render_map, job, folder, tuple(formats), epoch, hillshade,
                                 pure=False): job.stem for job in jobs}
        pngs = {}
        for fut in distributed.as_completed(futures):
            pngs[futures[fut]] = fut.result()
            bar.update()
        return {job.stem: pngs[job.stem] for job in jobs}


def _aoi_text(aoi: Mapping[str, Any] | None) -> str:
    if not aoi:
        return "Area of interest: the whole grid."
    poly = f"polygon {aoi['polygon_ha']:,.0f} ha; " if aoi.get("polygon_ha") is not None else ""
    return (f"Area of interest: {poly}{aoi['pixels_ha']:,.0f} ha of grid pixels whose centre is inside it. "
            "Pixels outside it are excluded (bit 0, outside_aoi); every share in this report is of this "
            "area.")


def _model_tables(name: str, res: ModelOutput, mc: ModelConfig | None,
                  summary: Mapping[str, Any]) -> list[str]:
    from steppe_geo.maps import table_html, text_html

    label = mc.label if mc is not None else "model"
    blocks = [text_html(f"{name}: {label}")]
    model = res.model
    if model is not None and callable(getattr(model, "describe", None)):
        blocks.append(table_html(model.describe(),
                                 caption=f"{name}: criteria, value functions, weights, sources"))
    elif model is not None and hasattr(model, "criteria"):
        rows = [{"criterion": c.name, "layer": c.layer, "value function": c.function.label(),
                 "weight": res.weights.get(c.name, float("nan"))} for c in model.criteria]
        blocks.append(table_html(rows, caption=f"{name}: criteria (rule {model.rule.value})"))
        if model.constraints:
            first = len(RESERVED_BITS)
            crows = [{"bit": i + first, **c.to_dict()} for i, c in enumerate(model.constraints)]
            blocks.append(table_html(crows, caption=f"{name}: constraints in bit order (bits 0 and 1: "
                                                    f"{', '.join(RESERVED_BITS)})"))
    else:
        rows = [{"criterion": k, "weight": v} for k, v in res.weights.items()]
        blocks.append(table_html(rows, caption=f"{name}: weights"))
    info = summary["models"].get(name, {})
    for warning in info.get("warnings", []):
        blocks.append(text_html(f"Warning: {warning}", note=True))
    if info.get("exclusions"):
        blocks.append(table_html(
            info["exclusions"],
            caption=f"{name}: land excluded by each bit (ha inside the AOI, share = of the AOI's "
                    f"{info.get('aoi_ha', float('nan')):,.0f} ha; 'only this' = excluded by no other bit; "
                    f"outside_aoi: the grid outside the AOI); eligible "
                    f"{info.get('eligible_ha', float('nan')):,.0f} ha = "
                    f"{info.get('eligible_fraction', float('nan')):.1%} of the AOI"))
    if not [n for n in res.constraint_names if n not in RESERVED_BITS]:
        blocks.append(text_html(f"{name}: no constraints; all land inside the AOI with data is eligible.",
                                note=True))
    blocks += [text_html(f"{name}: {n}", note=True) for n in info.get("notes", [])]
    return blocks


def _weights_blocks(results: Mapping[str, ModelOutput], cfg: Config) -> list[str]:
    from steppe_geo.maps import table_html, text_html

    if not results:
        return [text_html("No model was run.")]
    rows = []
    for n, r in results.items():
        a = r.ahp
        if a is None:
            method, cr = "direct weights", "no CR (no pairwise judgements)"
        else:
            method = f"AHP ({len(a.criteria)} criteria, λmax = {a.lambda_max:.3f}, CI = {a.ci:.3f})"
            verdict = "consistent" if a.consistent else "inconsistent: revise the judgements"
            cr = f"CR = {a.cr:.3f} ({verdict}; Saaty's threshold 0.10)" if np.isfinite(a.cr) \
                else "CR not defined (more than 10 criteria)"
        rows.append({"model": n, "weights": method, "consistency": cr})
    blocks = [table_html(rows, caption="how the weights were set"),
              table_html([{"model": n, "criterion": c, "weight": w}
                          for n, r in results.items() for c, w in r.weights.items()],
                         caption="normalised criterion weights")]
    for n, r in results.items():
        if r.ahp is None or n not in cfg.models:
            continue
        judged = [{"judgement": f"{j.row} vs {j.col}", "value": j.value,
                   "implied by the weights": float(r.ahp.as_dict()[j.row] / r.ahp.as_dict()[j.col])}
                  for j in cfg.models[n].ahp]
        blocks.append(table_html(judged, caption=f"{n}: AHP pairwise judgements (Saaty 1–9) and the ratio "
                                                 "of the resulting weights"))
    return blocks


def _drift_layer(res: ModelOutput, layers: InputLayers, key: str) -> xr.DataArray | None:
    """The drift layer a model read: derived (memory mode), an input raster, or its aligned file."""
    extra = getattr(res.result, "layers", None)
    if extra is not None and key in extra:
        return extra[key]
    if key in layers.layers:
        return layers.layers[key]
    if key in layers.files:
        return read_decimated(layers.files[key], resampling="average")
    return None


def _drift_blocks(results: Mapping[str, ModelOutput], layers: InputLayers) -> list[str]:
    """The "Sand drift" section: for each model with a ``sand_drift`` criterion, its drift layer's figures."""
    from steppe_geo.maps import table_html, text_html

    blocks: list[str] = []
    for name, res in results.items():
        model = res.model
        crit = {c.name: c for c in getattr(model, "criteria", ())}.get("sand_drift")
        if crit is None:
            continue
        key = crit.layer
        source = getattr(model, "sources", {}).get("sand_drift", "")
        blocks.append(text_html(f"{name}: criterion sand_drift on layer {key} (vector units, VU; "
                                f"weight {res.weights.get('sand_drift', crit.weight):.3g}). {source}"))
        da = _drift_layer(res, layers, key)
        if da is None:
            continue
        v = np.asarray(da.values, dtype=np.float64)
        # the bitmask as the exclusion map draws it (decimated like the drift layer in windowed runs)
        bitmask = _read_map_layer("exclusion", res.files, layers.grid)["exclusion"] if res.files \
            else res.exclusion
        exclusion = np.asarray(bitmask.values)
        if exclusion.shape == v.shape:  # pixels inside the AOI only (bit 0: outside_aoi)
            v = np.where((exclusion.astype(np.int64) & 1) == 0, v, np.nan)
        v = v[np.isfinite(v)]
        if v.size == 0:
            blocks.append(text_html(f"{name}: the drift layer has no valid pixel.", note=True))
            continue
        codes = classify_drift_energy(v)
        row: dict[str, float | str] = {"min (VU)": float(v.min()), "median (VU)": float(np.median(v)),
                                       "max (VU)": float(v.max())}
        for code, (label, low, high) in DRIFT_ENERGY_CLASSES.items():
            bounds = (f"< {high:g}" if low == 0 else f"≥ {low:g}" if high == float("inf")
                      else f"{low:g}–{high:g}")
            row[f"{label} ({bounds} VU)"] = f"{float((codes == code).mean()):.1%}"
        blocks.append(table_html([row], caption=f"{name}: drift potential over the AOI's valid pixels and "
                                                "the share of them in each energy class (Fryberger & Dean "
                                                "1979)"))
    return blocks


def _maps_and_report(stage: Path, cfg: Config, layers: InputLayers, results: Mapping[str, ModelOutput],
                     summary: Mapping[str, Any], parcels: Mapping[str, ParcelOutput] | None = None, *,
                     progress: bool, client: Any = None,
                     counts: Mapping[str, _ModelCounts] | None = None) -> None:
    """Maps (PNG/PDF) of every model and the self-contained HTML report.

    Each map is drawn and written by :func:`_render_map`: in this process, or with a Dask
    ``client`` as one task per map on the workers (windowed runs: the task reads its raster
    decimated from the model's files). ``counts``: each model's pixel counts when the summary
    made them already (:func:`steppe_geo.pipeline.summary._count`), for the exclusion legends.
    """
    from steppe_geo import maps

    version = summary["provenance"].get("steppe_geo", "")
    note = f"{cfg.name} — grid {layers.grid.resolution_m:g} m; steppe_geo {version}"
    hill = _hillshade(layers)
    if hill is not None and client is not None:
        hill = client.scatter(hill, broadcast=True)  # once to every worker, not once per map
    aoi = layers.aoi
    counts = counts or {}
    figures: list[_MapJob] = []
    basemap = " over the hillshade" if hill is not None else ""
    for name, res in results.items():
        grid = layers.grid
        if res.files:  # windowed: each map reads its raster (decimated) where it is drawn
            files = {k: Path(v) for k, v in res.files.items()}
            score_kw: dict[str, Any] = {}
            excl_kw: dict[str, Any] = {"areas_ha": _exclusion_legend(res, grid, counts.get(name))}
            is_esa = str(getattr(res.model, "name", "")).startswith("desertification") and "esai" in files
            esa_kw: dict[str, Any] | None = {} if is_esa else None
        else:
            files = {}
            drawn = _map_layers(res, layers)
            score_kw, excl_kw = {"score": drawn["score"]}, {"bitmask": drawn["exclusion"]}
            esa_kw = {"classes": drawn["esa_class"]} if "esa_class" in drawn else None
        figures.append(_MapJob(f"{name}_score", f"{name}: score (0–1){basemap}", "score",
                               {**score_kw, "title": f"{name}: score", "note": note, "aoi": aoi},
                               files, "score", grid))
        if res.constraint_names:
            figures.append(_MapJob(
                f"{name}_exclusions", f"{name}: land excluded, by constraint", "exclusions",
                {**excl_kw, "constraint_names": res.constraint_names, "title": f"{name}: exclusions",
                 "note": note, "aoi": aoi}, files, "exclusion", grid))
        if esa_kw is not None:
            figures.append(_MapJob(f"{name}_esa_classes", f"{name}: environmentally sensitive areas",
                                   "esa_classes", {**esa_kw, "title": f"{name}: ESA classes", "note": note,
                                                   "aoi": aoi}, files, "esa_class", grid))
    parcels = parcels or {}
    pc = cfg.parcels
    tc = pc.turbines if pc is not None else None
    id_col = pc.id_column if pc is not None else None
    label = pc.name_column if pc is not None else None
    parcel_blocks: list[str] = []
    selection_blocks: list[str] = []
    stability_blocks: list[str] = []
    turbine_blocks: list[str] = []
    hybrid_blocks: list[tuple[list[str], str | None, str]] = []  # (text blocks, chart figure stem, caption)
    for name, po in parcels.items():
        if tc is not None and po.turbines is not None and po.turbine_summary is not None:  # turbines
            laid = po.ranked.loc[po.turbine_summary.index].to_crs(layers.grid.crs)
            figures.append(_MapJob(
                f"{name}_turbines", f"{name}: turbines on the {len(laid)} best parcels", "turbines",
                {"points": po.turbines, "regions": laid, "title": f"{name}: turbine layouts",
                 "note": f"{note}; {tc.curve}, {tc.along_d:g} D × {tc.across_d:g} D, "
                         f"Jensen k = {tc.wake_decay:g}"}))
            ts = po.turbine_summary
            turbine_blocks += [
                maps.text_html(f"{int(ts['turbines'].sum())} turbines, {ts['capacity_mw'].sum():,.0f} MW "
                               f"on the {len(ts)} best-ranked parcels of {name}; net "
                               f"{ts['net_mwh_yr'].sum() / 1e3:,.0f} GWh/yr after wakes "
                               f"(gross {ts['gross_mwh_yr'].sum() / 1e3:,.0f} GWh/yr)."),
                maps.table_html(pd.DataFrame(ts.drop(columns=ts.geometry.name)).round(1),
                                caption=f"{name}: turbine layouts per parcel (Jensen/Park "
                                                     "wakes; MWh/yr; direction the wind blows from, °)"),
            ]
        if po.hybrid_profiles is not None:  # [parcels.hybrid]
            hybrid_blocks.append(_hybrid_blocks(name, po, cfg, figures))
        k = min(pc.top_k if pc else 10, int(po.ranked["score"].notna().sum()))
        ranked = po.ranked.to_crs(layers.grid.crs)
        # parcels are named by their id column; without one, by their row in the parcel layer
        if id_col is not None and id_col in po.ranked.columns:
            ids = po.ranked[id_col].astype(str)
            id_name = id_col
        else:
            ids = pd.Series([f"row {i}" for i in range(len(po.ranked))], index=po.ranked.index)
            id_name = "parcel (row in the layer, from 0)"
        figures.append(_MapJob(f"{name}_parcels", f"{name}: parcels by score (top {k} outlined and numbered)",
                               "parcels", {"parcels": ranked, "column": "score", "top_k": k,
                                           "label_column": None, "title": f"{name}: parcels ranked by score",
                                           "note": note, "aoi": aoi}))
        lab = label if label in po.ranked.columns and label != id_col else None
        cols = [c for c in ("rank", lab, "score", "eligible_area_ha", "aoi_area_ha", "capacity_mw",
                            "capacity_basis",
                            "energy_gwh", "percentile")
                if c and c in po.ranked.columns]
        # share_* (additive, WLC only) and gain_* (score if that criterion were perfect, any rule)
        shares = [c for c in po.ranked.columns if str(c).startswith("share_")]
        cols += shares + [c for c in po.ranked.columns if str(c).startswith("gain_")]
        explained = (("share_* = % of score; " if shares else "")
                     + "gain_* = score gained if that criterion were 1")

        def with_ids(frame: pd.DataFrame, columns: Sequence[str], ids: pd.Series = ids,
                     id_name: str = id_name) -> pd.DataFrame:
            out = frame[list(columns)].copy()
            out.insert(0, id_name, ids.reindex(frame.index).to_numpy())
            return out.reset_index(drop=True)

        parcel_blocks.append(maps.table_html(with_ids(po.ranked.head(k), cols),
                                             caption=f"{name}: top {k} parcels ({explained})"))
        if po.stability is not None:
            stab = po.stability.join(po.ranked[["rank"]].astype(float), how="left")
            stab = stab.assign(parcel=ids.reindex(stab.index).to_numpy())
            draws = pc.n_draws if pc else 0
            how = "AHP judgements ±1 Saaty step" if results[name].ahp is not None else "Dirichlet weights"
            figures.append(_MapJob(
                f"{name}_rank_stability", f"{name}: base rank and 5–95 % rank interval", "stability",
                {"table": stab, "rank": "base_rank", "probability": "p_top_k", "n": min(20, len(stab)),
                 "label_column": "parcel", "title": f"{name}: rank stability ({draws} draws, {how})",
                 "note": f"{note}; bars: 5–95 % rank interval; % = share of draws in the top {k}"}))
            top = stab.sort_values("base_rank").head(k)
            stability_blocks.append(maps.table_html(
                with_ids(top, [c for c in top.columns if c != "parcel"]),
                caption=f"{name}: rank statistics of the top {k} ({draws} draws of {how})"))
        if po.selection is not None:
            s_sum = summary["parcels"][name]["selection"]
            selection_blocks.append(maps.table_html([s_sum],
                                                    caption=f"{name}: budgeted selection (MILP, HiGHS)"))
            chosen = po.ranked[po.selection.selected.reindex(po.ranked.index, fill_value=False)]
            selection_blocks.append(maps.table_html(with_ids(chosen, cols),
                                                    caption=f"{name}: selected parcels"))
    pngs = _render_maps(figures, stage / "maps", cfg.outputs.maps, hillshade=hill, client=client,
                        progress=progress)
    if cfg.outputs.report:
        drift_blocks = _drift_blocks(results, layers)
        sections = [
            maps.ReportSection("inputs", "Inputs", [
                maps.text_html(f"Analysis grid: {layers.grid.describe()}"),
                maps.text_html(_aoi_text(summary.get("aoi"))),
                maps.table_html([{"layer": k, "kind": "raster", "dims": " × ".join(map(str, v["shape"])),
                                  "dtype": v["dtype"], "units": v.get("units") or "",
                                  "valid": f"{v['valid_fraction']:.1%}",
                                  "AOI coverage": f"{v['aoi_coverage']:.1%}"
                                  if "aoi_coverage" in v else "",
                                  "source pixel": f"{v['source_pixel_size_m']:,.0f} m"
                                  if "source_pixel_size_m" in v else ""}
                                 for k, v in summary["rasters"].items()], caption="rasters (aligned)"),
                *[maps.text_html(f"Warning: {w}") for w in summary.get("input_warnings", [])],
                maps.table_html([{"layer": k, "features": v["features"],
                                  "geometry": ", ".join(v["geometry_types"])}
                                 for k, v in summary["vectors"].items()], caption="vector layers"),
            ]),
            maps.ReportSection("models", "Models",
                               [b for n, r in results.items()
                                for b in _model_tables(n, r, cfg.models.get(n), summary)]
                               or [maps.text_html("No model was run.")]),
            maps.ReportSection("weights", "Weights and consistency", _weights_blocks(results, cfg)),
            *([maps.ReportSection("drift", "Sand drift", drift_blocks)] if drift_blocks else []),
            maps.ReportSection("maps", "Maps", [maps.png_html(pngs[job.stem], caption=job.caption)
                                                for job in figures]
                               or [maps.text_html("No maps: no model was run.")]),
            maps.ReportSection("parcels", "Top parcels", parcel_blocks
                               or [maps.text_html("No parcels were ranked.")]),
            *([maps.ReportSection("turbines", "Turbine layouts", turbine_blocks)]
              if turbine_blocks else []),
            *([maps.ReportSection("hybrid", "Wind + PV hybrids",
                                  [b for text, stem, cap in hybrid_blocks
                                   for b in (*text, *([maps.png_html(pngs[stem], caption=cap)]
                                                      if stem is not None else []))])]
              if hybrid_blocks else []),
            maps.ReportSection("selection", "Selection", selection_blocks
                               or [maps.text_html("No budgeted selection was asked for.")]),
            maps.ReportSection("stability", "Rank stability", stability_blocks
                               or [maps.text_html("No rank-stability analysis was run.")]),
            maps.ReportSection("provenance", "Provenance", [maps.mapping_html(summary["provenance"])]),
        ]
        html = maps.render_report(sections, title=cfg.name,
                                  subtitle=f"grid {layers.grid.resolution_m:g} m · {len(results)} models")
        write_text(html, stage / "report.html")


def _hybrid_blocks(name: str, po: ParcelOutput, cfg: Config, figures: list[_MapJob]
                   ) -> tuple[list[str], str | None, str]:
    """``[parcels.hybrid]``: a summary line, the table by ``hybrid_rank`` and the complementarity chart.

    The chart (added to ``figures``) is the reference record's mean daily profile at the capacities
    and export limit of the best-ranked hybrid parcel (the record itself, not scaled to the parcel).
    """
    from steppe_geo import maps

    pc = cfg.parcels
    if pc is None or pc.hybrid is None or po.hybrid_profiles is None or po.turbine_summary is None:
        raise InvalidParameterError(f"report: model {name!r} has no [parcels.hybrid] results")
    hc = pc.hybrid
    prof = po.hybrid_profiles
    table = po.turbine_summary.drop(columns=po.turbine_summary.geometry.name)
    table = pd.DataFrame(table).sort_values("hybrid_rank")
    if not table["hybrid_rank"].notna().any():  # no parcel laid out, or nothing installed: no chart
        return [maps.text_html(f"No parcel of {name} could be ranked as a hybrid (no turbine layout "
                               "and no PV capacity).")], None, ""
    best = table.iloc[0]
    chart = {"wind_cf": prof.wind_cf, "solar_cf": prof.solar_cf, "times": prof.times,
             "wind_mw": float(best["capacity_mw"]), "solar_mw": float(best["solar_mw"]),
             "export_limit_mw": float(best["export_limit_mw"]),
             "title": f"{name}: wind + PV, best hybrid parcel"}
    stem = f"{name}_hybrid"
    caption = (f"{name}: mean daily profile (UTC hours) of the record {hc.record.name} at the best hybrid "
               f"parcel's {best['capacity_mw']:.0f} MW wind + {best['solar_mw']:.0f} MW PV behind "
               f"{best['export_limit_mw']:.0f} MW")
    figures.append(_MapJob(stem, caption, "hybrid", chart))
    shown = [c for c in ("rank", pc.id_column, "capacity_mw", *_HYBRID_SHOWN) if c in table.columns]
    text = [
        maps.text_html(f"The {len(table)} laid-out parcels of {name} ranked as hybrids: PV on "
                       f"{hc.solar_share:.0%} of each parcel at {hc.solar_mw_per_km2:g} MW/km², export limit "
                       f"{hc.export_ratio:g} × the larger plant; record {hc.record.name} (wind taken to "
                       f"{hc.hub_height_m:g} m, z0 = {hc.roughness_m:g} m); correlation of the record's wind "
                       f"and PV capacity factors {np.corrcoef(prof.wind_cf, prof.solar_cf)[0, 1]:.2f}."),
        maps.table_html(table[shown].round(2), caption=f"{name}: parcels by hybrid_rank (MWh/yr; hours with "
                                                       "neither resource per year)"),
    ]
    return text, stem, caption


_HYBRID_SHOWN = ("solar_mw", "export_limit_mw", "delivered_mwh_yr", "curtailment_pct", "correlation",
                 "hours_neither", "best_wind_share", "best_delivered_mwh_yr", "hybrid_rank")
