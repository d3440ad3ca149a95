"""check_config: what kind of file each input must be, read from the derivations' own declaration."""

import pytest
import tomli_w

from steppe_geo.config import load_config
from steppe_geo.errors import ConfigError
from steppe_geo.io import LayerKind
from steppe_geo.models import wind_onshore
from steppe_geo.models.model import DERIVATION_INPUT_KINDS, DERIVATIONS, Derivation
from steppe_geo.pipeline import check_config

# the inputs the wind_onshore preset reads, from the bundled sample data
WIND_INPUTS = ["aoi", "dem", "wind_speed_100m", "weibull_k", "land_cover", "roads", "railways", "power_lines",
               "substations", "settlements", "homesteads", "protected_areas", "water", "rivers", "airport"]


def _wind_config(tmp_path, **replace):
    inputs = {k: f"sample:{k}" for k in WIND_INPUTS}
    inputs.update(replace)
    data = {"inputs": inputs, "grid": {"aoi": "aoi", "resolution_m": 1000},
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
    match = (r"inputs\.settlements: .* reads 'settlements' as a vector layer "
             r"\(derivation 'setback_settlements'\), but 'dem\.tif' is a raster")
    with pytest.raises(ConfigError, match=match):
        check_config(cfg)


def test_vector_given_for_a_raster_input_is_refused(tmp_path):
    cfg = _wind_config(tmp_path, dem="sample:roads")
    with pytest.raises(ConfigError, match=r"inputs\.dem: .* reads 'dem' as a raster layer"):
        check_config(cfg)
