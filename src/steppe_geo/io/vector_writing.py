"""Writing vector files atomically with provenance.

GeoPackage, Parquet, FlatGeobuf, CSV, GeoJSON and the zipped shapefile (DBF field names and widths).
Atomic as every writer (see :mod:`steppe_geo.io.atomic`).
"""

from __future__ import annotations

import csv
import io as _io
import json
import re
import shutil
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pyogrio.errors

from steppe_geo._typing import PathLike
from steppe_geo.errors import InvalidParameterError, MissingCRSError, OutputExistsError, TruncationWarning
from steppe_geo.io._pam import no_pam_sidecars
from steppe_geo.io.atomic import atomic_path, check_output_path
from steppe_geo.io.provenance import PROVENANCE_TAG

__all__ = ["GPKG_VERSION", "shapefile_field_names", "write_shapefile_zip", "write_vector"]

_VECTOR_DRIVERS = {".gpkg": "GPKG", ".parquet": "Parquet", ".geoparquet": "Parquet",
                   ".fgb": "FlatGeobuf", ".csv": "CSV", ".geojson": "GeoJSON", ".zip": "SHPZIP"}


GPKG_VERSION = "1.2"
"""GeoPackage version written. GDAL >= 3.7 defaults to 1.4, which GDAL 3.6 (and the QGIS
builds on it) opens with a "may only be partially supported" warning; nothing we write needs
1.3/1.4 features."""


def _vector_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".shp.zip") or name.endswith(".zip"):
        return "SHPZIP"
    fmt = _VECTOR_DRIVERS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidParameterError(
            f"cannot tell the vector format of {str(path)!r} from its suffix; valid suffixes: "
            f"{', '.join(sorted({*_VECTOR_DRIVERS, '.shp.zip'}))}"
        )
    return fmt


def _check_geodataframe(gdf: gpd.GeoDataFrame, dest: Path) -> None:
    """Refuse frames that are not GeoDataFrames or carry no CRS, naming the output."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InvalidParameterError(
            f"gdf: writing {str(dest)!r} needs a GeoDataFrame, got {type(gdf).__name__} "
            "(only .csv takes a plain table)"
        )
    if gdf.crs is None:
        raise MissingCRSError(
            f"gdf has no CRS; refusing to write {str(dest)!r} without one "
            "(set it with gdf.set_crs(...) first)"
        )


def _pyogrio_write(frame: gpd.GeoDataFrame, tmp: Path, dest: Path, *, driver: str, **kwargs: Any) -> None:
    """``pyogrio.write_dataframe`` without PAM sidecars; GDAL refusals name the output."""
    try:
        with no_pam_sidecars():
            pyogrio.write_dataframe(frame, tmp, driver=driver, **kwargs)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
            pyogrio.errors.FeatureError, pyogrio.errors.GeometryError, OverflowError) as exc:
        raise InvalidParameterError(f"gdf: cannot be written to {str(dest)!r} ({driver}): {exc}") from exc


def write_vector(
    gdf: gpd.GeoDataFrame | pd.DataFrame,
    path: PathLike,
    *,
    layer: str | None = None,
    overwrite: bool = False,
    provenance: Mapping[str, Any] | None = None,
    append_layer: bool = False,
    protected: Iterable[PathLike] | None = None,
) -> Path:
    """Write a GeoDataFrame atomically; the format follows the suffix.

    ``.gpkg`` (default; GeoPackage 1.2, provenance JSON stored as layer metadata),
    ``.zip``/``.shp.zip`` (zipped shapefile via :func:`write_shapefile_zip`), ``.parquet``
    (GeoParquet; provenance in the file's key-value metadata), ``.fgb`` (FlatGeobuf),
    ``.geojson``, ``.csv`` (attribute table without geometry).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features with a CRS (a plain ``pandas.DataFrame`` is accepted for ``.csv`` only).
    path : str or os.PathLike
        Destination; its suffix selects the format.
    layer : str, optional
        Layer name (GeoPackage, FlatGeobuf, GeoJSON; default: the file name up to its first
        dot, e.g. ``"parcels"`` for ``parcels.gpkg``).
    overwrite : bool, default False
        Replace an existing file.
    provenance : mapping, optional
        Provenance dict stored with the data where the format allows (GeoPackage layer
        metadata, GeoParquet key-value metadata).
    append_layer : bool, default False
        Add ``layer`` to an existing GeoPackage (the file is copied, extended and renamed
        into place, so the add is atomic too). An existing layer of that name is refused
        unless ``overwrite=True``.
    protected : iterable of str or os.PathLike, optional
        The run's inputs: never written over.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    MissingCRSError
        ``gdf`` has no CRS (any format but ``.csv``).
    InvalidParameterError
        Unknown suffix; column names differing only in case (GeoPackage, FlatGeobuf,
        GeoJSON); data GDAL refuses to write (the message names the file). Nothing is left
        at ``path`` and a previous file there is untouched.
    OutputExistsError
        ``path`` exists and ``overwrite`` is False, or it is one of ``protected``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import geopandas as gpd, shapely, pyogrio
    >>> import steppe_geo as sg
    >>> parcels = gpd.GeoDataFrame({"parcel_id": ["P1", "P2"]},
    ...     geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)], crs="EPSG:32649")
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> out = sg.write_vector(parcels, folder / "ranked.gpkg", provenance={"model": "wind"})
    >>> pyogrio.list_layers(out)[0][0]
    'ranked'
    >>> sg.io.read_provenance(out)
    {'model': 'wind'}
    >>> sorted(p.name for p in folder.iterdir())  # no temporary or sidecar files
    ['ranked.gpkg']
    """
    dest = Path(path)
    fmt = _vector_format(dest)
    if fmt != "CSV":
        _check_geodataframe(gdf, dest)
    if fmt == "SHPZIP":
        return _write_shapefile_zip(gdf, dest, overwrite=overwrite, protected=protected, field_map=None,
                                    stacklevel=3)
    layer = layer or dest.name.split(".")[0]
    if fmt in ("GPKG", "FlatGeobuf", "GeoJSON"):
        seen: dict[str, str] = {}
        for col in map(str, gdf.columns):
            if col.lower() in seen:
                raise InvalidParameterError(
                    f"columns {seen[col.lower()]!r} and {col!r} differ only in case; "
                    f"{fmt} field names are case-insensitive — rename one before writing {str(dest)!r}"
                )
            seen[col.lower()] = col
    prov_json = json.dumps(provenance, default=str, ensure_ascii=False) if provenance else None
    # Provenance goes in *layer* metadata only: GDAL keeps GeoPackage dataset metadata in a
    # PAM .aux.xml sidecar as soon as anything opens the file read-only.
    layer_meta = {PROVENANCE_TAG: prov_json} if prov_json and fmt == "GPKG" else None
    if fmt == "GPKG" and append_layer and dest.exists():
        check_output_path(dest, overwrite=True, protected=protected)
        with no_pam_sidecars():
            existing = [name for name, _ in pyogrio.list_layers(dest)]
        if layer in existing and not overwrite:
            raise OutputExistsError(
                f"layer {layer!r} exists already in {str(dest)!r}; pass overwrite=True to replace it"
            )
        with atomic_path(dest, overwrite=True, protected=protected) as tmp:
            shutil.copyfile(dest, tmp)
            _pyogrio_write(gdf, tmp, dest, layer=layer, driver="GPKG", append=False,
                           layer_metadata=layer_meta)
        return dest
    with atomic_path(dest, overwrite=overwrite, protected=protected) as tmp:
        if fmt == "CSV":
            frame = gdf.drop(columns=gdf.geometry.name) if isinstance(gdf, gpd.GeoDataFrame) else gdf
            frame.to_csv(tmp, index=False, encoding="utf-8")
        elif fmt == "Parquet":
            gdf.to_parquet(tmp, index=False)
            if prov_json:
                _parquet_add_metadata(tmp, {"steppe_geo_provenance": prov_json})
        elif fmt == "GPKG":
            _pyogrio_write(gdf, tmp, dest, layer=layer, driver="GPKG",
                           layer_metadata=layer_meta, dataset_options={"VERSION": GPKG_VERSION})
        else:
            _pyogrio_write(gdf, tmp, dest, layer=layer, driver=fmt)
    return dest


def _parquet_add_metadata(path: Path, extra: Mapping[str, str]) -> None:
    table = pq.read_table(path)
    meta = dict(table.schema.metadata or {})
    meta.update({k.encode(): v.encode("utf-8") for k, v in extra.items()})
    pq.write_table(table.replace_schema_metadata(meta), path)


# ---------------------------------------------------------------------------- shapefile
DBF_NAME_MAX = 10


DBF_CHAR_MAX = 254


def _ascii_name(name: str) -> str:
    s = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^A-Za-z0-9_]+", "_", s).strip("_")
    if not s:
        s = "field"
    if s[0].isdigit():
        s = "f" + s
    return s


def shapefile_field_names(columns: Iterable[str], *, field_map: Mapping[str, str] | None = None
                          ) -> dict[str, str]:
    """Map column names to unique dBASE field names of at most 10 ASCII characters.

    Deterministic: the same columns in the same order always give the same names. Names
    that fit are kept; longer ones are truncated and, if the truncated name is taken, end
    in ``_1``, ``_2``, ... (uniqueness is case-insensitive, as in dBASE).

    Parameters
    ----------
    columns : iterable of str
        Column names, in order (the order decides which clashing name gets ``_1``).
    field_map : mapping of str to str, optional
        Explicit short names for some columns (checked for length and uniqueness).

    Returns
    -------
    dict of str to str
        Column name → field name, in the order of ``columns``.

    Raises
    ------
    InvalidParameterError
        A ``field_map`` name is empty, longer than 10 characters or not unique.

    Examples
    --------
    >>> shapefile_field_names(["tenure_type_collective", "tenure_type_contract", "名称", "area_ha"])
    {'tenure_type_collective': 'tenure_typ', 'tenure_type_contract': 'tenure_t_1',
     '名称': 'field', 'area_ha': 'area_ha'}
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    fixed = dict(field_map or {})
    for col, short in fixed.items():
        if len(short) > DBF_NAME_MAX or not short or short.upper() in taken:
            raise InvalidParameterError(
                f"field_map[{col!r}] = {short!r}: short names must be unique and 1-10 characters"
            )
        taken.add(short.upper())
    for col in columns:
        if col in fixed:
            out[col] = fixed[col]
            continue
        base = _ascii_name(col)[:DBF_NAME_MAX]
        cand, k = base, 0
        while cand.upper() in taken:
            k += 1
            sfx = f"_{k}"
            cand = base[: DBF_NAME_MAX - len(sfx)] + sfx
        taken.add(cand.upper())
        out[col] = cand
    return out


def _cut_utf8(value: str, max_bytes: int) -> str:
    """Cut ``value`` to at most ``max_bytes`` UTF-8 bytes, never inside a character."""
    return value.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def _dbf_ready(gdf: gpd.GeoDataFrame, names: Mapping[str, str]) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Rename columns and coerce types the dBASE format can hold.

    Returns the frame ready for the shapefile driver and, per column, the number of text
    values cut to the dBASE limit of 254 bytes (UTF-8).
    """
    frame = gdf.copy()
    geom = frame.geometry.name
    cut: dict[str, int] = {}
    for col in list(frame.columns):
        if col == geom:
            continue
        s = frame[col]
        if pd.api.types.is_bool_dtype(s):
            frame[col] = s.astype("int32")
        elif pd.api.types.is_datetime64_any_dtype(s):
            frame[col] = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_integer_dtype(s):
            if s.notna().any() and (s.abs().max() >= 10**18):
                frame[col] = s.astype("float64")
        elif pd.api.types.is_float_dtype(s):
            pass
        else:
            text = s.astype("string")
            # dBASE character fields hold at most 254 *bytes*; UTF-8 Chinese takes 3 per character
            too_long = text.str.encode("utf-8").str.len().fillna(0) > DBF_CHAR_MAX
            if too_long.any():
                cut[str(col)] = int(too_long.sum())
                text = text.where(~too_long, text[too_long].map(lambda v: _cut_utf8(v, DBF_CHAR_MAX)))
            # missing text must stay missing (None), not become the string "<NA>"
            frame[col] = pd.Series(
                [None if pd.isna(v) else str(v) for v in text], index=frame.index, dtype=object
            )
    frame = frame.rename(columns={c: names[c] for c in names})
    frame = frame.set_geometry(names.get(geom, geom)) if geom in names else frame
    return frame, cut


SHAPEFILE_DATE = (1980, 1, 1)
"""Date written in the dBASE header and on every zip entry (the ZIP epoch), so the same
data always give the same bytes (GDAL would write today's date, zip the file times)."""


def write_shapefile_zip(
    gdf: gpd.GeoDataFrame,
    path: PathLike,
    *,
    overwrite: bool = False,
    field_map: Mapping[str, str] | None = None,
    protected: Iterable[PathLike] | None = None,
) -> Path:
    """Write a zipped ESRI shapefile bundle (``.shp .shx .dbf .prj .cpg fields.csv``).

    Field names become unique, deterministic names of at most 10 characters (see
    :func:`shapefile_field_names`); ``fields.csv`` in the zip maps them to the full names.
    Text is UTF-8 and the ``.cpg`` says so, so Chinese and Mongolian names survive; missing
    text stays missing (null). Booleans become integers, dates ISO text. The output is
    byte-for-byte reproducible: the dBASE header and the zip entries carry a fixed date
    (:data:`SHAPEFILE_DATE`), not the time of writing.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features with a CRS, all of one geometry family (points, lines or polygons; single
        and multi-part may mix).
    path : str or os.PathLike
        Destination ``.zip`` (``.shp.zip`` is conventional); the shapefile inside is named
        after it (``parcels.shp.zip`` holds ``parcels.shp``).
    overwrite : bool, default False
        Replace an existing file.
    field_map : mapping of str to str, optional
        Explicit short field names for some columns (at most 10 characters, unique).
    protected : iterable of str or os.PathLike, optional
        The run's inputs: never written over.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    MissingCRSError
        ``gdf`` has no CRS.
    InvalidParameterError
        A bad ``field_map``, or features GDAL refuses (e.g. points and polygons mixed); the
        message names the file. Nothing is left at ``path`` and a previous file is untouched.
    OutputExistsError
        ``path`` exists and ``overwrite`` is False, or it is one of ``protected``.

    Warns
    -----
    TruncationWarning
        Text values longer than the dBASE limit of 254 bytes (UTF-8; a Chinese character
        takes 3) are cut on a character boundary; the warning names the column, its field
        and the number of values cut. Use GeoPackage to keep them whole.

    Examples
    --------
    >>> import tempfile, pathlib, zipfile
    >>> import geopandas as gpd, pyogrio, shapely
    >>> gdf = gpd.GeoDataFrame({"grazing_rights_holder": ["巴特尔户", None]},
    ...     geometry=[shapely.Point(400_000, 4_430_000), shapely.Point(400_100, 4_430_000)],
    ...     crs="EPSG:32649")
    >>> out = write_shapefile_zip(gdf, pathlib.Path(tempfile.mkdtemp()) / "homesteads.shp.zip")
    >>> sorted(zipfile.ZipFile(out).namelist())
    ['fields.csv', 'homesteads.cpg', 'homesteads.dbf', 'homesteads.prj', 'homesteads.shp', 'homesteads.shx']
    >>> pyogrio.read_dataframe(f"/vsizip/{out}")["grazing_ri"].tolist()  # missing stays missing
    ['巴特尔户', nan]
    """
    return _write_shapefile_zip(gdf, Path(path), overwrite=overwrite, field_map=field_map,
                                protected=protected, stacklevel=3)


def _write_shapefile_zip(gdf: gpd.GeoDataFrame, dest: Path, *, overwrite: bool,
                         field_map: Mapping[str, str] | None, protected: Iterable[PathLike] | None,
                         stacklevel: int) -> Path:

    _check_geodataframe(gdf, dest)
    geom = gdf.geometry.name
    cols = [c for c in gdf.columns if c != geom]
    names = shapefile_field_names(cols, field_map=field_map)
    frame, cut = _dbf_ready(gdf, names)
    for col, n in cut.items():
        warnings.warn(
            f"column {col!r} (shapefile field {names[col]!r}): {n} value{'s' if n != 1 else ''} longer "
            f"than {DBF_CHAR_MAX} bytes in UTF-8 cut to fit the dBASE limit in {str(dest)!r} "
            "(write a GeoPackage to keep them)",
            TruncationWarning, stacklevel=stacklevel,
        )
    stem = re.sub(r"\.shp$", "", dest.name[: -len(".zip")] if dest.name.lower().endswith(".zip")
                  else dest.stem, flags=re.I) or "layer"
    y, m, d = SHAPEFILE_DATE
    with atomic_path(dest, overwrite=overwrite, protected=protected, suffix=".zip") as tmp, \
            tempfile.TemporaryDirectory(dir=dest.parent, prefix=".steppe_geo-tmp-shp-") as work:
        shp = Path(work) / f"{stem}.shp"
        _pyogrio_write(frame, shp, dest, driver="ESRI Shapefile", encoding="UTF-8",
                       layer_options={"DBF_DATE_LAST_UPDATE": f"{y:04d}-{m:02d}-{d:02d}"})
        shp.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")
        buf = _io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["field", "column"])
        for full, short in names.items():
            w.writerow([short, full])
        parts = {p.name: p.read_bytes() for p in sorted(Path(work).iterdir())}
        parts["fields.csv"] = buf.getvalue().encode("utf-8")
        _write_zip_reproducibly(tmp, parts)
    return dest


def _write_zip_reproducibly(path: Path, parts: Mapping[str, bytes]) -> None:
    """Write ``parts`` (name -> bytes) into a new zip with fixed dates and permissions.

    Entries keep the given order, are DEFLATE-compressed, dated :data:`SHAPEFILE_DATE` and
    have mode 0644, so equal contents give an identical zip file.

    Parameters
    ----------
    path : pathlib.Path
        Zip file to create (a temporary path: this is not atomic by itself).
    parts : mapping of str to bytes
        Archive member names and their contents.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=(*SHAPEFILE_DATE, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
