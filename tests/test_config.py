import tomllib
from pathlib import Path

import pytest

from steppe_geo.config import EXAMPLE_CONFIG, MODEL_PRESETS, config_from_dict, load_config, parse_config
from steppe_geo.errors import ConfigError, InputNotFoundError
from steppe_geo.mcda import Criterion, Overlay


@pytest.fixture
def files(tmp_path):
    # validation only checks that inputs exist; contents are not read
    for name in ("aoi.gpkg", "wind.tif", "slope.tif", "parcels.gpkg"):
        (tmp_path / name).write_bytes(b"")
    return tmp_path


def _base(**extra):
    data = {
        "inputs": {"aoi": "aoi.gpkg", "wind": "wind.tif", "slope": "slope.tif", "parcels": "parcels.gpkg"},
        "grid": {"aoi": "aoi", "resolution_m": 250},
        "models": {"wind": {"criteria": [
            {"name": "wind", "function": "linear", "low": 4.0, "high": 9.0, "weight": 2},
            {"name": "slope", "function": "linear", "low": 15.0, "high": 0.0, "weight": 1},
            {"name": "flat", "layer": "slope", "function": "gaussian", "midpoint": 0.0, "spread": 0.01},
        ]}},
    }
    data.update(extra)
    return data


def test_valid_config_resolves_paths_and_builds_mcda_objects(files):
    cfg = config_from_dict(_base(parcels={"source": "parcels", "top_k": 5}), base_dir=files)
    assert cfg.inputs["wind"] == files / "wind.tif"
    assert cfg.grid.resolution_m == 250.0 and cfg.grid.projection == "equal-area"
    crit = cfg.models["wind"].criteria
    assert [c.name for c in crit] == ["wind", "slope", "flat"] and crit[2].layer == "slope"
    overlay = Overlay(criteria=tuple(c.to_mcda() for c in crit))
    assert isinstance(overlay.criteria[0], Criterion)
    # weights 2, 1, 1 normalised by hand: 0.5, 0.25, 0.25
    assert list(overlay.normalized_weights) == pytest.approx([0.5, 0.25, 0.25])
    assert cfg.parcels.top_k == 5 and cfg.outputs.directory == files / "steppe-geo-output"
    assert cfg.outputs.vectors == ("gpkg", "shapefile") and cfg.run.mode == "memory"


def test_the_issue_example_error(files):
    data = _base()
    data["models"]["wind"]["criteria"][2]["function"] = "gausian"
    with pytest.raises(ConfigError, match=r"^models\.wind\.criteria\[2\]\.function: unknown 'gausian'; "
                                          r"did you mean 'gaussian'\? Valid names are: .*linear"):
        config_from_dict(data, base_dir=files)


@pytest.mark.parametrize(("patch", "message"), [
    ({"modles": {}}, r"^modles: unknown key; did you mean 'models'\? Valid keys are: project, inputs"),
    ({"grid": {"aoi": "aoi", "resolution": 100}}, r"^grid\.resolution: unknown key; did"
        r" you mean 'resolution_m'"),
    ({"grid": {"aoi": "aoi", "resolution_m": 0}}, r"^grid\.resolution_m: must be > 0, got 0"),
    ({"grid": {"aoi": "aoi", "resolution_m": "100"}}, r"^grid\.resolution_m: expected a"
        r" number, got '100' \(str\)"),
    ({"grid": {"aoi": "aoi", "projection": "equal_aera"}},
     r"^grid\.projection: unknown 'equal_aera'; did you mean"
         r" 'equal-area'\? Valid values are: 'equal-area', 'utm'"),
    ({"grid": {"aoi": "boundary"}}, r"^grid\.aoi: 'boundary' is not an input"),
    ({"outputs": {"maps": ["png", "jpeg"]}}, r"^outputs\.maps\[1\]: unknown 'jpeg'.*Valid"
        r" values are: 'png', 'pdf'"),
    ({"outputs": {"vectors": ["shapfile"]}}, r"^outputs\.vectors\[0\]: unknown 'shapfile';"
        r" did you mean 'shapefile'"),
    ({"outputs": {"report": "yes"}}, r"^outputs\.report: expected true or false, got 'yes' \(str\)"),
    ({"run": {"mode": "cluster"}}, r"^run\.mode: unknown 'cluster'.*'memory', 'streamed', 'dask'"),
    ({"run": {"workers": 0}}, r"^run\.workers: must be >= 1, got 0"),
    ({"parcels": {"source": "parcel"}}, r"^parcels\.source: 'parcel' is not an"
        r" input; did you mean 'parcels'"),
    ({"parcels": {"top_k": 0}}, r"^parcels\.top_k: must be >= 1, got 0"),
    ({"parcels": {"rank_by": "wnd"}}, r"^parcels\.rank_by: 'wnd' is not a model; did you mean 'wind'"),
    ({"parcels": {"rank_by": ["wind", "sol"]}}, r"^parcels\.rank_by\[1\]: 'sol' is not a model"),
    ({"parcels": {}, "run": {"mode": "dask"}},
     r"^parcels\.rank_by: custom model 'wind' can rank parcels only"),
    ({"parcels": {"select_by": "solar"}}, r"^parcels\.select_by: 'solar' is not one of parcels\.rank_by"),
])
def test_schema_errors_name_the_key_path(files, patch, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(_base(**patch), base_dir=files)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda m: m.update(preset="wind_onshor"),
     r"^models\.wind\.preset: unknown 'wind_onshor'; did you mean 'wind_onshore'"),
    (lambda m: m.update(rule="wlcc"), r"^models\.wind\.rule: unknown 'wlcc'; did you mean 'wlc'"),
    (lambda m: m["criteria"][0].update(weight=-1), r"^models\.wind\.criteria\[0\]\.weight:"
        r" expected a number >= 0"),
    (lambda m: m["criteria"][1].pop("function"), r"^models\.wind\.criteria\[1\]\.function:"
        r" missing \(required\)"),
    (lambda m: m["criteria"][1].update(hihg=3.0), r"^models\.wind\.criteria\[1\]: linear: unknown parameter"),
    (lambda m: m["criteria"].append({"name": "wind", "function": "large", "midpoint": 5, "spread": 2}),
     r"^models\.wind\.criteria: duplicate criterion names \['wind'\]"),
    (lambda m: m.update(weights={"wnd": 1}), r"^models\.wind\.weights\.wnd: no"
        r" criterion of that name; did you"),
    (lambda m: m.update(constraints=[{"type": "setbak", "name": "roads", "layer": "slope", "distance_m": 5}]),
     r"^models\.wind\.constraints\[0\]\.type: unknown 'setbak'; did you mean 'setback'"),
    (lambda m: m.update(constraints=[{"type": "value_range", "name": "steep", "layer": "slope"}]),
     r"^models\.wind\.constraints\[0\]: constraint 'steep': give min and/or max"),
    (lambda m: m.clear(), r"^models\.wind: give a preset \(one of wind_onshore"),
])
def test_model_errors_name_the_key_path(files, edit, message):
    data = _base()
    edit(data["models"]["wind"])
    with pytest.raises(ConfigError, match=message):
        config_from_dict(data, base_dir=files)


def test_missing_input_file_is_named(files):
    data = _base()
    data["inputs"]["dem"] = "data/dem.tif"
    with pytest.raises(InputNotFoundError, match=r"^inputs\.dem: input file not found: '.*data/dem\.tif'"):
        config_from_dict(data, base_dir=files)


def test_toml_syntax_error_and_missing_file(files):
    with pytest.raises(ConfigError, match=r"cfg\.toml: not valid TOML: .*line 1"):
        parse_config("[grid\nresolution_m = 1", source="cfg.toml")
    with pytest.raises(InputNotFoundError, match=r"configuration file not found: '.*nope.toml'"):
        load_config(files / "nope.toml")


def test_load_config_resolves_relative_to_the_file(files):
    sub = files / "project"
    sub.mkdir()
    text = (
        '[inputs]\naoi = "../aoi.gpkg"\nwind = "../wind.tif"\n'
        '[[models.w.criteria]]\nname = "wind"\nfunction = {function = "linear", low = 3.0, high = 8.0}\n'
        '[outputs]\ndirectory = "out"\n'
    )
    (sub / "c.toml").write_text(text, encoding="utf-8")
    cfg = load_config(sub / "c.toml")
    assert cfg.inputs["wind"].resolve() == (files / "wind.tif").resolve()
    assert cfg.outputs.directory == sub / "out"
    assert cfg.models["w"].criteria[0].function == {"function": "linear", "low": 3.0, "high": 8.0}
    assert cfg.source == sub / "c.toml"


def test_every_preset_is_expressible():
    for preset in MODEL_PRESETS:
        data = tomllib.loads(f'[models.m]\npreset = "{preset}"\n')
        assert data["models"]["m"]["preset"] == preset
    # the example written by `steppe-geo init` is valid TOML and uses only known sections and presets
    example = tomllib.loads(EXAMPLE_CONFIG)
    assert {m["preset"] for m in example["models"].values()} <= set(MODEL_PRESETS)
    assert set(example) <= {"project", "inputs", "grid", "models", "parcels", "outputs", "run"}


def test_sample_prefix_unknown_layer(files):
    data = _base()
    data["inputs"]["dem"] = "sample:dme"
    with pytest.raises(ConfigError, match=r"^inputs\.dem: the sample dataset has no"
        r" layer 'dme'; did you mean 'dem'"):
        config_from_dict(data, base_dir=files)


def test_paths_are_paths(files):
    cfg = config_from_dict(_base(), base_dir=files)
    assert all(isinstance(p, Path) for p in cfg.inputs.values())


EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_configs_validate(path):
    cfg = load_config(path)
    assert cfg.models and all(p.exists() for p in cfg.inputs.values())
