"""The exclusion bitmask: one bit per constraint after two reserved bits, its legend and its explanation.

Bit ``i`` of the exclusion bitmask is set where constraint ``i`` (in order) reduces availability
below 1; the pixel is *eligible* (True = keep) where the product of all availabilities is > 0 and
no minimum-area rule removed it.

The exclusion bitmask has two reserved bits before the constraints' own
(:data:`RESERVED_BITS`): bit 0 ``outside_aoi`` (the pixel centre is outside the area of
interest polygon) and bit 1 ``no_data`` (a layer the overlay reads has no data at the
pixel); constraint ``i`` has bit ``i + 2``. Both reserved bits exclude the pixel.

Nodata (NaN) in a constraint layer excludes the pixel (the rule could not be verified), but
it is the ``no_data`` bit that says so: a constraint does not claim pixels where its layer has
no data (a missing DEM is not reported as "steep slope").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import overload

import numpy as np
import xarray as xr
from scipy import ndimage

from steppe_geo._validation import did_you_mean
from steppe_geo.errors import InvalidParameterError, MissingLayerError
from steppe_geo.mcda.constraint_kinds import Constraint, MinimumArea
from steppe_geo.mcda.minimum_area import RegionSizes, _structure
from steppe_geo.mcda.value_base import decode_nodata

OUTSIDE_AOI = "outside_aoi"
"""Name of bit 0 of every exclusion bitmask: the pixel centre is outside the AOI polygon."""

NO_DATA = "no_data"
"""Name of bit 1 of every exclusion bitmask: a layer the overlay reads has no data at the pixel."""

RESERVED_BITS: tuple[str, ...] = (OUTSIDE_AOI, NO_DATA)
"""The bits every exclusion bitmask reserves before the constraints' own (constraint ``i`` has
bit ``i + len(RESERVED_BITS)``)."""


def bitmask_dtype(n: int) -> np.dtype:
    """uint32 for up to 30 constraints, uint64 up to 62; more is an error.

    The bitmask holds the two reserved bits (:data:`RESERVED_BITS`) and one bit per constraint.

    Parameters
    ----------
    n : int
        Number of constraints (reserved bits not counted).

    Returns
    -------
    numpy.dtype
    """
    bits = n + len(RESERVED_BITS)
    if bits <= 32:
        return np.dtype(np.uint32)
    if bits <= 64:
        return np.dtype(np.uint64)
    raise InvalidParameterError(
        f"at most {64 - len(RESERVED_BITS)} constraints fit the exclusion bitmask (64 bits, "
        f"{len(RESERVED_BITS)} reserved for {', '.join(RESERVED_BITS)}), got {n}"
    )


def exclusion_bit_names(constraints: Sequence[Constraint | MinimumArea]) -> list[str]:
    """Names of the exclusion bitmask's bits in order: the reserved bits, then the constraints.

    Parameters
    ----------
    constraints : sequence of Constraint or MinimumArea
        In bit order.

    Returns
    -------
    list of str
        ``["outside_aoi", "no_data", *constraint names]``; bit ``i`` is name ``i``.

    Examples
    --------
    >>> from steppe_geo.mcda import ValueRange, exclusion_bit_names
    >>> exclusion_bit_names([ValueRange("steep", "slope_deg", max=15)])
    ['outside_aoi', 'no_data', 'steep']
    """
    return [*RESERVED_BITS, *(c.name for c in constraints)]


def _layer_values(c: Constraint, layers: Mapping[str, np.ndarray | xr.DataArray]) -> np.ndarray:
    if c.layer not in layers:
        raise MissingLayerError(
            f"constraint {c.name!r} needs layer {c.layer!r}, which was not given; "
            f"layers given: {sorted(layers)}{did_you_mean(c.layer, list(layers))}"
        )
    src = layers[c.layer]
    if isinstance(src, xr.DataArray):
        return decode_nodata(np.asarray(src.values), src.rio.nodata)
    return np.asarray(src)


def layer_availability(
    constraints: Sequence[Constraint | MinimumArea],
    layers: Mapping[str, np.ndarray | xr.DataArray],
    *,
    shape: tuple[int, int],
    inside: np.ndarray | None = None,
    missing: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Bitmask and availability of the reserved bits and layer constraints (minimum-area rules skipped).

    Arrays in ``layers`` are used as they are (decode nodata first); DataArrays have their
    ``.rio.nodata`` decoded. Where a constraint's layer is NaN the ``no_data`` bit is set
    instead of the constraint's; ``inside`` (False = outside the AOI) sets ``outside_aoi`` and
    ``missing`` (True = another layer, e.g. a criterion, has no data) sets ``no_data``. Every
    such pixel has availability 0.
    """
    dt = bitmask_dtype(len(constraints))
    first = len(RESERVED_BITS)
    bitmask = np.zeros(shape, dtype=dt)
    avail = np.ones(shape, dtype=np.float32)
    no_data = np.zeros(shape, dtype=bool) if missing is None else np.array(missing, dtype=bool)
    for i, c in enumerate(constraints):
        if isinstance(c, MinimumArea):
            continue
        values = _layer_values(c, layers)
        a = c.availability(values)
        claimed = a < 1
        if np.issubdtype(values.dtype, np.floating):
            nan = np.isnan(values)
            claimed &= ~nan
            no_data |= nan
        bitmask[claimed] |= dt.type(1 << (i + first))
        avail *= a
    if inside is not None:
        outside = ~np.asarray(inside, dtype=bool)
        bitmask[outside] |= dt.type(1 << 0)
        avail[outside] = 0
    bitmask[no_data] |= dt.type(1 << 1)
    avail[no_data] = 0
    return bitmask, avail


def evaluate_constraints(
    constraints: Sequence[Constraint | MinimumArea],
    layers: Mapping[str, np.ndarray | xr.DataArray],
    *,
    shape: tuple[int, int],
    pixel_area_m2: float | None = None,
    region_sizes: RegionSizes | None = None,
    inside: np.ndarray | None = None,
    missing: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate constraints on arrays of one window (or the whole grid).

    Parameters
    ----------
    constraints : sequence of Constraint or MinimumArea
        In bit order.
    layers : mapping name → array or DataArray
        The layers the constraints name (arrays with nodata already NaN; DataArrays have
        their ``.rio.nodata`` decoded).
    shape : (rows, cols)
        Shape of the window.
    pixel_area_m2 : float, optional
        Pixel area in m², needed by :class:`MinimumArea`.
    region_sizes : mapping connectivity → (edge labels, sizes), optional
        Window by window: the grid-wide sizes of the regions touching this window's edges
        (from :func:`merge_window_regions`). Without it the arrays are taken to be the whole
        grid.
    inside : (rows, cols) bool ndarray, optional
        True where the pixel centre is inside the area of interest; False sets bit 0
        (``outside_aoi``). Without it every pixel is inside.
    missing : (rows, cols) bool ndarray, optional
        True where another layer the overlay reads (a criterion) has no data; sets bit 1
        (``no_data``), as does NaN in a constraint's own layer.

    Returns
    -------
    bitmask : (rows, cols) uint32/uint64
        Bit 0 ``outside_aoi``, bit 1 ``no_data``, bit ``i + 2`` set where constraint ``i``
        excluded the pixel (fully or partly).
    availability : (rows, cols) float32
        Product of availabilities, 0..1 (0 outside the AOI, where data is missing and where a
        minimum-area rule removed the pixel); minimum-area rules count only the land left by
        the other rules, inside the AOI and with data.
    eligible : (rows, cols) bool
        True = keep (availability > 0).

    Raises
    ------
    MissingLayerError
        A constraint's layer is not in ``layers``.
    InvalidParameterError
        A minimum-area rule without ``pixel_area_m2``.
    """
    bitmask, avail = layer_availability(constraints, layers, shape=shape, inside=inside, missing=missing)
    area_rules = [(i, c) for i, c in enumerate(constraints) if isinstance(c, MinimumArea)]
    if area_rules:
        if pixel_area_m2 is None:
            raise InvalidParameterError(
                f"constraint {area_rules[0][1].name!r} (minimum area) needs pixel_area_m2"
            )
        base = avail > 0
        removed_any = np.zeros(shape, dtype=bool)
        sizes_by_conn: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for i, rule in area_rules:
            if rule.connectivity not in sizes_by_conn:
                labels, _ = ndimage.label(base, structure=_structure(rule.connectivity))
                sizes = np.bincount(labels.ravel())
                if region_sizes is not None and rule.connectivity in region_sizes:
                    edge, edge_sizes = region_sizes[rule.connectivity]
                    sizes[edge] = edge_sizes
                sizes_by_conn[rule.connectivity] = (labels, sizes)
            labels, sizes = sizes_by_conn[rule.connectivity]
            removed = base & (sizes[labels] < rule.min_pixels(pixel_area_m2))
            bitmask[removed] |= bitmask.dtype.type(1 << (i + len(RESERVED_BITS)))
            removed_any |= removed
        avail[removed_any] = 0
    return bitmask, avail, avail > 0


def bit_legend(names: Sequence[str]) -> str:
    """The exclusion bitmask's legend as text, ``"bit 0: outside_aoi, bit 1: no_data, bit 2: ..."``.

    This is the ``constraints`` tag of ``exclusion.tif`` (and the ``constraints`` attribute of
    an in-memory exclusion raster); :func:`parse_bit_legend` reads it back.

    Parameters
    ----------
    names : sequence of str
        Bit names in order (:func:`exclusion_bit_names`).

    Returns
    -------
    str
    """
    return ", ".join(f"bit {i}: {n}" for i, n in enumerate(names))


_LEGEND_ITEM = re.compile(r"(?:^|, )bit (\d+): ")


def parse_bit_legend(text: str) -> list[str]:
    """Bit names from a legend written by :func:`bit_legend`.

    Parameters
    ----------
    text : str
        E.g. the ``constraints`` tag of an ``exclusion.tif``.

    Returns
    -------
    list of str
        Name of bit ``i`` at index ``i``.

    Raises
    ------
    InvalidParameterError
        The text is not such a legend (bits not numbered 0, 1, 2, ... in order).

    Examples
    --------
    >>> from steppe_geo.mcda import parse_bit_legend
    >>> parse_bit_legend("bit 0: outside_aoi, bit 1: no_data, bit 2: settlements, 500 m")
    ['outside_aoi', 'no_data', 'settlements, 500 m']
    """
    parts = _LEGEND_ITEM.split(str(text))
    numbers, names = parts[1::2], parts[2::2]
    if parts[:1] != [""] or not names or [int(n) for n in numbers] != list(range(len(names))):
        raise InvalidParameterError(
            f"not an exclusion bit legend ('bit 0: name, bit 1: name, ...'): {str(text)[:200]!r}"
        )
    return names


@overload
def explain_exclusion(bitmask: int | np.integer, constraints: Sequence[Constraint | MinimumArea]
                      ) -> list[str]: ...


@overload
def explain_exclusion(bitmask: np.ndarray | xr.DataArray, constraints: Sequence[Constraint | MinimumArea]
                      ) -> dict[int, list[str]]: ...


def explain_exclusion(
    bitmask: int | np.integer | np.ndarray | xr.DataArray, constraints: Sequence[Constraint | MinimumArea]
) -> list[str] | dict[int, list[str]]:
    """Names of the bits that are set: ``outside_aoi``, ``no_data`` and the constraints.

    Parameters
    ----------
    bitmask : int or array
        One bitmask value, or a bitmask raster.
    constraints : sequence
        The overlay's constraints, in bit order (after the reserved bits, see
        :func:`exclusion_bit_names`).

    Returns
    -------
    list of str, or dict int → list of str
        For one value, the names (in bit order); for an array, a mapping from each distinct
        value present to its names (a legend for an exclusion map).

    Examples
    --------
    >>> from steppe_geo.mcda import ValueRange, explain_exclusion
    >>> explain_exclusion(0b110, [ValueRange("steep", "slope_deg", max=15)])
    ['no_data', 'steep']
    """
    if isinstance(bitmask, xr.DataArray | np.ndarray):
        return {int(v): explain_exclusion(int(v), constraints) for v in np.unique(np.asarray(bitmask))}
    b = int(bitmask)
    return [n for i, n in enumerate(exclusion_bit_names(constraints)) if b >> i & 1]
