"""Deterministic smooth input layers for the mcda benchmarks (tiled, compressed GeoTIFFs).

Written window by window with plain rasterio so generation never holds a whole layer.
Outputs go to benchmarks/_data (gitignored); existing files are reused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.windows import Window

import steppe_geo as sg

DATA = Path(__file__).parent / "_data"


def bench_grid(size: int) -> sg.Grid:
    return sg.Grid("EPSG:32649", Affine(30.0, 0.0, 400_000.0, 0.0, -30.0, 4_500_000.0), (size, size))


def _field(k: int, rows: np.ndarray, cols: np.ndarray, size: int, dtype: str) -> np.ndarray:
    y = rows[:, None] / size * (3 + k)
    x = cols[None, :] / size * (2 + 0.5 * k)
    v = 0.5 + 0.25 * np.sin(2 * np.pi * x + k) * np.cos(2 * np.pi * y - k)
    v = v + 0.25 * np.sin(np.pi * (x + y) * 7)
    if dtype == "uint8":
        return np.round(np.clip(v, 0, 1) * 250).astype(np.uint8)
    return (10 * v).astype(np.float32)


def make_inputs(size: int, n_layers: int = 8, *, dtype: str = "float32", block: int = 512) -> dict[str, Path]:
    """Create (or reuse) ``n_layers`` size x size GeoTIFFs; return layer name → path."""
    grid = bench_grid(size)
    out = DATA / f"mcda_{size}_{dtype}"
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for k in range(n_layers):
        path = out / f"layer{k}.tif"
        paths[f"layer{k}"] = path
        if path.exists():
            continue
        tmp = path.with_suffix(".tmp.tif")
        profile = {"driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": dtype,
                   "crs": grid.crs.to_wkt(), "transform": grid.transform, "tiled": True,
                   "blockxsize": block, "blockysize": block, "compress": "deflate",
                   "predictor": 2 if dtype == "uint8" else 3,
                   "nodata": None if dtype == "uint8" else float("nan"), "BIGTIFF": "IF_SAFER"}
        with rasterio.Env(GDAL_CACHEMAX=128), rasterio.open(tmp, "w", **profile) as ds:
            for r0 in range(0, size, 2048):
                rows = np.arange(r0, min(size, r0 + 2048))
                for c0 in range(0, size, 2048):
                    cols = np.arange(c0, min(size, c0 + 2048))
                    ds.write(_field(k, rows, cols, size, dtype),
                             1, window=Window(c0, r0, cols.size, rows.size))
        tmp.rename(path)
    return paths
