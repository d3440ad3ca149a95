"""Reliability catalogue: every CLI step reads what the previous step writes; absurd sizes are refused.

Issue 13, items 2 and 4 (command-line parts). The step chains are run in process with
``cli.main`` (click's runner) on small real files written to ``tmp_path``; the results are checked
against a hand calculation. The size cases write real VRT files declaring huge rasters (a few
lines of XML) and check that reading them is refused before anything is allocated.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psutil
import pytest
import shapely
from click.testing import CliRunner

import steppe_geo as sg
from steppe_geo.cli import main
from steppe_geo.errors import SizeLimitError
from steppe_geo.grid import MAX_GRID_PIXELS
from steppe_geo.io import read_raster, read_vector, write_raster, write_vector
from steppe_geo.pipeline import STAGE_PREFIX

CLI = [sys.executable, "-m", "steppe_geo.cli"]
CRS = "EPSG:32649"
IDS = ["001", "002", "003", "004", "005"]  # leading zeros: ids must stay text through a CSV
# Criterion a = column / 10; b = 0.2 in columns 0-4, 0.8 in columns 5-9 (10 x 4 pixels of 100 m).
# Parcel i covers columns 2i and 2i+1 exactly, so its means are (by hand):
A_MEAN = [0.05, 0.25, 0.45, 0.65, 0.85]
B_MEAN = [0.2, 0.2, 0.5, 0.8, 0.8]
WEIGHTS = {"a": 3.0, "b": 1.0}  # scaled to 0.75 / 0.25
SCORE = [0.75 * a + 0.25 * b for a, b in zip(A_MEAN, B_MEAN, strict=True)]  # .0875 .2375 .4625 .6875 .8375
RANK = [5, 4, 3, 2, 1]


def invoke(*args: str | Path):
    return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)


@pytest.fixture
def steps(tmp_path):
    """Parcels (GeoPackage) and two criterion rasters (GeoTIFF) on a 100 m grid in UTM 49N."""
    x0, y0 = 500_000.0, 4_400_000.0
    grid = sg.Grid.from_bounds((x0, y0, x0 + 1000, y0 + 400), crs=CRS, resolution_m=100)
    cols = np.arange(10, dtype=np.float32)
    a = np.tile(cols / 10, (4, 1)).astype(np.float32)
    b = np.tile(np.where(cols < 5, 0.2, 0.8), (4, 1)).astype(np.float32)
    write_raster(grid.to_dataarray(a, name="a"), tmp_path / "a.tif")
    write_raster(grid.to_dataarray(b, name="b"), tmp_path / "b.tif")
    parcels = gpd.GeoDataFrame(
        {"parcel_id": IDS},
        geometry=[shapely.box(x0 + 200 * i, y0, x0 + 200 * (i + 1), y0 + 400) for i in range(5)], crs=CRS)
    write_vector(parcels, tmp_path / "parcels.gpkg")
    return tmp_path


def _zonal(folder: Path, out: str):
    return invoke("zonal", folder / "parcels.gpkg", folder / "a.tif", folder / "b.tif", "--id-column",
                  "parcel_id", "--out", folder / out)


def _rank(folder: Path, src: str, out: str, *extra: str):
    return invoke("rank", folder / src, "--weights", "a=3,b=1", "--out", folder / out, *extra)


def _read_any(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype={"parcel_id": str})
    return read_vector(path)


# ----------------------------------------------------------------------------- zonal -> rank
@pytest.mark.case("correct_result")
@pytest.mark.parametrize("fmt", ["csv", "gpkg", "parquet", "fgb"])
def test_zonal_then_rank_in_every_format_gives_the_hand_calculated_ranking(steps, fmt):
    res = _zonal(steps, f"z.{fmt}")
    assert res.exit_code == 0, res.output
    out_fmt = "csv" if fmt == "csv" else fmt  # a table without geometry is ranked into a table
    res = _rank(steps, f"z.{fmt}", f"r.{out_fmt}")
    assert res.exit_code == 0, res.output
    assert "Ranked 5 of 5 parcels" in res.output
    ranked = _read_any(steps / f"r.{out_fmt}").set_index("parcel_id").loc[IDS]
    assert list(ranked.index) == IDS  # ids kept as text ("001", not 1)
    np.testing.assert_allclose(ranked["a_mean"], A_MEAN, atol=1e-6)
    np.testing.assert_allclose(ranked["b_mean"], B_MEAN, atol=1e-6)
    np.testing.assert_allclose(ranked["score"], SCORE, atol=1e-6)
    assert list(ranked["rank"].astype(int)) == RANK


@pytest.mark.case("clear_error")
def test_rank_of_a_csv_into_a_geopackage_is_refused_naming_the_formats(steps):
    assert _zonal(steps, "z.csv").exit_code == 0
    res = _rank(steps, "z.csv", "r.gpkg")
    assert res.exit_code == 1
    assert "Error: --out" in res.output and "r.gpkg" in res.output and "z.csv' is a table without geometry" \
        in res.output
    assert "only as .csv" in res.output and ".gpkg, .parquet or .fgb" in res.output
    assert not (steps / "r.gpkg").exists()


@pytest.mark.case("clear_error")
def test_map_of_a_csv_ranking_is_refused_naming_the_formats(steps):
    assert _zonal(steps, "z.csv").exit_code == 0 and _rank(steps, "z.csv", "r.csv").exit_code == 0
    res = invoke("map", steps / "r.csv", "--kind", "parcels", "--out", steps / "m.png")
    assert res.exit_code == 1
    assert "r.csv' is a CSV table without geometry; map --kind parcels reads a vector file" in res.output
    assert ".gpkg" in res.output and "--out NAME.gpkg" in res.output and "Traceback" not in res.output
    assert not (steps / "m.png").exists()


@pytest.mark.case("clear_error")
def test_export_of_a_csv_ranking_is_refused_naming_the_formats(steps):
    assert _zonal(steps, "z.csv").exit_code == 0 and _rank(steps, "z.csv", "r.csv").exit_code == 0
    res = invoke("export", steps / "r.csv", "--format", "gpkg", "--out", steps / "e.gpkg")
    assert res.exit_code == 1
    assert "r.csv' is a CSV table without geometry; export reads a vector file" in res.output
    assert not (steps / "e.gpkg").exists()


@pytest.mark.case("correct_result")
def test_zonal_rank_map_export_chain_of_the_cli_guide(steps):
    assert _zonal(steps, "z.gpkg").exit_code == 0
    assert _rank(steps, "z.gpkg", "r.gpkg").exit_code == 0
    res = invoke("map", steps / "r.gpkg", "--kind", "parcels", "--top", "3", "--out", steps / "r.png")
    assert res.exit_code == 0, res.output
    assert (steps / "r.png").read_bytes()[:4] == b"\x89PNG"
    res = invoke("export", steps / "r.gpkg", "--format", "shapefile", "--out", steps / "r.zip")
    assert res.exit_code == 0, res.output
    back = read_vector(steps / "r.zip").set_index("parcel_id").loc[IDS]
    assert list(back["rank"].astype(int)) == RANK


@pytest.mark.case("correct_result")
def test_zonal_into_csv_and_gpkg_rank_identically(steps):
    for fmt in ("csv", "gpkg"):
        assert _zonal(steps, f"z.{fmt}").exit_code == 0
        assert _rank(steps, f"z.{fmt}", f"r-{fmt}.csv").exit_code == 0
    from_csv = pd.read_csv(steps / "r-csv.csv", dtype={"parcel_id": str})
    from_gpkg = pd.read_csv(steps / "r-gpkg.csv", dtype={"parcel_id": str})
    pd.testing.assert_frame_equal(from_csv, from_gpkg)


@pytest.mark.case("correct_result")
def test_score_then_zonal_then_rank_reads_the_criteria_score_writes(steps, monkeypatch):
    monkeypatch.chdir(steps)
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(500_000, 4_400_000, 501_000, 4_400_400)], crs=CRS)
    write_vector(aoi, steps / "aoi.gpkg")
    (steps / "p.toml").write_text(
        '[sources]\naoi = "aoi.gpkg"\na = "a.tif"\n[grid]\nresolution_m = 100\n'
        '[[models.m.criteria]]\nname = "a"\nfunction = "linear"\nlow = 0.0\nhigh = 1.0\n'
        '[outputs]\ndirectory = "out"\n', encoding="utf-8")
    res = invoke("score", "p.toml", "--out", "s")
    assert res.exit_code == 0, res.output
    crit = steps / "s" / "rasters" / "m" / "criteria" / "a.tif"
    assert crit.exists()
    res = invoke("zonal", "parcels.gpkg", crit, "--eligible", steps / "s/rasters/m/eligible.tif",
                 "--id-column", "parcel_id", "--out", "z.gpkg")
    assert res.exit_code == 0, res.output
    res = invoke("rank", "z.gpkg", "--weights", "a=1", "--out", "r.csv")
    assert res.exit_code == 0, res.output
    ranked = pd.read_csv(steps / "r.csv", dtype={"parcel_id": str}).set_index("parcel_id").loc[IDS]
    # linear 0 -> 0, 1 -> 1 keeps a as it is; the run resamples it onto its own equal-area grid, which
    # moves values by up to half a column step (0.05) at the outer parcels' edges
    np.testing.assert_allclose(ranked["a_mean"], A_MEAN, atol=0.035)
    assert list(ranked["rank"].astype(int)) == RANK


@pytest.mark.case("clear_error")
def test_zonal_output_that_exists_is_refused_unchanged(steps):
    (steps / "z.csv").write_text("keep", encoding="utf-8")
    res = _zonal(steps, "z.csv")
    assert res.exit_code == 1
    assert "z.csv' exists already" in res.output and "--overwrite" in res.output
    assert (steps / "z.csv").read_text(encoding="utf-8") == "keep"


# ----------------------------------------------------------------------------- sizes
def _vrt(path: Path, cols: int, rows: int, dtype: str = "Float32") -> Path:
    path.write_text(
        f'<VRTDataset rasterXSize="{cols}" rasterYSize="{rows}">\n  <SRS>{CRS}</SRS>\n'
        f"  <GeoTransform>400000, 1, 0, 4500000, 0, -1</GeoTransform>\n"
        f'  <VRTRasterBand dataType="{dtype}" band="1"/>\n</VRTDataset>\n', encoding="utf-8")
    return path


@pytest.mark.case("clear_error")
def test_read_raster_of_a_vrt_declaring_8_terapixels_is_refused(tmp_path):
    vrt = _vrt(tmp_path / "huge.vrt", 4_000_000, 2_000_000)
    with pytest.raises(SizeLimitError) as info:
        read_raster(vrt)
    msg = str(info.value)
    assert "huge.vrt" in msg and "2,000,000 × 4,000,000" in msg and "MAX_GRID_PIXELS" in msg
    assert "streamed" in msg or "crop" in msg  # what to change
    assert isinstance(info.value, MemoryError)


@pytest.mark.case("clear_error")
def test_read_raster_larger_than_the_memory_available_is_refused_with_both_sizes(tmp_path):
    available = psutil.virtual_memory().available
    pixels = min(MAX_GRID_PIXELS - 1, 2 * available // 8 + 1)  # float64: twice the memory available
    side = math.isqrt(pixels)
    if side * side * 8 <= available:
        pytest.fail(f"this machine has {available} bytes available: more than a raster under the pixel cap")
    vrt = _vrt(tmp_path / "big.vrt", side, side, "Float64")
    with pytest.raises(SizeLimitError) as info:
        read_raster(vrt)
    msg = str(info.value)
    assert "big.vrt" in msg and f"{side:,} × {side:,}" in msg
    assert "GiB of memory" in msg and "available" in msg and "window" in msg


@pytest.mark.case("clear_error")
@pytest.mark.parametrize("command", ["map", "zonal"])
def test_cli_steps_refuse_a_huge_raster_before_reading_it(steps, command):
    vrt = _vrt(steps / "huge.vrt", 4_000_000, 2_000_000)
    if command == "map":
        res = invoke("map", vrt, "--out", steps / "h.png")
    else:
        res = invoke("zonal", steps / "parcels.gpkg", vrt, "--out", steps / "h.csv")
    assert res.exit_code == 1
    assert "Error: raster" in res.output and "huge.vrt" in res.output and "MAX_GRID_PIXELS" in res.output
    assert not (steps / "h.png").exists() and not (steps / "h.csv").exists()


@pytest.mark.case("clear_error")
def test_grid_of_absurd_size_is_refused_naming_a_resolution_that_fits():
    with pytest.raises(SizeLimitError, match=r"resolution 0.5 x 0.5: 4,000,000 × 8,000,000 .* choose a "
                       r"resolution of at least"):
        sg.Grid.from_bounds((0, 0, 4_000_000, 2_000_000), crs=CRS, resolution_m=0.5)


@pytest.mark.case("clear_error")
def test_demo_at_1_m_is_refused_before_anything_is_written(tmp_path):
    res = subprocess.run([*CLI, "demo", "--resolution", "1", "--out", "d"], capture_output=True, text=True,
                         cwd=tmp_path, env={**os.environ, "MPLBACKEND": "Agg"}, timeout=300)
    assert res.returncode == 1
    err = res.stderr
    assert "grid.resolution_m = 1" in err and "TiB of memory" in err and "is available" in err
    assert 'run.mode = "streamed"' in err and "coarser grid" in err
    assert "Traceback" not in err and "Unable to allocate" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no output, no lock, no staging folder
    assert not list(tmp_path.glob(STAGE_PREFIX + "*"))
