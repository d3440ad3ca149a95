"""Terrain criteria against gdaldem (GDAL 3.6.2) golden outputs and a hand-worked 3 x 3 case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import steppe_geo as sg
from steppe_geo.criteria import terrain
from steppe_geo.errors import GeographicCRSError, InvalidParameterError

# Fixture tests/criteria/data/gdaldem_fixture.npz was made once with GDAL 3.6.2 (Debian gdal-bin):
#   r, c = np.mgrid[0:12, 0:15]
#   dem = np.round(4 * (500 + 4.0*c - 2.5*r + 15*np.sin(r/2)*np.cos(c/3) + 0.5*(r*c % 7))) / 4
#   dem[2:5, 10:13] = 520.0           # a flat plateau (aspect NaN at its centre)
#   written as float32 GeoTIFF dem.tif, EPSG:32649, transform (30, 0, 400000, 0, -30, 4431000), then
#   gdaldem slope dem.tif slope.tif;  gdaldem slope -p dem.tif slopep.tif;  gdaldem aspect dem.tif aspect.tif
#   gdaldem hillshade dem.tif hs.tif; gdaldem TRI -alg Riley dem.tif tri.tif;
#   gdaldem TRI -alg Wilson dem.tif triw.tif
#   (nodata -9999 / 0 turned into NaN; values stored as float32). DEM values are multiples of 0.25 so that
#   GDAL's float32 reading is exact.
FIXTURE = np.load(Path(__file__).parent / "data" / "gdaldem_fixture.npz")
INNER = (slice(1, -1), slice(1, -1))


@pytest.fixture
def dem():
    g = sg.Grid(crs="EPSG:32649", transform=(30, 0, 400000, 0, -30, 4431000), shape=(12, 15))
    return g.to_dataarray(FIXTURE["dem"], name="dem", units="m")


@pytest.mark.parametrize(
    ("func", "kwargs", "key", "tol"),
    [
        (terrain.slope, {}, "slope", 0.01),
        (terrain.slope, {"units": "percent"}, "slopep", 0.01),
        (terrain.aspect, {}, "aspect", 0.01),
        (terrain.ruggedness, {}, "tri", 0.01),
        (terrain.ruggedness, {"method": "wilson"}, "triw", 0.01),
        (terrain.hillshade, {}, "hs", 0.5 + 1e-6),  # gdaldem rounds hillshade to a byte
    ],
)
def test_matches_gdaldem(dem, assert_same_georef, func, kwargs, key, tol):
    out = func(dem, **kwargs)
    assert_same_georef(out, dem)
    expected = FIXTURE[key].astype(float)
    np.testing.assert_array_equal(np.isnan(out.values[INNER]), np.isnan(expected[INNER]))
    np.testing.assert_allclose(out.values[INNER], expected[INNER], atol=tol, equal_nan=True)
    assert np.isnan(out.values[0]).all() and np.isnan(out.values[:, -1]).all()
    assert "units" in out.attrs


def test_flat_aspect_is_nan(dem):
    asp = terrain.aspect(dem)
    assert np.isnan(asp.values[3, 11])  # centre of the flat plateau
    assert np.isnan(FIXTURE["aspect"][3, 11])


def test_hand_worked_3x3(small_grid):
    # z = [[1,2,3],[4,5,6],[7,8,9]] on 10 m pixels:
    # dz/dx = ((3+2*6+9) - (1+2*4+7)) / (8*10) = 0.1 (rising east)
    # dz/dy (north) = ((1+2*2+3) - (7+2*8+9)) / (8*10) = -0.3 (falling north)
    # slope = atan(sqrt(0.1^2 + 0.3^2)) = atan(0.316228) = 17.548 deg; percent = 31.6228
    # downslope direction (-0.1, +0.3) -> azimuth atan2(-0.1, 0.3) = -18.435 -> 341.565 deg
    # TRI Riley = sqrt(16+9+4+1+1+4+9+16) = sqrt(60) = 7.745967; Wilson = 20/8 = 2.5
    g = sg.Grid(crs="EPSG:32649", transform=(10, 0, 0, 0, -10, 30), shape=(3, 3))
    da = g.to_dataarray(np.arange(1, 10, dtype=float).reshape(3, 3), name="dem", units="m")
    assert terrain.slope(da).values[1, 1] == pytest.approx(17.548400, abs=1e-5)
    assert terrain.slope(da, units="percent").values[1, 1] == pytest.approx(31.622777, abs=1e-5)
    assert terrain.aspect(da).values[1, 1] == pytest.approx(341.565051, abs=1e-5)
    assert terrain.ruggedness(da).values[1, 1] == pytest.approx(7.745967, abs=1e-6)
    assert terrain.ruggedness(da, method="wilson").values[1, 1] == pytest.approx(2.5)
    # hillshade: light from 315 deg at 45 deg; slope s = 17.548 deg, aspect 341.565 deg
    s, a = np.radians(17.548400), np.radians(341.565051)
    cang = np.sin(np.pi / 4) * np.cos(s) + np.cos(np.pi / 4) * np.sin(s) * np.cos(np.radians(315) - a)
    assert terrain.hillshade(da).values[1, 1] == pytest.approx(1 + 254 * cang, abs=1e-6)


def test_aspect_on_non_square_pixels_is_the_true_downslope_direction():
    # z = 100 + 0.1 x + 0.1 y on 20 m x 50 m pixels: the gradient is (0.1, 0.1) per metre, so the
    # downslope direction is south-west, 225°, and the slope atan(sqrt(0.02)) = 8.0495°.
    # gdaldem aspect (GDAL 3.6.2) on the same GeoTIFF gives 201.8014° = atan2(-2, -5) (it ignores
    # the pixel size: 2 m per column, 5 m per row); gdaldem slope gives 8.049467° (it does not).
    g = sg.Grid(crs="EPSG:32649", transform=(20, 0, 0, 0, -50, 250), shape=(5, 6))
    r, c = np.mgrid[0:5, 0:6]
    dem = g.to_dataarray(100 + 0.1 * (20.0 * c) + 0.1 * (-50.0 * r), name="dem", units="m")
    np.testing.assert_allclose(terrain.aspect(dem).values[1:-1, 1:-1], 225.0, atol=1e-9)
    np.testing.assert_allclose(terrain.slope(dem).values[1:-1, 1:-1], 8.049467, atol=1e-6)


def test_nan_propagates(dem):
    z = dem.copy()
    z.values[5, 5] = np.nan
    out = terrain.slope(z).values
    assert np.isnan(out[4:7, 4:7]).all()
    assert np.isfinite(out[2, 2])


@pytest.mark.parametrize("size", [4, (5, 7)])
@pytest.mark.parametrize("name", ["slope", "aspect", "hillshade", "ruggedness"])
def test_windowed_equals_whole(dem, size, name):
    grid = sg.Grid.from_dataarray(dem)
    z = dem.values.astype(float)
    xres, yres = grid.resolution
    kernels = {
        "slope": lambda a: terrain.slope_kernel(a, xres, yres),
        "aspect": lambda a: terrain.aspect_kernel(a, xres, yres),
        "hillshade": lambda a: terrain.hillshade_kernel(a, xres, yres),
        "ruggedness": terrain.ruggedness_kernel,
    }
    whole = kernels[name](z)
    tiled = np.full_like(whole, -1.0)
    for w in grid.windows(size, halo=terrain.HALO):
        tiled[w.core_slices] = kernels[name](z[w.padded_slices])[w.inner]
    np.testing.assert_array_equal(tiled, whole)


@pytest.mark.parametrize("size", [4, (5, 7)])
@pytest.mark.parametrize(("func", "kwargs"), [
    (terrain.slope, {}), (terrain.slope, {"units": "percent"}), (terrain.aspect, {}),
    (terrain.hillshade, {"azimuth": 200.0}), (terrain.ruggedness, {}),
    (terrain.ruggedness, {"method": "wilson"}),
])
def test_public_functions_windowed_equal_whole(dem, size, func, kwargs):
    grid = sg.Grid.from_dataarray(dem)
    z = dem.copy()
    z.values[6, 4] = np.nan
    whole = func(z, **kwargs)
    tiled = np.full(whole.shape, -1.0)
    for w in grid.windows(size, halo=terrain.HALO):
        part = func(z.isel(y=w.padded_slices[0], x=w.padded_slices[1]), **kwargs)
        tiled[w.core_slices] = part.values[w.inner]
    # the grid's own outer ring is NaN in both; every window's interior matches exactly
    np.testing.assert_array_equal(tiled, whole.values)


def test_geographic_dem_refused():
    g = sg.Grid(crs="EPSG:4326", transform=(0.001, 0, 110, 0, -0.001, 41), shape=(5, 5))
    da = g.to_dataarray(np.ones((5, 5)), name="dem")
    with pytest.raises(GeographicCRSError, match="projected CRS"):
        terrain.slope(da)


def test_bad_options(dem):
    with pytest.raises(InvalidParameterError, match=r"units: unknown value 'degree'.*did you mean 'degrees'"):
        terrain.slope(dem, units="degree")
    with pytest.raises(InvalidParameterError, match="altitude must be within"):
        terrain.hillshade(dem, altitude=95)
    with pytest.raises(InvalidParameterError, match="method: unknown value"):
        terrain.ruggedness(dem, method="sappington")
    with pytest.raises(InvalidParameterError, match=r"dem must be an xarray\.DataArray"):
        terrain.slope(dem.values)


# Fixture tests/criteria/data/gdaldem_edges_fixture.npz, made once with GDAL 3.6.2 (Debian gdal-bin): the
# DEM above with one nodata cell, dem[7, 6] = -9999 (float32 GeoTIFF, nodata -9999, same CRS and
# transform), then
#   gdaldem slope -compute_edges dem.tif slope.tif;  gdaldem slope -p -compute_edges dem.tif slopep.tif
#   gdaldem aspect -compute_edges dem.tif aspect.tif; gdaldem hillshade -compute_edges dem.tif hillshade.tif
# (nodata -9999 / 0 turned into NaN; stored as float32).
EDGES = np.load(Path(__file__).parent / "data" / "gdaldem_edges_fixture.npz")


@pytest.mark.parametrize(
    ("func", "kwargs", "key", "tol"),
    [
        (terrain.slope, {}, "slope", 1e-3),
        (terrain.slope, {"units": "percent"}, "slopep", 1e-3),
        (terrain.aspect, {}, "aspect", 1e-3),
        (terrain.hillshade, {}, "hillshade", 0.5 + 1e-6),  # gdaldem rounds hillshade to a byte
    ],
)
def test_compute_edges_matches_gdaldem_compute_edges(func, kwargs, key, tol):
    g = sg.Grid(crs="EPSG:32649", transform=(30, 0, 400000, 0, -30, 4431000), shape=(12, 15))
    dem = g.to_dataarray(EDGES["dem"].astype(float), name="dem", units="m")
    out = func(dem, compute_edges=True, **kwargs).values
    expected = EDGES[key].astype(float)
    # NaN only where the DEM is (and, for aspect, on the flat plateau): the ring and the cells
    # around the hole have values, as gdaldem -compute_edges gives them
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    assert np.isfinite(out[0]).all() or key == "aspect"
    np.testing.assert_allclose(out, expected, atol=tol, equal_nan=True)
    # without the option the ring and the hole's neighbours are NaN, as plain gdaldem
    plain = func(dem, **kwargs).values
    assert np.isnan(plain[0]).all() and np.isnan(plain[6:9, 5:8]).all()


def test_compute_edges_is_the_same_per_window_with_a_halo():
    g = sg.Grid(crs="EPSG:32649", transform=(30, 0, 400000, 0, -30, 4431000), shape=(12, 15))
    z = EDGES["dem"].astype(float)
    whole = terrain.slope_kernel(z, 30.0, 30.0, compute_edges=True)
    tiled = np.full_like(whole, np.nan)
    for w in g.windows((5, 4), halo=terrain.HALO):
        rows, cols = w.padded.toslices()
        part = terrain.slope_kernel(z[rows, cols], 30.0, 30.0, compute_edges=True)
        core_rows, core_cols = w.core.toslices()
        tiled[core_rows, core_cols] = part[w.inner]
    np.testing.assert_array_equal(tiled, whole)
