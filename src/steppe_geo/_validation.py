"""Shared argument checks: one place, never copy-pasted (cf. scikit-image ``check_nD``)."""

from __future__ import annotations

import difflib
import enum
import math
from collections.abc import Iterable
from typing import Any, TypeVar

import psutil
import pyproj

from steppe_geo.errors import GeographicCRSError, InvalidParameterError, SizeLimitError

E = TypeVar("E", bound=enum.Enum)


def closest(value: str, choices: Iterable[str]) -> str | None:
    """Return the choice closest to ``value`` (for 'did you mean' hints), or None."""
    match = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return match[0] if match else None


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` or an empty string."""
    hint = closest(value, choices)
    return f"; did you mean {hint!r}?" if hint else ""


def parse_choice(enum_cls: type[E], value: Any, *, param: str) -> E:
    """Turn a string (or member) into a member of ``enum_cls`` by value, case-insensitively.

    Raises InvalidParameterError listing the valid values and the closest one.
    """
    if isinstance(value, enum_cls):
        return value
    valid = [str(m.value) for m in enum_cls]
    if isinstance(value, str):
        key = value.strip().lower().replace("_", "-")
        for member in enum_cls:
            if str(member.value).lower().replace("_", "-") == key:
                return member
    raise InvalidParameterError(
        f"{param}: unknown value {value!r}{did_you_mean(str(value), valid)} "
        f"Valid values are: {', '.join(repr(v) for v in valid)}."
    )


def to_crs(crs: Any, *, param: str = "crs") -> pyproj.CRS:
    """Parse anything pyproj accepts into a CRS, with an error naming ``param``."""
    if isinstance(crs, pyproj.CRS):
        return crs
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise InvalidParameterError(f"{param}: not a valid CRS: {crs!r} ({exc})") from None


def check_projected(crs: Any, *, what: str) -> pyproj.CRS:
    """Raise GeographicCRSError unless ``crs`` is projected with metre units."""
    crs = to_crs(crs)
    if not crs.is_projected:
        raise GeographicCRSError(
            f"{what} needs a projected CRS in metres, got a geographic CRS ({crs.to_string()}); "
            "reproject first, e.g. onto Grid.for_area(aoi, resolution_m=...)"
        )
    unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
    if unit not in ("metre", "meter", "m"):
        raise GeographicCRSError(f"{what} needs a CRS in metres, got units {unit!r} ({crs.to_string()})")
    return crs


def check_number(value: Any, *, param: str, allow_inf: bool = False) -> float:
    """A float from a real number (not a string or bool), or InvalidParameterError naming ``param``.

    NaN is refused, and infinity too unless ``allow_inf`` (open-ended ranges).
    """
    if isinstance(value, bool | str | bytes):
        raise InvalidParameterError(f"{param} must be a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{param} must be a number, got {value!r}") from None
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise InvalidParameterError(f"{param} must be a finite number, got {value!r}")
    return v


def check_positive(value: float, *, param: str) -> float:
    """Raise InvalidParameterError unless ``value`` is a finite number > 0."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{param} must be a number > 0, got {value!r}") from None
    if not v > 0 or v == float("inf"):
        raise InvalidParameterError(f"{param} must be a finite number > 0, got {value!r}")
    return v


def check_range(value: float, *, param: str, low: float, high: float) -> float:
    """Raise InvalidParameterError unless ``low <= value <= high``."""
    v = float(value)
    if not (low <= v <= high):
        raise InvalidParameterError(f"{param} must be within [{low}, {high}], got {value!r}")
    return v


MAX_PIXELS = 10**10
"""Hard cap on the pixels of any grid or raster (10 billion: 100 000 × 100 000; one float32 layer
of it is 40 GB). Inner Mongolia's bounding box at 30 m is about 4.5 billion pixels."""

GIB = 1024**3


def format_bytes(n: float) -> str:
    """``1.5 GiB``, ``300 MiB``: a byte count for messages."""
    for unit, size in (("TiB", 1024**4), ("GiB", GIB), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


def check_pixel_count(rows: int, cols: int, *, what: str, bands: int = 1, hint: str = "") -> int:
    """Raise SizeLimitError when ``rows × cols × bands`` exceeds :data:`MAX_PIXELS`; return the count.

    Computed with Python integers (no overflow, nothing allocated). ``what`` names the grid or file,
    ``hint`` says what would be valid.
    """
    n = int(rows) * int(cols) * int(bands)
    if n > MAX_PIXELS:
        shape = f"{int(rows):,} × {int(cols):,}" + (f" × {int(bands)} bands" if bands != 1 else "")
        raise SizeLimitError(
            f"{what}: {shape} = {n:.3g} pixels, more than the limit of {MAX_PIXELS:.0e} pixels "
            f"(steppe_geo.grid.MAX_GRID_PIXELS){'; ' + hint if hint else ''}"
        )
    return n


def available_memory() -> int:
    """Memory the process can allocate without swapping, in bytes (``psutil.virtual_memory().available``)."""

    return int(psutil.virtual_memory().available)


def check_allocation(nbytes: int, *, what: str, hint: str = "", available: int | None = None) -> None:
    """Raise SizeLimitError when allocating ``nbytes`` would exceed the available memory.

    ``available`` defaults to :func:`available_memory`; ``what`` names what would be allocated.
    """
    free = available_memory() if available is None else int(available)
    if nbytes > free:
        raise SizeLimitError(
            f"{what} needs {format_bytes(nbytes)} of memory, but only {format_bytes(free)} is available"
            f"{'; ' + hint if hint else ''}"
        )
