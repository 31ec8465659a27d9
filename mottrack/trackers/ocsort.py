"""OC-SORT: Observation-Centric SORT (Cao et al., CVPR 2023).

SORT's constant-velocity (u, v, s, r) Kalman filter, made robust to occlusion and
non-linear motion by trusting the detector's observations over the filter's estimates.
Each frame (one compiled :func:`~mottrack.trackers._oc_stages.oc_frame`, whose stages
Hybrid-SORT shares):

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
from ..detections import Detections
from ..geometry import SIM_IOU, SIMILARITIES
from ..kalman import XYSR_DIM
from ..registry import register_tracker
from ..tracks import AGE, N, TrackTable, observation_columns
from ._oc_stages import (CENTRE_VW, CORNER_VW, HIST_AGE, INT_COLUMNS, N_PARAMS, ORU, ORU_FROZEN, ORU_NEW,
                         P_DELTA_T, P_DET_THRESH, P_DETECTION_BOX, P_FIRST_KIND, P_INERTIA,
                         P_IOU_THRESHOLD, P_KIND, P_MAX_AGE, P_MIN_HITS, P_PER_CLASS, P_TCM_BYTE,
                         P_TCM_FIRST, P_USE_BYTE, associate_momentum, columns, float_columns, oc_frame,
                         oc_frame_rows)
from .base import Tracker, check_number

__all__ = ["OCSORT"]

FLOAT_COLUMNS = float_columns(("velocity_y", "velocity_x"))
MAX_DELTA_T = 256
_NO_CONF = np.empty(0)


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


class ObservationCentric(Tracker):
    """What OC-SORT and Hybrid-SORT share outside their kernels: the parameters they
    both have (validated, see :class:`OCSORT`), the camera-motion and state facts, and the
    checks of a restored track table, and the step (one compiled
    :func:`~mottrack.trackers._oc_stages.oc_frame`).  Subclasses set ``_hybrid`` and build
    ``tracks`` and ``_params`` (:meth:`_frame_params`)."""

    _state_attrs = ("tracks",)
    _hybrid = False
    _params: np.ndarray
    _rows_fast_path = True
    _rows_output_box = True

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

    def _frame_params(self, first_kind: int, tcm_first: float, tcm_byte: float) -> np.ndarray:
        """The parameter vector of :func:`~mottrack.trackers._oc_stages.oc_frame`."""
        p = np.zeros(N_PARAMS)
        p[P_MAX_AGE] = self.max_age
        p[P_MIN_HITS] = self.min_hits
        p[P_IOU_THRESHOLD] = self.iou_threshold
        p[P_DELTA_T] = self.delta_t
        p[P_KIND] = SIMILARITIES.index(self.asso_func)
        p[P_INERTIA] = self.inertia
        p[P_USE_BYTE] = float(self.use_byte)
        p[P_PER_CLASS] = float(self.per_class)
        p[P_DET_THRESH] = self.det_thresh
        p[P_DETECTION_BOX] = float(self.output_box == "detection")
        p[P_FIRST_KIND] = first_kind
        p[P_TCM_FIRST] = tcm_first
        p[P_TCM_BYTE] = tcm_byte
        return p

    def _step(self, dets: Detections, dt: float, warp: np.ndarray) -> np.ndarray:
        tr = self.tracks
        boxes, scores, classes = self._kernel_inputs(dets)  # the rows path's types: one compile
        tr.reserve(boxes.shape[0])
        return oc_frame(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, boxes, scores, classes,
                        dt, self.frame_count, self._params, warp, self._hybrid)

    def _step_rows(self, rows: np.ndarray, dt: float, warp: np.ndarray) -> np.ndarray:
        """The fused step on plain rows (split_rows' error code into ``self._err``); only
        called without a warp (``_rows_fast_path_warp`` is False)."""
        tr = self.tracks
        if tr.counters[N] + rows.shape[0] > tr.mean.shape[0]:
            tr.reserve(rows.shape[0])
        return oc_frame_rows(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, rows, dt,
                             self.frame_count, self._params, warp, self._err, self._hybrid)

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
        # the last update lies in [0, age] for an observed track, in [0, age) for a lost one
        started = ints[:, ORU] != ORU_NEW
        latest = age - (ints[:, ORU] == ORU_FROZEN)
        if (started & ((ints[:, HIST_AGE] < 0) | (ints[:, HIST_AGE] > latest))).any():
            raise ValueError("state: attrs.tracks column history_age must be in [0, age] for an "
                             "observed track and below age for a lost one")
        f = tr.floats[:n]
        hz = columns.py_func(CORNER_VW if self._hybrid else CENTRE_VW)[0]
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
        # the first round is IoU + momentum whatever asso_func says, as in the original
        self._params = self._frame_params(SIM_IOU, 0.0, 0.0)
