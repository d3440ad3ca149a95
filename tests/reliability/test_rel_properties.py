"""Property-based invariants of the engine (hypothesis), on small random grids.

- every score is NaN or within [0, 1], whatever the rule, the value functions and the data;
- an excluded pixel (a constraint bit set, or outside the AOI) is never eligible and has no score;
- adding a constraint never adds eligible land;
- permuting the parcels' order permutes the ranks only: each parcel id keeps its score and rank;
- streamed evaluation (random window sizes, files written to a temporary folder) gives exactly
  the in-memory result.

Examples are few (``max_examples`` ≤ 25) and derandomised, so the suite is fast and the same on
every run; ``deadline=None`` because a first call may import or compile.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import steppe_geo as sg
from steppe_geo import mcda
from steppe_geo.io import write_raster
from steppe_geo.parcels import rank_parcels, zonal_stats

correct_result = pytest.mark.case("correct_result")

CRS = "EPSG:32649"
PROFILE = settings(max_examples=20, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

RULES = {"wlc": {}, "weighted-product": {}, "owa": {"orness": 0.3}, "fuzzy-and": {}, "fuzzy-or": {},
         "fuzzy-product": {}, "fuzzy-gamma": {"gamma": 0.7}, "geometric-mean": {}}


@st.composite
def grids_and_layers(draw, *, max_side: int = 12):
    """A random small grid (2..max_side px a side, 10–100 m pixels) and three float32 layers with NaNs."""
    rows = draw(st.integers(2, max_side))
    cols = draw(st.integers(2, max_side))
    res = draw(st.sampled_from([10, 30, 100]))
    grid = sg.Grid.from_bounds((400_000, 4_430_000, 400_000 + cols * res, 4_430_000 + rows * res), crs=CRS,
                               resolution_m=res)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    nan_share = draw(st.sampled_from([0.0, 0.1, 0.5]))
    layers = {}
    for name, (lo, hi) in {"wind": (0.0, 15.0), "slope": (0.0, 40.0), "dist": (0.0, 5000.0)}.items():
        a = rng.uniform(lo, hi, grid.shape).astype(np.float32)
        a[rng.random(grid.shape) < nan_share] = np.nan
        layers[name] = grid.to_dataarray(a, name=name)
    return grid, layers


@st.composite
def overlays(draw, *, constraints: bool = True):
    """A random overlay over wind, slope and dist: random ramps, weights, rule and 0–2 constraints."""
    lo_w = draw(st.floats(0, 7))
    fns = {
        "wind": mcda.Linear(lo_w, lo_w + draw(st.floats(0.5, 8))),
        "slope": mcda.Linear(draw(st.floats(15, 40)), 0.0),
        "dist": mcda.Gaussian(midpoint=draw(st.floats(0, 5000)), spread=draw(st.floats(1e-7, 1e-5))),
    }
    weights = draw(st.lists(st.floats(0.05, 10), min_size=3, max_size=3))
    criteria = tuple(mcda.Criterion(n, fn, w) for (n, fn), w in zip(fns.items(), weights, strict=True))
    rule = draw(st.sampled_from(sorted(RULES)))
    cons = []
    if constraints:
        if draw(st.booleans()):
            cons.append(mcda.ValueRange("steep", "slope", max=draw(st.floats(5, 35))))
        if draw(st.booleans()):
            cons.append(mcda.ValueRange("calm", "wind", min=draw(st.floats(0, 10))))
    return mcda.Overlay(criteria, constraints=tuple(cons), rule=rule, **RULES[rule])


# ----------------------------------------------------------------------------- scores, eligibility
@correct_result
@PROFILE
@given(data=grids_and_layers(), overlay=overlays())
def test_scores_are_nan_or_within_0_1(data, overlay):
    _, layers = data
    r = mcda.evaluate(overlay, layers)
    s = r.score.values
    finite = s[~np.isnan(s)]
    assert np.all((finite >= 0) & (finite <= 1)), (overlay.rule, finite.min(), finite.max())
    for name in r.criteria.data_vars:  # standardised criteria too
        c = r.criteria[name].values
        assert np.all((c[~np.isnan(c)] >= 0) & (c[~np.isnan(c)] <= 1))


@correct_result
@PROFILE
@given(data=grids_and_layers(), overlay=overlays(), aoi_cut=st.floats(0.1, 0.9))
def test_an_excluded_pixel_is_never_eligible(data, overlay, aoi_cut):
    grid, layers = data
    west, south, east, north = grid.bounds
    cut = shapely.box(west, south, west + aoi_cut * (east - west), north)
    aoi = gpd.GeoDataFrame(geometry=[cut], crs=CRS)
    r = mcda.evaluate(overlay, layers, aoi=aoi)
    excluded = r.exclusion.values != 0
    eligible = r.eligible.values.astype(bool)
    assert not np.any(eligible & excluded)
    assert np.all(np.isnan(r.score.values[excluded]))
    # and independently: a pixel breaking a value-range constraint is excluded
    for c in overlay.constraints:
        v = layers[c.layer].values
        broken = ((v < c.min) if c.min is not None else False) | ((v > c.max) if c.max is not None else False)
        assert not np.any(eligible & broken), c.name


@correct_result
@PROFILE
@given(data=grids_and_layers(), overlay=overlays(), limit=st.floats(0, 40))
def test_adding_a_constraint_never_adds_eligible_land(data, overlay, limit):
    _, layers = data
    before = mcda.evaluate(overlay, layers).eligible.values.astype(bool)
    more = mcda.Overlay(overlay.criteria, constraints=(*overlay.constraints,
                                                       mcda.ValueRange("extra", "slope", max=limit)),
                        rule=overlay.rule, orness=overlay.orness, gamma=overlay.gamma)
    after = mcda.evaluate(more, layers).eligible.values.astype(bool)
    assert not np.any(after & ~before)
    assert after.sum() <= before.sum()


# ----------------------------------------------------------------------------- parcels
@correct_result
@PROFILE
@given(data=grids_and_layers(max_side=8), n=st.integers(2, 8), seed=st.integers(0, 2**32 - 1))
def test_permuting_parcels_permutes_ranks_only(data, n, seed):
    grid, layers = data
    rng = np.random.default_rng(seed)
    west, south, east, north = grid.bounds
    boxes = []
    for _ in range(n):  # random rectangles inside the grid, at least 1/4 pixel across
        x = np.sort(rng.uniform(west, east, 2))
        y = np.sort(rng.uniform(south, north, 2))
        x[1] = max(x[1], x[0] + grid.resolution[0] / 4)
        y[1] = max(y[1], y[0] + grid.resolution[1] / 4)
        boxes.append(shapely.box(x[0], y[0], x[1], y[1]))
    parcels = gpd.GeoDataFrame({"pid": [f"p{i}" for i in range(n)]}, geometry=boxes, crs=CRS)
    crit = {k: mcda.Linear(0, 20)(v) for k, v in layers.items()}
    weights = {"wind": 3.0, "slope": 1.0, "dist": 2.0}

    eligible = grid.to_dataarray(np.asarray(layers["slope"].values < 30), name="eligible")

    def ranked(gdf):
        z = zonal_stats(gdf, crit, id_column="pid", eligible=eligible, require_all_valid=True)
        return rank_parcels(z, weights=weights).set_index("pid")

    base = ranked(parcels)
    order = rng.permutation(n)
    shuffled = ranked(parcels.iloc[order].reset_index(drop=True))
    assert sorted(shuffled.index) == sorted(base.index)  # every parcel once (rank_parcels sorts by rank)
    shuffled = shuffled.loc[base.index]
    np.testing.assert_array_equal(shuffled["score"].to_numpy(), base["score"].to_numpy())
    assert shuffled["rank"].astype("Float64").equals(base["rank"].astype("Float64"))
    assert shuffled["status"].tolist() == base["status"].tolist()


# ----------------------------------------------------------------------------- streamed = memory
def _read(path):
    with rasterio.open(path) as ds:
        return ds.read(1)


@correct_result
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=grids_and_layers(max_side=40), overlay=overlays(), window=st.integers(8, 48))
def test_streamed_equals_memory_on_random_windows(tmp_path_factory, data, overlay, window):
    grid, layers = data
    folder = tmp_path_factory.mktemp("streamed")
    sources = {k: write_raster(v, folder / "in" / f"{k}.tif") for k, v in layers.items()}
    memory = mcda.evaluate(overlay, {k: sg.read_raster(p) for k, p in sources.items()})
    files = mcda.evaluate_streamed(overlay, sources, grid=grid, out_dir=folder / "out", window=window)
    np.testing.assert_array_equal(_read(files["score"]), memory.score.values)
    np.testing.assert_array_equal(_read(files["eligible"]), memory.eligible.values.astype(np.uint8))
    np.testing.assert_array_equal(_read(files["exclusion"]), memory.exclusion.values)

