"""A run on a real external Dask cluster: `dask scheduler` and two `dask worker` processes (issue 12, item 5).

The scheduler and the workers are separate processes started from the command line, as on a
cluster (``python -m distributed.cli.dask_scheduler`` / ``dask_worker``, the ``dask scheduler`` and
``dask worker`` commands). The reference is memory mode, in this process.
"""

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

import steppe_geo as sg
from steppe_geo.config import config_from_dict
from steppe_geo.errors import InvalidParameterError
from steppe_geo.pipeline import demo_config, run

# the sample parcels hold invalid geometries on purpose (repaired with a warning)
pytestmark = pytest.mark.filterwarnings("ignore::steppe_geo.errors.InvalidGeometryWarning")

RESOLUTION_M = 800.0  # the sample AOI at 800 m: 56 x 86 pixels
SRC = Path(sg.__file__).resolve().parents[1]  # the steppe_geo under test, for the workers' PYTHONPATH


def _stop(procs: list[subprocess.Popen]) -> None:
    """Terminate every process (workers first), then kill what is still alive after 10 s."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    deadline = time.monotonic() + 10
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@pytest.fixture(scope="module")
def external_cluster(tmp_path_factory):
    """Address of a `dask scheduler` on 127.0.0.1 with two `dask worker` processes (1 thread each)."""
    import distributed

    d = tmp_path_factory.mktemp("cluster")
    path = [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    sched_file = d / "scheduler.json"
    procs: list[subprocess.Popen] = []
    logs = contextlib.ExitStack()
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(sched_file)],
            env=env, cwd=d, stdout=subprocess.DEVNULL,
            stderr=logs.enter_context(open(d / "scheduler.log", "w"))))
        deadline = time.monotonic() + 60
        while not sched_file.exists() or not sched_file.read_text(encoding="utf-8").strip():
            assert procs[0].poll() is None, (d / "scheduler.log").read_text()
            assert time.monotonic() < deadline, "the scheduler did not start within 60 s"
            time.sleep(0.1)
        address = json.loads(sched_file.read_text(encoding="utf-8"))["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for i in range(2):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1",
                 "--nthreads", "1", "--no-nanny", "--no-dashboard", "--local-directory", str(d / f"w{i}"),
                 "--name", f"w{i}"],
                env=env, cwd=d, stdout=subprocess.DEVNULL,
                stderr=logs.enter_context(open(d / f"worker{i}.log", "w"))))
        with distributed.Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=120)
            infos = client.scheduler_info()["workers"].values()
            assert sorted(w["nthreads"] for w in infos) == [1, 1]
        yield address, procs
    finally:
        _stop(procs[::-1])  # workers, then the scheduler: also when a test failed
        logs.close()


def _config(out: Path):
    base = demo_config(out, resolution_m=RESOLUTION_M)
    return dataclasses.replace(
        base,
        models={"wind": base.models["wind"]},
        parcels=dataclasses.replace(base.parcels, rank_by=("wind",), select_by="wind", budget_ha=20_000.0,
                                    n_draws=20),
        outputs=dataclasses.replace(base.outputs, maps=(), report=False, aligned_inputs=False))


def test_run_on_an_external_scheduler_equals_memory_mode(external_cluster, tmp_path):
    address, procs = external_cluster
    cfg = _config(tmp_path / "unused")
    mem = run(cfg, out_dir=tmp_path / "mem")
    dsk = run(dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, scheduler=address, window=32)),
              out_dir=tmp_path / "dask")
    assert all(p.poll() is None for p in procs)  # the cluster outlives the run (it is not ours to stop)
    assert mem.files == dsk.files
    assert not any(".steppe_geo" in f or ".work" in f for f in dsk.files)  # no token, no intermediates
    for model in ("wind",):
        for part in ("exclusion", "eligible"):
            a = sg.read_raster(tmp_path / "mem" / "rasters" / model / f"{part}.tif")
            b = sg.read_raster(tmp_path / "dask" / "rasters" / model / f"{part}.tif")
            np.testing.assert_array_equal(a.values, b.values, err_msg=f"{model} {part}")
        a = sg.read_raster(tmp_path / "mem" / "rasters" / model / "score.tif").values.astype(float)
        b = sg.read_raster(tmp_path / "dask" / "rasters" / model / "score.tif").values.astype(float)
        assert np.array_equal(np.isnan(a), np.isnan(b)) and np.isfinite(a).any()
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6, equal_nan=True, err_msg=f"{model} score")
    ranked_mem = pyogrio.read_dataframe(tmp_path / "mem" / "parcels" / "wind.gpkg", layer="ranked_parcels")
    ranked_dsk = pyogrio.read_dataframe(tmp_path / "dask" / "parcels" / "wind.gpkg", layer="ranked_parcels")
    assert list(ranked_mem["parcel_id"]) == list(ranked_dsk["parcel_id"])  # same order: same ranks
    for col in ranked_mem.columns:
        if col == "geometry":
            continue
        if pd.api.types.is_float_dtype(ranked_mem[col]):
            np.testing.assert_allclose(ranked_mem[col], ranked_dsk[col], rtol=0, atol=1e-6, err_msg=col)
        else:
            assert list(ranked_mem[col]) == list(ranked_dsk[col]), col
    assert dsk.summary["parcels"]["wind"] == mem.summary["parcels"]["wind"]


def test_unreachable_run_scheduler_is_named_in_the_error(tmp_path, monkeypatch):
    from steppe_geo.pipeline import evaluate

    monkeypatch.setattr(evaluate, "SCHEDULER_TIMEOUT", "1s")  # the bound of the wait, shortened
    data = {"sources": {k: str(v) for k, v in sg.datasets.sample_paths().items() if k in ("aoi", "dem")},
            "grid": {"aoi": "aoi", "resolution_m": 800},
            "models": {"terrain": {"criteria": [{"name": "dem", "function": "linear", "low": 1000,
                                                 "high": 1500, "weight": 1}]}},
            "outputs": {"maps": [], "report": False},
            "run": {"scheduler": "tcp://127.0.0.1:1"}}
    cfg = config_from_dict(data, base_dir=tmp_path, output_dir=tmp_path)
    with pytest.raises(InvalidParameterError, match=r"^run\.scheduler: cannot connect to 'tcp://127\.0\.0\.1:1'"):
        run(cfg, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == []  # no staging folder left
