"""Tests for steppe_geo.io.atomic: a kill mid-write leaves no partial file at the destination."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from steppe_geo.errors import OutputExistsError, OutputNotWritableError
from steppe_geo.io import atomic_path, file_checksum, write_text

CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from affine import Affine
    import steppe_geo as sg
    from steppe_geo.io import raster_writer

    grid = sg.Grid("EPSG:32649", Affine(30, 0, 400000, 0, -30, 4431200), (1024, 1024))
    with raster_writer(sys.argv[1], grid, overwrite=True) as w:
        for i, win in enumerate(grid.windows(128)):
            w.write(np.full((128, 128), i, dtype="float32"), win.core)
            if i == 3:
                print("started", flush=True)
            time.sleep(0.05)
    print("finished", flush=True)
    """
)


@pytest.mark.parametrize("previous", [False, True])
def test_sigkill_mid_write_leaves_no_partial_destination(tmp_path, previous):
    dest = tmp_path / "big.tif"
    if previous:
        write_text("previous output", dest)
        before = file_checksum(dest)
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(dest)], stdout=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "started"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    if previous:
        assert file_checksum(dest) == before
    else:
        assert not dest.exists()
    # only hidden temporaries may remain, never something at the destination name
    leftovers = [p.name for p in tmp_path.iterdir() if p != dest]
    assert all(name.startswith(".steppe_geo-tmp-") for name in leftovers)


def test_atomic_path_renames_only_on_success(tmp_path):
    dest = tmp_path / "sub" / "a.txt"
    with atomic_path(dest) as tmp:
        assert tmp.parent == dest.parent and tmp.suffix == ".txt" and not dest.exists()
        tmp.write_text("ok")
    assert dest.read_text() == "ok"
    with pytest.raises(ValueError, match="fail"), atomic_path(dest, overwrite=True) as tmp:
        tmp.write_text("half")
        raise ValueError("fail")
    assert dest.read_text() == "ok"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["a.txt"]


def test_writer_that_produces_nothing(tmp_path):
    with pytest.raises(OutputNotWritableError, match=r"writer produced no file for .*b\.txt"), \
            atomic_path(tmp_path / "b.txt"):
        pass


def test_directory_as_output_is_refused(tmp_path):
    with pytest.raises(OutputExistsError, match="is a directory"):
        write_text("x", tmp_path)


def test_unwritable_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputNotWritableError, match=r"cannot create output folder .*file"):
        write_text("x", blocker / "sub" / "a.txt")


def test_atomic_write_fsyncs_the_file_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    dest = tmp_path / "a.txt"
    synced: list[tuple[int, int, bool]] = []
    real_fsync = os.fsync

    def spy(fd):  # records what was flushed and whether the rename had happened, then flushes
        st = os.fstat(fd)
        synced.append((st.st_dev, st.st_ino, dest.exists()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    write_text("hello", dest)
    st_file, st_dir = dest.stat(), tmp_path.stat()
    assert synced == [(st_file.st_dev, st_file.st_ino, False), (st_dir.st_dev, st_dir.st_ino, True)]
