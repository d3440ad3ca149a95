"""Hints for error messages about inputs (shared by the raster and vector readers)."""

from __future__ import annotations

import math
from pathlib import Path

from steppe_geo._typing import Bounds
from steppe_geo.io.remote import is_remote, source_name


def missing_crs_hint(bounds: Bounds) -> str:
    """What CRS to assign to data without one, judged from its ``(west, south, east, north)`` bounds.

    Coordinates beyond ±180 (x) or ±90 (y) cannot be degrees: they are clearly projected (metres
    or feet), so a geographic CRS such as EPSG:4326 would be wrong and a projected one is suggested.
    """
    west, south, east, north = bounds
    if not all(map(math.isfinite, bounds)):
        return "assign the CRS the data was made in"
    if max(abs(west), abs(east)) > 180 or max(abs(south), abs(north)) > 90:
        return (f"its coordinates (x {west:.6g}..{east:.6g}, y {south:.6g}..{north:.6g}) are not degrees "
                "but projected (metres or feet): assign the projected CRS the data was made in, e.g. a UTM "
                "zone (EPSG:326NN north, EPSG:327NN south) or the national grid, not EPSG:4326")
    return (f"its coordinates (x {west:.6g}..{east:.6g}, y {south:.6g}..{north:.6g}) fit longitude and "
            "latitude: if they are degrees, assign EPSG:4326 (or the datum's geographic CRS)")


_DRIVER_HINT = "It might help to specify the correct driver explicitly"


def not_a_file(path: Path | str, what: str, *, directories: tuple[str, ...] = ()) -> str | None:
    """Why ``path`` cannot be a ``what`` ("raster", "vector file"): a folder or an empty file, else None.

    Folders whose name ends with one of ``directories`` (``".gdb"``: an Esri file geodatabase)
    are datasets and pass; so do URLs (GDAL tells what is wrong with them).
    """
    if is_remote(path):
        return None
    path = Path(path)
    if path.is_dir():
        if path.name.lower().endswith(directories):
            return None
        files = sorted(p.name for p in path.iterdir() if p.is_file())[:5]
        inside = f" (it holds {', '.join(map(repr, files))}, ...)" if files else " (it holds no file)"
        return f"{str(path)!r} is a folder, not a {what}{inside}; give the path of the {what} itself"
    if path.is_file() and path.stat().st_size == 0:
        return (f"{what} {str(path)!r} is an empty file (0 bytes): it was not written completely; "
                "write it again")
    return None


def unreadable_detail(path: Path | str, exc: Exception, what: str) -> str:
    """Why GDAL could not open ``path``, in our words: its message without GDAL's driver hint, and a guess.

    A file GDAL does not recognise whose first bytes are text is most likely a text file renamed
    (``.txt`` or ``.csv`` → ``.tif``); otherwise it is truncated, corrupt or of another format.
    """
    text = str(exc).split(_DRIVER_HINT)[0].rstrip("; ")
    if "not recognized as being in a supported file format" not in text:
        return f"{text} (is the file truncated or corrupt?)"
    head = b""
    if not is_remote(path):
        try:
            with open(path, "rb") as f:
                head = f.read(512)
        except OSError:
            pass
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        return (f"GDAL does not recognise it as a {what} format: it holds text "
                f"(begins {head[:40].decode('ascii')!r}), perhaps a text file renamed")
    return (f"GDAL does not recognise it as a {what} format (truncated or corrupt, or another kind of file "
            f"with a {Path(source_name(path)).suffix or 'missing'!s} extension)")
