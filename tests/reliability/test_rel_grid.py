"""Reliability catalogue, the grid and the configuration file (issue 13, items 3 and 5).

A metre resolution in a degree CRS, the grid keys of a configuration, a TOML file with a byte-order
mark or in another encoding. The suggested UTM zone is checked against the zone formula written out
here (zone = floor((lon + 180) / 6) + 1; EPSG 326zz north, 327zz south).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

import steppe_geo as sg
from steppe_geo.config import config_from_dict, load_config, parse_config
from steppe_geo.errors import ConfigError, GeographicCRSError, InvalidParameterError
from steppe_geo.io import write_raster, write_vector


def _utm_epsg(lon: float, lat: float) -> int:
    """The WGS 84 UTM zone by its textbook formula (no Norway/Svalbard exceptions needed here)."""
    return (32600 if lat >= 0 else 32700) + math.floor((lon + 180) / 6) + 1


@pytest.mark.case("clear_error")
@pytest.mark.parametrize("bounds", [
    (108.9, 40.0, 109.7, 40.4),          # Inner Mongolia: zone 49N
    (-113.5, 43.2, -112.5, 43.8),        # Snake River Plain: zone 12N
    (-70.4, -45.9, -69.6, -45.3),        # southern hemisphere: zone 19S
], ids=["ordos", "idaho", "patagonia"])
def test_metre_resolution_in_a_geographic_crs_is_refused_suggesting_the_utm_zone(bounds):
    lon, lat = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    with pytest.raises(GeographicCRSError) as info:
        sg.Grid.from_bounds(bounds, crs="EPSG:4326", resolution_m=100)
    message = str(info.value)
    assert message.startswith("resolution_m: the CRS EPSG:4326 (WGS 84) is geographic (its units are "
                              "degrees)")
    assert "resolution_m=100 would make pixels of 100 degrees" in message
    assert f"EPSG:{_utm_epsg(lon, lat)} (WGS 84 / UTM zone" in message
    # 100 m is 100 / 111,320 degrees of latitude
    assert f"resolution_deg={100 / 111_320:.3g}" in message
    assert isinstance(info.value, ValueError)


@pytest.mark.case("correct_result")
def test_resolution_deg_builds_a_degree_grid():
    g = sg.Grid.from_bounds((108.9, 40.0, 109.7, 40.4), crs="EPSG:4326", resolution_deg=0.01)
    # by hand: 0.8° / 0.01° = 80 columns, 0.4° / 0.01° = 40 rows, north-west corner (108.9, 40.4)
    assert g.shape == (40, 80) and g.resolution == (0.01, 0.01)
    assert g.transform.c == pytest.approx(108.9) and g.transform.f == pytest.approx(40.4)
    assert g.crs.is_geographic


@pytest.mark.case("clear_error")
def test_resolution_deg_with_a_projected_crs_is_refused():
    with pytest.raises(InvalidParameterError, match=r"resolution_deg: the CRS EPSG:32649 \(WGS 84 / UTM zone "
                                                    r"49N\) is projected \(units: metre\); give its pixel "
                                                    r"size in those units as resolution_m"):
        sg.Grid.from_bounds((400_000, 4_430_000, 401_000, 4_431_000), crs="EPSG:32649", resolution_deg=0.01)


@pytest.mark.case("clear_error")
@pytest.mark.parametrize("given", [{}, {"resolution_m": 100, "resolution_deg": 0.001}], ids=["none", "both"])
def test_exactly_one_resolution_is_required(given):
    with pytest.raises(InvalidParameterError, match=r"resolution_m / resolution_deg: give exactly one"):
        sg.Grid.from_bounds((400_000, 4_430_000, 401_000, 4_431_000), crs="EPSG:32649", **given)


@pytest.mark.case("clear_error")
def test_metre_resolution_with_projected_looking_bounds_in_a_geographic_crs_says_so():
    with pytest.raises(GeographicCRSError, match=r"the bounds \(400000, 4430000, 401000, 4431000\) are not "
                                                 r"degrees either \(they look projected\): give the CRS they "
                                                 r"are in"):
        sg.Grid.from_bounds((400000, 4430000, 401000, 4431000), crs="EPSG:4326", resolution_m=100)


# ------------------------------------------------------------------------------------ configuration
@pytest.fixture
def project(tmp_path):
    data = tmp_path / "data"
    write_vector(gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_430_000, 404_000, 4_433_000)],
                                  crs="EPSG:32649"), data / "aoi.gpkg")
    grid = sg.Grid.from_bounds((399_000, 4_429_000, 405_000, 4_434_000), crs="EPSG:32649", resolution_m=100)
    write_raster(grid.to_dataarray(np.full(grid.shape, 6.0, np.float32), name="wind"), data / "wind.tif")
    return tmp_path


TOML = """\
[sources]
aoi = "data/aoi.gpkg"
wind = "data/wind.tif"

[grid]
aoi = "aoi"
resolution_m = 500

[models.wind]
criteria = [{ name = "wind", function = "linear", low = 4.0, high = 9.0, weight = 1 }]
"""


@pytest.mark.case("clear_error")
@pytest.mark.parametrize(("key", "value", "pattern"), [
    ("crs", '"EPSG:4326"', r"grid\.crs: unknown key Valid keys are: aoi, resolution_m, projection, margin_m"),
    ("resolution_deg", "0.01", r"grid\.resolution_deg: unknown key; did you mean 'resolution_m'\?"),
], ids=["crs", "resolution_deg"])
def test_config_grid_has_no_geographic_option(project, key, value, pattern):
    # a configuration's grid is always projected in metres ([grid] projection: equal-area or utm)
    path = project / "geo.toml"
    path.write_text(TOML.replace("resolution_m = 500", f"resolution_m = 500\n{key} = {value}"),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=pattern):
        load_config(path)


@pytest.mark.case("clear_error")
def test_config_grid_projection_other_than_equal_area_or_utm_is_refused(project):
    path = project / "proj.toml"
    path.write_text(TOML.replace("resolution_m = 500", 'resolution_m = 500\nprojection = "EPSG:4326"'),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"grid\.projection.*'EPSG:4326'.*equal-area.*utm"):
        load_config(path)


@pytest.mark.case("correct_result")
def test_toml_file_with_a_byte_order_mark_is_read(project):
    plain, bom = project / "plain.toml", project / "bom.toml"
    plain.write_text(TOML, encoding="utf-8")
    bom.write_bytes(b"\xef\xbb\xbf" + TOML.encode("utf-8"))  # what Notepad writes as "UTF-8 with BOM"
    a, b = load_config(plain), load_config(bom)
    assert b.grid == a.grid and b.sources == a.sources
    assert b.grid.resolution_m == 500.0 and b.sources["wind"] == project / "data" / "wind.tif"


@pytest.mark.case("correct_result")
def test_toml_text_with_a_byte_order_mark_is_parsed(project):
    cfg = parse_config("\ufeff" + TOML, base_dir=project)
    assert cfg.grid.resolution_m == 500.0 and set(cfg.sources) == {"aoi", "wind"}


@pytest.mark.case("clear_error")
def test_toml_file_in_another_encoding_is_refused_naming_the_byte(project):
    path = project / "cp1252.toml"
    text = TOML.replace('[models.wind]', '[project]\nname = "Étude d\'implantation"\n\n[models.wind]')
    path.write_bytes(text.encode("cp1252"))  # É is 0xc9 in cp1252, not valid UTF-8 here
    position = text.encode("cp1252").index(b"\xc9")
    with pytest.raises(ConfigError, match=rf"cp1252\.toml': cannot read the configuration: it is not UTF-8 "
                                          rf"text \(byte 0xc9 at position {position}\).*save it as UTF-8"):
        load_config(path)


@pytest.mark.case("correct_result")
def test_config_grid_is_projected_in_metres_whatever_the_inputs_crs(project):
    wgs84 = project / "data" / "wind_4326.tif"
    geo = sg.Grid.from_bounds((109.8, 40.0, 109.9, 40.06), crs="EPSG:4326", resolution_deg=0.005)
    write_raster(geo.to_dataarray(np.full(geo.shape, 6.0, np.float32), name="wind"), wgs84)
    cfg = config_from_dict({"sources": {"aoi": "data/aoi.gpkg", "wind": str(wgs84)},
                            "grid": {"aoi": "aoi", "resolution_m": 500, "projection": "utm"},
                            "models": {"wind": {"criteria": [{"name": "wind", "function": "linear",
                                                              "low": 4.0, "high": 9.0, "weight": 1}]}}},
                           base_dir=project)
    from steppe_geo.pipeline import build_grid

    grid = build_grid(cfg.sources, cfg.grid)
    assert not grid.crs.is_geographic and grid.crs.to_epsg() == 32649  # the AOI was drawn in UTM 49N
    assert grid.resolution == (500.0, 500.0)

