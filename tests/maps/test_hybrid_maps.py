"""Turbine layout map and complementarity chart: drawn, labelled, errors named."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import xarray as xr
from matplotlib.patches import Ellipse
from rasterio.transform import from_origin

from steppe_geo.errors import InvalidParameterError, MissingCRSError
from steppe_geo.maps import plot_complementarity, plot_turbine_layout
from steppe_geo.parcels.turbines import place_turbines


def test_turbine_layout_map(image_checks):
    mask = np.ones((80, 80), dtype=bool)
    mask[30:50, 10:70] = False
    tr = from_origin(0, 4000, 50, 50)
    elig = xr.DataArray(mask, dims=("y", "x"), coords={"y": 4000 - (np.arange(80) + 0.5) * 50,
                                                       "x": (np.arange(80) + 0.5) * 50})
    elig = elig.rio.write_crs("EPSG:32649").rio.write_transform(tr)
    region = shapely.Point(2000, 2000).buffer(1900)
    pts = place_turbines(region, elig, rotor_diameter_m=100, wind_from_deg=300)
    pts["net_mwh_yr"] = np.linspace(9000, 12000, len(pts))
    regions = gpd.GeoDataFrame(geometry=[region], crs="EPSG:32649")
    ax = plot_turbine_layout(pts, regions=regions, eligible=elig, wind_from_deg=300, rotor_diameter_m=100)
    image_checks["assert_not_blank"](ax.figure)
    ellipses = [p for p in ax.patches if isinstance(p, Ellipse)]
    assert len(ellipses) == len(pts)
    assert ellipses[0].width == 800 and ellipses[0].height == 400 and ellipses[0].angle == pytest.approx(-210)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"turbines ({len(pts)})" in labels and "eligible land" in labels
    assert "wind from 300°" in [t.get_text() for t in ax.texts]
    with pytest.raises(MissingCRSError, match="no CRS"):
        plot_turbine_layout(gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)]))


def test_complementarity_chart(image_checks):
    times = pd.date_range("2023-06-01", periods=48 * 10, freq="30min", tz="Etc/GMT+7")
    hour = times.hour + times.minute / 60
    solar = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None)
    wind = 0.5 + 0.4 * np.cos(hour / 24 * 2 * np.pi)
    ax = plot_complementarity(wind, solar, times=times, wind_mw=100, solar_mw=80, export_limit_mw=120)
    image_checks["assert_not_blank"](ax.figure)
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(lines) >= {"wind", "solar", "hybrid", "delivered", "export limit"}
    # at noon: the hybrid mean is 100·wind + 80·solar, the delivered line is capped at 120
    noon = list(lines["hybrid"].get_xdata()).index(12.0)
    assert lines["hybrid"].get_ydata()[noon] == pytest.approx(100 * 0.1 + 80 * 1.0)
    assert lines["delivered"].get_ydata()[noon] == pytest.approx(min(90.0, 120.0))
    r = np.corrcoef(wind, solar)[0, 1]
    assert f"r = {r:.2f}" in ax.get_title()
    with pytest.raises(InvalidParameterError, match="same length"):
        plot_complementarity(wind[:5], solar, times=times)
