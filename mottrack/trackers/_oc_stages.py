"""The stages of observation-centric trackers (OC-SORT, Hybrid-SORT), compiled, one concept each.

Both trackers keep SORT's (u, v, s, r) Kalman filter in ``mean[:, :7]`` of a
:class:`~mottrack.tracks.TrackTable` (Hybrid-SORT adds its confidence filter after it)
and these float columns after the shared ones:

``LAST`` (5)
    the last observation x1, y1, x2, y2, score (-1 x 5: none yet);
``VEL`` (``vw``)
    velocity directions (dy, dx) from past observations: OC-SORT's centre direction
    (``vw = 2``) or Hybrid-SORT's four corner directions (``vw = 8``, in the order of
    :data:`mottrack.geometry.CORNERS`);
then, at offsets :func:`columns` gives for that ``vw``: ``HZ`` (4) the measurement of the
last filter update (real or virtual), ``FROZEN_TSU`` and ``FROZEN`` (17) the filter state
frozen at the first frame without observation (for ORU), and the observation ring
(``delta_t`` slots, :func:`mottrack.tracks.record_observation`).  Int columns ``ORU``
(new / observed / frozen) and ``HIST_AGE`` (age of the last filter update).

A frame runs:

1. :func:`split_by_score` — high (score > det_thresh) and, with BYTE, low detections;
2. :func:`predict_tracks` — predict every track, then :func:`warp_track` (camera motion
   to every stored box, direction and filter state); the caller drops invalid boxes;
3. :func:`track_views` — each track's observation ``delta_t`` back, directions, last box;
4. :func:`associate_momentum` — first round: similarity (IoU or HMIoU) plus the
   direction-consistency (OCM) term, optionally minus a confidence term (TCM);
5. :func:`associate_remaining` — the BYTE round (low detections against predicted
   boxes) and the OCR round (high detections left against last observations);
6. :func:`observe_box` for every match (ORU re-update along the virtual trajectory,
   then the update), :func:`freeze_lost` for every track left;
7. :func:`birth` for every high detection left;
8. :func:`mottrack.tracks.report_xysr_tracks` — report and delete.
"""
from __future__ import annotations

import numpy as np

from .._numba import njit
from ..assignment import linear_sum_assignment, max_weight_matching
from ..detections import split_rows
from ..geometry import (
    CORNERS,
    SIM_HMIOU,
    SIM_IOU,
    arccos_into,
    corner_consistency_into,
    corner_direction,
    has_warp,
    direction_consistency_into,
    height_overlap,
    overlap_edges,
    same_class_edges,
    similarity_matrix,
    speed_direction,
    warp_box,
    warp_point,
    warp_vector,
)
from ..kalman import (XYSR_DIM, XYSR_SNAPSHOT, conf_initiate, conf_load, conf_predict_row,
                      conf_reupdate_linear, conf_save, conf_update, xysr_initiate_z, xysr_load,
                      xysr_predict, xysr_reupdate_linear, xysr_save, xysr_update_z, xysr_warp, xysr_z)
from ..tracks import (AGE, CLASS, N, N_FLOAT_BASE, N_INT_BASE, NEXT_ID, OBS_WIDTH, SCORE, TENTATIVE, TSU,
                      clear_observations, mark_hit, mark_predicted, observation_at, record_observation,
                      report_xysr_tracks, start_track, xysr_boxes_or_drop)

# Int columns.
ORU = N_INT_BASE             # ORU_NEW (no observation yet), ORU_OBSERVED, ORU_FROZEN (lost)
HIST_AGE = N_INT_BASE + 1    # age of the last filter update (real or virtual)
ORU_NEW, ORU_OBSERVED, ORU_FROZEN = 0, 1, 2
INT_COLUMNS = ("oru_state", "history_age")
# Float columns (see the module docstring; the rest depend on the velocity width).
LAST = N_FLOAT_BASE
VEL = LAST + 5

CENTRE_VW, CORNER_VW = 2, 8  # direction columns: OC-SORT's centre, Hybrid-SORT's four corners
CONF = XYSR_DIM    # Hybrid-SORT: its confidence filter's (c, c') columns of the Kalman state
#: Hybrid-SORT's float columns after the observation ring: the previous score
#: (confidence_pre, 0: none), the last (virtual) confidence measurement, and the
#: confidence filter frozen for ORU (CONF_SNAPSHOT numbers).
CONF_PRE, HISTORY_C, FROZEN_C = 0, 1, 2

# Slots of the parameter vector of :func:`oc_frame`.
P_MAX_AGE, P_MIN_HITS, P_IOU_THRESHOLD, P_DELTA_T, P_KIND, P_INERTIA, P_USE_BYTE, P_PER_CLASS = range(8)
P_DET_THRESH, P_DETECTION_BOX, P_FIRST_KIND, P_TCM_FIRST, P_TCM_BYTE = range(8, 13)
N_PARAMS = 13

LOW_SCORE = 0.1    # BYTE's low detections: LOW_SCORE < score < det_thresh
LOW_CONF = 0.1     # lower clip of Hybrid-SORT's BYTE-round confidence estimate
H_EPS = 1e-6       # the originals' aspect-ratio measurement w / (h + 1e-6)
FORBIDDEN = -1e6   # similarity of a detection and a track of another class (per_class)
#: Association problems with more detection-track pairs than this are solved on their
#: overlapping pairs only (memory and time bounded; the originals solve them densely).
DENSE_LIMIT = 1 << 20


def float_columns(vel_names: tuple) -> tuple:
    """Names of the float columns up to the observation ring, for direction columns
    ``vel_names`` (their number is ``vw``)."""
    return (("last_x1", "last_y1", "last_x2", "last_y2", "last_score") + tuple(vel_names)
            + ("history_u", "history_v", "history_s", "history_r", "frozen_tsu")
            + tuple(f"frozen_{k}" for k in range(XYSR_SNAPSHOT)))


@njit
def columns(vw):
    """(HZ, FROZEN_TSU, FROZEN, RING): the columns after ``vw`` direction columns."""
    hz = VEL + vw
    return hz, hz + 4, hz + 5, hz + 5 + XYSR_SNAPSHOT


# ----------------------------------------------------------------------------- 1. split
@njit
def split_by_score(scores, det_thresh, use_byte):
    """Indices of the high (score > det_thresh) and, with ``use_byte``, the low
    (LOW_SCORE < score < det_thresh) detections, each in input order (strict both sides)."""
    nd = scores.shape[0]
    hi = np.empty(nd, np.int64)
    lo = np.empty(nd, np.int64)
    n_hi = 0
    n_lo = 0
    for d in range(nd):
        if scores[d] > det_thresh:
            hi[n_hi] = d
            n_hi += 1
        elif use_byte and LOW_SCORE < scores[d] < det_thresh:
            lo[n_lo] = d
            n_lo += 1
    return hi[:n_hi], lo[:n_lo]


@njit
def gather(boxes, scores, classes, rows):
    """The boxes (R, 4), scores and classes of detections ``rows``."""
    hb = np.empty((rows.shape[0], 4))
    hs = np.empty(rows.shape[0])
    hc = np.empty(rows.shape[0], np.int64)
    for i in range(rows.shape[0]):
        r = rows[i]
        for k in range(4):  # element by element: a row assignment pulls in numba's broadcasting
            hb[i, k] = boxes[r, k]
        hs[i] = scores[r]
        hc[i] = classes[r]
    return hb, hs, hc


# ----------------------------------------------------------------------------- 2. predict
@njit
def predict_tracks(mean, cov, ints, floats, n, dt, warp, delta_t, vw):
    """Predict rows 0..n-1 by ``dt`` frames (SORT's area-velocity clamp), age them and,
    given a camera ``warp`` (not :data:`~mottrack.geometry.NO_WARP`), move them by it
    (:func:`warp_track`)."""
    xysr_predict(mean, cov, n, dt)
    mark_predicted(ints, floats, n, dt)
    if has_warp(warp):
        sm = np.empty((1, XYSR_DIM))
        sc = np.empty((1, XYSR_DIM, XYSR_DIM))
        for t in range(n):
            warp_track(mean, cov, ints, floats, t, warp, delta_t, vw, sm, sc)


@njit
def warp_track(mean, cov, ints, floats, t, H, delta_t, vw, scratch_mean, scratch_cov):
    """Move everything track ``t`` stores in image coordinates from the previous frame's
    pixels to this frame's: its filter (:func:`mottrack.kalman.xysr_warp`), the frozen
    filter state, the last measurement, the last observation, the observation ring
    (:func:`mottrack.geometry.warp_box`) and its directions (by the Jacobian at the last
    observation's centre, ``vw = 2``, or at each corner, ``vw = 8``; norm kept)."""
    xysr_warp(mean, cov, t, H)
    if ints[t, ORU] == ORU_NEW:
        return
    hz, _fz_tsu, frozen, ring = columns(vw)
    if ints[t, ORU] == ORU_FROZEN:
        xysr_load(scratch_mean, scratch_cov, 0, floats, t, frozen)
        xysr_warp(scratch_mean, scratch_cov, 0, H)
        xysr_save(scratch_mean, scratch_cov, 0, floats, t, frozen)
    u, v, a = warp_point(H, floats[t, hz], floats[t, hz + 1])
    floats[t, hz] = u
    floats[t, hz + 1] = v
    floats[t, hz + 2] *= a
    for j in range(vw // 2):
        c = VEL + 2 * j
        if vw == 2:
            px = floats[t, LAST] + (floats[t, LAST + 2] - floats[t, LAST]) / 2.0
            py = floats[t, LAST + 1] + (floats[t, LAST + 3] - floats[t, LAST + 1]) / 2.0
        else:
            px = floats[t, LAST + (0 if j < 2 else 2)]
            py = floats[t, LAST + (1 if j % 2 == 0 else 3)]
        vy = floats[t, c]
        vx = floats[t, c + 1]
        norm = np.sqrt(vx * vx + vy * vy)
        if norm > 0.0:
            wx, wy = warp_vector(H, px, py, vx, vy)
            k = norm / np.sqrt(wx * wx + wy * wy)
            floats[t, c] = wy * k
            floats[t, c + 1] = wx * k
    _warp_box_at(floats, t, LAST, H)
    for k in range(delta_t):
        c = ring + k * OBS_WIDTH
        if floats[t, c + 5] >= 0.0:
            _warp_box_at(floats, t, c, H)


@njit
def _warp_box_at(floats, t, c, H):
    floats[t, c], floats[t, c + 1], floats[t, c + 2], floats[t, c + 3] = warp_box(
        H, floats[t, c], floats[t, c + 1], floats[t, c + 2], floats[t, c + 3])


# ----------------------------------------------------------------------------- 3. views
@njit
def previous_obs(floats, t, age, delta_t, ring):
    """Column of the observation ``delta_t`` frames before ``age`` (or the nearest later
    one within that window), else of the last observation (the originals' k_previous_obs)."""
    for i in range(delta_t):
        c = observation_at(floats, t, ring, delta_t, age - (delta_t - i))
        if c >= 0:
            return c
    return LAST


@njit
def track_views(ints, floats, n, delta_t, vw):
    """Per track: its observation ``delta_t`` back (n, 5; score < 0: none), its
    directions (n, vw) and its last observation (n, 4), as the first round reads them."""
    ring = columns(vw)[3]
    prev = np.empty((n, 5))
    vel = np.empty((n, vw))
    last = np.empty((n, 4))
    for t in range(n):
        c = previous_obs(floats, t, ints[t, AGE], delta_t, ring)
        for k in range(5):
            prev[t, k] = floats[t, c + k]
        for k in range(vw):
            vel[t, k] = floats[t, VEL + k]
        for k in range(4):
            last[t, k] = floats[t, LAST + k]
    return prev, vel, last


# ----------------------------------------------------------------------------- 4. first round
@njit
def similarity_edges(kind, a, b):
    """Candidate pairs of boxes ``a`` (D, 4) and ``b`` (T, 4) with their similarity by
    ``kind``, sorted by row then column: the overlapping pairs for IoU and HMIoU (every
    other pair has similarity 0), every pair for the other kinds."""
    if kind == SIM_IOU or kind == SIM_HMIOU:
        rows, cols, vals = overlap_edges(a, b)
        if kind == SIM_HMIOU:
            for e in range(rows.shape[0]):
                vals[e] = height_overlap(a[rows[e], 1], a[rows[e], 3], b[cols[e], 1], b[cols[e], 3]) * vals[e]
        return rows, cols, vals
    sim = similarity_matrix(kind, a, b)
    D = a.shape[0]
    T = b.shape[0]
    rows = np.empty(D * T, np.int64)
    cols = np.empty(D * T, np.int64)
    vals = np.empty(D * T)
    for d in range(D):
        for t in range(T):
            rows[d * T + t] = d
            cols[d * T + t] = t
            vals[d * T + t] = sim[d, t]
    return rows, cols, vals


@njit
def momentum_into(out, boxes, scores, prev, vel, inertia):
    """The momentum (OCM) term of every detection and track into ``out`` (D, T):
    ``((valid * consistency) * inertia) * score`` for the centre direction (``vel``
    (T, 2)), or its sum over the four corners in :data:`~mottrack.geometry.CORNERS`
    order (``vel`` (T, 8), Hybrid-SORT); ``valid`` is 0 for a track without observation."""
    D = boxes.shape[0]
    T = prev.shape[0]
    valid = np.empty(T)
    for t in range(T):
        valid[t] = 1.0 if prev[t, 4] >= 0.0 else 0.0
    n_dir = vel.shape[1] // 2
    part = out if n_dir == 1 else np.empty((D, T))
    for j in range(n_dir):
        vy = vel[:, 2 * j].copy()
        vx = vel[:, 2 * j + 1].copy()
        if n_dir == 1:
            direction_consistency_into(part, boxes, prev, vy, vx)
        else:
            corner_consistency_into(part, boxes, prev, vy, vx, j)
        for d in range(D):
            sd = scores[d]
            for t in range(T):
                term = ((valid[t] * part[d, t]) * inertia) * sd
                out[d, t] = term if j == 0 else out[d, t] + term


@njit
def corner_cost_into(out, boxes, scores, prev, vel, inertia, trk_conf, conf_weight):
    """Hybrid-SORT's dense first-round cost before the similarity, into ``out`` (D, T):
    -(corner momentum - ``conf_weight`` * |score - ``trk_conf``|), each number computed
    exactly as :func:`momentum_into` (``vel`` (T, 8)) followed by the TCM and negation
    passes of :func:`associate_momentum` computes it, in three flat passes: the clipped
    cosines of all four corners, one arccos pass over them, then the sum per pair.  One
    scratch allocation of 4 D T numbers instead of a D x T matrix and six vectors per
    corner."""
    D = boxes.shape[0]
    T = prev.shape[0]
    n = D * T
    valid = np.empty(T)
    pts = np.empty((16, T))  # per corner j: track point x, y (rows 4j, 4j+1), direction vy, vx
    for t in range(T):
        valid[t] = 1.0 if prev[t, 4] >= 0.0 else 0.0
        for j in range(4):
            pts[4 * j, t] = prev[t, CORNERS[j][0]]
            pts[4 * j + 1, t] = prev[t, CORNERS[j][1]]
            pts[4 * j + 2, t] = vel[t, 2 * j]
            pts[4 * j + 3, t] = vel[t, 2 * j + 1]
    ang = np.empty(4 * n)
    for j in range(4):
        px = pts[4 * j]
        py = pts[4 * j + 1]
        vy = pts[4 * j + 2]
        vx = pts[4 * j + 3]
        for d in range(D):
            qx = boxes[d, CORNERS[j][0]]
            qy = boxes[d, CORNERS[j][1]]
            base = j * n + d * T
            for t in range(T):
                dx = qx - px[t]
                dy = qy - py[t]
                norm = np.sqrt(dx * dx + dy * dy) + 1e-6
                c = vx[t] * np.true_divide(dx, norm) + vy[t] * np.true_divide(dy, norm)
                ang[base + t] = min(max(c, -1.0), 1.0)
    arccos_into(ang)
    half_pi = np.pi / 2.0
    for d in range(D):
        sd = scores[d]
        row = out[d]
        b = d * T
        for t in range(T):
            v = valid[t]
            acc = ((v * np.true_divide(half_pi - ang[b + t], np.pi)) * inertia) * sd
            acc = acc + ((v * np.true_divide(half_pi - ang[n + b + t], np.pi)) * inertia) * sd
            acc = acc + ((v * np.true_divide(half_pi - ang[2 * n + b + t], np.pi)) * inertia) * sd
            acc = acc + ((v * np.true_divide(half_pi - ang[3 * n + b + t], np.pi)) * inertia) * sd
            row[t] = acc
        if conf_weight != 0.0:
            for t in range(T):
                row[t] = -(row[t] - abs(trk_conf[t] - sd) * conf_weight)
        else:
            for t in range(T):
                row[t] = -row[t]


@njit
def unmatched_order(n_items, assigned, rejected, n_rejected):
    """The originals' order of unmatched items: those the solver left out (ascending),
    then those it paired below the threshold (in the solver's pair order)."""
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
def associate_momentum(kind, boxes, scores, classes, pred, trk_classes, prev, vel, iou_threshold,
                       inertia, per_class, trk_conf, conf_weight):
    """First association of OC-SORT (``associate``) and Hybrid-SORT (``associate_4_points``
    and its ``_with_score`` form).

    If the pairs with similarity > ``iou_threshold`` already form a one-to-one matching
    they are taken; otherwise the assignment maximising similarity + momentum
    (:func:`momentum_into`) - ``conf_weight`` * |detection score - ``trk_conf``| (TCM; off
    when ``conf_weight`` is 0) is solved and pairs with similarity below the threshold
    are rejected.

    Parameters
    ----------
    kind : int
        Similarity (:data:`~mottrack.geometry.SIMILARITIES` index; OC-SORT: IoU).
    boxes : (D, 4) detections x1, y1, x2, y2; scores (D,), classes (D,)
    pred : (T, 4) predicted track boxes; trk_classes (T,)
    prev : (T, 5) each track's observation ``delta_t`` frames back (score < 0: none)
    vel : (T, 2) or (T, 8) each track's direction(s) (dy, dx)
    trk_conf : (T,) each track's confidence estimate (read only with ``conf_weight``)

    Returns
    -------
    track_for_det : (D,) int64, matched track or -1
    unmatched_dets, unmatched_trks : int64 arrays in the originals' order
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
        return (track_for_det, unmatched_order(D, assigned_d, rej_d, 0),
                unmatched_order(T, assigned_t, rej_t, 0))
    rows, cols, ious = similarity_edges(kind, boxes, pred)
    if per_class:
        rows, cols, ious = same_class_edges(rows, cols, ious, classes, trk_classes)
    # Is "similarity > threshold" already one-to-one?  (thresholds < 0 count every pair)
    one_to_one = D == 1 and T == 1
    if iou_threshold >= 0.0:
        above_d = np.zeros(D, np.int64)
        above_t = np.zeros(T, np.int64)
        for e in range(rows.shape[0]):
            if ious[e] > iou_threshold:
                above_d[rows[e]] += 1
                above_t[cols[e]] += 1
        most_d = 0
        for d in range(D):
            most_d = max(most_d, above_d[d])
        most_t = 0
        for t in range(T):
            most_t = max(most_t, above_t[t])
        one_to_one = most_d == 1 and most_t == 1
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
        return (track_for_det, unmatched_order(D, assigned_d, rej_d, 0),
                unmatched_order(T, assigned_t, rej_t, 0))
    useful = iou_threshold <= 0.0
    for e in range(rows.shape[0]):
        if ious[e] >= iou_threshold:
            useful = True
    if not useful:  # every pair the solver could pick would be rejected
        return (track_for_det, unmatched_order(D, assigned_d, rej_d, 0),
                unmatched_order(T, assigned_t, rej_t, 0))
    if D * T > DENSE_LIMIT:
        return _momentum_sparse(boxes, scores, classes, trk_classes, prev, vel, rows, cols, ious,
                                iou_threshold, inertia, per_class, trk_conf, conf_weight,
                                track_for_det, assigned_d, assigned_t)
    # Dense problem: minimise -(similarity + (momentum - TCM)), summed as the originals do.
    cost = np.empty((D, T))
    if vel.shape[1] == CORNER_VW:
        corner_cost_into(cost, boxes, scores, prev, vel, inertia, trk_conf, conf_weight)
    else:
        momentum_into(cost, boxes, scores, prev, vel, inertia)
        if conf_weight != 0.0:
            for d in range(D):
                for t in range(T):
                    cost[d, t] = cost[d, t] - abs(trk_conf[t] - scores[d]) * conf_weight
        for d in range(D):
            for t in range(T):
                cost[d, t] = -cost[d, t]
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
    return (track_for_det, unmatched_order(D, assigned_d, rej_d, n_rej),
            unmatched_order(T, assigned_t, rej_t, n_rej))


@njit
def _momentum_sparse(boxes, scores, classes, trk_classes, prev, vel, rows, cols, ious, iou_threshold,
                     inertia, per_class, trk_conf, conf_weight, track_for_det, assigned_d, assigned_t):
    """:func:`associate_momentum` for problems above ``DENSE_LIMIT`` pairs: the pairs with
    similarity at or above the threshold, weighted similarity + momentum (- TCM), matched
    by maximum weight (the momentum of the pairs that could never be accepted is left
    out: bounded cost, not the originals' choice in every case)."""
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
        d = er[e]
        momentum_into(ang, boxes[d:d + 1], scores[d:d + 1], prev[t:t + 1], vel[t:t + 1], inertia)
        bonus = ang[0, 0]
        if conf_weight != 0.0:
            bonus = bonus - abs(trk_conf[t] - scores[d]) * conf_weight
        w[e] = ev[e] + bonus
        good[e] = w[e] > 0.0
    mr, mc = max_weight_matching(D, T, er[good], ec[good], w[good])
    for k in range(mr.shape[0]):
        track_for_det[mr[k]] = mc[k]
        assigned_d[mr[k]] = True
        assigned_t[mc[k]] = True
    empty = np.empty(0, np.int64)
    return (track_for_det, unmatched_order(D, assigned_d, empty, 0),
            unmatched_order(T, assigned_t, empty, 0))


# ----------------------------------------------------------------------------- 5. later rounds
@njit
def associate_remaining(kind, det_boxes, det_classes, dets, trk_boxes, trk_classes, trks,
                        iou_threshold, per_class, det_scores, trk_conf, conf_weight):
    """The later rounds (BYTE, OCR): detections ``dets`` (rows of det_boxes) against
    tracks ``trks`` (rows of trk_boxes) by similarity ``kind``; solved only when some pair
    is above the threshold (a NaN similarity anywhere skips the round, as in the
    originals).  With ``conf_weight`` != 0 (Hybrid-SORT's TCM in the BYTE round) the
    similarity then loses ``conf_weight`` * |det_scores[d] - trk_conf[t]| before the
    assignment and the threshold test.

    Returns (det_rows, trk_rows) of the accepted pairs in detection order, and whether
    the round was solved.
    """
    D = dets.shape[0]
    T = trks.shape[0]
    a = np.empty((D, 4))
    b = np.empty((T, 4))
    for k in range(4):  # element by element: a row assignment pulls in numba's broadcasting
        for i in range(D):
            a[i, k] = det_boxes[dets[i], k]
        for j in range(T):
            b[j, k] = trk_boxes[trks[j], k]
    if D * T > DENSE_LIMIT:
        return _remaining_sparse(kind, a, b, det_classes, dets, trk_classes, trks, iou_threshold,
                                 per_class, det_scores, trk_conf, conf_weight)
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
    if conf_weight != 0.0:
        for i in range(D):
            for j in range(T):
                sim[i, j] = sim[i, j] - abs(trk_conf[trks[j]] - det_scores[dets[i]]) * conf_weight
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
def _remaining_sparse(kind, a, b, det_classes, dets, trk_classes, trks, iou_threshold, per_class,
                      det_scores, trk_conf, conf_weight):
    """:func:`associate_remaining` for rounds too large to solve densely: only overlapping
    pairs at or above the threshold are candidates (exact for IoU up to ties; other
    similarities lose their pairs of disjoint boxes)."""
    rows, cols, ious = overlap_edges(a, b)
    w = np.empty(rows.shape[0])
    m = 0  # candidates kept, compacted in place in edge order
    for e in range(rows.shape[0]):
        v = ious[e] if kind == SIM_IOU else similarity_matrix(kind, a[rows[e]:rows[e] + 1],
                                                              b[cols[e]:cols[e] + 1])[0, 0]
        if conf_weight != 0.0:
            v = v - abs(trk_conf[trks[cols[e]]] - det_scores[dets[rows[e]]]) * conf_weight
        if (v >= iou_threshold and v > 0.0
                and not (per_class and det_classes[dets[rows[e]]] != trk_classes[trks[cols[e]]])):
            rows[m] = rows[e]
            cols[m] = cols[e]
            w[m] = v
            m += 1
    if m == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), False
    mr, mc = max_weight_matching(a.shape[0], b.shape[0], rows[:m], cols[:m], w[:m])
    md = np.empty(mr.shape[0], np.int64)
    mt = np.empty(mr.shape[0], np.int64)
    for k in range(mr.shape[0]):
        md[k] = dets[mr[k]]
        mt[k] = trks[mc[k]]
    return md, mt, True


@njit
def remove(items, taken, n_total):
    """``np.setdiff1d(items, taken)``: the items not taken, ascending."""
    mask = np.zeros(n_total, np.bool_)
    for i in range(items.shape[0]):
        mask[items[i]] = True
    for i in range(taken.shape[0]):
        mask[taken[i]] = False
    return np.flatnonzero(mask)


# ----------------------------------------------------------------------------- 6. observe
@njit
def has_observation(floats, t):
    """The originals' test for "has an observation": last x1 + y1 + x2 + y2 + score >= 0."""
    return (floats[t, LAST] + floats[t, LAST + 1] + floats[t, LAST + 2] + floats[t, LAST + 3]
            + floats[t, LAST + 4]) >= 0.0


@njit
def oru_gap(ints, floats, t, vw):
    """For a lost track (ORU frozen): the frames since its last filter update and the
    mean time step over them (for ORU's virtual trajectory); (0, 1.0) otherwise."""
    if ints[t, ORU] != ORU_FROZEN:
        return 0, 1.0
    fz_tsu = columns(vw)[1]
    steps = ints[t, AGE] - ints[t, HIST_AGE]
    step_dt = 1.0
    if steps > 1:
        step_dt = (floats[t, TSU] - floats[t, fz_tsu]) / (steps - 1)
    return steps, step_dt


@njit
def observe_box(mean, cov, ints, floats, t, box, score, det, cls, delta_t, vw):
    """Track ``t`` takes the detection ``box`` (4,) (its directions already updated): the
    last observation and the ring record it; a lost track first re-runs its filter from
    the frozen state along the virtual trajectory (ORU); then the Kalman update."""
    x1, y1, x2, y2 = box[0], box[1], box[2], box[3]
    hz, _fz_tsu, frozen, ring = columns(vw)
    age = ints[t, AGE]
    floats[t, LAST] = x1
    floats[t, LAST + 1] = y1
    floats[t, LAST + 2] = x2
    floats[t, LAST + 3] = y2
    floats[t, LAST + 4] = score
    record_observation(floats, t, ring, delta_t, age, x1, y1, x2, y2, score)
    zu, zv, zs, zr = xysr_z(x1, y1, x2, y2, H_EPS)
    steps, step_dt = oru_gap(ints, floats, t, vw)
    if steps > 0:
        xysr_load(mean, cov, t, floats, t, frozen)
        hu, hv, hs, hr = xysr_reupdate_linear(mean, cov, t, floats[t, hz], floats[t, hz + 1],
                                              floats[t, hz + 2], floats[t, hz + 3],
                                              zu, zv, zs, zr, steps, step_dt)
    else:
        hu, hv, hs, hr = zu, zv, zs, zr
    floats[t, hz] = hu
    floats[t, hz + 1] = hv
    floats[t, hz + 2] = hs
    floats[t, hz + 3] = hr
    ints[t, HIST_AGE] = age
    ints[t, ORU] = ORU_OBSERVED
    xysr_update_z(mean, cov, t, zu, zv, zs, zr)
    mark_hit(ints, floats, t, det, cls, score)


@njit
def freeze_lost(mean, cov, ints, floats, t, vw):
    """Track ``t`` got no detection: freeze its filter state for ORU (first miss only)."""
    if ints[t, ORU] == ORU_OBSERVED:
        _hz, fz_tsu, frozen, _ring = columns(vw)
        xysr_save(mean, cov, t, floats, t, frozen)
        floats[t, fz_tsu] = floats[t, TSU]
        ints[t, ORU] = ORU_FROZEN


# ----------------------------------------------------------------------------- 7. births
@njit
def birth(mean, cov, ints, floats, row, track_id, box, score, cls, det, delta_t, vw):
    """Start track ``track_id`` at ``row`` from a detection: filter at its measurement,
    no observation yet (the originals' placeholder -1 x 5), empty ring."""
    zu, zv, zs, zr = xysr_z(box[0], box[1], box[2], box[3], H_EPS)
    xysr_initiate_z(mean, cov, row, zu, zv, zs, zr)
    start_track(ints, floats, row, track_id, 0, TENTATIVE, cls, det, score)
    for k in range(5):
        floats[row, LAST + k] = -1.0
    clear_observations(floats, row, columns(vw)[3], delta_t)


# ----------------------------------------------------------------------------- 6a. directions
@njit
def centre_direction(floats, t, box, age, delta_t):
    """OC-SORT's velocity direction of track ``t`` (at ``age``) taking ``box``: from the
    centre of its observation ``delta_t`` frames back (:func:`previous_obs`) to the box's;
    unchanged while the track has no observation (the original's test)."""
    if has_observation(floats, t):
        c = previous_obs(floats, t, age, delta_t, columns(CENTRE_VW)[3])
        vy, vx = speed_direction(floats[t, c], floats[t, c + 1], floats[t, c + 2], floats[t, c + 3],
                                 box[0], box[1], box[2], box[3])
        floats[t, VEL] = vy
        floats[t, VEL + 1] = vx


@njit
def corner_directions(floats, t, box, age, delta_t):
    """Hybrid-SORT's four corner directions of track ``t`` (at ``age``) taking ``box``: per
    corner, the sum of the unit directions to it from the observations 1..``delta_t``
    frames back that exist, or from the last observation when none does; unchanged while
    the track has no observation (the original's test)."""
    if not has_observation(floats, t):
        return
    ring = columns(CORNER_VW)[3]
    found = False
    for i in range(delta_t):
        c = observation_at(floats, t, ring, delta_t, age - i - 1)
        if c >= 0:
            for k in range(4):
                dy, dx = corner_direction(floats[t, c:c + 4], box, k)
                if found:
                    floats[t, VEL + 2 * k] += dy
                    floats[t, VEL + 2 * k + 1] += dx
                else:
                    floats[t, VEL + 2 * k] = dy
                    floats[t, VEL + 2 * k + 1] = dx
            found = True
    if not found:
        for k in range(4):
            dy, dx = corner_direction(floats[t, LAST:LAST + 4], box, k)
            floats[t, VEL + 2 * k] = dy
            floats[t, VEL + 2 * k + 1] = dx


# ----------------------------------------------------------------------------- TCM
@njit
def conf_columns(delta_t):
    """First of Hybrid-SORT's confidence columns (after the ring of ``delta_t`` slots)."""
    return columns(CORNER_VW)[3] + delta_t * OBS_WIDTH


@njit
def confidence_estimates(mean, floats, n, det_thresh, xc):
    """TCM's estimates of every track's confidence this frame: the confidence filter's
    prediction clipped to [det_thresh, 1] (first round) and the last score extrapolated
    by its last change, c + (c - c_pre) (c alone after a miss or at birth), clipped to
    [0.1, det_thresh] (BYTE round).  ``xc``: :func:`conf_columns`."""
    kconf = np.empty(n)
    sconf = np.empty(n)
    for t in range(n):
        kconf[t] = min(max(mean[t, CONF], det_thresh), 1.0)
        c = floats[t, SCORE]
        pre = floats[t, xc + CONF_PRE]
        s = c if pre == 0.0 else c - (pre - c)
        sconf[t] = min(max(s, LOW_CONF), det_thresh)
    return kconf, sconf


@njit
def observe_confidence(mean, cov, ints, floats, t, score, xc):
    """Track ``t`` takes a detection of ``score`` (before :func:`observe_box`): its
    confidence filter re-runs along scores interpolated from the last (virtual) one when
    it was lost (ORU), then takes the update; the previous score is kept for TCM."""
    steps, step_dt = oru_gap(ints, floats, t, CORNER_VW)
    hc = score
    if steps > 0:
        conf_load(mean, cov, t, CONF, floats, t, xc + FROZEN_C)
        hc = conf_reupdate_linear(mean, cov, t, CONF, floats[t, xc + HISTORY_C], score, steps, step_dt)
    floats[t, xc + HISTORY_C] = hc
    conf_update(mean, cov, t, CONF, score)
    floats[t, xc + CONF_PRE] = floats[t, SCORE]


@njit
def miss_confidence(mean, cov, ints, floats, t, xc):
    """Track ``t`` got no detection (before :func:`freeze_lost`): freeze its confidence
    filter for ORU (first miss only) and forget the previous score."""
    if ints[t, ORU] == ORU_OBSERVED:
        conf_save(mean, cov, t, CONF, floats, t, xc + FROZEN_C)
    floats[t, xc + CONF_PRE] = 0.0


# ----------------------------------------------------------------------------- the frame
@njit
def _observe(mean, cov, ints, floats, t, boxes, scores, classes, d, delta_t, hybrid, xc):
    """Track ``t`` takes detection ``d``: its direction(s), Hybrid-SORT's confidence,
    then :func:`observe_box` (ORU, update)."""
    if hybrid:
        corner_directions(floats, t, boxes[d], ints[t, AGE], delta_t)
        observe_confidence(mean, cov, ints, floats, t, scores[d], xc)
        observe_box(mean, cov, ints, floats, t, boxes[d], scores[d], d, classes[d], delta_t, CORNER_VW)
    else:
        centre_direction(floats, t, boxes[d], ints[t, AGE], delta_t)
        observe_box(mean, cov, ints, floats, t, boxes[d], scores[d], d, classes[d], delta_t, CENTRE_VW)


@njit(inline="always")  # inlined in the rows kernel; called from Python it is a kernel of its own
def oc_frame(mean, cov, ints, floats, counters, boxes, scores, classes, dt, frame_count, params,
             warp, hybrid):
    """One frame of OC-SORT (``hybrid`` False) or Hybrid-SORT (True: corner directions, the
    confidence filter and TCM, ``params[P_FIRST_KIND]`` as the first round's similarity)
    over the track table, the stages in the order of the module docstring; returns the
    (M, 8) output rows (boxes as ``params[P_DETECTION_BOX]`` says)."""
    max_age = params[P_MAX_AGE]
    min_hits = params[P_MIN_HITS]
    iou_threshold = params[P_IOU_THRESHOLD]
    delta_t = int(params[P_DELTA_T])
    kind = int(params[P_KIND])
    inertia = params[P_INERTIA]
    per_class = params[P_PER_CLASS] != 0.0
    det_thresh = params[P_DET_THRESH]
    vw = CORNER_VW if hybrid else CENTRE_VW
    xc = conf_columns(delta_t)
    n = counters[N]
    next_id = counters[NEXT_ID]
    # 1. high and low detections
    hi, lo = split_by_score(scores, det_thresh, params[P_USE_BYTE] != 0.0)
    # 2. predict (camera motion after the prediction), drop invalid boxes
    predict_tracks(mean, cov, ints, floats, n, dt, warp, delta_t, vw)
    if hybrid:
        for t in range(n):
            conf_predict_row(mean, cov, t, CONF, dt)
    pred, n = xysr_boxes_or_drop(mean, cov, ints, floats, n)
    # 3. first round: high detections, similarity + momentum (- TCM)
    prev, vel, last = track_views(ints, floats, n, delta_t, vw)
    kconf = sconf = np.empty(0)
    if hybrid:
        kconf, sconf = confidence_estimates(mean, floats, n, det_thresh, xc)
    hb, hs, hc = gather(boxes, scores, classes, hi)
    track_for_det, udets, utrks = associate_momentum(
        int(params[P_FIRST_KIND]), hb, hs, hc, pred, ints[:n, CLASS], prev, vel, iou_threshold,
        inertia, per_class, kconf, params[P_TCM_FIRST])
    for i in range(hi.shape[0]):
        t = track_for_det[i]
        if t >= 0:
            _observe(mean, cov, ints, floats, t, boxes, scores, classes, hi[i], delta_t, hybrid, xc)
    # 4. BYTE: low detections against the predicted boxes of the tracks left (- TCM)
    if lo.shape[0] > 0 and utrks.shape[0] > 0:
        md, mt, ran = associate_remaining(kind, boxes, classes, lo, pred, ints[:n, CLASS], utrks,
                                          iou_threshold, per_class, scores, sconf, params[P_TCM_BYTE])
        for k in range(md.shape[0]):
            _observe(mean, cov, ints, floats, mt[k], boxes, scores, classes, md[k], delta_t, hybrid, xc)
        if ran:
            utrks = remove(utrks, mt, n)
    # 5. OCR: high detections left against the last observations of the tracks left
    if udets.shape[0] > 0 and utrks.shape[0] > 0:
        md, mt, ran = associate_remaining(kind, hb, hc, udets, last, ints[:n, CLASS], utrks,
                                          iou_threshold, per_class, hs, sconf, 0.0)
        for k in range(md.shape[0]):
            _observe(mean, cov, ints, floats, mt[k], boxes, scores, classes, hi[md[k]], delta_t, hybrid, xc)
        if ran:
            udets = remove(udets, md, hi.shape[0])
            utrks = remove(utrks, mt, n)
    # 6. the tracks left freeze their filter state for ORU
    for k in range(utrks.shape[0]):
        if hybrid:
            miss_confidence(mean, cov, ints, floats, utrks[k], xc)
        freeze_lost(mean, cov, ints, floats, utrks[k], vw)
    # 7. new tracks
    for i in range(udets.shape[0]):
        d = hi[udets[i]]
        birth(mean, cov, ints, floats, n, next_id, boxes[d], scores[d], classes[d], d, delta_t, vw)
        if hybrid:
            conf_initiate(mean, cov, n, CONF, scores[d])
        next_id += 1
        n += 1
    # 8. report and delete
    out, n = report_xysr_tracks(mean, cov, ints, floats, n, frame_count, min_hits, max_age, True)
    counters[N] = n
    counters[NEXT_ID] = next_id
    return out


@njit
def oc_frame_rows(mean, cov, ints, floats, counters, rows, dt, frame_count, params, warp, err, hybrid):
    """:func:`oc_frame` on an (N, 5|6) array, validated first (error code into ``err``);
    with ``params[P_DETECTION_BOX]`` set, reported boxes are the detections'."""
    boxes, scores, classes, code, _row, _col = split_rows(rows, False)
    err[0] = code
    if code != 0:
        return np.empty((0, 8))
    out = oc_frame(mean, cov, ints, floats, counters, boxes, scores, classes, dt, frame_count,
                   params, warp, hybrid)
    if params[P_DETECTION_BOX] != 0.0:
        for m in range(out.shape[0]):
            d = int(out[m, 7])
            for k in range(4):
                out[m, k] = boxes[d, k]
    return out
