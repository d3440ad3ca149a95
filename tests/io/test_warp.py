"""``read_window`` with ``bands``: a few years of a time stack, read back from a real file."""

from __future__ import annotations

import numpy as np
import pytest

import steppe_geo as sg
from steppe_geo.errors import InvalidParameterError
from steppe_geo.io import read_window, tiled_writer
from steppe_geo.io.raster import KIND_TAG


@pytest.fixture
def stack(tmp_path):
    grid = sg.Grid(crs="EPSG:32649", transform=(30, 0, 400_000, 0, -30, 4_431_000), shape=(20, 30))
    values = np.arange(6 * 20 * 30, dtype=np.float32).reshape(6, 20, 30)
    values[2, 3, 4] = np.nan
    path = tmp_path / "ndvi.tif"
    with tiled_writer(path, grid, dtype=np.float32, nodata=np.nan, count=6,
                      tags={"years": "2001,2002,2003,2004,2005,2006", KIND_TAG: "continuous"}) as out:
        out.write(values)
    return path, values, grid


def test_read_window_bands_gives_those_years_of_the_window(stack):
    path, values, grid = stack
    win = next(iter(grid.windows((8, 12)))).core
    rows, cols = win.toslices()
    whole = read_window(path, win, name="ndvi")
    part = read_window(path, win, name="ndvi", bands=[2, 3, 5])
    assert part.dims == ("time", "y", "x")
    assert part["time"].values.tolist() == [2002, 2003, 2005]
    np.testing.assert_array_equal(part.values, values[[1, 2, 4], rows, cols])
    np.testing.assert_array_equal(part.values, whole.sel(time=[2002, 2003, 2005]).values)
    one = read_window(path, win, name="ndvi", bands=range(6, 7))
    assert one.dims == ("time", "y", "x") and one["time"].values.tolist() == [2006]
    assert one.rio.transform() == whole.rio.transform()


@pytest.mark.parametrize("bands", [[], [0], [7], [3, 2], [2, 2]])
def test_read_window_refuses_bands_the_file_does_not_have(stack, bands):
    path = stack[0]
    with pytest.raises(InvalidParameterError, match=r"bands must be increasing band numbers within 1\.\.6 of "
                                                     r".*ndvi\.tif.*, got \["):
        read_window(path, bands=bands)
