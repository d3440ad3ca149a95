"""Assemble the parcel export bundle and write it through :mod:`steppe_geo.io` (atomic writers)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from steppe_geo import io
from steppe_geo._deprecation import RenamedKeysDict
from steppe_geo._validation import did_you_mean
from steppe_geo.errors import EmptyLayerError, InvalidParameterError
from steppe_geo.parcels.selection import SelectionResult

__all__ = ["EXPORT_FORMATS", "SHAPEFILE_FIELDS", "SUMMARY_COLUMNS", "export_bundle"]

EXPORT_FORMATS = ("gpkg", "shapefile", "parquet", "flatgeobuf", "csv")
"""Formats :func:`export_bundle` writes (``formats=``), the values ``outputs.vectors`` accepts."""

_DEFAULT_FORMATS = ("gpkg", "shapefile", "parquet", "csv")

SUMMARY_COLUMNS = ("rank", "score", "percentile", "status", "eligible_area_ha", "parcel_area_ha",
                   "capacity_mw", "capacity_basis", "energy_gwh", "selected")
"""Columns of the CSV summary (those present in the ranked table)."""

SHAPEFILE_FIELDS = {
    "eligible_area_ha": "elig_ha",
    "eligible_fraction": "elig_frac",
    "parcel_area_ha": "parcel_ha",
    "covered_fraction": "cover_frac",
    "valid_area_ha": "valid_ha",
    "capacity_mw": "cap_mw",
    "capacity_basis": "cap_basis",
}
"""Readable short (dBASE) names of the ranking columns; ``contrib_x`` → ``c_x``, ``share_x`` → ``s_x``,
``gain_x`` → ``g_x``."""


def _shapefile_field_map(columns) -> dict[str, str]:
    """Short names for the known columns, skipping any that would clash with another column."""
    columns = [str(c) for c in columns]
    taken = {c.upper() for c in columns if len(c) <= 10}
    out: dict[str, str] = {}
    for col in columns:
        short = SHAPEFILE_FIELDS.get(col)
        for prefix, abbrev in (("contrib_", "c_"), ("share_", "s_"), ("gain_", "g_")):
            if short is None and col.startswith(prefix):
                short = (abbrev + col[len(prefix):])[:10]
        if short is None or short == col or short.upper() in taken:
            continue
        taken.add(short.upper())
        out[col] = short
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value


def export_bundle(
    ranked: gpd.GeoDataFrame,
    directory: str | Path,
    *,
    name: str = "parcels",
    regions: gpd.GeoDataFrame | None = None,
    selection: SelectionResult | None = None,
    model: str | None = None,
    weights: Mapping[str, float] | None = None,
    constraints: Mapping[str, Any] | None = None,
    inputs: Mapping[str, str | Path] | None = None,
    overwrite: bool = False,
    protected: Iterable[str | Path] | None = None,
    formats: Iterable[str] = _DEFAULT_FORMATS,
) -> dict[str, Path]:
    """Write ranked parcels, regions and a selection as a GeoPackage, shapefile zip, GeoParquet and CSV.

    Files (in ``directory``; each only when its format is in ``formats``):

    - ``{name}.gpkg`` with layers ``ranked_parcels``, ``regions`` (if given) and ``selection``
      (selected parcels, if given); provenance (model, weights, constraints, input checksums,
      library versions, selection objective/bound/gap) in the GeoPackage metadata;
    - ``{name}_priority.zip``: zipped shapefile of the priority areas (the selected parcels,
      else the regions, else the ranked parcels) with ≤ 10-character field names (the
      ranking columns get readable ones, :data:`SHAPEFILE_FIELDS`: ``cap_mw``, ``cap_basis``,
      ``elig_ha``, ``c_{criterion}``, ...), the mapping in ``fields.csv`` inside the zip,
      UTF-8 text (``.cpg``);
    - ``{name}.parquet``: GeoParquet of the ranked parcels (provenance in the file metadata);
    - ``{name}.fgb``: FlatGeobuf of the ranked parcels (the format has no slot for provenance);
    - ``{name}_summary.csv``: one row per parcel, the columns of :data:`SUMMARY_COLUMNS` present.

    The parcels' index is written as column ``parcel_id`` (unless such a column exists).

    Parameters
    ----------
    ranked : geopandas.GeoDataFrame
        Output of :func:`~steppe_geo.parcels.rank_parcels` (with geometry and CRS).
    directory : path
        Output folder (created if missing).
    regions : GeoDataFrame, optional
    selection : SelectionResult, optional
        Its parcels must be among ``ranked`` (e.g. selected from the scored ones); ranked
        parcels it did not consider are written as not selected.
    model, weights, constraints : optional
        Recorded in the provenance.
    inputs : mapping name -> path, optional
        Input files; their SHA-256 checksums go into the provenance.
    overwrite : bool, default False
        Replace existing files (otherwise OutputExistsError from io).
    protected : paths, optional
        The run's inputs, never written over.
    formats : iterable of str, default ("gpkg", "shapefile", "parquet", "csv")
        Which files to write, any of :data:`EXPORT_FORMATS`: ``gpkg``, ``shapefile`` (the zip),
        ``parquet``, ``flatgeobuf``, ``csv`` (the summary).

    Returns
    -------
    dict
        Written paths keyed by format, as ``formats`` names them: ``"gpkg"``, ``"shapefile"``,
        ``"parquet"``, ``"flatgeobuf"``, ``"csv"`` (the formats written). The keys
        ``"shapefile_zip"`` and ``"geoparquet"`` of releases before 0.2.0 still look up
        ``"shapefile"`` and ``"parquet"``, with a deprecation warning, until 0.3.0.

    Raises
    ------
    EmptyLayerError
        ``ranked`` is empty or not a GeoDataFrame.
    InvalidParameterError
        ``formats`` is empty or names an unknown format (the valid ones are listed).
    """
    formats = tuple(formats) if not isinstance(formats, str) else (formats,)
    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown or not formats:
        hint = did_you_mean(str(unknown[0]), EXPORT_FORMATS) or "." if unknown else ""
        what = f"unknown format {unknown[0]!r}{hint}" if unknown else "no format given."
        raise InvalidParameterError(f"formats: {what} Valid formats are: {', '.join(EXPORT_FORMATS)}.")
    if not isinstance(ranked, gpd.GeoDataFrame) or len(ranked) == 0:
        raise EmptyLayerError("ranked: give a non-empty GeoDataFrame of ranked parcels")
    directory = Path(directory)
    table = ranked.copy()
    sel_info: dict[str, Any] = {}
    if selection is not None:
        extra = selection.selected.index.difference(ranked.index)
        if len(extra):
            raise InvalidParameterError(
                f"selection: {len(extra)} of its parcels are not among the ranked parcels "
                f"(e.g. {list(extra[:5])}); select from the ranked table or a subset of it")
        # parcels the selection did not consider (e.g. unscored ones left out) are not selected
        table["selected"] = selection.selected.reindex(ranked.index, fill_value=False).astype(bool).to_numpy()
        sel_info = {"objective": selection.objective, "bound": selection.bound, "gap": selection.gap,
                    "total_cost": selection.total_cost, "status": selection.status,
                    "n_selected": int(table["selected"].sum())}
    table = table.reset_index(names="parcel_id") if "parcel_id" not in table.columns else table
    prov = io.provenance_record(
        inputs, model=model, weights=_jsonable(dict(weights or {})),
        constraints=_jsonable(dict(constraints or {})), selection=_jsonable(sel_info),
        capacity_basis=(", ".join(sorted(set(ranked["capacity_basis"].dropna())))
                        if "capacity_basis" in ranked.columns else None),
    )
    common = {"overwrite": overwrite, "protected": protected}
    written: dict[str, Path] = {}
    if "gpkg" in formats:
        gpkg = directory / f"{name}.gpkg"
        io.write_vector(table, gpkg, layer="ranked_parcels", provenance=prov, **common)
        if regions is not None:
            io.write_vector(regions, gpkg, layer="regions", provenance=prov, append_layer=True, **common)
        if selection is not None:
            io.write_vector(table[table["selected"]], gpkg, layer="selection", provenance=prov,
                            append_layer=True, **common)
        written["gpkg"] = gpkg
    if "shapefile" in formats:
        if selection is not None:
            priority = table[table["selected"]]
        elif regions is not None:
            priority = regions
        else:
            priority = table
        fields = _shapefile_field_map(c for c in priority.columns if c != priority.geometry.name)
        written["shapefile"] = io.write_shapefile_zip(priority, directory / f"{name}_priority.zip",
                                                      field_map=fields, **common)
    if "parquet" in formats:
        written["parquet"] = io.write_vector(table, directory / f"{name}.parquet", provenance=prov,
                                             **common)
    if "flatgeobuf" in formats:
        written["flatgeobuf"] = io.write_vector(table, directory / f"{name}.fgb", layer="ranked_parcels",
                                                **common)
    if "csv" in formats:
        cols = [c for c in SUMMARY_COLUMNS if c in table.columns]
        summary = pd.DataFrame(table[["parcel_id", *cols]])
        written["csv"] = io.write_vector(summary, directory / f"{name}_summary.csv", **common)
    return RenamedKeysDict(written, {"shapefile_zip": "shapefile", "geoparquet": "parquet"},
                           what="export_bundle()", since="0.2.0")
