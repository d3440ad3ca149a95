"""Synthetic model files shared by ``bench_outputs.py`` and ``bench_outputs_dask.py`` (not a benchmark).

A smooth pattern on a square grid written as tiled GeoTIFFs: score, eligible, exclusion bitmask,
three criteria and a DEM, as a streamed run's models stage leaves them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from steppe_geo.grid import Grid
from steppe_geo.io import tiled_writer


def write_model_files(grid: Grid, work: Path, rng: np.random.Generator) -> dict[str, Path]:
    """Write the files into ``work`` and return name -> path."""
    size = grid.shape[0]
    specs = {"score": ("float32", np.nan, 1), "eligible": ("uint8", 255, 1), "exclusion": ("uint32", None, 1),
             "criteria": ("float32", np.nan, 3), "dem": ("float32", np.nan, 1)}
    files = {}
    for name, (dtype, nodata, count) in specs.items():
        files[name] = work / f"{name}.tif"
        kind = "continuous" if dtype == "float32" else "categorical"
        with tiled_writer(files[name], grid, dtype=dtype, nodata=nodata, count=count,
                          tags={"STEPPE_GEO_KIND": kind}) as ds:
            for r0 in range(0, size, 512):
                rows = min(512, size - r0)
                y = np.linspace(r0, r0 + rows, rows)[:, None] / size
                x = np.linspace(0, 1, size)[None, :]
                base = (0.5 + 0.5 * np.sin(6 * x) * np.cos(4 * y)).astype(np.float32)
                if name == "exclusion":
                    arr = ((base > 0.8) * 4 + (base < 0.1) * 8 + (x < 0.05) * 1).astype(np.uint32)
                elif name == "eligible":
                    arr = ((base <= 0.8) & (base >= 0.1) & (x >= 0.05)).astype(np.uint8)
                elif name == "score":
                    keep = (base <= 0.8) & (base >= 0.1) & (x >= 0.05)
                    arr = np.where(keep, base, np.nan).astype(np.float32)
                elif name == "dem":
                    arr = (1000 + 200 * base + rng.normal(0, 1, base.shape)).astype(np.float32)
                else:
                    arr = np.stack([base, 1 - base, base * base])
                ds.write(arr.reshape(count, rows, size), window=((r0, r0 + rows), (0, size)))
    return files
