"""The stages of BYTE-style trackers (ByteTrack, BoT-SORT), compiled, one concept each.

Both trackers keep every track in one :class:`~mottrack.tracks.TrackTable` whose rows
are the *tracked* pool (confirmed and unconfirmed tracks, in the originals' list
order) followed by the *lost* pool, and run the same frame:

1. :func:`split_detections` — high (score > high) and low (0.1 < score < high) boxes;
2. :func:`predict_pool` — Kalman prediction of the confirmed and lost tracks (lost
   tracks coast at constant size), then optionally :func:`warp_tracks` (camera motion,
   every track);
3. :func:`first_round` — high boxes against the pool (:func:`associate`: 1 - IoU,
   fused with the score, optionally min'ed with an appearance cost);
4. :func:`second_round` — low boxes against the tracked tracks left over (1 - IoU);
   the rest become lost;
5. :func:`unconfirmed_round` — tracks born last frame against the high boxes left;
6. :func:`births` — new tracks from the high boxes still left;
7. :func:`retire_and_report` — lost tracks that timed out leave, the pools are
   rebuilt in the originals' order, tracked/lost duplicates are dropped, the output
   rows are written and the table is stored in pool order.

:func:`byte_frame` runs them in that order; the trackers differ in their Kalman
parametrisation (``model``: ByteTrack's (x, y, a, h) or BoT-SORT's (x, y, w, h)), their
parameters, the appearance term and in which tracked tracks they report.

Kernel arguments follow the package's convention (see :mod:`mottrack.trackers.base`):

* ``params`` — float64 vector, one slot per parameter, read by name: ``params[P_MATCH]``
  (slots ``P_*`` below; flags are 0.0 / 1.0);
* ``fwork``, ``iwork`` — the tracker's workspace, float and int scratch from
  :func:`new_workspace` (two arrays, not a tuple: numba reads a tuple argument several
  times slower than two arrays); inside the frame :func:`carve_workspace` lays it out as a
  :class:`Scratch` of named offsets, one per purpose, and each stage takes the views it
  uses (:func:`fbox`, :func:`ivec`), so a frame allocates nothing but its output;
* ``warp`` — the (3, 3) camera warp or :data:`~mottrack.geometry.NO_WARP`.

Inside the frame the track table travels as one :class:`Table` (mean, cov, ints,
floats, feats).

Per-track appearance (BoT-SORT) is a float64 array ``feats`` with a row per table row
(the exponentially smoothed, unit-length feature) and the ``HAS_FEAT`` int column;
ByteTrack passes a (1, 0) array, which every loop over features skips.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Tuple

import numpy as np

from .._numba import njit
from ..assignment import match_edges
from ..geometry import has_warp, overlap_edges_into
from ..kalman import (XYWH, boxes_of_rows, initiate_row, update_rows_with, xyah_predict_row, xyah_warp_rows,
                      xywh_predict_row, xywh_warp_rows)
from ..tracks import (CLASS, copy_track, CONFIRMED, DELETED, DET, ID, LOST, N, N_FLOAT_BASE, N_INT_BASE, NEXT_ID,
                      SCORE, STATE, TENTATIVE, TSU, TrackTable, mark_hits, mark_predicted, start_track)

# Columns of the track table beyond the shared ones.
REMOVED = N_INT_BASE        # 0: never removed; 1: timed out this frame; 2: in the removed list
HAS_FEAT = N_INT_BASE + 1   # BoT-SORT: the track holds an appearance feature
TRACKED_TIME = N_FLOAT_BASE  # time since the track was started (frames)

# Fixed constants of the original algorithms.
LOW_SCORE = 0.1             # low detections are those with LOW_SCORE < score < high
SECOND_THRESH = 0.5         # cost limit of the second association (1 - IoU)
UNCONFIRMED_THRESH = 0.7    # cost limit of matching unconfirmed tracks
DUPLICATE_THRESH = 0.15     # tracked/lost pairs with 1 - IoU below this are duplicates
TIME_EPS = 1e-6             # time comparisons tolerate float round-off of timestamps (frames)
FEATURE_ALPHA = 0.9         # BoT-SORT's feature smoothing (EMA weight of the old feature)
EDGE_BUFFER = 1024          # IoU pairs held without allocating (problems up to 1024 pairs)

# Parameter slots of ``params`` (both trackers fill every slot).
P_HIGH = 0                  # high detections: score > this
P_MATCH = 1                 # cost limit of the first association
P_MAX_LOST = 2              # frames a lost track is kept
P_NEW = 3                   # minimum score of a detection that starts a track
P_FUSE = 4                  # 1.0: IoU costs fused with the score
P_PER_CLASS = 5             # 1.0: tracks match detections of their class only
P_PROXIMITY = 6             # appearance counts only where 1 - IoU <= this (BoT-SORT)
P_APPEARANCE = 7            # appearance counts only where the cosine cost <= this (BoT-SORT)
P_WITH_UNCONFIRMED = 8      # 1.0: unconfirmed tracked tracks are reported too (BoT-SORT)
N_PARAMS = 9

#: The track table inside a frame (``feats``: (rows, D) appearance, (1, 0) without).
Table = namedtuple("Table", ["mean", "cov", "ints", "floats", "feats"])

#: A frame's scratch: where each buffer starts in the workspace (n0 tracks, nd
#: detections, cap = n0 + nd).  Integers only: a stage makes the views it uses
#: (:func:`fbox`, :func:`ivec`), because numba counts a reference for every array a
#: tuple holds each time the tuple is passed to a stage.
Scratch = namedtuple("Scratch", [
    "n0",           # tracks at the start of the frame
    "nd",           # detections
    # float workspace, (rows, 4) boxes
    "dbox",         # (nd, 4) detection boxes as the originals compute them (x1 + w)
    "sel",          # (nd, 4) boxes of the detections one association considers
    "pool_box",     # (n0, 4) predicted boxes of the pool (first round)
    "rest_box",     # (n0, 4) boxes of the tracked tracks the first round left (second round)
    "unc_box",      # (n0, 4) boxes of the unconfirmed tracks
    "dup_box",      # (cap, 4) boxes of the new tracked then lost pools (duplicates)
    "edge_value",   # (EDGE_BUFFER,) IoU edges of the current association: value,
    # int workspace
    "edge_row",     # (EDGE_BUFFER,)   row,
    "edge_col",     # (EDGE_BUFFER,)   column
    "solver",       # (2 cap,) the matching solver's scratch
    "hi",           # (nd,) high detections
    "lo",           # (nd,) low detections
    "hi_used",      # (nd,) 1 where the first round took the high detection
    "left",         # (nd,) high detections the first round left
    "left_used",    # (nd,) 1 where an unconfirmed track took the left detection
    "pool",         # (n0,) table rows of the confirmed and lost tracks
    "match1",       # (n0,) first round: the position in ``hi`` matched to each pool track
    "rest",         # (n0,) table rows of the tracked tracks the first round left
    "match2",       # (n0,) second round: the position in ``lo`` matched to each of ``rest``
    "unconfirmed",  # (n0,) table rows of the unconfirmed tracks
    "match3",       # (n0,) the position in ``left`` matched to each unconfirmed track
    "hit_row",      # (n0,) table rows one round updates,
    "hit_det",      # (n0,)   with these detections
    "order",        # (cap,) table rows of the new pools, in the originals' order
    "keep",         # (cap,) 0 where a duplicate is dropped (per position of ``order``)
])

_FLOAT_SCRATCH = 16  # float64 scratch per unit of cap (see carve_workspace)
_INT_SCRATCH = 12    # int64 scratch per unit of cap


@njit
def has_room(mean, iwork, counters, nd):
    """Whether a frame of ``nd`` detections fits: the workspace (:func:`new_workspace`)
    was made for >= n + nd and the table holds 2 (n + nd) rows."""
    need = counters[N] + nd
    return need <= (iwork.shape[0] - 2 * EDGE_BUFFER) // _INT_SCRATCH and 2 * need <= mean.shape[0]


def new_workspace(cap: int) -> Tuple[np.ndarray, np.ndarray]:
    """A BYTE workspace ``(float scratch, int scratch)`` for frames with (tracks +
    detections) <= ``cap``; the kernels carve it with :func:`carve_workspace`."""
    return (np.zeros(_FLOAT_SCRATCH * cap + EDGE_BUFFER),
            np.zeros(_INT_SCRATCH * cap + 2 * EDGE_BUFFER, np.int64))


class ByteWork:
    """Parameters, workspace and table room of a BYTE-style tracker (mixin).  The class
    provides ``tracks`` and ``_kernel_params()`` (the ``N_PARAMS`` slots, in order)."""

    tracks: TrackTable
    _work_for: int

    def _kernel_params(self) -> Tuple[float, ...]:  # pragma: no cover - provided by the tracker
        raise NotImplementedError

    def _make_work(self, cap: int) -> None:
        """Parameters, and a workspace for frames where (tracks + detections) <= cap."""
        cap = max(cap, 2 * getattr(self, "_work_for", -1), 64)
        params = self._kernel_params()
        assert len(params) == N_PARAMS
        self._params = np.array(params, np.float64)
        self._fwork, self._iwork = new_workspace(cap)
        self._work_for = cap

    def _check_restored(self) -> None:
        """Base checks, then the pools: the removed flag is 0, 1 or 2."""
        super()._check_restored()  # type: ignore[misc]
        tr = self.tracks
        rem = tr.ints[:tr.n, REMOVED]
        if rem.shape[0] and (rem.min() < 0 or rem.max() > 2):
            raise ValueError("state: attrs.tracks column 'removed' must hold 0, 1 or 2")

    def _prepare(self, n_det: int) -> None:
        """Room for this frame: the table holds 2 (tracks + detections) rows."""
        tr = self.tracks
        need = int(tr.counters[0]) + n_det
        if 2 * need > tr.mean.shape[0]:
            tr.reserve(2 * need - int(tr.counters[0]))
        if need > self._work_for:
            self._make_work(need)



# ----------------------------------------------------------------------------- the model
@njit(inline="always")
def boxes_into(model, mean, rows, out):
    """Boxes (x1, y1, x2, y2) of table ``rows`` into ``out``; returns the filled part."""
    filled = out[:rows.shape[0]]
    boxes_of_rows(model, mean, rows, filled)
    return filled


# ----------------------------------------------------------------------------- workspace
@njit(inline="always")
def carve_workspace(n0, nd):
    """The :class:`Scratch` layout of a frame with ``n0`` tracks and ``nd`` detections
    (the workspace, :func:`new_workspace`, was made for cap >= n0 + nd)."""
    cap = n0 + nd
    # float64 workspace: boxes, then the edge values
    dbox = 0
    sel = dbox + 4 * nd
    pool_box = sel + 4 * nd
    rest_box = pool_box + 4 * n0
    unc_box = rest_box + 4 * n0
    dup_box = unc_box + 4 * n0
    edge_value = dup_box + 4 * cap
    # int64 workspace
    edge_row = 0
    edge_col = edge_row + EDGE_BUFFER
    solver = edge_col + EDGE_BUFFER
    hi = solver + 2 * cap
    lo = hi + nd
    hi_used = lo + nd
    left = hi_used + nd
    left_used = left + nd
    pool = left_used + nd
    match1 = pool + n0
    rest = match1 + n0
    match2 = rest + n0
    unconfirmed = match2 + n0
    match3 = unconfirmed + n0
    hit_row = match3 + n0
    hit_det = hit_row + n0
    order = hit_det + n0
    keep = order + cap
    return Scratch(n0, nd, dbox, sel, pool_box, rest_box, unc_box, dup_box, edge_value, edge_row, edge_col,
                   solver, hi, lo, hi_used, left, left_used, pool, match1, rest, match2, unconfirmed,
                   match3, hit_row, hit_det, order, keep)


@njit(inline="always")
def fbox(fw, at, n):
    """The (n, 4) float64 view of the workspace ``fw`` starting at ``at``."""
    return fw[at:at + 4 * n].reshape((n, 4))


@njit(inline="always")
def ivec(iw, at, n):
    """The (n,) int64 view of the workspace ``iw`` starting at ``at``."""
    return iw[at:at + n]


@njit(inline="always")
def overlap_edges(a, b, fw, iw, s):
    """:func:`~mottrack.geometry.overlap_edges_into` of boxes ``a`` and ``b`` into the
    frame's edge buffers; returns (rows, cols, IoU) of the overlapping pairs."""
    return overlap_edges_into(a, b, ivec(iw, s.edge_row, EDGE_BUFFER), ivec(iw, s.edge_col, EDGE_BUFFER),
                              fw[s.edge_value:s.edge_value + EDGE_BUFFER])


@njit(inline="always")
def split_detections(boxes, scores, high, dbox, hi, lo):
    """Detection boxes as the originals see them (x1 + (x2 - x1)) into ``dbox``; returns
    the rows scoring above ``high`` and those with 0.1 < score < ``high`` (strict both)."""
    nh = 0
    nl = 0
    for d in range(boxes.shape[0]):
        x1 = boxes[d, 0]
        y1 = boxes[d, 1]
        w = boxes[d, 2] - x1
        h = boxes[d, 3] - y1
        dbox[d, 0] = x1
        dbox[d, 1] = y1
        dbox[d, 2] = x1 + w
        dbox[d, 3] = y1 + h
        if not h > 0.0:
            continue  # no Kalman state for a box without height
        s = scores[d]
        if s > high:
            hi[nh] = d
            nh += 1
        elif s > LOW_SCORE and s < high:
            lo[nl] = d
            nl += 1
    return hi[:nh], lo[:nl]


# ----------------------------------------------------------------------------- predict, warp
@njit(inline="always")
def count_tracked(ints, n0):
    nt = 0
    while nt < n0 and ints[nt, STATE] != LOST:
        nt += 1
    return nt


@njit(inline="always")
def predict_pool(model, tab, n0, dt, pool):
    """Age every track; predict the confirmed and lost ones (the pool, returned in table
    order).  Lost tracks coast at constant size: their height velocity (and, in the
    (x, y, w, h) model, width velocity) is zeroed first, as the originals do."""
    mean, cov, ints, floats = tab.mean, tab.cov, tab.ints, tab.floats
    mark_predicted(ints, floats, n0, dt)
    npool = 0
    for t in range(n0):
        floats[t, TRACKED_TIME] += dt
        st = ints[t, STATE]
        if st == CONFIRMED or st == LOST:
            if st == LOST:
                mean[t, 7] = 0.0
                if model == XYWH:
                    mean[t, 6] = 0.0
            if model == XYWH:
                xywh_predict_row(mean, cov, t, dt)
            else:
                xyah_predict_row(mean, cov, t, dt)
            pool[npool] = t
            npool += 1
    return pool[:npool]


@njit(inline="always")
def warp_tracks(model, mean, cov, n0, warp):
    """Move every track (tracked, unconfirmed and lost) through the camera warp (3, 3)
    from the previous frame's pixels to this frame's (see the ``*_warp_rows`` kernels)."""
    if model == XYWH:
        xywh_warp_rows(mean, cov, n0, warp)
    else:
        xyah_warp_rows(mean, cov, n0, warp)


# ----------------------------------------------------------------------------- appearance
@njit
def normalize_features(emb, out):
    """Unit-length float64 copies of the detection embeddings (N, D), normalised twice as
    BoT-SORT's STrack does on creation; returns the first zero-length row or -1."""
    for i in range(emb.shape[0]):
        for rep in range(2):
            acc = 0.0
            for k in range(emb.shape[1]):
                v = np.float64(emb[i, k]) if rep == 0 else out[i, k]
                acc += v * v
            norm = np.sqrt(acc)
            if not norm > 0.0:
                return i
            for k in range(emb.shape[1]):
                v = np.float64(emb[i, k]) if rep == 0 else out[i, k]
                out[i, k] = v / norm
    return -1


@njit
def cosine_cost(feats, t, dfeat, d):
    """BoT-SORT's appearance cost: the cosine distance (>= 0) halved."""
    uv = 0.0
    uu = 0.0
    vv = 0.0
    for k in range(feats.shape[1]):
        a = feats[t, k]
        b = dfeat[d, k]
        uv += a * b
        uu += a * a
        vv += b * b
    c = 1.0 - uv / np.sqrt(uu * vv)
    return max(c, 0.0) / 2.0


@njit(inline="always")
def feature_flags(ints):
    """The ``HAS_FEAT`` column (a table without one: any column, never read then)."""
    return ints[:, HAS_FEAT] if ints.shape[1] > HAS_FEAT else ints[:, 0]


@njit
def smooth_feature(feats, ints, t, dfeat, d):
    """Track ``t`` takes detection ``d``'s feature: the first one as it is, later ones by
    the exponential moving average (weight 0.9 on the old), renormalised."""
    dim = feats.shape[1]
    if dim == 0:
        return
    acc = 0.0
    for k in range(dim):
        acc += dfeat[d, k] * dfeat[d, k]
    norm = np.sqrt(acc)
    if ints[t, HAS_FEAT] == 0:
        for k in range(dim):
            feats[t, k] = dfeat[d, k] / norm
        ints[t, HAS_FEAT] = 1
        return
    acc = 0.0
    for k in range(dim):
        v = FEATURE_ALPHA * feats[t, k] + (1.0 - FEATURE_ALPHA) * (dfeat[d, k] / norm)
        feats[t, k] = v
        acc += v * v
    norm = np.sqrt(acc)
    for k in range(dim):
        feats[t, k] /= norm


# ----------------------------------------------------------------------------- association
@njit(inline="always")
def associate(tab, params, fw, iw, s, tboxes, trow, dsel, scores, classes, dfeat, limit, fuse, col_for_row):
    """Match tracks (boxes ``tboxes``, table rows ``trow``) to the detections ``dsel``.

    Cost 1 - IoU, or 1 - IoU * score with ``fuse`` (computed as the originals do); with
    appearance (``dfeat`` has columns and the track a feature) the smaller of that and
    the halved cosine distance, where the latter counts only if <= ``params[P_APPEARANCE]``
    and 1 - IoU <= ``params[P_PROXIMITY]`` (BoT-SORT).  Only pairs with cost < ``limit``;
    the assignment of least total cost, as ``lap.lapjv(cost, extend_cost=True,
    cost_limit=limit)``.  Writes the position in ``dsel`` matched to each track into
    ``col_for_row`` (-1 if none).  Uses ``s.sel``, the edge buffers and ``s.solver``."""
    per_class = params[P_PER_CLASS] != 0.0
    proximity = params[P_PROXIMITY]
    appearance = params[P_APPEARANCE]
    feats = tab.feats
    track_classes = tab.ints[:, CLASS]
    has_feat = feature_flags(tab.ints)
    nd = dsel.shape[0]
    sel = fbox(fw, s.sel, nd)
    dbox = fbox(fw, s.dbox, s.nd)
    for j in range(nd):
        for k in range(4):
            sel[j, k] = dbox[dsel[j], k]
    er, ec, ev = overlap_edges(tboxes, sel, fw, iw, s)
    use_app = dfeat.shape[1] > 0
    k = 0
    for e in range(er.shape[0]):
        d = dsel[ec[e]]
        t = trow[er[e]]
        if per_class and track_classes[t] != classes[d]:
            continue
        iou_cost = 1.0 - ev[e]
        c = iou_cost
        if fuse:
            c = 1.0 - (1.0 - c) * scores[d]
        if use_app and has_feat[t] != 0 and iou_cost <= proximity:
            a = cosine_cost(feats, t, dfeat, d)
            if a <= appearance and a < c:
                c = a
        if c < limit:
            er[k] = er[e]
            ec[k] = ec[e]
            ev[k] = limit - c
            k += 1
    match_edges(tboxes.shape[0], nd, er[:k], ec[:k], ev[:k], col_for_row, ivec(iw, s.solver, 2 * (s.n0 + s.nd)))


@njit
def smooth_features(feats, ints, rows, dets, dfeat):
    """:func:`smooth_feature` of track ``rows[i]`` with detection ``dets[i]``, for each i."""
    for i in range(rows.shape[0]):
        smooth_feature(feats, ints, rows[i], dfeat, dets[i])


@njit(inline="always")
def take_detections(model, tab, rows, dets, boxes, scores, classes, dfeat):
    """Tracks ``rows[i]`` are updated with detections ``dets[i]`` (Kalman correction,
    lifecycle, and the appearance feature when ``dfeat`` has one).  One call per round,
    not per track: numba counts references to every array an inlined helper takes."""
    if rows.shape[0] == 0:
        return
    update_rows_with(model, tab.mean, tab.cov, rows, dets, boxes)
    mark_hits(tab.ints, tab.floats, rows, dets, classes, scores)
    if dfeat.shape[1] > 0:
        smooth_features(tab.feats, tab.ints, rows, dets, dfeat)


@njit(inline="always")
def first_round(model, tab, params, fw, iw, s, nt, pool, hi, boxes, scores, classes, dfeat):
    """High detections ``hi`` against the whole ``pool``; a matched lost track is re-found.
    Marks the detections taken in ``s.hi_used``; returns the number of tracked tracks
    left over (their rows in ``s.rest``, their predicted boxes in ``s.rest_box``, pool
    order)."""
    ints = tab.ints
    hi_used = ivec(iw, s.hi_used, hi.shape[0])
    rest = ivec(iw, s.rest, s.n0)
    rest_box = fbox(fw, s.rest_box, s.n0)
    m1 = ivec(iw, s.match1, pool.shape[0])
    pbox = boxes_into(model, tab.mean, pool, fbox(fw, s.pool_box, s.n0))
    hi_used[:] = 0
    associate(tab, params, fw, iw, s, pbox, pool, hi, scores, classes, dfeat, params[P_MATCH],
              params[P_FUSE] != 0.0, m1)
    hit_row, hit_det = ivec(iw, s.hit_row, s.n0), ivec(iw, s.hit_det, s.n0)
    n_hit = 0
    n_rest = 0
    for p in range(pool.shape[0]):
        j = m1[p]
        t = pool[p]
        if j >= 0:
            hi_used[j] = 1
            hit_row[n_hit] = t
            hit_det[n_hit] = hi[j]
            n_hit += 1
            ints[t, STATE] = CONFIRMED  # a lost track is re-found
        elif t < nt:
            rest[n_rest] = t
            for k in range(4):
                rest_box[n_rest, k] = pbox[p, k]
            n_rest += 1
    take_detections(model, tab, hit_row[:n_hit], hit_det[:n_hit], boxes, scores, classes, dfeat)
    return n_rest


@njit(inline="always")
def second_round(model, tab, params, fw, iw, s, n_rest, lo, boxes, scores, classes):
    """Low detections ``lo`` against the tracked tracks the first round left (``s.rest``),
    cost 1 - IoU below 0.5, no appearance; tracks still unmatched become lost."""
    if n_rest == 0:
        return
    rest = ivec(iw, s.rest, n_rest)
    m2 = ivec(iw, s.match2, n_rest)
    no_feat = tab.feats[:1, :0]  # no appearance in the second round
    associate(tab, params, fw, iw, s, fbox(fw, s.rest_box, n_rest), rest, lo, scores, classes, no_feat,
              SECOND_THRESH, False, m2)
    ints = tab.ints
    hit_row, hit_det = ivec(iw, s.hit_row, n_rest), ivec(iw, s.hit_det, n_rest)
    n_hit = 0
    for i in range(n_rest):
        t = rest[i]
        j = m2[i]
        if j >= 0:
            hit_row[n_hit] = t
            hit_det[n_hit] = lo[j]
            n_hit += 1
        else:
            ints[t, STATE] = LOST
    take_detections(model, tab, hit_row[:n_hit], hit_det[:n_hit], boxes, scores, classes, no_feat)


@njit(inline="always")
def unconfirmed_round(model, tab, params, fw, iw, s, nt, hi, boxes, scores, classes, dfeat):
    """Tracks born last frame (not predicted) against the high detections the first round
    left (cost as there, below 0.7): matched ones are confirmed, the others deleted.
    Returns the detections left (a view of ``s.left``); ``s.left_used[j]`` says whether
    ``left[j]`` matched."""
    ints = tab.ints
    hi_used = ivec(iw, s.hi_used, hi.shape[0])
    left_all = ivec(iw, s.left, s.nd)
    n_left = 0
    for j in range(hi.shape[0]):
        if hi_used[j] == 0:
            left_all[n_left] = hi[j]
            n_left += 1
    left = left_all[:n_left]
    used = ivec(iw, s.left_used, n_left)
    used[:] = 0
    unconfirmed = ivec(iw, s.unconfirmed, s.n0)
    n_unc = 0
    for t in range(nt):
        if ints[t, STATE] == TENTATIVE:
            unconfirmed[n_unc] = t
            n_unc += 1
    if n_unc == 0:
        return left
    unc = unconfirmed[:n_unc]
    m3 = ivec(iw, s.match3, n_unc)
    associate(tab, params, fw, iw, s, boxes_into(model, tab.mean, unc, fbox(fw, s.unc_box, n_unc)), unc, left,
              scores, classes, dfeat, UNCONFIRMED_THRESH, params[P_FUSE] != 0.0, m3)
    hit_row, hit_det = ivec(iw, s.hit_row, n_unc), ivec(iw, s.hit_det, n_unc)
    n_hit = 0
    for i in range(n_unc):
        t = unc[i]
        j = m3[i]
        if j >= 0:
            used[j] = 1
            hit_row[n_hit] = t
            hit_det[n_hit] = left[j]
            n_hit += 1
            ints[t, STATE] = CONFIRMED
        else:
            ints[t, STATE] = DELETED
    take_detections(model, tab, hit_row[:n_hit], hit_det[:n_hit], boxes, scores, classes, dfeat)
    return left


@njit(inline="always")
def births(model, tab, params, n0, next_id, left, used, boxes, scores, classes, dfeat, frame_count):
    """A new track for each high detection ``left`` not ``used`` with score >=
    ``params[P_NEW]``: confirmed at once on the very first frame, otherwise unconfirmed
    until matched next frame.  Returns the new table size and next id."""
    new_thresh = params[P_NEW]
    n = n0
    new_state = CONFIRMED if frame_count == 1 else TENTATIVE
    mean, cov, ints, floats, feats = tab.mean, tab.cov, tab.ints, tab.floats, tab.feats
    for j in range(left.shape[0]):
        d = left[j]
        if used[j] == 0 and scores[d] >= new_thresh:
            initiate_row(model, mean, cov, n, boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3])
            start_track(ints, floats, n, next_id, 1, new_state, classes[d], d, scores[d])
            if dfeat.shape[1] > 0:
                smooth_feature(feats, ints, n, dfeat, d)
            next_id += 1
            n += 1
    return n, next_id


# ----------------------------------------------------------------------------- retire, report
@njit(inline="always")
def pool_order(ints, floats, nt, n0, n, max_time_lost, order):
    """Lost tracks not updated for more than ``max_time_lost`` are removed; writes the new
    pools into ``order`` in the originals' list order (tracked: surviving tracked
    tracks, new tracks, re-found tracks; lost: the previous lost pool, then newly lost
    tracks; tracks already in the removed list leave) and returns (tracked count, total)."""
    for t in range(nt, n0):
        if ints[t, STATE] == LOST and ints[t, REMOVED] == 0 and floats[t, TSU] > max_time_lost + TIME_EPS:
            ints[t, REMOVED] = 1
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
    return m_t, m


@njit(inline="always")
def drop_duplicates(model, tab, fw, iw, s, order, keep, tbox, m, per_class):
    """A tracked and a lost track whose boxes overlap with 1 - IoU < 0.15 are duplicates:
    the one followed for the shorter time goes (``keep`` per position of ``order``).
    ``tbox``: the boxes of the tracked pool ``order[:m_t]``, a view of ``s.dup_box``."""
    ints, floats = tab.ints, tab.floats
    m_t = tbox.shape[0]
    keep[:m] = 1
    if m_t == 0 or m == m_t:
        return
    lbox = boxes_into(model, tab.mean, order[m_t:m], fbox(fw, s.dup_box + 4 * m_t, m - m_t))
    de_r, de_c, de_v = overlap_edges(tbox, lbox, fw, iw, s)
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


@njit(inline="always")
def report(ints, floats, order, keep, tbox, with_unconfirmed):
    """Output rows (M, 8) of the tracked pool ``order[:m_t]`` (boxes ``tbox`` (m_t, 4)):
    confirmed tracks, and unconfirmed ones too with ``with_unconfirmed`` (BoT-SORT returns
    its not yet activated tracks)."""
    m_t = tbox.shape[0]
    out = np.empty((m_t, 8))
    n_out = 0
    for i in range(m_t):
        t = order[i]
        st = ints[t, STATE]
        if keep[i] != 0 and (st == CONFIRMED or (with_unconfirmed and st == TENTATIVE)):
            for k in range(4):
                out[n_out, k] = tbox[i, k]
            out[n_out, 4] = ints[t, ID]
            out[n_out, 5] = floats[t, SCORE]
            out[n_out, 6] = ints[t, CLASS]
            out[n_out, 7] = ints[t, DET]
            n_out += 1
    return out[:n_out]


@njit(inline="always")
def copy_row(mean, cov, ints, floats, feats, src, dst):
    copy_track(mean, cov, ints, floats, src, dst)
    for a in range(feats.shape[1]):
        feats[dst, a] = feats[src, a]


@njit(inline="always")
def store_pools(mean, cov, ints, floats, feats, order, keep, m, n):
    """Rewrite the table as the kept rows of ``order``; rows that move go through the free
    rows after ``n`` (the table holds 2 (tracks + detections) rows).  Returns the size."""
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
            copy_row(mean, cov, ints, floats, feats, order[i], i)
    else:
        for i in range(first, m):
            copy_row(mean, cov, ints, floats, feats, order[i], n + i - first)
        for i in range(first, m):
            copy_row(mean, cov, ints, floats, feats, n + i - first, i)
    return m


@njit(inline="always")
def retire_and_report(model, tab, params, fw, iw, s, nt, n0, n):
    """Step 7: timeouts, the new pools, duplicates, the output rows, the stored table.
    Returns (output rows, new table size)."""
    cap = s.n0 + s.nd
    order, keep = ivec(iw, s.order, cap), ivec(iw, s.keep, cap)
    m_t, m = pool_order(tab.ints, tab.floats, nt, n0, n, params[P_MAX_LOST], order)
    tbox = boxes_into(model, tab.mean, order[:m_t], fbox(fw, s.dup_box, m_t))
    drop_duplicates(model, tab, fw, iw, s, order, keep, tbox, m, params[P_PER_CLASS] != 0.0)
    out = report(tab.ints, tab.floats, order, keep, tbox, params[P_WITH_UNCONFIRMED] != 0.0)
    return out, store_pools(tab.mean, tab.cov, tab.ints, tab.floats, tab.feats, order, keep, m, n)


# ----------------------------------------------------------------------------- the frame
@njit(inline="always")
def byte_frame(model, mean, cov, ints, floats, counters, feats, boxes, scores, classes, dfeat, dt,
               frame_count, params, fwork, iwork, warp):
    """One frame of a BYTE-style tracker: steps 1-7 of the module docs over the track table;
    returns the (M, 8) output rows.  ``params``: the ``P_*`` slots; ``fwork``, ``iwork``:
    the workspace (:func:`new_workspace`, for >= n + N); ``warp``: the (3, 3) camera warp or
    ``NO_WARP``; ``dfeat``: unit-length detection features (N, D), or (1, 0) without
    appearance.  The table has room for 2 (n + N) rows."""
    n0 = counters[N]
    tab = Table(mean, cov, ints, floats, feats)
    nd = boxes.shape[0]
    s = carve_workspace(n0, nd)
    # 1-2: split the detections; predict; camera motion
    hi, lo = split_detections(boxes, scores, params[P_HIGH], fbox(fwork, s.dbox, nd), ivec(iwork, s.hi, nd),
                              ivec(iwork, s.lo, nd))
    nt = count_tracked(ints, n0)
    pool = predict_pool(model, tab, n0, dt, ivec(iwork, s.pool, n0))
    if has_warp(warp):
        warp_tracks(model, mean, cov, n0, warp)
    # 3-4: the two rounds
    n_rest = first_round(model, tab, params, fwork, iwork, s, nt, pool, hi, boxes, scores, classes, dfeat)
    second_round(model, tab, params, fwork, iwork, s, n_rest, lo, boxes, scores, classes)
    # 5-6: unconfirmed tracks, births
    left = unconfirmed_round(model, tab, params, fwork, iwork, s, nt, hi, boxes, scores, classes, dfeat)
    n, next_id = births(model, tab, params, n0, counters[NEXT_ID], left, ivec(iwork, s.left_used, nd), boxes,
                        scores, classes, dfeat, frame_count)
    # 7: removal, duplicates, output, storage
    out, m = retire_and_report(model, tab, params, fwork, iwork, s, nt, n0, n)
    counters[N] = m
    counters[NEXT_ID] = next_id
    return out
