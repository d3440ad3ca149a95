"""Ranking, contributions, capacity and top-k against hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from steppe_geo.errors import InvalidParameterError, MissingLayerError
from steppe_geo.parcels import rank_parcels, top_k


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame({
        "wind_mean": [0.8, 0.2, 0.5, 0.5, np.nan],
        "slope_mean": [0.4, 1.0, 0.5, 0.5, 0.3],
        "eligible_area_ha": [100.0, 50.0, 10.0, 10.0, 0.0],
        "cf": [0.35, 0.30, 0.25, 0.25, 0.2],
    }, index=["a", "b", "c", "d", "e"])


def test_scores_contributions_and_ranks(table):
    out = rank_parcels(table, weights={"wind": 3, "slope": 1}, tie_method="min")
    # Weights normalised to 0.75 / 0.25: a = 0.75*0.8 + 0.25*0.4 = 0.7; b = 0.15 + 0.25 = 0.4; c = d = 0.5.
    np.testing.assert_allclose(out.loc[["a", "b", "c", "d"], "score"], [0.7, 0.4, 0.5, 0.5])
    assert list(out.index) == ["a", "c", "d", "b", "e"]
    assert out.loc[["a", "c", "d", "b"], "rank"].tolist() == [1, 2, 2, 4]
    assert pd.isna(out.loc["e", "rank"]) and np.isnan(out.loc["e", "score"])
    assert out.loc["a", "contrib_wind"] == pytest.approx(0.6)
    assert out.loc["a", "share_wind"] == pytest.approx(100 * 0.6 / 0.7)
    assert out.loc["a", "percentile"] == pytest.approx(100.0)
    first = rank_parcels(table, weights={"wind": 3, "slope": 1}, tie_method="first")
    assert first.loc[["c", "d"], "rank"].tolist() == [2, 3]
    assert table.columns.tolist() == ["wind_mean", "slope_mean", "eligible_area_ha", "cf"]  # not mutated


def test_capacity_and_energy(table):
    out = rank_parcels(table, weights={"wind": 1, "slope": 1}, technology="wind", capacity_factor_column="cf")
    # 100 ha = 1 km² x 3 MW/km² = 3 MW (AC); 3 MW x 0.35 x 8760 h / 1000 = 9.198 GWh/yr.
    assert out.loc["a", "capacity_mw"] == pytest.approx(3.0)
    assert out.loc["a", "energy_gwh"] == pytest.approx(9.198)
    assert out.attrs["capacity_basis"] == "AC"
    solar = rank_parcels(table, weights={"wind": 1}, technology="solar", capacity_factor=0.2)
    assert solar.loc["b", "capacity_mw"] == pytest.approx(0.5 * 36)  # 50 ha = 0.5 km², DC
    assert solar.attrs["capacity_basis"] == "DC"


def test_score_column_for_nonlinear_rules(table):
    t = table.assign(score_raster_mean=[0.1, 0.9, 0.3, 0.2, 0.5])
    out = rank_parcels(t, weights={"wind": 1, "slope": 1}, score_column="score_raster_mean")
    assert out.index[0] == "b" and out.loc["b", "rank"] == 1


def test_top_k(table):
    out = rank_parcels(table, weights={"wind": 1, "slope": 1})
    # Equal weights: a = b = 0.6 (tie kept in row order), c = d = 0.5.
    assert list(top_k(out, 2).index) == ["a", "b"]
    assert list(top_k(out, 3).index) == ["a", "b", "c"]
    with pytest.raises(InvalidParameterError, match=r"k must be an integer in \[1, 5\]"):
        top_k(out, 6)


def test_errors(table):
    with pytest.raises(MissingLayerError, match="criterion 'wnd'"):
        rank_parcels(table, weights={"wnd": 1})
    with pytest.raises(InvalidParameterError, match="finite and >= 0"):
        rank_parcels(table, weights={"wind": -1})
    with pytest.raises(InvalidParameterError, match="at least one weight must be > 0"):
        rank_parcels(table, weights={"wind": 0})
    with pytest.raises(InvalidParameterError, match="tie_method"):
        rank_parcels(table, weights={"wind": 1}, tie_method="dense")
    with pytest.raises(InvalidParameterError, match="did you mean 'wind'"):
        rank_parcels(table, weights={"wind": 1}, technology="wnd")
    with pytest.raises(MissingLayerError, match="eligible_area_column"):
        rank_parcels(table.drop(columns="eligible_area_ha"), weights={"wind": 1})


def test_parcel_score_equals_zonal_mean_of_the_wlc_raster(small_grid, rng):
    """DESIGN promise: Σ w·(eligible-part mean) == eligible-part mean of the WLC score raster."""
    import geopandas as gpd
    import shapely

    from steppe_geo.parcels import zonal_stats

    a, b = rng.random(small_grid.shape), rng.random(small_grid.shape)
    elig = rng.random(small_grid.shape) > 0.3
    x0, y0, _, _ = small_grid.bounds
    circles = [shapely.Point(x0 + 300 + 200 * i, y0 + 500).buffer(170) for i in range(5)]
    parcels = gpd.GeoDataFrame(geometry=circles, crs=small_grid.crs)
    eligible = small_grid.to_dataarray(elig)
    z = zonal_stats(parcels, {"a": small_grid.to_dataarray(a), "b": small_grid.to_dataarray(b),
                              "wlc": small_grid.to_dataarray(0.25 * a + 0.75 * b)}, eligible=eligible)
    ranked = rank_parcels(z, weights={"a": 1, "b": 3}).sort_index()
    np.testing.assert_allclose(ranked["score"], ranked["wlc_mean"], rtol=1e-12)
