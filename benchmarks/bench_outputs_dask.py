"""Benchmark: the write and maps/report stages alone, in-process against 1 or 2 Dask workers.

Run by hand from the repository root::

    python benchmarks/bench_outputs_dask.py 1100 /tmp/outputs-dask 0 1 2 1 2

Arguments: the grid side in pixels, a scratch folder (replaced), then worker counts in the order to
run (0 = in this process, as a streamed run). The intermediates are those of
``bench_outputs.py`` (score, eligibility, exclusion, 3 criteria, an aligned DEM), used as the
files of 4 models, so a pass writes 25 COGs and draws 8 maps (PNG and PDF) and the report. Each
local cluster (one thread per worker) is started and its workers import the maps code before the
timing starts. Prints wall seconds and CPU seconds per stage (this process's ``time.process_time()``
plus, with workers, the CPU time the worker processes used meanwhile, from psutil) and the load
average; asserts nothing.

Run against the code before the scale-outputs merge (``PYTHONPATH=OLD/src``, worker count 0 only),
the summary and the maps' legends count the exclusions separately, as that code did.
"""

import dataclasses
import inspect
import os
import shutil
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import psutil
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


def cpu(client) -> float:
    """CPU seconds so far of this process and of the workers (their own processes, user + system)."""
    own = time.process_time()
    if client is None:
        return own
    times = client.run(lambda: sum(psutil.Process().cpu_times()[:2]))
    return own + sum(times.values())


def main() -> None:
    """Write the intermediates, then time the two stages for each worker count."""
    size = int(sys.argv[1])
    folder = Path(sys.argv[2])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    grid = sg.Grid("EPSG:32649", Affine(10, 0, 400_000, 0, -10, 4_500_000), (size, size))
    work = folder / "work"
    rng = np.random.default_rng(1)
    files = write_model_files(grid, work, rng)
    w, s, e, n = grid.bounds
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(w + (e - w) * 0.05, s, e, n)], crs=grid.crs)
    layers = InputLayers(
        grid,
        AlignedRasters({"dem": files["dem"]}),
        {},
        {"dem": files["dem"]},
        aoi=aoi,
        files={"dem": files["dem"]},
    )
    names = ["outside_aoi", "no_data", "steep", "water"]

    def model(i):
        lazy = {k: open_lazy(files[k], name=k) for k in ("score", "eligible", "exclusion")}
        crit = open_lazy(files["criteria"], name="criteria")
        criteria = xr.Dataset({c: crit.isel(band=j, drop=True).rename(c) for j, c in enumerate("abc")})
        return ModelOutput(
            f"m{i}",
            lazy["score"],
            lazy["eligible"] == 1,
            lazy["exclusion"],
            names,
            {"a": 0.5, "b": 0.3, "c": 0.2},
            WindowedResult(criteria, xr.Dataset()),
            None,
            None,
            files={k: files[k] for k in ("score", "eligible", "exclusion", "criteria")},
        )

    results = {f"m{i}": model(i) for i in range(4)}
    base = demo_config(folder / "unused")
    mcs = {k: ModelConfig(k, "wind_onshore") for k in results}
    cfg = dataclasses.replace(
        base,
        models=mcs,
        parcels=None,
        outputs=dataclasses.replace(
            base.outputs, rasters=True, criteria=True, aligned_inputs=True, maps=("png", "pdf"), report=True
        ),
    )
    shared = "counts" in inspect.signature(_maps_and_report).parameters  # False: before scale-outputs
    counts = {k: _count(r, grid) for k, r in results.items()}
    summary = {"name": "bench", **summarize_inputs(layers), "aoi": aoi_summary(layers)}
    summary["models"] = {k: _model_summary(mcs[k], r, grid, *([counts[k]] if shared else []))
                         for k, r in results.items()}
    stage_kw = {"counts": counts} if shared else {}
    summary["parcels"] = {}
    summary["provenance"] = {"bench": "outdask"}
    import distributed

    for nw in [int(a) for a in sys.argv[3:]]:
        stage = folder / f"stage{nw}-{time.time_ns()}"
        stage.mkdir()
        if nw == 0:
            client = None
        else:
            cluster = distributed.LocalCluster(
                n_workers=nw, threads_per_worker=1, processes=True, dashboard_address=":0"
            )
            client = distributed.Client(cluster)
            client.run(
                lambda: (
                    __import__("steppe_geo.pipeline.report"),
                    __import__("matplotlib.pyplot"),
                    __import__("steppe_geo.maps"),
                )
            )
        client_kw = {"client": client} if client is not None else {}

        t0, c0 = time.perf_counter(), cpu(client)
        l0 = os.getloadavg()[0]
        _write_outputs(stage, cfg, layers, results, {"bench": 1}, progress=False, **client_kw)
        t1, c1 = time.perf_counter(), cpu(client)
        _maps_and_report(stage, cfg, layers, results, summary, {}, progress=False, **client_kw, **stage_kw)
        t2, c2 = time.perf_counter(), cpu(client)
        print(
            f"workers {nw}: write {t1 - t0:.1f} s ({c1 - c0:.1f} CPU s), maps_and_report {t2 - t1:.1f} s "
            f"({c2 - c1:.1f} CPU s); load {l0:.1f}-{os.getloadavg()[0]:.1f}",
            flush=True,
        )
        if client is not None:
            client.close()
            cluster.close()


if __name__ == "__main__":
    main()
