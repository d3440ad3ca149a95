"""Turbine layout map and wind–solar complementarity chart.

``plot_x(data, *, ax=None) -> Axes``; a figure is created only when ``ax`` is None and
``plt.show()`` is never called. These functions draw results; they compute nothing but means.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.patches import Ellipse, Patch

from steppe_geo._validation import check_projected
from steppe_geo.errors import InvalidParameterError, MissingCRSError
from steppe_geo.maps.furniture import add_map_furniture, raster_extent

__all__ = ["plot_complementarity", "plot_turbine_layout"]


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = (7.5, 6.0)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plot_turbine_layout(points: gpd.GeoDataFrame, *, regions: gpd.GeoDataFrame | None = None,
                        eligible: xr.DataArray | None = None, wind_from_deg: float | None = None,
                        rotor_diameter_m: float | None = None, along_d: float = 8.0,
                        across_d: float = 4.0, ax: Axes | None = None,
                        title: str | None = "Turbine layout", note: str | None = None) -> Axes:
    """Map turbines over eligible land, with region outlines and spacing ellipses.

    Parameters
    ----------
    points : GeoDataFrame
        Turbine points (projected CRS), e.g. from
        :func:`~steppe_geo.parcels.turbines.turbine_layouts`; a ``net_mwh_yr`` column colours them.
    regions : GeoDataFrame, optional
        Region or parcel outlines (reprojected to the points' CRS).
    eligible : DataArray of bool, optional
        Eligibility raster drawn in light green under the turbines.
    wind_from_deg : float, optional
        Prevailing direction (from); draws an arrow and, with ``rotor_diameter_m``, around each
        turbine the spacing ellipse at half size (semi-axes ``along_d D / 2`` and
        ``across_d D / 2``), so that a valid layout shows ellipses that touch but never overlap.
    rotor_diameter_m : float, optional
        Rotor diameter D (m).
    along_d, across_d : float, default 8, 4
        Spacing in rotor diameters.
    ax : matplotlib Axes, optional
        Axes to draw into.
    title, note : str, optional
        Title and data note.

    Returns
    -------
    matplotlib Axes
        The map.

    Raises
    ------
    MissingCRSError
        If ``points`` has no CRS.
    GeographicCRSError
        If the CRS is geographic.
    """
    if points.crs is None:
        raise MissingCRSError("points has no CRS; turbine maps are drawn in a projected CRS")
    crs = check_projected(points.crs, what="turbine points")
    ax = _new_axes(ax)
    if eligible is not None:
        vals = np.where(np.asarray(eligible.values, dtype=bool), 1.0, np.nan)
        from matplotlib.colors import ListedColormap

        ax.imshow(vals, extent=raster_extent(eligible), cmap=ListedColormap(["#cfe8c4"]),
                  interpolation="nearest", zorder=0)
    handles = []
    if regions is not None and len(regions):
        regions.to_crs(crs).boundary.plot(ax=ax, color="0.2", linewidth=0.8, zorder=2)
        handles.append(Patch(facecolor="none", edgecolor="0.2", label="region / parcel"))
    if eligible is not None:
        handles.append(Patch(facecolor="#cfe8c4", label="eligible land"))
    if len(points):
        x, y = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
        if wind_from_deg is not None and rotor_diameter_m is not None:
            angle = 90.0 - float(wind_from_deg)  # matplotlib: degrees anticlockwise from +x
            for xi, yi in zip(x, y, strict=True):  # half-size ellipses: they touch, never overlap
                ax.add_patch(Ellipse((xi, yi), width=along_d * rotor_diameter_m,
                                     height=across_d * rotor_diameter_m, angle=angle, fill=False,
                                     edgecolor="0.55", linewidth=0.4, zorder=3))
        color = points["net_mwh_yr"] if "net_mwh_yr" in points else "tab:blue"
        sc = ax.scatter(x, y, c=color, s=14, cmap="viridis", edgecolors="black", linewidths=0.3, zorder=4)
        if "net_mwh_yr" in points:
            ax.figure.colorbar(sc, ax=ax, shrink=0.7, label="net energy per turbine (MWh/yr)")
        pad = (along_d * rotor_diameter_m / 2) if rotor_diameter_m else 0.0
        ax.set_xlim(min(ax.get_xlim()[0], x.min() - pad), max(ax.get_xlim()[1], x.max() + pad))
        ax.set_ylim(min(ax.get_ylim()[0], y.min() - pad), max(ax.get_ylim()[1], y.max() + pad))
    handles.append(Patch(facecolor="tab:blue", edgecolor="black", label=f"turbines ({len(points)})"))
    if wind_from_deg is not None:
        t = math.radians(float(wind_from_deg))
        ax.annotate("", xy=(0.12 - 0.07 * math.sin(t), 0.86 - 0.07 * math.cos(t)),
                    xytext=(0.12 + 0.07 * math.sin(t), 0.86 + 0.07 * math.cos(t)), xycoords="axes fraction",
                    arrowprops={"arrowstyle": "-|>", "color": "tab:red", "lw": 1.5})
        ax.text(0.12, 0.75, f"wind from {float(wind_from_deg):.0f}°", transform=ax.transAxes, ha="center",
                fontsize=7, color="tab:red")
    ax.legend(handles=handles, loc="lower right", fontsize=7, framealpha=0.85)
    return add_map_furniture(ax, crs=crs, title=title, note=note)


def plot_complementarity(wind_cf: np.ndarray | pd.Series, solar_cf: np.ndarray | pd.Series, *,
                         times: pd.DatetimeIndex, wind_mw: float = 1.0, solar_mw: float = 1.0,
                         export_limit_mw: float | None = None, ax: Axes | None = None,
                         title: str | None = "Wind–solar complementarity") -> Axes:
    """Mean daily profile (by local hour) of wind, PV and the hybrid behind the export limit.

    Lines: mean wind and PV output per hour of day (MW, capacity × CF), their sum, and the
    delivered output ``min(limit, sum)`` if a limit is given; the title carries the Pearson
    correlation of the two series.

    Parameters
    ----------
    wind_cf, solar_cf : array-like
        Capacity factors on the same steps as ``times``.
    times : DatetimeIndex
        Time stamps (their own clock decides the hour of day).
    wind_mw, solar_mw : float, default 1
        Installed capacities (MW); 1 and 1 plot the capacity factors.
    export_limit_mw : float, optional
        Shared export limit (MW).
    ax : matplotlib Axes, optional
        Axes to draw into.
    title : str, optional
        Title (the correlation is appended).

    Returns
    -------
    matplotlib Axes
        The chart.

    Raises
    ------
    InvalidParameterError
        If the lengths differ.
    """
    w = np.asarray(wind_cf, dtype=float)
    s = np.asarray(solar_cf, dtype=float)
    idx = pd.DatetimeIndex(times)
    if not (w.shape == s.shape == (idx.size,)):
        raise InvalidParameterError(
            f"wind_cf, solar_cf and times must have the same length, got {w.size}, {s.size}, {idx.size}")
    ax = _new_axes(ax, figsize=(7.0, 4.2))
    frame = pd.DataFrame({"wind": w * wind_mw, "solar": s * solar_mw}, index=idx)
    frame["hybrid"] = frame["wind"] + frame["solar"]
    if export_limit_mw is not None:
        frame["delivered"] = np.minimum(frame["hybrid"], export_limit_mw)
    hourly = frame.groupby(idx.hour + idx.minute / 60.0).mean()
    styles = {"wind": ("tab:blue", "-"), "solar": ("tab:orange", "-"), "hybrid": ("0.3", "--"),
              "delivered": ("tab:green", "-")}
    for col in hourly.columns:
        color, ls = styles[col]
        ax.plot(hourly.index, hourly[col], color=color, linestyle=ls, label=col, linewidth=1.6)
    if export_limit_mw is not None:
        ax.axhline(export_limit_mw, color="tab:red", linewidth=0.8, linestyle=":", label="export limit")
    ok = np.isfinite(w) & np.isfinite(s)
    r = float(np.corrcoef(w[ok], s[ok])[0, 1]) if ok.sum() > 1 else float("nan")
    unit = "capacity factor" if wind_mw == 1.0 and solar_mw == 1.0 else "mean output (MW)"
    ax.set_xlabel("hour of day")
    ax.set_ylabel(unit)
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3))
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(f"{title} (Pearson r = {r:.2f})", fontsize=11)
    return ax
