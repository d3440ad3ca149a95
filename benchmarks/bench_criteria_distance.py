"""Capped distance window by window vs one whole-array distance_transform_edt (4000 x 4000).

Run by hand: ``python benchmarks/bench_criteria_distance.py``. In one process run it times
``scipy.ndimage.distance_transform_edt`` over the whole feature array (the peer),
:func:`steppe_geo.criteria.proximity.distance_windowed` (1000 m cap on 30 m pixels, 1024-pixel
windows) and the public :func:`steppe_geo.criteria.distance` with ``window=1024`` on the same
mask as a boolean raster (validation, mask, windows, DataArray), checks they agree within the
cap, and measures the peak of temporary memory (tracemalloc, numpy allocations; input and output
arrays excluded) for two grid sizes. Appends to benchmarks/results/criteria.md with the 1-minute
load average (the machine is shared). Targets: time ratio <= 1.5; windowed temporary memory set
by the window (same for both grid sizes), not by the grid.
"""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import numpy as np
from scipy import ndimage

from steppe_geo import Grid
from steppe_geo.criteria.proximity import distance, distance_kernel, distance_windowed

RESULTS = Path(__file__).parent / "results" / "criteria.md"
CAP, RES, WINDOW = 1000.0, 30.0, 1024


def features(size: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    mask = np.zeros((size, size), bool)
    mask[rng.integers(0, size, size // 4), rng.integers(0, size, size // 4)] = True  # points
    mask[size // 3, :] = True  # a road
    mask[:, size // 2] = True
    return mask


def raster(mask: np.ndarray):
    grid = Grid(crs="EPSG:32649", transform=(RES, 0, 400_000, 0, -RES, 4_500_000), shape=mask.shape)
    return grid, grid.to_dataarray(mask, name="features")


def public(da, grid) -> np.ndarray:
    return distance(da, grid=grid, max_distance_m=CAP, window=WINDOW).values


def peak_temp_mib(func, mask: np.ndarray) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    out = func(mask)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base - out.nbytes) / 2**20


def main() -> None:
    load_before = os.getloadavg()[0]
    mask = features(4000)
    grid, da = raster(mask)
    t0 = time.perf_counter()
    whole = ndimage.distance_transform_edt(~mask, sampling=(RES, RES))
    t_whole = time.perf_counter() - t0
    t0 = time.perf_counter()
    win = distance_windowed(mask, (RES, RES), CAP, window=WINDOW)
    t_win = time.perf_counter() - t0
    t0 = time.perf_counter()
    pub = public(da, grid)
    t_pub = time.perf_counter() - t0
    capped = distance_kernel(mask, (RES, RES), CAP)
    assert np.array_equal(win, capped) and np.allclose(np.where(whole > CAP, np.inf, whole), win)
    assert np.array_equal(pub, capped)
    load_after = os.getloadavg()[0]
    load = f"load {load_before:.2f} / {load_after:.2f}"
    lines = [f"| capped distance 4000^2, cap {CAP:g} m, window {WINDOW} | windowed {t_win:.2f} s | "
             f"whole-array EDT {t_whole:.2f} s | **{t_win / t_whole:.2f}x** (target <= 1.5) | {load} |",
             f"| public distance(raster, window={WINDOW}) 4000^2 | {t_pub:.2f} s | "
             f"whole-array EDT {t_whole:.2f} s | **{t_pub / t_whole:.2f}x** | |"]
    for size in (2000, 4000):
        m = features(size)
        g, d = raster(m)
        mem_win = peak_temp_mib(lambda a: distance_windowed(a, (RES, RES), CAP, window=WINDOW), m)
        mem_pub = peak_temp_mib(lambda a, g=g, d=d: public(d, g), m)
        mem_edt = peak_temp_mib(lambda a: ndimage.distance_transform_edt(~a, sampling=(RES, RES)), m)
        lines.append(f"| peak temporary memory, {size}^2 | windowed {mem_win:.0f} MiB; public "
                     f"{mem_pub:.0f} MiB (output {m.size * 8 / 2**20:.0f} MiB) | "
                     f"whole-array EDT {mem_edt:.0f} MiB | | |")
    for line in lines:
        print(line)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
