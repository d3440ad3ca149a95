"""Benchmark: parcels.zonal_stats vs exactextract (one call, 8 bands) vs rasterstats; Monte Carlo ranks.

Run by hand: ``python benchmarks/bench_parcels_zonal.py [size] [n_parcels]`` (default 4000 x 4000,
5,000 parcels, 8 layers). Writes ``benchmarks/results/parcels.md``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import exactextract
import geopandas as gpd
import numpy as np
import shapely

import steppe_geo as sg
from steppe_geo.parcels import rank_stability, zonal_stats

NOTES = """Notes. zonal_stats = one exactextract pass for coverage (cell ids + fractions, geometry handed
over as WKB) + per layer a gather of the covered cells (parcels taken in the order of their first
covered cell, so the gather walks the raster nearly sequentially) and per-row sums; nodata (NaN
and a declared float nodata) is decoded on the gathered cells only. rank_stability = blocks of
256 draws on two threads: one matrix product, one SIMD sort of packed 64-bit (score, index) keys
per draw, a scatter of the ranks into a parcels x draws table; then numpy's SIMD sort of each
parcel's contiguous 16-bit ranks for the 5-95 % interval. Timings vary between runs because the
2 cores are shared; load = 1-minute load average before / after the run.
"""


def _best(f, repeats: int):
    """Shortest of ``repeats`` timings of ``f()`` (the machine is shared) and the last result."""
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(size: int = 4000, n_parcels: int = 5000, n_layers: int = 8, repeats: int = 3) -> str:
    load_before = os.getloadavg()[0]
    rng = np.random.default_rng(1)
    from affine import Affine
    top = 4_400_000.0 + size * 30
    grid = sg.Grid("EPSG:32649", Affine(30.0, 0.0, 400_000.0, 0.0, -30.0, top), (size, size))
    stack = rng.random((n_layers, size, size), dtype=np.float32)
    stack[:, rng.random((size, size)) < 0.02] = np.nan
    layers = {f"c{i}": grid.to_dataarray(stack[i]) for i in range(n_layers)}
    x0, y0, x1, y1 = grid.bounds
    cx, cy = rng.uniform(x0, x1, n_parcels), rng.uniform(y0, y1, n_parcels)
    r = rng.uniform(100, 800, n_parcels)  # parcels of ~3 to ~200 ha
    parcels = gpd.GeoDataFrame(geometry=shapely.buffer(shapely.points(cx, cy), r, quad_segs=6), crs=grid.crs)

    # exactextract's fastest in-memory input: one NumPy raster source per band, one call.
    from exactextract.raster import NumPyRasterSource
    srcs = [NumPyRasterSource(stack[i], x0, y0, x1, y1, nodata=np.nan, srs_wkt=grid.crs.to_wkt(),
                              name=f"c{i}") for i in range(n_layers)]
    from steppe_geo.parcels.coverage import _wkb_source

    t_ours, ours = _best(lambda: zonal_stats(parcels, layers), repeats)
    t_ee, ref = _best(lambda: exactextract.exact_extract(srcs, parcels, ["mean"], output="pandas"), repeats)
    ee_cols = list(ref.columns)
    # The same call with the WKB feature source that zonal_stats hands to exactextract.
    t_ee_wkb, _ = _best(lambda: exactextract.exact_extract(srcs, _wkb_source(parcels.geometry.values, grid),
                                                           ["mean"], output="pandas"), repeats)
    err = max(np.nanmax(np.abs(ours[f"c{i}_mean"].to_numpy() - ref[ee_cols[i]].to_numpy())
                        / np.abs(ref[ee_cols[i]].to_numpy())) for i in range(n_layers))
    t_ee1, _ = _best(lambda: exactextract.exact_extract(srcs[0], parcels, ["mean"], output="pandas"), repeats)

    from rasterstats import zonal_stats as rs_zonal
    n_sub = min(200, n_parcels)
    sub = parcels.iloc[:n_sub]
    t = time.perf_counter()
    for i in range(n_layers):
        rs_zonal(sub, stack[i], affine=grid.transform, stats=["mean"], nodata=np.nan)
    t_rs = (time.perf_counter() - t) * n_parcels / n_sub

    crit = ours[[f"c{i}_mean" for i in range(n_layers)]].fillna(0.0)
    weights = {f"c{i}_mean": 1.0 for i in range(n_layers)}
    t_mc, _ = _best(lambda: rank_stability(crit, weights=weights, n_draws=10_000, top_k=50,
                                           rng=np.random.default_rng(0)), repeats)

    lines = [
        "# parcels benchmarks",
        "",
        f"Raster {size} x {size}, {n_layers} float32 layers (2 % NaN), {n_parcels} circular parcels "
        f"(3–200 ha). Machine: 2 shared cores. One process; each time is the shortest of {repeats} runs "
        "(rasterstats: one run), in seconds.",
        "",
        "| step | seconds | ratio |",
        "|---|---|---|",
        f"| steppe_geo zonal_stats, 8 layers (coverage once + sparse products) | {t_ours:.2f} | 1 |",
        f"| exactextract.exact_extract, one call, 8 NumPy raster sources, GeoDataFrame, mean | {t_ee:.2f} | "
        f"ours / exactextract = {t_ours / t_ee:.2f} |",
        f"| exactextract, same 8-source call fed WKB (as zonal_stats does) | {t_ee_wkb:.2f} | "
        f"ours / exactextract(WKB) = {t_ours / t_ee_wkb:.2f} |",
        f"| rasterstats, 8 layers (timed on {n_sub} parcels, extrapolated) | {t_rs:.1f} | "
        f"rasterstats / ours = {t_rs / t_ours:.1f} |",
        f"| exactextract, one layer, mean (GeoDataFrame input) | {t_ee1:.2f} | |",
        f"| rank_stability, 10,000 Dirichlet weight draws x {n_parcels} parcels | {t_mc:.2f} | "
        f"MC / exactextract one layer = {t_mc / t_ee1:.2f} |",
        "",
        f"Largest relative difference of the means vs exactextract: {err:.2e}. "
        f"Load: {load_before:.2f} / {os.getloadavg()[0]:.2f}.",
        "",
        NOTES,
    ]
    text = "\n".join(lines)
    print(text)
    return text


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    out = main(*args)
    if not args:
        (Path(__file__).parent / "results" / "parcels.md").write_text(out)
