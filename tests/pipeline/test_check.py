"""check_config: what kind of file each input must be, read from the derivations' own declaration."""

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
import tomli_w
from affine import Affine

from steppe_geo import Grid
from steppe_geo.config import config_from_dict, load_config
from steppe_geo.errors import ConfigError, InvalidParameterError
from steppe_geo.io import LayerKind
from steppe_geo.models import wind_onshore
from steppe_geo.models.model import DERIVATION_INPUT_KINDS, DERIVATIONS, Derivation
from steppe_geo.pipeline import check_config, load_inputs
from steppe_geo.pipeline.build import configured_input_kinds

# the inputs the wind_onshore preset reads, from the bundled sample data
WIND_INPUTS = ["aoi", "dem", "wind_speed_100m", "weibull_k", "land_cover", "roads", "railways", "power_lines",
               "substations", "settlements", "homesteads", "protected_areas", "water", "rivers", "airport"]


def _wind_config(tmp_path, **replace):
    inputs = {k: f"sample:{k}" for k in WIND_INPUTS}
    inputs.update(replace)
    data = {"sources": inputs, "grid": {"aoi": "aoi", "resolution_m": 1000},
            "models": {"wind": {"preset": "wind_onshore"}}, "outputs": {"maps": [], "report": False}}
    path = tmp_path / "wind.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return load_config(path, output_dir=tmp_path)


def test_every_derivation_declares_the_kinds_of_its_inputs():
    assert set(DERIVATION_INPUT_KINDS) == set(DERIVATIONS)
    for kinds in DERIVATION_INPUT_KINDS.values():
        assert kinds and all(isinstance(k, LayerKind) for k in kinds)


def test_derivation_input_kinds_follow_the_declaration():
    assert Derivation("d", "distance", ("roads", "railways")).input_kinds == {
        "roads": LayerKind.VECTOR, "railways": LayerKind.VECTOR}
    assert Derivation("s", "sqi", ("soil_texture", "soil_depth", "slope_pct")).input_kinds == {
        "soil_texture": LayerKind.CATEGORICAL, "soil_depth": LayerKind.CONTINUOUS,
        "slope_pct": LayerKind.CONTINUOUS}
    # every input of every preset derivation gets a declared kind
    for d in wind_onshore().derivations:
        assert set(d.input_kinds) == set(d.inputs), d.name


def test_raster_given_for_a_setback_layer_is_refused(tmp_path):
    # regression (issue 14): 'within' (the exact setbacks) was missing from check_config's own list of
    # vector-reading derivations, so a raster for settlements passed the check of a wind-only config
    cfg = _wind_config(tmp_path, settlements="sample:dem")
    match = (r"sources\.settlements: .* reads 'settlements' as a vector layer "
             r"\(derivation 'setback_settlements'\), but 'dem\.tif' is a raster")
    with pytest.raises(ConfigError, match=match):
        check_config(cfg)


def test_vector_given_for_a_raster_input_is_refused(tmp_path):
    cfg = _wind_config(tmp_path, dem="sample:roads")
    with pytest.raises(ConfigError, match=r"sources\.dem: .* reads 'dem' as a raster layer"):
        check_config(cfg)


def _two_model_config(tmp_path, second_function):

    with rasterio.open(tmp_path / "lc.tif", "w", driver="GTiff", width=8, height=8, count=1, dtype="uint8",
                       crs="EPSG:32649", transform=Affine(30, 0, 400_000, 0, -30, 4_431_000)) as ds:
        ds.write(np.ones((8, 8), np.uint8), 1)
        ds.update_tags(STEPPE_GEO_KIND="categorical")
    gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_430_760, 400_240, 4_431_000)],
                     crs="EPSG:32649").to_file(tmp_path / "aoi.gpkg")
    second = {"name": "lc", "function": "categorical", "table": {"1": 0.5}}
    if second_function == "linear":
        second = {"name": "lc", "function": "linear", "low": 0.0, "high": 2.0}
    data = {"sources": {"aoi": "aoi.gpkg", "lc": "lc.tif"}, "grid": {"aoi": "aoi", "resolution_m": 60},
            "models": {"a": {"criteria": [{"name": "lc", "function": "categorical", "table": {"1": 1.0}}]},
                       "b": {"criteria": [second]}},
            "outputs": {"maps": [], "report": False}}
    return config_from_dict(data, base_dir=tmp_path)


def test_two_models_reading_one_input_as_two_kinds_are_refused(tmp_path):
    same = _two_model_config(tmp_path, "categorical")
    assert configured_input_kinds(same) == {"lc": LayerKind.CATEGORICAL}
    match = (r"^sources\.lc: models\.a \(criterion 'lc'\) reads 'lc' as a categorical layer and models\.b "
             r"\(criterion 'lc'\) as a continuous layer; an input is loaded once, as one kind")
    with pytest.raises(ConfigError, match=match):
        check_config(_two_model_config(tmp_path, "linear"), data=False)


def test_load_inputs_reads_each_input_as_the_models_read_it(tmp_path):
    # a class raster without a kind tag or colour table: read as classes because a model reads classes
    left, right = np.tile([[1, 1], [1, 2]], (4, 2)), np.tile([[2, 2], [2, 1]], (4, 2))
    codes = np.block([[left, right]]).astype(np.uint8)
    with rasterio.open(tmp_path / "lc.tif", "w", driver="GTiff", width=8, height=8, count=1, dtype="uint8",
                       nodata=0, crs="EPSG:32649", transform=Affine(30, 0, 400_000, 0, -30, 4_431_000)) as ds:
        ds.write(codes, 1)
    point = gpd.GeoDataFrame(geometry=[shapely.Point(400_010, 4_430_990)], crs="EPSG:32649")
    point.to_file(tmp_path / "r.gpkg")
    grid = Grid(crs="EPSG:32649", transform=Affine(60, 0, 400_000, 0, -60, 4_431_000), shape=(4, 4))
    got = load_inputs({"lc": tmp_path / "lc.tif", "r": tmp_path / "r.gpkg"}, grid,
                      kinds={"lc": LayerKind.CATEGORICAL, "r": LayerKind.VECTOR})
    # mode of each 2 x 2 block (three 1s and a 2 on the left, the reverse on the right), never a mean
    np.testing.assert_array_equal(got.layers["lc"].values, np.tile([1, 1, 2, 2], (4, 1)))
    assert list(got.vectors) == ["r"]
    with pytest.raises(InvalidParameterError, match=r"^sources\.lc: the models read 'lc' as a vector "
                                                    r"layer \(input kind 'vector'\), but 'lc\.tif'"):
        load_inputs({"lc": tmp_path / "lc.tif"}, grid, kinds={"lc": "vector"})
    with pytest.raises(InvalidParameterError, match=r"^sources\.r: the models read 'r' as a raster "
                                                    r"layer \(input kind 'continuous'\), but 'r\.gpkg'"):
        load_inputs({"r": tmp_path / "r.gpkg"}, grid, kinds={"r": LayerKind.CONTINUOUS})
