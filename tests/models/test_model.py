"""The declarative Model: editing, TOML round trip, describe(), errors, run_model on synthetic data."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine

from steppe_geo import Grid
from steppe_geo.errors import InvalidParameterError, MissingLayerError
from steppe_geo.mcda import Criterion, Linear, Setback, ValueRange
from steppe_geo.models import PRESETS, Derivation, Model, run_model, wind_onshore
from steppe_geo.models.desertification import desertification_china


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_round_trips_through_toml(name):
    model = PRESETS[name]()
    text = model.to_toml()
    back = Model.from_toml(text)
    assert back == model
    assert back.to_toml() == text
    assert back.overlay().criterion_names == model.overlay().criterion_names


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_describe_lists_criteria_constraints_and_a_source_for_each(name):
    model = PRESETS[name]()
    table = model.describe()
    assert list(table.columns) == ["kind", "name", "layer", "function", "weight", "source"]
    crit = table[table.kind == "criterion"]
    assert list(crit.name) == model.criterion_names
    np.testing.assert_allclose(crit.weight.sum(), 1.0)
    cons = table[table.kind.str.startswith("constraint")]
    assert list(cons.name) == model.constraint_names
    # every default criterion and constraint cites where it comes from
    assert (crit.source.str.len() > 0).all() and (cons.source.str.len() > 0).all()


def test_china_preset_with_trend_layer_round_trips():
    m = desertification_china(degradation_rule="one-out-all-out")
    assert "ndvi_degraded" in [d.name for d in m.derivations]
    assert Model.from_toml(m.to_toml()) == m
    with pytest.raises(InvalidParameterError, match=r"degradation_rule: unknown value 'one-out'"):
        desertification_china(degradation_rule="one-out")


def test_edit_in_code_returns_new_models():
    base = wind_onshore()
    m = base.with_weights({"wind_speed": 0.8})
    assert m.criteria[0].weight == 0.8 and base.criteria[0].weight == 0.4  # base untouched
    m2 = base.replace_criterion("slope", function=Linear(low=10.0, high=0.0), source="local crane limit")
    assert m2.criteria[3].function == Linear(low=10.0, high=0.0)
    assert m2.sources["slope"] == "local crane limit"
    m3 = base.replace_constraint("settlements", distance_m=1500.0)
    assert m3.setbacks()["settlements"]["distance_m"] == 1500.0
    assert m3.constraint_names == base.constraint_names
    assert base.setbacks()["settlements"]["distance_m"] == 500.0
    m4 = dataclasses.replace(base, rule="weighted-product")
    assert m4.overlay().rule.value == "weighted-product"
    m5 = base.remove_criterion("road_access").add_criterion(
        Criterion("road_access", Linear(low=5000.0, high=0.0), 0.1, "distance_roads_m")
    )
    assert m5.criterion_names[-1] == "road_access"
    assert Model.from_toml(m5.to_toml()) == m5
    m6 = base.remove_constraint("airport").add_setback("airport", "airport", distance_m=3000)
    assert m6.constraint_names[-1] == "airport" and m6.setbacks()["airport"]["distance_m"] == 3000.0
    # a distance-raster Setback on distance_<vector input>_m (older configs) becomes the exact setback
    m8 = base.replace_constraint("settlements", Setback("settlements", "distance_settlements_m", 800.0))
    assert m8.setbacks()["settlements"]["distance_m"] == 800.0
    m9 = base.add_constraint(Setback("wells", "distance_homesteads_m", 250.0))
    assert m9.setbacks()["wells"] == {**m9.setbacks()["wells"], "layer": "homesteads", "distance_m": 250.0}
    m7 = base.add_constraint(ValueRange("high_ground", "dem", max=1500.0))
    assert m7.constraint_names[-1] == "high_ground"
    assert Model.from_toml(m7.to_toml()) == m7


def test_tip_height_setbacks_follow_the_turbine():
    # tip height = hub + rotor / 2 = 115 + 170 / 2 = 200 m; roads at 1.1 × 200 = 220 m
    m = wind_onshore()
    assert m.tip_height_m() == 200.0
    assert m.setbacks()["roads"]["distance_m"] == pytest.approx(220.0)
    assert m.setbacks()["roads"]["tip_height_multiple"] == 1.1
    # a taller turbine: 150 + 200 / 2 = 250 m → 275 m
    m2 = m.with_parameters(hub_height_m=150.0, rotor_diameter_m=200.0)
    assert m2.setbacks()["roads"]["distance_m"] == pytest.approx(275.0)
    assert m2.setbacks()["railways"]["distance_m"] == pytest.approx(275.0)
    text = m.describe().set_index("name").loc["roads", "function"]
    assert "220 m (1.1 × tip height 200 m)" in text
    # an explicit distance replaces the multiple; a multiple can be set again
    m3 = m.replace_constraint("roads", distance_m=300.0)
    assert m3.setbacks()["roads"]["distance_m"] == 300.0
    assert m3.setbacks()["roads"]["tip_height_multiple"] is None
    m4 = m3.replace_constraint("roads", tip_height_multiple=2.0)
    assert m4.setbacks()["roads"]["distance_m"] == pytest.approx(400.0)
    with pytest.raises(InvalidParameterError, match=r"distance_m must be a finite number > 0, got -5"):
        m.replace_constraint("roads", distance_m=-5)


def test_preset_parameter_out_of_range():
    with pytest.raises(
        InvalidParameterError, match=r"parameter hub_height_m must be within \(0, 300\], got 0"
    ):
        wind_onshore(hub_height_m=0)
    with pytest.raises(InvalidParameterError, match=r"parameter performance_ratio must be within \(0, 1\]"):
        PRESETS["solar_pv"](performance_ratio=1.5)
    with pytest.raises(InvalidParameterError, match=r"parameter shear_exponent must be within \[0, 0.6\]"):
        wind_onshore().with_parameters(shear_exponent=-0.1)


def test_weights_that_do_not_match_the_criteria():
    with pytest.raises(
        InvalidParameterError, match=r"weights name \['wind_sped'\].*did you mean 'wind_speed'"
    ):
        wind_onshore().with_weights({"wind_sped": 1.0})
    with pytest.raises(InvalidParameterError, match="weight must be >= 0"):
        wind_onshore().replace_criterion("slope", weight=-1.0)
    with pytest.raises(InvalidParameterError, match=r"no criterion 'slop'.*did you mean 'slope'"):
        wind_onshore().replace_criterion("slop", weight=1.0)


def test_model_validation_errors():
    with pytest.raises(InvalidParameterError, match=r"unknown function 'slop'.*did you mean 'slope'"):
        Derivation("s", "slop", ("dem",))
    with pytest.raises(InvalidParameterError, match=r"derivation 'slope_deg' reads 'dtm'.*neither"):
        Model(
            "m",
            inputs=("dem",),
            derivations=(Derivation("slope_deg", "slope", ("dtm",)),),
            criteria=(Criterion("slope", Linear(low=10.0, high=0.0), 1.0, "slope_deg"),),
        )
    with pytest.raises(InvalidParameterError, match=r"criterion 'slope' reads layer 'slope'.*did you mean"):
        Model(
            "m",
            inputs=("dem",),
            derivations=(Derivation("slope_deg", "slope", ("dem",)),),
            criteria=(Criterion("slope", Linear(low=10.0, high=0.0), 1.0),),
        )
    with pytest.raises(InvalidParameterError, match="refers to parameter 'hub'"):
        Model(
            "m",
            inputs=("v",),
            derivations=(Derivation("vh", "hub_height_speed", ("v",), {"hub_height_m": "$hub"}),),
            criteria=(Criterion("v", Linear(low=0.0, high=1.0), 1.0, "vh"),),
        )
    with pytest.raises(InvalidParameterError, match="model TOML"):
        Model.from_toml("name = ")


# ----------------------------------------------------------------------------- run_model, synthetic


def test_wind_score_rises_with_wind_speed_all_else_equal(tiny, assert_same_georef):
    grid, inputs = tiny
    res = run_model(wind_onshore(), inputs, grid=grid)
    row = res.score.values[5]
    # below 4.5 m/s at 100 m: excluded by GLAES; above: strictly rising until the 8 m/s plateau at hub height
    speed = inputs["wind_speed_100m"].values[5]
    assert np.all(np.isnan(row[speed < 4.5])) and not res.eligible.values[5][speed < 4.5].any()
    ok = ~np.isnan(row)
    assert np.all(np.diff(row[ok]) >= 0) and row[ok][-1] > row[ok][0]
    hub = res.layers["wind_speed_hub"].values[5]
    np.testing.assert_allclose(hub, speed * (115 / 100) ** (1 / 7))  # power law, α = 1/7
    assert_same_georef(res.score, inputs["dem"])
    assert set(res.criteria.data_vars) == set(wind_onshore().criterion_names)
    assert res.provenance["parameters"]["model"]["name"] == "wind_onshore"
    assert res.provenance["inputs"] == {}  # all in memory: nothing to checksum
    assert "wind_speed_100m" in res.provenance["inputs_in_memory"]


def test_missing_layer_names_it_and_its_users(tiny):
    grid, inputs = tiny
    del inputs["power_lines"]
    with pytest.raises(
        MissingLayerError,
        match=(
            r"needs input layer\(s\) \['power_lines'\].*derivations "
            r"'distance_power_lines_m'.*sample_paths\(\)\['power_lines'\]"
        ),
    ):
        run_model(wind_onshore(), inputs, grid=grid)


def test_unknown_land_cover_codes_are_listed(tiny):
    # 70 (snow and ice) and 95 (mangroves) are WorldCover classes: scored by the default legend; 105 and 230
    # are in no legend, and are listed
    grid, inputs = tiny
    lc = np.full(grid.shape, 30, np.uint8)
    lc[0, :4] = (70, 95, 105, 230)
    inputs["land_cover"] = grid.to_dataarray(lc, name="land_cover", nodata=0)
    with pytest.raises(InvalidParameterError, match=r"class codes \[105, 230\] that criterion 'land_cover'.*"
                       r"No built-in legend has all of them"):
        run_model(wind_onshore(), inputs, grid=grid)
    lc[0, 2:4] = 30
    res = run_model(wind_onshore(), inputs, grid=grid)
    # WIND_LAND_COVER_BY_MEANING: snow and ice 0.0, mangroves are wetland 0.0, grassland 1.0
    np.testing.assert_array_equal(res.criteria["land_cover"].values[0, :3], [0.0, 0.0, 1.0])


def test_input_of_the_wrong_kind(tiny):
    grid, inputs = tiny
    inputs["dem"] = [1, 2, 3]
    with pytest.raises(InvalidParameterError, match="input 'dem' must be a DataArray, GeoDataFrame or path"):
        run_model(wind_onshore(), inputs, grid=grid)


def test_preset_by_name_and_config_style_edits():
    from steppe_geo.models import preset

    m = preset("wind_onshore", hub_height_m=120.0)
    assert m.parameters["hub_height_m"] == 120.0
    with pytest.raises(
        InvalidParameterError, match=r"unknown model preset 'wind_onshor'.*did you mean 'wind_onshore'"
    ):
        preset("wind_onshor")
    with pytest.raises(
        InvalidParameterError,
        match=r"preset 'solar_pv': unknown parameter 'hub_height_m'\. Parameters are: performance_ratio, ",
    ):
        preset("solar_pv", hub_height_m=100.0)
    e = m.edited(
        weights={"wind_speed": 0.6},
        criteria=[
            {
                "name": "slope",
                "layer": "slope_deg",
                "weight": 0.2,
                "function": {"function": "linear", "low": 10.0, "high": 0.0},
            }
        ],
        constraints=[
            {"type": "setback", "name": "settlements", "distance_m": 1000.0},  # the exact setback, edited
            {"type": "setback", "name": "wells", "layer": "homesteads", "distance_m": 300.0},  # a new one
            {"type": "value_range", "name": "high_ground", "layer": "dem", "max": 1500.0},
        ],
        rule="weighted-product",
    )
    assert e.criteria[0].weight == 0.6 and e.criteria[3].weight == 0.2
    assert e.constraint_names.index("settlements") == 1
    assert e.constraint_names[-2:] == ["wells", "high_ground"]
    assert e.setbacks()["settlements"]["distance_m"] == 1000.0
    assert e.setbacks()["wells"]["distance_m"] == 300.0
    assert e.overlay().rule.value == "weighted-product"
    assert e.sources["slope"] == "set in configuration"
    assert Model.from_toml(e.to_toml()) == e


def test_pv_yield_lookup_table_matches_criteria_specific_yield():
    # the derivation interpolates criteria.poa_gain over (latitude, GHI); compare with the direct
    # per-pixel criteria.specific_yield on a small grid spanning 1400–1800 kWh/m²/yr and ~1° of latitude
    import pyproj

    from steppe_geo.criteria import specific_yield
    from steppe_geo.models.model import DERIVATIONS

    grid = Grid(crs="EPSG:32649", transform=Affine(5000, 0, 400_000, 0, -5000, 4_500_000), shape=(24, 30))
    rng = np.random.default_rng(1)
    ghi = grid.to_dataarray(rng.uniform(1400, 1800, grid.shape), name="ghi", units="kWh m-2 yr-1")
    out = DERIVATIONS["pv_yield"]({"ghi": ghi}, ("ghi",), grid, performance_ratio=0.8)
    xs, ys = np.meshgrid(grid.x_coords(), grid.y_coords())
    _, lat = pyproj.Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    direct = specific_yield(ghi, latitude_deg=grid.to_dataarray(lat, name="lat"), performance_ratio=0.8)
    np.testing.assert_allclose(out.values, direct.values, rtol=1e-4)
    assert out.attrs["units"] == "kWh kWp-1 yr-1"


def test_inputs_on_another_grid_are_aligned(tiny):
    # land cover at 50 m (twice as fine): grassland (30) in the west 1000 m, cropland (40) in the east
    grid, inputs = tiny
    fine = Grid(crs=grid.crs, transform=Affine(50, 0, 400_000, 0, -50, 4_431_000), shape=(20, 40))
    lc = np.full(fine.shape, 30, np.uint8)
    lc[:, 20:] = 40
    inputs["land_cover"] = fine.to_dataarray(lc, name="land_cover", nodata=0)
    res = run_model(wind_onshore(), inputs, grid=grid)
    # WIND_LAND_COVER: grassland 1.0, cropland 0.5; the 100 m grid splits at its column 10
    crit = res.criteria["land_cover"].values
    np.testing.assert_array_equal(crit[:, :10], 1.0)
    np.testing.assert_array_equal(crit[:, 10:], 0.5)


# ----------------------------------------------------------------------------- exact setbacks, synthetic


def test_within_derivation_is_exact_by_class_and_width():
    from steppe_geo.models.model import DERIVATIONS

    # 100 m pixels; centres at x = 400 050, 400 150, ... A north–south road at x = 400 500 and a river at
    # x = 401 500 (50 m wide), both across the whole grid.
    grid = Grid(crs="EPSG:32649", transform=Affine(100, 0, 400_000, 0, -100, 4_431_000), shape=(3, 20))
    road = shapely.LineString([(400_500, 4_430_000), (400_500, 4_432_000)])
    river = shapely.LineString([(401_500, 4_430_000), (401_500, 4_432_000)])
    roads = gpd.GeoDataFrame({"class": ["national"]}, geometry=[road], crs=grid.crs)
    rivers = gpd.GeoDataFrame({"width_m": [50.0]}, geometry=[river], crs=grid.crs)
    within = DERIVATIONS["within"]
    # national = main road: 200 m → centres 400 350 … 400 650 (|dx| = 150, 50, 50, 150 ≤ 200); 250 m away: no
    out = within({"roads": roads}, ("roads",), grid, class_column="class",
                 class_distances_m={"national": 200.0, "*": 100.0}).values[0]
    np.testing.assert_array_equal(np.nonzero(out)[0], [3, 4, 5, 6])
    # any other class takes '*': 100 m → |dx| = 50 only
    out = within({"roads": roads.assign(**{"class": "county"})}, ("roads",), grid, class_column="class",
                 class_distances_m={"national": 200.0, "*": 100.0}).values[0]
    np.testing.assert_array_equal(np.nonzero(out)[0], [4, 5])
    # rivers: 200 m from the bank = 225 m from the centre line → |dx| = 50, 150 (250 > 225)
    out = within({"rivers": rivers}, ("rivers",), grid, distance_m=200.0, width_column="width_m").values[0]
    np.testing.assert_array_equal(np.nonzero(out)[0], [13, 14, 15, 16])
    out = within({"rivers": rivers.assign(width_m=150.0)}, ("rivers",), grid, distance_m=200.0,
                 width_column="width_m").values[0]  # 275 m: |dx| = 250 now inside
    np.testing.assert_array_equal(np.nonzero(out)[0], [12, 13, 14, 15, 16, 17])
    with pytest.raises(InvalidParameterError,
                       match=r"feature classes \['track'\] \(column 'class'\) without a setback"):
        within({"roads": roads.assign(**{"class": "track"})}, ("roads",), grid, class_column="class",
               class_distances_m={"national": 200.0})
    with pytest.raises(MissingLayerError, match=r"no class column 'kind'.*Columns are: \['class'\]"):
        within({"roads": roads}, ("roads",), grid, class_column="kind", class_distances_m={"*": 100.0})
    with pytest.raises(MissingLayerError, match=r"no width column 'width'; did you mean 'width_m'"):
        within({"rivers": rivers}, ("rivers",), grid, distance_m=200.0, width_column="width")
    with pytest.raises(InvalidParameterError, match=r"give exactly one of distance_m, tip_height_multiple"):
        within({"rivers": rivers}, ("rivers",), grid)


def test_missing_width_column_names_the_model_derivation_and_parameter(tiny):
    grid, inputs = tiny
    inputs["rivers"] = inputs["rivers"].rename(columns={"width_m": "breite"})
    with pytest.raises(MissingLayerError,
                       match=r"'wind_onshore': derivation 'setback_rivers': .*no width column 'width_m'"):
        run_model(wind_onshore(), inputs, grid=grid)
    res = run_model(wind_onshore(river_width_column="breite"), inputs, grid=grid)
    assert res.eligible.values.any()
