"""Sizes refused before any work: grid and raster pixel caps, memory-mode runs that would not fit.

Numbers are worked by hand in each test (bounds / resolution, bands × bytes) or read back from real
files with rasterio; nothing here allocates a large array: a 10¹²-pixel raster is a VRT header.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

import steppe_geo as sg
from steppe_geo.config import config_from_dict
from steppe_geo.datasets import sample_paths
from steppe_geo.errors import SizeLimitError
from steppe_geo.grid import MAX_GRID_PIXELS
from steppe_geo.pipeline import STAGE_PREFIX, check_config, check_run_size, estimate_run
from steppe_geo.pipeline.estimate import (
    BASE_BYTES,
    MODEL_BYTES_PER_PIXEL,
    OUTPUT_BYTES_PER_PIXEL,
    RUN_BYTES_PER_PIXEL,
)

CLI = [sys.executable, "-m", "steppe_geo.cli"]
GIB = 1024**3


def _sample(resolution_m: float, *, mode: str = "memory", models: tuple[str, ...] = ("wind_onshore",),
            **inputs: str) -> dict:
    layers = {k: f"sample:{k}" for k in sample_paths()}
    layers.update(inputs)
    return {
        "sources": layers,
        "grid": {"aoi": "aoi", "resolution_m": resolution_m},
        "models": {p.split("_")[0]: {"preset": p} for p in models},
        "outputs": {"directory": "out", "maps": [], "report": False, "vectors": []},
        "run": {"mode": mode},
    }


def _huge_vrt(path: Path, rows: int, cols: int, bands: int = 1) -> Path:
    """A real VRT declaring ``rows × cols × bands`` pixels (a header only: nothing to allocate)."""
    band = '<VRTRasterBand dataType="Byte" band="{b}"/>'
    path.write_text(
        f'<VRTDataset rasterXSize="{cols}" rasterYSize="{rows}">'
        '<SRS>EPSG:32649</SRS><GeoTransform>400000, 1, 0, 4500000, 0, -1</GeoTransform>'
        + "".join(band.format(b=b + 1) for b in range(bands)) + "</VRTDataset>", encoding="utf-8")
    with rasterio.open(path) as ds:  # GDAL reads the header as declared
        assert (ds.count, ds.height, ds.width) == (bands, rows, cols)
    return path


# ------------------------------------------------------------------ grid cap
def test_absurd_resolution_is_refused_by_the_grid_before_any_allocation():
    # 70 km x 45 km at 0.05 m: 1 400 000 cols x 900 000 rows = 1.26e12 pixels (by hand)
    with pytest.raises(SizeLimitError, match=r"900,000 × 1,400,000 = 1\.26e\+12 pixels, more than the limit "
                                             r"of 1e\+10 pixels.*at least 0\.567") as info:
        sg.Grid.from_bounds((0, 0, 70_000, 45_000), crs="EPSG:32649", resolution_m=0.05)
    assert isinstance(info.value, MemoryError)  # also the built-in it refines
    # sqrt(70 000 * 45 000 / 1e10) = 0.5612 m, shown with a 1 % margin: 0.567 m fits
    assert sg.Grid.from_bounds((0, 0, 70_000, 45_000), crs="EPSG:32649", resolution_m=0.567).shape == \
        (79_366, 123_457)


def test_grid_cap_is_exact():
    assert MAX_GRID_PIXELS == 10**10
    g = sg.Grid.from_bounds((0, 0, 100_000, 100_000), crs="EPSG:32649", resolution_m=1)
    assert g.shape == (100_000, 100_000)  # 1e10 exactly: allowed (a Grid holds no pixels)
    with pytest.raises(SizeLimitError, match=r"100,001 × 100,000 = 1e\+10 pixels"):
        sg.Grid.from_bounds((0, 0, 100_000, 100_001), crs="EPSG:32649", resolution_m=1)


def test_grid_for_area_refuses_an_absurd_resolution():
    aoi = sg.read_vector(sample_paths()["aoi"])
    with pytest.raises(SizeLimitError, match=r"grid at resolution 0\.05 x 0\.05: .* pixels"):
        sg.Grid.for_area(aoi, resolution_m=0.05)


# ------------------------------------------------------------------ raster cap (header only)
def test_read_raster_refuses_a_raster_declaring_1e12_pixels_from_its_header(tmp_path):
    vrt = _huge_vrt(tmp_path / "huge.vrt", 1_000_000, 1_000_000)
    with pytest.raises(SizeLimitError, match=r"raster '.*huge\.vrt': 1,000,000 × 1,000,000 = 1e\+12 pixels"):
        sg.read_raster(vrt)


def test_read_raster_counts_bands(tmp_path):
    vrt = _huge_vrt(tmp_path / "bands.vrt", 50_000, 50_000, bands=5)  # 2.5e9 x 5 = 1.25e10
    with pytest.raises(SizeLimitError, match=r"50,000 × 50,000 × 5 bands = 1\.25e\+10 pixels"):
        sg.read_raster(vrt)


def test_check_config_refuses_an_input_raster_declaring_1e12_pixels(tmp_path):
    vrt = _huge_vrt(tmp_path / "dem.vrt", 1_000_000, 1_000_000)
    cfg = config_from_dict(_sample(2000, dem=str(vrt)), base_dir=tmp_path)
    with pytest.raises(SizeLimitError, match=r"^sources\.dem \('dem\.vrt'\): 1,000,000 × 1,000,000 = 1e\+12 "
                                             r"pixels, more than the limit"):
        check_config(cfg)


def test_allocation_check_names_what_and_how_much():
    from steppe_geo._validation import check_allocation

    check_allocation(100, what="x", available=100)  # exactly fits
    with pytest.raises(SizeLimitError, match=r"^reading y needs 1\.5 GiB of memory, but only 1 GiB is "
                                             r"available; crop it$"):
        check_allocation(3 * GIB // 2, what="reading y", hint="crop it", available=GIB)


# ------------------------------------------------------------------ the estimate
def test_estimate_is_the_documented_sum(tmp_path):
    cfg = config_from_dict(_sample(2000, models=("wind_onshore", "solar_pv")), base_dir=tmp_path)
    est = estimate_run(cfg, available=64 * GIB)
    grid = sg.datasets.sample_grid(2000)
    assert est.grid_shape == grid.shape and est.pixels == grid.shape[0] * grid.shape[1]
    # aligned inputs: every raster's bands (read back with rasterio), 4 bytes each (float32)
    bands = 0
    for p in sample_paths().values():
        if p.suffix == ".tif":
            with rasterio.open(p) as ds:
                bands += ds.count
    assert bands == 34  # 10 single-band layers + 24 NDVI years
    per_pixel = RUN_BYTES_PER_PIXEL + 4 * bands + MODEL_BYTES_PER_PIXEL["wind_onshore"] \
        + MODEL_BYTES_PER_PIXEL["solar_pv"]
    assert est.peak_bytes == BASE_BYTES + est.pixels * per_pixel
    assert est.output_bytes == est.pixels * 2 * (4 + 1 + 4) == est.pixels * 2 * OUTPUT_BYTES_PER_PIXEL
    assert est.mode == "memory" and est.fits and est.available_bytes == 64 * GIB


def test_estimate_grows_with_the_square_of_the_resolution(tmp_path):
    a = estimate_run(config_from_dict(_sample(200), base_dir=tmp_path), available=GIB)
    b = estimate_run(config_from_dict(_sample(100), base_dir=tmp_path), available=GIB)
    assert b.pixels / a.pixels == pytest.approx(4, rel=0.02)
    assert (b.peak_bytes - BASE_BYTES) / (a.peak_bytes - BASE_BYTES) == pytest.approx(4, rel=0.02)


def test_memory_mode_that_would_not_fit_is_refused_and_streamed_is_suggested(tmp_path):
    cfg = config_from_dict(_sample(500), base_dir=tmp_path)
    est = estimate_run(cfg, available=GIB)
    small = BASE_BYTES + (est.peak_bytes - BASE_BYTES) // 2  # half of what the grid needs
    message = (r"^run\.mode = 'memory': the grid of .* million pixels .* at grid\.resolution_m = 500\) "
               r"with 1 model\(s\) needs about .* of memory in memory mode, but only .* is available\. "
               r"Set run\.mode = \"streamed\" .* or run on Dask .* \(grid\.resolution_m ≥ (70[0-9])\)")
    with pytest.raises(SizeLimitError, match=message):
        check_run_size(cfg, mode="memory", available=small)
    # half the memory for the pixels: sqrt(2) x the resolution fits, 500 * 1.414 = 707 m
    for mode in ("streamed", "dask"):  # only memory mode is refused
        assert check_run_size(cfg, mode=mode, available=small).mode == mode
    assert check_run_size(cfg, mode="memory", available=est.peak_bytes).fits


def test_validate_prints_the_estimate_and_refuses_an_absurd_grid(tmp_path):
    import tomli_w

    ok = tmp_path / "ok.toml"
    ok.write_text(tomli_w.dumps(_sample(1000)), encoding="utf-8")
    proc = subprocess.run([*CLI, "validate", str(ok)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows, cols = sg.datasets.sample_grid(1000).shape
    assert f"Size: grid {rows} × {cols} = {rows * cols / 1e6:.3g} Mpx at 1000 m; 1 model; raster outputs ≤ " \
        in proc.stdout
    assert "estimated peak memory in memory mode" in proc.stdout and "available)" in proc.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(tomli_w.dumps(_sample(0.05)), encoding="utf-8")
    proc = subprocess.run([*CLI, "validate", str(bad)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: grid.resolution_m = 0.05: grid at resolution 0.05 x 0.05: ")
    assert "Traceback" not in proc.stderr and "numpy" not in proc.stderr


def test_run_refuses_memory_mode_that_cannot_fit_before_any_output(tmp_path):
    import tomli_w

    # 1 m over the 70 x 45 km sample AOI: about 3 billion pixels, terabytes in memory mode
    cfg = tmp_path / "big.toml"
    data = _sample(1)
    data["outputs"]["directory"] = str(tmp_path / "out")
    cfg.write_text(tomli_w.dumps(data), encoding="utf-8")
    proc = subprocess.run([*CLI, "run", str(cfg)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert proc.returncode == 1, proc.stderr
    assert "Error: run.mode = 'memory': the grid of" in proc.stderr and "TiB of memory" in proc.stderr
    assert 'Set run.mode = "streamed"' in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.toml"]  # no output, no staging folder
    assert not list(tmp_path.glob(STAGE_PREFIX + "*"))


def test_small_real_raster_reads_normally(tmp_path):
    path = tmp_path / "small.tif"
    with rasterio.open(path, "w", driver="GTiff", width=3, height=2, count=1, dtype="float32",
                       crs="EPSG:32649", transform=from_origin(0, 2, 1, 1)) as ds:
        ds.write(np.arange(6, dtype="float32").reshape(1, 2, 3))
    assert sg.read_raster(path).shape == (2, 3)  # the guards refuse nothing that fits
