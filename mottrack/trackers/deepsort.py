"""DeepSORT: Simple Online and Realtime Tracking with a Deep Association Metric
(Wojke, Bewley and Paulus, ICIP 2017).

SORT's constant-velocity Kalman filter, now over the box centre, aspect ratio and
height ``(x, y, a, h)``, combined with an appearance descriptor per detection (an
embedding from a re-identification network).  Each track keeps a gallery of the
unit-length descriptors of its last ``nn_budget`` detections.  Each frame:

1. **Predict** every track one step ahead with its Kalman filter.  With
   ``camera_motion``, then move each track through the warp: the centre exactly, its
   velocity by the warp's linear part at the centre, the height by the warp's
   vertical scale and the aspect ratio by the ratio of its horizontal and vertical
   scales; the covariance keeps its per-component blocks
   (:func:`~mottrack.kalman.xyah_warp_rows`).
2. **Matching cascade** (confirmed tracks).  Tracks are visited in order of the
   time since they were last seen: first those seen in the previous frame, then
   those missed once, and so on up to ``max_age``, so that a recently seen track
   gets first choice among the detections.  At each level the cost of a
   track/detection pair is the smallest cosine distance between the detection's
   descriptor and the track's gallery; pairs outside the 95 % confidence region
   of the track's predicted measurement (squared Mahalanobis distance above the
   chi-square quantile for 4 degrees of freedom, 9.4877) are forbidden, and so are
   pairs with cosine distance above ``max_cosine_distance``.  The assignment of
   minimum total cost is taken among the detections still free.
3. **IoU matching** of what remains: tentative tracks and confirmed tracks that
   were seen in the previous frame but found no appearance match are matched to
   the remaining detections with cost ``1 - IoU`` (rejected above
   ``max_iou_distance``).  This catches sudden appearance changes (partial
   occlusion) and gives new tracks, whose galleries are still thin, a motion-only
   association.
4. **Update** matched tracks (Kalman correction, the descriptor joins the gallery);
   a tentative track becomes confirmed after ``n_init`` detections.  An unmatched
   tentative track is deleted at once; a confirmed one is deleted when it has not
   been seen for more than ``max_age`` frames.  Each unmatched detection starts a
   tentative track.
5. **Report** confirmed tracks updated in this frame, or seen in the previous one
   (exactly what the original's ``deep_sort_app.py`` writes).

With the defaults and ``max_cosine_distance=0.2, nn_budget=100`` the output
equals the original implementation (nwojke/deep_sort) frame by frame.  Ties in the
cost matrices (equal costs to the last bit) may be resolved differently.

Time
----
With timestamps, the Kalman step uses the real elapsed time ``dt`` (in nominal
frames) and ``max_age`` and the cascade order count time, not calls.  "Seen in the
previous frame" (steps 3 and 5) means updated in the previous ``update`` call,
whatever the elapsed time.  Without timestamps every call is one frame, exactly
the original.

Appearance
----------
Embeddings come with the detections (``Detections.embeddings``, float, or
int8/uint8 dequantised by :class:`~mottrack.Detections`); the tracker normalises
them to unit length.  Every non-empty frame must carry embeddings of one fixed
dimension.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .._numba import njit
from ..assignment import match_edges
from ..geometry import overlap_edges
from ..detections import Detections
from ..kalman import (XYAH_DIM, _chol4, xyah_box, xyah_initiate, xyah_project_into,
                      xyah_predict_row, xyah_update, xyah_warp_rows)
from ..tracks import (CLASS, CONFIRMED, DET, HITS, ID, N, NEXT_ID, SCORE, STATE, TENTATIVE, TSU,
                      TrackTable, compact, mark_hit, mark_predicted, start_track)
from ._gallery import gallery_append, gallery_max_dot, grow_gallery, normalize_rows
from ..registry import register_tracker
from .base import Tracker, check_number

__all__ = ["DeepSORT", "CHI2INV95_4DOF"]

_NO_WARP = np.empty((0, 3))  # no camera motion

CHI2INV95_4DOF = 9.4877
"""0.95 quantile of the chi-square distribution with 4 degrees of freedom (the gate)."""

_EPS = 1e-6  # frames: tolerance when comparing accumulated times (timestamps)

# extra int column of the track table: the track's gallery slot
SLOT = 7

# params vector
_P_MAX_COS, _P_MAX_IOU, _P_MAX_AGE, _P_N_INIT, _P_PER_CLASS = range(5)


@njit
def _iou_tlwh(ax, ay, aw, ah, bx, by, bw, bh):
    """IoU of two (top-left x, top-left y, w, h) boxes, bottom-right = top-left + size."""
    ix = min(ax + aw, bx + bw) - max(ax, bx)
    iy = min(ay + ah, by + bh) - max(ay, by)
    if ix < 0.0:
        ix = 0.0
    if iy < 0.0:
        iy = 0.0
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0.0 else 0.0


@njit
def _solve(n_rows, n_cols, er, ec, ew, ne):
    """Maximum-weight matching of the first ``ne`` edges; returns the matched (rows, cols)."""
    col_for_row = np.empty(n_rows, np.int64)
    match_edges(n_rows, n_cols, er[:ne], ec[:ne], ew[:ne], col_for_row,
                np.empty(2 * (n_rows + n_cols), np.int64))
    k = 0
    for r in range(n_rows):
        if col_for_row[r] >= 0:
            er[k] = r
            ec[k] = col_for_row[r]
            k += 1
    return er[:k], ec[:k]


@njit
def _iou_edges_sparse(mean, ints, rows, boxes, classes, det_track, per_class, max_iou, limit,
                      er, ec, ew):
    """IoU-stage edges (track position, detection, ``limit - cost``) of the pairs with
    ``1 - IoU <= max_iou``, in (track, detection) order, among the detections still free.
    Candidates come from :func:`overlap_edges`; the cost is the original's tlwh IoU."""
    nr = rows.shape[0]
    tb = np.empty((nr, 4))     # x1, y1, x2, y2 for the sweep
    tlwh = np.empty((nr, 4))   # the original's arithmetic for the cost
    for r in range(nr):
        t = rows[r]
        th = mean[t, 3]
        tw = mean[t, 2] * th
        tlwh[r, 0] = mean[t, 0] - tw / 2.0
        tlwh[r, 1] = mean[t, 1] - th / 2.0
        tlwh[r, 2] = tw
        tlwh[r, 3] = th
        tb[r, 0] = tlwh[r, 0]
        tb[r, 1] = tlwh[r, 1]
        tb[r, 2] = tlwh[r, 0] + tw
        tb[r, 3] = tlwh[r, 1] + th
    free = np.empty(boxes.shape[0], np.int64)
    nf = 0
    for j in range(boxes.shape[0]):
        if det_track[j] == -1:
            free[nf] = j
            nf += 1
    db = np.empty((nf, 4))
    for q in range(nf):
        for k in range(4):
            db[q, k] = boxes[free[q], k]
    cr, cc, _ = overlap_edges(tb, db)
    ne = 0
    for e in range(cr.shape[0]):
        r = cr[e]
        j = free[cc[e]]
        t = rows[r]
        if per_class and classes[j] != ints[t, CLASS]:
            continue
        cost = 1.0 - _iou_tlwh(tlwh[r, 0], tlwh[r, 1], tlwh[r, 2], tlwh[r, 3], boxes[j, 0],
                               boxes[j, 1], boxes[j, 2] - boxes[j, 0], boxes[j, 3] - boxes[j, 1])
        if cost <= max_iou:
            er, ec, ew, ne = _push_edge(er, ec, ew, ne, r, j, limit - cost)
    return er, ec, ew, ne


@njit
def _push_edge(er, ec, ew, ne, r, c, w):
    if ne == er.shape[0]:
        cap = 2 * ne + 16
        er2 = np.empty(cap, np.int64)
        ec2 = np.empty(cap, np.int64)
        ew2 = np.empty(cap)
        er2[:ne] = er[:ne]
        ec2[:ne] = ec[:ne]
        ew2[:ne] = ew[:ne]
        er, ec, ew = er2, ec2, ew2
    er[ne] = r
    ec[ne] = c
    ew[ne] = w
    return er, ec, ew, ne + 1


@njit
def _cascade_level(mean, cov, ints, level_rows, meas, order, sorted_x, classes, feats,
                   gallery, gcount, det_track, trk_det, max_cos, per_class, er, ec, ew, scratch):
    """Gated nearest-neighbour cosine matching of one cascade level; returns the edge buffers."""
    n_det = meas.shape[0]
    ne = 0
    limit = max_cos + 1e-5
    L = scratch[0:16].reshape((4, 4))
    S = scratch[16:32].reshape((4, 4))
    m = scratch[32:36]
    y = scratch[36:40]
    for r in range(level_rows.shape[0]):
        t = level_rows[r]
        xyah_project_into(mean, cov, t, m, S)
        _chol4(S, L)
        # d^2 = z' S^-1 z >= z_x^2 / S_xx: only detections with centre x in this window can pass.
        half = np.sqrt(CHI2INV95_4DOF * S[0, 0]) * (1.0 + 1e-7) + 1e-9
        lo = np.searchsorted(sorted_x, m[0] - half)
        hi = np.searchsorted(sorted_x, m[0] + half, side="right")
        slot = ints[t, SLOT]
        for q in range(lo, hi):
            j = order[q]
            if det_track[j] != -1:
                continue
            if per_class and classes[j] != ints[t, CLASS]:
                continue
            d2 = 0.0
            for i in range(4):
                acc = meas[j, i] - m[i]
                for k in range(i):
                    acc -= L[i, k] * y[k]
                y[i] = acc / L[i, i]
                d2 += y[i] * y[i]
            if not d2 <= CHI2INV95_4DOF:
                continue
            cost = np.float64(np.float32(1.0) - gallery_max_dot(gallery, gcount, slot, feats, j))
            if cost <= max_cos:
                er, ec, ew, ne = _push_edge(er, ec, ew, ne, r, j, limit - cost)
    if ne > 0:
        mr, mc = _solve(level_rows.shape[0], n_det, er, ec, ew, ne)
        for k in range(mr.shape[0]):
            t = level_rows[mr[k]]
            det_track[mc[k]] = t
            trk_det[t] = mc[k]
    return er, ec, ew


@njit
def _deepsort_step(mean, cov, ints, floats, counters, gallery, gcount, ghead, free,
                   boxes, scores, classes, emb, dt, params, err, pending, warp):
    """One DeepSORT frame over the track table; returns the (M, 8) output rows.  ``warp``:
    the (3, 3) camera warp applied after the prediction, or a (0, 3) array for none."""
    max_cos = params[_P_MAX_COS]
    max_iou = params[_P_MAX_IOU]
    max_age = params[_P_MAX_AGE]
    n_init = params[_P_N_INIT]
    per_class = params[_P_PER_CLASS] != 0.0
    n = counters[N]
    n_det = boxes.shape[0]

    feats = np.empty(emb.shape, np.float32)
    bad = normalize_rows(emb, feats)
    if bad >= 0:
        err[0] = 1
        err[1] = bad
        return np.empty((0, 8))

    # 1. predict
    for t in range(n):
        xyah_predict_row(mean, cov, t, dt)
    mark_predicted(ints, floats, n, dt)
    if warp.shape[0] == 3:
        xyah_warp_rows(mean, cov, n, warp)

    # detections as measurements (x, y, a, h) and as (top-left, size)
    meas = np.empty((n_det, 4))
    for j in range(n_det):
        w = boxes[j, 2] - boxes[j, 0]
        h = boxes[j, 3] - boxes[j, 1]
        meas[j, 0] = boxes[j, 0] + w / 2.0
        meas[j, 1] = boxes[j, 1] + h / 2.0
        meas[j, 2] = w / h if h > 0.0 else 0.0
        meas[j, 3] = h
    order = np.argsort(meas[:, 0])
    sorted_x = meas[order, 0]

    # track row matched to each detection; -1 free, -2 a box of zero height (no
    # (x, y, a, h) measurement: such detections neither match nor start tracks)
    det_track = np.full(n_det, -1, np.int64)
    n_left = n_det
    for j in range(n_det):
        if not meas[j, 3] > 0.0:
            det_track[j] = -2
            n_left -= 1
    trk_det = np.full(n, -1, np.int64)

    # 2. matching cascade over confirmed tracks, most recently seen first
    levels = np.empty(n, np.int64)
    n_conf = 0
    for t in range(n):
        if ints[t, STATE] == CONFIRMED and floats[t, TSU] <= max_age + _EPS:
            lv = np.int64(np.ceil(floats[t, TSU] - _EPS))
            levels[n_conf] = max(lv, 1) * (n + 1) + t  # level-major, then table order
            n_conf += 1
    cand = np.sort(levels[:n_conf])
    er = np.empty(64, np.int64)
    ec = np.empty(64, np.int64)
    ew = np.empty(64)
    work = np.empty(40)  # gating scratch of _cascade_level
    start = 0
    while start < n_conf and n_left > 0:
        lv = cand[start] // (n + 1)
        stop = start
        while stop < n_conf and cand[stop] // (n + 1) == lv:
            stop += 1
        level_rows = np.empty(stop - start, np.int64)
        for k in range(start, stop):
            level_rows[k - start] = cand[k] % (n + 1)
        er, ec, ew = _cascade_level(mean, cov, ints, level_rows, meas, order, sorted_x, classes, feats,
                                    gallery, gcount, det_track, trk_det, max_cos, per_class, er, ec, ew,
                                    work)
        n_left = 0
        for j in range(n_det):
            if det_track[j] == -1:
                n_left += 1
        start = stop

    # 3. IoU matching: tentative tracks, then confirmed ones seen in the previous call
    if n_left > 0:
        rows = np.empty(n, np.int64)
        nr = 0
        for t in range(n):
            if ints[t, STATE] == TENTATIVE:
                rows[nr] = t
                nr += 1
        for t in range(n):
            if ints[t, STATE] == CONFIRMED and trk_det[t] < 0 and floats[t, TSU] <= dt:
                rows[nr] = t
                nr += 1
        ne = 0
        limit = max_iou + 1e-5
        if max_iou < 1.0 - 1e-9:
            # Only overlapping pairs can pass (IoU >= 1 - max_iou > 0): find them with the
            # sparse overlap sweep, O((T + D) log D + pairs), then cost them exactly as below.
            er, ec, ew, ne = _iou_edges_sparse(mean, ints, rows[:nr], boxes, classes, det_track,
                                               per_class, max_iou, limit, er, ec, ew)
        else:  # max_iou_distance = 1: every pair is a candidate (dense by definition)
            for r in range(nr):
                t = rows[r]
                th = mean[t, 3]
                tw = mean[t, 2] * th
                tx = mean[t, 0] - tw / 2.0
                ty = mean[t, 1] - th / 2.0
                for j in range(n_det):
                    if det_track[j] != -1:
                        continue
                    if per_class and classes[j] != ints[t, CLASS]:
                        continue
                    cost = 1.0 - _iou_tlwh(tx, ty, tw, th, boxes[j, 0], boxes[j, 1],
                                           boxes[j, 2] - boxes[j, 0], boxes[j, 3] - boxes[j, 1])
                    if cost <= max_iou:
                        er, ec, ew, ne = _push_edge(er, ec, ew, ne, r, j, limit - cost)
        if ne > 0:
            mr, mc = _solve(nr, n_det, er, ec, ew, ne)
            for k in range(mr.shape[0]):
                t = rows[mr[k]]
                det_track[mc[k]] = t
                trk_det[t] = mc[k]

    # 4. update matched tracks, delete lost ones (their gallery slots are freed)
    keep = np.ones(n, np.bool_)
    dropped = False
    n_free = gallery.shape[0] - n
    for t in range(n):
        d = trk_det[t]
        if d >= 0:
            xyah_update(mean, cov, t, boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3])
            mark_hit(ints, floats, t, d, classes[d], scores[d])
            gallery_append(gallery, gcount, ghead, ints[t, SLOT], feats, d)
            if ints[t, STATE] == TENTATIVE and ints[t, HITS] >= n_init:
                ints[t, STATE] = CONFIRMED
        elif ints[t, STATE] == TENTATIVE or floats[t, TSU] > max_age + _EPS:
            keep[t] = False
            dropped = True
            free[n_free] = ints[t, SLOT]
            n_free += 1
    if dropped:
        n = compact(mean, cov, ints, floats, n, keep)
    counters[N] = n
    n_new = 0
    for j in range(n_det):
        if det_track[j] == -1:
            n_new += 1
    if n_new > n_free:
        err[0] = 2  # the caller grows the galleries, then calls _start_and_report
        err[1] = n_new
        pending[:n_det] = det_track
        return np.empty((0, 8))
    return _start_and_report(mean, cov, ints, floats, counters, gallery, gcount, ghead, free,
                             boxes, scores, classes, feats, det_track, dt)


@njit
def _start_and_report(mean, cov, ints, floats, counters, gallery, gcount, ghead, free,
                      boxes, scores, classes, feats, det_track, dt):
    """Steps 4 (new tracks for unmatched detections) and 5 (the output rows)."""
    n = counters[N]
    next_id = counters[NEXT_ID]
    n_free = gallery.shape[0] - n
    for j in range(boxes.shape[0]):
        if det_track[j] == -1:
            xyah_initiate(mean, cov, n, boxes[j, 0], boxes[j, 1], boxes[j, 2], boxes[j, 3])
            start_track(ints, floats, n, next_id, 1, TENTATIVE, classes[j], j, scores[j])
            n_free -= 1
            slot = free[n_free]
            ints[n, SLOT] = slot
            gcount[slot] = 0
            ghead[slot] = 0
            gallery_append(gallery, gcount, ghead, slot, feats, j)
            next_id += 1
            n += 1
    counters[N] = n
    counters[NEXT_ID] = next_id
    # 5. report confirmed tracks updated now or in the previous call
    out = np.empty((n, 8))
    m = 0
    for t in range(n):
        if ints[t, STATE] == CONFIRMED and floats[t, TSU] <= dt:
            out[m, 0], out[m, 1], out[m, 2], out[m, 3] = xyah_box(mean, t)
            out[m, 4] = ints[t, ID]
            out[m, 5] = floats[t, SCORE]
            out[m, 6] = ints[t, CLASS]
            out[m, 7] = ints[t, DET]
            m += 1
    return out[:m]


@register_tracker("deepsort")
class DeepSORT(Tracker):
    """DeepSORT (Wojke et al. 2017): Kalman motion, appearance galleries, a matching cascade.

    Every non-empty frame needs appearance embeddings (``Detections.embeddings``).

    Parameters
    ----------
    max_cosine_distance : float, default 0.2
        Largest cosine distance (``1 - cos``, in [0, 2]) between a detection's
        descriptor and the nearest descriptor of a track's gallery for an appearance
        match.  Higher values re-identify objects across larger changes of pose or
        light, but let similar-looking objects swap identities; lower values avoid
        swaps but fall back to IoU (or new tracks, i.e. identity switches) more often.
    nn_budget : int, default 100
        Descriptors kept per track (the most recent ones).  More makes the metric
        robust to temporary appearance changes, at ``nn_budget * D * 4`` bytes per
        track and proportionally more time per candidate pair; fewer is faster and
        adapts quicker, but forgets how an object looked before an occlusion.
    max_iou_distance : float, default 0.7
        Largest ``1 - IoU`` for the motion-only matching of new tracks and of tracks
        seen in the previous frame.  Higher values keep tracks of fast or jittery
        objects, but can attach a track to a neighbouring object.
    max_age : float, default 30
        Frames (time, with timestamps) a confirmed track survives without a detection,
        and the depth of the matching cascade.  Longer bridges longer occlusions (the
        appearance metric and the gate then re-identify the object), but keeps dead
        tracks around with growing, less selective gates.
    n_init : int, default 3
        Detections before a new track is confirmed (reported and matched by
        appearance).  A tentative track missing a single frame is deleted.  Higher
        values suppress tracks from spurious detections but report real objects later.
    frame_rate : float, default 30
        Nominal frames per second; converts timestamps to frames.
    per_class : bool, default False
        Only match detections of the track's class.
    output_box : {"kalman", "detection"}, default "kalman"
        Which box a matched track reports: its Kalman state (the original's) or the
        detection that updated it this frame.
    """

    embeddings = "required"
    supports_camera_motion = True
    #: deep_sort_app's ``min_confidence`` on MOTChallenge.
    default_min_score = 0.3
    #: deep_sort_app hands detections over in descending score order (its NMS sorts them).
    feed_order = "score"

    _state_attrs = ("tracks", "gallery", "gallery_count", "gallery_head", "free_slots", "embedding_dim")

    def __init__(self, max_cosine_distance: float = 0.2, nn_budget: int = 100,
                 max_iou_distance: float = 0.7, max_age: float = 30, n_init: int = 3, *,
                 frame_rate: float = 30.0, per_class: bool = False, output_box: str = "kalman") -> None:
        super().__init__(frame_rate=frame_rate, per_class=per_class, output_box=output_box)
        self.max_cosine_distance = check_number("max_cosine_distance", max_cosine_distance, low=0.0, high=2.0)
        if nn_budget is None:
            raise ValueError("nn_budget: expected a whole number >= 1 (an unbounded gallery is not supported)")
        self.nn_budget = check_number("nn_budget", nn_budget, low=1, integer=True)
        self.max_iou_distance = check_number("max_iou_distance", max_iou_distance, low=0.0, high=1.0)
        self.max_age = check_number("max_age", max_age, low=0)
        self.n_init = check_number("n_init", n_init, low=0, integer=True)
        self._params = np.array([self.max_cosine_distance, self.max_iou_distance, float(self.max_age),
                                 float(self.n_init), float(self.per_class)])
        self._err = np.zeros(2, np.int64)
        self._pending = np.empty(64, np.int64)  # scratch: matches when galleries must grow
        self._reset()

    def _reset(self) -> None:
        self.tracks = TrackTable(XYAH_DIM, extra_int=("gallery_slot",))
        #: dimension of the embeddings (0 until the first frame that carries them)
        self.embedding_dim = 0
        self._alloc_gallery(0, 0)

    def _check_restored(self) -> None:
        """Base checks, then the galleries: shapes agree with the budget and embedding
        dimension, every live track owns a distinct slot in range, the free list holds
        exactly the other slots, fill counts and ring positions within the budget."""
        super()._check_restored()
        g, cnt, head, free = self.gallery, self.gallery_count, self.gallery_head, self.free_slots
        cap, n, dim = g.shape[0], self.tracks.n, self.embedding_dim
        if not 0 <= dim <= 1 << 20:
            raise ValueError(f"state: attrs.embedding_dim is {dim}; expected 0 .. 2**20")
        if g.shape[1:] != (self.nn_budget, dim):
            raise ValueError(f"state: attrs.gallery has shape {g.shape}; expected (slots, nn_budget "
                             f"{self.nn_budget}, embedding_dim {dim})")
        for arr, what in ((cnt, "gallery_count"), (head, "gallery_head"), (free, "free_slots")):
            if arr.shape != (cap,):
                raise ValueError(f"state: attrs.{what} has shape {arr.shape}; expected ({cap},) "
                                 "(one entry per gallery slot)")
        if n > cap or (dim == 0 and n > 0):
            raise ValueError(f"state: {n} live tracks but {cap} gallery slots of dimension {dim}")
        if cap and (cnt.min() < 0 or cnt.max() > self.nn_budget or head.min() < 0
                    or head.max() >= self.nn_budget):
            raise ValueError("state: attrs.gallery_count / gallery_head outside [0, nn_budget]")
        slots = np.concatenate([self.tracks.ints[:n, SLOT], free[:cap - n]])
        if slots.shape[0] and (slots.min() < 0 or slots.max() >= cap
                               or np.unique(slots).shape[0] != cap):
            raise ValueError(f"state: attrs.tracks gallery_slot column and attrs.free_slots must "
                             f"together hold each slot 0..{cap - 1} once")

    def _alloc_gallery(self, capacity: int, dim: int) -> None:
        self.gallery = np.zeros((capacity, self.nn_budget, dim), np.float32)
        self.gallery_count = np.zeros(capacity, np.int64)
        self.gallery_head = np.zeros(capacity, np.int64)
        self.free_slots = np.arange(capacity, dtype=np.int64)[::-1].copy()

    def _check_embeddings(self, dets: Detections) -> np.ndarray:
        """This frame's embeddings (N, D) float32; changes nothing (the first frame's
        dimension and gallery are committed by :meth:`_step` once the call is accepted)."""
        emb = dets._embeddings
        n = dets._boxes.shape[0]
        if emb is None:
            if n == 0:
                return np.empty((0, max(self.embedding_dim, 1)), np.float32)
            raise ValueError("DeepSORT needs appearance embeddings: pass Detections(..., embeddings=(N, D)) "
                             f"for every non-empty frame (got {n} detections without embeddings)")
        dim = emb.shape[1]
        if dim < 1:
            raise ValueError("embeddings: expected D >= 1 columns; got 0")
        if self.embedding_dim != 0 and dim != self.embedding_dim:
            raise ValueError(f"embeddings: dimension changed from {self.embedding_dim} to {dim}; "
                             "a tracker takes embeddings of one model")
        return emb

    def _step(self, dets: Detections, dt: float, warp: Optional[np.ndarray] = None) -> np.ndarray:
        emb = self._check_embeddings(dets)
        first = self.embedding_dim == 0 and emb.shape[0] > 0
        if first:  # the first frame with embeddings: its dimension and gallery, kept if accepted
            kept = (self.gallery, self.gallery_count, self.gallery_head, self.free_slots)
            self._alloc_gallery(16, emb.shape[1])
        tr = self.tracks
        tr.reserve(dets._boxes.shape[0])
        err = self._err
        n_det = dets._boxes.shape[0]
        if self._pending.shape[0] < n_det:
            self._pending = np.empty(2 * n_det, np.int64)
        out = _deepsort_step(
            tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, self.gallery, self.gallery_count,
            self.gallery_head, self.free_slots, dets._boxes, dets._scores, dets._class_ids, emb, dt,
            self._params, err, self._pending, _NO_WARP if warp is None else warp)
        if err[0] != 0:
            code, value = int(err[0]), int(err[1])
            err[0] = 0
            if code == 1:
                if first:
                    self.gallery, self.gallery_count, self.gallery_head, self.free_slots = kept
                raise ValueError(f"embeddings: row {value} has zero length (all zeros, or it holds "
                                 "NaN/inf); expected a non-zero, finite appearance vector")
            # More new tracks than free gallery slots: grow (by at least a quarter), then finish.
            n = int(tr.counters[N])
            cap = self.gallery.shape[0]
            (self.gallery, self.gallery_count, self.gallery_head,
             self.free_slots) = grow_gallery(self.gallery, self.gallery_count, self.gallery_head,
                                             self.free_slots, n, max(n + value, cap + cap // 4 + 8))
            feats = np.empty(emb.shape, np.float32)
            normalize_rows(emb, feats)
            out = _start_and_report(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, self.gallery,
                                    self.gallery_count, self.gallery_head, self.free_slots, dets._boxes,
                                    dets._scores, dets._class_ids, feats, self._pending[:n_det], dt)
        if first:
            self.embedding_dim = emb.shape[1]
        return out
