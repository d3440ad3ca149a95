"""The four forms of a setback agree on a pixel at exactly the setback distance (docs/glossary.md).

"Within d" means distance <= d everywhere: a pixel whose centre is exactly d metres from a feature
is within the setback, so excluded (and not kept by ``outside_setback``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import steppe_geo as sg
from steppe_geo import criteria, mcda
from steppe_geo.models import Model, run_model

# 5 x 5 pixels of 30 m; one well at the centre of pixel (2, 2). The centres of its four neighbours
# are exactly 30 m away (45 - 15 = 30, exact in binary floating point), the diagonal ones
# 30 sqrt(2) = 42.43 m, the next ones along the axes exactly 60 m.
GRID = sg.Grid.from_bounds((0, 0, 150, 150), crs="EPSG:32649", resolution_m=30)
WELL = gpd.GeoDataFrame(geometry=[shapely.Point(75, 75)], crs="EPSG:32649")


def _within_by_hand(d: float) -> np.ndarray:
    rows, cols = np.indices(GRID.shape)
    return np.hypot((rows - 2) * 30.0, (cols - 2) * 30.0) <= d  # pixel-centre distances, written out


@pytest.mark.parametrize("d", [30.0, 60.0])
def test_the_four_setback_forms_exclude_a_pixel_at_exactly_d(d):
    expected = _within_by_hand(d)
    assert expected.sum() == (5 if d == 30.0 else 13)
    # 1. criteria.within_distance: True where distance <= d
    within = criteria.within_distance(WELL, grid=GRID, distance_m=d).values
    # 2. criteria.outside_setback: True (keep) where distance > d
    keep = criteria.outside_setback(WELL, grid=GRID, distance_m=d)
    assert keep.attrs["distance_m"] == d
    # 3. a model's exact setback (Model.add_setback: the `within` derivation, excluded where it is 1)
    ones = GRID.to_dataarray(np.ones(GRID.shape, np.float32), name="wind")
    model = Model("m", ("wind", "homesteads"),
                  criteria=(mcda.Criterion("wind", mcda.Linear(low=0.0, high=1.0)),))
    model = model.add_setback("wells", "homesteads", distance_m=d)
    exact = run_model(model, {"wind": ones, "homesteads": WELL}, grid=GRID).eligible.values
    # 4. mcda.Setback on a distance raster (criteria.distance, metres): excluded where distance <= d
    dist = criteria.distance(WELL, grid=GRID)
    overlay = mcda.Overlay(criteria=[mcda.Criterion("wind", mcda.Linear(low=0.0, high=1.0))],
                           constraints=[mcda.Setback("wells", "dist", distance_m=d)])
    raster = mcda.evaluate(overlay, {"wind": ones, "dist": dist}).eligible.values
    np.testing.assert_array_equal(within, expected)
    np.testing.assert_array_equal(keep.values, ~expected)
    np.testing.assert_array_equal(exact, ~expected)
    np.testing.assert_array_equal(raster, ~expected)
    assert float(dist.values[2, 3]) == 30.0 and float(dist.values[2, 4]) == 60.0  # the boundary pixels
