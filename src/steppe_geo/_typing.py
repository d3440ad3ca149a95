"""Type aliases shared across the package."""

from __future__ import annotations

import os
from typing import TypeAlias

import pyproj

CRSLike: TypeAlias = pyproj.CRS | str | int
"""Anything :meth:`pyproj.CRS.from_user_input` accepts: a CRS, ``"EPSG:32649"``, ``4326``, WKT."""

PathLike: TypeAlias = str | os.PathLike[str]
"""A file system path."""

Bounds: TypeAlias = tuple[float, float, float, float]
"""``(west, south, east, north)`` in the units of the accompanying CRS."""
