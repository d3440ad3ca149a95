"""Land-cover legends: the published codes, the presets written in each legend, and the code checks."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from steppe_geo import Grid
from steppe_geo.errors import ConfigError, InvalidParameterError
from steppe_geo.io import write_raster
from steppe_geo.mcda import Categorical, Categories, Criterion, Linear
from steppe_geo.models import PRESETS, Model, run_model, solar_pv, wind_onshore
from steppe_geo.models.desertification import land_cover_table
from steppe_geo.models.land_cover import (
    MEANINGS,
    format_codes,
    land_cover_legend,
    land_cover_legends,
    matching_legends,
)
from steppe_geo.models.model import check_class_codes

# The class codes and names as published (typed here from the product documentation, not from our data):
PUBLISHED = {
    # ESA WorldCover Product User Manual v2.0 (2022), Table 1
    "worldcover": {10: "Tree cover", 20: "Shrubland", 30: "Grassland", 40: "Cropland", 50: "Built-up",
                   60: "Bare / sparse vegetation", 70: "Snow and ice", 80: "Permanent water bodies",
                   90: "Herbaceous wetland", 95: "Mangroves", 100: "Moss and lichen"},
    # ESA Land Cover CCI Product User Guide v2.0 (2017), Table 2-1: the 37 LCCS classes (0 = no data)
    "esa-cci": dict.fromkeys([10, 11, 12, 20, 30, 40, 50, 60, 61, 62, 70, 71, 72, 80, 81, 82, 90, 100, 110,
                              120, 121, 122, 130, 140, 150, 151, 152, 153, 160, 170, 180, 190, 200, 201, 202,
                              210, 220]),
    # MCD12Q1 Collection 6 user guide (Sulla-Menashe & Friedl 2018), Table 3, LC_Type1 (IGBP)
    "modis-igbp": {1: "Evergreen Needleleaf Forests", 2: "Evergreen Broadleaf Forests",
                   3: "Deciduous Needleleaf Forests", 4: "Deciduous Broadleaf Forests", 5: "Mixed Forests",
                   6: "Closed Shrublands", 7: "Open Shrublands", 8: "Woody Savannas", 9: "Savannas",
                   10: "Grasslands", 11: "Permanent Wetlands", 12: "Croplands",
                   13: "Urban and Built-up Lands",
                   14: "Cropland/Natural Vegetation Mosaics", 15: "Permanent Snow and Ice", 16: "Barren",
                   17: "Water Bodies"},
    # MRLC NLCD class legend (2019/2021 products); 51, 72-74 Alaska only
    "nlcd": {11: "Open Water", 12: "Perennial Ice/Snow", 21: "Developed, Open Space",
             22: "Developed, Low Intensity", 23: "Developed, Medium Intensity",
             24: "Developed, High Intensity",
             31: "Barren Land (Rock/Sand/Clay)", 41: "Deciduous Forest", 42: "Evergreen Forest",
             43: "Mixed Forest", 51: "Dwarf Scrub", 52: "Shrub/Scrub", 71: "Grassland/Herbaceous",
             72: "Sedge/Herbaceous", 73: "Lichens", 74: "Moss", 81: "Pasture/Hay", 82: "Cultivated Crops",
             90: "Woody Wetlands", 95: "Emergent Herbaceous Wetlands"},
    # Yang & Huang (2021), ESSD 13, 3907, Table 1
    "clcd": {1: "Cropland", 2: "Forest", 3: "Shrub", 4: "Grassland", 5: "Water", 6: "Snow/Ice", 7: "Barren",
             8: "Impervious", 9: "Wetland"},
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_legend_codes_and_names_are_the_published_ones(name):
    legend = land_cover_legend(name)
    published = PUBLISHED[name]
    steppe = {101, 102, 103, 104} if name == "worldcover" else set()  # steppe_geo's own classes
    assert set(legend.codes) - steppe == set(published)
    for code, text in published.items():
        if text is not None:
            assert legend.names[code].startswith(text), (code, legend.names[code])
    assert legend.source and legend.title
    assert len(land_cover_legend("esa-cci").codes) == 37


def test_meanings_of_well_known_classes():
    # built-up in each legend: WorldCover 50, CCI 190, IGBP 13, NLCD 21-24, CLCD 8 (impervious)
    expect = {"worldcover": (50,), "esa-cci": (190,), "modis-igbp": (13,), "nlcd": (21, 22, 23, 24),
              "clcd": (8,)}
    for name, codes in expect.items():
        assert land_cover_legend(name).codes_for(["built_up"]) == codes
    assert land_cover_legend("nlcd").codes_for(["water", "wetland"]) == (11, 90, 95)
    assert land_cover_legend("worldcover").classes[95] == ("Mangroves", "wetland")
    with pytest.raises(InvalidParameterError, match=r"meanings \['urban'\] are unknown"):
        land_cover_legend("nlcd").codes_for(["urban"])
    with pytest.raises(InvalidParameterError, match=r"unknown legend 'ncld'; did you mean 'nlcd'"):
        land_cover_legend("ncld")


def test_matching_legends_and_code_lists():
    assert matching_legends([11, 21, 22, 42, 52, 71, 81, 82, 90]) == ["nlcd"]
    assert matching_legends([10, 30, 60, 80])[0] == "worldcover"  # also CCI codes: fewer extras first
    assert matching_legends([1, 4, 7, 8]) == ["clcd", "modis-igbp"]
    assert matching_legends([999]) == []
    expect = "[100, 101, 102, 103, 104, 105, 106, 107, 108, 109] and 15 more"
    assert format_codes(list(range(100, 125))) == expect


LEGEND_PRESETS = [n for n in sorted(PRESETS) if "land_cover_legend" in PRESETS[n]().parameters]


@pytest.mark.parametrize("preset", LEGEND_PRESETS)
@pytest.mark.parametrize("legend", sorted(PUBLISHED))
def test_presets_score_and_exclude_every_class_of_every_legend(preset, legend):
    m = PRESETS[preset](land_cover_legend=legend)
    lg = land_cover_legend(legend)
    assert m.parameters["land_cover_legend"] == legend
    for c in m.criteria:
        if c.layer == "land_cover":
            assert {k for k, _ in c.function.table} == set(lg.codes)
    for c in m.constraints:
        if isinstance(c, Categories):
            assert set(c.exclude) <= set(lg.codes) and set(c.exclude)
            # built-up and water are excluded by every land-cover constraint of the presets
            assert set(lg.codes_for(["built_up", "water"])) <= set(c.exclude)
    assert Model.from_toml(m.to_toml()) == m
    assert m.with_parameters(land_cover_legend="worldcover") == PRESETS[preset]()
    assert check_class_codes(m, "land_cover", list(lg.codes)) is not None  # every code is known


def test_same_meaning_same_score_in_every_legend():
    # NLCD 82 cultivated crops = WorldCover 40 cropland; CLCD 8 impervious = WorldCover 50 built-up
    for variable in ("fire_risk", "erosion_protection", "drought_resistance"):
        wc = land_cover_table(variable)
        assert land_cover_table(variable, legend="nlcd").scores[82] == wc.scores[40]
        assert land_cover_table(variable, legend="clcd").scores[8] == wc.scores[50]
    # Kosmas erosion protection: annual crops/cereals 1.8 ("low"), bare land 2.0 (very low)
    assert land_cover_table("erosion_protection", legend="nlcd").scores[31] == 2.0
    solar = {c.name: c for c in solar_pv(land_cover_legend="modis-igbp").criteria}["land_cover"]
    assert dict(solar.function.table)[16] == 1.0 and dict(solar.function.table)[13] == 0.0  # barren, urban
    assert set(MEANINGS) >= {"built_up", "water", "wetland", "snow_ice"}


# ----------------------------------------------------------------------------- runs
SOLAR_NLCD = solar_pv(land_cover_legend="nlcd", road_class_column="", road_setbacks_m={"*": 100.0})
"""The tiny grid's roads have no class column."""


@pytest.fixture
def nlcd(tiny, tmp_path):
    """The tiny wind grid with an NLCD land-cover file: developed (21-24) in row 0, shrub elsewhere."""
    grid, inputs = tiny
    lc = np.full(grid.shape, 52, np.uint8)  # Shrub/Scrub
    lc[0, :4] = (21, 22, 23, 24)
    lc[1, :3] = (11, 90, 71)
    path = tmp_path / "nlcd_2021.tif"
    write_raster(grid.to_dataarray(lc, name="land_cover", nodata=0), path)
    inputs["land_cover"] = path
    inputs["ghi"] = grid.to_dataarray(np.full(grid.shape, 1600.0), name="ghi", units="kWh m-2 yr-1")
    return grid, inputs


def test_nlcd_with_the_default_legend_is_refused_naming_the_legend_to_set(nlcd):
    grid, inputs = nlcd
    with pytest.raises(
        InvalidParameterError,
        match=(r"model 'solar_pv': input layer 'land_cover' \(nlcd_2021.tif\) has class codes "
               r"\[11, 21, 22, 23, 24, 52, 71\] that criterion 'land_cover', constraint "
               r"'land_cover_excluded' do not know \(codes found in the layer: "
               r"\[11, 21, 22, 23, 24, 52, 71, 90\]\)\. The model reads it in land-cover legend "
               r"'worldcover'.*fit legend 'nlcd'.*land_cover_legend = \"nlcd\""),
    ):
        run_model(solar_pv(road_class_column="", road_setbacks_m={"*": 100.0}), inputs, grid=grid)


def test_nlcd_legend_excludes_developed_land(nlcd):
    grid, inputs = nlcd
    res = run_model(SOLAR_NLCD, inputs, grid=grid)
    bit = 1 << res.exclusion_names.index("land_cover_excluded")
    excluded = (np.asarray(res.exclusion.values) & bit) != 0
    # developed 21-24, open water 11 and woody wetlands 90 excluded; grassland 71 and shrub 52 not
    assert excluded[0, :4].all() and excluded[1, :2].all()
    assert not excluded[1, 2] and not excluded[2:].any()
    lc_score = res.criteria["land_cover"].values
    assert lc_score[1, 2] == pytest.approx(0.6) and lc_score[5, 5] == pytest.approx(0.4)  # grass, shrub
    wind = run_model(wind_onshore(land_cover_legend="nlcd"), inputs, grid=grid)
    assert wind.criteria["land_cover"].values[0, 0] == 0.0  # developed: built-up, 0 for wind


def test_at_most_ten_codes_are_listed():
    codes = list(range(230, 250))
    with pytest.raises(InvalidParameterError,
                       match=r"class codes \[230, 231, 232, 233, 234, 235, 236, 237, 238, 239\] and 10 more"):
        check_class_codes(wind_onshore(), "land_cover", codes, source="lc.tif")


def test_a_categories_constraint_whose_codes_do_not_occur(tmp_path):
    grid = Grid(crs="EPSG:32649", transform=Affine(100, 0, 400_000, 0, -100, 4_431_000), shape=(4, 4))
    soil = np.tile(np.array([1, 2, 1, 2], np.uint8), (4, 1))
    path = tmp_path / "soil_classes.tif"
    write_raster(grid.to_dataarray(soil, name="soil", nodata=0), path)
    dem = grid.to_dataarray(np.full(grid.shape, 1000.0), name="dem", units="m")
    base = Model("m", ("dem", "soil"), criteria=(Criterion("low", Linear(low=2000.0, high=0.0), 1.0, "dem"),))
    m = base.add_constraint(Categories("rock", "soil", exclude=(7, 8)))
    with pytest.raises(InvalidParameterError,
                       match=(r"model 'm': constraint 'rock' excludes class codes \[7, 8\] of input layer "
                              r"'soil' \(soil_classes.tif\), but none of them occurs in the layer "
                              r"\(codes found: \[1, 2\]\)"
                              r": it would exclude nothing.*drop = \['rock'\]")):
        run_model(m, {"dem": dem, "soil": path}, grid=grid)
    keep = base.add_constraint(Categories("only_loess", "soil", allow=(9,)))
    with pytest.raises(InvalidParameterError, match=r"keeps class codes \[9\].*exclude everything"):
        run_model(keep, {"dem": dem, "soil": path}, grid=grid)
    ok = run_model(base.add_constraint(Categories("rock", "soil", exclude=(2, 8))),
                   {"dem": dem, "soil": path}, grid=grid)
    assert not ok.eligible.values[:, 1].any() and ok.eligible.values[:, 0].all()
    crit = base.add_criterion(Criterion("soil", Categorical({1: 1.0, 3: 0.5}), 1.0, "soil"))
    with pytest.raises(InvalidParameterError,
                       match=r"has class codes \[2\] that criterion 'soil' does not know"):
        run_model(crit, {"dem": dem, "soil": path}, grid=grid)


def test_a_legend_constraint_with_nothing_to_exclude_is_a_note(nlcd):
    grid, inputs = nlcd
    inputs["land_cover"] = grid.to_dataarray(np.full(grid.shape, 52, np.uint8), name="land_cover", nodata=0)
    res = run_model(SOLAR_NLCD, inputs, grid=grid)
    assert any(n.startswith("constraint 'land_cover_excluded': none of its classes (Open Water, Perennial "
                            "Ice/Snow, Developed, Open Space") for n in res.notes)


def test_land_cover_legend_in_the_configuration():
    from steppe_geo.config import parse_config
    from steppe_geo.pipeline.build import build_model

    text = '[sources]\naoi = "sample:aoi"\n[models.solar]\npreset = "solar_pv"\nland_cover_legend = "nlcd"\n'
    cfg = parse_config(text)
    m = build_model(cfg.models["solar"], inputs=list(cfg.sources))
    assert m == solar_pv(land_cover_legend="nlcd")
    with pytest.raises(ConfigError, match=r"models.solar.land_cover_legend: unknown legend 'ncld'; did "
                                          r"you mean 'nlcd'\? Legends are: worldcover, esa-cci, modis-igbp, "
                                          r"nlcd, clcd"):
        parse_config(text.replace('"nlcd"', '"ncld"'))
    with pytest.raises(ConfigError, match=r"models.solar.land_cover_legend: 'nlcd' differs from "
                                          r"models.solar.parameters.land_cover_legend = 'clcd'"):
        parse_config(text + '[models.solar.parameters]\nland_cover_legend = "clcd"\n')
    # as a preset parameter it works too, and a bad one names the parameter's key
    same = parse_config(text.replace('land_cover_legend = "nlcd"\n', '[models.solar.parameters]\n'
                                                                     'land_cover_legend = "nlcd"\n'))
    assert build_model(same.models["solar"], inputs=list(same.sources)) == m
    assert list(land_cover_legends()) == ["worldcover", "esa-cci", "modis-igbp", "nlcd", "clcd"]
