"""Overlay evaluation: in memory, streamed and on Dask give identical rasters; explanations; errors."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
import tomli_w

import steppe_geo as sg
from steppe_geo.errors import GridMismatchError, InvalidParameterError, MissingLayerError
from steppe_geo.io import write_raster
from steppe_geo.mcda import (
    Categories,
    Criterion,
    FractionAvailable,
    Gaussian,
    Linear,
    MinimumArea,
    Overlay,
    Rule,
    Setback,
    ValueRange,
    ahp,
    bit_legend,
    evaluate,
    evaluate_dask,
    evaluate_streamed,
    parse_bit_legend,
)


@pytest.fixture
def layers(small_grid, rng):
    rows, cols = small_grid.shape
    yy, xx = np.mgrid[0:rows, 0:cols]
    wind = 5 + 4 * np.sin(xx / 9.0) * np.cos(yy / 7.0) + rng.normal(0, 0.3, (rows, cols))
    wind[3, 4] = np.nan
    slope = np.abs(20 * np.sin(yy / 11.0 + xx / 13.0))
    dist = np.hypot(yy - 20, xx - 30) * 30.0
    lc = np.where((xx > 50) & (yy < 8), 80, 30).astype(np.uint8)
    lc[10, 10] = 255
    frac = np.clip((xx - 2) / 10.0, 0, 1)
    # float32 as stored in the GeoTIFF inputs, so the three runs see the same numbers
    wind, slope, dist, frac = (a.astype(np.float32) for a in (wind, slope, dist, frac))
    return {
        "wind": small_grid.to_dataarray(wind, name="wind", units="m/s"),
        "slope": small_grid.to_dataarray(slope, name="slope", units="degrees"),
        "dist_settlement": small_grid.to_dataarray(dist, name="dist_settlement", units="m"),
        "land_cover": small_grid.to_dataarray(lc, name="land_cover", nodata=255),
        "frac": small_grid.to_dataarray(frac, name="frac", units="1"),
    }


def _overlay(rule="wlc", **kw):
    return Overlay(
        criteria=(
            Criterion("wind", Linear(4, 9), 3),
            Criterion("flatness", Linear(20, 0), 1, layer="slope"),
            Criterion("moderate slope", Gaussian(midpoint=5, spread=0.02), 1, layer="slope"),
        ),
        constraints=(
            ValueRange("steep", "slope", max=17),
            Categories("water", "land_cover", exclude=[80]),
            Setback("settlement 150 m", "dist_settlement", distance_m=150),
            FractionAvailable("reserve", "frac"),
            MinimumArea("under 6 px", min_area_m2=6 * 900),
        ),
        rule=rule,
        **kw,
    )


def test_in_memory_wlc_by_hand(layers, assert_same_georef):
    ov = _overlay()
    r = evaluate(ov, layers)
    assert_same_georef(r.score, layers["wind"])
    assert r.score.dtype == np.float32 and r.exclusion.dtype == np.uint32
    w = np.array([3, 1, 1]) / 5
    wind = np.clip((layers["wind"].values - 4) / 5, 0, 1)
    flat = np.clip((20 - layers["slope"].values) / 20, 0, 1)
    mod = np.exp(-0.02 * (layers["slope"].values - 5) ** 2)
    expected = w[0] * wind + w[1] * flat + w[2] * mod
    e = r.eligible.values
    np.testing.assert_allclose(r.score.values[e], expected[e], rtol=1e-5)
    assert np.all(np.isnan(r.score.values[~e]))
    assert np.isnan(r.score.values[3, 4])  # nodata criterion → NaN score
    assert r.weights == pytest.approx({"wind": 0.6, "flatness": 0.2, "moderate slope": 0.2})
    # contributions add up to the score
    total = sum(r.contributions()[n] for n in r.weights)
    np.testing.assert_allclose(total.values[e], r.score.values[e], rtol=1e-5)
    # partial availability is reported, not multiplied into the score
    assert 0 < float(r.availability.values[5, 6]) < 1


def test_explain_names_constraints_and_contributions(layers, small_grid):
    r = evaluate(_overlay(), layers)
    xs, ys = small_grid.x_coords(), small_grid.y_coords()
    # pixel (20, 30) is the settlement itself; col 0 is fully inside the reserve (frac 0)
    why = r.explain(xs[30], ys[20])
    assert why["eligible"] is False and "settlement 150 m" in why["excluded_by"]
    assert "reserve" in r.explain(xs[0], ys[0])["excluded_by"]
    assert "water" in r.explain(xs[55], ys[2])["excluded_by"]
    partial = np.argwhere(r.eligible.values & (r.availability.values < 1))[0]
    assert r.explain(xs[partial[1]], ys[partial[0]])["excluded_by"] == ["reserve"]  # partly excluded
    rr, cc = np.argwhere(r.eligible.values & (r.exclusion.values == 0))[0]
    ok = r.explain(xs[cc], ys[rr])
    assert ok["excluded_by"] == []
    assert sum(c["contribution"] for c in ok["criteria"].values()) == pytest.approx(ok["score"], rel=1e-5)


def test_nodata_category_is_no_data_not_the_constraint(layers):
    # land_cover is nodata (255) at (10, 10): excluded as no_data, not claimed by "water"
    r = evaluate(_overlay(), layers)
    why = r.excluded_by(int(r.exclusion.values[10, 10]))
    assert "no_data" in why and "water" not in why
    assert not r.eligible.values[10, 10]


@pytest.mark.parametrize("rule", ["weighted-product", "fuzzy-and", "geometric-mean"])
def test_other_rules_run_and_stay_in_unit_interval(layers, rule):
    s = evaluate(_overlay(rule), layers).score.values
    assert np.nanmin(s) >= 0 and np.nanmax(s) <= 1


def test_owa_reports_orness_and_tradeoff():
    ov = _overlay("owa", orness=0.25)
    assert ov.owa.orness == pytest.approx(0.25) and 0 < ov.owa.tradeoff < 1
    with pytest.raises(InvalidParameterError, match=r"orness must be within \[0.0, 1.0\], got 1.2"):
        _overlay("owa", orness=1.2)


def test_weights_override_and_count_mismatch():
    ov = _overlay(weights={"wind": 1, "flatness": 1, "moderate slope": 2})
    np.testing.assert_allclose(ov.normalized_weights, [0.25, 0.25, 0.5])
    res = ahp({("wind", "flatness"): 3, ("wind", "moderate slope"): 3, ("flatness", "moderate slope"): 1})
    np.testing.assert_allclose(_overlay(weights=res).normalized_weights, res.weights)
    with pytest.raises(
        InvalidParameterError,
        match=r"overlay: 2 weights for 3 criteria \['wind', 'flatness', "
        r"'moderate slope'\]",
    ):
        _overlay(weights=[0.5, 0.5])
    with pytest.raises(InvalidParameterError, match=r"must sum to a positive number, got \[0.0, 0.0, 0.0\]"):
        _overlay(weights=[0, 0, 0])


def test_unknown_rule():
    with pytest.raises(InvalidParameterError, match=r"rule: unknown value 'owaa'; did you mean 'owa'\?"):
        _overlay("owaa")


def test_layers_on_different_grids_show_both(layers, small_grid):
    other = sg.Grid.from_bounds((400_000, 4_430_000, 401_800, 4_431_200), crs="EPSG:32649", resolution_m=60)
    bad = dict(layers, slope=other.to_dataarray(np.zeros(other.shape), name="slope"))
    with pytest.raises(
        GridMismatchError, match=r"(?s)different grids.*resolution 30 x 30.*resolution 60 x 60"
    ):
        evaluate(_overlay(), bad)


def test_missing_layer_is_named(layers):
    del layers["frac"]
    with pytest.raises(
        MissingLayerError, match=r"needs layers \['frac'\] \(used by \{'frac': \['reserve'\]\}"
    ):
        evaluate(_overlay(), layers)


def test_overlay_toml_round_trip():
    ov = _overlay("owa", order_weights=(0.5, 0.3, 0.2))
    again = Overlay.from_dict(tomllib.loads(tomli_w.dumps(ov.to_dict())))
    assert again == ov
    np.testing.assert_allclose(again.normalized_weights, ov.normalized_weights)


# ---------------------------------------------------------------- same answer, three ways
@pytest.fixture
def sources(layers, tmp_path):
    paths = {}
    for k, da in layers.items():
        paths[k] = write_raster(da, tmp_path / "in" / f"{k}.tif")
    return paths


def _read(path):
    with rasterio.open(path) as ds:
        return ds.read(1)


def _assert_files_equal_memory(files, r):
    np.testing.assert_array_equal(_read(files["score"]), r.score.values)
    np.testing.assert_array_equal(_read(files["eligible"]), r.eligible.values.astype(np.uint8))
    np.testing.assert_array_equal(_read(files["exclusion"]), r.exclusion.values)
    np.testing.assert_array_equal(_read(files["availability"]), r.availability.values)
    if "criteria" in files:
        with rasterio.open(files["criteria"]) as ds:
            np.testing.assert_array_equal(ds.read(), np.stack([r.criteria[n].values for n in r.weights]))


def _assert_same_metadata(files, r):
    """nodata, dtype and tags of the files are those of the in-memory result."""
    for name in ("score", "exclusion", "availability"):
        da = getattr(r, name)
        with rasterio.open(files[name]) as ds:
            assert np.dtype(ds.dtypes[0]) == da.dtype, name
            nd, mem = ds.nodata, da.rio.nodata
            assert (nd is None and mem is None) or (np.isnan(nd) and np.isnan(mem)), (name, nd, mem)
            tags = ds.tags()
            for key, value in da.attrs.items():
                if key != "_FillValue":
                    assert tags[key if key != "units" else "STEPPE_GEO_UNITS"] == str(value), (name, key)
    # eligible: bool in memory (no nodata); GeoTIFF has no bool, so uint8 1/0 with nodata 255
    assert r.eligible.dtype == bool and r.eligible.rio.nodata is None
    with rasterio.open(files["eligible"]) as ds:
        assert ds.dtypes[0] == "uint8" and ds.nodata == 255
    if "criteria" in files:
        with rasterio.open(files["criteria"]) as ds:
            assert ds.descriptions == tuple(r.weights) and ds.nodata is not None and np.isnan(ds.nodata)
            assert json.loads(ds.tags()["value_functions"]) == {
                n: r.criteria[n].attrs["value_function"] for n in r.weights}


def test_exclusion_bitmask_has_no_nodata_so_eligible_pixels_survive_export(layers, tmp_path):
    r = evaluate(_overlay(), layers)
    assert r.exclusion.rio.nodata is None  # was 0, the value that means "excluded by nothing"
    path = write_raster(r.exclusion, tmp_path / "exclusion.tif")
    with rasterio.open(path) as ds:
        assert ds.nodata is None
        np.testing.assert_array_equal(ds.read(1, masked=True).mask, False)
        np.testing.assert_array_equal(ds.read(1), r.exclusion.values)
    back = sg.read_raster(path, kind="categorical")
    assert back.rio.nodata is None
    assert int((back.values == 0).sum()) == int((r.exclusion.values == 0).sum()) > 0


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


RULE_OPTIONS = {
    "wlc": {},
    "weighted-product": {},
    "owa": {"orness": 0.3},
    "fuzzy-and": {},
    "fuzzy-or": {},
    "fuzzy-product": {},
    "fuzzy-gamma": {"gamma": 0.7},
    "geometric-mean": {},
}


# every rule, each with one of several window sizes (16 and 23 cut the 41 x 61 grid unevenly,
# 41 gives 2 windows, 64 one), so the whole matrix stays quick
WINDOWS = [16, 23, 41, 64, 23, 16, 41, 23]


@pytest.mark.parametrize(("rule", "window"), list(zip(RULE_OPTIONS, WINDOWS, strict=True)))
def test_in_memory_streamed_and_dask_are_identical(rule, window, layers, sources, small_grid, tmp_path,
                                                   client):
    ov = _overlay(rule, **RULE_OPTIONS[rule])
    r = evaluate(ov, layers)
    kw = {"grid": small_grid, "window": window, "write_criteria": True}
    streamed = evaluate_streamed(ov, sources, out_dir=tmp_path / "s", **kw)
    dask = evaluate_dask(ov, sources, out_dir=tmp_path / "d", client=client, **kw)
    assert set(dask) == set(streamed) == {"score", "eligible", "exclusion", "availability", "criteria"}
    for files in (streamed, dask):
        _assert_files_equal_memory(files, r)
        _assert_same_metadata(files, r)
    assert np.isfinite(r.score.values).any() and np.isnan(r.score.values).any()


def test_score_tags_record_rule_weights_and_owa(layers, sources, small_grid, tmp_path):
    ov = _overlay("owa", orness=0.3)
    files = evaluate_streamed(ov, sources, grid=small_grid, out_dir=tmp_path / "o", outputs=("score",))
    with rasterio.open(files["score"]) as ds:
        tags = ds.tags()
    assert tags["rule"] == "owa"
    assert json.loads(tags["weights"]) == pytest.approx({"wind": 0.6, "flatness": 0.2, "moderate slope": 0.2})
    assert float(tags["orness"]) == pytest.approx(0.3) and float(tags["tradeoff"]) == ov.owa.tradeoff
    assert json.loads(tags["order_weights"]) == pytest.approx(list(ov.owa.weights))
    assert json.loads(tags["criteria"])[0]["function"] == "linear(low=4.0, high=9.0)"
    assert evaluate(ov, layers).score.attrs["orness"] == tags["orness"]


def test_float_layer_with_numeric_nodata_is_nodata_in_every_mode(layers, small_grid, tmp_path, client):
    wind = layers["wind"].values.copy()
    wind[5, 5] = -9999.0  # declared nodata of a float layer (was used as data in memory)
    layers = dict(layers, wind=small_grid.to_dataarray(wind, name="wind", units="m/s", nodata=-9999.0))
    srcs = {k: write_raster(da, tmp_path / "in" / f"{k}.tif") for k, da in layers.items() if k != "wind"}
    srcs["wind"] = tmp_path / "in" / "wind.tif"  # write_raster would store NaN; keep the -9999 as GDAL nodata
    with rasterio.open(srcs["wind"], "w", driver="GTiff", width=wind.shape[1], height=wind.shape[0], count=1,
                       dtype="float32", crs=small_grid.crs.to_wkt(), transform=small_grid.transform,
                       nodata=-9999.0) as ds:
        ds.write(wind, 1)
    ov = _overlay()
    r = evaluate(ov, layers)
    assert np.isnan(r.criteria["wind"].values[5, 5]) and np.isnan(r.score.values[5, 5])
    streamed = evaluate_streamed(ov, srcs, grid=small_grid, out_dir=tmp_path / "s", window=16)
    dask = evaluate_dask(ov, srcs, grid=small_grid, out_dir=tmp_path / "d", window=16, client=client)
    _assert_files_equal_memory(streamed, r)
    _assert_files_equal_memory(dask, r)
    # and as a constraint layer: -9999 is nodata, which excludes the pixel as no_data (not as "calm")
    ov2 = Overlay(ov.criteria, constraints=(ValueRange("calm", "wind", min=-1e6),))
    r2 = evaluate(ov2, layers)
    assert r2.excluded_by(int(r2.exclusion.values[5, 5])) == ["no_data"]
    files = evaluate_streamed(ov2, srcs, grid=small_grid, out_dir=tmp_path / "c", window=16)
    _assert_files_equal_memory(files, r2)


def test_large_minimum_area_needs_no_halo(layers, sources, small_grid, tmp_path, client, monkeypatch):
    # 200 px minimum area with 16-pixel windows: the old halo (200 px a side) read 416 x 416 windows
    from steppe_geo.pipeline import overlay_files as ov_mod

    big = MinimumArea("under 200 px", min_area_m2=200 * 900)
    ov = Overlay(_overlay().criteria, constraints=(*_overlay().constraints[:-1], big))
    r = evaluate(ov, layers)
    assert r.eligible.values.any()
    assert ((r.exclusion.values & (1 << 6)) > 0).any()  # the rule (constraint 4: bit 6) removed something
    reads = []
    orig = ov_mod.window_arrays

    def spy(datasets, win):
        reads.append((int(win.padded.height), int(win.padded.width), len(datasets)))
        return orig(datasets, win)

    monkeypatch.setattr(ov_mod, "window_arrays", spy)
    files = evaluate_streamed(ov, sources, grid=small_grid, out_dir=tmp_path / "s", window=16)
    _assert_files_equal_memory(files, r)
    assert max(h for h, _, _ in reads) <= 16 and max(w for _, w, _ in reads) <= 16
    # a labelling pass, then the main pass, each over all 5 layers (a criterion without data leaves
    # the pixel out of every region, so the labelling pass reads the criteria too)
    n_win = len(list(small_grid.windows(16)))
    assert [n for _, _, n in reads] == [5] * n_win + [5] * n_win
    _assert_files_equal_memory(
        evaluate_dask(ov, sources, grid=small_grid, out_dir=tmp_path / "d", window=16, client=client), r)


def test_streamed_output_selection(layers, sources, small_grid, tmp_path):
    files = evaluate_streamed(
        _overlay(), sources, grid=small_grid, out_dir=tmp_path / "o", outputs=("score",)
    )
    assert list(files) == ["score"] and not (tmp_path / "o" / "eligible.tif").exists()
    with pytest.raises(InvalidParameterError, match=r"unknown or empty \['scores'\]; did you mean 'score'"):
        evaluate_streamed(_overlay(), sources, grid=small_grid, out_dir=tmp_path / "p", outputs=("scores",))


def test_dask_without_client_is_an_error(sources, small_grid, tmp_path):
    import distributed

    try:
        distributed.get_client()
    except ValueError:
        with pytest.raises(InvalidParameterError, match=r"evaluate_dask needs a distributed\.Client"):
            evaluate_dask(_overlay(), sources, grid=small_grid, out_dir=tmp_path / "x")
    else:  # a client from another test is active: then it is used
        assert evaluate_dask(_overlay(), sources, grid=small_grid, out_dir=tmp_path / "x")


def test_categorical_criterion_with_integer_nodata(layers):
    from steppe_geo.mcda import Categorical

    ov = Overlay((Criterion("cover", Categorical({30: 1.0, 80: 0.1}), layer="land_cover"),))
    r = evaluate(ov, layers)
    assert np.isnan(r.score.values[10, 10])  # nodata code 255 → NaN, not an unknown class
    assert float(r.score.values[0, 0]) == pytest.approx(1.0)
def test_streamed_refuses_existing_and_off_grid(layers, sources, small_grid, tmp_path):
    ov = _overlay()
    evaluate_streamed(ov, sources, grid=small_grid, out_dir=tmp_path / "out", window=32)
    with pytest.raises(FileExistsError):
        evaluate_streamed(ov, sources, grid=small_grid, out_dir=tmp_path / "out", window=32)
    other = sg.Grid.from_bounds((400_000, 4_430_000, 401_800, 4_431_200), crs="EPSG:32649", resolution_m=60)
    with pytest.raises(
        GridMismatchError,
        match=r"(?s)not on the analysis grid.*resolution 30 x 30.*grid: "
        r".*resolution 60 x 60",
    ):
        evaluate_streamed(ov, sources, grid=other, out_dir=tmp_path / "o2")


def test_frozen_overlay_weights_are_read_only():
    ov = _overlay()
    with pytest.raises(ValueError, match="read-only"):
        ov.normalized_weights[0] = 42
    np.testing.assert_allclose(ov.normalized_weights, [0.6, 0.2, 0.2])


def test_overlay_accepts_rule_aliases_and_checks_parameters():
    assert _overlay("WPM").rule is Rule.WEIGHTED_PRODUCT
    with pytest.raises(InvalidParameterError, match=r"gamma must be a number within \[0, 1\], got 'x'"):
        _overlay("fuzzy-gamma", gamma="x")
    with pytest.raises(InvalidParameterError,
                       match=r"criterion 'w': weight must be a number >= 0, got 'heavy'"):
        Criterion("w", Linear(0, 1), "heavy")
    with pytest.raises(InvalidParameterError, match=r"window must be an integer > 0 pixels, got 2.5"):
        from steppe_geo.pipeline.overlay_files import _prepare

        _prepare(_overlay(), {}, sg.Grid.from_bounds((0, 0, 60, 60), crs="EPSG:32649", resolution_m=30), 2.5)


def test_cog_false_writes_plain_tiled_geotiffs_with_the_cogs_pixels_and_metadata(layers, sources, small_grid,
                                                                                  tmp_path, client):
    # the intermediates of a streamed run: same pixels, dtypes, nodata, tags and band names as the
    # COGs (and as memory), but uncompressed and without overviews (GDAL reports them as written)
    ov = _overlay("owa", orness=0.3)
    r = evaluate(ov, layers)
    kw = {"grid": small_grid, "window": 23, "write_criteria": True}
    cogs = evaluate_streamed(ov, sources, out_dir=tmp_path / "cog", **kw)
    plain = evaluate_streamed(ov, sources, out_dir=tmp_path / "plain", cog=False, **kw)
    dask = evaluate_dask(ov, sources, out_dir=tmp_path / "dask", client=client, cog=False, **kw)
    for files in (plain, dask):
        assert set(files) == set(cogs)
        _assert_files_equal_memory(files, r)
        _assert_same_metadata(files, r)
        for name, path in files.items():
            with rasterio.open(path) as ds, rasterio.open(cogs[name]) as ref:
                assert ds.profile["tiled"] and ds.compression is None and ds.overviews(1) == []
                assert ref.compression is not None  # the COG is compressed
                assert ds.tags() == ref.tags() and ds.descriptions == ref.descriptions, name
                assert ds.units == ref.units and ds.crs == ref.crs and ds.transform == ref.transform
        assert not list(Path(files["score"]).parent.glob(".steppe_geo-tmp-*"))  # renamed into place
    with pytest.raises(FileExistsError, match=r"exists already; pass overwrite=True"):
        evaluate_streamed(ov, sources, out_dir=tmp_path / "plain", cog=False, **kw)
    with pytest.raises(InvalidParameterError, match=r"cog must be True or False, got 'no'"):
        evaluate_streamed(ov, sources, out_dir=tmp_path / "x", cog="no", **kw)


def test_write_criteria_must_be_a_bool(sources, small_grid, tmp_path):
    with pytest.raises(InvalidParameterError, match=r"write_criteria must be True or False, got 'yes'"):
        evaluate_streamed(_overlay(), sources, grid=small_grid, out_dir=tmp_path / "o", write_criteria="yes")


# ---------------------------------------------------------------- the AOI polygon and missing data
REAL = Path(__file__).resolve().parents[1] / "data" / "real" / "esrp_idaho"


def _inside_by_shapely(aoi, grid):
    """Independent reference: pixel centres inside the AOI polygon (shapely point-in-polygon)."""
    polygon = shapely.union_all(aoi.to_crs(grid.crs).geometry.values)
    xx, yy = np.meshgrid(grid.x_coords(), grid.y_coords())
    return shapely.contains_xy(polygon, xx, yy)


def _u_shape(grid):
    """A U over the grid: a notch (the middle third of the columns, the top ~half of the rows) cut out.

    (Its edges pass no pixel centre, so the reference and GDAL cannot differ on a tie.)
    """
    w, s, e, n = grid.bounds
    dx, dy = (e - w) / 3, (n - s) * 0.49
    u = shapely.Polygon([(w, s), (e, s), (e, n), (e - dx, n), (e - dx, n - dy), (w + dx, n - dy), (w + dx, n),
                         (w, n)])
    return gpd.GeoDataFrame(geometry=[u], crs=grid.crs)


def test_concave_aoi_bounds_every_mode(layers, sources, small_grid, tmp_path, client):
    aoi = _u_shape(small_grid)
    inside = _inside_by_shapely(aoi, small_grid)
    assert 0.1 < (~inside).mean() < 0.3
    ov = _overlay()
    r = evaluate(ov, layers, aoi=aoi)
    bits = r.exclusion.values
    np.testing.assert_array_equal((bits & 1) > 0, ~inside)  # bit 0 = outside_aoi, exactly
    assert not (r.eligible.values & ~inside).any()  # no eligible pixel outside the AOI
    assert np.isnan(r.score.values[~inside]).all() and (r.availability.values[~inside] == 0).all()
    assert r.eligible.values[inside].any()
    # inside the AOI the result is the one without an AOI, except where a minimum-area region was cut by
    # the AOI's edge (only its inside part counts)
    whole = evaluate(ov, layers)
    same = inside & ~((whole.exclusion.values | bits) & (1 << 6)).astype(bool)
    np.testing.assert_array_equal(r.score.values[same], whole.score.values[same])
    np.testing.assert_array_equal(bits[same] & ~np.uint32(1), whole.exclusion.values[same])
    outside_why = whole.excluded_by(int(whole.exclusion.values[0, 30]))
    assert r.excluded_by(int(bits[0, 30])) == ["outside_aoi", *outside_why]
    for window in (16, 23):
        streamed = evaluate_streamed(ov, sources, grid=small_grid, out_dir=tmp_path / f"s{window}",
                                     window=window, aoi=aoi)
        dask = evaluate_dask(ov, sources, grid=small_grid, out_dir=tmp_path / f"d{window}", window=window,
                             client=client, aoi=aoi)
        _assert_files_equal_memory(streamed, r)
        _assert_files_equal_memory(dask, r)
    with rasterio.open(streamed["exclusion"]) as ds:
        assert ds.tags()["constraints"].startswith("bit 0: outside_aoi, bit 1: no_data, bit 2: steep")


def test_minimum_area_counts_only_land_inside_the_aoi():
    # an eligible strip of 6 pixels (10 m), cut by the AOI after 4: the 4 inside are below the 5-px minimum
    grid = sg.Grid.from_bounds((0, 0, 60, 10), crs="EPSG:32649", resolution_m=10)
    v = grid.to_dataarray(np.ones((1, 6), dtype=np.float32), name="v")
    ov = Overlay((Criterion("v", Linear(0, 1)),), constraints=(MinimumArea("under 5 px", min_area_m2=500),))
    assert evaluate(ov, {"v": v}).eligible.values.all()  # without an AOI the strip is 6 px: kept
    aoi = gpd.GeoSeries([shapely.box(0, 0, 40, 10)], crs="EPSG:32649")
    r = evaluate(ov, {"v": v}, aoi=aoi)
    assert not r.eligible.values.any()
    # by hand: pixels 0-3 inside but in a 4-px region (bit 2, the minimum-area rule); 4-5 outside (bit 0)
    np.testing.assert_array_equal(r.exclusion.values, [[4, 4, 4, 4, 1, 1]])


def test_missing_data_is_no_data_not_a_constraint():
    # a DEM-derived slope with a gap: the gap is "no_data", never "steep slope"
    grid = sg.Grid.from_bounds((0, 0, 40, 10), crs="EPSG:32649", resolution_m=10)
    slope = grid.to_dataarray(np.array([[2.0, 30.0, np.nan, 5.0]], dtype=np.float32), name="slope_deg")
    wind = grid.to_dataarray(np.array([[6.0, 6.0, 6.0, np.nan]], dtype=np.float32), name="wind")
    ov = Overlay((Criterion("wind", Linear(4, 9)), Criterion("flat", Linear(20, 0), layer="slope_deg")),
                 constraints=(ValueRange("steep slope", "slope_deg", max=15),))
    r = evaluate(ov, {"wind": wind, "slope_deg": slope})
    # by hand: pixel 0 eligible; 1 steep (bit 2); 2 slope missing (bit 1 only); 3 wind (a criterion) missing
    np.testing.assert_array_equal(r.exclusion.values, [[0, 4, 2, 2]])
    np.testing.assert_array_equal(r.eligible.values, [[True, False, False, False]])
    assert [r.excluded_by(int(b)) for b in r.exclusion.values[0]] == [[], ["steep slope"], ["no_data"],
                                                                      ["no_data"]]
    assert r.overlay.exclusion_names == ["outside_aoi", "no_data", "steep slope"]
    assert r.exclusion.attrs["constraints"] == "bit 0: outside_aoi, bit 1: no_data, bit 2: steep slope"
    assert parse_bit_legend(r.exclusion.attrs["constraints"]) == r.overlay.exclusion_names


def test_real_concave_aoi_and_a_dem_that_covers_part_of_it_in_every_mode(tmp_path, client):
    # USGS outline of the Eastern Snake River Plain (concave) over a DEM (feet) covering only its middle:
    # outside the plain is bit 0, inside without DEM is bit 1, in memory, streamed and on Dask alike
    esrp = gpd.read_file(REAL / "esrp.gpkg")
    grid = sg.Grid.for_area(esrp, resolution_m=4000)
    dem = sg.read_raster(REAL / "dem_ft_albers.tif", grid=grid, name="dem")
    ov = Overlay((Criterion("low", Linear(7000, 4000), layer="dem"),),
                 constraints=(ValueRange("above 5500 ft", "dem", max=5500),
                              MinimumArea("under 3 px", min_area_m2=3 * 4000**2)))
    r = evaluate(ov, {"dem": dem}, aoi=esrp)
    inside = _inside_by_shapely(esrp, grid)
    missing = np.isnan(dem.values)
    bits = r.exclusion.values
    np.testing.assert_array_equal((bits & 1) > 0, ~inside)
    np.testing.assert_array_equal((bits & 2) > 0, missing)
    assert not ((bits & 4) > 0)[missing].any()  # the elevation rule does not claim pixels without DEM
    eligible = r.eligible.values
    assert eligible.any() and not (eligible & ~inside).any() and not (eligible & missing).any()
    assert 0.5 < missing[inside].mean() < 0.9  # most of the plain has no DEM in this file
    src = {"dem": write_raster(dem, tmp_path / "dem.tif")}
    streamed = evaluate_streamed(ov, src, grid=grid, out_dir=tmp_path / "s", window=16, aoi=esrp)
    dask = evaluate_dask(ov, src, grid=grid, out_dir=tmp_path / "d", window=16, client=client, aoi=esrp)
    _assert_files_equal_memory(streamed, r)
    _assert_files_equal_memory(dask, r)


def test_aoi_errors_name_the_problem(layers, sources, small_grid, tmp_path):
    far = gpd.GeoSeries([shapely.box(500_000, 4_430_000, 501_000, 4_431_000)], crs="EPSG:32649")
    with pytest.raises(InvalidParameterError,
                       match=r"aoi does not overlap the grid .*bounds in the grid's CRS "
                             r"are \(500000.0, 4430000.0, 501000.0, 4431000.0\)"):
        evaluate(_overlay(), layers, aoi=far)
    with pytest.raises(InvalidParameterError, match="aoi does not overlap the grid"):
        evaluate_streamed(_overlay(), sources, grid=small_grid, out_dir=tmp_path / "x", aoi=far)
    assert not (tmp_path / "x").exists()  # refused before any output
    line = shapely.LineString([(400_000, 4_430_000), (401_000, 4_431_000)])
    lines = gpd.GeoSeries([line], crs="EPSG:32649")
    with pytest.raises(InvalidParameterError, match=r"aoi has no polygon with an area"):
        evaluate(_overlay(), layers, aoi=lines)


def test_reserved_bit_names_cannot_name_a_constraint():
    with pytest.raises(InvalidParameterError, match=r"constraint name\(s\) \['no_data'\] are reserved"):
        Overlay((Criterion("v", Linear(0, 1)),), constraints=(ValueRange("no_data", "v", max=1),))


def test_bit_legend_round_trip_and_errors():
    names = ["outside_aoi", "no_data", "settlements, 500 m", "bit rot"]
    assert parse_bit_legend(bit_legend(names)) == names
    for bad in ("", "steep, water", "bit 1: a, bit 0: b", "x bit 0: a"):
        with pytest.raises(InvalidParameterError, match="not an exclusion bit legend"):
            parse_bit_legend(bad)


def test_streamed_progress_counts_windows_per_pass(layers, sources, small_grid, tmp_path, capsys):
    # 40 x 60 grid in 16-pixel windows: ceil(40/16) * ceil(60/16) = 3 * 4 = 12 windows, two passes
    ov = _overlay()
    files = evaluate_streamed(ov, sources, grid=small_grid, out_dir=tmp_path / "p", window=16,
                              progress="wind")
    err = capsys.readouterr().err
    assert "wind: minimum-area regions" in err and "wind: overlay" in err
    assert err.count("12/12") >= 2 and "window/s" in err
    plain = evaluate_streamed(ov, sources, grid=small_grid, out_dir=tmp_path / "q", window=16)
    assert capsys.readouterr().err == ""  # no bar unless asked
    for name, path in files.items():
        np.testing.assert_array_equal(_read(path), _read(plain[name]))


def test_dask_progress_counts_windows_as_tasks_complete(sources, small_grid, tmp_path, client, capsys):
    evaluate_dask(_overlay(), sources, grid=small_grid, out_dir=tmp_path / "d", client=client, window=16,
                  progress=True)
    err = capsys.readouterr().err
    assert "overlay" in err and "minimum-area regions" in err and err.count("12/12") >= 2
