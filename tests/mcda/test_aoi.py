"""The AOI as a pixel mask: pixel centres inside the polygon, checked against shapely; errors."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

import steppe_geo as sg
from steppe_geo.errors import EmptyLayerError, InvalidParameterError, MissingCRSError, SteppeGeoError
from steppe_geo.mcda import aoi_mask, aoi_polygon
from steppe_geo.mcda.aoi import _inside_window, _pixel_polygon

REAL = Path(__file__).resolve().parents[1] / "data" / "real" / "esrp_idaho"


def _centres_inside(polygon, grid):
    """Independent reference: shapely's point-in-polygon test at every pixel centre."""
    xx, yy = np.meshgrid(grid.x_coords(), grid.y_coords())
    return shapely.contains_xy(polygon, xx, yy)


@pytest.fixture(scope="module")
def esrp():
    """The Eastern Snake River Plain outline (USGS): a concave polygon of 1,926 vertices."""
    return gpd.read_file(REAL / "esrp.gpkg")


def test_real_concave_aoi_mask_equals_shapely_at_pixel_centres(esrp):
    grid = sg.Grid.for_area(esrp, resolution_m=2000)
    polygon = aoi_polygon(esrp, crs=grid.crs)
    assert polygon.convex_hull.area > 1.2 * polygon.area  # concave: the hull is 27 % larger
    mask = aoi_mask(esrp, grid=grid)
    assert mask.dtype == bool and mask.name == "inside_aoi"
    assert sg.Grid.from_dataarray(mask).same_as(grid)
    expected = _centres_inside(polygon, grid)
    np.testing.assert_array_equal(mask.values, expected)
    # the bounding box is not the AOI: well over half of the grid's pixels are outside the plain
    assert 0.5 < 1 - expected.mean() < 0.7
    # inside pixels x pixel area estimate the polygon's area to within the boundary pixels (~1 %)
    assert expected.sum() * grid.pixel_area_m2 == pytest.approx(polygon.area, rel=0.01)


def test_u_shaped_aoi_by_hand():
    # a U of 100 m pixels on a 5 x 5 grid: the notch (columns 1-3, rows 0-2) is outside
    grid = sg.Grid.from_bounds((0, 0, 500, 500), crs="EPSG:32649", resolution_m=100)
    u = shapely.Polygon([(0, 0), (500, 0), (500, 500), (400, 500), (400, 200), (100, 200), (100, 500),
                         (0, 500)])
    mask = aoi_mask(gpd.GeoSeries([u], crs="EPSG:32649"), grid=grid).values.astype(int)
    np.testing.assert_array_equal(mask, [[1, 0, 0, 0, 1],
                                         [1, 0, 0, 0, 1],
                                         [1, 0, 0, 0, 1],
                                         [1, 1, 1, 1, 1],
                                         [1, 1, 1, 1, 1]])


@pytest.mark.parametrize("size", [(7, 7), (16, 5), (1, 40), (33, 33)])
def test_windows_of_the_mask_tile_the_whole_grid_mask(esrp, size):
    grid = sg.Grid.for_area(esrp, resolution_m=2500)
    pix = _pixel_polygon(aoi_polygon(esrp, crs=grid.crs), grid)
    whole = _inside_window(pix, 0, 0, grid.shape)
    tiled = np.zeros(grid.shape, dtype=bool)
    for win in grid.windows(size):
        r0, c0, h, w = int(win.core.row_off), int(win.core.col_off), int(win.core.height), int(win.core.width)
        tiled[r0:r0 + h, c0:c0 + w] = _inside_window(pix, r0, c0, (h, w))
    np.testing.assert_array_equal(tiled, whole)
    assert whole.any() and not whole.all()


def test_aoi_in_another_crs_is_reprojected(esrp):
    grid = sg.Grid.for_area(esrp, resolution_m=4000)
    in_degrees = esrp.to_crs("EPSG:4326")
    np.testing.assert_array_equal(aoi_mask(in_degrees, grid=grid).values, aoi_mask(esrp, grid=grid).values)


@pytest.mark.parametrize(
    ("aoi", "error", "match"),
    [
        (gpd.GeoSeries([shapely.Point(1, 1), shapely.Point(2, 2)], crs="EPSG:32649"), InvalidParameterError,
         r"aoi has no polygon with an area \(geometry types \['Point'\]\)"),
        (gpd.GeoSeries([shapely.box(0, 0, 100, 100)]), MissingCRSError, "aoi has no CRS"),
        (gpd.GeoSeries([], crs="EPSG:32649"), EmptyLayerError, "aoi has no features"),
        (shapely.box(0, 0, 100, 100), InvalidParameterError, "aoi must be a GeoDataFrame or GeoSeries"),
        (gpd.GeoSeries([shapely.box(10_000, 10_000, 10_100, 10_100)], crs="EPSG:32649"),
         InvalidParameterError, "aoi covers no pixel centre of the grid"),
    ],
)
def test_aoi_errors(aoi, error, match):
    grid = sg.Grid.from_bounds((0, 0, 500, 500), crs="EPSG:32649", resolution_m=100)
    with pytest.raises(error, match=match) as exc:
        aoi_mask(aoi, grid=grid)
    assert isinstance(exc.value, SteppeGeoError)
