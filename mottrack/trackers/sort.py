"""SORT: Simple Online and Realtime Tracking (Bewley et al., ICIP 2016).

Each frame:

1. predict every track with its (u, v, s, r) Kalman filter; with ``camera_motion``,
   move each track through the warp as OC-SORT does (:func:`~mottrack.kalman.xysr_warp`:
   the centre exactly, its velocity by the warp's Jacobian, the area and its velocity by
   the local area scale; the covariance keeps its per-component blocks); drop tracks
   whose predicted box is invalid;
2. associate detections to predicted boxes by IoU: if every detection and every
   track has at most one partner above ``iou_threshold`` those pairs are taken as
   they are, otherwise the assignment maximising the total IoU is solved; pairs
   below the threshold are rejected;
3. update matched tracks with their detection;
4. start a track for every unmatched detection;
5. report tracks updated this frame that have ``min_hits`` consecutive hits (or
   all of them during the first ``min_hits`` frames), and delete tracks not
   updated for more than ``max_age`` frames.

With ``max_age=1, min_hits=3, iou_threshold=0.3`` the output equals the original
implementation (abewley/sort) frame by frame.
"""
from __future__ import annotations

import numpy as np

from .._numba import njit
from .._sorting import lower_bound
from ..assignment import max_weight_matching
from ..detections import Detections
from ..detections import NEED_ROOM, split_rows
from ..geometry import has_warp, overlap_edges, same_class_edges
from ..kalman import XYSR_DIM, xysr_initiate, xysr_predict, xysr_update, xysr_warp
from ..tracks import (CLASS, N, NEXT_ID, TENTATIVE, TrackTable, mark_hit, mark_predicted,
                      report_xysr_tracks, start_track, xysr_boxes_or_drop)
from ..registry import register_tracker
from .base import Tracker, check_number

__all__ = ["SORT", "associate_iou"]

# Parameter slots of ``params`` (flags are 0.0 / 1.0).
P_MAX_AGE = 0        # frames a track survives without a detection
P_MIN_HITS = 1       # consecutive hits before a track is reported
P_IOU_THRESHOLD = 2  # minimum IoU of a match
P_PER_CLASS = 3      # 1.0: tracks match detections of their class only
N_PARAMS = 4


@njit
def associate_iou(det_boxes, det_classes, track_boxes, track_classes, iou_threshold, per_class):
    """SORT's association step.

    Returns ``track_for_det`` (N,) int64: the matched track row of each detection, or -1.
    """
    n_det = det_boxes.shape[0]
    n_trk = track_boxes.shape[0]
    track_for_det = np.full(n_det, -1, np.int64)
    rows, cols, ious = overlap_edges(det_boxes, track_boxes)
    if per_class:
        rows, cols, ious = same_class_edges(rows, cols, ious, det_classes, track_classes)
    # Is the thresholded IoU matrix already a one-to-one matching?
    above_r = np.zeros(n_det, np.int64)
    above_c = np.zeros(n_trk, np.int64)
    any_at_or_above = False
    for e in range(rows.shape[0]):
        if ious[e] > iou_threshold:
            above_r[rows[e]] += 1
            above_c[cols[e]] += 1
        if ious[e] >= iou_threshold:
            any_at_or_above = True
    if n_det > 0 and n_trk > 0 and above_r.max() == 1 and above_c.max() == 1:
        for e in range(rows.shape[0]):
            if ious[e] > iou_threshold:
                track_for_det[rows[e]] = cols[e]
        return track_for_det
    if not any_at_or_above:
        return track_for_det
    # Maximum total IoU, then reject pairs below the threshold.
    mr, mc = max_weight_matching(n_det, n_trk, rows, cols, ious)
    for k in range(mr.shape[0]):
        # look the pair's IoU up among the edges of its row (edges are sorted by row, then col)
        e = lower_bound(rows, mr[k])
        while e < rows.shape[0] and rows[e] == mr[k]:
            if cols[e] == mc[k]:
                if ious[e] >= iou_threshold:
                    track_for_det[mr[k]] = mc[k]
                break
            e += 1
    return track_for_det


@njit(inline="always")  # inlined in the rows kernel; called from Python it is a kernel of its own
def _sort_step(mean, cov, ints, floats, counters, boxes, scores, classes, dt, frame_count, params, warp):
    """One SORT frame over the track table; returns the (M, 8) output rows.  ``params``:
    the ``P_*`` slots; ``warp``: the (3, 3) camera warp applied after the prediction, or
    ``NO_WARP``."""
    max_age = params[P_MAX_AGE]
    min_hits = params[P_MIN_HITS]
    iou_threshold = params[P_IOU_THRESHOLD]
    per_class = params[P_PER_CLASS] != 0.0
    n = counters[N]
    next_id = counters[NEXT_ID]
    # 1. predict
    xysr_predict(mean, cov, n, dt)
    mark_predicted(ints, floats, n, dt)
    if has_warp(warp):
        for t in range(n):
            xysr_warp(mean, cov, t, warp)
    pred, n = xysr_boxes_or_drop(mean, cov, ints, floats, n)
    # 2. associate
    track_for_det = associate_iou(boxes, classes, pred, ints[:n, CLASS], iou_threshold, per_class)
    # 3. update matched tracks, 4. start new ones
    for d in range(boxes.shape[0]):
        t = track_for_det[d]
        if t >= 0:
            xysr_update(mean, cov, t, boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3])
            mark_hit(ints, floats, t, d, classes[d], scores[d])
    for d in range(boxes.shape[0]):
        if track_for_det[d] < 0:
            xysr_initiate(mean, cov, n, boxes[d, 0], boxes[d, 1], boxes[d, 2], boxes[d, 3])
            start_track(ints, floats, n, next_id, 0, TENTATIVE, classes[d], d, scores[d])
            next_id += 1
            n += 1
    # 5. report and delete
    out, n = report_xysr_tracks(mean, cov, ints, floats, n, frame_count, min_hits, max_age, False)
    counters[N] = n
    counters[NEXT_ID] = next_id
    return out


@njit
def _sort_step_rows(mean, cov, ints, floats, counters, rows, dt, frame_count, params, warp, err):
    """:func:`_sort_step` on an (N, 5|6) array, validated first (error, or ``NEED_ROOM``
    when the table is too small, into ``err``)."""
    boxes, scores, classes, code, r, c = split_rows(rows, False)
    if code == 0 and counters[N] + boxes.shape[0] > mean.shape[0]:
        code = NEED_ROOM  # nothing changed: the caller grows the table and steps again
    err[0] = code
    if code != 0:
        return np.empty((0, 8))
    return _sort_step(mean, cov, ints, floats, counters, boxes, scores, classes, dt, frame_count, params,
                      warp)


@register_tracker("sort")
class SORT(Tracker):
    """SORT (Bewley et al. 2016): Kalman-predicted boxes matched to detections by IoU.

    Parameters
    ----------
    max_age : int, default 1
        Frames a track survives without a matching detection.  Higher values bridge
        longer occlusions but keep dead tracks alive (more false positives, and
        coasting boxes that can steal detections of nearby objects).
    min_hits : int, default 3
        Consecutive matched frames before a track is reported (except during the
        first ``min_hits`` frames).  Higher values suppress tracks born from false
        detections but report real objects later.
    iou_threshold : float, default 0.3
        Minimum IoU between a detection and a predicted box to match.  Higher values
        avoid wrong matches in crowds but break tracks of fast or jittery objects.
    frame_rate : float, default 30
        Nominal frames per second; only used to convert timestamps to frames.
    per_class : bool, default False
        Only match detections of the track's class.
    output_box : {"kalman", "detection"}, default "kalman"
        Which box a matched track reports: its Kalman state (the original's) or the
        detection that updated it this frame.
    """

    #: SORT expects thresholded detections (the SORT paper's are cut at 0.5).
    default_min_score = 0.5

    def __init__(self, max_age: int = 1, min_hits: int = 3, iou_threshold: float = 0.3, *,
                 frame_rate: float = 30.0, per_class: bool = False, output_box: str = "kalman") -> None:
        super().__init__(frame_rate=frame_rate, per_class=per_class, output_box=output_box)
        self.max_age = check_number("max_age", max_age, low=0)
        self.min_hits = check_number("min_hits", min_hits, low=0, integer=True)
        self.iou_threshold = check_number("iou_threshold", iou_threshold, low=0.0, high=1.0)
        self.tracks = TrackTable(XYSR_DIM)

        params = np.zeros(N_PARAMS)  # the kernels' parameters, by slot
        params[P_MAX_AGE] = self.max_age
        params[P_MIN_HITS] = self.min_hits
        params[P_IOU_THRESHOLD] = self.iou_threshold
        params[P_PER_CLASS] = float(self.per_class)
        self._params = params

    def _step(self, dets: Detections, dt: float, warp: np.ndarray) -> np.ndarray:
        tr = self.tracks
        boxes, scores, classes = self._kernel_inputs(dets)
        tr.reserve(boxes.shape[0])
        return _sort_step(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters,
                          boxes, scores, classes, dt, self.frame_count, self._params, warp)

    _rows_fast_path = True
    _rows_fast_path_warp = True
    _state_attrs = ("tracks",)

    def _step_rows(self, rows: np.ndarray, dt: float, warp: np.ndarray) -> np.ndarray:
        tr = self.tracks
        return _sort_step_rows(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters,
                               rows, dt, self.frame_count, self._params, warp, self._err)

    def _make_room(self, n_det: int) -> None:
        self.tracks.reserve(n_det)

    def _reset(self) -> None:
        self.tracks.reset()
