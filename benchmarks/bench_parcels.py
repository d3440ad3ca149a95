"""Benchmark: memory of the parcels stage alone, windowed (streamed) against memory mode, at growing grids.

Each measurement runs in a fresh process: the example configuration
(``examples/kubuqi_screening.toml``, sample data) at the given resolution is aligned and evaluated
(streamed: strip by strip and window by window into tiled files; memory: whole arrays), then the
parcels stage (:func:`steppe_geo.pipeline.run_parcels`) runs while a thread polls the process's
RSS every 20 ms. Reported: the RSS just before the stage, the peak during it and the difference
(what the stage itself adds), and its time. A stage whose memory is bounded by the window and the
number of parcels adds about the same at every grid size.

Also reported: the stage's CPU time (``time.process_time``, all threads: less sensitive than the
wall time to other jobs on a shared machine) per million pixels, and the 1-minute load average
at the end; ``--profile N`` prints the stage's top N functions by cumulative CPU time.

Usage::

    python benchmarks/bench_parcels.py --resolutions 100 50 25 --modes streamed memory
    python benchmarks/bench_parcels.py --resolutions 50 --modes streamed --profile 30

Prints a Markdown table (append it to ``benchmarks/results/scale.md``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "kubuqi_screening.toml"
MIB = 1024**2


def child(resolution_m: float, mode: str, window: int, work: Path, profile: int = 0) -> dict:
    """Run one measurement in this process (called in a fresh subprocess)."""
    import cProfile
    import dataclasses
    import io
    import os
    import pstats
    import threading
    import time
    import warnings

    import psutil

    from steppe_geo.config import load_config
    from steppe_geo.pipeline import align_inputs, build_grid, evaluate_model, load_inputs, run_parcels
    from steppe_geo.pipeline.evaluate import DerivedLayerFiles, _evaluate_from_files
    from steppe_geo.pipeline.runner import read_aoi

    warnings.simplefilter("ignore")
    cfg = load_config(EXAMPLE)
    cfg = dataclasses.replace(cfg, grid=dataclasses.replace(cfg.grid, resolution_m=resolution_m),
                              run=dataclasses.replace(cfg.run, window=window))
    grid = build_grid(cfg.sources, cfg.grid, layers=cfg.input_layers, specs=cfg.input_specs)
    if mode == "streamed":
        layers = align_inputs(cfg.sources, grid, work, layers=cfg.input_layers, specs=cfg.input_specs)
        layers.aoi = read_aoi(cfg, grid)
        shared = DerivedLayerFiles()  # as run() does
        results = {n: _evaluate_from_files(m, layers, None, work, window, shared=shared)
                   for n, m in cfg.models.items()}
    else:
        layers = load_inputs(cfg.sources, grid, layers=cfg.input_layers, specs=cfg.input_specs)
        layers.aoi = read_aoi(cfg, grid)
        results = {n: evaluate_model(m, layers) for n, m in cfg.models.items()}
    proc = psutil.Process()
    before = proc.memory_info().rss
    peak = [before]
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.02)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    profiler = cProfile.Profile(time.process_time) if profile else None
    t0, c0 = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    out = run_parcels(cfg, layers, results)
    if profiler is not None:
        profiler.disable()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    done.set()
    watcher.join()
    peak[0] = max(peak[0], proc.memory_info().rss)
    n_parcels = max((len(p.ranked) for p in out.values()), default=0)
    top = ""
    if profiler is not None:  # CPU seconds (all threads) by function, to stderr
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(profile)
        top = text.getvalue()
    return {"resolution_m": resolution_m, "mode": mode, "mpx": grid.rows * grid.cols / 1e6,
            "before_mib": before / MIB, "peak_mib": peak[0] / MIB, "added_mib": (peak[0] - before) / MIB,
            "seconds": seconds, "cpu_seconds": cpu, "load": os.getloadavg()[0], "parcels": n_parcels,
            "models": len(out), "profile": top}


def main(argv: list[str] | None = None) -> str:
    """Measure every resolution and mode in a fresh process; return the Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolutions", type=float, nargs="+", default=[100.0, 50.0, 25.0])
    parser.add_argument("--modes", nargs="+", choices=["streamed", "memory"], default=["streamed", "memory"])
    parser.add_argument("--window", type=int, default=1024, help="run.window (pixels)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also profile the stage (CPU time) and print its top N functions to stderr")
    parser.add_argument("--child", nargs=3, metavar=("RES", "MODE", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        res, mode, work = args.child
        print(json.dumps(child(float(res), mode, args.window, Path(work), args.profile)))
        return ""
    lines = ["| resolution | Mpx | mode | parcels x models | RSS before (MiB) | peak in stage (MiB) "
             "| added by the stage (MiB) | stage time (s) | stage CPU (s) | CPU s/Mpx | load avg |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for res in args.resolutions:
        for mode in args.modes:
            with tempfile.TemporaryDirectory() as tmp:
                done = subprocess.run([sys.executable, __file__, "--window", str(args.window), "--profile",
                                       str(args.profile), "--child", str(res), mode, tmp],
                                      capture_output=True, text=True, check=False)
            if done.returncode:
                lines.append(f"| {res:g} m | | {mode} | failed: {done.stderr.strip().splitlines()[-1]} |||||")
                continue
            m = json.loads(done.stdout.strip().splitlines()[-1])
            lines.append(f"| {res:g} m | {m['mpx']:.1f} | {mode} | {m['parcels']} x {m['models']} "
                         f"| {m['before_mib']:.0f} | {m['peak_mib']:.0f} | {m['added_mib']:.0f} "
                         f"| {m['seconds']:.1f} | {m['cpu_seconds']:.1f} | {m['cpu_seconds'] / m['mpx']:.1f} "
                         f"| {m['load']:.1f} |")
            if m["profile"]:
                print(m["profile"], file=sys.stderr)
            print(lines[-1], flush=True)
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
