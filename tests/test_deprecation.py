"""Every old name of the rename pass (docs/glossary.md) still works for one release: it warns with a
SteppeGeoDeprecationWarning naming the new name, and gives the same result as the new name."""

from __future__ import annotations

import dataclasses
import importlib
import warnings

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import pytest
import shapely
import xarray as xr

import steppe_geo as sg
from steppe_geo import criteria, io, mcda, models, parcels, pipeline
from steppe_geo._deprecation import RenamedKeysDict, renamed_parameter
from steppe_geo.config import config_from_dict, parse_config
from steppe_geo.errors import ConfigError, InvalidParameterError, SteppeGeoDeprecationWarning
from steppe_geo.pipeline import InputLayers

matplotlib.use("Agg")

GRID = sg.Grid.from_bounds((0, 0, 300, 300), crs="EPSG:32649", resolution_m=30)
WIND = GRID.to_dataarray(np.linspace(3, 9, 100, dtype=np.float32).reshape(GRID.shape), name="wind")
PARCELS = gpd.GeoDataFrame({"pid": ["a", "b", "c"]}, crs=GRID.crs,
                           geometry=[shapely.box(0, 0, 100, 300), shapely.box(100, 0, 200, 300),
                                     shapely.box(200, 0, 300, 300)])
ZONAL = pd.DataFrame({"a": [0.9, 0.1, 0.5, 0.4], "b": [0.9, 0.2, 0.1, 0.3]}, index=list("pqrs"))


def _old_and_new(old, new, match):
    """``old()`` warns naming the new name; both results, the old one first."""
    with pytest.warns(SteppeGeoDeprecationWarning, match=match):
        a = old()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # the new name does not warn
        b = new()
    return a, b


def _equal(a, b):
    if isinstance(a, xr.DataArray):
        assert a.identical(b)
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    else:
        assert a == b


def _model():
    return models.Model("m", ("wind",), criteria=(mcda.Criterion("wind", mcda.Linear(low=3.0, high=9.0)),))


KEYWORDS = {
    "power_law(ref_height_m=)": (
        lambda: criteria.power_law(WIND, height_m=100, ref_height_m=10),
        lambda: criteria.power_law(WIND, height_m=100, reference_height_m=10),
        r"power_law\(ref_height_m=\.\.\.\) is deprecated .* use power_law\(reference_height_m=\.\.\.\)"),
    "power_law(alpha=)": (
        lambda: criteria.power_law(WIND, height_m=100, reference_height_m=10, alpha=0.2),
        lambda: criteria.power_law(WIND, height_m=100, reference_height_m=10, shear_exponent=0.2),
        r"use power_law\(shear_exponent=\.\.\.\)"),
    "log_law(ref_height_m=)": (
        lambda: criteria.log_law(7.0, height_m=100, ref_height_m=10, z0_m=0.03),
        lambda: criteria.log_law(7.0, height_m=100, reference_height_m=10, z0_m=0.03),
        r"use log_law\(reference_height_m=\.\.\.\)"),
    "zonal_stats(rasters=)": (
        lambda: parcels.zonal_stats(PARCELS, rasters={"wind": WIND}),
        lambda: parcels.zonal_stats(PARCELS, layers={"wind": WIND}),
        r"use zonal_stats\(layers=\.\.\.\)"),
    "run_model(inputs=)": (
        lambda: models.run_model(_model(), inputs={"wind": WIND}, grid=GRID).score,
        lambda: models.run_model(_model(), layers={"wind": WIND}, grid=GRID).score,
        r"use run_model\(layers=\.\.\.\)"),
    "rank_stability(k=)": (
        lambda: parcels.rank_stability(ZONAL, weights={"a": 1, "b": 1}, n_draws=50, k=2, rng=3),
        lambda: parcels.rank_stability(ZONAL, weights={"a": 1, "b": 1}, n_draws=50, top_k=2, rng=3),
        r"use rank_stability\(top_k=\.\.\.\)"),
    "weight_sweep(k=)": (
        lambda: parcels.weight_sweep(ZONAL, weights={"a": 1, "b": 1}, k=2),
        lambda: parcels.weight_sweep(ZONAL, weights={"a": 1, "b": 1}, top_k=2),
        r"use weight_sweep\(top_k=\.\.\.\)"),
    "read_raster(da, grid=)": (
        lambda: sg.read_raster(WIND, grid=GRID),
        lambda: sg.align(WIND, GRID),
        r"use steppe_geo\.align\(da, grid\)"),
}


@pytest.mark.parametrize("case", sorted(KEYWORDS))
def test_old_keyword_arguments_warn_and_give_the_new_result(case):
    old, new, match = KEYWORDS[case]
    _equal(*_old_and_new(old, new, match))


def test_read_vector_bbox_margin_m(tmp_path):
    path = tmp_path / "roads.gpkg"
    gpd.GeoDataFrame({"k": [1, 2]}, geometry=[shapely.Point(50, 50), shapely.Point(350, 50)],
                     crs=GRID.crs).to_file(path)
    a, b = _old_and_new(lambda: sg.read_vector(path, aoi=GRID, bbox_margin_m=100),
                        lambda: sg.read_vector(path, aoi=GRID, margin_m=100),
                        r"read_vector\(bbox_margin_m=\.\.\.\) is deprecated .*"
                        r"use read_vector\(margin_m=\.\.\.\)")
    assert a.equals(b) and list(a["k"]) == [1, 2]


def test_plot_ranked_parcels_k():
    from steppe_geo import maps

    ranked = PARCELS.assign(score=[0.2, 0.9, 0.5])
    a, b = _old_and_new(lambda: maps.plot_ranked_parcels(ranked, column="score", k=2),
                        lambda: maps.plot_ranked_parcels(ranked, column="score", top_k=2),
                        r"use plot_ranked_parcels\(top_k=\.\.\.\)")
    labels = [t.get_text() for t in a.texts]
    assert labels == [t.get_text() for t in b.texts] and "2" in labels and "3" not in labels  # the top 2


@pytest.mark.parametrize("module", ["steppe_geo.criteria.wind", "steppe_geo.criteria.wind_resource"])
def test_alpha_range(module):
    mod = importlib.import_module(module)
    a, b = _old_and_new(lambda: mod.ALPHA_RANGE, lambda: mod.SHEAR_EXPONENT_RANGE,
                        rf"{module}\.ALPHA_RANGE is deprecated .*use {module}\.SHEAR_EXPONENT_RANGE")
    assert a == b == (0.0, 0.6)


@pytest.mark.parametrize("module", ["steppe_geo.models", "steppe_geo.models.model",
                                    "steppe_geo.models.derivations"])
def test_input_kind_is_layer_kind(module):
    mod = importlib.import_module(module)
    with pytest.warns(SteppeGeoDeprecationWarning, match=rf"{module}\.InputKind is deprecated .*"
                                                           r"use steppe_geo\.io\.LayerKind"):
        kind = mod.InputKind
    assert kind.RASTER is io.LayerKind.CONTINUOUS  # a raster read as measurements
    assert kind.CATEGORICAL is io.LayerKind.CATEGORICAL and kind.VECTOR is io.LayerKind.VECTOR
    assert kind("raster") is io.LayerKind.CONTINUOUS and kind("vector") is io.LayerKind.VECTOR
    assert isinstance(io.LayerKind.VECTOR, kind) and list(kind) == list(io.LayerKind)
    assert "InputKind" not in mod.__all__
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchName'"):
        mod.NoSuchName  # noqa: B018


def test_criterion_layer_key():
    c = mcda.Criterion("flat", mcda.Linear(low=20, high=0), layer="slope_deg")
    a, b = _old_and_new(lambda: c.layer_key, lambda: c.layer, r"Criterion\.layer_key is deprecated .*"
                                                                r"use Criterion\.layer")
    assert a == b == "slope_deg"
    assert mcda.Criterion("slope", mcda.Linear(low=20, high=0)).layer == "slope"  # defaults to the name


def test_input_layers_rasters():
    layers = InputLayers(GRID, {"wind": WIND}, {}, {})
    a, b = _old_and_new(lambda: layers.rasters, lambda: layers.layers,
                        r"InputLayers\.rasters is deprecated .*use InputLayers\.layers")
    assert a is b


def test_export_bundle_old_keys(tmp_path):
    ranked = PARCELS.assign(rank=[1, 2, 3], score=[0.9, 0.5, 0.2], eligible_area_ha=[1.0, 1.0, 1.0])
    paths = parcels.export_bundle(ranked, tmp_path, name="w", formats=["shapefile", "parquet"])
    assert sorted(paths) == ["parquet", "shapefile"]  # the new keys only
    for old, new in (("shapefile_zip", "shapefile"), ("geoparquet", "parquet")):
        a, b = _old_and_new(lambda old=old: paths[old], lambda new=new: paths[new],
                            rf"export_bundle\(\)\['{old}'\] is deprecated .*use export_bundle\(\)\['{new}'\]")
        assert a == b and b.exists()
        with pytest.warns(SteppeGeoDeprecationWarning):
            assert old in paths and paths.get(old) == b


def test_renamed_keys_dict_misses_like_a_dict():
    d = RenamedKeysDict({"top_k": [1]}, {"top": "top_k"}, what="s", since="0.2.0")
    assert d == {"top_k": [1]} and "other" not in d and d.get("other", 5) == 5
    with pytest.raises(KeyError):
        d["other"]


def test_config_key_monte_carlo_draws(tmp_path):
    for name in ("aoi.gpkg", "wind.tif", "parcels.gpkg"):
        (tmp_path / name).write_bytes(b"")
    data = {"sources": {"aoi": "aoi.gpkg", "wind": "wind.tif", "parcels": "parcels.gpkg"},
            "grid": {"aoi": "aoi", "resolution_m": 250},
            "models": {"wind": {"criteria": [
                {"name": "wind", "function": "linear", "low": 4.0, "high": 9.0}]}}}

    def cfg(**parcels_table):
        table = {"source": "parcels", **parcels_table}
        return config_from_dict({**data, "parcels": table}, base_dir=tmp_path)

    a, b = _old_and_new(lambda: cfg(monte_carlo_draws=7), lambda: cfg(n_draws=7),
                        r"configuration key parcels\.monte_carlo_draws is deprecated .*use parcels\.n_draws")
    assert a == b and b.parcels.n_draws == 7
    c, d = _old_and_new(lambda: b.parcels.monte_carlo_draws, lambda: b.parcels.n_draws,
                        r"ParcelsConfig\.monte_carlo_draws is deprecated .*use ParcelsConfig\.n_draws")
    assert c == d == 7
    with pytest.raises(ConfigError, match=r"parcels\.monte_carlo_draws: deprecated name of parcels\.n_draws, "
                                          r"which is given too: keep parcels\.n_draws only"):
        cfg(monte_carlo_draws=7, n_draws=8)
    assert dataclasses.replace(b.parcels, n_draws=3).n_draws == 3


def test_config_table_inputs_is_sources(tmp_path):
    # glossary case 2: the table of name → file is [sources]; [inputs] still reads, with a warning
    for name in ("aoi.gpkg", "wind.tif"):
        (tmp_path / name).write_bytes(b"")
    rest = {"grid": {"aoi": "aoi", "resolution_m": 250},
            "models": {"wind": {"criteria": [
                {"name": "wind", "function": "linear", "low": 4.0, "high": 9.0}]}}}
    table = {"aoi": "aoi.gpkg", "wind": {"path": "wind.tif", "units": "m s-1"}}

    def cfg(key):
        return config_from_dict({key: table, **rest}, base_dir=tmp_path)

    a, b = _old_and_new(lambda: cfg("inputs"), lambda: cfg("sources"),
                        r"the configuration table \[inputs\] is deprecated since steppe_geo 0\.2\.0 .*"
                        r"use \[sources\]")
    assert a == b and b.sources == {"aoi": tmp_path / "aoi.gpkg", "wind": tmp_path / "wind.tif"}
    assert a.input_specs == b.input_specs and b.spec("wind").units == "m s-1"
    # the same through TOML text, as a configuration file writes it
    text = '[inputs]\naoi = "aoi.gpkg"\nwind = "wind.tif"\n\n[grid]\naoi = "aoi"\nresolution_m = 250\n'
    with pytest.warns(SteppeGeoDeprecationWarning, match=r"\[inputs\] is deprecated"):
        from_text = parse_config(text, base_dir=tmp_path)
    assert from_text.sources == {"aoi": tmp_path / "aoi.gpkg", "wind": tmp_path / "wind.tif"}
    c, d = _old_and_new(lambda: b.inputs, lambda: b.sources,
                        r"Config\.inputs is deprecated .*use Config\.sources")
    assert c == d
    with pytest.raises(ConfigError, match=r"^inputs: the table \[inputs\] is the deprecated name of "
                                          r"\[sources\], which is given too: keep \[sources\] only"):
        config_from_dict({"inputs": table, "sources": table, **rest}, base_dir=tmp_path)


def test_load_inputs_takes_sources(tmp_path):
    path = sg.write_raster(WIND, tmp_path / "wind.tif")
    a, b = _old_and_new(lambda: pipeline.load_inputs(inputs={"wind": path}, grid=GRID),
                        lambda: pipeline.load_inputs(sources={"wind": path}, grid=GRID),
                        r"load_inputs\(inputs=\.\.\.\) is deprecated .*use load_inputs\(sources=\.\.\.\)")
    assert a.layers["wind"].identical(b.layers["wind"])


def test_old_and_new_keyword_together_is_an_error():
    msg = (r"power_law\(\) got both 'alpha' \(its deprecated name\) and 'shear_exponent': "
           r"pass 'shear_exponent' only")
    with pytest.raises(InvalidParameterError, match=msg):
        criteria.power_law(6.0, height_m=100, reference_height_m=10, alpha=0.2, shear_exponent=0.1)
    with pytest.raises(InvalidParameterError, match=r"zonal_stats\(\) got both 'rasters'"):
        parcels.zonal_stats(PARCELS, rasters={"wind": WIND}, layers={"wind": WIND})


def test_the_warning_is_a_deprecation_warning():
    assert issubclass(SteppeGeoDeprecationWarning, DeprecationWarning)
    assert issubclass(SteppeGeoDeprecationWarning, sg.errors.SteppeGeoWarning)


def test_the_decorator_keeps_the_signature_and_points_at_the_caller():
    @renamed_parameter(old="rasters", new="layers", since="0.2.0")
    def count(*, layers):
        """Count."""
        return len(layers)

    import inspect

    assert list(inspect.signature(count).parameters) == ["layers"] and count.__doc__ == "Count."
    with pytest.warns(SteppeGeoDeprecationWarning) as caught:
        assert count(rasters=[1, 2]) == 2
    assert caught[0].filename == __file__  # stacklevel: the warning points at the user's line
