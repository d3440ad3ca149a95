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
    with pytest.raises(InvalidParameterError, match="resolution_m"):
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
    g = sg.Grid.from_bounds((108.9, 40.0, 109.7, 40.4), crs="EPSG:4326", resolution_m=0.01)
    with pytest.raises(GeographicCRSError, match="geographic"):
        _ = g.pixel_area_m2


def test_dataarray_roundtrip():
    g = sg.Grid.from_bounds((0, 0, 1000, 500), crs="EPSG:32649", resolution_m=100)
    da = g.to_dataarray(np.ones(g.shape), name="x", units="m")
    assert sg.Grid.from_dataarray(da).same_as(g)
    assert da.attrs["units"] == "m"
