"""read_provenance on a GeoPackage with several layers."""

from __future__ import annotations

import warnings

import geopandas as gpd
import shapely

from steppe_geo.io import read_provenance, write_vector


def test_read_provenance_two_layer_geopackage(tmp_path):
    gdf = gpd.GeoDataFrame({"v": [1, 2]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
                           crs="EPSG:32649")
    path = tmp_path / "out.gpkg"
    write_vector(gdf, path, layer="first", provenance={"parameters": {"model": "wind"}})
    write_vector(gdf, path, layer="second", append_layer=True, provenance={"parameters": {"model": "wind"}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prov = read_provenance(path)
    assert prov["parameters"]["model"] == "wind"
