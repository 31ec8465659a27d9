"""Compiled check and reduction of one frame of tracker output to anchor points.

One pass over the (M, K) float64 rows: box coordinates must be within ``max_coord``
pixels of 0 (so finite), ids finite, ids and classes
whole numbers; rows with a negative id or an unwanted class are dropped; the anchor
point is ``(x1 + fx * (x2 - x1), y1 + fy * (y2 - y1))``.  When the kept ids are strictly
increasing (trackers list tracks in creation order) their order is returned; otherwise
the caller sorts them (NumPy's sort is faster than a compiled one for a few hundred ids)
and checks for repeated ids.
"""
from __future__ import annotations

import numpy as np

from .._numba import njit

__all__ = ["frame_rows", "ROWS_OK", "ROWS_NONFINITE", "ROWS_BAD_ID", "ROWS_BAD_CLASS",
           "ROWS_UNSORTED"]

ROWS_OK = 0
ROWS_NONFINITE = 1
ROWS_BAD_ID = 2
ROWS_BAD_CLASS = 3
ROWS_UNSORTED = 5

_MAX_ID = 2.0 ** 53


@njit
def frame_rows(a, fx, fy, classes, filter_classes, max_coord):
    """Anchor points, ids, classes and id order of the rows a counter uses.

    Parameters
    ----------
    a : ndarray, shape (m, k), float64, k >= 5
        Tracker output rows (class in column 6 when k > 6, else -1).
    fx, fy : float
        Anchor position as fractions of the box width and height.
    classes : ndarray, shape (c,), int64
        Wanted class ids (sorted), used when ``filter_classes``.
    filter_classes : bool
    max_coord : float
        Largest allowed absolute box coordinate (NaN fails the test too).

    Returns
    -------
    status : int
        ``ROWS_OK``, ``ROWS_UNSORTED`` (valid, ``order`` left empty) or the first problem
        found (``ROWS_NONFINITE``, ``ROWS_BAD_ID``, ``ROWS_BAD_CLASS``).
    bad : int
        The row the problem is about.
    px, py : ndarray, shape (n,), float64
        Anchor points of the kept rows.
    ids, cls : ndarray, shape (n,), int64
    order : ndarray, shape (n,), int64
        ``arange(n)`` when the ids are increasing, else empty.
    kept : ndarray, shape (n,), int64
        Index in ``a`` of each kept row.
    """
    m = a.shape[0]
    k = a.shape[1]
    px = np.empty(m)
    py = np.empty(m)
    ids = np.empty(m, np.int64)
    cls = np.empty(m, np.int64)
    kept = np.empty(m, np.int64)
    n = 0
    for i in range(m):
        x1 = a[i, 0]
        y1 = a[i, 1]
        x2 = a[i, 2]
        y2 = a[i, 3]
        t = a[i, 4]
        if not (abs(x1) <= max_coord and abs(y1) <= max_coord and abs(x2) <= max_coord
                and abs(y2) <= max_coord and np.isfinite(t)):
            return ROWS_NONFINITE, i, px[:0], py[:0], ids[:0], cls[:0], kept[:0], kept[:0]
        if t != np.floor(t) or abs(t) > _MAX_ID:
            return ROWS_BAD_ID, i, px[:0], py[:0], ids[:0], cls[:0], kept[:0], kept[:0]
        c = -1
        if k > 6:
            cf = a[i, 6]
            if not np.isfinite(cf) or cf != np.floor(cf) or abs(cf) > _MAX_ID:
                return ROWS_BAD_CLASS, i, px[:0], py[:0], ids[:0], cls[:0], kept[:0], kept[:0]
            c = np.int64(cf)
        if t < 0.0:
            continue
        if filter_classes:
            j = np.searchsorted(classes, c)
            if j >= classes.shape[0] or classes[j] != c:
                continue
        px[n] = x1 + fx * (x2 - x1)
        py[n] = y1 + fy * (y2 - y1)
        ids[n] = np.int64(t)
        cls[n] = c
        kept[n] = i
        n += 1
    ids = ids[:n]
    for q in range(1, n):
        if ids[q] <= ids[q - 1]:
            return ROWS_UNSORTED, -1, px[:n], py[:n], ids, cls[:n], kept[:0], kept[:n]
    # the usual case: trackers report tracks in creation order, i.e. by increasing id
    return ROWS_OK, -1, px[:n], py[:n], ids, cls[:n], np.arange(n), kept[:n]
