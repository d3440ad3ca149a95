"""steppe_geo: land suitability for wind and solar, desertification risk and restoration priority.

Score land through a weighted overlay and turn the result into ranked polygons and maps.
Rasters are :class:`xarray.DataArray` objects with rioxarray metadata; parcels are
:class:`geopandas.GeoDataFrame` objects.

``steppe_geo.maps`` (matplotlib) is imported on first use (``sg.maps``), not by ``import steppe_geo``.
"""

import importlib
from types import ModuleType

from steppe_geo import criteria, datasets, errors, io, mcda, models, parcels
from steppe_geo._version import __version__
from steppe_geo.grid import Grid, GridWindow
from steppe_geo.io import align, rasterize, read_raster, read_vector, write_raster, write_vector

_LAZY_MODULES = ("maps",)
"""Subpackages imported on first attribute access (they pull in matplotlib)."""

__all__ = [
    "Grid",
    "GridWindow",
    "__version__",
    "align",
    "criteria",
    "datasets",
    "errors",
    "io",
    "maps",
    "mcda",
    "models",
    "parcels",
    "rasterize",
    "read_raster",
    "read_vector",
    "write_raster",
    "write_vector",
]


def __getattr__(name: str) -> ModuleType:
    """Import :data:`_LAZY_MODULES` (``sg.maps``) on first use (PEP 562)."""
    if name in _LAZY_MODULES:
        return importlib.import_module(f"steppe_geo.{name}")
    raise AttributeError(f"module 'steppe_geo' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names (:data:`__all__`), not the submodules imported along the way (PEP 562)."""
    return sorted(__all__)
