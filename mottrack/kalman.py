"""Batched constant-velocity Kalman filters for boxes.

Three parametrisations, each with state (T, d) and covariance (T, d, d) arrays that
hold every track of a tracker:

* :class:`KalmanBoxFilter` — SORT's 7-state filter over (u, v, s, r, u', v', s'):
  box centre u, v (pixels), area s (pixels^2), aspect ratio r = w / h, and the
  velocities of the first three (per frame).  Noise as in Bewley et al. 2016
  (the filterpy set-up of abewley/sort), Joseph-form update as filterpy does.
* :class:`KalmanXYAHFilter` — the 8-state filter of DeepSORT / ByteTrack over
  (x, y, a, h, x', y', a', h'): centre, aspect ratio w / h, height, velocities,
  with process and measurement noise proportional to the box height.
* :class:`KalmanXYWHFilter` — BoT-SORT's 8-state filter over (x, y, w, h, x', y',
  w', h'), noise proportional to the width (x, w components) and the height (y, h).
  Its kernels handle a full covariance, as a camera warp couples x with y and w with h
  (``xywh_warp_rows``, BoT-SORT's ``multi_gmc``).

Camera warps (``*_warp_rows``) move a track's state from the previous frame's pixel
coordinates to this frame's, each in the way its parametrisation allows (see there).

Predict takes a time step ``dt`` in frames: ``dt = 1`` reproduces the classic
filters exactly; other values (from real timestamps) scale the transition
(``x += dt * x'``) and the process noise (``Q * dt``).

All three start from a diagonal covariance, couple each component only with its own
velocity, and have diagonal process and measurement noise; without camera motion the
covariance therefore stays a set of independent 2x2 blocks (component k, velocity
k + 4; SORT's aspect ratio r alone) with exact zeros elsewhere, and the (u, v, s, r)
and (x, y, a, h) kernels (``*_initiate``, ``*_predict``, ``*_update``) compute on those
blocks only (the same numbers as the full matrix products, a tenth of the work).  Their
warps keep that structure (per-component blocks).  The (x, y, w, h) kernels work on the
full 8x8 covariance, which BoT-SORT's warp couples x with y and w with h (they take
the block shortcut while the coupling terms are exact zeros).  The row kernels are
compiled with numba and are what the trackers call inside their per-frame kernels.  The
``*_numpy`` functions are vectorised numpy twins of the same math; tests compare
both, and both against filterpy.

For OC-SORT the (u, v, s, r) filter also takes measurements directly
(``xysr_initiate_z``, ``xysr_update_z``; its r is w / (h + 1e-6)), saves and restores a
row losslessly (``xysr_save`` / ``xysr_load``: 17 numbers), re-runs a row along a
linearly interpolated virtual trajectory (``xysr_reupdate_linear``, OC-SORT's ORU), and
moves a row by a camera warp (``xysr_warp``).
"""
from __future__ import annotations

import numpy as np

from ._numba import njit
from .geometry import camera_warp, warp_point, warp_vector

#: Decorator of the (x, y, a, h) and (x, y, w, h) update kernels.  They divide only by what
#: their callers keep positive (box heights, innovation variances), so numpy's error model
#: changes no result; without a zero-division branch numba also drops the reference counts
#: of their array arguments (two atomic operations per array per call).
_update_kernel = njit(error_model="numpy")
_update_block = njit(error_model="numpy", inline="always")  # helpers of _update_kernel kernels only

__all__ = ["KalmanBoxFilter", "KalmanXYAHFilter", "KalmanXYWHFilter",
           "xysr_predict_numpy", "xysr_update_numpy", "xyah_predict_numpy", "xyah_update_numpy",
           "xywh_predict_numpy", "xywh_update_numpy", "xywh_warp_numpy"]

# ----------------------------------------------------------------------------- SORT (u, v, s, r)
XYSR_DIM = 7
# Diagonals of the SORT filter's matrices (abewley/sort's KalmanBoxTracker).
XYSR_P0 = np.array([10.0, 10.0, 10.0, 10.0, 10000.0, 10000.0, 10000.0])
XYSR_Q = np.array([1.0, 1.0, 1.0, 1.0, 0.01, 0.01, 0.0001])
XYSR_R = np.array([1.0, 1.0, 10.0, 10.0])


@njit
def _chol4(S, L):
    """Cholesky factor of a 4x4 SPD matrix into L (lower)."""
    for i in range(4):
        for j in range(i + 1):
            acc = S[i, j]
            for k in range(j):
                acc -= L[i, k] * L[j, k]
            if i == j:
                L[i, i] = np.sqrt(acc)
            else:
                L[i, j] = acc / L[j, j]
        for j in range(i + 1, 4):
            L[i, j] = 0.0


@njit
def xysr_z(x1, y1, x2, y2, h_eps):
    """Measurement (u, v, s, r) of a box; r = w / (h + h_eps) (SORT: 0, OC-SORT: 1e-6)."""
    w = x2 - x1
    h = y2 - y1
    return x1 + w / 2.0, y1 + h / 2.0, w * h, w / (h + h_eps)


@njit
def xysr_initiate_z(mean, cov, row, u, v, s, r):
    """Start track ``row`` at a measurement (u, v, s, r) with zero velocity."""
    mean[row, 0] = u
    mean[row, 1] = v
    mean[row, 2] = s
    mean[row, 3] = r
    for k in range(4, 7):
        mean[row, k] = 0.0
    for i in range(7):
        for j in range(7):
            cov[row, i, j] = 0.0
        cov[row, i, i] = XYSR_P0[i]


@njit
def xysr_initiate(mean, cov, row, x1, y1, x2, y2):
    """Start track ``row`` at a box (x1, y1, x2, y2)."""
    u, v, s, r = xysr_z(x1, y1, x2, y2, 0.0)
    xysr_initiate_z(mean, cov, row, u, v, s, r)


@njit(inline="always")
def _block_predict(mean, P, t, k, v, dt, qk, qv):
    """Predict the 2-state block (k: position, v: its velocity) of row t by dt frames."""
    mean[t, k] += dt * mean[t, v]
    a = P[k, k]
    b = P[k, v]
    c = P[v, v]
    bc = b + dt * c
    P[k, k] = a + dt * b + dt * bc + qk
    P[k, v] = bc
    P[v, k] = bc
    P[v, v] = c + qv


@njit
def xysr_predict_row(mean, cov, t, dt):
    """Predict row ``t`` by ``dt`` frames: x <- F x, P <- F P F^T + Q dt (no clamp)."""
    P = cov[t]
    for k in range(3):
        _block_predict(mean, P, t, k, k + 4, dt, XYSR_Q[k] * dt, XYSR_Q[k + 4] * dt)
    P[3, 3] += XYSR_Q[3] * dt


@njit
def xysr_predict(mean, cov, n, dt):
    """Predict rows 0..n-1 by ``dt`` frames (SORT, including its area-velocity clamp:
    s' is zeroed first when the step would make the area s non-positive)."""
    for t in range(n):
        if mean[t, 6] * dt + mean[t, 2] <= 0.0:
            mean[t, 6] = 0.0
        xysr_predict_row(mean, cov, t, dt)


@njit
def xysr_box(mean, row):
    """Box (x1, y1, x2, y2) of a SORT state row; NaN when s * r < 0."""
    s = mean[row, 2]
    r = mean[row, 3]
    w = np.sqrt(s * r)
    h = s / w
    return (mean[row, 0] - w / 2.0, mean[row, 1] - h / 2.0,
            mean[row, 0] + w / 2.0, mean[row, 1] + h / 2.0)


@njit(inline="always")
def _block_update_joseph(mean, P, t, k, v, r, y):
    """Correct block (k, v) of row t with innovation y of component k, noise r (Joseph form)."""
    a = P[k, k]
    b = P[k, v]
    c = P[v, v]
    s = a + r
    g0 = a / s
    g1 = b / s
    mean[t, k] += g0 * y
    mean[t, v] += g1 * y
    m = 1.0 - g0
    P[k, k] = m * m * a + g0 * g0 * r
    off = m * (b - g1 * a) + g0 * g1 * r
    P[k, v] = off
    P[v, k] = off
    P[v, v] = g1 * g1 * a - 2.0 * g1 * b + c + g1 * g1 * r


@njit
def xysr_update_z(mean, cov, row, zu, zv, zs, zr):
    """Kalman update of ``row`` with a measurement (u, v, s, r), Joseph form as filterpy."""
    P = cov[row]
    _block_update_joseph(mean, P, row, 0, 4, XYSR_R[0], zu - mean[row, 0])
    _block_update_joseph(mean, P, row, 1, 5, XYSR_R[1], zv - mean[row, 1])
    _block_update_joseph(mean, P, row, 2, 6, XYSR_R[2], zs - mean[row, 2])
    # r has no velocity: a scalar filter
    p = P[3, 3]
    s = p + XYSR_R[3]
    g = p / s
    mean[row, 3] += g * (zr - mean[row, 3])
    P[3, 3] = (1.0 - g) * (1.0 - g) * p + g * g * XYSR_R[3]


@njit
def xysr_update(mean, cov, row, x1, y1, x2, y2):
    """Kalman update of ``row`` with a box (x1, y1, x2, y2), Joseph form as filterpy."""
    u, v, s, r = xysr_z(x1, y1, x2, y2, 0.0)
    xysr_update_z(mean, cov, row, u, v, s, r)


#: Numbers :func:`xysr_save` stores per row: the 7 means, then the covariance blocks
#: (k, k), (k, k+4), (k+4, k+4) for k = 0, 1, 2, then (3, 3).
XYSR_SNAPSHOT = 17


@njit
def xysr_save(mean, cov, row, store, srow, col):
    """Copy row ``row``'s mean and covariance into ``store[srow, col:col + 17]``.

    Lossless: the covariance of these filters only ever has its 2x2 blocks non-zero."""
    for k in range(7):
        store[srow, col + k] = mean[row, k]
    c = col + 7
    for k in range(3):
        store[srow, c] = cov[row, k, k]
        store[srow, c + 1] = cov[row, k, k + 4]
        store[srow, c + 2] = cov[row, k + 4, k + 4]
        c += 3
    store[srow, c] = cov[row, 3, 3]


@njit
def xysr_load(mean, cov, row, store, srow, col):
    """Restore row ``row`` from a :func:`xysr_save` snapshot."""
    for k in range(7):
        mean[row, k] = store[srow, col + k]
    for i in range(7):
        for j in range(7):
            cov[row, i, j] = 0.0
    c = col + 7
    for k in range(3):
        cov[row, k, k] = store[srow, c]
        cov[row, k, k + 4] = store[srow, c + 1]
        cov[row, k + 4, k] = store[srow, c + 1]
        cov[row, k + 4, k + 4] = store[srow, c + 2]
        c += 3
    cov[row, 3, 3] = store[srow, c]


@njit
def xysr_reupdate_linear(mean, cov, row, u1, v1, s1, r1, u2, v2, s2, r2, steps, dt):
    """Observation-centric re-update (OC-SORT's ORU) of ``row`` along a virtual trajectory.

    The row must hold the filter state of the first frame without an observation (its
    prediction for that frame).  Boxes are interpolated linearly in centre, width and
    height from the last observation (u1, v1, s1, r1) to the new one (u2, v2, s2, r2)
    over ``steps`` frames; the filter is updated with each virtual box and predicted by
    ``dt`` frames between them, as ``KalmanFilterNew.unfreeze`` of noahcao/OC_SORT does.

    Returns the last virtual measurement (u, v, s, r) (the one at the new frame).
    """
    w1 = np.sqrt(s1 * r1)
    h1 = np.sqrt(s1 / r1)
    w2 = np.sqrt(s2 * r2)
    h2 = np.sqrt(s2 / r2)
    du = (u2 - u1) / steps
    dv = (v2 - v1) / steps
    dw = (w2 - w1) / steps
    dh = (h2 - h1) / steps
    u = u1
    v = v1
    s = s1
    r = r1
    for i in range(steps):
        u = u1 + (i + 1) * du
        v = v1 + (i + 1) * dv
        w = w1 + (i + 1) * dw
        h = h1 + (i + 1) * dh
        s = w * h
        r = w / h
        xysr_update_z(mean, cov, row, u, v, s, r)
        if i != steps - 1:
            xysr_predict_row(mean, cov, row, dt)
    return u, v, s, r


@njit
def xysr_warp(mean, cov, row, H):
    """Move row ``row`` of a (u, v, s, r) filter by the camera warp ``H`` (3, 3).

    The centre (u, v) is mapped by ``H``, the area s and its velocity by the local
    area scale a = |det J|, r is unchanged, the centre velocity by the Jacobian J.
    The covariance is scaled per block (centre and centre velocity by sqrt(a), so their
    (co)variances by a; area and area velocity by a, so theirs by a^2), which keeps the
    filter's independent 2x2 blocks: the small rotation or shear a camera warp may have
    is applied to the mean but not to the covariance."""
    u = mean[row, 0]
    v = mean[row, 1]
    du, dv = warp_vector(H, u, v, mean[row, 4], mean[row, 5])
    up, vp, a = warp_point(H, u, v)
    mean[row, 0] = up
    mean[row, 1] = vp
    mean[row, 4] = du
    mean[row, 5] = dv
    mean[row, 2] *= a
    mean[row, 6] *= a
    for k in range(2):
        cov[row, k, k] *= a
        cov[row, k, k + 4] *= a
        cov[row, k + 4, k] *= a
        cov[row, k + 4, k + 4] *= a
    a2 = a * a
    cov[row, 2, 2] *= a2
    cov[row, 2, 6] *= a2
    cov[row, 6, 2] *= a2
    cov[row, 6, 6] *= a2


# ----------------------------------------------------------------------------- confidence (c, c')
#: Hybrid-SORT's track-confidence filter (TCM): a constant-velocity filter over a track's
#: detection score c and its rate c', as the (c, c') block of the original's joint filter:
#: initial variances, process noise (per frame) and measurement noise.
CONF_P0 = np.array([10.0, 10000.0])
CONF_Q = np.array([1.0, 0.0001])
CONF_R = 10.0
#: Numbers :func:`conf_save` stores: c, c', and the covariance entries (c, c), (c, c'), (c', c').
CONF_SNAPSHOT = 5


@njit
def conf_initiate(mean, cov, row, k, c):
    """Start the confidence filter held in columns (k, k + 1) of ``row`` at score ``c``."""
    mean[row, k] = c
    mean[row, k + 1] = 0.0
    cov[row, k, k] = CONF_P0[0]
    cov[row, k, k + 1] = 0.0
    cov[row, k + 1, k] = 0.0
    cov[row, k + 1, k + 1] = CONF_P0[1]


@njit
def conf_predict_row(mean, cov, row, k, dt):
    """Predict the confidence filter in columns (k, k + 1) of ``row`` by ``dt`` frames."""
    _block_predict(mean, cov[row], row, k, k + 1, dt, CONF_Q[0] * dt, CONF_Q[1] * dt)


@njit
def conf_update(mean, cov, row, k, c):
    """Kalman update of the confidence filter in columns (k, k + 1) of ``row`` with score ``c``
    (Joseph form, as filterpy)."""
    _block_update_joseph(mean, cov[row], row, k, k + 1, CONF_R, c - mean[row, k])


@njit
def conf_save(mean, cov, row, k, store, srow, col):
    """Copy the confidence filter of ``row`` into ``store[srow, col:col + 5]`` (lossless)."""
    store[srow, col] = mean[row, k]
    store[srow, col + 1] = mean[row, k + 1]
    store[srow, col + 2] = cov[row, k, k]
    store[srow, col + 3] = cov[row, k, k + 1]
    store[srow, col + 4] = cov[row, k + 1, k + 1]


@njit
def conf_load(mean, cov, row, k, store, srow, col):
    """Restore the confidence filter of ``row`` from a :func:`conf_save` snapshot."""
    mean[row, k] = store[srow, col]
    mean[row, k + 1] = store[srow, col + 1]
    cov[row, k, k] = store[srow, col + 2]
    cov[row, k, k + 1] = store[srow, col + 3]
    cov[row, k + 1, k] = store[srow, col + 3]
    cov[row, k + 1, k + 1] = store[srow, col + 4]


@njit
def conf_reupdate_linear(mean, cov, row, k, c1, c2, steps, dt):
    """ORU of the confidence filter: from its state frozen at the first frame without an
    observation, update with scores interpolated linearly from ``c1`` to ``c2`` over
    ``steps`` frames, predicting by ``dt`` between them (as the box part,
    :func:`xysr_reupdate_linear`).  Returns the last virtual score."""
    dc = (c2 - c1) / steps
    c = c1
    for i in range(steps):
        c = c1 + (i + 1) * dc
        conf_update(mean, cov, row, k, c)
        if i != steps - 1:
            conf_predict_row(mean, cov, row, k, dt)
    return c


# ----------------------------------------------------------------------------- DeepSORT (x, y, a, h)
XYAH_DIM = 8
STD_WEIGHT_POSITION = 1.0 / 20
STD_WEIGHT_VELOCITY = 1.0 / 160


@njit
def xyah_initiate(mean, cov, row, x1, y1, x2, y2):
    """Start track ``row`` at a box (x1, y1, x2, y2)."""
    w = x2 - x1
    h = y2 - y1
    mean[row, 0] = x1 + w / 2.0
    mean[row, 1] = y1 + h / 2.0
    mean[row, 2] = w / h
    mean[row, 3] = h
    for k in range(4, 8):
        mean[row, k] = 0.0
    sp = 2.0 * STD_WEIGHT_POSITION * h
    sv = 10.0 * STD_WEIGHT_VELOCITY * h
    std0 = sp
    std2 = 1e-2
    std6 = 1e-5
    for i in range(8):
        for j in range(8):
            cov[row, i, j] = 0.0
    cov[row, 0, 0] = std0 * std0
    cov[row, 1, 1] = sp * sp
    cov[row, 2, 2] = std2 * std2
    cov[row, 3, 3] = sp * sp
    cov[row, 4, 4] = sv * sv
    cov[row, 5, 5] = sv * sv
    cov[row, 6, 6] = std6 * std6
    cov[row, 7, 7] = sv * sv


@njit
def xyah_predict_row(mean, cov, t, dt):
    """Predict one row by ``dt`` frames (noise from the row's height before the step)."""
    P = cov[t]
    h = mean[t, 3]
    sp = STD_WEIGHT_POSITION * h
    sv = STD_WEIGHT_VELOCITY * h
    qp = sp * sp * dt
    qv = sv * sv * dt
    _block_predict(mean, P, t, 0, 4, dt, qp, qv)
    _block_predict(mean, P, t, 1, 5, dt, qp, qv)
    _block_predict(mean, P, t, 2, 6, dt, 1e-2 * 1e-2 * dt, 1e-5 * 1e-5 * dt)
    _block_predict(mean, P, t, 3, 7, dt, qp, qv)


@njit
def xyah_project_into(mean, cov, row, m, S):
    """Write a row's measurement-space mean into m (4,) and innovation covariance into S (4, 4)."""
    sp = STD_WEIGHT_POSITION * mean[row, 3]
    for i in range(4):
        m[i] = mean[row, i]
        for j in range(4):
            S[i, j] = cov[row, i, j]
    S[0, 0] += sp * sp
    S[1, 1] += sp * sp
    S[2, 2] += 1e-1 * 1e-1
    S[3, 3] += sp * sp


@njit
def xyah_project(mean, cov, row):
    """Measurement-space mean (4,) and covariance (4, 4) of a row (innovation covariance)."""
    m = np.empty(4)
    S = np.empty((4, 4))
    xyah_project_into(mean, cov, row, m, S)
    return m, S


@_update_block
def _block_update(mean, P, t, k, v, r, y):
    """Correct block (k, v) of row t: P <- P - K S K^T as DeepSORT computes it."""
    s = P[k, k] + r
    g0 = P[k, k] / s
    g1 = P[v, k] / s
    mean[t, k] += g0 * y
    mean[t, v] += g1 * y
    P[k, k] -= g0 * s * g0
    off = P[k, v] - g0 * s * g1
    P[k, v] = off
    P[v, k] = off
    P[v, v] -= g1 * s * g1


@_update_kernel
def xyah_update(mean, cov, row, x1, y1, x2, y2):
    """Kalman update of ``row`` with a box (x1, y1, x2, y2)."""
    w = x2 - x1
    h = y2 - y1
    P = cov[row]
    sp = STD_WEIGHT_POSITION * mean[row, 3]
    r = sp * sp
    y0 = x1 + w / 2.0 - mean[row, 0]
    y1_ = y1 + h / 2.0 - mean[row, 1]
    y2_ = w / h - mean[row, 2]
    y3 = h - mean[row, 3]
    _block_update(mean, P, row, 0, 4, r, y0)
    _block_update(mean, P, row, 1, 5, r, y1_)
    _block_update(mean, P, row, 2, 6, 1e-1 * 1e-1, y2_)
    _block_update(mean, P, row, 3, 7, r, y3)


@njit
def xyah_box(mean, row):
    """Box (x1, y1, x2, y2) of an (x, y, a, h) state row.

    Computed as DeepSORT and ByteTrack do (top-left first, then x2 = x1 + w), so that
    boxes agree with theirs to the last bit."""
    h = mean[row, 3]
    w = mean[row, 2] * h
    x1 = mean[row, 0] - w / 2.0
    y1 = mean[row, 1] - h / 2.0
    return x1, y1, x1 + w, y1 + h


@njit
def xyah_gating_distance(mean, cov, row, boxes, only_position):
    """Squared Mahalanobis distance of each box (N, 4) x1,y1,x2,y2 to a row's projection."""
    m, S = xyah_project(mean, cov, row)
    d = 2 if only_position else 4
    L = np.empty((4, 4))
    _chol4(S, L)
    n = boxes.shape[0]
    out = np.empty(n)
    z = np.empty(4)
    for b in range(n):
        w = boxes[b, 2] - boxes[b, 0]
        h = boxes[b, 3] - boxes[b, 1]
        z[0] = boxes[b, 0] + w / 2.0 - m[0]
        z[1] = boxes[b, 1] + h / 2.0 - m[1]
        z[2] = w / h - m[2]
        z[3] = h - m[3]
        # forward substitution L y = z, distance = |y|^2 (Cholesky of the leading d x d)
        acc_total = 0.0
        y = np.empty(4)
        for i in range(d):
            acc = z[i]
            for k in range(i):
                acc -= L[i, k] * y[k]
            y[i] = acc / L[i, i]
            acc_total += y[i] * y[i]
        out[b] = acc_total
    return out


# ----------------------------------------------------------------------------- BoT-SORT (x, y, w, h)
XYWH_DIM = 8


@njit
def xywh_initiate(mean, cov, row, x1, y1, x2, y2):
    """Start track ``row`` at a box (x1, y1, x2, y2): state (x, y, w, h, x', y', w', h')
    with noise proportional to the width (x, w) and the height (y, h)."""
    w = x2 - x1
    h = y2 - y1
    mean[row, 0] = x1 + w / 2.0
    mean[row, 1] = y1 + h / 2.0
    mean[row, 2] = w
    mean[row, 3] = h
    for k in range(4, 8):
        mean[row, k] = 0.0
    for i in range(8):
        for j in range(8):
            cov[row, i, j] = 0.0
    for k in range(4):
        size = w if k % 2 == 0 else h
        sp = 2.0 * STD_WEIGHT_POSITION * size
        sv = 10.0 * STD_WEIGHT_VELOCITY * size
        cov[row, k, k] = sp * sp
        cov[row, k + 4, k + 4] = sv * sv


@njit
def xywh_predict_row(mean, cov, t, dt):
    """Predict one row by ``dt`` frames: full ``F P F^T + Q`` (the covariance may hold any
    coupling a camera warp put there), noise from the row's width / height before the step;
    the result is made exactly symmetric (upper triangle mirrored)."""
    P = cov[t]
    w = mean[t, 2]
    h = mean[t, 3]
    for k in range(4):
        mean[t, k] += dt * mean[t, k + 4]
    for i in range(4):          # rows: F P
        for j in range(8):
            P[i, j] += dt * P[i + 4, j]
    for j in range(4):          # columns: (F P) F^T
        for i in range(8):
            P[i, j] += dt * P[i, j + 4]
    for k in range(4):
        size = w if k % 2 == 0 else h
        sp = STD_WEIGHT_POSITION * size
        sv = STD_WEIGHT_VELOCITY * size
        P[k, k] += sp * sp * dt
        P[k + 4, k + 4] += sv * sv * dt
    for i in range(8):          # exactly symmetric (the two passes round differently)
        for j in range(i + 1, 8):
            P[j, i] = P[i, j]


@_update_block
def _xywh_update_pair(mean, P, t, p0, p1, r0, r1, y0, y1):
    """Correct the group (p0, p1, p0 + 4, p1 + 4) with innovations (y0, y1) of the
    measured components p0, p1 (noise r0, r1): P <- P - K S K^T with S the 2x2
    innovation covariance.  Without coupling between p0 and p1 (no rotating warp so
    far) this is two independent 2x2 blocks, computed as :func:`_block_update`."""
    v0 = p0 + 4
    v1 = p1 + 4
    if P[p0, p1] == 0.0 and P[p0, v1] == 0.0 and P[v0, p1] == 0.0 and P[v0, v1] == 0.0:
        _block_update(mean, P, t, p0, v0, r0, y0)
        _block_update(mean, P, t, p1, v1, r1, y1)
        return
    s00 = P[p0, p0] + r0
    s01 = P[p0, p1]
    s11 = P[p1, p1] + r1
    det = s00 * s11 - s01 * s01
    i00 = s11 / det
    i01 = -s01 / det
    i11 = s00 / det
    # K = P[g, (p0, p1)] S^-1 for the group g = (p0, p1, v0, v1); K S K^T = P[g, (p0, p1)] K^T.
    c = (P[p0, p0], P[p0, p1], P[p1, p0], P[p1, p1], P[v0, p0], P[v0, p1], P[v1, p0], P[v1, p1])
    k = (c[0] * i00 + c[1] * i01, c[0] * i01 + c[1] * i11,
         c[2] * i00 + c[3] * i01, c[2] * i01 + c[3] * i11,
         c[4] * i00 + c[5] * i01, c[4] * i01 + c[5] * i11,
         c[6] * i00 + c[7] * i01, c[6] * i01 + c[7] * i11)
    g = (p0, p1, v0, v1)
    for a in range(4):
        mean[t, g[a]] += k[2 * a] * y0 + k[2 * a + 1] * y1
        for b in range(a, 4):
            v = P[g[a], g[b]] - (c[2 * a] * k[2 * b] + c[2 * a + 1] * k[2 * b + 1])
            P[g[a], g[b]] = v
            P[g[b], g[a]] = v  # exactly symmetric


@_update_kernel
def xywh_update(mean, cov, row, x1, y1, x2, y2):
    """Kalman update of ``row`` with a box (x1, y1, x2, y2) (measurement x, y, w, h)."""
    w = x2 - x1
    h = y2 - y1
    P = cov[row]
    rw = STD_WEIGHT_POSITION * mean[row, 2]
    rh = STD_WEIGHT_POSITION * mean[row, 3]
    rw *= rw
    rh *= rh
    y0 = x1 + w / 2.0 - mean[row, 0]
    y1_ = y1 + h / 2.0 - mean[row, 1]
    y2_ = w - mean[row, 2]
    y3 = h - mean[row, 3]
    _xywh_update_pair(mean, P, row, 0, 1, rw, rh, y0, y1_)
    _xywh_update_pair(mean, P, row, 2, 3, rw, rh, y2_, y3)


@njit
def xywh_box(mean, row):
    """Box (x1, y1, x2, y2) of an (x, y, w, h) state row (top-left first, as BoT-SORT)."""
    w = mean[row, 2]
    h = mean[row, 3]
    x1 = mean[row, 0] - w / 2.0
    y1 = mean[row, 1] - h / 2.0
    return x1, y1, x1 + w, y1 + h


# ----------------------------------------------------------------------------- camera warps
@njit
def local_affine(H, x, y):
    """Linearise the (3, 3) warp ``H`` at pixel (x, y): returns the image (x', y') of the
    point and the 2x2 Jacobian a00, a01, a10, a11 there.  Exact for an affine warp."""
    if H[2, 0] == 0.0 and H[2, 1] == 0.0 and H[2, 2] == 1.0:
        return (H[0, 0] * x + H[0, 1] * y + H[0, 2], H[1, 0] * x + H[1, 1] * y + H[1, 2],
                H[0, 0], H[0, 1], H[1, 0], H[1, 1])
    d = H[2, 0] * x + H[2, 1] * y + H[2, 2]
    u = (H[0, 0] * x + H[0, 1] * y + H[0, 2]) / d
    v = (H[1, 0] * x + H[1, 1] * y + H[1, 2]) / d
    return (u, v, (H[0, 0] - u * H[2, 0]) / d, (H[0, 1] - u * H[2, 1]) / d,
            (H[1, 0] - v * H[2, 0]) / d, (H[1, 1] - v * H[2, 1]) / d)


@njit
def xywh_warp_rows(mean, cov, n, H):
    """Apply a camera warp to (x, y, w, h) rows 0..n-1 as BoT-SORT's ``multi_gmc`` does:
    mean <- kron(I4, R) mean (+ translation on x, y), P <- R8 P R8^T, with R the warp's
    linear part (for a homography: its Jacobian at each track centre, the centre mapped
    exactly).  One loop, no calls per row (each call with arrays costs reference counts)."""
    for row in range(n):
        cx, cy, a00, a01, a10, a11 = local_affine(H, mean[row, 0], mean[row, 1])
        for k in range(1, 4):
            a = mean[row, 2 * k]
            b = mean[row, 2 * k + 1]
            mean[row, 2 * k] = a00 * a + a01 * b
            mean[row, 2 * k + 1] = a10 * a + a11 * b
        mean[row, 0] = cx
        mean[row, 1] = cy
        if a00 == 1.0 and a01 == 0.0 and a10 == 0.0 and a11 == 1.0:
            continue  # a translation leaves the covariance as it is
        # Every 2x2 block M of P becomes R M R^T.  The (x, y, x', y') and (w, h, w', h')
        # groups never couple (initiate, predict, update and warps keep them apart), so
        # only their blocks are non-zero; P is symmetric, so each group is its position
        # block, its velocity block (both symmetric) and one cross block (mirrored).
        for i in range(0, 4, 2):
            for q in range(2):
                d = i + 4 * q
                m00 = cov[row, d, d]
                m01 = cov[row, d, d + 1]
                m11 = cov[row, d + 1, d + 1]
                r00 = a00 * m00 + a01 * m01
                r01 = a00 * m01 + a01 * m11
                r10 = a10 * m00 + a11 * m01
                r11 = a10 * m01 + a11 * m11
                cov[row, d, d] = r00 * a00 + r01 * a01
                off = r00 * a10 + r01 * a11
                cov[row, d, d + 1] = off
                cov[row, d + 1, d] = off
                cov[row, d + 1, d + 1] = r10 * a10 + r11 * a11
            j = i + 4
            m00 = cov[row, i, j]
            m01 = cov[row, i, j + 1]
            m10 = cov[row, i + 1, j]
            m11 = cov[row, i + 1, j + 1]
            r00 = a00 * m00 + a01 * m10
            r01 = a00 * m01 + a01 * m11
            r10 = a10 * m00 + a11 * m10
            r11 = a10 * m01 + a11 * m11
            c00 = r00 * a00 + r01 * a01
            c01 = r00 * a10 + r01 * a11
            c10 = r10 * a00 + r11 * a01
            c11 = r10 * a10 + r11 * a11
            cov[row, i, j] = c00
            cov[row, i, j + 1] = c01
            cov[row, i + 1, j] = c10
            cov[row, i + 1, j + 1] = c11
            cov[row, j, i] = c00
            cov[row, j + 1, i] = c01
            cov[row, j, i + 1] = c10
            cov[row, j + 1, i + 1] = c11


@njit
def warp_centre_blocks(mean, cov, n, H, size, aspect, size_by_area):
    """Move rows 0..n-1 of a filter whose covariance is kept as per-component 2x2 blocks
    (SORT's (u, v, s, r), the (x, y, a, h) filter) through a camera warp.  The centre
    (components 0, 1) maps exactly, its velocity (4, 5) by the warp's linear part ``L``
    at the centre; each centre block becomes the diagonal of ``L P L^T`` (exact for
    translations and axis-aligned scalings, i.e. pan, tilt and zoom; rotation about the
    optical axis loses the x-y correlation).  With ``sx``, ``sy`` the column norms of
    ``L`` (the horizontal and vertical scale), component ``size`` and its velocity scale
    by ``sx * sy`` (an area, ``size_by_area``) or ``sy`` (a height), component
    ``aspect`` (w / h) by ``sx / sy``; their blocks by the squares."""
    for row in range(n):
        cx, cy, a00, a01, a10, a11 = local_affine(H, mean[row, 0], mean[row, 1])
        vx = mean[row, 4]
        vy = mean[row, 5]
        mean[row, 0] = cx
        mean[row, 1] = cy
        mean[row, 4] = a00 * vx + a01 * vy
        mean[row, 5] = a10 * vx + a11 * vy
        if a00 == 1.0 and a01 == 0.0 and a10 == 0.0 and a11 == 1.0:
            continue  # a translation leaves the covariance and the size as they are
        bx0 = cov[row, 0, 0]
        bx1 = cov[row, 0, 4]
        bx2 = cov[row, 4, 4]
        by0 = cov[row, 1, 1]
        by1 = cov[row, 1, 5]
        by2 = cov[row, 5, 5]
        for i in range(2):
            a = a00 * a00 if i == 0 else a10 * a10
            b = a01 * a01 if i == 0 else a11 * a11
            cov[row, i, i] = a * bx0 + b * by0
            cov[row, i, i + 4] = a * bx1 + b * by1
            cov[row, i + 4, i] = cov[row, i, i + 4]
            cov[row, i + 4, i + 4] = a * bx2 + b * by2
        sx = np.sqrt(a00 * a00 + a10 * a10)
        sy = np.sqrt(a01 * a01 + a11 * a11)
        for c in range(2):
            k = size if c == 0 else aspect
            f = (sx * sy if size_by_area else sy) if c == 0 else sx / sy
            f2 = f * f
            mean[row, k] *= f
            cov[row, k, k] *= f2
            v = k + 4
            if v < mean.shape[1] and not (c == 1 and size_by_area):
                mean[row, v] *= f
                cov[row, k, v] *= f2
                cov[row, v, k] *= f2
                cov[row, v, v] *= f2


@njit
def xyah_warp_rows(mean, cov, n, H):
    """Camera warp of (x, y, a, h) rows 0..n-1: centre and its velocity as
    :func:`warp_centre_blocks`; the height (and its velocity) scales by the vertical
    scale ``sy`` of the warp, the aspect ratio (and its velocity) by ``sx / sy``."""
    warp_centre_blocks(mean, cov, n, H, 3, 2, False)


# ----------------------------------------------------------------------------- numpy twins
def _F(d, nvel, dt):
    F = np.eye(d)
    for k in range(nvel):
        F[k, k + d - nvel] = dt
    return F


def xysr_predict_numpy(mean, cov, dt=1.0):
    """Vectorised twin of :func:`xysr_predict` on (T, 7) / (T, 7, 7); returns new arrays."""
    mean = np.array(mean, dtype=np.float64)
    clamp = mean[:, 6] * dt + mean[:, 2] <= 0
    mean[clamp, 6] = 0.0
    F = _F(7, 3, dt)
    return mean @ F.T, F @ cov @ F.T + np.diag(XYSR_Q * dt)


def xysr_update_numpy(mean, cov, boxes):
    """Vectorised twin of :func:`xysr_update` for (T, 7), (T, 7, 7), boxes (T, 4)."""
    b = np.asarray(boxes, dtype=np.float64)
    w = b[:, 2] - b[:, 0]
    h = b[:, 3] - b[:, 1]
    z = np.stack([b[:, 0] + w / 2, b[:, 1] + h / 2, w * h, w / h], axis=1)
    H = np.eye(4, 7)
    R = np.diag(XYSR_R)
    S = H @ cov @ H.T + R
    K = cov @ H.T @ np.linalg.inv(S)
    mean = mean + (K @ (z - mean @ H.T)[..., None])[..., 0]
    A = np.eye(7) - K @ H
    return mean, A @ cov @ np.swapaxes(A, 1, 2) + K @ R @ np.swapaxes(K, 1, 2)


def _predict_numpy(mean, cov, std, dt):
    """F P F^T + Q for 8-state constant-velocity filters, Q = diag(std^2) dt."""
    Q = np.zeros(cov.shape)
    idx = np.arange(8)
    Q[:, idx, idx] = std ** 2 * dt
    F = _F(8, 4, dt)
    return mean @ F.T, F @ cov @ F.T + Q


def _update_numpy(mean, cov, z, r):
    """Kalman correction with measurement z (T, 4) of the first 4 states, noise diag(r)."""
    H = np.eye(4, 8)
    S = H @ cov @ H.T
    S[:, np.arange(4), np.arange(4)] += r
    K = cov @ H.T @ np.linalg.inv(S)
    mean = mean + (K @ (z - mean @ H.T)[..., None])[..., 0]
    return mean, cov - K @ S @ np.swapaxes(K, 1, 2)


def _centre_size(boxes):
    b = np.asarray(boxes, dtype=np.float64)
    w = b[:, 2] - b[:, 0]
    h = b[:, 3] - b[:, 1]
    return b[:, 0] + w / 2, b[:, 1] + h / 2, w, h


def xyah_predict_numpy(mean, cov, dt=1.0):
    """Vectorised twin of :func:`xyah_predict_row` on (T, 8) / (T, 8, 8)."""
    h = mean[:, 3]
    sp = STD_WEIGHT_POSITION * h
    sv = STD_WEIGHT_VELOCITY * h
    std = np.stack([sp, sp, np.full_like(h, 1e-2), sp, sv, sv, np.full_like(h, 1e-5), sv], axis=1)
    return _predict_numpy(mean, cov, std, dt)


def xyah_update_numpy(mean, cov, boxes):
    """Vectorised twin of :func:`xyah_update` for (T, 8), (T, 8, 8), boxes (T, 4)."""
    cx, cy, w, h = _centre_size(boxes)
    sp = STD_WEIGHT_POSITION * mean[:, 3]
    r = np.stack([sp, sp, np.full_like(sp, 1e-1), sp], axis=1) ** 2
    return _update_numpy(mean, cov, np.stack([cx, cy, w / h, h], axis=1), r)


def _xywh_std(mean, weight):
    w = mean[:, 2]
    h = mean[:, 3]
    return weight * np.stack([w, h, w, h], axis=1)


def xywh_predict_numpy(mean, cov, dt=1.0):
    """Vectorised twin of :func:`xywh_predict_row` on (T, 8) / (T, 8, 8)."""
    std = np.concatenate([_xywh_std(mean, STD_WEIGHT_POSITION), _xywh_std(mean, STD_WEIGHT_VELOCITY)], axis=1)
    return _predict_numpy(mean, cov, std, dt)


def xywh_update_numpy(mean, cov, boxes):
    """Vectorised twin of :func:`xywh_update` for (T, 8), (T, 8, 8), boxes (T, 4)."""
    cx, cy, w, h = _centre_size(boxes)
    return _update_numpy(mean, cov, np.stack([cx, cy, w, h], axis=1),
                         _xywh_std(mean, STD_WEIGHT_POSITION) ** 2)


def xywh_warp_numpy(mean, cov, warp):
    """Vectorised twin of :func:`xywh_warp_rows` for an affine (2, 3) warp: BoT-SORT's
    ``multi_gmc``, ``kron(I4, R)`` on the mean (+ translation) and ``R8 P R8^T``."""
    W = np.asarray(warp, dtype=np.float64)
    R8 = np.kron(np.eye(4), W[:2, :2])
    mean = mean @ R8.T
    mean[:, :2] += W[:2, 2]
    return mean, R8 @ cov @ R8.T


# ----------------------------------------------------------------------------- any model
#: Parametrisations, for kernels that serve several (``model`` arguments).
XYAH, XYWH, XYSR = 0, 1, 2


@njit(inline="always")
def initiate_row(model, mean, cov, t, x1, y1, x2, y2):
    if model == XYWH:
        xywh_initiate(mean, cov, t, x1, y1, x2, y2)
    elif model == XYAH:
        xyah_initiate(mean, cov, t, x1, y1, x2, y2)
    else:
        xysr_initiate(mean, cov, t, x1, y1, x2, y2)


@njit
def update_rows_with(model, mean, cov, rows, dets, boxes):
    """Kalman update of table row ``rows[i]`` with box ``boxes[dets[i]]`` (x1, y1, x2, y2),
    for each i.  The model is chosen once, outside the loop: a helper with array
    arguments inlined per row would cost numba two reference counts per array per row."""
    if model == XYWH:
        for i in range(rows.shape[0]):
            d = dets[i]
            xywh_update(mean, cov, rows[i], boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3])
    elif model == XYAH:
        for i in range(rows.shape[0]):
            d = dets[i]
            xyah_update(mean, cov, rows[i], boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3])
    else:
        for i in range(rows.shape[0]):
            d = dets[i]
            xysr_update(mean, cov, rows[i], boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3])


@njit
def boxes_of_rows(model, mean, rows, out):
    """Boxes (x1, y1, x2, y2) of table ``rows`` into ``out`` (len(rows), 4).  The model is
    chosen once, outside the loop (see :func:`update_rows_with`)."""
    if model == XYWH:
        for i in range(rows.shape[0]):
            out[i, 0], out[i, 1], out[i, 2], out[i, 3] = xywh_box(mean, rows[i])
    elif model == XYAH:
        for i in range(rows.shape[0]):
            out[i, 0], out[i, 1], out[i, 2], out[i, 3] = xyah_box(mean, rows[i])
    else:
        for i in range(rows.shape[0]):
            out[i, 0], out[i, 1], out[i, 2], out[i, 3] = xysr_box(mean, rows[i])


@njit
def _initiate_many(model, mean, cov, rows, boxes):
    for k in range(rows.shape[0]):
        initiate_row(model, mean, cov, rows[k], boxes[k, 0], boxes[k, 1], boxes[k, 2], boxes[k, 3])


@njit
def _predict_all(model, mean, cov, n, dt):
    if model == XYSR:
        xysr_predict(mean, cov, n, dt)
        return
    for t in range(n):
        if model == XYWH:
            xywh_predict_row(mean, cov, t, dt)
        else:
            xyah_predict_row(mean, cov, t, dt)


# ----------------------------------------------------------------------------- classes
class _BatchedBoxFilter:
    dim = 0
    _model = XYAH

    def __init__(self, capacity: int = 16) -> None:
        if isinstance(capacity, (bool, np.bool_)) or not isinstance(capacity, (int, np.integer)) or capacity < 0:
            raise ValueError(f"capacity: expected a whole number >= 0; got {capacity!r}")
        self.mean = np.zeros((capacity, self.dim))
        self.covariance = np.zeros((capacity, self.dim, self.dim))
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def _reserve(self, extra: int) -> None:
        need = self.n + extra
        if need > self.mean.shape[0]:
            cap = max(need, 2 * self.mean.shape[0])
            mean = np.zeros((cap, self.dim))
            cov = np.zeros((cap, self.dim, self.dim))
            mean[: self.n] = self.mean[: self.n]
            cov[: self.n] = self.covariance[: self.n]
            self.mean, self.covariance = mean, cov

    def initiate(self, boxes) -> np.ndarray:
        """Append one track per box (N, 4) x1,y1,x2,y2; returns their row indices."""
        b = _boxes(boxes)
        self._reserve(b.shape[0])
        rows = np.arange(self.n, self.n + b.shape[0], dtype=np.int64)
        _initiate_many(self._model, self.mean, self.covariance, rows, b)
        self.n += b.shape[0]
        return rows

    def update(self, rows, boxes) -> None:
        """Correct the given rows (K,) with boxes (K, 4) x1,y1,x2,y2."""
        r_in = np.asarray(rows)
        if r_in.dtype.kind not in "iu" and not (r_in.size == 0 and r_in.dtype.kind == "f"):
            raise TypeError(f"rows: expected integer row indices, got dtype {r_in.dtype}")
        r = np.ascontiguousarray(r_in, dtype=np.int64)
        b = _boxes(boxes)
        if r.ndim != 1 or r.shape[0] != b.shape[0]:
            raise ValueError(f"rows: expected shape ({b.shape[0]},) to match boxes; got {r.shape}")
        if r.size and (r.min() < 0 or r.max() >= self.n):
            raise ValueError(f"rows: expected indices in [0, {self.n}); got {r.tolist()}")
        update_rows_with(self._model, self.mean, self.covariance, r, np.arange(r.shape[0]), b)

    def remove(self, keep) -> None:
        """Keep only the rows where ``keep`` (n,) is true, preserving order."""
        k_in = np.asarray(keep)
        if k_in.dtype.kind != "b" and k_in.size:
            raise TypeError(f"keep: expected a boolean mask, got dtype {k_in.dtype}")
        k = k_in.astype(bool)
        if k.shape != (self.n,):
            raise ValueError(f"keep: expected shape ({self.n},); got {k.shape}")
        m = int(k.sum())
        self.mean[:m] = self.mean[: self.n][k]
        self.covariance[:m] = self.covariance[: self.n][k]
        self.n = m

    def predict(self, dt: float = 1.0) -> None:
        """Advance every row by ``dt`` frames (> 0)."""
        _predict_all(self._model, self.mean, self.covariance, self.n, _dt(dt))

    def boxes(self) -> np.ndarray:
        """Current boxes (n, 4) x1, y1, x2, y2 in pixels."""
        out = np.empty((self.n, 4))
        boxes_of_rows(self._model, self.mean, np.arange(self.n), out)
        return out


def _dt(dt) -> float:
    if isinstance(dt, (bool, np.bool_)) or not isinstance(dt, (int, float, np.integer, np.floating)):
        raise TypeError(f"dt: expected a time step in frames (a number); got {type(dt).__name__}")
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt: expected a finite time step > 0 frames; got {dt!r}")
    return float(dt)


def _boxes(boxes) -> np.ndarray:
    raw = np.asarray(boxes)
    if raw.dtype.kind not in "fiu":
        raise TypeError(f"boxes: expected a real numeric array, got dtype {raw.dtype}")
    b = np.ascontiguousarray(raw, dtype=np.float64)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"boxes: expected shape (N, 4) as x1, y1, x2, y2; got {b.shape}")
    if b.size and (not np.isfinite(b).all() or (b[:, 2] <= b[:, 0]).any() or (b[:, 3] <= b[:, 1]).any()):
        raise ValueError("boxes: expected finite boxes with x2 > x1 and y2 > y1")
    return b


class KalmanBoxFilter(_BatchedBoxFilter):
    """SORT's (u, v, s, r) constant-velocity filter, batched over tracks.

    Attributes
    ----------
    mean : ndarray, shape (capacity, 7)
        Rows ``0..n-1`` hold u, v (pixels), s (pixels^2), r (w/h), u', v', s' (per frame).
    covariance : ndarray, shape (capacity, 7, 7)
    n : int
        Number of live rows.
    """

    dim = XYSR_DIM
    _model = XYSR



class KalmanXYAHFilter(_BatchedBoxFilter):
    """The (x, y, a, h) filter of DeepSORT and ByteTrack, batched over tracks.

    Attributes
    ----------
    mean : ndarray, shape (capacity, 8)
        x, y (centre, pixels), a (w/h), h (pixels) and their velocities (per frame).
    covariance : ndarray, shape (capacity, 8, 8)
    n : int
    """

    dim = XYAH_DIM
    _model = XYAH


    def gating_distance(self, row: int, boxes, only_position: bool = False) -> np.ndarray:
        """Squared Mahalanobis distance (N,) of boxes (N, 4) to the projection of ``row``."""
        if isinstance(row, (bool, np.bool_)) or not isinstance(row, (int, np.integer)):
            raise TypeError(f"row: expected an integer index; got {row!r}")
        if not 0 <= row < self.n:
            raise ValueError(f"row: expected an index in [0, {self.n}); got {row}")
        return xyah_gating_distance(self.mean, self.covariance, int(row), _boxes(boxes), bool(only_position))


class KalmanXYWHFilter(_BatchedBoxFilter):
    """BoT-SORT's (x, y, w, h) filter, batched over tracks, with its camera warp.

    Attributes
    ----------
    mean : ndarray, shape (capacity, 8)
        x, y (centre), w, h (pixels) and their velocities (pixels per frame).
    covariance : ndarray, shape (capacity, 8, 8)
    n : int
    """

    dim = XYWH_DIM
    _model = XYWH


    def warp(self, camera_motion) -> None:
        """Move every row through a camera warp (2x3 affine or 3x3 homography from the
        previous frame's pixels to this frame's), as BoT-SORT's ``multi_gmc``."""
        xywh_warp_rows(self.mean, self.covariance, self.n, camera_warp(camera_motion))
