"""Batched constant-velocity Kalman filters for boxes.

Two parametrisations, each with state (T, d) and covariance (T, d, d) arrays that
hold every track of a tracker:

* :class:`KalmanBoxFilter` — SORT's 7-state filter over (u, v, s, r, u', v', s'):
  box centre u, v (pixels), area s (pixels^2), aspect ratio r = w / h, and the
  velocities of the first three (per frame).  Noise as in Bewley et al. 2016
  (the filterpy set-up of abewley/sort), Joseph-form update as filterpy does.
* :class:`KalmanXYAHFilter` — the 8-state filter of DeepSORT / ByteTrack over
  (x, y, a, h, x', y', a', h'): centre, aspect ratio w / h, height, velocities,
  with process and measurement noise proportional to the box height.

Predict takes a time step ``dt`` in frames: ``dt = 1`` reproduces the classic
filters exactly; other values (from real timestamps) scale the transition
(``x += dt * x'``) and the process noise (``Q * dt``).

Both filters start from a diagonal covariance, couple each component only with its
own velocity, and have diagonal process and measurement noise; so the covariance
stays a set of independent 2x2 blocks (component k, velocity k + 4; SORT's aspect
ratio r alone) with exact zeros elsewhere.  The row kernels (``*_initiate``,
``*_predict``, ``*_update``) compute on those blocks only (the same numbers as the
full matrix products, a tenth of the work); they are compiled with numba and are
what the trackers call inside their per-frame kernels.  The
``*_numpy`` functions are vectorised numpy twins of the same math; tests compare
both, and both against filterpy.

For OC-SORT the (u, v, s, r) filter also takes measurements directly
(``xysr_initiate_z``, ``xysr_update_z``; its r is w / (h + 1e-6)), saves and restores a
row losslessly (``xysr_save`` / ``xysr_load``: 17 numbers), re-runs a row along a
linearly interpolated virtual trajectory (``xysr_reupdate_linear``, OC-SORT's ORU), and
moves a row by a camera warp (``xysr_warp``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._numba import njit
from .geometry import warp_point, warp_vector

__all__ = ["KalmanBoxFilter", "KalmanXYAHFilter",
           "xysr_predict_numpy", "xysr_update_numpy", "xyah_predict_numpy", "xyah_update_numpy"]

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


@njit
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


@njit
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


@njit
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


@njit
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


def xyah_predict_numpy(mean, cov, dt=1.0):
    """Vectorised twin of :func:`xyah_predict_row` on (T, 8) / (T, 8, 8)."""
    h = mean[:, 3]
    sp = STD_WEIGHT_POSITION * h
    sv = STD_WEIGHT_VELOCITY * h
    std = np.stack([sp, sp, np.full_like(h, 1e-2), sp, sv, sv, np.full_like(h, 1e-5), sv], axis=1)
    Q = np.zeros(cov.shape)
    idx = np.arange(8)
    Q[:, idx, idx] = std ** 2 * dt
    F = _F(8, 4, dt)
    return mean @ F.T, F @ cov @ F.T + Q


def xyah_update_numpy(mean, cov, boxes):
    """Vectorised twin of :func:`xyah_update` for (T, 8), (T, 8, 8), boxes (T, 4)."""
    b = np.asarray(boxes, dtype=np.float64)
    w = b[:, 2] - b[:, 0]
    h = b[:, 3] - b[:, 1]
    z = np.stack([b[:, 0] + w / 2, b[:, 1] + h / 2, w / h, h], axis=1)
    sp = STD_WEIGHT_POSITION * mean[:, 3]
    r = np.stack([sp, sp, np.full_like(sp, 1e-1), sp], axis=1) ** 2
    H = np.eye(4, 8)
    S = H @ cov @ H.T
    S[:, np.arange(4), np.arange(4)] += r
    K = cov @ H.T @ np.linalg.inv(S)
    mean = mean + (K @ (z - mean @ H.T)[..., None])[..., 0]
    return mean, cov - K @ S @ np.swapaxes(K, 1, 2)


# ----------------------------------------------------------------------------- classes
@njit
def _xysr_initiate_many(mean, cov, rows, boxes):
    for k in range(rows.shape[0]):
        xysr_initiate(mean, cov, rows[k], boxes[k, 0], boxes[k, 1], boxes[k, 2], boxes[k, 3])


@njit
def _xysr_update_many(mean, cov, rows, boxes):
    for k in range(rows.shape[0]):
        xysr_update(mean, cov, rows[k], boxes[k, 0], boxes[k, 1], boxes[k, 2], boxes[k, 3])


@njit
def _xysr_boxes(mean, n):
    out = np.empty((n, 4))
    for t in range(n):
        out[t, 0], out[t, 1], out[t, 2], out[t, 3] = xysr_box(mean, t)
    return out


@njit
def _xyah_initiate_many(mean, cov, rows, boxes):
    for k in range(rows.shape[0]):
        xyah_initiate(mean, cov, rows[k], boxes[k, 0], boxes[k, 1], boxes[k, 2], boxes[k, 3])


@njit
def _xyah_predict_all(mean, cov, n, dt):
    for t in range(n):
        xyah_predict_row(mean, cov, t, dt)


@njit
def _xyah_update_many(mean, cov, rows, boxes):
    for k in range(rows.shape[0]):
        xyah_update(mean, cov, rows[k], boxes[k, 0], boxes[k, 1], boxes[k, 2], boxes[k, 3])


@njit
def _xyah_boxes(mean, n):
    out = np.empty((n, 4))
    for t in range(n):
        out[t, 0], out[t, 1], out[t, 2], out[t, 3] = xyah_box(mean, t)
    return out


class _BatchedBoxFilter:
    dim = 0
    # the compiled kernels of the concrete filter (static methods on the subclasses)
    _initiate: Any
    _update: Any
    _boxes: Any

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
        self._initiate(self.mean, self.covariance, rows, b)
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
        self._update(self.mean, self.covariance, r, b)

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

    def boxes(self) -> np.ndarray:
        """Current boxes (n, 4) x1, y1, x2, y2 in pixels."""
        return self._boxes(self.mean, self.n)


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
    _initiate = staticmethod(_xysr_initiate_many)
    _update = staticmethod(_xysr_update_many)
    _boxes = staticmethod(_xysr_boxes)

    def predict(self, dt: float = 1.0) -> None:
        """Advance every row by ``dt`` frames (> 0)."""
        dt = _dt(dt)
        xysr_predict(self.mean, self.covariance, self.n, float(dt))


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
    _initiate = staticmethod(_xyah_initiate_many)
    _update = staticmethod(_xyah_update_many)
    _boxes = staticmethod(_xyah_boxes)

    def predict(self, dt: float = 1.0) -> None:
        """Advance every row by ``dt`` frames (> 0)."""
        dt = _dt(dt)
        _xyah_predict_all(self.mean, self.covariance, self.n, float(dt))

    def gating_distance(self, row: int, boxes, only_position: bool = False) -> np.ndarray:
        """Squared Mahalanobis distance (N,) of boxes (N, 4) to the projection of ``row``."""
        if isinstance(row, (bool, np.bool_)) or not isinstance(row, (int, np.integer)):
            raise TypeError(f"row: expected an integer index; got {row!r}")
        if not 0 <= row < self.n:
            raise ValueError(f"row: expected an index in [0, {self.n}); got {row}")
        return xyah_gating_distance(self.mean, self.covariance, int(row), _boxes(boxes), bool(only_position))
