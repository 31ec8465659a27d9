"""Box geometry: conversions and intersection-over-union.

All boxes are x1, y1, x2, y2 in pixels (any consistent unit works) unless a
function says otherwise.  ``iou_matrix`` is compiled with numba; ``iou_matrix_numpy``
is its vectorised numpy twin (tests check they agree).

Camera warps
------------
A camera warp is a (3, 3) float64 homography (an affine warp has last row 0, 0, 1)
mapping the previous frame's pixels to this frame's; :func:`camera_warp` validates one
(finite, invertible, and scaling by at most :data:`MAX_WARP_SCALE` either way).
Kernels take it as one argument ``warp``: the (3, 3) array, or :data:`NO_WARP` (a (0, 3)
array) for a static camera; :func:`has_warp` tells which.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ._numba import njit
from ._sorting import lower_bound, stable_argsort

__all__ = [
    "CORNERS",
    "SIMILARITIES",
    "MAX_WARP_SCALE",
    "NO_WARP",
    "arccos_into",
    "camera_warp",
    "corner_consistency_into",
    "corner_direction",
    "direction_consistency_into",
    "height_overlap",
    "iou_matrix",
    "iou_matrix_numpy",
    "nms",
    "overlap_edges",
    "overlap_edges_into",
    "same_class_edges",
    "similarity_matrix",
    "has_warp",
    "speed_direction",
    "warp_scale",
    "warp_box",
    "warp_point",
    "warp_vector",
    "xywh_to_xyxy",
    "xyxy_to_xywh",
]


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
    return _sweep_edges(a, b, np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))


@njit(inline="always")
def same_class_edges(rows, cols, vals, row_classes, col_classes):
    """The edges ``(rows, cols, vals)`` whose row and column have the same class, in their
    order: compacted in place (a loop, no boolean mask to compile) and returned as views."""
    k = 0
    for e in range(rows.shape[0]):
        if row_classes[rows[e]] == col_classes[cols[e]]:
            rows[k] = rows[e]
            cols[k] = cols[e]
            vals[k] = vals[e]
            k += 1
    return rows[:k], cols[:k], vals[:k]


@njit
def overlap_edges_into(a, b, er, ec, ev):
    """:func:`overlap_edges` into the buffers ``er, ec, ev``: scanned densely when
    ``len(a) * len(b)`` fits them, else swept (into them when they hold 4 (N + M) + 16
    pairs and the pairs fit, else into new arrays)."""
    if a.shape[0] * b.shape[0] > er.shape[0]:
        return _sweep_edges(a, b, er, ec, ev)
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
def _sweep_edges(a, b, rows, cols, vals):
    """The sweep of :func:`overlap_edges` into ``rows, cols, vals``, or into new arrays
    when these are shorter than 4 (N + M) + 16 (one sweep holds the pairs of most scenes),
    or, after a second sweep, of the exact size when the pairs do not fit."""
    m = b.shape[0]
    bx1 = np.empty(m)
    for j in range(m):
        bx1[j] = b[j, 0]
    order = stable_argsort(bx1)
    for t in range(m):
        bx1[t] = b[order[t], 0]
    max_w = 0.0
    for j in range(m):
        w = b[j, 2] - b[j, 0]
        if w > max_w:
            max_w = w
    found = np.empty(m, np.int64)
    cap = 4 * (a.shape[0] + m) + 16  # room for the pairs of most scenes
    if rows.shape[0] < cap:
        rows = np.empty(cap, np.int64)
        cols = np.empty(cap, np.int64)
        vals = np.empty(cap, np.float64)
    e = _sweep_into(a, b, order, bx1, max_w, found, rows, cols, vals)
    if e > rows.shape[0]:  # a crowd: a second sweep into arrays of the exact size
        rows = np.empty(e, np.int64)
        cols = np.empty(e, np.int64)
        vals = np.empty(e, np.float64)
        _sweep_into(a, b, order, bx1, max_w, found, rows, cols, vals)
    return rows[:e], cols[:e], vals[:e]


@njit
def _sweep_into(a, b, order, bx1, max_w, found, rows, cols, vals):
    """The overlapping pairs of the sweep (``b`` in x1 order: ``order``, sorted x1 ``bx1``,
    widest box ``max_w``) into ``rows, cols, vals`` while they have room; returns the
    number of pairs (more than their length when they were too short).  The arrays are
    arguments, never reassigned in the loop: numba would count references per row."""
    cap = rows.shape[0]
    e = 0
    for i in range(a.shape[0]):
        lo = lower_bound(bx1, a[i, 0] - max_w)
        hi = lower_bound(bx1, a[i, 2])
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
            _sort_candidates(found, k)
        else:
            for t in range(1, k):
                x = found[t]
                u = t - 1
                while u >= 0 and found[u] > x:
                    found[u + 1] = found[u]
                    u -= 1
                found[u + 1] = x
        for t in range(k):
            if e < cap:
                j = found[t]
                rows[e] = i
                cols[e] = j
                vals[e] = _iou(a[i, 0], a[i, 1], a[i, 2], a[i, 3], b[j, 0], b[j, 1], b[j, 2], b[j, 3])
            e += 1
    return e


@njit
def _sort_candidates(found, k):
    """``found[:k]`` in increasing order (distinct column indices)."""
    srt = stable_argsort(found[:k])
    cand = found[:k].copy()
    for t in range(k):
        found[t] = cand[srt[t]]


# ----------------------------------------------------------------------------- OC-SORT's costs
#: Similarity kinds of :func:`similarity_matrix` (OC-SORT's ``asso_func`` names).
SIMILARITIES = ("iou", "giou", "ciou", "diou", "ct_dist", "hmiou")
SIM_IOU, SIM_GIOU, SIM_CIOU, SIM_DIOU, SIM_CT_DIST, SIM_HMIOU = range(6)


@njit
def height_overlap(ay1, ay2, by1, by2):
    """Hybrid-SORT's height modulation of two boxes: the length of their vertical overlap
    over the length of the vertical span they cover together (negative when they do not
    overlap vertically; NaN when both are zero-height at the same y)."""
    return (min(ay2, by2) - max(ay1, by1)) / (max(ay2, by2) - min(ay1, by1))


@njit
def _similarity(kind, ax1, ay1, ax2, ay2, bx1, by1, bx2, by2):
    """One pair's IoU (kind 0), GIoU / CIoU / DIoU rescaled from (-1, 1) to (0, 1), or the
    height-modulated IoU (HMIoU: :func:`height_overlap` times IoU, Hybrid-SORT's), computed
    as the originals' ``*_batch`` / ``hmiou`` functions do (NaN where theirs is)."""
    w = max(0.0, min(ax2, bx2) - max(ax1, bx1))
    h = max(0.0, min(ay2, by2) - max(ay1, by1))
    wh = w * h
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - wh
    iou = wh / union
    if kind == SIM_IOU:
        return iou
    if kind == SIM_HMIOU:
        return height_overlap(ay1, ay2, by1, by2) * iou
    wc = max(ax2, bx2) - min(ax1, bx1)
    hc = max(ay2, by2) - min(ay1, by1)
    if kind == SIM_GIOU:
        enclose = wc * hc
        return (iou - (enclose - union) / enclose + 1.0) / 2.0
    dcx = (ax1 + ax2) / 2.0 - (bx1 + bx2) / 2.0
    dcy = (ay1 + ay2) / 2.0 - (by1 + by2) / 2.0
    inner = dcx * dcx + dcy * dcy
    outer = wc * wc + hc * hc
    if kind == SIM_DIOU:
        return (iou - inner / outer + 1.0) / 2.0
    # CIoU; heights get one pixel added, as in the original
    arctan = np.arctan((bx2 - bx1) / (by2 - by1 + 1.0)) - np.arctan((ax2 - ax1) / (ay2 - ay1 + 1.0))
    v = (4.0 / (np.pi * np.pi)) * (arctan * arctan)
    alpha = v / (1.0 - iou + v)
    return (iou - inner / outer - alpha * v + 1.0) / 2.0


@njit
def similarity_matrix(kind, a, b):
    """Dense (N, M) similarity of boxes ``a`` (N, 4) to ``b`` (M, 4) by ``kind``
    (:data:`SIMILARITIES`).  ``ct_dist`` is 1 - d / max(d) over the matrix, d the
    centre distance (all NaN when every d is 0, as in the original)."""
    n = a.shape[0]
    m = b.shape[0]
    out = np.empty((n, m))
    if kind != SIM_CT_DIST:
        for i in range(n):
            for j in range(m):
                out[i, j] = _similarity(kind, a[i, 0], a[i, 1], a[i, 2], a[i, 3],
                                        b[j, 0], b[j, 1], b[j, 2], b[j, 3])
        return out
    dmax = -1.0
    for i in range(n):
        for j in range(m):
            dx = (a[i, 0] + a[i, 2]) / 2.0 - (b[j, 0] + b[j, 2]) / 2.0
            dy = (a[i, 1] + a[i, 3]) / 2.0 - (b[j, 1] + b[j, 3]) / 2.0
            out[i, j] = np.sqrt(dx * dx + dy * dy)
            dmax = max(dmax, out[i, j])
    top = -np.inf
    for i in range(n):
        for j in range(m):
            out[i, j] = out[i, j] / dmax
            top = max(top, out[i, j])
    for i in range(n):
        for j in range(m):
            out[i, j] = top - out[i, j]
    return out


@njit
def speed_direction(ax1, ay1, ax2, ay2, bx1, by1, bx2, by2):
    """Unit direction (dy, dx) from the centre of box a to that of box b (norm + 1e-6)."""
    dx = (bx1 + bx2) / 2.0 - (ax1 + ax2) / 2.0
    dy = (by1 + by2) / 2.0 - (ay1 + ay2) / 2.0
    norm = np.sqrt(dx * dx + dy * dy) + 1e-6
    return dy / norm, dx / norm


@njit
def _asin_half(y):
    """asin(y) for |y| <= 1/2: its Taylor series to z^24 (z = y^2, error < 1e-17)."""
    z = y * y
    return y + y * z * ((((((((((((((((((((((((0.002338091892111975) * z
        + 0.0024894486782468836) * z
        + 0.00265787063820729) * z
        + 0.002846178401108942) * z
        + 0.0030578216492580306) * z
        + 0.003297059503473485) * z
        + 0.0035692053938259347) * z
        + 0.003880964558837669) * z
        + 0.004240907093679363) * z
        + 0.004660143486915096) * z
        + 0.005153309682319905) * z
        + 0.005740037670841924) * z
        + 0.006447210311889649) * z
        + 0.0073125258735988454) * z
        + 0.008390335809616815) * z
        + 0.009761609529194078) * z
        + 0.011551800896139705) * z
        + 0.01396484375) * z
        + 0.017352764423076924) * z
        + 0.022372159090909092) * z
        + 0.030381944444444444) * z
        + 0.044642857142857144) * z
        + 0.075) * z
        + 0.16666666666666666)


@njit
def arccos_into(a):
    """arccos of every element of the 1-D array ``a`` (values in [-1, 1]), in place; within
    one ulp of numpy's, and branch-free arithmetic (unlike a libm call), so it runs SIMD."""
    for i in range(a.shape[0]):
        x = a[i]
        ax = abs(x)
        small = ax <= 0.5
        p = _asin_half(x if small else np.sqrt((1.0 - ax) * 0.5))
        r_small = np.pi / 2.0 - p
        r_pos = 2.0 * p
        r_neg = np.pi - r_pos
        a[i] = r_small if small else (r_pos if x > 0.0 else r_neg)


@njit
def direction_consistency_into(out, det_boxes, prev_boxes, vel_y, vel_x):
    """OC-SORT's momentum term of every detection (D, 4) and track into ``out`` (D, T):
    (pi/2 - angle) / pi in [-1/2, 1/2], angle between the track's velocity direction
    (vel_y[t], vel_x[t]) and the direction from its observation ``prev_boxes[t]`` (T, 4+)
    (``delta_t`` frames back) to the detection, centre to centre.  Computed as the
    original's ``speed_direction_batch`` and ``associate`` do (norm + 1e-6, cosine clipped
    to [-1, 1]), in passes that vectorise."""
    D = det_boxes.shape[0]
    T = prev_boxes.shape[0]
    pcx = np.empty(T)
    pcy = np.empty(T)
    for t in range(T):
        pcx[t] = (prev_boxes[t, 0] + prev_boxes[t, 2]) / 2.0
        pcy[t] = (prev_boxes[t, 1] + prev_boxes[t, 3]) / 2.0
    dcx = np.empty(D)
    dcy = np.empty(D)
    for d in range(D):
        dcx[d] = (det_boxes[d, 0] + det_boxes[d, 2]) / 2.0
        dcy[d] = (det_boxes[d, 1] + det_boxes[d, 3]) / 2.0
    _consistency_into(out, dcx, dcy, pcx, pcy, vel_y, vel_x)


#: Box corners of Hybrid-SORT's four velocity directions, in its order, as (x column,
#: y column) of an (x1, y1, x2, y2) box: (x1, y1), (x1, y2), (x2, y1), (x2, y2).
CORNERS = ((0, 1), (0, 3), (2, 1), (2, 3))


@njit
def corner_direction(a, b, corner):
    """Unit direction (dy, dx) from corner ``corner`` (index into :data:`CORNERS`) of box
    ``a`` to the same corner of box ``b`` (boxes x1, y1, x2, y2; norm + 1e-6)."""
    cx = 0 if corner < 2 else 2
    cy = 1 if corner % 2 == 0 else 3
    dx = b[cx] - a[cx]
    dy = b[cy] - a[cy]
    norm = np.sqrt(dx * dx + dy * dy) + 1e-6
    return dy / norm, dx / norm


@njit
def corner_consistency_into(out, det_boxes, prev_boxes, vel_y, vel_x, corner):
    """:func:`direction_consistency_into` for one box corner (index into :data:`CORNERS`)
    instead of the centre: Hybrid-SORT's per-corner momentum term (D, T) into ``out``."""
    D = det_boxes.shape[0]
    T = prev_boxes.shape[0]
    cx = 0 if corner < 2 else 2
    cy = 1 if corner % 2 == 0 else 3
    px = np.empty(T)
    py = np.empty(T)
    for t in range(T):
        px[t] = prev_boxes[t, cx]
        py[t] = prev_boxes[t, cy]
    dx = np.empty(D)
    dy = np.empty(D)
    for d in range(D):
        dx[d] = det_boxes[d, cx]
        dy[d] = det_boxes[d, cy]
    _consistency_into(out, dx, dy, px, py, vel_y, vel_x)


@njit
def _consistency_into(out, dx_pts, dy_pts, px_pts, py_pts, vel_y, vel_x):
    """(pi/2 - angle) / pi into ``out`` (D, T): angle between (vel_y[t], vel_x[t]) and the
    unit direction (norm + 1e-6) from track point t to detection point d."""
    D = dx_pts.shape[0]
    T = px_pts.shape[0]
    for d in range(D):
        cx = dx_pts[d]
        cy = dy_pts[d]
        row = out[d]
        for t in range(T):
            dx = cx - px_pts[t]
            dy = cy - py_pts[t]
            norm = np.sqrt(dx * dx + dy * dy) + 1e-6
            # np.true_divide: the IEEE quotient of "/" without numba's zero check (norm > 0)
            c = vel_x[t] * np.true_divide(dx, norm) + vel_y[t] * np.true_divide(dy, norm)
            row[t] = min(max(c, -1.0), 1.0)
    flat = out.reshape(D * T)
    arccos_into(flat)
    for i in range(D * T):
        flat[i] = np.true_divide(np.pi / 2.0 - flat[i], np.pi)


@njit
def warp_point(H, x, y):
    """Map the point (x, y) by the (3, 3) homography ``H``; returns (x', y', a) with
    ``a`` the local area scale |det J| of the map at (x, y) (exactly |det A| for an affine)."""
    wz = H[2, 0] * x + H[2, 1] * y + H[2, 2]
    xn = H[0, 0] * x + H[0, 1] * y + H[0, 2]
    yn = H[1, 0] * x + H[1, 1] * y + H[1, 2]
    xp = xn / wz
    yp = yn / wz
    # Jacobian of (xn / wz, yn / wz)
    j00 = (H[0, 0] - xp * H[2, 0]) / wz
    j01 = (H[0, 1] - xp * H[2, 1]) / wz
    j10 = (H[1, 0] - yp * H[2, 0]) / wz
    j11 = (H[1, 1] - yp * H[2, 1]) / wz
    return xp, yp, abs(j00 * j11 - j01 * j10)


@njit
def warp_vector(H, x, y, dx, dy):
    """Map a displacement (dx, dy) at (x, y) by the linear part (Jacobian) of ``H``."""
    wz = H[2, 0] * x + H[2, 1] * y + H[2, 2]
    xp = (H[0, 0] * x + H[0, 1] * y + H[0, 2]) / wz
    yp = (H[1, 0] * x + H[1, 1] * y + H[1, 2]) / wz
    return (((H[0, 0] - xp * H[2, 0]) * dx + (H[0, 1] - xp * H[2, 1]) * dy) / wz,
            ((H[1, 0] - yp * H[2, 0]) * dx + (H[1, 1] - yp * H[2, 1]) * dy) / wz)


@njit
def warp_box(H, x1, y1, x2, y2):
    """Box moved by the camera warp ``H`` (3, 3): centre mapped, width and height scaled
    by the square root of the local area scale (aspect ratio kept)."""
    xp, yp, a = warp_point(H, x1 + (x2 - x1) / 2.0, y1 + (y2 - y1) / 2.0)
    k = np.sqrt(a)
    hw = (x2 - x1) * k / 2.0
    hh = (y2 - y1) * k / 2.0
    return xp - hw, yp - hh, xp + hw, yp + hh


@njit
def nms(boxes, scores, classes, iou_threshold, max_keep):
    """Class-aware greedy non-maximum suppression.

    Visits boxes in descending score order (ties keep their row order) and keeps a box
    unless an already kept box of the same class overlaps it with IoU > ``iou_threshold``;
    stops after ``max_keep`` boxes.  ``boxes`` (N, 4) float64 x1, y1, x2, y2 (a box with
    x2 < x1 or y2 < y1 overlaps nothing), ``scores`` (N,) float64, ``classes`` (N,) int64.
    Returns the kept rows, (K,) int64, best first.
    """
    n = scores.shape[0]
    order = np.argsort(-scores, kind="mergesort")
    suppressed = np.zeros(n, dtype=np.bool_)
    keep = np.empty(min(n, max_keep), dtype=np.int64)
    k = 0
    for a in range(n):
        if k >= max_keep:
            break
        i = order[a]
        if suppressed[i]:
            continue
        keep[k] = i
        k += 1
        for b in range(a + 1, n):
            j = order[b]
            if suppressed[j] or classes[j] != classes[i]:
                continue
            if _iou(boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3],
                    boxes[j, 0], boxes[j, 1], boxes[j, 2], boxes[j, 3]) > iou_threshold:
                suppressed[j] = True
    return keep[:k]


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



# ----------------------------------------------------------------------------- camera warps
#: "No camera motion" as a kernel's ``warp`` argument: a (0, 3) float64 array (it has no
#: entries to write; left writeable so kernels see one array type for both cases).
NO_WARP = np.empty((0, 3))

#: Most a camera warp may scale between two frames: the singular values of its linear part
#: (the top-left 2x2 of the normalised warp) must lie in ``[1 / MAX_WARP_SCALE,
#: MAX_WARP_SCALE]``.  A real camera zooms by a few percent a frame (a PTZ camera's
#: whole zoom range is ~40x); a warp that zooms by 1e200 scales every covariance by its
#: square, to inf, and the tracker's own state would no longer load.
MAX_WARP_SCALE = 1e4
_MAX_COORDINATE = 1e15  # mottrack.detections.MAX_COORDINATE (geometry imports nothing above it)

_F64 = np.dtype(np.float64)


@njit
def warp_scale(h):
    """The smallest and largest singular value of the (3, 3) warp ``h``'s linear part
    ``h[:2, :2]`` (closed form, on the matrix divided by its largest entry; ``h`` invertible).  libmottrack's
    ``warp_scale_ok`` does the same operations in the same order."""
    # scaled by the largest entry m (> 0: the warp is invertible) so that nothing overflows
    m = max(max(abs(h[0, 0]), abs(h[0, 1])), max(abs(h[1, 0]), abs(h[1, 1])))
    a = h[0, 0] / m
    b = h[0, 1] / m
    c = h[1, 0] / m
    d = h[1, 1] / m
    e = (a + d) / 2.0
    f = (a - d) / 2.0
    g = (c + b) / 2.0
    k = (c - b) / 2.0
    q = np.sqrt(e * e + k * k)
    r = np.sqrt(f * f + g * g)
    return m * (abs(a * d - b * c) / (q + r)), m * (q + r)  # (not |q - r|, which cancels)


@njit
def _scale_ok(lo, hi):
    return hi <= MAX_WARP_SCALE and lo >= 1.0 / MAX_WARP_SCALE


@njit
def _perspective_ok(h):
    """A homography's perspective row within reach: |H[2, 0]|, |H[2, 1]| <= 1 and its
    translation within ``+-MAX_COORDINATE`` (an affine warp: always).  A homography's
    Jacobian at a point grows with the point's image times the perspective terms: with a
    translation of 1e300 it scaled the covariances to inf."""
    if h[2, 0] == 0.0 and h[2, 1] == 0.0:
        return True
    return (abs(h[2, 0]) <= 1.0 and abs(h[2, 1]) <= 1.0 and abs(h[0, 2]) <= _MAX_COORDINATE
            and abs(h[1, 2]) <= _MAX_COORDINATE)


@njit
def has_warp(warp):
    """Whether a kernel's ``warp`` argument is a (3, 3) warp (else it is :data:`NO_WARP`)."""
    return warp.shape[0] == 3


@njit
def _promote_warp(a, out):
    """Compiled check and promotion of a float64 (2, 3) / (3, 3) warp into ``out`` (3, 3);
    returns False when :func:`camera_warp`'s full checks must decide (and raise)."""
    for i in range(3):
        for j in range(3):
            out[i, j] = a[i, j] if i < a.shape[0] else (1.0 if i == j else 0.0)
            if not np.isfinite(out[i, j]):
                return False
    h22 = out[2, 2]
    if not abs(h22) > 1e-12:
        return False
    if h22 != 1.0:
        for i in range(3):
            for j in range(3):
                out[i, j] = out[i, j] / h22
    det2 = out[0, 0] * out[1, 1] - out[0, 1] * out[1, 0]
    det3 = (out[2, 2] * det2 - out[2, 1] * (out[0, 0] * out[1, 2] - out[0, 2] * out[1, 0])
            + out[2, 0] * (out[0, 1] * out[1, 2] - out[0, 2] * out[1, 1]))
    if not (abs(det3) > 1e-9 and abs(det2) > 1e-9) or not _perspective_ok(out):
        return False
    lo, hi = warp_scale(out)
    return _scale_ok(lo, hi)



def camera_warp(camera_motion: Any, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Validate a camera-motion warp; returns it as a (3, 3) float64 C-contiguous array.

    Parameters
    ----------
    camera_motion : array_like, shape (2, 3) or (3, 3)
        Affine warp (2x3) or homography (3x3) mapping the previous frame's pixel
        coordinates to this frame's.  A homography is normalised so that ``H[2, 2] == 1``.
    out : ndarray, float64, shape (3, 3), C-contiguous, optional
        Where the common case (a valid float64 array) is written; it is then returned.
        Other inputs, and invalid ones (which raise), may leave anything in it.

    Raises
    ------
    TypeError
        Not a numeric array.
    ValueError
        Wrong shape, non-finite entries, a singular (non-invertible) warp, one that
        scales by more than :data:`MAX_WARP_SCALE` or less than its inverse
        (:func:`warp_scale`), or a homography whose perspective terms exceed 1 or whose
        translation exceeds ``+-MAX_COORDINATE``.
    """
    a = camera_motion
    if (type(a) is np.ndarray and a.dtype is _F64 and a.ndim == 2 and a.shape[1] == 3
            and 2 <= a.shape[0] <= 3):
        if out is None:
            out = np.empty((3, 3))
        if _promote_warp(a, out):  # the common case in one compiled call
            return out
    try:
        a = np.asarray(camera_motion)
    except Exception as e:  # ragged nested lists and the like
        raise TypeError(f"camera_motion: expected a 2x3 or 3x3 array of floats; got {type(camera_motion).__name__} ({e})") from None
    if a.dtype.kind not in "biuf" or a.dtype.kind == "b":
        raise TypeError(f"camera_motion: expected a 2x3 or 3x3 array of floats; got dtype {a.dtype}")
    if a.shape not in ((2, 3), (3, 3)):
        raise ValueError(f"camera_motion: expected shape (2, 3) (affine) or (3, 3) (homography); got {a.shape}")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError("camera_motion: entries must be finite numbers")
    h = np.eye(3)
    h[: a.shape[0]] = a
    if a.shape[0] == 3:
        if not abs(h[2, 2]) > 1e-12:
            raise ValueError(f"camera_motion: a homography needs H[2, 2] != 0; got {h[2, 2]!r}")
        h = h / h[2, 2]
    det2 = h[0, 0] * h[1, 1] - h[0, 1] * h[1, 0]
    if not (abs(np.linalg.det(h)) > 1e-12 and abs(det2) > 1e-12):
        raise ValueError("camera_motion: the warp is singular (it maps the image onto a line or "
                         "point); expected an invertible warp")
    if not _perspective_ok(h):
        raise ValueError(f"camera_motion: a homography needs |H[2, 0]|, |H[2, 1]| <= 1 and a translation "
                         f"within +-{_MAX_COORDINATE:g} (after H[2, 2] = 1); got {h[2, 0]:.6g}, {h[2, 1]:.6g} "
                         f"and {h[0, 2]:.6g}, {h[1, 2]:.6g}")
    lo, hi = warp_scale(h)
    if not _scale_ok(lo, hi):
        raise ValueError(f"camera_motion: the warp scales by {lo:.6g} to {hi:.6g} (singular values of "
                         f"its linear part); expected scales within [{1 / MAX_WARP_SCALE:g}, "
                         f"{MAX_WARP_SCALE:g}] between two frames")
    return np.ascontiguousarray(h)
