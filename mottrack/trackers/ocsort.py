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

from typing import Optional

import numpy as np

from .._numba import njit
from ..detections import Detections, split_rows
from ..geometry import SIM_IOU, SIMILARITIES, speed_direction
from ..kalman import XYSR_DIM
from ..registry import register_tracker
from ..tracks import AGE, CLASS, N, NEXT_ID, TrackTable, observation_columns, report_xysr_tracks, xysr_boxes_or_drop
from ._oc_stages import (HIST_AGE, INT_COLUMNS, ORU, ORU_FROZEN, ORU_NEW, VEL, associate_momentum,
                         associate_remaining, birth, columns, float_columns, freeze_lost, gather,
                         has_observation, observe_box, predict_tracks, previous_obs, remove,
                         split_by_score, track_views)
from .base import Tracker, check_number

__all__ = ["OCSORT"]

VW = 2                        # one direction: the centre's (dy, dx)
HZ, FROZEN_TSU, FROZEN, RING = columns.py_func(VW)  # no compilation at import
FLOAT_COLUMNS = float_columns(("velocity_y", "velocity_x"))
MAX_DELTA_T = 256
_NO_CONF = np.empty(0)


@njit
def centre_direction(floats, t, box, age, delta_t):
    """OC-SORT's velocity direction of track ``t`` (at ``age``) taking ``box``: from the
    centre of its observation ``delta_t`` frames back (:func:`previous_obs`) to the box's;
    unchanged while the track has no observation (the original's test)."""
    if has_observation(floats, t):
        c = previous_obs(floats, t, age, delta_t, RING)
        vy, vx = speed_direction(floats[t, c], floats[t, c + 1], floats[t, c + 2], floats[t, c + 3],
                                 box[0], box[1], box[2], box[3])
        floats[t, VEL] = vy
        floats[t, VEL + 1] = vx


@njit
def associate_ocm(boxes, scores, classes, pred, trk_classes, prev, vel, iou_threshold, inertia,
                  per_class):
    """OC-SORT's first association (``associate`` in the original): IoU + the centre
    direction's momentum, :func:`~mottrack.trackers._oc_stages.associate_momentum`.

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
    return associate_momentum(SIM_IOU, boxes, scores, classes, pred, trk_classes, prev, vel,
                              iou_threshold, inertia, per_class, _NO_CONF, 0.0)


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
    # 1. high and low detections
    hi, lo = split_by_score(scores, det_thresh, use_byte)
    # 2. predict (camera motion after the prediction), drop invalid boxes
    predict_tracks(mean, cov, ints, floats, n, dt, warp, has_warp, delta_t, VW)
    pred, n = xysr_boxes_or_drop(mean, cov, ints, floats, n)
    # 3. first association: high detections, IoU + momentum
    prev, vel, last = track_views(ints, floats, n, delta_t, VW)
    hb, hs, hc = gather(boxes, scores, classes, hi)
    track_for_det, udets, utrks = associate_ocm(hb, hs, hc, pred, ints[:n, CLASS], prev, vel,
                                                iou_threshold, inertia, per_class)
    for i in range(hi.shape[0]):
        t = track_for_det[i]
        if t >= 0:
            _observe(mean, cov, ints, floats, t, boxes, scores, classes, hi[i], delta_t)
    # 4. BYTE: low detections against the predicted boxes of the tracks left
    if lo.shape[0] > 0 and utrks.shape[0] > 0:
        md, mt, ran = associate_remaining(kind, boxes, classes, lo, pred, ints[:n, CLASS], utrks,
                                          iou_threshold, per_class, scores, _NO_CONF, 0.0)
        for k in range(md.shape[0]):
            _observe(mean, cov, ints, floats, mt[k], boxes, scores, classes, md[k], delta_t)
        if ran:
            utrks = remove(utrks, mt, n)
    # 5. OCR: high detections left against the last observations of the tracks left
    if udets.shape[0] > 0 and utrks.shape[0] > 0:
        md, mt, ran = associate_remaining(kind, hb, hc, udets, last, ints[:n, CLASS], utrks,
                                          iou_threshold, per_class, hs, _NO_CONF, 0.0)
        for k in range(md.shape[0]):
            _observe(mean, cov, ints, floats, mt[k], boxes, scores, classes, hi[md[k]], delta_t)
        if ran:
            udets = remove(udets, md, hi.shape[0])
            utrks = remove(utrks, mt, n)
    # 6. the tracks left freeze their filter state for ORU
    for k in range(utrks.shape[0]):
        freeze_lost(mean, cov, ints, floats, utrks[k], VW)
    # 7. new tracks
    for i in range(udets.shape[0]):
        d = hi[udets[i]]
        birth(mean, cov, ints, floats, n, next_id, boxes[d], scores[d], classes[d], d, delta_t, VW)
        next_id += 1
        n += 1
    # 8. report and delete
    out, n = report_xysr_tracks(mean, cov, ints, floats, n, frame_count, min_hits, max_age, True)
    counters[N] = n
    counters[NEXT_ID] = next_id
    return out


@njit
def _observe(mean, cov, ints, floats, t, boxes, scores, classes, d, delta_t):
    """Track ``t`` takes detection ``d``: its centre direction, then
    :func:`~mottrack.trackers._oc_stages.observe_box` (ORU, update)."""
    centre_direction(floats, t, boxes[d], ints[t, AGE], delta_t)
    observe_box(mean, cov, ints, floats, t, boxes[d], scores[d], d, classes[d], delta_t, VW)


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


class ObservationCentric(Tracker):
    """What OC-SORT and Hybrid-SORT share outside their kernels: the parameters they
    both have (validated, see :class:`OCSORT`), the camera-motion and state facts, and the
    checks of a restored track table.  Subclasses set ``_vw`` (direction columns) and
    build ``tracks`` and ``_params``."""

    supports_camera_motion = True
    _state_attrs = ("tracks",)
    _vw = VW

    def __init__(self, det_thresh: float, max_age: float, min_hits: int, iou_threshold: float,
                 delta_t: int, asso_func: str, inertia: float, use_byte: bool, *, frame_rate: float,
                 per_class: bool, output_box: str) -> None:
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
        self.use_byte = check_bool("use_byte", use_byte)
        self._no_warp = np.eye(3)

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
        hz = columns.py_func(self._vw)[0]
        if (f[:, hz + 2] <= 0)[ints[:, ORU] != ORU_NEW].any() or (f[:, hz + 3] <= 0)[ints[:, ORU] != ORU_NEW].any():
            raise ValueError("state: attrs.tracks columns history_s and history_r must be > 0")


def check_bool(name: str, value: object) -> bool:
    """``value`` as a bool (a bool, or 0 / 1); ``TypeError`` naming ``name`` otherwise."""
    if not isinstance(value, (bool, np.bool_)) and value not in (0, 1):
        raise TypeError(f"{name}: expected a bool; got {value!r}")
    return bool(value)


@register_tracker("ocsort")
class OCSORT(ObservationCentric):
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

    def __init__(self, det_thresh: float = 0.6, max_age: float = 30, min_hits: int = 3,
                 iou_threshold: float = 0.3, delta_t: int = 3, asso_func: str = "iou",
                 inertia: float = 0.2, use_byte: bool = False, *, frame_rate: float = 30.0,
                 per_class: bool = False, output_box: str = "detection") -> None:
        super().__init__(det_thresh, max_age, min_hits, iou_threshold, delta_t, asso_func, inertia,
                         use_byte, frame_rate=frame_rate, per_class=per_class, output_box=output_box)
        self.tracks = TrackTable(XYSR_DIM, INT_COLUMNS, FLOAT_COLUMNS + observation_columns(self.delta_t))
        self._params = np.array([self.max_age, self.min_hits, self.iou_threshold, self.delta_t,
                                 SIMILARITIES.index(asso_func), self.inertia, float(self.use_byte),
                                 float(self.per_class), self.det_thresh,
                                 float(self.output_box == "detection")])

    def _step(self, dets: Detections, dt: float, warp: np.ndarray | None = None) -> np.ndarray:
        tr = self.tracks
        tr.reserve(dets._boxes.shape[0])
        return _ocsort_step(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, dets._boxes,
                            dets._scores, dets._class_ids, dt, self.frame_count, self._params,
                            self._no_warp if warp is None else warp, warp is not None)

    _rows_fast_path = True
    _rows_output_box = True

    def _step_rows(self, rows: np.ndarray, dt: float, err: np.ndarray,
                   warp: Optional[np.ndarray] = None) -> np.ndarray:
        """The fused step on plain rows; only called without a warp (``_rows_fast_path_warp``
        is False, so camera-motion frames take ``_step``)."""
        tr = self.tracks
        if tr.counters[N] + rows.shape[0] > tr.mean.shape[0]:
            tr.reserve(rows.shape[0])
        return _ocsort_step_rows(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, rows, dt,
                                 self.frame_count, self._params, self._no_warp, err)
