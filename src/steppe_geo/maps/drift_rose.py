"""The sand rose of a wind record: drift potential per direction sector and the resultant drift arrow."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.projections.polar import PolarAxes

from steppe_geo.criteria.drift import DriftPotential
from steppe_geo.errors import InvalidParameterError

__all__ = ["plot_drift_rose"]


def plot_drift_rose(drift: DriftPotential, *, ax: Axes | None = None, title: str | None = None,
                    note: str | None = None, color: str = "#c2873a") -> Axes:
    """Fryberger's sand rose: polar bars of the drift potential per sector and the resultant arrow.

    Bars stand on the direction the wind blows *from* (north up, clockwise), their length is the
    sector's DP (VU); the arrow points where the sand moves (RDD), its length is RDP on the same scale.
    The legend gives DP, RDP, RDD, RDP/DP and the energy class.

    Parameters
    ----------
    drift : DriftPotential
        From :func:`steppe_geo.criteria.drift_potential`.
    ax : matplotlib Axes, optional
        A polar Axes (``subplot_kw={"projection": "polar"}``); created when None.
    title, note : str, optional
        Title; a data note under the rose (source, period).
    color : str
        Colour of the bars.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InvalidParameterError
        ``ax`` is not a polar Axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 6.4), subplot_kw={"projection": "polar"}, layout="constrained")
    if not isinstance(ax, PolarAxes):  # projection="polar" makes a PolarAxes (ax.name "polar")
        raise InvalidParameterError(f"ax must be a polar Axes (projection='polar'), got a {ax.name!r} Axes")
    n = len(drift.dp_by_sector)
    theta = np.radians(np.asarray(drift.sector_centres_deg))
    dp = np.asarray(drift.dp_by_sector, dtype=np.float64)
    ax.set_theta_zero_location("N")
    ax.set_theta_direction(-1)
    ax.bar(theta, dp, width=2 * np.pi / n * 0.85, color=color, edgecolor="#5a3b12", linewidth=0.6,
           label="DP by sector (wind from)")
    top = float(max(dp.max(initial=0.0), drift.rdp, 1e-9))
    if drift.rdp > 0 and math.isfinite(drift.rdd_deg):
        ax.annotate("", xy=(math.radians(drift.rdd_deg), drift.rdp), xytext=(0.0, 0.0),
                    arrowprops={"arrowstyle": "-|>", "color": "#1f3b73", "lw": 2.2})
    ax.set_ylim(0, top * 1.08)
    ax.set_xticks(np.radians(np.arange(0, 360, 45)), ["N", "NE", "E", "SE", "S", "SW", "W", "NW"])
    ax.tick_params(axis="y", labelsize=7)
    ax.set_rlabel_position(112.5)
    summary = (f"DP {drift.dp:.0f} VU ({drift.energy_class} energy)   RDP {drift.rdp:.0f} VU   "
               f"RDD {drift.rdd_deg:.0f}° (towards)   RDP/DP {drift.ratio:.2f}")
    ax.set_title(title or "Sand rose (Fryberger & Dean 1979)", pad=18)
    text = summary if note is None else f"{summary}\n{note}"
    ax.text(0.5, -0.08, text, transform=ax.transAxes, ha="center", va="top", fontsize=8)
    return ax
