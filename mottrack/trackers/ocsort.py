"""OC-SORT: Observation-Centric SORT (Cao et al., CVPR 2023).

SORT's constant-velocity (u, v, s, r) Kalman filter, made robust to occlusion and
non-linear motion by trusting the detector's observations over the filter's estimates.
Each frame:

1. split the detections by score: *high* (score > ``det_thresh``) and, with
   ``use_byte``, *low* (0.1 < score < ``det_thresh``);
2. predict every track; drop tracks whose predicted box is invalid;
3. **first association (OCM)**: high detections against the predicted boxes.  If the
   pairs with IoU > ``iou_threshold`` already form a one-to-one matching they are
   taken; otherwise the assignment maximising IoU plus the momentum term is solved.
   The momentum term of a detection and a track is ``inertia * score * (pi/2 - angle) /
   pi``, ``angle`` between the track's velocity direction and the direction from its
   observation ``delta_t`` frames back to the detection (zero for a track without
   observation).  Pairs with IoU below ``iou_threshold`` are rejected;
4. with ``use_byte``, low detections against the predicted boxes of the tracks left,
   by ``asso_func`` (BYTE's second round);
5. **OCR**: the high detections left against the *last observations* of the tracks
   left, by ``asso_func``: recovers tracks that stopped because the filter drifted;
6. **ORU**: a matched track that had lost its detections re-runs its filter from the
   frame it was lost along a virtual trajectory interpolated linearly (centre, width,
   height) between its last observation and the new one, then takes the update; the
   track's velocity direction is re-estimated from its observations ``delta_t`` apart;
7. every high detection left starts a track;
8. report tracks updated this frame that have ``min_hits`` consecutive hits (all of
   them during the first ``min_hits`` frames); delete tracks not updated for more than
   ``max_age`` frames.

The reported box is the track's observation (this frame's detection), as the original
reports it (``output_box="detection"``); ``output_box="kalman"`` reports the filter's
posterior instead.  With the original's parameters the output equals noahcao/OC_SORT's
``OCSort.update`` frame by frame (boxes, tracks up to the naming of ids).  A track's
"age" is the number of frames it was predicted for: the ring of observations by age
(``delta_t`` long) and ORU's virtual trajectory count frames, so with timestamps ORU
predicts by the mean time step of the gap.

Differences from the original, all outside its reference behaviour: an empty frame
(``None`` or no rows) is a frame (the original's ``update(None)`` returns without
predicting); a new track reports its detection's box, where the original reports the
box of its initial state (r = w / (h + 1e-6): below 1e-6 px apart); a track whose last
detection has x1 + y1 + x2 + y2 + score < 0 (a box far off the top-left corner) reports
that detection, where the original's "has an observation" test makes it report the
filter's box (its velocity and momentum do follow the original's test).

Cost: the first association is dense (every detection-track pair has a momentum term),
as in the original; a problem of more than ``DENSE_LIMIT`` (2^20) pairs, e.g. thousands
of detections a frame, is solved on its pairs with IoU at or above the threshold only,
so memory and time stay bounded; there the result may differ from the original's.

Camera motion: the warp is applied after the prediction to every track's filter (see
:func:`mottrack.kalman.xysr_warp`: centre by the warp, area by its local area scale,
aspect ratio kept, centre velocity by its Jacobian), to the filter state frozen for ORU,
to the last observation and the observation ring (:func:`mottrack.geometry.warp_box`)
and to the velocity direction (by the Jacobian, norm kept).
"""
from __future__ import annotations


import numpy as np

from .._numba import njit
from ..assignment import linear_sum_assignment, max_weight_matching
from ..detections import Detections, split_rows
from ..geometry import (
    SIM_IOU,
    SIMILARITIES,
    direction_consistency_into,
    overlap_edges,
    similarity_matrix,
    speed_direction,
    warp_box,
    warp_point,
    warp_vector,
)
from ..kalman import (
    XYSR_DIM,
    XYSR_SNAPSHOT,
    xysr_initiate_z,
    xysr_load,
    xysr_predict,
    xysr_reupdate_linear,
    xysr_save,
    xysr_update_z,
    xysr_warp,
    xysr_z,
)
from ..registry import register_tracker
from ..tracks import (AGE, CLASS, N, N_FLOAT_BASE, N_INT_BASE, NEXT_ID, TENTATIVE, TSU,
                      TrackTable, clear_observations, mark_hit, mark_predicted, observation_at,
                      observation_columns, record_observation, report_xysr_tracks, start_track,
                      xysr_boxes_or_drop)
from .base import Tracker, check_number

__all__ = ["OCSORT"]

# Tracker-specific int columns.
ORU = N_INT_BASE             # ORU_NEW (no observation yet), ORU_OBSERVED, ORU_FROZEN (lost)
HIST_AGE = N_INT_BASE + 1    # age of the last filter update (real or virtual)
ORU_NEW, ORU_OBSERVED, ORU_FROZEN = 0, 1, 2
# Tracker-specific float columns.
LAST = N_FLOAT_BASE          # last observation x1, y1, x2, y2, score (-1 x 5: none)
VEL = LAST + 5               # velocity direction (dy, dx) from observations delta_t apart
HZ = VEL + 2                 # measurement (u, v, s, r) of the last filter update
FROZEN_TSU = HZ + 4          # time since update when the state was frozen
FROZEN = FROZEN_TSU + 1      # filter state of the first frame without observation
RING = FROZEN + XYSR_SNAPSHOT  # observation ring (OBS_WIDTH per slot)

INT_COLUMNS = ("oru_state", "history_age")
FLOAT_COLUMNS = (("last_x1", "last_y1", "last_x2", "last_y2", "last_score", "velocity_y", "velocity_x",
                  "history_u", "history_v", "history_s", "history_r", "frozen_tsu")
                 + tuple(f"frozen_{k}" for k in range(XYSR_SNAPSHOT)))

LOW_SCORE = 0.1    # BYTE's low detections: LOW_SCORE < score < det_thresh
H_EPS = 1e-6       # OC-SORT's aspect-ratio measurement w / (h + 1e-6)
FORBIDDEN = -1e6   # similarity of a detection and a track of another class (per_class)
MAX_DELTA_T = 256
#: Association problems with more detection-track pairs than this are solved on their
#: overlapping pairs only (memory and time bounded; the original solves them densely).
DENSE_LIMIT = 1 << 20


@njit
def _previous_obs(floats, t, age, delta_t):
    """Column of the observation ``delta_t`` frames before ``age`` (or the nearest later
    one within that window), else of the last observation (OC-SORT's k_previous_obs)."""
    for i in range(delta_t):
        c = observation_at(floats, t, RING, delta_t, age - (delta_t - i))
        if c >= 0:
            return c
    return LAST


@njit
def _observe(mean, cov, ints, floats, t, box, score, det, cls, delta_t):
    """Track ``t`` takes the detection ``box`` (4,): velocity, observations, ORU, update."""
    x1, y1, x2, y2 = box[0], box[1], box[2], box[3]
    age = ints[t, AGE]
    last_sum = floats[t, LAST] + floats[t, LAST + 1] + floats[t, LAST + 2] + floats[t, LAST + 3] + floats[t, LAST + 4]
    if last_sum >= 0.0:  # the original's test for "has an observation"
        c = _previous_obs(floats, t, age, delta_t)
        vy, vx = speed_direction(floats[t, c], floats[t, c + 1], floats[t, c + 2], floats[t, c + 3],
                                 x1, y1, x2, y2)
        floats[t, VEL] = vy
        floats[t, VEL + 1] = vx
    floats[t, LAST] = x1
    floats[t, LAST + 1] = y1
    floats[t, LAST + 2] = x2
    floats[t, LAST + 3] = y2
    floats[t, LAST + 4] = score
    record_observation(floats, t, RING, delta_t, age, x1, y1, x2, y2, score)
    zu, zv, zs, zr = xysr_z(x1, y1, x2, y2, H_EPS)
    if ints[t, ORU] == ORU_FROZEN:
        steps = age - ints[t, HIST_AGE]
        step_dt = 1.0
        if steps > 1:
            step_dt = (floats[t, TSU] - floats[t, FROZEN_TSU]) / (steps - 1)
        xysr_load(mean, cov, t, floats, t, FROZEN)
        hu, hv, hs, hr = xysr_reupdate_linear(mean, cov, t, floats[t, HZ], floats[t, HZ + 1],
                                              floats[t, HZ + 2], floats[t, HZ + 3],
                                              zu, zv, zs, zr, steps, step_dt)
    else:
        hu, hv, hs, hr = zu, zv, zs, zr
    floats[t, HZ] = hu
    floats[t, HZ + 1] = hv
    floats[t, HZ + 2] = hs
    floats[t, HZ + 3] = hr
    ints[t, HIST_AGE] = age
    ints[t, ORU] = ORU_OBSERVED
    xysr_update_z(mean, cov, t, zu, zv, zs, zr)
    mark_hit(ints, floats, t, det, cls, score)


@njit
def _miss(mean, cov, ints, floats, t):
    """Track ``t`` got no detection: freeze its filter state for ORU (first miss only)."""
    if ints[t, ORU] == ORU_OBSERVED:
        xysr_save(mean, cov, t, floats, t, FROZEN)
        floats[t, FROZEN_TSU] = floats[t, TSU]
        ints[t, ORU] = ORU_FROZEN


@njit
def _warp_track(mean, cov, ints, floats, t, H, delta_t, scratch_mean, scratch_cov):
    """Move everything track ``t`` stores from the previous frame's pixels to this frame's."""
    xysr_warp(mean, cov, t, H)
    if ints[t, ORU] == ORU_NEW:
        return
    if ints[t, ORU] == ORU_FROZEN:
        xysr_load(scratch_mean, scratch_cov, 0, floats, t, FROZEN)
        xysr_warp(scratch_mean, scratch_cov, 0, H)
        xysr_save(scratch_mean, scratch_cov, 0, floats, t, FROZEN)
    u, v, a = warp_point(H, floats[t, HZ], floats[t, HZ + 1])
    floats[t, HZ] = u
    floats[t, HZ + 1] = v
    floats[t, HZ + 2] *= a
    c = LAST
    cx = floats[t, c] + (floats[t, c + 2] - floats[t, c]) / 2.0
    cy = floats[t, c + 1] + (floats[t, c + 3] - floats[t, c + 1]) / 2.0
    vy = floats[t, VEL]
    vx = floats[t, VEL + 1]
    norm = np.sqrt(vx * vx + vy * vy)
    if norm > 0.0:
        wx, wy = warp_vector(H, cx, cy, vx, vy)
        k = norm / np.sqrt(wx * wx + wy * wy)
        floats[t, VEL] = wy * k
        floats[t, VEL + 1] = wx * k
    _warp_box_at(floats, t, LAST, H)
    for k in range(delta_t):
        c = RING + k * 6
        if floats[t, c + 5] >= 0.0:
            _warp_box_at(floats, t, c, H)


@njit
def _warp_box_at(floats, t, c, H):
    floats[t, c], floats[t, c + 1], floats[t, c + 2], floats[t, c + 3] = warp_box(
        H, floats[t, c], floats[t, c + 1], floats[t, c + 2], floats[t, c + 3])


@njit
def _unmatched_order(n_items, assigned, rejected, n_rejected):
    """OC-SORT's order of unmatched items: those the solver left out (ascending), then
    those it paired below the threshold (in the solver's pair order)."""
    out = np.empty(n_items, np.int64)
    k = 0
    for i in range(n_items):
        if not assigned[i]:
            out[k] = i
            k += 1
    for i in range(n_rejected):
        out[k] = rejected[i]
        k += 1
    return out[:k]


@njit
def associate_ocm(boxes, scores, classes, pred, trk_classes, prev, vel, iou_threshold, inertia,
                  per_class):
    """OC-SORT's first association (``associate`` in the original).

    Parameters
    ----------
    boxes : (D, 4) detections x1, y1, x2, y2; scores (D,), classes (D,)
    pred : (T, 4) predicted track boxes; trk_classes (T,)
    prev : (T, 5) each track's observation ``delta_t`` frames back (x1, y1, x2, y2,
        score; score < 0: none)
    vel : (T, 2) each track's velocity direction (dy, dx)

    Returns
    -------
    track_for_det : (D,) int64, matched track or -1
    unmatched_dets, unmatched_trks : int64 arrays in the original's order
    """
    D = boxes.shape[0]
    T = pred.shape[0]
    track_for_det = np.full(D, -1, np.int64)
    assigned_d = np.zeros(D, np.bool_)
    assigned_t = np.zeros(T, np.bool_)
    rej_d = np.empty(D, np.int64)
    rej_t = np.empty(D, np.int64)
    n_rej = 0
    if D == 0 or T == 0:
        return (track_for_det, _unmatched_order(D, assigned_d, rej_d, 0),
                _unmatched_order(T, assigned_t, rej_t, 0))
    rows, cols, ious = overlap_edges(boxes, pred)
    if per_class:
        keep = np.empty(rows.shape[0], np.bool_)
        for e in range(rows.shape[0]):
            keep[e] = classes[rows[e]] == trk_classes[cols[e]]
        rows, cols, ious = rows[keep], cols[keep], ious[keep]
    # Is "IoU > threshold" already one-to-one?  (thresholds < 0 count every pair)
    one_to_one = D == 1 and T == 1
    if iou_threshold >= 0.0:
        above_d = np.zeros(D, np.int64)
        above_t = np.zeros(T, np.int64)
        for e in range(rows.shape[0]):
            if ious[e] > iou_threshold:
                above_d[rows[e]] += 1
                above_t[cols[e]] += 1
        one_to_one = above_d.max() == 1 and above_t.max() == 1
    if one_to_one:
        if iou_threshold < 0.0:
            track_for_det[0] = 0
            assigned_d[0] = True
            assigned_t[0] = True
        for e in range(rows.shape[0]):
            if ious[e] > iou_threshold:
                track_for_det[rows[e]] = cols[e]
                assigned_d[rows[e]] = True
                assigned_t[cols[e]] = True
        return (track_for_det, _unmatched_order(D, assigned_d, rej_d, 0),
                _unmatched_order(T, assigned_t, rej_t, 0))
    useful = iou_threshold <= 0.0
    for e in range(rows.shape[0]):
        if ious[e] >= iou_threshold:
            useful = True
    if not useful:  # every pair the solver could pick would be rejected
        return (track_for_det, _unmatched_order(D, assigned_d, rej_d, 0),
                _unmatched_order(T, assigned_t, rej_t, 0))
    if D * T > DENSE_LIMIT:
        return _ocm_sparse(boxes, scores, classes, trk_classes, prev, vel, rows, cols, ious,
                           iou_threshold, inertia, per_class, track_for_det, assigned_d, assigned_t)
    # Dense problem: maximise IoU + momentum, the momentum term
    # ((valid * angle_term) * inertia) * score, summed with the IoU as the original does.
    cost = np.empty((D, T))
    direction_consistency_into(cost, boxes, prev, vel[:, 0].copy(), vel[:, 1].copy())
    valid = np.empty(T)
    for t in range(T):
        valid[t] = 1.0 if prev[t, 4] >= 0.0 else 0.0
    for d in range(D):
        sd = scores[d]
        row = cost[d]
        for t in range(T):
            row[t] = -(((valid[t] * row[t]) * inertia) * sd)
    for e in range(rows.shape[0]):
        cost[rows[e], cols[e]] = -(ious[e] + -cost[rows[e], cols[e]])
    if per_class:
        for d in range(D):
            for t in range(T):
                if classes[d] != trk_classes[t]:
                    cost[d, t] = -FORBIDDEN
    # first edge of each detection's row (edges are sorted by row, then column)
    start = np.zeros(D + 1, np.int64)
    for e in range(rows.shape[0]):
        start[rows[e] + 1] += 1
    for d in range(D):
        start[d + 1] += start[d]
    rr, cc = linear_sum_assignment(cost)
    for k in range(rr.shape[0]):
        d = rr[k]
        t = cc[k]
        assigned_d[d] = True
        assigned_t[t] = True
        iou = 0.0
        for e in range(start[d], start[d + 1]):
            if cols[e] == t:
                iou = ious[e]
        if iou < iou_threshold or (per_class and classes[d] != trk_classes[t]):
            rej_d[n_rej] = d
            rej_t[n_rej] = t
            n_rej += 1
        else:
            track_for_det[d] = t
    return (track_for_det, _unmatched_order(D, assigned_d, rej_d, n_rej),
            _unmatched_order(T, assigned_t, rej_t, n_rej))


@njit
def _ocm_sparse(boxes, scores, classes, trk_classes, prev, vel, rows, cols, ious, iou_threshold,
                inertia, per_class, track_for_det, assigned_d, assigned_t):
    """:func:`associate_ocm` for problems above ``DENSE_LIMIT`` pairs: the pairs with IoU at or
    above the threshold, weighted IoU + momentum, matched by maximum weight (the momentum
    of the pairs that could never be accepted is left out: bounded cost, not the original's
    choice in every case)."""
    D = boxes.shape[0]
    T = prev.shape[0]
    keep = np.zeros(rows.shape[0], np.bool_)
    for e in range(rows.shape[0]):
        keep[e] = ious[e] >= iou_threshold and not (per_class and classes[rows[e]] != trk_classes[cols[e]])
    er, ec, ev = rows[keep], cols[keep], ious[keep]
    m = er.shape[0]
    ang = np.empty((1, 1))
    w = np.empty(m)
    good = np.zeros(m, np.bool_)
    for e in range(m):
        t = ec[e]
        direction_consistency_into(ang, boxes[er[e]:er[e] + 1], prev[t:t + 1], vel[t:t + 1, 0].copy(),
                                   vel[t:t + 1, 1].copy())
        valid = 1.0 if prev[t, 4] >= 0.0 else 0.0
        w[e] = ev[e] + ((valid * ang[0, 0]) * inertia) * scores[er[e]]
        good[e] = w[e] > 0.0
    mr, mc = max_weight_matching(D, T, er[good], ec[good], w[good])
    for k in range(mr.shape[0]):
        track_for_det[mr[k]] = mc[k]
        assigned_d[mr[k]] = True
        assigned_t[mc[k]] = True
    empty = np.empty(0, np.int64)
    return (track_for_det, _unmatched_order(D, assigned_d, empty, 0),
            _unmatched_order(T, assigned_t, empty, 0))


@njit
def associate_remaining(kind, det_boxes, det_classes, dets, trk_boxes, trk_classes, trks,
                        iou_threshold, per_class):
    """OC-SORT's later rounds (BYTE, OCR): detections ``dets`` (rows of det_boxes) against
    tracks ``trks`` (rows of trk_boxes) by similarity ``kind``; solved only when some pair
    is above the threshold (a NaN similarity anywhere skips the round, as in the original).

    Returns (det_rows, trk_rows) of the accepted pairs in detection order, and whether
    the round was solved.
    """
    D = dets.shape[0]
    T = trks.shape[0]
    a = np.empty((D, 4))
    b = np.empty((T, 4))
    for i in range(D):
        a[i] = det_boxes[dets[i]]
    for j in range(T):
        b[j] = trk_boxes[trks[j]]
    if D * T > DENSE_LIMIT:
        return _remaining_sparse(kind, a, b, det_classes, dets, trk_classes, trks, iou_threshold,
                                 per_class)
    sim = similarity_matrix(kind, a, b)
    top = -np.inf
    nan = False
    for i in range(D):
        for j in range(T):
            if per_class and det_classes[dets[i]] != trk_classes[trks[j]]:
                sim[i, j] = FORBIDDEN
            v = sim[i, j]
            if np.isnan(v):
                nan = True
            elif v > top:
                top = v
    if nan or not top > iou_threshold:
        return np.empty(0, np.int64), np.empty(0, np.int64), False
    for i in range(D):
        for j in range(T):
            sim[i, j] = -sim[i, j]
    rr, cc = linear_sum_assignment(sim)
    md = np.empty(rr.shape[0], np.int64)
    mt = np.empty(rr.shape[0], np.int64)
    k = 0
    for p in range(rr.shape[0]):
        if -sim[rr[p], cc[p]] >= iou_threshold:
            md[k] = dets[rr[p]]
            mt[k] = trks[cc[p]]
            k += 1
    return md[:k], mt[:k], True


@njit
def _remaining_sparse(kind, a, b, det_classes, dets, trk_classes, trks, iou_threshold, per_class):
    """:func:`associate_remaining` for rounds too large to solve densely: only overlapping
    pairs at or above the threshold are candidates (exact for IoU up to ties; other
    similarities lose their pairs of disjoint boxes)."""
    rows, cols, ious = overlap_edges(a, b)
    keep = np.zeros(rows.shape[0], np.bool_)
    w = np.empty(rows.shape[0])
    for e in range(rows.shape[0]):
        v = ious[e] if kind == SIM_IOU else similarity_matrix(kind, a[rows[e]:rows[e] + 1],
                                                              b[cols[e]:cols[e] + 1])[0, 0]
        w[e] = v
        keep[e] = (v >= iou_threshold and v > 0.0
                   and not (per_class and det_classes[dets[rows[e]]] != trk_classes[trks[cols[e]]]))
    if not keep.any():
        return np.empty(0, np.int64), np.empty(0, np.int64), False
    mr, mc = max_weight_matching(a.shape[0], b.shape[0], rows[keep], cols[keep], w[keep])
    md = np.empty(mr.shape[0], np.int64)
    mt = np.empty(mr.shape[0], np.int64)
    for k in range(mr.shape[0]):
        md[k] = dets[mr[k]]
        mt[k] = trks[mc[k]]
    return md, mt, True


@njit
def _remove(items, taken, n_total):
    """``np.setdiff1d(items, taken)``: the items not taken, ascending."""
    mask = np.zeros(n_total, np.bool_)
    for i in range(items.shape[0]):
        mask[items[i]] = True
    for i in range(taken.shape[0]):
        mask[taken[i]] = False
    return np.flatnonzero(mask)


@njit
def _ocsort_step(mean, cov, ints, floats, counters, boxes, scores, classes, dt, frame_count, params,
                 warp, has_warp):
    """One OC-SORT frame over the track table; returns the (M, 8) output rows."""
    max_age = params[0]
    min_hits = params[1]
    iou_threshold = params[2]
    delta_t = int(params[3])
    kind = int(params[4])
    inertia = params[5]
    use_byte = params[6] != 0.0
    per_class = params[7] != 0.0
    det_thresh = params[8]
    n = counters[N]
    next_id = counters[NEXT_ID]
    nd = boxes.shape[0]
    # 1. high and low detections
    n_hi = 0
    n_lo = 0
    hi = np.empty(nd, np.int64)
    lo = np.empty(nd, np.int64)
    for d in range(nd):
        if scores[d] > det_thresh:
            hi[n_hi] = d
            n_hi += 1
        elif use_byte and LOW_SCORE < scores[d] < det_thresh:
            lo[n_lo] = d
            n_lo += 1
    hi = hi[:n_hi]
    lo = lo[:n_lo]
    # 2. predict (camera motion after the prediction), drop invalid boxes
    xysr_predict(mean, cov, n, dt)
    mark_predicted(ints, floats, n, dt)
    if has_warp:
        sm = np.empty((1, XYSR_DIM))
        sc = np.empty((1, XYSR_DIM, XYSR_DIM))
        for t in range(n):
            _warp_track(mean, cov, ints, floats, t, warp, delta_t, sm, sc)
    pred, n = xysr_boxes_or_drop(mean, cov, ints, floats, n)
    # 3. first association: high detections, IoU + momentum
    prev = np.empty((n, 5))
    vel = np.empty((n, 2))
    last = np.empty((n, 4))
    for t in range(n):
        c = _previous_obs(floats, t, ints[t, AGE], delta_t)
        for k in range(5):
            prev[t, k] = floats[t, c + k]
        vel[t, 0] = floats[t, VEL]
        vel[t, 1] = floats[t, VEL + 1]
        for k in range(4):
            last[t, k] = floats[t, LAST + k]
    hb = np.empty((n_hi, 4))
    hs = np.empty(n_hi)
    hc = np.empty(n_hi, np.int64)
    for i in range(n_hi):
        hb[i] = boxes[hi[i]]
        hs[i] = scores[hi[i]]
        hc[i] = classes[hi[i]]
    track_for_det, udets, utrks = associate_ocm(hb, hs, hc, pred, ints[:n, CLASS], prev, vel,
                                                iou_threshold, inertia, per_class)
    for i in range(n_hi):
        t = track_for_det[i]
        if t >= 0:
            d = hi[i]
            _observe(mean, cov, ints, floats, t, boxes[d], scores[d], d, classes[d], delta_t)
    # 4. BYTE: low detections against the predicted boxes of the tracks left
    if n_lo > 0 and utrks.shape[0] > 0:
        md, mt, ran = associate_remaining(kind, boxes, classes, lo, pred, ints[:n, CLASS], utrks,
                                          iou_threshold, per_class)
        for k in range(md.shape[0]):
            d = md[k]
            _observe(mean, cov, ints, floats, mt[k], boxes[d], scores[d], d, classes[d], delta_t)
        if ran:
            utrks = _remove(utrks, mt, n)
    # 5. OCR: high detections left against the last observations of the tracks left
    if udets.shape[0] > 0 and utrks.shape[0] > 0:
        md, mt, ran = associate_remaining(kind, hb, hc, udets, last, ints[:n, CLASS], utrks,
                                          iou_threshold, per_class)
        for k in range(md.shape[0]):
            d = hi[md[k]]
            _observe(mean, cov, ints, floats, mt[k], boxes[d], scores[d], d, classes[d], delta_t)
        if ran:
            udets = _remove(udets, md, n_hi)
            utrks = _remove(utrks, mt, n)
    # 6. the tracks left freeze their filter state for ORU
    for k in range(utrks.shape[0]):
        _miss(mean, cov, ints, floats, utrks[k])
    # 7. new tracks
    for i in range(udets.shape[0]):
        d = hi[udets[i]]
        zu, zv, zs, zr = xysr_z(boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3], H_EPS)
        xysr_initiate_z(mean, cov, n, zu, zv, zs, zr)
        start_track(ints, floats, n, next_id, 0, TENTATIVE, classes[d], d, scores[d])
        for k in range(5):
            floats[n, LAST + k] = -1.0
        clear_observations(floats, n, RING, delta_t)
        next_id += 1
        n += 1
    # 8. report and delete
    out, n = report_xysr_tracks(mean, cov, ints, floats, n, frame_count, min_hits, max_age, True)
    counters[N] = n
    counters[NEXT_ID] = next_id
    return out


@njit
def _ocsort_step_rows(mean, cov, ints, floats, counters, rows, dt, frame_count, params, warp, err):
    """:func:`_ocsort_step` on an (N, 5|6) array, validated first (error into ``err``); with
    ``params[9]`` set, reported boxes are the detections' (``output_box="detection"``)."""
    boxes, scores, classes, code, _row, _col = split_rows(rows, False)
    err[0] = code
    if code != 0:
        return np.empty((0, 8))
    out = _ocsort_step(mean, cov, ints, floats, counters, boxes, scores, classes, dt, frame_count,
                       params, warp, False)
    if params[9] != 0.0:
        for m in range(out.shape[0]):
            d = int(out[m, 7])
            for k in range(4):
                out[m, k] = boxes[d, k]
    return out


@register_tracker("ocsort")
class OCSORT(Tracker):
    """OC-SORT (Cao et al. 2023): SORT with observation-centric re-update, momentum and recovery.

    Parameters
    ----------
    det_thresh : float, default 0.6
        Detections with score > ``det_thresh`` are associated and start tracks; with
        ``use_byte`` those with 0.1 < score < ``det_thresh`` may continue tracks.
    max_age : float, default 30
        Frames a track survives without a detection (ORU bridges such gaps).
    min_hits : int, default 3
        Consecutive matched frames before a track is reported (except during the first
        ``min_hits`` frames).
    iou_threshold : float, default 0.3
        Minimum IoU (or ``asso_func`` similarity in the BYTE and OCR rounds) to match.
    delta_t : int, default 3
        Frames between the two observations a track's velocity direction is taken from
        (0 to 256).  Larger values give steadier directions, slower to follow turns.
    asso_func : {"iou", "giou", "ciou", "diou", "ct_dist"}, default "iou"
        Similarity of the BYTE and OCR rounds (the first round is always IoU + momentum,
        as in the original).  GIoU/DIoU/CIoU are rescaled to (0, 1), ``ct_dist`` is
        1 - centre distance / the largest centre distance of the round.
    inertia : float, default 0.2
        Weight of the velocity-direction (momentum) term; 0 disables OCM.
    use_byte : bool, default False
        Also associate low-score detections (BYTE) before OCR.
    frame_rate : float, default 30
        Nominal frames per second; only used to convert timestamps to frames.
    per_class : bool, default False
        Only match detections of the track's class.
    output_box : {"detection", "kalman"}, default "detection"
        The box a reported track has: this frame's detection (the original's) or the
        Kalman posterior.
    """

    supports_camera_motion = True
    _state_attrs = ("tracks",)

    def __init__(self, det_thresh: float = 0.6, max_age: float = 30, min_hits: int = 3,
                 iou_threshold: float = 0.3, delta_t: int = 3, asso_func: str = "iou",
                 inertia: float = 0.2, use_byte: bool = False, *, frame_rate: float = 30.0,
                 per_class: bool = False, output_box: str = "detection") -> None:
        super().__init__(frame_rate=frame_rate, per_class=per_class, output_box=output_box)
        self.det_thresh = check_number("det_thresh", det_thresh, low=-1e300, high=1e300)
        self.max_age = check_number("max_age", max_age, low=0)
        self.min_hits = check_number("min_hits", min_hits, low=0, integer=True)
        self.iou_threshold = check_number("iou_threshold", iou_threshold, low=0.0, high=1.0)
        self.delta_t = check_number("delta_t", delta_t, low=0, high=MAX_DELTA_T, integer=True)
        if not isinstance(asso_func, str) or asso_func not in SIMILARITIES:
            raise ValueError(f"asso_func: expected one of {', '.join(map(repr, SIMILARITIES))}; "
                             f"got {asso_func!r}")
        self.asso_func = asso_func
        self.inertia = check_number("inertia", inertia, low=-1e6, high=1e6)
        if not isinstance(use_byte, (bool, np.bool_)) and use_byte not in (0, 1):
            raise TypeError(f"use_byte: expected a bool; got {use_byte!r}")
        self.use_byte = bool(use_byte)
        self.tracks = TrackTable(XYSR_DIM, INT_COLUMNS, FLOAT_COLUMNS + observation_columns(self.delta_t))
        self._params = np.array([self.max_age, self.min_hits, self.iou_threshold, self.delta_t,
                                 SIMILARITIES.index(asso_func), self.inertia, float(self.use_byte),
                                 float(self.per_class), self.det_thresh,
                                 float(self.output_box == "detection")])
        self._no_warp = np.eye(3)

    def _step(self, dets: Detections, dt: float, warp: np.ndarray) -> np.ndarray:
        tr = self.tracks
        tr.reserve(dets._boxes.shape[0])
        has = warp.shape[0] == 3  # else NO_WARP
        return _ocsort_step(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, dets._boxes,
                            dets._scores, dets._class_ids, dt, self.frame_count, self._params,
                            warp if has else self._no_warp, has)

    _rows_fast_path = True
    _rows_output_box = True

    def _step_rows(self, rows: np.ndarray, dt: float, warp: np.ndarray) -> np.ndarray:
        """The fused step on plain rows; only called without a warp (``_rows_fast_path_warp``
        is False, so camera-motion frames take ``_step``)."""
        tr = self.tracks
        if tr.counters[N] + rows.shape[0] > tr.mean.shape[0]:
            tr.reserve(rows.shape[0])
        return _ocsort_step_rows(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, rows, dt,
                                 self.frame_count, self._params, self._no_warp, self._err)

    def _reset(self) -> None:
        self.tracks.reset()

    def _check_restored(self) -> None:
        super()._check_restored()
        tr = self.tracks
        n = tr.n
        ints = tr.ints[:n]
        bad = (ints[:, ORU] < ORU_NEW) | (ints[:, ORU] > ORU_FROZEN)
        if bad.any():
            raise ValueError(f"state: attrs.tracks column oru_state must be 0, 1 or 2; got "
                             f"{int(ints[bad, ORU][0])}")
        age = ints[:, AGE]
        if (age < 0).any():
            raise ValueError("state: attrs.tracks column age must be >= 0")
        frozen = ints[:, ORU] == ORU_FROZEN
        gap = age - ints[:, HIST_AGE]
        if (frozen & ((gap < 1) | (ints[:, HIST_AGE] < 0))).any():
            raise ValueError("state: attrs.tracks column history_age must be below age (and >= 0) "
                             "for a lost track")
        f = tr.floats[:n]
        if (f[:, HZ + 2] <= 0)[ints[:, ORU] != ORU_NEW].any() or (f[:, HZ + 3] <= 0)[ints[:, ORU] != ORU_NEW].any():
            raise ValueError("state: attrs.tracks columns history_s and history_r must be > 0")
