"""Benchmark: the aligning and models stages alone (streamed or Dask), peak RSS per stage from outside.

Run by hand from the repository root::

    python benchmarks/bench_stages.py --resolutions 25 10            # streamed, 4 models
    python benchmarks/bench_stages.py --resolutions 5 --models restoration
    python benchmarks/bench_stages.py --resolutions 25 --modes dask --workers 2
    python benchmarks/bench_stages.py --resolutions 25 --profile /tmp/models.prof  # cProfile the child

Each measurement is a fresh subprocess that runs, on ``examples/kubuqi_screening.toml`` (sample data)
with ``grid.resolution_m`` replaced, only ``pipeline.align_inputs`` (strip by strip into tiled files)
and the windowed models stage (``_evaluate_from_files`` for every model: derived layers, then the
overlay), exactly as ``steppe-geo run`` does in a streamed or Dask run, in a temporary work folder.

Recorded:

- **peak RSS per stage**, polled every 50 ms from OUTSIDE the process with psutil: the child and all
  its descendants (Dask nanny and worker processes). The child writes the name of the stage it is in
  to a marker file, which the poller reads, so each peak is attributed to its stage.
- **CPU seconds per stage** (``time.process_time()`` of the child; with Dask, plus the CPU seconds the
  workers spent, read from each worker with ``client.run``), divided by the grid's million pixels;
  CPU time does not depend on what else runs on a shared machine, wall time does (shown too).
- the 1-minute load average before each run.

Nothing here asserts a time. Prints a Markdown table (append it to ``benchmarks/results/scale.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "kubuqi_screening.toml"
STAGES = ("start", "load_and_align", "models")
POLL_S = 0.05
GIB = 1024**3


def _cpu_of_workers(client: object) -> float:
    """CPU seconds used so far by every Dask worker process (0 without a client)."""
    if client is None:
        return 0.0
    return float(sum(client.run(time.process_time).values()))  # type: ignore[attr-defined]


def child(args: argparse.Namespace) -> None:
    """One measurement, in this process: align, then every model; write the figures as JSON."""
    import dataclasses
    import warnings

    from steppe_geo.config import load_config
    from steppe_geo.pipeline import align_inputs, build_grid
    from steppe_geo.pipeline.evaluate import DerivedLayerFiles, _evaluate_from_files, dask_client
    from steppe_geo.pipeline.runner import read_aoi

    warnings.simplefilter("ignore")
    marker = Path(args.marker)
    cfg = load_config(EXAMPLE)
    cfg = dataclasses.replace(cfg, grid=dataclasses.replace(cfg.grid, resolution_m=args.resolution),
                              run=dataclasses.replace(cfg.run, window=args.window))
    models = {k: v for k, v in cfg.models.items() if not args.models or k in args.models}
    work = Path(args.work)
    workers = args.workers if args.mode == "dask" else None
    out: dict[str, float] = {}
    with dask_client(None, workers) as client:
        grid = build_grid(cfg.sources, cfg.grid, layers=cfg.input_layers, specs=cfg.input_specs)
        out["mpx"] = grid.rows * grid.cols / 1e6
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
        marker.write_text("load_and_align")
        c0, w0, t0 = time.process_time(), _cpu_of_workers(client), time.perf_counter()
        layers = align_inputs(cfg.sources, grid, work, layers=cfg.input_layers, specs=cfg.input_specs,
                              client=client)
        layers.aoi = read_aoi(cfg, grid)
        c1, w1, t1 = time.process_time(), _cpu_of_workers(client), time.perf_counter()
        marker.write_text("models")
        shared = DerivedLayerFiles()  # as run() does: the models share derived layers computed alike
        for m in models.values():
            _evaluate_from_files(m, layers, client, work, args.window, shared=shared)
        c2, w2, t2 = time.process_time(), _cpu_of_workers(client), time.perf_counter()
        marker.write_text("done")
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
    out.update({"load_and_align_cpu": c1 - c0 + w1 - w0, "models_cpu": c2 - c1 + w2 - w1,
                "load_and_align_wall": t1 - t0, "models_wall": t2 - t1})
    Path(args.result).write_text(json.dumps(out), encoding="utf-8")


def measure(resolution: float, mode: str, workers: int, models: list[str] | None, window: int,
            timeout: float, profile: str | None) -> dict:
    """Run :func:`child` in a subprocess, polling the RSS of its process tree per stage."""
    import psutil
    from bench_scale import tree_rss  # peak RSS of the process tree, as the whole-run benchmark polls it

    with tempfile.TemporaryDirectory(prefix="bench_stages-") as d:
        marker, result = Path(d) / "stage", Path(d) / "result.json"
        marker.write_text("start")
        cmd = [sys.executable, __file__, "--child", "--resolution", str(resolution), "--modes", mode,
               "--workers", str(workers), "--window", str(window), "--marker", str(marker),
               "--result", str(result), "--work", str(Path(d) / "work")]
        if models:
            cmd += ["--models", *models]
        if profile:
            cmd += ["--profile", profile]
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        popen = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        proc = psutil.Process(popen.pid)
        peaks = dict.fromkeys(STAGES, 0)
        status = "ok"
        while popen.poll() is None:
            stage = marker.read_text() or "start"
            if stage in peaks:
                peaks[stage] = max(peaks[stage], tree_rss(proc))
            if time.perf_counter() - t0 > timeout:
                for p in [*proc.children(recursive=True), proc]:
                    try:
                        p.kill()
                    except psutil.NoSuchProcess:
                        continue
                popen.wait()
                status = f"timeout > {timeout:g} s in {stage}"
                break
            time.sleep(POLL_S)
        stderr = popen.stderr.read() if popen.stderr else ""
        if status == "ok" and popen.returncode != 0:
            last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
            status = f"failed ({popen.returncode}): {last}"
        figures = json.loads(result.read_text()) if result.exists() else {}
    return {"resolution": resolution, "mode": mode if mode != "dask" else f"dask ({workers} workers)",
            "status": status, "load": load, "peaks": peaks, **figures}


def row(m: dict) -> str:
    """One Markdown table row."""
    def gib(stage: str) -> str:
        return f"{m['peaks'][stage] / GIB:.2f}" if m["peaks"].get(stage) else "–"

    if m["status"] != "ok" or "mpx" not in m:
        return (f"| {m['resolution']:g} m | – | {m['mode']} | {gib('load_and_align')} | {gib('models')} "
                f"| {m['status']} | | | | {m['load']:.2f} |")
    mpx = m["mpx"]
    return (f"| {m['resolution']:g} m | {mpx:.1f} | {m['mode']} | {gib('load_and_align')} | "
            f"{gib('models')} | "
            f"{m['load_and_align_cpu'] / mpx:.2f} | {m['models_cpu'] / mpx:.2f} | "
            f"{m['load_and_align_wall'] / mpx:.2f} | {m['models_wall'] / mpx:.2f} | {m['load']:.2f} |")


HEADER = ("| resolution | Mpx | mode | peak RSS align (GiB) | peak RSS models (GiB) | align CPU s/Mpx | "
          "models CPU s/Mpx | align wall s/Mpx | models wall s/Mpx | load avg |\n"
          "|---|---|---|---|---|---|---|---|---|---|")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resolutions", type=float, nargs="+", default=[25.0, 10.0],
                        help="grid resolutions in metres (25/10/5 m = 4.9/30/122 Mpx)")
    parser.add_argument("--modes", nargs="+", default=["streamed"], choices=["streamed", "dask"])
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes (dask mode)")
    parser.add_argument("--models", nargs="+", default=None, help="only these models of the example")
    parser.add_argument("--window", type=int, default=1024, help="run.window (pixels)")
    parser.add_argument("--timeout", type=float, default=2400.0, help="seconds before a run is stopped")
    parser.add_argument("--profile", default=None, help="write a cProfile (CPU time) of the child here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--resolution", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--marker", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        args.mode = args.modes[0]
        child(args)
        return
    given = " ".join(argv if argv is not None else sys.argv[1:])
    print(f"Command: `python benchmarks/bench_stages.py {given}` ({os.cpu_count()} CPUs)\n", flush=True)
    print(HEADER, flush=True)
    for res in args.resolutions:
        for mode in args.modes:
            print(row(measure(res, mode, args.workers, args.models, args.window, args.timeout, args.profile)),
                  flush=True)


if __name__ == "__main__":
    main()
