"""Benchmark: peak memory of the write, summary and maps/report stages of a windowed run.

Run by hand from the repository root::

    python benchmarks/bench_outputs.py --sizes 2200 4400          # 4.8 and 19.4 Mpx
    python benchmarks/bench_outputs.py --sizes 2200 --out /tmp/outputs.md

The models stage is not run: a child process writes the tiled files a streamed run's models stage
leaves (``ModelOutput.files``: ``score`` float32, ``eligible`` uint8, ``exclusion`` uint32 bitmask,
``criteria`` with 3 bands, and an aligned ``dem``) for a square grid of ``SIZE`` × ``SIZE`` pixels,
opens them lazily (``steppe_geo.io.open_lazy``, as the windowed parcels stage hands them on), then
runs the outputs stages one after the other: ``_write_outputs`` (COGs of every raster and the
aligned input), the summary (``summarize_inputs``, ``aoi_summary``, ``_model_summary``) and
``_maps_and_report`` (PNG maps and the HTML report).

What is recorded, from outside the process: the resident set size of the child, polled every
20 ms with psutil; each stage's peak and its growth over the RSS at the stage's start (what the
stage itself holds), its wall time and its CPU time per million pixels (the child's own CPU
time, GDAL's threads included: steadier than wall time on a shared machine). Nothing here
asserts anything. Writes ``benchmarks/results/outputs.md`` (or ``--out``).
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

import psutil

ROOT = Path(__file__).resolve().parents[1]
POLL_S = 0.02
MIB = 1024**2
STAGES = ("write", "summary", "maps_and_report")


def child(size: int, folder: Path) -> None:
    """Write the intermediates, then run the stages, printing ``stage start|end time`` lines."""
    import dataclasses
    import inspect

    import geopandas as gpd
    import numpy as np
    import shapely
    import xarray as xr
    from _outputs_inputs import write_model_files
    from affine import Affine

    import steppe_geo as sg
    from steppe_geo.config import ModelConfig
    from steppe_geo.io import open_lazy
    from steppe_geo.pipeline import InputLayers, ModelOutput, demo_config
    from steppe_geo.pipeline.evaluate import WindowedResult
    from steppe_geo.pipeline.inputs import AlignedRasters, summarize_inputs
    from steppe_geo.pipeline.report import _maps_and_report
    from steppe_geo.pipeline.summary import _count, _model_summary, aoi_summary
    from steppe_geo.pipeline.write import _write_outputs

    grid = sg.Grid("EPSG:32649", Affine(10, 0, 400_000, 0, -10, 4_500_000), (size, size))
    work = folder / "work"
    rng = np.random.default_rng(1)
    files = write_model_files(grid, work, rng)
    w, s, e, n = grid.bounds
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(w + (e - w) * 0.05, s, e, n)], crs=grid.crs)
    layers = InputLayers(grid, AlignedRasters({"dem": files["dem"]}), {}, {"dem": files["dem"]},
                         aoi=aoi, files={"dem": files["dem"]})
    lazy = {k: open_lazy(files[k], name=k) for k in ("score", "eligible", "exclusion")}
    crit = open_lazy(files["criteria"], name="criteria")
    criteria = xr.Dataset({c: crit.isel(band=i, drop=True).rename(c) for i, c in enumerate("abc")})
    names = ["outside_aoi", "no_data", "steep", "water"]
    res = ModelOutput("m", lazy["score"], lazy["eligible"] == 1, lazy["exclusion"], names,
                      {"a": 0.5, "b": 0.3, "c": 0.2}, WindowedResult(criteria, xr.Dataset()), None, None,
                      files={k: files[k] for k in ("score", "eligible", "exclusion", "criteria")})
    base = demo_config(folder / "unused")
    mc = ModelConfig("m", "wind_onshore")
    cfg = dataclasses.replace(base, models={"m": mc}, parcels=None, outputs=dataclasses.replace(
        base.outputs, rasters=True, criteria=True, aligned_inputs=True, maps=("png",), report=True))
    stage = folder / "stage"
    stage.mkdir()
    prov = {"bench": "outputs"}

    def mark(name: str, what: str) -> None:
        # wall clock (matched with the RSS samples) and this process's CPU time, GDAL's threads included
        print(f"{name} {what} {time.time()} {time.process_time()}", flush=True)

    mark("write", "start")
    _write_outputs(stage, cfg, layers, {"m": res}, prov, progress=False)
    mark("write", "end")
    mark("summary", "start")
    summary = {"name": "bench", **summarize_inputs(layers), "aoi": aoi_summary(layers)}
    maps_kw: dict = {}
    if "counts" in inspect.signature(_maps_and_report).parameters:
        counts = {"m": _count(res, grid)}  # as a run does: one pass for the summary and the maps' legends
        summary["models"] = {"m": _model_summary(mc, res, grid, counts["m"])}
        maps_kw["counts"] = counts
    else:  # the code before scale-outputs (``--src``): the summary and the legends count separately
        summary["models"] = {"m": _model_summary(mc, res, grid)}
    summary["parcels"] = {}
    summary["provenance"] = prov
    mark("summary", "end")
    mark("maps_and_report", "start")
    _maps_and_report(stage, cfg, layers, {"m": res}, summary, {}, progress=False, **maps_kw)
    mark("maps_and_report", "end")
    print("RESULT " + json.dumps(summary["models"]["m"]["exclusions"][-1]), flush=True)


def measure(size: int, python: str, src: Path) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "marks.txt"
        env = {"PYTHONPATH": str(src), "MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"}
        with log.open("w") as out:
            proc = subprocess.Popen([python, __file__, "--child", str(size), tmp], stdout=out,
                                    stderr=subprocess.DEVNULL, env=env)
            ps = psutil.Process(proc.pid)
            samples: list[tuple[float, float]] = []
            while proc.poll() is None:
                try:
                    samples.append((time.time(), ps.memory_info().rss))
                except psutil.NoSuchProcess:
                    break
                time.sleep(POLL_S)
        marks: dict[str, dict[str, float]] = {}
        for line in log.read_text().splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[0] in STAGES:
                marks.setdefault(parts[0], {})[parts[1]] = float(parts[2])
                marks[parts[0]][parts[1] + "_cpu"] = float(parts[3])
        if proc.returncode != 0 or set(marks) != set(STAGES):
            raise RuntimeError(f"size {size}: child failed ({proc.returncode}); marks {marks}")
    out: dict[str, dict[str, float]] = {}
    for name, m in marks.items():
        inside = [rss for t, rss in samples if m["start"] <= t <= m["end"]]
        before = [rss for t, rss in samples if t <= m["start"]]
        start = before[-1] if before else inside[0]
        peak = max(inside) if inside else start
        out[name] = {"seconds": m["end"] - m["start"], "start_mib": start / MIB, "peak_mib": peak / MIB,
                     "growth_mib": (peak - start) / MIB, "cpu_s": m["end_cpu"] - m["start_cpu"]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2200, 4400], help="grid side in pixels")
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="steppe_geo sources to measure")
    ap.add_argument("--label", default="this branch")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "outputs.md")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(int(args.child[0]), Path(args.child[1]))
        return
    rows = []
    for size in args.sizes:
        m = measure(size, sys.executable, args.src)
        for stage in STAGES:
            s = m[stage]
            rows.append(f"| {args.label} | {size}² = {size * size / 1e6:.1f} Mpx | {stage} | "
                        f"{s['peak_mib']:.0f} | {s['growth_mib']:.0f} | {s['seconds']:.1f} | "
                        f"{s['cpu_s'] / (size * size / 1e6):.2f} | {os.getloadavg()[0]:.1f} |")
            print(rows[-1], flush=True)
    text = ("| code | grid | stage | peak RSS (MiB) | growth over stage start (MiB) | seconds | CPU s/Mpx "
            "| load avg |\n|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a") as f:
        f.write(text)


if __name__ == "__main__":
    main()
