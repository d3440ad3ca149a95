"""The parcel export bundle as tables: what :func:`steppe_geo.pipeline.export.export_bundle` writes.

:func:`export_tables` checks the request and assembles every table of the bundle in memory (the
ranked parcels with ``parcel_id`` and ``selected``, the priority areas with short field names, the
summary) and what the provenance records; writing the files is the shell's job
(:mod:`steppe_geo.pipeline.export`, through :mod:`steppe_geo.io`'s atomic writers), so ``parcels``
never touches the file system. ``steppe_geo.parcels.export_bundle`` forwards to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from steppe_geo._validation import did_you_mean
from steppe_geo.errors import EmptyLayerError, InvalidParameterError
from steppe_geo.parcels.selection import SelectionResult

__all__ = ["EXPORT_FORMATS", "SHAPEFILE_FIELDS", "SUMMARY_COLUMNS", "ExportTables", "export_tables"]

EXPORT_FORMATS = ("gpkg", "shapefile", "parquet", "flatgeobuf", "csv")
"""Formats :func:`export_bundle` writes (``formats=``), the values ``outputs.vectors`` accepts."""

DEFAULT_FORMATS = ("gpkg", "shapefile", "parquet", "csv")

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


def _shapefile_field_map(column_names: Iterable[Any]) -> dict[str, str]:
    """Short names for the known columns, skipping any that would clash with another column."""
    columns = [str(c) for c in column_names]
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


@dataclass(frozen=True)
class ExportTables:
    """The tables of a parcel export bundle, ready to be written (see :func:`export_tables`).

    Attributes
    ----------
    formats : tuple of str
        The formats asked for, checked (any of :data:`EXPORT_FORMATS`).
    table : geopandas.GeoDataFrame
        The ranked parcels with column ``parcel_id`` (the index) and, with a selection, a bool
        column ``selected``: the ``ranked_parcels`` layer, the GeoParquet and FlatGeobuf files.
    regions : geopandas.GeoDataFrame or None
        The ``regions`` layer of the GeoPackage.
    selected : geopandas.GeoDataFrame or None
        The selected parcels (the ``selection`` layer), with a selection.
    priority : geopandas.GeoDataFrame
        The priority areas of the shapefile zip: the selected parcels, else the regions, else the
        ranked parcels.
    field_map : dict of str to str
        Column → short (≤ 10 characters) shapefile field name of ``priority``.
    summary : pandas.DataFrame
        The CSV summary: ``parcel_id`` and the columns of :data:`SUMMARY_COLUMNS` present.
    provenance : dict
        What the provenance records besides the inputs' checksums (``model``, ``weights``,
        ``constraints``, ``selection``, ``capacity_basis``), JSON-ready.
    """

    formats: tuple[str, ...]
    table: gpd.GeoDataFrame
    regions: gpd.GeoDataFrame | None
    selected: gpd.GeoDataFrame | None
    priority: gpd.GeoDataFrame
    field_map: dict[str, str] = field(default_factory=dict)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    provenance: dict[str, Any] = field(default_factory=dict)


def export_tables(
    ranked: gpd.GeoDataFrame,
    *,
    regions: gpd.GeoDataFrame | None = None,
    selection: SelectionResult | None = None,
    model: str | None = None,
    weights: Mapping[str, float] | None = None,
    constraints: Mapping[str, Any] | None = None,
    formats: Iterable[str] = DEFAULT_FORMATS,
) -> ExportTables:
    """The tables of a parcel export bundle, checked and assembled in memory (nothing is written).

    :func:`steppe_geo.pipeline.export.export_bundle` (also ``steppe_geo.parcels.export_bundle``)
    writes them; see it for the files and their layers.

    Parameters
    ----------
    ranked : geopandas.GeoDataFrame
        Output of :func:`~steppe_geo.parcels.rank_parcels` (with geometry and CRS).
    regions : GeoDataFrame, optional
    selection : SelectionResult, optional
        Its parcels must be among ``ranked``; ranked parcels it did not consider are not selected.
    model, weights, constraints : optional
        Recorded in the provenance.
    formats : iterable of str, default ("gpkg", "shapefile", "parquet", "csv")
        Any of :data:`EXPORT_FORMATS`.

    Returns
    -------
    ExportTables

    Raises
    ------
    EmptyLayerError
        ``ranked`` is empty or not a GeoDataFrame.
    InvalidParameterError
        ``formats`` is empty or names an unknown format (the valid ones are listed), or the
        selection holds parcels that are not among ``ranked``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> boxes = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
    >>> ranked = gpd.GeoDataFrame({"rank": [1, 2], "score": [0.9, 0.4]}, geometry=boxes, crs="EPSG:32649")
    >>> t = export_tables(ranked, formats=["csv"])
    >>> t.formats, list(t.summary.columns), t.table["parcel_id"].tolist()
    (('csv',), ['parcel_id', 'rank', 'score'], [0, 1])
    """
    formats = tuple(formats) if not isinstance(formats, str) else (formats,)
    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown or not formats:
        hint = did_you_mean(str(unknown[0]), EXPORT_FORMATS) or "." if unknown else ""
        what = f"unknown format {unknown[0]!r}{hint}" if unknown else "no format given."
        raise InvalidParameterError(f"formats: {what} Valid formats are: {', '.join(EXPORT_FORMATS)}.")
    if not isinstance(ranked, gpd.GeoDataFrame) or len(ranked) == 0:
        raise EmptyLayerError("ranked: give a non-empty GeoDataFrame of ranked parcels")
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
    prov = dict(
        model=model, weights=_jsonable(dict(weights or {})),
        constraints=_jsonable(dict(constraints or {})), selection=_jsonable(sel_info),
        capacity_basis=(", ".join(sorted(set(ranked["capacity_basis"].dropna())))
                        if "capacity_basis" in ranked.columns else None),
    )
    if selection is not None:
        priority = table[table["selected"]]
    elif regions is not None:
        priority = regions
    else:
        priority = table
    fields = _shapefile_field_map(c for c in priority.columns if c != priority.geometry.name)
    cols = [c for c in SUMMARY_COLUMNS if c in table.columns]
    return ExportTables(formats=formats, table=table, regions=regions,
                        selected=table[table["selected"]] if selection is not None else None,
                        priority=priority, field_map=fields,
                        summary=pd.DataFrame(table[["parcel_id", *cols]]), provenance=prov)
