import numpy as np
import pytest
import shapely
from pyproj import Geod

import steppe_geo as sg
from steppe_geo.errors import GeographicCRSError, InvalidParameterError


def test_from_bounds_snaps_outward():
    g = sg.Grid.from_bounds((5, 5, 995, 440), crs="EPSG:32649", resolution_m=100)
    # west 5 -> 0, north 440 -> 500 (multiples of 100 m); 10 cols reach 1000, 5 rows reach 0
    assert g.shape == (5, 10)
    assert g.bounds == (0.0, 0.0, 1000.0, 500.0)


@pytest.mark.parametrize("res", [0, -10, float("nan")])
def test_resolution_must_be_positive(res):
    with pytest.raises(InvalidParameterError, match=rf"resolution_m must be a finite number > 0, got {res}"):
        sg.Grid.from_bounds((0, 0, 1000, 1000), crs="EPSG:32649", resolution_m=res)


def test_for_area_equal_area_distortion_below_half_percent():
    # Sample area: northern edge of the Kubuqi desert, Ordos.
    box = shapely.box(108.9, 40.0, 109.7, 40.4)
    g = sg.Grid.for_area((box, "EPSG:4326"), resolution_m=250)
    assert g.crs.is_projected
    geod = Geod(ellps="WGS84")
    # geodesic area of a 0.1 degree cell vs its planar area in the grid CRS
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", g.crs, always_xy=True)
    for lon, lat in [(108.9, 40.0), (109.6, 40.3), (109.3, 40.2)]:
        cell = shapely.box(lon, lat, lon + 0.1, lat + 0.1).segmentize(0.001)
        geodesic = abs(geod.geometry_area_perimeter(cell)[0])
        planar = shapely.transform(cell, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))).area
        assert abs(planar / geodesic - 1) < 0.005


def test_windows_cover_grid_once_with_halo():
    g = sg.Grid.from_bounds((0, 0, 1050, 730), crs="EPSG:32649", resolution_m=10)
    count = np.zeros(g.shape, int)
    for w in g.windows(32, halo=3):
        count[w.core_slices] += 1
        pr, pc = w.padded_slices
        assert pr.start == max(0, w.core_slices[0].start - 3)
        assert pc.stop == min(g.cols, w.core_slices[1].stop + 3)
        inner = w.inner
        assert inner[0].stop - inner[0].start == w.core.height
    assert (count == 1).all()


def test_pixel_area_requires_projected():
    g = sg.Grid.from_bounds((108.9, 40.0, 109.7, 40.4), crs="EPSG:4326", resolution_deg=0.01)
    with pytest.raises(GeographicCRSError, match="geographic"):
        _ = g.pixel_area_m2


def test_dataarray_roundtrip():
    g = sg.Grid.from_bounds((0, 0, 1000, 500), crs="EPSG:32649", resolution_m=100)
    da = g.to_dataarray(np.ones(g.shape), name="x", units="m")
    assert sg.Grid.from_dataarray(da).same_as(g)
    assert da.attrs["units"] == "m"


# ---------------------------------------------------------------------------- windows arguments
def test_windows_accept_numpy_integers():
    g = sg.Grid.from_bounds((0, 0, 1000, 730), crs="EPSG:32649", resolution_m=10)  # 73 x 100
    plain = [(w.core, w.padded) for w in g.windows(32, halo=2)]
    assert [(w.core, w.padded) for w in g.windows(np.int64(32), halo=np.int32(2))] == plain
    assert [(w.core, w.padded) for w in g.windows((np.int64(32), np.uint16(32)), halo=2)] == plain
    # by hand: ceil(73 / 32) = 3 tile rows, ceil(100 / 32) = 4 tile columns
    assert len(plain) == 12


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"size": 0}, r"size must be an integer > 0, got 0"),
    ({"size": -5}, r"size must be an integer > 0, got -5"),
    ({"size": (16, 0)}, r"size must be an integer > 0, got \(16, 0\)"),
    ({"size": 2.5}, r"size must be an integer > 0 \(pixels\), got 2\.5 of type float"),
    ({"size": (16,)}, r"size must be an integer or \(rows, cols\), got \(16,\)"),
    ({"size": True}, r"size must be an integer > 0, got True"),
    ({"size": 16, "halo": -1}, r"halo must be an integer >= 0, got -1"),
    ({"size": 16, "halo": 1.5}, r"halo must be an integer >= 0 \(pixels\), got 1\.5"),
])
def test_windows_bad_arguments_raise_when_called(kwargs, match):
    g = sg.Grid.from_bounds((0, 0, 1000, 500), crs="EPSG:32649", resolution_m=100)
    with pytest.raises(InvalidParameterError, match=match):
        g.windows(**kwargs)  # not only once iterated


# ---------------------------------------------------------------------------- errors echo the value
@pytest.mark.parametrize(("res", "shown"), [(0, "0"), (-10, "-10"), (float("nan"), "nan")])
def test_resolution_error_echoes_the_value(res, shown):
    with pytest.raises(InvalidParameterError, match=rf"resolution_m must be .*> 0, got {shown}"):
        sg.Grid.for_area((shapely.box(108.9, 40.0, 109.7, 40.4), "EPSG:4326"), resolution_m=res)


def test_area_in_geographic_crs_names_the_crs():
    g = sg.Grid.from_bounds((108.9, 40.0, 109.7, 40.4), crs="EPSG:4326", resolution_deg=0.01)
    with pytest.raises(GeographicCRSError, match=r"Grid\.pixel_area_m2 needs a projected CRS.*EPSG:4326"):
        _ = g.pixel_area_m2
    with pytest.raises(GeographicCRSError, match=r"Grid\.resolution_m .*EPSG:4326"):
        _ = g.resolution_m


def test_for_area_bad_margin_and_projection():
    aoi = (shapely.box(108.9, 40.0, 109.7, 40.4), "EPSG:4326")
    with pytest.raises(InvalidParameterError, match=r"margin_m must be >= 0 metres, got -5"):
        sg.Grid.for_area(aoi, resolution_m=100, margin_m=-5)
    with pytest.raises(InvalidParameterError, match=r"projection: unknown value 'mercator'"):
        sg.Grid.for_area(aoi, resolution_m=100, projection="mercator")


# ---------------------------------------------------------------------------- LAEA CRS name
def test_for_area_laea_crs_is_named_and_the_maths_unchanged():
    g = sg.Grid.for_area((shapely.box(108.9, 40.0, 109.7, 40.4), "EPSG:4326"), resolution_m=100)
    assert g.crs.name == "steppe_geo LAEA 40.20N 109.30E"
    assert "LAEA 40.20N 109.30E" in repr(g) and "unknown" not in g.describe()
    # the same projection as the PROJ string it replaces: identical coordinates
    from pyproj import CRS, Transformer

    ref = CRS.from_proj4("+proj=laea +lat_0=40.2 +lon_0=109.3 +x_0=0 +y_0=0 +datum=WGS84 +units=m")
    assert g.crs == ref
    lon, lat = np.meshgrid(np.linspace(108.9, 109.7, 9), np.linspace(40.0, 40.4, 5))
    ours = Transformer.from_crs("EPSG:4326", g.crs, always_xy=True).transform(lon, lat)
    theirs = Transformer.from_crs("EPSG:4326", ref, always_xy=True).transform(lon, lat)
    np.testing.assert_array_equal(ours, theirs)
    assert sg.grid.laea_crs(-33.87, -70.65).name == "steppe_geo LAEA 33.87S 70.65W"


def test_laea_crs_name_survives_geotiff_and_geopackage(tmp_path):
    import subprocess

    import geopandas as gpd
    import pyogrio
    import rasterio

    g = sg.Grid.for_area((shapely.box(108.9, 40.0, 109.7, 40.4), "EPSG:4326"), resolution_m=5000)
    tif = sg.write_raster(g.to_dataarray(np.ones(g.shape, dtype="float32"), name="x"), tmp_path / "x.tif")
    with rasterio.open(tif) as ds:
        assert ds.crs.to_wkt().startswith('PROJCS["steppe_geo LAEA 40.20N 109.30E"')
    assert sg.Grid.from_dataarray(sg.read_raster(tif)).same_as(g)
    gpkg = sg.write_vector(gpd.GeoDataFrame({"k": [1]}, geometry=[shapely.box(*g.bounds)], crs=g.crs),
                           tmp_path / "x.gpkg")
    assert pyogrio.read_info(gpkg)["crs"].startswith('PROJCS["steppe_geo LAEA 40.20N 109.30E"')
    assert sg.read_vector(gpkg).crs.name == "steppe_geo LAEA 40.20N 109.30E"
    # what GIS software sees (GDAL 3.6 command line)
    for path, tool in ((tif, "gdalinfo"), (gpkg, "ogrinfo")):
        out = subprocess.run([tool, *(["-so", "-al"] if tool == "ogrinfo" else []), str(path)],
                             capture_output=True, text=True, check=True).stdout
        assert 'PROJCRS["steppe_geo LAEA 40.20N 109.30E"' in out, tool


def test_from_dataarray_reuses_a_grid_only_for_the_same_georeferencing():
    """The cached Grid comes back for an equal CRS/transform/shape, never for changed metadata."""
    from affine import Affine
    from rasterio.windows import Window

    from steppe_geo.grid import Grid, _georef_key

    grid = Grid.from_bounds((500_000, 4_400_000, 500_400, 4_400_300), crs="EPSG:32649", resolution_m=100)
    da = grid.to_dataarray(np.zeros(grid.shape, dtype=np.float32), name="a")
    assert _georef_key(da) is not None
    first = Grid.from_dataarray(da)
    assert first == grid and Grid.from_dataarray(da.copy()) is first  # an equal array: the same Grid
    moved = da.assign_coords(x=da.x + 100.0).rio.write_transform(grid.transform * Affine.translation(1, 0))
    assert Grid.from_dataarray(moved).transform.c == grid.transform.c + 100.0
    other_crs = da.rio.write_crs("EPSG:32650")
    assert Grid.from_dataarray(other_crs).crs.to_epsg() == 32650
    part = da.isel(y=slice(1, 3), x=slice(1, 4))
    assert Grid.from_dataarray(part) == grid.window_grid(Window(1, 1, 3, 2))
    assert _georef_key(da.rename({"x": "lon", "y": "lat"})) is None  # other dims: not cached
