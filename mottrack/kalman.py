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

The row kernels (``*_initiate``, ``*_predict``, ``*_update``) are compiled with
numba and are what the trackers call inside their per-frame kernels.  The
``*_numpy`` functions are vectorised numpy twins of the same math; tests compare
both, and both against filterpy.
"""
from __future__ import annotations

import numpy as np

from ._numba import njit

__all__ = ["KalmanBoxFilter", "KalmanXYAHFilter",
           "KALMAN_WORK_SIZE", "xysr_predict_numpy", "xysr_update_numpy", "xyah_predict_numpy", "xyah_update_numpy"]

KALMAN_WORK_SIZE = 64
"""Scratch values the ``*_update`` kernels need (see their ``work`` argument)."""

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
def xysr_initiate(mean, cov, row, x1, y1, x2, y2):
    """Start track ``row`` at a box (x1, y1, x2, y2)."""
    w = x2 - x1
    h = y2 - y1
    mean[row, 0] = x1 + w / 2.0
    mean[row, 1] = y1 + h / 2.0
    mean[row, 2] = w * h
    mean[row, 3] = w / h
    for k in range(4, 7):
        mean[row, k] = 0.0
    for i in range(7):
        for j in range(7):
            cov[row, i, j] = 0.0
        cov[row, i, i] = XYSR_P0[i]


@njit
def _cv_predict_cov(P, d, nvel, dt):
    """In place: P <- F P F^T for F = I + dt * (coupling of component k to k + d - nvel... )."""
    off = d - nvel
    for k in range(nvel):
        p = k
        v = k + off
        for c in range(d):
            P[p, c] += dt * P[v, c]
    for k in range(nvel):
        p = k
        v = k + off
        for r in range(d):
            P[r, p] += dt * P[r, v]


@njit
def xysr_predict(mean, cov, n, dt):
    """Predict rows 0..n-1 by ``dt`` frames (SORT, including its area-velocity clamp)."""
    for t in range(n):
        if mean[t, 6] * dt + mean[t, 2] <= 0.0:
            mean[t, 6] = 0.0
        mean[t, 0] += dt * mean[t, 4]
        mean[t, 1] += dt * mean[t, 5]
        mean[t, 2] += dt * mean[t, 6]
        P = cov[t]
        _cv_predict_cov(P, 7, 3, dt)
        for i in range(7):
            P[i, i] += XYSR_Q[i] * dt


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
def _gain_update(mean, cov, row, r0, r1, r2, r3, y0, y1, y2, y3, d, X, P4):
    """Kalman correction of ``row`` for H = [I_4 0] and R = diag(r0..r3).

    ``y`` is the innovation.  With S = P[:4, :4] + R and K = P[:, :4] S^-1:
    mean += K y and P -= K P[:4, :] (symmetrised).  S is factored as L L^T in scalars;
    X and P4 are (4, 8) scratch, so nothing is allocated.
    """
    P = cov[row]
    l00 = np.sqrt(P[0, 0] + r0)
    l10 = P[1, 0] / l00
    l20 = P[2, 0] / l00
    l30 = P[3, 0] / l00
    l11 = np.sqrt(P[1, 1] + r1 - l10 * l10)
    l21 = (P[2, 1] - l20 * l10) / l11
    l31 = (P[3, 1] - l30 * l10) / l11
    l22 = np.sqrt(P[2, 2] + r2 - l20 * l20 - l21 * l21)
    l32 = (P[3, 2] - l30 * l20 - l31 * l21) / l22
    l33 = np.sqrt(P[3, 3] + r3 - l30 * l30 - l31 * l31 - l32 * l32)
    # X = S^-1 P[:4, :] column by column (K^T = X), by forward then back substitution.
    for c in range(d):
        b0 = P[0, c]
        b1 = P[1, c]
        b2 = P[2, c]
        b3 = P[3, c]
        P4[0, c] = b0
        P4[1, c] = b1
        P4[2, c] = b2
        P4[3, c] = b3
        z0 = b0 / l00
        z1 = (b1 - l10 * z0) / l11
        z2 = (b2 - l20 * z0 - l21 * z1) / l22
        z3 = (b3 - l30 * z0 - l31 * z1 - l32 * z2) / l33
        x3 = z3 / l33
        x2 = (z2 - l32 * x3) / l22
        x1 = (z1 - l21 * x2 - l31 * x3) / l11
        x0 = (z0 - l10 * x1 - l20 * x2 - l30 * x3) / l00
        X[0, c] = x0
        X[1, c] = x1
        X[2, c] = x2
        X[3, c] = x3
        mean[row, c] += x0 * y0 + x1 * y1 + x2 * y2 + x3 * y3
    for i in range(d):
        k0 = X[0, i]
        k1 = X[1, i]
        k2 = X[2, i]
        k3 = X[3, i]
        for j in range(i, d):
            v = P[i, j] - (k0 * P4[0, j] + k1 * P4[1, j] + k2 * P4[2, j] + k3 * P4[3, j])
            P[i, j] = v
            P[j, i] = v


@njit
def xysr_update(mean, cov, row, x1, y1, x2, y2, work):
    """Kalman update of ``row`` with a box (x1, y1, x2, y2).

    ``work`` is scratch space, a float64 array of at least ``KALMAN_WORK_SIZE`` values
    (allocate it once per frame: the update then allocates nothing)."""
    w = x2 - x1
    h = y2 - y1
    _gain_update(mean, cov, row, XYSR_R[0], XYSR_R[1], XYSR_R[2], XYSR_R[3],
                 x1 + w / 2.0 - mean[row, 0], y1 + h / 2.0 - mean[row, 1],
                 w * h - mean[row, 2], w / h - mean[row, 3],
                 7, work[0:32].reshape((4, 8)), work[32:64].reshape((4, 8)))


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
    h = mean[t, 3]
    sp = STD_WEIGHT_POSITION * h
    sv = STD_WEIGHT_VELOCITY * h
    for k in range(4):
        mean[t, k] += dt * mean[t, k + 4]
    P = cov[t]
    _cv_predict_cov(P, 8, 4, dt)
    P[0, 0] += sp * sp * dt
    P[1, 1] += sp * sp * dt
    P[2, 2] += 1e-2 * 1e-2 * dt
    P[3, 3] += sp * sp * dt
    P[4, 4] += sv * sv * dt
    P[5, 5] += sv * sv * dt
    P[6, 6] += 1e-5 * 1e-5 * dt
    P[7, 7] += sv * sv * dt


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
def xyah_update(mean, cov, row, x1, y1, x2, y2, work):
    """Kalman update of ``row`` with a box; P <- P - K S K^T as in DeepSORT.

    ``work``: scratch, float64 of at least ``KALMAN_WORK_SIZE`` values."""
    w = x2 - x1
    h = y2 - y1
    sp = STD_WEIGHT_POSITION * mean[row, 3]
    r = sp * sp
    _gain_update(mean, cov, row, r, r, 1e-1 * 1e-1, r,
                 x1 + w / 2.0 - mean[row, 0], y1 + h / 2.0 - mean[row, 1],
                 w / h - mean[row, 2], h - mean[row, 3],
                 8, work[0:32].reshape((4, 8)), work[32:64].reshape((4, 8)))


@njit
def xyah_box(mean, row):
    """Box (x1, y1, x2, y2) of an (x, y, a, h) state row."""
    h = mean[row, 3]
    w = mean[row, 2] * h
    return (mean[row, 0] - w / 2.0, mean[row, 1] - h / 2.0,
            mean[row, 0] + w / 2.0, mean[row, 1] + h / 2.0)


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
    work = np.empty(KALMAN_WORK_SIZE)
    for k in range(rows.shape[0]):
        xysr_update(mean, cov, rows[k], boxes[k, 0], boxes[k, 1], boxes[k, 2], boxes[k, 3], work)


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
    work = np.empty(KALMAN_WORK_SIZE)
    for k in range(rows.shape[0]):
        xyah_update(mean, cov, rows[k], boxes[k, 0], boxes[k, 1], boxes[k, 2], boxes[k, 3], work)


@njit
def _xyah_boxes(mean, n):
    out = np.empty((n, 4))
    for t in range(n):
        out[t, 0], out[t, 1], out[t, 2], out[t, 3] = xyah_box(mean, t)
    return out


class _BatchedBoxFilter:
    dim = 0

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
