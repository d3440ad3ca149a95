"""Reference cycles of a window's DataArrays, freed by ``collecting_windows``."""

from __future__ import annotations

import gc
import threading
import tracemalloc

import numpy as np

import steppe_geo as sg
from steppe_geo._cycles import collecting_windows

MIB = 2**20


def _window_array(grid: sg.Grid) -> None:
    """A DataArray of 2 MiB whose ``.rio`` accessor is used, then dropped (as a window's layers are)."""
    da = grid.to_dataarray(np.ones(grid.shape), name="layer")
    assert da.rio.crs is not None


def test_a_dataarray_whose_rio_accessor_was_used_outlives_its_last_reference():
    # why collecting_windows exists: with the automatic collector off, the array stays allocated
    grid = sg.Grid(crs="EPSG:32649", transform=(30, 0, 0, 0, -30, 512 * 30), shape=(512, 512))
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(3):
            _window_array(grid)
        held = tracemalloc.get_traced_memory()[0] - base
        gc.collect()
        after = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
        gc.enable()
    assert held > 3 * 2 * MIB  # three windows' arrays, unreachable but not freed
    assert after < 0.5 * MIB


def test_collecting_windows_frees_each_window_and_unfreezes_after_the_loop():
    grid = sg.Grid(crs="EPSG:32649", transform=(30, 0, 0, 0, -30, 512 * 30), shape=(512, 512))
    assert gc.get_freeze_count() == 0
    gc.disable()  # only the loop's own collections may free anything
    tracemalloc.start()
    try:
        with collecting_windows() as collect:
            frozen = gc.get_freeze_count()
            base = tracemalloc.get_traced_memory()[0]
            held = []
            for _ in range(5):
                _window_array(grid)
                collect()
                held.append(tracemalloc.get_traced_memory()[0] - base)
            with collecting_windows(collect_first=False) as inner:  # nested: one freeze
                inner()
                assert gc.get_freeze_count() == frozen
    finally:
        tracemalloc.stop()
        gc.enable()
    assert frozen > 0  # the objects alive before the loop were frozen ...
    assert gc.get_freeze_count() == 0  # ... and unfrozen after it
    assert max(held) < 0.5 * MIB


def test_collecting_windows_from_threads_and_a_process_that_froze_itself():
    errors = []

    def loop() -> None:
        try:
            with collecting_windows(collect_first=False) as collect:
                for _ in range(20):
                    collect()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=loop) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert gc.get_freeze_count() == 0
    gc.freeze()  # frozen by the process itself: left frozen
    try:
        count = gc.get_freeze_count()
        with collecting_windows() as collect:
            collect()
        assert gc.get_freeze_count() == count
    finally:
        gc.unfreeze()
