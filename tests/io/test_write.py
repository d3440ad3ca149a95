"""Tests for steppe_geo.io.write: COG, streamed writer, vector formats, shapefile zip, text."""

from __future__ import annotations

import csv
import io
import json
import warnings
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
from affine import Affine
from hypothesis import given
from hypothesis import strategies as st

import steppe_geo as sg
from steppe_geo.errors import InvalidParameterError, OutputExistsError
from steppe_geo.io import (
    PROVENANCE_TAG,
    file_checksum,
    provenance_record,
    raster_writer,
    read_raster,
    save_figure,
    shapefile_field_names,
    write_json,
    write_raster,
    write_shapefile_zip,
    write_text,
    write_vector,
)

GRID = sg.Grid("EPSG:32649", Affine(30, 0, 400_000, 0, -30, 4_431_200), (700, 600))


def _field(rng, grid=GRID):
    return grid.to_dataarray(rng.random(grid.shape).astype(np.float32), name="wind_speed", units="m/s")


# ---------------------------------------------------------------------------- rasters
def test_write_raster_is_cog_and_round_trips(tmp_path, rng, assert_same_georef):
    da = _field(rng)
    da.values[0, :10] = np.nan
    prov = provenance_record(note="test")
    path = write_raster(da, tmp_path / "ws.tif", provenance=prov)
    with rasterio.open(path) as ds:
        assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert ds.profile["blockxsize"] == 512 and ds.profile["tiled"]
        assert ds.compression.name.lower() == "deflate"
        assert ds.overviews(1) == [2]
        assert np.isnan(ds.nodata) and ds.dtypes[0] == "float32"
        assert ds.descriptions == ("wind_speed",) and ds.units == ("m/s",)
        assert json.loads(ds.tags()[PROVENANCE_TAG])["parameters"] == {"note": "test"}
        np.testing.assert_array_equal(ds.read(1), da.values)
    back = read_raster(path)
    assert_same_georef(back, da)
    assert back.attrs["units"] == "m/s"
    np.testing.assert_array_equal(back.values, da.values)


def test_float64_is_written_as_float32(tmp_path, rng):
    da = _field(rng).astype(np.float64)
    with rasterio.open(write_raster(da, tmp_path / "f.tif")) as ds:
        assert ds.dtypes[0] == "float32"


def test_categorical_and_time_series_round_trip(tmp_path, rng):
    g = sg.Grid("EPSG:32649", Affine(30, 0, 400_000, 0, -30, 4_431_200), (20, 30))
    lc = g.to_dataarray(rng.integers(1, 5, g.shape).astype(np.uint8), nodata=255)
    lc.values[0, 0] = 255
    back = read_raster(write_raster(lc, tmp_path / "lc.tif"))
    assert back.dtype == np.uint8 and back.rio.nodata == 255 and back.attrs["kind"] == "categorical"
    np.testing.assert_array_equal(back.values, lc.values)
    series = g.to_dataarray(rng.random((3, *g.shape)).astype(np.float32)).rename(band="time")
    series = series.assign_coords(time=[2001, 2002, 2003])
    ts = read_raster(write_raster(series, tmp_path / "ndvi.tif"))
    assert ts.dims == ("time", "y", "x") and ts["time"].values.tolist() == [2001, 2002, 2003]
    np.testing.assert_array_equal(ts.values, series.values)


def test_raster_writer_streams_windows(tmp_path, rng):
    data = rng.random(GRID.shape).astype(np.float32)
    with raster_writer(tmp_path / "s.tif", GRID, units="1", band_names=["score"]) as w:
        for win in GRID.windows(256):
            r, c = win.core_slices
            w.write(data[r, c], win.core)
    with rasterio.open(tmp_path / "s.tif") as ds:
        np.testing.assert_array_equal(ds.read(1), data)
        assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.tif"]  # no temporary left


def test_raster_writer_unwritten_pixels_are_nodata(tmp_path):
    g = sg.Grid("EPSG:32649", Affine(30, 0, 400_000, 0, -30, 4_431_200), (10, 10))
    with raster_writer(tmp_path / "p.tif", g) as w:
        w.write(np.ones((5, 10), dtype=np.float32), rasterio.windows.Window(0, 0, 10, 5))
    v = read_raster(tmp_path / "p.tif").values
    assert np.all(v[:5] == 1) and np.all(np.isnan(v[5:]))


def test_raster_writer_wrong_shape(tmp_path):
    g = sg.Grid("EPSG:32649", Affine(30, 0, 400_000, 0, -30, 4_431_200), (10, 10))
    with pytest.raises(InvalidParameterError, match=r"array shape \(3, 3\) does not fit window"), \
            raster_writer(tmp_path / "p.tif", g) as w:
        w.write(np.ones((3, 3)), rasterio.windows.Window(0, 0, 10, 5))
    assert list(tmp_path.iterdir()) == []


def test_exception_leaves_no_file_and_previous_output_intact(tmp_path, rng):
    path = tmp_path / "out.tif"
    write_raster(_field(rng), path)
    before = file_checksum(path)
    with pytest.raises(RuntimeError, match="boom"), \
            raster_writer(path, GRID, overwrite=True) as w:
        w.write(np.zeros((256, 256), dtype=np.float32), rasterio.windows.Window(0, 0, 256, 256))
        raise RuntimeError("boom")
    assert file_checksum(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tif"]
    new = tmp_path / "new.tif"
    with pytest.raises(RuntimeError, match="boom"), raster_writer(new, GRID):
        raise RuntimeError("boom")
    assert not new.exists()


def test_overwrite_refused_without_flag(tmp_path, rng):
    path = write_raster(_field(rng), tmp_path / "a.tif")
    with pytest.raises(OutputExistsError, match=r"a\.tif.* exists already; pass overwrite=True"):
        write_raster(_field(rng), path)
    write_raster(_field(rng), path, overwrite=True)


def test_writing_over_an_input_is_refused(tmp_path, rng):
    inp = write_raster(_field(rng), tmp_path / "dem.tif")
    with pytest.raises(OutputExistsError, match=r"dem\.tif.* is one of this run's inputs"):
        write_raster(_field(rng), tmp_path / "." / "dem.tif", overwrite=True, protected=[inp])
    with pytest.raises(OutputExistsError, match="inputs"):
        write_text("x", inp, overwrite=True, protected=[str(inp)])


# ---------------------------------------------------------------------------- vectors
def _gdf() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["乌兰布和嘎查", "Өвөр Монгол"], "tenure_type_collective": ["collective", "state"],
         "tenure_type_contract": ["household", "none"], "area_ha": [12.5, 3.25], "pid": [1, 2],
         "grazing": [True, False]},
        geometry=[shapely.box(400_000, 4_430_000, 400_600, 4_430_600),
                  shapely.box(401_000, 4_430_500, 401_500, 4_431_000)],
        crs="EPSG:32649",
    )


def _assert_frames_equal(a, b, cols):
    for c in cols:
        assert a[c].tolist() == b[c].tolist(), c
    assert all(ga.equals(gb) for ga, gb in zip(a.geometry, b.geometry, strict=True))


def test_gpkg_round_trip_with_provenance_metadata(tmp_path):
    prov = {"model": "wind_onshore", "weights": [0.5, 0.5]}
    path = write_vector(_gdf(), tmp_path / "out.gpkg", layer="parcels", provenance=prov)
    back = pyogrio.read_dataframe(path, layer="parcels")
    _assert_frames_equal(back, _gdf(), ["name", "area_ha", "pid", "tenure_type_collective"])
    info = pyogrio.read_info(path, layer="parcels")
    assert json.loads(info["layer_metadata"][PROVENANCE_TAG]) == prov
    # not as dataset metadata: GDAL would keep that in a .aux.xml sidecar once the file is read
    assert info["dataset_metadata"] is None
    # a second layer in the same GeoPackage
    write_vector(_gdf().iloc[:1], path, layer="best", append_layer=True)
    assert sorted(pyogrio.list_layers(path)[:, 0].tolist()) == ["best", "parcels"]
    with pytest.raises(OutputExistsError, match="layer 'best' exists already"):
        write_vector(_gdf(), path, layer="best", append_layer=True)


@pytest.mark.parametrize("suffix", [".parquet", ".fgb", ".geojson"])
def test_other_vector_round_trips(tmp_path, suffix):
    path = write_vector(_gdf(), tmp_path / f"out{suffix}", provenance={"a": 1})
    back = gpd.read_parquet(path) if suffix == ".parquet" else pyogrio.read_dataframe(path)
    back = back.sort_values("pid").reset_index(drop=True)  # FlatGeobuf's spatial index reorders
    _assert_frames_equal(back, _gdf(), ["name", "area_ha", "pid"])
    assert back.crs.to_epsg() == 32649
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        meta = pq.read_schema(path).metadata
        assert json.loads(meta[b"steppe_geo_provenance"]) == {"a": 1}


def test_csv_is_attribute_table(tmp_path):
    path = write_vector(_gdf(), tmp_path / "table.csv")
    back = pd.read_csv(path, encoding="utf-8")
    assert list(back.columns) == [c for c in _gdf().columns if c != "geometry"]
    assert back["name"].tolist() == ["乌兰布和嘎查", "Өвөр Монгол"]


def test_unknown_vector_suffix(tmp_path):
    with pytest.raises(InvalidParameterError, match=r"vector format of .*out\.xyz.*\.gpkg"):
        write_vector(_gdf(), tmp_path / "out.xyz")


def test_shapefile_zip_utf8_short_unique_names_and_mapping(tmp_path):
    path = write_vector(_gdf(), tmp_path / "parcels.shp.zip")
    with zipfile.ZipFile(path) as zf:
        names = sorted(zf.namelist())
        assert names == sorted(["parcels.shp", "parcels.shx", "parcels.dbf", "parcels.prj",
                                "parcels.cpg", "fields.csv"])
        assert zf.read("parcels.cpg").decode().strip() == "UTF-8"
        mapping = list(csv.DictReader(io.StringIO(zf.read("fields.csv").decode("utf-8"))))
    back = pyogrio.read_dataframe(f"/vsizip/{path}")
    fields = [c for c in back.columns if c != "geometry"]
    assert all(len(f) <= 10 for f in fields)
    assert len({f.upper() for f in fields}) == len(fields)
    full = {m["field"]: m["column"] for m in mapping}
    assert full[fields[1]] == "tenure_type_collective" and full[fields[2]] == "tenure_type_contract"
    assert fields[1:3] == ["tenure_typ", "tenure_t_1"]
    assert back["name"].tolist() == ["乌兰布和嘎查", "Өвөр Монгол"]
    assert back["grazing"].tolist() == [1, 0]
    np.testing.assert_allclose(back["area_ha"], [12.5, 3.25])
    # read back through our reader too (zip via /vsizip/)
    assert sg.read_vector(path)["name"].tolist() == ["乌兰布和嘎查", "Өвөр Монгол"]


def test_shapefile_field_names_deterministic_and_unique():
    cols = ["distance_to_road", "distance_to_rail", "Distance_to_road_m", "名称", "x"]
    a = shapefile_field_names(cols)
    assert a == shapefile_field_names(cols)
    assert all(len(v) <= 10 for v in a.values())
    assert len({v.upper() for v in a.values()}) == len(cols)
    assert a["x"] == "x"
    assert shapefile_field_names(["long_column_name"], field_map={"long_column_name": "lcn"}) == {
        "long_column_name": "lcn"}
    with pytest.raises(InvalidParameterError, match=r"field_map\['a'\] = 'much_too_long'"):
        shapefile_field_names(["a"], field_map={"a": "much_too_long"})


def test_shapefile_long_text_is_cut_with_warning(tmp_path):
    gdf = _gdf()
    gdf["note"] = ["x" * 300, "short"]
    with pytest.warns(sg.errors.TruncationWarning, match=r"column 'note' .*1 value longer than 254 bytes"):
        path = write_shapefile_zip(gdf, tmp_path / "p.zip")
    back = pyogrio.read_dataframe(f"/vsizip/{path}")
    assert len(back["note"].iloc[0]) == 254


# ---------------------------------------------------------------------------- text, json, fig
def test_text_json_figure_and_checksum(tmp_path):
    import hashlib

    import matplotlib.pyplot as plt

    t = write_text("hello 乌兰", tmp_path / "a.txt")
    assert t.read_text(encoding="utf-8") == "hello 乌兰"
    assert file_checksum(t) == hashlib.sha256("hello 乌兰".encode()).hexdigest()
    j = write_json({"a": 1, "名": "Өвөр"}, tmp_path / "a.json")
    assert json.loads(j.read_text(encoding="utf-8")) == {"a": 1, "名": "Өвөр"}
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, 1])
    png = save_figure(fig, tmp_path / "f.png")
    pdf = save_figure(fig, tmp_path / "f.pdf")
    plt.close(fig)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:4] == b"%PDF"
    with pytest.raises(OutputExistsError, match=r"a\.json.* exists already"):
        write_json({}, j)


def test_provenance_record_has_inputs_with_checksums(tmp_path):
    p = write_text("data", tmp_path / "in.txt")
    rec = provenance_record({"dem": p}, weights=[1, 2])
    assert rec["inputs"]["dem"]["sha256"] == file_checksum(p)
    assert rec["parameters"] == {"weights": [1, 2]}
    assert rec["steppe_geo"] == sg.__version__ and rec["created_utc"].endswith("+00:00")
    with pytest.raises(sg.errors.InputNotFoundError, match=r"cannot checksum .*missing\.txt"):
        provenance_record({"x": tmp_path / "missing.txt"})


@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=25, unique=True))
def test_shapefile_field_names_property(columns):
    names = shapefile_field_names(columns)
    assert list(names) == columns
    assert all(1 <= len(v) <= 10 and v.isascii() for v in names.values())
    assert len({v.upper() for v in names.values()}) == len(columns)
    assert names == shapefile_field_names(columns)


def test_zstd_compression_and_unknown_compression(tmp_path, rng):
    path = write_raster(_field(rng), tmp_path / "z.tif", compress="zstd")
    with rasterio.open(path) as ds:
        assert ds.tags(ns="IMAGE_STRUCTURE")["COMPRESSION"] == "ZSTD"
    with pytest.raises(InvalidParameterError, match=r"compress.*'zstandard'.*'deflate', 'zstd'"):
        write_raster(_field(rng), tmp_path / "y.tif", compress="zstandard")
    assert not (tmp_path / "y.tif").exists()


def test_read_provenance_from_each_format(tmp_path, rng):
    from steppe_geo.io import read_provenance

    prov = provenance_record(model="wind")
    assert read_provenance(write_raster(_field(rng), tmp_path / "a.tif", provenance=prov)) == prov
    assert read_provenance(write_vector(_gdf(), tmp_path / "a.gpkg", provenance=prov)) == prov
    assert read_provenance(write_vector(_gdf(), tmp_path / "a.parquet", provenance=prov)) == prov
    assert read_provenance(write_raster(_field(rng), tmp_path / "b.tif")) is None
    with pytest.raises(sg.errors.InputNotFoundError, match=r"provenance of .*c\.tif"):
        read_provenance(tmp_path / "c.tif")


def test_columns_differing_only_in_case_are_refused_before_writing(tmp_path):
    bad = _gdf()
    bad["NAME"] = ["dup", "dup"]  # GeoPackage field names are case-insensitive: GDAL would fail
    with pytest.raises(InvalidParameterError, match=r"columns 'name' and 'NAME' differ only in case"):
        write_vector(bad, tmp_path / "bad.gpkg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("shape", "levels"), [
    ((1300, 2100), [2, 4, 8]),  # 2100 / 4 = 525 > 512 px: one more level; 2100 / 8 = 263 fits a block
    ((700, 520), [2]),
    ((400, 300), []),           # fits one 512 px block: no overview
])
def test_cog_overviews_levels_and_pixels(tmp_path, rng, shape, levels):
    import rasterio
    from affine import Affine

    from steppe_geo.io.write import _overview_factors

    assert _overview_factors(shape[1], shape[0]) == levels
    grid = sg.Grid("EPSG:32649", Affine(30.0, 0, 400_000.0, 0, -30.0, 4_500_000.0), shape)
    values = rng.random(shape, dtype=np.float32)
    values[rng.random(shape) < 0.1] = np.nan
    classes = rng.integers(1, 4, size=shape).astype(np.uint8)
    cont = sg.write_raster(grid.to_dataarray(values, name="score"), tmp_path / "score.tif")
    cat = sg.write_raster(grid.to_dataarray(classes, name="classes", nodata=0), tmp_path / "classes.tif")
    for path in (cont, cat):
        with rasterio.open(path) as ds:
            assert ds.overviews(1) == levels
            assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    if not levels:
        return
    # Level 1 by hand: the mean of each 2 x 2 block over its valid pixels (NaN where all are NaN) ...
    r, c = (shape[0] // 2) * 2, (shape[1] // 2) * 2
    blocks = values[:r, :c].reshape(r // 2, 2, c // 2, 2)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks
        expected = np.nanmean(blocks, axis=(1, 3))
    with rasterio.open(cont, overview_level=0) as ov:
        got = ov.read(1)[: r // 2, : c // 2]
    np.testing.assert_allclose(got, expected, rtol=1e-6, equal_nan=True)
    # ... and the most frequent class of each 2 x 2 block (blocks with a tie left out)
    cb = classes[:r, :c].reshape(r // 2, 2, c // 2, 2).transpose(0, 2, 1, 3).reshape(r // 2, c // 2, 4)
    counts = np.stack([(cb == k).sum(axis=2) for k in (1, 2, 3)], axis=-1)
    unique = (counts == counts.max(axis=-1, keepdims=True)).sum(axis=-1) == 1
    with rasterio.open(cat, overview_level=0) as ov:
        got = ov.read(1)[: r // 2, : c // 2]
    np.testing.assert_array_equal(got[unique], counts.argmax(axis=-1)[unique] + 1)


def _same_cog(a, b):
    """Two COGs hold the same pixels and metadata (dtype, nodata, tags, bands, overviews, layout)."""
    with rasterio.open(a) as x, rasterio.open(b) as y:
        assert (x.dtypes, x.count, x.shape, x.crs, x.transform) == (y.dtypes, y.count, y.shape, y.crs,
                                                                     y.transform)
        assert x.nodata == y.nodata or (np.isnan(x.nodata) and np.isnan(y.nodata))
        assert x.tags() == y.tags() and x.descriptions == y.descriptions and x.units == y.units
        assert x.overviews(1) == y.overviews(1)
        assert x.tags(ns="IMAGE_STRUCTURE") == y.tags(ns="IMAGE_STRUCTURE")
        np.testing.assert_array_equal(x.read(), y.read())
        for level in range(len(x.overviews(1))):
            with rasterio.open(a, overview_level=level) as xo, rasterio.open(b, overview_level=level) as yo:
                np.testing.assert_array_equal(xo.read(), yo.read())


def test_write_raster_streams_a_lazily_opened_array_window_by_window(tmp_path, rng):
    # a tiled intermediate (as a streamed run leaves it), opened lazily and written as a COG, gives the
    # file written from the same values in memory: pixels, overviews and metadata
    grid = sg.Grid("EPSG:32649", Affine(30, 0, 400_000, 0, -30, 4_431_200), (2100, 1300))  # 2 x 2 windows
    values = rng.uniform(0, 1, grid.shape).astype(np.float32)
    values[:100, :100] = np.nan
    tiled = tmp_path / "work" / "score.tif"
    with sg.io.tiled_writer(tiled, grid, dtype="float32", nodata=np.nan,
                            tags={"STEPPE_GEO_KIND": "continuous", "STEPPE_GEO_UNITS": "1"}) as ds:
        ds.write(values[np.newaxis])
    lazy = sg.io.open_lazy(tiled, name="score")
    assert not lazy.variable._in_memory  # nothing read yet
    in_memory = grid.to_dataarray(values, name="score", units="1")
    prov = {"model": "wind"}
    a = write_raster(in_memory, tmp_path / "memory.tif", provenance=prov, tags={"model": "wind"})
    b = write_raster(lazy, tmp_path / "lazy.tif", provenance=prov, tags={"model": "wind"})
    assert not lazy.variable._in_memory  # read window by window, never loaded whole
    _same_cog(a, b)
    # a Dask-backed array (arithmetic on the lazy file) is computed window by window too
    flags = (lazy.chunk({"y": 2048, "x": 2048}) > 0.5).astype(np.uint8).rio.write_nodata(255, encoded=False)
    ref = grid.to_dataarray((values > 0.5).astype(np.uint8), name="score", units=flags.attrs.get("units"))
    ref = ref.rio.write_nodata(255, encoded=False)
    _same_cog(write_raster(ref, tmp_path / "flags_memory.tif"), write_raster(flags, tmp_path / "flags.tif"))
