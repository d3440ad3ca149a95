"""Keep GDAL from writing ``.aux.xml`` sidecars beside the vector files we open.

GDAL's *persistent auxiliary metadata* (PAM) writes ``<file>.aux.xml`` when a dataset opened
read-only has metadata it considers changed. The GeoPackage driver does this as soon as a
file carrying *dataset-level* metadata is opened (older steppe_geo outputs did), which
would modify an input beside the user's data. Vector formats keep nothing of ours in PAM,
so every pyogrio call of steppe_geo runs with ``GDAL_PAM_ENABLED=NO``.

pyogrio bundles its own GDAL, and its configuration options are process-wide; the option is
therefore set while at least one of our calls is running (reference-counted, under a lock)
and restored to the caller's value afterwards.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pyogrio

_LOCK = threading.Lock()
_DEPTH = 0
_SAVED: str | None = None


@contextlib.contextmanager
def no_pam_sidecars() -> Iterator[None]:
    """Run the body with pyogrio's GDAL option ``GDAL_PAM_ENABLED=NO``."""
    global _DEPTH, _SAVED

    with _LOCK:
        if _DEPTH == 0:
            _SAVED = pyogrio.get_gdal_config_option("GDAL_PAM_ENABLED")
            pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": "NO"})
        _DEPTH += 1
    try:
        yield
    finally:
        with _LOCK:
            _DEPTH -= 1
            if _DEPTH == 0:
                pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": _SAVED})
