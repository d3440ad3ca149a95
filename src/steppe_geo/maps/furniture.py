"""Map furniture shared by every map: scale bar, north arrow, coordinates, title and data note.

Written with plain matplotlib so maps need nothing beyond the core dependencies. The scale
bar and the coordinate labels assume a projected CRS in metres (the analysis grid always is).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import pyproj
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter

from steppe_geo._validation import check_projected

__all__ = ["add_aoi_outline", "add_coordinates", "add_data_note", "add_map_furniture", "add_north_arrow",
           "add_scale_bar", "crs_label", "nice_length_m"]

SCALE_BAR_GID = "steppe_geo.scale_bar"
NORTH_ARROW_GID = "steppe_geo.north_arrow"
DATA_NOTE_GID = "steppe_geo.data_note"
AOI_OUTLINE_GID = "steppe_geo.aoi_outline"


def nice_length_m(extent_m: float, *, fraction: float = 0.25) -> float:
    """Largest 1-2-5 × 10^n length (metres) not longer than ``fraction`` of ``extent_m``.

    Parameters
    ----------
    extent_m : float
        Width of the map in metres (> 0).
    fraction : float, default 0.25
        Target share of the map width taken by the bar.

    Returns
    -------
    float
        Bar length in metres, e.g. 10000.0 for a 45 km wide map.
    """
    target = max(float(extent_m) * fraction, 1e-9)
    exp = math.floor(math.log10(target))
    best = 10.0**exp
    for step in (1, 2, 5, 10):
        cand = step * 10.0**exp
        if cand <= target:
            best = cand
    return best


def _length_label(length_m: float) -> str:
    if length_m >= 1000:
        km = length_m / 1000
        return f"{km:g} km"
    return f"{length_m:g} m"


def add_scale_bar(ax: Axes, *, segments: int = 2, location: tuple[float, float] = (0.05, 0.05)) -> Any:
    """Draw an alternating black/white scale bar (map units must be metres).

    Parameters
    ----------
    ax : matplotlib Axes
        Map axes whose data coordinates are projected metres.
    segments : int, default 2
        Number of alternating segments.
    location : (float, float), default (0.05, 0.05)
        Lower-left corner of the bar in axes fractions.

    Returns
    -------
    list of matplotlib artists
        The bar rectangles and its label (all with ``gid="steppe_geo.scale_bar"``).
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width, height = abs(x1 - x0), abs(y1 - y0)
    length = nice_length_m(width)
    bx = min(x0, x1) + location[0] * width
    by = min(y0, y1) + location[1] * height
    bar_h = 0.012 * height
    artists = []
    seg = length / segments
    for i in range(segments):
        rect = Rectangle((bx + i * seg, by), seg, bar_h, facecolor="black" if i % 2 == 0 else "white",
                         edgecolor="black", linewidth=0.8, zorder=20, gid=SCALE_BAR_GID)
        ax.add_patch(rect)
        artists.append(rect)
    label = ax.text(bx + length / 2, by + bar_h * 1.6, _length_label(length), ha="center", va="bottom",
                    fontsize=8, zorder=20, gid=SCALE_BAR_GID,
                    bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1})
    artists.append(label)
    return artists


def add_north_arrow(ax: Axes, *, location: tuple[float, float] = (0.94, 0.88)) -> Any:
    """Draw a north arrow with an "N" in axes coordinates (grid north).

    On the analysis grid (a local azimuthal equal-area projection centred on the area) grid
    north departs from true north by well under a degree across a 100 km area.

    Returns
    -------
    matplotlib.text.Annotation
    """
    x, y = location
    return ax.annotate(
        "N", xy=(x, y + 0.08), xytext=(x, y - 0.02), xycoords="axes fraction", textcoords="axes fraction",
        ha="center", va="center", fontsize=11, fontweight="bold", zorder=20, gid=NORTH_ARROW_GID,
        arrowprops={"arrowstyle": "-|>", "facecolor": "black", "lw": 1.5},
    )


def add_coordinates(ax: Axes, crs: Any | None = None) -> None:
    """Label the axes with easting/northing in kilometres and the CRS name.

    Parameters
    ----------
    ax : matplotlib Axes
    crs : CRS-like, optional
        The map's CRS (projected, metres); its name goes into the axis labels.

    Raises
    ------
    GeographicCRSError
        If ``crs`` is geographic.
    """
    name = ""
    if crs is not None:
        c = check_projected(crs, what="map coordinates")
        name = crs_label(c)
    fmt = FuncFormatter(lambda v, _pos: f"{v / 1000:g}")
    ax.xaxis.set_major_formatter(fmt)
    ax.yaxis.set_major_formatter(fmt)
    ax.tick_params(labelsize=7)
    suffix = f" — {name}" if name else ""
    ax.set_xlabel(f"easting (km){suffix}", fontsize=8)
    ax.set_ylabel("northing (km)", fontsize=8)


def crs_label(crs: pyproj.CRS) -> str:
    """Short CRS label for map axes and summaries: ``EPSG:32649`` or the projection and its centre."""
    epsg = _epsg_code(crs.to_wkt())
    if epsg:
        return f"EPSG:{epsg}"
    if crs.name and crs.name != "unknown":
        return crs.name[:48]
    op = crs.coordinate_operation
    method = op.method_name if op is not None else "local projection"
    params = {p.name: p.value for p in op.params} if op is not None else {}
    lat = params.get("Latitude of natural origin", params.get("Latitude of projection centre"))
    lon = params.get("Longitude of natural origin", params.get("Longitude of projection centre"))
    if lat is not None and lon is not None:
        return f"{method} ({lat:g}°, {lon:g}°)"
    return method


@functools.lru_cache(maxsize=64)
def _epsg_code(wkt: str) -> int | None:
    """``to_epsg()`` of the CRS ``wkt``, computed once per CRS.

    For a CRS without an EPSG code (a run's local equal-area grid) pyproj searches its database,
    about 0.2 s, and every map asks.
    """
    return pyproj.CRS.from_wkt(wkt).to_epsg()


def add_data_note(ax: Axes, note: str) -> Any:
    """Write a small data note (sources, date, caveats) below the map.

    Returns
    -------
    matplotlib.text.Text
    """
    return ax.text(0.0, -0.16, note, transform=ax.transAxes, fontsize=6.5, color="0.25", ha="left",
                   va="top", wrap=True, gid=DATA_NOTE_GID)


def add_map_furniture(ax: Axes, *, crs: Any | None, title: str | None, note: str | None) -> Axes:
    """Title, coordinates, scale bar, north arrow and data note in one call.

    Returns
    -------
    matplotlib Axes
        ``ax``.
    """
    ax.set_aspect("equal")
    if title:
        ax.set_title(title, fontsize=11)
    add_coordinates(ax, crs)
    add_scale_bar(ax)
    add_north_arrow(ax)
    if note:
        add_data_note(ax, note)
    return ax


def add_aoi_outline(ax: Axes, aoi: Any, *, crs: Any, color: str = "black", linewidth: float = 1.0) -> Any:
    """Draw the outline of the area of interest (its polygons' boundary) over a map.

    The axes' limits are kept: the outline does not widen the map.

    Parameters
    ----------
    ax : matplotlib Axes
        A map drawn in ``crs``.
    aoi : GeoDataFrame or GeoSeries
        Area of interest (polygons, any CRS; reprojected to ``crs``).
    crs : pyproj.CRS or str
        CRS of the map.
    color : str, default "black"
    linewidth : float, default 1.0

    Returns
    -------
    matplotlib.lines.Line2D
        A legend handle labelled "AOI outline" (the drawn lines carry ``gid``
        :data:`AOI_OUTLINE_GID`).

    Raises
    ------
    InvalidParameterError
        ``aoi`` has no polygon.
    MissingCRSError
        ``aoi`` has no CRS.
    """
    import shapely
    from matplotlib.lines import Line2D

    from steppe_geo.mcda import aoi_polygon

    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    keep = ax.has_data()
    for line in shapely.get_parts(aoi_polygon(aoi, crs=crs).boundary):
        xs, ys = np.asarray(line.coords).T
        ax.plot(xs, ys, color=color, linewidth=linewidth, gid=AOI_OUTLINE_GID, zorder=12)
    if keep:
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
    return Line2D([], [], color=color, linewidth=linewidth, label="AOI outline")


def raster_extent(da: Any) -> tuple[float, float, float, float]:
    """``(left, right, bottom, top)`` of a georeferenced DataArray for ``imshow(extent=...)``."""
    x0, y0, x1, y1 = da.rio.bounds()
    return (x0, x1, y0, y1)


def finite_values(da: Any) -> np.ndarray:
    """Finite values of a DataArray as a flat float array."""
    v = np.asarray(da.values, dtype=float).ravel()
    return v[np.isfinite(v)]
