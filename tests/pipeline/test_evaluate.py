"""The models stage's whole-grid parameters, computed window by window: the values of the whole grid."""

from __future__ import annotations

import tracemalloc

import geopandas as gpd
import numpy as np
import pytest

import steppe_geo as sg
from steppe_geo.criteria.vegetation import fvc_endmembers
from steppe_geo.datasets import sample_paths
from steppe_geo.errors import InvalidParameterError
from steppe_geo.io import align_to_file, read_raster, read_window, tiled_writer
from steppe_geo.io.raster import KIND_TAG
from steppe_geo.models._derivation_layers import _time_mean
from steppe_geo.pipeline.evaluate import _ndvi_endmembers, _window_time_mean


def _endmembers(path, name, grid, window):
    st = path.stat()
    return _ndvi_endmembers(str(path), st.st_mtime_ns, st.st_size, name, grid, window)


def test_ndvi_endmembers_windowed_equal_whole_grid(tmp_path):
    # the sample NDVI stack (24 yearly bands) aligned at 2 km (about 28 x 40 pixels, NaN outside the
    # source), end-members from 7-pixel windows against fvc_endmembers on the whole time mean (memory
    # mode) and against numpy's nanpercentile of the per-pixel nanmean
    paths = sample_paths()
    grid = sg.Grid.for_area(gpd.read_file(paths["aoi"]), resolution_m=2000)
    aligned = align_to_file(paths["ndvi"], tmp_path / "ndvi.tif", grid=grid)
    whole = read_raster(paths["ndvi"], grid=grid)
    assert "time" in whole.dims and whole.sizes["time"] > 1
    expected = fvc_endmembers(_time_mean(whole))
    got = _endmembers(aligned, "ndvi", grid, 7)
    assert got == expected  # bitwise
    mean = np.nanmean(np.asarray(whole.values, dtype=np.float32), axis=0)
    np.testing.assert_allclose(got, np.nanpercentile(mean.astype(np.float64), [5, 95]), rtol=1e-6)
    assert got[0] < got[1]
    assert not any(p.name.startswith(".ndvi_mean-") for p in tmp_path.iterdir())  # temporary file gone


def test_ndvi_endmembers_without_valid_values(tmp_path):
    grid = sg.Grid.from_bounds((400_000, 4_430_000, 401_000, 4_431_000), crs="EPSG:32649", resolution_m=100)
    path = tmp_path / "ndvi_empty.tif"
    with tiled_writer(path, grid, dtype=np.float32, nodata=np.nan) as out:
        out.write(np.full((1, *grid.shape), np.nan, dtype=np.float32))
    with pytest.raises(InvalidParameterError, match=r"ndvi: no valid values .*'ndvi_empty'"):
        _endmembers(path, "ndvi_empty", grid, 4)


def _write_stack(path, grid, n_bands, rng):
    """A (time, y, x) float32 NDVI stack with missing years and a pixel missing in every year."""
    y = rng.normal(0.3, 0.1, (n_bands, *grid.shape)).astype(np.float32)
    y[rng.random(y.shape) < 0.2] = np.nan
    y[:, 0, 0] = np.nan
    years = ",".join(str(2001 + i) for i in range(n_bands))
    with tiled_writer(path, grid, dtype=np.float32, nodata=np.nan, count=n_bands,
                      tags={"years": years, KIND_TAG: "continuous"}) as out:
        out.write(y)
    return y


def test_window_time_mean_equals_numpys_nanmean_of_the_whole_stack(tmp_path, rng):
    # 37 x 53 pixels in 16-pixel windows (the last row and column of windows are 5 and 5 pixels),
    # 24 years read 5 at a time (the last read 4): numpy's nanmean of the whole stack, bit for bit
    grid = sg.Grid(crs="EPSG:32649", transform=(30, 0, 400_000, 0, -30, 4_431_110), shape=(37, 53))
    path = tmp_path / "ndvi.tif"
    stack = _write_stack(path, grid, 24, rng)
    got = np.full(grid.shape, -1.0, dtype=np.float32)
    for w in grid.windows(16):
        part = _window_time_mean(str(path), w.core, name="ndvi", bands=24, budget=5 * 4 * 16 * 16)
        assert part.dtype == np.float32
        got[w.core_slices] = part
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        expected = np.nanmean(stack, axis=0)
    np.testing.assert_array_equal(got, expected)
    ok = ~np.isnan(expected)
    assert np.array_equal(got[ok].view(np.uint32), expected[ok].view(np.uint32))
    assert np.isnan(got[0, 0])


def _traced_peak(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_window_time_mean_memory_does_not_grow_with_the_number_of_bands(tmp_path, rng):
    # one 384 x 384 window of a 6-band and of a 24-band stack, read 2 bands (1.1 MiB) at a time:
    # the peak of numpy's allocations (tracemalloc) is a fixed number of bytes per window pixel —
    # 2 bands read (8), the sum and count (4 + 8), a band's mask and filled copy (1 + 4) — whatever
    # the number of bands; the whole-window read and nanmean (memory mode's way) grows with them
    grid = sg.Grid(crs="EPSG:32649", transform=(30, 0, 400_000, 0, -30, 4_441_520), shape=(384, 384))
    win = next(iter(grid.windows(384))).core
    pixels = grid.rows * grid.cols
    peaks = {}
    for n in (6, 24):
        path = tmp_path / f"ndvi_{n}.tif"
        _write_stack(path, grid, n, rng)
        peaks[n] = _traced_peak(lambda path=path, n=n: _window_time_mean(
            str(path), win, name="ndvi", bands=n, budget=2 * 4 * pixels))
        if n == 24:
            whole = _traced_peak(lambda path=path: _time_mean(read_window(path, win, name="ndvi")))
    assert peaks[6] < 40 * pixels
    assert peaks[24] < 40 * pixels
    assert peaks[24] < 1.1 * peaks[6]
    assert whole > 24 * 4 * pixels  # the 24 bands held at once: the bound above is not trivial
