"""Tests for steppe_geo.io.vector: reading, repair, AOI margin, roles, rasterize."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from affine import Affine
from rasterio.features import rasterize as rio_rasterize

import steppe_geo as sg
from steppe_geo.errors import (
    EmptyLayerError,
    GeometryTypeError,
    InputNotFoundError,
    InvalidGeometryWarning,
    InvalidParameterError,
    MissingCRSError,
    UnreadableInputError,
)
from steppe_geo.io import rasterize, read_vector

GRID = sg.Grid("EPSG:32649", Affine(30, 0, 400_000, 0, -30, 4_431_200), (40, 60))


def _parcels() -> gpd.GeoDataFrame:
    bowtie = shapely.Polygon([(400_100, 4_430_100), (400_300, 4_430_300), (400_300, 4_430_100),
                              (400_100, 4_430_300)])  # self-intersecting
    return gpd.GeoDataFrame(
        {"name": ["乌兰布和嘎查", "Өвөр Монгол", "c"], "pid": [1, 2, 3]},
        geometry=[shapely.box(400_000, 4_430_000, 400_600, 4_430_600), bowtie,
                  shapely.box(401_000, 4_430_500, 401_500, 4_431_000)],
        crs="EPSG:32649",
    )


def test_gpkg_read_repairs_invalid_and_counts_them(tmp_path):
    path = tmp_path / "parcels.gpkg"
    pyogrio.write_dataframe(_parcels(), path)
    with pytest.warns(InvalidGeometryWarning, match="1 invalid geometry was repaired"):
        gdf = read_vector(path, role="parcels")
    assert gdf.geometry.is_valid.all()
    assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}
    assert gdf["name"].tolist()[:2] == ["乌兰布和嘎查", "Өвөр Монгол"]


def test_zipped_shapefile_and_reprojection(tmp_path):
    gdf = _parcels().iloc[[0, 2]]
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    pyogrio.write_dataframe(gdf, shp_dir / "p.shp", encoding="UTF-8")
    zpath = tmp_path / "p.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, arcname=f.name)
    out = read_vector(zpath, crs="EPSG:4326")
    assert out.crs.to_epsg() == 4326
    assert out["name"].tolist() == ["乌兰布和嘎查", "c"]
    # independent reference: geopandas' own reprojection of the original
    ref = gdf.to_crs(4326)
    np.testing.assert_allclose(out.total_bounds, ref.total_bounds, atol=1e-9)


@pytest.mark.parametrize("suffix", [".geojson", ".fgb", ".parquet"])
def test_other_formats_read(tmp_path, suffix):
    gdf = _parcels().iloc[[0, 2]]
    path = tmp_path / f"p{suffix}"
    if suffix == ".parquet":
        gdf.to_parquet(path)
    else:
        pyogrio.write_dataframe(gdf, path)
    out = read_vector(path)
    assert len(out) == 2 and out.crs.to_epsg() == 32649


def test_aoi_margin_keeps_features_just_outside(tmp_path):
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_430_000, 401_000, 4_431_000)], crs="EPSG:32649")
    pts = gpd.GeoDataFrame({"k": [1, 2, 3]}, geometry=shapely.points(
        [(400_500, 4_430_500), (401_400, 4_430_500), (405_000, 4_430_500)]), crs="EPSG:32649")
    path = tmp_path / "homesteads.gpkg"
    pyogrio.write_dataframe(pts, path)
    assert read_vector(path, aoi=aoi)["k"].tolist() == [1]
    # 400 m outside is kept with a 500 m margin; 4 km outside is not
    assert read_vector(path, aoi=aoi, margin_m=500)["k"].tolist() == [1, 2]
    # AOI given in degrees: margin still in metres
    aoi_deg = aoi.to_crs(4326)
    assert read_vector(path, aoi=aoi_deg, margin_m=500)["k"].tolist() == [1, 2]
    assert read_vector(path, aoi=GRID, margin_m=500)["k"].tolist() == [1, 2]


def test_missing_vector_file(tmp_path):
    with pytest.raises(InputNotFoundError, match=r"vector file not found: .*roads\.gpkg"):
        read_vector(tmp_path / "roads.gpkg")


def test_vector_without_crs(tmp_path):
    gdf = gpd.GeoDataFrame(geometry=[shapely.Point(1, 2)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio warns that no crs is written
        pyogrio.write_dataframe(gdf, tmp_path / "nocrs.gpkg")
    with pytest.raises(MissingCRSError, match=r"nocrs\.gpkg.* has no CRS"):
        read_vector(tmp_path / "nocrs.gpkg")


def test_empty_layer(tmp_path):
    path = tmp_path / "empty.gpkg"
    pyogrio.write_dataframe(_parcels().iloc[:0], path)
    with pytest.raises(EmptyLayerError, match=r"empty\.gpkg.* has no features"):
        read_vector(path)


def test_points_given_as_parcels(tmp_path):
    path = tmp_path / "pts.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame(geometry=[shapely.Point(400_100, 4_430_100)],
                                             crs="EPSG:32649"), path)
    with pytest.raises(GeometryTypeError, match=r"pts\.gpkg.* given as parcels holds Point"):
        read_vector(path, role="parcels")


def test_unknown_role():
    with pytest.raises(InvalidParameterError, match=r"role.*'parcel'.*did you mean 'parcels'"):
        read_vector(_parcels(), role="parcel")


def test_rasterize_presence_and_ids_match_rasterio(tmp_path):
    gdf = _parcels().iloc[[0, 2]]
    pres = rasterize(gdf, grid=GRID)
    assert pres.dtype == np.uint8
    ids = rasterize(gdf, grid=GRID, values="pid", all_touched=True, fill=0)
    ref = rio_rasterize(list(zip(gdf.geometry, gdf["pid"], strict=True)), out_shape=GRID.shape,
                        transform=GRID.transform, all_touched=True, fill=0, dtype="int32")
    np.testing.assert_array_equal(ids.values, ref)
    # box 600 m x 600 m = 20 x 20 pixels of 30 m, plus 500 x 500 box: cells with centres inside
    assert int(pres.values.sum()) == 20 * 20 + int(np.sum(rio_rasterize(
        [gdf.geometry.iloc[1]], out_shape=GRID.shape, transform=GRID.transform)))
    # reprojected input gives the same presence
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pres_deg = rasterize(gdf.to_crs(4326), grid=GRID)
    assert abs(int(pres_deg.values.sum()) - int(pres.values.sum())) <= 4


def test_rasterize_unknown_column():
    with pytest.raises(InvalidParameterError, match=r"values: no column 'kv'"):
        rasterize(_parcels(), grid=GRID, values="kv")


def test_corrupt_vector_file(tmp_path):
    bad = tmp_path / "roads.gpkg"
    bad.write_bytes(b"not a geopackage" * 100)
    with pytest.raises(sg.errors.UnreadableInputError, match=r"cannot read vector file .*roads\.gpkg"):
        read_vector(bad)
    badpq = tmp_path / "roads.parquet"
    badpq.write_bytes(b"PAR1 garbage")
    with pytest.raises(sg.errors.UnreadableInputError, match=r"cannot read GeoParquet file .*roads\.parquet"):
        read_vector(badpq)


def test_missing_layer(tmp_path):
    path = tmp_path / "p.gpkg"
    pyogrio.write_dataframe(_parcels().iloc[[0]], path, layer="parcels")
    with pytest.raises(InputNotFoundError, match=r"layer 'roads' not found in .*p\.gpkg"):
        read_vector(path, layer="roads")


# ---------------------------------------------------------------------------- rasterize by hand
# GRID: 30 m pixels, west edge x = 400 000, north edge y = 4 431 200, 40 rows x 60 cols.
# Pixel (row r, col c) has its centre at x = 400 015 + 30 c, y = 4 431 185 - 30 r.
ALIGNED = shapely.box(400_000, 4_430_000, 400_600, 4_430_600)  # 20 x 20 whole pixels
# x 400 610..400 700 holds the centres 615, 645, 675 (3 cols) and touches cols 20..23 (4);
# y 4 431 120..4 431 200 holds the centres 185, 155, 125 (3 rows) and touches rows 0..2 (3)
OFFGRID = shapely.box(400_610, 4_431_120, 400_700, 4_431_200)
# right triangle, legs 310 m from the corner (401 000, 4 430 000): the pixel i columns east and
# j rows north of the corner has its centre 15 + 30 i, 15 + 30 j metres from it, inside when
# 30 (i + j) + 30 < 310, i.e. i + j <= 9: sum over i = 0..9 of (10 - i) = 55 pixels (no centre
# lies on the hypotenuse)
TRIANGLE = shapely.Polygon([(401_000, 4_430_000), (401_310, 4_430_000), (401_000, 4_430_310)])


def test_rasterize_pixel_counts_by_hand():
    gdf = gpd.GeoDataFrame({"pid": [5, 6, 7]}, geometry=[ALIGNED, OFFGRID, TRIANGLE], crs="EPSG:32649")
    ids = rasterize(gdf, grid=GRID, values="pid").values
    assert ids.dtype == np.int32
    assert [(ids == v).sum() for v in (5, 6, 7)] == [400, 3 * 3, 55]
    assert (ids == 0).sum() == GRID.rows * GRID.cols - 400 - 9 - 55
    # the aligned box sits in rows 20..39 (y 4 430 600 is 20 pixels below the top), cols 0..19
    assert (ids[20:40, 0:20] == 5).all()
    touched = rasterize(gdf, grid=GRID, values="pid", all_touched=True).values
    assert (touched == 6).sum() == 4 * 3
    assert (touched[0:3, 20:24] == 6).all()
    presence = rasterize(gdf, grid=GRID)
    assert presence.dtype == np.uint8 and int(presence.sum()) == 400 + 9 + 55


def test_rasterize_text_column_is_factorized_with_a_code_table():
    gdf = gpd.GeoDataFrame({"parcel_id": ["P00002", "P00001", None]},
                           geometry=[ALIGNED, TRIANGLE, OFFGRID], crs="EPSG:32649")
    da = rasterize(gdf, grid=GRID, values="parcel_id")
    # codes in order of first appearance; the feature without an id is not burned
    assert da.attrs["categories"] == {1: "P00002", 2: "P00001"}
    assert da.dtype == np.int32 and da.rio.nodata == 0 and da.attrs["kind"] == "categorical"
    assert [(da.values == v).sum() for v in (0, 1, 2)] == [GRID.rows * GRID.cols - 455, 400, 55]
    with pytest.raises(InvalidParameterError, match=r"fill: 2 collides with the codes 1\.\.2"):
        rasterize(gdf, grid=GRID, values="parcel_id", fill=2)
    with pytest.raises(InvalidParameterError, match=r"dtype: 2 distinct values .* got float32"):
        rasterize(gdf, grid=GRID, values="parcel_id", dtype="float32")


def test_rasterize_later_feature_wins_and_boolean_and_dates():
    import pandas as pd

    a = shapely.box(400_000, 4_430_600, 400_300, 4_431_200)  # 10 x 20 pixels
    b = shapely.box(400_150, 4_430_600, 400_300, 4_431_200)  # its east half: 5 x 20
    gdf = gpd.GeoDataFrame({"v": [1.5, 2.5], "ok": [True, False],
                            "when": pd.to_datetime(["2020-01-01", "2021-01-01"])},
                           geometry=[a, b], crs="EPSG:32649")
    v = rasterize(gdf, grid=GRID, values="v").values
    assert v.dtype == np.float32 and (v == 1.5).sum() == 100 and (v == 2.5).sum() == 100
    ok = rasterize(gdf, grid=GRID, values="ok").values
    assert ok.dtype == np.uint8 and ok.sum() == 100  # b (False) covered half of a
    with pytest.raises(InvalidParameterError, match=r"values: column 'when' has dtype datetime64"):
        rasterize(gdf, grid=GRID, values="when")


def test_vector_layers_and_columns_read_the_schema_only(tmp_path):
    import pyogrio

    from steppe_geo.io import vector_columns, vector_layers, write_vector

    gdf = gpd.GeoDataFrame({"name": ["a"], "kv": [110]}, geometry=[shapely.Point(400_000, 4_430_000)],
                           crs="EPSG:32649")
    path = tmp_path / "two.gpkg"
    write_vector(gdf, path, layer="lines_a")
    write_vector(gdf[["name", "geometry"]], path, layer="lines_b", append_layer=True)
    assert vector_layers(path) == [name for name, _ in pyogrio.list_layers(path)] == ["lines_a", "lines_b"]
    assert vector_columns(path, layer="lines_a") == ["name", "kv"]
    assert vector_columns(path, layer="lines_b") == ["name"]
    with pytest.raises(InvalidParameterError,
                       match=r"holds 2 layers \('lines_a', 'lines_b'\); pass layer="):
        vector_columns(path)
    with pytest.raises(InputNotFoundError,
                       match=r"layer 'lines_c' not found in .*layers are 'lines_a', 'lines_b'"):
        vector_columns(path, layer="lines_c")
    with pytest.raises(InputNotFoundError, match="vector file not found"):
        vector_layers(tmp_path / "none.gpkg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two.gpkg"]  # no sidecar left behind


# ---------------------------------------------------------------------------- text encodings
GBK_NAMES = ["鄂尔多斯", "杭锦旗", "库布其沙漠"]


def _gbk_shapefile(folder: Path) -> Path:
    """A legacy Chinese shapefile: DBF text in GBK, no .cpg, no language-driver byte."""
    gdf = gpd.GeoDataFrame({"name": GBK_NAMES, "code": [1, 2, 3]},
                           geometry=[shapely.box(400_000 + i * 300, 4_430_000, 400_200 + i * 300, 4_430_200)
                                     for i in range(3)], crs="EPSG:32649")
    path = folder / "xiang.shp"
    pyogrio.write_dataframe(gdf, path, encoding="GBK")
    path.with_suffix(".cpg").unlink()
    raw = path.with_suffix(".dbf").read_bytes()
    assert raw[29] == 0 and "鄂尔多斯".encode("gbk") in raw  # really GBK bytes, nothing declaring them
    return path


def test_gbk_shapefile_without_cpg_is_refused_naming_file_and_encoding(tmp_path):
    path = _gbk_shapefile(tmp_path)
    # what GDAL does without a declaration: ISO-8859-1, garbled names (the silent failure we refuse)
    assert pyogrio.read_dataframe(path)["name"].tolist() != GBK_NAMES
    with pytest.raises(UnreadableInputError, match=r"xiang\.shp.*xiang\.dbf.*not UTF-8.*no \.cpg.*"
                                                   r"'gbk' give '鄂尔多斯'.*encoding='gbk'"):
        read_vector(path)
    with pytest.raises(UnreadableInputError, match=r"encoding='gbk'"):
        sg.io.vector_columns(path)


def test_gbk_names_survive_to_geopackage_and_shapefile_exports(tmp_path):
    gdf = read_vector(_gbk_shapefile(tmp_path), encoding="gbk")
    assert gdf["name"].tolist() == GBK_NAMES
    gpkg = sg.io.write_vector(gdf, tmp_path / "out.gpkg")
    assert pyogrio.read_dataframe(gpkg)["name"].tolist() == GBK_NAMES
    shz = sg.io.write_shapefile_zip(gdf, tmp_path / "out.shp.zip")
    assert read_vector(shz)["name"].tolist() == GBK_NAMES  # UTF-8 with a .cpg, read back by GDAL


def test_utf8_dbf_without_cpg_is_read_as_utf8(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["Өвөр Монгол", "Ölgii"]},
                           geometry=[shapely.Point(400_000, 4_430_000), shapely.Point(400_100, 4_430_000)],
                           crs="EPSG:32649")
    path = tmp_path / "u.shp"
    pyogrio.write_dataframe(gdf, path)
    path.with_suffix(".cpg").unlink()
    assert pyogrio.read_dataframe(path)["name"].tolist() != gdf["name"].tolist()  # GDAL alone garbles
    assert read_vector(path)["name"].tolist() == ["Өвөр Монгол", "Ölgii"]


def test_cp1251_dbf_suggests_cp1251_and_unknown_encoding_is_refused(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["Улаанбаатар"]}, geometry=[shapely.Point(400_000, 4_430_000)],
                           crs="EPSG:32649")
    path = tmp_path / "mn.shp"
    pyogrio.write_dataframe(gdf, path, encoding="cp1251")
    path.with_suffix(".cpg").unlink()
    with pytest.raises(UnreadableInputError, match=r"'cp1251' give 'Улаанбаатар'"):
        read_vector(path)
    assert read_vector(path, encoding="cp1251")["name"].tolist() == ["Улаанбаатар"]
    with pytest.raises(InvalidParameterError, match=r"encoding: 'gbkk' is not a known text encoding"):
        read_vector(path, encoding="gbkk")


def test_vector_without_crs_gets_a_projected_crs_hint(tmp_path):
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(400_000, 4_430_000)])
    path = tmp_path / "nocrs.gpkg"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'crs' was not provided", category=UserWarning)
        pyogrio.write_dataframe(gdf, path)
    with pytest.raises(MissingCRSError, match=r"not degrees but projected .* not EPSG:4326"):
        read_vector(path)


def test_zipped_gbk_shapefile_without_cpg_is_refused_too(tmp_path):
    shp = _gbk_shapefile(tmp_path)
    zipped = tmp_path / "xiang.shp.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            z.write(shp.with_suffix(ext), shp.with_suffix(ext).name)
    with pytest.raises(UnreadableInputError, match=r"xiang\.shp\.zip.*encoding='gbk'"):
        read_vector(zipped)
    assert read_vector(zipped, encoding="gbk")["name"].tolist() == GBK_NAMES
