import re
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest

from steppe_geo.config import EXAMPLE_CONFIG, MODEL_PRESETS, config_from_dict, load_config, parse_config
from steppe_geo.datasets import sample_paths
from steppe_geo.errors import ConfigError, InputNotFoundError, InvalidGeometryWarning
from steppe_geo.mcda import Criterion, Overlay


@pytest.fixture
def files(tmp_path):
    # validation only checks that inputs exist; contents are not read
    for name in ("aoi.gpkg", "wind.tif", "slope.tif", "parcels.gpkg"):
        (tmp_path / name).write_bytes(b"")
    return tmp_path


def _base(**extra):
    data = {
        "sources": {"aoi": "aoi.gpkg", "wind": "wind.tif", "slope": "slope.tif", "parcels": "parcels.gpkg"},
        "grid": {"aoi": "aoi", "resolution_m": 250},
        "models": {"wind": {"criteria": [
            {"name": "wind", "function": "linear", "low": 4.0, "high": 9.0, "weight": 2},
            {"name": "slope", "function": "linear", "low": 15.0, "high": 0.0, "weight": 1},
            {"name": "flat", "layer": "slope", "function": "gaussian", "midpoint": 0.0, "spread": 0.01},
        ]}},
    }
    data.update(extra)
    return data


def test_valid_config_resolves_paths_and_builds_mcda_objects(files, monkeypatch):
    monkeypatch.chdir(files)
    cfg = config_from_dict(_base(parcels={"source": "parcels", "top_k": 5}), base_dir=files)
    assert cfg.sources["wind"] == files / "wind.tif"
    assert cfg.grid.resolution_m == 250.0 and cfg.grid.projection == "equal-area"
    crit = cfg.models["wind"].criteria
    assert [c.name for c in crit] == ["wind", "slope", "flat"] and crit[2].layer == "slope"
    overlay = Overlay(criteria=tuple(c.to_mcda() for c in crit))
    assert isinstance(overlay.criteria[0], Criterion)
    # weights 2, 1, 1 normalised by hand: 0.5, 0.25, 0.25
    assert list(overlay.normalized_weights) == pytest.approx([0.5, 0.25, 0.25])
    assert cfg.parcels.top_k == 5 and cfg.outputs.directory == files / "steppe-geo-output"
    # no slivers at the top by default: 10 % of a parcel eligible, at least 4 pixels (None), same for regions
    assert (cfg.parcels.min_eligible_share, cfg.parcels.min_eligible_ha, cfg.parcels.region_min_area_ha) == (
        0.1, None, None)
    given = config_from_dict(_base(parcels={"min_eligible_ha": 10, "min_eligible_share": 0,
                                            "region_min_area_ha": 25.5}), base_dir=files).parcels
    assert (given.min_eligible_ha, given.min_eligible_share, given.region_min_area_ha) == (10, 0, 25.5)
    assert cfg.outputs.vectors == ("gpkg", "shapefile") and cfg.run.mode == "memory"


def test_the_issue_example_error(files):
    data = _base()
    data["models"]["wind"]["criteria"][2]["function"] = "gausian"
    with pytest.raises(ConfigError, match=r"^models\.wind\.criteria\[2\]\.function: unknown 'gausian'; "
                                          r"did you mean 'gaussian'\? Valid names are: .*linear"):
        config_from_dict(data, base_dir=files)


@pytest.mark.parametrize(("given", "expected"), [("WPM", "weighted-product"), ("weighted_sum", "wlc"),
                                                  ("OWA", "owa")])
def test_rule_names_and_aliases(files, given, expected):
    data = _base()
    data["models"]["wind"]["rule"] = given
    assert config_from_dict(data, base_dir=files).models["wind"].rule == expected


def test_unknown_rule_suggests_the_closest(files):
    data = _base()
    data["models"]["wind"]["rule"] = "weighted-prodcut"
    with pytest.raises(ConfigError, match=r"^models\.wind\.rule: unknown 'weighted-prodcut'; did you mean "
                                          r"'weighted-product'\?"):
        config_from_dict(data, base_dir=files)


@pytest.mark.parametrize(("patch", "message"), [
    ({"modles": {}}, r"^modles: unknown key; did you mean 'models'\? Valid keys are: project, sources"),
    ({"grid": {"aoi": "aoi", "resolution": 100}}, r"^grid\.resolution: unknown key; did"
        r" you mean 'resolution_m'"),
    ({"grid": {"aoi": "aoi", "resolution_m": 0}}, r"^grid\.resolution_m: must be > 0, got 0"),
    ({"grid": {"aoi": "aoi", "resolution_m": "100"}}, r"^grid\.resolution_m: expected a"
        r" number, got '100' \(str\)"),
    ({"grid": {"aoi": "aoi", "projection": "equal_aera"}},
     r"^grid\.projection: unknown 'equal_aera'; did you mean"
         r" 'equal-area'\? Valid values are: 'equal-area', 'utm'"),
    ({"grid": {"aoi": "boundary"}}, r"^grid\.aoi: 'boundary' is not in \[sources\]"),
    ({"outputs": {"maps": ["png", "jpeg"]}}, r"^outputs\.maps\[1\]: unknown 'jpeg'.*Valid"
        r" values are: 'png', 'pdf'"),
    ({"outputs": {"vectors": ["shapfile"]}}, r"^outputs\.vectors\[0\]: unknown 'shapfile';"
        r" did you mean 'shapefile'"),
    ({"outputs": {"report": "yes"}}, r"^outputs\.report: expected true or false, got 'yes' \(str\)"),
    ({"run": {"mode": "cluster"}}, r"^run\.mode: unknown 'cluster'.*'memory', 'streamed', 'dask'"),
    ({"run": {"workers": 0}}, r"^run\.workers: must be >= 1, got 0"),
    ({"parcels": {"source": "parcel"}}, r"^parcels\.source: 'parcel' is not in"
        r" \[sources\]; did you mean 'parcels'"),
    ({"parcels": {"top_k": 0}}, r"^parcels\.top_k: must be >= 1, got 0"),
    ({"parcels": {"rank_by": "wnd"}}, r"^parcels\.rank_by: 'wnd' is not a model; did you mean 'wind'"),
    ({"parcels": {"rank_by": ["wind", "sol"]}}, r"^parcels\.rank_by\[1\]: 'sol' is not a model"),
    ({"parcels": {}, "run": {"mode": "dask"}},
     r"^parcels\.rank_by: custom model 'wind' can rank parcels only"),
    ({"parcels": {"select_by": "solar"}}, r"^parcels\.select_by: 'solar' is not one of parcels\.rank_by"),
    ({"parcels": {"min_eligible_ha": -5}}, r"^parcels\.min_eligible_ha: must be >= 0, got -5"),
    ({"parcels": {"min_eligible_share": 10}}, r"^parcels\.min_eligible_share: must be <= 1, got 10"),
    ({"parcels": {"min_eligible_share": "10 %"}},
     r"^parcels\.min_eligible_share: expected a number, got '10 %'"),
    ({"parcels": {"region_min_area_ha": -1}}, r"^parcels\.region_min_area_ha: must be >= 0, got -1"),
    ({"parcels": {"min_eligble_ha": 3}}, r"^parcels\.min_eligble_ha: unknown key; did you mean "
        r"'min_eligible_ha'"),
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
    data["sources"]["dem"] = "data/dem.tif"
    with pytest.raises(InputNotFoundError, match=r"^sources\.dem: input file not found: '.*data/dem\.tif'"):
        config_from_dict(data, base_dir=files)


def test_toml_syntax_error_and_missing_file(files):
    with pytest.raises(ConfigError, match=r"cfg\.toml: not valid TOML: .*line 1"):
        parse_config("[grid\nresolution_m = 1", source="cfg.toml")
    with pytest.raises(InputNotFoundError, match=r"configuration file not found: '.*nope.toml'"):
        load_config(files / "nope.toml")


def test_load_config_resolves_inputs_relative_to_the_file_and_outputs_to_the_cwd(files, monkeypatch):
    sub = files / "project"
    sub.mkdir()
    work = files / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # where the user runs steppe-geo
    text = (
        '[sources]\naoi = "../aoi.gpkg"\nwind = "../wind.tif"\n'
        '[[models.w.criteria]]\nname = "wind"\nfunction = {function = "linear", low = 3.0, high = 8.0}\n'
        '[outputs]\ndirectory = "out"\n'
    )
    (sub / "c.toml").write_text(text, encoding="utf-8")
    cfg = load_config(sub / "c.toml")
    assert cfg.sources["wind"].resolve() == (files / "wind.tif").resolve()
    # outputs go where the command runs, not beside the (maybe shared or read-only) config
    assert cfg.outputs.directory == work / "out"
    assert load_config(sub / "c.toml", output_dir=files).outputs.directory == files / "out"
    assert cfg.models["w"].criteria[0].function == {"function": "linear", "low": 3.0, "high": 8.0}
    assert cfg.source == sub / "c.toml"


def test_sample_prefix_unknown_layer(files):
    data = _base()
    data["sources"]["dem"] = "sample:dme"
    with pytest.raises(ConfigError, match=r"^sources\.dem: the sample dataset has no"
        r" layer 'dme'; did you mean 'dem'"):
        config_from_dict(data, base_dir=files)


def test_paths_are_paths(files):
    cfg = config_from_dict(_base(), base_dir=files)
    assert all(isinstance(p, Path) for p in cfg.sources.values())


EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_configs_validate(path):
    from steppe_geo.pipeline import check_config

    cfg = load_config(path)
    assert cfg.models and all(p.exists() for p in cfg.sources.values())
    check_config(cfg)  # models, inputs, weights and AHP judgements (consistent: no warning)


def test_init_example_passes_check_config(tmp_path):
    from steppe_geo.pipeline import check_config

    check_config(parse_config(EXAMPLE_CONFIG, base_dir=tmp_path))


def test_example_model_file_is_the_current_preset():
    from steppe_geo.models import Model, solar_pv

    text = (EXAMPLES[0].parent / "models" / "solar_pv.toml").read_text(encoding="utf-8")
    assert Model.from_toml(text) == solar_pv(), "regenerate examples/models/solar_pv.toml (see its header)"


# ----------------------------------------------------------------------------- AHP judgements (schema)
AHP_CRITERIA = [
    {"name": "wind", "function": "linear", "low": 4.0, "high": 9.0},
    {"name": "slope", "function": "linear", "low": 15.0, "high": 0.0},
    {"name": "flat", "layer": "slope", "function": "gaussian", "midpoint": 0.0, "spread": 0.01},
]


def _ahp(ahp, **model):
    return _base(models={"wind": {"criteria": [dict(c) for c in AHP_CRITERIA], "ahp": ahp, **model}})


def test_ahp_pairs_and_matrix_forms_give_the_same_judgements(files):
    pairs = config_from_dict(_ahp({"wind/slope": 3, "wind/flat": 5, "slope/flat": "2"}), base_dir=files)
    matrix = config_from_dict(_ahp({"criteria": ["wind", "slope", "flat"],
                                    "matrix": [[1, 3, 5], ["1/3", 1, 2], [0.2, 0.5, 1]]}), base_dir=files)
    as_tuples = [[(j.row, j.col, j.value) for j in c.models["wind"].ahp] for c in (pairs, matrix)]
    expected = [("wind", "slope", 3.0), ("wind", "flat", 5.0), ("slope", "flat", 2.0)]
    assert as_tuples[0] == as_tuples[1] == expected
    assert pairs.models["wind"].ahp[0].key == 'models.wind.ahp."wind/slope"'
    assert matrix.models["wind"].ahp[2].key == "models.wind.ahp.matrix[1][2]"


@pytest.mark.parametrize(("ahp", "model", "message"), [
    ({"wind-slope": 3}, {}, r'^models\.wind\.ahp\."wind-slope": expected a key "criterion/criterion"'),
    ({"wind/wind": 3}, {}, r'^models\.wind\.ahp\."wind/wind": compares criterion \'wind\' with itself'),
    ({"wind/slope": 12}, {},
     r'^models\.wind\.ahp\."wind/slope": must be within Saaty\'s scale 1/9 … 9, got 12'),
    ({"wind/slope": "a lot"}, {}, r'^models\.wind\.ahp\."wind/slope": expected a judgement > 0 on Saaty\'s'
                                  r" scale .*got 'a lot' \(str\)"),
    ({"wind/slope": 3, "slope/wind": "1/3"}, {}, r'^models\.wind\.ahp\."slope/wind": the pair is judged twice'
                                                r' \(also as models\.wind\.ahp\."wind/slope"\)'),
    ({}, {}, r"^models\.wind\.ahp: no judgements"),
    ({"criteria": ["wind", "slope"], "matrix": [[1, 3], [0.5, 1]]}, {},
     r"^models\.wind\.ahp\.matrix\[1\]\[0\]: not the reciprocal of models\.wind\.ahp\.matrix\[0\]\[1\] = 3: "
     r"expected about 0\.3333, got 0\.5"),
    ({"criteria": ["wind", "slope"], "matrix": [[2, 3], [0.5, 1]]}, {},
     r"^models\.wind\.ahp\.matrix\[0\]\[0\]: the diagonal must be 1"),
    ({"criteria": ["wind", "slope"], "matrix": [[1, 3]]}, {},
     r"^models\.wind\.ahp\.matrix: expected 2 rows of 2 judgements"),
    ({"criteria": ["wind", "slope"], "matrix": [[1, 3], ["1/3", 1]], "order": 1}, {},
     r"^models\.wind\.ahp\.order: unknown key"),
    ({"wind/slope": 3}, {"weights": {"wind": 1}},
     r"^models\.wind\.weights: give direct weights or AHP judgements \(\[models\.wind\.ahp\]\), not both"),
])
def test_ahp_schema_errors_name_the_judgement(files, ahp, model, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(_ahp(ahp, **model), base_dir=files)


def test_ahp_refuses_a_criterion_weight_it_would_override(files):
    data = _ahp({"wind/slope": 3})
    data["models"]["wind"]["criteria"][1]["weight"] = 2
    with pytest.raises(ConfigError, match=r"^models\.wind\.criteria\[1\]\.weight: the AHP judgements of "
                                          r"\[models\.wind\.ahp\] set every weight; remove weight = 2 here"):
        config_from_dict(data, base_dir=files)


# ----------------------------------------------------------------------------- model files (schema)
def test_model_file_is_read_relative_to_the_config(files):
    from steppe_geo.models import wind_onshore

    (files / "models").mkdir()
    (files / "models" / "wind.toml").write_text(wind_onshore().to_toml(), encoding="utf-8")
    cfg = config_from_dict(_base(models={"w": {"model_file": "models/wind.toml"}}), base_dir=files)
    m = cfg.models["w"]
    assert m.kind == "model file" and m.model_file == files / "models" / "wind.toml"
    assert m.definition["name"] == "wind_onshore" and m.label == "model file 'wind.toml'"


@pytest.mark.parametrize(("model", "error", "message"), [
    ({"model_file": "nope.toml"}, InputNotFoundError,
     r"^models\.w\.model_file: model file not found: '.*nope\.toml'"),
    ({"model_file": "bad.toml"}, ConfigError, r"^models\.w\.model_file: '.*bad\.toml' is not valid TOML"),
    ({"model_file": 3}, ConfigError, r"^models\.w\.model_file: expected the path of a model TOML file"),
    ({"preset": "wind_onshore", "model_file": "bad.toml"}, ConfigError,
     r"^models\.w\.model_file: give one of preset, model_file or model, not both preset and model_file"),
    ({"model": "wind"}, ConfigError, r"^models\.w\.model: expected a table"),
    ({"criteria": AHP_CRITERIA[:1], "parameters": {"hub_height_m": 100}}, ConfigError,
     r"^models\.w\.parameters: parameters apply to a preset or a model file"),
])
def test_model_file_errors(files, model, error, message):
    (files / "bad.toml").write_text("name = \n", encoding="utf-8")
    with pytest.raises(error, match=message):
        config_from_dict(_base(models={"w": model}), base_dir=files)


# ----------------------------------------------------------------------------- check_config
SAMPLE_LAYERS = sorted(sample_paths())


def _sample(**models):
    """Every sample layer as an input; wind ranks the sample parcels by their id column."""
    return {
        "sources": {k: f"sample:{k}" for k in SAMPLE_LAYERS},
        "grid": {"aoi": "aoi", "resolution_m": 2000},
        "models": models or {"wind": {"preset": "wind_onshore"}},
        "parcels": {"source": "parcels", "id_column": "parcel_id", "name_column": "name_zh",
                    "rank_by": ["wind"]},
        "outputs": {"directory": "out"},
    }


# each of these passed `validate` and failed only in `run`, after the grid was built and every input
# loaded; now they fail in check_config, before any output folder exists
LATE_ERRORS = [
    pytest.param(lambda d: d["models"]["wind"].update(weights={"wind_sped": 0.5}),
                 r"^models\.wind\.weights\.wind_sped: no criterion of that name; did you mean "
                 r"'wind_speed'\? Criteria of preset 'wind_onshore' are: wind_speed, grid_distance, "
                 r"road_access, slope, land_cover\.",
                 id="weight-name"),
    pytest.param(lambda d: d["models"]["wind"].update(parameters={"hub_heigth_m": 120}),
                 r"^models\.wind\.parameters\.hub_heigth_m: unknown parameter of preset 'wind_onshore'; "
                 r"did you mean 'hub_height_m'\? Valid parameters are: hub_height_m, rotor_diameter_m",
                 id="parameter-name"),
    pytest.param(lambda d: d["models"]["wind"].update(parameters={"hub_height_m": 400}),
                 r"^models\.wind\.parameters\.hub_height_m: must be within \(0, 300\], got 400$",
                 id="parameter-range"),
    pytest.param(lambda d: d["sources"].pop("roads"),
                 r"^sources\.roads: missing; models\.wind \(preset 'wind_onshore'\) needs it for derivations "
                 r"'distance_roads_m', 'setback_roads'\. Sources given: airport, aoi, dem",
                 id="missing-input"),
    pytest.param(lambda d: d["sources"].update(road=d["sources"].pop("roads")),
                 r"^sources\.roads: missing; .* \(is sources\.road meant to be it\? Then rename it to "
                 r"roads\)",
                 id="misnamed-input"),
    pytest.param(lambda d: d["sources"].update(roads="sample:dem"),
                 r"^sources\.roads: models\.wind \(preset 'wind_onshore'\) reads 'roads' as a vector layer "
                 r"\(derivations 'distance_roads_m', 'setback_roads'\), but 'dem\.tif' is a raster file",
                 id="input-kind"),
    pytest.param(lambda d: d["parcels"].update(id_column="parcel_idd"),
                 r"^parcels\.id_column: no column 'parcel_idd' in parcels 'parcels\.gpkg'; did you mean "
                 r"'parcel_id'\? Columns are: parcel_id, name_zh", id="id-column"),
    pytest.param(lambda d: d["parcels"].update(name_column="name"),
                 r"^parcels\.name_column: no column 'name' in parcels 'parcels\.gpkg'", id="name-column"),
    pytest.param(lambda d: d["models"]["wind"].update(constraints=[
        {"type": "value_range", "name": "steep", "layer": "slope_dg", "max": 10.0}]),
                 r"^models\.wind\.constraints\[0\]\.layer: unknown layer 'slope_dg'; did you mean "
                 r"'slope_deg'\? "
                 r"Layers are the inputs \(airport, .*\) and the layers preset 'wind_onshore' derives "
                 r"\(wind_speed_hub, slope_deg", id="constraint-layer"),
    pytest.param(lambda d: d["models"]["wind"].update(criteria=[
        {"name": "sun", "layer": "ghii", "function": "linear", "low": 1400.0, "high": 1700.0}]),
                 r"^models\.wind\.criteria\[0\]\.layer: unknown layer 'ghii'; did you mean 'ghi'\?",
                 id="criterion-layer"),
    pytest.param(lambda d: d["models"]["wind"].update(criteria=[
        {"name": "sun", "layer": "roads", "function": "linear", "low": 0.0, "high": 1.0}]),
                 r"^models\.wind\.criteria\[0\]\.layer: input 'roads' \(roads\.gpkg\) is a vector layer; "
                 r"criteria and constraints read rasters", id="criterion-on-a-vector"),
    pytest.param(lambda d: d["models"].update(d={"preset": "desertification_china",
                                                 "parameters": {"degradation_rule": "meen"}}),
                 r"^models\.d\.parameters\.degradation_rule: unknown value 'meen'; did you mean 'mean'\? "
                 r"Valid values are: 'none', 'mean', 'one-out-all-out'\.", id="parameter-choice"),
    pytest.param(lambda d: d["models"]["wind"].update(ahp={"wind_sped/slope": 3}),
                 r'^models\.wind\.ahp\."wind_sped/slope": unknown criterion \'wind_sped\'; did you mean '
                 r"'wind_speed'\? Criteria of preset 'wind_onshore' are: wind_speed,", id="ahp-name"),
    pytest.param(lambda d: d["models"]["wind"].update(ahp={"wind_speed/slope": 3}),
                 r'^models\.wind\.ahp: missing judgements for 9 of the 10 pairs of criteria: '
                 r'"wind_speed/grid_distance", ', id="ahp-incomplete"),
    pytest.param(lambda d: d["grid"].update(aoi="dem"),
                 r"^grid\.aoi: input 'dem' \(dem\.tif\) is a raster; the area of interest must be a polygon",
                 id="aoi-raster"),
]


@pytest.mark.parametrize(("edit", "message"), LATE_ERRORS)
def test_model_level_errors_are_found_before_any_work(tmp_path, edit, message):
    from steppe_geo.pipeline import STAGE_PREFIX, check_config, run

    data = _sample()
    edit(data)
    cfg = config_from_dict(data, base_dir=tmp_path, output_dir=tmp_path)
    with pytest.raises(ConfigError, match=message):
        check_config(cfg)
    with pytest.raises(ConfigError, match=message):  # run checks first: no folder, no staging
        run(cfg)
    assert list(tmp_path.iterdir()) == []
    assert not list(tmp_path.glob(STAGE_PREFIX + "*"))


@pytest.mark.parametrize(("edit", "message"), LATE_ERRORS[:3])
def test_validate_command_reports_model_level_errors(tmp_path, edit, message):
    import tomli_w
    from click.testing import CliRunner

    from steppe_geo.cli import main

    data = _sample()
    edit(data)
    (tmp_path / "c.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(tmp_path / "c.toml")])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert re.search(message.lstrip("^").rstrip("$"), res.output), res.output


def test_valid_sample_config_passes_check_config(tmp_path):
    from steppe_geo.pipeline import check_config

    data = _sample(wind={"preset": "wind_onshore", "parameters": {"hub_height_m": 120},
                         "weights": {"wind_speed": 0.5},
                         "criteria": [{"name": "sun", "layer": "ghi", "function": "linear",
                                       "low": 1400.0, "high": 1700.0, "weight": 0.1}]},
                   restoration={"preset": "restoration_priority"})
    check_config(config_from_dict(data, base_dir=tmp_path))  # an input the preset lacks may be read


def test_custom_overlay_ranking_parcels_with_workers_is_refused_before_any_work(tmp_path):
    from steppe_geo.pipeline import check_config, run

    data = _sample(custom={"criteria": [{"name": "sun", "layer": "ghi", "function": "linear",
                                         "low": 1400.0, "high": 1700.0}]})
    data["parcels"]["rank_by"] = ["custom"]
    cfg = config_from_dict(data, base_dir=tmp_path, output_dir=tmp_path)
    check_config(cfg)  # memory mode: fine
    message = (r"^parcels\.rank_by: custom model 'custom' can rank parcels only in memory mode .* but "
               r"--scheduler/--workers makes this a 'dask' run")
    with pytest.raises(ConfigError, match=message):
        check_config(cfg, workers=2)
    with pytest.raises(ConfigError, match=message):
        check_config(cfg, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(ConfigError, match=message):
        run(cfg, workers=2)  # refused before a cluster is started or anything is read
    assert list(tmp_path.iterdir()) == []


def test_inconsistent_ahp_judgements_warn_naming_the_judgement(tmp_path):
    from steppe_geo.mcda import InconsistentJudgementsWarning
    from steppe_geo.pipeline import build_model, check_config

    names = ["wind_speed", "grid_distance", "road_access", "slope", "land_cover"]
    # a perfectly consistent matrix a_ij = w_i / w_j for w = (4, 2, 2, 1, 1) / 10: its principal
    # eigenvector is w exactly and CR = 0 (Saaty 1980)
    target = dict(zip(names, (0.4, 0.2, 0.2, 0.1, 0.1), strict=True))
    consistent = {f"{a}/{b}": target[a] / target[b] for i, a in enumerate(names) for b in names[i + 1:]}
    cfg = config_from_dict(_sample(wind={"preset": "wind_onshore", "ahp": consistent}), base_dir=tmp_path)
    check_config(cfg)  # no warning (warnings are errors here)
    weights = build_model(cfg.models["wind"]).overlay().normalized_weights
    assert weights == pytest.approx([0.4, 0.2, 0.2, 0.1, 0.1], abs=1e-12)
    # a cycle: wind_speed > slope > land_cover > wind_speed
    cycle = {"wind_speed/slope": 5, "slope/land_cover": 5, "wind_speed/land_cover": "1/5"}
    cfg = config_from_dict(_sample(wind={"preset": "wind_onshore", "ahp": {**consistent, **cycle}}),
                           base_dir=tmp_path)
    with pytest.warns(InconsistentJudgementsWarning,
                      match=r'^models\.wind\.ahp: consistency ratio CR = \d+\.\d+ > 0\.10 \(Saaty\).* '
                            r'Revising models\.wind\.ahp\."(wind_speed/slope|slope/land_cover|'
                            r'wind_speed/land_cover)" '
                            r'from (1/)?[\d.]+ to about [\d.]+ .* lowers CR most, to \d\.\d+\.$'):
        check_config(cfg)


def test_every_preset_is_expressible(tmp_path):
    """Each preset by name and as its Model.to_toml() file give the same score (coarse grid)."""
    from steppe_geo import models
    from steppe_geo.pipeline import build_grid, check_config, evaluate_model, load_inputs

    data = _sample()
    del data["parcels"]
    data["models"] = {}
    for preset in MODEL_PRESETS:
        (tmp_path / f"{preset}.toml").write_text(models.PRESETS[preset]().to_toml(), encoding="utf-8")
        data["models"][f"{preset}_by_name"] = {"preset": preset}
        data["models"][f"{preset}_from_file"] = {"model_file": f"{preset}.toml"}
    data["grid"]["resolution_m"] = 4000
    cfg = config_from_dict(data, base_dir=tmp_path)
    assert set(cfg.models) == {f"{p}_{how}" for p in MODEL_PRESETS for how in ("by_name", "from_file")}
    check_config(cfg)
    grid = build_grid(cfg.sources, cfg.grid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InvalidGeometryWarning)  # the sample parcels (not used here)
        layers = load_inputs(cfg.sources, grid)
    for preset in MODEL_PRESETS:
        a = evaluate_model(cfg.models[f"{preset}_by_name"], layers)
        b = evaluate_model(cfg.models[f"{preset}_from_file"], layers)
        assert np.isfinite(a.score.values).any(), preset
        np.testing.assert_array_equal(a.score.values, b.score.values, err_msg=preset)
        np.testing.assert_array_equal(a.exclusion.values, b.exclusion.values, err_msg=preset)
        assert a.weights == b.weights and a.constraint_names == b.constraint_names
    # the example written by `steppe-geo init` is valid TOML and uses only known sections and presets
    example = tomllib.loads(EXAMPLE_CONFIG)
    assert {m["preset"] for m in example["models"].values() if "preset" in m} <= set(MODEL_PRESETS)
    assert set(example) <= {"project", "sources", "grid", "models", "parcels", "outputs", "run"}


def _two_layer_roads(tmp_path):
    """The sample roads written as a GeoPackage with a second layer (a real multi-layer input)."""
    import steppe_geo as sg
    from steppe_geo.datasets import sample_paths

    roads = sg.read_vector(sample_paths()["roads"])
    path = tmp_path / "network.gpkg"
    sg.write_vector(roads, path, layer="roads_2024")
    sg.write_vector(roads.iloc[:3], path, layer="roads_1990", append_layer=True)
    return path


def test_multi_layer_vector_input_needs_a_layer_named_before_any_work(tmp_path):
    from steppe_geo.pipeline import check_config

    network = _two_layer_roads(tmp_path)
    data = _sample()
    data["sources"]["roads"] = str(network)
    cfg = config_from_dict(data, base_dir=tmp_path, output_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"^sources\.roads: 'network\.gpkg' holds 2 layers \(roads_2024, "
                                          r"roads_1990\); choose one: sources\.roads = \{ path = "):
        check_config(cfg)
    data["sources"]["roads"] = {"path": str(network), "layer": "roads_2042"}
    cfg = config_from_dict(data, base_dir=tmp_path, output_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"^sources\.roads\.layer: no layer 'roads_2042' in "
                                          r"'network\.gpkg'; "
                                          r"did you mean 'roads_2024'\?"):
        check_config(cfg)
    with pytest.raises(ConfigError, match=r"^sources\.roads\.layr: unknown key; did you mean 'layer'\?"):
        roads = {"path": str(network), "layr": "x"}
        config_from_dict({**data, "sources": {**data["sources"], "roads": roads}},
                         base_dir=tmp_path)


def test_multi_layer_vector_input_with_layer_is_read(tmp_path):
    from steppe_geo.pipeline import build_grid, check_config, load_inputs

    network = _two_layer_roads(tmp_path)
    data = _sample()
    data["sources"]["roads"] = {"path": str(network), "layer": "roads_1990"}
    cfg = config_from_dict(data, base_dir=tmp_path, output_dir=tmp_path)
    assert cfg.input_layers == {"roads": "roads_1990"} and cfg.sources["roads"] == network
    check_config(cfg)
    grid = build_grid(cfg.sources, cfg.grid, layers=cfg.input_layers)
    layers = load_inputs({"roads": cfg.sources["roads"]}, grid, layers=cfg.input_layers)
    assert len(layers.vectors["roads"]) == 3  # the 1990 layer, not the first one


# ----------------------------------------------------------------------------- declared input semantics
def test_inputs_given_as_tables_declare_their_semantics(files):
    data = _base()
    data["sources"]["wind"] = {"path": "wind.tif", "units": "km/h", "scale": 0.1, "offset": 0.0, "nodata": -1,
                              "kind": "continuous", "resampling": "average", "band": 2}
    data["sources"]["parcels"] = {"path": "parcels.gpkg", "layer": "fields", "encoding": "gbk"}
    cfg = config_from_dict(data, base_dir=files)
    wind = cfg.spec("wind")
    assert wind.path == files / "wind.tif" and cfg.sources["wind"] == files / "wind.tif"
    assert wind.raster_options() == {"kind": "continuous", "units": "km h-1", "scale": 0.1, "offset": 0.0,
                                     "nodata": -1.0, "resampling": "average", "band": 2}
    assert cfg.spec("parcels").vector_options() == {"layer": "fields", "encoding": "gbk"}
    assert cfg.input_layers == {"parcels": "fields"}
    assert cfg.spec("slope").declared() == {}  # the plain string form: a path only
    all_bands = config_from_dict({**data, "sources": {**data["sources"], "wind": {"path": "wind.tif",
                                                                                "band": "all"}}},
                                 base_dir=files)
    assert all_bands.spec("wind").band == "all"


@pytest.mark.parametrize(("option", "value", "message"), [
    ("units", "feet", r"sources\.wind\.units: 'feet' is not a known unit; did you mean 'ft'\? Known: 'm', "),
    ("unit", "ft", r"sources\.wind\.unit: unknown key; did you mean 'units'\? Valid keys are: path, layer"),
    ("kind", "classes", r"sources\.wind\.kind: unknown 'classes'.* Valid values are: 'continuous', "
                        r"'categorical'"),
    ("resampling", "bilinar", r"sources\.wind\.resampling: unknown 'bilinar'; did you mean 'bilinear'\?"),
    ("band", 0, r"sources\.wind\.band: expected a band number 1, 2, \.\.\. or \"all\", got 0"),
    ("band", "2", r"sources\.wind\.band: expected a band number"),
    ("scale", 0, r"sources\.wind\.scale: must not be 0"),
    ("nodata", "none", r"sources\.wind\.nodata: expected a number, got 'none'"),
    ("encoding", "gbkk", r"sources\.wind\.encoding: 'gbkk' is not a known text encoding; use a name such as "
                         r"'utf-8', 'gbk'"),
])
def test_input_options_are_checked_with_key_paths(files, option, value, message):
    data = _base()
    data["sources"]["wind"] = {"path": "wind.tif", option: value}
    with pytest.raises(ConfigError, match=message):
        config_from_dict(data, base_dir=files)
