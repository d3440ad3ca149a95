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
    assert read_provenance(paths["geoparquet"])["parameters"]["model"] == "wind"
    with zipfile.ZipFile(paths["shapefile_zip"]) as zf:
        names = zf.namelist()
        assert any(n.endswith(".cpg") for n in names) and any(n.endswith("fields.csv") for n in names)
    shp = gpd.read_file(paths["shapefile_zip"])
    assert all(len(c) <= 10 for c in shp.columns)
    assert len(shp) == int(sel.selected.sum())
    csv = pd.read_csv(paths["csv"])
    assert list(csv.columns[:3]) == ["parcel_id", "rank", "score"]
    np.testing.assert_allclose(csv["capacity_mw"], ranked["capacity_mw"])
    assert "Сайншанд" in set(gpd.read_parquet(paths["geoparquet"])["name"])
    # Selection within 1.2 ha: parcels 11 + 14 (0.81 + 0.3 ha, scores 0.767 + 0.633) beat any other pair.
    assert sorted(shp["parcel_id"]) == [11, 14] and "Сайншанд" in set(shp["name"])


def test_bundle_refuses_overwrite_and_empty(ranked, tmp_path):
    export_bundle(ranked, tmp_path)
    with pytest.raises(OutputExistsError):
        export_bundle(ranked, tmp_path)
    export_bundle(ranked, tmp_path, overwrite=True)
    with pytest.raises(EmptyLayerError, match="non-empty"):
        export_bundle(ranked.iloc[:0], tmp_path, name="x")
