"""Desertification indices and classes: the ESAI quality indices, ESAI, China's sensitivity index D.

Quality indices are geometric means of their variables' scores
(:mod:`~steppe_geo.models.desertification_tables`); a geometric mean is never taken over fewer
variables than the index defines unless ``allow_missing=True`` is asked for (then it is re-weighted
per pixel and :class:`ReducedQualityIndexWarning` says so). :func:`classify_esa` and
:func:`classify_china` turn the indices into classes; :func:`grazing_density` burns a livestock
census onto the grid.

See ``docs/models.md`` for the formulas and their sources.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, overload

import numpy as np
import xarray as xr

from steppe_geo._validation import check_projected, did_you_mean
from steppe_geo.errors import InvalidParameterError, MissingLayerError, SteppeGeoWarning
from steppe_geo.io import rasterize
from steppe_geo.models.desertification_tables import (
    CHINA_GRADE_BREAKS,
    CHINA_SENSITIVITY_LABELS,
)
from steppe_geo.models.score_tables import (
    ScoreTable,
    _unwrap,
)

__all__ = [
    "ESA_BREAKS",
    "ESA_LABELS",
    "ReducedQualityIndexWarning",
    "china_grade",
    "china_sensitivity",
    "classify_china",
    "classify_esa",
    "climate_quality",
    "esai",
    "geometric_mean",
    "grazing_density",
    "management_quality",
    "soil_quality",
    "vegetation_quality",
]


class ReducedQualityIndexWarning(SteppeGeoWarning):
    """A quality index was computed over fewer variables than it defines (``allow_missing=True``)."""



def grazing_density(townships: Any, *, grid: Any, column: str = "sheep_units") -> xr.DataArray:
    """Grazing pressure (sheep units per km²) from a livestock census per township, on ``grid``.

    Each township's census ``column`` is divided by its area (km², in the grid's projected CRS)
    and burnt onto the grid (pixel centres inside the township). Pixels outside every township
    are NaN.

    Parameters
    ----------
    townships : GeoDataFrame
        Polygons with a CRS and a numeric ``column`` (≥ 0).
    grid : Grid
        Projected analysis grid.
    column : str, default "sheep_units"

    Returns
    -------
    xarray.DataArray
        ``grazing_density`` in ``sheep units/km2``, float, NaN nodata.
    """
    check_projected(grid.crs, what="grazing_density")
    if column not in getattr(townships, "columns", ()):
        cols = [c for c in getattr(townships, "columns", ()) if c != "geometry"]
        raise MissingLayerError(
            f"townships: no census column {column!r}{did_you_mean(column, cols)} Columns are: {cols}"
        )
    gdf = townships.to_crs(grid.crs)
    counts = np.asarray(gdf[column], dtype=np.float64)
    if np.any(counts[np.isfinite(counts)] < 0):
        raise InvalidParameterError(f"townships.{column}: livestock counts must be >= 0")
    area_km2 = np.asarray(gdf.geometry.area, dtype=np.float64) / 1e6
    gdf = gdf.assign(_density=np.where(area_km2 > 0, counts / np.where(area_km2 > 0, area_km2, 1), np.nan))
    gdf = gdf.assign(_id=np.arange(1, len(gdf) + 1, dtype=np.int32))
    ids = np.asarray(rasterize(gdf, grid=grid, values="_id", fill=0, dtype="int32").values)
    lookup = np.concatenate([[np.nan], gdf["_density"].to_numpy(dtype=np.float64)])
    out: xr.DataArray = grid.to_dataarray(lookup[ids], name="grazing_density", units="sheep units/km2")
    return out


# ----------------------------------------------------------------------------- indices
def geometric_mean(scores: Mapping[str, Any], *, required: Sequence[str], index: str,
                   allow_missing: bool = False) -> Any:
    """Geometric mean of the variables ``required`` taken from ``scores``.

    A variable absent from ``scores`` (or None) raises :class:`MissingLayerError`, unless
    ``allow_missing=True``: then missing variables (and NaN pixels) are left out, the
    exponent becomes 1/(number present) per pixel, and :class:`ReducedQualityIndexWarning`
    is issued. Without ``allow_missing`` a NaN in any variable gives NaN.
    """
    unknown = [k for k in scores if k not in required]
    if unknown:
        raise InvalidParameterError(f"{index}: unknown variable(s) {unknown}; it is made of {list(required)}")
    present = [k for k in required if scores.get(k) is not None]
    missing = [k for k in required if k not in present]
    if missing and not allow_missing:
        raise MissingLayerError(
            f"{index} = geometric mean of {len(required)} variables {list(required)}; missing: {missing}. "
            "A mean over fewer variables changes the scale of the index; supply them, or pass "
            "allow_missing=True to re-weight (with a warning)."
        )
    if not present:
        raise MissingLayerError(f"{index}: none of its variables {list(required)} were given")
    arrays = [_unwrap(scores[k]) for k in present]
    ref_wrap = arrays[0][1]
    stack = np.stack(np.broadcast_arrays(*[a for a, _ in arrays]))
    if np.any(stack[np.isfinite(stack)] <= 0):
        raise InvalidParameterError(f"{index}: scores must be > 0 (MEDALUS scores are 1–2, depth 1–4)")
    logs = np.log(stack)
    if allow_missing:
        n = np.sum(np.isfinite(logs), axis=0)
        reduced = bool(missing) or bool(np.any((n < len(required)) & (n > 0)))
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.exp(np.nansum(logs, axis=0) / n)
        out = np.where(n > 0, out, np.nan)
        if reduced:
            warnings.warn(
                f"{index} computed over fewer than its {len(required)} variables "
                f"(missing layers: {missing or 'none'}; plus pixels with NaN variables): "
                "values are not on the same scale as a full index",
                ReducedQualityIndexWarning, stacklevel=3,
            )
    else:
        out = np.exp(np.mean(logs, axis=0))
    return ref_wrap(out, index.lower(), "index")


_SQI = ("texture", "parent_material", "rock_fragments", "depth", "slope", "drainage")
_CQI = ("rainfall", "aridity", "aspect")
_VQI = ("fire_risk", "erosion_protection", "drought_resistance", "plant_cover")
_MQI = ("land_use_intensity", "policy_enforcement")


def soil_quality(*, texture: Any = None, parent_material: Any = None, rock_fragments: Any = None,
                 depth: Any = None, slope: Any = None, drainage: Any = None,
                 allow_missing: bool = False) -> Any:
    """SQI = (texture · parent material · rock fragments · depth · slope · drainage)^(1/6).

    Arguments are *scores* (from :data:`TEXTURE`, :data:`SOIL_DEPTH`, :data:`SLOPE`, ...).
    """
    return geometric_mean(dict(texture=texture, parent_material=parent_material,
                               rock_fragments=rock_fragments, depth=depth, slope=slope, drainage=drainage),
                          required=_SQI, index="SQI", allow_missing=allow_missing)


def climate_quality(*, rainfall: Any = None, aridity: Any = None, aspect: Any = None,
                    allow_missing: bool = False) -> Any:
    """CQI = (rainfall · aridity · aspect)^(1/3), from scores."""
    return geometric_mean(dict(rainfall=rainfall, aridity=aridity, aspect=aspect),
                          required=_CQI, index="CQI", allow_missing=allow_missing)


def vegetation_quality(*, fire_risk: Any = None, erosion_protection: Any = None,
                       drought_resistance: Any = None, plant_cover: Any = None,
                       allow_missing: bool = False) -> Any:
    """VQI = (fire risk · erosion protection · drought resistance · plant cover)^(1/4), from scores."""
    return geometric_mean(dict(fire_risk=fire_risk, erosion_protection=erosion_protection,
                               drought_resistance=drought_resistance, plant_cover=plant_cover),
                          required=_VQI, index="VQI", allow_missing=allow_missing)


def management_quality(*, land_use_intensity: Any = None, policy_enforcement: Any = None,
                       allow_missing: bool = False) -> Any:
    """MQI = (land-use intensity · policy enforcement)^(1/2), from scores.

    In the grazing variant land-use intensity is :data:`GRAZING_DENSITY` applied to sheep
    units per km² (see :func:`steppe_geo.models.grazing_density`). The square root is
    ``** 0.5`` — the public bug ``x ** 1/2`` halves the product instead.
    """
    return geometric_mean(dict(land_use_intensity=land_use_intensity, policy_enforcement=policy_enforcement),
                          required=_MQI, index="MQI", allow_missing=allow_missing)


def esai(sqi: Any, cqi: Any, vqi: Any, mqi: Any) -> Any:
    """ESAI = (SQI · CQI · VQI · MQI)^(1/4) (Kosmas et al. 1999); all four are required.

    Parameters
    ----------
    sqi, cqi, vqi, mqi : ndarray or DataArray
        Quality indices (≥ 1). NaN in any → NaN.

    Returns
    -------
    Same kind as ``sqi``, named ``"esai"``.

    Raises
    ------
    MissingLayerError
        If any index is None (a mean over fewer than four indices changes the scale).

    Examples
    --------
    A Hobq mobile-sand pixel (SQI 1.376422, CQI 1.734696, VQI 1.681793, MQI 1.485867):

    >>> import numpy as np
    >>> from steppe_geo.models.desertification import classify_esa, esai
    >>> e = esai(np.array([1.376422]), np.array([1.734696]), np.array([1.681793]), np.array([1.485867]))
    >>> round(float(e[0]), 4)  # (1.376422 · 1.734696 · 1.681793 · 1.485867)^(1/4) = 5.966606^(1/4)
    1.5629
    >>> ESA_LABELS[int(classify_esa(e)[0]) - 1]
    'C3'
    """
    named = {"sqi": sqi, "cqi": cqi, "vqi": vqi, "mqi": mqi}
    none = [k for k, v in named.items() if v is None]
    if none:
        raise MissingLayerError(f"esai needs all four quality indices; missing: {none}")
    return geometric_mean(named, required=tuple(named), index="ESAI")


ESA_BREAKS: tuple[float, ...] = (1.17, 1.225, 1.275, 1.325, 1.375, 1.425, 1.53)
"""Lower edges of P, F1, F2, F3, C1, C2, C3 (Kosmas et al. 1999); each break belongs to the class above it."""
ESA_LABELS: tuple[str, ...] = ("N", "P", "F1", "F2", "F3", "C1", "C2", "C3")
"""ESA class labels for codes 1–8 (0 = nodata): non-affected, potential, fragile 1–3, critical 1–3."""


@overload
def classify_esa(values: xr.DataArray) -> xr.DataArray: ...


@overload
def classify_esa(values: np.ndarray | float) -> np.ndarray: ...


def classify_esa(values: xr.DataArray | np.ndarray | float) -> xr.DataArray | np.ndarray:
    """Environmentally Sensitive Area classes from ESAI values.

    Contiguous half-open bins: N < 1.17 ≤ P < 1.225 ≤ F1 < 1.275 ≤ F2 < 1.325 ≤ F3 < 1.375 ≤ C1
    < 1.425 ≤ C2 < 1.53 ≤ C3.

    Returns
    -------
    uint8 ndarray or DataArray
        Codes 1–8 (:data:`ESA_LABELS`), 0 where ``values`` is NaN (declared nodata); a
        DataArray carries ``attrs["labels"]`` = ``{code: label}`` and ``attrs["flag_meanings"]``.

    Examples
    --------
    Each break belongs to the class above it:

    >>> import numpy as np
    >>> from steppe_geo.models.desertification import ESA_LABELS, classify_esa
    >>> codes = classify_esa(np.array([1.1, 1.17, 1.2249, 1.275, 1.53, np.nan]))
    >>> codes.tolist()
    [1, 2, 2, 4, 8, 0]
    >>> [ESA_LABELS[c - 1] for c in codes[:-1]]
    ['N', 'P', 'P', 'F2', 'C3']
    """
    arr, _ = _unwrap(values)
    codes: np.ndarray = (np.digitize(arr, np.asarray(ESA_BREAKS), right=False) + 1).astype(np.uint8)
    codes[np.isnan(arr)] = 0
    if isinstance(values, xr.DataArray):
        da = xr.DataArray(codes, dims=values.dims, coords=values.coords, name="esa_class",
                          attrs={"units": "class", "labels": dict(enumerate(("nodata", *ESA_LABELS))),
                                 "flag_values": list(range(1, 9)), "flag_meanings": " ".join(ESA_LABELS)})
        if values.rio.crs is not None:
            da = da.rio.write_crs(values.rio.crs).rio.write_transform(values.rio.transform())
            da = da.rio.write_nodata(0, encoded=False)
        return da
    return codes




def china_grade(values: Any, table: ScoreTable) -> Any:
    """Grade a factor 1/3/5/7/9 with ``table`` (one of the ``CHINA_*`` tables or your own)."""
    return table.apply(values)


def china_sensitivity(i: Any, w: Any, k: Any, c: Any, *, trend_degraded: Any = None,
                      rule: str = "mean") -> Any:
    """China's desertification sensitivity index D = (I · W · K · C)^(1/4).

    Parameters
    ----------
    i, w, k, c : ndarray or DataArray
        Grades (1, 3, 5, 7 or 9) of dryness, windy days, soil texture and vegetation cover.
    trend_degraded : bool ndarray or DataArray, optional
        Degradation-trend layer (e.g. significant negative NDVI trend). With ``rule="mean"`` it
        enters as a fifth factor graded 9 (degraded) / 1 (not), D = (I·W·K·C·T)^(1/5); with
        ``rule="one-out-all-out"`` a degraded pixel is set to the top grade 9 whatever D is.
    rule : {"mean", "one-out-all-out"}

    Returns
    -------
    Same kind as ``i``, named ``"china_sensitivity"``.

    Examples
    --------
    >>> import numpy as np
    >>> d = china_sensitivity(np.array([5.0]), np.array([7.0]), np.array([9.0]), np.array([9.0]))
    >>> round(float(d[0]), 4)  # (5 · 7 · 9 · 9)^(1/4) = 2835^(1/4)
    7.2969
    """
    if rule not in ("mean", "one-out-all-out"):
        raise InvalidParameterError(f"rule must be 'mean' or 'one-out-all-out', got {rule!r}")
    grades = {"I": i, "W": w, "K": k, "C": c}
    for name, g in grades.items():
        arr, _ = _unwrap(g)
        bad = np.unique(arr[np.isfinite(arr) & ~np.isin(arr, (1, 3, 5, 7, 9))])
        if bad.size:
            raise InvalidParameterError(
                f"china_sensitivity: grade {name} must be 1, 3, 5, 7 or 9, got {bad[:5]}"
            )
    if trend_degraded is not None:
        t_arr, _ = _unwrap(trend_degraded)
        t_grade = np.where(np.isnan(t_arr), np.nan, np.where(t_arr > 0, 9.0, 1.0))
        if rule == "mean":
            grades["T"] = t_grade
    out = geometric_mean(grades, required=tuple(grades), index="china_sensitivity")
    if trend_degraded is not None and rule == "one-out-all-out":
        arr, wrap = _unwrap(out)
        arr = np.where(t_grade == 9.0, 9.0, arr)
        arr = np.where(np.isnan(t_grade), np.nan, arr)
        out = wrap(arr, "china_sensitivity", "index") if isinstance(out, xr.DataArray) else arr
    return out


@overload
def classify_china(values: xr.DataArray) -> xr.DataArray: ...


@overload
def classify_china(values: np.ndarray | float) -> np.ndarray: ...


def classify_china(values: xr.DataArray | np.ndarray | float) -> xr.DataArray | np.ndarray:
    """China sensitivity classes 1–5 from D (:data:`CHINA_GRADE_BREAKS`), 0 where NaN.

    Contiguous half-open bins: not sensitive < 2 ≤ slight < 4 ≤ moderate < 6 ≤ high < 8 ≤ extreme
    (each break belongs to the class above it).

    Returns
    -------
    uint8 ndarray or DataArray
        Codes 1–5 (:data:`CHINA_SENSITIVITY_LABELS`), 0 = nodata; a DataArray is named
        ``china_sensitivity_class`` and carries ``attrs["labels"]`` and CF ``flag_values`` /
        ``flag_meanings``.

    Examples
    --------
    >>> import numpy as np
    >>> classify_china(np.array([1.0, 1.99, 2.0, 5.0, 7.297, 8.0, np.nan])).tolist()
    [1, 1, 2, 3, 4, 5, 0]
    """
    arr, _ = _unwrap(values)
    codes: np.ndarray = (np.digitize(arr, np.asarray(CHINA_GRADE_BREAKS), right=False) + 1).astype(np.uint8)
    codes[np.isnan(arr)] = 0
    if isinstance(values, xr.DataArray):
        meanings = " ".join(label.replace(" ", "_") for label in CHINA_SENSITIVITY_LABELS)
        da = xr.DataArray(codes, dims=values.dims, coords=values.coords, name="china_sensitivity_class",
                          attrs={"units": "class",
                                 "labels": dict(enumerate(("nodata", *CHINA_SENSITIVITY_LABELS))),
                                 "flag_values": list(range(1, 6)), "flag_meanings": meanings})
        if values.rio.crs is not None:
            da = da.rio.write_crs(values.rio.crs).rio.write_transform(values.rio.transform())
            da = da.rio.write_nodata(0, encoded=False)
        return da
    return codes

