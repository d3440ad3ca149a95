"""Parcels stage: zonal statistics, ranking, regions, rank stability and selection per model."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
import xarray as xr
from rasterio.windows import Window
from tqdm import tqdm

from steppe_geo import criteria
from steppe_geo.config import Config
from steppe_geo.errors import (
    EmptyLayerError,
    GeometryTypeError,
    InvalidParameterError,
)
from steppe_geo.grid import Grid
from steppe_geo.io import open_lazy
from steppe_geo.io.warp import GDAL_CACHE_MB
from steppe_geo.mcda import aoi_mask
from steppe_geo.mcda.aoi import _inside_window, _pixel_polygon, aoi_polygon
from steppe_geo.mcda.combine import Rule
from steppe_geo.parcels import (
    RANKED,
    Combination,
    ahp_weight_draws,
    candidate_regions,
    coverage_matrix,
    draw_weight_rows,
    eligibility_status,
    parcel_chunks,
    parcel_draw_scores,
    parcel_pixels,
    perfect_criterion_gains,
    pixel_rank_stability,
    rank_parcels,
    rank_stability,
    rank_stability_of_scores,
    select_parcels,
    split_at_tiles,
    zonal_stats,
)
from steppe_geo.parcels.regions import _attach, _available, _windowed_region_polygons, windowed_quantile
from steppe_geo.pipeline.hybrid import hybrid_columns
from steppe_geo.pipeline.region_pieces import PIECE, PIECE_BASE, PIECE_COLUMNS, PIECE_WEIGHT, join_pieces
from steppe_geo.pipeline.results import InputLayers, ModelOutput, ParcelOutput
from steppe_geo.pipeline.turbines import best_parcel_layouts

_TECHNOLOGY = {"wind_onshore": "wind", "solar_pv": "solar", "pv_sand_control": "solar"}


log = logging.getLogger(__name__)


def _capacity_factor(res: ModelOutput, technology: str | None,
                     weibull_k: xr.DataArray | None = None) -> xr.DataArray | None:
    """The capacity-factor raster behind a siting model's energy estimate (None if not a siting model).

    Solar: specific yield / 8760 h (``criteria.solar_capacity_factor``; DC). Wind: the shipped
    power curve closest in rotor diameter to the model's turbine, integrated over the Weibull
    distribution of the hub-height mean speed (shape from the ``weibull_k`` input when there is
    one, else Rayleigh, k = 2), with the IEC air-density correction from the DEM
    (``criteria.capacity_factor``; AC, gross of losses), on eligible pixels only (NaN elsewhere:
    parcel and region means are taken over eligible land). The Weibull integral is interpolated
    from a :class:`steppe_geo.criteria.CapacityFactorTable` of the curve (within 1e-7 of the
    exact integral), in memory mode as in windowed runs, so both give the same value per pixel.
    """
    layers = getattr(res.result, "layers", None)
    if technology is None or layers is None:
        return None
    return _capacity_factor_of(layers, res.eligible, res.model, technology, weibull_k, None)


def _wind_curve(model: Any) -> criteria.PowerCurve:
    """The shipped power curve closest in rotor diameter to the model's turbine (default 170 m)."""
    rotor = float(model.parameters.get("rotor_diameter_m", 170.0))
    curves = {name: criteria.load_power_curve(name) for name in criteria.available_power_curves()}
    return curves[min(curves, key=lambda n: abs((curves[n].rotor_diameter_m or 0.0) - rotor))]


def _capacity_factor_of(layers: Mapping[str, xr.DataArray] | xr.Dataset, eligible: xr.DataArray,
                        model: Any, technology: str, weibull_k: xr.DataArray | None,
                        table: criteria.CapacityFactorTable | None) -> xr.DataArray | None:
    """:func:`_capacity_factor` from the model's derived ``layers`` and ``eligible`` on one grid or window.

    Wind: the Weibull integral from ``table`` (of the curve :func:`_wind_curve` picks; a new one
    if None).
    """
    if technology == "solar":
        return criteria.solar_capacity_factor(layers["pv_yield"]) if "pv_yield" in layers else None
    if "wind_speed_hub" not in layers:
        return None
    if table is None:
        table = criteria.CapacityFactorTable(_wind_curve(model))
    density = criteria.air_density(layers["dem"]) if "dem" in layers else None
    k: xr.DataArray | float = 2.0
    if weibull_k is not None and Grid.from_dataarray(weibull_k).same_as(Grid.from_dataarray(eligible)):
        k = weibull_k
    speed = layers["wind_speed_hub"].where(eligible)  # parcels and regions use eligible land only
    return criteria.capacity_factor(criteria.weibull_scale(speed, k=k), k=k, curve=table.curve,
                                    air_density_kg_m3=density, table=table)


def _combination(res: ModelOutput):
    """The model's combination rule and weights (:class:`steppe_geo.parcels.Combination`)."""
    model = res.model  # a Model (presets, model files) or an Overlay (custom models)
    overlay = model.overlay() if callable(getattr(model, "overlay", None)) else model
    return Combination.from_overlay(overlay)


def _aoi_area_ha(parcels_gdf: gpd.GeoDataFrame, inside: xr.DataArray, *, id_column: str | None,
                 coverage: Any) -> Any:
    """Each parcel's area inside the AOI (ha), counted like ``eligible_area_ha``.

    The exact coverage of the parcel over the grid pixels whose centre is inside the AOI
    (``inside``, the pixels that can be eligible at all), so ``eligible_area_ha <= aoi_area_ha``
    always; it differs from the parcel-polygon ∩ AOI-polygon area by at most the parcel's boundary
    with the AOI times half a pixel diagonal.
    """
    table = zonal_stats(parcels_gdf, {"inside_aoi": inside.astype(np.float32)}, eligible=inside,
                        id_column=id_column, coverage=coverage)
    return table["eligible_area_ha"]


def _parcel_columns(parcels_gdf: gpd.GeoDataFrame, crit: Mapping[str, xr.DataArray], score: xr.DataArray,
                    eligible: xr.DataArray, cf: xr.DataArray | None, inside: xr.DataArray | None,
                    combination: Any, *, id_column: str | None,
                    coverage: Any) -> tuple[gpd.GeoDataFrame, Any]:
    """Per-parcel table (zonal criteria, ``score_mean``, ``gain_*``, ``cf_mean``, ``aoi_area_ha``), pixels.

    On the whole grid (memory mode) or on the window of one chunk of parcels (windowed runs):
    every column is a statistic of each parcel on its own, so chunks put together give the
    whole-grid table.
    """
    # Every criterion over the same cells (eligible and valid in all of them): the cells of the score.
    zonal = zonal_stats(parcels_gdf, crit, eligible=eligible, id_column=id_column, coverage=coverage,
                        require_all_valid=True)
    # The parcel score: the zonal mean of the model's score raster over the parcel's eligible land.
    zonal["score_mean"] = zonal_stats(parcels_gdf, {"score": score}, eligible=eligible,
                                      id_column=id_column, coverage=coverage)["score_mean"].to_numpy()
    pixels = parcel_pixels(parcels_gdf, crit, eligible=eligible, id_column=id_column, coverage=coverage)
    gains = perfect_criterion_gains(pixels, combination)
    zonal[list(gains.columns)] = gains.to_numpy()
    if cf is not None:  # its own call: gaps in the CF layer must not shrink the criteria's cells
        zonal["cf_mean"] = zonal_stats(parcels_gdf, {"cf": cf}, eligible=eligible, id_column=id_column,
                                       coverage=coverage)["cf_mean"]
    if inside is not None:
        zonal["aoi_area_ha"] = _aoi_area_ha(parcels_gdf, inside, id_column=id_column, coverage=coverage)
    return zonal, pixels


class _Window:
    """The model's rasters cut to one window of the grid (a windowed run reads only that window)."""

    def __init__(self, res: ModelOutput, win: Window, grid: Grid, criteria: Sequence[str]) -> None:
        self.grid = grid.window_grid(win)
        self.win = win
        rows, cols = win.toslices()

        def cut(da: xr.DataArray) -> xr.DataArray:
            return da.isel(y=rows, x=cols).load()

        self.score = cut(res.score)
        self.eligible = cut(res.eligible) == 1  # bool, or uint8 1/0 from eligible.tif
        self.crit = {k: cut(res.result.criteria[k]) for k in criteria}


def _inside_aoi(aoi_pixels: Any, win: Window, grid: Grid) -> xr.DataArray:
    """Pixels whose centre is inside the AOI, on the window (as the windowed overlay marks them)."""
    wgrid = grid.window_grid(win)
    return wgrid.to_dataarray(_inside_window(aoi_pixels, int(win.row_off), int(win.col_off), wgrid.shape),
                              name="inside_aoi")


class _CapacityFactor:
    """:func:`_capacity_factor` of a windowed run, computed on a window where asked (never written).

    The capacity factor is a per-pixel function of the derived layers, so a window's is the
    whole grid's there. It is computed for the parcel chunks and the regions on the windows they
    read: for parcels only on the eligible pixels they cover, for regions on the eligible pixels
    with a score. Wind's Weibull integral is interpolated from one
    :class:`~steppe_geo.criteria.CapacityFactorTable` per model and run (memory mode uses the
    same lattice, so the same value per pixel), whose nodes are computed once, when a window
    first needs them: about 0.3 µs per pixel instead of about 10 µs for the exact integral. No
    pass over the whole grid and no file: it used to be written to ``capacity_factor.tif`` once
    per model and read back.
    """

    def __init__(self, res: ModelOutput, technology: str, weibull_k: xr.DataArray | None, grid: Grid) -> None:
        self.res, self.technology = res, technology
        self.layers = res.result.layers
        self.weibull_k = (weibull_k if weibull_k is not None and Grid.from_dataarray(weibull_k).same_as(grid)
                          else None)
        # One table per run and model: its nodes are computed once, for every window that asks.
        self.table = criteria.CapacityFactorTable(_wind_curve(res.model)) if technology == "wind" else None

    @classmethod
    def of(cls, res: ModelOutput, technology: str | None, weibull_k: xr.DataArray | None,
           grid: Grid) -> _CapacityFactor | None:
        """None: not a siting model, or its layers are missing (as :func:`_capacity_factor`)."""
        layers = getattr(res.result, "layers", None)
        if technology is None or layers is None:
            return None
        if ("pv_yield" if technology == "solar" else "wind_speed_hub") not in layers:
            return None
        return cls(res, technology, weibull_k, grid)

    def on(self, win: Window, needed: xr.DataArray) -> xr.DataArray:
        """The capacity factor on window ``win`` where ``needed`` (bool; wind: NaN elsewhere)."""
        rows, cols = win.toslices()
        layers = {k: self.layers[k].isel(y=rows, x=cols).load() for k in ("pv_yield", "wind_speed_hub", "dem")
                  if k in self.layers}
        k = self.weibull_k.isel(y=rows, x=cols).load() if self.weibull_k is not None else None
        cf = _capacity_factor_of(layers, needed, self.res.model, self.technology, k, self.table)
        if cf is None:  # `of` checked the layers; a model edited since would land here
            raise InvalidParameterError(
                f"parcels: model {self.res.name!r} has no layers for its capacity factor")
        return cf


class _ModelParcels(NamedTuple):
    """What the single pass over the parcel chunks needs of one model."""

    res: ModelOutput
    combination: Any
    cf: _CapacityFactor | None
    weight_rows: np.ndarray | None
    """The weight draws of the pixel rank stability (rules other than WLC), else None."""


class _DrawScores(NamedTuple):
    """The pixel rank stability's inputs, gathered chunk by chunk: (draws, parcels) scores, base, valid."""

    scores: np.ndarray
    base: np.ndarray
    valid: np.ndarray


def _windowed_parcel_columns(parcels_gdf: gpd.GeoDataFrame, models: Mapping[str, _ModelParcels], *,
                             id_column: str | None, window: int,
                             aoi: gpd.GeoDataFrame | None) -> dict[str, tuple[gpd.GeoDataFrame, Any]]:
    """:func:`_parcel_columns` of every model in one pass over the chunks of parcels, against windowed reads.

    Parcels are grouped by location (:func:`steppe_geo.parcels.parcel_chunks`); each chunk's
    coverage is computed once on the window holding it — for all models, as is the area inside
    the AOI — which gives every parcel the coverage fractions it has on the whole grid, cell for
    cell, so the statistics are the whole-grid ones. Each model's rasters are read on that window
    once. Memory: one chunk's window of one model's rasters, the tables, and (``weight_rows``,
    for the pixel rank stability) each parcel's scores under every weight draw, computed on the
    chunk's pixels (:func:`~steppe_geo.parcels.parcel_draw_scores`) — numbers per parcel, never the
    parcels' pixels, which cover most of a grid.
    """
    grid = Grid.from_dataarray(next(iter(models.values())).res.score)
    aoi_pixels = _pixel_polygon(aoi_polygon(aoi, crs=grid.crs), grid) if aoi is not None else None
    tables: dict[str, list] = {m: [] for m in models}
    parts: dict[str, list] = {m: [] for m in models}
    positions = []
    for pos, win in parcel_chunks(parcels_gdf, grid, window):
        chunk = parcels_gdf.iloc[pos]
        coverage = coverage_matrix(chunk, grid.window_grid(win), id_column=id_column)
        flat = np.zeros(int(win.height) * int(win.width), dtype=bool)
        flat[coverage.matrix.indices] = True
        covered = flat.reshape(int(win.height), int(win.width))
        aoi_area = (_aoi_area_ha(chunk, _inside_aoi(aoi_pixels, win, grid), id_column=id_column,
                                 coverage=coverage) if aoi_pixels is not None else None)
        positions.append(pos)
        for name, spec in models.items():
            w = _Window(spec.res, win, grid, spec.combination.criteria)
            cf = spec.cf.on(win, w.eligible & covered) if spec.cf is not None else None
            table, pixels = _parcel_columns(chunk, w.crit, w.score, w.eligible, cf, None, spec.combination,
                                            id_column=id_column, coverage=coverage)
            if aoi_area is not None:
                table["aoi_area_ha"] = aoi_area
            tables[name].append(table)
            if spec.weight_rows is not None:
                parts[name].append((pos, parcel_draw_scores(pixels, spec.combination, spec.weight_rows)))
    back = np.argsort(np.concatenate(positions), kind="stable")
    return {name: (pd.concat(tables[name]).iloc[back],
                   _gather_draw_scores(parts[name], len(parcels_gdf)) if spec.weight_rows is not None
                   else None)
            for name, spec in models.items()}


def _gather_draw_scores(parts: Sequence[tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]],
                        n: int) -> _DrawScores:
    """The chunks' (draws, parcels) scores put at their parcels' positions."""
    n_draws = parts[0][1][0].shape[0] if parts else 0
    out = _DrawScores(np.full((n_draws, n), np.nan), np.full(n, np.nan), np.zeros(n, dtype=bool))
    for pos, (scores, base, valid) in parts:
        out.scores[:, pos] = scores
        out.base[pos] = base
        out.valid[pos] = valid
    return out


def _windowed_regions(res: ModelOutput, combination: Any, *, window: int, min_area_ha: float,
                      cf: _CapacityFactor | None) -> gpd.GeoDataFrame | None:
    """Candidate regions (top quintile of scores) of a windowed run, as memory mode finds and scores them.

    The threshold is the exact 80th percentile of the finite scores
    (:func:`steppe_geo.parcels.regions.windowed_quantile`), the regions are labelled and
    polygonised window by window and joined across window edges
    (:func:`steppe_geo.parcels.candidate_regions_windowed`), and each chunk of regions is scored
    (score, criteria, capacity factor, ``gain_*``) against windowed reads. None: no finite score,
    or no region reaches the minimum area.
    """
    grid = Grid.from_dataarray(res.score)
    threshold = windowed_quantile(res.score, 0.8, window=window)
    if not np.isfinite(threshold):
        return None
    polygons = _windowed_region_polygons(res.score, res.eligible, threshold=threshold,
                                         min_area_ha=min_area_ha, connectivity=8, window=window)
    if len(polygons) == 0:  # no patch of the top quintile reaches the minimum area
        return None
    # A region larger than a window is scored piece by piece (cut along tile lines), so no read
    # grows with the region: its means are the pieces' sums over their weights.
    pieces, owner = split_at_tiles(polygons, grid, window)
    cut = np.bincount(owner, minlength=len(polygons)) > 1
    parts = []
    for pos, win in parcel_chunks(pieces, grid, window):
        w = _Window(res, win, grid, combination.criteria)
        chunk = pieces.iloc[pos]
        available = _available(w.score, w.eligible)
        attributes = dict(w.crit)
        if cf is not None:  # on the available pixels of the window; the regions' statistics use their own
            attributes["cf"] = cf.on(win, w.eligible.copy(data=available))
        coverage = coverage_matrix(chunk, w.grid)  # once for the statistics and the gains
        pieced = bool(cut[owner[pos]].any())
        table = _attach(chunk, w.score, available, w.eligible, attributes,
                        ("mean", "count") if pieced else ("mean",), coverage=coverage)
        pixels = parcel_pixels(chunk, w.crit, eligible=w.eligible, coverage=coverage)
        gains = perfect_criterion_gains(pixels, combination)
        table[list(gains.columns)] = gains.to_numpy()
        if pieced:
            table[PIECE_WEIGHT] = np.asarray(pixels.weights.sum(axis=1)).ravel()
            table[PIECE_BASE] = pixels.means(combination.pixel_scores(pixels.values))
        table[PIECE] = pos
        parts.append(table)
    table = pd.concat(parts)
    whole = table[~cut[owner[table[PIECE].to_numpy()]]]
    columns = [c for c in whole.columns if c not in PIECE_COLUMNS and not c.endswith("_count")]
    regions = whole[columns]
    if cut.any():
        joined = join_pieces(table[cut[owner[table[PIECE].to_numpy()]]], owner, polygons, grid, columns)
        regions = pd.concat([regions, joined])
    regions = regions.loc[polygons["region_id"].to_numpy()]
    regions = gpd.GeoDataFrame(regions, geometry="geometry", crs=polygons.crs)
    return regions.sort_values("score_mean", ascending=False, kind="stable")


def _model_parcels(res: ModelOutput, cfg: Config, weibull_k: xr.DataArray | None) -> _ModelParcels:
    """What the parcel chunks need of a windowed run's model: rule, capacity factor, pixels kept or not."""
    combination = _combination(res)
    pc = cfg.parcels
    if pc is None:
        raise InvalidParameterError(f"parcels: model {res.name!r}: the configuration has no [parcels] table")
    stable = pc.n_draws > 0 and len(combination.weights) > 1 and combination.uses_weights
    technology = _TECHNOLOGY.get(getattr(res.model, "name", ""))
    return _ModelParcels(res, combination,
                         _CapacityFactor.of(res, technology, weibull_k, Grid.from_dataarray(res.score)),
                         weight_rows=(_weight_rows(res, combination, cfg)
                                      if stable and combination.rule is not Rule.WLC else None))


def _weight_rows(res: ModelOutput, combination: Any, cfg: Config) -> np.ndarray:
    """The weight draws of a model's rank stability: its AHP judgements moved ±1 step, else Dirichlet."""
    pc = cfg.parcels
    if pc is None:
        raise InvalidParameterError(f"parcels: model {res.name!r}: the configuration has no [parcels] table")
    draws = ahp_weight_draws(res.ahp, pc.n_draws, steps=1, rng=cfg.run.seed) if res.ahp is not None else None
    return draw_weight_rows(combination, draws=draws, n_draws=pc.n_draws, rng=cfg.run.seed)


def rank_model_parcels(parcels_gdf: gpd.GeoDataFrame, res: ModelOutput, cfg: Config, *,
                       select: bool, coverage: Any = None,
                       weibull_k: xr.DataArray | None = None,
                       aoi: gpd.GeoDataFrame | None = None,
                       columns: tuple[gpd.GeoDataFrame, Any] | None = None) -> ParcelOutput:
    """Zonal statistics, ranking, regions, rank stability and (optionally) selection for one model.

    A parcel's score is the coverage-weighted mean of the model's score raster over its
    eligible land (the zonal mean of ``score.tif``), whatever the combination rule; it is
    explained by ``gain_*`` columns (score gained if a criterion were perfect,
    :func:`steppe_geo.parcels.perfect_criterion_gains`) and, for WLC only, by the additive
    ``contrib_*``/``share_*``. The per-criterion means are taken over the part of the parcel
    that is eligible and valid in every criterion (``zonal_stats(..., require_all_valid=True)``).
    Parcels with too little eligible land (``parcels.min_eligible_ha``, default 4 pixels;
    ``parcels.min_eligible_share``) are not ranked, not in the rank-stability analysis and
    locked out of the selection; their ``status`` says why. Capacity (MW, ``capacity_basis``
    AC for wind, DC for solar) and annual energy (GWh) come from the model's capacity-factor
    layer (see ``_capacity_factor``). Candidate regions (the top 20 % of scores, at least
    ``parcels.region_min_area_ha``, default 4 pixels) are scored and explained as parcels.
    Rank stability recombines the pixels under each weight draw with the model's rule
    (:func:`steppe_geo.parcels.pixel_rank_stability`; for WLC the exact matrix shortcut on the
    criterion means, :func:`steppe_geo.parcels.rank_stability`); rules that ignore weights
    (fuzzy, geometric mean) get none.

    Parameters
    ----------
    parcels_gdf : GeoDataFrame
        Parcels in the grid's CRS.
    res : ModelOutput
        A model result with its standardised criteria. A windowed run's (``res.files``
        non-empty; lazily read rasters) is summarised chunk by chunk of parcels against windowed
        reads of its files (window ``cfg.run.window``), regions window by window: no whole-grid
        array is held, and the result equals memory mode's.
    cfg : Config
        The run's configuration (``[parcels]`` options).
    select : bool
        Also solve the budgeted selection (``parcels.budget_ha``).
    coverage : CoverageMatrix, optional
        Parcel coverage computed once and shared across models.
    weibull_k : DataArray, optional
        Weibull shape on the grid, for the wind capacity factor (Rayleigh k = 2 without it).
    aoi : GeoDataFrame, optional
        Area of interest: adds ``aoi_area_ha``, each parcel's area inside it (exact coverage of
        the pixels whose centre is inside the AOI, as ``eligible_area_ha`` is counted, so
        ``eligible_area_ha <= aoi_area_ha``). Eligible land, scores and regions count only land
        inside the AOI in any case (pixels outside it are not eligible).
    columns : (GeoDataFrame, draw scores or None), optional
        A windowed run's per-parcel table and pixels of this model, already computed for these
        parcels (:func:`run_parcels` computes them for all models in one pass over the parcel
        chunks); computed here when not given.

    Returns
    -------
    ParcelOutput
    """
    pc = cfg.parcels
    if pc is None:
        raise InvalidParameterError(f"parcels: model {res.name!r}: the configuration has no [parcels] table")
    if res.result is None or not hasattr(res.result, "criteria"):
        raise InvalidParameterError(
            f"parcels: model {res.name!r} has no standardised criteria "
            "(a Dask run of a custom overlay keeps none; parcel ranking needs them)"
        )
    combination = _combination(res)
    grid = Grid.from_dataarray(res.score)
    four_pixels_ha = 4 * grid.pixel_area_m2 / 1e4
    min_eligible_ha = four_pixels_ha if pc.min_eligible_ha is None else pc.min_eligible_ha
    region_min = four_pixels_ha if pc.region_min_area_ha is None else pc.region_min_area_ha
    technology = _TECHNOLOGY.get(getattr(res.model, "name", ""))
    stable = pc.n_draws > 0 and len(combination.weights) > 1 and combination.uses_weights
    windowed = bool(res.files)
    if windowed:  # chunks of parcels against windowed reads: no whole-grid array


        # the window, not GDAL's block cache (default 5 % of RAM), sets the memory of the reads
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
            cf = _CapacityFactor.of(res, technology, weibull_k, grid)
            if columns is None:
                spec = _model_parcels(res, cfg, weibull_k)
                columns = _windowed_parcel_columns(parcels_gdf, {res.name: spec}, id_column=pc.id_column,
                                                   window=cfg.run.window, aoi=aoi)[res.name]
            zonal, pixels = columns
            regions = _windowed_regions(res, combination, window=cfg.run.window, min_area_ha=region_min,
                                        cf=cf)
        cf_column = "cf_mean" if "cf_mean" in zonal.columns else None
    else:
        crit = {k: res.result.criteria[k] for k in combination.criteria}
        cf_raster = _capacity_factor(res, technology, weibull_k)
        inside = aoi_mask(aoi, grid=grid) if aoi is not None else None
        zonal, pixels = _parcel_columns(parcels_gdf, crit, res.score, res.eligible, cf_raster, inside,
                                        combination, id_column=pc.id_column, coverage=coverage)
        cf_column = "cf_mean" if cf_raster is not None else None
        finite = np.asarray(res.score.values)[np.isfinite(np.asarray(res.score.values))]
        regions = None
        if finite.size:
            threshold = float(np.quantile(finite, 0.8))
            attributes = {**crit, **({"cf": cf_raster} if cf_raster is not None else {})}
            try:
                regions = candidate_regions(res.score, threshold=threshold, eligible=res.eligible,
                                            min_area_ha=region_min, attributes=attributes)
            except EmptyLayerError:  # no patch of the top quintile reaches the minimum area
                regions = None
            if regions is not None:  # regions scored and explained exactly as parcels
                region_gains = perfect_criterion_gains(parcel_pixels(regions, crit, eligible=res.eligible),
                                                       combination)
                regions[list(region_gains.columns)] = region_gains.to_numpy()
    ranked = rank_parcels(zonal, weights=combination.weights, rule=combination.rule,
                          score_column="score_mean", technology=technology, capacity_factor_column=cf_column,
                          min_eligible_area_ha=min_eligible_ha, min_eligible_share=pc.min_eligible_share)
    if regions is not None:
        regions = rank_parcels(regions, weights=combination.weights, rule=combination.rule,
                               score_column="score_mean", technology=technology,
                               capacity_factor_column=cf_column)
    ok = ((eligibility_status(zonal, min_eligible_area_ha=min_eligible_ha,
                              min_eligible_share=pc.min_eligible_share) == RANKED).to_numpy()
          & np.isfinite(zonal["score_mean"].to_numpy(dtype=np.float64)))  # the ranked parcels
    stability = None
    k = min(pc.top_k, int(ok.sum()))
    if stable and k >= 1:
        draws = None
        if res.ahp is not None:  # uncertain judgements: each moves ±1 step on Saaty's ladder
            draws = ahp_weight_draws(res.ahp, pc.n_draws, steps=1, rng=cfg.run.seed)
        if combination.rule is Rule.WLC:  # exact shortcut: a parcel's WLC score is Σ w·mean
            stability = rank_stability(zonal[ok], weights=combination.weights, n_draws=pc.n_draws,
                                       draws=draws, top_k=k, rng=cfg.run.seed)
        elif isinstance(pixels, _DrawScores):  # windowed: scored chunk by chunk under the same draws
            stability = rank_stability_of_scores(pixels.scores[:, ok], pixels.base[ok], pixels.valid[ok],
                                                 top_k=k, index=parcels_gdf.index[ok])
        else:  # every draw recombines the parcels' pixels under the model's rule
            stability = pixel_rank_stability(pixels.take(ok), combination, n_draws=pc.n_draws,
                                             draws=draws, top_k=k, rng=cfg.run.seed)

    selection = None
    if select and pc.budget_ha is not None:
        table = ranked.assign(benefit=(ranked["score"] * ranked["eligible_area_ha"]).fillna(0.0),
                              cost=ranked["eligible_area_ha"].fillna(0.0))
        unranked = list(ranked.index[ranked["rank"].isna()])  # too little eligible land: not candidates
        selection = select_parcels(table, benefit="benefit", cost="cost", budget=pc.budget_ha,
                                   locked_out=unranked or None)
    return ParcelOutput(res.name, ranked, regions, stability, selection)


def run_parcels(cfg: Config, layers: InputLayers, results: Mapping[str, ModelOutput], *,
                progress: bool = False) -> dict[str, ParcelOutput]:
    """Parcel results for every model in ``cfg.parcels.rank_by`` (empty without ``[parcels]``).

    Memory mode: the coverage of every parcel is computed once and reused for all models.
    Windowed runs (``layers.files`` non-empty): all models are summarised in one pass over the
    chunks of parcels against windowed reads (each chunk's coverage and area inside the AOI
    computed once), then ranked, their regions found and scored window by window
    (:func:`rank_model_parcels`), so the stage holds one window and the parcels' tables, never a
    whole-grid array.
    """
    pc = cfg.parcels
    if pc is None:
        return {}
    parcels_gdf = layers.vectors[pc.source]
    if len(parcels_gdf) == 0:  # an empty vector input is "nothing here" for setbacks, never for parcels
        raise EmptyLayerError(f"parcels.source: input {pc.source!r} "
                              f"({parcels_gdf.attrs.get('source', 'in memory')}): "
                              f"{parcels_gdf.attrs.get('empty', 'no features')}; there are no parcels to "
                              "rank")
    names = [m for m in (pc.rank_by or tuple(results)) if m in results]
    select_by = pc.select_by or (names[0] if names else None)
    dropped = _dropped_parcels(parcels_gdf, pc.source, pc.id_column)
    parcels_gdf, outside = _parcels_in_area(parcels_gdf.to_crs(layers.grid.crs), layers, pc.source,
                                            pc.id_column)
    if layers.files:  # windowed run: coverage per chunk of parcels, rasters read window by window

        coverage = None
        weibull_k = (open_lazy(layers.files["weibull_k"], name="weibull_k") if "weibull_k" in layers.files
                     else None)
    else:
        try:
            coverage = coverage_matrix(parcels_gdf, layers.grid, id_column=pc.id_column)
        except (GeometryTypeError, InvalidParameterError) as exc:  # say which input and which key
            where = f"parcels.source: input {pc.source!r} ({parcels_gdf.attrs.get('source', 'in memory')})"
            raise type(exc)(f"{where}: {exc}") from None
        weibull_k = layers.layers.get("weibull_k")
    columns: dict[str, Any] = {}
    if layers.files and names:  # one pass over the parcel chunks for all models: coverage computed once
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
            columns = _windowed_parcel_columns(
                parcels_gdf, {m: _model_parcels(results[m], cfg, weibull_k) for m in names},
                id_column=pc.id_column, window=cfg.run.window, aoi=layers.aoi)
    out = {m: rank_model_parcels(parcels_gdf, results[m], cfg, select=m == select_by, coverage=coverage,
                                 weibull_k=weibull_k, aoi=layers.aoi, columns=columns.get(m))
           for m in tqdm(names, desc="parcels", unit="model", disable=not progress)}
    tc = pc.turbines
    if tc is not None and tc.model in out:
        po = out[tc.model]
        po.turbines, po.turbine_summary = best_parcel_layouts(
            po, results[tc.model], layers, tc, id_column=pc.id_column,
            window=cfg.run.window if layers.files else None)
        if pc.hybrid is not None:  # [parcels.hybrid]: the laid-out parcels ranked as wind + PV hybrids
            po.turbine_summary, po.hybrid_profiles = hybrid_columns(po.turbine_summary, layers, cfg)
    for po in out.values():
        po.outside_aoi = outside
        if dropped is not None:
            po.ranked = _with_dropped(po.ranked, dropped)
    return out


def _dropped_parcels(parcels_gdf: gpd.GeoDataFrame, source: str,
                     id_column: str | None) -> gpd.GeoDataFrame | None:
    """Parcels read without a geometry (null or empty), reported and kept as rows to list as unranked.

    :func:`steppe_geo.io.read_vector` leaves them out of the layer and lists them in
    ``attrs["dropped"]``; they cannot be ranked, but must not vanish from the outputs either.
    """
    records = parcels_gdf.attrs.get("dropped") or []
    if not records:
        return None
    ids = [r["attributes"].get(id_column) if id_column else r["index"] for r in records]
    by_reason: dict[str, list[Any]] = {}
    for r, i in zip(records, ids, strict=True):
        by_reason.setdefault(r["reason"], []).append(i)
    log.warning("parcels.source: %d of %d parcels of input %r (%s) are not ranked: %s; they are listed "
                "in the outputs with rank <NA> and this status", len(records),
                len(parcels_gdf) + len(records),
                source, parcels_gdf.attrs.get("source", "in memory"),
                "; ".join(f"{reason}: {id_column or 'index'} {v[:10]}{' ...' if len(v) > 10 else ''}"
                          for reason, v in by_reason.items()))
    frame = pd.DataFrame([r["attributes"] for r in records],
                         index=pd.Index([r["index"] for r in records], name=parcels_gdf.index.name))
    frame["status"] = [r["reason"] for r in records]
    return gpd.GeoDataFrame(frame, geometry=[None] * len(records), crs=parcels_gdf.crs)


def _with_dropped(ranked: gpd.GeoDataFrame, dropped: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``ranked`` with the dropped parcels appended: no geometry, no score, rank <NA>, ``status`` why."""
    rows = dropped.to_crs(ranked.crs) if ranked.crs is not None else dropped
    rows = rows.rename_geometry(ranked.geometry.name) if rows.geometry.name != ranked.geometry.name else rows
    rows = rows[[c for c in rows.columns if c in ranked.columns]]
    out = pd.concat([ranked, rows])
    if "rank" in ranked.columns:
        out["rank"] = out["rank"].astype(ranked["rank"].dtype)
    return gpd.GeoDataFrame(out, geometry=ranked.geometry.name, crs=ranked.crs)


def _parcels_in_area(parcels_gdf: gpd.GeoDataFrame, layers: InputLayers, source: str,
                     id_column: str | None) -> tuple[gpd.GeoDataFrame, int]:
    """The parcels that overlap the AOI polygon (the grid without one), and how many were left out.

    A parcel layer often covers more than the area of interest (a county cadastre, a national
    grid); parcels wholly outside it are left out of the ranking with an info line and a count in
    the summary, never scored as ineligible land.
    """
    area = (shapely.union_all(layers.aoi.geometry.values) if layers.aoi is not None and len(layers.aoi)
            else shapely.box(*layers.grid.bounds))
    keep = parcels_gdf.geometry.intersects(area).to_numpy()
    if not keep.any():
        raise EmptyLayerError(f"parcels.source: no parcel of input {source!r} "
                              f"({parcels_gdf.attrs.get('source', 'in memory')}) overlaps the area of "
                              "interest; "
                              "there are no parcels to rank")
    outside = int((~keep).sum())
    if outside:
        ids = (parcels_gdf.loc[~keep, id_column].astype(str).tolist() if id_column in parcels_gdf.columns
               else [f"row {i}" for i in np.flatnonzero(~keep)])
        log.info("parcels: %d of %d parcels lie wholly outside the area of interest and are left out "
                 "(e.g. %s)", outside, len(parcels_gdf), ", ".join(ids[:5]))
    return parcels_gdf[keep], outside
