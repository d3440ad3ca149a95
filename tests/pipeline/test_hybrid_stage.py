"""[parcels.hybrid]: config keys checked, the laid-out parcels ranked as wind + PV hybrids (real files)."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import steppe_geo as sg
from steppe_geo import parcels, pipeline
from steppe_geo.cli import main
from steppe_geo.config import config_from_dict
from steppe_geo.criteria import complementarity as comp
from steppe_geo.errors import ConfigError, InputNotFoundError, MissingLayerError, UnreadableInputError
from steppe_geo.io import read_station_record, write_raster
from steppe_geo.mcda import Criterion, PiecewiseLinear
from steppe_geo.models import Model
from steppe_geo.models.sand_drift import sand_drift_criterion
from steppe_geo.pipeline import run

NSRDB = Path(__file__).resolve().parents[1] / "data" / "real" / "nsrdb" / "nsrdb_psm4_401182_2023.csv"


@pytest.fixture
def project(wind_project, wind_grid):
    """The wind project of ``conftest.py`` with GHI (south–north ramp) and a station record: hybrids."""
    rows, cols = wind_grid.shape
    ghi = np.tile(np.linspace(1800.0, 1500.0, rows, dtype=np.float32)[:, None], (1, cols))  # north row first
    root, cfg = wind_project("hybrid", rasters={"ghi": (ghi, "kWh m-2 yr-1")}, top=4)
    shutil.copy(NSRDB, root / "data" / "station.csv")
    cfg["parcels"]["hybrid"] = {"record": "data/station.csv", "hub_height_m": 110, "roughness_m": 0.05,
                                "solar_share": 0.3, "solar_mw_per_km2": 40, "export_ratio": 0.8,
                                "optimise_mix": True}
    return root, cfg


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
def test_config_errors_name_the_key(project, assert_config_error, change, match):
    assert_config_error(*project, ("parcels", "hybrid"), change, match)


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


def _section(html: str, section_id: str) -> str:
    """The HTML of one report section (``<section id="...">`` to its ``</section>``)."""
    found = re.search(rf'<section id="{section_id}">.*?</section>', html, flags=re.S)
    assert found is not None, f"no section {section_id!r} in the report"
    return found.group(0)


def test_dask_run_draws_turbine_hybrid_and_drift_figures_on_the_workers_as_memory_mode(project):
    """Every figure of a run with [parcels.turbines], [parcels.hybrid] and a sand_drift criterion is one
    map task on the workers of a local Dask cluster, and gives the memory-mode files byte for byte."""
    import distributed

    root, data = project
    data = copy.deepcopy(data)
    # a sand drift potential raster (VU, west–east ramp 100–700) read by the "sand_drift" criterion: the
    # report's "Sand drift" section. The wind model is a model file: a custom overlay ranks parcels only
    # in memory mode
    grid = sg.Grid.from_bounds((399_000, 4_429_000, 409_000, 4_437_000), crs="EPSG:32649", resolution_m=100)
    drift = np.tile(np.linspace(100.0, 700.0, grid.shape[1], dtype=np.float32), (grid.shape[0], 1))
    write_raster(grid.to_dataarray(drift, name="sand_drift_potential", units="VU"),
                 root / "data" / "sand_drift_potential.tif")
    data["sources"]["sand_drift_potential"] = "data/sand_drift_potential.tif"
    model = Model(name="wind", description="wind speed and sand drift",
                  inputs=("speed", "sand_drift_potential"),
                  criteria=(Criterion("speed", PiecewiseLinear((5.0, 9.0), (0.0, 1.0)), 2.0),
                            sand_drift_criterion(1.0)), rule="wlc")
    (root / "wind_model.toml").write_text(model.to_toml(), encoding="utf-8")
    data["models"]["wind"] = {"model_file": "wind_model.toml"}
    mem = run(config_from_dict(data, base_dir=root, output_dir=root), out_dir=root / "memory")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        data["run"] = {"scheduler": cluster.scheduler_address, "window": 32}
        dsk = run(config_from_dict(data, base_dir=root, output_dir=root), out_dir=root / "dask")
        maps_run = client.run_on_scheduler(
            lambda dask_scheduler: dask_scheduler.task_prefixes["render_map"].state_counts["memory"])
    pngs = sorted(f for f in mem.files if f.endswith(".png"))
    assert {"maps/wind_turbines.png", "maps/wind_hybrid.png", "maps/wind_score.png",
            "maps/wind_parcels.png"} <= set(pngs)
    assert dsk.files == mem.files
    assert maps_run == len(pngs)  # every figure, the turbine layout and the hybrid chart too, was a task
    for f in pngs:
        assert (root / "memory" / f).read_bytes() == (root / "dask" / f).read_bytes(), f
    html = {d: (root / d / "report.html").read_text(encoding="utf-8") for d in ("memory", "dask")}
    for section in ("drift", "maps", "turbines", "hybrid"):  # tables and embedded PNGs alike
        assert _section(html["memory"], section) == _section(html["dask"], section), section
    assert "criterion sand_drift on layer sand_drift" in _section(html["dask"], "drift")
    # the report embeds each figure once in "Maps" (and the chart again under "Wind + PV hybrids")
    embedded = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", _section(html["dask"], "maps"))
    assert len(embedded) == len(pngs)
    # the layouts themselves: windowed runs lay out each parcel on its own bounding window of the rasters
    # (never the whole grid) and place the same turbines as memory mode, with the same energy
    data["run"] = {"mode": "streamed", "window": 32}
    run(config_from_dict(data, base_dir=root, output_dir=root), out_dir=root / "streamed")
    for layer in ("turbines", "layouts"):
        a = gpd.read_file(root / "memory" / "parcels" / "turbines.gpkg", layer=layer)
        assert len(a) > 0, layer
        for other in ("dask", "streamed"):
            b = gpd.read_file(root / other / "parcels" / "turbines.gpkg", layer=layer)
            assert list(a.columns) == list(b.columns), (layer, other)
            assert all(x.equals(y) for x, y in zip(a.geometry, b.geometry, strict=True)), (layer, other)
            for col in a.columns.drop("geometry"):
                if a[col].dtype.kind in "fiu":
                    np.testing.assert_allclose(b[col].to_numpy(float), a[col].to_numpy(float), rtol=1e-9,
                                               err_msg=f"{layer} {other} {col}")
                else:
                    assert a[col].equals(b[col]), (layer, other, col)
