"""Hybrid-SORT: weak cues for motion-only tracking (Yang et al., AAAI 2024).

OC-SORT (observation history, ORU, momentum, OCR) with BYTE's second round and three
weak cues that need no image:

* **TCM**, the track-confidence model: every track also filters its detection score
  with a constant-velocity Kalman filter over (c, c') (:func:`mottrack.kalman.conf_update`).
  The first round penalises a pair by |score - the predicted confidence (clipped to
  [det_thresh, 1])|; the BYTE round by |score - the linear extrapolation of the last two
  scores (clipped to [0.1, det_thresh])|;
* **HMIoU**, height-modulated IoU (:func:`mottrack.geometry.height_overlap` x IoU): the
  similarity of every round (``asso_func``);
* the momentum term from the velocity directions of the four box **corners** (each the
  sum of the unit directions from the observations 1..``delta_t`` frames back), not
  the centre.

Each frame, composed from the stages of :mod:`mottrack.trackers._oc_stages`:

1. split the detections: high (score > ``det_thresh``) and, with ``use_byte``, low
   (0.1 < score < ``det_thresh``); both comparisons strict;
2. predict every track (box filter and confidence filter), move it by the camera warp,
   drop tracks whose box is invalid;
3. first round: high detections against the predicted boxes, HMIoU + four-corner
   momentum - TCM (one-to-one pairs above ``iou_threshold`` taken directly, else the
   assignment; pairs with HMIoU below the threshold rejected);
4. BYTE round: low detections against the predicted boxes of the tracks left, HMIoU,
   solved when some pair is above the threshold, then - TCM; accepted at or above it;
5. OCR round: high detections left against the last observations of the tracks left;
6. matched tracks re-run their filters along ORU's virtual trajectory (box and
   confidence) and update; the others freeze their state;
7. every high detection left starts a track;
8. report tracks updated this frame with ``min_hits`` consecutive hits (all during the
   first ``min_hits`` frames); delete tracks not updated for more than ``max_age`` frames.

With the original's parameters the output equals ymzis69/HybridSORT's motion-only
``Hybrid_Sort.update`` frame by frame (boxes to the printed precision, tracks up to the
naming of ids).  The reported box is the track's observation (``output_box="detection"``);
a new track reports its detection's box where the original reports its initial filter
box (below 1e-6 px apart).  The clip bound the original reads from ``args.track_thresh``
is ``det_thresh`` (the original's scripts pass the same value to both).  Differences
outside the reference behaviour are OC-SORT's (:mod:`mottrack.trackers.ocsort`: empty
frames are frames, the bounded sparse path for problems above 2^20 pairs).

Camera motion: as OC-SORT's (the box filter, the frozen filter state, the last
measurement, the last observation and the ring move with the warp); each corner direction
turns by the warp's Jacobian at that corner of the last observation (norm kept).  The
confidence state holds no image coordinates.
"""
from __future__ import annotations

import numpy as np

from .._numba import njit
from ..detections import Detections, split_rows
from ..geometry import SIMILARITIES, corner_direction
from ..kalman import (CONF_SNAPSHOT, XYSR_DIM, conf_initiate, conf_load, conf_predict_row,
                      conf_reupdate_linear, conf_save, conf_update)
from ..registry import register_tracker
from ..tracks import (AGE, CLASS, N, NEXT_ID, OBS_WIDTH, SCORE, TrackTable, observation_at,
                      observation_columns, report_xysr_tracks, xysr_boxes_or_drop)
from ._oc_stages import (INT_COLUMNS, LAST, ORU, ORU_OBSERVED, VEL, associate_momentum,
                         associate_remaining, birth, columns, float_columns, freeze_lost, gather,
                         has_observation, observe_box, oru_gap, predict_tracks, remove,
                         split_by_score, track_views)
from .base import check_number
from .ocsort import ObservationCentric, check_bool

__all__ = ["HybridSORT"]

VW = 8                        # four corner directions (dy, dx)
CONF = XYSR_DIM               # the confidence filter's (c, c') columns of the Kalman state
HZ, FROZEN_TSU, FROZEN, RING = columns.py_func(VW)  # no compilation at import
LOW_CONF = 0.1                # lower clip of the BYTE round's confidence estimate
ASSO_ALIASES = {"Height_Modulated_IoU": "hmiou"}
FLOAT_COLUMNS = float_columns(tuple(f"velocity_{c}_{a}" for c in ("x1y1", "x1y2", "x2y1", "x2y2")
                                    for a in ("y", "x")))
_NO_CONF = np.empty(0)


def _extra_columns() -> tuple:
    """Float columns after the observation ring: confidence_pre (0: none), the last
    (virtual) confidence measurement, the confidence filter frozen for ORU."""
    return (("confidence_pre", "history_c")
            + tuple(f"frozen_c{k}" for k in range(CONF_SNAPSHOT)))


@njit
def corner_directions(floats, t, box, age, delta_t):
    """Hybrid-SORT's four corner directions of track ``t`` (at ``age``) taking ``box``: per
    corner, the sum of the unit directions to it from the observations 1..``delta_t``
    frames back that exist, or from the last observation when none does; unchanged while
    the track has no observation (the original's test)."""
    if not has_observation(floats, t):
        return
    found = False
    for i in range(delta_t):
        c = observation_at(floats, t, RING, delta_t, age - i - 1)
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


@njit
def confidence_estimates(mean, floats, n, det_thresh, xc):
    """TCM's estimates of every track's confidence this frame: the confidence filter's
    prediction clipped to [det_thresh, 1] (first round) and the last score extrapolated
    by the last change, c + (c - c_pre) (c alone after a miss or at birth), clipped to
    [0.1, det_thresh] (BYTE round).  ``xc``: the confidence_pre column."""
    kconf = np.empty(n)
    sconf = np.empty(n)
    for t in range(n):
        kconf[t] = min(max(mean[t, CONF], det_thresh), 1.0)
        c = floats[t, SCORE]
        pre = floats[t, xc]
        s = c if pre == 0.0 else c - (pre - c)
        sconf[t] = min(max(s, LOW_CONF), det_thresh)
    return kconf, sconf


@njit
def observe(mean, cov, ints, floats, t, boxes, scores, classes, d, delta_t, xc):
    """Track ``t`` takes detection ``d``: corner directions, the confidence filter (ORU
    along the interpolated scores when lost, then the update), the last two scores, then
    :func:`~mottrack.trackers._oc_stages.observe_box` (ORU, box update)."""
    score = scores[d]
    corner_directions(floats, t, boxes[d], ints[t, AGE], delta_t)
    steps, step_dt = oru_gap(ints, floats, t, VW)
    hc = score
    if steps > 0:
        conf_load(mean, cov, t, CONF, floats, t, xc + 2)
        hc = conf_reupdate_linear(mean, cov, t, CONF, floats[t, xc + 1], score, steps, step_dt)
    floats[t, xc + 1] = hc
    conf_update(mean, cov, t, CONF, score)
    floats[t, xc] = floats[t, SCORE]
    observe_box(mean, cov, ints, floats, t, boxes[d], score, d, classes[d], delta_t, VW)


@njit
def miss(mean, cov, ints, floats, t, xc):
    """Track ``t`` got no detection: freeze both filters for ORU (first miss only) and
    forget the previous score (the BYTE estimate restarts from the last one)."""
    if ints[t, ORU] == ORU_OBSERVED:
        conf_save(mean, cov, t, CONF, floats, t, xc + 2)
    freeze_lost(mean, cov, ints, floats, t, VW)
    floats[t, xc] = 0.0


@njit
def _hybrid_step(mean, cov, ints, floats, counters, boxes, scores, classes, dt, frame_count, params,
                 warp, has_warp):
    """One Hybrid-SORT frame over the track table; returns the (M, 8) output rows."""
    max_age = params[0]
    min_hits = params[1]
    iou_threshold = params[2]
    delta_t = int(params[3])
    kind = int(params[4])
    inertia = params[5]
    use_byte = params[6] != 0.0
    per_class = params[7] != 0.0
    det_thresh = params[8]
    w_first = params[9]
    w_byte = params[10]
    xc = RING + delta_t * OBS_WIDTH
    n = counters[N]
    next_id = counters[NEXT_ID]
    # 1. high and low detections
    hi, lo = split_by_score(scores, det_thresh, use_byte)
    # 2. predict both filters (camera motion after the prediction), drop invalid boxes
    predict_tracks(mean, cov, ints, floats, n, dt, warp, has_warp, delta_t, VW)
    for t in range(n):
        conf_predict_row(mean, cov, t, CONF, dt)
    pred, n = xysr_boxes_or_drop(mean, cov, ints, floats, n)
    # 3. first round: high detections, HMIoU + corner momentum - TCM
    prev, vel, last = track_views(ints, floats, n, delta_t, VW)
    kconf, sconf = confidence_estimates(mean, floats, n, det_thresh, xc)
    hb, hs, hc = gather(boxes, scores, classes, hi)
    track_for_det, udets, utrks = associate_momentum(kind, hb, hs, hc, pred, ints[:n, CLASS], prev,
                                                     vel, iou_threshold, inertia, per_class, kconf,
                                                     w_first)
    for i in range(hi.shape[0]):
        t = track_for_det[i]
        if t >= 0:
            observe(mean, cov, ints, floats, t, boxes, scores, classes, hi[i], delta_t, xc)
    # 4. BYTE: low detections against the predicted boxes of the tracks left, - TCM
    if lo.shape[0] > 0 and utrks.shape[0] > 0:
        md, mt, ran = associate_remaining(kind, boxes, classes, lo, pred, ints[:n, CLASS], utrks,
                                          iou_threshold, per_class, scores, sconf, w_byte)
        for k in range(md.shape[0]):
            observe(mean, cov, ints, floats, mt[k], boxes, scores, classes, md[k], delta_t, xc)
        if ran:
            utrks = remove(utrks, mt, n)
    # 5. OCR: high detections left against the last observations of the tracks left
    if udets.shape[0] > 0 and utrks.shape[0] > 0:
        md, mt, ran = associate_remaining(kind, hb, hc, udets, last, ints[:n, CLASS], utrks,
                                          iou_threshold, per_class, hs, _NO_CONF, 0.0)
        for k in range(md.shape[0]):
            observe(mean, cov, ints, floats, mt[k], boxes, scores, classes, hi[md[k]], delta_t, xc)
        if ran:
            udets = remove(udets, md, hi.shape[0])
            utrks = remove(utrks, mt, n)
    # 6. the tracks left freeze their filters for ORU
    for k in range(utrks.shape[0]):
        miss(mean, cov, ints, floats, utrks[k], xc)
    # 7. new tracks (confidence filter at the detection's score)
    for i in range(udets.shape[0]):
        d = hi[udets[i]]
        birth(mean, cov, ints, floats, n, next_id, boxes[d], scores[d], classes[d], d, delta_t, VW)
        conf_initiate(mean, cov, n, CONF, scores[d])
        next_id += 1
        n += 1
    # 8. report and delete
    out, n = report_xysr_tracks(mean, cov, ints, floats, n, frame_count, min_hits, max_age, True)
    counters[N] = n
    counters[NEXT_ID] = next_id
    return out


@njit
def _hybrid_step_rows(mean, cov, ints, floats, counters, rows, dt, frame_count, params, warp, err):
    """:func:`_hybrid_step` on an (N, 5|6) array, validated first (error code into ``err``)."""
    boxes, scores, classes, code, _row, _col = split_rows(rows, False)
    err[0] = code
    if code != 0:
        return np.empty((0, 8))
    return _hybrid_step(mean, cov, ints, floats, counters, boxes, scores, classes, dt, frame_count,
                        params, warp, False)


@register_tracker("hybridsort")
class HybridSORT(ObservationCentric):
    """Hybrid-SORT (Yang et al. 2024): OC-SORT + BYTE + the weak cues TCM, HMIoU and corner
    momentum; motion only (no appearance).

    Defaults are the original's MOT17 ablation configuration.  Its DanceTrack
    configuration lowers ``iou_threshold`` to 0.15 (dancers overlap and deform: more
    pairs pass, more wrong ones too); its MOT20 one lowers ``det_thresh`` to 0.4 (crowds:
    more weak detections start and keep tracks, at the cost of more false tracks).

    Parameters
    ----------
    det_thresh : float, default 0.6
        Detections with score > ``det_thresh`` are associated first and start tracks; with
        ``use_byte``, those with 0.1 < score < ``det_thresh`` may continue tracks.  Also
        the clip bound of TCM's estimates.  Lower: more tracks and recall, more false
        positives; higher: fewer, surer tracks that break in occlusion.
    max_age : float, default 30
        Frames a track survives without a detection.  Higher bridges longer occlusions
        (ORU fills the gap) but keeps dead tracks that can steal detections.
    min_hits : int, default 3
        Consecutive matched frames before a track is reported (all during the first
        ``min_hits`` frames).  Higher suppresses short false tracks, delays true ones.
    iou_threshold : float, default 0.25
        Minimum similarity (``asso_func``) of an accepted pair in every round.  Lower
        (DanceTrack: 0.15) keeps fast or deforming objects, risks swaps among close ones.
    delta_t : int, default 3
        Frames back the corner directions look (0 to 256): more gives steadier
        directions, slower to follow turns.
    asso_func : {"hmiou", "iou", "giou", "ciou", "diou", "ct_dist"}, default "hmiou"
        Similarity of every round ("Height_Modulated_IoU", the original's name, is
        accepted for "hmiou").  HMIoU discounts pairs of different height span, which
        separates people at different depths; plain IoU does not.
    inertia : float, default 0.05
        Weight of the corner-momentum term in the first round; higher trusts motion
        direction more (nonlinear motion suffers), 0 disables it.
    use_byte : bool, default True
        Associate low-score detections with the tracks left (BYTE) before OCR: keeps
        tracks through partial occlusion, may attach them to false detections.
    tcm_first_step, tcm_byte_step : bool, default True
        Use the confidence term (TCM) in the first / BYTE round.
    tcm_first_step_weight, tcm_byte_step_weight : float, default 1.0
        Its weights: higher separates objects whose scores differ (an occluder and the
        occluded) more strongly, but lets score noise override geometry.
    frame_rate : float, default 30
        Nominal frames per second; only used to convert timestamps to frames.
    per_class : bool, default False
        Only match detections of the track's class.
    output_box : {"detection", "kalman"}, default "detection"
        The box a reported track has: this frame's detection (the original's) or the
        Kalman posterior.
    """

    def __init__(self, det_thresh: float = 0.6, max_age: float = 30, min_hits: int = 3,
                 iou_threshold: float = 0.25, delta_t: int = 3, asso_func: str = "hmiou",
                 inertia: float = 0.05, use_byte: bool = True, tcm_first_step: bool = True,
                 tcm_first_step_weight: float = 1.0, tcm_byte_step: bool = True,
                 tcm_byte_step_weight: float = 1.0, *, frame_rate: float = 30.0,
                 per_class: bool = False, output_box: str = "detection") -> None:
        if isinstance(asso_func, str):
            asso_func = ASSO_ALIASES.get(asso_func, asso_func)
        super().__init__(det_thresh, max_age, min_hits, iou_threshold, delta_t, asso_func, inertia,
                         use_byte, frame_rate=frame_rate, per_class=per_class, output_box=output_box)
        self.tcm_first_step = check_bool("tcm_first_step", tcm_first_step)
        self.tcm_byte_step = check_bool("tcm_byte_step", tcm_byte_step)
        self.tcm_first_step_weight = check_number("tcm_first_step_weight", tcm_first_step_weight,
                                                  low=-1e6, high=1e6)
        self.tcm_byte_step_weight = check_number("tcm_byte_step_weight", tcm_byte_step_weight,
                                                 low=-1e6, high=1e6)
        self.tracks = TrackTable(XYSR_DIM + 2, INT_COLUMNS,
                                 FLOAT_COLUMNS + observation_columns(self.delta_t) + _extra_columns())
        self._params = np.array([self.max_age, self.min_hits, self.iou_threshold, self.delta_t,
                                 SIMILARITIES.index(self.asso_func), self.inertia,
                                 float(self.use_byte), float(self.per_class), self.det_thresh,
                                 self.tcm_first_step_weight if self.tcm_first_step else 0.0,
                                 self.tcm_byte_step_weight if self.tcm_byte_step else 0.0])

    _vw = VW

    def _step(self, dets: Detections, dt: float, warp: np.ndarray | None = None) -> np.ndarray:
        tr = self.tracks
        tr.reserve(dets._boxes.shape[0])
        return _hybrid_step(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, dets._boxes,
                            dets._scores, dets._class_ids, dt, self.frame_count, self._params,
                            self._no_warp if warp is None else warp, warp is not None)

    _rows_fast_path = True

    def _step_rows(self, rows: np.ndarray, dt: float, err: np.ndarray,
                   warp: np.ndarray | None = None) -> np.ndarray:
        """The fused step on plain rows, without a warp (the base applies ``output_box``)."""
        tr = self.tracks
        if tr.counters[N] + rows.shape[0] > tr.mean.shape[0]:
            tr.reserve(rows.shape[0])
        return _hybrid_step_rows(tr.mean, tr.covariance, tr.ints, tr.floats, tr.counters, rows, dt,
                                 self.frame_count, self._params, self._no_warp, err)

