"""Derivation adapters that read vector layers by distance.

``distance`` (metres to the nearest feature) and ``within`` (exact setback masks, by class and from
banks).

Each is ``f(layers, inputs, grid, **parameters) -> DataArray``, registered by name in
:data:`steppe_geo.models.derivations.DERIVATIONS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from steppe_geo._validation import check_positive, did_you_mean
from steppe_geo.criteria import distance, tip_height_m, within_distance
from steppe_geo.errors import (
    InvalidParameterError,
    MissingLayerError,
)
from steppe_geo.grid import Grid

__all__ = [
    "within_distance_m",
]


def _d_distance(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    max_distance_m: float | None = None,
    all_touched: bool = True,
) -> xr.DataArray:
    # all_touched (default): every pixel a feature touches is a feature pixel, so features smaller than a
    # pixel are never lost and a pixel centre within d − ½ pixel diagonal of a feature is within d.
    frames = []
    for key in inputs:
        v = layers[key]
        if not isinstance(v, gpd.GeoDataFrame | gpd.GeoSeries):
            raise InvalidParameterError(
                f"distance: input {key!r} must be a vector layer, got {type(v).__name__}"
            )
        gs = v.geometry if isinstance(v, gpd.GeoDataFrame) else v
        frames.append(gs if gs.crs is None and len(gs) == 0 else gs.to_crs(grid.crs))
    feats = gpd.GeoSeries(pd.concat(frames, ignore_index=True), crs=grid.crs)
    if not (~(feats.isna() | feats.is_empty)).any():  # an empty layer: nothing here, no feature within reach
        attrs = {"max_distance_m": float(max_distance_m)} if max_distance_m is not None else {}
        return grid.to_dataarray(np.full(grid.shape, np.inf), name="distance", units="m", attrs=attrs)
    return distance(feats, grid=grid, max_distance_m=max_distance_m, all_touched=bool(all_touched))


def _vector_features(layers: Mapping[str, Any], inputs: Sequence[str], grid: Grid, what: str) -> Any:
    frames = []
    for key in inputs:
        v = layers[key]
        if not isinstance(v, gpd.GeoDataFrame | gpd.GeoSeries):
            raise InvalidParameterError(
                f"{what}: input {key!r} must be a vector layer, got {type(v).__name__}"
            )
        gdf = v if isinstance(v, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=v)
        frames.append(gdf.set_crs(grid.crs) if gdf.crs is None and len(gdf) == 0 else gdf.to_crs(grid.crs))
    if len(frames) == 1:
        return frames[0]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=grid.crs)


def within_distance_m(
    *,
    distance_m: float | None = None,
    tip_height_multiple: float | None = None,
    hub_height_m: float | None = None,
    rotor_diameter_m: float | None = None,
    class_distances_m: Mapping[str, float] | None = None,
    what: str = "within",
) -> float | dict[str, float]:
    """The distance of a ``within`` derivation in metres (a number, or one per feature class).

    ``distance_m`` in metres; or ``tip_height_multiple`` × (``hub_height_m`` + ``rotor_diameter_m`` / 2);
    or ``class_distances_m`` (class → metres, ``"*"`` for every other class).

    Raises
    ------
    InvalidParameterError
        If none or more than one is given, or a distance is not a finite number > 0.
    """
    given = [k for k, v in (("distance_m", distance_m), ("tip_height_multiple", tip_height_multiple),
                            ("class_distances_m", class_distances_m)) if v is not None and v != {}]
    if len(given) != 1:
        raise InvalidParameterError(
            f"{what}: give exactly one of distance_m, tip_height_multiple (with hub_height_m and "
            f"rotor_diameter_m) or class_distances_m, got {given or 'none'}"
        )
    if distance_m is not None:
        return check_positive(distance_m, param=f"{what}: distance_m")
    if tip_height_multiple is not None:
        if hub_height_m is None or rotor_diameter_m is None:
            raise InvalidParameterError(
                f"{what}: tip_height_multiple needs hub_height_m and rotor_diameter_m"
            )
        mult = check_positive(tip_height_multiple, param=f"{what}: tip_height_multiple")
        return round(mult * tip_height_m(hub_height_m, rotor_diameter_m), 9)  # 1.1 x 200 m = 220 m exactly
    assert class_distances_m is not None
    if not isinstance(class_distances_m, Mapping):
        raise InvalidParameterError(
            f"{what}: class_distances_m must map feature classes to metres, got {class_distances_m!r}"
        )
    return {str(k): check_positive(v, param=f"{what}: class_distances_m[{k!r}]")
            for k, v in class_distances_m.items()}


def _d_within(
    layers: Mapping[str, Any],
    inputs: Sequence[str],
    grid: Grid,
    *,
    distance_m: float | None = None,
    tip_height_multiple: float | None = None,
    hub_height_m: float | None = None,
    rotor_diameter_m: float | None = None,
    class_column: str = "",
    class_distances_m: Mapping[str, float] | None = None,
    width_column: str = "",
    all_touched: bool = False,
) -> xr.DataArray:
    # 1 where a pixel centre (all_touched: any part of the pixel) is within the distance of a feature's
    # geometry, else 0 — exact against the vector geometries (steppe_geo.criteria.within_distance); the
    # distance may depend on a class column, and line features with a width column are measured from their
    # banks (centre line + width / 2).
    what = "within"
    gdf = _vector_features(layers, inputs, grid, what)
    d = within_distance_m(distance_m=distance_m, tip_height_multiple=tip_height_multiple,
                          hub_height_m=hub_height_m, rotor_diameter_m=rotor_diameter_m,
                          class_distances_m=class_distances_m, what=what)
    if not (~(gdf.geometry.isna() | gdf.geometry.is_empty)).any():  # an empty layer: nothing within reach
        return grid.to_dataarray(np.zeros(grid.shape), name="within", units="1")
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    if isinstance(d, dict):
        if class_column:
            if class_column not in gdf.columns:
                raise MissingLayerError(
                    f"{what}: input layer {inputs[0]!r} has no class column {class_column!r}"
                    f"{did_you_mean(class_column, cols) or '.'} Columns are: {cols}. Name the column, or "
                    "set the class column to '' to give every feature the '*' distance."
                )
            classes = gdf[class_column].astype(str).to_numpy()
        else:
            classes = np.full(len(gdf), "*", dtype=object)
        unknown = sorted({c for c in classes if c not in d} if "*" not in d else set())
        if unknown:
            raise InvalidParameterError(
                f"{what}: input layer {inputs[0]!r} has feature classes {unknown} (column {class_column!r}) "
                f"without a setback; the setbacks by class are {d}. Add them (or a '*' entry for every "
                "other class) to the class distances."
            )
        per_feature = np.array([d.get(c, d.get("*", np.nan)) for c in classes], dtype=np.float64)
    else:
        per_feature = np.full(len(gdf), float(d))
    if width_column:
        if width_column not in gdf.columns:
            raise MissingLayerError(
                f"{what}: input layer {inputs[0]!r} has no width column {width_column!r}"
                f"{did_you_mean(width_column, cols) or '.'} Columns are: {cols}. Name the column, or set "
                "the width column to '' to measure from the centre lines."
            )
        w = np.asarray(gdf[width_column], dtype=np.float64)
        if np.any(w[np.isfinite(w)] < 0):
            raise InvalidParameterError(f"{what}: {inputs[0]}.{width_column} must be >= 0 metres")
        per_feature = per_feature + np.where(np.isfinite(w), w, 0.0) / 2.0  # NaN width: the centre line
    mask = np.zeros(grid.shape, dtype=bool)
    for dist in np.unique(per_feature):
        sub = gdf[per_feature == dist]
        mask |= np.asarray(
            within_distance(sub, grid=grid, distance_m=float(dist), all_touched=bool(all_touched)).values,
            dtype=bool,
        )
    return grid.to_dataarray(mask.astype(np.float64), name="within", units="1")


