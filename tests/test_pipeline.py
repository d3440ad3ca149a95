"""Pipeline on a tiny synthetic project written to tmp_path (real files, real readers)."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import steppe_geo as sg
from steppe_geo.config import config_from_dict
from steppe_geo.errors import ConfigError, OutputExistsError, OutputNotWritableError, UnreadableInputError
from steppe_geo.io import write_raster, write_vector
from steppe_geo.pipeline import STAGE_PREFIX, build_grid, load_inputs, run


@pytest.fixture
def project(tmp_path, rng):
    """AOI (GeoPackage, UTM 49N), wind speed (EPSG:4326, ~0.005°) and slope (UTM, 50 m)."""
    data = tmp_path / "data"
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_430_000, 404_000, 4_433_000)], crs="EPSG:32649")
    write_vector(aoi, data / "aoi.gpkg")
    # wind: a west -> east ramp from 4 to 9 m/s, in geographic coordinates
    wgrid = sg.Grid.from_bounds((109.80, 39.99, 109.90, 40.06), crs="EPSG:4326", resolution_deg=0.005)
    ramp = np.linspace(4.0, 9.0, wgrid.shape[1], dtype=np.float32)
    wind = wgrid.to_dataarray(np.tile(ramp, (wgrid.shape[0], 1)), name="wind", units="m s-1")
    write_raster(wind, data / "wind.tif")
    sgrid = sg.Grid.from_bounds((399_000, 4_429_000, 405_000, 4_434_000), crs="EPSG:32649", resolution_m=50)
    values = rng.uniform(0, 20, sgrid.shape).astype(np.float32)
    slope = sgrid.to_dataarray(values, name="slope", units="degree")
    write_raster(slope, data / "slope.tif")
    cfg = {
        "project": {"name": "tiny"},
        "sources": {"aoi": "data/aoi.gpkg", "wind": "data/wind.tif", "slope": "data/slope.tif"},
        "grid": {"aoi": "aoi", "resolution_m": 200},
        "models": {"wind": {
            "criteria": [
                {"name": "wind", "function": "linear", "low": 4.0, "high": 9.0, "weight": 3},
                {"name": "slope", "function": "linear", "low": 20.0, "high": 0.0, "weight": 1},
            ],
            "constraints": [{"type": "value_range", "name": "steep", "layer": "slope", "max": 15.0}],
        }},
        "outputs": {"directory": "out", "aligned_inputs": True},
    }
    return tmp_path, cfg


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_run_writes_aligned_layers_scores_and_summary(project):
    root, data = project
    cfg = config_from_dict(data, base_dir=root, output_dir=root)
    result = run(cfg)
    out = root / "out"
    assert result.out_dir == out
    assert _files(out) == sorted(["aligned/wind.tif", "aligned/slope.tif", "rasters/wind/score.tif",
                                  "rasters/wind/eligible.tif", "rasters/wind/exclusion.tif",
                                  "maps/wind_score.png", "maps/wind_score.pdf", "maps/wind_exclusions.png",
                                  "maps/wind_exclusions.pdf", "report.html", "summary.json", "summary.txt"])
    assert result.files == _files(out)
    grid = build_grid(cfg.sources, cfg.grid)
    wind = sg.read_raster(out / "aligned/wind.tif")
    slope = sg.read_raster(out / "aligned/slope.tif")
    score = sg.read_raster(out / "rasters/wind/score.tif")
    for da in (wind, slope, score):
        assert sg.Grid.from_dataarray(da).same_as(grid)
    # expected score by hand: weights 3:1 -> 0.75 * (wind - 4) / 5 + 0.25 * (20 - slope) / 20,
    # NaN where slope > 15 (constraint "steep") and where the pixel centre is outside the AOI (a UTM
    # rectangle, not aligned with the local equal-area grid: shapely decides which centres are inside)
    w, s = wind.values.astype(float), slope.values.astype(float)
    expected = 0.75 * np.clip((w - 4) / 5, 0, 1) + 0.25 * np.clip((20 - s) / 20, 0, 1)
    expected[s > 15] = np.nan
    aoi = gpd.read_file(root / "data/aoi.gpkg").to_crs(grid.crs).geometry.iloc[0]
    xx, yy = np.meshgrid(grid.x_coords(), grid.y_coords())
    inside = shapely.contains_xy(aoi, xx, yy)
    assert 0 < (~inside).sum() < inside.sum()  # the grid's corners are outside the rotated rectangle
    expected[~inside] = np.nan
    np.testing.assert_allclose(score.values, expected, rtol=1e-5, atol=1e-6)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["grid"]["shape"] == list(grid.shape)
    assert summary["models"]["wind"]["weights"] == pytest.approx({"wind": 0.75, "slope": 0.25})
    assert summary["models"]["wind"]["constraints"] == ["outside_aoi", "no_data", "steep"]
    assert set(summary["provenance"]["inputs"]) >= {"wind", "slope", "aoi"}
    assert "tiny" in (out / "summary.txt").read_text(encoding="utf-8")
    assert (out / "maps/wind_score.pdf").read_bytes()[:5] == b"%PDF-"
    report = (out / "report.html").read_text(encoding="utf-8")
    for section in ("inputs", "models", "weights", "maps", "provenance"):
        assert f'<section id="{section}">' in report
    assert "steep" in report and "linear(low=4.0, high=9.0)" in report and "<script" not in report
    assert not list(root.glob(STAGE_PREFIX + "*"))


def test_existing_output_is_refused_unchanged_and_replaced_with_overwrite(project):
    root, data = project
    cfg = config_from_dict(data, base_dir=root, output_dir=root)
    run(cfg)
    out = root / "out"
    before = {f: (out / f).stat().st_mtime_ns for f in _files(out)}
    (out / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputExistsError, match=r"output folder '.*out' exists already; nothing was changed"):
        run(cfg)
    assert {f: (out / f).stat().st_mtime_ns for f in _files(out) if f != "mine.txt"} == before
    run(cfg, overwrite=True)
    assert not (out / "mine.txt").exists()  # the folder was replaced as a whole
    assert not list(root.glob(STAGE_PREFIX + "*"))


def test_config_errors_stop_the_run_before_any_output(project):
    root, data = project
    data["models"]["wind"]["criteria"][1]["layer"] = "slope_deg"  # not an input
    cfg = config_from_dict(data, base_dir=root, output_dir=root)
    with pytest.raises(ConfigError, match=r"^models\.wind\.criteria\[1\]\.layer: unknown layer "
                                          r"'slope_deg'; did you mean 'slope'\? Layers are the inputs "
                                          r"\(aoi, wind, slope\)\."):
        run(cfg)
    assert sorted(p.name for p in root.iterdir()) == ["data"]  # no output, no staging folder


def test_failed_run_leaves_nothing(project):
    root, data = project
    (root / "data" / "slope.tif").write_bytes(b"not a GeoTIFF")  # fails the data checks, before any output
    cfg = config_from_dict(data, base_dir=root, output_dir=root)
    with pytest.raises(UnreadableInputError, match=r"slope\.tif"):
        run(cfg)
    assert not (root / "out").exists()
    assert not list(root.glob(STAGE_PREFIX + "*"))


def test_unwritable_output_folder(project):
    root, data = project
    (root / "blocker").write_text("a file, not a folder", encoding="utf-8")
    cfg = config_from_dict(data, base_dir=root, output_dir=root)
    with pytest.raises(OutputNotWritableError, match=r"cannot write output folder '.*blocker/out'"):
        run(cfg, out_dir=root / "blocker" / "out")


def test_output_folder_holding_an_input_is_refused_even_with_overwrite(project):
    root, data = project
    cfg = config_from_dict(data, base_dir=root, output_dir=root)
    with pytest.raises(OutputExistsError, match=r"holds input 'aoi'"):
        run(cfg, out_dir=root / "data", overwrite=True)
    assert (root / "data" / "aoi.gpkg").exists()


def test_streamed_and_dask_runs_give_the_same_rasters(project):
    import socket

    root, data = project
    # the Dask dashboard's default port taken (another cluster, another user): no warning, no failure
    busy = socket.socket()
    busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        busy.bind(("", 8787))
        busy.listen()
    except OSError:  # taken already: the same situation
        pass
    data["outputs"].update(maps=[], report=False)
    cfg = config_from_dict(data, base_dir=root, output_dir=root)
    mem = run(cfg, out_dir=root / "mem")
    data["run"] = {"mode": "streamed", "window": 8}  # 2 x 3 windows, ragged edges
    streamed = run(config_from_dict(data, base_dir=root, output_dir=root), out_dir=root / "streamed")
    dsk = run(config_from_dict(data, base_dir=root, output_dir=root), out_dir=root / "dask", workers=2)
    import distributed

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:  # an existing scheduler
        sched = run(config_from_dict(data, base_dir=root, output_dir=root), out_dir=root / "sched",
                    scheduler=cluster.scheduler_address)
    busy.close()
    assert mem.files == dsk.files == streamed.files == sched.files
    for part in ("score", "eligible", "exclusion"):
        a = sg.read_raster(root / "mem" / "rasters/wind" / f"{part}.tif")
        for other in ("streamed", "dask", "sched"):
            b = sg.read_raster(root / other / "rasters/wind" / f"{part}.tif")
            np.testing.assert_array_equal(a.values, b.values)


def test_progress_bars_on_request(project, capsys):
    root, data = project
    data["outputs"].update(maps=[], report=False)
    run(config_from_dict(data, base_dir=root, output_dir=root), progress=True)
    err = capsys.readouterr().err
    assert "load and align" in err and "100%" in err


def test_load_inputs_reports_time_and_vectors(project):
    root, data = project
    cfg = config_from_dict(data, base_dir=root, output_dir=root)
    grid = build_grid(cfg.sources, cfg.grid)
    layers = load_inputs(cfg.sources, grid)
    assert set(layers.layers) == {"wind", "slope"} and set(layers.vectors) == {"aoi"}
    assert layers.vectors["aoi"].crs == grid.crs and layers.seconds > 0


def test_preset_streamed_matches_memory_on_the_sample_data(tmp_path):
    import dataclasses

    from steppe_geo.models import wind_onshore
    from steppe_geo.pipeline import demo_config

    base = demo_config(tmp_path / "unused", resolution_m=2000)
    needed = {*wind_onshore().inputs, "aoi"}
    cfg = dataclasses.replace(
        base, models={"wind": base.models["wind"]}, parcels=None,
        sources={k: v for k, v in base.sources.items() if k in needed},
        outputs=dataclasses.replace(base.outputs, aligned_inputs=False, maps=(), report=False, vectors=()))
    run(cfg, out_dir=tmp_path / "mem")
    run(dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, mode="streamed", window=8)),
        out_dir=tmp_path / "streamed")
    for part in ("eligible", "exclusion"):
        a = sg.read_raster(tmp_path / "mem/rasters/wind" / f"{part}.tif").values
        b = sg.read_raster(tmp_path / "streamed/rasters/wind" / f"{part}.tif").values
        np.testing.assert_array_equal(a, b)
    a = sg.read_raster(tmp_path / "mem/rasters/wind/score.tif").values
    b = sg.read_raster(tmp_path / "streamed/rasters/wind/score.tif").values
    # derived layers (slope, distances, hub-height wind) pass through float32 files when streamed:
    # scores agree to float32 rounding
    np.testing.assert_allclose(a, b, rtol=0, atol=5e-7)
    assert np.array_equal(np.isnan(a), np.isnan(b))


def test_custom_overlay_example_runs_on_the_sample_data(tmp_path):
    from pathlib import Path

    from steppe_geo.config import load_config

    example = Path(__file__).resolve().parents[1] / "examples" / "custom_overlay.toml"
    result = run(load_config(example), out_dir=tmp_path / "out")
    assert "rasters/solar_custom/score.tif" in result.files and "report.html" in result.files
    excl = sg.read_raster(tmp_path / "out/rasters/solar_custom/exclusion.tif", kind="categorical")
    lc = sg.read_raster(tmp_path / "out/rasters/solar_custom/eligible.tif", kind="categorical")
    assert (excl.values > 0).any() and (lc.values == 1).any()
    assert result.summary["models"]["solar_custom"]["weights"] == pytest.approx(
        {"irradiation": 0.75, "elevation": 0.25})  # weights 3 and 1 normalised


def test_exclusion_cog_declares_no_nodata_so_eligible_land_is_not_masked(project):
    import rasterio

    root, data = project
    data["outputs"].update(maps=[], report=False)
    data["models"]["wind"]["constraints"].append({"type": "value_range", "name": "calm", "layer": "wind",
                                                  "min": 6.0})  # the western part of the ramp
    run(config_from_dict(data, base_dir=root, output_dir=root))
    with rasterio.open(root / "out/rasters/wind/exclusion.tif") as ds:
        assert ds.nodata is None  # 0 means "not excluded", not "no data"
        bits = ds.read(1, masked=True)  # what QGIS and rioxarray(masked=True) see
    with rasterio.open(root / "out/rasters/wind/eligible.tif") as ds:
        eligible = ds.read(1) == 1
    assert eligible.any() and (~eligible).any()
    assert not np.ma.getmaskarray(bits)[eligible].any()
    np.testing.assert_array_equal(np.asarray(bits) == 0, eligible)


def test_output_folder_and_files_follow_the_umask(project):
    import os
    import stat

    root, data = project
    data["outputs"].update(maps=["png"], report=True)
    cfg = config_from_dict(data, base_dir=root, output_dir=root)
    for umask in (0o022, 0o027):
        old = os.umask(umask)
        try:
            run(cfg, out_dir=root / f"out-{umask:o}")
        finally:
            os.umask(old)
        out = root / f"out-{umask:o}"
        assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask  # not mkdtemp's private 0700
        for path in out.rglob("*"):
            want = (0o777 if path.is_dir() else 0o666) & ~umask
            assert stat.S_IMODE(path.stat().st_mode) == want, path.relative_to(out)


def _section(html, name):
    start = html.index(f'<section id="{name}">')
    return html[start:html.index("</section>", start)]


def _first_cells(section_html):
    """First cell of every body row of every table in a report section."""
    import re

    return re.findall(r"<tbody><tr><td[^>]*>([^<]*)</td>|</tr><tr><td[^>]*>([^<]*)</td>", section_html)


def test_report_names_parcels_by_id_and_shows_weights_cr_and_excluded_area(project):
    import re

    root, data = project
    # four parcels; their ids are not their row positions, and the best (east) ones are rows 1 and 3
    boxes = [shapely.box(400_000 + 2000 * i, 4_430_000 + 1500 * j, 402_000 + 2000 * i, 4_431_500 + 1500 * j)
             for j in range(2) for i in range(2)]
    parcels = gpd.GeoDataFrame({"pid": ["P00101", "P00102", "P00103", "P00104"],
                                "name": ["西南", "东南", "西北", "东北"]}, geometry=boxes, crs="EPSG:32649")
    write_vector(parcels, root / "data" / "parcels.gpkg")
    data["sources"]["parcels"] = "data/parcels.gpkg"
    data["parcels"] = {"source": "parcels", "id_column": "pid", "name_column": "name", "top_k": 2,
                       "n_draws": 50}
    data["models"]["wind"]["constraints"].append({"type": "value_range", "name": "calm", "layer": "wind",
                                                  "min": 6.0})
    for c in data["models"]["wind"]["criteria"]:
        c.pop("weight")
    data["models"]["wind"]["ahp"] = {"wind/slope": 3}  # the same 3 : 1 as the direct weights
    data["outputs"].update(maps=["png"])
    result = run(config_from_dict(data, base_dir=root, output_dir=root))
    html = (root / "out" / "report.html").read_text(encoding="utf-8")

    ranked = sg.read_vector(root / "out" / "parcels" / "wind.gpkg", layer="ranked_parcels")
    by_rank = list(ranked.sort_values("rank")["pid"])
    assert set(by_rank[:2]) == {"P00102", "P00104"}  # the eastern parcels
    top_cells = [a or b for a, b in _first_cells(_section(html, "parcels"))]
    assert top_cells == by_rank[:2]  # the top-parcels table names them by pid
    assert "<th>pid</th>" in _section(html, "parcels") and "东" in _section(html, "parcels")
    stability_cells = [a or b for a, b in _first_cells(_section(html, "stability"))]
    assert set(stability_cells) <= set(parcels["pid"]) and stability_cells
    assert set(result.summary["parcels"]["wind"]["top_k"]) == {"P00102", "P00104"}

    weights = _section(html, "weights")
    assert "AHP (2 criteria" in weights and "CR = 0.000" in weights  # n = 2 is always consistent
    assert result.summary["models"]["wind"]["ahp"]["judgements"] == {"wind/slope": 3.0}
    assert result.summary["models"]["wind"]["weights"] == pytest.approx({"wind": 0.75, "slope": 0.25})

    # excluded area per constraint inside the AOI, in ha, against the aligned input counted independently
    # (200 m pixels; pixel centres inside the AOI by shapely)
    aligned = sg.read_raster(root / "out" / "aligned" / "wind.tif")
    wind = aligned.values
    aoi = gpd.read_file(root / "data/aoi.gpkg").to_crs(aligned.rio.crs).geometry.iloc[0]
    xx, yy = np.meshgrid(aligned.x.values, aligned.y.values)
    inside = shapely.contains_xy(aoi, xx, yy)
    rows = {r["constraint"]: r for r in result.summary["models"]["wind"]["exclusions"]}
    assert rows["calm"]["excluded_ha"] == pytest.approx(float(((wind < 6.0) & inside).sum()) * 4.0)
    calm_share = ((wind < 6.0) & inside).sum() / inside.sum()
    assert rows["calm"]["share_of_aoi"] == pytest.approx(calm_share, abs=1e-6)
    assert rows["outside_aoi"]["excluded_ha"] == pytest.approx(float((~inside).sum()) * 4.0)
    assert rows["outside_aoi"]["bit"] == 0 and rows["no_data"]["bit"] == 1
    assert rows["calm"]["bit"] == 3 and rows["steep"]["bit"] == 2
    models = _section(html, "models")
    assert "land excluded by each bit (ha inside the AOI" in models
    assert re.search(rf"<td>calm</td><td class=\"num\">{rows['calm']['excluded_ha']:.4g}</td>", models)
    # the inputs' vector table keeps its geometry-type column
    assert "<th>geometry</th>" in _section(html, "inputs") and "<td>Polygon</td>" in _section(html, "inputs")

    data["models"]["wind"].pop("ahp")
    run(config_from_dict(data, base_dir=root, output_dir=root), out_dir=root / "direct")
    weights = _section((root / "direct" / "report.html").read_text(encoding="utf-8"), "weights")
    assert "direct weights" in weights and "no CR" in weights


def test_ahp_example_runs_and_reports_the_consistency_ratio(tmp_path):
    import dataclasses
    import warnings
    from pathlib import Path

    from steppe_geo.config import load_config
    from steppe_geo.errors import InvalidGeometryWarning

    example = Path(__file__).resolve().parents[1] / "examples" / "ahp_weights.toml"
    cfg = load_config(example)
    cfg = dataclasses.replace(cfg, parcels=dataclasses.replace(cfg.parcels, n_draws=50))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InvalidGeometryWarning)  # 4 sample parcels are repaired
        result = run(cfg, out_dir=tmp_path / "out")
    for model, cr in (("wind", 0.0012), ("solar", 0.0022)):  # CR of the judgements, by mcda.ahp
        assert result.summary["models"][model]["ahp"]["cr"] == pytest.approx(cr, abs=1e-4)
    weights = result.summary["models"]["wind"]["weights"]
    assert max(weights, key=weights.get) == "wind_speed" and sum(weights.values()) == pytest.approx(1)
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "CR = 0.001" in html and "CR = 0.002" in html and "AHP judgements ±1 Saaty step" in html
    assert "model file &#x27;solar_pv.toml&#x27;" in html or "model file 'solar_pv.toml'" in html


@pytest.mark.parametrize("nodata", [None, 0, 2**32 - 1])
def test_exclusion_areas_by_constraint(small_grid, nodata):
    from steppe_geo.pipeline import ModelOutput, exclusion_areas

    names = ["outside_aoi", "no_data", "reserve", "settlements"]
    bits = np.zeros(small_grid.shape, dtype=np.uint32)
    bits[0, :10] = 0b0100  # 10 px by "reserve" only
    bits[1, :5] = 0b1000  # 5 px by "settlements" only
    bits[2, :2] = 0b1100  # 2 px by both
    bits[3, :3] = 0b0010  # 3 px without data
    bits[40, :] = 0b0001  # the last row (61 px) is outside the AOI ...
    bits[39, :4] = 0b0101  # ... and 4 px of the row above too (excluded by "reserve" there as well)
    if nodata:
        bits[5, :7] = nodata  # a reserved "no data" code (after the mcda change): excludes nothing
    da = small_grid.to_dataarray(bits, name="exclusion", nodata=None if nodata is None else np.uint32(nodata))
    res = ModelOutput("m", da, da == 0, da, names, {})
    rows = exclusion_areas(res, pixel_area_m2=small_grid.pixel_area_m2)
    # by hand, 30 m pixels = 0.09 ha; the AOI is 41 x 61 - 61 - 4 = 2436 px. Inside it: reserve 12 px, of
    # which 10 alone; settlements 7 px, 5 alone; no data 3 px; 20 in all. Outside: 65 px (4 also "reserve",
    # not counted for it)
    aoi_px = 41 * 61 - 65
    assert rows == [
        {"bit": 0, "constraint": "outside_aoi", "excluded_ha": 5.85, "only_this_ha": 5.49,
         "share_of_aoi": None},
        {"bit": 1, "constraint": "no_data", "excluded_ha": 0.27, "only_this_ha": 0.27,
         "share_of_aoi": round(3 / aoi_px, 6)},
        {"bit": 2, "constraint": "reserve", "excluded_ha": 1.08, "only_this_ha": 0.9,
         "share_of_aoi": round(12 / aoi_px, 6)},
        {"bit": 3, "constraint": "settlements", "excluded_ha": 0.63, "only_this_ha": 0.45,
         "share_of_aoi": round(7 / aoi_px, 6)},
        {"bit": None, "constraint": "any constraint", "excluded_ha": 1.8, "only_this_ha": None,
         "share_of_aoi": round(20 / aoi_px, 6)},
    ]


def test_weighted_product_parcels_are_scored_by_the_score_raster_and_slivers_stay_out(tmp_path):
    """Issue 11, items 2 and 9, end to end: sample data, restoration preset (a weighted product)."""
    import dataclasses
    import warnings

    import exactextract

    from steppe_geo.errors import InvalidGeometryWarning
    from steppe_geo.models import restoration_priority
    from steppe_geo.pipeline import demo_config

    base = demo_config(tmp_path / "unused", resolution_m=1000)
    needed = {*restoration_priority().inputs, "aoi", "parcels"}
    cfg = dataclasses.replace(
        base, models={"restoration": base.models["restoration"]},
        sources={k: v for k, v in base.sources.items() if k in needed},
        parcels=dataclasses.replace(base.parcels, rank_by=("restoration",), select_by="restoration",
                                    n_draws=40, budget_ha=50_000.0),
        outputs=dataclasses.replace(base.outputs, aligned_inputs=False, maps=("png",), vectors=("gpkg",)))
    assert cfg.models["restoration"].preset == "restoration_priority"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InvalidGeometryWarning)  # 4 sample parcels are repaired
        result = run(cfg, out_dir=tmp_path / "out")
    out = tmp_path / "out"
    ranked = sg.read_vector(out / "parcels" / "restoration.gpkg", layer="ranked_parcels")
    score_tif = out / "rasters" / "restoration" / "score.tif"
    crs = sg.read_raster(score_tif).rio.crs
    # the reference: exactextract on the written score raster (NaN on ineligible land), own reader
    ee = exactextract.exact_extract(str(score_tif), ranked.to_crs(crs), ["mean", "max"], output="pandas")
    top = ranked["rank"].notna().to_numpy() & (ranked["rank"].fillna(np.inf) <= 20).to_numpy()
    assert top.sum() == 20
    np.testing.assert_allclose(ranked["score"].to_numpy()[top], ee["mean"].to_numpy()[top], rtol=0, atol=1e-6)
    ok = ranked["score"].notna().to_numpy()
    np.testing.assert_allclose(ranked["score"].to_numpy()[ok], ee["mean"].to_numpy()[ok], rtol=0, atol=1e-6)
    # a parcel whose map score is 0 everywhere has parcel score 0 (the additive shortcut gave > 0.3)
    zero = ok & (ee["max"].to_numpy() == 0)
    assert zero.any() and (ranked["score"].to_numpy()[zero] == 0).all()
    # honest explanations: no additive breakdown of a product; what-if gains instead
    assert not [c for c in ranked.columns if c.startswith(("share_", "contrib_"))]
    assert {f"gain_{c}" for c in ("risk", "water", "access", "value")} <= set(ranked.columns)
    # no slivers: ranked parcels have >= 4 pixels (400 ha at 1 km) and >= 10 % of their area eligible
    is_ranked = ranked["status"] == "ranked"
    assert is_ranked.sum() == ranked["rank"].notna().sum() > 20
    assert (ranked.loc[is_ranked, "eligible_area_ha"] >= 400 - 1e-6).all()
    assert (ranked.loc[is_ranked, "eligible_fraction"] >= 0.1).all()
    out_of_it = ranked.loc[~is_ranked, "status"]
    assert len(out_of_it) and out_of_it.str.match(r"^(too little eligible land \(|no eligible land)").all()
    assert not ranked.loc[~is_ranked, "selected"].any() and ranked.loc[is_ranked, "selected"].any()
    regions = sg.read_vector(out / "parcels" / "restoration.gpkg", layer="regions")
    assert (regions["area_ha"] >= 400 - 1e-6).all()
    ee_regions = exactextract.exact_extract(str(score_tif), regions.to_crs(crs), "mean", output="pandas")
    np.testing.assert_allclose(regions["score"].to_numpy(), ee_regions["mean"].to_numpy(), rtol=0, atol=1e-6)
    assert "gain_water" in regions.columns and "share_water" not in regions.columns
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "gain_* = score gained if that criterion were 1" in html and "share_*" not in html
    assert "No rank-stability analysis was run." not in html  # weight draws recombine the pixels
    assert result.summary["parcels"]["restoration"]["scored"] == int(is_ranked.sum())


def test_parcel_limits_from_the_config_and_no_weight_draws_for_a_fuzzy_rule(project):
    root, data = project
    boxes = [shapely.box(400_000 + 2000 * i, 4_430_000 + 1500 * j, 402_000 + 2000 * i, 4_431_500 + 1500 * j)
             for j in range(2) for i in range(2)]
    boxes.append(shapely.box(403_000, 4_432_500, 403_300, 4_432_900))  # 12 ha: a small parcel
    parcels = gpd.GeoDataFrame({"pid": ["SW", "SE", "NW", "NE", "small"]}, geometry=boxes, crs="EPSG:32649")
    write_vector(parcels, root / "data" / "parcels.gpkg")
    data["sources"]["parcels"] = "data/parcels.gpkg"
    data["models"]["wind"]["rule"] = "fuzzy-and"
    data["parcels"] = {"source": "parcels", "id_column": "pid", "top_k": 2, "min_eligible_ha": 20,
                       "min_eligible_share": 0.0, "region_min_area_ha": 40, "n_draws": 30}
    data["outputs"].update(maps=[], vectors=["gpkg"])
    run(config_from_dict(data, base_dir=root, output_dir=root))
    ranked = sg.read_vector(root / "out" / "parcels" / "wind.gpkg", layer="ranked_parcels").set_index("pid")
    # 200 m pixels = 4 ha; the small parcel has at most 12 ha of eligible land, below 20 ha
    assert ranked.loc["small", "eligible_area_ha"] < 20 and pd.isna(ranked.loc["small", "rank"])
    assert ranked.loc["small", "status"].startswith("too little eligible land (") and "< 20 ha)" in \
        ranked.loc["small", "status"]
    big = ranked.drop(index="small")
    assert (big["status"] == "ranked").all() and sorted(big["rank"].astype(int)) == [1, 2, 3, 4]
    regions = sg.read_vector(root / "out" / "parcels" / "wind.gpkg", layer="regions")
    # region_min_area_ha = 40: every region has at least 40 ha (the default minimum is 4 pixels, 16 ha)
    assert len(regions) >= 1 and (regions["area_ha"] >= 40 - 1e-9).all()
    # fuzzy AND ignores the weights: no weight-draw stability; min() explained by gains, not shares
    assert "gain_wind" in ranked.columns and "share_wind" not in ranked.columns
    html = (root / "out" / "report.html").read_text(encoding="utf-8")
    assert "No rank-stability analysis was run." in html


def test_concave_aoi_bounds_the_run_and_missing_data_is_reported(project):
    # A U-shaped AOI (UTM): the notch x 401-403 km, y 4431.5-4433 km is cut out of the 4 x 3 km rectangle.
    # The slope raster has a hole (NaN) in the south-west of the AOI: "no data", not "steep".
    import pyproj

    root, data = project
    u = shapely.Polygon([(400_000, 4_430_000), (404_000, 4_430_000), (404_000, 4_433_000),
                         (403_000, 4_433_000), (403_000, 4_431_500), (401_000, 4_431_500),
                         (401_000, 4_433_000), (400_000, 4_433_000)])
    write_vector(gpd.GeoDataFrame(geometry=[u], crs="EPSG:32649"), root / "data" / "aoi.gpkg", overwrite=True)
    sgrid = sg.Grid.from_bounds((399_000, 4_429_000, 405_000, 4_434_000), crs="EPSG:32649", resolution_m=50)
    slope = np.full(sgrid.shape, 5.0, dtype=np.float32)
    slope[-30:, 20:40] = np.nan  # x 400-401 km, y 4429-4430.5 km: 0.5 km^2 of it inside the AOI
    write_raster(sgrid.to_dataarray(slope, name="slope", units="degree"), root / "data" / "slope.tif",
                 overwrite=True)
    # three parcels: P1 inside the AOI, P2 straddling the notch (half inside), P3 outside it
    parcels = gpd.GeoDataFrame({"pid": ["P1", "P2", "P3"]}, crs="EPSG:32649", geometry=[
        shapely.box(402_000, 4_430_200, 403_000, 4_431_200),  # 1 km^2, all inside
        shapely.box(401_000, 4_431_000, 402_000, 4_432_000),  # its top half is in the notch
        shapely.box(401_200, 4_431_700, 402_800, 4_432_900)])  # inside the notch: outside the AOI
    write_vector(parcels, root / "data" / "parcels.gpkg")
    data["sources"]["parcels"] = "data/parcels.gpkg"
    data["parcels"] = {"source": "parcels", "id_column": "pid", "top_k": 2, "n_draws": 0}
    data["outputs"].update(maps=["png"])
    result = run(config_from_dict(data, base_dir=root, output_dir=root))
    out = root / "out"

    eligible = sg.read_raster(out / "rasters/wind/eligible.tif", kind="categorical")
    bits = sg.read_raster(out / "rasters/wind/exclusion.tif", kind="categorical").values
    grid = sg.Grid.from_dataarray(eligible)
    xx, yy = np.meshgrid(grid.x_coords(), grid.y_coords())
    aoi = gpd.GeoSeries([u], crs="EPSG:32649").to_crs(grid.crs).iloc[0]
    inside = shapely.contains_xy(aoi, xx, yy)  # independent reference: shapely at the pixel centres
    assert not (inside[5:10, :].all())  # the notch is in the grid's northern half
    np.testing.assert_array_equal((bits & 1) > 0, ~inside)
    assert not ((eligible.values == 1) & ~inside).any()  # no eligible pixel outside the AOI
    aligned_slope = sg.read_raster(out / "aligned/slope.tif").values
    hole = np.isnan(aligned_slope)
    assert (hole & inside).any()
    np.testing.assert_array_equal((bits & 2) > 0, hole)  # bit 1 no_data exactly where slope is missing
    assert not ((bits & 4) > 0)[hole].any()  # ... and "steep" (bit 2) never claims them

    summary = result.summary
    pixel_ha = grid.pixel_area_m2 / 1e4
    # the AOI polygon's true area by pyproj.Geod (the grid is equal-area): 12 - 3 = 9 km^2
    geod = pyproj.Geod(ellps="WGS84")
    u_ll = gpd.GeoSeries([u], crs="EPSG:32649").to_crs("EPSG:4326").iloc[0]
    assert summary["aoi"]["polygon_ha"] == pytest.approx(abs(geod.geometry_area_perimeter(u_ll)[0]) / 1e4,
                                                         rel=1e-4)
    assert summary["aoi"]["polygon_ha"] == pytest.approx(900, rel=2e-3)
    assert summary["aoi"]["pixels_ha"] == pytest.approx(inside.sum() * pixel_ha)
    m = summary["models"]["wind"]
    assert m["aoi_ha"] == pytest.approx(inside.sum() * pixel_ha)
    assert m["eligible_ha"] == pytest.approx(((eligible.values == 1) & inside).sum() * pixel_ha)
    assert m["eligible_fraction"] == pytest.approx(((eligible.values == 1) & inside).sum() / inside.sum())
    assert m["no_data_fraction"] == pytest.approx((hole & inside).sum() / inside.sum())
    assert m["no_data_fraction"] > 0.01 and "has no data" in m["warnings"][0]
    assert "warnings:" in (out / "summary.txt").read_text(encoding="utf-8")
    assert "of the AOI" in (out / "summary.txt").read_text(encoding="utf-8")
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Warning: model &#x27;wind&#x27;" in report and "Area of interest: polygon" in report

    # parcels: the area inside the AOI, counted over the pixels whose centre is inside it. By hand: P1 is
    # 300 m from the AOI's edges, more than a pixel's half diagonal (141 m), so all its 1 km^2 counts
    # (rel 2e-3: UTM vs equal-area scale); P2's 0.5 km^2 inside the polygon is off by at most its 1 km of
    # boundary x 141 m = 14.1 ha. Eligible land <= that area. P3 lies wholly in the notch, outside the AOI:
    # it is left out of the parcel tables and counted in the summary.
    ranked = sg.read_vector(out / "parcels/wind.gpkg", layer="ranked_parcels").set_index("pid")
    assert ranked.loc["P1", "aoi_area_ha"] == pytest.approx(100, rel=2e-3)
    assert abs(ranked.loc["P2", "aoi_area_ha"] - 50) <= 14.2
    assert "P3" not in ranked.index and summary["parcels"]["wind"]["outside_aoi"] == 1
    assert (ranked["eligible_area_ha"] <= ranked["aoi_area_ha"] + 1e-9).all()
    # candidate regions lie inside the AOI (up to half a pixel: a region is made of whole pixels whose
    # centres are inside)
    regions = sg.read_vector(out / "parcels/wind.gpkg", layer="regions").to_crs(grid.crs)
    assert len(regions)
    reach = aoi.buffer(grid.resolution_m * 0.5 * 2**0.5 + 1e-6)
    assert (regions.geometry.difference(reach).area < 1e-6).all()
