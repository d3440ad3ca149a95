"""Benchmark: one window's capped distance, scipy's transform of the grown square against the bounded path.

Run by hand from the repository root::

    python benchmarks/bench_capped_distance_window.py 25:20000:roads 10:25000:settlements 5:25000:power_lines

Each ``RESOLUTION:CAP:LAYER`` takes the sample AOI's grid at ``RESOLUTION`` metres, a 1024-pixel
window a third of the way into it (as ``derive_windowed`` reads it: no halo, the vectors whole), and
the sample vector ``LAYER`` with a distance cap of ``CAP`` metres; it computes the window's distance
(``all_touched``, as the derivation ``distance`` burns) both ways on the same expanded grid:

- ``dense``: the features burned on the window grown by the cap and scipy's
  ``distance_transform_edt`` of it (what ``criteria.distance`` does below ``SPARSE_MIN_PIXELS``);
- ``sparse``: ``criteria.proximity._distance_sparse`` (above it).

Reported: CPU seconds (``time.process_time``), peak traced memory (``tracemalloc``, numpy's
allocations included), and whether the two results are equal to the bit. Prints a Markdown table.
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import geopandas as gpd
import numpy as np

import steppe_geo as sg
from steppe_geo.criteria import proximity
from steppe_geo.datasets import sample_paths

MIB = 1024**2


def one(resolution: float, cap: float, layer: str) -> str:
    """One Markdown row: both ways on one window."""
    paths = sample_paths()
    grid = sg.Grid.for_area(gpd.read_file(paths["aoi"]), resolution_m=resolution)
    win = next(w for w in grid.windows(1024)
               if w.core.row_off >= grid.rows // 3 and w.core.col_off >= grid.cols // 3)
    wg = win.padded_grid
    feats = gpd.read_file(paths[layer]).to_crs(grid.crs)
    geoms, big, top, left = proximity._vector_reach(feats, wg, cap)
    out, cpu, peak = {}, {}, {}
    for how in ("dense", "sparse"):
        tracemalloc.start()
        t0 = time.process_time()
        if how == "sparse":
            out[how] = proximity._distance_sparse(geoms, big, (top, left), wg.shape, cap, True)
        else:
            full = proximity.distance_kernel(proximity._burn(geoms, big, True), (resolution, resolution), cap)
            out[how] = np.ascontiguousarray(full[top:top + wg.rows, left:left + wg.cols])
            del full
        cpu[how] = time.process_time() - t0
        peak[how] = tracemalloc.get_traced_memory()[1] / MIB
        tracemalloc.stop()
    same = np.array_equal(out["dense"], out["sparse"])
    differ = int((out["dense"] != out["sparse"]).sum())
    return (f"| {resolution:g} m | {layer} | {cap:g} | {wg.rows} x {wg.cols} | {big.rows} x {big.cols} | "
            f"{cpu['dense']:.2f} | {cpu['sparse']:.2f} | {peak['dense']:.0f} | {peak['sparse']:.0f} | "
            f"{'yes' if same else f'no ({differ} px)'} |")


def main(argv: list[str]) -> None:
    print("| resolution | layer | cap (m) | window | grown square (px) | dense CPU (s) | sparse CPU (s) "
          "| dense peak (MiB) | sparse peak (MiB) | equal |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for spec in argv or ["25:20000:roads", "10:25000:settlements"]:
        res, cap, layer = spec.split(":")
        print(one(float(res), float(cap), layer), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
