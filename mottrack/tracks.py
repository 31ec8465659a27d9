"""Track table and lifecycle, shared by every tracker.

Tracks live in a struct of arrays (no Python object per track): the Kalman mean and
covariance, an int64 table and a float64 table with one row per track.  The
lifecycle rules that every tracker shares (ids, hits, hit streak, age, time since
update, states, deletion with order preserved) are compiled functions here; a
tracker module composes them in the order its paper prescribes.

Columns
-------
ints (capacity, NI) int64:
    ``ID`` track id (unique within a tracker, never reused, starts at 1),
    ``HITS`` updates with a detection, ``STREAK`` consecutive updates,
    ``AGE`` predictions since birth, ``STATE`` (TENTATIVE, CONFIRMED, LOST, DELETED),
    ``CLASS`` class id of the last detection (-1 none), ``DET`` row of the detection
    that updated the track this frame, else -1, then tracker-specific extras.
floats (capacity, NF) float64:
    ``TSU`` time since the last update, in frames (fractional with timestamps),
    ``SCORE`` score of the last detection, then tracker-specific extras.

Observation history: a tracker that needs a track's past detections keeps a ring of
the last L of them, keyed by the track's age, in float columns named by
:func:`observation_columns` (:func:`record_observation`, :func:`observation_at`);
they move with the row on deletion and are saved with the table.

SORT's reporting rule over (u, v, s, r) tables (:func:`xysr_boxes_or_drop`,
:func:`report_xysr_tracks`) is shared by SORT and OC-SORT.
"""
from __future__ import annotations

from typing import Dict, Sequence

import numpy as np

from ._numba import njit
from .kalman import xysr_box

__all__ = ["TrackTable", "TENTATIVE", "CONFIRMED", "LOST", "DELETED", "observation_columns"]

TENTATIVE, CONFIRMED, LOST, DELETED = 0, 1, 2, 3
STATE_NAMES = {TENTATIVE: "tentative", CONFIRMED: "confirmed", LOST: "lost", DELETED: "deleted"}

ID, HITS, STREAK, AGE, STATE, CLASS, DET = range(7)
N_INT_BASE = 7
TSU, SCORE = range(2)
N_FLOAT_BASE = 2
N, NEXT_ID = range(2)  # indices into TrackTable.counters


@njit
def start_track(ints, floats, row, track_id, hits, state, class_id, det_index, score):
    """Initialise the lifecycle columns of a new track at ``row``."""
    for k in range(ints.shape[1]):
        ints[row, k] = 0
    for k in range(floats.shape[1]):
        floats[row, k] = 0.0
    ints[row, ID] = track_id
    ints[row, HITS] = hits
    ints[row, STATE] = state
    ints[row, CLASS] = class_id
    ints[row, DET] = det_index
    floats[row, SCORE] = score


@njit
def mark_predicted(ints, floats, n, dt):
    """A prediction step of ``dt`` frames for rows 0..n-1: age, streak reset, time since update."""
    for t in range(n):
        ints[t, AGE] += 1
        if floats[t, TSU] > 0.0:
            ints[t, STREAK] = 0
        floats[t, TSU] += dt
        ints[t, DET] = -1


@njit
def mark_hit(ints, floats, row, det_index, class_id, score):
    """Row ``row`` was updated with detection ``det_index``."""
    ints[row, HITS] += 1
    ints[row, STREAK] += 1
    ints[row, DET] = det_index
    ints[row, CLASS] = class_id
    floats[row, TSU] = 0.0
    floats[row, SCORE] = score


@njit
def mark_hits(ints, floats, rows, dets, classes, scores):
    """:func:`mark_hit` of row ``rows[i]`` with detection ``dets[i]``, for each i."""
    for i in range(rows.shape[0]):
        d = dets[i]
        mark_hit(ints, floats, rows[i], d, classes[d], scores[d])


@njit
def output_row(out, m, x1, y1, x2, y2, ints, floats, t):
    """Output row ``m`` (the trackers' (M, 8) contract): box x1, y1, x2, y2, then row
    ``t``'s id, score, class and detection index."""
    out[m, 0] = x1
    out[m, 1] = y1
    out[m, 2] = x2
    out[m, 3] = y2
    out[m, 4] = ints[t, ID]
    out[m, 5] = floats[t, SCORE]
    out[m, 6] = ints[t, CLASS]
    out[m, 7] = ints[t, DET]


@njit(inline="always")
def copy_track(mean, cov, ints, floats, src, dst):
    """Copy track row ``src`` (state, covariance, integer and float columns) over row ``dst``.

    Element loops: numba's row set-item costs seconds of compile time."""
    for a in range(mean.shape[1]):
        mean[dst, a] = mean[src, a]
        for b in range(mean.shape[1]):
            cov[dst, a, b] = cov[src, a, b]
    for a in range(ints.shape[1]):
        ints[dst, a] = ints[src, a]
    for a in range(floats.shape[1]):
        floats[dst, a] = floats[src, a]


@njit
def compact(mean, cov, ints, floats, n, keep):
    """Drop rows where ``keep`` is false, preserving the order of the others; returns the new n."""
    m = 0
    for t in range(n):
        if keep[t]:
            if m != t:
                copy_track(mean, cov, ints, floats, t, m)
            m += 1
    return m


@njit
def xysr_boxes_or_drop(mean, cov, ints, floats, n):
    """Boxes (n, 4) of rows 0..n-1 of a (u, v, s, r) track table after a prediction;
    rows whose box is invalid (NaN: s * r < 0) are deleted, as SORT does.  Returns the
    boxes of the rows kept and the new number of rows."""
    pred = np.empty((n, 4))
    keep = np.ones(n, np.bool_)
    dropped = False
    for t in range(n):
        pred[t, 0], pred[t, 1], pred[t, 2], pred[t, 3] = xysr_box(mean, t)
        for k in range(4):
            if np.isnan(pred[t, k]):
                keep[t] = False
                dropped = True
    if dropped:
        n = compact(mean, cov, ints, floats, n, keep)
        pred = pred[keep]
    return pred, n


@njit
def report_xysr_tracks(mean, cov, ints, floats, n, frame_count, min_hits, max_age, need_detection):
    """SORT's reporting and deletion rule over rows 0..n-1 of a (u, v, s, r) track table
    (also OC-SORT's); returns the (M, 8) output rows and the new number of rows.

    A track with ``min_hits`` consecutive hits is confirmed.  It is reported, with its
    Kalman box, when it was updated this frame (time since update < 1 frame, or with
    ``need_detection`` a detection this frame) and has ``min_hits`` consecutive hits, or
    the tracker is within its first ``min_hits`` frames.  Tracks not updated for more
    than ``max_age`` frames are deleted (after reporting)."""
    out = np.empty((n, 8))
    keep = np.empty(n, np.bool_)
    m = 0
    dropped = False
    for t in range(n):
        if ints[t, STREAK] >= min_hits:
            ints[t, STATE] = CONFIRMED
        updated = ints[t, DET] >= 0 if need_detection else floats[t, TSU] < 1.0
        if updated and (ints[t, STREAK] >= min_hits or frame_count <= min_hits):
            out[m, 0], out[m, 1], out[m, 2], out[m, 3] = xysr_box(mean, t)
            out[m, 4] = ints[t, ID]
            out[m, 5] = floats[t, SCORE]
            out[m, 6] = ints[t, CLASS]
            out[m, 7] = ints[t, DET]
            m += 1
        keep[t] = not floats[t, TSU] > max_age
        dropped = dropped or not keep[t]
    if dropped:
        n = compact(mean, cov, ints, floats, n, keep)
    return out[:m], n


# ----------------------------------------------------------------------------- observations
#: Numbers one stored observation takes in a track's float row: x1, y1, x2, y2, score, age.
OBS_WIDTH = 6


def observation_columns(length: int, prefix: str = "obs") -> tuple:
    """Names of the float columns of a ring of ``length`` observations (see
    :func:`record_observation`), to pass as ``extra_float`` of a :class:`TrackTable`."""
    return tuple(f"{prefix}{k}_{c}" for k in range(length)
                 for c in ("x1", "y1", "x2", "y2", "score", "age"))


@njit
def clear_observations(floats, row, col, length):
    """Empty the observation ring of ``row`` (stored at ``floats[row, col:]``)."""
    for k in range(length):
        floats[row, col + k * OBS_WIDTH + 5] = -1.0


@njit
def record_observation(floats, row, col, length, age, x1, y1, x2, y2, score):
    """Store the observation a track received at ``age`` (its prediction count) in its ring.

    The ring keeps the last ``length`` ages: slot ``age % length``, so the ages
    ``age - length .. age - 1`` of any later lookup occupy distinct slots."""
    if length == 0:
        return
    c = col + (age % length) * OBS_WIDTH
    floats[row, c] = x1
    floats[row, c + 1] = y1
    floats[row, c + 2] = x2
    floats[row, c + 3] = y2
    floats[row, c + 4] = score
    floats[row, c + 5] = age


@njit
def observation_at(floats, row, col, length, age):
    """Column of the observation ``row`` received at ``age`` (x1, y1, x2, y2, score follow),
    or -1 when it has none stored for that age."""
    if length == 0 or age < 0:
        return -1
    c = col + (age % length) * OBS_WIDTH
    if floats[row, c + 5] == age:
        return c
    return -1


class TrackTable:
    """Struct-of-arrays storage of a tracker's tracks.

    Parameters
    ----------
    dim : int
        Kalman state size (7 for SORT's filter, 8 for the (x, y, a, h) filter).
    extra_int, extra_float : sequence of str
        Names of tracker-specific columns appended after the shared ones.
    capacity : int
        Initial number of rows; grows by doubling.

    Attributes
    ----------
    mean : (capacity, dim) float64
    covariance : (capacity, dim, dim) float64
    ints : (capacity, 7 + len(extra_int)) int64
    floats : (capacity, 2 + len(extra_float)) float64
    counters : (2,) int64
        ``[n, next_id]``, kept in an array so compiled kernels update them in place.
    n : int
        Live rows are ``0..n-1``, in creation order.
    next_id : int
        The id the next new track gets (ids are never reused, 64-bit).
    """

    def __init__(self, dim: int, extra_int: Sequence[str] = (), extra_float: Sequence[str] = (),
                 capacity: int = 32) -> None:
        self.dim = dim
        self.int_columns = ("id", "hits", "hit_streak", "age", "state", "class_id", "det_index") + tuple(extra_int)
        self.float_columns = ("time_since_update", "score") + tuple(extra_float)
        self._alloc(capacity)
        self.counters = np.array([0, 1], dtype=np.int64)

    @property
    def n(self) -> int:
        return int(self.counters[N])

    @n.setter
    def n(self, value: int) -> None:
        self.counters[N] = value

    @property
    def next_id(self) -> int:
        return int(self.counters[NEXT_ID])

    @next_id.setter
    def next_id(self, value: int) -> None:
        self.counters[NEXT_ID] = value

    def _alloc(self, capacity: int) -> None:
        self.mean = np.zeros((capacity, self.dim))
        self.covariance = np.zeros((capacity, self.dim, self.dim))
        self.ints = np.zeros((capacity, len(self.int_columns)), np.int64)
        self.floats = np.zeros((capacity, len(self.float_columns)))

    @property
    def capacity(self) -> int:
        return self.mean.shape[0]

    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` more rows."""
        n = int(self.counters[N])
        need = n + extra
        if need <= self.mean.shape[0]:
            return
        old = (self.mean, self.covariance, self.ints, self.floats)
        self._alloc(max(need, 2 * self.mean.shape[0]))
        for new, o in zip((self.mean, self.covariance, self.ints, self.floats), old):
            new[:n] = o[:n]

    def reset(self) -> None:
        """Forget every track and restart ids at 1."""
        self.n = 0
        self.next_id = 1

    def __len__(self) -> int:
        return self.n

    def column(self, name: str) -> np.ndarray:
        """Live rows (n,) of a named column (a view)."""
        if name in self.int_columns:
            return self.ints[: self.n, self.int_columns.index(name)]
        if name in self.float_columns:
            return self.floats[: self.n, self.float_columns.index(name)]
        raise KeyError(f"column: unknown name {name!r}; known: {self.int_columns + self.float_columns}")

    def to_dict(self) -> Dict[str, np.ndarray]:
        """Copies of every live column, keyed by name, plus ``mean`` and ``covariance``."""
        out = {name: self.column(name).copy() for name in self.int_columns + self.float_columns}
        out["mean"] = self.mean[: self.n].copy()
        out["covariance"] = self.covariance[: self.n].copy()
        return out
