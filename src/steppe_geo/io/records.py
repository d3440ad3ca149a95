"""Time-series inputs: point records (station / NSRDB / TMY CSV files) and gridded stacks with a time axis.

:func:`read_station_record` reads a CSV of wind speed and direction, irradiance and temperature into an
``xarray.Dataset`` with a ``time`` coordinate, units, each record's duration and the station's location;
:func:`read_raster_stack` reads a NetCDF or multi-band GeoTIFF with a time dimension into a
``(time, y, x)`` DataArray with its CRS, optionally one window at a time. See ``docs/drift.md``.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import rasterio
import rasterio.errors
import rasterio.windows
import rioxarray  # noqa: F401  (registers .rio)
import xarray as xr

from steppe_geo._typing import PathLike
from steppe_geo.errors import (
    ImplausibleInputError,
    InputNotFoundError,
    InvalidParameterError,
    MissingCRSError,
    MissingLayerError,
    UnreadableInputError,
)
from steppe_geo.io.units import convert, parse_unit

__all__ = [
    "NSRDB_COLUMNS",
    "NSRDB_WIND_HEIGHT_M",
    "RECORD_UNITS",
    "IrregularRecordWarning",
    "read_raster_stack",
    "read_station_record",
    "record_durations",
]


NSRDB_COLUMNS: Mapping[str, str] = MappingProxyType({
    "wind_speed": "Wind Speed",
    "wind_direction": "Wind Direction",
    "ghi": "GHI",
    "temperature": "Temperature",
})
"""Default column mapping (variable → CSV column), as in NREL NSRDB PSM v3/v4 and TMY downloads."""

RECORD_UNITS: Mapping[str, str] = MappingProxyType({
    "wind_speed": "m s-1",
    "wind_direction": "degree",
    "ghi": "W m-2",
    "temperature": "degC",
})
"""Units of each variable of a record as returned (values in other declared units are converted)."""

NSRDB_WIND_HEIGHT_M = 2.0
"""Height of the NSRDB wind (m above ground): PSM wind speed and direction are MERRA-2 2 m values
(NSRDB data dictionary, "Wind Speed: 2 m wind speed"; Sengupta et al. 2018, Renew. Sustain. Energy Rev.
89, 51–60)."""

_NSRDB_UNIT_KEYS = {
    "wind_speed": "Wind Speed Units",
    "wind_direction": "Wind Direction Units",
    "ghi": "GHI Units",
    "temperature": "Temperature Units",
}
_TIME_PARTS = ("Year", "Month", "Day", "Hour", "Minute")


class IrregularRecordWarning(UserWarning):
    """The records of a time series are not evenly spaced (gaps or mixed steps)."""


def _nsrdb_header(path: Path) -> tuple[dict[str, str] | None, int]:
    """The NSRDB metadata row (column → value) and the number of rows before the column names."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        first = next(reader, [])
        second = next(reader, [])
    if "Latitude" in first and "Longitude" in first and len(second) >= len(first) - 1:
        return dict(zip(first, second, strict=False)), 2
    return None, 0


def _float_meta(meta: Mapping[str, str], key: str, path: Path) -> float:
    try:
        return float(meta[key])
    except (KeyError, ValueError):
        raise UnreadableInputError(
            f"{path}: the NSRDB metadata row has no number for {key!r} (got {meta.get(key)!r})"
        ) from None


def record_durations(times: np.ndarray) -> tuple[np.ndarray, str]:
    """Duration of each record of a time series (hours), inferred from the spacing of the time stamps.

    Each record stands for the time until the next one, capped at the most common spacing (a longer
    step is a gap of missing data, not a long record); the last record gets the most common spacing.

    Parameters
    ----------
    times : (n,) ndarray of datetime64
        Strictly increasing time stamps.

    Returns
    -------
    durations_h : (n,) ndarray of float
        Hours each record stands for.
    spacing : str
        ``"regular, 30 min"`` or a description of the irregular spacing (gaps, their total length).

    Examples
    --------
    >>> t = np.array(["2023-01-01T00:00", "2023-01-01T00:30", "2023-01-01T01:00",
    ...               "2023-01-01T03:00"], dtype="datetime64[m]")
    >>> d, spacing = record_durations(t)
    >>> d.tolist(), spacing
    ([0.5, 0.5, 0.5, 0.5], 'irregular: most records every 30 min; 1 gap(s) longer than that, 1.5 h missing')
    """
    t = np.asarray(times, dtype="datetime64[s]").astype(np.int64)
    if t.size == 0:
        return np.zeros(0), "empty"
    if t.size == 1:
        raise InvalidParameterError("a time series of one record has no spacing to infer its duration from")
    steps = np.diff(t).astype(np.float64) / 3600.0
    values, counts = np.unique(steps, return_counts=True)
    mode = float(values[np.argmax(counts)])
    durations = np.append(np.minimum(steps, mode), mode)
    step_text = f"{mode * 60:g} min" if mode < 1 else f"{mode:g} h"
    if len(values) == 1:
        return durations, f"regular, {step_text}"
    long = steps > mode
    short = steps < mode
    parts = [f"most records every {step_text}"]
    if long.any():
        missing_h = float((steps[long] - mode).sum())
        parts.append(f"{int(long.sum())} gap(s) longer than that, {missing_h:g} h missing")
    if short.any():
        parts.append(f"{int(short.sum())} step(s) shorter than that")
    return durations, "irregular: " + "; ".join(parts)


def _check_values(name: str, values: np.ndarray, times: np.ndarray, path: Path, column: str) -> None:
    limits = {"wind_speed": (0.0, math.inf), "wind_direction": (0.0, 360.0)}
    if name not in limits:
        return
    low, high = limits[name]
    bad = (values < low) | (values > high)
    if bad.any():
        i = int(np.argmax(bad))
        what = "speeds must be ≥ 0" if name == "wind_speed" else "directions must be within 0–360 degrees"
        raise ImplausibleInputError(
            f"{path}: column {column!r} ({name}): {what}, got {values[i]:g} at {times[i]} "
            f"({int(bad.sum())} such record(s))"
        )


def read_station_record(
    path: PathLike,
    *,
    columns: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    time_column: str | None = None,
    wind_height_m: float | None = None,
    location: tuple[float, float, float] | None = None,
) -> xr.Dataset:
    r"""Read a point record (NSRDB / TMY / station CSV) into a Dataset with a ``time`` coordinate.

    Two layouts are read: the NREL NSRDB layout (a row of metadata names, a row of metadata values with
    the station's latitude, longitude, elevation, time zone and units, then the column names) and a
    plain CSV (one row of column names). Time comes from the ``Year, Month, Day, Hour, Minute`` columns
    (``Minute`` optional) or from ``time_column`` (ISO time stamps).

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file.
    columns : mapping variable → column, optional
        Which column holds each variable: ``wind_speed`` (default units m/s), ``wind_direction``
        (degrees clockwise from north, the direction the wind blows *from*), ``ghi`` (W/m²),
        ``temperature`` (°C). Default :data:`NSRDB_COLUMNS`; variables whose default column is absent
        are left out, a column named explicitly must exist.
    units : mapping variable → units, optional
        Units of the columns (symbols of :data:`steppe_geo.io.units.UNITS`: ``"kn"``, ``"km h-1"``,
        ``"degF"``, ...), converted to :data:`RECORD_UNITS`. Default: the NSRDB metadata row's units,
        else :data:`RECORD_UNITS`.
    time_column : str, optional
        Column of ISO time stamps (instead of Year/Month/Day/Hour/Minute).
    wind_height_m : float, optional
        Height of the wind measurement above ground (m). Default for NSRDB files
        :data:`NSRDB_WIND_HEIGHT_M` (2 m); required for other files that have wind.
    location : (latitude, longitude, elevation_m), optional
        The station's location (WGS 84), for files without an NSRDB metadata row (overrides it).

    Returns
    -------
    xarray.Dataset
        Dimension ``time`` (UTC when the file states its time zone, as NSRDB does; otherwise as written);
        variables as mapped, float64 with a ``units`` attribute, and ``duration_h`` (hours each record
        stands for, :func:`record_durations`). Attributes: ``source``, ``latitude``, ``longitude``,
        ``elevation_m``, ``crs`` (``"EPSG:4326"``), ``wind_height_m``, ``spacing`` (regular or how it
        is irregular), ``utc_offset_h`` and ``station_id`` when known.

    Raises
    ------
    InputNotFoundError
        The file does not exist.
    UnreadableInputError
        It is not a readable CSV, or a metadata value is not a number.
    MissingLayerError
        A mapped column, or the time columns, are missing (the message lists the columns there are).
    ImplausibleInputError
        Time stamps not strictly increasing, wind speeds < 0, directions outside 0–360.
    InvalidParameterError
        Unknown variable or units (or units of the wrong quantity), no ``wind_height_m`` where needed.

    Warns
    -----
    IrregularRecordWarning
        The records are not evenly spaced (the ``spacing`` attribute says how).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "station.csv"
    >>> _ = p.write_text("time,ws,wd\n2023-01-01T00:00,5.0,270\n2023-01-01T03:00,7.5,280\n")
    >>> ds = read_station_record(p, columns={"wind_speed": "ws", "wind_direction": "wd"},
    ...                          time_column="time", wind_height_m=10, location=(40.3, 109.2, 1100))
    >>> ds["wind_speed"].values.tolist(), ds["duration_h"].values.tolist(), ds.attrs["spacing"]
    ([5.0, 7.5], [3.0, 3.0], 'regular, 3 h')
    """
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"station record {p} does not exist")
    try:
        meta, skip = _nsrdb_header(p)
        table = pd.read_csv(p, skiprows=skip, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UnreadableInputError(f"{p}: cannot be read as a CSV file ({exc})") from None
    there = ", ".join(map(repr, table.columns))
    explicit = dict(columns) if columns is not None else {}
    unknown = [k for k in explicit if k not in RECORD_UNITS]
    if unknown:
        raise InvalidParameterError(
            f"columns: unknown variable {unknown[0]!r}; variables are {', '.join(RECORD_UNITS)}"
        )
    mapping = explicit or {k: c for k, c in NSRDB_COLUMNS.items() if c in table.columns}
    missing = [c for c in mapping.values() if c not in table.columns]
    if missing:
        raise MissingLayerError(f"{p}: no column {missing[0]!r}; the columns are {there}")
    if not mapping:
        raise MissingLayerError(
            f"{p}: none of the default columns {', '.join(map(repr, NSRDB_COLUMNS.values()))} is there; "
            f"name them with columns={{variable: column}}; the columns are {there}"
        )

    # ------------------------------------------------------------------ time
    if time_column is not None:
        if time_column not in table.columns:
            raise MissingLayerError(f"{p}: no time column {time_column!r}; the columns are {there}")
        try:
            stamps = pd.to_datetime(table[time_column])
        except (ValueError, TypeError) as exc:
            raise UnreadableInputError(f"{p}: column {time_column!r} holds no time stamps ({exc})") from None
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    else:
        need = [c for c in _TIME_PARTS[:4] if c not in table.columns]
        if need:
            raise MissingLayerError(
                f"{p}: no time: give time_column= or columns Year, Month, Day, Hour (and Minute); "
                f"missing {', '.join(need)}; the columns are {there}"
            )
        parts = {c.lower(): table[c] for c in _TIME_PARTS if c in table.columns}
        try:
            stamps = pd.to_datetime(pd.DataFrame(parts))
        except (ValueError, TypeError) as exc:
            raise UnreadableInputError(f"{p}: Year/Month/Day/Hour/Minute do not form dates ({exc})") from None
    times = stamps.to_numpy(dtype="datetime64[ns]")
    utc_offset = None
    if meta is not None and "Time Zone" in meta:
        utc_offset = _float_meta(meta, "Time Zone", p)
        times = times - np.timedelta64(round(utc_offset * 3600), "s")
    steps = np.diff(times.astype("datetime64[s]").astype(np.int64))
    if (steps <= 0).any():
        i = int(np.argmax(steps <= 0))
        raise ImplausibleInputError(
            f"{p}: time stamps must be strictly increasing; row {i + 2 + skip + 1} ({times[i + 1]}) "
            f"does not come after the one before ({times[i]})"
        )

    # ------------------------------------------------------------------ values and units
    data_vars: dict[str, Any] = {}
    for name, column in mapping.items():
        declared = (units or {}).get(name)
        if declared is None and meta is not None and _NSRDB_UNIT_KEYS[name] in meta:
            declared = meta[_NSRDB_UNIT_KEYS[name]]
        declared = declared or RECORD_UNITS[name]
        unit = parse_unit(declared, param=f"{p}: units of {name} (column {column!r})")
        expected = parse_unit(RECORD_UNITS[name])
        if unit.quantity != expected.quantity:
            raise InvalidParameterError(
                f"{p}: units of {name} (column {column!r}) must be {expected.quantity} units such as "
                f"{expected.symbol!r}, got {declared!r} ({unit.quantity})"
            )
        try:
            raw = pd.to_numeric(table[column], errors="raise").to_numpy(dtype=np.float64)
        except (ValueError, TypeError) as exc:
            raise UnreadableInputError(f"{p}: column {column!r} ({name}) is not numeric ({exc})") from None
        values = np.asarray(convert(raw, unit, RECORD_UNITS[name]), dtype=np.float64)
        _check_values(name, values, times, p, column)
        var_attrs = {"units": RECORD_UNITS[name], "column": column}
        if unit.symbol != RECORD_UNITS[name]:
            var_attrs["source_units"] = unit.symbol
        data_vars[name] = ("time", values, var_attrs)
    durations, spacing = record_durations(times)
    if spacing.startswith("irregular"):
        warnings.warn(f"{p}: records are {spacing}; each record weighs the time to the next one, "
                      "gaps are not filled", IrregularRecordWarning, stacklevel=2)
    data_vars["duration_h"] = ("time", durations, {"units": "h", "long_name": "time each record stands for"})

    # ------------------------------------------------------------------ station metadata
    attrs: dict[str, Any] = {"source": str(p), "crs": "EPSG:4326", "spacing": spacing}
    if meta is not None:
        attrs.update(latitude=_float_meta(meta, "Latitude", p), longitude=_float_meta(meta, "Longitude", p),
                     elevation_m=_float_meta(meta, "Elevation", p))
        if "Location ID" in meta:
            attrs["station_id"] = meta["Location ID"]
        if "Source" in meta:
            attrs["dataset"] = f"{meta['Source']} {meta.get('Version', '')}".strip()
    if location is not None:
        lat, lon, elev = (float(v) for v in location)
        if not (-90 <= lat <= 90 and -180 <= lon <= 360):
            raise InvalidParameterError(f"location: latitude {lat} / longitude {lon} are not WGS 84 degrees")
        attrs.update(latitude=lat, longitude=lon, elevation_m=elev)
    if utc_offset is not None:
        attrs["utc_offset_h"] = utc_offset
    if "wind_speed" in mapping or "wind_direction" in mapping:
        height = wind_height_m if wind_height_m is not None else (NSRDB_WIND_HEIGHT_M if meta else None)
        if height is None:
            raise InvalidParameterError(
                f"{p}: wind_height_m is required: the height of the wind measurement above ground (m), "
                "e.g. 10 for a standard station"
            )
        if not (isinstance(height, (int, float)) and math.isfinite(height) and height > 0):
            raise InvalidParameterError(f"wind_height_m must be a positive number of metres, got {height!r}")
        attrs["wind_height_m"] = float(height)
    return xr.Dataset(data_vars, coords={"time": times}, attrs=attrs)


def _decode_times(text: Sequence[str], path: Path) -> np.ndarray:
    try:
        return pd.to_datetime(list(text)).to_numpy(dtype="datetime64[ns]")
    except (ValueError, TypeError):
        raise UnreadableInputError(
            f"{path}: the band descriptions are not time stamps ({list(text)[:3]}...); pass times="
        ) from None


def read_raster_stack(
    path: PathLike,
    *,
    variable: str | None = None,
    times: Sequence[Any] | None = None,
    window: tuple[slice, slice] | None = None,
    units: str | None = None,
    to_units: str | None = None,
) -> xr.DataArray:
    """Read a gridded time series (NetCDF variable or multi-band GeoTIFF) as a ``(time, y, x)`` DataArray.

    Parameters
    ----------
    path : str or os.PathLike
        A NetCDF file (CF time coordinate, ``spatial_ref``/``crs`` grid mapping) or a multi-band GeoTIFF
        whose band descriptions are ISO time stamps (or give ``times``).
    variable : str, optional
        The NetCDF variable (``"wind_speed"``, ``"u10"``, ...); required for NetCDF files with more than
        one variable.
    times : sequence of datetime-like, optional
        Time of each band of a GeoTIFF (one per band).
    window : (row slice, column slice), optional
        Read only this window (streamed runs read a stack window by window).
    units : str, optional
        Units of the values (overrides the file's ``units`` attribute).
    to_units : str, optional
        Convert to these units (same quantity, e.g. ``"m s-1"`` from ``"kn"``).

    Returns
    -------
    xarray.DataArray
        Dims ``("time", "y", "x")``, float64 with NaN nodata, rioxarray CRS and transform; ``attrs``:
        ``units`` (when known), ``source``.

    Raises
    ------
    InputNotFoundError
        The file does not exist.
    UnreadableInputError
        GDAL / xarray cannot read it, or a GeoTIFF without times.
    MissingLayerError
        ``variable`` not in the file (the message lists the variables).
    MissingCRSError
        The file has no CRS.
    ImplausibleInputError
        Times not strictly increasing.
    InvalidParameterError
        ``times`` of the wrong length, unknown units.

    Examples
    --------
    >>> from steppe_geo.datasets import sample_record_path
    >>> speed = read_raster_stack(sample_record_path(), variable="wind_speed")
    >>> speed.dims, speed.attrs["units"], str(speed.time.dt.year[0].item())
    (('time', 'y', 'x'), 'm s-1', '2023')
    """
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"raster stack {p} does not exist")
    if p.suffix.lower() in (".nc", ".nc4", ".cdf"):
        try:
            ds = xr.open_dataset(p, decode_coords="all")
        except (OSError, ValueError) as exc:
            raise UnreadableInputError(f"{p}: cannot be read as NetCDF ({exc})") from None
        names = [str(v) for v in ds.data_vars if ds[v].ndim == 3]
        if variable is None:
            if len(names) != 1:
                raise InvalidParameterError(f"{p}: give variable=, one of {', '.join(names)}")
            variable = names[0]
        if variable not in ds.data_vars:
            raise MissingLayerError(f"{p}: no variable {variable!r}; the variables are {', '.join(names)}")
        da = ds[variable]
        rename = {d: n for d, n in (("lat", "y"), ("latitude", "y"), ("lon", "x"), ("longitude", "x"),
                                    ("valid_time", "time")) if d in da.dims}
        da = da.rename(rename)
        if set(da.dims) != {"time", "y", "x"}:
            raise UnreadableInputError(f"{p}: variable {variable!r} has dims {da.dims}, not (time, y, x)")
        da = da.transpose("time", "y", "x")
        if window is not None:
            da = da.isel(y=window[0], x=window[1])
        crs = da.rio.crs or ds.rio.crs
        file_units = da.attrs.get("units")
        out = xr.DataArray(np.asarray(da.values, dtype=np.float64), coords={"time": da["time"].values,
                           "y": da["y"].values, "x": da["x"].values}, dims=("time", "y", "x"), name=variable)
        ds.close()
    else:
        try:
            src = rasterio.open(p)
        except rasterio.errors.RasterioIOError as exc:
            raise UnreadableInputError(f"{p}: GDAL cannot open it ({exc})") from None
        with src:
            if times is None:
                if any(d is None for d in src.descriptions):
                    raise UnreadableInputError(
                        f"{p}: the bands have no time stamps in their descriptions; pass times= (one a band)"
                    )
                stamps = _decode_times(src.descriptions, p)
            else:
                if len(times) != src.count:
                    raise InvalidParameterError(
                        f"times: {len(times)} time(s) given for {src.count} band(s) of {p}")
                stamps = pd.to_datetime(list(times)).to_numpy(dtype="datetime64[ns]")
            win = None
            if window is not None:
                r, c = (s.indices(n) for s, n in zip(window, (src.height, src.width), strict=True))
                win = rasterio.windows.Window(c[0], r[0], c[1] - c[0], r[1] - r[0])
            arr = src.read(window=win, masked=True).astype(np.float64).filled(np.nan)
            transform = src.window_transform(win) if win is not None else src.transform
            crs = src.crs
            file_units = src.units[0] if src.units and src.units[0] else src.tags().get("units")
            rows, cols = arr.shape[1:]
            xs = transform.c + (np.arange(cols) + 0.5) * transform.a
            ys = transform.f + (np.arange(rows) + 0.5) * transform.e
            out = xr.DataArray(arr, coords={"time": stamps, "y": ys, "x": xs}, dims=("time", "y", "x"),
                               name=variable or p.stem)
    if crs is None:
        raise MissingCRSError(f"{p}: the stack has no CRS (a grid_mapping / spatial_ref in NetCDF)")
    steps = np.diff(out["time"].values.astype("datetime64[s]").astype(np.int64))
    if (steps <= 0).any():
        i = int(np.argmax(steps <= 0))
        raise ImplausibleInputError(
            f"{p}: times must be strictly increasing; {out['time'].values[i + 1]} "
            f"follows {out['time'].values[i]}"
        )
    declared = units or file_units
    attrs: dict[str, Any] = {"source": str(p)}
    if declared:
        unit = parse_unit(declared, param=f"units of {p}")
        if to_units is not None:
            out = out.copy(data=np.asarray(convert(out.values, unit, to_units, param="to_units")))
            attrs.update(units=parse_unit(to_units).symbol, source_units=unit.symbol)
        else:
            attrs["units"] = unit.symbol
    elif to_units is not None:
        raise InvalidParameterError(f"{p}: to_units={to_units!r} needs the file's units; pass units=")
    out.attrs = attrs
    out = out.rio.write_crs(crs)
    return out.rio.write_transform(out.rio.transform(recalc=True))
