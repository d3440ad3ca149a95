"""Plot a value function's curve over the histogram of the layer it standardises."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from steppe_geo.mcda.value_functions import Categorical, ValueFunction

__all__ = ["plot_value_function"]


def plot_value_function(
    fn: ValueFunction,
    layer: np.ndarray | xr.DataArray | None = None,
    *,
    ax: Any = None,
    bins: int = 50,
    x_range: tuple[float, float] | None = None,
    title: str | None = None,
    note: str | None = None,
) -> Any:
    """Draw ``fn`` as a curve (right axis 0..1) over the histogram of ``layer`` (left axis).

    This is the view ArcGIS users tune Rescale by Function curves with.

    Parameters
    ----------
    fn : ValueFunction
    layer : array or DataArray, optional
        Criterion values (NaN ignored); sets the x range and the histogram.
    ax : matplotlib Axes, optional
        Drawn into; a new figure is created only when None. ``plt.show()`` is never called.
    bins : int, default 50
    x_range : (min, max), optional
        Range of the curve when no layer is given (default: from the function's parameters).
    title : str, optional
        Default: the value function's label (e.g. ``linear(low=4, high=10)``).
    note : str, optional
        Data note under the chart; default: how many valid pixels of which layer the histogram
        shows (none without a layer).

    Returns
    -------
    matplotlib.axes.Axes
        The histogram axes (the curve is on ``ax.right_ax``-style twin axes, returned axes'
        ``figure`` holds both).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    values = None
    units = ""
    if layer is not None:
        if isinstance(layer, xr.DataArray):
            units = str(layer.attrs.get("units", ""))
            values = np.asarray(layer.values, dtype=float).ravel()
        else:
            values = np.asarray(layer, dtype=float).ravel()
        values = values[np.isfinite(values)]
    if values is not None and values.size:
        lo, hi = float(values.min()), float(values.max())
    elif x_range is not None:
        lo, hi = x_range
    else:
        nums = [v for v in fn.to_dict().values() if isinstance(v, int | float) and not isinstance(v, bool)]
        if isinstance(fn, Categorical):
            nums = [k for k, _ in fn.table]
        lo, hi = (min(nums), max(nums)) if nums else (0.0, 1.0)
        pad = 0.25 * (hi - lo or 1.0)
        lo, hi = lo - pad, hi + pad
    if hi == lo:
        hi = lo + 1.0
    if values is not None and values.size:
        ax.hist(values, bins=bins, color="0.8", edgecolor="0.6")
        ax.set_ylabel("pixels")
    else:
        ax.set_yticks([])
    twin = ax.twinx()
    if isinstance(fn, Categorical):
        codes = np.array([k for k, _ in fn.table], dtype=float)
        twin.plot(codes, fn.apply(codes), "o", color="C0")
    else:
        xs = np.linspace(lo, hi, 400)
        twin.plot(xs, fn.apply(xs), color="C0", lw=2)
    twin.set_ylim(-0.02, 1.02)
    twin.set_ylabel("standardised value (0..1)")
    ax.set_xlabel(f"criterion value ({units})" if units else "criterion value")
    ax.set_title(fn.label() if title is None else title, fontsize=9)
    if note is None and values is not None:
        name = getattr(layer, "name", None)
        note = f"histogram: {values.size:,} valid pixels" + (f" of {name!r}" if name else "")
    if note:
        ax.text(0.0, -0.2, note, transform=ax.transAxes, fontsize=6.5, color="0.25", ha="left", va="top")
    return ax
