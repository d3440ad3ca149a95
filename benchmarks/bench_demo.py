"""Benchmark: wall time of ``steppe-geo demo`` on the bundled sample data.

Run by hand: ``python benchmarks/bench_demo.py [runs]`` (default 3). Each run is a fresh
subprocess (``python -m steppe_geo.cli demo --out <tmp>``), timed from start to exit, so imports
and interpreter start-up count as a user sees them. The 1-minute load average is recorded before
and after each run: the machine is shared, and a busy machine makes the figures slower. Writes
``benchmarks/results/demo.md``, including the per-stage timings the demo writes to its
``summary.json``. Nothing here asserts a time; the test suite never checks wall-clock figures.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = ("load_and_align", "models", "parcels", "write", "maps_and_report", "total")


def _one_run(out: Path) -> tuple[float, float, float, dict[str, float]]:
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "steppe_geo.cli", "-q", "demo", "--out", str(out)],
                          capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"})
    seconds = time.perf_counter() - t0
    load_after = os.getloadavg()[0]
    if proc.returncode != 0:
        raise RuntimeError(f"steppe-geo demo failed ({proc.returncode}):\n{proc.stderr}")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    maps = sum(1 for f in summary["files"] if f.startswith("maps/") and f.endswith(".png"))
    return seconds, load_before, load_after, {**summary["timings_seconds"], "maps": maps}


def main(runs: int = 3) -> str:
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(runs):
            rows.append(_one_run(Path(d) / f"demo-{i}"))
    walls = sorted(r[0] for r in rows)
    median = walls[len(walls) // 2]
    lines = [
        f"# `steppe-geo demo` wall time ({runs} runs, each a fresh subprocess)",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, Python "
        f"{platform.python_version()}. Sample data at 100 m (the demo's default): 4 models, 1,000 "
        "parcels ranked for 3 models with 500 Monte Carlo weight draws each, budgeted selection, "
        f"COGs, GeoPackage/shapefile/GeoParquet, {rows[0][3]['maps']} maps in PNG and PDF, the HTML report.",
        "",
        "| run | wall s | load avg before | load avg after | " + " | ".join(STAGES) + " |",
        "|---|---|---|---|" + "---|" * len(STAGES),
    ]
    for i, (wall, before, after, t) in enumerate(rows, start=1):
        stages = " | ".join(f"{t.get(s, float('nan')):.1f}" for s in STAGES)
        lines.append(f"| {i} | {wall:.1f} | {before:.2f} | {after:.2f} | {stages} |")
    lines += [
        "",
        f"Median wall time **{median:.1f} s** (min {walls[0]:.1f} s, max {walls[-1]:.1f} s). Stage "
        "columns are the demo's own `summary.json` timings (seconds inside the run; the wall time also "
        "counts interpreter start-up and imports). A load average above the CPU count means other work "
        "shared the machine during the run.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    text = main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
    out = Path(__file__).parent / "results" / "demo.md"
    out.write_text(text, encoding="utf-8")
    print(text)
