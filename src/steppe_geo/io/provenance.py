"""File checksums and provenance records attached to every output."""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from steppe_geo._typing import PathLike
from steppe_geo.errors import InputNotFoundError

__all__ = ["file_checksum", "provenance_record", "read_provenance"]

_LIBRARIES = ("numpy", "xarray", "rioxarray", "rasterio", "pyogrio", "geopandas", "shapely", "pyproj")


def file_checksum(path: PathLike, *, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, as a hex string.

    Raises
    ------
    InputNotFoundError
        ``path`` does not exist or is not a file.
    """
    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(f"cannot checksum {str(p)!r}: no such file")
    h = hashlib.sha256()
    with p.open("rb") as f:
        while block := f.read(chunk_size):
            h.update(block)
    return h.hexdigest()


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def provenance_record(inputs: Mapping[str, PathLike] | None = None, **params: Any) -> dict[str, Any]:
    """Provenance of an output: inputs with SHA-256 checksums, parameters, versions, UTC time.

    Parameters
    ----------
    inputs : mapping of name -> path, optional
        The run's input files; each gets its path and checksum (a missing file raises
        InputNotFoundError).
    **params
        Parameters of the step (must be JSON-serialisable to be stored in a file).

    Returns
    -------
    dict
        ``{"created_utc", "steppe_geo", "python", "libraries", "gdal", "inputs", "parameters"}``.
    """
    from steppe_geo import __version__

    try:
        import rasterio

        gdal = rasterio.__gdal_version__
    except ImportError:  # pragma: no cover
        gdal = None
    return {
        "created_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "steppe_geo": __version__,
        "python": platform.python_version(),
        "libraries": {lib: _version(lib) for lib in _LIBRARIES},
        "gdal": gdal,
        "inputs": {
            name: {"path": str(p), "sha256": file_checksum(p)} for name, p in (inputs or {}).items()
        },
        "parameters": dict(params),
    }


def read_provenance(path: PathLike) -> dict[str, Any] | None:
    """Provenance stored in an output written by steppe_geo, or None if it has none.

    Reads the ``STEPPE_GEO_PROVENANCE`` tag of a GeoTIFF, the GeoPackage dataset metadata,
    or the ``steppe_geo_provenance`` key of a GeoParquet file.
    """
    import json

    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(f"cannot read provenance of {str(p)!r}: no such file")
    suffix = p.suffix.lower()
    text: str | None = None
    if suffix in (".tif", ".tiff"):
        import rasterio

        with rasterio.open(p) as ds:
            text = ds.tags().get("STEPPE_GEO_PROVENANCE")
    elif suffix == ".gpkg":
        import pyogrio

        # Dataset metadata is the same whichever layer is named; naming the first one avoids
        # pyogrio's "more than one layer" warning on multi-layer GeoPackages.
        layers = pyogrio.list_layers(p)
        layer = str(layers[0][0]) if len(layers) else None
        text = (pyogrio.read_info(p, layer=layer).get("dataset_metadata") or {}).get("STEPPE_GEO_PROVENANCE")
    elif suffix in (".parquet", ".geoparquet"):
        import pyarrow.parquet as pq

        raw = (pq.read_schema(p).metadata or {}).get(b"steppe_geo_provenance")
        text = raw.decode("utf-8") if raw else None
    return json.loads(text) if text else None
