"""A tiny synthetic ESAI dataset whose results are worked by hand in the tests."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine

from steppe_geo import Grid


@pytest.fixture
def esai_inputs():
    """6 × 6 pixels of 100 m in UTM 49N; the 1-pixel rim has no slope (NaN), the 4 × 4 core four quadrants.

    - ``dem`` flat (1200 m): slope 0 % → 1.0, aspect NaN (flat) → 1.0
    - ``precipitation`` 300 mm, ``pet`` 1200 mm: P/PET = 0.25
    - ``soil_texture`` (sand-first coding): columns 0–2 sand (1), columns 3–5 loam (4); ``soil_depth`` 100 cm
    - ``land_cover``: rows 0–2 mobile sand (104), rows 3–5 typical steppe (101)
    - ``ndvi``: rows 0–2 0.08, rows 3–5 0.40 (half the pixels each: the 5th / 95th percentile end-members
      are 0.08 and 0.40, so plant cover is 0 % and 100 %)
    - ``townships``: one 1 km² township around the grid with 70 sheep units → 70 sheep units/km²
    """
    grid = Grid(crs="EPSG:32649", transform=Affine(100, 0, 400_000, 0, -100, 4_431_000), shape=(6, 6))
    rows = np.arange(6)[:, None] * np.ones((1, 6), dtype=int)
    cols = np.ones((6, 1), dtype=int) * np.arange(6)[None, :]
    top = rows < 3
    town = shapely.box(400_300 - 500, 4_430_700 - 500, 400_300 + 500, 4_430_700 + 500)
    inputs = {
        "dem": grid.to_dataarray(np.full(grid.shape, 1200.0), name="dem", units="m"),
        "precipitation": grid.to_dataarray(np.full(grid.shape, 300.0), name="precipitation", units="mm"),
        "pet": grid.to_dataarray(np.full(grid.shape, 1200.0), name="pet", units="mm"),
        "soil_texture": grid.to_dataarray(np.where(cols < 3, 1, 4).astype(np.uint8), name="soil_texture",
                                          nodata=0),
        "soil_depth": grid.to_dataarray(np.full(grid.shape, 100.0), name="soil_depth", units="cm"),
        "land_cover": grid.to_dataarray(np.where(top, 104, 101).astype(np.uint8), name="land_cover",
                                        nodata=0),
        "ndvi": grid.to_dataarray(np.where(top, 0.08, 0.40), name="ndvi", units="1"),
        "townships": gpd.GeoDataFrame({"sheep_units": [70.0]}, geometry=[town], crs=grid.crs),
    }
    return grid, inputs


@pytest.fixture
def tiny():
    """A 10 × 20 grid of 100 m pixels; wind speed rising west → east; everything else uniform."""
    grid = Grid(crs="EPSG:32649", transform=Affine(100, 0, 400_000, 0, -100, 4_431_000), shape=(10, 20))
    wind = np.tile(np.linspace(4.0, 9.0, 20), (10, 1))
    far = shapely.Point(400_000 + 1000, 4_431_000 + 60_000)  # 60 km north: outside every cap
    vec = gpd.GeoDataFrame(geometry=[far], crs=grid.crs)
    # a power line 2 km south of the grid, parallel to the rows: within GLAES' 10 km grid reach
    line = shapely.LineString([(390_000, 4_428_000), (420_000, 4_428_000)])
    inputs = {
        "wind_speed_100m": grid.to_dataarray(wind, name="wind_speed_100m", units="m s-1"),
        "dem": grid.to_dataarray(np.full(grid.shape, 1200.0), name="dem", units="m"),
        "land_cover": grid.to_dataarray(np.full(grid.shape, 30, np.uint8), name="land_cover", nodata=0),
        "power_lines": gpd.GeoDataFrame(geometry=[line], crs=grid.crs),
        **{
            k: vec
            for k in (
                "roads",
                "settlements",
                "homesteads",
                "railways",
                "airport",
                "protected_areas",
                "water",
            )
        },
        "rivers": gpd.GeoDataFrame({"width_m": [50.0]}, geometry=[far], crs=grid.crs),
    }
    return grid, inputs
