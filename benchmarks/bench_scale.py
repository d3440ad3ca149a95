"""Benchmark: a whole ``steppe-geo run`` at growing grid sizes, in memory, streamed and Dask modes.

Run by hand from the repository root::

    python benchmarks/bench_scale.py                          # 100, 50, 25 m: 0.3, 1.2, 4.9 Mpx
    python benchmarks/bench_scale.py --resolutions 10 5 --modes streamed dask
    python benchmarks/bench_scale.py --models wind --modes memory --out /tmp/wind.md   # one model
    python benchmarks/bench_scale.py --region DIR             # a region from `steppe-geo make-region`
    python benchmarks/bench_scale.py --make-region 11000x11000 --out /tmp/gen.md   # the generator itself
    python benchmarks/bench_scale.py --resolutions 25 --modes dask --workers 1 2   # 1-vs-2-worker ratio

Each run is a fresh subprocess (``python -m steppe_geo.cli -q run CONFIG``) on the 4-model screening
example (``examples/kubuqi_screening.toml``, sample data) with ``grid.resolution_m`` and ``run.mode``
replaced; at 100 / 50 / 25 / 10 / 5 m the sample AOI's grid holds 0.3 / 1.2 / 4.9 / 30 / 122 million
pixels. With ``--region`` the same models run on a synthetic region instead (its ``region.toml``).

What is recorded, from outside the process:

- **peak RSS**: the sum of the resident set sizes of the run process and all its descendants (the
  Dask nanny and worker processes of ``--workers``), polled every 50 ms with psutil. Pages shared
  between processes (libraries mapped by every worker) count once per process, so for Dask this is
  an upper bound of the memory used.
- **wall time** from start to exit (interpreter start-up and imports included);
- **per-stage seconds per million pixels**, from the run's own ``summary.json`` ``timings_seconds``,
  so the slowest stage is visible.

With several ``--workers`` counts (``--workers 1 2``) each Dask run is repeated on a local cluster of
that many worker processes (one thread each, ``run.workers``) and a second table gives the speed-up
of every count over the first: total wall time and the run's own stage timings.

With ``--make-region ROWSxCOLS`` it measures the synthetic-region generator instead (``steppe-geo
make-region`` at ``--resolutions``): peak RSS and wall time, and the pixels written.

A run longer than ``--timeout`` seconds is stopped (its process tree killed) and shown as such.
The 1-minute load average before each run is recorded: the machine may be shared. Nothing here
asserts a time; the test suite never checks wall-clock figures. Writes ``benchmarks/results/scale.md``
(or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import tomli_w

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "kubuqi_screening.toml"
STAGES = ("load_and_align", "models", "parcels", "write", "maps_and_report")
POLL_S = 0.05
GIB = 1024**3


@dataclass
class Measure:
    """One run: what was asked and what was measured."""

    resolution_m: float
    mode: str
    workers: int | None
    status: str = "ok"
    mpx: float = float("nan")
    peak_rss: int = 0
    wall_s: float = float("nan")
    load_before: float = float("nan")
    timings: dict[str, float] = field(default_factory=dict)


def tree_rss(proc: psutil.Process) -> int:
    """Resident set size of ``proc`` and all its descendants, in bytes (vanished ones skipped)."""
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def kill_tree(proc: psutil.Process) -> None:
    """Kill ``proc`` and its descendants (a run past its timeout)."""
    try:
        procs = [*proc.children(recursive=True), proc]
    except psutil.NoSuchProcess:
        return
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            continue


def write_config(base: dict, path: Path, *, resolution_m: float, mode: str, workers: int | None,
                 out_dir: Path, models: list[str] | None) -> Path:
    """A copy of the example configuration at ``resolution_m`` in ``mode``, written to ``path``."""
    cfg = json.loads(json.dumps(base))  # deep copy
    cfg["grid"]["resolution_m"] = float(resolution_m)
    run = cfg.setdefault("run", {})
    run.pop("scheduler", None)
    run.pop("workers", None)
    run["mode"] = "streamed" if mode == "dask" else mode
    if mode == "dask":
        run["workers"] = int(workers or 2)
    cfg["outputs"]["directory"] = str(out_dir)
    if models:
        cfg["models"] = {k: v for k, v in cfg["models"].items() if k in models}
        parcels = cfg.get("parcels")
        if parcels is not None:
            keep = [m for m in parcels.get("rank_by", []) if m in models]
            if not keep:
                cfg.pop("parcels")
            else:
                parcels["rank_by"] = keep
                if parcels.get("select_by") not in models:
                    parcels.pop("select_by", None)
                    parcels.pop("budget_ha", None)
    path.write_text(tomli_w.dumps(cfg), encoding="utf-8")
    return path


def base_config(region: Path | None) -> dict:
    """The example configuration with its input paths made absolute (or a region's own config)."""
    src = region / "region.toml" if region is not None else EXAMPLE
    cfg = tomllib.loads(src.read_text(encoding="utf-8"))
    inputs = {}
    for k, v in cfg["sources"].items():
        if isinstance(v, str) and not v.startswith("sample:"):
            v = str((src.parent / v).resolve())
        inputs[k] = v
    cfg["sources"] = inputs
    return cfg


def watch(cmd: list[str], m: Measure, timeout_s: float) -> subprocess.Popen | None:
    """Run ``cmd``, polling the RSS of its process tree into ``m``; None when it timed out."""
    m.load_before = os.getloadavg()[0]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    t0 = time.perf_counter()
    popen = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    proc = psutil.Process(popen.pid)
    while popen.poll() is None:
        m.peak_rss = max(m.peak_rss, tree_rss(proc))
        if time.perf_counter() - t0 > timeout_s:
            kill_tree(proc)
            popen.wait()
            m.status = f"timeout > {timeout_s:g} s"
            m.wall_s = time.perf_counter() - t0
            return None
        time.sleep(POLL_S)
    m.wall_s = time.perf_counter() - t0
    stderr = popen.stderr.read() if popen.stderr else ""
    if popen.returncode != 0:
        m.status = f"failed ({popen.returncode}): {stderr.strip().splitlines()[-1] if stderr.strip() else ''}"
        return None
    return popen


def one_run(cfg_path: Path, out_dir: Path, m: Measure, timeout_s: float) -> Measure:
    """Run ``steppe-geo run`` as a subprocess, polling the RSS of its process tree."""
    if watch([sys.executable, "-m", "steppe_geo.cli", "-q", "run", str(cfg_path)], m, timeout_s) is None:
        return m
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    rows, cols = summary["grid"]["shape"]
    m.mpx = rows * cols / 1e6
    m.timings = {k: float(v) for k, v in summary["timings_seconds"].items()}
    return m


def one_region(size: str, resolution_m: float, out_dir: Path, m: Measure, timeout_s: float) -> Measure:
    """Run ``steppe-geo make-region`` as a subprocess, polling the RSS of its process tree."""
    import rasterio

    cmd = [sys.executable, "-m", "steppe_geo.cli", "-q", "make-region", str(out_dir), "--size", size,
           "--resolution", f"{resolution_m:g}"]
    if watch(cmd, m, timeout_s) is None:
        return m
    total = 0
    for f in out_dir.glob("*.tif"):
        with rasterio.open(f) as ds:
            total += ds.width * ds.height * ds.count
    m.mpx = total / 1e6  # pixels written over every raster and band
    m.timings = {"bytes": float(sum(f.stat().st_size for f in out_dir.iterdir()))}
    return m


def _fmt_stage(m: Measure, stage: str) -> str:
    if stage not in m.timings:
        return "–"
    return f"{m.timings[stage] / m.mpx:.2f}"


def table(rows: list[Measure]) -> list[str]:
    """Markdown table of the measures."""
    head = ("| resolution | Mpx | mode | peak RSS (GiB) | wall (s) | total s/Mpx | "
            + " | ".join(f"{s} s/Mpx" for s in STAGES) + " | slowest stage | load avg |")
    lines = [head, "|" + "---|" * (8 + len(STAGES))]
    for m in rows:
        mode = m.mode if m.mode != "dask" else f"dask ({m.workers} workers)"
        if m.status != "ok":
            lines.append(f"| {m.resolution_m:g} m | – | {mode} | {m.peak_rss / GIB:.2f} | {m.wall_s:.0f} | "
                         f"{m.status} |" + " |" * (len(STAGES) + 1) + f" {m.load_before:.2f} |")
            continue
        slowest = max((s for s in STAGES if s in m.timings), key=lambda s: m.timings[s])
        lines.append(
            f"| {m.resolution_m:g} m | {m.mpx:.1f} | {mode} | {m.peak_rss / GIB:.2f} | {m.wall_s:.1f} | "
            f"{m.timings['total'] / m.mpx:.2f} | " + " | ".join(_fmt_stage(m, s) for s in STAGES)
            + f" | {slowest} | {m.load_before:.2f} |")
    return lines


def speedup_table(rows: list[Measure]) -> list[str]:
    """Markdown table: speed-up of each Dask worker count over the first one, per resolution.

    The speed-up is the first count's seconds divided by this count's (2.0 = twice as fast), for
    the wall time and for each stage of the run's own timings.
    """
    dask = [m for m in rows if m.mode == "dask"]
    lines = ["Speed-up over the first worker count (its seconds / these seconds; > 1 is faster):", "",
             "| resolution | Mpx | workers | wall (s) | speed-up (wall) | "
             + " | ".join(f"{s} speed-up" for s in STAGES) + " |",
             "|" + "---|" * (5 + len(STAGES))]
    for res in dict.fromkeys(m.resolution_m for m in dask):
        same = [m for m in dask if m.resolution_m == res]
        ref = same[0]
        for m in same:
            if m.status != "ok" or ref.status != "ok":
                lines.append(f"| {res:g} m | – | {m.workers} | {m.wall_s:.0f} | {m.status} |"
                             + " |" * len(STAGES))
                continue
            stages = [f"{ref.timings[s] / m.timings[s]:.2f}" if m.timings.get(s) and s in ref.timings
                      else "–" for s in STAGES]
            lines.append(f"| {res:g} m | {m.mpx:.1f} | {m.workers} | {m.wall_s:.1f} | "
                         f"{ref.wall_s / m.wall_s:.2f} | " + " | ".join(stages) + " |")
    return [*lines, ""]


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resolutions", type=float, nargs="+", default=[100.0, 50.0, 25.0],
                        help="grid resolutions in metres (100/50/25/10/5 m = 0.3/1.2/4.9/30/122 Mpx)")
    parser.add_argument("--modes", nargs="+", default=["memory", "streamed", "dask"],
                        choices=["memory", "streamed", "dask"])
    parser.add_argument("--workers", type=int, nargs="+", default=[2],
                        help="Dask worker processes (dask mode); several counts (e.g. 1 2) run each "
                             "and report the speed-up over the first")
    parser.add_argument("--models", nargs="+", default=None, help="only these models of the config")
    parser.add_argument("--region", type=Path, default=None,
                        help="a folder written by `steppe-geo make-region` (uses its region.toml)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before a run is stopped")
    parser.add_argument("--make-region", metavar="ROWSxCOLS", default=None,
                        help="measure `steppe-geo make-region` at this size instead of runs")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scale.md")
    args = parser.parse_args(argv)
    if args.make_region:
        return region_main(args, argv)
    base = base_config(args.region)
    rows: list[Measure] = []
    with tempfile.TemporaryDirectory(prefix="bench_scale-") as d:
        for i, res in enumerate(args.resolutions):
            runs = [(mode, w) for mode in args.modes for w in (args.workers if mode == "dask" else [None])]
            for mode, workers in runs:
                tag = f"{mode}{workers or ''}"
                out_dir = Path(d) / f"out-{i}-{tag}"
                cfg = write_config(base, Path(d) / f"run-{i}-{tag}.toml", resolution_m=res, mode=mode,
                                   workers=workers, out_dir=out_dir, models=args.models)
                m = one_run(cfg, out_dir, Measure(res, mode, workers), args.timeout)
                rows.append(m)
                print("\n".join(table([m])[2:]), flush=True)
    source = f"synthetic region `{args.region.name}`" if args.region else "`examples/kubuqi_screening.toml`"
    models = ", ".join(args.models) if args.models else ", ".join(base["models"])
    lines = [
        "# Whole runs at growing grid sizes: peak memory, time, seconds per million pixels per stage",
        "",
        f"Machine: {os.cpu_count()} CPUs, {psutil.virtual_memory().total / GIB:.0f} GiB RAM, "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}. "
        f"Configuration: {source} (models: {models}), `grid.resolution_m` and `run.mode` replaced; "
        f"Dask runs use a local cluster of {' or '.join(map(str, args.workers))} worker processes with "
        "one thread each (`run.workers`).",
        "",
        f"Command: `python benchmarks/bench_scale.py {' '.join(argv if argv is not None else sys.argv[1:])}`",
        "",
        *table(rows),
        "",
        *(speedup_table(rows) if len(args.workers) > 1 and "dask" in args.modes else []),
        "Peak RSS is the sum over the run process and all its descendants (Dask nanny and worker "
        "processes), polled every 50 ms from outside; shared pages count once per process. Wall time "
        "includes start-up and imports; stage columns are the run's own `summary.json` timings divided "
        "by the grid's million pixels. A load average above the CPU count means other work shared the "
        "machine during the run.",
        "",
    ]
    text = "\n".join(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    return text


def region_main(args: argparse.Namespace, argv: list[str] | None) -> str:
    """Measure the synthetic-region generator at ``args.make_region`` for each resolution."""
    lines = [
        "# `steppe-geo make-region`: peak memory and time of the synthetic-region generator",
        "",
        f"Machine: {os.cpu_count()} CPUs, {psutil.virtual_memory().total / GIB:.0f} GiB RAM. "
        f"Command: `python benchmarks/bench_scale.py {' '.join(argv if argv is not None else sys.argv[1:])}`",
        "",
        "| size | resolution | raster pixels written (M, all layers and bands) | files (MB) | peak RSS (GiB) "
        "| wall (s) | status | load avg |",
        "|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="bench_region-") as d:
        for i, res in enumerate(args.resolutions):
            m = one_region(args.make_region, res, Path(d) / f"region-{i}", Measure(res, "make-region", None),
                           args.timeout)
            lines.append(f"| {args.make_region} | {res:g} m | {m.mpx:.1f} | "
                         f"{m.timings.get('bytes', float('nan')) / 1e6:.0f} | {m.peak_rss / GIB:.2f} | "
                         f"{m.wall_s:.0f} | {m.status} | {m.load_before:.2f} |")
            print(lines[-1], flush=True)
    lines += ["", "Peak RSS: the generator process and its descendants, polled every 50 ms from outside.", ""]
    text = "\n".join(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    return text


if __name__ == "__main__":
    print(main())
