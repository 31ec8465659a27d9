"""ByteTrack: multi-object tracking by associating every detection box (Zhang et al., ECCV 2022).

Tracking-by-detection usually throws low-score detections away, and with them the
occluded objects they belong to.  BYTE keeps them, but only to continue tracks that
already exist.  Each frame:

1. split the detections by score: *high* (score > ``track_thresh``) and *low*
   (0.1 < score < ``track_thresh``);
2. predict every tracked and every lost track with its (x, y, a, h) Kalman filter
   (a lost track's height velocity is set to zero: it coasts at constant size);
3. **first association**: high detections against all tracked and lost tracks, with
   cost 1 - IoU, or 1 - IoU * score when ``fuse_score`` is on; the assignment with the
   least total cost among pairs cheaper than ``match_thresh``.  A matched lost track is
   re-found and keeps its id;
4. **second association**: low detections against the tracked tracks left unmatched,
   cost 1 - IoU (no score), pairs cheaper than 0.5.  Tracked tracks still unmatched
   become lost;
5. tracks born last frame (unconfirmed) are matched to the remaining high detections
   (cost as in step 3, pairs cheaper than 0.7) and confirmed, or deleted;
6. each remaining high detection with score >= ``track_thresh + 0.1`` starts a track,
   confirmed at once on the very first frame and otherwise unconfirmed until it is
   matched the next frame;
7. lost tracks not updated for more than ``int(frame_rate / 30 * track_buffer)``
   frames are removed; a tracked and a lost track whose boxes overlap with IoU > 0.85
   are duplicates: the one followed for the shorter time is dropped.

The confirmed tracked tracks are reported.  With ``track_thresh``, ``match_thresh``,
``track_buffer=30, frame_rate=30`` the output equals the original implementation
(ifzhang/ByteTrack, ``BYTETracker``) frame by frame, including its bookkeeping quirks:
unconfirmed tracks are not predicted before their one chance to be matched, a lost
track that times out still sits in the lost pool (and can be re-found) during the
following frame, and a track re-found that way is dropped as soon as it is lost again.

All state is one :class:`~mottrack.tracks.TrackTable` whose rows are the tracked pool
(in the original's list order) followed by the lost pool; a frame is one compiled call.
"""
from __future__ import annotations

import numpy as np

from .._numba import njit
from ..assignment import max_weight_matching
from ..detections import Detections, split_rows
from ..geometry import overlap_edges
from ..kalman import KALMAN_WORK_SIZE, XYAH_DIM, xyah_initiate, xyah_predict_row, xyah_update
from ..tracks import (CLASS, CONFIRMED, DELETED, DET, ID, LOST, N, N_FLOAT_BASE, N_INT_BASE, NEXT_ID,
                      SCORE, STATE, TENTATIVE, TSU, TrackTable, mark_hit, mark_predicted, start_track)
from .base import Tracker, check_number, register_tracker

__all__ = ["ByteTrack"]

# Tracker-specific columns of the track table.
REMOVED = N_INT_BASE        # 0: never removed; 1: timed out this frame; 2: in the removed list
START = N_FLOAT_BASE        # clock (frames) at which the track was started

# Fixed constants of the original algorithm.
LOW_SCORE = 0.1             # low detections are those with LOW_SCORE < score < track_thresh
SECOND_THRESH = 0.5         # cost limit of the second association (1 - IoU)
UNCONFIRMED_THRESH = 0.7    # cost limit of matching unconfirmed tracks
DUPLICATE_THRESH = 0.15     # tracked/lost pairs with 1 - IoU below this are duplicates
TIME_EPS = 1e-6             # time comparisons tolerate float round-off of timestamps (frames)

_P_TRACK, _P_MATCH, _P_MAX_LOST, _P_DET, _P_FUSE, _P_PER_CLASS = range(6)


@njit
def _tlbr(mean, t):
    """Box x1, y1, x2, y2 of state row ``t``, with the original's arithmetic (tlwh first)."""
    h = mean[t, 3]
    w = mean[t, 2] * h
    x1 = mean[t, 0] - w / 2.0
    y1 = mean[t, 1] - h / 2.0
    return x1, y1, x1 + w, y1 + h


@njit
def _match(n_rows, n_cols, er, ec, ew):
    """Maximum-weight matching over the positive edges; ``col_for_row`` (n_rows,), -1 unmatched.

    When no row and no column has two edges the edges are the matching already."""
    col_for_row = np.full(n_rows, -1, np.int64)
    k = er.shape[0]
    if k == 0:
        return col_for_row
    used = np.zeros(n_cols, np.bool_)
    simple = True
    for e in range(k):
        if col_for_row[er[e]] >= 0 or used[ec[e]]:
            simple = False
            break
        col_for_row[er[e]] = ec[e]
        used[ec[e]] = True
    if simple:
        return col_for_row
    col_for_row[:] = -1
    mr, mc = max_weight_matching(n_rows, n_cols, er, ec, ew)
    for i in range(mr.shape[0]):
        col_for_row[mr[i]] = mc[i]
    return col_for_row


@njit
def _associate(tboxes, trow, dboxes, dsel, scores, classes, track_classes, limit, fuse, per_class):
    """Match tracks (boxes ``tboxes``, table rows ``trow``) to detections ``dsel``.

    Cost 1 - IoU, or 1 - IoU * score with ``fuse``; pairs cost < ``limit`` only, the
    assignment of least total cost (lap.lapjv with extend_cost and cost_limit).
    Returns the position in ``dsel`` matched to each track, -1 if none."""
    nd = dsel.shape[0]
    sel = np.empty((nd, 4))
    for j in range(nd):
        for k in range(4):
            sel[j, k] = dboxes[dsel[j], k]
    er, ec, iou = overlap_edges(tboxes, sel)
    k = 0
    for e in range(er.shape[0]):
        d = dsel[ec[e]]
        if per_class and track_classes[trow[er[e]]] != classes[d]:
            continue
        c = 1.0 - iou[e]
        if fuse:
            c = 1.0 - (1.0 - c) * scores[d]
        if c < limit:
            er[k] = er[e]
            ec[k] = ec[e]
            iou[k] = limit - c
            k += 1
    return _match(tboxes.shape[0], nd, er[:k], ec[:k], iou[:k])


@njit
def _boxes_of(mean, rows):
    out = np.empty((rows.shape[0], 4))
    for i in range(rows.shape[0]):
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = _tlbr(mean, rows[i])
    return out


@njit
def _bytetrack_step(mean, cov, ints, floats, counters, clock, boxes, scores, classes, dt, frame_count, params):
    """One ByteTrack frame over the track table; returns the (M, 8) output rows.

    Table layout on entry and exit: rows 0..nt-1 are the tracked pool (confirmed and
    unconfirmed, in list order), rows nt..n-1 the lost pool (state LOST)."""
    track_thresh = params[_P_TRACK]
    match_thresh = params[_P_MATCH]
    max_time_lost = params[_P_MAX_LOST]
    det_thresh = params[_P_DET]
    fuse = params[_P_FUSE] != 0.0
    per_class = params[_P_PER_CLASS] != 0.0
    n0 = counters[N]
    next_id = counters[NEXT_ID]
    clock[0] += dt
    now = clock[0]
    work = np.empty(KALMAN_WORK_SIZE)

    nt = 0
    while nt < n0 and ints[nt, STATE] != LOST:
        nt += 1
    mark_predicted(ints, floats, n0, dt)

    # Detection boxes as the original sees them (x1 + (x2 - x1)); high and low scores.
    nd = boxes.shape[0]
    dbox = np.empty((nd, 4))
    hi = np.empty(nd, np.int64)
    lo = np.empty(nd, np.int64)
    nh = 0
    nl = 0
    for d in range(nd):
        x1 = boxes[d, 0]
        y1 = boxes[d, 1]
        w = boxes[d, 2] - x1
        h = boxes[d, 3] - y1
        dbox[d, 0] = x1
        dbox[d, 1] = y1
        dbox[d, 2] = x1 + w
        dbox[d, 3] = y1 + h
        if not h > 0.0:
            continue  # no (x, y, a, h) state for a box without height
        s = scores[d]
        if s > track_thresh:
            hi[nh] = d
            nh += 1
        elif s > LOW_SCORE and s < track_thresh:
            lo[nl] = d
            nl += 1
    hi = hi[:nh]
    lo = lo[:nl]

    # Predict the pool: confirmed tracked tracks, then lost ones (height velocity zeroed).
    pool = np.empty(n0, np.int64)
    npool = 0
    for t in range(n0):
        st = ints[t, STATE]
        if st == CONFIRMED or st == LOST:
            if st == LOST:
                mean[t, 7] = 0.0
            xyah_predict_row(mean, cov, t, dt)
            pool[npool] = t
            npool += 1
    pool = pool[:npool]
    pbox = _boxes_of(mean, pool)
    track_classes = ints[:, CLASS]

    # First association: high detections against the whole pool.
    hi_used = np.zeros(nh, np.bool_)
    m1 = _associate(pbox, pool, dbox, hi, scores, classes, track_classes, match_thresh, fuse, per_class)
    n_rest = 0
    for p in range(npool):
        j = m1[p]
        t = pool[p]
        if j >= 0:
            d = hi[j]
            hi_used[j] = True
            xyah_update(mean, cov, t, boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3], work)
            mark_hit(ints, floats, t, d, classes[d], scores[d])
            ints[t, STATE] = CONFIRMED  # a lost track is re-found
        elif t < nt:
            n_rest += 1

    # Second association: low detections against the tracked tracks left over.
    if n_rest > 0:
        rest = np.empty(n_rest, np.int64)
        rbox = np.empty((n_rest, 4))
        i = 0
        for p in range(npool):
            if m1[p] < 0 and pool[p] < nt:
                rest[i] = pool[p]
                for k in range(4):
                    rbox[i, k] = pbox[p, k]
                i += 1
        m2 = _associate(rbox, rest, dbox, lo, scores, classes, track_classes, SECOND_THRESH, False, per_class)
        for i in range(n_rest):
            t = rest[i]
            j = m2[i]
            if j >= 0:
                d = lo[j]
                xyah_update(mean, cov, t, boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3], work)
                mark_hit(ints, floats, t, d, classes[d], scores[d])
            else:
                ints[t, STATE] = LOST

    # Unconfirmed tracks (not predicted) against the remaining high detections.
    n_left = nh
    for j in range(nh):
        if hi_used[j]:
            n_left -= 1
    left = np.empty(n_left, np.int64)
    i = 0
    for j in range(nh):
        if not hi_used[j]:
            left[i] = hi[j]
            i += 1
    left_used = np.zeros(n_left, np.bool_)
    n_unc = 0
    for t in range(nt):
        if ints[t, STATE] == TENTATIVE:
            n_unc += 1
    if n_unc > 0:
        unc = np.empty(n_unc, np.int64)
        i = 0
        for t in range(nt):
            if ints[t, STATE] == TENTATIVE:
                unc[i] = t
                i += 1
        m3 = _associate(_boxes_of(mean, unc), unc, dbox, left, scores, classes, track_classes,
                        UNCONFIRMED_THRESH, fuse, per_class)
        for i in range(n_unc):
            t = unc[i]
            j = m3[i]
            if j >= 0:
                d = left[j]
                left_used[j] = True
                xyah_update(mean, cov, t, boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3], work)
                mark_hit(ints, floats, t, d, classes[d], scores[d])
                ints[t, STATE] = CONFIRMED
            else:
                ints[t, STATE] = DELETED

    # New tracks from the remaining high detections that are confident enough.
    n = n0
    new_state = CONFIRMED if frame_count == 1 else TENTATIVE
    for j in range(n_left):
        d = left[j]
        if not left_used[j] and scores[d] >= det_thresh:
            xyah_initiate(mean, cov, n, boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3])
            start_track(ints, floats, n, next_id, 1, new_state, classes[d], d, scores[d])
            floats[n, START] = now
            next_id += 1
            n += 1

    # Lost tracks of the previous pool that stayed lost too long are removed.
    for t in range(nt, n0):
        if ints[t, STATE] == LOST and ints[t, REMOVED] == 0 and floats[t, TSU] > max_time_lost + TIME_EPS:
            ints[t, REMOVED] = 1

    # The new pools, in the original's list order.  Tracked: surviving tracked tracks,
    # new tracks, re-found tracks.  Lost: the previous lost pool, then newly lost tracks;
    # tracks already in the removed list leave it.
    order = np.empty(n, np.int64)
    m_t = 0
    for t in range(nt):
        st = ints[t, STATE]
        if st == CONFIRMED or st == TENTATIVE:
            order[m_t] = t
            m_t += 1
    for t in range(n0, n):
        order[m_t] = t
        m_t += 1
    for t in range(nt, n0):
        if ints[t, STATE] == CONFIRMED:
            order[m_t] = t
            m_t += 1
    m = m_t
    for t in range(nt, n0):
        if ints[t, STATE] == LOST and ints[t, REMOVED] != 2:
            order[m] = t
            m += 1
    for t in range(nt):
        if ints[t, STATE] == LOST and ints[t, REMOVED] != 2:
            order[m] = t
            m += 1
    for t in range(n0):
        if ints[t, REMOVED] == 1:
            ints[t, REMOVED] = 2

    # Duplicates between the pools: the track followed for the shorter time goes.
    keep = np.ones(m, np.bool_)
    if m_t > 0 and m > m_t:
        tbox = _boxes_of(mean, order[:m_t])
        lbox = _boxes_of(mean, order[m_t:m])
        er, ec, iou = overlap_edges(tbox, lbox)
        for e in range(er.shape[0]):
            if 1.0 - iou[e] < DUPLICATE_THRESH:
                p = order[er[e]]
                q = order[m_t + ec[e]]
                if per_class and ints[p, CLASS] != ints[q, CLASS]:
                    continue
                time_p = now - floats[p, TSU] - floats[p, START]
                time_q = now - floats[q, TSU] - floats[q, START]
                if time_p > time_q + TIME_EPS:
                    keep[m_t + ec[e]] = False
                else:
                    keep[er[e]] = False

    # Report confirmed tracked tracks; store the pools in order.
    out = np.empty((m_t, 8))
    n_out = 0
    for i in range(m_t):
        t = order[i]
        if keep[i] and ints[t, STATE] == CONFIRMED:
            out[n_out, 0], out[n_out, 1], out[n_out, 2], out[n_out, 3] = _tlbr(mean, t)
            out[n_out, 4] = ints[t, ID]
            out[n_out, 5] = floats[t, SCORE]
            out[n_out, 6] = ints[t, CLASS]
            out[n_out, 7] = ints[t, DET]
            n_out += 1
    first = 0
    k = 0
    for i in range(m):
        if keep[i]:
            order[k] = order[i]
            k += 1
    m = k
    while first < m and order[first] == first:
        first += 1
    if first < m:
        sel = order[first:m]
        mean[first:m] = mean[sel]
        cov[first:m] = cov[sel]
        ints[first:m] = ints[sel]
        floats[first:m] = floats[sel]
    counters[N] = m
    counters[NEXT_ID] = next_id
    return out[:n_out]


@njit
def _bytetrack_step_rows(mean, cov, ints, floats, counters, clock, rows, dt, frame_count, params, err):
    """:func:`_bytetrack_step` on an (N, 5|6) array, validated first (error code into ``err``)."""
    boxes, scores, classes, code, r, c = split_rows(rows, False)
    err[0] = code
    if code != 0:
        return np.empty((0, 8))
    return _bytetrack_step(mean, cov, ints, floats, counters, clock, boxes, scores, classes, dt,
                           frame_count, params)


@register_tracker("bytetrack")
class ByteTrack(Tracker):
    """ByteTrack (Zhang et al. 2022): two-stage IoU association that also uses low-score boxes.

    Parameters
    ----------
    track_thresh : float, default 0.5
        Detections scoring above it are *high* (matched first, may start tracks once
        they reach ``track_thresh + 0.1``); those between 0.1 and it are *low* (only
        continue tracked tracks).  Raising it starts fewer tracks from false positives
        and leans more on the conservative second stage, but starts real objects later
        and loses more of the weakly detected; lowering it does the opposite.
    match_thresh : float in (0, 1], default 0.8
        Cost limit of the first association (cost 1 - IoU, times the score when
        ``fuse_score``): a pair matches only if its cost is below it.  Raising it
        keeps tracks through larger jumps and poorer detections at the risk of
        wrong matches and identity switches in crowds; lowering it does the reverse
        (more fragmented tracks, new ids after fast motion).
    track_buffer : float, default 30
        How long a lost track is kept for re-identification, in frames at 30 fps:
        the limit is ``int(frame_rate / 30 * track_buffer)`` frames.  Longer bridges
        longer occlusions but lets stale tracks grab newcomers (and costs time per
        frame); shorter gives new ids after shorter gaps.
    frame_rate : float, default 30
        Frames per second of the stream: scales ``track_buffer`` and converts
        timestamps to frames.
    fuse_score : bool, default True
        First-stage and unconfirmed-track costs are 1 - IoU * score (the original's
        default, off for its MOT20 setting).  Favours confident detections when two
        compete for a track; turning it off makes matching purely geometric.
    per_class : bool, default False
        Only match detections of the track's class (and only treat tracks of the
        same class as duplicates).

    Notes
    -----
    Detections with zero height are ignored (they have no aspect ratio).  With
    timestamps the Kalman step uses the elapsed time and the lost-track limit and
    track durations count time, in frames at ``frame_rate``.
    """

    _state_attrs = ("tracks", "_clock")

    def __init__(self, track_thresh: float = 0.5, match_thresh: float = 0.8, track_buffer: float = 30,
                 frame_rate: float = 30, *, fuse_score: bool = True, per_class: bool = False) -> None:
        super().__init__(frame_rate=frame_rate, per_class=per_class)
        self.track_thresh = check_number("track_thresh", track_thresh, low=0.0, high=1.0)
        self.match_thresh = check_number("match_thresh", match_thresh, low=0.0, high=1.0, low_open=True)
        self.track_buffer = check_number("track_buffer", track_buffer, low=0.0, high=1e9)
        if not isinstance(fuse_score, (bool, np.bool_)):
            raise TypeError(f"fuse_score: expected a bool; got {type(fuse_score).__name__}")
        self.fuse_score = bool(fuse_score)
        #: Minimum score of a detection that starts a track (the original's ``det_thresh``).
        self.det_thresh = self.track_thresh + 0.1
        #: Frames a lost track is kept (the original's ``max_time_lost``).
        self.max_time_lost = int(self.frame_rate / 30.0 * self.track_buffer)
        self.tracks = TrackTable(XYAH_DIM, extra_int=("removed",), extra_float=("start_time",))
        self._clock = np.zeros(1)
        self._params = np.array([self.track_thresh, self.match_thresh, float(self.max_time_lost),
                                 self.det_thresh, float(self.fuse_score), float(self.per_class)])

    def _step(self, dets: Detections, dt: float) -> np.ndarray:
        tr = self.tracks
        tr.reserve(dets.boxes.shape[0])
        return _bytetrack_step(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, self._clock,
                               dets.boxes, dets.scores, dets.class_ids, dt, self.frame_count, self._params)

    _rows_fast_path = True

    def _step_rows(self, rows: np.ndarray, dt: float, err: np.ndarray) -> np.ndarray:
        tr = self.tracks
        if tr.counters[0] + rows.shape[0] > tr.mean.shape[0]:
            tr.reserve(rows.shape[0])
        return _bytetrack_step_rows(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, self._clock,
                                    rows, dt, self.frame_count, self._params, err)

    def _reset(self) -> None:
        self.tracks.reset()
        self._clock[0] = 0.0
