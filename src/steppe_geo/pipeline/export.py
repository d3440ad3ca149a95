"""Write the parcel export bundle: the tables of :mod:`steppe_geo.parcels.export` through ``io``'s writers.

The shell side of the export (files are opened and written only by ``io`` and the pipeline):
:func:`export_bundle` is also ``steppe_geo.parcels.export_bundle``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd

from steppe_geo import io
from steppe_geo._deprecation import RenamedKeysDict
from steppe_geo.parcels.export import DEFAULT_FORMATS, export_tables
from steppe_geo.parcels.selection import SelectionResult

__all__ = ["export_bundle"]


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
    formats: Iterable[str] = DEFAULT_FORMATS,
) -> dict[str, Path]:
    """Write ranked parcels, regions and a selection as a GeoPackage, shapefile zip, GeoParquet and CSV.

    Files (in ``directory``; each only when its format is in ``formats``):

    - ``{name}.gpkg`` with layers ``ranked_parcels``, ``regions`` (if given) and ``selection``
      (selected parcels, if given); provenance (model, weights, constraints, input checksums,
      library versions, selection objective/bound/gap) in the GeoPackage metadata;
    - ``{name}_priority.zip``: zipped shapefile of the priority areas (the selected parcels,
      else the regions, else the ranked parcels) with ≤ 10-character field names (the
      ranking columns get readable ones, :data:`~steppe_geo.parcels.SHAPEFILE_FIELDS`: ``cap_mw``,
      ``cap_basis``, ``elig_ha``, ``c_{criterion}``, ...), the mapping in ``fields.csv`` inside the zip,
      UTF-8 text (``.cpg``);
    - ``{name}.parquet``: GeoParquet of the ranked parcels (provenance in the file metadata);
    - ``{name}.fgb``: FlatGeobuf of the ranked parcels (the format has no slot for provenance);
    - ``{name}_summary.csv``: one row per parcel, the columns of
      :data:`~steppe_geo.parcels.SUMMARY_COLUMNS` present.

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
        Which files to write, any of :data:`~steppe_geo.parcels.EXPORT_FORMATS`: ``gpkg``,
        ``shapefile`` (the zip), ``parquet``, ``flatgeobuf``, ``csv`` (the summary).

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
    t = export_tables(ranked, regions=regions, selection=selection, model=model, weights=weights,
                      constraints=constraints, formats=formats)
    directory = Path(directory)
    prov = io.provenance_record(inputs, **t.provenance)
    common: dict[str, Any] = {"overwrite": overwrite, "protected": protected}
    written: dict[str, Path] = {}
    if "gpkg" in t.formats:
        gpkg = directory / f"{name}.gpkg"
        io.write_vector(t.table, gpkg, layer="ranked_parcels", provenance=prov, **common)
        if t.regions is not None:
            io.write_vector(t.regions, gpkg, layer="regions", provenance=prov, append_layer=True, **common)
        if t.selected is not None:
            io.write_vector(t.selected, gpkg, layer="selection", provenance=prov, append_layer=True, **common)
        written["gpkg"] = gpkg
    if "shapefile" in t.formats:
        written["shapefile"] = io.write_shapefile_zip(t.priority, directory / f"{name}_priority.zip",
                                                      field_map=t.field_map, **common)
    if "parquet" in t.formats:
        written["parquet"] = io.write_vector(t.table, directory / f"{name}.parquet", provenance=prov,
                                             **common)
    if "flatgeobuf" in t.formats:
        written["flatgeobuf"] = io.write_vector(t.table, directory / f"{name}.fgb", layer="ranked_parcels",
                                                **common)
    if "csv" in t.formats:
        written["csv"] = io.write_vector(t.summary, directory / f"{name}_summary.csv", **common)
    return RenamedKeysDict(written, {"shapefile_zip": "shapefile", "geoparquet": "parquet"},
                           what="export_bundle()", since="0.2.0")
