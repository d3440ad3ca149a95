"""Reliability catalogue: configuration syntax, types, keys, sections and absurd resolutions.

Each case goes through the command line (``steppe-geo validate`` or ``run``) as a user would, and
asserts the exit code, the error class's one-line message on standard error (key path, value and
what would be valid), or the correct result. The CLI reports a :class:`SteppeGeoError` in one line
with exit code 1; which class it was is checked through the API (``load_config``/``check_config``).
"""

from __future__ import annotations

import pytest

from steppe_geo.config import load_config
from steppe_geo.errors import ConfigError, InputNotFoundError, SizeLimitError
from steppe_geo.pipeline import check_config

clear_error = pytest.mark.case("clear_error")
correct_result = pytest.mark.case("correct_result")


def _error_line(result) -> str:
    """The CLI's one-line error, without a traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
    assert lines, result.stderr
    return "\n".join(result.stderr[result.stderr.index("Error:"):].splitlines())


def _validate_fails(run_cli, write_config, text, *words, error=ConfigError):
    """Validate ``text``: exit 1, the error class through the API, and each of ``words`` in the message."""
    path = write_config(text)
    res = run_cli("validate", path)
    assert res.exit_code == 1, res
    line = _error_line(res)
    for w in words:
        assert w in line, f"{w!r} not in {line!r}"
    with pytest.raises(error):
        check_config(load_config(path))
    return line


# ----------------------------------------------------------------------------- syntax
@clear_error
def test_bad_toml_syntax_names_line_and_column(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace("[grid]", "[grid", 1)
    line = _validate_fails(run_cli, write_config, text, "not valid TOML", "line ", "column")
    lineno = tiny_config_text.splitlines().index("[grid]") + 1
    assert f"line {lineno}" in line


@correct_result
def test_toml_with_a_byte_order_mark_is_read(run_cli, write_config, tiny_config_text, tmp_path):
    # Windows editors (Notepad) save UTF-8 with a BOM; tomllib refuses it at "line 1, col 1"
    path = write_config(b"\xef\xbb\xbf" + tiny_config_text.encode("utf-8"))
    res = run_cli("validate", path)
    assert res.exit_code == 0, res.stderr
    cfg = load_config(path)
    assert cfg.name == "reliability catalogue" and cfg.grid.resolution_m == 2000


@clear_error
def test_config_that_is_not_utf8(run_cli, write_config, tiny_config_text):
    path = write_config(tiny_config_text.replace("catalogue", "catalogue é").encode("latin-1"))
    res = run_cli("validate", path)
    assert res.exit_code == 1
    line = _error_line(res)
    assert "cannot read the configuration" in line and "config.toml" in line and "utf-8" in line.lower()
    with pytest.raises(ConfigError):
        load_config(path)


@clear_error
def test_config_path_is_a_directory_is_a_usage_error(run_cli, tmp_path):
    res = run_cli("validate", tmp_path)
    assert res.exit_code == 2
    assert "CONFIG" in res.stderr and "is a directory" in res.stderr and str(tmp_path.name) in res.stderr


@clear_error
def test_missing_config_file(run_cli, tmp_path):
    res = run_cli("validate", tmp_path / "nope.toml")
    assert res.exit_code == 2 and "nope.toml" in res.stderr and "does not exist" in res.stderr
    with pytest.raises(InputNotFoundError, match=r"configuration file not found: .*nope\.toml"):
        load_config(tmp_path / "nope.toml")


# ----------------------------------------------------------------------------- types
@clear_error
def test_resolution_given_as_a_string(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace("resolution_m = 2000", 'resolution_m = "2000"')
    _validate_fails(run_cli, write_config, text, "grid.resolution_m", "expected a number", "'2000' (str)")


@clear_error
def test_resolution_nan(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace("resolution_m = 2000", "resolution_m = nan")
    _validate_fails(run_cli, write_config, text, "grid.resolution_m", "expected a number", "nan")


@clear_error
def test_boolean_given_as_a_string(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace("report = false", 'report = "no"')
    _validate_fails(run_cli, write_config, text, "outputs.report", "expected true or false", "'no' (str)")


@clear_error
def test_integer_given_as_a_float(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace("n_draws = 0", "n_draws = 2.5")
    _validate_fails(run_cli, write_config, text, "parcels.n_draws", "expected an integer", "2.5")


@clear_error
def test_section_given_as_a_value(run_cli, write_config, tiny_config_text):
    text = "outputs = 5\n" + tiny_config_text.split("[outputs]")[0]
    _validate_fails(run_cli, write_config, text, "outputs: expected a table", "5 (int)")


@clear_error
def test_list_of_formats_given_as_a_string(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace('vectors = ["gpkg"]', 'vectors = "gpkg"')
    _validate_fails(run_cli, write_config, text, "outputs.vectors", "expected a list", "'gpkg' (str)")


# ----------------------------------------------------------------------------- keys and sections
@clear_error
def test_unknown_key_suggests_the_closest(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace("resolution_m = 2000", "resolution = 2000")
    _validate_fails(run_cli, write_config, text, "grid.resolution: unknown key",
                    "did you mean 'resolution_m'?", "Valid keys are: aoi, resolution_m")


@clear_error
def test_unknown_section_suggests_the_closest(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace("[project]", "[projet]")
    _validate_fails(run_cli, write_config, text, "projet: unknown key", "did you mean 'project'?",
                    "Valid keys are: project, sources")


@clear_error
def test_missing_sources_section(run_cli, write_config, tiny_config_text):
    head, rest = tiny_config_text.split("[sources]", 1)
    text = head + "[grid]" + rest.split("[grid]", 1)[1]  # no [sources] at all
    _validate_fails(run_cli, write_config, text, "grid.aoi: 'aoi' is not in [sources].",
                    "Sources are: (none)")


@clear_error
def test_grid_aoi_names_no_input(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace('aoi = "aoi"', 'aoi = "area"')
    _validate_fails(run_cli, write_config, text, "grid.aoi: 'area' is not in [sources]",
                    "Sources are: aoi, ghi, dem, parcels")


@clear_error
def test_unknown_run_mode_suggests_the_closest(run_cli, write_config, tiny_config_text):
    text = tiny_config_text + '\n[run]\nmode = "stream"\n'
    _validate_fails(run_cli, write_config, text, "run.mode: unknown 'stream'", "did you mean 'streamed'?",
                    "'memory', 'streamed', 'dask'")


@clear_error
def test_unknown_output_format(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace('vectors = ["gpkg"]', 'vectors = ["gkpg"]')
    _validate_fails(run_cli, write_config, text, "outputs.vectors[0]: unknown 'gkpg'", "did you mean 'gpkg'?")


@clear_error
def test_window_zero(run_cli, write_config, tiny_config_text):
    text = tiny_config_text + "\n[run]\nmode = \"streamed\"\nwindow = 0\n"
    _validate_fails(run_cli, write_config, text, "run.window", "must be >= 8", "got 0")


@clear_error
def test_duplicated_criterion_names(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace('name = "elevation"', 'name = "irradiation"')
    _validate_fails(run_cli, write_config, text, "models.solar.criteria", "duplicate criterion names",
                    "['irradiation']")


@clear_error
def test_unknown_preset_suggests_the_closest(run_cli, write_config, tiny_config_text):
    text = tiny_config_text + '\n[models.wind]\npreset = "wind_onshor"\n'
    _validate_fails(run_cli, write_config, text, "models.wind.preset: unknown 'wind_onshor'",
                    "did you mean 'wind_onshore'?", "'solar_pv'")


@clear_error
def test_drop_given_as_a_string(run_cli, write_config, tiny_config_text):
    text = tiny_config_text + '\n[models.wind]\npreset = "wind_onshore"\ndrop = "railways"\n'
    _validate_fails(run_cli, write_config, text, "models.wind.drop", "expected a list",
                    'drop = ["railways", "homesteads"]', "'railways' (str)")


@clear_error
def test_drop_of_an_unknown_name(run_cli, write_config, tiny_config_text):
    text = tiny_config_text + '\n[models.wind]\npreset = "wind_onshore"\ndrop = ["railway"]\n'
    _validate_fails(run_cli, write_config, text, "models.wind.drop", "cannot drop 'railway'",
                    "did you mean 'railways'?")


@clear_error
def test_drop_on_a_custom_overlay(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace("[[models.solar.criteria]]", '[models.solar]\ndrop = ["dem"]\n\n'
                                    "[[models.solar.criteria]]", 1)
    _validate_fails(run_cli, write_config, text, "models.solar.drop", "custom overlay", "remove dem")


@clear_error
def test_unknown_preset_parameter(run_cli, write_config, tiny_config_text):
    text = (tiny_config_text + '\n[models.wind]\npreset = "wind_onshore"\n'
            '[models.wind.parameters]\nhub_height = 100\n')
    _validate_fails(run_cli, write_config, text, "models.wind.parameters.hub_height",
                    "did you mean 'hub_height_m'?", "Valid parameters are")


@clear_error
def test_unknown_criterion_layer(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace('layer = "dem"', 'layer = "dme"')
    _validate_fails(run_cli, write_config, text, "models.solar.criteria[1].layer: unknown layer 'dme'",
                    "did you mean 'dem'?")


@clear_error
def test_missing_input_file(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace('dem = "sample:dem"', 'dem = "dem_missing.tif"')
    _validate_fails(run_cli, write_config, text, "sources.dem", "input file not found", "dem_missing.tif",
                    error=InputNotFoundError)


@clear_error
def test_unknown_sample_layer(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace('dem = "sample:dem"', 'dem = "sample:dme"')
    _validate_fails(run_cli, write_config, text, "sources.dem", "no layer 'dme'", "did you mean 'dem'?")


@clear_error
def test_parcel_id_column_that_does_not_exist(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace('id_column = "parcel_id"', 'id_column = "pid"')
    _validate_fails(run_cli, write_config, text, "parcels.id_column", "no column 'pid'", "parcel_id")


@clear_error
def test_rank_by_an_unknown_model(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace("n_draws = 0", 'n_draws = 0\nrank_by = ["sol"]')
    _validate_fails(run_cli, write_config, text, "parcels.rank_by[0]: 'sol' is not a model",
                    "did you mean 'solar'?", "Models are: solar.")


@clear_error
def test_share_above_one(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace("n_draws = 0", "n_draws = 0\nmin_eligible_share = 2")
    _validate_fails(run_cli, write_config, text, "parcels.min_eligible_share", "must be <= 1", "got 2")


# ----------------------------------------------------------------------------- resolutions
@clear_error
def test_negative_resolution(run_cli, write_config, tiny_config_text):
    text = tiny_config_text.replace("resolution_m = 2000", "resolution_m = -5")
    _validate_fails(run_cli, write_config, text, "grid.resolution_m", "must be > 0", "got -5")


@clear_error
def test_absurdly_fine_resolution_is_refused_by_validate(run_cli, write_config, tiny_config_text):
    # 5 cm over the ~68 x 45 km sample AOI: 1.4e6 x 0.9e6 px ('run' once died: "Unable to allocate 4.42 TiB")
    text = tiny_config_text.replace("resolution_m = 2000", "resolution_m = 0.05")
    line = _validate_fails(run_cli, write_config, text, "grid.resolution_m = 0.05", "pixels",
                           "more than the limit", "choose a resolution of at least", error=SizeLimitError)
    assert "MemoryError" not in line


@clear_error
def test_absurdly_coarse_resolution_stops_the_run_before_any_output(run_cli, tiny_config_text, write_config,
                                                                    tmp_path):
    # 1000 km pixels: the ~68 x 45 km AOI covers no pixel centre
    path = write_config(tiny_config_text.replace("resolution_m = 2000", "resolution_m = 1e6"))
    res = run_cli("run", path)
    assert res.exit_code == 1
    line = _error_line(res)
    assert "covers no pixel centre" in line and "resolution 1e+06" in line and "AOI bounds" in line
    assert "6.831e+04 x 4.449e+04 across: use a grid over the AOI with pixels well below 4.449e+04" in line
    assert not (tmp_path / "out").exists()
