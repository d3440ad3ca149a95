"""Parcel maps and charts: ranked-parcel choropleth and the rank-stability chart.

``plot_x(data, *, ax=None) -> Axes``; a figure is created only when ``ax`` is None and
``plt.show()`` is never called.
"""

from __future__ import annotations

import enum
import warnings

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from steppe_geo._deprecation import renamed_parameter
from steppe_geo._validation import check_projected, did_you_mean, parse_choice
from steppe_geo.errors import InvalidParameterError, MissingCRSError
from steppe_geo.maps.furniture import add_aoi_outline, add_map_furniture

__all__ = ["Scheme", "plot_rank_stability", "plot_ranked_parcels"]


class Scheme(enum.Enum):
    """Classification schemes for choropleths (mapclassify)."""

    QUANTILES = "quantiles"
    NATURAL_BREAKS = "natural-breaks"
    EQUAL_INTERVAL = "equal-interval"
    FISHER_JENKS = "fisher-jenks"


_CLASSIFIERS = {
    Scheme.QUANTILES: mapclassify.Quantiles,
    Scheme.NATURAL_BREAKS: mapclassify.NaturalBreaks,
    Scheme.EQUAL_INTERVAL: mapclassify.EqualInterval,
    Scheme.FISHER_JENKS: mapclassify.FisherJenks,
}


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = (7.5, 6.0)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


@renamed_parameter(old="k", new="top_k", since="0.2.0")
def plot_ranked_parcels(
    parcels: gpd.GeoDataFrame,
    *,
    column: str,
    top_k: int = 10,
    ax: Axes | None = None,
    scheme: str | Scheme = "quantiles",
    n_classes: int = 5,
    label_column: str | None = None,
    title: str | None = None,
    note: str | None = None,
    cmap: str = "YlGn",
    aoi: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> Axes:
    """Classified choropleth of a parcel score with the top ``top_k`` parcels outlined and labelled.

    Parameters
    ----------
    parcels : GeoDataFrame
        Polygons in a projected CRS (metres), one row per parcel.
    column : str
        Numeric column to map (higher = better, e.g. ``"score"``); NaN parcels are drawn hatched
        grey ("no eligible area").
    top_k : int, default 10
        Number of top parcels (by ``column``, descending; ties by row order) to outline and label
        with their rank (was ``k``, a deprecated alias until 0.3.0).
    ax : matplotlib Axes, optional
    scheme : {"quantiles", "natural-breaks", "equal-interval", "fisher-jenks"}
        mapclassify classification.
    n_classes : int, default 5
    label_column : str, optional
        Column whose value is added to each top-k label (e.g. a parcel name).
    title, note : str, optional
    cmap : str, default "YlGn"
    aoi : GeoDataFrame or GeoSeries, optional
        Area of interest whose outline is drawn over the map (any CRS).

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    InvalidParameterError
        Unknown ``column`` or ``scheme`` (valid ones listed), ``top_k`` out of range.
    MissingCRSError
        Parcels without a CRS.
    GeographicCRSError
        Parcels in a geographic CRS.
    """
    if not isinstance(parcels, gpd.GeoDataFrame):
        raise InvalidParameterError(f"parcels must be a GeoDataFrame, got {type(parcels).__name__}")
    if parcels.crs is None:
        raise MissingCRSError("parcels have no CRS; set one with parcels.set_crs(...)")
    check_projected(parcels.crs, what="a parcel map")
    if column not in parcels.columns:
        raise InvalidParameterError(
            f"column: {column!r} is not a column of parcels{did_you_mean(column, map(str, parcels.columns))} "
            f"Columns are: {', '.join(map(str, parcels.columns))}."
        )
    if label_column is not None and label_column not in parcels.columns:
        raise InvalidParameterError(f"label_column: {label_column!r} is not a column of parcels")
    k = top_k
    if not 0 <= int(k) <= len(parcels):
        raise InvalidParameterError(
            f"top_k must be within [0, {len(parcels)}] (the number of parcels), got {k!r}"
        )
    sch = parse_choice(Scheme, scheme, param="scheme")
    values = pd.to_numeric(parcels[column], errors="coerce").to_numpy(dtype=float)
    valid = np.isfinite(values)
    ax = _new_axes(ax)
    gdf = parcels.reset_index(drop=True)
    if (~valid).any():
        gdf[~valid].plot(ax=ax, facecolor="0.85", edgecolor="0.6", linewidth=0.2, hatch="///")
    handles = []
    if valid.any():
        n_unique = len(np.unique(values[valid]))
        kcls = max(1, min(int(n_classes), n_unique))
        if n_unique == 1:
            bins = np.array([values[valid][0]])
            yb = np.zeros(int(valid.sum()), dtype=int)
        else:
            with warnings.catch_warnings():
                # tied values (e.g. many parcels scoring 0) leave fewer distinct quantiles than classes;
                # mapclassify then lowers k itself, and the legend below shows the classes it kept
                warnings.filterwarnings("ignore", message="Not enough unique values", category=UserWarning)
                clf = _CLASSIFIERS[sch](values[valid], k=kcls)
            bins, yb = np.asarray(clf.bins), np.asarray(clf.yb)
        import matplotlib

        cm = matplotlib.colormaps[cmap].resampled(len(bins))
        colors = [cm(i) for i in yb]
        gdf[valid].plot(ax=ax, color=colors, edgecolor="0.4", linewidth=0.2)
        lows = [float(values[valid].min()), *bins[:-1]]
        for i, (lo, hi) in enumerate(zip(lows, bins, strict=True)):
            handles.append(Patch(facecolor=cm(i), edgecolor="0.5", label=f"{lo:.3g} – {hi:.3g}"))
    if (~valid).any():
        handles.append(Patch(facecolor="0.85", edgecolor="0.6", hatch="///", label="no value"))
    order = np.argsort(-np.where(valid, values, -np.inf), kind="stable")[: int(k)]
    top = gdf.iloc[order]
    if len(top):
        top.boundary.plot(ax=ax, color="crimson", linewidth=1.2)
        points = top.geometry.representative_point()
        for rank, (idx, pt) in enumerate(zip(top.index, points, strict=True), start=1):
            text = str(rank)
            if label_column is not None:
                text += f" {gdf.loc[idx, label_column]}"
            ax.annotate(text, (pt.x, pt.y), fontsize=7, fontweight="bold", ha="center", va="center",
                        color="black", bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "crimson",
                                             "lw": 0.6, "alpha": 0.85}, zorder=15)
        handles.append(Patch(facecolor="none", edgecolor="crimson", label=f"top {len(top)} (rank)"))
    if aoi is not None:
        handles.append(add_aoi_outline(ax, aoi, crs=parcels.crs))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
              title=f"{column} ({sch.value})", title_fontsize=7, frameon=False)
    return add_map_furniture(ax, crs=parcels.crs, title=title or f"parcels ranked by {column}", note=note)


def plot_rank_stability(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    rank: str = "base_rank",
    low: str = "rank_p05",
    high: str = "rank_p95",
    mean: str | None = "mean_rank",
    probability: str | None = None,
    n: int = 20,
    label_column: str | None = None,
    title: str | None = None,
    note: str | None = None,
) -> Axes:
    """Chart each parcel's base rank against its 5–95 % rank interval under weight uncertainty.

    Parameters
    ----------
    table : DataFrame
        One row per parcel with the base rank and the Monte Carlo rank interval (e.g. the output
        of the parcels rank-stability analysis).
    ax : matplotlib Axes, optional
    rank, low, high : str
        Columns with the base rank (1 = best) and the lower/upper rank percentiles.
    mean : str or None, default "mean_rank"
        Column with the mean Monte Carlo rank (drawn as a dot) if present.
    probability : str, optional
        Column with the probability of being in the top k, printed beside each bar.
    n : int, default 20
        Number of best-ranked parcels shown.
    label_column : str, optional
        Column used for the y tick labels (default: the table index).
    title, note : str, optional

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    InvalidParameterError
        If a named column is missing (the message lists the columns) or the table is empty.
    """
    if not isinstance(table, pd.DataFrame) or table.empty:
        raise InvalidParameterError("table must be a non-empty DataFrame of rank statistics")
    for param, col in (("rank", rank), ("low", low), ("high", high), ("probability", probability),
                       ("label_column", label_column)):
        if col is not None and col not in table.columns:
            raise InvalidParameterError(
                f"{param}: {col!r} is not a column of table{did_you_mean(col, map(str, table.columns))} "
                f"Columns are: {', '.join(map(str, table.columns))}."
            )
    t = table.sort_values(rank, kind="stable").head(int(n))
    ax = _new_axes(ax, figsize=(7.0, max(3.0, 0.28 * len(t) + 1.2)))
    ypos = np.arange(len(t))
    base = t[rank].to_numpy(dtype=float)
    lo, hi = t[low].to_numpy(dtype=float), t[high].to_numpy(dtype=float)
    ax.hlines(ypos, lo, hi, color="C0", lw=4, alpha=0.5, label="5–95 % rank interval")
    ax.plot(base, ypos, "k|", markersize=12, mew=2, label="base rank")
    if mean is not None and mean in t.columns:
        ax.plot(t[mean].to_numpy(dtype=float), ypos, "o", color="C1", markersize=4, label="mean rank")
    if probability is not None:
        for y, (h, p) in enumerate(zip(hi, t[probability].to_numpy(dtype=float), strict=True)):
            ax.text(h + 0.5, y, f"{100 * p:.0f} %", va="center", fontsize=6.5, color="0.3")
    labels = t[label_column].astype(str) if label_column else t.index.astype(str)
    ax.set_yticks(ypos, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("rank (1 = best)", fontsize=8)
    ax.grid(axis="x", color="0.9")
    ax.legend(fontsize=7, loc="upper right")  # the best parcels (top rows) have narrow intervals near rank 1
    ax.set_title(title or "rank stability under weight uncertainty", fontsize=11)
    if note:
        ax.text(0.0, -0.12, note, transform=ax.transAxes, fontsize=6.5, color="0.25", va="top")
    return ax
