"""Reading a configuration: ``[sources]`` specs and paths, the whole mapping, TOML text and files."""

from __future__ import annotations

import codecs
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from steppe_geo import datasets
from steppe_geo._deprecation import warn_renamed
from steppe_geo._typing import PathLike
from steppe_geo._validation import did_you_mean
from steppe_geo.config.checks import _Checker, _show
from steppe_geo.config.model_tables import _parse_model
from steppe_geo.config.schema import (
    INPUT_OPTIONS,
    SAMPLE_PREFIX,
    Config,
    GridConfig,
    HybridConfig,
    InputSpec,
    MapFormat,
    OutputsConfig,
    ParcelsConfig,
    Projection,
    RunConfig,
    RunMode,
    TurbinesConfig,
    VectorFormat,
)
from steppe_geo.criteria.wind_power import available_power_curves
from steppe_geo.errors import ConfigError, InputNotFoundError, InvalidParameterError
from steppe_geo.io.alignment import RASTER_KINDS
from steppe_geo.io.raster import ResamplingMethod
from steppe_geo.io.records import NSRDB_COLUMNS
from steppe_geo.io.remote import check_remote, is_remote
from steppe_geo.io.units import parse_unit

__all__ = [
    "config_from_dict",
    "load_config",
    "parse_config",
]

_TOP = ["project", "sources", "grid", "models", "parcels", "outputs", "run"]



def _input_layer(name: str, value: Any) -> str | None:
    """The ``layer`` of an input given as ``{path = "...", layer = "..."}`` (None otherwise)."""
    if not isinstance(value, Mapping):
        return None
    layer = value.get("layer")
    if layer is not None and (not isinstance(layer, str) or not layer):
        raise ConfigError(f"sources.{name}.layer: expected a layer name, got {_show(layer)}")
    return layer


def _input_spec(name: str, value: Any, path: Path | str) -> InputSpec:
    """The :class:`InputSpec` of ``sources.<name>`` (a path string or a table of options)."""
    if not isinstance(value, Mapping):
        return InputSpec(name, path, written=value if isinstance(value, str) else None)
    c = _Checker(value, f"sources.{name}", list(INPUT_OPTIONS))
    units = c.str("units")
    if units is not None:
        try:
            units = parse_unit(units, param=c.key("units")).symbol
        except InvalidParameterError as exc:
            raise ConfigError(str(exc)) from None
    scale = c.number("scale")
    if scale == 0:
        raise ConfigError(f"{c.key('scale')}: must not be 0 (values are raw * scale + offset)")
    band: Any = None
    if c.has("band"):
        band = value["band"]
        if band != "all" and (isinstance(band, bool) or not isinstance(band, int) or band < 1):
            raise ConfigError(
                f"{c.key('band')}: expected a band number 1, 2, ... or \"all\", got {_show(band)}")
    encoding = c.str("encoding")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(
                f"{c.key('encoding')}: {encoding!r} is not a known text encoding; use a name such as "
                "'utf-8', 'gbk', 'gb18030', 'big5', 'cp1251', 'cp1252' or 'latin-1'"
            ) from None
    return InputSpec(
        name, path, layer=_input_layer(name, value), kind=c.choice("kind", RASTER_KINDS),
        units=units, scale=None if scale is None else float(scale),
        offset=None if c.number("offset") is None else float(c.number("offset")),
        nodata=None if c.number("nodata") is None else float(c.number("nodata")),
        resampling=c.choice("resampling", ResamplingMethod), band=band, encoding=encoding,
        written=value["path"] if isinstance(value.get("path"), str) else None,
    )


def _turbines(table: Any, rank_by: tuple[str, ...], inputs: Mapping[str, Any]) -> TurbinesConfig:
    """``[parcels.turbines]``: checked against the ranked models, the inputs and the shipped curves."""
    t = _Checker(table, "parcels.turbines", ["model", "top", "curve", "along_d", "across_d", "wake_decay",
                                             "wind_direction", "mean_speed", "weibull_k", "sector_frequency"])
    model = t.str("model", rank_by[0] if len(rank_by) == 1 else None, required=len(rank_by) != 1)
    if model not in rank_by:
        raise ConfigError(f"parcels.turbines.model: {model!r} is not one of parcels.rank_by {list(rank_by)}"
                          f"{did_you_mean(str(model), list(rank_by))}")
    curve = t.str("curve", "nrel_6mw_170")
    curves = available_power_curves()
    if curve not in curves:
        raise ConfigError(f"parcels.turbines.curve: {curve!r} is not a shipped power curve"
                          f"{did_you_mean(curve, curves) or '.'} Curves are: {', '.join(curves)}.")
    names = {}
    for key, default in (("wind_direction", None), ("mean_speed", "wind_speed_100m"), ("weibull_k", None)):
        name = t.str(key, default)
        if name is not None and name not in inputs:
            raise ConfigError(f"parcels.turbines.{key}: {name!r} is not in [sources]"
                              f"{did_you_mean(name, list(inputs)) or '.'} Sources are: {', '.join(inputs)}.")
        names[key] = name
    freq = table.get("sector_frequency", [1.0] * 12)
    if (not isinstance(freq, list) or not freq or any(isinstance(f, bool) or not isinstance(f, int | float)
                                                      or f < 0 for f in freq) or sum(freq) <= 0):
        raise ConfigError(f"parcels.turbines.sector_frequency: expected a list of shares >= 0 per direction "
                          f"sector (12 for 30° sectors), got {_show(freq)}")
    if names["wind_direction"] is None and len(set(freq)) == 1:
        raise ConfigError("parcels.turbines: give wind_direction (an input raster of the direction the wind "
                          "blows from) or an uneven sector_frequency; with neither, no direction prevails")
    return TurbinesConfig(model=model, top=t.integer("top", 20, low=1), curve=curve,
                          along_d=t.number("along_d", 8.0, low=0, low_open=True),
                          across_d=t.number("across_d", 4.0, low=0, low_open=True),
                          wake_decay=t.number("wake_decay", 0.075, low=0, low_open=True, high=1),
                          wind_direction=names["wind_direction"], mean_speed=names["mean_speed"],
                          weibull_k=names["weibull_k"], sector_frequency=tuple(float(f) for f in freq))


_HYBRID_KEYS = ["record", "columns", "units", "time_column", "wind_height_m", "location", "hub_height_m",
                "roughness_m", "solar_share", "solar_mw_per_km2", "export_ratio", "optimise_mix", "speed",
                "ghi"]


def _string_table(table: Any, key: str, valid: list[str]) -> tuple[tuple[str, str], ...]:
    """A table of record variable -> string (``columns``, ``units``), keys checked against ``valid``."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{key}: expected a table such as {{ wind_speed = \"Wind Speed\" }}, "
                          f"got {_show(table)}")
    for var, value in table.items():
        if var not in valid:
            raise ConfigError(f"{key}.{var}: not a record variable{did_you_mean(var, valid) or '.'} "
                              f"Variables are: {', '.join(valid)}.")
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{key}.{var}: expected a non-empty string, got {_show(value)}")
    return tuple((str(k), str(v)) for k, v in table.items())


def _hybrid(table: Any, turbines: TurbinesConfig | None, inputs: Mapping[str, Any],
            base: Path) -> HybridConfig:
    """``[parcels.hybrid]``: needs ``[parcels.turbines]``; the record file must exist, inputs be inputs."""
    h = _Checker(table, "parcels.hybrid", _HYBRID_KEYS)
    if turbines is None:
        raise ConfigError("parcels.hybrid: needs [parcels.turbines] (the wind MW of each parcel comes from "
                          "its turbine layout); add a [parcels.turbines] table or drop [parcels.hybrid]")
    written = h.str("record", required=True)
    record = Path(written).expanduser()
    if not record.is_absolute():
        record = base / record
    if not record.is_file():
        raise InputNotFoundError(f"parcels.hybrid.record: station record not found: {str(record)!r} "
                                 f"(written {written!r}, relative to the configuration file's folder)")
    variables = list(NSRDB_COLUMNS)
    columns = _string_table(table.get("columns", {}), "parcels.hybrid.columns", variables)
    units = _string_table(table.get("units", {}), "parcels.hybrid.units", variables)
    location = table.get("location")
    if location is not None and (
            not isinstance(location, list) or len(location) != 3
            or any(isinstance(v, bool) or not isinstance(v, int | float) for v in location)
            or not (-90 <= location[0] <= 90 and -180 <= location[1] <= 180)):
        raise ConfigError("parcels.hybrid.location: expected [latitude, longitude, elevation_m] (WGS 84 "
                          f"degrees, latitude -90..90, longitude -180..180; metres), got {_show(location)}")
    wind_height = h.number("wind_height_m", None, low=0, low_open=True)
    hub = h.number("hub_height_m", 120.0, low=0, low_open=True)
    z0 = h.number("roughness_m", 0.03, low=0, low_open=True)
    lowest = min(hub, wind_height) if wind_height is not None else hub
    if z0 >= lowest:
        raise ConfigError(f"parcels.hybrid.roughness_m: must be below the hub height and the record's wind "
                          f"height (m), got {z0!r} with {lowest:g} m")
    names = {}
    for key, default in (("speed", turbines.mean_speed), ("ghi", "ghi")):
        name = h.str(key, default)
        if name not in inputs:
            raise ConfigError(f"parcels.hybrid.{key}: {name!r} is not in [sources]"
                              f"{did_you_mean(name, list(inputs)) or '.'} Sources are: {', '.join(inputs)}.")
        names[key] = name
    return HybridConfig(record=record, columns=columns, units=units, time_column=h.str("time_column"),
                        wind_height_m=None if wind_height is None else float(wind_height),
                        location=None if location is None else (float(location[0]), float(location[1]),
                                                                 float(location[2])),
                        hub_height_m=float(hub), roughness_m=float(z0),
                        solar_share=float(h.number("solar_share", 0.2, low=0, high=1)),
                        solar_mw_per_km2=float(h.number("solar_mw_per_km2", 50.0, low=0, low_open=True)),
                        export_ratio=float(h.number("export_ratio", 1.0, low=0, low_open=True)),
                        optimise_mix=h.boolean("optimise_mix", False), speed=names["speed"], ghi=names["ghi"])


def _resolve_input(name: str, value: Any, base: Path, sample: Mapping[str, Path] | None) -> Path | str:
    key = f"sources.{name}"
    if isinstance(value, Mapping):
        _Checker(value, key, list(INPUT_OPTIONS))
        if "path" not in value:
            raise ConfigError(
                f"{key}.path: missing; write {key} = {{ path = \"file.gpkg\", layer = \"name\" }}")
        key, value = f"{key}.path", value["path"]
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key}: expected a file path (or 'sample:<layer>'), got {_show(value)}")
    if value.startswith(SAMPLE_PREFIX):
        layer = value[len(SAMPLE_PREFIX):]
        paths = sample if sample is not None else _sample_paths()
        if layer not in paths:
            raise ConfigError(
                f"{key}: the sample dataset has no layer {layer!r}{did_you_mean(layer, list(paths))} "
                f"Layers are: {', '.join(sorted(paths))}."
            )
        return Path(paths[layer])
    if is_remote(value):  # a URL stays as written (not resolved against base); opened early
        check_remote(value, key=key)
        return value
    p = Path(value).expanduser()
    if not p.is_absolute():
        p = base / p
    if not p.exists():
        raise InputNotFoundError(f"{key}: input file not found: {str(p)!r}")
    return p


def _renamed_sources_table(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """``data`` with ``[inputs]`` (the name of ``[sources]`` before 0.2.0) as ``[sources]``, warning."""
    if not isinstance(data, Mapping) or "inputs" not in data:
        return data
    if "sources" in data:
        raise ConfigError(
            "inputs: the table [inputs] is the deprecated name of [sources], which is given too: keep "
            "[sources] only (move the entries of [inputs] into it)"
        )
    warn_renamed("the configuration table [inputs]", "[sources] (the same entries: name = path)",
                 since="0.2.0", stacklevel=4)
    return {("sources" if k == "inputs" else k): v for k, v in data.items()}


def _sample_paths() -> dict[str, Path]:
    return {k: Path(v) for k, v in datasets.sample_paths().items()}


def config_from_dict(data: Mapping[str, Any], *, base_dir: PathLike = ".",
                     source: PathLike | None = None, output_dir: PathLike | None = None) -> Config:
    """Validate a configuration given as a (TOML-decoded) mapping.

    Parameters
    ----------
    data : mapping
        The decoded TOML document.
    base_dir : path, default "."
        Folder against which relative input paths (and ``model_file``) are resolved.
    source : path, optional
        The file it came from (kept in :attr:`Config.source`).
    output_dir : path, optional
        Folder against which a relative ``outputs.directory`` is resolved (default: the current
        working directory).

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        Any schema violation; the message starts with the key path. Both ``[sources]`` and its
        deprecated name ``[inputs]`` given.
    InputNotFoundError
        An input file does not exist, or an input URL (``https://``, ``s3://``, ``/vsicurl/``)
        cannot be opened by GDAL (the message names the key and the path or URL).

    Warns
    -----
    SteppeGeoDeprecationWarning
        The table of name → file is given as ``[inputs]``, its name before 0.2.0 (read as
        ``[sources]`` until 0.3.0).
    """
    base = Path(base_dir)
    data = _renamed_sources_table(data)
    top = _Checker(data, "", _TOP)
    project = _Checker(data.get("project", {}), "project", ["name"])
    name = project.str("name", "steppe-geo analysis")

    inputs_table = data.get("sources", {})
    _Checker(inputs_table, "sources", list(inputs_table) if isinstance(inputs_table, Mapping) else [])
    sample = None
    if any((isinstance(v, str) and v.startswith(SAMPLE_PREFIX))
           or (isinstance(v, Mapping) and str(v.get("path", "")).startswith(SAMPLE_PREFIX))
           for v in inputs_table.values()):
        sample = _sample_paths()
    inputs = {k: _resolve_input(k, v, base, sample) for k, v in inputs_table.items()}
    input_layers = {k: lay for k, v in inputs_table.items() if (lay := _input_layer(k, v)) is not None}
    input_specs = {k: _input_spec(k, v, inputs[k]) for k, v in inputs_table.items()}

    g = _Checker(data.get("grid", {}), "grid", ["aoi", "resolution_m", "projection", "margin_m"])
    grid = GridConfig(
        aoi=g.str("aoi", "aoi"),
        resolution_m=float(g.number("resolution_m", 100.0, low=0, low_open=True)),
        projection=g.choice("projection", Projection, "equal-area"),
        margin_m=float(g.number("margin_m", 0.0, low=0)),
    )
    if grid.aoi not in inputs:
        raise ConfigError(
            f"grid.aoi: {grid.aoi!r} is not in [sources]{did_you_mean(grid.aoi, list(inputs)) or '.'} "
            f"Sources are: {', '.join(inputs) or '(none)'}."
        )

    models_table = data.get("models", {})
    if not isinstance(models_table, Mapping):
        raise ConfigError(f"models: expected tables [models.<name>], got {_show(models_table)}")
    models = {m: _parse_model(m, t, base) for m, t in models_table.items()}

    parcels = None
    if "parcels" in data:
        p = _Checker(data["parcels"], "parcels", ["source", "id_column", "name_column", "top_k", "rank_by",
                                                  "select_by", "budget_ha", "n_draws",
                                                  "min_eligible_ha", "min_eligible_share",
                                                  "region_min_area_ha", "turbines", "hybrid"],
                     renamed={"monte_carlo_draws": "n_draws"})
        rank_by = data["parcels"].get("rank_by", list(models))
        if isinstance(rank_by, str):
            rank_by = [rank_by]
        if not isinstance(rank_by, list):
            raise ConfigError(
                f"parcels.rank_by: expected a model name or a list of them, got {_show(rank_by)}"
            )
        for i, m in enumerate(rank_by):
            if m not in models:
                where = "parcels.rank_by" if isinstance(data["parcels"].get("rank_by"), str) \
                    else f"parcels.rank_by[{i}]"
                raise ConfigError(
                    f"{where}: {m!r} is not a model{did_you_mean(str(m), list(models)) or '.'} "
                    f"Models are: {', '.join(models) or '(none)'}."
                )
        parcels = ParcelsConfig(
            source=p.str("source", "parcels"),
            id_column=p.str("id_column"),
            name_column=p.str("name_column"),
            top_k=p.integer("top_k", 10, low=1),
            rank_by=tuple(rank_by),
            select_by=p.str("select_by"),
            budget_ha=p.number("budget_ha", None, low=0, low_open=True),
            n_draws=p.integer("n_draws", 1000, low=0),
            min_eligible_ha=p.number("min_eligible_ha", None, low=0),
            min_eligible_share=p.number("min_eligible_share", 0.1, low=0, high=1),
            region_min_area_ha=p.number("region_min_area_ha", None, low=0),
            turbines=(_turbines(data["parcels"]["turbines"], tuple(rank_by), inputs)
                      if "turbines" in data["parcels"] else None),
        )
        if "hybrid" in data["parcels"]:
            parcels = replace(parcels, hybrid=_hybrid(data["parcels"]["hybrid"], parcels.turbines, inputs,
                                                      base))
        if parcels.source not in inputs:
            raise ConfigError(
                f"parcels.source: {parcels.source!r} is not in [sources]"
                f"{did_you_mean(parcels.source, list(inputs)) or '.'} "
                f"Sources are: {', '.join(inputs) or '(none)'}."
            )
        if parcels.select_by is not None and parcels.select_by not in parcels.rank_by:
            raise ConfigError(
                f"parcels.select_by: {parcels.select_by!r} is not one of parcels.rank_by "
                f"{list(parcels.rank_by)}{did_you_mean(parcels.select_by, list(parcels.rank_by))}"
            )

    o = _Checker(data.get("outputs", {}), "outputs",
                 ["directory", "rasters", "aligned_inputs", "criteria", "vectors", "maps", "report"])
    directory = Path(o.str("directory", "steppe-geo-output")).expanduser()
    out_base = Path(output_dir) if output_dir is not None else Path.cwd()
    outputs = OutputsConfig(
        directory=directory if directory.is_absolute() else out_base / directory,
        rasters=o.boolean("rasters", True),
        aligned_inputs=o.boolean("aligned_inputs", False),
        criteria=o.boolean("criteria", False),
        vectors=o.choices("vectors", VectorFormat, ("gpkg", "shapefile")),
        maps=o.choices("maps", MapFormat, ("png", "pdf")),
        report=o.boolean("report", True),
    )
    r = _Checker(data.get("run", {}), "run", ["mode", "window", "scheduler", "workers", "seed"])
    run = RunConfig(
        mode=r.choice("mode", RunMode, "memory"),
        window=r.integer("window", 1024, low=8),
        scheduler=r.str("scheduler"),
        workers=r.integer("workers", None, low=1),
        seed=r.integer("seed", 20261128, low=0),
    )
    if parcels is not None and run.mode != "memory":
        custom = [m for m in parcels.rank_by if models[m].kind == "custom"]
        if custom:
            raise ConfigError(
                f"parcels.rank_by: custom model {custom[0]!r} can rank parcels only with run.mode = 'memory' "
                f"(got {run.mode!r}); its standardised criteria are not kept in memory otherwise"
            )
    del top
    return Config(name, inputs, grid, models, parcels, outputs, run,
                  Path(source) if source is not None else None, input_layers, input_specs)


def parse_config(text: str, *, base_dir: PathLike = ".", source: PathLike | None = None,
                 output_dir: PathLike | None = None) -> Config:
    """Parse and validate TOML text (see :func:`config_from_dict`).

    A leading byte-order mark (as some Windows editors write) is ignored.

    Raises
    ------
    ConfigError
        Invalid TOML (with line and column) or schema violation (with the key path).
    """
    text = text.removeprefix("\ufeff")  # a byte-order mark (Windows editors) is not TOML, but harmless
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))  # a byte-order mark (Windows editors) is not TOML
    except tomllib.TOMLDecodeError as exc:
        where = f"{source}: " if source else ""
        raise ConfigError(f"{where}not valid TOML: {exc}") from None
    return config_from_dict(data, base_dir=base_dir, source=source, output_dir=output_dir)


def load_config(path: PathLike, *, output_dir: PathLike | None = None) -> Config:
    """Read and validate a TOML configuration file.

    Relative input paths inside it are resolved against its folder; a relative
    ``outputs.directory`` against ``output_dir`` (default: the current working directory).

    Parameters
    ----------
    path : path
        The ``.toml`` file.
    output_dir : path, optional
        Folder for a relative ``outputs.directory`` (default: the current working directory).

    Returns
    -------
    Config

    Raises
    ------
    InputNotFoundError
        The file, or an input it names, does not exist.
    ConfigError
        Invalid TOML or schema violation; the message names the key path, the bad value, the
        valid choices and the closest one.
    """
    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(f"configuration file not found: {str(p)!r}")
    try:
        text = p.read_text(encoding="utf-8-sig")  # UTF-8, with or without a byte-order mark
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{str(p)!r}: cannot read the configuration: it is not UTF-8 text (byte "
            f"{exc.object[exc.start]:#04x} at position {exc.start}); TOML files are UTF-8: save it as UTF-8 "
            "(with or without a BOM)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{str(p)!r}: cannot read the configuration: {exc}") from None
    return parse_config(text, base_dir=p.parent, source=p, output_dir=output_dir)
