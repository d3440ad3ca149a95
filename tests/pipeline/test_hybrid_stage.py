"""[parcels.hybrid]: config keys checked, the laid-out parcels ranked as wind + PV hybrids (real files)."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

import steppe_geo as sg
from steppe_geo import parcels, pipeline
from steppe_geo.cli import main
from steppe_geo.config import config_from_dict
from steppe_geo.criteria import complementarity as comp
from steppe_geo.errors import ConfigError, InputNotFoundError, MissingLayerError, UnreadableInputError
from steppe_geo.io import read_station_record, write_raster, write_vector
from steppe_geo.pipeline import run

NSRDB = Path(__file__).resolve().parents[1] / "data" / "real" / "nsrdb" / "nsrdb_psm4_401182_2023.csv"


@pytest.fixture
def project(tmp_path):
    """AOI 8 × 6 km (UTM 49N), hub-height speed (west–east ramp), GHI (south–north ramp), six parcels."""
    data = tmp_path / "data"
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_430_000, 408_000, 4_436_000)], crs="EPSG:32649")
    write_vector(aoi, data / "aoi.gpkg")
    grid = sg.Grid.from_bounds((399_000, 4_429_000, 409_000, 4_437_000), crs="EPSG:32649", resolution_m=100)
    rows, cols = grid.shape
    speed = np.tile(np.linspace(6.0, 9.0, cols, dtype=np.float32), (rows, 1))
    write_raster(grid.to_dataarray(speed, name="speed", units="m s-1"), data / "speed.tif")
    ghi = np.tile(np.linspace(1800.0, 1500.0, rows, dtype=np.float32)[:, None], (1, cols))  # north row first
    write_raster(grid.to_dataarray(ghi, name="ghi", units="kWh m-2 yr-1"), data / "ghi.tif")
    write_raster(grid.to_dataarray(np.full(grid.shape, 300.0, np.float32), name="direction", units="degree"),
                 data / "direction.tif")
    boxes = [shapely.box(400_000 + 2600 * i, 4_430_000 + 3000 * j, 402_600 + 2600 * i, 4_433_000 + 3000 * j)
             for j in range(2) for i in range(3)]
    write_vector(gpd.GeoDataFrame({"pid": [f"P{i}" for i in range(6)]}, geometry=boxes, crs="EPSG:32649"),
                 data / "parcels.gpkg")
    shutil.copy(NSRDB, data / "station.csv")
    cfg = {
        "project": {"name": "hybrid"},
        "sources": {"aoi": "data/aoi.gpkg", "speed": "data/speed.tif", "ghi": "data/ghi.tif",
                   "direction": "data/direction.tif", "parcels": "data/parcels.gpkg"},
        "grid": {"aoi": "aoi", "resolution_m": 100},
        "models": {"wind": {
            "criteria": [{"name": "speed", "function": "linear", "low": 5.0, "high": 9.0, "weight": 1}],
        }},
        "parcels": {"source": "parcels", "id_column": "pid", "n_draws": 0,
                    "turbines": {"model": "wind", "top": 4, "curve": "iea_3.3mw_156", "mean_speed": "speed",
                                 "wind_direction": "direction"},
                    "hybrid": {"record": "data/station.csv", "hub_height_m": 110, "roughness_m": 0.05,
                               "solar_share": 0.3, "solar_mw_per_km2": 40, "export_ratio": 0.8,
                               "optimise_mix": True}},
        "outputs": {"directory": "out", "vectors": ["gpkg"], "maps": ["png"]},
    }
    return tmp_path, cfg


def test_hybrid_stage_ranks_as_rank_hybrid_by_hand(project):
    root, data = project
    result = run(config_from_dict(data, base_dir=root, output_dir=root))
    table = gpd.read_file(root / "out" / "parcels" / "turbines.gpkg", layer="layouts").set_index("pid")
    for col in ("solar_mw", "delivered_mwh_yr", "curtailment_pct", "correlation", "hours_neither",
                "hybrid_rank", "best_wind_share", "best_delivered_mwh_yr"):
        assert col in table.columns
    assert sorted(table["hybrid_rank"]) == [1, 2, 3, 4]

    # By hand, as notebook 04 does: the record, the log law written out, the PV chain, rank_hybrid.
    record = read_station_record(root / "data" / "station.csv")
    times = pd.DatetimeIndex(record["time"].values).tz_localize("UTC")
    hub_speed = record["wind_speed"].values * np.log(110 / 0.05) / np.log(2 / 0.05)  # NSRDB wind at 2 m
    pv_cf = comp.pv_capacity_factor_series(times, record["ghi"].values, latitude=record.attrs["latitude"],
                                           longitude=record.attrs["longitude"],
                                           temp_air_c=record["temperature"].values)
    record_ghi = float((record["ghi"] * record["duration_h"]).sum()) / 1000  # kWh/m² in the year 2023
    assert float(record["duration_h"].sum()) == pytest.approx(8760.0)  # a whole (non-leap) year
    paths = {"aoi": root / "data" / "aoi.gpkg", "speed": root / "data" / "speed.tif",
             "ghi": root / "data" / "ghi.tif"}
    aoi = sg.read_vector(paths["aoi"])
    grid = sg.Grid.for_area(aoi, resolution_m=100)
    layers = pipeline.load_inputs(paths, grid)
    plots = sg.read_vector(root / "data" / "parcels.gpkg").to_crs(grid.crs).set_index("pid").loc[table.index]
    zonal = parcels.zonal_stats(plots, {"ghi": layers.layers["ghi"], "v": layers.layers["speed"]})
    sites = pd.DataFrame({"wind_mw": table["capacity_mw"].to_numpy(),
                          "solar_mw": plots.area.to_numpy() / 1e6 * 0.3 * 40.0,
                          "mean_speed_m_s": zonal["v_mean"].to_numpy(),
                          "ghi_kwh_m2_yr": zonal["ghi_mean"].to_numpy()}, index=table.index)
    hand = parcels.rank_hybrid(sites, hub_speed_m_s=hub_speed, solar_cf=pv_cf,
                               record_ghi_kwh_m2_yr=record_ghi, curve="iea_3.3mw_156", export_ratio=0.8,
                               optimise_mix=True)
    assert table["hybrid_rank"].tolist() == hand["hybrid_rank"].tolist()
    # PV and GHI re-order the parcels: the hybrid ranking is not the wind ranking of the layouts
    assert table["hybrid_rank"].tolist() != table["rank"].tolist()
    assert table["solar_mw"].to_numpy() == pytest.approx(sites["solar_mw"].to_numpy())
    for col in ("delivered_mwh_yr", "curtailment_pct", "correlation", "hours_neither", "best_wind_share"):
        assert table[col].to_numpy() == pytest.approx(hand[col].to_numpy(), rel=1e-6), col
    # export limit 0.8 × the larger plant (hand), and delivered = potential − curtailed
    assert table["export_limit_mw"].to_numpy() == pytest.approx(
        0.8 * np.maximum(table["capacity_mw"], table["solar_mw"]).to_numpy())
    assert (table["delivered_mwh_yr"] + table["curtailed_mwh_yr"]).to_numpy() == pytest.approx(
        table["potential_mwh_yr"].to_numpy())

    html = (root / "out" / "report.html").read_text(encoding="utf-8")
    assert '<section id="hybrid">' in html and "hybrid_rank" in html
    assert (root / "out" / "maps" / "wind_hybrid.png").exists()
    assert "parcels/turbines.gpkg" in result.files


def test_no_hybrid_columns_without_the_table(project):
    root, data = project
    data = copy.deepcopy(data)
    del data["parcels"]["hybrid"]
    run(config_from_dict(data, base_dir=root, output_dir=root))
    table = gpd.read_file(root / "out" / "parcels" / "turbines.gpkg", layer="layouts")
    assert "hybrid_rank" not in table.columns
    assert '<section id="hybrid">' not in (root / "out" / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("change, match", [
    ({"record": None}, r"parcels.hybrid.record: missing \(required\)"),
    ({"record": 3}, r"parcels.hybrid.record: expected a non-empty string, got 3"),
    ({"hub_height_m": 0}, r"parcels.hybrid.hub_height_m: must be > 0, got 0"),
    ({"roughness_m": -1}, r"parcels.hybrid.roughness_m: must be > 0, got -1"),
    ({"roughness_m": 3.0, "wind_height_m": 2.0},
     r"parcels.hybrid.roughness_m: must be below .* got 3.0 with 2 m"),
    ({"solar_share": 1.5}, r"parcels.hybrid.solar_share: must be <= 1, got 1.5"),
    ({"solar_mw_per_km2": 0}, r"parcels.hybrid.solar_mw_per_km2: must be > 0, got 0"),
    ({"export_ratio": "big"}, r"parcels.hybrid.export_ratio: expected a number, got 'big'"),
    ({"optimise_mix": "yes"}, r"parcels.hybrid.optimise_mix: expected true or false, got 'yes'"),
    ({"speed": "sped"}, r"parcels.hybrid.speed: 'sped' is not in \[sources\]; did you mean 'speed'"),
    ({"ghi": "gh"}, r"parcels.hybrid.ghi: 'gh' is not in \[sources\].*Sources are: aoi, speed, ghi"),
    ({"columns": {"wind": "WS"}}, r"parcels.hybrid.columns.wind: not a record variable"),
    ({"units": {"wind_speed": 5}}, r"parcels.hybrid.units.wind_speed: expected a non-empty string"),
    ({"location": [40.5, 200.0, 0]},
     r"parcels.hybrid.location: expected \[latitude, longitude, elevation_m\]"),
    ({"export": 1}, r"parcels.hybrid.export: unknown key; did you mean 'export_ratio'"),
])
def test_config_errors_name_the_key(project, change, match):
    root, data = project
    data = copy.deepcopy(data)
    h = data["parcels"]["hybrid"]
    for key, value in change.items():
        if value is None:
            h.pop(key)
        else:
            h[key] = value
    with pytest.raises(ConfigError, match=match):
        config_from_dict(data, base_dir=root, output_dir=root)


def test_hybrid_needs_turbines_and_a_record_that_exists(project):
    root, data = project
    data = copy.deepcopy(data)
    data["parcels"]["hybrid"]["record"] = "data/nowhere.csv"
    with pytest.raises(InputNotFoundError,
                       match=r"parcels.hybrid.record: station record not found: .*nowhere"):
        config_from_dict(data, base_dir=root, output_dir=root)
    del data["parcels"]["turbines"]
    with pytest.raises(ConfigError, match=r"parcels.hybrid: needs \[parcels.turbines\]"):
        config_from_dict(data, base_dir=root, output_dir=root)


def test_config_defaults(project):
    root, data = project
    data = copy.deepcopy(data)
    data["parcels"]["hybrid"] = {"record": "data/station.csv"}
    hc = config_from_dict(data, base_dir=root, output_dir=root).parcels.hybrid
    assert (hc.hub_height_m, hc.roughness_m, hc.solar_share, hc.solar_mw_per_km2, hc.export_ratio) == (
        120.0, 0.03, 0.2, 50.0, 1.0)
    assert hc.speed == "speed" and hc.ghi == "ghi" and hc.optimise_mix is False  # speed: the turbines' input
    assert hc.record == root / "data" / "station.csv"


def _toml(root: Path, record: str) -> Path:
    path = root / "hybrid.toml"
    path.write_text(
        '[sources]\naoi = "data/aoi.gpkg"\nspeed = "data/speed.tif"\nghi = "data/ghi.tif"\n'
        'direction = "data/direction.tif"\nparcels = "data/parcels.gpkg"\n'
        '[grid]\nresolution_m = 100\n'
        '[[models.wind.criteria]]\nname = "speed"\nfunction = "linear"\nlow = 5.0\nhigh = 9.0\n'
        '[parcels]\nid_column = "pid"\nn_draws = 0\n'
        '[parcels.turbines]\nmean_speed = "speed"\nwind_direction = "direction"\n'
        f'[parcels.hybrid]\nrecord = "{record}"\n'
        '[outputs]\ndirectory = "out"\n', encoding="utf-8")
    return path


def test_validate_checks_the_record(project):
    root, _ = project
    res = CliRunner().invoke(main, ["validate", str(_toml(root, "data/station.csv"))])
    assert res.exit_code == 0 and "valid" in res.output
    res = CliRunner().invoke(main, ["validate", str(_toml(root, "data/gone.csv"))])
    assert res.exit_code == 1 and "parcels.hybrid.record: station record not found" in res.output
    assert "gone.csv" in res.output and "Traceback" not in res.output
    # a record with wind but no GHI column: found by validate, naming the key and the fix
    pd.DataFrame({"time": pd.date_range("2023-01-01", periods=48, freq="h").strftime("%Y-%m-%dT%H:%M"),
                  "ws": np.linspace(2, 9, 48)}).to_csv(root / "data" / "windonly.csv", index=False)
    text = _toml(root, "data/windonly.csv").read_text(encoding="utf-8").replace(
        '[outputs]', 'columns = { wind_speed = "ws" }\ntime_column = "time"\nwind_height_m = 10.0\n'
                     'location = [40.5, -108.5, 2100.0]\n[outputs]')
    (root / "windonly.toml").write_text(text, encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(root / "windonly.toml")])
    assert res.exit_code == 1 and "parcels.hybrid.record" in res.output and "no ghi" in res.output
    assert "Traceback" not in res.output


def test_read_hybrid_record_without_ghi_raises(project):
    root, data = project
    pd.DataFrame({"time": pd.date_range("2023-01-01", periods=24, freq="h").strftime("%Y-%m-%dT%H:%M"),
                  "ws": np.linspace(2, 9, 24)}).to_csv(root / "data" / "w.csv", index=False)
    data = copy.deepcopy(data)
    data["parcels"]["hybrid"].update(record="data/w.csv", columns={"wind_speed": "ws"}, time_column="time",
                                     wind_height_m=10.0, location=[40.5, -108.5, 2100.0])
    cfg = config_from_dict(data, base_dir=root, output_dir=root)
    with pytest.raises(MissingLayerError, match=r"parcels.hybrid.record .*w.csv.*no ghi"):
        pipeline.check_config(cfg, data=False)


def test_no_laid_out_parcel_gives_an_empty_hybrid_table(project):
    root, data = project
    data = copy.deepcopy(data)  # every pixel excluded: no parcel is ranked, none laid out
    data["models"]["wind"]["constraints"] = [{"type": "value_range", "name": "all", "layer": "speed",
                                              "max": 1.0}]
    run(config_from_dict(data, base_dir=root, output_dir=root))
    table = gpd.read_file(root / "out" / "parcels" / "turbines.gpkg", layer="layouts")
    assert len(table) == 0 and "hybrid_rank" in table.columns
    html = (root / "out" / "report.html").read_text(encoding="utf-8")
    assert '<section id="hybrid">' in html and "could be ranked as a hybrid" in html


def test_unreadable_record_is_named_by_check_config(project):
    root, data = project
    (root / "data" / "junk.csv").write_bytes(b"\x00\x01 not a record\n\xff\xfe")
    data = copy.deepcopy(data)
    data["parcels"]["hybrid"]["record"] = "data/junk.csv"
    cfg = config_from_dict(data, base_dir=root, output_dir=root)
    with pytest.raises(UnreadableInputError, match=r"^parcels.hybrid.record \(.*junk.csv'\): "):
        pipeline.check_config(cfg, data=False)
