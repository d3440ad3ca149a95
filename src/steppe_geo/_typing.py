"""Type aliases shared across the package."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import pyproj

if TYPE_CHECKING:
    import geopandas as gpd
    import xarray as xr

CRSLike: TypeAlias = pyproj.CRS | str | int
"""Anything :meth:`pyproj.CRS.from_user_input` accepts: a CRS, ``"EPSG:32649"``, ``4326``, WKT."""

PathLike: TypeAlias = str | os.PathLike[str]
"""A file system path."""

Bounds: TypeAlias = tuple[float, float, float, float]
"""``(west, south, east, north)`` in the units of the accompanying CRS."""

FeaturesLike: TypeAlias = "gpd.GeoDataFrame | gpd.GeoSeries | xr.DataArray"
"""What distances and setbacks are measured to: vector features (any CRS) or a raster on the grid."""

ClassesLike: TypeAlias = int | float | Sequence[int | float] | np.ndarray
"""One class value or several (categorical raster codes)."""

RasterOrNumber: TypeAlias = "xr.DataArray | float"
"""A georeferenced raster or one number applied to every pixel."""
