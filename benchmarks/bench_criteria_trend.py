"""Vectorised per-pixel trend vs scipy.stats per pixel (24 years x 1,000,000 pixels).

Run by hand: ``python benchmarks/bench_criteria_trend.py [--pixels 1000000] [--sample 300]``.
Times :func:`steppe_geo.criteria.vegetation.trend_kernel` (Theil-Sen + Mann-Kendall) on the full
array and the per-pixel peer (``scipy.stats.theilslopes`` + ``scipy.stats.kendalltau``) on a sample
of pixels, extrapolated to all pixels; both measured in this run. The kernel is timed with its
default two threads and with one thread; the 1-minute load average is recorded before and after
(the machine is shared). Appends to benchmarks/results/criteria.md. Target: ratio >= 100.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from scipy import stats

from steppe_geo.criteria.vegetation import trend_kernel

RESULTS = Path(__file__).parent / "results" / "criteria.md"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pixels", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=300)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    years = np.arange(2001, 2025, dtype=float)
    y = 0.3 + 0.003 * (years - 2001)[:, None] + rng.normal(0, 0.03, (years.size, args.pixels))
    y = np.round(y, 3)
    y[rng.random(y.shape) < 0.05] = np.nan

    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    res = trend_kernel(y, years)
    t_vec = time.perf_counter() - t0
    t0 = time.perf_counter()
    trend_kernel(y, years, workers=1)
    t_one = time.perf_counter() - t0

    idx = rng.choice(args.pixels, args.sample, replace=False)
    t0 = time.perf_counter()
    for i in idx:
        col = y[:, i]
        ok = ~np.isnan(col)
        stats.theilslopes(col[ok], years[ok])
        stats.kendalltau(years[ok], col[ok])
    t_peer = (time.perf_counter() - t0) / args.sample * args.pixels
    assert np.isfinite(res["slope"]).mean() > 0.99
    load_after = os.getloadavg()[0]
    ratio = t_peer / t_vec
    line = (f"| trend, 24 y x {args.pixels:,} px | vectorised {t_vec:.1f} s (2 threads); "
            f"{t_one:.1f} s (1 thread, {t_peer / t_one:.0f}x) | scipy per pixel {t_peer:.0f} s "
            f"(from {args.sample} px) | **{ratio:.0f}x** | {load_before:.2f} / {load_after:.2f} |")
    print(line)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


if __name__ == "__main__":
    main()
