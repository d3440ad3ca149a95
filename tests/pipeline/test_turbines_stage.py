"""[parcels.turbines]: config keys checked, layouts written as a GeoPackage and reported (real files)."""

from __future__ import annotations

import copy

import geopandas as gpd
import numpy as np
import pytest

import steppe_geo as sg
from steppe_geo.config import config_from_dict
from steppe_geo.criteria.wakes import weibull_rose
from steppe_geo.errors import ConfigError
from steppe_geo.parcels import spacing_ok
from steppe_geo.pipeline import run


@pytest.fixture
def project(wind_project, wind_grid, rng):
    """The wind project of ``conftest.py`` with a slope raster: a second criterion and a constraint."""
    slope = rng.uniform(0, 12, wind_grid.shape).astype(np.float32)
    root, cfg = wind_project("turbines", rasters={"slope": (slope, "degree")}, top=3)
    cfg["models"]["wind"] = {
        "criteria": [{"name": "speed", "function": "linear", "low": 5.0, "high": 9.0, "weight": 3},
                     {"name": "slope", "function": "linear", "low": 20.0, "high": 0.0, "weight": 1}],
        "constraints": [{"type": "value_range", "name": "steep", "layer": "slope", "max": 10.0}],
    }
    return root, cfg


def test_turbines_stage_writes_layouts_and_reports_them(project):
    root, data = project
    result = run(config_from_dict(data, base_dir=root, output_dir=root))
    path = root / "out" / "parcels" / "turbines.gpkg"
    assert "parcels/turbines.gpkg" in result.files
    pts = sg.read_vector(path, layer="turbines")
    table = gpd.read_file(path, layer="layouts")
    ranked = sg.read_vector(root / "out" / "parcels" / "wind.gpkg", layer="ranked_parcels")
    best = list(ranked.sort_values("rank")["pid"][:3])
    assert list(table["pid"]) == best and list(table["rank"]) == [1, 2, 3]
    assert table["turbines"].sum() == len(pts) > 0
    assert table["capacity_mw"].tolist() == pytest.approx((table["turbines"] * 3.3).tolist())
    assert (table["wind_from_deg"].round(6) == 300.0).all()
    eligible = sg.read_raster(root / "out" / "rasters" / "wind" / "eligible.tif")
    assert pts.crs.equals(eligible.rio.crs)
    parcels = sg.read_vector(root / "data" / "parcels.gpkg").set_index("pid")
    for pid, mine in pts.groupby("pid"):
        assert spacing_ok(mine.geometry.x, mine.geometry.y, rotor_diameter_m=156, wind_from_deg=300)
        for p in mine.geometry:  # on eligible land of its own parcel
            col, row = ~eligible.rio.transform() * (p.x, p.y)
            assert eligible.values[int(np.floor(row)), int(np.floor(col))] == 1
            assert parcels.to_crs(pts.crs).geometry[pid].contains(p)  # the grid's CRS (local LAEA)
        assert 0 <= table.set_index("pid").loc[pid, "wake_loss_pct"] < 25
    html = (root / "out" / "report.html").read_text(encoding="utf-8")
    assert '<section id="turbines">' in html and "Turbine layouts" in html
    assert (root / "out" / "maps" / "wind_turbines.png").exists()


def test_no_turbines_section_without_the_option(project):
    root, data = project
    data = copy.deepcopy(data)
    del data["parcels"]["turbines"]
    result = run(config_from_dict(data, base_dir=root, output_dir=root))
    assert "parcels/turbines.gpkg" not in result.files
    assert '<section id="turbines">' not in (root / "out" / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("change, match", [
    ({"model": "solar"}, r"parcels.turbines.model: 'solar' is not one of parcels.rank_by"),
    ({"curve": "nrel_6mw"}, r"parcels.turbines.curve: 'nrel_6mw' is not a shipped power curve"),
    ({"mean_speed": "sped"}, r"parcels.turbines.mean_speed: 'sped' is not in \[sources\].*speed"),
    ({"along_d": 0}, r"parcels.turbines.along_d: must be > 0"),
    ({"wind_direction": None}, r"give wind_direction"),
    ({"sector_frequency": [1, -1]}, r"parcels.turbines.sector_frequency: expected a list of shares"),
    ({"spacing": 3}, r"parcels.turbines"),
])
def test_config_errors_name_the_key(project, assert_config_error, change, match):
    assert_config_error(*project, ("parcels", "turbines"), change, match)


def test_config_defaults_and_memory_mode(project):
    root, data = project
    cfg = config_from_dict(data, base_dir=root, output_dir=root)
    tc = cfg.parcels.turbines
    assert (tc.along_d, tc.across_d, tc.wake_decay, tc.top) == (8.0, 4.0, 0.075, 3)
    assert tc.sector_frequency == (1.0,) * 12 and tc.weibull_k is None
    assert weibull_rose(tc.sector_frequency, 8.0, 2.0).frequency.sum() == pytest.approx(1.0)
    data = copy.deepcopy(data)
    data["run"] = {"mode": "streamed"}
    with pytest.raises(ConfigError, match=r"run\.mode = 'memory'"):
        config_from_dict(data, base_dir=root, output_dir=root)
