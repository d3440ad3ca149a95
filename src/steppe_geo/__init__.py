"""steppe_geo: land suitability for wind and solar, desertification risk and restoration priority.

Score land through a weighted overlay and turn the result into ranked polygons and maps.
Rasters are :class:`xarray.DataArray` objects with rioxarray metadata; parcels are
:class:`geopandas.GeoDataFrame` objects.
"""

from __future__ import annotations

from steppe_geo import criteria, datasets, errors, mcda, models, parcels
from steppe_geo.grid import Grid, GridWindow
from steppe_geo.io import rasterize, read_raster, read_vector, write_raster, write_vector

__version__ = "0.1.0"

__all__ = [
    "Grid",
    "GridWindow",
    "__version__",
    "criteria",
    "datasets",
    "errors",
    "mcda",
    "models",
    "parcels",
    "rasterize",
    "read_raster",
    "read_vector",
    "write_raster",
    "write_vector",
]
