"""The ``steppe-geo`` command line: thin click commands over :mod:`steppe_geo.pipeline`.

Exit codes: 0 success; 1 failure (a :class:`~steppe_geo.errors.SteppeGeoError`, reported as
one line without a traceback; ``-v`` adds the traceback to the log); 2 usage error (bad
option or argument); 130 interrupted (Ctrl-C; a run leaves no partial outputs); 143 terminated
(SIGTERM, handled like Ctrl-C).

Only this module configures logging handlers (``-v`` info, ``-vv`` debug, ``-q`` errors only).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd
import xarray as xr
from tqdm.contrib.logging import logging_redirect_tqdm

from steppe_geo import pipeline
from steppe_geo.config import EXAMPLE_CONFIG, load_config
from steppe_geo.criteria import drift_potential, drift_potential_grid, speed_at_10m, windy_share
from steppe_geo.datasets import REGION_CONFIG, synthetic_region
from steppe_geo.errors import InputNotFoundError, InvalidParameterError, SteppeGeoError, UnreadableInputError
from steppe_geo.io import (
    read_raster,
    read_raster_stack,
    read_raster_tags,
    read_station_record,
    read_vector,
    save_figure,
    vector_layers,
    write_raster,
    write_shapefile_zip,
    write_text,
    write_vector,
)
from steppe_geo.mcda import parse_bit_legend
from steppe_geo.parcels import rank_parcels, zonal_stats
from steppe_geo.pipeline.staging import RunTerminated, interrupted_by_signal

__all__ = ["main"]

log = logging.getLogger("steppe_geo")

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
"""Exit code after SIGTERM (128 + 15); the run was unwound as for Ctrl-C."""
RUN_PARCEL_LAYER = "ranked_parcels"
"""The layer read from a run's parcel GeoPackage when ``--layer`` is not given."""


def _quiet_after_signal(unraisable: Any) -> None:
    """``sys.unraisablehook``: after SIGINT/SIGTERM, errors from ``__del__`` go to the debug log.

    The signal interrupts the run wherever it is, possibly inside a dependency's constructor
    (e.g. a Dask future); the half-built object's ``__del__`` then fails while the process
    exits. That is noise after "Interrupted"/"Terminated", not a fault of the run. Before any
    signal, Python's default hook reports as usual.
    """
    if interrupted_by_signal():
        log.debug("ignored after the interrupt: %s in %r", unraisable.exc_type.__name__, unraisable.object)
        return
    sys.__unraisablehook__(unraisable)


class _Group(click.Group):
    """A click group that turns library errors into one-line messages with exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        sys.unraisablehook = _quiet_after_signal
        try:
            return super().invoke(ctx)
        except SteppeGeoError as exc:
            log.debug("traceback", exc_info=True)
            click.echo(f"Error: {_cli_message(str(exc))}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt as exc:
            terminated = isinstance(exc, RunTerminated)
            click.echo(f"{'Terminated' if terminated else 'Interrupted'}: no partial outputs were left.",
                       err=True)
            ctx.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)


def _cli_message(text: str) -> str:
    """Library messages name ``overwrite=True``; on the command line that is ``--overwrite``."""
    text = text.replace("--overwrite (overwrite=True)", "--overwrite")
    return text.replace("overwrite=True", "--overwrite")


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("steppe_geo")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    warn_log = logging.getLogger("steppe_geo.warnings")

    def show(message: Any, category: type[Warning], filename: str, lineno: int, file: Any = None,
             line: str | None = None) -> None:
        # one line per warning, without the source line of the library
        warn_log.warning("%s: %s", category.__name__, message)

    warnings.showwarning = show


def _progress(ctx: click.Context) -> bool:
    """Progress bars only on a terminal and without ``-q``."""
    return not ctx.obj["quiet"] and sys.stderr.isatty()


@contextlib.contextmanager
def _bars(progress: bool) -> Iterator[None]:
    """While progress bars are drawn, log lines (and warnings) are written above them, not into them."""
    if not progress:
        yield
        return

    with logging_redirect_tqdm(loggers=[logging.getLogger("steppe_geo")]):
        yield


def _run(ctx: click.Context, cfg: Any, **kwargs: Any) -> None:
    """Run a configuration with progress bars (on a terminal) and report what was written."""
    progress = _progress(ctx)
    with _bars(progress):
        result = pipeline.run(cfg, progress=progress, **kwargs)
    _report_run(result, ctx.obj["quiet"])


TABLE_SUFFIXES = (".csv",)
"""Plain tables (no geometry): ``zonal`` and ``rank`` write them, only ``rank`` reads them."""
VECTOR_SUFFIXES = (".gpkg", ".parquet", ".fgb", ".geojson", ".shp", ".zip")
"""Vector files with geometry that ``rank``, ``map --kind parcels`` and ``export`` read."""
_LEADING_ZERO = r"^[+-]?0\d"


def _read_csv_table(path: Path) -> Any:
    """A CSV table written by ``zonal`` or ``rank``: numbers as numbers, ids such as ``007`` as text."""
    if not path.is_file():
        raise InputNotFoundError(f"table not found: {str(path)!r}")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise UnreadableInputError(f"{str(path)!r} is not a readable UTF-8 CSV table: {exc}") from None
    table = raw.copy()
    for col in raw.columns:
        text = raw[col].dropna()
        numbers = pd.to_numeric(text, errors="coerce")
        if len(text) and numbers.notna().all() and not text.str.match(_LEADING_ZERO).any():
            table[col] = pd.to_numeric(raw[col])
    return table


def _read_vector_layer(path: Path, layer: str | None, *, param: str, command: str = "this command",
                       tables: bool = False) -> Any:
    """Read a vector file; a GeoPackage with several layers needs ``--layer`` (a run's own default).

    Run outputs (``parcels/<model>.gpkg``) hold ``ranked_parcels``, ``regions`` and ``selection``:
    without ``--layer`` their ``ranked_parcels`` layer is read. With ``tables`` a ``.csv`` (the
    table ``zonal`` or ``rank`` writes, without geometry) is read as a plain table; otherwise it
    is refused, naming the formats the command reads.
    """
    if path.suffix.lower() in TABLE_SUFFIXES:
        if tables:
            return _read_csv_table(path)
        raise UnreadableInputError(
            f"{str(path)!r} is a CSV table without geometry; {command} reads a vector file with parcel "
            f"outlines ({', '.join(VECTOR_SUFFIXES)}): write the previous step with --out NAME.gpkg "
            "(or .parquet, .fgb)"
        )
    if layer is None and path.suffix.lower() == ".gpkg" and path.is_file():
        names = vector_layers(path)
        if len(names) > 1:
            if RUN_PARCEL_LAYER not in names:
                raise click.BadParameter(
                    f"{path.name} holds several layers ({', '.join(names)}); choose one with --layer",
                    param_hint=param)
            layer = RUN_PARCEL_LAYER
            log.info("reading layer %r of %s (use --layer to choose another)", layer, path.name)
    return read_vector(path, layer=layer)


overwrite_option = click.option("--overwrite", is_flag=True, help="Replace existing outputs.")
scheduler_option = click.option("--scheduler", metavar="ADDRESS",
                                help="Run on an existing dask.distributed scheduler (tcp://host:8786).")
workers_option = click.option("--workers", type=click.IntRange(min=1), metavar="N",
                              help="Run on a local Dask cluster with N worker processes.")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress bars.")
@click.version_option(package_name="steppe-geo", prog_name="steppe-geo")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Wind and solar siting, desertification risk and restoration priority.

    Weighted overlay to ranked parcels, maps and a report. Start with `steppe-geo demo`.
    """
    ctx.ensure_object(dict)
    ctx.obj["quiet"] = quiet
    ctx.obj["verbose"] = verbose
    _configure_logging(verbose, quiet)


def _report_run(result: Any, quiet: bool) -> None:
    if quiet:
        return
    seconds = result.summary["total_seconds"]
    click.echo(f"Wrote {len(result.files)} files to {result.out_dir} in {seconds:.1f} s")


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("steppe-geo-demo"),
              show_default=True, help="Output folder (must not exist unless --overwrite).")
@click.option("--resolution", "resolution_m", type=click.FloatRange(min=1, min_open=False), default=100.0,
              show_default=True, help="Analysis-grid resolution in metres.")
@overwrite_option
@scheduler_option
@workers_option
@click.pass_context
def demo(ctx: click.Context, out_dir: Path, resolution_m: float, overwrite: bool, scheduler: str | None,
         workers: int | None) -> None:
    """Run the full pipeline on the bundled (synthetic) sample dataset."""
    cfg = pipeline.demo_config(out_dir, resolution_m=resolution_m)
    _run(ctx, cfg, overwrite=overwrite, scheduler=scheduler, workers=workers)


@main.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path("steppe-geo.toml"))
@overwrite_option
@click.pass_context
def init(ctx: click.Context, path: Path, overwrite: bool) -> None:
    """Write a commented example configuration to PATH (default steppe-geo.toml)."""
    write_text(EXAMPLE_CONFIG, path, overwrite=overwrite)
    if not ctx.obj["quiet"]:
        click.echo(f"Wrote {path}; check it with: steppe-geo validate {path}")


config_argument = click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))


@main.command()
@config_argument
@click.pass_context
def validate(ctx: click.Context, config: Path) -> None:
    """Check CONFIG (a TOML file) completely without running anything.

    The schema, every model (preset parameters, model files, edits, the layers criteria and
    constraints read, weights and AHP judgements), the inputs each model needs and the parcel
    layer's columns. Prints the grid size, the output bytes and the peak memory estimated for
    the run's mode (a memory-mode run that would not fit is refused). No raster pixels are read
    and nothing is written.
    """
    cfg = load_config(config)
    pipeline.check_config(cfg)
    if not ctx.obj["quiet"]:
        def describe(m: Any) -> str:
            a = pipeline.ahp_result(m, inputs=list(cfg.sources))
            return m.label if a is None else f"{m.label}, AHP CR {a.cr:.3f}"

        models = ", ".join(f"{k} ({describe(m)})" for k, m in cfg.models.items()) or "none"
        click.echo(f"{config}: valid. {len(cfg.sources)} inputs; models: {models}; "
                   f"grid {cfg.grid.resolution_m:g} m; outputs -> {cfg.outputs.directory}")
        click.echo(f"Size: {pipeline.estimate_run(cfg, mode=pipeline.effective_mode(cfg)).describe()}")


@main.command()
@config_argument
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: outputs.directory of the config, relative to the "
                   "current folder).")
@overwrite_option
@scheduler_option
@workers_option
@click.pass_context
def run(ctx: click.Context, config: Path, out_dir: Path | None, overwrite: bool, scheduler: str | None,
        workers: int | None) -> None:
    """Run CONFIG end to end: rasters, parcels, maps and the report."""
    _run(ctx, load_config(config), overwrite=overwrite, out_dir=out_dir, scheduler=scheduler, workers=workers)


@main.command()
@config_argument
@click.option("--model", "model_names", multiple=True, metavar="NAME",
              help="Model(s) of the config to score (default: all).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Output folder.")
@overwrite_option
@scheduler_option
@workers_option
@click.pass_context
def score(ctx: click.Context, config: Path, model_names: Sequence[str], out_dir: Path, overwrite: bool,
          scheduler: str | None, workers: int | None) -> None:
    """Score the models of CONFIG and write their rasters (score, eligible, exclusion) to --out."""
    cfg = pipeline.select_models(load_config(config), model_names, rasters_only=True)
    _run(ctx, cfg, overwrite=overwrite, out_dir=out_dir, scheduler=scheduler, workers=workers)


def _named_paths(items: Sequence[str]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep:
            name, path = Path(item).stem, item
        if not name or name in out:
            raise click.BadParameter(f"raster names must be unique and non-empty, got {item!r}",
                                     param_hint="RASTERS")
        out[name] = Path(path)
    return out


def _weights(text: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise click.BadParameter(f"expected NAME=WEIGHT pairs separated by commas, got {part!r}",
                                     param_hint="--weights") from None
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=WEIGHT, got {part!r}", param_hint="--weights")
    return weights


@main.command()
@click.argument("parcels_path", metavar="PARCELS", type=click.Path(path_type=Path))
@click.argument("rasters", nargs=-1, required=True)
@click.option("--out", "out_path", type=click.Path(path_type=Path), required=True,
              help="Output table (.gpkg, .parquet, .fgb or .csv).")
@click.option("--eligible", type=click.Path(path_type=Path), default=None,
              help="Eligibility raster (1 = eligible): statistics over each parcel's eligible part.")
@click.option("--id-column", default=None, help="Unique parcel id column (default: row order).")
@click.option("--stats", default="mean", show_default=True,
              help="Comma-separated statistics: mean, sum, min, max, std, count, area.")
@click.option("--layer", default=None, help="Layer of PARCELS to read (GeoPackage).")
@overwrite_option
@click.pass_context
def zonal(ctx: click.Context, parcels_path: Path, rasters: Sequence[str], out_path: Path,
          eligible: Path | None, id_column: str | None, stats: str, layer: str | None,
          overwrite: bool) -> None:
    """Exact zonal statistics of RASTERS ([NAME=]PATH, e.g. criteria from `score`) over PARCELS."""
    names = _named_paths(rasters)
    parcels = _read_vector_layer(parcels_path, layer, param="--layer", command="zonal")
    layers = {name: read_raster(path, name=name) for name, path in names.items()}
    mask = read_raster(eligible, kind="categorical") == 1 if eligible is not None else None
    table = zonal_stats(parcels, layers, eligible=mask, id_column=id_column,
                        stats=[s.strip() for s in stats.split(",") if s.strip()])
    write_vector(table, out_path, overwrite=overwrite)
    if not ctx.obj["quiet"]:
        click.echo(f"Wrote zonal statistics of {len(layers)} layers for {len(table)} parcels to {out_path}")


@main.command()
@click.argument("zonal_path", metavar="ZONAL", type=click.Path(path_type=Path))
@click.option("--weights", "weights_text", required=True, metavar="NAME=W,...",
              help="Criterion weights, e.g. wind=3,slope=1 (criteria are the {name}_mean columns).")
@click.option("--out", "out_path", type=click.Path(path_type=Path), required=True,
              help="Output (.gpkg, .parquet, .fgb or .csv).")
@click.option("--technology", type=click.Choice(["wind", "solar"]), default=None,
              help="Add capacity (MW) from the eligible area.")
@click.option("--layer", default=None, help="Layer of ZONAL to read (GeoPackage).")
@overwrite_option
@click.pass_context
def rank(ctx: click.Context, zonal_path: Path, weights_text: str, out_path: Path, technology: str | None,
         layer: str | None, overwrite: bool) -> None:
    """Rank parcels from a zonal-statistics table with per-criterion contributions.

    ZONAL is what `zonal` writes: a vector file (.gpkg, .parquet, .fgb) or a .csv table (then the
    ranking is written as .csv, having no geometry).
    """
    weights = _weights(weights_text)  # a usage error is reported before any file is read
    table = _read_vector_layer(zonal_path, layer, param="--layer", command="rank", tables=True)
    if "geometry" not in getattr(table, "columns", ()) and out_path.suffix.lower() not in TABLE_SUFFIXES:
        raise InvalidParameterError(
            f"--out {str(out_path)!r}: {str(zonal_path)!r} is a table without geometry, so rank writes it "
            f"only as {', '.join(TABLE_SUFFIXES)}; for a {out_path.suffix} output give rank the zonal "
            "statistics as .gpkg, .parquet or .fgb"
        )
    area_col = "eligible_area_ha" if "eligible_area_ha" in table.columns else None
    ranked = rank_parcels(table, weights=weights, technology=technology,
                          eligible_area_column=area_col)
    write_vector(ranked, out_path, overwrite=overwrite)
    if not ctx.obj["quiet"]:
        click.echo(f"Ranked {int(ranked['rank'].notna().sum())} of {len(ranked)} parcels into {out_path}")


_FORMATS = ["gpkg", "shapefile", "parquet", "flatgeobuf", "csv"]
_SUFFIX = {"gpkg": ".gpkg", "shapefile": ".zip", "parquet": ".parquet", "flatgeobuf": ".fgb", "csv": ".csv"}


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="shapefile", show_default=True,
              help="Output format (shapefile = one zip with UTF-8 names and a field-name mapping).")
@click.option("--out", "out_path", type=click.Path(path_type=Path), required=True, help="Output file.")
@click.option("--layer", default=None, help="Layer of SOURCE to read (GeoPackage).")
@overwrite_option
@click.pass_context
def export(ctx: click.Context, source: Path, fmt: str, out_path: Path, layer: str | None,
           overwrite: bool) -> None:
    """Convert a vector result (e.g. ranked parcels) to another format."""
    if out_path.suffix.lower() != _SUFFIX[fmt]:
        raise click.BadParameter(f"--format {fmt} writes a {_SUFFIX[fmt]} file, got {out_path.name!r}",
                                 param_hint="--out")
    gdf = _read_vector_layer(source, layer, param="--layer", command="export")
    if fmt == "shapefile":
        write_shapefile_zip(gdf, out_path, overwrite=overwrite)
    else:
        write_vector(gdf, out_path, overwrite=overwrite)
    if not ctx.obj["quiet"]:
        click.echo(f"Wrote {len(gdf)} features to {out_path}")


_MAP_KINDS = ["suitability", "exclusions", "esa", "parcels"]


def _exclusion_names(source: Path, constraints: str | None) -> list[str]:
    """Bit names for an exclusion map: ``--constraints`` if given, else the raster's ``constraints`` tag."""
    if constraints is not None:
        names = [n.strip() for n in constraints.split(",") if n.strip()]
        if not names:
            raise click.BadParameter(f"no constraint names in {constraints!r}; give the bit names in order, "
                                     "comma-separated", param_hint="--constraints")
        return names
    tag = read_raster_tags(source).get("constraints")
    if not tag:
        raise click.BadParameter(f"{source.name} has no 'constraints' tag naming its bits (it was not "
                                 "written by steppe-geo); give the bit names in order, comma-separated "
                                 "(bit 0 first)", param_hint="--constraints")
    try:
        return parse_bit_legend(tag)
    except InvalidParameterError as exc:
        raise click.BadParameter(f"{source.name}: its 'constraints' tag is not a bit legend ({exc}); give "
                                 "the bit names in order, comma-separated",
                                 param_hint="--constraints") from None


@main.command(name="map")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(_MAP_KINDS), default="suitability", show_default=True,
              help="Map style.")
@click.option("--out", "out_path", type=click.Path(path_type=Path), required=True,
              help="Output image (.png or .pdf).")
@click.option("--column", default="score", show_default=True, help="Parcel column (--kind parcels).")
@click.option("--top", "k", type=click.IntRange(min=0), default=10, show_default=True,
              help="Parcels labelled (--kind parcels).")
@click.option("--constraints", default=None, metavar="NAMES",
              help="Bit names in order, comma-separated (--kind exclusions; default: the raster's "
                   "'constraints' tag, written by every run).")
@click.option("--title", default=None, help="Map title.")
@click.option("--layer", default=None,
              help=f"Layer of SOURCE to read (--kind parcels; default for a run's GeoPackage: "
                   f"{RUN_PARCEL_LAYER}).")
@overwrite_option
@click.pass_context
def map_command(ctx: click.Context, source: Path, kind: str, out_path: Path, column: str, k: int,
                constraints: str | None, title: str | None, layer: str | None, overwrite: bool) -> None:
    """Draw a map of SOURCE (a raster result, or ranked parcels) to PNG or PDF."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from steppe_geo import maps

    if out_path.suffix.lower() not in (".png", ".pdf"):
        raise click.BadParameter(f"expected a .png or .pdf file, got {out_path.name!r}", param_hint="--out")
    note = f"source: {source.name}"
    if kind == "parcels":
        parcels = _read_vector_layer(source, layer, param="--layer", command="map --kind parcels")
        ax = maps.plot_ranked_parcels(parcels, column=column, top_k=k, title=title, note=note)
    else:
        da = read_raster(source)
        if kind == "suitability":
            ax = maps.plot_suitability(da, title=title, note=note)
        elif kind == "esa":
            ax = maps.plot_esa_classes(da, title=title, note=note)
        else:
            names = _exclusion_names(source, constraints)
            ax = maps.plot_exclusions(da, names, title=title, note=note)
    fig = ax.figure
    assert isinstance(fig, Figure)  # the plot_* functions draw on a figure of their own, not a subfigure
    save_figure(fig, out_path, overwrite=overwrite)
    plt.close(fig)
    if not ctx.obj["quiet"]:
        click.echo(f"Wrote {out_path}")


_STACK_SUFFIXES = (".nc", ".nc4", ".cdf")
_DRIFT_QUANTITIES = ("dp", "rdp", "rdp_dp", "dp_across_rows", "rdd_deg")


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--height", "height_m", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Height of the wind above ground, m (default: the record's; NSRDB 2 m; required for "
                   "stacks without a wind_height_m attribute).")
@click.option("--roughness", "roughness_m", type=click.FloatRange(min=0, min_open=True), default=0.03,
              show_default=True, help="Roughness length z0 (m) of the log law to 10 m.")
@click.option("--threshold", "threshold_kn", type=click.FloatRange(min=0, min_open=True), default=12.0,
              show_default=True, help="Threshold wind speed at 10 m, knots.")
@click.option("--rose", "rose_path", type=click.Path(path_type=Path), default=None,
              help="Write the sand rose of a station record (.png or .pdf).")
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=None,
              help="Gridded stack: write this GeoTIFF of --quantity.")
@click.option("--quantity", type=click.Choice(_DRIFT_QUANTITIES), default="dp", show_default=True,
              help="Gridded stack: what --out holds (dp_across_rows = drift crossing east-west PV rows).")
@click.option("--speed-variable", default="wind_speed", show_default=True,
              help="Gridded NetCDF stack: the wind speed variable (m/s).")
@click.option("--direction-variable", default="wind_direction", show_default=True,
              help="Gridded NetCDF stack: the wind direction variable (degrees, from).")
@overwrite_option
@click.pass_context
def drift(ctx: click.Context, source: Path, height_m: float | None, roughness_m: float, threshold_kn: float,
          rose_path: Path | None, out_path: Path | None, quantity: str, speed_variable: str,
          direction_variable: str, overwrite: bool) -> None:
    """Sand drift potential (Fryberger & Dean 1979) of a wind record: DP, RDP, RDD, RDP/DP, class.

    SOURCE is a station record (CSV: NSRDB/TMY layout or Year..Minute columns) or a gridded stack
    (NetCDF with a time axis, wind speed and direction variables).
    """
    if source.suffix.lower() in _STACK_SUFFIXES:
        if rose_path is not None:
            raise click.BadParameter("the rose is drawn for a station record (CSV), not a gridded stack",
                                     param_hint="--rose")
        speed = read_raster_stack(source, variable=speed_variable)
        direction = read_raster_stack(source, variable=direction_variable)
        height = height_m if height_m is not None else _stack_height(source)
        grid = drift_potential_grid(speed, direction, reference_height_m=height, threshold_kn=threshold_kn,
                                    roughness_m=roughness_m)
        dp = grid["dp"].values
        if out_path is not None:
            write_raster(grid[quantity], out_path, overwrite=overwrite)
        if not ctx.obj["quiet"]:
            rows, cols = dp.shape
            click.echo(f"{source.name}: {speed.sizes['time']} records on {rows} x {cols} pixels, "
                       f"wind at {height:g} m")
            click.echo(f"DP  min {np.nanmin(dp):.0f}  mean {np.nanmean(dp):.0f}  max {np.nanmax(dp):.0f} VU")
            if out_path is not None:
                click.echo(f"Wrote {quantity} to {out_path}")
        return
    if out_path is not None:
        raise click.BadParameter("--out writes a raster of a gridded stack; SOURCE is a station record",
                                 param_hint="--out")
    record = read_station_record(source, wind_height_m=height_m)
    result = drift_potential(record, threshold_kn=threshold_kn, roughness_m=roughness_m)
    v10 = speed_at_10m(record["wind_speed"].values, reference_height_m=result.reference_height_m,
                       roughness_m=roughness_m)
    w = float(windy_share(v10, record["duration_h"].values))
    if not ctx.obj["quiet"]:
        where = ""
        if "latitude" in record.attrs:
            where = f" ({record.attrs['latitude']:.2f}, {record.attrs['longitude']:.2f})"
        click.echo(f"{source.name}{where}: {record.sizes['time']} records, {record.attrs['spacing']}, "
                   f"{result.hours:g} h; wind at {result.reference_height_m:g} m → 10 m "
                   f"(z0 {roughness_m:g} m)")
        click.echo(f"DP      {result.dp:.1f} VU ({result.energy_class} energy)")
        click.echo(f"RDP     {result.rdp:.1f} VU")
        click.echo(f"RDD     {result.rdd_deg:.0f}° (towards, clockwise from north)")
        click.echo(f"RDP/DP  {result.ratio:.2f} ({result.directionality} directional variability)")
        click.echo(f"DP across east-west rows  {result.across_rows(90.0):.1f} VU")
        click.echo(f"W (10 m wind > 4.5 m/s)   {w:.1f} % of the time")
    if rose_path is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure

        from steppe_geo.maps import plot_drift_rose

        if rose_path.suffix.lower() not in (".png", ".pdf"):
            raise click.BadParameter(f"expected a .png or .pdf file, got {rose_path.name!r}",
                                     param_hint="--rose")
        ax = plot_drift_rose(result, note=f"source: {source.name}")
        fig = ax.figure
        assert isinstance(fig, Figure)  # plot_drift_rose draws on a figure of its own, not a subfigure
        save_figure(fig, rose_path, overwrite=overwrite)
        plt.close(fig)
        if not ctx.obj["quiet"]:
            click.echo(f"Wrote {rose_path}")


def _stack_height(source: Path) -> float:
    with xr.open_dataset(source) as ds:
        if "wind_height_m" in ds.attrs:
            return float(ds.attrs["wind_height_m"])
    raise click.BadParameter(f"{source.name} does not say the height of its wind; give it",
                             param_hint="--height")


def _size(text: str) -> tuple[int, int]:
    """``"4096"`` → (4096, 4096); ``"2000x3000"`` → (2000, 3000)."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or min(values) <= 0:
        raise click.BadParameter(f"expected N or ROWSxCOLS (positive integers, e.g. 11000x11000), "
                                 f"got {text!r}", param_hint="--size")
    return (values[0], values[-1])


@main.command(name="make-region")
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--size", "size_text", required=True, metavar="N|ROWSxCOLS",
              help="Pixels of an analysis grid over the region at --resolution (11000x11000 = 121 Mpx).")
@click.option("--resolution", "resolution_m", type=click.FloatRange(min=0, min_open=True), default=100.0,
              show_default=True, help="Resolution in metres the size refers to.")
@click.option("--seed", type=int, default=20261128, show_default=True, help="Seed of every random field.")
@click.option("--window", type=click.IntRange(min=1), default=1024, show_default=True,
              help="Window (pixels) in which rasters are computed and written.")
@overwrite_option
@click.pass_context
def make_region(ctx: click.Context, out_dir: Path, size_text: str, resolution_m: float, seed: int,
                window: int, overwrite: bool) -> None:
    """Write a SYNTHETIC region of any size to OUT_DIR (sample layers as tiled COGs, and region.toml)."""
    synthetic_region(out_dir, size_px=_size(size_text), resolution_m=resolution_m, seed=seed, window=window,
                     overwrite=overwrite)
    if not ctx.obj["quiet"]:
        click.echo(f"Wrote a synthetic region to {out_dir}; run it with: steppe-geo run "
                   f"{out_dir / REGION_CONFIG}")


if __name__ == "__main__":  # python -m steppe_geo.cli
    main()
