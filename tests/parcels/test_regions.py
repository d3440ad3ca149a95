"""Candidate regions and region growing on hand-made score rasters."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from steppe_geo.errors import EmptyLayerError, InvalidParameterError
from steppe_geo.parcels import candidate_regions, grow_regions


def _score(grid):
    s = np.full(grid.shape, 0.1)
    s[2:6, 2:7] = 0.9    # 20 pixels = 1.8 ha (30 m pixels: 0.09 ha each)
    s[20:22, 30:32] = 0.8  # 4 pixels = 0.36 ha
    s[30, 50] = 0.95     # single pixel
    s[3, 4] = 0.2        # a hole inside the first patch
    return grid.to_dataarray(s, name="score")


def test_candidate_regions_threshold_min_area_and_sieve(small_grid):
    score = _score(small_grid)
    reg = candidate_regions(score, threshold=0.5)
    assert len(reg) == 3
    np.testing.assert_allclose(sorted(reg["area_ha"]), [0.09, 0.36, 1.71])  # 19 pixels (hole)
    reg = candidate_regions(score, threshold=0.5, min_area_ha=0.2)
    assert len(reg) == 2
    # Sieving at 2 pixels removes the single pixel and fills the 1-pixel hole (20 pixels).
    sieved = candidate_regions(score, threshold=0.5, sieve_pixels=2)
    np.testing.assert_allclose(sorted(sieved["area_ha"]), [0.36, 1.8])
    # The filled hole pixel is in the polygon: mean = (19 * 0.9 + 0.2) / 20.
    big = sieved.loc[sieved["area_ha"].idxmax()]
    assert big["score_mean"] == pytest.approx((19 * 0.9 + 0.2) / 20)


def test_candidate_regions_eligible_and_attributes(small_grid):
    score = _score(small_grid)
    elig = np.ones(small_grid.shape, dtype=bool)
    elig[20:22, 30:32] = False
    other = small_grid.to_dataarray(np.full(small_grid.shape, 7.0))
    reg = candidate_regions(score, threshold=0.5, eligible=small_grid.to_dataarray(elig),
                            attributes={"wind": other})
    assert len(reg) == 2 and (reg["wind_mean"] == 7.0).all()
    with pytest.raises(EmptyLayerError, match="no region"):
        candidate_regions(score, threshold=2.0)
    with pytest.raises(InvalidParameterError, match="connectivity"):
        candidate_regions(score, threshold=0.5, connectivity=6)


def test_grow_regions_spacing_and_count(small_grid, rng):
    s = rng.random(small_grid.shape)
    score = small_grid.to_dataarray(s)
    reg = grow_regions(score, region_area_ha=0.9, n_regions=4, min_spacing_m=100)
    assert len(reg) == 4
    np.testing.assert_allclose(reg["area_ha"], 0.9)  # 10 pixels each
    # Region 1 contains the best pixel of the raster.
    r, c = np.unravel_index(np.argmax(s), s.shape)
    x, y = small_grid.x_coords()[c], small_grid.y_coords()[r]
    assert reg.loc[1].geometry.contains(shapely.Point(x, y))
    geoms = list(reg.geometry)
    for i in range(4):
        for j in range(i + 1, 4):
            assert geoms[i].distance(geoms[j]) >= 100 - 30  # pixel-centre spacing > 100 m
    # No cap: a total area target keeps adding regions.
    many = grow_regions(score, region_area_ha=0.09, total_area_ha=2.7)
    assert len(many) == 30
    with pytest.raises(InvalidParameterError, match="region_area_ha"):
        grow_regions(score, region_area_ha=0)
    with pytest.raises(InvalidParameterError, match="n_regions"):
        grow_regions(score, region_area_ha=1, n_regions=0)
