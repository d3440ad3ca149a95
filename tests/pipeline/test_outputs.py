"""The write, summary, maps and report stages of a windowed run (issue 12, item 1).

Streamed runs read the models' tiled files window by window (``ModelOutput.files``); the reference
is memory mode, which writes and summarises whole in-memory arrays. Files are compared as GDAL reads
them (pixels, dtype, nodata, tags, band descriptions, overviews, COG layout), the summaries number
by number, the maps pixel for pixel (PNG bytes).
"""

import dataclasses
import json

import numpy as np
import pytest
import rasterio

import steppe_geo as sg
from steppe_geo.io import open_lazy
from steppe_geo.pipeline import ModelOutput, demo_config, exclusion_areas, run
from steppe_geo.pipeline.summary import _count, _model_summary

pytestmark = pytest.mark.filterwarnings("ignore::steppe_geo.errors.InvalidGeometryWarning")

RESOLUTION_M = 800.0  # the sample AOI at 800 m: 56 x 86 pixels
WINDOW = 32  # 2 x 3 windows of the models stage, ragged edges

# values that differ between any two runs: when and how long
VOLATILE = {"created_utc", "total_seconds", "timings_seconds", "load_and_align_seconds"}


def _config(out):
    """Wind (constraints, criteria) and desertification (ESAI, classes): every raster and map kind."""
    base = demo_config(out / "unused", resolution_m=RESOLUTION_M)
    return dataclasses.replace(
        base, models={k: base.models[k] for k in ("wind", "desertification")}, parcels=None,
        outputs=dataclasses.replace(base.outputs, criteria=True, aligned_inputs=True, vectors=(),
                                    maps=("png",), report=True))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Memory and streamed runs of wind (constraints, criteria) and desertification (ESAI, classes)."""
    out = tmp_path_factory.mktemp("runs")
    cfg = _config(out)
    mem = run(cfg, out_dir=out / "memory")
    streamed = run(dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, mode="streamed", window=WINDOW)),
                   out_dir=out / "streamed")
    return out, mem, streamed


def _same_cog(a, b):
    with rasterio.open(a) as x, rasterio.open(b) as y:
        assert (x.dtypes, x.count, x.shape, x.crs, x.transform) == (y.dtypes, y.count, y.shape, y.crs,
                                                                     y.transform), a.name
        assert x.nodata == y.nodata or (np.isnan(x.nodata) and np.isnan(y.nodata)), a.name
        tx, ty = x.tags(), y.tags()
        px, py = json.loads(tx.pop("STEPPE_GEO_PROVENANCE")), json.loads(ty.pop("STEPPE_GEO_PROVENANCE"))
        assert tx == ty and x.descriptions == y.descriptions and x.units == y.units, a.name
        assert {k: v for k, v in px.items() if k not in VOLATILE} == \
            {k: v for k, v in py.items() if k not in VOLATILE}, a.name
        assert x.overviews(1) == y.overviews(1), a.name
        assert x.tags(ns="IMAGE_STRUCTURE") == y.tags(ns="IMAGE_STRUCTURE"), a.name  # LAYOUT=COG, DEFLATE
        np.testing.assert_array_equal(x.read(), y.read(), err_msg=a.name)


def test_streamed_run_writes_every_raster_as_memory_mode_does(runs):
    out, mem, streamed = runs
    assert mem.files == streamed.files
    tifs = [f for f in mem.files if f.endswith(".tif")]
    # aligned inputs, score/eligible/exclusion, every criterion, ESAI and ESA classes
    assert {"rasters/wind/score.tif", "rasters/wind/eligible.tif", "rasters/wind/exclusion.tif",
            "rasters/wind/criteria/slope.tif", "rasters/desertification/esai.tif",
            "rasters/desertification/esa_class.tif", "aligned/dem.tif", "aligned/ndvi.tif"} <= set(tifs)
    for f in tifs:
        _same_cog(out / "memory" / f, out / "streamed" / f)


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _assert_close(a, b, path="summary"):
    if isinstance(a, dict):
        assert set(a) == set(b), f"{path}: keys {sorted(set(a) ^ set(b))}"
        for k in a:
            _assert_close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            _assert_close(u, v, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, nan_ok=True), path
    else:
        assert a == b, path


def test_streamed_summary_equals_memory_mode(runs):
    out, _, _ = runs
    a = json.loads((out / "memory" / "summary.json").read_text())
    b = json.loads((out / "streamed" / "summary.json").read_text())
    _assert_close(_strip(a), _strip(b))
    # the summary says something: the AOI, eligible land, a score, the inputs' statistics
    wind = a["models"]["wind"]
    assert 0 < wind["eligible_ha"] < wind["aoi_ha"] and 0 < wind["mean_score"] < 1
    assert a["rasters"]["dem"]["min"] < a["rasters"]["dem"]["max"]
    assert "source_pixel_size_m" in b["rasters"]["dem"]
    assert (out / "memory" / "summary.txt").read_text().splitlines()[3:] == \
        (out / "streamed" / "summary.txt").read_text().splitlines()[3:]  # past the timings


def test_streamed_maps_are_the_memory_mode_maps(runs):
    # no decimation at this size: the streamed maps are drawn from the same arrays, legends counted
    # window by window at full resolution: the same PNG, byte for byte
    out, mem, streamed = runs
    pngs = [f for f in mem.files if f.endswith(".png")]
    assert {"maps/wind_score.png", "maps/wind_exclusions.png", "maps/desertification_esa_classes.png"} \
        <= set(pngs)
    for f in pngs:
        assert (out / "memory" / f).read_bytes() == (out / "streamed" / f).read_bytes(), f
    assert "report.html" in streamed.files


@pytest.fixture(scope="module")
def dask_run(runs):
    """The run of ``runs`` on a local Dask cluster of 2 worker processes, and the task names it ran."""
    import distributed

    out, _, _ = runs
    cfg = _config(out)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        on_cluster = dataclasses.replace(cfg.run, scheduler=cluster.scheduler_address, window=WINDOW)
        res = run(dataclasses.replace(cfg, run=on_cluster), out_dir=out / "dask")
        prefixes = client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
    return res, prefixes


def test_dask_run_writes_rasters_and_draws_maps_on_the_workers_as_memory_mode(runs, dask_run):
    out, mem, _ = runs
    dsk, prefixes = dask_run
    # one task per output raster and one per map ran on the workers (Dask drops the leading "_")
    assert "write_job" in prefixes and "render_map" in prefixes
    assert dsk.files == mem.files
    tifs = [f for f in mem.files if f.endswith(".tif")]
    assert "rasters/desertification/esa_class.tif" in tifs and "rasters/wind/criteria/slope.tif" in tifs
    for f in tifs:
        _same_cog(out / "memory" / f, out / "dask" / f)
    pngs = [f for f in mem.files if f.endswith(".png")]
    assert {"maps/wind_score.png", "maps/wind_exclusions.png", "maps/desertification_esa_classes.png"} \
        <= set(pngs)
    for f in pngs:  # drawn by a worker from the decimated read: the memory-mode map, byte for byte
        assert (out / "memory" / f).read_bytes() == (out / "dask" / f).read_bytes(), f
    # the report embeds the same maps in the same order
    import re

    embedded = [re.findall(r'data:image/png;base64,([A-Za-z0-9+/=]+)', (out / d / "report.html").read_text())
                for d in ("memory", "dask")]
    assert embedded[0] == embedded[1] and len(embedded[0]) == len(pngs)


# ---------------------------------------------------------------------------- summary, per window
def _model_output(grid, tmp_path=None):
    """A model output with hand-set bits: bit 0 outside_aoi, 1 no_data, 2 steep, 3 water."""
    bits = np.zeros(grid.shape, dtype=np.uint32)
    bits[:, :3] |= 0b0001  # 3 columns outside the AOI
    bits[0, 3:8] |= 0b0010  # 5 px no data
    bits[1:4, 3:7] |= 0b0100  # 12 px steep
    bits[3:5, 5:9] |= 0b1000  # 8 px water, 2 of them steep too
    score = np.where(bits == 0, np.linspace(0, 1, bits.size, dtype=np.float32).reshape(bits.shape), np.nan)
    names = ["outside_aoi", "no_data", "steep", "water"]
    score_da = grid.to_dataarray(score.astype(np.float32), name="score")
    eligible = grid.to_dataarray(bits == 0, name="eligible")
    exclusion = grid.to_dataarray(bits, name="exclusion")
    res = ModelOutput("m", score_da, eligible, exclusion, names, {"a": 1.0})
    if tmp_path is None:
        return res, bits, score
    files = {k: sg.write_raster(da if k != "eligible" else da.astype(np.uint8).rio.write_nodata(255),
                                tmp_path / f"{k}.tif")
             for k, da in (("score", score_da), ("eligible", eligible), ("exclusion", exclusion))}
    lazy = {k: open_lazy(p, name=k) for k, p in files.items()}
    return ModelOutput("m", lazy["score"], lazy["eligible"] == 1, lazy["exclusion"], names, {"a": 1.0},
                       files=files), bits, score


def test_counts_accumulated_per_window_equal_the_whole_grid_by_hand(tmp_path, small_grid):
    mem, _, score = _model_output(small_grid)
    files, _, _ = _model_output(small_grid, tmp_path)
    for res in (mem, files):
        for window in (7, 2048):  # many ragged windows, and one
            c = _count(res, small_grid, window)
            # by hand: 41 x 61 grid, 3 columns outside; 5 no data, 12 steep, 8 water (2 with steep)
            assert c.inside == 41 * 58 and c.excluded == [41 * 3, 5, 12, 8]
            assert c.only == [41 * 3, 5, 10, 6] and c.union_inside == 5 + 12 + 8 - 2
            assert c.eligible_inside == 41 * 58 - 23 and c.not_excluded == 41 * 58 - 23
            assert c.score_count == int(np.isfinite(score).sum())
            assert c.score_sum == pytest.approx(float(np.nansum(score.astype(np.float64))), rel=1e-12)
    assert exclusion_areas(files, pixel_area_m2=900.0) == exclusion_areas(mem, pixel_area_m2=900.0)
    from steppe_geo.config import ModelConfig

    mc = ModelConfig("m", "wind_onshore")
    assert _model_summary(mc, files, small_grid) == _model_summary(mc, mem, small_grid)


def test_maps_of_a_windowed_run_are_drawn_from_decimated_reads(tmp_path, small_grid):
    import geopandas as gpd

    from steppe_geo.pipeline import InputLayers
    from steppe_geo.pipeline.report import _map_layers

    res, bits, _ = _model_output(small_grid, tmp_path)
    layers = InputLayers(small_grid, {}, {}, {}, aoi=gpd.GeoDataFrame(geometry=[], crs=small_grid.crs))
    drawn = _map_layers(res, layers, max_pixels=21)  # 41 x 61 -> factor 3 -> 14 x 21
    assert drawn["score"].shape == drawn["exclusion"].shape == (14, 21)
    # nearest: the bitmask's pixel under each output pixel's centre; output pixel i spans source
    # pixels i * s .. (i + 1) * s with s = 41 / 14 rows and 61 / 21 cols, its centre in floor((i + 0.5) s)
    rows = np.floor((np.arange(14) + 0.5) * 41 / 14).astype(int)
    cols = np.floor((np.arange(21) + 0.5) * 61 / 21).astype(int)
    np.testing.assert_array_equal(drawn["exclusion"].values, bits[np.ix_(rows, cols)])
    # legends counted at full resolution (by hand in the counts test): 41 x 3 px outside, 5, 12, 8
    ha = small_grid.pixel_area_m2 / 1e4
    assert drawn["exclusion_areas_ha"] == pytest.approx(
        {"outside_aoi": 123 * ha, "no_data": 5 * ha, "steep": 12 * ha, "water": 8 * ha,
         "eligible": (41 * 58 - 23) * ha})
    # the score map covers the grid's extent with coarser pixels
    assert drawn["score"].rio.bounds() == pytest.approx(small_grid.bounds)
