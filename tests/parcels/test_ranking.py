"""Ranking, contributions, capacity and top-k against hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from steppe_geo.errors import InvalidParameterError, MissingLayerError
from steppe_geo.parcels import RANKED, eligibility_status, rank_parcels, top_k


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
    assert (out["capacity_basis"] == "AC").all()  # in the data, so CSV/SHP/GPKG keep it
    solar = rank_parcels(table, weights={"wind": 1}, technology="solar", capacity_factor=0.2)
    assert solar.loc["b", "capacity_mw"] == pytest.approx(0.5 * 36)  # 50 ha = 0.5 km², DC
    assert (solar["capacity_basis"] == "DC").all()
    # 0.5 km² x 36 MW/km² = 18 MW (DC) x 0.2 x 8760 h / 1000 = 31.536 GWh/yr.
    assert solar.loc["b", "energy_gwh"] == pytest.approx(31.536)
    bad = table.assign(cf=[0.35, 1700.0, 0.25, -0.1, 0.2])  # a yield in kWh/kWp/yr, not a CF
    with pytest.raises(InvalidParameterError,
                       match=r"within \[0, 1\]; 2 parcels are not, e\.g\. \{'b': 1700\.0, 'd': -0\.1\}"):
        rank_parcels(bad, weights={"wind": 1}, technology="solar", capacity_factor_column="cf")
    with pytest.raises(InvalidParameterError, match=r"capacity_factor must be within \[0, 1\], got 1\.5"):
        rank_parcels(table, weights={"wind": 1}, technology="solar", capacity_factor=1.5)
    with pytest.raises(MissingLayerError, match=r"capacity_factor_column: no column 'cff'"):
        rank_parcels(table, weights={"wind": 1}, technology="solar", capacity_factor_column="cff")


def test_energy_from_zonal_stats_of_a_yield_raster(small_grid):
    """Solar: zonal mean of CF = yield / 8760 over the eligible part; energy = Σ over eligible pixels."""
    import geopandas as gpd
    import shapely

    from steppe_geo.criteria import solar_capacity_factor
    from steppe_geo.parcels import zonal_stats

    x0, y0, _, _ = small_grid.bounds
    # One parcel of 2 x 2 pixels (30 m); specific yields 1500, 1600 (eligible), 1700, 1800 (not).
    y = np.full(small_grid.shape, 1000.0)
    y[-2:, 0:2] = [[1700.0, 1800.0], [1500.0, 1600.0]]
    elig = np.zeros(small_grid.shape, dtype=bool)
    elig[-1, :] = True
    parcel = gpd.GeoDataFrame({"criterion": [0.5]}, geometry=[shapely.box(x0, y0, x0 + 60, y0 + 60)],
                              crs=small_grid.crs)
    cf = solar_capacity_factor(small_grid.to_dataarray(y))
    z = zonal_stats(parcel, {"cf": cf, "c": small_grid.to_dataarray(np.full(small_grid.shape, 0.5))},
                    eligible=small_grid.to_dataarray(elig))
    out = rank_parcels(z, weights={"c": 1}, technology="solar", capacity_factor_column="cf_mean")
    # Eligible area 2 x 900 m² = 0.0018 km² x 36 MW/km² = 0.0648 MW (DC). Energy by hand, per
    # pixel: 0.0324 MW x 1500 h + 0.0324 MW x 1600 h = 100.44 MWh = 0.10044 GWh/yr.
    assert out["capacity_mw"].iloc[0] == pytest.approx(0.0648)
    assert out["capacity_basis"].iloc[0] == "DC"
    assert out["energy_gwh"].iloc[0] == pytest.approx(0.10044)


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
    with pytest.raises(MissingLayerError, match=r"criterion 'wnd': no column 'wnd' in the zonal table"):
        rank_parcels(table, weights={"wnd": 1})
    with pytest.raises(InvalidParameterError, match=r"finite and >= 0, got \{'wind': -1\.0\}"):
        rank_parcels(table, weights={"wind": -1})
    with pytest.raises(InvalidParameterError, match=r"at least one weight must be > 0, got \{'wind': 0\.0\}"):
        rank_parcels(table, weights={"wind": 0})
    with pytest.raises(InvalidParameterError, match=r"tie_method must be 'min' or 'first', got 'dense'"):
        rank_parcels(table, weights={"wind": 1}, tie_method="dense")
    with pytest.raises(InvalidParameterError, match=r"technology: unknown value 'wnd'; did you mean 'wind'"):
        rank_parcels(table, weights={"wind": 1}, technology="wnd")
    with pytest.raises(MissingLayerError, match=r"eligible_area_column: no column 'eligible_area_ha'"):
        rank_parcels(table.drop(columns="eligible_area_ha"), weights={"wind": 1})


def test_parcel_score_equals_zonal_mean_of_the_wlc_raster(small_grid, rng):
    """DESIGN promise: Σ w·(eligible-part mean) == eligible-part mean of the WLC score raster."""
    import geopandas as gpd
    import shapely

    from steppe_geo.parcels import zonal_stats

    a, b = rng.random(small_grid.shape), rng.random(small_grid.shape)
    a[rng.random(small_grid.shape) < 0.2] = np.nan  # criteria with nodata on part of the parcels
    b[:, :15] = np.nan
    elig = rng.random(small_grid.shape) > 0.3
    x0, y0, _, _ = small_grid.bounds
    circles = [shapely.Point(x0 + 300 + 200 * i, y0 + 500).buffer(170) for i in range(5)]
    parcels = gpd.GeoDataFrame(geometry=circles, crs=small_grid.crs)
    eligible = small_grid.to_dataarray(elig)
    z = zonal_stats(parcels, {"a": small_grid.to_dataarray(a), "b": small_grid.to_dataarray(b),
                              "wlc": small_grid.to_dataarray(0.25 * a + 0.75 * b)}, eligible=eligible,
                    require_all_valid=True)
    ranked = rank_parcels(z, weights={"a": 1, "b": 3}).sort_index()
    assert ranked["wlc_mean"].notna().sum() >= 4
    np.testing.assert_allclose(ranked["score"], ranked["wlc_mean"], rtol=1e-12)


def test_misspelt_weight_name_suggests_the_criterion():
    z = pd.DataFrame({"wind_speed_mean": [0.5, 0.7], "slope_mean": [1.0, 0.2],
                      "eligible_area_ha": [10.0, 10.0]})
    with pytest.raises(MissingLayerError, match=r"criterion 'wind_sped': no column 'wind_sped' in the zonal "
                                                r"table; did you mean 'wind_speed'\? Columns are"):
        rank_parcels(z, weights={"wind_sped": 1, "slope": 1})


def test_parcels_with_too_little_eligible_land_are_listed_but_not_ranked(table):
    # eligible shares by hand: a 100 ha of 125 ha (0.8), b 50 of 1000 (0.05), c 10 of 12.5 (0.8),
    # d 10 of 200 (0.05), e none
    t = table.assign(eligible_fraction=[0.8, 0.05, 0.8, 0.05, 0.0])
    out = rank_parcels(t, weights={"wind": 3, "slope": 1}, min_eligible_area_ha=20, min_eligible_share=0.1)
    assert out.loc["a", "status"] == RANKED and out.loc["a", "rank"] == 1
    assert out.loc["b", "status"] == "too little eligible land (5 % of the parcel < 10 %)"
    assert out.loc["c", "status"] == "too little eligible land (10 ha < 20 ha)"
    assert out.loc["d", "status"] == "too little eligible land (10 ha < 20 ha)"  # the area is named first
    assert out.loc["e", "status"] == "no eligible land"
    assert out["rank"].isna().tolist() == [False, True, True, True, True]
    assert np.isnan(out.loc[["b", "c", "d", "e"], "score"]).all()
    assert out.index[0] == "a" and out.loc["a", "percentile"] == pytest.approx(100.0)
    # without the share limit, b (0.4) is ranked below a; c and d stay out on area
    out = rank_parcels(t, weights={"wind": 3, "slope": 1}, min_eligible_area_ha=20)
    assert out.loc[["a", "b"], "rank"].tolist() == [1, 2]
    assert out["status"].tolist().count(RANKED) == 2


def test_eligibility_status_errors(table):
    with pytest.raises(InvalidParameterError, match=r"min_eligible_share must be a number within \[0, 1\]"):
        eligibility_status(table, min_eligible_share=1.5)
    with pytest.raises(InvalidParameterError, match="min_eligible_area_ha must be a finite number >= 0, got"):
        eligibility_status(table, min_eligible_area_ha=-1)
    with pytest.raises(MissingLayerError, match="needs the column 'eligible_fraction'"):
        eligibility_status(table, min_eligible_share=0.1)
    with pytest.raises(MissingLayerError, match="no column 'elig'"):
        eligibility_status(table, eligible_area_column="elig")
