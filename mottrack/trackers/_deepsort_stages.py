"""The stages of DeepSORT's frame, compiled, one concept each.

:func:`deepsort_frame` runs them in the paper's order over the track table (Kalman
(x, y, a, h) rows, the lifecycle columns of :mod:`mottrack.tracks` and a ``SLOT``
column: the track's gallery slot, see :mod:`mottrack.trackers._gallery`):

1. :func:`predict` -- every track one Kalman step ahead;
2. :func:`warp_tracks` -- the camera warp, if any; tracks it carries beyond the
   coordinate domain leave (:func:`in_domain`);
3. :func:`measurements` -- the detections as (x, y, a, h) measurements;
4. :func:`cascade_order` and :func:`matching_cascade` -- confirmed tracks, the most
   recently seen first, each level matched by :func:`appearance_edges` (gated
   nearest-neighbour cosine cost) and :func:`assign_edges`;
5. :func:`iou_candidates` and :func:`iou_round` -- tentative tracks and tracks seen in
   the previous call that the cascade left, matched by ``1 - IoU`` (:func:`iou_edges`);
6. :func:`update_matched` -- Kalman correction, gallery, confirmation;
7. :func:`remove_lost` -- unmatched tentative tracks and tracks unseen for longer than
   ``max_age`` leave (their gallery slots are freed);
8. :func:`births` -- a tentative track per free detection;
9. :func:`report` -- the output rows.

Kernel arguments follow the package's convention: ``params`` is a float64 vector read
by the ``P_*`` slots below, ``warp`` the (3, 3) camera warp or
:data:`~mottrack.geometry.NO_WARP`.  The galleries travel as one :class:`Gallery`.
Matching results are two arrays: ``det_track[j]`` the table row matched to detection
``j`` (or :data:`FREE` / :data:`NO_MEASUREMENT`), ``trk_det[t]`` the detection matched
to row ``t`` (or -1).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from .._numba import njit
from .._sorting import stable_argsort
from ..assignment import match_edges
from ..detections import MAX_COORDINATE, MIN_BOX_SIDE
from ..geometry import has_warp, overlap_edges
from ..kalman import (_chol4, xyah_box, xyah_initiate, xyah_predict_row, xyah_project_into,
                      xyah_update, xyah_warp_rows)
from ..tracks import (CLASS, CONFIRMED, HITS, N, N_INT_BASE, NEXT_ID, STATE, TENTATIVE, TSU, compact,
                      mark_hit, mark_predicted, output_row, start_track)
from ._gallery import gallery_append, gallery_max_dot, normalize_rows

CHI2INV95_4DOF = 9.4877
"""0.95 quantile of the chi-square distribution with 4 degrees of freedom (the gate)."""

TIME_EPS = 1e-6  # frames: tolerance when comparing accumulated times (timestamps)

#: Extra int column of the track table: the track's gallery slot.
SLOT = N_INT_BASE

# Parameter slots of ``params``.
P_MAX_COS = 0    # largest cosine distance of an appearance match
P_MAX_IOU = 1    # largest 1 - IoU of an IoU match
P_MAX_AGE = 2    # frames a confirmed track survives unseen (and the cascade depth)
P_N_INIT = 3     # detections before a track is confirmed
P_PER_CLASS = 4  # 1.0: tracks match detections of their class only
N_PARAMS = 5

# ``det_track`` codes besides a table row.
FREE = -1            # not matched (yet)
NO_MEASUREMENT = -2  # a box of zero height: no (x, y, a, h); neither matches nor starts a track

# ``err[0]`` codes of :func:`deepsort_frame`.
E_EMBEDDING = 1  # err[1]: the first embedding row that cannot be normalised (nothing changed)
E_GALLERY = 2    # err[1]: new tracks to start; the caller grows the galleries, then :func:`finish_frame`
E_DEGENERATE = 3  # a box has a side below MIN_BOX_SIDE (nothing changed; the base drops those rows)

#: The appearance galleries: (slots, budget, D) float32 unit vectors, fill count and ring
#: position per slot, and the free list (``free[:slots - n]`` are the free slots).
Gallery = namedtuple("Gallery", ["vectors", "count", "head", "free"])


# ----------------------------------------------------------------------------- 1-2 motion
@njit
def predict(mean, cov, ints, floats, n, dt):
    """Stage 1: every track one Kalman step of ``dt`` frames ahead; ages and times since
    update advance (:func:`~mottrack.tracks.mark_predicted`)."""
    for t in range(n):
        xyah_predict_row(mean, cov, t, dt)
    mark_predicted(ints, floats, n, dt)


@njit
def in_domain(mean, cov, t):
    """Whether row ``t``'s box lies within ``+-MAX_COORDINATE`` and its mean and
    covariance are finite (what any detection, and a saved state, can hold)."""
    x1, y1, x2, y2 = xyah_box(mean, t)
    if not (abs(x1) <= MAX_COORDINATE and abs(x2) <= MAX_COORDINATE
            and abs(y1) <= MAX_COORDINATE and abs(y2) <= MAX_COORDINATE):
        return False
    for i in range(mean.shape[1]):
        if not np.isfinite(mean[t, i]):
            return False
        for k in range(cov.shape[2]):
            if not np.isfinite(cov[t, i, k]):
                return False
    return True


@njit
def delete_rows(mean, cov, ints, floats, n, keep, gal):
    """Delete rows 0..n-1 where ``keep`` is false (order of the others kept); their
    gallery slots join the free list in table order.  Returns the new number of rows."""
    n_free = gal.vectors.shape[0] - n
    free = gal.free
    dropped = False
    for t in range(n):
        if not keep[t]:
            dropped = True
            free[n_free] = ints[t, SLOT]
            n_free += 1
    if dropped:
        n = compact(mean, cov, ints, floats, n, keep)
    return n


@njit
def warp_tracks(mean, cov, ints, floats, n, warp, gal):
    """Stage 2: move rows 0..n-1 through the camera ``warp`` (:func:`~mottrack.kalman.
    xyah_warp_rows`); a track the warp carries out of the coordinate domain
    (:func:`in_domain`) can never meet a detection again and is deleted, its gallery slot
    freed.  Returns the new number of rows (n without a warp)."""
    if not has_warp(warp):
        return n
    xyah_warp_rows(mean, cov, n, warp)
    keep = np.ones(n, np.bool_)
    for t in range(n):
        keep[t] = in_domain(mean, cov, t)
    return delete_rows(mean, cov, ints, floats, n, keep, gal)


@njit
def measurements(boxes, meas, det_track):
    """Stage 3: detections (x1, y1, x2, y2) as (x, y, a, h) into ``meas``; ``det_track``
    starts :data:`FREE`, or :data:`NO_MEASUREMENT` for a box of zero height.  Returns the
    number of free detections."""
    n_left = 0
    for j in range(boxes.shape[0]):
        w = boxes[j, 2] - boxes[j, 0]
        h = boxes[j, 3] - boxes[j, 1]
        meas[j, 0] = boxes[j, 0] + w / 2.0
        meas[j, 1] = boxes[j, 1] + h / 2.0
        meas[j, 2] = w / h if h > 0.0 else 0.0
        meas[j, 3] = h
        if meas[j, 3] > 0.0:
            det_track[j] = FREE
            n_left += 1
        else:
            det_track[j] = NO_MEASUREMENT
    return n_left


# ----------------------------------------------------------------------------- matching
@njit
def push_edge(er, ec, ew, ne, r, c, w):
    """Append edge (r, c, w) at position ``ne`` (buffers doubled when full); returns the
    buffers and the new count."""
    if ne == er.shape[0]:
        cap = 2 * ne + 16
        er2 = np.empty(cap, np.int64)
        ec2 = np.empty(cap, np.int64)
        ew2 = np.empty(cap)
        for e in range(ne):  # element by element: slice assignment pulls in numba's broadcasting
            er2[e] = er[e]
            ec2[e] = ec[e]
            ew2[e] = ew[e]
        er, ec, ew = er2, ec2, ew2
    er[ne] = r
    ec[ne] = c
    ew[ne] = w
    return er, ec, ew, ne + 1


@njit
def assign_edges(rows, n_det, er, ec, ew, ne, det_track, trk_det):
    """Maximum-weight matching of the first ``ne`` edges (position in ``rows``, detection,
    weight) (:func:`~mottrack.assignment.match_edges`); records each matched pair in
    ``det_track`` / ``trk_det``."""
    if ne == 0:
        return
    n_rows = rows.shape[0]
    col_for_row = np.empty(n_rows, np.int64)
    match_edges(n_rows, n_det, er[:ne], ec[:ne], ew[:ne], col_for_row,
                np.empty(2 * (n_rows + n_det), np.int64))
    for r in range(n_rows):
        j = col_for_row[r]
        if j >= 0:
            t = rows[r]
            det_track[j] = t
            trk_det[t] = j


@njit
def cascade_order(ints, floats, n, max_age):
    """Stage 4a: the confirmed tracks the cascade visits (time since update <= ``max_age``)
    and their level, the whole frames since they were last seen (at least 1), sorted by
    level, then table order.  Returns ``(rows, levels)``."""
    rows = np.empty(n, np.int64)
    levels = np.empty(n, np.int64)
    m = 0
    for t in range(n):
        if ints[t, STATE] == CONFIRMED and floats[t, TSU] <= max_age + TIME_EPS:
            rows[m] = t
            levels[m] = max(np.int64(np.ceil(floats[t, TSU] - TIME_EPS)), 1)
            m += 1
    by_level = stable_argsort(levels[:m])  # table order within a level
    out_rows = np.empty(m, np.int64)
    out_levels = np.empty(m, np.int64)
    for i in range(m):
        out_rows[i] = rows[by_level[i]]
        out_levels[i] = levels[by_level[i]]
    return out_rows, out_levels


@njit
def appearance_edges(mean, cov, ints, rows, meas, order, sorted_x, classes, feats, gal, det_track,
                     max_cos, per_class, er, ec, ew, gate):
    """Stage 4b: edges (position in ``rows``, detection, ``max_cos + 1e-5 - cost``) of one
    cascade level.  The cost is the smallest cosine distance between the detection's
    descriptor and the track's gallery; pairs outside the gate (squared Mahalanobis
    distance of the predicted measurement above :data:`CHI2INV95_4DOF`), of another class
    with ``per_class``, or costing more than ``max_cos`` have none.  Only free detections;
    ``order`` / ``sorted_x``: detections sorted by centre x (the gate's x window);
    ``gate``: 40 float64 of scratch.  Returns the edge buffers and the edge count."""
    ne = 0
    limit = max_cos + 1e-5
    L = gate[0:16].reshape((4, 4))   # Cholesky factor of the projected covariance
    S = gate[16:32].reshape((4, 4))  # projected covariance
    m = gate[32:36]                  # projected mean
    y = gate[36:40]                  # L^-1 (z - m)
    vectors = gal.vectors  # views taken out of the tuple once, not per pair
    count = gal.count
    for r in range(rows.shape[0]):
        t = rows[r]
        xyah_project_into(mean, cov, t, m, S)
        _chol4(S, L)
        # d^2 = z' S^-1 z >= z_x^2 / S_xx: only detections with centre x in this window can pass.
        half = np.sqrt(CHI2INV95_4DOF * S[0, 0]) * (1.0 + 1e-7) + 1e-9
        lo = np.searchsorted(sorted_x, m[0] - half)
        hi = np.searchsorted(sorted_x, m[0] + half, side="right")
        slot = ints[t, SLOT]
        for q in range(lo, hi):
            j = order[q]
            if det_track[j] != FREE:
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
            cost = np.float64(np.float32(1.0) - gallery_max_dot(vectors, count, slot, feats, j))
            if cost <= max_cos:
                er, ec, ew, ne = push_edge(er, ec, ew, ne, r, j, limit - cost)
    return er, ec, ew, ne


@njit
def count_free(det_track):
    """Detections still free."""
    c = 0
    for j in range(det_track.shape[0]):
        if det_track[j] == FREE:
            c += 1
    return c


@njit
def matching_cascade(mean, cov, ints, rows, levels, meas, classes, feats, gal, det_track, trk_det,
                     max_cos, per_class, n_left, er, ec, ew):
    """Stage 4: match ``rows`` (from :func:`cascade_order`) level by level, the most
    recently seen first, each level among the detections the earlier ones left
    (:func:`appearance_edges`, :func:`assign_edges`); stops when no detection is free.
    Returns the edge buffers and the number of free detections."""
    order = np.argsort(meas[:, 0])
    sorted_x = meas[order, 0]
    n_det = meas.shape[0]
    gate = np.empty(40)
    start = 0
    while start < rows.shape[0] and n_left > 0:
        stop = start
        while stop < rows.shape[0] and levels[stop] == levels[start]:
            stop += 1
        level = rows[start:stop]
        er, ec, ew, ne = appearance_edges(mean, cov, ints, level, meas, order, sorted_x, classes, feats,
                                          gal, det_track, max_cos, per_class, er, ec, ew, gate)
        assign_edges(level, n_det, er, ec, ew, ne, det_track, trk_det)
        n_left = count_free(det_track)
        start = stop
    return er, ec, ew, n_left


@njit
def iou_candidates(ints, floats, n, trk_det, dt):
    """Stage 5a: the rows of the IoU round: tentative tracks, then confirmed ones updated in
    the previous call (time since update <= ``dt``) that the cascade left."""
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
    return rows[:nr]


@njit
def iou_tlwh(ax, ay, aw, ah, bx, by, bw, bh):
    """IoU of two (top-left x, top-left y, w, h) boxes, bottom-right = top-left + size
    (the original's arithmetic)."""
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
def track_tlwh(mean, rows):
    """(len(rows), 4) top-left x, top-left y, w, h of the (x, y, a, h) rows."""
    out = np.empty((rows.shape[0], 4))
    for r in range(rows.shape[0]):
        t = rows[r]
        th = mean[t, 3]
        tw = mean[t, 2] * th
        out[r, 0] = mean[t, 0] - tw / 2.0
        out[r, 1] = mean[t, 1] - th / 2.0
        out[r, 2] = tw
        out[r, 3] = th
    return out


@njit
def iou_edges(mean, ints, rows, boxes, classes, det_track, per_class, max_iou, er, ec, ew):
    """Stage 5b: edges (position in ``rows``, detection, ``max_iou + 1e-5 - cost``) of the
    pairs with cost ``1 - IoU <= max_iou`` among the free detections, in (track,
    detection) order.  Below ``max_iou = 1`` only overlapping pairs can pass: they come
    from the sparse sweep :func:`~mottrack.geometry.overlap_edges`; at 1 every pair is a
    candidate.  Returns the edge buffers and the edge count."""
    limit = max_iou + 1e-5
    tlwh = track_tlwh(mean, rows)
    ne = 0
    if max_iou < 1.0 - 1e-9:
        free = np.empty(boxes.shape[0], np.int64)
        nf = 0
        for j in range(boxes.shape[0]):
            if det_track[j] == FREE:
                free[nf] = j
                nf += 1
        tb = np.empty((rows.shape[0], 4))  # x1, y1, x2, y2 for the sweep
        for r in range(rows.shape[0]):
            tb[r, 0] = tlwh[r, 0]
            tb[r, 1] = tlwh[r, 1]
            tb[r, 2] = tlwh[r, 0] + tlwh[r, 2]
            tb[r, 3] = tlwh[r, 1] + tlwh[r, 3]
        db = np.empty((nf, 4))
        for q in range(nf):
            for k in range(4):
                db[q, k] = boxes[free[q], k]
        cr, cc, _ = overlap_edges(tb, db)
        for e in range(cr.shape[0]):
            r = cr[e]
            j = free[cc[e]]
            if per_class and classes[j] != ints[rows[r], CLASS]:
                continue
            cost = 1.0 - iou_tlwh(tlwh[r, 0], tlwh[r, 1], tlwh[r, 2], tlwh[r, 3], boxes[j, 0],
                                  boxes[j, 1], boxes[j, 2] - boxes[j, 0], boxes[j, 3] - boxes[j, 1])
            if cost <= max_iou:
                er, ec, ew, ne = push_edge(er, ec, ew, ne, r, j, limit - cost)
        return er, ec, ew, ne
    for r in range(rows.shape[0]):
        for j in range(boxes.shape[0]):
            if det_track[j] != FREE:
                continue
            if per_class and classes[j] != ints[rows[r], CLASS]:
                continue
            cost = 1.0 - iou_tlwh(tlwh[r, 0], tlwh[r, 1], tlwh[r, 2], tlwh[r, 3], boxes[j, 0], boxes[j, 1],
                                  boxes[j, 2] - boxes[j, 0], boxes[j, 3] - boxes[j, 1])
            if cost <= max_iou:
                er, ec, ew, ne = push_edge(er, ec, ew, ne, r, j, limit - cost)
    return er, ec, ew, ne


@njit
def iou_round(mean, ints, floats, n, boxes, classes, det_track, trk_det, dt, max_iou, per_class,
              er, ec, ew):
    """Stage 5: :func:`iou_candidates` matched to the free detections by
    :func:`iou_edges` and :func:`assign_edges`.  Returns the edge buffers."""
    rows = iou_candidates(ints, floats, n, trk_det, dt)
    er, ec, ew, ne = iou_edges(mean, ints, rows, boxes, classes, det_track, per_class, max_iou, er, ec, ew)
    assign_edges(rows, boxes.shape[0], er, ec, ew, ne, det_track, trk_det)
    return er, ec, ew


# ----------------------------------------------------------------------------- lifecycle
@njit
def update_matched(mean, cov, ints, floats, n, trk_det, boxes, scores, classes, feats, gal, n_init):
    """Stage 6: each matched row takes its detection: Kalman correction, lifecycle
    (:func:`~mottrack.tracks.mark_hit`), the descriptor joins its gallery; a tentative
    track with ``n_init`` hits is confirmed."""
    vectors, count, head = gal.vectors, gal.count, gal.head
    for t in range(n):
        d = trk_det[t]
        if d >= 0:
            xyah_update(mean, cov, t, boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3])
            mark_hit(ints, floats, t, d, classes[d], scores[d])
            gallery_append(vectors, count, head, ints[t, SLOT], feats, d)
            if ints[t, STATE] == TENTATIVE and ints[t, HITS] >= n_init:
                ints[t, STATE] = CONFIRMED


@njit
def remove_lost(mean, cov, ints, floats, n, trk_det, max_age, gal):
    """Stage 7: unmatched tentative tracks and tracks unseen for more than ``max_age``
    frames are deleted (order of the others kept), their gallery slots freed.  Returns
    the new number of rows."""
    keep = np.ones(n, np.bool_)
    for t in range(n):
        keep[t] = not (trk_det[t] < 0 and (ints[t, STATE] == TENTATIVE or floats[t, TSU] > max_age + TIME_EPS))
    return delete_rows(mean, cov, ints, floats, n, keep, gal)


@njit
def births(mean, cov, ints, floats, counters, gal, boxes, scores, classes, feats, det_track):
    """Stage 8: a tentative track (one hit) for each free detection, in detection order,
    with a gallery slot from the free list holding the detection's descriptor."""
    n = counters[N]
    next_id = counters[NEXT_ID]
    vectors, count, head, free = gal.vectors, gal.count, gal.head, gal.free
    n_free = vectors.shape[0] - n
    for j in range(boxes.shape[0]):
        if det_track[j] == FREE:
            xyah_initiate(mean, cov, n, boxes[j, 0], boxes[j, 1], boxes[j, 2], boxes[j, 3])
            start_track(ints, floats, n, next_id, 1, TENTATIVE, classes[j], j, scores[j])
            n_free -= 1
            slot = free[n_free]
            ints[n, SLOT] = slot
            count[slot] = 0
            head[slot] = 0
            gallery_append(vectors, count, head, slot, feats, j)
            next_id += 1
            n += 1
    counters[N] = n
    counters[NEXT_ID] = next_id


@njit
def report(mean, ints, floats, n, dt):
    """Stage 9: (M, 8) rows of the confirmed tracks updated in this call or the previous
    one (time since update <= ``dt``; deep_sort_app's rule), in table order."""
    out = np.empty((n, 8))
    m = 0
    for t in range(n):
        if ints[t, STATE] == CONFIRMED and floats[t, TSU] <= dt:
            x1, y1, x2, y2 = xyah_box(mean, t)
            output_row(out, m, x1, y1, x2, y2, ints, floats, t)
            m += 1
    return out[:m]


# ----------------------------------------------------------------------------- the frame
@njit
def finish_frame(mean, cov, ints, floats, counters, gal, boxes, scores, classes, feats, det_track, dt):
    """Stages 8 and 9: :func:`births`, then :func:`report`."""
    births(mean, cov, ints, floats, counters, gal, boxes, scores, classes, feats, det_track)
    return report(mean, ints, floats, counters[N], dt)


@njit
def deepsort_frame(mean, cov, ints, floats, counters, gallery, gcount, ghead, free,
                   boxes, scores, classes, emb, dt, params, warp, err, pending):
    """One DeepSORT frame over the track table; returns the (M, 8) output rows.

    ``err[0]``: :data:`E_DEGENERATE` or :data:`E_EMBEDDING` (nothing changed) or
    :data:`E_GALLERY` (more births than free gallery slots: ``pending[:N]`` holds
    ``det_track``; the caller grows the galleries and calls :func:`finish_frame`)."""
    for j in range(boxes.shape[0]):
        if not (boxes[j, 2] - boxes[j, 0] >= MIN_BOX_SIDE and boxes[j, 3] - boxes[j, 1] >= MIN_BOX_SIDE):
            err[0] = E_DEGENERATE
            return np.empty((0, 8))
    gal = Gallery(gallery, gcount, ghead, free)
    feats = np.empty(emb.shape, np.float32)
    bad = normalize_rows(emb, feats)
    if bad >= 0:
        err[0] = E_EMBEDDING
        err[1] = bad
        return np.empty((0, 8))
    per_class = params[P_PER_CLASS] != 0.0
    n_det = boxes.shape[0]

    n = counters[N]
    predict(mean, cov, ints, floats, n, dt)
    n = warp_tracks(mean, cov, ints, floats, n, warp, gal)
    counters[N] = n

    meas = np.empty((n_det, 4))
    det_track = np.empty(n_det, np.int64)
    n_left = measurements(boxes, meas, det_track)
    trk_det = np.full(n, -1, np.int64)
    er = np.empty(64, np.int64)
    ec = np.empty(64, np.int64)
    ew = np.empty(64)

    rows, levels = cascade_order(ints, floats, n, params[P_MAX_AGE])
    er, ec, ew, n_left = matching_cascade(mean, cov, ints, rows, levels, meas, classes, feats, gal, det_track,
                                          trk_det, params[P_MAX_COS], per_class, n_left, er, ec, ew)
    if n_left > 0:
        er, ec, ew = iou_round(mean, ints, floats, n, boxes, classes, det_track, trk_det, dt,
                               params[P_MAX_IOU], per_class, er, ec, ew)

    update_matched(mean, cov, ints, floats, n, trk_det, boxes, scores, classes, feats, gal, params[P_N_INIT])
    n = remove_lost(mean, cov, ints, floats, n, trk_det, params[P_MAX_AGE], gal)
    counters[N] = n

    n_new = count_free(det_track)
    if n_new > gallery.shape[0] - n:
        err[0] = E_GALLERY
        err[1] = n_new
        pending[:n_det] = det_track
        return np.empty((0, 8))
    return finish_frame(mean, cov, ints, floats, counters, gal, boxes, scores, classes, feats, det_track, dt)
