"""Fixtures of the pipeline stage tests: a small wind project on real files, and the config-error check."""

from __future__ import annotations

import copy

import geopandas as gpd
import numpy as np
import pytest
import shapely

import steppe_geo as sg
from steppe_geo.config import config_from_dict
from steppe_geo.errors import ConfigError
from steppe_geo.io import write_raster, write_vector


@pytest.fixture
def wind_grid() -> sg.Grid:
    """The rasters' grid of :func:`wind_project`: 10 × 8 km of 100 m pixels in UTM 49N (the AOI and 1 km)."""
    return sg.Grid.from_bounds((399_000, 4_429_000, 409_000, 4_437_000), crs="EPSG:32649", resolution_m=100)


@pytest.fixture
def wind_project(tmp_path, wind_grid):
    """Factory ``wind_project(name, rasters={layer: (array, units)}, top=3) -> (root, cfg)``.

    Writes into ``root/data`` (``root`` is ``tmp_path``) an AOI of 8 × 6 km (UTM 49N), a hub-height
    speed raster (west–east ramp 6 → 9 m/s), a wind direction raster (300° everywhere), the
    ``rasters`` given (float32 on :func:`wind_grid`, as ``<layer>.tif``) and six parcels of
    2.6 × 3 km (``pid`` P0..P5). ``cfg`` is the config dict of project ``name``: the files as inputs
    (aoi, speed, the ``rasters`` in their order, direction, parcels), a 100 m grid, a wind model
    scoring speed linearly from 5 to 9 m/s, and parcels ranked without Monte Carlo draws whose
    ``top`` best get turbine layouts (IEA 3.3 MW, 156 m rotor); outputs in ``out``.
    """

    def make(name: str, *, rasters: dict[str, tuple[np.ndarray, str]] | None = None,
             top: int = 3) -> tuple:
        data = tmp_path / "data"
        aoi = gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_430_000, 408_000, 4_436_000)],
                               crs="EPSG:32649")
        write_vector(aoi, data / "aoi.gpkg")
        grid = wind_grid
        speed = np.tile(np.linspace(6.0, 9.0, grid.shape[1], dtype=np.float32), (grid.shape[0], 1))
        layers = {"speed": (speed, "m s-1"), **(rasters or {}),
                  "direction": (np.full(grid.shape, 300.0, np.float32), "degree")}
        for k, (values, units) in layers.items():
            write_raster(grid.to_dataarray(values, name=k, units=units), data / f"{k}.tif")
        boxes = [shapely.box(400_000 + 2600 * i, 4_430_000 + 3000 * j, 402_600 + 2600 * i,
                             4_433_000 + 3000 * j) for j in range(2) for i in range(3)]
        write_vector(gpd.GeoDataFrame({"pid": [f"P{i}" for i in range(6)]}, geometry=boxes, crs="EPSG:32649"),
                     data / "parcels.gpkg")
        cfg = {
            "project": {"name": name},
            "sources": {"aoi": "data/aoi.gpkg", **{k: f"data/{k}.tif" for k in layers},
                       "parcels": "data/parcels.gpkg"},
            "grid": {"aoi": "aoi", "resolution_m": 100},
            "models": {"wind": {
                "criteria": [{"name": "speed", "function": "linear", "low": 5.0, "high": 9.0, "weight": 1}],
            }},
            "parcels": {"source": "parcels", "id_column": "pid", "n_draws": 0,
                        "turbines": {"model": "wind", "top": top, "curve": "iea_3.3mw_156",
                                     "mean_speed": "speed", "wind_direction": "direction"}},
            "outputs": {"directory": "out", "vectors": ["gpkg"], "maps": ["png"]},
        }
        return tmp_path, cfg

    return make


@pytest.fixture
def assert_config_error():
    """``assert_config_error(root, cfg, section, change, match)``: the edited config is refused.

    A copy of ``cfg`` with ``change`` applied to the table at the key path ``section`` (e.g.
    ``("parcels", "turbines")``; a value None removes the key) must make ``config_from_dict``
    raise a ConfigError whose message matches ``match``.
    """

    def check(root, cfg: dict, section: tuple[str, ...], change: dict, match: str) -> None:
        cfg = copy.deepcopy(cfg)
        table = cfg
        for key in section:
            table = table[key]
        for key, value in change.items():
            if value is None:
                table.pop(key)
            else:
                table[key] = value
        with pytest.raises(ConfigError, match=match):
            config_from_dict(cfg, base_dir=root, output_dir=root)

    return check
