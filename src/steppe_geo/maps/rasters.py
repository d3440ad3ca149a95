"""Raster maps: suitability over a hillshade, exclusions by constraint, ESA classes.

Every function follows the ``plot_x(data, *, ax=None) -> Axes`` convention: it draws into
``ax`` (a new figure is created only when ``ax`` is None) and never calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.patches import Patch

from steppe_geo.errors import InvalidParameterError
from steppe_geo.grid import Grid
from steppe_geo.maps.furniture import add_aoi_outline, add_map_furniture, raster_extent
from steppe_geo.mcda.constraints import NO_DATA, OUTSIDE_AOI

__all__ = ["ESA_CLASS_COLORS", "ESA_CLASS_LABELS", "plot_esa_classes", "plot_exclusions", "plot_suitability"]

ESA_CLASS_LABELS: tuple[str, ...] = ("N", "P", "F1", "F2", "F3", "C1", "C2", "C3")
"""Environmentally sensitive area classes (MEDALUS): non-affected, potential, fragile 1–3, critical 1–3."""

ESA_CLASS_COLORS: tuple[str, ...] = (
    "#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fdae61", "#f46d43", "#d73027", "#a50026",
)

_ESA_LONG = {
    "N": "non-affected", "P": "potential", "F1": "fragile 1", "F2": "fragile 2", "F3": "fragile 3",
    "C1": "critical 1", "C2": "critical 2", "C3": "critical 3",
}


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = (7.5, 6.0)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _check_raster(da: Any, *, param: str) -> xr.DataArray:
    if not isinstance(da, xr.DataArray) or da.ndim != 2:
        raise InvalidParameterError(
            f"{param} must be a 2-D georeferenced DataArray (dims ('y', 'x')), got "
            f"{type(da).__name__}{getattr(da, 'dims', '')}"
        )
    Grid.from_dataarray(da)  # raises MissingCRSError without a CRS
    return da


def plot_suitability(
    score: xr.DataArray,
    *,
    ax: Axes | None = None,
    hillshade: xr.DataArray | None = None,
    title: str | None = None,
    note: str | None = None,
    cmap: str = "viridis",
    label: str = "suitability score (0–1)",
    aoi: Any = None,
) -> Axes:
    """Map a 0..1 score over a grey hillshade basemap, with a colour bar.

    Parameters
    ----------
    score : (rows, cols) DataArray of float
        Score in [0, 1] on a projected grid (metres); NaN (ineligible or nodata) is transparent,
        so the hillshade shows through.
    ax : matplotlib Axes, optional
        Drawn into; a new figure is created only when None.
    hillshade : (rows, cols) DataArray, optional
        Basemap (e.g. ``steppe_geo.criteria.hillshade(dem)``, 0..255 or 0..1) on the same grid
        extent; drawn in grey beneath the score.
    title : str, optional
        Map title (default: the DataArray name).
    note : str, optional
        Data note under the map (sources, caveats).
    cmap : str, default "viridis"
        Matplotlib colour map for the score.
    label : str
        Colour-bar label.
    aoi : GeoDataFrame or GeoSeries, optional
        Area of interest whose outline is drawn over the map (any CRS).

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    InvalidParameterError
        If ``score`` (or ``hillshade``) is not a 2-D DataArray.
    MissingCRSError
        If it has no CRS.
    GeographicCRSError
        If its CRS is geographic (maps are drawn in metres).
    """
    score = _check_raster(score, param="score")
    ax = _new_axes(ax)
    if hillshade is not None:
        hillshade = _check_raster(hillshade, param="hillshade")
        ax.imshow(np.asarray(hillshade.values, dtype=float), extent=raster_extent(hillshade), cmap="gray",
                  interpolation="nearest", zorder=1)
    values = np.ma.masked_invalid(np.asarray(score.values, dtype=float))
    im = ax.imshow(values, extent=raster_extent(score), cmap=cmap, vmin=0.0, vmax=1.0,
                   interpolation="nearest", alpha=0.8 if hillshade is not None else 1.0, zorder=2)
    cbar = ax.figure.colorbar(im, ax=ax, shrink=0.8)
    cbar.set_label(label, fontsize=8)
    if aoi is not None:
        handle = add_aoi_outline(ax, aoi, crs=score.rio.crs)
        ax.legend(handles=[handle], loc="lower right", fontsize=7, frameon=True)
    return add_map_furniture(ax, crs=score.rio.crs, title=title or str(score.name or "suitability"),
                             note=note)


_RESERVED_COLORS = {OUTSIDE_AOI: "#d9d9d9", NO_DATA: "#636363"}
"""Fixed colours of the exclusion bitmask's reserved bits on exclusion maps."""


def _first_bit(bits: np.ndarray, n: int) -> np.ndarray:
    """Index (1-based) of the lowest set bit among the first ``n``; 0 where no bit is set."""
    out = np.zeros(bits.shape, dtype=np.int32)
    b = bits.astype(np.uint64, copy=False)
    for i in range(n - 1, -1, -1):  # lowest bit wins: assign from the highest down
        out[(b >> np.uint64(i)) & np.uint64(1) == 1] = i + 1
    return out


def _hectares(ha: float) -> str:
    """An area for a legend: ``12,345 ha``, ``12.3 ha``, ``0.63 ha``."""
    if ha >= 100 or ha == 0:
        return f"{ha:,.0f} ha"
    return f"{ha:.1f} ha" if ha >= 1 else f"{ha:.2g} ha"


def plot_exclusions(
    bitmask: xr.DataArray,
    constraint_names: Sequence[str],
    *,
    ax: Axes | None = None,
    title: str | None = None,
    note: str | None = None,
    aoi: Any = None,
    areas_ha: Mapping[str, float] | None = None,
) -> Axes:
    """Map which constraint excluded each pixel, one colour per constraint.

    A pixel excluded by several constraints is coloured by the first of them in bit order
    (the legend says so and gives the area each constraint excludes in hectares, overlaps
    included). The reserved bits have fixed colours: ``outside_aoi`` light grey, ``no_data``
    dark grey. With an ``outside_aoi`` bit the areas of the other bits count only land inside
    the AOI (as the run's summary does).

    Parameters
    ----------
    bitmask : (rows, cols) DataArray of unsigned int
        Exclusion bitmask: bit ``i`` set where constraint ``i`` excluded the pixel (0 = eligible).
        A declared nodata value other than 0 (a reserved "no data" code) is drawn as no data; a
        declared nodata of 0 is ignored, since 0 means "not excluded".
    constraint_names : sequence of str
        Names of the bits in order (for a model: ``outside_aoi``, ``no_data``, then its
        constraints; the GeoTIFF tag ``constraints`` of ``exclusion.tif`` lists them).
    ax : matplotlib Axes, optional
    title, note : str, optional
    aoi : GeoDataFrame or GeoSeries, optional
        Area of interest whose outline is drawn over the map (any CRS).
    areas_ha : mapping of str to float, optional
        Legend areas in hectares by constraint name, ``"eligible"`` and ``"no data"``, counted
        on the full-resolution bitmask (a run counts them window by window) when ``bitmask`` is
        a decimated copy (:func:`steppe_geo.io.read_decimated`). Names not given are counted on
        ``bitmask`` (default: all of them).

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    InvalidParameterError
        If a set bit has no constraint name, ``constraint_names`` is empty, or ``areas_ha`` names
        no constraint of ``constraint_names`` (nor ``eligible`` / ``no data``).
    """
    bitmask = _check_raster(bitmask, param="bitmask")
    names = [str(n) for n in constraint_names]
    if not names:
        raise InvalidParameterError("constraint_names must name at least one constraint, got none")
    given = dict(areas_ha or {})
    unknown = sorted(set(given) - {*names, "eligible", "no data"})
    if unknown:
        raise InvalidParameterError(
            f"areas_ha names {unknown}, which are not among constraint_names {names} "
            "(nor 'eligible' / 'no data')"
        )
    bits = np.asarray(bitmask.values)
    nodata = bitmask.rio.nodata
    missing = np.zeros(bits.shape, dtype=bool)
    if not np.issubdtype(bits.dtype, np.integer):
        missing = np.isnan(bits.astype(float))
        bits = np.nan_to_num(bits.astype(float), nan=0).astype(np.uint64)
    elif nodata is not None and not np.isnan(nodata) and nodata != 0:
        missing = bits == nodata
    bits = np.where(missing, 0, bits).astype(np.uint64)
    unnamed = int(bits.max()) >> len(names) if bits.size else 0
    if unnamed:
        raise InvalidParameterError(
            f"bitmask has bits set beyond the {len(names)} constraint names given ({names}); "
            f"maximum value {int(bits.max())}"
        )
    first = _first_bit(bits, len(names))
    ax = _new_axes(ax)
    import matplotlib

    base = matplotlib.colormaps["tab20"].resampled(max(len(names), 2))
    colors = ["#ffffff"] + [_RESERVED_COLORS.get(n, base(i)) for i, n in enumerate(names)]
    cmap = ListedColormap(colors)
    norm = BoundaryNorm(np.arange(-0.5, len(names) + 1.5), cmap.N)
    ax.imshow(np.ma.masked_where(missing, first), extent=raster_extent(bitmask), cmap=cmap, norm=norm,
              interpolation="nearest")
    pixel_ha = Grid.from_dataarray(bitmask).pixel_area_m2 / 1e4
    eligible_ha = given.get("eligible", int(((bits == 0) & ~missing).sum()) * pixel_ha)
    handles = [Patch(facecolor=colors[0], edgecolor="0.5", label=f"eligible ({_hectares(eligible_ha)})")]
    inside = np.ones(bits.shape, dtype=bool)
    if OUTSIDE_AOI in names:
        inside = ((bits >> np.uint64(names.index(OUTSIDE_AOI))) & np.uint64(1)) == 0
    for i, name in enumerate(names):
        if name in given:
            area = given[name]
        else:
            mine = ((bits >> np.uint64(i)) & np.uint64(1)) == 1
            area = int((mine if name == OUTSIDE_AOI else mine & inside).sum()) * pixel_ha
        handles.append(Patch(facecolor=colors[i + 1], edgecolor="0.5", label=f"{name} ({_hectares(area)})"))
    no_data_ha = given.get("no data", int(missing.sum()) * pixel_ha)
    if no_data_ha > 0:
        handles.append(Patch(facecolor="none", edgecolor="0.5", label=f"no data ({_hectares(no_data_ha)})"))
    if aoi is not None:
        handles.append(add_aoi_outline(ax, aoi, crs=bitmask.rio.crs))
    where = " (ha inside the AOI)" if OUTSIDE_AOI in names else ""
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
              title=f"excluded by (first in bit order){where}", title_fontsize=7, frameon=False)
    return add_map_furniture(ax, crs=bitmask.rio.crs, title=title or "exclusions by constraint", note=note)


def plot_esa_classes(
    classes: xr.DataArray,
    *,
    ax: Axes | None = None,
    labels: Sequence[str] = ESA_CLASS_LABELS,
    codes: Sequence[int] | None = None,
    title: str | None = None,
    note: str | None = None,
    aoi: Any = None,
    shares: Sequence[float] | None = None,
) -> Axes:
    """Map environmentally sensitive area (ESA) classes with the 8-class legend.

    Parameters
    ----------
    classes : (rows, cols) DataArray of int
        Class codes; by default ``1..8`` for N, P, F1, F2, F3, C1, C2, C3. Codes not in ``codes``
        (the nodata value, for instance) are left blank.
    ax : matplotlib Axes, optional
    labels : sequence of str, default ("N", "P", "F1", "F2", "F3", "C1", "C2", "C3")
    codes : sequence of int, optional
        Code of each label (default ``1..len(labels)``).
    title, note : str, optional
    aoi : GeoDataFrame or GeoSeries, optional
        Area of interest whose outline is drawn over the map (any CRS).
    shares : sequence of float, optional
        Each label's share (0..1) of the classified pixels, for the legend, counted on the
        full-resolution classes (a run counts them window by window) when ``classes`` is a
        decimated copy; default: counted on ``classes``.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    InvalidParameterError
        If ``codes`` and ``labels`` (or ``shares``) differ in length.
    """
    classes = _check_raster(classes, param="classes")
    labels = list(labels)
    codes = list(range(1, len(labels) + 1)) if codes is None else [int(c) for c in codes]
    if len(codes) != len(labels):
        raise InvalidParameterError(
            f"codes ({len(codes)}) and labels ({len(labels)}) must have the same length"
        )
    if shares is not None and len(shares) != len(labels):
        raise InvalidParameterError(
            f"shares ({len(shares)}) and labels ({len(labels)}) must have the same length"
        )
    values = np.asarray(classes.values)
    index = np.full(values.shape, -1, dtype=np.int32)
    for i, code in enumerate(codes):
        index[values == code] = i
    colors = [ESA_CLASS_COLORS[i % len(ESA_CLASS_COLORS)] for i in range(len(labels))]
    cmap = ListedColormap(colors)
    norm = BoundaryNorm(np.arange(-0.5, len(labels) + 0.5), cmap.N)
    ax = _new_axes(ax)
    ax.imshow(np.ma.masked_less(index, 0), extent=raster_extent(classes), cmap=cmap, norm=norm,
              interpolation="nearest")
    if shares is None:
        total = max(int((index >= 0).sum()), 1)
        shares = [int((index == i).sum()) / total for i in range(len(labels))]
    handles = [
        Patch(facecolor=colors[i], edgecolor="0.5",
              label=f"{lab} {_ESA_LONG.get(lab, lab)} ({100 * shares[i]:.0f} %)")
        for i, lab in enumerate(labels)
    ]
    if aoi is not None:
        handles.append(add_aoi_outline(ax, aoi, crs=classes.rio.crs))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
              title="ESA class (share of area)", title_fontsize=7, frameon=False)
    return add_map_furniture(ax, crs=classes.rio.crs, title=title or "environmentally sensitive areas",
                             note=note)
