"""Inputs given as URLs, read by GDAL over HTTP (``/vsicurl/``) from a local server (issue 12, item 5).

The server (``range_server.py``, a separate process on 127.0.0.1) serves a folder holding the sample
rasters converted to Cloud-Optimized GeoTIFFs and the sample vector files. The reference for every
URL read is the same file read from the local disk.
"""

import email.utils
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio
import rasterio.shutil
from click.testing import CliRunner

import steppe_geo as sg
from steppe_geo.cli import main
from steppe_geo.config import config_from_dict
from steppe_geo.errors import InputNotFoundError, InvalidParameterError
from steppe_geo.io import align_to_file, provenance_record, read_window
from steppe_geo.io.remote import check_remote, gdal_path, input_path, is_remote, source_name
from steppe_geo.pipeline import run
from steppe_geo.pipeline.estimate import read_headers

# the sample parcels hold invalid geometries on purpose (repaired with a warning)
pytestmark = pytest.mark.filterwarnings("ignore::steppe_geo.errors.InvalidGeometryWarning")

RESOLUTION_M = 800.0  # the sample AOI at 800 m: 56 x 86 pixels
SERVER = Path(__file__).with_name("range_server.py")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base URL, folder): the sample rasters as COGs and the sample vectors, served over HTTP."""
    folder = tmp_path_factory.mktemp("served")
    for path in map(Path, sg.datasets.sample_paths().values()):
        if path.suffix == ".tif":
            # nearest-neighbour overviews: the land-cover codes of a decimated read stay codes
            rasterio.shutil.copy(path, folder / path.name, driver="COG", overview_resampling="NEAREST")
        else:
            shutil.copy(path, folder / path.name)
    proc = subprocess.Popen([sys.executable, str(SERVER), str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}", folder
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def _inputs(base: str | Path) -> dict[str, str]:
    """The sample inputs, under ``base`` (a URL or a folder)."""
    names = {k: Path(v).name for k, v in sg.datasets.sample_paths().items()}
    return {k: f"{base}/{n}" for k, n in names.items()}


# ---------------------------------------------------------------------------- telling URLs from files
@pytest.mark.parametrize(("source", "remote", "gdal"), [
    # the mapping GDAL documents for its network file systems (gdal.org/user/virtual_file_systems.html)
    ("https://example.org/cogs/dem.tif", True, "/vsicurl/https://example.org/cogs/dem.tif"),
    ("HTTP://example.org/dem.tif", True, "/vsicurl/HTTP://example.org/dem.tif"),
    ("s3://bucket/key/dem.tif", True, "/vsis3/bucket/key/dem.tif"),
    ("gs://bucket/dem.tif", True, "/vsigs/bucket/dem.tif"),
    ("/vsicurl/https://example.org/dem.tif", True, "/vsicurl/https://example.org/dem.tif"),
    ("/vsis3/bucket/dem.tif", True, "/vsis3/bucket/dem.tif"),
    ("data/dem.tif", False, "data/dem.tif"),
    ("C:/data/dem.tif", False, "C:/data/dem.tif"),
    ("/vsizip/data/roads.zip", False, "/vsizip/data/roads.zip"),  # a local archive: a file
])
def test_is_remote_and_gdal_path(source, remote, gdal):
    assert is_remote(source) is remote
    assert gdal_path(source) == gdal
    assert (input_path(source) == source) if remote else (input_path(source) == Path(source))


def test_a_path_object_is_never_remote_and_names_drop_the_query():
    assert not is_remote(Path("https:/example.org/dem.tif"))  # what Path("https://...") becomes
    assert source_name("https://example.org/a/dem.tif?token=x") == "dem.tif"
    assert source_name("/vsicurl/https://example.org/a/ndvi.tif") == "ndvi.tif"


# ---------------------------------------------------------------------------- readers
def test_read_raster_and_align_over_http_equal_the_file(served, tmp_path):
    base, folder = served
    aoi = sg.read_vector(folder / "aoi.gpkg")
    grid = sg.Grid.from_bounds(tuple(aoi.to_crs("EPSG:32649").total_bounds), crs="EPSG:32649",
                               resolution_m=RESOLUTION_M)
    for name in ("dem.tif", "ndvi_2001_2024.tif", "land_cover.tif"):
        url, local = f"{base}/{name}", folder / name
        a, b = sg.read_raster(url, grid=grid), sg.read_raster(local, grid=grid)
        np.testing.assert_array_equal(a.values, b.values, err_msg=name)
        assert a.attrs["kind"] == b.attrs["kind"] and a.dtype == b.dtype
        # strip by strip into a tiled file (the first stage of streamed and Dask runs)
        out = align_to_file(url, tmp_path / f"url-{name}", grid=grid, rows=7)
        ref = align_to_file(local, tmp_path / f"file-{name}", grid=grid, rows=7)
        np.testing.assert_array_equal(read_window(out).values, read_window(ref).values, err_msg=name)


def test_read_vector_over_http_equals_the_file(served):
    base, folder = served
    for name in ("roads.gpkg", "railways.geojson", "homesteads.shp.zip"):
        a, b = sg.read_vector(f"{base}/{name}"), sg.read_vector(folder / name)
        assert len(a) == len(b) > 0 and a.crs == b.crs, name
        assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all(), name
    assert sg.io.vector_columns(f"{base}/parcels.gpkg") == sg.io.vector_columns(folder / "parcels.gpkg")


def test_geoparquet_urls_are_refused_with_the_reason(served):
    base, _ = served
    with pytest.raises(InvalidParameterError, match=r"GeoParquet is read from local files only"):
        sg.read_vector(f"{base}/parcels.parquet")


# ---------------------------------------------------------------------------- errors, early
def test_unreachable_or_missing_urls_are_refused_when_the_config_is_read(served, tmp_path):
    base, _ = served
    for url, reason in ((f"{base}/missing.tif", "HTTP response code: 404"),
                        ("http://127.0.0.1:1/dem.tif", "Failed to connect")):
        data = {"sources": {**_inputs(base), "dem": url}, "grid": {"aoi": "aoi"}}
        match = rf"^sources\.dem: cannot open remote input '{url}'.*{reason}"
        with pytest.raises(InputNotFoundError, match=match):
            config_from_dict(data, base_dir=tmp_path)
    with pytest.raises(InputNotFoundError, match=r"^sources\.roads: cannot open remote input"):
        check_remote(f"{base}/missing.gpkg", key="sources.roads")
    check_remote(f"{base}/roads.gpkg", key="sources.roads")  # a vector dataset: opens


def test_validate_names_the_key_and_url_of_a_missing_input(served, tmp_path):
    base, _ = served
    inputs = {**_inputs(base), "ghi": f"{base}/nope/ghi.tif"}
    lines = ["[sources]", *(f'{k} = "{v}"' for k, v in inputs.items()), "[grid]", 'aoi = "aoi"']
    (tmp_path / "c.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(tmp_path / "c.toml")])
    assert res.exit_code == 1
    assert f"sources.ghi: cannot open remote input '{base}/nope/ghi.tif'" in res.output


# ---------------------------------------------------------------------------- provenance, sizes
def test_provenance_of_a_url_records_what_the_server_says(served):
    base, folder = served
    rec = provenance_record({"dem": f"{base}/dem.tif", "aoi": folder / "aoi.gpkg"})["inputs"]
    local = folder / "dem.tif"
    assert rec["dem"]["path"] == f"{base}/dem.tif" and rec["dem"]["sha256"] is None
    assert rec["dem"]["remote"]["size_bytes"] == os.path.getsize(local)
    # http.server's Last-Modified: the file's mtime as an RFC 7231 date
    assert rec["dem"]["remote"]["last_modified"] == email.utils.formatdate(int(local.stat().st_mtime),
                                                                           usegmt=True)
    assert len(rec["aoi"]["sha256"]) == 64  # a local file is still hashed


def test_size_estimate_reads_the_headers_over_http(served, tmp_path):
    base, folder = served
    cfg = config_from_dict({"sources": _inputs(base), "grid": {"aoi": "aoi"}}, base_dir=tmp_path)
    assert cfg.sources["dem"] == f"{base}/dem.tif"  # kept as written, not resolved against base_dir
    headers = {h.name: h for h in read_headers(cfg)}
    for name in ("dem", "ndvi"):
        with rasterio.open(folder / Path(cfg.sources[name]).name) as ds:
            assert headers[name].shape == (ds.count, ds.height, ds.width), name


# ---------------------------------------------------------------------------- whole runs
def _data(inputs: dict[str, str]) -> dict:
    return {
        "sources": inputs,
        "grid": {"aoi": "aoi", "resolution_m": RESOLUTION_M},
        "models": {"wind": {"preset": "wind_onshore"}},
        "parcels": {"source": "parcels", "id_column": "parcel_id", "rank_by": ["wind"],
                    "n_draws": 20},
        "outputs": {"maps": [], "report": False},
    }


def test_runs_with_url_inputs_equal_runs_with_the_files_in_every_mode(served, tmp_path):
    base, folder = served
    local = config_from_dict(_data(_inputs(folder)), base_dir=tmp_path, output_dir=tmp_path)
    ref = run(local, out_dir=tmp_path / "file")
    remote = _data(_inputs(base))
    outs = {}
    for mode, extra in (("memory", {}), ("streamed", {"mode": "streamed", "window": 32}),
                        ("dask", {"mode": "streamed", "window": 32, "workers": 2})):
        cfg = config_from_dict({**remote, "run": extra}, base_dir=tmp_path, output_dir=tmp_path)
        outs[mode] = run(cfg, out_dir=tmp_path / mode)
        assert outs[mode].files == ref.files, mode
    assert outs["dask"].summary["provenance"]["inputs"]["dem"]["path"] == f"{base}/dem.tif"
    for mode in outs:
        for model in ("wind",):
            for part in ("exclusion", "eligible", "score"):
                a = sg.read_raster(tmp_path / "file" / "rasters" / model / f"{part}.tif").values
                b = sg.read_raster(tmp_path / mode / "rasters" / model / f"{part}.tif").values
                if part == "score":
                    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6, equal_nan=True, err_msg=mode)
                else:
                    np.testing.assert_array_equal(a, b, err_msg=f"{mode} {model} {part}")
        ranked = [pyogrio.read_dataframe(tmp_path / m / "parcels" / "wind.gpkg", layer="ranked_parcels")
                  for m in ("file", mode)]
        assert list(ranked[0]["parcel_id"]) == list(ranked[1]["parcel_id"]), mode
