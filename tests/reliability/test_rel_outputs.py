"""Reliability catalogue: outputs are never lost (issue 13, items 1 and the full-disk part of 4).

Real processes and real signals: runs are started with ``subprocess.Popen`` (the ``steppe-geo`` command
line, or a small driver that pauses a real run at a chosen stage until a "go" file appears, so that a
kill or a second run happens at a known moment), killed with SIGKILL / SIGTERM, and run concurrently.
The full-disk cases mount a real 2 MiB tmpfs (root only; skipped with the reason otherwise) and the
read-only cases a read-only tmpfs.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import psutil
import pytest
import rasterio
import tomli_w

from steppe_geo.datasets import sample_paths
from steppe_geo.errors import OutputExistsError, OutputLockedError, OutputNotWritableError, SteppeGeoError
from steppe_geo.io import atomic_path
from steppe_geo.pipeline import STAGE_PREFIX, clean_stale_stages, lock_path, output_lock, staged_output_dir

CLI = [sys.executable, "-m", "steppe_geo.cli"]
ENV = {**os.environ, "MPLBACKEND": "Agg"}
WAIT_S = 300  # a generous bound on waiting for a subprocess to reach a point (not a timing assertion)

# Runs the command line after replacing one stage function of the runner by a wrapper that runs the
# real stage, then writes a marker file and waits for a "go" file: the test acts at that moment.
DRIVER = """
import os, sys, time, pathlib
from steppe_geo.pipeline import runner
point, marker, go = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
real = getattr(runner, point)
def paused(*args, **kwargs):
    result = real(*args, **kwargs)
    marker.write_text(str(os.getpid()))
    while not go.exists():
        time.sleep(0.05)
    return result
setattr(runner, point, paused)
from steppe_geo.cli import main
main(sys.argv[4:], prog_name="steppe-geo")
"""


def _config(tmp_path: Path, out: Path, *, mode: str = "memory") -> Path:
    data = {
        "sources": {k: f"sample:{k}" for k in sample_paths()},
        "grid": {"aoi": "aoi", "resolution_m": 2000},
        "models": {"wind": {"preset": "wind_onshore"}},
        "outputs": {"directory": str(out), "maps": [], "report": False},
        "run": {"mode": mode, "window": 16},
    }
    path = tmp_path / "cfg" / f"run-{mode}.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def _cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=ENV,
                          timeout=WAIT_S)


def _paused(tmp_path: Path, point: str, *args: str | Path,
            tag: str = "a") -> tuple[subprocess.Popen, Path, Path]:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    marker, go = tmp_path / f"reached-{tag}", tmp_path / f"go-{tag}"
    proc = subprocess.Popen([sys.executable, str(driver), point, str(marker), str(go), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=ENV)
    deadline = time.monotonic() + WAIT_S
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"the paused run ended early ({proc.returncode}): {proc.communicate()[1]}")
        assert time.monotonic() < deadline, f"the run never reached {point}"
        time.sleep(0.1)
    return proc, marker, go


def _assert_complete(out: Path) -> dict:
    """The folder holds exactly the files its summary.json lists, and its rasters open."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    present = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert sorted(summary["files"]) == present
    for name in present:
        if name.endswith(".tif"):
            with rasterio.open(out / name) as ds:
                ds.read(1)
    return summary


def _leftovers(parent: Path) -> list[str]:
    """Hidden staging folders, owner records and lock files left in ``parent``."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith((STAGE_PREFIX, ".out")))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- folder problems
@pytest.mark.case("clear_error")
def test_existing_output_folder_without_overwrite_is_refused_unchanged(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous results", encoding="utf-8")
    with pytest.raises(OutputExistsError, match=r"output folder .*out'.* exists already; nothing was changed"
                       r".*overwrite"), staged_output_dir(out):
        pytest.fail("the block must not run")
    assert (out / "keep.txt").read_text(encoding="utf-8") == "previous results"
    assert _leftovers(tmp_path) == []


@pytest.mark.case("clear_error")
def test_output_path_that_is_an_existing_file_is_refused(tmp_path):
    out = tmp_path / "out"
    out.write_text("not a folder", encoding="utf-8")
    with pytest.raises(OutputExistsError,
                       match=r"output folder .*out'.* is an existing file; choose a folder"), \
            staged_output_dir(out, overwrite=True):
        pytest.fail("the block must not run")
    assert out.read_text(encoding="utf-8") == "not a folder"


# the one case the issue allows to be left out: mounting a small tmpfs needs root (CI runs as root)
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs (full or read-only "
                                "file system) needs root; this test runs as a normal user")


@pytest.fixture
def tmpfs(tmp_path):
    """Mount a tmpfs at ``tmp_path / "fs"`` with the given options (root only); unmounted at the end."""
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        where = tmp_path / f"fs{len(mounted)}"
        where.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=True)
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=True)


@pytest.mark.case("clear_error")
@needs_root
def test_read_only_output_location_is_refused_naming_the_folder(tmpfs, tmp_path):
    ro = tmpfs("ro,size=1m")
    with pytest.raises(OutputNotWritableError, match=r"cannot write output folder .*fs0/out'.*lock file"
                       r".*Read-only file system.*choose a writable folder"), staged_output_dir(ro / "out"):
        pytest.fail("the block must not run")


@pytest.mark.case("clear_error")
@needs_root
def test_run_into_a_read_only_location_fails_before_any_work(tmpfs, tmp_path):
    ro = tmpfs("ro,size=1m")
    cfg = _config(tmp_path, ro / "out")
    res = _cli("run", cfg, cwd=tmp_path)
    assert res.returncode == 1
    assert "Error: cannot write output folder" in res.stderr and "Read-only file system" in res.stderr
    assert "Traceback" not in res.stderr
    assert list(ro.iterdir()) == []


@pytest.mark.case("clear_error")
@needs_root
def test_full_disk_during_a_run_names_the_folder_and_the_free_space(tmpfs, tmp_path):
    full = tmpfs("size=200k")  # the run's rasters need more than 200 KiB
    cfg = _config(tmp_path, full / "out")
    res = _cli("run", cfg, cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert f"Error: no space left to write '{full / 'out'}/rasters/" in res.stderr
    assert "free space on its file system is" in res.stderr and "MiB" in res.stderr
    assert "Traceback" not in res.stderr and "RasterioIOError" not in res.stderr
    assert list(full.iterdir()) == []  # no output, no staging folder, no lock file


@pytest.mark.case("correct_result")
@needs_root
def test_too_little_free_space_for_the_estimate_is_reported_before_writing(tmpfs, caplog):
    small = tmpfs("size=1m")
    with caplog.at_level("WARNING", logger="steppe_geo.pipeline.staging"), \
            staged_output_dir(small / "out", expected_bytes=10 * 2**20) as stage:
        (stage / "small.txt").write_text("fits", encoding="utf-8")
    assert f"output folder {small / 'out'}: 1.0 MiB free on its file system, the outputs may need up to " \
        "10.0 MiB" in caplog.text
    assert (small / "out" / "small.txt").exists()  # an estimate warns; it does not refuse


@pytest.mark.case("clear_error")
@needs_root
def test_full_disk_while_writing_a_geotiff_gives_output_not_writable(tmpfs):
    full = tmpfs("size=2m")
    dest = full / "big.tif"
    data = np.random.default_rng(0).random((1000, 1000), dtype=np.float32)  # 4 MB, incompressible
    with pytest.raises(OutputNotWritableError) as info, atomic_path(dest) as tmp, \
            rasterio.open(tmp, "w", driver="GTiff", width=1000, height=1000, count=1, dtype="float32",
                          crs="EPSG:32649", transform=rasterio.transform.from_origin(0, 1000, 1, 1)) as ds:
        ds.write(data, 1)
    msg = str(info.value)
    assert f"no space left to write {str(dest)!r}" in msg and "free space on its file system is" in msg
    assert isinstance(info.value, SteppeGeoError) and isinstance(info.value, PermissionError)
    assert list(full.iterdir()) == []  # the temporary file is gone: the space is free again


@pytest.mark.case("clear_error")
@needs_root
def test_full_disk_for_a_plain_file_write_gives_output_not_writable(tmpfs):
    full = tmpfs("size=64k")
    dest = full / "table.csv"
    with pytest.raises(OutputNotWritableError, match=r"no space left to write .*table.csv'.*free space"), \
            atomic_path(dest) as tmp:
        tmp.write_bytes(b"x" * 200_000)
    assert list(full.iterdir()) == []


@pytest.mark.case("clear_error")
def test_output_folder_holding_an_input_is_refused_even_with_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dem = out / "dem.tif"
    dem.write_bytes(b"input bytes")
    with pytest.raises(OutputExistsError,
                       match=r"refusing to use output folder .*out'.* holds input 'dem'"), \
            staged_output_dir(out, overwrite=True, inputs={"dem": dem}):
        pytest.fail("the block must not run")
    assert dem.read_bytes() == b"input bytes"


# ----------------------------------------------------------------------------- the final swap
@pytest.mark.case("clear_error")
def test_folder_appearing_during_the_run_is_kept_and_the_run_fails(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OutputExistsError,
                       match=r"output folder .*out'.* appeared while this run was writing; it was kept"), \
            staged_output_dir(out) as stage:
        (stage / "new.txt").write_text("new", encoding="utf-8")
        out.mkdir()  # another program (not a steppe_geo run: those are locked out) creates it
        (out / "theirs.txt").write_text("theirs", encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["theirs.txt"]
    assert _leftovers(tmp_path) == []


@pytest.mark.case("correct_result")
def test_overwrite_swaps_in_the_new_folder_and_leaves_nothing_hidden(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old", encoding="utf-8")
    with staged_output_dir(out, overwrite=True) as stage:
        (stage / "new.txt").write_text("new", encoding="utf-8")
        assert (out / "old.txt").exists()  # the old output stays until the new one is complete
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert _leftovers(tmp_path) == []


@pytest.mark.case("correct_result")
def test_an_error_in_the_run_removes_the_stage_and_releases_the_lock(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ZeroDivisionError), staged_output_dir(out) as stage:
        (stage / "half.txt").write_text("half", encoding="utf-8")
        assert lock_path(out).exists()
        1 / 0  # noqa: B018
    assert not out.exists() and _leftovers(tmp_path) == []
    with staged_output_dir(out):  # the folder can be claimed again at once
        pass
    assert out.is_dir()


# ----------------------------------------------------------------------------- the lock
@pytest.mark.case("clear_error")
def test_lock_held_by_another_process_names_it(tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from steppe_geo.pipeline import output_lock\n"
         f"with output_lock({str(out)!r}):\n    print('locked', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(OutputLockedError) as info, output_lock(out):
            pytest.fail("the block must not run")
        msg = str(info.value)
        assert f"output folder {str(out)!r} is being written by another run" in msg
        assert f"pid {holder.pid} on host {socket.gethostname()}, started 20" in msg
        assert "nothing was changed" in msg and "Wait for that run to finish" in msg
        assert isinstance(info.value, OutputExistsError) and isinstance(info.value, FileExistsError)
    finally:
        holder.communicate(timeout=WAIT_S)
    assert holder.returncode == 0 and not lock_path(out).exists()


@pytest.mark.case("clear_error")
def test_second_run_fails_fast_while_the_first_holds_the_folder(tmp_path):
    out = tmp_path / "out"
    cfg = _config(tmp_path, out)
    first, _, go = _paused(tmp_path, "load_inputs", "run", cfg)
    try:
        second = _cli("run", cfg, cwd=tmp_path)
        assert first.poll() is None  # the first run is still paused: the second did not wait for it
        assert second.returncode == 1
        assert f"output folder {str(out)!r} is being written by another run (pid {first.pid}" in second.stderr
        assert "Traceback" not in second.stderr
        second_ow = _cli("run", cfg, "--overwrite", cwd=tmp_path)  # --overwrite does not take it either
        assert second_ow.returncode == 1 and "is being written by another run" in second_ow.stderr
    finally:
        go.touch()
        _, err = first.communicate(timeout=WAIT_S)
    assert first.returncode == 0, err
    _assert_complete(out)
    assert _leftovers(tmp_path) == []


@pytest.mark.slow
@pytest.mark.case("correct_result")
def test_two_runs_started_together_one_wins_the_other_is_refused(tmp_path):
    out = tmp_path / "out"
    cfg = _config(tmp_path, out)
    procs = [subprocess.Popen([*CLI, "run", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=tmp_path, env=ENV) for _ in range(2)]
    results = [(p.communicate(timeout=WAIT_S)[1], p.returncode)[::-1] for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    loser = next(err for code, err in results if code == 1)
    assert "is being written by another run" in loser or "exists already; nothing was changed" in loser
    _assert_complete(out)
    assert _leftovers(tmp_path) == []


@pytest.mark.slow
@pytest.mark.case("correct_result")
def test_two_overwrite_runs_together_leave_one_complete_output_and_nothing_stranded(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "previous.txt").write_text("the previous output", encoding="utf-8")
    cfg = _config(tmp_path, out)
    procs = [subprocess.Popen([*CLI, "run", str(cfg), "--overwrite"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=ENV) for _ in range(2)]
    results = [(p.communicate(timeout=WAIT_S)[1], p.returncode)[::-1] for p in procs]
    assert 0 in [code for code, _ in results], results
    for code, err in results:
        assert code == 0 or (code == 1 and "is being written by another run" in err), err
    _assert_complete(out)
    assert not (out / "previous.txt").exists()
    assert _leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- kills
@pytest.mark.slow
@pytest.mark.case("correct_result")
@pytest.mark.parametrize(("point", "mode"), [
    pytest.param("load_inputs", "memory", id="after-align"),
    pytest.param("evaluate_model", "memory", id="after-models"),
    pytest.param("_evaluate_from_files", "streamed", id="after-streamed-models"),
    pytest.param("_write_outputs", "memory", id="after-raster-writes"),
])
def test_sigkill_leaves_no_output_and_the_next_run_removes_the_stage(tmp_path, point, mode):
    out = tmp_path / "out"
    cfg = _config(tmp_path, out, mode=mode)
    proc, _, _ = _paused(tmp_path, point, "run", cfg)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=WAIT_S)
    stages = [p for p in tmp_path.iterdir() if p.name.startswith(STAGE_PREFIX) and p.is_dir()]
    assert len(stages) == 1 and not out.exists()  # what SIGKILL leaves: a hidden stage, never `out`
    owner = json.loads(stages[0].with_name(stages[0].name + ".owner").read_text(encoding="utf-8"))
    assert owner["pid"] == proc.pid and owner["host"] == socket.gethostname()
    res = _cli("run", cfg, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert f"removed {stages[0].name} left by a killed run (pid {proc.pid})" in res.stderr
    _assert_complete(out)
    assert _leftovers(tmp_path) == []


@pytest.mark.slow
@pytest.mark.case("correct_result")
def test_sigterm_mid_run_exits_143_and_releases_the_lock(tmp_path):
    out = tmp_path / "out"
    cfg = _config(tmp_path, out)
    proc, _, _ = _paused(tmp_path, "evaluate_model", "run", cfg)
    assert lock_path(out).exists()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 143, err
    assert "Terminated: no partial outputs were left." in err
    assert not out.exists() and _leftovers(tmp_path) == []
    with output_lock(out):  # free: claimed at once
        pass


@pytest.mark.case("correct_result")
def test_stale_stage_of_a_live_owner_is_kept_and_of_a_dead_or_reused_pid_removed(tmp_path):
    out = tmp_path / "out"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead_pid = int(gone.stdout)
    me = psutil.Process()
    records = {
        "aaaaaaaaaaaa": {"pid": os.getpid(), "host": socket.gethostname(),
                         "process_start": round(me.create_time(), 2)},           # alive: kept
        "bbbbbbbbbbbb": {"pid": dead_pid, "host": socket.gethostname(), "process_start": 1.0},  # gone
        "cccccccccccc": {"pid": os.getpid(), "host": socket.gethostname(),
                         "process_start": round(me.create_time(), 2) - 3600.0},  # pid reused: gone
        "dddddddddddd": {"pid": dead_pid, "host": "another-host.example", "process_start": 1.0},  # unknown
    }
    if psutil.pid_exists(dead_pid):
        pytest.fail(f"pid {dead_pid} was reused at once; rerun")
    for token, rec in records.items():
        stage = tmp_path / f"{STAGE_PREFIX}out-{token}"
        stage.mkdir()
        (stage / "score.tif").write_bytes(b"partial")
        stage.with_name(stage.name + ".owner").write_text(json.dumps(rec), encoding="utf-8")
    other = tmp_path / f"{STAGE_PREFIX}out-2-bbbbbbbbbbbb"  # another output folder's stage: not ours
    other.mkdir()
    removed = clean_stale_stages(out)
    assert sorted(p.name[-12:] for p in removed) == ["bbbbbbbbbbbb", "cccccccccccc"]
    left = sorted(p.name for p in tmp_path.iterdir() if p.is_dir())
    assert left == [f"{STAGE_PREFIX}out-2-bbbbbbbbbbbb", f"{STAGE_PREFIX}out-aaaaaaaaaaaa",
                    f"{STAGE_PREFIX}out-dddddddddddd"]


@pytest.mark.case("correct_result")
def test_previous_output_moved_aside_by_a_killed_swap_is_put_back(tmp_path):
    out = tmp_path / "out"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    # a crash between rename(out, old) and rename(stage, out) left the previous output here
    old = tmp_path / f"{STAGE_PREFIX}old-out-0123456789ab"
    old.mkdir()
    (old / "summary.json").write_text("{}", encoding="utf-8")
    old.with_name(old.name + ".owner").write_text(
        json.dumps({"pid": int(gone.stdout), "host": socket.gethostname(), "process_start": 1.0}),
        encoding="utf-8")
    with pytest.raises(OutputExistsError, match="exists already"), staged_output_dir(out):
        pytest.fail("the restored previous output must not be replaced without overwrite")
    assert (out / "summary.json").read_text(encoding="utf-8") == "{}"
    assert _leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- inputs and repeat runs
@pytest.mark.slow
@pytest.mark.case("correct_result")
def test_inputs_are_unchanged_and_repeat_runs_give_identical_pixels_and_tables(tmp_path):
    paths = {k: Path(v) for k, v in sample_paths().items()}
    before = {k: _sha256(p) for k, p in paths.items() if p.is_file()}
    cfg_a = _config(tmp_path, tmp_path / "a")
    cfg_b = tmp_path / "cfg" / "run-b.toml"
    cfg_b.write_text(cfg_a.read_text(encoding="utf-8").replace(str(tmp_path / "a"), str(tmp_path / "b")),
                     encoding="utf-8")
    for cfg in (cfg_a, cfg_b):
        res = _cli("run", cfg, cwd=tmp_path)
        assert res.returncode == 0, res.stderr
    assert {k: _sha256(p) for k, p in paths.items() if p.is_file()} == before
    files_a = _assert_complete(tmp_path / "a")["files"]
    assert files_a == _assert_complete(tmp_path / "b")["files"]
    rasters = [f for f in files_a if f.endswith(".tif")]
    assert rasters
    for name in rasters:
        with rasterio.open(tmp_path / "a" / name) as da, rasterio.open(tmp_path / "b" / name) as db:
            assert {k: v for k, v in da.profile.items() if k != "nodata"} == \
                {k: v for k, v in db.profile.items() if k != "nodata"}
            np.testing.assert_equal(da.nodata, db.nodata)  # NaN == NaN here
            np.testing.assert_array_equal(da.read(), db.read())


@pytest.mark.case("correct_result")
def test_repeat_runs_with_source_date_epoch_are_byte_identical(tmp_path, monkeypatch):
    """Reproducible outputs: with SOURCE_DATE_EPOCH set, every file is the same byte for byte.

    The demo configuration writes every kind of output (COGs, GeoPackage, zipped shapefile, PNG
    and PDF maps, the HTML report); only the summary's run times may differ.
    """
    import json

    from steppe_geo.io import created_utc
    from steppe_geo.pipeline import demo_config, run

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764720000")  # 2025-12-03T00:00:00Z
    monkeypatch.delenv("OGR_CURRENT_DATE", raising=False)
    hashes = []
    for name in ("a", "b"):
        with warnings.catch_warnings():  # the demo's messy inputs are announced (tested elsewhere)
            warnings.simplefilter("ignore")
            run(demo_config(tmp_path / name, resolution_m=2000))
        out = tmp_path / name
        hashes.append({str(p.relative_to(out)): _sha256(p) for p in sorted(out.rglob("*")) if p.is_file()})
        if name == "a":
            time.sleep(2.1)  # a clock-dated byte (zip entries count in 2 s steps) would now differ
    assert hashes[0].keys() == hashes[1].keys()
    kinds = {Path(f).suffix for f in hashes[0]}
    assert {".tif", ".gpkg", ".zip", ".png", ".pdf", ".html"} <= kinds
    differ = sorted(f for f in hashes[0] if hashes[0][f] != hashes[1][f])
    assert differ == ["summary.json", "summary.txt"]
    def untimed(obj: object) -> object:  # the run times (keys "..._seconds") are the only difference
        if isinstance(obj, dict):
            return {k: untimed(v) for k, v in obj.items() if not str(k).endswith("seconds")}
        return [untimed(v) for v in obj] if isinstance(obj, list) else obj

    summaries = [json.loads((tmp_path / n / "summary.json").read_text(encoding="utf-8")) for n in "ab"]
    assert untimed(summaries[0]) == untimed(summaries[1])
    assert summaries[0]["provenance"]["created_utc"] == created_utc() == "2025-12-03T00:00:00+00:00"
    import sqlite3

    with sqlite3.connect(next((tmp_path / "a").rglob("*.gpkg"))) as db:
        (stamp,) = {row[0] for row in db.execute("SELECT last_change FROM gpkg_contents")}
    assert stamp == "2025-12-03T00:00:00.000Z"


@pytest.mark.case("clear_error")
def test_source_date_epoch_that_is_not_an_integer_is_refused_naming_the_variable(monkeypatch):
    from steppe_geo.errors import InvalidParameterError
    from steppe_geo.io import created_utc

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(InvalidParameterError, match=r"SOURCE_DATE_EPOCH='yesterday'.*non-negative integer"):
        created_utc()
