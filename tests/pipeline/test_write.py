"""Outputs stage: the parcel files written are exactly the configured ``outputs.vectors``."""

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

import steppe_geo as sg
from steppe_geo.config import VectorFormat, config_from_dict
from steppe_geo.io import write_raster, write_vector
from steppe_geo.parcels.export import EXPORT_FORMATS
from steppe_geo.pipeline import run


@pytest.fixture
def project(tmp_path):
    """A 4 km x 3 km AOI (UTM 49N), a wind ramp and six parcels, written as real files."""
    data = tmp_path / "data"
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_430_000, 404_000, 4_433_000)], crs="EPSG:32649")
    write_vector(aoi, data / "aoi.gpkg")
    grid = sg.Grid.from_bounds((400_000, 4_430_000, 404_000, 4_433_000), crs="EPSG:32649", resolution_m=200)
    ramp = np.tile(np.linspace(4.0, 9.0, grid.shape[1], dtype=np.float32), (grid.shape[0], 1))
    write_raster(grid.to_dataarray(ramp, name="wind", units="m s-1"), data / "wind.tif")
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(6)]},
        geometry=[shapely.box(400_000 + 1000 * (i % 3), 4_430_000 + 1500 * (i // 3),
                              401_000 + 1000 * (i % 3), 4_431_500 + 1500 * (i // 3)) for i in range(6)],
        crs="EPSG:32649")
    write_vector(parcels, data / "parcels.gpkg")
    cfg = {
        "sources": {"aoi": "data/aoi.gpkg", "wind": "data/wind.tif", "parcels": "data/parcels.gpkg"},
        "grid": {"aoi": "aoi", "resolution_m": 200},
        "models": {"wind": {"criteria": [{"name": "wind", "function": "linear", "low": 4.0, "high": 9.0}]}},
        "parcels": {"source": "parcels", "id_column": "parcel_id", "n_draws": 0},
        "outputs": {"directory": "out", "maps": [], "report": False},
    }
    return tmp_path, cfg


def test_the_config_offers_exactly_the_formats_export_bundle_writes():
    assert [m.value for m in VectorFormat] == list(EXPORT_FORMATS)


@pytest.mark.parametrize(("vectors", "files"), [
    (["flatgeobuf", "csv"], ["wind.fgb", "wind_summary.csv"]),
    (["gpkg"], ["wind.gpkg"]),
    (["shapefile", "parquet"], ["wind.parquet", "wind_priority.zip"]),
])
def test_run_writes_exactly_the_configured_vector_formats(project, vectors, files):
    # regression (issue 14): gpkg, shapefile, parquet and csv were always written and flatgeobuf never
    root, data = project
    data["outputs"]["vectors"] = vectors
    run(config_from_dict(data, base_dir=root, output_dir=root))
    folder = root / "out" / "parcels"
    assert sorted(p.name for p in folder.iterdir()) == files
    if "flatgeobuf" in vectors:
        fgb = sg.read_vector(folder / "wind.fgb")
        assert pyogrio.read_info(folder / "wind.fgb")["driver"] == "FlatGeobuf"
        assert sorted(fgb["parcel_id"]) == [f"P{i}" for i in range(6)] and fgb.crs.is_projected
        assert fgb["rank"].notna().all()
