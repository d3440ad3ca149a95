"""Export bundle written through steppe_geo.io, read back with pyogrio/geopandas."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from steppe_geo.errors import EmptyLayerError, OutputExistsError
from steppe_geo.io import read_provenance
from steppe_geo.parcels import export_bundle, rank_parcels, select_parcels


@pytest.fixture
def ranked() -> gpd.GeoDataFrame:
    geoms = [shapely.box(i * 100, 0, i * 100 + 90, 90) for i in range(4)]
    df = gpd.GeoDataFrame({"wind_mean": [0.9, 0.2, 0.5, 0.7], "slope_mean": [0.5, 0.5, 0.5, 0.5],
                           "eligible_area_ha": [0.81, 0.5, 0.81, 0.3],
                           "name": ["Сайншанд", "赛汗", "b", "c"]},
                          geometry=geoms, crs="EPSG:32649", index=pd.Index([11, 12, 13, 14], name="pid"))
    return rank_parcels(df, weights={"wind": 2, "slope": 1}, technology="wind", capacity_factor=0.3)


def test_bundle(ranked, tmp_path):
    sel = select_parcels(ranked, benefit="score", cost="eligible_area_ha", budget=1.2)
    regions = ranked.iloc[:2][["geometry"]].assign(region_id=[1, 2])
    paths = export_bundle(ranked, tmp_path, regions=regions, selection=sel, model="wind",
                          weights={"wind": 2, "slope": 1}, constraints={"budget_ha": 1.2})
    layers = {name for name, _ in pyogrio.list_layers(paths["gpkg"])}
    assert layers == {"ranked_parcels", "regions", "selection"}
    back = gpd.read_file(paths["gpkg"], layer="ranked_parcels")
    assert list(back["parcel_id"]) == [11, 14, 13, 12]  # scores 0.7667, 0.6333, 0.5, 0.3
    selected = gpd.read_file(paths["gpkg"], layer="selection")
    assert sorted(selected["parcel_id"]) == sorted(ranked.index[sel.selected.to_numpy()])
    prov = read_provenance(paths["gpkg"])
    assert prov["parameters"]["weights"] == {"wind": 2, "slope": 1}
    assert prov["parameters"]["selection"]["gap"] == pytest.approx(0.0, abs=1e-9)
    assert read_provenance(paths["parquet"])["parameters"]["model"] == "wind"
    assert prov["parameters"]["capacity_basis"] == "AC"
    with zipfile.ZipFile(paths["shapefile"]) as zf:
        names = zf.namelist()
        cpg = [n for n in names if n.endswith(".cpg")]
        assert len(cpg) == 1 and zf.read(cpg[0]).decode("ascii").strip() == "UTF-8"
        fields = pd.read_csv(zf.open("fields.csv"))
    shp = gpd.read_file(paths["shapefile"])
    assert all(len(c) <= 10 for c in shp.columns)
    assert len(shp) == int(sel.selected.sum())
    # fields.csv maps every short field of the shapefile to its full column name, one to one.
    short_to_full = dict(zip(fields["field"], fields["column"], strict=True))
    assert set(short_to_full) == set(shp.columns) - {"geometry"}
    assert set(short_to_full.values()) == set(ranked.columns) - {"geometry"} | {"parcel_id", "selected"}
    expected = ranked.assign(selected=1).loc[shp["parcel_id"]].reset_index(names="parcel_id")
    for short, full in short_to_full.items():
        if full != "name" and pd.api.types.is_numeric_dtype(shp[short]):
            np.testing.assert_allclose(shp[short].to_numpy(dtype=float), expected[full].to_numpy(dtype=float),
                                       err_msg=full)
    # Readable names for the ranking columns; the basis travels with the data.
    assert {short_to_full[k] for k in ("cap_mw", "cap_basis", "elig_ha", "c_wind", "s_slope")} == {
        "capacity_mw", "capacity_basis", "eligible_area_ha", "contrib_wind", "share_slope"}
    assert set(shp["cap_basis"]) == {"AC"}
    csv = pd.read_csv(paths["csv"])
    assert list(csv.columns[:3]) == ["parcel_id", "rank", "score"]
    np.testing.assert_allclose(csv["capacity_mw"], ranked["capacity_mw"])
    assert set(csv["capacity_basis"]) == {"AC"}
    assert set(gpd.read_file(paths["gpkg"], layer="ranked_parcels")["capacity_basis"]) == {"AC"}
    assert "Сайншанд" in set(gpd.read_parquet(paths["parquet"])["name"])
    # Selection within 1.2 ha: parcels 11 + 14 (0.81 + 0.3 ha, scores 0.767 + 0.633) beat any other pair.
    assert sorted(shp["parcel_id"]) == [11, 14] and "Сайншанд" in set(shp["name"])


def test_bundle_refuses_overwrite_and_empty(ranked, tmp_path):
    export_bundle(ranked, tmp_path)
    with pytest.raises(OutputExistsError):
        export_bundle(ranked, tmp_path)
    export_bundle(ranked, tmp_path, overwrite=True)
    with pytest.raises(EmptyLayerError, match="non-empty"):
        export_bundle(ranked.iloc[:0], tmp_path, name="x")


def test_bundle_with_ranked_regions(tmp_path, small_grid, rng):
    """Regions ranked like parcels go into the GeoPackage (valid) and are the priority shapefile."""
    from steppe_geo.parcels import candidate_regions

    a = rng.random(small_grid.shape)
    crit = {"wind": small_grid.to_dataarray(a)}
    regions = candidate_regions(small_grid.to_dataarray(a), threshold=0.7, attributes=crit, min_area_ha=0.2)
    ranked_regions = rank_parcels(regions, weights={"wind": 1}, technology="wind", capacity_factor=0.3)
    geoms = [shapely.box(400_000 + i * 100, 4_430_000, 400_090 + i * 100, 4_430_090) for i in range(3)]
    parcels = gpd.GeoDataFrame({"wind_mean": [0.9, 0.2, 0.5], "eligible_area_ha": [0.81, 0.5, 0.81]},
                               geometry=geoms, crs=small_grid.crs)
    ranked = rank_parcels(parcels, weights={"wind": 1}, technology="wind")
    paths = export_bundle(ranked, tmp_path, regions=ranked_regions)
    back = gpd.read_file(paths["gpkg"], layer="regions")
    assert len(back) == len(regions) and back.geometry.is_valid.all()
    assert list(back["rank"]) == list(range(1, len(regions) + 1))
    assert set(back["capacity_basis"]) == {"AC"}
    shp = gpd.read_file(paths["shapefile"])
    assert len(shp) == len(regions) and {"region_id", "cap_mw", "cap_basis", "elig_ha"} <= set(shp.columns)


def test_selection_over_the_scored_subset_exports_the_others_as_not_selected(ranked, tmp_path):
    from steppe_geo.errors import InvalidParameterError

    scored = ranked.iloc[:3]  # parcel 12 left out of the selection (e.g. unscored)
    sel = select_parcels(scored, benefit="score", cost="eligible_area_ha", budget=1.2)
    paths = export_bundle(ranked, tmp_path, selection=sel, model="wind")
    back = gpd.read_file(paths["gpkg"], layer="ranked_parcels").set_index("parcel_id")
    assert not back.loc[12, "selected"]
    assert sorted(back.index[back["selected"]]) == sorted(scored.index[sel.selected.to_numpy()])
    other = select_parcels(ranked.set_axis([21, 22, 23, 24]), benefit="score", cost="eligible_area_ha",
                           budget=1.2)
    with pytest.raises(InvalidParameterError, match=r"selection: 4 of its parcels are not among the ranked "
                                                    r"parcels \(e\.g\. \[21, 22, 23, 24\]\)"):
        export_bundle(ranked, tmp_path / "x", selection=other)


def test_gains_and_status_travel_to_the_shapefile_and_csv(ranked, tmp_path):
    table = ranked.assign(gain_wind=[0.1, 0.2, 0.3, 0.4])
    table.loc[12, "status"] = "too little eligible land (0.5 ha < 0.6 ha)"
    paths = export_bundle(table, tmp_path, model="wind")
    with zipfile.ZipFile(paths["shapefile"]) as zf:
        fields = pd.read_csv(zf.open("fields.csv"))
    short_to_full = dict(zip(fields["field"], fields["column"], strict=True))
    assert short_to_full["g_wind"] == "gain_wind" and short_to_full["status"] == "status"
    shp = gpd.read_file(paths["shapefile"]).set_index("parcel_id")
    np.testing.assert_allclose(shp.loc[table.index, "g_wind"], table["gain_wind"])
    csv = pd.read_csv(paths["csv"]).set_index("parcel_id")
    assert csv.loc[12, "status"] == "too little eligible land (0.5 ha < 0.6 ha)"
    assert csv.loc[11, "status"] == "ranked"
