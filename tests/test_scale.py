"""Streamed and Dask runs windowed end to end give the memory-mode answer (issue 12, items 1 and 4).

The reference is memory mode, which aligns with GDAL (rasterio.warp.reproject) and computes every
derived layer on the whole grid; the windowed runs align strip by strip, derive per window with
halos and evaluate the overlay per window. Small windows make many window edges and halos.
"""

import dataclasses

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.windows import Window

import steppe_geo as sg
from steppe_geo.errors import InputNotFoundError, InvalidParameterError
from steppe_geo.io import align_to_file, read_window, write_raster
from steppe_geo.models import WHOLE_GRID, derivation_halo, derive_layers
from steppe_geo.pipeline import align_inputs, build_grid, demo_config, evaluate_model, load_inputs, run
from steppe_geo.pipeline.evaluate import DerivedLayerFiles, _evaluate_from_files

# the sample parcels hold invalid geometries on purpose (repaired with a warning)
pytestmark = pytest.mark.filterwarnings("ignore::steppe_geo.errors.InvalidGeometryWarning")

RESOLUTION_M = 800.0  # the sample AOI at 800 m: 56 x 86 pixels
WINDOW = 32  # 2 x 3 windows, ragged edges


@pytest.fixture(scope="module")
def sample():
    cfg = demo_config(resolution_m=RESOLUTION_M)
    grid = build_grid(cfg.sources, cfg.grid, layers=cfg.input_layers)
    return cfg, grid, load_inputs(cfg.sources, grid, layers=cfg.input_layers)


@pytest.fixture(scope="module")
def aligned(sample, tmp_path_factory):
    cfg, grid, _ = sample
    work = tmp_path_factory.mktemp("work")
    return work, align_inputs(cfg.sources, grid, work, layers=cfg.input_layers, rows=7)


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if np.issubdtype(a.dtype, np.floating):
        return bool(np.array_equal(np.isnan(a), np.isnan(b))
                    and np.array_equal(a[~np.isnan(a)], b[~np.isnan(b)]))
    return bool(np.array_equal(a, b))


# ---------------------------------------------------------------------------- aligning
def test_strip_by_strip_alignment_equals_the_whole_grid_read(sample, aligned):
    # reference: read_raster(path, grid=grid), one GDAL warp of the whole grid
    _, _, mem = sample
    _, layers = aligned
    assert set(layers.files) == set(mem.layers)
    for name, ref in mem.layers.items():
        got = sg.read_raster(layers.files[name])
        assert got.dims == ref.dims and got.dtype == ref.dtype, name
        assert sg.Grid.from_dataarray(got).same_as(sg.Grid.from_dataarray(ref)), name
        assert got.rio.nodata == ref.rio.nodata or (np.isnan(got.rio.nodata) and np.isnan(ref.rio.nodata))
        if "time" in ref.dims:
            assert got["time"].values.tolist() == ref["time"].values.tolist()
        assert got.attrs.get("units") == ref.attrs.get("units") and got.attrs["kind"] == ref.attrs["kind"]
        # float32 rounding of the NDVI scale factor may differ by one ulp; everything else is identical
        np.testing.assert_allclose(got.values, ref.values, rtol=0, atol=1e-7, equal_nan=True, err_msg=name)


@pytest.mark.parametrize("method", ["bilinear", "cubic", "average", "nearest"])
def test_alignment_does_not_depend_on_the_strip_height(tmp_path, method):
    # a geographic raster coarsened onto a UTM grid (kernels scaled by GDAL's XSCALE/YSCALE):
    # strips of 1, 5 and all rows give the one whole-grid answer
    rng = np.random.default_rng(3)
    src = sg.Grid("EPSG:4326", Affine(0.0008, 0, 109.80, 0, -0.0008, 40.06), (90, 130))
    write_raster(src.to_dataarray(rng.random(src.shape).astype(np.float32), name="v"), tmp_path / "v.tif")
    grid = sg.Grid.from_bounds((401_000, 4_429_000, 408_000, 4_432_000), crs="EPSG:32649", resolution_m=130)
    ref = sg.read_raster(tmp_path / "v.tif", grid=grid, resampling=method).values
    for rows in (1, 5, grid.rows):
        out = align_to_file(tmp_path / "v.tif", tmp_path / f"a{rows}.tif", grid=grid, rows=rows,
                            resampling=method)
        assert _same(sg.read_raster(out).values, ref), (method, rows)


def test_categorical_without_nodata_gets_the_whole_grid_free_value(tmp_path):
    # 0 is a real class and the grid reaches beyond the source: read_raster picks 255 (absent)
    lc = np.array([[0, 1], [2, 3]], dtype=np.uint8)
    src = sg.Grid("EPSG:32649", Affine(30, 0, 400_000, 0, -30, 4_431_200), (2, 2))
    with rasterio.open(tmp_path / "lc.tif", "w", driver="GTiff", width=2, height=2, count=1, dtype="uint8",
                       crs="EPSG:32649", transform=src.transform) as ds:
        ds.write(lc[np.newaxis])
    bigger = sg.Grid("EPSG:32649", Affine(30, 0, 400_000 - 60, 0, -30, 4_431_200 + 30), (4, 4))
    ref = sg.read_raster(tmp_path / "lc.tif", grid=bigger, kind="categorical")
    got = sg.read_raster(align_to_file(tmp_path / "lc.tif", tmp_path / "a.tif", grid=bigger, rows=1,
                                       kind="categorical"))
    assert got.rio.nodata == ref.rio.nodata == 255
    np.testing.assert_array_equal(got.values, ref.values)


def test_align_to_file_errors(tmp_path, small_grid):
    with pytest.raises(InputNotFoundError, match=r"raster file not found: .*nope\.tif"):
        align_to_file(tmp_path / "nope.tif", tmp_path / "a.tif", grid=small_grid)
    with pytest.raises(InvalidParameterError, match=r"rows must be an integer > 0, got 0"):
        align_to_file(tmp_path / "nope.tif", tmp_path / "a.tif", grid=small_grid, rows=0)


def test_read_window_reads_only_the_window(aligned):
    _, layers = aligned
    whole = read_window(layers.files["ndvi"], name="ndvi")
    part = read_window(layers.files["ndvi"], Window(10, 3, 20, 5), name="ndvi")
    assert part.dims == ("time", "y", "x") and part.shape[1:] == (5, 20)
    assert sg.Grid.from_dataarray(part).same_as(layers.grid.window_grid(Window(10, 3, 20, 5)))
    assert _same(part.values, whole.values[:, 3:8, 10:30])


# ---------------------------------------------------------------------------- derived layers
def test_halos_add_up_along_chains_and_mark_whole_grid_derivations(sample):
    from steppe_geo.models import desertification_esai, solar_pv

    _, grid, _ = sample
    solar = derivation_halo(solar_pv(), grid=grid)
    assert solar["slope_deg"] == 1 and solar["aspect_deg"] == 1 and solar["pv_yield"] == 0
    assert solar["north_facing"] == 1  # from slope and aspect: 1 + 0
    des = derivation_halo(desertification_esai(), grid=grid)
    assert des["slope_pct"] == 1 and des["sqi"] == 1 and des["cqi"] == 1  # from slope_pct, aspect_deg
    assert des["plant_cover_pct"] == WHOLE_GRID and des["vqi"] == WHOLE_GRID  # percentiles of the layer
    assert des["esai"] == WHOLE_GRID
    given = {"plant_cover_pct": {"ndvi_soil": 0.1, "ndvi_veg": 0.6}}  # end-members known: pixel-wise
    des = derivation_halo(desertification_esai(), grid=grid, parameters=given)
    assert des["vqi"] == 0 and des["esai"] == 1  # esai <- sqi <- slope_pct


def test_derive_layers_only_stops_at_given_layers(sample):
    # a windowed run gives derived layers another model computed already: with only=, what they are
    # computed from is not computed again (nor needed: no dem, ndvi, soil, land cover given here)
    from steppe_geo.models import desertification_esai

    _, grid, mem = sample
    model = desertification_esai()
    inputs = {k: mem.layers[k] if k in mem.layers else mem.vectors[k] for k in model.inputs}
    whole = derive_layers(model, inputs, grid=grid)
    given = {k: whole[k] for k in ("sqi", "cqi", "vqi", "mqi")}
    part = derive_layers(model, given, grid=grid, only=["esai"])
    assert list(part) == ["esai"]
    assert _same(part["esai"].values, whole["esai"].values)


def test_derive_layers_on_a_padded_window_gives_the_whole_grid_core(sample):
    # slope (Horn, 3 x 3) needs its 1-pixel halo: with it the window's core equals the whole grid's
    from steppe_geo.models import solar_pv

    _, grid, mem = sample
    model = solar_pv()
    inputs = {k: mem.layers[k] if k in mem.layers else mem.vectors[k] for k in model.inputs}
    whole = derive_layers(model, inputs, grid=grid, only=["slope_deg"])
    assert set(whole) == {"slope_deg"}
    win = next(w for w in grid.windows(20, halo=1) if w.core.row_off > 0 and w.core.col_off > 0)
    padded = {k: v.isel(y=win.padded_slices[0], x=win.padded_slices[1]) if hasattr(v, "isel") else v
              for k, v in inputs.items()}
    part = derive_layers(model, padded, grid=win.padded_grid, only=["slope_deg"])["slope_deg"]
    core = part.values[win.inner]
    assert _same(core, whole["slope_deg"].values[win.core_slices])
    no_halo = next(w for w in grid.windows(20) if w.core == win.core)
    cut = {k: v.isel(y=no_halo.core_slices[0], x=no_halo.core_slices[1]) if hasattr(v, "isel") else v
           for k, v in inputs.items()}
    edge = derive_layers(model, cut, grid=no_halo.core_grid, only=["slope_deg"])["slope_deg"].values
    assert not _same(edge, whole["slope_deg"].values[win.core_slices])  # without the halo: wrong edges


# ---------------------------------------------------------------------------- one answer
def _check_same(name, a, b):
    assert a.constraint_names == b.constraint_names, name
    np.testing.assert_array_equal(a.exclusion.values, b.exclusion.values, err_msg=f"{name}: exclusion")
    np.testing.assert_array_equal(a.eligible.values, b.eligible.values, err_msg=f"{name}: eligible")
    sa, sb = a.score.values.astype(float), b.score.values.astype(float)
    assert np.array_equal(np.isnan(sa), np.isnan(sb)), name
    np.testing.assert_allclose(sa, sb, rtol=0, atol=1e-6, equal_nan=True, err_msg=f"{name}: score")
    for k in a.result.criteria.data_vars:
        np.testing.assert_allclose(a.result.criteria[k].values, b.result.criteria[k].values, rtol=0,
                                   atol=1e-6, equal_nan=True, err_msg=f"{name}: criterion {k}")
    for k in a.result.layers.data_vars:
        np.testing.assert_allclose(np.asarray(a.result.layers[k].values, float),
                                   np.asarray(b.result.layers[k].values, float), rtol=0, atol=1e-6,
                                   equal_nan=True, err_msg=f"{name}: derived layer {k}")
    assert a.weights == b.weights


def test_streamed_equals_memory_for_every_demo_model(sample, aligned):
    cfg, _, mem = sample
    work, layers = aligned
    for name, model in cfg.models.items():
        _check_same(name, evaluate_model(model, mem),
                    _evaluate_from_files(model, layers, None, work / "streamed", WINDOW))


def test_streamed_capped_distances_on_the_bounded_memory_path_equal_memory_mode(sample, aligned, monkeypatch):
    # every capped distance of the windowed run takes the path whose memory does not grow with the cap
    # (criteria.proximity._distance_sparse: a 2-pixel local transform, the rest from a k-d tree of edge
    # pixels) instead of scipy's transform of the window grown by the cap; memory mode keeps scipy's
    # whole-grid transform (computed before the switch)
    from steppe_geo.criteria import proximity

    cfg, _, mem = sample
    work, layers = aligned
    expected = {name: evaluate_model(cfg.models[name], mem) for name in ("wind", "restoration")}
    monkeypatch.setattr(proximity, "SPARSE_MIN_PIXELS", 0)
    monkeypatch.setattr(proximity, "SPARSE_NEAR_HALO", 2)
    for name, ref in expected.items():
        got = _evaluate_from_files(cfg.models[name], layers, None, work / "sparse", WINDOW)
        for k in ("distance_roads_m", "distance_power_lines_m", "distance_settlements_m"):
            if k in got.result.layers:
                np.testing.assert_array_equal(got.result.layers[k].values, ref.result.layers[k].values,
                                              err_msg=f"{name}: {k}")
        _check_same(name, ref, got)


def test_models_of_one_run_share_derived_layers_with_the_same_function_parameters_and_inputs(sample,
                                                                                           aligned):
    # wind and solar both derive slope in degrees and the capped distances to power lines and roads
    # (25 km and 12 km): solar reads wind's files; its 200 m setback from homesteads (wind: 500 m) and
    # restoration's 20 km road distance are its own. Reused or not, each equals memory mode.
    cfg, _, mem = sample
    work, layers = aligned
    shared = DerivedLayerFiles()  # one per run (pipeline.run makes it)
    out = {name: _evaluate_from_files(cfg.models[name], layers, None, work / "shared", WINDOW, shared=shared)
           for name in ("wind", "solar", "desertification", "restoration")}
    files = {name: o.files for name, o in out.items()}
    for k in ("slope_deg", "distance_power_lines_m", "distance_roads_m", "setback_settlements"):
        assert files["solar"][k] == files["wind"][k], k
        assert files["wind"][k].parent.name == "wind"
    assert files["solar"]["setback_homesteads"] != files["wind"]["setback_homesteads"]
    assert files["solar"]["setback_homesteads"].parent.name == "solar"
    for k in ("slope_pct", "aridity", "plant_cover_pct", "sqi", "cqi", "vqi", "mqi", "esai"):
        assert files["restoration"][k] == files["desertification"][k], k
    # solar computed slope_pct itself before desertification ran: same pixels, so reused
    assert files["desertification"]["slope_pct"] == files["solar"]["slope_pct"]
    assert files["restoration"]["distance_roads_m"].parent.name == "restoration"
    for name, o in out.items():
        _check_same(name, evaluate_model(cfg.models[name], mem), o)
    # another run (its own DerivedLayerFiles) computes its own
    again = _evaluate_from_files(cfg.models["solar"], layers, None, work / "other", WINDOW,
                                 shared=DerivedLayerFiles())
    assert again.files["slope_deg"].parent == work / "other" / "layers" / "solar"


def test_dask_equals_memory_for_every_demo_model(sample, aligned):
    import distributed

    cfg, _, mem = sample
    work, layers = aligned
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        # aligning: one task per strip, the same files as the plain loop
        for name in ("dem", "ndvi", "land_cover"):
            out = align_to_file(layers.paths[name], work / "dask-aligned" / f"{name}.tif", grid=layers.grid,
                                rows=7, client=client)
            assert _same(sg.read_raster(out).values, sg.read_raster(layers.files[name]).values), name
        for name, model in cfg.models.items():
            _check_same(name, evaluate_model(model, mem),
                        _evaluate_from_files(model, layers, client, work / "dask", WINDOW))


def test_streamed_run_aligns_in_files_and_leaves_no_work_folder(tmp_path):
    # a whole run (wind only, no parcels): aligned inputs and rasters equal memory mode's files
    base = demo_config(tmp_path / "unused", resolution_m=RESOLUTION_M)
    cfg = dataclasses.replace(
        base, models={"solar": base.models["solar"]}, parcels=None,
        outputs=dataclasses.replace(base.outputs, maps=(), report=False, vectors=()))
    mem = run(cfg, out_dir=tmp_path / "mem")
    st = run(dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, mode="streamed", window=WINDOW)),
             out_dir=tmp_path / "streamed")
    assert mem.files == st.files and not any(".work" in f for f in st.files)
    for f in mem.files:
        if f.endswith(".tif"):
            a, b = sg.read_raster(tmp_path / "mem" / f), sg.read_raster(tmp_path / "streamed" / f)
            np.testing.assert_allclose(np.asarray(a.values, float), np.asarray(b.values, float), rtol=0,
                                       atol=1e-6, equal_nan=True, err_msg=f)


# ---------------------------------------------------------------------------- parcels stage
PARCEL_MODELS = ("solar", "restoration", "wind_wp")  # WLC (matrix shortcut) and a weighted product (pixels)


def _parcel_config(cfg):
    from steppe_geo.config import ModelConfig

    models = {k: cfg.models[k] for k in ("solar", "restoration")}
    models["wind_wp"] = ModelConfig("wind_wp", "wind_onshore", rule="weighted-product")
    return dataclasses.replace(
        cfg, models=models, run=dataclasses.replace(cfg.run, window=WINDOW),
        parcels=dataclasses.replace(cfg.parcels, rank_by=PARCEL_MODELS, select_by="restoration",
                                    n_draws=40))


def _same_table(a, b, what):
    assert list(a.columns) == list(b.columns), what
    assert a.index.equals(b.index), what
    for col in a.columns:
        if col == "geometry":
            assert all(x.equals(y) for x, y in zip(a.geometry, b.geometry, strict=True)), what
        elif a[col].dtype.kind in "fiub":
            np.testing.assert_allclose(b[col].to_numpy(float), a[col].to_numpy(float), rtol=0, atol=1e-6,
                                       equal_nan=True, err_msg=f"{what}: {col}")
        else:
            assert a[col].equals(b[col]), f"{what}: {col}"


def _same_parcels(mem, other):
    import pandas as pd

    assert set(mem) == set(other) == set(PARCEL_MODELS)
    for name in PARCEL_MODELS:
        a, b = mem[name], other[name]
        _same_table(a.ranked, b.ranked, f"{name} ranked")
        # ranks are identical, not only close
        assert a.ranked["rank"].equals(b.ranked["rank"]), name
        assert a.regions is not None and len(a.regions) >= 3, name
        _same_table(a.regions, b.regions, f"{name} regions")
        assert a.stability is not None, name
        pd.testing.assert_frame_equal(a.stability, b.stability, check_exact=False, rtol=0, atol=1e-9)
        assert a.outside_aoi == b.outside_aoi
    sa, sb = mem["restoration"].selection, other["restoration"].selection
    assert sa.selected.equals(sb.selected) and sa.objective == pytest.approx(sb.objective, abs=1e-6)


def _crosses_windows(geoms, grid, *, both=False):
    """Geometries whose bounding box crosses a window edge in x or in y (``both``: in x and in y)."""
    x0, _, _, y1 = grid.bounds
    edges = np.arange(WINDOW, max(grid.shape), WINDOW) * grid.resolution[0]
    in_x = [any(g.bounds[0] < x0 + e < g.bounds[2] for e in edges) for g in geoms]
    in_y = [any(g.bounds[1] < y1 - e < g.bounds[3] for e in edges) for g in geoms]
    return [g for g, a, b in zip(geoms, in_x, in_y, strict=True) if (a and b if both else a or b)]


@pytest.fixture(scope="module")
def parcels_memory(sample):
    from steppe_geo.pipeline import run_parcels
    from steppe_geo.pipeline.runner import read_aoi

    cfg, grid, mem = sample
    cfg = _parcel_config(cfg)
    mem = dataclasses.replace(mem, aoi=read_aoi(cfg, grid))
    results = {n: evaluate_model(m, mem) for n, m in cfg.models.items()}
    return cfg, run_parcels(cfg, mem, results)


def test_streamed_parcel_stage_equals_memory_mode(sample, aligned, parcels_memory):
    # reference: memory mode (exactextract coverage on the whole grid, ndimage.label on the whole
    # grid, numpy.quantile); streamed: chunks of parcels against windowed reads of lazily opened files
    from steppe_geo.pipeline import run_parcels
    from steppe_geo.pipeline.runner import read_aoi

    cfg, mem_out = parcels_memory
    work, layers = aligned
    layers = dataclasses.replace(layers, aoi=read_aoi(cfg, layers.grid))
    results = {n: _evaluate_from_files(m, layers, None, work / "parcels-streamed", WINDOW)
               for n, m in cfg.models.items()}
    for res in results.values():  # the models' rasters are files read lazily, never whole arrays
        assert res.files and not res.score.variable._in_memory
        assert not res.eligible.variable._in_memory and not res.exclusion.variable._in_memory
    out = run_parcels(cfg, layers, results)
    _same_parcels(mem_out, out)
    # a parcel and a region spanning several windows (and so several chunks' edges)
    assert _crosses_windows(out["solar"].ranked.geometry, layers.grid, both=True)
    assert _crosses_windows(out["solar"].regions.geometry, layers.grid)
    assert all(not r.score.variable._in_memory for r in results.values())  # still not loaded whole
    # the capacity factor (compared above through capacity_mw / energy_gwh of parcels and regions) is
    # computed on the windows read, where used, and not written to a file
    for name in ("wind_wp", "solar"):
        assert out[name].ranked["energy_gwh"].notna().any() and out[name].regions["energy_gwh"].notna().any()
    assert not list((work / "parcels-streamed").rglob("capacity_factor*"))


def test_regions_larger_than_a_window_are_scored_in_pieces_as_memory_mode_scores_them_whole(
        sample, aligned, parcels_memory):
    # a candidate region wider or taller than run.window is cut along tile lines (split_at_tiles) and
    # its statistics joined from the pieces' weighted sums, so no read grows with the region; the
    # reference is memory mode, which scores each region whole on the whole grid
    from steppe_geo.pipeline import run_parcels
    from steppe_geo.pipeline.runner import read_aoi

    small = 8  # pixels: most regions of the 56 x 86 grid are larger
    cfg, mem_out = parcels_memory
    cfg = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, window=small))
    work, layers = aligned
    layers = dataclasses.replace(layers, aoi=read_aoi(cfg, layers.grid))
    results = {n: _evaluate_from_files(m, layers, None, work / "parcels-pieces", WINDOW)
               for n, m in cfg.models.items()}
    out = run_parcels(cfg, layers, results)
    res_m = layers.grid.resolution[0]
    for name in PARCEL_MODELS:
        b = out[name].regions.geometry.bounds
        big = ((b.maxx - b.minx) / res_m > small) | ((b.maxy - b.miny) / res_m > small)
        assert big.sum() >= 3, name  # several regions of every model (WLC, weighted product) go in pieces
        _same_table(mem_out[name].regions, out[name].regions, f"{name} regions")


def test_dask_parcel_stage_equals_memory_mode(sample, aligned, parcels_memory):
    import distributed

    from steppe_geo.pipeline import run_parcels
    from steppe_geo.pipeline.runner import read_aoi

    cfg, mem_out = parcels_memory
    work, layers = aligned
    layers = dataclasses.replace(layers, aoi=read_aoi(cfg, layers.grid))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        results = {n: _evaluate_from_files(m, layers, client, work / "parcels-dask", WINDOW)
                   for n, m in cfg.models.items()}
    _same_parcels(mem_out, run_parcels(cfg, layers, results))
