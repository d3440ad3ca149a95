"""Time-series inputs: station records (NSRDB / plain CSV) and gridded stacks (NetCDF, GeoTIFF)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
from rasterio.transform import from_origin

from steppe_geo.errors import (
    ImplausibleInputError,
    InvalidParameterError,
    MissingCRSError,
    MissingLayerError,
    UnreadableInputError,
)
from steppe_geo.io import IrregularRecordWarning, read_raster_stack, read_station_record, record_durations

NSRDB = Path(__file__).resolve().parents[1] / "data" / "real" / "nsrdb" / "nsrdb_psm4_401182_2023.csv"


def _csv(tmp_path: Path, text: str, name: str = "station.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_nsrdb_record_real_file():
    ds = read_station_record(NSRDB)
    # the file's own metadata row: 40.53 N, 108.54 W, 2168 m, time zone -7, location 401182
    assert (ds.attrs["latitude"], ds.attrs["longitude"], ds.attrs["elevation_m"]) == (40.53, -108.54, 2168.0)
    assert ds.attrs["station_id"] == "401182" and ds.attrs["utc_offset_h"] == -7.0
    assert ds.attrs["wind_height_m"] == 2.0 and ds.attrs["crs"] == "EPSG:4326"
    # the README says hourly, but the records are every 30 minutes: 2 × 8760 = 17520 rows, 0.5 h each
    assert ds.sizes["time"] == 17520
    assert ds.attrs["spacing"] == "regular, 30 min"
    assert np.all(ds["duration_h"].values == 0.5) and ds["duration_h"].sum() == 8760.0
    # local standard time (UTC-7) → UTC: the first record, 2023-01-01 00:00 local, is 07:00 UTC
    assert ds["time"].values[0] == np.datetime64("2023-01-01T07:00")
    # values against the raw CSV read independently with pandas (row 1: 3 m/s from 196°, -1.2 °C)
    raw = pd.read_csv(NSRDB, skiprows=2)
    np.testing.assert_array_equal(ds["wind_speed"].values, raw["Wind Speed"].to_numpy(float))
    np.testing.assert_array_equal(ds["wind_direction"].values, raw["Wind Direction"].to_numpy(float))
    np.testing.assert_array_equal(ds["ghi"].values, raw["GHI"].to_numpy(float))
    assert ds["wind_speed"].attrs["units"] == "m s-1" and ds["ghi"].attrs["units"] == "W m-2"
    assert ds["temperature"].values[0] == pytest.approx(-1.2)


def test_plain_csv_with_timestamps_and_units_conversion(tmp_path):
    p = _csv(tmp_path, "time,ws_kn,wd,t_f\n2023-03-01T00:00,20,270,32\n2023-03-01T01:00,10,90,50\n")
    ds = read_station_record(p, columns={"wind_speed": "ws_kn", "wind_direction": "wd", "temperature": "t_f"},
                             units={"wind_speed": "kn", "temperature": "degF"}, time_column="time",
                             wind_height_m=10, location=(40.3, 109.2, 1100))
    # 1 kn = 1852 m / 3600 s: 20 kn = 10.2889 m/s; 32 °F = 0 °C, 50 °F = 10 °C
    np.testing.assert_allclose(ds["wind_speed"].values, [20 * 1852 / 3600, 10 * 1852 / 3600])
    np.testing.assert_allclose(ds["temperature"].values, [0.0, 10.0], atol=1e-12)
    assert ds["wind_speed"].attrs["source_units"] == "kn"
    assert ds.attrs["latitude"] == 40.3 and ds.attrs["wind_height_m"] == 10.0
    assert ds["duration_h"].values.tolist() == [1.0, 1.0]


def test_irregular_spacing_is_said_and_gaps_not_filled(tmp_path):
    p = _csv(tmp_path, "Year,Month,Day,Hour,Minute,ws,wd\n"
                       "2023,1,1,0,0,5,10\n2023,1,1,0,30,5,10\n2023,1,1,1,0,5,10\n2023,1,1,4,0,5,10\n"
                       "2023,1,1,4,30,5,10\n")
    with pytest.warns(IrregularRecordWarning, match="1 gap"):
        ds = read_station_record(p, columns={"wind_speed": "ws", "wind_direction": "wd"}, wind_height_m=10)
    # 01:00 → 04:00 is a 3 h gap: that record weighs the usual 30 min, not 3 h
    assert ds["duration_h"].values.tolist() == [0.5, 0.5, 0.5, 0.5, 0.5]
    assert ds.attrs["spacing"].startswith("irregular") and "2.5 h missing" in ds.attrs["spacing"]


def test_record_durations_mixed_steps():
    t = np.array(["2023-01-01T00:00", "2023-01-01T01:00", "2023-01-01T02:00", "2023-01-01T02:30"],
                 dtype="datetime64[m]")
    d, spacing = record_durations(t)
    assert d.tolist() == [1.0, 1.0, 0.5, 1.0]
    assert "1 step(s) shorter" in spacing


def test_missing_column_names_what_is_there(tmp_path):
    p = _csv(tmp_path, "time,speed\n2023-01-01T00:00,3\n2023-01-01T01:00,4\n")
    with pytest.raises(MissingLayerError, match=r"no column 'wd'; the columns are 'time', 'speed'"):
        read_station_record(p, columns={"wind_speed": "speed", "wind_direction": "wd"}, time_column="time",
                            wind_height_m=10)
    with pytest.raises(MissingLayerError, match=r"no time: .*missing Year, Month, Day, Hour"):
        read_station_record(p, columns={"wind_speed": "speed"}, wind_height_m=10)
    with pytest.raises(InvalidParameterError, match="unknown variable 'gust'"):
        read_station_record(p, columns={"gust": "speed"}, time_column="time")


def test_bad_values_raise(tmp_path):
    head = "time,ws,wd\n"
    p = _csv(tmp_path, head + "2023-01-01T01:00,3,10\n2023-01-01T00:00,4,20\n", "order.csv")
    with pytest.raises(ImplausibleInputError, match="strictly increasing"):
        read_station_record(p, columns={"wind_speed": "ws"}, time_column="time", wind_height_m=10)
    p = _csv(tmp_path, head + "2023-01-01T00:00,-3,10\n2023-01-01T01:00,4,20\n", "neg.csv")
    with pytest.raises(ImplausibleInputError,
                       match=r"column 'ws' \(wind_speed\): speeds must be ≥ 0, got -3"):
        read_station_record(p, columns={"wind_speed": "ws"}, time_column="time", wind_height_m=10)
    p = _csv(tmp_path, head + "2023-01-01T00:00,3,370\n2023-01-01T01:00,4,20\n", "dir.csv")
    with pytest.raises(ImplausibleInputError, match="within 0–360 degrees, got 370"):
        read_station_record(p, columns={"wind_speed": "ws", "wind_direction": "wd"}, time_column="time",
                            wind_height_m=10)
    p = _csv(tmp_path, head + "2023-01-01T00:00,3,10\n2023-01-01T01:00,4,20\n", "ok.csv")
    with pytest.raises(InvalidParameterError, match=r"must be speed units .* got 'W m-2'"):
        read_station_record(p, columns={"wind_speed": "ws"}, units={"wind_speed": "W m-2"},
                            time_column="time", wind_height_m=10)
    with pytest.raises(InvalidParameterError, match="wind_height_m is required"):
        read_station_record(p, columns={"wind_speed": "ws"}, time_column="time")


def _stack(n_time: int = 4, rows: int = 3, cols: int = 5) -> xr.DataArray:
    times = pd.date_range("2023-01-01", periods=n_time, freq="3h").to_numpy()
    values = np.arange(n_time * rows * cols, dtype=np.float64).reshape(n_time, rows, cols) / 10
    xs = 500_000 + (np.arange(cols) + 0.5) * 1000.0
    ys = 4_450_000 - (np.arange(rows) + 0.5) * 1000.0
    da = xr.DataArray(values, dims=("time", "y", "x"), coords={"time": times, "y": ys, "x": xs},
                      name="wind_speed", attrs={"units": "m s-1"})
    return da.rio.write_crs("EPSG:32649")


def test_netcdf_stack_round_trip_and_window(tmp_path):
    da = _stack()
    path = tmp_path / "wind.nc"
    xr.Dataset({"wind_speed": da, "ghi": da * 10}).to_netcdf(path)
    out = read_raster_stack(path, variable="wind_speed")
    assert out.dims == ("time", "y", "x") and out.rio.crs.to_epsg() == 32649
    np.testing.assert_array_equal(out.values, da.values)
    np.testing.assert_array_equal(out["time"].values, da["time"].values)
    assert out.rio.transform() == from_origin(500_000, 4_450_000, 1000, 1000)
    win = read_raster_stack(path, variable="wind_speed", window=(slice(1, 3), slice(2, 4)))
    np.testing.assert_array_equal(win.values, da.values[:, 1:3, 2:4])
    assert win.rio.transform() == from_origin(502_000, 4_449_000, 1000, 1000)
    kn = read_raster_stack(path, variable="wind_speed", to_units="kn")
    np.testing.assert_allclose(kn.values, da.values * 3600 / 1852)
    with pytest.raises(MissingLayerError, match="no variable 'u10'; the variables are wind_speed, ghi"):
        read_raster_stack(path, variable="u10")
    with pytest.raises(InvalidParameterError, match="give variable=, one of wind_speed, ghi"):
        read_raster_stack(path)


def test_geotiff_stack_times_from_band_descriptions(tmp_path):
    da = _stack()
    path = tmp_path / "wind.tif"
    with rasterio.open(path, "w", driver="GTiff", width=5, height=3, count=4, dtype="float32",
                       crs="EPSG:32649", transform=from_origin(500_000, 4_450_000, 1000, 1000),
                       nodata=-9999) as ds:
        ds.write(da.values.astype("float32"))
        for i, t in enumerate(pd.DatetimeIndex(da["time"].values)):
            ds.set_band_description(i + 1, t.isoformat())
    out = read_raster_stack(path, units="m s-1")
    np.testing.assert_allclose(out.values, da.values, rtol=1e-6)
    np.testing.assert_array_equal(out["time"].values, da["time"].values)
    win = read_raster_stack(path, window=(slice(0, 2), slice(1, 3)))
    np.testing.assert_allclose(win.values, da.values[:, 0:2, 1:3], rtol=1e-6)
    with pytest.raises(InvalidParameterError, match=r"2 time\(s\) given for 4 band"):
        read_raster_stack(path, times=["2023-01-01", "2023-01-02"])
    with pytest.raises(ImplausibleInputError, match="strictly increasing"):
        read_raster_stack(path, times=["2023-01-02", "2023-01-01", "2023-01-03", "2023-01-04"])


def test_stack_without_crs_or_times(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=2, dtype="float32",
                       transform=from_origin(0, 2, 1, 1)) as ds:
        ds.write(np.ones((2, 2, 2), "float32"))
    with pytest.raises(UnreadableInputError, match="no time stamps"):
        read_raster_stack(path)
    with pytest.raises(MissingCRSError, match="no CRS"):
        read_raster_stack(path, times=["2023-01-01", "2023-01-02"])


def test_era5_like_uv_stack(tmp_path):
    """ERA5 layout: u10/v10 on (valid_time, latitude, longitude), latitudes descending, EPSG:4326."""
    from steppe_geo.criteria import wind_from_uv

    times = pd.date_range("2023-01-01", periods=3, freq="1h").to_numpy()
    lat, lon = np.array([40.5, 40.25, 40.0]), np.array([109.0, 109.25])
    u = np.stack([np.full((3, 2), 5.0), np.zeros((3, 2)), np.full((3, 2), -3.0)])
    v = np.stack([np.zeros((3, 2)), np.full((3, 2), 5.0), np.full((3, 2), -3.0)])
    dims = ("valid_time", "latitude", "longitude")
    ds = xr.Dataset({"u10": (dims, u, {"units": "m s-1"}), "v10": (dims, v, {"units": "m s-1"})},
                    coords={"valid_time": times, "latitude": lat, "longitude": lon})
    ds = ds.rio.set_spatial_dims(x_dim="longitude", y_dim="latitude").rio.write_crs("EPSG:4326")
    ds.to_netcdf(tmp_path / "era5.nc")
    uu, vv = (read_raster_stack(tmp_path / "era5.nc", variable=k) for k in ("u10", "v10"))
    assert uu.dims == ("time", "y", "x") and uu.rio.crs.to_epsg() == 4326
    np.testing.assert_array_equal(uu["y"].values, lat)
    speed, direction = wind_from_uv(uu.values, vv.values)
    # u = +5: blowing towards the east, from the west (270°); v = +5: from the south (180°);
    # u = v = −3: towards the south-west, from the north-east (45°)
    np.testing.assert_allclose(direction[:, 0, 0], [270.0, 180.0, 45.0])
    np.testing.assert_allclose(speed[:, 1, 1], [5.0, 5.0, np.sqrt(18.0)])


def test_read_raster_on_a_multi_variable_netcdf_names_the_variables(tmp_path):
    import steppe_geo as sg

    da = _stack()
    xr.Dataset({"wind_speed": da, "ghi": da * 10}).to_netcdf(tmp_path / "two.nc")
    with pytest.raises(UnreadableInputError, match=r"2 variables \(.*wind_speed.*ghi.*\): read one with "
                                                    r"steppe_geo.io.read_raster_stack"):
        sg.read_raster(tmp_path / "two.nc")
