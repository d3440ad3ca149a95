"""Benchmark: read_raster(path, grid=...) vs the same work done by hand with rasterio.

Run by hand: ``python benchmarks/bench_io_read.py``. Source: a 3000 x 3000 int16 raster in
EPSG:4326 with scale 0.0001 and fill -3000 (MODIS-like); target: a UTM 49N grid at 100 m
covering most of it. The peer opens the file, reads the band, decodes scale/fill to float32
NaN and calls ``rasterio.warp.reproject`` (average) onto the same grid. Figures go to
``benchmarks/results/io_read.md``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
import rasterio.warp
from affine import Affine
from rasterio.enums import Resampling

import steppe_geo as sg


def _peer(path: Path, grid: sg.Grid) -> np.ndarray:
    with rasterio.open(path) as ds:
        raw = ds.read(1)
        data = np.where(raw == ds.nodata, np.nan, raw * ds.scales[0]).astype(np.float32)
        out = np.full(grid.shape, np.nan, dtype=np.float32)
        rasterio.warp.reproject(data, out, src_transform=ds.transform, src_crs=ds.crs,
                                dst_transform=grid.transform, dst_crs=grid.crs.to_wkt(),
                                src_nodata=np.nan, dst_nodata=np.nan, resampling=Resampling.average)
    return out


def main() -> str:
    n = 3000
    transform = Affine(0.8 / n, 0, 108.9, 0, -0.4 / n, 40.4)  # 108.9-109.7 E, 40.0-40.4 N
    rng = np.random.default_rng(0)
    raw = rng.integers(-2000, 9000, (n, n)).astype(np.int16)
    raw[:50] = -3000
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "ndvi.tif"
        with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="int16",
                           crs="EPSG:4326", transform=transform, nodata=-3000, tiled=True) as ds:
            ds.write(raw, 1)
            ds.scales = (0.0001,)
        w, s, e, no = rasterio.warp.transform_bounds("EPSG:4326", "EPSG:32649", 108.95, 40.02, 109.65, 40.38)
        grid = sg.Grid.from_bounds((w, s, e, no), crs="EPSG:32649", resolution_m=100)
        times = {}
        for name, fn in (("rasterio by hand (read, decode, reproject average)", _peer),
                         ("steppe_geo.read_raster(path, grid=grid)",
                          lambda p, g: sg.read_raster(p, grid=g).values)):
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                res = fn(path, grid)
                best = min(best, time.perf_counter() - t0)
            times[name] = (best, res)
        (t_peer, a), (t_ours, b) = times.values()
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True)
    lines = [f"# Read and align, {n} x {n} int16 EPSG:4326 -> UTM 49N {grid.shape} at 100 m "
             "(best of 3, one process run)", "", "| method | seconds |", "|---|---|"]
    lines += [f"| {k} | {v[0]:.3f} |" for k, v in times.items()]
    lines += ["", f"Ratio read_raster / by hand: **{t_ours / t_peer:.2f}x** (identical values)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    text = main()
    (Path(__file__).parent / "results" / "io_read.md").write_text(text, encoding="utf-8")
    print(text)
