"""Sand drift in the models: the derivations, the pv_sand_control option, the edit for other models."""

from __future__ import annotations

import math

import numpy as np
import pytest

import steppe_geo as sg
from steppe_geo.errors import InvalidParameterError
from steppe_geo.io import LayerKind
from steppe_geo.models import (
    DERIVATION_INPUT_KINDS,
    DERIVATIONS,
    derive_layers,
    desertification_esai,
    pv_sand_control,
    restoration_priority,
)
from steppe_geo.models.sand_drift import with_sand_drift

KN = 1852.0 / 3600.0


@pytest.fixture
def series(small_grid):
    """Band stacks of 4 records on the small grid: 20 kn from the north, then 3 calm records."""
    speed = np.zeros((4, *small_grid.shape))
    speed[0] = 20 * KN
    speed[0, :, :10] = 20 * KN * 1.5  # 30 kn in the western columns
    direction = np.zeros((4, *small_grid.shape))
    direction[:, 0, 0] = np.nan  # a pixel without direction stays without drift

    def stack(values, name):
        da = small_grid.to_dataarray(values[0], name=name)
        return sg.Grid.from_dataarray(da).to_dataarray(values[0], name=name).expand_dims(band=4).copy(
            data=values)

    return {"wind_speed_series": stack(speed, "wind_speed_series"),
            "wind_direction_series": stack(direction, "wind_direction_series")}


def test_registry_declares_the_drift_derivations():
    assert DERIVATION_INPUT_KINDS["drift_potential"] == (LayerKind.CONTINUOUS, LayerKind.CONTINUOUS)
    assert DERIVATION_INPUT_KINDS["dune_mobility"] == (LayerKind.CONTINUOUS,) * 3
    assert {"drift_potential", "dune_mobility"} <= set(DERIVATIONS)


def test_pv_sand_control_series_derives_the_drift_layer(series, small_grid):
    model = pv_sand_control(sand_drift="series")
    assert model.inputs[-2:] == ("wind_speed_series", "wind_direction_series")
    assert model.derivation("sand_drift_potential").input_kinds == {
        "wind_speed_series": LayerKind.CONTINUOUS, "wind_direction_series": LayerKind.CONTINUOUS}
    assert math.isclose(sum(c.weight for c in model.criteria), 1.0)
    out = derive_layers(model, series, grid=small_grid, only=["sand_drift_potential"])["sand_drift_potential"]
    # hand calculation: one record in four (t = 25 %) at 20 kn from the north, 10 m, equal band weights:
    # 20² × (20 − 12) / 100 × 25 = 800 VU; from the north it crosses east-west rows fully: 800 VU.
    # 30 kn: 30² × 18 / 100 × 25 = 4050 VU.
    assert out.values[5, 20] == pytest.approx(800.0)
    assert out.values[5, 5] == pytest.approx(4050.0)
    assert np.isnan(out.values[0, 0])
    assert sg.Grid.from_dataarray(out).same_as(small_grid)
    # the criterion: 0 VU → 0, 400 VU → 1
    crit = model.criteria[model.criterion_names.index("sand_drift")]
    assert crit.layer == "sand_drift_potential" and crit.weight == 0.15
    np.testing.assert_allclose(crit.function(np.array([0.0, 200.0, 400.0, 800.0])), [0.0, 0.5, 1.0, 1.0])


def test_drift_across_rows_follows_the_wind_angle(series, small_grid):
    series["wind_direction_series"].values[:] = 90.0  # from the east: parallel to east-west rows
    model = pv_sand_control(sand_drift="series")
    out = derive_layers(model, series, grid=small_grid, only=["sand_drift_potential"])["sand_drift_potential"]
    assert out.values[5, 20] == pytest.approx(0.0, abs=1e-9)


def test_pv_sand_control_default_is_unchanged_and_raster_option():
    plain = pv_sand_control()
    assert "sand_drift" not in plain.criterion_names
    assert [c.weight for c in plain.criteria] == [0.25, 0.25, 0.15, 0.25, 0.10]
    raster = pv_sand_control(sand_drift="raster")
    assert "sand_drift_potential" in raster.inputs and not any(
        d.name == "sand_drift_potential" for d in raster.derivations)
    assert raster.with_parameters(sand_drift="none") == plain
    assert sg.models.Model.from_toml(raster.to_toml()) == raster
    with pytest.raises(InvalidParameterError, match="sand_drift: unknown value 'yes'"):
        pv_sand_control(sand_drift="yes")
    with pytest.raises(InvalidParameterError, match="drift_reference_height_m"):
        pv_sand_control(sand_drift="series", drift_reference_height_m=-2)


def test_dune_mobility_derivation(series, small_grid):
    model = with_sand_drift(restoration_priority(), weight=0.2, floor=0.2)
    assert model.criterion_names[-1] == "sand_drift"
    crit = model.criteria[-1]
    np.testing.assert_allclose(crit.function(np.array([0.0, 400.0])), [0.2, 1.0])
    layers = dict(series)
    ref = series["wind_speed_series"].isel(band=0)
    layers["precipitation"] = ref.copy(data=np.full(ref.shape, 250.0))
    layers["pet"] = ref.copy(data=np.full(ref.shape, 1000.0))
    out = DERIVATIONS["dune_mobility"](layers, ("wind_speed_series", "precipitation", "pet"), small_grid)
    # W = 1 record in 4 above 4.5 m/s = 25 %; M = 25 / (250 / 1000) = 100 (crests and lee slopes active)
    assert out.values[5, 20] == pytest.approx(100.0)
    with pytest.raises(InvalidParameterError, match="has a sand_drift criterion already"):
        with_sand_drift(model)
    # the desertification model: drift energy beside the ESAI, derived from the series
    esai = with_sand_drift(desertification_esai(), weight=0.25, source="series")
    assert esai.criterion_names == ["esai", "sand_drift"]
    assert esai.derivation("sand_drift_potential").parameters["quantity"] == "dp"
    assert {"wind_speed_series", "wind_direction_series"} <= set(esai.inputs)
