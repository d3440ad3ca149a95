"""Issue 11, item 10: the real-data example ``examples/esrp_idaho.toml`` end to end.

Real USGS inputs as delivered (DEM in feet, TIGER roads without our classes, NHD streams without
widths, GNIS points as settlements, an empty railway layer, a drawn concave AOI), synthetic
stand-ins only where no real layer exists (``examples/esrp_idaho/README.md``). One run of the
example is shared by the checks of items 1-9; the raw configuration a new user would write is
checked by ``validate`` (item 7).
"""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path

import exactextract
import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely

import steppe_geo as sg
from steppe_geo.config import config_from_dict, load_config
from steppe_geo.errors import ConfigError
from steppe_geo.pipeline import check_config, run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE = EXAMPLES / "esrp_idaho.toml"
REAL = Path(__file__).resolve().parent / "data" / "real" / "esrp_idaho"
MODELS = ("wind", "solar", "desertification", "restoration")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("esrp") / "out"
    with pytest.warns(sg.errors.PointFeaturesWarning):  # GNIS places are points (item 11)
        res = run(load_config(EXAMPLE), out_dir=out)
    return res


def _raster(path):
    with rasterio.open(path) as ds:
        return ds.read(1), ds.transform, ds.crs, ds.tags()


def _inside_aoi(out: Path, model: str):
    """Pixel centres inside the AOI polygon, by shapely (independent of the library's mask)."""
    _, transform, crs, _ = _raster(out / "rasters" / model / "eligible.tif")
    band, _, _, _ = _raster(out / "rasters" / model / "eligible.tif")
    aoi = gpd.read_file(EXAMPLES / "esrp_idaho" / "standins" / "aoi_drawn.gpkg").to_crs(crs)
    rows, cols = np.indices(band.shape)
    x, y = rasterio.transform.xy(transform, rows.ravel(), cols.ravel())
    inside = shapely.contains_xy(aoi.geometry.iloc[0], np.asarray(x), np.asarray(y)).reshape(band.shape)
    return inside, aoi


def _bits(tags):
    return {name.strip(): int(bit) for bit, name in re.findall(r"bit (\d+): ([^,]+)", tags["constraints"])}


def test_item1_the_aoi_polygon_bounds_every_model(result):
    out = result.out_dir
    for model in MODELS:
        inside, aoi = _inside_aoi(out, model)
        eligible, *_ = _raster(out / "rasters" / model / "eligible.tif")
        exclusion, _, _, tags = _raster(out / "rasters" / model / "exclusion.tif")
        bits = _bits(tags)
        assert bits["outside_aoi"] == 0 and bits["no_data"] == 1
        assert not (eligible[~inside] == 1).any(), model  # no eligible pixel outside the concave AOI
        assert ((exclusion & 1) == 1)[~inside].all() and not ((exclusion & 1) == 1)[inside].any()
        # shares are of the AOI: eligible_fraction = eligible ha / AOI ha
        m = result.summary["models"][model]
        assert m["eligible_fraction"] == pytest.approx(m["eligible_ha"] / m["aoi_ha"], rel=1e-6)
    # the concave AOI is not its bounding box: a third of the grid is outside it
    assert (~inside).mean() > 0.3
    for model in ("wind", "solar", "restoration"):
        regions = sg.read_vector(out / "parcels" / f"{model}.gpkg", layer="regions")
        # regions are made of whole pixels whose centres lie inside the AOI: no point of a region is
        # farther outside the AOI line than half a pixel diagonal (100 m pixels: 70.7 m)
        poly = aoi.to_crs(regions.crs).geometry.iloc[0]
        assert len(regions) and regions.geometry.within(poly.buffer(100 * 2**0.5 / 2 + 0.01)).all(), model
        assert not regions.geometry.within(poly.buffer(-1.0)).all()  # they do reach the boundary...
        inside_share = regions.geometry.intersection(poly).area / regions.geometry.area
        assert (inside_share > 0.5).all()  # ...from inside
        ranked = sg.read_vector(out / "parcels" / f"{model}.gpkg", layer="ranked_parcels")
        assert (ranked["eligible_area_ha"] <= ranked["aoi_area_ha"] + 1e-6).all()
        parcel_ha = ranked.geometry.area.to_numpy() / 1e4  # parcels are in an equal-area CRS
        assert (ranked["aoi_area_ha"].to_numpy() <= parcel_ha * 1.001 + 1.0).all()
    assert result.summary["parcels"]["wind"]["outside_aoi"] > 0  # the cadastre is larger than the AOI


def test_item2_parcel_scores_are_the_mean_of_the_written_score_raster(result):
    out = result.out_dir
    for model in ("wind", "solar", "restoration"):
        ranked = sg.read_vector(out / "parcels" / f"{model}.gpkg", layer="ranked_parcels")
        score_tif = out / "rasters" / model / "score.tif"
        with rasterio.open(score_tif) as ds:
            crs = ds.crs
        ee = exactextract.exact_extract(str(score_tif), ranked.to_crs(crs), "mean", output="pandas")
        ok = ranked["score"].notna().to_numpy()
        assert ok.sum() >= 10
        np.testing.assert_allclose(ranked["score"].to_numpy()[ok], ee["mean"].to_numpy()[ok], rtol=0,
                                   atol=1e-6)
    restoration = sg.read_vector(out / "parcels" / "restoration.gpkg", layer="ranked_parcels")
    # a weighted product is never explained by an additive breakdown
    assert not [c for c in restoration.columns if c.startswith(("share_", "contrib_"))]
    assert [c for c in restoration.columns if c.startswith("gain_")]


def test_item3_the_dem_declared_in_feet_is_read_in_metres(result):
    with rasterio.open(REAL / "dem_ft_albers.tif") as ds:
        feet = ds.read(1, masked=True)
    dem = result.summary["rasters"]["dem"]
    assert dem["units"] == "m"
    # the AOI's elevations, in metres: inside the file's range times 0.3048 (ft -> m, exact by definition)
    assert float(feet.min()) * 0.3048 - 1 <= dem["min"] < dem["max"] <= float(feet.max()) * 0.3048 + 1
    assert dem["max"] < 8900  # plausible as metres


def test_item4_nlcd_legend_excludes_developed_land_for_solar(result):
    out = result.out_dir
    exclusion, transform, crs, tags = _raster(out / "rasters" / "solar" / "exclusion.tif")
    lc = sg.read_raster(EXAMPLES / "esrp_idaho" / "standins" / "land_cover_nlcd.tif",
                        grid=sg.Grid(crs=crs, transform=transform, shape=exclusion.shape), kind="categorical")
    developed = np.isin(np.asarray(lc.values), (21, 22, 23, 24))
    inside, _ = _inside_aoi(out, "solar")
    bit = np.uint32(1) << np.uint32(_bits(tags)["land_cover_excluded"])
    assert (developed & inside).sum() > 100
    assert ((exclusion.astype(np.uint32) & bit) != 0)[developed & inside].all()


def test_item5_dropped_and_empty_layers(result):
    for model in ("wind", "solar"):
        notes = " ".join(result.summary["models"][model]["notes"])
        assert "dropped 'homesteads'" in notes and "dropped 'airport'" in notes
        assert "'railways'" in notes and "nothing here" in notes
    assert result.summary["vectors"]["railways"]["features"] == 0


def _raw_config() -> dict:
    """The configuration a new user writes first: the example without any edit validate asks for."""
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    raw = copy.deepcopy(data)
    raw["sources"]["dem"] = raw["sources"]["dem"]["path"]
    for m in raw["models"].values():
        for key in ("drop", "land_cover_legend", "parameters"):
            m.pop(key, None)
    return raw


def test_item7_validate_announces_every_required_edit_in_one_pass(tmp_path):
    raw = _raw_config()
    with pytest.raises(ConfigError) as err:
        check_config(config_from_dict(raw, base_dir=EXAMPLES, output_dir=tmp_path))
    message = str(err.value)
    expected = ['sources.dem.units', 'units = "ft"', 'models.wind.drop = ["homesteads", "airport"]',
                'models.solar.drop = ["homesteads", "airport"]',
                *(f'models.{m}.land_cover_legend = "nlcd"' for m in MODELS),
                'models.wind.parameters.river_width_column = ""', 'models.solar.parameters.road_class_column',
                'models.solar.parameters.river_width_column = ""']
    for text in expected:
        assert text in message, text
    # every line starts with the key to change
    lines = [line for line in message.splitlines()[1:] if line.startswith("- ")]
    assert len(lines) >= 9 and all(re.match(r"- (sources|models)\.\w+", line) for line in lines)
    # all the advice followed (the example as committed): validate passes
    check_config(load_config(EXAMPLE, output_dir=tmp_path))


def test_item8_no_data_has_its_own_bit_and_share(result):
    for model in MODELS:
        m = result.summary["models"][model]
        assert 0.0 <= m["no_data_fraction"] < 0.01 and not m["warnings"]  # the DEM covers the AOI
        assert "no_data" in m["constraints"]


def test_item9_parcels_with_too_little_eligible_land_are_listed_not_ranked(result):
    ranked = sg.read_vector(result.out_dir / "parcels" / "wind.gpkg", layer="ranked_parcels")
    is_ranked = ranked["status"] == "ranked"
    assert (ranked.loc[is_ranked, "eligible_fraction"] >= 0.1 - 1e-9).all()
    assert (~is_ranked).any() and ranked.loc[~is_ranked, "rank"].isna().all()
    assert ranked.loc[~is_ranked, "status"].str.contains("eligible land").all()
