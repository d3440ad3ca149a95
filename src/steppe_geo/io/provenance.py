"""File checksums and provenance records attached to every output."""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import importlib.metadata
import json
import os
import platform
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pyogrio
import pyogrio.errors
import rasterio

from steppe_geo._typing import PathLike
from steppe_geo._version import __version__
from steppe_geo.errors import InputNotFoundError, InvalidParameterError, UnreadableInputError
from steppe_geo.io._pam import no_pam_sidecars
from steppe_geo.io.remote import is_remote, remote_fingerprint

__all__ = ["SOURCE_DATE_EPOCH", "created_utc", "file_checksum", "fixed_creation_dates", "provenance_record",
           "read_provenance"]

PROVENANCE_TAG = "STEPPE_GEO_PROVENANCE"
"""Tag / metadata item holding the provenance JSON (GeoTIFF, GeoPackage)."""

_LIBRARIES = ("numpy", "xarray", "rioxarray", "rasterio", "pyogrio", "geopandas", "shapely", "pyproj")


def file_checksum(path: PathLike, *, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, as a hex string.

    Parameters
    ----------
    path : str or os.PathLike
        The file (read in blocks, so any size works).
    chunk_size : int, default 1 MiB
        Bytes read at a time.

    Returns
    -------
    str
        64 lowercase hexadecimal digits, as ``sha256sum`` prints them.

    Raises
    ------
    InputNotFoundError
        ``path`` does not exist or is not a file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> file_checksum(p)  # the FIPS 180-2 test vector for "abc"
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
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
        InputNotFoundError). A remote input (a URL, :func:`steppe_geo.io.remote.is_remote`) is
        not downloaded to be hashed: it gets ``"sha256": None`` and ``"remote"``, what the server
        says of its version (:func:`steppe_geo.io.remote.remote_fingerprint`).
    **params
        Parameters of the step (must be JSON-serialisable to be stored in a file).

    Returns
    -------
    dict
        ``{"created_utc", "steppe_geo", "python", "libraries", "gdal", "inputs", "parameters"}``.

    Raises
    ------
    InputNotFoundError
        One of ``inputs`` is not a file.

    Examples
    --------
    >>> import steppe_geo as sg
    >>> rec = provenance_record({"dem": sg.datasets.sample_paths()["dem"]}, model="wind", weights=[0.6, 0.4])
    >>> sorted(rec)
    ['created_utc', 'gdal', 'inputs', 'libraries', 'parameters', 'python', 'steppe_geo']
    >>> rec["parameters"], len(rec["inputs"]["dem"]["sha256"])
    ({'model': 'wind', 'weights': [0.6, 0.4]}, 64)
    """
    gdal = rasterio.__gdal_version__
    return {
        "created_utc": created_utc(),
        "steppe_geo": __version__,
        "python": platform.python_version(),
        "libraries": {lib: _version(lib) for lib in _LIBRARIES},
        "gdal": gdal,
        "inputs": {name: _input_record(p) for name, p in (inputs or {}).items()},
        "parameters": dict(params),
    }


SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
"""Environment variable fixing the creation time written into outputs (seconds since 1970-01-01 UTC),
as the Reproducible Builds specification defines it (https://reproducible-builds.org/specs/source-date-epoch/)."""


def created_utc() -> str:
    """The creation time written into outputs: now, or ``SOURCE_DATE_EPOCH`` when it is set (ISO 8601, UTC).

    Raises
    ------
    InvalidParameterError
        ``SOURCE_DATE_EPOCH`` is set but is not a non-negative integer.

    Examples
    --------
    >>> import os
    >>> os.environ["SOURCE_DATE_EPOCH"] = "1764720000"
    >>> created_utc()
    '2025-12-03T00:00:00+00:00'
    >>> del os.environ["SOURCE_DATE_EPOCH"]
    """
    fixed = os.environ.get(SOURCE_DATE_EPOCH)
    if fixed is None or fixed == "":
        return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    if not fixed.strip().isdigit():
        raise InvalidParameterError(
            f"environment variable {SOURCE_DATE_EPOCH}={fixed!r}: must be a non-negative integer "
            "(seconds since 1970-01-01 UTC), e.g. SOURCE_DATE_EPOCH=$(date +%s); unset it to write the "
            "current time"
        )
    return _dt.datetime.fromtimestamp(int(fixed), _dt.UTC).isoformat(timespec="seconds")


@contextlib.contextmanager
def fixed_creation_dates() -> Iterator[None]:
    """While active, GDAL stamps GeoPackages with ``SOURCE_DATE_EPOCH`` (when it is set), not the clock.

    Sets GDAL's ``OGR_CURRENT_DATE`` (the ``last_change`` of ``gpkg_contents``), unless the user set
    it, for both GDAL copies (rasterio's and pyogrio's read it from the environment); restored on
    exit. With ``SOURCE_DATE_EPOCH`` set, two runs of one configuration write byte-identical files
    (provenance via :func:`created_utc`, PDF dates by matplotlib), except the timings in the summary.
    """
    fixed = os.environ.get(SOURCE_DATE_EPOCH)
    if not fixed or "OGR_CURRENT_DATE" in os.environ:
        yield
        return
    stamp = _dt.datetime.fromisoformat(created_utc()).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    os.environ["OGR_CURRENT_DATE"] = stamp
    try:
        yield
    finally:
        os.environ.pop("OGR_CURRENT_DATE", None)


def _input_record(path: PathLike) -> dict[str, Any]:
    if is_remote(path):
        return {"path": str(path), "sha256": None, "remote": remote_fingerprint(str(path))}
    return {"path": str(path), "sha256": file_checksum(path)}


def read_provenance(path: PathLike, *, layer: str | None = None) -> dict[str, Any] | None:
    """Provenance stored in an output written by steppe_geo, or None if it has none.

    Reads the ``STEPPE_GEO_PROVENANCE`` tag of a GeoTIFF, the ``STEPPE_GEO_PROVENANCE``
    metadata item of a GeoPackage layer, or the ``steppe_geo_provenance`` key of a GeoParquet
    file. Reading leaves no ``.aux.xml`` sidecar beside the file.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.tif``/``.tiff``, ``.gpkg`` or ``.parquet``/``.geoparquet`` file. Other formats
        hold no provenance (None).
    layer : str, optional
        GeoPackage layer to read. Default: the record shared by every layer that carries one
        (a GeoPackage written in one step, such as a ranked-parcels export, has one record on
        each layer). GeoPackages written before provenance moved to layer metadata keep it
        as dataset metadata, which is read when no layer has any.

    Returns
    -------
    dict or None
        The record written by :func:`provenance_record` (or whatever mapping was passed as
        ``provenance=``).

    Raises
    ------
    InputNotFoundError
        ``path`` is not a file, or ``layer`` is not in the GeoPackage.
    InvalidParameterError
        ``layer`` is None and the GeoPackage's layers carry different records (the message
        lists the layers).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> import steppe_geo as sg
    >>> grid = sg.Grid.from_bounds((0, 0, 300, 200), crs="EPSG:32649", resolution_m=100)
    >>> da = grid.to_dataarray(np.ones(grid.shape, dtype="float32"), name="score")
    >>> path = sg.write_raster(da, pathlib.Path(tempfile.mkdtemp()) / "score.tif",
    ...                        provenance={"model": "wind", "weights": [0.6, 0.4]})
    >>> read_provenance(path)
    {'model': 'wind', 'weights': [0.6, 0.4]}
    """
    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(f"cannot read provenance of {str(p)!r}: no such file")
    suffix = p.suffix.lower()
    text: str | None = None
    if suffix in (".tif", ".tiff"):
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(p) as ds:
            text = ds.tags().get(PROVENANCE_TAG)
    elif suffix == ".gpkg":
        text = _gpkg_provenance(p, layer)
    elif suffix in (".parquet", ".geoparquet"):
        raw = (pq.read_schema(p).metadata or {}).get(b"steppe_geo_provenance")
        text = raw.decode("utf-8") if raw else None
    return json.loads(text) if text else None


def read_raster_tags(path: PathLike) -> dict[str, str]:
    """The dataset-level metadata tags of a raster file (e.g. ``constraints`` of ``exclusion.tif``).

    Reading leaves no ``.aux.xml`` sidecar beside the file.

    Parameters
    ----------
    path : str or os.PathLike
        A raster file GDAL can open.

    Returns
    -------
    dict str → str

    Raises
    ------
    InputNotFoundError
        ``path`` is not a file.
    UnreadableInputError
        GDAL cannot open it.
    """
    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(f"cannot read the tags of {str(p)!r}: no such file")
    try:
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(p) as ds:
            return dict(ds.tags())
    except rasterio.errors.RasterioIOError as exc:
        raise UnreadableInputError(f"cannot open raster {str(p)!r}: {exc}") from None


def _gpkg_provenance(path: Path, layer: str | None) -> str | None:

    with no_pam_sidecars():
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        if layer is not None and layer not in layers:
            raise InputNotFoundError(
                f"layer {layer!r} not found in {str(path)!r}; layers: {', '.join(map(repr, layers))}"
            )
        found: dict[str, str] = {}
        for name in [layer] if layer is not None else layers:
            text = (pyogrio.read_info(path, layer=name).get("layer_metadata") or {}).get(PROVENANCE_TAG)
            if text:
                found[name] = text
        if not found and layers:  # earlier versions wrote dataset metadata
            meta = pyogrio.read_info(path, layer=layer or layers[0]).get("dataset_metadata") or {}
            return meta.get(PROVENANCE_TAG)
    if len(set(found.values())) > 1:
        raise InvalidParameterError(
            f"layer: the layers of {str(path)!r} carry different provenance "
            f"({', '.join(map(repr, found))}); pass layer= to choose one"
        )
    return next(iter(found.values()), None)
