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
                                read_raster_stack(path, variable="wind_direction"), height_m=10.0)
    sg.write_raster(grid["dp_across_rows"], tmp / "sand_drift_potential.tif")
    needed = {*pv_sand_control(sand_drift="raster").inputs, "aoi"}
    inputs = {k: v for k, v in sample_paths().items() if k in needed}
    inputs["sand_drift_potential"] = tmp / "sand_drift_potential.tif"
    lines = ["[inputs]", *(f'{k} = "{v.as_posix()}"' for k, v in inputs.items()),
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
