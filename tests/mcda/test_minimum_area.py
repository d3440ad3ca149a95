"""join_window_labels: labels found window by window joined across window edges into grid-wide regions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from steppe_geo.errors import InvalidParameterError
from steppe_geo.mcda.minimum_area import WindowEdges, join_window_labels


def _label_windows(mask, win, connectivity):
    """Label each window of ``mask`` with scipy.ndimage.label, as the windowed callers do.

    Returns the grid-wide label id of every pixel (-1 = no region), the number of ids and the
    windows' edges (each window's labels get ids after the previous windows').
    """
    structure = ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)
    rows, cols = mask.shape
    ids = np.full(mask.shape, -1, np.int64)
    edges, total = [], 0
    for r0 in range(0, rows, win[0]):
        for c0 in range(0, cols, win[1]):
            labels, n = ndimage.label(mask[r0:r0 + win[0], c0:c0 + win[1]], structure=structure)
            node = np.where(labels > 0, total + labels.astype(np.int64) - 1, -1)
            ids[r0:r0 + win[0], c0:c0 + win[1]] = node
            edges.append(WindowEdges(r0, c0, node[0], node[-1], node[:, 0], node[:, -1]))
            total += n
    return ids, total, edges


def _same_partition(a, b):
    """Whether two label arrays (0 or -1 = background) split the pixels into the same regions."""
    fg = a >= 0
    if not np.array_equal(fg, b >= 0):
        return False
    pairs = np.unique(np.stack([a[fg], b[fg]]), axis=1)
    return len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1]


def test_join_window_labels_by_hand():
    # 4 x 4 grid, four 2 x 2 windows; pixels marked 1:
    #   1 0 | 0 1        TL: one label (8-conn: (0,0)-(1,1) diagonal) = id 0; TR: (0,3) = id 1
    #   0 1 | 0 0        BL: (3,0) = id 2; BR: one label ((2,2)-(3,3)) = id 3
    #   ----+----
    #   0 0 | 1 0        (1,1) and (2,2) touch diagonally across the windows' common corner:
    #   1 0 | 0 1        ids 0 and 3 are one region; 1 and 2 are regions of their own -> 3 regions
    mask = np.array([[1, 0, 0, 1],
                     [0, 1, 0, 0],
                     [0, 0, 1, 0],
                     [1, 0, 0, 1]], dtype=bool)
    ids, total, edges = _label_windows(mask, (2, 2), 8)
    assert total == 4
    np.testing.assert_array_equal(edges[0].bottom, [-1, 0])  # TL's last row: (1,0) none, (1,1) id 0
    np.testing.assert_array_equal(edges[3].top, [3, -1])  # BR's first row: (2,2) id 3, (2,3) none
    n, region = join_window_labels(edges, mask.shape, total, connectivity=8)
    assert n == 3
    assert region[0] == region[3] and len({region[0], region[1], region[2]}) == 3
    # 4-connectivity: no two marked pixels share a side, so every pixel is a region (6 labels)
    ids4, total4, edges4 = _label_windows(mask, (2, 2), 4)
    assert total4 == 6
    n4, region4 = join_window_labels(edges4, mask.shape, total4, connectivity=4)
    assert n4 == 6 and sorted(region4) == list(range(6))
    # the reference: scipy.ndimage.label of the whole array
    for conn, (i, r) in ((8, (ids, region)), (4, (ids4, region4))):
        whole, n_whole = ndimage.label(mask, structure=ndimage.generate_binary_structure(2, 2 if conn == 8
                                                                                          else 1))
        assert n_whole == (3 if conn == 8 else 6)
        merged = np.where(i >= 0, r[np.maximum(i, 0)], -1)
        assert _same_partition(merged, whole - 1)


def test_join_window_labels_joins_only_across_edges_in_the_shift_range():
    # 2 x 4 grid, two 2 x 2 windows: label 0 at (0, 0), label 1 at (1, 3): two columns apart, never joined
    none = np.array([-1, -1])
    left = WindowEdges(0, 0, top=np.array([0, -1]), bottom=none, left=np.array([0, -1]), right=none)
    right = WindowEdges(0, 2, top=none, bottom=np.array([-1, 1]), left=none, right=np.array([-1, 1]))
    assert join_window_labels([left, right], (2, 4), 2, connectivity=8)[0] == 2
    # side by side across the boundary (same row): joined with either connectivity
    left = WindowEdges(0, 0, top=np.array([-1, 0]), bottom=none, left=none, right=np.array([0, -1]))
    right = WindowEdges(0, 2, top=np.array([1, -1]), bottom=none, left=np.array([1, -1]), right=none)
    for conn in (4, 8):
        n, region = join_window_labels([left, right], (2, 4), 2, connectivity=conn)
        assert n == 1 and region[0] == region[1]


def test_join_window_labels_without_labels_and_bad_connectivity():
    n, region = join_window_labels([], (3, 3), 0, connectivity=8)
    assert n == 0 and region.size == 0
    with pytest.raises(InvalidParameterError, match="connectivity must be 4 or 8, got 6"):
        join_window_labels([], (3, 3), 0, connectivity=6)


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(1, 20), st.integers(1, 20)),
    win=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    density=st.floats(0.2, 0.8),
    connectivity=st.sampled_from([4, 8]),
)
def test_join_window_labels_gives_the_regions_of_ndimage_label_on_the_whole_array(seed, shape, win, density,
                                                                                  connectivity):
    mask = np.random.default_rng(seed).random(shape) < density
    ids, total, edges = _label_windows(mask, win, connectivity)
    n, region = join_window_labels(edges, shape, total, connectivity=connectivity)
    whole, n_whole = ndimage.label(mask, structure=ndimage.generate_binary_structure(
        2, 2 if connectivity == 8 else 1))
    assert n == n_whole
    merged = np.where(ids >= 0, region[np.maximum(ids, 0)] if total else -1, -1)
    assert _same_partition(merged, whole - 1)
