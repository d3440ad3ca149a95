"""The inputs stage: declared options reach the readers; the summary gives AOI coverage and coarse sources."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

import steppe_geo as sg
from steppe_geo.config import InputSpec
from steppe_geo.pipeline import load_inputs, raster_read_options, summarize_inputs

CRS = "EPSG:32649"


def _tif(path: Path, data: np.ndarray, transform: Affine, **tags: str) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype=data.dtype, crs=CRS, transform=transform, nodata=-9999) as ds:
        ds.write(data, 1)
        ds.update_tags(**tags)
    return path


def test_read_options_join_declarations_and_roles():
    assert raster_read_options("dem", InputSpec("dem", Path("d.tif"), units="ft")) == {"units": "ft",
                                                                                      "to_units": "m"}
    ndvi = InputSpec("ndvi", Path("n.tif"), band=3)
    assert raster_read_options("ndvi", ndvi) == {"band": 3, "to_units": "1"}
    assert raster_read_options("land_cover") == {}
    assert raster_read_options("dem", InputSpec("dem", Path("d.tif"), kind="categorical")) == {
        "kind": "categorical"}  # classes are never converted
    assert raster_read_options("my_layer", InputSpec("my_layer", Path("x.tif"), scale=0.5)) == {"scale": 0.5}


def test_load_inputs_honours_declared_units_and_summary_reports_coverage_and_coarse_sources(tmp_path):
    grid = sg.Grid.from_bounds((400_000, 4_430_000, 402_000, 4_432_000), crs=CRS, resolution_m=100)  # 20 x 20
    # DEM in feet at 100 m; its left half is nodata
    dem = np.full((20, 20), 3280.84, dtype=np.float32)
    dem[:, :10] = -9999
    _tif(tmp_path / "dem.tif", dem, Affine(100, 0, 400_000, 0, -100, 4_432_000))
    # GHI at 2 km: one source pixel covers the whole grid, 20x the grid's 100 m
    _tif(tmp_path / "ghi.tif", np.full((2, 2), 1700.0, dtype=np.float32),
         Affine(2000, 0, 399_000, 0, -2000, 4_433_000), units="kWh m-2 yr-1")
    specs = {"dem": InputSpec("dem", tmp_path / "dem.tif", units="ft"),
             "ghi": InputSpec("ghi", tmp_path / "ghi.tif")}
    layers = load_inputs({k: s.path for k, s in specs.items()}, grid, specs=specs)
    assert float(layers.layers["dem"].max()) == pytest.approx(1000.0, rel=1e-6)  # 3280.84 ft = 1000.0 m
    # AOI: the grid's top half, x 400,000..402,000: half of it over the DEM's nodata half
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_431_000, 402_000, 4_432_000)], crs=CRS)
    summary = summarize_inputs(layers, aoi=aoi)
    d, g = summary["rasters"]["dem"], summary["rasters"]["ghi"]
    assert d["aoi_coverage"] == 0.5 and d["valid_fraction"] == 0.5
    assert d["units"] == "m" and d["source_units"] == "ft"
    assert d["source_to_grid_ratio"] == pytest.approx(1.0)
    assert g["source_pixel_size_m"] == pytest.approx(2000.0)
    assert g["source_to_grid_ratio"] == pytest.approx(20)
    assert g["aoi_coverage"] == 1.0
    warnings = summary["input_warnings"]
    assert any(w.startswith("ghi: a source pixel (2,000 m) is 20x the grid's") for w in warnings)
    assert "dem: covers 50.0% of the area of interest (nodata elsewhere)" in warnings
    assert not any(w.startswith("dem: a source pixel") for w in warnings)
