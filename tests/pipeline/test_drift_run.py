"""A run with sand drift: the TOML input, the preset option, the report's "Sand drift" section."""

from __future__ import annotations

import numpy as np
import pytest

import steppe_geo as sg
from steppe_geo.config import load_config
from steppe_geo.criteria import drift_potential_grid
from steppe_geo.datasets import sample_paths, sample_record_path
from steppe_geo.io import read_raster_stack
from steppe_geo.models import pv_sand_control
from steppe_geo.pipeline import run


@pytest.fixture(scope="module")
def drift_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("drift_run")
    path = sample_record_path()
    grid = drift_potential_grid(read_raster_stack(path, variable="wind_speed"),
                                read_raster_stack(path, variable="wind_direction"), reference_height_m=10.0)
    sg.write_raster(grid["dp_across_rows"], tmp / "sand_drift_potential.tif")
    needed = {*pv_sand_control(sand_drift="raster").inputs, "aoi"}
    inputs = {k: v for k, v in sample_paths().items() if k in needed}
    inputs["sand_drift_potential"] = tmp / "sand_drift_potential.tif"
    lines = ["[sources]", *(f'{k} = "{v.as_posix()}"' for k, v in inputs.items()),
             "[grid]", 'aoi = "aoi"', "resolution_m = 2000",
             "[models.pv]", 'preset = "pv_sand_control"',
             "[models.pv.parameters]", 'sand_drift = "raster"',
             "[outputs]", f'directory = "{(tmp / "out").as_posix()}"', 'maps = ["png"]', "vectors = []"]
    (tmp / "drift.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = load_config(tmp / "drift.toml")
    result = run(cfg)
    return tmp, cfg, result


def test_toml_runs_pv_sand_control_with_the_drift_raster(drift_run):
    _, cfg, result = drift_run
    assert cfg.models["pv"].preset == "pv_sand_control"
    assert "sand_drift" in result.summary["models"]["pv"]["weights"]
    assert result.summary["models"]["pv"]["weights"]["sand_drift"] == pytest.approx(0.15)
    assert "rasters/pv/score.tif" in result.files


def test_report_has_the_sand_drift_section(drift_run):
    tmp, _, _ = drift_run
    html = (tmp / "out" / "report.html").read_text(encoding="utf-8")
    assert "Sand drift" in html and "criterion sand_drift on layer sand_drift_potential" in html
    # the figures: the drift raster aligned onto the run's grid (read_raster, as the run reads an input),
    # over the AOI (bit 0 of the exclusion raster = outside the AOI)
    score = sg.read_raster(tmp / "out" / "rasters" / "pv" / "score.tif")
    aligned = sg.read_raster(tmp / "sand_drift_potential.tif", grid=sg.Grid.from_dataarray(score)).values
    bits = sg.read_raster(tmp / "out" / "rasters" / "pv" / "exclusion.tif", kind="categorical").values
    v = aligned[((bits.astype(np.int64) & 1) == 0) & np.isfinite(aligned)]
    assert v.size > 100
    assert f'<td class="num">{np.median(v):.4g}</td>' in html
    assert f"<td>{float(((v >= 200) & (v < 400)).mean()):.1%}</td>" in html
    assert "intermediate (200–400 VU)" in html and "high (≥ 400 VU)" in html


def test_series_drift_model_gives_the_same_answer_in_memory_and_streamed(tmp_path, rng):
    """The drift derivation from band stacks (the 'series' source) is pixel-wise: windows change nothing."""
    import geopandas as gpd
    import shapely

    from steppe_geo.config import config_from_dict
    from steppe_geo.models import Model
    from steppe_geo.models.sand_drift import sand_drift_criterion, sand_drift_derivations

    data = tmp_path / "data"
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_430_000, 404_000, 4_433_000)], crs="EPSG:32649")
    sg.write_vector(aoi, data / "aoi.gpkg")
    # 48 three-hourly records on a 500 m grid: speeds 0–15 m/s at 10 m, directions anywhere
    sgrid = sg.Grid.from_bounds((399_000, 4_429_000, 405_000, 4_434_000), crs="EPSG:32649", resolution_m=500)
    n = 48
    speed = rng.gamma(2.0, 2.5, (n, *sgrid.shape)).astype(np.float32)
    direction = rng.uniform(0, 360, (n, *sgrid.shape)).astype(np.float32)
    for name, values, units in (("wind_speed_series", speed, "m s-1"),
                                ("wind_direction_series", direction, "degree")):
        base = sgrid.to_dataarray(values[0], name=name, units=units)
        sg.write_raster(base.expand_dims(band=np.arange(1, n + 1)).copy(data=values), data / f"{name}.tif")
    inputs, derivations = sand_drift_derivations("series", reference_height_m=10.0, quantity="dp")
    model = Model(name="drift_only", description="sand drift alone", inputs=inputs, derivations=derivations,
                  criteria=(sand_drift_criterion(1.0),), rule="wlc")
    (tmp_path / "drift_model.toml").write_text(model.to_toml(), encoding="utf-8")
    cfg = {"project": {"name": "drift"},
           "sources": {"aoi": "data/aoi.gpkg", **{k: f"data/{k}.tif" for k in inputs}},
           "grid": {"aoi": "aoi", "resolution_m": 250},
           "models": {"drift": {"model_file": "drift_model.toml"}},
           "outputs": {"directory": "out", "maps": [], "report": False}}
    mem = run(config_from_dict(cfg, base_dir=tmp_path, output_dir=tmp_path), out_dir=tmp_path / "mem")
    cfg["run"] = {"mode": "streamed", "window": 8}
    streamed = run(config_from_dict(cfg, base_dir=tmp_path, output_dir=tmp_path),
                   out_dir=tmp_path / "streamed")
    assert mem.files == streamed.files
    a = sg.read_raster(tmp_path / "mem/rasters/drift/score.tif").values
    b = sg.read_raster(tmp_path / "streamed/rasters/drift/score.tif").values
    assert np.isfinite(a).sum() > 100
    np.testing.assert_allclose(a, b, rtol=0, atol=5e-7)
    assert np.array_equal(np.isnan(a), np.isnan(b))
