"""Inputs given as URLs (``https://``, ``s3://``) or GDAL virtual paths (``/vsicurl/``, ``/vsis3/``).

A remote input is read by GDAL through its network file systems: ``https://host/dem.tif`` is read
as ``/vsicurl/https://host/dem.tif`` (HTTP range requests, so a Cloud-Optimized GeoTIFF is read
window by window, never downloaded whole), ``s3://bucket/key.tif`` as ``/vsis3/bucket/key.tif``
(credentials and region from GDAL's ``AWS_*`` settings). rasterio and pyogrio map these schemes
themselves, so a remote input is passed to them as the string it is; this module only tells
remote inputs from local files (which are checked with the file system, resolved against the
configuration's folder, hashed for provenance) and checks early that a remote input can be
opened. See ``docs/guide/cluster.md``.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
import warnings
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pyogrio
import pyogrio.errors
import rasterio
import rasterio.errors

from steppe_geo.errors import InputNotFoundError

__all__ = ["REMOTE_TIMEOUT_S", "check_remote", "gdal_path", "input_path", "is_remote", "remote_fingerprint",
           "source_name"]

_SCHEMES = {"http": "/vsicurl/", "https": "/vsicurl/", "s3": "/vsis3/", "gs": "/vsigs/", "az": "/vsiaz/"}
_VSI_NETWORK = ("/vsicurl/", "/vsicurl?", "/vsis3/", "/vsigs/", "/vsiaz/", "/vsiadls/", "/vsioss/",
                "/vsiswift/", "/vsiwebhdfs/", "/vsihdfs/")

REMOTE_TIMEOUT_S = 30
"""Seconds GDAL waits to connect to / hear from a server when an input URL is checked
(``GDAL_HTTP_CONNECTTIMEOUT``, ``GDAL_HTTP_TIMEOUT``; values set in the environment win)."""


def is_remote(source: Any) -> bool:
    """Whether ``source`` is a URL or a GDAL network path rather than a local file.

    Parameters
    ----------
    source : str, os.PathLike or anything
        An input as given in a configuration or to a reader.

    Returns
    -------
    bool
        True for strings starting with ``http://``, ``https://``, ``s3://``, ``gs://``, ``az://``
        or a GDAL network file system (``/vsicurl/``, ``/vsis3/``, ``/vsigs/``, ``/vsiaz/``, ...).
        ``pathlib.Path`` objects are never remote (a ``Path`` would collapse ``//`` of a URL).

    Examples
    --------
    >>> is_remote("https://example.org/dem.tif"), is_remote("/vsis3/bucket/dem.tif")
    (True, True)
    >>> is_remote("data/dem.tif"), is_remote("C:/data/dem.tif")
    (False, False)
    """
    if not isinstance(source, str):
        return False
    scheme, sep, _ = source.partition("://")
    return (bool(sep) and scheme.lower() in _SCHEMES) or source.startswith(_VSI_NETWORK)


def gdal_path(source: str) -> str:
    """The GDAL path of a remote input: ``https://h/x.tif`` → ``/vsicurl/https://h/x.tif``.

    Parameters
    ----------
    source : str
        A remote input (:func:`is_remote`); GDAL paths are returned unchanged.

    Returns
    -------
    str
        ``http(s)://`` → ``/vsicurl/http(s)://``; ``s3://bucket/key`` → ``/vsis3/bucket/key``;
        ``gs://`` → ``/vsigs/``; ``az://`` → ``/vsiaz/`` (the mapping rasterio and pyogrio apply).

    Examples
    --------
    >>> gdal_path("s3://bucket/dem/cog.tif")
    '/vsis3/bucket/dem/cog.tif'
    >>> gdal_path("http://127.0.0.1:8000/dem.tif")
    '/vsicurl/http://127.0.0.1:8000/dem.tif'
    """
    scheme, sep, rest = source.partition("://")
    if sep and scheme.lower() in ("http", "https"):
        return f"/vsicurl/{source}"
    if sep and scheme.lower() in _SCHEMES:
        return f"{_SCHEMES[scheme.lower()]}{rest}"
    return source


def _gdal_env() -> dict[str, str]:
    return {k: os.environ.get(k, str(REMOTE_TIMEOUT_S))
            for k in ("GDAL_HTTP_CONNECTTIMEOUT", "GDAL_HTTP_TIMEOUT")}


def check_remote(source: str, *, key: str) -> None:
    """Check that GDAL can open a remote input (a raster or a vector dataset), before any work.

    Only the dataset's header is read (a few HTTP range requests for a COG or a GeoPackage).

    Parameters
    ----------
    source : str
        A remote input (:func:`is_remote`).
    key : str
        Where it came from, for the message (``sources.dem``).

    Raises
    ------
    InputNotFoundError
        GDAL opens it neither as a raster nor as a vector dataset (server unreachable, HTTP 404,
        access denied, not a dataset); the message names ``key``, the URL and GDAL's reason.
    """
    with rasterio.Env(**_gdal_env()):
        try:
            with rasterio.open(source):
                return
        except rasterio.errors.RasterioIOError as exc:
            reason = str(exc)
        try:
            with warnings.catch_warnings():  # GDAL's HTTP warnings: the reason is in the raster's error
                warnings.simplefilter("ignore", RuntimeWarning)
                pyogrio.read_info(source)
            return
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
            pass
    raise InputNotFoundError(
        f"{key}: cannot open remote input {source!r} (GDAL path {gdal_path(source)!r}): {reason}. "
        "Check the URL, that the server is reachable from this machine (and from every Dask worker), "
        "and for object storage the GDAL credentials and region (AWS_REGION, AWS_NO_SIGN_REQUEST, ...)"
    )


def remote_fingerprint(source: str) -> dict[str, Any]:
    """What identifies the version of a remote input read, for provenance (its bytes are not hashed).

    Parameters
    ----------
    source : str
        A remote input (:func:`is_remote`).

    Returns
    -------
    dict
        ``{"url": source}``, plus for ``http(s)://`` the ``size_bytes``, ``etag`` and
        ``last_modified`` the server reports to a HEAD request (None when it does not report one
        or cannot be reached).
    """
    out: dict[str, Any] = {"url": source}
    url = source.removeprefix("/vsicurl/")
    if not url.lower().startswith(("http://", "https://")):
        return out
    headers: Any = {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"),
                                    timeout=REMOTE_TIMEOUT_S) as resp:
            headers = resp.headers
    except (urllib.error.URLError, OSError, ValueError):
        pass
    size = headers.get("Content-Length")
    out.update(size_bytes=int(size) if size and size.isdigit() else None, etag=headers.get("ETag"),
               last_modified=headers.get("Last-Modified"))
    return out


def input_path(source: Any) -> Any:
    """An input as the readers take it: a ``Path`` for a local file, the string itself for a URL.

    ``Path("https://h/x.tif")`` would collapse the ``//`` of the URL, so remote inputs stay strings.

    Parameters
    ----------
    source : str or os.PathLike
        A local path or a remote input (:func:`is_remote`).

    Returns
    -------
    pathlib.Path or str

    Examples
    --------
    >>> input_path("https://example.org/dem.tif"), input_path("data/dem.tif")
    ('https://example.org/dem.tif', PosixPath('data/dem.tif'))
    """
    return source if is_remote(source) else Path(source)


def source_name(source: Any) -> str:
    """The file name of a local path or a URL (its last path component, without a query).

    Parameters
    ----------
    source : str or os.PathLike

    Returns
    -------
    str

    Examples
    --------
    >>> source_name("https://example.org/cogs/dem.tif?version=2"), source_name("data/roads.gpkg")
    ('dem.tif', 'roads.gpkg')
    """
    if is_remote(source):
        return PurePosixPath(urlsplit(str(source).removeprefix("/vsicurl/")).path).name
    return Path(source).name
