"""Hints for error messages about inputs (shared by the raster and vector readers)."""

from __future__ import annotations

import math

from steppe_geo._typing import Bounds


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
