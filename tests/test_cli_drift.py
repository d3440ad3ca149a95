"""`steppe-geo drift`: a station record's DP/RDP/RDD/class and rose; a gridded stack's raster."""

from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from steppe_geo.cli import main
from steppe_geo.criteria import drift_potential, drift_potential_grid
from steppe_geo.datasets import sample_record_path
from steppe_geo.io import read_raster_stack, read_station_record

NSRDB = Path(__file__).resolve().parent / "data" / "real" / "nsrdb" / "nsrdb_psm4_401182_2023.csv"


def invoke(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def test_drift_station_record_prints_the_figures_and_writes_the_rose(tmp_path):
    rose = tmp_path / "rose.png"
    res = invoke("drift", NSRDB, "--rose", rose)
    assert res.exit_code == 0, res.output
    expected = drift_potential(read_station_record(NSRDB))  # 2 m (NSRDB) → 10 m, z0 0.03 m
    assert f"DP      {expected.dp:.1f} VU (intermediate energy)" in res.output
    assert f"RDP     {expected.rdp:.1f} VU" in res.output
    assert f"RDD     {expected.rdd_deg:.0f}° (towards" in res.output
    assert "17520 records, regular, 30 min, 8760 h; wind at 2 m → 10 m" in res.output
    assert rose.stat().st_size > 10_000
    # the rose is not replaced without --overwrite
    res = invoke("drift", NSRDB, "--rose", rose)
    assert res.exit_code == 1 and "overwrite" in res.output.lower()
    # read as if at 10 m: the low-energy figure of the methods reference (≈ 38 VU)
    res = invoke("drift", NSRDB, "--height", 10)
    assert "DP      37.8 VU (low energy)" in res.output


def test_drift_gridded_stack_writes_the_raster(tmp_path):
    out = tmp_path / "across.tif"
    res = invoke("drift", sample_record_path(), "--out", out, "--quantity", "dp_across_rows")
    assert res.exit_code == 0, res.output
    path = sample_record_path()
    grid = drift_potential_grid(read_raster_stack(path, variable="wind_speed"),
                                read_raster_stack(path, variable="wind_direction"), reference_height_m=10.0)
    with rasterio.open(out) as ds:
        np.testing.assert_allclose(ds.read(1), grid["dp_across_rows"].values, rtol=1e-6)
        assert ds.crs.to_epsg() == 4326
    assert f"max {np.nanmax(grid['dp'].values):.0f} VU" in res.output


@pytest.mark.parametrize(("args", "message"), [
    (("--out", "x.tif"), "--out writes a raster of a gridded stack"),
    (("--rose", "x.svg"), "expected a .png or .pdf"),
])
def test_drift_bad_options(tmp_path, args, message):
    res = invoke("drift", NSRDB, *args)
    assert res.exit_code == 2 and message in res.output


def test_drift_missing_columns_is_one_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,speed\n2023-01-01T00:00,3\n", encoding="utf-8")
    res = invoke("drift", bad)
    assert res.exit_code == 1 and "none of the default columns" in res.output
