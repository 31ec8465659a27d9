"""IoU: hand-worked cases, the numpy twin, and the sparse overlap sweep."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mottrack.geometry import iou_matrix, iou_matrix_numpy, nms, overlap_edges, overlap_edges_into


@pytest.mark.parametrize("a,b,expected", [
    ([0, 0, 10, 10], [20, 20, 30, 30], 0.0),            # disjoint
    ([0, 0, 10, 10], [10, 0, 20, 10], 0.0),             # touching edge
    ([0, 0, 10, 10], [10, 10, 20, 20], 0.0),            # touching corner
    ([0, 0, 10, 10], [0, 0, 10, 10], 1.0),              # identical
    ([0, 0, 10, 10], [2, 2, 6, 6], 16 / 100),           # nested
    ([0, 0, 10, 10], [5, 0, 15, 10], 50 / 150),         # half overlap
    ([0, 0, 2, 2], [1, 1, 3, 3], 1 / 7),                # corner overlap
    ([5, 5, 5, 5], [0, 0, 10, 10], 0.0),                # zero-area point inside
    ([5, 5, 5, 5], [5, 5, 5, 5], 0.0),                  # both zero area
    ([0, 0, 10, 0], [0, 0, 10, 10], 0.0),               # zero-height line
])
def test_hand_worked(a, b, expected):
    got = iou_matrix(np.array([a], float), np.array([b], float))
    assert got.shape == (1, 1)
    assert got[0, 0] == pytest.approx(expected, abs=1e-15)
    assert iou_matrix_numpy(np.array([a], float), np.array([b], float))[0, 0] == pytest.approx(expected, abs=1e-15)
    assert iou_matrix(np.array([b], float), np.array([a], float))[0, 0] == pytest.approx(expected, abs=1e-15)


def test_empty_shapes():
    assert iou_matrix(np.empty((0, 4)), np.zeros((3, 4))).shape == (0, 3)
    assert iou_matrix(np.zeros((2, 4)), np.empty((0, 4))).shape == (2, 0)


def test_bad_shape_is_rejected():
    with pytest.raises(ValueError, match="a: expected shape"):
        iou_matrix(np.zeros((2, 3)), np.zeros((1, 4)))


def _boxes(n):
    xy = arrays(np.float64, (n, 2), elements=st.floats(0, 200, allow_nan=False))
    wh = arrays(np.float64, (n, 2), elements=st.floats(0, 80, allow_nan=False))
    return st.tuples(xy, wh).map(lambda t: np.hstack([t[0], t[0] + t[1]]))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 12).flatmap(_boxes), st.integers(0, 12).flatmap(_boxes))
def test_matches_numpy_twin_and_is_in_range(a, b):
    got = iou_matrix(a, b)
    assert np.allclose(got, iou_matrix_numpy(a, b), atol=1e-12)
    assert ((got >= 0) & (got <= 1 + 1e-12)).all()


@pytest.mark.parametrize("n,m", [(5, 7), (60, 50), (600, 500)])
def test_overlap_edges_is_the_positive_part_of_the_matrix(n, m):
    rng = np.random.default_rng(n)
    def boxes(k):
        xy = rng.uniform(0, 1000, (k, 2))
        return np.hstack([xy, xy + rng.uniform(1, 90, (k, 2))])
    a, b = boxes(n), boxes(m)
    full = iou_matrix(a, b)
    rows, cols, vals = overlap_edges(a, b)
    r_ref, c_ref = np.nonzero(full > 0)
    assert np.array_equal(rows, r_ref) and np.array_equal(cols, c_ref)
    assert np.array_equal(vals, full[r_ref, c_ref])


@pytest.mark.parametrize("room", [1, 64, 1000, 4096])
def test_overlap_edges_into_buffers_too_small_for_the_pairs(room):
    """Swept problems write into the caller's buffers while the pairs fit and into new
    arrays of the exact size when they do not (a crowd: every box overlaps many)."""
    rng = np.random.default_rng(room)
    def boxes(k):
        xy = rng.uniform(0, 200, (k, 2))
        return np.hstack([xy, xy + rng.uniform(20, 120, (k, 2))])
    a, b = boxes(45), boxes(50)
    full = iou_matrix(a, b)
    r_ref, c_ref = np.nonzero(full > 0)
    er, ec, ev = np.full(room, -7, np.int64), np.full(room, -7, np.int64), np.full(room, -7.0)
    rows, cols, vals = overlap_edges_into(a, b, er, ec, ev)
    assert np.array_equal(rows, r_ref) and np.array_equal(cols, c_ref)
    assert np.array_equal(vals, full[r_ref, c_ref])
    if room == 1000:  # 2250 candidate pairs, fewer than 1000 overlap: swept into the buffers
        assert r_ref.size <= room < a.shape[0] * b.shape[0]
        assert np.array_equal(er[:r_ref.size], r_ref) and np.array_equal(ev[:r_ref.size], vals)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 40), st.integers(0, 2**31 - 1), st.sampled_from([0.0, 0.3, 0.45, 0.7, 1.0]),
       st.integers(1, 50))
def test_nms_equals_the_numpy_reference(n, seed, iou_thr, max_keep):
    from test_larod import nms_reference
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (n, 2))
    boxes = np.hstack([xy, xy + rng.uniform(1, 40, (n, 2))])
    scores = np.round(rng.uniform(0, 1, n), 1)  # ties: kept in row order
    classes = rng.integers(0, 3, n)
    want = nms_reference(boxes, scores, classes, iou_thr)[:max_keep]
    np.testing.assert_array_equal(nms(boxes, scores, classes, iou_thr, max_keep), want)
    np.testing.assert_array_equal(nms.py_func(boxes, scores, classes, iou_thr, max_keep), want)


def test_nms_hand_worked():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [0, 0, 10, 10], [50, 50, 60, 60.0]])
    scores = np.array([0.8, 0.9, 0.7, 0.1])
    # rows 0 and 1 overlap with IoU 90/110 = 0.82; row 2 is row 0 in another class
    keep = nms(boxes, scores, np.array([0, 0, 1, 0]), 0.5, 10)
    assert keep.tolist() == [1, 2, 3]
    assert nms(boxes, scores, np.array([0, 0, 1, 0]), 0.9, 10).tolist() == [1, 0, 2, 3]
    assert nms(boxes, scores, np.array([0, 0, 1, 0]), 0.5, 2).tolist() == [1, 2]
