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

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse.csgraph import connected_components

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
        8-connectivity also diagonally, including across window corners) with
        scipy.sparse.csgraph.connected_components, and their sizes added up.
    """
    rows, cols = shape
    starts = np.cumsum([0] + [r.edge_labels.size for r in regions])
    n_nodes = int(starts[-1])

    def glob(k: int, local: np.ndarray) -> np.ndarray:
        r = regions[k]
        idx = np.searchsorted(r.edge_labels, local)
        return np.where(local > 0, starts[k] + idx, -1)

    # full grid-wide rows either side of every window row boundary, and columns likewise
    above: dict[int, np.ndarray] = {}
    below: dict[int, np.ndarray] = {}
    lefts: dict[int, np.ndarray] = {}
    rights: dict[int, np.ndarray] = {}
    for k, (r0, c0) in enumerate(offsets):
        reg = regions[k]
        h, w = reg.left.size, reg.top.size
        if r0 > 0:
            below.setdefault(r0, np.full(cols, -1, np.int64))[c0:c0 + w] = glob(k, reg.top)
        if r0 + h < rows:
            above.setdefault(r0 + h, np.full(cols, -1, np.int64))[c0:c0 + w] = glob(k, reg.bottom)
        if c0 > 0:
            rights.setdefault(c0, np.full(rows, -1, np.int64))[r0:r0 + h] = glob(k, reg.left)
        if c0 + w < cols:
            lefts.setdefault(c0 + w, np.full(rows, -1, np.int64))[r0:r0 + h] = glob(k, reg.right)
    shifts = (-1, 0, 1) if connectivity == 8 else (0,)
    pairs_a, pairs_b = [], []
    for line_a, line_b in [*((above[b], below[b]) for b in above), *((lefts[b], rights[b]) for b in lefts)]:
        m = line_a.size
        for d in shifts:
            a = line_a[max(0, -d):m - max(0, d)]
            b = line_b[max(0, d):m - max(0, -d)]
            ok = (a >= 0) & (b >= 0)
            pairs_a.append(a[ok])
            pairs_b.append(b[ok])
    sizes = np.concatenate([r.edge_sizes for r in regions]) if regions else np.zeros(0, np.int64)
    if n_nodes == 0:
        return [(r.edge_labels, r.edge_sizes) for r in regions]
    ia = np.concatenate(pairs_a) if pairs_a else np.zeros(0, np.int64)
    ib = np.concatenate(pairs_b) if pairs_b else np.zeros(0, np.int64)
    graph = sparse.coo_matrix((np.ones(ia.size, np.int8), (ia, ib)), shape=(n_nodes, n_nodes))
    _, comp = connected_components(graph, directed=False)
    total = np.bincount(comp, weights=sizes).astype(np.int64)
    node_sizes = total[comp]
    return [(r.edge_labels, node_sizes[starts[k]:starts[k + 1]]) for k, r in enumerate(regions)]
