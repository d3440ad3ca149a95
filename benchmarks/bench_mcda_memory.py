"""Peak memory of a streamed 16000 x 16000 x 8-layer overlay, measured from outside the process.

Run by hand: ``python benchmarks/bench_mcda_memory.py [--size 16000] [--min-area-ha 100]``. The
parent starts a child process that runs ``evaluate_streamed`` and polls the child's resident set
size with psutil every 50 ms; the peak is appended to benchmarks/results/mcda.md. Target: ≤ 1 GiB.
``--min-area-ha`` adds a minimum-contiguous-area constraint (a labelling pass before the main one);
``--label`` names the code measured (e.g. to compare a checkout before a change).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

RESULTS = Path(__file__).parent / "results" / "mcda.md"


def child(size: int, window: int, out: Path, min_area_ha: float) -> None:
    from _mcda_inputs import bench_grid, make_inputs

    from steppe_geo.mcda import Criterion, Linear, MinimumArea, Overlay, ValueRange, evaluate_streamed

    paths = make_inputs(size)
    constraints: tuple = (ValueRange("layer0 above 2", "layer0", min=2.0),
                          ValueRange("layer1 below 9", "layer1", max=9.0))
    if min_area_ha > 0:
        constraints = (*constraints, MinimumArea(f"under {min_area_ha:g} ha", min_area_m2=min_area_ha * 1e4))
    overlay = Overlay(
        tuple(Criterion(k, Linear(0, 10), float(8 - i)) for i, k in enumerate(paths)),
        constraints=constraints,
    )
    evaluate_streamed(overlay, paths, grid=bench_grid(size), out_dir=out, window=window)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=16000)
    ap.add_argument("--window", type=int, default=1024)
    ap.add_argument("--min-area-ha", type=float, default=0.0)
    ap.add_argument("--label", default="this checkout")
    ap.add_argument("--child", type=Path, default=None)
    args = ap.parse_args()
    if args.child is not None:
        child(args.size, args.window, args.child, args.min_area_ha)
        return
    from _mcda_inputs import make_inputs

    t0 = time.perf_counter()
    paths = make_inputs(args.size)  # generated once, outside the measured process
    t_gen = time.perf_counter() - t0
    out = Path(tempfile.mkdtemp(dir=paths["layer0"].parent.parent)) / "out"
    try:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, __file__, "--size", str(args.size), "--window",
                                 str(args.window), "--min-area-ha", str(args.min_area_ha),
                                 "--child", str(out)], cwd=Path(__file__).parent)
        ps = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            try:
                rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            except psutil.NoSuchProcess:
                break
            peak = max(peak, rss)
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"child failed with exit code {proc.returncode}")
        sizes = {p.name: p.stat().st_size for p in out.iterdir()}
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    area = f", minimum area {args.min_area_ha:g} ha" if args.min_area_ha > 0 else ""
    text = "\n".join([
        f"\n## Peak memory ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, streamed "
        f"{args.size} x {args.size} x 8 float32 layers, window {args.window}{area}; {args.label})\n",
        "| measurement | value |",
        "|---|---:|",
        f"| peak RSS of the evaluating process (psutil, polled every 50 ms from the parent) | "
        f"{peak / 2**20:.0f} MiB ({peak / 2**30:.2f} GiB) |",
        f"| wall time of the streamed run (8 linear criteria, {2 + bool(area)} constraints, 4 COG outputs) | "
        f"{wall:.0f} s |",
        f"| load average (1, 5, 15 min) after | {', '.join(f'{v:.2f}' for v in os.getloadavg())} |",
        f"| output sizes | {', '.join(f'{k} {v / 2**20:.0f} MiB' for k, v in sorted(sizes.items()))} |",
        f"| input generation (once; 0 s when reused) | {t_gen:.0f} s |",
        "",
        "Target: peak ≤ 1 GiB (1024 MiB).",
    ])
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
