"""The data files shipped inside steppe_geo (power curves, land-cover legends), read through ``io``.

Compute modules (``criteria``, ``models``) take their shipped tables from here, so that only ``io``
opens files (``docs/architecture.md``, the import contract).
"""

from __future__ import annotations

from importlib import resources

__all__ = ["package_data_names", "read_package_text"]


def package_data_names(package: str, folder: str, *, suffix: str) -> list[str]:
    """Names (without ``suffix``) of the files ending in ``suffix`` in ``folder`` of ``package``, sorted.

    Parameters
    ----------
    package : str
        A steppe_geo package, e.g. ``"steppe_geo.criteria"``.
    folder : str
        Its data folder, e.g. ``"data"``.
    suffix : str
        File-name ending, e.g. ``".csv"``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> package_data_names("steppe_geo.criteria", "data", suffix=".csv")
    ['iea_3.3mw_156', 'nrel_6mw_170']
    """
    files = resources.files(package).joinpath(folder)
    return sorted(f.name[: -len(suffix)] for f in files.iterdir() if f.name.endswith(suffix))


def read_package_text(package: str, *parts: str) -> str:
    """The UTF-8 text of a data file shipped in ``package`` (path ``parts`` inside it).

    Parameters
    ----------
    package : str
        A steppe_geo package, e.g. ``"steppe_geo.models"``.
    *parts : str
        The file's path inside the package, e.g. ``"data", "land_cover_legends.toml"``.

    Returns
    -------
    str

    Examples
    --------
    >>> read_package_text("steppe_geo.models", "data", "land_cover_legends.toml").startswith("#")
    True
    """
    return resources.files(package).joinpath(*parts).read_text("utf-8")
