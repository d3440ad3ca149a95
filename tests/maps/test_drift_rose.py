"""The sand rose: bars per sector where the wind comes from, the arrow where the sand goes."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr

from steppe_geo.criteria import drift_potential
from steppe_geo.errors import InvalidParameterError
from steppe_geo.io import save_figure
from steppe_geo.maps import plot_drift_rose

KN = 1852.0 / 3600.0


def test_rose_bars_and_resultant_arrow(tmp_path, image_checks):
    # 20 kn from the west for 1 h, 15 kn from the north for 1 h, 2 h calm: DP_W = 800, DP_N = 168.75 VU
    rec = xr.Dataset({"wind_speed": ("time", np.array([20, 15, 0]) * KN),
                      "wind_direction": ("time", [270.0, 0.0, 0.0]),
                      "duration_h": ("time", [1.0, 1.0, 2.0])}, attrs={"wind_height_m": 10.0})
    d = drift_potential(rec)
    ax = plot_drift_rose(d, note="hand-made record")
    image_checks["assert_not_blank"](ax.figure)
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 16
    assert heights[12] == pytest.approx(800.0) and heights[0] == pytest.approx(168.75)
    arrow = ax.texts[0] if ax.texts[0].arrow_patch is not None else ax.texts[1]
    theta, r = arrow.xy
    assert math.degrees(theta) == pytest.approx(d.rdd_deg) and r == pytest.approx(d.rdp)
    assert 90 < d.rdd_deg < 180  # towards the east-south-east: where the sand goes
    assert any("RDD 102° (towards)" in t.get_text() for t in ax.texts)
    out = tmp_path / "rose.png"
    save_figure(ax.figure, out)
    assert out.stat().st_size > 10_000
    plt.close(ax.figure)


def test_rose_needs_polar_axes():
    rec = xr.Dataset({"wind_speed": ("time", [20 * KN]), "wind_direction": ("time", [0.0]),
                      "duration_h": ("time", [1.0])}, attrs={"wind_height_m": 10.0})
    fig, ax = plt.subplots()
    with pytest.raises(InvalidParameterError, match="polar Axes"):
        plot_drift_rose(drift_potential(rec), ax=ax)
    plt.close(fig)
