"""Vector writers of steppe_geo.io.write: GeoPackage, zipped shapefile, FlatGeobuf, GeoJSON.

References are independent of our code: GDAL's command line (``ogrinfo``, GDAL 3.6 on this
machine, older than the GDAL inside pyogrio), pyogrio, sqlite3 and the zip/dBASE bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import subprocess
import time
import warnings
import zipfile

import geopandas as gpd
import pyogrio
import pytest
import shapely

import steppe_geo as sg
from steppe_geo.errors import InvalidParameterError, MissingCRSError, TruncationWarning
from steppe_geo.io import file_checksum, read_provenance, write_shapefile_zip, write_vector


def _frame(n: int = 3, **columns) -> gpd.GeoDataFrame:
    cols = {"pid": list(range(1, n + 1)), **columns}
    return gpd.GeoDataFrame(
        cols, geometry=[shapely.box(400_000 + 100 * i, 4_430_000, 400_090 + 100 * i, 4_430_090)
                        for i in range(n)], crs="EPSG:32649")


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ogrinfo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ogrinfo", *args], capture_output=True, text=True, check=True)


def _sample_parcels() -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sg.errors.InvalidGeometryWarning)  # 4 bowties, on purpose
        return sg.read_vector(sg.datasets.sample_paths()["parcels"])


# ---------------------------------------------------------------------------- shapefile: nulls
def test_missing_text_reads_back_as_null_not_the_string_na(tmp_path):
    parcels = _sample_parcels()
    # independent count of the source: pyogrio on the sample GeoPackage
    source = pyogrio.read_dataframe(sg.datasets.sample_paths()["parcels"])
    n_missing = int(source["grazing_rights_holder"].isna().sum())
    assert n_missing == 47
    path = write_vector(parcels, tmp_path / "parcels.shp.zip")
    back = pyogrio.read_dataframe(f"/vsizip/{path}")
    assert int(back["grazing_ri"].isna().sum()) == n_missing
    assert not back["grazing_ri"].isin(["<NA>", "nan", "None"]).any()
    # the text that is there is unchanged, row by row
    present = source["grazing_rights_holder"].notna()
    assert back["grazing_ri"][present].tolist() == source["grazing_rights_holder"][present].tolist()
    # GDAL's own reader (ogrinfo 3.6) sees unset fields, printed as (null)
    first_missing = int(source.index[~present][0])
    out = _ogrinfo("-q", "-fid", str(first_missing), f"/vsizip/{path}", "parcels").stdout
    assert "grazing_ri (String) = (null)" in out


# ---------------------------------------------------------------------------- shapefile: bytes
def test_dbf_limit_is_254_utf8_bytes_cut_on_a_character_boundary(tmp_path):
    # "沙" is 3 bytes in UTF-8: 100 of them are 300 bytes, over the dBASE limit of 254.
    # 254 // 3 = 84 whole characters (252 bytes) fit; the 85th would end at byte 255.
    gdf = _frame(3, note=["沙" * 100, "沙" * 84, "a" * 254])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = write_shapefile_zip(gdf, tmp_path / "p.shp.zip")
    # exactly our warning: GDAL's own RuntimeWarning about truncation must not appear
    assert [type(w.message) for w in caught] == [TruncationWarning]
    msg = str(caught[0].message)
    assert "column 'note' (shapefile field 'note'): 1 value longer than 254 bytes" in msg
    assert "p.shp.zip" in msg
    assert caught[0].filename == __file__  # stacklevel points at the caller
    back = pyogrio.read_dataframe(f"/vsizip/{path}")
    assert back["note"].tolist() == ["沙" * 84, "沙" * 84, "a" * 254]
    assert [len(v.encode("utf-8")) for v in back["note"]] == [252, 252, 254]


def test_truncation_warning_through_write_vector_names_the_long_column(tmp_path):
    gdf = _frame(2, grazing_rights_holder=["乌" * 90, "x"])
    with pytest.warns(TruncationWarning,
                      match=r"column 'grazing_rights_holder' \(shapefile field 'grazing_ri'\): "
                            r"1 value longer than 254 bytes") as rec:
        write_vector(gdf, tmp_path / "p.zip")
    assert rec[0].filename == __file__


# ---------------------------------------------------------------------------- shapefile: reproducible
def test_shapefile_zip_is_byte_reproducible(tmp_path):
    gdf = _frame(3, name=["巴音乌素嘎查", None, "Өвөр"])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_shapefile_zip(gdf, tmp_path / "a" / "homesteads.shp.zip")
    time.sleep(1.1)  # the file times of the parts differ now, and would show in a naive zip
    second = write_shapefile_zip(gdf, tmp_path / "b" / "homesteads.shp.zip")
    assert _sha(first) == _sha(second)
    with zipfile.ZipFile(first) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        dbf = zf.read("homesteads.dbf")
    # dBASE header bytes 1-3: last update as YY (years since 1900), MM, DD
    assert tuple(dbf[1:4]) == (80, 1, 1)


# ---------------------------------------------------------------------------- no CRS
@pytest.mark.parametrize("name", ["out.gpkg", "out.shp.zip", "out.fgb", "out.geojson", "out.parquet"])
def test_frame_without_crs_is_refused_naming_the_output(tmp_path, name):
    gdf = _frame(2).set_crs(None, allow_override=True)
    with pytest.raises(MissingCRSError, match=rf"gdf has no CRS; refusing to write .*{re.escape(name)}"):
        write_vector(gdf, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_csv_needs_no_crs_nor_geometry(tmp_path):
    import pandas as pd

    write_vector(_frame(2).set_crs(None, allow_override=True), tmp_path / "a.csv")
    write_vector(pd.DataFrame({"k": [1, 2]}), tmp_path / "b.csv")
    assert (tmp_path / "b.csv").read_text(encoding="utf-8") == "k\n1\n2\n"
    with pytest.raises(InvalidParameterError, match=r"needs a GeoDataFrame, got DataFrame"):
        write_vector(pd.DataFrame({"k": [1]}), tmp_path / "c.gpkg")


# ---------------------------------------------------------------------------- layer names
@pytest.mark.parametrize("suffix", [".gpkg", ".fgb", ".geojson"])
def test_layer_name_is_the_file_stem_not_the_temporary_name(tmp_path, suffix):
    path = write_vector(_frame(2), tmp_path / f"roads{suffix}")
    assert pyogrio.list_layers(path)[0][0] == "roads"
    named = write_vector(_frame(2), tmp_path / f"other{suffix}", layer="power_lines")
    assert pyogrio.list_layers(named)[0][0] == "power_lines"
    assert "Layer name: power_lines" in _ogrinfo("-so", "-al", str(named)).stdout


# ---------------------------------------------------------------------------- sidecars
def _assert_only(folder, names):
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)


def test_reading_our_geopackage_leaves_no_sidecar(tmp_path):
    prov = sg.io.provenance_record(model="wind")
    path = write_vector(_frame(3), tmp_path / "ranked.gpkg", provenance=prov)
    _assert_only(tmp_path, ["ranked.gpkg"])
    before = file_checksum(path)
    assert len(sg.read_vector(path)) == 3
    assert read_provenance(path) == prov
    assert len(pyogrio.read_dataframe(path)) == 3  # plain pyogrio, PAM left on
    assert pyogrio.list_layers(path)[0][0] == "ranked"
    assert pyogrio.read_info(path)["features"] == 3
    _ogrinfo("-so", "-al", str(path))  # GDAL's command line, as QGIS would open it
    _assert_only(tmp_path, ["ranked.gpkg"])
    assert file_checksum(path) == before


def test_older_geopackage_with_dataset_metadata_still_reads_and_gets_no_sidecar(tmp_path):
    # how files were written before provenance moved to layer metadata
    path = tmp_path / "old.gpkg"
    prov = {"model": "solar"}
    pyogrio.write_dataframe(_frame(2), path, layer="old",
                            dataset_metadata={"STEPPE_GEO_PROVENANCE": json.dumps(prov)})
    before = file_checksum(path)
    assert read_provenance(path) == prov
    assert len(sg.read_vector(path)) == 2
    _assert_only(tmp_path, ["old.gpkg"])
    assert file_checksum(path) == before  # an input is never modified
    # the GDAL behaviour the fix avoids: a plain read with PAM enabled writes the sidecar
    pyogrio.read_dataframe(path)
    assert (tmp_path / "old.gpkg.aux.xml").exists()


# ---------------------------------------------------------------------------- multi-layer
def test_multilayer_geopackage_without_layer_lists_the_layers(tmp_path):
    path = write_vector(_frame(2), tmp_path / "parcels.gpkg", layer="ranked_parcels")
    write_vector(_frame(1), path, layer="selection", append_layer=True)
    with pytest.raises(InvalidParameterError,
                       match=r"layer: vector file .*parcels\.gpkg' holds 2 layers "
                             r"\('ranked_parcels', 'selection'\); pass layer="):
        sg.read_vector(path)
    assert len(sg.read_vector(path, layer="selection")) == 1


def test_read_provenance_of_a_multilayer_geopackage(tmp_path):
    path = write_vector(_frame(2), tmp_path / "out.gpkg", layer="a", provenance={"run": 1})
    write_vector(_frame(1), path, layer="b", append_layer=True, provenance={"run": 1})
    assert read_provenance(path) == {"run": 1}  # the same record on every layer
    write_vector(_frame(1), path, layer="c", append_layer=True, provenance={"run": 2})
    with pytest.raises(InvalidParameterError, match=r"carry different provenance \('a', 'b', 'c'\)"):
        read_provenance(path)
    assert read_provenance(path, layer="c") == {"run": 2}
    with pytest.raises(sg.errors.InputNotFoundError, match=r"layer 'z' not found in .*out\.gpkg"):
        read_provenance(path, layer="z")
    _assert_only(tmp_path, ["out.gpkg"])


# ---------------------------------------------------------------------------- GeoPackage version
def test_geopackage_version_1_2_opens_cleanly_in_gdal_3_6(tmp_path):
    path = write_vector(_frame(2), tmp_path / "v.gpkg")
    with sqlite3.connect(path) as con:
        # GeoPackage spec: application_id 'GPKG', user_version 10200 for version 1.2
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10200
    con.close()
    proc = _ogrinfo("-so", "-al", str(path))
    assert "partially supported" not in proc.stderr and "Warning" not in proc.stderr


# ---------------------------------------------------------------------------- failure mid-write
def test_geopackage_failure_mid_write_keeps_old_file_and_leaves_nothing(tmp_path):
    path = write_vector(_frame(2), tmp_path / "parcels.gpkg")
    before = file_checksum(path)
    # a "fid" column is GeoPackage's primary key: GDAL inserts row 0, then refuses the
    # duplicate at row 1 (UNIQUE constraint) -- a failure after the file was created
    bad = _frame(3, fid=[7, 7, 8])
    with pytest.raises(InvalidParameterError, match=r"cannot be written to .*parcels\.gpkg.*UNIQUE"):
        write_vector(bad, path, overwrite=True)
    assert file_checksum(path) == before
    _assert_only(tmp_path, ["parcels.gpkg"])
    with pytest.raises(InvalidParameterError, match="UNIQUE"):
        write_vector(bad, path, layer="more", append_layer=True)
    assert file_checksum(path) == before
    with pytest.raises(InvalidParameterError, match="UNIQUE"):
        write_vector(bad, tmp_path / "new.gpkg")
    _assert_only(tmp_path, ["parcels.gpkg"])


def test_shapefile_failure_mid_write_keeps_old_file_and_leaves_nothing(tmp_path):
    path = write_vector(_frame(2), tmp_path / "priority.shp.zip")
    before = file_checksum(path)
    # a shapefile holds one geometry type: GDAL writes the point, then refuses the polygon
    mixed = gpd.GeoDataFrame({"k": [1, 2]}, geometry=[shapely.Point(400_000, 4_430_000),
                                                     shapely.box(400_000, 4_430_000, 400_100, 4_430_100)],
                             crs="EPSG:32649")
    with pytest.raises(InvalidParameterError, match=r"priority\.shp\.zip.*non-point \(POLYGON\)"):
        write_vector(mixed, path, overwrite=True)
    assert file_checksum(path) == before
    with pytest.raises(InvalidParameterError, match="non-point"):
        write_shapefile_zip(mixed, tmp_path / "new.zip")
    _assert_only(tmp_path, ["priority.shp.zip"])


def test_pam_setting_of_the_caller_is_restored(tmp_path):
    path = write_vector(_frame(1), tmp_path / "a.gpkg")
    assert pyogrio.get_gdal_config_option("GDAL_PAM_ENABLED") is None
    sg.read_vector(path)
    assert pyogrio.get_gdal_config_option("GDAL_PAM_ENABLED") is None  # not left switched off
    pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": "YES"})
    try:
        sg.read_vector(path)
        assert pyogrio.get_gdal_config_option("GDAL_PAM_ENABLED") == "YES"
    finally:
        pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": None})
