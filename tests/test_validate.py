"""``validate`` finds what ``run`` would find, in one pass, and its advice works (issue 11, item 7).

Real data: the USGS Eastern Snake River Plain files as delivered (DEM in feet without a units tag,
TIGER roads without a class column, NHD streams without widths, GNIS city points) with the
laboratory outline ``inl.gpkg`` as the AOI. Layers no real file exists for (GHI, wind speed, land
cover and four small siting layers) are stand-ins written here: a GHI in W m-2, an untagged
WorldCover-coded land cover, an NLCD-coded one.
"""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
from affine import Affine

from steppe_geo.config import config_from_dict
from steppe_geo.datasets import sample_paths
from steppe_geo.errors import ConfigError, PointFeaturesWarning, UndeclaredUnitsWarning
from steppe_geo.pipeline import check_config, run

REAL = Path(__file__).resolve().parent / "data" / "real" / "esrp_idaho"


def _tif(path: Path, data: np.ndarray, crs: object, transform: Affine, *, units: str | None = None) -> str:
    data = data[np.newaxis] if data.ndim == 2 else data
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1],
                       count=data.shape[0], dtype=data.dtype, crs=crs, transform=transform) as ds:
        ds.write(data)
        if units:
            ds.units = (units,) * data.shape[0]
    return path.name


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[Path, dict]:
    """The Idaho files as delivered, stand-ins for the missing layers, and the config a new user writes."""
    root = tmp_path_factory.mktemp("idaho")
    for f in ("inl.gpkg", "dem_ft_albers.tif", "roads.gpkg", "streams.gpkg", "lakes.gpkg", "cities.gpkg"):
        shutil.copy(REAL / f, root / f)
    with rasterio.open(REAL / "dem_ft_albers.tif") as ds:
        crs, transform = ds.crs, ds.transform * Affine.scale(20)  # 2 km stand-ins
        shape = (ds.height // 20 + 1, ds.width // 20 + 1)
    rng = np.random.default_rng(11)
    _tif(root / "ghi_wm2.tif", (190 + 10 * rng.random(shape)).astype("float32"), crs, transform)
    _tif(root / "wind.tif", (6 + rng.random(shape)).astype("float32"), crs, transform, units="m s-1")
    worldcover = rng.choice(np.array([10, 20, 30, 50, 60, 80], "uint8"), shape)
    _tif(root / "worldcover.tif", worldcover, crs, transform)
    _tif(root / "nlcd.tif", rng.choice(np.array([11, 21, 22, 52, 71, 81], "uint8"), shape), crs, transform)
    _tif(root / "odd_codes.tif", rng.choice(np.array([3, 7, 240, 250], "uint8"), shape), crs, transform)
    _tif(root / "ghi_2band.tif", np.stack([(1700 + rng.random(shape)).astype("float32")] * 2), crs, transform,
         units="kWh m-2 yr-1")
    centre = shapely.box(*gpd.read_file(REAL / "inl.gpkg").total_bounds).centroid
    for n in ("homesteads", "railways", "airport", "protected_areas"):  # stand-ins: no real layer
        stand_in = gpd.GeoDataFrame({"name": [n]}, geometry=[centre.buffer(200)], crs=crs.to_wkt())
        stand_in.to_file(root / f"{n}.gpkg")
    config = {
        "sources": {
            "aoi": "inl.gpkg", "dem": "dem_ft_albers.tif", "ghi": "ghi_wm2.tif",
            "wind_speed_100m": "wind.tif",
            "land_cover": "worldcover.tif", "roads": "roads.gpkg", "power_lines": "roads.gpkg",
            "rivers": "streams.gpkg", "water": "lakes.gpkg", "settlements": "cities.gpkg",
            "homesteads": "homesteads.gpkg", "railways": "railways.gpkg", "airport": "airport.gpkg",
            "protected_areas": "protected_areas.gpkg",
        },
        "grid": {"aoi": "aoi", "resolution_m": 1000},
        "models": {"wind": {"preset": "wind_onshore"}, "solar": {"preset": "solar_pv"}},
    }
    return root, config


def _check(root: Path, data: dict) -> None:
    check_config(config_from_dict(data, base_dir=root, output_dir=root))


def _problems(root: Path, data: dict) -> list[str]:
    """The problems validate reports (one message, or the list of a multi-problem message)."""
    with pytest.raises(ConfigError) as info:
        _check(root, data)
    text = str(info.value)
    return text.split("\n- ")[1:] if "\n- " in text else [text]


def _declare(data: dict, name: str, **options: object) -> None:
    value = data["sources"][name]
    data["sources"][name] = {**(value if isinstance(value, dict) else {"path": value}), **options}


# The advice of each message of the first validation, applied as a user would (one edit each).
ADVICE = {
    "sources.dem.units": lambda d: _declare(d, "dem", units="ft"),
    "sources.ghi.units": lambda d: _declare(d, "ghi", units="W m-2"),
    "sources.land_cover.kind": lambda d: _declare(d, "land_cover", kind="categorical"),
    "models.wind.parameters.river_width_column": lambda d: d["models"]["wind"].setdefault(
        "parameters", {}).update(river_width_column=""),
    "models.solar.parameters.river_width_column": lambda d: d["models"]["solar"].setdefault(
        "parameters", {}).update(river_width_column=""),
    "models.solar.parameters.road_class_column": lambda d: d["models"]["solar"].setdefault(
        "parameters", {}).update(road_class_column="", road_setbacks_m={"*": 100.0}),
}


def test_first_validation_announces_every_required_edit_in_one_pass(project):
    root, data = project
    problems = _problems(root, data)
    keys = [p.split(":")[0] for p in problems]
    assert sorted(keys) == sorted(ADVICE)
    text = "\n".join(problems)
    # each names the file, the value and the fix
    assert re.search(r"'dem_ft_albers\.tif' \(elevation\) has values 4,413\.\.12,128, outside the plausible "
                     r"range -450\.\.8,900 m .* units = \"ft\"", text)
    assert re.search(r"'ghi_wm2\.tif' \(ghi\) has values 190.*\.\.199.*In 'W m-2'", text)
    assert re.search(r"reads 'worldcover\.tif' as classes .*\(no STEPPE_GEO_KIND tag, no colour table.* "
                     r"Found codes 10, 20, 30, 50, 60, 80\. Declare it: sources\.land_cover = "
                     r"\{ path = \"worldcover\.tif\", kind = \"categorical\" \}", text)
    assert re.search(r"class column 'class' of 'roads' \(roads\.gpkg\).* Columns are: name, id, prisec_fl",
                     text)


@pytest.mark.parametrize("key", sorted(ADVICE))
def test_following_each_message_removes_it_and_adds_none(project, key):
    root, data = project
    before = _problems(root, data)
    fixed = copy.deepcopy(data)
    ADVICE[key](fixed)
    after = _problems(root, fixed)
    assert [p for p in before if not p.startswith(key + ":")] == after


def test_all_advice_followed_the_config_passes_and_runs(project, tmp_path):
    root, data = project
    fixed = copy.deepcopy(data)
    for advice in ADVICE.values():
        advice(fixed)
    _check(root, fixed)  # strict pytest: no warning either (every unit declared or tagged)
    fixed["models"] = {"solar": fixed["models"]["solar"]}
    fixed["outputs"] = {"directory": str(tmp_path / "out"), "maps": [], "report": False, "vectors": []}
    with pytest.warns(PointFeaturesWarning, match="cities.gpkg"):  # GNIS places are points: announced
        result = run(config_from_dict(fixed, base_dir=root))
    dem = result.summary["rasters"]["dem"]
    assert dem["units"] == "m" and dem["source_units"] == "ft"
    assert 1_400 < dem["min"] and dem["max"] < 3_700  # metres: the plain lies at 1,450–1,650 m
    assert result.summary["rasters"]["ghi"]["source_units"] == "W m-2"


def test_run_stops_on_the_same_problems_before_writing_anything(project, tmp_path):
    root, data = project
    cfg = config_from_dict({**data, "outputs": {"directory": str(tmp_path / "out")}}, base_dir=root)
    with pytest.raises(ConfigError, match=r"6 problems with the configuration and its inputs"):
        run(cfg)
    assert not (tmp_path / "out").exists()


def _fixed(data: dict) -> dict:
    fixed = copy.deepcopy(data)
    for advice in ADVICE.values():
        advice(fixed)
    return fixed


def test_another_land_cover_legend_is_found_and_the_replacement_passes(project):
    root, data = project
    nlcd = _fixed(data)
    _declare(nlcd, "land_cover", path="nlcd.tif")
    problems = _problems(root, nlcd)
    # one message per model that reads the layer as classes, naming the legend the codes fit
    assert len(problems) == 2
    for m, preset in (("wind", "wind_onshore"), ("solar", "solar_pv")):
        p = next(p for p in problems if p.startswith(f"models.{m}.land_cover_legend: "))
        assert re.search(rf"model '{preset}': input layer 'land_cover' \(nlcd\.tif\) has class codes "
                         r"\[11, 21, 22, 52, 71, 81\]", p)
        assert p.endswith(f'In this configuration: models.{m}.land_cover_legend = "nlcd"')
    for m in ("wind", "solar"):  # the advice followed
        nlcd["models"][m]["land_cover_legend"] = "nlcd"
    _check(root, nlcd)
    # codes no built-in legend holds: the advice is to score them (criterion) or recode the layer
    odd = _fixed(data)
    _declare(odd, "land_cover", path="odd_codes.tif")
    problems = _problems(root, odd)
    assert problems and all(p.startswith(("models.wind", "models.solar")) for p in problems)
    assert all("No built-in legend has all of them" in p for p in problems)


def test_multi_band_raster_needs_a_band(project):
    root, data = project
    fixed = _fixed(data)
    _declare(fixed, "ghi", path="ghi_2band.tif", units=None)
    del fixed["sources"]["ghi"]["units"]
    (problem,) = _problems(root, fixed)
    assert re.match(r"sources\.ghi\.band: raster 'ghi_2band\.tif' has 2 bands .* choose the band: "
                    r"sources\.ghi = "
                    r"\{ path = \"ghi_2band\.tif\", band = 1 \} \(bands 1\.\.2\)", problem)
    _declare(fixed, "ghi", band=1)
    _check(root, fixed)


def test_classes_declared_continuous_or_stored_as_floats_are_refused(project):
    root, data = project
    fixed = _fixed(data)
    _declare(fixed, "land_cover", kind="continuous")
    (problem,) = _problems(root, fixed)
    assert re.match(r"sources\.land_cover\.kind: declared 'continuous', but .* reads 'worldcover\.tif' "
                    r"as classes", problem)
    _declare(fixed, "land_cover", kind="categorical")
    _check(root, fixed)
    floats = _fixed(data)
    floats["sources"]["land_cover"] = "wind.tif"
    assert any(re.match(r"sources\.land_cover: .* reads 'wind\.tif' as classes .* holds float32 values", p)
               for p in _problems(root, floats))


def test_options_of_the_other_kind_are_refused_and_removing_them_passes(project):
    root, data = project
    fixed = _fixed(data)
    _declare(fixed, "roads", units="m")
    (problem,) = _problems(root, fixed)
    assert problem.startswith("sources.roads.units: 'roads.gpkg' is a vector file; "
                              "'units' does not apply to it")
    del fixed["sources"]["roads"]["units"]
    _check(root, fixed)


def test_gbk_shapefile_is_announced_by_validate_and_encoding_passes(project, tmp_path):
    root, data = project
    cities = gpd.read_file(root / "cities.gpkg")
    cities["name"] = ["鄂尔多斯"] * len(cities)
    pyogrio.write_dataframe(cities, tmp_path / "cities_gbk.shp", encoding="GBK")
    (tmp_path / "cities_gbk.cpg").unlink()
    fixed = _fixed(data)
    fixed["sources"]["settlements"] = str(tmp_path / "cities_gbk.shp")
    (problem,) = _problems(root, fixed)
    assert re.match(r"sources\.settlements\.encoding: vector file 'cities_gbk\.shp': .* not UTF-8, .* "
                    r"Declare it: "
                    r"sources\.settlements = \{ path = \"" + re.escape(str(tmp_path / "cities_gbk.shp"))
                    + r"\", encoding = \"gbk\" \}$", problem)
    _declare(fixed, "settlements", encoding="gbk")
    _check(root, fixed)


def test_raster_of_another_area_has_no_pixel_in_the_aoi(project):
    root, data = project
    fixed = _fixed(data)
    fixed["sources"]["wind_speed_100m"] = str(sample_paths()["wind_speed_100m"])  # Inner Mongolia, not Idaho
    (problem,) = _problems(root, fixed)
    assert re.match(r"sources\.wind_speed_100m: raster 'wind_speed_100m\.tif' has no valid pixel inside "
                    r"the area of interest \(it does not cover the area of interest\); give a raster that "
                    r"covers the area "
                    r"\(check sources\.wind_speed_100m\.path", problem)
    fixed["sources"]["wind_speed_100m"] = "wind.tif"
    _check(root, fixed)


def test_road_classes_without_setbacks_are_listed_and_a_default_passes(project):
    root, data = project
    fixed = _fixed(data)
    fixed["models"]["solar"]["parameters"] = {"river_width_column": "", "road_class_column": "prisec_fl"}
    (problem,) = _problems(root, fixed)
    assert re.match(r"models\.solar\.parameters\.road_setbacks_m: preset 'solar_pv' has no setback for the "
                    r"classes .* of column 'prisec_fl' in 'roads'", problem)
    fixed["models"]["solar"]["parameters"]["road_setbacks_m"] = {"expressway": 200.0, "*": 100.0}
    _check(root, fixed)


def test_undeclared_dem_units_warn_and_declaring_them_silences(tmp_path):
    # a DEM in metres without a units tag: plausible, but nothing says so
    paths = sample_paths()
    with rasterio.open(paths["dem"]) as ds:
        data, profile = ds.read(), ds.profile
    with rasterio.open(tmp_path / "dem.tif", "w", **profile) as ds:
        ds.write(data)  # no tags copied
    config = {"sources": {"aoi": str(paths["aoi"]), "dem": "dem.tif"}, "grid": {"aoi": "aoi"},
              "models": {"restoration": {"preset": "restoration_priority"}}}
    for k in ("precipitation", "pet", "soil_texture", "soil_depth", "land_cover", "ndvi", "townships",
              "roads", "settlements"):
        config["sources"][k] = str(paths[k])
    with pytest.warns(UndeclaredUnitsWarning, match=r"sources\.dem\.units: raster 'dem\.tif' \(elevation\) "
                                                    r"says "
                                                    r"nothing about its units; .* units = \"m\""):
        _check(tmp_path, config)
    _declare(config, "dem", units="m")
    _check(tmp_path, config)


def test_missing_census_column_is_named(tmp_path):
    paths = sample_paths()
    townships = gpd.read_file(paths["townships"]).rename(columns={"sheep_units": "livestock"})
    townships.to_file(tmp_path / "townships.gpkg")
    config = {"sources": {k: str(paths[k]) for k in ("aoi", "dem", "precipitation", "pet", "soil_texture",
                                                      "soil_depth", "land_cover", "ndvi")},
              "grid": {"aoi": "aoi"}, "models": {"esai": {"preset": "desertification_esai"}}}
    config["sources"]["townships"] = "townships.gpkg"
    (problem,) = _problems(tmp_path, config)
    assert re.match(r"sources\.townships: preset 'desertification_esai' \(derivation 'grazing_density'\) "
                    r"reads the census column 'sheep_units' .* of 'townships\.gpkg', which has no such "
                    r"column\. "
                    r"Columns are: .*livestock", problem)


def test_a_rare_class_missed_by_the_sample_is_found_at_full_resolution(tmp_path):
    # 2000 x 2000 px of class 10 with one pixel of class 50: the decimated sample misses it
    lc = np.full((2000, 2000), 10, dtype=np.uint8)
    lc[0, 0] = 50
    t = Affine(30, 0, 400_000, 0, -30, 4_431_000)
    with rasterio.open(tmp_path / "lc.tif", "w", driver="GTiff", width=2000, height=2000, count=1,
                       dtype="uint8", crs="EPSG:32649", transform=t) as ds:
        ds.write(lc, 1)
        ds.update_tags(STEPPE_GEO_KIND="categorical")
    from steppe_geo.io.plausibility import raster_statistics

    assert 50 not in raster_statistics(tmp_path / "lc.tif").codes  # the precondition of this test
    gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_371_000, 460_000, 4_431_000)],
                     crs="EPSG:32649").to_file(tmp_path / "aoi.gpkg")
    config = {"sources": {"aoi": "aoi.gpkg", "lc": "lc.tif"}, "grid": {"aoi": "aoi"},
              "models": {"m": {"criteria": [{"name": "lc", "function": "categorical",
                                             "table": {"10": 1.0, "50": 0.0}}],
                               "constraints": [{"type": "categories", "name": "built_up", "layer": "lc",
                                                "exclude": [50]}]}}}
    _check(tmp_path, config)  # class 50 exists: the constraint is not "matching nothing"
    config["models"]["m"]["constraints"][0]["exclude"] = [80]
    (problem,) = _problems(tmp_path, config)
    assert re.match(r"models\.m\.constraints: constraint 'built_up' of custom overlay excludes codes 80 of "
                    r"'lc', but 'lc\.tif' holds none of them \(codes found: 10, 50\)", problem)


def test_class_declarations_that_cannot_hold_are_refused_and_their_fix_passes(project):
    root, data = project
    fixed = _fixed(data)
    _declare(fixed, "land_cover", scale=0.5)
    (problem,) = _problems(root, fixed)
    assert problem == ("sources.land_cover.scale: 'worldcover.tif' is read as classes; scale applies to "
                       "measurements only. Remove it: sources.land_cover = { path = \"worldcover.tif\", "
                       "kind = \"categorical\" }")
    del fixed["sources"]["land_cover"]["scale"]
    _check(root, fixed)
    _declare(fixed, "wind_speed_100m", kind="categorical")
    (problem,) = _problems(root, fixed)
    assert problem == ("sources.wind_speed_100m.kind: declared 'categorical', but 'wind.tif' holds float32 "
                       "values; classes are integer codes. Remove the declaration: sources.wind_speed_100m = "
                       "{ path = \"wind.tif\" }")
    del fixed["sources"]["wind_speed_100m"]["kind"]
    _check(root, fixed)


def test_advice_keeps_the_path_as_written_and_the_options_declared(project):
    root, data = project
    (root / "sub").mkdir(exist_ok=True)
    shutil.copy(root / "dem_ft_albers.tif", root / "sub" / "dem_ft_albers.tif")
    fixed = _fixed(data)
    fixed["sources"]["dem"] = {"path": "sub/dem_ft_albers.tif", "band": 1, "resampling": "average"}
    (problem,) = _problems(root, fixed)
    assert problem.endswith('declare the units, sources.dem = { path = "sub/dem_ft_albers.tif", '
                            'resampling = "average", band = 1, units = "ft" }')
    _declare(fixed, "dem", units="ft")
    _check(root, fixed)
