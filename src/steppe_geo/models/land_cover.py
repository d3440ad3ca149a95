"""Land-cover legends: class codes of published products mapped onto what the presets score.

The presets score land cover by *meaning* (tree cover, grassland, built-up, ...; :data:`MEANINGS`). A
legend (:class:`LandCoverLegend`) says which code of a product means what: ESA WorldCover (the
default, plus steppe_geo's steppe classes 101–104), ESA CCI-LC, MODIS IGBP (MCD12Q1 LC_Type1), USGS
NLCD and China's CLCD. The legends are data (``models/data/land_cover_legends.toml``), each with the
product documentation it was copied from. A preset given ``land_cover_legend="nlcd"`` writes its
land-cover criterion, constraint and lookup tables in NLCD codes.

See ``docs/models.md`` (Land-cover legends).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from steppe_geo._validation import did_you_mean
from steppe_geo.errors import InvalidParameterError
from steppe_geo.io.package_data import read_package_text

__all__ = [
    "DEFAULT_LEGEND",
    "MEANINGS",
    "LandCoverLegend",
    "format_codes",
    "land_cover_legend",
    "land_cover_legends",
    "matching_legends",
]

DEFAULT_LEGEND = "worldcover"
"""The legend presets use unless told otherwise (ESA WorldCover, the sample dataset's coding)."""

MEANINGS: Mapping[str, str] = MappingProxyType({
    "tree_cover": "trees: forest, plantations, shelterbelts, woody savanna",
    "shrubland": "shrubs",
    "grassland": "grassland, savanna, pasture and hay meadows",
    "cropland": "cropland and cropland mosaics",
    "built_up": "built-up and developed land (settlements, infrastructure)",
    "bare_sparse": "bare ground and sparse vegetation (< 15 % cover)",
    "snow_ice": "permanent snow and ice",
    "water": "permanent water",
    "wetland": "herbaceous and woody wetland, flooded tree cover, mangroves",
    "moss_lichen": "moss and lichen",
    "typical_steppe": "typical steppe (steppe_geo class)",
    "artemisia_shrub": "Artemisia shrub steppe (steppe_geo class)",
    "sand_fixing_plantation": "sand-fixing plantation (steppe_geo class)",
    "mobile_sand": "mobile sand (steppe_geo class)",
})
"""What a land-cover class means to the presets; every preset table gives a value for each."""


@dataclass(frozen=True)
class LandCoverLegend:
    """The classes of a land-cover product: code → (published name, meaning).

    Attributes
    ----------
    name : str
        Key in :func:`land_cover_legends` (``"nlcd"``), the value of ``land_cover_legend``.
    title : str
        The product.
    source : str
        Where the codes and names come from (product documentation).
    classes : mapping int → (str, str)
        Class code → (name as published, meaning in :data:`MEANINGS`).
    """

    name: str
    title: str
    source: str
    classes: Mapping[int, tuple[str, str]]

    def __post_init__(self) -> None:
        classes = {int(k): (str(v[0]), str(v[1])) for k, v in self.classes.items()}
        bad = sorted({m for _, m in classes.values() if m not in MEANINGS})
        if bad:
            raise InvalidParameterError(
                f"land-cover legend {self.name!r}: unknown meanings {bad}; meanings are {list(MEANINGS)}"
            )
        object.__setattr__(self, "classes", MappingProxyType(dict(sorted(classes.items()))))

    def __hash__(self) -> int:
        return hash((self.name, tuple(self.classes.items())))

    @property
    def codes(self) -> tuple[int, ...]:
        """Every class code, ascending."""
        return tuple(self.classes)

    @property
    def names(self) -> dict[int, str]:
        """Code → published class name."""
        return {k: v[0] for k, v in self.classes.items()}

    def codes_for(self, meanings: Iterable[str]) -> tuple[int, ...]:
        """The codes whose meaning is one of ``meanings`` (ascending).

        Raises
        ------
        InvalidParameterError
            For a meaning not in :data:`MEANINGS`.
        """
        wanted = set(meanings)
        unknown = sorted(wanted - set(MEANINGS))
        if unknown:
            raise InvalidParameterError(
                f"land-cover meanings {unknown} are unknown{did_you_mean(unknown[0], MEANINGS) or '.'} "
                f"Meanings are: {', '.join(MEANINGS)}."
            )
        return tuple(k for k, (_, m) in self.classes.items() if m in wanted)

    def scores(self, by_meaning: Mapping[str, float]) -> dict[int, float]:
        """A code → value table from a meaning → value table (every meaning must have a value).

        Examples
        --------
        >>> from steppe_geo.models.land_cover import land_cover_legend
        >>> table = land_cover_legend("clcd").scores({m: 0.5 for m in MEANINGS} | {"built_up": 0.0})
        >>> table[8], table[4]  # impervious, grassland
        (0.0, 0.5)
        """
        missing = [m for m in MEANINGS if m not in by_meaning]
        if missing:
            raise InvalidParameterError(f"land-cover table: no value for the meanings {missing}")
        return {k: float(by_meaning[m]) for k, (_, m) in self.classes.items()}

    def describe(self) -> list[tuple[int, str, str]]:
        """``[(code, name, meaning), ...]`` in code order."""
        return [(k, n, m) for k, (n, m) in self.classes.items()]


@functools.cache
def land_cover_legends() -> Mapping[str, LandCoverLegend]:
    """Every built-in legend by name (read once from the package data).

    Examples
    --------
    >>> from steppe_geo.models.land_cover import land_cover_legends
    >>> list(land_cover_legends())
    ['worldcover', 'esa-cci', 'modis-igbp', 'nlcd', 'clcd']
    """
    text = read_package_text("steppe_geo.models", "data", "land_cover_legends.toml")
    data = tomllib.loads(text)
    return MappingProxyType({
        name: LandCoverLegend(name, t["title"], t["source"],
                              {int(k): tuple(v) for k, v in t["classes"].items()})
        for name, t in data.items()
    })


def land_cover_legend(name: str) -> LandCoverLegend:
    """The built-in legend ``name`` (a key of :func:`land_cover_legends`, e.g. ``"nlcd"``).

    Raises
    ------
    InvalidParameterError
        For an unknown name (the valid names listed, the closest suggested).

    Examples
    --------
    >>> from steppe_geo.models.land_cover import land_cover_legend
    >>> land_cover_legend("nlcd").codes_for(["built_up"])
    (21, 22, 23, 24)
    >>> land_cover_legend("ncld")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    steppe_geo.errors.InvalidParameterError: land_cover_legend: unknown legend 'ncld'; did you mean ...
    """
    legends = land_cover_legends()
    if not isinstance(name, str) or name not in legends:
        raise InvalidParameterError(
            f"land_cover_legend: unknown legend {name!r}{did_you_mean(str(name), legends) or '.'} "
            f"Legends are: {', '.join(legends)}."
        )
    return legends[name]


def matching_legends(codes: Iterable[int]) -> list[str]:
    """Names of the built-in legends that have every one of ``codes`` (best first: fewest extra codes).

    Examples
    --------
    >>> from steppe_geo.models.land_cover import matching_legends
    >>> matching_legends([11, 21, 52, 71, 82])
    ['nlcd']
    >>> matching_legends([1, 4, 7])
    ['clcd', 'modis-igbp']
    """
    found = {int(c) for c in codes}
    fits = [(len(lg.classes) - len(found), name) for name, lg in land_cover_legends().items()
            if found <= set(lg.classes)]
    return [name for _, name in sorted(fits)]


def format_codes(codes: Sequence[int | float], *, limit: int = 10) -> str:
    """At most ``limit`` codes, then how many more: ``"[11, 21, ..., 90] and 5 more"``.

    Examples
    --------
    >>> format_codes(list(range(14)))
    '[0, 1, 2, 3, 4, 5, 6, 7, 8, 9] and 4 more'
    >>> format_codes([30, 60])
    '[30, 60]'
    """
    shown = [int(c) if float(c).is_integer() else float(c) for c in codes[:limit]]
    more = len(codes) - limit
    return f"{shown}" + (f" and {more} more" if more > 0 else "")
