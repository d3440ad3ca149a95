"""Overlay evaluation: in memory, streamed and on Dask give identical rasters; explanations; errors."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
import rasterio
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
    Setback,
    ValueRange,
    ahp,
    evaluate,
    evaluate_dask,
    evaluate_streamed,
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


def test_nodata_category_is_excluded(layers):
    r = evaluate(_overlay(), layers)
    assert "water" in r.excluded_by(int(r.exclusion.values[10, 10]))


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


def test_streamed_equals_in_memory(layers, sources, small_grid, tmp_path):
    ov = _overlay()
    r = evaluate(ov, layers)
    files = evaluate_streamed(
        ov, sources, grid=small_grid, out_dir=tmp_path / "out", window=16, write_criteria=True
    )
    _assert_files_equal_memory(files, r)
    with rasterio.open(files["criteria"]) as ds:
        np.testing.assert_array_equal(ds.read(), np.stack([r.criteria[n].values for n in ov.criterion_names]))
        assert ds.descriptions == tuple(ov.criterion_names)
    # the minimum-area halo matters: without it a window edge would split regions
    assert ov.halo(small_grid.pixel_area_m2) == 6


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


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_dask_equals_streamed_and_in_memory(layers, sources, small_grid, tmp_path, client):
    ov = _overlay()
    r = evaluate(ov, layers)
    streamed = evaluate_streamed(ov, sources, grid=small_grid, out_dir=tmp_path / "s", window=16)
    dask = evaluate_dask(ov, sources, grid=small_grid, out_dir=tmp_path / "d", window=16, client=client)
    assert set(dask) == set(streamed)
    for name in streamed:
        np.testing.assert_array_equal(_read(dask[name]), _read(streamed[name]))
    _assert_files_equal_memory(dask, r)


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
