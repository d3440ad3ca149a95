"""Minimum-area rules across windows: connected regions of eligible pixels, labelled per window and merged.

:class:`~steppe_geo.mcda.constraint_kinds.MinimumArea` rules look at connected regions, so they need
more than one window: :func:`window_regions` and :func:`merge_window_regions` give every region's
size across window edges (a labelling pass, scipy.ndimage.label per window and a connected-components
merge of the labels on window edges), which :func:`~steppe_geo.mcda.exclusion.evaluate_constraints`
then applies per window (``region_sizes=``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse.csgraph import connected_components

from steppe_geo.errors import InvalidParameterError
from steppe_geo.mcda.constraint_kinds import MinimumArea

RegionSizes = Mapping[int, tuple[np.ndarray, np.ndarray]]
"""Per window, for a connectivity (4 or 8): ``(edge labels, region sizes)`` from
:func:`merge_window_regions` — the sizes (in pixels, over the whole grid) of the regions whose
local labels touch the window's edge."""


def _structure(connectivity: int) -> np.ndarray:
    out: np.ndarray = ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)
    return out


def apply_minimum_area(eligible: np.ndarray, rule: MinimumArea, *, pixel_area_m2: float) -> np.ndarray:
    """Drop connected regions of ``eligible`` (the whole grid) with fewer pixels than the rule's minimum."""
    labels, n = ndimage.label(eligible, structure=_structure(rule.connectivity))
    if n == 0:
        return eligible.copy()
    sizes = np.bincount(labels.ravel())
    keep = sizes >= rule.min_pixels(pixel_area_m2)
    keep[0] = False
    out: np.ndarray = keep[labels]
    return out


@dataclass(frozen=True)
class WindowRegions:
    """Labels of one window's eligible regions along its edges (see :func:`window_regions`)."""

    top: np.ndarray
    bottom: np.ndarray
    left: np.ndarray
    right: np.ndarray
    edge_labels: np.ndarray
    edge_sizes: np.ndarray


def window_regions(eligible: np.ndarray, *, connectivity: int) -> WindowRegions:
    """Label one window's eligible mask and keep what the cross-window merge needs.

    Parameters
    ----------
    eligible : (rows, cols) bool ndarray
        The window's mask of land left by the layer constraints.
    connectivity : {8, 4}

    Returns
    -------
    WindowRegions
        The label rows/columns on the window's four edges (0 = not eligible), the distinct
        labels touching an edge and their sizes within the window. Regions that do not touch
        the edge are complete in the window and need nothing else.
    """
    labels, _ = ndimage.label(eligible, structure=_structure(connectivity))
    sizes = np.bincount(labels.ravel())
    ring = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    edge = np.unique(ring[ring > 0])
    return WindowRegions(labels[0].copy(), labels[-1].copy(), labels[:, 0].copy(), labels[:, -1].copy(),
                         edge, sizes[edge].astype(np.int64))


class WindowEdges(NamedTuple):
    """The region labels on a window's four edges, as :func:`join_window_labels` reads them.

    Attributes
    ----------
    row_off, col_off : int
        The window's position in the grid (pixels; the windows tile the grid without overlap).
    top, bottom : (width,) int ndarray
        Label of each pixel of the window's first and last row: a grid-wide label id
        (``0 .. n_labels - 1``, unique across windows), -1 where no region is.
    left, right : (height,) int ndarray
        Likewise for the window's first and last column.
    """

    row_off: int
    col_off: int
    top: np.ndarray
    bottom: np.ndarray
    left: np.ndarray
    right: np.ndarray


def join_window_labels(
    edges: Sequence[WindowEdges],
    shape: tuple[int, int],
    n_labels: int,
    *,
    connectivity: int,
) -> tuple[int, np.ndarray]:
    """Join the labels of windows that touch across window edges into grid-wide regions.

    Regions labelled window by window (``scipy.ndimage.label`` per window, each label given a
    grid-wide id) are parts of one region where they touch across a window edge. For every
    boundary between window rows (and columns) the labels of the grid-wide row just above it
    and just below it (left and right of it) are assembled from the windows' edges and
    compared pixel by pixel; with 8-connectivity also shifted by one pixel, which joins labels
    that touch diagonally, across window corners too. The pairs found are the edges of a graph
    whose connected components (``scipy.sparse.csgraph.connected_components``, a union-find)
    are the regions ``scipy.ndimage.label`` finds on the whole grid.

    Parameters
    ----------
    edges : sequence of WindowEdges
        One per window of a tiling of the grid (any order); windows whose edges hold no label may
        be left out.
    shape : (rows, cols)
        Grid shape in pixels.
    n_labels : int
        Number of grid-wide label ids (every id in ``edges`` is below it; ids of labels that do
        not touch an edge may be in the range too, and stay regions of their own).
    connectivity : {8, 4}
        As used for the labels.

    Returns
    -------
    n_regions : int
        Number of grid-wide regions.
    region : (n_labels,) int ndarray
        The region (``0 .. n_regions - 1``) of each label id.

    Raises
    ------
    InvalidParameterError
        ``connectivity`` is not 4 or 8.

    Examples
    --------
    A 2 x 4 grid in two 2 x 2 windows side by side: label 0 (the left window's pixel (0, 1))
    and label 1 (the right window's pixel (1, 2)) touch diagonally across the window boundary,
    so they are one region with 8-connectivity and two with 4-connectivity:

    >>> import numpy as np
    >>> from steppe_geo.mcda.minimum_area import WindowEdges, join_window_labels
    >>> none = np.array([-1, -1])
    >>> left = WindowEdges(0, 0, top=np.array([-1, 0]), bottom=none, left=none, right=np.array([0, -1]))
    >>> right = WindowEdges(0, 2, top=none, bottom=np.array([1, -1]), left=np.array([-1, 1]), right=none)
    >>> join_window_labels([left, right], (2, 4), 2, connectivity=8)[0]
    1
    >>> join_window_labels([left, right], (2, 4), 2, connectivity=4)[0]
    2
    """
    if connectivity not in (4, 8):
        raise InvalidParameterError(f"connectivity must be 4 or 8, got {connectivity!r}")
    if n_labels == 0:
        return 0, np.zeros(0, np.int64)
    rows, cols = shape
    # full grid-wide rows either side of every window row boundary, and columns likewise
    above: dict[int, np.ndarray] = {}
    below: dict[int, np.ndarray] = {}
    lefts: dict[int, np.ndarray] = {}
    rights: dict[int, np.ndarray] = {}
    for r0, c0, top, bottom, left, right in edges:
        h, w = left.size, top.size
        if r0 > 0:
            below.setdefault(r0, np.full(cols, -1, np.int64))[c0:c0 + w] = top
        if r0 + h < rows:
            above.setdefault(r0 + h, np.full(cols, -1, np.int64))[c0:c0 + w] = bottom
        if c0 > 0:
            rights.setdefault(c0, np.full(rows, -1, np.int64))[r0:r0 + h] = left
        if c0 + w < cols:
            lefts.setdefault(c0 + w, np.full(rows, -1, np.int64))[r0:r0 + h] = right
    shifts = (-1, 0, 1) if connectivity == 8 else (0,)
    pairs_a, pairs_b = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for line_a, line_b in [*((above[b], below[b]) for b in above if b in below),
                           *((lefts[b], rights[b]) for b in lefts if b in rights)]:
        m = line_a.size
        for d in shifts:
            a = line_a[max(0, -d):m - max(0, d)]
            b = line_b[max(0, d):m - max(0, -d)]
            ok = (a >= 0) & (b >= 0)
            pairs_a.append(a[ok])
            pairs_b.append(b[ok])
    ia, ib = np.concatenate(pairs_a), np.concatenate(pairs_b)
    graph = sparse.coo_matrix((np.ones(ia.size, np.int8), (ia, ib)), shape=(n_labels, n_labels))
    n_regions, region = connected_components(graph, directed=False)
    return int(n_regions), region


def merge_window_regions(
    regions: Sequence[WindowRegions],
    offsets: Sequence[tuple[int, int]],
    shape: tuple[int, int],
    *,
    connectivity: int,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Merge regions across the edges of windows that tile a grid; sizes per window.

    Parameters
    ----------
    regions : sequence of WindowRegions
        One per window, from :func:`window_regions`.
    offsets : sequence of (row_off, col_off)
        Each window's position in the grid (the windows tile the grid without overlap).
    shape : (rows, cols)
        Grid shape.
    connectivity : {8, 4}
        As used for the labels.

    Returns
    -------
    list of (edge labels, sizes)
        Per window: its edge labels and the grid-wide size (pixels) of the region each belongs
        to. Regions touching window edges are joined where they touch across an edge (for
        8-connectivity also diagonally, including across window corners) by
        :func:`join_window_labels`, and their sizes added up.
    """
    starts = np.cumsum([0] + [r.edge_labels.size for r in regions])
    n_nodes = int(starts[-1])

    def glob(k: int, local: np.ndarray) -> np.ndarray:
        r = regions[k]
        idx = np.searchsorted(r.edge_labels, local)
        return np.where(local > 0, starts[k] + idx, -1)

    edges = [WindowEdges(r0, c0, glob(k, r.top), glob(k, r.bottom), glob(k, r.left), glob(k, r.right))
             for k, (r, (r0, c0)) in enumerate(zip(regions, offsets, strict=True))]
    sizes = np.concatenate([r.edge_sizes for r in regions]) if regions else np.zeros(0, np.int64)
    if n_nodes == 0:
        return [(r.edge_labels, r.edge_sizes) for r in regions]
    _, comp = join_window_labels(edges, shape, n_nodes, connectivity=connectivity)
    total = np.bincount(comp, weights=sizes).astype(np.int64)
    node_sizes = total[comp]
    return [(r.edge_labels, node_sizes[starts[k]:starts[k + 1]]) for k, r in enumerate(regions)]
