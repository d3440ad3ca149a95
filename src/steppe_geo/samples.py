"""The bundled synthetic sample dataset: its layers, where its files are, and its grid.

Re-exported by :mod:`steppe_geo.datasets` (see there).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from steppe_geo._validation import did_you_mean
from steppe_geo.errors import InputNotFoundError, MissingLayerError
from steppe_geo.grid import Grid
from steppe_geo.io import read_vector

__all__ = ["LAYERS", "RECORD_FILE", "SampleLayer", "describe", "sample_dir", "sample_grid", "sample_paths",
           "sample_record_path"]


@dataclass(frozen=True)
class SampleLayer:
    """One layer of the sample dataset.

    Attributes
    ----------
    file : str
        File name inside the sample folder.
    kind : {"continuous", "categorical", "vector"}
        Raster kind (decides default resampling) or ``"vector"``.
    units : str
        Units of the values (``"class"`` for categorical codes, ``"-"`` for vectors).
    role : str
        What the layer is for in an analysis.
    crs : str
        CRS of the file as stored.
    """

    file: str
    kind: Literal["continuous", "categorical", "vector"]
    units: str
    role: str
    crs: str


_G = "EPSG:4326"
_U = "EPSG:32649"

#: Layer name → :class:`SampleLayer` (file, kind, units, role, CRS).
LAYERS: dict[str, SampleLayer] = {
    "dem": SampleLayer("dem.tif", "continuous", "m", "terrain: elevation, slope, aspect", _G),
    "wind_speed_100m": SampleLayer("wind_speed_100m.tif", "continuous", "m s-1",
                                   "wind resource: mean speed at 100 m", _G),
    "weibull_k": SampleLayer("weibull_k.tif", "continuous", "1", "wind resource: Weibull shape k", _G),
    "wind_direction": SampleLayer("wind_direction.tif", "continuous", "degree",
                                  "prevailing wind direction (from), sand transport", _G),
    "ghi": SampleLayer("ghi.tif", "continuous", "kWh m-2 yr-1", "solar resource: annual GHI", _G),
    "ndvi": SampleLayer("ndvi_2001_2024.tif", "continuous", "1",
                        "vegetation: annual NDVI 2001-2024 (24 bands, trend)", _G),
    "precipitation": SampleLayer("precipitation.tif", "continuous", "mm yr-1",
                                 "climate: mean annual precipitation (aridity index)", _G),
    "pet": SampleLayer("pet.tif", "continuous", "mm yr-1",
                       "climate: potential evapotranspiration (aridity index)", _G),
    "soil_texture": SampleLayer("soil_texture.tif", "categorical", "class",
                                "soil: USDA texture class (erodibility)", _G),
    "soil_depth": SampleLayer("soil_depth.tif", "continuous", "cm", "soil: depth", _G),
    "land_cover": SampleLayer("land_cover.tif", "categorical", "class",
                              "land cover (WorldCover codes): exclusions, restoration", _U),
    "parcels": SampleLayer("parcels.gpkg", "vector", "-", "land parcels to rank (polygons)", _U),
    "roads": SampleLayer("roads.gpkg", "vector", "-", "roads (access, setbacks)", _G),
    "railways": SampleLayer("railways.geojson", "vector", "-", "railways (setbacks)", _G),
    "power_lines": SampleLayer("power_lines.gpkg", "vector", "-", "transmission lines (grid access)", _G),
    "substations": SampleLayer("substations.gpkg", "vector", "-", "substations (grid connection)", _G),
    "settlements": SampleLayer("settlements.gpkg", "vector", "-", "settlements (setbacks, exposure)", _G),
    "homesteads": SampleLayer("homesteads.shp.zip", "vector", "-",
                              "herder homesteads (noise/shadow setbacks)", _U),
    "protected_areas": SampleLayer("protected_areas.gpkg", "vector", "-",
                                   "nature reserve and ecological red lines (exclusions)", _G),
    "water": SampleLayer("lakes.gpkg", "vector", "-", "lakes (exclusion, buffers)", _G),
    "rivers": SampleLayer("rivers.gpkg", "vector", "-", "rivers (buffers)", _G),
    "airport": SampleLayer("airport.gpkg", "vector", "-", "airfield (exclusion zone)", _G),
    "townships": SampleLayer("townships.gpkg", "vector", "-",
                             "townships with livestock census (grazing pressure)", _G),
    "aoi": SampleLayer("aoi.gpkg", "vector", "-", "area of interest boundary", _G),
}


RECORD_FILE = "wind_ghi_3h_2023.nc"
"""The SYNTHETIC gridded 3-hourly wind (10 m speed, direction) and GHI record of 2023 (NetCDF)."""


def sample_record_path() -> Path:
    """Path of the sample's SYNTHETIC gridded wind and irradiance record (:data:`RECORD_FILE`).

    Read it with :func:`steppe_geo.io.read_raster_stack` (variables ``wind_speed``,
    ``wind_direction``, ``ghi``); the datasheet is ``sample_data/README.md``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputNotFoundError
        The sample folder or the file is missing.
    """
    path = sample_dir() / RECORD_FILE
    if not path.is_file():
        raise InputNotFoundError(
            f"sample record {str(path)!r} is missing; run 'python sample_data/generate.py'")
    return path


def sample_dir() -> Path:
    """Folder holding the sample files.

    Looks inside the installed package first (``steppe_geo/sample_data`` in a wheel),
    then in the source checkout (``<repo>/sample_data`` for an editable install).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputNotFoundError
        If neither location holds the sample data.
    """
    candidates = [Path(str(files("steppe_geo") / "sample_data")),
                  Path(__file__).resolve().parents[2] / "sample_data"]
    return _first_sample_dir(candidates)


def _first_sample_dir(candidates: list[Path]) -> Path:
    for c in candidates:
        if (c / LAYERS["aoi"].file).is_file():
            return c
    raise InputNotFoundError(
        "sample data not found; looked in "
        + " and ".join(repr(str(c)) for c in candidates)
        + ". Reinstall steppe_geo (the wheel bundles it) or run 'python sample_data/generate.py'."
    )


def sample_paths() -> dict[str, Path]:
    """Paths of every sample layer, by layer name.

    Returns
    -------
    dict of str to pathlib.Path
        Keys are the names in :data:`LAYERS` (e.g. ``"dem"``, ``"ndvi"``, ``"parcels"``,
        ``"water"`` for lakes, ``"rivers"``). One file per layer; GeoPackages hold a single
        layer named like the file.

    Raises
    ------
    InputNotFoundError
        If the sample folder or one of its files is missing.
    """
    base = sample_dir()
    paths = {name: base / layer.file for name, layer in LAYERS.items()}
    missing = [f"{k}={str(p)!r}" for k, p in paths.items() if not p.is_file()]
    if missing:
        raise InputNotFoundError(f"sample data incomplete, missing: {', '.join(missing)}")
    return paths


def describe(name: str | None = None) -> SampleLayer | dict[str, SampleLayer]:
    """Metadata of one sample layer, or of all of them.

    Parameters
    ----------
    name : str, optional
        Layer name (a key of :data:`LAYERS`). ``None`` returns the whole table.

    Returns
    -------
    SampleLayer or dict of str to SampleLayer

    Raises
    ------
    MissingLayerError
        If ``name`` is not a sample layer (the message lists them and suggests the closest).
    """
    if name is None:
        return dict(LAYERS)
    if name not in LAYERS:
        raise MissingLayerError(
            f"name: the sample dataset has no layer {name!r}{did_you_mean(name, list(LAYERS))} "
            f"(layers: {', '.join(sorted(LAYERS))})"
        )
    return LAYERS[name]


def sample_grid(resolution_m: float = 100.0, **kwargs: Any) -> Grid:
    """Analysis grid over the sample area of interest.

    Parameters
    ----------
    resolution_m : float, default 100
        Pixel size in metres (> 0).
    **kwargs
        Passed to :meth:`steppe_geo.Grid.for_area` (``margin_m``, ``projection``).

    Returns
    -------
    Grid
        Local metre-based grid (Lambert azimuthal equal-area by default) covering the AOI.

    Raises
    ------
    InvalidParameterError
        If ``resolution_m <= 0``.
    """
    aoi = read_vector(sample_paths()["aoi"])
    return Grid.for_area(aoi, resolution_m=resolution_m, **kwargs)
