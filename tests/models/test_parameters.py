"""Preset parameters: rebuilt through the preset function, checked early, described with sources."""

from __future__ import annotations

import pytest

from steppe_geo.errors import InvalidParameterError
from steppe_geo.mcda import Criterion, Linear
from steppe_geo.models import (
    PRESETS,
    Derivation,
    Model,
    desertification_china,
    desertification_esai,
    preset,
    preset_parameters,
    pv_sand_control,
    solar_pv,
    wind_onshore,
)

# ----------------------------------------------------------------------------- with_parameters rebuilds


def test_with_parameters_applies_the_china_degradation_rule():
    # regression: the rule was recorded in parameters but the trend layer was never added
    m = desertification_china().with_parameters(degradation_rule="one-out-all-out")
    assert m == desertification_china(degradation_rule="one-out-all-out")
    assert "ndvi_degraded" in [d.name for d in m.derivations]
    assert m.derivation("china_sensitivity").inputs[-1] == "ndvi_degraded"
    assert m.resolved_parameters("china_sensitivity")["degradation_rule"] == "one-out-all-out"


@pytest.mark.parametrize("factory", [solar_pv, pv_sand_control])
def test_with_parameters_moves_the_yield_breakpoints(factory):
    # regression: with_parameters(performance_ratio=0.5) left the value function at PR 0.8.
    # GLAES 3 / 4 / 8 kWh/m²/day × 365 × POA gain 1.15 × PR 0.5 = 629.6 / 839.5 / 1679.0 kWh/kWp/yr
    m = factory().with_parameters(performance_ratio=0.5)
    assert m == factory(performance_ratio=0.5)
    assert m.criteria[0].function.xs == pytest.approx((629.625, 839.5, 1679.0))
    assert "630/839/1679" in m.sources["pv_yield"]


@pytest.mark.parametrize(
    ("factory", "typo", "hint"),
    [(wind_onshore, "hub_heigth_m", "hub_height_m"), (solar_pv, "performance_ration", "performance_ratio"),
     (pv_sand_control, "max_slope", "max_slope_pct"), (desertification_esai, "rainfall", "rainfall_ladder")],
)
def test_unknown_parameter_names_are_refused(factory, typo, hint):
    with pytest.raises(InvalidParameterError,
                       match=rf"unknown parameter '{typo}'; did you mean '{hint}'\? Parameters are: .*"):
        factory().with_parameters(**{typo: 1})
    with pytest.raises(InvalidParameterError, match=rf"unknown parameter '{typo}'; did you mean '{hint}'"):
        factory(**{typo: 1})
    with pytest.raises(InvalidParameterError, match=rf"preset '{factory.__name__}': unknown parameter"):
        preset(factory.__name__, **{typo: 1})


def test_with_parameters_keeps_edits_the_parameters_do_not_touch():
    # a weight edit survives a new slope limit, which only moves the slope value function and constraint
    m = solar_pv().with_weights({"pv_yield": 0.6}).with_parameters(max_slope_pct=5)
    assert m.criteria[0].weight == 0.6
    slope = m.criteria[m.criterion_names.index("slope")]
    assert slope.function == Linear(low=5.0, high=0.0) and slope.weight == 0.10
    assert {c.name: c for c in m.constraints}["steep_slope"].max == 5.0
    # an edited setback survives a taller turbine, whose tip-height setbacks follow it
    w = wind_onshore().replace_constraint("settlements", distance_m=1000).with_parameters(hub_height_m=150)
    assert w.setbacks()["settlements"]["distance_m"] == 1000.0
    assert w.setbacks()["roads"]["distance_m"] == pytest.approx(1.1 * (150 + 170 / 2))
    # an added criterion and a removed constraint stay so
    extra = Criterion("elevation", Linear(low=2000.0, high=1000.0), 0.1, "dem")
    w2 = wind_onshore().add_criterion(extra).remove_constraint("airport").with_parameters(hub_height_m=150)
    assert w2.criterion_names[-1] == "elevation" and "airport" not in w2.constraint_names
    assert Model.from_toml(w2.to_toml()) == w2


def test_with_parameters_refuses_to_lose_an_edit():
    edited = solar_pv().replace_criterion("slope", function=Linear(low=8.0, high=0.0))
    with pytest.raises(
        InvalidParameterError,
        match=(r"with_parameters\(max_slope_pct=5\) would change criterion 'slope' \(function\), which was "
               r"edited after the preset 'solar_pv' was built; the edit would be lost"),
    ):
        edited.with_parameters(max_slope_pct=5)
    # the other way round works: parameters first, then the edit
    m = solar_pv(max_slope_pct=5).replace_criterion("slope", function=Linear(low=8.0, high=0.0))
    assert m.parameters["max_slope_pct"] == 5


def test_with_parameters_on_a_model_read_from_toml():
    m = Model.from_toml(wind_onshore().to_toml()).with_parameters(hub_height_m=120)
    assert m == wind_onshore(hub_height_m=120)


def test_with_parameters_on_a_hand_built_model():
    m = Model("m", inputs=("v",),
              derivations=(Derivation("vh", "hub_height_speed", ("v",), {"hub_height_m": "$hub"}),),
              criteria=(Criterion("v", Linear(low=0.0, high=1.0), 1.0, "vh"),), parameters={"hub": 100.0})
    assert m.with_parameters(hub=120.0).resolved_parameters("vh") == {"hub_height_m": 120.0}
    with pytest.raises(InvalidParameterError, match=r"unknown parameter 'hubb'; did you mean 'hub'"):
        m.with_parameters(hubb=1.0)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_rebuilds_from_its_parameters(name):
    m = PRESETS[name]()
    assert m.preset == name
    assert PRESETS[name](**m.parameters) == m
    assert set(m.parameters) == set(preset_parameters(name))


# ----------------------------------------------------------------------------- ranges and choices


@pytest.mark.parametrize("factory", [solar_pv, pv_sand_control])
def test_max_slope_is_a_range_checked_parameter(factory):
    assert factory(max_slope_pct=5).parameters["max_slope_pct"] == 5
    with pytest.raises(InvalidParameterError,
                       match=r"parameter max_slope_pct must be within \(0, 100\], got -5"):
        factory(max_slope_pct=-5)
    with pytest.raises(InvalidParameterError, match=r"max_slope_pct must be within \(0, 100\], got 0"):
        factory().with_parameters(max_slope_pct=0)


def test_text_parameters_are_checked_when_the_model_is_built():
    # regression: these built and failed only inside run_model, after loading every input
    with pytest.raises(InvalidParameterError,
                       match=(r"rainfall_ladder: unknown value 'globl'; did you mean 'global-esa'\? "
                              r"Valid values are: 'global-esa', 'original'")):
        desertification_esai().with_parameters(rainfall_ladder="globl")
    with pytest.raises(InvalidParameterError,
                       match=(r"soil_texture_coding: unknown value 'sandfirst'; did you mean 'sand-first'\? "
                              r"Valid values are: 'openlandmap', 'sand-first'")):
        desertification_esai().with_parameters(soil_texture_coding="sandfirst")
    with pytest.raises(InvalidParameterError,
                       match=r"dryness_index: unknown value 'pet'.*Valid values are: 'p/pet', 'dryness'"):
        desertification_china(dryness_index="pet")
    # a model read from TOML is checked too
    text = desertification_esai().to_toml()
    text = text.replace('rainfall_ladder = "global-esa"', 'rainfall_ladder = "globl"')
    with pytest.raises(InvalidParameterError,
                       match=r"'desertification_esai': parameter rainfall_ladder: unknown value 'globl'"):
        Model.from_toml(text)


def test_bad_tables_and_setbacks_are_refused_early():
    with pytest.raises(InvalidParameterError,
                       match=r"parameter fire_risk_scores: keys must be integer class codes of layer "
                             r"'land_cover', got 'a'"):
        desertification_esai(fire_risk_scores={"a": 1.0})
    with pytest.raises(InvalidParameterError, match=r"fire_risk_scores\[70\] must be > 0, got -1"):
        desertification_esai(fire_risk_scores={70: -1})
    with pytest.raises(InvalidParameterError, match=r"road_setbacks_m\['county'\] must be > 0, got 0"):
        solar_pv(road_setbacks_m={"county": 0, "*": 100})
    with pytest.raises(InvalidParameterError, match=r"max_grid_distance_m must be within \(0, 200000\]"):
        wind_onshore(max_grid_distance_m=-1)


# ----------------------------------------------------------------------------- tables as parameters


def test_lookup_tables_are_parameters_that_round_trip_and_are_described():
    m = desertification_esai(fire_risk_scores={105: 1.3}, texture_scores={13: 2.0})
    assert dict(m.parameters["fire_risk_scores"]) == {"105": 1.3}
    back = Model.from_toml(m.to_toml())
    assert back == m
    assert back.with_parameters(policy_enforcement_score=1.2).parameters["fire_risk_scores"] == {"105": 1.3}
    table = m.describe().set_index(["kind", "name"])
    fire = table.loc[("table", "fire_risk")]
    assert fire.layer == "land_cover"
    assert "105: 1.3" in fire.function and "104 Mobile sand (steppe_geo): 1" in fire.function
    assert "13: 2" in table.loc[("table", "texture")].function
    assert "1 sand: 2" in table.loc[("table", "texture")].function  # sand-first coding
    for name in ("rainfall", "aridity", "soil_depth", "slope", "plant_cover", "grazing_density",
                 "erosion_protection", "drought_resistance"):
        assert table.loc[("table", name)].source, name
    assert table.loc[("parameter", "fire_risk_scores")].layer == "land_cover"


def test_china_tables_are_described():
    table = desertification_china().describe().set_index(["kind", "name"])
    assert "< 0.05: 9" in table.loc[("table", "china_humidity_index")].function
    assert ">= 60: 9" in table.loc[("table", "china_wind_days")].function
    assert "NOT verified against the primary text" in table.loc[("table", "china_vegetation_cover")].source


# ----------------------------------------------------------------------------- sources


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_parameter_and_table_has_a_source_and_none_cites_methods_md(name):
    table = PRESETS[name]().describe()
    for kind in ("parameter", "table", "criterion"):
        rows = table[table.kind == kind]
        missing = rows[rows.source.str.len() == 0].name.tolist()
        assert not missing, (kind, missing)
    cons = table[table.kind.str.startswith("constraint")]
    assert (cons.source.str.len() > 0).all()
    # users do not have methods.md: cite the primary source or docs/models.md
    assert not table.source.str.contains("methods.md").any()
    assert not table.function.str.contains("methods.md").any()


def test_setbacks_are_described_in_metres():
    w = wind_onshore().describe().set_index("name")
    assert w.loc["roads", "function"] == (
        "excluded within 220 m (1.1 × tip height 200 m) of roads (exact, pixel centres)")
    assert w.loc["rivers", "function"].startswith("excluded within 200 m from the bank")
    assert w.loc["far_from_grid", "function"].startswith("excluded beyond 10000 m of power_lines")
    s = solar_pv().describe().set_index("name")
    assert "national 200 m" in s.loc["roads", "function"] and "county 100 m" in s.loc["roads", "function"]
    assert s.loc["water", "function"].startswith("excluded within 400 m of water")


def test_capacity_basis_is_stated():
    assert wind_onshore().metadata["capacity_basis"] == "AC"
    assert wind_onshore().metadata["capacity_density_mw_per_km2"] == 3.0
    assert solar_pv().metadata["capacity_basis"] == "DC"
    assert pv_sand_control().metadata["capacity_density_mw_per_km2"] == 36.0
