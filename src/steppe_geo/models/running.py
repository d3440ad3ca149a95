"""Running a :class:`~steppe_geo.models.Model`: derived layers, the overlay, notes and class-code checks.

:func:`derive_layers`, :func:`run_model` and its :class:`ModelResult`, the run's notes, and the
class-code checks made before the work.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely
import xarray as xr

from steppe_geo._deprecation import renamed_parameter
from steppe_geo._validation import did_you_mean
from steppe_geo.errors import (
    EmptyLayerError,
    ImplausibleInputError,
    InvalidParameterError,
    MissingLayerError,
    PointFeaturesWarning,
)
from steppe_geo.grid import Grid
from steppe_geo.io import LayerKind, align, provenance_record, read_raster, read_vector
from steppe_geo.mcda import (
    Categorical,
    Categories,
    OverlayResult,
    evaluate,
)
from steppe_geo.models.derivations import DERIVATIONS, Derivation
from steppe_geo.models.desertification_indices import classify_china, classify_esa
from steppe_geo.models.desertification_tables import tables_used
from steppe_geo.models.kinds import input_kinds, input_readers
from steppe_geo.models.land_cover import format_codes, land_cover_legend, matching_legends
from steppe_geo.models.parameters import (
    AREA_INPUTS,
    DISTANCE_FUNCTIONS,
)
from steppe_geo.models.score_tables import CategoryTable

if TYPE_CHECKING:
    from steppe_geo.models.model import Model

__all__ = [
    "ModelResult",
    "PointFeaturesWarning",
    "check_class_codes",
    "class_code_inputs",
    "derive_layers",
    "run_model",
]


log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- running
@dataclass(frozen=True)
class ModelResult:
    """Outputs of :func:`run_model`.

    Attributes
    ----------
    model : Model
    score : DataArray float32
        Score in [0, 1] (suitability, or risk for the desertification models); NaN where ineligible.
    criteria : Dataset
        Every standardised criterion (0..1).
    eligible : DataArray bool
        True = keep (inside the AOI, every layer has data, no constraint excludes it).
    exclusion : DataArray uint32
        Bit 0 ``outside_aoi``, bit 1 ``no_data``, bit ``i + 2`` set where constraint ``i``
        (``model.constraint_names[i]``) excluded the pixel.
    layers : Dataset
        Every derived layer (e.g. ``slope_deg``, ``esai``, ``sqi``, the ``setback_<name>`` masks) plus
        ``esa_class`` (ESAI models) and ``china_sensitivity_class`` (China's index).
    provenance : dict
        Inputs (path and SHA-256 checksum for files), parameters (the model as a dict), versions.
    overlay_result : OverlayResult
    notes : tuple of str
        What the run found worth telling (also logged at INFO): an input layer with no features
        within reach ("nothing here": its setbacks exclude nothing), a categories constraint none
        of whose classes occur, point features given for settlements, the layers ``without``
        dropped. The run summary and report list them.
    """

    model: Model
    score: xr.DataArray
    criteria: xr.Dataset
    eligible: xr.DataArray
    exclusion: xr.DataArray
    layers: xr.Dataset
    provenance: dict[str, Any]
    overlay_result: OverlayResult
    notes: tuple[str, ...] = ()

    @property
    def weights(self) -> dict[str, float]:
        """Normalised weights used."""
        return dict(self.overlay_result.weights)

    @property
    def exclusion_names(self) -> list[str]:
        """Names of the exclusion bits in order: ``outside_aoi``, ``no_data``, then the constraints."""
        return self.overlay_result.overlay.exclusion_names

    def excluded_by(self, bitmask: int) -> list[str]:
        """Names of the bits set in an exclusion bitmask value (``outside_aoi``, ``no_data``, constraints)."""
        return self.overlay_result.excluded_by(bitmask)


def _load_input(name: str, value: Any, grid: Grid, kind: LayerKind | None, readers: str) -> Any:
    """Input ``name`` read as the model reads it (``kind``: :func:`input_kinds`), a vector or a raster.

    An input nothing reads (``kind`` None) is left as given.
    """
    if kind is None:
        return value
    given = ("a GeoDataFrame" if isinstance(value, gpd.GeoDataFrame | gpd.GeoSeries)
             else "a DataArray" if isinstance(value, xr.DataArray) else None)
    if given is not None and (kind is LayerKind.VECTOR) != (given == "a GeoDataFrame"):
        want = "a vector layer (a GeoDataFrame or a vector file)" if kind is LayerKind.VECTOR else (
            f"a {kind.value} raster (a DataArray or a raster file)")
        raise InvalidParameterError(f"input {name!r}: {readers} read{'s' if ',' not in readers else ''} it "
                                    f"as {want}, but it is {given}")
    if isinstance(value, gpd.GeoDataFrame | gpd.GeoSeries):
        return value
    categorical = "categorical" if kind is LayerKind.CATEGORICAL else None
    if isinstance(value, xr.DataArray):
        g = Grid.from_dataarray(value)
        if g.same_as(grid):
            if np.issubdtype(value.dtype, np.floating) and not bool(value.notnull().any()):
                # as read_raster(grid=) refuses a file with no valid pixel on the grid
                raise ImplausibleInputError(
                    f"input {name!r}: the DataArray has no valid pixel on the grid ({grid.describe()}): "
                    "every pixel is NaN, so every score it enters would be missing; give a layer with data "
                    "over the area"
                )
            return value
        return align(value, grid, kind=categorical, name=name)
    if isinstance(value, str | Path):
        if kind is LayerKind.VECTOR:
            try:
                return read_vector(value, crs=grid.crs)
            except EmptyLayerError as exc:  # "nothing here": run_model notes it (or refuses, if it matters)
                empty = gpd.GeoDataFrame(geometry=[], crs=grid.crs)
                empty.attrs.update(source=Path(value).name, empty=str(exc))
                return empty
        return read_raster(value, grid=grid, kind=categorical, name=name)
    raise InvalidParameterError(
        f"input {name!r} must be a DataArray, GeoDataFrame or path, got {type(value).__name__}"
    )


def _load_inputs(model: Model, layers: Mapping[str, Any], grid: Grid) -> dict[str, Any]:
    """The inputs of ``model`` in ``layers``, each read as the model reads it (:func:`input_kinds`)."""
    kinds, readers = input_kinds(model), input_readers(model)
    return {k: _load_input(k, layers[k], grid, kinds.get(k), ", ".join(r for r, _ in readers.get(k, [])))
            for k in model.inputs if k in layers}


def derive_layers(model: Model, layers: Mapping[str, Any], *, grid: Grid,
                  parameters: Mapping[str, Mapping[str, Any]] | None = None,
                  only: Sequence[str] | None = None) -> dict[str, xr.DataArray]:
    """Compute the derived layers of ``model`` (slope, distances, ESAI, ...) from its inputs on ``grid``.

    The derivation loop of :func:`run_model`, on its own so that a streamed or Dask run can call it
    for each window of the grid (with :func:`derivation_halo`).

    Parameters
    ----------
    model : Model
    layers : mapping name → DataArray or GeoDataFrame
        The model's inputs: rasters already on ``grid``, vectors in any CRS.
    grid : Grid
        Projected grid (metres): the analysis grid, or one window of it.
    parameters : mapping derived layer → parameters, optional
        Extra keyword parameters of a derivation, added to the model's (a windowed run passes
        whole-grid values such as the NDVI end-members of ``fractional_cover``).
    only : sequence of str, optional
        Compute only these derived layers and those they are computed from (default: all).

    Returns
    -------
    dict derived layer → DataArray on ``grid``, in the model's derivation order. A derived layer
    already in ``layers`` is not computed again (nor returned).

    Raises
    ------
    InvalidParameterError, MissingLayerError
        From a derivation; the message names the model and the derived layer.
    """
    wanted: set[str] | None = None
    if only is not None:
        wanted = set(only)
        for d in reversed(model.derivations):  # derivations come after what they read
            if d.name in wanted and d.name not in layers:  # a given layer needs nothing computed
                wanted.update(d.inputs)
    work: dict[str, Any] = dict(layers)
    derived: dict[str, xr.DataArray] = {}
    for d in model.derivations:
        if (wanted is not None and d.name not in wanted) or d.name in layers:
            continue  # not wanted, or given already (computed for the whole grid beforehand)
        params = {**model.resolved_parameters(d), **dict((parameters or {}).get(d.name, {}))}
        try:
            out = DERIVATIONS[d.function](work, d.inputs, grid, **params)
        except TypeError as exc:
            raise InvalidParameterError(
                f"model {model.name!r}: derivation {d.name!r} ({d.function}): {exc}"
            ) from None
        except (InvalidParameterError, MissingLayerError) as exc:
            raise type(exc)(f"model {model.name!r}: derivation {d.name!r}: {exc}") from None
        out = out.rename(d.name)
        work[d.name] = out
        derived[d.name] = out
    return derived


@renamed_parameter(old="inputs", new="layers", since="0.2.0")
def run_model(model: Model, layers: Mapping[str, Any], *, grid: Grid, aoi: Any = None) -> ModelResult:
    """Evaluate ``model`` on ``layers`` over ``grid``, in memory.

    Parameters
    ----------
    model : Model
        A preset (:func:`steppe_geo.models.wind_onshore`, ...) or your own.
    layers : mapping name → DataArray, GeoDataFrame or path
        At least ``model.inputs`` (e.g. ``steppe_geo.datasets.sample_paths()``); rasters are aligned
        onto ``grid``, vectors reprojected. Each input is read as the kind of layer the model reads it
        as (:func:`steppe_geo.models.input_kinds`: a path is read as a vector file where a derivation
        reads vectors, as a class raster where a lookup reads classes); an input nothing reads is
        left as given. Extra entries are ignored. Was ``inputs`` (a deprecated alias until 0.3.0).
    grid : Grid
        Projected analysis grid (metres).
    aoi : GeoDataFrame or GeoSeries, optional
        Area of interest (polygons): pixels whose centre is outside it are excluded (bit 0,
        ``outside_aoi``); see :func:`steppe_geo.mcda.evaluate`. Without it, the whole grid.

    Returns
    -------
    ModelResult

    Raises
    ------
    MissingLayerError
        An input the model needs is missing: the message names it and what uses it.
    InvalidParameterError
        Class codes (land cover, texture) unknown to a lookup table, categorical criterion or the
        model's land-cover legend, or a categories constraint none of whose codes occurs
        (:func:`check_class_codes`, before any derivation); a value function, weight or parameter out
        of range; a DataArray given for an input read as a vector, or a GeoDataFrame for one read as
        a raster (naming the input and what reads it).
    EmptyLayerError
        A vector input without features that more than distances and setbacks need (township
        census polygons). An empty layer read only by distances and setbacks is "nothing here": a
        note in ``ModelResult.notes`` (and an INFO log line), not an error.

    Warns
    -----
    PointFeaturesWarning
        Settlements or protected areas given as points within reach of their setback.
    """
    inputs = layers  # as given; ``loaded`` below holds them read and aligned
    missing = [k for k in model.inputs if k not in inputs or inputs[k] is None]
    if missing:
        detail = "; ".join(f"{k!r} (used by {model.used_by(k) or 'the model'})" for k in missing)
        raise MissingLayerError(
            f"model {model.name!r} needs input layer(s) {missing}: {detail}. Supply them in layers, e.g. "
            f"layers[{missing[0]!r}] = a path, DataArray or GeoDataFrame (the sample data has it as "
            f"steppe_geo.datasets.sample_paths()[{missing[0]!r}]){did_you_mean(missing[0], list(inputs))}"
        )
    overlay = model.overlay()
    loaded = _load_inputs(model, inputs, grid)
    notes = [f"dropped {k!r}: {v}" for k, v in model.metadata.get("dropped", {}).items()]
    notes += _empty_layer_notes(model, loaded)
    notes += _point_setback_notes(model, loaded, grid)
    for k in class_code_inputs(model):  # class codes against the tables, legends and constraints reading them
        if isinstance(loaded[k], xr.DataArray):
            notes += check_class_codes(model, k, _class_codes(loaded[k]), source=_source(loaded[k]))
    derived = derive_layers(model, loaded, grid=grid)
    loaded.update(derived)
    notes += _nothing_within_reach_notes(model, loaded, derived)
    for text in notes:
        log.info("model %s: %s", model.name, text)
    if "esai" in derived:
        derived["esa_class"] = classify_esa(derived["esai"])
    if "china_sensitivity" in derived:
        derived["china_sensitivity_class"] = classify_china(derived["china_sensitivity"])
    rasters = {k: v for k, v in loaded.items() if isinstance(v, xr.DataArray)}
    res = evaluate(overlay, rasters, aoi=aoi)
    paths = {k: Path(v) for k, v in inputs.items() if k in model.inputs and isinstance(v, str | Path)}
    prov = provenance_record(paths, model=model.to_dict(), grid=grid.describe())
    prov["inputs_in_memory"] = sorted(k for k in model.inputs if k not in paths)
    ds = xr.Dataset({k: v.drop_vars("spatial_ref", errors="ignore") for k, v in derived.items()})
    ds = ds.rio.write_crs(grid.crs).rio.write_transform(grid.transform)
    return ModelResult(model, res.score, res.criteria, res.eligible, res.exclusion, ds, prov, res,
                       tuple(notes))


# ----------------------------------------------------------------------------- checks before the work
def _source(layer: Any) -> str:
    """The file a loaded layer came from (its name), or "" for data made in memory."""
    src = getattr(layer, "attrs", {}).get("source") or ""
    return Path(str(src)).name if src else ""


def _is_empty_vector(v: Any) -> bool:
    if not isinstance(v, gpd.GeoDataFrame | gpd.GeoSeries):
        return False
    geoms = v.geometry if isinstance(v, gpd.GeoDataFrame) else v
    return not bool((~(geoms.isna() | geoms.is_empty)).any())


def _effects(model: Model, layer: str) -> str:
    """What finding no feature of vector input ``layer`` does: ``"constraint 'x' excludes nothing; ..."``."""
    out = []
    setbacks = model.setbacks()
    for d in model.derivations:
        if layer not in d.inputs or d.function not in DISTANCE_FUNCTIONS:
            continue
        for c in model.constraints:
            if c.layer == d.name:
                beyond = c.name in setbacks and setbacks[c.name]["excludes"] == "beyond"
                out.append(f"constraint {c.name!r} excludes {'every pixel' if beyond else 'nothing'}")
        for crit in model.criteria:
            if crit.layer == d.name:
                out.append(f"criterion {crit.name!r} takes its value for 'beyond the cap' everywhere")
    return "; ".join(out) or "nothing reads it"


def _empty_layer_notes(model: Model, layers: Mapping[str, Any]) -> list[str]:
    """Notes for vector inputs without features; an error if something other than a distance needs them."""
    notes = []
    for k in model.inputs:
        if not _is_empty_vector(layers[k]):
            continue
        src = _source(layers[k])
        where = f"input layer {k!r}" + (f" ({src})" if src else "")
        others = [d.name for d in model.derivations if k in d.inputs and d.function not in DISTANCE_FUNCTIONS]
        others += [c.name for c in model.criteria if c.layer == k]
        others += [c.name for c in model.constraints if c.layer == k]
        if others:
            raise EmptyLayerError(
                f"model {model.name!r}: {where} has no features within reach of the area, and {others} need "
                f"its features, not only distances to them. Give a layer with features here, or leave "
                f"out what reads it: drop = [{k!r}] under [models.<name>] in a configuration, or "
                f"model.without({k!r})."
            )
        notes.append(f"{where} has no features within reach of the area: nothing here ({_effects(model, k)})")
    return notes


def _point_setback_notes(model: Model, layers: Mapping[str, Any], grid: Grid) -> list[str]:
    """Warn (and note) when a setback from an area layer (settlements, ...) is measured from points."""
    notes = []
    box = shapely.box(*grid.bounds)
    for name, sb in model.setbacks().items():
        layer = sb["layer"]
        if layer not in AREA_INPUTS or layer not in layers or _is_empty_vector(layers[layer]):
            continue
        gdf = layers[layer]
        geoms = (gdf.geometry if hasattr(gdf, "geometry") else gdf).to_crs(grid.crs)
        d = sb["distance_m"]
        reach = max(d.values()) if isinstance(d, Mapping) else float(d)
        points = geoms[geoms.geom_type.isin(["Point", "MultiPoint"]).to_numpy()]
        n = int((shapely.distance(box, np.asarray(points.values)) <= reach).sum()) if len(points) else 0
        if not n:
            continue
        src = _source(gdf)
        text = (f"constraint {name!r}: {n} feature(s) of input layer {layer!r}" + (f" ({src})" if src else "")
                + f" within reach are points, so the {reach:g} m setback is measured from a point, not from "
                f"the {layer.replace('_', ' ')}' outline; land just beyond {reach:g} m of the point may lie "
                "inside the settlement. Give outlines (polygons) if you have them, or widen the setback "
                f"(replace_constraint({name!r}, distance_m=...)).")
        warnings.warn(f"model {model.name!r}: {text}", PointFeaturesWarning, stacklevel=4)  # past the wrapper
        notes.append(text)
    return notes


def _nothing_within_reach_notes(model: Model, layers: Mapping[str, Any],
                                derived: Mapping[str, xr.DataArray]) -> list[str]:
    """Notes for vector inputs with features, none of them within reach of any setback or capped distance."""
    notes = []
    for k in model.inputs:
        readers = [d for d in model.derivations if k in d.inputs and d.function in DISTANCE_FUNCTIONS]
        if not readers or _is_empty_vector(layers[k]):
            continue
        if any(np.asarray(derived[d.name].values).any() if d.function == "within"
               else np.isfinite(np.asarray(derived[d.name].values)).any() for d in readers):
            continue
        reach = max(_reach_m(model, d) for d in readers)
        notes.append(f"input layer {k!r}" + (f" ({_source(layers[k])})" if _source(layers[k]) else "")
                     + f" has no feature within {reach:g} m of the grid: nothing here ({_effects(model, k)})")
    return notes


def _reach_m(model: Model, d: Derivation) -> float:
    if d.function == "within":
        dist = model.within_distance(d.name)
        return max(dist.values()) if isinstance(dist, Mapping) else float(dist)
    cap = model.resolved_parameters(d).get("max_distance_m")
    return math.inf if cap is None else float(cap)


def _class_codes(da: xr.DataArray) -> list[int | float]:
    """Distinct valid values of a raster (NaN and its nodata left out), ascending."""
    arr = np.asarray(da.values)
    valid = np.ones(arr.shape, bool)
    if np.issubdtype(arr.dtype, np.floating):
        valid &= ~np.isnan(arr)
    nodata = da.rio.nodata
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        valid &= arr != nodata
    return [int(c) if float(c).is_integer() else float(c) for c in np.unique(arr[valid])]


_TABLE_PARAMETER = {"texture": "texture_scores", "china_texture": "texture_grades"}


def _code_users(model: Model, layer: str) -> list[tuple[str, frozenset[int] | None, str]]:
    """What reads class codes of ``layer``: (label, codes it knows or None, parameter giving scores or "")."""
    legend = _legend_of(model, layer)
    users: list[tuple[str, frozenset[int] | None, str]] = []
    for c in model.criteria:
        f = c.function
        if c.layer == layer and isinstance(f, Categorical) and f.unknown.value == "error":
            users.append((f"criterion {c.name!r}", frozenset(k for k, _ in f.table), ""))
    for con in model.constraints:
        if con.layer == layer and isinstance(con, Categories):
            users.append((f"constraint {con.name!r}", frozenset(legend.classes) if legend else None, ""))
    for d in model.derivations:
        for tname, inp, table in tables_used(d.function, d.inputs, model.resolved_parameters(d)):
            if inp == layer and isinstance(table, CategoryTable):
                users.append((f"derivation {d.name!r} ({tname} table)", frozenset(table.scores),
                              _TABLE_PARAMETER.get(tname, f"{tname}_scores")))
    return users


def _legend_of(model: Model, layer: str) -> Any:
    name = model.parameters.get("land_cover_legend")
    return land_cover_legend(name) if layer == "land_cover" and isinstance(name, str) else None


def class_code_inputs(model: Model) -> list[str]:
    """The inputs of ``model`` whose class codes :func:`check_class_codes` checks (read by a lookup).

    A lookup is a categorical criterion, a categories constraint or a lookup table of a derivation
    (the ESAI land-cover and texture tables, China's texture grades).

    Examples
    --------
    >>> from steppe_geo.models import desertification_esai, wind_onshore
    >>> class_code_inputs(wind_onshore()), class_code_inputs(desertification_esai())
    (['land_cover'], ['soil_texture', 'land_cover'])
    """
    return [k for k in model.inputs if _code_users(model, k)]


def check_class_codes(model: Model, layer: str, codes: Sequence[int | float], *,
                      source: str = "") -> list[str]:
    """Check the class codes found in input ``layer`` against every table, legend and constraint reading them.

    The same check serves a run (codes read from the loaded layer) and a configuration check (codes
    from cheap statistics of the file).

    Parameters
    ----------
    model : Model
    layer : str
        An input of ``model`` (e.g. ``"land_cover"``).
    codes : sequence of int
        The distinct valid codes of the layer (nodata left out).
    source : str, optional
        The file, for messages.

    Returns
    -------
    list of str
        Notes (e.g. a categories constraint none of whose classes occur in an area whose codes all
        belong to the model's land-cover legend: it excludes nothing here).

    Raises
    ------
    InvalidParameterError
        Codes that a lookup table, a categorical criterion or the model's land-cover legend does not
        know (at most 10 listed, then how many more), naming the model, what reads the layer and the
        file; when the codes found fit a built-in legend, the message names it and the parameter to
        set (``land_cover_legend``). Or a categories constraint none of whose codes occurs in the
        layer (outside a known legend), which would exclude nothing (``exclude``) or everything
        (``allow``).

    Examples
    --------
    >>> from steppe_geo.models import solar_pv
    >>> from steppe_geo.models.running import check_class_codes
    >>> check_class_codes(solar_pv(), "land_cover", [11, 21, 52, 71, 82], source="nlcd.tif")
    ... # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    steppe_geo.errors.InvalidParameterError: model 'solar_pv': input layer 'land_cover' (nlcd.tif) has
    class codes [11, 21, 52, 71, 82] that criterion 'land_cover', constraint 'land_cover_excluded' do not
    know ... The codes found fit legend 'nlcd' ...
    """
    users = _code_users(model, layer)
    if not users:
        return []
    codes = sorted(set(codes))
    where = f"input layer {layer!r}" + (f" ({source})" if source else "")
    missing = {label: [c for c in codes if c not in known] for label, known, _ in users if known is not None}
    missing = {k: v for k, v in missing.items() if v}
    if missing:
        unknown = sorted({c for v in missing.values() for c in v})
        msg = (f"model {model.name!r}: {where} has class codes {format_codes(unknown)} that "
               f"{', '.join(missing)} do{'es' if len(missing) == 1 else ''} not know (codes found in the "
               f"layer: {format_codes(codes)}).")
        legend = _legend_of(model, layer)
        if legend is not None and any(c not in legend.classes for c in codes):
            integer = [int(c) for c in codes if float(c).is_integer()]
            fits = [f for f in matching_legends(integer) if f != legend.name]
            preset = model.preset or "the preset"
            msg += f" The model reads it in land-cover legend {legend.name!r} ({legend.title})."
            if fits and all(float(c).is_integer() for c in codes):
                fit = land_cover_legend(fits[0])
                msg += (f" The codes found fit legend {fit.name!r} ({fit.title}): set land_cover_legend = "
                        f"\"{fit.name}\" (under [models.<name>] in a configuration, or {preset}("
                        f"land_cover_legend=\"{fit.name}\") / model.with_parameters(land_cover_legend="
                        f"\"{fit.name}\") in Python).")
            else:
                msg += (" No built-in legend has all of them (legends: worldcover, esa-cci, modis-igbp, "
                        "nlcd, clcd): recode the layer to one of them, or edit what reads it.")
        params = [p for label, _, p in users if p and label in missing]
        if params:
            example = ", ".join(f"{c}: <score>" for c in unknown[:3])
            msg += (f" Give them scores with the model parameter {params[0]} (code → score, added to the "
                    f"default table): {model.preset or 'preset'}({params[0]}={{{example}}}) or "
                    f"model.with_parameters({params[0]}={{...}}); in a configuration file under "
                    f"[models.<name>.parameters.{params[0]}] as \"{unknown[0]}\" = <score>. Or recode the "
                    "layer.")
        raise InvalidParameterError(msg)
    notes = []
    found = set(codes)
    for c in model.constraints:
        if c.layer != layer or not isinstance(c, Categories):
            continue
        listed = c.exclude if c.exclude is not None else (c.allow or ())  # Categories has one of the two
        if found & set(listed):
            continue
        legend = _legend_of(model, layer)
        if c.exclude is not None and legend is not None:
            names = ", ".join(dict.fromkeys(legend.classes[k][0] for k in listed if k in legend.classes))
            notes.append(f"constraint {c.name!r}: none of its classes ({names}) occurs in {where}: it "
                         "excludes nothing here")
            continue
        what = "nothing" if c.exclude is not None else "everything"
        raise InvalidParameterError(
            f"model {model.name!r}: constraint {c.name!r} {'excludes' if c.exclude is not None else 'keeps'} "
            f"class codes {format_codes(list(listed))} of {where}, but none of them occurs in the layer "
            f"(codes found: {format_codes(codes)}): it would exclude {what}. Check the layer's coding and "
            f"the constraint's codes, or leave the constraint out (drop = [{c.name!r}] under "
            f"[models.<name>], model.without({c.name!r}))."
        )
    return notes
