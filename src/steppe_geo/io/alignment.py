"""Aligning a raster onto a grid: layer kinds, resampling methods and their defaults, warping."""

from __future__ import annotations

import enum
import math
from typing import Any

import numpy as np
import pyproj
import rasterio
import rasterio.errors
import rasterio.warp
import rasterio.windows
from affine import Affine
from rasterio.enums import Resampling as _RioResampling

from steppe_geo._validation import parse_choice
from steppe_geo.errors import InvalidParameterError
from steppe_geo.grid import Grid
from steppe_geo.io.raster_meta import _footprint

__all__ = ["COARSEN_RATIO", "RASTER_KINDS", "LayerKind", "ResamplingMethod", "default_resampling",
           "parse_raster_kind", "warp_scales"]

COARSEN_RATIO = 1.5
"""Target pixels larger than this many source pixels count as coarsening."""


class LayerKind(enum.Enum):
    """The kind of a layer: how a raster's values behave under resampling, or a vector layer.

    ``CONTINUOUS`` and ``CATEGORICAL`` are the kinds of a raster (``kind=`` of
    :func:`~steppe_geo.io.read_raster`, ``kind`` in ``[sources]``); a derivation declares each of its
    inputs as one of the three (:data:`steppe_geo.models.DERIVATION_INPUT_KINDS`). This enum
    replaces ``steppe_geo.models.InputKind`` (``InputKind.RASTER`` is ``CONTINUOUS``).
    """

    CONTINUOUS = "continuous"
    CATEGORICAL = "categorical"
    VECTOR = "vector"


RASTER_KINDS = (LayerKind.CONTINUOUS, LayerKind.CATEGORICAL)
"""The kinds a raster can have (a vector layer is not read by the raster readers)."""


def parse_raster_kind(value: Any, *, param: str) -> LayerKind:
    """Parse the kind of a raster: ``"continuous"`` or ``"categorical"`` (or a :class:`LayerKind`).

    Parameters
    ----------
    value : str or LayerKind
    param : str
        Named in the error message (``"kind"``, ``"steppe_geo:kind tag of dem.tif"``).

    Returns
    -------
    LayerKind
        One of :data:`RASTER_KINDS`.

    Raises
    ------
    InvalidParameterError
        For an unknown value, or ``"vector"`` (vector layers are read with ``read_vector``).

    Examples
    --------
    >>> parse_raster_kind("Categorical", param="kind")
    <LayerKind.CATEGORICAL: 'categorical'>
    """
    kind = parse_choice(LayerKind, value, param=param)
    if kind not in RASTER_KINDS:
        raise InvalidParameterError(
            f"{param}: a raster's kind is 'continuous' or 'categorical', got {value!r} "
            "(vector layers are read with steppe_geo.io.read_vector)"
        )
    return kind


class ResamplingMethod(enum.Enum):
    """Resampling methods (GDAL's names)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"
    CUBIC = "cubic"
    CUBIC_SPLINE = "cubic_spline"
    LANCZOS = "lanczos"
    AVERAGE = "average"
    MODE = "mode"
    MIN = "min"
    MAX = "max"
    MED = "med"
    Q1 = "q1"
    Q3 = "q3"
    SUM = "sum"
    RMS = "rms"


def _source_resolution_in(crs_src: pyproj.CRS, transform: Affine, shape: tuple[int, int],
                          crs_dst: pyproj.CRS) -> float:
    """Approximate source pixel size expressed in destination CRS units (geometric mean)."""
    rows, cols = shape
    w, b, r, t = rasterio.warp.transform_bounds(crs_src, crs_dst, *_footprint(transform, shape),
                                                densify_pts=21)
    return math.sqrt(abs((r - w) / cols * (t - b) / rows))


def default_resampling(kind: LayerKind, ratio: float) -> ResamplingMethod:
    """Default resampling by layer kind and coarsening ratio.

    Parameters
    ----------
    kind : LayerKind
        Continuous or categorical.
    ratio : float
        Target pixel size / source pixel size (both in the target CRS); above 1.5 counts as
        coarsening.

    Returns
    -------
    ResamplingMethod
        Continuous: bilinear, or average when coarsening. Categorical: nearest, or mode when
        coarsening.

    Examples
    --------
    >>> default_resampling(LayerKind.CONTINUOUS, 0.4).value  # 250 m onto 100 m: refining
    'bilinear'
    >>> default_resampling(LayerKind.CATEGORICAL, 3.3).value  # 30 m classes onto 100 m
    'mode'
    """
    coarsening = ratio > COARSEN_RATIO
    if kind is LayerKind.CATEGORICAL:
        return ResamplingMethod.MODE if coarsening else ResamplingMethod.NEAREST
    return ResamplingMethod.AVERAGE if coarsening else ResamplingMethod.BILINEAR


def warp_scales(crs: pyproj.CRS, transform: Affine, grid: Grid) -> tuple[float, float]:
    """GDAL's ``XSCALE``/``YSCALE`` of warping ``crs``/``transform`` pixels onto ``grid``, for the whole grid.

    Destination pixels per source pixel along x and y (below 1 when coarsening). GDAL
    computes them per processing chunk when not given, so a downsampling kernel (bilinear,
    cubic, lanczos wider than one source pixel) would depend on how the grid is split into
    chunks or windows; fixing them for the whole grid makes every window give the same answer.
    """
    w, b, r, t = rasterio.warp.transform_bounds(grid.crs, crs, *grid.bounds, densify_pts=21)
    src_cols = abs(r - w) / math.hypot(transform.a, transform.d)  # pixel sides: rotated transforms too
    src_rows = abs(t - b) / math.hypot(transform.b, transform.e)
    return grid.cols / src_cols, grid.rows / src_rows


def _align(values: np.ndarray, nodata: Any, meta: dict[str, Any], grid: Grid,
           method: ResamplingMethod, *, scales: tuple[float, float] | None = None) -> np.ndarray:
    # XSCALE/YSCALE of the whole grid (scales= when ``grid`` is a window of it): chunk-independent
    xscale, yscale = scales if scales is not None else warp_scales(meta["crs"], meta["transform"], grid)
    out = np.empty((values.shape[0], *grid.shape), dtype=values.dtype)
    dst_nodata = np.nan if np.issubdtype(values.dtype, np.floating) else nodata
    out.fill(dst_nodata if dst_nodata is not None else 0)
    rasterio.warp.reproject(
        source=values,
        destination=out,
        src_transform=meta["transform"],
        src_crs=rasterio.crs.CRS.from_wkt(meta["crs"].to_wkt()),
        src_nodata=dst_nodata,
        dst_transform=grid.transform,
        dst_crs=rasterio.crs.CRS.from_wkt(grid.crs.to_wkt()),
        dst_nodata=dst_nodata,
        resampling=getattr(_RioResampling, method.value),
        init_dest_nodata=True,
        XSCALE=repr(float(xscale)),
        YSCALE=repr(float(yscale)),
    )
    return out
