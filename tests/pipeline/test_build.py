"""build_model: the configuration's edits of a preset, as the docs describe them."""

import pytest
import tomli_w

from steppe_geo.config import config_from_dict, load_config
from steppe_geo.config.model_tables import _SETBACK_EDIT_KEYS
from steppe_geo.errors import ConfigError
from steppe_geo.models.editing import _WITHIN_EDITS
from steppe_geo.pipeline.build import build_model

# the inputs the wind_onshore preset reads, from the bundled sample data
WIND_INPUTS = ["aoi", "dem", "wind_speed_100m", "weibull_k", "land_cover", "roads", "railways", "power_lines",
               "substations", "settlements", "homesteads", "protected_areas", "water", "rivers", "airport"]


def _config(tmp_path, constraints, preset="wind_onshore"):
    own = [{"name": "dem", "function": "linear", "low": 0.0, "high": 2000.0}]
    model = {"preset": preset, "constraints": constraints} if preset else {
        "criteria": own, "constraints": constraints}
    data = {"sources": {k: f"sample:{k}" for k in WIND_INPUTS}, "grid": {"aoi": "aoi", "resolution_m": 1000},
            "models": {"wind": model}}
    path = tmp_path / "c.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return load_config(path, output_dir=tmp_path)


def test_documented_setback_edit_without_a_layer_sets_the_distance(tmp_path):
    # docs/models.md: 'in a configuration file a constraint {type = "setback", name = "settlements",
    # distance_m = 1000} without a layer does the same' as replace_constraint("settlements", distance_m=1000).
    # Regression (issue 14): it was refused with a leaked "Setback.__init__() missing ... 'layer'".
    cfg = _config(tmp_path, [{"type": "setback", "name": "settlements", "distance_m": 1000}])
    built = build_model(cfg.models["wind"], inputs=list(cfg.sources))
    base = build_model(_config(tmp_path, []).models["wind"], inputs=list(cfg.sources))
    assert built.setbacks()["settlements"]["distance_m"] == 1000.0
    assert built.setbacks()["settlements"]["layer"] == "settlements"
    assert built.constraint_names == base.constraint_names  # edited in place: same bit
    assert built == base.replace_constraint("settlements", distance_m=1000, source="set in configuration")


def test_setback_edit_of_an_unknown_setback_names_the_key_and_the_setbacks(tmp_path):
    cfg = _config(tmp_path, [{"type": "setback", "name": "settlement", "distance_m": 1000}])
    match = (r"models\.wind\.constraints\[0\]\.layer: missing, and 'settlement' is not a setback of preset "
             r"'wind_onshore'; did you mean 'settlements'\? Its setbacks are: settlements, homesteads")
    with pytest.raises(ConfigError, match=match):
        build_model(cfg.models["wind"], inputs=list(cfg.sources))


def test_setback_edit_without_a_layer_in_a_custom_model_is_refused_by_key(tmp_path):
    match = r"models\.wind\.constraints\[0\]\.layer: missing\. A setback without a layer edits the setback"
    with pytest.raises(ConfigError, match=match):
        _config(tmp_path, [{"type": "setback", "name": "settlements", "distance_m": 1000}], preset=None)


@pytest.mark.parametrize(("item", "match"), [
    ({"type": "setback", "name": "settlements", "distanse_m": 1000},
     r"constraints\[0\]\.distanse_m: not a setback setting; did you mean 'distance_m'\?"),
    ({"type": "setback", "name": "settlements"},
     r"constraints\[0\]: setback 'settlements' without a layer changes nothing"),
    ({"type": "setback", "name": "settlements", "distance_m": -5},
     r"constraints\[0\]\.distance_m: expected a number > 0, got -5"),
])
def test_setback_edit_without_a_layer_is_checked_at_parse_time(tmp_path, item, match):
    for name in ("aoi.gpkg", "dem.tif"):
        (tmp_path / name).write_bytes(b"")
    data = {"sources": {"aoi": "aoi.gpkg", "dem": "dem.tif"}, "grid": {"aoi": "aoi", "resolution_m": 1000},
            "models": {"wind": {"preset": "wind_onshore", "constraints": [item]}}}
    with pytest.raises(ConfigError, match=match):
        config_from_dict(data, base_dir=tmp_path)


def test_setback_edit_keys_are_the_models_own():
    assert _SETBACK_EDIT_KEYS == _WITHIN_EDITS


def _ahp_config(tmp_path, ahp_table):
    for name in ("aoi.gpkg", "dem.tif"):
        (tmp_path / name).write_bytes(b"")
    criteria = [{"name": n, "layer": "dem", "function": "linear", "low": 0.0, "high": h}
                for n, h in (("a", 1000.0), ("b", 2000.0), ("c", 3000.0))]
    data = {"sources": {"aoi": "aoi.gpkg", "dem": "dem.tif"}, "grid": {"aoi": "aoi", "resolution_m": 1000},
            "models": {"m": {"criteria": criteria, "ahp": ahp_table}}}
    return config_from_dict(data, base_dir=tmp_path)


def test_ahp_random_index_from_the_config(tmp_path):
    import warnings

    from steppe_geo.mcda import RandomIndex
    from steppe_geo.pipeline.build import ahp_result

    judgements = {"a/b": 2, "b/c": 4, "a/c": 3}  # CI = 0.053924 (see tests/mcda/test_random_index.py)
    cfg = _ahp_config(tmp_path, {**judgements, "random_index": "alonso_lamata2006"})
    assert cfg.models["m"].ahp_random_index == "alonso_lamata2006"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ahp_result(cfg.models["m"])
    assert res.random_index is RandomIndex.ALONSO_LAMATA2006
    assert res.cr == pytest.approx(0.053924 / 0.5245, abs=1e-5)
    assert _ahp_config(tmp_path, judgements).models["m"].ahp_random_index == "saaty1980"
    match = (r"models\.m\.ahp\.random_index: unknown 'saaty'; did you mean 'saaty1980'\? Valid values are: "
             r"'saaty1980', 'alonso_lamata2006'")
    with pytest.raises(ConfigError, match=match):
        _ahp_config(tmp_path, {**judgements, "random_index": "saaty"})
