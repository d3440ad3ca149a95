"""Tests for steppe_geo.datasets and the committed sample data (read back with rasterio/pyogrio)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
from pyproj import Geod

import steppe_geo as sg
from steppe_geo import datasets, samples
from steppe_geo.errors import InputNotFoundError, InvalidParameterError, MissingLayerError

REQUIRED = [
    "dem", "wind_speed_100m", "weibull_k", "wind_direction", "ghi", "ndvi", "precipitation", "pet",
    "soil_texture", "soil_depth", "land_cover", "parcels", "roads", "railways", "power_lines",
    "substations", "settlements", "homesteads", "protected_areas", "water", "airport", "townships",
    "aoi", "rivers",
]

# What the datasheet (sample_data/README.md) promises: CRS, dtype, nodata, kind, units, pixel size.
RASTERS = {
    "dem": ("EPSG:4326", "int16", -32768, "continuous", "m", 1 / 1200),
    "wind_speed_100m": ("EPSG:4326", "float32", -9999, "continuous", "m s-1", 0.0025),
    "weibull_k": ("EPSG:4326", "float32", -9999, "continuous", "1", 0.0025),
    "wind_direction": ("EPSG:4326", "float32", -9999, "continuous", "degree", 0.0025),
    "ghi": ("EPSG:4326", "float32", -9999, "continuous", "kWh m-2 yr-1", 0.01),
    "ndvi": ("EPSG:4326", "int16", -3000, "continuous", "1", 0.0025),
    "precipitation": ("EPSG:4326", "float32", -9999, "continuous", "mm yr-1", 0.01),
    "pet": ("EPSG:4326", "float32", -9999, "continuous", "mm yr-1", 0.01),
    "soil_texture": ("EPSG:4326", "uint8", 255, "categorical", "class", 0.0025),
    "soil_depth": ("EPSG:4326", "int16", -32768, "continuous", "cm", 0.0025),
    "land_cover": ("EPSG:32649", "uint8", 0, "categorical", "class", 30.0),
}
# Plausible value ranges stated in the datasheet (valid pixels, NDVI after scaling).
RANGES = {
    "dem": (1000, 1500), "wind_speed_100m": (6.0, 8.5), "weibull_k": (1.8, 2.4),
    "ghi": (1550, 1700), "precipitation": (250, 380), "pet": (1000, 1300), "ndvi": (-0.1, 0.92),
}
UTM_VECTORS = {"parcels", "homesteads"}


@pytest.fixture(scope="module")
def paths() -> dict[str, Path]:
    return datasets.sample_paths()


@pytest.fixture(scope="module")
def parcels(paths):
    return pyogrio.read_dataframe(paths["parcels"])


def test_all_required_keys_present_and_files_exist(paths):
    assert set(REQUIRED) <= set(paths)
    for key, p in paths.items():
        assert p.is_file(), key
    assert set(paths) == set(datasets.LAYERS)


def test_total_size_under_25_mb(paths):
    folder = paths["dem"].parent
    total = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    assert total < 25 * 1024**2


@pytest.mark.parametrize("key", sorted(RASTERS))
def test_raster_metadata_matches_datasheet(paths, key):
    crs, dtype, nodata, kind, units, res = RASTERS[key]
    with rasterio.open(paths[key]) as ds:
        assert ds.crs.to_string() == crs
        assert ds.dtypes[0] == dtype
        assert ds.nodata == nodata
        assert ds.tags()["STEPPE_GEO_KIND"] == kind == datasets.LAYERS[key].kind
        assert ds.tags()["units"] == units == datasets.LAYERS[key].units
        assert ds.res == pytest.approx((res, res), rel=1e-9)
        assert ds.profile["compress"].lower() == "deflate"
        if ds.width >= 256 and ds.height >= 256:
            assert ds.profile["tiled"]
        # every raster covers the AOI (108.9-109.7 E, 40.0-40.4 N)
        left, bottom, right, top = rasterio.warp.transform_bounds(ds.crs, "EPSG:4326", *ds.bounds)
        assert left <= 108.9 and right >= 109.7 and bottom <= 40.0 and top >= 40.4


@pytest.mark.parametrize("key", sorted(RANGES))
def test_raster_values_in_plausible_range(paths, key):
    lo, hi = RANGES[key]
    with rasterio.open(paths[key]) as ds:
        a = ds.read(masked=True).astype("float64") * ds.scales[0] + ds.offsets[0]
    assert lo - 1e-6 <= a.min() and a.max() <= hi + 1e-6  # float32 rounding


def test_ndvi_is_modis_like(paths):
    with rasterio.open(paths["ndvi"]) as ds:
        assert ds.count == 24
        assert ds.descriptions == tuple(str(y) for y in range(2001, 2025))
        assert ds.scales == (0.0001,) * 24 and ds.offsets == (0.0,) * 24
        raw = ds.read()
    fill = raw == -3000
    assert fill.any(axis=(1, 2)).all()  # scattered gaps every year
    assert fill[2003 - 2001].mean() > 0.05  # a large cloud gap in 2003
    assert not fill.all(axis=(1, 2)).any()  # but no year is entirely missing


def test_ndvi_has_degrading_stable_and_recovering_zones(paths):
    """OLS slope of the decoded series at the documented zone centres (datasheet table)."""
    with rasterio.open(paths["ndvi"]) as ds:
        def slope(lon, lat):
            r, c = ds.index(lon, lat)
            win = rasterio.windows.Window(c - 2, r - 2, 5, 5)
            v = ds.read(window=win, masked=True).astype("float64") * 1e-4
            series = v.mean(axis=(1, 2))  # mean of the 5x5 block ignores fill pixels
            return np.polyfit(np.arange(24), series, 1)[0]

        assert slope(109.15, 40.27) < -0.002  # degrading steppe
        assert slope(109.47, 40.13) > 0.002  # recovering dunes
        assert abs(slope(108.95, 40.05)) < 0.001  # stable dunes in the south-west


def test_land_cover_uses_worldcover_codes(paths):
    with rasterio.open(paths["land_cover"]) as ds:
        codes = set(np.unique(ds.read(1)).tolist())
    assert codes <= {0, 10, 20, 30, 40, 50, 60, 80, 90}
    assert {20, 30, 40, 50, 60, 80} <= codes


def test_soil_texture_codes(paths):
    with rasterio.open(paths["soil_texture"]) as ds:
        codes = set(np.unique(ds.read(1)).tolist())
    assert codes <= set(range(1, 13)) | {255}
    assert {1, 2} <= codes  # sand and loamy sand on the dunes


@pytest.mark.parametrize("key", sorted(set(REQUIRED) - set(RASTERS)))
def test_vector_layers_open_with_expected_crs(paths, key):
    info = pyogrio.read_info(paths[key] if key != "homesteads" else f"/vsizip/{paths[key]}")
    expected = "EPSG:32649" if key in UTM_VECTORS else "EPSG:4326"
    assert info["crs"] == expected
    assert info["features"] > 0


def test_parcels_messiness(parcels):
    assert 950 <= len(parcels) <= 1050
    assert parcels["parcel_id"].is_unique
    invalid = ~parcels.geometry.is_valid
    assert 3 <= invalid.sum() <= 5
    assert (shapely.get_num_geometries(parcels.geometry.to_numpy()) > 1).sum() == 1
    assert "grazing_rights_holder" in parcels.columns and len("grazing_rights_holder") > 10
    assert set(parcels["tenure"]) == {"collective", "state", "contracted household"}
    # repaired geometries stay within the AOI (parcels are clipped to it)
    aoi = pyogrio.read_dataframe(datasets.sample_paths()["aoi"]).to_crs(parcels.crs).geometry.iloc[0]
    assert shapely.make_valid(parcels.geometry[~invalid].union_all()).within(aoi.buffer(1))


def test_non_ascii_names_survive(parcels, paths):
    assert parcels["name_zh"].str.contains("嘎查").all()
    assert parcels["name_mn"].str.contains("[А-Яа-яӨөҮү]", regex=True).all()
    homesteads = pyogrio.read_dataframe(f"/vsizip/{paths['homesteads']}")
    assert homesteads["household"].str.endswith("户").all()
    with zipfile.ZipFile(paths["homesteads"]) as zf:
        assert zf.read("homesteads.cpg").decode().strip().upper().replace("-", "") == "UTF8"


def test_parcel_area_ha_matches_geometry(parcels):
    """``area_ha`` is the registered area: equal to the valid geometries' planar UTM area."""
    ok = parcels.geometry.is_valid
    np.testing.assert_allclose(parcels.loc[ok, "area_ha"], parcels.geometry[ok].area / 1e4, atol=0.01)


def test_features_cross_the_aoi_boundary(paths):
    aoi = pyogrio.read_dataframe(paths["aoi"]).to_crs("EPSG:32649").geometry.iloc[0]
    settlements = pyogrio.read_dataframe(paths["settlements"]).to_crs("EPSG:32649")
    outside = settlements[settlements.disjoint(aoi)]
    assert len(outside) == 1
    assert 200 < outside.distance(aoi).iloc[0] < 400  # ~300 m outside the boundary
    for key in ("roads", "power_lines", "protected_areas"):
        gdf = pyogrio.read_dataframe(paths[key]).to_crs("EPSG:32649")
        assert gdf.crosses(aoi.boundary).any() or gdf.overlaps(aoi).any(), key
    lines = pyogrio.read_dataframe(paths["power_lines"]).to_crs("EPSG:32649")
    line500 = lines[lines["voltage_kv"] == 500].geometry.iloc[0]
    assert line500.difference(aoi).length > 0.5 * line500.length  # runs mostly outside


def test_layer_attributes(paths):
    roads = pyogrio.read_dataframe(paths["roads"])
    assert set(roads["class"]) == {"expressway", "national", "provincial", "county", "track"}
    lines = pyogrio.read_dataframe(paths["power_lines"])
    assert set(lines["voltage_kv"]) == {110, 220, 500}
    subs = pyogrio.read_dataframe(paths["substations"])
    assert (subs["capacity_mva"] > 0).all()
    prot = pyogrio.read_dataframe(paths["protected_areas"])
    assert set(prot["designation"]) == {"nature_reserve", "ecological_red_line"}
    town = pyogrio.read_dataframe(paths["townships"])
    assert (town["sheep_units"] > 0).all() and (town["population"] > 0).all()


def test_aoi_is_about_70_by_45_km(paths):
    aoi = pyogrio.read_dataframe(paths["aoi"]).geometry.iloc[0]
    geod = Geod(ellps="WGS84")
    # hand check: 0.8° of longitude at 40.2° N ≈ 0.8 × 111.32 km × cos(40.2°) ≈ 68 km
    _, _, ew = geod.inv(108.9, 40.2, 109.7, 40.2)
    _, _, ns = geod.inv(109.3, 40.0, 109.3, 40.4)
    assert 66e3 < ew < 70e3 and 43e3 < ns < 46e3
    assert aoi.bounds == pytest.approx((108.9, 40.0, 109.7, 40.4))


def test_sample_grid_covers_aoi():
    grid = datasets.sample_grid(500)
    assert isinstance(grid, sg.Grid)
    assert grid.resolution == pytest.approx((500.0, 500.0)) or grid.resolution == pytest.approx(500.0)
    assert grid.crs.is_projected
    # 68 km × 44.5 km at 500 m → about 137 × 89 pixels
    assert 85 <= grid.shape[0] <= 95 and 130 <= grid.shape[1] <= 145


def test_sample_aligns_through_read_raster():
    grid = datasets.sample_grid(1000)
    paths = datasets.sample_paths()
    lc = sg.read_raster(paths["land_cover"], grid=grid)
    assert lc.dtype == np.uint8
    ndvi = sg.read_raster(paths["ndvi"], grid=grid)
    assert ndvi.dtype == np.float32 and ndvi.shape == (24, *grid.shape)


def test_describe():
    table = datasets.describe()
    assert table["ndvi"].kind == "continuous" and table["soil_texture"].kind == "categorical"
    assert datasets.describe("land_cover").crs == "EPSG:32649"
    with pytest.raises(MissingLayerError, match=r"no layer 'ndiv'.*did you mean 'ndvi'"):
        datasets.describe("ndiv")
    with pytest.raises(MissingLayerError, match=r"no layer 'zzz' \(layers: airport, aoi, dem"):
        datasets.describe("zzz")


def test_sample_grid_rejects_bad_resolution():
    with pytest.raises(InvalidParameterError, match=r"resolution_m must be a finite number > 0, got 0"):
        datasets.sample_grid(0)


def test_missing_sample_dir_raises(tmp_path):
    with pytest.raises(InputNotFoundError, match=r"sample data not found; looked in .*nowhere"):
        samples._first_sample_dir([tmp_path / "nowhere"])
    (tmp_path / "aoi.gpkg").write_bytes(b"")
    assert samples._first_sample_dir([tmp_path / "nowhere", tmp_path]) == tmp_path


def test_wheel_bundles_sample_data_and_finds_it(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(repo)],
                   check=True, capture_output=True)
    (wheel,) = tmp_path.glob("steppe_geo-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "site")
    for layer in datasets.LAYERS.values():
        assert f"steppe_geo/sample_data/{layer.file}" in names
    assert "steppe_geo/sample_data/README.md" in names
    code = ("import steppe_geo, steppe_geo.datasets as d; p = d.sample_paths(); "
            "print(steppe_geo.__file__); print(p['dem'])")
    prelude = f"import sys; sys.path.insert(0, {str(tmp_path / 'site')!r}); "
    out = subprocess.run([sys.executable, "-I", "-c", prelude + code],
                         check=True, capture_output=True, text=True).stdout.split("\n")
    site = (tmp_path / "site").resolve()
    assert Path(out[0]).resolve().is_relative_to(site)
    assert Path(out[1]).resolve() == site / "steppe_geo" / "sample_data" / "dem.tif"


@pytest.mark.slow
def test_generator_is_byte_reproducible(tmp_path):
    """The datasheet promises byte-identical regeneration: run the generator twice and compare."""
    import time

    script = Path(__file__).resolve().parents[1] / "sample_data" / "generate.py"
    for run in ("a", "b"):
        subprocess.run([sys.executable, str(script), "--out", str(tmp_path / run)], check=True,
                       capture_output=True)
        time.sleep(1.1)  # later wall-clock time: would show in DBF/zip/GeoPackage dates if unpinned
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert {layer.file for layer in datasets.LAYERS.values()} <= set(names)
    differ = [n for n in names if (tmp_path / "a" / n).read_bytes() != (tmp_path / "b" / n).read_bytes()]
    assert differ == []


def test_committed_sample_files_carry_the_pinned_dates_and_version(paths):
    import sqlite3

    with zipfile.ZipFile(paths["homesteads"]) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2026, 1, 1, 0, 0, 0)}
        dbf = zf.read("homesteads.dbf")
    assert tuple(dbf[1:4]) == (126, 1, 1)  # dBASE header: years since 1900, month, day
    for key, p in paths.items():
        if p.suffix == ".gpkg":
            con = sqlite3.connect(f"{p.as_uri()}?mode=ro", uri=True)
            try:
                # GeoPackage 1.2 (user_version 10200) opens without warning in GDAL 3.6 / older QGIS
                assert con.execute("PRAGMA user_version").fetchone()[0] == 10200, key
                dates = {r[0] for r in con.execute("SELECT last_change FROM gpkg_contents")}
            finally:
                con.close()
            assert dates == {"2026-01-01T00:00:00.000Z"}, key


# Datasheet (sample_data/README.md, "Rasters" table): valid-pixel range after scaling, and whether
# the file has nodata pixels inside its extent. Bilinear and average resampling take weighted
# means of source pixels, so aligned values stay within the source range (4 significant digits
# in the table, hence the relative slack).
DATASHEET_RANGES = {
    "dem": (1000, 1478, False), "wind_speed_100m": (6.623, 8.173, False), "weibull_k": (1.8, 2.4, False),
    "wind_direction": (291.7, 320.3, False), "ndvi": (-0.0526, 0.7011, True),
    "soil_depth": (6, 218, True), "ghi": (1550, 1686, False), "precipitation": (253.6, 366.6, False),
    "pet": (1051, 1300, False),
}
DATASHEET_CLASSES = {"soil_texture": ({1, 2, 3, 4, 5}, 255),
                     "land_cover": ({10, 20, 30, 40, 50, 60, 80, 90}, 0)}


def test_every_sample_raster_aligns_onto_one_100m_grid(paths):
    aoi = sg.read_vector(paths["aoi"])
    grid = sg.Grid.for_area(aoi, resolution_m=100)
    assert set(DATASHEET_RANGES) | set(DATASHEET_CLASSES) == set(RASTERS)
    for key in sorted(RASTERS):
        da = sg.read_raster(paths[key], grid=grid)
        assert sg.Grid.from_dataarray(da).same_as(grid), key
        assert da.shape[-2:] == grid.shape and da.attrs["kind"] == datasets.LAYERS[key].kind, key
        if key in DATASHEET_CLASSES:
            codes, nodata = DATASHEET_CLASSES[key]
            assert da.dtype == np.uint8 and da.rio.nodata == nodata, key
            present = set(np.unique(da.values).tolist())
            assert present - {nodata} <= codes, key  # nearest/mode never invent classes
            assert len(present - {nodata}) >= len(codes) - 1, key  # and keep (nearly) all of them
            continue
        lo, hi, has_nodata = DATASHEET_RANGES[key]
        assert da.dtype == np.float32 and np.isnan(da.rio.nodata), key
        v = da.values
        assert np.isnan(v).any() == has_nodata, key  # the grid lies inside every raster's extent
        slack = 5e-4 * max(abs(lo), abs(hi))
        assert lo - slack <= np.nanmin(v) and np.nanmax(v) <= hi + slack, key
        if key == "ndvi":
            assert da["time"].values.tolist() == list(range(2001, 2025))
            assert da.attrs["resampling"] == "bilinear"  # 250 m source, 100 m grid: refining
        if key == "ghi":
            assert da.attrs["resampling"] == "bilinear"
    lc = sg.read_raster(paths["land_cover"], grid=grid)
    assert lc.attrs["resampling"] == "mode"  # 30 m classes onto 100 m: coarsening


# ------------------------------------------------------------------ synthetic regions (issue 12, item 8)
REGION_SIZE = (100, 160)  # at 500 m: about 50 km x 80 km, two mirrored tiles east-west


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> dict[str, Path]:
    return datasets.synthetic_region(tmp_path_factory.mktemp("region") / "r", size_px=REGION_SIZE,
                                     resolution_m=500, window=64)


def test_region_has_every_sample_layer_with_its_encoding(region):
    assert set(region) == set(datasets.LAYERS)
    for key, (crs, dtype, nodata, kind, units, res) in RASTERS.items():
        with rasterio.open(region[key]) as ds:
            assert ds.dtypes[0] == dtype and ds.nodata == nodata, key
            assert ds.tags()["STEPPE_GEO_KIND"] == kind and ds.tags()["units"] == units, key
            assert "synthetic" in ds.tags()["SYNTHETIC"], key
            assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG", key
            assert ds.block_shapes[0] == (512, 512) or max(ds.shape) < 512, key
            if key == "land_cover":  # the UTM zone of the region's centre (49N here)
                assert ds.crs.to_string() == crs and ds.res == (500.0, 500.0)
            elif key == "dem":  # about the region's resolution, in degrees
                assert ds.crs.to_string() == crs and ds.res[0] == pytest.approx(500 / 110_574)
            else:
                assert ds.crs.to_string() == crs and ds.res[0] == pytest.approx(res), key
    with rasterio.open(region["ndvi"]) as ds:
        assert ds.count == 24 and ds.scales == (0.0001,) * 24 and ds.descriptions[0] == "2001"
        fill = (ds.read() == -3000).mean(axis=(1, 2))
    assert (fill > 0).all() and fill[[2, 11, 15]].min() > fill.min()  # clouds every year, large in 2003/12/16


@pytest.mark.parametrize("key", sorted(RANGES))
def test_region_values_stay_in_the_sample_ranges(region, key):
    lo, hi = RANGES[key]
    with rasterio.open(region[key]) as ds:
        data = ds.read(masked=True).astype(float) * (ds.scales[0] or 1.0)
    tol = 1e-6 * max(abs(lo), abs(hi))  # float32 storage of the clipped bounds
    assert lo - tol <= data.min() and data.max() <= hi + tol


def test_region_vectors_keep_the_messiness_and_unique_ids(region):
    parcels = pyogrio.read_dataframe(region["parcels"])
    assert parcels.crs.to_epsg() == 32649  # UTM like the sample's parcels
    assert parcels["parcel_id"].is_unique
    assert (~shapely.is_valid(parcels.geometry.values)).sum() > 0  # the sample's bowties, copied per tile
    assert parcels["name_zh"].str.contains("嘎查").any()
    assert len(parcels) > len(pyogrio.read_dataframe(datasets.sample_paths()["parcels"]))  # > one tile
    townships = pyogrio.read_dataframe(region["townships"])
    assert set(parcels["township_id"].dropna()) <= set(townships["township_id"])  # references kept
    with zipfile.ZipFile(region["homesteads"]) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2026, 1, 1, 0, 0, 0)}
    aoi = pyogrio.read_dataframe(region["aoi"])
    assert len(aoi) == 1 and aoi.geometry.iloc[0].is_valid and "合成" in aoi["name_zh"].iloc[0]
    # every parcel lies in the AOI (the centre of its bounds), so a run's grid covers them all
    b = shapely.bounds(parcels.to_crs(aoi.crs).geometry.values)
    assert shapely.contains_xy(aoi.geometry.iloc[0], (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2).all()
    rows, cols = sg.Grid.for_area(aoi, resolution_m=500).shape
    assert rows <= REGION_SIZE[0] and cols <= REGION_SIZE[1]  # the AOI is inside the requested size
    assert rows * cols > 0.6 * REGION_SIZE[0] * REGION_SIZE[1]


def test_region_config_validates(region):
    from steppe_geo.config import load_config
    from steppe_geo.pipeline import check_config

    cfg = load_config(region["aoi"].parent / datasets.REGION_CONFIG)
    check_config(cfg)
    assert cfg.run.mode == "streamed" and len(cfg.models) == 4


def test_region_is_byte_identical_for_a_seed_and_differs_for_another(tmp_path):
    a = datasets.synthetic_region(tmp_path / "a", size_px=48, resolution_m=1000, window=32)
    b = datasets.synthetic_region(tmp_path / "b", size_px=48, resolution_m=1000, window=32)
    c = datasets.synthetic_region(tmp_path / "c", size_px=48, resolution_m=1000, window=32, seed=7)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert [n for n in names if (tmp_path / "a" / n).read_bytes() != (tmp_path / "b" / n).read_bytes()] == []
    with rasterio.open(a["dem"]) as da, rasterio.open(c["dem"]) as dc:
        assert not np.array_equal(da.read(), dc.read())
    assert b  # same keys


def test_fold_mirrors_tiles_so_fields_are_continuous():
    from steppe_geo.synthetic import elevation, fold

    # by hand: 109.7 + d folds to 109.7 - d (east edge of the sample AOI), 40.0 - d to 40.0 + d (south)
    d = np.array([0.001, 0.05, 0.3])
    lon, _ = fold(109.7 + d, np.full(3, 40.2))
    np.testing.assert_allclose(lon, 109.7 - d)
    _, lat = fold(np.full(3, 109.0), 40.0 - d)
    np.testing.assert_allclose(lat, 40.0 + d)
    left = elevation(*fold(109.7 - 1e-4, 40.2))
    right = elevation(*fold(109.7 + 1e-4, 40.2))
    assert abs(float(left - right)) < 0.5  # metres: continuous across the mirrored edge


def test_region_rasters_are_written_window_by_window_in_bounded_memory(tmp_path):
    """A 2048 x 2048 layer in 256-pixel windows: numpy's peak stays far below one whole-grid array."""
    import tracemalloc

    from rasterio.transform import from_origin

    from steppe_geo.datasets import _REGION_RASTERS, _region_values, _write_region_raster

    spec = next(s for s in _REGION_RASTERS if s.name == "dem")
    path = tmp_path / "dem.tif"
    transform = from_origin(108.9, 40.4, 1 / 1200, 1 / 1200)
    tracemalloc.start()
    _write_region_raster(spec, path, crs="EPSG:4326", transform=transform, shape=(2048, 2048), seed=3,
                         window=256)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    whole = 2048 * 2048 * 8  # one float64 array of the whole grid: 32 MiB; elevation needs several
    assert peak < whole / 4, f"peak {peak / 2**20:.1f} MiB"
    # a window read back equals the recipe evaluated on that window alone
    with rasterio.open(path) as ds:
        got = ds.read(1, window=rasterio.windows.Window(1000, 700, 50, 40))
        assert ds.shape == (2048, 2048)
    xs = transform.c + (np.arange(1000, 1050) + 0.5) * transform.a
    ys = transform.f + (np.arange(700, 740) + 0.5) * transform.e
    lon, lat = np.meshgrid(xs, ys)
    np.testing.assert_array_equal(got, _region_values(spec, lon, lat, 3, np.random.default_rng(0))[0])


def test_region_argument_errors(tmp_path):
    from steppe_geo.errors import OutputExistsError

    with pytest.raises(InvalidParameterError, match=r"size_px must be an integer > 0 or \(rows, cols\).* 0"):
        datasets.synthetic_region(tmp_path / "x", size_px=0)
    with pytest.raises(InvalidParameterError, match=r"resolution_m must be a finite number > 0, got -5"):
        datasets.synthetic_region(tmp_path / "x", size_px=10, resolution_m=-5)
    with pytest.raises(InvalidParameterError, match=r"window must be an integer > 0 pixels, got 0"):
        datasets.synthetic_region(tmp_path / "x", size_px=10, window=0)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match=r"full.*exists and is not an empty folder.*overwrite=True"):
        datasets.synthetic_region(tmp_path / "full", size_px=10)
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["keep.txt"]


def test_make_region_command(tmp_path):
    cli = [sys.executable, "-m", "steppe_geo.cli"]
    out = tmp_path / "reg"
    proc = subprocess.run([*cli, "make-region", str(out), "--size", "40x60", "--resolution", "1000"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "region.toml" in proc.stdout and (out / "region.toml").is_file() and (out / "dem.tif").is_file()
    proc = subprocess.run([*cli, "make-region", str(out), "--size", "40x60"], capture_output=True, text=True)
    assert proc.returncode == 1 and "--overwrite" in proc.stderr  # not replaced silently
    proc = subprocess.run([*cli, "make-region", str(tmp_path / "z"), "--size", "40by60"], capture_output=True,
                          text=True)
    assert proc.returncode == 2 and "--size" in proc.stderr and "ROWSxCOLS" in proc.stderr


def test_sample_record_is_a_synthetic_3_hourly_year(paths):
    import xarray as xr

    path = datasets.sample_record_path()
    assert path.name == datasets.RECORD_FILE and path.stat().st_size < 3 * 1024**2
    with xr.open_dataset(path, decode_coords="all") as ds:  # read independently of steppe_geo.io
        assert "SYNTHETIC" in ds.attrs and ds.attrs["wind_height_m"] == 10.0
        assert ds.sizes["time"] == 365 * 8
        steps = np.diff(ds["time"].values).astype("timedelta64[h]").astype(int)
        assert set(steps.tolist()) == {3}
        assert str(ds["time"].values[0])[:10] == "2023-01-01"
        assert {ds[v].attrs["units"] for v in ("wind_speed", "wind_direction", "ghi")} == {"m s-1", "degree",
                                                                                           "W m-2"}
        speed, direction, ghi = (ds[v].values.astype(float) for v in ("wind_speed", "wind_direction", "ghi"))
        xs, ys = ds["x"].values, ds["y"].values
    assert speed.min() >= 0 and speed.max() <= 25 and 3 < speed.mean() < 4.5
    assert direction.min() >= 0 and direction.max() < 360
    # covers the AOI (108.9–109.7 E, 40.0–40.4 N)
    assert xs.min() - 0.05 <= 108.9 and xs.max() + 0.05 >= 109.7
    assert ys.min() - 0.05 <= 40.0 and ys.max() + 0.05 >= 40.4
    # the year of GHI adds up to ghi.tif where the pixel centre falls inside it (3 h × W/m² → kWh/m²)
    annual = ghi.sum(axis=0) * 3 / 1000
    with rasterio.open(paths["ghi"]) as src:
        lon, lat = np.meshgrid(xs, ys)
        inside = (lon > src.bounds.left) & (lon < src.bounds.right) & (lat > src.bounds.bottom) & (
            lat < src.bounds.top)
        sampled = np.array([v[0] for v in src.sample(zip(lon[inside], lat[inside], strict=True))])
    np.testing.assert_allclose(annual[inside], sampled, rtol=0.02)
