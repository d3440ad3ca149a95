"""Reliability catalogue, vector files (issue 13, items 4 and 5): broken or odd files end in a clear error.

Files are written to ``tmp_path`` (pyogrio/GDAL) or broken on purpose (zero bytes, text renamed,
cut in half) and read back; reprojection is checked against pyproj.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

import steppe_geo as sg
from steppe_geo.config import config_from_dict
from steppe_geo.errors import ConfigError, MissingCRSError, UnreadableInputError
from steppe_geo.io import write_raster, write_vector
from steppe_geo.pipeline import check_config

CRS = "EPSG:32649"


def _parcels(crs: str | None = CRS) -> gpd.GeoDataFrame:
    boxes = [shapely.box(400_000 + 300 * i, 4_430_000, 400_250 + 300 * i, 4_430_250) for i in range(3)]
    return gpd.GeoDataFrame({"id": np.array([1, 2, 3], dtype=np.int32)}, geometry=boxes, crs=crs)


@pytest.mark.case("clear_error")
@pytest.mark.parametrize("name", ["roads.shp", "roads.gpkg", "roads.geojson"])
def test_zero_byte_vector_file_is_refused(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(UnreadableInputError, match=rf"vector file '.*{re.escape(name)}' is an empty file "
                                                   r"\(0 bytes\)"):
        sg.read_vector(tmp_path / name)


@pytest.mark.case("clear_error")
def test_text_file_renamed_gpkg_is_refused_without_the_driver_hint(tmp_path):
    (tmp_path / "parcels.gpkg").write_text("id;owner;area_ha\n1;Bat;12.5\n")
    with pytest.raises(UnreadableInputError) as info:
        sg.read_vector(tmp_path / "parcels.gpkg")
    message = str(info.value)
    assert "parcels.gpkg" in message and "it holds text (begins 'id;owner;area_ha" in message
    assert "It might help to specify the correct driver" not in message


@pytest.mark.case("clear_error")
def test_truncated_geopackage_is_refused(tmp_path):
    write_vector(_parcels(), tmp_path / "full.gpkg")
    data = (tmp_path / "full.gpkg").read_bytes()
    (tmp_path / "cut.gpkg").write_bytes(data[: len(data) // 3])
    with pytest.raises(UnreadableInputError, match=r"cannot read vector file '.*cut\.gpkg': .*truncated or "
                                                   r"corrupt"):
        sg.read_vector(tmp_path / "cut.gpkg")


@pytest.mark.case("clear_error")
def test_folder_given_as_a_vector_is_refused_naming_what_it_holds(tmp_path):
    (tmp_path / "shapes").mkdir()
    _parcels().to_file(tmp_path / "shapes" / "parcels.shp")
    with pytest.raises(UnreadableInputError, match=r"'.*shapes' is a folder, not a vector file \(it holds "
                                                   r"'parcels\.cpg', 'parcels\.dbf'.*give the path of the "
                                                   r"vector file itself"):
        sg.read_vector(tmp_path / "shapes")


@pytest.mark.case("correct_result")
def test_file_geodatabase_folder_is_read(tmp_path):
    # an Esri file geodatabase is a folder: GDAL's OpenFileGDB driver writes and reads it
    gdf = _parcels()
    gdf.to_file(tmp_path / "cadastre.gdb", driver="OpenFileGDB", layer="parcels")
    back = sg.read_vector(tmp_path / "cadastre.gdb")
    assert back["id"].tolist() == [1, 2, 3]
    assert shapely.equals(back.geometry.values, gdf.geometry.values).all()


@pytest.mark.case("clear_error")
def test_shapefile_without_prj_is_refused_suggesting_a_projected_crs(tmp_path):
    _parcels().to_file(tmp_path / "parcels.shp")
    (tmp_path / "parcels.prj").unlink()
    with pytest.raises(MissingCRSError, match=r"vector layer '.*parcels\.shp' has no CRS \(a shapefile "
                                              r"without \.prj\?\); its coordinates .* are not degrees but "
                                              r"projected"):
        sg.read_vector(tmp_path / "parcels.shp")


@pytest.mark.case("correct_result")
def test_vector_in_another_crs_is_reprojected_exactly_as_pyproj_does(tmp_path):
    write_vector(_parcels(), tmp_path / "parcels_utm.gpkg")
    back = sg.read_vector(tmp_path / "parcels_utm.gpkg", crs="EPSG:4326")
    assert back.crs.to_epsg() == 4326
    to_lonlat = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    for geom, original in zip(back.geometry, _parcels().geometry, strict=True):
        x, y = np.asarray(original.exterior.coords).T
        lon, lat = to_lonlat.transform(x, y)
        np.testing.assert_allclose(np.asarray(geom.exterior.coords), np.column_stack([lon, lat]), atol=1e-9)


@pytest.fixture
def project(tmp_path):
    data = tmp_path / "data"
    write_vector(gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_430_000, 404_000, 4_433_000)], crs=CRS),
                 data / "aoi.gpkg")
    grid = sg.Grid.from_bounds((399_000, 4_429_000, 405_000, 4_434_000), crs=CRS, resolution_m=100)
    values = np.random.default_rng(5).uniform(4, 9, grid.shape).astype(np.float32)
    write_raster(grid.to_dataarray(values, name="wind"), data / "wind.tif")
    cfg = {
        "sources": {"aoi": "data/aoi.gpkg", "wind": "data/wind.tif"},
        "grid": {"aoi": "aoi", "resolution_m": 500},
        "models": {"wind": {"criteria": [{"name": "wind", "function": "linear", "low": 4.0, "high": 9.0,
                                          "weight": 1}]}},
        "outputs": {"directory": "out", "maps": [], "report": False},
    }
    return tmp_path, cfg


def _check(root: Path, data: dict, **inputs: str) -> None:
    d = copy.deepcopy(data)
    d["sources"].update(inputs)
    check_config(config_from_dict(d, base_dir=root, output_dir=root))


@pytest.mark.case("clear_error")
def test_zero_byte_aoi_in_a_config_is_refused_naming_the_key(project):
    root, data = project
    (root / "data/empty.gpkg").write_bytes(b"")
    with pytest.raises(ConfigError, match=r"sources\.aoi: vector file '.*empty\.gpkg' is an empty file"):
        _check(root, data, aoi="data/empty.gpkg")


@pytest.mark.case("clear_error")
def test_folder_as_an_input_in_a_config_is_refused_naming_the_key(project):
    root, data = project
    (root / "data/roads").mkdir()
    with pytest.raises(ConfigError, match=r"sources\.aoi: '.*roads' is a folder, not a vector file "
                                          r"\(it holds "
                                          r"no file\)"):
        _check(root, data, aoi="data/roads")


@pytest.mark.case("clear_error")
def test_aoi_without_crs_in_a_config_is_refused_naming_the_key(project):
    root, data = project
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_430_000, 404_000, 4_433_000)], crs=CRS)
    aoi.to_file(root / "data/aoi_noprj.shp")
    (root / "data/aoi_noprj.prj").unlink()
    with pytest.raises(MissingCRSError, match=r"sources\.aoi: vector layer '.*aoi_noprj\.shp' has no CRS"):
        _check(root, data, aoi="data/aoi_noprj.shp")
