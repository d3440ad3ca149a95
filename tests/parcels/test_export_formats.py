"""export_bundle(formats=...): only the files of the formats asked for, read back with the real readers."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import steppe_geo as sg
from steppe_geo.errors import InvalidParameterError
from steppe_geo.parcels import export_bundle


@pytest.fixture
def ranked():
    return gpd.GeoDataFrame(
        {"rank": [1, 2], "score": [0.8, 0.4], "eligible_area_ha": [10.0, 5.0]},
        geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)], crs="EPSG:32649")


def test_flatgeobuf_and_csv_only(tmp_path, ranked):
    paths = export_bundle(ranked, tmp_path, name="wind", formats=["flatgeobuf", "csv"])
    assert sorted(paths) == ["csv", "flatgeobuf"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wind.fgb", "wind_summary.csv"]
    # FlatGeobuf's spatial index stores the features in Hilbert order: compare by parcel_id
    back = sg.read_vector(paths["flatgeobuf"]).set_index("parcel_id").sort_index()
    assert list(back["score"]) == [0.8, 0.4] and back.crs.to_epsg() == 32649
    assert shapely.equals(back.geometry.iloc[1], ranked.geometry.iloc[1])
    assert list(pd.read_csv(paths["csv"])["rank"]) == [1, 2]


def test_default_formats_are_unchanged(tmp_path, ranked):
    assert sorted(export_bundle(ranked, tmp_path)) == ["csv", "gpkg", "parquet", "shapefile"]


@pytest.mark.parametrize(("formats", "match"), [
    (["gpkg", "fgb"], r"formats: unknown format 'fgb'\. Valid formats are: gpkg, shapefile, parquet, "
                      r"flatgeobuf, csv\."),
    (["shapfile"], r"formats: unknown format 'shapfile'; did you mean 'shapefile'\?"),
    ([], r"formats: no format given\. Valid formats are"),
])
def test_bad_formats_are_refused_before_writing(tmp_path, ranked, formats, match):
    with pytest.raises(InvalidParameterError, match=match):
        export_bundle(ranked, tmp_path / "out", formats=formats)
    assert not (tmp_path / "out").exists()
