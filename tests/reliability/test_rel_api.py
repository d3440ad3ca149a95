"""Reliability catalogue: misuse of the notebook API (``import steppe_geo as sg``).

Wrong types, mismatched grids, missing layers, unknown options: each must end in a
:class:`~steppe_geo.errors.SteppeGeoError` naming the parameter, what was given and what is
expected — never an ``AttributeError`` or a numpy message from deep inside.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import steppe_geo as sg
from steppe_geo import mcda
from steppe_geo.errors import (
    GeographicCRSError,
    GridMismatchError,
    InputNotFoundError,
    InvalidParameterError,
    MissingLayerError,
)
from steppe_geo.parcels import rank_parcels, top_k, zonal_stats

clear_error = pytest.mark.case("clear_error")
correct_result = pytest.mark.case("correct_result")

CRS = "EPSG:32649"


@pytest.fixture
def grid() -> sg.Grid:
    return sg.Grid.from_bounds((400_000, 4_430_000, 400_300, 4_430_200), crs=CRS, resolution_m=10)


@pytest.fixture
def layers(grid):
    ramp = np.tile(np.linspace(0, 2, grid.cols, dtype=np.float32), (grid.rows, 1))
    return {"a": grid.to_dataarray(ramp, name="a"), "b": grid.to_dataarray(2 - ramp, name="b")}


@pytest.fixture
def overlay():
    return mcda.Overlay((mcda.Criterion("a", mcda.Linear(0, 2), 3),
                         mcda.Criterion("b", mcda.Linear(0, 2), 1)))


@pytest.fixture
def parcels():
    return gpd.GeoDataFrame({"pid": ["p1", "p2"]}, crs=CRS,
                            geometry=[shapely.box(400_000, 4_430_000, 400_100, 4_430_100),
                                      shapely.box(400_100, 4_430_000, 400_300, 4_430_200)])


# ----------------------------------------------------------------------------- evaluate
@clear_error
def test_evaluate_with_a_numpy_array_instead_of_a_dataarray(overlay, layers):
    # was AttributeError: 'numpy.ndarray' object has no attribute 'rio'
    with pytest.raises(InvalidParameterError,
            match=r"layers\['b'\] must be an xarray\.DataArray with a CRS and "
            r"a transform .*grid\.to_dataarray\(array\).*got ndarray"):
        mcda.evaluate(overlay, {"a": layers["a"], "b": layers["b"].values})


@clear_error
def test_evaluate_with_a_list_of_layers(overlay, layers):
    # was numpy's "The truth value of an array with more than one element is ambiguous"
    with pytest.raises(InvalidParameterError,
            match=r"layers must be a mapping layer key -> DataArray, got list"):
        mcda.evaluate(overlay, [layers["a"], layers["b"]])


@clear_error
def test_evaluate_with_a_dict_instead_of_an_overlay(layers):
    # was AttributeError: 'dict' object has no attribute 'required_layers'
    with pytest.raises(InvalidParameterError, match=r"overlay must be a steppe_geo\.mcda\.Overlay, got dict"):
        mcda.evaluate({"a": 1.0}, layers)


@clear_error
def test_evaluate_layers_on_different_grids(overlay, layers, grid):
    coarse = sg.Grid.from_bounds(grid.bounds, crs=CRS, resolution_m=20)
    b = coarse.to_dataarray(np.ones(coarse.shape, dtype=np.float32))
    with pytest.raises(GridMismatchError) as info:
        mcda.evaluate(overlay, {"a": layers["a"], "b": b})
    msg = str(info.value)
    assert "layers 'a' and 'b' are on different grids" in msg and "resolution 10 x 10" in msg
    assert "resolution 20 x 20" in msg and "steppe_geo.align(da, grid)" in msg


@clear_error
def test_evaluate_with_a_missing_layer(overlay, layers):
    with pytest.raises(MissingLayerError, match=r"overlay needs layers \['b'\] \(used by \{'b': \['b'\]\}\), "
                                                r"which were not given; layers given: \['a'\]"):
        mcda.evaluate(overlay, {"a": layers["a"]})


@clear_error
def test_criterion_with_a_function_name_instead_of_a_function():
    with pytest.raises(InvalidParameterError, match=r"criterion 'a': function must be a ValueFunction "
                                                    r"\(e\.g\. value_function\('linear'.*got str"):
        mcda.Criterion("a", "linear")


@clear_error
def test_criterion_with_a_negative_weight():
    with pytest.raises(InvalidParameterError, match=r"criterion 'a': weight must be >= 0, got -1"):
        mcda.Criterion("a", mcda.Linear(0, 1), -1)


@clear_error
def test_overlay_with_an_unknown_rule():
    with pytest.raises(InvalidParameterError, match=r"rule: unknown value 'wlcc'; did you mean 'wlc'\? Valid "
                                                    r"values are: 'wlc', 'weighted-product'"):
        mcda.Overlay((mcda.Criterion("a", mcda.Linear(0, 2)),), rule="wlcc")


@clear_error
def test_overlay_with_duplicate_criteria():
    with pytest.raises(InvalidParameterError, match=r"overlay: duplicate criterion names \['a'\]"):
        mcda.Overlay((mcda.Criterion("a", mcda.Linear(0, 2)), mcda.Criterion("a", mcda.Linear(0, 1))))


@correct_result
def test_value_function_on_a_plain_list():
    # a list is read as numbers (as numpy would): linear 0 → 2 gives 0, 0.5, 1 by hand
    np.testing.assert_array_equal(mcda.Linear(0, 2)([0, 1, 2]), np.array([0.0, 0.5, 1.0], dtype=np.float32))


# ----------------------------------------------------------------------------- criteria, grid, io
@clear_error
def test_slope_of_a_numpy_array():
    with pytest.raises(InvalidParameterError, match=r"dem must be an xarray\.DataArray, got ndarray"):
        sg.criteria.slope(np.ones((3, 3)))


@clear_error
def test_grid_with_bounds_in_the_wrong_order():
    with pytest.raises(InvalidParameterError,
            match=r"bounds must be \(west, south, east, north\) with east > "
            r"west and north > south, got \(1, 1, 0, 0\)"):
        sg.Grid.from_bounds((1, 1, 0, 0), crs=CRS, resolution_m=1)


@clear_error
def test_grid_with_zero_resolution():
    with pytest.raises(InvalidParameterError, match=r"resolution_m must be a finite number > 0, got 0"):
        sg.Grid.from_bounds((0, 0, 100, 100), crs=CRS, resolution_m=0)


@clear_error
def test_read_raster_of_a_missing_file(tmp_path):
    with pytest.raises(InputNotFoundError, match=r"raster file not found: .*nope\.tif"):
        sg.read_raster(tmp_path / "nope.tif")


@clear_error
def test_read_vector_of_a_number():
    with pytest.raises(InvalidParameterError, match=r"source must be a path or a GeoDataFrame, got int"):
        sg.read_vector(5)


# ----------------------------------------------------------------------------- parcels
@clear_error
def test_zonal_stats_with_a_list_of_rasters(parcels, layers):
    # was "dictionary update sequence element #0 has length 20; 2 is required"
    with pytest.raises(InvalidParameterError,
            match=r"layers must be a mapping name -> DataArray \(or path\), "
            r"got list"):
        zonal_stats(parcels, [layers["a"]])


@clear_error
def test_zonal_stats_with_a_dataframe_instead_of_a_geodataframe(parcels, layers):
    # was AttributeError: 'DataFrame' object has no attribute 'crs'
    with pytest.raises(InvalidParameterError, match=r"parcels must be a geopandas\.GeoDataFrame of polygons "
                                                    r"with a CRS, got DataFrame"):
        zonal_stats(pd.DataFrame(parcels.drop(columns="geometry")), {"a": layers["a"]})


@clear_error
def test_zonal_stats_with_a_numpy_array(parcels, grid):
    with pytest.raises(InvalidParameterError,
            match=r"source must be a path, a rasterio dataset, a DataArray or "
            r"\(array, transform, crs\), got ndarray"):
        zonal_stats(parcels, {"a": np.ones(grid.shape)})


@clear_error
def test_zonal_stats_in_a_geographic_crs(parcels, layers):
    a = layers["a"].rio.reproject("EPSG:4326")
    with pytest.raises(GeographicCRSError, match=r"zonal statistics \(areas in m²\) needs a projected CRS in "
                                                 r"metres, got a geographic CRS \(EPSG:4326\)"):
        zonal_stats(parcels.to_crs(4326), {"a": a})


@correct_result
def test_zonal_stats_of_parcels_in_another_crs(parcels, layers):
    # parcels given in WGS 84 are reprojected onto the grid: same means as in the grid's CRS (to the
    # reprojection's sub-millimetre vertex error), and p1 = the 10 x 10 western pixels: mean of the ramp's
    # first 10 columns, 2/29 x (0 + … + 9) / 10 = 9/29 by hand
    there = zonal_stats(parcels.to_crs(4326), {"a": layers["a"]})
    here = zonal_stats(parcels, {"a": layers["a"]})
    np.testing.assert_allclose(there["a_mean"], here["a_mean"], rtol=1e-6)
    assert here["a_mean"].iloc[0] == pytest.approx(9 / 29, rel=1e-6)


@clear_error
def test_rank_parcels_with_weights_for_a_missing_criterion():
    with pytest.raises(MissingLayerError, match=r"criterion 'b': no column 'b' in the zonal table; columns "
                                                 r"are \['a_mean'\]"):
        rank_parcels(pd.DataFrame({"a_mean": [0.1, 0.2]}), weights={"b": 1})


@clear_error
def test_rank_parcels_with_an_unknown_tie_method():
    with pytest.raises(InvalidParameterError, match=r"tie_method must be 'min' or 'first', got 'max'"):
        rank_parcels(pd.DataFrame({"a_mean": [0.1, 0.2]}), weights={"a": 1}, tie_method="max")


@clear_error
def test_top_k_of_zero():
    with pytest.raises(InvalidParameterError,
            match=r"k must be an integer in \[1, 2\] \(number of parcels\), "
            r"got 0"):
        top_k(pd.DataFrame({"score": [0.1, 0.2]}), 0)
