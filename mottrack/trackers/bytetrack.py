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

from typing import Optional

import numpy as np

from .._numba import njit
from ..assignment import match_edges
from ..detections import Detections, split_rows
from ..geometry import overlap_edges_into
from ..kalman import XYAH_DIM, xyah_box, xyah_initiate, xyah_predict_row, xyah_update
from ..tracks import (CLASS, CONFIRMED, DELETED, DET, ID, LOST, N, N_FLOAT_BASE, N_INT_BASE, NEXT_ID,
                      SCORE, STATE, TENTATIVE, TSU, TrackTable, mark_hit, mark_predicted, start_track)
from ..registry import register_tracker
from .base import Tracker, check_number

__all__ = ["ByteTrack"]

# Tracker-specific columns of the track table.
REMOVED = N_INT_BASE        # 0: never removed; 1: timed out this frame; 2: in the removed list
TRACKED_TIME = N_FLOAT_BASE  # time since the track was started (frames)

# Fixed constants of the original algorithm.
LOW_SCORE = 0.1             # low detections are those with LOW_SCORE < score < track_thresh
SECOND_THRESH = 0.5         # cost limit of the second association (1 - IoU)
UNCONFIRMED_THRESH = 0.7    # cost limit of matching unconfirmed tracks
DUPLICATE_THRESH = 0.15     # tracked/lost pairs with 1 - IoU below this are duplicates
TIME_EPS = 1e-6             # time comparisons tolerate float round-off of timestamps (frames)

_P_TRACK, _P_MATCH, _P_MAX_LOST, _P_DET, _P_FUSE, _P_PER_CLASS = range(6)
_N_PARAMS = 8               # parameters at the head of the float work array
EDGE_BUFFER = 1024          # IoU pairs held without allocating (problems up to 1024 pairs)


@njit
def _associate(tboxes, trow, dboxes, dsel, scores, classes, track_classes, limit, fuse, per_class,
               sel, col_for_row, mscr, er, ec, ev):
    """Match tracks (boxes ``tboxes``, table rows ``trow``) to the detections ``dsel``.

    Cost 1 - IoU, or 1 - IoU * score with ``fuse`` (computed as the original does);
    only pairs with cost < ``limit``; the assignment of least total cost, as
    ``lap.lapjv(cost, extend_cost=True, cost_limit=limit)``.  Writes the position in
    ``dsel`` matched to each track into ``col_for_row`` (-1 if none).  ``sel`` (>= (len(dsel), 4)),
    ``mscr``, ``er``, ``ec``, ``ev`` are scratch."""
    nd = dsel.shape[0]
    for j in range(nd):
        for k in range(4):
            sel[j, k] = dboxes[dsel[j], k]
    er, ec, ev = overlap_edges_into(tboxes, sel[:nd], er, ec, ev)
    k = 0
    for e in range(er.shape[0]):
        d = dsel[ec[e]]
        if per_class and track_classes[trow[er[e]]] != classes[d]:
            continue
        c = 1.0 - ev[e]
        if fuse:
            c = 1.0 - (1.0 - c) * scores[d]
        if c < limit:
            er[k] = er[e]
            ec[k] = ec[e]
            ev[k] = limit - c
            k += 1
    match_edges(tboxes.shape[0], nd, er[:k], ec[:k], ev[:k], col_for_row, mscr)


@njit
def _boxes_into(mean, rows, out):
    for i in range(rows.shape[0]):
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = xyah_box(mean, rows[i])
    return out[:rows.shape[0]]


@njit
def _bytetrack_step(mean, cov, ints, floats, counters, boxes, scores, classes, dt, frame_count, fw, iw):
    """One ByteTrack frame over the track table; returns the (M, 8) output rows.

    Table layout on entry and exit: rows 0..nt-1 are the tracked pool (confirmed and
    unconfirmed, in list order), rows nt..n-1 the lost pool (state LOST).  ``fw``
    holds the parameters then float scratch, ``iw`` int scratch (sizes: see
    :meth:`ByteTrack._work_sizes`); the table has room for 2 (n + N) rows."""
    track_thresh = fw[_P_TRACK]
    match_thresh = fw[_P_MATCH]
    max_time_lost = fw[_P_MAX_LOST]
    det_thresh = fw[_P_DET]
    fuse = fw[_P_FUSE] != 0.0
    per_class = fw[_P_PER_CLASS] != 0.0
    n0 = counters[N]
    next_id = counters[NEXT_ID]
    nd = boxes.shape[0]
    cap = n0 + nd
    # Scratch, carved from fw / iw.
    f = _N_PARAMS
    dbox = fw[f:f + 4 * nd].reshape((nd, 4))
    f += 4 * nd
    sel = fw[f:f + 4 * nd].reshape((nd, 4))
    f += 4 * nd
    pbox = fw[f:f + 4 * n0].reshape((n0, 4))
    f += 4 * n0
    bx2 = fw[f:f + 4 * cap].reshape((cap, 4))
    f += 4 * cap
    ev = fw[f:f + EDGE_BUFFER]
    i = 0
    hi = iw[i:i + nd]
    i += nd
    lo = iw[i:i + nd]
    i += nd
    pool = iw[i:i + n0]
    i += n0
    m1 = iw[i:i + n0]
    i += n0
    m2_all = iw[i:i + n0]
    i += n0
    rest_all = iw[i:i + n0]
    i += n0
    mscr = iw[i:i + 2 * cap]
    i += 2 * cap
    left = iw[i:i + nd]
    i += nd
    hi_used = iw[i:i + nd]
    i += nd
    order = iw[i:i + cap]
    i += cap
    keep = iw[i:i + cap]
    i += cap
    er = iw[i:i + EDGE_BUFFER]
    i += EDGE_BUFFER
    ec = iw[i:i + EDGE_BUFFER]

    nt = 0
    while nt < n0 and ints[nt, STATE] != LOST:
        nt += 1
    mark_predicted(ints, floats, n0, dt)

    # Detection boxes as the original sees them (x1 + (x2 - x1)); high and low scores.
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
    npool = 0
    for t in range(n0):
        floats[t, TRACKED_TIME] += dt
        st = ints[t, STATE]
        if st == CONFIRMED or st == LOST:
            if st == LOST:
                mean[t, 7] = 0.0
            xyah_predict_row(mean, cov, t, dt)
            pool[npool] = t
            npool += 1
    pool = pool[:npool]
    m1 = m1[:npool]
    pbox = _boxes_into(mean, pool, pbox)
    track_classes = ints[:, CLASS]

    # First association: high detections against the whole pool.
    hi_used[:nh] = 0
    _associate(pbox, pool, dbox, hi, scores, classes, track_classes, match_thresh, fuse, per_class,
               sel, m1, mscr, er, ec, ev)
    n_rest = 0
    for p in range(npool):
        j = m1[p]
        t = pool[p]
        if j >= 0:
            d = hi[j]
            hi_used[j] = 1
            xyah_update(mean, cov, t, boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3])
            mark_hit(ints, floats, t, d, classes[d], scores[d])
            ints[t, STATE] = CONFIRMED  # a lost track is re-found
        elif t < nt:
            # left for the second association (pool order), box as predicted
            rest_all[n_rest] = t
            for k in range(4):
                bx2[n_rest, k] = pbox[p, k]
            n_rest += 1

    # Second association: low detections against the tracked tracks left over.
    if n_rest > 0:
        rest = rest_all[:n_rest]
        m2 = m2_all[:n_rest]
        _associate(bx2[:n_rest], rest, dbox, lo, scores, classes, track_classes, SECOND_THRESH, False,
                   per_class, sel, m2, mscr, er, ec, ev)
        for i in range(n_rest):
            t = rest[i]
            j = m2[i]
            if j >= 0:
                d = lo[j]
                xyah_update(mean, cov, t, boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3])
                mark_hit(ints, floats, t, d, classes[d], scores[d])
            else:
                ints[t, STATE] = LOST

    # Unconfirmed tracks (not predicted) against the remaining high detections.
    n_left = 0
    for j in range(nh):
        if hi_used[j] == 0:
            left[n_left] = hi[j]
            n_left += 1
    left = left[:n_left]
    hi_used[:n_left] = 0  # now: left[j] used
    n_unc = 0
    for t in range(nt):
        if ints[t, STATE] == TENTATIVE:
            rest_all[n_unc] = t
            n_unc += 1
    if n_unc > 0:
        unc = rest_all[:n_unc]
        m3 = m2_all[:n_unc]
        _associate(_boxes_into(mean, unc, bx2), unc, dbox, left, scores, classes, track_classes,
                   UNCONFIRMED_THRESH, fuse, per_class, sel, m3, mscr, er, ec, ev)
        for i in range(n_unc):
            t = unc[i]
            j = m3[i]
            if j >= 0:
                d = left[j]
                hi_used[j] = 1
                xyah_update(mean, cov, t, boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3])
                mark_hit(ints, floats, t, d, classes[d], scores[d])
                ints[t, STATE] = CONFIRMED
            else:
                ints[t, STATE] = DELETED

    # New tracks from the remaining high detections that are confident enough.
    n = n0
    new_state = CONFIRMED if frame_count == 1 else TENTATIVE
    for j in range(n_left):
        d = left[j]
        if hi_used[j] == 0 and scores[d] >= det_thresh:
            xyah_initiate(mean, cov, n, boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3])
            start_track(ints, floats, n, next_id, 1, new_state, classes[d], d, scores[d])
            next_id += 1
            n += 1

    # Lost tracks of the previous pool that stayed lost too long are removed.
    for t in range(nt, n0):
        if ints[t, STATE] == LOST and ints[t, REMOVED] == 0 and floats[t, TSU] > max_time_lost + TIME_EPS:
            ints[t, REMOVED] = 1

    # The new pools, in the original's list order.  Tracked: surviving tracked tracks,
    # new tracks, re-found tracks.  Lost: the previous lost pool, then newly lost tracks;
    # tracks already in the removed list leave it.
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
    keep[:m] = 1
    if m_t > 0 and m > m_t:
        tbox = _boxes_into(mean, order[:m_t], bx2)
        lbox = _boxes_into(mean, order[m_t:m], bx2[m_t:])
        de_r, de_c, de_v = overlap_edges_into(tbox, lbox, er, ec, ev)
        for e in range(de_r.shape[0]):
            if 1.0 - de_v[e] < DUPLICATE_THRESH:
                p = order[de_r[e]]
                q = order[m_t + de_c[e]]
                if per_class and ints[p, CLASS] != ints[q, CLASS]:
                    continue
                time_p = floats[p, TRACKED_TIME] - floats[p, TSU]
                time_q = floats[q, TRACKED_TIME] - floats[q, TSU]
                if time_p > time_q + TIME_EPS:
                    keep[m_t + de_c[e]] = 0
                else:
                    keep[de_r[e]] = 0

    # Report confirmed tracked tracks.
    out = np.empty((m_t, 8))
    n_out = 0
    for i in range(m_t):
        t = order[i]
        if keep[i] != 0 and ints[t, STATE] == CONFIRMED:
            out[n_out, 0], out[n_out, 1], out[n_out, 2], out[n_out, 3] = xyah_box(mean, t)
            out[n_out, 4] = ints[t, ID]
            out[n_out, 5] = floats[t, SCORE]
            out[n_out, 6] = ints[t, CLASS]
            out[n_out, 7] = ints[t, DET]
            n_out += 1

    # Store the pools in order: rows that move go through the free rows after n.
    k = 0
    for i in range(m):
        if keep[i] != 0:
            order[k] = order[i]
            k += 1
    m = k
    first = 0
    while first < m and order[first] == first:
        first += 1
    monotonic = True
    for i in range(first + 1, m):
        if order[i] < order[i - 1]:
            monotonic = False
            break
    if monotonic:
        for i in range(first, m):
            _copy_row(mean, cov, ints, floats, order[i], i)
    else:
        for i in range(first, m):
            _copy_row(mean, cov, ints, floats, order[i], n + i - first)
        for i in range(first, m):
            _copy_row(mean, cov, ints, floats, n + i - first, i)
    counters[N] = m
    counters[NEXT_ID] = next_id
    return out[:n_out]


@njit
def _copy_row(mean, cov, ints, floats, src, dst):
    for a in range(mean.shape[1]):
        mean[dst, a] = mean[src, a]
        for b in range(mean.shape[1]):
            cov[dst, a, b] = cov[src, a, b]
    for a in range(ints.shape[1]):
        ints[dst, a] = ints[src, a]
    for a in range(floats.shape[1]):
        floats[dst, a] = floats[src, a]


@njit
def _bytetrack_step_rows(mean, cov, ints, floats, counters, rows, dt, frame_count, fw, iw, err):
    """:func:`_bytetrack_step` on an (N, 5|6) array, validated first (error code into ``err``)."""
    boxes, scores, classes, code, r, c = split_rows(rows, False)
    err[0] = code
    if code != 0:
        return np.empty((0, 8))
    return _bytetrack_step(mean, cov, ints, floats, counters, boxes, scores, classes, dt, frame_count, fw, iw)


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
    output_box : {"kalman", "detection"}, default "kalman"
        Which box a matched track reports: its Kalman state (the original's) or the
        detection that updated it this frame.

    Notes
    -----
    Detections with zero height are ignored (they have no aspect ratio).  With
    timestamps the Kalman step uses the elapsed time and the lost-track limit and
    track durations count time, in frames at ``frame_rate``.
    """

    _state_attrs = ("tracks",)

    def __init__(self, track_thresh: float = 0.5, match_thresh: float = 0.8, track_buffer: float = 30,
                 frame_rate: float = 30, *, fuse_score: bool = True, per_class: bool = False,
                 output_box: str = "kalman") -> None:
        super().__init__(frame_rate=frame_rate, per_class=per_class, output_box=output_box)
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
        self.tracks = TrackTable(XYAH_DIM, extra_int=("removed",), extra_float=("tracked_time",))
        # Parameters, then float scratch; int scratch.  Not state: rebuilt on demand.
        self._fw = np.zeros(0)
        self._iw = np.zeros(0, np.int64)
        self._work_for = -1
        self._make_work(64)

    def _make_work(self, cap: int) -> None:
        """Scratch for frames where (tracks + detections) <= cap."""
        cap = max(cap, 2 * self._work_for, 64)
        fw = np.zeros(_N_PARAMS + 64 + 12 * cap + EDGE_BUFFER)
        fw[:6] = (self.track_thresh, self.match_thresh, float(self.max_time_lost), self.det_thresh,
                  float(self.fuse_score), float(self.per_class))
        self._fw = fw
        self._iw = np.zeros(11 * cap + 2 * EDGE_BUFFER, np.int64)
        self._work_for = cap

    def _prepare(self, n_det: int) -> None:
        tr = self.tracks
        need = int(tr.counters[0]) + n_det
        if 2 * need > tr.mean.shape[0]:
            tr.reserve(2 * need - int(tr.counters[0]))
        if need > self._work_for:
            self._make_work(need)

    def _step(self, dets: Detections, dt: float, warp: Optional[np.ndarray] = None) -> np.ndarray:
        tr = self.tracks
        self._prepare(dets.boxes.shape[0])
        return _bytetrack_step(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, dets.boxes,
                               dets.scores, dets.class_ids, dt, self.frame_count, self._fw, self._iw)

    _rows_fast_path = True

    def _step_rows(self, rows: np.ndarray, dt: float, err: np.ndarray) -> np.ndarray:
        tr = self.tracks
        need = tr.counters[0] + rows.shape[0]
        if need > self._work_for or 2 * need > tr.mean.shape[0]:
            self._prepare(rows.shape[0])
        return _bytetrack_step_rows(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, rows, dt,
                                    self.frame_count, self._fw, self._iw, err)

    def _check_restored(self) -> None:
        """Base checks, then the pools: the removed flag is 0, 1 or 2."""
        super()._check_restored()
        tr = self.tracks
        rem = tr.ints[:tr.n, REMOVED]
        if rem.shape[0] and (rem.min() < 0 or rem.max() > 2):
            raise ValueError("state: attrs.tracks column 'removed' must hold 0, 1 or 2")

    def _reset(self) -> None:
        self.tracks.reset()
