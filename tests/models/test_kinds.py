"""Which inputs are vectors or classes comes from what reads them (glossary case 7), not from name lists."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from steppe_geo import Grid
from steppe_geo.errors import InvalidParameterError, SteppeGeoDeprecationWarning
from steppe_geo.io import LayerKind
from steppe_geo.mcda import Categorical, Categories, Criterion, Linear, Setback, ValueRange
from steppe_geo.models import PRESETS, Derivation, Model, input_kinds, parameters, run_model
from steppe_geo.models import model as model_module
from steppe_geo.models.desertification import desertification_china
from steppe_geo.models.kinds import input_readers

V, C, R = LayerKind.VECTOR, LayerKind.CATEGORICAL, LayerKind.CONTINUOUS

# The lists steppe_geo kept before 0.2.0 (models.parameters.VECTOR_INPUTS / CATEGORICAL_INPUTS), written out:
# every other input was read as a continuous raster.
OLD_VECTOR_INPUTS = {"roads", "railways", "power_lines", "substations", "settlements", "homesteads",
                     "protected_areas", "water", "rivers", "airport", "townships", "parcels", "aoi"}
OLD_CATEGORICAL_INPUTS = {"land_cover", "soil_texture"}

GRID = Grid(crs="EPSG:32649", transform=Affine(60, 0, 400_000, 0, -60, 4_431_000), shape=(4, 4))


def _old_kind(name):
    return V if name in OLD_VECTOR_INPUTS else C if name in OLD_CATEGORICAL_INPUTS else R


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_the_presets_read_their_inputs_as_the_old_lists_said(name):
    model = PRESETS[name]()
    kinds = input_kinds(model)
    assert list(kinds) == list(model.inputs)  # every input of a preset is read by something, in order
    assert kinds == {k: _old_kind(k) for k in model.inputs}
    assert model.input_kinds == kinds


def test_the_old_lists_differed_from_the_declarations_for_china_texture():
    # desertification_china reads soil texture through china_grade's texture table (class codes → grades):
    # the function-level declaration says continuous, the parameter rule says classes, as the old list did
    assert input_readers(desertification_china())["soil_texture"] == [("derivation 'texture_grade'", C)]


def _pipelines_model():
    """A custom model whose input 'pipelines' (not in the old lists) is read by a distance derivation."""
    return Model(
        "pipes", ("pipelines", "slope"),
        derivations=(Derivation("distance_pipelines_m", "distance", ("pipelines",)),),
        criteria=(Criterion("pipelines", Linear(low=0.0, high=200.0), layer="distance_pipelines_m"),
                  Criterion("slope", Linear(low=10.0, high=0.0))),
    )


def test_a_new_vector_input_of_a_custom_model_is_read_as_a_vector_file(tmp_path):
    # regression: the old VECTOR_INPUTS did not list 'pipelines', so run_model read the GeoPackage as a raster
    model = _pipelines_model()
    assert input_kinds(model) == {"pipelines": V, "slope": R}
    pipe = gpd.GeoDataFrame(geometry=[shapely.LineString([(400_030, 4_431_000), (400_030, 4_430_760)])],
                            crs="EPSG:32649")
    pipe.to_file(tmp_path / "pipelines.gpkg")
    slope = GRID.to_dataarray(np.full(GRID.shape, 5.0), name="slope")
    res = run_model(model, {"pipelines": tmp_path / "pipelines.gpkg", "slope": slope}, grid=GRID)
    # pixel centres at x = 400030 + 60 j: distance to the line x = 400030 is 60 j m (j = 0..3), as hand-worked
    dist = res.layers["distance_pipelines_m"].values
    np.testing.assert_allclose(dist, np.tile([0.0, 60.0, 120.0, 180.0], (4, 1)), atol=1e-6)


def test_an_exact_setback_edit_on_a_new_vector_input_is_exact():
    # editing reads the kinds too: a Setback on distance_pipelines_m becomes an exact setback from the vector
    model = _pipelines_model().add_constraint(Setback("near_pipe", "distance_pipelines_m", distance_m=90.0))
    assert model.setbacks()["near_pipe"]["layer"] == "pipelines"
    assert model.setbacks()["near_pipe"]["distance_m"] == 90.0


def test_a_layer_read_as_two_kinds_is_an_error_naming_it_and_both_readers():
    with pytest.raises(InvalidParameterError,
                       match=r"model 'm': input 'roads' is read as a vector layer by derivation 'near_roads' "
                             r"and as a continuous raster by criterion 'roads'"):
        Model("m", ("roads",), derivations=(Derivation("near_roads", "distance", ("roads",)),),
              criteria=(Criterion("roads", Linear(low=0.0, high=1.0)),))
    with pytest.raises(InvalidParameterError,
                       match=r"input 'lc' is read as a class raster \(categorical\) by criterion 'lc' and as "
                             r"a continuous raster by constraint 'lc_range'"):
        Model("m", ("lc",), criteria=(Criterion("lc", Categorical({1: 1.0, 2: 0.0})),),
              constraints=(ValueRange("lc_range", "lc", min=1.0),))


def _class_file(path):
    """A 30 m class raster (codes 1 and 2, no kind tag, no colour table) under GRID's 60 m pixels.

    Each 60 m pixel covers 2 × 2 source pixels: three of code 1 and one of code 2 in the left half,
    the reverse in the right half, so the mode is 1 on the left and 2 on the right (a mean would give
    1.25 and 1.75, codes that do not exist).
    """
    block_left = np.array([[1, 1], [1, 2]], dtype=np.uint8)
    block_right = np.array([[2, 2], [2, 1]], dtype=np.uint8)
    codes = np.block([[np.tile(block_left, (4, 2)), np.tile(block_right, (4, 2))]])
    with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=1, dtype="uint8", nodata=0,
                       crs="EPSG:32649", transform=Affine(30, 0, 400_000, 0, -30, 4_431_000)) as ds:
        ds.write(codes, 1)
    return path


@pytest.mark.parametrize("reader", ["criterion", "constraint"])
def test_a_new_input_read_by_a_categorical_criterion_or_categories_constraint_is_read_as_classes(tmp_path,
                                                                                                reader):
    # 'crops' is in no list: before, run_model read it as continuous (averaged codes, LayerKindWarning)
    wind = GRID.to_dataarray(np.full(GRID.shape, 7.0), name="wind")
    crit = [Criterion("wind", Linear(low=3.0, high=9.0))]
    cons = []
    if reader == "criterion":
        crit.append(Criterion("crops", Categorical({1: 1.0, 2: 0.0})))
    else:
        cons.append(Categories("cropland", "crops", exclude=(2,)))
    model = Model("m", ("wind", "crops"), criteria=tuple(crit), constraints=tuple(cons))
    assert input_kinds(model) == {"wind": R, "crops": C}
    res = run_model(model, {"wind": wind, "crops": _class_file(tmp_path / "crops.tif")}, grid=GRID)
    expected_eligible = np.tile([True, True, False, False], (4, 1))
    if reader == "criterion":  # WLC of wind (7 - 3) / 6 and crops 1 (left) / 0 (right), equal weights
        w = (7.0 - 3.0) / 6.0
        np.testing.assert_allclose(res.score.values, np.tile([(w + 1) / 2] * 2 + [w / 2] * 2, (4, 1)),
                                   rtol=1e-6)
    else:
        np.testing.assert_array_equal(res.eligible.values, expected_eligible)
        assert math.isclose(float(res.score.values[0, 0]), (7.0 - 3.0) / 6.0, rel_tol=1e-6)


def test_a_dataarray_for_a_vector_input_and_a_geodataframe_for_a_raster_are_refused():
    model = _pipelines_model()
    slope = GRID.to_dataarray(np.full(GRID.shape, 5.0), name="slope")
    pipe = gpd.GeoDataFrame(geometry=[shapely.Point(400_030, 4_430_900)], crs="EPSG:32649")
    with pytest.raises(InvalidParameterError,
                       match=r"input 'pipelines': derivation 'distance_pipelines_m' reads it as a vector "
                             r"layer \(a GeoDataFrame or a vector file\), but it is a DataArray"):
        run_model(model, {"pipelines": slope, "slope": slope}, grid=GRID)
    with pytest.raises(InvalidParameterError,
                       match=r"input 'slope': criterion 'slope' reads it as a continuous raster "
                             r"\(a DataArray or a raster file\), but it is a GeoDataFrame"):
        run_model(model, {"pipelines": pipe, "slope": pipe}, grid=GRID)


def test_the_old_lists_warn_and_name_input_kinds():
    for module in (parameters, model_module):
        with pytest.warns(SteppeGeoDeprecationWarning,
                          match=r"VECTOR_INPUTS is deprecated .* use steppe_geo\.models\.input_kinds"):
            assert module.VECTOR_INPUTS == frozenset(OLD_VECTOR_INPUTS)
        with pytest.warns(SteppeGeoDeprecationWarning, match=r"CATEGORICAL_INPUTS is deprecated .*LayerKind"):
            assert module.CATEGORICAL_INPUTS == frozenset(OLD_CATEGORICAL_INPUTS)
