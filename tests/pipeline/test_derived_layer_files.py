"""Derived layers shared by the models of one run and of that run only (pipeline DerivedLayerFiles)."""

from __future__ import annotations

import gc
import math
from pathlib import PurePath

import geopandas as gpd
import numpy as np
import shapely

import steppe_geo as sg
from steppe_geo.config import config_from_dict
from steppe_geo.mcda import Criterion, Linear
from steppe_geo.models import Derivation, Model
from steppe_geo.pipeline import DerivedLayerFiles, align_inputs, build_grid, run
from steppe_geo.pipeline.evaluate import derive_windowed
from steppe_geo.pipeline.staging import STAGE_PREFIX

CRS = "EPSG:32649"


def _project(root, gradient):
    """A DEM plane rising ``gradient`` m/m eastwards (layer "dem"), and a config of two models of its slope.

    Both models derive ``slope_deg`` from "dem" alike (the second reads the first's file); the
    score is ``1 − slope / 30°``, so by hand ``1 − degrees(atan(gradient)) / 30`` everywhere the
    slope is defined.
    """
    data = root / "data"
    grid = sg.Grid.from_bounds((399_000, 4_429_000, 405_000, 4_434_000), crs=CRS, resolution_m=100)
    x = grid.to_dataarray(np.zeros(grid.shape, np.float32), name="dem")["x"].values
    dem = np.tile((gradient * (x - x[0]) + 1000.0).astype(np.float32), (grid.shape[0], 1))
    sg.write_raster(grid.to_dataarray(dem, name="dem", units="m"), data / "dem.tif")
    sg.write_vector(gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_430_000, 404_000, 4_433_000)], crs=CRS),
                    data / "aoi.gpkg")
    for name in ("flat", "flat_too"):
        model = Model(name=name, inputs=("dem",), derivations=(Derivation("slope_deg", "slope", ("dem",)),),
                      criteria=(Criterion("flatness", Linear(low=30.0, high=0.0), 1.0, layer="slope_deg"),))
        (root / f"{name}.toml").write_text(model.to_toml(), encoding="utf-8")
    return {"project": {"name": f"plane {gradient}"},
            "sources": {"aoi": "data/aoi.gpkg", "dem": "data/dem.tif"},
            # the DEM's CRS and pixels (no warp); the grid's outer ring (edge slopes) outside the AOI
            "grid": {"aoi": "aoi", "resolution_m": 100, "projection": "utm", "margin_m": 300},
            "models": {"flat": {"model_file": "flat.toml"}, "flat_too": {"model_file": "flat_too.toml"}},
            "run": {"mode": "streamed", "window": 8},
            "outputs": {"directory": "out", "maps": [], "report": False, "vectors": []}}


def _live(kind):
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, kind)]


def test_two_runs_in_one_process_each_get_their_own_derived_layers_and_keep_none(tmp_path):
    # two projects with the same layer and model names, different DEMs, run one after the other in
    # one process (streamed: derived layers are files shared by the models of a run)
    expected = {}
    for gradient in (0.05, 0.2):
        root = tmp_path / f"g{gradient}"
        cfg = _project(root, gradient)
        run(config_from_dict(cfg, base_dir=root, output_dir=root))
        expected[root] = 1.0 - math.degrees(math.atan(gradient)) / 30.0  # by hand
    for root, value in expected.items():
        for name in ("flat", "flat_too"):
            score = sg.read_raster(root / "out" / "rasters" / name / "score.tif").values
            ok = np.isfinite(score)
            assert ok.sum() > 500
            np.testing.assert_allclose(score[ok], value, rtol=0, atol=2e-6, err_msg=f"{root.name}: {name}")
    # after the runs nothing of their derived-layer bookkeeping is reachable: no DerivedLayerFiles, and
    # no path into a run's staging folder (where the derived layers were written)
    # (paths of these runs only: other tests' runs in the same worker process may keep their own alive)
    assert _live(DerivedLayerFiles) == []
    assert [p for p in _live(PurePath) if STAGE_PREFIX in str(p) and str(p).startswith(str(tmp_path))] == []


def test_the_check_for_live_objects_sees_one_that_is_held():
    held = DerivedLayerFiles({"k": PurePath(f"/x/{STAGE_PREFIX}run/.work/layers/m/slope_deg.tif")})
    assert any(o is held for o in _live(DerivedLayerFiles))
    mine = [p for p in _live(PurePath) if STAGE_PREFIX in str(p) and str(p).startswith("/x/")]
    assert mine == [held.files["k"]]
    del held
    assert _live(DerivedLayerFiles) == []


def test_derive_windowed_shares_layers_only_through_the_object_it_is_given(tmp_path):
    cfg = config_from_dict(_project(tmp_path, 0.1), base_dir=tmp_path, output_dir=tmp_path)
    grid = build_grid(cfg.sources, cfg.grid)
    layers = align_inputs(cfg.sources, grid, tmp_path / "aligned")
    model = Model(name="m", inputs=("dem",), derivations=(Derivation("slope_deg", "slope", ("dem",)),),
                  criteria=(Criterion("flatness", Linear(low=30.0, high=0.0), 1.0, layer="slope_deg"),))
    shared = DerivedLayerFiles()
    first = derive_windowed(model, layers, out_dir=tmp_path / "a" / "m", window=8, shared=shared)
    assert first == {"slope_deg": tmp_path / "a" / "m" / "slope_deg.tif"}
    assert list(shared.files.values()) == [first["slope_deg"]]
    # the same object: read from the first file; none, or another object: computed again
    assert derive_windowed(model, layers, out_dir=tmp_path / "b" / "m", window=8, shared=shared) == first
    for other in (None, DerivedLayerFiles()):
        again = derive_windowed(model, layers, out_dir=tmp_path / "c" / "m", window=8, shared=other)
        assert again == {"slope_deg": tmp_path / "c" / "m" / "slope_deg.tif"}
        np.testing.assert_array_equal(sg.read_raster(again["slope_deg"]).values,
                                      sg.read_raster(first["slope_deg"]).values)
    inner = sg.read_raster(first["slope_deg"]).values[1:-1, 1:-1]  # the outer ring: gdaldem's edge values
    assert inner.size > 500
    np.testing.assert_allclose(inner, math.degrees(math.atan(0.1)), rtol=1e-6)  # by hand
