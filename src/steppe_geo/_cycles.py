"""Reference cycles freed window by window in the streamed loops, so that memory stays bounded.

Every ``xarray.DataArray`` whose ``.rio`` accessor was used is part of a reference cycle: xarray
caches the accessor object on the array (``DataArray._cache``) and rioxarray's accessor keeps the
array (``RasterArray._obj``). Reference counting never frees a cycle; Python's cyclic garbage
collector does, but it is triggered by *counts* of allocated objects, not bytes, and a full
collection (the only one that reaches objects that lived through a window's computation) runs
when the long-lived objects have grown by 25 %. So a window's DataArrays — with their pixel
arrays — stay allocated long after the window is written: measured on the 24-band NDVI stack
aligned at 10 m (1024-pixel windows, 96 MiB each), the process grew by about one window per
window read, from 263 MiB to 1.37 GiB after 35 windows (``docs/scale.md``).

:func:`collecting_windows` frees them after each window at a small cost: a full collection of
the whole heap of a process that imported the geospatial stack (about 150 000 objects) takes
about 0.1 s of CPU, so the objects alive when a windowed loop starts are moved to the permanent
generation (:func:`gc.freeze`) for the loop's duration, and each collection then scans only what
the loop allocated (about 1 ms). The freeze is undone (:func:`gc.unfreeze`) when the outermost
loop ends; a process that froze objects itself is left as it is (its collections are then full).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable, Iterator

_lock = threading.Lock()
_depth = 0
_frozen_here = False


def _collect() -> None:
    gc.collect()


@contextlib.contextmanager
def collecting_windows(*, collect_first: bool = True) -> Iterator[Callable[[], None]]:
    """Context of a windowed loop: yields a function that frees the cycles of the last window.

    Call the yielded function after each window (once its results are written or converted to
    plain arrays). Nested and concurrent uses (threads of a Dask worker) share one freeze: the
    first to enter freezes the heap, the last to leave unfreezes it.

    Parameters
    ----------
    collect_first : bool, default True
        Collect the whole heap once before freezing it (about 0.1 s), so that garbage pending
        from earlier work is not frozen with it. A Dask task, whose worker collected after the
        previous task, passes ``False``.

    Yields
    ------
    callable
        ``collect()``: a full collection of the objects allocated since the loop began.
    """
    global _depth, _frozen_here
    with _lock:
        if _depth == 0:
            _frozen_here = gc.get_freeze_count() == 0
            if _frozen_here:
                if collect_first:
                    gc.collect()
                gc.freeze()
        _depth += 1
    try:
        yield _collect
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _frozen_here:
                gc.unfreeze()
                _frozen_here = False
