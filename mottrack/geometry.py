"""Box geometry: conversions and intersection-over-union.

All boxes are x1, y1, x2, y2 in pixels (any consistent unit works) unless a
function says otherwise.  ``iou_matrix`` is compiled with numba; ``iou_matrix_numpy``
is its vectorised numpy twin (tests check they agree).
"""
from __future__ import annotations

import numpy as np

from ._numba import njit

__all__ = ["iou_matrix", "iou_matrix_numpy", "overlap_edges", "overlap_edges_into", "xywh_to_xyxy", "xyxy_to_xywh"]


@njit
def _iou(ax1, ay1, ax2, ay2, bx1, by1, bx2, by2):
    """IoU of two boxes; 0 when they do not overlap or both have zero area."""
    w = min(ax2, bx2) - max(ax1, bx1)
    if w <= 0.0:
        return 0.0
    h = min(ay2, by2) - max(ay1, by1)
    if h <= 0.0:
        return 0.0
    inter = w * h
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    if union <= 0.0:
        return 0.0
    return inter / union


@njit
def _iou_matrix(a, b):
    n = a.shape[0]
    m = b.shape[0]
    out = np.zeros((n, m), dtype=np.float64)
    for i in range(n):
        for j in range(m):
            out[i, j] = _iou(a[i, 0], a[i, 1], a[i, 2], a[i, 3], b[j, 0], b[j, 1], b[j, 2], b[j, 3])
    return out


def _as_boxes(x, name):
    raw = np.asarray(x)
    if raw.dtype.kind not in "fiu":
        raise TypeError(f"{name}: expected a real numeric array of boxes, got dtype {raw.dtype}")
    arr = np.ascontiguousarray(raw, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 4:
        if arr.size == 0 and (arr.ndim == 1 or arr.shape[0] == 0):
            return np.empty((0, 4))
        raise ValueError(f"{name}: expected shape (N, 4) as x1, y1, x2, y2; got {arr.shape}")
    if arr.size:
        finite = np.isfinite(arr).all(axis=1)
        if not finite.all():
            row = int(np.flatnonzero(~finite)[0])
            raise ValueError(f"{name}: row {row} is {arr[row].tolist()}; expected finite numbers")
        bad = (arr[:, 2] < arr[:, 0]) | (arr[:, 3] < arr[:, 1])
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name}: row {row} has x2 < x1 or y2 < y1 (got {arr[row].tolist()})")
    return arr


def iou_matrix(a, b) -> np.ndarray:
    """Pairwise IoU.

    Parameters
    ----------
    a : array_like, shape (N, 4)
    b : array_like, shape (M, 4)
        Boxes x1, y1, x2, y2.

    Returns
    -------
    ndarray, float64, shape (N, M)
        ``iou[i, j]`` = area(a_i ∩ b_j) / area(a_i ∪ b_j), in [0, 1]; 0 where the
        boxes are disjoint or only touch, and where both boxes have zero area.
    """
    return _iou_matrix(_as_boxes(a, "a"), _as_boxes(b, "b"))


def iou_matrix_numpy(a, b) -> np.ndarray:
    """Pure-numpy twin of :func:`iou_matrix` (same definition, broadcasting)."""
    a = _as_boxes(a, "a")[:, None, :]
    b = _as_boxes(b, "b")[None, :, :]
    w = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    h = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
    inter = np.where((w > 0) & (h > 0), w * h, 0.0)
    union = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1]) + \
        (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((inter > 0) & (union > 0), inter / np.where(union > 0, union, 1.0), 0.0)


@njit
def overlap_edges(a, b):
    """Sparse IoU: all pairs (i, j) of boxes that overlap with IoU > 0.

    Small problems are scanned densely; larger ones sweep ``b`` sorted by x1, so only
    boxes whose x-ranges can intersect are compared: O((N + M) log M + pairs) for scenes
    of small boxes instead of O(N M).

    Returns
    -------
    rows, cols : int64 arrays, shape (E,)
    ious : float64 array, shape (E,)
        Sorted by row, then by column.
    """
    n = a.shape[0]
    m = b.shape[0]
    if n * m <= 1024:
        return _dense_edges_into(a, b, np.empty(n * m, np.int64), np.empty(n * m, np.int64),
                                 np.empty(n * m))
    return _sweep_edges(a, b)


@njit
def overlap_edges_into(a, b, er, ec, ev):
    """:func:`overlap_edges` into the buffers ``er, ec, ev`` when ``len(a) * len(b)``
    fits them (no allocation); larger problems are swept into new arrays."""
    if a.shape[0] * b.shape[0] > er.shape[0]:
        return _sweep_edges(a, b)
    return _dense_edges_into(a, b, er, ec, ev)


@njit
def _dense_edges_into(a, b, er, ec, ev):
    n = a.shape[0]
    m = b.shape[0]
    e = 0
    for i in range(n):
        ax1 = a[i, 0]
        ay1 = a[i, 1]
        ax2 = a[i, 2]
        ay2 = a[i, 3]
        for j in range(m):
            v = _iou(ax1, ay1, ax2, ay2, b[j, 0], b[j, 1], b[j, 2], b[j, 3])
            if v > 0.0:
                er[e] = i
                ec[e] = j
                ev[e] = v
                e += 1
    return er[:e], ec[:e], ev[:e]


@njit
def _sweep_edges(a, b):
    n = a.shape[0]
    m = b.shape[0]
    cap = 4 * (n + m) + 16
    rows = np.empty(cap, np.int64)
    cols = np.empty(cap, np.int64)
    vals = np.empty(cap, np.float64)
    e = 0
    order = np.argsort(b[:, 0])
    bx1 = b[order, 0]
    max_w = 0.0
    for j in range(m):
        w = b[j, 2] - b[j, 0]
        if w > max_w:
            max_w = w
    found = np.empty(m, np.int64)
    for i in range(n):
        lo = np.searchsorted(bx1, a[i, 0] - max_w, side="left")
        hi = np.searchsorted(bx1, a[i, 2], side="left")
        k = 0
        for t in range(lo, hi):
            j = order[t]
            if b[j, 2] <= a[i, 0]:
                continue
            v = _iou(a[i, 0], a[i, 1], a[i, 2], a[i, 3], b[j, 0], b[j, 1], b[j, 2], b[j, 3])
            if v > 0.0:
                found[k] = j
                k += 1
        if k == 0:
            continue
        # columns in increasing order: insertion sort of the few candidates, else a sort
        # (mutually overlapping crowds give up to M candidates per row)
        if k > 32:
            found[:k] = np.sort(found[:k])
        for t in range(1, k):
            x = found[t]
            u = t - 1
            while u >= 0 and found[u] > x:
                found[u + 1] = found[u]
                u -= 1
            found[u + 1] = x
        for t in range(k):
            j = found[t]
            if e == cap:
                cap *= 2
                rows = _grow_i(rows, cap)
                cols = _grow_i(cols, cap)
                vals = _grow_f(vals, cap)
            rows[e] = i
            cols[e] = j
            vals[e] = _iou(a[i, 0], a[i, 1], a[i, 2], a[i, 3], b[j, 0], b[j, 1], b[j, 2], b[j, 3])
            e += 1
    return rows[:e], cols[:e], vals[:e]


@njit
def _grow_i(x, cap):
    out = np.empty(cap, np.int64)
    out[: x.shape[0]] = x
    return out


@njit
def _grow_f(x, cap):
    out = np.empty(cap, np.float64)
    out[: x.shape[0]] = x
    return out


def xywh_to_xyxy(boxes) -> np.ndarray:
    """(N, 4) x, y, w, h -> x1, y1, x2, y2 (new array)."""
    out = np.array(boxes, dtype=np.float64, copy=True).reshape(-1, 4)
    out[:, 2:] += out[:, :2]
    return out


def xyxy_to_xywh(boxes) -> np.ndarray:
    """(N, 4) x1, y1, x2, y2 -> x, y, w, h (new array)."""
    out = np.array(boxes, dtype=np.float64, copy=True).reshape(-1, 4)
    out[:, 2:] -= out[:, :2]
    return out

