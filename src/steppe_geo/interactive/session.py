"""Tuning a model by hand, without widgets: :class:`TuningSession` and what each edit changed.

A session holds a :class:`~steppe_geo.models.Model`, its layers (inputs and derived layers,
computed **once** by :func:`~steppe_geo.models.run_model`) at full resolution and a decimated copy
(every ``k``-th pixel of each row and column) for live redraws. An edit (a weight, the breakpoints
of a value function, a constraint's threshold or on/off state, the combination rule, AHP
judgements) builds a new model and re-evaluates only what it touches:

- a weight or the rule: the cached standardised criteria are only recombined;
- a value function: that criterion is standardised again, then recombined;
- a constraint: the constraints are evaluated again (an exact setback's distance re-derives its
  ``setback_<name>`` mask from the vector input, the one derivation that reads a threshold).

The arithmetic is the library's own (:meth:`ValueFunction.apply`, :func:`evaluate_constraints`,
:func:`combine`'s kernel), so a full-resolution score equals :func:`run_model`'s for the same model,
and the preview score is the full-resolution score at the sampled pixels (minimum-area constraints
excepted: their region sizes are counted on the preview grid). The widgets live in
:mod:`steppe_geo.interactive.panel`.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import tomli_w
import xarray as xr
from affine import Affine

from steppe_geo._validation import did_you_mean
from steppe_geo.errors import InvalidParameterError
from steppe_geo.grid import Grid
from steppe_geo.mcda import MinimumArea, Rule, Setback, ValueRange, ahp, aoi_mask
from steppe_geo.mcda.combine import combine_into, parse_rule
from steppe_geo.mcda.constraints import evaluate_constraints
from steppe_geo.mcda.value_functions import ValueFunction, decode_nodata
from steppe_geo.mcda.weights import AHPResult
from steppe_geo.models import Model, derive_layers, run_model
from steppe_geo.models.running import _load_inputs
from steppe_geo.parcels import coverage_matrix

__all__ = ["Change", "TuningSession", "Update"]

LEVELS = ("preview", "full")


@dataclass(frozen=True)
class Change:
    """What one edit changed, compared with the state before it (at the same level).

    Attributes
    ----------
    edit : str
        The edit, e.g. ``"weight wind_speed: 0.4 → 0.6"``.
    level : {"preview", "full"}
        Computed on the decimated preview grid or at full resolution.
    eligible_ha : float
        Eligible area after the edit, hectares (on the preview grid: eligible sampled pixels ×
        the area each stands for, an estimate).
    eligible_ha_delta : float
        Change of the eligible area, hectares.
    top_k : tuple
        Ids of the ``k`` best parcels after the edit, best first (empty without parcels).
    top_k_changed : int
        How many of them were not among the ``k`` best before the edit.
    k : int
        Number of top parcels followed (0 without parcels).
    """

    edit: str
    level: str
    eligible_ha: float
    eligible_ha_delta: float
    top_k: tuple[Any, ...] = ()
    top_k_changed: int = 0
    k: int = 0

    def text(self) -> str:
        """One line: ``"+1,240 ha eligible, 3 of the top 10 parcels changed"``."""
        line = f"{round(self.eligible_ha_delta):+,} ha eligible"  # whole hectares; never "-0"
        if self.k:
            line += f", {self.top_k_changed} of the top {self.k} parcels changed"
        return line


@dataclass(frozen=True)
class Update:
    """The result of an evaluation of the session's model.

    Attributes
    ----------
    score : DataArray float32
        Score 0..1, NaN where ineligible, on the full grid or on the preview grid.
    eligible : DataArray bool
        True = eligible.
    change : Change
        What the edit changed.
    ranking : DataFrame or None
        Parcels (without geometry) with ``score`` (zonal mean of the score over the parcel's eligible
        land), ``eligible_area_ha`` and ``rank`` (1 = best), best first; None without parcels.
    """

    score: xr.DataArray
    eligible: xr.DataArray
    change: Change
    ranking: pd.DataFrame | None = None


@dataclass
class _Level:
    """The arrays of one resolution: layers, the AOI mask, the cached criteria and constraints."""

    grid: Grid
    step: int
    layers: dict[str, np.ndarray]
    inside: np.ndarray | None
    stack: np.ndarray  # (criteria, pixels) float32: standardised criteria, in model order
    functions: list[Any]  # function (and layer) each stack row was computed with
    constraint_key: Any = None
    constraint_out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    missing: np.ndarray | None = None
    missing_key: Any = None
    coverage: Any = None
    previous: tuple[float, tuple[Any, ...]] | None = None
    versions: dict[str, int] = field(default_factory=dict)
    template: xr.DataArray | None = None


def _preview_step(shape: tuple[int, int], preview_pixels: int) -> int:
    """Smallest stride ``k`` with ``ceil(rows / k) · ceil(cols / k) <= preview_pixels``."""
    k = max(1, math.floor(math.sqrt(shape[0] * shape[1] / preview_pixels)))
    while math.ceil(shape[0] / k) * math.ceil(shape[1] / k) > preview_pixels:
        k += 1
    return k


def _stack(n: int, grid: Grid) -> np.ndarray:
    """An empty (criteria, pixels) float32 stack of standardised criteria."""
    return np.empty((n, grid.shape[0] * grid.shape[1]), dtype=np.float32)


def _preview_grid(grid: Grid, step: int) -> Grid:
    """The grid of every ``step``-th pixel: pixel (r, c) is centred on the full grid's (step·r, step·c)."""
    if step == 1:
        return grid
    shift = -(step - 1) / 2
    transform = grid.transform * Affine.translation(shift, shift) * Affine.scale(step)
    rows, cols = grid.shape
    return Grid(grid.crs, transform, (math.ceil(rows / step), math.ceil(cols / step)))


class TuningSession:
    """A model being tuned by hand: edits re-evaluate only what they touch, on a preview or in full.

    Parameters
    ----------
    model : Model
        The model to tune (a preset or your own).
    inputs : mapping name → DataArray, GeoDataFrame or path
        At least ``model.inputs``, as for :func:`steppe_geo.models.run_model`.
    grid : Grid
        Projected analysis grid (metres).
    aoi : GeoDataFrame or GeoSeries, optional
        Area of interest: pixels whose centre is outside are never eligible.
    parcels : GeoDataFrame, optional
        Polygons to rank after every edit (zonal mean of the score over each parcel's eligible land,
        exact coverage fractions from :func:`steppe_geo.parcels.coverage_matrix`).
    parcel_id : str, optional
        Column of unique parcel ids (default: the index).
    top_k : int, default 10
        Number of top parcels the "what changed" record follows.
    preview_pixels : int, default 250_000
        Most pixels of the preview grid (every ``k``-th pixel of the full grid, ``k`` the smallest
        stride that fits).

    Attributes
    ----------
    last : dict level → Update
        The latest evaluation at ``"full"`` and at ``"preview"`` resolution.
    stats : dict
        Work done so far: ``standardised`` (criterion layers put through their value function),
        ``constraint_passes`` (evaluations of the constraints), ``evaluations``. A weight or rule
        change adds to ``evaluations`` only.
    notes : tuple of str
        The notes of the first :func:`run_model` (e.g. an input with no features within reach).

    Raises
    ------
    InvalidParameterError
        ``top_k`` or ``preview_pixels`` < 1, ``top_k`` more than the parcels; and whatever
        :func:`run_model` raises for the model and its inputs.

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> import steppe_geo as sg
    >>> from steppe_geo.mcda import Criterion, Linear, ValueRange
    >>> from steppe_geo.interactive import TuningSession
    >>> grid = sg.Grid("EPSG:32649", Affine(100, 0, 400_000, 0, -100, 4_430_000), (1, 3))  # 1 ha pixels
    >>> a = grid.to_dataarray(np.array([[0.0, 5.0, 10.0]], dtype=np.float32))
    >>> b = grid.to_dataarray(np.array([[10.0, 0.0, 10.0]], dtype=np.float32))
    >>> m = sg.models.Model("demo", inputs=("a", "b"), criteria=(Criterion("a", Linear(0, 10)),
    ...     Criterion("b", Linear(0, 10))), constraints=(ValueRange("low_a", "a", max=8),))
    >>> s = TuningSession(m, {"a": a, "b": b}, grid=grid)
    >>> print(s.set_weight("a", 3).score.values)  # 0.75·a/10 + 0.25·b/10; a = 10 is excluded
    [[0.25  0.375   nan]]
    >>> s.toggle_constraint("low_a", False).change.text()
    '+1 ha eligible'
    """

    def __init__(self, model: Model, inputs: Mapping[str, Any], *, grid: Grid, aoi: Any = None,
                 parcels: gpd.GeoDataFrame | None = None, parcel_id: str | None = None, top_k: int = 10,
                 preview_pixels: int = 250_000) -> None:
        if not isinstance(model, Model):
            raise InvalidParameterError(
                f"model must be a steppe_geo.models.Model, got {type(model).__name__}")
        for pname, value in (("top_k", top_k), ("preview_pixels", preview_pixels)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise InvalidParameterError(f"{pname} must be an integer >= 1, got {value!r}")
        if parcels is not None and top_k > len(parcels):
            raise InvalidParameterError(
                f"top_k must not exceed the number of parcels ({len(parcels)}), got {top_k}")
        self.grid = grid
        self.aoi = aoi
        self.top_k = int(top_k) if parcels is not None else 0
        self.parcel_id = parcel_id
        self._parcels = parcels
        self._preview_parcels = parcels
        # every input read once; run_model checks them and derives the layers (the only time it does)
        if [k for k in model.inputs if k not in inputs or inputs[k] is None]:
            run_model(model, inputs, grid=grid, aoi=aoi)  # words the error: what needs each missing layer
        loaded = _load_inputs(model, inputs, grid)
        first = run_model(model, loaded, grid=grid, aoi=aoi)
        self.notes: tuple[str, ...] = first.notes
        self._loaded: dict[str, Any] = {**loaded, **{str(k): first.layers[k] for k in first.layers.data_vars}}
        self._base = model  # every constraint, enabled or not
        self._enabled: dict[str, bool] = dict.fromkeys(model.constraint_names, True)
        self._ahp: AHPResult | None = None
        self.ahp_note = ""
        layers = self._raster_layers(model)
        inside = None if aoi is None else np.asarray(aoi_mask(aoi, grid=grid).values)
        step = _preview_step(grid.shape, int(preview_pixels))
        n = len(model.criteria)
        full = _Level(grid, 1, layers, inside, _stack(n, grid), [None] * n)
        if step == 1:
            self._levels = {"full": full, "preview": full}
        else:
            pgrid = _preview_grid(grid, step)
            player = {k: np.ascontiguousarray(v[::step, ::step]) for k, v in layers.items()}
            pinside = None if inside is None else np.ascontiguousarray(inside[::step, ::step])
            preview = _Level(pgrid, step, player, pinside, _stack(n, pgrid), [None] * n)
            self._levels = {"full": full, "preview": preview}
        if parcels is not None:
            full.coverage = coverage_matrix(parcels, grid, id_column=parcel_id)
            if step > 1:  # a parcel at the far edge may miss the preview grid's pixels: ranked NaN there
                pgrid = self._levels["preview"].grid
                box = shapely.box(*pgrid.bounds)
                on = parcels.to_crs(pgrid.crs).intersects(box).to_numpy()
                self._preview_parcels = parcels[on]
                self._levels["preview"].coverage = coverage_matrix(self._preview_parcels, pgrid,
                                                                   id_column=parcel_id)
        self.stats = {"standardised": 0, "constraint_passes": 0, "evaluations": 0}
        self.last: dict[str, Update] = {}
        for level in dict.fromkeys(("full", "preview")):
            self.last[level] = self._evaluate(level, "start")

    # ------------------------------------------------------------------ views
    @property
    def model(self) -> Model:
        """The tuned model: the base model with every edit, and without the constraints switched off."""
        off = [name for name, on in self._enabled.items() if not on]
        m = self._base
        for name in off:
            m = m.remove_constraint(name)
        return m

    @property
    def base_model(self) -> Model:
        """The tuned model with every constraint, switched on or not."""
        return self._base

    @property
    def enabled(self) -> dict[str, bool]:
        """Constraint name → switched on."""
        return dict(self._enabled)

    @property
    def ahp(self) -> AHPResult | None:
        """The AHP result the weights come from (None when the weights were set directly)."""
        return self._ahp

    @property
    def preview_step(self) -> int:
        """Stride of the preview grid (1: the preview is the full grid)."""
        return self._levels["preview"].step

    @property
    def preview_grid(self) -> Grid:
        """The preview grid (every ``preview_step``-th pixel of the full grid)."""
        return self._levels["preview"].grid

    def weights(self) -> dict[str, float]:
        """Criterion name → normalised weight (sums to 1)."""
        ov = self._base.overlay()
        return dict(zip(ov.criterion_names, (float(w) for w in ov.normalized_weights), strict=True))

    def layer(self, name: str) -> np.ndarray:
        """Values of the layer a criterion (or else a constraint) reads, on the preview grid, nodata NaN.

        For a histogram or a slider's range. Minimum-area constraints read no layer.

        Raises
        ------
        InvalidParameterError
            ``name`` is neither a criterion nor a constraint reading a layer.
        """
        if name in self._base.criterion_names:
            return self._levels["preview"].layers[self._criterion(name).layer]
        c = self._constraint(name) if name in self._base.constraint_names else None
        if c is None or c.layer is None:
            valid = [*self._base.criterion_names, *self._base.constraint_names]
            raise InvalidParameterError(
                f"{name!r} is not a criterion or a constraint reading a layer"
                f"{did_you_mean(name, valid) or '.'} Criteria and constraints: {valid}")
        return self._levels["preview"].layers[c.layer]

    def to_toml(self) -> str:
        """The tuned model as a model file (:meth:`Model.to_toml`)."""
        return self.model.to_toml()

    def config_block(self, name: str | None = None) -> str:
        """The tuned model as the ``[models.<name>]`` table of a configuration (``model = {...}``).

        Parameters
        ----------
        name : str, optional
            The model's key in the configuration (default: the model's name).
        """
        key = name or self.model.name
        return tomli_w.dumps({"models": {key: {"model": self.model.to_dict()}}})

    # ------------------------------------------------------------------ edits
    def set_weight(self, criterion: str, weight: float, *, level: str = "full") -> Update:
        """Set a criterion's (raw) weight; the weights are normalised to sum to 1.

        Raises
        ------
        InvalidParameterError
            An unknown criterion (the closest name suggested) or a weight < 0 or not finite.
        """
        old = self._criterion(criterion).weight
        self._base = self._base.with_weights({criterion: weight})
        self._ahp, self.ahp_note = None, ""
        return self._evaluate(level, f"weight {criterion}: {old:g} → {float(weight):g}")

    def set_weights(self, weights: Mapping[str, float], *, level: str = "full") -> Update:
        """Set several weights at once (:meth:`set_weight`)."""
        self._base = self._base.with_weights(weights)
        self._ahp, self.ahp_note = None, ""
        return self._evaluate(level, "weights " + ", ".join(f"{k}={float(v):g}" for k, v in weights.items()))

    def set_judgements(self, judgements: Mapping[tuple[str, str], float], *, level: str = "full") -> Update:
        """Weights from AHP pairwise judgements (:func:`steppe_geo.mcda.ahp`) over the model's criteria.

        The consistency ratio is kept in :attr:`ahp` and, when it is above 0.10, the warning's text
        in :attr:`ahp_note` (the panel shows both).

        Raises
        ------
        InvalidParameterError
            Judgements naming an unknown criterion, or not one per pair of criteria.
        """
        names = self._base.criterion_names
        unknown = sorted({n for pair in judgements for n in pair} - set(names))
        if unknown:
            raise InvalidParameterError(
                f"judgements name {unknown}, which are not criteria of model {self._base.name!r}"
                f"{did_you_mean(unknown[0], names) or '.'} Criteria are: {names}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = ahp(dict(judgements), criteria=names)
        self._ahp = result
        self.ahp_note = " ".join(str(w.message) for w in caught)
        self._base = self._base.with_weights(result.as_dict())
        return self._evaluate(level, f"AHP judgements (CR {result.cr:.3f})")

    def set_breakpoints(self, criterion: str, *, level: str = "full", **parameters: Any) -> Update:
        """Change parameters of a criterion's value function: ``set_breakpoints("slope", low=20)``.

        ``parameters`` are fields of the value function (``low``/``high`` of ``linear``, ``xs``/``ys``
        of ``piecewise_linear``, ``midpoint``/``spread`` of ``small``, ...), checked by it.

        Raises
        ------
        InvalidParameterError
            An unknown criterion or field (the function's fields listed), or values the function refuses.
        """
        c = self._criterion(criterion)
        fn = c.function
        valid = [f.name for f in dataclasses.fields(fn)]
        unknown = [p for p in parameters if p not in valid]
        if unknown:
            raise InvalidParameterError(
                f"criterion {criterion!r}: value function {fn.name!r} has no parameter {unknown[0]!r}"
                f"{did_you_mean(unknown[0], valid) or '.'} Its parameters are: {valid}")
        new = dataclasses.replace(fn, **parameters)
        self._base = self._base.replace_criterion(criterion, function=new,
                                                  source=f"tuned by hand (was: {fn.label()})")
        return self._evaluate(level, f"value function {criterion}: {new.label()}")

    def set_function(self, criterion: str, function: ValueFunction, *, level: str = "full") -> Update:
        """Replace a criterion's value function (e.g. another shape)."""
        old = self._criterion(criterion).function
        self._base = self._base.replace_criterion(criterion, function=function,
                                                  source=f"tuned by hand (was: {old.label()})")
        return self._evaluate(level, f"value function {criterion}: {function.label()}")

    def threshold(self, constraint: str) -> dict[str, float | None]:
        """The thresholds of a constraint that :meth:`set_threshold` can change: bound → value.

        ``{"min": ..., "max": ...}`` for a value range, ``{"distance_m": ...}`` for a setback on a
        distance layer and for an exact setback (its ``within`` derivation), ``{}`` for the others
        (categories, minimum area, an exact setback with distances by class).
        """
        c = self._constraint(constraint)
        setbacks = self._base.setbacks()
        if constraint in setbacks:  # an exact setback: its distance (none to move when given by class)
            distance = setbacks[constraint]["distance_m"]
            return {} if isinstance(distance, dict) else {"distance_m": float(distance)}
        if isinstance(c, ValueRange):
            return {"min": c.min, "max": c.max}
        if isinstance(c, Setback):
            return {"distance_m": c.distance_m}
        return {}

    def set_threshold(self, constraint: str, value: float, *, bound: str | None = None,
                      level: str = "full") -> Update:
        """Move a constraint's threshold.

        Parameters
        ----------
        constraint : str
            A value range (``bound`` ``"min"`` or ``"max"``; the one it has if it has only one), a
            setback on a distance layer or an exact setback (``distance_m``, metres: its mask is
            derived again from the vector input, at full resolution, then sampled for the preview).
        value : float
            The new threshold, in the layer's units.
        bound : {"min", "max", "distance_m"}, optional
            Which threshold, when the constraint has two.
        level : {"full", "preview"}, default "full"

        Raises
        ------
        InvalidParameterError
            An unknown constraint, one without a threshold (categories, minimum area, a setback by
            class), an ambiguous or unknown ``bound``, or a value the constraint refuses.
        """
        thresholds = self.threshold(constraint)
        if not thresholds:
            c = self._constraint(constraint)
            raise InvalidParameterError(
                f"constraint {constraint!r} ({type(c).__name__}) has no threshold to move; switch it on or "
                "off with toggle_constraint")
        if bound is None:
            given = [k for k, v in thresholds.items() if v is not None]
            if len(given) != 1:
                raise InvalidParameterError(
                    f"constraint {constraint!r} has thresholds {thresholds}: say which with "
                    f"bound='min' or bound='max'")
            bound = given[0]
        if bound not in thresholds:
            raise InvalidParameterError(
                f"constraint {constraint!r}: bound must be one of {list(thresholds)}, got {bound!r}")
        old = thresholds[bound]
        if constraint in self._base.setbacks():
            self._base = self._base.replace_constraint(constraint, distance_m=float(value),
                                                       source=f"tuned by hand (was: {old} m)")
            layer = self._base.constraints[self._base.constraint_names.index(constraint)].layer
            if layer is None:  # a setback reads its `within` layer (Model.setbacks lists only those)
                raise InvalidParameterError(f"constraint {constraint!r} is a setback that reads no layer")
            self._rederive(layer)
        else:
            self._base = self._base.replace_constraint(constraint, **{bound: float(value)},
                                                       source=f"tuned by hand (was: {bound} = {old})")
        return self._evaluate(level, f"constraint {constraint}: {bound} {old} → {float(value):g}")

    def toggle_constraint(self, constraint: str, on: bool | None = None, *, level: str = "full") -> Update:
        """Switch a constraint on or off (``on=None`` flips it); an off constraint excludes nothing."""
        self._constraint(constraint)
        self._enabled[constraint] = (not self._enabled[constraint]) if on is None else bool(on)
        state = "on" if self._enabled[constraint] else "off"
        return self._evaluate(level, f"constraint {constraint}: {state}")

    def set_rule(self, rule: str | Rule, *, level: str = "full") -> Update:
        """Change the combination rule (:class:`steppe_geo.mcda.Rule`; aliases such as ``"wpm"`` accepted)."""
        old = self._base.rule
        new = parse_rule(rule).value
        self._base = dataclasses.replace(self._base, rule=new)
        return self._evaluate(level, f"rule: {Rule(parse_rule(old)).value} → {new}")

    def evaluate(self, level: str = "full") -> Update:
        """Evaluate the current model (e.g. at full resolution after live edits on the preview)."""
        return self._evaluate(level, f"{level} resolution")

    # ------------------------------------------------------------------ internals
    def _criterion(self, name: str) -> Any:
        names = self._base.criterion_names
        if name not in names:
            raise InvalidParameterError(
                f"model {self._base.name!r}: no criterion {name!r}{did_you_mean(name, names) or '.'} "
                f"Criteria are: {names}")
        return self._base.criteria[names.index(name)]

    def _constraint(self, name: str) -> Any:
        names = self._base.constraint_names
        if name not in names:
            raise InvalidParameterError(
                f"model {self._base.name!r}: no constraint {name!r}{did_you_mean(name, names) or '.'} "
                f"Constraints are: {names}")
        return self._base.resolved_constraints()[names.index(name)]

    def _raster_layers(self, model: Model) -> dict[str, np.ndarray]:
        """The overlay's layers as arrays with nodata decoded to NaN (shared, not copied, when float)."""
        out = {}
        for key in model.overlay().required_layers():
            da = self._loaded[key]
            out[key] = decode_nodata(np.asarray(da.values), da.rio.nodata)
        return out

    def _rederive(self, layer: str) -> None:
        """Derive ``layer`` again (an exact setback whose distance changed) and refresh both levels."""
        given = {k: v for k, v in self._loaded.items() if k != layer}
        out = derive_layers(self._base, given, grid=self.grid, only=[layer])[layer]
        self._loaded[layer] = out
        values = decode_nodata(np.asarray(out.values), out.rio.nodata)
        for lv in {id(x): x for x in self._levels.values()}.values():
            lv.layers[layer] = values if lv.step == 1 else np.ascontiguousarray(values[::lv.step, ::lv.step])
            lv.versions[layer] = lv.versions.get(layer, 0) + 1

    def _evaluate(self, level: str, edit: str) -> Update:
        if level not in LEVELS:
            raise InvalidParameterError(f"level must be one of {list(LEVELS)}, got {level!r}")
        lv = self._levels[level]
        overlay = self.model.overlay()
        shape = lv.grid.shape
        for i, c in enumerate(overlay.criteria):  # standardise only what changed
            key = (c.function, c.layer, lv.versions.get(c.layer, 0))
            if lv.functions[i] != key:
                c.function.apply(lv.layers[c.layer], out=lv.stack[i].reshape(shape))
                lv.functions[i] = key
                self.stats["standardised"] += 1
        keys = list(dict.fromkeys(c.layer for c in overlay.criteria))
        mkey = tuple(lv.versions.get(k, 0) for k in keys)
        if lv.missing is None or lv.missing_key != mkey:  # no data in a criterion layer: the no_data bit
            lv.missing = np.zeros(shape, dtype=bool)
            for name in keys:
                if np.issubdtype(lv.layers[name].dtype, np.floating):
                    lv.missing |= np.isnan(lv.layers[name])
            lv.missing_key = mkey
            lv.constraint_key = None
        ckey = (overlay.constraints, tuple(0 if c.layer is None else lv.versions.get(c.layer, 0)
                                           for c in overlay.constraints))
        if lv.constraint_key != ckey:
            area = any(isinstance(c, MinimumArea) for c in overlay.constraints)
            pix = lv.grid.pixel_area_m2 if area else None
            lv.constraint_out = evaluate_constraints(
                overlay.constraints, lv.layers, shape=shape, pixel_area_m2=pix, inside=lv.inside,
                missing=lv.missing)
            lv.constraint_key = ckey
            self.stats["constraint_passes"] += 1
        assert lv.constraint_out is not None
        eligible = lv.constraint_out[2]
        self.stats["evaluations"] += 1
        score = np.empty(shape, dtype=np.float32)
        v = np.asarray(overlay.owa.weights) if overlay.owa else None
        combine_into(lv.stack, overlay.normalized_weights, overlay.rule, v, overlay.gamma, score.reshape(-1))
        score[~eligible] = np.nan
        if lv.template is None:  # coordinates and CRS built once per level, shared by every result
            lv.template = lv.grid.to_dataarray(np.zeros(shape, dtype=np.float32))
        score_da = lv.template.copy(deep=False, data=score).rename("score")
        score_da.attrs = {"units": "1", **overlay.tags()}
        eligible_da = lv.template.copy(deep=False, data=eligible).rename("eligible")
        eligible_da.attrs = {}
        eligible_ha = float(np.count_nonzero(eligible)) * lv.grid.pixel_area_m2 / 1e4
        ranking = None
        top: tuple[Any, ...] = ()
        if lv.coverage is not None:
            ranking = self._rank(lv, score, eligible)
            top = tuple(ranking.index[: self.top_k])
        before = lv.previous or (eligible_ha, top)
        changed = len(set(top) - set(before[1]))
        lv.previous = (eligible_ha, top)
        change = Change(edit, level, eligible_ha, eligible_ha - before[0], top, changed, self.top_k)
        update = Update(score_da, eligible_da, change, ranking)
        self.last[level] = update
        return update

    def _ids(self, parcels: gpd.GeoDataFrame) -> pd.Index:
        return pd.Index(parcels[self.parcel_id] if self.parcel_id else parcels.index)

    def _rank(self, lv: _Level, score: np.ndarray, eligible: np.ndarray) -> pd.DataFrame:
        """Parcels by the zonal mean of the score over their eligible land, best first (ties: row order).

        The coverage matrix ``C`` (exact fractions, computed once) makes each edit two sparse
        products: ``mean = C·(score·eligible) / C·eligible`` and ``eligible area = C·eligible × pixel
        area`` — exactextract's coverage-weighted mean over the eligible cells, as
        :func:`steppe_geo.parcels.zonal_stats` computes it (the tests compare the two).
        """
        assert self._parcels is not None and self._preview_parcels is not None
        parcels = self._parcels if lv.step == 1 else self._preview_parcels
        ok = eligible.reshape(-1).astype(np.float64)
        x = np.where(eligible, score, 0.0).reshape(-1).astype(np.float64)
        m = lv.coverage.matrix
        den = np.asarray(m @ ok).ravel()
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(den > 0, np.asarray(m @ x).ravel() / den, np.nan)
        table = pd.DataFrame({"score": mean, "eligible_area_ha": den * lv.grid.pixel_area_m2 / 1e4},
                             index=self._ids(parcels))
        table = table.reindex(self._ids(self._parcels))
        values = table["score"].to_numpy(dtype=np.float64)
        order = np.lexsort((np.arange(len(table)), np.where(np.isfinite(values), -values, np.inf)))
        table = table.iloc[order]
        rank = np.arange(1, len(table) + 1, dtype=float)
        rank[~np.isfinite(table["score"].to_numpy(dtype=np.float64))] = np.nan
        table["rank"] = rank
        return table
