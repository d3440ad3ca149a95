"""MEDALUS ESAI and China's sensitivity index: golden values by hand, regression tests for public bugs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import given
from hypothesis import strategies as st

from steppe_geo import Grid
from steppe_geo.errors import InvalidParameterError, MissingLayerError
from steppe_geo.models import desertification as d

# ----------------------------------------------------------------------------- score tables


def test_every_esa_break_belongs_to_the_class_above():
    # regression: public implementations leave gaps (e.g. "< 1.17" and "1.18–1.225"), so values exactly on
    # a break fall in no class. Half-open bins: each break starts the next class.
    values = np.array([1.0, 1.1699, 1.17, 1.2249, 1.225, 1.275, 1.325, 1.375, 1.425, 1.5299, 1.53, 2.0])
    codes = d.classify_esa(values)
    assert codes.tolist() == [1, 1, 2, 2, 3, 4, 5, 6, 7, 7, 8, 8]
    labels = [d.ESA_LABELS[c - 1] for c in codes]
    assert labels == ["N", "N", "P", "P", "F1", "F2", "F3", "C1", "C2", "C2", "C3", "C3"]


@given(st.floats(min_value=0.5, max_value=4.0, allow_nan=False))
def test_classify_esa_always_assigns_exactly_one_class(x):
    code = int(d.classify_esa(np.array([x]))[0])
    assert 1 <= code <= 8
    lo = -np.inf if code == 1 else d.ESA_BREAKS[code - 2]
    hi = np.inf if code == 8 else d.ESA_BREAKS[code - 1]
    assert lo <= x < hi


def test_classify_esa_nan_is_nodata_and_dataarray_keeps_georef(small_grid, assert_same_georef):
    vals = np.full(small_grid.shape, 1.3)
    vals[0, 0] = np.nan
    da = small_grid.to_dataarray(vals, name="esai", units="index")
    out = d.classify_esa(da)
    assert_same_georef(out, da)
    assert out.dtype == np.uint8 and out.rio.nodata == 0
    assert int(out[0, 0]) == 0 and int(out[1, 1]) == 4  # 1.325 <= 1.3? no: 1.275 <= 1.3 < 1.325 → F2 = 4
    assert out.attrs["flag_meanings"].split() == list(d.ESA_LABELS)


@pytest.mark.parametrize("table", [d.RAINFALL_GLOBAL_ESA, d.RAINFALL_ORIGINAL, d.ARIDITY_BGI, d.ARIDITY_PPET,
                                   d.SLOPE, d.SOIL_DEPTH, d.ROCK_FRAGMENTS, d.PLANT_COVER, d.GRAZING_DENSITY,
                                   d.POPULATION_DENSITY, d.CHINA_DRYNESS, d.CHINA_WIND_DAYS,
                                   d.CHINA_VEGETATION_COVER])
def test_values_on_every_break_take_the_upper_bin(table):
    # no gaps: exactly on break i → scores[i + 1]; just below → scores[i]
    b = np.array(table.breaks)
    np.testing.assert_array_equal(table.apply(b), table.scores[1:])
    np.testing.assert_array_equal(table.apply(b - 1e-9 * np.maximum(1, np.abs(b))), table.scores[:-1])
    assert np.isnan(table.apply(np.array([np.nan]))[0])


def test_global_esa_rainfall_ladder_is_the_default_and_finer():
    p = np.array([150.0, 279.9, 280.0, 300.0, 350.0, 400.0, 450.0, 500.0, 600.0, 650.0, 700.0])
    np.testing.assert_array_equal(
        d.score_rainfall(p), [2.0, 2.0, 1.8, 1.8, 1.5, 1.35, 1.25, 1.15, 1.05, 1.0, 1.0])
    np.testing.assert_array_equal(
        d.score_rainfall(p, ladder="original"), [4.0, 4.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0])
    with pytest.raises(InvalidParameterError, match=r"ladder: unknown value 'global_es'.*did you mean"):
        d.score_rainfall(p, ladder="global_es")


def test_bgi_breaks_are_never_applied_to_p_pet():
    # regression: scoring P/PET with the BGI ladder (< 50 → 1.0) rates the hyper-arid desert as the best class
    ai = np.array([0.02, 0.15, 0.3, 0.6, 1.2])
    assert np.all(d.ARIDITY_BGI.apply(ai) == 1.0)  # what the bug gives
    np.testing.assert_array_equal(d.score_aridity(ai), [2.0, 1.55, 1.45, 1.25, 1.0])
    np.testing.assert_array_equal(d.score_aridity(np.array([40.0, 130.0]), index="bgi"), [1.0, 1.8])
    with pytest.raises(InvalidParameterError, match=r"Bagnouls-Gaussen index.*index='bgi'"):
        d.score_aridity(np.array([0.2, 130.0]), index="p/pet")
    with pytest.raises(InvalidParameterError, match="must be >= 0"):
        d.score_aridity(np.array([-0.1]))


def test_score_table_validation():
    with pytest.raises(InvalidParameterError, match="strictly increasing"):
        d.ScoreTable("x", (2.0, 1.0), (1, 2, 3))
    with pytest.raises(InvalidParameterError, match="needs len\\(breaks\\) \\+ 1 = 3 scores, got 2"):
        d.ScoreTable("x", (1.0, 2.0), (1, 2))


def test_aspect_score_circular_bins():
    a = np.array([0.0, 112.4, 112.5, 180.0, 247.4, 247.5, 359.9, np.nan])
    np.testing.assert_array_equal(d.score_aspect(a), [1, 1, 2, 2, 2, 1, 1, 1])  # NaN = flat → 1.0
    with pytest.raises(InvalidParameterError, match=r"aspect must be within \[0, 360\]"):
        d.score_aspect(np.array([400.0]))


def test_texture_table_matches_kosmas_classes():
    codes = np.array([7, 6, 9, 11, 4, 3, 8, 5, 10, 1, 2, 12])  # L SCL SL LS CL | SC SiL SiCL | Si C SiC | S
    np.testing.assert_array_equal(d.TEXTURE.apply(codes), [1.0] * 5 + [1.2] * 3 + [1.6] * 3 + [2.0])


# ----------------------------------------------------------------------------- land cover lookups


def test_land_cover_lookup_steppe_classes():
    lc = np.array([101, 102, 103, 104, 30, 60])
    np.testing.assert_array_equal(d.score_land_cover(lc, variable="erosion_protection"),
                                  [1.3, 1.3, 1.6, 2.0, 1.6, 2.0])
    np.testing.assert_array_equal(d.score_land_cover(lc, variable="drought_resistance"),
                                  [1.2, 1.0, 1.4, 2.0, 1.4, 2.0])
    np.testing.assert_array_equal(d.score_land_cover(lc, variable="fire_risk"),
                                  [1.3, 1.6, 1.3, 1.0, 1.3, 1.0])


def test_unknown_land_cover_codes_are_listed():
    lc = np.array([[30, 105], [230, 30]])  # 105 and 230 are in no legend (70 and 95 are WorldCover classes)
    with pytest.raises(InvalidParameterError,
                       match=r"not in the lookup table: \[105, 230\].*Known codes: 10"):
        d.score_land_cover(lc, variable="fire_risk")
    with pytest.raises(InvalidParameterError, match=r"unknown value 'fire'.*did you mean 'fire_risk'"):
        d.score_land_cover(lc, variable="fire")


def test_land_cover_nodata_is_nan_not_an_unknown_code(small_grid):
    arr = np.full(small_grid.shape, 30, dtype=np.uint8)
    arr[0, 0] = 255
    da = small_grid.to_dataarray(arr, name="land_cover", nodata=255)
    out = d.score_land_cover(da, variable="fire_risk")
    assert np.isnan(out.values[0, 0]) and out.values[1, 1] == 1.3


def test_custom_category_table():
    table = d.CategoryTable("fire_risk", {1: 1.0, 2: 2.0}, {1: "a", 2: "b"})
    np.testing.assert_array_equal(d.score_land_cover(np.array([2, 1]), variable="fire_risk", table=table),
                                  [2.0, 1.0])


# ----------------------------------------------------------------------------- quality indices (golden)


def test_soil_quality_by_hand():
    # sandy loam (1.0), parent material moderate (1.7), rock fragments 10 % (2.0), depth 50 cm (2),
    # slope 10 % (1.2), well drained (1.0): SQI = (1.0 * 1.7 * 2.0 * 2 * 1.2 * 1.0) ** (1/6)
    #   product = 1.7 * 2.0 = 3.4; * 2 = 6.8; * 1.2 = 8.16; 8.16 ** (1/6) = exp(ln 8.16 / 6) = exp(2.099244/6)
    #   = exp(0.349874) = 1.418889  (check: 1.418889² = 2.013246, 2.013246³ = 8.1600)
    sqi = d.soil_quality(texture=d.TEXTURE.apply(np.array([9])), parent_material=np.array([1.7]),
                         rock_fragments=d.ROCK_FRAGMENTS.apply(np.array([10.0])),
                         depth=d.SOIL_DEPTH.apply(np.array([50.0])), slope=d.SLOPE.apply(np.array([10.0])),
                         drainage=np.array([1.0]))
    np.testing.assert_allclose(sqi, [1.418889], atol=1e-6)


def test_climate_vegetation_management_and_esai_by_hand():
    # Hobq-like mobile sand pixel: P = 300 mm → 1.80; P/PET = 0.25 → 1.45; south slope 180° → 2.0
    #   CQI = (1.8 * 1.45 * 2.0) ** (1/3) = 5.22 ** (1/3) = 1.734696  (check: 1.734696³ = 5.2200)
    cqi = d.climate_quality(rainfall=d.score_rainfall(np.array([300.0])),
                            aridity=d.score_aridity(np.array([0.25])),
                            aspect=d.score_aspect(np.array([180.0])))
    np.testing.assert_allclose(cqi, [1.734696], atol=1e-6)
    # mobile sand (104): fire 1.0, erosion 2.0, drought 2.0; cover 5 % → 2.0
    #   VQI = (1.0 * 2.0 * 2.0 * 2.0) ** (1/4) = 8 ** 0.25 = 1.681793
    lc = np.array([104])
    vqi = d.vegetation_quality(fire_risk=d.score_land_cover(lc, variable="fire_risk"),
                               erosion_protection=d.score_land_cover(lc, variable="erosion_protection"),
                               drought_resistance=d.score_land_cover(lc, variable="drought_resistance"),
                               plant_cover=d.PLANT_COVER.apply(np.array([5.0])))
    np.testing.assert_allclose(vqi, [1.681793], atol=1e-6)
    # 70 sheep units/km2 → 1.66; policy enforcement moderate 1.33: MQI = sqrt(1.66 * 1.33) = sqrt(2.2078)
    #   = 1.485867
    mqi = d.management_quality(land_use_intensity=d.GRAZING_DENSITY.apply(np.array([70.0])),
                               policy_enforcement=np.array([1.33]))
    np.testing.assert_allclose(mqi, [1.485867], atol=1e-6)
    # SQI for sand (2.0), parent 1.7, rock 2.0, depth 1 (> 75 cm), slope 1.0, drainage 1.0:
    #   (2 * 1.7 * 2) ** (1/6) = 6.8 ** (1/6) = exp(1.916923 / 6) = exp(0.319487) = 1.376422
    sqi = np.array([6.8 ** (1 / 6)])
    np.testing.assert_allclose(sqi, [1.376422], atol=1e-6)
    # ESAI = (1.376422 * 1.734696 * 1.681793 * 1.485867) ** 0.25
    #   1.376422 * 1.734696 = 2.387674; * 1.681793 = 4.015573; * 1.485867 = 5.966606; ** 0.25 = 1.562902
    e = d.esai(sqi, cqi, vqi, mqi)
    np.testing.assert_allclose(e, [1.562902], atol=1e-5)
    assert d.ESA_LABELS[int(d.classify_esa(e)[0]) - 1] == "C3"  # >= 1.53
    # a typical steppe pixel: every variable at its best except rainfall 1.8 and aridity 1.45 →
    #   CQI = (1.8 * 1.45 * 1.0) ** (1/3) = 2.61 ** (1/3) = 1.376830; ESAI = 1.376830 ** 0.25 = 1.083228 → N
    e2 = d.esai(np.array([1.0]), np.array([2.61 ** (1 / 3)]), np.array([1.0]), np.array([1.0]))
    np.testing.assert_allclose(e2, [1.083228], atol=1e-6)
    assert d.classify_esa(e2)[0] == 1


def test_square_root_is_not_halving():
    # regression: `(a * b) ** 1/2` is (a * b) / 2 in Python — MQI of (2.0, 2.0) would be 2.0 (looks right!)
    # but (1.0, 1.0) would give 0.5, below the scale's minimum of 1.
    assert (1.0 * 1.0) ** 1 / 2 == 0.5
    mqi = d.management_quality(land_use_intensity=np.array([1.0, 2.0, 1.33]),
                               policy_enforcement=np.array([1.0, 2.0, 1.66]))
    np.testing.assert_allclose(mqi, [1.0, 2.0, np.sqrt(1.33 * 1.66)])


def test_geometric_mean_never_silently_over_fewer_variables():
    # regression: a missing variable silently dropped changes the index scale
    with pytest.raises(MissingLayerError,
                       match=r"CQI = geometric mean of 3 variables.*missing: \['aspect'\]"):
        d.climate_quality(rainfall=np.array([1.8]), aridity=np.array([1.45]))
    with pytest.raises(MissingLayerError, match=r"missing: \['mqi'\]"):
        d.esai(np.array([1.0]), np.array([1.0]), np.array([1.0]), None)
    # a NaN variable at one pixel → NaN, not a mean over the other two
    cqi = d.climate_quality(rainfall=np.array([1.8, np.nan]), aridity=np.array([1.45, 1.45]),
                            aspect=np.array([1.0, 1.0]))
    assert np.isfinite(cqi[0]) and np.isnan(cqi[1])


def test_allow_missing_reweights_and_warns():
    with pytest.warns(d.ReducedQualityIndexWarning, match="CQI computed over fewer than its 3 variables"):
        cqi = d.climate_quality(rainfall=np.array([1.8]), aridity=np.array([1.45]), allow_missing=True)
    np.testing.assert_allclose(cqi, [np.sqrt(1.8 * 1.45)])  # (1.8 * 1.45) ** (1/2), not ** (1/3)
    with pytest.warns(d.ReducedQualityIndexWarning):
        cqi = d.climate_quality(rainfall=np.array([1.8, np.nan]), aridity=np.array([1.45, 1.45]),
                                aspect=np.array([2.0, 2.0]), allow_missing=True)
    np.testing.assert_allclose(cqi, [(1.8 * 1.45 * 2.0) ** (1 / 3), np.sqrt(1.45 * 2.0)])


def test_geometric_mean_errors():
    with pytest.raises(InvalidParameterError, match=r"unknown variable\(s\) \['wind'\]"):
        d.geometric_mean({"wind": np.array([1.0])}, required=("rainfall",), index="CQI")
    with pytest.raises(InvalidParameterError, match="scores must be > 0"):
        d.esai(np.array([0.0]), np.array([1.0]), np.array([1.0]), np.array([1.0]))


def test_quality_index_keeps_georef(small_grid, assert_same_georef):
    ones = small_grid.to_dataarray(np.ones(small_grid.shape), name="x")
    out = d.esai(ones, ones * 2, ones, ones)
    assert_same_georef(out, ones)
    assert out.name == "esai"
    np.testing.assert_allclose(out.values, 2 ** 0.25)


@given(st.lists(st.floats(min_value=1.0, max_value=2.0), min_size=4, max_size=4))
def test_esai_lies_between_min_and_max_of_indices(q):
    e = float(d.esai(*[np.array([v]) for v in q])[0])
    assert min(q) - 1e-12 <= e <= max(q) + 1e-12


# ----------------------------------------------------------------------------- grazing pressure


def test_grazing_density_from_township_census():
    # a 1800 m × 1200 m grid of 30 m pixels (40 × 60); two townships split it at x = 400 900:
    # areas 0.9 km × 1.2 km = 1.08 km² each
    small_grid = Grid(crs="EPSG:32649", transform=Affine(30, 0, 400_000, 0, -30, 4_431_200), shape=(40, 60))
    west = shapely.box(400_000, 4_430_000, 400_900, 4_431_200)
    east = shapely.box(400_900, 4_430_000, 401_800, 4_431_200)
    towns = gpd.GeoDataFrame({"sheep_units": [54.0, 108.0]}, geometry=[west, east], crs="EPSG:32649")
    dens = d.grazing_density(towns, grid=small_grid)
    assert dens.attrs["units"] == "sheep units/km2"
    np.testing.assert_allclose(dens.values[:, :30], 54 / 1.08)  # 50 sheep units/km2
    np.testing.assert_allclose(dens.values[:, 30:], 108 / 1.08)  # 100
    np.testing.assert_array_equal(d.GRAZING_DENSITY.apply(dens.values[0, [0, 59]]), [1.33, 2.0])
    with pytest.raises(MissingLayerError, match=r"no census column 'sheep'.*did you mean 'sheep_units'"):
        d.grazing_density(towns, grid=small_grid, column="sheep")


# ----------------------------------------------------------------------------- China


def test_china_sensitivity_by_hand():
    # dryness 2.0 → 5; 50 windy days → 7; sand (12) → 9; cover 5 % → 9
    i = d.china_grade(np.array([2.0]), d.CHINA_DRYNESS)
    w = d.china_grade(np.array([50.0]), d.CHINA_WIND_DAYS)
    k = d.TEXTURE_CHINA.apply(np.array([12]))
    c = d.china_grade(np.array([5.0]), d.CHINA_VEGETATION_COVER)
    assert (i[0], w[0], k[0], c[0]) == (5, 7, 9, 9)
    # D = (5 * 7 * 9 * 9) ** 0.25 = 2835 ** 0.25 = 7.297; class [6, 8) → 4 (high)
    dval = d.china_sensitivity(i, w, k, c)
    np.testing.assert_allclose(dval, [2835 ** 0.25])
    np.testing.assert_allclose(2835 ** 0.25, 7.2969, atol=1e-4)
    assert d.classify_china(dval)[0] == 4
    assert d.classify_china(np.array([1.0, 2.0, 4.0, 6.0, 8.0, np.nan])).tolist() == [1, 2, 3, 4, 5, 0]


def test_china_trend_layer_mean_and_one_out_all_out():
    one = np.array([1.0, 1.0])
    degraded = np.array([1.0, 0.0])
    # as a fifth factor: (1 * 1 * 1 * 1 * 9) ** (1/5) = 9 ** 0.2 = 1.551846
    np.testing.assert_allclose(d.china_sensitivity(one, one, one, one, trend_degraded=degraded),
                               [9 ** 0.2, 1.0])
    # one out, all out: the degraded pixel takes the top grade
    np.testing.assert_allclose(
        d.china_sensitivity(one, one, one, one, trend_degraded=degraded, rule="one-out-all-out"), [9.0, 1.0])
    with pytest.raises(InvalidParameterError, match="grade W must be 1, 3, 5, 7 or 9"):
        d.china_sensitivity(one, one * 2, one, one)
    with pytest.raises(InvalidParameterError, match="rule must be 'mean' or 'one-out-all-out'"):
        d.china_sensitivity(one, one, one, one, rule="max")


# ----------------------------------------------------------------------------- literal tables
# Transcribed from the published tables (Kosmas et al. 1999; the Global-ESA ladders; the grazing and
# population variants), not from our code: a mid-bin value and every break of each table. A value on a
# break belongs to the bin above it (half-open bins).
LITERAL_TABLES = {
    # slope (%): < 6 1.0; 6–18 1.2; 18–35 1.5; > 35 2.0
    "SLOPE": ([3, 6, 12, 18, 26.5, 35, 50], [1.0, 1.2, 1.2, 1.5, 1.5, 2.0, 2.0]),
    # soil depth (cm): < 15 → 4; 15–30 → 3; 30–75 → 2; > 75 → 1
    "SOIL_DEPTH": ([10, 15, 22.5, 30, 52.5, 75, 100], [4, 3, 3, 2, 2, 1, 1]),
    # rock fragments (%): < 20 2.0; 20–60 1.3; > 60 1.0
    "ROCK_FRAGMENTS": ([10, 20, 40, 60, 80], [2.0, 1.3, 1.3, 1.0, 1.0]),
    # plant cover (%): < 10 2.0; 10–40 1.8; > 40 1.0
    "PLANT_COVER": ([5, 10, 25, 40, 70], [2.0, 1.8, 1.8, 1.0, 1.0]),
    # grazing (heads/km²): < 20, 20–60, 60–100, > 100 → 1.00/1.33/1.66/2.00
    "GRAZING_DENSITY": ([10, 20, 40, 60, 80, 100, 150], [1.0, 1.33, 1.33, 1.66, 1.66, 2.0, 2.0]),
    # population (/km²): < 10, 10–20, 20–50, > 50 → 1.00/1.33/1.66/2.00
    "POPULATION_DENSITY": ([5, 10, 15, 20, 35, 50, 80], [1.0, 1.33, 1.33, 1.66, 1.66, 2.0, 2.0]),
    # Bagnouls–Gaussen: < 50 1.0; 50–75 1.1; 75–100 1.2; 100–125 1.4; 125–150 1.8; > 150 2.0
    "ARIDITY_BGI": ([25, 50, 62.5, 75, 87.5, 100, 112.5, 125, 137.5, 150, 200],
                    [1.0, 1.1, 1.1, 1.2, 1.2, 1.4, 1.4, 1.8, 1.8, 2.0, 2.0]),
    # P/PET (Global-ESA): < 0.03 2.0; 0.03–0.10 1.75; 0.10–0.20 1.55; 0.20–0.35 1.45; 0.35–0.50 1.35;
    # 0.50–0.65 1.25; 0.65–0.75 1.15; 0.75–1.0 1.05; ≥ 1.0 1.0
    "ARIDITY_PPET": ([0.01, 0.03, 0.065, 0.10, 0.15, 0.20, 0.275, 0.35, 0.425, 0.50, 0.575, 0.65, 0.70, 0.75,
                      0.875, 1.0, 1.5],
                     [2.0, 1.75, 1.75, 1.55, 1.55, 1.45, 1.45, 1.35, 1.35, 1.25, 1.25, 1.15, 1.15, 1.05, 1.05,
                      1.0, 1.0]),
    # rainfall (mm, Global-ESA): < 280 2.0; 280–310 1.80; 310–345 1.65; 345–390 1.50; 390–440 1.35;
    # 440–490 1.25; 490–570 1.15; 570–650 1.05; > 650 1.0
    "RAINFALL_GLOBAL_ESA": (
        [200, 280, 295, 310, 327.5, 345, 367.5, 390, 415, 440, 465, 490, 530, 570, 610, 650, 800],
        [2.0, 1.8, 1.8, 1.65, 1.65, 1.5, 1.5, 1.35, 1.35, 1.25, 1.25, 1.15, 1.15, 1.05, 1.05, 1.0, 1.0],
    ),
    # rainfall (mm, original MEDALUS): < 280 4.0; 280–650 2.0; > 650 1.0
    "RAINFALL_ORIGINAL": ([200, 280, 465, 650, 800], [4.0, 2.0, 2.0, 1.0, 1.0]),
    # China (as commonly reproduced from the 规程; see docs/models.md): humidity index P/PET with the UNEP
    # zones 0.05/0.20/0.50/0.65 → 9/7/5/3/1
    "CHINA_HUMIDITY": ([0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.6, 0.65, 0.9], [9, 7, 7, 5, 5, 3, 3, 1, 1]),
    # dryness 0.16·ΣT/ΣP: 1.0/1.5/4.0/16 → 1/3/5/7/9
    "CHINA_DRYNESS": ([0.5, 1.0, 1.2, 1.5, 2.0, 4.0, 10.0, 16.0, 20.0], [1, 3, 3, 5, 5, 7, 7, 9, 9]),
    # winter–spring windy days: 15/30/45/60 → 1/3/5/7/9
    "CHINA_WIND_DAYS": ([10, 15, 20, 30, 40, 45, 50, 60, 70], [1, 3, 3, 5, 5, 7, 7, 9, 9]),
    # vegetation cover (%): 10/30/50/70 → 9/7/5/3/1
    "CHINA_VEGETATION_COVER": ([5, 10, 20, 30, 40, 50, 60, 70, 80], [9, 7, 7, 5, 5, 3, 3, 1, 1]),
}


@pytest.mark.parametrize("name", sorted(LITERAL_TABLES))
def test_score_tables_match_the_published_tables(name):
    values, expected = LITERAL_TABLES[name]
    np.testing.assert_array_equal(getattr(d, name).apply(np.array(values, dtype=float)), expected)


def test_texture_sand_first_coding_matches_kosmas_classes():
    # the sample's coding: 1 sand, 2 loamy sand, 3 sandy loam, 4 loam, 5 silt loam, 6 silt, 7 sandy clay loam,
    # 8 clay loam, 9 silty clay loam, 10 sandy clay, 11 silty clay, 12 clay. Kosmas et al. (1999): good
    # (L, SCL, SL, LS, CL) 1.0; moderate (SC, SiL, SiCL) 1.2; poor (Si, C, SiC) 1.6; very poor (S) 2.0
    expected = [2.0, 1.0, 1.0, 1.0, 1.2, 1.6, 1.0, 1.0, 1.2, 1.2, 1.6, 1.6]
    codes = np.arange(1, 13)
    np.testing.assert_array_equal(d.TEXTURE_SAND_FIRST.apply(codes), expected)
    np.testing.assert_array_equal(d.texture_table("sand-first").apply(codes), expected)
    assert d.TEXTURE_NAMES_SAND_FIRST[1] == "sand" and d.TEXTURE_NAMES_SAND_FIRST[12] == "clay"


def test_china_texture_grades_in_both_codings():
    # K: clay 3 ... sand 9 with the USDA mapping of docs/models.md: clays (C, SiC, SC) 3, clay loams
    # (CL, SiCL, SCL) 5, loams and silts (L, SiL, SL, Si) 7, sands (LS, S) 9.
    # OpenLandMap coding 1 clay ... 12 sand:
    np.testing.assert_array_equal(d.texture_table("openlandmap", china=True).apply(np.arange(1, 13)),
                                  [3, 3, 3, 5, 5, 5, 7, 7, 7, 7, 9, 9])
    # sand-first coding 1 sand ... 12 clay (re-keyed by class name):
    np.testing.assert_array_equal(d.texture_table("sand-first", china=True).apply(np.arange(1, 13)),
                                  [9, 9, 7, 7, 7, 7, 5, 5, 5, 3, 3, 3])


# ----------------------------------------------------------------------------- the ESAI chain, by hand


def test_esai_chain_through_run_model_by_hand(esai_inputs):
    from steppe_geo.models import desertification_esai, run_model

    grid, inputs = esai_inputs
    res = run_model(desertification_esai(), inputs, grid=grid)
    # Worked by hand for the four 2 × 2 quadrants of the core (the rim is checked below):
    # SQI = (texture · parent 1.7 · rock 2.0 · depth 1 · slope 1.0 · drainage 1.0)^(1/6)
    #   sand (2.0): 6.8^(1/6) = exp(ln 6.8 / 6) = exp(1.916923 / 6) = 1.376422
    #   loam (1.0): 3.4^(1/6) = exp(1.223775 / 6) = 1.226252
    # CQI = (rainfall 300 mm → 1.80 · P/PET 0.25 → 1.45 · flat → 1.0)^(1/3) = 2.61^(1/3) = 1.376830
    # VQI = (fire · erosion · drought · cover)^(1/4)
    #   mobile sand, cover 0 %: (1.0 · 2.0 · 2.0 · 2.0)^(1/4) = 8^(1/4) = 1.681793
    #   typical steppe, cover 100 %: (1.3 · 1.3 · 1.2 · 1.0)^(1/4) = 2.028^(1/4) = 1.193348
    # MQI = (70 sheep units/km² → 1.66 · policy 1.5)^(1/2) = 2.49^(1/2) = 1.577973
    # ESAI = (SQI · CQI · VQI · MQI)^(1/4):
    #   sand texture, mobile sand: 1.376422 · 1.376830 · 1.681793 · 1.577973 = 5.029257 → 1.497531 (C2)
    #   loam texture, mobile sand: 1.226252 · 1.376830 · 1.681793 · 1.577973 = 4.480559 → 1.454900 (C2)
    #   sand texture, steppe:      1.376422 · 1.376830 · 1.193348 · 1.577973 = 3.568604 → 1.374436 (F3)
    #   loam texture, steppe:      1.226252 · 1.376830 · 1.193348 · 1.577973 = 3.179264 → 1.335309 (F3)
    core = (slice(1, 5), slice(1, 5))
    expect = {
        "sqi": [[1.376422] * 2 + [1.226252] * 2] * 4,
        "cqi": [[1.376830] * 4] * 4,
        "vqi": [[1.681793] * 4] * 2 + [[1.193348] * 4] * 2,
        "mqi": [[1.577973] * 4] * 4,
        "esai": [[1.497531] * 2 + [1.454900] * 2] * 2 + [[1.374436] * 2 + [1.335309] * 2] * 2,
    }
    for key, values in expect.items():
        np.testing.assert_allclose(res.layers[key].values[core], values, atol=1e-6, err_msg=key)
    # C2 = code 7 (1.425 ≤ ESAI < 1.53), F3 = code 5 (1.325 ≤ ESAI < 1.375)
    np.testing.assert_array_equal(res.layers["esa_class"].values[core], [[7] * 4] * 2 + [[5] * 4] * 2)
    # the rim has a slope too (the flat DEM's slope is 0 there, as gdaldem -compute_edges gives it), so
    # its ESAI is that of its inputs: the rim's first row repeats the second (same inputs)
    assert not np.isnan(res.layers["esai"].values).any()
    esai = res.layers["esai"].values
    np.testing.assert_allclose(esai[0, 1:5], esai[1, 1:5], atol=1e-12)
    # the score is the ESAI rescaled 1 → 0, 2 → 1
    np.testing.assert_allclose(res.score.values[core], np.array(expect["esai"]) - 1.0, atol=1e-6)


def test_unknown_land_cover_code_names_the_input_layer_and_the_parameter(esai_inputs):
    from steppe_geo.models import desertification_esai, run_model

    grid, inputs = esai_inputs
    lc = inputs["land_cover"].values.copy()
    lc[2, 2] = 105  # in no legend (70, snow and ice, is a WorldCover class the tables score)
    inputs["land_cover"] = inputs["land_cover"].copy(data=lc)
    with pytest.raises(
        InvalidParameterError,
        match=(r"model 'desertification_esai': input layer 'land_cover' has class codes \[105\] that "
               r"derivation 'vqi' \(fire_risk table\), derivation 'vqi' \(erosion_protection table\), "
               r"derivation 'vqi' \(drought_resistance table\) do not know.*legend 'worldcover'.*"
               r"model parameter fire_risk_scores.*"
               r"desertification_esai\(fire_risk_scores=\{105: <score>\}\).*"
               r"\[models.<name>.parameters.fire_risk_scores\]"),
    ):
        run_model(desertification_esai(), inputs, grid=grid)
    # scores for code 105 in all three tables: the model runs, and uses them
    scores = {"fire_risk_scores": {105: 1.0}, "erosion_protection_scores": {105: 2.0},
              "drought_resistance_scores": {105: 2.0}}
    res = run_model(desertification_esai(**scores), inputs, grid=grid)
    # like mobile sand (1.0, 2.0, 2.0; cover 0 %, sand texture) → the same ESAI as its neighbours
    np.testing.assert_allclose(res.layers["esai"].values[2, 2], 1.497531, atol=1e-6)


def test_unknown_texture_code_names_the_layer(esai_inputs):
    from steppe_geo.models import desertification_esai, run_model

    grid, inputs = esai_inputs
    tex = inputs["soil_texture"].values.copy()
    tex[1, 1] = 13
    inputs["soil_texture"] = inputs["soil_texture"].copy(data=tex)
    with pytest.raises(InvalidParameterError,
                       match=r"input layer 'soil_texture' has class codes \[13\].*parameter texture_scores"):
        run_model(desertification_esai(), inputs, grid=grid)
    res = run_model(desertification_esai(texture_scores={13: 2.0}), inputs, grid=grid)
    np.testing.assert_allclose(res.layers["sqi"].values[1, 1], 1.376422, atol=1e-6)  # scored like sand


def test_china_class_layer_in_the_result(esai_inputs):
    from steppe_geo.models import desertification_china, run_model

    grid, inputs = esai_inputs
    # Weibull wind climate: mean 7 m/s at 100 m, k = 2 → at 10 m v = 7 · (10/100)^(1/7) = 7 · 0.719686
    # = 5.037800 m/s, c = v / Γ(1.5) = 5.037800 / 0.886227 = 5.684548; P(V > 6) = exp(−(6 / 5.684548)²)
    # = exp(−1.114065) = 0.328222; 182 days × 0.328222 = 59.74 days → grade 7 ([45, 60))
    inputs = {**inputs,
              "wind_speed_100m": inputs["dem"].copy(data=np.full(grid.shape, 7.0)),
              "weibull_k": inputs["dem"].copy(data=np.full(grid.shape, 2.0))}
    res = run_model(desertification_china(), inputs, grid=grid)
    np.testing.assert_allclose(res.layers["windy_days"].values, 59.736, atol=0.001)
    # I: P/PET 0.25 → 5 (semi-arid); K: sand (sand-first 1) 9, loam (4) 7; C: 0 % → 9, 100 % → 1
    # D top-left = (5 · 7 · 9 · 9)^(1/4) = 2835^(1/4) = 7.2969 → high (4); bottom-right (5 · 7 · 7 · 1)^(1/4)
    # = 245^(1/4) = 3.9563 → slight (2)
    np.testing.assert_allclose(res.layers["china_sensitivity"].values[[0, 5], [0, 5]],
                               [2835 ** 0.25, 245 ** 0.25])
    np.testing.assert_array_equal(res.layers["china_sensitivity_class"].values[[0, 5], [0, 5]], [4, 2])
    assert res.layers["china_sensitivity_class"].attrs["flag_meanings"].split()[0] == "not_sensitive"
