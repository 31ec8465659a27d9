"""Small compiled helpers shared by the metric kernels: box IoU and NumPy-exact sums.

The metric kernels must reproduce TrackEval's floating-point decisions (thresholds at
``0.5 - eps``, assignment ties), so the IoU here follows the same operation order as
TrackEval's ``_calculate_box_ious`` for ``xywh`` boxes, and :func:`np_sum` adds in the
same order as NumPy's ``add.reduce`` over a contiguous axis (first element, then
pairwise summation with eight accumulators).  :func:`mottrack.geometry.iou_matrix` takes
corner boxes and rounds differently, so it cannot stand in for TrackEval's IoU here.
"""
from __future__ import annotations

import numpy as np

from ..._numba import njit

EPS = float(np.finfo(np.float64).eps)
_PW_BLOCKSIZE = 128


@njit
def xywh_corners(a):
    """``x, y, w, h`` boxes (n, 4) as ``x0, y0, x0 + w, y0 + h`` corners (TrackEval's conversion)."""
    out = np.empty((a.shape[0], 4))
    for i in range(a.shape[0]):
        out[i, 0] = a[i, 0]
        out[i, 1] = a[i, 1]
        out[i, 2] = a[i, 0] + a[i, 2]
        out[i, 3] = a[i, 1] + a[i, 3]
    return out


@njit
def box_iou_corners(a, b):
    """IoU between two sets of ``x0, y0, x1, y1`` boxes, exactly as TrackEval computes it.

    Parameters
    ----------
    a : ndarray, shape (n, 4), float64
        Boxes as left, top, right, bottom (pixels).
    b : ndarray, shape (m, 4), float64
        Boxes in the same format.

    Returns
    -------
    ndarray, shape (n, m), float64
        Intersection over union in [0, 1]; 0 where either box has area <= eps.
    """
    n = a.shape[0]
    m = b.shape[0]
    out = np.zeros((n, m))
    for i in range(n):
        ax0 = a[i, 0]
        ay0 = a[i, 1]
        ax1 = a[i, 2]
        ay1 = a[i, 3]
        area_a = (ax1 - ax0) * (ay1 - ay0)
        for j in range(m):
            bx0 = b[j, 0]
            by0 = b[j, 1]
            bx1 = b[j, 2]
            by1 = b[j, 3]
            area_b = (bx1 - bx0) * (by1 - by0)
            iw = min(ax1, bx1) - max(ax0, bx0)
            ih = min(ay1, by1) - max(ay0, by0)
            if iw < 0.0:
                iw = 0.0
            if ih < 0.0:
                ih = 0.0
            inter = iw * ih
            union = area_a + area_b - inter
            if area_a <= EPS or area_b <= EPS or union <= EPS:
                inter = 0.0
            if union <= EPS:
                union = 1.0
            out[i, j] = inter / union
    return out


@njit
def box_ioa_corners(a, b):
    """Intersection over the area of ``a`` (n, 4) with each of ``b`` (m, 4), corner boxes,
    as TrackEval's ``do_ioa`` (0 where ``a``'s area <= eps)."""
    n = a.shape[0]
    m = b.shape[0]
    out = np.zeros((n, m))
    for i in range(n):
        area_a = (a[i, 2] - a[i, 0]) * (a[i, 3] - a[i, 1])
        if area_a <= EPS:
            continue
        for j in range(m):
            iw = min(a[i, 2], b[j, 2]) - max(a[i, 0], b[j, 0])
            ih = min(a[i, 3], b[j, 3]) - max(a[i, 1], b[j, 1])
            if iw < 0.0:
                iw = 0.0
            if ih < 0.0:
                ih = 0.0
            out[i, j] = iw * ih / area_a
    return out


@njit
def box_iou_xywh(a, b):
    """IoU between two sets of ``x, y, w, h`` boxes (n, 4) and (m, 4), exactly as TrackEval
    computes it: converted to corners, then :func:`box_iou_corners`."""
    return box_iou_corners(xywh_corners(a), xywh_corners(b))


@njit
def _pairwise_leaf(a, start, n):
    # NumPy's pairwise_sum for n <= 128: eight accumulators, then the remainder.
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[start + i]
        return res
    r0 = a[start]
    r1 = a[start + 1]
    r2 = a[start + 2]
    r3 = a[start + 3]
    r4 = a[start + 4]
    r5 = a[start + 5]
    r6 = a[start + 6]
    r7 = a[start + 7]
    i = 8
    stop = n - (n % 8)
    while i < stop:
        r0 += a[start + i]
        r1 += a[start + i + 1]
        r2 += a[start + i + 2]
        r3 += a[start + i + 3]
        r4 += a[start + i + 4]
        r5 += a[start + i + 5]
        r6 += a[start + i + 6]
        r7 += a[start + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i]
        i += 1
    return res


@njit
def _pairwise(a, start, n):
    # NumPy's pairwise summation of a[start:start + n], without recursion (Numba's
    # on-disk cache cannot reload recursive functions): an explicit post-order walk of
    # the same split tree (halves rounded down to a multiple of 8, leaves <= 128).
    if n <= _PW_BLOCKSIZE:
        return _pairwise_leaf(a, start, n)
    st_start = np.empty(64, np.int64)
    st_n = np.empty(64, np.int64)
    st_phase = np.zeros(64, np.int64)
    vals = np.empty(64)
    top = 0
    nv = 0
    st_start[0] = start
    st_n[0] = n
    st_phase[0] = 0
    while top >= 0:
        s0 = st_start[top]
        n0 = st_n[top]
        if n0 <= _PW_BLOCKSIZE:
            vals[nv] = _pairwise_leaf(a, s0, n0)
            nv += 1
            top -= 1
            continue
        n2 = n0 // 2
        n2 -= n2 % 8
        ph = st_phase[top]
        if ph == 0:
            st_phase[top] = 1
            top += 1
            st_start[top] = s0
            st_n[top] = n2
            st_phase[top] = 0
        elif ph == 1:
            st_phase[top] = 2
            top += 1
            st_start[top] = s0 + n2
            st_n[top] = n0 - n2
            st_phase[top] = 0
        else:
            nv -= 1
            right = vals[nv]
            left = vals[nv - 1]
            vals[nv - 1] = left + right
            top -= 1
    return vals[0]


@njit
def np_sum(a, start, n):
    """``np.sum(a[start:start + n])`` bit for bit (``a`` 1-D contiguous float64)."""
    return _pairwise(a, start, n)
